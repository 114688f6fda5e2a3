// SPDX-License-Identifier: GPL-2.0-only
/*
 * The iommusim bus: simulated IOMMU instances and the devices behind them,
 * created and removed at run time through sysfs (see the top comment of
 * include/uapi/linux/iommusim.h for the file formats).
 *
 * Two locks, so that removing a struct device never waits for a sysfs
 * writer that waits for the lock held by the remover:
 *  - simio_bus_lock serializes the bus files (new_iommu, del_iommu) and
 *    module exit. It is held across device_add()/device_unregister() of an
 *    instance; no file of an instance takes it.
 *  - simio_lock serializes the instance files (new_device, del_device)
 *    with the char devices' open() and with the bus paths' check that an
 *    instance has no devices left. It is never held while an instance's
 *    own device is added or removed (that drains the instance's files),
 *    only while a char device's struct device is.
 * The instance xarray changes only under both locks, so holding either
 * one is enough to read it.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "iommusim.h"

#define SIMIO_MAX_ID		255
#define SIMIO_MAX_SID		65535
#define SIMIO_MAX_PASID_BITS	20
#define SIMIO_MAX_TLB		65536

static DEFINE_MUTEX(simio_bus_lock);
static DEFINE_MUTEX(simio_lock);
/* Registered instances by ID */
static DEFINE_XARRAY(simio_iommus);
/* Module exit has begun: the bus files refuse new instances */
static bool simio_exiting;

static const struct simio_family_ops *const simio_families[] = {
	&simio_smmuv3_ops,
	&simio_vtd_ops,
};

static const struct bus_type simio_bus;

static struct simio_iommu *to_simio_iommu(struct device *dev)
{
	return container_of(dev, struct simio_iommu, dev);
}

void simio_dma_quiesce(struct simio_iommu *iommu)
{
	/* Every DMA holds the read side for one translate + copy */
	down_write(&iommu->dma_sem);
	up_write(&iommu->dma_sem);
}

void simio_iommu_get(struct simio_iommu *iommu)
{
	__module_get(THIS_MODULE);
	get_device(&iommu->dev);
}

void simio_iommu_put(struct simio_iommu *iommu)
{
	/* The release (module code) runs inside put_device(), before this */
	put_device(&iommu->dev);
	module_put(THIS_MODULE);
}

/* ------------------------------------------------------------------ */
/* "KEY=VAL" parsing shared by new_iommu and new_device                 */

struct simio_opt {
	const char *key;
	unsigned int min;
	unsigned int max;
	unsigned int *val;
};

/* The next blank-separated word of *@cur, or NULL at the end */
static char *simio_next_word(char **cur)
{
	char *word;

	do {
		word = strsep(cur, " \t\n");
	} while (word && !*word);
	return word;
}

static int simio_parse_uint(const char *s, unsigned int min, unsigned int max,
			    unsigned int *out)
{
	unsigned int v;

	if (kstrtouint(s, 10, &v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A write that is one number in [0, @max] and nothing else (del_*) */
static int simio_parse_lone_uint(const char *buf, size_t count,
				 unsigned int max, unsigned int *out)
{
	char *copy, *cur, *word;
	int rc = -EINVAL;

	copy = kstrndup(buf, count, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	word = simio_next_word(&cur);
	if (word && !simio_parse_uint(word, 0, max, out) &&
	    !simio_next_word(&cur))
		rc = 0;
	kfree(copy);
	return rc;
}

/* Every remaining word must be one of @opts as KEY=VAL */
static int simio_parse_opts(char **cur, const struct simio_opt *opts,
			    size_t nr)
{
	char *word;

	while ((word = simio_next_word(cur))) {
		char *val = strchr(word, '=');
		size_t i;

		if (!val)
			return -EINVAL;
		*val++ = '\0';
		for (i = 0; i < nr; i++)
			if (!strcmp(word, opts[i].key))
				break;
		if (i == nr)
			return -EINVAL;
		if (simio_parse_uint(val, opts[i].min, opts[i].max,
				     opts[i].val))
			return -EINVAL;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Devices                                                             */

static void simio_sdev_release(struct device *dev)
{
	struct simio_dev *sdev = container_of(dev, struct simio_dev, cdev_dev);

	mutex_destroy(&sdev->lock);
	kfree(sdev);
}

/* True while @iommu is registered and not being removed */
static bool simio_iommu_live(struct simio_iommu *iommu)
{
	lockdep_assert_held(&simio_lock);
	return xa_load(&simio_iommus, iommu->id) == iommu;
}

static int simio_dev_create(struct simio_iommu *iommu, u32 sid,
			    unsigned int pasid_bits, bool ats, bool pri)
{
	struct simio_dev *sdev;
	int rc;

	lockdep_assert_held(&simio_lock);

	if (!simio_iommu_live(iommu))
		return -ENODEV;
	if (xa_load(&iommu->devs, sid))
		return -EEXIST;

	sdev = kzalloc(sizeof(*sdev), GFP_KERNEL);
	if (!sdev)
		return -ENOMEM;
	sdev->iommu = iommu;
	sdev->sid = sid;
	sdev->pasid_bits = min(pasid_bits, iommu->caps.pasid_bits);
	sdev->ats = ats;
	sdev->pri = pri;
	mutex_init(&sdev->lock);

	/* From here on the struct goes away with its last reference */
	device_initialize(&sdev->cdev_dev);
	sdev->cdev_dev.release = simio_sdev_release;
	rc = dev_set_name(&sdev->cdev_dev, "iommusim%u-%u", iommu->id, sid);
	if (rc)
		goto out_put;

	sdev->hw.ops = &simio_hw_dev_ops;
	sdev->hw.name = dev_name(&sdev->cdev_dev);
	sdev->hw.max_pasid_log2 = sdev->pasid_bits;
	sdev->hw.flags = IOFD_HW_DEV_CACHE_COHERENT;
	if (iommu->caps.dirty)
		sdev->hw.flags |= IOFD_HW_DEV_DIRTY_TRACKING;

	rc = iommu->fam->dev_init(sdev);
	if (rc)
		goto out_put;

	mutex_lock(&iommu->lock);
	rc = xa_insert(&iommu->devs, sid, sdev, GFP_KERNEL);
	mutex_unlock(&iommu->lock);
	if (rc)
		goto out_fini;

	rc = simio_cdev_add(sdev);
	if (rc)
		goto out_erase;
	return 0;

out_erase:
	mutex_lock(&iommu->lock);
	xa_erase(&iommu->devs, sid);
	mutex_unlock(&iommu->lock);
out_fini:
	iommu->fam->dev_fini(sdev);
out_put:
	put_device(&sdev->cdev_dev);
	return rc;
}

/* The device is not open (so not bound, attached nowhere) */
static void simio_dev_remove(struct simio_dev *sdev)
{
	struct simio_iommu *iommu = sdev->iommu;

	lockdep_assert_held(&simio_lock);
	WARN_ON(sdev->open_count);

	mutex_lock(&iommu->lock);
	xa_erase(&iommu->devs, sdev->sid);
	mutex_unlock(&iommu->lock);
	/* No new open() finds it; one already past the lookup sees NULL */
	simio_cdev_del(sdev);
	iommu->fam->dev_fini(sdev);
	sdev->iommu = NULL;
	put_device(&sdev->cdev_dev);
}

int simio_dev_open(struct simio_dev *sdev)
{
	int rc = 0;

	mutex_lock(&simio_lock);
	if (sdev->iommu)
		sdev->open_count++;
	else
		rc = -ENODEV;
	mutex_unlock(&simio_lock);
	return rc;
}

void simio_dev_close(struct simio_dev *sdev)
{
	mutex_lock(&simio_lock);
	WARN_ON(!sdev->open_count);
	sdev->open_count--;
	mutex_unlock(&simio_lock);
}

/* ------------------------------------------------------------------ */
/* Instance attributes                                                 */

static ssize_t new_device_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct simio_iommu *iommu = to_simio_iommu(dev);
	unsigned int sid, pasid_bits = SIMIO_MAX_PASID_BITS;
	unsigned int ats = iommu->caps.ats, pri = iommu->caps.pri;
	const struct simio_opt opts[] = {
		{ "pasid_bits", 0, SIMIO_MAX_PASID_BITS, &pasid_bits },
		{ "ats", 0, 1, &ats },
		{ "pri", 0, 1, &pri },
	};
	char *copy, *cur, *word;
	int rc;

	copy = kstrndup(buf, count, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	word = simio_next_word(&cur);
	rc = -EINVAL;
	if (!word || simio_parse_uint(word, 0, SIMIO_MAX_SID, &sid))
		goto out_free;
	rc = simio_parse_opts(&cur, opts, ARRAY_SIZE(opts));
	if (rc)
		goto out_free;

	mutex_lock(&simio_lock);
	rc = simio_dev_create(iommu, sid, pasid_bits, ats, pri);
	mutex_unlock(&simio_lock);
out_free:
	kfree(copy);
	return rc ? rc : count;
}
static DEVICE_ATTR_WO(new_device);

static ssize_t del_device_store(struct device *dev,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct simio_iommu *iommu = to_simio_iommu(dev);
	struct simio_dev *sdev;
	unsigned int sid;
	int rc;

	rc = simio_parse_lone_uint(buf, count, SIMIO_MAX_SID, &sid);
	if (rc)
		return rc;

	mutex_lock(&simio_lock);
	sdev = xa_load(&iommu->devs, sid);
	if (!sdev) {
		rc = -ENOENT;
	} else if (sdev->open_count) {
		rc = -EBUSY;
	} else {
		simio_dev_remove(sdev);
		rc = 0;
	}
	mutex_unlock(&simio_lock);
	return rc ? rc : count;
}
static DEVICE_ATTR_WO(del_device);

static ssize_t type_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", to_simio_iommu(dev)->fam->name);
}
static DEVICE_ATTR_RO(type);

static ssize_t caps_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	struct simio_iommu *iommu = to_simio_iommu(dev);

	return iommu->fam->show_caps(iommu, buf);
}
static DEVICE_ATTR_RO(caps);

static struct attribute *simio_iommu_attrs[] = {
	&dev_attr_new_device.attr,
	&dev_attr_del_device.attr,
	&dev_attr_type.attr,
	&dev_attr_caps.attr,
	NULL,
};
ATTRIBUTE_GROUPS(simio_iommu);

/* ------------------------------------------------------------------ */
/* Instances                                                           */

/* The last reference is gone: no device, no domain uses the instance */
static void simio_iommu_release(struct device *dev)
{
	struct simio_iommu *iommu = to_simio_iommu(dev);

	iommu->fam->fini(iommu);
	WARN_ON(!xa_empty(&iommu->devs));
	xa_destroy(&iommu->devs);
	mutex_destroy(&iommu->lock);
	kfree(iommu);
}

static const struct simio_family_ops *simio_family(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(simio_families); i++)
		if (!strcmp(simio_families[i]->name, name))
			return simio_families[i];
	return NULL;
}

static int simio_iommu_create(u32 id, const struct simio_family_ops *fam,
			      const struct simio_caps *caps)
{
	struct simio_iommu *iommu;
	int rc;

	lockdep_assert_held(&simio_bus_lock);

	if (simio_exiting)
		return -ENODEV;
	if (xa_load(&simio_iommus, id))
		return -EEXIST;

	iommu = kzalloc(sizeof(*iommu), GFP_KERNEL);
	if (!iommu)
		return -ENOMEM;
	iommu->id = id;
	iommu->fam = fam;
	iommu->caps = *caps;
	init_rwsem(&iommu->dma_sem);
	mutex_init(&iommu->lock);
	xa_init(&iommu->devs);

	rc = fam->init(iommu);
	if (rc) {
		xa_destroy(&iommu->devs);
		mutex_destroy(&iommu->lock);
		kfree(iommu);
		return rc;
	}

	/* From here on the release undoes everything above */
	device_initialize(&iommu->dev);
	iommu->dev.bus = &simio_bus;
	iommu->dev.groups = simio_iommu_groups;
	iommu->dev.release = simio_iommu_release;
	rc = dev_set_name(&iommu->dev, "iommusim%u", id);
	if (rc)
		goto out_put;
	rc = device_add(&iommu->dev);
	if (rc)
		goto out_put;

	mutex_lock(&simio_lock);
	rc = xa_insert(&simio_iommus, id, iommu, GFP_KERNEL);
	mutex_unlock(&simio_lock);
	if (rc) {
		device_del(&iommu->dev);
		goto out_put;
	}
	return 0;

out_put:
	put_device(&iommu->dev);
	return rc;
}

/*
 * Unregister @iommu. With @force (module exit) its devices go first, else
 * -EBUSY while it has any. The memory stays while domains hold it.
 */
static int simio_iommu_remove(struct simio_iommu *iommu, bool force)
{
	struct simio_dev *sdev;
	unsigned long sid;

	lockdep_assert_held(&simio_bus_lock);

	mutex_lock(&simio_lock);
	if (force) {
		xa_for_each(&iommu->devs, sid, sdev)
			simio_dev_remove(sdev);
	} else if (!xa_empty(&iommu->devs)) {
		mutex_unlock(&simio_lock);
		return -EBUSY;
	}
	/* new_device on it fails from now on */
	xa_erase(&simio_iommus, iommu->id);
	mutex_unlock(&simio_lock);

	/* Waits for its sysfs writers, which do not take simio_bus_lock */
	device_unregister(&iommu->dev);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Bus attributes                                                      */

static ssize_t new_iommu_store(const struct bus_type *bus, const char *buf,
			       size_t count)
{
	struct simio_caps caps = {};
	unsigned int id, s1 = 1, s2 = 1, dirty = 1, ats = 1, pri = 1;
	const struct simio_opt opts[] = {
		{ "s1", 0, 1, &s1 },
		{ "s2", 0, 1, &s2 },
		{ "pasid_bits", 0, SIMIO_MAX_PASID_BITS, &caps.pasid_bits },
		{ "dirty", 0, 1, &dirty },
		{ "ats", 0, 1, &ats },
		{ "pri", 0, 1, &pri },
		{ "ias", 1, 64, &caps.ias },
		{ "oas", 1, 64, &caps.oas },
		{ "tlb", 1, SIMIO_MAX_TLB, &caps.tlb_entries },
	};
	const struct simio_family_ops *fam;
	char *copy, *cur, *word;
	int rc;

	caps.pasid_bits = SIMIO_MAX_PASID_BITS;
	caps.ias = 48;
	caps.oas = 48;
	caps.tlb_entries = 512;

	copy = kstrndup(buf, count, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	rc = -EINVAL;
	word = simio_next_word(&cur);
	if (!word || simio_parse_uint(word, 0, SIMIO_MAX_ID, &id))
		goto out_free;
	word = simio_next_word(&cur);
	fam = word ? simio_family(word) : NULL;
	if (!fam)
		goto out_free;
	rc = simio_parse_opts(&cur, opts, ARRAY_SIZE(opts));
	if (rc)
		goto out_free;
	caps.s1 = s1;
	caps.s2 = s2;
	caps.dirty = dirty;
	caps.ats = ats;
	caps.pri = pri;
	rc = -EINVAL;
	if (!caps.s1 && !caps.s2)
		goto out_free;

	mutex_lock(&simio_bus_lock);
	rc = simio_iommu_create(id, fam, &caps);
	mutex_unlock(&simio_bus_lock);
out_free:
	kfree(copy);
	return rc ? rc : count;
}
static BUS_ATTR_WO(new_iommu);

static ssize_t del_iommu_store(const struct bus_type *bus, const char *buf,
			       size_t count)
{
	struct simio_iommu *iommu;
	unsigned int id;
	int rc;

	rc = simio_parse_lone_uint(buf, count, SIMIO_MAX_ID, &id);
	if (rc)
		return rc;

	mutex_lock(&simio_bus_lock);
	iommu = xa_load(&simio_iommus, id);
	rc = iommu ? simio_iommu_remove(iommu, false) : -ENOENT;
	mutex_unlock(&simio_bus_lock);
	return rc ? rc : count;
}
static BUS_ATTR_WO(del_iommu);

static struct attribute *simio_bus_attrs[] = {
	&bus_attr_new_iommu.attr,
	&bus_attr_del_iommu.attr,
	NULL,
};
ATTRIBUTE_GROUPS(simio_bus);

static const struct bus_type simio_bus = {
	.name = "iommusim",
	.bus_groups = simio_bus_groups,
};

/* ------------------------------------------------------------------ */
/* Module                                                              */

static int __init simio_init(void)
{
	int rc;

	rc = simio_cdev_init();
	if (rc)
		return rc;
	rc = bus_register(&simio_bus);
	if (rc)
		simio_cdev_exit();
	return rc;
}

static void __exit simio_exit(void)
{
	struct simio_iommu *iommu;
	unsigned long id;

	/*
	 * No char device is open (an open file holds the module) and no
	 * domain exists (each holds the module too): removing every
	 * instance frees everything.
	 */
	mutex_lock(&simio_bus_lock);
	simio_exiting = true;
	xa_for_each(&simio_iommus, id, iommu)
		WARN_ON(simio_iommu_remove(iommu, true));
	mutex_unlock(&simio_bus_lock);

	bus_unregister(&simio_bus);
	xa_destroy(&simio_iommus);
	simio_cdev_exit();
}

module_init(simio_init);
module_exit(simio_exit);

MODULE_DESCRIPTION("iommusim: simulated SMMUv3 and VT-d IOMMUs and DMA devices for iommufd");
MODULE_LICENSE("GPL");
