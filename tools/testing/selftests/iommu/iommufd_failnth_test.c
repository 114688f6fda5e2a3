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

#include "iommusim_util.h"

#define P(n) ((__u64)(n) * iofd_psize)

#define FAILNTH_FILE "/proc/thread-self/fail-nth"
#define DEBUGFS "/sys/kernel/debug"
/* Far above what any flow needs today; hitting it means a runaway loop. */
#define FAILNTH_CAP 2000
#define FLOW_PAGES 4
/* A flow that succeeded with a wrong answer; never a sane errno. */
#define WRONG_RESULT EIO

/*
 * Kept across the harness's fork per test, for the closing total: [0] all
 * flows, [1] the flows over the simulated IOMMUs.
 */
static unsigned long *failnth_total;

static void __attribute__((constructor)) failnth_init(void)
{
	void *p = mmap(NULL, 2 * sizeof(*failnth_total),
		       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		       -1, 0);

	failnth_total = p == MAP_FAILED ? NULL : p;
	if (failnth_total)
		memset(failnth_total, 0, 2 * sizeof(*failnth_total));
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
	/* Simulated device: its char device (bound to fd) and object ID */
	int dfd;
	__u32 devid;
	/* A second buffer of @run_len bytes (hugetlb if @run_huge) */
	unsigned char *run;
	size_t run_len;
	bool run_huge;
	long huge_free;
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
	 * The same point fails the claim of a device's reserved regions in
	 * an IOAS with EINVAL (as upstream's), which a RID attach to an IOAS
	 * it did not use before passes through.
	 */
	int einval_stage;
	/* Pages of the flow's buffer, FLOW_PAGES when 0 */
	unsigned int pages;
	/* Counted in the simulated-hardware subtotal */
	bool sim;
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
	c->dfd = -1;
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

static int run_buf_release(struct flow_ctx *c);

static void run_flow(struct __test_metadata *_metadata,
		     const struct flow *f)
{
	unsigned int pages = f->pages ? f->pages : FLOW_PAGES;
	unsigned int n, points = 0;
	struct flow_ctx c;
	char num[16];
	void *buf;
	int pfd;

	if (access(FAILNTH_FILE, F_OK))
		SKIP(return, "no " FAILNTH_FILE " (kernel without fault injection)");
	failnth_knobs();
	buf = iofd_alloc_buf(P(pages));
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
		/* The binding keeps the context alive: the device goes first */
		if (c.dfd >= 0)
			close(c.dfd);
		ASSERT_OK(iofd_close_and_check_unpinned(c.fd, buf,
							P(pages)))
			TH_LOG("%s: N=%u pages left pinned", f->name, n);
		if (c.run)
			ASSERT_OK(run_buf_release(&c))
				TH_LOG("%s: N=%u run buffer left pinned",
				       f->name, n);
		if (!fired) {
			points = n - 1;
			break;
		}
	}
	close(pfd);
	munmap(buf, P(pages));
	ASSERT_GE(FAILNTH_CAP, n) TH_LOG("%s: cap of %d reached", f->name,
					 FAILNTH_CAP);
	if (failnth_total) {
		__atomic_add_fetch(&failnth_total[0], points,
				   __ATOMIC_RELAXED);
		if (f->sim)
			__atomic_add_fetch(&failnth_total[1], points,
					   __ATOMIC_RELAXED);
	}
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

/* ---- flows over the simulated IOMMUs (iommusim.ko) ------------------------ */

/*
 * Each flow runs on an SMMUv3 and on a VT-d instance that the fixture
 * creates with one device; every N opens the device's char device again.
 * The flow's buffer: pages [0, SIM_MAPPED) are mapped at SIM_IOVA, the next
 * SIM_DMA_PAGES are the user side of DMA requests (pinned only while one
 * runs), and the last SIM_FAR_PAGES are mapped at SIM_IOVA_FAR, under
 * another top-level entry, so that filling a domain allocates tables at
 * every level.
 */
#define SIM_SID		16
#define SIM_IOVA	0x10000000ULL	/* clear of both MSI windows */
#define SIM_IOVA_2M	0x40000000ULL
#define SIM_IOVA_FAR	0x8000000000ULL	/* 512 GiB: top-level index 1 */
#define SIM_MAPPED	8
#define SIM_DMA_PAGES	8
#define SIM_FAR_PAGES	4
#define SIM_PAGES	(SIM_MAPPED + SIM_DMA_PAGES + SIM_FAR_PAGES)
#define SIM_DMA_BUF(c)	((unsigned char *)(c)->buf + P(SIM_MAPPED))
#define SIM_FAR_BUF(c)	(SIM_DMA_BUF(c) + P(SIM_DMA_PAGES))
/* The 2 MiB-aligned run of the map flow: two areas of 2 MiB */
#define SIM_RUN_LEN	(2 * SIM_2M)
#define SIM_PASID	1

/* The fixture's instance, for the flows (each test is its own process) */
static unsigned int sim_id;

/* Translation faults and blocked requests surface as EIO with a kind */
static int sim_fault_kind(struct flow_ctx *c, __u32 pasid, __u64 iova)
{
	struct iommusim_dma d;
	unsigned char tmp[8];

	if (!sim_dma(c->dfd, false, pasid, iova, tmp, sizeof(tmp), &d))
		return IOMMUSIM_FAULT_NONE;
	if (errno != EIO || !d.out_fault || d.out_done)
		return -1;
	return d.out_fault;
}

/* A device read at @iova gives what @expect holds */
static int sim_read_is(struct flow_ctx *c, __u32 pasid, __u64 iova,
		       const void *expect)
{
	unsigned char tmp[64];

	if (sim_dma(c->dfd, false, pasid, iova, tmp, sizeof(tmp), NULL))
		return -1;
	return memcmp(tmp, expect, sizeof(tmp)) ? -1 : 0;
}

/* Both mapped parts read back through @pasid, at their ends */
static int sim_mapped_ok(struct flow_ctx *c, __u32 pasid)
{
	unsigned char *b = c->buf;

	if (sim_read_is(c, pasid, SIM_IOVA + 5, b + 5))
		return -1;
	if (sim_read_is(c, pasid, SIM_IOVA + P(SIM_MAPPED) - 64,
			b + P(SIM_MAPPED) - 64))
		return -1;
	if (sim_read_is(c, pasid, SIM_IOVA_FAR + 3, SIM_FAR_BUF(c) + 3))
		return -1;
	return sim_read_is(c, pasid, SIM_IOVA_FAR + P(SIM_FAR_PAGES) - 64,
			   SIM_FAR_BUF(c) + P(SIM_FAR_PAGES) - 64);
}

/* IOAS pages pinned once (a domain maps them), DMA pages not at all */
static int sim_pins_ok(struct flow_ctx *c, unsigned int mapped_pins)
{
	if (iofd_check_pins(c->fd, c->buf, P(SIM_MAPPED), mapped_pins))
		return -1;
	if (iofd_check_pins(c->fd, SIM_FAR_BUF(c), P(SIM_FAR_PAGES),
			    mapped_pins))
		return -1;
	return iofd_check_pins(c->fd, SIM_DMA_BUF(c), P(SIM_DMA_PAGES), 0);
}

static int setup_sim_open(struct flow_ctx *c)
{
	unsigned char *b = c->buf;
	size_t i;

	/* Offset-dependent bytes, so a misplaced translation shows */
	for (i = 0; i < P(SIM_PAGES); i++)
		b[i] = (unsigned char)(i * 13 + (i >> 12) * 7);
	c->iova = SIM_IOVA;
	c->dfd = sim_dev_open(sim_id, SIM_SID);
	return c->dfd < 0 ? 1 : 0;
}

static int setup_sim_bound(struct flow_ctx *c)
{
	int step = setup_sim_open(c);

	if (step)
		return step;
	return sim_bind(c->dfd, c->fd, &c->devid) ? 2 : 0;
}

static int sim_map(struct flow_ctx *c)
{
	if (!c->ioas && iofd_ioas_alloc(c->fd, &c->ioas))
		return -1;
	if (iofd_map_fixed(c->fd, c->ioas, c->buf, P(SIM_MAPPED), SIM_IOVA))
		return -1;
	return iofd_map_fixed(c->fd, c->ioas, SIM_FAR_BUF(c), P(SIM_FAR_PAGES),
			      SIM_IOVA_FAR);
}

static int setup_sim_mapped(struct flow_ctx *c)
{
	int step = setup_sim_bound(c);

	if (step)
		return step;
	return sim_map(c) ? 3 : 0;
}

static int setup_sim_attached(struct flow_ctx *c)
{
	int step = setup_sim_mapped(c);

	if (step)
		return step;
	c->hwpt = c->ioas;
	return sim_attach(c->dfd, SIM_NO_PASID, &c->hwpt) ? 4 : 0;
}

/* (a) BIND of the device's char device */
static int run_sim_bind(struct flow_ctx *c)
{
	return err_of(sim_bind(c->dfd, c->fd, &c->devid));
}

/* A failed BIND leaves the device free: it binds, and then it works */
static int check_sim_bind(struct flow_ctx *c, int err)
{
	struct iommu_hw_info info;
	unsigned char data[256];
	__u32 pt;

	if (err && sim_bind(c->dfd, c->fd, &c->devid))
		return 1;
	if (!c->devid)
		return 2;
	if (sim_hw_info(c->fd, c->devid, data, sizeof(data), &info) ||
	    !info.out_data_type)
		return 3;
	if (sim_map(c))
		return 4;
	pt = c->ioas;
	if (sim_attach(c->dfd, SIM_NO_PASID, &pt))
		return 5;
	if (sim_mapped_ok(c, SIM_NO_PASID))
		return 6;
	return sim_pins_ok(c, 1) ? 7 : 0;
}

/* (b) the RID attached to an IOAS that has mappings: automatic domain */
static int run_sim_attach(struct flow_ctx *c)
{
	__u32 pt = c->ioas;

	c->stage = 1;
	if (sim_attach(c->dfd, SIM_NO_PASID, &pt))
		return err_of(-1);
	c->hwpt = pt;
	return pt && pt != c->ioas ? 0 : WRONG_RESULT;
}

/*
 * A failed first attach is undone completely (even when only the copy of
 * the answer failed): DMA stays blocked, no automatic HWPT is left holding
 * the IOAS (it can be destroyed), and the device attaches afterwards.
 */
static int check_sim_attach(struct flow_ctx *c, int err)
{
	if (err) {
		if (sim_fault_kind(c, SIM_NO_PASID, SIM_IOVA) !=
		    IOMMUSIM_FAULT_BLOCKED)
			return 1;
		if (sim_pins_ok(c, 0))
			return 2;
		if (iofd_destroy(c->fd, c->ioas))
			return 3;
		c->ioas = 0;
		if (sim_map(c))
			return 4;
		if (run_sim_attach(c))
			return 5;
	}
	if (iofd_destroy(c->fd, c->hwpt) != -1 || errno != EBUSY)
		return 6;
	if (sim_mapped_ok(c, SIM_NO_PASID))
		return 7;
	return sim_pins_ok(c, 1) ? 8 : 0;
}

/* (c) HWPT_ALLOC with DIRTY_TRACKING | PASID, then attach it as replace */
static int run_sim_replace(struct flow_ctx *c)
{
	__u32 pt;

	c->stage = 1;
	if (iofd_hwpt_alloc(c->fd, c->devid, c->ioas,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
			    IOMMU_HWPT_ALLOC_PASID, &c->new_hwpt))
		return err_of(-1);
	c->stage = 2;
	pt = c->new_hwpt;
	if (sim_attach(c->dfd, SIM_NO_PASID, &pt))
		return err_of(-1);
	return pt == c->new_hwpt ? 0 : WRONG_RESULT;
}

static int check_sim_replace(struct flow_ctx *c, int err)
{
	unsigned char byte = 0xa7;
	__u64 bits = 0;

	if (err && c->new_hwpt) {
		/*
		 * Attached (busy) only when just the copy of the answer
		 * failed; otherwise the new HWPT is unused and can go.
		 */
		if (!iofd_destroy(c->fd, c->new_hwpt))
			c->new_hwpt = 0;
		else if (errno != EBUSY || err != EFAULT || c->stage != 2)
			return 1;
	}
	if (err && !c->new_hwpt) {
		/* Still on the automatic domain, which still translates */
		if (iofd_destroy(c->fd, c->hwpt) != -1 || errno != EBUSY)
			return 2;
		if (sim_mapped_ok(c, SIM_NO_PASID))
			return 3;
		if (run_sim_replace(c))
			return 4;
	}
	/* The automatic HWPT went with the replace */
	if (iofd_destroy(c->fd, c->hwpt) != -1 || errno != ENOENT)
		return 5;
	if (sim_mapped_ok(c, SIM_NO_PASID))
		return 6;
	/* The new HWPT has what was asked for: dirty tracking works */
	if (sim_set_dirty(c->fd, c->new_hwpt, true))
		return 7;
	if (sim_dma_write(c->dfd, SIM_IOVA + P(2) + 9, &byte, 1))
		return 8;
	if (sim_get_dirty(c->fd, c->new_hwpt, SIM_IOVA, P(SIM_MAPPED),
			  SIM_4K, &bits, 0))
		return 9;
	if (bits != 1ULL << 2)
		return WRONG_RESULT;
	return sim_pins_ok(c, 1) ? 10 : 0;
}

/* (d) a PASID-capable HWPT attached at PASID 1 */
static int setup_sim_pasid(struct flow_ctx *c)
{
	int step = setup_sim_mapped(c);

	if (step)
		return step;
	if (iofd_hwpt_alloc(c->fd, c->devid, c->ioas, IOMMU_HWPT_ALLOC_PASID,
			    &c->hwpt2))
		return 4;
	return 0;
}

static int run_sim_pasid(struct flow_ctx *c)
{
	__u32 pt = c->hwpt2;

	if (sim_attach(c->dfd, SIM_PASID, &pt))
		return err_of(-1);
	return pt == c->hwpt2 ? 0 : WRONG_RESULT;
}

static int check_sim_pasid(struct flow_ctx *c, int err)
{
	if (err) {
		/* Nothing at the PASID: blocked, and the HWPT is unused */
		if (sim_fault_kind(c, SIM_PASID, SIM_IOVA) !=
		    IOMMUSIM_FAULT_BLOCKED)
			return 1;
		if (run_sim_pasid(c))
			return 2;
	}
	if (sim_mapped_ok(c, SIM_PASID))
		return 3;
	/* The RID is still blocked; the HWPT is in use */
	if (sim_fault_kind(c, SIM_NO_PASID, SIM_IOVA) != IOMMUSIM_FAULT_BLOCKED)
		return 4;
	if (iofd_destroy(c->fd, c->hwpt2) != -1 || errno != EBUSY)
		return 5;
	if (sim_pins_ok(c, 1))
		return 6;
	/* Detach blocks the PASID again and frees the HWPT for destroy */
	if (sim_detach(c->dfd, SIM_PASID))
		return 7;
	if (sim_fault_kind(c, SIM_PASID, SIM_IOVA) != IOMMUSIM_FAULT_BLOCKED)
		return 8;
	return iofd_destroy(c->fd, c->hwpt2) ? 9 : 0;
}

/* (e) IOAS_MAP of a 2 MiB-aligned run with the sim domain, then UNMAP */
static long huge_pages_free(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	long val = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "HugePages_Free: %ld", &val) == 1)
			break;
	fclose(f);
	return val;
}

/*
 * After the fd is closed: a small-page run must have no pin left; a
 * hugetlb run (whose compound pages the pin check skips) must go back to
 * the pool when unmapped, which a leftover pin would prevent.
 */
static int run_buf_release(struct flow_ctx *c)
{
	int fd, rc, i;

	if (!c->run_huge) {
		fd = iofd_open();
		if (fd < 0)
			return -1;
		rc = iofd_check_pins(fd, c->run, c->run_len, 0);
		close(fd);
		munmap(c->run, c->run_len);
		c->run = NULL;
		return rc;
	}
	munmap(c->run, c->run_len);
	c->run = NULL;
	for (i = 0; i < 100; i++) {
		if (huge_pages_free() == c->huge_free)
			return 0;
		usleep(10000);
	}
	errno = EBUSY;
	return -1;
}

static int setup_sim_map(struct flow_ctx *c)
{
	int step = setup_sim_bound(c);
	size_t i;

	if (step)
		return step;
	c->huge_free = huge_pages_free();
	c->run_len = SIM_RUN_LEN;
	c->run = iofd_alloc_huge(c->run_len);
	c->run_huge = c->run;
	if (!c->run)
		c->run = iofd_alloc_aligned(c->run_len, SIM_2M);
	if (!c->run)
		return 3;
	/* Offset-dependent bytes, so a misplaced translation shows */
	for (i = 0; i < c->run_len; i += 64)
		memset(c->run + i, (int)(i / 64 + i / SIM_2M * 7), 64);
	if (iofd_ioas_alloc(c->fd, &c->ioas))
		return 4;
	/* Attached to the empty IOAS: the maps fill the sim's tables */
	c->hwpt = c->ioas;
	return sim_attach(c->dfd, SIM_NO_PASID, &c->hwpt) ? 5 : 0;
}

static int sim_run_stage(struct flow_ctx *c, int stage)
{
	__u64 done = 0;

	switch (stage) {
	case 1:
	case 2:
		return iofd_map_fixed(c->fd, c->ioas,
				      c->run + (stage - 1) * SIM_2M, SIM_2M,
				      SIM_IOVA_2M + (stage - 1) * SIM_2M);
	default:
		if (iofd_unmap(c->fd, c->ioas, SIM_IOVA_2M, SIM_2M, &done))
			return -1;
		if (done != SIM_2M) {
			errno = WRONG_RESULT;
			return -1;
		}
		return 0;
	}
}

static int run_sim_map(struct flow_ctx *c)
{
	for (c->stage = 1; c->stage <= 3; c->stage++)
		if (sim_run_stage(c, c->stage))
			return err_of(-1);
	return 0;
}

/*
 * 2 MiB area @area of the run: 1 if it translates (to the right bytes) at
 * its first, a middle and its last page, 0 if all three fault for want of
 * a translation, -1 for anything else (a partial mapping).
 */
static int sim_area_state(struct flow_ctx *c, unsigned int area)
{
	static const __u64 offs[] = { 0, SIM_2M / 2 + 100, SIM_2M - 64 };
	int mapped = 0, absent = 0;
	unsigned int i;

	for (i = 0; i < IOFD_ARRAY_SIZE(offs); i++) {
		__u64 off = area * SIM_2M + offs[i];
		int kind = sim_fault_kind(c, SIM_NO_PASID, SIM_IOVA_2M + off);

		if (kind == IOMMUSIM_FAULT_NONE &&
		    !sim_read_is(c, SIM_NO_PASID, SIM_IOVA_2M + off,
				 c->run + off))
			mapped++;
		else if (kind == IOMMUSIM_FAULT_TRANSLATION)
			absent++;
	}
	if (mapped == IOFD_ARRAY_SIZE(offs))
		return 1;
	return absent == IOFD_ARRAY_SIZE(offs) ? 0 : -1;
}

static int check_sim_map(struct flow_ctx *c, int err)
{
	struct iommusim_translate x;
	bool applied;
	int stage, state;

	if (err) {
		stage = c->stage;
		state = sim_area_state(c, stage <= 2 ? stage - 1 : 0);
		if (state < 0)
			return 1;
		/*
		 * A failed map leaves no area (unmap finds none) unless only
		 * the answer's copy failed; a failed unmap removed all or
		 * nothing, all only when the answer's copy failed.
		 */
		if (stage <= 2 && state && err != EFAULT)
			return 2;
		if (stage <= 2 && !state &&
		    (iofd_unmap(c->fd, c->ioas, SIM_IOVA_2M +
				(stage - 1) * SIM_2M, SIM_2M, NULL) != -1 ||
		     errno != ENOENT))
			return 3;
		if (stage == 3 && !state && err != EFAULT)
			return 4;
		/* Then the rest of the flow, from what the failure left */
		applied = stage == 3 ? !state : state;
		for (; stage <= 3; stage++) {
			if (stage == c->stage && applied)
				continue;
			if (sim_run_stage(c, stage))
				return 5;
		}
	}
	/* The first area is gone, the second translates; nothing else */
	if (sim_area_state(c, 0) != 0 || sim_area_state(c, 1) != 1)
		return 6;
	if (sim_fault_kind(c, SIM_NO_PASID, SIM_IOVA_2M + SIM_RUN_LEN) !=
	    IOMMUSIM_FAULT_TRANSLATION)
		return 7;
	/* Huge pages behind an aligned run give 2 MiB leaves */
	if (sim_xlate(c->dfd, SIM_NO_PASID, SIM_IOVA_2M + SIM_2M + 77, false,
		      &x) || x.out_fault)
		return 8;
	if (c->run_huge && x.out_page_size != SIM_2M)
		return WRONG_RESULT;
	/* Small pages show their pins: the unmapped area's are released */
	if (!c->run_huge &&
	    (iofd_check_pins(c->fd, c->run, SIM_2M, 0) ||
	     iofd_check_pins(c->fd, c->run + SIM_2M, SIM_2M, 1)))
		return 9;
	return 0;
}

/* (f) device DMA: a write then a read, user pages pinned meanwhile */
#define SIM_DMA_LEN	(P(2) + 57)
#define SIM_DMA_SRC(c)	(SIM_DMA_BUF(c) + 100)
#define SIM_DMA_DST(c)	(SIM_DMA_BUF(c) + P(4) + 7)
#define SIM_DMA_AT	(P(1) + 33)

static int setup_sim_dma(struct flow_ctx *c)
{
	unsigned char *src;
	int i, step;

	step = setup_sim_attached(c);
	if (step)
		return step;
	src = SIM_DMA_SRC(c);
	for (i = 0; i < (int)SIM_DMA_LEN; i++)
		src[i] = (unsigned char)(i * 7 + (i >> 12) + 3);
	/* What the mapping holds before the write, and an empty target */
	memset(c->buf, 0x5a, P(SIM_MAPPED));
	memset(SIM_DMA_DST(c), 0, SIM_DMA_LEN);
	return 0;
}

static int run_sim_dma(struct flow_ctx *c)
{
	unsigned char *mem = c->buf;

	c->stage = 1;
	if (sim_dma_write(c->dfd, SIM_IOVA + SIM_DMA_AT, SIM_DMA_SRC(c),
			  SIM_DMA_LEN))
		return err_of(-1);
	if (memcmp(mem + SIM_DMA_AT, SIM_DMA_SRC(c), SIM_DMA_LEN))
		return WRONG_RESULT;
	c->stage = 2;
	if (sim_dma_read(c->dfd, SIM_IOVA + SIM_DMA_AT, SIM_DMA_DST(c),
			 SIM_DMA_LEN))
		return err_of(-1);
	return memcmp(SIM_DMA_DST(c), SIM_DMA_SRC(c), SIM_DMA_LEN) ?
		       WRONG_RESULT : 0;
}

static int check_sim_dma(struct flow_ctx *c, int err)
{
	unsigned char *mem = c->buf;

	/* Whatever happened, no DMA holds a user page any more */
	if (sim_pins_ok(c, 1))
		return 1;
	/* Bytes around the target range were never touched */
	if (mem[SIM_DMA_AT - 1] != 0x5a || mem[SIM_DMA_AT + SIM_DMA_LEN] != 0x5a)
		return 2;
	if (err && run_sim_dma(c))
		return 3;
	if (sim_mapped_ok(c, SIM_NO_PASID))
		return 4;
	return sim_pins_ok(c, 1) ? 5 : 0;
}

/* (g) GET_DIRTY_BITMAP of a dirty-tracking sim HWPT after DMA writes */
#define SIM_DIRTY_BITS	0x22ULL

static int sim_dirty_write(struct flow_ctx *c)
{
	unsigned char byte = 0xd1;

	if (sim_dma_write(c->dfd, SIM_IOVA + P(1) + 17, &byte, 1))
		return -1;
	return sim_dma_write(c->dfd, SIM_IOVA + P(5) + 4000, &byte, 1);
}

static int sim_dirty_read(struct flow_ctx *c, __u32 flags, __u64 *bits)
{
	*bits = 0;
	return sim_get_dirty(c->fd, c->hwpt2, SIM_IOVA, P(SIM_MAPPED), SIM_4K,
			     bits, flags);
}

static int setup_sim_dirty(struct flow_ctx *c)
{
	int step = setup_sim_mapped(c);

	if (step)
		return step;
	if (iofd_hwpt_alloc(c->fd, c->devid, c->ioas,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &c->hwpt2))
		return 4;
	c->hwpt = c->hwpt2;
	if (sim_attach(c->dfd, SIM_NO_PASID, &c->hwpt))
		return 5;
	if (sim_set_dirty(c->fd, c->hwpt2, true))
		return 6;
	return sim_dirty_write(c) ? 7 : 0;
}

static int run_sim_get_dirty(struct flow_ctx *c)
{
	return err_of(sim_dirty_read(c, 0, &c->bitmap));
}

/* As check_get_dirty(): nothing cleared unless the bitmap's copy failed */
static int check_sim_get_dirty(struct flow_ctx *c, int err)
{
	__u64 bits;

	if (!err && c->bitmap != SIM_DIRTY_BITS)
		return WRONG_RESULT;
	if (sim_dirty_read(c, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, &bits))
		return 1;
	if (!err && bits)
		return 2;
	if (err && bits != SIM_DIRTY_BITS && !(err == EFAULT && !bits))
		return 3;
	if (sim_dirty_read(c, 0, &bits))
		return 4;
	/* Written again after the clear: seen again */
	if (sim_dirty_write(c))
		return 5;
	if (sim_dirty_read(c, 0, &bits))
		return 6;
	if (bits != SIM_DIRTY_BITS)
		return WRONG_RESULT;
	return sim_pins_ok(c, 1) ? 7 : 0;
}

static const struct flow flow_sim_bind = {
	.name = "bind", .setup = setup_sim_open, .run = run_sim_bind,
	.check = check_sim_bind, .pages = SIM_PAGES, .sim = true,
};

static const struct flow flow_sim_attach = {
	.name = "attach_mapped_ioas", .setup = setup_sim_mapped,
	.run = run_sim_attach, .check = check_sim_attach,
	.einval_stage = 1, .pages = SIM_PAGES, .sim = true,
};

static const struct flow flow_sim_replace = {
	.name = "hwpt_alloc_replace", .setup = setup_sim_attached,
	.run = run_sim_replace, .check = check_sim_replace,
	.einval_stage = 1, .pages = SIM_PAGES, .sim = true,
};

static const struct flow flow_sim_pasid = {
	.name = "pasid_attach", .setup = setup_sim_pasid,
	.run = run_sim_pasid, .check = check_sim_pasid,
	.pages = SIM_PAGES, .sim = true,
};

static const struct flow flow_sim_map = {
	.name = "map_unmap_2m", .setup = setup_sim_map, .run = run_sim_map,
	.check = check_sim_map, .pages = SIM_PAGES, .sim = true,
};

static const struct flow flow_sim_dma = {
	.name = "dma_write_read", .setup = setup_sim_dma, .run = run_sim_dma,
	.check = check_sim_dma, .pages = SIM_PAGES, .sim = true,
};

static const struct flow flow_sim_dirty = {
	.name = "get_dirty_bitmap", .setup = setup_sim_dirty,
	.run = run_sim_get_dirty, .check = check_sim_get_dirty,
	.pages = SIM_PAGES, .sim = true,
};

FIXTURE(simhw)
{
	bool created;
};

FIXTURE_VARIANT(simhw)
{
	const char *type;
};

FIXTURE_VARIANT_ADD(simhw, smmuv3)
{
	.type = "smmuv3",
};

FIXTURE_VARIANT_ADD(simhw, vtd)
{
	.type = "vtd",
};

FIXTURE_SETUP(simhw)
{
	if (access(FAILNTH_FILE, F_OK))
		SKIP(return, "no " FAILNTH_FILE " (kernel without fault injection)");
	if (!sim_present())
		SKIP(return, "no " SIM_BUS " (iommusim.ko not loaded)");
	ASSERT_OK(sim_create_iommu(40, variant->type, "", &sim_id));
	self->created = true;
	ASSERT_OK(sim_new_device(sim_id, SIM_SID, ""));
}

/* Removal fails while anything still holds the device or the instance */
FIXTURE_TEARDOWN(simhw)
{
	if (!self->created)
		return;
	EXPECT_OK(sim_del_device(sim_id, SIM_SID));
	EXPECT_OK(sim_del_iommu(sim_id));
}

/* The flow under the family's name in the log ("vtd/bind") */
static void run_sim_flow(struct __test_metadata *_metadata,
			 const char *type, const struct flow *f)
{
	static char name[64];
	struct flow fl = *f;

	snprintf(name, sizeof(name), "%s/%s", type, f->name);
	fl.name = name;
	run_flow(_metadata, &fl);
}

TEST_F_TIMEOUT(simhw, bind, 600)
{
	run_sim_flow(_metadata, variant->type, &flow_sim_bind);
}

TEST_F_TIMEOUT(simhw, attach_mapped_ioas, 600)
{
	run_sim_flow(_metadata, variant->type, &flow_sim_attach);
}

TEST_F_TIMEOUT(simhw, hwpt_alloc_replace, 600)
{
	run_sim_flow(_metadata, variant->type, &flow_sim_replace);
}

TEST_F_TIMEOUT(simhw, pasid_attach, 600)
{
	run_sim_flow(_metadata, variant->type, &flow_sim_pasid);
}

TEST_F_TIMEOUT(simhw, map_unmap_2m, 600)
{
	void *huge = iofd_alloc_huge(SIM_RUN_LEN);

	/* Large leaves need hugetlb pages (the VM reserves some) */
	ksft_print_msg("%s/map_unmap_2m: %s\n", variant->type,
		       huge ? "hugetlb run, 2 MiB leaves" :
			      "no hugetlb pages, 4 KiB leaves");
	if (huge)
		munmap(huge, SIM_RUN_LEN);
	run_sim_flow(_metadata, variant->type, &flow_sim_map);
}

TEST_F_TIMEOUT(simhw, dma_write_read, 600)
{
	run_sim_flow(_metadata, variant->type, &flow_sim_dma);
}

TEST_F_TIMEOUT(simhw, get_dirty_bitmap, 600)
{
	run_sim_flow(_metadata, variant->type, &flow_sim_dirty);
}

/*
 * Runs last: the harness runs the global tests first, then each fixture in
 * the order of definition.
 */
FIXTURE(summary)
{
	int unused;
};

FIXTURE_SETUP(summary)
{
}

FIXTURE_TEARDOWN(summary)
{
}

TEST_F(summary, total)
{
	if (access(FAILNTH_FILE, F_OK))
		SKIP(return, "no " FAILNTH_FILE " (kernel without fault injection)");
	ASSERT_NE(NULL, failnth_total);
	ksft_print_msg("fail-nth total: %lu injection points (%lu in the simulated-IOMMU flows)\n",
		       failnth_total[0], failnth_total[1]);
}

TEST_HARNESS_MAIN
