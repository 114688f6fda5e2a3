// SPDX-License-Identifier: GPL-2.0-only
/*
 * IO address spaces: IOMMU_IOAS_ALLOC, MAP, UNMAP, COPY, IOVA_RANGES,
 * ALLOW_IOVAS and IOMMU_OPTION. Each test runs on an IOAS with no device,
 * with one mock device and with two, because a domain changes what is
 * allowed (aperture, IO page alignment) and when memory is pinned.
 */
#include "iofd_test_util.h"

#define NPAGES 64

FIXTURE(ioas)
{
	int fd;
	__u32 ioas;
	__u32 stdev[2];
	__u32 hwpt[2];
	__u64 base; /* an IOVA usable in every variant */
	__u64 align; /* the IOAS alignment the variant implies */
	size_t len;
	char *buf;
};

FIXTURE_VARIANT(ioas)
{
	unsigned int devices;
};

FIXTURE_VARIANT_ADD(ioas, no_domain) {
	.devices = 0,
};

FIXTURE_VARIANT_ADD(ioas, mock_domain) {
	.devices = 1,
};

FIXTURE_VARIANT_ADD(ioas, two_mock_domains) {
	.devices = 2,
};

FIXTURE_SETUP(ioas)
{
	unsigned int i;

	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(iofd_ioas_alloc(self->fd, &self->ioas));
	for (i = 0; i != variant->devices; i++) {
		ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, &self->stdev[i],
					&self->hwpt[i], NULL));
	}
	self->base = MOCK_APERTURE_START;
	self->align = variant->devices ? IOFD_MOCK_IO_PAGE : 1;
	self->len = NPAGES * iofd_psize;
	self->buf = iofd_alloc_aligned(self->len, 2UL << 20);
	ASSERT_NE(NULL, self->buf);
}

FIXTURE_TEARDOWN(ioas)
{
	/* Whatever a test left behind, closing must unpin all of it. */
	if (self->fd >= 0) {
		EXPECT_OK(iofd_close_and_check_unpinned(self->fd, self->buf,
							self->len));
	}
	munmap(self->buf, self->len);
}

/* Every domain of the fixture translates @iova..+len to @va. */
#define ASSERT_MAPPED(va, iova, len)                                        \
	do {                                                                \
		unsigned int __d;                                           \
		for (__d = 0; __d != variant->devices; __d++) {             \
			ASSERT_OK(iofd_check_map(self->fd, self->hwpt[__d], \
						 iova, va, len));           \
		}                                                           \
	} while (0)

#define P(n) ((__u64)(n) * iofd_psize)

TEST_F(ioas, alloc_flags_must_be_zero)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd), .flags = 1 };

	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOC, &cmd));
	cmd.flags = 0x80000000;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOC, &cmd));
	cmd.flags = 0;
	ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_ALLOC, &cmd));
	ASSERT_NE(self->ioas, cmd.out_ioas_id);
}

TEST_F(ioas, map_fixed_then_unmap)
{
	__u64 unmapped = 0;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(4),
				 self->base));
	ASSERT_MAPPED(self->buf, self->base, P(4));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, self->base, P(4),
			     &unmapped));
	ASSERT_EQ(P(4), unmapped);
	/* Gone: a second unmap finds nothing. */
	ASSERT_ERRNO(ENOENT,
		     iofd_unmap(self->fd, self->ioas, self->base, P(4), NULL));
}

TEST_F(ioas, map_many_areas)
{
	unsigned int i;

	for (i = 0; i != 16; i++) {
		ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf + P(i),
					 P(1), self->base + P(2 * i)));
	}
	for (i = 0; i != 16; i++)
		ASSERT_MAPPED(self->buf + P(i), self->base + P(2 * i), P(1));
	for (i = 0; i != 16; i++) {
		ASSERT_OK(iofd_unmap(self->fd, self->ioas,
				     self->base + P(2 * i), P(1), NULL));
	}
}

TEST_F(ioas, map_auto_iova)
{
	__u64 a, b;

	ASSERT_OK(iofd_map_auto(self->fd, self->ioas, self->buf, P(4), &a));
	ASSERT_OK(iofd_map_auto(self->fd, self->ioas, self->buf, P(4), &b));
	/* Never IOVA 0, never overlapping, inside the aperture if any. */
	ASSERT_NE(0, a);
	ASSERT_NE(0, b);
	ASSERT_TRUE(a + P(4) <= b || b + P(4) <= a);
	if (variant->devices) {
		ASSERT_LE(MOCK_APERTURE_START, a);
		ASSERT_GE(MOCK_APERTURE_LAST, a + P(4) - 1);
		ASSERT_LE(MOCK_APERTURE_START, b);
		ASSERT_GE(MOCK_APERTURE_LAST, b + P(4) - 1);
	}
	ASSERT_MAPPED(self->buf, a, P(4));
	ASSERT_MAPPED(self->buf, b, P(4));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, a, P(4), NULL));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, b, P(4), NULL));
}

TEST_F(ioas, map_auto_iova_alignment)
{
	__u64 iova[10];
	unsigned int i;

	/*
	 * The chosen IOVA keeps the alignment the length and the (2 MiB
	 * aligned) user address share, so huge IOPTEs stay possible.
	 */
	for (i = 0; i != 10; i++) {
		__u64 len = P(i + 1);

		ASSERT_OK(iofd_map_auto(self->fd, self->ioas, self->buf, len,
					&iova[i]));
		ASSERT_EQ(0, iova[i] % (len & -len));
	}
	for (i = 0; i != 10; i++) {
		ASSERT_OK(iofd_unmap(self->fd, self->ioas, iova[i], P(i + 1),
				     NULL));
	}
}

TEST_F(ioas, map_permissions)
{
	__u64 iova = self->base;
	char *ro;

	/* No access at all is meaningless. */
	ASSERT_ERRNO(EINVAL, iofd_map(self->fd, self->ioas, self->buf, P(1),
				      &iova, IOMMU_IOAS_MAP_FIXED_IOVA));
	ASSERT_ERRNO(EINVAL,
		     iofd_map(self->fd, self->ioas, self->buf, P(1), &iova, 0));
	/* Read-only and write-only are both fine. */
	ASSERT_OK(iofd_map(self->fd, self->ioas, self->buf, P(1), &iova,
			   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE));
	iova = self->base + P(1);
	ASSERT_OK(iofd_map(self->fd, self->ioas, self->buf + P(1), P(1), &iova,
			   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE));
	ASSERT_MAPPED(self->buf, self->base, P(2));

	/* Memory the process may only read. */
	ro = mmap(NULL, P(1), PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	iova = self->base + P(8);
	ASSERT_OK(iofd_map(self->fd, self->ioas, ro, P(1), &iova,
			   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE));
	ASSERT_MAPPED(ro, iova, P(1));
	iova = self->base + P(9);
	if (variant->devices) {
		/* Pinning for write fails at once when a domain needs it. */
		ASSERT_ERRNO(EFAULT, iofd_map_fixed(self->fd, self->ioas, ro,
						    P(1), iova));
	} else {
		/* Nothing is pinned yet, so nothing can fail yet. */
		ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, ro, P(1), iova));
		/* ... but a device arriving later cannot get the pages. */
		ASSERT_ERRNO(EFAULT, iofd_mock_dev(self->fd, self->ioas, NULL,
						   NULL, NULL));
	}
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	munmap(ro, P(1));
}

TEST_F(ioas, map_bad_flags_and_reserved)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW,
		.ioas_id = self->ioas,
		.user_va = (uintptr_t)self->buf,
		.length = P(1),
		.iova = self->base,
	};

	cmd.flags |= 1 << 3;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW | 0x80000000;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW;
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.__reserved = 0;
	ASSERT_OK(ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	cmd.ioas_id = 0;
	cmd.iova = self->base + P(4);
	ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
}

TEST_F(ioas, map_overlap_is_eexist)
{
	__u64 at = self->base + P(16);

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(2), at));
	/* Same range, inside it, straddling either end, covering it. */
	ASSERT_ERRNO(EEXIST,
		     iofd_map_fixed(self->fd, self->ioas, self->buf, P(2), at));
	ASSERT_ERRNO(EEXIST, iofd_map_fixed(self->fd, self->ioas, self->buf,
					    P(1), at + P(1)));
	ASSERT_ERRNO(EEXIST, iofd_map_fixed(self->fd, self->ioas, self->buf,
					    P(2), at - P(1)));
	ASSERT_ERRNO(EEXIST, iofd_map_fixed(self->fd, self->ioas, self->buf,
					    P(2), at + P(1)));
	ASSERT_ERRNO(EEXIST, iofd_map_fixed(self->fd, self->ioas, self->buf,
					    P(4), at - P(1)));
	/* Touching but not overlapping is fine on both sides. */
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(1),
				 at - P(1)));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(1),
				 at + P(2)));
	ASSERT_MAPPED(self->buf, at - P(1), P(1));
	ASSERT_MAPPED(self->buf, at, P(2));
	ASSERT_MAPPED(self->buf, at + P(2), P(1));
}

TEST_F(ioas, map_zero_length)
{
	__u64 iova;

	ASSERT_ERRNO(EINVAL, iofd_map_fixed(self->fd, self->ioas, self->buf, 0,
					    self->base));
	ASSERT_ERRNO(EINVAL,
		     iofd_map_auto(self->fd, self->ioas, self->buf, 0, &iova));
}

TEST_F(ioas, map_alignment)
{
	__u64 iova;

	if (variant->devices) {
		/* The mock IOMMU maps IOFD_MOCK_IO_PAGE units only. */
		ASSERT_ERRNO(EINVAL,
			     iofd_map_fixed(self->fd, self->ioas, self->buf,
					    P(1), self->base + 1));
		ASSERT_ERRNO(EINVAL,
			     iofd_map_fixed(self->fd, self->ioas, self->buf,
					    100, self->base));
		ASSERT_ERRNO(EINVAL, iofd_map_auto(self->fd, self->ioas,
						   self->buf, 100, &iova));
		/* The user address must share the IOVA's sub-page offset. */
		ASSERT_ERRNO(EINVAL,
			     iofd_map_fixed(self->fd, self->ioas, self->buf + 8,
					    P(1), self->base));
		/* Half a page is one mock IO page: that works. */
		ASSERT_OK(iofd_map_fixed(self->fd, self->ioas,
					 self->buf + IOFD_MOCK_IO_PAGE,
					 IOFD_MOCK_IO_PAGE,
					 self->base + IOFD_MOCK_IO_PAGE));
		ASSERT_MAPPED(self->buf + IOFD_MOCK_IO_PAGE,
			      self->base + IOFD_MOCK_IO_PAGE,
			      IOFD_MOCK_IO_PAGE);
	} else {
		/* No domain, no alignment rule: byte granular. */
		ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf + 3,
					 100, self->base + 3));
		ASSERT_OK(iofd_map_auto(self->fd, self->ioas, self->buf + 5, 7,
					&iova));
		ASSERT_OK(iofd_unmap(self->fd, self->ioas, iova, 7, NULL));
		ASSERT_OK(iofd_unmap(self->fd, self->ioas, self->base + 3, 100,
				     NULL));
	}
}

TEST_F(ioas, map_overflow)
{
	__u64 top = UINT64_MAX - P(1) + 1;

	/* IOVA + length wraps. */
	ASSERT_ERRNO(EOVERFLOW, iofd_map_fixed(self->fd, self->ioas, self->buf,
					       P(2), top));
	/* Numbers the IOVA space cannot hold at all. */
	ASSERT_ERRNO(EOVERFLOW, iofd_map_fixed(self->fd, self->ioas, self->buf,
					       P(1), UINT64_MAX));
	ASSERT_ERRNO(EOVERFLOW, iofd_map_fixed(self->fd, self->ioas, self->buf,
					       UINT64_MAX, self->base));
	/* The user address range wraps. */
	ASSERT_ERRNO(EOVERFLOW,
		     iofd_map_fixed(self->fd, self->ioas,
				    (void *)(uintptr_t)top, P(2), self->base));
}

TEST_F(ioas, map_outside_aperture)
{
	if (!variant->devices) {
		__u64 bytes = 0;

		/* Without a domain every IOVA is usable, even 0 ... */
		ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(1),
					 0));
		/* ... and the very last page of the 64-bit space. */
		ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(1),
					 UINT64_MAX - P(1) + 1));
		ASSERT_OK(iofd_unmap(self->fd, self->ioas,
				     UINT64_MAX - P(1) + 1, P(1), &bytes));
		ASSERT_EQ(P(1), bytes);
		return;
	}
	ASSERT_ERRNO(EINVAL,
		     iofd_map_fixed(self->fd, self->ioas, self->buf, P(1), 0));
	ASSERT_ERRNO(EINVAL, iofd_map_fixed(self->fd, self->ioas, self->buf,
					    P(2), MOCK_APERTURE_START - P(1)));
	ASSERT_ERRNO(EINVAL,
		     iofd_map_fixed(self->fd, self->ioas, self->buf, P(2),
				    (__u64)MOCK_APERTURE_LAST + 1 - P(1)));
	/* The very last page of the aperture is fine. */
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(1),
				 (__u64)MOCK_APERTURE_LAST + 1 - P(1)));
}

TEST_F(ioas, map_unbacked_memory)
{
	char *hole;

	hole = mmap(NULL, P(4), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, hole);
	ASSERT_EQ(0, munmap(hole + P(2), P(2)));

	if (variant->devices) {
		/* Pinning fails half way through, and on the first page. */
		ASSERT_ERRNO(EFAULT, iofd_map_fixed(self->fd, self->ioas, hole,
						    P(4), self->base));
		ASSERT_ERRNO(EFAULT,
			     iofd_map_fixed(self->fd, self->ioas, hole + P(2),
					    P(2), self->base));
		/* The failed maps left no area behind. */
		ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, hole, P(2),
					 self->base));
	} else {
		/* Pages are only looked at when something needs them. */
		ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, hole, P(4),
					 self->base));
	}
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	munmap(hole, P(2));
}

TEST_F(ioas, map_enospc)
{
	struct iommu_iova_range r = {
		.start = self->base,
		.last = self->base + P(4) - 1,
	};
	__u64 iova;

	/* Only four pages may be allocated automatically. */
	ASSERT_OK(iofd_allow_iovas(self->fd, self->ioas, &r, 1));
	ASSERT_ERRNO(ENOSPC, iofd_map_auto(self->fd, self->ioas, self->buf,
					   P(8), &iova));
	ASSERT_OK(iofd_map_auto(self->fd, self->ioas, self->buf, P(4), &iova));
	ASSERT_EQ(self->base, iova);
	ASSERT_ERRNO(ENOSPC, iofd_map_auto(self->fd, self->ioas, self->buf,
					   P(1), &iova));
	/* FIXED_IOVA is not limited by the allowed list. */
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(1),
				 self->base + P(32)));
}

TEST_F(ioas, unmap_nothing_is_enoent)
{
	unsigned int i;

	for (i = 0; i != 8; i++) {
		ASSERT_ERRNO(ENOENT, iofd_unmap(self->fd, self->ioas,
						self->base + P(i), P(1), NULL));
	}
	ASSERT_ERRNO(ENOENT, iofd_unmap(self->fd, 0, self->base, P(1), NULL));
}

TEST_F(ioas, unmap_bad_arguments)
{
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(1),
				 self->base));
	ASSERT_ERRNO(EINVAL,
		     iofd_unmap(self->fd, self->ioas, self->base, 0, NULL));
	ASSERT_ERRNO(EOVERFLOW, iofd_unmap(self->fd, self->ioas,
					   UINT64_MAX - P(1) + 1, P(2), NULL));
	ASSERT_ERRNO(EOVERFLOW, iofd_unmap(self->fd, self->ioas, self->base,
					   UINT64_MAX, NULL));
	/* Still mapped after all of that. */
	ASSERT_MAPPED(self->buf, self->base, P(1));
}

TEST_F(ioas, unmap_cannot_split_an_area)
{
	__u64 at = self->base + P(16);

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(4), at));
	/* Any range that cuts the area is refused ... */
	ASSERT_ERRNO(ENOENT, iofd_unmap(self->fd, self->ioas, at, P(1), NULL));
	ASSERT_ERRNO(ENOENT,
		     iofd_unmap(self->fd, self->ioas, at + P(1), P(2), NULL));
	ASSERT_ERRNO(ENOENT,
		     iofd_unmap(self->fd, self->ioas, at + P(3), P(4), NULL));
	ASSERT_ERRNO(ENOENT,
		     iofd_unmap(self->fd, self->ioas, at - P(1), P(2), NULL));
	/* ... and leaves it whole. */
	ASSERT_MAPPED(self->buf, at, P(4));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, at, P(4), NULL));
}

TEST_F(ioas, unmap_superset_takes_whole_areas)
{
	__u64 unmapped = 0;
	unsigned int i;

	/* Four 2-page areas with 2-page holes between them. */
	for (i = 0; i != 4; i++) {
		ASSERT_OK(iofd_map_fixed(self->fd, self->ioas,
					 self->buf + P(2 * i), P(2),
					 self->base + P(8) + P(4 * i)));
	}
	/* A range from a hole to a hole covering the middle two. */
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, self->base + P(10), P(10),
			     &unmapped));
	ASSERT_EQ(P(4), unmapped);
	ASSERT_MAPPED(self->buf, self->base + P(8), P(2));
	ASSERT_MAPPED(self->buf + P(6), self->base + P(20), P(2));
	/* A range with only holes left in it. */
	ASSERT_ERRNO(ENOENT, iofd_unmap(self->fd, self->ioas,
					self->base + P(10), P(10), NULL));
	/* Everything from well before to well after. */
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, self->base, P(64),
			     &unmapped));
	ASSERT_EQ(P(4), unmapped);
}

TEST_F(ioas, unmap_all)
{
	__u64 unmapped = 1;
	unsigned int i;

	/* Unmapping everything in an empty IOAS is a success of 0 bytes. */
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, &unmapped));
	ASSERT_EQ(0, unmapped);

	for (i = 0; i != 5; i++) {
		ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf,
					 P(i + 1), self->base + P(8 * i)));
	}
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, &unmapped));
	ASSERT_EQ(P(1 + 2 + 3 + 4 + 5), unmapped);
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, &unmapped));
	ASSERT_EQ(0, unmapped);
}

TEST_F(ioas, copy_within_and_between)
{
	__u32 dst;
	__u64 iova;
	__u32 fl = IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(8),
				 self->base));
	/* Into the same IOAS. */
	iova = self->base + P(16);
	ASSERT_OK(iofd_copy(self->fd, self->ioas, &iova, self->ioas, self->base,
			    P(8), fl));
	ASSERT_MAPPED(self->buf, self->base + P(16), P(8));

	/* Into another IOAS, a slice of the source area. */
	ASSERT_OK(iofd_ioas_alloc(self->fd, &dst));
	iova = MOCK_APERTURE_START + P(4);
	ASSERT_OK(iofd_copy(self->fd, dst, &iova, self->ioas, self->base + P(2),
			    P(3), fl));
	/* Without FIXED_IOVA the kernel picks and reports the IOVA. */
	iova = 0;
	ASSERT_OK(iofd_copy(self->fd, dst, &iova, self->ioas, self->base, P(8),
			    IOFD_RW));
	ASSERT_NE(0, iova);
	ASSERT_TRUE(iova >= MOCK_APERTURE_START + P(7) ||
		    iova + P(8) <= MOCK_APERTURE_START + P(4));

	/* Copies are independent areas of the destination. */
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, self->base, P(8), NULL));
	ASSERT_OK(iofd_unmap(self->fd, dst, 0, UINT64_MAX, &iova));
	ASSERT_EQ(P(3 + 8), iova);
}

TEST_F(ioas, copy_errors)
{
	__u32 fl = IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW;
	__u32 dst;
	__u64 iova;

	ASSERT_OK(iofd_ioas_alloc(self->fd, &dst));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(2),
				 self->base));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(2),
				 self->base + P(4)));
#define COPY_ERR(err, src_iova, len, flags)                                    \
	do {                                                                   \
		iova = MOCK_APERTURE_START + P(32);                            \
		ASSERT_EQ(err,                                                 \
			  ERRNO_OF(iofd_copy(self->fd, dst, &iova, self->ioas, \
					     src_iova, len, flags)));          \
	} while (0)
	/* Nothing mapped there, or a hole inside the range. */
	COPY_ERR(ENOENT, self->base + P(16), P(1), fl);
	COPY_ERR(ENOENT, self->base, P(6), fl);
	COPY_ERR(ENOENT, self->base + P(1), P(2), fl);
	COPY_ERR(ENOENT, self->base - P(1), P(2), fl);
	COPY_ERR(EINVAL, self->base, 0, fl);
	COPY_ERR(EINVAL, self->base, P(1), IOMMU_IOAS_MAP_FIXED_IOVA);
	COPY_ERR(EOPNOTSUPP, self->base, P(1), fl | (1 << 3));
	COPY_ERR(EOVERFLOW, UINT64_MAX, P(1), fl);
	COPY_ERR(EOVERFLOW, self->base, UINT64_MAX, fl);
#undef COPY_ERR
	/* Missing IOASes on either side. */
	iova = MOCK_APERTURE_START;
	ASSERT_ERRNO(ENOENT,
		     iofd_copy(self->fd, dst, &iova, 0, self->base, P(1), fl));
	ASSERT_ERRNO(ENOENT, iofd_copy(self->fd, 0, &iova, self->ioas,
				       self->base, P(1), fl));
	/* The destination range is taken. */
	iova = self->base + P(4);
	ASSERT_ERRNO(EEXIST, iofd_copy(self->fd, self->ioas, &iova, self->ioas,
				       self->base, P(2), fl));
	/* None of the failures left anything in the destination. */
	ASSERT_OK(iofd_unmap(self->fd, dst, 0, UINT64_MAX, &iova));
	ASSERT_EQ(0, iova);
}

TEST_F(ioas, copy_shares_the_pins)
{
	__u32 dst, dst_stdev, dst_hwpt;
	__u64 iova = MOCK_APERTURE_START + P(8);

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(8),
				 self->base));
	/* Without a domain nothing is pinned yet: give the source one. */
	if (!variant->devices)
		ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, &self->stdev[0],
					&self->hwpt[0], NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(8), 1));

	ASSERT_OK(iofd_ioas_alloc(self->fd, &dst));
	ASSERT_OK(iofd_mock_dev(self->fd, dst, &dst_stdev, &dst_hwpt, NULL));
	ASSERT_OK(iofd_copy(self->fd, dst, &iova, self->ioas, self->base, P(8),
			    IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW));
	ASSERT_OK(iofd_check_map(self->fd, dst_hwpt, iova, self->buf, P(8)));
	/* Two IOASes, one set of pins. */
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(8), 1));

	/* The copy keeps the pages pinned after the source is gone. */
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, self->base, P(8), NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(8), 1));
	ASSERT_OK(iofd_check_map(self->fd, dst_hwpt, iova, self->buf, P(8)));
	ASSERT_OK(iofd_unmap(self->fd, dst, iova, P(8), NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(8), 0));
}

TEST_F(ioas, iova_ranges)
{
	struct iommu_iova_range r[4];
	__u32 num = 4;
	__u64 align = 0;

	memset(r, 0, sizeof(r));
	ASSERT_OK(iofd_iova_ranges(self->fd, self->ioas, r, &num, &align));
	ASSERT_EQ(1, num);
	if (variant->devices) {
		ASSERT_EQ(MOCK_APERTURE_START, r[0].start);
		ASSERT_EQ(MOCK_APERTURE_LAST, r[0].last);
	} else {
		ASSERT_EQ(0, r[0].start);
		ASSERT_EQ(UINT64_MAX, r[0].last);
	}
	ASSERT_EQ(self->align, align);

	/* A reserved page inside splits the usable space in two. */
	ASSERT_OK(iofd_add_reserved(self->fd, self->ioas, self->base + P(4),
				    P(1)));
	memset(r, 0, sizeof(r));
	num = 4;
	ASSERT_OK(iofd_iova_ranges(self->fd, self->ioas, r, &num, NULL));
	ASSERT_EQ(2, num);
	ASSERT_EQ(variant->devices ? MOCK_APERTURE_START : 0, r[0].start);
	ASSERT_EQ(self->base + P(4) - 1, r[0].last);
	ASSERT_EQ(self->base + P(5), r[1].start);
	ASSERT_EQ(variant->devices ? MOCK_APERTURE_LAST : UINT64_MAX,
		  r[1].last);
	/* Nothing is written past what the kernel reported. */
	ASSERT_EQ(0, r[2].start);
	ASSERT_EQ(0, r[2].last);

	/* The reserved page cannot be mapped. */
	ASSERT_ERRNO(EINVAL, iofd_map_fixed(self->fd, self->ioas, self->buf,
					    P(2), self->base + P(3)));
}

TEST_F(ioas, iova_ranges_emsgsize)
{
	struct iommu_iova_range r[2];
	__u32 num = 0;

	/* No room at all: EMSGSIZE and the count needed. */
	ASSERT_ERRNO(EMSGSIZE,
		     iofd_iova_ranges(self->fd, self->ioas, NULL, &num, NULL));
	ASSERT_EQ(1, num);

	ASSERT_OK(iofd_add_reserved(self->fd, self->ioas, self->base + P(4),
				    P(1)));
	ASSERT_OK(iofd_add_reserved(self->fd, self->ioas, self->base + P(8),
				    P(1)));
	/* Room for two of three: the two are filled, the third is counted. */
	memset(r, 0, sizeof(r));
	num = 2;
	ASSERT_ERRNO(EMSGSIZE,
		     iofd_iova_ranges(self->fd, self->ioas, r, &num, NULL));
	ASSERT_EQ(3, num);
	ASSERT_EQ(self->base + P(4) - 1, r[0].last);
	ASSERT_EQ(self->base + P(5), r[1].start);
	ASSERT_EQ(self->base + P(8) - 1, r[1].last);
}

TEST_F(ioas, iova_ranges_bad_arguments)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas,
		.__reserved = 1,
	};

	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	cmd.__reserved = 0;
	cmd.ioas_id = 0;
	ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	/* A bad array pointer is only touched when there is room in it. */
	cmd.ioas_id = self->ioas;
	cmd.num_iovas = 4;
	cmd.allowed_iovas = 8;
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
}

TEST_F(ioas, allow_iovas_vs_reserved)
{
	struct iommu_iova_range r = {
		.start = self->base,
		.last = self->base + P(100) - 1,
	};

	/* Allowed first: a reserved region inside it is refused. */
	ASSERT_OK(iofd_allow_iovas(self->fd, self->ioas, &r, 1));
	ASSERT_ERRNO(EADDRINUSE, iofd_add_reserved(self->fd, self->ioas,
						   self->base + P(1), P(1)));
	/* Clearing the list lifts the restriction. */
	ASSERT_OK(iofd_allow_iovas(self->fd, self->ioas, NULL, 0));
	ASSERT_OK(iofd_add_reserved(self->fd, self->ioas, self->base + P(1),
				    P(1)));
	/* Reserved first: an allowed range over it is refused. */
	ASSERT_ERRNO(EADDRINUSE, iofd_allow_iovas(self->fd, self->ioas, &r, 1));
	/* An allowed range beside it is fine. */
	r.start = self->base + P(2);
	ASSERT_OK(iofd_allow_iovas(self->fd, self->ioas, &r, 1));
}

TEST_F(ioas, allow_iovas_limits_auto_placement)
{
	struct iommu_iova_range r[2] = {
		{ .start = self->base + P(200),
		  .last = self->base + P(216) - 1 },
		{ .start = self->base + P(400),
		  .last = self->base + P(432) - 1 },
	};
	__u64 iova[6];
	unsigned int i;

	ASSERT_OK(iofd_allow_iovas(self->fd, self->ioas, r, 2));
	for (i = 0; i != 6; i++) {
		ASSERT_OK(iofd_map_auto(self->fd, self->ioas, self->buf,
					P(i + 1), &iova[i]));
		ASSERT_TRUE((iova[i] >= r[0].start &&
			     iova[i] + P(i + 1) - 1 <= r[0].last) ||
			    (iova[i] >= r[1].start &&
			     iova[i] + P(i + 1) - 1 <= r[1].last));
	}
}

TEST_F(ioas, allow_iovas_bad_lists)
{
	struct iommu_iova_range r[2] = {
		{ .start = self->base, .last = self->base + P(8) - 1 },
		{ .start = self->base + P(4), .last = self->base + P(12) - 1 },
	};
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas,
		.__reserved = 1,
	};

	/* Overlapping entries, and entries that end before they start. */
	ASSERT_ERRNO(EINVAL, iofd_allow_iovas(self->fd, self->ioas, r, 2));
	r[1].start = self->base + P(20);
	r[1].last = self->base + P(10);
	ASSERT_ERRNO(EINVAL, iofd_allow_iovas(self->fd, self->ioas, r, 2));
	/* A range must span more than one byte (upstream's rule). */
	r[1].last = r[1].start;
	ASSERT_ERRNO(EINVAL, iofd_allow_iovas(self->fd, self->ioas, r, 2));
	ASSERT_ERRNO(EFAULT,
		     iofd_allow_iovas(self->fd, self->ioas, (void *)8, 1));
	ASSERT_ERRNO(ENOENT, iofd_allow_iovas(self->fd, 0, r, 1));
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
}

TEST_F(ioas, allow_iovas_blocks_narrowing_attach)
{
	struct iommu_iova_range r = { .start = P(1), .last = P(100) };

	if (variant->devices) {
		/* The domain reserved everything below its aperture. */
		ASSERT_ERRNO(EADDRINUSE,
			     iofd_allow_iovas(self->fd, self->ioas, &r, 1));
		return;
	}
	/* The mock aperture starts at 16 MiB: a device would take P(1). */
	ASSERT_OK(iofd_allow_iovas(self->fd, self->ioas, &r, 1));
	ASSERT_ERRNO(EADDRINUSE,
		     iofd_mock_dev(self->fd, self->ioas, NULL, NULL, NULL));
	/* Lift the promise and the same device attaches. */
	ASSERT_OK(iofd_allow_iovas(self->fd, self->ioas, NULL, 0));
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, NULL, NULL));
}

TEST_F(ioas, option_huge_pages)
{
	__u64 val = 7;
	__u32 num = 1;
	__u64 align;
	struct iommu_iova_range r;

	ASSERT_OK(iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_GET, self->ioas, &val));
	ASSERT_EQ(1, val);

	val = 0;
	ASSERT_OK(iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_SET, self->ioas, &val));
	val = 7;
	ASSERT_OK(iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_GET, self->ioas, &val));
	ASSERT_EQ(0, val);
	/* Without large pages every map is whole CPU pages. */
	ASSERT_OK(iofd_iova_ranges(self->fd, self->ioas, &r, &num, &align));
	ASSERT_EQ(iofd_psize, align);

	val = 2;
	ASSERT_ERRNO(EINVAL,
		     iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
				 IOMMU_OPTION_OP_SET, self->ioas, &val));
	val = 1;
	ASSERT_OK(iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_SET, self->ioas, &val));
	ASSERT_OK(iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_GET, self->ioas, &val));
	ASSERT_EQ(1, val);
	num = 1;
	ASSERT_OK(iofd_iova_ranges(self->fd, self->ioas, &r, &num, &align));
	ASSERT_EQ(self->align, align);
}

TEST_F(ioas, option_huge_pages_alignment_change)
{
	__u64 val = 0;

	/* A sub-page aligned area blocks the switch to page granularity. */
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas,
				 self->buf + IOFD_MOCK_IO_PAGE,
				 IOFD_MOCK_IO_PAGE,
				 self->base + IOFD_MOCK_IO_PAGE));
	if (variant->devices) {
		/* Domains with mappings in them never change page size. */
		ASSERT_ERRNO(EINVAL,
			     iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_SET, self->ioas,
					 &val));
	} else {
		ASSERT_ERRNO(EADDRINUSE,
			     iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_SET, self->ioas,
					 &val));
	}
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));

	if (variant->devices)
		return;
	/* With nothing in the way the switch works ... */
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(1),
				 self->base));
	ASSERT_OK(iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_SET, self->ioas, &val));
	/* ... and from then on sub-page maps are refused. */
	ASSERT_ERRNO(EINVAL, iofd_map_fixed(self->fd, self->ioas, self->buf + 8,
					    P(1), self->base + P(2) + 8));
}

TEST_F(ioas, option_bad_arguments)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = self->ioas,
	};
	__u64 val = 0;

	/* HUGE_PAGES needs an IOAS. */
	ASSERT_ERRNO(ENOENT, iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_GET, 0, &val));
	ASSERT_ERRNO(ENOENT, iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
					 IOMMU_OPTION_OP_SET, 0, &val));
	/* Unknown op, unknown option, reserved bits. */
	cmd.op = 2;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.op = IOMMU_OPTION_OP_GET;
	cmd.option_id = 0x1000;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.option_id = IOMMU_OPTION_HUGE_PAGES;
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	/* RLIMIT_MODE is global: no object ID. */
	cmd.__reserved = 0;
	cmd.option_id = IOMMU_OPTION_RLIMIT_MODE;
	cmd.object_id = self->ioas;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	cmd.object_id = 0;
	cmd.op = 2;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
}

/* RLIMIT_MODE on a fresh fd; it may only change while the fd is empty. */
TEST(rlimit_mode_get_set)
{
	int fd = iofd_open();
	__u64 val = 5;
	__u32 ioas;

	ASSERT_LE(0, fd);
	ASSERT_OK(iofd_option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET,
			      0, &val));
	ASSERT_EQ(0, val); /* per-user accounting by default */

	val = 1;
	ASSERT_OK(iofd_option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET,
			      0, &val));
	val = 5;
	ASSERT_OK(iofd_option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET,
			      0, &val));
	ASSERT_EQ(1, val);
	val = 2;
	ASSERT_ERRNO(EINVAL, iofd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
					 IOMMU_OPTION_OP_SET, 0, &val));

	/* Once an object exists the accounting mode is fixed. */
	ASSERT_OK(iofd_ioas_alloc(fd, &ioas));
	val = 0;
	ASSERT_ERRNO(EBUSY, iofd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
					IOMMU_OPTION_OP_SET, 0, &val));
	ASSERT_OK(iofd_option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_GET,
			      0, &val));
	ASSERT_EQ(1, val);
	/* Empty again: it may change again. */
	ASSERT_OK(iofd_destroy(fd, ioas));
	val = 0;
	ASSERT_OK(iofd_option(fd, IOMMU_OPTION_RLIMIT_MODE, IOMMU_OPTION_OP_SET,
			      0, &val));

	/* The mode belongs to the fd, not to the system. */
	{
		int fd2 = iofd_open();

		ASSERT_LE(0, fd2);
		val = 1;
		ASSERT_OK(iofd_option(fd2, IOMMU_OPTION_RLIMIT_MODE,
				      IOMMU_OPTION_OP_SET, 0, &val));
		ASSERT_OK(iofd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
				      IOMMU_OPTION_OP_GET, 0, &val));
		ASSERT_EQ(0, val);
		close(fd2);
	}
	close(fd);
}

static int set_rlimit_mode_unprivileged(void *unused)
{
	__u64 val = 1;
	int fd = iofd_open();

	CHILD_CHECK(1, fd >= 0);
	CHILD_CHECK(2, !iofd_drop_privileges());
	/* Reading is open to anyone holding the fd ... */
	CHILD_CHECK(3, !iofd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
				    IOMMU_OPTION_OP_GET, 0, &val));
	CHILD_CHECK(4, val == 0);
	/* ... changing it needs CAP_SYS_RESOURCE. */
	val = 1;
	CHILD_CHECK(5, iofd_option(fd, IOMMU_OPTION_RLIMIT_MODE,
				   IOMMU_OPTION_OP_SET, 0, &val) == -1);
	CHILD_CHECK(6, errno == EPERM);
	close(fd);
	return 0;
}

TEST(rlimit_mode_needs_cap_sys_resource)
{
	ASSERT_EQ(0, iofd_in_child(set_rlimit_mode_unprivileged, NULL));
}

TEST_F(ioas, unaligned_area_blocks_attach)
{
	__u32 stdev;

	/* An area on a 1-byte boundary the mock IOMMU cannot express. */
	if (variant->devices) {
		ASSERT_OK(iofd_destroy(self->fd, self->stdev[0]));
		if (variant->devices > 1)
			ASSERT_OK(iofd_destroy(self->fd, self->stdev[1]));
	}
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf + 1, 100,
				 self->base + 1));
	ASSERT_ERRNO(EADDRINUSE, iofd_mock_dev(self->fd, self->ioas, &stdev,
					       NULL, NULL));
	/* Gone again, the device attaches. */
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, &stdev, NULL, NULL));
}

TEST_HARNESS_MAIN
