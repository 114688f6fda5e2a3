// SPDX-License-Identifier: GPL-2.0-only
/*
 * ABI check of include/uapi/linux/iommufd.h.
 *
 * Every structure, request number and enumerator is compared with the
 * numbers of upstream Linux 6.18's uAPI, written here as plain literals (see
 * shared/reference/upstream-iommufd.md, section 1 and 3) rather than derived
 * from any header. A structure is one TAP test: its size, its alignment and,
 * for each member, offset, width and signedness. A request number is one
 * test, an enumeration is one test.
 *
 * The header is included by relative path on purpose: the build host may
 * have an older <linux/iommufd.h> in /usr/include, and checking that one
 * would prove nothing.
 *
 * Needs no device and no privileges; it also runs inside the test VM.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../../../include/uapi/linux/iommufd.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static unsigned int failures;

/* Print a diagnostic line and remember that the current test failed. */
#define DIAG(ok, fmt, ...)						\
	do {								\
		printf("# " fmt "\n", ##__VA_ARGS__);			\
		ok = false;						\
	} while (0)

/* ---------------------------------------------------------------------- */
/* Structures                                                             */

enum member_kind {
	MEMBER_UNSIGNED,
	MEMBER_SIGNED,
	MEMBER_ARRAY,	/* signedness of an array is not checked */
};

struct member_fact {
	const char *name;
	size_t offset, want_offset;
	size_t width, want_width;
	enum member_kind want_kind;
	bool is_signed;
};

/* Written as "-1 is not above 0" so that -Wtype-limits stays quiet. */
#define MEMBER_TYPE(m) __typeof__(((cur_t *)0)->m)
#define MEMBER_IS_SIGNED(m) (!((MEMBER_TYPE(m))(-1) > (MEMBER_TYPE(m))0))

/* A scalar member that must be unsigned, at byte @off, @w bytes wide. */
#define U(m, off, w)							\
	{ #m, offsetof(cur_t, m), (off), sizeof(((cur_t *)0)->m), (w),	\
	  MEMBER_UNSIGNED, MEMBER_IS_SIGNED(m) }
/* A scalar member that must be signed. */
#define S(m, off, w)							\
	{ #m, offsetof(cur_t, m), (off), sizeof(((cur_t *)0)->m), (w),	\
	  MEMBER_SIGNED, MEMBER_IS_SIGNED(m) }
/* An array member, @w is the width of the whole array. */
#define A(m, off, w)							\
	{ #m, offsetof(cur_t, m), (off), sizeof(((cur_t *)0)->m), (w),	\
	  MEMBER_ARRAY, false }

static bool check_struct(const char *name, size_t size, size_t want_size,
			 size_t align, size_t want_align,
			 const struct member_fact *m, size_t nr)
{
	bool want_signed;
	bool ok = true;
	size_t i;

	if (size != want_size)
		DIAG(ok, "struct %s: sizeof %zu, expected %zu", name, size,
		     want_size);
	/*
	 * 64-bit members are __aligned_u64, so even 32-bit userspace must see
	 * the 64-bit alignment.
	 */
	if (align != want_align)
		DIAG(ok, "struct %s: alignment %zu, expected %zu", name, align,
		     want_align);
	for (i = 0; i < nr; i++) {
		if (m[i].offset != m[i].want_offset)
			DIAG(ok, "struct %s: %s at offset %zu, expected %zu",
			     name, m[i].name, m[i].offset, m[i].want_offset);
		if (m[i].width != m[i].want_width)
			DIAG(ok, "struct %s: %s is %zu bytes, expected %zu",
			     name, m[i].name, m[i].width, m[i].want_width);
		want_signed = m[i].want_kind == MEMBER_SIGNED;
		if (m[i].want_kind != MEMBER_ARRAY &&
		    m[i].is_signed != want_signed)
			DIAG(ok, "struct %s: %s has the wrong signedness",
			     name, m[i].name);
	}
	return ok;
}

/*
 * Define check_struct_<T>() for struct @T: expected sizeof @sz, alignment
 * @al, then the members. The member macros name the structure as cur_t, a
 * typeof of the never-dereferenced pointer cur.
 */
#define cur_t __typeof__(*cur)

#define STRUCT_TEST(T, sz, al, ...)					\
static bool check_struct_##T(void)					\
{									\
	const struct T *cur = NULL;					\
	static const struct member_fact m[] = { __VA_ARGS__ };		\
									\
	return check_struct(#T, sizeof(cur_t), (sz), __alignof__(cur_t),	\
			    (al), m, ARRAY_SIZE(m));			\
}

STRUCT_TEST(iommu_destroy, 8, 4,
	    U(size, 0, 4), U(id, 4, 4))

STRUCT_TEST(iommu_ioas_alloc, 12, 4,
	    U(size, 0, 4), U(flags, 4, 4), U(out_ioas_id, 8, 4))

STRUCT_TEST(iommu_iova_range, 16, 8,
	    U(start, 0, 8), U(last, 8, 8))

STRUCT_TEST(iommu_ioas_iova_ranges, 32, 8,
	    U(size, 0, 4), U(ioas_id, 4, 4), U(num_iovas, 8, 4),
	    U(__reserved, 12, 4), U(allowed_iovas, 16, 8),
	    U(out_iova_alignment, 24, 8))

STRUCT_TEST(iommu_ioas_allow_iovas, 24, 8,
	    U(size, 0, 4), U(ioas_id, 4, 4), U(num_iovas, 8, 4),
	    U(__reserved, 12, 4), U(allowed_iovas, 16, 8))

STRUCT_TEST(iommu_ioas_map, 40, 8,
	    U(size, 0, 4), U(flags, 4, 4), U(ioas_id, 8, 4),
	    U(__reserved, 12, 4), U(user_va, 16, 8), U(length, 24, 8),
	    U(iova, 32, 8))

STRUCT_TEST(iommu_ioas_map_file, 40, 8,
	    U(size, 0, 4), U(flags, 4, 4), U(ioas_id, 8, 4), S(fd, 12, 4),
	    U(start, 16, 8), U(length, 24, 8), U(iova, 32, 8))

STRUCT_TEST(iommu_ioas_copy, 40, 8,
	    U(size, 0, 4), U(flags, 4, 4), U(dst_ioas_id, 8, 4),
	    U(src_ioas_id, 12, 4), U(length, 16, 8), U(dst_iova, 24, 8),
	    U(src_iova, 32, 8))

STRUCT_TEST(iommu_ioas_unmap, 24, 8,
	    U(size, 0, 4), U(ioas_id, 4, 4), U(iova, 8, 8), U(length, 16, 8))

STRUCT_TEST(iommu_option, 24, 8,
	    U(size, 0, 4), U(option_id, 4, 4), U(op, 8, 2),
	    U(__reserved, 10, 2), U(object_id, 12, 4), U(val64, 16, 8))

STRUCT_TEST(iommu_vfio_ioas, 12, 4,
	    U(size, 0, 4), U(ioas_id, 4, 4), U(op, 8, 2),
	    U(__reserved, 10, 2))

STRUCT_TEST(iommu_hwpt_vtd_s1, 24, 8,
	    U(flags, 0, 8), U(pgtbl_addr, 8, 8), U(addr_width, 16, 4),
	    U(__reserved, 20, 4))

STRUCT_TEST(iommu_hwpt_arm_smmuv3, 16, 8,
	    A(ste, 0, 16))

STRUCT_TEST(iommu_hwpt_alloc, 48, 8,
	    U(size, 0, 4), U(flags, 4, 4), U(dev_id, 8, 4), U(pt_id, 12, 4),
	    U(out_hwpt_id, 16, 4), U(__reserved, 20, 4),
	    U(data_type, 24, 4), U(data_len, 28, 4), U(data_uptr, 32, 8),
	    U(fault_id, 40, 4), U(__reserved2, 44, 4))

STRUCT_TEST(iommu_hw_info_vtd, 24, 8,
	    U(flags, 0, 4), U(__reserved, 4, 4), U(cap_reg, 8, 8),
	    U(ecap_reg, 16, 8))

STRUCT_TEST(iommu_hw_info_arm_smmuv3, 40, 4,
	    U(flags, 0, 4), U(__reserved, 4, 4), A(idr, 8, 24),
	    U(iidr, 32, 4), U(aidr, 36, 4))

STRUCT_TEST(iommu_hw_info_tegra241_cmdqv, 8, 4,
	    U(flags, 0, 4), U(version, 4, 1), U(log2vcmdqs, 5, 1),
	    U(log2vsids, 6, 1), U(__reserved, 7, 1))

STRUCT_TEST(iommu_hw_info, 40, 8,
	    U(size, 0, 4), U(flags, 4, 4), U(dev_id, 8, 4),
	    U(data_len, 12, 4), U(data_uptr, 16, 8),
	    U(in_data_type, 24, 4), U(out_data_type, 24, 4),
	    U(out_max_pasid_log2, 28, 1), A(__reserved, 29, 3),
	    U(out_capabilities, 32, 8))

STRUCT_TEST(iommu_hwpt_set_dirty_tracking, 16, 4,
	    U(size, 0, 4), U(flags, 4, 4), U(hwpt_id, 8, 4),
	    U(__reserved, 12, 4))

STRUCT_TEST(iommu_hwpt_get_dirty_bitmap, 48, 8,
	    U(size, 0, 4), U(hwpt_id, 4, 4), U(flags, 8, 4),
	    U(__reserved, 12, 4), U(iova, 16, 8), U(length, 24, 8),
	    U(page_size, 32, 8), U(data, 40, 8))

STRUCT_TEST(iommu_hwpt_vtd_s1_invalidate, 24, 8,
	    U(addr, 0, 8), U(npages, 8, 8), U(flags, 16, 4),
	    U(__reserved, 20, 4))

STRUCT_TEST(iommu_viommu_arm_smmuv3_invalidate, 16, 8,
	    A(cmd, 0, 16))

STRUCT_TEST(iommu_hwpt_invalidate, 32, 8,
	    U(size, 0, 4), U(hwpt_id, 4, 4), U(data_uptr, 8, 8),
	    U(data_type, 16, 4), U(entry_len, 20, 4), U(entry_num, 24, 4),
	    U(__reserved, 28, 4))

STRUCT_TEST(iommu_hwpt_pgfault, 40, 8,
	    U(flags, 0, 4), U(dev_id, 4, 4), U(pasid, 8, 4), U(grpid, 12, 4),
	    U(perm, 16, 4), U(__reserved, 20, 4), U(addr, 24, 8),
	    U(length, 32, 4), U(cookie, 36, 4))

STRUCT_TEST(iommu_hwpt_page_response, 8, 4,
	    U(cookie, 0, 4), U(code, 4, 4))

STRUCT_TEST(iommu_fault_alloc, 16, 4,
	    U(size, 0, 4), U(flags, 4, 4), U(out_fault_id, 8, 4),
	    U(out_fault_fd, 12, 4))

STRUCT_TEST(iommu_viommu_tegra241_cmdqv, 16, 8,
	    U(out_vintf_mmap_offset, 0, 8), U(out_vintf_mmap_length, 8, 8))

STRUCT_TEST(iommu_viommu_alloc, 40, 8,
	    U(size, 0, 4), U(flags, 4, 4), U(type, 8, 4), U(dev_id, 12, 4),
	    U(hwpt_id, 16, 4), U(out_viommu_id, 20, 4), U(data_len, 24, 4),
	    U(__reserved, 28, 4), U(data_uptr, 32, 8))

STRUCT_TEST(iommu_vdevice_alloc, 24, 8,
	    U(size, 0, 4), U(viommu_id, 4, 4), U(dev_id, 8, 4),
	    U(out_vdevice_id, 12, 4), U(virt_id, 16, 8))

STRUCT_TEST(iommu_ioas_change_process, 8, 4,
	    U(size, 0, 4), U(__reserved, 4, 4))

STRUCT_TEST(iommufd_vevent_header, 8, 4,
	    U(flags, 0, 4), U(sequence, 4, 4))

STRUCT_TEST(iommu_vevent_arm_smmuv3, 32, 8,
	    A(evt, 0, 32))

STRUCT_TEST(iommu_vevent_tegra241_cmdqv, 16, 8,
	    A(lvcmdq_err_map, 0, 16))

STRUCT_TEST(iommu_veventq_alloc, 32, 4,
	    U(size, 0, 4), U(flags, 4, 4), U(viommu_id, 8, 4), U(type, 12, 4),
	    U(veventq_depth, 16, 4), U(out_veventq_id, 20, 4),
	    U(out_veventq_fd, 24, 4), U(__reserved, 28, 4))

STRUCT_TEST(iommu_hw_queue_alloc, 40, 8,
	    U(size, 0, 4), U(flags, 4, 4), U(viommu_id, 8, 4), U(type, 12, 4),
	    U(index, 16, 4), U(out_hw_queue_id, 20, 4),
	    U(nesting_parent_iova, 24, 8), U(length, 32, 8))

/* ---------------------------------------------------------------------- */
/* Request numbers and enumerations                                       */

struct value_fact {
	const char *name;
	unsigned long long value, want;
};

#define V(name, want) { #name, (unsigned long long)(name), (want) }

static bool check_values(const char *what, const struct value_fact *v,
			 size_t nr)
{
	bool ok = true;
	size_t i;

	for (i = 0; i < nr; i++)
		if (v[i].value != v[i].want)
			DIAG(ok, "%s: %s is %#llx, expected %#llx", what,
			     v[i].name, v[i].value, v[i].want);
	return ok;
}

#define VALUE_TEST(tag, ...)						\
static bool check_values_##tag(void)					\
{									\
	static const struct value_fact v[] = { __VA_ARGS__ };		\
									\
	return check_values(#tag, v, ARRAY_SIZE(v));			\
}

/*
 * One test per request: the command index and the full request code.
 * _IO(';', nr) encodes neither size nor direction, so the code is always
 * 0x3b00 | nr.
 */
#define IOCTL_TEST(tag, cmd, ioctl_nr, nr)				\
static bool check_values_##tag(void)					\
{									\
	static const struct value_fact v[] = {				\
		V(cmd, nr), V(ioctl_nr, 0x3b00 | (nr)),			\
	};								\
									\
	return check_values(#tag, v, ARRAY_SIZE(v));			\
}

VALUE_TEST(IOMMUFD_TYPE,
	   V(IOMMUFD_TYPE, 0x3b), V(IOMMUFD_CMD_BASE, 0x80))
IOCTL_TEST(IOMMU_DESTROY, IOMMUFD_CMD_DESTROY, IOMMU_DESTROY, 0x80)
IOCTL_TEST(IOMMU_IOAS_ALLOC, IOMMUFD_CMD_IOAS_ALLOC, IOMMU_IOAS_ALLOC, 0x81)
IOCTL_TEST(IOMMU_IOAS_ALLOW_IOVAS, IOMMUFD_CMD_IOAS_ALLOW_IOVAS,
	   IOMMU_IOAS_ALLOW_IOVAS, 0x82)
IOCTL_TEST(IOMMU_IOAS_COPY, IOMMUFD_CMD_IOAS_COPY, IOMMU_IOAS_COPY, 0x83)
IOCTL_TEST(IOMMU_IOAS_IOVA_RANGES, IOMMUFD_CMD_IOAS_IOVA_RANGES,
	   IOMMU_IOAS_IOVA_RANGES, 0x84)
IOCTL_TEST(IOMMU_IOAS_MAP, IOMMUFD_CMD_IOAS_MAP, IOMMU_IOAS_MAP, 0x85)
IOCTL_TEST(IOMMU_IOAS_UNMAP, IOMMUFD_CMD_IOAS_UNMAP, IOMMU_IOAS_UNMAP, 0x86)
IOCTL_TEST(IOMMU_OPTION, IOMMUFD_CMD_OPTION, IOMMU_OPTION, 0x87)
IOCTL_TEST(IOMMU_VFIO_IOAS, IOMMUFD_CMD_VFIO_IOAS, IOMMU_VFIO_IOAS, 0x88)
IOCTL_TEST(IOMMU_HWPT_ALLOC, IOMMUFD_CMD_HWPT_ALLOC, IOMMU_HWPT_ALLOC, 0x89)
IOCTL_TEST(IOMMU_GET_HW_INFO, IOMMUFD_CMD_GET_HW_INFO, IOMMU_GET_HW_INFO,
	   0x8a)
IOCTL_TEST(IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING,
	   IOMMU_HWPT_SET_DIRTY_TRACKING, 0x8b)
IOCTL_TEST(IOMMU_HWPT_GET_DIRTY_BITMAP, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP,
	   IOMMU_HWPT_GET_DIRTY_BITMAP, 0x8c)
IOCTL_TEST(IOMMU_HWPT_INVALIDATE, IOMMUFD_CMD_HWPT_INVALIDATE,
	   IOMMU_HWPT_INVALIDATE, 0x8d)
IOCTL_TEST(IOMMU_FAULT_QUEUE_ALLOC, IOMMUFD_CMD_FAULT_QUEUE_ALLOC,
	   IOMMU_FAULT_QUEUE_ALLOC, 0x8e)
IOCTL_TEST(IOMMU_IOAS_MAP_FILE, IOMMUFD_CMD_IOAS_MAP_FILE,
	   IOMMU_IOAS_MAP_FILE, 0x8f)
IOCTL_TEST(IOMMU_VIOMMU_ALLOC, IOMMUFD_CMD_VIOMMU_ALLOC, IOMMU_VIOMMU_ALLOC,
	   0x90)
IOCTL_TEST(IOMMU_VDEVICE_ALLOC, IOMMUFD_CMD_VDEVICE_ALLOC,
	   IOMMU_VDEVICE_ALLOC, 0x91)
IOCTL_TEST(IOMMU_IOAS_CHANGE_PROCESS, IOMMUFD_CMD_IOAS_CHANGE_PROCESS,
	   IOMMU_IOAS_CHANGE_PROCESS, 0x92)
IOCTL_TEST(IOMMU_VEVENTQ_ALLOC, IOMMUFD_CMD_VEVENTQ_ALLOC,
	   IOMMU_VEVENTQ_ALLOC, 0x93)
IOCTL_TEST(IOMMU_HW_QUEUE_ALLOC, IOMMUFD_CMD_HW_QUEUE_ALLOC,
	   IOMMU_HW_QUEUE_ALLOC, 0x94)

VALUE_TEST(iommufd_ioas_map_flags,
	   V(IOMMU_IOAS_MAP_FIXED_IOVA, 1), V(IOMMU_IOAS_MAP_WRITEABLE, 2),
	   V(IOMMU_IOAS_MAP_READABLE, 4))
VALUE_TEST(iommufd_option,
	   V(IOMMU_OPTION_RLIMIT_MODE, 0), V(IOMMU_OPTION_HUGE_PAGES, 1))
VALUE_TEST(iommufd_option_ops,
	   V(IOMMU_OPTION_OP_SET, 0), V(IOMMU_OPTION_OP_GET, 1))
VALUE_TEST(iommufd_vfio_ioas_op,
	   V(IOMMU_VFIO_IOAS_GET, 0), V(IOMMU_VFIO_IOAS_SET, 1),
	   V(IOMMU_VFIO_IOAS_CLEAR, 2))
VALUE_TEST(iommufd_hwpt_alloc_flags,
	   V(IOMMU_HWPT_ALLOC_NEST_PARENT, 1),
	   V(IOMMU_HWPT_ALLOC_DIRTY_TRACKING, 2),
	   V(IOMMU_HWPT_FAULT_ID_VALID, 4), V(IOMMU_HWPT_ALLOC_PASID, 8))
VALUE_TEST(iommu_hwpt_vtd_s1_flags,
	   V(IOMMU_VTD_S1_SRE, 1), V(IOMMU_VTD_S1_EAFE, 2),
	   V(IOMMU_VTD_S1_WPE, 4))
VALUE_TEST(iommu_hwpt_data_type,
	   V(IOMMU_HWPT_DATA_NONE, 0), V(IOMMU_HWPT_DATA_VTD_S1, 1),
	   V(IOMMU_HWPT_DATA_ARM_SMMUV3, 2))
VALUE_TEST(iommu_hw_info_vtd_flags,
	   V(IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17, 1))
VALUE_TEST(iommu_hw_info_type,
	   V(IOMMU_HW_INFO_TYPE_NONE, 0), V(IOMMU_HW_INFO_TYPE_DEFAULT, 0),
	   V(IOMMU_HW_INFO_TYPE_INTEL_VTD, 1),
	   V(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, 2),
	   V(IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV, 3))
VALUE_TEST(iommufd_hw_capabilities,
	   V(IOMMU_HW_CAP_DIRTY_TRACKING, 1),
	   V(IOMMU_HW_CAP_PCI_PASID_EXEC, 2),
	   V(IOMMU_HW_CAP_PCI_PASID_PRIV, 4))
VALUE_TEST(iommufd_hw_info_flags,
	   V(IOMMU_HW_INFO_FLAG_INPUT_TYPE, 1))
VALUE_TEST(iommufd_hwpt_set_dirty_tracking_flags,
	   V(IOMMU_HWPT_DIRTY_TRACKING_ENABLE, 1))
VALUE_TEST(iommufd_hwpt_get_dirty_bitmap_flags,
	   V(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, 1))
VALUE_TEST(iommu_hwpt_invalidate_data_type,
	   V(IOMMU_HWPT_INVALIDATE_DATA_VTD_S1, 0),
	   V(IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3, 1))
VALUE_TEST(iommu_hwpt_vtd_s1_invalidate_flags,
	   V(IOMMU_VTD_INV_FLAGS_LEAF, 1))
VALUE_TEST(iommu_hwpt_pgfault_flags,
	   V(IOMMU_PGFAULT_FLAGS_PASID_VALID, 1),
	   V(IOMMU_PGFAULT_FLAGS_LAST_PAGE, 2))
VALUE_TEST(iommu_hwpt_pgfault_perm,
	   V(IOMMU_PGFAULT_PERM_READ, 1), V(IOMMU_PGFAULT_PERM_WRITE, 2),
	   V(IOMMU_PGFAULT_PERM_EXEC, 4), V(IOMMU_PGFAULT_PERM_PRIV, 8))
VALUE_TEST(iommufd_page_response_code,
	   V(IOMMUFD_PAGE_RESP_SUCCESS, 0), V(IOMMUFD_PAGE_RESP_INVALID, 1))
VALUE_TEST(iommu_viommu_type,
	   V(IOMMU_VIOMMU_TYPE_DEFAULT, 0), V(IOMMU_VIOMMU_TYPE_ARM_SMMUV3, 1),
	   V(IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, 2))
VALUE_TEST(iommu_veventq_flag,
	   V(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, 1))
VALUE_TEST(iommu_veventq_type,
	   V(IOMMU_VEVENTQ_TYPE_DEFAULT, 0),
	   V(IOMMU_VEVENTQ_TYPE_ARM_SMMUV3, 1),
	   V(IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV, 2))
VALUE_TEST(iommu_hw_queue_type,
	   V(IOMMU_HW_QUEUE_TYPE_DEFAULT, 0),
	   V(IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV, 1))

/* ---------------------------------------------------------------------- */

struct layout_test {
	const char *name;
	bool (*fn)(void);
};

#define T_STRUCT(T) { "struct " #T, check_struct_##T }
#define T_IOCTL(tag) { "ioctl " #tag, check_values_##tag }
#define T_ENUM(tag) { "enum " #tag, check_values_##tag }

static const struct layout_test tests[] = {
	T_STRUCT(iommu_destroy),
	T_STRUCT(iommu_ioas_alloc),
	T_STRUCT(iommu_iova_range),
	T_STRUCT(iommu_ioas_iova_ranges),
	T_STRUCT(iommu_ioas_allow_iovas),
	T_STRUCT(iommu_ioas_map),
	T_STRUCT(iommu_ioas_map_file),
	T_STRUCT(iommu_ioas_copy),
	T_STRUCT(iommu_ioas_unmap),
	T_STRUCT(iommu_option),
	T_STRUCT(iommu_vfio_ioas),
	T_STRUCT(iommu_hwpt_vtd_s1),
	T_STRUCT(iommu_hwpt_arm_smmuv3),
	T_STRUCT(iommu_hwpt_alloc),
	T_STRUCT(iommu_hw_info_vtd),
	T_STRUCT(iommu_hw_info_arm_smmuv3),
	T_STRUCT(iommu_hw_info_tegra241_cmdqv),
	T_STRUCT(iommu_hw_info),
	T_STRUCT(iommu_hwpt_set_dirty_tracking),
	T_STRUCT(iommu_hwpt_get_dirty_bitmap),
	T_STRUCT(iommu_hwpt_vtd_s1_invalidate),
	T_STRUCT(iommu_viommu_arm_smmuv3_invalidate),
	T_STRUCT(iommu_hwpt_invalidate),
	T_STRUCT(iommu_hwpt_pgfault),
	T_STRUCT(iommu_hwpt_page_response),
	T_STRUCT(iommu_fault_alloc),
	T_STRUCT(iommu_viommu_tegra241_cmdqv),
	T_STRUCT(iommu_viommu_alloc),
	T_STRUCT(iommu_vdevice_alloc),
	T_STRUCT(iommu_ioas_change_process),
	T_STRUCT(iommufd_vevent_header),
	T_STRUCT(iommu_vevent_arm_smmuv3),
	T_STRUCT(iommu_vevent_tegra241_cmdqv),
	T_STRUCT(iommu_veventq_alloc),
	T_STRUCT(iommu_hw_queue_alloc),

	T_IOCTL(IOMMUFD_TYPE),
	T_IOCTL(IOMMU_DESTROY),
	T_IOCTL(IOMMU_IOAS_ALLOC),
	T_IOCTL(IOMMU_IOAS_ALLOW_IOVAS),
	T_IOCTL(IOMMU_IOAS_COPY),
	T_IOCTL(IOMMU_IOAS_IOVA_RANGES),
	T_IOCTL(IOMMU_IOAS_MAP),
	T_IOCTL(IOMMU_IOAS_UNMAP),
	T_IOCTL(IOMMU_OPTION),
	T_IOCTL(IOMMU_VFIO_IOAS),
	T_IOCTL(IOMMU_HWPT_ALLOC),
	T_IOCTL(IOMMU_GET_HW_INFO),
	T_IOCTL(IOMMU_HWPT_SET_DIRTY_TRACKING),
	T_IOCTL(IOMMU_HWPT_GET_DIRTY_BITMAP),
	T_IOCTL(IOMMU_HWPT_INVALIDATE),
	T_IOCTL(IOMMU_FAULT_QUEUE_ALLOC),
	T_IOCTL(IOMMU_IOAS_MAP_FILE),
	T_IOCTL(IOMMU_VIOMMU_ALLOC),
	T_IOCTL(IOMMU_VDEVICE_ALLOC),
	T_IOCTL(IOMMU_IOAS_CHANGE_PROCESS),
	T_IOCTL(IOMMU_VEVENTQ_ALLOC),
	T_IOCTL(IOMMU_HW_QUEUE_ALLOC),

	T_ENUM(iommufd_ioas_map_flags),
	T_ENUM(iommufd_option),
	T_ENUM(iommufd_option_ops),
	T_ENUM(iommufd_vfio_ioas_op),
	T_ENUM(iommufd_hwpt_alloc_flags),
	T_ENUM(iommu_hwpt_vtd_s1_flags),
	T_ENUM(iommu_hwpt_data_type),
	T_ENUM(iommu_hw_info_vtd_flags),
	T_ENUM(iommu_hw_info_type),
	T_ENUM(iommufd_hw_capabilities),
	T_ENUM(iommufd_hw_info_flags),
	T_ENUM(iommufd_hwpt_set_dirty_tracking_flags),
	T_ENUM(iommufd_hwpt_get_dirty_bitmap_flags),
	T_ENUM(iommu_hwpt_invalidate_data_type),
	T_ENUM(iommu_hwpt_vtd_s1_invalidate_flags),
	T_ENUM(iommu_hwpt_pgfault_flags),
	T_ENUM(iommu_hwpt_pgfault_perm),
	T_ENUM(iommufd_page_response_code),
	T_ENUM(iommu_viommu_type),
	T_ENUM(iommu_veventq_flag),
	T_ENUM(iommu_veventq_type),
	T_ENUM(iommu_hw_queue_type),
};

int main(void)
{
	size_t i;

	printf("TAP version 13\n");
	printf("1..%zu\n", ARRAY_SIZE(tests));
	for (i = 0; i < ARRAY_SIZE(tests); i++) {
		bool ok = tests[i].fn();

		if (!ok)
			failures++;
		printf("%s %zu %s\n", ok ? "ok" : "not ok", i + 1,
		       tests[i].name);
	}
	printf("# Totals: pass:%zu fail:%u xfail:0 xpass:0 skip:0 error:0\n",
	       ARRAY_SIZE(tests) - failures, failures);
	return failures ? 1 : 0;
}
