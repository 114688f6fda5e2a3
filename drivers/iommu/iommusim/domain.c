// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommusim paging domains: the iofd_domain_ops the iommufd core calls,
 * over the page tables of pgtable_*.c and the family's flush hook.
 *
 * Unmap only clears entries; the core follows every unmap with iotlb_sync
 * before it unpins a page, and that is where the IOTLB is invalidated and
 * DMA in flight drained, as a driver with deferred invalidation does.
 */
#include <linux/slab.h>

#include "iommusim.h"

static int simio_dom_map(struct iofd_domain *domain, unsigned long iova,
			 phys_addr_t paddr, size_t size, unsigned int prot,
			 gfp_t gfp)
{
	return simpt_map(&to_simio_domain(domain)->pt, iova, paddr, size,
			 prot, gfp);
}

static size_t simio_dom_unmap(struct iofd_domain *domain, unsigned long iova,
			      size_t size)
{
	return simpt_unmap(&to_simio_domain(domain)->pt, iova, size);
}

static phys_addr_t simio_dom_iova_to_phys(struct iofd_domain *domain,
					  unsigned long iova)
{
	return simpt_iova_to_phys(&to_simio_domain(domain)->pt, iova);
}

static void simio_dom_free(struct iofd_domain *domain)
{
	struct simio_domain *sdom = to_simio_domain(domain);
	struct simio_iommu *iommu = sdom->iommu;

	iommu->fam->domain_free(sdom);
	simpt_destroy(&sdom->pt);
	kfree(sdom);
	/* The reference cdev.c took at allocation: may free the instance */
	simio_iommu_put(iommu);
}

/*
 * Make the table change the caller just did (cleared leaves, cleared dirty
 * state) the only truth for DMA. A DMA that walked the old entry before
 * the change may insert it into the IOTLB after any invalidation we issue,
 * so first wait for those; then invalidate; then wait for DMA that hit an
 * old IOTLB entry before the invalidation. After that no DMA uses the old
 * entry, and the core may unpin its page.
 */
static void simio_dom_iotlb_sync(struct iofd_domain *domain,
				 unsigned long iova, size_t size)
{
	struct simio_domain *sdom = to_simio_domain(domain);

	simio_dma_quiesce(sdom->iommu);
	sdom->iommu->fam->flush(sdom, iova, size);
	simio_dma_quiesce(sdom->iommu);
}

static int simio_dom_set_dirty_tracking(struct iofd_domain *domain,
					bool enable)
{
	struct simio_domain *sdom = to_simio_domain(domain);
	int ret;

	if (!domain->dirty_tracking || !sdom->iommu->fam->set_dirty_tracking)
		return -EOPNOTSUPP;
	ret = sdom->iommu->fam->set_dirty_tracking(sdom, enable);
	if (!ret)
		sdom->dirty_enabled = enable;
	return ret;
}

static int simio_dom_record_dirty(void *arg, u64 iova, u64 len)
{
	iofd_dirty_record(arg, iova, len);
	return 0;
}

static int simio_dom_read_and_clear_dirty(struct iofd_domain *domain,
					  unsigned long iova, size_t size,
					  unsigned int flags,
					  struct iofd_dirty *dirty)
{
	struct simio_domain *sdom = to_simio_domain(domain);
	bool no_clear = flags & IOFD_DIRTY_NO_CLEAR;

	if (!domain->dirty_tracking)
		return -EOPNOTSUPP;
	/*
	 * The IOTLB may still hold entries that say "dirty already recorded";
	 * the core's iotlb_sync after a clearing read removes them, so the
	 * next write walks again and re-marks the entry.
	 */
	return simpt_read_and_clear_dirty(&sdom->pt, iova, size, no_clear,
					  simio_dom_record_dirty, dirty);
}

const struct iofd_domain_ops simio_domain_ops = {
	.map = simio_dom_map,
	.unmap = simio_dom_unmap,
	.iova_to_phys = simio_dom_iova_to_phys,
	.free = simio_dom_free,
	.iotlb_sync = simio_dom_iotlb_sync,
	.set_dirty_tracking = simio_dom_set_dirty_tracking,
	.read_and_clear_dirty = simio_dom_read_and_clear_dirty,
};

/**
 * simio_domain_init() - fill the common part of a new paging domain
 * @sdom: zeroed by the family, its ID allocated
 * @iommu: the instance
 * @fmt: the page-table format the family chose
 * @ias: input address bits of the domain (its aperture)
 * @alloc_flags: IOFD_ALLOC_* flags of the allocation
 *
 * Output addresses are bounded by the instance's oas. Dirty-tracking
 * domains get tables whose writable entries record hardware writes.
 *
 * Return: 0, or -EINVAL / -ENOMEM from the page table; nothing to undo on
 * failure but the family's own allocations.
 */
int simio_domain_init(struct simio_domain *sdom, struct simio_iommu *iommu,
		      enum simpt_format fmt, unsigned int ias, u32 alloc_flags)
{
	bool dirty = alloc_flags & IOFD_ALLOC_DIRTY_TRACKING;
	int ret;

	ret = simpt_init(&sdom->pt, fmt, ias, iommu->caps.oas, dirty);
	if (ret)
		return ret;

	sdom->iommu = iommu;
	sdom->dirty_enabled = false;
	sdom->dom.ops = &simio_domain_ops;
	sdom->dom.owner = &simio_hw_dev_ops;
	sdom->dom.type = IOFD_DOMAIN_PAGING;
	sdom->dom.pgsize_bitmap = simpt_pgsize_bitmap(fmt);
	sdom->dom.aperture_start = 0;
	sdom->dom.aperture_end = (1UL << ias) - 1;
	sdom->dom.nest_parent = alloc_flags & IOFD_ALLOC_NEST_PARENT;
	sdom->dom.dirty_tracking = dirty;
	sdom->dom.pasid_compat = alloc_flags & IOFD_ALLOC_PASID;
	sdom->dom.enforce_cache_coherency = true;
	return 0;
}
