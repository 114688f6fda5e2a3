// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices bound to an iommufd context, and what their request ID (RID) and
 * PASIDs translate through.
 *
 * Locking:
 *  - idev->lock serializes every attach, replace and detach of one device,
 *    for the RID and all PASIDs, and protects idev->rid_hwpt and
 *    idev->pasid_hwpts. It is the outermost lock of these paths:
 *	idev->lock -> ioas->mutex -> iopt locks -> pages locks
 *  - ioas->mutex is held while looking for, or creating, an automatic HWPT
 *    on that IOAS, so two devices never create two automatic domains for
 *    the same driver by racing.
 *  - An automatic HWPT that loses its last device is destroyed after
 *    idev->lock is released (destroying takes ioas->mutex and may wait for
 *    in-flight ioctls).
 *
 * References: each attachment (RID or PASID) holds a users reference on its
 * HWPT; the binding driver holds one on the device until unbind.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include "iommufd_private.h"

static struct iommufd_hwpt_paging *
iommufd_hwpt_as_paging(struct iommufd_hw_pagetable *hwpt)
{
	if (hwpt && hwpt->obj.type == IOMMUFD_OBJ_HWPT_PAGING)
		return to_hwpt_paging(hwpt);
	return NULL;
}

/* The IOAS whose reserved ranges a HWPT must respect, if any */
static struct iommufd_ioas *iommufd_hwpt_ioas(struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *paging = iommufd_hwpt_as_paging(hwpt);

	return paging ? paging->ioas : NULL;
}

/*
 * Give back the attachment reference on @hwpt. An automatic domain goes away
 * with its last device; if another device joined it meanwhile, removal fails
 * with -EBUSY and that device keeps it. Must not be called under idev->lock
 * or ioas->mutex.
 */
static void iommufd_hwpt_put_attach(struct iommufd_ctx *ictx,
				    struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *paging = iommufd_hwpt_as_paging(hwpt);

	if (paging && paging->auto_domain)
		iommufd_object_remove(ictx, &hwpt->obj, 0);
	else
		iommufd_object_put_users(ictx, &hwpt->obj);
}

/* Checks common to the RID and PASIDs: may @hwpt translate for @idev? */
static int iommufd_hwpt_compatible(struct iommufd_device *idev,
				   struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hwpt_paging *paging = iommufd_hwpt_as_paging(hwpt);

	/* A domain only works with devices of the driver that made it */
	if (hwpt->domain->owner != idev->hwdev->ops)
		return -EINVAL;
	/*
	 * A HWPT that promised coherent DMA cannot take a device that could
	 * break the promise; userspace must use a separate HWPT for it.
	 */
	if (paging && paging->enforce_cache_coherency &&
	    !idev->enforce_cache_coherency)
		return -EINVAL;
	return 0;
}

static bool iommufd_device_has_pasids(struct iommufd_device *idev)
{
	unsigned long index = 0;

	return xa_find(&idev->pasid_hwpts, &index, ULONG_MAX, XA_PRESENT);
}

/*
 * Point the RID at @hwpt: a first attach (@replace false) or an atomic
 * replace. On success *@old is the HWPT the RID left (NULL if none or if
 * nothing changed), whose attachment reference the caller puts after
 * dropping idev->lock.
 */
static int iommufd_rid_set(struct iommufd_device *idev,
			   struct iommufd_hw_pagetable *hwpt, bool replace,
			   struct iommufd_hw_pagetable **old)
{
	struct iommufd_hw_pagetable *cur = idev->rid_hwpt;
	struct iommufd_ioas *new_ioas = iommufd_hwpt_ioas(hwpt);
	struct iommufd_ioas *cur_ioas = iommufd_hwpt_ioas(cur);
	int rc;

	lockdep_assert_held(&idev->lock);
	*old = NULL;

	if (!replace && cur)
		return -EBUSY;
	if (replace && !cur)
		return -EINVAL;
	if (cur == hwpt)
		return 0;

	rc = iommufd_hwpt_compatible(idev, hwpt);
	if (rc)
		return rc;
	/* Attached PASIDs need a RID domain that allows PASIDs beside it */
	if (!hwpt->domain->pasid_compat && iommufd_device_has_pasids(idev))
		return -EINVAL;

	/*
	 * The device's reserved ranges (MSI windows and the like) must never
	 * be mapped in the IOAS it translates through. They are keyed by the
	 * idev and held for as long as the RID uses that IOAS.
	 */
	if (new_ioas && new_ioas != cur_ioas) {
		rc = iopt_table_enforce_dev_resv_regions(&new_ioas->iopt,
							 idev->hwdev, idev);
		if (rc)
			return rc;
	}

	/* The driver switches atomically from cur (or blocked) to hwpt */
	rc = idev->hwdev->ops->attach(idev->hwdev, IOFD_NO_PASID,
				      hwpt->domain);
	if (rc) {
		if (new_ioas && new_ioas != cur_ioas)
			iopt_remove_reserved_iova(&new_ioas->iopt, idev);
		return rc;
	}

	if (cur_ioas && cur_ioas != new_ioas)
		iopt_remove_reserved_iova(&cur_ioas->iopt, idev);
	refcount_inc(&hwpt->obj.users);
	idev->rid_hwpt = hwpt;
	*old = cur;
	return 0;
}

static struct iommufd_hw_pagetable *iommufd_rid_clear(struct iommufd_device *idev)
{
	struct iommufd_hw_pagetable *cur = idev->rid_hwpt;
	struct iommufd_ioas *cur_ioas = iommufd_hwpt_ioas(cur);

	lockdep_assert_held(&idev->lock);
	if (!cur)
		return NULL;

	/* Blocking DMA cannot fail */
	WARN_ON(idev->hwdev->ops->attach(idev->hwdev, IOFD_NO_PASID, NULL));
	if (cur_ioas)
		iopt_remove_reserved_iova(&cur_ioas->iopt, idev);
	idev->rid_hwpt = NULL;
	return cur;
}

static int iommufd_pasid_check(struct iommufd_device *idev, u32 pasid)
{
	u32 width = idev->hwdev->max_pasid_log2;

	if (!width)
		return -EINVAL;
	if (width < 32 && pasid >= (1U << width))
		return -EINVAL;
	return 0;
}

/* As iommufd_rid_set(), for one PASID */
static int iommufd_pasid_set(struct iommufd_device *idev, u32 pasid,
			     struct iommufd_hw_pagetable *hwpt, bool replace,
			     struct iommufd_hw_pagetable **old)
{
	struct iommufd_hw_pagetable *cur;
	int rc;

	lockdep_assert_held(&idev->lock);
	*old = NULL;

	rc = iommufd_pasid_check(idev, pasid);
	if (rc)
		return rc;
	/* Only HWPTs allocated for PASID use, beside a compatible RID */
	if (!hwpt->domain->pasid_compat)
		return -EINVAL;
	if (idev->rid_hwpt && !idev->rid_hwpt->domain->pasid_compat)
		return -EINVAL;

	cur = xa_load(&idev->pasid_hwpts, pasid);
	if (!replace && cur)
		return -EBUSY;
	if (replace && !cur)
		return -EINVAL;
	if (cur == hwpt)
		return 0;

	rc = iommufd_hwpt_compatible(idev, hwpt);
	if (rc)
		return rc;

	/* Take the slot first so that recording the attach cannot fail */
	if (!cur) {
		rc = xa_reserve(&idev->pasid_hwpts, pasid, GFP_KERNEL_ACCOUNT);
		if (rc)
			return rc;
	}

	rc = idev->hwdev->ops->attach(idev->hwdev, pasid, hwpt->domain);
	if (rc) {
		if (!cur)
			xa_release(&idev->pasid_hwpts, pasid);
		return rc;
	}

	refcount_inc(&hwpt->obj.users);
	WARN_ON(xa_is_err(xa_store(&idev->pasid_hwpts, pasid, hwpt,
				   GFP_KERNEL_ACCOUNT)));
	*old = cur;
	return 0;
}

static struct iommufd_hw_pagetable *
iommufd_pasid_clear(struct iommufd_device *idev, u32 pasid)
{
	struct iommufd_hw_pagetable *cur;

	lockdep_assert_held(&idev->lock);
	cur = xa_erase(&idev->pasid_hwpts, pasid);
	if (!cur)
		return NULL;
	WARN_ON(idev->hwdev->ops->attach(idev->hwdev, pasid, NULL));
	return cur;
}

static int iommufd_dev_set(struct iommufd_device *idev, u32 pasid,
			   struct iommufd_hw_pagetable *hwpt, bool replace,
			   struct iommufd_hw_pagetable **old)
{
	if (pasid == IOFD_NO_PASID)
		return iommufd_rid_set(idev, hwpt, replace, old);
	return iommufd_pasid_set(idev, pasid, hwpt, replace, old);
}

/**
 * iommufd_hwpt_attach_new - attach a device to a HWPT being created
 * @idev: the device, idev->lock held
 * @hwpt: the unpublished HWPT
 *
 * Used by iommufd_hwpt_paging_alloc() for immediate attachment.
 */
int iommufd_hwpt_attach_new(struct iommufd_device *idev,
			    struct iommufd_hw_pagetable *hwpt)
{
	struct iommufd_hw_pagetable *old;
	int rc;

	rc = iommufd_rid_set(idev, hwpt, false, &old);
	WARN_ON(!rc && old);
	return rc;
}

/*
 * @pt_id names an IOAS: reuse an automatic HWPT of this device's driver on
 * it, or make a new one. Manually allocated HWPTs are never picked.
 */
static int iommufd_dev_set_ioas(struct iommufd_device *idev,
				struct iommufd_ioas *ioas, bool replace,
				u32 *pt_id, struct iommufd_hw_pagetable **old)
{
	struct iommufd_hwpt_paging *paging;
	int rc;

	lockdep_assert_held(&idev->lock);

	mutex_lock(&ioas->mutex);
	list_for_each_entry(paging, &ioas->hwpt_list, hwpt_item) {
		struct iommufd_hw_pagetable *hwpt = &paging->common;

		if (!paging->auto_domain ||
		    hwpt->domain->owner != idev->hwdev->ops)
			continue;
		/* Being destroyed by its last user: not a candidate */
		if (!iommufd_lock_obj(idev->ictx, &hwpt->obj))
			continue;
		rc = iommufd_rid_set(idev, hwpt, replace, old);
		iommufd_put_object(idev->ictx, &hwpt->obj);
		/* -EINVAL: this domain does not suit the device, try another */
		if (rc == -EINVAL)
			continue;
		if (!rc)
			*pt_id = hwpt->obj.id;
		goto out_unlock;
	}

	/* A first attach attaches while creating, so failure leaves nothing */
	paging = iommufd_hwpt_paging_alloc(idev->ictx, ioas, idev, 0, !replace);
	if (IS_ERR(paging)) {
		rc = PTR_ERR(paging);
		goto out_unlock;
	}
	if (replace) {
		rc = iommufd_rid_set(idev, &paging->common, true, old);
		if (rc) {
			iommufd_object_abort_and_destroy(idev->ictx,
							 &paging->common.obj);
			goto out_unlock;
		}
	} else {
		*old = NULL;
	}
	paging->auto_domain = true;
	*pt_id = paging->common.obj.id;
	iommufd_object_finalize(idev->ictx, &paging->common.obj);
	rc = 0;
out_unlock:
	mutex_unlock(&ioas->mutex);
	return rc;
}

static int iommufd_dev_change_pt(struct iommufd_device *idev, u32 pasid,
				 u32 *pt_id, bool replace)
{
	struct iommufd_hw_pagetable *old = NULL;
	struct iommufd_object *pt_obj;
	int rc;

	mutex_lock(&idev->lock);
	if (pasid == IOFD_NO_PASID) {
		/* Decided before looking for or creating any HWPT */
		if (!replace && idev->rid_hwpt) {
			rc = -EBUSY;
			goto out_unlock;
		}
		if (replace && !idev->rid_hwpt) {
			rc = -EINVAL;
			goto out_unlock;
		}
	}
	pt_obj = iommufd_get_object(idev->ictx, *pt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj)) {
		rc = PTR_ERR(pt_obj);
		goto out_unlock;
	}

	switch (pt_obj->type) {
	case IOMMUFD_OBJ_HWPT_PAGING:
		rc = iommufd_dev_set(idev, pasid,
				     container_of(pt_obj,
						  struct iommufd_hw_pagetable,
						  obj),
				     replace, &old);
		break;
	case IOMMUFD_OBJ_IOAS:
		/* A PASID needs a HWPT allocated for PASID use */
		if (pasid != IOFD_NO_PASID) {
			rc = -EINVAL;
			break;
		}
		rc = iommufd_dev_set_ioas(idev,
					  container_of(pt_obj,
						       struct iommufd_ioas,
						       obj),
					  replace, pt_id, &old);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	iommufd_put_object(idev->ictx, pt_obj);
out_unlock:
	mutex_unlock(&idev->lock);

	if (old)
		iommufd_hwpt_put_attach(idev->ictx, old);
	return rc;
}

/**
 * iofd_device_attach - attach the RID or a PASID of a device
 * @idev: the bound device
 * @pasid: IOFD_NO_PASID for the RID, else the PASID
 * @pt_id: in: an IOAS or HWPT_PAGING ID; out: the HWPT ID used
 *
 * Return: 0, -EBUSY if already attached (use iofd_device_replace()),
 * -ENOENT for an unknown @pt_id, -EINVAL if the HWPT cannot serve the
 * device, or the error of the driver or of the IOAS.
 */
int iofd_device_attach(struct iommufd_device *idev, u32 pasid, u32 *pt_id)
{
	return iommufd_dev_change_pt(idev, pasid, pt_id, false);
}
EXPORT_SYMBOL_GPL(iofd_device_attach);

/**
 * iofd_device_replace - atomically move an attached RID or PASID
 * @idev: the bound device
 * @pasid: IOFD_NO_PASID for the RID, else the PASID
 * @pt_id: as for iofd_device_attach()
 *
 * DMA goes from the old translation to the new one with no blocked window.
 * On failure the old attachment is untouched. -EINVAL if not attached.
 */
int iofd_device_replace(struct iommufd_device *idev, u32 pasid, u32 *pt_id)
{
	return iommufd_dev_change_pt(idev, pasid, pt_id, true);
}
EXPORT_SYMBOL_GPL(iofd_device_replace);

/**
 * iofd_device_detach - block DMA of the RID or a PASID
 * @idev: the bound device
 * @pasid: IOFD_NO_PASID for the RID, else the PASID
 *
 * Detaching something not attached does nothing.
 */
void iofd_device_detach(struct iommufd_device *idev, u32 pasid)
{
	struct iommufd_hw_pagetable *old;

	mutex_lock(&idev->lock);
	if (pasid == IOFD_NO_PASID)
		old = iommufd_rid_clear(idev);
	else
		old = iommufd_pasid_clear(idev, pasid);
	mutex_unlock(&idev->lock);

	if (old)
		iommufd_hwpt_put_attach(idev->ictx, old);
}
EXPORT_SYMBOL_GPL(iofd_device_detach);

struct iommufd_device *iommufd_device_bind_ctx(struct iommufd_ctx *ictx,
					       struct iofd_hw_dev *hwdev,
					       u32 *id, bool hold_ctx)
{
	struct iommufd_device *idev;

	if (!hwdev || !hwdev->ops || !hwdev->ops->attach ||
	    !hwdev->ops->domain_alloc_paging)
		return ERR_PTR(-EINVAL);

	idev = iommufd_object_alloc(ictx, idev, IOMMUFD_OBJ_DEVICE);
	if (IS_ERR(idev))
		return idev;

	idev->ictx = ictx;
	idev->hwdev = hwdev;
	mutex_init(&idev->lock);
	xa_init(&idev->pasid_hwpts);
	idev->enforce_cache_coherency =
		hwdev->flags & IOFD_HW_DEV_CACHE_COHERENT;
	if (hold_ctx) {
		get_file(ictx->file);
		idev->holds_ctx = true;
	}
	/* The binding driver's reference, given back by unbind */
	refcount_inc(&idev->obj.users);

	iommufd_object_finalize(ictx, &idev->obj);
	*id = idev->obj.id;
	return idev;
}

/**
 * iofd_device_bind - bind a device to an iommufd context
 * @ictx: the context, from iofd_ctx_from_fd() or _file()
 * @hwdev: the device as its IOMMU driver describes it
 * @id: returns the device's object ID, for userspace
 *
 * The device starts with all DMA blocked. The binding keeps the context's
 * file alive until iofd_device_unbind().
 */
struct iommufd_device *iofd_device_bind(struct iommufd_ctx *ictx,
					struct iofd_hw_dev *hwdev, u32 *id)
{
	return iommufd_device_bind_ctx(ictx, hwdev, id, true);
}
EXPORT_SYMBOL_GPL(iofd_device_bind);

/**
 * iofd_device_unbind - undo iofd_device_bind()
 * @idev: the device
 *
 * Blocks the RID and every PASID, then destroys the device object once no
 * ioctl uses it. @idev is invalid afterwards.
 */
void iofd_device_unbind(struct iommufd_device *idev)
{
	struct iommufd_hw_pagetable *hwpt;
	unsigned long pasid;

	/* One attachment at a time, each put outside idev->lock */
	for (;;) {
		mutex_lock(&idev->lock);
		pasid = 0;
		hwpt = xa_find(&idev->pasid_hwpts, &pasid, ULONG_MAX,
			       XA_PRESENT);
		if (hwpt)
			hwpt = iommufd_pasid_clear(idev, pasid);
		else
			hwpt = iommufd_rid_clear(idev);
		mutex_unlock(&idev->lock);
		if (!hwpt)
			break;
		iommufd_hwpt_put_attach(idev->ictx, hwpt);
	}
	iommufd_object_destroy_user(idev->ictx, &idev->obj);
}
EXPORT_SYMBOL_GPL(iofd_device_unbind);

void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev =
		container_of(obj, struct iommufd_device, obj);

	/* Unbind detached everything; nothing else can attach a dead idev */
	WARN_ON(idev->rid_hwpt || !xa_empty(&idev->pasid_hwpts));
	xa_destroy(&idev->pasid_hwpts);
	mutex_destroy(&idev->lock);
	if (idev->holds_ctx)
		fput(idev->ictx->file);
}

int iommufd_get_hw_info(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	void __user *udata = u64_to_user_ptr(cmd->data_uptr);
	const struct iofd_hw_dev_ops *ops;
	struct iommufd_device *idev;
	struct iofd_hw_dev *hwdev;
	u32 len = 0, type, copy;
	void *data = NULL;
	int rc;

	if (cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE)
		return -EOPNOTSUPP;
	if (memchr_inv(cmd->__reserved, 0, sizeof(cmd->__reserved)))
		return -EOPNOTSUPP;
	/* Without INPUT_TYPE the field is output only: ignore what it holds */
	type = (cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE) ?
		       cmd->in_data_type : IOMMU_HW_INFO_TYPE_DEFAULT;

	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	hwdev = idev->hwdev;
	ops = hwdev->ops;

	if (ops->hw_info) {
		data = ops->hw_info(hwdev, &len, &type);
		if (IS_ERR(data)) {
			rc = PTR_ERR(data);
			data = NULL;
			goto out_put;
		}
		if (!data)
			len = 0;
	} else {
		if (type != IOMMU_HW_INFO_TYPE_DEFAULT) {
			rc = -EOPNOTSUPP;
			goto out_put;
		}
		type = IOMMU_HW_INFO_TYPE_NONE;
	}

	/* Give what fits, zero the rest, and tell the real length */
	copy = min(cmd->data_len, len);
	if (copy && copy_to_user(udata, data, copy)) {
		rc = -EFAULT;
		goto out_put;
	}
	if (cmd->data_len > copy &&
	    clear_user(udata + copy, cmd->data_len - copy)) {
		rc = -EFAULT;
		goto out_put;
	}
	cmd->data_len = len;
	cmd->out_data_type = type;
	cmd->out_capabilities = 0;
	if (hwdev->flags & IOFD_HW_DEV_DIRTY_TRACKING)
		cmd->out_capabilities |= IOMMU_HW_CAP_DIRTY_TRACKING;
	/*
	 * The PCI PASID capability bits only mean something for a device
	 * that can issue PASIDs at all, so upstream reports them only then.
	 */
	if (hwdev->max_pasid_log2) {
		if (hwdev->flags & IOFD_HW_DEV_PASID_EXEC)
			cmd->out_capabilities |= IOMMU_HW_CAP_PCI_PASID_EXEC;
		if (hwdev->flags & IOFD_HW_DEV_PASID_PRIV)
			cmd->out_capabilities |= IOMMU_HW_CAP_PCI_PASID_PRIV;
	}
	cmd->out_max_pasid_log2 = hwdev->max_pasid_log2;

	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
out_put:
	kfree(data);
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}
