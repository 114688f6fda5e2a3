// SPDX-License-Identifier: GPL-2.0-only
/*
 * vmm_flow - the iommufd calls a VMM makes to give a device DMA access to
 * guest RAM, one step at a time, with a line of narration per step.
 *
 *   1. open /dev/iommu                       (one context per VM)
 *   2. IOMMU_IOAS_ALLOC                      (the guest-physical space)
 *   3. attach a device to the IOAS           (see the note below)
 *   4. IOMMU_GET_HW_INFO                     (what the IOMMU can do)
 *   5. IOMMU_IOAS_IOVA_RANGES                (where DMA may go)
 *   6. mmap guest RAM, hugetlb if available
 *   7. IOMMU_IOAS_MAP at the RAM's GPA       (IOVA == guest physical)
 *   8. IOMMU_IOAS_COPY into a second IOAS    (shares the pinned pages)
 *   9. IOMMU_IOAS_UNMAP, IOMMU_DESTROY, close
 *
 * About the device: a real VMM opens the VFIO cdev of a device
 * (/dev/vfio/devices/vfioN), binds it to this iommufd with
 * VFIO_DEVICE_BIND_IOMMUFD and attaches it with
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT. Real and simulated devices arrive in a
 * later stage of this project, so step 3 uses the selftest's mock device
 * (IOMMU_TEST_CMD / IOMMU_TEST_OP_MOCK_DOMAIN), which goes through the
 * same attach path in the kernel and gives back the same three IDs: the
 * device, its bound-device (idev) ID and the HWPT it was attached to.
 * The mock IOMMU's DMA window is 16 MiB .. 2 GiB, which is why the guest
 * RAM may not land at the usual 4 GiB below.
 *
 * Build:  gcc -O2 -static -isystem <repo>/include/uapi -o vmm_flow <this file>
 * Run:    as root with iommufd_core.ko loaded (make demo does both).
 * Exit status: 0 when every step worked, 1 at the first failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include "../../drivers/iommu/iommufd/iommufd_test.h"

#define MiB (1024ULL * 1024)
#define GiB (1024 * MiB)

#define GUEST_RAM_SIZE	(64 * MiB)
/* Where an x86 VMM puts RAM above the 32-bit hole, and a fallback. */
#define GPA_HIGH	(4 * GiB)
#define GPA_LOW		(1 * GiB)

static int step_no;

static void step(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("[%2d] ", ++step_no);
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static void say_ok(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("     -> ok: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
}

static void die(const char *what)
{
	printf("     -> FAILED: %s: %s (errno %d)\n", what, strerror(errno),
	       errno);
	printf("vmm_flow: stopped at step %d\n", step_no);
	exit(1);
}

/* Step 3's stand-in for VFIO bind + attach (see the top comment). */
static void attach_mock_device(int iommufd, __u32 ioas_id,
			       __u32 *dev_id, __u32 *idev_id,
			       __u32 *hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = ioas_id,
	};

	if (ioctl(iommufd, IOMMU_TEST_CMD, &cmd))
		die("IOMMU_TEST_OP_MOCK_DOMAIN");
	*dev_id = cmd.mock_domain.out_stdev_id;
	*idev_id = cmd.mock_domain.out_idev_id;
	*hwpt_id = cmd.mock_domain.out_hwpt_id;
}

/* Ask the mock IOMMU whether its page table really points at our RAM. */
static int mock_translates(int iommufd, __u32 hwpt_id, __u64 iova,
			   void *va, __u64 len)
{
	struct iommu_test_cmd cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = { .iova = iova, .length = len,
			       .uptr = (uintptr_t)va },
	};

	return ioctl(iommufd, IOMMU_TEST_CMD, &cmd);
}

static __u32 alloc_ioas(int iommufd)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc))
		die("IOMMU_IOAS_ALLOC");
	return alloc.out_ioas_id;
}

static void destroy(int iommufd, __u32 id, const char *what)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	step("IOMMU_DESTROY %s (id %u)", what, id);
	if (ioctl(iommufd, IOMMU_DESTROY, &cmd))
		die("IOMMU_DESTROY");
	say_ok("destroyed");
}

/*
 * IOVA_RANGES is asked twice: once with no room to learn the count
 * (EMSGSIZE), then with an array of that size.
 */
static struct iommu_iova_range *get_ranges(int iommufd, __u32 ioas_id,
					   __u32 *num, __u64 *align)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
	};
	struct iommu_iova_range *ranges;

	if (!ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd) || errno != EMSGSIZE)
		die("IOMMU_IOAS_IOVA_RANGES (count)");
	say_ok("kernel says %u range(s); asking again with room for them",
	       cmd.num_iovas);
	ranges = calloc(cmd.num_iovas, sizeof(*ranges));
	if (!ranges)
		die("calloc");
	cmd.allowed_iovas = (uintptr_t)ranges;
	if (ioctl(iommufd, IOMMU_IOAS_IOVA_RANGES, &cmd))
		die("IOMMU_IOAS_IOVA_RANGES");
	*num = cmd.num_iovas;
	*align = cmd.out_iova_alignment;
	return ranges;
}

static int gpa_fits(const struct iommu_iova_range *r, __u32 num,
		    __u64 gpa, __u64 len)
{
	__u32 i;

	for (i = 0; i != num; i++)
		if (gpa >= r[i].start && gpa + len - 1 <= r[i].last)
			return 1;
	return 0;
}

/* Guest RAM: hugetlb pages if the system has them reserved. */
static void *alloc_guest_ram(__u64 len, int *huge)
{
	void *ram;

	ram = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE,
		   -1, 0);
	*huge = ram != MAP_FAILED;
	if (ram == MAP_FAILED)
		ram = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		return NULL;
	/* Like a booted guest: every page has been written. */
	memset(ram, 0xe5, len);
	return ram;
}

static __u64 unmap(int iommufd, __u32 ioas_id, __u64 iova, __u64 len)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = len,
	};

	if (ioctl(iommufd, IOMMU_IOAS_UNMAP, &cmd))
		die("IOMMU_IOAS_UNMAP");
	return cmd.length;
}

int main(void)
{
	__u32 ioas_id, shadow_id, dev_id, idev_id, hwpt_id, shadow_hwpt;
	__u32 shadow_dev, unused, nranges, i;
	struct iommu_iova_range *ranges;
	struct iommu_test_hw_info info;
	__u64 align, gpa, bytes;
	int iommufd, huge;
	void *ram;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("vmm_flow: a VMM's view of /dev/iommu\n");

	step("open /dev/iommu");
	iommufd = open("/dev/iommu", O_RDWR | O_CLOEXEC);
	if (iommufd < 0)
		die("open /dev/iommu (is iommufd_core.ko loaded?)");
	say_ok("fd %d: a private context; every ID below belongs to it", iommufd);

	step("IOMMU_IOAS_ALLOC: the guest-physical address space");
	ioas_id = alloc_ioas(iommufd);
	say_ok("IOAS id %u", ioas_id);

	step("attach the device to the IOAS (mock device, see source)");
	attach_mock_device(iommufd, ioas_id, &dev_id, &idev_id, &hwpt_id);
	say_ok("device id %u, bound as idev %u, on automatic HWPT %u", dev_id,
	       idev_id, hwpt_id);

	step("IOMMU_GET_HW_INFO for idev %u", idev_id);
	{
		struct iommu_hw_info cmd = {
			.size = sizeof(cmd),
			.dev_id = idev_id,
			.data_len = sizeof(info),
			.data_uptr = (uintptr_t)&info,
		};

		if (ioctl(iommufd, IOMMU_GET_HW_INFO, &cmd))
			die("IOMMU_GET_HW_INFO");
		say_ok("type 0x%x (%s), %u data bytes, test_reg 0x%x, PASID bits %u, caps 0x%llx",
		       cmd.out_data_type,
		       cmd.out_data_type == IOMMU_HW_INFO_TYPE_SELFTEST ?
		       "selftest mock IOMMU" : "other", cmd.data_len,
		       info.test_reg, cmd.out_max_pasid_log2,
		       (unsigned long long)cmd.out_capabilities);
	}

	step("IOMMU_IOAS_IOVA_RANGES: where may the device DMA?");
	ranges = get_ranges(iommufd, ioas_id, &nranges, &align);
	for (i = 0; i != nranges; i++)
		printf("       range %u: 0x%016llx .. 0x%016llx\n", i,
		       (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);
	say_ok("IOVA alignment %llu bytes", (unsigned long long)align);

	step("mmap %llu MiB of guest RAM",
	     (unsigned long long)(GUEST_RAM_SIZE / MiB));
	ram = alloc_guest_ram(GUEST_RAM_SIZE, &huge);
	if (!ram)
		die("mmap guest RAM");
	say_ok("at %p, %s", ram,
	       huge ? "hugetlb-backed" : "4 KiB pages (no hugetlb reserved)");

	gpa = GPA_HIGH;
	if (!gpa_fits(ranges, nranges, gpa, GUEST_RAM_SIZE)) {
		printf("       GPA 0x%llx is outside the usable ranges; using 0x%llx\n",
		       (unsigned long long)GPA_HIGH,
		       (unsigned long long)GPA_LOW);
		gpa = GPA_LOW;
		if (!gpa_fits(ranges, nranges, gpa, GUEST_RAM_SIZE)) {
			errno = ERANGE;
			die("no usable IOVA range for guest RAM");
		}
	}

	step("IOMMU_IOAS_MAP guest RAM at GPA 0x%llx (FIXED_IOVA, RW)",
	     (unsigned long long)gpa);
	{
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.ioas_id = ioas_id,
			.user_va = (uintptr_t)ram,
			.length = GUEST_RAM_SIZE,
			.iova = gpa,
		};

		if (ioctl(iommufd, IOMMU_IOAS_MAP, &map))
			die("IOMMU_IOAS_MAP");
		say_ok("pages pinned and mapped at IOVA 0x%llx",
		       (unsigned long long)map.iova);
	}

	step("check: does HWPT %u translate GPA -> our RAM?", hwpt_id);
	if (mock_translates(iommufd, hwpt_id, gpa, ram, GUEST_RAM_SIZE))
		die("IOMMU_TEST_OP_MD_CHECK_MAP");
	say_ok("all %llu MiB translate to the right pages",
	       (unsigned long long)(GUEST_RAM_SIZE / MiB));

	step("IOMMU_OPTION HUGE_PAGES (get) on IOAS %u", ioas_id);
	{
		struct iommu_option opt = {
			.size = sizeof(opt),
			.option_id = IOMMU_OPTION_HUGE_PAGES,
			.op = IOMMU_OPTION_OP_GET,
			.object_id = ioas_id,
		};

		if (ioctl(iommufd, IOMMU_OPTION, &opt))
			die("IOMMU_OPTION");
		say_ok("huge pages %s", opt.val64 ? "on (contiguous pages use large IOPTEs)" :
		       "off");
	}

	step("IOMMU_IOAS_ALLOC a second IOAS (e.g. another device's view)");
	shadow_id = alloc_ioas(iommufd);
	attach_mock_device(iommufd, shadow_id, &shadow_dev, &unused,
			   &shadow_hwpt);
	say_ok("IOAS id %u with a second device on HWPT %u", shadow_id,
	       shadow_hwpt);

	step("IOMMU_IOAS_COPY the RAM mapping into IOAS %u", shadow_id);
	{
		struct iommu_ioas_copy copy = {
			.size = sizeof(copy),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.dst_ioas_id = shadow_id,
			.src_ioas_id = ioas_id,
			.length = GUEST_RAM_SIZE,
			.dst_iova = gpa,
			.src_iova = gpa,
		};

		if (ioctl(iommufd, IOMMU_IOAS_COPY, &copy))
			die("IOMMU_IOAS_COPY");
		if (mock_translates(iommufd, shadow_hwpt, gpa, ram,
				    GUEST_RAM_SIZE))
			die("IOMMU_TEST_OP_MD_CHECK_MAP (copy)");
		say_ok("same pages, no second pin, no second RLIMIT charge");
	}

	step("IOMMU_IOAS_UNMAP the copy");
	bytes = unmap(iommufd, shadow_id, gpa, GUEST_RAM_SIZE);
	say_ok("%llu bytes unmapped", (unsigned long long)bytes);

	step("IOMMU_IOAS_UNMAP everything in IOAS %u (0 .. U64_MAX)", ioas_id);
	bytes = unmap(iommufd, ioas_id, 0, UINT64_MAX);
	say_ok("%llu bytes unmapped; the RAM is no longer pinned",
	       (unsigned long long)bytes);

	/* Devices first: an attached device keeps its HWPT and IOAS busy. */
	destroy(iommufd, shadow_dev, "second device");
	destroy(iommufd, dev_id, "device (its automatic HWPT goes with it)");
	destroy(iommufd, shadow_id, "second IOAS");
	destroy(iommufd, ioas_id, "IOAS");

	step("close /dev/iommu");
	if (close(iommufd))
		die("close");
	say_ok("context released");

	munmap(ram, GUEST_RAM_SIZE);
	free(ranges);
	printf("vmm_flow: all %d steps succeeded\n", step_no);
	return 0;
}
