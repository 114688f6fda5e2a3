// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinning of the user memory behind IOAS areas.
 *
 * An iopt_pages describes a page-aligned range of one process's VA. Nothing
 * is pinned when it is created: pages are pinned on demand, when an area
 * that uses them is mirrored into a domain or when an access asks for them.
 * Every page carries a count of users; the first user pins it (and charges
 * RLIMIT_MEMLOCK), the last one unpins it (and refunds). Areas created by
 * IOAS_COPY share the iopt_pages of their source, so memory shared that way
 * is pinned and charged once.
 *
 * The pinned struct page pointers live in chunks (struct iopt_chunk) kept in
 * an xarray, so the cost of bookkeeping is one small allocation per
 * IOPT_CHUNK_PAGES pages and pin_user_pages() writes straight into them.
 */
#include <linux/highmem.h>
#include <linux/io.h>
#include <linux/kref.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>

#include "iommufd_private.h"

/*
 * Upper bound, in bytes of page pointers, of one pin_user_pages() call.
 * IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT lowers it so that the tests walk the
 * paths that split a pin into many calls.
 */
size_t iommufd_test_memory_limit = 65536;

struct iopt_pages *iopt_pages_alloc(void __user *uptr, unsigned long length,
				    bool writable, u8 ctx_account_mode)
{
	unsigned long start = (unsigned long)uptr;
	struct iopt_pages *pages;
	unsigned long end;

	if (!length || length > SIZE_MAX - PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	if (check_add_overflow(start, length, &end))
		return ERR_PTR(-EOVERFLOW);

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);

	kref_init(&pages->kref);
	mutex_init(&pages->mutex);
	xa_init_flags(&pages->chunks, XA_FLAGS_ACCOUNT);
	pages->uptr = (void __user *)ALIGN_DOWN(start, PAGE_SIZE);
	pages->npages = (ALIGN(end, PAGE_SIZE) - ALIGN_DOWN(start, PAGE_SIZE)) >>
			PAGE_SHIFT;
	/* end may be 0 when the range ends exactly at the top of the VA */
	if (!ALIGN(end, PAGE_SIZE))
		pages->npages = (0 - ALIGN_DOWN(start, PAGE_SIZE)) >> PAGE_SHIFT;
	pages->writable = writable;

	pages->source_mm = current->mm;
	mmgrab(pages->source_mm);
	pages->source_task = current->group_leader;
	get_task_struct(pages->source_task);
	pages->source_user = get_uid(current_user());

	/* Whoever may lock memory at will is not charged, as in VFIO */
	if (capable(CAP_IPC_LOCK))
		pages->account_mode = IOPT_PAGES_ACCOUNT_NONE;
	else if (ctx_account_mode == IOPT_PAGES_ACCOUNT_MM)
		pages->account_mode = IOPT_PAGES_ACCOUNT_MM;
	else
		pages->account_mode = IOPT_PAGES_ACCOUNT_USER;
	return pages;
}

void iopt_pages_release(struct kref *kref)
{
	struct iopt_pages *pages = container_of(kref, struct iopt_pages, kref);

	WARN_ON(pages->npinned);
	WARN_ON(!xa_empty(&pages->chunks));
	xa_destroy(&pages->chunks);
	mmdrop(pages->source_mm);
	put_task_struct(pages->source_task);
	free_uid(pages->source_user);
	mutex_destroy(&pages->mutex);
	kfree(pages);
}

/* Accounting ------------------------------------------------------------ */

/*
 * user_struct only has locked_vm when one of these users of it is built in
 * (include/linux/sched/user.h). Without it, per-user charging falls back to
 * charging the mm, which still enforces RLIMIT_MEMLOCK per process.
 */
#if defined(CONFIG_NET) || defined(CONFIG_IO_URING) || \
	defined(CONFIG_VFIO_PCI_ZDEV_KVM) || IS_ENABLED(CONFIG_IOMMUFD) || \
	defined(CONFIG_SECRETMEM)
#define IOPT_USER_LOCKED_VM 1
#else
#define IOPT_USER_LOCKED_VM 0
#endif

static int iopt_charge_mm(struct iopt_pages *pages, unsigned long npages,
			  bool inc);

#if IOPT_USER_LOCKED_VM
static int iopt_charge_user(struct iopt_pages *pages, unsigned long npages)
{
	unsigned long limit = task_rlimit(pages->source_task, RLIMIT_MEMLOCK) >>
			      PAGE_SHIFT;
	atomic_long_t *locked = &pages->source_user->locked_vm;
	unsigned long cur = atomic_long_read(locked);
	unsigned long want;

	/* Lock-free, like io_uring's charging of the same counter */
	do {
		if (check_add_overflow(cur, npages, &want) || want > limit)
			return -ENOMEM;
	} while (!atomic_long_try_cmpxchg(locked, &cur, want));
	return 0;
}

static void iopt_refund_user(struct iopt_pages *pages, unsigned long npages)
{
	atomic_long_t *locked = &pages->source_user->locked_vm;

	WARN_ON(atomic_long_read(locked) < npages);
	atomic_long_sub(npages, locked);
}
#else
static int iopt_charge_user(struct iopt_pages *pages, unsigned long npages)
{
	return iopt_charge_mm(pages, npages, true);
}

static void iopt_refund_user(struct iopt_pages *pages, unsigned long npages)
{
	iopt_charge_mm(pages, npages, false);
}
#endif

static int iopt_charge_mm(struct iopt_pages *pages, unsigned long npages,
			  bool inc)
{
	int rc;

	/* The mm may be exiting; its locked_vm then no longer matters */
	if (!mmget_not_zero(pages->source_mm))
		return inc ? -EFAULT : 0;
	mmap_write_lock(pages->source_mm);
	rc = __account_locked_vm(pages->source_mm, npages, inc,
				 pages->source_task, false);
	mmap_write_unlock(pages->source_mm);
	mmput(pages->source_mm);
	return rc;
}

static int iopt_pages_charge(struct iopt_pages *pages, unsigned long npages)
{
	int rc = 0;

	if (!npages)
		return 0;
	if (pages->account_mode == IOPT_PAGES_ACCOUNT_USER)
		rc = iopt_charge_user(pages, npages);
	else if (pages->account_mode == IOPT_PAGES_ACCOUNT_MM)
		rc = iopt_charge_mm(pages, npages, true);
	if (rc)
		return rc;
	pages->npinned += npages;
	/* VmPin in /proc/PID/status, whatever the charging mode */
	atomic64_add(npages, &pages->source_mm->pinned_vm);
	return 0;
}

static void iopt_pages_refund(struct iopt_pages *pages, unsigned long npages)
{
	if (!npages || WARN_ON(npages > pages->npinned))
		return;
	pages->npinned -= npages;
	atomic64_sub(npages, &pages->source_mm->pinned_vm);
	if (pages->account_mode == IOPT_PAGES_ACCOUNT_USER)
		iopt_refund_user(pages, npages);
	else if (pages->account_mode == IOPT_PAGES_ACCOUNT_MM)
		iopt_charge_mm(pages, npages, false);
}

/* Pinning --------------------------------------------------------------- */

static struct iopt_chunk *iopt_chunk_get(struct iopt_pages *pages,
					 unsigned long cidx)
{
	struct iopt_chunk *chunk;
	unsigned long cap;
	int rc;

	chunk = xa_load(&pages->chunks, cidx);
	if (chunk)
		return chunk;
	cap = min_t(unsigned long, IOPT_CHUNK_PAGES,
		    pages->npages - (cidx << IOPT_CHUNK_SHIFT));
	chunk = kvzalloc(struct_size(chunk, pages, cap) +
				 cap * sizeof(*chunk->users),
			 GFP_KERNEL_ACCOUNT);
	if (!chunk)
		return NULL;
	chunk->users = (unsigned int *)&chunk->pages[cap];
	rc = xa_err(xa_store(&pages->chunks, cidx, chunk, GFP_KERNEL_ACCOUNT));
	if (rc) {
		kvfree(chunk);
		return NULL;
	}
	return chunk;
}

static void iopt_chunk_put_if_unused(struct iopt_pages *pages,
				     unsigned long cidx,
				     struct iopt_chunk *chunk)
{
	if (chunk->nused)
		return;
	xa_erase(&pages->chunks, cidx);
	kvfree(chunk);
}

struct iopt_pin_state {
	struct iopt_pages *pages;
	unsigned int gup_flags;
	bool remote;
	int locked;	/* for pin_user_pages_remote() */
	bool have_mm;
};

static void iopt_pin_state_end(struct iopt_pin_state *st)
{
	if (st->locked)
		mmap_read_unlock(st->pages->source_mm);
	st->locked = 0;
	if (st->have_mm)
		mmput(st->pages->source_mm);
	st->have_mm = false;
}

/* Pin @npages from page @index into @out; returns how many or -errno */
static long iopt_pin_some(struct iopt_pin_state *st, unsigned long index,
			  unsigned long npages, struct page **out)
{
	struct iopt_pages *pages = st->pages;
	unsigned long uptr = (unsigned long)pages->uptr + index * PAGE_SIZE;
	long rc;

	/* Fault injection (fail_iommufd) exercises every unwind of a pin */
	if (iommufd_should_fail()) {
		rc = -EFAULT;
		goto out;
	}
	if (!st->remote) {
		rc = pin_user_pages_fast(uptr, npages, st->gup_flags, out);
		goto out;
	}

	if (!st->have_mm) {
		if (!mmget_not_zero(pages->source_mm))
			return -EFAULT;
		st->have_mm = true;
	}
	if (!st->locked) {
		mmap_read_lock(pages->source_mm);
		st->locked = 1;
	}
	rc = pin_user_pages_remote(pages->source_mm, uptr, npages,
				   st->gup_flags, out, &st->locked);
out:
	/*
	 * GUP may leave stale pointers past what it returns (long-term pins
	 * that had to migrate); the undo path trusts non-NULL entries.
	 */
	if (rc < (long)npages) {
		unsigned long good = rc > 0 ? rc : 0;

		memset(out + good, 0, (npages - good) * sizeof(*out));
	}
	return rc;
}

/* Unpin the pages of one chunk in [first, first + n) and forget them */
static void iopt_chunk_unpin(struct iopt_pages *pages, struct iopt_chunk *chunk,
			     unsigned int first, unsigned int n)
{
	unpin_user_pages_dirty_lock(&chunk->pages[first], n, pages->writable);
	memset(&chunk->pages[first], 0, n * sizeof(chunk->pages[0]));
}

/*
 * The part of [index, last] that lies in index's chunk: slots [*off, *end)
 * of the returned chunk number. Every walk over a page range goes chunk by
 * chunk this way and then moves index on by *end - *off.
 */
static unsigned long iopt_chunk_span(unsigned long index, unsigned long last,
				     unsigned int *off, unsigned int *end)
{
	*off = index & (IOPT_CHUNK_PAGES - 1);
	*end = min_t(unsigned long, IOPT_CHUNK_PAGES,
		     *off + (last - index) + 1);
	return index >> IOPT_CHUNK_SHIFT;
}

/*
 * Drop the pins taken by a failed iopt_pages_pin(): pages in [first, last]
 * that have no user yet but a page pointer were pinned by it.
 */
static void iopt_pages_pin_undo(struct iopt_pages *pages, unsigned long first,
				unsigned long last)
{
	unsigned long index = first;

	while (index <= last) {
		unsigned int off, end;
		unsigned long cidx = iopt_chunk_span(index, last, &off, &end);
		struct iopt_chunk *chunk = xa_load(&pages->chunks, cidx);
		unsigned int i;

		if (chunk) {
			for (i = off; i != end; i++) {
				unsigned int s = i;

				while (i != end && !chunk->users[i] &&
				       chunk->pages[i])
					i++;
				if (i != s)
					iopt_chunk_unpin(pages, chunk, s, i - s);
				if (i == end)
					break;
			}
			iopt_chunk_put_if_unused(pages, cidx, chunk);
		}
		index += end - off;
	}
}

/* Pages in [first, last] that nobody uses, i.e. that a pin has to pin */
static unsigned long iopt_pages_count_unused(struct iopt_pages *pages,
					     unsigned long first,
					     unsigned long last)
{
	unsigned long index = first;
	unsigned long n = 0;

	while (index <= last) {
		unsigned int off, end;
		unsigned long cidx = iopt_chunk_span(index, last, &off, &end);
		struct iopt_chunk *chunk = xa_load(&pages->chunks, cidx);
		unsigned int i;

		if (!chunk || !chunk->nused) {
			n += end - off;
		} else {
			for (i = off; i != end; i++)
				n += !chunk->users[i];
		}
		index += end - off;
	}
	return n;
}

/**
 * iopt_pages_pin - take one use of every page in [first, last]
 * @pages: the memory
 * @first: first page index
 * @last: last page index (inclusive)
 *
 * Pages without users so far are pinned (in as few calls as the batch limit
 * allows) and charged. All or nothing.
 */
int iopt_pages_pin(struct iopt_pages *pages, unsigned long first,
		   unsigned long last)
{
	struct iopt_pin_state st = {
		.pages = pages,
		.gup_flags = FOLL_LONGTERM | (pages->writable ? FOLL_WRITE : 0),
		.remote = pages->source_mm != current->mm,
	};
	unsigned long max_batch = max_t(unsigned long, 1,
					READ_ONCE(iommufd_test_memory_limit) /
						sizeof(struct page *));
	unsigned long need = 0;
	unsigned long index;
	int rc = 0;

	if (WARN_ON(last < first || last >= pages->npages))
		return -EINVAL;

	mutex_lock(&pages->mutex);

	/*
	 * Charge first, so that going over RLIMIT_MEMLOCK fails before any
	 * page is pinned rather than after pinning all of them.
	 */
	need = iopt_pages_count_unused(pages, first, last);
	rc = iopt_pages_charge(pages, need);
	if (rc) {
		mutex_unlock(&pages->mutex);
		return rc;
	}

	/* Pass 1: make the chunks exist and pin what has no user yet */
	index = first;
	while (index <= last) {
		unsigned int off, end;
		unsigned long cidx = iopt_chunk_span(index, last, &off, &end);
		struct iopt_chunk *chunk = iopt_chunk_get(pages, cidx);
		unsigned int i = off;

		if (!chunk) {
			rc = -ENOMEM;
			goto err_undo;
		}
		while (i != end) {
			unsigned int s = i;
			long got;

			if (chunk->users[i]) {
				i++;
				continue;
			}
			while (i != end && !chunk->users[i] &&
			       i - s < max_batch)
				i++;
			got = iopt_pin_some(&st,
					    (cidx << IOPT_CHUNK_SHIFT) + s,
					    i - s, &chunk->pages[s]);
			if (got <= 0) {
				rc = got ? got : -EFAULT;
				/* A partly filled chunk is cleaned by undo */
				goto err_undo;
			}
			/* A short pin: continue after what was pinned */
			i = s + got;
		}
		index += end - off;
	}
	iopt_pin_state_end(&st);

	/* Pass 2: count the new use */
	index = first;
	while (index <= last) {
		unsigned int off, end;
		unsigned long cidx = iopt_chunk_span(index, last, &off, &end);
		struct iopt_chunk *chunk = xa_load(&pages->chunks, cidx);
		unsigned int i;

		for (i = off; i != end; i++)
			if (!chunk->users[i]++)
				chunk->nused++;
		index += end - off;
	}
	mutex_unlock(&pages->mutex);
	return 0;

err_undo:
	iopt_pin_state_end(&st);
	iopt_pages_pin_undo(pages, first, last);
	iopt_pages_refund(pages, need);
	mutex_unlock(&pages->mutex);
	return rc;
}

/**
 * iopt_pages_unpin - drop one use of every page in [first, last]
 * @pages: the memory
 * @first: first page index
 * @last: last page index (inclusive)
 *
 * Pages whose last use goes away are unpinned and refunded.
 */
void iopt_pages_unpin(struct iopt_pages *pages, unsigned long first,
		      unsigned long last)
{
	unsigned long freed = 0;
	unsigned long index = first;

	mutex_lock(&pages->mutex);
	while (index <= last) {
		unsigned int off, end;
		unsigned long cidx = iopt_chunk_span(index, last, &off, &end);
		struct iopt_chunk *chunk = xa_load(&pages->chunks, cidx);
		unsigned int i = off;

		if (WARN_ON(!chunk)) {
			index += end - off;
			continue;
		}
		while (i != end) {
			unsigned int s = i;

			while (i != end && chunk->users[i] == 1)
				i++;
			if (i != s) {
				memset(&chunk->users[s], 0,
				       (i - s) * sizeof(chunk->users[0]));
				chunk->nused -= i - s;
				freed += i - s;
				iopt_chunk_unpin(pages, chunk, s, i - s);
				continue;
			}
			if (!WARN_ON(!chunk->users[i]))
				chunk->users[i]--;
			i++;
		}
		iopt_chunk_put_if_unused(pages, cidx, chunk);
		index += end - off;
	}
	iopt_pages_refund(pages, freed);
	mutex_unlock(&pages->mutex);
}

struct page *iopt_pages_page(struct iopt_pages *pages, unsigned long index)
{
	struct iopt_chunk *chunk = xa_load(&pages->chunks,
					   index >> IOPT_CHUNK_SHIFT);

	if (WARN_ON(!chunk))
		return NULL;
	return chunk->pages[index & (IOPT_CHUNK_PAGES - 1)];
}

/* Mapping into domains -------------------------------------------------- */

/*
 * Map @area, whose pages the caller holds a use on, into @domain. Physically
 * contiguous runs go to the driver in one call so it can pick large IOPTEs;
 * with @small_pages every CPU page is its own call, so that any page can be
 * unmapped later without splitting an IOPTE.
 */
int iopt_area_map_domain(struct iopt_area *area, struct iofd_domain *domain,
			 bool small_pages)
{
	struct iopt_pages *pages = area->pages;
	unsigned long byte = area->start_byte;
	unsigned long end_byte = area->start_byte + iopt_area_length(area);
	unsigned long iova = area->node.start;
	unsigned long run_iova = iova, run_len = 0;
	phys_addr_t run_phys = 0;
	struct iopt_chunk *chunk = NULL;
	unsigned long cidx = ULONG_MAX;
	int rc;

	while (byte != end_byte) {
		unsigned long index = byte >> PAGE_SHIFT;
		unsigned long off = byte & ~PAGE_MASK;
		unsigned long len = min(PAGE_SIZE - off, end_byte - byte);
		phys_addr_t phys;

		if ((index >> IOPT_CHUNK_SHIFT) != cidx) {
			cidx = index >> IOPT_CHUNK_SHIFT;
			chunk = xa_load(&pages->chunks, cidx);
			if (WARN_ON(!chunk)) {
				rc = -EINVAL;
				goto err_unmap;
			}
		}
		phys = page_to_phys(chunk->pages[index &
						 (IOPT_CHUNK_PAGES - 1)]) + off;

		if (run_len && !small_pages && phys == run_phys + run_len) {
			run_len += len;
		} else {
			if (run_len) {
				rc = domain->ops->map(domain, run_iova,
						      run_phys, run_len,
						      area->iommu_prot,
						      GFP_KERNEL_ACCOUNT);
				if (rc)
					goto err_unmap;
			}
			run_iova = iova;
			run_phys = phys;
			run_len = len;
		}
		byte += len;
		iova += len;
		if (need_resched())
			cond_resched();
	}
	rc = domain->ops->map(domain, run_iova, run_phys, run_len,
			      area->iommu_prot, GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_unmap;
	return 0;

err_unmap:
	/*
	 * The failed call left nothing; undo the calls before it. The
	 * caller unpins next, so the IOTLB must be clean by then.
	 */
	if (run_iova != area->node.start)
		iopt_domain_unmap_sync(domain, area->node.start,
				       run_iova - area->node.start);
	return rc;
}

/**
 * iopt_domain_unmap_sync - unmap a range from a domain and flush it
 * @domain: the domain
 * @iova: first IOVA
 * @length: bytes, covering whole earlier map calls
 *
 * One unmap call and, for drivers that defer invalidation, one iotlb_sync
 * for the whole range. Every unmap of the core ends here before any page of
 * the range can be unpinned: until the sync returns, a stale IOTLB entry
 * could still let DMA reach the page.
 */
void iopt_domain_unmap_sync(struct iofd_domain *domain, unsigned long iova,
			    unsigned long length)
{
	WARN_ON(domain->ops->unmap(domain, iova, length) != length);
	if (domain->ops->iotlb_sync)
		domain->ops->iotlb_sync(domain, iova, length);
}

void iopt_area_unmap_domain(struct iopt_area *area, struct iofd_domain *domain)
{
	iopt_domain_unmap_sync(domain, area->node.start, iopt_area_length(area));
}

/* CPU access ------------------------------------------------------------ */

static void iopt_copy_page(struct page *page, unsigned long off, void *data,
			   unsigned long len, bool write)
{
	void *va = kmap_local_page(page);

	if (write)
		memcpy(va + off, data, len);
	else
		memcpy(data, va + off, len);
	kunmap_local(va);
}

/*
 * Copy one piece inside page @index that nobody has pinned: straight
 * through the user mapping when we run in the owning mm, else by pinning the
 * page for the moment of the copy.
 */
static int iopt_pages_rw_unpinned(struct iopt_pages *pages,
				  unsigned long index, unsigned long off,
				  void *data, unsigned long len,
				  unsigned int flags)
{
	void __user *uva = pages->uptr + index * PAGE_SIZE + off;
	bool write = flags & IOFD_ACCESS_RW_WRITE;
	struct page *page = NULL;
	long rc;

	if (!(flags & IOFD_ACCESS_RW_KTHREAD) &&
	    current->mm == pages->source_mm) {
		if (write)
			rc = copy_to_user(uva, data, len);
		else
			rc = copy_from_user(data, uva, len);
		return rc ? -EFAULT : 0;
	}

	if (iommufd_should_fail())
		return -EFAULT;
	if (!mmget_not_zero(pages->source_mm))
		return -EFAULT;
	mmap_read_lock(pages->source_mm);
	rc = pin_user_pages_remote(pages->source_mm,
				   (unsigned long)uva & PAGE_MASK, 1,
				   write ? FOLL_WRITE : 0, &page, NULL);
	mmap_read_unlock(pages->source_mm);
	mmput(pages->source_mm);
	if (rc != 1)
		return rc < 0 ? rc : -EFAULT;
	iopt_copy_page(page, off, data, len, write);
	unpin_user_pages_dirty_lock(&page, 1, write);
	return 0;
}

/**
 * iopt_pages_rw - copy between @data and the memory of @pages
 * @pages: the memory
 * @start_byte: offset from pages->uptr
 * @data: kernel buffer
 * @length: bytes
 * @flags: IOFD_ACCESS_RW_*
 */
int iopt_pages_rw(struct iopt_pages *pages, unsigned long start_byte,
		  void *data, unsigned long length, unsigned int flags)
{
	bool write = flags & IOFD_ACCESS_RW_WRITE;

	/*
	 * In the process that owns the memory the user mapping is the
	 * memory: copy through it in one go, pinned or not. Faults are fine
	 * here, we hold only iova_rwsem for read.
	 */
	if (!(flags & IOFD_ACCESS_RW_KTHREAD) &&
	    current->mm == pages->source_mm) {
		void __user *uva = pages->uptr + start_byte;
		unsigned long left;

		if (iommufd_should_fail())
			return -EFAULT;
		if (write)
			left = copy_to_user(uva, data, length);
		else
			left = copy_from_user(data, uva, length);
		return left ? -EFAULT : 0;
	}

	while (length) {
		unsigned long index = start_byte >> PAGE_SHIFT;
		unsigned long off = start_byte & ~PAGE_MASK;
		unsigned long len = min(PAGE_SIZE - off, length);
		struct iopt_chunk *chunk;
		struct page *page = NULL;
		int rc;

		mutex_lock(&pages->mutex);
		chunk = xa_load(&pages->chunks, index >> IOPT_CHUNK_SHIFT);
		if (chunk && chunk->users[index & (IOPT_CHUNK_PAGES - 1)])
			page = chunk->pages[index & (IOPT_CHUNK_PAGES - 1)];
		if (page) {
			/* Held by mutex: no fault can happen in the copy */
			iopt_copy_page(page, off, data, len, write);
			mutex_unlock(&pages->mutex);
		} else {
			mutex_unlock(&pages->mutex);
			rc = iopt_pages_rw_unpinned(pages, index, off, data,
						    len, flags);
			if (rc)
				return rc;
		}
		data += len;
		start_byte += len;
		length -= len;
	}
	return 0;
}
