// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOVA space of one IOAS.
 *
 * An io_pagetable keeps three interval trees: the areas (what userspace
 * mapped), the reserved ranges (device reserved regions, IOVA outside a
 * domain's aperture, test reservations; each tagged with its owner) and the
 * allowed ranges (IOAS_ALLOW_IOVAS). Every area is mirrored into every
 * attached domain; while at least one domain is attached, each area holds a
 * use on its pages (pages.c), which pins them.
 *
 * Lock order (outermost first):
 *
 *   ioas->mutex -> iopt->domains_rwsem -> iopt->iova_rwsem -> pages->mutex
 *
 * domains_rwsem protects the domain list: writers add/remove domains, the
 * map and unmap paths read it so that the set of domains an area has to be
 * mirrored into cannot change under them. iova_rwsem protects the three
 * trees and every area's fields other than num_accesses, which also needs
 * pages->mutex. The accesses' unmap callbacks are called with no lock held.
 * Dirty tracking reads and clears a domain's dirty state holding iova_rwsem
 * for read, which is what keeps it apart from map and unmap of the range.
 */
#include <linux/log2.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <linux/mm.h>

#include "iommufd_private.h"

/* Tree helpers --------------------------------------------------------- */

static struct iopt_area *iopt_area_first(struct io_pagetable *iopt,
					 unsigned long start,
					 unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_first(&iopt->area_itree, start, last);
	return node ? container_of(node, struct iopt_area, node) : NULL;
}

static struct iopt_area *iopt_area_next(struct iopt_area *area,
					unsigned long start,
					unsigned long last)
{
	struct interval_tree_node *node;

	node = interval_tree_iter_next(&area->node, start, last);
	return node ? container_of(node, struct iopt_area, node) : NULL;
}

static bool iopt_reserved_hit(struct io_pagetable *iopt, unsigned long start,
			      unsigned long last)
{
	return interval_tree_iter_first(&iopt->reserved_itree, start, last);
}

/*
 * Walk the areas covering [start, last] in IOVA order and stop at the first
 * hole. Returns the area holding @start or NULL.
 */
struct iopt_contig {
	unsigned long start;
	unsigned long last;
	unsigned long cur;	/* next IOVA to be covered */
	bool done;		/* the whole range was covered */
};

static struct iopt_area *iopt_contig_first(struct io_pagetable *iopt,
					   struct iopt_contig *it,
					   unsigned long start,
					   unsigned long last)
{
	struct iopt_area *area = iopt_area_first(iopt, start, start);

	it->start = start;
	it->last = last;
	it->cur = start;
	it->done = false;
	return area;
}

static struct iopt_area *iopt_contig_next(struct iopt_contig *it,
					  struct iopt_area *area)
{
	struct iopt_area *next;

	if (area->node.last >= it->last) {
		it->done = true;
		return NULL;
	}
	it->cur = area->node.last + 1;
	next = iopt_area_next(area, it->cur, it->last);
	if (!next || next->node.start != it->cur)
		return NULL;
	return next;
}

/* Init / destroy -------------------------------------------------------- */

void iopt_init_table(struct io_pagetable *iopt)
{
	init_rwsem(&iopt->domains_rwsem);
	init_rwsem(&iopt->iova_rwsem);
	xa_init_flags(&iopt->domains, XA_FLAGS_ALLOC | XA_FLAGS_ACCOUNT);
	xa_init_flags(&iopt->access_list, XA_FLAGS_ALLOC);
	iopt->next_domain_id = 0;
	iopt->area_itree = RB_ROOT_CACHED;
	iopt->allowed_itree = RB_ROOT_CACHED;
	iopt->reserved_itree = RB_ROOT_CACHED;
	iopt->disable_large_pages = false;
	/* A software-only IOAS can map at byte granularity */
	iopt->iova_alignment = 1;
}

static void iopt_free_tree(struct rb_root_cached *root)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(root, 0, ULONG_MAX))) {
		interval_tree_remove(node, root);
		/* node is the first member of both iopt_allowed and _reserved */
		kfree(node);
	}
}

void iopt_destroy_table(struct io_pagetable *iopt)
{
	/* Test reservations (owner NULL) live as long as the IOAS */
	iopt_remove_reserved_iova(iopt, NULL);
	iopt_free_tree(&iopt->allowed_itree);

	WARN_ON(!RB_EMPTY_ROOT(&iopt->reserved_itree.rb_root));
	WARN_ON(!RB_EMPTY_ROOT(&iopt->area_itree.rb_root));
	WARN_ON(!xa_empty(&iopt->domains));
	WARN_ON(!xa_empty(&iopt->access_list));
	xa_destroy(&iopt->domains);
	xa_destroy(&iopt->access_list);
}

/* IOVA allocation ------------------------------------------------------- */

/*
 * First IOVA in [lo, hi] where @length bytes fit without touching an area
 * or a reservation, with IOVA % @align == @offset (offset < align).
 */
static bool iopt_find_hole(struct io_pagetable *iopt, unsigned long lo,
			   unsigned long hi, unsigned long length,
			   unsigned long align, unsigned long offset,
			   unsigned long *out)
{
	unsigned long cand = lo;

	while (true) {
		struct interval_tree_node *node;
		unsigned long base, last, next;
		bool hit;

		/* Round up to the alignment, then add the offset */
		if (check_add_overflow(cand & ~(align - 1), offset, &base))
			return false;
		if (base < cand && check_add_overflow(base, align, &base))
			return false;
		if (check_add_overflow(base, length - 1, &last) || last > hi)
			return false;

		hit = false;
		next = 0;
		node = interval_tree_iter_first(&iopt->reserved_itree, base,
						last);
		if (node) {
			hit = true;
			next = node->last;
		}
		node = interval_tree_iter_first(&iopt->area_itree, base, last);
		if (node) {
			hit = true;
			next = max(next, node->last);
		}
		if (!hit) {
			*out = base;
			return true;
		}
		/* Skip past the obstacle; retry from there */
		if (next >= hi)
			return false;
		cand = next + 1;
	}
}

/*
 * Choose an IOVA for @length bytes at user address @uptr. The IOVA keeps as
 * many low bits of @uptr as the length allows (up to a huge page), so that
 * memory backed by huge pages can be mapped with huge IOPTEs. IOVA 0 and the
 * last page are never handed out.
 */
static int iopt_alloc_iova(struct io_pagetable *iopt, unsigned long *iova,
			   unsigned long uptr, unsigned long length)
{
	unsigned long max_align = PAGE_SIZE;
	unsigned long offset;
	struct interval_tree_node *node;
	unsigned long align;

	lockdep_assert_held(&iopt->iova_rwsem);

	if (!length || length >= ULONG_MAX / 2)
		return -EOVERFLOW;

	align = roundup_pow_of_two(length);
	if (uptr)
		align = min(align, 1UL << __ffs(uptr));
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	max_align = HPAGE_SIZE;
#endif
	align = min(align, max_align);
	if (align < iopt->iova_alignment)
		return -EINVAL;
	/*
	 * Also keep the offset of @uptr inside its CPU page: a sub-page
	 * alignment then still gives IOVA % PAGE_SIZE == uptr % PAGE_SIZE,
	 * which page-granular domains need. @offset is a multiple of @align.
	 */
	if (align < PAGE_SIZE) {
		offset = uptr & ~PAGE_MASK;
		align = PAGE_SIZE;
	} else {
		offset = 0;
	}

	if (RB_EMPTY_ROOT(&iopt->allowed_itree.rb_root)) {
		if (iopt_find_hole(iopt, PAGE_SIZE, ULONG_MAX - PAGE_SIZE,
				   length, align, offset, iova))
			return 0;
		return -ENOSPC;
	}

	for (node = interval_tree_iter_first(&iopt->allowed_itree, 0,
					     ULONG_MAX);
	     node; node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		unsigned long lo = max_t(unsigned long, node->start, PAGE_SIZE);
		unsigned long hi = min_t(unsigned long, node->last,
					 ULONG_MAX - PAGE_SIZE);

		if (lo > hi)
			continue;
		if (iopt_find_hole(iopt, lo, hi, length, align, offset, iova))
			return 0;
	}
	return -ENOSPC;
}

static int iopt_check_iova(struct io_pagetable *iopt, unsigned long iova,
			   unsigned long length)
{
	unsigned long last;

	lockdep_assert_held(&iopt->iova_rwsem);

	if (iova & (iopt->iova_alignment - 1))
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	if (iopt_reserved_hit(iopt, iova, last))
		return -EINVAL;
	if (iopt_area_first(iopt, iova, last))
		return -EEXIST;
	return 0;
}

/* Domains mirroring of one area ---------------------------------------- */

/*
 * Make @area present in every domain of @iopt: take a use on its pages and
 * map it. All or nothing. Caller holds domains_rwsem and iova_rwsem.
 */
static int iopt_area_fill_domains(struct io_pagetable *iopt,
				  struct iopt_area *area)
{
	struct iofd_domain *domain, *undo;
	unsigned long index, uindex;
	int rc;

	lockdep_assert_held(&iopt->domains_rwsem);
	lockdep_assert_held_write(&iopt->iova_rwsem);

	if (xa_empty(&iopt->domains))
		return 0;

	rc = iopt_pages_pin(area->pages, iopt_area_first_index(area),
			    iopt_area_last_index(area));
	if (rc)
		return rc;

	xa_for_each(&iopt->domains, index, domain) {
		rc = iopt_area_map_domain(area, domain,
					  iopt->disable_large_pages);
		if (rc)
			goto err_unmap;
	}
	area->pinned = true;
	return 0;

err_unmap:
	xa_for_each(&iopt->domains, uindex, undo) {
		if (uindex == index)
			break;
		iopt_area_unmap_domain(area, undo);
	}
	iopt_pages_unpin(area->pages, iopt_area_first_index(area),
			 iopt_area_last_index(area));
	return rc;
}

static void iopt_area_unfill_domains(struct io_pagetable *iopt,
				     struct iopt_area *area)
{
	struct iofd_domain *domain;
	unsigned long index;

	if (!area->pinned)
		return;
	xa_for_each(&iopt->domains, index, domain)
		iopt_area_unmap_domain(area, domain);
	iopt_pages_unpin(area->pages, iopt_area_first_index(area),
			 iopt_area_last_index(area));
	area->pinned = false;
}

/* Mapping ------------------------------------------------------------- */

/* A slice of some iopt_pages to be mapped at consecutive IOVA */
struct iopt_piece {
	struct iopt_pages *pages;	/* holds a reference */
	unsigned long start_byte;
	unsigned long length;
	struct iopt_area *area;
};

static void iopt_area_free(struct io_pagetable *iopt, struct iopt_area *area)
{
	interval_tree_remove(&area->node, &iopt->area_itree);
	iopt_pages_put(area->pages);
	kfree(area);
}

/*
 * Map @n pieces, @length bytes in all, at consecutive IOVA starting at *iova
 * (chosen here with IOPT_ALLOC_IOVA). The new areas take their own reference
 * on the pages; the caller keeps the pieces' references.
 */
static int iopt_map_pieces(struct io_pagetable *iopt, struct iopt_piece *pc,
			   unsigned int n, unsigned long length,
			   unsigned long *iova, int iommu_prot,
			   unsigned int flags)
{
	unsigned long cur;
	unsigned int i;
	int rc = 0;

	for (i = 0; i != n; i++) {
		pc[i].area = kzalloc(sizeof(*pc[i].area), GFP_KERNEL_ACCOUNT);
		if (!pc[i].area) {
			rc = -ENOMEM;
			goto out_free;
		}
	}

	down_read(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);

	if (!length || (length & (iopt->iova_alignment - 1))) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (flags & IOPT_ALLOC_IOVA)
		rc = iopt_alloc_iova(iopt, iova,
				     (unsigned long)pc[0].pages->uptr +
					     pc[0].start_byte,
				     length);
	else
		rc = iopt_check_iova(iopt, *iova, length);
	if (rc)
		goto out_unlock;

	/* Validate every piece before anything becomes visible */
	for (i = 0; i != n; i++) {
		if ((iommu_prot & IOFD_PROT_WRITE) && !pc[i].pages->writable) {
			rc = -EPERM;
			goto out_unlock;
		}
		if ((pc[i].start_byte & ~PAGE_MASK) &
		    (iopt->iova_alignment - 1)) {
			rc = -EINVAL;
			goto out_unlock;
		}
	}

	cur = *iova;
	for (i = 0; i != n; i++) {
		struct iopt_area *area = pc[i].area;

		area->node.start = cur;
		area->node.last = cur + pc[i].length - 1;
		area->pages = pc[i].pages;
		area->start_byte = pc[i].start_byte;
		area->iommu_prot = iommu_prot;
		kref_get(&area->pages->kref);
		interval_tree_insert(&area->node, &iopt->area_itree);
		rc = iopt_area_fill_domains(iopt, area);
		if (rc) {
			iopt_area_free(iopt, area);
			pc[i].area = NULL;
			goto out_undo;
		}
		cur += pc[i].length;
	}
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
	return 0;

out_undo:
	while (i--) {
		iopt_area_unfill_domains(iopt, pc[i].area);
		iopt_area_free(iopt, pc[i].area);
		pc[i].area = NULL;
	}
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
	/* What is left was never inserted */
	for (i = 0; i != n; i++) {
		kfree(pc[i].area);
		pc[i].area = NULL;
	}
	return rc;
out_free:
	for (i = 0; i != n; i++)
		kfree(pc[i].area);
	return rc;
}

int iopt_map_user_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			unsigned long *iova, void __user *uptr,
			unsigned long length, int iommu_prot,
			unsigned int flags)
{
	struct iopt_piece pc = {};
	int rc;

	pc.pages = iopt_pages_alloc(uptr, length,
				    iommu_prot & IOFD_PROT_WRITE,
				    ictx->account_mode);
	if (IS_ERR(pc.pages))
		return PTR_ERR(pc.pages);
	pc.start_byte = (unsigned long)uptr & ~PAGE_MASK;
	pc.length = length;

	rc = iopt_map_pieces(iopt, &pc, 1, length, iova, iommu_prot, flags);
	iopt_pages_put(pc.pages);
	return rc;
}

int iopt_copy_iova(struct iommufd_ctx *ictx, struct io_pagetable *dst,
		   unsigned long *dst_iova, struct io_pagetable *src,
		   unsigned long src_iova, unsigned long length,
		   int iommu_prot, unsigned int flags)
{
	struct iopt_piece *pc = NULL;
	struct iopt_contig it;
	struct iopt_area *area;
	unsigned int n = 0, i;
	unsigned long last;
	int rc;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(src_iova, length - 1, &last))
		return -EOVERFLOW;

	down_read(&src->iova_rwsem);
	for (area = iopt_contig_first(src, &it, src_iova, last); area;
	     area = iopt_contig_next(&it, area))
		n++;
	if (!it.done) {
		up_read(&src->iova_rwsem);
		return -ENOENT;
	}
	pc = kcalloc(n, sizeof(*pc), GFP_KERNEL_ACCOUNT);
	if (!pc) {
		up_read(&src->iova_rwsem);
		return -ENOMEM;
	}
	i = 0;
	for (area = iopt_contig_first(src, &it, src_iova, last); area;
	     area = iopt_contig_next(&it, area)) {
		unsigned long s = max(src_iova, area->node.start);
		unsigned long e = min(last, area->node.last);

		pc[i].pages = area->pages;
		kref_get(&area->pages->kref);
		pc[i].start_byte = area->start_byte + (s - area->node.start);
		pc[i].length = e - s + 1;
		i++;
	}
	up_read(&src->iova_rwsem);

	rc = iopt_map_pieces(dst, pc, n, length, dst_iova, iommu_prot, flags);

	for (i = 0; i != n; i++)
		iopt_pages_put(pc[i].pages);
	kfree(pc);
	return rc;
}

/* Unmapping ----------------------------------------------------------- */

static int iopt_unmap_range(struct io_pagetable *iopt, unsigned long start,
			    unsigned long last, unsigned long *unmapped)
{
	unsigned long done = 0;
	unsigned int tries = 0;
	struct iopt_area *area;
	int rc = 0;

again:
	down_read(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	while ((area = iopt_area_first(iopt, start, last))) {
		unsigned long a_start = area->node.start;
		unsigned long a_last = area->node.last;

		/* Only whole areas: no mapping is ever cut in two here */
		if (a_start < start || a_last > last) {
			rc = -ENOENT;
			break;
		}

		if (area->num_accesses) {
			/*
			 * Accesses hold pages here: ask them to let go with
			 * no lock held (their callback unpins, which takes
			 * our locks), then look again.
			 */
			area->prevent_access = true;
			up_write(&iopt->iova_rwsem);
			up_read(&iopt->domains_rwsem);
			iommufd_access_notify_unmap(iopt, a_start,
						    a_last - a_start + 1);
			if (WARN_ON(++tries > 100)) {
				rc = -EDEADLK;
				goto out;
			}
			start = a_start;
			goto again;
		}
		tries = 0;

		iopt_area_unfill_domains(iopt, area);
		iopt_area_free(iopt, area);
		done += a_last - a_start + 1;
		if (a_last >= last)
			break;
		start = a_last + 1;
		cond_resched();
	}
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
out:
	if (unmapped)
		*unmapped = done;
	return rc;
}

int iopt_unmap_iova(struct io_pagetable *iopt, unsigned long iova,
		    unsigned long length, unsigned long *unmapped)
{
	unsigned long last;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	return iopt_unmap_range(iopt, iova, last, unmapped);
}

int iopt_unmap_all(struct io_pagetable *iopt, unsigned long *unmapped)
{
	return iopt_unmap_range(iopt, 0, ULONG_MAX, unmapped);
}

/* Reserved and allowed ranges ------------------------------------------ */

static int __iopt_reserve_iova(struct io_pagetable *iopt, unsigned long start,
			       unsigned long last, void *owner)
{
	struct iopt_reserved *resv;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	if (iopt_area_first(iopt, start, last) ||
	    interval_tree_iter_first(&iopt->allowed_itree, start, last))
		return -EADDRINUSE;

	resv = kzalloc(sizeof(*resv), GFP_KERNEL_ACCOUNT);
	if (!resv)
		return -ENOMEM;
	resv->node.start = start;
	resv->node.last = last;
	resv->owner = owner;
	interval_tree_insert(&resv->node, &iopt->reserved_itree);
	return 0;
}

static void __iopt_remove_reserved_iova(struct io_pagetable *iopt,
					void *owner)
{
	struct interval_tree_node *node, *next;

	lockdep_assert_held_write(&iopt->iova_rwsem);

	for (node = interval_tree_iter_first(&iopt->reserved_itree, 0,
					     ULONG_MAX);
	     node; node = next) {
		struct iopt_reserved *resv =
			container_of(node, struct iopt_reserved, node);

		next = interval_tree_iter_next(node, 0, ULONG_MAX);
		if (resv->owner != owner)
			continue;
		interval_tree_remove(node, &iopt->reserved_itree);
		kfree(resv);
	}
}

int iopt_reserve_iova(struct io_pagetable *iopt, unsigned long start,
		      unsigned long last, void *owner)
{
	int rc;

	if (start > last)
		return -EINVAL;
	down_write(&iopt->iova_rwsem);
	rc = __iopt_reserve_iova(iopt, start, last, owner);
	up_write(&iopt->iova_rwsem);
	return rc;
}

void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner)
{
	down_write(&iopt->iova_rwsem);
	__iopt_remove_reserved_iova(iopt, owner);
	up_write(&iopt->iova_rwsem);
}

int iopt_table_enforce_dev_resv_regions(struct io_pagetable *iopt,
					struct iofd_hw_dev *hwdev,
					void *owner)
{
	unsigned int i;
	int rc = 0;

	if (iommufd_should_fail())
		return -EINVAL;

	down_write(&iopt->iova_rwsem);
	for (i = 0; i != hwdev->nr_resv; i++) {
		const struct iofd_resv_region *r = &hwdev->resv[i];

		if (WARN_ON(r->start > r->last)) {
			rc = -EINVAL;
			break;
		}
		rc = __iopt_reserve_iova(iopt, r->start, r->last, owner);
		if (rc)
			break;
	}
	if (rc)
		__iopt_remove_reserved_iova(iopt, owner);
	up_write(&iopt->iova_rwsem);
	return rc;
}

int iopt_get_usable_ranges(struct io_pagetable *iopt,
			   struct iommu_iova_range *ranges, u32 max,
			   u32 *total)
{
	struct interval_tree_node *node;
	unsigned long cur = 0;
	bool end = false;
	u32 n = 0;

	down_read(&iopt->iova_rwsem);
	/* Nodes come in start order; reservations may overlap each other */
	for (node = interval_tree_iter_first(&iopt->reserved_itree, 0,
					     ULONG_MAX);
	     node; node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		if (node->start > cur) {
			if (n < max) {
				ranges[n].start = cur;
				ranges[n].last = node->start - 1;
			}
			n++;
		}
		if (node->last == ULONG_MAX) {
			end = true;
			break;
		}
		cur = max(cur, node->last + 1);
	}
	if (!end) {
		if (n < max) {
			ranges[n].start = cur;
			ranges[n].last = ULONG_MAX;
		}
		n++;
	}
	up_read(&iopt->iova_rwsem);
	*total = n;
	return 0;
}

int iopt_set_allow_iova(struct io_pagetable *iopt,
			const struct iommu_iova_range *ranges, u32 num)
{
	struct rb_root_cached tree = RB_ROOT_CACHED;
	struct interval_tree_node *node;
	u32 i;
	int rc = 0;

	for (i = 0; i != num; i++) {
		struct iopt_allowed *allowed;

		if (ranges[i].start >= ranges[i].last) {
			rc = -EINVAL;
			goto out_free;
		}
		if (interval_tree_iter_first(&tree, ranges[i].start,
					     ranges[i].last)) {
			rc = -EINVAL;
			goto out_free;
		}
		allowed = kzalloc(sizeof(*allowed), GFP_KERNEL_ACCOUNT);
		if (!allowed) {
			rc = -ENOMEM;
			goto out_free;
		}
		allowed->node.start = ranges[i].start;
		allowed->node.last = ranges[i].last;
		interval_tree_insert(&allowed->node, &tree);
	}

	down_write(&iopt->iova_rwsem);
	for (node = interval_tree_iter_first(&tree, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		if (iopt_reserved_hit(iopt, node->start, node->last)) {
			rc = -EADDRINUSE;
			break;
		}
	}
	/* On success the old tree is the one freed below */
	if (!rc)
		swap(tree, iopt->allowed_itree);
	up_write(&iopt->iova_rwsem);

out_free:
	iopt_free_tree(&tree);
	return rc;
}

/* Alignment ------------------------------------------------------------- */

static int iopt_check_areas_aligned(struct io_pagetable *iopt,
				    unsigned long align)
{
	struct iopt_area *area;

	for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_next(area, 0, ULONG_MAX))
		if ((area->node.start & (align - 1)) ||
		    (iopt_area_length(area) & (align - 1)) ||
		    ((area->start_byte & ~PAGE_MASK) & (align - 1)))
			return -EADDRINUSE;
	return 0;
}

/* Recompute iova_alignment from the domains, accesses and page mode */
static int iopt_recalc_alignment(struct io_pagetable *iopt)
{
	struct iommufd_access *access;
	struct iofd_domain *domain;
	unsigned long align;
	unsigned long index;
	int rc;

	lockdep_assert_held_write(&iopt->iova_rwsem);
	lockdep_assert_held(&iopt->domains_rwsem);

	/* Small pages are mapped one CPU page per call */
	align = iopt->disable_large_pages ? PAGE_SIZE : 1;
	xa_for_each(&iopt->domains, index, domain)
		align = max(align, 1UL << __ffs(domain->pgsize_bitmap));
	xa_for_each(&iopt->access_list, index, access)
		align = max(align, access->iova_alignment);

	if (align > iopt->iova_alignment) {
		rc = iopt_check_areas_aligned(iopt, align);
		if (rc)
			return rc;
	}
	iopt->iova_alignment = align;
	return 0;
}

int iopt_disable_large_pages(struct io_pagetable *iopt)
{
	int rc = 0;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	if (iopt->disable_large_pages)
		goto out;
	/* Areas already in domains may sit in large IOPTEs */
	if (!xa_empty(&iopt->domains) &&
	    !RB_EMPTY_ROOT(&iopt->area_itree.rb_root)) {
		rc = -EINVAL;
		goto out;
	}
	WRITE_ONCE(iopt->disable_large_pages, true);
	rc = iopt_recalc_alignment(iopt);
	if (rc)
		WRITE_ONCE(iopt->disable_large_pages, false);
out:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

void iopt_enable_large_pages(struct io_pagetable *iopt)
{
	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	WRITE_ONCE(iopt->disable_large_pages, false);
	WARN_ON(iopt_recalc_alignment(iopt));
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

/* Domains ------------------------------------------------------------- */

int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iofd_domain *domain)
{
	struct iopt_area *area, *end_area;
	struct iofd_domain *iter;
	unsigned long align;
	unsigned long index;
	bool first;
	u32 id;
	int rc;

	if (WARN_ON(!domain->pgsize_bitmap))
		return -EINVAL;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);

	xa_for_each(&iopt->domains, index, iter) {
		if (WARN_ON(iter == domain)) {
			rc = -EEXIST;
			goto out_unlock;
		}
	}

	/*
	 * pages.c hands out CPU pages, so every domain must be able to map
	 * PAGE_SIZE; its smallest page becomes the IOAS alignment.
	 */
	align = max(iopt->iova_alignment, 1UL << __ffs(domain->pgsize_bitmap));
	if (align > PAGE_SIZE) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (align != iopt->iova_alignment) {
		rc = iopt_check_areas_aligned(iopt, align);
		if (rc)
			goto out_unlock;
	}

	/* IOVA outside the aperture becomes reserved while we are here */
	if (domain->aperture_start) {
		rc = __iopt_reserve_iova(iopt, 0, domain->aperture_start - 1,
					 domain);
		if (rc)
			goto out_resv;
	}
	if (domain->aperture_end != ULONG_MAX) {
		rc = __iopt_reserve_iova(iopt, domain->aperture_end + 1,
					 ULONG_MAX, domain);
		if (rc)
			goto out_resv;
	}

	rc = xa_alloc(&iopt->domains, &id, domain, xa_limit_32b,
		      GFP_KERNEL_ACCOUNT);
	if (rc)
		goto out_resv;
	first = iopt->next_domain_id == 0;

	for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_next(area, 0, ULONG_MAX)) {
		if (first) {
			rc = iopt_pages_pin(area->pages,
					    iopt_area_first_index(area),
					    iopt_area_last_index(area));
			if (rc)
				goto out_unfill;
		}
		rc = iopt_area_map_domain(area, domain,
					  iopt->disable_large_pages);
		if (rc) {
			if (first)
				iopt_pages_unpin(area->pages,
						 iopt_area_first_index(area),
						 iopt_area_last_index(area));
			goto out_unfill;
		}
		if (first)
			area->pinned = true;
	}

	iopt->next_domain_id++;
	iopt->iova_alignment = align;
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return 0;

out_unfill:
	end_area = area;
	for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_next(area, 0, ULONG_MAX)) {
		if (area == end_area)
			break;
		iopt_area_unmap_domain(area, domain);
		if (first) {
			iopt_pages_unpin(area->pages,
					 iopt_area_first_index(area),
					 iopt_area_last_index(area));
			area->pinned = false;
		}
	}
	xa_erase(&iopt->domains, id);
out_resv:
	__iopt_remove_reserved_iova(iopt, domain);
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iofd_domain *domain)
{
	struct iofd_domain *iter;
	struct iopt_area *area;
	unsigned long index;
	bool found = false;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);

	xa_for_each(&iopt->domains, index, iter) {
		if (iter == domain) {
			found = true;
			break;
		}
	}
	if (WARN_ON(!found))
		goto out_unlock;
	xa_erase(&iopt->domains, index);
	iopt->next_domain_id--;

	for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
	     area = iopt_area_next(area, 0, ULONG_MAX)) {
		if (!area->pinned)
			continue;
		iopt_area_unmap_domain(area, domain);
		/* The last domain gone: nothing needs the pins any more */
		if (!iopt->next_domain_id) {
			iopt_pages_unpin(area->pages,
					 iopt_area_first_index(area),
					 iopt_area_last_index(area));
			area->pinned = false;
		}
		cond_resched();
	}
	__iopt_remove_reserved_iova(iopt, domain);
	WARN_ON(iopt_recalc_alignment(iopt));
out_unlock:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

/* VFIO type1 v1 splitting ------------------------------------------------ */

static int iopt_area_split(struct io_pagetable *iopt, struct iopt_area *area,
			   unsigned long iova)
{
	unsigned long new_start = iova + 1;
	struct iopt_area *rhs;
	unsigned long rhs_byte;
	int rc;

	if (iova == area->node.last)
		return 0;
	if (area->prevent_access)
		return -EBUSY;

	rhs_byte = area->start_byte + (new_start - area->node.start);
	if ((new_start & (iopt->iova_alignment - 1)) ||
	    ((rhs_byte & ~PAGE_MASK) & (iopt->iova_alignment - 1)))
		return -EINVAL;
	/* We do not know which part of the area an access pinned */
	if (area->num_accesses)
		return -EINVAL;
	/* A large IOPTE could straddle the cut */
	if (area->pinned && !iopt->disable_large_pages)
		return -EINVAL;

	rhs = kzalloc(sizeof(*rhs), GFP_KERNEL_ACCOUNT);
	if (!rhs)
		return -ENOMEM;

	/*
	 * If both halves share a CPU page, each needs its own use of it;
	 * the area held one.
	 */
	if (area->pinned &&
	    ((rhs_byte - 1) >> PAGE_SHIFT) == (rhs_byte >> PAGE_SHIFT)) {
		rc = iopt_pages_pin(area->pages, rhs_byte >> PAGE_SHIFT,
				    rhs_byte >> PAGE_SHIFT);
		if (rc) {
			kfree(rhs);
			return rc;
		}
	}

	rhs->node.start = new_start;
	rhs->node.last = area->node.last;
	rhs->pages = area->pages;
	kref_get(&rhs->pages->kref);
	rhs->start_byte = rhs_byte;
	rhs->iommu_prot = area->iommu_prot;
	rhs->pinned = area->pinned;

	interval_tree_remove(&area->node, &iopt->area_itree);
	area->node.last = iova;
	interval_tree_insert(&area->node, &iopt->area_itree);
	interval_tree_insert(&rhs->node, &iopt->area_itree);
	return 0;
}

int iopt_cut_iova(struct io_pagetable *iopt, unsigned long *iovas,
		  size_t num_iovas)
{
	size_t i;
	int rc = 0;

	down_read(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	for (i = 0; i != num_iovas; i++) {
		struct iopt_area *area;

		area = iopt_area_first(iopt, iovas[i], iovas[i]);
		if (!area)
			continue;
		rc = iopt_area_split(iopt, area, iovas[i]);
		if (rc)
			break;
	}
	up_write(&iopt->iova_rwsem);
	up_read(&iopt->domains_rwsem);
	return rc;
}

/* Accesses ------------------------------------------------------------- */

int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access)
{
	u32 id;
	int rc;

	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	rc = xa_alloc(&iopt->access_list, &id, access, xa_limit_16b,
		      GFP_KERNEL_ACCOUNT);
	if (rc)
		goto out;
	rc = iopt_recalc_alignment(iopt);
	if (rc) {
		xa_erase(&iopt->access_list, id);
		goto out;
	}
	access->iopt_access_list_id = id;
out:
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
	return rc;
}

void iopt_remove_access(struct io_pagetable *iopt,
			struct iommufd_access *access, u32 access_list_id)
{
	down_write(&iopt->domains_rwsem);
	down_write(&iopt->iova_rwsem);
	WARN_ON(xa_erase(&iopt->access_list, access_list_id) != access);
	WARN_ON(iopt_recalc_alignment(iopt));
	up_write(&iopt->iova_rwsem);
	up_write(&iopt->domains_rwsem);
}

static void iopt_area_access_unpin(struct iopt_area *area, unsigned long start,
				   unsigned long last)
{
	struct iopt_pages *pages = area->pages;

	iopt_pages_unpin(pages, iopt_area_index(area, start),
			 iopt_area_index(area, last));
	mutex_lock(&pages->mutex);
	WARN_ON(!area->num_accesses);
	area->num_accesses--;
	mutex_unlock(&pages->mutex);
}

int iopt_access_pin_pages(struct io_pagetable *iopt, unsigned long iova,
			  unsigned long length, struct page **out_pages,
			  bool write)
{
	struct iopt_area *area, *end_area;
	struct iopt_contig it;
	unsigned long last;
	int rc = 0;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;

	down_read(&iopt->iova_rwsem);
	for (area = iopt_contig_first(iopt, &it, iova, last); area;
	     area = iopt_contig_next(&it, area)) {
		unsigned long s = max(iova, area->node.start);
		unsigned long e = min(last, area->node.last);
		unsigned long first_idx = iopt_area_index(area, s);
		unsigned long last_idx = iopt_area_index(area, e);
		unsigned long i;

		if (area->prevent_access) {
			rc = -EINVAL;
			break;
		}
		if (write && !(area->iommu_prot & IOFD_PROT_WRITE)) {
			rc = -EPERM;
			break;
		}
		rc = iopt_pages_pin(area->pages, first_idx, last_idx);
		if (rc)
			break;
		mutex_lock(&area->pages->mutex);
		area->num_accesses++;
		for (i = first_idx; i <= last_idx; i++)
			*out_pages++ = iopt_pages_page(area->pages, i);
		mutex_unlock(&area->pages->mutex);
	}
	if (!rc && !it.done)
		rc = -ENOENT;
	if (rc) {
		/* Undo the areas before the one that stopped us */
		end_area = area;
		for (area = iopt_contig_first(iopt, &it, iova, last); area;
		     area = iopt_contig_next(&it, area)) {
			if (area == end_area)
				break;
			iopt_area_access_unpin(area,
					       max(iova, area->node.start),
					       min(last, area->node.last));
		}
	}
	up_read(&iopt->iova_rwsem);
	return rc;
}

void iopt_access_unpin_pages(struct io_pagetable *iopt, unsigned long iova,
			     unsigned long length)
{
	struct iopt_contig it;
	struct iopt_area *area;
	unsigned long last;

	if (WARN_ON(!length) ||
	    WARN_ON(check_add_overflow(iova, length - 1, &last)))
		return;

	down_read(&iopt->iova_rwsem);
	for (area = iopt_contig_first(iopt, &it, iova, last); area;
	     area = iopt_contig_next(&it, area))
		iopt_area_access_unpin(area, max(iova, area->node.start),
				       min(last, area->node.last));
	WARN_ON(!it.done);
	up_read(&iopt->iova_rwsem);
}

int iopt_access_rw(struct io_pagetable *iopt, unsigned long iova, void *data,
		   unsigned long length, unsigned int flags)
{
	struct iopt_contig it;
	struct iopt_area *area;
	unsigned long last;
	int rc = 0;

	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;

	down_read(&iopt->iova_rwsem);
	for (area = iopt_contig_first(iopt, &it, iova, last); area;
	     area = iopt_contig_next(&it, area)) {
		unsigned long s = max(iova, area->node.start);
		unsigned long e = min(last, area->node.last);

		if (area->prevent_access) {
			rc = -EINVAL;
			break;
		}
		if ((flags & IOFD_ACCESS_RW_WRITE) &&
		    !(area->iommu_prot & IOFD_PROT_WRITE)) {
			rc = -EPERM;
			break;
		}
		rc = iopt_pages_rw(area->pages,
				   area->start_byte + (s - area->node.start),
				   data, e - s + 1, flags);
		if (rc)
			break;
		data += e - s + 1;
	}
	if (!rc && !it.done)
		rc = -ENOENT;
	up_read(&iopt->iova_rwsem);
	return rc;
}

/* Dirty tracking ------------------------------------------------------- */

static bool iopt_domain_tracks_dirty(struct iofd_domain *domain)
{
	return domain->dirty_tracking && domain->ops->set_dirty_tracking &&
	       domain->ops->read_and_clear_dirty;
}

/*
 * Ask @domain's driver about [start, last], which areas cover, one area at
 * a time. A clearing read is followed by an IOTLB sync of what it read, as
 * upstream does: an IOTLB entry may remember that its page was already
 * marked dirty, and must go so that the next write marks it again.
 */
static int iopt_domain_read_dirty(struct io_pagetable *iopt,
				  struct iofd_domain *domain,
				  unsigned long start, unsigned long last,
				  unsigned int flags, struct iofd_dirty *dirty)
{
	struct iopt_contig it;
	struct iopt_area *area;
	int rc;

	lockdep_assert_held(&iopt->iova_rwsem);

	for (area = iopt_contig_first(iopt, &it, start, last); area;
	     area = iopt_contig_next(&it, area)) {
		unsigned long s = max(start, area->node.start);
		unsigned long e = min(last, area->node.last);

		rc = domain->ops->read_and_clear_dirty(domain, s, e - s + 1,
						       flags, dirty);
		/* A read that failed part way may have cleared some of it */
		if (!(flags & IOFD_DIRTY_NO_CLEAR) && domain->ops->iotlb_sync)
			domain->ops->iotlb_sync(domain, s, e - s + 1);
		if (rc)
			return rc;
	}
	/* The caller checked the coverage under the same lock */
	if (WARN_ON(!it.done))
		return -EINVAL;
	return 0;
}

/* Areas cover every byte of [start, last] */
static bool iopt_range_covered(struct io_pagetable *iopt, unsigned long start,
			       unsigned long last)
{
	struct iopt_contig it;
	struct iopt_area *area;

	area = iopt_contig_first(iopt, &it, start, last);
	while (area)
		area = iopt_contig_next(&it, area);
	return it.done;
}

int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iofd_domain *domain, bool enable)
{
	struct iofd_dirty discard = {};
	struct iopt_area *area;
	int rc = 0;

	if (!iopt_domain_tracks_dirty(domain))
		return -EOPNOTSUPP;

	down_read(&iopt->iova_rwsem);
	if (enable) {
		/* Start from a clean snapshot: drop what is recorded now */
		for (area = iopt_area_first(iopt, 0, ULONG_MAX); area;
		     area = iopt_area_next(area, 0, ULONG_MAX)) {
			rc = iopt_domain_read_dirty(iopt, domain,
						    area->node.start,
						    area->node.last, 0,
						    &discard);
			if (rc)
				goto out_unlock;
			cond_resched();
		}
	}
	rc = domain->ops->set_dirty_tracking(domain, enable);
out_unlock:
	up_read(&iopt->iova_rwsem);
	return rc;
}

int iopt_read_and_clear_dirty(struct io_pagetable *iopt,
			      struct iofd_domain *domain, unsigned int flags,
			      u64 iova, u64 length, u64 page_size,
			      void __user *data)
{
	unsigned long start, last, wstart, wlast;
	struct iofd_dirty dirty;
	u64 last64;
	int rc;

	/* The range checks come first, as upstream orders them */
	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last64) ||
	    last64 > ULONG_MAX)
		return -EOVERFLOW;
	if (!page_size || !is_power_of_2(page_size))
		return -EINVAL;
	/* last64 + 1 wraps to 0 for a range ending at the top: aligned */
	if ((iova | (last64 + 1)) & (page_size - 1))
		return -EINVAL;
	if (!iopt_domain_tracks_dirty(domain))
		return -EOPNOTSUPP;
	start = iova;
	last = last64;

	rc = iofd_dirty_init(&dirty, start, length, page_size, data);
	if (rc)
		goto out_destroy;

	down_read(&iopt->iova_rwsem);
	if ((start | (last + 1)) & (iopt->iova_alignment - 1)) {
		rc = -EINVAL;
		goto out_unlock;
	}
	/* A hole fails the call before any dirty state is cleared */
	if (!iopt_range_covered(iopt, start, last)) {
		rc = -EINVAL;
		goto out_unlock;
	}

	while (iofd_dirty_window(&dirty, &wstart, &wlast)) {
		rc = iopt_domain_read_dirty(iopt, domain, wstart, wlast, flags,
					    &dirty);
		/* Even after a driver error: what it reported is written */
		if (iofd_dirty_flush(&dirty) && !rc)
			rc = -EFAULT;
		if (rc)
			break;
		cond_resched();
	}
out_unlock:
	up_read(&iopt->iova_rwsem);
out_destroy:
	iofd_dirty_destroy(&dirty);
	return rc;
}
