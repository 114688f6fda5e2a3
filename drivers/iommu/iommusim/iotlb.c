// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommusim IOTLB model: a fixed number of cached leaf translations, each
 * under the tag its family builds from what the hardware keys it by.
 *
 * Entries live in one array; a hash table over (tag, page, page size)
 * finds them, so a lookup costs at most one short bucket walk per page
 * size in use (4 KiB, 2 MiB, 1 GiB, most specific first). When the array
 * is full, insertion evicts in FIFO order (a hand sweeping the array),
 * like a simple round-robin replacement policy. Invalidation scans the
 * array: it is the rare path.
 *
 * One spinlock covers everything; it is taken from simulated DMA (process
 * context, dma_sem held for read) and from invalidations.
 */
#include <linux/hash.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "iommusim.h"

#define SIMIO_TLB_DEFAULT	512
#define SIMIO_TLB_MAX		BIT(20)
#define SIMIO_TLB_NR_SIZES	3

static const u64 simio_tlb_sizes[SIMIO_TLB_NR_SIZES] = {
	SZ_4K, SZ_2M, SZ_1G
};

struct simio_tlb_slot {
	struct hlist_node node;
	struct simio_tlb_entry e;
	u8 size_idx;
	bool used;
};

struct simio_tlb {
	spinlock_t lock;		/* everything below */
	unsigned int capacity;
	unsigned int nr;
	unsigned int hand;		/* next FIFO victim */
	unsigned int hash_bits;
	unsigned int nr_free;
	unsigned int by_size[SIMIO_TLB_NR_SIZES];
	u32 *free;			/* stack of unused slot indexes */
	struct simio_tlb_slot *slots;
	struct hlist_head *buckets;
	u64 hits;
	u64 misses;
	u64 invalidated;
};

static int simio_tlb_size_idx(u64 page_size)
{
	int i;

	for (i = 0; i < SIMIO_TLB_NR_SIZES; i++)
		if (simio_tlb_sizes[i] == page_size)
			return i;
	return -1;
}

static struct hlist_head *simio_tlb_bucket(struct simio_tlb *tlb, u64 tag,
					   u64 page, unsigned int size_idx)
{
	/* page is 4 KiB aligned: the size index fits in its low bits */
	u64 key = (page | size_idx) ^ (tag * GOLDEN_RATIO_64);

	return &tlb->buckets[hash_64(key, tlb->hash_bits)];
}

static struct simio_tlb_slot *simio_tlb_find(struct simio_tlb *tlb, u64 tag,
					     u64 page, unsigned int size_idx)
{
	struct simio_tlb_slot *s;

	hlist_for_each_entry(s, simio_tlb_bucket(tlb, tag, page, size_idx),
			     node)
		if (s->e.iova == page && s->e.tag == tag &&
		    s->size_idx == size_idx)
			return s;
	return NULL;
}

/**
 * simio_tlb_create() - allocate an empty IOTLB
 * @capacity: entries; 0 means the default (512)
 *
 * Return: the IOTLB or NULL.
 */
struct simio_tlb *simio_tlb_create(unsigned int capacity)
{
	struct simio_tlb *tlb;
	unsigned int i;

	if (!capacity)
		capacity = SIMIO_TLB_DEFAULT;
	capacity = min(capacity, SIMIO_TLB_MAX);

	tlb = kzalloc(sizeof(*tlb), GFP_KERNEL);
	if (!tlb)
		return NULL;
	tlb->capacity = capacity;
	/* About two buckets per entry keeps chains short */
	tlb->hash_bits = ilog2(roundup_pow_of_two(capacity)) + 1;
	tlb->slots = kvcalloc(capacity, sizeof(*tlb->slots), GFP_KERNEL);
	tlb->free = kvcalloc(capacity, sizeof(*tlb->free), GFP_KERNEL);
	tlb->buckets = kvcalloc(1U << tlb->hash_bits, sizeof(*tlb->buckets),
				GFP_KERNEL);
	if (!tlb->slots || !tlb->free || !tlb->buckets) {
		simio_tlb_destroy(tlb);
		return NULL;
	}
	/* Hand out low slots first: pop from the top of the stack */
	for (i = 0; i < capacity; i++)
		tlb->free[i] = capacity - 1 - i;
	tlb->nr_free = capacity;
	spin_lock_init(&tlb->lock);
	return tlb;
}

/**
 * simio_tlb_destroy() - free an IOTLB
 * @tlb: the IOTLB, or NULL
 */
void simio_tlb_destroy(struct simio_tlb *tlb)
{
	if (!tlb)
		return;
	kvfree(tlb->buckets);
	kvfree(tlb->free);
	kvfree(tlb->slots);
	kfree(tlb);
}

/**
 * simio_tlb_lookup() - look for a cached translation of (@tag, @iova)
 * @tlb: the IOTLB
 * @tag: the family's tag of the context
 * @iova: any input address
 * @out: the entry, copied, on a hit
 *
 * Counts a hit or a miss.
 *
 * Return: true on a hit.
 */
bool simio_tlb_lookup(struct simio_tlb *tlb, u64 tag, u64 iova,
		      struct simio_tlb_entry *out)
{
	struct simio_tlb_slot *s = NULL;
	unsigned int i;

	spin_lock(&tlb->lock);
	for (i = 0; i < SIMIO_TLB_NR_SIZES && !s; i++) {
		if (!tlb->by_size[i])
			continue;
		s = simio_tlb_find(tlb, tag, iova & ~(simio_tlb_sizes[i] - 1),
				   i);
	}
	if (s) {
		*out = s->e;
		tlb->hits++;
	} else {
		tlb->misses++;
	}
	spin_unlock(&tlb->lock);
	return s;
}

static void simio_tlb_remove(struct simio_tlb *tlb, struct simio_tlb_slot *s)
{
	hlist_del(&s->node);
	s->used = false;
	tlb->by_size[s->size_idx]--;
	tlb->nr--;
	tlb->free[tlb->nr_free++] = s - tlb->slots;
}

/**
 * simio_tlb_insert() - cache a translation
 * @tlb: the IOTLB
 * @e: the entry; e->iova is aligned down to e->page_size here
 *
 * An entry of the same tag and page is replaced; when the IOTLB is full
 * the oldest-inserted slot is evicted.
 */
void simio_tlb_insert(struct simio_tlb *tlb, const struct simio_tlb_entry *e)
{
	int size_idx = simio_tlb_size_idx(e->page_size);
	struct simio_tlb_slot *s;
	u64 page;

	if (WARN_ON_ONCE(size_idx < 0))
		return;
	page = e->iova & ~(e->page_size - 1);

	spin_lock(&tlb->lock);
	s = simio_tlb_find(tlb, e->tag, page, size_idx);
	if (!s) {
		if (!tlb->nr_free) {
			/* Full: every slot is used, the hand's goes */
			simio_tlb_remove(tlb, &tlb->slots[tlb->hand]);
			tlb->hand = (tlb->hand + 1) % tlb->capacity;
		}
		s = &tlb->slots[tlb->free[--tlb->nr_free]];
		s->used = true;
		s->size_idx = size_idx;
		tlb->by_size[size_idx]++;
		tlb->nr++;
		hlist_add_head(&s->node,
			       simio_tlb_bucket(tlb, e->tag, page, size_idx));
	}
	s->e = *e;
	s->e.iova = page;
	spin_unlock(&tlb->lock);
}

/* Remove the entries of @tag whose page overlaps [iova, last], by lookup */
static void simio_tlb_inval_pages(struct simio_tlb *tlb, u64 tag, u64 iova,
				  u64 last)
{
	struct simio_tlb_slot *s;
	unsigned int i;
	u64 page;

	for (i = 0; i < SIMIO_TLB_NR_SIZES; i++) {
		u64 sz = simio_tlb_sizes[i];

		for (page = iova & ~(sz - 1);
		     tlb->by_size[i] && page <= last; page += sz) {
			s = simio_tlb_find(tlb, tag, page, i);
			if (s) {
				simio_tlb_remove(tlb, s);
				tlb->invalidated++;
			}
			if (page + sz < page)	/* the top of the space */
				break;
		}
	}
}

/**
 * simio_tlb_invalidate() - drop entries of some contexts and a range
 * @tlb: the IOTLB
 * @match: tag bits that must match ...
 * @mask: ... under this mask (0: every context)
 * @iova: first IOVA of the range
 * @size: bytes; 0 means every IOVA
 *
 * Removes every entry with (tag & @mask) == @match whose page overlaps
 * [@iova, @iova + @size).
 */
void simio_tlb_invalidate(struct simio_tlb *tlb, u64 match, u64 mask,
			  u64 iova, u64 size)
{
	u64 last = size ? iova + size - 1 : U64_MAX;
	unsigned int i;

	if (size && last < iova)	/* wrapped: up to the top */
		last = U64_MAX;
	if (!size)
		iova = 0;

	spin_lock(&tlb->lock);
	/*
	 * One context and a few pages (an unmap of a small range): looking
	 * each page up is far cheaper than scanning every slot.
	 */
	if (mask == U64_MAX && size &&
	    (last - iova) / SZ_4K < tlb->capacity / 8) {
		simio_tlb_inval_pages(tlb, match, iova, last);
		spin_unlock(&tlb->lock);
		return;
	}
	for (i = 0; i < tlb->capacity && tlb->nr; i++) {
		struct simio_tlb_slot *s = &tlb->slots[i];

		if (!s->used || (s->e.tag & mask) != match)
			continue;
		if (s->e.iova > last ||
		    s->e.iova + s->e.page_size - 1 < iova)
			continue;
		simio_tlb_remove(tlb, s);
		tlb->invalidated++;
	}
	spin_unlock(&tlb->lock);
}

/**
 * simio_tlb_stats() - read the counters
 * @tlb: the IOTLB
 * @st: filled
 * @reset: zero hits, misses and invalidated afterwards
 */
void simio_tlb_stats(struct simio_tlb *tlb, struct simio_tlb_stats *st,
		     bool reset)
{
	spin_lock(&tlb->lock);
	st->entries = tlb->nr;
	st->capacity = tlb->capacity;
	st->hits = tlb->hits;
	st->misses = tlb->misses;
	st->invalidated = tlb->invalidated;
	if (reset) {
		tlb->hits = 0;
		tlb->misses = 0;
		tlb->invalidated = 0;
	}
	spin_unlock(&tlb->lock);
}
