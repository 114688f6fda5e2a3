// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd_fuzz: a structure-aware fuzzer for /dev/iommu (and, when the
 * iommusim module is loaded, for the char devices of simulated devices).
 *
 * It knows every request of include/uapi/linux/iommufd.h, the VFIO type1
 * compatibility requests, the IOMMU_TEST_CMD ops of iommufd_test.h and the
 * iommusim cdev requests. It keeps pools of what is alive (several iommufd
 * descriptors; per descriptor the IDs it got back by type; access and event
 * descriptors; IOVA ranges it mapped; user buffers, some of them unmapped
 * again) and fills each field of a request from a mix of valid values
 * (taken from the pools), boundary values (sizes around the minimum,
 * IOVAs and lengths at alignment and overflow edges) and garbage (wrong
 * object types, IDs of another descriptor, random bits, unknown flags).
 * Descriptors are closed and reopened, buffers unmapped under live
 * mappings, and child processes that share the descriptors fuzz
 * concurrently with the main process (up to three at a time) until they
 * are killed with SIGKILL at a random moment, mostly in the middle of a
 * request.
 *
 * With KCOV (the debug kernel has /sys/kernel/debug/kcov) every request is
 * traced; an argument block that reached a program counter never seen
 * before is kept in a small corpus, and later requests are sometimes
 * mutations of a corpus entry (field-wise, pointer fields kept inside the
 * fuzzer's own memory). The number of distinct PCs is reported at the end.
 *
 * The run passes when the kernel survives: every request returns (any
 * errno is fine), nothing but our own SIGKILLs ends a process, the kernel
 * log (/dev/kmsg, watched during the run) shows no WARN, BUG, KASAN, UBSAN,
 * lockdep or refcount report, every page is unpinned once all descriptors
 * are closed, and a fresh descriptor can still do IOAS_ALLOC, MAP (with a
 * mock domain attached), UNMAP, DESTROY. kmemleak is left to the VM
 * runner, which scans after the suites.
 *
 * Usage: iommufd_fuzz [-s SEED] [-n ITERATIONS] [-t SECONDS] [-v]
 *   The budget is whichever of -n and -t runs out first. Defaults: 15 s on
 *   a stock kernel, 30 s when the debug kernel is detected (kcov or
 *   kmemleak in debugfs), no iteration limit. The seed is printed at the
 *   start; the sequence of requests of the main process is a function of
 *   the seed alone, except where KCOV feedback (corpus) or the exact
 *   moment a child is killed changes what follows.
 *   In the VM, options can also come from the kernel command line
 *   (iommufd_fuzz.seed=N iommufd_fuzz.iters=N iommufd_fuzz.secs=N), which
 *   affects only this suite. A ten minute run on the debug kernel:
 *
 *     make modules tests && MODULES="drivers/iommu/iommufd/iommufd_core.ko \
 *       drivers/iommu/iommusim/iommusim.ko" VM_TIMEOUT_DEBUG=1200 \
 *       scripts/debug-lane.sh --append iommufd_fuzz.secs=600 \
 *       build/tests/iommufd_fuzz
 *
 *   (scripts/vm/run --append ... does the same on the stock kernel.)
 *
 * Output is kselftest TAP: one line per phase.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/kcov.h>
#include <linux/vfio.h>
#include "../../../../drivers/iommu/iommufd/iommufd_test.h"
#include "../../../../include/uapi/linux/iommusim.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define U64_MAX_ ((__u64)~0ULL)

/* ---- budget and options --------------------------------------------- */

static uint64_t opt_seed;
static bool opt_seed_set;
static uint64_t opt_iters = ~0ULL;
static unsigned int opt_secs;
static bool opt_verbose;
static bool debug_kernel;

/* ---- PRNG (splitmix64): one stream, so a seed replays the run ----- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rn(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return rn(100) < pct;
}

/* ---- state shared with the supervising parent ----------------------- */

enum { PH_FUZZ, PH_SIM, PH_PINS, PH_NR };

struct shared {
	uint64_t calls;
	uint64_t child_calls;	/* requests the children issued */
	uint64_t crashes;	/* children ended by anything but our kill */
	uint64_t kills;		/* children we SIGKILLed mid-run */
	uint64_t child_runs;
	uint64_t iter;
	uint64_t sim_calls;
	int last_cmd;
	int sim_state;		/* 0 absent, 1 fuzzed, -1 setup failed */
	int result[PH_NR];	/* 1 ok, 0 failed, -1 not run */
	char sim_why[96];
	char why[PH_NR][160];
};

static struct shared *sh;
static bool in_child;

/* ---- memory: an arena of buffer slots between guard gaps ------------ */

#define NBUF		8
#define SLOT_SIZE	(8UL << 20)
#define BUF_MAX		(4UL << 20)
#define AUX_SIZE	(64UL << 10)

enum buf_kind { B_PRIVATE, B_SHARED, B_MEMFD, B_HUGE, B_KINDS };

struct buf {
	char *base;		/* fixed slot address */
	size_t len;		/* 0: nothing mapped (PROT_NONE) */
	int kind;
};

static size_t psize;
static char *arena;
static struct buf bufs[NBUF];
static char *aux;		/* arrays the kernel reads or writes */
static char *argpage;		/* two RW pages then a PROT_NONE guard */
static int memfd = -1;
static bool have_huge;

static void buf_drop(struct buf *b)
{
	/* PROT_NONE over the slot: the range stays ours, the pages go */
	mmap(b->base, SLOT_SIZE, PROT_NONE,
	     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	b->len = 0;
}

static void buf_make(struct buf *b)
{
	int kind = rn(B_KINDS);
	size_t len = psize * (1 + rn(64));
	void *p = MAP_FAILED;

	if (chance(15))
		len = psize * (1 + rn(BUF_MAX / psize));
	if (kind == B_HUGE && !have_huge)
		kind = B_SHARED;
	if (kind == B_HUGE) {
		len = (2UL << 20) * (1 + rn(2));
		p = mmap(b->base, len, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB,
			 -1, 0);
		if (p == MAP_FAILED)
			kind = B_SHARED;
	}
	if (kind == B_MEMFD && memfd >= 0) {
		p = mmap(b->base, len, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_SHARED, memfd,
			 psize * rn(1024 - len / psize + 1));
		if (p == MAP_FAILED)
			kind = B_SHARED;
	} else if (kind == B_MEMFD) {
		kind = B_SHARED;
	}
	if (p == MAP_FAILED)
		p = mmap(b->base, len, PROT_READ | PROT_WRITE,
			 MAP_FIXED | MAP_ANONYMOUS |
			 (kind == B_SHARED ? MAP_SHARED : MAP_PRIVATE), -1, 0);
	if (p == MAP_FAILED) {
		buf_drop(b);
		return;
	}
	/* Touch every page so that pinning finds memory */
	memset(p, 0xa5 ^ (int)(uintptr_t)b, len);
	b->len = len;
	b->kind = kind;
}

static int mem_setup(void)
{
	uintptr_t a;
	int i;

	psize = sysconf(_SC_PAGESIZE);
	/* One slot extra so the slots can start 2 MiB aligned (hugetlb) */
	a = (uintptr_t)mmap(NULL, (NBUF + 1) * SLOT_SIZE, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (a == (uintptr_t)MAP_FAILED)
		return -1;
	arena = (char *)((a + (2UL << 20) - 1) & ~((2UL << 20) - 1));
	aux = mmap(NULL, AUX_SIZE + psize, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	argpage = mmap(NULL, 3 * psize, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (aux == MAP_FAILED || argpage == MAP_FAILED)
		return -1;
	mprotect(aux + AUX_SIZE, psize, PROT_NONE);
	mprotect(argpage + 2 * psize, psize, PROT_NONE);
	memfd = memfd_create("iommufd_fuzz", 0);
	if (memfd >= 0 && ftruncate(memfd, 1024 * psize))
		memfd = -1;
	{
		void *h = mmap(NULL, 2UL << 20, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
			       MAP_POPULATE, -1, 0);

		have_huge = h != MAP_FAILED;
		if (have_huge)
			munmap(h, 2UL << 20);
	}
	for (i = 0; i != NBUF; i++) {
		bufs[i].base = arena + i * SLOT_SIZE;
		buf_make(&bufs[i]);
	}
	return 0;
}

/* ---- pools ------------------------------------------------------------ */

enum obj_type {
	T_IOAS, T_HWPT, T_IDEV, T_STDEV, T_FAULT, T_VIOMMU, T_VDEV, T_VEVENTQ,
	T_HWQ, T_NR
};

#define NFD		4
#define NOBJ		96
#define NMAP		48

struct obj {
	__u32 id;
	__u8 type;
};

struct mapping {
	__u32 ioas;
	__u64 iova;
	__u64 len;
};

struct ictx {
	int fd;
	unsigned int nobj;
	struct obj objs[NOBJ];
	unsigned int nmap;
	struct mapping maps[NMAP];
};

static struct ictx ctxs[NFD];

#define NACC 12
struct access {
	int fd;			/* -1: free */
	int ctx;
	unsigned int npages;
	__u32 pages[8];
};

static struct access accs[NACC];

#define NEVFD 12
static int evfds[NEVFD];	/* fault and vEVENTQ descriptors */

/* mmap()s of the iommufd (vIOMMU MMIO pages, when they exist) */
struct fdmap {
	void *p;
	size_t len;
	char first_byte;
};

static struct fdmap fdmaps[4];
static __u64 mmap_offsets[4];

static void obj_add(int c, __u32 id, int type)
{
	struct ictx *x = &ctxs[c];

	if (x->nobj == NOBJ)
		x->objs[rn(NOBJ)] = (struct obj){ id, type };
	else
		x->objs[x->nobj++] = (struct obj){ id, type };
}

static void obj_del(int c, __u32 id)
{
	struct ictx *x = &ctxs[c];
	unsigned int i;

	for (i = 0; i < x->nobj; i++) {
		if (x->objs[i].id == id) {
			x->objs[i] = x->objs[--x->nobj];
			i--;
		}
	}
}

static bool obj_pick(int c, int type, __u32 *id)
{
	struct ictx *x = &ctxs[c];
	unsigned int i, n = 0, pick;

	if (c < 0 || x->fd < 0 || !x->nobj)
		return false;
	if (type < 0) {
		*id = x->objs[rn(x->nobj)].id;
		return true;
	}
	for (i = 0; i != x->nobj; i++)
		n += x->objs[i].type == type;
	if (!n)
		return false;
	/*
	 * Half the time one of the oldest three: hot objects that the worker
	 * and its children all know, so their requests collide on them.
	 */
	pick = rn(chance(50) && n > 3 ? 3 : n);
	for (i = 0; i != x->nobj; i++)
		if (x->objs[i].type == type && !pick--)
			break;
	*id = x->objs[i].id;
	return true;
}

static void map_add(int c, __u32 ioas, __u64 iova, __u64 len)
{
	struct ictx *x = &ctxs[c];

	if (x->nmap == NMAP)
		x->maps[rn(NMAP)] = (struct mapping){ ioas, iova, len };
	else
		x->maps[x->nmap++] = (struct mapping){ ioas, iova, len };
}

static void map_del(int c, __u32 ioas, __u64 iova, __u64 len)
{
	struct ictx *x = &ctxs[c];
	unsigned int i;

	for (i = 0; i < x->nmap; i++) {
		struct mapping *m = &x->maps[i];

		if (m->ioas == ioas && m->iova >= iova &&
		    m->iova - iova < len) {
			*m = x->maps[--x->nmap];
			i--;
		}
	}
}

static struct mapping *map_pick(int c)
{
	struct ictx *x = &ctxs[c];

	if (c < 0 || !x->nmap)
		return NULL;
	return &x->maps[rn(x->nmap)];
}

static int ctx_open(int c)
{
	int fd = open("/dev/iommu", O_RDWR | O_CLOEXEC);

	ctxs[c].fd = fd;
	ctxs[c].nobj = 0;
	ctxs[c].nmap = 0;
	return fd;
}

static void ctx_close(int c)
{
	unsigned int i;

	if (ctxs[c].fd >= 0)
		close(ctxs[c].fd);
	ctxs[c].fd = -1;
	ctxs[c].nobj = 0;
	ctxs[c].nmap = 0;
	for (i = 0; i != NACC; i++)
		if (accs[i].ctx == c)
			accs[i].ctx = -1;
}

/* A live context, opening one if none is */
static int pick_ctx(void)
{
	int c = rn(NFD), i;

	/* The first context is the hot one everybody shares */
	if (chance(40) && ctxs[0].fd >= 0)
		return 0;

	for (i = 0; i != NFD; i++, c = (c + 1) % NFD)
		if (ctxs[c].fd >= 0)
			return c;
	return ctx_open(c) >= 0 ? c : -1;
}

static int other_ctx(int c)
{
	int o = (c + 1 + rn(NFD - 1)) % NFD;

	return ctxs[o].fd >= 0 ? o : -1;
}

/* ---- value generators -------------------------------------------------- */

/*
 * A child may hammer one request (and one IOMMU_TEST_CMD op) instead of
 * the whole mix, so that children racing each other on the same kind of
 * state change is likely rather than rare.
 */
static int focus_cmd = -1;
static __u32 focus_op;

static const __u64 interesting64[] = {
	0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x800, 0xfff, 0x1000, 0x1001, 0x2000,
	0x10000, 1UL << 21, (1UL << 21) - 1, 1UL << 24, (1UL << 24) + 0x800,
	(1UL << 31) - 1, 1UL << 31, 0xffffffffULL, 1ULL << 32,
	(1ULL << 32) + 0x1000, (1ULL << 47) - 1, 1ULL << 47, 1ULL << 48,
	(1ULL << 48) - 0x1000, 1ULL << 52, 0x7fffffffffffffffULL,
	1ULL << 63, U64_MAX_ - 0x1000 + 1, U64_MAX_ - 0x800 + 1, U64_MAX_ - 1,
	U64_MAX_,
};

static const __u32 interesting32[] = {
	0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 63, 64, 0x7f, 0x80, 0xff, 0x100,
	0x1000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe,
	0xffffffff, IOMMU_TEST_PASID_RESERVED, 0xdead, 0xdeadbeef, 0xbeefbeef,
	0xfeedbeef, 0xdadbeef,
};

static __u64 g_int64(void)
{
	return interesting64[rn(ARRAY_SIZE(interesting64))];
}

static __u32 g_int32(void)
{
	return interesting32[rn(ARRAY_SIZE(interesting32))];
}

/* Mostly zero: reserved fields, pad bytes */
static __u32 g_rsv(void)
{
	if (!chance(4))
		return 0;
	return chance(50) ? 1u << rn(32) : (__u32)rnd();
}

static __u32 g_flags(__u32 valid)
{
	unsigned int r = rn(100);

	if (r < 30)
		return 0;
	if (r < 80)
		return (__u32)rnd() & valid;
	if (r < 92)
		return ((__u32)rnd() & valid) | (1u << rn(32));
	return (__u32)rnd();
}

static __u32 g_id(int c, int type)
{
	unsigned int r = rn(100);
	__u32 id;

	/* A focused child mostly sends requests that can succeed */
	if (focus_cmd >= 0 && chance(90) && obj_pick(c, type, &id))
		return id;

	if (r < 60 && obj_pick(c, type, &id))
		return id;
	if (r < 72 && obj_pick(c, -1, &id))
		return id;
	if (r < 80 && obj_pick(other_ctx(c), type, &id))
		return id;
	if (r < 88)
		return 1 + rn(48);	/* children's objects, stale IDs */
	if (r < 92)
		return 0;
	if (r < 97)
		return g_int32();
	return (__u32)rnd();
}

static __u64 g_iova(int c)
{
	unsigned int r = rn(100);
	struct mapping *m = map_pick(c);

	if (r < 35 && m)
		return m->iova + (chance(20) ? psize * rn(4) : 0) +
		       (chance(5) ? psize / 2 : 0);
	if (r < 55)
		return MOCK_APERTURE_START + psize * rn(2048);
	if (r < 62)
		return MOCK_APERTURE_START + (psize / 2) * rn(1 << 20);
	if (r < 67)
		return (__u64)MOCK_APERTURE_LAST + 1 - psize * (1 + rn(4));
	if (r < 85)
		return g_int64();
	if (r < 93)
		return rnd() & ((1ULL << 48) - 1) & ~(__u64)(psize - 1);
	return rnd();
}

static __u64 g_len(void)
{
	unsigned int r = rn(100);

	if (r < 40)
		return psize * (1 + rn(16));
	if (r < 55)
		return psize * (1 + rn(BUF_MAX / psize));
	if (r < 65)
		return (psize / 2) * (1 + rn(32));
	if (r < 88)
		return g_int64();
	return rnd();
}

/*
 * A user pointer for the kernel to read or write: always inside memory this
 * program set aside (a live buffer, a dropped slot, a guard gap, the aux
 * area) or somewhere nothing can be mapped (NULL, kernel, non-canonical), so
 * that no request can scribble over the fuzzer itself.
 */
static __u64 g_uptr(__u64 len)
{
	unsigned int r = rn(100);
	struct buf *b = &bufs[rn(NBUF)];

	if (r < 62 && b->len) {
		__u64 off = 0;

		if (len < b->len && chance(50))
			off = psize * rn((b->len - len) / psize + 1);
		if (chance(10))
			off += 1 + rn(psize - 1);
		return (uintptr_t)b->base + off;
	}
	if (r < 72)
		return (uintptr_t)b->base + (b->len ? b->len - psize : 0);
	if (r < 78)
		return (uintptr_t)b->base + BUF_MAX + psize * rn(16);
	if (r < 84)
		return (uintptr_t)aux + 8 * rn(AUX_SIZE / 8);
	if (r < 88)
		return 0;
	if (r < 92)
		return chance(50) ? 0xffffffff81000000ULL :
				    0xffff888000000000ULL + psize * rn(1024);
	if (r < 95)
		return 1ULL << 63;
	if (r < 97)
		return (uintptr_t)aux + AUX_SIZE - 8;	/* runs into guard */
	return 0x0000800000000000ULL - psize;
}

/* Descriptor numbers: ours, wrong kinds, closed, bogus */
static int g_fd(int c)
{
	unsigned int r = rn(100);

	if (r < 60 && c >= 0 && ctxs[c].fd >= 0)
		return ctxs[c].fd;
	if (r < 70 && memfd >= 0)
		return memfd;
	if (r < 80)
		return accs[rn(NACC)].fd;
	if (r < 85)
		return evfds[rn(NEVFD)];
	if (r < 92)
		return rn(64);
	return (int)g_int32();
}

/* ---- the request table --------------------------------------------- */

#define MAXARG	512
#define MAXPTR	6

/* Offsets of the pointer fields of the request being built */
struct argdesc {
	unsigned int nptr;
	unsigned short ptr_off[MAXPTR];
};

static struct argdesc cur_desc;

/* Per IOMMU_TEST_CMD op: calls and successes (op 0: unknown ops) */
#define NTESTOP (IOMMU_TEST_OP_PASID_CHECK_HWPT + 1)
static uint64_t testop_calls[NTESTOP], testop_ok[NTESTOP];

static void set_ptr(void *base, void *field, __u64 len)
{
	__u64 v = g_uptr(len);

	memcpy(field, &v, sizeof(v));
	if (cur_desc.nptr < MAXPTR)
		cur_desc.ptr_off[cur_desc.nptr++] =
			(char *)field - (char *)base;
}

struct cmd {
	const char *name;
	unsigned long req;
	unsigned int size;	/* our struct; 0: integer argument */
	unsigned int min;	/* upstream's minimum */
	unsigned int weight;
	void (*gen)(int c, void *arg);
	void (*harvest)(int c, void *arg);
	uint64_t calls, ok;
};

#define G(name) static void gen_##name(int c, void *arg)
#define H(name) static void har_##name(int c, void *arg)

G(destroy)
{
	struct iommu_destroy *a = arg;

	a->id = g_id(c, rn(T_NR));
}

H(destroy)
{
	struct iommu_destroy *a = arg;

	obj_del(c, a->id);
}

G(ioas_alloc)
{
	struct iommu_ioas_alloc *a = arg;

	a->flags = g_flags(0);
}

H(ioas_alloc)
{
	struct iommu_ioas_alloc *a = arg;

	obj_add(c, a->out_ioas_id, T_IOAS);
}

static void fill_ranges(struct iommu_iova_range *r, unsigned int n)
{
	unsigned int i;
	__u64 s = chance(50) ? 0 : MOCK_APERTURE_START;

	for (i = 0; i != n; i++) {
		if (chance(80)) {
			r[i].start = s;
			r[i].last = s + psize * (1 + rn(4096)) - 1;
			s = r[i].last + 1 + psize * rn(16);
		} else {
			r[i].start = g_int64();
			r[i].last = g_int64();
		}
	}
}

G(allow_iovas)
{
	struct iommu_ioas_allow_iovas *a = arg;

	a->ioas_id = g_id(c, T_IOAS);
	a->num_iovas = chance(80) ? rn(5) : g_int32();
	a->__reserved = g_rsv();
	fill_ranges((void *)aux, 8);
	if (chance(85))
		a->allowed_iovas = (uintptr_t)aux;
	else
		set_ptr(a, &a->allowed_iovas, 16 * a->num_iovas);
}

G(iova_ranges)
{
	struct iommu_ioas_iova_ranges *a = arg;

	a->ioas_id = g_id(c, T_IOAS);
	a->num_iovas = chance(80) ? rn(8) : g_int32();
	a->__reserved = g_rsv();
	if (chance(80))
		a->allowed_iovas = (uintptr_t)aux;
	else
		set_ptr(a, &a->allowed_iovas, 16 * a->num_iovas);
	a->out_iova_alignment = chance(90) ? 0 : rnd();
}

#define MAP_FLAGS (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | \
		   IOMMU_IOAS_MAP_READABLE)

G(map)
{
	struct iommu_ioas_map *a = arg;

	a->flags = chance(70) ? (rnd() & MAP_FLAGS) | IOMMU_IOAS_MAP_READABLE :
				g_flags(MAP_FLAGS);
	a->ioas_id = g_id(c, T_IOAS);
	a->__reserved = g_rsv();
	a->length = g_len();
	set_ptr(a, &a->user_va, a->length);
	a->iova = g_iova(c);
}

H(map)
{
	struct iommu_ioas_map *a = arg;

	map_add(c, a->ioas_id, a->iova, a->length);
}

G(map_file)
{
	struct iommu_ioas_map_file *a = arg;

	a->flags = g_flags(MAP_FLAGS);
	a->ioas_id = g_id(c, T_IOAS);
	a->fd = g_fd(c);
	a->start = chance(70) ? psize * rn(1024) : g_int64();
	a->length = g_len();
	a->iova = g_iova(c);
}

H(map_file)
{
	struct iommu_ioas_map_file *a = arg;

	map_add(c, a->ioas_id, a->iova, a->length);
}

G(copy)
{
	struct iommu_ioas_copy *a = arg;
	struct mapping *m = map_pick(c);

	a->flags = chance(70) ? (rnd() & MAP_FLAGS) | IOMMU_IOAS_MAP_READABLE :
				g_flags(MAP_FLAGS);
	a->dst_ioas_id = g_id(c, T_IOAS);
	if (m && chance(70)) {
		a->src_ioas_id = chance(90) ? m->ioas : g_id(c, T_IOAS);
		a->src_iova = m->iova;
		a->length = chance(80) ? m->len : g_len();
	} else {
		a->src_ioas_id = g_id(c, T_IOAS);
		a->src_iova = g_iova(c);
		a->length = g_len();
	}
	a->dst_iova = g_iova(c);
}

H(copy)
{
	struct iommu_ioas_copy *a = arg;

	map_add(c, a->dst_ioas_id, a->dst_iova, a->length);
}

G(unmap)
{
	struct iommu_ioas_unmap *a = arg;
	struct mapping *m = map_pick(c);

	if (m && chance(60)) {
		a->ioas_id = chance(90) ? m->ioas : g_id(c, T_IOAS);
		a->iova = m->iova;
		a->length = chance(80) ? m->len : g_len();
	} else if (chance(30)) {
		a->ioas_id = g_id(c, T_IOAS);
		a->iova = 0;
		a->length = U64_MAX_;
	} else {
		a->ioas_id = g_id(c, T_IOAS);
		a->iova = g_iova(c);
		a->length = g_len();
	}
}

H(unmap)
{
	struct iommu_ioas_unmap *a = arg;

	if (!a->iova && a->length)
		map_del(c, a->ioas_id, 0, U64_MAX_);
	else
		map_del(c, a->ioas_id, a->iova, a->length);
}

G(option)
{
	struct iommu_option *a = arg;

	a->option_id = chance(85) ? rn(2) : g_int32();
	a->op = chance(90) ? rn(2) : (__u16)rnd();
	a->__reserved = (__u16)g_rsv();
	if (a->option_id == IOMMU_OPTION_RLIMIT_MODE && chance(80))
		a->object_id = 0;
	else
		a->object_id = g_id(c, T_IOAS);
	a->val64 = chance(80) ? rn(2) : g_int64();
}

G(vfio_ioas)
{
	struct iommu_vfio_ioas *a = arg;

	a->ioas_id = g_id(c, T_IOAS);
	a->op = chance(90) ? rn(3) : (__u16)rnd();
	a->__reserved = (__u16)g_rsv();
}

#define HWPT_FLAGS (IOMMU_HWPT_ALLOC_NEST_PARENT | \
		    IOMMU_HWPT_ALLOC_DIRTY_TRACKING | \
		    IOMMU_HWPT_FAULT_ID_VALID | IOMMU_HWPT_ALLOC_PASID)

G(hwpt_alloc)
{
	struct iommu_hwpt_alloc *a = arg;
	static const __u32 types[] = {
		IOMMU_HWPT_DATA_NONE, IOMMU_HWPT_DATA_NONE,
		IOMMU_HWPT_DATA_NONE, IOMMU_HWPT_DATA_SELFTEST,
		IOMMU_HWPT_DATA_VTD_S1, IOMMU_HWPT_DATA_ARM_SMMUV3, 3,
	};
	unsigned int i;

	a->flags = chance(40) ? 0 : g_flags(HWPT_FLAGS);
	a->dev_id = g_id(c, T_IDEV);
	a->pt_id = g_id(c, chance(60) ? T_IOAS : chance(50) ? T_HWPT :
				T_VIOMMU);
	a->__reserved = g_rsv();
	a->data_type = chance(90) ? types[rn(ARRAY_SIZE(types))] : g_int32();
	a->fault_id = g_id(c, T_FAULT);
	a->__reserved2 = g_rsv();
	for (i = 0; i != 8; i++)
		((__u64 *)aux)[i] = chance(50) ? rnd() : 0;
	if (a->data_type == IOMMU_HWPT_DATA_SELFTEST && chance(60))
		((struct iommu_hwpt_selftest *)aux)->iotlb =
			IOMMU_TEST_IOTLB_DEFAULT;
	if (a->data_type == IOMMU_HWPT_DATA_NONE && chance(80))
		a->data_len = 0;
	else
		a->data_len = chance(70) ? 4 * rn(9) : g_int32();
	if (chance(80))
		a->data_uptr = a->data_len ? (uintptr_t)aux : 0;
	else
		set_ptr(a, &a->data_uptr, a->data_len);
}

H(hwpt_alloc)
{
	struct iommu_hwpt_alloc *a = arg;

	obj_add(c, a->out_hwpt_id, T_HWPT);
}

G(hw_info)
{
	struct iommu_hw_info *a = arg;

	a->flags = g_flags(IOMMU_HW_INFO_FLAG_INPUT_TYPE);
	a->dev_id = g_id(c, T_IDEV);
	a->data_len = chance(70) ? 4 * rn(16) : g_int32();
	if (chance(80))
		a->data_uptr = (uintptr_t)aux;
	else
		set_ptr(a, &a->data_uptr, a->data_len);
	a->in_data_type = chance(50) ? rn(5) : g_int32();
	a->__reserved[0] = (__u8)g_rsv();
}

G(set_dirty)
{
	struct iommu_hwpt_set_dirty_tracking *a = arg;

	a->flags = g_flags(IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	a->hwpt_id = g_id(c, T_HWPT);
	a->__reserved = g_rsv();
}

G(get_dirty)
{
	struct iommu_hwpt_get_dirty_bitmap *a = arg;
	struct mapping *m = map_pick(c);

	a->hwpt_id = g_id(c, T_HWPT);
	a->flags = g_flags(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);
	a->__reserved = g_rsv();
	a->iova = m && chance(60) ? m->iova : g_iova(c);
	a->length = m && chance(60) ? m->len : g_len();
	a->page_size = chance(70) ? psize << rn(3) : g_int64();
	if (chance(70))
		a->data = (uintptr_t)aux;
	else
		set_ptr(a, &a->data, a->length / (a->page_size ?: 1) / 8);
}

G(invalidate)
{
	struct iommu_hwpt_invalidate *a = arg;
	static const __u32 types[] = {
		IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
		IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
		IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
		IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID,
	};
	unsigned int i;

	a->hwpt_id = g_id(c, chance(50) ? T_HWPT : T_VIOMMU);
	a->data_type = chance(90) ? types[rn(ARRAY_SIZE(types))] : g_int32();
	a->entry_len = chance(70) ? 4 * rn(9) : g_int32();
	a->entry_num = chance(80) ? rn(6) : g_int32();
	a->__reserved = g_rsv();
	for (i = 0; i != 32; i++)
		((__u32 *)aux)[i] = chance(60) ? rn(5) : (__u32)rnd();
	if (chance(80))
		a->data_uptr = (uintptr_t)aux;
	else
		set_ptr(a, &a->data_uptr, (__u64)a->entry_len * a->entry_num);
}

G(fault_alloc)
{
	struct iommu_fault_alloc *a = arg;

	a->flags = g_flags(0);
}

static void evfd_add(int fd)
{
	unsigned int i = rn(NEVFD);

	if (evfds[i] >= 0)
		close(evfds[i]);
	evfds[i] = fd;
}

H(fault_alloc)
{
	struct iommu_fault_alloc *a = arg;

	obj_add(c, a->out_fault_id, T_FAULT);
	evfd_add(a->out_fault_fd);
}

G(viommu_alloc)
{
	struct iommu_viommu_alloc *a = arg;
	struct iommu_viommu_selftest *d = (void *)aux;

	a->flags = g_flags(0);
	a->type = chance(60) ? IOMMU_VIOMMU_TYPE_SELFTEST :
		  chance(60) ? rn(3) : g_int32();
	a->dev_id = g_id(c, T_IDEV);
	a->hwpt_id = g_id(c, T_HWPT);
	a->__reserved = g_rsv();
	memset(d, 0, sizeof(*d));
	d->in_data = (__u32)rnd();
	a->data_len = chance(70) ? sizeof(*d) : chance(50) ? rn(40) :
		      g_int32();
	if (chance(80))
		a->data_uptr = a->data_len ? (uintptr_t)aux : 0;
	else
		set_ptr(a, &a->data_uptr, a->data_len);
}

H(viommu_alloc)
{
	struct iommu_viommu_alloc *a = arg;
	struct iommu_viommu_selftest *d = (void *)aux;

	obj_add(c, a->out_viommu_id, T_VIOMMU);
	if (a->type == IOMMU_VIOMMU_TYPE_SELFTEST && a->data_uptr ==
	    (uintptr_t)aux && a->data_len >= sizeof(*d))
		mmap_offsets[rn(4)] = d->out_mmap_offset;
}

G(vdevice_alloc)
{
	struct iommu_vdevice_alloc *a = arg;

	a->viommu_id = g_id(c, T_VIOMMU);
	a->dev_id = g_id(c, T_IDEV);
	a->virt_id = chance(70) ? rn(16) : g_int64();
}

H(vdevice_alloc)
{
	struct iommu_vdevice_alloc *a = arg;

	obj_add(c, a->out_vdevice_id, T_VDEV);
}

G(change_process)
{
	struct iommu_ioas_change_process *a = arg;

	a->__reserved = g_rsv();
}

G(veventq_alloc)
{
	struct iommu_veventq_alloc *a = arg;

	a->flags = g_flags(0);
	a->viommu_id = g_id(c, T_VIOMMU);
	a->type = chance(60) ? IOMMU_VEVENTQ_TYPE_SELFTEST :
		  chance(50) ? rn(3) : g_int32();
	a->veventq_depth = chance(70) ? rn(8) : g_int32();
	a->__reserved = g_rsv();
}

H(veventq_alloc)
{
	struct iommu_veventq_alloc *a = arg;

	obj_add(c, a->out_veventq_id, T_VEVENTQ);
	evfd_add(a->out_veventq_fd);
}

G(hw_queue_alloc)
{
	struct iommu_hw_queue_alloc *a = arg;
	struct mapping *m = map_pick(c);

	a->flags = g_flags(0);
	a->viommu_id = g_id(c, T_VIOMMU);
	a->type = chance(70) ? IOMMU_HW_QUEUE_TYPE_SELFTEST : g_int32();
	a->index = chance(80) ? rn(IOMMU_TEST_HW_QUEUE_MAX + 1) : g_int32();
	a->nesting_parent_iova = m && chance(60) ? m->iova : g_iova(c);
	a->length = chance(60) ? psize : g_len();
}

H(hw_queue_alloc)
{
	struct iommu_hw_queue_alloc *a = arg;

	obj_add(c, a->out_hw_queue_id, T_HWQ);
}

/* IOMMU_TEST_CMD, op by op */

static int g_access_fd(void)
{
	struct access *ac = &accs[rn(NACC)];

	if (chance(85) && ac->fd >= 0)
		return ac->fd;
	return g_fd(-1);
}

static struct access *access_of(int fd)
{
	unsigned int i;

	for (i = 0; i != NACC; i++)
		if (accs[i].fd == fd && fd >= 0)
			return &accs[i];
	return NULL;
}

G(test)
{
	struct iommu_test_cmd *a = arg;
	struct mapping *m = map_pick(c);
	struct access *ac;

	if (focus_op && chance(90))
		a->op = focus_op;
	else
		a->op = chance(97) ? 1 + rn(IOMMU_TEST_OP_PASID_CHECK_HWPT) :
				     g_int32();
	a->__reserved = g_rsv();
	switch (a->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		a->id = g_id(c, T_IOAS);
		a->add_reserved.start = g_iova(c);
		a->add_reserved.length = g_len();
		break;
	case IOMMU_TEST_OP_MOCK_DOMAIN:
		a->id = g_id(c, chance(70) ? T_IOAS : T_HWPT);
		break;
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		a->id = g_id(c, chance(70) ? T_IOAS : T_HWPT);
		a->mock_domain_flags.dev_flags = g_flags(7);
		break;
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		a->id = g_id(c, T_STDEV);
		a->mock_domain_replace.pt_id =
			g_id(c, chance(50) ? T_IOAS : T_HWPT);
		break;
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		a->id = g_id(c, T_HWPT);
		a->check_map.iova = m && chance(60) ? m->iova : g_iova(c);
		a->check_map.length = m && chance(60) ? m->len : g_len();
		set_ptr(a, &a->check_map.uptr, a->check_map.length);
		break;
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		a->check_refs.length = g_len();
		set_ptr(a, &a->check_refs.uptr, a->check_refs.length);
		a->check_refs.refs = chance(80) ? rn(3) : g_int32();
		break;
	case IOMMU_TEST_OP_CREATE_ACCESS:
		a->id = g_id(c, T_IOAS);
		a->create_access.flags =
			g_flags(MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES);
		break;
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		a->id = g_access_fd();
		ac = access_of(a->id);
		a->destroy_access_pages.access_pages_id =
			ac && ac->npages && chance(80) ?
				ac->pages[rn(ac->npages)] : g_int32();
		break;
	case IOMMU_TEST_OP_ACCESS_PAGES:
		a->id = g_access_fd();
		a->access_pages.flags = g_flags(MOCK_FLAGS_ACCESS_WRITE |
						MOCK_FLAGS_ACCESS_SYZ);
		a->access_pages.iova = m && chance(60) ? m->iova : g_iova(c);
		a->access_pages.length = m && chance(50) ? m->len : g_len();
		set_ptr(a, &a->access_pages.uptr, a->access_pages.length);
		break;
	case IOMMU_TEST_OP_ACCESS_RW:
		a->id = g_access_fd();
		a->access_rw.iova = m && chance(60) ?
			m->iova + rn(2 * psize) : g_iova(c);
		a->access_rw.length = chance(70) ? 1 + rn(3 * psize) : g_len();
		set_ptr(a, &a->access_rw.uptr, a->access_rw.length);
		a->access_rw.flags = g_flags(MOCK_ACCESS_RW_WRITE |
					     MOCK_ACCESS_RW_SLOW_PATH);
		break;
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		a->memory_limit.limit = chance(50) ? 12 + rn(4096) :
						     g_int32();
		break;
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		a->id = g_access_fd();
		a->access_replace_ioas.ioas_id = g_id(c, T_IOAS);
		break;
	case IOMMU_TEST_OP_DIRTY:
		a->id = g_id(c, T_HWPT);
		a->dirty.flags = g_rsv();
		a->dirty.iova = m && chance(60) ? m->iova : g_iova(c);
		a->dirty.length = m && chance(60) ? m->len : g_len();
		a->dirty.page_size = chance(70) ? psize : g_int64();
		set_ptr(a, &a->dirty.uptr, 64);
		break;
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		a->id = g_id(c, T_HWPT);
		a->check_iotlb.id = rn(6);
		a->check_iotlb.iotlb = chance(50) ? IOMMU_TEST_IOTLB_DEFAULT :
						    g_int32();
		break;
	case IOMMU_TEST_OP_TRIGGER_IOPF:
		a->trigger_iopf.dev_id = g_id(c, T_IDEV);
		a->trigger_iopf.pasid = chance(50) ? rn(4) : g_int32();
		a->trigger_iopf.grpid = rn(4);
		a->trigger_iopf.perm = g_flags(15);
		a->trigger_iopf.addr = g_iova(c);
		break;
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		a->id = g_id(c, T_IDEV);
		a->check_dev_cache.id = rn(6);
		a->check_dev_cache.cache = g_int32();
		break;
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		a->trigger_vevent.dev_id = g_id(c, T_IDEV);
		break;
	case IOMMU_TEST_OP_PASID_ATTACH:
	case IOMMU_TEST_OP_PASID_REPLACE:
		a->id = g_id(c, T_STDEV);
		a->pasid_attach.pasid = chance(70) ? rn(8) : g_int32();
		a->pasid_attach.pt_id = g_id(c, chance(40) ? T_IOAS : T_HWPT);
		break;
	case IOMMU_TEST_OP_PASID_DETACH:
		a->id = g_id(c, T_STDEV);
		a->pasid_detach.pasid = chance(70) ? rn(8) : g_int32();
		break;
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		a->id = g_id(c, T_STDEV);
		a->pasid_check.pasid = chance(70) ? rn(8) : g_int32();
		a->pasid_check.hwpt_id = g_id(c, T_HWPT);
		break;
	default:
		a->id = g_id(c, rn(T_NR));
		break;
	}
}

H(test)
{
	struct iommu_test_cmd *a = arg;
	struct access *ac;
	unsigned int i;

	switch (a->op) {
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		obj_add(c, a->mock_domain.out_stdev_id, T_STDEV);
		obj_add(c, a->mock_domain.out_hwpt_id, T_HWPT);
		obj_add(c, a->mock_domain.out_idev_id, T_IDEV);
		break;
	case IOMMU_TEST_OP_CREATE_ACCESS:
		i = rn(NACC);
		if (accs[i].fd >= 0)
			close(accs[i].fd);
		accs[i] = (struct access){ .fd = a->create_access.out_access_fd,
					   .ctx = c };
		break;
	case IOMMU_TEST_OP_ACCESS_PAGES:
		ac = access_of(a->id);
		if (!ac)
			break;
		if (ac->npages == ARRAY_SIZE(ac->pages))
			ac->npages--;
		ac->pages[ac->npages++] = a->access_pages.out_access_pages_id;
		break;
	}
}

#define ROW(nm, r, st, mn, w, g, h) \
	{ .name = nm, .req = r, .size = sizeof(st), .min = mn, \
	  .weight = w, .gen = gen_##g, .harvest = h }

static struct cmd cmds[] = {
	ROW("DESTROY", IOMMU_DESTROY, struct iommu_destroy, 8, 8, destroy,
	    har_destroy),
	ROW("IOAS_ALLOC", IOMMU_IOAS_ALLOC, struct iommu_ioas_alloc, 12, 8,
	    ioas_alloc, har_ioas_alloc),
	ROW("IOAS_ALLOW_IOVAS", IOMMU_IOAS_ALLOW_IOVAS,
	    struct iommu_ioas_allow_iovas, 24, 3, allow_iovas, NULL),
	ROW("IOAS_COPY", IOMMU_IOAS_COPY, struct iommu_ioas_copy, 40, 8, copy,
	    har_copy),
	ROW("IOAS_IOVA_RANGES", IOMMU_IOAS_IOVA_RANGES,
	    struct iommu_ioas_iova_ranges, 32, 3, iova_ranges, NULL),
	ROW("IOAS_MAP", IOMMU_IOAS_MAP, struct iommu_ioas_map, 40, 16, map,
	    har_map),
	ROW("IOAS_UNMAP", IOMMU_IOAS_UNMAP, struct iommu_ioas_unmap, 24, 10,
	    unmap, har_unmap),
	ROW("OPTION", IOMMU_OPTION, struct iommu_option, 24, 3, option, NULL),
	ROW("VFIO_IOAS", IOMMU_VFIO_IOAS, struct iommu_vfio_ioas, 12, 2,
	    vfio_ioas, NULL),
	ROW("HWPT_ALLOC", IOMMU_HWPT_ALLOC, struct iommu_hwpt_alloc, 24, 6,
	    hwpt_alloc, har_hwpt_alloc),
	ROW("GET_HW_INFO", IOMMU_GET_HW_INFO, struct iommu_hw_info, 32, 2,
	    hw_info, NULL),
	ROW("HWPT_SET_DIRTY_TRACKING", IOMMU_HWPT_SET_DIRTY_TRACKING,
	    struct iommu_hwpt_set_dirty_tracking, 16, 2, set_dirty, NULL),
	ROW("HWPT_GET_DIRTY_BITMAP", IOMMU_HWPT_GET_DIRTY_BITMAP,
	    struct iommu_hwpt_get_dirty_bitmap, 48, 2, get_dirty, NULL),
	ROW("HWPT_INVALIDATE", IOMMU_HWPT_INVALIDATE,
	    struct iommu_hwpt_invalidate, 32, 2, invalidate, NULL),
	ROW("FAULT_QUEUE_ALLOC", IOMMU_FAULT_QUEUE_ALLOC,
	    struct iommu_fault_alloc, 16, 1, fault_alloc, har_fault_alloc),
	ROW("IOAS_MAP_FILE", IOMMU_IOAS_MAP_FILE, struct iommu_ioas_map_file,
	    48, 3, map_file, har_map_file),
	ROW("VIOMMU_ALLOC", IOMMU_VIOMMU_ALLOC, struct iommu_viommu_alloc, 32,
	    2, viommu_alloc, har_viommu_alloc),
	ROW("VDEVICE_ALLOC", IOMMU_VDEVICE_ALLOC, struct iommu_vdevice_alloc,
	    24, 2, vdevice_alloc, har_vdevice_alloc),
	ROW("IOAS_CHANGE_PROCESS", IOMMU_IOAS_CHANGE_PROCESS,
	    struct iommu_ioas_change_process, 8, 1, change_process, NULL),
	ROW("VEVENTQ_ALLOC", IOMMU_VEVENTQ_ALLOC, struct iommu_veventq_alloc,
	    32, 1, veventq_alloc, har_veventq_alloc),
	ROW("HW_QUEUE_ALLOC", IOMMU_HW_QUEUE_ALLOC,
	    struct iommu_hw_queue_alloc, 40, 1, hw_queue_alloc,
	    har_hw_queue_alloc),
	ROW("TEST_CMD", IOMMU_TEST_CMD, struct iommu_test_cmd,
	    offsetof(struct iommu_test_cmd, last) + 4, 24, test, har_test),
};

/* ---- KCOV ------------------------------------------------------------ */

#define COVER_WORDS	(256 * 1024)
#define PCSET_BITS	21

static int kcov_fd = -1;
static unsigned long *cover;
static uint64_t *pcset;		/* open addressing, 0 = empty */
static uint64_t npcs;
static char kcov_why[96] = "kcov: not available";

static void kcov_setup(void)
{
	kcov_fd = open("/sys/kernel/debug/kcov", O_RDWR);
	if (kcov_fd < 0)
		return;
	if (ioctl(kcov_fd, KCOV_INIT_TRACE, COVER_WORDS))
		goto fail;
	cover = mmap(NULL, COVER_WORDS * sizeof(unsigned long),
		     PROT_READ | PROT_WRITE, MAP_SHARED, kcov_fd, 0);
	if (cover == MAP_FAILED)
		goto fail;
	pcset = mmap(NULL, sizeof(uint64_t) << PCSET_BITS,
		     PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		     0);
	if (pcset == MAP_FAILED)
		goto fail;
	if (ioctl(kcov_fd, KCOV_ENABLE, KCOV_TRACE_PC))
		goto fail;
	return;
fail:
	snprintf(kcov_why, sizeof(kcov_why), "kcov: setup failed (errno %d)",
		 errno);
	close(kcov_fd);
	kcov_fd = -1;
	cover = NULL;
}

static bool kcov_on(void)
{
	return kcov_fd >= 0 && !in_child;
}

static void kcov_begin(void)
{
	if (kcov_on())
		__atomic_store_n(&cover[0], 0, __ATOMIC_RELAXED);
}

/* Number of PCs this call reached for the first time */
static unsigned int kcov_end(void)
{
	unsigned long n, i;
	unsigned int fresh = 0;

	if (!kcov_on())
		return 0;
	n = __atomic_load_n(&cover[0], __ATOMIC_RELAXED);
	if (n >= COVER_WORDS)
		n = COVER_WORDS - 1;
	for (i = 1; i <= n; i++) {
		uint64_t pc = cover[i];
		uint64_t h = (pc * 0x9e3779b97f4a7c15ULL) >> (64 - PCSET_BITS);

		while (pcset[h] && pcset[h] != pc)
			h = (h + 1) & ((1UL << PCSET_BITS) - 1);
		if (pcset[h])
			continue;
		if (npcs >= (3UL << PCSET_BITS) / 4)
			break;	/* table full: stop counting, stay fast */
		pcset[h] = pc;
		npcs++;
		fresh++;
	}
	return fresh;
}

/* PCs of the set that lie inside module @name (0 if not visible) */
static uint64_t pcs_in_module(const char *name)
{
	unsigned long long base = 0, size = 0;
	char line[256], mod[64];
	uint64_t i, n = 0;
	FILE *f = fopen("/proc/modules", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, b;

		if (sscanf(line, "%63s %llu %*s %*s %*s %llx", mod, &s, &b) ==
		    3 && !strcmp(mod, name)) {
			base = b;
			size = s;
		}
	}
	fclose(f);
	if (!base)
		return 0;
	for (i = 0; i != 1UL << PCSET_BITS; i++)
		n += pcset[i] >= base && pcset[i] < base + size;
	return n;
}

/* ---- corpus of argument blocks that found new code -------------------- */

#define NCORPUS 256

struct centry {
	unsigned short cmd;
	unsigned short len;	/* bytes saved (the call's size, capped) */
	struct argdesc desc;
	unsigned char blob[MAXARG];
};

static struct centry *corpus;
static unsigned int ncorpus;
static uint64_t corpus_adds, corpus_runs;

static void corpus_keep(int ci, const void *blob, unsigned int len)
{
	struct centry *e;

	if (!corpus)
		return;
	e = &corpus[ncorpus < NCORPUS ? ncorpus++ : rn(NCORPUS)];
	e->cmd = ci;
	e->len = len > MAXARG ? MAXARG : len;
	e->desc = cur_desc;
	memcpy(e->blob, blob, e->len);
	corpus_adds++;
}

static bool is_ptr_off(const struct argdesc *d, unsigned int off)
{
	unsigned int i;

	for (i = 0; i != d->nptr; i++)
		if (off + 4 > d->ptr_off[i] && off < d->ptr_off[i] + 8u)
			return true;
	return false;
}

/* Field-wise mutation of a corpus entry into @arg; returns the command */
static int corpus_mutate(int c, void *arg, unsigned int *len)
{
	struct centry *e = &corpus[rn(ncorpus)];
	unsigned int k, n = 1 + rn(3);

	memcpy(arg, e->blob, e->len);
	*len = e->len;
	cur_desc = e->desc;
	for (k = 0; k != n; k++) {
		unsigned int off = 4 * (1 + rn((e->len - 4) / 4 ?: 1));
		__u32 v;

		if (off + 4 > e->len)
			continue;
		if (is_ptr_off(&e->desc, off)) {
			unsigned int p = rn(e->desc.nptr);
			__u64 u = g_uptr(g_len());

			memcpy((char *)arg + e->desc.ptr_off[p], &u, 8);
			continue;
		}
		switch (rn(5)) {
		case 0:
			v = g_id(c, rn(T_NR));
			break;
		case 1:
			v = g_int32();
			break;
		case 2:
			memcpy(&v, (char *)arg + off, 4);
			v ^= 1u << rn(32);
			break;
		case 3:
			if (off + 8 <= e->len && !(off & 7) &&
			    !is_ptr_off(&e->desc, off + 4)) {
				__u64 u = chance(50) ? g_int64() : g_iova(c);

				memcpy((char *)arg + off, &u, 8);
				continue;
			}
			v = 0;
			break;
		default:
			v = (__u32)rnd();
			break;
		}
		memcpy((char *)arg + off, &v, 4);
	}
	corpus_runs++;
	return e->cmd;
}

/* ---- issuing a request ----------------------------------------------- */

static void progress(int ci)
{
	if (in_child) {
		__atomic_add_fetch(&sh->child_calls, 1, __ATOMIC_RELAXED);
		return;
	}
	sh->last_cmd = ci;
	__atomic_add_fetch(&sh->calls, 1, __ATOMIC_RELAXED);
}

/* Choose where the argument lives; @len bytes must fit before the guard */
static void *arg_place(unsigned int len, bool *at_edge)
{
	*at_edge = false;
	if (chance(4) && len <= 2 * psize) {
		*at_edge = true;
		return argpage + 2 * psize - len;
	}
	return argpage;
}

static void do_cmd(int c, int ci_forced)
{
	unsigned char saved[MAXARG];
	unsigned int len, size, r, avail;
	struct cmd *cm;
	bool edge;
	void *arg;
	int ci, rc, fd;

	memset(argpage, 0, 2 * psize);
	cur_desc.nptr = 0;
	if (ci_forced < 0 && ncorpus && chance(20)) {
		unsigned int l;

		ci = corpus_mutate(c, saved, &l);
		cm = &cmds[ci];
		arg = arg_place(l, &edge);
		memcpy(arg, saved, l);
		size = ((__u32 *)arg)[0];
		goto issue;
	}
	if (ci_forced >= 0) {
		ci = ci_forced;
	} else {
		unsigned int total = 0, i;

		for (i = 0; i != ARRAY_SIZE(cmds); i++)
			total += cmds[i].weight;
		r = rn(total);
		for (ci = 0; r >= cmds[ci].weight; ci++)
			r -= cmds[ci].weight;
	}
	cm = &cmds[ci];

	/* The size protocol's edges, mostly the real size */
	r = rn(100);
	if (r < 84)
		size = cm->size;
	else if (r < 87)
		size = cm->min;
	else if (r < 89)
		size = cm->min - 1;
	else if (r < 90)
		size = 0;
	else if (r < 94)
		size = cm->size + 8 * (1 + rn(4));
	else if (r < 97)
		size = cm->size - 4 * rn(cm->size / 8);
	else if (r < 98)
		size = 0xffffffff;
	else
		size = rn(MAXARG);
	len = size > MAXARG ? MAXARG : size;
	if (len < cm->size)
		len = cm->size;
	arg = arg_place(len, &edge);
	cm->gen(c, arg);
	((__u32 *)arg)[0] = size;
	/* A non-zero byte in the tail the kernel does not know */
	if (size > cm->size && size <= MAXARG && chance(40))
		((unsigned char *)arg)[cm->size + rn(size - cm->size)] =
			1 + rn(255);

issue:
	fd = ctxs[c].fd;
	if (chance(2))
		fd = g_fd(c);
	len = size > MAXARG ? MAXARG : size;
	if (len < cm->size)
		len = cm->size;
	avail = argpage + 2 * psize - (char *)arg;
	if (len > avail)
		len = avail;
	if (kcov_on())
		memcpy(saved, arg, len);
	progress(ci);
	kcov_begin();
	if (chance(1))
		rc = ioctl(fd, cm->req, chance(50) ? NULL :
				(void *)(argpage + 2 * psize));
	else
		rc = ioctl(fd, cm->req, arg);
	/* An argument that reached new code is worth mutating further */
	if (kcov_end() && !edge && len >= 4)
		corpus_keep(ci, saved, len);
	cm->calls++;
	if (cm->req == IOMMU_TEST_CMD) {
		__u32 op = ((struct iommu_test_cmd *)arg)->op;

		op = op < NTESTOP ? op : 0;
		testop_calls[op]++;
		testop_ok[op] += !rc;
	}
	if (rc)
		return;
	cm->ok++;
	/* The kernel accepted it: learn the IDs and descriptors it returned */
	if (fd == ctxs[c].fd && cm->harvest && size >= cm->min)
		cm->harvest(c, arg);
}

/* ---- VFIO type1 compatibility requests ------------------------------ */

static uint64_t vfio_calls;

static void do_vfio(int c)
{
	struct vfio_iommu_type1_dma_map *mp = (void *)argpage;
	struct vfio_iommu_type1_dma_unmap *up = (void *)argpage;
	struct vfio_iommu_type1_info *ip = (void *)argpage;
	struct vfio_iommu_type1_dirty_bitmap *db = (void *)argpage;
	int fd = ctxs[c].fd;
	unsigned long req;
	long v = 0;

	memset(argpage, 0, 2 * psize);
	switch (rn(8)) {
	case 0:
		req = VFIO_GET_API_VERSION;
		break;
	case 1:
		req = VFIO_CHECK_EXTENSION;
		v = chance(80) ? rn(12) : (long)g_int32();
		break;
	case 2:
		req = VFIO_SET_IOMMU;
		v = chance(80) ? rn(12) : (long)g_int32();
		break;
	case 3:
		req = VFIO_IOMMU_GET_INFO;
		ip->argsz = chance(60) ? psize : chance(50) ? sizeof(*ip) :
			    g_int32() % (2 * psize);
		ip->flags = g_rsv();
		v = (long)argpage;
		break;
	case 4:
	case 5:
		req = VFIO_IOMMU_MAP_DMA;
		mp->argsz = chance(90) ? sizeof(*mp) : g_int32();
		mp->flags = g_flags(3);
		mp->size = g_len();
		mp->vaddr = g_uptr(mp->size);
		mp->iova = g_iova(c);
		v = (long)argpage;
		break;
	case 6:
		req = VFIO_IOMMU_UNMAP_DMA;
		up->argsz = chance(80) ? sizeof(*up) :
			    sizeof(*up) + sizeof(struct vfio_bitmap);
		up->flags = g_flags(VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
				    VFIO_DMA_UNMAP_FLAG_ALL |
				    VFIO_DMA_UNMAP_FLAG_VADDR);
		up->iova = g_iova(c);
		up->size = chance(20) ? 0 : g_len();
		v = (long)argpage;
		break;
	default:
		req = VFIO_IOMMU_DIRTY_PAGES;
		db->argsz = chance(80) ? sizeof(*db) : g_int32();
		db->flags = g_flags(7);
		v = (long)argpage;
		break;
	}
	vfio_calls++;
	progress(-1);
	kcov_begin();
	ioctl(fd, req, v);
	kcov_end();
}

/* ---- iommusim (optional) ---------------------------------------------- */

#define SIM_DIR "/sys/bus/iommusim"
#define NSIMDEV 4

struct simdev {
	int inst, sid;
	int fd;
	int ctx;		/* context it was bound to, -1 */
};

static struct simdev simdevs[NSIMDEV];
static unsigned int nsimdev;
static int sim_insts[2] = { -1, -1 };

static int sysfs_write(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), rc;

	if (fd < 0)
		return -1;
	rc = write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : -1;
	close(fd);
	return rc;
}

static void sim_setup(void)
{
	static const char *const inst_args[2] = {
		"smmuv3 pasid_bits=8", "vtd pasid_bits=8 tlb=16",
	};
	char path[128], line[64];
	int i, j;
	struct stat st;

	if (stat(SIM_DIR, &st)) {
		sh->sim_state = 0;
		snprintf(sh->sim_why, sizeof(sh->sim_why),
			 "%s not present", SIM_DIR);
		return;
	}
	/* Garbage first: every one of these must be refused cleanly */
	sysfs_write(SIM_DIR "/new_iommu", "");
	sysfs_write(SIM_DIR "/new_iommu", "999 smmuv3");
	sysfs_write(SIM_DIR "/new_iommu", "240 nosuchtype");
	sysfs_write(SIM_DIR "/new_iommu", "240 smmuv3 s1=0 s2=0");
	sysfs_write(SIM_DIR "/new_iommu", "240 vtd pasid_bits=99");
	sysfs_write(SIM_DIR "/new_iommu", "240 vtd bogus=1");
	sysfs_write(SIM_DIR "/del_iommu", "241");
	sysfs_write(SIM_DIR "/del_iommu", "-1");
	/* In case one of the garbage lines was accepted after all */
	sysfs_write(SIM_DIR "/del_iommu", "240");

	for (i = 0; i != 2; i++) {
		int id = 250 + i;

		snprintf(line, sizeof(line), "%d %s", id, inst_args[i]);
		if (sysfs_write(SIM_DIR "/new_iommu", line))
			continue;
		sim_insts[i] = id;
		snprintf(path, sizeof(path),
			 SIM_DIR "/devices/iommusim%d/new_device", id);
		sysfs_write(path, "70000");	/* refused: SID too big */
		for (j = 0; j != 2 && nsimdev < NSIMDEV; j++) {
			struct simdev *d = &simdevs[nsimdev];

			snprintf(line, sizeof(line), "%d%s", 16 + j,
				 j ? " pasid_bits=4 ats=0" : "");
			if (sysfs_write(path, line))
				continue;
			d->inst = id;
			d->sid = 16 + j;
			d->ctx = -1;
			snprintf(line, sizeof(line), "/dev/iommusim/%d-%d", id,
				 d->sid);
			d->fd = -1;
			for (int t = 0; t != 50 && d->fd < 0; t++) {
				d->fd = open(line, O_RDWR | O_CLOEXEC);
				if (d->fd < 0)
					usleep(2000);
			}
			nsimdev++;
		}
	}
	if (!nsimdev) {
		sh->sim_state = -1;
		snprintf(sh->sim_why, sizeof(sh->sim_why),
			 "could not create an iommusim instance/device");
		return;
	}
	sh->sim_state = 1;
}

static void sim_teardown(void)
{
	char path[128], line[32];
	unsigned int i;

	for (i = 0; i != nsimdev; i++) {
		if (simdevs[i].fd >= 0)
			close(simdevs[i].fd);
		snprintf(path, sizeof(path),
			 SIM_DIR "/devices/iommusim%d/del_device",
			 simdevs[i].inst);
		snprintf(line, sizeof(line), "%d", simdevs[i].sid);
		sysfs_write(path, line);
	}
	for (i = 0; i != 2; i++) {
		if (sim_insts[i] < 0)
			continue;
		snprintf(line, sizeof(line), "%d", sim_insts[i]);
		if (sysfs_write(SIM_DIR "/del_iommu", line)) {
			snprintf(sh->sim_why, sizeof(sh->sim_why),
				 "del_iommu %d refused (errno %d)",
				 sim_insts[i], errno);
			sh->sim_state = -2;
		}
	}
}

static __u32 g_pasid(void)
{
	return chance(80) ? rn(20) : g_int32();
}

static void do_sim(void)
{
	struct simdev *d = &simdevs[rn(nsimdev)];
	int c = d->ctx >= 0 && ctxs[d->ctx].fd >= 0 ? d->ctx : pick_ctx();
	unsigned long req;
	void *a = argpage;
	__u32 argsz;

	if (d->fd < 0)
		return;
	memset(argpage, 0, 2 * psize);
	switch (rn(10)) {
	case 0: {
		struct iommusim_bind_iommufd *b = a;

		req = IOMMUSIM_DEVICE_BIND_IOMMUFD;
		argsz = sizeof(*b);
		b->flags = g_rsv();
		b->iommufd = c >= 0 && chance(80) ? ctxs[c].fd : g_fd(c);
		b->token_uuid_ptr = chance(95) ? 0 : g_uptr(16);
		break;
	}
	case 1:
	case 2: {
		struct iommusim_attach_pt *at = a;

		req = IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT;
		argsz = sizeof(*at);
		at->flags = g_flags(IOMMUSIM_ATTACH_PASID);
		at->pt_id = g_id(c, chance(60) ? T_IOAS : T_HWPT);
		at->pasid = g_pasid();
		break;
	}
	case 3: {
		struct iommusim_detach_pt *dt = a;

		req = IOMMUSIM_DEVICE_DETACH_IOMMUFD_PT;
		argsz = sizeof(*dt);
		dt->flags = g_flags(IOMMUSIM_DETACH_PASID);
		dt->pasid = g_pasid();
		break;
	}
	case 4:
	case 5: {
		struct iommusim_dma *dm = a;
		struct mapping *m = map_pick(c);

		req = IOMMUSIM_DEVICE_DMA;
		argsz = sizeof(*dm);
		dm->flags = g_flags(IOMMUSIM_DMA_WRITE | IOMMUSIM_DMA_PASID);
		dm->pasid = g_pasid();
		dm->__reserved = g_rsv();
		dm->iova = m && chance(70) ? m->iova + rn(psize) : g_iova(c);
		dm->length = chance(80) ? 1 + rn(4 * psize) : g_len();
		set_ptr(a, &dm->uptr, dm->length);
		break;
	}
	case 6: {
		struct iommusim_iotlb *t = a;

		req = IOMMUSIM_DEVICE_IOTLB;
		argsz = sizeof(*t);
		t->flags = g_flags(IOMMUSIM_IOTLB_FLUSH_ALL |
				   IOMMUSIM_IOTLB_RESET_STATS);
		break;
	}
	case 7: {
		struct iommusim_pte_alias *al = a;
		struct mapping *m = map_pick(c);

		req = IOMMUSIM_DEVICE_TEST_PTE_ALIAS;
		argsz = sizeof(*al);
		al->flags = g_flags(IOMMUSIM_ALIAS_PASID);
		al->pasid = g_pasid();
		al->__reserved = g_rsv();
		al->iova = m && chance(70) ? m->iova : g_iova(c);
		m = map_pick(c);
		al->src_iova = m && chance(70) ? m->iova : g_iova(c);
		break;
	}
	case 8: {
		struct iommusim_invalidate *in = a;
		struct iommusim_ctx_entry *ce = a;

		if (chance(50)) {
			req = IOMMUSIM_DEVICE_INVALIDATE;
			argsz = sizeof(*in);
			in->flags = g_flags(IOMMUSIM_INVAL_PASID);
			in->pasid = g_pasid();
			in->__reserved = g_rsv();
			in->iova = g_iova(c);
			in->length = chance(30) ? 0 : g_len();
		} else {
			req = IOMMUSIM_DEVICE_GET_CTX_ENTRY;
			argsz = sizeof(*ce);
			ce->flags = g_flags(IOMMUSIM_CTX_PASID);
			ce->pasid = g_pasid();
			ce->__reserved = g_rsv();
		}
		break;
	}
	default: {
		struct iommusim_translate *x = a;

		req = IOMMUSIM_DEVICE_TRANSLATE;
		argsz = sizeof(*x);
		x->flags = g_flags(IOMMUSIM_XLATE_PASID | IOMMUSIM_XLATE_WRITE);
		x->pasid = g_pasid();
		x->iova = g_iova(c);
		break;
	}
	}
	/* VFIO's argsz rules: smaller is EINVAL, bigger is ignored */
	if (chance(5))
		argsz = chance(50) ? argsz - 4 : argsz + 4 * rn(64);
	if (chance(1))
		argsz = g_int32();
	*(__u32 *)a = argsz;
	if (!in_child)
		sh->sim_calls++;
	progress(-2);
	kcov_begin();
	if (!ioctl(d->fd, req, a) && req == IOMMUSIM_DEVICE_BIND_IOMMUFD &&
	    c >= 0) {
		struct iommusim_bind_iommufd *b = a;

		if (b->iommufd == ctxs[c].fd) {
			d->ctx = c;
			obj_add(c, b->out_devid, T_IDEV);
		}
	}
	kcov_end();
}

/* ---- the other actions ------------------------------------------------ */

static void do_close_reopen(void)
{
	int c = rn(NFD);

	if (ctxs[c].fd >= 0 && chance(70))
		ctx_close(c);
	else if (ctxs[c].fd < 0)
		ctx_open(c);
}

static void do_access_close(void)
{
	struct access *ac = &accs[rn(NACC)];

	if (ac->fd >= 0) {
		close(ac->fd);
		ac->fd = -1;
	}
}

static void do_evfd(void)
{
	int i = rn(NEVFD), fd = evfds[i];
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };

	if (fd < 0)
		return;
	switch (rn(4)) {
	case 0:
		poll(&p, 1, 0);
		break;
	case 1:
		/* non-blocking read of whatever is queued */
		fcntl(fd, F_SETFL, O_NONBLOCK);
		if (read(fd, aux, chance(70) ? 64 : rn(AUX_SIZE)) < 0)
			break;
		break;
	case 2: {
		struct iommu_hwpt_page_response *r = (void *)aux;

		r->cookie = g_int32();
		r->code = rn(3);
		if (write(fd, aux, chance(80) ? sizeof(*r) : rn(64)) < 0)
			break;
		break;
	}
	default:
		close(fd);
		evfds[i] = -1;
		break;
	}
}

static void do_fd_mmap(int c)
{
	struct fdmap *m = &fdmaps[rn(ARRAY_SIZE(fdmaps))];
	__u64 off = chance(60) ? mmap_offsets[rn(4)] : g_int64();
	size_t len = chance(70) ? psize : psize * (1 + rn(4));
	void *p;

	if (m->p) {
		munmap(m->p, m->len);
		m->p = NULL;
		return;
	}
	off &= ~(__u64)(psize - 1);
	p = mmap(NULL, len, PROT_READ | (chance(50) ? PROT_WRITE : 0),
		 MAP_SHARED, ctxs[c].fd, (off_t)off);
	if (p != MAP_FAILED) {
		m->p = p;
		m->len = len;
		/* touch it: a read of the (mock) MMIO page */
		m->first_byte = __atomic_load_n((char *)p, __ATOMIC_RELAXED);
	}
}

/* A request number near ours with garbage behind it */
static void do_raw(int c)
{
	unsigned int nr = 0x60 + rn(0x50), i;
	unsigned long req;
	__u32 *w = (void *)argpage;

	memset(argpage, 0, 2 * psize);
	for (i = 0; i != 32; i++)
		w[i] = chance(50) ? 0 : chance(50) ? g_int32() : (__u32)rnd();
	w[0] = chance(70) ? 8 * rn(12) : g_int32();
	/*
	 * No 64-bit word may be a user address this process has mapped, or
	 * the kernel could write into the fuzzer: those become page-zero
	 * values.
	 */
	for (i = 2; i < 32; i += 2) {
		if (w[i + 1] < 0x8000) {
			w[i + 1] = 0;
			w[i] &= 0xfff;
		}
	}
	req = chance(85) ? _IO(IOMMUFD_TYPE, nr) :
	      chance(50) ? _IOWR(IOMMUFD_TYPE, nr, __u64) : _IO('x', nr);
	progress(-3);
	kcov_begin();
	ioctl(ctxs[c].fd, req, argpage);
	kcov_end();
}

static void do_buf(void)
{
	struct buf *b = &bufs[rn(NBUF)];

	/* Dropping a buffer leaves any mapping of it in place: on purpose */
	if (b->len && chance(60))
		buf_drop(b);
	else
		buf_make(b);
}

static void run_child(void);

/*
 * Children share every descriptor with the worker and fuzz concurrently
 * with it (and with each other) until their kill time comes.
 */
#define NKIDS 3

struct kid {
	pid_t pid;
	double kill_at;
	uint64_t seed;
};

static struct kid kids[NKIDS];

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void kid_reap(struct kid *k)
{
	int status;

	kill(k->pid, SIGKILL);
	if (waitpid(k->pid, &status, 0) == k->pid) {
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) {
			sh->kills++;
		} else if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			sh->crashes++;
			printf("# child (seed %llu) ended with status %#x\n",
			       (unsigned long long)k->seed, status);
		}
	}
	k->pid = 0;
}

/* Kill the children whose time has come (all of them with @all) */
static void kids_check(bool all)
{
	double t = now();
	unsigned int i;

	for (i = 0; i != NKIDS; i++)
		if (kids[i].pid && (all || t >= kids[i].kill_at))
			kid_reap(&kids[i]);
}

static void do_fork_kill(void)
{
	struct kid *k = NULL;
	uint64_t child_seed = rnd();
	double life = (debug_kernel ? 0.2 : 0.05) * (1 + rn(100)) / 100;
	unsigned int i;
	pid_t pid;

	for (i = 0; i != NKIDS; i++)
		if (!kids[i].pid)
			k = &kids[i];
	if (!k)
		return;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return;
	if (!pid) {
		in_child = true;
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rng_state = child_seed;
		run_child();
		_exit(0);
	}
	sh->child_runs++;
	*k = (struct kid){ pid, now() + life, child_seed };
}

static void one_action(void)
{
	unsigned int r = rn(1000);
	int c = pick_ctx();

	if (c < 0)
		return;
	if (r < 830)
		do_cmd(c, -1);
	else if (r < 860)
		do_vfio(c);
	else if (r < 900 && nsimdev)
		do_sim();
	else if (r < 910)
		do_close_reopen();
	else if (r < 920)
		do_access_close();
	else if (r < 935)
		do_evfd();
	else if (r < 940)
		do_fd_mmap(c);
	else if (r < 955)
		do_raw(c);
	else if (r < 975)
		do_buf();
	else if (r < 985 && !in_child)
		do_fork_kill();
	else
		do_cmd(c, ARRAY_SIZE(cmds) - 1);	/* more TEST_CMD */
}

/* The requests worth racing: they change shared state */
static const struct {
	const char *cmd;
	__u32 op;
} racy[] = {
	{ "TEST_CMD", IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE },
	{ "TEST_CMD", IOMMU_TEST_OP_MOCK_DOMAIN },
	{ "TEST_CMD", IOMMU_TEST_OP_ACCESS_PAGES },
	{ "TEST_CMD", IOMMU_TEST_OP_ACCESS_REPLACE_IOAS },
	{ "TEST_CMD", IOMMU_TEST_OP_PASID_ATTACH },
	{ "TEST_CMD", IOMMU_TEST_OP_PASID_REPLACE },
	{ "TEST_CMD", IOMMU_TEST_OP_PASID_DETACH },
	{ "DESTROY", 0 }, { "IOAS_MAP", 0 }, { "IOAS_UNMAP", 0 },
	{ "IOAS_COPY", 0 }, { "HWPT_ALLOC", 0 },
};

static void run_child(void)
{
	unsigned int i, n = 100 + rn(4000);
	int c;

	if (chance(60)) {
		unsigned int k = rn(ARRAY_SIZE(racy));

		for (i = 0; i != ARRAY_SIZE(cmds); i++)
			if (!strcmp(cmds[i].name, racy[k].cmd))
				focus_cmd = i;
		focus_op = racy[k].op;
	}
	for (i = 0; i != n; i++) {
		c = focus_cmd >= 0 && ctxs[0].fd >= 0 ? 0 : pick_ctx();
		if (focus_cmd >= 0 && c >= 0 && chance(80))
			do_cmd(c, focus_cmd);
		else
			one_action();
	}
}

/* ---- phases -------------------------------------------------------- */

static void close_everything(void)
{
	unsigned int i;

	for (i = 0; i != NFD; i++)
		ctx_close(i);
	for (i = 0; i != NACC; i++) {
		if (accs[i].fd >= 0)
			close(accs[i].fd);
		accs[i].fd = -1;
	}
	for (i = 0; i != NEVFD; i++) {
		if (evfds[i] >= 0)
			close(evfds[i]);
		evfds[i] = -1;
	}
	for (i = 0; i != ARRAY_SIZE(fdmaps); i++) {
		if (fdmaps[i].p)
			munmap(fdmaps[i].p, fdmaps[i].len);
		fdmaps[i].p = NULL;
	}
}

static int check_no_pins(void)
{
	struct iommu_test_cmd cmd;
	int fd = open("/dev/iommu", O_RDWR), bad = 0;
	unsigned int i;

	if (fd < 0) {
		snprintf(sh->why[PH_PINS], sizeof(sh->why[0]),
			 "open /dev/iommu: errno %d", errno);
		return -1;
	}
	for (i = 0; i != NBUF; i++) {
		if (!bufs[i].len)
			continue;
		memset(&cmd, 0, sizeof(cmd));
		cmd.size = sizeof(cmd);
		cmd.op = IOMMU_TEST_OP_MD_CHECK_REFS;
		cmd.check_refs.uptr = (uintptr_t)bufs[i].base;
		cmd.check_refs.length = bufs[i].len;
		cmd.check_refs.refs = 0;
		if (ioctl(fd, IOMMU_TEST_CMD, &cmd)) {
			snprintf(sh->why[PH_PINS], sizeof(sh->why[0]),
				 "buffer %u (kind %d, %zu bytes) still pinned after every descriptor closed (errno %d)",
				 i, bufs[i].kind, bufs[i].len, errno);
			bad++;
		}
	}
	close(fd);
	return bad ? -1 : 0;
}

static void set_temp_limit(int fd, __u32 limit)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = limit },
	};

	ioctl(fd, IOMMU_TEST_CMD, &cmd);
}

static void worker(double deadline)
{
	uint64_t it;
	unsigned int i;

	signal(SIGPIPE, SIG_IGN);
	for (i = 0; i != NFD; i++)
		ctxs[i].fd = -1;
	for (i = 0; i != NACC; i++)
		accs[i].fd = -1;
	for (i = 0; i != NEVFD; i++)
		evfds[i] = -1;
	if (mem_setup()) {
		snprintf(sh->why[PH_FUZZ], sizeof(sh->why[0]),
			 "memory setup failed: errno %d", errno);
		sh->result[PH_FUZZ] = 0;
		_exit(1);
	}
	for (i = 0; i != NFD; i++)
		ctx_open(i);
	if (ctxs[0].fd < 0) {
		snprintf(sh->why[PH_FUZZ], sizeof(sh->why[0]),
			 "open /dev/iommu: errno %d", errno);
		sh->result[PH_FUZZ] = 0;
		_exit(1);
	}
	kcov_setup();
	if (kcov_fd >= 0) {
		corpus = mmap(NULL, NCORPUS * sizeof(*corpus),
			      PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (corpus == MAP_FAILED)
			corpus = NULL;
	}
	sim_setup();

	for (it = 0; it < opt_iters; it++) {
		if (!(it & 31) && now() > deadline)
			break;
		sh->iter = it;
		if (opt_verbose && !(it % 1000))
			printf("# iteration %llu, %llu calls\n",
			       (unsigned long long)it,
			       (unsigned long long)sh->calls);
		one_action();
		if (!(it & 7))
			kids_check(false);
	}
	kids_check(true);
	close_everything();
	sim_teardown();

	/* Every descriptor (ours and the children's) is closed now */
	sh->result[PH_PINS] = check_no_pins() ? 0 : 1;
	sh->result[PH_FUZZ] = 1;
	sh->result[PH_SIM] = sh->sim_state == 1 ? 1 :
			     sh->sim_state == 0 ? -1 : 0;

	for (i = 0; i != ARRAY_SIZE(cmds); i++)
		printf("# %-24s %8llu calls %8llu ok\n", cmds[i].name,
		       (unsigned long long)cmds[i].calls,
		       (unsigned long long)cmds[i].ok);
	printf("# TEST_CMD op ok/calls:");
	for (i = 0; i != NTESTOP; i++)
		printf(" %u:%llu/%llu", i, (unsigned long long)testop_ok[i],
		       (unsigned long long)testop_calls[i]);
	printf("\n");
	printf("# vfio type1 compat: %llu calls; iommusim: %llu calls\n",
	       (unsigned long long)vfio_calls,
	       (unsigned long long)sh->sim_calls);
	if (kcov_fd >= 0 && !npcs) {
		/* no KCOV_INSTRUMENT_ALL kernel, no KCOV_INSTRUMENT=y modules */
		printf("# kcov: enabled, but no instrumented code ran\n");
	} else if (kcov_fd >= 0) {
		uint64_t core = pcs_in_module("iommufd_core");
		uint64_t sim = pcs_in_module("iommusim");

		printf("# kcov: %llu distinct PCs (iommufd_core %llu, ",
		       (unsigned long long)npcs, (unsigned long long)core);
		printf("iommusim %llu); corpus %u entries (%llu added, ",
		       (unsigned long long)sim, ncorpus,
		       (unsigned long long)corpus_adds);
		printf("%llu mutated runs)\n", (unsigned long long)corpus_runs);
	} else {
		printf("# %s\n", kcov_why);
	}
	fflush(stdout);
	_exit(0);
}

/* After the worker: a fresh descriptor must still do a full cycle */
static int fresh_cycle(char *why, size_t wlen)
{
	size_t len = 16 * psize;
	char *buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct iommu_ioas_alloc al = { .size = sizeof(al) };
	struct iommu_test_cmd md = { .size = sizeof(md),
				     .op = IOMMU_TEST_OP_MOCK_DOMAIN };
	struct iommu_ioas_map mp = { .size = sizeof(mp) };
	struct iommu_ioas_unmap um = { .size = sizeof(um) };
	struct iommu_destroy ds = { .size = sizeof(ds) };
	int fd = open("/dev/iommu", O_RDWR), step = 0;

	if (buf == MAP_FAILED || fd < 0)
		goto fail;
	memset(buf, 1, len);
	/* Undo whatever limit the fuzzer left for the pinning code */
	set_temp_limit(fd, 65536);
	step++;
	if (ioctl(fd, IOMMU_IOAS_ALLOC, &al))
		goto fail;
	step++;
	md.id = al.out_ioas_id;
	if (ioctl(fd, IOMMU_TEST_CMD, &md))
		goto fail;
	step++;
	mp.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		   IOMMU_IOAS_MAP_WRITEABLE;
	mp.ioas_id = al.out_ioas_id;
	mp.user_va = (uintptr_t)buf;
	mp.length = len;
	mp.iova = MOCK_APERTURE_START;
	if (ioctl(fd, IOMMU_IOAS_MAP, &mp))
		goto fail;
	step++;
	um.ioas_id = al.out_ioas_id;
	um.iova = MOCK_APERTURE_START;
	um.length = len;
	if (ioctl(fd, IOMMU_IOAS_UNMAP, &um) || um.length != len)
		goto fail;
	step++;
	ds.id = md.mock_domain.out_stdev_id;
	if (ioctl(fd, IOMMU_DESTROY, &ds))
		goto fail;
	step++;
	ds.id = al.out_ioas_id;
	if (ioctl(fd, IOMMU_DESTROY, &ds))
		goto fail;
	close(fd);
	munmap(buf, len);
	return 0;
fail:
	/* steps: open, limit, IOAS_ALLOC, mock domain, MAP, UNMAP, DESTROYs */
	snprintf(why, wlen, "step %d of the cycle failed: errno %d",
		 step, errno);
	if (fd >= 0)
		close(fd);
	return -1;
}

static void cmdline_opts(void)
{
	char line[4096], *p;
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	for (p = strtok(line, "\n\t "); p; p = strtok(NULL, "\n\t ")) {
		if (!strncmp(p, "iommufd_fuzz.seed=", 18)) {
			opt_seed = strtoull(p + 18, NULL, 0);
			opt_seed_set = true;
		} else if (!strncmp(p, "iommufd_fuzz.iters=", 19)) {
			opt_iters = strtoull(p + 19, NULL, 0);
		} else if (!strncmp(p, "iommufd_fuzz.secs=", 18)) {
			opt_secs = strtoul(p + 18, NULL, 0);
		}
	}
}

/*
 * The kernel log, read while the worker runs: a WARN, BUG, KASAN, UBSAN,
 * lockdep or refcount report is a crash even if every request returned,
 * and the iteration it showed up at tells where to look.
 */
static int kmsg_fd = -1;
static char kmsg_hit[200];
static uint64_t kmsg_hit_iter;
static int kmsg_hit_cmd;

static void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

static void kmsg_poll(void)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "KASAN", "UBSAN", "refcount_t:",
		"possible circular locking", "possible recursive locking",
		"inconsistent lock state", "still in use after",
		"general protection fault", "kernel BUG",
	};
	char rec[1024];
	unsigned int i;
	ssize_t n;

	if (kmsg_fd < 0)
		return;
	for (;;) {
		char *msg;

		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			return;
		rec[n] = 0;
		msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		msg[strcspn(msg, "\n")] = 0;
		for (i = 0; i != ARRAY_SIZE(bad); i++) {
			if (!kmsg_hit[0] && strstr(msg, bad[i])) {
				snprintf(kmsg_hit, sizeof(kmsg_hit), "%.190s",
					 msg);
				kmsg_hit_iter = sh->iter;
				kmsg_hit_cmd = sh->last_cmd;
			}
		}
	}
}

static const char *cmd_name(int ci)
{
	if (ci >= 0 && ci < (int)ARRAY_SIZE(cmds))
		return cmds[ci].name;
	return ci == -1 ? "VFIO type1" : ci == -2 ? "iommusim cdev" :
	       "raw request";
}

int main(int argc, char **argv)
{
	double t0, deadline, grace;
	char why[200];
	int opt, status, i, fails = 0;
	pid_t pid;
	struct stat st;

	psize = sysconf(_SC_PAGESIZE);
	cmdline_opts();
	while ((opt = getopt(argc, argv, "s:n:t:v")) != -1) {
		switch (opt) {
		case 's':
			opt_seed = strtoull(optarg, NULL, 0);
			opt_seed_set = true;
			break;
		case 'n':
			opt_iters = strtoull(optarg, NULL, 0);
			break;
		case 't':
			opt_secs = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			opt_verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-s SEED] [-n ITERS] [-t SECONDS] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	debug_kernel = !stat("/sys/kernel/debug/kcov", &st) ||
		       !stat("/sys/kernel/debug/kmemleak", &st);
	if (!opt_secs)
		opt_secs = debug_kernel ? 30 : 15;
	if (!opt_seed_set) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt_seed = ((uint64_t)ts.tv_sec << 20) ^ ts.tv_nsec ^ getpid();
	}
	rng_state = opt_seed;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 1;
	memset(sh, 0, sizeof(*sh));
	for (i = 0; i != PH_NR; i++)
		sh->result[i] = -1;

	printf("TAP version 13\n1..4\n");
	printf("# iommufd_fuzz: seed %llu, budget %u s", (unsigned long long)
	       opt_seed, opt_secs);
	if (opt_iters != ~0ULL)
		printf(" / %llu iterations", (unsigned long long)opt_iters);
	printf(" (%s kernel); reproduce with: iommufd_fuzz -s %llu -t %u%s\n",
	       debug_kernel ? "debug" : "stock",
	       (unsigned long long)opt_seed, opt_secs,
	       opt_iters != ~0ULL ? " -n ..." : "");
	fflush(stdout);

	kmsg_open();
	t0 = now();
	deadline = t0 + opt_secs;
	/* A request that does not return within this is a hang */
	grace = debug_kernel ? 300 : 90;
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid)
		worker(deadline);

	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		kmsg_poll();
		if (w == pid)
			break;
		if (now() > deadline + grace) {
			printf("# worker hung: iteration %llu, last request %s\n",
			       (unsigned long long)sh->iter,
			       cmd_name(sh->last_cmd));
			kill(pid, SIGKILL);
			for (i = 0; i != 100; i++) {
				if (waitpid(pid, &status, WNOHANG) == pid)
					break;
				usleep(100000);
			}
			status = -1;
			sh->crashes++;
			break;
		}
		usleep(20000);
	}
	if (status != -1 && !(WIFEXITED(status) && !WEXITSTATUS(status))) {
		sh->crashes++;
		printf("# worker ended with status %#x at iteration %llu, last request %s\n",
		       status,
		       (unsigned long long)sh->iter, cmd_name(sh->last_cmd));
		sh->result[PH_FUZZ] = 0;
	}

	kmsg_poll();
	if (kmsg_hit[0]) {
		sh->crashes++;
		printf("# kernel report at iteration %llu (around request %s): %s\n",
		       (unsigned long long)kmsg_hit_iter,
		       cmd_name(kmsg_hit_cmd), kmsg_hit);
	}
	if (sh->result[PH_FUZZ] == 1 && !sh->crashes) {
		printf("ok 1 fuzz: %llu calls (%llu more by %llu children, ",
		       (unsigned long long)sh->calls,
		       (unsigned long long)sh->child_calls,
		       (unsigned long long)sh->child_runs);
		printf("%llu killed mid-run) in %.1f s, 0 crashes, seed %llu\n",
		       (unsigned long long)sh->kills, now() - t0,
		       (unsigned long long)opt_seed);
	} else {
		printf("not ok 1 fuzz: %llu calls, %llu crashes, seed %llu%s%s\n",
		       (unsigned long long)sh->calls,
		       (unsigned long long)sh->crashes,
		       (unsigned long long)opt_seed,
		       sh->why[PH_FUZZ][0] ? ": " : "", sh->why[PH_FUZZ]);
		fails++;
	}
	if (sh->result[PH_SIM] == 1) {
		printf("ok 2 fuzz: iommusim cdevs, %llu calls\n",
		       (unsigned long long)sh->sim_calls);
	} else if (sh->result[PH_SIM] == -1) {
		printf("ok 2 fuzz: iommusim cdevs # SKIP %s\n", sh->sim_why);
	} else {
		printf("not ok 2 fuzz: iommusim cdevs: %s\n", sh->sim_why);
		fails++;
	}
	if (sh->result[PH_PINS] == 1) {
		printf("ok 3 fuzz: no page pinned after every descriptor closed\n");
	} else {
		printf("not ok 3 fuzz: pins left after close: %s\n",
		       sh->why[PH_PINS][0] ? sh->why[PH_PINS] : "not run");
		fails++;
	}
	if (!fresh_cycle(why, sizeof(why))) {
		printf("ok 4 fuzz: a fresh fd does IOAS_ALLOC/MAP/UNMAP/DESTROY\n");
	} else {
		printf("not ok 4 fuzz: fresh fd cycle: %s\n", why);
		fails++;
	}
	printf("# Totals: pass:%d fail:%d\n", 4 - fails, fails);
	return fails ? 1 : 0;
}
