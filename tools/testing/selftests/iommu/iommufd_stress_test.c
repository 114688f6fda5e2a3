// SPDX-License-Identifier: GPL-2.0-only
/*
 * Concurrency: several threads drive one iommufd at once (map/unmap of
 * their own ranges, COPY out of a range another thread keeps unmapping,
 * devices coming and going, an access copying through the IOAS), then the
 * fd is closed and nothing may stay pinned. Meant to shake out locking
 * bugs, which the debug-kernel lane (lockdep, KASAN) turns into reports.
 *
 * Threads cannot use the harness' ASSERTs, so each counts what went wrong
 * and the test checks the counts at the end.
 */
#include "iofd_test_util.h"

#include <pthread.h>

#define P(n) ((__u64)(n) * iofd_psize)
#define ROUNDS 150

struct shared {
	int fd;
	__u32 ioas;
	__u32 ioas2;
	int access_fd;
	char *buf;		/* 64 pages */
	int errors;
	pthread_mutex_t lock;
};

static void bad(struct shared *sh, const char *what, int err)
{
	pthread_mutex_lock(&sh->lock);
	sh->errors++;
	fprintf(stderr, "# %s: errno %d\n", what, err);
	pthread_mutex_unlock(&sh->lock);
}

/* Maps and unmaps pages [first, first + 16) at their own IOVA. */
struct mapper {
	struct shared *sh;
	unsigned int first;
};

static void *mapper_thread(void *arg)
{
	struct mapper *m = arg;
	struct shared *sh = m->sh;
	__u64 iova = MOCK_APERTURE_START + P(m->first);
	unsigned int i;
	__u64 bytes;

	for (i = 0; i != ROUNDS; i++) {
		__u64 len = P(1 + i % 16);

		if (iofd_map_fixed(sh->fd, sh->ioas, sh->buf + P(m->first),
				   len, iova))
			bad(sh, "map", errno);
		bytes = 0;
		if (iofd_unmap(sh->fd, sh->ioas, iova, len, &bytes))
			bad(sh, "unmap", errno);
		else if (bytes != len)
			bad(sh, "unmap length", 0);
	}
	return NULL;
}

/* Attaches and removes mock devices, so domains fill and empty. */
static void *device_thread(void *arg)
{
	struct shared *sh = arg;
	unsigned int i;
	__u32 stdev;

	for (i = 0; i != ROUNDS / 5; i++) {
		if (iofd_mock_dev(sh->fd, sh->ioas, &stdev, NULL, NULL)) {
			bad(sh, "mock device", errno);
			continue;
		}
		if (iofd_destroy(sh->fd, stdev))
			bad(sh, "destroy device", errno);
	}
	return NULL;
}

/* COPY whatever the first mapper has mapped at that moment. */
static void *copy_thread(void *arg)
{
	struct shared *sh = arg;
	unsigned int i;

	for (i = 0; i != ROUNDS; i++) {
		__u64 dst = MOCK_APERTURE_START + P(256);

		if (iofd_copy(sh->fd, sh->ioas2, &dst, sh->ioas,
			      MOCK_APERTURE_START, P(1),
			      IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW)) {
			/* Not mapped right now: the only acceptable failure. */
			if (errno != ENOENT)
				bad(sh, "copy", errno);
			continue;
		}
		if (iofd_unmap(sh->fd, sh->ioas2, dst, P(1), NULL))
			bad(sh, "unmap copy", errno);
	}
	return NULL;
}

/* Reads through the access where the second mapper maps and unmaps. */
static void *access_thread(void *arg)
{
	struct shared *sh = arg;
	char tmp[64];
	unsigned int i;

	for (i = 0; i != ROUNDS; i++) {
		if (iofd_access_rw(sh->fd, sh->access_fd,
				   MOCK_APERTURE_START + P(32), tmp,
				   sizeof(tmp), 0)) {
			if (errno != ENOENT)
				bad(sh, "access rw", errno);
			continue;
		}
		if (memcmp(tmp, sh->buf + P(32), sizeof(tmp)))
			bad(sh, "access rw data", 0);
	}
	return NULL;
}

FIXTURE(stress) {
	struct shared sh;
};

FIXTURE_SETUP(stress)
{
	struct shared *sh = &self->sh;

	memset(sh, 0, sizeof(*sh));
	pthread_mutex_init(&sh->lock, NULL);
	sh->fd = iofd_open();
	ASSERT_LE(0, sh->fd);
	ASSERT_OK(iofd_ioas_alloc(sh->fd, &sh->ioas));
	ASSERT_OK(iofd_ioas_alloc(sh->fd, &sh->ioas2));
	sh->buf = iofd_alloc_buf(P(64));
	ASSERT_NE(NULL, sh->buf);
}

FIXTURE_TEARDOWN(stress)
{
	munmap(self->sh.buf, P(64));
}

TEST_F_TIMEOUT(stress, everything_at_once, 240)
{
	struct shared *sh = &self->sh;
	struct mapper m[2] = { { sh, 0 }, { sh, 32 } };
	pthread_t t[5];
	unsigned int i;

	/* One device from the start, so every map really pins. */
	ASSERT_OK(iofd_mock_dev(sh->fd, sh->ioas, NULL, NULL, NULL));
	ASSERT_OK(iofd_mock_dev(sh->fd, sh->ioas2, NULL, NULL, NULL));
	ASSERT_OK(iofd_access_create(sh->fd, sh->ioas, 0, &sh->access_fd));

	ASSERT_EQ(0, pthread_create(&t[0], NULL, mapper_thread, &m[0]));
	ASSERT_EQ(0, pthread_create(&t[1], NULL, mapper_thread, &m[1]));
	ASSERT_EQ(0, pthread_create(&t[2], NULL, device_thread, sh));
	ASSERT_EQ(0, pthread_create(&t[3], NULL, copy_thread, sh));
	ASSERT_EQ(0, pthread_create(&t[4], NULL, access_thread, sh));
	for (i = 0; i != IOFD_ARRAY_SIZE(t); i++)
		ASSERT_EQ(0, pthread_join(t[i], NULL));
	ASSERT_EQ(0, sh->errors);

	/* Every thread cleaned up after itself. */
	ASSERT_OK(iofd_check_pins(sh->fd, sh->buf, P(64), 0));
	ASSERT_EQ(0, close(sh->access_fd));
	ASSERT_OK(iofd_close_and_check_unpinned(sh->fd, sh->buf, P(64)));
}

struct closer {
	int fd;
	__u32 ioas;
	char *buf;
	int stop;	/* set by the main thread, polled by the busy one */
};

static void *busy_thread(void *arg)
{
	struct closer *c = arg;
	__u64 iova;

	/* Keep ioctls in flight on the fd until told to stop. */
	while (!__atomic_load_n(&c->stop, __ATOMIC_RELAXED)) {
		if (!iofd_map_auto(c->fd, c->ioas, c->buf, P(4), &iova))
			iofd_unmap(c->fd, c->ioas, iova, P(4), NULL);
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, destroy_races_with_use, 240)
{
	struct closer c = { .buf = self->sh.buf };
	unsigned int i, tries;
	__u32 stdev = 0;
	pthread_t t;
	int rc;

	c.fd = self->sh.fd;
	for (i = 0; i != 20; i++) {
		ASSERT_OK(iofd_ioas_alloc(c.fd, &c.ioas));
		ASSERT_OK(iofd_mock_dev(c.fd, c.ioas, &stdev, NULL, NULL));
		__atomic_store_n(&c.stop, 0, __ATOMIC_RELAXED);
		ASSERT_EQ(0, pthread_create(&t, NULL, busy_thread, &c));
		usleep(2000);
		/* The device goes while maps into its IOAS are in flight. */
		ASSERT_OK(iofd_destroy(c.fd, stdev));
		/*
		 * An ioctl in flight may make DESTROY see the IOAS as busy for
		 * a moment; it must succeed once the ioctl is done, never
		 * hang and never leave a half-destroyed object.
		 */
		tries = 0;
		do {
			rc = iofd_destroy(c.fd, c.ioas);
		} while (rc && errno == EBUSY && ++tries < 100000);
		ASSERT_EQ(0, rc);
		__atomic_store_n(&c.stop, 1, __ATOMIC_RELAXED);
		ASSERT_EQ(0, pthread_join(t, NULL));
		ASSERT_ERRNO(ENOENT, iofd_destroy(c.fd, c.ioas));
	}
	ASSERT_OK(iofd_check_pins(c.fd, c.buf, P(64), 0));
	ASSERT_OK(iofd_close_and_check_unpinned(c.fd, c.buf, P(64)));
}

static void *until_ebadf_thread(void *arg)
{
	struct closer *c = arg;
	__u64 iova;

	/* Map and unmap until the fd is gone under our feet. */
	for (;;) {
		if (iofd_map_auto(c->fd, c->ioas, c->buf, P(8), &iova)) {
			if (errno == EBADF)
				break;
			continue;
		}
		if (iofd_unmap(c->fd, c->ioas, iova, P(8), NULL) &&
		    errno == EBADF)
			break;
	}
	return NULL;
}

TEST_F_TIMEOUT(stress, close_races_with_use, 240)
{
	struct closer c = { .buf = self->sh.buf };
	unsigned int i;
	pthread_t t;
	int fd;

	for (i = 0; i != 10; i++) {
		c.fd = iofd_open();
		ASSERT_LE(0, c.fd);
		ASSERT_OK(iofd_ioas_alloc(c.fd, &c.ioas));
		ASSERT_OK(iofd_mock_dev(c.fd, c.ioas, NULL, NULL, NULL));
		ASSERT_EQ(0, pthread_create(&t, NULL, until_ebadf_thread, &c));
		usleep(3000);
		/* The last ioctl in flight finishes, then the context goes. */
		ASSERT_EQ(0, close(c.fd));
		ASSERT_EQ(0, pthread_join(t, NULL));
	}
	fd = iofd_open();
	ASSERT_LE(0, fd);
	ASSERT_OK(iofd_check_pins(fd, c.buf, P(64), 0));
	close(fd);
}

TEST_HARNESS_MAIN
