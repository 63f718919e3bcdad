// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit: command capsules (with in-capsule data) and H2CData PDUs
 * answering R2Ts, sent with non-blocking sendmsg from the queue's io_work.
 * Partial sends are resumed where they stopped; the socket's write space
 * event reschedules io_work after -EAGAIN.
 */
#include <linux/bvec.h>
#include "nvme-mptcp.h"

static int nvme_mptcp_sendmsg(struct nvme_mptcp_queue *queue,
			      struct msghdr *msg)
{
	int ret;

	msg->msg_flags |= MSG_DONTWAIT | MSG_NOSIGNAL;
	ret = sock_sendmsg(queue->sock, msg);
	if (ret > 0)
		queue->stats.bytes_tx += ret;
	else if (ret == -EAGAIN)
		queue->stats.eagain_tx++;
	return ret;
}

/* More to send right behind this: let the socket coalesce segments. */
static bool nvme_mptcp_more_queued(struct nvme_mptcp_queue *queue)
{
	return !list_empty(&queue->send_list) || !llist_empty(&queue->req_list);
}

/* Send what is left of a header plus its optional digest. */
static int nvme_mptcp_send_hdr(struct nvme_mptcp_request *req, void *hdr,
			       size_t hlen, bool more)
{
	struct nvme_mptcp_queue *queue = req->queue;
	u8 hdgst = nvme_mptcp_hdgst_len(queue);
	struct msghdr msg = { .msg_flags = more ? MSG_MORE : 0 };
	struct kvec vec[2] = {
		{ .iov_base = hdr, .iov_len = hlen },
		{ .iov_base = &req->hdgst, .iov_len = hdgst },
	};
	int ret;

	if (!req->sent && hdgst)
		req->hdgst = nvme_mptcp_crc_final(nvme_mptcp_crc(~0, hdr, hlen));
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, hdgst ? 2 : 1,
		      hlen + hdgst);
	iov_iter_advance(&msg.msg_iter, req->sent);
	ret = nvme_mptcp_sendmsg(queue, &msg);
	if (ret <= 0)
		return ret;
	req->sent += ret;
	if (req->sent == hlen + hdgst) {
		queue->stats.pdus_tx++;
		req->sent = 0;
	}
	return ret;
}

/* Transmit is done with @req; a command already answered completes now. */
static void nvme_mptcp_send_done(struct nvme_mptcp_request *req)
{
	req->tx_busy = false;
	req->queue->send_req = NULL;
	if (req->answered)
		nvme_mptcp_complete_answered(req);
}

/* Prepare the next H2CData PDU of the R2T being answered. */
void nvme_mptcp_setup_h2c(struct nvme_mptcp_request *req)
{
	struct nvme_mptcp_queue *queue = req->queue;
	struct nvme_tcp_data_pdu *h2c = &req->h2c;
	u8 hdgst = nvme_mptcp_hdgst_len(queue);
	u8 ddgst = nvme_mptcp_ddgst_len(queue);
	u32 len = min(req->r2t_left, queue->maxh2cdata);

	memset(h2c, 0, sizeof(*h2c));
	h2c->hdr.type = nvme_tcp_h2c_data;
	if (hdgst)
		h2c->hdr.flags |= NVME_TCP_F_HDGST;
	if (ddgst)
		h2c->hdr.flags |= NVME_TCP_F_DDGST;
	if (len == req->r2t_left)
		h2c->hdr.flags |= NVME_TCP_F_DATA_LAST;
	h2c->hdr.hlen = sizeof(*h2c);
	h2c->hdr.pdo = sizeof(*h2c) + hdgst;
	h2c->hdr.plen = cpu_to_le32(sizeof(*h2c) + hdgst + len + ddgst);
	h2c->command_id = req->cmd.cmd.common.command_id;
	h2c->ttag = req->ttag;
	h2c->data_offset = cpu_to_le32(req->data_done);
	h2c->data_length = cpu_to_le32(len);

	req->pdu_data_left = len;
	req->r2t_left -= len;
	req->data_crc = ~0;
	req->sent = 0;
	req->state = NVME_MPTCP_SEND_H2C;
}

/* After the data of a PDU (and its digest): what comes next. */
static void nvme_mptcp_pdu_data_done(struct nvme_mptcp_request *req)
{
	/* The controller no longer wants data for a command it answered. */
	if (req->r2t_left && !req->answered) {
		nvme_mptcp_setup_h2c(req);
		return;
	}
	nvme_mptcp_send_done(req);
}

static void nvme_mptcp_start_data(struct nvme_mptcp_request *req)
{
	req->data_crc = ~0;
	req->sent = 0;
	req->state = NVME_MPTCP_SEND_DATA;
}

/* @len bytes of the PDU's data went out from @iter. */
static void nvme_mptcp_data_sent(struct nvme_mptcp_request *req,
				 struct iov_iter *iter, size_t len)
{
	if (req->queue->data_digest)
		req->data_crc = nvme_mptcp_crc_iter(req->data_crc, iter, len);
	iov_iter_advance(iter, len);
	req->pdu_data_left -= len;
	req->data_done += len;
}

/* All of the PDU's data went out: its digest, or what comes after it. */
static void nvme_mptcp_data_end(struct nvme_mptcp_request *req)
{
	if (req->queue->data_digest) {
		req->ddgst = nvme_mptcp_crc_final(req->data_crc);
		req->sent = 0;
		req->state = NVME_MPTCP_SEND_DDGST;
	} else {
		nvme_mptcp_pdu_data_done(req);
	}
}

/*
 * Point @bv at @len bytes of kernel memory in the linear map, one entry
 * per page it touches (at most two here).  Returns the entries used.
 */
static int nvme_mptcp_virt_bvecs(struct bio_vec *bv, void *buf, size_t len)
{
	int n = 0;

	while (len) {
		size_t chunk = min_t(size_t, len,
				     PAGE_SIZE - offset_in_page(buf));

		bv[n].bv_page = virt_to_page(buf);
		bv[n].bv_offset = offset_in_page(buf);
		bv[n].bv_len = chunk;
		buf += chunk;
		len -= chunk;
		n++;
	}
	return n;
}

/*
 * Capsule and in-capsule data in one sendmsg: MPTCP picks a subflow for
 * each sendmsg, so sent apart they often took two subflows, and the
 * target's MPTCP held the data until the capsule came; under loss a lost
 * capsule held both.  Only for data of up to NVME_MPTCP_GATHER_MAX in at
 * most the pieces left in bv[], as the target does for small reads.
 * Returns the bytes sent with the send state moved past them, 0 when
 * nothing was sent (the capsule does not qualify), or a negative error.
 */
static int nvme_mptcp_send_capsule_whole(struct nvme_mptcp_request *req)
{
	struct nvme_mptcp_queue *queue = req->queue;
	u8 hdgst = nvme_mptcp_hdgst_len(queue);
	u32 head = sizeof(req->cmd) + hdgst;
	struct bio_vec bv[NVME_MPTCP_GATHER_BVECS];
	struct msghdr msg = { };
	struct iov_iter *iter;
	int n, ret;

	if (!req->inline_len || req->inline_len > NVME_MPTCP_GATHER_MAX ||
	    req->sent)
		return 0;
	iter = nvme_mptcp_cursor_iter(req);
	if (!iov_iter_is_bvec(iter) || iov_iter_count(iter) < req->inline_len)
		return 0;

	/* Request PDUs live in blk-mq's page-allocated request memory. */
	n = nvme_mptcp_virt_bvecs(bv, &req->cmd, sizeof(req->cmd));
	if (hdgst) {
		u32 crc = nvme_mptcp_crc(~0, &req->cmd, sizeof(req->cmd));

		req->hdgst = nvme_mptcp_crc_final(crc);
		n += nvme_mptcp_virt_bvecs(&bv[n], &req->hdgst, hdgst);
	}
	ret = nvme_mptcp_iter_bvecs(iter, req->inline_len, &bv[n],
				    ARRAY_SIZE(bv) - n);
	if (ret <= 0)
		return 0;
	n += ret;

	if (queue->data_digest || nvme_mptcp_more_queued(queue))
		msg.msg_flags = MSG_MORE;
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, bv, n, head + req->inline_len);
	ret = nvme_mptcp_sendmsg(queue, &msg);
	if (ret <= 0)
		return ret;
	if (ret < head) {
		/* send_hdr goes on from here; the digest is already set. */
		req->sent = ret;
		return ret;
	}
	queue->stats.pdus_tx++;
	req->pdu_data_left = req->inline_len;
	nvme_mptcp_start_data(req);
	nvme_mptcp_data_sent(req, iter, ret - head);
	if (!req->pdu_data_left)
		nvme_mptcp_data_end(req);
	return ret;
}

static int nvme_mptcp_send_cmd(struct nvme_mptcp_request *req)
{
	struct nvme_mptcp_queue *queue = req->queue;
	bool more = req->inline_len || nvme_mptcp_more_queued(queue);
	int ret;

	ret = nvme_mptcp_send_capsule_whole(req);
	if (ret)
		return ret;
	ret = nvme_mptcp_send_hdr(req, &req->cmd, sizeof(req->cmd), more);
	if (ret <= 0 || req->sent)
		return ret;
	if (req->inline_len) {
		req->pdu_data_left = req->inline_len;
		nvme_mptcp_start_data(req);
	} else {
		/* Only now may its completion come (checked under io_lock). */
		if (req == &queue->ctrl->async_req)
			set_bit(NVME_MPTCP_CTRL_AEN_SENT, &queue->ctrl->flags);
		/* Data, if any, moves on the controller's C2HData or R2T. */
		nvme_mptcp_send_done(req);
	}
	return ret;
}

static int nvme_mptcp_send_h2c(struct nvme_mptcp_request *req)
{
	int ret;

	ret = nvme_mptcp_send_hdr(req, &req->h2c, sizeof(req->h2c), true);
	if (ret <= 0 || req->sent)
		return ret;
	nvme_mptcp_start_data(req);
	return ret;
}

static int nvme_mptcp_send_data(struct nvme_mptcp_request *req)
{
	struct nvme_mptcp_queue *queue = req->queue;
	int sent = 0;

	while (req->pdu_data_left) {
		struct iov_iter *iter = nvme_mptcp_cursor_iter(req);
		size_t len = min_t(size_t, iov_iter_count(iter),
				   req->pdu_data_left);
		struct msghdr msg = { };
		int ret;

		if (WARN_ON_ONCE(!len))
			return -EIO;
		msg.msg_iter = *iter;
		iov_iter_truncate(&msg.msg_iter, len);
		if (len < req->pdu_data_left || queue->data_digest ||
		    nvme_mptcp_more_queued(queue))
			msg.msg_flags = MSG_MORE;
		ret = nvme_mptcp_sendmsg(queue, &msg);
		if (ret <= 0)
			return sent ? sent : ret;
		nvme_mptcp_data_sent(req, iter, ret);
		sent += ret;
	}
	nvme_mptcp_data_end(req);
	return sent;
}

static int nvme_mptcp_send_ddgst(struct nvme_mptcp_request *req)
{
	struct nvme_mptcp_queue *queue = req->queue;
	struct kvec vec = {
		.iov_base = (u8 *)&req->ddgst + req->sent,
		.iov_len = NVME_TCP_DIGEST_LENGTH - req->sent,
	};
	struct msghdr msg = { };
	int ret;

	if (nvme_mptcp_more_queued(queue) || req->r2t_left)
		msg.msg_flags = MSG_MORE;
	iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, &vec, 1, vec.iov_len);
	ret = nvme_mptcp_sendmsg(queue, &msg);
	if (ret <= 0)
		return ret;
	req->sent += ret;
	if (req->sent == NVME_TCP_DIGEST_LENGTH)
		nvme_mptcp_pdu_data_done(req);
	return ret;
}

static struct nvme_mptcp_request *nvme_mptcp_next_req(struct nvme_mptcp_queue *queue)
{
	struct llist_node *node;
	struct nvme_mptcp_request *req, *tmp;

	/* llist hands entries back newest first: restore submission order. */
	node = llist_reverse_order(llist_del_all(&queue->req_list));
	llist_for_each_entry_safe(req, tmp, node, lentry)
		list_add_tail(&req->entry, &queue->send_list);

	req = list_first_entry_or_null(&queue->send_list,
				       struct nvme_mptcp_request, entry);
	if (req)
		list_del(&req->entry);
	return req;
}

/*
 * One step of the transmit state machine.  Returns bytes sent (> 0), 0 when
 * nothing is left to send, -EAGAIN when the socket is full, or an error.
 */
int nvme_mptcp_try_send(struct nvme_mptcp_queue *queue)
{
	struct nvme_mptcp_request *req;

again:
	req = queue->send_req;
	if (!req) {
		req = nvme_mptcp_next_req(queue);
		if (!req)
			return 0;
		queue->send_req = req;
	}
	/* Answered before its next H2CData began: the rest is not wanted. */
	if (req->answered && req->state == NVME_MPTCP_SEND_H2C && !req->sent) {
		nvme_mptcp_send_done(req);
		goto again;
	}

	switch (req->state) {
	case NVME_MPTCP_SEND_CMD:
		return nvme_mptcp_send_cmd(req);
	case NVME_MPTCP_SEND_H2C:
		return nvme_mptcp_send_h2c(req);
	case NVME_MPTCP_SEND_DATA:
		return nvme_mptcp_send_data(req);
	case NVME_MPTCP_SEND_DDGST:
		return nvme_mptcp_send_ddgst(req);
	}
	return -EINVAL;
}

/* Forget all queued sends; their requests are cancelled by the caller. */
void nvme_mptcp_reset_send(struct nvme_mptcp_queue *queue)
{
	llist_del_all(&queue->req_list);
	INIT_LIST_HEAD(&queue->send_list);
	queue->send_req = NULL;
}
