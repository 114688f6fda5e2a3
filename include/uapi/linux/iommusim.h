/* SPDX-License-Identifier: GPL-2.0-only WITH Linux-syscall-note */
/*
 * iommusim user API: simulated SMMUv3 and VT-d IOMMU instances and the
 * DMA-capable devices behind them (module iommusim.ko).
 *
 * Instances and devices are created at run time through sysfs, the way
 * netdevsim creates its devices:
 *
 *   /sys/bus/iommusim/new_iommu   write "ID TYPE [KEY=VAL ...]"
 *                                 TYPE is "smmuv3" or "vtd"; ID is 0..255.
 *                                 Keys (all optional, defaults in brackets):
 *                                   s1=0|1        stage 1 / first level [1]
 *                                   s2=0|1        stage 2 / second level [1]
 *                                   pasid_bits=N  SSID/PASID width, 0..20 [20]
 *                                   dirty=0|1     hardware dirty bits [1]
 *                                   ats=0|1, pri=0|1   [1], [1]
 *                                   ias=N, oas=N  address widths in bits
 *                                                 [48], [48]
 *                                   tlb=N         IOTLB entries [512]
 *                                 Errors: EEXIST (ID in use), EINVAL
 *                                 (syntax, unknown key, impossible mix
 *                                 such as s1=0 s2=0).
 *   /sys/bus/iommusim/del_iommu   write "ID". EBUSY while the instance
 *                                 has devices, ENOENT for an unknown ID.
 *   /sys/bus/iommusim/devices/iommusimID/
 *       new_device                write "SID [pasid_bits=N] [ats=0|1]
 *                                 [pri=0|1]": a device with stream /
 *                                 requester ID SID (0..65535). Its PASID
 *                                 width is min(device, instance).
 *                                 EEXIST for a SID in use.
 *       del_device                write "SID". EBUSY while the device's
 *                                 char device is open, ENOENT if unknown.
 *       type, caps                read: "smmuv3"/"vtd"; the identification
 *                                 registers (IDR0..5/IIDR/AIDR or CAP/ECAP)
 *                                 as "NAME=0x%016llx" lines.
 *
 * Each device has a char device /dev/iommusim/ID-SID. Its bind, attach and
 * detach ioctls have the numbers and layouts of VFIO's cdev iommufd ioctls
 * (VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
 * VFIO_DEVICE_DETACH_IOMMUFD_PT), so VMM code written for a VFIO cdev
 * carries over. The remaining ioctls are our own: DMA and test hooks.
 *
 * Conventions shared by every ioctl here (VFIO's): the structure starts
 * with __u32 argsz, the caller's size. argsz smaller than the part of the
 * structure the call uses gives EINVAL (VFIO's minsz: BIND needs 16 bytes,
 * as VMMs older than the token field pass; ATTACH 12 bytes,
 * 16 with IOMMUSIM_ATTACH_PASID; DETACH 8, 12 with IOMMUSIM_DETACH_PASID;
 * the others their whole structure); bytes past what the kernel knows are
 * ignored.
 * Unknown flag bits give EINVAL. Device ioctls other than BIND on a file
 * that is not bound give EINVAL.
 *
 * PASID 0 is the RID's context on both families (SMMUv3 SSID 0 is the
 * non-substream context; VT-d scalable mode uses PASID 0 as RID_PASID), so
 * PASIDs usable for attach and DMA are 1 .. 2^width - 1.
 */
#ifndef _UAPI_LINUX_IOMMUSIM_H
#define _UAPI_LINUX_IOMMUSIM_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* The VFIO ioctl type and base, so the first three numbers equal VFIO's */
#define IOMMUSIM_TYPE	(';')
#define IOMMUSIM_BASE	100

/**
 * struct iommusim_bind_iommufd - IOMMUSIM_DEVICE_BIND_IOMMUFD
 * @argsz: sizeof(struct iommusim_bind_iommufd)
 * @flags: must be 0 (VFIO's token flag is not supported: EINVAL)
 * @iommufd: an open /dev/iommu descriptor
 * @out_devid: the device's object ID in that iommufd (IOMMU_GET_HW_INFO,
 *	       IOMMU_HWPT_ALLOC, ...)
 * @token_uuid_ptr: unused, must be 0
 *
 * Layout and number of VFIO_DEVICE_BIND_IOMMUFD. A device is bound to at
 * most one iommufd at a time: binding a second file of the same device, or
 * binding twice, gives EBUSY. EBADF/EBADFD for a descriptor that is not an
 * iommufd. The binding ends when this file is closed; DMA is blocked from
 * then on. While bound, the iommufd context stays alive even if its last
 * descriptor is closed.
 */
struct iommusim_bind_iommufd {
	__u32 argsz;
	__u32 flags;
	__s32 iommufd;
	__u32 out_devid;
	__aligned_u64 token_uuid_ptr;
};

#define IOMMUSIM_DEVICE_BIND_IOMMUFD	_IO(IOMMUSIM_TYPE, IOMMUSIM_BASE + 18)

/**
 * struct iommusim_attach_pt - IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT
 * @argsz: sizeof(struct iommusim_attach_pt)
 * @flags: IOMMUSIM_ATTACH_PASID to attach @pasid instead of the RID
 * @pt_id: in: an IOAS or HWPT ID; out: the HWPT actually attached (the
 *	   automatic one when an IOAS was given)
 * @pasid: the PASID, with IOMMUSIM_ATTACH_PASID
 *
 * Layout and number of VFIO_DEVICE_ATTACH_IOMMUFD_PT. Attaching where
 * something is attached already replaces it, atomically for DMA. Errors
 * are the iommufd core's (ENOENT, EINVAL for an incompatible HWPT, EBUSY,
 * ...), plus EINVAL for a PASID of 0 or beyond the device's width.
 */
struct iommusim_attach_pt {
	__u32 argsz;
	__u32 flags;
#define IOMMUSIM_ATTACH_PASID		(1 << 0)
	__u32 pt_id;
	__u32 pasid;
};

#define IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT _IO(IOMMUSIM_TYPE, IOMMUSIM_BASE + 19)

/**
 * struct iommusim_detach_pt - IOMMUSIM_DEVICE_DETACH_IOMMUFD_PT
 * @argsz: sizeof(struct iommusim_detach_pt)
 * @flags: IOMMUSIM_DETACH_PASID to detach @pasid instead of the RID
 * @pasid: the PASID, with IOMMUSIM_DETACH_PASID
 *
 * Layout and number of VFIO_DEVICE_DETACH_IOMMUFD_PT. DMA of the RID (or
 * PASID) is blocked afterwards. Detaching what is not attached is a no-op;
 * a PASID of 0 or beyond the device's width gives EINVAL, as for attach.
 */
struct iommusim_detach_pt {
	__u32 argsz;
	__u32 flags;
#define IOMMUSIM_DETACH_PASID		(1 << 0)
	__u32 pasid;
};

#define IOMMUSIM_DEVICE_DETACH_IOMMUFD_PT _IO(IOMMUSIM_TYPE, IOMMUSIM_BASE + 20)

/* Our own ioctls start well above VFIO's range */
#define IOMMUSIM_OWN_BASE	(IOMMUSIM_BASE + 64)

/**
 * enum iommusim_fault_kind - why a simulated DMA stopped
 * @IOMMUSIM_FAULT_NONE: no fault
 * @IOMMUSIM_FAULT_BLOCKED: nothing attached (or blocking): the request is
 *			    aborted; SMMUv3 STE.Config abort records no event
 * @IOMMUSIM_FAULT_TRANSLATION: no valid translation for the IOVA
 * @IOMMUSIM_FAULT_PERMISSION: translation exists, access not allowed
 * @IOMMUSIM_FAULT_ADDR_SIZE: IOVA or output address beyond the widths
 * @IOMMUSIM_FAULT_BAD_CONFIG: invalid STE/CD or context/PASID entry
 * @IOMMUSIM_FAULT_BAD_PASID: PASID beyond the configured table
 */
enum iommusim_fault_kind {
	IOMMUSIM_FAULT_NONE = 0,
	IOMMUSIM_FAULT_BLOCKED = 1,
	IOMMUSIM_FAULT_TRANSLATION = 2,
	IOMMUSIM_FAULT_PERMISSION = 3,
	IOMMUSIM_FAULT_ADDR_SIZE = 4,
	IOMMUSIM_FAULT_BAD_CONFIG = 5,
	IOMMUSIM_FAULT_BAD_PASID = 6,
};

/**
 * struct iommusim_dma - IOMMUSIM_DEVICE_DMA: the device reads or writes
 *			 memory through its IOMMU
 * @argsz: sizeof(struct iommusim_dma)
 * @flags: IOMMUSIM_DMA_WRITE: the device writes memory (data goes from
 *	   @uptr to IOVA); without it the device reads memory (IOVA to
 *	   @uptr). IOMMUSIM_DMA_PASID: the request carries @pasid.
 * @pasid: PASID of the request, with IOMMUSIM_DMA_PASID
 * @__reserved: must be 0
 * @iova: first IOVA, any alignment
 * @length: bytes, 1 .. 64 MiB
 * @uptr: user buffer of @length bytes
 * @out_done: bytes transferred before a fault (all of @length on success)
 * @out_fault: enum iommusim_fault_kind
 * @out_record_len: bytes valid in @out_record (0 when the hardware records
 *		    nothing: 32 for an SMMUv3 event, 16 for a VT-d fault
 *		    record)
 * @out_fault_addr: the IOVA that faulted
 * @out_record: the architected record the IOMMU wrote: the SMMUv3 event
 *		(event number in bits 7:0 of the first word, StreamID in
 *		the upper half, ...) or the VT-d primary fault record
 *		(fault reason, source ID, PASID, type), little endian
 *
 * Translation happens per page through the instance's IOTLB and, on a miss,
 * a walk of the in-memory tables; hardware dirty state is updated by writes
 * as the format defines. Returns 0 when all of @length was transferred,
 * EIO with the out_* fields filled when a fault stopped it, EFAULT for a bad
 * @uptr, EINVAL for a bad length or PASID, E2BIG is never returned.
 */
struct iommusim_dma {
	__u32 argsz;
	__u32 flags;
#define IOMMUSIM_DMA_WRITE		(1 << 0)
#define IOMMUSIM_DMA_PASID		(1 << 1)
	__u32 pasid;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 uptr;
	__aligned_u64 out_done;
	__u32 out_fault;
	__u32 out_record_len;
	__aligned_u64 out_fault_addr;
	__aligned_u64 out_record[4];
};

#define IOMMUSIM_DEVICE_DMA	_IO(IOMMUSIM_TYPE, IOMMUSIM_OWN_BASE + 0)

/**
 * struct iommusim_iotlb - IOMMUSIM_DEVICE_IOTLB: the instance's IOTLB
 * @argsz: sizeof(struct iommusim_iotlb)
 * @flags: IOMMUSIM_IOTLB_FLUSH_ALL: invalidate every entry of the instance
 *	   first (what a global invalidation command does);
 *	   IOMMUSIM_IOTLB_RESET_STATS: zero the counters after reading them
 * @out_entries: valid entries now
 * @out_capacity: entries the IOTLB holds
 * @out_hits: lookups that hit since the last reset
 * @out_misses: lookups that missed (and walked) since the last reset
 * @out_invalidated: entries removed by invalidations since the last reset
 */
struct iommusim_iotlb {
	__u32 argsz;
	__u32 flags;
#define IOMMUSIM_IOTLB_FLUSH_ALL	(1 << 0)
#define IOMMUSIM_IOTLB_RESET_STATS	(1 << 1)
	__u32 out_entries;
	__u32 out_capacity;
	__aligned_u64 out_hits;
	__aligned_u64 out_misses;
	__aligned_u64 out_invalidated;
};

#define IOMMUSIM_DEVICE_IOTLB	_IO(IOMMUSIM_TYPE, IOMMUSIM_OWN_BASE + 1)

/**
 * struct iommusim_pte_alias - IOMMUSIM_DEVICE_TEST_PTE_ALIAS: rewrite a
 *			       leaf entry without invalidating
 * @argsz: sizeof(struct iommusim_pte_alias)
 * @flags: IOMMUSIM_ALIAS_PASID: use the domain attached at @pasid
 * @pasid: with IOMMUSIM_ALIAS_PASID
 * @__reserved: must be 0
 * @iova: 4 KiB page whose leaf entry is rewritten (must be mapped with a
 *	  4 KiB entry)
 * @src_iova: 4 KiB page, mapped in the same domain, whose output address
 *	      the entry at @iova takes
 *
 * What software that edits a page table and forgets the invalidation does:
 * the entry for @iova afterwards points where @src_iova's does, but DMA
 * keeps using a translation the IOTLB cached until IOMMUSIM_DEVICE_INVALIDATE
 * (or an unmap) removes it. Both pages stay pinned by the IOAS, so a stale
 * translation never reaches freed memory. ENOENT if either IOVA is not
 * mapped at 4 KiB, EINVAL if nothing paging is attached there.
 */
struct iommusim_pte_alias {
	__u32 argsz;
	__u32 flags;
#define IOMMUSIM_ALIAS_PASID		(1 << 0)
	__u32 pasid;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 src_iova;
};

#define IOMMUSIM_DEVICE_TEST_PTE_ALIAS	_IO(IOMMUSIM_TYPE, IOMMUSIM_OWN_BASE + 2)

/**
 * struct iommusim_invalidate - IOMMUSIM_DEVICE_INVALIDATE: the invalidation
 *				the driver would issue for a range
 * @argsz: sizeof(struct iommusim_invalidate)
 * @flags: IOMMUSIM_INVAL_PASID: the context of @pasid instead of the RID
 * @pasid: with IOMMUSIM_INVAL_PASID
 * @__reserved: must be 0
 * @iova: first IOVA (rounded down to 4 KiB)
 * @length: bytes; 0 means the whole address space of the context
 *
 * SMMUv3: TLBI by VA for the context's ASID/VMID (CMD_TLBI_NH_VA or
 * CMD_TLBI_S2_IPA); VT-d: PASID-based or domain-selective IOTLB
 * invalidation for the context's DID/PASID.
 */
struct iommusim_invalidate {
	__u32 argsz;
	__u32 flags;
#define IOMMUSIM_INVAL_PASID		(1 << 0)
	__u32 pasid;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOMMUSIM_DEVICE_INVALIDATE	_IO(IOMMUSIM_TYPE, IOMMUSIM_OWN_BASE + 3)

/**
 * struct iommusim_ctx_entry - IOMMUSIM_DEVICE_GET_CTX_ENTRY: the raw
 *			       configuration entries the hardware reads
 * @argsz: sizeof(struct iommusim_ctx_entry)
 * @flags: IOMMUSIM_CTX_PASID: the entries of @pasid
 * @pasid: with IOMMUSIM_CTX_PASID
 * @out_nr_ste: valid words in @out_ste (0 if none)
 * @out_nr_cd: valid words in @out_cd (0 if none)
 * @__reserved: must be 0
 * @out_ste: SMMUv3: the device's stream table entry (8 words); VT-d: the
 *	     scalable-mode context entry (4 words: the two 128-bit halves as
 *	     low/high)
 * @out_cd: SMMUv3: the context descriptor of the SSID (8 words; SSID 0
 *	    without IOMMUSIM_CTX_PASID); VT-d: the scalable-mode PASID table
 *	    entry of the PASID (8 words; PASID 0 without the flag)
 * @out_root: physical address of the root of the page table the entry
 *	      points to (0 if none), for cross-checking TTB/VTTB/SLPTPTR/
 *	      FLPTPTR fields
 *
 * Entries are little endian, exactly as the hardware reads them.
 */
struct iommusim_ctx_entry {
	__u32 argsz;
	__u32 flags;
#define IOMMUSIM_CTX_PASID		(1 << 0)
	__u32 pasid;
	__u32 out_nr_ste;
	__u32 out_nr_cd;
	__u32 __reserved;
	__aligned_u64 out_ste[8];
	__aligned_u64 out_cd[8];
	__aligned_u64 out_root;
};

#define IOMMUSIM_DEVICE_GET_CTX_ENTRY	_IO(IOMMUSIM_TYPE, IOMMUSIM_OWN_BASE + 4)

/**
 * struct iommusim_translate - IOMMUSIM_DEVICE_TRANSLATE: walk the tables for
 *			       one IOVA, as the hardware would, without DMA
 * @argsz: sizeof(struct iommusim_translate)
 * @flags: IOMMUSIM_XLATE_PASID: the context of @pasid;
 *	   IOMMUSIM_XLATE_WRITE: check write permission (no dirty update)
 * @pasid: with IOMMUSIM_XLATE_PASID
 * @out_level: level of the leaf entry in the format's own numbering
 *	       (VMSAv8-64: 3 for a 4 KiB page, 2 for 2 MiB, 1 for 1 GiB;
 *	       VT-d: 1 for 4 KiB, 2 for 2 MiB, 3 for 1 GiB)
 * @iova: the IOVA
 * @out_phys: the output address of @iova
 * @out_page_size: bytes the leaf entry maps
 * @out_pte: the raw leaf entry (little endian value as stored)
 * @out_fault: enum iommusim_fault_kind; 0 when the walk succeeded
 * @out_dirty: 1 if the leaf entry's hardware dirty state says written
 *
 * Does not consult or fill the IOTLB. Returns 0 even when the walk faults
 * (see @out_fault); EINVAL for a bad PASID.
 */
struct iommusim_translate {
	__u32 argsz;
	__u32 flags;
#define IOMMUSIM_XLATE_PASID		(1 << 0)
#define IOMMUSIM_XLATE_WRITE		(1 << 1)
	__u32 pasid;
	__u32 out_level;
	__aligned_u64 iova;
	__aligned_u64 out_phys;
	__aligned_u64 out_page_size;
	__aligned_u64 out_pte;
	__u32 out_fault;
	__u32 out_dirty;
};

#define IOMMUSIM_DEVICE_TRANSLATE	_IO(IOMMUSIM_TYPE, IOMMUSIM_OWN_BASE + 5)

#endif
