/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IOMMU_TEST_CMD: the test-only ioctl through which Linux's own iommufd
 * selftests (tools/testing/selftests/iommu/) drive the module and its mock
 * IOMMU driver.
 *
 * Every name, number and layout below is ABI shared with those tests and
 * equals upstream's newest (6.17/6.18) test interface; the text is ours. The
 * tests include this file directly from userspace, so it must build both in
 * the kernel and against the installed uAPI headers.
 */
#ifndef _UAPI_IOMMUFD_TEST_H
#define _UAPI_IOMMUFD_TEST_H

#include <linux/types.h>
#ifdef __KERNEL__
#include <uapi/linux/iommufd.h>
#else
#include <linux/iommufd.h>
#endif

/* struct iommu_test_cmd::op; the union member each op uses is named alike */
enum {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN,
	IOMMU_TEST_OP_MD_CHECK_MAP,
	IOMMU_TEST_OP_MD_CHECK_REFS,
	IOMMU_TEST_OP_CREATE_ACCESS,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_PAGES,
	IOMMU_TEST_OP_ACCESS_RW,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
	IOMMU_TEST_OP_DIRTY,
	IOMMU_TEST_OP_MD_CHECK_IOTLB,
	IOMMU_TEST_OP_TRIGGER_IOPF,
	IOMMU_TEST_OP_DEV_CHECK_CACHE,
	IOMMU_TEST_OP_TRIGGER_VEVENT,
	IOMMU_TEST_OP_PASID_ATTACH,
	IOMMU_TEST_OP_PASID_REPLACE,
	IOMMU_TEST_OP_PASID_DETACH,
	IOMMU_TEST_OP_PASID_CHECK_HWPT,
};

/* The IOVA window every mock domain (without HUGE_IOVA) can translate */
enum {
	MOCK_APERTURE_START = 1UL << 24,
	MOCK_APERTURE_LAST = (1UL << 31) - 1,
};

/* access_pages.flags */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	/* fuzzers (syzkaller) pass a raw IOVA they cannot know in advance */
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

/* access_rw.flags */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	/* force the page-at-a-time path instead of the contiguous copy */
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/* create_access.flags */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* mock_domain_flags.dev_flags: traits of the mock device to create */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
};

/* Entries of the fake IOTLB a mock nested domain keeps */
enum {
	MOCK_NESTED_DOMAIN_IOTLB_ID_MAX = 3,
	MOCK_NESTED_DOMAIN_IOTLB_NUM = 4,
};

/* Entries of the fake device cache a mock device keeps */
enum {
	MOCK_DEV_CACHE_ID_MAX = 3,
	MOCK_DEV_CACHE_NUM = 4,
};

/* A PASID whose replace the mock driver always refuses, to test rollback */
#define IOMMU_TEST_PASID_RESERVED 1024

/**
 * struct iommu_test_cmd - ioctl(IOMMU_TEST_CMD)
 * @size: sizeof(struct iommu_test_cmd)
 * @op: one of IOMMU_TEST_OP_*
 * @id: the object the op works on (an IOAS, HWPT, selftest device or access
 *      fd, depending on @op)
 * @__reserved: must be 0
 * @add_reserved: ADD_RESERVED: reserve [start, start + length) in IOAS @id
 * @mock_domain: MOCK_DOMAIN: create a mock device, bind it and attach it to
 *               IOAS or HWPT @id; returns the selftest object, the HWPT it
 *               ended up on and the bound device object
 * @mock_domain_flags: MOCK_DOMAIN_FLAGS: the same with device traits
 *                     (MOCK_FLAGS_DEVICE_*) in dev_flags
 * @mock_domain_replace: MOCK_DOMAIN_REPLACE: move selftest device @id to
 *                       pt_id
 * @check_map: MD_CHECK_MAP: HWPT @id translates [iova, iova + length) to the
 *             user memory at uptr
 * @check_refs: MD_CHECK_REFS: every page of [uptr, uptr + length) has refs
 *              as its reference count
 * @create_access: CREATE_ACCESS: create an access on IOAS @id and return it
 *                 as a file descriptor
 * @destroy_access_pages: DESTROY_ACCESS_PAGES: undo ACCESS_PAGES
 *                        access_pages_id of access fd @id
 * @access_pages: ACCESS_PAGES: pin [iova, iova + length) through access fd
 *                @id and check that the pages are those at uptr
 * @access_rw: ACCESS_RW: copy length bytes between uptr and IOVA iova
 *             through access fd @id
 * @memory_limit: SET_TEMP_MEMORY_LIMIT: cap the temporary buffers of the
 *                pinning code at limit bytes (0 restores the default)
 * @access_replace_ioas: ACCESS_REPLACE_IOAS: move access fd @id to ioas_id
 * @dirty: DIRTY: mark the IOVAs whose bits are set in the bitmap at uptr
 *         (one bit per page_size) dirty in HWPT @id
 * @check_iotlb: MD_CHECK_IOTLB: entry id of nested HWPT @id's IOTLB is iotlb
 * @trigger_iopf: TRIGGER_IOPF: report a page request from device dev_id
 * @check_dev_cache: DEV_CHECK_CACHE: entry id of device @id's cache is cache
 * @trigger_vevent: TRIGGER_VEVENT: make the mock vIOMMU report an event for
 *                  device dev_id
 * @pasid_attach: PASID_ATTACH: attach pasid of selftest device @id to pt_id
 * @pasid_replace: PASID_REPLACE: replace the attachment of pasid with pt_id
 * @pasid_detach: PASID_DETACH: detach pasid of selftest device @id
 * @pasid_check: PASID_CHECK_HWPT: pasid is attached to hwpt_id (0: nothing)
 * @last: end marker; the kernel requires at least up to here
 */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
		} mock_domain;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__u64 addr;
		} trigger_iopf;
		struct {
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		struct {
			__u32 dev_id;
		} trigger_vevent;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {
			__u32 pasid;
		} pasid_detach;
		struct {
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
	};
	__u32 last;
};

#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE + 32)

/* Number of PASID bits of a MOCK_FLAGS_DEVICE_PASID device */
#define MOCK_PASID_WIDTH 20

/* IOMMU_GET_HW_INFO of a mock device */
#define IOMMU_HW_INFO_TYPE_SELFTEST	0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL	0xdeadbeef

/**
 * struct iommu_test_hw_info - hw_info of the mock IOMMU
 *                             (IOMMU_HW_INFO_TYPE_SELFTEST)
 * @flags: always 0
 * @test_reg: always IOMMU_HW_INFO_SELFTEST_REGVAL
 */
struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};

/*
 * IOMMU_HWPT_ALLOC data type of a mock nested domain; deliberately outside
 * the values of enum iommu_hwpt_data_type.
 */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
/* What a fresh mock IOTLB entry / device cache entry holds */
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad

/**
 * struct iommu_hwpt_selftest - nested HWPT data (IOMMU_HWPT_DATA_SELFTEST)
 * @iotlb: value to preload into every IOTLB entry, normally
 *         IOMMU_TEST_IOTLB_DEFAULT
 */
struct iommu_hwpt_selftest {
	__u32 iotlb;
};

/* IOMMU_HWPT_INVALIDATE data types of a mock nested domain (and a bad one) */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/* Invalidation request flag: every entry, the index is ignored */
#define IOMMU_TEST_INVALIDATE_FLAG_ALL	0x1

/**
 * struct iommu_hwpt_invalidate_selftest - one mock IOTLB invalidation
 *                                        (IOMMU_HWPT_INVALIDATE_DATA_SELFTEST)
 * @flags: IOMMU_TEST_INVALIDATE_FLAG_*
 * @iotlb_id: entry to reset, 0..MOCK_NESTED_DOMAIN_IOTLB_ID_MAX
 */
struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};

/* IOMMU_VIOMMU_ALLOC type of the mock vIOMMU */
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef

/**
 * struct iommu_viommu_selftest - mock vIOMMU data (IOMMU_VIOMMU_TYPE_SELFTEST)
 * @in_data: any value from userspace
 * @out_data: the driver echoes @in_data back here
 * @out_mmap_offset: offset to mmap() the iommufd at to reach the mock
 *                   vIOMMU's MMIO page
 * @out_mmap_length: length of that mapping
 */
struct iommu_viommu_selftest {
	__u32 in_data;
	__u32 out_data;
	__aligned_u64 out_mmap_offset;
	__aligned_u64 out_mmap_length;
};

/* IOMMU_HWPT_INVALIDATE data types on a mock vIOMMU (and a bad one) */
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/**
 * struct iommu_viommu_invalidate_selftest - one mock device-cache
 *                                           invalidation
 *                                           (IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST)
 * @flags: IOMMU_TEST_INVALIDATE_FLAG_*
 * @vdev_id: virtual ID of the device whose cache is hit
 * @cache_id: entry to reset, 0..MOCK_DEV_CACHE_ID_MAX
 */
struct iommu_viommu_invalidate_selftest {
	__u32 flags;
	__u32 vdev_id;
	__u32 cache_id;
};

/* IOMMU_VEVENTQ_ALLOC type of the mock vIOMMU's event queue */
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef

/**
 * struct iommu_viommu_event_selftest - event of a mock vEVENTQ
 * @virt_id: virtual ID of the device that TRIGGER_VEVENT named
 */
struct iommu_viommu_event_selftest {
	__u32 virt_id;
};

/* IOMMU_HW_QUEUE_ALLOC type of the mock vIOMMU, and how many it takes */
#define IOMMU_HW_QUEUE_TYPE_SELFTEST 0xdeadbeef
#define IOMMU_TEST_HW_QUEUE_MAX 2

#endif
