// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinning and its accounting. Pages are pinned long-term only while a
 * domain (or an access) needs them, exactly once however many domains or
 * COPYs share them, and every pinned page is charged to RLIMIT_MEMLOCK:
 * per user (RLIMIT_MODE 0, the default) or per process (RLIMIT_MODE 1,
 * VFIO's way, visible as VmLck). Root's CAP_IPC_LOCK bypasses the limit, so
 * the accounting tests run in a child that became an ordinary user.
 */
#include "iofd_test_util.h"

#define KB(pages) ((long)((pages) * iofd_psize / 1024))
#define P(n) ((__u64)(n) * iofd_psize)

FIXTURE(pin)
{
	int fd;
	__u32 ioas;
	char *buf;
	size_t len;
};

FIXTURE_SETUP(pin)
{
	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(iofd_ioas_alloc(self->fd, &self->ioas));
	self->len = P(256);
	self->buf = iofd_alloc_buf(self->len);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(pin)
{
	if (self->fd >= 0) {
		EXPECT_OK(iofd_close_and_check_unpinned(self->fd, self->buf,
							self->len));
	}
	munmap(self->buf, self->len);
}

TEST_F(pin, only_while_a_domain_needs_them)
{
	__u32 stdev[2] = {};

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(16),
				 MOCK_APERTURE_START));
	/* An IOAS alone only remembers the user address. */
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(16), 0));

	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, &stdev[0], NULL, NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(16), 1));
	/* A second domain reuses the same pins. */
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, &stdev[1], NULL, NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(16), 1));

	ASSERT_OK(iofd_destroy(self->fd, stdev[0]));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(16), 1));
	/* The last domain gone, the pages go back, the mapping stays. */
	ASSERT_OK(iofd_destroy(self->fd, stdev[1]));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(16), 0));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, MOCK_APERTURE_START, P(16),
			     NULL));
}

TEST_F(pin, map_pins_now_when_a_domain_exists)
{
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, NULL, NULL));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(16),
				 MOCK_APERTURE_START));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(16), 1));
	/* Pages next to the mapping are untouched. */
	ASSERT_OK(iofd_check_pins(self->fd, self->buf + P(16), P(16), 0));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, MOCK_APERTURE_START, P(16),
			     NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(16), 0));
}

TEST_F(pin, two_maps_of_one_buffer_pin_twice)
{
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, NULL, NULL));
	/* Separate MAPs are separate pinnings (unlike COPY). */
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(8),
				 MOCK_APERTURE_START));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(8),
				 MOCK_APERTURE_START + P(64)));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(8), 2));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, MOCK_APERTURE_START, P(8),
			     NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(8), 1));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, MOCK_APERTURE_START + P(64),
			     P(8), NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(8), 0));
}

TEST_F(pin, copy_pins_once)
{
	__u32 ioas2;
	__u64 iova = MOCK_APERTURE_START;

	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, NULL, NULL));
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(iofd_mock_dev(self->fd, ioas2, NULL, NULL, NULL));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(32),
				 MOCK_APERTURE_START));
	ASSERT_OK(iofd_copy(self->fd, ioas2, &iova, self->ioas,
			    MOCK_APERTURE_START, P(32),
			    IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(32), 1));
}

/* mm->pinned_vm (VmPin) follows the long-term pins in every mode. */
TEST_F(pin, vmpin_follows_pins)
{
	long before = iofd_status_kb("VmPin");
	__u32 stdev = 0;

	if (before < 0)
		SKIP(return, "no VmPin in /proc/self/status");
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(32),
				 MOCK_APERTURE_START));
	ASSERT_EQ(before, iofd_status_kb("VmPin"));
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, &stdev, NULL, NULL));
	ASSERT_EQ(before + KB(32), iofd_status_kb("VmPin"));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(8),
				 MOCK_APERTURE_START + P(64)));
	ASSERT_EQ(before + KB(40), iofd_status_kb("VmPin"));
	ASSERT_OK(iofd_destroy(self->fd, stdev));
	ASSERT_EQ(before, iofd_status_kb("VmPin"));
}

TEST_F(pin, small_batches)
{
	__u32 hwpt[2] = {};

	/*
	 * The selftest knob shrinks the kernel's batch memory, so a 256 page
	 * map goes through the pin/map loop many times.
	 */
	ASSERT_OK(iofd_set_temp_limit(self->fd, 16));
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, &hwpt[0], NULL));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(256),
				 MOCK_APERTURE_START));
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, &hwpt[1], NULL));
	ASSERT_OK(iofd_check_map(self->fd, hwpt[0], MOCK_APERTURE_START,
				 self->buf, P(256)));
	ASSERT_OK(iofd_check_map(self->fd, hwpt[1], MOCK_APERTURE_START,
				 self->buf, P(256)));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(256), 1));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(256), 0));
	ASSERT_OK(iofd_set_temp_limit(self->fd, IOFD_DEFAULT_TEMP_LIMIT));
}

TEST_F(pin, huge_page_backed)
{
	size_t hsz = iofd_huge_size();
	__u32 hwpt = 0, hwpt_huge = 0;
	__u64 val = 0;
	char *huge;

	huge = iofd_alloc_huge(2 * hsz);
	if (!huge)
		SKIP(return, "no hugetlb pages reserved");
	memset(huge, 0x3c, 2 * hsz);

	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, &hwpt, NULL));
	/* A device whose mock IOMMU also has large IO pages. */
	ASSERT_OK(iofd_mock_dev_flags(self->fd, self->ioas,
				      MOCK_FLAGS_DEVICE_HUGE_IOVA, NULL,
				      &hwpt_huge, NULL));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, huge, 2 * hsz,
				 MOCK_APERTURE_START));
	ASSERT_OK(iofd_check_map(self->fd, hwpt, MOCK_APERTURE_START, huge,
				 2 * hsz));
	ASSERT_OK(iofd_check_map(self->fd, hwpt_huge, MOCK_APERTURE_START, huge,
				 2 * hsz));

	/* Pieces of a huge page, at offsets that are not huge aligned. */
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, huge + hsz - P(1), P(2),
				 MOCK_APERTURE_START + 4 * hsz + P(3)));
	ASSERT_OK(iofd_check_map(self->fd, hwpt_huge,
				 MOCK_APERTURE_START + 4 * hsz + P(3),
				 huge + hsz - P(1), P(2)));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));

	/* With HUGE_PAGES off the same memory maps page by page. */
	ASSERT_OK(iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_SET, self->ioas, &val));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, huge, 2 * hsz,
				 MOCK_APERTURE_START));
	ASSERT_OK(iofd_check_map(self->fd, hwpt_huge, MOCK_APERTURE_START, huge,
				 2 * hsz));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	munmap(huge, 2 * hsz);
}

/* VmPin counts a huge page as the CPU pages it is made of. */
TEST_F(pin, vmpin_huge_page_backed)
{
	size_t hsz = iofd_huge_size();
	long before = iofd_status_kb("VmPin");
	char *huge;

	if (before < 0)
		SKIP(return, "no VmPin in /proc/self/status");
	huge = iofd_alloc_huge(2 * hsz);
	if (!huge)
		SKIP(return, "no hugetlb pages reserved");
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, NULL, NULL));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, huge, 2 * hsz,
				 MOCK_APERTURE_START));
	ASSERT_EQ(before + (long)(2 * hsz / 1024), iofd_status_kb("VmPin"));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	ASSERT_EQ(before, iofd_status_kb("VmPin"));
	munmap(huge, 2 * hsz);
}

/* ---- RLIMIT_MEMLOCK, in children that gave up their capabilities ----- */

struct limit_args {
	char *buf;
	unsigned long limit_pages;
	bool mm_mode;
};

static int limit_memlock(unsigned long pages)
{
	struct rlimit rl = { .rlim_cur = P(pages), .rlim_max = P(pages) };

	return setrlimit(RLIMIT_MEMLOCK, &rl);
}

/*
 * Open @n fds (each in the requested mode, which needs CAP_SYS_RESOURCE),
 * then drop privileges and lower the limit. Opening first matters: the
 * device node need not be open to ordinary users.
 */
static int open_unprivileged(struct limit_args *a, int *fds, unsigned int n)
{
	__u64 mode = a->mm_mode;
	unsigned int i;

	for (i = 0; i != n; i++) {
		fds[i] = iofd_open();
		if (fds[i] < 0)
			return -1;
		if (a->mm_mode && iofd_option(fds[i], IOMMU_OPTION_RLIMIT_MODE,
					      IOMMU_OPTION_OP_SET, 0, &mode))
			return -1;
	}
	if (iofd_drop_privileges() || limit_memlock(a->limit_pages))
		return -1;
	return 0;
}

static int charge_and_refund(void *arg)
{
	struct limit_args *a = arg;
	long lck0 = iofd_status_kb("VmLck");
	long lck_step;
	__u32 ioas;
	__u64 iova = MOCK_APERTURE_START;
	int fds[2], fd;

	CHILD_CHECK(1, !open_unprivileged(a, fds, 2));
	fd = fds[0];
	CHILD_CHECK(2, !iofd_ioas_alloc(fd, &ioas));
	CHILD_CHECK(3, !iofd_mock_dev(fd, ioas, NULL, NULL, NULL));
	/* 48 of 64 allowed pages. */
	CHILD_CHECK(4, !iofd_map_fixed(fd, ioas, a->buf, P(48), iova));
	/* Process mode charges the mm (VmLck); user mode leaves it alone. */
	lck_step = a->mm_mode ? KB(48) : 0;
	CHILD_CHECK(5, iofd_status_kb("VmLck") == lck0 + lck_step);
	/* 32 more would be 80: refused, and nothing half charged. */
	CHILD_CHECK(6, iofd_map_fixed(fd, ioas, a->buf + P(64), P(32),
				      iova + P(64)) == -1);
	CHILD_CHECK(7, errno == ENOMEM);
	CHILD_CHECK(8, iofd_status_kb("VmLck") == lck0 + lck_step);
	CHILD_CHECK(9, !iofd_check_pins(fd, a->buf + P(64), P(32), 0));
	/* Exactly up to the limit is fine ... */
	CHILD_CHECK(10, !iofd_map_fixed(fd, ioas, a->buf + P(64), P(16),
					iova + P(64)));
	/* ... one page more is not. */
	CHILD_CHECK(11, iofd_map_fixed(fd, ioas, a->buf + P(96), P(1),
				       iova + P(96)) == -1);
	CHILD_CHECK(12, errno == ENOMEM);
	/* Unmapping gives the charge back. */
	CHILD_CHECK(13, !iofd_unmap(fd, ioas, iova, P(48), NULL));
	CHILD_CHECK(14, iofd_status_kb("VmLck") ==
				lck0 + (a->mm_mode ? KB(16) : 0));
	CHILD_CHECK(15, !iofd_map_fixed(fd, ioas, a->buf + P(96), P(48),
					iova + P(96)));
	/* Closing gives everything back: the full limit is usable again. */
	CHILD_CHECK(16, !close(fd));
	CHILD_CHECK(17, iofd_status_kb("VmLck") == lck0);
	fd = fds[1];
	CHILD_CHECK(18, !iofd_ioas_alloc(fd, &ioas));
	CHILD_CHECK(19, !iofd_mock_dev(fd, ioas, NULL, NULL, NULL));
	CHILD_CHECK(20, !iofd_map_fixed(fd, ioas, a->buf, P(64), iova));
	CHILD_CHECK(21, iofd_status_kb("VmLck") ==
				lck0 + (a->mm_mode ? KB(64) : 0));
	CHILD_CHECK(22, !close(fd));
	return 0;
}

TEST_F(pin, rlimit_user_mode)
{
	struct limit_args a = { .buf = self->buf, .limit_pages = 64 };

	ASSERT_EQ(0, iofd_in_child(charge_and_refund, &a));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, self->len, 0));
}

TEST_F(pin, rlimit_process_mode)
{
	struct limit_args a = { .buf = self->buf,
				.limit_pages = 64,
				.mm_mode = true };

	if (iofd_status_kb("VmLck") < 0)
		SKIP(return, "no VmLck in /proc/self/status");
	ASSERT_EQ(0, iofd_in_child(charge_and_refund, &a));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, self->len, 0));
}

static int attach_over_limit(void *arg)
{
	struct limit_args *a = arg;
	__u32 ioas, stdev;
	int fd;

	CHILD_CHECK(1, !open_unprivileged(a, &fd, 1));
	CHILD_CHECK(2, !iofd_ioas_alloc(fd, &ioas));
	/* Without a domain nothing is pinned, so nothing is charged. */
	CHILD_CHECK(3, !iofd_map_fixed(fd, ioas, a->buf, P(128),
				       MOCK_APERTURE_START));
	/* The device would need 128 pinned pages: over the limit. */
	CHILD_CHECK(4, iofd_mock_dev(fd, ioas, NULL, NULL, NULL) == -1);
	CHILD_CHECK(5, errno == ENOMEM);
	CHILD_CHECK(6, !iofd_check_pins(fd, a->buf, P(128), 0));
	/* Shrink the IOAS below the limit and the device fits. */
	CHILD_CHECK(7, !iofd_unmap(fd, ioas, 0, UINT64_MAX, NULL));
	CHILD_CHECK(8, !iofd_map_fixed(fd, ioas, a->buf, P(32),
				       MOCK_APERTURE_START));
	CHILD_CHECK(9, !iofd_mock_dev(fd, ioas, &stdev, NULL, NULL));
	CHILD_CHECK(10, !iofd_check_pins(fd, a->buf, P(32), 1));
	close(fd);
	return 0;
}

TEST_F(pin, rlimit_blocks_attach)
{
	struct limit_args a = { .buf = self->buf, .limit_pages = 64 };

	ASSERT_EQ(0, iofd_in_child(attach_over_limit, &a));
	a.mm_mode = true;
	ASSERT_EQ(0, iofd_in_child(attach_over_limit, &a));
}

static int exit_while_charged(void *arg)
{
	struct limit_args *a = arg;
	__u32 ioas;
	int fd;

	CHILD_CHECK(1, !open_unprivileged(a, &fd, 1));
	CHILD_CHECK(2, !iofd_ioas_alloc(fd, &ioas));
	CHILD_CHECK(3, !iofd_mock_dev(fd, ioas, NULL, NULL, NULL));
	CHILD_CHECK(4, !iofd_map_fixed(fd, ioas, a->buf, P(48),
				       MOCK_APERTURE_START));
	/* Exit with 48 pages charged to the user and nothing closed. */
	return 0;
}

TEST_F(pin, rlimit_user_refund_on_exit)
{
	struct limit_args a = { .buf = self->buf, .limit_pages = 64 };

	/*
	 * Per-user charges outlive a process unless the kernel refunds them:
	 * if the first child's 48 pages were leaked, the second child could
	 * not charge its own 48.
	 */
	ASSERT_EQ(0, iofd_in_child(exit_while_charged, &a));
	ASSERT_EQ(0, iofd_in_child(exit_while_charged, &a));
	ASSERT_EQ(0, iofd_in_child(charge_and_refund, &a));
}

static int root_ignores_limit(void *arg)
{
	struct limit_args *a = arg;
	__u32 ioas;
	int fd = iofd_open();

	CHILD_CHECK(1, fd >= 0);
	CHILD_CHECK(2, !limit_memlock(4));
	CHILD_CHECK(3, !iofd_ioas_alloc(fd, &ioas));
	CHILD_CHECK(4, !iofd_mock_dev(fd, ioas, NULL, NULL, NULL));
	/* CAP_IPC_LOCK: pinning is not charged at all. */
	CHILD_CHECK(5, !iofd_map_fixed(fd, ioas, a->buf, P(64),
				       MOCK_APERTURE_START));
	close(fd);
	return 0;
}

TEST_F(pin, cap_ipc_lock_is_exempt)
{
	struct limit_args a = { .buf = self->buf };

	if (geteuid() != 0)
		SKIP(return, "needs root");
	ASSERT_EQ(0, iofd_in_child(root_ignores_limit, &a));
}

struct fork_args {
	int fd;
	__u32 ioas;
	char *buf;
};

static int map_then_exit(void *arg)
{
	struct fork_args *a = arg;

	/* The mapping records this (soon dead) process as the page owner. */
	CHILD_CHECK(1, !iofd_map_fixed(a->fd, a->ioas, a->buf, P(8),
				       MOCK_APERTURE_START));
	return 0;
}

TEST_F(pin, owner_process_gone_without_domain)
{
	struct fork_args a = { self->fd, self->ioas, self->buf };

	ASSERT_EQ(0, iofd_in_child(map_then_exit, &a));
	/* Nothing was pinned, and the pages' mm no longer exists. */
	ASSERT_ERRNO(EFAULT, iofd_mock_dev(self->fd, self->ioas, NULL, NULL,
					   NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(8), 0));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, MOCK_APERTURE_START, P(8),
			     NULL));
}

TEST_F(pin, owner_process_gone_with_domain)
{
	struct fork_args a = { self->fd, self->ioas, self->buf };
	__u32 hwpt;

	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, NULL, NULL));
	ASSERT_EQ(0, iofd_in_child(map_then_exit, &a));
	/* Pinned while the child lived: a new domain is filled from them. */
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(8), 1));
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, &hwpt, NULL));
	ASSERT_OK(iofd_check_map(self->fd, hwpt, MOCK_APERTURE_START,
				 self->buf, P(8)));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, MOCK_APERTURE_START, P(8),
			     NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(8), 0));
}

static int copy_charged_once(void *arg)
{
	struct limit_args *a = arg;
	long lck0 = iofd_status_kb("VmLck");
	__u64 iova = MOCK_APERTURE_START;
	__u32 src, dst;
	int fd;

	CHILD_CHECK(1, !open_unprivileged(a, &fd, 1));
	CHILD_CHECK(2, !iofd_ioas_alloc(fd, &src));
	CHILD_CHECK(3, !iofd_ioas_alloc(fd, &dst));
	CHILD_CHECK(4, !iofd_mock_dev(fd, src, NULL, NULL, NULL));
	CHILD_CHECK(5, !iofd_mock_dev(fd, dst, NULL, NULL, NULL));
	CHILD_CHECK(6, !iofd_map_fixed(fd, src, a->buf, P(48), iova));
	/* 48 + 48 would be over the limit of 64: the copy must be free. */
	CHILD_CHECK(7, !iofd_copy(fd, dst, &iova, src, iova, P(48),
				  IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW));
	CHILD_CHECK(8, iofd_status_kb("VmLck") ==
			       lck0 + (a->mm_mode ? KB(48) : 0));
	/* The shared pages stay charged until their last user is gone. */
	CHILD_CHECK(9, !iofd_unmap(fd, src, iova, P(48), NULL));
	CHILD_CHECK(10, iofd_status_kb("VmLck") ==
				lck0 + (a->mm_mode ? KB(48) : 0));
	CHILD_CHECK(11, iofd_map_fixed(fd, src, a->buf + P(64), P(32),
				       iova) == -1);
	CHILD_CHECK(12, errno == ENOMEM);
	CHILD_CHECK(13, !iofd_unmap(fd, dst, iova, P(48), NULL));
	CHILD_CHECK(14, iofd_status_kb("VmLck") == lck0);
	CHILD_CHECK(15, !iofd_map_fixed(fd, src, a->buf + P(64), P(64), iova));
	close(fd);
	return 0;
}

TEST_F(pin, rlimit_copy_charged_once)
{
	struct limit_args a = { .buf = self->buf, .limit_pages = 64 };

	ASSERT_EQ(0, iofd_in_child(copy_charged_once, &a));
	a.mm_mode = true;
	ASSERT_EQ(0, iofd_in_child(copy_charged_once, &a));
}

static int access_pins_charged(void *arg)
{
	struct limit_args *a = arg;
	long lck0 = iofd_status_kb("VmLck");
	__u64 iova = MOCK_APERTURE_START;
	__u32 ioas, id;
	int fd, afd;

	CHILD_CHECK(1, !open_unprivileged(a, &fd, 1));
	CHILD_CHECK(2, !iofd_ioas_alloc(fd, &ioas));
	/* No domain: only what the access pins is charged. */
	CHILD_CHECK(3, !iofd_map_fixed(fd, ioas, a->buf, P(128), iova));
	CHILD_CHECK(4, !iofd_access_create(fd, ioas,
					   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					   &afd));
	CHILD_CHECK(5, !iofd_access_pin(fd, afd, 0, iova, P(48), a->buf, &id));
	CHILD_CHECK(6, iofd_status_kb("VmLck") ==
			       lck0 + (a->mm_mode ? KB(48) : 0));
	CHILD_CHECK(7, iofd_access_pin(fd, afd, 0, iova + P(64), P(32), NULL,
				       &id) == -1);
	CHILD_CHECK(8, errno == ENOMEM);
	/* Pinning the same pages again costs nothing. */
	CHILD_CHECK(9, !iofd_access_pin(fd, afd, 0, iova, P(16), NULL, &id));
	CHILD_CHECK(10, !close(afd));
	CHILD_CHECK(11, iofd_status_kb("VmLck") == lck0);
	close(fd);
	return 0;
}

TEST_F(pin, rlimit_access_pins)
{
	struct limit_args a = { .buf = self->buf, .limit_pages = 64 };

	ASSERT_EQ(0, iofd_in_child(access_pins_charged, &a));
	a.mm_mode = true;
	ASSERT_EQ(0, iofd_in_child(access_pins_charged, &a));
}

TEST_HARNESS_MAIN
