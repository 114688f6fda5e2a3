// SPDX-License-Identifier: GPL-2.0-only
/*
 * The bad-input table: every ioctl of /dev/iommu fed each class of invalid
 * argument, with the errno upstream Linux gives for it.
 *
 * One table (bad_rows[]) drives everything. A row describes one ioctl: its
 * struct size and minimum size (upstream's numbers), how to fill a valid
 * baseline call, the errno of that baseline, and a list of field overrides
 * that make it bad, each tagged with its class and expected errno. Every
 * row is a fixture variant and every class a TEST_F, so the TAP output
 * names the ioctl and the class of each check ("badinput.IOAS_MAP.overflow").
 * A class for which the row's struct has no field is reported as skipped.
 * The commands the module does not implement yet are variants of a second
 * fixture that runs only the size and pointer classes.
 *
 * The size protocol classes (too short, non-zero tail, zero tail) and an
 * unmapped struct pointer need no per-row data: they are derived from the
 * row's sizes and baseline. After every bad call the test checks that the
 * fixture's mapping, IOAS and the second fd's objects are untouched, and
 * ends by unmapping the tracked area, which must return its full length.
 */
#include "iofd_test_util.h"

/* Room for any command plus a tail the kernel does not know about. */
#define BAD_BUF_SIZE 256
#define BAD_TAIL 8

/* Where a field value comes from: a constant or a fixture object. */
enum bad_kind {
	K_CONST,	/* just .add */
	K_IOAS,		/* the IOAS with the mock device and mappings */
	K_SCRATCH,	/* an idle IOAS the DESTROY baseline may remove */
	K_IDEV,		/* the mock device's iommufd device ID */
	K_HWPT,		/* the mock device's (auto) HWPT */
	K_STDEV,	/* the selftest object of the mock device */
	K_O_IOAS,	/* objects of the second fd: IDs unknown to the first */
	K_O_IDEV,
	K_O_HWPT,
	K_BUF,		/* user VA of the tracked mapping */
	K_MAP_IOVA,	/* its IOVA */
	K_B_IOVA,	/* IOVA of a second mapping the UNMAP baseline removes */
	K_FREE_IOVA,	/* an aligned, unused IOVA inside the aperture */
	K_LEN,		/* length of either mapping */
	K_RANGES,	/* user array holding one valid iommu_iova_range */
	K_OUT,		/* a writable user buffer for outputs */
	K_UNMAPPED,	/* a user address with nothing mapped */
	K_TOP,		/* the last page-aligned u64: top + len overflows */
	K_NR,
};

/* The classes of bad input, one TEST_F each. */
enum bad_class {
	C_RESERVED,
	C_FLAGS,
	C_TYPE,
	C_WRONG_ID,
	C_OTHER_FD,
	C_OVERFLOW,
	C_UNALIGNED,
	C_BAD_UPTR,
};

/* Store kind + add, @width bytes wide, at byte @off of the command. */
struct bad_field {
	unsigned short off;
	unsigned char width;
	unsigned char kind;
	__u64 add;
};

#define BAD_MAX_FIELDS 3
#define BAD_MAX_BASE 8
#define BAD_MAX_CASES 16

struct bad_case {
	enum bad_class cls;
	int err;
	struct bad_field f[BAD_MAX_FIELDS];
};

struct bad_row {
	const char *name;
	unsigned long request;
	unsigned int size;	/* sizeof of the newest upstream struct */
	unsigned int min;	/* upstream min_size */
	int base_err;		/* errno of the valid baseline call, 0 = ok */
	struct bad_field base[BAD_MAX_BASE];
	struct bad_case bad[BAD_MAX_CASES];
};

#define FLD(st, field, kind, add)                                         \
	{ offsetof(struct st, field), sizeof(((struct st *)0)->field), kind, \
	  add }
/* A constant field value. */
#define FC(st, field, val) FLD(st, field, K_CONST, val)
#define CASE(cls, err, ...) { cls, err, { __VA_ARGS__ } }

#define MAP_RW_FIXED (IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW)
#define BAD_FLAG_HI 0x80000000u
#define BAD_TYPE 0x7777u

/* The rows of bad_rows[]; each is also a fixture variant below. */
enum {
	/* implemented: every class */
	R_DESTROY,
	R_IOAS_ALLOC,
	R_IOAS_ALLOW_IOVAS,
	R_IOAS_COPY,
	R_IOAS_IOVA_RANGES,
	R_IOAS_MAP,
	R_IOAS_UNMAP,
	R_OPTION,
	R_VFIO_IOAS,
	R_HWPT_ALLOC,
	R_GET_HW_INFO,
	R_TEST_CMD,
	/* not implemented yet: the size protocol only */
	R_HWPT_SET_DIRTY_TRACKING,
	R_HWPT_GET_DIRTY_BITMAP,
	R_HWPT_INVALIDATE,
	R_FAULT_QUEUE_ALLOC,
	R_IOAS_MAP_FILE,
	R_VIOMMU_ALLOC,
	R_VDEVICE_ALLOC,
	R_IOAS_CHANGE_PROCESS,
	R_VEVENTQ_ALLOC,
	R_HW_QUEUE_ALLOC,
	R_NR
};

/*
 * Commands whose feature the module does not have yet: after the size
 * protocol they answer EOPNOTSUPP, so only the size rows apply.
 */
#define NOT_YET(n, sz, mn)                                              \
	[R_##n] = { .name = #n, .request = IOMMU_##n, .size = sz,        \
		    .min = mn, .base_err = EOPNOTSUPP }

static const struct bad_row bad_rows[R_NR] = {
	[R_DESTROY] = {
		.name = "DESTROY", .request = IOMMU_DESTROY,
		.size = 8, .min = 8,
		.base = { FLD(iommu_destroy, id, K_SCRATCH, 0) },
		.bad = {
			/* DESTROY takes any type, so only the other fd */
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_destroy, id, K_O_IOAS, 0)),
		},
	},
	[R_IOAS_ALLOC] = {
		.name = "IOAS_ALLOC", .request = IOMMU_IOAS_ALLOC,
		.size = 12, .min = 12,
		.bad = {
			CASE(C_FLAGS, EOPNOTSUPP,
			     FC(iommu_ioas_alloc, flags, 1)),
			CASE(C_FLAGS, EOPNOTSUPP,
			     FC(iommu_ioas_alloc, flags, BAD_FLAG_HI)),
		},
	},
	[R_IOAS_ALLOW_IOVAS] = {
		.name = "IOAS_ALLOW_IOVAS", .request = IOMMU_IOAS_ALLOW_IOVAS,
		.size = 24, .min = 24,
		.base = {
			FLD(iommu_ioas_allow_iovas, ioas_id, K_IOAS, 0),
			FC(iommu_ioas_allow_iovas, num_iovas, 1),
			FLD(iommu_ioas_allow_iovas, allowed_iovas, K_RANGES, 0),
		},
		.bad = {
			CASE(C_RESERVED, EOPNOTSUPP,
			     FC(iommu_ioas_allow_iovas, __reserved, 1)),
			CASE(C_WRONG_ID, ENOENT,
			     FLD(iommu_ioas_allow_iovas, ioas_id, K_IDEV, 0)),
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_ioas_allow_iovas, ioas_id, K_O_IOAS, 0)),
			CASE(C_BAD_UPTR, EFAULT,
			     FLD(iommu_ioas_allow_iovas, allowed_iovas,
				 K_UNMAPPED, 0)),
		},
	},
	[R_IOAS_COPY] = {
		.name = "IOAS_COPY", .request = IOMMU_IOAS_COPY,
		.size = 40, .min = 40,
		.base = {
			FC(iommu_ioas_copy, flags, MAP_RW_FIXED),
			FLD(iommu_ioas_copy, dst_ioas_id, K_IOAS, 0),
			FLD(iommu_ioas_copy, src_ioas_id, K_IOAS, 0),
			FLD(iommu_ioas_copy, length, K_LEN, 0),
			FLD(iommu_ioas_copy, dst_iova, K_FREE_IOVA, 0),
			FLD(iommu_ioas_copy, src_iova, K_MAP_IOVA, 0),
		},
		.bad = {
			CASE(C_FLAGS, EOPNOTSUPP,
			     FC(iommu_ioas_copy, flags, MAP_RW_FIXED | 8)),
			CASE(C_FLAGS, EOPNOTSUPP,
			     FC(iommu_ioas_copy, flags,
				MAP_RW_FIXED | BAD_FLAG_HI)),
			CASE(C_WRONG_ID, ENOENT,
			     FLD(iommu_ioas_copy, src_ioas_id, K_HWPT, 0)),
			CASE(C_WRONG_ID, ENOENT,
			     FLD(iommu_ioas_copy, dst_ioas_id, K_IDEV, 0)),
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_ioas_copy, src_ioas_id, K_O_IOAS, 0)),
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_ioas_copy, dst_ioas_id, K_O_IOAS, 0)),
			CASE(C_OVERFLOW, EOVERFLOW,
			     FLD(iommu_ioas_copy, src_iova, K_TOP, 0)),
			CASE(C_OVERFLOW, EOVERFLOW,
			     FC(iommu_ioas_copy, length, ~0ULL)),
			CASE(C_UNALIGNED, EINVAL,
			     FLD(iommu_ioas_copy, dst_iova, K_FREE_IOVA, 1)),
		},
	},
	[R_IOAS_IOVA_RANGES] = {
		.name = "IOAS_IOVA_RANGES", .request = IOMMU_IOAS_IOVA_RANGES,
		.size = 32, .min = 32,
		.base = {
			FLD(iommu_ioas_iova_ranges, ioas_id, K_IOAS, 0),
			FC(iommu_ioas_iova_ranges, num_iovas, 8),
			FLD(iommu_ioas_iova_ranges, allowed_iovas, K_OUT, 0),
		},
		.bad = {
			CASE(C_RESERVED, EOPNOTSUPP,
			     FC(iommu_ioas_iova_ranges, __reserved, 1)),
			CASE(C_WRONG_ID, ENOENT,
			     FLD(iommu_ioas_iova_ranges, ioas_id, K_STDEV, 0)),
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_ioas_iova_ranges, ioas_id, K_O_IOAS, 0)),
			CASE(C_BAD_UPTR, EFAULT,
			     FLD(iommu_ioas_iova_ranges, allowed_iovas,
				 K_UNMAPPED, 0)),
		},
	},
	[R_IOAS_MAP] = {
		.name = "IOAS_MAP", .request = IOMMU_IOAS_MAP,
		.size = 40, .min = 40,
		.base = {
			FC(iommu_ioas_map, flags, MAP_RW_FIXED),
			FLD(iommu_ioas_map, ioas_id, K_IOAS, 0),
			FLD(iommu_ioas_map, user_va, K_BUF, 0),
			FLD(iommu_ioas_map, length, K_LEN, 0),
			FLD(iommu_ioas_map, iova, K_FREE_IOVA, 0),
		},
		.bad = {
			CASE(C_RESERVED, EOPNOTSUPP,
			     FC(iommu_ioas_map, __reserved, 1)),
			CASE(C_FLAGS, EOPNOTSUPP,
			     FC(iommu_ioas_map, flags, MAP_RW_FIXED | 8)),
			CASE(C_FLAGS, EOPNOTSUPP,
			     FC(iommu_ioas_map, flags, MAP_RW_FIXED | BAD_FLAG_HI)),
			CASE(C_WRONG_ID, ENOENT,
			     FLD(iommu_ioas_map, ioas_id, K_HWPT, 0)),
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_ioas_map, ioas_id, K_O_IOAS, 0)),
			CASE(C_OVERFLOW, EOVERFLOW,
			     FLD(iommu_ioas_map, iova, K_TOP, 0)),
			CASE(C_OVERFLOW, EOVERFLOW,
			     FC(iommu_ioas_map, length, ~0ULL)),
			CASE(C_UNALIGNED, EINVAL,
			     FLD(iommu_ioas_map, iova, K_FREE_IOVA, 1)),
			CASE(C_BAD_UPTR, EFAULT,
			     FLD(iommu_ioas_map, user_va, K_UNMAPPED, 0)),
		},
	},
	[R_IOAS_UNMAP] = {
		.name = "IOAS_UNMAP", .request = IOMMU_IOAS_UNMAP,
		.size = 24, .min = 24,
		.base = {
			FLD(iommu_ioas_unmap, ioas_id, K_IOAS, 0),
			FLD(iommu_ioas_unmap, iova, K_B_IOVA, 0),
			FLD(iommu_ioas_unmap, length, K_LEN, 0),
		},
		.bad = {
			CASE(C_WRONG_ID, ENOENT,
			     FLD(iommu_ioas_unmap, ioas_id, K_IDEV, 0)),
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_ioas_unmap, ioas_id, K_O_IOAS, 0)),
			CASE(C_OVERFLOW, EOVERFLOW,
			     FLD(iommu_ioas_unmap, iova, K_TOP, 0)),
			CASE(C_OVERFLOW, EOVERFLOW,
			     FC(iommu_ioas_unmap, length, ~0ULL)),
			/*
			 * Upstream has no alignment check here: a range that
			 * cuts into an area is "nothing to unmap", ENOENT.
			 */
			CASE(C_UNALIGNED, ENOENT,
			     FLD(iommu_ioas_unmap, iova, K_B_IOVA, 1)),
		},
	},
	[R_OPTION] = {
		.name = "OPTION", .request = IOMMU_OPTION,
		.size = 24, .min = 24,
		.base = {
			FC(iommu_option, option_id, IOMMU_OPTION_HUGE_PAGES),
			FC(iommu_option, op, IOMMU_OPTION_OP_GET),
			FLD(iommu_option, object_id, K_IOAS, 0),
		},
		.bad = {
			CASE(C_RESERVED, EOPNOTSUPP,
			     FC(iommu_option, __reserved, 1)),
			CASE(C_TYPE, EOPNOTSUPP,
			     FC(iommu_option, option_id, BAD_TYPE)),
			CASE(C_TYPE, EOPNOTSUPP, FC(iommu_option, op, 7)),
			CASE(C_WRONG_ID, ENOENT,
			     FLD(iommu_option, object_id, K_IDEV, 0)),
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_option, object_id, K_O_IOAS, 0)),
		},
	},
	[R_VFIO_IOAS] = {
		.name = "VFIO_IOAS", .request = IOMMU_VFIO_IOAS,
		.size = 12, .min = 12,
		.base = {
			FLD(iommu_vfio_ioas, ioas_id, K_IOAS, 0),
			FC(iommu_vfio_ioas, op, IOMMU_VFIO_IOAS_SET),
		},
		.bad = {
			CASE(C_RESERVED, EOPNOTSUPP,
			     FC(iommu_vfio_ioas, __reserved, 1)),
			CASE(C_TYPE, EOPNOTSUPP, FC(iommu_vfio_ioas, op, 3)),
			CASE(C_WRONG_ID, ENOENT,
			     FLD(iommu_vfio_ioas, ioas_id, K_HWPT, 0)),
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_vfio_ioas, ioas_id, K_O_IOAS, 0)),
		},
	},
	[R_HWPT_ALLOC] = {
		.name = "HWPT_ALLOC", .request = IOMMU_HWPT_ALLOC,
		.size = 48, .min = 24,
		.base = {
			FLD(iommu_hwpt_alloc, dev_id, K_IDEV, 0),
			FLD(iommu_hwpt_alloc, pt_id, K_IOAS, 0),
		},
		.bad = {
			CASE(C_RESERVED, EOPNOTSUPP,
			     FC(iommu_hwpt_alloc, __reserved, 1)),
			CASE(C_FLAGS, EOPNOTSUPP,
			     FC(iommu_hwpt_alloc, flags, BAD_FLAG_HI)),
			/* Driver data the mock paging domain cannot take */
			CASE(C_TYPE, EOPNOTSUPP,
			     FC(iommu_hwpt_alloc, data_type, BAD_TYPE),
			     FC(iommu_hwpt_alloc, data_len, 4),
			     FLD(iommu_hwpt_alloc, data_uptr, K_OUT, 0)),
			/* A type without data is a mismatch: EINVAL */
			CASE(C_TYPE, EINVAL,
			     FC(iommu_hwpt_alloc, data_type, BAD_TYPE)),
			CASE(C_WRONG_ID, ENOENT,
			     FLD(iommu_hwpt_alloc, dev_id, K_IOAS, 0)),
			/* pt_id of the wrong type, or none at all: EINVAL */
			CASE(C_WRONG_ID, EINVAL,
			     FLD(iommu_hwpt_alloc, pt_id, K_IDEV, 0)),
			CASE(C_WRONG_ID, EINVAL,
			     FLD(iommu_hwpt_alloc, pt_id, K_STDEV, 0)),
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_hwpt_alloc, dev_id, K_O_IDEV, 0)),
			CASE(C_OTHER_FD, EINVAL,
			     FLD(iommu_hwpt_alloc, pt_id, K_O_IOAS, 0)),
		},
	},
	[R_GET_HW_INFO] = {
		.name = "GET_HW_INFO", .request = IOMMU_GET_HW_INFO,
		.size = 40, .min = 32,
		.base = {
			FLD(iommu_hw_info, dev_id, K_IDEV, 0),
			FC(iommu_hw_info, data_len, 16),
			FLD(iommu_hw_info, data_uptr, K_OUT, 0),
		},
		.bad = {
			CASE(C_RESERVED, EOPNOTSUPP,
			     { offsetof(struct iommu_hw_info, __reserved), 1,
			       K_CONST, 1 }),
			CASE(C_RESERVED, EOPNOTSUPP,
			     { offsetof(struct iommu_hw_info, __reserved) + 2, 1,
			       K_CONST, 1 }),
			CASE(C_FLAGS, EOPNOTSUPP, FC(iommu_hw_info, flags, 2)),
			CASE(C_FLAGS, EOPNOTSUPP,
			     FC(iommu_hw_info, flags, BAD_FLAG_HI)),
			CASE(C_TYPE, EOPNOTSUPP,
			     FC(iommu_hw_info, flags,
				IOMMU_HW_INFO_FLAG_INPUT_TYPE),
			     FC(iommu_hw_info, in_data_type, BAD_TYPE)),
			CASE(C_WRONG_ID, ENOENT,
			     FLD(iommu_hw_info, dev_id, K_IOAS, 0)),
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_hw_info, dev_id, K_O_IDEV, 0)),
			CASE(C_BAD_UPTR, EFAULT,
			     FLD(iommu_hw_info, data_uptr, K_UNMAPPED, 0)),
		},
	},
	[R_TEST_CMD] = {
		/* The selftest ABI: its own header gives the sizes */
		.name = "TEST_CMD", .request = IOMMU_TEST_CMD,
		.size = sizeof(struct iommu_test_cmd),
		.min = offsetof(struct iommu_test_cmd, last) + sizeof(__u32),
		.base = {
			FC(iommu_test_cmd, op, IOMMU_TEST_OP_MD_CHECK_MAP),
			FLD(iommu_test_cmd, id, K_HWPT, 0),
			FLD(iommu_test_cmd, check_map.iova, K_MAP_IOVA, 0),
			FLD(iommu_test_cmd, check_map.length, K_LEN, 0),
			FLD(iommu_test_cmd, check_map.uptr, K_BUF, 0),
		},
		.bad = {
			CASE(C_TYPE, EOPNOTSUPP,
			     FC(iommu_test_cmd, op, BAD_TYPE)),
			CASE(C_WRONG_ID, ENOENT,
			     FLD(iommu_test_cmd, id, K_IOAS, 0)),
			CASE(C_OTHER_FD, ENOENT,
			     FLD(iommu_test_cmd, id, K_O_HWPT, 0)),
			CASE(C_UNALIGNED, EINVAL,
			     FLD(iommu_test_cmd, check_map.iova, K_MAP_IOVA, 1)),
			CASE(C_BAD_UPTR, EFAULT,
			     FLD(iommu_test_cmd, check_map.uptr, K_UNMAPPED, 0)),
		},
	},
	/*
	 * Dirty tracking is implemented, but the fixture's HWPT is an
	 * automatic one without it: a valid call answers EOPNOTSUPP, so only
	 * the size rows apply (iommufd_dirty_test covers the fields).
	 */
	[R_HWPT_SET_DIRTY_TRACKING] = {
		.name = "HWPT_SET_DIRTY_TRACKING",
		.request = IOMMU_HWPT_SET_DIRTY_TRACKING,
		.size = 16, .min = 16, .base_err = EOPNOTSUPP,
		.base = {
			FLD(iommu_hwpt_set_dirty_tracking, hwpt_id, K_HWPT, 0),
		},
	},
	[R_HWPT_GET_DIRTY_BITMAP] = {
		.name = "HWPT_GET_DIRTY_BITMAP",
		.request = IOMMU_HWPT_GET_DIRTY_BITMAP,
		.size = 48, .min = 48, .base_err = EOPNOTSUPP,
		.base = {
			FLD(iommu_hwpt_get_dirty_bitmap, hwpt_id, K_HWPT, 0),
			FLD(iommu_hwpt_get_dirty_bitmap, iova, K_MAP_IOVA, 0),
			FLD(iommu_hwpt_get_dirty_bitmap, length, K_LEN, 0),
			FC(iommu_hwpt_get_dirty_bitmap, page_size, 4096),
			FLD(iommu_hwpt_get_dirty_bitmap, data, K_OUT, 0),
		},
	},
	NOT_YET(HWPT_INVALIDATE, 32, 32),
	NOT_YET(FAULT_QUEUE_ALLOC, 16, 16),
	NOT_YET(IOAS_MAP_FILE, 40, 40),
	NOT_YET(VIOMMU_ALLOC, 40, 24),
	NOT_YET(VDEVICE_ALLOC, 24, 24),
	NOT_YET(IOAS_CHANGE_PROCESS, 8, 8),
	NOT_YET(VEVENTQ_ALLOC, 32, 28),
	NOT_YET(HW_QUEUE_ALLOC, 40, 40),
};

static const char *const bad_class_names[] = {
	[C_RESERVED] = "reserved",
	[C_FLAGS] = "flags",
	[C_TYPE] = "type",
	[C_WRONG_ID] = "wrong_id",
	[C_OTHER_FD] = "other_fd_id",
	[C_OVERFLOW] = "overflow",
	[C_UNALIGNED] = "unaligned",
	[C_BAD_UPTR] = "bad_uptr",
};

/* What both fixtures set up: two fds with objects, mappings, buffers. */
struct bad_ctx {
	int fd;
	int fd2;
	void *buf;
	size_t len;
	__u64 val[K_NR];
	struct iommu_iova_range ranges[1];
	__u64 out[64];
	__u8 cmd[BAD_BUF_SIZE];
};

/* Inside the mock aperture: the tracked area, the second one, free space. */
#define MAP_IOVA ((__u64)MOCK_APERTURE_START)
#define B_IOVA (MAP_IOVA + (1ULL << 20))
#define FREE_IOVA (MAP_IOVA + (2ULL << 20))

static void bad_setup(struct __test_metadata *_metadata, struct bad_ctx *c)
{
	__u32 ioas = 0, scratch = 0, stdev = 0, hwpt = 0, idev = 0;
	__u32 o_ioas = 0, o_hwpt = 0, o_idev = 0;
	char *hole;

	c->fd = iofd_open();
	ASSERT_LE(0, c->fd);
	c->fd2 = iofd_open();
	ASSERT_LE(0, c->fd2);

	c->len = 2 * iofd_psize;
	c->buf = iofd_alloc_buf(2 * c->len);
	ASSERT_NE(NULL, c->buf);

	ASSERT_OK(iofd_ioas_alloc(c->fd, &ioas));
	ASSERT_OK(iofd_mock_dev(c->fd, ioas, &stdev, &hwpt, &idev));
	ASSERT_OK(iofd_map_fixed(c->fd, ioas, c->buf, c->len, MAP_IOVA));
	ASSERT_OK(iofd_map_fixed(c->fd, ioas, (char *)c->buf + c->len, c->len,
				 B_IOVA));
	ASSERT_OK(iofd_ioas_alloc(c->fd, &scratch));

	/*
	 * The second fd numbers its objects from 1 as well. Give it enough
	 * of them that the IDs used below exist only there, even after a
	 * baseline allocated a few more in the first fd.
	 */
	do {
		ASSERT_OK(iofd_ioas_alloc(c->fd2, &o_ioas));
	} while (o_ioas <= scratch + 16);
	ASSERT_OK(iofd_mock_dev(c->fd2, o_ioas, NULL, &o_hwpt, &o_idev));

	/* A page with nothing mapped; PROT_NONE neighbours keep it a hole. */
	hole = mmap(NULL, 3 * iofd_psize, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole + iofd_psize, iofd_psize));

	c->ranges[0].start = MOCK_APERTURE_START;
	c->ranges[0].last = MOCK_APERTURE_LAST;

	c->val[K_CONST] = 0;
	c->val[K_IOAS] = ioas;
	c->val[K_SCRATCH] = scratch;
	c->val[K_IDEV] = idev;
	c->val[K_HWPT] = hwpt;
	c->val[K_STDEV] = stdev;
	c->val[K_O_IOAS] = o_ioas;
	c->val[K_O_IDEV] = o_idev;
	c->val[K_O_HWPT] = o_hwpt;
	c->val[K_BUF] = (uintptr_t)c->buf;
	c->val[K_MAP_IOVA] = MAP_IOVA;
	c->val[K_B_IOVA] = B_IOVA;
	c->val[K_FREE_IOVA] = FREE_IOVA;
	c->val[K_LEN] = c->len;
	c->val[K_RANGES] = (uintptr_t)c->ranges;
	c->val[K_OUT] = (uintptr_t)c->out;
	c->val[K_UNMAPPED] = (uintptr_t)(hole + iofd_psize);
	c->val[K_TOP] = ~(__u64)(iofd_psize - 1);
}

static void bad_teardown(struct bad_ctx *c)
{
	if (c->fd2 >= 0)
		close(c->fd2);
	if (c->fd >= 0)
		close(c->fd);
}

static void bad_apply(struct bad_ctx *c, const struct bad_field *f,
		      unsigned int n)
{
	unsigned int i;

	for (i = 0; i != n && f[i].width; i++) {
		__u64 v = c->val[f[i].kind] + f[i].add;
		__u8 *p = c->cmd + f[i].off;
		__u32 v32 = v;
		__u16 v16 = v;
		__u8 v8 = v;

		switch (f[i].width) {
		case 8:
			memcpy(p, &v, 8);
			break;
		case 4:
			memcpy(p, &v32, 4);
			break;
		case 2:
			memcpy(p, &v16, 2);
			break;
		default:
			memcpy(p, &v8, 1);
			break;
		}
	}
}

/* The row's valid call in c->cmd, with @size in its size field. */
static void bad_build(struct bad_ctx *c, const struct bad_row *row,
		      __u32 size)
{
	memset(c->cmd, 0, sizeof(c->cmd));
	bad_apply(c, row->base, BAD_MAX_BASE);
	memcpy(c->cmd, &size, sizeof(size));
}

static int bad_call(struct bad_ctx *c, const struct bad_row *row)
{
	return ERRNO_OF(ioctl(c->fd, row->request, c->cmd));
}

/*
 * Nothing a rejected call touched may have changed: the IOAS still answers,
 * the tracked area is still in the mock domain, the other fd is intact.
 */
static void bad_check_state(struct __test_metadata *_metadata,
			    struct bad_ctx *c)
{
	struct iommu_iova_range r[8];
	__u32 num = IOFD_ARRAY_SIZE(r);

	ASSERT_OK(iofd_iova_ranges(c->fd, c->val[K_IOAS], r, &num, NULL));
	ASSERT_LE(1, num);
	ASSERT_OK(iofd_check_map(c->fd, c->val[K_HWPT], MAP_IOVA, c->buf,
				 c->len));
	num = IOFD_ARRAY_SIZE(r);
	ASSERT_OK(iofd_iova_ranges(c->fd2, c->val[K_O_IOAS], r, &num, NULL));
}

/* The tracked area comes out whole: exactly its length is unmapped. */
static void bad_check_final(struct __test_metadata *_metadata,
			    struct bad_ctx *c)
{
	__u64 unmapped = 0;

	bad_check_state(_metadata, c);
	ASSERT_OK(iofd_unmap(c->fd, c->val[K_IOAS], MAP_IOVA, c->len,
			     &unmapped));
	ASSERT_EQ(c->len, unmapped);
}

/* ---- the size protocol and the struct pointer, for every row ---------- */

/* The valid call at exact size gives the row's baseline result. */
static void bad_baseline(struct __test_metadata *_metadata, struct bad_ctx *c,
			 const struct bad_row *row)
{
	bad_build(c, row, row->size);
	ASSERT_EQ(row->base_err, bad_call(c, row))
		TH_LOG("%s baseline", row->name);
	bad_check_final(_metadata, c);
}

static void bad_size_short(struct __test_metadata *_metadata,
			   struct bad_ctx *c, const struct bad_row *row)
{
	bad_build(c, row, row->min - 1);
	ASSERT_EQ(EINVAL, bad_call(c, row))
		TH_LOG("%s size %u", row->name, row->min - 1);
	bad_build(c, row, 0);
	ASSERT_EQ(EINVAL, bad_call(c, row)) TH_LOG("%s size 0", row->name);
	bad_check_final(_metadata, c);
}

static void bad_tail_nonzero(struct __test_metadata *_metadata,
			     struct bad_ctx *c, const struct bad_row *row)
{
	bad_build(c, row, row->size + BAD_TAIL);
	c->cmd[row->size + BAD_TAIL - 1] = 0xa5;
	ASSERT_EQ(E2BIG, bad_call(c, row))
		TH_LOG("%s size %u, last byte set", row->name,
		       row->size + BAD_TAIL);
	bad_build(c, row, row->size + BAD_TAIL);
	c->cmd[row->size] = 1;
	ASSERT_EQ(E2BIG, bad_call(c, row))
		TH_LOG("%s size %u, first tail byte set", row->name,
		       row->size + BAD_TAIL);
	bad_check_final(_metadata, c);
}

/* A longer struct with a zero tail is served exactly like the baseline. */
static void bad_tail_zero(struct __test_metadata *_metadata,
			  struct bad_ctx *c, const struct bad_row *row)
{
	bad_build(c, row, row->size + BAD_TAIL);
	ASSERT_EQ(row->base_err, bad_call(c, row))
		TH_LOG("%s size %u, zero tail", row->name,
		       row->size + BAD_TAIL);
	bad_check_final(_metadata, c);
}

static void bad_struct_ptr(struct __test_metadata *_metadata,
			   struct bad_ctx *c, const struct bad_row *row)
{
	void *arg = (void *)(uintptr_t)c->val[K_UNMAPPED];

	ASSERT_EQ(EFAULT, ERRNO_OF(ioctl(c->fd, row->request, arg)))
		TH_LOG("%s struct at an unmapped address", row->name);
	bad_check_final(_metadata, c);
}

/* ---- field classes: the cases the row lists ---------------------------- */

/* Run every case of @cls in @row; skip if the row has none. */
static void bad_run_class(struct __test_metadata *_metadata,
			  struct bad_ctx *c, const struct bad_row *row,
			  enum bad_class cls)
{
	unsigned int i, n = 0;

	for (i = 0; i != BAD_MAX_CASES && row->bad[i].f[0].width; i++) {
		const struct bad_case *bc = &row->bad[i];

		if (bc->cls != cls)
			continue;
		n++;
		bad_build(c, row, row->size);
		bad_apply(c, bc->f, BAD_MAX_FIELDS);
		ASSERT_EQ(bc->err, bad_call(c, row))
			TH_LOG("%s %s case %u (field @%u)", row->name,
			       bad_class_names[cls], n, bc->f[0].off);
		bad_check_state(_metadata, c);
	}
	if (!n)
		SKIP(return, "%s has no %s field", row->name,
		     bad_class_names[cls]);
	bad_check_final(_metadata, c);
}

/* Implemented ioctls: every class. */
FIXTURE(badinput)
{
	struct bad_ctx c;
};

FIXTURE_VARIANT(badinput)
{
	const struct bad_row *row;
};

FIXTURE_VARIANT_ADD(badinput, DESTROY) {
	.row = &bad_rows[R_DESTROY],
};

FIXTURE_VARIANT_ADD(badinput, IOAS_ALLOC) {
	.row = &bad_rows[R_IOAS_ALLOC],
};

FIXTURE_VARIANT_ADD(badinput, IOAS_ALLOW_IOVAS) {
	.row = &bad_rows[R_IOAS_ALLOW_IOVAS],
};

FIXTURE_VARIANT_ADD(badinput, IOAS_COPY) {
	.row = &bad_rows[R_IOAS_COPY],
};

FIXTURE_VARIANT_ADD(badinput, IOAS_IOVA_RANGES) {
	.row = &bad_rows[R_IOAS_IOVA_RANGES],
};

FIXTURE_VARIANT_ADD(badinput, IOAS_MAP) {
	.row = &bad_rows[R_IOAS_MAP],
};

FIXTURE_VARIANT_ADD(badinput, IOAS_UNMAP) {
	.row = &bad_rows[R_IOAS_UNMAP],
};

FIXTURE_VARIANT_ADD(badinput, OPTION) {
	.row = &bad_rows[R_OPTION],
};

FIXTURE_VARIANT_ADD(badinput, VFIO_IOAS) {
	.row = &bad_rows[R_VFIO_IOAS],
};

FIXTURE_VARIANT_ADD(badinput, HWPT_ALLOC) {
	.row = &bad_rows[R_HWPT_ALLOC],
};

FIXTURE_VARIANT_ADD(badinput, GET_HW_INFO) {
	.row = &bad_rows[R_GET_HW_INFO],
};

FIXTURE_VARIANT_ADD(badinput, TEST_CMD) {
	.row = &bad_rows[R_TEST_CMD],
};

FIXTURE_SETUP(badinput)
{
	bad_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(badinput)
{
	bad_teardown(&self->c);
}

TEST_F(badinput, baseline)
{
	bad_baseline(_metadata, &self->c, variant->row);
}

TEST_F(badinput, size_short)
{
	bad_size_short(_metadata, &self->c, variant->row);
}

TEST_F(badinput, tail_nonzero)
{
	bad_tail_nonzero(_metadata, &self->c, variant->row);
}

TEST_F(badinput, tail_zero)
{
	bad_tail_zero(_metadata, &self->c, variant->row);
}

TEST_F(badinput, bad_struct_ptr)
{
	bad_struct_ptr(_metadata, &self->c, variant->row);
}

TEST_F(badinput, reserved)
{
	bad_run_class(_metadata, &self->c, variant->row, C_RESERVED);
}

TEST_F(badinput, flags)
{
	bad_run_class(_metadata, &self->c, variant->row, C_FLAGS);
}

TEST_F(badinput, type)
{
	bad_run_class(_metadata, &self->c, variant->row, C_TYPE);
}

TEST_F(badinput, wrong_id)
{
	bad_run_class(_metadata, &self->c, variant->row, C_WRONG_ID);
}

TEST_F(badinput, other_fd_id)
{
	bad_run_class(_metadata, &self->c, variant->row, C_OTHER_FD);
}

TEST_F(badinput, overflow)
{
	bad_run_class(_metadata, &self->c, variant->row, C_OVERFLOW);
}

TEST_F(badinput, unaligned)
{
	bad_run_class(_metadata, &self->c, variant->row, C_UNALIGNED);
}

TEST_F(badinput, bad_uptr)
{
	bad_run_class(_metadata, &self->c, variant->row, C_BAD_UPTR);
}

/*
 * Not implemented yet (EOPNOTSUPP after the size checks): only the size
 * protocol and the struct pointer have something to check.
 */
FIXTURE(badsize)
{
	struct bad_ctx c;
};

FIXTURE_VARIANT(badsize)
{
	const struct bad_row *row;
};

FIXTURE_VARIANT_ADD(badsize, HWPT_SET_DIRTY_TRACKING) {
	.row = &bad_rows[R_HWPT_SET_DIRTY_TRACKING],
};

FIXTURE_VARIANT_ADD(badsize, HWPT_GET_DIRTY_BITMAP) {
	.row = &bad_rows[R_HWPT_GET_DIRTY_BITMAP],
};

FIXTURE_VARIANT_ADD(badsize, HWPT_INVALIDATE) {
	.row = &bad_rows[R_HWPT_INVALIDATE],
};

FIXTURE_VARIANT_ADD(badsize, FAULT_QUEUE_ALLOC) {
	.row = &bad_rows[R_FAULT_QUEUE_ALLOC],
};

FIXTURE_VARIANT_ADD(badsize, IOAS_MAP_FILE) {
	.row = &bad_rows[R_IOAS_MAP_FILE],
};

FIXTURE_VARIANT_ADD(badsize, VIOMMU_ALLOC) {
	.row = &bad_rows[R_VIOMMU_ALLOC],
};

FIXTURE_VARIANT_ADD(badsize, VDEVICE_ALLOC) {
	.row = &bad_rows[R_VDEVICE_ALLOC],
};

FIXTURE_VARIANT_ADD(badsize, IOAS_CHANGE_PROCESS) {
	.row = &bad_rows[R_IOAS_CHANGE_PROCESS],
};

FIXTURE_VARIANT_ADD(badsize, VEVENTQ_ALLOC) {
	.row = &bad_rows[R_VEVENTQ_ALLOC],
};

FIXTURE_VARIANT_ADD(badsize, HW_QUEUE_ALLOC) {
	.row = &bad_rows[R_HW_QUEUE_ALLOC],
};

FIXTURE_SETUP(badsize)
{
	bad_setup(_metadata, &self->c);
}

FIXTURE_TEARDOWN(badsize)
{
	bad_teardown(&self->c);
}

TEST_F(badsize, baseline)
{
	bad_baseline(_metadata, &self->c, variant->row);
}

TEST_F(badsize, size_short)
{
	bad_size_short(_metadata, &self->c, variant->row);
}

TEST_F(badsize, tail_nonzero)
{
	bad_tail_nonzero(_metadata, &self->c, variant->row);
}

TEST_F(badsize, tail_zero)
{
	bad_tail_zero(_metadata, &self->c, variant->row);
}

TEST_F(badsize, bad_struct_ptr)
{
	bad_struct_ptr(_metadata, &self->c, variant->row);
}

TEST_HARNESS_MAIN
