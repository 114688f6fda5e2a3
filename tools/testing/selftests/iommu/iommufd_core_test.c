// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/iommu core: opening and closing, how ioctls are decoded (the size
 * protocol shared by every command), IOMMU_DESTROY, per-fd object IDs and
 * the release of everything an fd owns when it goes away.
 */
#include "iofd_test_util.h"

#include <signal.h>

FIXTURE(core)
{
	int fd;
};

FIXTURE_SETUP(core)
{
	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(core)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(core, open_is_independent)
{
	int fd2 = iofd_open();
	__u32 a, b;

	ASSERT_LE(0, fd2);
	/* Each open is its own context: both start with an empty ID table. */
	ASSERT_OK(iofd_ioas_alloc(self->fd, &a));
	ASSERT_OK(iofd_ioas_alloc(fd2, &b));
	ASSERT_NE(0, a);
	ASSERT_NE(0, b);
	ASSERT_EQ(a, b);
	ASSERT_EQ(0, close(fd2));
}

TEST_F(core, unknown_ioctl_is_enotty)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };

	/* Just below the iommufd range, and past its last command. */
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0x7f), &cmd));
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IO(IOMMUFD_TYPE, 0xfe), &cmd));
	/* Another ioctl type entirely. */
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, _IO('x', 0x80), &cmd));
	/* The right number with direction/size bits is a different request. */
	ASSERT_ERRNO(ENOTTY,
		     ioctl(self->fd,
			   _IOWR(IOMMUFD_TYPE, 0x80, struct iommu_destroy),
			   &cmd));
}

TEST_F(core, bad_user_pointer_is_efault)
{
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_DESTROY, NULL));
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_IOAS_ALLOC, (void *)8));
}

/*
 * The size protocol, checked for every command this module serves:
 *   size < min_size                    -> EINVAL
 *   size > sizeof, non-zero tail       -> E2BIG
 *   size > sizeof, all-zero tail       -> exactly what size == sizeof gives
 * min_size and sizeof are the upstream ABI numbers.
 */
struct size_case {
	const char *name;
	unsigned long request;
	__u32 min_size;
	__u32 full_size;
};

static const struct size_case size_cases[] = {
	{ "DESTROY", IOMMU_DESTROY, 8, 8 },
	{ "IOAS_ALLOC", IOMMU_IOAS_ALLOC, 12, 12 },
	{ "IOAS_ALLOW_IOVAS", IOMMU_IOAS_ALLOW_IOVAS, 24, 24 },
	{ "IOAS_COPY", IOMMU_IOAS_COPY, 40, 40 },
	{ "IOAS_IOVA_RANGES", IOMMU_IOAS_IOVA_RANGES, 32, 32 },
	{ "IOAS_MAP", IOMMU_IOAS_MAP, 40, 40 },
	{ "IOAS_UNMAP", IOMMU_IOAS_UNMAP, 24, 24 },
	{ "OPTION", IOMMU_OPTION, 24, 24 },
	{ "VFIO_IOAS", IOMMU_VFIO_IOAS, 12, 12 },
	{ "HWPT_ALLOC", IOMMU_HWPT_ALLOC, 24, sizeof(struct iommu_hwpt_alloc) },
	{ "GET_HW_INFO", IOMMU_GET_HW_INFO, 32, sizeof(struct iommu_hw_info) },
	{ "TEST_CMD", IOMMU_TEST_CMD,
	  offsetof(struct iommu_test_cmd, last) + sizeof(__u32),
	  sizeof(struct iommu_test_cmd) },
};

TEST_F(core, size_protocol_every_ioctl)
{
	unsigned int i;

	for (i = 0; i != IOFD_ARRAY_SIZE(size_cases); i++) {
		const struct size_case *c = &size_cases[i];
		/* Room for the struct plus a tail the kernel cannot know. */
		union {
			__u32 size;
			__u8 bytes[256];
		} arg;
		int err_exact, err_tail;

		TH_LOG("%s min %u sizeof %u", c->name, c->min_size,
		       c->full_size);
		ASSERT_GE(sizeof(arg.bytes), c->full_size + 16);

		memset(&arg, 0, sizeof(arg));
		arg.size = c->min_size - 1;
		arg.bytes[c->full_size] = 0xff;
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, c->request, &arg));

		arg.size = 0;
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, c->request, &arg));

		arg.size = c->full_size + 16;
		ASSERT_ERRNO(E2BIG, ioctl(self->fd, c->request, &arg));

		/* A single stray byte at the very end is enough. */
		arg.bytes[c->full_size] = 0;
		arg.bytes[c->full_size + 15] = 1;
		ASSERT_ERRNO(E2BIG, ioctl(self->fd, c->request, &arg));

		/* Zero tail: an older/newer user is served as if exact. */
		memset(&arg, 0, sizeof(arg));
		arg.size = c->full_size;
		err_exact = ERRNO_OF(ioctl(self->fd, c->request, &arg));
		memset(&arg, 0, sizeof(arg));
		arg.size = c->full_size + 16;
		err_tail = ERRNO_OF(ioctl(self->fd, c->request, &arg));
		ASSERT_EQ(err_exact, err_tail);
		/* An all-zero struct of the right size is never E2BIG. */
		ASSERT_NE(E2BIG, err_exact);
	}
}

TEST_F(core, zero_tail_is_accepted_and_answered)
{
	struct {
		struct iommu_ioas_alloc cmd;
		__u8 future[24];
	} arg = { .cmd = { .size = sizeof(arg) } };
	__u64 val = 0;

	/* A longer struct with a zero tail works and gets its output. */
	ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_ALLOC, &arg));
	ASSERT_NE(0, arg.cmd.out_ioas_id);
	/* The kernel must not have written into bytes it does not know. */
	for (unsigned int i = 0; i != sizeof(arg.future); i++)
		ASSERT_EQ(0, arg.future[i]);
	/* And the object is real. */
	ASSERT_OK(iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_GET, arg.cmd.out_ioas_id, &val));
}

TEST_F(core, destroy_unknown_ids)
{
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, 0));
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, 1));
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, 12345));
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, 0x7fffffff));
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, 0xffffffff));
}

TEST_F(core, destroy_twice)
{
	__u32 ioas;

	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));
	ASSERT_OK(iofd_destroy(self->fd, ioas));
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, ioas));
	/* A destroyed ID is gone for every command. */
	ASSERT_ERRNO(ENOENT, iofd_map_fixed(self->fd, ioas, &ioas, iofd_psize,
					    MOCK_APERTURE_START));
}

TEST_F(core, ids_are_distinct)
{
	__u32 ids[8];
	unsigned int i, j;

	for (i = 0; i != IOFD_ARRAY_SIZE(ids); i++) {
		ASSERT_OK(iofd_ioas_alloc(self->fd, &ids[i]));
		ASSERT_NE(0, ids[i]);
		/* IDs are 31-bit. */
		ASSERT_EQ(0, ids[i] & 0x80000000u);
		for (j = 0; j != i; j++)
			ASSERT_NE(ids[j], ids[i]);
	}
	for (i = 0; i != IOFD_ARRAY_SIZE(ids); i++)
		ASSERT_OK(iofd_destroy(self->fd, ids[i]));
}

TEST_F(core, destroy_ioas_busy_with_hwpt)
{
	void *buf = iofd_alloc_buf(iofd_psize);
	__u32 ioas, stdev, hwpt, idev;

	ASSERT_NE(NULL, buf);

	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));
	ASSERT_OK(iofd_mock_dev(self->fd, ioas, &stdev, &hwpt, &idev));
	ASSERT_NE(0, stdev);
	ASSERT_NE(0, hwpt);
	ASSERT_NE(0, idev);

	/* The automatic HWPT holds the IOAS; the device holds the HWPT. */
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, ioas));
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, hwpt));
	/* A failed DESTROY leaves the objects fully usable. */
	ASSERT_OK(iofd_map_fixed(self->fd, ioas, buf, iofd_psize,
				 MOCK_APERTURE_START));
	ASSERT_OK(iofd_check_map(self->fd, hwpt, MOCK_APERTURE_START, buf,
				 iofd_psize));

	/* Unplug the device: the auto HWPT goes with it, the IOAS is free. */
	ASSERT_OK(iofd_destroy(self->fd, stdev));
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, hwpt));
	ASSERT_OK(iofd_destroy(self->fd, ioas));
	munmap(buf, iofd_psize);
}

TEST_F(core, destroy_wrong_kind_of_id_elsewhere)
{
	__u32 ioas, stdev, hwpt;
	__u64 val = 0;

	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));
	ASSERT_OK(iofd_mock_dev(self->fd, ioas, &stdev, &hwpt, NULL));
	/* A HWPT ID where an IOAS is needed is "no such IOAS". */
	ASSERT_ERRNO(ENOENT, iofd_map_fixed(self->fd, hwpt, &val, iofd_psize,
					    MOCK_APERTURE_START));
	ASSERT_ERRNO(ENOENT, iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_GET, hwpt, &val));
	ASSERT_ERRNO(ENOENT, iofd_unmap(self->fd, stdev, 0, UINT64_MAX, NULL));
	ASSERT_OK(iofd_destroy(self->fd, stdev));
}

TEST_F(core, ids_are_per_fd)
{
	void *buf = iofd_alloc_buf(iofd_psize);
	int other = iofd_open();
	__u32 ioas, ioas_b;
	__u64 iova = MOCK_APERTURE_START;

	ASSERT_NE(NULL, buf);
	ASSERT_LE(0, other);
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));

	/* The other fd has no objects at all: A's ID means nothing there. */
	ASSERT_ERRNO(ENOENT,
		     iofd_map_fixed(other, ioas, buf, iofd_psize, iova));
	ASSERT_ERRNO(ENOENT, iofd_destroy(other, ioas));
	ASSERT_ERRNO(ENOENT, iofd_mock_dev(other, ioas, NULL, NULL, NULL));

	/* Same number, different object: mapping in B does not touch A. */
	ASSERT_OK(iofd_ioas_alloc(other, &ioas_b));
	ASSERT_OK(iofd_map_fixed(other, ioas_b, buf, iofd_psize, iova));
	ASSERT_ERRNO(ENOENT,
		     iofd_unmap(self->fd, ioas, iova, iofd_psize, NULL));

	/* A's object survived everything done through B. */
	ASSERT_OK(iofd_map_fixed(self->fd, ioas, buf, iofd_psize, iova));
	ASSERT_EQ(0, close(other));
	ASSERT_OK(iofd_unmap(self->fd, ioas, iova, iofd_psize, NULL));
	munmap(buf, iofd_psize);
}

TEST_F(core, close_releases_pins)
{
	size_t len = 16 * iofd_psize;
	void *buf = iofd_alloc_buf(len);
	__u32 ioas, ioas2, stdev;
	__u64 iova = MOCK_APERTURE_START;
	int access_fd;
	__u32 pages_id;

	ASSERT_NE(NULL, buf);
	ASSERT_OK(iofd_check_pins(self->fd, buf, len, 0));

	/* Pins from a domain, a COPY and an access, all left alive. */
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));
	ASSERT_OK(iofd_mock_dev(self->fd, ioas, &stdev, NULL, NULL));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas, buf, len, iova));
	ASSERT_OK(iofd_check_pins(self->fd, buf, len, 1));

	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(iofd_copy(self->fd, ioas2, &iova, ioas, MOCK_APERTURE_START,
			    len, IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW));
	ASSERT_OK(iofd_access_create(self->fd, ioas2,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &access_fd));
	ASSERT_OK(iofd_access_pin(self->fd, access_fd, 0, iova, len, buf,
				  &pages_id));

	/* The access fd holds the context open, so it goes first. */
	ASSERT_EQ(0, close(access_fd));
	ASSERT_OK(iofd_close_and_check_unpinned(self->fd, buf, len));
	self->fd = -1;
	munmap(buf, len);
}

static int exit_with_objects(void *arg)
{
	void *buf = arg;
	__u32 ioas;
	int fd = iofd_open();

	CHILD_CHECK(1, fd >= 0);
	CHILD_CHECK(2, !iofd_ioas_alloc(fd, &ioas));
	CHILD_CHECK(3, !iofd_mock_dev(fd, ioas, NULL, NULL, NULL));
	CHILD_CHECK(4, !iofd_map_fixed(fd, ioas, buf, 8 * iofd_psize,
				       MOCK_APERTURE_START));
	CHILD_CHECK(5, !iofd_check_pins(fd, buf, 8 * iofd_psize, 1));
	/* Exit without closing anything: the kernel must clean up. */
	return 0;
}

TEST_F(core, process_exit_releases_pins)
{
	size_t len = 8 * iofd_psize;
	void *buf = iofd_alloc_buf(len);

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, iofd_in_child(exit_with_objects, buf));
	ASSERT_OK(iofd_check_pins(self->fd, buf, len, 0));
	munmap(buf, len);
}

TEST_F(core, many_objects_then_close)
{
	__u32 ioas = 0;
	unsigned int i;

	/* Close must tear down a graph of many objects, leaf first. */
	for (i = 0; i != 64; i++) {
		ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));
		if (i % 8 == 0) {
			ASSERT_OK(iofd_mock_dev(self->fd, ioas, NULL, NULL,
						NULL));
		}
	}
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
}

struct fork_map {
	int fd;
	__u32 ioas;
	char *buf;
	size_t len;
};

static int map_in_child(void *arg)
{
	struct fork_map *m = arg;

	CHILD_CHECK(1, !iofd_map_fixed(m->fd, m->ioas, m->buf, m->len,
				       MOCK_APERTURE_START));
	return 0;
}

TEST_F(core, fd_shared_across_fork)
{
	struct fork_map m = { .fd = self->fd, .len = 8 * iofd_psize };
	__u64 bytes = 0;

	m.buf = iofd_alloc_buf(m.len);
	ASSERT_NE(NULL, m.buf);
	ASSERT_OK(iofd_ioas_alloc(self->fd, &m.ioas));
	/* The context belongs to the open file, not to a process. */
	ASSERT_EQ(0, iofd_in_child(map_in_child, &m));
	/* The child's mapping outlives the child. */
	ASSERT_OK(iofd_unmap(self->fd, m.ioas, 0, UINT64_MAX, &bytes));
	ASSERT_EQ(m.len, bytes);
	munmap(m.buf, m.len);
}

/* Reference count of our module, or -1 when it is not visible. */
static long module_refs(void)
{
	FILE *f = fopen("/sys/module/iommufd_core/refcnt", "r");
	long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

TEST_F(core, open_files_pin_the_module)
{
	long base = module_refs();
	int fd2, afd;
	__u32 ioas;

	if (base < 0)
		SKIP(return, "no /sys/module/iommufd_core/refcnt");
	/* Every open file keeps the module loaded ... */
	fd2 = iofd_open();
	ASSERT_LE(0, fd2);
	ASSERT_EQ(base + 1, module_refs());
	/* ... and so does every file the module hands out. */
	ASSERT_OK(iofd_ioas_alloc(fd2, &ioas));
	ASSERT_OK(iofd_access_create(fd2, ioas, 0, &afd));
	ASSERT_LT(base + 1, module_refs());
	ASSERT_EQ(0, close(afd));
	ASSERT_EQ(base + 1, module_refs());
	ASSERT_EQ(0, close(fd2));
	ASSERT_EQ(base, module_refs());
}

static int map_until_killed(void *arg)
{
	char *buf = arg;
	__u32 ioas;
	int fd = iofd_open();

	CHILD_CHECK(1, fd >= 0);
	CHILD_CHECK(2, !iofd_ioas_alloc(fd, &ioas));
	CHILD_CHECK(3, !iofd_mock_dev(fd, ioas, NULL, NULL, NULL));
	/* The first half stays mapped, the second comes and goes. */
	CHILD_CHECK(4, !iofd_map_fixed(fd, ioas, buf, 32 * iofd_psize,
				       MOCK_APERTURE_START));
	for (;;) {
		__u64 iova;

		if (!iofd_map_auto(fd, ioas, buf + 32 * iofd_psize,
				   32 * iofd_psize, &iova))
			iofd_unmap(fd, ioas, iova, 32 * iofd_psize, NULL);
	}
	return 0;
}

TEST_F(core, sigkill_releases_pins)
{
	size_t len = 64 * iofd_psize;
	char *buf = iofd_alloc_buf(len);
	unsigned int i;
	int status;
	pid_t pid;

	ASSERT_NE(NULL, buf);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(map_until_killed(buf));
	/* Wait until the child has pinned the first half, then kill it. */
	for (i = 0; i != 5000; i++) {
		if (!iofd_check_pins(self->fd, buf, len / 2, 1))
			break;
		usleep(1000);
	}
	ASSERT_OK(iofd_check_pins(self->fd, buf, len / 2, 1));
	usleep(20000);
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));
	ASSERT_OK(iofd_check_pins(self->fd, buf, len, 0));
	munmap(buf, len);
}

TEST_HARNESS_MAIN
