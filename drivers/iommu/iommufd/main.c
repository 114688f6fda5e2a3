// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/iommu: the per-open context, its table of objects and their lifetime,
 * and the table that decodes every ioctl.
 *
 * Reference counting of an object (see struct iommufd_object):
 *
 *  - users counts long-term holders. The ID table owns one from finalize
 *    until removal. IOMMU_DESTROY removes an object only when that one is
 *    the last, so nothing that another object depends on can vanish.
 *
 *  - wait_cnt counts short-term holders (an ioctl between get and put). It
 *    starts at one, a bias owned by the table. A remover drops the bias and
 *    sleeps until the count reaches zero; once it is zero no new short-term
 *    reference can be taken, so the memory stays valid for every holder.
 *
 * A short-term holder also holds a users reference, so DESTROY of an object
 * that an ioctl is using fails with EBUSY instead of racing it, and the
 * holder may safely take a long-term reference of its own.
 */
#define pr_fmt(fmt) "iommufd_core: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/stddef.h>

#include "iommufd_private.h"
#include "iommufd_test.h"

/* How long a remover waits for in-flight ioctls to let go of an object */
#define IOMMUFD_DESTROY_TIMEOUT_MS	60000

static const struct iommufd_object_ops iommufd_type_ops[IOMMUFD_OBJ_MAX] = {
	[IOMMUFD_OBJ_DEVICE] = {
		.destroy = iommufd_device_destroy,
	},
	[IOMMUFD_OBJ_HWPT_PAGING] = {
		.destroy = iommufd_hwpt_paging_destroy,
		.abort = iommufd_hwpt_paging_abort,
	},
	[IOMMUFD_OBJ_IOAS] = {
		.destroy = iommufd_ioas_destroy,
	},
	[IOMMUFD_OBJ_ACCESS] = {
		.destroy = iommufd_access_destroy_object,
	},
#ifdef CONFIG_IOMMUFD_TEST
	[IOMMUFD_OBJ_SELFTEST] = {
		.destroy = iommufd_selftest_destroy,
	},
#endif
};

static void iommufd_run_destroy(struct iommufd_object *obj)
{
	const struct iommufd_object_ops *ops = &iommufd_type_ops[obj->type];

	if (!WARN_ON(!ops->destroy))
		ops->destroy(obj);
}

struct iommufd_object *_iommufd_object_alloc(struct iommufd_ctx *ictx,
					     size_t size,
					     enum iommufd_object_type type)
{
	struct iommufd_object *obj;
	int rc;

	if (WARN_ON(type <= IOMMUFD_OBJ_NONE || type >= IOMMUFD_OBJ_MAX))
		return ERR_PTR(-EINVAL);

	obj = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->type = type;
	refcount_set(&obj->users, 1);
	refcount_set(&obj->wait_cnt, 1);

	/*
	 * Only the ID is taken now. The slot holds XA_ZERO_ENTRY, which every
	 * lookup reads as "nothing here", until iommufd_object_finalize()
	 * stores the pointer: an object must never be reachable by another
	 * thread while its creator can still fail and free it.
	 */
	rc = xa_alloc(&ictx->objects, &obj->id, XA_ZERO_ENTRY, xa_limit_31b,
		      GFP_KERNEL_ACCOUNT);
	if (rc) {
		kfree(obj);
		return ERR_PTR(rc);
	}
	return obj;
}

void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj)
{
	void *prev;

	/* The slot is already allocated, so this store cannot fail */
	prev = xa_store(&ictx->objects, obj->id, obj, GFP_KERNEL);
	WARN_ON(prev);
}

void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	void *prev;

	prev = xa_erase(&ictx->objects, obj->id);
	WARN_ON(prev);
	kfree(obj);
}

void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj)
{
	const struct iommufd_object_ops *ops = &iommufd_type_ops[obj->type];

	if (ops->abort)
		ops->abort(obj);
	else
		iommufd_run_destroy(obj);
	iommufd_object_abort(ictx, obj);
}

struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type)
{
	struct iommufd_object *obj;

	/* Fault injection (fail_iommufd): every lookup may be made to miss */
	if (iommufd_should_fail())
		return ERR_PTR(-ENOENT);

	/*
	 * The xa_lock keeps the object from being erased and freed between
	 * the load and taking the reference.
	 */
	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (!obj || (type != IOMMUFD_OBJ_ANY && obj->type != type) ||
	    !iommufd_lock_obj(ictx, obj))
		obj = ERR_PTR(-ENOENT);
	xa_unlock(&ictx->objects);
	return obj;
}

/*
 * Drop the table's bias on wait_cnt and sleep until every short-term holder
 * has left. On timeout the bias is given back and -EBUSY returned.
 */
static int iommufd_drain_short_term(struct iommufd_ctx *ictx,
				    struct iommufd_object *obj)
{
	if (refcount_dec_and_test(&obj->wait_cnt))
		return 0;
	if (wait_event_timeout(ictx->destroy_wait,
			       !refcount_read(&obj->wait_cnt),
			       msecs_to_jiffies(IOMMUFD_DESTROY_TIMEOUT_MS)))
		return 0;
	pr_crit("object %u (type %d) still in use after %u ms, not destroyed\n",
		obj->id, obj->type, IOMMUFD_DESTROY_TIMEOUT_MS);
	refcount_inc(&obj->wait_cnt);
	return -EBUSY;
}

/* Called under the xa_lock once @obj is out of the table */
static void iommufd_unlink_locked(struct iommufd_ctx *ictx,
				  struct iommufd_object *obj)
{
	if (obj->type == IOMMUFD_OBJ_IOAS && ictx->vfio_ioas &&
	    &ictx->vfio_ioas->obj == obj)
		ictx->vfio_ioas = NULL;
}

/*
 * Two callers:
 *  - IOMMU_DESTROY (@obj NULL, @id given): the table must hold the only
 *    users reference, else -EBUSY; unknown or unfinished IDs give -ENOENT.
 *  - a kernel owner (@obj given) handing in its own users reference: first
 *    wait for in-flight ioctls, then remove the object if no other users
 *    remain, else return -EBUSY (the caller's reference is dropped either
 *    way).
 */
int iommufd_object_remove(struct iommufd_ctx *ictx, struct iommufd_object *obj,
			  u32 id)
{
	XA_STATE(xas, &ictx->objects, obj ? obj->id : id);
	struct iommufd_object *found;
	int rc;

	if (obj) {
		/*
		 * Several owners may hand in their references at once (two
		 * devices leaving one automatic HWPT). Only one at a time may
		 * take the table's wait_cnt bias away and put it back, or the
		 * second would drop it below zero: they queue here until the
		 * object is either out of the table or has its bias again.
		 * Held only up to there, never across a destroy (which may
		 * remove other objects).
		 */
		mutex_lock(&ictx->remove_lock);
		rc = iommufd_drain_short_term(ictx, obj);
		if (rc) {
			refcount_dec(&obj->users);
			mutex_unlock(&ictx->remove_lock);
			return rc;
		}
	}

	xa_lock(&ictx->objects);
	found = xas_load(&xas);
	if (obj) {
		refcount_dec(&obj->users);
		if (WARN_ON(found != obj)) {
			rc = -ENOENT;
			goto out_restore;
		}
	} else if (!found || xa_is_zero(found)) {
		xa_unlock(&ictx->objects);
		return -ENOENT;
	}

	if (!refcount_dec_if_one(&found->users)) {
		rc = -EBUSY;
		goto out_restore;
	}
	xas_store(&xas, NULL);
	iommufd_unlink_locked(ictx, found);
	xa_unlock(&ictx->objects);
	if (obj)
		mutex_unlock(&ictx->remove_lock);

	if (!obj) {
		/*
		 * users was one, so only holders racing with their own
		 * iommufd_put_object() can be left; this wait is short.
		 */
		rc = iommufd_drain_short_term(ictx, found);
		if (WARN_ON(rc))
			return rc; /* leaked rather than freed under a user */
	}

	iommufd_run_destroy(found);
	kfree(found);
	return 0;

out_restore:
	/* The table keeps the object: give back the bias drained above */
	if (obj)
		refcount_set(&obj->wait_cnt, 1);
	xa_unlock(&ictx->objects);
	if (obj)
		mutex_unlock(&ictx->remove_lock);
	return rc;
}

static int iommufd_destroy(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return iommufd_object_remove(ucmd->ictx, NULL, cmd->id);
}

static int iommufd_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommu_option __user *uopt = ucmd->ubuffer;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = iommufd_option_rlimit_mode(cmd, ucmd->ictx);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_ioas_option(ucmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc)
		return rc;
	/* Only val64 is an output; min_size guarantees the user has it */
	if (copy_to_user(&uopt->val64, &cmd->val64, sizeof(cmd->val64)))
		return -EFAULT;
	return 0;
}

/*
 * Commands whose uAPI exists but whose feature arrives with a later issue.
 * They still go through the size protocol so that the extensibility rules
 * hold for every number of the uAPI.
 */
static int iommufd_not_yet(struct iommufd_ucmd *ucmd)
{
	return -EOPNOTSUPP;
}

/* Room for the kernel copy of any command */
union iommufd_cmd_buf {
	struct iommu_destroy destroy;
	struct iommu_ioas_alloc ioas_alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_copy ioas_copy;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_hwpt_alloc hwpt_alloc;
	struct iommu_hw_info hw_info;
	struct iommu_hwpt_set_dirty_tracking set_dirty;
	struct iommu_hwpt_get_dirty_bitmap get_dirty;
	struct iommu_hwpt_invalidate invalidate;
	struct iommu_fault_alloc fault_alloc;
	struct iommu_ioas_map_file map_file;
	struct iommu_viommu_alloc viommu_alloc;
	struct iommu_vdevice_alloc vdevice_alloc;
	struct iommu_ioas_change_process change_process;
	struct iommu_veventq_alloc veventq_alloc;
	struct iommu_hw_queue_alloc hw_queue_alloc;
#ifdef CONFIG_IOMMUFD_TEST
	struct iommu_test_cmd test;
#endif
};

/**
 * struct iommufd_ioctl_desc - one row of the ioctl table, indexed by number
 * @handler: runs with ucmd->cmd holding a validated kernel copy
 * @min_size: the struct as first introduced (offsetofend of its last field
 *	      then); a smaller user size is EINVAL
 * @size: the struct as this module knows it
 *
 * Every request of the table is _IO(IOMMUFD_TYPE, nr): a code that carries
 * a row's number but differs in type, direction or size is ENOTTY.
 */
struct iommufd_ioctl_desc {
	int (*handler)(struct iommufd_ucmd *ucmd);
	u16 min_size;
	u16 size;
};

#define IOMMUFD_ROW(_req, _handler, _type, _first_last)			\
	[_IOC_NR(_req) - IOMMUFD_CMD_BASE] = {				\
		.handler = (_handler),					\
		.min_size = offsetofend(_type, _first_last),		\
		.size = sizeof(_type),					\
	}

/* request, handler, struct, last field of the struct's first version */
static const struct iommufd_ioctl_desc iommufd_ioctls[] = {
	IOMMUFD_ROW(IOMMU_DESTROY, iommufd_destroy,
		    struct iommu_destroy, id),
	IOMMUFD_ROW(IOMMU_IOAS_ALLOC, iommufd_ioas_alloc_ioctl,
		    struct iommu_ioas_alloc, out_ioas_id),
	IOMMUFD_ROW(IOMMU_IOAS_ALLOW_IOVAS, iommufd_ioas_allow_iovas,
		    struct iommu_ioas_allow_iovas, allowed_iovas),
	IOMMUFD_ROW(IOMMU_IOAS_COPY, iommufd_ioas_copy,
		    struct iommu_ioas_copy, src_iova),
	IOMMUFD_ROW(IOMMU_IOAS_IOVA_RANGES, iommufd_ioas_iova_ranges,
		    struct iommu_ioas_iova_ranges, out_iova_alignment),
	IOMMUFD_ROW(IOMMU_IOAS_MAP, iommufd_ioas_map,
		    struct iommu_ioas_map, iova),
	IOMMUFD_ROW(IOMMU_IOAS_UNMAP, iommufd_ioas_unmap,
		    struct iommu_ioas_unmap, length),
	IOMMUFD_ROW(IOMMU_OPTION, iommufd_option,
		    struct iommu_option, val64),
	IOMMUFD_ROW(IOMMU_VFIO_IOAS, iommufd_vfio_ioas,
		    struct iommu_vfio_ioas, __reserved),
	IOMMUFD_ROW(IOMMU_HWPT_ALLOC, iommufd_hwpt_alloc,
		    struct iommu_hwpt_alloc, __reserved),
	IOMMUFD_ROW(IOMMU_GET_HW_INFO, iommufd_get_hw_info,
		    struct iommu_hw_info, __reserved),
	IOMMUFD_ROW(IOMMU_HWPT_SET_DIRTY_TRACKING,
		    iommufd_hwpt_set_dirty_tracking,
		    struct iommu_hwpt_set_dirty_tracking, __reserved),
	IOMMUFD_ROW(IOMMU_HWPT_GET_DIRTY_BITMAP, iommufd_hwpt_get_dirty_bitmap,
		    struct iommu_hwpt_get_dirty_bitmap, data),
	IOMMUFD_ROW(IOMMU_HWPT_INVALIDATE, iommufd_not_yet,
		    struct iommu_hwpt_invalidate, __reserved),
	IOMMUFD_ROW(IOMMU_FAULT_QUEUE_ALLOC, iommufd_not_yet,
		    struct iommu_fault_alloc, out_fault_fd),
	IOMMUFD_ROW(IOMMU_IOAS_MAP_FILE, iommufd_not_yet,
		    struct iommu_ioas_map_file, iova),
	IOMMUFD_ROW(IOMMU_VIOMMU_ALLOC, iommufd_not_yet,
		    struct iommu_viommu_alloc, out_viommu_id),
	IOMMUFD_ROW(IOMMU_VDEVICE_ALLOC, iommufd_not_yet,
		    struct iommu_vdevice_alloc, virt_id),
	IOMMUFD_ROW(IOMMU_IOAS_CHANGE_PROCESS, iommufd_not_yet,
		    struct iommu_ioas_change_process, __reserved),
	IOMMUFD_ROW(IOMMU_VEVENTQ_ALLOC, iommufd_not_yet,
		    struct iommu_veventq_alloc, out_veventq_fd),
	IOMMUFD_ROW(IOMMU_HW_QUEUE_ALLOC, iommufd_not_yet,
		    struct iommu_hw_queue_alloc, length),
#ifdef CONFIG_IOMMUFD_TEST
	IOMMUFD_ROW(IOMMU_TEST_CMD, iommufd_test,
		    struct iommu_test_cmd, last),
#endif
};

static long iommufd_fops_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	struct iommufd_ctx *ictx = filp->private_data;
	const struct iommufd_ioctl_desc *desc = NULL;
	struct iommufd_ucmd ucmd = {
		.ictx = ictx,
		.ubuffer = (void __user *)arg,
	};
	union iommufd_cmd_buf buf;
	unsigned int nr = _IOC_NR(cmd);
	int rc;

	if (nr >= IOMMUFD_CMD_BASE &&
	    nr - IOMMUFD_CMD_BASE < ARRAY_SIZE(iommufd_ioctls))
		desc = &iommufd_ioctls[nr - IOMMUFD_CMD_BASE];
	/* Not ours (including holes in the table): maybe a VFIO type1 call */
	if (!desc || !desc->handler)
		return iommufd_vfio_ioctl(ictx, cmd, arg);
	if (cmd != _IO(IOMMUFD_TYPE, nr))
		return -ENOTTY;

	if (get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer))
		return -EFAULT;
	if (ucmd.user_size < desc->min_size)
		return -EINVAL;
	/*
	 * Shorter than ours: zero-filled. Longer: E2BIG unless the part we do
	 * not know is all zero.
	 */
	rc = copy_struct_from_user(&buf, desc->size, ucmd.ubuffer,
				   ucmd.user_size);
	if (rc)
		return rc;
	ucmd.cmd = &buf;
	return desc->handler(&ucmd);
}

static int iommufd_fops_open(struct inode *inode, struct file *filp)
{
	struct iommufd_ctx *ictx;

	ictx = kzalloc(sizeof(*ictx), GFP_KERNEL_ACCOUNT);
	if (!ictx)
		return -ENOMEM;

	/* IDs start at 1 so that 0 can always mean "no object" */
	xa_init_flags(&ictx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_waitqueue_head(&ictx->destroy_wait);
	mutex_init(&ictx->remove_lock);
	ictx->account_mode = IOPT_PAGES_ACCOUNT_USER;
	ictx->file = filp;
	filp->private_data = ictx;
	return 0;
}

static int iommufd_fops_release(struct inode *inode, struct file *filp)
{
	struct iommufd_ctx *ictx = filp->private_data;
	struct iommufd_object *obj;
	unsigned long index;

	/*
	 * The objects form a DAG through their users counts. Every pass
	 * frees the objects nobody else depends on (users == 1, the table's),
	 * which releases the references they held; a pass that frees nothing
	 * while objects remain means a reference was leaked.
	 */
	while (!xa_empty(&ictx->objects)) {
		unsigned int freed = 0;

		xa_for_each(&ictx->objects, index, obj) {
			if (!refcount_dec_if_one(&obj->users))
				continue;
			xa_erase(&ictx->objects, index);
			/* No ioctl can run any more: wait_cnt is the bias */
			WARN_ON(!refcount_dec_and_test(&obj->wait_cnt));
			iommufd_run_destroy(obj);
			kfree(obj);
			freed++;
		}
		if (WARN_ON(!freed)) {
			xa_for_each(&ictx->objects, index, obj)
				pr_err("object %lu (type %d) leaked, users %u\n",
				       index, obj->type,
				       refcount_read(&obj->users));
			break;
		}
	}
	xa_destroy(&ictx->objects);
	mutex_destroy(&ictx->remove_lock);
	kfree(ictx);
	return 0;
}

static const struct file_operations iommufd_fops = {
	.owner = THIS_MODULE,
	.open = iommufd_fops_open,
	.release = iommufd_fops_release,
	.unlocked_ioctl = iommufd_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/**
 * iofd_ctx_from_file - take a context reference from an iommufd file
 * @file: a file the caller holds
 *
 * Return: the context, with a reference the caller drops with
 * iofd_ctx_put(), or ERR_PTR(-EBADFD) if @file is not an iommufd.
 */
struct iommufd_ctx *iofd_ctx_from_file(struct file *file)
{
	if (file->f_op != &iommufd_fops)
		return ERR_PTR(-EBADFD);
	get_file(file);
	return file->private_data;
}
EXPORT_SYMBOL_GPL(iofd_ctx_from_file);

/**
 * iofd_ctx_from_fd - take a context reference from an iommufd descriptor
 * @fd: file descriptor of the calling process
 *
 * Return: the context, with a reference the caller drops with
 * iofd_ctx_put(), or an ERR_PTR.
 */
struct iommufd_ctx *iofd_ctx_from_fd(int fd)
{
	struct file *file = fget(fd);

	if (!file)
		return ERR_PTR(-EBADF);
	if (file->f_op != &iommufd_fops) {
		fput(file);
		return ERR_PTR(-EBADFD);
	}
	/* The reference fget() took is the one handed to the caller */
	return file->private_data;
}
EXPORT_SYMBOL_GPL(iofd_ctx_from_fd);

/**
 * iofd_ctx_put - drop a reference taken by iofd_ctx_from_file/_fd()
 * @ictx: the context
 */
void iofd_ctx_put(struct iommufd_ctx *ictx)
{
	fput(ictx->file);
}
EXPORT_SYMBOL_GPL(iofd_ctx_put);

static struct miscdevice iommufd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iommu",
	.nodename = "iommu",
	.fops = &iommufd_fops,
	/* As upstream: root and the group the distribution gives the node */
	.mode = 0660,
};

/* True if a path of that name is visible from init's root */
static bool iommufd_path_exists(const char *name)
{
	struct path path;

	if (kern_path(name, LOOKUP_FOLLOW, &path))
		return false;
	path_put(&path);
	return true;
}

static int __init iommufd_core_init(void)
{
	int rc;

	/*
	 * Another provider of /dev/iommu (the kernel's own iommufd, or a
	 * second copy of this module) would make misc_register() fail with a
	 * sysfs duplicate-name splat, or worse, leave userspace talking to a
	 * different implementation than it thinks. Refuse up front.
	 */
	if (iommufd_path_exists("/dev/iommu") ||
	    iommufd_path_exists("/sys/class/misc/iommu")) {
		pr_err("/dev/iommu already exists (the kernel's iommufd or another copy of this module is loaded); not loading\n");
		return -EEXIST;
	}

	rc = misc_register(&iommufd_misc);
	if (rc) {
		pr_err("cannot register /dev/iommu: %d\n", rc);
		return rc;
	}

	rc = iommufd_test_init();
	if (rc) {
		misc_deregister(&iommufd_misc);
		return rc;
	}
	return 0;
}

static void __exit iommufd_core_exit(void)
{
	iommufd_test_exit();
	misc_deregister(&iommufd_misc);
}

module_init(iommufd_core_init);
module_exit(iommufd_core_exit);

MODULE_DESCRIPTION("iommufd core: IO address spaces and IOMMU page tables for userspace (/dev/iommu)");
MODULE_LICENSE("GPL");
