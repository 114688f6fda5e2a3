// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO type1 container ioctls served on the iommufd fd, as a VMM that
 * still speaks VFIO's container API would use them, plus IOMMU_VFIO_IOAS
 * which picks the IOAS they act on.
 */
#include "iofd_test_util.h"
#include <linux/vfio.h>

#define P(n) ((__u64)(n) * iofd_psize)

/* The retired type1 nesting IOMMU type: always reported as unsupported. */
#define OLD_TYPE1_NESTING 6

FIXTURE(compat)
{
	int fd;
	char *buf;
};

FIXTURE_SETUP(compat)
{
	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
	self->buf = iofd_alloc_buf(P(4));
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(compat)
{
	if (self->fd >= 0)
		close(self->fd);
	munmap(self->buf, P(4));
}

TEST_F(compat, api_version_and_extensions)
{
	ASSERT_EQ(VFIO_API_VERSION, ioctl(self->fd, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	/* Re-pointing a mapping's VA is not offered. */
	ASSERT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR));
	ASSERT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, OLD_TYPE1_NESTING));
	ASSERT_EQ(0,
		  ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU));
	ASSERT_EQ(0, ioctl(self->fd, VFIO_CHECK_EXTENSION, 12345));
	/* Cache coherency is a property of an IOAS: there is none yet. */
	ASSERT_ERRNO(ENODEV,
		     ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
}

TEST_F(compat, nothing_works_without_an_ioas)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)self->buf,
		.iova = MOCK_APERTURE_START,
		.size = P(1),
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = MOCK_APERTURE_START,
		.size = P(1),
	};
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };

	ASSERT_ERRNO(ENODEV,
		     ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(ENODEV, ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_ERRNO(ENODEV, ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &map));
	ASSERT_ERRNO(ENODEV, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	ASSERT_ERRNO(ENODEV, ioctl(self->fd, VFIO_IOMMU_GET_INFO, &info));
}

TEST_F(compat, argument_checks_come_first)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.vaddr = (uintptr_t)self->buf,
		.iova = MOCK_APERTURE_START,
		.size = P(1),
	};
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = MOCK_APERTURE_START,
		.size = P(1),
	};
	struct vfio_iommu_type1_info info = { .argsz = 1 };

	/* Too short, and unknown flags: EINVAL even with no IOAS. */
	map.argsz = 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &map));
	map.argsz = sizeof(map);
	map.flags = 1U << 31;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &map));
	/* The VADDR update flag is refused as unsupported. */
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_VADDR;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_MAP_DMA, &map));

	unmap.argsz = 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	unmap.argsz = sizeof(unmap);
	unmap.flags = 1U << 31;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));
	/* Dirty bitmaps on unmap belong to the native dirty tracking API. */
	unmap.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_UNMAP_DMA, &unmap));

	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_IOMMU_GET_INFO, &info));
	/* Only the type1 flavours exist here. */
	ASSERT_ERRNO(EINVAL,
		     ioctl(self->fd, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU));
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_SET_IOMMU, 77));
}

TEST_F(compat, unknown_vfio_ioctls)
{
	struct vfio_iommu_type1_dirty_bitmap dirty = {
		.argsz = sizeof(dirty),
	};
	char scratch[64] = {};

	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, VFIO_IOMMU_DIRTY_PAGES, &dirty));
	ASSERT_ERRNO(ENOTTY,
		     ioctl(self->fd, _IO(VFIO_TYPE, VFIO_BASE + 26), scratch));
	/* Group and device ioctls are not container ioctls. */
	ASSERT_ERRNO(ENOTTY, ioctl(self->fd, VFIO_GROUP_GET_STATUS, scratch));
}

TEST_F(compat, vfio_ioas_get_set_clear)
{
	__u32 ioas, id = 0;

	ASSERT_ERRNO(ENODEV,
		     iofd_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	id = 0x4321;
	ASSERT_ERRNO(ENOENT,
		     iofd_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));

	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));
	id = ioas;
	ASSERT_OK(iofd_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	id = 0;
	ASSERT_OK(iofd_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	ASSERT_EQ(ioas, id);

	ASSERT_OK(iofd_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_CLEAR, &id));
	ASSERT_ERRNO(ENODEV,
		     iofd_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	/* Not an IOAS ID: refused. */
	ASSERT_OK(iofd_mock_dev(self->fd, ioas, NULL, &id, NULL));
	ASSERT_ERRNO(ENOENT,
		     iofd_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
}

TEST_F(compat, vfio_ioas_bad_arguments)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = 3,
	};

	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));
	cmd.op = IOMMU_VFIO_IOAS_CLEAR;
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));
}

TEST_F(compat, destroying_the_compat_ioas_unsets_it)
{
	__u32 ioas, id;

	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));
	id = ioas;
	ASSERT_OK(iofd_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	/* Being the compat IOAS is not a reference. */
	ASSERT_OK(iofd_destroy(self->fd, ioas));
	ASSERT_ERRNO(ENODEV,
		     iofd_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	ASSERT_ERRNO(ENODEV,
		     ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
}

/* ---- a "container" with one mock device, in both type1 flavours ------- */

FIXTURE(container)
{
	int fd;
	__u32 ioas;
	__u32 hwpt;
	char *buf;
	size_t len;
};

FIXTURE_VARIANT(container)
{
	unsigned long type;
};

FIXTURE_VARIANT_ADD(container, type1v2) {
	.type = VFIO_TYPE1v2_IOMMU,
};

FIXTURE_VARIANT_ADD(container, type1) {
	.type = VFIO_TYPE1_IOMMU,
};

FIXTURE_SETUP(container)
{
	__u32 id;

	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(iofd_ioas_alloc(self->fd, &self->ioas));
	/* What VFIO would call attaching a group to the container. */
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, &self->hwpt, NULL));
	id = self->ioas;
	ASSERT_OK(iofd_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	ASSERT_EQ(0, ioctl(self->fd, VFIO_SET_IOMMU, variant->type));
	self->len = P(16);
	self->buf = iofd_alloc_buf(self->len);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(container)
{
	if (self->fd >= 0) {
		EXPECT_OK(iofd_close_and_check_unpinned(self->fd, self->buf,
							self->len));
	}
	munmap(self->buf, self->len);
}

static int dma_map(int fd, void *va, __u64 iova, __u64 size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)va,
		.iova = iova,
		.size = size,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &map);
}

static int dma_unmap(int fd, __u32 flags, __u64 iova, __u64 size,
		     __u64 *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int rc;

	rc = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap);
	if (!rc && unmapped)
		*unmapped = unmap.size;
	return rc;
}

TEST_F(container, type1_disables_huge_pages)
{
	__u64 val = 5;

	/* Type1 (v1) must be able to split mappings, so no large IOPTEs. */
	ASSERT_OK(iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_GET, self->ioas, &val));
	ASSERT_EQ(variant->type == VFIO_TYPE1_IOMMU ? 0 : 1, val);
	ASSERT_EQ(1, ioctl(self->fd, VFIO_CHECK_EXTENSION, variant->type));
}

TEST_F(container, map_and_unmap)
{
	__u64 done = 0;

	ASSERT_OK(dma_map(self->fd, self->buf, MOCK_APERTURE_START, self->len));
	/* The same IOAS the native API sees. */
	ASSERT_OK(iofd_check_map(self->fd, self->hwpt, MOCK_APERTURE_START,
				 self->buf, self->len));
	ASSERT_ERRNO(EEXIST,
		     dma_map(self->fd, self->buf, MOCK_APERTURE_START, P(1)));
	ASSERT_OK(dma_unmap(self->fd, 0, MOCK_APERTURE_START, self->len,
			    &done));
	ASSERT_EQ(self->len, done);
	/* Unlike IOMMU_IOAS_UNMAP, unmapping nothing is a success. */
	done = 1;
	ASSERT_OK(dma_unmap(self->fd, 0, MOCK_APERTURE_START, self->len,
			    &done));
	ASSERT_EQ(0, done);
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, self->len, 0));
}

TEST_F(container, map_bad_ranges)
{
	ASSERT_ERRNO(EINVAL, dma_map(self->fd, self->buf, 0, P(1)));
	ASSERT_ERRNO(EINVAL, dma_map(self->fd, self->buf, MOCK_APERTURE_START,
				     0));
	ASSERT_ERRNO(EOVERFLOW, dma_map(self->fd, self->buf,
					UINT64_MAX - P(1) + 1, P(2)));
	ASSERT_ERRNO(EINVAL, dma_unmap(self->fd, 0, MOCK_APERTURE_START, 0,
				       NULL));
}

TEST_F(container, type1_after_maps)
{
	__u32 id = self->ioas;

	if (variant->type == VFIO_TYPE1_IOMMU)
		return;
	/*
	 * Switching to v1 means no large IOPTEs, which cannot be arranged
	 * once a domain has mappings in it.
	 */
	ASSERT_OK(dma_map(self->fd, self->buf, MOCK_APERTURE_START, P(4)));
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_OK(dma_unmap(self->fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, NULL));
	ASSERT_OK(ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_OK(iofd_vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	ASSERT_EQ(self->ioas, id);
}

TEST_F(container, unmap_all)
{
	__u64 done = 0;
	unsigned int i;

	for (i = 0; i != 4; i++) {
		ASSERT_OK(dma_map(self->fd, self->buf + P(i),
				  MOCK_APERTURE_START + P(4 * i), P(1)));
	}
	/* UNMAP_ALL wants iova and size both zero. */
	ASSERT_ERRNO(EINVAL, dma_unmap(self->fd, VFIO_DMA_UNMAP_FLAG_ALL,
				       MOCK_APERTURE_START, 0, NULL));
	ASSERT_ERRNO(EINVAL, dma_unmap(self->fd, VFIO_DMA_UNMAP_FLAG_ALL, 0,
				       P(1), NULL));
	ASSERT_OK(dma_unmap(self->fd, VFIO_DMA_UNMAP_FLAG_ALL, 0, 0, &done));
	ASSERT_EQ(P(4), done);
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(4), 0));
}

TEST_F(container, page_by_page_in_any_order)
{
	static const unsigned int order[] = { 5, 0,  9, 3, 15, 1, 12, 7,
					      2, 14, 8, 4, 11, 6, 13, 10 };
	unsigned int i;

	for (i = 0; i != 16; i++) {
		ASSERT_OK(dma_map(self->fd, self->buf + P(i),
				  MOCK_APERTURE_START + P(i), P(1)));
	}
	ASSERT_OK(iofd_check_map(self->fd, self->hwpt, MOCK_APERTURE_START,
				 self->buf, P(16)));
	for (i = 0; i != 16; i++) {
		ASSERT_OK(dma_unmap(self->fd, 0,
				    MOCK_APERTURE_START + P(order[i]), P(1),
				    NULL));
	}
}

TEST_F(container, unmap_inside_a_mapping)
{
	__u64 done = 0;

	ASSERT_OK(dma_map(self->fd, self->buf, MOCK_APERTURE_START, P(8)));
	if (variant->type == VFIO_TYPE1v2_IOMMU) {
		/* v2 semantics: a mapping is removed whole or not at all. */
		ASSERT_ERRNO(ENOENT,
			     dma_unmap(self->fd, 0, MOCK_APERTURE_START + P(2),
				       P(2), NULL));
		ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(8), 1));
		return;
	}
	/* v1 semantics: any page-aligned piece can be punched out. */
	ASSERT_OK(dma_unmap(self->fd, 0, MOCK_APERTURE_START + P(2), P(2),
			    &done));
	ASSERT_EQ(P(2), done);
	ASSERT_OK(iofd_check_pins(self->fd, self->buf + P(2), P(2), 0));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(2), 1));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf + P(4), P(4), 1));
	ASSERT_OK(iofd_check_map(self->fd, self->hwpt,
				 MOCK_APERTURE_START + P(4), self->buf + P(4),
				 P(4)));
	ASSERT_OK(dma_unmap(self->fd, 0, MOCK_APERTURE_START, P(1), &done));
	ASSERT_EQ(P(1), done);
}

TEST_F(container, cache_coherency_extension)
{
	int rc = ioctl(self->fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU);

	/* Answered (yes or no) now that there is an IOAS with a domain. */
	ASSERT_TRUE(rc == 0 || rc == 1);
}

/* Every byte past argsz must be left alone by GET_INFO. */
static bool untouched(const unsigned char *p, size_t len)
{
	while (len--)
		if (*p++ != 0xcd)
			return false;
	return true;
}

TEST_F(container, get_info)
{
	unsigned char raw[512];
	struct vfio_iommu_type1_info *info = (void *)raw;
	struct vfio_info_cap_header *cap;
	size_t need, argsz;
	bool seen_avail = false, seen_ranges = false;

	/* The pre-capability struct (no cap_offset). */
	memset(raw, 0xcd, sizeof(raw));
	argsz = offsetof(struct vfio_iommu_type1_info, cap_offset);
	info->argsz = argsz;
	info->flags = 0;
	ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info->flags);
	/* The mock IOMMU maps CPU pages (its 2 KiB pages are too small). */
	ASSERT_EQ(iofd_psize, info->iova_pgsizes & -info->iova_pgsizes);
	ASSERT_TRUE(untouched(raw + argsz, sizeof(raw) - argsz));

	/* Room for the struct only: the caps are counted, not written. */
	memset(raw, 0xcd, sizeof(raw));
	argsz = sizeof(*info);
	info->argsz = argsz;
	info->flags = 0;
	ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(0, info->cap_offset);
	need = info->argsz;
	ASSERT_LT(sizeof(*info), need);
	ASSERT_GE(sizeof(raw), need);
	ASSERT_TRUE(untouched(raw + argsz, sizeof(raw) - argsz));

	/* Enough room: the whole chain. */
	memset(raw, 0xcd, sizeof(raw));
	info->argsz = need;
	info->flags = 0;
	ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(need, info->argsz);
	ASSERT_EQ(sizeof(*info), info->cap_offset);
	ASSERT_TRUE(untouched(raw + need, sizeof(raw) - need));

	cap = (void *)(raw + info->cap_offset);
	for (;;) {
		ASSERT_GE(need,
			  (size_t)((unsigned char *)cap - raw) + sizeof(*cap));
		ASSERT_EQ(1, cap->version);
		if (cap->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
			struct vfio_iommu_type1_info_cap_iova_range *r =
				(void *)cap;

			ASSERT_EQ(1, r->nr_iovas);
			ASSERT_EQ(MOCK_APERTURE_START, r->iova_ranges[0].start);
			ASSERT_EQ(MOCK_APERTURE_LAST, r->iova_ranges[0].end);
			seen_ranges = true;
		} else if (cap->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
			struct vfio_iommu_type1_info_dma_avail *a = (void *)cap;

			ASSERT_LT(0, a->avail);
			seen_avail = true;
		} else {
			TH_LOG("unexpected capability %u", cap->id);
			ASSERT_TRUE(false);
		}
		if (!cap->next)
			break;
		/* The chain only moves forward. */
		ASSERT_LT((size_t)((unsigned char *)cap - raw), cap->next);
		cap = (void *)(raw + cap->next);
	}
	ASSERT_TRUE(seen_ranges);
	ASSERT_TRUE(seen_avail);
}

TEST_F(container, get_info_every_short_size)
{
	unsigned char raw[512];
	struct vfio_iommu_type1_info *info = (void *)raw;
	size_t need, argsz;

	memset(raw, 0, sizeof(raw));
	info->argsz = sizeof(*info);
	ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
	need = info->argsz;
	ASSERT_GE(sizeof(raw), need);

	/* No size in between may produce a chain pointing past argsz. */
	for (argsz = sizeof(*info); argsz <= need; argsz++) {
		memset(raw, 0xcd, sizeof(raw));
		info->argsz = argsz;
		info->flags = 0;
		ASSERT_OK(ioctl(self->fd, VFIO_IOMMU_GET_INFO, info));
		ASSERT_TRUE(untouched(raw + argsz, sizeof(raw) - argsz));
		ASSERT_EQ(need, info->argsz);
		if (info->cap_offset)
			ASSERT_EQ(need, argsz);
	}
}

TEST_HARNESS_MAIN
