// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices and hardware page tables, driven through the selftest's mock
 * device (real devices arrive with a later issue): automatic HWPTs when a
 * device is attached to an IOAS, IOMMU_HWPT_ALLOC, replace, and
 * IOMMU_GET_HW_INFO.
 */
#include "iofd_test_util.h"

#define P(n) ((__u64)(n) * iofd_psize)

FIXTURE(dev)
{
	int fd;
	__u32 ioas;
	__u32 stdev;
	__u32 hwpt;
	__u32 idev;
	char *buf;
	size_t len;
};

FIXTURE_SETUP(dev)
{
	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(iofd_ioas_alloc(self->fd, &self->ioas));
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, &self->stdev, &self->hwpt,
				&self->idev));
	self->len = P(16);
	self->buf = iofd_alloc_buf(self->len);
	ASSERT_NE(NULL, self->buf);
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, P(4),
				 MOCK_APERTURE_START));
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0) {
		EXPECT_OK(iofd_close_and_check_unpinned(self->fd, self->buf,
							self->len));
	}
	munmap(self->buf, self->len);
}

TEST_F(dev, attach_creates_auto_hwpt)
{
	/* Three distinct objects: the test device, its idev, the HWPT. */
	ASSERT_NE(0, self->stdev);
	ASSERT_NE(0, self->hwpt);
	ASSERT_NE(0, self->idev);
	ASSERT_NE(self->ioas, self->hwpt);
	ASSERT_NE(self->stdev, self->hwpt);
	ASSERT_NE(self->idev, self->hwpt);
	/* The HWPT is filled from the IOAS, before and after attach. */
	ASSERT_OK(iofd_check_map(self->fd, self->hwpt, MOCK_APERTURE_START,
				 self->buf, P(4)));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf + P(4), P(4),
				 MOCK_APERTURE_START + P(4)));
	ASSERT_OK(iofd_check_map(self->fd, self->hwpt,
				 MOCK_APERTURE_START + P(4), self->buf + P(4),
				 P(4)));
	/* The attached HWPT and its IOAS are busy. */
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, self->hwpt));
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, self->ioas));
	/* The idev belongs to its (mock) driver until it unbinds. */
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, self->idev));
}

TEST_F(dev, unmap_removes_from_hwpt)
{
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, MOCK_APERTURE_START, P(4),
			     NULL));
	ASSERT_ERRNO(EINVAL,
		     iofd_check_map(self->fd, self->hwpt, MOCK_APERTURE_START,
				    self->buf, P(4)));
}

TEST_F(dev, two_devices_share_the_auto_hwpt)
{
	__u32 stdev2, hwpt2;

	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, &stdev2, &hwpt2, NULL));
	ASSERT_EQ(self->hwpt, hwpt2);
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(4), 1));

	/* The HWPT lives as long as one device uses it. */
	ASSERT_OK(iofd_destroy(self->fd, self->stdev));
	ASSERT_OK(iofd_check_map(self->fd, hwpt2, MOCK_APERTURE_START,
				 self->buf, P(4)));
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, hwpt2));
	ASSERT_OK(iofd_destroy(self->fd, stdev2));
	/* An automatic HWPT dies with its last device. */
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, hwpt2));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(4), 0));
	ASSERT_OK(iofd_destroy(self->fd, self->ioas));
}

TEST_F(dev, attach_to_hwpt_directly)
{
	__u32 stdev2, hwpt2;

	ASSERT_OK(iofd_mock_dev(self->fd, self->hwpt, &stdev2, &hwpt2, NULL));
	ASSERT_EQ(self->hwpt, hwpt2);
	ASSERT_OK(iofd_destroy(self->fd, stdev2));
}

TEST_F(dev, attach_to_bad_ids)
{
	ASSERT_ERRNO(ENOENT, iofd_mock_dev(self->fd, 0, NULL, NULL, NULL));
	ASSERT_ERRNO(ENOENT,
		     iofd_mock_dev(self->fd, 0x12345, NULL, NULL, NULL));
	/* A device is not something a device can be attached to. */
	ASSERT_ERRNO(EINVAL,
		     iofd_mock_dev(self->fd, self->idev, NULL, NULL, NULL));
	ASSERT_ERRNO(EINVAL, iofd_mock_dev_flags(self->fd, self->ioas, 1U << 30,
						 NULL, NULL, NULL));
}

TEST_F(dev, hwpt_alloc_on_ioas)
{
	__u32 hwpt, parent, auto2;

	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->idev, self->ioas, 0, &hwpt));
	ASSERT_NE(0, hwpt);
	ASSERT_NE(self->hwpt, hwpt);
	/* Filled from the IOAS right away, and kept in sync. */
	ASSERT_OK(iofd_check_map(self->fd, hwpt, MOCK_APERTURE_START, self->buf,
				 P(4)));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf + P(8), P(2),
				 MOCK_APERTURE_START + P(8)));
	ASSERT_OK(iofd_check_map(self->fd, hwpt, MOCK_APERTURE_START + P(8),
				 self->buf + P(8), P(2)));
	/* A nesting parent is an ordinary paging HWPT too. */
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->idev, self->ioas,
				  IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));

	/* Move the device over: the old automatic HWPT is freed. */
	ASSERT_OK(iofd_mock_replace(self->fd, self->stdev, hwpt, NULL));
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, self->hwpt));
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, hwpt));
	ASSERT_OK(iofd_mock_replace(self->fd, self->stdev, parent, NULL));
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, parent));

	/* Even unattached, a HWPT holds its IOAS. */
	ASSERT_OK(iofd_mock_replace(self->fd, self->stdev, self->ioas, &auto2));
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, self->ioas));
	/* Back on the IOAS the device gets a fresh automatic HWPT. */
	ASSERT_NE(hwpt, auto2);
	ASSERT_NE(parent, auto2);
	ASSERT_OK(iofd_destroy(self->fd, hwpt));
	ASSERT_OK(iofd_destroy(self->fd, parent));
	/* A device may also start out on a user-allocated HWPT. */
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->idev, self->ioas, 0, &hwpt));
	ASSERT_OK(iofd_mock_dev(self->fd, hwpt, NULL, &parent, NULL));
	ASSERT_EQ(hwpt, parent);
}

TEST_F(dev, hwpt_alloc_errors)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev,
		.pt_id = self->ioas,
	};
	__u32 hwpt;

	ASSERT_ERRNO(EOPNOTSUPP,
		     iofd_hwpt_alloc(self->fd, self->idev, self->ioas,
				     ~IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt));
	ASSERT_ERRNO(EOPNOTSUPP, iofd_hwpt_alloc(self->fd, self->idev,
						 self->ioas, 1U << 31, &hwpt));
	/* A missing device is ENOENT, a missing/bad pt_id EINVAL. */
	ASSERT_ERRNO(ENOENT,
		     iofd_hwpt_alloc(self->fd, 0, self->ioas, 0, &hwpt));
	ASSERT_ERRNO(ENOENT, iofd_hwpt_alloc(self->fd, self->ioas, self->ioas,
					     0, &hwpt));
	ASSERT_ERRNO(EINVAL,
		     iofd_hwpt_alloc(self->fd, self->idev, 0, 0, &hwpt));
	ASSERT_ERRNO(EINVAL, iofd_hwpt_alloc(self->fd, self->idev, self->idev,
					     0, &hwpt));

	ASSERT_EQ(0, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	/* A paging HWPT takes no driver data: type NONE and no length. */
	cmd.__reserved = 0;
	cmd.data_len = 8;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	/* The older 24-byte struct (before driver data) still works. */
	cmd.data_len = 0;
	cmd.size = 24;
	ASSERT_OK(ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	ASSERT_NE(0, cmd.out_hwpt_id);
}

TEST_F(dev, replace_between_ioases)
{
	__u32 ioas2, new_hwpt = 0, stdev2, hwpt2;

	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas2, self->buf + P(8), P(4),
				 MOCK_APERTURE_START));
	ASSERT_OK(iofd_mock_replace(self->fd, self->stdev, ioas2, &new_hwpt));
	ASSERT_NE(0, new_hwpt);
	ASSERT_NE(self->hwpt, new_hwpt);
	/* The device now translates through the second IOAS only. */
	ASSERT_OK(iofd_check_map(self->fd, new_hwpt, MOCK_APERTURE_START,
				 self->buf + P(8), P(4)));
	ASSERT_ERRNO(EINVAL,
		     iofd_check_map(self->fd, new_hwpt, MOCK_APERTURE_START,
				    self->buf, P(4)));
	/* Its previous automatic HWPT went away; the old IOAS is free. */
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, self->hwpt));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(4), 0));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf + P(8), P(4), 1));

	/* Replacing onto the HWPT it is on is a no-op. */
	ASSERT_OK(iofd_mock_replace(self->fd, self->stdev, new_hwpt, NULL));
	/* Bad targets leave the device where it was. */
	ASSERT_ERRNO(ENOENT,
		     iofd_mock_replace(self->fd, self->stdev, 0x4242, NULL));
	ASSERT_OK(iofd_check_map(self->fd, new_hwpt, MOCK_APERTURE_START,
				 self->buf + P(8), P(4)));
	/* Only a test device can be replaced. */
	ASSERT_ERRNO(ENOENT,
		     iofd_mock_replace(self->fd, self->ioas, ioas2, NULL));

	/* A second device joins it, then both move back. */
	ASSERT_OK(iofd_mock_dev(self->fd, ioas2, &stdev2, &hwpt2, NULL));
	ASSERT_EQ(new_hwpt, hwpt2);
	ASSERT_OK(iofd_mock_replace(self->fd, self->stdev, self->ioas, NULL));
	ASSERT_OK(iofd_mock_replace(self->fd, stdev2, self->ioas, NULL));
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, new_hwpt));
	ASSERT_OK(iofd_destroy(self->fd, ioas2));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf + P(8), P(4), 0));
}

/* GET_HW_INFO through the raw struct, so every field can be checked. */
static int hw_info(int fd, __u32 dev, __u32 flags, __u32 type, void *data,
		   __u32 len, struct iommu_hw_info *out)
{
	*out = (struct iommu_hw_info){
		.size = sizeof(*out),
		.flags = flags,
		.dev_id = dev,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
		.in_data_type = type,
	};
	return ioctl(fd, IOMMU_GET_HW_INFO, out);
}

TEST_F(dev, hw_info_exact_buffer)
{
	struct iommu_test_hw_info info;
	struct iommu_hw_info cmd;

	memset(&info, 0xa5, sizeof(info));
	ASSERT_OK(hw_info(self->fd, self->idev, 0, 0, &info, sizeof(info),
			  &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
	ASSERT_EQ(sizeof(info), cmd.data_len);
	ASSERT_EQ(0, info.flags);
	ASSERT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, info.test_reg);
	/* The plain mock device has no PASID support. */
	ASSERT_EQ(0, cmd.out_max_pasid_log2);
}

TEST_F(dev, hw_info_probe_with_no_buffer)
{
	struct iommu_hw_info cmd;

	/* Length 0: nothing is written, the real length comes back. */
	ASSERT_OK(hw_info(self->fd, self->idev, 0, 0, NULL, 0, &cmd));
	ASSERT_EQ(sizeof(struct iommu_test_hw_info), cmd.data_len);
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
}

TEST_F(dev, hw_info_larger_buffer_tail_zeroed)
{
	struct {
		struct iommu_test_hw_info info;
		__u8 tail[40];
	} big;
	struct iommu_hw_info cmd;
	unsigned int i;

	memset(&big, 0xa5, sizeof(big));
	ASSERT_OK(hw_info(self->fd, self->idev, 0, 0, &big, sizeof(big), &cmd));
	ASSERT_EQ(sizeof(big.info), cmd.data_len);
	ASSERT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, big.info.test_reg);
	ASSERT_EQ(0, big.info.flags);
	/* What the kernel does not fill it must clear. */
	for (i = 0; i != sizeof(big.tail); i++)
		ASSERT_EQ(0, big.tail[i]);
}

TEST_F(dev, hw_info_smaller_buffer)
{
	__u8 raw[8];
	struct iommu_hw_info cmd;
	__u32 flags;

	/* Only the first field fits; the rest must stay untouched. */
	memset(raw, 0xa5, sizeof(raw));
	ASSERT_OK(hw_info(self->fd, self->idev, 0, 0, raw, sizeof(__u32),
			  &cmd));
	ASSERT_EQ(sizeof(struct iommu_test_hw_info), cmd.data_len);
	memcpy(&flags, raw, sizeof(flags));
	ASSERT_EQ(0, flags);
	ASSERT_EQ(0xa5, raw[4]);
	ASSERT_EQ(0xa5, raw[7]);
}

TEST_F(dev, hw_info_input_type)
{
	struct iommu_test_hw_info info;
	struct iommu_hw_info cmd;

	/* Asking for the type the driver has works ... */
	ASSERT_OK(hw_info(self->fd, self->idev, IOMMU_HW_INFO_FLAG_INPUT_TYPE,
			  IOMMU_HW_INFO_TYPE_SELFTEST, &info, sizeof(info),
			  &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
	ASSERT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, info.test_reg);
	/* ... DEFAULT asked for explicitly is the same as no flag ... */
	ASSERT_OK(hw_info(self->fd, self->idev, IOMMU_HW_INFO_FLAG_INPUT_TYPE,
			  IOMMU_HW_INFO_TYPE_DEFAULT, &info, sizeof(info),
			  &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
	/* ... any other type is not supported. */
	ASSERT_ERRNO(EOPNOTSUPP, hw_info(self->fd, self->idev,
					 IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					 IOMMU_HW_INFO_TYPE_SELFTEST + 1, &info,
					 sizeof(info), &cmd));
	ASSERT_ERRNO(EOPNOTSUPP, hw_info(self->fd, self->idev,
					 IOMMU_HW_INFO_FLAG_INPUT_TYPE,
					 IOMMU_HW_INFO_TYPE_INTEL_VTD, &info,
					 sizeof(info), &cmd));
	/* Without the flag the input type is ignored. */
	ASSERT_OK(hw_info(self->fd, self->idev, 0, IOMMU_HW_INFO_TYPE_INTEL_VTD,
			  &info, sizeof(info), &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
}

TEST_F(dev, hw_info_errors)
{
	struct iommu_test_hw_info info;
	struct iommu_hw_info cmd;

	ASSERT_ERRNO(EOPNOTSUPP, hw_info(self->fd, self->idev, 1U << 1, 0,
					 &info, sizeof(info), &cmd));
	ASSERT_ERRNO(EOPNOTSUPP, hw_info(self->fd, self->idev, 1U << 31, 0,
					 &info, sizeof(info), &cmd));
	cmd = (struct iommu_hw_info){
		.size = sizeof(cmd),
		.dev_id = self->idev,
		.data_len = sizeof(info),
		.data_uptr = (uintptr_t)&info,
	};
	cmd.__reserved[1] = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	/* Not a device: missing, an IOAS, a HWPT. */
	ASSERT_ERRNO(ENOENT,
		     hw_info(self->fd, 0, 0, 0, &info, sizeof(info), &cmd));
	ASSERT_ERRNO(ENOENT, hw_info(self->fd, self->ioas, 0, 0, &info,
				     sizeof(info), &cmd));
	ASSERT_ERRNO(ENOENT, hw_info(self->fd, self->hwpt, 0, 0, &info,
				     sizeof(info), &cmd));
	/* A buffer the kernel cannot write. */
	ASSERT_ERRNO(EFAULT, hw_info(self->fd, self->idev, 0, 0, (void *)8,
				     sizeof(info), &cmd));
}

TEST_F(dev, hw_info_pasid_capable_device)
{
	struct iommu_hw_info cmd;
	__u32 idev;

	ASSERT_OK(iofd_mock_dev_flags(self->fd, self->ioas,
				      MOCK_FLAGS_DEVICE_PASID, NULL, NULL,
				      &idev));
	ASSERT_OK(hw_info(self->fd, idev, 0, 0, NULL, 0, &cmd));
	ASSERT_EQ(MOCK_PASID_WIDTH, cmd.out_max_pasid_log2);
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
}

TEST_F(dev, hw_info_old_struct_size)
{
	struct iommu_test_hw_info info;
	struct iommu_hw_info cmd;

	/* A 6.6-era caller: 32 bytes, no capabilities field. */
	cmd = (struct iommu_hw_info){
		.size = 32,
		.dev_id = self->idev,
		.data_len = sizeof(info),
		.data_uptr = (uintptr_t)&info,
		.out_capabilities = 0x1234,
	};
	ASSERT_OK(ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
	/* Nothing is written past the size the caller gave. */
	ASSERT_EQ(0x1234, cmd.out_capabilities);
}

TEST_F(dev, unplug_with_mappings_unpins)
{
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(4), 1));
	ASSERT_OK(iofd_destroy(self->fd, self->stdev));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(4), 0));
	/* The IOAS keeps its mapping; a new device picks it up again. */
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, NULL, &self->hwpt, NULL));
	ASSERT_OK(iofd_check_map(self->fd, self->hwpt, MOCK_APERTURE_START,
				 self->buf, P(4)));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(4), 1));
}

TEST_F(dev, hw_info_capabilities)
{
	struct iommu_hw_info cmd;
	__u32 idev;

	/* The mock IOMMU can track dirty pages unless told otherwise. */
	ASSERT_OK(hw_info(self->fd, self->idev, 0, 0, NULL, 0, &cmd));
	ASSERT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING,
		  cmd.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	ASSERT_OK(iofd_mock_dev_flags(self->fd, self->ioas,
				      MOCK_FLAGS_DEVICE_NO_DIRTY, NULL, NULL,
				      &idev));
	ASSERT_OK(hw_info(self->fd, idev, 0, 0, NULL, 0, &cmd));
	ASSERT_EQ(0, cmd.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
}

TEST_F(dev, failed_replace_changes_nothing)
{
	struct iommu_iova_range r = { .start = P(1), .last = P(64) - 1 };
	__u32 ioas2, hwpt;

	/* An IOAS that promised IOVAs below the mock aperture. */
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(iofd_allow_iovas(self->fd, ioas2, &r, 1));
	ASSERT_ERRNO(EADDRINUSE,
		     iofd_mock_replace(self->fd, self->stdev, ioas2, NULL));
	ASSERT_ERRNO(EADDRINUSE,
		     iofd_hwpt_alloc(self->fd, self->idev, ioas2, 0, &hwpt));
	/* The device still translates through its old HWPT. */
	ASSERT_OK(iofd_check_map(self->fd, self->hwpt, MOCK_APERTURE_START,
				 self->buf, P(4)));
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, self->hwpt));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, P(4), 1));
	/* The failed attempts left nothing holding the second IOAS. */
	ASSERT_OK(iofd_destroy(self->fd, ioas2));
}

TEST_HARNESS_MAIN
