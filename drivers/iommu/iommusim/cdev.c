// SPDX-License-Identifier: GPL-2.0-only
/*
 * The char device of each simulated device, /dev/iommusim/ID-SID: bind,
 * attach and detach with VFIO's cdev layouts, simulated DMA and the test
 * hooks; and the iofd_hw_dev_ops through which the iommufd core reaches the
 * device's family.
 *
 * A file is bound at most once and stays bound until it is closed, so
 * after a successful BIND its iommufd_device is constant for the rest of
 * the file's life and ioctls read it without a lock. The file also keeps
 * the record of what it attached (RID, PASIDs) under its own mutex: that
 * record decides between attach and replace, and it cannot be kept under
 * sdev->lock, which the core's attach path takes from inside idev->lock.
 */
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>
#include <uapi/linux/iommusim.h>

#include "iommusim.h"

#define SIMIO_MINORS		BIT(16)
/* Largest DMA request, and the user memory pinned for it at a time */
#define SIMIO_DMA_MAX		SZ_64M
#define SIMIO_DMA_CHUNK		SZ_1M

static dev_t simio_devt;
static DEFINE_IDA(simio_minor_ida);

/* Per open file */
struct simio_file {
	struct simio_dev *sdev;
	/* Set once by BIND (release/acquire), NULL until then */
	struct iommufd_device *idev;
	/* Serializes attach/detach of this file; protects the two below */
	struct mutex lock;
	bool rid_attached;
	struct xarray pasids;	/* attached PASIDs, value entries */
};

/* ------------------------------------------------------------------ */
/* iofd_hw_dev_ops                                                     */

static void *simio_hw_info(struct iofd_hw_dev *hw, u32 *length, u32 *type)
{
	struct simio_iommu *iommu = to_simio_dev(hw)->iommu;
	void *data;

	if (*type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    *type != iommu->fam->hw_info_type)
		return ERR_PTR(-EOPNOTSUPP);
	data = iommu->fam->hw_info(iommu, length);
	if (IS_ERR_OR_NULL(data))
		return data ? data : ERR_PTR(-ENOMEM);
	*type = iommu->fam->hw_info_type;
	return data;
}

static struct iofd_domain *simio_hw_domain_alloc_paging(struct iofd_hw_dev *hw,
							u32 flags)
{
	struct simio_dev *sdev = to_simio_dev(hw);
	struct simio_iommu *iommu = sdev->iommu;
	struct simio_domain *sdom;

	sdom = iommu->fam->domain_alloc_paging(sdev, flags);
	if (IS_ERR_OR_NULL(sdom))
		return sdom ? ERR_CAST(sdom) : ERR_PTR(-ENOMEM);
	/* Dropped by domain.c's free: the domain may outlive the device */
	simio_iommu_get(iommu);
	return &sdom->dom;
}

static int simio_hw_attach(struct iofd_hw_dev *hw, u32 pasid,
			   struct iofd_domain *domain)
{
	struct simio_dev *sdev = to_simio_dev(hw);
	struct simio_domain *sdom = NULL;
	int rc;

	if (domain) {
		if (domain->owner != &simio_hw_dev_ops)
			return -EINVAL;
		sdom = to_simio_domain(domain);
		/* Page tables are per instance: another one cannot walk them */
		if (sdom->iommu != sdev->iommu)
			return -EINVAL;
	}

	mutex_lock(&sdev->lock);
	rc = sdev->iommu->fam->attach(sdev, pasid, sdom);
	mutex_unlock(&sdev->lock);
	WARN_ON(!domain && rc);
	return rc;
}

const struct iofd_hw_dev_ops simio_hw_dev_ops = {
	.hw_info = simio_hw_info,
	.domain_alloc_paging = simio_hw_domain_alloc_paging,
	.attach = simio_hw_attach,
};

/* ------------------------------------------------------------------ */
/* ioctl helpers                                                       */

/*
 * Copy the caller's struct of which the kernel knows @size bytes; @minsz
 * is the size as first defined. Bytes past @size are ignored.
 */
static int simio_get_cmd(void *cmd, size_t minsz, size_t size,
			 void __user *uarg)
{
	u32 argsz;

	if (get_user(argsz, (u32 __user *)uarg))
		return -EFAULT;
	if (argsz < minsz)
		return -EINVAL;
	memset(cmd, 0, size);
	if (copy_from_user(cmd, uarg, min_t(size_t, argsz, size)))
		return -EFAULT;
	return 0;
}

/* The device's PASID from an ioctl that carries one: 1 .. 2^width - 1 */
static int simio_check_pasid(struct simio_dev *sdev, bool has_pasid,
			     u32 pasid, u32 *out)
{
	if (!has_pasid) {
		*out = IOFD_NO_PASID;
		return 0;
	}
	if (!pasid || pasid >= BIT_ULL(sdev->pasid_bits))
		return -EINVAL;
	*out = pasid;
	return 0;
}

static struct iommufd_device *simio_bound(struct simio_file *sf)
{
	/* Pairs with BIND's release: a bound file sees a complete binding */
	return smp_load_acquire(&sf->idev);
}

/* ------------------------------------------------------------------ */
/* Bind, attach, detach                                                */

static int simio_ioctl_bind(struct simio_file *sf, struct file *filp,
			    void __user *uarg)
{
	struct iommusim_bind_iommufd __user *ucmd = uarg;
	struct simio_dev *sdev = sf->sdev;
	struct iommusim_bind_iommufd cmd;
	struct iommufd_device *idev;
	struct iommufd_ctx *ictx;
	u32 id;
	int rc;

	/* VMMs older than VFIO's token field stop at out_devid */
	rc = simio_get_cmd(&cmd, offsetofend(typeof(cmd), out_devid),
			   sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (cmd.flags || cmd.token_uuid_ptr)
		return -EINVAL;

	/* Claim the device for this file, then bind without the lock */
	mutex_lock(&sdev->lock);
	if (sdev->bound) {
		mutex_unlock(&sdev->lock);
		return -EBUSY;
	}
	sdev->bound = filp;
	mutex_unlock(&sdev->lock);

	ictx = iofd_ctx_from_fd(cmd.iommufd);
	if (IS_ERR(ictx)) {
		rc = PTR_ERR(ictx);
		goto out_unclaim;
	}
	/* The binding holds the iommufd file itself; ours is not needed */
	idev = iofd_device_bind(ictx, &sdev->hw, &id);
	iofd_ctx_put(ictx);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto out_unclaim;
	}

	if (put_user(id, &ucmd->out_devid)) {
		iofd_device_unbind(idev);
		rc = -EFAULT;
		goto out_unclaim;
	}

	mutex_lock(&sdev->lock);
	sdev->idev = idev;
	mutex_unlock(&sdev->lock);
	/* Publish last: other ioctls of this file now see it bound */
	smp_store_release(&sf->idev, idev);
	return 0;

out_unclaim:
	mutex_lock(&sdev->lock);
	sdev->bound = NULL;
	mutex_unlock(&sdev->lock);
	return rc;
}

/*
 * The checks of every request whose only flag, @flag, selects a PASID, for
 * a file bound as @idev (NULL: not bound): @pasid counts only with @flag,
 * and then argsz must reach @pasid_end (VFIO's rule for ATTACH/DETACH; 0
 * where the minimum size covers the field already). *@out is the checked
 * PASID, or IOFD_NO_PASID for the RID.
 */
static int simio_cmd_pasid(struct simio_file *sf, struct iommufd_device *idev,
			   u32 argsz, u32 flags, u32 flag, size_t pasid_end,
			   u32 pasid, u32 *out)
{
	if (!idev || flags & ~flag)
		return -EINVAL;
	if ((flags & flag) && argsz < pasid_end)
		return -EINVAL;
	return simio_check_pasid(sf->sdev, flags & flag, pasid, out);
}

/* Detach @pasid (or the RID) and forget this file's record of it */
static void simio_detach_locked(struct simio_file *sf,
				struct iommufd_device *idev, u32 pasid)
{
	lockdep_assert_held(&sf->lock);
	iofd_device_detach(idev, pasid);
	if (pasid == IOFD_NO_PASID)
		sf->rid_attached = false;
	else
		xa_erase(&sf->pasids, pasid);
}

static int simio_ioctl_attach(struct simio_file *sf, void __user *uarg)
{
	struct iommusim_attach_pt __user *ucmd = uarg;
	struct iommufd_device *idev = simio_bound(sf);
	struct iommusim_attach_pt cmd;
	bool attached, first;
	u32 pasid, pt_id;
	int rc;

	/* As VFIO: @pasid counts only with the flag */
	rc = simio_get_cmd(&cmd, offsetofend(typeof(cmd), pt_id), sizeof(cmd),
			   uarg);
	if (rc)
		return rc;
	rc = simio_cmd_pasid(sf, idev, cmd.argsz, cmd.flags,
			     IOMMUSIM_ATTACH_PASID, offsetofend(typeof(cmd), pasid),
			     cmd.pasid, &pasid);
	if (rc)
		return rc;

	pt_id = cmd.pt_id;
	mutex_lock(&sf->lock);
	if (pasid == IOFD_NO_PASID) {
		attached = sf->rid_attached;
	} else {
		attached = xa_load(&sf->pasids, pasid);
		/* Reserve the record's slot so that keeping it cannot fail */
		if (!attached) {
			rc = xa_reserve(&sf->pasids, pasid, GFP_KERNEL);
			if (rc)
				goto out_unlock;
		}
	}
	first = !attached;

	if (attached)
		rc = iofd_device_replace(idev, pasid, &pt_id);
	else
		rc = iofd_device_attach(idev, pasid, &pt_id);
	if (rc) {
		if (first && pasid != IOFD_NO_PASID)
			xa_release(&sf->pasids, pasid);
		goto out_unlock;
	}

	if (pasid == IOFD_NO_PASID)
		sf->rid_attached = true;
	else
		WARN_ON(xa_is_err(xa_store(&sf->pasids, pasid,
					   xa_mk_value(1), GFP_KERNEL)));

	if (put_user(pt_id, &ucmd->pt_id)) {
		rc = -EFAULT;
		/* As VFIO: a first attach the caller cannot learn is undone */
		if (first)
			simio_detach_locked(sf, idev, pasid);
	}
out_unlock:
	mutex_unlock(&sf->lock);
	return rc;
}

static int simio_ioctl_detach(struct simio_file *sf, void __user *uarg)
{
	struct iommufd_device *idev = simio_bound(sf);
	struct iommusim_detach_pt cmd;
	u32 pasid;
	int rc;

	rc = simio_get_cmd(&cmd, offsetofend(typeof(cmd), flags), sizeof(cmd),
			   uarg);
	if (rc)
		return rc;
	rc = simio_cmd_pasid(sf, idev, cmd.argsz, cmd.flags,
			     IOMMUSIM_DETACH_PASID, offsetofend(typeof(cmd), pasid),
			     cmd.pasid, &pasid);
	if (rc)
		return rc;

	mutex_lock(&sf->lock);
	if (pasid == IOFD_NO_PASID ? sf->rid_attached :
				     !!xa_load(&sf->pasids, pasid))
		simio_detach_locked(sf, idev, pasid);
	mutex_unlock(&sf->lock);
	return 0;
}

/* ------------------------------------------------------------------ */
/* DMA                                                                 */

/* One chunk of a DMA request: the user pages it pins at a time */
struct simio_dma_chunk {
	struct page **pages;	/* pinned user pages */
	unsigned long uoff;	/* offset of the first byte in pages[0] */
	size_t len;		/* bytes of the request in this chunk */
};

/* Copy one translated piece (within one target page) to or from the user */
static void simio_dma_copy(struct simio_dma_chunk *ch, size_t pos, void *dva,
			   size_t n, bool write)
{
	size_t copied = 0;

	while (copied < n) {
		unsigned long u = ch->uoff + pos + copied;
		size_t m = min_t(size_t, n - copied,
				 PAGE_SIZE - offset_in_page(u));
		void *uva = kmap_local_page(ch->pages[u >> PAGE_SHIFT]);

		/*
		 * A whole page on both sides (the usual case) is one
		 * copy_page(); otherwise memmove, as the user buffer may be
		 * the very page the DMA targets.
		 */
		if (m == PAGE_SIZE && write)
			copy_page(dva + copied, uva);
		else if (m == PAGE_SIZE)
			copy_page(uva, dva + copied);
		else if (write)
			memmove(dva + copied, uva + offset_in_page(u), m);
		else
			memmove(uva + offset_in_page(u), dva + copied, m);
		kunmap_local(uva);
		copied += m;
	}
}

/*
 * Move the chunk's bytes between its user pages and the memory @iova
 * translates to, one translation per 4 KiB page (or less), as the
 * device's requests would arrive. *@done is what was moved before a fault.
 */
static int simio_dma_chunk(struct simio_dev *sdev, u32 pasid, u64 iova,
			   struct simio_dma_chunk *ch, bool write,
			   size_t *done, struct simio_fault *fault)
{
	struct simio_iommu *iommu = sdev->iommu;
	size_t pos = 0;
	int rc = 0;

	while (pos < ch->len) {
		struct simio_xlate xl = {};
		unsigned long pfn;
		size_t n = 0;
		void *dva;

		down_read(&iommu->dma_sem);
		rc = iommu->fam->translate(sdev, pasid, iova + pos, write, &xl,
					   fault);
		if (!rc) {
			n = min_t(u64, ch->len - pos, xl.len);
			n = min_t(size_t, n,
				  PAGE_SIZE - offset_in_page(xl.phys));
			pfn = PHYS_PFN(xl.phys);
			/* Tables only hold pages the IOAS pinned */
			if (WARN_ON_ONCE(!n || !pfn_valid(pfn))) {
				rc = -EFAULT;
			} else {
				dva = kmap_local_page(pfn_to_page(pfn));
				simio_dma_copy(ch, pos,
					       dva + offset_in_page(xl.phys),
					       n, write);
				kunmap_local(dva);
			}
		}
		up_read(&iommu->dma_sem);
		if (rc)
			break;
		pos += n;
	}
	*done = pos;
	return rc;
}

/*
 * The user buffer is pinned a chunk at a time and copied page to page, so
 * nothing faults while dma_sem is held and no bounce copy is needed.
 */
static int simio_dma_run(struct simio_dev *sdev, u32 pasid,
			 struct iommusim_dma *cmd, u64 *done,
			 struct simio_fault *fault)
{
	unsigned int max_pages = SIMIO_DMA_CHUNK / PAGE_SIZE + 1;
	bool write = cmd->flags & IOMMUSIM_DMA_WRITE;
	struct simio_dma_chunk ch;
	int rc = 0;

	ch.pages = kvmalloc_array(max_pages, sizeof(*ch.pages),
				  GFP_KERNEL_ACCOUNT);
	if (!ch.pages)
		return -ENOMEM;

	*done = 0;
	while (*done < cmd->length) {
		unsigned long uaddr = cmd->uptr + *done;
		size_t moved;
		int npages;

		ch.uoff = offset_in_page(uaddr);
		ch.len = min_t(u64, cmd->length - *done,
			       SIMIO_DMA_CHUNK - ch.uoff);
		/* A device read writes the user's pages */
		npages = pin_user_pages_fast(uaddr & PAGE_MASK,
					     DIV_ROUND_UP(ch.uoff + ch.len,
							  PAGE_SIZE),
					     write ? 0 : FOLL_WRITE, ch.pages);
		if (npages <= 0) {
			rc = npages ? npages : -EFAULT;
			break;
		}
		/* Partly pinned: go as far as the pinned pages reach */
		ch.len = min_t(size_t, ch.len,
			       (size_t)npages * PAGE_SIZE - ch.uoff);

		rc = simio_dma_chunk(sdev, pasid, cmd->iova + *done, &ch,
				     write, &moved, fault);
		unpin_user_pages_dirty_lock(ch.pages, npages, !write);
		*done += moved;
		if (rc)
			break;
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			break;
		}
		cond_resched();
	}
	kvfree(ch.pages);
	return rc;
}

static int simio_ioctl_dma(struct simio_file *sf, void __user *uarg)
{
	struct simio_dev *sdev = sf->sdev;
	struct simio_fault fault = {};
	struct iommusim_dma cmd;
	u64 done, end;
	u32 pasid;
	int rc;

	rc = simio_get_cmd(&cmd, sizeof(cmd), sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (!simio_bound(sf) ||
	    cmd.flags & ~(IOMMUSIM_DMA_WRITE | IOMMUSIM_DMA_PASID) ||
	    cmd.__reserved || !cmd.length || cmd.length > SIMIO_DMA_MAX ||
	    check_add_overflow(cmd.iova, cmd.length - 1, &end))
		return -EINVAL;
	rc = simio_check_pasid(sdev, cmd.flags & IOMMUSIM_DMA_PASID,
			       cmd.pasid, &pasid);
	if (rc)
		return rc;
	if (check_add_overflow(cmd.uptr, cmd.length, &end))
		return -EFAULT;

	rc = simio_dma_run(sdev, pasid, &cmd, &done, &fault);
	if (rc && rc != -EIO)
		return rc;

	cmd.out_done = done;
	cmd.out_fault = rc ? fault.kind : IOMMUSIM_FAULT_NONE;
	cmd.out_record_len = rc ? fault.record_len : 0;
	cmd.out_fault_addr = rc ? fault.addr : 0;
	memset(cmd.out_record, 0, sizeof(cmd.out_record));
	if (rc)
		memcpy(cmd.out_record, fault.record,
		       min_t(size_t, sizeof(cmd.out_record),
			     sizeof(fault.record)));
	if (copy_to_user(uarg, &cmd, sizeof(cmd)))
		return -EFAULT;
	return rc;
}

/* ------------------------------------------------------------------ */
/* IOTLB and test hooks                                                */

static int simio_ioctl_iotlb(struct simio_file *sf, void __user *uarg)
{
	struct simio_iommu *iommu = sf->sdev->iommu;
	struct simio_tlb_stats st;
	struct iommusim_iotlb cmd;
	int rc;

	rc = simio_get_cmd(&cmd, sizeof(cmd), sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (!simio_bound(sf) ||
	    cmd.flags & ~(IOMMUSIM_IOTLB_FLUSH_ALL | IOMMUSIM_IOTLB_RESET_STATS))
		return -EINVAL;

	if (cmd.flags & IOMMUSIM_IOTLB_FLUSH_ALL) {
		/* Mask 0 matches every tag, size 0 every IOVA */
		simio_tlb_invalidate(iommu->tlb, 0, 0, 0, 0);
		simio_dma_quiesce(iommu);
	}
	simio_tlb_stats(iommu->tlb, &st,
			cmd.flags & IOMMUSIM_IOTLB_RESET_STATS);
	cmd.out_entries = st.entries;
	cmd.out_capacity = st.capacity;
	cmd.out_hits = st.hits;
	cmd.out_misses = st.misses;
	cmd.out_invalidated = st.invalidated;
	if (copy_to_user(uarg, &cmd, sizeof(cmd)))
		return -EFAULT;
	return 0;
}

static int simio_ioctl_pte_alias(struct simio_file *sf, void __user *uarg)
{
	struct simio_dev *sdev = sf->sdev;
	struct iommusim_pte_alias cmd;
	struct simio_domain *sdom;
	u32 pasid;
	int rc;

	rc = simio_get_cmd(&cmd, sizeof(cmd), sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (cmd.__reserved)
		return -EINVAL;
	rc = simio_cmd_pasid(sf, simio_bound(sf), cmd.argsz, cmd.flags,
			     IOMMUSIM_ALIAS_PASID, 0, cmd.pasid, &pasid);
	if (rc)
		return rc;

	/* sdev->lock keeps the attached domain (and its table) in place */
	mutex_lock(&sdev->lock);
	sdom = sdev->iommu->fam->lookup_domain(sdev, pasid);
	if (sdom)
		rc = simpt_alias_leaf(&sdom->pt, cmd.iova, cmd.src_iova);
	else
		rc = -EINVAL;
	mutex_unlock(&sdev->lock);
	return rc;
}

static int simio_ioctl_invalidate(struct simio_file *sf, void __user *uarg)
{
	struct simio_dev *sdev = sf->sdev;
	struct iommusim_invalidate cmd;
	u32 pasid;
	int rc;

	rc = simio_get_cmd(&cmd, sizeof(cmd), sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (cmd.__reserved)
		return -EINVAL;
	rc = simio_cmd_pasid(sf, simio_bound(sf), cmd.argsz, cmd.flags,
			     IOMMUSIM_INVAL_PASID, 0, cmd.pasid, &pasid);
	if (rc)
		return rc;

	mutex_lock(&sdev->lock);
	rc = sdev->iommu->fam->invalidate(sdev, pasid,
					  ALIGN_DOWN(cmd.iova, SZ_4K),
					  cmd.length);
	mutex_unlock(&sdev->lock);
	return rc;
}

static int simio_ioctl_ctx_entry(struct simio_file *sf, void __user *uarg)
{
	struct simio_dev *sdev = sf->sdev;
	struct iommusim_ctx_entry cmd;
	u64 ste[8] = {}, cd[8] = {}, root = 0;
	u32 nr_ste = 0, nr_cd = 0;
	u32 pasid;
	int rc;

	rc = simio_get_cmd(&cmd, sizeof(cmd), sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (cmd.__reserved)
		return -EINVAL;
	rc = simio_cmd_pasid(sf, simio_bound(sf), cmd.argsz, cmd.flags,
			     IOMMUSIM_CTX_PASID, 0, cmd.pasid, &pasid);
	if (rc)
		return rc;

	mutex_lock(&sdev->lock);
	rc = sdev->iommu->fam->ctx_entry(sdev, pasid, ste, &nr_ste, cd, &nr_cd,
					 &root);
	mutex_unlock(&sdev->lock);
	if (rc)
		return rc;

	cmd.out_nr_ste = min_t(u32, nr_ste, ARRAY_SIZE(cmd.out_ste));
	cmd.out_nr_cd = min_t(u32, nr_cd, ARRAY_SIZE(cmd.out_cd));
	memcpy(cmd.out_ste, ste, sizeof(cmd.out_ste));
	memcpy(cmd.out_cd, cd, sizeof(cmd.out_cd));
	cmd.out_root = root;
	if (copy_to_user(uarg, &cmd, sizeof(cmd)))
		return -EFAULT;
	return 0;
}

static int simio_ioctl_translate(struct simio_file *sf, void __user *uarg)
{
	struct simio_dev *sdev = sf->sdev;
	struct iommusim_translate cmd;
	struct simio_domain *sdom;
	struct simpt_walk w = {};
	unsigned int access;
	u32 pasid;
	int rc;

	rc = simio_get_cmd(&cmd, sizeof(cmd), sizeof(cmd), uarg);
	if (rc)
		return rc;
	if (!simio_bound(sf) ||
	    cmd.flags & ~(IOMMUSIM_XLATE_PASID | IOMMUSIM_XLATE_WRITE))
		return -EINVAL;
	rc = simio_check_pasid(sdev, cmd.flags & IOMMUSIM_XLATE_PASID,
			       cmd.pasid, &pasid);
	if (rc)
		return rc;

	access = SIMPT_ACC_PROBE;
	if (cmd.flags & IOMMUSIM_XLATE_WRITE)
		access |= SIMPT_ACC_WRITE;

	mutex_lock(&sdev->lock);
	sdom = sdev->iommu->fam->lookup_domain(sdev, pasid);
	rc = sdom ? simpt_hw_walk(&sdom->pt, cmd.iova, access, &w) : -EPERM;
	mutex_unlock(&sdev->lock);

	switch (rc) {
	case 0:
		cmd.out_fault = IOMMUSIM_FAULT_NONE;
		break;
	case -EPERM:
		cmd.out_fault = IOMMUSIM_FAULT_BLOCKED;
		break;
	case -ENOENT:
		cmd.out_fault = IOMMUSIM_FAULT_TRANSLATION;
		break;
	case -EACCES:
		cmd.out_fault = IOMMUSIM_FAULT_PERMISSION;
		break;
	case -ERANGE:
		cmd.out_fault = IOMMUSIM_FAULT_ADDR_SIZE;
		break;
	default:
		return rc;
	}
	if (rc)
		memset(&w, 0, sizeof(w));
	cmd.out_level = w.level;
	cmd.out_phys = w.phys;
	cmd.out_page_size = w.page_size;
	cmd.out_pte = w.pte;
	cmd.out_dirty = w.dirty;
	if (copy_to_user(uarg, &cmd, sizeof(cmd)))
		return -EFAULT;
	return 0;
}

/* ------------------------------------------------------------------ */
/* File operations                                                     */

static long simio_cdev_ioctl(struct file *filp, unsigned int cmd,
			     unsigned long arg)
{
	struct simio_file *sf = filp->private_data;
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case IOMMUSIM_DEVICE_BIND_IOMMUFD:
		return simio_ioctl_bind(sf, filp, uarg);
	case IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT:
		return simio_ioctl_attach(sf, uarg);
	case IOMMUSIM_DEVICE_DETACH_IOMMUFD_PT:
		return simio_ioctl_detach(sf, uarg);
	case IOMMUSIM_DEVICE_DMA:
		return simio_ioctl_dma(sf, uarg);
	case IOMMUSIM_DEVICE_IOTLB:
		return simio_ioctl_iotlb(sf, uarg);
	case IOMMUSIM_DEVICE_TEST_PTE_ALIAS:
		return simio_ioctl_pte_alias(sf, uarg);
	case IOMMUSIM_DEVICE_INVALIDATE:
		return simio_ioctl_invalidate(sf, uarg);
	case IOMMUSIM_DEVICE_GET_CTX_ENTRY:
		return simio_ioctl_ctx_entry(sf, uarg);
	case IOMMUSIM_DEVICE_TRANSLATE:
		return simio_ioctl_translate(sf, uarg);
	default:
		return -ENOTTY;
	}
}

static int simio_cdev_open(struct inode *inode, struct file *filp)
{
	struct simio_dev *sdev =
		container_of(inode->i_cdev, struct simio_dev, cdev);
	struct simio_file *sf;
	int rc;

	sf = kzalloc(sizeof(*sf), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	/* Fails once del_device removed the device after our lookup */
	rc = simio_dev_open(sdev);
	if (rc) {
		kfree(sf);
		return rc;
	}
	sf->sdev = sdev;
	mutex_init(&sf->lock);
	xa_init(&sf->pasids);
	filp->private_data = sf;
	return nonseekable_open(inode, filp);
}

static int simio_cdev_release(struct inode *inode, struct file *filp)
{
	struct simio_file *sf = filp->private_data;
	struct simio_dev *sdev = sf->sdev;

	if (sf->idev) {
		/* Detaches the RID and every PASID, then drops the context */
		iofd_device_unbind(sf->idev);
		mutex_lock(&sdev->lock);
		sdev->idev = NULL;
		sdev->bound = NULL;
		mutex_unlock(&sdev->lock);
	}
	xa_destroy(&sf->pasids);
	mutex_destroy(&sf->lock);
	kfree(sf);
	simio_dev_close(sdev);
	return 0;
}

static const struct file_operations simio_cdev_fops = {
	.owner = THIS_MODULE,
	.open = simio_cdev_open,
	.release = simio_cdev_release,
	.unlocked_ioctl = simio_cdev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/* ------------------------------------------------------------------ */
/* Char device registration                                            */

/* The struct device is named "iommusimID-SID"; its node iommusim/ID-SID */
static char *simio_cdev_devnode(const struct device *dev, umode_t *mode,
				kuid_t *uid, kgid_t *gid)
{
	return kasprintf(GFP_KERNEL, "iommusim/%s",
			 dev_name(dev) + strlen("iommusim"));
}

static const struct device_type simio_cdev_type = {
	.name = "iommusim_dev",
	.devnode = simio_cdev_devnode,
};

int simio_cdev_add(struct simio_dev *sdev)
{
	int minor, rc;

	minor = ida_alloc_max(&simio_minor_ida, SIMIO_MINORS - 1, GFP_KERNEL);
	if (minor < 0)
		return minor;

	sdev->cdev_dev.devt = MKDEV(MAJOR(simio_devt), minor);
	sdev->cdev_dev.type = &simio_cdev_type;
	sdev->cdev_dev.parent = &sdev->iommu->dev;
	cdev_init(&sdev->cdev, &simio_cdev_fops);
	sdev->cdev.owner = THIS_MODULE;
	rc = cdev_device_add(&sdev->cdev, &sdev->cdev_dev);
	if (rc) {
		ida_free(&simio_minor_ida, minor);
		return rc;
	}
	return 0;
}

void simio_cdev_del(struct simio_dev *sdev)
{
	cdev_device_del(&sdev->cdev, &sdev->cdev_dev);
	ida_free(&simio_minor_ida, MINOR(sdev->cdev_dev.devt));
}

int simio_cdev_init(void)
{
	return alloc_chrdev_region(&simio_devt, 0, SIMIO_MINORS, "iommusim");
}

void simio_cdev_exit(void)
{
	unregister_chrdev_region(simio_devt, SIMIO_MINORS);
	ida_destroy(&simio_minor_ida);
}
