// SPDX-License-Identifier: GPL-2.0-only
/*
 * In-kernel accesses to an IOAS.
 *
 * An emulated device (an mdev-style driver, or the selftest interface) has
 * no IOMMU of its own: it reaches the memory behind an IOAS with the CPU,
 * either by pinning the pages behind a range of IOVA (iofd_access_pin_pages)
 * or by asking the core to copy (iofd_access_rw). Such a user is an ACCESS
 * object: it is never destroyed through IOMMU_DESTROY, only by the driver
 * that created it.
 *
 * Lifetime:
 *  - the creating driver holds a users reference until iofd_access_destroy();
 *  - an access holds a reference on the context's file, so the context (and
 *    its object table, which the access lives in) outlives it even when the
 *    driver's own handle (for the selftest, an fd) is closed after the
 *    iommufd fd;
 *  - an attached access holds a users reference on its IOAS, which therefore
 *    cannot be destroyed under it (EBUSY).
 *
 * Locking: access->ioas_lock, then the iopt locks (taken inside the iopt_*
 * calls). The driver's unmap callback is never called with ioas_lock or an
 * iopt lock held, because the callback must be able to unpin, which takes
 * both.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>

#include "iommufd_private.h"

#define IOFD_ACCESS_RW_VALID (IOFD_ACCESS_RW_WRITE | IOFD_ACCESS_RW_KTHREAD)

/*
 * Move @access from its current IOAS (may be NULL) to @new_ioas (may be
 * NULL). On success the users reference on the old IOAS is dropped and one
 * on @new_ioas taken; the caller keeps whatever reference it used to find
 * @new_ioas. Called with ioas_lock held, which it drops and retakes while
 * the driver unpins what it held in the old IOAS.
 */
static int iommufd_access_switch_ioas(struct iommufd_access *access,
				      struct iommufd_ioas *new_ioas)
{
	struct iommufd_ioas *old_ioas = access->ioas;
	u32 old_list_id = access->iopt_access_list_id;
	int rc;

	lockdep_assert_held(&access->ioas_lock);

	/*
	 * ioas and ioas_unpin differ only while another switch has dropped
	 * the lock to call the driver; two switches must not interleave.
	 */
	if (old_ioas != access->ioas_unpin)
		return -EBUSY;
	if (old_ioas == new_ioas)
		return 0;

	if (new_ioas) {
		/* Overwrites iopt_access_list_id: the old one is saved above */
		rc = iopt_add_access(&new_ioas->iopt, access);
		if (rc)
			return rc;
		refcount_inc(&new_ioas->obj.users);
	}

	if (old_ioas) {
		/*
		 * Refuse new pins from here on, but let the driver's unmap
		 * callback unpin through ioas_unpin, which still names the
		 * old IOAS. The callback takes ioas_lock itself.
		 */
		access->ioas = NULL;
		if (access->ops->unmap) {
			mutex_unlock(&access->ioas_lock);
			access->ops->unmap(access->data, 0, ULONG_MAX);
			mutex_lock(&access->ioas_lock);
		}
		iopt_remove_access(&old_ioas->iopt, access, old_list_id);
		iommufd_object_put_users(access->ictx, &old_ioas->obj);
	}

	access->ioas = new_ioas;
	access->ioas_unpin = new_ioas;
	return 0;
}

/* Look up @ioas_id and switch to it; caller holds ioas_lock */
static int iommufd_access_switch_ioas_id(struct iommufd_access *access,
					 u32 ioas_id)
{
	struct iommufd_ioas *ioas;
	int rc;

	ioas = iommufd_get_ioas(access->ictx, ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iommufd_access_switch_ioas(access, ioas);
	iommufd_put_object(access->ictx, &ioas->obj);
	return rc;
}

/*
 * The object's destroy op: runs once the last users reference is gone.
 * iofd_access_destroy() has normally detached already; this covers the rest.
 */
void iommufd_access_destroy_object(struct iommufd_object *obj)
{
	struct iommufd_access *access =
		container_of(obj, struct iommufd_access, obj);

	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		WARN_ON(iommufd_access_switch_ioas(access, NULL));
	mutex_unlock(&access->ioas_lock);
	mutex_destroy(&access->ioas_lock);
	iofd_ctx_put(access->ictx);
}

/**
 * iofd_access_create - create an in-kernel access to IOASes of @ictx
 * @ictx: the iommufd context
 * @ops: the driver's callbacks; @ops->unmap is required to pin pages
 * @data: handed back to the callbacks
 * @id: returns the object ID (for the driver to report to userspace)
 *
 * The access starts detached; see iofd_access_attach().
 *
 * Return: the access, or an ERR_PTR.
 */
struct iommufd_access *
iofd_access_create(struct iommufd_ctx *ictx,
		   const struct iommufd_access_ops *ops, void *data, u32 *id)
{
	struct iommufd_access *access;

	access = iommufd_object_alloc(ictx, access, IOMMUFD_OBJ_ACCESS);
	if (IS_ERR(access))
		return access;

	access->ictx = ictx;
	access->ops = ops;
	access->data = data;
	mutex_init(&access->ioas_lock);
	/*
	 * Pinning hands out struct pages, so an IOAS with a pinning access
	 * must keep every area page aligned. Copying works at any alignment.
	 */
	access->iova_alignment = ops->needs_pin_pages ? PAGE_SIZE : 1;

	/* Dropped by iofd_access_destroy() */
	refcount_inc(&access->obj.users);
	get_file(ictx->file);

	iommufd_object_finalize(ictx, &access->obj);
	*id = access->obj.id;
	return access;
}
EXPORT_SYMBOL_GPL(iofd_access_create);

/**
 * iofd_access_destroy - destroy an access made by iofd_access_create()
 * @access: the access
 *
 * The driver must have stopped using it. Waits for an unmap callback that is
 * running; none is called afterwards.
 */
void iofd_access_destroy(struct iommufd_access *access)
{
	/*
	 * Leave the IOAS while the object can still be referenced. Once
	 * removal has started, iommufd_access_notify_unmap() can no longer
	 * take a reference and skips the access; if it still held pins then,
	 * an unmap of them would spin until the destroy op dropped them.
	 */
	mutex_lock(&access->ioas_lock);
	if (access->ioas)
		WARN_ON(iommufd_access_switch_ioas(access, NULL));
	mutex_unlock(&access->ioas_lock);

	iommufd_object_destroy_user(access->ictx, &access->obj);
}
EXPORT_SYMBOL_GPL(iofd_access_destroy);

/**
 * iofd_access_attach - attach a detached access to an IOAS
 * @access: the access
 * @ioas_id: ID of an IOAS of the access's context
 *
 * Return: 0, -ENOENT if @ioas_id is not an IOAS, or another -errno.
 */
int iofd_access_attach(struct iommufd_access *access, u32 ioas_id)
{
	int rc;

	mutex_lock(&access->ioas_lock);
	if (WARN_ON(access->ioas))
		rc = -EINVAL;
	else
		rc = iommufd_access_switch_ioas_id(access, ioas_id);
	mutex_unlock(&access->ioas_lock);
	return rc;
}
EXPORT_SYMBOL_GPL(iofd_access_attach);

/**
 * iofd_access_replace - move an attached access to another IOAS
 * @access: the access
 * @ioas_id: ID of the new IOAS
 *
 * The access is on the new IOAS before it leaves the old one. Everything the
 * driver pinned in the old IOAS is unpinned through its unmap callback.
 *
 * Return: 0, -ENOENT if not attached or @ioas_id is not an IOAS, or another
 * -errno (the access then stays where it was).
 */
int iofd_access_replace(struct iommufd_access *access, u32 ioas_id)
{
	int rc;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas)
		rc = -ENOENT;
	else
		rc = iommufd_access_switch_ioas_id(access, ioas_id);
	mutex_unlock(&access->ioas_lock);
	return rc;
}
EXPORT_SYMBOL_GPL(iofd_access_replace);

/**
 * iofd_access_detach - detach an access from its IOAS
 * @access: the access
 *
 * The driver's unmap callback is called for the whole IOVA space first.
 */
void iofd_access_detach(struct iommufd_access *access)
{
	mutex_lock(&access->ioas_lock);
	if (!WARN_ON(!access->ioas))
		WARN_ON(iommufd_access_switch_ioas(access, NULL));
	mutex_unlock(&access->ioas_lock);
}
EXPORT_SYMBOL_GPL(iofd_access_detach);

/*
 * io_pagetable.c calls this, holding no iopt lock, when an unmap finds pages
 * that accesses pinned in [iova, iova + length). Each access is asked to
 * unpin them; the caller then retries. The xa_lock of the list keeps an
 * entry from being freed between the lookup and taking a short-term
 * reference; that reference (which iofd_access_destroy() waits for) keeps it
 * alive while the lock is dropped for the callback, which may sleep.
 */
void iommufd_access_notify_unmap(struct io_pagetable *iopt, unsigned long iova,
				 unsigned long length)
{
	struct iommufd_access *access;
	unsigned long index;

	xa_lock(&iopt->access_list);
	xa_for_each(&iopt->access_list, index, access) {
		/* Without an unmap op it cannot pin, so it holds nothing */
		if (!access->ops->unmap ||
		    !iommufd_lock_obj(access->ictx, &access->obj))
			continue;
		xa_unlock(&iopt->access_list);

		access->ops->unmap(access->data, iova, length);

		iommufd_put_object(access->ictx, &access->obj);
		xa_lock(&iopt->access_list);
	}
	xa_unlock(&iopt->access_list);
}

/**
 * iofd_access_pin_pages - pin the pages behind a range of IOVA
 * @access: an attached access created with @ops->needs_pin_pages
 * @iova: first IOVA; the pages are whole, so only the page of @iova matters
 * @length: bytes
 * @out_pages: room for one struct page pointer per page of the range
 * @flags: IOFD_ACCESS_RW_WRITE if the pages will be written
 *
 * Undo with iofd_access_unpin_pages() with the same @iova and @length, or
 * from the unmap callback when the range is unmapped.
 *
 * Return: 0; -EINVAL for a zero @length; -EOVERFLOW if the range wraps;
 * -EOPNOTSUPP for unknown @flags or an access that did not declare it pins;
 * -ENOENT if not attached or not fully mapped; -EPERM for a write to
 * read-only memory; or another -errno.
 */
int iofd_access_pin_pages(struct iommufd_access *access, unsigned long iova,
			  unsigned long length, struct page **out_pages,
			  unsigned int flags)
{
	unsigned long last;
	int rc;

	if (!access->ops->needs_pin_pages || !access->ops->unmap)
		return -EOPNOTSUPP;
	if (flags & ~IOFD_ACCESS_RW_VALID)
		return -EOPNOTSUPP;
	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas)
		rc = -ENOENT;
	else
		rc = iopt_access_pin_pages(&access->ioas->iopt, iova, length,
					   out_pages,
					   flags & IOFD_ACCESS_RW_WRITE);
	mutex_unlock(&access->ioas_lock);
	return rc;
}
EXPORT_SYMBOL_GPL(iofd_access_pin_pages);

/**
 * iofd_access_unpin_pages - undo iofd_access_pin_pages()
 * @access: the access
 * @iova: as given to the pin
 * @length: as given to the pin
 *
 * The driver must have stopped touching the pages.
 */
void iofd_access_unpin_pages(struct iommufd_access *access,
			     unsigned long iova, unsigned long length)
{
	unsigned long last;

	/* Such a range could never have been pinned: a driver bug */
	if (WARN_ON(!length) ||
	    WARN_ON(check_add_overflow(iova, length - 1, &last)))
		return;

	mutex_lock(&access->ioas_lock);
	/*
	 * ioas_unpin, not ioas: this is how the unmap callback of a running
	 * replace or detach gives back what it held in the old IOAS.
	 */
	if (!WARN_ON(!access->ioas_unpin))
		iopt_access_unpin_pages(&access->ioas_unpin->iopt, iova,
					length);
	mutex_unlock(&access->ioas_lock);
}
EXPORT_SYMBOL_GPL(iofd_access_unpin_pages);

/**
 * iofd_access_rw - copy between a kernel buffer and the memory behind IOVA
 * @access: an attached access
 * @iova: first IOVA, any alignment
 * @data: kernel buffer of @len bytes
 * @len: bytes
 * @flags: IOFD_ACCESS_RW_WRITE to write to the IOAS (else read);
 *	   IOFD_ACCESS_RW_KTHREAD when not called from the owning process
 *
 * Return: 0; -EINVAL for a zero @len; -EOVERFLOW if the range wraps;
 * -EOPNOTSUPP for unknown @flags; -ENOENT if not attached or not fully
 * mapped; -EPERM for a write to read-only memory; or another -errno.
 */
int iofd_access_rw(struct iommufd_access *access, unsigned long iova,
		   void *data, size_t len, unsigned int flags)
{
	unsigned long last;
	int rc;

	if (flags & ~IOFD_ACCESS_RW_VALID)
		return -EOPNOTSUPP;
	if (!len)
		return -EINVAL;
	if (check_add_overflow(iova, len - 1, &last))
		return -EOVERFLOW;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas)
		rc = -ENOENT;
	else
		rc = iopt_access_rw(&access->ioas->iopt, iova, data, len,
				    flags);
	mutex_unlock(&access->ioas_lock);
	return rc;
}
EXPORT_SYMBOL_GPL(iofd_access_rw);
