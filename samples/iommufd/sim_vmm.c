// SPDX-License-Identifier: GPL-2.0-only
/*
 * sim_vmm - what a VMM does with a device behind a (simulated) SMMUv3 or
 * VT-d, one narrated step at a time, checking every result:
 *
 *   create an IOMMU instance and a device behind it (sysfs, iommusim.ko)
 *   open /dev/iommu and the device's char device, BIND the device
 *   IOMMU_GET_HW_INFO: the SMMUv3 ID registers or the VT-d CAP/ECAP
 *   IOMMU_IOAS_ALLOC, ATTACH to the IOAS (automatic HWPT)
 *   mmap guest RAM, IOMMU_IOAS_MAP it at its guest-physical address
 *   DMA: the device writes and reads guest RAM through its IOMMU
 *   IOTLB: a leaf edited without invalidation stays stale until invalidated
 *   faults: DMA to an unmapped IOVA and a write to a read-only page, with
 *           the event / fault record the hardware wrote, decoded
 *   IOMMU_HWPT_ALLOC with DIRTY_TRACKING | PASID, ATTACH (replace)
 *   PASID: a second address space attached at one PASID of the device;
 *          the same IOVA means different memory with and without it;
 *          the RID's HWPT attached at another PASID too
 *   dirty log: the pre-copy rounds of a live migration with
 *          IOMMU_HWPT_SET_DIRTY_TRACKING and IOMMU_HWPT_GET_DIRTY_BITMAP
 *   teardown in order, delete the device and the instance
 *
 * The device char device speaks the layouts and numbers of VFIO's cdev
 * iommufd ioctls (VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
 * VFIO_DEVICE_DETACH_IOMMUFD_PT), so the bind/attach code below is what a
 * VMM writes for a real VFIO device. Only the DMA, IOTLB, TEST_PTE_ALIAS,
 * INVALIDATE and TRANSLATE requests are the simulator's own: on real
 * hardware the guest's driver makes the device DMA.
 *
 * Usage: sim_vmm [smmuv3|vtd|both]   (default: both, one after the other)
 * Build: gcc -O2 -static -isystem <repo>/include/uapi -o sim_vmm <this file>
 * Run:   as root with iommufd_core.ko and iommusim.ko loaded.
 * Exit status: 0 when every step worked, 1 at the first failure (after
 * removing what it created, as far as possible).
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
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/iommusim.h>

#define KiB	(1024ULL)
#define MiB	(1024 * KiB)
#define GiB	(1024 * MiB)
#define PAGE	(4 * KiB)

/* 8 MiB of guest RAM: 2048 pages, small enough to print dirty pages */
#define RAM_SIZE	(8 * MiB)
#define RAM_PAGES	(RAM_SIZE / PAGE)
/* Where an x86 VMM puts RAM above the 32-bit hole, and a fallback */
#define GPA_HIGH	(4 * GiB)
#define GPA_LOW		(1 * GiB)

/* The buffer of the PASID address space (e.g. a process's SVA context) */
#define PASID_BUF_SIZE	(64 * KiB)
#define DEV_PASID_BITS	8
#define THE_PASID	5
#define SHARED_PASID	6	/* shares the RID's HWPT */

#define SYSBUS		"/sys/bus/iommusim"

#define NR_ELEMS(a)	(sizeof(a) / sizeof((a)[0]))

struct family {
	const char *type;	/* what new_iommu takes */
	unsigned int id;	/* instance ID */
	unsigned int sid;	/* stream ID / requester ID of the device */
	const char *sid_what;
	__u32 hw_info_type;
};

static const struct family families[] = {
	{ "smmuv3", 1, 0x100, "StreamID 0x100", IOMMU_HW_INFO_TYPE_ARM_SMMUV3 },
	/* requester ID 00:03.0: bus 0, device 3, function 0 */
	{ "vtd", 2, 0x18, "requester ID 00:03.0 (0x18)",
	  IOMMU_HW_INFO_TYPE_INTEL_VTD },
};

/* What exists right now, so that a failure can undo it */
static struct {
	const struct family *fam;
	bool instance;
	bool device;
	int devfd;
	int iommufd;
} live = { .devfd = -1, .iommufd = -1 };

static int step_no;

static void step(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("[%2d] ", ++step_no);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static void say_ok(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("     -> ok: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("        ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static int sysfs_write(const char *path, const char *fmt, ...);

/* Best effort: closing the files unbinds; then sysfs removal */
static void undo_live(void)
{
	char path[256];

	if (live.devfd >= 0)
		close(live.devfd);
	if (live.iommufd >= 0)
		close(live.iommufd);
	live.devfd = -1;
	live.iommufd = -1;
	if (live.device) {
		snprintf(path, sizeof(path), SYSBUS "/devices/iommusim%u/del_device",
			 live.fam->id);
		sysfs_write(path, "%u", live.fam->sid);
	}
	if (live.instance)
		sysfs_write(SYSBUS "/del_iommu", "%u", live.fam->id);
	live.device = false;
	live.instance = false;
}

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("     -> FAILED: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	printf("sim_vmm: stopped at step %d\n", step_no);
	undo_live();
	exit(1);
}

static void die(const char *what)
{
	int err = errno;

	fail("%s: %s (errno %d)", what, strerror(err), err);
}

static int sysfs_write(const char *path, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	ssize_t n;
	int fd, len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, buf, len);
	if (n < 0) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	close(fd);
	return 0;
}

static void print_file(const char *path)
{
	char buf[1024], *line, *save;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die(path);
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		die(path);
	close(fd);
	buf[n] = 0;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		note("%s", line);
}

/* ---------------------------------------------------------------- */
/* Requests of the device char device                                */

static const char *fault_name(__u32 kind)
{
	static const char * const names[] = {
		[IOMMUSIM_FAULT_NONE] = "none",
		[IOMMUSIM_FAULT_BLOCKED] = "blocked (nothing attached)",
		[IOMMUSIM_FAULT_TRANSLATION] = "translation fault",
		[IOMMUSIM_FAULT_PERMISSION] = "permission fault",
		[IOMMUSIM_FAULT_ADDR_SIZE] = "address size fault",
		[IOMMUSIM_FAULT_BAD_CONFIG] = "bad configuration entry",
		[IOMMUSIM_FAULT_BAD_PASID] = "bad PASID",
	};

	if (kind < NR_ELEMS(names) && names[kind])
		return names[kind];
	return "unknown";
}

/* A DMA of the device; pasid < 0 means a request without PASID */
static int dev_dma(bool write, int pasid, __u64 iova, void *buf, __u64 len,
		   struct iommusim_dma *out)
{
	*out = (struct iommusim_dma) {
		.argsz = sizeof(*out),
		.flags = (write ? IOMMUSIM_DMA_WRITE : 0) |
			 (pasid >= 0 ? IOMMUSIM_DMA_PASID : 0),
		.pasid = pasid >= 0 ? pasid : 0,
		.iova = iova,
		.length = len,
		.uptr = (uintptr_t)buf,
	};
	return ioctl(live.devfd, IOMMUSIM_DEVICE_DMA, out);
}

/* A DMA that must succeed */
static void dma_ok(bool write, int pasid, __u64 iova, void *buf, __u64 len)
{
	struct iommusim_dma d;

	if (dev_dma(write, pasid, iova, buf, len, &d)) {
		if (errno == EIO)
			fail("DMA %s of %llu bytes at IOVA 0x%llx: %s at 0x%llx after %llu bytes",
			     write ? "write" : "read",
			     (unsigned long long)len,
			     (unsigned long long)iova, fault_name(d.out_fault),
			     (unsigned long long)d.out_fault_addr,
			     (unsigned long long)d.out_done);
		die("IOMMUSIM_DEVICE_DMA");
	}
	if (d.out_done != len)
		fail("DMA moved %llu of %llu bytes",
		     (unsigned long long)d.out_done, (unsigned long long)len);
}

static const char *smmu_event_name(unsigned int id)
{
	switch (id) {
	case 0x01: return "F_UUT";
	case 0x02: return "C_BAD_STREAMID";
	case 0x04: return "C_BAD_STE";
	case 0x06: return "F_STREAM_DISABLED";
	case 0x07: return "F_TRANSL_FORBIDDEN";
	case 0x08: return "C_BAD_SUBSTREAMID";
	case 0x0a: return "C_BAD_CD";
	case 0x10: return "F_TRANSLATION";
	case 0x11: return "F_ADDR_SIZE";
	case 0x12: return "F_ACCESS";
	case 0x13: return "F_PERMISSION";
	}
	return "?";
}

/* The SMMUv3 event record: 4 little-endian 64-bit words */
static void decode_smmu_event(const __u64 *r)
{
	unsigned int id = r[0] & 0xff;

	note("SMMUv3 event record: %016llx %016llx %016llx %016llx",
	     (unsigned long long)r[0], (unsigned long long)r[1],
	     (unsigned long long)r[2], (unsigned long long)r[3]);
	note("  event 0x%02x %s, StreamID 0x%llx, SSV %llu SubstreamID %llu",
	     id, smmu_event_name(id), (unsigned long long)(r[0] >> 32),
	     (unsigned long long)((r[0] >> 11) & 1),
	     (unsigned long long)((r[0] >> 12) & 0xfffff));
	if (id >= 0x10 && id <= 0x13)
		note("  %s, %s, stage %d, InputAddr 0x%llx",
		     (r[1] >> 35) & 1 ? "read (RnW=1)" : "write (RnW=0)",
		     (r[1] >> 34) & 1 ? "instruction" : "data",
		     (r[1] >> 39) & 1 ? 2 : 1, (unsigned long long)r[2]);
}

/* The scalable-mode fault reasons this model produces (VT-d spec) */
static const char *vtd_reason_name(unsigned int fr)
{
	switch (fr) {
	case 0x39: return "root entry not present";
	case 0x41: return "context entry not present";
	case 0x43: return "invalid context entry";
	case 0x45: return "PASID request, PASIDs not enabled in context entry";
	case 0x46: return "PASID beyond the PASID directory";
	case 0x51: return "PASID directory entry not present";
	case 0x59: return "PASID table entry not present";
	case 0x5b: return "invalid PASID table entry";
	case 0x70: return "error reading a first-level entry";
	case 0x71: return "first-level entry not present";
	case 0x79: return "second-level entry grants nothing";
	case 0x7b: return "invalid second-level table pointer";
	case 0x80: return "non-canonical first-level address";
	case 0x83: return "address beyond the translation width";
	case 0x85: return "no write permission";
	case 0x86: return "no read permission";
	}
	return "?";
}

/* The VT-d primary fault record: 128 bits, as two 64-bit words */
static void decode_vtd_fault(const __u64 *r)
{
	__u64 hi = r[1];

	note("VT-d fault record: %016llx %016llx (high, low)",
	     (unsigned long long)hi, (unsigned long long)r[0]);
	note("  F %llu, fault reason 0x%02llx (%s)",
	     (unsigned long long)(hi >> 63),
	     (unsigned long long)((hi >> 32) & 0xff),
	     vtd_reason_name((hi >> 32) & 0xff));
	note("  %s request, source ID %02llx:%02llx.%llx",
	     (hi >> 62) & 1 ? "read" : "write",
	     (unsigned long long)((hi >> 8) & 0xff),
	     (unsigned long long)((hi >> 3) & 0x1f),
	     (unsigned long long)(hi & 7));
	note("  PASID present %llu, PASID %llu, fault info (page) 0x%llx",
	     (unsigned long long)((hi >> 31) & 1),
	     (unsigned long long)((hi >> 40) & 0xfffff),
	     (unsigned long long)(r[0] & ~0xfffULL));
}

static void show_fault(const struct iommusim_dma *d)
{
	note("fault kind %u (%s) at IOVA 0x%llx after %llu bytes, %u record bytes",
	     d->out_fault, fault_name(d->out_fault),
	     (unsigned long long)d->out_fault_addr,
	     (unsigned long long)d->out_done, d->out_record_len);
	if (d->out_record_len == 32)
		decode_smmu_event(d->out_record);
	else if (d->out_record_len == 16)
		decode_vtd_fault(d->out_record);
	else
		note("(the hardware wrote no record for this one)");
}

/* A DMA that must stop with @kind */
static void dma_faults(bool write, int pasid, __u64 iova, void *buf,
		       __u64 len, __u32 kind)
{
	struct iommusim_dma d;

	if (!dev_dma(write, pasid, iova, buf, len, &d))
		fail("DMA at 0x%llx succeeded, expected a %s",
		     (unsigned long long)iova, fault_name(kind));
	if (errno != EIO)
		die("IOMMUSIM_DEVICE_DMA (expected EIO)");
	show_fault(&d);
	if (d.out_fault != kind)
		fail("fault kind %u, expected %u (%s)", d.out_fault, kind,
		     fault_name(kind));
}

static __u64 iotlb_stats(const char *when, bool reset)
{
	struct iommusim_iotlb t = {
		.argsz = sizeof(t),
		.flags = reset ? IOMMUSIM_IOTLB_RESET_STATS : 0,
	};

	if (ioctl(live.devfd, IOMMUSIM_DEVICE_IOTLB, &t))
		die("IOMMUSIM_DEVICE_IOTLB");
	note("IOTLB %s: %u of %u entries valid, %llu hits, %llu misses, %llu invalidated",
	     when, t.out_entries, t.out_capacity,
	     (unsigned long long)t.out_hits, (unsigned long long)t.out_misses,
	     (unsigned long long)t.out_invalidated);
	return t.out_hits;
}

/* The device reads one byte at @iova (no PASID) */
static unsigned char dev_peek(__u64 iova)
{
	unsigned char c;

	dma_ok(false, -1, iova, &c, 1);
	return c;
}

/*
 * The IOTLB model: edit a leaf entry the way buggy software would (no
 * invalidation), watch DMA keep the cached translation, then invalidate.
 */
static void stale_iotlb(unsigned char *ram, __u64 gpa)
{
	const __u64 a = 1500 * PAGE, b = 1501 * PAGE;
	struct iommusim_pte_alias al = {
		.argsz = sizeof(al),
		.iova = gpa + a,
		.src_iova = gpa + b,
	};
	struct iommusim_invalidate inv = {
		.argsz = sizeof(inv),
		.iova = gpa + a,
		.length = PAGE,
	};

	step("IOTLB model: point the leaf of GPA 0x%llx at the page of 0x%llx, no invalidation",
	     (unsigned long long)(gpa + a), (unsigned long long)(gpa + b));
	ram[a] = 0xaa;
	ram[b] = 0xbb;
	if (dev_peek(gpa + a) != 0xaa)
		fail("the first read did not see page A");
	if (ioctl(live.devfd, IOMMUSIM_DEVICE_TEST_PTE_ALIAS, &al))
		die("IOMMUSIM_DEVICE_TEST_PTE_ALIAS");
	if (dev_peek(gpa + a) != 0xaa)
		fail("the IOTLB did not keep the old translation");
	note("after the edit the device still reads page A: the IOTLB entry is stale");
	if (ioctl(live.devfd, IOMMUSIM_DEVICE_INVALIDATE, &inv))
		die("IOMMUSIM_DEVICE_INVALIDATE");
	if (dev_peek(gpa + a) != 0xbb)
		fail("after the invalidation the device does not read page B");
	say_ok("only after IOMMUSIM_DEVICE_INVALIDATE does it read page B");
}

static void translate(int pasid, __u64 iova, struct iommusim_translate *x)
{
	*x = (struct iommusim_translate) {
		.argsz = sizeof(*x),
		.flags = pasid >= 0 ? IOMMUSIM_XLATE_PASID : 0,
		.pasid = pasid >= 0 ? pasid : 0,
		.iova = iova,
	};
	if (ioctl(live.devfd, IOMMUSIM_DEVICE_TRANSLATE, x))
		die("IOMMUSIM_DEVICE_TRANSLATE");
}

static void attach(__u32 pt_id, int pasid, __u32 *out_hwpt)
{
	struct iommusim_attach_pt a = {
		.argsz = sizeof(a),
		.flags = pasid >= 0 ? IOMMUSIM_ATTACH_PASID : 0,
		.pt_id = pt_id,
		.pasid = pasid >= 0 ? pasid : 0,
	};

	if (ioctl(live.devfd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT, &a))
		die("IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT");
	if (out_hwpt)
		*out_hwpt = a.pt_id;
}

static void detach(int pasid)
{
	struct iommusim_detach_pt d = {
		.argsz = sizeof(d),
		.flags = pasid >= 0 ? IOMMUSIM_DETACH_PASID : 0,
		.pasid = pasid >= 0 ? pasid : 0,
	};

	if (ioctl(live.devfd, IOMMUSIM_DEVICE_DETACH_IOMMUFD_PT, &d))
		die("IOMMUSIM_DEVICE_DETACH_IOMMUFD_PT");
}

/* ---------------------------------------------------------------- */
/* Requests of /dev/iommu                                            */

static __u32 ioas_alloc(void)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	if (ioctl(live.iommufd, IOMMU_IOAS_ALLOC, &cmd))
		die("IOMMU_IOAS_ALLOC");
	return cmd.out_ioas_id;
}

static void ioas_map(__u32 ioas, void *va, __u64 len, __u64 iova, bool wr)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 (wr ? IOMMU_IOAS_MAP_WRITEABLE : 0),
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
		.iova = iova,
	};

	if (ioctl(live.iommufd, IOMMU_IOAS_MAP, &cmd))
		die("IOMMU_IOAS_MAP");
}

static void ioas_unmap(__u32 ioas, __u64 iova, __u64 len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};

	if (ioctl(live.iommufd, IOMMU_IOAS_UNMAP, &cmd))
		die("IOMMU_IOAS_UNMAP");
	if (cmd.length != len)
		fail("unmapped %llu of %llu bytes",
		     (unsigned long long)cmd.length, (unsigned long long)len);
}

static void destroy(__u32 id, const char *what)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	step("IOMMU_DESTROY %s (id %u)", what, id);
	if (ioctl(live.iommufd, IOMMU_DESTROY, &cmd))
		die("IOMMU_DESTROY");
	say_ok("destroyed");
}

static __u32 hwpt_alloc(__u32 dev_id, __u32 ioas, __u32 flags)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = ioas,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};

	if (ioctl(live.iommufd, IOMMU_HWPT_ALLOC, &cmd))
		die("IOMMU_HWPT_ALLOC");
	return cmd.out_hwpt_id;
}

static void set_dirty_tracking(__u32 hwpt, bool on)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = on ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt,
	};

	if (ioctl(live.iommufd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd))
		die("IOMMU_HWPT_SET_DIRTY_TRACKING");
}

static void get_dirty_bitmap(__u32 hwpt, __u64 iova, __u64 len,
			     __u64 *bitmap, bool no_clear)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.flags = no_clear ? IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR : 0,
		.iova = iova,
		.length = len,
		.page_size = PAGE,
		.data = (uintptr_t)bitmap,
	};

	/* The kernel only sets bits: a fresh harvest starts from zero */
	memset(bitmap, 0, len / PAGE / 8);
	if (ioctl(live.iommufd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd))
		die("IOMMU_HWPT_GET_DIRTY_BITMAP");
}

/* ---------------------------------------------------------------- */
/* IOMMU_GET_HW_INFO                                                 */

static void show_smmu_regs(const struct iommu_hw_info_arm_smmuv3 *s)
{
	__u32 idr0 = s->idr[0], idr1 = s->idr[1], idr5 = s->idr[5];
	static const unsigned int oas_bits[] = { 32, 36, 40, 42, 44, 48, 52 };

	note("IDR0 0x%08x IDR1 0x%08x IDR3 0x%08x IDR5 0x%08x IIDR 0x%08x AIDR 0x%08x",
	     idr0, idr1, s->idr[3], idr5, s->iidr, s->aidr);
	note("  stage 1 %s, stage 2 %s, HTTU %s, ATS %s, PRI %s, %s-level stream table",
	     idr0 & (1 << 1) ? "yes" : "no", idr0 & 1 ? "yes" : "no",
	     ((idr0 >> 6) & 3) == 2 ? "access+dirty" :
	     ((idr0 >> 6) & 3) == 1 ? "access" : "none",
	     idr0 & (1 << 10) ? "yes" : "no", idr0 & (1 << 16) ? "yes" : "no",
	     ((idr0 >> 27) & 3) == 1 ? "2" : "1");
	note("  SIDSIZE %u bits, SSIDSIZE %u bits, OAS %u bits, 4K granule %s",
	     idr1 & 0x3f, (idr1 >> 6) & 0x1f,
	     (idr5 & 7) < 7 ? oas_bits[idr5 & 7] : 0,
	     idr5 & (1 << 4) ? "yes" : "no");
}

static void show_vtd_regs(const struct iommu_hw_info_vtd *v)
{
	unsigned long long cap = v->cap_reg, ecap = v->ecap_reg;

	note("CAP 0x%016llx ECAP 0x%016llx flags 0x%x", cap, ecap, v->flags);
	note("  MGAW %llu bits, SAGAW 0x%llx, %llu domain IDs, large pages 0x%llx",
	     ((cap >> 16) & 0x3f) + 1, (cap >> 8) & 0x1f,
	     1ULL << (4 + 2 * (cap & 7)), (cap >> 34) & 0xf);
	note("  scalable mode %s, PASID %s (PSS %llu: %llu bits)",
	     (ecap >> 43) & 1 ? "yes" : "no", (ecap >> 40) & 1 ? "yes" : "no",
	     (ecap >> 35) & 0x1f, ((ecap >> 35) & 0x1f) + 1);
	note("  first level %s, second level %s, second-level A/D bits %s",
	     (ecap >> 47) & 1 ? "yes" : "no", (ecap >> 46) & 1 ? "yes" : "no",
	     (ecap >> 45) & 1 ? "yes" : "no");
}

static void get_hw_info(const struct family *fam, __u32 dev_id)
{
	union {
		struct iommu_hw_info_arm_smmuv3 smmu;
		struct iommu_hw_info_vtd vtd;
		__u8 raw[256];
	} data;
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};

	step("IOMMU_GET_HW_INFO for device %u", dev_id);
	memset(&data, 0, sizeof(data));
	if (ioctl(live.iommufd, IOMMU_GET_HW_INFO, &cmd))
		die("IOMMU_GET_HW_INFO");
	if (cmd.out_data_type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
		show_smmu_regs(&data.smmu);
	else if (cmd.out_data_type == IOMMU_HW_INFO_TYPE_INTEL_VTD)
		show_vtd_regs(&data.vtd);
	note("out_max_pasid_log2 %u, out_capabilities 0x%llx%s%s%s",
	     cmd.out_max_pasid_log2,
	     (unsigned long long)cmd.out_capabilities,
	     cmd.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING ?
	     " DIRTY_TRACKING" : "",
	     cmd.out_capabilities & IOMMU_HW_CAP_PCI_PASID_EXEC ?
	     " PCI_PASID_EXEC" : "",
	     cmd.out_capabilities & IOMMU_HW_CAP_PCI_PASID_PRIV ?
	     " PCI_PASID_PRIV" : "");
	if (cmd.out_data_type != fam->hw_info_type)
		fail("data type %u, expected %u", cmd.out_data_type,
		     fam->hw_info_type);
	if (cmd.out_max_pasid_log2 != DEV_PASID_BITS)
		fail("PASID width %u, expected the device's %u",
		     cmd.out_max_pasid_log2, DEV_PASID_BITS);
	if (!(cmd.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING))
		fail("no IOMMU_HW_CAP_DIRTY_TRACKING (instance made with dirty=1)");
	say_ok("type %u, %u data bytes; a VMM builds its virtual IOMMU from these",
	       cmd.out_data_type, cmd.data_len);
}

/* ---------------------------------------------------------------- */

static int gpa_fits(const struct iommu_iova_range *r, __u32 num,
		    __u64 gpa, __u64 len)
{
	__u32 i;

	for (i = 0; i != num; i++)
		if (gpa >= r[i].start && gpa + len - 1 <= r[i].last)
			return 1;
	return 0;
}

static __u64 choose_gpa(__u32 ioas)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
	};
	struct iommu_iova_range *r;
	__u64 gpa = 0;
	__u32 i;

	step("IOMMU_IOAS_IOVA_RANGES: where may the device DMA?");
	if (!ioctl(live.iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd) ||
	    errno != EMSGSIZE)
		die("IOMMU_IOAS_IOVA_RANGES (count)");
	r = calloc(cmd.num_iovas, sizeof(*r));
	if (!r)
		die("calloc");
	cmd.allowed_iovas = (uintptr_t)r;
	if (ioctl(live.iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd))
		die("IOMMU_IOAS_IOVA_RANGES");
	for (i = 0; i != cmd.num_iovas; i++)
		note("range %u: 0x%016llx .. 0x%016llx", i,
		     (unsigned long long)r[i].start,
		     (unsigned long long)r[i].last);
	if (gpa_fits(r, cmd.num_iovas, GPA_HIGH, RAM_SIZE))
		gpa = GPA_HIGH;
	else if (gpa_fits(r, cmd.num_iovas, GPA_LOW, RAM_SIZE))
		gpa = GPA_LOW;
	free(r);
	if (!gpa) {
		errno = ERANGE;
		die("no usable IOVA range for guest RAM");
	}
	note("the holes: the reserved (MSI / interrupt) window and what lies");
	note("beyond the IOMMU's input address size");
	say_ok("guest RAM goes at GPA 0x%llx", (unsigned long long)gpa);
	return gpa;
}

static void *map_anon(__u64 len, int fill)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	/*
	 * 4 KiB pages only: contiguous memory would be mapped with 2 MiB
	 * IOPTEs, and one DMA write would then mark a whole 2 MiB dirty,
	 * which is correct but makes the dirty log below less readable.
	 */
	madvise(p, len, MADV_NOHUGEPAGE);
	memset(p, fill, len);
	return p;
}

static void fill_pattern(unsigned char *p, __u64 len, unsigned int seed)
{
	__u64 i;

	for (i = 0; i != len; i++)
		p[i] = (unsigned char)(i * 7 + seed * 13 + (i >> 12));
}

/* ---------------------------------------------------------------- */
/* The dirty log                                                     */

struct write_op {
	__u64 off;	/* offset in guest RAM */
	__u64 len;
};

static void mark_expected(__u64 *bm, const struct write_op *w, int n)
{
	__u64 pg;
	int i;

	for (i = 0; i != n; i++)
		for (pg = w[i].off / PAGE; pg <= (w[i].off + w[i].len - 1) / PAGE;
		     pg++)
			bm[pg / 64] |= 1ULL << (pg % 64);
}

static bool test_bit64(const __u64 *bm, __u64 n)
{
	return (bm[n / 64] >> (n % 64)) & 1;
}

/* Print the dirty pages as GPA ranges; returns how many are dirty */
static unsigned int print_dirty(const __u64 *bm, __u64 gpa)
{
	unsigned int count = 0, shown = 0;
	char line[512];
	int pos = 0;
	__u64 n, first;

	line[0] = 0;
	for (n = 0; n < RAM_PAGES; n++) {
		if (!test_bit64(bm, n))
			continue;
		first = n;
		while (n + 1 < RAM_PAGES && test_bit64(bm, n + 1))
			n++;
		count += n - first + 1;
		if (pos < (int)sizeof(line) - 64 && shown++ < 12)
			pos += snprintf(line + pos, sizeof(line) - pos,
					first == n ? " 0x%llx" : " 0x%llx-0x%llx",
					(unsigned long long)(gpa + first * PAGE),
					(unsigned long long)(gpa + n * PAGE + PAGE - 1));
	}
	note("%u dirty page(s)%s%s", count, count ? ":" : "", line);
	return count;
}

static void check_bitmap(const __u64 *got, const __u64 *want)
{
	__u64 n;

	for (n = 0; n < RAM_PAGES; n++)
		if (test_bit64(got, n) != test_bit64(want, n))
			fail("page %llu (GPA offset 0x%llx) is %s but %s",
			     (unsigned long long)n,
			     (unsigned long long)(n * PAGE),
			     test_bit64(got, n) ? "reported dirty" :
			     "not reported", test_bit64(want, n) ?
			     "the device wrote it" : "nothing wrote it");
}

/* The device writes the listed ranges of guest RAM */
static void device_writes(unsigned char *ram, __u64 gpa,
			  const struct write_op *w, int n, unsigned int seed,
			  __u64 *expect)
{
	unsigned char *buf;
	int i;

	memset(expect, 0, RAM_PAGES / 8);
	for (i = 0; i != n; i++) {
		buf = malloc(w[i].len);
		if (!buf)
			die("malloc");
		fill_pattern(buf, w[i].len, seed + i);
		dma_ok(true, -1, gpa + w[i].off, buf, w[i].len);
		if (memcmp(ram + w[i].off, buf, w[i].len))
			fail("guest RAM does not hold what the device wrote");
		note("device wrote %6llu bytes at GPA 0x%llx", (unsigned long long)w[i].len,
		     (unsigned long long)(gpa + w[i].off));
		free(buf);
	}
	mark_expected(expect, w, n);
}

/* Copy the dirty pages to the destination, as pre-copy does */
static void send_pages(const __u64 *bm, const unsigned char *ram,
		       unsigned char *dst)
{
	__u64 n;

	for (n = 0; n < RAM_PAGES; n++)
		if (test_bit64(bm, n))
			memcpy(dst + n * PAGE, ram + n * PAGE, PAGE);
}

static void show_leaf(__u64 iova, const char *when)
{
	struct iommusim_translate x;

	translate(-1, iova, &x);
	if (x.out_fault)
		fail("TRANSLATE of 0x%llx: %s", (unsigned long long)iova,
		     fault_name(x.out_fault));
	note("leaf of GPA 0x%llx %s: level %u, %llu KiB page, entry 0x%016llx, dirty %u",
	     (unsigned long long)iova, when, x.out_level,
	     (unsigned long long)(x.out_page_size / KiB),
	     (unsigned long long)x.out_pte, x.out_dirty);
}

static void dirty_log(__u32 hwpt, unsigned char *ram, __u64 gpa)
{
	/* Round 1: scattered writes, one spanning three pages */
	static const struct write_op round1[] = {
		{ 1 * PAGE + 16, 100 },
		{ 37 * PAGE + 4000, 2 * PAGE + 200 },	/* pages 37..39 */
		{ 1000 * PAGE, PAGE },
		{ RAM_SIZE - 8, 8 },			/* last page */
	};
	/* Round 2: page 1 again (dirty, cleared, dirty again) and new ones */
	static const struct write_op round2[] = {
		{ 1 * PAGE + 2000, 64 },
		{ 512 * PAGE, 5 * PAGE },		/* 512..516 */
	};
	size_t bmlen = RAM_PAGES / 8;
	__u64 *bm = malloc(bmlen), *want = malloc(bmlen);
	unsigned char *dst;
	unsigned int n;

	if (!bm || !want)
		die("malloc");

	step("IOMMU_HWPT_SET_DIRTY_TRACKING on HWPT %u: live migration starts",
	     hwpt);
	set_dirty_tracking(hwpt, true);
	say_ok("the IOMMU now records DMA writes in its page-table entries");

	step("GET_DIRTY_BITMAP: enabling started a clean log; send all of RAM");
	get_dirty_bitmap(hwpt, gpa, RAM_SIZE, bm, false);
	memset(want, 0, bmlen);
	print_dirty(bm, gpa);
	check_bitmap(bm, want);
	dst = malloc(RAM_SIZE);
	if (!dst)
		die("malloc");
	memcpy(dst, ram, RAM_SIZE);
	say_ok("nothing dirty yet; the destination has a full copy of RAM");

	step("pre-copy round 1: the device keeps writing guest RAM");
	device_writes(ram, gpa, round1, 4, 1, want);
	show_leaf(gpa + 37 * PAGE, "after the write");
	say_ok("done");

	step("GET_DIRTY_BITMAP with NO_CLEAR (look without harvesting)");
	get_dirty_bitmap(hwpt, gpa, RAM_SIZE, bm, true);
	print_dirty(bm, gpa);
	check_bitmap(bm, want);
	say_ok("exactly the pages the device wrote");

	step("GET_DIRTY_BITMAP (read and clear): send those pages");
	get_dirty_bitmap(hwpt, gpa, RAM_SIZE, bm, false);
	n = print_dirty(bm, gpa);
	check_bitmap(bm, want);
	send_pages(bm, ram, dst);
	show_leaf(gpa + 37 * PAGE, "after the harvest");
	say_ok("%u page(s) sent; their dirty state is cleared", n);

	step("GET_DIRTY_BITMAP again with no DMA in between");
	get_dirty_bitmap(hwpt, gpa, RAM_SIZE, bm, false);
	memset(want, 0, bmlen);
	print_dirty(bm, gpa);
	check_bitmap(bm, want);
	say_ok("nothing new: the log converges when the device is idle");

	step("pre-copy round 2: the device writes page 1 again and five new pages");
	device_writes(ram, gpa, round2, 2, 9, want);
	get_dirty_bitmap(hwpt, gpa, RAM_SIZE, bm, false);
	n = print_dirty(bm, gpa);
	check_bitmap(bm, want);
	send_pages(bm, ram, dst);
	say_ok("%u page(s) sent: a page cleared in round 1 is caught again", n);

	step("stop-and-copy: device stopped, last harvest, compare both sides");
	get_dirty_bitmap(hwpt, gpa, RAM_SIZE, bm, false);
	send_pages(bm, ram, dst);
	if (memcmp(dst, ram, RAM_SIZE))
		fail("the destination differs from guest RAM: a write was missed");
	say_ok("the destination's %llu MiB equal guest RAM byte for byte",
	       (unsigned long long)(RAM_SIZE / MiB));

	step("IOMMU_HWPT_SET_DIRTY_TRACKING off");
	set_dirty_tracking(hwpt, false);
	say_ok("migration over (or cancelled): writes are no longer recorded");
	free(dst);
	free(bm);
	free(want);
}

/* ---------------------------------------------------------------- */

static void create_instance_and_device(const struct family *fam)
{
	char path[256];

	step("create a simulated %s: write \"%u %s\" to %s/new_iommu",
	     fam->type, fam->id, fam->type, SYSBUS);
	if (sysfs_write(SYSBUS "/new_iommu", "%u %s", fam->id, fam->type)) {
		if (errno == ENOENT)
			fail("%s/new_iommu missing: is iommusim.ko loaded?",
			     SYSBUS);
		die("new_iommu");
	}
	live.fam = fam;
	live.instance = true;
	snprintf(path, sizeof(path), SYSBUS "/devices/iommusim%u/caps", fam->id);
	print_file(path);
	say_ok("instance iommusim%u with the default capabilities", fam->id);

	step("create a device behind it: %s, PASID width %u",
	     fam->sid_what, DEV_PASID_BITS);
	snprintf(path, sizeof(path), SYSBUS "/devices/iommusim%u/new_device",
		 fam->id);
	if (sysfs_write(path, "%u pasid_bits=%u", fam->sid, DEV_PASID_BITS))
		die("new_device");
	live.device = true;
	say_ok("char device /dev/iommusim/%u-%u", fam->id, fam->sid);
}

static void open_device(const struct family *fam)
{
	char path[64];
	int tries;

	snprintf(path, sizeof(path), "/dev/iommusim/%u-%u", fam->id, fam->sid);
	step("open %s (a VMM opens /dev/vfio/devices/vfioN)", path);
	for (tries = 0; tries < 50; tries++) {
		live.devfd = open(path, O_RDWR | O_CLOEXEC);
		if (live.devfd >= 0 || errno != ENOENT)
			break;
		usleep(20000);	/* devtmpfs may still be creating it */
	}
	if (live.devfd < 0)
		die(path);
	say_ok("fd %d", live.devfd);
}

static __u32 bind_device(void)
{
	struct iommusim_bind_iommufd b = {
		.argsz = sizeof(b),
		.iommufd = live.iommufd,
	};

	step("BIND_IOMMUFD: bind the device to this iommufd");
	if (ioctl(live.devfd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &b))
		die("IOMMUSIM_DEVICE_BIND_IOMMUFD");
	say_ok("device ID %u in the iommufd (VFIO_DEVICE_BIND_IOMMUFD layout)",
	       b.out_devid);
	return b.out_devid;
}

static void run_family(const struct family *fam)
{
	__u32 dev_id, ioas, auto_hwpt, dirty_hwpt, pasid_ioas, pasid_hwpt, got;
	unsigned char *ram, *pbuf, *buf;
	struct iommusim_attach_pt bad;
	__u64 gpa, ro_iova;
	void *ro_page;

	printf("\n=== %s ===\n", fam->type);
	create_instance_and_device(fam);
	open_device(fam);

	step("open /dev/iommu");
	live.iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (live.iommufd < 0)
		die("open /dev/iommu (is iommufd_core.ko loaded?)");
	say_ok("fd %d", live.iommufd);

	dev_id = bind_device();
	get_hw_info(fam, dev_id);

	step("before any attach the device's DMA is blocked");
	buf = malloc(2 * MiB);
	if (!buf)
		die("malloc");
	dma_faults(false, -1, GPA_HIGH, buf, 64, IOMMUSIM_FAULT_BLOCKED);
	say_ok("blocked");

	step("IOMMU_IOAS_ALLOC: the guest-physical address space");
	ioas = ioas_alloc();
	say_ok("IOAS %u", ioas);

	step("ATTACH_IOMMUFD_PT the device's RID to IOAS %u", ioas);
	attach(ioas, -1, &auto_hwpt);
	say_ok("attached; the kernel made automatic HWPT %u", auto_hwpt);

	gpa = choose_gpa(ioas);

	step("mmap %llu MiB of guest RAM and IOMMU_IOAS_MAP it at GPA 0x%llx",
	     (unsigned long long)(RAM_SIZE / MiB), (unsigned long long)gpa);
	ram = map_anon(RAM_SIZE, 0xe5);
	ioas_map(ioas, ram, RAM_SIZE, gpa, true);
	say_ok("pinned and mapped: IOVA == guest physical address");

	step("DMA write: the device writes 3 pages + 300 bytes at GPA 0x%llx",
	     (unsigned long long)(gpa + 0x3080));
	fill_pattern(buf, 3 * PAGE + 300, 1);
	dma_ok(true, -1, gpa + 0x3080, buf, 3 * PAGE + 300);
	if (memcmp(ram + 0x3080, buf, 3 * PAGE + 300))
		fail("guest RAM does not hold what the device wrote");
	say_ok("guest RAM at offset 0x3080 holds the pattern");

	step("DMA read: the CPU fills 1 MiB of guest RAM, the device reads it");
	fill_pattern(ram + 2 * MiB, MiB, 2);
	memset(buf, 0, MiB);
	iotlb_stats("before", true);
	dma_ok(false, -1, gpa + 2 * MiB, buf, MiB);
	if (memcmp(ram + 2 * MiB, buf, MiB))
		fail("the device read something else than guest RAM holds");
	iotlb_stats("after one read", false);
	dma_ok(false, -1, gpa + 2 * MiB, buf, MiB);
	if (iotlb_stats("after the same read again", false) < MiB / PAGE)
		fail("the second read did not hit the IOTLB for every page");
	say_ok("data match; the second read hit the IOTLB filled by the first");

	stale_iotlb(ram, gpa);

	step("fault: DMA read of GPA 0x%llx, just past guest RAM (unmapped)",
	     (unsigned long long)(gpa + RAM_SIZE));
	dma_faults(false, -1, gpa + RAM_SIZE, buf, 64,
		   IOMMUSIM_FAULT_TRANSLATION);
	say_ok("translation fault, with the architected record");

	ro_iova = gpa + RAM_SIZE + 2 * MiB;
	step("fault: map one page read-only at 0x%llx, let the device write it",
	     (unsigned long long)ro_iova);
	ro_page = map_anon(PAGE, 0x11);
	ioas_map(ioas, ro_page, PAGE, ro_iova, false);
	dma_ok(false, -1, ro_iova, buf, PAGE);
	dma_faults(true, -1, ro_iova, buf, 64, IOMMUSIM_FAULT_PERMISSION);
	if (((unsigned char *)ro_page)[0] != 0x11)
		fail("the read-only page was modified");
	ioas_unmap(ioas, ro_iova, PAGE);
	munmap(ro_page, PAGE);
	say_ok("reads work, the write faulted and changed nothing; page unmapped");

	step("IOMMU_HWPT_ALLOC on IOAS %u with DIRTY_TRACKING | PASID", ioas);
	dirty_hwpt = hwpt_alloc(dev_id, ioas,
				IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				IOMMU_HWPT_ALLOC_PASID);
	note("ALLOC_PASID: once a PASID of the device is attached, every HWPT");
	note("of the device, the RID's included, must have been allocated with it");
	say_ok("HWPT %u, already holding the IOAS's mappings", dirty_hwpt);

	step("ATTACH_IOMMUFD_PT the RID to HWPT %u (replaces HWPT %u)",
	     dirty_hwpt, auto_hwpt);
	attach(dirty_hwpt, -1, &got);
	if (got != dirty_hwpt)
		fail("attached to %u", got);
	fill_pattern(buf, 2 * PAGE, 3);
	dma_ok(true, -1, gpa + 0x10000, buf, 2 * PAGE);
	if (memcmp(ram + 0x10000, buf, 2 * PAGE))
		fail("guest RAM does not hold what the device wrote");
	{
		struct iommu_destroy cmd = { .size = sizeof(cmd),
					     .id = auto_hwpt };

		/* An automatic HWPT goes away with its last device */
		if (!ioctl(live.iommufd, IOMMU_DESTROY, &cmd) ||
		    errno != ENOENT)
			fail("automatic HWPT %u still exists", auto_hwpt);
	}
	say_ok("DMA goes through the new table; automatic HWPT %u is gone",
	       auto_hwpt);

	step("PASID: a second address space (IOAS) with a 64 KiB buffer at IOVA 0x%llx",
	     (unsigned long long)gpa);
	pasid_ioas = ioas_alloc();
	pbuf = map_anon(PASID_BUF_SIZE, 0);
	ioas_map(pasid_ioas, pbuf, PASID_BUF_SIZE, gpa, true);
	pasid_hwpt = hwpt_alloc(dev_id, pasid_ioas, IOMMU_HWPT_ALLOC_PASID);
	say_ok("IOAS %u, HWPT %u (ALLOC_PASID)", pasid_ioas, pasid_hwpt);

	step("PASID attach rules: PASID 0 is the RID, %u bits allow 1..%u",
	     DEV_PASID_BITS, (1u << DEV_PASID_BITS) - 1);
	bad = (struct iommusim_attach_pt) {
		.argsz = sizeof(bad), .flags = IOMMUSIM_ATTACH_PASID,
		.pt_id = pasid_hwpt, .pasid = 0,
	};
	if (!ioctl(live.devfd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT, &bad) ||
	    errno != EINVAL)
		fail("attach at PASID 0 was not refused with EINVAL");
	bad.pasid = 1u << DEV_PASID_BITS;
	if (!ioctl(live.devfd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT, &bad) ||
	    errno != EINVAL)
		fail("attach at PASID %u was not refused with EINVAL", bad.pasid);
	say_ok("PASID 0 and PASID %u refused with EINVAL", bad.pasid);

	step("ATTACH_IOMMUFD_PT HWPT %u at PASID %u", pasid_hwpt, THE_PASID);
	attach(pasid_hwpt, THE_PASID, NULL);
	say_ok("attached; the RID keeps HWPT %u", dirty_hwpt);

	step("DMA write with PASID %u and without, both at IOVA 0x%llx",
	     THE_PASID, (unsigned long long)gpa);
	fill_pattern(buf, PAGE, 4);
	dma_ok(true, THE_PASID, gpa, buf, PAGE);
	if (memcmp(pbuf, buf, PAGE))
		fail("the PASID's buffer does not hold what the device wrote");
	if (!memcmp(ram, buf, PAGE))
		fail("the PASID write landed in guest RAM");
	fill_pattern(buf + PAGE, PAGE, 5);
	dma_ok(true, -1, gpa, buf + PAGE, PAGE);
	if (memcmp(ram, buf + PAGE, PAGE) || !memcmp(pbuf, buf + PAGE, PAGE))
		fail("the RID write did not land in guest RAM only");
	dma_faults(false, THE_PASID, gpa + PASID_BUF_SIZE, buf, 64,
		   IOMMUSIM_FAULT_TRANSLATION);
	say_ok("same IOVA, two address spaces; past the PASID's buffer it faults");

	step("ATTACH_IOMMUFD_PT the RID's HWPT %u at PASID %u as well",
	     dirty_hwpt, SHARED_PASID);
	attach(dirty_hwpt, SHARED_PASID, NULL);
	memset(buf, 0, MiB);
	dma_ok(false, SHARED_PASID, gpa + 2 * MiB, buf, MiB);
	if (memcmp(ram + 2 * MiB, buf, MiB))
		fail("PASID %u does not see guest RAM", SHARED_PASID);
	say_ok("one domain at the RID and at PASID %u: both see guest RAM",
	       SHARED_PASID);

	dirty_log(dirty_hwpt, ram, gpa);

	step("teardown: DETACH PASIDs %u and %u, then the RID", THE_PASID,
	     SHARED_PASID);
	detach(THE_PASID);
	detach(SHARED_PASID);
	detach(-1);
	dma_faults(false, -1, gpa, buf, 64, IOMMUSIM_FAULT_BLOCKED);
	dma_faults(false, THE_PASID, gpa, buf, 64, IOMMUSIM_FAULT_BLOCKED);
	say_ok("the device's DMA is blocked again");

	destroy(pasid_hwpt, "PASID HWPT");
	destroy(dirty_hwpt, "dirty-tracking HWPT");

	step("IOMMU_IOAS_UNMAP guest RAM and the PASID buffer");
	ioas_unmap(ioas, gpa, RAM_SIZE);
	ioas_unmap(pasid_ioas, gpa, PASID_BUF_SIZE);
	say_ok("unpinned");
	destroy(pasid_ioas, "PASID IOAS");
	destroy(ioas, "guest IOAS");

	step("close the device (unbinds it), then /dev/iommu");
	if (close(live.devfd))
		die("close device");
	live.devfd = -1;
	if (close(live.iommufd))
		die("close /dev/iommu");
	live.iommufd = -1;
	say_ok("closed");

	step("del_iommu while the device exists is refused");
	if (!sysfs_write(SYSBUS "/del_iommu", "%u", fam->id) || errno != EBUSY)
		fail("del_iommu did not fail with EBUSY");
	say_ok("EBUSY");

	step("del_device %u, then del_iommu %u", fam->sid, fam->id);
	{
		char path[256];

		snprintf(path, sizeof(path),
			 SYSBUS "/devices/iommusim%u/del_device", fam->id);
		if (sysfs_write(path, "%u", fam->sid))
			die("del_device");
		live.device = false;
		if (sysfs_write(SYSBUS "/del_iommu", "%u", fam->id))
			die("del_iommu");
		live.instance = false;
	}
	say_ok("the simulated hardware is gone");

	munmap(ram, RAM_SIZE);
	munmap(pbuf, PASID_BUF_SIZE);
	free(buf);
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "both";
	unsigned int i, ran = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(which, "smmuv3") && strcmp(which, "vtd") &&
	    strcmp(which, "both")) {
		fprintf(stderr, "usage: %s [smmuv3|vtd|both]\n", argv[0]);
		return 2;
	}
	printf("sim_vmm: a VMM's view of a device behind a simulated IOMMU\n");
	for (i = 0; i != NR_ELEMS(families); i++) {
		if (strcmp(which, "both") && strcmp(which, families[i].type))
			continue;
		run_family(&families[i]);
		ran++;
	}
	printf("\nsim_vmm: all %d steps succeeded (%u IOMMU famil%s)\n",
	       step_no, ran, ran == 1 ? "y" : "ies");
	return 0;
}
