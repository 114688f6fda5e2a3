// SPDX-License-Identifier: GPL-2.0-only
/*
 * HWPT objects: a driver's translation domain seen as an iommufd object.
 *
 * A paging HWPT mirrors one IOAS: it holds a users reference on the IOAS,
 * sits on ioas->hwpt_list and is registered with the IOAS's io_pagetable,
 * which maps every area into the domain and keeps doing so.
 *
 * Locking: ioas->mutex protects ioas->hwpt_list. A HWPT is created with the
 * mutex held from allocation until it is finalized or aborted, so a search
 * for an automatic domain (which holds the mutex too) never meets a
 * half-built HWPT. Being on the list is the same as being registered with
 * the io_pagetable.
 */
#include <linux/slab.h>

#include "iommufd_private.h"

/* uAPI flags a paging HWPT allocation understands */
#define IOMMUFD_HWPT_PAGING_FLAGS                                      \
	(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING | \
	 IOMMU_HWPT_ALLOC_PASID)

/* The driver ops take the uAPI values as they are */
static_assert(IOMMU_HWPT_ALLOC_NEST_PARENT == IOFD_ALLOC_NEST_PARENT);
static_assert(IOMMU_HWPT_ALLOC_DIRTY_TRACKING == IOFD_ALLOC_DIRTY_TRACKING);
static_assert(IOMMU_HWPT_ALLOC_PASID == IOFD_ALLOC_PASID);
static_assert(IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR == IOFD_DIRTY_NO_CLEAR);

/* Everything after unlisting; copes with fields never filled in */
static void iommufd_hwpt_paging_release(struct iommufd_hwpt_paging *paging)
{
	struct iofd_domain *domain = paging->common.domain;

	if (domain)
		domain->ops->free(domain);
	if (paging->ioas)
		refcount_dec(&paging->ioas->obj.users);
}

void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *paging =
		container_of(obj, struct iommufd_hwpt_paging, common.obj);
	bool listed = false;

	if (paging->ioas) {
		mutex_lock(&paging->ioas->mutex);
		if (!list_empty(&paging->hwpt_item)) {
			list_del_init(&paging->hwpt_item);
			listed = true;
		}
		mutex_unlock(&paging->ioas->mutex);
	}
	/* Unlisted: nobody can find it, so unmapping needs no lock of ours */
	if (listed)
		iopt_table_remove_domain(&paging->ioas->iopt,
					 paging->common.domain);
	iommufd_hwpt_paging_release(paging);
}

void iommufd_hwpt_paging_abort(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *paging =
		container_of(obj, struct iommufd_hwpt_paging, common.obj);

	/* The creator still holds ioas->mutex (see the top of this file) */
	if (paging->ioas) {
		lockdep_assert_held(&paging->ioas->mutex);
		if (!list_empty(&paging->hwpt_item)) {
			list_del_init(&paging->hwpt_item);
			iopt_table_remove_domain(&paging->ioas->iopt,
						 paging->common.domain);
		}
	}
	iommufd_hwpt_paging_release(paging);
}

/**
 * iommufd_hwpt_paging_alloc - make a paging HWPT on an IOAS
 * @ictx: the context
 * @ioas: the IOAS to mirror; caller holds ioas->mutex until it finalizes or
 *	  aborts the result
 * @idev: the device whose driver allocates the domain
 * @flags: IOMMU_HWPT_ALLOC_* for paging domains
 * @immediate_attach: also attach @idev's RID (idev->lock held), last, so
 *		      that on failure nothing is left attached
 *
 * Return: the unpublished HWPT, filled with every mapping of @ioas, or an
 * ERR_PTR.
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, u32 flags,
			  bool immediate_attach)
{
	struct iommufd_hwpt_paging *paging;
	struct iofd_domain *domain;
	int rc;

	lockdep_assert_held(&ioas->mutex);

	if (flags & ~IOMMUFD_HWPT_PAGING_FLAGS)
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_DIRTY_TRACKING) &&
	    !(idev->hwdev->flags & IOFD_HW_DEV_DIRTY_TRACKING))
		return ERR_PTR(-EOPNOTSUPP);

	paging = __iommufd_object_alloc(ictx, paging, IOMMUFD_OBJ_HWPT_PAGING,
					common.obj);
	if (IS_ERR(paging))
		return paging;
	INIT_LIST_HEAD(&paging->hwpt_item);
	refcount_inc(&ioas->obj.users);
	paging->ioas = ioas;
	paging->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;

	domain = idev->hwdev->ops->domain_alloc_paging(idev->hwdev, flags);
	if (IS_ERR_OR_NULL(domain)) {
		rc = domain ? PTR_ERR(domain) : -ENOMEM;
		goto out_abort;
	}
	paging->common.domain = domain;
	if (!domain->owner)
		domain->owner = idev->hwdev->ops;
	if (!domain->type)
		domain->type = IOFD_DOMAIN_PAGING;
	if (WARN_ON(domain->type != IOFD_DOMAIN_PAGING ||
		    domain->owner != idev->hwdev->ops)) {
		rc = -EINVAL;
		goto out_abort;
	}

	/*
	 * Coherency is decided once, before the first map, from the device
	 * the HWPT is made for: a HWPT made for a device that can enforce it
	 * enforces it, and later only such devices may join.
	 */
	paging->enforce_cache_coherency = idev->enforce_cache_coherency &&
					  domain->enforce_cache_coherency;

	rc = iopt_table_add_domain(&ioas->iopt, domain);
	if (rc)
		goto out_abort;
	list_add_tail(&paging->hwpt_item, &ioas->hwpt_list);

	/* The domain already holds every mapping when DMA can first use it */
	if (immediate_attach) {
		rc = iommufd_hwpt_attach_new(idev, &paging->common);
		if (rc)
			goto out_abort;
	}
	return paging;

out_abort:
	iommufd_object_abort_and_destroy(ictx, &paging->common.obj);
	return ERR_PTR(rc);
}

/*
 * pt_id is a paging HWPT: a nested HWPT is asked for. The checks on the
 * parent are done now; the nested domain itself comes with a later issue.
 */
static int iommufd_hwpt_nested_check(struct iommu_hwpt_alloc *cmd,
				     struct iommufd_device *idev,
				     struct iommufd_hwpt_paging *parent)
{
	if (cmd->flags & ~IOMMU_HWPT_FAULT_ID_VALID)
		return -EOPNOTSUPP;
	if (parent->auto_domain || !parent->nest_parent ||
	    parent->common.domain->owner != idev->hwdev->ops)
		return -EINVAL;
	return -EOPNOTSUPP;
}

int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *paging;
	struct iommufd_object *pt_obj;
	struct iommufd_device *idev;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	/* A data type comes with data and no type comes with none */
	if (!cmd->data_type != !cmd->data_len)
		return -EINVAL;

	idev = iommufd_get_device(ucmd, cmd->dev_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);

	/* Any pt_id that is not something to build on, missing or not: EINVAL */
	pt_obj = iommufd_get_object(ucmd->ictx, cmd->pt_id, IOMMUFD_OBJ_ANY);
	if (IS_ERR(pt_obj)) {
		rc = -EINVAL;
		goto out_put_idev;
	}

	if (pt_obj->type == IOMMUFD_OBJ_HWPT_PAGING) {
		rc = iommufd_hwpt_nested_check(cmd, idev,
					       container_of(pt_obj,
							    struct iommufd_hwpt_paging,
							    common.obj));
		goto out_put_pt;
	}
	if (pt_obj->type != IOMMUFD_OBJ_IOAS) {
		rc = -EINVAL;
		goto out_put_pt;
	}
	ioas = container_of(pt_obj, struct iommufd_ioas, obj);

	/* Paging domains take no driver data, and faults come later */
	if (cmd->data_type != IOMMU_HWPT_DATA_NONE ||
	    (cmd->flags & IOMMU_HWPT_FAULT_ID_VALID)) {
		rc = -EOPNOTSUPP;
		goto out_put_pt;
	}

	mutex_lock(&ioas->mutex);
	paging = iommufd_hwpt_paging_alloc(ucmd->ictx, ioas, idev, cmd->flags,
					   false);
	if (IS_ERR(paging)) {
		rc = PTR_ERR(paging);
		goto out_unlock;
	}
	cmd->out_hwpt_id = paging->common.obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx,
						 &paging->common.obj);
		goto out_unlock;
	}
	iommufd_object_finalize(ucmd->ictx, &paging->common.obj);
out_unlock:
	mutex_unlock(&ioas->mutex);
out_put_pt:
	iommufd_put_object(ucmd->ictx, pt_obj);
out_put_idev:
	iommufd_put_object(ucmd->ictx, &idev->obj);
	return rc;
}

/*
 * Dirty tracking. Only a HWPT whose domain was allocated with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING tracks (EOPNOTSUPP otherwise, checked by
 * io_pagetable.c after the range checks as upstream does). The HWPT
 * reference keeps the domain on its IOAS for the whole call.
 */
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_set_dirty_tracking *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *paging;
	int rc;

	if (cmd->flags & ~IOMMU_HWPT_DIRTY_TRACKING_ENABLE)
		return -EOPNOTSUPP;

	paging = iommufd_get_hwpt_paging(ucmd, cmd->hwpt_id);
	if (IS_ERR(paging))
		return PTR_ERR(paging);
	rc = iopt_set_dirty_tracking(&paging->ioas->iopt, paging->common.domain,
				     cmd->flags &
					     IOMMU_HWPT_DIRTY_TRACKING_ENABLE);
	iommufd_put_object(ucmd->ictx, &paging->common.obj);
	return rc;
}

int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_get_dirty_bitmap *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *paging;
	int rc;

	if ((cmd->flags & ~IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR) ||
	    cmd->__reserved)
		return -EOPNOTSUPP;

	paging = iommufd_get_hwpt_paging(ucmd, cmd->hwpt_id);
	if (IS_ERR(paging))
		return PTR_ERR(paging);
	rc = iopt_read_and_clear_dirty(&paging->ioas->iopt,
				       paging->common.domain, cmd->flags,
				       cmd->iova, cmd->length, cmd->page_size,
				       u64_to_user_ptr(cmd->data));
	iommufd_put_object(ucmd->ictx, &paging->common.obj);
	return rc;
}
