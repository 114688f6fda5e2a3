/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by our iommufd selftests (iommufd_*_test.c).
 *
 * Every wrapper issues exactly one ioctl and returns what ioctl() returned
 * (0, or -1 with errno set), so a test states the precise result it expects:
 *
 *	ASSERT_OK(iofd_map_fixed(fd, ioas, buf, len, iova));
 *	ASSERT_ERRNO(EEXIST, iofd_map_fixed(fd, ioas, buf, len, iova));
 *
 * Both compare errno values (0 meaning success), so a failed expectation
 * prints the errno the kernel really returned.
 */
#ifndef __IOFD_TEST_UTIL_H
#define __IOFD_TEST_UTIL_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>
/* Relative to this file, so no extra -I is needed for the test interface. */
#include "../../../../drivers/iommu/iommufd/iommufd_test.h"

/*
 * The harness comes from Debian's linux-source package at build time; the
 * Makefile puts the extracted tools/testing/selftests/iommu on the include
 * path, so this resolves to tools/testing/selftests/kselftest_harness.h.
 */
#include "../kselftest_harness.h"

#define IOFD_DEV "/dev/iommu"

#define IOFD_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* errno of a call that returned -1, or 0 when the call did not fail. */
#define ERRNO_OF(expr)                       \
	({                                   \
		long __iofd_rc;              \
		errno = 0;                   \
		__iofd_rc = (long)(expr);    \
		__iofd_rc == -1 ? errno : 0; \
	})

#define ASSERT_OK(expr) ASSERT_EQ(0, ERRNO_OF(expr))
#define EXPECT_OK(expr) EXPECT_EQ(0, ERRNO_OF(expr))
#define ASSERT_ERRNO(err, expr) ASSERT_EQ(err, ERRNO_OF(expr))

#define IOFD_RW (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)

/* Filled in before main() runs. */
static size_t iofd_psize;

/* The mock IOMMU's IO page size: half a CPU page (upstream's selftest ABI). */
#define IOFD_MOCK_IO_PAGE (iofd_psize / 2)

static void __attribute__((constructor)) iofd_util_init(void)
{
	iofd_psize = sysconf(_SC_PAGESIZE);
}

static inline int iofd_open(void)
{
	return open(IOFD_DEV, O_RDWR | O_CLOEXEC);
}

/*
 * Anonymous shared memory, like a VMM's guest RAM. MAP_SHARED keeps the
 * pages the same across fork(), which the process-exit tests rely on.
 */
static inline void *iofd_alloc_buf(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 0x5a, len); /* fault every page in */
	return p;
}

/*
 * Like iofd_alloc_buf() but the start is aligned to @align (a power of two),
 * so automatic IOVA placement can keep that alignment too.
 */
static inline void *iofd_alloc_aligned(size_t len, size_t align)
{
	char *p = mmap(NULL, len + align, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char *start;

	if (p == MAP_FAILED)
		return NULL;
	start = (char *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (start != p)
		munmap(p, start - p);
	munmap(start + len, (p + len + align) - (start + len));
	memset(start, 0x5a, len);
	return start;
}

/* hugetlbfs-backed memory, or NULL when no huge pages are reserved. */
static inline void *iofd_alloc_huge(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline size_t iofd_huge_size(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[128];
	size_t kb = 0;

	if (!f)
		return 2UL << 20;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %zu kB", &kb) == 1)
			break;
	fclose(f);
	return kb ? kb << 10 : 2UL << 20;
}

/* A "VmXxx:" line of /proc/self/status in kB, or -1 if it is missing. */
static inline long iofd_status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t klen = strlen(key);
	char line[256];
	long val = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return val;
}

/* ---- core uAPI ---------------------------------------------------------- */

static inline int iofd_destroy(int fd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd);
}

static inline int iofd_ioas_alloc(int fd, __u32 *out_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);
	if (!rc)
		*out_id = cmd.out_ioas_id;
	return rc;
}

/* @iova is input with IOMMU_IOAS_MAP_FIXED_IOVA, otherwise output. */
static inline int iofd_map(int fd, __u32 ioas, const void *va, __u64 len,
			   __u64 *iova, __u32 flags)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas,
		.user_va = (uintptr_t)va,
		.length = len,
	};
	int rc;

	if (flags & IOMMU_IOAS_MAP_FIXED_IOVA)
		cmd.iova = *iova;
	rc = ioctl(fd, IOMMU_IOAS_MAP, &cmd);
	if (!rc)
		*iova = cmd.iova;
	return rc;
}

static inline int iofd_map_fixed(int fd, __u32 ioas, const void *va, __u64 len,
				 __u64 iova)
{
	return iofd_map(fd, ioas, va, len, &iova,
			IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW);
}

static inline int iofd_map_auto(int fd, __u32 ioas, const void *va, __u64 len,
				__u64 *iova)
{
	return iofd_map(fd, ioas, va, len, iova, IOFD_RW);
}

/* @unmapped (optional) receives the kernel's byte count on success. */
static inline int iofd_unmap(int fd, __u32 ioas, __u64 iova, __u64 len,
			     __u64 *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.iova = iova,
		.length = len,
	};
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
	if (!rc && unmapped)
		*unmapped = cmd.length;
	return rc;
}

static inline int iofd_copy(int fd, __u32 dst_ioas, __u64 *dst_iova,
			    __u32 src_ioas, __u64 src_iova, __u64 len,
			    __u32 flags)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst_ioas,
		.src_ioas_id = src_ioas,
		.length = len,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_COPY, &cmd);
	if (!rc)
		*dst_iova = cmd.dst_iova;
	return rc;
}

/* @num is the array capacity on input and the kernel's count on output. */
static inline int iofd_iova_ranges(int fd, __u32 ioas,
				   struct iommu_iova_range *ranges, __u32 *num,
				   __u64 *alignment)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = *num,
		.allowed_iovas = (uintptr_t)ranges,
	};
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);
	/* The count is written back on EMSGSIZE too; that is the protocol. */
	*num = cmd.num_iovas;
	if (alignment)
		*alignment = cmd.out_iova_alignment;
	return rc;
}

static inline int iofd_allow_iovas(int fd, __u32 ioas,
				   const struct iommu_iova_range *ranges,
				   __u32 num)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

/* GET stores the value in *val; SET takes it from *val. */
static inline int iofd_option(int fd, __u32 option, __u16 op, __u32 obj,
			      __u64 *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option,
		.op = op,
		.object_id = obj,
		.val64 = *val,
	};
	int rc;

	rc = ioctl(fd, IOMMU_OPTION, &cmd);
	if (!rc)
		*val = cmd.val64;
	return rc;
}

static inline int iofd_vfio_ioas(int fd, __u16 op, __u32 *ioas)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.ioas_id = *ioas,
		.op = op,
	};
	int rc;

	rc = ioctl(fd, IOMMU_VFIO_IOAS, &cmd);
	if (!rc)
		*ioas = cmd.ioas_id;
	return rc;
}

static inline int iofd_hwpt_alloc(int fd, __u32 dev_id, __u32 pt_id,
				  __u32 flags, __u32 *out_hwpt)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = IOMMU_HWPT_DATA_NONE,
	};
	int rc;

	rc = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);
	if (!rc && out_hwpt)
		*out_hwpt = cmd.out_hwpt_id;
	return rc;
}

/* ---- upstream's selftest interface (IOMMU_TEST_CMD) ----------------------- */

static inline int iofd_test(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd);
}

/* Create a mock device, bind it and attach it to @pt_id (IOAS or HWPT). */
static inline int iofd_mock_dev_flags(int fd, __u32 pt_id, __u32 dev_flags,
				      __u32 *stdev, __u32 *hwpt, __u32 *idev)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	int rc;

	rc = iofd_test(fd, &cmd);
	if (rc)
		return rc;
	if (stdev)
		*stdev = cmd.mock_domain_flags.out_stdev_id;
	if (hwpt)
		*hwpt = cmd.mock_domain_flags.out_hwpt_id;
	if (idev)
		*idev = cmd.mock_domain_flags.out_idev_id;
	return 0;
}

static inline int iofd_mock_dev(int fd, __u32 pt_id, __u32 *stdev, __u32 *hwpt,
				__u32 *idev)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
	};
	int rc;

	rc = iofd_test(fd, &cmd);
	if (rc)
		return rc;
	if (stdev)
		*stdev = cmd.mock_domain.out_stdev_id;
	if (hwpt)
		*hwpt = cmd.mock_domain.out_hwpt_id;
	if (idev)
		*idev = cmd.mock_domain.out_idev_id;
	return 0;
}

/* Re-attach the mock device @stdev to @pt_id; *hwpt gets the HWPT used. */
static inline int iofd_mock_replace(int fd, __u32 stdev, __u32 pt_id,
				    __u32 *hwpt)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev,
		.mock_domain_replace = { .pt_id = pt_id },
	};
	int rc;

	rc = iofd_test(fd, &cmd);
	if (!rc && hwpt)
		*hwpt = cmd.mock_domain_replace.pt_id;
	return rc;
}

static inline int iofd_add_reserved(int fd, __u32 ioas, __u64 start, __u64 len)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = ioas,
		.add_reserved = { .start = start, .length = len },
	};

	return iofd_test(fd, &cmd);
}

/* Does mock HWPT @hwpt translate [iova, iova + len) to the pages at @va? */
static inline int iofd_check_map(int fd, __u32 hwpt, __u64 iova, const void *va,
				 __u64 len)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt,
		.check_map = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)va },
	};

	return iofd_test(fd, &cmd);
}

/*
 * Is every (non-compound) page of @va..@va+len long-term pinned exactly
 * @pins times? The kernel reports a mismatch as EIO.
 */
static inline int iofd_check_pins(int fd, const void *va, __u64 len,
				  unsigned int pins)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = len,
				.uptr = (uintptr_t)va,
				.refs = pins },
	};

	return iofd_test(fd, &cmd);
}

static inline int iofd_set_temp_limit(int fd, __u32 limit)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = limit },
	};

	return iofd_test(fd, &cmd);
}

/* The selftest's default batch memory limit (upstream's value). */
#define IOFD_DEFAULT_TEMP_LIMIT 65536

/* An emulated-device access to @ioas; it lives until *access_fd is closed. */
static inline int iofd_access_create(int fd, __u32 ioas, __u32 flags,
				     int *access_fd)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas,
		.create_access = { .flags = flags },
	};
	int rc;

	rc = iofd_test(fd, &cmd);
	if (!rc)
		*access_fd = cmd.create_access.out_access_fd;
	return rc;
}

static inline int iofd_access_pin(int fd, int access_fd, __u32 flags,
				  __u64 iova, __u64 len, const void *va,
				  __u32 *pages_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = access_fd,
		.access_pages = { .flags = flags,
				  .iova = iova,
				  .length = len,
				  .uptr = (uintptr_t)va },
	};
	int rc;

	rc = iofd_test(fd, &cmd);
	if (!rc && pages_id)
		*pages_id = cmd.access_pages.out_access_pages_id;
	return rc;
}

static inline int iofd_access_unpin(int fd, int access_fd, __u32 pages_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = access_fd,
		.destroy_access_pages = { .access_pages_id = pages_id },
	};

	return iofd_test(fd, &cmd);
}

static inline int iofd_access_rw(int fd, int access_fd, __u64 iova, void *buf,
				 __u64 len, __u32 flags)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = access_fd,
		.access_rw = { .iova = iova,
			       .length = len,
			       .uptr = (uintptr_t)buf,
			       .flags = flags },
	};

	return iofd_test(fd, &cmd);
}

static inline int iofd_access_replace(int fd, int access_fd, __u32 ioas)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = access_fd,
		.access_replace_ioas = { .ioas_id = ioas },
	};

	return iofd_test(fd, &cmd);
}

/*
 * After an fd is closed nothing of it may stay pinned: a fresh fd asks the
 * kernel to confirm that @va has no long-term pins left.
 */
static inline int iofd_close_and_check_unpinned(int fd, const void *va,
						__u64 len)
{
	int rc, fd2;

	if (close(fd))
		return -1;
	fd2 = iofd_open();
	if (fd2 < 0)
		return -1;
	rc = iofd_check_pins(fd2, va, len, 0);
	close(fd2);
	return rc;
}

/*
 * Run @fn in a child process and return its exit status (0 = all good,
 * >0 = the failing step, reported by the child on stderr). Used for tests
 * that drop privileges or change rlimits, which must not leak into the
 * harness process.
 */
static inline int iofd_in_child(int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 255;
	if (!pid)
		_exit(fn(arg));
	if (waitpid(pid, &status, 0) != pid)
		return 254;
	if (!WIFEXITED(status))
		return 253;
	return WEXITSTATUS(status);
}

/*
 * Become an ordinary user: the kernel clears every capability (and so
 * CAP_IPC_LOCK and CAP_SYS_RESOURCE) when a root process switches all its
 * uids away from 0. Open fds stay usable.
 */
#define IOFD_NOBODY 65534
static inline int iofd_drop_privileges(void)
{
	if (setresgid(IOFD_NOBODY, IOFD_NOBODY, IOFD_NOBODY))
		return -1;
	return setresuid(IOFD_NOBODY, IOFD_NOBODY, IOFD_NOBODY);
}

static inline void iofd_child_fail(int step, const char *what)
{
	fprintf(stderr, "# child step %d failed: %s (errno %d)\n", step, what,
		errno);
	fflush(stderr);
	_exit(step);
}

/*
 * Child-side check (in a function run by iofd_in_child()): on failure say
 * which step failed and end the child with that step as its exit status.
 */
#define CHILD_CHECK(step, cond)                       \
	do {                                          \
		if (!(cond))                          \
			iofd_child_fail(step, #cond); \
	} while (0)

#endif
