// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dirty tracking on the mock IOMMU: IOMMU_HWPT_SET_DIRTY_TRACKING and
 * IOMMU_HWPT_GET_DIRTY_BITMAP.
 *
 * The mock "device" writes through IOMMU_TEST_OP_DIRTY, which marks the
 * IOPTE behind an IOVA dirty. Every bitmap the kernel returns is compared
 * bit for bit with a model kept here: which mock IOPTEs are dirty (2 KiB
 * each, or 1 MiB for the huge IOPTEs of a HUGE_IOVA device), and what a
 * harvest of [iova, iova + length) at a given page_size must set. The
 * user bitmap is pre-filled with random bits: the kernel only ever sets
 * bits, so the expected result is prefill | model, and the bytes around
 * the bitmap must stay as they were.
 */
#include "iofd_test_util.h"

#define MOCK_STEP ((__u64)IOFD_MOCK_IO_PAGE)
#define MOCK_HUGE (512 * MOCK_STEP)
#define BASE ((__u64)MOCK_APERTURE_START)
#define SZ_1M 0x100000ULL
/* Bits of one window of the kernel's bitmap writer (half a page) */
#define WIN_BITS ((__u64)iofd_psize / 2 * 8)
/* Bytes checked around every bitmap */
#define GUARD 64

/* ---- ioctl wrappers --------------------------------------------------- */

static int set_dirty(int fd, __u32 hwpt, __u32 flags)
{
	struct iommu_hwpt_set_dirty_tracking cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.hwpt_id = hwpt,
	};

	return ioctl(fd, IOMMU_HWPT_SET_DIRTY_TRACKING, &cmd);
}

static int get_dirty_raw(int fd, struct iommu_hwpt_get_dirty_bitmap *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_HWPT_GET_DIRTY_BITMAP, cmd);
}

static int get_dirty(int fd, __u32 hwpt, __u32 flags, __u64 iova, __u64 len,
		     __u64 page_size, void *data)
{
	struct iommu_hwpt_get_dirty_bitmap cmd = {
		.hwpt_id = hwpt,
		.flags = flags,
		.iova = iova,
		.length = len,
		.page_size = page_size,
		.data = (uintptr_t)data,
	};

	return get_dirty_raw(fd, &cmd);
}

/* The mock device writes where @bitmap (one bit per @page_size) says */
static int mock_write(int fd, __u32 hwpt, __u64 iova, __u64 len,
		      __u64 page_size, const void *bitmap, __u64 *nr)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DIRTY,
		.id = hwpt,
		.dirty = { .iova = iova,
			   .length = len,
			   .page_size = page_size,
			   .uptr = (uintptr_t)bitmap },
	};
	int rc;

	rc = iofd_test(fd, &cmd);
	if (!rc && nr)
		*nr = cmd.dirty.out_nr_dirty;
	return rc;
}

static int test_bit8(const unsigned char *map, __u64 bit)
{
	return (map[bit / 8] >> (bit % 8)) & 1;
}

static void set_bit8(unsigned char *map, __u64 bit)
{
	map[bit / 8] |= 1u << (bit % 8);
}

static __u64 rnd_state = 0x9e3779b97f4a7c15ULL;

static __u64 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

/* ---- the model ------------------------------------------------------- */

/*
 * Dirty state of the mock steps of [base, base + nsteps * MOCK_STEP), and
 * the IOPTE size (in steps) the mock uses there.
 */
struct model {
	__u64 base;
	__u64 nsteps;
	__u64 iopte_steps;
	unsigned char *dirty;	/* one byte per step */
};

static void model_init(struct model *m, __u64 base, __u64 len, bool huge)
{
	m->base = base;
	m->nsteps = len / MOCK_STEP;
	m->iopte_steps = huge ? 512 : 1;
	m->dirty = calloc(m->nsteps, 1);
}

static void model_free(struct model *m)
{
	free(m->dirty);
	m->dirty = NULL;
}

/* First step of the IOPTE holding step @s (IOPTEs are IOVA aligned) */
static __u64 model_head(struct model *m, __u64 s)
{
	__u64 abs = m->base / MOCK_STEP + s;

	return abs - abs % m->iopte_steps - m->base / MOCK_STEP;
}

static bool model_iopte_dirty(struct model *m, __u64 head)
{
	__u64 i;

	for (i = 0; i != m->iopte_steps; i++)
		if (head + i < m->nsteps && m->dirty[head + i])
			return true;
	return false;
}

/*
 * Mark the steps whose bit is set in @steps (one bit per step) dirty in
 * the kernel and in the model; returns 0 or errno.
 */
static int model_write(int fd, __u32 hwpt, struct model *m,
		       const unsigned char *steps)
{
	__u64 nr = 0, want = 0, s;

	if (mock_write(fd, hwpt, m->base, m->nsteps * MOCK_STEP, MOCK_STEP,
		       steps, &nr))
		return errno;
	for (s = 0; s != m->nsteps; s++) {
		if (test_bit8(steps, s)) {
			m->dirty[s] = 1;
			want++;
		}
	}
	return nr == want ? 0 : EIO;
}

/* A bitmap of steps: every step dirty with probability 1 / @one_in */
static unsigned char *steps_random(struct model *m, unsigned int one_in)
{
	unsigned char *steps = calloc(m->nsteps / 8 + 1, 1);
	__u64 s;

	for (s = 0; s != m->nsteps; s++)
		if (rnd() % one_in == 0)
			set_bit8(steps, s);
	return steps;
}

/*
 * Compute into @want (already holding the prefill) what a harvest of
 * [iova, iova + len) at @ps must add, and apply its clearing to the model
 * unless @no_clear.
 */
static void model_harvest(struct model *m, __u64 iova, __u64 len, __u64 ps,
			  unsigned char *want, bool no_clear)
{
	__u64 last = iova + len - 1;
	__u64 s, first_s, last_s;

	first_s = model_head(m, (iova - m->base) / MOCK_STEP);
	last_s = (last - m->base) / MOCK_STEP;
	for (s = first_s; s <= last_s; s += m->iopte_steps) {
		__u64 a = m->base + s * MOCK_STEP;
		__u64 b = a + m->iopte_steps * MOCK_STEP - 1;
		__u64 bit;

		if (!model_iopte_dirty(m, s))
			continue;
		if (a < iova)
			a = iova;
		if (b > last)
			b = last;
		for (bit = (a - iova) / ps; bit <= (b - iova) / ps; bit++)
			set_bit8(want, bit);
		if (!no_clear)
			memset(m->dirty + s, 0,
			       s + m->iopte_steps <= m->nsteps ?
				       m->iopte_steps : m->nsteps - s);
	}
}

/*
 * One harvest checked against the model: the user bitmap sits @offset
 * bytes into a buffer pre-filled with random bytes. Returns 0, the errno
 * of the ioctl, or -1 with @where set to the first bad byte.
 */
static int check_harvest(int fd, __u32 hwpt, struct model *m, __u64 iova,
			 __u64 len, __u64 ps, __u32 flags, size_t offset,
			 long *where)
{
	__u64 nbits = len / ps;
	size_t nbytes = (nbits + 7) / 8;
	size_t total = GUARD + offset + nbytes + GUARD;
	unsigned char *buf = malloc(total), *want = malloc(total);
	size_t i;
	int rc = 0;

	for (i = 0; i != total; i++)
		buf[i] = rnd();
	/* Mostly clear bitmaps: a set prefill bit would hide a missing one */
	for (i = GUARD + offset; i != GUARD + offset + nbytes; i++)
		buf[i] &= rnd() & rnd();
	memcpy(want, buf, total);
	model_harvest(m, iova, len, ps, want + GUARD + offset,
		      flags & IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR);

	if (get_dirty(fd, hwpt, flags, iova, len, ps, buf + GUARD + offset)) {
		rc = errno;
		goto out;
	}
	for (i = 0; i != total; i++) {
		if (buf[i] != want[i]) {
			*where = (long)i - GUARD - (long)offset;
			rc = -1;
			break;
		}
	}
out:
	free(buf);
	free(want);
	return rc;
}

#define ASSERT_HARVEST(m, iova, len, ps, flags, off)                         \
	do {                                                                 \
		long __where = 0;                                            \
		int __rc = check_harvest(self->fd, self->hwpt, m, iova, len, \
					 ps, flags, off, &__where);          \
		ASSERT_EQ(0, __rc)                                           \
		TH_LOG("harvest iova +%#llx len %#llx ps %#llx flags %u "    \
		       "off %zu: rc %d, byte %ld",                           \
		       (unsigned long long)((iova) - BASE),                  \
		       (unsigned long long)(len), (unsigned long long)(ps),  \
		       (unsigned int)(flags), (size_t)(off), __rc, __where); \
	} while (0)

/* Is the whole range clean (a NO_CLEAR harvest sets nothing)? */
static bool range_clean(int fd, __u32 hwpt, __u64 iova, __u64 len, __u64 ps)
{
	size_t nbytes = (len / ps + 7) / 8;
	unsigned char *map = calloc(nbytes, 1);
	bool clean = true;
	size_t i;

	if (get_dirty(fd, hwpt, IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, iova,
		      len, ps, map))
		clean = false;
	for (i = 0; i != nbytes; i++)
		if (map[i])
			clean = false;
	free(map);
	return clean;
}

/* ---- the fixture ------------------------------------------------------ */

/*
 * An IOAS with LEN bytes mapped at BASE, a mock device on it (with its
 * automatic HWPT, which does not track), and a second HWPT allocated with
 * IOMMU_HWPT_ALLOC_DIRTY_TRACKING, tracking on.
 */
#define LEN (8ULL << 20)

FIXTURE(dirty)
{
	int fd;
	__u32 ioas;
	__u32 stdev;
	__u32 idev;
	__u32 auto_hwpt;
	__u32 hwpt;
	char *buf;
	struct model m;
};

FIXTURE_SETUP(dirty)
{
	self->fd = iofd_open();
	ASSERT_LE(0, self->fd);
	ASSERT_OK(iofd_ioas_alloc(self->fd, &self->ioas));
	self->buf = iofd_alloc_buf(LEN);
	ASSERT_NE(NULL, self->buf);
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, LEN, BASE));
	ASSERT_OK(iofd_mock_dev(self->fd, self->ioas, &self->stdev,
				&self->auto_hwpt, &self->idev));
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->idev, self->ioas,
				  IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
				  &self->hwpt));
	ASSERT_OK(set_dirty(self->fd, self->hwpt,
			    IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	model_init(&self->m, BASE, LEN, false);
}

FIXTURE_TEARDOWN(dirty)
{
	model_free(&self->m);
	if (self->fd >= 0)
		EXPECT_OK(iofd_close_and_check_unpinned(self->fd, self->buf,
							LEN));
	munmap(self->buf, LEN);
}

/* Mark a few steps (indexes into the model) dirty */
static int write_steps(struct __test_metadata *_metadata, int fd, __u32 hwpt,
		       struct model *m, const __u64 *idx, unsigned int n)
{
	unsigned char *steps = calloc(m->nsteps / 8 + 1, 1);
	unsigned int i;
	int rc;

	for (i = 0; i != n; i++)
		set_bit8(steps, idx[i]);
	rc = model_write(fd, hwpt, m, steps);
	free(steps);
	return rc;
}

TEST_F(dirty, set_tracking)
{
	__u64 idx[] = { 3 };

	/* On twice, off twice: all fine */
	ASSERT_OK(set_dirty(self->fd, self->hwpt,
			    IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	ASSERT_OK(set_dirty(self->fd, self->hwpt, 0));
	ASSERT_OK(set_dirty(self->fd, self->hwpt, 0));

	/* The mock device cannot "write" with tracking off */
	ASSERT_EQ(EINVAL, write_steps(_metadata, self->fd, self->hwpt,
				      &self->m, idx, 1));

	ASSERT_ERRNO(EOPNOTSUPP, set_dirty(self->fd, self->hwpt, 2));
	ASSERT_ERRNO(EOPNOTSUPP, set_dirty(self->fd, self->hwpt, 1u << 31));
	ASSERT_ERRNO(EOPNOTSUPP, set_dirty(self->fd, self->auto_hwpt,
					   IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	ASSERT_ERRNO(EOPNOTSUPP, set_dirty(self->fd, self->auto_hwpt, 0));
	ASSERT_ERRNO(ENOENT, set_dirty(self->fd, self->ioas,
				       IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	ASSERT_ERRNO(ENOENT, set_dirty(self->fd, self->idev,
				       IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	ASSERT_ERRNO(ENOENT, set_dirty(self->fd, 0,
				       IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	ASSERT_ERRNO(ENOENT, set_dirty(self->fd, 0xfffff,
				       IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
}

TEST_F(dirty, enable_starts_clean)
{
	__u64 idx[] = { 0, 5, 100, 4095 };

	ASSERT_OK(write_steps(_metadata, self->fd, self->hwpt, &self->m, idx,
			      4));
	ASSERT_FALSE(range_clean(self->fd, self->hwpt, BASE, LEN, MOCK_STEP));
	/* Turning tracking off keeps what was recorded: still harvestable */
	ASSERT_OK(set_dirty(self->fd, self->hwpt, 0));
	ASSERT_HARVEST(&self->m, BASE, LEN, MOCK_STEP,
		       IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, 0);
	/* Enabling again starts from a clean snapshot */
	ASSERT_OK(set_dirty(self->fd, self->hwpt,
			    IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	ASSERT_TRUE(range_clean(self->fd, self->hwpt, BASE, LEN, MOCK_STEP));
	/* Enabling while enabled clears too */
	ASSERT_OK(write_steps(_metadata, self->fd, self->hwpt, &self->m, idx,
			      4));
	ASSERT_OK(set_dirty(self->fd, self->hwpt,
			    IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	ASSERT_TRUE(range_clean(self->fd, self->hwpt, BASE, LEN, MOCK_STEP));
}

TEST_F(dirty, get_errnos)
{
	unsigned char map[64] = {};
	struct iommu_hwpt_get_dirty_bitmap cmd;
	__u64 idx[] = { 1, 2 };
	__u64 ps = MOCK_STEP;

	ASSERT_OK(write_steps(_metadata, self->fd, self->hwpt, &self->m, idx,
			      2));

#define GOOD()                                                          \
	do {                                                            \
		memset(&cmd, 0, sizeof(cmd));                           \
		cmd.hwpt_id = self->hwpt;                               \
		cmd.iova = BASE;                                        \
		cmd.length = 64 * ps;                                   \
		cmd.page_size = ps;                                     \
		cmd.data = (uintptr_t)map;                              \
		cmd.flags = IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR;       \
	} while (0)

	GOOD();
	ASSERT_OK(get_dirty_raw(self->fd, &cmd));
	ASSERT_EQ(6, map[0]);

	GOOD();
	cmd.flags = 2;
	ASSERT_ERRNO(EOPNOTSUPP, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.flags = 1u << 31;
	ASSERT_ERRNO(EOPNOTSUPP, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.hwpt_id = self->ioas;
	ASSERT_ERRNO(ENOENT, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.hwpt_id = 0xfffff;
	ASSERT_ERRNO(ENOENT, get_dirty_raw(self->fd, &cmd));

	/* Range checks */
	GOOD();
	cmd.length = 0;
	ASSERT_ERRNO(EINVAL, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.iova = ~0ULL - ps + 1;
	cmd.length = 2 * ps;
	ASSERT_ERRNO(EOVERFLOW, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.length = ~0ULL;
	ASSERT_ERRNO(EOVERFLOW, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.page_size = 0;
	ASSERT_ERRNO(EINVAL, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.page_size = 3 * ps;
	cmd.length = 3 * 64 * ps;
	ASSERT_ERRNO(EINVAL, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.iova = BASE + ps;
	cmd.page_size = 2 * ps;
	ASSERT_ERRNO(EINVAL, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.length = 64 * ps + ps / 2;
	ASSERT_ERRNO(EINVAL, get_dirty_raw(self->fd, &cmd));
	/* Below the IOAS alignment (the mock's 2 KiB IOPTE) */
	GOOD();
	cmd.page_size = ps / 2;
	cmd.iova = BASE + ps / 2;
	ASSERT_ERRNO(EINVAL, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.page_size = ps / 2;
	cmd.length = 64 * ps + ps / 2;
	ASSERT_ERRNO(EINVAL, get_dirty_raw(self->fd, &cmd));
	/* ... while page_size itself may be smaller than the IOPTE */
	GOOD();
	cmd.page_size = ps / 2;
	memset(map, 0, sizeof(map));
	ASSERT_OK(get_dirty_raw(self->fd, &cmd));
	ASSERT_EQ(0x3c, map[0]);

	/* Not mapped at all, or partly: EINVAL, nothing harvested */
	GOOD();
	cmd.iova = BASE - 64 * ps;
	ASSERT_ERRNO(EINVAL, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.iova = BASE + LEN - 32 * ps;
	ASSERT_ERRNO(EINVAL, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.iova = BASE - 32 * ps;
	cmd.flags = 0;
	ASSERT_ERRNO(EINVAL, get_dirty_raw(self->fd, &cmd));

	/* A bitmap that is no user memory: EFAULT before anything is lost */
	GOOD();
	cmd.flags = 0;
	cmd.data = 0;
	ASSERT_ERRNO(EFAULT, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.flags = 0;
	cmd.data = ~0ULL - 4;
	ASSERT_ERRNO(EFAULT, get_dirty_raw(self->fd, &cmd));

	/* Nothing above cleared anything */
	ASSERT_HARVEST(&self->m, BASE, LEN, MOCK_STEP, 0, 0);

	/* A HWPT without dirty tracking: range first, then EOPNOTSUPP */
	GOOD();
	cmd.hwpt_id = self->auto_hwpt;
	ASSERT_ERRNO(EOPNOTSUPP, get_dirty_raw(self->fd, &cmd));
	GOOD();
	cmd.hwpt_id = self->auto_hwpt;
	cmd.length = 0;
	ASSERT_ERRNO(EINVAL, get_dirty_raw(self->fd, &cmd));
#undef GOOD
}

TEST_F(dirty, no_dirty_devices_and_hwpts)
{
	struct iommu_hw_info info = { .size = sizeof(info) };
	__u32 stdev, idev, hwpt, plain;
	__u64 nr;
	unsigned char map[8] = { 0xff };

	/* A device that cannot track refuses both ways */
	ASSERT_OK(iofd_mock_dev_flags(self->fd, self->ioas,
				      MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev, NULL,
				      &idev));
	ASSERT_ERRNO(EOPNOTSUPP,
		     iofd_hwpt_alloc(self->fd, idev, self->ioas,
				     IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt));
	info.dev_id = idev;
	ASSERT_OK(ioctl(self->fd, IOMMU_GET_HW_INFO, &info));
	ASSERT_EQ(0, info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);
	ASSERT_OK(iofd_destroy(self->fd, stdev));
	ASSERT_ERRNO(EINVAL, iofd_mock_dev_flags(self->fd, self->hwpt,
						 MOCK_FLAGS_DEVICE_NO_DIRTY,
						 &stdev, NULL, NULL));
	info.dev_id = self->idev;
	info.data_len = 0;
	ASSERT_OK(ioctl(self->fd, IOMMU_GET_HW_INFO, &info));
	ASSERT_EQ(IOMMU_HW_CAP_DIRTY_TRACKING,
		  info.out_capabilities & IOMMU_HW_CAP_DIRTY_TRACKING);

	/* An explicitly allocated HWPT without the flag does not track */
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->idev, self->ioas, 0, &plain));
	ASSERT_ERRNO(EOPNOTSUPP, set_dirty(self->fd, plain,
					   IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	ASSERT_ERRNO(EOPNOTSUPP, get_dirty(self->fd, plain, 0, BASE,
					   64 * MOCK_STEP, MOCK_STEP, map));
	ASSERT_ERRNO(EINVAL, mock_write(self->fd, plain, BASE, 8 * MOCK_STEP,
					MOCK_STEP, map, &nr));
	ASSERT_OK(iofd_destroy(self->fd, plain));
}

/* Bit exactness for every page size, sub-range and bitmap alignment */
TEST_F(dirty, exact_page_sizes)
{
	static const __u64 sizes_k[] = { 1, 2, 4, 8, 64, 2048 };
	static const size_t offsets[] = { 0, 1, 7, 0xff1 };
	unsigned int i, j, round;

	for (i = 0; i != IOFD_ARRAY_SIZE(sizes_k); i++) {
		__u64 ps = sizes_k[i] << 10;

		for (round = 0; round != 4; round++) {
			/* Sparse, dense and in between */
			static const unsigned int one_in[] = { 97, 2, 9, 1 };
			unsigned char *steps =
				steps_random(&self->m, one_in[round]);
			__u64 sub_iova = BASE, sub_len = LEN;

			ASSERT_OK(model_write(self->fd, self->hwpt, &self->m,
					      steps));
			free(steps);

			/*
			 * A sub-range aligned to nothing bigger than the
			 * page size (or the IOPTE, the IOAS alignment)
			 */
			if (round & 1 && LEN / ps > 4) {
				__u64 unit = ps > MOCK_STEP ? ps : MOCK_STEP;

				sub_iova = BASE + unit * (1 + rnd() % 3);
				sub_len = LEN - (sub_iova - BASE) -
					  unit * (rnd() % 3);
			}
			j = round % IOFD_ARRAY_SIZE(offsets);
			ASSERT_HARVEST(&self->m, sub_iova, sub_len, ps,
				       IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR,
				       offsets[j]);
			/* NO_CLEAR left it all: the same again, clearing */
			ASSERT_HARVEST(&self->m, sub_iova, sub_len, ps, 0,
				       offsets[(j + 1) %
					       IOFD_ARRAY_SIZE(offsets)]);
			/* Cleared: nothing left in the sub-range */
			ASSERT_TRUE(range_clean(self->fd, self->hwpt, sub_iova,
						sub_len, ps));
			/* And what was outside it is still there */
			ASSERT_HARVEST(&self->m, BASE, LEN, MOCK_STEP, 0, 0);
		}
	}
}

/* Patterns relative to the page size: odd bits, runs, single bits */
TEST_F(dirty, unaligned_patterns)
{
	static const __u64 sizes_k[] = { 2, 4, 8, 64 };
	unsigned int i;

	for (i = 0; i != IOFD_ARRAY_SIZE(sizes_k); i++) {
		__u64 ps = sizes_k[i] << 10;
		__u64 per = ps / MOCK_STEP, s;
		unsigned char *steps = calloc(self->m.nsteps / 8 + 1, 1);

		/* The last step of every odd page, a run across pages */
		for (s = 0; s < self->m.nsteps; s += 2 * per)
			set_bit8(steps, s + 2 * per - 1);
		for (s = 17 * per - 1; s < 21 * per + 1; s++)
			set_bit8(steps, s);
		set_bit8(steps, self->m.nsteps - 1);
		ASSERT_OK(model_write(self->fd, self->hwpt, &self->m, steps));
		free(steps);
		ASSERT_HARVEST(&self->m, BASE + ps, LEN - 3 * ps, ps, 0, 3);
		ASSERT_HARVEST(&self->m, BASE, LEN, ps, 0, 0);
		ASSERT_TRUE(range_clean(self->fd, self->hwpt, BASE, LEN,
					MOCK_STEP));
	}
}

/* Several areas back to back, and what a hole does */
TEST_F(dirty, areas_and_holes)
{
	__u64 a = 64 * MOCK_STEP * 3, b = 64 * MOCK_STEP * 5;
	__u32 ioas, hwpt, save = self->hwpt;
	unsigned char *steps;
	struct model m;

	/* Three areas from three parts of the buffer, in another IOAS */
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas, self->buf + LEN / 2, a,
				 BASE));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas, self->buf, b, BASE + a));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas, self->buf + LEN / 4, a,
				 BASE + a + b));
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->idev, ioas,
				  IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt));
	ASSERT_OK(set_dirty(self->fd, hwpt,
			    IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	self->hwpt = hwpt;

	model_init(&m, BASE, 2 * a + b, false);
	steps = steps_random(&m, 3);
	/* Both sides of both area boundaries */
	set_bit8(steps, a / MOCK_STEP - 1);
	set_bit8(steps, a / MOCK_STEP);
	set_bit8(steps, (a + b) / MOCK_STEP - 1);
	set_bit8(steps, (a + b) / MOCK_STEP);
	ASSERT_OK(model_write(self->fd, hwpt, &m, steps));
	free(steps);

	ASSERT_HARVEST(&m, BASE, 2 * a + b, 4 * MOCK_STEP,
		       IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, 5);
	ASSERT_HARVEST(&m, BASE + a - 2 * MOCK_STEP, b + 4 * MOCK_STEP,
		       2 * MOCK_STEP, 0, 0);
	ASSERT_HARVEST(&m, BASE, 2 * a + b, MOCK_STEP, 0, 1);

	/* Dirty again, then punch a hole: spanning it fails, clears nothing */
	steps = steps_random(&m, 2);
	ASSERT_OK(model_write(self->fd, hwpt, &m, steps));
	free(steps);
	ASSERT_OK(iofd_unmap(self->fd, ioas, BASE + a, b, NULL));
	/* The unmapped IOPTEs took their dirty state with them */
	memset(m.dirty + a / MOCK_STEP, 0, b / MOCK_STEP);
	ASSERT_ERRNO(EINVAL, get_dirty(self->fd, hwpt, 0, BASE, 2 * a + b,
				       MOCK_STEP, self->buf));
	ASSERT_ERRNO(EINVAL, get_dirty(self->fd, hwpt, 0, BASE + a - MOCK_STEP,
				       2 * MOCK_STEP, MOCK_STEP, self->buf));
	/* Both sides still harvest exactly */
	ASSERT_HARVEST(&m, BASE, a, MOCK_STEP, 0, 0);
	ASSERT_HARVEST(&m, BASE + a + b, a, 2 * MOCK_STEP, 0, 0);

	/* Mapped again at the same IOVA: clean */
	ASSERT_OK(iofd_map_fixed(self->fd, ioas, self->buf, b, BASE + a));
	ASSERT_TRUE(range_clean(self->fd, hwpt, BASE, 2 * a + b, MOCK_STEP));

	model_free(&m);
	self->hwpt = save;
	ASSERT_OK(iofd_destroy(self->fd, hwpt));
	ASSERT_OK(iofd_unmap(self->fd, ioas, 0, ~0ULL, NULL));
	ASSERT_OK(iofd_destroy(self->fd, ioas));
}

/*
 * Bitmaps of many windows: 64 MiB at 1 KiB per bit is 64 Ki bits, four
 * windows of the kernel's writer; dirty steps on every window edge.
 */
TEST_F(dirty, large_bitmaps)
{
	__u64 len = 64ULL << 20;
	__u32 ioas, hwpt, save = self->hwpt;
	unsigned char *steps;
	char *buf;
	struct model m;
	__u64 ps, e, unit;

	buf = iofd_alloc_buf(len);
	ASSERT_NE(NULL, buf);
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas, buf, len, BASE));
	ASSERT_OK(iofd_hwpt_alloc(self->fd, self->idev, ioas,
				  IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt));
	ASSERT_OK(set_dirty(self->fd, hwpt,
			    IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	self->hwpt = hwpt;
	model_init(&m, BASE, len, false);

	for (ps = MOCK_STEP / 2; ps <= 2 * MOCK_STEP; ps *= 2) {
		steps = steps_random(&m, 61);
		for (e = WIN_BITS * ps; e < len; e += WIN_BITS * ps) {
			set_bit8(steps, e / MOCK_STEP - 1);
			set_bit8(steps, e / MOCK_STEP);
		}
		set_bit8(steps, 0);
		set_bit8(steps, m.nsteps - 1);
		ASSERT_OK(model_write(self->fd, hwpt, &m, steps));
		free(steps);
		ASSERT_HARVEST(&m, BASE, len, ps,
			       IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, 0xff1);
		/* Shifted by a page or an IOPTE: every window edge moves */
		unit = ps > MOCK_STEP ? ps : MOCK_STEP;
		ASSERT_HARVEST(&m, BASE + unit, len - 2 * unit, ps, 0, 3);
		ASSERT_HARVEST(&m, BASE, len, ps, 0, 0);
		ASSERT_TRUE(range_clean(self->fd, hwpt, BASE, len, ps));
	}

	model_free(&m);
	self->hwpt = save;
	ASSERT_OK(iofd_destroy(self->fd, hwpt));
	ASSERT_OK(iofd_unmap(self->fd, ioas, 0, ~0ULL, NULL));
	ASSERT_OK(iofd_destroy(self->fd, ioas));
	munmap(buf, len);
}

/*
 * Huge IOPTEs (1 MiB, HUGE_IOVA mock device over hugetlb memory): one dirty
 * step makes the whole IOPTE dirty, reported and cleared as one, clipped
 * to the request; at 32 bytes per bit one IOPTE is two windows of the
 * writer, so its bits straddle window edges.
 */
TEST_F(dirty, huge_iopte)
{
	static const __u64 sizes[] = { 32, 2048, 4096, 64 << 10, 2 << 20 };
	__u64 len = 8ULL << 20;
	__u32 ioas, hwpt, stdev, idev, save = self->hwpt;
	unsigned char *steps;
	unsigned int i;
	struct model m;
	char *buf;

	buf = iofd_alloc_huge(len);
	if (!buf)
		SKIP(return, "no huge pages reserved");
	ASSERT_OK(iofd_ioas_alloc(self->fd, &ioas));
	ASSERT_OK(iofd_map_fixed(self->fd, ioas, buf, len, BASE));
	ASSERT_OK(iofd_mock_dev_flags(self->fd, ioas,
				      MOCK_FLAGS_DEVICE_HUGE_IOVA, &stdev,
				      NULL, &idev));
	ASSERT_OK(iofd_hwpt_alloc(self->fd, idev, ioas,
				  IOMMU_HWPT_ALLOC_DIRTY_TRACKING, &hwpt));
	ASSERT_OK(set_dirty(self->fd, hwpt,
			    IOMMU_HWPT_DIRTY_TRACKING_ENABLE));
	self->hwpt = hwpt;
	model_init(&m, BASE, len, true);

	for (i = 0; i != IOFD_ARRAY_SIZE(sizes); i++) {
		__u64 ps = sizes[i];
		__u64 off = ps < SZ_1M / 2 ? SZ_1M / 2 : 0;

		steps = calloc(m.nsteps / 8 + 1, 1);
		/* One step in IOPTEs 0, 3, 6, 7: a mid one, the edges */
		set_bit8(steps, 5);
		set_bit8(steps, 3 * 512 + 511);
		set_bit8(steps, 6 * 512);
		set_bit8(steps, 7 * 512 + 200);
		ASSERT_OK(model_write(self->fd, hwpt, &m, steps));
		free(steps);

		/* Start and end in the middle of IOPTEs */
		ASSERT_HARVEST(&m, BASE + off, len - 2 * off, ps,
			       IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR, 1);
		ASSERT_HARVEST(&m, BASE + off, len - 2 * off, ps, 0, 0xff1);
		/* The clipped-off halves went with their IOPTEs */
		ASSERT_TRUE(range_clean(self->fd, hwpt, BASE, len, ps));
	}

	model_free(&m);
	self->hwpt = save;
	ASSERT_OK(iofd_destroy(self->fd, hwpt));
	ASSERT_OK(iofd_destroy(self->fd, stdev));
	ASSERT_OK(iofd_unmap(self->fd, ioas, 0, ~0ULL, NULL));
	ASSERT_OK(iofd_destroy(self->fd, ioas));
	munmap(buf, len);
}

/* Unmapping drops dirty state; a remap at the same IOVA starts clean */
TEST_F(dirty, unmap_drops_state)
{
	__u64 idx[] = { 0, 1, 2, 100 };

	ASSERT_OK(write_steps(_metadata, self->fd, self->hwpt, &self->m, idx,
			      4));
	ASSERT_OK(iofd_unmap(self->fd, self->ioas, BASE, LEN, NULL));
	ASSERT_OK(iofd_map_fixed(self->fd, self->ioas, self->buf, LEN, BASE));
	ASSERT_TRUE(range_clean(self->fd, self->hwpt, BASE, LEN, MOCK_STEP));
	/* The HWPT keeps tracking the new mapping */
	memset(self->m.dirty, 0, self->m.nsteps);
	ASSERT_OK(write_steps(_metadata, self->fd, self->hwpt, &self->m, idx,
			      4));
	ASSERT_HARVEST(&self->m, BASE, LEN, MOCK_STEP, 0, 0);
}

TEST_HARNESS_MAIN
