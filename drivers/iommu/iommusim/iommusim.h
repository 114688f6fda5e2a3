/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommusim: simulated SMMUv3 and VT-d IOMMU instances with devices behind
 * them. Internal contract between the files of the module:
 *
 *   bus.c         sysfs bus, instance and device lifetime, module init
 *   cdev.c        the per-device char device: bind/attach/detach (VFIO
 *                 cdev layouts), DMA and test ioctls; the iofd_hw_dev_ops
 *                 the iommufd core calls, forwarded to the family
 *   domain.c      the iofd_domain_ops of every simulated domain, over the
 *                 page-table walkers below plus the family's flush hook
 *   pgtable_arm.c VMSAv8-64 stage 1 and stage 2 tables, 4 KiB granule
 *   pgtable_vtd.c VT-d second-level and first-level tables
 *   iotlb.c       the IOTLB model shared by both families
 *   smmuv3.c      the SMMUv3 family: ID registers, stream table, STEs and
 *                 CDs, VMIDs/ASIDs, translation, event records
 *   vtd.c         the VT-d family: CAP/ECAP, root/context/PASID tables in
 *                 scalable mode, domain IDs, translation, fault records
 *
 * The iommufd core is reached only through include/linux/iommufd_ops.h.
 *
 * Locking and lifetime rules (every file keeps them):
 *  - A simulated DMA runs translate + copy with iommu->dma_sem held for
 *    read. Anything that makes a translation unusable (attach/replace/
 *    detach, invalidation after unmap, domain free) first changes the
 *    tables/IOTLB and then calls simio_dma_quiesce(), which waits for DMA
 *    in flight; after it returns no DMA uses the old translation.
 *  - Page-table pages are freed only when the domain is freed (unmap clears
 *    entries but keeps tables), so a walk never touches a freed table.
 *  - sdev->lock serializes attach/detach/bind of one device and the
 *    family's per-device configuration (STE, CD table, context and PASID
 *    entries). It nests inside the core's locks (the core calls attach
 *    under its idev->lock). cdev.c takes it around the family's @attach,
 *    @ctx_entry, @invalidate and @lookup_domain calls: the family does not
 *    take it again there. Order: sdev->lock -> iommu->lock -> dma_sem.
 *  - Lifetime: a domain can outlive every device and the sysfs instance
 *    (a HWPT lives as long as its iommufd). Each simio_domain therefore
 *    holds a reference on its instance (and so on the module): cdev.c
 *    takes it with simio_iommu_get() when domain_alloc_paging succeeds,
 *    and domain.c's free drops it with simio_iommu_put() as its very last
 *    step. The family's @fini runs when the last reference goes.
 */
#ifndef __IOMMUSIM_H
#define __IOMMUSIM_H

#include <linux/device.h>
#include <linux/cdev.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>
#include <linux/iommufd_ops.h>

struct simio_iommu;
struct simio_dev;
struct simio_domain;

/* ------------------------------------------------------------------ */
/* Page tables (pgtable_arm.c, pgtable_vtd.c)                          */

enum simpt_format {
	SIMPT_ARM_S1,	/* VMSAv8-64 stage 1, 4 KiB granule, TTBR0 half */
	SIMPT_ARM_S2,	/* VMSAv8-64 stage 2, 4 KiB granule */
	SIMPT_VTD_SL,	/* VT-d second-level */
	SIMPT_VTD_FL,	/* VT-d first-level (x86-64 4-level / 5-level) */
};

/* Permission bits of simpt_map(); same values as IOFD_PROT_* */
#define SIMPT_READ	IOFD_PROT_READ
#define SIMPT_WRITE	IOFD_PROT_WRITE
#define SIMPT_CACHE	IOFD_PROT_CACHE

/**
 * struct simpt - one page table in kernel memory
 * @fmt: enum simpt_format
 * @ias: input address bits; the walk starts at the level this implies
 *	 (ARM: 4 levels for 40 < ias <= 48, 3 for 31..39; VT-d: 4-level for
 *	 ias <= 48, 5-level above)
 * @oas: output address bits
 * @levels: number of levels of the walk (3..5)
 * @dbm: dirty-capable: writable entries are made in the format's
 *	 "writable, clean" encoding (ARM: DBM set and AP[2]=1 / S2AP[1]=0;
 *	 VT-d SL: D bit 9 clear) so a hardware write records dirtiness
 * @root: kernel virtual address of the top table (one 4 KiB page)
 * @lock: serializes block splitting and test-hook rewrites. Every other
 *	  update is one cmpxchg of one entry (table install, leaf set/clear,
 *	  dirty clear), so map/unmap of disjoint ranges (the core serializes
 *	  overlapping ones), dirty read-and-clear (which may sleep in its
 *	  record callback) and the hardware's lockless walks never conflict
 * @retired: empty tables a map replaced by a large leaf (a walk may still be
 *	     inside one), under @lock; freed by simpt_destroy()
 */
struct simpt {
	enum simpt_format fmt;
	unsigned int ias;
	unsigned int oas;
	unsigned int levels;
	bool dbm;
	u64 *root;
	spinlock_t lock;		/* splits, test-hook rewrites */
	struct list_head retired;
};

/* The result of a hardware walk of one IOVA */
struct simpt_walk {
	phys_addr_t phys;	/* output address of the IOVA itself */
	u64 page_size;		/* bytes the leaf maps (4K, 2M, 1G) */
	unsigned int level;	/* leaf level in the format's numbering */
	unsigned int perm;	/* SIMPT_READ / SIMPT_WRITE the leaf grants */
	u64 pte;		/* the leaf entry as stored */
	bool dirty;		/* the leaf's dirty state says written */
};

/* Access types of simpt_hw_walk() */
#define SIMPT_ACC_READ		0
#define SIMPT_ACC_WRITE		BIT(0)
/* The context enables hardware dirty update (CD.HD, STE.S2HD, SSADE) */
#define SIMPT_ACC_HW_DIRTY	BIT(1)
/* Walk for inspection only: never update access/dirty state */
#define SIMPT_ACC_PROBE		BIT(2)

int simpt_init(struct simpt *pt, enum simpt_format fmt, unsigned int ias,
	       unsigned int oas, bool dbm);
void simpt_destroy(struct simpt *pt);		/* frees every table */
unsigned long simpt_pgsize_bitmap(enum simpt_format fmt);
int simpt_map(struct simpt *pt, u64 iova, phys_addr_t paddr, u64 size,
	      unsigned int prot, gfp_t gfp);
u64 simpt_unmap(struct simpt *pt, u64 iova, u64 size);
phys_addr_t simpt_iova_to_phys(struct simpt *pt, u64 iova);
/*
 * What the hardware does on an IOTLB miss: walk from the root, check the
 * access against the leaf, and when @access has SIMPT_ACC_WRITE and
 * SIMPT_ACC_HW_DIRTY and the leaf is writable-clean, mark it dirty with
 * cmpxchg. Returns 0, -ENOENT (translation fault), -EACCES (permission
 * fault) or -ERANGE (IOVA beyond ias: address size fault).
 */
int simpt_hw_walk(struct simpt *pt, u64 iova, unsigned int access,
		  struct simpt_walk *out);
/*
 * Report each dirty leaf in [iova, iova + size) through @record, clearing
 * its dirty state unless @no_clear. Returns 0 or -errno from @record.
 */
int simpt_read_and_clear_dirty(struct simpt *pt, u64 iova, u64 size,
			       bool no_clear,
			       int (*record)(void *arg, u64 iova, u64 len),
			       void *arg);
/* Test hook: point the 4 KiB leaf of @iova where the leaf of @src points */
int simpt_alias_leaf(struct simpt *pt, u64 iova, u64 src_iova);

/*
 * S1 MAIR the ARM stage-1 AttrIndx values refer to (CD.MAIR): index 0
 * Normal Non-cacheable, 1 Normal Write-Back RW-allocate, 2 Device-nGnRE
 */
#define SIMPT_ARM_S1_MAIR	0x04ff44ULL

/* What an entry is at a given level, for the shared walker */
enum simpt_kind { SIMPT_PTE_NONE, SIMPT_PTE_TABLE, SIMPT_PTE_LEAF };

/**
 * struct simpt_fmt_ops - the descriptors of one format
 * @levels: walk levels for @ias/@oas, or -EINVAL for widths the format
 *	    cannot have
 * @level_num: the format's own number of walker level @lvl (simpt_walk)
 * @kind: what @pte is at @lvl (reserved encodings are SIMPT_PTE_NONE:
 *	  a translation fault)
 * @addr: the table address or output address in @pte
 * @mk_table: a table entry pointing at @table
 * @mk_leaf: a leaf at @lvl mapping @pa with SIMPT_* @prot
 * @relocate: @leaf's attributes and access/dirty state at another level
 *	      and output address (block split, test alias)
 * @access: check @access against @pte; set *@upd to the entry after the
 *	    hardware's A/D update (== @pte when none), *@perm and *@dirty as
 *	    they are after it. 0 or -EACCES
 * @is_dirty: the entry's dirty state says written
 * @clear_dirty: @pte with its dirty state cleared
 *
 * Between pgtable_arm.c (the walker, shared by every format, and the
 * VMSAv8-64 descriptors) and pgtable_vtd.c (the VT-d descriptors). Values
 * are CPU order; @lvl is the walker's own numbering: 0 maps 4 KiB, 1 2 MiB,
 * 2 1 GiB, 3 512 GiB, 4 256 TiB.
 */
struct simpt_fmt_ops {
	int (*levels)(unsigned int ias, unsigned int oas);
	unsigned int (*level_num)(unsigned int lvl);
	enum simpt_kind (*kind)(u64 pte, unsigned int lvl);
	phys_addr_t (*addr)(u64 pte);
	u64 (*mk_table)(const struct simpt *pt, phys_addr_t table);
	u64 (*mk_leaf)(const struct simpt *pt, unsigned int lvl,
		       phys_addr_t pa, unsigned int prot);
	u64 (*relocate)(u64 leaf, unsigned int lvl, phys_addr_t pa);
	int (*access)(const struct simpt *pt, u64 pte, unsigned int access,
		      u64 *upd, unsigned int *perm, bool *dirty);
	bool (*is_dirty)(const struct simpt *pt, u64 pte);
	u64 (*clear_dirty)(const struct simpt *pt, u64 pte);
};

extern const struct simpt_fmt_ops simpt_vtd_sl_ops;
extern const struct simpt_fmt_ops simpt_vtd_fl_ops;

/* ------------------------------------------------------------------ */
/* IOTLB model (iotlb.c)                                               */

/*
 * Each entry caches one leaf translation under a tag the family builds
 * from what the hardware keys it by (SMMUv3: stage, VMID, ASID; VT-d: DID,
 * PASID); invalidations select entries by (tag & mask) == match and an IOVA
 * range, so "everything of this VMID" or "this DID, any PASID" are one call.
 */
struct simio_tlb_entry {
	u64 tag;
	u64 iova;		/* aligned to page_size */
	u64 page_size;
	phys_addr_t phys;	/* output address of iova */
	unsigned int level;
	unsigned int perm;	/* SIMPT_READ / SIMPT_WRITE */
	bool dirty;		/* write already recorded in the table */
};

struct simio_tlb_stats {
	u32 entries;
	u32 capacity;
	u64 hits;
	u64 misses;
	u64 invalidated;
};

struct simio_tlb;	/* opaque, iotlb.c */

struct simio_tlb *simio_tlb_create(unsigned int capacity);
void simio_tlb_destroy(struct simio_tlb *tlb);
/* Copies the entry covering (tag, iova) to @out: true on a hit */
bool simio_tlb_lookup(struct simio_tlb *tlb, u64 tag, u64 iova,
		      struct simio_tlb_entry *out);
/* Insert (replacing an entry of the same tag and page); may evict */
void simio_tlb_insert(struct simio_tlb *tlb, const struct simio_tlb_entry *e);
/*
 * Remove entries with (tag & mask) == match overlapping [iova, iova+size);
 * size 0 means every IOVA
 */
void simio_tlb_invalidate(struct simio_tlb *tlb, u64 match, u64 mask,
			  u64 iova, u64 size);
void simio_tlb_stats(struct simio_tlb *tlb, struct simio_tlb_stats *st,
		     bool reset);

/* ------------------------------------------------------------------ */
/* Domains (domain.c)                                                  */

/**
 * struct simio_domain - a paging domain of one instance
 * @dom: what the iommufd core sees; dom.ops is simio_domain_ops
 * @iommu: the instance that allocated it; attach to a device of another
 *	   instance is refused with -EINVAL
 * @pt: its page table
 * @id: the family's tag for it: VMID (stage 2) or ASID (stage 1) on
 *	SMMUv3, DID on VT-d; allocated by the family
 * @stage: family-defined (e.g. 1 or 2)
 * @dirty_enabled: set_dirty_tracking state
 * @priv: family data
 */
struct simio_domain {
	struct iofd_domain dom;
	struct simio_iommu *iommu;
	struct simpt pt;
	u32 id;
	u32 stage;
	bool dirty_enabled;
	void *priv;
};

extern const struct iofd_domain_ops simio_domain_ops;

static inline struct simio_domain *to_simio_domain(struct iofd_domain *d)
{
	return container_of(d, struct simio_domain, dom);
}

/*
 * Fill the common fields of @sdom (dom.ops, owner, type, pgsize_bitmap,
 * aperture from ias, flags) and init its page table. The family allocates
 * @sdom and its ID first; on error nothing needs undoing but the family's
 * own allocations.
 */
int simio_domain_init(struct simio_domain *sdom, struct simio_iommu *iommu,
		      enum simpt_format fmt, unsigned int ias, u32 alloc_flags);

/* ------------------------------------------------------------------ */
/* Families (smmuv3.c, vtd.c)                                          */

/* Capabilities chosen when the instance is created (sysfs new_iommu) */
struct simio_caps {
	bool s1;		/* stage 1 / first level */
	bool s2;		/* stage 2 / second level */
	unsigned int pasid_bits;
	bool dirty;
	bool ats;
	bool pri;
	unsigned int ias;
	unsigned int oas;
	unsigned int tlb_entries;
};

/* What a translation produced (cdev.c's DMA loop copies with it) */
struct simio_xlate {
	phys_addr_t phys;	/* output address of the requested IOVA */
	u64 len;		/* bytes valid from phys to the leaf's end */
};

/* A fault, with the architected record the hardware wrote */
struct simio_fault {
	u32 kind;		/* enum iommusim_fault_kind */
	u32 record_len;		/* 0, 16 (VT-d) or 32 (SMMUv3) */
	u64 addr;
	__le64 record[4];
};

/**
 * struct simio_family_ops - one hardware family (SMMUv3 or VT-d)
 * @name: "smmuv3" or "vtd", as written to new_iommu
 * @hw_info_type: enum iommu_hw_info_type of @hw_info's data
 * @init: validate @iommu->caps (-EINVAL for a combination the hardware
 *	  cannot have), compute the ID registers, allocate the stream table /
 *	  root table and the IOTLB; stores its state in @iommu->priv
 * @fini: undo @init; no devices remain
 * @show_caps: sysfs "caps": the ID registers as NAME=0x%016llx lines
 * @hw_info: kmalloc'ed upstream data (iommu_hw_info_arm_smmuv3 /
 *	     iommu_hw_info_vtd), sets *length
 * @dev_init: a device with sdev->sid was created: prepare its STE /
 *	      context entry in the blocking state; -EEXIST etc. bus.c has
 *	      filled sdev->hw (ops, name, max_pasid_log2 = pasid_bits, flags
 *	      DIRTY_TRACKING when caps.dirty, CACHE_COHERENT); the family sets
 *	      sdev->hw.resv/nr_resv (SMMUv3: the software MSI window
 *	      0x08000000-0x080fffff; VT-d: the interrupt range
 *	      0xfee00000-0xfeefffff) and may clear flags it cannot honour
 * @dev_fini: the device goes away; it is detached everywhere already
 * @domain_alloc_paging: choose the format (stage) from the caps and
 *	     IOFD_ALLOC_* flags, allocate the domain and its ID, call
 *	     simio_domain_init(); ERR_PTR(-EOPNOTSUPP) for flags the instance
 *	     cannot honour
 * @domain_free: release the ID and family data (domain.c frees the table
 *	     and the struct after this)
 * @attach: write the configuration that makes @sdom (NULL: block) the
 *	    translation of @pasid (IOFD_NO_PASID: the RID) of @sdev, flush
 *	    what the hardware caches of the old configuration, quiesce DMA.
 *	    -EINVAL: incompatible (other instance, wrong stage for a PASID,
 *	    ...). Detach (NULL) never fails.
 * @translate: the hardware path for one request: configuration lookup,
 *	    IOTLB, walk on a miss (filling the IOTLB), permission check, dirty
 *	    update on write. Called with dma_sem held for read. Returns 0 and
 *	    @out, or -EIO with @fault filled.
 * @flush: invalidate the IOTLB entries of @sdom for [iova, iova + size)
 *	   (size 0: all) on every context it is attached to; the caller
 *	   quiesces DMA afterwards
 * @ctx_entry: copy the raw entries for IOMMUSIM_DEVICE_GET_CTX_ENTRY
 * @invalidate: the architected invalidation for (sdev, pasid) context and
 *	   range, for IOMMUSIM_DEVICE_INVALIDATE
 * @lookup_domain: the domain attached at (sdev, pasid) or NULL (for test
 *	   hooks); caller holds sdev->lock
 * @set_dirty_tracking: turn hardware dirty update on/off in every context
 *	   entry the domain is attached to (and in future attaches)
 */
struct simio_family_ops {
	const char *name;
	u32 hw_info_type;
	int (*init)(struct simio_iommu *iommu);
	void (*fini)(struct simio_iommu *iommu);
	ssize_t (*show_caps)(struct simio_iommu *iommu, char *buf);
	void *(*hw_info)(struct simio_iommu *iommu, u32 *length);
	int (*dev_init)(struct simio_dev *sdev);
	void (*dev_fini)(struct simio_dev *sdev);
	struct simio_domain *(*domain_alloc_paging)(struct simio_dev *sdev,
						    u32 flags);
	void (*domain_free)(struct simio_domain *sdom);
	int (*attach)(struct simio_dev *sdev, u32 pasid,
		      struct simio_domain *sdom);
	int (*translate)(struct simio_dev *sdev, u32 pasid, u64 iova,
			 bool write, struct simio_xlate *out,
			 struct simio_fault *fault);
	void (*flush)(struct simio_domain *sdom, u64 iova, u64 size);
	int (*ctx_entry)(struct simio_dev *sdev, u32 pasid, u64 *ste,
			 u32 *nr_ste, u64 *cd, u32 *nr_cd, u64 *root);
	int (*invalidate)(struct simio_dev *sdev, u32 pasid, u64 iova,
			  u64 size);
	struct simio_domain *(*lookup_domain)(struct simio_dev *sdev,
					      u32 pasid);
	int (*set_dirty_tracking)(struct simio_domain *sdom, bool enable);
};

extern const struct simio_family_ops simio_smmuv3_ops;
extern const struct simio_family_ops simio_vtd_ops;

/* ------------------------------------------------------------------ */
/* Instances and devices (bus.c, cdev.c)                               */

/**
 * struct simio_iommu - one simulated IOMMU instance
 * @dev: the device on the iommusim bus ("iommusimID")
 * @id: instance ID
 * @fam: its family
 * @caps: capabilities chosen at creation
 * @tlb: the IOTLB (created by the family's init)
 * @dma_sem: read side held by every DMA in flight; see the top comment
 * @lock: protects @devs
 * @devs: devices by SID
 * @priv: family state (registers, stream table, ...)
 */
struct simio_iommu {
	struct device dev;
	u32 id;
	const struct simio_family_ops *fam;
	struct simio_caps caps;
	struct simio_tlb *tlb;
	struct rw_semaphore dma_sem;
	struct mutex lock;		/* protects @devs */
	struct xarray devs;
	void *priv;
};

/**
 * struct simio_dev - one simulated DMA-capable device
 * @hw: what the iommufd core sees (ops, name, flags, max_pasid_log2, resv)
 * @iommu: the instance it sits behind
 * @sid: stream ID (SMMUv3) / requester ID bus:devfn (VT-d)
 * @pasid_bits: its PASID width (already min'ed with the instance's)
 * @ats: ATS capable
 * @pri: PRI capable
 * @lock: see the top comment
 * @cdev: the char device
 * @cdev_dev: its struct device (/dev/iommusim/ID-SID)
 * @open_count: open files of @cdev; del_device refuses while non-zero
 * @bound: the file bound to an iommufd, NULL when none
 * @idev: the iommufd core's device while bound
 * @priv: family per-device state
 */
struct simio_dev {
	struct iofd_hw_dev hw;
	struct simio_iommu *iommu;
	u32 sid;
	u32 pasid_bits;
	bool ats;
	bool pri;
	struct mutex lock;		/* attach/bind, family config */
	struct cdev cdev;
	struct device cdev_dev;
	unsigned int open_count;
	struct file *bound;
	struct iommufd_device *idev;
	void *priv;
};

static inline struct simio_dev *to_simio_dev(struct iofd_hw_dev *hw)
{
	return container_of(hw, struct simio_dev, hw);
}

/* Wait until no DMA that started before this call is still in flight */
void simio_dma_quiesce(struct simio_iommu *iommu);

/* A reference on the instance (and the module), see the top comment */
void simio_iommu_get(struct simio_iommu *iommu);
void simio_iommu_put(struct simio_iommu *iommu);

/*
 * open()/release() of the char device: count the open file, or -ENODEV if
 * the device was deleted meanwhile. Serialized with del_device.
 */
int simio_dev_open(struct simio_dev *sdev);
void simio_dev_close(struct simio_dev *sdev);

/* cdev.c */
extern const struct iofd_hw_dev_ops simio_hw_dev_ops;
int simio_cdev_init(void);
void simio_cdev_exit(void);
int simio_cdev_add(struct simio_dev *sdev);
void simio_cdev_del(struct simio_dev *sdev);

#endif
