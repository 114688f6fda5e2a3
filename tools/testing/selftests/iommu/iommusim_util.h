/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers for the suites that drive the simulated IOMMUs of iommusim.ko:
 * the sysfs bus (instances and devices), the device char devices and the
 * iommufd ioctls they are used with.
 *
 * As in iofd_test_util.h every wrapper makes exactly one system call (or one
 * open/write/close of a sysfs file) and returns 0, or -1 with errno set, so
 * ASSERT_OK()/ASSERT_ERRNO() state the exact expected result.
 *
 * Register and table-entry field positions below are architectural facts
 * (SMMUv3 and VT-d specifications); they are spelled out here because the
 * tests check the bits the simulated hardware really wrote.
 */
#ifndef __IOMMUSIM_UTIL_H
#define __IOMMUSIM_UTIL_H

#include <stdarg.h>
#include <linux/iommusim.h>

#include "iofd_test_util.h"

#define SIM_BUS		"/sys/bus/iommusim"
#define SIM_DEVDIR	"/dev/iommusim"

#define SIM_4K		0x1000ULL
#define SIM_2M		0x200000ULL

/* "No PASID" for the wrappers that take one: the RID's context */
#define SIM_NO_PASID	(~0U)

#define SIM_BIT(n)	(1ULL << (n))
/* Bits hi..lo of @v, shifted down */
#define SIM_FIELD(v, hi, lo) \
	(((__u64)(v) >> (lo)) & (~0ULL >> (63 - (hi) + (lo))))
/* Mask of bits hi..lo */
#define SIM_MASK(hi, lo) ((~0ULL >> (63 - (hi))) & ~((1ULL << (lo)) - 1))

/* ---- SMMUv3 facts ------------------------------------------------------- */

/* SMMU_IDR0 */
#define SMMU_IDR0_S2P		SIM_BIT(0)
#define SMMU_IDR0_S1P		SIM_BIT(1)
#define SMMU_IDR0_HTTU(v)	SIM_FIELD(v, 7, 6)	/* 2: access+dirty */
#define SMMU_IDR0_ATS		SIM_BIT(10)
#define SMMU_IDR0_PRI		SIM_BIT(16)
/* SMMU_IDR1 */
#define SMMU_IDR1_SSIDSIZE(v)	SIM_FIELD(v, 10, 6)
#define SMMU_IDR1_SIDSIZE(v)	SIM_FIELD(v, 5, 0)
/* SMMU_IDR5 */
#define SMMU_IDR5_OAS(v)	SIM_FIELD(v, 2, 0)	/* 5: 48 bits */
#define SMMU_IDR5_GRAN4K	SIM_BIT(4)

/* Stream table entry */
#define STE0_V			SIM_BIT(0)
#define STE0_CONFIG(v)		SIM_FIELD(v, 3, 1)
#define STE_CFG_ABORT		0
#define STE_CFG_BYPASS		4
#define STE_CFG_S1		5
#define STE_CFG_S2		6
#define STE0_S1CTXPTR(v)	((v) & SIM_MASK(51, 6))
#define STE0_S1CDMAX(v)		SIM_FIELD(v, 63, 59)
#define STE1_EATS(v)		SIM_FIELD(v, 29, 28)	/* 1: translated */
#define STE2_S2VMID(v)		SIM_FIELD(v, 15, 0)
#define STE3_S2TTB(v)		((v) & SIM_MASK(51, 4))
/* Context descriptor */
#define CD0_V			SIM_BIT(31)
#define CD0_ASID(v)		SIM_FIELD(v, 63, 48)
#define CD1_TTB0(v)		((v) & SIM_MASK(51, 4))

/* Event records */
#define EVT_F_TRANSLATION	0x10
#define EVT_F_ADDR_SIZE		0x11
#define EVT_F_ACCESS		0x12
#define EVT_F_PERMISSION	0x13
#define EVT0_ID(v)		SIM_FIELD(v, 7, 0)
#define EVT0_SSV		SIM_BIT(11)
#define EVT0_SSID(v)		SIM_FIELD(v, 31, 12)
#define EVT0_SID(v)		SIM_FIELD(v, 63, 32)
#define EVT1_RNW		SIM_BIT(35)
#define EVT1_S2			SIM_BIT(39)

/* VMSAv8-64 descriptors */
#define ARM_PTE_TYPE(v)		SIM_FIELD(v, 1, 0)	/* 3 page/table, 1 block */
#define ARM_PTE_AP2		SIM_BIT(7)		/* stage 1: read-only */
#define ARM_PTE_S2AP_R		SIM_BIT(6)
#define ARM_PTE_S2AP_W		SIM_BIT(7)
#define ARM_PTE_AF		SIM_BIT(10)
#define ARM_PTE_DBM		SIM_BIT(51)
#define ARM_PTE_OA(v)		((v) & SIM_MASK(47, 12))

/* ---- VT-d facts --------------------------------------------------------- */

/* Capability register */
#define VTD_CAP_SAGAW(v)	SIM_FIELD(v, 12, 8)
#define VTD_CAP_MGAW(v)		SIM_FIELD(v, 21, 16)	/* width - 1 */
/* Extended capability register */
#define VTD_ECAP_DT		SIM_BIT(2)
#define VTD_ECAP_PRS		SIM_BIT(29)
#define VTD_ECAP_PSS(v)		SIM_FIELD(v, 39, 35)	/* width - 1 */
#define VTD_ECAP_PASID		SIM_BIT(40)
#define VTD_ECAP_SMTS		SIM_BIT(43)
#define VTD_ECAP_SLADS		SIM_BIT(45)
#define VTD_ECAP_SLTS		SIM_BIT(46)
#define VTD_ECAP_FLTS		SIM_BIT(47)

/* Scalable-mode context entry (4 words) */
#define CTX0_P			SIM_BIT(0)
#define CTX0_DTE		SIM_BIT(2)	/* device TLB (ATS) */
#define CTX0_PASIDE		SIM_BIT(3)
#define CTX0_PRE		SIM_BIT(4)	/* page requests (PRI) */
#define CTX1_RID_PASID(v)	SIM_FIELD(v, 19, 0)

/* Scalable-mode PASID table entry (8 words) */
#define PASID0_P		SIM_BIT(0)
#define PASID0_PGTT(v)		SIM_FIELD(v, 8, 6)
#define PGTT_FL			1
#define PGTT_SL			2
#define PASID0_SLADE		SIM_BIT(9)
#define PASID0_SLPTPTR(v)	((v) & SIM_MASK(63, 12))
#define PASID1_DID(v)		SIM_FIELD(v, 15, 0)
#define PASID2_FLPTPTR(v)	((v) & SIM_MASK(63, 12))

/* Primary fault record (two words) */
#define FRCD0_FI(v)		((v) & SIM_MASK(63, 12))
#define FRCD1_SID(v)		SIM_FIELD(v, 15, 0)
#define FRCD1_PP		SIM_BIT(31)
#define FRCD1_FR(v)		SIM_FIELD(v, 39, 32)
#define FRCD1_PV(v)		SIM_FIELD(v, 59, 40)
#define FRCD1_T1_READ		SIM_BIT(62)
#define FRCD1_F			SIM_BIT(63)
/* Scalable-mode fault reasons */
#define VTD_FR_PDE_NP		0x51	/* PASID directory entry not present */
#define VTD_FR_PTE_NP		0x59	/* PASID table entry not present */
#define VTD_FR_FL_NP		0x71	/* first-level entry not present */
#define VTD_FR_SL_NP		0x79	/* second-level entry R = W = 0 */
#define VTD_FR_NO_WRITE		0x85
#define VTD_FR_NO_READ		0x86

/* Second-level and first-level leaf entries */
#define VTD_PTE_R		SIM_BIT(0)	/* SL read; FL present */
#define VTD_PTE_W		SIM_BIT(1)	/* SL write; FL R/W */
#define VTD_PTE_PS		SIM_BIT(7)
#define VTD_PTE_ADDR(v)		((v) & SIM_MASK(51, 12))

/* ---- sysfs --------------------------------------------------------------- */

/* Write @s to a sysfs file in one write(); the errno of the store on error */
static inline int sim_write_str(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = write(fd, s, len);
	err = errno;
	close(fd);
	if (n < 0) {
		errno = err;
		return -1;
	}
	if ((size_t)n != len) {
		errno = EMSGSIZE;
		return -1;
	}
	return 0;
}

static inline int __printf(2, 3)
sim_writef(const char *path, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return sim_write_str(path, buf);
}

static inline bool sim_present(void)
{
	return !access(SIM_BUS "/new_iommu", W_OK);
}

/* "ID TYPE OPTS" to new_iommu */
static inline int sim_new_iommu(unsigned int id, const char *type,
				const char *opts)
{
	return sim_writef(SIM_BUS "/new_iommu", "%u %s%s%s", id, type,
			  opts && *opts ? " " : "", opts ? opts : "");
}

static inline int sim_del_iommu(unsigned int id)
{
	return sim_writef(SIM_BUS "/del_iommu", "%u", id);
}

/*
 * Create an instance at the first free ID from @first on (tests that leaked
 * an instance must not make the next ones fail for an unrelated reason).
 */
static inline int sim_create_iommu(unsigned int first, const char *type,
				   const char *opts, unsigned int *id)
{
	unsigned int i;

	for (i = first; i < 256; i++) {
		if (!sim_new_iommu(i, type, opts)) {
			*id = i;
			return 0;
		}
		if (errno != EEXIST)
			return -1;
	}
	errno = ENOSPC;
	return -1;
}

static inline void sim_path(char *buf, size_t len, unsigned int id,
			    const char *file)
{
	snprintf(buf, len, SIM_BUS "/devices/iommusim%u/%s", id, file);
}

static inline int sim_new_device(unsigned int id, unsigned int sid,
				 const char *opts)
{
	char path[128];

	sim_path(path, sizeof(path), id, "new_device");
	return sim_writef(path, "%u%s%s", sid, opts && *opts ? " " : "",
			  opts ? opts : "");
}

static inline int sim_del_device(unsigned int id, unsigned int sid)
{
	char path[128];

	sim_path(path, sizeof(path), id, "del_device");
	return sim_writef(path, "%u", sid);
}

/* Read a whole sysfs attribute of instance @id into @buf (NUL ended) */
static inline int sim_read_attr(unsigned int id, const char *file, char *buf,
				size_t len)
{
	char path[128];
	ssize_t n;
	int fd;

	sim_path(path, sizeof(path), id, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/* The value of the "NAME=0x..." line of the caps file; ENOENT if none */
static inline int sim_caps_reg(unsigned int id, const char *name, __u64 *val)
{
	char buf[4096], *line, *save;
	size_t nlen = strlen(name);

	if (sim_read_attr(id, "caps", buf, sizeof(buf)))
		return -1;
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, name, nlen) && line[nlen] == '=') {
			*val = strtoull(line + nlen + 1, NULL, 16);
			return 0;
		}
	}
	errno = ENOENT;
	return -1;
}

/* Open the char device of (instance @id, SID @sid) */
static inline int sim_dev_open(unsigned int id, unsigned int sid)
{
	char path[64];

	snprintf(path, sizeof(path), SIM_DEVDIR "/%u-%u", id, sid);
	return open(path, O_RDWR | O_CLOEXEC);
}

/* ---- device ioctls -------------------------------------------------------- */

static inline int sim_bind(int dfd, int iommufd, __u32 *devid)
{
	struct iommusim_bind_iommufd cmd = {
		.argsz = sizeof(cmd),
		.iommufd = iommufd,
	};
	int rc;

	rc = ioctl(dfd, IOMMUSIM_DEVICE_BIND_IOMMUFD, &cmd);
	if (!rc && devid)
		*devid = cmd.out_devid;
	return rc;
}

/* @pasid SIM_NO_PASID attaches the RID; *pt_id gets the HWPT attached */
static inline int sim_attach(int dfd, __u32 pasid, __u32 *pt_id)
{
	struct iommusim_attach_pt cmd = {
		.argsz = sizeof(cmd),
		.pt_id = *pt_id,
	};
	int rc;

	if (pasid != SIM_NO_PASID) {
		cmd.flags = IOMMUSIM_ATTACH_PASID;
		cmd.pasid = pasid;
	}
	rc = ioctl(dfd, IOMMUSIM_DEVICE_ATTACH_IOMMUFD_PT, &cmd);
	if (!rc)
		*pt_id = cmd.pt_id;
	return rc;
}

static inline int sim_detach(int dfd, __u32 pasid)
{
	struct iommusim_detach_pt cmd = { .argsz = sizeof(cmd) };

	if (pasid != SIM_NO_PASID) {
		cmd.flags = IOMMUSIM_DETACH_PASID;
		cmd.pasid = pasid;
	}
	return ioctl(dfd, IOMMUSIM_DEVICE_DETACH_IOMMUFD_PT, &cmd);
}

/*
 * One DMA: @write moves @len bytes from @buf to @iova, else from @iova to
 * @buf. @out (optional) receives the kernel's view of the struct.
 */
static inline int sim_dma(int dfd, bool write, __u32 pasid, __u64 iova,
			  void *buf, __u64 len, struct iommusim_dma *out)
{
	struct iommusim_dma cmd = {
		.argsz = sizeof(cmd),
		.flags = write ? IOMMUSIM_DMA_WRITE : 0,
		.iova = iova,
		.length = len,
		.uptr = (uintptr_t)buf,
	};
	int rc;

	if (pasid != SIM_NO_PASID) {
		cmd.flags |= IOMMUSIM_DMA_PASID;
		cmd.pasid = pasid;
	}
	rc = ioctl(dfd, IOMMUSIM_DEVICE_DMA, &cmd);
	if (out)
		*out = cmd;
	return rc;
}

static inline int sim_dma_read(int dfd, __u64 iova, void *buf, __u64 len)
{
	return sim_dma(dfd, false, SIM_NO_PASID, iova, buf, len, NULL);
}

static inline int sim_dma_write(int dfd, __u64 iova, const void *buf,
				__u64 len)
{
	return sim_dma(dfd, true, SIM_NO_PASID, iova, (void *)buf, len, NULL);
}

static inline int sim_iotlb(int dfd, __u32 flags, struct iommusim_iotlb *out)
{
	struct iommusim_iotlb cmd = { .argsz = sizeof(cmd), .flags = flags };
	int rc;

	rc = ioctl(dfd, IOMMUSIM_DEVICE_IOTLB, &cmd);
	if (out)
		*out = cmd;
	return rc;
}

static inline int sim_alias(int dfd, __u32 pasid, __u64 iova, __u64 src_iova)
{
	struct iommusim_pte_alias cmd = {
		.argsz = sizeof(cmd),
		.iova = iova,
		.src_iova = src_iova,
	};

	if (pasid != SIM_NO_PASID) {
		cmd.flags = IOMMUSIM_ALIAS_PASID;
		cmd.pasid = pasid;
	}
	return ioctl(dfd, IOMMUSIM_DEVICE_TEST_PTE_ALIAS, &cmd);
}

static inline int sim_invalidate(int dfd, __u32 pasid, __u64 iova, __u64 len)
{
	struct iommusim_invalidate cmd = {
		.argsz = sizeof(cmd),
		.iova = iova,
		.length = len,
	};

	if (pasid != SIM_NO_PASID) {
		cmd.flags = IOMMUSIM_INVAL_PASID;
		cmd.pasid = pasid;
	}
	return ioctl(dfd, IOMMUSIM_DEVICE_INVALIDATE, &cmd);
}

static inline int sim_ctx(int dfd, __u32 pasid, struct iommusim_ctx_entry *out)
{
	memset(out, 0, sizeof(*out));
	out->argsz = sizeof(*out);
	if (pasid != SIM_NO_PASID) {
		out->flags = IOMMUSIM_CTX_PASID;
		out->pasid = pasid;
	}
	return ioctl(dfd, IOMMUSIM_DEVICE_GET_CTX_ENTRY, out);
}

static inline int sim_xlate(int dfd, __u32 pasid, __u64 iova, bool write,
			    struct iommusim_translate *out)
{
	memset(out, 0, sizeof(*out));
	out->argsz = sizeof(*out);
	out->iova = iova;
	if (write)
		out->flags |= IOMMUSIM_XLATE_WRITE;
	if (pasid != SIM_NO_PASID) {
		out->flags |= IOMMUSIM_XLATE_PASID;
		out->pasid = pasid;
	}
	return ioctl(dfd, IOMMUSIM_DEVICE_TRANSLATE, out);
}

/* ---- iommufd ioctls used with these devices ------------------------------ */

static inline int sim_hw_info(int fd, __u32 devid, void *data, __u32 len,
			      struct iommu_hw_info *out)
{
	*out = (struct iommu_hw_info){
		.size = sizeof(*out),
		.dev_id = devid,
		.data_len = len,
		.data_uptr = (uintptr_t)data,
	};
	return ioctl(fd, IOMMU_GET_HW_INFO, out);
}

static inline int sim_set_dirty(int fd, __u32 hwpt, bool enable)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = enable ? IOMMU_HWPT_DIRTY_TRACKING_ENABLE : 0,
		.hwpt_id = hwpt,
	};

	return ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static inline int sim_get_dirty(int fd, __u32 hwpt, __u64 iova, __u64 len,
				__u64 page_size, __u64 *bitmap, __u32 flags)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt,
		.flags = flags,
		.iova = iova,
		.length = len,
		.page_size = page_size,
		.data = (uintptr_t)bitmap,
	};

	return ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, &cmd);
}

#endif
