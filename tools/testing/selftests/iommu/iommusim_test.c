// SPDX-License-Identifier: GPL-2.0-only
/*
 * The simulated SMMUv3 and VT-d IOMMUs of iommusim.ko, driven the way a VMM
 * drives a VFIO cdev: instances and devices through sysfs, bind/attach/
 * detach through the device's char device, mappings through /dev/iommu, and
 * DMA that really walks page tables in the hardware's own formats.
 *
 * Each test runs on both families where the behaviour is common (fixture
 * variants "smmuv3" and "vtd") and checks exact values: register fields,
 * table entries, architected fault records, IOTLB counters, dirty bitmaps.
 * Every fixture creates its own instance and removes it in teardown, which
 * also proves that nothing (device, binding, mapping) was left behind.
 */
#include <pthread.h>

#include "iommusim_util.h"

#define SIM_SID		16
#define SIM_IOVA	0x10000000ULL	/* clear of both MSI windows */
#define SIM_IOVA_2M	0x40000000ULL
#define NPAGES		64
#define PG(n)		((__u64)(n) * SIM_4K)

/* Reserved regions every device of a family has (see iommusim.h) */
#define SMMU_MSI_START	0x08000000ULL
#define SMMU_MSI_LAST	0x080fffffULL
#define VTD_IRQ_START	0xfee00000ULL
#define VTD_IRQ_LAST	0xfeefffffULL

/* A byte pattern that depends on the offset, so misplaced data shows */
static void fill(void *p, size_t len, unsigned int seed)
{
	unsigned char *c = p;
	size_t i;

	for (i = 0; i != len; i++)
		c[i] = (unsigned char)(seed + i + (i >> 12) * 13);
}

static bool all_bytes(const void *p, size_t len, unsigned char v)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i != len; i++)
		if (c[i] != v)
			return false;
	return true;
}

/* Leaf level of a 4 KiB / 2 MiB page in each format's numbering */
static unsigned int level_4k(bool smmu)
{
	return smmu ? 3 : 1;
}

static unsigned int level_2m(bool smmu)
{
	return 2;
}

/*
 * Stage of the context (RID or PASID) as the configuration entries say:
 * 1 for SMMUv3 S1 / VT-d first level, 2 for S2 / second level, 0 when
 * blocked, -1 when the entries make no sense.
 */
static int ctx_stage(bool smmu, const struct iommusim_ctx_entry *c,
		     bool pasid)
{
	if (smmu) {
		if (!c->out_nr_ste || !(c->out_ste[0] & STE0_V))
			return -1;
		switch (STE0_CONFIG(c->out_ste[0])) {
		case STE_CFG_ABORT:
			return 0;
		case STE_CFG_S1:
			if (pasid && !(c->out_cd[0] & CD0_V))
				return 0;
			return 1;
		case STE_CFG_S2:
			return pasid ? -1 : 2;
		default:
			return -1;
		}
	}
	if (!c->out_nr_cd)
		return -1;
	if (!(c->out_cd[0] & PASID0_P))
		return 0;
	switch (PASID0_PGTT(c->out_cd[0])) {
	case PGTT_FL:
		return 1;
	case PGTT_SL:
		return 2;
	default:
		return -1;
	}
}

/* The page-table root the entries point to */
static __u64 ctx_root(bool smmu, const struct iommusim_ctx_entry *c, int stage)
{
	if (smmu)
		return stage == 1 ? CD1_TTB0(c->out_cd[1]) :
				    STE3_S2TTB(c->out_ste[3]);
	return stage == 1 ? PASID2_FLPTPTR(c->out_cd[2]) :
			    PASID0_SLPTPTR(c->out_cd[0]);
}

/* ASID / VMID / DID of the context */
static __u64 ctx_tag(bool smmu, const struct iommusim_ctx_entry *c, int stage)
{
	if (smmu)
		return stage == 1 ? CD0_ASID(c->out_cd[0]) :
				    STE2_S2VMID(c->out_ste[2]);
	return PASID1_DID(c->out_cd[1]);
}

/* Does the leaf grant write (1) or not (0), in the format of @stage? */
static int pte_writable(bool smmu, int stage, __u64 pte)
{
	if (smmu && stage == 1)
		/* AP[2] clear, or writable-clean (DBM) under HTTU */
		return !(pte & ARM_PTE_AP2) || (pte & ARM_PTE_DBM);
	if (smmu)
		return (pte & ARM_PTE_S2AP_W) || (pte & ARM_PTE_DBM);
	return !!(pte & VTD_PTE_W);
}

static int pte_readable(bool smmu, int stage, __u64 pte)
{
	if (smmu && stage == 1)
		return !!(pte & 1);
	if (smmu)
		return !!(pte & ARM_PTE_S2AP_R);
	return !!(pte & VTD_PTE_R);
}

static __u64 pte_oa(bool smmu, __u64 pte)
{
	return smmu ? ARM_PTE_OA(pte) : VTD_PTE_ADDR(pte);
}

/* ------------------------------------------------------------------------ */
/* sysfs: instances and devices                                             */

FIXTURE(sysfs)
{
	unsigned int id;
};

FIXTURE_VARIANT(sysfs)
{
	const char *type;
};

FIXTURE_VARIANT_ADD(sysfs, smmuv3)
{
	.type = "smmuv3",
};

FIXTURE_VARIANT_ADD(sysfs, vtd)
{
	.type = "vtd",
};

FIXTURE_SETUP(sysfs)
{
	if (!sim_present())
		SKIP(return, "iommusim.ko is not loaded");
	ASSERT_OK(sim_create_iommu(200, variant->type, "", &self->id));
}

FIXTURE_TEARDOWN(sysfs)
{
	int rc;

	rc = ERRNO_OF(sim_del_iommu(self->id));
	EXPECT_TRUE(rc == 0 || rc == ENOENT);
}

TEST_F(sysfs, new_iommu_parsing)
{
	const char *type = variant->type;
	char buf[64];
	unsigned int id2 = 0;

	/* The same ID twice */
	ASSERT_ERRNO(EEXIST, sim_new_iommu(self->id, type, ""));
	ASSERT_ERRNO(EEXIST, sim_new_iommu(self->id, "smmuv3", "s1=0"));

	/* Find a free ID for the syntax checks (none of them may create it) */
	ASSERT_OK(sim_create_iommu(self->id + 1, type, "", &id2));
	ASSERT_OK(sim_del_iommu(id2));

	ASSERT_ERRNO(EINVAL, sim_write_str(SIM_BUS "/new_iommu", "\n"));
	snprintf(buf, sizeof(buf), "%u", id2);
	ASSERT_ERRNO(EINVAL, sim_write_str(SIM_BUS "/new_iommu", buf));
	ASSERT_ERRNO(EINVAL, sim_new_iommu(id2, "amdvi", ""));
	ASSERT_ERRNO(EINVAL, sim_new_iommu(id2, "SMMUV3", ""));
	ASSERT_ERRNO(EINVAL, sim_new_iommu(256, type, ""));
	ASSERT_ERRNO(EINVAL, sim_new_iommu(-1, type, ""));
	ASSERT_ERRNO(EINVAL, sim_writef(SIM_BUS "/new_iommu", "x%u %s", id2,
					type));
	ASSERT_ERRNO(EINVAL, sim_new_iommu(id2, type, "bogus=1"));
	ASSERT_ERRNO(EINVAL, sim_new_iommu(id2, type, "s1"));
	ASSERT_ERRNO(EINVAL, sim_new_iommu(id2, type, "s1=2"));
	ASSERT_ERRNO(EINVAL, sim_new_iommu(id2, type, "s1=0 s2=0"));
	ASSERT_ERRNO(EINVAL, sim_new_iommu(id2, type, "pasid_bits=21"));
	ASSERT_ERRNO(EINVAL, sim_new_iommu(id2, type, "dirty=x"));
	/* None of the failures left an instance behind */
	ASSERT_ERRNO(ENOENT, sim_del_iommu(id2));

	/* A trailing newline (echo) is accepted */
	ASSERT_OK(sim_writef(SIM_BUS "/new_iommu", "%u %s s2=1\n", id2, type));
	ASSERT_OK(sim_read_attr(id2, "type", buf, sizeof(buf)));
	ASSERT_EQ(0, strncmp(buf, type, strlen(type)));
	ASSERT_OK(sim_del_iommu(id2));
	ASSERT_ERRNO(ENOENT, sim_del_iommu(id2));
}

TEST_F(sysfs, type_and_caps_files)
{
	char buf[4096];
	__u64 v;

	ASSERT_OK(sim_read_attr(self->id, "type", buf, sizeof(buf)));
	ASSERT_STREQ(variant->type, strtok(buf, "\n"));
	if (!strcmp(variant->type, "smmuv3")) {
		static const char *const regs[] = { "IDR0", "IDR1", "IDR2",
						    "IDR3", "IDR4", "IDR5",
						    "IIDR", "AIDR" };
		unsigned int i;

		for (i = 0; i != IOFD_ARRAY_SIZE(regs); i++)
			ASSERT_OK(sim_caps_reg(self->id, regs[i], &v));
	} else {
		ASSERT_OK(sim_caps_reg(self->id, "CAP", &v));
		ASSERT_OK(sim_caps_reg(self->id, "ECAP", &v));
	}
	/* Every line is NAME=0x followed by 16 hex digits */
	{
		char *line, *save, *eq;

		ASSERT_OK(sim_read_attr(self->id, "caps", buf, sizeof(buf)));
		for (line = strtok_r(buf, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			eq = strchr(line, '=');
			ASSERT_NE(NULL, eq);
			ASSERT_EQ(0, strncmp(eq + 1, "0x", 2));
			ASSERT_EQ(18, strlen(eq + 1));
		}
	}
}

TEST_F(sysfs, del_iommu_errnos)
{
	char buf[32];

	/* Unknown and malformed IDs */
	ASSERT_ERRNO(ENOENT, sim_del_iommu(self->id == 255 ? 254 : 255));
	snprintf(buf, sizeof(buf), "x%u", self->id);
	ASSERT_ERRNO(EINVAL, sim_write_str(SIM_BUS "/del_iommu", buf));

	/* Refused while a device exists, fine once it is gone */
	ASSERT_OK(sim_new_device(self->id, SIM_SID, ""));
	ASSERT_ERRNO(EBUSY, sim_del_iommu(self->id));
	ASSERT_OK(sim_del_device(self->id, SIM_SID));
	ASSERT_OK(sim_del_iommu(self->id));
	ASSERT_ERRNO(ENOENT, sim_del_iommu(self->id));
}

TEST_F(sysfs, new_and_del_device)
{
	int dfd, dfd2;

	ASSERT_OK(sim_new_device(self->id, SIM_SID, ""));
	ASSERT_ERRNO(EEXIST, sim_new_device(self->id, SIM_SID, ""));
	ASSERT_ERRNO(EEXIST, sim_new_device(self->id, SIM_SID, "ats=0"));
	ASSERT_ERRNO(EINVAL, sim_new_device(self->id, 65536, ""));
	ASSERT_ERRNO(EINVAL, sim_new_device(self->id, SIM_SID + 1, "bogus=1"));
	ASSERT_ERRNO(EINVAL,
		     sim_new_device(self->id, SIM_SID + 1, "pasid_bits=21"));
	ASSERT_ERRNO(ENOENT, sim_del_device(self->id, SIM_SID + 1));
	ASSERT_OK(sim_new_device(self->id, 65535, "pasid_bits=0 ats=0 pri=0"));

	/* The char device exists and del_device waits for its last close */
	dfd = sim_dev_open(self->id, SIM_SID);
	ASSERT_LE(0, dfd);
	dfd2 = sim_dev_open(self->id, SIM_SID);
	ASSERT_LE(0, dfd2);
	ASSERT_ERRNO(EBUSY, sim_del_device(self->id, SIM_SID));
	close(dfd);
	ASSERT_ERRNO(EBUSY, sim_del_device(self->id, SIM_SID));
	ASSERT_ERRNO(EBUSY, sim_del_iommu(self->id));
	close(dfd2);
	ASSERT_OK(sim_del_device(self->id, SIM_SID));
	ASSERT_ERRNO(ENOENT, sim_del_device(self->id, SIM_SID));
	/* Its node is gone with it */
	ASSERT_ERRNO(ENOENT, sim_dev_open(self->id, SIM_SID));

	ASSERT_OK(sim_del_device(self->id, 65535));
	/* The SID can be reused */
	ASSERT_OK(sim_new_device(self->id, SIM_SID, ""));
	ASSERT_OK(sim_del_device(self->id, SIM_SID));
}

TEST_F(sysfs, del_device_busy_while_bound)
{
	__u32 devid, ioas, pt;
	int fd, dfd;
	void *buf;

	ASSERT_OK(sim_new_device(self->id, SIM_SID, ""));
	dfd = sim_dev_open(self->id, SIM_SID);
	ASSERT_LE(0, dfd);
	fd = iofd_open();
	ASSERT_LE(0, fd);
	ASSERT_OK(sim_bind(dfd, fd, &devid));
	ASSERT_OK(iofd_ioas_alloc(fd, &ioas));
	buf = iofd_alloc_buf(PG(4));
	ASSERT_NE(NULL, buf);
	ASSERT_OK(iofd_map_fixed(fd, ioas, buf, PG(4), SIM_IOVA));
	pt = ioas;
	ASSERT_OK(sim_attach(dfd, SIM_NO_PASID, &pt));

	/* Removal is refused while anything is in use, for either object */
	ASSERT_ERRNO(EBUSY, sim_del_device(self->id, SIM_SID));
	ASSERT_ERRNO(EBUSY, sim_del_iommu(self->id));
	close(fd);
	ASSERT_ERRNO(EBUSY, sim_del_device(self->id, SIM_SID));
	ASSERT_ERRNO(EBUSY, sim_del_iommu(self->id));
	close(dfd);
	ASSERT_OK(sim_del_device(self->id, SIM_SID));
	ASSERT_OK(sim_del_iommu(self->id));

	/* Nothing of the mapping stays pinned */
	fd = iofd_open();
	ASSERT_LE(0, fd);
	ASSERT_OK(iofd_check_pins(fd, buf, PG(4), 0));
	close(fd);
	munmap(buf, PG(4));
}

/* ------------------------------------------------------------------------ */
/* Capabilities: hw_info and sysfs caps as chosen at creation               */

FIXTURE(caps)
{
	unsigned int id;
	int fd;
	int dfd;
	__u32 devid;
	__u32 ioas;
};

FIXTURE_VARIANT(caps)
{
	const char *type;
	const char *opts;
	const char *devopts;
	bool smmu;
	bool s1, s2, dirty, ats, pri;
	unsigned int pasid_bits;	/* instance */
	unsigned int dev_pasid_bits;	/* what the device ends up with */
	unsigned int ias, oas;
	unsigned int tlb;
};

FIXTURE_VARIANT_ADD(caps, smmuv3_default)
{
	.type = "smmuv3", .opts = "", .devopts = "", .smmu = true,
	.s1 = true, .s2 = true, .dirty = true, .ats = true, .pri = true,
	.pasid_bits = 20, .dev_pasid_bits = 20, .ias = 48, .oas = 48,
	.tlb = 512,
};

FIXTURE_VARIANT_ADD(caps, smmuv3_s2_only)
{
	.type = "smmuv3",
	.opts = "s1=0 pasid_bits=0 dirty=0 ats=0 pri=0 oas=44 tlb=16",
	.devopts = "", .smmu = true,
	.s1 = false, .s2 = true, .dirty = false, .ats = false, .pri = false,
	.pasid_bits = 0, .dev_pasid_bits = 0, .ias = 48, .oas = 44, .tlb = 16,
};

FIXTURE_VARIANT_ADD(caps, smmuv3_s1_only)
{
	.type = "smmuv3", .opts = "s2=0 pasid_bits=8 ias=39 oas=40",
	.devopts = "pasid_bits=5", .smmu = true,
	.s1 = true, .s2 = false, .dirty = true, .ats = true, .pri = true,
	.pasid_bits = 8, .dev_pasid_bits = 5, .ias = 39, .oas = 40,
	.tlb = 512,
};

FIXTURE_VARIANT_ADD(caps, smmuv3_no_pasid)
{
	.type = "smmuv3", .opts = "pasid_bits=0 ats=0",
	.devopts = "pri=0", .smmu = true,
	.s1 = true, .s2 = true, .dirty = true, .ats = false, .pri = true,
	.pasid_bits = 0, .dev_pasid_bits = 0, .ias = 48, .oas = 48,
	.tlb = 512,
};

FIXTURE_VARIANT_ADD(caps, vtd_default)
{
	.type = "vtd", .opts = "", .devopts = "", .smmu = false,
	.s1 = true, .s2 = true, .dirty = true, .ats = true, .pri = true,
	.pasid_bits = 20, .dev_pasid_bits = 20, .ias = 48, .oas = 48,
	.tlb = 512,
};

FIXTURE_VARIANT_ADD(caps, vtd_sl_only)
{
	.type = "vtd", .opts = "s1=0 pasid_bits=0 dirty=0 ats=0 pri=0 tlb=16",
	.devopts = "", .smmu = false,
	.s1 = false, .s2 = true, .dirty = false, .ats = false, .pri = false,
	.pasid_bits = 0, .dev_pasid_bits = 0, .ias = 48, .oas = 48, .tlb = 16,
};

FIXTURE_VARIANT_ADD(caps, vtd_fl_only)
{
	.type = "vtd", .opts = "s2=0 pasid_bits=10",
	.devopts = "pasid_bits=12", .smmu = false,
	.s1 = true, .s2 = false, .dirty = true, .ats = true, .pri = true,
	.pasid_bits = 10, .dev_pasid_bits = 10, .ias = 48, .oas = 48,
	.tlb = 512,
};

FIXTURE_SETUP(caps)
{
	self->fd = -1;
	self->dfd = -1;
	if (!sim_present())
		SKIP(return, "iommusim.ko is not loaded");
	ASSERT_OK(sim_create_iommu(40, variant->type, variant->opts,
				   &self->id));
	ASSERT_OK(sim_new_device(self->id, SIM_SID, variant->devopts));
	self->dfd = sim_dev_open(self->id, SIM_SID);
	ASSERT_LE(0, self->dfd);
	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(sim_bind(self->dfd, self->fd, &self->devid));
	ASSERT_OK(iofd_ioas_alloc(self->fd, &self->ioas));
}

FIXTURE_TEARDOWN(caps)
{
	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	EXPECT_OK(sim_del_device(self->id, SIM_SID));
	EXPECT_OK(sim_del_iommu(self->id));
}

/* VT-d has dirty bits in second-level tables only */
static bool dirty_cap(const struct _fixture_variant_caps *variant)
{
	return variant->dirty && (variant->smmu || variant->s2);
}

static unsigned int smmu_oas_bits(unsigned int enc)
{
	static const unsigned int bits[] = { 32, 36, 40, 42, 44, 48, 52 };

	return enc < IOFD_ARRAY_SIZE(bits) ? bits[enc] : 0;
}

TEST_F(caps, hw_info_matches_caps)
{
	struct iommu_hw_info cmd;
	union {
		struct iommu_hw_info_arm_smmuv3 smmu;
		struct iommu_hw_info_vtd vtd;
		__u8 raw[128];
	} d;
	__u64 v;

	/* Probe for the length first */
	ASSERT_OK(sim_hw_info(self->fd, self->devid, NULL, 0, &cmd));
	ASSERT_EQ(variant->smmu ? sizeof(d.smmu) : sizeof(d.vtd),
		  cmd.data_len);

	memset(&d, 0xa5, sizeof(d));
	ASSERT_OK(sim_hw_info(self->fd, self->devid, &d, sizeof(d), &cmd));
	ASSERT_EQ(variant->dev_pasid_bits, cmd.out_max_pasid_log2);
	ASSERT_EQ(dirty_cap(variant) ? IOMMU_HW_CAP_DIRTY_TRACKING : 0,
		  cmd.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	if (!variant->dev_pasid_bits)
		ASSERT_EQ(0, cmd.out_capabilities &
				     (IOMMU_HW_CAP_PCI_PASID_EXEC |
				      IOMMU_HW_CAP_PCI_PASID_PRIV));

	if (variant->smmu) {
		__u32 idr0 = d.smmu.idr[0], idr1 = d.smmu.idr[1];
		__u32 idr5 = d.smmu.idr[5];
		unsigned int i;

		ASSERT_EQ(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, cmd.out_data_type);
		ASSERT_EQ(sizeof(d.smmu), cmd.data_len);
		ASSERT_EQ(0, d.smmu.flags);
		ASSERT_EQ(0, d.smmu.__reserved);
		ASSERT_EQ(variant->s1, !!(idr0 & SMMU_IDR0_S1P));
		ASSERT_EQ(variant->s2, !!(idr0 & SMMU_IDR0_S2P));
		/* HTTU 2: access and dirty flag updates */
		ASSERT_EQ(variant->dirty, SMMU_IDR0_HTTU(idr0) == 2);
		ASSERT_EQ(variant->ats, !!(idr0 & SMMU_IDR0_ATS));
		ASSERT_EQ(variant->pri, !!(idr0 & SMMU_IDR0_PRI));
		ASSERT_EQ(variant->pasid_bits, SMMU_IDR1_SSIDSIZE(idr1));
		/* Room for every SID new_device accepts (0..65535) */
		ASSERT_LE(16, SMMU_IDR1_SIDSIZE(idr1));
		ASSERT_EQ(variant->oas, smmu_oas_bits(SMMU_IDR5_OAS(idr5)));
		ASSERT_TRUE(idr5 & SMMU_IDR5_GRAN4K);
		/* The rest of a larger buffer is zeroed */
		ASSERT_EQ(0, d.raw[sizeof(d.smmu)]);

		/* The same registers in sysfs */
		for (i = 0; i != 6; i++) {
			char name[8];

			snprintf(name, sizeof(name), "IDR%u", i);
			ASSERT_OK(sim_caps_reg(self->id, name, &v));
			ASSERT_EQ(d.smmu.idr[i], v);
		}
		ASSERT_OK(sim_caps_reg(self->id, "IIDR", &v));
		ASSERT_EQ(d.smmu.iidr, v);
		ASSERT_OK(sim_caps_reg(self->id, "AIDR", &v));
		ASSERT_EQ(d.smmu.aidr, v);
	} else {
		__u64 cap = d.vtd.cap_reg, ecap = d.vtd.ecap_reg;

		ASSERT_EQ(IOMMU_HW_INFO_TYPE_INTEL_VTD, cmd.out_data_type);
		ASSERT_EQ(sizeof(d.vtd), cmd.data_len);
		ASSERT_EQ(0, d.vtd.__reserved);
		ASSERT_EQ(variant->ias - 1, VTD_CAP_MGAW(cap));
		ASSERT_TRUE(ecap & VTD_ECAP_SMTS);
		ASSERT_EQ(variant->s1, !!(ecap & VTD_ECAP_FLTS));
		ASSERT_EQ(variant->s2, !!(ecap & VTD_ECAP_SLTS));
		ASSERT_EQ(variant->dirty && variant->s2,
			  !!(ecap & VTD_ECAP_SLADS));
		ASSERT_EQ(variant->ats, !!(ecap & VTD_ECAP_DT));
		ASSERT_EQ(variant->pri, !!(ecap & VTD_ECAP_PRS));
		ASSERT_EQ(!!variant->pasid_bits, !!(ecap & VTD_ECAP_PASID));
		if (variant->pasid_bits)
			ASSERT_EQ(variant->pasid_bits - 1, VTD_ECAP_PSS(ecap));
		ASSERT_EQ(0, d.raw[sizeof(d.vtd)]);

		ASSERT_OK(sim_caps_reg(self->id, "CAP", &v));
		ASSERT_EQ(cap, v);
		ASSERT_OK(sim_caps_reg(self->id, "ECAP", &v));
		ASSERT_EQ(ecap, v);
	}
}

TEST_F(caps, hw_info_input_type)
{
	__u32 own = variant->smmu ? IOMMU_HW_INFO_TYPE_ARM_SMMUV3 :
				    IOMMU_HW_INFO_TYPE_INTEL_VTD;
	__u32 other = variant->smmu ? IOMMU_HW_INFO_TYPE_INTEL_VTD :
				      IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE,
		.dev_id = self->devid,
	};
	__u8 data[64];

	cmd.data_uptr = (uintptr_t)data;
	cmd.data_len = sizeof(data);
	cmd.in_data_type = own;
	ASSERT_OK(ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(own, cmd.out_data_type);
	cmd.data_len = sizeof(data);
	cmd.in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
	ASSERT_OK(ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(own, cmd.out_data_type);
	cmd.data_len = sizeof(data);
	cmd.in_data_type = other;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	cmd.data_len = sizeof(data);
	cmd.in_data_type = IOMMU_HW_INFO_TYPE_TEGRA241_CMDQV;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
}

TEST_F(caps, iotlb_capacity)
{
	struct iommusim_iotlb t;
	__u32 pt = self->ioas;
	void *buf, *out;

	ASSERT_OK(sim_iotlb(self->dfd, IOMMUSIM_IOTLB_FLUSH_ALL |
				       IOMMUSIM_IOTLB_RESET_STATS, &t));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(variant->tlb, t.out_capacity);
	ASSERT_EQ(0, t.out_entries);
	ASSERT_EQ(0, t.out_hits);
	ASSERT_EQ(0, t.out_misses);

	/* 32 pages through it: a small IOTLB evicts, and stays full */
	buf = iofd_alloc_buf(PG(32));
	ASSERT_NE(NULL, buf);
	out = malloc(PG(32));
	ASSERT_NE(NULL, out);
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, buf, PG(32), SIM_IOVA));
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, PG(32)));
	ASSERT_EQ(0, memcmp(out, buf, PG(32)));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(32, t.out_misses);
	ASSERT_EQ(variant->tlb < 32 ? variant->tlb : 32, t.out_entries);
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, SIM_IOVA, PG(32), NULL));
	munmap(buf, PG(32));
	free(out);
}

/* The automatic domain and the flags of HWPT_ALLOC follow the caps */
TEST_F(caps, domain_stage_follows_caps)
{
	struct iommusim_ctx_entry c;
	__u32 pt, hwpt = 0;
	void *buf;
	int rc;

	buf = iofd_alloc_buf(PG(4));
	ASSERT_NE(NULL, buf);
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, buf, PG(4), SIM_IOVA));
	pt = self->ioas;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
	/* Stage 1 whenever there is one (the non-nested case) */
	ASSERT_EQ(variant->s1 ? 1 : 2, ctx_stage(variant->smmu, &c, false));

	/* A nesting parent is a stage-2 / second-level table, under stage 1 */
	rc = ERRNO_OF(iofd_hwpt_alloc(self->fd, self->devid, self->ioas,
				      IOMMU_HWPT_ALLOC_NEST_PARENT, &hwpt));
	if (variant->s1 && variant->s2) {
		ASSERT_EQ(0, rc);
		pt = hwpt;
		ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
		ASSERT_EQ(hwpt, pt);
		ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
		ASSERT_EQ(2, ctx_stage(variant->smmu, &c, false));
		ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
		ASSERT_OK(iofd_destroy(self->fd, hwpt));
	} else {
		ASSERT_EQ(EOPNOTSUPP, rc);
	}

	/* Dirty tracking only where the hardware has it */
	rc = ERRNO_OF(iofd_hwpt_alloc(self->fd, self->devid, self->ioas,
				      IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt));
	ASSERT_EQ(dirty_cap(variant) ? 0 : EOPNOTSUPP, rc);
	if (!rc)
		ASSERT_OK(iofd_destroy(self->fd, hwpt));

	/* PASID-capable HWPTs only where the instance has PASIDs */
	rc = ERRNO_OF(iofd_hwpt_alloc(self->fd, self->devid, self->ioas,
				      IOMMU_HWPT_ALLOC_PASID, &hwpt));
	ASSERT_EQ(variant->pasid_bits ? 0 : EOPNOTSUPP, rc);
	if (!rc)
		ASSERT_OK(iofd_destroy(self->fd, hwpt));

	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, SIM_IOVA, PG(4), NULL));
	munmap(buf, PG(4));
}

/* Per-device features in the device's configuration entries */
TEST_F(caps, ctx_entry_device_features)
{
	bool ats = variant->ats && !strstr(variant->devopts, "ats=0");
	bool pri = variant->pri && !strstr(variant->devopts, "pri=0");
	struct iommusim_ctx_entry c;
	__u32 pt = self->ioas;
	void *buf;

	buf = iofd_alloc_buf(PG(1));
	ASSERT_NE(NULL, buf);
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, buf, PG(1), SIM_IOVA));
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
	if (variant->smmu) {
		ASSERT_EQ(8, c.out_nr_ste);
		ASSERT_EQ(ats ? 1 : 0, STE1_EATS(c.out_ste[1]));
		/* A stage-1 STE has a CD per SSID of the device */
		if (variant->s1)
			ASSERT_EQ(variant->dev_pasid_bits,
				  STE0_S1CDMAX(c.out_ste[0]));
	} else {
		ASSERT_EQ(4, c.out_nr_ste);
		ASSERT_TRUE(c.out_ste[0] & CTX0_P);
		ASSERT_EQ(ats, !!(c.out_ste[0] & CTX0_DTE));
		ASSERT_EQ(pri, !!(c.out_ste[0] & CTX0_PRE));
		ASSERT_EQ(!!variant->dev_pasid_bits,
			  !!(c.out_ste[0] & CTX0_PASIDE));
		/* Requests without PASID use PASID table entry 0 */
		ASSERT_EQ(0, CTX1_RID_PASID(c.out_ste[1]));
	}
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, SIM_IOVA, PG(1), NULL));
	munmap(buf, PG(1));
}

/* IOVA_RANGES: aperture from ias, minus the family's reserved window */
TEST_F(caps, iova_ranges_narrowed_by_device)
{
	struct iommu_iova_range r[8];
	__u64 start = variant->smmu ? SMMU_MSI_START : VTD_IRQ_START;
	__u64 last = variant->smmu ? SMMU_MSI_LAST : VTD_IRQ_LAST;
	__u32 num = IOFD_ARRAY_SIZE(r), pt = self->ioas;
	void *buf;
	int rc;

	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_OK(iofd_iova_ranges(self->fd, self->ioas, r, &num, NULL));
	ASSERT_EQ(2, num);
	ASSERT_EQ(0, r[0].start);
	ASSERT_EQ(start - 1, r[0].last);
	ASSERT_EQ(last + 1, r[1].start);
	ASSERT_EQ((1ULL << variant->ias) - 1, r[1].last);

	/* Neither the window nor beyond the aperture can be mapped */
	buf = iofd_alloc_buf(PG(1));
	ASSERT_NE(NULL, buf);
	rc = ERRNO_OF(iofd_map_fixed(self->fd, self->ioas, buf, PG(1), start));
	ASSERT_EQ(EINVAL, rc);
	rc = ERRNO_OF(iofd_map_fixed(self->fd, self->ioas, buf, PG(1),
				     last - PG(1) + 1));
	ASSERT_EQ(EINVAL, rc);
	rc = ERRNO_OF(iofd_map_fixed(self->fd, self->ioas, buf, PG(1),
				     1ULL << variant->ias));
	ASSERT_EQ(EINVAL, rc);
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, buf, PG(1), start - PG(1)));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, buf, PG(1), last + 1));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, buf, PG(1),
				 (1ULL << variant->ias) - PG(1)));

	/* Detached, the IOAS is whole again */
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, start - PG(1), PG(1), NULL));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, last + 1, PG(1), NULL));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas,
			     (1ULL << variant->ias) - PG(1), PG(1),
			     NULL));
	num = IOFD_ARRAY_SIZE(r);
	ASSERT_OK(iofd_iova_ranges(self->fd, self->ioas, r, &num, NULL));
	ASSERT_EQ(1, num);
	munmap(buf, PG(1));
}

/* ------------------------------------------------------------------------ */
/* One bound device on a default instance                                   */

FIXTURE(sim)
{
	unsigned int id;
	int fd;		/* /dev/iommu */
	int dfd;	/* the device's char device, bound to fd */
	bool dev_gone;	/* the test removed the device (and instance) */
	__u32 devid;
	__u32 ioas;
	unsigned char *buf;
	size_t len;
};

FIXTURE_VARIANT(sim)
{
	const char *type;
	bool smmu;
};

FIXTURE_VARIANT_ADD(sim, smmuv3)
{
	.type = "smmuv3",
	.smmu = true,
};

FIXTURE_VARIANT_ADD(sim, vtd)
{
	.type = "vtd",
	.smmu = false,
};

FIXTURE_SETUP(sim)
{
	self->fd = -1;
	self->dfd = -1;
	if (!sim_present())
		SKIP(return, "iommusim.ko is not loaded");
	ASSERT_OK(sim_create_iommu(10, variant->type, "", &self->id));
	ASSERT_OK(sim_new_device(self->id, SIM_SID, ""));
	self->dfd = sim_dev_open(self->id, SIM_SID);
	ASSERT_LE(0, self->dfd);
	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(sim_bind(self->dfd, self->fd, &self->devid));
	ASSERT_NE(0, self->devid);
	ASSERT_OK(iofd_ioas_alloc(self->fd, &self->ioas));
	self->len = PG(NPAGES);
	self->buf = iofd_alloc_buf(self->len);
	ASSERT_NE(NULL, self->buf);
	fill(self->buf, self->len, 1);
}

FIXTURE_TEARDOWN(sim)
{
	int fd;

	if (self->dfd >= 0)
		close(self->dfd);
	if (self->fd >= 0)
		close(self->fd);
	if (!self->dev_gone) {
		/* Extra devices a failed test may have left (no check) */
		sim_del_device(self->id, SIM_SID + 1);
		sim_del_device(self->id, SIM_SID + 2);
		EXPECT_OK(sim_del_device(self->id, SIM_SID));
		EXPECT_OK(sim_del_iommu(self->id));
	}
	/* Whatever the test did, nothing stays pinned */
	if (self->buf) {
		fd = iofd_open();
		if (fd >= 0) {
			EXPECT_OK(iofd_check_pins(fd, self->buf, self->len, 0));
			close(fd);
		}
		munmap(self->buf, self->len);
	}
}

/*
 * Helpers of the fixtures take their data as the harness names it:
 * FIXTURE_DATA(sim) is struct _test_data_sim, FIXTURE_VARIANT(caps) is
 * struct _fixture_variant_caps.
 */

/* Map @n pages of the buffer at SIM_IOVA and attach the RID to the IOAS */
static int map_and_attach(struct _test_data_sim *self, unsigned int n,
			  __u32 *hwpt)
{
	__u32 pt = self->ioas;

	if (iofd_map_fixed(self->fd, self->ioas, self->buf, PG(n), SIM_IOVA))
		return -1;
	if (sim_attach(self->dfd, SIM_NO_PASID, &pt))
		return -1;
	if (hwpt)
		*hwpt = pt;
	return 0;
}

/* ---- bind / attach / detach ---- */

TEST_F(sim, bind_is_exclusive)
{
	int dfd2, fd2;
	__u32 devid;

	/* Binding twice, from the same or another file, is refused */
	ASSERT_ERRNO(EBUSY, sim_bind(self->dfd, self->fd, &devid));
	fd2 = iofd_open();
	ASSERT_LE(0, fd2);
	ASSERT_ERRNO(EBUSY, sim_bind(self->dfd, fd2, &devid));
	dfd2 = sim_dev_open(self->id, SIM_SID);
	ASSERT_LE(0, dfd2);
	ASSERT_ERRNO(EBUSY, sim_bind(dfd2, self->fd, &devid));
	ASSERT_ERRNO(EBUSY, sim_bind(dfd2, fd2, &devid));
	/* The other file is not bound: its device ioctls are refused */
	ASSERT_ERRNO(EINVAL, sim_detach(dfd2, SIM_NO_PASID));
	close(dfd2);

	/* Once the binding file is closed another one can bind */
	close(self->dfd);
	self->dfd = sim_dev_open(self->id, SIM_SID);
	ASSERT_LE(0, self->dfd);
	ASSERT_OK(sim_bind(self->dfd, fd2, &devid));
	ASSERT_NE(0, devid);
	close(self->dfd);
	self->dfd = -1;
	close(fd2);
}

TEST_F(sim, bind_bad_input)
{
	struct iommusim_bind_iommufd cmd = {
		.argsz = sizeof(cmd),
		.iommufd = self->fd,
	};
	struct iommusim_ctx_entry c;
	unsigned char out[64];
	__u32 pt = self->ioas;
	int dfd, nullfd;

	ASSERT_OK(sim_new_device(self->id, SIM_SID + 1, ""));
	dfd = sim_dev_open(self->id, SIM_SID + 1);
	ASSERT_LE(0, dfd);

	/* Every ioctl but BIND needs a bound file */
	ASSERT_ERRNO(EINVAL, sim_attach(dfd, SIM_NO_PASID, &pt));
	ASSERT_ERRNO(EINVAL, sim_detach(dfd, SIM_NO_PASID));
	ASSERT_ERRNO(EINVAL, sim_dma_read(dfd, SIM_IOVA, out, 16));
	ASSERT_ERRNO(EINVAL, sim_iotlb(dfd, 0, NULL));
	ASSERT_ERRNO(EINVAL, sim_invalidate(dfd, SIM_NO_PASID, SIM_IOVA, 0));
	ASSERT_ERRNO(EINVAL, sim_ctx(dfd, SIM_NO_PASID, &c));
	/* Not one of ours at all */
	ASSERT_ERRNO(ENOTTY, ioctl(dfd, _IO(IOMMUSIM_TYPE, 250), out));

	cmd.argsz = offsetof(struct iommusim_bind_iommufd, out_devid);
	ASSERT_ERRNO(EINVAL, ioctl(dfd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &cmd));
	cmd.argsz = sizeof(cmd);
	cmd.flags = 1;
	ASSERT_ERRNO(EINVAL, ioctl(dfd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &cmd));
	cmd.flags = 1U << 31;
	ASSERT_ERRNO(EINVAL, ioctl(dfd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &cmd));
	cmd.flags = 0;
	cmd.token_uuid_ptr = (uintptr_t)out;
	ASSERT_ERRNO(EINVAL, ioctl(dfd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &cmd));
	cmd.token_uuid_ptr = 0;
	/* Not an iommufd */
	cmd.iommufd = -1;
	ASSERT_ERRNO(EBADF, ioctl(dfd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &cmd));
	nullfd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, nullfd);
	cmd.iommufd = nullfd;
	ASSERT_ERRNO(EBADFD, ioctl(dfd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &cmd));
	close(nullfd);

	/* A bigger struct from a newer VMM: the tail is ignored */
	{
		struct {
			struct iommusim_bind_iommufd b;
			__u64 tail[2];
		} big = { .b = { .argsz = sizeof(big), .iommufd = self->fd } };

		ASSERT_OK(ioctl(dfd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &big));
		ASSERT_NE(0, big.b.out_devid);
		ASSERT_NE(self->devid, big.b.out_devid);
	}
	close(dfd);

	/* A VMM written before VFIO's token field: argsz ends at out_devid */
	dfd = sim_dev_open(self->id, SIM_SID + 1);
	ASSERT_LE(0, dfd);
	cmd.iommufd = self->fd;
	cmd.out_devid = 0;
	cmd.argsz = offsetof(struct iommusim_bind_iommufd, token_uuid_ptr);
	cmd.token_uuid_ptr = 1;	/* beyond argsz: never read */
	ASSERT_OK(ioctl(dfd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &cmd));
	ASSERT_NE(0, cmd.out_devid);
	close(dfd);
	ASSERT_OK(sim_del_device(self->id, SIM_SID + 1));
}

TEST_F(sim, attach_ioas_gives_auto_hwpt)
{
	__u32 hwpt = 0, pt;
	unsigned char out[64];
	struct iommusim_dma d;

	ASSERT_OK(map_and_attach(self, 4, &hwpt));
	ASSERT_NE(0, hwpt);
	ASSERT_NE(self->ioas, hwpt);
	ASSERT_NE(self->devid, hwpt);
	/* Both are busy; the device object belongs to its driver */
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, hwpt));
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, self->ioas));
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, self->devid));

	/* Attaching where attached replaces: the same IOAS, same HWPT */
	pt = self->ioas;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_EQ(hwpt, pt);
	pt = hwpt;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_EQ(hwpt, pt);
	/* Bad targets change nothing */
	pt = 0x7777;
	ASSERT_ERRNO(ENOENT, sim_attach(self->dfd, SIM_NO_PASID, &pt));
	pt = self->devid;
	ASSERT_ERRNO(EINVAL, sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf, sizeof(out)));

	/* Detach blocks DMA and frees the automatic HWPT */
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, false, SIM_NO_PASID, SIM_IOVA, out,
				  sizeof(out), &d));
	ASSERT_EQ(IOMMUSIM_FAULT_BLOCKED, d.out_fault);
	ASSERT_EQ(0, d.out_done);
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, hwpt));
	/* Detaching again is a no-op */
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, self->ioas));
}

TEST_F(sim, attach_detach_bad_input)
{
	struct iommusim_attach_pt at = {
		.argsz = sizeof(at),
		.pt_id = self->ioas,
	};
	struct iommusim_detach_pt de = { .argsz = sizeof(de) };

	at.argsz = offsetof(struct iommusim_attach_pt, pt_id);
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT,
				   &at));
	at.argsz = sizeof(at);
	at.flags = 1U << 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT,
				   &at));
	at.flags = 1U << 31;
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT,
				   &at));

	de.argsz = offsetof(struct iommusim_detach_pt, flags);
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_DETACH_IOMMUFD_PT,
				   &de));
	de.argsz = sizeof(de);
	de.flags = 1U << 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_DETACH_IOMMUFD_PT,
				   &de));

	/* Nothing was attached by the failures */
	at.flags = 0;
	ASSERT_OK(ioctl(self->dfd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT, &at));
	ASSERT_NE(self->ioas, at.pt_id);
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
}

TEST_F(sim, replace_between_ioases)
{
	unsigned char out[256];
	__u32 ioas2, pt, hwpt1;

	ASSERT_OK(map_and_attach(self, 4, &hwpt1));
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas2, self->buf + PG(8), PG(4),
				 SIM_IOVA));
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf, sizeof(out)));

	pt = ioas2;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_NE(hwpt1, pt);
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf + PG(8), sizeof(out)));
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, hwpt1));
	ASSERT_OK(iofd_destroy(self->fd, self->ioas));
}

TEST_F(sim, devices_share_domains_of_their_instance)
{
	const char *other = variant->smmu ? "vtd" : "smmuv3";
	struct iommusim_ctx_entry c1, c2;
	struct iommusim_iotlb t;
	unsigned char out[64];
	__u32 hwpt1, hwpt2, hwpt3, pt;
	unsigned int id2 = 0;
	int dfd2, dfd3;

	ASSERT_OK(map_and_attach(self, 4, &hwpt1));

	/* A second device of the instance joins the automatic HWPT */
	ASSERT_OK(sim_new_device(self->id, SIM_SID + 1, ""));
	dfd2 = sim_dev_open(self->id, SIM_SID + 1);
	ASSERT_LE(0, dfd2);
	ASSERT_OK(sim_bind(dfd2, self->fd, NULL));
	hwpt2 = self->ioas;
	ASSERT_OK(sim_attach(dfd2, SIM_NO_PASID, &hwpt2));
	ASSERT_EQ(hwpt1, hwpt2);
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c1));
	ASSERT_OK(sim_ctx(dfd2, SIM_NO_PASID, &c2));
	ASSERT_EQ(c1.out_root, c2.out_root);
	ASSERT_EQ(ctx_tag(variant->smmu, &c1, 1), ctx_tag(variant->smmu, &c2, 1));

	/* The IOTLB is keyed by ASID / DID, not by device: one walk serves both */
	ASSERT_OK(sim_iotlb(self->dfd, IOMMUSIM_IOTLB_FLUSH_ALL |
				       IOMMUSIM_IOTLB_RESET_STATS, NULL));
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_OK(sim_dma_read(dfd2, SIM_IOVA + 64, out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf + 64, sizeof(out)));
	ASSERT_OK(sim_iotlb(dfd2, 0, &t));
	ASSERT_EQ(1, t.out_misses);
	ASSERT_EQ(1, t.out_hits);

	/* Another instance cannot use this instance's domain */
	ASSERT_OK(sim_create_iommu(self->id + 1, other, "", &id2));
	ASSERT_OK(sim_new_device(id2, SIM_SID, ""));
	dfd3 = sim_dev_open(id2, SIM_SID);
	ASSERT_LE(0, dfd3);
	ASSERT_OK(sim_bind(dfd3, self->fd, NULL));
	pt = hwpt1;
	ASSERT_ERRNO(EINVAL, sim_attach(dfd3, SIM_NO_PASID, &pt));
	/* On the same IOAS it gets an automatic HWPT of its own */
	hwpt3 = self->ioas;
	ASSERT_OK(sim_attach(dfd3, SIM_NO_PASID, &hwpt3));
	ASSERT_NE(hwpt1, hwpt3);
	ASSERT_OK(sim_dma_read(dfd3, SIM_IOVA + PG(3), out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf + PG(3), sizeof(out)));
	/* Its IOTLB is its own */
	ASSERT_OK(sim_iotlb(dfd2, 0, &t));
	ASSERT_EQ(1, t.out_misses);

	/* The first device leaving keeps the HWPT for the second */
	close(self->dfd);
	self->dfd = -1;
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, hwpt1));
	ASSERT_OK(sim_dma_read(dfd2, SIM_IOVA, out, sizeof(out)));
	close(dfd2);
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, hwpt1));
	close(dfd3);
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, hwpt3));
	ASSERT_OK(sim_del_device(self->id, SIM_SID + 1));
	ASSERT_OK(sim_del_device(id2, SIM_SID));
	ASSERT_OK(sim_del_iommu(id2));
}

/* ---- close orders (the teardown checks pins and removal) ---- */

TEST_F(sim, close_device_first)
{
	unsigned char out[64];
	__u32 hwpt, devid;

	ASSERT_OK(map_and_attach(self, 4, &hwpt));
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	close(self->dfd);
	self->dfd = -1;

	/* Unbinding detached it: the automatic HWPT went, the IOAS is free */
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, hwpt));
	ASSERT_ERRNO(ENOENT, iofd_destroy(self->fd, self->devid));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, PG(4), 0));
	ASSERT_OK(iofd_destroy(self->fd, self->ioas));

	/* The device can be bound again to the same iommufd */
	self->dfd = sim_dev_open(self->id, SIM_SID);
	ASSERT_LE(0, self->dfd);
	ASSERT_OK(sim_bind(self->dfd, self->fd, &devid));
	ASSERT_NE(0, devid);
}

TEST_F(sim, close_iommufd_first)
{
	unsigned char out[512];
	__u32 ioas2 = 0, pt, hwpt;

	ASSERT_OK(map_and_attach(self, 8, &hwpt));
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas2, self->buf + PG(16), PG(4),
				 SIM_IOVA));
	close(self->fd);
	self->fd = -1;

	/* The binding keeps the context: DMA, attach, detach still work */
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA + 100, out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf + 100, sizeof(out)));
	fill(out, sizeof(out), 77);
	ASSERT_OK(sim_dma_write(self->dfd, SIM_IOVA + PG(3), out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf + PG(3), sizeof(out)));
	pt = ioas2;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf + PG(16), sizeof(out)));
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	pt = self->ioas;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));

	/* Closing the device last frees everything (teardown checks pins) */
	close(self->dfd);
	self->dfd = -1;
	ASSERT_OK(sim_del_device(self->id, SIM_SID));
	ASSERT_OK(sim_del_iommu(self->id));
	self->dev_gone = true;
}

/* Both closed by process exit, with mappings and attachments in place */
static int exit_with_everything_open(void *arg)
{
	unsigned int *ids = arg;
	unsigned char out[64];
	__u32 devid, ioas, pt, hwpt;
	void *buf;
	int fd, dfd;

	buf = iofd_alloc_buf(PG(8));
	CHILD_CHECK(1, buf);
	fd = iofd_open();
	CHILD_CHECK(2, fd >= 0);
	dfd = sim_dev_open(ids[0], ids[1]);
	CHILD_CHECK(3, dfd >= 0);
	CHILD_CHECK(4, !sim_bind(dfd, fd, &devid));
	CHILD_CHECK(5, !iofd_ioas_alloc(fd, &ioas));
	CHILD_CHECK(6, !iofd_map_fixed(fd, ioas, buf, PG(8), SIM_IOVA));
	pt = ioas;
	CHILD_CHECK(7, !sim_attach(dfd, SIM_NO_PASID, &pt));
	CHILD_CHECK(8, !sim_dma_write(dfd, SIM_IOVA, out, sizeof(out)));
	/* Move to a HWPT that tracks dirty pages and serves a PASID too */
	CHILD_CHECK(9, !iofd_hwpt_alloc(fd, devid, ioas,
					IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
					IOMMU_HWPT_ALLOC_PASID, &hwpt));
	pt = hwpt;
	CHILD_CHECK(10, !sim_attach(dfd, SIM_NO_PASID, &pt));
	pt = hwpt;
	CHILD_CHECK(11, !sim_attach(dfd, 7, &pt));
	CHILD_CHECK(12, !sim_set_dirty(fd, hwpt, true));
	CHILD_CHECK(13, !sim_dma(dfd, true, 7, SIM_IOVA + PG(2), out,
				 sizeof(out), NULL));
	/* No close(): exit tears down both files in whatever order */
	return 0;
}

TEST_F(sim, close_both_at_exit)
{
	unsigned int ids[2] = { self->id, SIM_SID + 2 };
	int dfd;

	ASSERT_OK(sim_new_device(self->id, SIM_SID + 2, ""));
	ASSERT_EQ(0, iofd_in_child(exit_with_everything_open, ids));
	/* The child's files are gone: the device is free again */
	ASSERT_OK(sim_del_device(self->id, SIM_SID + 2));

	/* Same with the order forced: iommufd closed, then the device */
	ASSERT_OK(sim_new_device(self->id, SIM_SID + 2, ""));
	ASSERT_EQ(0, iofd_in_child(exit_with_everything_open, ids));
	dfd = sim_dev_open(self->id, SIM_SID + 2);
	ASSERT_LE(0, dfd);
	ASSERT_OK(sim_bind(dfd, self->fd, NULL));
	close(dfd);
	ASSERT_OK(sim_del_device(self->id, SIM_SID + 2));
}

/* ---- DMA ---- */

TEST_F(sim, dma_4k_read_write)
{
	struct iommusim_translate x;
	unsigned char *out;
	unsigned int i;
	__u64 phys[16];

	out = malloc(PG(16));
	ASSERT_NE(NULL, out);
	ASSERT_OK(map_and_attach(self, 16, NULL));

	/* Device reads see the user buffer behind the mapping */
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, PG(16)));
	ASSERT_EQ(0, memcmp(out, self->buf, PG(16)));

	/* Device writes land in it */
	fill(out, PG(3), 99);
	ASSERT_OK(sim_dma_write(self->dfd, SIM_IOVA + PG(2), out, PG(3)));
	ASSERT_EQ(0, memcmp(out, self->buf + PG(2), PG(3)));

	/* Unaligned starts and lengths crossing page boundaries */
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA + 100, out, PG(3) + 57));
	ASSERT_EQ(0, memcmp(out, self->buf + 100, PG(3) + 57));
	fill(out, 66, 5);
	ASSERT_OK(sim_dma_write(self->dfd, SIM_IOVA + PG(5) - 33, out, 66));
	ASSERT_EQ(0, memcmp(out, self->buf + PG(5) - 33, 66));
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA + PG(16) - 1, out, 1));
	ASSERT_EQ(self->buf[PG(16) - 1], out[0]);

	/* Each page is its own 4 KiB leaf, to distinct memory */
	for (i = 0; i != 16; i++) {
		unsigned int j;

		ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID,
				    SIM_IOVA + PG(i) + 0x123, false, &x));
		ASSERT_EQ(IOMMUSIM_FAULT_NONE, x.out_fault);
		ASSERT_EQ(SIM_4K, x.out_page_size);
		ASSERT_EQ(level_4k(variant->smmu), x.out_level);
		ASSERT_EQ(0x123, x.out_phys & (SIM_4K - 1));
		ASSERT_EQ(x.out_phys & ~(SIM_4K - 1),
			  pte_oa(variant->smmu, x.out_pte));
		phys[i] = x.out_phys;
		for (j = 0; j != i; j++)
			ASSERT_NE(phys[j], phys[i]);
	}
	free(out);
}

TEST_F(sim, dma_2m_pages)
{
	const size_t len = 2 * SIM_2M;
	struct iommusim_translate x, x2;
	struct iommusim_ctx_entry c;
	struct iommusim_dma d;
	unsigned char *huge, *out;
	__u32 pt = self->ioas;

	huge = iofd_alloc_huge(len);
	if (!huge)
		SKIP(return, "no 2 MiB huge pages reserved");
	fill(huge, len, 3);
	out = malloc(len);
	ASSERT_NE(NULL, out);
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, huge, len, SIM_IOVA_2M));
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));

	/* One 2 MiB leaf per huge page */
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, SIM_IOVA_2M + 0x1234,
			    true, &x));
	ASSERT_EQ(IOMMUSIM_FAULT_NONE, x.out_fault);
	ASSERT_EQ(SIM_2M, x.out_page_size);
	ASSERT_EQ(level_2m(variant->smmu), x.out_level);
	ASSERT_EQ(0x1234, x.out_phys & (SIM_2M - 1));
	if (variant->smmu) {
		ASSERT_EQ(1, ARM_PTE_TYPE(x.out_pte)); /* block */
		ASSERT_EQ(x.out_phys & ~(SIM_2M - 1),
			  ARM_PTE_OA(x.out_pte) & ~(SIM_2M - 1));
	} else {
		ASSERT_TRUE(x.out_pte & VTD_PTE_PS);
		ASSERT_EQ(x.out_phys & ~(SIM_2M - 1),
			  VTD_PTE_ADDR(x.out_pte) & ~(SIM_2M - 1));
	}
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
	ASSERT_EQ(1, pte_writable(variant->smmu,
				  ctx_stage(variant->smmu, &c, false),
				  x.out_pte));
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID,
			    SIM_IOVA_2M + SIM_2M + 0x10, false, &x2));
	ASSERT_EQ(SIM_2M, x2.out_page_size);
	ASSERT_EQ(0x10, x2.out_phys & (SIM_2M - 1));

	/* Data through the large leaves, across the boundary between them */
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA_2M, out, len));
	ASSERT_EQ(0, memcmp(out, huge, len));
	fill(out, PG(2) + 10, 201);
	ASSERT_OK(sim_dma_write(self->dfd, SIM_IOVA_2M + SIM_2M - PG(1) - 5,
				out, PG(2) + 10));
	ASSERT_EQ(0, memcmp(out, huge + SIM_2M - PG(1) - 5, PG(2) + 10));
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA_2M + 7, out, len - 7));
	ASSERT_EQ(0, memcmp(out, huge + 7, len - 7));

	/* The cached 2 MiB translations go with the unmap */
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, SIM_IOVA_2M, len, NULL));
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, false, SIM_NO_PASID,
				  SIM_IOVA_2M + SIM_2M + 99, out, 8, &d));
	ASSERT_EQ(IOMMUSIM_FAULT_TRANSLATION, d.out_fault);
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	free(out);
	munmap(huge, len);
}

TEST_F(sim, huge_pages_option_off_maps_4k)
{
	const size_t len = SIM_2M;
	struct iommusim_translate x;
	unsigned char *huge, *out;
	__u32 pt = self->ioas;
	__u64 val = 0;

	huge = iofd_alloc_huge(len);
	if (!huge)
		SKIP(return, "no 2 MiB huge pages reserved");
	fill(huge, len, 9);
	out = malloc(len);
	ASSERT_NE(NULL, out);
	/* The IOAS asks for 4 KiB IOPTEs even for contiguous memory */
	ASSERT_OK(iofd_option(self->fd, IOMMU_OPTION_HUGE_PAGES,
			      IOMMU_OPTION_OP_SET, self->ioas, &val));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, huge, len, SIM_IOVA_2M));
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, SIM_IOVA_2M + 0x5000,
			    false, &x));
	ASSERT_EQ(IOMMUSIM_FAULT_NONE, x.out_fault);
	ASSERT_EQ(SIM_4K, x.out_page_size);
	ASSERT_EQ(level_4k(variant->smmu), x.out_level);
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA_2M, out, len));
	ASSERT_EQ(0, memcmp(out, huge, len));

	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, SIM_IOVA_2M, len, NULL));
	free(out);
	munmap(huge, len);
}

TEST_F(sim, dma_blocked_without_attach)
{
	unsigned char out[32];
	struct iommusim_dma d;
	__u32 hwpt = 0;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, PG(1),
				 SIM_IOVA));
	memset(out, 0xee, sizeof(out));
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, false, SIM_NO_PASID, SIM_IOVA,
				  out, sizeof(out), &d));
	ASSERT_EQ(IOMMUSIM_FAULT_BLOCKED, d.out_fault);
	ASSERT_EQ(0, d.out_done);
	ASSERT_EQ(SIM_IOVA, d.out_fault_addr);
	/* An aborting STE records no event; VT-d finds no PASID entry */
	if (variant->smmu) {
		ASSERT_EQ(0, d.out_record_len);
	} else {
		ASSERT_EQ(16, d.out_record_len);
		ASSERT_EQ(SIM_SID, FRCD1_SID(d.out_record[1]));
		ASSERT_TRUE(FRCD1_FR(d.out_record[1]) == VTD_FR_PTE_NP ||
			    FRCD1_FR(d.out_record[1]) == VTD_FR_PDE_NP);
		ASSERT_EQ(0, d.out_record[1] & FRCD1_PP);
		ASSERT_TRUE(d.out_record[1] & FRCD1_T1_READ);
	}
	ASSERT_TRUE(all_bytes(out, sizeof(out), 0xee));
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, true, SIM_NO_PASID, SIM_IOVA,
				  out, sizeof(out), &d));
	ASSERT_EQ(IOMMUSIM_FAULT_BLOCKED, d.out_fault);
	ASSERT_EQ(1, self->buf[0]);

	/* Attached, then detached again: blocked again */
	hwpt = self->ioas;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &hwpt));
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, false, SIM_NO_PASID, SIM_IOVA,
				  out, sizeof(out), &d));
	ASSERT_EQ(IOMMUSIM_FAULT_BLOCKED, d.out_fault);
}

/*
 * The architected record of a fault of kind d->out_fault at @addr, by a
 * request of @pasid through a context of @stage (1 or 2)
 */
static void check_record(struct __test_metadata *_metadata, bool smmu,
			 int stage, const struct iommusim_dma *d, __u64 addr,
			 bool write, __u32 pasid)
{
	bool pv = pasid != SIM_NO_PASID;
	unsigned int evt = 0, fr = 0;

	switch (d->out_fault) {
	case IOMMUSIM_FAULT_TRANSLATION:
		evt = EVT_F_TRANSLATION;
		fr = stage == 1 ? VTD_FR_FL_NP : VTD_FR_SL_NP;
		break;
	case IOMMUSIM_FAULT_PERMISSION:
		evt = EVT_F_PERMISSION;
		fr = write ? VTD_FR_NO_WRITE : VTD_FR_NO_READ;
		break;
	}
	ASSERT_NE(0, evt);
	ASSERT_EQ(addr, d->out_fault_addr);
	if (smmu) {
		ASSERT_EQ(32, d->out_record_len);
		ASSERT_EQ(evt, EVT0_ID(d->out_record[0]));
		ASSERT_EQ(SIM_SID, EVT0_SID(d->out_record[0]));
		ASSERT_EQ(pv, !!(d->out_record[0] & EVT0_SSV));
		ASSERT_EQ(pv ? pasid : 0, EVT0_SSID(d->out_record[0]));
		ASSERT_EQ(!write, !!(d->out_record[1] & EVT1_RNW));
		ASSERT_EQ(stage == 2, !!(d->out_record[1] & EVT1_S2));
		ASSERT_EQ(addr, d->out_record[2]);
	} else {
		ASSERT_EQ(16, d->out_record_len);
		ASSERT_EQ(addr & ~(SIM_4K - 1), FRCD0_FI(d->out_record[0]));
		ASSERT_EQ(SIM_SID, FRCD1_SID(d->out_record[1]));
		ASSERT_EQ(fr, FRCD1_FR(d->out_record[1]));
		ASSERT_EQ(pv, !!(d->out_record[1] & FRCD1_PP));
		ASSERT_EQ(pv ? pasid : 0, FRCD1_PV(d->out_record[1]));
		ASSERT_EQ(!write, !!(d->out_record[1] & FRCD1_T1_READ));
		ASSERT_TRUE(d->out_record[1] & FRCD1_F);
	}
}

/* Stage of what the RID is attached to, from its configuration entries */
static int rid_stage(int dfd, bool smmu)
{
	struct iommusim_ctx_entry c;

	if (sim_ctx(dfd, SIM_NO_PASID, &c))
		return -1;
	return ctx_stage(smmu, &c, false);
}

TEST_F(sim, dma_translation_fault)
{
	unsigned char out[300];
	struct iommusim_dma d;
	__u64 hole = SIM_IOVA + PG(1);
	__u32 parent = 0, pt;
	int stage;

	ASSERT_OK(map_and_attach(self, 1, NULL));
	stage = rid_stage(self->dfd, variant->smmu);
	ASSERT_EQ(1, stage);

	/* A read running off the end of the mapping */
	memset(out, 0xee, sizeof(out));
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, false, SIM_NO_PASID, hole - 100,
				  out, sizeof(out), &d));
	ASSERT_EQ(IOMMUSIM_FAULT_TRANSLATION, d.out_fault);
	ASSERT_EQ(100, d.out_done);
	ASSERT_EQ(0, memcmp(out, self->buf + PG(1) - 100, 100));
	check_record(_metadata, variant->smmu, stage, &d, hole, false,
		     SIM_NO_PASID);

	/* A write: the part before the hole reached memory */
	fill(out, sizeof(out), 150);
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, true, SIM_NO_PASID, hole - 10,
				  out, sizeof(out), &d));
	ASSERT_EQ(IOMMUSIM_FAULT_TRANSLATION, d.out_fault);
	ASSERT_EQ(10, d.out_done);
	ASSERT_EQ(0, memcmp(out, self->buf + PG(1) - 10, 10));
	check_record(_metadata, variant->smmu, stage, &d, hole, true,
		     SIM_NO_PASID);

	/* Far away from anything mapped */
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, false, SIM_NO_PASID,
				  0x123456789000ULL, out, 8, &d));
	ASSERT_EQ(IOMMUSIM_FAULT_TRANSLATION, d.out_fault);
	ASSERT_EQ(0, d.out_done);
	check_record(_metadata, variant->smmu, stage, &d, 0x123456789000ULL,
		     false, SIM_NO_PASID);

	/* The same through a stage-2 / second-level table */
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, self->ioas,
				  IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	pt = parent;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	stage = rid_stage(self->dfd, variant->smmu);
	ASSERT_EQ(2, stage);
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, false, SIM_NO_PASID, hole - 100,
				  out, sizeof(out), &d));
	ASSERT_EQ(IOMMUSIM_FAULT_TRANSLATION, d.out_fault);
	ASSERT_EQ(100, d.out_done);
	check_record(_metadata, variant->smmu, stage, &d, hole, false,
		     SIM_NO_PASID);
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, parent));
}

TEST_F(sim, dma_permission_fault)
{
	struct iommusim_ctx_entry c;
	struct iommusim_translate x;
	unsigned char out[64], before[64];
	struct iommusim_dma d;
	__u64 ro = SIM_IOVA + PG(1);
	__u64 iova = ro;
	__u32 pt = self->ioas, parent = 0;
	int stage;

	/* Page 0 read/write, page 1 read-only */
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, PG(1),
				 SIM_IOVA));
	ASSERT_OK(iofd_map(self->fd, self->ioas, self->buf + PG(1), PG(1),
			   &iova,
			   IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE));
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
	stage = ctx_stage(variant->smmu, &c, false);
	ASSERT_LT(0, stage);

	/* The leaf entries say so in the format's own bits */
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, SIM_IOVA, false, &x));
	ASSERT_EQ(1, pte_readable(variant->smmu, stage, x.out_pte));
	ASSERT_EQ(1, pte_writable(variant->smmu, stage, x.out_pte));
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, ro, false, &x));
	ASSERT_EQ(IOMMUSIM_FAULT_NONE, x.out_fault);
	ASSERT_EQ(1, pte_readable(variant->smmu, stage, x.out_pte));
	ASSERT_EQ(0, pte_writable(variant->smmu, stage, x.out_pte));
	if (variant->smmu && stage == 1) {
		ASSERT_TRUE(x.out_pte & ARM_PTE_AP2);
		ASSERT_FALSE(x.out_pte & ARM_PTE_DBM);
	}
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, ro, true, &x));
	ASSERT_EQ(IOMMUSIM_FAULT_PERMISSION, x.out_fault);
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, SIM_IOVA, true, &x));
	ASSERT_EQ(IOMMUSIM_FAULT_NONE, x.out_fault);

	/* Reading both pages is fine */
	ASSERT_OK(sim_dma_read(self->dfd, ro - 32, out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf + PG(1) - 32, sizeof(out)));

	/* A write that crosses into the read-only page stops at it */
	memcpy(before, self->buf + PG(1), sizeof(before));
	fill(out, sizeof(out), 210);
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, true, SIM_NO_PASID, ro - 10, out,
				  sizeof(out), &d));
	ASSERT_EQ(IOMMUSIM_FAULT_PERMISSION, d.out_fault);
	ASSERT_EQ(10, d.out_done);
	ASSERT_EQ(0, memcmp(out, self->buf + PG(1) - 10, 10));
	ASSERT_EQ(0, memcmp(before, self->buf + PG(1), sizeof(before)));
	check_record(_metadata, variant->smmu, stage, &d, ro, true,
		     SIM_NO_PASID);

	/* And one that starts inside it does nothing */
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, true, SIM_NO_PASID, ro + 5, out,
				  8, &d));
	ASSERT_EQ(IOMMUSIM_FAULT_PERMISSION, d.out_fault);
	ASSERT_EQ(0, d.out_done);
	check_record(_metadata, variant->smmu, stage, &d, ro + 5, true,
		     SIM_NO_PASID);
	ASSERT_EQ(0, memcmp(before, self->buf + PG(1), sizeof(before)));

	/* Stage 2 / second level: S2AP, or SL R/W */
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, self->ioas,
				  IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	pt = parent;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	stage = rid_stage(self->dfd, variant->smmu);
	ASSERT_EQ(2, stage);
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, SIM_IOVA, false, &x));
	ASSERT_EQ(1, pte_readable(variant->smmu, stage, x.out_pte));
	ASSERT_EQ(1, pte_writable(variant->smmu, stage, x.out_pte));
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, ro, false, &x));
	ASSERT_EQ(1, pte_readable(variant->smmu, stage, x.out_pte));
	ASSERT_EQ(0, pte_writable(variant->smmu, stage, x.out_pte));
	if (variant->smmu)
		ASSERT_FALSE(x.out_pte & ARM_PTE_DBM);
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, true, SIM_NO_PASID, ro - 10, out,
				  sizeof(out), &d));
	ASSERT_EQ(IOMMUSIM_FAULT_PERMISSION, d.out_fault);
	ASSERT_EQ(10, d.out_done);
	check_record(_metadata, variant->smmu, stage, &d, ro, true,
		     SIM_NO_PASID);
	ASSERT_EQ(0, memcmp(before, self->buf + PG(1), sizeof(before)));
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, parent));
}

TEST_F(sim, dma_bad_input)
{
	struct iommusim_dma cmd;
	unsigned char out[16];

	ASSERT_OK(map_and_attach(self, 2, NULL));
	memset(&cmd, 0, sizeof(cmd));
	cmd.argsz = sizeof(cmd);
	cmd.iova = SIM_IOVA;
	cmd.length = sizeof(out);
	cmd.uptr = (uintptr_t)out;
	ASSERT_OK(ioctl(self->dfd, IOMMUSIM_DEVICE_DMA, &cmd));
	ASSERT_EQ(sizeof(out), cmd.out_done);
	ASSERT_EQ(IOMMUSIM_FAULT_NONE, cmd.out_fault);

	cmd.argsz = offsetof(struct iommusim_dma, out_done);
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_DMA, &cmd));
	cmd.argsz = sizeof(cmd);
	cmd.flags = 1U << 5;
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_DMA, &cmd));
	cmd.flags = 0;
	cmd.__reserved = 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_DMA, &cmd));
	cmd.__reserved = 0;
	cmd.length = 0;
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_DMA, &cmd));
	cmd.length = (64ULL << 20) + 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_DMA, &cmd));
	cmd.length = sizeof(out);
	cmd.uptr = 8;
	ASSERT_ERRNO(EFAULT, ioctl(self->dfd, IOMMUSIM_DEVICE_DMA, &cmd));
	cmd.flags = IOMMUSIM_DMA_WRITE;
	ASSERT_ERRNO(EFAULT, ioctl(self->dfd, IOMMUSIM_DEVICE_DMA, &cmd));
	cmd.uptr = (uintptr_t)out;
	/* PASID 0 is the RID's context, beyond the width does not exist */
	cmd.flags = IOMMUSIM_DMA_PASID;
	cmd.pasid = 0;
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_DMA, &cmd));
	cmd.pasid = 1U << 20;
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_DMA, &cmd));
}

/* ---- DMA racing with replace and unmap ---- */

struct dma_racer {
	int dfd;
	__u64 iova;
	const unsigned char *expect[2];	/* what a page may contain */
	bool stop;		/* set by the test, read atomically */
	unsigned long reads, seen[2], faults, bad;
};

/* Read one page over and over; classify what came back */
static void *dma_race_thread(void *arg)
{
	struct dma_racer *r = arg;
	unsigned char page[4096];
	struct iommusim_dma d;
	unsigned int i;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		r->reads++;
		if (sim_dma(r->dfd, false, SIM_NO_PASID, r->iova, page,
			    sizeof(page), &d)) {
			/* Only an unmapped page may fault, and only so */
			if (errno == EIO &&
			    d.out_fault == IOMMUSIM_FAULT_TRANSLATION &&
			    !d.out_done)
				r->faults++;
			else
				r->bad++;
			continue;
		}
		for (i = 0; i != 2; i++) {
			if (r->expect[i] &&
			    !memcmp(page, r->expect[i], sizeof(page))) {
				r->seen[i]++;
				break;
			}
		}
		/* Torn: part of one page, part of another */
		if (i == 2)
			r->bad++;
	}
	return NULL;
}

TEST_F(sim, replace_is_atomic_for_dma)
{
	struct dma_racer r = { .dfd = self->dfd, .iova = SIM_IOVA };
	__u32 ioas2, hwpt[2], pt;
	pthread_t th;
	unsigned int i;

	memset(self->buf, 'A', PG(1));
	memset(self->buf + PG(32), 'B', PG(1));
	r.expect[0] = self->buf;
	r.expect[1] = self->buf + PG(32);
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, PG(1),
				 SIM_IOVA));
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas2, self->buf + PG(32), PG(1),
				 SIM_IOVA));
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, self->ioas, 0,
				  &hwpt[0]));
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, ioas2, 0, &hwpt[1]));
	pt = hwpt[0];
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));

	ASSERT_EQ(0, pthread_create(&th, NULL, dma_race_thread, &r));
	for (i = 0; i != 400; i++) {
		pt = hwpt[(i + 1) % 2];
		ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
		/* Let the reader see both tables */
		if (i % 16 < 2)
			usleep(1000);
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(th, NULL));

	TH_LOG("%lu reads during 400 replaces: %lu A, %lu B", r.reads,
	       r.seen[0], r.seen[1]);
	/* Every read saw a whole page of one table or the other */
	ASSERT_LT(0, r.reads);
	ASSERT_EQ(0, r.faults);
	ASSERT_EQ(0, r.bad);
	ASSERT_EQ(r.reads, r.seen[0] + r.seen[1]);

	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, hwpt[0]));
	ASSERT_OK(iofd_destroy(self->fd, hwpt[1]));
}

TEST_F(sim, unmap_racing_with_dma)
{
	struct dma_racer r = { .dfd = self->dfd, .iova = SIM_IOVA };
	pthread_t th;
	unsigned int i;

	fill(self->buf, PG(1), 7);
	r.expect[0] = self->buf;
	ASSERT_OK(map_and_attach(self, 1, NULL));
	ASSERT_EQ(0, pthread_create(&th, NULL, dma_race_thread, &r));
	for (i = 0; i != 300; i++) {
		/* Give the reader time in both states now and then */
		ASSERT_OK(iofd_unmap(self->fd, self->ioas, SIM_IOVA, PG(1),
				     NULL));
		if (i % 16 == 0)
			usleep(1000);
		ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf,
					 PG(1), SIM_IOVA));
		if (i % 16 == 8)
			usleep(1000);
	}
	__atomic_store_n(&r.stop, true, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(th, NULL));

	TH_LOG("%lu reads during 300 unmaps: %lu faulted", r.reads,
	       r.faults);
	/* Data of the mapping, or a translation fault: nothing else */
	ASSERT_LT(0, r.reads);
	ASSERT_EQ(0, r.bad);
	ASSERT_EQ(r.reads, r.seen[0] + r.faults);
	/* Mapped again at the end: the IOTLB holds nothing stale */
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, self->buf + PG(40),
			       PG(1)));
	ASSERT_EQ(0, memcmp(self->buf, self->buf + PG(40), PG(1)));
}

/* ---- configuration entries in the hardware's formats ---- */

TEST_F(sim, ctx_entries_follow_attach)
{
	struct iommusim_ctx_entry c, c2;
	unsigned char out[128];
	__u32 pt, parent = 0;
	__u64 root1, tag1;

	/* Bound but nothing attached: blocking configuration */
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
	if (variant->smmu) {
		ASSERT_EQ(8, c.out_nr_ste);
		ASSERT_TRUE(c.out_ste[0] & STE0_V);
		ASSERT_EQ(STE_CFG_ABORT, STE0_CONFIG(c.out_ste[0]));
	} else {
		ASSERT_EQ(8, c.out_nr_cd);
		ASSERT_EQ(0, ctx_stage(false, &c, false));
	}
	ASSERT_EQ(0, c.out_root);

	/* The automatic domain: stage 1 / first level */
	ASSERT_OK(map_and_attach(self, 4, NULL));
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
	ASSERT_EQ(1, ctx_stage(variant->smmu, &c, false));
	ASSERT_NE(0, c.out_root);
	ASSERT_EQ(0, c.out_root & (SIM_4K - 1));
	ASSERT_EQ(c.out_root, ctx_root(variant->smmu, &c, 1));
	ASSERT_NE(0, ctx_tag(variant->smmu, &c, 1));
	if (variant->smmu) {
		ASSERT_EQ(8, c.out_nr_ste);
		ASSERT_EQ(8, c.out_nr_cd);
		ASSERT_NE(0, STE0_S1CTXPTR(c.out_ste[0]));
		ASSERT_TRUE(c.out_cd[0] & CD0_V);
	} else {
		ASSERT_EQ(4, c.out_nr_ste);
		ASSERT_EQ(8, c.out_nr_cd);
		ASSERT_TRUE(c.out_cd[0] & PASID0_P);
	}
	root1 = c.out_root;
	tag1 = ctx_tag(variant->smmu, &c, 1);

	/* A nesting parent: stage 2 / second level, its own root and tag */
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, self->ioas,
				  IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	pt = parent;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_EQ(parent, pt);
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c2));
	ASSERT_EQ(2, ctx_stage(variant->smmu, &c2, false));
	ASSERT_NE(0, c2.out_root);
	ASSERT_NE(root1, c2.out_root);
	ASSERT_EQ(c2.out_root, ctx_root(variant->smmu, &c2, 2));
	ASSERT_NE(0, ctx_tag(variant->smmu, &c2, 2));
	if (!variant->smmu)
		ASSERT_NE(tag1, ctx_tag(false, &c2, 2));
	/* The data is the same through either table */
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA + PG(2) + 9, out,
			       sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf + PG(2) + 9, sizeof(out)));

	/* Back to blocking */
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
	ASSERT_EQ(0, ctx_stage(variant->smmu, &c, false));
	if (variant->smmu)
		ASSERT_EQ(STE_CFG_ABORT, STE0_CONFIG(c.out_ste[0]));
	ASSERT_OK(iofd_destroy(self->fd, parent));
}

TEST_F(sim, ctx_bad_input)
{
	struct iommusim_ctx_entry c;

	memset(&c, 0, sizeof(c));
	c.argsz = offsetof(struct iommusim_ctx_entry, out_ste);
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_GET_CTX_ENTRY,
				   &c));
	c.argsz = sizeof(c);
	c.flags = 1U << 4;
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_GET_CTX_ENTRY,
				   &c));
	c.flags = IOMMUSIM_CTX_PASID;
	c.pasid = 1U << 20;
	ASSERT_ERRNO(EINVAL, ioctl(self->dfd, IOMMUSIM_DEVICE_GET_CTX_ENTRY,
				   &c));
	c.flags = 0;
	ASSERT_OK(ioctl(self->dfd, IOMMUSIM_DEVICE_GET_CTX_ENTRY, &c));
}

/* ---- IOTLB ---- */

TEST_F(sim, iotlb_counts_hits_and_misses)
{
	struct iommusim_iotlb t;
	struct iommusim_translate x;
	unsigned char out[64];

	ASSERT_OK(map_and_attach(self, 8, NULL));
	ASSERT_OK(sim_iotlb(self->dfd, IOMMUSIM_IOTLB_FLUSH_ALL |
				       IOMMUSIM_IOTLB_RESET_STATS, NULL));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(0, t.out_entries);
	ASSERT_EQ(0, t.out_hits);
	ASSERT_EQ(0, t.out_misses);
	ASSERT_EQ(512, t.out_capacity);

	/* First touch walks and fills, the second hits */
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(1, t.out_entries);
	ASSERT_EQ(0, t.out_hits);
	ASSERT_EQ(1, t.out_misses);
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA + 100, out, sizeof(out)));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(1, t.out_hits);
	ASSERT_EQ(1, t.out_misses);

	/* TRANSLATE neither consults nor fills the IOTLB */
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, SIM_IOVA + PG(5), false,
			    &x));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(1, t.out_entries);
	ASSERT_EQ(1, t.out_hits);
	ASSERT_EQ(1, t.out_misses);

	/* One lookup per page: pages 0..4, page 0 cached */
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA + PG(1) - 8, self->buf +
			       PG(40), PG(3) + 16));
	ASSERT_OK(sim_iotlb(self->dfd, IOMMUSIM_IOTLB_RESET_STATS, &t));
	ASSERT_EQ(5, t.out_entries);
	ASSERT_EQ(2, t.out_hits);
	ASSERT_EQ(5, t.out_misses);
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(0, t.out_hits);
	ASSERT_EQ(0, t.out_misses);
	ASSERT_EQ(0, t.out_invalidated);
	ASSERT_EQ(5, t.out_entries);

	/* A ranged invalidation removes just its pages */
	ASSERT_OK(sim_invalidate(self->dfd, SIM_NO_PASID, SIM_IOVA + PG(1),
				 PG(2)));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(3, t.out_entries);
	ASSERT_EQ(2, t.out_invalidated);
	/* length 0: the whole context */
	ASSERT_OK(sim_invalidate(self->dfd, SIM_NO_PASID, 0, 0));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(0, t.out_entries);
	ASSERT_EQ(5, t.out_invalidated);

	/* Flush-all empties it too */
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_OK(sim_iotlb(self->dfd, IOMMUSIM_IOTLB_FLUSH_ALL, &t));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(0, t.out_entries);
}

TEST_F(sim, iotlb_stale_until_invalidated)
{
	struct iommusim_translate xa, xb;
	struct iommusim_iotlb t;
	unsigned char out[32];
	__u64 x = SIM_IOVA, y = SIM_IOVA + PG(1);

	memset(self->buf, 'A', PG(1));
	memset(self->buf + PG(1), 'B', PG(1));
	ASSERT_OK(map_and_attach(self, 2, NULL));
	ASSERT_OK(sim_iotlb(self->dfd, IOMMUSIM_IOTLB_FLUSH_ALL |
				       IOMMUSIM_IOTLB_RESET_STATS, NULL));

	/* Read x: A, now cached */
	ASSERT_OK(sim_dma_read(self->dfd, x, out, sizeof(out)));
	ASSERT_TRUE(all_bytes(out, sizeof(out), 'A'));
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, y, false, &xb));

	/* Point x's leaf at y's page without invalidating */
	ASSERT_OK(sim_alias(self->dfd, SIM_NO_PASID, x, y));
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, x, false, &xa));
	ASSERT_EQ(xb.out_phys, xa.out_phys);

	/* The IOTLB still has the old translation */
	ASSERT_OK(sim_dma_read(self->dfd, x, out, sizeof(out)));
	ASSERT_TRUE(all_bytes(out, sizeof(out), 'A'));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(1, t.out_hits);
	ASSERT_EQ(1, t.out_misses);

	/* Invalidating another page does not help */
	ASSERT_OK(sim_invalidate(self->dfd, SIM_NO_PASID, y, PG(1)));
	ASSERT_OK(sim_dma_read(self->dfd, x, out, sizeof(out)));
	ASSERT_TRUE(all_bytes(out, sizeof(out), 'A'));

	/* Invalidating x does */
	ASSERT_OK(sim_invalidate(self->dfd, SIM_NO_PASID, x, PG(1)));
	ASSERT_OK(sim_dma_read(self->dfd, x, out, sizeof(out)));
	ASSERT_TRUE(all_bytes(out, sizeof(out), 'B'));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(2, t.out_hits);
	ASSERT_EQ(2, t.out_misses);
	ASSERT_EQ(1, t.out_invalidated);

	/* Writes through x now land in y's page */
	memset(out, 'C', sizeof(out));
	ASSERT_OK(sim_dma_write(self->dfd, x + 64, out, sizeof(out)));
	ASSERT_TRUE(all_bytes(self->buf + PG(1) + 64, sizeof(out), 'C'));
	ASSERT_TRUE(all_bytes(self->buf + 64, sizeof(out), 'A'));

	/* Alias errors: not mapped, or not mapped at 4 KiB */
	ASSERT_ERRNO(ENOENT, sim_alias(self->dfd, SIM_NO_PASID, x + PG(8), y));
	ASSERT_ERRNO(ENOENT, sim_alias(self->dfd, SIM_NO_PASID, x, y + PG(8)));
}

/*
 * A freed domain's ASID / DID is reused by the next domain: nothing the
 * IOTLB cached under it may survive into the new one
 */
TEST_F(sim, reused_domain_id_sees_no_stale_entries)
{
	struct iommusim_ctx_entry c;
	unsigned char out[32];
	__u32 ioas2, hwpt = 0, pt;
	__u64 tag1;
	int stage;

	memset(self->buf, 'A', PG(1));
	memset(self->buf + PG(32), 'B', PG(1));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, PG(1),
				 SIM_IOVA));
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas2));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas2, self->buf + PG(32), PG(1),
				 SIM_IOVA));

	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, self->ioas, 0, &hwpt));
	pt = hwpt;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
	stage = ctx_stage(variant->smmu, &c, false);
	tag1 = ctx_tag(variant->smmu, &c, stage);
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_TRUE(all_bytes(out, sizeof(out), 'A'));
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, hwpt));

	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, ioas2, 0, &hwpt));
	pt = hwpt;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
	if (ctx_tag(variant->smmu, &c, stage) != tag1)
		TH_LOG("the new domain did not reuse tag %llu",
		       (unsigned long long)tag1);
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_TRUE(all_bytes(out, sizeof(out), 'B'));
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, hwpt));
}

TEST_F(sim, unmap_invalidates)
{
	unsigned char out[32];
	struct iommusim_iotlb t;
	struct iommusim_dma d;
	int stage;

	/* Two areas, so that one can be unmapped alone */
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf + PG(1), PG(1),
				 SIM_IOVA + PG(1)));
	ASSERT_OK(map_and_attach(self, 1, NULL));
	stage = rid_stage(self->dfd, variant->smmu);
	ASSERT_LT(0, stage);
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA + PG(1), out, sizeof(out)));
	ASSERT_OK(sim_iotlb(self->dfd, IOMMUSIM_IOTLB_RESET_STATS, NULL));
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_OK(sim_iotlb(self->dfd, 0, &t));
	ASSERT_EQ(1, t.out_hits);

	/* After IOMMU_IOAS_UNMAP the cached translation is gone */
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, SIM_IOVA, PG(1), NULL));
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, false, SIM_NO_PASID, SIM_IOVA,
				  out, sizeof(out), &d));
	ASSERT_EQ(IOMMUSIM_FAULT_TRANSLATION, d.out_fault);
	ASSERT_EQ(0, d.out_done);
	check_record(_metadata, variant->smmu, stage, &d, SIM_IOVA, false,
		     SIM_NO_PASID);
	/* The other page is untouched */
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA + PG(1), out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf + PG(1), sizeof(out)));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf, PG(1), 0));
	ASSERT_OK(iofd_check_pins(self->fd, self->buf + PG(1), PG(1), 1));
}

/* ---- PASID ---- */

#define MAX_PASID ((1U << 20) - 1)

/*
 * RID on @hwpt_rid (IOAS 1: the buffer's first pages), PASID hwpt_p on
 * IOAS 2 (pages 32.. of the buffer) at the same IOVA.
 */
static int pasid_setup(struct _test_data_sim *self, __u32 *ioas2,
		       __u32 *hwpt_rid, __u32 *hwpt_p)
{
	if (iofd_map_fixed(self->fd, self->ioas, self->buf, PG(4), SIM_IOVA) ||
	    iofd_ioas_alloc(self->fd, ioas2) ||
	    iofd_map_fixed(self->fd, *ioas2, self->buf + PG(32), PG(4),
			   SIM_IOVA) ||
	    iofd_hwpt_alloc(self->fd, self->devid, self->ioas,
			    IOMMU_HWPT_ALLOC_PASID, hwpt_rid) ||
	    iofd_hwpt_alloc(self->fd, self->devid, *ioas2,
			    IOMMU_HWPT_ALLOC_PASID, hwpt_p))
		return -1;
	return 0;
}

/* Read 64 bytes at SIM_IOVA + 8 through @pasid; 0 if they are @expect */
static int pasid_read_is(int dfd, __u32 pasid, const unsigned char *expect)
{
	unsigned char out[64];

	if (sim_dma(dfd, false, pasid, SIM_IOVA + 8, out, sizeof(out), NULL))
		return -1;
	return memcmp(out, expect + 8, sizeof(out)) ? 1 : 0;
}

TEST_F(sim, pasid_attach_replace_detach)
{
	struct iommusim_ctx_entry c, r;
	__u32 ioas2, hwpt_rid, hwpt_p, pt, auto_pt;
	unsigned char *a = self->buf, *b = self->buf + PG(32);
	unsigned char out[16];
	struct iommusim_dma d;

	ASSERT_OK(pasid_setup(self, &ioas2, &hwpt_rid, &hwpt_p));

	/* PASIDs first is fine; then the RID needs a PASID-capable HWPT */
	pt = hwpt_p;
	ASSERT_OK(sim_attach(self->dfd, 1, &pt));
	ASSERT_EQ(hwpt_p, pt);
	auto_pt = self->ioas;
	ASSERT_ERRNO(EINVAL, sim_attach(self->dfd, SIM_NO_PASID, &auto_pt));
	pt = hwpt_rid;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_EQ(hwpt_rid, pt);

	/* The edges of the PASID space */
	pt = hwpt_p;
	ASSERT_OK(sim_attach(self->dfd, MAX_PASID, &pt));
	pt = hwpt_p;
	ASSERT_ERRNO(EINVAL, sim_attach(self->dfd, 0, &pt));
	pt = hwpt_p;
	ASSERT_ERRNO(EINVAL, sim_attach(self->dfd, MAX_PASID + 1, &pt));
	pt = hwpt_p;
	ASSERT_ERRNO(EINVAL, sim_attach(self->dfd, ~0U - 1, &pt));

	/* Each context translates through its own domain */
	ASSERT_EQ(0, pasid_read_is(self->dfd, SIM_NO_PASID, a));
	ASSERT_EQ(0, pasid_read_is(self->dfd, 1, b));
	ASSERT_EQ(0, pasid_read_is(self->dfd, MAX_PASID, b));
	/* A PASID nothing is attached to */
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, false, 2, SIM_IOVA, out,
				  sizeof(out), &d));
	ASSERT_EQ(0, d.out_done);
	ASSERT_EQ(IOMMUSIM_FAULT_BLOCKED, d.out_fault);
	if (variant->smmu) {
		ASSERT_EQ(32, d.out_record_len);
		ASSERT_EQ(SIM_SID, EVT0_SID(d.out_record[0]));
		ASSERT_EQ(2, EVT0_SSID(d.out_record[0]));
	} else {
		ASSERT_EQ(16, d.out_record_len);
		ASSERT_EQ(VTD_FR_PTE_NP, FRCD1_FR(d.out_record[1]));
		ASSERT_TRUE(d.out_record[1] & FRCD1_PP);
		ASSERT_EQ(2, FRCD1_PV(d.out_record[1]));
	}

	/* The configuration of a PASID is its own */
	ASSERT_OK(sim_ctx(self->dfd, 1, &c));
	ASSERT_LT(0, ctx_stage(variant->smmu, &c, true));
	ASSERT_NE(0, c.out_root);
	ASSERT_EQ(c.out_root, ctx_root(variant->smmu, &c,
				       ctx_stage(variant->smmu, &c, true)));
	ASSERT_NE(0, ctx_tag(variant->smmu, &c,
			     ctx_stage(variant->smmu, &c, true)));
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &r));
	ASSERT_NE(r.out_root, c.out_root);
	ASSERT_NE(0, r.out_root);

	/* A PASID write lands in its own domain's memory */
	fill(out, sizeof(out), 42);
	ASSERT_OK(sim_dma(self->dfd, true, MAX_PASID, SIM_IOVA + PG(1) + 3,
			  out, sizeof(out), NULL));
	ASSERT_EQ(0, memcmp(out, b + PG(1) + 3, sizeof(out)));
	ASSERT_NE(0, memcmp(out, a + PG(1) + 3, sizeof(out)));

	/* Replace PASID 1 onto the RID's HWPT: one domain at RID and PASID */
	pt = hwpt_rid;
	ASSERT_OK(sim_attach(self->dfd, 1, &pt));
	ASSERT_OK(sim_ctx(self->dfd, 1, &c));
	ASSERT_EQ(r.out_root, c.out_root);
	ASSERT_EQ(0, pasid_read_is(self->dfd, 1, a));
	ASSERT_EQ(0, pasid_read_is(self->dfd, SIM_NO_PASID, a));
	ASSERT_EQ(0, pasid_read_is(self->dfd, MAX_PASID, b));
	/* Busy while attached anywhere */
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, hwpt_rid));
	ASSERT_ERRNO(EBUSY, iofd_destroy(self->fd, hwpt_p));

	/* A PASID cannot take a HWPT made without the flag, nor an IOAS */
	pt = self->ioas;
	ASSERT_ERRNO(EINVAL, sim_attach(self->dfd, 3, &pt));
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, self->ioas, 0,
				  &auto_pt));
	pt = auto_pt;
	ASSERT_ERRNO(EINVAL, sim_attach(self->dfd, 3, &pt));
	/* Nor can the RID move to it while PASIDs are attached */
	pt = auto_pt;
	ASSERT_ERRNO(EINVAL, sim_attach(self->dfd, SIM_NO_PASID, &pt));

	/* Detach PASID 1: blocked; the others are unchanged */
	ASSERT_OK(sim_detach(self->dfd, 1));
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, false, 1, SIM_IOVA, out,
				  sizeof(out), &d));
	ASSERT_EQ(IOMMUSIM_FAULT_BLOCKED, d.out_fault);
	ASSERT_EQ(0, pasid_read_is(self->dfd, SIM_NO_PASID, a));
	ASSERT_EQ(0, pasid_read_is(self->dfd, MAX_PASID, b));
	ASSERT_OK(sim_detach(self->dfd, 1));
	ASSERT_ERRNO(EINVAL, sim_detach(self->dfd, 0));
	ASSERT_ERRNO(EINVAL, sim_detach(self->dfd, MAX_PASID + 1));

	/* With every PASID gone the RID may use any HWPT again */
	ASSERT_OK(sim_detach(self->dfd, MAX_PASID));
	ASSERT_OK(iofd_destroy(self->fd, hwpt_p));
	pt = auto_pt;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_EQ(0, pasid_read_is(self->dfd, SIM_NO_PASID, a));
	/* ... and then no PASID can join beside it */
	pt = hwpt_rid;
	ASSERT_ERRNO(EINVAL, sim_attach(self->dfd, 1, &pt));
	ASSERT_ERRNO(EIO, sim_dma(self->dfd, false, 1, SIM_IOVA, out,
				  sizeof(out), &d));
	ASSERT_OK(iofd_destroy(self->fd, hwpt_rid));
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, auto_pt));
}

TEST_F(sim, pasid_stale_iotlb_is_per_context)
{
	__u32 ioas2, hwpt_rid, hwpt_p, pt;
	unsigned char out[16];

	memset(self->buf + PG(32), 'P', PG(1));
	memset(self->buf + PG(33), 'Q', PG(1));
	ASSERT_OK(pasid_setup(self, &ioas2, &hwpt_rid, &hwpt_p));
	pt = hwpt_rid;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	pt = hwpt_p;
	ASSERT_OK(sim_attach(self->dfd, 5, &pt));

	ASSERT_OK(sim_dma(self->dfd, false, 5, SIM_IOVA, out, sizeof(out),
			  NULL));
	ASSERT_TRUE(all_bytes(out, sizeof(out), 'P'));
	ASSERT_OK(sim_alias(self->dfd, 5, SIM_IOVA, SIM_IOVA + PG(1)));
	ASSERT_OK(sim_dma(self->dfd, false, 5, SIM_IOVA, out, sizeof(out),
			  NULL));
	ASSERT_TRUE(all_bytes(out, sizeof(out), 'P'));
	/* The RID's context is a different one: invalidating it is no use */
	ASSERT_OK(sim_invalidate(self->dfd, SIM_NO_PASID, SIM_IOVA, PG(1)));
	ASSERT_OK(sim_dma(self->dfd, false, 5, SIM_IOVA, out, sizeof(out),
			  NULL));
	ASSERT_TRUE(all_bytes(out, sizeof(out), 'P'));
	ASSERT_OK(sim_invalidate(self->dfd, 5, SIM_IOVA, PG(1)));
	ASSERT_OK(sim_dma(self->dfd, false, 5, SIM_IOVA, out, sizeof(out),
			  NULL));
	ASSERT_TRUE(all_bytes(out, sizeof(out), 'Q'));
	/* The RID was never aliased */
	ASSERT_EQ(0, pasid_read_is(self->dfd, SIM_NO_PASID, self->buf));

	ASSERT_ERRNO(EINVAL, sim_invalidate(self->dfd, 0, SIM_IOVA, PG(1)));
	ASSERT_ERRNO(EINVAL, sim_alias(self->dfd, 6, SIM_IOVA,
				       SIM_IOVA + PG(1)));
}

TEST_F(sim, pasid_width_of_device)
{
	struct iommu_hw_info info;
	__u32 devid, hwpt, pt;
	int dfd0, dfd4;

	ASSERT_OK(sim_new_device(self->id, SIM_SID + 1, "pasid_bits=0"));
	ASSERT_OK(sim_new_device(self->id, SIM_SID + 2, "pasid_bits=4"));
	dfd0 = sim_dev_open(self->id, SIM_SID + 1);
	ASSERT_LE(0, dfd0);
	dfd4 = sim_dev_open(self->id, SIM_SID + 2);
	ASSERT_LE(0, dfd4);
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, PG(2),
				 SIM_IOVA));

	/* No PASIDs: reported as such, and refused */
	ASSERT_OK(sim_bind(dfd0, self->fd, &devid));
	ASSERT_OK(sim_hw_info(self->fd, devid, NULL, 0, &info));
	ASSERT_EQ(0, info.out_max_pasid_log2);
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, self->ioas,
				  IOMMU_HWPT_ALLOC_PASID, &hwpt));
	pt = hwpt;
	ASSERT_ERRNO(EINVAL, sim_attach(dfd0, 1, &pt));
	ASSERT_ERRNO(EINVAL, sim_dma(dfd0, false, 1, SIM_IOVA, self->buf + PG(8),
				     8, NULL));
	pt = hwpt;
	ASSERT_OK(sim_attach(dfd0, SIM_NO_PASID, &pt));

	/* Four bits: 1..15 */
	ASSERT_OK(sim_bind(dfd4, self->fd, &devid));
	ASSERT_OK(sim_hw_info(self->fd, devid, NULL, 0, &info));
	ASSERT_EQ(4, info.out_max_pasid_log2);
	pt = hwpt;
	ASSERT_OK(sim_attach(dfd4, 15, &pt));
	pt = hwpt;
	ASSERT_ERRNO(EINVAL, sim_attach(dfd4, 16, &pt));
	ASSERT_OK(sim_dma(dfd4, false, 15, SIM_IOVA, self->buf + PG(8), 8,
			  NULL));
	ASSERT_ERRNO(EINVAL, sim_dma(dfd4, false, 16, SIM_IOVA,
				     self->buf + PG(8), 8, NULL));

	/* The main device has the instance's 20 */
	ASSERT_OK(sim_hw_info(self->fd, self->devid, NULL, 0, &info));
	ASSERT_EQ(20, info.out_max_pasid_log2);

	close(dfd0);
	close(dfd4);
	ASSERT_OK(iofd_destroy(self->fd, hwpt));
	ASSERT_OK(sim_del_device(self->id, SIM_SID + 1));
	ASSERT_OK(sim_del_device(self->id, SIM_SID + 2));
}

/* ---- dirty tracking ---- */

#define DIRTY_PAGES 48

static unsigned int count_bits(const __u64 *map, unsigned int nbits)
{
	unsigned int i, n = 0;

	for (i = 0; i != nbits; i++)
		n += (map[i / 64] >> (i % 64)) & 1;
	return n;
}

static bool bit(const __u64 *map, unsigned int i)
{
	return (map[i / 64] >> (i % 64)) & 1;
}

/* A dirty-tracking HWPT with the buffer mapped, RID attached */
static int dirty_setup(struct _test_data_sim *self, __u32 *hwpt)
{
	__u32 pt;

	if (iofd_map_fixed(self->fd, self->ioas, self->buf, PG(DIRTY_PAGES),
			   SIM_IOVA) ||
	    iofd_hwpt_alloc(self->fd, self->devid, self->ioas,
			    IOMMU_HWPT_ALLOC_DIRTY_TRACKING, hwpt))
		return -1;
	pt = *hwpt;
	return sim_attach(self->dfd, SIM_NO_PASID, &pt);
}

/*
 * Bitmaps get room to spare: the kernel must not write past the bits of
 * the range (checked by the tests through MAP_TAIL_CLEAN)
 */
#define MAP_WORDS 64
#define MAP_TAIL_CLEAN(map, nbits) \
	ASSERT_EQ(0, count_bits(map, MAP_WORDS * 64) - count_bits(map, nbits))

TEST_F(sim, dirty_bitmap_exact)
{
	__u64 map[MAP_WORDS], i;
	unsigned char byte = 0x3c, *out;
	struct iommusim_translate x;
	__u32 hwpt = 0;

	ASSERT_OK(dirty_setup(self, &hwpt));

	/* Writes before tracking starts are forgotten when it starts */
	ASSERT_OK(sim_dma_write(self->dfd, SIM_IOVA + PG(1), &byte, 1));
	ASSERT_OK(sim_set_dirty(self->fd, hwpt, true));
	memset(map, 0, sizeof(map));
	ASSERT_OK(sim_get_dirty(self->fd, hwpt, SIM_IOVA, PG(DIRTY_PAGES),
				SIM_4K, map, 0));
	ASSERT_EQ(0, count_bits(map, MAP_WORDS * 64));

	/* Every third page written, at varying offsets; reads do not count */
	for (i = 0; i < DIRTY_PAGES; i += 3)
		ASSERT_OK(sim_dma_write(self->dfd,
					SIM_IOVA + PG(i) + (i * 67) % SIM_4K,
					&byte, 1));
	out = malloc(PG(DIRTY_PAGES));
	ASSERT_NE(NULL, out);
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, PG(DIRTY_PAGES)));
	free(out);
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, SIM_IOVA + PG(3), false,
			    &x));
	ASSERT_EQ(1, x.out_dirty);
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, SIM_IOVA + PG(4), false,
			    &x));
	ASSERT_EQ(0, x.out_dirty);

	/* NO_CLEAR reports and keeps */
	memset(map, 0, sizeof(map));
	ASSERT_OK(sim_get_dirty(self->fd, hwpt, SIM_IOVA, PG(DIRTY_PAGES),
				SIM_4K, map,
				IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
	for (i = 0; i != DIRTY_PAGES; i++)
		ASSERT_EQ(i % 3 == 0, bit(map, i));
	MAP_TAIL_CLEAN(map, DIRTY_PAGES);
	memset(map, 0, sizeof(map));
	ASSERT_OK(sim_get_dirty(self->fd, hwpt, SIM_IOVA, PG(DIRTY_PAGES),
				SIM_4K, map, 0));
	for (i = 0; i != DIRTY_PAGES; i++)
		ASSERT_EQ(i % 3 == 0, bit(map, i));
	/* The read cleared it, in the table too */
	memset(map, 0, sizeof(map));
	ASSERT_OK(sim_get_dirty(self->fd, hwpt, SIM_IOVA, PG(DIRTY_PAGES),
				SIM_4K, map, 0));
	ASSERT_EQ(0, count_bits(map, MAP_WORDS * 64));
	ASSERT_OK(sim_xlate(self->dfd, SIM_NO_PASID, SIM_IOVA + PG(3), false,
			    &x));
	ASSERT_EQ(0, x.out_dirty);

	/* Dirtied again after the clear (the IOTLB must not hide it) */
	for (i = 1; i < DIRTY_PAGES; i += 5)
		ASSERT_OK(sim_dma_write(self->dfd, SIM_IOVA + PG(i) + 4000,
					&byte, 1));
	/* A sub-range: bit 0 is page 16 */
	memset(map, 0, sizeof(map));
	ASSERT_OK(sim_get_dirty(self->fd, hwpt, SIM_IOVA + PG(16), PG(16),
				SIM_4K, map,
				IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR));
	for (i = 0; i != 16; i++)
		ASSERT_EQ((i + 16) % 5 == 1, bit(map, i));
	MAP_TAIL_CLEAN(map, 16);
	/* Coarser bits: 8 KiB each */
	memset(map, 0, sizeof(map));
	ASSERT_OK(sim_get_dirty(self->fd, hwpt, SIM_IOVA, PG(DIRTY_PAGES),
				2 * SIM_4K, map, 0));
	for (i = 0; i != DIRTY_PAGES / 2; i++)
		ASSERT_EQ((2 * i) % 5 == 1 || (2 * i + 1) % 5 == 1,
			  bit(map, i));
	MAP_TAIL_CLEAN(map, DIRTY_PAGES / 2);
	memset(map, 0, sizeof(map));
	ASSERT_OK(sim_get_dirty(self->fd, hwpt, SIM_IOVA, PG(DIRTY_PAGES),
				SIM_4K, map, 0));
	ASSERT_EQ(0, count_bits(map, MAP_WORDS * 64));

	ASSERT_OK(sim_set_dirty(self->fd, hwpt, false));
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, hwpt));
}

TEST_F(sim, dirty_enable_sets_context_bits)
{
	struct iommusim_ctx_entry c;
	__u32 hwpt = 0;
	int stage;

	ASSERT_OK(dirty_setup(self, &hwpt));
	ASSERT_OK(sim_set_dirty(self->fd, hwpt, true));
	ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
	stage = ctx_stage(variant->smmu, &c, false);
	ASSERT_LT(0, stage);
	if (!variant->smmu) {
		/* Dirty bits exist in second-level tables only */
		ASSERT_EQ(2, stage);
		ASSERT_TRUE(c.out_cd[0] & PASID0_SLADE);
	} else if (stage == 1) {
		ASSERT_TRUE(c.out_cd[0] & SIM_BIT(42)); /* CD.HD */
	}
	ASSERT_OK(sim_set_dirty(self->fd, hwpt, false));
	if (!variant->smmu) {
		ASSERT_OK(sim_ctx(self->dfd, SIM_NO_PASID, &c));
		ASSERT_FALSE(c.out_cd[0] & PASID0_SLADE);
	}
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, hwpt));
}

TEST_F(sim, dirty_2m_leaf)
{
	const size_t len = 2 * SIM_2M;
	unsigned int nbits = len / SIM_4K, i;
	unsigned char byte = 1, *huge;
	__u64 *map;
	__u32 hwpt = 0, pt;

	huge = iofd_alloc_huge(len);
	if (!huge)
		SKIP(return, "no 2 MiB huge pages reserved");
	map = calloc(nbits / 64, sizeof(*map));
	ASSERT_NE(NULL, map);
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, huge, len, SIM_IOVA_2M));
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, self->ioas,
				  IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt));
	pt = hwpt;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	ASSERT_OK(sim_set_dirty(self->fd, hwpt, true));

	/* One byte dirties the whole 2 MiB leaf, and only that one */
	ASSERT_OK(sim_dma_write(self->dfd, SIM_IOVA_2M + SIM_2M + 12345, &byte,
				1));
	ASSERT_OK(sim_get_dirty(self->fd, hwpt, SIM_IOVA_2M, len, SIM_4K, map,
				0));
	for (i = 0; i != nbits; i++)
		ASSERT_EQ(i >= 512, bit(map, i));

	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, hwpt));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, SIM_IOVA_2M, len, NULL));
	munmap(huge, len);
	free(map);
}

/* A HWPT that tracks dirty pages and serves PASIDs: writes of any context */
TEST_F(sim, dirty_through_pasid)
{
	__u64 map[MAP_WORDS];
	unsigned char byte = 0x77;
	__u32 hwpt = 0, pt;

	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, PG(16),
				 SIM_IOVA));
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, self->ioas,
				  IOMMU_HWPT_ALLOC_DIRTY_TRACKING |
				  IOMMU_HWPT_ALLOC_PASID, &hwpt));
	pt = hwpt;
	ASSERT_OK(sim_attach(self->dfd, SIM_NO_PASID, &pt));
	pt = hwpt;
	ASSERT_OK(sim_attach(self->dfd, 3, &pt));
	ASSERT_OK(sim_set_dirty(self->fd, hwpt, true));

	ASSERT_OK(sim_dma(self->dfd, true, 3, SIM_IOVA + PG(5) + 1, &byte, 1,
			  NULL));
	ASSERT_OK(sim_dma(self->dfd, true, SIM_NO_PASID, SIM_IOVA + PG(9), &byte,
			  1, NULL));
	ASSERT_EQ(0x77, self->buf[PG(5) + 1]);
	memset(map, 0, sizeof(map));
	ASSERT_OK(sim_get_dirty(self->fd, hwpt, SIM_IOVA, PG(16), SIM_4K, map,
				0));
	ASSERT_EQ(SIM_BIT(5) | SIM_BIT(9), map[0]);
	MAP_TAIL_CLEAN(map, 16);

	ASSERT_OK(sim_detach(self->dfd, 3));
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, hwpt));
}

TEST_F(sim, dirty_bad_input)
{
	__u64 map[MAP_WORDS];
	__u32 hwpt = 0, auto_hwpt = 0;

	ASSERT_OK(dirty_setup(self, &hwpt));
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->devid, self->ioas, 0,
				  &auto_hwpt));
	/* A HWPT made without DIRTY_TRACKING cannot track */
	ASSERT_ERRNO(EOPNOTSUPP, sim_set_dirty(self->fd, auto_hwpt, true));
	ASSERT_ERRNO(EOPNOTSUPP, sim_get_dirty(self->fd, auto_hwpt, SIM_IOVA,
					       PG(8), SIM_4K, map, 0));
	ASSERT_ERRNO(ENOENT, sim_set_dirty(self->fd, 0x7777, true));
	/* Unknown flags */
	ASSERT_ERRNO(EOPNOTSUPP, sim_get_dirty(self->fd, hwpt, SIM_IOVA, PG(8),
					       SIM_4K, map, 2));
	/* Bit size must be a power of two, the IOVA aligned to it */
	ASSERT_ERRNO(EINVAL, sim_get_dirty(self->fd, hwpt, SIM_IOVA, PG(8),
					   3 * SIM_4K, map, 0));
	ASSERT_ERRNO(EINVAL, sim_get_dirty(self->fd, hwpt, SIM_IOVA + 512,
					   PG(8), SIM_4K, map, 0));
	ASSERT_ERRNO(EINVAL, sim_get_dirty(self->fd, hwpt, SIM_IOVA, 0,
					   SIM_4K, map, 0));
	ASSERT_OK(sim_detach(self->dfd, SIM_NO_PASID));
	ASSERT_OK(iofd_destroy(self->fd, auto_hwpt));
	ASSERT_OK(iofd_destroy(self->fd, hwpt));
}

/* ---- instance removal ---- */

TEST_F(sim, removal_refused_while_in_use)
{
	unsigned char out[16];

	ASSERT_OK(map_and_attach(self, 2, NULL));
	ASSERT_ERRNO(EBUSY, sim_del_iommu(self->id));
	ASSERT_ERRNO(EBUSY, sim_del_device(self->id, SIM_SID));
	/* Still fully working after the refusals */
	ASSERT_OK(sim_dma_read(self->dfd, SIM_IOVA, out, sizeof(out)));
	ASSERT_EQ(0, memcmp(out, self->buf, sizeof(out)));
	ASSERT_ERRNO(ENOENT, sim_del_device(self->id, SIM_SID + 9));

	close(self->dfd);
	self->dfd = -1;
	ASSERT_ERRNO(EBUSY, sim_del_iommu(self->id));
	ASSERT_OK(sim_del_device(self->id, SIM_SID));
	ASSERT_OK(sim_del_iommu(self->id));
	self->dev_gone = true;
	/* The instance directory went with it */
	ASSERT_ERRNO(ENOENT, sim_new_device(self->id, SIM_SID, ""));
}

TEST_HARNESS_MAIN
