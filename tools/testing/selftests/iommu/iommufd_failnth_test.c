// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault injection at every fallible call of our ioctl flows.
 *
 * For each flow and N = 1, 2, ...: a fresh /dev/iommu fd is prepared with
 * no injection, then N is written to /proc/thread-self/fail-nth so that the
 * Nth fault point the thread passes (slab, page allocator, user copies and
 * our own fail_iommufd) fails, and the flow's ioctls run. Reading fail-nth
 * back tells whether the injection fired (0) or was never reached. A failed
 * flow must report a sane errno and leave the fd usable and consistent;
 * closing the fd must leave no page pinned. The loop ends at the first N
 * whose injection point was never reached: the flow then ran to the end.
 *
 * Kernels without fault injection (the stock lane) have no fail-nth file:
 * every test skips there.
 */
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/vfio.h>

#include "iofd_test_util.h"

#define P(n) ((__u64)(n) * iofd_psize)

#define FAILNTH_FILE "/proc/thread-self/fail-nth"
#define DEBUGFS "/sys/kernel/debug"
/* Far above what any flow needs today; hitting it means a runaway loop. */
#define FAILNTH_CAP 2000
#define FLOW_PAGES 4
/* A flow that succeeded with a wrong answer; never a sane errno. */
#define WRONG_RESULT EIO

/* Kept across the harness's fork per test, for the closing total. */
static unsigned long *failnth_total;

static void __attribute__((constructor)) failnth_init(void)
{
	void *p = mmap(NULL, sizeof(*failnth_total), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	failnth_total = p == MAP_FAILED ? NULL : p;
	if (failnth_total)
		*failnth_total = 0;
}

/* State a flow sets up before the injection and looks at afterwards. */
struct flow_ctx {
	int fd;
	void *buf;
	__u32 ioas;
	__u32 ioas2;
	__u32 stdev;
	__u32 hwpt;
	__u32 hwpt2;
	__u32 idev;
	__u32 new_hwpt;
	int access_fd;
	__u64 iova;
	/* Which ioctl of a multi-ioctl flow ran last, for the log. */
	int stage;
	/* What the dirty bitmap flow read. */
	__u64 bitmap;
};

/*
 * setup: runs without injection, returns 0 or a step number.
 * run:   the injected part, returns 0 or the errno of the failing ioctl.
 * check: after the run (errno @err), verifies the object graph without
 *        injection, returns 0 or a step number.
 */
struct flow {
	const char *name;
	int (*setup)(struct flow_ctx *c);
	int (*run)(struct flow_ctx *c);
	int (*check)(struct flow_ctx *c, int err);
	/*
	 * fail_iommufd makes an object lookup miss. Where the uAPI answers a
	 * missing ID with EINVAL rather than ENOENT (HWPT_ALLOC's pt_id),
	 * that is the right errno for the injected miss: stage @einval_stage.
	 */
	int einval_stage;
};

static int err_of(int rc)
{
	return rc ? (errno ? errno : EIO) : 0;
}

/* ---- fault injection knobs ---------------------------------------------- */

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/*
 * fail-nth counts every fault point regardless of probability, but the
 * slab and page allocator points skip sleeping allocations and (for pages)
 * order 0 by default, which is nearly everything we allocate. Every attr
 * directory is made quiet so the injected failures do not fill the log
 * with stack dumps.
 */
static void failnth_knobs(void)
{
	char path[512];
	struct dirent *de;
	DIR *d;

	if (access(DEBUGFS "/failslab", F_OK))
		mount("debugfs", DEBUGFS, "debugfs", 0, NULL);
	write_str(DEBUGFS "/failslab/ignore-gfp-wait", "N");
	write_str(DEBUGFS "/fail_page_alloc/ignore-gfp-wait", "N");
	write_str(DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", "N");
	write_str(DEBUGFS "/fail_page_alloc/min-order", "0");

	d = opendir(DEBUGFS);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "fail", 4))
			continue;
		snprintf(path, sizeof(path), DEBUGFS "/%s/verbose", de->d_name);
		write_str(path, "0");
	}
	closedir(d);
}

/*
 * Disarm fail-nth and say whether it fired. A user copy inside this very
 * read can be the armed point (it then fails with EFAULT); that means the
 * flow itself did not reach it.
 */
static bool failnth_disarm(int pfd)
{
	char buf[32] = "";
	ssize_t n;

	n = pread(pfd, buf, sizeof(buf) - 1, 0);
	if (n < 0)
		buf[0] = '1';
	while (pwrite(pfd, "0", 1, 0) != 1 && errno == EFAULT)
		;
	return buf[0] == '0' && (buf[1] == '\n' || buf[1] == 0);
}

/* What an injected allocation or copy failure may surface as. */
static bool sane_errno(int err)
{
	return err == ENOMEM || err == EFAULT || err == ENOENT ||
	       err == ENOSPC;
}

static void ctx_init(struct flow_ctx *c, void *buf)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->access_fd = -1;
	c->buf = buf;
	c->iova = MOCK_APERTURE_START;
}

/* The fd must still answer: a new IOAS, ranges of it, and its destroy. */
static int fd_alive(struct flow_ctx *c)
{
	struct iommu_iova_range r[4];
	__u32 num = IOFD_ARRAY_SIZE(r);
	__u32 id;

	if (iofd_ioas_alloc(c->fd, &id))
		return 1;
	if (iofd_iova_ranges(c->fd, id, r, &num, NULL) || num < 1)
		return 2;
	return iofd_destroy(c->fd, id) ? 3 : 0;
}

static void run_flow(struct __test_metadata *_metadata,
		     const struct flow *f)
{
	unsigned int n, points = 0;
	struct flow_ctx c;
	char num[16];
	void *buf;
	int pfd;

	if (access(FAILNTH_FILE, F_OK))
		SKIP(return, "no " FAILNTH_FILE " (kernel without fault injection)");
	failnth_knobs();
	buf = iofd_alloc_buf(P(FLOW_PAGES));
	ASSERT_NE(NULL, buf);
	pfd = open(FAILNTH_FILE, O_RDWR);
	ASSERT_LE(0, pfd);

	for (n = 1; n <= FAILNTH_CAP; n++) {
		bool fired;
		int len, err, step;

		ctx_init(&c, buf);
		c.fd = iofd_open();
		ASSERT_LE(0, c.fd);
		step = f->setup ? f->setup(&c) : 0;
		ASSERT_EQ(0, step) TH_LOG("%s: setup step %d, N=%u", f->name,
					  step, n);

		len = snprintf(num, sizeof(num), "%u", n);
		ASSERT_EQ(len, pwrite(pfd, num, len, 0));
		err = f->run(&c);
		fired = failnth_disarm(pfd);

		if (err && !(err == EINVAL && f->einval_stage &&
			     c.stage == f->einval_stage))
			ASSERT_TRUE(sane_errno(err))
				TH_LOG("%s: N=%u stage %d errno %d (%s)",
				       f->name, n, c.stage, err, strerror(err));
		/* An ioctl that did not fire must not have failed. */
		if (!fired)
			ASSERT_EQ(0, err) TH_LOG("%s: N=%u failed uninjected",
						 f->name, n);
		errno = 0;
		step = f->check(&c, err);
		ASSERT_EQ(0, step) TH_LOG("%s: N=%u err=%d check step %d: %s",
					  f->name, n, err, step,
					  strerror(errno));
		ASSERT_EQ(0, fd_alive(&c)) TH_LOG("%s: N=%u fd unusable",
						  f->name, n);
		if (c.access_fd >= 0)
			close(c.access_fd);
		ASSERT_OK(iofd_close_and_check_unpinned(c.fd, buf,
							P(FLOW_PAGES)))
			TH_LOG("%s: N=%u pages left pinned", f->name, n);
		if (!fired) {
			points = n - 1;
			break;
		}
	}
	close(pfd);
	munmap(buf, P(FLOW_PAGES));
	ASSERT_GE(FAILNTH_CAP, n) TH_LOG("%s: cap of %d reached", f->name,
					 FAILNTH_CAP);
	if (failnth_total)
		__atomic_add_fetch(failnth_total, points, __ATOMIC_RELAXED);
	ksft_print_msg("fail-nth %s: %u injection points\n", f->name, points);
}

/* ---- flows ------------------------------------------------------------- */

static int run_ioas_alloc(struct flow_ctx *c)
{
	return err_of(iofd_ioas_alloc(c->fd, &c->ioas));
}

static int check_ioas_alloc(struct flow_ctx *c, int err)
{
	struct iommu_iova_range r[2];
	__u32 num = IOFD_ARRAY_SIZE(r);

	if (err)
		return 0;
	if (iofd_iova_ranges(c->fd, c->ioas, r, &num, NULL))
		return 1;
	return iofd_destroy(c->fd, c->ioas) ? 2 : 0;
}

static int setup_ioas_domain(struct flow_ctx *c)
{
	if (iofd_ioas_alloc(c->fd, &c->ioas))
		return 1;
	if (iofd_mock_dev(c->fd, c->ioas, &c->stdev, &c->hwpt, &c->idev))
		return 2;
	return 0;
}

static int run_map(struct flow_ctx *c)
{
	return err_of(iofd_map_fixed(c->fd, c->ioas, c->buf, P(FLOW_PAGES),
				     c->iova));
}

/*
 * A failed map is all or nothing. Nothing: the range is free and mapping it
 * again works. All: only the copy of the answer back to the user failed
 * (EFAULT, as upstream leaves the map in place then), the map is complete.
 */
static int check_map(struct flow_ctx *c, int err)
{
	__u64 done = 0;
	int rc;

	if (err) {
		rc = run_map(c);
		if (rc && !(err == EFAULT && rc == EEXIST))
			return 1;
	}
	if (iofd_check_map(c->fd, c->hwpt, c->iova, c->buf, P(FLOW_PAGES)))
		return 2;
	if (iofd_check_pins(c->fd, c->buf, P(FLOW_PAGES), 1))
		return 3;
	if (iofd_unmap(c->fd, c->ioas, c->iova, P(FLOW_PAGES), &done) ||
	    done != P(FLOW_PAGES))
		return 4;
	return 0;
}

static int setup_mapped(struct flow_ctx *c)
{
	int step = setup_ioas_domain(c);

	if (step)
		return step;
	return run_map(c) ? 3 : 0;
}

static int run_second_domain(struct flow_ctx *c)
{
	return err_of(iofd_mock_dev(c->fd, c->ioas, NULL, &c->hwpt2, NULL));
}

static int check_second_domain(struct flow_ctx *c, int err)
{
	if (iofd_check_map(c->fd, c->hwpt, c->iova, c->buf, P(FLOW_PAGES)))
		return 1;
	if (err && run_second_domain(c))
		return 2;
	if (iofd_check_map(c->fd, c->hwpt2, c->iova, c->buf, P(FLOW_PAGES)))
		return 3;
	return 0;
}

static int setup_copy(struct flow_ctx *c)
{
	int step = setup_mapped(c);

	if (step)
		return step;
	if (iofd_ioas_alloc(c->fd, &c->ioas2))
		return 4;
	if (iofd_mock_dev(c->fd, c->ioas2, NULL, &c->hwpt2, NULL))
		return 5;
	return 0;
}

static int run_copy(struct flow_ctx *c)
{
	__u64 dst = c->iova;

	return err_of(iofd_copy(c->fd, c->ioas2, &dst, c->ioas, c->iova,
				P(FLOW_PAGES),
				IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW));
}

/* All or nothing, as for a map (see check_map()). */
static int check_copy(struct flow_ctx *c, int err)
{
	int rc;

	if (err) {
		rc = run_copy(c);
		if (rc && !(err == EFAULT && rc == EEXIST))
			return 1;
	}
	if (iofd_check_map(c->fd, c->hwpt2, c->iova, c->buf, P(FLOW_PAGES)))
		return 2;
	/* Both IOASes share the source's pinned pages: still one pin. */
	if (iofd_check_pins(c->fd, c->buf, P(FLOW_PAGES), 1))
		return 3;
	return 0;
}

static int run_replace(struct flow_ctx *c)
{
	c->stage = 1;
	if (iofd_hwpt_alloc(c->fd, c->idev, c->ioas, 0, &c->new_hwpt))
		return err_of(-1);
	c->stage = 2;
	return err_of(iofd_mock_replace(c->fd, c->stdev, c->new_hwpt, NULL));
}

static int check_replace(struct flow_ctx *c, int err)
{
	__u32 cur = c->new_hwpt ? c->new_hwpt : c->hwpt;

	if (!err) {
		/* The old HWPT is no longer used and can go. */
		if (iofd_destroy(c->fd, c->hwpt) && errno != ENOENT)
			return 1;
	} else if (err == EFAULT && c->stage == 2 &&
		   iofd_check_map(c->fd, c->hwpt, c->iova, c->buf,
				  P(FLOW_PAGES)) && errno == ENOENT) {
		/*
		 * Only copying the reply back failed: the replace itself is
		 * done (as upstream), so the automatic HWPT it left is gone.
		 */
	} else {
		/* Still attached to the old domain, which still maps. */
		if (iofd_check_map(c->fd, c->hwpt, c->iova, c->buf,
				   P(FLOW_PAGES)))
			return 2;
		if (c->new_hwpt && iofd_destroy(c->fd, c->new_hwpt))
			return 3;
		c->new_hwpt = 0;
		if (run_replace(c))
			return 4;
		cur = c->new_hwpt;
	}
	if (iofd_check_map(c->fd, cur, c->iova, c->buf, P(FLOW_PAGES)))
		return 5;
	return 0;
}

static int setup_access(struct flow_ctx *c)
{
	if (iofd_ioas_alloc(c->fd, &c->ioas))
		return 1;
	return run_map(c) ? 2 : 0;
}

static int run_access(struct flow_ctx *c)
{
	char tmp[64];
	__u32 pages;

	c->stage = 1;
	if (iofd_access_create(c->fd, c->ioas,
			       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
			       &c->access_fd))
		return err_of(-1);
	c->stage = 2;
	if (iofd_access_pin(c->fd, c->access_fd, MOCK_FLAGS_ACCESS_WRITE,
			    c->iova, P(1), c->buf, &pages))
		return err_of(-1);
	c->stage = 3;
	if (iofd_access_rw(c->fd, c->access_fd, c->iova + 8, tmp, sizeof(tmp),
			   0))
		return err_of(-1);
	/* What the access read is what the user memory holds. */
	if (memcmp(tmp, (char *)c->buf + 8, sizeof(tmp)))
		return WRONG_RESULT;
	return 0;
}

static int check_access(struct flow_ctx *c, int err)
{
	__u64 done = 0;

	if (c->access_fd >= 0) {
		close(c->access_fd);
		c->access_fd = -1;
	}
	/* The access is gone with its fd; a domainless IOAS pins nothing. */
	if (iofd_check_pins(c->fd, c->buf, P(FLOW_PAGES), 0))
		return 1;
	if (iofd_unmap(c->fd, c->ioas, c->iova, P(FLOW_PAGES), &done) ||
	    done != P(FLOW_PAGES))
		return 2;
	return 0;
}

static int setup_vfio(struct flow_ctx *c)
{
	if (iofd_ioas_alloc(c->fd, &c->ioas))
		return 1;
	if (iofd_vfio_ioas(c->fd, IOMMU_VFIO_IOAS_SET, &c->ioas))
		return 2;
	if (ioctl(c->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return 3;
	return 0;
}

static int run_vfio_map(struct flow_ctx *c)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)c->buf,
		.iova = c->iova,
		.size = P(FLOW_PAGES),
	};

	return err_of(ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &map));
}

static int check_vfio_map(struct flow_ctx *c, int err)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = c->iova,
		.size = P(FLOW_PAGES),
	};

	if (err && run_vfio_map(c))
		return 1;
	/* No device, no domain: the map is recorded but nothing is pinned. */
	if (iofd_check_pins(c->fd, c->buf, P(FLOW_PAGES), 0))
		return 2;
	if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap) ||
	    unmap.size != P(FLOW_PAGES))
		return 3;
	return 0;
}

static int run_hw_info(struct flow_ctx *c)
{
	struct iommu_test_hw_info data;
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = c->idev,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};

	if (ioctl(c->fd, IOMMU_GET_HW_INFO, &cmd))
		return err_of(-1);
	return cmd.out_data_type == IOMMU_HW_INFO_TYPE_SELFTEST ? 0 : WRONG_RESULT;
}

static int check_hw_info(struct flow_ctx *c, int err)
{
	if (err && run_hw_info(c))
		return 1;
	return 0;
}

static int setup_ioas(struct flow_ctx *c)
{
	if (iofd_ioas_alloc(c->fd, &c->ioas))
		return 1;
	/* A hole, so the answer has more than one range. */
	if (iofd_add_reserved(c->fd, c->ioas, c->iova, P(FLOW_PAGES)))
		return 2;
	return 0;
}

static int run_iova_ranges(struct flow_ctx *c)
{
	struct iommu_iova_range r[4];
	__u32 num = IOFD_ARRAY_SIZE(r);

	if (iofd_iova_ranges(c->fd, c->ioas, r, &num, NULL))
		return err_of(-1);
	return num == 2 ? 0 : WRONG_RESULT;
}

static int check_iova_ranges(struct flow_ctx *c, int err)
{
	if (err && run_iova_ranges(c))
		return 1;
	return 0;
}

static int run_allow_iovas(struct flow_ctx *c)
{
	struct iommu_iova_range r[2] = {
		{ .start = P(16), .last = P(32) - 1 },
		{ .start = P(64), .last = P(128) - 1 },
	};

	return err_of(iofd_allow_iovas(c->fd, c->ioas, r, 2));
}

/* Either the old allow list or the new one, and mapping follows it. */
static int check_allow_iovas(struct flow_ctx *c, int err)
{
	__u64 iova;

	if (run_iova_ranges(c))
		return 1;
	if (err && run_allow_iovas(c))
		return 2;
	if (iofd_map_auto(c->fd, c->ioas, c->buf, P(FLOW_PAGES), &iova))
		return 3;
	if (iova < P(16) || iova + P(FLOW_PAGES) > P(128))
		return 4;
	return iofd_unmap(c->fd, c->ioas, iova, P(FLOW_PAGES), NULL) ? 5 : 0;
}

/*
 * Dirty tracking: a dirty-tracking HWPT (hwpt2) on the mapped IOAS, tracking
 * on, and the mock device "wrote" to IO pages 1 and 5 of the mapping.
 */
#define DIRTY_BITS 0x22ULL

static int dirty_set(struct flow_ctx *c, bool enable)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = c->hwpt2,
	};

	return ioctl(c->fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

/* One bit per mock IO page of the mapping into *@out (zeroed first). */
static int dirty_read(struct flow_ctx *c, __u32 flags, __u64 *out)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = c->hwpt2,
		.flags = flags,
		.iova = c->iova,
		.length = P(FLOW_PAGES),
		.page_size = IOFD_MOCK_IO_PAGE,
		.data = (uintptr_t)out,
	};

	*out = 0;
	return ioctl(c->fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

static int dirty_write(struct flow_ctx *c)
{
	__u64 bits = DIRTY_BITS;
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DIRTY,
		.id = c->hwpt2,
		.dirty = { .iova = c->iova,
			   .length = P(FLOW_PAGES),
			   .page_size = IOFD_MOCK_IO_PAGE,
			   .uptr = (uintptr_t)&bits },
	};

	if (iofd_test(c->fd, &cmd))
		return -1;
	return cmd.dirty.out_nr_dirty == 2 ? 0 : -1;
}

static int setup_dirty(struct flow_ctx *c)
{
	int step = setup_mapped(c);

	if (step)
		return step;
	if (iofd_hwpt_alloc(c->fd, c->idev, c->ioas,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &c->hwpt2))
		return 4;
	if (dirty_set(c, true))
		return 5;
	return dirty_write(c) ? 6 : 0;
}

/* Enabling again clears the dirty state recorded so far. */
static int run_set_dirty(struct flow_ctx *c)
{
	return err_of(dirty_set(c, true));
}

static int check_set_dirty(struct flow_ctx *c, int err)
{
	__u64 bits;

	if (err && dirty_set(c, true))
		return 1;
	if (dirty_read(c, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, &bits))
		return 2;
	if (bits)
		return WRONG_RESULT;
	/* Tracking is on: writes are recorded again */
	if (dirty_write(c))
		return 3;
	if (dirty_read(c, 0, &bits))
		return 4;
	return bits == DIRTY_BITS ? 0 : WRONG_RESULT;
}

static int run_get_dirty(struct flow_ctx *c)
{
	return err_of(dirty_read(c, 0, &c->bitmap));
}

/*
 * Success: the bits came and were cleared. Failure: nothing was cleared,
 * except when writing the bitmap back faulted (EFAULT) after the harvest.
 */
static int check_get_dirty(struct flow_ctx *c, int err)
{
	__u64 bits;

	if (!err && c->bitmap != DIRTY_BITS)
		return WRONG_RESULT;
	if (dirty_read(c, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, &bits))
		return 1;
	if (!err && bits)
		return 2;
	if (err && bits != DIRTY_BITS && !(err == EFAULT && !bits))
		return 3;
	if (dirty_read(c, 0, &bits))
		return 4;
	if (dirty_write(c))
		return 5;
	if (dirty_read(c, 0, &bits))
		return 6;
	return bits == DIRTY_BITS ? 0 : WRONG_RESULT;
}

static const struct flow flow_ioas_alloc = {
	"ioas_alloc", NULL, run_ioas_alloc, check_ioas_alloc,
};

static const struct flow flow_map_domain = {
	"map_domain", setup_ioas_domain, run_map, check_map,
};

static const struct flow flow_second_domain = {
	"map_then_second_domain", setup_mapped, run_second_domain,
	check_second_domain,
};

static const struct flow flow_copy = {
	"copy_two_domains", setup_copy, run_copy, check_copy,
};

static const struct flow flow_replace = {
	"hwpt_alloc_replace", setup_mapped, run_replace, check_replace, 1,
};

static const struct flow flow_access = {
	"access_pages_rw", setup_access, run_access, check_access,
};

static const struct flow flow_vfio = {
	"vfio_map_dma", setup_vfio, run_vfio_map, check_vfio_map,
};

static const struct flow flow_hw_info = {
	"get_hw_info", setup_ioas_domain, run_hw_info, check_hw_info,
};

static const struct flow flow_iova_ranges = {
	"iova_ranges", setup_ioas, run_iova_ranges, check_iova_ranges,
};

static const struct flow flow_allow_iovas = {
	"allow_iovas", setup_ioas, run_allow_iovas, check_allow_iovas,
};

static const struct flow flow_set_dirty = {
	"set_dirty_tracking", setup_dirty, run_set_dirty, check_set_dirty,
};

static const struct flow flow_get_dirty = {
	"get_dirty_bitmap", setup_dirty, run_get_dirty, check_get_dirty,
};

TEST(ioas_alloc) { run_flow(_metadata, &flow_ioas_alloc); }
TEST(map_domain) { run_flow(_metadata, &flow_map_domain); }
TEST(map_then_second_domain) { run_flow(_metadata, &flow_second_domain); }
TEST(copy_two_domains) { run_flow(_metadata, &flow_copy); }
TEST(hwpt_alloc_replace) { run_flow(_metadata, &flow_replace); }
TEST(access_pages_rw) { run_flow(_metadata, &flow_access); }
TEST(vfio_map_dma) { run_flow(_metadata, &flow_vfio); }
TEST(get_hw_info) { run_flow(_metadata, &flow_hw_info); }
TEST(iova_ranges) { run_flow(_metadata, &flow_iova_ranges); }
TEST(allow_iovas) { run_flow(_metadata, &flow_allow_iovas); }
TEST(set_dirty_tracking) { run_flow(_metadata, &flow_set_dirty); }
TEST(get_dirty_bitmap) { run_flow(_metadata, &flow_get_dirty); }

/* Runs last (tests run in the order they are defined). */
TEST(total)
{
	if (access(FAILNTH_FILE, F_OK))
		SKIP(return, "no " FAILNTH_FILE " (kernel without fault injection)");
	ASSERT_NE(NULL, failnth_total);
	ksft_print_msg("fail-nth total: %lu injection points\n",
		       *failnth_total);
}

TEST_HARNESS_MAIN
