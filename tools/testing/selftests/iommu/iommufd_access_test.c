// SPDX-License-Identifier: GPL-2.0-only
/*
 * Accesses: how an emulated device (mdev-style) reaches IOAS memory without
 * an IOMMU domain, by pinning pages or by copying through the kernel. The
 * selftest interface creates one as an fd (CREATE_ACCESS); closing the fd
 * destroys it. When user space unmaps pinned IOVA, the kernel must ask the
 * access to let go first (its unmap callback) and then complete the unmap.
 */
#include "iofd_test_util.h"

#define P(n) ((__u64)(n) * iofd_psize)
#define NPAGES 16

FIXTURE(acc)
{
	int fd;
	__u32 ioas;
	__u32 stdev;
	__u64 base;
	char *buf;
	size_t len;
};

FIXTURE_VARIANT(acc)
{
	bool domain;
};

FIXTURE_VARIANT_ADD(acc, no_domain) {
	.domain = false,
};

FIXTURE_VARIANT_ADD(acc, mock_domain) {
	.domain = true,
};

FIXTURE_SETUP(acc)
{
	unsigned int i;

	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(iofd_ioas_alloc(self->fd, &self->ioas));
	if (variant->domain) {
		ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, &self->stdev,
					NULL, NULL));
	}
	self->base = MOCK_APERTURE_START;
	self->len = P(NPAGES);
	self->buf = iofd_alloc_buf(self->len);
	ASSERT_NE(NULL, self->buf);
	for (i = 0; i != self->len; i++)
		self->buf[i] = (char)(i * 7 + i / 4096);
}

FIXTURE_TEARDOWN(acc)
{
	if (self->fd >= 0) {
		EXPECT_OK(iofd_close_and_check_unpinned(self->fd, self->buf,
							self->len));
	}
	munmap(self->buf, self->len);
}

/* Pins a domain would hold on its own, plus @extra. */
#define ASSERT_PINS(va, len, extra)                  \
	ASSERT_OK(iofd_check_pins(self->fd, va, len, \
				  (variant->domain ? 1 : 0) + (extra)))

TEST_F(acc, create_and_destroy)
{
	int afd = -1;

	ASSERT_ERRNO(ENOENT, iofd_access_create(self->fd, 0, 0, &afd));
	ASSERT_ERRNO(ENOENT, iofd_access_create(self->fd, 0x777, 0, &afd));
	ASSERT_ERRNO(EOPNOTSUPP,
		     iofd_access_create(self->fd, self->ioas, 1U << 7, &afd));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas, 0, &afd));
	ASSERT_LE(0, afd);
	/* The access holds its IOAS. */
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, self->ioas));
	ASSERT_EQ(0, close(afd));
	if (variant->domain)
		ASSERT_OK(iofd_destroy(self->fd, self->stdev));
	ASSERT_OK(iofd_destroy(self->fd, self->ioas));
}

TEST_F(acc, pin_and_unpin)
{
	__u32 id1, id2;
	int afd;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, self->len,
				 self->base));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &afd));
	ASSERT_PINS(self->buf, self->len, 0);

	/* The kernel checks the pinned pages are the user's pages. */
	ASSERT_OK(iofd_access_pin(self->fd, afd, 0, self->base, self->len,
				  self->buf, &id1));
	/* However many users, a page is pinned once. */
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, self->len, 1));
	ASSERT_OK(iofd_access_pin(self->fd, afd, MOCK_FLAGS_ACCESS_WRITE,
				  self->base + P(2), P(3), self->buf + P(2),
				  &id2));
	ASSERT_NE(id1, id2);
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, self->len, 1));

	ASSERT_OK(iofd_access_unpin(self->fd, afd, id1));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf + P(2), P(3), 1));
	ASSERT_OK(iofd_access_unpin(self->fd, afd, id2));
	ASSERT_PINS(self->buf, self->len, 0);
	/* An ID is good for one unpin. */
	ASSERT_ERRNO(ENOENT, iofd_access_unpin(self->fd, afd, id2));
	ASSERT_EQ(0, close(afd));
}

TEST_F(acc, pin_every_length)
{
	unsigned int n;
	__u32 id;
	int afd;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, self->len,
				 self->base));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &afd));
	for (n = 1; n <= NPAGES; n++) {
		ASSERT_OK(iofd_access_pin(self->fd, afd, 0,
					  self->base + P(NPAGES - n), P(n),
					  self->buf + P(NPAGES - n), &id));
		ASSERT_OK(iofd_check_pins(self->fd, self->buf + P(NPAGES - n),
					  P(n), 1));
		ASSERT_OK(iofd_access_unpin(self->fd, afd, id));
		ASSERT_PINS(self->buf, self->len, 0);
	}
	ASSERT_EQ(0, close(afd));
}

TEST_F(acc, pin_errors)
{
	__u32 id;
	int afd, plain;
	__u64 iova = self->base + P(NPAGES);

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(4),
				 self->base));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf + P(8), P(4),
				 self->base + P(8)));
	/* A read-only mapping. */
	ASSERT_OK(iofd_map(self->fd, self->ioas, self->buf + P(4), P(4), &iova,
			   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &afd));

	/* Nothing mapped, a hole in the range, nothing at all. */
	ASSERT_ERRNO(ENOENT,
		     iofd_access_pin(self->fd, afd, 0, self->base + P(32), P(1),
				     NULL, &id));
	ASSERT_ERRNO(ENOENT, iofd_access_pin(self->fd, afd, 0, self->base,
					     P(12), NULL, &id));
	ASSERT_ERRNO(EINVAL, iofd_access_pin(self->fd, afd, 0, self->base, 0,
					     NULL, &id));
	ASSERT_ERRNO(EOVERFLOW,
		     iofd_access_pin(self->fd, afd, 0, UINT64_MAX - P(1) + 1,
				     P(2), NULL, &id));
	ASSERT_ERRNO(EOPNOTSUPP, iofd_access_pin(self->fd, afd, 1U << 5,
						 self->base, P(1), NULL, &id));
	/* Write access to memory mapped read-only. */
	ASSERT_ERRNO(EPERM,
		     iofd_access_pin(self->fd, afd, MOCK_FLAGS_ACCESS_WRITE,
				     iova, P(1), NULL, &id));
	ASSERT_OK(iofd_access_pin(self->fd, afd, 0, iova, P(1),
				  self->buf + P(4), &id));
	ASSERT_OK(iofd_access_unpin(self->fd, afd, id));
	ASSERT_ERRNO(ENOENT, iofd_access_unpin(self->fd, afd, 0x999));
	/* None of the failures left a pin behind. */
	ASSERT_PINS(self->buf, P(4), 0);
	ASSERT_PINS(self->buf + P(8), P(4), 0);

	/* An access that never said it pins pages cannot. */
	ASSERT_OK(iofd_access_create(self->fd, self->ioas, 0, &plain));
	ASSERT_ERRNO(EOPNOTSUPP, iofd_access_pin(self->fd, plain, 0, self->base,
						 P(1), NULL, &id));
	ASSERT_EQ(0, close(plain));
	ASSERT_EQ(0, close(afd));
}

TEST_F(acc, unmap_while_pinned)
{
	__u64 unmapped = 0;
	__u32 id, id_mid;
	int afd;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(8),
				 self->base));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf + P(8), P(8),
				 self->base + P(8)));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &afd));
	/* One pin across both areas, one in the middle of the second. */
	ASSERT_OK(iofd_access_pin(self->fd, afd, 0, self->base + P(6), P(4),
				  self->buf + P(6), &id));
	ASSERT_OK(iofd_access_pin(self->fd, afd, 0, self->base + P(12), P(1),
				  self->buf + P(12), &id_mid));

	/*
	 * The unmap succeeds: the kernel told the access, which dropped its
	 * pins, and only then were the areas removed.
	 */
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, self->base, P(16),
			     &unmapped));
	ASSERT_EQ(P(16), unmapped);
	ASSERT_ERRNO(ENOENT, iofd_access_unpin(self->fd, afd, id));
	ASSERT_ERRNO(ENOENT, iofd_access_unpin(self->fd, afd, id_mid));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, self->len, 0));
	/* The access itself is still fine for the next mapping. */
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(2),
				 self->base));
	ASSERT_OK(iofd_access_pin(self->fd, afd, 0, self->base, P(2), self->buf,
				  &id));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(2), 1));
	ASSERT_EQ(0, close(afd));
	ASSERT_PINS(self->buf, P(2), 0);
}

TEST_F(acc, pins_survive_domain_removal)
{
	__u32 id;
	int afd;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, self->len,
				 self->base));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &afd));
	ASSERT_OK(iofd_access_pin(self->fd, afd, 0, self->base + P(1), P(2),
				  self->buf + P(1), &id));
	/* Without a domain, one arrives after the access pinned. */
	if (!variant->domain)
		ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, &self->stdev,
					NULL, NULL));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, self->len, 1));
	/* The domain goes; pages the access holds stay pinned, once. */
	ASSERT_OK(iofd_destroy(self->fd, self->stdev));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf + P(1), P(2), 1));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf + P(3), P(4), 0));
	ASSERT_OK(iofd_access_unpin(self->fd, afd, id));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, self->len, 0));
	ASSERT_EQ(0, close(afd));
}

TEST_F(acc, close_access_with_pins)
{
	__u32 id;
	int afd;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, self->len,
				 self->base));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &afd));
	ASSERT_OK(iofd_access_pin(self->fd, afd, 0, self->base, self->len,
				  self->buf, &id));
	ASSERT_EQ(0, close(afd));
	ASSERT_PINS(self->buf, self->len, 0);
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, 0, UINT64_MAX, NULL));
}

/* Read then write every short span around a page boundary. */
static void rw_around(struct __test_metadata *_metadata, int fd, int afd,
		      char *buf, __u64 iova, __u32 extra)
{
	unsigned char tmp[40];
	__u64 off, len;
	unsigned int i;

	for (off = iofd_psize - 24; off < iofd_psize + 24; off += 3) {
		for (len = 1; len < sizeof(tmp); len += 5) {
			ASSERT_OK(iofd_access_rw(fd, afd, iova + off, tmp, len,
						 extra));
			ASSERT_EQ(0, memcmp(buf + off, tmp, len));
			for (i = 0; i != len; i++)
				tmp[i] = (unsigned char)(off + i * 13 + len);
			ASSERT_OK(iofd_access_rw(fd, afd, iova + off, tmp, len,
						 extra | MOCK_ACCESS_RW_WRITE));
			ASSERT_EQ(0, memcmp(buf + off, tmp, len));
		}
	}
}

TEST_F(acc, rw)
{
	char *all;
	int afd;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, self->len,
				 self->base));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas, 0, &afd));
	rw_around(_metadata, self->fd, afd, self->buf, self->base, 0);
	rw_around(_metadata, self->fd, afd, self->buf, self->base,
		  MOCK_ACCESS_RW_SLOW_PATH);

	/* The whole mapping in one go. */
	all = malloc(self->len);
	ASSERT_NE(NULL, all);
	ASSERT_OK(iofd_access_rw(self->fd, afd, self->base, all, self->len, 0));
	ASSERT_EQ(0, memcmp(self->buf, all, self->len));
	memset(all, 0x11, self->len);
	ASSERT_OK(iofd_access_rw(self->fd, afd, self->base, all, self->len,
				 MOCK_ACCESS_RW_WRITE));
	ASSERT_EQ(0, memcmp(self->buf, all, self->len));
	free(all);
	ASSERT_EQ(0, close(afd));
}

TEST_F(acc, rw_across_areas_and_offsets)
{
	char tmp[64];
	int afd;

	/* Two areas back to back; the second starts mid-buffer. */
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(2),
				 self->base));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf + P(8), P(2),
				 self->base + P(2)));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas, 0, &afd));
	ASSERT_OK(iofd_access_rw(self->fd, afd, self->base + P(2) - 32, tmp,
				 sizeof(tmp), 0));
	ASSERT_EQ(0, memcmp(self->buf + P(2) - 32, tmp, 32));
	ASSERT_EQ(0, memcmp(self->buf + P(8), tmp + 32, 32));
	ASSERT_EQ(0, close(afd));
}

TEST_F(acc, rw_errors)
{
	char tmp[16] = {};
	__u64 ro = self->base + P(8);
	int afd;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(4),
				 self->base));
	ASSERT_OK(iofd_map(self->fd, self->ioas, self->buf + P(8), P(4), &ro,
			   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas, 0, &afd));
	ASSERT_ERRNO(ENOENT, iofd_access_rw(self->fd, afd, self->base + P(5),
					    tmp, sizeof(tmp), 0));
	/* Running off the end of a mapping into a hole. */
	ASSERT_ERRNO(ENOENT,
		     iofd_access_rw(self->fd, afd, self->base + P(4) - 8, tmp,
				    sizeof(tmp), 0));
	ASSERT_ERRNO(EINVAL,
		     iofd_access_rw(self->fd, afd, self->base, tmp, 0, 0));
	ASSERT_ERRNO(EOVERFLOW, iofd_access_rw(self->fd, afd, UINT64_MAX - 4,
					       tmp, sizeof(tmp), 0));
	ASSERT_ERRNO(EOPNOTSUPP, iofd_access_rw(self->fd, afd, self->base, tmp,
						sizeof(tmp), 1U << 6));
	/* Read-only mapping: reading is fine, writing is not. */
	ASSERT_OK(iofd_access_rw(self->fd, afd, ro, tmp, sizeof(tmp), 0));
	ASSERT_ERRNO(EPERM, iofd_access_rw(self->fd, afd, ro, tmp, sizeof(tmp),
					   MOCK_ACCESS_RW_WRITE));
	ASSERT_EQ(0, memcmp(self->buf + P(8), tmp, sizeof(tmp)));
	ASSERT_EQ(0, close(afd));
}

TEST_F(acc, replace_ioas)
{
	char *other = iofd_alloc_buf(P(4));
	__u32 ioas2, id;
	char tmp[32];
	int afd;

	ASSERT_NE(NULL, other);
	memset(other, 0x77, P(4));
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(4),
				 self->base));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas2, other, P(4), self->base));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &afd));
	ASSERT_OK(iofd_access_pin(self->fd, afd, 0, self->base, P(4), self->buf,
				  &id));

	/* Same IOVA, different memory behind it after the move. */
	ASSERT_OK(iofd_access_replace(self->fd, afd, ioas2));
	/* Moving drops whatever the access had pinned in the old IOAS. */
	ASSERT_ERRNO(ENOENT, iofd_access_unpin(self->fd, afd, id));
	ASSERT_PINS(self->buf, P(4), 0);
	ASSERT_OK(iofd_access_rw(self->fd, afd, self->base, tmp, sizeof(tmp),
				 0));
	ASSERT_EQ(0, memcmp(other, tmp, sizeof(tmp)));
	ASSERT_OK(iofd_access_pin(self->fd, afd, 0, self->base, P(1), other,
				  &id));
	ASSERT_OK(iofd_check_pins(self->fd, other, P(1), 1));

	/* The old IOAS is no longer held by the access. */
	if (variant->domain)
		ASSERT_OK(iofd_destroy(self->fd, self->stdev));
	ASSERT_OK(iofd_destroy(self->fd, self->ioas));
	/* The new one is. */
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, ioas2));

	/* A bad target changes nothing; the same target is a no-op. */
	ASSERT_ERRNO(ENOENT, iofd_access_replace(self->fd, afd, 0x5151));
	ASSERT_OK(iofd_access_replace(self->fd, afd, ioas2));
	ASSERT_OK(iofd_check_pins(self->fd, other, P(1), 1));
	ASSERT_OK(iofd_access_unpin(self->fd, afd, id));
	ASSERT_EQ(0, close(afd));
	ASSERT_OK(iofd_check_pins(self->fd, other, P(4), 0));
	ASSERT_OK(iofd_destroy(self->fd, ioas2));
	munmap(other, P(4));
}

TEST_F(acc, access_outlives_its_iommufd)
{
	__u32 id;
	int afd;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, self->len,
				 self->base));
	ASSERT_OK(iofd_access_create(self->fd, self->ioas,
				     MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				     &afd));
	ASSERT_OK(iofd_access_pin(self->fd, afd, 0, self->base, self->len,
				  self->buf, &id));
	/* The iommufd goes first; the access still holds what it uses. */
	ASSERT_EQ(0, close(self->fd));
	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, self->len, 1));
	/* Closing the access releases the old context and its pins. */
	ASSERT_EQ(0, close(afd));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, self->len, 0));
}

TEST_HARNESS_MAIN
