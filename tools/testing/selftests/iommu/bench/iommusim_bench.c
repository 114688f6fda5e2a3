// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommusim_bench - figures for the simulated SMMUv3 and VT-d (iommusim.ko).
 * A benchmark, not a test: it reports numbers and never passes or fails on
 * them (it exits non-zero only when a request it needs does not work).
 *
 * (a) Simulated DMA bandwidth. A device behind each family reads
 *     (IOMMUSIM_DEVICE_DMA, IOVA -> user buffer) and writes (user buffer ->
 *     IOVA) guest RAM mapped through an automatic paging domain, for
 *     transfers of 4 KiB, 64 KiB, 1 MiB and 16 MiB:
 *       hit   the same IOVA range over and over, after one untimed warm-up
 *             transfer, with an IOTLB large enough for 16 MiB of 4 KiB
 *             pages (the instance is made with tlb=N, -T): every
 *             translation after the warm-up is an IOTLB hit;
 *       miss  IOMMUSIM_DEVICE_IOTLB with FLUSH_ALL before each transfer
 *             (not timed): every page of the transfer is a miss and a full
 *             table walk.
 *     Beside each, memcpy() of the same size between two user buffers,
 *     measured in the same repetition. Printed: MiB/s of both, the ratio
 *     DMA / memcpy, and the IOTLB hit rate the instance counted during the
 *     timed transfers (to show the hit and miss cases are what they say).
 * (b) IOAS map/unmap throughput: IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP of one
 *     64 MiB mapping (MiB/s of each), and 4096 maps of 4 KiB followed by
 *     their 4096 unmaps (ops/s), on an IOAS with nothing attached (pure
 *     bookkeeping: nothing is pinned) and on an IOAS with one simulated
 *     device attached, so every map pins and fills an SMMUv3 (VMSAv8-64) or
 *     VT-d page table and every unmap clears it, invalidates the IOTLB and
 *     unpins.
 *
 * Each figure is the median of -r repetitions (default 5) after one
 * untimed warm-up; a repetition moves at least -b bytes (default 4 MiB)
 * of DMA, in as many transfers as that takes (one for 16 MiB). Time is
 * clock_gettime(CLOCK_MONOTONIC); in the icount VM of 'make bench-sim' it
 * counts guest instructions, so the figures compare code paths, not the
 * speed of the emulation. Under icount, a string instruction with a REP
 * prefix counts once per iteration, so copy loops built on "rep movs"
 * look far slower than vector loops moving the same bytes. glibc's
 * memcpy() picks its method by size: in our runs the 64 KiB memcpy moved
 * about a tenth of the bytes per instruction the 4 KiB, 1 MiB and 16 MiB
 * ones did, so compare DMA with memcpy per size, not across sizes.
 *
 * Output: a table, then one line per figure: "bench NAME VALUE UNIT" (the
 * format of iommufd_bench). Guest RAM and the DMA buffers use 4 KiB pages
 * (MADV_NOHUGEPAGE), so a 16 MiB transfer is 4096 translations.
 *
 * Usage: iommusim_bench [-r reps] [-b min_bytes] [-T tlb_entries]
 *                       [-f smmuv3|vtd] [-o dma|map]
 * Run as root with iommufd_core.ko and iommusim.ko loaded.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommusim.h>

#define KiB		(1024UL)
#define MiB		(1024UL * KiB)
#define GiB		(1024UL * MiB)
#define PAGE		(4 * KiB)
#define NR_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define SYSBUS		"/sys/bus/iommusim"
#define RAM_IOVA	(1 * GiB)	/* clear of both families' reserved */
#define RAM_SIZE	(16 * MiB)	/* the largest transfer */
#define MAP_IOVA	(2 * GiB)
#define MAP_BIG		(64 * MiB)
#define MAP_SMALL_N	4096UL
#define MAX_REPS	64

static const unsigned long dma_sizes[] = { 4 * KiB, 64 * KiB, 1 * MiB,
					   16 * MiB };

struct family {
	const char *type;
	unsigned int id;
	unsigned int sid;
};

static const struct family families[] = {
	{ "smmuv3", 201, 1 },
	{ "vtd", 202, 1 },
};

static unsigned int reps = 5;
static unsigned long min_bytes = 4 * MiB;
static unsigned int tlb_entries = 8192;
static const char *only_family;
static const char *only_group;

/* State of the family being measured, for cleanup on failure */
static const struct family *cur;
static bool have_instance, have_device;
static int iommufd = -1, devfd = -1;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sysfs_write(const char *path, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int fd, len, ret = 0;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, buf, len) < 0)
		ret = -1;
	if (ret) {
		int err = errno;

		close(fd);
		errno = err;
		return ret;
	}
	close(fd);
	return 0;
}

static void remove_sim(void)
{
	char path[128];

	if (devfd >= 0)
		close(devfd);
	devfd = -1;
	if (have_device) {
		snprintf(path, sizeof(path), SYSBUS "/devices/iommusim%u/del_device",
			 cur->id);
		sysfs_write(path, "%u", cur->sid);
	}
	if (have_instance)
		sysfs_write(SYSBUS "/del_iommu", "%u", cur->id);
	have_device = false;
	have_instance = false;
}

static void die(const char *what)
{
	int err = errno;

	fprintf(stderr, "iommusim_bench: %s failed: %s (errno %d)\n", what,
		strerror(err), err);
	remove_sim();
	exit(1);
}

static void report(const char *name, double value, const char *unit)
{
	printf("bench %s %.6g %s\n", name, value, unit);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, unsigned int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void *alloc_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	madvise(p, len, MADV_NOHUGEPAGE);
	memset(p, 0x5a, len);	/* fault everything in before timing */
	return p;
}

static void size_name(unsigned long size, char *buf, size_t len)
{
	if (size >= MiB)
		snprintf(buf, len, "%luM", size / MiB);
	else
		snprintf(buf, len, "%luK", size / KiB);
}

/* ---------------------------------------------------------------- */
/* iommufd                                                           */

static uint32_t ioas_alloc(void)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &cmd))
		die("IOMMU_IOAS_ALLOC");
	return cmd.out_ioas_id;
}

static void ioas_destroy(uint32_t id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	if (ioctl(iommufd, IOMMU_DESTROY, &cmd))
		die("IOMMU_DESTROY");
}

static void ioas_map(uint32_t ioas, void *va, uint64_t len, uint64_t iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	if (ioctl(iommufd, IOMMU_IOAS_MAP, &cmd))
		die("IOMMU_IOAS_MAP");
}

static void ioas_unmap(uint32_t ioas, uint64_t iova, uint64_t len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &cmd))
		die("IOMMU_IOAS_UNMAP");
	if (cmd.length != len) {
		errno = EIO;
		die("IOMMU_IOAS_UNMAP (short)");
	}
}

/* ---------------------------------------------------------------- */
/* The simulated device                                              */

static void sim_create(const struct family *fam)
{
	char path[128];
	int tries;

	cur = fam;
	if (sysfs_write(SYSBUS "/new_iommu", "%u %s tlb=%u", fam->id,
			fam->type, tlb_entries)) {
		if (errno == ENOENT)
			die(SYSBUS "/new_iommu (is iommusim.ko loaded?)");
		if (errno != EINVAL)
			die("new_iommu");
		printf("# %s: tlb=%u refused, using the default IOTLB size\n",
		       fam->type, tlb_entries);
		if (sysfs_write(SYSBUS "/new_iommu", "%u %s", fam->id,
				fam->type))
			die("new_iommu");
	}
	have_instance = true;
	snprintf(path, sizeof(path), SYSBUS "/devices/iommusim%u/new_device",
		 fam->id);
	if (sysfs_write(path, "%u", fam->sid))
		die("new_device");
	have_device = true;
	snprintf(path, sizeof(path), "/dev/iommusim/%u-%u", fam->id, fam->sid);
	for (tries = 0; tries < 50; tries++) {
		devfd = open(path, O_RDWR | O_CLOEXEC);
		if (devfd >= 0 || errno != ENOENT)
			break;
		usleep(20000);
	}
	if (devfd < 0)
		die(path);
}

static void sim_bind_attach(uint32_t ioas)
{
	struct iommusim_bind_iommufd b = {
		.argsz = sizeof(b),
		.iommufd = iommufd,
	};
	struct iommusim_attach_pt a = {
		.argsz = sizeof(a),
		.pt_id = ioas,
	};

	if (ioctl(devfd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &b))
		die("IOMMUSIM_DEVICE_BIND_IOMMUFD");
	if (ioctl(devfd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT, &a))
		die("IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT");
}

static void sim_detach(void)
{
	struct iommusim_detach_pt d = { .argsz = sizeof(d) };

	if (ioctl(devfd, IOMMUSIM_DEVICE_DETACH_IOMMUFD_PT, &d))
		die("IOMMUSIM_DEVICE_DETACH_IOMMUFD_PT");
}

static void iotlb(uint32_t flags, struct iommusim_iotlb *t)
{
	*t = (struct iommusim_iotlb) { .argsz = sizeof(*t), .flags = flags };
	if (ioctl(devfd, IOMMUSIM_DEVICE_IOTLB, t))
		die("IOMMUSIM_DEVICE_IOTLB");
}

static void dma(bool write, uint64_t iova, void *buf, uint64_t len)
{
	struct iommusim_dma d = {
		.argsz = sizeof(d),
		.flags = write ? IOMMUSIM_DMA_WRITE : 0,
		.iova = iova,
		.length = len,
		.uptr = (uintptr_t)buf,
	};

	if (ioctl(devfd, IOMMUSIM_DEVICE_DMA, &d)) {
		if (errno == EIO)
			fprintf(stderr, "iommusim_bench: DMA fault %u at 0x%llx\n",
				d.out_fault,
				(unsigned long long)d.out_fault_addr);
		die("IOMMUSIM_DEVICE_DMA");
	}
}

static void sim_remove(void)
{
	if (close(devfd))
		die("close device");
	devfd = -1;
	remove_sim();
}

/* ---------------------------------------------------------------- */
/* (a) DMA bandwidth                                                 */

struct dma_row {
	double dma, cpy;	/* MiB/s, medians */
	double hit_rate;	/* IOTLB hits / lookups, timed transfers */
};

/* One repetition of memcpy; MiB/s */
static double time_memcpy(void *dst, const void *src, unsigned long size,
			  unsigned long count)
{
	double t0, t1;
	unsigned long i;

	t0 = now();
	for (i = 0; i != count; i++) {
		memcpy(dst, src, size);
		/* keep the compiler from merging or dropping the copies */
		__asm__ __volatile__("" : : "r"(dst) : "memory");
	}
	t1 = now();
	return (double)size * count / MiB / (t1 - t0);
}

/* One repetition of DMA; MiB/s. @miss: flush the IOTLB before each. */
static double time_dma(bool write, bool miss, void *buf, unsigned long size,
		       unsigned long count)
{
	struct iommusim_iotlb t;
	double t0, sum = 0;
	unsigned long i;

	if (!miss) {
		t0 = now();
		for (i = 0; i != count; i++)
			dma(write, RAM_IOVA, buf, size);
		return (double)size * count / MiB / (now() - t0);
	}
	for (i = 0; i != count; i++) {
		iotlb(IOMMUSIM_IOTLB_FLUSH_ALL, &t);
		t0 = now();
		dma(write, RAM_IOVA, buf, size);
		sum += now() - t0;
	}
	return (double)size * count / MiB / sum;
}

static void bench_dma_one(bool write, bool miss, unsigned long size,
			  char *buf, char *src, char *dst, struct dma_row *row)
{
	unsigned long count = min_bytes / size ? min_bytes / size : 1;
	double v_dma[MAX_REPS], v_cpy[MAX_REPS];
	struct iommusim_iotlb t;
	unsigned int r;

	/* warm-up, untimed: fills the IOTLB for the hit case */
	dma(write, RAM_IOVA, buf, size);
	memcpy(dst, src, size);
	iotlb(IOMMUSIM_IOTLB_RESET_STATS, &t);
	for (r = 0; r != reps; r++) {
		v_cpy[r] = time_memcpy(dst, src, size, count);
		v_dma[r] = time_dma(write, miss, buf, size, count);
	}
	iotlb(IOMMUSIM_IOTLB_RESET_STATS, &t);
	row->dma = median(v_dma, reps);
	row->cpy = median(v_cpy, reps);
	row->hit_rate = t.out_hits + t.out_misses ?
			(double)t.out_hits / (t.out_hits + t.out_misses) : 0;
}

static void bench_dma(const struct family *fam, char *buf, char *src,
		      char *dst)
{
	struct dma_row rows[2][NR_ELEMS(dma_sizes)][2];
	struct iommusim_iotlb t;
	char name[128], sz[16];
	unsigned int w, s, m;

	iotlb(0, &t);
	printf("# %s: IOTLB of %u entries (%lu MiB of 4 KiB pages)\n",
	       fam->type, t.out_capacity, t.out_capacity * PAGE / MiB);
	printf("# %-6s %-5s %5s %-4s %12s %12s %8s %8s\n", "family", "dir",
	       "size", "tlb", "DMA MiB/s", "memcpy MiB/s", "ratio",
	       "hit rate");
	for (w = 0; w != 2; w++)
		for (s = 0; s != NR_ELEMS(dma_sizes); s++)
			for (m = 0; m != 2; m++) {
				struct dma_row *row = &rows[w][s][m];

				bench_dma_one(w, m, dma_sizes[s], buf, src, dst,
					      row);
				size_name(dma_sizes[s], sz, sizeof(sz));
				printf("# %-6s %-5s %5s %-4s %12.1f %12.1f %8.4f %7.1f%%\n",
				       fam->type, w ? "write" : "read", sz,
				       m ? "miss" : "hit", row->dma, row->cpy,
				       row->dma / row->cpy,
				       100 * row->hit_rate);
				fflush(stdout);
			}
	for (w = 0; w != 2; w++)
		for (s = 0; s != NR_ELEMS(dma_sizes); s++)
			for (m = 0; m != 2; m++) {
				struct dma_row *row = &rows[w][s][m];
				int n;

				size_name(dma_sizes[s], sz, sizeof(sz));
				n = snprintf(name, sizeof(name), "%s_dma_%s_%s_%s",
					     fam->type, w ? "write" : "read", sz,
					     m ? "miss" : "hit");
				if (n < 0 || n >= (int)sizeof(name) - 16)
					continue;
				report(name, row->dma, "MiB/s");
				strcat(name, "_memcpy");
				report(name, row->cpy, "MiB/s");
				name[n] = 0;
				strcat(name, "_ratio");
				report(name, row->dma / row->cpy, "x");
				name[n] = 0;
				strcat(name, "_hitrate");
				report(name, row->hit_rate, "fraction");
			}
	fflush(stdout);
}

/* ---------------------------------------------------------------- */
/* (b) map/unmap throughput                                          */

static void bench_map(const char *what, uint32_t ioas, char *big,
		      char *small)
{
	double v_map[MAX_REPS], v_unmap[MAX_REPS], v_small[MAX_REPS];
	double t0, t1, t2, m, u, o;
	char name[64];
	unsigned long i;
	unsigned int r;

	/* warm-up */
	ioas_map(ioas, big, MAP_BIG, MAP_IOVA);
	ioas_unmap(ioas, MAP_IOVA, MAP_BIG);
	for (r = 0; r != reps; r++) {
		t0 = now();
		ioas_map(ioas, big, MAP_BIG, MAP_IOVA);
		t1 = now();
		ioas_unmap(ioas, MAP_IOVA, MAP_BIG);
		t2 = now();
		v_map[r] = MAP_BIG / MiB / (t1 - t0);
		v_unmap[r] = MAP_BIG / MiB / (t2 - t1);

		t0 = now();
		for (i = 0; i != MAP_SMALL_N; i++)
			ioas_map(ioas, small + i * PAGE, PAGE,
				 MAP_IOVA + i * PAGE);
		for (i = 0; i != MAP_SMALL_N; i++)
			ioas_unmap(ioas, MAP_IOVA + i * PAGE, PAGE);
		v_small[r] = 2.0 * MAP_SMALL_N / (now() - t0);
	}
	m = median(v_map, reps);
	u = median(v_unmap, reps);
	o = median(v_small, reps);
	printf("# map/unmap %-9s: 64M map %9.1f MiB/s, unmap %9.1f MiB/s; ",
	       what, m, u);
	printf("4K map+unmap %9.0f ops/s\n", o);
	snprintf(name, sizeof(name), "map_64M_%s", what);
	report(name, m, "MiB/s");
	snprintf(name, sizeof(name), "unmap_64M_%s", what);
	report(name, u, "MiB/s");
	snprintf(name, sizeof(name), "map4k_%s", what);
	report(name, o, "ops/s");
	fflush(stdout);
}

/* ---------------------------------------------------------------- */

static void run_family(const struct family *fam, char *big, char *small)
{
	char *ram, *buf, *src, *dst;
	uint32_t ioas;

	printf("# --- %s ---\n", fam->type);
	sim_create(fam);
	ioas = ioas_alloc();
	sim_bind_attach(ioas);

	if (!only_group || !strcmp(only_group, "dma")) {
		ram = alloc_buf(RAM_SIZE);
		buf = alloc_buf(RAM_SIZE);
		src = alloc_buf(RAM_SIZE);
		dst = alloc_buf(RAM_SIZE);
		ioas_map(ioas, ram, RAM_SIZE, RAM_IOVA);
		bench_dma(fam, buf, src, dst);
		ioas_unmap(ioas, RAM_IOVA, RAM_SIZE);
		munmap(ram, RAM_SIZE);
		munmap(buf, RAM_SIZE);
		munmap(src, RAM_SIZE);
		munmap(dst, RAM_SIZE);
	}
	if (!only_group || !strcmp(only_group, "map"))
		bench_map(fam->type, ioas, big, small);

	sim_detach();
	ioas_destroy(ioas);
	sim_remove();
}

static void usage(const char *argv0)
{
	fprintf(stderr,
		"Usage: %s [-r reps] [-b min_bytes] [-T tlb_entries]\n"
		"       [-f smmuv3|vtd] [-o dma|map]\n", argv0);
	exit(2);
}

int main(int argc, char **argv)
{
	char *big, *small;
	unsigned int i;
	int opt;

	while ((opt = getopt(argc, argv, "r:b:T:f:o:h")) != -1) {
		switch (opt) {
		case 'r':
			reps = strtoul(optarg, NULL, 0);
			if (!reps || reps > MAX_REPS)
				usage(argv[0]);
			break;
		case 'b':
			min_bytes = strtoul(optarg, NULL, 0);
			break;
		case 'T':
			tlb_entries = strtoul(optarg, NULL, 0);
			break;
		case 'f':
			only_family = optarg;
			break;
		case 'o':
			only_group = optarg;
			break;
		default:
			usage(argv[0]);
		}
	}

	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0)
		die("open /dev/iommu (is iommufd_core.ko loaded?)");
	printf("# iommusim_bench: median of %u repetitions, >= %lu DMA bytes each, tlb=%u\n",
	       reps, min_bytes, tlb_entries);

	big = alloc_buf(MAP_BIG);
	small = alloc_buf(MAP_SMALL_N * PAGE);
	if (!only_group || !strcmp(only_group, "map")) {
		uint32_t ioas = ioas_alloc();

		bench_map("no_domain", ioas, big, small);
		ioas_destroy(ioas);
	}
	for (i = 0; i != NR_ELEMS(families); i++) {
		if (only_family && strcmp(only_family, families[i].type))
			continue;
		run_family(&families[i], big, small);
	}
	close(iommufd);
	return 0;
}
