// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO type1 container ioctls served on the iommufd fd.
 *
 * A VMM written for /dev/vfio/vfio can keep its container code: the type1
 * calls arrive here (main.c routes every request that is not in the iommufd
 * table to iommufd_vfio_ioctl()) and act on one IOAS of the context, the
 * "compat IOAS". IOMMU_VFIO_IOAS lets userspace pick it, read it back or
 * clear it. Being the compat IOAS is not a reference: IOMMU_DESTROY of it
 * succeeds, and main.c clears ictx->vfio_ioas when it unlinks the object.
 *
 * ictx->vfio_ioas is read and written only under the xa_lock of
 * ictx->objects, the same lock that object removal holds while it unlinks.
 * A reader takes a short-term reference under that lock and may then use
 * the IOAS without it.
 *
 * What VFIO has and this does not: DMA_MAP_FLAG_VADDR (re-pointing the VA
 * of a live mapping cannot be done safely with long-term pins), dirty
 * bitmaps (the HWPT dirty tracking ioctls replace them), and the SPAPR
 * types.
 */
#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/slab.h>
#include <uapi/linux/vfio.h>

#include "iommufd_private.h"

/* Short-term reference on the compat IOAS, or ERR_PTR(-ENODEV) */
static struct iommufd_ioas *iommufd_compat_ioas_get(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas = ERR_PTR(-ENODEV);

	xa_lock(&ictx->objects);
	if (ictx->vfio_ioas &&
	    iommufd_lock_obj(ictx, &ictx->vfio_ioas->obj))
		ioas = ictx->vfio_ioas;
	xa_unlock(&ictx->objects);
	return ioas;
}

/**
 * iommufd_vfio_compat_ioas_get_id - ID of the compat IOAS
 * @ictx: the context
 * @out_id: returns the ID
 *
 * Creates an empty compat IOAS if there is none, as attaching a group to a
 * VFIO container implies one. The created IOAS is an ordinary object:
 * userspace can learn its ID with IOMMU_VFIO_IOAS, destroy it, and it goes
 * away with the fd.
 *
 * Return: 0, -EINVAL in no-iommu mode, or another -errno.
 */
int iommufd_vfio_compat_ioas_get_id(struct iommufd_ctx *ictx, u32 *out_id)
{
	struct iommufd_ioas *ioas;

	ioas = iommufd_compat_ioas_get(ictx);
	if (!IS_ERR(ioas))
		goto out_put;

	ioas = iommufd_ioas_alloc(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	xa_lock(&ictx->objects);
	if (ictx->no_iommu_mode) {
		xa_unlock(&ictx->objects);
		iommufd_object_abort_and_destroy(ictx, &ioas->obj);
		return -EINVAL;
	}
	if (ictx->vfio_ioas &&
	    iommufd_lock_obj(ictx, &ictx->vfio_ioas->obj)) {
		/* Somebody else made or set one meanwhile: use theirs */
		struct iommufd_ioas *theirs = ictx->vfio_ioas;

		xa_unlock(&ictx->objects);
		iommufd_object_abort_and_destroy(ictx, &ioas->obj);
		ioas = theirs;
		goto out_put;
	}
	/*
	 * Until finalize the ID resolves to nothing, so a user that reads it
	 * back through IOMMU_VFIO_IOAS in this window gets ENOENT on use; the
	 * IOAS itself is fully built and cannot fail any more.
	 */
	ictx->vfio_ioas = ioas;
	*out_id = ioas->obj.id;
	xa_unlock(&ictx->objects);
	iommufd_object_finalize(ictx, &ioas->obj);
	return 0;

out_put:
	*out_id = ioas->obj.id;
	iommufd_put_object(ictx, &ioas->obj);
	return 0;
}

/* IOMMU_VFIO_IOAS */
int iommufd_vfio_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = iommufd_compat_ioas_get(ictx);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		cmd->ioas_id = ioas->obj.id;
		iommufd_put_object(ictx, &ioas->obj);
		return iommufd_ucmd_respond(ucmd, sizeof(*cmd));
	case IOMMU_VFIO_IOAS_SET:
		/*
		 * Holding the IOAS keeps its removal (which clears the
		 * pointer under the same lock) from running before the store.
		 */
		ioas = iommufd_get_ioas(ictx, cmd->ioas_id);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		xa_lock(&ictx->objects);
		ictx->vfio_ioas = ioas;
		xa_unlock(&ictx->objects);
		iommufd_put_object(ictx, &ioas->obj);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		xa_lock(&ictx->objects);
		ictx->vfio_ioas = NULL;
		xa_unlock(&ictx->objects);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

static int iommufd_vfio_check_cc(struct iommufd_ctx *ictx)
{
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_ioas *ioas;
	int coherent = 1;

	ioas = iommufd_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/* Coherent only if every domain the IOAS feeds enforces it */
	mutex_lock(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpt_list, hwpt_item) {
		if (!hwpt->enforce_cache_coherency) {
			coherent = 0;
			break;
		}
	}
	mutex_unlock(&ioas->mutex);
	iommufd_put_object(ictx, &ioas->obj);
	return coherent;
}

static int iommufd_vfio_check_extension(struct iommufd_ctx *ictx,
					unsigned long ext)
{
	switch (ext) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return !READ_ONCE(ictx->no_iommu_mode);
	case VFIO_NOIOMMU_IOMMU:
		return IS_ENABLED(CONFIG_VFIO_NOIOMMU);
	case VFIO_DMA_CC_IOMMU:
		return iommufd_vfio_check_cc(ictx);
	default:
		/*
		 * Includes VFIO_UPDATE_VADDR (see the top of the file), the
		 * retired type1 nesting type and the SPAPR types.
		 */
		return 0;
	}
}

static int iommufd_vfio_set_iommu(struct iommufd_ctx *ictx, unsigned long type)
{
	bool no_iommu = READ_ONCE(ictx->no_iommu_mode);
	struct iommufd_ioas *ioas;
	int rc = 0;

	if (IS_ENABLED(CONFIG_VFIO_NOIOMMU) && type == VFIO_NOIOMMU_IOMMU &&
	    no_iommu)
		return capable(CAP_SYS_RAWIO) ? 0 : -EPERM;

	if (no_iommu || (type != VFIO_TYPE1_IOMMU &&
			 type != VFIO_TYPE1v2_IOMMU))
		return -EINVAL;

	/* VFIO refuses SET_IOMMU on a container without a group */
	ioas = iommufd_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/*
	 * Type1 v1 lets userspace unmap any page-aligned piece of a mapping.
	 * A large IOPTE cannot be split, so v1 maps with small pages only;
	 * the unmap path then cuts areas at the edges of the request.
	 */
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_disable_large_pages(&ioas->iopt);
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

/*
 * The page sizes VFIO reports: those every domain of the IOAS can map, with
 * anything smaller than a CPU page or than the IOAS alignment folded into
 * that size (VFIO reports the same for IOMMUs with sub-page granules).
 */
static u64 iommufd_vfio_pgsizes(struct io_pagetable *iopt)
{
	unsigned long bitmap = ULONG_MAX;
	struct iofd_domain *domain;
	unsigned long index;
	unsigned long min;

	down_read(&iopt->domains_rwsem);
	xa_for_each(&iopt->domains, index, domain)
		bitmap &= domain->pgsize_bitmap;
	min = max_t(unsigned long, PAGE_SIZE, READ_ONCE(iopt->iova_alignment));
	up_read(&iopt->domains_rwsem);

	if (is_power_of_2(min) && (bitmap & (min - 1))) {
		bitmap &= ~(min - 1);
		bitmap |= min;
	}
	return bitmap;
}

/* Snapshot of the usable IOVA ranges; *@out is kfree()d by the caller */
static int iommufd_vfio_ranges(struct io_pagetable *iopt,
			       struct iommu_iova_range **out, u32 *num)
{
	struct iommu_iova_range *ranges = NULL;
	u32 room = 0;
	u32 total;
	int rc;

	/* The count can grow between the calls: retry with the new one */
	for (;;) {
		rc = iopt_get_usable_ranges(iopt, ranges, room, &total);
		if (rc || total <= room)
			break;
		kfree(ranges);
		room = total;
		ranges = kcalloc(room, sizeof(*ranges), GFP_KERNEL);
		if (!ranges)
			return -ENOMEM;
	}
	if (rc) {
		kfree(ranges);
		return rc;
	}
	*out = ranges;
	*num = total;
	return 0;
}

/*
 * Build the capability chain of VFIO_IOMMU_GET_INFO in a kernel buffer, laid
 * out as it will sit in the user's buffer right after struct
 * vfio_iommu_type1_info: each capability 8-byte aligned, 'next' counted
 * from the start of the info struct, 0 in the last one.
 */
static void *iommufd_vfio_build_caps(struct io_pagetable *iopt, size_t *len)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap_ranges;
	struct vfio_iommu_type1_info_dma_avail *cap_avail;
	const size_t base = sizeof(struct vfio_iommu_type1_info);
	struct iommu_iova_range *ranges;
	size_t avail_len, ranges_len;
	void *caps;
	u32 num, i;
	int rc;

	rc = iommufd_vfio_ranges(iopt, &ranges, &num);
	if (rc)
		return ERR_PTR(rc);

	avail_len = ALIGN(sizeof(*cap_avail), sizeof(u64));
	ranges_len = ALIGN(struct_size(cap_ranges, iova_ranges, num),
			   sizeof(u64));
	caps = kzalloc(avail_len + ranges_len, GFP_KERNEL);
	if (!caps) {
		kfree(ranges);
		return ERR_PTR(-ENOMEM);
	}

	cap_avail = caps;
	cap_avail->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
	cap_avail->header.version = 1;
	cap_avail->header.next = base + avail_len;
	/*
	 * Pinned memory is limited by RLIMIT_MEMLOCK and the memory cgroup,
	 * not by a count of mappings. VFIO's default is U16_MAX; report the
	 * largest value, as some users (s390 QEMU) need more than that.
	 */
	cap_avail->avail = U32_MAX;

	cap_ranges = caps + avail_len;
	cap_ranges->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
	cap_ranges->header.version = 1;
	cap_ranges->header.next = 0;
	cap_ranges->nr_iovas = num;
	for (i = 0; i != num; i++) {
		cap_ranges->iova_ranges[i].start = ranges[i].start;
		cap_ranges->iova_ranges[i].end = ranges[i].last;
	}
	kfree(ranges);

	*len = avail_len + ranges_len;
	return caps;
}

/*
 * VFIO_IOMMU_GET_INFO. The argsz protocol: the fixed part is copied back up
 * to the user's argsz; the capabilities only if the whole chain fits, in
 * which case cap_offset points at it. Either way argsz comes back as the
 * size needed for everything, so the user can retry with a bigger buffer.
 * Nothing is ever written past the user's argsz.
 */
static int iommufd_vfio_get_info(struct iommufd_ctx *ictx, void __user *uarg)
{
	const size_t minsz =
		offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info = {};
	struct iommufd_ioas *ioas;
	size_t caps_len, user_len;
	void *caps;
	int rc = 0;

	if (copy_from_user(&info, uarg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	user_len = info.argsz;

	ioas = iommufd_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	caps = iommufd_vfio_build_caps(&ioas->iopt, &caps_len);
	if (IS_ERR(caps)) {
		rc = PTR_ERR(caps);
		goto out_put;
	}

	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	info.iova_pgsizes = iommufd_vfio_pgsizes(&ioas->iopt);
	info.cap_offset = 0;
	info.argsz = sizeof(info) + caps_len;
	if (user_len >= info.argsz) {
		if (copy_to_user(uarg + sizeof(info), caps, caps_len)) {
			rc = -EFAULT;
			goto out_free;
		}
		info.cap_offset = sizeof(info);
	}
	if (copy_to_user(uarg, &info, min(user_len, sizeof(info))))
		rc = -EFAULT;

out_free:
	kfree(caps);
out_put:
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

static int iommufd_vfio_map_dma(struct iommufd_ctx *ictx, void __user *uarg)
{
	const size_t minsz =
		offsetofend(struct vfio_iommu_type1_dma_map, size);
	const u32 valid = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	struct vfio_iommu_type1_dma_map map;
	struct iommufd_ioas *ioas;
	unsigned long iova;
	int prot = 0;
	int rc;

	if (copy_from_user(&map, uarg, minsz))
		return -EFAULT;
	/* As type1: VADDR and anything unknown is refused */
	if (map.argsz < minsz || (map.flags & ~valid))
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOFD_PROT_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOFD_PROT_WRITE;
	/* Type1 refuses a mapping nobody may read or write, and size 0 */
	if (!prot || !map.size)
		return -EINVAL;
	/* Type1 hands out cache-coherent mappings */
	prot |= IOFD_PROT_CACHE;

	ioas = iommufd_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	iova = map.iova;
	rc = iopt_map_user_pages(ictx, &ioas->iopt, &iova,
				 u64_to_user_ptr(map.vaddr), map.size, prot, 0);
	iommufd_put_object(ictx, &ioas->obj);
	return rc;
}

/*
 * Type1 v1: cut the areas at both edges of [iova, last] so that the unmap
 * below covers whole areas. With large pages disabled every area is mapped
 * with IOPTEs no bigger than a CPU page, so the cut never splits one.
 */
static int iommufd_vfio_cut_edges(struct io_pagetable *iopt,
				  unsigned long iova, unsigned long last)
{
	unsigned long cuts[2];
	size_t num = 0;

	cuts[num++] = last;
	/* Nothing lies before IOVA 0, so no cut is needed there */
	if (iova)
		cuts[num++] = iova - 1;
	return iopt_cut_iova(iopt, cuts, num);
}

static int iommufd_vfio_unmap_dma(struct iommufd_ctx *ictx, void __user *uarg)
{
	const size_t minsz =
		offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	unsigned long unmapped = 0;
	struct iommufd_ioas *ioas;
	unsigned long last = 0;
	int rc;

	if (copy_from_user(&unmap, uarg, minsz))
		return -EFAULT;
	/* No GET_DIRTY_BITMAP: the HWPT dirty tracking ioctls replace it */
	if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size)
			return -EINVAL;
	} else {
		if (!unmap.size)
			return -EINVAL;
		if (check_add_overflow(unmap.iova, unmap.size - 1, &last))
			return -EOVERFLOW;
	}

	ioas = iommufd_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else {
		rc = 0;
		if (READ_ONCE(ioas->iopt.disable_large_pages))
			rc = iommufd_vfio_cut_edges(&ioas->iopt, unmap.iova,
						    last);
		/*
		 * Unlike IOMMU_IOAS_UNMAP, type1 reports success with size 0
		 * when nothing was mapped in the range.
		 */
		if (!rc)
			rc = iopt_unmap_iova(&ioas->iopt, unmap.iova,
					     unmap.size, &unmapped);
	}
	iommufd_put_object(ictx, &ioas->obj);
	if (rc)
		return rc;

	unmap.size = unmapped;
	if (copy_to_user(uarg, &unmap, minsz))
		return -EFAULT;
	return 0;
}

/**
 * iommufd_vfio_ioctl - the VFIO type1 container ioctls
 * @ictx: the context
 * @cmd: the request, outside the iommufd table
 * @arg: the argument: a pointer, or a value for CHECK_EXTENSION/SET_IOMMU
 *
 * Return: the ioctl's result, -ENOTTY for requests that are not VFIO
 * container ioctls or that are not offered (VFIO_IOMMU_DIRTY_PAGES).
 */
int iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
		       unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return iommufd_vfio_check_extension(ictx, arg);
	case VFIO_SET_IOMMU:
		return iommufd_vfio_set_iommu(ictx, arg);
	case VFIO_IOMMU_GET_INFO:
		return iommufd_vfio_get_info(ictx, uarg);
	case VFIO_IOMMU_MAP_DMA:
		return iommufd_vfio_map_dma(ictx, uarg);
	case VFIO_IOMMU_UNMAP_DMA:
		return iommufd_vfio_unmap_dma(ictx, uarg);
	default:
		return -ENOTTY;
	}
}
