/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * iommufd user API: the ioctls served by /dev/iommu.
 *
 * This header is written for the out-of-tree iommufd_core module. Every
 * number, structure layout and identifier in it is ABI and equals the
 * definition in upstream Linux (6.18), so programs built against the
 * upstream header work unchanged against the module and vice versa. The
 * include guard is the upstream one on purpose: a translation unit that ends
 * up pulling in both copies must see a single set of definitions.
 *
 * Layout rules kept by every structure below:
 *  - 64-bit members are __aligned_u64 (or __aligned_le64) so that 32-bit and
 *    64-bit userspace see identical offsets and sizes;
 *  - padding is always explicit, in fields named __reserved that userspace
 *    must zero;
 *  - ioctl structures start with a __u32 size member.
 */
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOMMUFD_TYPE (';')

/**
 * DOC: Calling convention
 *
 * All requests are encoded with _IO(IOMMUFD_TYPE, nr); neither a direction
 * nor a size is part of the number. Instead the argument structure carries
 * its own length in its first __u32, named size, which the caller sets to
 * sizeof() of the structure it was compiled with. This lets the structures
 * grow at the tail over time:
 *
 *  - size below the length of the structure as first released: EINVAL;
 *  - size above what the kernel knows: the extra bytes must be zero, any
 *    non-zero byte there gives E2BIG;
 *  - size below what the kernel knows: the missing tail reads as zero, and
 *    output is only written back up to size.
 *
 * Errno values that have the same meaning for every request:
 *
 *  - ENOTTY: the request number is not implemented;
 *  - E2BIG: the structure has non-zero content the kernel cannot interpret;
 *  - EOPNOTSUPP: the structure was understood, but a flag, a type or a
 *    reserved field holds a value that is not supported;
 *  - EINVAL: everything was understood, but a value is wrong;
 *  - ENOENT: an object ID or an IOVA does not exist;
 *  - ENOMEM: out of memory (including the RLIMIT_MEMLOCK limit);
 *  - EOVERFLOW: an address or length calculation overflowed.
 *
 * Individual requests document their own additional errno values.
 */

/* Request numbers. The values are ABI; new requests are only appended. */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
	IOMMUFD_CMD_HW_QUEUE_ALLOC = 0x94,
};

/**
 * struct iommu_destroy - argument of IOMMU_DESTROY
 * @size: sizeof(struct iommu_destroy)
 * @id: ID of the object to remove
 *
 * Removes one object from the file's object table. Objects of every type
 * that userspace created can be removed this way. The call fails with EBUSY
 * while other objects, attachments or open file descriptors still depend on
 * the object, and with ENOENT if @id names nothing.
 */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};

#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/**
 * struct iommu_ioas_alloc - argument of IOMMU_IOAS_ALLOC
 * @size: sizeof(struct iommu_ioas_alloc)
 * @flags: no flags are defined, must be 0
 * @out_ioas_id: returns the ID of the new IOAS
 *
 * Creates an empty I/O address space (IOAS): a table from IOVA ranges to
 * the user memory backing them, which page tables attached to it follow.
 */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};

#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/**
 * struct iommu_iova_range - one closed interval of IOVA
 * @start: lowest IOVA in the interval
 * @last: highest IOVA in the interval (inclusive, so the full 64-bit space
 *        can be described)
 *
 * Element type of the arrays used by IOMMU_IOAS_IOVA_RANGES and
 * IOMMU_IOAS_ALLOW_IOVAS.
 */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct iommu_ioas_iova_ranges - argument of IOMMU_IOAS_IOVA_RANGES
 * @size: sizeof(struct iommu_ioas_iova_ranges)
 * @ioas_id: IOAS to query
 * @num_iovas: in: capacity of the @allowed_iovas array, in elements;
 *             out: number of ranges the IOAS currently has
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range that
 *                 receives the usable ranges, lowest first
 * @out_iova_alignment: returns the alignment every IOVA and length given to
 *                      IOMMU_IOAS_MAP and IOMMU_IOAS_COPY must have
 *
 * Reports where mappings may be placed. The answer is not fixed: a new IOAS
 * covers everything, each attached device removes what its IOMMU cannot
 * translate or reserves, and detaching gives space back. Query again after
 * every attach or detach.
 *
 * If the array is too small the call fails with EMSGSIZE and sets
 * @num_iovas to the count needed, so the caller can grow the array and
 * retry. @out_iova_alignment is a power of two between 1 and PAGE_SIZE.
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};

#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/**
 * struct iommu_ioas_allow_iovas - argument of IOMMU_IOAS_ALLOW_IOVAS
 * @size: sizeof(struct iommu_ioas_allow_iovas)
 * @ioas_id: IOAS to change
 * @num_iovas: number of elements in @allowed_iovas
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range
 *
 * Declares IOVA ranges the caller relies on being usable for the whole life
 * of the IOAS, replacing any previous list. The call fails if part of a
 * range is already unusable; later, attaching a device whose IOMMU would
 * take part of a range away fails instead of shrinking it. When a list is
 * set, automatic IOVA placement by IOMMU_IOAS_MAP picks addresses inside it.
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};

#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/**
 * enum iommufd_ioas_map_flags - flags of IOMMU_IOAS_MAP, _MAP_FILE and _COPY
 * @IOMMU_IOAS_MAP_FIXED_IOVA: the caller chooses the IOVA; without it the
 *                             kernel picks a free, suitably aligned one
 * @IOMMU_IOAS_MAP_WRITEABLE: devices may write through the mapping
 * @IOMMU_IOAS_MAP_READABLE: devices may read through the mapping
 */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

/**
 * struct iommu_ioas_map - argument of IOMMU_IOAS_MAP
 * @size: sizeof(struct iommu_ioas_map)
 * @flags: combination of enum iommufd_ioas_map_flags
 * @ioas_id: IOAS that receives the mapping
 * @__reserved: must be 0
 * @user_va: start of the process memory to map
 * @length: number of bytes to map
 * @iova: with IOMMU_IOAS_MAP_FIXED_IOVA the IOVA to map at (in); otherwise
 *        the IOVA the kernel chose (out)
 *
 * Makes [@user_va, @user_va + @length) reachable by DMA at @iova. The pages
 * are pinned when a page table or an in-kernel user needs them and are
 * charged to RLIMIT_MEMLOCK. A fixed IOVA range must be entirely unused,
 * otherwise the call fails with EEXIST; existing mappings are never
 * replaced.
 */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/**
 * struct iommu_ioas_map_file - argument of IOMMU_IOAS_MAP_FILE
 * @size: sizeof(struct iommu_ioas_map_file)
 * @flags: combination of enum iommufd_ioas_map_flags
 * @ioas_id: IOAS that receives the mapping
 * @fd: file descriptor of the memory to map (a memfd)
 * @start: byte offset into the file where the mapping starts
 * @length: number of bytes to map
 * @iova: as for struct iommu_ioas_map
 *
 * Like IOMMU_IOAS_MAP, but the memory is named by file and offset instead of
 * a process address. Mappings made this way can later be handed to another
 * process with IOMMU_IOAS_CHANGE_PROCESS.
 */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

/**
 * struct iommu_ioas_copy - argument of IOMMU_IOAS_COPY
 * @size: sizeof(struct iommu_ioas_copy)
 * @flags: combination of enum iommufd_ioas_map_flags for the new mapping
 * @dst_ioas_id: IOAS that receives the new mapping
 * @src_ioas_id: IOAS that holds the existing mapping (may equal
 *               @dst_ioas_id)
 * @length: number of bytes to copy
 * @dst_iova: with IOMMU_IOAS_MAP_FIXED_IOVA the destination IOVA (in);
 *            otherwise the IOVA the kernel chose (out)
 * @src_iova: start of the existing mapping in the source IOAS
 *
 * Creates a second mapping of memory that is already mapped. The source
 * range must be exactly one range previously given to IOMMU_IOAS_MAP (or
 * _MAP_FILE/_COPY). Both mappings share the pinned pages, so the memory is
 * pinned and accounted once, which makes this much cheaper than mapping the
 * same user memory again.
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};

#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/**
 * struct iommu_ioas_unmap - argument of IOMMU_IOAS_UNMAP
 * @size: sizeof(struct iommu_ioas_unmap)
 * @ioas_id: IOAS to change
 * @iova: first IOVA of the range to clear
 * @length: in: length of the range; out: bytes actually unmapped
 *
 * Removes every mapping that lies inside [@iova, @iova + @length). A
 * mapping is removed whole or not at all: a range that cuts through one
 * fails. @iova = 0 with @length = U64_MAX clears the entire IOAS. ENOENT
 * means nothing was mapped in the range.
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/**
 * enum iommufd_option - option IDs for IOMMU_OPTION
 * @IOMMU_OPTION_RLIMIT_MODE: how pinned pages are charged against
 *                            RLIMIT_MEMLOCK. 0 (the default) charges the
 *                            user, 1 charges the process. It applies to the
 *                            whole file (object_id must be 0) and changing
 *                            it needs CAP_SYS_RESOURCE.
 * @IOMMU_OPTION_HUGE_PAGES: per IOAS (object_id is the IOAS ID). 1 (the
 *                           default) lets physically contiguous pages be
 *                           mapped with large IOPTEs; 0 maps everything in
 *                           PAGE_SIZE units, mainly useful for testing.
 */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

/**
 * enum iommufd_option_ops - what IOMMU_OPTION does with the value
 * @IOMMU_OPTION_OP_SET: store val64 into the option
 * @IOMMU_OPTION_OP_GET: return the option in val64
 */
enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/**
 * struct iommu_option - argument of IOMMU_OPTION
 * @size: sizeof(struct iommu_option)
 * @option_id: one of enum iommufd_option
 * @op: one of enum iommufd_option_ops
 * @__reserved: must be 0
 * @object_id: the object the option belongs to, or 0 for global options
 * @val64: value to set, or the value read back
 *
 * Reads or writes one small tunable of the file or of an object in it.
 */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};

#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/**
 * enum iommufd_vfio_ioas_op - operations of IOMMU_VFIO_IOAS
 * @IOMMU_VFIO_IOAS_GET: report the IOAS used for VFIO compatibility
 * @IOMMU_VFIO_IOAS_SET: make ioas_id the IOAS used for VFIO compatibility
 * @IOMMU_VFIO_IOAS_CLEAR: forget the compatibility IOAS
 */
enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/**
 * struct iommu_vfio_ioas - argument of IOMMU_VFIO_IOAS
 * @size: sizeof(struct iommu_vfio_ioas)
 * @ioas_id: input for IOMMU_VFIO_IOAS_SET, output for IOMMU_VFIO_IOAS_GET
 * @op: one of enum iommufd_vfio_ioas_op
 * @__reserved: must be 0
 *
 * The VFIO type1 container ioctls carry no object ID, so the compatibility
 * layer works on one IOAS per file. This call selects it. If none is
 * selected when the first VFIO compatibility request arrives, one is created
 * automatically; SET and CLEAR never destroy such an IOAS, and GET fails with
 * ENOENT when there is none.
 */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};

#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/**
 * enum iommufd_hwpt_alloc_flags - flags of IOMMU_HWPT_ALLOC
 * @IOMMU_HWPT_ALLOC_NEST_PARENT: the paging HWPT may later serve as the
 *                                stage-2 parent of nested HWPTs and vIOMMUs
 * @IOMMU_HWPT_ALLOC_DIRTY_TRACKING: the HWPT records DMA writes; only
 *                                   devices whose IOMMU can track dirty
 *                                   pages can be attached to it
 * @IOMMU_HWPT_FAULT_ID_VALID: fault_id names a FAULT object that receives
 *                             the I/O page faults of this HWPT
 * @IOMMU_HWPT_ALLOC_PASID: the HWPT may be attached to PASIDs of a device.
 *                          Every HWPT attached to the device, including the
 *                          one on its RID, needs this flag once any PASID
 *                          is in use. EOPNOTSUPP if the IOMMU has no PASID
 *                          support.
 */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

/**
 * enum iommu_hwpt_vtd_s1_flags - attribute bits of a VT-d first-stage table
 * @IOMMU_VTD_S1_SRE: supervisor requests are allowed
 * @IOMMU_VTD_S1_EAFE: extended access flag is enabled
 * @IOMMU_VTD_S1_WPE: write protection is enforced for supervisor requests
 */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE = 1 << 2,
};

/**
 * struct iommu_hwpt_vtd_s1 - guest first-stage table for Intel VT-d
 *                            (IOMMU_HWPT_DATA_VTD_S1)
 * @flags: combination of enum iommu_hwpt_vtd_s1_flags
 * @pgtbl_addr: guest-physical address of the first-stage table root
 * @addr_width: input address width of the first-stage table, in bits
 * @__reserved: must be 0
 */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/**
 * struct iommu_hwpt_arm_smmuv3 - guest stream table entry for ARM SMMUv3
 *                                (IOMMU_HWPT_DATA_ARM_SMMUV3)
 * @ste: the first two 64-bit words of the guest's STE, little-endian.
 *       Only these fields may be set: word 0 V, Cfg, S1Fmt, S1ContextPtr,
 *       S1CDMax; word 1 EATS, S1DSS, S1CIR, S1COR, S1CSH, S1STALLD.
 *
 * Cfg selects abort, bypass or stage-1 translation; a bypass entry
 * translates like the nesting parent alone. Any other bit, or an unknown
 * Cfg or EATS value, fails with EIO.
 */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

/**
 * enum iommu_hwpt_data_type - format of the data given to IOMMU_HWPT_ALLOC
 * @IOMMU_HWPT_DATA_NONE: no data; the HWPT is a kernel-managed paging table
 * @IOMMU_HWPT_DATA_VTD_S1: struct iommu_hwpt_vtd_s1
 * @IOMMU_HWPT_DATA_ARM_SMMUV3: struct iommu_hwpt_arm_smmuv3
 */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
};

/**
 * struct iommu_hwpt_alloc - argument of IOMMU_HWPT_ALLOC
 * @size: sizeof(struct iommu_hwpt_alloc)
 * @flags: combination of enum iommufd_hwpt_alloc_flags
 * @dev_id: bound device whose IOMMU will use the page table
 * @pt_id: what the new HWPT is built on: an IOAS, a nesting-parent paging
 *         HWPT or a vIOMMU
 * @out_hwpt_id: returns the ID of the new HWPT
 * @__reserved: must be 0
 * @data_type: one of enum iommu_hwpt_data_type
 * @data_len: size in bytes of the buffer at @data_uptr
 * @data_uptr: user pointer to the driver-format data described by @data_type
 * @fault_id: FAULT object to report page faults to; read only when
 *            IOMMU_HWPT_FAULT_ID_VALID is set
 * @__reserved2: padding, must be 0
 *
 * Creates a hardware page table (an IOMMU domain) explicitly, instead of
 * letting a device attach to an IOAS create one implicitly.
 *
 * With @pt_id naming an IOAS the result is a paging HWPT whose translation
 * the kernel keeps in sync with the IOAS; @data_type must then be
 * IOMMU_HWPT_DATA_NONE and @data_len 0.
 *
 * With @pt_id naming a paging HWPT allocated with
 * IOMMU_HWPT_ALLOC_NEST_PARENT, or a vIOMMU, the result is a nested HWPT:
 * its first stage is owned by userspace and described by the data at
 * @data_uptr, and its second stage is the parent. A vIOMMU and @dev_id must
 * sit on the same physical IOMMU.
 *
 * A @pt_id of any other kind, or that does not exist, gives EINVAL.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};

#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/**
 * enum iommu_hw_info_vtd_flags - flag bits of struct iommu_hw_info_vtd
 * @IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17: the hardware is affected by Intel
 *                                         erratum 772415 (SPR17): read-only
 *                                         mappings must not be placed in a
 *                                         nesting-parent page table
 */
enum iommu_hw_info_vtd_flags {
	IOMMU_HW_INFO_VTD_ERRATA_772415_SPR17 = 1 << 0,
};

/**
 * struct iommu_hw_info_vtd - Intel VT-d registers (IOMMU_HW_INFO_TYPE_INTEL_VTD)
 * @flags: combination of enum iommu_hw_info_vtd_flags
 * @__reserved: 0
 * @cap_reg: raw value of the Capability Register
 * @ecap_reg: raw value of the Extended Capability Register
 *
 * Decoding the registers is left to userspace, following the VT-d
 * specification.
 */
struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/**
 * struct iommu_hw_info_arm_smmuv3 - ARM SMMUv3 registers
 *                                   (IOMMU_HW_INFO_TYPE_ARM_SMMUV3)
 * @flags: 0
 * @__reserved: 0
 * @idr: raw values of SMMU_IDR0 to SMMU_IDR5
 * @iidr: raw value of SMMU_IIDR
 * @aidr: raw value of SMMU_AIDR
 *
 * The registers are passed on unfiltered, but a VMM should build its
 * virtual SMMU only from these fields, so that future kernels remain free
 * to change the others: IDR0 ST_LEVEL, TERM_MODEL, STALL_MODEL, TTENDIAN,
 * CD2L, ASID16, TTF; IDR1 SIDSIZE, SSIDSIZE; IDR3 BBML, RIL; IDR5 VAX,
 * GRAN64K, GRAN16K, GRAN4K. Stage-1 support may be assumed when a nested
 * HWPT can be created, coherent access may always be assumed, and ATS is a
 * per-device property the VMM describes itself. HTTU, BTM and MPAM are not
 * available to nested guests.
 */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};

/**
 * struct iommu_hw_info_tegra241_cmdqv - NVIDIA Tegra241 CMDQV parameters
 *                                       (IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV)
 * @flags: 0
 * @version: CMDQV version, PARAM bits 3:0
 * @log2vcmdqs: log2 of the number of virtual command queues, PARAM bits 7:4
 * @log2vsids: log2 of the number of stream ID replacements, PARAM bits 15:12
 * @__reserved: 0
 *
 * Values suitable for the PARAM register of an emulated CMDQV. A VM should
 * be given a single virtual interface, so PARAM bits 11:8 should read 0.
 */
struct iommu_hw_info_tegra241_cmdqv {
	__u32 flags;
	__u8 version;
	__u8 log2vcmdqs;
	__u8 log2vsids;
	__u8 __reserved;
};

/**
 * enum iommu_hw_info_type - format of the data returned by IOMMU_GET_HW_INFO
 * @IOMMU_HW_INFO_TYPE_NONE: the IOMMU driver reports no data
 * @IOMMU_HW_INFO_TYPE_DEFAULT: input only: ask for the driver's usual type
 *                              (same value as IOMMU_HW_INFO_TYPE_NONE)
 * @IOMMU_HW_INFO_TYPE_INTEL_VTD: struct iommu_hw_info_vtd
 * @IOMMU_HW_INFO_TYPE_ARM_SMMUV3: struct iommu_hw_info_arm_smmuv3
 * @IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV: struct iommu_hw_info_tegra241_cmdqv;
 *                                     only returned when asked for
 */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
	IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV = 3,
};

/**
 * enum iommufd_hw_capabilities - generic bits of out_capabilities
 * @IOMMU_HW_CAP_DIRTY_TRACKING: the IOMMU can track DMA writes, so
 *                               IOMMU_HWPT_SET_DIRTY_TRACKING and
 *                               IOMMU_HWPT_GET_DIRTY_BITMAP are usable
 * @IOMMU_HW_CAP_PCI_PASID_EXEC: PASID requests with the Execute Requested
 *                               bit are supported; meaningless when
 *                               out_max_pasid_log2 is 0
 * @IOMMU_HW_CAP_PCI_PASID_PRIV: PASID requests with the Privileged Mode
 *                               Requested bit are supported; meaningless
 *                               when out_max_pasid_log2 is 0
 */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
};

/**
 * enum iommufd_hw_info_flags - flags of IOMMU_GET_HW_INFO
 * @IOMMU_HW_INFO_FLAG_INPUT_TYPE: in_data_type selects which data format
 *                                 the caller wants
 */
enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

/**
 * struct iommu_hw_info - argument of IOMMU_GET_HW_INFO
 * @size: sizeof(struct iommu_hw_info)
 * @flags: combination of enum iommufd_hw_info_flags
 * @dev_id: bound device whose IOMMU is described
 * @data_len: in: size of the buffer at @data_uptr; out: size of the data
 *            the kernel has for this IOMMU
 * @data_uptr: user pointer to the buffer for the driver-format data
 * @in_data_type: with IOMMU_HW_INFO_FLAG_INPUT_TYPE, the enum
 *                iommu_hw_info_type wanted; without the flag the input is
 *                treated as IOMMU_HW_INFO_TYPE_DEFAULT
 * @out_data_type: the enum iommu_hw_info_type of the returned data (shares
 *                 its storage with @in_data_type)
 * @out_max_pasid_log2: PASID width of the device; 0 means no PASID support
 * @__reserved: must be 0
 * @out_capabilities: combination of enum iommufd_hw_capabilities
 *
 * Describes the physical IOMMU behind a device, so that a VMM can offer a
 * compatible virtual IOMMU to its guest. The kernel copies at most
 * @data_len bytes, zero-fills the rest of a larger buffer, and then sets
 * @data_len to its own length, so @data_len = 0 is a valid way to ask for
 * the size. Asking for a type the driver does not provide gives EOPNOTSUPP.
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};

#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/**
 * enum iommufd_hwpt_set_dirty_tracking_flags - flags of
 *                                              IOMMU_HWPT_SET_DIRTY_TRACKING
 * @IOMMU_HWPT_DIRTY_TRACKING_ENABLE: turn tracking on; clear to turn it off
 */
enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/**
 * struct iommu_hwpt_set_dirty_tracking - argument of
 *                                        IOMMU_HWPT_SET_DIRTY_TRACKING
 * @size: sizeof(struct iommu_hwpt_set_dirty_tracking)
 * @flags: combination of enum iommufd_hwpt_set_dirty_tracking_flags
 * @hwpt_id: paging HWPT allocated with IOMMU_HWPT_ALLOC_DIRTY_TRACKING
 * @__reserved: must be 0
 *
 * Starts or stops recording of DMA writes in the HWPT.
 */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};

#define IOMMU_HWPT_SET_DIRTY_TRACKING \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

/**
 * enum iommufd_hwpt_get_dirty_bitmap_flags - flags of
 *                                            IOMMU_HWPT_GET_DIRTY_BITMAP
 * @IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: report dirty pages without
 *                                        resetting their state; saves work
 *                                        when the range is about to be
 *                                        unmapped anyway
 */
enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/**
 * struct iommu_hwpt_get_dirty_bitmap - argument of IOMMU_HWPT_GET_DIRTY_BITMAP
 * @size: sizeof(struct iommu_hwpt_get_dirty_bitmap)
 * @hwpt_id: paging HWPT to read
 * @flags: combination of enum iommufd_hwpt_get_dirty_bitmap_flags
 * @__reserved: must be 0
 * @iova: IOVA that bit 0 of the bitmap stands for
 * @length: length of the IOVA range to report
 * @page_size: bytes of IOVA covered by one bit
 * @data: user pointer to the bitmap, an array of __u64
 *
 * Sets bit n of the bitmap when any byte of [@iova + n * @page_size,
 * @iova + (n + 1) * @page_size) was written by DMA since the last harvest,
 * i.e. bit (n % 64) of word (n / 64). Unless
 * IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR is given the reported state is reset.
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};

#define IOMMU_HWPT_GET_DIRTY_BITMAP \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/**
 * enum iommu_hwpt_invalidate_data_type - format of invalidation entries
 * @IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: struct iommu_hwpt_vtd_s1_invalidate,
 *                                     sent to a nested HWPT
 * @IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: struct
 *                                           iommu_viommu_arm_smmuv3_invalidate,
 *                                           sent to a vIOMMU
 */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

/**
 * enum iommu_hwpt_vtd_s1_invalidate_flags - flags of a VT-d invalidation
 * @IOMMU_VTD_INV_FLAGS_LEAF: only leaf entries changed, so cached
 *                            non-leaf (paging-structure) entries may stay
 */
enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/**
 * struct iommu_hwpt_vtd_s1_invalidate - one Intel VT-d invalidation entry
 *                                       (IOMMU_HWPT_INVALIDATE_DATA_VTD_S1)
 * @addr: first address to invalidate, 4 KiB aligned
 * @npages: number of 4 KiB pages to invalidate
 * @flags: combination of enum iommu_hwpt_vtd_s1_invalidate_flags
 * @__reserved: must be 0
 *
 * Tells the kernel which cached translations of a guest first-stage table
 * became stale. @addr = 0 with @npages = U64_MAX covers everything. The
 * device TLB of ATS-capable devices is flushed as well, without being asked.
 */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/**
 * struct iommu_viommu_arm_smmuv3_invalidate - one ARM SMMUv3 command
 *                                  (IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3)
 * @cmd: a 128-bit SMMUv3 command queue entry, little-endian
 *
 * Accepted opcodes: CMDQ_OP_TLBI_NSNH_ALL, CMDQ_OP_TLBI_NH_VA,
 * CMDQ_OP_TLBI_NH_VAA, CMDQ_OP_TLBI_NH_ALL, CMDQ_OP_TLBI_NH_ASID,
 * CMDQ_OP_ATC_INV, CMDQ_OP_CFGI_CD and CMDQ_OP_CFGI_CD_ALL. The kernel
 * inserts the VMID and translates virtual stream IDs; any other command
 * fails with EIO.
 */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/**
 * struct iommu_hwpt_invalidate - argument of IOMMU_HWPT_INVALIDATE
 * @size: sizeof(struct iommu_hwpt_invalidate)
 * @hwpt_id: nested HWPT or vIOMMU whose caches are invalidated
 * @data_uptr: user pointer to an array of invalidation entries
 * @data_type: one of enum iommu_hwpt_invalidate_data_type; every entry of
 *             the array has this format
 * @entry_len: size in bytes of one array entry
 * @entry_num: in: number of entries; out: number of entries processed
 * @__reserved: must be 0
 *
 * Hands a batch of driver-format invalidation requests to the IOMMU, the
 * way a guest's invalidation queue would. On failure @entry_num says how
 * far processing got. @entry_num = 0 only checks that @data_type is
 * supported by @hwpt_id.
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};

#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/**
 * enum iommu_hwpt_pgfault_flags - flag bits of struct iommu_hwpt_pgfault
 * @IOMMU_PGFAULT_FLAGS_PASID_VALID: the pasid member is meaningful
 * @IOMMU_PGFAULT_FLAGS_LAST_PAGE: this record ends its fault group
 */
enum iommu_hwpt_pgfault_flags {
	IOMMU_PGFAULT_FLAGS_PASID_VALID = (1 << 0),
	IOMMU_PGFAULT_FLAGS_LAST_PAGE = (1 << 1),
};

/**
 * enum iommu_hwpt_pgfault_perm - access bits of struct iommu_hwpt_pgfault
 * @IOMMU_PGFAULT_PERM_READ: the device wants to read
 * @IOMMU_PGFAULT_PERM_WRITE: the device wants to write
 * @IOMMU_PGFAULT_PERM_EXEC: the request had the PASID Execute Requested bit
 * @IOMMU_PGFAULT_PERM_PRIV: the request had the PASID Privileged Mode
 *                           Requested bit
 */
enum iommu_hwpt_pgfault_perm {
	IOMMU_PGFAULT_PERM_READ = (1 << 0),
	IOMMU_PGFAULT_PERM_WRITE = (1 << 1),
	IOMMU_PGFAULT_PERM_EXEC = (1 << 2),
	IOMMU_PGFAULT_PERM_PRIV = (1 << 3),
};

/**
 * struct iommu_hwpt_pgfault - one I/O page fault, read from a FAULT fd
 * @flags: combination of enum iommu_hwpt_pgfault_flags
 * @dev_id: ID of the bound device that faulted
 * @pasid: PASID of the request, if IOMMU_PGFAULT_FLAGS_PASID_VALID
 * @grpid: page request group index
 * @perm: combination of enum iommu_hwpt_pgfault_perm
 * @__reserved: 0; keeps @addr at the same offset on 32-bit
 * @addr: faulting address
 * @length: how much the device expects to access from @addr, a hint for
 *          prefaulting; 0 when unknown
 * @cookie: identifies the fault group; the response for the group quotes
 *          the cookie of its last record
 */
struct iommu_hwpt_pgfault {
	__u32 flags;
	__u32 dev_id;
	__u32 pasid;
	__u32 grpid;
	__u32 perm;
	__u32 __reserved;
	__aligned_u64 addr;
	__u32 length;
	__u32 cookie;
};

/**
 * enum iommufd_page_response_code - result of handling a fault group
 * @IOMMUFD_PAGE_RESP_SUCCESS: the fault was resolved, the device retries
 *                             (PCIe "Success")
 * @IOMMUFD_PAGE_RESP_INVALID: the fault cannot be resolved, the device must
 *                             not retry (PCIe "Invalid Request")
 */
enum iommufd_page_response_code {
	IOMMUFD_PAGE_RESP_SUCCESS = 0,
	IOMMUFD_PAGE_RESP_INVALID = 1,
};

/**
 * struct iommu_hwpt_page_response - a fault group answer, written to a
 *                                   FAULT fd
 * @cookie: cookie of the group being answered
 * @code: one of enum iommufd_page_response_code
 */
struct iommu_hwpt_page_response {
	__u32 cookie;
	__u32 code;
};

/**
 * struct iommu_fault_alloc - argument of IOMMU_FAULT_QUEUE_ALLOC
 * @size: sizeof(struct iommu_fault_alloc)
 * @flags: no flags are defined, must be 0
 * @out_fault_id: returns the ID of the new FAULT object
 * @out_fault_fd: returns a file descriptor to read() struct
 *                iommu_hwpt_pgfault records from and write() struct
 *                iommu_hwpt_page_response records to
 *
 * Creates a queue for I/O page faults. HWPTs allocated with
 * IOMMU_HWPT_FAULT_ID_VALID and this object's ID deliver their faults here.
 */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};

#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/**
 * enum iommu_viommu_type - kinds of virtual IOMMU
 * @IOMMU_VIOMMU_TYPE_DEFAULT: reserved, rejected with EOPNOTSUPP
 * @IOMMU_VIOMMU_TYPE_ARM_SMMUV3: ARM SMMUv3
 * @IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV: ARM SMMUv3 with the NVIDIA Tegra241
 *                                    CMDQV extension
 */
enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

/**
 * struct iommu_viommu_tegra241_cmdqv - vIOMMU data for
 *                                      IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV
 * @out_vintf_mmap_offset: returns the offset to pass to mmap() on the
 *                         iommufd to map page 0 of the virtual interface
 * @out_vintf_mmap_length: returns the length for that mmap()
 *
 * Mapping the page into the guest lets it drive its virtual command queues
 * without exits.
 */
struct iommu_viommu_tegra241_cmdqv {
	__aligned_u64 out_vintf_mmap_offset;
	__aligned_u64 out_vintf_mmap_length;
};

/**
 * struct iommu_viommu_alloc - argument of IOMMU_VIOMMU_ALLOC
 * @size: sizeof(struct iommu_viommu_alloc)
 * @flags: no flags are defined, must be 0
 * @type: one of enum iommu_viommu_type
 * @dev_id: bound device; its physical IOMMU backs the vIOMMU
 * @hwpt_id: paging HWPT allocated with IOMMU_HWPT_ALLOC_NEST_PARENT that
 *           becomes the vIOMMU's stage 2
 * @out_viommu_id: returns the ID of the new vIOMMU
 * @data_len: size in bytes of the buffer at @data_uptr
 * @__reserved: must be 0
 * @data_uptr: user pointer to type-specific data, which the kernel may also
 *             write results into
 *
 * Creates a vIOMMU: the share of one physical IOMMU instance that belongs to
 * one VM. It holds what is per VM rather than per device, such as the
 * guest's tag namespace (a VMID), the table of virtual device IDs, events
 * not tied to a device, and hardware queues given to the guest.
 */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data_uptr;
};

#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/**
 * struct iommu_vdevice_alloc - argument of IOMMU_VDEVICE_ALLOC
 * @size: sizeof(struct iommu_vdevice_alloc)
 * @viommu_id: vIOMMU the device is presented through
 * @dev_id: bound physical device
 * @out_vdevice_id: returns the ID of the new vDEVICE
 * @virt_id: the ID the guest knows the device by: a virtual stream ID on
 *           SMMUv3, a virtual device ID on AMD, a virtual RID on VT-d
 *
 * Ties a physical device to its virtual ID inside a vIOMMU, which the
 * kernel needs to translate guest commands and to report events. Destroy the
 * vDEVICE before closing the device's VFIO file; otherwise the kernel
 * removes it and its ID stays unusable until the iommufd is closed.
 */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};

#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/**
 * struct iommu_ioas_change_process - argument of IOMMU_IOAS_CHANGE_PROCESS
 * @size: sizeof(struct iommu_ioas_change_process)
 * @__reserved: must be 0
 *
 * Moves the pinned-memory accounting of every mapping in every IOAS of this
 * file to the calling process, for example after a VMM re-executes itself
 * during a live update. Only mappings created by IOMMU_IOAS_MAP_FILE can be
 * moved; if any other mapping exists the call fails with EINVAL and nothing
 * changes.
 */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};

#define IOMMU_IOAS_CHANGE_PROCESS \
	_IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

/**
 * enum iommu_veventq_flag - flag bits of struct iommufd_vevent_header
 * @IOMMU_VEVENTQ_FLAG_LOST_EVENTS: the queue overflowed; this header has no
 *                                  payload and only marks the loss
 */
enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = (1U << 0),
};

/**
 * struct iommufd_vevent_header - header before each record read from a
 *                                vEVENTQ fd
 * @flags: combination of enum iommu_veventq_flag
 * @sequence: running number of the record, counting from 0 up to INT_MAX
 *            and then starting again at 0
 *
 * Each header is followed by one record of the queue's type, unless it
 * carries IOMMU_VEVENTQ_FLAG_LOST_EVENTS. Consecutive records normally have
 * consecutive sequence numbers; a gap of n means n - 1 events were dropped.
 * When events are dropped at the end of the queue, where no later record can
 * show the gap, a header with IOMMU_VEVENTQ_FLAG_LOST_EVENTS is queued
 * instead.
 */
struct iommufd_vevent_header {
	__u32 flags;
	__u32 sequence;
};

/**
 * enum iommu_veventq_type - kinds of vEVENTQ
 * @IOMMU_VEVENTQ_TYPE_DEFAULT: reserved, rejected with EOPNOTSUPP
 * @IOMMU_VEVENTQ_TYPE_ARM_SMMUV3: struct iommu_vevent_arm_smmuv3 records
 * @IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV: struct iommu_vevent_tegra241_cmdqv
 *                                     records
 */
enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
};

/**
 * struct iommu_vevent_arm_smmuv3 - ARM SMMUv3 event for the guest
 *                                  (IOMMU_VEVENTQ_TYPE_ARM_SMMUV3)
 * @evt: the 256-bit SMMUv3 event record, little-endian, with the StreamID
 *       replaced by the device's virtual ID
 *
 * Forwarded event types: C_BAD_STE (0x04), F_STREAM_DISABLED (0x06),
 * C_BAD_SUBSTREAMID (0x08), C_BAD_CD (0x0a), F_TRANSLATION (0x10),
 * F_ADDR_SIZE (0x11), F_ACCESS (0x12) and F_PERMISSION (0x13). Events are
 * only forwarded for devices that have a vDEVICE.
 */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};

/**
 * struct iommu_vevent_tegra241_cmdqv - Tegra241 CMDQV error report
 *                                      (IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV)
 * @lvcmdq_err_map: the 128-bit LVCMDQ_ERR_MAP of the vIOMMU's virtual
 *                  interface, little-endian, as read from the hardware
 */
struct iommu_vevent_tegra241_cmdqv {
	__aligned_le64 lvcmdq_err_map[2];
};

/**
 * struct iommu_veventq_alloc - argument of IOMMU_VEVENTQ_ALLOC
 * @size: sizeof(struct iommu_veventq_alloc)
 * @flags: no flags are defined, must be 0
 * @viommu_id: vIOMMU whose events are reported
 * @type: one of enum iommu_veventq_type
 * @veventq_depth: number of events the queue holds before it drops new ones
 * @out_veventq_id: returns the ID of the new vEVENTQ
 * @out_veventq_fd: returns a read-only file descriptor for the events; the
 *                  caller owns it and must close it before the vEVENTQ can
 *                  be destroyed
 * @__reserved: must be 0
 *
 * Creates a queue of events of one type raised by a vIOMMU. A vIOMMU can
 * have one queue per type (EEXIST otherwise). read() returns a sequence of
 * struct iommufd_vevent_header, each followed by its record.
 */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved;
};

#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

/**
 * enum iommu_hw_queue_type - kinds of hardware queue
 * @IOMMU_HW_QUEUE_TYPE_DEFAULT: reserved, rejected with EOPNOTSUPP
 * @IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV: a Tegra241 CMDQV virtual command
 *                                      queue. Queues are allocated from
 *                                      index 0 upwards and destroyed in the
 *                                      reverse order; the base must be
 *                                      aligned to the length and mapped in
 *                                      the IOAS; the length is a power of
 *                                      two from 32 bytes up to
 *                                      2^IDR1.CMDQS * 16 bytes; the memory
 *                                      should be physically contiguous.
 */
enum iommu_hw_queue_type {
	IOMMU_HW_QUEUE_TYPE_DEFAULT = 0,
	IOMMU_HW_QUEUE_TYPE_TEGRA241_CMDQV = 1,
};

/**
 * struct iommu_hw_queue_alloc - argument of IOMMU_HW_QUEUE_ALLOC
 * @size: sizeof(struct iommu_hw_queue_alloc)
 * @flags: no flags are defined, must be 0
 * @viommu_id: vIOMMU the queue belongs to
 * @type: one of enum iommu_hw_queue_type
 * @index: which of the vIOMMU's queues this is
 * @out_hw_queue_id: returns the ID of the new HW_QUEUE
 * @nesting_parent_iova: guest-physical (stage-2 input) base of the queue
 *                       memory
 * @length: size of the queue memory in bytes
 *
 * Gives a queue whose ring lives in guest memory directly to the hardware.
 * The kernel pins the ring for the life of the queue, so unmapping it from
 * the IOAS fails with EBUSY meanwhile.
 */
struct iommu_hw_queue_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 index;
	__u32 out_hw_queue_id;
	__aligned_u64 nesting_parent_iova;
	__aligned_u64 length;
};

#define IOMMU_HW_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HW_QUEUE_ALLOC)

#endif /* _UAPI_IOMMUFD_H */
