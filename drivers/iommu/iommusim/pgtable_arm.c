// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommusim page tables, part 1: the walker every format shares, and the
 * AArch64 VMSAv8-64 descriptors (4 KiB granule) of SMMUv3 stage 1 and
 * stage 2. pgtable_vtd.c supplies the VT-d descriptors through
 * struct simpt_fmt_ops.
 *
 * A table is one zeroed kernel page of 512 little-endian 64-bit entries;
 * table entries hold the physical address of the next table, exactly as
 * the hardware would read them. Tables are only freed by simpt_destroy(),
 * so the simulated hardware walks them without a lock: every change is a
 * single-entry store or cmpxchg, and a concurrent walk sees either the old
 * or the new entry, never a freed table.
 *
 * The walker numbers levels from the leaf up (0 maps 4 KiB, 1 maps 2 MiB,
 * 2 maps 1 GiB); each format converts to its own numbering for
 * struct simpt_walk.
 */
#include <linux/bitfield.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "iommusim.h"

#define SIMPT_ENTRIES		512
#define SIMPT_MAX_LEAF_LVL	2	/* 1 GiB: no format maps larger */

/* VMSAv8-64 descriptor bits, 4 KiB granule (Arm ARM D8.3) */
#define ARM_VALID		BIT_ULL(0)
#define ARM_TABLE_OR_PAGE	BIT_ULL(1)	/* 0 at levels 1-2: block */
#define ARM_S1_ATTRINDX		GENMASK_ULL(4, 2)
#define ARM_S2_MEMATTR		GENMASK_ULL(5, 2)
#define ARM_S1_AP_EL0		BIT_ULL(6)	/* AP[1]: unprivileged access */
#define ARM_S1_AP_RDONLY	BIT_ULL(7)	/* AP[2] */
#define ARM_S2_S2AP_R		BIT_ULL(6)	/* S2AP[0] */
#define ARM_S2_S2AP_W		BIT_ULL(7)	/* S2AP[1] */
#define ARM_SH			GENMASK_ULL(9, 8)
#define ARM_AF			BIT_ULL(10)
#define ARM_S1_NG		BIT_ULL(11)
#define ARM_OA			GENMASK_ULL(47, 12)
#define ARM_DBM			BIT_ULL(51)
#define ARM_CONTIG		BIT_ULL(52)
#define ARM_XN			GENMASK_ULL(54, 53)	/* S1 PXN/UXN, S2 XN */

#define ARM_SH_OUTER		2
#define ARM_SH_INNER		3

/* AttrIndx values into SIMPT_ARM_S1_MAIR */
#define ARM_S1_IDX_NC		0
#define ARM_S1_IDX_WB		1
/* Stage 2 MemAttr: Normal, outer and inner Write-Back / Non-cacheable */
#define ARM_S2_MEMATTR_WB	0xf
#define ARM_S2_MEMATTR_NC	0x5

/* Entries are stored little endian, as the hardware reads them */
static inline u64 pte_get(u64 *ptep)
{
	return le64_to_cpu((__force __le64)READ_ONCE(*ptep));
}

static inline void pte_set(u64 *ptep, u64 val)
{
	WRITE_ONCE(*ptep, (__force u64)cpu_to_le64(val));
}

static inline bool pte_cmpxchg(u64 *ptep, u64 old, u64 new)
{
	u64 o = (__force u64)cpu_to_le64(old);

	return try_cmpxchg(ptep, &o, (__force u64)cpu_to_le64(new));
}

static inline unsigned int lvl_shift(unsigned int lvl)
{
	return 12 + 9 * lvl;
}

static inline u64 lvl_size(unsigned int lvl)
{
	return 1ULL << lvl_shift(lvl);
}

static inline unsigned int lvl_index(u64 iova, unsigned int lvl)
{
	return (iova >> lvl_shift(lvl)) & (SIMPT_ENTRIES - 1);
}

/* ------------------------------------------------------------------ */
/* VMSAv8-64 descriptors                                              */

static bool arm_is_s1(const struct simpt *pt)
{
	return pt->fmt == SIMPT_ARM_S1;
}

static int arm_levels(unsigned int ias, unsigned int oas)
{
	/*
	 * 4 KiB granule, no concatenated tables: 9 bits per level above the
	 * 12-bit page offset; 52-bit output needs LPA2, which we do not do.
	 */
	if (ias < 25 || ias > 48 || oas < 32 || oas > 48)
		return -EINVAL;
	return DIV_ROUND_UP(ias - 12, 9);
}

static unsigned int arm_level_num(unsigned int lvl)
{
	return 3 - lvl;
}

static enum simpt_kind arm_kind(u64 pte, unsigned int lvl)
{
	if (!(pte & ARM_VALID))
		return SIMPT_PTE_NONE;
	if (!lvl)	/* level 3: 0b11 is a page, 0b01 reserved (fault) */
		return (pte & ARM_TABLE_OR_PAGE) ? SIMPT_PTE_LEAF :
						   SIMPT_PTE_NONE;
	if (pte & ARM_TABLE_OR_PAGE)
		return SIMPT_PTE_TABLE;
	/* Blocks exist at levels 1 and 2 only */
	return lvl <= SIMPT_MAX_LEAF_LVL ? SIMPT_PTE_LEAF : SIMPT_PTE_NONE;
}

static phys_addr_t arm_addr(u64 pte)
{
	return pte & ARM_OA;
}

static u64 arm_mk_table(const struct simpt *pt, phys_addr_t table)
{
	return (table & ARM_OA) | ARM_TABLE_OR_PAGE | ARM_VALID;
}

static u64 arm_mk_leaf(const struct simpt *pt, unsigned int lvl,
		       phys_addr_t pa, unsigned int prot)
{
	bool cache = prot & SIMPT_CACHE;
	u64 pte = (pa & ARM_OA) | ARM_AF | ARM_VALID;

	if (!lvl)
		pte |= ARM_TABLE_OR_PAGE;
	/* Normal Non-cacheable memory is Outer Shareable whatever SH says */
	pte |= FIELD_PREP(ARM_SH, cache ? ARM_SH_INNER : ARM_SH_OUTER);

	if (arm_is_s1(pt)) {
		/* Stage 1 has no write-only encoding: write implies read */
		pte |= ARM_S1_NG | ARM_S1_AP_EL0 |
		       FIELD_PREP(ARM_S1_ATTRINDX,
				  cache ? ARM_S1_IDX_WB : ARM_S1_IDX_NC);
		if (!(prot & SIMPT_WRITE))
			pte |= ARM_S1_AP_RDONLY;
		else if (pt->dbm)	/* writable-clean */
			pte |= ARM_DBM | ARM_S1_AP_RDONLY;
	} else {
		pte |= FIELD_PREP(ARM_S2_MEMATTR, cache ? ARM_S2_MEMATTR_WB :
							  ARM_S2_MEMATTR_NC);
		if (prot & SIMPT_READ)
			pte |= ARM_S2_S2AP_R;
		if (prot & SIMPT_WRITE)	/* DBM alone: writable-clean */
			pte |= pt->dbm ? ARM_DBM : ARM_S2_S2AP_W;
	}
	return pte;
}

static u64 arm_relocate(u64 leaf, unsigned int lvl, phys_addr_t pa)
{
	leaf &= ~(ARM_OA | ARM_TABLE_OR_PAGE);
	return leaf | (pa & ARM_OA) | (lvl ? 0 : ARM_TABLE_OR_PAGE);
}

static int arm_access(const struct simpt *pt, u64 pte, unsigned int access,
		      u64 *upd, unsigned int *perm, bool *dirty)
{
	bool hd = (access & SIMPT_ACC_HW_DIRTY) && (pte & ARM_DBM);
	bool update = (access & SIMPT_ACC_WRITE) &&
		      !(access & SIMPT_ACC_PROBE);
	unsigned int p;

	*upd = pte;
	if (arm_is_s1(pt)) {
		p = SIMPT_READ;
		*dirty = (pte & ARM_DBM) && !(pte & ARM_S1_AP_RDONLY);
		if (!(pte & ARM_S1_AP_RDONLY)) {
			p |= SIMPT_WRITE;
		} else if (hd) {
			/* DBM: the write makes the entry writable-dirty */
			p |= SIMPT_WRITE;
			if (update) {
				*upd = pte & ~ARM_S1_AP_RDONLY;
				*dirty = true;
			}
		}
	} else {
		p = ((pte & ARM_S2_S2AP_R) ? SIMPT_READ : 0) |
		    ((pte & ARM_S2_S2AP_W) ? SIMPT_WRITE : 0);
		*dirty = (pte & ARM_DBM) && (pte & ARM_S2_S2AP_W);
		if (!(pte & ARM_S2_S2AP_W) && hd) {
			p |= SIMPT_WRITE;
			if (update) {
				*upd = pte | ARM_S2_S2AP_W;
				*dirty = true;
			}
		}
	}
	*perm = p;
	if (!(p & ((access & SIMPT_ACC_WRITE) ? SIMPT_WRITE : SIMPT_READ)))
		return -EACCES;
	return 0;
}

static bool arm_is_dirty(const struct simpt *pt, u64 pte)
{
	if (!(pte & ARM_DBM))
		return false;
	if (arm_is_s1(pt))
		return !(pte & ARM_S1_AP_RDONLY);
	return pte & ARM_S2_S2AP_W;
}

static u64 arm_clear_dirty(const struct simpt *pt, u64 pte)
{
	if (!(pte & ARM_DBM))
		return pte;
	if (arm_is_s1(pt))
		return pte | ARM_S1_AP_RDONLY;
	return pte & ~ARM_S2_S2AP_W;
}

static const struct simpt_fmt_ops simpt_arm_ops = {
	.levels = arm_levels,
	.level_num = arm_level_num,
	.kind = arm_kind,
	.addr = arm_addr,
	.mk_table = arm_mk_table,
	.mk_leaf = arm_mk_leaf,
	.relocate = arm_relocate,
	.access = arm_access,
	.is_dirty = arm_is_dirty,
	.clear_dirty = arm_clear_dirty,
};

/* ------------------------------------------------------------------ */
/* The walker                                                         */

static const struct simpt_fmt_ops *simpt_ops(enum simpt_format fmt)
{
	switch (fmt) {
	case SIMPT_ARM_S1:
	case SIMPT_ARM_S2:
		return &simpt_arm_ops;
	case SIMPT_VTD_SL:
		return &simpt_vtd_sl_ops;
	case SIMPT_VTD_FL:
		return &simpt_vtd_fl_ops;
	}
	return NULL;
}

static u64 *simpt_table(const struct simpt_fmt_ops *ops, u64 pte)
{
	return phys_to_virt(ops->addr(pte));
}

/* True if [iova, iova + size) lies below 2^ias */
static bool simpt_in_range(const struct simpt *pt, u64 iova, u64 size)
{
	u64 lim = 1ULL << pt->ias;

	return size <= lim && iova <= lim - size;
}

/**
 * simpt_init() - set up an empty page table
 * @pt: the table
 * @fmt: its format
 * @ias: input address bits; sets the number of levels
 * @oas: output address bits; simpt_map() refuses addresses beyond them
 * @dbm: create writable entries in the format's writable-clean encoding
 *
 * Return: 0, -EINVAL for widths the format cannot do, -ENOMEM.
 */
int simpt_init(struct simpt *pt, enum simpt_format fmt, unsigned int ias,
	       unsigned int oas, bool dbm)
{
	const struct simpt_fmt_ops *ops = simpt_ops(fmt);
	int levels;

	if (!ops)
		return -EINVAL;
	levels = ops->levels(ias, oas);
	if (levels < 0)
		return levels;

	pt->root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!pt->root)
		return -ENOMEM;
	pt->fmt = fmt;
	pt->ias = ias;
	pt->oas = oas;
	pt->levels = levels;
	pt->dbm = dbm;
	spin_lock_init(&pt->lock);
	INIT_LIST_HEAD(&pt->retired);
	return 0;
}

static void simpt_free_table(const struct simpt_fmt_ops *ops, u64 *table,
			     unsigned int lvl)
{
	unsigned int i;

	for (i = 0; lvl && i < SIMPT_ENTRIES; i++) {
		u64 pte = pte_get(&table[i]);

		if (ops->kind(pte, lvl) == SIMPT_PTE_TABLE)
			simpt_free_table(ops, simpt_table(ops, pte), lvl - 1);
	}
	free_page((unsigned long)table);
}

/**
 * simpt_destroy() - free every table of @pt
 * @pt: a table set up by simpt_init(); nothing may walk it any more
 */
void simpt_destroy(struct simpt *pt)
{
	struct page *page, *tmp;

	if (!pt->root)
		return;
	simpt_free_table(simpt_ops(pt->fmt), pt->root, pt->levels - 1);
	pt->root = NULL;
	/* Retired tables are unreachable from the root: one page each */
	list_for_each_entry_safe(page, tmp, &pt->retired, lru) {
		list_del(&page->lru);
		__free_page(page);
	}
}

/**
 * simpt_pgsize_bitmap() - the page sizes a format can map
 * @fmt: the format
 *
 * Return: SZ_4K | SZ_2M | SZ_1G for every format we model.
 */
unsigned long simpt_pgsize_bitmap(enum simpt_format fmt)
{
	return SZ_4K | SZ_2M | SZ_1G;
}

/* The next-level table under *ptep, installing an empty one if needed */
static u64 *simpt_get_table(struct simpt *pt, const struct simpt_fmt_ops *ops,
			    u64 *ptep, unsigned int lvl, gfp_t gfp)
{
	u64 pte = pte_get(ptep);
	u64 *table;

	for (;;) {
		switch (ops->kind(pte, lvl)) {
		case SIMPT_PTE_TABLE:
			return simpt_table(ops, pte);
		case SIMPT_PTE_LEAF:
			return ERR_PTR(-EEXIST);
		case SIMPT_PTE_NONE:
			break;
		}
		table = (u64 *)get_zeroed_page(gfp);
		if (!table)
			return ERR_PTR(-ENOMEM);
		if (pte_cmpxchg(ptep, pte,
				ops->mk_table(pt, virt_to_phys(table))))
			return table;
		/* Another map of a neighbouring range installed one first */
		free_page((unsigned long)table);
		pte = pte_get(ptep);
	}
}

/* True if no leaf is left anywhere under @table (level @lvl) */
static bool simpt_table_empty(const struct simpt_fmt_ops *ops, u64 *table,
			      unsigned int lvl)
{
	unsigned int i;

	for (i = 0; i < SIMPT_ENTRIES; i++) {
		u64 pte = pte_get(&table[i]);

		switch (ops->kind(pte, lvl)) {
		case SIMPT_PTE_NONE:
			break;
		case SIMPT_PTE_LEAF:
			return false;
		case SIMPT_PTE_TABLE:
			if (!simpt_table_empty(ops, simpt_table(ops, pte),
					       lvl - 1))
				return false;
			break;
		}
	}
	return true;
}

/* Put an unlinked empty table and every table under it on pt->retired */
static void simpt_retire(struct simpt *pt, const struct simpt_fmt_ops *ops,
			 u64 *table, unsigned int lvl)
{
	unsigned int i;

	for (i = 0; lvl && i < SIMPT_ENTRIES; i++) {
		u64 pte = pte_get(&table[i]);

		if (ops->kind(pte, lvl) == SIMPT_PTE_TABLE)
			simpt_retire(pt, ops, simpt_table(ops, pte), lvl - 1);
	}
	list_add(&virt_to_page(table)->lru, &pt->retired);
}

/*
 * Make *ptep the leaf @leaf. The slot must be empty, or hold a table with
 * no leaf left (unmap keeps tables): such a table is replaced so a range
 * once mapped with small pages can be mapped with a large one again, and
 * is kept until simpt_destroy() since a walk may be inside it.
 */
static int simpt_set_leaf(struct simpt *pt, const struct simpt_fmt_ops *ops,
			  u64 *ptep, unsigned int lvl, u64 leaf)
{
	u64 old = pte_get(ptep);

	if (lvl && ops->kind(old, lvl) == SIMPT_PTE_TABLE) {
		u64 *table = simpt_table(ops, old);

		if (!simpt_table_empty(ops, table, lvl - 1) ||
		    !pte_cmpxchg(ptep, old, leaf))
			return -EEXIST;
		spin_lock(&pt->lock);
		simpt_retire(pt, ops, table, lvl - 1);
		spin_unlock(&pt->lock);
		return 0;
	}
	return pte_cmpxchg(ptep, 0, leaf) ? 0 : -EEXIST;
}

/*
 * Map [*iova, end) from *pa in @table (level @lvl), advancing *iova and *pa
 * past what is mapped, so on failure the caller knows what to undo.
 */
static int simpt_map_lvl(struct simpt *pt, const struct simpt_fmt_ops *ops,
			 u64 *table, unsigned int lvl, u64 *iova, u64 end,
			 phys_addr_t *pa, unsigned int prot, gfp_t gfp)
{
	u64 sz = lvl_size(lvl);
	int ret;

	while (*iova < end) {
		u64 *ptep = &table[lvl_index(*iova, lvl)];
		u64 next = min((*iova | (sz - 1)) + 1, end);
		u64 *child;

		if (lvl <= SIMPT_MAX_LEAF_LVL && !((*iova | *pa) & (sz - 1)) &&
		    end - *iova >= sz) {
			ret = simpt_set_leaf(pt, ops, ptep, lvl,
					     ops->mk_leaf(pt, lvl, *pa, prot));
			if (ret)
				return ret;
			*iova += sz;
			*pa += sz;
			continue;
		}
		if (WARN_ON_ONCE(!lvl))
			return -EINVAL;
		child = simpt_get_table(pt, ops, ptep, lvl, gfp);
		if (IS_ERR(child))
			return PTR_ERR(child);
		ret = simpt_map_lvl(pt, ops, child, lvl - 1, iova, next, pa,
				    prot, gfp);
		if (ret)
			return ret;
	}
	return 0;
}

/**
 * simpt_map() - map [iova, iova + size) to [paddr, paddr + size)
 * @pt: the table
 * @iova: first IOVA, 4 KiB aligned
 * @paddr: first output address, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 * @prot: SIMPT_READ / SIMPT_WRITE (at least one) / SIMPT_CACHE
 * @gfp: for new tables
 *
 * Uses the largest page size (1 GiB, 2 MiB, 4 KiB) that the alignment of
 * IOVA and output address and the remaining length allow.
 *
 * Return: 0; -EINVAL for bad alignment, permissions or an address beyond
 * ias/oas; -EEXIST if part of the range is mapped; -ENOMEM. On failure
 * nothing this call mapped stays mapped.
 */
int simpt_map(struct simpt *pt, u64 iova, phys_addr_t paddr, u64 size,
	      unsigned int prot, gfp_t gfp)
{
	const struct simpt_fmt_ops *ops = simpt_ops(pt->fmt);
	phys_addr_t pa = paddr;
	u64 cur = iova;
	int ret;

	if (!size || ((iova | paddr | size) & (SZ_4K - 1)))
		return -EINVAL;
	if (!(prot & (SIMPT_READ | SIMPT_WRITE)))
		return -EINVAL;
	if (!simpt_in_range(pt, iova, size) || paddr + size - 1 < paddr ||
	    ((paddr + size - 1) >> pt->oas))
		return -EINVAL;

	ret = simpt_map_lvl(pt, ops, pt->root, pt->levels - 1, &cur,
			    iova + size, &pa, prot, gfp);
	if (ret && cur != iova)
		simpt_unmap(pt, iova, cur - iova);
	return ret;
}

/*
 * Replace the block *ptep (value @pte, at @lvl) by a table of the next
 * level mapping the same range with the same attributes and dirty state.
 * Returns false only when no page could be had.
 */
static bool simpt_split(struct simpt *pt, const struct simpt_fmt_ops *ops,
			u64 *ptep, u64 pte, unsigned int lvl)
{
	u64 child_sz = lvl_size(lvl - 1);
	u64 *table;
	unsigned int i;

	/* unmap has no gfp and may be called from any context */
	table = (u64 *)get_zeroed_page(GFP_ATOMIC);
	if (!table)
		return false;

	spin_lock(&pt->lock);
	for (;;) {
		phys_addr_t base = ops->addr(pte) & ~(lvl_size(lvl) - 1);

		for (i = 0; i < SIMPT_ENTRIES; i++)
			pte_set(&table[i], ops->relocate(pte, lvl - 1,
							 base + i * child_sz));
		/* Fails if the hardware just updated the block's A/D state */
		if (pte_cmpxchg(ptep, pte,
				ops->mk_table(pt, virt_to_phys(table))))
			break;
		pte = pte_get(ptep);
		if (ops->kind(pte, lvl) != SIMPT_PTE_LEAF) {
			free_page((unsigned long)table);
			break;
		}
	}
	spin_unlock(&pt->lock);
	return true;
}

static u64 simpt_unmap_lvl(struct simpt *pt, const struct simpt_fmt_ops *ops,
			   u64 *table, unsigned int lvl, u64 iova, u64 end,
			   bool *stop)
{
	u64 sz = lvl_size(lvl);
	u64 done = 0;

	while (iova < end && !*stop) {
		u64 *ptep = &table[lvl_index(iova, lvl)];
		u64 next = min((iova | (sz - 1)) + 1, end);
		u64 pte = pte_get(ptep);

		switch (ops->kind(pte, lvl)) {
		case SIMPT_PTE_NONE:
			break;
		case SIMPT_PTE_LEAF:
			if (!(iova & (sz - 1)) && next - iova == sz) {
				pte_set(ptep, 0);
				done += sz;
				break;
			}
			/* Part of a block: split it, then look again */
			if (!simpt_split(pt, ops, ptep, pte, lvl))
				*stop = true;
			continue;
		case SIMPT_PTE_TABLE:
			done += simpt_unmap_lvl(pt, ops, simpt_table(ops, pte),
						lvl - 1, iova, next, stop);
			break;
		}
		iova = next;
	}
	return done;
}

/**
 * simpt_unmap() - clear the leaves of [iova, iova + size)
 * @pt: the table
 * @iova: first IOVA, 4 KiB aligned
 * @size: bytes, a multiple of 4 KiB
 *
 * A block only partly inside the range is first split into a table of the
 * next level. Tables stay allocated until simpt_destroy(). The IOTLB is
 * not touched: invalidating it is the caller's job.
 *
 * Return: bytes that were mapped and are now unmapped (less than @size
 * when there were holes, or when a split found no memory).
 */
u64 simpt_unmap(struct simpt *pt, u64 iova, u64 size)
{
	bool stop = false;

	if (!size || ((iova | size) & (SZ_4K - 1)) ||
	    !simpt_in_range(pt, iova, size))
		return 0;
	return simpt_unmap_lvl(pt, simpt_ops(pt->fmt), pt->root,
			       pt->levels - 1, iova, iova + size, &stop);
}

/* Find the leaf entry translating @iova, NULL if there is none */
static u64 *simpt_find_leaf(struct simpt *pt, const struct simpt_fmt_ops *ops,
			    u64 iova, unsigned int *lvlp, u64 *ptev)
{
	u64 *table = pt->root;
	unsigned int lvl = pt->levels - 1;

	for (;;) {
		u64 *ptep = &table[lvl_index(iova, lvl)];
		u64 pte = pte_get(ptep);

		switch (ops->kind(pte, lvl)) {
		case SIMPT_PTE_NONE:
			return NULL;
		case SIMPT_PTE_LEAF:
			*lvlp = lvl;
			*ptev = pte;
			return ptep;
		case SIMPT_PTE_TABLE:
			if (WARN_ON_ONCE(!lvl))
				return NULL;
			table = simpt_table(ops, pte);
			lvl--;
			break;
		}
	}
}

/**
 * simpt_hw_walk() - translate @iova as the hardware does on an IOTLB miss
 * @pt: the table
 * @iova: the input address
 * @access: SIMPT_ACC_* flags
 * @out: the leaf found; filled on success and on -EACCES
 *
 * Lockless. A write through a writable-clean entry with SIMPT_ACC_HW_DIRTY
 * marks the entry dirty (and VT-d formats set their A/D bits) with
 * cmpxchg, unless @access has SIMPT_ACC_PROBE.
 *
 * Return: 0; -ENOENT (translation fault), -EACCES (permission fault),
 * -ERANGE (@iova beyond ias).
 */
int simpt_hw_walk(struct simpt *pt, u64 iova, unsigned int access,
		  struct simpt_walk *out)
{
	const struct simpt_fmt_ops *ops = simpt_ops(pt->fmt);
	unsigned int lvl, perm;
	u64 *ptep, pte, upd, sz;
	bool dirty;
	int ret;

	if (iova >> pt->ias)
		return -ERANGE;
again:
	ptep = simpt_find_leaf(pt, ops, iova, &lvl, &pte);
	if (!ptep)
		return -ENOENT;
	for (;;) {
		ret = ops->access(pt, pte, access, &upd, &perm, &dirty);
		if (ret || upd == pte || (access & SIMPT_ACC_PROBE))
			break;
		if (pte_cmpxchg(ptep, pte, upd)) {
			pte = upd;
			break;
		}
		/* Changed under us: unmapped, split, or A/D set by another */
		pte = pte_get(ptep);
		if (ops->kind(pte, lvl) != SIMPT_PTE_LEAF)
			goto again;
	}

	sz = lvl_size(lvl);
	out->phys = (ops->addr(pte) & ~(sz - 1)) | (iova & (sz - 1));
	out->page_size = sz;
	out->level = ops->level_num(lvl);
	out->perm = perm;
	out->pte = pte;
	out->dirty = dirty;
	return ret;
}

/**
 * simpt_iova_to_phys() - the output address of @iova
 * @pt: the table
 * @iova: the input address
 *
 * Return: the output address, 0 when @iova is not mapped.
 */
phys_addr_t simpt_iova_to_phys(struct simpt *pt, u64 iova)
{
	struct simpt_walk w;
	int ret;

	/* A permission fault still found the leaf (e.g. write-only S2) */
	ret = simpt_hw_walk(pt, iova, SIMPT_ACC_PROBE, &w);
	if (ret && ret != -EACCES)
		return 0;
	return w.phys;
}

static int simpt_dirty_lvl(struct simpt *pt, const struct simpt_fmt_ops *ops,
			   u64 *table, unsigned int lvl, u64 iova, u64 end,
			   bool no_clear,
			   int (*record)(void *arg, u64 iova, u64 len),
			   void *arg)
{
	u64 sz = lvl_size(lvl);
	int ret;

	while (iova < end) {
		u64 *ptep = &table[lvl_index(iova, lvl)];
		u64 next = min((iova | (sz - 1)) + 1, end);
		u64 pte = pte_get(ptep);

		switch (ops->kind(pte, lvl)) {
		case SIMPT_PTE_NONE:
			break;
		case SIMPT_PTE_TABLE:
			ret = simpt_dirty_lvl(pt, ops, simpt_table(ops, pte),
					      lvl - 1, iova, next, no_clear,
					      record, arg);
			if (ret)
				return ret;
			break;
		case SIMPT_PTE_LEAF:
			if (!ops->is_dirty(pt, pte))
				break;
			/* The hardware may set A/D concurrently: cmpxchg */
			while (!no_clear &&
			       !pte_cmpxchg(ptep, pte,
					    ops->clear_dirty(pt, pte))) {
				pte = pte_get(ptep);
				if (ops->kind(pte, lvl) != SIMPT_PTE_LEAF)
					break;
			}
			ret = record(arg, iova & ~(sz - 1), sz);
			if (ret)
				return ret;
			break;
		}
		iova = next;
	}
	return 0;
}

/**
 * simpt_read_and_clear_dirty() - report and clear dirty leaves
 * @pt: the table
 * @iova: first IOVA
 * @size: bytes
 * @no_clear: only report
 * @record: called with the whole range of each dirty leaf overlapping
 *	    [@iova, @iova + @size); may sleep
 * @arg: for @record
 *
 * Walks only tables that are present, without pt->lock: the caller keeps
 * map and unmap of the range away, and the hardware's concurrent dirty
 * updates are single-entry cmpxchg like ours.
 *
 * Return: 0 or the first error @record returned.
 */
int simpt_read_and_clear_dirty(struct simpt *pt, u64 iova, u64 size,
			       bool no_clear,
			       int (*record)(void *arg, u64 iova, u64 len),
			       void *arg)
{
	u64 lim = 1ULL << pt->ias;

	if (!size || iova >= lim)
		return 0;
	size = min(size, lim - iova);
	return simpt_dirty_lvl(pt, simpt_ops(pt->fmt), pt->root,
			       pt->levels - 1, iova, iova + size, no_clear,
			       record, arg);
}

/**
 * simpt_alias_leaf() - test hook: make the 4 KiB leaf of @iova point where
 *			@src_iova translates, without any invalidation
 * @pt: the table
 * @iova: an IOVA mapped by a 4 KiB leaf
 * @src_iova: a mapped IOVA
 *
 * Return: 0, -ENOENT if @iova has no 4 KiB leaf or @src_iova no leaf.
 */
int simpt_alias_leaf(struct simpt *pt, u64 iova, u64 src_iova)
{
	const struct simpt_fmt_ops *ops = simpt_ops(pt->fmt);
	struct simpt_walk src;
	unsigned int lvl;
	u64 *ptep, pte;
	int ret;

	ret = simpt_hw_walk(pt, src_iova, SIMPT_ACC_PROBE, &src);
	if (ret && ret != -EACCES)
		return -ENOENT;
	if (iova >> pt->ias)
		return -ENOENT;

	spin_lock(&pt->lock);
	ptep = simpt_find_leaf(pt, ops, iova, &lvl, &pte);
	if (!ptep || lvl) {
		spin_unlock(&pt->lock);
		return -ENOENT;
	}
	pte_set(ptep, ops->relocate(pte, 0, src.phys & ~(u64)(SZ_4K - 1)));
	spin_unlock(&pt->lock);
	return 0;
}
