// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommusim: the SMMUv3 family.
 *
 * The instance keeps its configuration in the architecture's in-memory
 * formats and translates by reading them back, as the hardware does:
 *
 *  - a 2-level stream table (SMMU_IDR0.ST_LEVEL = 2-level, SIDSIZE 16,
 *    split 8): 256 L1 descriptors, each pointing at an array of 256
 *    64-byte STEs allocated when the first device of that span appears.
 *    Every STE of a fresh array is a valid abort STE.
 *  - one context descriptor table per device when stage 1 exists: linear
 *    (S1Fmt 0) for up to 10 SSID bits, otherwise 2-level with 64 KiB
 *    leaves of 1024 CDs (S1Fmt 2, IDR0.CD2L), leaves allocated on demand.
 *  - stage-1 domains have an ASID, stage-2 domains a VMID (16-bit IDAs,
 *    0 never used: VMID 0 is what stage-1 STEs carry in S2VMID).
 *
 * The translate path reads the STE through the L1 descriptor, the CD
 * through S1ContextPtr, and finds the page table by the address in
 * TTB0/S2TTB (a map from table root to domain); the per-device shadow
 * only records what is attached, for bookkeeping and lookup_domain.
 *
 * A device's STE and CD table are written under its cfg_seq seqlock and
 * read by translate inside one read section, so a translation sees either
 * the old or the new configuration as a whole (the real driver gets the
 * same effect with hitless STE updates and CMD_CFGI_* + CMD_SYNC).
 *
 * IOTLB tag packing (struct simio_tlb_entry.tag):
 *   bits 15:0  ASID (stage-1 entries; 0 in stage-2 entries)
 *   bits 31:16 VMID (STE.S2VMID: the domain's VMID for stage 2, 0 for
 *              stage-1-only streams)
 *   bits 33:32 stage: 1 = stage 1 (non-hypervisor), 2 = stage 2
 * so TLBI by ASID, by VMID or by VA is one (tag, all-ones mask) match.
 *
 * Dirty tracking: ARM's writable-clean encoding (DBM with AP[2]/S2AP[1]
 * read-only) faults writes unless the context enables hardware dirty
 * update, so CD.HD/HA or STE.S2HD/S2HA are set whenever a dirty-capable
 * domain is attached and set_dirty_tracking only records the state, as
 * Linux's SMMUv3 driver does.
 *
 * Faults (enum iommusim_fault_kind, event record):
 *   STE.Config abort (nothing attached)       BLOCKED, none
 *   RID blocked, PASIDs live (S1DSS abort)    BLOCKED, F_STREAM_DISABLED
 *   SSID nothing is attached at (CD.V = 0,    BLOCKED, C_BAD_CD /
 *   or its L1CD.V = 0)                        C_BAD_SUBSTREAMID
 *   SSID beyond S1CDMax, or on a stream       BAD_PASID, C_BAD_SUBSTREAMID
 *   without stage 1
 *   malformed STE / CD                        BAD_CONFIG, C_BAD_STE / C_BAD_CD
 *   IOVA beyond 64 - T0SZ / S2T0SZ bits       ADDR_SIZE, F_ADDR_SIZE (the
 *                                             uAPI's kind for it)
 *   no leaf / leaf forbids the access         TRANSLATION / PERMISSION,
 *                                             F_TRANSLATION / F_PERMISSION
 * Records carry SSV/SubstreamID, StreamID, RnW, CLASS = IN (InD = PnU = 0:
 * unprivileged data accesses), InputAddr and, for stage-2 faults, S2 and
 * the IPA; nothing is recorded when CD.R / STE.S2R is clear.
 */
#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/idr.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/seqlock.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sysfs.h>
#include <linux/xarray.h>
#include <uapi/linux/iommufd.h>
#include <uapi/linux/iommusim.h>

#include "iommusim.h"

/* ------------------------------------------------------------------ */
/* Register and descriptor fields (names follow the specification)     */

#define SV3_IDR0_S2P		BIT(0)
#define SV3_IDR0_S1P		BIT(1)
#define SV3_IDR0_TTF		GENMASK(3, 2)
#define SV3_IDR0_TTF_AARCH64	2
#define SV3_IDR0_COHACC		BIT(4)
#define SV3_IDR0_HTTU		GENMASK(7, 6)
#define SV3_IDR0_HTTU_AD	2	/* access flag and dirty state */
#define SV3_IDR0_ATS		BIT(10)
#define SV3_IDR0_ASID16		BIT(12)
#define SV3_IDR0_MSI		BIT(13)
#define SV3_IDR0_PRI		BIT(16)
#define SV3_IDR0_VMID16		BIT(18)
#define SV3_IDR0_CD2L		BIT(19)
#define SV3_IDR0_TTENDIAN	GENMASK(22, 21)
#define SV3_IDR0_TTENDIAN_LE	2
#define SV3_IDR0_STALL_MODEL	GENMASK(25, 24)
#define SV3_IDR0_STALL_NONE	1	/* stalling faults not supported */
#define SV3_IDR0_TERM_MODEL	BIT(26)	/* terminate = abort only */
#define SV3_IDR0_ST_LEVEL	GENMASK(28, 27)
#define SV3_IDR0_ST_LEVEL_2LVL	1

#define SV3_IDR1_SIDSIZE	GENMASK(5, 0)
#define SV3_IDR1_SSIDSIZE	GENMASK(10, 6)
#define SV3_IDR1_PRIQS		GENMASK(15, 11)
#define SV3_IDR1_EVENTQS	GENMASK(20, 16)
#define SV3_IDR1_CMDQS		GENMASK(25, 21)

#define SV3_IDR3_RIL		BIT(10)

#define SV3_IDR5_OAS		GENMASK(2, 0)
#define SV3_IDR5_GRAN4K		BIT(4)

/* log2 of the queue sizes advertised in IDR1 */
#define SV3_CMDQ_LOG2		8
#define SV3_EVTQ_LOG2		7
#define SV3_PRIQ_LOG2		7

/*
 * IIDR: ProductID 0x51d, Variant 0, Revision 1, Implementer 0 (no JEP106
 * code: this is a simulator, so no erratum keyed on a real part applies).
 */
#define SV3_IIDR		0x51d01000U
/* AIDR: ArchMajorRev 0 (SMMUv3), ArchMinorRev 2 (SMMUv3.2) */
#define SV3_AIDR		0x02U

/* Stream table */
#define SV3_SID_BITS		16
#define SV3_ST_SPLIT		8
#define SV3_ST_L1_NUM		BIT(SV3_SID_BITS - SV3_ST_SPLIT)
#define SV3_ST_L2_NUM		BIT(SV3_ST_SPLIT)
#define SV3_STE_WORDS		8
#define SV3_ST_L2_SIZE		(SV3_ST_L2_NUM * SV3_STE_WORDS * sizeof(u64))

#define SV3_L1STD_SPAN		GENMASK_ULL(4, 0)
#define SV3_L1STD_L2PTR		GENMASK_ULL(51, 6)

#define SV3_STE0_V		BIT_ULL(0)
#define SV3_STE0_CONFIG		GENMASK_ULL(3, 1)
#define SV3_CONFIG_ABORT	0
#define SV3_CONFIG_BYPASS	4
#define SV3_CONFIG_S1		5
#define SV3_CONFIG_S2		6
#define SV3_STE0_S1FMT		GENMASK_ULL(5, 4)
#define SV3_S1FMT_LINEAR	0
#define SV3_S1FMT_2LVL_64K	2
#define SV3_STE0_S1CTXPTR	GENMASK_ULL(51, 6)
#define SV3_STE0_S1CDMAX	GENMASK_ULL(63, 59)

#define SV3_STE1_S1DSS		GENMASK_ULL(1, 0)
#define SV3_S1DSS_TERMINATE	0
#define SV3_S1DSS_BYPASS	1
#define SV3_S1DSS_SSID0		2
#define SV3_STE1_S1CIR		GENMASK_ULL(3, 2)
#define SV3_STE1_S1COR		GENMASK_ULL(5, 4)
#define SV3_STE1_S1CSH		GENMASK_ULL(7, 6)
#define SV3_STE1_EATS		GENMASK_ULL(29, 28)
#define SV3_EATS_TRANS		1

#define SV3_STE2_S2VMID		GENMASK_ULL(15, 0)
#define SV3_STE2_S2T0SZ		GENMASK_ULL(37, 32)
#define SV3_STE2_S2SL0		GENMASK_ULL(39, 38)
#define SV3_STE2_S2IR0		GENMASK_ULL(41, 40)
#define SV3_STE2_S2OR0		GENMASK_ULL(43, 42)
#define SV3_STE2_S2SH0		GENMASK_ULL(45, 44)
#define SV3_STE2_S2TG		GENMASK_ULL(47, 46)
#define SV3_STE2_S2PS		GENMASK_ULL(50, 48)
#define SV3_STE2_S2AA64		BIT_ULL(51)
#define SV3_STE2_S2PTW		BIT_ULL(54)
#define SV3_STE2_S2HD		BIT_ULL(55)
#define SV3_STE2_S2HA		BIT_ULL(56)
#define SV3_STE2_S2R		BIT_ULL(58)
#define SV3_STE3_S2TTB		GENMASK_ULL(51, 4)

/* Cacheability and shareability encodings of STE/CD table attributes */
#define SV3_CACHE_WBRA		1
#define SV3_SH_ISH		3
#define SV3_TG_4K		0

/* Context descriptors */
#define SV3_CD_WORDS		8
#define SV3_CD_SIZE		(SV3_CD_WORDS * sizeof(u64))
#define SV3_CD_LINEAR_BITS	10	/* above: 2-level, 64 KiB leaves */
#define SV3_CD_LEAF_BITS	10
#define SV3_CD_LEAF_SIZE	((1U << SV3_CD_LEAF_BITS) * SV3_CD_SIZE)

#define SV3_L1CD_V		BIT_ULL(0)
#define SV3_L1CD_L2PTR		GENMASK_ULL(51, 12)

#define SV3_CD0_T0SZ		GENMASK_ULL(5, 0)
#define SV3_CD0_TG0		GENMASK_ULL(7, 6)
#define SV3_CD0_IR0		GENMASK_ULL(9, 8)
#define SV3_CD0_OR0		GENMASK_ULL(11, 10)
#define SV3_CD0_SH0		GENMASK_ULL(13, 12)
#define SV3_CD0_EPD1		BIT_ULL(30)
#define SV3_CD0_V		BIT_ULL(31)
#define SV3_CD0_IPS		GENMASK_ULL(34, 32)
#define SV3_CD0_AA64		BIT_ULL(41)
#define SV3_CD0_HD		BIT_ULL(42)
#define SV3_CD0_HA		BIT_ULL(43)
#define SV3_CD0_R		BIT_ULL(45)
#define SV3_CD0_A		BIT_ULL(46)
#define SV3_CD0_ASET		BIT_ULL(47)
#define SV3_CD0_ASID		GENMASK_ULL(63, 48)
#define SV3_CD1_TTB0		GENMASK_ULL(51, 4)
#define SV3_CD3_MAIR		3	/* word holding MAIR0 | MAIR1 << 32 */

/* Event records */
#define SV3_EVT_F_STREAM_DISABLED	0x06
#define SV3_EVT_C_BAD_STE		0x04
#define SV3_EVT_C_BAD_SUBSTREAMID	0x08
#define SV3_EVT_C_BAD_CD		0x0a
#define SV3_EVT_F_TRANSLATION		0x10
#define SV3_EVT_F_ADDR_SIZE		0x11
#define SV3_EVT_F_PERMISSION		0x13

#define SV3_EVT0_ID		GENMASK_ULL(7, 0)
#define SV3_EVT0_SSV		BIT_ULL(11)
#define SV3_EVT0_SSID		GENMASK_ULL(31, 12)
#define SV3_EVT0_SID		GENMASK_ULL(63, 32)
#define SV3_EVT1_PNU		BIT_ULL(33)
#define SV3_EVT1_IND		BIT_ULL(34)
#define SV3_EVT1_RNW		BIT_ULL(35)
#define SV3_EVT1_S2		BIT_ULL(39)
#define SV3_EVT1_CLASS		GENMASK_ULL(41, 40)
#define SV3_EVT_CLASS_IN	2	/* the input address itself */
#define SV3_EVT3_IPA		GENMASK_ULL(51, 12)

/* IOTLB tag, see the top comment */
#define SV3_TAG_ASID		GENMASK_ULL(15, 0)
#define SV3_TAG_VMID		GENMASK_ULL(31, 16)
#define SV3_TAG_STAGE		GENMASK_ULL(33, 32)

#define SV3_ID_MAX		U16_MAX	/* ASID16 / VMID16 */

/* The software MSI window Linux reserves on SMMUv3 systems */
static const struct iofd_resv_region sv3_msi_window = {
	.start = 0x08000000UL,
	.last = 0x080fffffUL,
};

/* ------------------------------------------------------------------ */
/* State                                                               */

/**
 * struct sv3_iommu - SMMUv3 state of one instance (simio_iommu.priv)
 * @idr: SMMU_IDR0..5
 * @iidr: SMMU_IIDR
 * @aidr: SMMU_AIDR
 * @l1: the L1 stream table descriptors (what STRTAB_BASE points at)
 * @l2: kernel addresses of the L2 STE arrays, by L1 index
 * @st_lock: allocation of L2 arrays
 * @asids: stage-1 ASIDs
 * @vmids: stage-2 VMIDs
 * @roots: page-frame number of a table root -> its simio_domain, so the
 *	   walk follows TTB0/S2TTB as written in the CD/STE
 * @attach_lock: every domain's list of attached contexts
 */
struct sv3_iommu {
	u32 idr[6];
	u32 iidr;
	u32 aidr;
	__le64 *l1;
	__le64 *l2[SV3_ST_L1_NUM];
	struct mutex st_lock;		/* allocation of @l2 arrays */
	struct ida asids;
	struct ida vmids;
	struct xarray roots;
	spinlock_t attach_lock;		/* every sv3_domain.ctxs list */
};

/**
 * struct sv3_cdtab - the context descriptor table of one device
 * @base: linear CD array, or the L1CD descriptors when @two_level
 * @base_size: bytes of @base
 * @cdmax: log2 of the number of CDs (STE.S1CDMax)
 * @two_level: S1Fmt 2 (64 KiB leaves)
 * @nr_l1: L1CD descriptors when @two_level
 * @leaves: kernel addresses of the leaves, by L1 index
 */
struct sv3_cdtab {
	__le64 *base;
	size_t base_size;
	unsigned int cdmax;
	bool two_level;
	unsigned int nr_l1;
	__le64 **leaves;
};

struct sv3_master;

/* One attached context: (device, SSID) -> domain; SSID 0 is the RID */
struct sv3_ctx {
	struct list_head dom_node;
	struct sv3_master *master;
	struct simio_domain *sdom;
	u32 ssid;
};

/**
 * struct sv3_master - SMMUv3 state of one device (simio_dev.priv)
 * @sdev: the device
 * @ste: its STE, 8 little-endian words in the L2 array
 * @cfg_seq: writers of @ste and the CD table hold it; translate reads both
 *	     inside one read section
 * @cdt: its CD table (base NULL without stage 1)
 * @rid: what is attached at the RID (CD 0 or the STE's stage 2), or NULL
 * @pasids: SSID -> struct sv3_ctx for the PASIDs attached
 * @nr_pasids: entries in @pasids
 */
struct sv3_master {
	struct simio_dev *sdev;
	__le64 *ste;
	seqlock_t cfg_seq;
	struct sv3_cdtab cdt;
	struct sv3_ctx *rid;
	struct xarray pasids;
	unsigned int nr_pasids;
};

/* simio_domain.priv: the contexts the domain is attached to */
struct sv3_domain {
	struct list_head ctxs;
};

static struct sv3_iommu *to_sv3(struct simio_iommu *iommu)
{
	return iommu->priv;
}

static struct sv3_domain *to_sv3_dom(struct simio_domain *sdom)
{
	return sdom->priv;
}

/* IDR5.OAS / CD.IPS / STE.S2PS encoding of an address width, or -1 */
static int sv3_pa_size_enc(unsigned int bits)
{
	switch (bits) {
	case 32: return 0;
	case 36: return 1;
	case 40: return 2;
	case 42: return 3;
	case 44: return 4;
	case 48: return 5;
	default: return -1;
	}
}

/* ------------------------------------------------------------------ */
/* Instance                                                            */

static void sv3_compute_regs(struct sv3_iommu *sv, const struct simio_caps *c)
{
	u32 idr0 = 0, idr1;

	if (c->s2)
		idr0 |= SV3_IDR0_S2P | SV3_IDR0_VMID16;
	if (c->s1)
		idr0 |= SV3_IDR0_S1P | SV3_IDR0_ASID16 | SV3_IDR0_CD2L;
	idr0 |= FIELD_PREP(SV3_IDR0_TTF, SV3_IDR0_TTF_AARCH64) |
		SV3_IDR0_COHACC | SV3_IDR0_MSI |
		FIELD_PREP(SV3_IDR0_TTENDIAN, SV3_IDR0_TTENDIAN_LE) |
		FIELD_PREP(SV3_IDR0_STALL_MODEL, SV3_IDR0_STALL_NONE) |
		SV3_IDR0_TERM_MODEL |
		FIELD_PREP(SV3_IDR0_ST_LEVEL, SV3_IDR0_ST_LEVEL_2LVL);
	if (c->dirty)
		idr0 |= FIELD_PREP(SV3_IDR0_HTTU, SV3_IDR0_HTTU_AD);
	if (c->ats)
		idr0 |= SV3_IDR0_ATS;
	if (c->pri)
		idr0 |= SV3_IDR0_PRI;

	idr1 = FIELD_PREP(SV3_IDR1_SIDSIZE, SV3_SID_BITS) |
	       FIELD_PREP(SV3_IDR1_SSIDSIZE, c->pasid_bits) |
	       FIELD_PREP(SV3_IDR1_EVENTQS, SV3_EVTQ_LOG2) |
	       FIELD_PREP(SV3_IDR1_CMDQS, SV3_CMDQ_LOG2);
	if (c->pri)
		idr1 |= FIELD_PREP(SV3_IDR1_PRIQS, SV3_PRIQ_LOG2);

	sv->idr[0] = idr0;
	sv->idr[1] = idr1;
	sv->idr[2] = 0;
	sv->idr[3] = SV3_IDR3_RIL;
	sv->idr[4] = 0;
	sv->idr[5] = FIELD_PREP(SV3_IDR5_OAS, sv3_pa_size_enc(c->oas)) |
		     SV3_IDR5_GRAN4K;
	sv->iidr = SV3_IIDR;
	sv->aidr = SV3_AIDR;
}

static int sv3_init(struct simio_iommu *iommu)
{
	const struct simio_caps *c = &iommu->caps;
	struct sv3_iommu *sv;

	/*
	 * What a real SMMUv3 cannot be: no stage at all, substreams without
	 * stage 1, more than 20 SSID bits, an input size a 4 KiB granule
	 * table cannot start at (3 or 4 levels: 32..48 bits), or an output
	 * size with no IDR5.OAS encoding (52 bits needs LPA2, not modelled).
	 */
	if (!c->s1 && !c->s2)
		return -EINVAL;
	if (c->pasid_bits > 20 || (c->pasid_bits && !c->s1))
		return -EINVAL;
	if (c->ias < 32 || c->ias > 48 || sv3_pa_size_enc(c->oas) < 0)
		return -EINVAL;

	sv = kzalloc(sizeof(*sv), GFP_KERNEL);
	if (!sv)
		return -ENOMEM;
	/* 2 KiB: kmalloc aligns it naturally, beyond the 64 bytes needed */
	sv->l1 = kcalloc(SV3_ST_L1_NUM, sizeof(*sv->l1), GFP_KERNEL);
	if (!sv->l1)
		goto err_free;
	iommu->tlb = simio_tlb_create(c->tlb_entries);
	if (IS_ERR_OR_NULL(iommu->tlb)) {
		iommu->tlb = NULL;
		goto err_free;
	}
	mutex_init(&sv->st_lock);
	ida_init(&sv->asids);
	ida_init(&sv->vmids);
	xa_init(&sv->roots);
	spin_lock_init(&sv->attach_lock);
	sv3_compute_regs(sv, c);
	iommu->priv = sv;
	return 0;

err_free:
	kfree(sv->l1);
	kfree(sv);
	return -ENOMEM;
}

static void sv3_fini(struct simio_iommu *iommu)
{
	struct sv3_iommu *sv = to_sv3(iommu);
	unsigned int i;

	for (i = 0; i < SV3_ST_L1_NUM; i++)
		if (sv->l2[i])
			free_pages((unsigned long)sv->l2[i],
				   get_order(SV3_ST_L2_SIZE));
	WARN_ON(!xa_empty(&sv->roots));
	xa_destroy(&sv->roots);
	ida_destroy(&sv->asids);
	ida_destroy(&sv->vmids);
	mutex_destroy(&sv->st_lock);
	simio_tlb_destroy(iommu->tlb);
	iommu->tlb = NULL;
	kfree(sv->l1);
	kfree(sv);
	iommu->priv = NULL;
}

static const char * const sv3_reg_names[] = {
	"IDR0", "IDR1", "IDR2", "IDR3", "IDR4", "IDR5",
};

static ssize_t sv3_show_caps(struct simio_iommu *iommu, char *buf)
{
	struct sv3_iommu *sv = to_sv3(iommu);
	int len = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sv->idr); i++)
		len += sysfs_emit_at(buf, len, "%s=0x%016llx\n",
				     sv3_reg_names[i], (u64)sv->idr[i]);
	len += sysfs_emit_at(buf, len, "IIDR=0x%016llx\n", (u64)sv->iidr);
	len += sysfs_emit_at(buf, len, "AIDR=0x%016llx\n", (u64)sv->aidr);
	return len;
}

static void *sv3_hw_info(struct simio_iommu *iommu, u32 *length)
{
	struct sv3_iommu *sv = to_sv3(iommu);
	struct iommu_hw_info_arm_smmuv3 *info;
	unsigned int i;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	for (i = 0; i < ARRAY_SIZE(info->idr); i++)
		info->idr[i] = sv->idr[i];
	info->iidr = sv->iidr;
	info->aidr = sv->aidr;
	*length = sizeof(*info);
	return info;
}

/* ------------------------------------------------------------------ */
/* Entries                                                             */

static u64 sv3_dom_tag(const struct simio_domain *sdom)
{
	if (sdom->stage == 2)
		return FIELD_PREP(SV3_TAG_STAGE, 2) |
		       FIELD_PREP(SV3_TAG_VMID, sdom->id);
	return FIELD_PREP(SV3_TAG_STAGE, 1) |
	       FIELD_PREP(SV3_TAG_ASID, sdom->id);
}

static phys_addr_t sv3_dom_root(const struct simio_domain *sdom)
{
	return virt_to_phys(sdom->pt.root);
}

/* Stage-1 context descriptor of @sdom, CPU order */
static void sv3_make_cd(const struct simio_domain *sdom, u64 *cd)
{
	const struct simio_caps *c = &sdom->iommu->caps;

	memset(cd, 0, SV3_CD_SIZE);
	cd[0] = FIELD_PREP(SV3_CD0_T0SZ, 64 - sdom->pt.ias) |
		FIELD_PREP(SV3_CD0_TG0, SV3_TG_4K) |
		FIELD_PREP(SV3_CD0_IR0, SV3_CACHE_WBRA) |
		FIELD_PREP(SV3_CD0_OR0, SV3_CACHE_WBRA) |
		FIELD_PREP(SV3_CD0_SH0, SV3_SH_ISH) |
		SV3_CD0_EPD1 | SV3_CD0_V |
		FIELD_PREP(SV3_CD0_IPS, sv3_pa_size_enc(c->oas)) |
		SV3_CD0_AA64 | SV3_CD0_R | SV3_CD0_A | SV3_CD0_ASET |
		FIELD_PREP(SV3_CD0_ASID, sdom->id);
	if (sdom->pt.dbm)
		cd[0] |= SV3_CD0_HD | SV3_CD0_HA;
	cd[1] = sv3_dom_root(sdom) & SV3_CD1_TTB0;
	cd[SV3_CD3_MAIR] = SIMPT_ARM_S1_MAIR;
}

static u64 sv3_ste1_eats(const struct sv3_master *m)
{
	bool ats = m->sdev->ats && m->sdev->iommu->caps.ats;

	return ats ? FIELD_PREP(SV3_STE1_EATS, SV3_EATS_TRANS) : 0;
}

/* STE using the device's CD table for stage 1 */
static void sv3_make_s1_ste(const struct sv3_master *m, unsigned int s1dss,
			    u64 *ste)
{
	const struct sv3_cdtab *t = &m->cdt;

	memset(ste, 0, SV3_STE_WORDS * sizeof(u64));
	ste[0] = SV3_STE0_V |
		 FIELD_PREP(SV3_STE0_CONFIG, SV3_CONFIG_S1) |
		 FIELD_PREP(SV3_STE0_S1FMT, t->two_level ? SV3_S1FMT_2LVL_64K :
							   SV3_S1FMT_LINEAR) |
		 (virt_to_phys(t->base) & SV3_STE0_S1CTXPTR) |
		 FIELD_PREP(SV3_STE0_S1CDMAX, t->cdmax);
	ste[1] = FIELD_PREP(SV3_STE1_S1DSS, s1dss) |
		 FIELD_PREP(SV3_STE1_S1CIR, SV3_CACHE_WBRA) |
		 FIELD_PREP(SV3_STE1_S1COR, SV3_CACHE_WBRA) |
		 FIELD_PREP(SV3_STE1_S1CSH, SV3_SH_ISH);
	/* ATS only while something translates the RID's transactions */
	if (s1dss == SV3_S1DSS_SSID0)
		ste[1] |= sv3_ste1_eats(m);
	/* ste[2].S2VMID = 0: stage-1-only streams all use VMID 0 */
}

static void sv3_make_s2_ste(const struct sv3_master *m,
			    const struct simio_domain *sdom, u64 *ste)
{
	const struct simio_caps *c = &sdom->iommu->caps;

	memset(ste, 0, SV3_STE_WORDS * sizeof(u64));
	ste[0] = SV3_STE0_V | FIELD_PREP(SV3_STE0_CONFIG, SV3_CONFIG_S2);
	ste[1] = sv3_ste1_eats(m);
	/* 4 KiB granule: SL0 2/1/0 start at level 0/1/2, 4/3/2 levels */
	ste[2] = FIELD_PREP(SV3_STE2_S2VMID, sdom->id) |
		 FIELD_PREP(SV3_STE2_S2T0SZ, 64 - sdom->pt.ias) |
		 FIELD_PREP(SV3_STE2_S2SL0, sdom->pt.levels - 2) |
		 FIELD_PREP(SV3_STE2_S2IR0, SV3_CACHE_WBRA) |
		 FIELD_PREP(SV3_STE2_S2OR0, SV3_CACHE_WBRA) |
		 FIELD_PREP(SV3_STE2_S2SH0, SV3_SH_ISH) |
		 FIELD_PREP(SV3_STE2_S2TG, SV3_TG_4K) |
		 FIELD_PREP(SV3_STE2_S2PS, sv3_pa_size_enc(c->oas)) |
		 SV3_STE2_S2AA64 | SV3_STE2_S2PTW | SV3_STE2_S2R;
	if (sdom->pt.dbm)
		ste[2] |= SV3_STE2_S2HD | SV3_STE2_S2HA;
	ste[3] = sv3_dom_root(sdom) & SV3_STE3_S2TTB;
}

static void sv3_make_abort_ste(u64 *ste)
{
	memset(ste, 0, SV3_STE_WORDS * sizeof(u64));
	ste[0] = SV3_STE0_V | FIELD_PREP(SV3_STE0_CONFIG, SV3_CONFIG_ABORT);
}

static void sv3_store(__le64 *dst, const u64 *src, unsigned int words)
{
	unsigned int i;

	for (i = 0; i < words; i++)
		WRITE_ONCE(dst[i], cpu_to_le64(src[i]));
}

/* Kernel address of CD @ssid, NULL when its leaf is absent */
static __le64 *sv3_cd_ptr(const struct sv3_cdtab *t, u32 ssid)
{
	__le64 *leaf;

	if (!t->two_level)
		return t->base + (size_t)ssid * SV3_CD_WORDS;
	leaf = t->leaves[ssid >> SV3_CD_LEAF_BITS];
	if (!leaf)
		return NULL;
	return leaf + (size_t)(ssid & GENMASK(SV3_CD_LEAF_BITS - 1, 0)) *
		      SV3_CD_WORDS;
}

/* Make sure CD @ssid exists (2-level: allocate its leaf); no lock held */
static int sv3_cd_prepare(struct sv3_master *m, u32 ssid)
{
	struct sv3_cdtab *t = &m->cdt;
	unsigned int l1 = ssid >> SV3_CD_LEAF_BITS;
	unsigned long leaf;

	if (!t->two_level || t->leaves[l1])
		return 0;
	leaf = __get_free_pages(GFP_KERNEL | __GFP_ZERO,
				get_order(SV3_CD_LEAF_SIZE));
	if (!leaf)
		return -ENOMEM;
	write_seqlock(&m->cfg_seq);
	t->leaves[l1] = (__le64 *)leaf;
	WRITE_ONCE(t->base[l1], cpu_to_le64((virt_to_phys((void *)leaf) &
					     SV3_L1CD_L2PTR) | SV3_L1CD_V));
	write_sequnlock(&m->cfg_seq);
	return 0;
}

/* Caller holds cfg_seq for write; @sdom NULL makes the CD invalid */
static void sv3_write_cd(struct sv3_master *m, u32 ssid,
			 const struct simio_domain *sdom)
{
	__le64 *cdp = sv3_cd_ptr(&m->cdt, ssid);
	u64 cd[SV3_CD_WORDS] = {};

	if (!cdp)
		return;
	if (sdom)
		sv3_make_cd(sdom, cd);
	sv3_store(cdp, cd, SV3_CD_WORDS);
}

/*
 * Caller holds cfg_seq for write: the STE for @rid (the RID's domain, NULL
 * when blocked) and the PASIDs counted in m->nr_pasids
 */
static void sv3_write_ste(struct sv3_master *m, struct simio_domain *rid)
{
	u64 ste[SV3_STE_WORDS];

	if (rid && rid->stage == 2)
		sv3_make_s2_ste(m, rid, ste);
	else if (rid)
		sv3_make_s1_ste(m, SV3_S1DSS_SSID0, ste);
	else if (m->nr_pasids)
		/* RID blocked, PASIDs live: untagged traffic terminates */
		sv3_make_s1_ste(m, SV3_S1DSS_TERMINATE, ste);
	else
		sv3_make_abort_ste(ste);
	sv3_store(m->ste, ste, SV3_STE_WORDS);
}

static struct simio_domain *sv3_rid_domain(const struct sv3_master *m)
{
	return m->rid ? m->rid->sdom : NULL;
}

/* ------------------------------------------------------------------ */
/* Devices                                                             */

static int sv3_cdtab_alloc(struct sv3_master *m, unsigned int bits)
{
	struct sv3_cdtab *t = &m->cdt;

	t->cdmax = bits;
	if (bits <= SV3_CD_LINEAR_BITS) {
		t->base_size = (size_t)SV3_CD_SIZE << bits;
	} else {
		t->two_level = true;
		t->nr_l1 = 1U << (bits - SV3_CD_LEAF_BITS);
		t->base_size = t->nr_l1 * sizeof(u64);
		t->leaves = kcalloc(t->nr_l1, sizeof(*t->leaves), GFP_KERNEL);
		if (!t->leaves)
			return -ENOMEM;
	}
	t->base = (__le64 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
					     get_order(t->base_size));
	if (!t->base) {
		kfree(t->leaves);
		t->leaves = NULL;
		return -ENOMEM;
	}
	return 0;
}

static void sv3_cdtab_free(struct sv3_cdtab *t)
{
	unsigned int i;

	if (!t->base)
		return;
	for (i = 0; t->two_level && i < t->nr_l1; i++)
		if (t->leaves[i])
			free_pages((unsigned long)t->leaves[i],
				   get_order(SV3_CD_LEAF_SIZE));
	kfree(t->leaves);
	free_pages((unsigned long)t->base, get_order(t->base_size));
	t->base = NULL;
}

/* The L2 STE array covering @sid, allocated (all abort STEs) if needed */
static __le64 *sv3_ste_array(struct sv3_iommu *sv, u32 sid)
{
	unsigned int l1 = sid >> SV3_ST_SPLIT;
	u64 abort_ste[SV3_STE_WORDS];
	__le64 *l2;
	unsigned int i;

	mutex_lock(&sv->st_lock);
	l2 = sv->l2[l1];
	if (l2)
		goto out;
	l2 = (__le64 *)__get_free_pages(GFP_KERNEL | __GFP_ZERO,
					get_order(SV3_ST_L2_SIZE));
	if (!l2)
		goto out;
	sv3_make_abort_ste(abort_ste);
	for (i = 0; i < SV3_ST_L2_NUM; i++)
		sv3_store(l2 + i * SV3_STE_WORDS, abort_ste, SV3_STE_WORDS);
	sv->l2[l1] = l2;
	/* The array is complete before the hardware can follow the pointer */
	smp_wmb();
	WRITE_ONCE(sv->l1[l1],
		   cpu_to_le64((virt_to_phys(l2) & SV3_L1STD_L2PTR) |
			       FIELD_PREP(SV3_L1STD_SPAN, SV3_ST_SPLIT + 1)));
out:
	mutex_unlock(&sv->st_lock);
	return l2;
}

static int sv3_dev_init(struct simio_dev *sdev)
{
	struct sv3_iommu *sv = to_sv3(sdev->iommu);
	struct sv3_master *m;
	__le64 *l2;
	int ret;

	if (sdev->sid >= BIT(SV3_SID_BITS))
		return -EINVAL;
	m = kzalloc(sizeof(*m), GFP_KERNEL);
	if (!m)
		return -ENOMEM;
	m->sdev = sdev;
	seqlock_init(&m->cfg_seq);
	xa_init(&m->pasids);
	if (sdev->iommu->caps.s1) {
		ret = sv3_cdtab_alloc(m, sdev->pasid_bits);
		if (ret)
			goto err_free;
	}
	l2 = sv3_ste_array(sv, sdev->sid);
	if (!l2) {
		ret = -ENOMEM;
		goto err_cdtab;
	}
	m->ste = l2 + (sdev->sid & (SV3_ST_L2_NUM - 1)) * SV3_STE_WORDS;
	write_seqlock(&m->cfg_seq);
	sv3_write_ste(m, NULL);	/* abort */
	write_sequnlock(&m->cfg_seq);

	sdev->hw.resv = &sv3_msi_window;
	sdev->hw.nr_resv = 1;
	sdev->priv = m;
	return 0;

err_cdtab:
	sv3_cdtab_free(&m->cdt);
err_free:
	kfree(m);
	return ret;
}

static void sv3_dev_fini(struct simio_dev *sdev)
{
	struct sv3_master *m = sdev->priv;

	WARN_ON(m->rid || m->nr_pasids);
	write_seqlock(&m->cfg_seq);
	m->nr_pasids = 0;
	sv3_write_ste(m, NULL);	/* back to abort, as for an unused SID */
	write_sequnlock(&m->cfg_seq);
	/* Nothing may still be reading the CD table we free */
	simio_dma_quiesce(sdev->iommu);
	sv3_cdtab_free(&m->cdt);
	xa_destroy(&m->pasids);
	sdev->priv = NULL;
	kfree(m);
}

/* ------------------------------------------------------------------ */
/* Domains                                                             */

static struct simio_domain *sv3_domain_alloc_paging(struct simio_dev *sdev,
						    u32 flags)
{
	struct simio_iommu *iommu = sdev->iommu;
	const struct simio_caps *c = &iommu->caps;
	struct sv3_iommu *sv = to_sv3(iommu);
	struct simio_domain *sdom;
	struct sv3_domain *sd;
	enum simpt_format fmt;
	struct ida *ida;
	int id, ret;

	if (flags & ~(IOFD_ALLOC_NEST_PARENT | IOFD_ALLOC_DIRTY_TRACKING |
		      IOFD_ALLOC_PASID))
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOFD_ALLOC_DIRTY_TRACKING) && !c->dirty)
		return ERR_PTR(-EOPNOTSUPP);
	/* A nesting parent is the stage 2 under a guest's stage 1 */
	if ((flags & IOFD_ALLOC_NEST_PARENT) && !(c->s1 && c->s2))
		return ERR_PTR(-EOPNOTSUPP);

	/* PASID-capable: a stage-1 table for CDs of an SSID-capable SMMU */
	if ((flags & IOFD_ALLOC_PASID) &&
	    (!c->pasid_bits || (flags & IOFD_ALLOC_NEST_PARENT)))
		return ERR_PTR(-EOPNOTSUPP);

	if ((flags & IOFD_ALLOC_NEST_PARENT) || !c->s1) {
		fmt = SIMPT_ARM_S2;
		ida = &sv->vmids;
	} else {
		fmt = SIMPT_ARM_S1;
		ida = &sv->asids;
	}

	sdom = kzalloc(sizeof(*sdom), GFP_KERNEL);
	sd = kzalloc(sizeof(*sd), GFP_KERNEL);
	if (!sdom || !sd) {
		ret = -ENOMEM;
		goto err_free;
	}
	INIT_LIST_HEAD(&sd->ctxs);
	id = ida_alloc_range(ida, 1, SV3_ID_MAX, GFP_KERNEL);
	if (id < 0) {
		ret = id;
		goto err_free;
	}
	sdom->iommu = iommu;
	sdom->id = id;
	sdom->stage = fmt == SIMPT_ARM_S2 ? 2 : 1;
	sdom->priv = sd;
	ret = simio_domain_init(sdom, iommu, fmt, c->ias, flags);
	if (ret)
		goto err_id;
	ret = xa_insert(&sv->roots, PHYS_PFN(sv3_dom_root(sdom)), sdom,
			GFP_KERNEL);
	if (ret)
		goto err_pt;
	return sdom;

err_pt:
	simpt_destroy(&sdom->pt);
err_id:
	ida_free(ida, id);
err_free:
	kfree(sd);
	kfree(sdom);
	return ERR_PTR(ret);
}

static void sv3_domain_free(struct simio_domain *sdom)
{
	struct sv3_iommu *sv = to_sv3(sdom->iommu);
	struct sv3_domain *sd = to_sv3_dom(sdom);

	WARN_ON(!list_empty(&sd->ctxs));
	xa_erase(&sv->roots, PHYS_PFN(sv3_dom_root(sdom)));
	/* TLBI by ASID/VMID before the ID can name another table */
	simio_tlb_invalidate(sdom->iommu->tlb, sv3_dom_tag(sdom), U64_MAX,
			     0, 0);
	ida_free(sdom->stage == 2 ? &sv->vmids : &sv->asids, sdom->id);
	kfree(sd);
	sdom->priv = NULL;
}

static int sv3_set_dirty_tracking(struct simio_domain *sdom, bool enable)
{
	if (!sdom->pt.dbm)
		return -EOPNOTSUPP;
	/* HD/HA stay set while attached: see the top comment */
	sdom->dirty_enabled = enable;
	return 0;
}

static void sv3_flush(struct simio_domain *sdom, u64 iova, u64 size)
{
	/* TLBI_NH_VA/TLBI_S2_IPA (size 0: TLBI_NH_ASID/TLBI_S12_VMALL) */
	simio_tlb_invalidate(sdom->iommu->tlb, sv3_dom_tag(sdom), U64_MAX,
			     iova, size);
}

/* ------------------------------------------------------------------ */
/* Attach                                                              */

/* Move @ctx from its old domain's list to @sdom's (NULL: unlink) */
static void sv3_ctx_link(struct sv3_iommu *sv, struct sv3_ctx *ctx,
			 struct simio_domain *sdom)
{
	spin_lock(&sv->attach_lock);
	if (ctx->sdom)
		list_del(&ctx->dom_node);
	ctx->sdom = sdom;
	if (sdom)
		list_add_tail(&ctx->dom_node, &to_sv3_dom(sdom)->ctxs);
	spin_unlock(&sv->attach_lock);
}

/* After the switch: drop what the IOTLB holds for an orphaned domain */
static void sv3_retire(struct simio_iommu *iommu, struct simio_domain *old)
{
	struct sv3_iommu *sv = to_sv3(iommu);
	bool orphan;

	if (!old)
		return;
	spin_lock(&sv->attach_lock);
	orphan = list_empty(&to_sv3_dom(old)->ctxs);
	spin_unlock(&sv->attach_lock);
	if (orphan)
		sv3_flush(old, 0, 0);
}

static int sv3_attach_rid(struct sv3_iommu *sv, struct sv3_master *m,
			  struct simio_domain *sdom, struct simio_domain **old)
{
	struct sv3_ctx *ctx = m->rid;
	int ret;

	*old = ctx ? ctx->sdom : NULL;
	if (sdom && sdom->stage == 2 && m->nr_pasids)
		return -EINVAL;	/* an S2 STE has no CD table for them */
	if (sdom && sdom->stage == 1) {
		if (!m->cdt.base)
			return -EINVAL;
		ret = sv3_cd_prepare(m, 0);
		if (ret)
			return ret;
	}
	if (sdom && !ctx) {
		ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
		if (!ctx)
			return -ENOMEM;
		ctx->master = m;
	}

	write_seqlock(&m->cfg_seq);
	if (m->cdt.base)
		sv3_write_cd(m, 0, sdom && sdom->stage == 1 ? sdom : NULL);
	sv3_write_ste(m, sdom);
	write_sequnlock(&m->cfg_seq);

	/* Bookkeeping only: the hardware never reads these */
	if (sdom) {
		m->rid = ctx;
		sv3_ctx_link(sv, ctx, sdom);
	} else if (ctx) {
		m->rid = NULL;
		sv3_ctx_link(sv, ctx, NULL);
		kfree(ctx);
	}
	return 0;
}

static int sv3_attach_pasid(struct sv3_iommu *sv, struct sv3_master *m,
			    u32 pasid, struct simio_domain *sdom,
			    struct simio_domain **old)
{
	struct sv3_ctx *ctx = xa_load(&m->pasids, pasid);
	int ret;

	*old = ctx ? ctx->sdom : NULL;
	if (!pasid || pasid >= BIT(m->sdev->pasid_bits) || !m->cdt.base)
		return -EINVAL;
	if (!sdom && !ctx)
		return 0;
	if (sdom) {
		if (sdom->stage != 1)
			return -EINVAL;
		if (sv3_rid_domain(m) && sv3_rid_domain(m)->stage == 2)
			return -EINVAL;
		ret = sv3_cd_prepare(m, pasid);
		if (ret)
			return ret;
		if (!ctx) {
			ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
			if (!ctx)
				return -ENOMEM;
			ctx->master = m;
			ctx->ssid = pasid;
			ret = xa_insert(&m->pasids, pasid, ctx, GFP_KERNEL);
			if (ret) {
				kfree(ctx);
				return ret;
			}
			m->nr_pasids++;
		}
	} else {
		xa_erase(&m->pasids, pasid);
		m->nr_pasids--;
	}

	write_seqlock(&m->cfg_seq);
	sv3_write_cd(m, pasid, sdom);
	sv3_write_ste(m, sv3_rid_domain(m));
	write_sequnlock(&m->cfg_seq);

	sv3_ctx_link(sv, ctx, sdom);
	if (!sdom)
		kfree(ctx);
	return 0;
}

static int sv3_attach(struct simio_dev *sdev, u32 pasid,
		      struct simio_domain *sdom)
{
	struct sv3_iommu *sv = to_sv3(sdev->iommu);
	struct sv3_master *m = sdev->priv;
	struct simio_domain *old;
	int ret;

	lockdep_assert_held(&sdev->lock);
	if (sdom && sdom->iommu != sdev->iommu)
		return -EINVAL;
	if (pasid == IOFD_NO_PASID)
		ret = sv3_attach_rid(sv, m, sdom, &old);
	else
		ret = sv3_attach_pasid(sv, m, pasid, sdom, &old);
	if (ret)
		return ret;
	/* No DMA uses the old configuration after this */
	simio_dma_quiesce(sdev->iommu);
	if (old != sdom)
		sv3_retire(sdev->iommu, old);
	return 0;
}

static struct simio_domain *sv3_lookup_domain(struct simio_dev *sdev,
					      u32 pasid)
{
	struct sv3_master *m = sdev->priv;
	struct sv3_ctx *ctx;

	lockdep_assert_held(&sdev->lock);
	if (pasid == IOFD_NO_PASID)
		ctx = m->rid;
	else
		ctx = xa_load(&m->pasids, pasid);
	return ctx ? ctx->sdom : NULL;
}

/* ------------------------------------------------------------------ */
/* The hardware: configuration fetch, translation, events              */

/* One request as the SMMU receives it */
struct sv3_req {
	u32 sid;
	bool ssv;
	u32 ssid;
	u64 iova;
	bool write;
};

/* What the configuration fetch found */
struct sv3_cfg {
	u64 ste[SV3_STE_WORDS];
	u64 cd[SV3_CD_WORDS];
	bool s2;	/* stage-2 translation, else stage 1 through cd */
};

/* Outcomes of the configuration fetch other than an event number */
#define SV3_CFG_OK		0
#define SV3_CFG_ABORT		(-1)	/* STE.Config abort: no event */

static void sv3_load(u64 *dst, const __le64 *src, unsigned int words)
{
	unsigned int i;

	for (i = 0; i < words; i++)
		dst[i] = le64_to_cpu(READ_ONCE(src[i]));
}

/* Fetch the CD of @ssid through the STE's S1ContextPtr */
static int sv3_fetch_cd(struct sv3_cfg *cfg, u32 ssid)
{
	u64 ste0 = cfg->ste[0];
	__le64 *base = phys_to_virt(ste0 & SV3_STE0_S1CTXPTR);
	unsigned int cdmax = FIELD_GET(SV3_STE0_S1CDMAX, ste0);
	__le64 *cdp;
	u64 l1cd;

	if (ssid >> cdmax)
		return SV3_EVT_C_BAD_SUBSTREAMID;
	if (!cdmax) {
		cdp = base;
	} else if (FIELD_GET(SV3_STE0_S1FMT, ste0) == SV3_S1FMT_LINEAR) {
		cdp = base + (size_t)ssid * SV3_CD_WORDS;
	} else if (FIELD_GET(SV3_STE0_S1FMT, ste0) == SV3_S1FMT_2LVL_64K) {
		l1cd = le64_to_cpu(READ_ONCE(base[ssid >> SV3_CD_LEAF_BITS]));
		if (!(l1cd & SV3_L1CD_V))
			return SV3_EVT_C_BAD_SUBSTREAMID;
		cdp = phys_to_virt(l1cd & SV3_L1CD_L2PTR);
		cdp += (size_t)(ssid & GENMASK(SV3_CD_LEAF_BITS - 1, 0)) *
		       SV3_CD_WORDS;
	} else {
		return SV3_EVT_C_BAD_STE;
	}
	sv3_load(cfg->cd, cdp, SV3_CD_WORDS);
	return SV3_CFG_OK;
}

static int __sv3_fetch_config(struct sv3_iommu *sv, const struct sv3_req *rq,
			      struct sv3_cfg *cfg)
{
	u64 l1std = le64_to_cpu(READ_ONCE(sv->l1[rq->sid >> SV3_ST_SPLIT]));
	__le64 *stp;
	u32 ssid;

	if (FIELD_GET(SV3_L1STD_SPAN, l1std) != SV3_ST_SPLIT + 1)
		return SV3_EVT_C_BAD_STE;
	stp = phys_to_virt(l1std & SV3_L1STD_L2PTR);
	stp += (rq->sid & (SV3_ST_L2_NUM - 1)) * SV3_STE_WORDS;
	sv3_load(cfg->ste, stp, SV3_STE_WORDS);

	if (!(cfg->ste[0] & SV3_STE0_V))
		return SV3_EVT_C_BAD_STE;
	switch (FIELD_GET(SV3_STE0_CONFIG, cfg->ste[0])) {
	case SV3_CONFIG_ABORT:
		return SV3_CFG_ABORT;
	case SV3_CONFIG_S2:
		/* Substreams need stage 1 */
		if (rq->ssv)
			return SV3_EVT_C_BAD_SUBSTREAMID;
		cfg->s2 = true;
		return SV3_CFG_OK;
	case SV3_CONFIG_S1:
		break;
	default:
		/* bypass and nested are never written by this model */
		return SV3_EVT_C_BAD_STE;
	}

	cfg->s2 = false;
	if (!FIELD_GET(SV3_STE0_S1CDMAX, cfg->ste[0])) {
		/* One CD, no substreams; S1DSS does not apply */
		if (rq->ssv)
			return SV3_EVT_C_BAD_SUBSTREAMID;
		ssid = 0;
	} else if (rq->ssv) {
		if (!rq->ssid && FIELD_GET(SV3_STE1_S1DSS, cfg->ste[1]) ==
				 SV3_S1DSS_SSID0)
			return SV3_EVT_C_BAD_SUBSTREAMID;
		ssid = rq->ssid;
	} else {
		switch (FIELD_GET(SV3_STE1_S1DSS, cfg->ste[1])) {
		case SV3_S1DSS_TERMINATE:
			return SV3_EVT_F_STREAM_DISABLED;
		case SV3_S1DSS_SSID0:
			ssid = 0;
			break;
		default:
			return SV3_EVT_C_BAD_STE;
		}
	}
	return sv3_fetch_cd(cfg, ssid);
}

/* The STE and the CD as one consistent snapshot */
static int sv3_fetch_config(struct sv3_iommu *sv, struct sv3_master *m,
			    const struct sv3_req *rq, struct sv3_cfg *cfg)
{
	unsigned int seq;
	int ret;

	do {
		seq = read_seqbegin(&m->cfg_seq);
		ret = __sv3_fetch_config(sv, rq, cfg);
	} while (read_seqretry(&m->cfg_seq, seq));
	return ret;
}

/* Event record fields beyond the ID, StreamID and SubstreamID */
#define SV3_REC_SSV	BIT(0)	/* SSV and SubstreamID of the request */
#define SV3_REC_SSID	BIT(1)	/* SubstreamID only (C_BAD_SUBSTREAMID) */
#define SV3_REC_ADDR	BIT(2)	/* RnW, InD, PnU, CLASS, InputAddr */
#define SV3_REC_S2	BIT(3)	/* stage-2 fault: S2 and IPA */

static int sv3_fault(struct simio_fault *f, const struct sv3_req *rq,
		     u32 kind, u8 evt, unsigned int rec)
{
	u64 r[4] = {};
	unsigned int i;

	f->kind = kind;
	f->addr = rq->iova;
	r[0] = FIELD_PREP(SV3_EVT0_ID, evt) |
	       FIELD_PREP(SV3_EVT0_SID, rq->sid);
	if ((rec & SV3_REC_SSV) && rq->ssv)
		r[0] |= SV3_EVT0_SSV | FIELD_PREP(SV3_EVT0_SSID, rq->ssid);
	if (rec & SV3_REC_SSID)
		r[0] |= FIELD_PREP(SV3_EVT0_SSID, rq->ssid);
	if (rec & SV3_REC_ADDR) {
		/* A data access of an unprivileged device: InD = PnU = 0 */
		r[1] = (rq->write ? 0 : SV3_EVT1_RNW) |
		       FIELD_PREP(SV3_EVT1_CLASS, SV3_EVT_CLASS_IN);
		r[2] = rq->iova;
	}
	if (rec & SV3_REC_S2) {
		r[1] |= SV3_EVT1_S2;
		r[3] = rq->iova & SV3_EVT3_IPA;
	}
	for (i = 0; i < ARRAY_SIZE(r); i++)
		f->record[i] = cpu_to_le64(r[i]);
	f->record_len = sizeof(f->record);
	return -EIO;
}

static int sv3_cfg_fault(struct simio_fault *f, const struct sv3_req *rq,
			 const struct sv3_cfg *cfg, int evt)
{
	switch (evt) {
	case SV3_CFG_ABORT:
		sv3_fault(f, rq, IOMMUSIM_FAULT_BLOCKED, 0, 0);
		f->record_len = 0;
		memset(f->record, 0, sizeof(f->record));
		return -EIO;
	case SV3_EVT_F_STREAM_DISABLED:
		return sv3_fault(f, rq, IOMMUSIM_FAULT_BLOCKED, evt, 0);
	case SV3_EVT_C_BAD_SUBSTREAMID:
		/*
		 * A missing CD leaf is an SSID nothing is attached at; SSIDs
		 * beyond S1CDMax or on a stream without stage 1 are bad.
		 */
		if (rq->ssv && cfg->ste[0] & SV3_STE0_V &&
		    FIELD_GET(SV3_STE0_CONFIG, cfg->ste[0]) == SV3_CONFIG_S1 &&
		    rq->ssid && !(rq->ssid >>
				  FIELD_GET(SV3_STE0_S1CDMAX, cfg->ste[0])))
			return sv3_fault(f, rq, IOMMUSIM_FAULT_BLOCKED, evt,
					 SV3_REC_SSID);
		return sv3_fault(f, rq, IOMMUSIM_FAULT_BAD_PASID, evt,
				 SV3_REC_SSID);
	default:
		return sv3_fault(f, rq, IOMMUSIM_FAULT_BAD_CONFIG, evt,
				 SV3_REC_SSV);
	}
}

static int sv3_translate(struct simio_dev *sdev, u32 pasid, u64 iova,
			 bool write, struct simio_xlate *out,
			 struct simio_fault *fault)
{
	struct simio_iommu *iommu = sdev->iommu;
	struct sv3_iommu *sv = to_sv3(iommu);
	struct sv3_master *m = sdev->priv;
	struct sv3_req rq = {
		.sid = sdev->sid,
		.ssv = pasid != IOFD_NO_PASID,
		.ssid = pasid != IOFD_NO_PASID ? pasid : 0,
		.iova = iova,
		.write = write,
	};
	unsigned int rec = SV3_REC_SSV | SV3_REC_ADDR;
	struct simio_tlb_entry e;
	struct simio_domain *sdom;
	struct simpt_walk w;
	struct sv3_cfg cfg = {};
	unsigned int access, ias;
	bool dbm, record;
	phys_addr_t root;
	u64 tag, off;
	int ret;

	ret = sv3_fetch_config(sv, m, &rq, &cfg);
	if (ret)
		return sv3_cfg_fault(fault, &rq, &cfg, ret);

	if (cfg.s2) {
		ias = 64 - FIELD_GET(SV3_STE2_S2T0SZ, cfg.ste[2]);
		dbm = cfg.ste[2] & SV3_STE2_S2HD;
		record = cfg.ste[2] & SV3_STE2_S2R;
		root = cfg.ste[3] & SV3_STE3_S2TTB;
		tag = FIELD_PREP(SV3_TAG_STAGE, 2) |
		      FIELD_PREP(SV3_TAG_VMID,
				 FIELD_GET(SV3_STE2_S2VMID, cfg.ste[2]));
		rec |= SV3_REC_S2;
	} else {
		if (!(cfg.cd[0] & SV3_CD0_V))
			/* Nothing attached at this SSID (or the RID's CD 0) */
			return sv3_fault(fault, &rq, IOMMUSIM_FAULT_BLOCKED,
					 SV3_EVT_C_BAD_CD, SV3_REC_SSV);
		if (!(cfg.cd[0] & SV3_CD0_AA64) ||
		    FIELD_GET(SV3_CD0_TG0, cfg.cd[0]) != SV3_TG_4K)
			return sv3_fault(fault, &rq,
					 IOMMUSIM_FAULT_BAD_CONFIG,
					 SV3_EVT_C_BAD_CD, SV3_REC_SSV);
		ias = 64 - FIELD_GET(SV3_CD0_T0SZ, cfg.cd[0]);
		dbm = cfg.cd[0] & SV3_CD0_HD;
		record = cfg.cd[0] & SV3_CD0_R;
		root = cfg.cd[1] & SV3_CD1_TTB0;
		tag = FIELD_PREP(SV3_TAG_STAGE, 1) |
		      FIELD_PREP(SV3_TAG_VMID,
				 FIELD_GET(SV3_STE2_S2VMID, cfg.ste[2])) |
		      FIELD_PREP(SV3_TAG_ASID,
				 FIELD_GET(SV3_CD0_ASID, cfg.cd[0]));
	}

	if (ias < 64 && iova >> ias) {
		ret = sv3_fault(fault, &rq, IOMMUSIM_FAULT_ADDR_SIZE,
				SV3_EVT_F_ADDR_SIZE, rec);
		goto out_fault;
	}

	if (simio_tlb_lookup(iommu->tlb, tag, iova, &e)) {
		if (!(e.perm & (write ? SIMPT_WRITE : SIMPT_READ))) {
			ret = sv3_fault(fault, &rq, IOMMUSIM_FAULT_PERMISSION,
					SV3_EVT_F_PERMISSION, rec);
			goto out_fault;
		}
		/* A first write through a clean entry updates the table */
		if (!write || !dbm || e.dirty)
			goto done;
	}

	sdom = xa_load(&sv->roots, PHYS_PFN(root));
	if (!sdom || sv3_dom_root(sdom) != root) {
		/* TTB0/S2TTB points at no table this instance made */
		return sv3_fault(fault, &rq, IOMMUSIM_FAULT_BAD_CONFIG,
				 cfg.s2 ? SV3_EVT_C_BAD_STE : SV3_EVT_C_BAD_CD,
				 SV3_REC_SSV);
	}
	access = (write ? SIMPT_ACC_WRITE : SIMPT_ACC_READ) |
		 (dbm ? SIMPT_ACC_HW_DIRTY : 0);
	ret = simpt_hw_walk(&sdom->pt, iova, access, &w);
	switch (ret) {
	case 0:
		break;
	case -EACCES:
		ret = sv3_fault(fault, &rq, IOMMUSIM_FAULT_PERMISSION,
				SV3_EVT_F_PERMISSION, rec);
		goto out_fault;
	case -ERANGE:
		ret = sv3_fault(fault, &rq, IOMMUSIM_FAULT_ADDR_SIZE,
				SV3_EVT_F_ADDR_SIZE, rec);
		goto out_fault;
	default:
		ret = sv3_fault(fault, &rq, IOMMUSIM_FAULT_TRANSLATION,
				SV3_EVT_F_TRANSLATION, rec);
		goto out_fault;
	}

	off = iova & (w.page_size - 1);
	e = (struct simio_tlb_entry) {
		.tag = tag,
		.iova = iova - off,
		.page_size = w.page_size,
		.phys = w.phys - off,
		.level = w.level,
		.perm = w.perm,
		.dirty = w.dirty,
	};
	simio_tlb_insert(iommu->tlb, &e);
done:
	off = iova - e.iova;
	out->phys = e.phys + off;
	out->len = e.page_size - off;
	return 0;

out_fault:
	/* CD.R / STE.S2R clear: the fault terminates without a record */
	if (!record) {
		fault->record_len = 0;
		memset(fault->record, 0, sizeof(fault->record));
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* Test and inspection hooks                                           */

static int sv3_ctx_entry(struct simio_dev *sdev, u32 pasid, u64 *ste,
			 u32 *nr_ste, u64 *cd, u32 *nr_cd, u64 *root)
{
	struct sv3_master *m = sdev->priv;
	u32 ssid = pasid == IOFD_NO_PASID ? 0 : pasid;
	__le64 *cdp;

	lockdep_assert_held(&sdev->lock);
	if (pasid != IOFD_NO_PASID &&
	    (!pasid || pasid >= BIT(sdev->pasid_bits)))
		return -EINVAL;

	/* Writers hold sdev->lock too: the entries cannot change here */
	memcpy(ste, m->ste, SV3_STE_WORDS * sizeof(u64));
	*nr_ste = SV3_STE_WORDS;
	*nr_cd = 0;
	*root = 0;
	cdp = m->cdt.base ? sv3_cd_ptr(&m->cdt, ssid) : NULL;
	if (cdp) {
		memcpy(cd, cdp, SV3_CD_SIZE);
		*nr_cd = SV3_CD_WORDS;
	}

	if (pasid == IOFD_NO_PASID && sv3_rid_domain(m) &&
	    sv3_rid_domain(m)->stage == 2)
		*root = le64_to_cpu(m->ste[3]) & SV3_STE3_S2TTB;
	else if (cdp && (le64_to_cpu(cdp[0]) & SV3_CD0_V))
		*root = le64_to_cpu(cdp[1]) & SV3_CD1_TTB0;
	return 0;
}

static int sv3_invalidate(struct simio_dev *sdev, u32 pasid, u64 iova,
			  u64 size)
{
	struct simio_domain *sdom;
	u64 start;

	lockdep_assert_held(&sdev->lock);
	if (pasid != IOFD_NO_PASID &&
	    (!pasid || pasid >= BIT(sdev->pasid_bits)))
		return -EINVAL;
	/* The context's ASID/VMID is the attached domain's */
	sdom = sv3_lookup_domain(sdev, pasid);
	if (!sdom)
		return 0;
	start = round_down(iova, SZ_4K);
	if (size) {
		if (check_add_overflow(size, iova - start, &size))
			size = 0;
	}
	sv3_flush(sdom, start, size);
	/* CMD_SYNC: DMA issued before it no longer uses what was dropped */
	simio_dma_quiesce(sdev->iommu);
	return 0;
}

const struct simio_family_ops simio_smmuv3_ops = {
	.name = "smmuv3",
	.hw_info_type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3,
	.init = sv3_init,
	.fini = sv3_fini,
	.show_caps = sv3_show_caps,
	.hw_info = sv3_hw_info,
	.dev_init = sv3_dev_init,
	.dev_fini = sv3_dev_fini,
	.domain_alloc_paging = sv3_domain_alloc_paging,
	.domain_free = sv3_domain_free,
	.attach = sv3_attach,
	.translate = sv3_translate,
	.flush = sv3_flush,
	.ctx_entry = sv3_ctx_entry,
	.invalidate = sv3_invalidate,
	.lookup_domain = sv3_lookup_domain,
	.set_dirty_tracking = sv3_set_dirty_tracking,
};
