// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU_TEST_CMD and the mock IOMMU driver behind it.
 *
 * Linux's own iommufd selftests drive the core through this ioctl: they
 * create mock devices, attach them, and then look inside the mock page
 * tables and at the refcounts of user pages to prove that the core mapped,
 * pinned and unpinned exactly what it should. The mock driver sits behind
 * the same driver ops (include/linux/iommufd_ops.h) as any other IOMMU, so
 * everything the tests see went through the real core paths.
 *
 * The mock page table is an xarray indexed by IOVA / MOCK_IO_PAGE_SIZE (a
 * "chunk"). One map call becomes a few multi-index entries, the largest
 * naturally aligned power-of-two blocks that tile it, so its cost does not
 * grow with its length. Every entry is an xarray value holding the distance
 * from IOVA chunk to physical chunk (constant within a call) plus marker
 * bits. The markers remember which blocks began and ended each map call, so
 * unmap can tell when the core splits a range it mapped in one call; that
 * would break a real IOMMU that used a large IOPTE for it.
 *
 * Dirty tracking: the IOPTEs of the mock are MOCK_IO_PAGE_SIZE each, except
 * that a domain of a MOCK_FLAGS_DEVICE_HUGE_IOVA device uses a
 * MOCK_HUGE_PAGE_SIZE IOPTE wherever a map call covers an aligned block of
 * that size at equally aligned physical memory (as the IOMMU API picks its
 * page sizes); such blocks carry MOCK_PTE_HUGE. The dirty bits live in a
 * second xarray of bitmaps, one bit per MOCK_IO_PAGE_SIZE step, set by
 * IOMMU_TEST_OP_DIRTY (the "DMA write"); a huge IOPTE is dirty when any of
 * its steps is, and is reported and cleared as a whole, like hardware.
 */
#include <linux/anon_inodes.h>
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/file.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/pfn.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/xarray.h>

#include "iommufd_private.h"
#include "iommufd_test.h"

enum {
	/* Half a CPU page, so the core must cope with sub-page IOMMU pages */
	MOCK_IO_PAGE_SIZE = PAGE_SIZE / 2,
	MOCK_HUGE_PAGE_SIZE = 512 * MOCK_IO_PAGE_SIZE,
};

/*
 * Layout of a mock IOPTE (an xarray value, so bit 63 is unavailable): bits
 * 0..47 hold physical chunk - IOVA chunk as a signed number, the bits above
 * are markers.
 */
#define MOCK_PTE_DELTA_BITS	48
#define MOCK_PTE_DELTA_MASK	(BIT_ULL(MOCK_PTE_DELTA_BITS) - 1)
#define MOCK_PTE_MAP_START	BIT_ULL(MOCK_PTE_DELTA_BITS + 0)
#define MOCK_PTE_MAP_LAST	BIT_ULL(MOCK_PTE_DELTA_BITS + 1)
#define MOCK_PTE_WRITE		BIT_ULL(MOCK_PTE_DELTA_BITS + 2)
#define MOCK_PTE_HUGE		BIT_ULL(MOCK_PTE_DELTA_BITS + 3)

/* Mock IOPTE steps in one huge IOPTE */
#define MOCK_HUGE_CHUNKS	(MOCK_HUGE_PAGE_SIZE / MOCK_IO_PAGE_SIZE)

/*
 * Dirty bits of MOCK_DIRTY_CHUNK_STEPS consecutive steps. Bitmaps rather
 * than one xarray entry per step: the upstream tests dirty every other
 * step of 128 MiB, which under KASAN and TCG must not cost an xarray
 * store and erase per step.
 */
#define MOCK_DIRTY_CHUNK_STEPS	4096
struct mock_dirty_chunk {
	DECLARE_BITMAP(bits, MOCK_DIRTY_CHUNK_STEPS);
};

/* The upstream selftests refuse larger access buffers too */
#define MOCK_ACCESS_MAX_LENGTH	SZ_16M

/**
 * struct mock_domain - a mock paging domain
 * @domain: what the core sees
 * @ptes: the page table (see the top of this file)
 * @dirty: IOVA step / MOCK_DIRTY_CHUNK_STEPS -> struct mock_dirty_chunk,
 *	   the steps written while tracking was on; a chunk exists only while
 *	   one of its bits is set
 * @dirty_lock: serializes marking, harvesting and the clearing of dirty
 *		state on unmap, so no step stays dirty once unmapped
 * @dirty_enabled: set_dirty_tracking state
 */
struct mock_domain {
	struct iofd_domain domain;
	struct xarray ptes;
	struct xarray dirty;
	struct mutex dirty_lock; /* see @dirty_lock above */
	bool dirty_enabled;
};

/**
 * struct mock_dev - one mock device behind the mock IOMMU
 * @hwdev: what the core sees
 * @dev_flags: MOCK_FLAGS_DEVICE_*
 * @id: number in the device name
 * @attached: PASID (IOFD_NO_PASID for the RID) -> attached iofd_domain, as
 *	      the "hardware" was programmed by the attach op
 * @fail_next_reserved: make the next replace of IOMMU_TEST_PASID_RESERVED
 *			fail, so the tests can check that the core rolls back
 * @name: device name
 */
struct mock_dev {
	struct iofd_hw_dev hwdev;
	u32 dev_flags;
	int id;
	struct xarray attached;
	bool fail_next_reserved;
	char name[32];
};

/* An IOMMUFD_OBJ_SELFTEST object: a mock device bound to the context */
struct selftest_obj {
	struct iommufd_object obj;
	struct iommufd_device *idev;
	struct mock_dev *mdev;
};

static DEFINE_IDA(mock_dev_ida);
static const struct iofd_domain_ops mock_domain_ops;
static const struct iofd_hw_dev_ops mock_hw_dev_ops;

static struct mock_domain *to_mock_domain(struct iofd_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

static struct mock_dev *to_mock_dev(struct iofd_hw_dev *hwdev)
{
	return container_of(hwdev, struct mock_dev, hwdev);
}

/* ----------------------------------------------------------------------
 * Mock domain
 */

/* The physical chunk that IOVA chunk @index of entry @ent translates to */
static unsigned long mock_pte_chunk(void *ent, unsigned long index)
{
	u64 pte = xa_to_value(ent);

	return index + sign_extend64(pte & MOCK_PTE_DELTA_MASK,
				     MOCK_PTE_DELTA_BITS - 1);
}

/* Order of the largest aligned block at @index that fits in @nr chunks */
static unsigned int mock_block_order(unsigned long index, unsigned long nr)
{
	unsigned int order;

	if (!IS_ENABLED(CONFIG_XARRAY_MULTI))
		return 0;
	order = ilog2(nr);
	if (index)
		order = min(order, (unsigned int)__ffs(index));
	return order;
}

/*
 * Store @pte over chunks [index, end) as aligned blocks; the first block
 * also gets @first_flags and the last @last_flags. Called with the xarray
 * lock held; a node allocation that fails under it is retried outside it
 * when @gfp allows. On failure *@done is where the stored part ends.
 */
static int mock_store_blocks(struct mock_domain *mock, unsigned long index,
			     unsigned long end, u64 pte, u64 first_flags,
			     u64 last_flags, gfp_t gfp, unsigned long *done)
	__must_hold(&mock->ptes.xa_lock)
{
	XA_STATE(xas, &mock->ptes, index);
	unsigned long start = index;
	int rc = 0;

	while (index != end) {
		unsigned int order = mock_block_order(index, end - index);
		unsigned long next = index + (1UL << order);
		u64 val = pte;
		void *old;

		if (index == start)
			val |= first_flags;
		if (next == end)
			val |= last_flags;
		xas_set_order(&xas, index, order);
		old = xas_store(&xas, xa_mk_value(val));
		if (xas_error(&xas)) {
			xas_unlock(&xas);
			if (!xas_nomem(&xas, gfp)) {
				xas_lock(&xas);
				rc = xas_error(&xas);
				break;
			}
			xas_lock(&xas);
			continue;
		}
		/* The core must never map over a live IOPTE */
		WARN_ON_ONCE(old);
		index = next;
	}
	/* With no error pending this frees a retry node left unused */
	if (!rc)
		xas_nomem(&xas, gfp);
	*done = index;
	return rc;
}

/* Clear chunks [index, end), which hold whole blocks. Lock held. */
static void mock_clear_blocks(struct mock_domain *mock, unsigned long index,
			      unsigned long end)
{
	XA_STATE(xas, &mock->ptes, index);

	while (index != end) {
		unsigned int order = mock_block_order(index, end - index);

		xas_set_order(&xas, index, order);
		xas_store(&xas, NULL);
		index += 1UL << order;
	}
}

/*
 * Store one map call, chunks [first, end) at physical chunk @pfirst: the
 * part that huge IOPTEs can cover (huge-capable domain, IOVA and physical
 * address equally aligned) is marked MOCK_PTE_HUGE. Lock held.
 */
static int mock_store_call(struct mock_domain *mock, unsigned long first,
			   unsigned long end, unsigned long pfirst, u64 pte,
			   gfp_t gfp, unsigned long *done)
	__must_hold(&mock->ptes.xa_lock)
{
	unsigned long hs = end, he = end;
	struct {
		unsigned long start, end;
		u64 extra;
	} seg[3];
	unsigned int i;
	int rc;

	if ((mock->domain.pgsize_bitmap & MOCK_HUGE_PAGE_SIZE) &&
	    !((first ^ pfirst) & (MOCK_HUGE_CHUNKS - 1))) {
		hs = round_up(first, MOCK_HUGE_CHUNKS);
		he = round_down(end, MOCK_HUGE_CHUNKS);
		if (hs >= he) {
			hs = end;
			he = end;
		}
	}
	seg[0].start = first;
	seg[0].end = hs;
	seg[0].extra = 0;
	seg[1].start = hs;
	seg[1].end = he;
	seg[1].extra = MOCK_PTE_HUGE;
	seg[2].start = he;
	seg[2].end = end;
	seg[2].extra = 0;

	*done = first;
	for (i = 0; i != ARRAY_SIZE(seg); i++) {
		if (seg[i].start == seg[i].end)
			continue;
		rc = mock_store_blocks(mock, seg[i].start, seg[i].end,
				       pte | seg[i].extra,
				       seg[i].start == first ?
					       MOCK_PTE_MAP_START : 0,
				       seg[i].end == end ? MOCK_PTE_MAP_LAST : 0,
				       gfp, done);
		if (rc)
			return rc;
	}
	return 0;
}

static int mock_domain_map(struct iofd_domain *domain, unsigned long iova,
			   phys_addr_t paddr, size_t size, unsigned int prot,
			   gfp_t gfp)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long first = iova / MOCK_IO_PAGE_SIZE;
	unsigned long end = first + size / MOCK_IO_PAGE_SIZE;
	s64 delta = (s64)(paddr / MOCK_IO_PAGE_SIZE) - (s64)first;
	unsigned long done;
	u64 pte;
	int rc;

	if (WARN_ON(!size || iova % MOCK_IO_PAGE_SIZE ||
		    paddr % MOCK_IO_PAGE_SIZE || size % MOCK_IO_PAGE_SIZE))
		return -EINVAL;
	if (WARN_ON(sign_extend64(delta & MOCK_PTE_DELTA_MASK,
				  MOCK_PTE_DELTA_BITS - 1) != delta))
		return -EINVAL;
	/* Lets fail_nth reach the core's domain-map error paths */
	if (iommufd_should_fail())
		return -ENOENT;

	pte = delta & MOCK_PTE_DELTA_MASK;
	if (prot & IOFD_PROT_WRITE)
		pte |= MOCK_PTE_WRITE;

	xa_lock(&mock->ptes);
	rc = mock_store_call(mock, first, end, paddr / MOCK_IO_PAGE_SIZE, pte,
			     gfp, &done);
	/* Nothing of a failed call may stay mapped */
	if (rc)
		mock_clear_blocks(mock, first, done);
	xa_unlock(&mock->ptes);
	return rc;
}

/*
 * The core unmapped part of a block: a contract violation already warned
 * about. Keep the rest of the block mapped so that the accounting of the
 * test stays sane. Lock held.
 */
static void mock_split_block(struct mock_domain *mock, unsigned long bstart,
			     unsigned long bend, unsigned long first,
			     unsigned long last, u64 pte)
{
	u64 flags = MOCK_PTE_MAP_START | MOCK_PTE_MAP_LAST;
	unsigned long done;

	pte &= ~flags;
	mock_clear_blocks(mock, bstart, bend + 1);
	if (bstart < first)
		mock_store_blocks(mock, bstart, first, pte, flags, flags,
				  GFP_ATOMIC, &done);
	if (bend > last)
		mock_store_blocks(mock, last + 1, bend + 1, pte, flags, flags,
				  GFP_ATOMIC, &done);
}

/* Forget the dirty state of IOVA steps [first, last]. dirty_lock held. */
static void __mock_dirty_clear(struct mock_domain *mock, unsigned long first,
			       unsigned long last)
{
	struct mock_dirty_chunk *chunk;
	unsigned long ci;

	lockdep_assert_held(&mock->dirty_lock);
	xa_for_each_range(&mock->dirty, ci, chunk,
			  first / MOCK_DIRTY_CHUNK_STEPS,
			  last / MOCK_DIRTY_CHUNK_STEPS) {
		unsigned long base = ci * MOCK_DIRTY_CHUNK_STEPS;
		unsigned long s = max(first, base) - base;
		unsigned long e = min(last, base + MOCK_DIRTY_CHUNK_STEPS - 1) -
				  base;

		bitmap_clear(chunk->bits, s, e - s + 1);
		if (bitmap_empty(chunk->bits, MOCK_DIRTY_CHUNK_STEPS)) {
			xa_erase(&mock->dirty, ci);
			kfree(chunk);
		}
	}
}

static void mock_dirty_clear(struct mock_domain *mock, unsigned long first,
			     unsigned long last)
{
	mutex_lock(&mock->dirty_lock);
	__mock_dirty_clear(mock, first, last);
	mutex_unlock(&mock->dirty_lock);
}

/* Mark step @index dirty. dirty_lock held. */
static int mock_dirty_mark(struct mock_domain *mock, unsigned long index)
{
	unsigned long ci = index / MOCK_DIRTY_CHUNK_STEPS;
	struct mock_dirty_chunk *chunk;
	int rc;

	lockdep_assert_held(&mock->dirty_lock);
	chunk = xa_load(&mock->dirty, ci);
	if (!chunk) {
		chunk = kzalloc(sizeof(*chunk), GFP_KERNEL_ACCOUNT);
		if (!chunk)
			return -ENOMEM;
		rc = xa_err(xa_store(&mock->dirty, ci, chunk,
				     GFP_KERNEL_ACCOUNT));
		if (rc) {
			kfree(chunk);
			return rc;
		}
	}
	set_bit(index % MOCK_DIRTY_CHUNK_STEPS, chunk->bits);
	return 0;
}

static size_t mock_domain_unmap(struct iofd_domain *domain,
				unsigned long iova, size_t size)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long first = iova / MOCK_IO_PAGE_SIZE;
	unsigned long last = first + size / MOCK_IO_PAGE_SIZE - 1;
	unsigned long index = first;
	unsigned int blocks = 0;

	if (WARN_ON_ONCE(!size || iova % MOCK_IO_PAGE_SIZE ||
			 size % MOCK_IO_PAGE_SIZE))
		return 0;

	xa_lock(&mock->ptes);
	while (index <= last) {
		XA_STATE(xas, &mock->ptes, index);
		unsigned long bstart, bend;
		unsigned int order;
		void *ent;
		u64 pte;

		ent = xas_find(&xas, last);
		if (!ent)
			break;
		order = xas_get_order(&xas);
		bstart = round_down(xas.xa_index, 1UL << order);
		bend = bstart + (1UL << order) - 1;
		pte = xa_to_value(ent);

		/*
		 * An unmap must begin where some map call began and end where
		 * one ended: anything else would cut through an IOPTE the
		 * driver was free to make large.
		 */
		if (bstart == first)
			WARN_ON_ONCE(!(pte & MOCK_PTE_MAP_START));
		if (bend == last)
			WARN_ON_ONCE(!(pte & MOCK_PTE_MAP_LAST));
		if (WARN_ON_ONCE(bstart < first || bend > last)) {
			mock_split_block(mock, bstart, bend, first, last, pte);
		} else {
			xas_set_order(&xas, bstart, order);
			xas_store(&xas, NULL);
		}
		if (bend == ULONG_MAX)
			break;
		index = bend + 1;

		/* Give other CPUs a turn now and then on huge unmaps */
		if (++blocks % 256 == 0) {
			xa_unlock(&mock->ptes);
			cond_resched();
			xa_lock(&mock->ptes);
		}
	}
	xa_unlock(&mock->ptes);

	/* An unmapped IOPTE takes its dirty state with it */
	mock_dirty_clear(mock, first, last);
	return size;
}

static phys_addr_t mock_domain_iova_to_phys(struct iofd_domain *domain,
					    unsigned long iova)
{
	struct mock_domain *mock = to_mock_domain(domain);
	void *ent;

	ent = xa_load(&mock->ptes, iova / MOCK_IO_PAGE_SIZE);
	if (!ent)
		return 0;
	return (phys_addr_t)mock_pte_chunk(ent, iova / MOCK_IO_PAGE_SIZE) *
	       MOCK_IO_PAGE_SIZE + iova % MOCK_IO_PAGE_SIZE;
}

static void mock_domain_free(struct iofd_domain *domain)
{
	struct mock_domain *mock = to_mock_domain(domain);

	/* Every IOPTE must have been unmapped before the domain goes */
	WARN_ON(!xa_empty(&mock->ptes));
	WARN_ON(!xa_empty(&mock->dirty));
	xa_destroy(&mock->ptes);
	xa_destroy(&mock->dirty);
	mutex_destroy(&mock->dirty_lock);
	kfree(mock);
}

static int mock_domain_set_dirty_tracking(struct iofd_domain *domain,
					  bool enable)
{
	struct mock_domain *mock = to_mock_domain(domain);

	if (enable && !domain->dirty_tracking)
		return -EINVAL;
	mutex_lock(&mock->dirty_lock);
	mock->dirty_enabled = enable;
	mutex_unlock(&mock->dirty_lock);
	return 0;
}

/*
 * Report the dirty IOPTEs overlapping [iova, iova + size). A huge IOPTE at
 * either end may begin before or end after the range, and its dirty steps
 * may lie outside it: widen the search to its whole extent.
 */
static int mock_domain_read_and_clear_dirty(struct iofd_domain *domain,
					    unsigned long iova, size_t size,
					    unsigned int flags,
					    struct iofd_dirty *dirty)
{
	struct mock_domain *mock = to_mock_domain(domain);
	unsigned long first = iova / MOCK_IO_PAGE_SIZE;
	unsigned long last = (iova + size - 1) / MOCK_IO_PAGE_SIZE;
	unsigned long huge_block = ULONG_MAX;
	struct mock_dirty_chunk *chunk;
	bool huge = false;
	unsigned long ci;
	void *ent;

	if (WARN_ON(!size))
		return -EINVAL;

	mutex_lock(&mock->dirty_lock);
	ent = xa_load(&mock->ptes, first);
	if (ent && (xa_to_value(ent) & MOCK_PTE_HUGE))
		first = round_down(first, MOCK_HUGE_CHUNKS);
	ent = xa_load(&mock->ptes, last);
	if (ent && (xa_to_value(ent) & MOCK_PTE_HUGE))
		last = round_up(last + 1, MOCK_HUGE_CHUNKS) - 1;

	/*
	 * A huge IOPTE is a whole MOCK_HUGE_CHUNKS-aligned block, so one
	 * lookup per block tells how its dirty steps are reported. Runs of
	 * dirty small IOPTEs are reported as one range.
	 */
	xa_for_each_range(&mock->dirty, ci, chunk,
			  first / MOCK_DIRTY_CHUNK_STEPS,
			  last / MOCK_DIRTY_CHUNK_STEPS) {
		unsigned long base = ci * MOCK_DIRTY_CHUNK_STEPS;
		unsigned long bit = max(first, base) - base;
		unsigned long end = min(last, base + MOCK_DIRTY_CHUNK_STEPS - 1) -
				    base + 1;

		while ((bit = find_next_bit(chunk->bits, end, bit)) < end) {
			unsigned long index = base + bit;
			unsigned long block = round_down(index,
							 MOCK_HUGE_CHUNKS);
			unsigned long run_end;

			if (block != huge_block) {
				huge_block = block;
				ent = xa_load(&mock->ptes, index);
				huge = ent && (xa_to_value(ent) & MOCK_PTE_HUGE);
			}
			if (huge) {
				iofd_dirty_record(dirty,
						  block * MOCK_IO_PAGE_SIZE,
						  MOCK_HUGE_PAGE_SIZE);
				run_end = block + MOCK_HUGE_CHUNKS - base;
			} else {
				run_end = find_next_zero_bit(chunk->bits, end,
							     bit);
				run_end = min(run_end, block +
						       MOCK_HUGE_CHUNKS - base);
				iofd_dirty_record(dirty,
						  index * MOCK_IO_PAGE_SIZE,
						  (run_end - bit) *
							  MOCK_IO_PAGE_SIZE);
			}
			bit = run_end;
		}
	}
	/* Everything dirty in [first, last] was reported */
	if (!(flags & IOFD_DIRTY_NO_CLEAR))
		__mock_dirty_clear(mock, first, last);
	mutex_unlock(&mock->dirty_lock);
	return 0;
}

static const struct iofd_domain_ops mock_domain_ops = {
	.map = mock_domain_map,
	.unmap = mock_domain_unmap,
	.iova_to_phys = mock_domain_iova_to_phys,
	.free = mock_domain_free,
	.set_dirty_tracking = mock_domain_set_dirty_tracking,
	.read_and_clear_dirty = mock_domain_read_and_clear_dirty,
};

/* ----------------------------------------------------------------------
 * Mock device
 */

static void *mock_dev_hw_info(struct iofd_hw_dev *hwdev, u32 *length,
			      u32 *type)
{
	struct iommu_test_hw_info *info;

	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    *type != IOMMU_HW_INFO_TYPE_SELFTEST)
		return ERR_PTR(-EOPNOTSUPP);

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL;
	*length = sizeof(*info);
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return info;
}

static struct iofd_domain *mock_dev_domain_alloc_paging(struct iofd_hw_dev *hwdev,
							u32 flags)
{
	struct mock_dev *mdev = to_mock_dev(hwdev);
	struct mock_domain *mock;

	if (flags & ~(IOFD_ALLOC_NEST_PARENT | IOFD_ALLOC_DIRTY_TRACKING |
		      IOFD_ALLOC_PASID))
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOFD_ALLOC_DIRTY_TRACKING) &&
	    (mdev->dev_flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return ERR_PTR(-EOPNOTSUPP);

	mock = kzalloc(sizeof(*mock), GFP_KERNEL);
	if (!mock)
		return ERR_PTR(-ENOMEM);
	xa_init(&mock->ptes);
	xa_init(&mock->dirty);
	mutex_init(&mock->dirty_lock);
	mock->domain.ops = &mock_domain_ops;
	mock->domain.owner = &mock_hw_dev_ops;
	mock->domain.type = IOFD_DOMAIN_PAGING;
	mock->domain.pgsize_bitmap = MOCK_IO_PAGE_SIZE;
	if (mdev->dev_flags & MOCK_FLAGS_DEVICE_HUGE_IOVA)
		mock->domain.pgsize_bitmap |= MOCK_HUGE_PAGE_SIZE;
	mock->domain.aperture_start = MOCK_APERTURE_START;
	mock->domain.aperture_end = MOCK_APERTURE_LAST;
	mock->domain.nest_parent = flags & IOFD_ALLOC_NEST_PARENT;
	mock->domain.dirty_tracking = flags & IOFD_ALLOC_DIRTY_TRACKING;
	mock->domain.pasid_compat = flags & IOFD_ALLOC_PASID;
	/* The mock "hardware" snoops every access */
	mock->domain.enforce_cache_coherency = true;
	return &mock->domain;
}

static int mock_dev_attach(struct iofd_hw_dev *hwdev, u32 pasid,
			   struct iofd_domain *domain)
{
	struct mock_dev *mdev = to_mock_dev(hwdev);

	if (!domain) {
		if (pasid == IOMMU_TEST_PASID_RESERVED)
			mdev->fail_next_reserved = false;
		xa_erase(&mdev->attached, pasid);
		return 0;
	}

	if (domain->owner != &mock_hw_dev_ops)
		return -EINVAL;
	/* A device that cannot track dirty pages cannot join such a domain */
	if (domain->dirty_tracking &&
	    (mdev->dev_flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		return -EINVAL;
	if (pasid != IOFD_NO_PASID) {
		if (!(mdev->dev_flags & MOCK_FLAGS_DEVICE_PASID) ||
		    pasid >= BIT(MOCK_PASID_WIDTH))
			return -EINVAL;
		/*
		 * The reserved PASID succeeds on its first attach and fails on
		 * the next one (a replace), once; detaching resets it.
		 */
		if (pasid == IOMMU_TEST_PASID_RESERVED) {
			if (mdev->fail_next_reserved) {
				mdev->fail_next_reserved = false;
				return -ENOMEM;
			}
			mdev->fail_next_reserved = true;
		}
	}
	return xa_err(xa_store(&mdev->attached, pasid, domain, GFP_KERNEL));
}

static const struct iofd_hw_dev_ops mock_hw_dev_ops = {
	.hw_info = mock_dev_hw_info,
	.domain_alloc_paging = mock_dev_domain_alloc_paging,
	.attach = mock_dev_attach,
};

static struct mock_dev *mock_dev_create(u32 dev_flags)
{
	struct mock_dev *mdev;

	if (dev_flags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY |
			  MOCK_FLAGS_DEVICE_HUGE_IOVA |
			  MOCK_FLAGS_DEVICE_PASID))
		return ERR_PTR(-EINVAL);

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL_ACCOUNT);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	mdev->id = ida_alloc(&mock_dev_ida, GFP_KERNEL);
	if (mdev->id < 0) {
		kfree(mdev);
		return ERR_PTR(-ENOMEM);
	}
	snprintf(mdev->name, sizeof(mdev->name), "iommufd_mock%d", mdev->id);
	xa_init(&mdev->attached);
	mdev->dev_flags = dev_flags;
	mdev->hwdev.ops = &mock_hw_dev_ops;
	mdev->hwdev.name = mdev->name;
	mdev->hwdev.flags = IOFD_HW_DEV_CACHE_COHERENT;
	if (!(dev_flags & MOCK_FLAGS_DEVICE_NO_DIRTY))
		mdev->hwdev.flags |= IOFD_HW_DEV_DIRTY_TRACKING;
	if (dev_flags & MOCK_FLAGS_DEVICE_PASID)
		mdev->hwdev.max_pasid_log2 = MOCK_PASID_WIDTH;
	/* Like upstream's mock, the device reserves no IOVA of its own */
	return mdev;
}

static void mock_dev_destroy(struct mock_dev *mdev)
{
	WARN_ON(!xa_empty(&mdev->attached));
	xa_destroy(&mdev->attached);
	ida_free(&mock_dev_ida, mdev->id);
	kfree(mdev);
}

/* ----------------------------------------------------------------------
 * Selftest objects: a mock device bound to the context
 */

/* Unbind (which detaches the RID and every PASID) and free the device */
static void selftest_obj_teardown(struct selftest_obj *sobj)
{
	if (sobj->idev) {
		iofd_device_unbind(sobj->idev);
		sobj->idev = NULL;
	}
	if (sobj->mdev) {
		mock_dev_destroy(sobj->mdev);
		sobj->mdev = NULL;
	}
}

void iommufd_selftest_destroy(struct iommufd_object *obj)
{
	selftest_obj_teardown(container_of(obj, struct selftest_obj, obj));
}

static struct selftest_obj *selftest_obj_get(struct iommufd_ucmd *ucmd, u32 id)
{
	struct iommufd_object *obj;

	obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct selftest_obj, obj);
}

/* MOCK_DOMAIN, MOCK_DOMAIN_FLAGS: new mock device attached to cmd->id */
static int iommufd_test_mock_domain(struct iommufd_ucmd *ucmd,
				    struct iommu_test_cmd *cmd)
{
	struct selftest_obj *sobj;
	u32 dev_flags = 0;
	u32 pt_id = cmd->id;
	u32 idev_id;
	int rc;

	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
		dev_flags = cmd->mock_domain_flags.dev_flags;

	sobj = iommufd_object_alloc(ucmd->ictx, sobj, IOMMUFD_OBJ_SELFTEST);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);

	sobj->mdev = mock_dev_create(dev_flags);
	if (IS_ERR(sobj->mdev)) {
		rc = PTR_ERR(sobj->mdev);
		sobj->mdev = NULL;
		goto out_abort;
	}

	/*
	 * The device lives inside the context it is bound to, so the bind
	 * must not pin the context's file (see iommufd_device_bind_ctx()).
	 */
	sobj->idev = iommufd_device_bind_ctx(ucmd->ictx, &sobj->mdev->hwdev,
					     &idev_id, false);
	if (IS_ERR(sobj->idev)) {
		rc = PTR_ERR(sobj->idev);
		sobj->idev = NULL;
		goto out_abort;
	}

	rc = iofd_device_attach(sobj->idev, IOFD_NO_PASID, &pt_id);
	if (rc)
		goto out_abort;

	/* Both members alias: mock_domain_flags extends mock_domain */
	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_idev_id = idev_id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_abort;
	iommufd_object_finalize(ucmd->ictx, &sobj->obj);
	return 0;

out_abort:
	selftest_obj_teardown(sobj);
	iommufd_object_abort(ucmd->ictx, &sobj->obj);
	return rc;
}

/* MOCK_DOMAIN_REPLACE: move the RID of selftest device cmd->id */
static int iommufd_test_mock_domain_replace(struct iommufd_ucmd *ucmd,
					    struct iommu_test_cmd *cmd)
{
	struct selftest_obj *sobj;
	u32 pt_id = cmd->mock_domain_replace.pt_id;
	int rc;

	sobj = selftest_obj_get(ucmd, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	rc = iofd_device_replace(sobj->idev, IOFD_NO_PASID, &pt_id);
	if (!rc) {
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return rc;
}

/* PASID_ATTACH / PASID_REPLACE / PASID_DETACH on selftest device cmd->id */
static int iommufd_test_pasid(struct iommufd_ucmd *ucmd,
			      struct iommu_test_cmd *cmd)
{
	struct selftest_obj *sobj;
	u32 pt_id;
	int rc = 0;

	sobj = selftest_obj_get(ucmd, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);

	switch (cmd->op) {
	case IOMMU_TEST_OP_PASID_ATTACH:
		pt_id = cmd->pasid_attach.pt_id;
		rc = iofd_device_attach(sobj->idev, cmd->pasid_attach.pasid,
					&pt_id);
		if (rc)
			break;
		cmd->pasid_attach.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		if (rc)
			iofd_device_detach(sobj->idev, cmd->pasid_attach.pasid);
		break;
	case IOMMU_TEST_OP_PASID_REPLACE:
		pt_id = cmd->pasid_replace.pt_id;
		rc = iofd_device_replace(sobj->idev, cmd->pasid_replace.pasid,
					 &pt_id);
		if (rc)
			break;
		cmd->pasid_replace.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
		break;
	case IOMMU_TEST_OP_PASID_DETACH:
		iofd_device_detach(sobj->idev, cmd->pasid_detach.pasid);
		break;
	}
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return rc;
}

/*
 * PASID_CHECK_HWPT: the mock hardware has pasid of device cmd->id pointing
 * at the domain of HWPT hwpt_id, or at nothing when hwpt_id is 0.
 */
static int iommufd_test_pasid_check_hwpt(struct iommufd_ucmd *ucmd,
					 struct iommu_test_cmd *cmd)
{
	struct iommufd_hw_pagetable *hwpt;
	struct iommufd_object *obj;
	struct selftest_obj *sobj;
	struct iofd_domain *cur;
	int rc = 0;

	sobj = selftest_obj_get(ucmd, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);

	cur = xa_load(&sobj->mdev->attached, cmd->pasid_check.pasid);
	if (!cmd->pasid_check.hwpt_id) {
		if (cur)
			rc = -EINVAL;
		goto out_put;
	}

	obj = iommufd_get_object(ucmd->ictx, cmd->pasid_check.hwpt_id,
				 IOMMUFD_OBJ_ANY);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out_put;
	}
	if (obj->type != IOMMUFD_OBJ_HWPT_PAGING &&
	    obj->type != IOMMUFD_OBJ_HWPT_NESTED) {
		rc = -EINVAL;
	} else {
		hwpt = container_of(obj, struct iommufd_hw_pagetable, obj);
		if (hwpt->domain != cur)
			rc = -EINVAL;
	}
	iommufd_put_object(ucmd->ictx, obj);
out_put:
	iommufd_put_object(ucmd->ictx, &sobj->obj);
	return rc;
}

/* ----------------------------------------------------------------------
 * IOAS and domain inspection
 */

/* ADD_RESERVED: reserve [start, start + length) of IOAS cmd->id */
static int iommufd_test_add_reserved(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	struct iommufd_ioas *ioas;
	u64 last;
	int rc;

	if (!cmd->add_reserved.length)
		return -EINVAL;
	if (check_add_overflow(cmd->add_reserved.start,
			       cmd->add_reserved.length - 1, &last))
		return -EOVERFLOW;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_reserve_iova(&ioas->iopt, cmd->add_reserved.start, last,
			       NULL);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

/* The paging HWPT @id if its domain belongs to the mock driver */
static struct iommufd_hw_pagetable *
get_mock_hwpt(struct iommufd_ucmd *ucmd, u32 id, struct mock_domain **mock)
{
	struct iommufd_object *obj;
	struct iommufd_hw_pagetable *hwpt;

	obj = iommufd_get_object(ucmd->ictx, id, IOMMUFD_OBJ_HWPT_PAGING);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	hwpt = container_of(obj, struct iommufd_hw_pagetable, obj);
	if (!hwpt->domain || hwpt->domain->ops != &mock_domain_ops) {
		iommufd_put_object(ucmd->ictx, obj);
		return ERR_PTR(-EINVAL);
	}
	*mock = to_mock_domain(hwpt->domain);
	return hwpt;
}

/* The page currently backing @uaddr, with a plain (non-pin) reference */
static int get_user_page(unsigned long uaddr, struct page **page)
{
	long n;

	n = get_user_pages_fast(uaddr & PAGE_MASK, 1, 0, page);
	if (n < 0)
		return n;
	if (WARN_ON(n != 1))
		return -EFAULT;
	return 0;
}

/*
 * MD_CHECK_MAP: every MOCK_IO_PAGE_SIZE step of [iova, iova + length) in
 * HWPT cmd->id translates to the physical address behind the same step of
 * the user buffer.
 */
static int iommufd_test_md_check_map(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	unsigned long uptr = cmd->check_map.uptr;
	unsigned long iova = cmd->check_map.iova;
	unsigned long length = cmd->check_map.length;
	struct iommufd_hw_pagetable *hwpt;
	struct mock_domain *mock;
	struct page *page = NULL;
	unsigned long end;
	int rc = 0;

	if (cmd->check_map.uptr > ULONG_MAX ||
	    cmd->check_map.iova > ULONG_MAX ||
	    cmd->check_map.length > ULONG_MAX ||
	    iova % MOCK_IO_PAGE_SIZE || length % MOCK_IO_PAGE_SIZE ||
	    uptr % MOCK_IO_PAGE_SIZE || check_add_overflow(uptr, length, &end))
		return -EINVAL;

	hwpt = get_mock_hwpt(ucmd, cmd->id, &mock);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);

	for (; length; length -= MOCK_IO_PAGE_SIZE) {
		phys_addr_t want, got;
		void *ent;

		/* Both halves of a CPU page share one lookup */
		if (!page || uptr % PAGE_SIZE == 0) {
			if (page)
				put_page(page);
			page = NULL;
			rc = get_user_page(uptr, &page);
			if (rc)
				break;
		}
		want = PFN_PHYS(page_to_pfn(page)) + uptr % PAGE_SIZE;

		ent = xa_load(&mock->ptes, iova / MOCK_IO_PAGE_SIZE);
		if (!ent) {
			rc = -EINVAL;
			break;
		}
		got = (phys_addr_t)mock_pte_chunk(ent,
						  iova / MOCK_IO_PAGE_SIZE) *
		      MOCK_IO_PAGE_SIZE;
		if (got != want) {
			rc = -EINVAL;
			break;
		}
		iova += MOCK_IO_PAGE_SIZE;
		uptr += MOCK_IO_PAGE_SIZE;
	}
	if (page)
		put_page(page);
	iommufd_put_object(ucmd->ictx, &hwpt->obj);
	return rc;
}

/*
 * MD_CHECK_REFS: every page of the user buffer is pinned exactly refs times.
 * FOLL_PIN raises the refcount of a small page by GUP_PIN_COUNTING_BIAS, so
 * the quotient is the pin count; ordinary references stay in the remainder.
 * Large folios keep their pin count elsewhere and are not checked.
 */
static int iommufd_test_md_check_refs(struct iommufd_ucmd *ucmd,
				      struct iommu_test_cmd *cmd)
{
	unsigned long uptr = cmd->check_refs.uptr;
	unsigned long length = cmd->check_refs.length;
	unsigned long end;

	if (cmd->check_refs.uptr > ULONG_MAX ||
	    cmd->check_refs.length > ULONG_MAX || length % PAGE_SIZE ||
	    uptr % PAGE_SIZE || check_add_overflow(uptr, length, &end))
		return -EINVAL;

	for (; length; length -= PAGE_SIZE, uptr += PAGE_SIZE) {
		struct page *page;
		int rc;

		rc = get_user_page(uptr, &page);
		if (rc)
			return rc;
		if (!PageCompound(page) &&
		    page_ref_count(page) / GUP_PIN_COUNTING_BIAS !=
			    cmd->check_refs.refs) {
			put_page(page);
			return -EIO;
		}
		put_page(page);
	}
	return 0;
}

/* ----------------------------------------------------------------------
 * Accesses: an emulated device, handed to userspace as a file descriptor
 */

/**
 * struct mock_access - the private data of an access fd
 * @access: the access, NULL until it is fully set up
 * @file: the fd's file
 * @lock: serializes pinning against the unmap callback and protects @pins
 * @pins: struct mock_access_pin list, pages pinned by ACCESS_PAGES
 * @next_id: ID of the next pin
 * @needs_pin: created with MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES
 */
struct mock_access {
	struct iommufd_access *access;
	struct file *file;
	struct mutex lock; /* see @lock above */
	struct list_head pins;
	unsigned int next_id;
	bool needs_pin;
};

struct mock_access_pin {
	struct list_head node;
	unsigned long iova;
	unsigned long length;
	unsigned int id;
};

static const struct file_operations mock_access_fops;

/* The access behind fd @fd, with a reference on its file */
static struct mock_access *mock_access_get(int fd)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADFD);
	if (file->f_op != &mock_access_fops) {
		fput(file);
		return ERR_PTR(-EBADFD);
	}
	return file->private_data;
}

static void mock_access_put(struct mock_access *macc)
{
	fput(macc->file);
}

static void mock_access_unpin(struct mock_access *macc,
			      struct mock_access_pin *pin)
{
	list_del(&pin->node);
	iofd_access_unpin_pages(macc->access, pin->iova, pin->length);
	kfree(pin);
}

/*
 * The IOAS is unmapping [iova, iova + length): drop every pin that touches
 * it, as a real emulated device would stop its DMA.
 */
static void mock_access_unmap(void *data, unsigned long iova,
			      unsigned long length)
{
	unsigned long last = iova + length - 1;
	struct mock_access *macc = data;
	struct mock_access_pin *pin, *next;

	mutex_lock(&macc->lock);
	list_for_each_entry_safe(pin, next, &macc->pins, node) {
		if (iova > pin->iova + pin->length - 1 || last < pin->iova)
			continue;
		mock_access_unpin(macc, pin);
	}
	mutex_unlock(&macc->lock);
}

static const struct iommufd_access_ops mock_access_ops = {
	.unmap = mock_access_unmap,
};

static const struct iommufd_access_ops mock_access_ops_pin = {
	.needs_pin_pages = 1,
	.unmap = mock_access_unmap,
};

static int mock_access_release(struct inode *inode, struct file *file)
{
	struct mock_access *macc = file->private_data;

	if (macc->access) {
		mock_access_unmap(macc, 0, ULONG_MAX);
		iofd_access_destroy(macc->access);
	}
	mutex_destroy(&macc->lock);
	kfree(macc);
	return 0;
}

static const struct file_operations mock_access_fops = {
	.owner = THIS_MODULE,
	.release = mock_access_release,
};

/* CREATE_ACCESS: an access attached to IOAS cmd->id, returned as an fd */
static int iommufd_test_create_access(struct iommufd_ucmd *ucmd,
				      struct iommu_test_cmd *cmd)
{
	u32 flags = cmd->create_access.flags;
	struct iommufd_access *access;
	struct mock_access *macc;
	struct file *file;
	u32 access_id;
	int fd;
	int rc;

	if (flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;

	macc = kzalloc(sizeof(*macc), GFP_KERNEL_ACCOUNT);
	if (!macc)
		return -ENOMEM;
	mutex_init(&macc->lock);
	INIT_LIST_HEAD(&macc->pins);

	/* From here on, the file's release frees @macc */
	file = anon_inode_getfile("[iommufd_test_access]", &mock_access_fops,
				  macc, O_RDWR);
	if (IS_ERR(file)) {
		mutex_destroy(&macc->lock);
		kfree(macc);
		return PTR_ERR(file);
	}
	macc->file = file;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto out_fput;
	}

	access = iofd_access_create(ucmd->ictx,
				    (flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES) ?
					    &mock_access_ops_pin :
					    &mock_access_ops,
				    macc, &access_id);
	if (IS_ERR(access)) {
		rc = PTR_ERR(access);
		goto out_put_fd;
	}
	rc = iofd_access_attach(access, cmd->id);
	if (rc)
		goto out_destroy;

	cmd->create_access.out_access_fd = fd;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc)
		goto out_destroy;

	macc->access = access;
	macc->needs_pin = flags & MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES;
	fd_install(fd, file);
	return 0;

out_destroy:
	iofd_access_destroy(access);
out_put_fd:
	put_unused_fd(fd);
out_fput:
	fput(file);
	return rc;
}

/* ACCESS_REPLACE_IOAS: move access fd cmd->id to another IOAS */
static int iommufd_test_access_replace_ioas(struct iommufd_ucmd *ucmd,
					    struct iommu_test_cmd *cmd)
{
	struct mock_access *macc;
	int rc;

	macc = mock_access_get(cmd->id);
	if (IS_ERR(macc))
		return PTR_ERR(macc);
	rc = iofd_access_replace(macc->access,
				 cmd->access_replace_ioas.ioas_id);
	mock_access_put(macc);
	return rc;
}

/* The pages the access returned must be the ones the user buffer maps */
static int mock_access_check_pages(unsigned long uptr, struct page **pages,
				   unsigned long npages)
{
	unsigned long i;

	for (i = 0; i != npages; i++, uptr += PAGE_SIZE) {
		struct page *page;
		int rc;

		rc = get_user_page(uptr, &page);
		if (rc)
			return rc;
		put_page(page);
		if (page != pages[i])
			return -EBADE;
	}
	return 0;
}

/* ACCESS_PAGES: pin [iova, iova + length) through access fd cmd->id */
static int iommufd_test_access_pages(struct iommufd_ucmd *ucmd,
				     struct iommu_test_cmd *cmd)
{
	unsigned long iova = cmd->access_pages.iova;
	unsigned long length = cmd->access_pages.length;
	unsigned long uptr = cmd->access_pages.uptr;
	u32 flags = cmd->access_pages.flags;
	struct mock_access_pin *pin;
	struct mock_access *macc;
	unsigned long npages;
	struct page **pages;
	int rc;

	if (length > MOCK_ACCESS_MAX_LENGTH)
		return -ENOMEM;
	if (flags & ~MOCK_FLAGS_ACCESS_WRITE)
		return -EOPNOTSUPP;
	if (cmd->access_pages.iova > ULONG_MAX ||
	    cmd->access_pages.uptr > ULONG_MAX ||
	    iova + length < iova)
		return -EOVERFLOW;

	macc = mock_access_get(cmd->id);
	if (IS_ERR(macc))
		return PTR_ERR(macc);
	if (!macc->needs_pin) {
		rc = -EOPNOTSUPP;
		goto out_put;
	}

	npages = (ALIGN(iova + length, PAGE_SIZE) - ALIGN_DOWN(iova, PAGE_SIZE)) /
		 PAGE_SIZE;
	pages = kvcalloc(max(npages, 1UL), sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages) {
		rc = -ENOMEM;
		goto out_put;
	}

	/*
	 * Hold the lock across the pin: an unmap that races with us must
	 * find the pin recorded before it looks, or it would return while
	 * the pages are still pinned.
	 */
	mutex_lock(&macc->lock);
	rc = iofd_access_pin_pages(macc->access, iova, length, pages,
				   (flags & MOCK_FLAGS_ACCESS_WRITE) ?
					   IOFD_ACCESS_RW_WRITE : 0);
	if (rc)
		goto out_unlock;

	/* A zero uptr skips the check (fuzzers cannot know the buffer) */
	if (uptr) {
		rc = mock_access_check_pages(uptr - iova % PAGE_SIZE, pages,
					     npages);
		if (rc)
			goto out_unpin;
	}

	pin = kzalloc(sizeof(*pin), GFP_KERNEL_ACCOUNT);
	if (!pin) {
		rc = -ENOMEM;
		goto out_unpin;
	}
	pin->iova = iova;
	pin->length = length;
	pin->id = macc->next_id++;
	list_add_tail(&pin->node, &macc->pins);

	cmd->access_pages.out_access_pages_id = pin->id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		list_del(&pin->node);
		kfree(pin);
		goto out_unpin;
	}
	goto out_unlock;

out_unpin:
	iofd_access_unpin_pages(macc->access, iova, length);
out_unlock:
	mutex_unlock(&macc->lock);
	kvfree(pages);
out_put:
	mock_access_put(macc);
	return rc;
}

/* DESTROY_ACCESS_PAGES: undo one ACCESS_PAGES of access fd cmd->id */
static int iommufd_test_destroy_access_pages(struct iommufd_ucmd *ucmd,
					     struct iommu_test_cmd *cmd)
{
	u32 pin_id = cmd->destroy_access_pages.access_pages_id;
	struct mock_access_pin *pin;
	struct mock_access *macc;
	int rc = -ENOENT;

	macc = mock_access_get(cmd->id);
	if (IS_ERR(macc))
		return PTR_ERR(macc);

	mutex_lock(&macc->lock);
	list_for_each_entry(pin, &macc->pins, node) {
		if (pin->id == pin_id) {
			mock_access_unpin(macc, pin);
			rc = 0;
			break;
		}
	}
	mutex_unlock(&macc->lock);
	mock_access_put(macc);
	return rc;
}

/* ACCESS_RW: copy between the user buffer and IOVA through an access */
static int iommufd_test_access_rw(struct iommufd_ucmd *ucmd,
				  struct iommu_test_cmd *cmd)
{
	void __user *ubuf = u64_to_user_ptr(cmd->access_rw.uptr);
	unsigned long length = cmd->access_rw.length;
	u32 flags = cmd->access_rw.flags;
	struct mock_access *macc;
	unsigned int rw_flags;
	void *tmp;
	int rc;

	if (length > MOCK_ACCESS_MAX_LENGTH)
		return -ENOMEM;
	if (flags & ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH))
		return -EOPNOTSUPP;
	if (cmd->access_rw.iova > ULONG_MAX)
		return -EOVERFLOW;
	/*
	 * SLOW_PATH asks upstream's core for its page-by-page copy instead
	 * of copying through the mm; ours has one path, so it only checks.
	 */
	rw_flags = (flags & MOCK_ACCESS_RW_WRITE) ? IOFD_ACCESS_RW_WRITE :
						    IOFD_ACCESS_RW_READ;

	macc = mock_access_get(cmd->id);
	if (IS_ERR(macc))
		return PTR_ERR(macc);

	tmp = kvzalloc(max(length, 1UL), GFP_KERNEL_ACCOUNT);
	if (!tmp) {
		rc = -ENOMEM;
		goto out_put;
	}
	if ((flags & MOCK_ACCESS_RW_WRITE) &&
	    copy_from_user(tmp, ubuf, length)) {
		rc = -EFAULT;
		goto out_free;
	}
	rc = iofd_access_rw(macc->access, cmd->access_rw.iova, tmp, length,
			    rw_flags);
	if (rc)
		goto out_free;
	if (!(flags & MOCK_ACCESS_RW_WRITE) &&
	    copy_to_user(ubuf, tmp, length))
		rc = -EFAULT;

out_free:
	kvfree(tmp);
out_put:
	mock_access_put(macc);
	return rc;
}

/*
 * DIRTY: the mock "device" writes to IOVA iova + n * page_size of HWPT
 * cmd->id for every bit n set in the user bitmap at uptr, which marks the
 * IOPTE there dirty; out_nr_dirty counts the writes that hit a mapped
 * IOVA. Tracking must be on. The bitmap is read a page at a time.
 */
static int iommufd_test_dirty(struct iommufd_ucmd *ucmd,
			      struct iommu_test_cmd *cmd)
{
	u8 __user *uptr = u64_to_user_ptr(cmd->dirty.uptr);
	u64 page_size = cmd->dirty.page_size;
	u64 length = cmd->dirty.length;
	u64 iova = cmd->dirty.iova;
	struct iommufd_hw_pagetable *hwpt;
	struct mock_domain *mock;
	u64 nbits, bit, count = 0;
	u8 *buf;
	int rc = 0;

	if (!page_size || !length || iova % page_size || length % page_size ||
	    !uptr)
		return -EINVAL;
	nbits = div64_u64(length, page_size);
	/* Upstream's bound: a 16 MiB bitmap */
	if (nbits > SZ_16M * BITS_PER_BYTE)
		return -EOVERFLOW;
	if (iova + length - 1 < iova || iova + length - 1 > ULONG_MAX)
		return -EOVERFLOW;

	hwpt = get_mock_hwpt(ucmd, cmd->id, &mock);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!buf) {
		rc = -ENOMEM;
		goto out_put;
	}

	mutex_lock(&mock->dirty_lock);
	if (!mock->dirty_enabled) {
		rc = -EINVAL;
		goto out_unlock;
	}
	for (bit = 0; bit < nbits; bit++) {
		u64 byte = bit / BITS_PER_BYTE;
		unsigned long index;

		if (byte % PAGE_SIZE == 0 && bit % BITS_PER_BYTE == 0) {
			size_t n = min_t(u64, PAGE_SIZE,
					 DIV_ROUND_UP(nbits, BITS_PER_BYTE) -
						 byte);

			if (copy_from_user(buf, uptr + byte, n)) {
				rc = -EFAULT;
				goto out_unlock;
			}
			cond_resched();
		}
		if (!(buf[byte % PAGE_SIZE] & BIT(bit % BITS_PER_BYTE)))
			continue;
		index = (iova + bit * page_size) / MOCK_IO_PAGE_SIZE;
		if (!xa_load(&mock->ptes, index))
			continue;
		rc = mock_dirty_mark(mock, index);
		if (rc)
			goto out_unlock;
		count++;
	}
	cmd->dirty.out_nr_dirty = count;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_unlock:
	mutex_unlock(&mock->dirty_lock);
	kfree(buf);
out_put:
	iommufd_put_object(ucmd->ictx, &hwpt->obj);
	return rc;
}

/* ----------------------------------------------------------------------
 * IOMMU_TEST_CMD
 */

int iommufd_test(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return iommufd_test_add_reserved(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return iommufd_test_mock_domain(ucmd, cmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return iommufd_test_mock_domain_replace(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return iommufd_test_md_check_map(ucmd, cmd);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return iommufd_test_md_check_refs(ucmd, cmd);
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return iommufd_test_create_access(ucmd, cmd);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return iommufd_test_destroy_access_pages(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return iommufd_test_access_pages(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_RW:
		return iommufd_test_access_rw(ucmd, cmd);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return iommufd_test_access_replace_ioas(ucmd, cmd);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		/* The batch code needs room for at least one element */
		if (cmd->memory_limit.limit < sizeof(unsigned long) + sizeof(u32))
			return -EINVAL;
		WRITE_ONCE(iommufd_test_memory_limit, cmd->memory_limit.limit);
		return 0;
	case IOMMU_TEST_OP_PASID_ATTACH:
	case IOMMU_TEST_OP_PASID_REPLACE:
	case IOMMU_TEST_OP_PASID_DETACH:
		return iommufd_test_pasid(ucmd, cmd);
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return iommufd_test_pasid_check_hwpt(ucmd, cmd);
	case IOMMU_TEST_OP_DIRTY:
		return iommufd_test_dirty(ucmd, cmd);
	default:
		/* MD_CHECK_IOTLB, TRIGGER_*, DEV_CHECK_CACHE: later */
		return -EOPNOTSUPP;
	}
}

/*
 * fail_iommufd: a fault-injection point of our own, next to failslab and
 * fail_page_alloc, for the places where an allocation failure would be
 * hidden (xarray retries) or where the error path has no allocation at all.
 */
static DECLARE_FAULT_ATTR(fail_iommufd);
static struct dentry *fail_iommufd_dir;

#ifdef CONFIG_FAULT_INJECTION
bool iommufd_should_fail(void)
{
	return should_fail(&fail_iommufd, 1);
}
#endif

int __init iommufd_test_init(void)
{
	/*
	 * Optional: without CONFIG_FAULT_INJECTION_DEBUG_FS, or if another
	 * module already owns the name, the point still honours fail-nth.
	 */
	fail_iommufd_dir = fault_create_debugfs_attr("fail_iommufd", NULL,
						     &fail_iommufd);
	if (IS_ERR(fail_iommufd_dir))
		fail_iommufd_dir = NULL;
	return 0;
}

void iommufd_test_exit(void)
{
	debugfs_remove_recursive(fail_iommufd_dir);
	ida_destroy(&mock_dev_ida);
}
