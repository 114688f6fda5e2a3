/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IOVA bookkeeping of one IOAS (io_pagetable.c) and the pinned user memory
 * behind it (pages.c).
 *
 * CONTRACT (used by device.c, hw_pagetable.c, selftest.c): the functions
 * declared in the "API" section. Everything else in this header belongs to
 * io_pagetable.c / pages.c / access.c / ioas.c and may change freely.
 */
#ifndef __IO_PAGETABLE_H
#define __IO_PAGETABLE_H

#include <linux/bits.h>
#include <linux/interval_tree.h>
#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/mm_types.h>
#include <linux/rwsem.h>
#include <linux/xarray.h>
#include <linux/iommufd_ops.h>

struct iommufd_ctx;
struct iommu_iova_range;
struct page;

/* Accounting of pinned pages against RLIMIT_MEMLOCK */
enum {
	IOPT_PAGES_ACCOUNT_NONE = 0,
	IOPT_PAGES_ACCOUNT_USER = 1,
	IOPT_PAGES_ACCOUNT_MM = 2,
};

/* iopt_map_user_pages() flags */
enum {
	IOPT_ALLOC_IOVA = 1 << 0,	/* choose the IOVA, else *iova is fixed */
};

/* IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT shrinks the pinning batch buffers */
extern size_t iommufd_test_memory_limit;

/**
 * struct io_pagetable - the IOVA space of one IOAS
 *
 * (filled in by io_pagetable.c's owner; see the comments there for locking)
 */
struct io_pagetable {
	struct rw_semaphore domains_rwsem;
	struct xarray domains;		/* index -> struct iofd_domain * */
	struct xarray access_list;	/* index -> struct iommufd_access * */
	unsigned int next_domain_id;

	struct rw_semaphore iova_rwsem;
	struct rb_root_cached area_itree;
	struct rb_root_cached allowed_itree;
	struct rb_root_cached reserved_itree;
	u8 disable_large_pages;
	unsigned long iova_alignment;
};

/* Internal to io_pagetable.c / pages.c / ioas.c ----------------------- */

struct mm_struct;
struct task_struct;
struct user_struct;

/*
 * Pinned pages are tracked in chunks of IOPT_CHUNK_PAGES consecutive page
 * indexes, allocated only while one of their pages is pinned. Each page has
 * a count of users (an area mirrored into domains, or one access pin); it is
 * pinned when that count leaves zero and unpinned when it returns to zero,
 * so a page is pinned once however many domains, copies and accesses use it.
 * A chunk holds only as many pages as the range has, so small mappings stay
 * small.
 */
#define IOPT_CHUNK_SHIFT	9
#define IOPT_CHUNK_PAGES	BIT(IOPT_CHUNK_SHIFT)

struct iopt_chunk {
	unsigned int nused;
	unsigned int *users;	/* after @pages, in the same allocation */
	struct page *pages[];	/* min(IOPT_CHUNK_PAGES, what is left) */
};

/**
 * struct iopt_pages - a range of user memory that areas map
 * @kref: one per area using it, plus temporary holders
 * @mutex: protects @chunks, the use counts and @npinned
 * @source_mm: the mm the VA belongs to (mmgrab'ed)
 * @source_task: the thread group leader that mapped, for its RLIMIT_MEMLOCK
 * @source_user: the user charged in IOPT_PAGES_ACCOUNT_USER mode
 * @uptr: page aligned start of the VA range
 * @npages: pages in the range
 * @npinned: pages currently pinned and charged
 * @account_mode: IOPT_PAGES_ACCOUNT_*
 * @writable: pinned with FOLL_WRITE
 * @chunks: chunk index -> struct iopt_chunk
 */
struct iopt_pages {
	struct kref kref;
	struct mutex mutex; /* see above */
	struct mm_struct *source_mm;
	struct task_struct *source_task;
	struct user_struct *source_user;
	void __user *uptr;
	unsigned long npages;
	unsigned long npinned;
	u8 account_mode;
	bool writable;
	struct xarray chunks;
};

/**
 * struct iopt_area - one mapping of an IOAS
 * @node: the IOVA range, in io_pagetable.area_itree
 * @pages: the memory behind it
 * @start_byte: offset of the first byte in @pages (from pages->uptr)
 * @iommu_prot: IOFD_PROT_*
 * @num_accesses: access pins inside the area (iova_rwsem + pages->mutex)
 * @pinned: the area holds a use on its pages because domains mirror it
 * @prevent_access: an unmap is waiting for accesses to let go
 */
struct iopt_area {
	struct interval_tree_node node;
	struct iopt_pages *pages;
	unsigned long start_byte;
	int iommu_prot;
	unsigned int num_accesses;
	bool pinned;
	bool prevent_access;
};

struct iopt_reserved {
	struct interval_tree_node node;
	void *owner;
};

struct iopt_allowed {
	struct interval_tree_node node;
};

static inline unsigned long iopt_area_length(struct iopt_area *area)
{
	return area->node.last - area->node.start + 1;
}

/* Page index in area->pages of the byte at @iova */
static inline unsigned long iopt_area_index(struct iopt_area *area,
					    unsigned long iova)
{
	return (area->start_byte + (iova - area->node.start)) >> PAGE_SHIFT;
}

static inline unsigned long iopt_area_first_index(struct iopt_area *area)
{
	return area->start_byte >> PAGE_SHIFT;
}

static inline unsigned long iopt_area_last_index(struct iopt_area *area)
{
	return iopt_area_index(area, area->node.last);
}

struct iopt_pages *iopt_pages_alloc(void __user *uptr, unsigned long length,
				    bool writable, u8 ctx_account_mode);
void iopt_pages_release(struct kref *kref);
static inline void iopt_pages_put(struct iopt_pages *pages)
{
	kref_put(&pages->kref, iopt_pages_release);
}

int iopt_pages_pin(struct iopt_pages *pages, unsigned long first,
		   unsigned long last);
void iopt_pages_unpin(struct iopt_pages *pages, unsigned long first,
		      unsigned long last);
/* Page @index, which the caller holds a use on */
struct page *iopt_pages_page(struct iopt_pages *pages, unsigned long index);
int iopt_area_map_domain(struct iopt_area *area, struct iofd_domain *domain,
			 bool small_pages);
/*
 * Unmap the whole area from @domain, then iotlb_sync it: on return no DMA
 * can reach its pages through @domain and they may be unpinned.
 */
void iopt_area_unmap_domain(struct iopt_area *area,
			    struct iofd_domain *domain);
void iopt_domain_unmap_sync(struct iofd_domain *domain, unsigned long iova,
			    unsigned long length);
int iopt_pages_rw(struct iopt_pages *pages, unsigned long start_byte,
		  void *data, unsigned long length, unsigned int flags);

/* API ----------------------------------------------------------------- */

void iopt_init_table(struct io_pagetable *iopt);
void iopt_destroy_table(struct io_pagetable *iopt);

/*
 * Mirror every area of @iopt into @domain and keep it mirrored until
 * iopt_table_remove_domain(). Fails, as upstream does, with -EADDRINUSE if
 * an existing area lies outside the domain's aperture or is misaligned for
 * its smallest page size, and with -EINVAL if that page size exceeds
 * PAGE_SIZE. Reserves the IOVA outside the aperture while the domain is
 * present.
 */
int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iofd_domain *domain);
void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iofd_domain *domain);

/*
 * Reserve [start, last] on behalf of @owner. -EADDRINUSE if it intersects a
 * mapped area or an allowed range.
 */
int iopt_reserve_iova(struct io_pagetable *iopt, unsigned long start,
		      unsigned long last, void *owner);
/* Drop every reservation made for @owner */
void iopt_remove_reserved_iova(struct io_pagetable *iopt, void *owner);
/* Reserve all of @hwdev's reserved regions for @owner, all or nothing */
int iopt_table_enforce_dev_resv_regions(struct io_pagetable *iopt,
					struct iofd_hw_dev *hwdev,
					void *owner);

int iopt_map_user_pages(struct iommufd_ctx *ictx, struct io_pagetable *iopt,
			unsigned long *iova, void __user *uptr,
			unsigned long length, int iommu_prot,
			unsigned int flags);
int iopt_unmap_iova(struct io_pagetable *iopt, unsigned long iova,
		    unsigned long length, unsigned long *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, unsigned long *unmapped);

/* IOAS-level operations (ioas.c, vfio_compat.c) ------------------------- */

/*
 * Map [src_iova, src_iova + length) of @src, which must be fully covered by
 * areas, into @dst sharing the same pinned pages (no new pin, no new
 * accounting). @dst may equal @src. ENOENT if @src has a hole in the range.
 */
int iopt_copy_iova(struct iommufd_ctx *ictx, struct io_pagetable *dst,
		   unsigned long *dst_iova, struct io_pagetable *src,
		   unsigned long src_iova, unsigned long length,
		   int iommu_prot, unsigned int flags);

/*
 * Fill @ranges (room for @max entries, may be NULL if @max is 0) with the
 * IOVA ranges that can be mapped: everything not reserved (by domain
 * apertures, device reserved regions or ADD_RESERVED). *@total gets the
 * count, which may exceed @max.
 */
int iopt_get_usable_ranges(struct io_pagetable *iopt,
			   struct iommu_iova_range *ranges, u32 max,
			   u32 *total);
/* Replace the allowed ranges; -EADDRINUSE if one intersects a reservation */
int iopt_set_allow_iova(struct io_pagetable *iopt,
			const struct iommu_iova_range *ranges, u32 num);
/* IOMMU_OPTION_HUGE_PAGES and VFIO type1 v1: map at PAGE_SIZE only */
int iopt_disable_large_pages(struct io_pagetable *iopt);
void iopt_enable_large_pages(struct io_pagetable *iopt);
/*
 * VFIO type1 v1 unmap (vfio_compat.c) may punch a hole into a mapping. Split
 * every area that contains one of @iovas so that this IOVA becomes the last
 * byte of an area; an IOVA outside every area is skipped. The split areas
 * share the original pinned pages (no re-pin, no accounting change).
 * -EINVAL if a split point is not aligned to the page size of the area, if
 * an access has pages pinned in the area, or if large pages are enabled and
 * a domain holds the area (a large IOPTE could span the split).
 *
 * The compat unmap also relies on iopt_unmap_iova() returning 0 with
 * *unmapped == 0 when nothing is mapped in the range (IOMMU_IOAS_UNMAP
 * turns that into -ENOENT itself), and -ENOENT when an area is only
 * partly covered.
 */
int iopt_cut_iova(struct io_pagetable *iopt, unsigned long *iovas,
		  size_t num_iovas);

/* Dirty tracking (io_pagetable.c, dirty.c) ------------------------------ */

/*
 * SET_DIRTY_TRACKING of @domain, a domain of @iopt: enabling first clears
 * whatever dirty state the IOPTEs hold (a harvest whose result is dropped),
 * so the first bitmap after it shows only writes made after it. Serialized
 * against map/unmap.
 */
int iopt_set_dirty_tracking(struct io_pagetable *iopt,
			    struct iofd_domain *domain, bool enable);
/*
 * GET_DIRTY_BITMAP of [iova, iova + length) of @domain into the user bitmap
 * @data, one bit per @page_size; @flags IOMMU_HWPT_GET_DIRTY_BITMAP_*.
 * EINVAL/EOVERFLOW for a bad range, EINVAL if an area does not cover all of
 * it (checked before anything is read or cleared), EOPNOTSUPP if @domain
 * does not track dirty pages.
 */
int iopt_read_and_clear_dirty(struct io_pagetable *iopt,
			      struct iofd_domain *domain, unsigned int flags,
			      u64 iova, u64 length, u64 page_size,
			      void __user *data);

/**
 * struct iofd_dirty - the state of one harvest (dirty.c)
 * @data: the user bitmap; NULL: records are dropped (clearing harvest)
 * @iova: IOVA of bit 0
 * @last: last IOVA of the request; records are clipped to [@iova, @last]
 * @pgshift: log2 of the page size of one bit
 * @nbits: bits of the request
 * @wfirst: first bit of the current window (a multiple of its size)
 * @buf: the window's bits, then a staging area for user bytes
 * @lo: first bit set in the window (window relative)
 * @hi: last bit set in the window
 * @touched: a bit is set in the window
 * @spill_left: bits [@left_first, @wfirst) must be set too
 * @left_first: see @spill_left
 * @spill_right: bits after the window up to @right_last must be set too
 * @right_last: see @spill_right
 * @done: the last window was flushed
 * @rc: first error (a user copy that faulted)
 */
struct iofd_dirty {
	u8 __user *data;
	unsigned long iova;
	unsigned long last;
	unsigned int pgshift;
	unsigned long nbits;
	unsigned long wfirst;
	u8 *buf;
	unsigned long lo;
	unsigned long hi;
	bool touched;
	bool spill_left;
	unsigned long left_first;
	bool spill_right;
	unsigned long right_last;
	bool done;
	int rc;
};

/*
 * Prepare a harvest of the already validated range into @data: -EFAULT if
 * the bitmap is not user memory, -ENOMEM. Undo with iofd_dirty_destroy().
 */
int iofd_dirty_init(struct iofd_dirty *dirty, unsigned long iova,
		    unsigned long length, unsigned long page_size,
		    void __user *data);
void iofd_dirty_destroy(struct iofd_dirty *dirty);
/*
 * The IOVA range of the current window, false once every window is done.
 * Ask the driver about it, then iofd_dirty_flush() writes the window to the
 * user bitmap and moves to the next one.
 */
bool iofd_dirty_window(struct iofd_dirty *dirty, unsigned long *start,
		       unsigned long *last);
int iofd_dirty_flush(struct iofd_dirty *dirty);

/* Accesses (access.c) --------------------------------------------------- */

struct iommufd_access;

/*
 * Add/remove @access to @iopt->access_list; raises iova_alignment to
 * access->iova_alignment (-EADDRINUSE if a mapped area does not fit it).
 * iopt_add_access() stores the new index in access->iopt_access_list_id;
 * during a replace the access sits on two lists for a moment, so removal
 * takes the index it was added with.
 */
int iopt_add_access(struct io_pagetable *iopt, struct iommufd_access *access);
void iopt_remove_access(struct io_pagetable *iopt,
			struct iommufd_access *access, u32 access_list_id);

/*
 * Pin the pages behind [iova, iova + length) for an access (whole pages;
 * iova may be unaligned inside the first page). -ENOENT if not fully mapped,
 * -EPERM if @write and an area is not writeable.
 */
int iopt_access_pin_pages(struct io_pagetable *iopt, unsigned long iova,
			  unsigned long length, struct page **out_pages,
			  bool write);
void iopt_access_unpin_pages(struct io_pagetable *iopt, unsigned long iova,
			     unsigned long length);
/* Copy to/from the memory behind an IOVA range, pinning if needed */
int iopt_access_rw(struct io_pagetable *iopt, unsigned long iova, void *data,
		   unsigned long length, unsigned int flags);

/*
 * Called by io_pagetable.c with no iopt lock held when an unmap hits pages
 * that accesses pinned: every access of @iopt is told to unpin the range.
 * Implemented in access.c.
 */
void iommufd_access_notify_unmap(struct io_pagetable *iopt, unsigned long iova,
				 unsigned long length);

#endif
