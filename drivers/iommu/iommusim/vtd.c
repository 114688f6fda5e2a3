// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommusim VT-d family: an Intel VT-d remapping unit in scalable mode.
 *
 * Everything the hardware reads lives in kernel memory in the formats of
 * the VT-d specification, and translate() walks it the way the unit does:
 *
 *   root table (one 4 KiB page, 256 root entries of 128 bits: the lower
 *   context-table pointer for devfn 0..127, the upper one for 128..255)
 *   -> scalable-mode context table (128 entries of 256 bits per page)
 *   -> PASID directory (per device, 2^(PDTS + 7) entries of 64 bits)
 *   -> PASID table (64 entries of 512 bits per 4 KiB page)
 *   -> first-level or second-level page table (pgtable_vtd.c).
 *
 * A request without PASID uses the RID_PASID of its context entry, which
 * is always 0 here, so the RID's translation is PASID table entry 0.
 *
 * Domains: one domain ID (DID) each, from 1. The IOTLB caches leaves under
 * a tag made of (DID, PASID):
 *
 *   tag bits 19:0   PASID (0 for requests without PASID: RID_PASID)
 *   tag bits 35:20  DID
 *
 * so a domain-selective invalidation is "DID field equal, any PASID" and a
 * PASID-selective one matches the whole tag.
 *
 * Concurrency: the hardware reads the root, context and PASID-directory
 * entries (single 64-bit words, written with WRITE_ONCE) and the 512-bit
 * PASID table entry as a unit: the entry is snapshotted under the
 * instance's seqlock, so a DMA sees either the old or the new entry of a
 * replace. Table pages stay allocated for the life of the device (PASID
 * tables and directory) or of the instance (context tables), so a walk
 * never reads a freed page. Attachment bookkeeping is under vu->lock, a
 * spinlock that nests inside sdev->lock (held by cdev.c around attach).
 */
#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <uapi/linux/iommufd.h>
#include <uapi/linux/iommusim.h>

#include "iommusim.h"

/* Capability register (CAP_REG) fields */
#define VTD_CAP_ND		GENMASK_ULL(2, 0)	/* 2^(4 + 2 * ND) DIDs */
#define VTD_CAP_SAGAW		GENMASK_ULL(12, 8)
#define VTD_CAP_MGAW		GENMASK_ULL(21, 16)	/* width - 1 */
#define VTD_CAP_FRO		GENMASK_ULL(33, 24)	/* offset / 16 */
#define VTD_CAP_SLLPS		GENMASK_ULL(37, 34)
#define VTD_CAP_PSI		BIT_ULL(39)
#define VTD_CAP_NFR		GENMASK_ULL(47, 40)	/* records - 1 */
#define VTD_CAP_MAMV		GENMASK_ULL(53, 48)
#define VTD_CAP_FL1GP		BIT_ULL(56)
#define VTD_CAP_FL5LP		BIT_ULL(60)

#define VTD_SAGAW_4LVL		BIT(2)			/* 48-bit */
#define VTD_SAGAW_5LVL		BIT(3)			/* 57-bit */
#define VTD_SLLPS_2M		BIT(0)
#define VTD_SLLPS_1G		BIT(1)

/* Extended capability register (ECAP_REG) fields */
#define VTD_ECAP_C		BIT_ULL(0)
#define VTD_ECAP_QI		BIT_ULL(1)
#define VTD_ECAP_DT		BIT_ULL(2)
#define VTD_ECAP_IR		BIT_ULL(3)
#define VTD_ECAP_PT		BIT_ULL(6)
#define VTD_ECAP_SC		BIT_ULL(7)
#define VTD_ECAP_IRO		GENMASK_ULL(17, 8)	/* offset / 16 */
#define VTD_ECAP_NEST		BIT_ULL(26)
#define VTD_ECAP_PRS		BIT_ULL(29)
#define VTD_ECAP_SRS		BIT_ULL(31)
#define VTD_ECAP_PSS		GENMASK_ULL(39, 35)	/* PASID bits - 1 */
#define VTD_ECAP_PASID		BIT_ULL(40)
#define VTD_ECAP_SMTS		BIT_ULL(43)
#define VTD_ECAP_SLADS		BIT_ULL(45)
#define VTD_ECAP_SLTS		BIT_ULL(46)
#define VTD_ECAP_FLTS		BIT_ULL(47)
#define VTD_ECAP_SMPWCS		BIT_ULL(48)
#define VTD_ECAP_RPS		BIT_ULL(49)

/*
 * Register layout choices of this model: 8 fault recording registers at
 * 0x400, the IOTLB registers at 0x500, address-mask invalidation of up to
 * 2^18 pages, 16-bit domain IDs.
 */
#define VTD_ND			6
#define VTD_NR_DIDS		(1U << (4 + 2 * VTD_ND))
#define VTD_FRO			(0x400 / 16)
#define VTD_NFR			(8 - 1)
#define VTD_IRO			(0x500 / 16)
#define VTD_MAMV		18

/* Root entry: two 64-bit halves, one per half of the device functions */
#define VTD_RE_P		BIT_ULL(0)
#define VTD_RE_CTP		GENMASK_ULL(63, 12)
#define VTD_ROOT_WORDS		2
#define VTD_NR_BUSES		256

/* Scalable-mode context entry: 256 bits, words 0..3 */
#define VTD_CE_P		BIT_ULL(0)
#define VTD_CE_FPD		BIT_ULL(1)
#define VTD_CE_DTE		BIT_ULL(2)
#define VTD_CE_PASIDE		BIT_ULL(3)
#define VTD_CE_PRE		BIT_ULL(4)
#define VTD_CE_PDTS		GENMASK_ULL(11, 9)
#define VTD_CE_PDIR		GENMASK_ULL(63, 12)
#define VTD_CE_RID_PASID	GENMASK_ULL(19, 0)	/* word 1 */
#define VTD_CE_WORDS		4
#define VTD_CE_PER_TABLE	128			/* per 4 KiB page */

/* PASID directory entry */
#define VTD_PDE_P		BIT_ULL(0)
#define VTD_PDE_FPD		BIT_ULL(1)
#define VTD_PDE_PTP		GENMASK_ULL(63, 12)
#define VTD_PASIDS_PER_TABLE	64
#define VTD_PDE_SHIFT		6

/* Scalable-mode PASID table entry: 512 bits, words 0..7 */
#define VTD_PE_P		BIT_ULL(0)		/* word 0 */
#define VTD_PE_FPD		BIT_ULL(1)
#define VTD_PE_AW		GENMASK_ULL(4, 2)
#define VTD_PE_PGTT		GENMASK_ULL(8, 6)
#define VTD_PE_SSADE		BIT_ULL(9)
#define VTD_PE_SLPTPTR		GENMASK_ULL(63, 12)
#define VTD_PE_DID		GENMASK_ULL(15, 0)	/* word 1 */
#define VTD_PE_PWSNP		BIT_ULL(23)
#define VTD_PE_PGSNP		BIT_ULL(24)
#define VTD_PE_SRE		BIT_ULL(0)		/* word 2 */
#define VTD_PE_FLPM		GENMASK_ULL(3, 2)
#define VTD_PE_WPE		BIT_ULL(4)
#define VTD_PE_FLPTPTR		GENMASK_ULL(63, 12)
#define VTD_PE_WORDS		8

#define VTD_PGTT_FL		1	/* first-level only */
#define VTD_PGTT_SL		2	/* second-level only */
#define VTD_FLPM_4LVL		0
#define VTD_FLPM_5LVL		1

/* Primary fault recording register: 128 bits */
#define VTD_FR_FI		GENMASK_ULL(63, 12)	/* word 0 */
#define VTD_FR_SID		GENMASK_ULL(15, 0)	/* word 1 */
#define VTD_FR_PP		BIT_ULL(31)
#define VTD_FR_REASON		GENMASK_ULL(39, 32)
#define VTD_FR_PV		GENMASK_ULL(59, 40)
#define VTD_FR_T1		BIT_ULL(62)		/* 1: read, 0: write */
#define VTD_FR_F		BIT_ULL(63)

/* Fault reasons, scalable-mode numbering */
enum vtd_fault_reason {
	VTD_FR_ROOT_NP		= 0x39,	/* root entry present clear */
	VTD_FR_CTX_NP		= 0x41,	/* context entry present clear */
	VTD_FR_CTX_BAD		= 0x43,	/* invalid context entry */
	VTD_FR_PASIDE		= 0x45,	/* PASID request, PASIDE clear */
	VTD_FR_PASID_MAX	= 0x46,	/* PASID beyond PDTS */
	VTD_FR_PDE_NP		= 0x51,	/* PASID directory entry clear */
	VTD_FR_PTE_NP		= 0x59,	/* PASID table entry clear */
	VTD_FR_PTE_BAD		= 0x5b,	/* invalid PASID table entry */
	VTD_FR_FL_ACCESS	= 0x70,	/* error reading a FL entry */
	VTD_FR_FL_NP		= 0x71,	/* FL entry present clear */
	VTD_FR_SL_NP		= 0x79,	/* SL entry with R = W = 0 */
	VTD_FR_SL_PTR		= 0x7b,	/* invalid SLPTPTR */
	VTD_FR_NONCANON		= 0x80,	/* FL input not canonical */
	VTD_FR_ADDR_MAX		= 0x83,	/* input beyond the width */
	VTD_FR_NO_WRITE		= 0x85,
	VTD_FR_NO_READ		= 0x86,
};

/* IOTLB tag, see the top comment */
#define VTD_TAG_PASID		GENMASK_ULL(19, 0)
#define VTD_TAG_DID		GENMASK_ULL(35, 20)
#define VTD_TAG_ALL		(VTD_TAG_DID | VTD_TAG_PASID)

/* The interrupt address range, never usable for DMA */
static const struct iofd_resv_region vtd_resv[] = {
	{ .start = 0xfee00000, .last = 0xfeefffff },
};

struct vtd_unit {
	struct simio_iommu *iommu;
	u64 cap;
	u64 ecap;
	u64 *root;		/* VTD_NR_BUSES root entries */
	spinlock_t lock;	/* attachment lists, context-table install */
	seqlock_t cfg;		/* PASID table entry writes vs. walks */
	struct ida did_ida;
	struct xarray dids;	/* DID -> struct simio_domain */
};

/* One (device, PASID) context a domain is attached to */
struct vtd_att {
	struct list_head node;	/* in vtd_dom.atts, under vu->lock */
	struct simio_dev *sdev;
	u32 pasid;		/* PASID table index, 0 is the RID */
	struct simio_domain *sdom;
};

struct vtd_dom {
	struct list_head atts;
};

struct vtd_dev {
	u64 *ce;		/* the device's context entry */
	u64 *dir;		/* PASID directory */
	unsigned int dir_order;
	unsigned int pdts;
	struct xarray atts;	/* PASID -> struct vtd_att, under sdev->lock */
};

/* What a walk of root/context/PASID tables found for one request */
struct vtd_cfg {
	u64 ce[2];
	u64 pe[VTD_PE_WORDS];
	u32 pasid;		/* the PASID table index used */
};

static inline u64 vtd_tag(u32 did, u32 pasid)
{
	return FIELD_PREP(VTD_TAG_DID, did) | FIELD_PREP(VTD_TAG_PASID, pasid);
}

static inline struct vtd_unit *vtd_unit(struct simio_iommu *iommu)
{
	return iommu->priv;
}

/* ------------------------------------------------------------------ */
/* Registers                                                           */

static u64 vtd_make_cap(const struct simio_caps *c)
{
	u64 sagaw = VTD_SAGAW_4LVL;
	u64 cap;

	if (c->ias > 48)
		sagaw |= VTD_SAGAW_5LVL;

	cap = FIELD_PREP(VTD_CAP_ND, VTD_ND) |
	      FIELD_PREP(VTD_CAP_SAGAW, sagaw) |
	      FIELD_PREP(VTD_CAP_MGAW, c->ias - 1) |
	      FIELD_PREP(VTD_CAP_FRO, VTD_FRO) |
	      VTD_CAP_PSI |
	      FIELD_PREP(VTD_CAP_NFR, VTD_NFR) |
	      FIELD_PREP(VTD_CAP_MAMV, VTD_MAMV);
	if (c->s2)
		cap |= FIELD_PREP(VTD_CAP_SLLPS, VTD_SLLPS_2M | VTD_SLLPS_1G);
	if (c->s1) {
		cap |= VTD_CAP_FL1GP;
		if (c->ias > 48)
			cap |= VTD_CAP_FL5LP;
	}
	return cap;
}

static u64 vtd_make_ecap(const struct simio_caps *c)
{
	u64 ecap = VTD_ECAP_C | VTD_ECAP_QI | VTD_ECAP_IR | VTD_ECAP_PT |
		   VTD_ECAP_SC | FIELD_PREP(VTD_ECAP_IRO, VTD_IRO) |
		   VTD_ECAP_SRS | VTD_ECAP_SMTS | VTD_ECAP_SMPWCS |
		   VTD_ECAP_RPS;

	if (c->ats)
		ecap |= VTD_ECAP_DT;
	if (c->pri)
		ecap |= VTD_ECAP_PRS;
	if (c->s1 && c->s2)
		ecap |= VTD_ECAP_NEST;
	if (c->pasid_bits)
		ecap |= VTD_ECAP_PASID |
			FIELD_PREP(VTD_ECAP_PSS, c->pasid_bits - 1);
	if (c->s2) {
		ecap |= VTD_ECAP_SLTS;
		if (c->dirty)
			ecap |= VTD_ECAP_SLADS;
	}
	if (c->s1)
		ecap |= VTD_ECAP_FLTS;
	return ecap;
}

static int vtd_init(struct simio_iommu *iommu)
{
	const struct simio_caps *c = &iommu->caps;
	struct vtd_unit *vu;

	if (!c->s1 && !c->s2)
		return -EINVAL;
	if (c->ias < 32 || c->ias > 57 || c->oas < 32 || c->oas > 52 ||
	    c->pasid_bits > 20 || !c->tlb_entries)
		return -EINVAL;

	vu = kzalloc(sizeof(*vu), GFP_KERNEL);
	if (!vu)
		return -ENOMEM;
	vu->root = (u64 *)get_zeroed_page(GFP_KERNEL);
	if (!vu->root)
		goto err_free;
	iommu->tlb = simio_tlb_create(c->tlb_entries);
	if (!iommu->tlb)
		goto err_root;

	vu->iommu = iommu;
	vu->cap = vtd_make_cap(c);
	vu->ecap = vtd_make_ecap(c);
	spin_lock_init(&vu->lock);
	seqlock_init(&vu->cfg);
	ida_init(&vu->did_ida);
	xa_init(&vu->dids);
	iommu->priv = vu;
	return 0;

err_root:
	free_page((unsigned long)vu->root);
err_free:
	kfree(vu);
	return -ENOMEM;
}

static void vtd_fini(struct simio_iommu *iommu)
{
	struct vtd_unit *vu = vtd_unit(iommu);
	unsigned int i;

	for (i = 0; i < VTD_NR_BUSES * VTD_ROOT_WORDS; i++)
		if (vu->root[i] & VTD_RE_P)
			free_page((unsigned long)
				  phys_to_virt(vu->root[i] & VTD_RE_CTP));
	free_page((unsigned long)vu->root);
	simio_tlb_destroy(iommu->tlb);
	iommu->tlb = NULL;
	WARN_ON(!xa_empty(&vu->dids));
	xa_destroy(&vu->dids);
	ida_destroy(&vu->did_ida);
	kfree(vu);
	iommu->priv = NULL;
}

static ssize_t vtd_show_caps(struct simio_iommu *iommu, char *buf)
{
	struct vtd_unit *vu = vtd_unit(iommu);

	return sysfs_emit(buf, "CAP=0x%016llx\nECAP=0x%016llx\n",
			  vu->cap, vu->ecap);
}

static void *vtd_hw_info(struct simio_iommu *iommu, u32 *length)
{
	struct vtd_unit *vu = vtd_unit(iommu);
	struct iommu_hw_info_vtd *info;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->cap_reg = vu->cap;
	info->ecap_reg = vu->ecap;
	*length = sizeof(*info);
	return info;
}

/* ------------------------------------------------------------------ */
/* Devices: context entries and PASID tables                           */

/* The PASID table entry for @pasid, NULL if its PASID table is absent */
static u64 *vtd_pasid_entry(struct vtd_dev *vd, u32 pasid)
{
	u64 pde = READ_ONCE(vd->dir[pasid >> VTD_PDE_SHIFT]);
	u64 *table;

	if (!(pde & VTD_PDE_P))
		return NULL;
	table = phys_to_virt(pde & VTD_PDE_PTP);
	return table + (pasid % VTD_PASIDS_PER_TABLE) * VTD_PE_WORDS;
}

/* PASIDs the directory of @vd covers: 2^(PDTS + 7) tables of 64 */
static inline u32 vtd_dir_pasids(struct vtd_dev *vd)
{
	return 1U << (vd->pdts + 7 + VTD_PDE_SHIFT);
}

static int vtd_dev_init(struct simio_dev *sdev)
{
	struct simio_iommu *iommu = sdev->iommu;
	struct vtd_unit *vu = vtd_unit(iommu);
	u8 bus = sdev->sid >> 8, devfn = sdev->sid & 0xff;
	u64 *rootp = &vu->root[bus * VTD_ROOT_WORDS + devfn / 128];
	unsigned int dir_bits;
	struct vtd_dev *vd;
	u64 *ctab = NULL;
	u64 lo;
	int ret;

	if (sdev->sid > 0xffff)
		return -EINVAL;

	vd = kzalloc(sizeof(*vd), GFP_KERNEL);
	if (!vd)
		return -ENOMEM;
	xa_init(&vd->atts);

	/*
	 * The directory covers the device's PASID width; the smallest one
	 * the PDTS field can describe is 128 entries (8192 PASIDs).
	 */
	dir_bits = max(sdev->pasid_bits, 7U + VTD_PDE_SHIFT) - VTD_PDE_SHIFT;
	vd->pdts = dir_bits - 7;
	vd->dir_order = get_order(sizeof(u64) << dir_bits);
	vd->dir = (u64 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
					   vd->dir_order);
	if (!vd->dir) {
		ret = -ENOMEM;
		goto err_vd;
	}

	if (!(READ_ONCE(*rootp) & VTD_RE_P)) {
		ctab = (u64 *)get_zeroed_page(GFP_KERNEL);
		if (!ctab) {
			ret = -ENOMEM;
			goto err_dir;
		}
	}

	spin_lock(&vu->lock);
	if (!(*rootp & VTD_RE_P)) {
		/* the zeroed table is visible before the pointer to it */
		smp_wmb();
		WRITE_ONCE(*rootp, virt_to_phys(ctab) | VTD_RE_P);
		ctab = NULL;
	}
	vd->ce = (u64 *)phys_to_virt(*rootp & VTD_RE_CTP) +
		 (devfn % VTD_CE_PER_TABLE) * VTD_CE_WORDS;
	if (READ_ONCE(vd->ce[0]) & VTD_CE_P) {
		spin_unlock(&vu->lock);
		ret = -EEXIST;
		goto err_ctab;
	}

	lo = virt_to_phys(vd->dir) | FIELD_PREP(VTD_CE_PDTS, vd->pdts) |
	     VTD_CE_P;
	if (sdev->ats && iommu->caps.ats)
		lo |= VTD_CE_DTE;
	if (sdev->pri && iommu->caps.pri)
		lo |= VTD_CE_PRE;
	if (sdev->pasid_bits)
		lo |= VTD_CE_PASIDE;
	/* RID_PASID = 0: requests without PASID use PASID table entry 0 */
	WRITE_ONCE(vd->ce[1], FIELD_PREP(VTD_CE_RID_PASID, 0));
	WRITE_ONCE(vd->ce[2], 0);
	WRITE_ONCE(vd->ce[3], 0);
	/* the upper words are in place before P makes the entry live */
	smp_wmb();
	WRITE_ONCE(vd->ce[0], lo);
	spin_unlock(&vu->lock);

	sdev->priv = vd;
	sdev->hw.resv = vtd_resv;
	sdev->hw.nr_resv = ARRAY_SIZE(vtd_resv);
	/* Dirty tracking is a second-level feature (SLADS) */
	if (!iommu->caps.s2 || !iommu->caps.dirty)
		sdev->hw.flags &= ~IOFD_HW_DEV_DIRTY_TRACKING;
	return 0;

err_ctab:
	if (ctab)
		free_page((unsigned long)ctab);
err_dir:
	free_pages((unsigned long)vd->dir, vd->dir_order);
err_vd:
	kfree(vd);
	return ret;
}

static void vtd_dev_fini(struct simio_dev *sdev)
{
	struct vtd_unit *vu = vtd_unit(sdev->iommu);
	struct vtd_dev *vd = sdev->priv;
	unsigned int i, nr_pde;

	if (!vd)
		return;
	WARN_ON(!xa_empty(&vd->atts));

	spin_lock(&vu->lock);
	WRITE_ONCE(vd->ce[0], 0);
	WRITE_ONCE(vd->ce[1], 0);
	spin_unlock(&vu->lock);
	/* no walk may still be reading the directory or its tables */
	simio_dma_quiesce(sdev->iommu);

	nr_pde = 1U << (vd->pdts + 7);
	for (i = 0; i < nr_pde; i++)
		if (vd->dir[i] & VTD_PDE_P)
			free_page((unsigned long)
				  phys_to_virt(vd->dir[i] & VTD_PDE_PTP));
	free_pages((unsigned long)vd->dir, vd->dir_order);
	xa_destroy(&vd->atts);
	kfree(vd);
	sdev->priv = NULL;
}

/* ------------------------------------------------------------------ */
/* Domains                                                             */

static struct simio_domain *vtd_domain_alloc_paging(struct simio_dev *sdev,
						    u32 flags)
{
	struct simio_iommu *iommu = sdev->iommu;
	const struct simio_caps *c = &iommu->caps;
	struct vtd_unit *vu = vtd_unit(iommu);
	enum simpt_format fmt;
	struct simio_domain *sdom;
	struct vtd_dom *vdom;
	int did, ret;

	if (flags & ~(IOFD_ALLOC_NEST_PARENT | IOFD_ALLOC_DIRTY_TRACKING |
		      IOFD_ALLOC_PASID))
		return ERR_PTR(-EOPNOTSUPP);
	/* A PASID-capable domain needs PASID support (ECAP.PASID) */
	if ((flags & IOFD_ALLOC_PASID) && !c->pasid_bits)
		return ERR_PTR(-EOPNOTSUPP);
	/* A nesting parent needs the NEST capability (both levels) */
	if ((flags & IOFD_ALLOC_NEST_PARENT) && !(c->s1 && c->s2))
		return ERR_PTR(-EOPNOTSUPP);
	/* Hardware dirty bits exist only in second-level tables (SLADS) */
	if ((flags & IOFD_ALLOC_DIRTY_TRACKING) && !(c->s2 && c->dirty))
		return ERR_PTR(-EOPNOTSUPP);

	if (flags & (IOFD_ALLOC_NEST_PARENT | IOFD_ALLOC_DIRTY_TRACKING) ||
	    !c->s1)
		fmt = SIMPT_VTD_SL;
	else
		fmt = SIMPT_VTD_FL;

	sdom = kzalloc(sizeof(*sdom), GFP_KERNEL);
	vdom = kzalloc(sizeof(*vdom), GFP_KERNEL);
	if (!sdom || !vdom) {
		ret = -ENOMEM;
		goto err_free;
	}
	INIT_LIST_HEAD(&vdom->atts);

	did = ida_alloc_range(&vu->did_ida, 1, VTD_NR_DIDS - 1, GFP_KERNEL);
	if (did < 0) {
		ret = did;
		goto err_free;
	}
	sdom->id = did;
	sdom->stage = fmt == SIMPT_VTD_SL ? 2 : 1;
	sdom->priv = vdom;

	ret = simio_domain_init(sdom, iommu, fmt, c->ias, flags);
	if (ret)
		goto err_did;
	ret = xa_err(xa_store(&vu->dids, did, sdom, GFP_KERNEL));
	if (ret) {
		simpt_destroy(&sdom->pt);
		goto err_did;
	}
	return sdom;

err_did:
	ida_free(&vu->did_ida, did);
err_free:
	kfree(vdom);
	kfree(sdom);
	return ERR_PTR(ret);
}

static void vtd_domain_free(struct simio_domain *sdom)
{
	struct vtd_unit *vu = vtd_unit(sdom->iommu);
	struct vtd_dom *vdom = sdom->priv;

	WARN_ON(!list_empty(&vdom->atts));
	xa_erase(&vu->dids, sdom->id);
	/* the DID is reused: nothing cached under it may survive */
	simio_tlb_invalidate(sdom->iommu->tlb, vtd_tag(sdom->id, 0),
			     VTD_TAG_DID, 0, 0);
	ida_free(&vu->did_ida, sdom->id);
	kfree(vdom);
	sdom->priv = NULL;
}

/* The PASID table entry that makes @sdom the translation of a context */
static void vtd_make_pasid_entry(struct simio_domain *sdom,
				 u64 pe[VTD_PE_WORDS])
{
	u64 root = virt_to_phys(sdom->pt.root);

	memset(pe, 0, sizeof(u64) * VTD_PE_WORDS);
	/* AW: 2 for a 4-level (48-bit), 3 for a 5-level (57-bit) table */
	pe[0] = FIELD_PREP(VTD_PE_AW, sdom->pt.levels - 2);
	pe[1] = FIELD_PREP(VTD_PE_DID, sdom->id) | VTD_PE_PWSNP;
	if (sdom->dom.enforce_cache_coherency)
		pe[1] |= VTD_PE_PGSNP;

	if (sdom->pt.fmt == SIMPT_VTD_FL) {
		pe[0] |= FIELD_PREP(VTD_PE_PGTT, VTD_PGTT_FL);
		pe[2] = (root & VTD_PE_FLPTPTR) |
			FIELD_PREP(VTD_PE_FLPM, sdom->pt.levels == 5 ?
				   VTD_FLPM_5LVL : VTD_FLPM_4LVL);
	} else {
		pe[0] |= FIELD_PREP(VTD_PE_PGTT, VTD_PGTT_SL) |
			 (root & VTD_PE_SLPTPTR);
		if (sdom->dirty_enabled)
			pe[0] |= VTD_PE_SSADE;
	}
	pe[0] |= VTD_PE_P;
}

static void vtd_write_pasid_entry(struct vtd_unit *vu, u64 *dst,
				  const u64 src[VTD_PE_WORDS])
{
	unsigned int i;

	write_seqlock(&vu->cfg);
	for (i = 0; i < VTD_PE_WORDS; i++)
		WRITE_ONCE(dst[i], src[i]);
	write_sequnlock(&vu->cfg);
}

/* PASID table index of a request: IOFD_NO_PASID is the RID (RID_PASID) */
static int vtd_pasid_index(struct simio_dev *sdev, u32 pasid, u32 *idx)
{
	struct vtd_dev *vd = sdev->priv;

	if (pasid == IOFD_NO_PASID) {
		*idx = 0;
		return 0;
	}
	if (!sdev->pasid_bits || pasid >= (1U << sdev->pasid_bits) ||
	    pasid >= vtd_dir_pasids(vd))
		return -EINVAL;
	*idx = pasid;
	return 0;
}

static int vtd_attach(struct simio_dev *sdev, u32 pasid,
		      struct simio_domain *sdom)
{
	struct simio_iommu *iommu = sdev->iommu;
	struct vtd_unit *vu = vtd_unit(iommu);
	struct vtd_dev *vd = sdev->priv;
	u64 pe[VTD_PE_WORDS] = {};
	struct vtd_att *att, *new_att = NULL;
	u64 *table = NULL, *entry;
	u64 *pdep;
	u32 idx, old_did = 0;
	bool was_present;
	int ret;

	/* PASID 0 is the RID's (RID_PASID), never attached by number */
	if (pasid == 0)
		return sdom ? -EINVAL : 0;
	ret = vtd_pasid_index(sdev, pasid, &idx);
	if (ret)
		return sdom ? ret : 0;
	if (sdom && sdom->iommu != iommu)
		return -EINVAL;

	att = xa_load(&vd->atts, idx);
	if (!sdom && !att)
		return 0;

	pdep = &vd->dir[idx >> VTD_PDE_SHIFT];
	if (!(READ_ONCE(*pdep) & VTD_PDE_P)) {
		table = (u64 *)get_zeroed_page(GFP_KERNEL);
		if (!table)
			return -ENOMEM;
	}
	if (sdom && !att) {
		new_att = kzalloc(sizeof(*new_att), GFP_KERNEL);
		if (!new_att) {
			ret = -ENOMEM;
			goto err_table;
		}
		new_att->sdev = sdev;
		new_att->pasid = idx;
		ret = xa_err(xa_store(&vd->atts, idx, new_att, GFP_KERNEL));
		if (ret)
			goto err_att;
	}

	spin_lock(&vu->lock);
	if (table) {
		/* a walk that sees the pointer sees a zeroed table */
		smp_wmb();
		WRITE_ONCE(*pdep, virt_to_phys(table) | VTD_PDE_P);
		table = NULL;
	}
	entry = vtd_pasid_entry(vd, idx);
	was_present = READ_ONCE(entry[0]) & VTD_PE_P;
	if (was_present)
		old_did = FIELD_GET(VTD_PE_DID, READ_ONCE(entry[1]));

	if (sdom)
		vtd_make_pasid_entry(sdom, pe);
	/* not present (all zero) blocks every request of the context */
	vtd_write_pasid_entry(vu, entry, pe);

	if (att)
		list_del(&att->node);
	else
		att = new_att;
	if (sdom) {
		struct vtd_dom *vdom = sdom->priv;

		att->sdom = sdom;
		list_add_tail(&att->node, &vdom->atts);
	}
	spin_unlock(&vu->lock);

	/*
	 * No DMA uses the old entry once the quiesce returns; only then
	 * can the PASID-selective invalidation of the old (DID, PASID)
	 * be sure nothing refills it (there is no separate PASID cache:
	 * each walk reads the entry afresh).
	 */
	simio_dma_quiesce(iommu);
	if (was_present)
		simio_tlb_invalidate(iommu->tlb, vtd_tag(old_did, idx),
				     VTD_TAG_ALL, 0, 0);

	if (!sdom) {
		xa_erase(&vd->atts, idx);
		kfree(att);
	}
	return 0;

err_att:
	kfree(new_att);
err_table:
	if (table)
		free_page((unsigned long)table);
	return ret;
}

static struct simio_domain *vtd_lookup_domain(struct simio_dev *sdev,
					      u32 pasid)
{
	struct vtd_dev *vd = sdev->priv;
	struct vtd_att *att;
	u32 idx;

	if (!vd || vtd_pasid_index(sdev, pasid, &idx))
		return NULL;
	att = xa_load(&vd->atts, idx);
	return att ? att->sdom : NULL;
}

static int vtd_set_dirty_tracking(struct simio_domain *sdom, bool enable)
{
	struct simio_iommu *iommu = sdom->iommu;
	struct vtd_unit *vu = vtd_unit(iommu);
	struct vtd_dom *vdom = sdom->priv;
	struct vtd_att *att;

	if (sdom->pt.fmt != SIMPT_VTD_SL || !iommu->caps.dirty)
		return -EOPNOTSUPP;

	spin_lock(&vu->lock);
	sdom->dirty_enabled = enable;
	list_for_each_entry(att, &vdom->atts, node) {
		struct vtd_dev *vd = att->sdev->priv;
		u64 *entry = vtd_pasid_entry(vd, att->pasid);
		u64 w0;

		if (WARN_ON(!entry))
			continue;
		write_seqlock(&vu->cfg);
		w0 = READ_ONCE(entry[0]) & ~VTD_PE_SSADE;
		if (enable)
			w0 |= VTD_PE_SSADE;
		WRITE_ONCE(entry[0], w0);
		write_sequnlock(&vu->cfg);
	}
	spin_unlock(&vu->lock);

	/*
	 * IOTLB entries filled without SSADE would let writes through
	 * without setting D: drop them once no DMA uses the old entries.
	 */
	simio_dma_quiesce(iommu);
	simio_tlb_invalidate(iommu->tlb, vtd_tag(sdom->id, 0), VTD_TAG_DID,
			     0, 0);
	return 0;
}

/* Domain-selective IOTLB invalidation: the DID, every PASID */
static void vtd_flush(struct simio_domain *sdom, u64 iova, u64 size)
{
	simio_tlb_invalidate(sdom->iommu->tlb, vtd_tag(sdom->id, 0),
			     VTD_TAG_DID, iova, size);
}

/* ------------------------------------------------------------------ */
/* The hardware: configuration walk, IOTLB, page walk, fault records   */

static void vtd_fault(struct simio_fault *f, u32 kind, u8 reason, u16 sid,
		      bool has_pasid, u32 pasid, u64 iova, bool write)
{
	u64 hi = FIELD_PREP(VTD_FR_SID, sid) |
		 FIELD_PREP(VTD_FR_REASON, reason) | VTD_FR_F;

	if (has_pasid)
		hi |= VTD_FR_PP | FIELD_PREP(VTD_FR_PV, pasid);
	if (!write)
		hi |= VTD_FR_T1;

	f->kind = kind;
	f->record_len = 16;
	f->addr = iova;
	f->record[0] = cpu_to_le64(iova & VTD_FR_FI);
	f->record[1] = cpu_to_le64(hi);
	f->record[2] = 0;
	f->record[3] = 0;
}

/*
 * Root entry -> context entry -> PASID directory -> PASID table entry.
 * Returns 0 or a fault reason with *kind set. Called in a seqlock read
 * section: every table it reads stays allocated (see the top comment).
 */
static u8 vtd_walk_cfg(struct vtd_unit *vu, u16 sid, bool has_pasid,
		       u32 pasid, struct vtd_cfg *cfg, u32 *kind)
{
	u8 bus = sid >> 8, devfn = sid & 0xff;
	u64 re, *ce, *dir, pde, *table, *pe;
	unsigned int i;
	u32 idx;

	re = READ_ONCE(vu->root[bus * VTD_ROOT_WORDS + devfn / 128]);
	if (!(re & VTD_RE_P)) {
		*kind = IOMMUSIM_FAULT_BLOCKED;
		return VTD_FR_ROOT_NP;
	}
	ce = (u64 *)phys_to_virt(re & VTD_RE_CTP) +
	     (devfn % VTD_CE_PER_TABLE) * VTD_CE_WORDS;
	cfg->ce[0] = READ_ONCE(ce[0]);
	cfg->ce[1] = READ_ONCE(ce[1]);
	if (!(cfg->ce[0] & VTD_CE_P)) {
		*kind = IOMMUSIM_FAULT_BLOCKED;
		return VTD_FR_CTX_NP;
	}

	if (has_pasid) {
		if (!(cfg->ce[0] & VTD_CE_PASIDE)) {
			*kind = IOMMUSIM_FAULT_BAD_PASID;
			return VTD_FR_PASIDE;
		}
		idx = pasid;
	} else {
		idx = FIELD_GET(VTD_CE_RID_PASID, cfg->ce[1]);
	}
	if (idx >> (FIELD_GET(VTD_CE_PDTS, cfg->ce[0]) + 7 + VTD_PDE_SHIFT)) {
		*kind = IOMMUSIM_FAULT_BAD_PASID;
		return VTD_FR_PASID_MAX;
	}
	cfg->pasid = idx;

	dir = phys_to_virt(cfg->ce[0] & VTD_CE_PDIR);
	pde = READ_ONCE(dir[idx >> VTD_PDE_SHIFT]);
	if (!(pde & VTD_PDE_P)) {
		*kind = IOMMUSIM_FAULT_BLOCKED;
		return VTD_FR_PDE_NP;
	}
	table = phys_to_virt(pde & VTD_PDE_PTP);
	pe = table + (idx % VTD_PASIDS_PER_TABLE) * VTD_PE_WORDS;
	for (i = 0; i < VTD_PE_WORDS; i++)
		cfg->pe[i] = READ_ONCE(pe[i]);
	if (!(cfg->pe[0] & VTD_PE_P)) {
		*kind = IOMMUSIM_FAULT_BLOCKED;
		return VTD_FR_PTE_NP;
	}
	return 0;
}

static u8 vtd_read_cfg(struct vtd_unit *vu, u16 sid, bool has_pasid,
		       u32 pasid, struct vtd_cfg *cfg, u32 *kind)
{
	unsigned int seq;
	u8 reason;

	do {
		seq = read_seqbegin(&vu->cfg);
		reason = vtd_walk_cfg(vu, sid, has_pasid, pasid, cfg, kind);
	} while (read_seqretry(&vu->cfg, seq));
	return reason;
}

/*
 * The domain a PASID table entry points to: its DID names it, and the
 * table pointer and paging mode of the entry must be that domain's.
 */
static struct simio_domain *vtd_entry_domain(struct vtd_unit *vu,
					     const struct vtd_cfg *cfg,
					     u8 *reason)
{
	u32 pgtt = FIELD_GET(VTD_PE_PGTT, cfg->pe[0]);
	u32 did = FIELD_GET(VTD_PE_DID, cfg->pe[1]);
	struct simio_domain *sdom = xa_load(&vu->dids, did);
	bool fl5 = FIELD_GET(VTD_PE_FLPM, cfg->pe[2]) == VTD_FLPM_5LVL;
	bool pt5 = sdom && sdom->pt.levels == 5;
	u64 root;

	if (!sdom) {
		*reason = VTD_FR_PTE_BAD;
		return NULL;
	}
	root = virt_to_phys(sdom->pt.root);
	switch (pgtt) {
	case VTD_PGTT_FL:
		if (sdom->pt.fmt != SIMPT_VTD_FL ||
		    (cfg->pe[2] & VTD_PE_FLPTPTR) != root ||
		    fl5 != pt5) {
			*reason = VTD_FR_PTE_BAD;
			return NULL;
		}
		return sdom;
	case VTD_PGTT_SL:
		if (sdom->pt.fmt != SIMPT_VTD_SL ||
		    (cfg->pe[0] & VTD_PE_SLPTPTR) != root ||
		    FIELD_GET(VTD_PE_AW, cfg->pe[0]) + 2 != sdom->pt.levels) {
			*reason = VTD_FR_SL_PTR;
			return NULL;
		}
		return sdom;
	default:
		*reason = VTD_FR_PTE_BAD;
		return NULL;
	}
}

/* A first-level input address must be canonical for its paging mode */
static bool vtd_fl_canonical(u64 iova, unsigned int levels)
{
	unsigned int top = levels == 5 ? 56 : 47;

	return (u64)sign_extend64(iova, top) == iova;
}

static int vtd_translate(struct simio_dev *sdev, u32 pasid, u64 iova,
			 bool write, struct simio_xlate *out,
			 struct simio_fault *fault)
{
	struct simio_iommu *iommu = sdev->iommu;
	struct vtd_unit *vu = vtd_unit(iommu);
	bool has_pasid = pasid != IOFD_NO_PASID;
	struct simio_tlb_entry e;
	struct simio_domain *sdom;
	struct simpt_walk w;
	struct vtd_cfg cfg;
	unsigned int access;
	u32 kind = IOMMUSIM_FAULT_BAD_CONFIG;
	bool fl, hw_dirty;
	u8 reason;
	u64 tag;
	int ret;

	reason = vtd_read_cfg(vu, sdev->sid, has_pasid, pasid, &cfg, &kind);
	if (reason)
		goto fault;
	sdom = vtd_entry_domain(vu, &cfg, &reason);
	if (!sdom) {
		kind = IOMMUSIM_FAULT_BAD_CONFIG;
		goto fault;
	}

	fl = sdom->pt.fmt == SIMPT_VTD_FL;
	/* first level always updates A/D; second level only with SSADE */
	hw_dirty = fl || (cfg.pe[0] & VTD_PE_SSADE);
	tag = vtd_tag(FIELD_GET(VTD_PE_DID, cfg.pe[1]), cfg.pasid);

	if (simio_tlb_lookup(iommu->tlb, tag, iova, &e)) {
		if (write && !(e.perm & SIMPT_WRITE)) {
			kind = IOMMUSIM_FAULT_PERMISSION;
			reason = VTD_FR_NO_WRITE;
			goto fault;
		}
		if (!write && !(e.perm & SIMPT_READ)) {
			kind = IOMMUSIM_FAULT_PERMISSION;
			reason = VTD_FR_NO_READ;
			goto fault;
		}
		/* the first write through a clean entry must set D */
		if (!(write && hw_dirty && !e.dirty))
			goto done;
	}

	if (fl && !vtd_fl_canonical(iova, sdom->pt.levels)) {
		kind = IOMMUSIM_FAULT_ADDR_SIZE;
		reason = VTD_FR_NONCANON;
		goto fault;
	}
	access = write ? SIMPT_ACC_WRITE : SIMPT_ACC_READ;
	if (hw_dirty)
		access |= SIMPT_ACC_HW_DIRTY;
	ret = simpt_hw_walk(&sdom->pt, iova, access, &w);
	switch (ret) {
	case 0:
		break;
	case -ENOENT:
		kind = IOMMUSIM_FAULT_TRANSLATION;
		reason = fl ? VTD_FR_FL_NP : VTD_FR_SL_NP;
		goto fault;
	case -EACCES:
		kind = IOMMUSIM_FAULT_PERMISSION;
		reason = write ? VTD_FR_NO_WRITE : VTD_FR_NO_READ;
		goto fault;
	case -ERANGE:
		kind = IOMMUSIM_FAULT_ADDR_SIZE;
		reason = VTD_FR_ADDR_MAX;
		goto fault;
	default:
		kind = IOMMUSIM_FAULT_BAD_CONFIG;
		reason = fl ? VTD_FR_FL_ACCESS : VTD_FR_SL_PTR;
		goto fault;
	}

	e.tag = tag;
	e.page_size = w.page_size;
	e.iova = iova & ~(w.page_size - 1);
	e.phys = w.phys - (iova - e.iova);
	e.level = w.level;
	e.perm = w.perm;
	e.dirty = w.dirty;
	simio_tlb_insert(iommu->tlb, &e);

done:
	out->phys = e.phys + (iova - e.iova);
	out->len = e.iova + e.page_size - iova;
	return 0;

fault:
	vtd_fault(fault, kind, reason, sdev->sid, has_pasid, pasid, iova,
		  write);
	return -EIO;
}

/* ------------------------------------------------------------------ */
/* Test hooks                                                          */

static int vtd_ctx_entry(struct simio_dev *sdev, u32 pasid, u64 *ste,
			 u32 *nr_ste, u64 *cd, u32 *nr_cd, u64 *root)
{
	struct vtd_unit *vu = vtd_unit(sdev->iommu);
	struct vtd_dev *vd = sdev->priv;
	u64 *entry;
	unsigned int i, seq;
	u32 idx;
	int ret;

	ret = vtd_pasid_index(sdev, pasid, &idx);
	if (ret)
		return ret;

	do {
		seq = read_seqbegin(&vu->cfg);
		for (i = 0; i < VTD_CE_WORDS; i++)
			ste[i] = READ_ONCE(vd->ce[i]);
		entry = vtd_pasid_entry(vd, idx);
		for (i = 0; i < VTD_PE_WORDS; i++)
			cd[i] = entry ? READ_ONCE(entry[i]) : 0;
	} while (read_seqretry(&vu->cfg, seq));

	*nr_ste = VTD_CE_WORDS;
	*nr_cd = VTD_PE_WORDS;
	*root = 0;
	if (cd[0] & VTD_PE_P) {
		if (FIELD_GET(VTD_PE_PGTT, cd[0]) == VTD_PGTT_FL)
			*root = cd[2] & VTD_PE_FLPTPTR;
		else
			*root = cd[0] & VTD_PE_SLPTPTR;
	}
	return 0;
}

/* PASID-selective IOTLB invalidation for the context's (DID, PASID) */
static int vtd_invalidate(struct simio_dev *sdev, u32 pasid, u64 iova,
			  u64 size)
{
	struct vtd_dev *vd = sdev->priv;
	u64 *entry;
	u64 w0, w1;
	u32 idx;
	int ret;

	ret = vtd_pasid_index(sdev, pasid, &idx);
	if (ret)
		return ret;
	/* sdev->lock is held: no attach can rewrite the entry meanwhile */
	entry = vtd_pasid_entry(vd, idx);
	if (!entry)
		return 0;
	w0 = READ_ONCE(entry[0]);
	w1 = READ_ONCE(entry[1]);
	if (!(w0 & VTD_PE_P))
		return 0;
	simio_tlb_invalidate(sdev->iommu->tlb,
			     vtd_tag(FIELD_GET(VTD_PE_DID, w1), idx),
			     VTD_TAG_ALL, iova, size);
	return 0;
}

const struct simio_family_ops simio_vtd_ops = {
	.name = "vtd",
	.hw_info_type = IOMMU_HW_INFO_TYPE_INTEL_VTD,
	.init = vtd_init,
	.fini = vtd_fini,
	.show_caps = vtd_show_caps,
	.hw_info = vtd_hw_info,
	.dev_init = vtd_dev_init,
	.dev_fini = vtd_dev_fini,
	.domain_alloc_paging = vtd_domain_alloc_paging,
	.domain_free = vtd_domain_free,
	.attach = vtd_attach,
	.translate = vtd_translate,
	.flush = vtd_flush,
	.ctx_entry = vtd_ctx_entry,
	.invalidate = vtd_invalidate,
	.lookup_domain = vtd_lookup_domain,
	.set_dirty_tracking = vtd_set_dirty_tracking,
};
