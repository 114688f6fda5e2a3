// SPDX-License-Identifier: GPL-2.0-only
/*
 * The user bitmap of IOMMU_HWPT_GET_DIRTY_BITMAP.
 *
 * Drivers report dirty IOVA ranges through iofd_dirty_record(); the core
 * turns them into bits of the caller's bitmap, where bit n stands for
 * [iova + n * page_size, iova + (n + 1) * page_size). Bits are only ever
 * set: a bit the caller already set stays set, a bit nothing reported keeps
 * whatever the caller left in it.
 *
 * The bitmap can be far larger than anything the kernel should allocate
 * (one bit per 4 KiB of a 64 TiB guest is 2 GiB), so the harvest walks it
 * in windows of IOFD_DIRTY_WIN_BITS bits: the core asks the driver about
 * the IOVA of one window at a time, the driver's records land in a
 * one-page kernel buffer, and the buffer is OR-ed into user memory after
 * each window with no driver or page-table lock held. Records never touch
 * user memory themselves, so a driver may call iofd_dirty_record() from
 * any context.
 *
 * An IOPTE larger than page_size may straddle the window edge (a 2 MiB
 * leaf when the window ends in its middle). Such a record overlaps the
 * window, so the part outside it is contiguous with the window: the parts
 * left and right of the window are each kept as one interval and written
 * when the window is flushed. A record that does not even touch the window
 * breaks the driver contract; it is written directly (which may fault and
 * sleep, as the contract allows).
 *
 * Byte order: bit n is bit n % 8 of byte n / 8, which is the uAPI's "bit
 * n % 64 of __u64 word n / 64" on the little-endian machines this module
 * is built for, and which lets the caller's bitmap start at any byte (as
 * upstream allows).
 */
#include <linux/bitops.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "iommufd_private.h"

#ifdef __BIG_ENDIAN
#error "the dirty bitmap writer assumes little-endian __u64 words"
#endif

/* Half the page buffers the window, the other half stages user bytes */
#define IOFD_DIRTY_WIN_BYTES	(PAGE_SIZE / 2)
#define IOFD_DIRTY_WIN_BITS	(IOFD_DIRTY_WIN_BYTES * BITS_PER_BYTE)

/* Set bits [first, last] of the byte array @map */
static void iofd_bits_set(u8 *map, unsigned long first, unsigned long last)
{
	while (first <= last) {
		unsigned int bit = first % BITS_PER_BYTE;
		unsigned long n;

		if (!bit && last - first >= BITS_PER_BYTE - 1) {
			/* Whole bytes */
			n = (last - first + 1) / BITS_PER_BYTE;
			memset(map + first / BITS_PER_BYTE, 0xff, n);
			first += n * BITS_PER_BYTE;
			continue;
		}
		n = min_t(unsigned long, BITS_PER_BYTE - bit, last - first + 1);
		map[first / BITS_PER_BYTE] |= GENMASK(bit + n - 1, bit);
		first += n;
	}
}

/*
 * OR @n bytes of @src (NULL: set bits [first, last] instead) into the user
 * bitmap at byte @ubyte, through the staging half of the buffer.
 */
static int iofd_dirty_user_or(struct iofd_dirty *dirty, unsigned long ubyte,
			      const u8 *src, size_t n)
{
	u8 *stage = dirty->buf + IOFD_DIRTY_WIN_BYTES;
	size_t i;

	if (copy_from_user(stage, dirty->data + ubyte, n))
		return -EFAULT;
	for (i = 0; i != n; i++)
		stage[i] |= src[i];
	if (copy_to_user(dirty->data + ubyte, stage, n))
		return -EFAULT;
	return 0;
}

/* Set bits [first, last] of the user bitmap directly, a window at a time */
static int iofd_dirty_user_set(struct iofd_dirty *dirty, unsigned long first,
			       unsigned long last)
{
	u8 *stage = dirty->buf + IOFD_DIRTY_WIN_BYTES;

	while (first <= last) {
		unsigned long ubyte = first / BITS_PER_BYTE;
		unsigned long base = ubyte * BITS_PER_BYTE;
		size_t n = min_t(unsigned long, IOFD_DIRTY_WIN_BYTES,
				 last / BITS_PER_BYTE - ubyte + 1);
		unsigned long end = min(last, base + n * BITS_PER_BYTE - 1);

		if (copy_from_user(stage, dirty->data + ubyte, n))
			return -EFAULT;
		iofd_bits_set(stage, first - base, end - base);
		if (copy_to_user(dirty->data + ubyte, stage, n))
			return -EFAULT;
		if (end == last)
			break;
		first = end + 1;
	}
	return 0;
}

void iofd_dirty_record(struct iofd_dirty *dirty, unsigned long iova,
		       unsigned long length)
{
	unsigned long last, first_bit, last_bit, wlast;

	/* A discarding harvest (enabling tracking), or already failed */
	if (!dirty || !dirty->data || !length || dirty->rc)
		return;

	if (check_add_overflow(iova, length - 1, &last))
		last = ULONG_MAX;
	/* Clip to the request: a large IOPTE may reach beyond it */
	iova = max(iova, dirty->iova);
	last = min(last, dirty->last);
	if (iova > last)
		return;

	first_bit = (iova - dirty->iova) >> dirty->pgshift;
	last_bit = (last - dirty->iova) >> dirty->pgshift;
	wlast = dirty->wfirst + IOFD_DIRTY_WIN_BITS - 1;

	/* Driver bug: not even touching the window. Write it as it is. */
	if (WARN_ON_ONCE(last_bit + 1 < dirty->wfirst ||
			 first_bit > wlast + 1)) {
		dirty->rc = iofd_dirty_user_set(dirty, first_bit, last_bit);
		return;
	}

	if (first_bit < dirty->wfirst) {
		if (!dirty->spill_left || first_bit < dirty->left_first)
			dirty->left_first = first_bit;
		dirty->spill_left = true;
		first_bit = dirty->wfirst;
	}
	if (last_bit > wlast) {
		if (!dirty->spill_right || last_bit > dirty->right_last)
			dirty->right_last = last_bit;
		dirty->spill_right = true;
		last_bit = wlast;
	}
	if (first_bit > last_bit)
		return;

	first_bit -= dirty->wfirst;
	last_bit -= dirty->wfirst;
	iofd_bits_set(dirty->buf, first_bit, last_bit);
	dirty->lo = min(dirty->lo, first_bit);
	dirty->hi = max(dirty->hi, last_bit);
	dirty->touched = true;
}
EXPORT_SYMBOL_GPL(iofd_dirty_record);

int iofd_dirty_init(struct iofd_dirty *dirty, unsigned long iova,
		    unsigned long length, unsigned long page_size,
		    void __user *data)
{
	unsigned long nbits, nbytes;

	memset(dirty, 0, sizeof(*dirty));
	dirty->iova = iova;
	dirty->last = iova + length - 1;
	dirty->pgshift = __ffs(page_size);
	nbits = length >> dirty->pgshift;
	nbytes = nbits / BITS_PER_BYTE + !!(nbits % BITS_PER_BYTE);
	dirty->nbits = nbits;

	/* Refuse a bitmap we cannot write before any dirty state is lost */
	if (!data || !access_ok(data, nbytes))
		return -EFAULT;
	dirty->data = data;

	dirty->buf = kzalloc(2 * IOFD_DIRTY_WIN_BYTES, GFP_KERNEL_ACCOUNT);
	if (!dirty->buf)
		return -ENOMEM;
	dirty->lo = ULONG_MAX;
	return 0;
}

void iofd_dirty_destroy(struct iofd_dirty *dirty)
{
	kfree(dirty->buf);
	dirty->buf = NULL;
}

bool iofd_dirty_window(struct iofd_dirty *dirty, unsigned long *start,
		       unsigned long *last)
{
	unsigned long nbits;

	if (dirty->done)
		return false;
	nbits = min_t(unsigned long, IOFD_DIRTY_WIN_BITS,
		      dirty->nbits - dirty->wfirst);
	*start = dirty->iova + (dirty->wfirst << dirty->pgshift);
	/* Wraps to ULONG_MAX for a request that ends at the top */
	*last = *start + (nbits << dirty->pgshift) - 1;
	return true;
}

int iofd_dirty_flush(struct iofd_dirty *dirty)
{
	unsigned long wlast = dirty->wfirst + IOFD_DIRTY_WIN_BITS - 1;
	int rc = dirty->rc;

	if (!rc && dirty->spill_left)
		rc = iofd_dirty_user_set(dirty, dirty->left_first,
					 dirty->wfirst - 1);
	if (!rc && dirty->spill_right)
		rc = iofd_dirty_user_set(dirty, wlast + 1, dirty->right_last);
	if (!rc && dirty->touched) {
		/* Whole bytes: the window starts on a byte boundary */
		unsigned long b0 = dirty->lo / BITS_PER_BYTE;
		unsigned long b1 = dirty->hi / BITS_PER_BYTE;

		rc = iofd_dirty_user_or(dirty,
					dirty->wfirst / BITS_PER_BYTE + b0,
					dirty->buf + b0, b1 - b0 + 1);
		memset(dirty->buf + b0, 0, b1 - b0 + 1);
	}
	dirty->rc = rc;
	dirty->spill_left = false;
	dirty->spill_right = false;
	dirty->touched = false;
	dirty->lo = ULONG_MAX;
	dirty->hi = 0;

	/* Next window, unless this one reached the end of the bitmap */
	if (dirty->nbits - dirty->wfirst <= IOFD_DIRTY_WIN_BITS)
		dirty->done = true;
	else
		dirty->wfirst += IOFD_DIRTY_WIN_BITS;
	return rc;
}
