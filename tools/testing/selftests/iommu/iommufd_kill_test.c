// SPDX-License-Identifier: GPL-2.0-only
/*
 * Lifetime under SIGKILL: child processes work on objects they share with
 * the parent (one iommufd, its IOASes and mock domains, inherited across
 * fork()) from several threads each: map and unmap, COPY, attach, replace
 * and destroy mock devices, create accesses, pin through them and copy
 * through them. The parent kills all of them with SIGKILL at random
 * moments, round after round, so the kill lands in the middle of those
 * requests. Afterwards the accounting must be back where it started:
 *
 *  - process mode (RLIMIT_MODE 1): no page of any buffer is pinned once
 *    the shared IOASes are emptied, and the parent's VmPin and VmLck are
 *    what they were before the first child ran; MemFree is roughly back;
 *  - user mode (the default): the children run as an ordinary user with an
 *    RLIMIT_MEMLOCK of L pages. After the killed rounds and the close of
 *    the shared file, a fresh process of the same user (kept alive by a
 *    sleeping process of that uid, so the per-user counter cannot simply
 *    be freed) can pin exactly L pages and not one more: the counter is
 *    exactly zero, neither leaked nor refunded twice;
 *  - own files: children that open their own iommufd leave nothing pinned
 *    the moment they are reaped.
 *
 * The VM runner scans the kernel log afterwards (KASAN, lockdep, WARN ...).
 */
#include "iofd_test_util.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#define P(n) ((__u64)(n) * iofd_psize)

#define NCHILD		4
#define NTHREAD		4
#define CHILD_PAGES	64		/* per child, 16 per thread */
#define PARENT_PAGES	64
#define TOTAL_PAGES	(PARENT_PAGES + NCHILD * CHILD_PAGES)
#define WINDOW		(16ULL << 20)	/* IOVA window of a child */
#define LIMIT_PAGES	64		/* RLIMIT_MEMLOCK of the test user */
#define TEST_UID	4242

/* Memory shared by the parent and all children */
struct shm {
	unsigned long ops[NCHILD];	/* requests that returned */
	unsigned long started[NCHILD];
};

struct work {
	int fd;
	int child;
	int thread;
	__u32 ioas, ioas2;
	char *buf;			/* TOTAL_PAGES, shared */
	struct shm *shm;
	bool own_fd;
};

static void done(struct work *w)
{
	__atomic_add_fetch(&w->shm->ops[w->child], 1, __ATOMIC_RELAXED);
}

static char *child_pages(struct work *w)
{
	return w->buf + P(PARENT_PAGES + w->child * CHILD_PAGES +
			  w->thread * (CHILD_PAGES / NTHREAD));
}

static __u64 child_iova(struct work *w)
{
	return MOCK_APERTURE_START + WINDOW * (1 + w->child) +
	       (WINDOW / NTHREAD) * w->thread;
}

/* Thread 0: map and unmap the child's own pages */
static void mapper(struct work *w)
{
	__u64 iova = child_iova(w);
	unsigned int n = 0;

	for (;; n++) {
		__u64 len = P(1 + n % (CHILD_PAGES / NTHREAD));

		if (!iofd_map_fixed(w->fd, w->ioas, child_pages(w), len, iova))
			iofd_unmap(w->fd, w->ioas, iova, len, NULL);
		done(w);
	}
}

/* Thread 1: COPY the parent's mapping into the second IOAS and back out */
static void copier(struct work *w)
{
	for (;;) {
		__u64 dst = child_iova(w);

		if (!iofd_copy(w->fd, w->ioas2, &dst, w->ioas,
			       MOCK_APERTURE_START, P(PARENT_PAGES),
			       IOMMU_IOAS_MAP_FIXED_IOVA | IOFD_RW))
			iofd_unmap(w->fd, w->ioas2, dst, P(PARENT_PAGES), NULL);
		done(w);
	}
}

/* Thread 2: mock devices come, move between the IOASes and go */
static void attacher(struct work *w)
{
	unsigned int n = 0;

	for (;; n++) {
		__u32 stdev, hwpt;

		if (iofd_mock_dev(w->fd, n & 1 ? w->ioas : w->ioas2, &stdev,
				  NULL, NULL)) {
			done(w);
			continue;
		}
		iofd_mock_replace(w->fd, stdev, n & 1 ? w->ioas2 : w->ioas,
				  &hwpt);
		if (n % 3)
			iofd_destroy(w->fd, stdev);
		done(w);
	}
}

/* Thread 3: an access pins the parent's pages and copies through them */
static void accessor(struct work *w)
{
	char tmp[256];

	for (;;) {
		__u32 pages;
		int afd;

		if (iofd_access_create(w->fd, w->ioas,
				       MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				       &afd)) {
			done(w);
			continue;
		}
		if (!iofd_access_pin(w->fd, afd, 0, MOCK_APERTURE_START,
				     P(PARENT_PAGES / 2), w->buf, &pages)) {
			iofd_access_rw(w->fd, afd, MOCK_APERTURE_START + 100,
				       tmp, sizeof(tmp), 0);
			/* sometimes the pin is left for close to undo */
			if (w->shm->ops[w->child] & 1)
				iofd_access_unpin(w->fd, afd, pages);
		}
		iofd_access_rw(w->fd, afd, MOCK_APERTURE_START + P(3), tmp,
			       sizeof(tmp), MOCK_ACCESS_RW_WRITE);
		close(afd);
		done(w);
	}
}

static void *thread_main(void *arg)
{
	struct work *w = arg;

	switch (w->thread) {
	case 0:
		mapper(w);
		break;
	case 1:
		copier(w);
		break;
	case 2:
		attacher(w);
		break;
	default:
		accessor(w);
		break;
	}
	return NULL;
}

/* Body of a child: threads until the parent's SIGKILL */
static void child_main(struct work *base)
{
	static struct work w[NTHREAD];
	pthread_t t;
	int i;

	if (base->own_fd) {
		/* A context of its own, shaped like the parent's */
		base->fd = iofd_open();
		if (base->fd < 0 || iofd_ioas_alloc(base->fd, &base->ioas) ||
		    iofd_ioas_alloc(base->fd, &base->ioas2) ||
		    iofd_mock_dev(base->fd, base->ioas, NULL, NULL, NULL) ||
		    iofd_map_fixed(base->fd, base->ioas, base->buf,
				   P(PARENT_PAGES), MOCK_APERTURE_START))
			_exit(3);
	}
	for (i = 0; i != NTHREAD; i++) {
		w[i] = *base;
		w[i].thread = i;
		if (pthread_create(&t, NULL, thread_main, &w[i]))
			_exit(2);
	}
	__atomic_store_n(&base->shm->started[base->child], 1,
			 __ATOMIC_RELEASE);
	for (;;)
		pause();
}

static unsigned int rnd_state;

static unsigned int rnd(unsigned int n)
{
	return rand_r(&rnd_state) % n;
}

/* Is this the debug kernel (much slower)? */
static bool slow_kernel(void)
{
	return !access("/sys/kernel/debug/kmemleak", F_OK) ||
	       !access("/sys/kernel/debug/kcov", F_OK);
}

/*
 * @rounds times: start NCHILD children (each runs @prep, if any, then
 * child_main), wait until every one has its threads going, let them run a
 * random while and SIGKILL all of them. Returns the number of children
 * that ended any other way than by our SIGKILL.
 */
static int kill_rounds(struct work *base, unsigned int rounds,
		       int (*prep)(void), unsigned long *total_ops)
{
	unsigned int r, max_ms = slow_kernel() ? 120 : 30;
	int bad = 0, i, status;
	pid_t pid[NCHILD];

	for (r = 0; r != rounds; r++) {
		memset(base->shm, 0, sizeof(*base->shm));
		fflush(stdout);
		fflush(stderr);
		for (i = 0; i != NCHILD; i++) {
			pid[i] = fork();
			if (pid[i] < 0)
				return -1;
			if (!pid[i]) {
				base->child = i;
				if (prep && prep())
					_exit(4);
				child_main(base);
			}
		}
		/* Up to 5 s for the threads to start, then a random while */
		for (i = 0; i != 5000; i++) {
			int j, n = 0;

			for (j = 0; j != NCHILD; j++)
				n += __atomic_load_n(&base->shm->started[j],
						     __ATOMIC_ACQUIRE) != 0;
			if (n == NCHILD)
				break;
			usleep(1000);
		}
		usleep(1000 * (1 + rnd(max_ms)));
		for (i = 0; i != NCHILD; i++)
			kill(pid[i], SIGKILL);
		for (i = 0; i != NCHILD; i++) {
			if (waitpid(pid[i], &status, 0) != pid[i] ||
			    !WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
				fprintf(stderr, "# child %d: status %#x\n", i,
					status);
				bad++;
			}
			*total_ops += base->shm->ops[i];
		}
	}
	return bad;
}

static long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	size_t klen = strlen(key);
	char line[128];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			v = strtol(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

static long settled_memfree_kb(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);

	ssize_t n;

	/* Not fatal if it fails: MemFree is a rough check anyway */
	if (fd >= 0) {
		n = write(fd, "3", 1);
		close(fd);
		(void)n;
	}
	usleep(200000);		/* RCU callbacks, deferred frees */
	return meminfo_kb("MemFree");
}

FIXTURE(kill)
{
	struct work w;
	unsigned int rounds;
};

FIXTURE_SETUP(kill)
{
	memset(&self->w, 0, sizeof(self->w));
	self->w.buf = iofd_alloc_buf(P(TOTAL_PAGES));
	ASSERT_NE(NULL, self->w.buf);
	self->w.shm = mmap(NULL, sizeof(struct shm), PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->w.shm);
	self->w.fd = -1;
	self->rounds = slow_kernel() ? 8 : 12;
	rnd_state = time(NULL) ^ getpid();
	TH_LOG("random seed %u", rnd_state);
}

FIXTURE_TEARDOWN(kill)
{
	if (self->w.fd >= 0)
		close(self->w.fd);
	munmap(self->w.buf, P(TOTAL_PAGES));
	munmap(self->w.shm, sizeof(struct shm));
}

/* Every page of the shared buffer has @pins pins, checked on a fresh fd */
static int pins_now(char *buf, unsigned int first, unsigned int n,
		    unsigned int pins)
{
	int fd = iofd_open(), rc;

	if (fd < 0)
		return -1;
	rc = iofd_check_pins(fd, buf + P(first), P(n), pins);
	close(fd);
	return rc;
}

TEST_F_TIMEOUT(kill, process_mode_accounting, 150)
{
	struct work *w = &self->w;
	long pin0 = iofd_status_kb("VmPin"), lck0 = iofd_status_kb("VmLck");
	long free0, free1, total = meminfo_kb("MemTotal");
	unsigned long ops = 0;
	__u64 mode = 1;
	int bad;

	if (pin0 < 0 || lck0 < 0)
		SKIP(return, "no VmPin/VmLck in /proc/self/status");
	free0 = settled_memfree_kb();

	w->fd = iofd_open();
	ASSERT_LE(0, w->fd);
	ASSERT_OK(iofd_option(w->fd, IOMMU_OPTION_RLIMIT_MODE,
			      IOMMU_OPTION_OP_SET, 0, &mode));
	ASSERT_OK(iofd_ioas_alloc(w->fd, &w->ioas));
	ASSERT_OK(iofd_ioas_alloc(w->fd, &w->ioas2));
	ASSERT_OK(iofd_mock_dev(w->fd, w->ioas, NULL, NULL, NULL));
	ASSERT_OK(iofd_mock_dev(w->fd, w->ioas2, NULL, NULL, NULL));
	ASSERT_OK(iofd_map_fixed(w->fd, w->ioas, w->buf, P(PARENT_PAGES),
				 MOCK_APERTURE_START));
	/*
	 * The pages are pinned for this process (VmPin); root's CAP_IPC_LOCK
	 * exempts it from the RLIMIT charge (VmLck), which must stay put.
	 */
	ASSERT_EQ(pin0 + (long)(P(PARENT_PAGES) / 1024),
		  iofd_status_kb("VmPin"));
	ASSERT_EQ(geteuid() ? lck0 + (long)(P(PARENT_PAGES) / 1024) : lck0,
		  iofd_status_kb("VmLck"));

	bad = kill_rounds(w, self->rounds, NULL, &ops);
	TH_LOG("%u rounds x %d children x %d threads, %lu requests returned before the kills",
	       self->rounds, NCHILD, NTHREAD, ops);
	ASSERT_EQ(0, bad);
	ASSERT_LT(0, ops);

	/* The context survived its users: still fully usable */
	ASSERT_OK(iofd_check_pins(w->fd, w->buf, P(PARENT_PAGES), 1));
	ASSERT_EQ(pin0 + (long)(P(PARENT_PAGES) / 1024),
		  iofd_status_kb("VmPin"));

	/* Empty both IOASes: whatever the children left goes */
	ASSERT_OK(iofd_unmap(w->fd, w->ioas, 0, UINT64_MAX, NULL));
	iofd_unmap(w->fd, w->ioas2, 0, UINT64_MAX, NULL);
	ASSERT_OK(pins_now(w->buf, 0, TOTAL_PAGES, 0));
	ASSERT_EQ(pin0, iofd_status_kb("VmPin"));
	ASSERT_EQ(lck0, iofd_status_kb("VmLck"));

	/* And closing the file (devices, accesses of dead children) */
	ASSERT_EQ(0, close(w->fd));
	w->fd = -1;
	ASSERT_OK(pins_now(w->buf, 0, TOTAL_PAGES, 0));
	ASSERT_EQ(pin0, iofd_status_kb("VmPin"));
	ASSERT_EQ(lck0, iofd_status_kb("VmLck"));

	free1 = settled_memfree_kb();
	TH_LOG("MemFree %ld kB before, %ld kB after (MemTotal %ld kB)", free0,
	       free1, total);
	/* Roughly: KASAN's quarantine and per-CPU lists keep some memory */
	ASSERT_LT(free0 - free1, total / 16);
}

static int become_test_user(void)
{
	struct rlimit rl = { P(LIMIT_PAGES), P(LIMIT_PAGES) };

	if (setresgid(TEST_UID, TEST_UID, TEST_UID) ||
	    setresuid(TEST_UID, TEST_UID, TEST_UID))
		return -1;
	return setrlimit(RLIMIT_MEMLOCK, &rl);
}

/* A fresh process of the test user can pin exactly LIMIT_PAGES */
static int pin_exactly_the_limit(void *arg)
{
	char *buf = arg;
	__u32 ioas;
	int fd = iofd_open();

	CHILD_CHECK(1, fd >= 0);
	CHILD_CHECK(2, !become_test_user());
	CHILD_CHECK(3, !iofd_ioas_alloc(fd, &ioas));
	CHILD_CHECK(4, !iofd_mock_dev(fd, ioas, NULL, NULL, NULL));
	CHILD_CHECK(5, !iofd_map_fixed(fd, ioas, buf, P(LIMIT_PAGES),
				       MOCK_APERTURE_START));
	CHILD_CHECK(6, iofd_map_fixed(fd, ioas, buf + P(LIMIT_PAGES), P(1),
				      MOCK_APERTURE_START + P(LIMIT_PAGES)) ==
			       -1);
	CHILD_CHECK(7, errno == ENOMEM);
	CHILD_CHECK(8, !iofd_unmap(fd, ioas, 0, UINT64_MAX, NULL));
	CHILD_CHECK(9, !close(fd));
	return 0;
}

TEST_F_TIMEOUT(kill, user_mode_rlimit_accounting, 150)
{
	struct work *w = &self->w;
	unsigned long ops = 0;
	pid_t holder;
	int bad, status;

	if (geteuid() != 0)
		SKIP(return, "needs root to switch to the test user");
	/*
	 * The per-user counter lives as long as any process of the user:
	 * this one keeps it, so a leak cannot hide behind a freed counter.
	 */
	holder = fork();
	ASSERT_LE(0, holder);
	if (!holder) {
		if (become_test_user())
			_exit(1);
		for (;;)
			pause();
	}

	/* Before: the limit is usable as a whole */
	ASSERT_EQ(0, iofd_in_child(pin_exactly_the_limit, w->buf));

	/* The parent (root) owns the context; the children pin as the user */
	w->fd = iofd_open();
	ASSERT_LE(0, w->fd);
	ASSERT_OK(iofd_ioas_alloc(w->fd, &w->ioas));
	ASSERT_OK(iofd_ioas_alloc(w->fd, &w->ioas2));
	ASSERT_OK(iofd_mock_dev(w->fd, w->ioas, NULL, NULL, NULL));
	ASSERT_OK(iofd_mock_dev(w->fd, w->ioas2, NULL, NULL, NULL));
	ASSERT_OK(iofd_map_fixed(w->fd, w->ioas, w->buf, P(PARENT_PAGES),
				 MOCK_APERTURE_START));

	bad = kill_rounds(w, self->rounds, become_test_user, &ops);
	TH_LOG("%u rounds x %d children x %d threads as uid %d, %lu requests",
	       self->rounds, NCHILD, NTHREAD,
	       TEST_UID, ops);
	ASSERT_EQ(0, bad);
	ASSERT_LT(0, ops);

	ASSERT_EQ(0, close(w->fd));
	w->fd = -1;
	ASSERT_OK(pins_now(w->buf, 0, TOTAL_PAGES, 0));

	/* After: exactly the limit again, so the counter is exactly zero */
	ASSERT_EQ(0, iofd_in_child(pin_exactly_the_limit, w->buf));

	kill(holder, SIGKILL);
	ASSERT_EQ(holder, waitpid(holder, &status, 0));
}

TEST_F_TIMEOUT(kill, own_files_released_on_kill, 150)
{
	struct work *w = &self->w;
	unsigned long ops = 0;
	int bad;

	w->own_fd = true;
	bad = kill_rounds(w, self->rounds, NULL, &ops);
	TH_LOG("%u rounds, %lu requests returned before the kills",
	       self->rounds, ops);
	ASSERT_EQ(0, bad);
	/* Reaped means closed: nothing of theirs may stay pinned */
	ASSERT_OK(pins_now(w->buf, 0, TOTAL_PAGES, 0));
}

TEST_HARNESS_MAIN
