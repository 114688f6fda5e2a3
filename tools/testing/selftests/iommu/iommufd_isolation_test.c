// SPDX-License-Identifier: GPL-2.0-only
/*
 * Isolation between iommufd files and towards the kernel:
 *
 *  - cross_fd: an object ID handed out by one /dev/iommu file names nothing
 *    in another. For every kind of object the module creates and for every
 *    request field that takes an ID (core ioctls and IOMMU_TEST_CMD ops),
 *    the ID of file A used on file B, whose other fields are valid in B,
 *    gives ENOENT, and A's objects are untouched afterwards. File A's IDs
 *    are pushed above every ID B has, so "not found" is the only right
 *    answer. A request the module does not implement yet (it answers the
 *    same errno for B's own, valid ID) is logged as not applicable.
 *  - no_kernel_pointers: every output of every request we can drive (the
 *    structures, the arrays they point to, the VFIO info chain, ioctl
 *    return values) is scanned for values that look like kernel addresses:
 *    the top 16 bits all ones, which on x86-64 covers the direct map,
 *    vmalloc, vmemmap, modules and the kernel image. Bytes past the size
 *    the caller gave must stay untouched.
 *  - unload: delete_module(2) of iommufd_core is refused while a /dev/iommu
 *    file or only a file the module handed out (an access) is open, and
 *    succeeds once all are closed; then the modules are loaded again from
 *    the copies the VM's /init has in /modules (the modules that depend on
 *    the core first out, last back in), so the suites after this one find
 *    the system as it was. The reload runs in the parent of the test, even
 *    when a check fails.
 */
#include "iofd_test_util.h"

#include <dirent.h>
#include <linux/vfio.h>
#include <sys/stat.h>

#include "../../../../include/uapi/linux/iommusim.h"

#define P(n) ((__u64)(n) * iofd_psize)

/* ---- cross-file IDs ------------------------------------------------------- */

/* What file B holds, so a request is valid there except for the slot */
struct bside {
	int fd;
	__u32 ioas, ioas2, stdev, hwpt, idev;
	int access_fd;
	char *buf;
	__u64 iova;
};

/*
 * A request field that takes an object ID. fill() writes a request that is
 * valid on file B and puts @id into the field under test; it returns the
 * request code.
 */
struct id_slot {
	const char *name;
	unsigned long (*fill)(const struct bside *b, void *arg, __u32 id);
	int err;	/* what an unknown ID gives; 0 means ENOENT */
};

#define SLOT(nm) \
	static unsigned long fill_##nm(const struct bside *b, void *arg, \
				       __u32 id)

SLOT(destroy)
{
	struct iommu_destroy *c = arg;

	c->size = sizeof(*c);
	c->id = id;
	return IOMMU_DESTROY;
}

SLOT(allow_iovas)
{
	static struct iommu_iova_range r = { MOCK_APERTURE_START,
					     MOCK_APERTURE_LAST };
	struct iommu_ioas_allow_iovas *c = arg;

	c->size = sizeof(*c);
	c->ioas_id = id;
	c->num_iovas = 1;
	c->allowed_iovas = (uintptr_t)&r;
	return IOMMU_IOAS_ALLOW_IOVAS;
}

SLOT(copy_dst)
{
	struct iommu_ioas_copy *c = arg;

	c->size = sizeof(*c);
	c->flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW;
	c->dst_ioas_id = id;
	c->src_ioas_id = b->ioas;
	c->length = P(4);
	c->src_iova = b->iova;
	c->dst_iova = MOCK_APERTURE_START + P(512);
	return IOMMU_IOAS_COPY;
}

SLOT(copy_src)
{
	struct iommu_ioas_copy *c = arg;

	c->size = sizeof(*c);
	c->flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW;
	c->dst_ioas_id = b->ioas2;
	c->src_ioas_id = id;
	c->length = P(4);
	c->src_iova = b->iova;
	c->dst_iova = MOCK_APERTURE_START + P(512);
	return IOMMU_IOAS_COPY;
}

SLOT(iova_ranges)
{
	static struct iommu_iova_range r[4];
	struct iommu_ioas_iova_ranges *c = arg;

	c->size = sizeof(*c);
	c->ioas_id = id;
	c->num_iovas = 4;
	c->allowed_iovas = (uintptr_t)r;
	return IOMMU_IOAS_IOVA_RANGES;
}

SLOT(map)
{
	struct iommu_ioas_map *c = arg;

	c->size = sizeof(*c);
	c->flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW;
	c->ioas_id = id;
	c->user_va = (uintptr_t)b->buf;
	c->length = P(4);
	c->iova = MOCK_APERTURE_START + P(1024);
	return IOMMU_IOAS_MAP;
}

SLOT(unmap)
{
	struct iommu_ioas_unmap *c = arg;

	c->size = sizeof(*c);
	c->ioas_id = id;
	c->iova = 0;
	c->length = UINT64_MAX;
	return IOMMU_IOAS_UNMAP;
}

SLOT(option)
{
	struct iommu_option *c = arg;

	c->size = sizeof(*c);
	c->option_id = IOMMU_OPTION_HUGE_PAGES;
	c->op = IOMMU_OPTION_OP_GET;
	c->object_id = id;
	return IOMMU_OPTION;
}

SLOT(vfio_ioas)
{
	struct iommu_vfio_ioas *c = arg;

	c->size = sizeof(*c);
	c->op = IOMMU_VFIO_IOAS_SET;
	c->ioas_id = id;
	return IOMMU_VFIO_IOAS;
}

SLOT(hwpt_dev)
{
	struct iommu_hwpt_alloc *c = arg;

	c->size = sizeof(*c);
	c->dev_id = id;
	c->pt_id = b->ioas;
	return IOMMU_HWPT_ALLOC;
}

SLOT(hwpt_pt)
{
	struct iommu_hwpt_alloc *c = arg;

	c->size = sizeof(*c);
	c->dev_id = b->idev;
	c->pt_id = id;
	return IOMMU_HWPT_ALLOC;
}

SLOT(hwpt_fault)
{
	struct iommu_hwpt_alloc *c = arg;

	c->size = sizeof(*c);
	c->flags = IOMMU_HWPT_FAULT_ID_VALID;
	c->dev_id = b->idev;
	c->pt_id = b->ioas;
	c->fault_id = id;
	return IOMMU_HWPT_ALLOC;
}

SLOT(hw_info)
{
	static __u8 data[64];
	struct iommu_hw_info *c = arg;

	c->size = sizeof(*c);
	c->dev_id = id;
	c->data_len = sizeof(data);
	c->data_uptr = (uintptr_t)data;
	return IOMMU_GET_HW_INFO;
}

SLOT(set_dirty)
{
	struct iommu_hwpt_set_dirty_tracking *c = arg;

	c->size = sizeof(*c);
	c->hwpt_id = id;
	return IOMMU_HWPT_SET_DIRTY_TRACKING;
}

SLOT(get_dirty)
{
	static __u64 bitmap[8];
	struct iommu_hwpt_get_dirty_bitmap *c = arg;

	c->size = sizeof(*c);
	c->hwpt_id = id;
	c->iova = b->iova;
	c->length = P(4);
	c->page_size = iofd_psize;
	c->data = (uintptr_t)bitmap;
	return IOMMU_HWPT_GET_DIRTY_BITMAP;
}

SLOT(invalidate)
{
	struct iommu_hwpt_invalidate *c = arg;

	c->size = sizeof(*c);
	c->hwpt_id = id;
	c->data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST;
	c->entry_len = sizeof(struct iommu_hwpt_invalidate_selftest);
	c->entry_num = 0;
	return IOMMU_HWPT_INVALIDATE;
}

SLOT(map_file)
{
	struct iommu_ioas_map_file *c = arg;
	static int memfd = -1;

	if (memfd < 0) {
		memfd = memfd_create("iso", 0);
		if (memfd >= 0 && ftruncate(memfd, P(16)))
			memfd = -1;
	}
	c->size = sizeof(*c);
	c->flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW;
	c->ioas_id = id;
	c->fd = memfd;
	c->length = P(4);
	c->iova = MOCK_APERTURE_START + P(2048);
	return IOMMU_IOAS_MAP_FILE;
}

SLOT(viommu_dev)
{
	struct iommu_viommu_alloc *c = arg;

	c->size = sizeof(*c);
	c->type = IOMMU_VIOMMU_TYPE_SELFTEST;
	c->dev_id = id;
	c->hwpt_id = b->hwpt;
	return IOMMU_VIOMMU_ALLOC;
}

SLOT(viommu_hwpt)
{
	struct iommu_viommu_alloc *c = arg;

	c->size = sizeof(*c);
	c->type = IOMMU_VIOMMU_TYPE_SELFTEST;
	c->dev_id = b->idev;
	c->hwpt_id = id;
	return IOMMU_VIOMMU_ALLOC;
}

SLOT(vdev_viommu)
{
	struct iommu_vdevice_alloc *c = arg;

	c->size = sizeof(*c);
	c->viommu_id = id;
	c->dev_id = b->idev;
	c->virt_id = 1;
	return IOMMU_VDEVICE_ALLOC;
}

SLOT(vdev_dev)
{
	struct iommu_vdevice_alloc *c = arg;

	c->size = sizeof(*c);
	c->viommu_id = 0;
	c->dev_id = id;
	c->virt_id = 1;
	return IOMMU_VDEVICE_ALLOC;
}

SLOT(veventq)
{
	struct iommu_veventq_alloc *c = arg;

	c->size = sizeof(*c);
	c->viommu_id = id;
	c->type = IOMMU_VEVENTQ_TYPE_SELFTEST;
	c->veventq_depth = 2;
	return IOMMU_VEVENTQ_ALLOC;
}

SLOT(hw_queue)
{
	struct iommu_hw_queue_alloc *c = arg;

	c->size = sizeof(*c);
	c->viommu_id = id;
	c->type = IOMMU_HW_QUEUE_TYPE_SELFTEST;
	c->nesting_parent_iova = b->iova;
	c->length = iofd_psize;
	return IOMMU_HW_QUEUE_ALLOC;
}

/* IOMMU_TEST_CMD ops: @op with the ID in cmd.id or a union member */
static unsigned long test_cmd(void *arg, __u32 op, __u32 id)
{
	struct iommu_test_cmd *c = arg;

	c->size = sizeof(*c);
	c->op = op;
	c->id = id;
	return IOMMU_TEST_CMD;
}

SLOT(t_add_reserved)
{
	struct iommu_test_cmd *c = arg;

	c->add_reserved.start = MOCK_APERTURE_START + P(4096);
	c->add_reserved.length = P(1);
	return test_cmd(arg, IOMMU_TEST_OP_ADD_RESERVED, id);
}

SLOT(t_mock_domain)
{
	return test_cmd(arg, IOMMU_TEST_OP_MOCK_DOMAIN, id);
}

SLOT(t_mock_domain_flags)
{
	struct iommu_test_cmd *c = arg;

	c->mock_domain_flags.dev_flags = MOCK_FLAGS_DEVICE_NO_DIRTY;
	return test_cmd(arg, IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS, id);
}

SLOT(t_replace_dev)
{
	struct iommu_test_cmd *c = arg;

	c->mock_domain_replace.pt_id = b->ioas;
	return test_cmd(arg, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, id);
}

SLOT(t_replace_pt)
{
	struct iommu_test_cmd *c = arg;

	c->mock_domain_replace.pt_id = id;
	return test_cmd(arg, IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, b->stdev);
}

SLOT(t_check_map)
{
	struct iommu_test_cmd *c = arg;

	c->check_map.iova = b->iova;
	c->check_map.length = P(4);
	c->check_map.uptr = (uintptr_t)b->buf;
	return test_cmd(arg, IOMMU_TEST_OP_MD_CHECK_MAP, id);
}

SLOT(t_create_access)
{
	return test_cmd(arg, IOMMU_TEST_OP_CREATE_ACCESS, id);
}

SLOT(t_access_replace)
{
	struct iommu_test_cmd *c = arg;

	c->access_replace_ioas.ioas_id = id;
	return test_cmd(arg, IOMMU_TEST_OP_ACCESS_REPLACE_IOAS, b->access_fd);
}

SLOT(t_dirty)
{
	static __u64 bitmap[8];
	struct iommu_test_cmd *c = arg;

	c->dirty.iova = b->iova;
	c->dirty.length = P(4);
	c->dirty.page_size = iofd_psize;
	c->dirty.uptr = (uintptr_t)bitmap;
	return test_cmd(arg, IOMMU_TEST_OP_DIRTY, id);
}

SLOT(t_check_iotlb)
{
	struct iommu_test_cmd *c = arg;

	c->check_iotlb.iotlb = IOMMU_TEST_IOTLB_DEFAULT;
	return test_cmd(arg, IOMMU_TEST_OP_MD_CHECK_IOTLB, id);
}

SLOT(t_trigger_iopf)
{
	struct iommu_test_cmd *c = arg;

	test_cmd(arg, IOMMU_TEST_OP_TRIGGER_IOPF, 0);
	c->trigger_iopf.dev_id = id;
	c->trigger_iopf.addr = b->iova;
	return IOMMU_TEST_CMD;
}

SLOT(t_check_cache)
{
	struct iommu_test_cmd *c = arg;

	c->check_dev_cache.cache = IOMMU_TEST_DEV_CACHE_DEFAULT;
	return test_cmd(arg, IOMMU_TEST_OP_DEV_CHECK_CACHE, id);
}

SLOT(t_trigger_vevent)
{
	struct iommu_test_cmd *c = arg;

	test_cmd(arg, IOMMU_TEST_OP_TRIGGER_VEVENT, 0);
	c->trigger_vevent.dev_id = id;
	return IOMMU_TEST_CMD;
}

SLOT(t_pasid_attach_dev)
{
	struct iommu_test_cmd *c = arg;

	c->pasid_attach.pasid = 1;
	c->pasid_attach.pt_id = b->ioas;
	return test_cmd(arg, IOMMU_TEST_OP_PASID_ATTACH, id);
}

SLOT(t_pasid_attach_pt)
{
	struct iommu_test_cmd *c = arg;

	c->pasid_attach.pasid = 1;
	c->pasid_attach.pt_id = id;
	return test_cmd(arg, IOMMU_TEST_OP_PASID_ATTACH, b->stdev);
}

SLOT(t_pasid_replace_dev)
{
	struct iommu_test_cmd *c = arg;

	c->pasid_replace.pasid = 1;
	c->pasid_replace.pt_id = b->ioas;
	return test_cmd(arg, IOMMU_TEST_OP_PASID_REPLACE, id);
}

SLOT(t_pasid_replace_pt)
{
	struct iommu_test_cmd *c = arg;

	c->pasid_replace.pasid = 1;
	c->pasid_replace.pt_id = id;
	return test_cmd(arg, IOMMU_TEST_OP_PASID_REPLACE, b->stdev);
}

SLOT(t_pasid_detach)
{
	struct iommu_test_cmd *c = arg;

	c->pasid_detach.pasid = 1;
	return test_cmd(arg, IOMMU_TEST_OP_PASID_DETACH, id);
}

SLOT(t_pasid_check_dev)
{
	struct iommu_test_cmd *c = arg;

	c->pasid_check.pasid = 1;
	c->pasid_check.hwpt_id = b->hwpt;
	return test_cmd(arg, IOMMU_TEST_OP_PASID_CHECK_HWPT, id);
}

SLOT(t_pasid_check_hwpt)
{
	struct iommu_test_cmd *c = arg;

	c->pasid_check.pasid = 1;
	c->pasid_check.hwpt_id = id;
	return test_cmd(arg, IOMMU_TEST_OP_PASID_CHECK_HWPT, b->stdev);
}

#define S(nm) { #nm, fill_##nm, 0 }
static const struct id_slot id_slots[] = {
	S(destroy), S(allow_iovas), S(copy_dst), S(copy_src), S(iova_ranges),
	S(map), S(unmap), S(option), S(vfio_ioas), S(hwpt_dev),
	/* upstream ABI: a pt_id that names nothing usable is EINVAL */
	{ "hwpt_pt", fill_hwpt_pt, EINVAL },
	S(hwpt_fault), S(hw_info), S(set_dirty), S(get_dirty), S(invalidate),
	S(map_file), S(viommu_dev), S(viommu_hwpt), S(vdev_viommu),
	S(vdev_dev), S(veventq), S(hw_queue), S(t_add_reserved),
	S(t_mock_domain), S(t_mock_domain_flags), S(t_replace_dev),
	S(t_replace_pt), S(t_check_map), S(t_create_access),
	S(t_access_replace), S(t_dirty), S(t_check_iotlb), S(t_trigger_iopf),
	S(t_check_cache), S(t_trigger_vevent), S(t_pasid_attach_dev),
	S(t_pasid_attach_pt), S(t_pasid_replace_dev), S(t_pasid_replace_pt),
	S(t_pasid_detach), S(t_pasid_check_dev), S(t_pasid_check_hwpt),
};

/* The kinds of object file A holds, one variant each */
enum a_kind {
	A_IOAS, A_AUTO_HWPT, A_USER_HWPT, A_IDEV, A_STDEV, A_NEST_PARENT,
	A_FAULT, A_VIOMMU, A_VDEVICE, A_VEVENTQ, A_HW_QUEUE,
};

/* IDs below this are reserved in A for padding; B never gets that far */
#define A_PAD 200

/* What file A holds */
struct aside {
	int fd;
	__u32 ioas, stdev, hwpt, idev;
	char *buf;
};

FIXTURE(cross_fd)
{
	struct aside a;
	struct bside b;
};

FIXTURE_VARIANT(cross_fd)
{
	enum a_kind kind;
};

FIXTURE_VARIANT_ADD(cross_fd, ioas)
{
	.kind = A_IOAS,
};

FIXTURE_VARIANT_ADD(cross_fd, auto_hwpt)
{
	.kind = A_AUTO_HWPT,
};

FIXTURE_VARIANT_ADD(cross_fd, user_hwpt)
{
	.kind = A_USER_HWPT,
};

FIXTURE_VARIANT_ADD(cross_fd, idev)
{
	.kind = A_IDEV,
};

FIXTURE_VARIANT_ADD(cross_fd, stdev)
{
	.kind = A_STDEV,
};

FIXTURE_VARIANT_ADD(cross_fd, nest_parent_hwpt)
{
	.kind = A_NEST_PARENT,
};

FIXTURE_VARIANT_ADD(cross_fd, fault)
{
	.kind = A_FAULT,
};

FIXTURE_VARIANT_ADD(cross_fd, viommu)
{
	.kind = A_VIOMMU,
};

FIXTURE_VARIANT_ADD(cross_fd, vdevice)
{
	.kind = A_VDEVICE,
};

FIXTURE_VARIANT_ADD(cross_fd, veventq)
{
	.kind = A_VEVENTQ,
};

FIXTURE_VARIANT_ADD(cross_fd, hw_queue)
{
	.kind = A_HW_QUEUE,
};

FIXTURE_SETUP(cross_fd)
{
	struct bside *b = &self->b;
	__u32 pad;
	unsigned int i;

	self->a.fd = iofd_open();
	ASSERT_LE(0, self->a.fd);
	b->fd = iofd_open();
	ASSERT_LE(0, b->fd);
	self->a.buf = iofd_alloc_buf(P(16));
	b->buf = iofd_alloc_buf(P(16));
	ASSERT_NE(NULL, self->a.buf);
	ASSERT_NE(NULL, b->buf);

	/* A's real objects get IDs above A_PAD */
	for (i = 0; i != A_PAD; i++)
		ASSERT_OK(iofd_ioas_alloc(self->a.fd, &pad));
	ASSERT_OK(iofd_ioas_alloc(self->a.fd, &self->a.ioas));
	ASSERT_LT(A_PAD, self->a.ioas);
	ASSERT_OK(iofd_map_fixed(self->a.fd, self->a.ioas, self->a.buf, P(16),
				 MOCK_APERTURE_START));
	ASSERT_OK(iofd_mock_dev_flags(self->a.fd, self->a.ioas,
				      MOCK_FLAGS_DEVICE_PASID, &self->a.stdev,
				      &self->a.hwpt, &self->a.idev));

	/* B: the same kinds of objects, all with small IDs */
	ASSERT_OK(iofd_ioas_alloc(b->fd, &b->ioas));
	ASSERT_OK(iofd_ioas_alloc(b->fd, &b->ioas2));
	b->iova = MOCK_APERTURE_START;
	ASSERT_OK(iofd_map_fixed(b->fd, b->ioas, b->buf, P(16), b->iova));
	ASSERT_OK(iofd_mock_dev_flags(b->fd, b->ioas, MOCK_FLAGS_DEVICE_PASID,
				      &b->stdev, &b->hwpt, &b->idev));
	ASSERT_OK(iofd_access_create(b->fd, b->ioas, 0, &b->access_fd));
}

FIXTURE_TEARDOWN(cross_fd)
{
	close(self->b.access_fd);
	close(self->b.fd);
	close(self->a.fd);
}

/* The object of the variant's kind in A, or 0 if the module has no such */
static __u32 make_a_object(struct aside *a, enum a_kind kind)
{
	int fd = a->fd;
	__u32 id = 0, parent = 0, viommu = 0;

	switch (kind) {
	case A_IOAS:
		return a->ioas;
	case A_AUTO_HWPT:
		return a->hwpt;
	case A_IDEV:
		return a->idev;
	case A_STDEV:
		return a->stdev;
	case A_USER_HWPT:
		return iofd_hwpt_alloc(fd, a->idev, a->ioas, 0, &id) ?
			       0 : id;
	case A_NEST_PARENT:
		return iofd_hwpt_alloc(fd, a->idev, a->ioas,
				       IOMMU_HWPT_ALLOC_NEST_PARENT, &id) ?
			       0 : id;
	case A_FAULT: {
		struct iommu_fault_alloc c = { .size = sizeof(c) };

		if (ioctl(fd, IOMMU_FAULT_QUEUE_ALLOC, &c))
			return 0;
		return c.out_fault_id;
	}
	default:
		break;
	}
	/* The rest hang off a vIOMMU on a nesting parent */
	if (iofd_hwpt_alloc(fd, a->idev, a->ioas,
			    IOMMU_HWPT_ALLOC_NEST_PARENT, &parent))
		return 0;
	{
		struct iommu_viommu_alloc c = {
			.size = sizeof(c),
			.type = IOMMU_VIOMMU_TYPE_SELFTEST,
			.dev_id = a->idev,
			.hwpt_id = parent,
		};

		if (ioctl(fd, IOMMU_VIOMMU_ALLOC, &c))
			return 0;
		viommu = c.out_viommu_id;
	}
	if (kind == A_VIOMMU)
		return viommu;
	if (kind == A_VDEVICE) {
		struct iommu_vdevice_alloc c = {
			.size = sizeof(c),
			.viommu_id = viommu,
			.dev_id = a->idev,
			.virt_id = 7,
		};

		return ioctl(fd, IOMMU_VDEVICE_ALLOC, &c) ? 0 : c.out_vdevice_id;
	}
	if (kind == A_VEVENTQ) {
		struct iommu_veventq_alloc c = {
			.size = sizeof(c),
			.viommu_id = viommu,
			.type = IOMMU_VEVENTQ_TYPE_SELFTEST,
			.veventq_depth = 2,
		};

		return ioctl(fd, IOMMU_VEVENTQ_ALLOC, &c) ? 0 : c.out_veventq_id;
	}
	{
		struct iommu_hw_queue_alloc c = {
			.size = sizeof(c),
			.viommu_id = viommu,
			.type = IOMMU_HW_QUEUE_TYPE_SELFTEST,
			.nesting_parent_iova = MOCK_APERTURE_START,
			.length = iofd_psize,
		};

		return ioctl(fd, IOMMU_HW_QUEUE_ALLOC, &c) ? 0 :
							       c.out_hw_queue_id;
	}
}

/* The ID of B's own object that plays the same role (for the baseline) */
static __u32 b_same_kind(const struct bside *b, enum a_kind kind)
{
	switch (kind) {
	case A_IOAS:
		return b->ioas;
	case A_AUTO_HWPT:
	case A_USER_HWPT:
	case A_NEST_PARENT:
		return b->hwpt;
	case A_IDEV:
		return b->idev;
	case A_STDEV:
		return b->stdev;
	default:
		return 0;	/* B has none: the baseline is "no such ID" */
	}
}

TEST_F(cross_fd, ids_are_useless_in_another_fd)
{
	union {
		__u32 size;
		__u8 bytes[256];
	} arg;
	unsigned int i, checked = 0, na = 0;
	unsigned long req;
	__u32 id;
	__u64 unmapped = 0;
	int err, base_err, want;

	id = make_a_object(&self->a, variant->kind);
	if (!id)
		SKIP(return, "the module cannot create this kind of object yet");
	ASSERT_LT(A_PAD, id);

	for (i = 0; i != IOFD_ARRAY_SIZE(id_slots); i++) {
		const struct id_slot *s = &id_slots[i];

		want = s->err ?: ENOENT;
		memset(&arg, 0, sizeof(arg));
		req = s->fill(&self->b, &arg, id);
		err = ERRNO_OF(ioctl(self->b.fd, req, &arg));
		if (err == want) {
			checked++;
			continue;
		}
		/*
		 * Something else answered first. That is only acceptable when
		 * B's own valid ID gets the very same answer, i.e. the field
		 * is never looked at (a request not implemented yet, or a
		 * check that comes before the lookup).
		 */
		memset(&arg, 0, sizeof(arg));
		s->fill(&self->b, &arg, b_same_kind(&self->b, variant->kind));
		base_err = ERRNO_OF(ioctl(self->b.fd, req, &arg));
		if (err && err == base_err) {
			TH_LOG("%s: n/a (errno %d with B's own ID too)",
			       s->name, err);
			na++;
			continue;
		}
		TH_LOG("%s: A's ID %u on B gave errno %d (B's own: %d)",
		       s->name, id, err, base_err);
		ASSERT_EQ(want, err);
	}
	TH_LOG("%u request fields checked, %u not applicable", checked, na);
	ASSERT_LT(0, checked);

	/* A is untouched: its mapping, device and domain all still there */
	ASSERT_OK(iofd_check_map(self->a.fd, self->a.hwpt, MOCK_APERTURE_START,
				 self->a.buf, P(16)));
	ASSERT_OK(iofd_unmap(self->a.fd, self->a.ioas, 0, UINT64_MAX,
			     &unmapped));
	ASSERT_EQ(P(16), unmapped);
	ASSERT_OK(iofd_destroy(self->a.fd, self->a.stdev));
}

/* An iommusim device bound to B cannot be attached to A's objects */
FIXTURE(sim_cross)
{
	int fd_a, fd_b;
	__u32 ioas_a, hwpt_a, ioas_b;
};

FIXTURE_SETUP(sim_cross)
{
	__u32 pad;
	int i;

	self->fd_a = iofd_open();
	self->fd_b = iofd_open();
	ASSERT_LE(0, self->fd_a);
	ASSERT_LE(0, self->fd_b);
	for (i = 0; i != 8; i++)
		ASSERT_OK(iofd_ioas_alloc(self->fd_a, &pad));
	ASSERT_OK(iofd_ioas_alloc(self->fd_a, &self->ioas_a));
	ASSERT_OK(iofd_mock_dev(self->fd_a, self->ioas_a, NULL, &self->hwpt_a,
				NULL));
	ASSERT_OK(iofd_ioas_alloc(self->fd_b, &self->ioas_b));
}

FIXTURE_TEARDOWN(sim_cross)
{
	close(self->fd_a);
	close(self->fd_b);
}

TEST_F(sim_cross, attach_takes_no_foreign_id)
{
	struct iommusim_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommusim_attach_pt at = { .argsz = sizeof(at) };
	struct stat st;
	int fd, i, rc;

	if (stat("/sys/bus/iommusim/new_iommu", &st))
		SKIP(return, "iommusim not loaded");
	/* Our own instance and device, removed again below */
	{
		int w = open("/sys/bus/iommusim/new_iommu", O_WRONLY);

		ASSERT_LE(0, w);
		ASSERT_LT(0, write(w, "247 smmuv3", 10));
		close(w);
		w = open("/sys/bus/iommusim/devices/iommusim247/new_device",
			 O_WRONLY);
		ASSERT_LE(0, w);
		ASSERT_LT(0, write(w, "3", 1));
		close(w);
	}
	for (i = 0, fd = -1; i != 100 && fd < 0; i++) {
		fd = open("/dev/iommusim/247-3", O_RDWR);
		if (fd < 0)
			usleep(10000);
	}
	ASSERT_LE(0, fd);
	bind.iommufd = self->fd_b;
	ASSERT_OK(ioctl(fd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &bind));
	at.pt_id = self->ioas_a;
	rc = ERRNO_OF(ioctl(fd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT, &at));
	EXPECT_EQ(ENOENT, rc);
	at.pt_id = self->hwpt_a;
	EXPECT_EQ(ENOENT,
		  ERRNO_OF(ioctl(fd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT, &at)));
	/* B's own IOAS works */
	at.pt_id = self->ioas_b;
	EXPECT_OK(ioctl(fd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT, &at));
	close(fd);
	{
		int w = open("/sys/bus/iommusim/devices/iommusim247/del_device",
			     O_WRONLY);

		if (w >= 0) {
			EXPECT_LT(0, write(w, "3", 1));
			close(w);
		}
		w = open("/sys/bus/iommusim/del_iommu", O_WRONLY);
		if (w >= 0) {
			EXPECT_LT(0, write(w, "247", 3));
			close(w);
		}
	}
}

/* ---- no kernel addresses in outputs -------------------------------------- */

static bool looks_kernel(__u64 v)
{
	/* U64_MAX is a legitimate "last IOVA"; kernel addresses are below */
	return (v >> 48) == 0xffff && v != UINT64_MAX;
}

/* Count the 8-byte words of @p that look like kernel addresses */
static unsigned int scan(const char *what, const void *p, size_t len)
{
	const __u8 *b = p;
	unsigned int bad = 0;
	size_t off;

	for (off = 0; off + 8 <= len; off += 8) {
		__u64 v;

		memcpy(&v, b + off, 8);
		if (looks_kernel(v)) {
			fprintf(stderr, "# %s: offset %zu holds %#llx\n", what,
				off, (unsigned long long)v);
			bad++;
		}
	}
	return bad;
}

#define CANARY 0x6b
#define ARGBUF 512

/*
 * Issue @req with the @size bytes at @c (prepared by the caller), in a
 * buffer whose bytes past @size hold a canary; scan everything the kernel
 * may have written, check it wrote nothing past @size, and copy the
 * result back to @c.
 */
static unsigned int drive(int fd, const char *what, unsigned long req,
			  void *c, size_t size, long *ret)
{
	static __u64 words[ARGBUF / 8];
	__u8 *buf = (__u8 *)words;
	unsigned int bad;
	size_t i;

	memset(buf, CANARY, ARGBUF);
	memcpy(buf, c, size);
	*ret = ioctl(fd, req, buf);
	memcpy(c, buf, size);
	bad = scan(what, buf, size);
	if (looks_kernel((__u64)*ret)) {
		fprintf(stderr, "# %s: returned %#lx\n", what, *ret);
		bad++;
	}
	for (i = size; i != ARGBUF; i++) {
		if (buf[i] != CANARY) {
			fprintf(stderr, "# %s: byte %zu past size %zu written\n",
				what, i, size);
			bad++;
			break;
		}
	}
	return bad;
}

FIXTURE(leak)
{
	int fd;
	char *buf;
};

FIXTURE_SETUP(leak)
{
	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
	self->buf = iofd_alloc_buf(P(64));
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(leak)
{
	close(self->fd);
	munmap(self->buf, P(64));
}

TEST_F(leak, no_kernel_pointers_in_outputs)
{
	static __u64 data[512];
	struct iommu_iova_range ranges[8];
	unsigned int bad = 0, calls = 0;
	__u32 ioas = 0, ioas2 = 0, stdev = 0, hwpt = 0, idev = 0;
	int fd = self->fd, afd = -1;
	long ret;

#define DRIVE(name, req, c) \
	do { bad += drive(fd, name, req, &(c), sizeof(c), &ret); \
	     calls++; } while (0)

	{
		struct iommu_ioas_alloc c = { .size = sizeof(c) };

		DRIVE("IOAS_ALLOC", IOMMU_IOAS_ALLOC, c);
		ASSERT_EQ(0, ret);
	}
	{
		struct iommu_ioas_iova_ranges c = {
			.size = sizeof(c), .num_iovas = 8,
			.allowed_iovas = (uintptr_t)ranges,
		};

		ASSERT_OK(iofd_ioas_alloc(fd, &ioas));
		ASSERT_OK(iofd_ioas_alloc(fd, &ioas2));
		c.ioas_id = ioas;
		memset(ranges, 0, sizeof(ranges));
		DRIVE("IOAS_IOVA_RANGES (empty IOAS)", IOMMU_IOAS_IOVA_RANGES,
		      c);
		bad += scan("IOAS_IOVA_RANGES array", ranges, sizeof(ranges));
		c.num_iovas = 0;
		DRIVE("IOAS_IOVA_RANGES (EMSGSIZE)", IOMMU_IOAS_IOVA_RANGES, c);
	}
	{
		struct iommu_test_cmd c = {
			.size = sizeof(c), .op = IOMMU_TEST_OP_MOCK_DOMAIN,
			.id = ioas,
		};

		DRIVE("TEST MOCK_DOMAIN", IOMMU_TEST_CMD, c);
		ASSERT_EQ(0, ret);
		stdev = c.mock_domain.out_stdev_id;
		hwpt = c.mock_domain.out_hwpt_id;
		idev = c.mock_domain.out_idev_id;
	}
	{
		struct iommu_ioas_iova_ranges c = {
			.size = sizeof(c), .ioas_id = ioas, .num_iovas = 8,
			.allowed_iovas = (uintptr_t)ranges,
		};

		memset(ranges, 0, sizeof(ranges));
		DRIVE("IOAS_IOVA_RANGES (with device)",
		      IOMMU_IOAS_IOVA_RANGES, c);
		bad += scan("IOAS_IOVA_RANGES array", ranges, sizeof(ranges));
	}
	{
		struct iommu_ioas_map c = {
			.size = sizeof(c), .flags = IOFD_RW, .ioas_id = ioas,
			.user_va = (uintptr_t)self->buf, .length = P(16),
		};

		DRIVE("IOAS_MAP (auto IOVA)", IOMMU_IOAS_MAP, c);
		ASSERT_EQ(0, ret);
	}
	{
		struct iommu_ioas_copy c = {
			.size = sizeof(c), .flags = IOFD_RW,
			.dst_ioas_id = ioas2, .src_ioas_id = ioas,
			.length = P(16),
			.src_iova = MOCK_APERTURE_START + P(1024),
		};

		ASSERT_OK(iofd_map_fixed(fd, ioas, self->buf, P(16),
					 MOCK_APERTURE_START + P(1024)));
		DRIVE("IOAS_COPY (auto IOVA)", IOMMU_IOAS_COPY, c);
		ASSERT_EQ(0, ret);
	}
	{
		struct iommu_option c = {
			.size = sizeof(c), .option_id = IOMMU_OPTION_RLIMIT_MODE,
			.op = IOMMU_OPTION_OP_GET,
		};

		DRIVE("OPTION RLIMIT_MODE", IOMMU_OPTION, c);
		c.option_id = IOMMU_OPTION_HUGE_PAGES;
		c.object_id = ioas;
		DRIVE("OPTION HUGE_PAGES", IOMMU_OPTION, c);
	}
	{
		struct iommu_vfio_ioas c = {
			.size = sizeof(c), .op = IOMMU_VFIO_IOAS_GET,
		};

		DRIVE("VFIO_IOAS GET (none)", IOMMU_VFIO_IOAS, c);
		ASSERT_OK(iofd_vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas));
		DRIVE("VFIO_IOAS GET", IOMMU_VFIO_IOAS, c);
	}
	{
		struct iommu_hwpt_alloc c = {
			.size = sizeof(c), .dev_id = idev, .pt_id = ioas,
		};

		DRIVE("HWPT_ALLOC", IOMMU_HWPT_ALLOC, c);
		ASSERT_EQ(0, ret);
		c.flags = IOMMU_HWPT_ALLOC_NEST_PARENT;
		DRIVE("HWPT_ALLOC nest parent", IOMMU_HWPT_ALLOC, c);
	}
	{
		struct iommu_hw_info c = {
			.size = sizeof(c), .dev_id = idev,
			.data_len = sizeof(data), .data_uptr = (uintptr_t)data,
		};

		memset(data, 0, sizeof(data));
		DRIVE("GET_HW_INFO", IOMMU_GET_HW_INFO, c);
		ASSERT_EQ(0, ret);
		bad += scan("GET_HW_INFO data", data, sizeof(data));
	}
	{
		struct iommu_test_cmd c = {
			.size = sizeof(c), .op = IOMMU_TEST_OP_CREATE_ACCESS,
			.id = ioas,
			.create_access = {
				.flags = MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES },
		};

		DRIVE("TEST CREATE_ACCESS", IOMMU_TEST_CMD, c);
		ASSERT_EQ(0, ret);
		afd = c.create_access.out_access_fd;
	}
	{
		struct iommu_test_cmd c = {
			.size = sizeof(c), .op = IOMMU_TEST_OP_ACCESS_PAGES,
			.id = afd,
			.access_pages = { .iova = MOCK_APERTURE_START + P(1024),
					  .length = P(4),
					  .uptr = (uintptr_t)self->buf },
		};

		DRIVE("TEST ACCESS_PAGES", IOMMU_TEST_CMD, c);
		ASSERT_EQ(0, ret);
	}
	{
		struct iommu_test_cmd c = {
			.size = sizeof(c), .op = IOMMU_TEST_OP_ACCESS_RW,
			.id = afd,
			.access_rw = { .iova = MOCK_APERTURE_START + P(1024),
				       .length = 64,
				       .uptr = (uintptr_t)data },
		};

		DRIVE("TEST ACCESS_RW", IOMMU_TEST_CMD, c);
		ASSERT_EQ(0, ret);
	}
	{
		struct iommu_ioas_unmap c = {
			.size = sizeof(c), .ioas_id = ioas2, .length = UINT64_MAX,
		};

		DRIVE("IOAS_UNMAP", IOMMU_IOAS_UNMAP, c);
	}
	/* Requests the module may not implement yet: outputs must be clean */
	{
		struct iommu_fault_alloc c = { .size = sizeof(c) };

		DRIVE("FAULT_QUEUE_ALLOC", IOMMU_FAULT_QUEUE_ALLOC, c);
		if (!ret)
			close(c.out_fault_fd);
	}
	{
		struct iommu_viommu_selftest d = { .in_data = 5 };
		struct iommu_viommu_alloc c = {
			.size = sizeof(c), .type = IOMMU_VIOMMU_TYPE_SELFTEST,
			.dev_id = idev, .hwpt_id = hwpt,
			.data_len = sizeof(d), .data_uptr = (uintptr_t)&d,
		};

		DRIVE("VIOMMU_ALLOC", IOMMU_VIOMMU_ALLOC, c);
		bad += scan("VIOMMU_ALLOC data", &d, sizeof(d));
	}
	{
		struct iommu_hwpt_get_dirty_bitmap c = {
			.size = sizeof(c), .hwpt_id = hwpt,
			.iova = MOCK_APERTURE_START + P(1024),
			.length = P(16), .page_size = iofd_psize,
			.data = (uintptr_t)data,
		};

		memset(data, 0, 64);
		DRIVE("HWPT_GET_DIRTY_BITMAP", IOMMU_HWPT_GET_DIRTY_BITMAP, c);
		bad += scan("dirty bitmap", data, 64);
	}
	{
		struct iommu_hwpt_invalidate c = {
			.size = sizeof(c), .hwpt_id = hwpt,
			.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
			.entry_len = 8,
		};

		DRIVE("HWPT_INVALIDATE", IOMMU_HWPT_INVALIDATE, c);
	}

	/* VFIO type1 compatibility on a second file */
	{
		int vfd = iofd_open();
		struct vfio_iommu_type1_info *info = (void *)data;
		struct vfio_iommu_type1_dma_map mp = {
			.argsz = sizeof(mp),
			.flags = VFIO_DMA_MAP_FLAG_READ |
				 VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = (uintptr_t)self->buf,
			.iova = MOCK_APERTURE_START, .size = P(8),
		};
		struct vfio_iommu_type1_dma_unmap um = {
			.argsz = sizeof(um), .iova = MOCK_APERTURE_START,
			.size = P(8),
		};

		__u32 vioas = 0;

		ASSERT_LE(0, vfd);
		/* The compat layer works on the IOAS named by VFIO_IOAS SET */
		ASSERT_OK(iofd_ioas_alloc(vfd, &vioas));
		ASSERT_OK(iofd_vfio_ioas(vfd, IOMMU_VFIO_IOAS_SET, &vioas));
		ASSERT_OK(iofd_mock_dev(vfd, vioas, NULL, NULL, NULL));
		ret = ioctl(vfd, VFIO_GET_API_VERSION);
		bad += looks_kernel((__u64)ret);
		ret = ioctl(vfd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);
		bad += looks_kernel((__u64)ret);
		ASSERT_OK(ioctl(vfd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
		ASSERT_OK(ioctl(vfd, VFIO_IOMMU_MAP_DMA, &mp));
		memset(data, 0, sizeof(data));
		info->argsz = sizeof(data);
		ret = ioctl(vfd, VFIO_IOMMU_GET_INFO, info);
		ASSERT_EQ(0, ret);
		bad += scan("VFIO_IOMMU_GET_INFO (with caps)", data,
			    sizeof(data));
		bad += drive(vfd, "VFIO_IOMMU_UNMAP_DMA", VFIO_IOMMU_UNMAP_DMA,
			     &um, sizeof(um), &ret);
		calls += 5;
		close(vfd);
	}
	close(afd);
	EXPECT_OK(iofd_destroy(fd, stdev));
	TH_LOG("%u requests driven, outputs scanned", calls);
	ASSERT_EQ(0, bad);
}

/* iommusim's outputs: raw entries and addresses, but no kernel pointers */
TEST_F(leak, iommusim_outputs)
{
	struct iommusim_bind_iommufd bind = { .argsz = sizeof(bind) };
	struct iommusim_attach_pt at = { .argsz = sizeof(at) };
	struct iommusim_dma dma = { .argsz = sizeof(dma) };
	struct iommusim_iotlb tlb = { .argsz = sizeof(tlb) };
	struct iommusim_ctx_entry ce = { .argsz = sizeof(ce) };
	struct iommusim_translate x = { .argsz = sizeof(x) };
	static const char *const types[] = { "smmuv3", "vtd" };
	unsigned int bad = 0, t;
	struct stat st;
	char line[64];
	__u32 ioas = 0;

	if (stat("/sys/bus/iommusim/new_iommu", &st))
		SKIP(return, "iommusim not loaded");
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas, self->buf, P(16),
				 MOCK_APERTURE_START));
	for (t = 0; t != 2; t++) {
		int w, fd = -1, i;

		w = open("/sys/bus/iommusim/new_iommu", O_WRONLY);
		ASSERT_LE(0, w);
		snprintf(line, sizeof(line), "246 %s", types[t]);
		ASSERT_LT(0, write(w, line, strlen(line)));
		close(w);
		w = open("/sys/bus/iommusim/devices/iommusim246/new_device",
			 O_WRONLY);
		ASSERT_LE(0, w);
		ASSERT_LT(0, write(w, "5", 1));
		close(w);
		for (i = 0; i != 100 && fd < 0; i++) {
			fd = open("/dev/iommusim/246-5", O_RDWR);
			if (fd < 0)
				usleep(10000);
		}
		ASSERT_LE(0, fd);
		bind.iommufd = self->fd;
		ASSERT_OK(ioctl(fd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &bind));
		bad += scan("BIND", &bind, sizeof(bind));
		at.pt_id = ioas;
		ASSERT_OK(ioctl(fd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT, &at));
		bad += scan("ATTACH", &at, sizeof(at));
		dma.iova = MOCK_APERTURE_START;
		dma.length = 64;
		dma.uptr = (uintptr_t)self->buf + P(32);
		ioctl(fd, IOMMUSIM_DEVICE_DMA, &dma);
		bad += scan("DMA", &dma, sizeof(dma));
		/* A faulting DMA fills the record */
		dma.iova = 0x10;
		ioctl(fd, IOMMUSIM_DEVICE_DMA, &dma);
		bad += scan("DMA (fault)", &dma, sizeof(dma));
		ioctl(fd, IOMMUSIM_DEVICE_IOTLB, &tlb);
		bad += scan("IOTLB", &tlb, sizeof(tlb));
		ioctl(fd, IOMMUSIM_DEVICE_GET_CTX_ENTRY, &ce);
		bad += scan("GET_CTX_ENTRY", &ce, sizeof(ce));
		x.iova = MOCK_APERTURE_START;
		ioctl(fd, IOMMUSIM_DEVICE_TRANSLATE, &x);
		bad += scan("TRANSLATE", &x, sizeof(x));
		close(fd);
		w = open("/sys/bus/iommusim/devices/iommusim246/del_device",
			 O_WRONLY);
		if (w >= 0) {
			EXPECT_LT(0, write(w, "5", 1));
			close(w);
		}
		w = open("/sys/bus/iommusim/del_iommu", O_WRONLY);
		if (w >= 0) {
			EXPECT_LT(0, write(w, "246", 3));
			close(w);
		}
	}
	ASSERT_EQ(0, bad);
}

/* ---- module unload while in use -------------------------------------------- */

#define MODDIR "/modules"
#define CORE "iommufd_core"

struct modfile {
	char path[128];
	char name[64];
};

/* The VM's module copies, in load order ("NN-name.ko") */
static int list_modules(struct modfile *m, int max)
{
	struct dirent **ents;
	int n, i, k = 0;

	n = scandir(MODDIR, &ents, NULL, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i != n; i++) {
		const char *f = ents[i]->d_name;
		char *p;

		if (k < max && strlen(f) > 6 && f[2] == '-' &&
		    !strcmp(f + strlen(f) - 3, ".ko")) {
			snprintf(m[k].path, sizeof(m[k].path), MODDIR "/%s", f);
			snprintf(m[k].name, sizeof(m[k].name), "%.*s",
				 (int)(strlen(f) - 6), f + 3);
			for (p = m[k].name; *p; p++)
				if (*p == '-')
					*p = '_';
			k++;
		}
		free(ents[i]);
	}
	free(ents);
	return k;
}

static bool loaded(const char *name)
{
	char path[128];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return !stat(path, &st);
}

static int unload(const char *name)
{
	return syscall(__NR_delete_module, name, O_NONBLOCK);
}

static bool holds_core(const char *name)
{
	char path[160];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/" CORE "/holders/%s", name);
	return !stat(path, &st);
}

FIXTURE(unload)
{
	struct modfile mods[16];
	int nmods;
	bool was_loaded[16];
	char why[160];
};

FIXTURE_SETUP(unload)
{
	int i;

	self->nmods = list_modules(self->mods, 16);
	for (i = 0; i < self->nmods; i++)
		self->was_loaded[i] = loaded(self->mods[i].name);
}

/*
 * In the harness' parent process, even when the test failed or crashed:
 * every module that was loaded before is loaded again, in /init's order.
 */
FIXTURE_TEARDOWN_PARENT(unload)
{
	int i, fd, tries;
	struct stat st;

	for (i = 0; i < self->nmods; i++) {
		if (!self->was_loaded[i] || loaded(self->mods[i].name))
			continue;
		fd = open(self->mods[i].path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || syscall(__NR_finit_module, fd, "", 0)) {
			fprintf(stderr, "# reload of %s failed: errno %d\n",
				self->mods[i].path, errno);
			_metadata->exit_code = KSFT_FAIL;
		}
		if (fd >= 0)
			close(fd);
	}
	/* devtmpfs creates the node when the misc device registers */
	for (tries = 0; tries != 100 && stat(IOFD_DEV, &st); tries++)
		usleep(10000);
	if (stat(IOFD_DEV, &st) || !S_ISCHR(st.st_mode)) {
		fprintf(stderr, "# %s did not come back\n", IOFD_DEV);
		_metadata->exit_code = KSFT_FAIL;
	}
}

TEST_F_TIMEOUT(unload, refused_while_in_use, 120)
{
	int i, fd, afd = -1, fd2;
	__u32 ioas = 0;
	struct stat st;

	if (self->nmods <= 0 || !loaded(CORE))
		SKIP(return, "no %s/ with a loaded " CORE " (not in the VM)",
		     MODDIR);

	fd = iofd_open();
	ASSERT_LE(0, fd);
	/* Modules built on the core go first: they pin it by symbol use */
	for (i = self->nmods - 1; i >= 0; i--) {
		if (!holds_core(self->mods[i].name))
			continue;
		TH_LOG("unloading %s first", self->mods[i].name);
		ASSERT_OK(unload(self->mods[i].name));
	}

	/* An open /dev/iommu holds the module */
	ASSERT_ERRNO(EWOULDBLOCK, unload(CORE));
	ASSERT_TRUE(loaded(CORE));
	/* ... and the file still works after the refusal */
	ASSERT_OK(iofd_ioas_alloc(fd, &ioas));

	/* So does a file the module handed out, alone */
	ASSERT_OK(iofd_access_create(fd, ioas, 0, &afd));
	ASSERT_EQ(0, close(fd));
	ASSERT_ERRNO(EWOULDBLOCK, unload(CORE));
	ASSERT_TRUE(loaded(CORE));
	ASSERT_EQ(0, close(afd));

	/* A second, empty file counts as well */
	fd2 = iofd_open();
	ASSERT_LE(0, fd2);
	ASSERT_ERRNO(EWOULDBLOCK, unload(CORE));
	ASSERT_EQ(0, close(fd2));

	/* Nothing open: the unload goes through and the node goes away */
	ASSERT_OK(unload(CORE));
	ASSERT_FALSE(loaded(CORE));
	for (i = 0; i != 100 && !stat(IOFD_DEV, &st); i++)
		usleep(10000);
	ASSERT_NE(0, stat(IOFD_DEV, &st));
	/* The teardown loads everything again */
}

TEST_HARNESS_MAIN
