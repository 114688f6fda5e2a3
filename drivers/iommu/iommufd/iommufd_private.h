/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The iommufd object model: one fd context, an ID table of objects, and the
 * contracts between the files of the core. Each .c file owns one concept:
 *
 *   main.c          /dev/iommu, context, object table and lifetime, ioctl table
 *   ioas.c          the IOMMU_IOAS_* and IOMMU_OPTION ioctls
 *   io_pagetable.c  IOVA bookkeeping of one IOAS: areas, reserved/allowed
 *                   ranges, domains filled from the areas
 *   pages.c         pinning of user memory, RLIMIT_MEMLOCK accounting
 *   access.c        in-kernel accesses (emulated devices) to an IOAS
 *   device.c        bound devices, attach/replace/detach, automatic domains
 *   hw_pagetable.c  HWPT objects, IOMMU_HWPT_ALLOC and the dirty tracking
 *                   ioctls
 *   dirty.c         the user bitmap of IOMMU_HWPT_GET_DIRTY_BITMAP
 *   vfio_compat.c   VFIO type1 ioctls on the iommufd fd
 *   selftest.c      IOMMU_TEST_CMD and the mock IOMMU driver
 */
#ifndef __IOMMUFD_PRIVATE_H
#define __IOMMUFD_PRIVATE_H

#include <linux/refcount.h>
#include <linux/xarray.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/wait.h>
#include <linux/list.h>
#include <linux/uaccess.h>
#include <linux/iommufd_ops.h>
#include <uapi/linux/iommufd.h>

#include "io_pagetable.h"

struct iommufd_ioas;

/*
 * Object types. Kernel-internal; the values follow upstream's so traces read
 * the same.
 */
enum iommufd_object_type {
	IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_ANY = IOMMUFD_OBJ_NONE,
	IOMMUFD_OBJ_DEVICE,
	IOMMUFD_OBJ_HWPT_PAGING,
	IOMMUFD_OBJ_HWPT_NESTED,
	IOMMUFD_OBJ_IOAS,
	IOMMUFD_OBJ_ACCESS,
	IOMMUFD_OBJ_FAULT,
	IOMMUFD_OBJ_VIOMMU,
	IOMMUFD_OBJ_VDEVICE,
	IOMMUFD_OBJ_VEVENTQ,
	IOMMUFD_OBJ_HW_QUEUE,
	IOMMUFD_OBJ_SELFTEST,
	IOMMUFD_OBJ_MAX,
};

/**
 * struct iommufd_object - header of every object in the ID table
 * @users: long-term references. The ID table holds one from finalize until
 *	   the object is removed; every other holder (an attached device, a
 *	   HWPT on its IOAS, an fd) holds one more. IOMMU_DESTROY succeeds only
 *	   when the table's is the last one.
 * @wait_cnt: short-term references held while an ioctl uses the object
 *	      (iommufd_get_object()/iommufd_put_object()). Removal waits for
 *	      them to drain.
 * @type: enum iommufd_object_type
 * @id: the per-fd ID, 1..INT_MAX
 */
struct iommufd_object {
	refcount_t users;
	refcount_t wait_cnt;
	enum iommufd_object_type type;
	unsigned int id;
};

/**
 * struct iommufd_ctx - one open of /dev/iommu
 * @file: the file; objects never hold a reference on it (the fd owns them)
 * @objects: ID -> object. An ID reserved but not yet finalized holds
 *	     XA_ZERO_ENTRY, so lookups of half-built objects fail with ENOENT.
 * @destroy_wait: woken when an object's wait_cnt drops to zero
 * @remove_lock: serializes the owners that hand in their reference to
 *		 iommufd_object_remove(), which drain wait_cnt in turn
 * @account_mode: IOPT_PAGES_ACCOUNT_USER or _MM for new pinnings
 * @vfio_ioas: the IOAS of the VFIO compatibility ioctls, or NULL; protected
 *	       by the xa_lock of @objects
 * @no_iommu_mode: set by VFIO no-iommu; unused for now
 */
struct iommufd_ctx {
	struct file *file;
	struct xarray objects;
	wait_queue_head_t destroy_wait;
	struct mutex remove_lock; /* see @remove_lock above */
	u8 account_mode;
	struct iommufd_ioas *vfio_ioas;
	bool no_iommu_mode;
};

/**
 * struct iommufd_ucmd - one ioctl call in flight
 * @ictx: the context
 * @ubuffer: the user's struct
 * @user_size: the user's size field
 * @cmd: the kernel copy, already validated for size and zero tail
 */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
};

/* Copy @cmd_len bytes of ucmd->cmd back, truncated to the user's size */
static inline int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd,
				       size_t cmd_len)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, cmd_len)))
		return -EFAULT;
	return 0;
}

/*
 * Object lifetime vocabulary (main.c). Used the same way everywhere:
 *
 *   obj = iommufd_object_alloc(ictx, ptr, TYPE);   reserve an ID, zeroed
 *   ... fill in; on failure iommufd_object_abort_and_destroy() ...
 *   iommufd_object_finalize(ictx, obj);            publish: the ID resolves
 *
 *   obj = iommufd_get_object(ictx, id, TYPE);      short-term ref, or ERR_PTR
 *   iommufd_put_object(ictx, obj);
 *
 *   refcount_inc(&obj->users) / iommufd_object_put_users(ictx, obj)
 *
 * iommufd_object_abort() frees an unpublished object whose fields need no
 * teardown; iommufd_object_abort_and_destroy() runs the type's destroy op
 * first. The destroy op of a type must cope with a partly initialized object
 * (fields left zero).
 */
struct iommufd_object *_iommufd_object_alloc(struct iommufd_ctx *ictx,
					     size_t size,
					     enum iommufd_object_type type);

/* The object header must come first: the allocation starts with it */
#define __iommufd_object_alloc(ictx, ptr, type, obj)			\
	({								\
		typeof(ptr) __iofd_new;					\
		static_assert(offsetof(typeof(*__iofd_new), obj) == 0);	\
		__iofd_new = (typeof(__iofd_new))_iommufd_object_alloc(	\
			(ictx), sizeof(*__iofd_new), (type));		\
		__iofd_new;						\
	})

#define iommufd_object_alloc(ictx, ptr, type) \
	__iommufd_object_alloc(ictx, ptr, type, obj)

void iommufd_object_finalize(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj);
void iommufd_object_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj);
void iommufd_object_abort_and_destroy(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj);
struct iommufd_object *iommufd_get_object(struct iommufd_ctx *ictx, u32 id,
					  enum iommufd_object_type type);

/*
 * Inline: every ioctl that names an object ends here. users goes first: a
 * remover that saw wait_cnt reach zero must also see this holder's users
 * reference gone.
 */
static inline void iommufd_put_object(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj)
{
	refcount_dec(&obj->users);
	if (refcount_dec_and_test(&obj->wait_cnt))
		wake_up_all(&ictx->destroy_wait);
}

/*
 * Take the same short-term reference as iommufd_get_object() on an object
 * found some other way (a list under a lock that keeps it from being freed).
 * False if the object is already being destroyed. Undo with
 * iommufd_put_object().
 */
static inline bool iommufd_lock_obj(struct iommufd_ctx *ictx,
				    struct iommufd_object *obj)
{
	if (!refcount_inc_not_zero(&obj->wait_cnt))
		return false;
	if (!refcount_inc_not_zero(&obj->users)) {
		/*
		 * A remover took users to zero and may already be waiting
		 * for wait_cnt to drain: this may be the last one it waits
		 * for.
		 */
		if (refcount_dec_and_test(&obj->wait_cnt))
			wake_up_all(&ictx->destroy_wait);
		return false;
	}
	return true;
}

/*
 * Drop a users reference taken by another object. Objects that are destroyed
 * when their last user leaves (automatic HWPTs, internal objects) use
 * iommufd_object_destroy_user() instead.
 */
static inline void iommufd_object_put_users(struct iommufd_ctx *ictx,
					    struct iommufd_object *obj)
{
	refcount_dec(&obj->users);
}

/*
 * Remove @obj from the table and destroy it, waiting for short-term users.
 * The caller holds the only users reference besides the table's, or none.
 * Returns 0 or -EBUSY if other users remain.
 *
 * With @obj NULL this is IOMMU_DESTROY of @id (-ENOENT if unknown). With
 * @obj given, the caller's users reference is consumed even on -EBUSY, so
 * "drop my reference and destroy if I was the last" is one call.
 */
int iommufd_object_remove(struct iommufd_ctx *ictx, struct iommufd_object *obj,
			  u32 id);
static inline void iommufd_object_destroy_user(struct iommufd_ctx *ictx,
					       struct iommufd_object *obj)
{
	WARN_ON(iommufd_object_remove(ictx, obj, 0));
}

/* main.c: the type table calls these */
struct iommufd_object_ops {
	void (*destroy)(struct iommufd_object *obj);
	void (*abort)(struct iommufd_object *obj);
};

/*
 * ---------------------------------------------------------------------------
 * IOAS (ioas.c)
 *
 * @iopt: the IOVA space; its own locks protect it (io_pagetable.h)
 * @mutex: protects @hwpt_list and serializes attach/detach of devices and
 *	   automatic domain creation on this IOAS. Lock order:
 *	   idev->igroup... -> ioas->mutex -> iopt locks -> pages->mutex.
 * @hwpt_list: the iommufd_hwpt_paging objects built on this IOAS
 */
struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
	struct mutex mutex; /* see @mutex above */
	struct list_head hwpt_list;
};

static inline struct iommufd_ioas *iommufd_get_ioas(struct iommufd_ctx *ictx,
						    u32 id)
{
	return container_of(iommufd_get_object(ictx, id, IOMMUFD_OBJ_IOAS),
			    struct iommufd_ioas, obj);
}

struct iommufd_ioas *iommufd_ioas_alloc(struct iommufd_ctx *ictx);
void iommufd_ioas_destroy(struct iommufd_object *obj);
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_iova_ranges(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap(struct iommufd_ucmd *ucmd);
int iommufd_ioas_option(struct iommufd_ucmd *ucmd);
int iommufd_option_rlimit_mode(struct iommu_option *cmd,
			       struct iommufd_ctx *ictx);

/*
 * ---------------------------------------------------------------------------
 * HWPT (hw_pagetable.c)
 */
struct iommufd_hw_pagetable {
	struct iommufd_object obj;
	struct iofd_domain *domain;
};

/**
 * struct iommufd_hwpt_paging - a kernel-managed domain filled from an IOAS
 * @common: the HWPT
 * @ioas: the IOAS it mirrors; holds a users reference on it
 * @hwpt_item: entry in ioas->hwpt_list
 * @auto_domain: created by an attach to the IOAS; destroyed when the last
 *		 device leaves it, and not destroyable by the user
 * @enforce_cache_coherency: every IOPTE is coherent; non-coherent devices
 *			     cannot join
 * @nest_parent: allocated with IOMMU_HWPT_ALLOC_NEST_PARENT
 */
struct iommufd_hwpt_paging {
	struct iommufd_hw_pagetable common;
	struct iommufd_ioas *ioas;
	struct list_head hwpt_item;
	bool auto_domain;
	bool enforce_cache_coherency;
	bool nest_parent;
};

static inline struct iommufd_hwpt_paging *
to_hwpt_paging(struct iommufd_hw_pagetable *hwpt)
{
	return container_of(hwpt, struct iommufd_hwpt_paging, common);
}

static inline struct iommufd_hwpt_paging *
iommufd_get_hwpt_paging(struct iommufd_ucmd *ucmd, u32 id)
{
	return container_of(iommufd_get_object(ucmd->ictx, id,
					       IOMMUFD_OBJ_HWPT_PAGING),
			    struct iommufd_hwpt_paging, common.obj);
}

/*
 * Allocate a paging HWPT on @ioas for @idev's driver and fill it from the
 * IOAS. @immediate_attach: attach @idev in the same step (automatic
 * domains). Caller holds ioas->mutex. Returns an unpublished object.
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct iommufd_device *idev, u32 flags,
			  bool immediate_attach);
void iommufd_hwpt_paging_destroy(struct iommufd_object *obj);
/*
 * device.c: attach the RID of @idev (idev->lock held) to a HWPT that is not
 * published yet, for iommufd_hwpt_paging_alloc()'s immediate attachment.
 */
int iommufd_hwpt_attach_new(struct iommufd_device *idev,
			    struct iommufd_hw_pagetable *hwpt);
void iommufd_hwpt_paging_abort(struct iommufd_object *obj);
int iommufd_hwpt_alloc(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_set_dirty_tracking(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_get_dirty_bitmap(struct iommufd_ucmd *ucmd);

/*
 * ---------------------------------------------------------------------------
 * Devices (device.c)
 *
 * @hwdev: the driver's device
 * @lock: protects the attach state below
 * @rid_hwpt: HWPT the RID is attached to, or NULL (blocked)
 * @pasid_hwpts: PASID -> attached HWPT
 * @enforce_cache_coherency: the device can do coherent DMA only
 * @holds_ctx: the bind took a reference on ictx->file (dropped at destroy)
 */
struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iofd_hw_dev *hwdev;
	struct mutex lock; /* see device.c for the lock order */
	struct iommufd_hw_pagetable *rid_hwpt;
	struct xarray pasid_hwpts;
	bool enforce_cache_coherency;
	bool holds_ctx;
};

static inline struct iommufd_device *
iommufd_get_device(struct iommufd_ucmd *ucmd, u32 id)
{
	return container_of(iommufd_get_object(ucmd->ictx, id,
					       IOMMUFD_OBJ_DEVICE),
			    struct iommufd_device, obj);
}

void iommufd_device_destroy(struct iommufd_object *obj);

/*
 * iofd_device_bind() holds a reference on the context's file, as a VFIO cdev
 * does. The selftest mock device lives inside the context (an object of its
 * fd), so holding the file would keep the fd from ever closing: it binds
 * with @hold_ctx false.
 */
struct iommufd_device *iommufd_device_bind_ctx(struct iommufd_ctx *ictx,
					       struct iofd_hw_dev *hwdev,
					       u32 *id, bool hold_ctx);
/* IOMMU_GET_HW_INFO */
int iommufd_get_hw_info(struct iommufd_ucmd *ucmd);

/*
 * ---------------------------------------------------------------------------
 * Accesses (access.c)
 *
 * @ioas: the attached IOAS or NULL; holds a users reference on it
 * @ioas_unpin: the IOAS that unpin calls go to. Equal to @ioas except while
 *		attach/replace/detach has dropped @ioas_lock to let the driver
 *		unpin everything: then @ioas is NULL (no new pins) and this
 *		still names the old IOAS.
 * @ioas_lock: protects @ioas and @ioas_unpin against concurrent
 *	       attach/replace/detach
 * @iopt_access_list_id: index of this access in ioas->iopt.access_list
 */
struct iommufd_access {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_ioas *ioas;
	struct iommufd_ioas *ioas_unpin;
	struct mutex ioas_lock; /* see @ioas_lock above */
	const struct iommufd_access_ops *ops;
	void *data;
	unsigned long iova_alignment;
	u32 iopt_access_list_id;
};

void iommufd_access_destroy_object(struct iommufd_object *obj);

/*
 * ---------------------------------------------------------------------------
 * VFIO compatibility (vfio_compat.c)
 */
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd);
int iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
		       unsigned long arg);
/* ID of the compat IOAS, created on first use */
int iommufd_vfio_compat_ioas_get_id(struct iommufd_ctx *ictx, u32 *out_id);

/*
 * ---------------------------------------------------------------------------
 * Selftest (selftest.c), built with CONFIG_IOMMUFD_TEST (our Makefile sets it)
 */
#ifdef CONFIG_IOMMUFD_TEST
int iommufd_test(struct iommufd_ucmd *ucmd);
void iommufd_selftest_destroy(struct iommufd_object *obj);
int __init iommufd_test_init(void);
void iommufd_test_exit(void);
/*
 * Fault injection point for Linux's iommufd_fail_nth selftest: true when
 * the caller should fail as if out of memory. Counts against the per-task
 * fail-nth of CONFIG_FAULT_INJECTION; always false without it.
 */
#ifdef CONFIG_FAULT_INJECTION
bool iommufd_should_fail(void);
#else
/* Inline so the object lookup of every ioctl pays nothing on stock kernels */
static inline bool iommufd_should_fail(void) { return false; }
#endif
#else
static inline int iommufd_test_init(void) { return 0; }
static inline void iommufd_test_exit(void) { }
static inline bool iommufd_should_fail(void) { return false; }
#endif

#endif
