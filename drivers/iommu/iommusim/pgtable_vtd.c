// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommusim page tables, part 2: the VT-d descriptors. The walker itself is
 * in pgtable_arm.c; this file only says how VT-d entries look.
 *
 * Second-level tables (scalable mode SL, also the legacy format): entries
 * carry R/W permissions, PS for 2 MiB and 1 GiB leaves, SNP for snooped
 * (cache coherent) DMA, and A/D flags the hardware sets only when the
 * PASID entry enables SSADE, which is how VT-d tracks dirty pages.
 *
 * First-level tables are x86-64 paging structures: present implies read,
 * R/W grants write, U/S must be set because DMA requests are user-level
 * requests, and the hardware always sets A on use and D on write.
 *
 * Both use 4 levels for input widths up to 48 bits and 5 above, numbered
 * 1 (4 KiB leaf) to 5 in the VT-d way.
 */
#include <linux/bits.h>

#include "iommusim.h"

#define VTD_ADDR		GENMASK_ULL(51, 12)

/* Second-level entries (VT-d spec 9.8) */
#define VTD_SL_R		BIT_ULL(0)
#define VTD_SL_W		BIT_ULL(1)
#define VTD_SL_PS		BIT_ULL(7)
#define VTD_SL_A		BIT_ULL(8)
#define VTD_SL_D		BIT_ULL(9)
#define VTD_SL_SNP		BIT_ULL(11)

/* First-level entries: x86-64 paging (VT-d spec 9.7) */
#define VTD_FL_P		BIT_ULL(0)
#define VTD_FL_RW		BIT_ULL(1)
#define VTD_FL_US		BIT_ULL(2)
#define VTD_FL_PWT		BIT_ULL(3)
#define VTD_FL_PCD		BIT_ULL(4)
#define VTD_FL_A		BIT_ULL(5)
#define VTD_FL_D		BIT_ULL(6)
#define VTD_FL_PS		BIT_ULL(7)
#define VTD_FL_XD		BIT_ULL(63)	/* left clear: DMA may execute */

#define VTD_MAX_LEAF_LVL	2

static int vtd_levels(unsigned int ias, unsigned int oas)
{
	if (ias < 21 || ias > 57 || oas < 32 || oas > 52)
		return -EINVAL;
	return ias > 48 ? 5 : 4;
}

static unsigned int vtd_level_num(unsigned int lvl)
{
	return lvl + 1;
}

static phys_addr_t vtd_addr(u64 pte)
{
	return pte & VTD_ADDR;
}

/* PS (bit 7 in both formats) marks a leaf above level 1 */
static enum simpt_kind vtd_kind_present(u64 pte, unsigned int lvl)
{
	if (!lvl)
		return SIMPT_PTE_LEAF;
	if (!(pte & VTD_SL_PS))
		return SIMPT_PTE_TABLE;
	/* PS in a 512 GiB entry is reserved: a fault, as no leaf */
	return lvl <= VTD_MAX_LEAF_LVL ? SIMPT_PTE_LEAF : SIMPT_PTE_NONE;
}

static u64 vtd_relocate(u64 leaf, unsigned int lvl, phys_addr_t pa)
{
	leaf &= ~(VTD_ADDR | VTD_SL_PS);
	return leaf | (pa & VTD_ADDR) | (lvl ? VTD_SL_PS : 0);
}

/* Read/write check shared by both formats */
static int vtd_check(unsigned int perm, unsigned int access)
{
	unsigned int need = (access & SIMPT_ACC_WRITE) ? SIMPT_WRITE :
							 SIMPT_READ;

	return (perm & need) ? 0 : -EACCES;
}

/* ------------------------------------------------------------------ */
/* Second level                                                       */

static enum simpt_kind vtd_sl_kind(u64 pte, unsigned int lvl)
{
	/* An SL entry with neither R nor W is not present */
	if (!(pte & (VTD_SL_R | VTD_SL_W)))
		return SIMPT_PTE_NONE;
	return vtd_kind_present(pte, lvl);
}

static u64 vtd_sl_mk_table(const struct simpt *pt, phys_addr_t table)
{
	/* Non-leaf R/W do not restrict: the leaf decides */
	return (table & VTD_ADDR) | VTD_SL_R | VTD_SL_W;
}

static u64 vtd_sl_mk_leaf(const struct simpt *pt, unsigned int lvl,
			  phys_addr_t pa, unsigned int prot)
{
	u64 pte = pa & VTD_ADDR;

	if (prot & SIMPT_READ)
		pte |= VTD_SL_R;
	if (prot & SIMPT_WRITE)
		pte |= VTD_SL_W;
	if (prot & SIMPT_CACHE)
		pte |= VTD_SL_SNP;
	if (lvl)
		pte |= VTD_SL_PS;
	return pte;
}

static int vtd_sl_access(const struct simpt *pt, u64 pte, unsigned int access,
			 u64 *upd, unsigned int *perm, bool *dirty)
{
	unsigned int p = ((pte & VTD_SL_R) ? SIMPT_READ : 0) |
			 ((pte & VTD_SL_W) ? SIMPT_WRITE : 0);
	int ret = vtd_check(p, access);

	*upd = pte;
	*perm = p;
	*dirty = pte & VTD_SL_D;
	if (ret)
		return ret;
	/* A and D are only written when the PASID entry sets SSADE */
	if ((access & SIMPT_ACC_HW_DIRTY) && !(access & SIMPT_ACC_PROBE)) {
		*upd |= VTD_SL_A;
		if (access & SIMPT_ACC_WRITE) {
			*upd |= VTD_SL_D;
			*dirty = true;
		}
	}
	return 0;
}

static bool vtd_sl_is_dirty(const struct simpt *pt, u64 pte)
{
	return pte & VTD_SL_D;
}

static u64 vtd_sl_clear_dirty(const struct simpt *pt, u64 pte)
{
	return pte & ~VTD_SL_D;
}

const struct simpt_fmt_ops simpt_vtd_sl_ops = {
	.levels = vtd_levels,
	.level_num = vtd_level_num,
	.kind = vtd_sl_kind,
	.addr = vtd_addr,
	.mk_table = vtd_sl_mk_table,
	.mk_leaf = vtd_sl_mk_leaf,
	.relocate = vtd_relocate,
	.access = vtd_sl_access,
	.is_dirty = vtd_sl_is_dirty,
	.clear_dirty = vtd_sl_clear_dirty,
};

/* ------------------------------------------------------------------ */
/* First level                                                        */

static enum simpt_kind vtd_fl_kind(u64 pte, unsigned int lvl)
{
	if (!(pte & VTD_FL_P))
		return SIMPT_PTE_NONE;
	return vtd_kind_present(pte, lvl);
}

static u64 vtd_fl_mk_table(const struct simpt *pt, phys_addr_t table)
{
	/*
	 * Permissions are the AND over all levels in x86 paging, so tables
	 * grant everything; A is set now rather than on the first walk.
	 */
	return (table & VTD_ADDR) | VTD_FL_P | VTD_FL_RW | VTD_FL_US |
	       VTD_FL_A;
}

static u64 vtd_fl_mk_leaf(const struct simpt *pt, unsigned int lvl,
			  phys_addr_t pa, unsigned int prot)
{
	/* Present means readable: write-only maps as read/write */
	u64 pte = (pa & VTD_ADDR) | VTD_FL_P | VTD_FL_US;

	if (prot & SIMPT_WRITE)
		pte |= VTD_FL_RW;
	/* PAT index 3 (PCD|PWT) is uncached in the power-on PAT */
	if (!(prot & SIMPT_CACHE))
		pte |= VTD_FL_PCD | VTD_FL_PWT;
	if (lvl)
		pte |= VTD_FL_PS;
	return pte;
}

static int vtd_fl_access(const struct simpt *pt, u64 pte, unsigned int access,
			 u64 *upd, unsigned int *perm, bool *dirty)
{
	unsigned int p = SIMPT_READ | ((pte & VTD_FL_RW) ? SIMPT_WRITE : 0);
	int ret = vtd_check(p, access);

	*upd = pte;
	*perm = p;
	*dirty = pte & VTD_FL_D;
	if (ret)
		return ret;
	/* x86 paging: A on every use, D on every write, no enable bit */
	if (!(access & SIMPT_ACC_PROBE)) {
		*upd |= VTD_FL_A;
		if (access & SIMPT_ACC_WRITE) {
			*upd |= VTD_FL_D;
			*dirty = true;
		}
	}
	return 0;
}

static bool vtd_fl_is_dirty(const struct simpt *pt, u64 pte)
{
	return pte & VTD_FL_D;
}

static u64 vtd_fl_clear_dirty(const struct simpt *pt, u64 pte)
{
	return pte & ~VTD_FL_D;
}

const struct simpt_fmt_ops simpt_vtd_fl_ops = {
	.levels = vtd_levels,
	.level_num = vtd_level_num,
	.kind = vtd_fl_kind,
	.addr = vtd_addr,
	.mk_table = vtd_fl_mk_table,
	.mk_leaf = vtd_fl_mk_leaf,
	.relocate = vtd_relocate,
	.access = vtd_fl_access,
	.is_dirty = vtd_fl_is_dirty,
	.clear_dirty = vtd_fl_clear_dirty,
};
