// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOAS objects and the IOMMU_IOAS_* and IOMMU_OPTION ioctls.
 *
 * Each handler gets the command already copied in and checked for size by
 * main.c; it validates flags and ranges, finds the IOAS and calls into
 * io_pagetable.c, which does the work under its own locks.
 */
#include <linux/capability.h>
#include <linux/overflow.h>
#include <linux/slab.h>

#include "iommufd_private.h"

struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;

	ioas = iommufd_object_alloc(ictx, ioas, IOMMUFD_OBJ_IOAS);
	if (IS_ERR(ioas))
		return ioas;

	/* Nothing below can fail: destroy always sees a complete IOAS */
	iopt_init_table(&ioas->iopt);
	INIT_LIST_HEAD(&ioas->hwpt_list);
	mutex_init(&ioas->mutex);
	return ioas;
}

void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = container_of(obj, struct iommufd_ioas, obj);
	int rc;

	/* No HWPT or access is left: their users references kept us alive */
	rc = iopt_unmap_all(&ioas->iopt, NULL);
	WARN_ON(rc && rc != -ENOENT);
	iopt_destroy_table(&ioas->iopt);
	mutex_destroy(&ioas->mutex);
}

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	ioas = iommufd_ioas_alloc(ucmd->ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (rc) {
		iommufd_object_abort_and_destroy(ucmd->ictx, &ioas->obj);
		return rc;
	}
	iommufd_object_finalize(ucmd->ictx, &ioas->obj);
	return 0;
}

int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct iommu_iova_range __user *uranges;
	struct iommu_iova_range *ranges = NULL;
	struct iommufd_ioas *ioas;
	u32 room = 0, total;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/*
	 * Size the buffer by what exists, not by what userspace claims room
	 * for. If the ranges change between counting and filling, go again.
	 */
	for (;;) {
		rc = iopt_get_usable_ranges(&ioas->iopt, NULL, 0, &total);
		if (rc)
			goto out_put;
		room = min(cmd->num_iovas, total);
		ranges = kcalloc(max(room, 1U), sizeof(*ranges), GFP_KERNEL);
		if (!ranges) {
			rc = -ENOMEM;
			goto out_put;
		}
		rc = iopt_get_usable_ranges(&ioas->iopt, ranges, room, &total);
		if (rc)
			goto out_put;
		if (total <= room || room == cmd->num_iovas)
			break;
		kfree(ranges);
		ranges = NULL;
	}

	uranges = u64_to_user_ptr(cmd->allowed_iovas);
	if (room &&
	    copy_to_user(uranges, ranges,
			 sizeof(*ranges) * min(room, total))) {
		rc = -EFAULT;
		goto out_put;
	}

	down_read(&ioas->iopt.iova_rwsem);
	cmd->out_iova_alignment = ioas->iopt.iova_alignment;
	up_read(&ioas->iopt.iova_rwsem);

	/* The count is written back either way: it tells how many exist */
	room = cmd->num_iovas;
	cmd->num_iovas = total;
	rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	if (!rc && total > room)
		rc = -EMSGSIZE;
out_put:
	kfree(ranges);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct iommu_iova_range *ranges = NULL;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	if (cmd->num_iovas) {
		ranges = memdup_array_user(u64_to_user_ptr(cmd->allowed_iovas),
					   cmd->num_iovas, sizeof(*ranges));
		if (IS_ERR(ranges))
			return PTR_ERR(ranges);
	}

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_free;
	}
	rc = iopt_set_allow_iova(&ioas->iopt, ranges, cmd->num_iovas);
	iommufd_put_object(ucmd->ictx, &ioas->obj);
out_free:
	kfree(ranges);
	return rc;
}

#define IOAS_MAP_VALID_FLAGS                                      \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |  \
	 IOMMU_IOAS_MAP_READABLE)

/*
 * Userspace has no cache maintenance ioctls, so every mapping is coherent;
 * devices that cannot snoop are refused at attach time instead.
 */
static int iommufd_map_prot(u32 flags)
{
	int prot = IOFD_PROT_CACHE;

	if (flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOFD_PROT_READ;
	if (flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOFD_PROT_WRITE;
	return prot;
}

int iommufd_ioas_map(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	unsigned long iova = cmd->iova;
	struct iommufd_ioas *ioas;
	int rc;

	if ((cmd->flags & ~IOAS_MAP_VALID_FLAGS) || cmd->__reserved)
		return -EOPNOTSUPP;
	if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags &
	      (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)))
		return -EINVAL;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	rc = iopt_map_user_pages(ucmd->ictx, &ioas->iopt, &iova,
				 u64_to_user_ptr(cmd->user_va), cmd->length,
				 iommufd_map_prot(cmd->flags),
				 (cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA) ?
					 0 : IOPT_ALLOC_IOVA);
	if (!rc) {
		cmd->iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

int iommufd_ioas_copy(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	struct iommufd_ioas *src, *dst;
	unsigned long iova = cmd->dst_iova;
	int rc;

	if (cmd->flags & ~IOAS_MAP_VALID_FLAGS)
		return -EOPNOTSUPP;
	if (cmd->length >= ULONG_MAX || cmd->src_iova >= ULONG_MAX ||
	    cmd->dst_iova >= ULONG_MAX)
		return -EOVERFLOW;
	if (!(cmd->flags &
	      (IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE)))
		return -EINVAL;

	src = iommufd_get_ioas(ucmd->ictx, cmd->src_ioas_id);
	if (IS_ERR(src))
		return PTR_ERR(src);
	dst = iommufd_get_ioas(ucmd->ictx, cmd->dst_ioas_id);
	if (IS_ERR(dst)) {
		rc = PTR_ERR(dst);
		goto out_src;
	}

	rc = iopt_copy_iova(ucmd->ictx, &dst->iopt, &iova, &src->iopt,
			    cmd->src_iova, cmd->length,
			    iommufd_map_prot(cmd->flags),
			    (cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA) ?
				    0 : IOPT_ALLOC_IOVA);
	if (!rc) {
		cmd->dst_iova = iova;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &dst->obj);
out_src:
	iommufd_put_object(ucmd->ictx, &src->obj);
	return rc;
}

int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	unsigned long unmapped = 0;
	struct iommufd_ioas *ioas;
	int rc;

	ioas = iommufd_get_ioas(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (cmd->iova == 0 && cmd->length == U64_MAX) {
		/* Everything; an empty IOAS is not an error here */
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else if (cmd->iova >= ULONG_MAX || cmd->length >= ULONG_MAX) {
		rc = -EOVERFLOW;
	} else {
		rc = iopt_unmap_iova(&ioas->iopt, cmd->iova, cmd->length,
				     &unmapped);
		if (!rc && !unmapped)
			rc = -ENOENT;
	}
	if (!rc) {
		cmd->length = unmapped;
		rc = iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}

int iommufd_option_rlimit_mode(struct iommu_option *cmd,
			       struct iommufd_ctx *ictx)
{
	int rc = 0;

	/* A property of the whole context, not of one object */
	if (cmd->object_id)
		return -EOPNOTSUPP;

	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = ictx->account_mode == IOPT_PAGES_ACCOUNT_MM;
		return 0;
	}
	if (cmd->op != IOMMU_OPTION_OP_SET)
		return -EOPNOTSUPP;

	if (!capable(CAP_SYS_RESOURCE))
		return -EPERM;

	/* Only before anything exists that could have pinned memory */
	xa_lock(&ictx->objects);
	if (!xa_empty(&ictx->objects))
		rc = -EBUSY;
	else if (cmd->val64 == 0)
		ictx->account_mode = IOPT_PAGES_ACCOUNT_USER;
	else if (cmd->val64 == 1)
		ictx->account_mode = IOPT_PAGES_ACCOUNT_MM;
	else
		rc = -EINVAL;
	xa_unlock(&ictx->objects);
	return rc;
}

int iommufd_ioas_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc = 0;

	/* main.c checked __reserved and routed IOMMU_OPTION_HUGE_PAGES here */
	ioas = iommufd_get_ioas(ucmd->ictx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (cmd->op == IOMMU_OPTION_OP_GET) {
		cmd->val64 = !READ_ONCE(ioas->iopt.disable_large_pages);
	} else if (cmd->op == IOMMU_OPTION_OP_SET) {
		if (cmd->val64 == 0)
			rc = iopt_disable_large_pages(&ioas->iopt);
		else if (cmd->val64 == 1)
			iopt_enable_large_pages(&ioas->iopt);
		else
			rc = -EINVAL;
	} else {
		rc = -EOPNOTSUPP;
	}
	iommufd_put_object(ucmd->ictx, &ioas->obj);
	return rc;
}
