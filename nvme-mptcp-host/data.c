// SPDX-License-Identifier: GPL-2.0
/*
 * Request data: a cursor over the bios of a request, and the CRC32C that
 * NVMe/TCP uses for header and data digests.
 */
#include <linux/bio.h>
#include <linux/crc32c.h>
#include <linux/highmem.h>
#include "nvme-mptcp.h"

static void nvme_mptcp_cursor_load(struct nvme_mptcp_cursor *cur,
				   unsigned int dir)
{
	struct bio *bio = cur->bio;
	const struct bio_vec *first = __bvec_iter_bvec(bio->bi_io_vec, bio->bi_iter);
	struct bvec_iter it;
	struct bio_vec bv;
	unsigned int nr = 0;

	/* Whole (possibly multi-page) bvecs, from where the bio starts. */
	bio_for_each_bvec(bv, bio, it)
		nr++;
	iov_iter_bvec(&cur->iter, dir, first, nr, bio->bi_iter.bi_size);
	/*
	 * How far into its first bvec the bio starts, through the helper
	 * rather than the field: bi_bvec_done became bi_offset in 7.3.
	 */
	cur->iter.iov_offset = mp_bvec_iter_offset(bio->bi_io_vec, bio->bi_iter) -
			       first->bv_offset;
}

void nvme_mptcp_cursor_init(struct nvme_mptcp_request *req, unsigned int dir)
{
	struct request *rq = blk_mq_rq_from_pdu(req);
	struct nvme_mptcp_cursor *cur = &req->cursor;

	if (rq->rq_flags & RQF_SPECIAL_PAYLOAD) {
		cur->bio = NULL;
		iov_iter_bvec(&cur->iter, dir, &rq->special_vec, 1,
			      blk_rq_payload_bytes(rq));
		return;
	}
	cur->bio = rq->bio;
	nvme_mptcp_cursor_load(cur, dir);
}

/* The iterator to move data with; steps to the next bio when one is done. */
struct iov_iter *nvme_mptcp_cursor_iter(struct nvme_mptcp_request *req)
{
	struct nvme_mptcp_cursor *cur = &req->cursor;

	while (!iov_iter_count(&cur->iter) && cur->bio && cur->bio->bi_next) {
		cur->bio = cur->bio->bi_next;
		nvme_mptcp_cursor_load(cur, iov_iter_rw(&cur->iter));
	}
	return &cur->iter;
}

/* CRC32C of the next @len bytes of a bvec iterator, without advancing it. */
u32 nvme_mptcp_crc_iter(u32 crc, const struct iov_iter *iter, size_t len)
{
	const struct bio_vec *bv = iter->bvec;
	size_t skip = iter->iov_offset;

	while (len) {
		size_t off, chunk;
		void *addr;

		if (skip >= bv->bv_len) {
			skip -= bv->bv_len;
			bv++;
			continue;
		}
		off = bv->bv_offset + skip;
		chunk = min3(len, (size_t)bv->bv_len - skip,
			     PAGE_SIZE - offset_in_page(off));
		addr = kmap_local_page(bv->bv_page + off / PAGE_SIZE);
		crc = crc32c(crc, addr + offset_in_page(off), chunk);
		kunmap_local(addr);
		skip += chunk;
		len -= chunk;
	}
	return crc;
}

/*
 * Copy into @bv the bvecs for the next @len bytes of a bvec iterator that
 * holds at least that much, one entry per bvec piece, its page the one
 * the piece starts in (a piece of a multi-page bvec may still run on into
 * the next pages: fine for sendmsg, which copies page by page).
 * Returns the entries used, or -E2BIG when more than @max are needed.
 */
int nvme_mptcp_iter_bvecs(const struct iov_iter *iter, size_t len,
			  struct bio_vec *bv, int max)
{
	const struct bio_vec *src = iter->bvec;
	size_t skip = iter->iov_offset;
	int n = 0;

	while (len) {
		size_t off, chunk;

		if (skip >= src->bv_len) {
			skip -= src->bv_len;
			src++;
			continue;
		}
		if (n == max)
			return -E2BIG;
		off = src->bv_offset + skip;
		chunk = min_t(size_t, len, src->bv_len - skip);
		bv[n].bv_page = src->bv_page + off / PAGE_SIZE;
		bv[n].bv_offset = offset_in_page(off);
		bv[n].bv_len = chunk;
		len -= chunk;
		skip = 0;
		src++;
		n++;
	}
	return n;
}

u32 nvme_mptcp_crc(u32 crc, const void *buf, size_t len)
{
	return crc32c(crc, buf, len);
}

/* Digests start from ~0 and go on the wire inverted, little endian. */
__le32 nvme_mptcp_crc_final(u32 crc)
{
	return cpu_to_le32(~crc);
}
