/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Driver ops: the only door between the iommufd core and IOMMU hardware
 * (the mock driver of the selftest interface, the simulated SMMUv3 and VT-d
 * instances, and later a bridge to the kernel's own IOMMU API).
 *
 * The core never looks inside a domain's page tables and the hardware never
 * looks inside core objects: everything crosses through these structs.
 * Exported core symbols carry the iofd_ prefix so this module can be built
 * against kernels that have upstream's iommufd built in.
 */
#ifndef __LINUX_IOMMUFD_OPS_H
#define __LINUX_IOMMUFD_OPS_H

#include <linux/bits.h>
#include <linux/types.h>
#include <linux/err.h>

struct iofd_domain;
struct iofd_hw_dev;
struct iommufd_ctx;
struct iommufd_device;
struct iommufd_access;
struct iofd_dirty;
struct file;
struct page;

/* IOPTE permissions handed to domain map */
#define IOFD_PROT_READ		BIT(0)
#define IOFD_PROT_WRITE		BIT(1)
#define IOFD_PROT_CACHE		BIT(2)	/* cache coherent (snoop) */

/* No PASID: the request-ID (or SSID 0 / RID_PASID) context of a device */
#define IOFD_NO_PASID		((u32)-1)

enum iofd_domain_type {
	IOFD_DOMAIN_PAGING = 1,
	IOFD_DOMAIN_NESTED = 2,
};

/* Flags of domain_alloc_paging, values equal to uAPI iommufd_hwpt_alloc_flags */
#define IOFD_ALLOC_NEST_PARENT		BIT(0)
#define IOFD_ALLOC_DIRTY_TRACKING	BIT(1)
#define IOFD_ALLOC_PASID		BIT(3)

/* Flags of read_and_clear_dirty, equal to IOMMU_HWPT_GET_DIRTY_BITMAP_* */
#define IOFD_DIRTY_NO_CLEAR		BIT(0)

/**
 * struct iofd_domain_ops - operations on one translation domain
 * @map: map [iova, iova + size) to [paddr, paddr + size). iova, paddr and size
 *	 are aligned to the smallest page size in the domain's pgsize_bitmap;
 *	 the driver may use any larger page size that fits. Returns 0 or -errno;
 *	 on failure nothing of this call remains mapped.
 * @unmap: unmap [iova, iova + size), which was mapped by earlier @map calls
 *	   (a range may cover several of them but never splits one large IOPTE
 *	   that the core did not map as a whole). Returns the bytes unmapped.
 *	   The driver invalidates its own IOTLB for the range before returning.
 * @iova_to_phys: translate one IOVA, 0 if unmapped.
 * @free: release the domain; called once no device is attached.
 * @iotlb_sync: optional. The core calls it after one or more @unmap calls
 *		that together cover [iova, iova + size), and before it unpins
 *		any page of that range: the driver invalidates every cached
 *		translation of the range (IOTLB, walk caches) and waits for
 *		DMA in flight through it. A driver without it must do the same
 *		inside @unmap. The core also calls it after every
 *		@read_and_clear_dirty without IOFD_DIRTY_NO_CLEAR (failed ones
 *		included), for the range read, so that cached "already dirty"
 *		state goes too; the driver need not flush there itself.
 * @set_dirty_tracking: optional (required when the domain was allocated
 *			with IOFD_ALLOC_DIRTY_TRACKING). Start or stop the
 *			hardware recording DMA writes in the page table.
 *			Enabling does not clear dirty state already present.
 * @read_and_clear_dirty: optional (same rule). For every dirty IOPTE in
 *			  [iova, iova + size) call iofd_dirty_record() with
 *			  the IOVA range the IOPTE maps, then clear its dirty
 *			  state unless @flags has IOFD_DIRTY_NO_CLEAR. Works
 *			  whether or not tracking is enabled (a disabled
 *			  tracker simply records nothing new). The core
 *			  serializes it against @map/@unmap of the range.
 */
struct iofd_domain_ops {
	int (*map)(struct iofd_domain *domain, unsigned long iova,
		   phys_addr_t paddr, size_t size, unsigned int prot,
		   gfp_t gfp);
	size_t (*unmap)(struct iofd_domain *domain, unsigned long iova,
			size_t size);
	phys_addr_t (*iova_to_phys)(struct iofd_domain *domain,
				    unsigned long iova);
	void (*free)(struct iofd_domain *domain);
	void (*iotlb_sync)(struct iofd_domain *domain, unsigned long iova,
			   size_t size);
	int (*set_dirty_tracking)(struct iofd_domain *domain, bool enable);
	int (*read_and_clear_dirty)(struct iofd_domain *domain,
				    unsigned long iova, size_t size,
				    unsigned int flags,
				    struct iofd_dirty *dirty);
};

/*
 * Report that [iova, iova + length) is dirty, from read_and_clear_dirty.
 * The core turns it into bits of the caller's bitmap (ranges outside the
 * request are clipped). Drivers must allow it to sleep; the core's
 * implementation only writes a kernel buffer (user memory is written
 * after the driver call returns) as long as the range overlaps the one
 * the driver was asked about.
 */
void iofd_dirty_record(struct iofd_dirty *dirty, unsigned long iova,
		       unsigned long length);

/**
 * struct iofd_domain - a hardware page table as the core sees it
 * @ops: driver operations
 * @owner: the device ops of the driver that made it; a domain can only be
 *	   attached to devices of the same driver
 * @type: enum iofd_domain_type
 * @pgsize_bitmap: page sizes the domain can map; the lowest is the IOVA
 *		   alignment the IOAS must keep
 * @aperture_start: first usable IOVA
 * @aperture_end: last usable IOVA (inclusive)
 * @nest_parent: may be used as stage 2 of nested domains
 * @dirty_tracking: was allocated with dirty tracking
 * @pasid_compat: was allocated with IOFD_ALLOC_PASID
 * @enforce_cache_coherency: every IOPTE is cache coherent
 *
 * The driver embeds this in its own domain struct.
 */
struct iofd_domain {
	const struct iofd_domain_ops *ops;
	const struct iofd_hw_dev_ops *owner;
	u32 type;
	unsigned long pgsize_bitmap;
	unsigned long aperture_start;
	unsigned long aperture_end;
	bool nest_parent;
	bool dirty_tracking;
	bool pasid_compat;
	bool enforce_cache_coherency;
};

/**
 * struct iofd_resv_region - an IOVA range a device can never use for DMA
 * @start: first IOVA
 * @last: last IOVA (inclusive)
 */
struct iofd_resv_region {
	unsigned long start;
	unsigned long last;
};

/**
 * struct iofd_hw_dev_ops - operations of a device behind an IOMMU instance
 * @domain_alloc_paging: allocate an empty paging domain for this device with
 *			 IOFD_ALLOC_* @flags; ERR_PTR(-EOPNOTSUPP) for flags
 *			 the hardware cannot do
 * @hw_info: return a kmalloc'ed blob describing the IOMMU behind the device
 *	     (upstream's iommu_hw_info_* formats); sets *length and *type
 *	     (enum iommu_hw_info_type). @type holds the requested type on entry
 *	     (IOMMU_HW_INFO_TYPE_DEFAULT for "the native one"). NULL op: no data.
 * @attach: make @domain (NULL: block all DMA) the translation of @pasid
 *	    (IOFD_NO_PASID: the RID) of the device. Called both for a first
 *	    attach and for a replace: the switch is atomic for DMA. -EINVAL
 *	    means "this domain is not compatible with this device", which the
 *	    core uses to look for or create another automatic domain.
 *	    Detach to NULL never fails.
 */
struct iofd_hw_dev_ops {
	void *(*hw_info)(struct iofd_hw_dev *dev, u32 *length, u32 *type);
	struct iofd_domain *(*domain_alloc_paging)(struct iofd_hw_dev *dev,
						   u32 flags);
	int (*attach)(struct iofd_hw_dev *dev, u32 pasid,
		      struct iofd_domain *domain);
};

/* iofd_hw_dev.flags */
#define IOFD_HW_DEV_DIRTY_TRACKING	BIT(0) /* can track dirty IOVAs */
#define IOFD_HW_DEV_CACHE_COHERENT	BIT(1) /* can enforce coherency */
#define IOFD_HW_DEV_PASID_EXEC		BIT(2) /* PCI PASID Execute permission */
#define IOFD_HW_DEV_PASID_PRIV		BIT(3) /* PCI PASID Privileged mode */

/**
 * struct iofd_hw_dev - a DMA-capable device as its IOMMU driver presents it
 * @ops: driver ops; also the identity of the driver for domain compatibility
 * @name: for messages
 * @flags: IOFD_HW_DEV_*
 * @max_pasid_log2: PASID width, 0 for none
 * @resv: IOVA ranges the device cannot use (MSI windows and the like)
 * @nr_resv: entries in @resv
 *
 * Owned and allocated by the driver; must stay valid until unbound.
 */
struct iofd_hw_dev {
	const struct iofd_hw_dev_ops *ops;
	const char *name;
	u32 flags;
	u32 max_pasid_log2;
	const struct iofd_resv_region *resv;
	unsigned int nr_resv;
};

/* Binding a device to an iommufd context: what VFIO's cdev does */
struct iommufd_ctx *iofd_ctx_from_file(struct file *file);
struct iommufd_ctx *iofd_ctx_from_fd(int fd);
void iofd_ctx_put(struct iommufd_ctx *ictx);

struct iommufd_device *iofd_device_bind(struct iommufd_ctx *ictx,
					struct iofd_hw_dev *hwdev, u32 *id);
void iofd_device_unbind(struct iommufd_device *idev);
int iofd_device_attach(struct iommufd_device *idev, u32 pasid, u32 *pt_id);
int iofd_device_replace(struct iommufd_device *idev, u32 pasid, u32 *pt_id);
void iofd_device_detach(struct iommufd_device *idev, u32 pasid);

/* In-kernel access to an IOAS, for emulated devices (mdev-style) */
struct iommufd_access_ops {
	u8 needs_pin_pages : 1;
	/*
	 * The IOAS is unmapping [iova, iova + length): the access must stop
	 * using and unpin every page of it before returning.
	 */
	void (*unmap)(void *data, unsigned long iova, unsigned long length);
};

/* iofd_access_rw() flags */
#define IOFD_ACCESS_RW_READ		0
#define IOFD_ACCESS_RW_WRITE		BIT(0)
#define IOFD_ACCESS_RW_KTHREAD		BIT(1) /* not from a user context */

struct iommufd_access *
iofd_access_create(struct iommufd_ctx *ictx,
		   const struct iommufd_access_ops *ops, void *data, u32 *id);
void iofd_access_destroy(struct iommufd_access *access);
int iofd_access_attach(struct iommufd_access *access, u32 ioas_id);
int iofd_access_replace(struct iommufd_access *access, u32 ioas_id);
void iofd_access_detach(struct iommufd_access *access);
int iofd_access_pin_pages(struct iommufd_access *access, unsigned long iova,
			  unsigned long length, struct page **out_pages,
			  unsigned int flags);
void iofd_access_unpin_pages(struct iommufd_access *access,
			     unsigned long iova, unsigned long length);
int iofd_access_rw(struct iommufd_access *access, unsigned long iova,
		   void *data, size_t len, unsigned int flags);

#endif
