// SPDX-License-Identifier: GPL-2.0
/*
 * Receive: a recvmsg-driven state machine (MPTCP has no read_sock before
 * 7.0), run from the queue's io_work.  After the ICReq, one recvmsg
 * fills the queue's stage with up to 16 KiB of the stream, and headers,
 * digests and small data are copied out of it: a queue of capsules with
 * 4 KiB of data each costs one MPTCP receive for several, not three each.
 * Once the stage is empty, data of a stage full or more goes straight
 * from the socket into the command's pages.
 *
 * Everything a host sends is untrusted.  The common header is checked
 * before the rest of a header is taken, and a whole header (and its digest)
 * before any data is: lengths and offsets must agree with each other,
 * with the negotiated digests and with this transport's limits, so no
 * length from the wire sizes a buffer or a read on its own.  A PDU that
 * fails a check drops its connection (a fatal transport error), logged at
 * a bounded rate; other connections never notice.  The C2HTermReq that
 * tells the host why names the field refused (FEI): a byte offset into
 * the header.  The checks themselves are pure, in pdu-check.c, so that
 * tests/fuzz can run them in userspace; here they get the queue's state
 * and their refusals become log lines and C2HTermReqs.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/gfp.h>
#include "nvmet-mptcp.h"

/* Capsule and H2CData headers the host sends us. */
#define NVMET_MPTCP_CMD_HLEN	sizeof(struct nvme_tcp_cmd_pdu)
#define NVMET_MPTCP_H2C_HLEN	sizeof(struct nvme_tcp_data_pdu)

void nvmet_mptcp_rx_init(struct nvmet_mptcp_queue *queue)
{
	queue->rx_state = NVMET_MPTCP_RX_HDR;
	queue->rx_got = 0;
	queue->rx_want = sizeof(struct nvme_tcp_hdr);
	queue->rx_left = 0;
	queue->rx_cmd = NULL;
	queue->rx_discard = false;
}

/*
 * @reason: the counter (refusals.c).  @fes 0: no C2HTermReq (the binding
 * has no status for it).  @fei: what the spec asks of it for @fes, 0 where
 * it is reserved.
 */
int nvmet_mptcp_proto_err(struct nvmet_mptcp_queue *queue, unsigned int reason,
			  u16 fes, u32 fei, const char *what, u32 value)
{
	nvmet_mptcp_count_refusal(reason);
	pr_warn_ratelimited("queue %u (%pISpc): %s (%#x), dropping the connection\n",
			    queue->idx, &queue->peer_addr, what, value);
	nvmet_mptcp_send_term(queue, fes, fei);
	nvmet_mptcp_queue_fail(queue);
	return -EPROTO;
}

/* Stream bytes in the stage not yet taken. */
static u32 nvmet_mptcp_staged(struct nvmet_mptcp_queue *queue)
{
	return queue->rx_stage_len - queue->rx_stage_off;
}

/* Refill the empty stage from the socket: > 0, 0 at EOF, or -errno. */
static int nvmet_mptcp_stage_fill(struct nvmet_mptcp_queue *queue)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec vec = {
		.iov_base = queue->rx_stage, .iov_len = NVMET_MPTCP_RX_STAGE,
	};
	int ret;

	ret = kernel_recvmsg(queue->sock, &msg, &vec, 1, vec.iov_len,
			     msg.msg_flags);
	if (ret > 0) {
		queue->rx_stage_len = ret;
		queue->rx_stage_off = 0;
	}
	return ret;
}

/*
 * The next bytes of the stream, up to @len, from the stage: refilled
 * when empty.  Returns the bytes taken, 0 at EOF, or -errno.
 */
static int nvmet_mptcp_stage_take(struct nvmet_mptcp_queue *queue,
				  const u8 **src, u32 len)
{
	if (!nvmet_mptcp_staged(queue)) {
		int ret = nvmet_mptcp_stage_fill(queue);

		if (ret <= 0)
			return ret;
	}
	len = min(len, nvmet_mptcp_staged(queue));
	*src = queue->rx_stage + queue->rx_stage_off;
	queue->rx_stage_off += len;
	return len;
}

static int nvmet_mptcp_recv_buf(struct nvmet_mptcp_queue *queue, void *buf,
				u32 len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec vec = { .iov_base = buf, .iov_len = len };
	const u8 *src;
	int ret;

	/* Before the ICReq: exactly what is asked, no stage yet. */
	if (!queue->rx_stage)
		return kernel_recvmsg(queue->sock, &msg, &vec, 1, len,
				      msg.msg_flags);
	ret = nvmet_mptcp_stage_take(queue, &src, len);
	if (ret > 0)
		memcpy(buf, src, ret);
	return ret;
}

/* In-capsule data a capsule may carry on this queue. */
static u32 nvmet_mptcp_inline_max(struct nvmet_mptcp_queue *queue)
{
	u32 max = queue->port->inline_data_size;

	/* Connect and admin commands: the NVMe/TCP binding grants 8 KiB. */
	if (!READ_ONCE(queue->nvme_sq.ctrl) || !queue->nvme_sq.qid)
		max = max_t(u32, max, NVMET_MPTCP_ADMIN_INLINE_DATA);
	return max;
}

/* The next PDU's data goes to @cmd's buffer, or is dropped. */
void nvmet_mptcp_rx_data_for(struct nvmet_mptcp_queue *queue,
			     struct nvmet_mptcp_cmd *cmd, u32 len,
			     bool discard)
{
	queue->rx_cmd = cmd;
	queue->rx_left = len;
	queue->rx_discard = discard;
	queue->rx_crc = ~0;
	queue->rx_state = NVMET_MPTCP_RX_DATA;
}

/* What pdu-check.c reads fits what this side receives into. */
static_assert(NVMET_MPTCP_CMD_HLEN == NTW_CMD_LEN);
static_assert(NVMET_MPTCP_H2C_HLEN == NTW_DATA_LEN);
static_assert(sizeof_field(struct nvmet_mptcp_queue, rx_pdu.raw) >=
	      NTW_ICREQ_LEN + NTW_DIGEST_LEN);

static void nvmet_mptcp_rx_params(struct nvmet_mptcp_queue *queue,
				  struct nvmet_mptcp_rx_params *p)
{
	p->live = test_bit(NVMET_MPTCP_Q_LIVE, &queue->flags);
	p->hdr_digest = queue->hdr_digest;
	p->data_digest = queue->data_digest;
	p->inline_max = nvmet_mptcp_inline_max(queue);
}

static int nvmet_mptcp_refused(struct nvmet_mptcp_queue *queue,
			       const struct nvmet_mptcp_pdu_err *err)
{
	return nvmet_mptcp_proto_err(queue, err->reason, err->fes, err->fei,
				     err->what, err->value);
}

/* The common header: what it is, and how much header follows. */
static int nvmet_mptcp_check_common_hdr(struct nvmet_mptcp_queue *queue)
{
	struct nvmet_mptcp_rx_params p;
	struct nvmet_mptcp_pdu_err err;

	nvmet_mptcp_rx_params(queue, &p);
	switch (nvmet_mptcp_check_common(queue->rx_pdu.raw, &p,
					 &queue->rx_want, &err)) {
	case NVMET_MPTCP_PDU_OK:
		return 0;
	case NVMET_MPTCP_PDU_HOST_TERM:
		nvmet_mptcp_count_refusal(NVMET_MPTCP_PDU_HOST_TERM);
		pr_info_ratelimited("queue %u (%pISpc): host terminated the connection\n",
				    queue->idx, &queue->peer_addr);
		nvmet_mptcp_queue_fail(queue);
		return -ECONNRESET;
	default:
		return nvmet_mptcp_refused(queue, &err);
	}
}

static int nvmet_mptcp_handle_icreq(struct nvmet_mptcp_queue *queue)
{
	struct nvme_tcp_icreq_pdu *icreq = &queue->rx_pdu.icreq;
	u8 hd = sizeof(struct nvme_tcp_data_pdu);
	struct nvmet_mptcp_pdu_err err;
	int ret;

	if (nvmet_mptcp_check_icreq(queue->rx_pdu.raw, &err))
		return nvmet_mptcp_refused(queue, &err);
	/*
	 * maxr2t needs no check: this target has at most one R2T out per
	 * command, which every value allows.  Digest bits we do not know
	 * are reserved, and ignored.
	 */
	queue->hdr_digest = icreq->digest & NVME_TCP_HDR_DIGEST_ENABLE;
	queue->data_digest = icreq->digest & NVME_TCP_DATA_DIGEST_ENABLE;
	hd += nvmet_mptcp_hdgst_len(queue);
	/* (hpda + 1) dwords need not be a power of two: roundup(). */
	queue->c2h_pad = roundup(hd, (icreq->hpda + 1) * 4) - hd;

	/* A connection that never gets this far costs no stage. */
	if (!queue->rx_stage) {
		queue->rx_stage = kvmalloc(NVMET_MPTCP_RX_STAGE, GFP_KERNEL);
		if (!queue->rx_stage)
			return -ENOMEM;
	}

	ret = nvmet_mptcp_send_icresp(queue);
	if (ret) {
		pr_warn_ratelimited("queue %u (%pISpc): cannot send ICResp (%d)\n",
				    queue->idx, &queue->peer_addr, ret);
		/* The ICReq is consumed: even a full socket ends the queue. */
		return ret == -EAGAIN ? -EIO : ret;
	}
	set_bit(NVMET_MPTCP_Q_LIVE, &queue->flags);
	nvmet_mptcp_queue_icreq_done(queue);
	return 0;
}

static int nvmet_mptcp_handle_cmd(struct nvmet_mptcp_queue *queue)
{
	struct nvmet_mptcp_rx_params p;
	struct nvmet_mptcp_pdu_err err;
	u32 icd_len;

	nvmet_mptcp_rx_params(queue, &p);
	if (nvmet_mptcp_check_cmd(queue->rx_pdu.raw, &p, &icd_len, &err))
		return nvmet_mptcp_refused(queue, &err);
	return nvmet_mptcp_new_cmd(queue, icd_len);
}

static int nvmet_mptcp_handle_h2c(struct nvmet_mptcp_queue *queue)
{
	struct nvme_tcp_data_pdu *h2c = &queue->rx_pdu.h2c;
	struct nvmet_mptcp_h2c_cmd facts = { };
	struct nvmet_mptcp_rx_params p;
	struct nvmet_mptcp_pdu_err err;
	struct nvmet_mptcp_cmd *cmd;
	u32 len;

	cmd = nvmet_mptcp_find_ttag(queue, h2c->ttag);
	if (cmd && READ_ONCE(cmd->state) == NVMET_MPTCP_CMD_DATA_IN &&
	    (cmd->flags & NVMET_MPTCP_CMD_F_H2C_OK)) {
		facts.expects_data = true;
		/* The capsule's bytes, read as the check reads the H2CData's. */
		facts.command_id = le16_to_cpu((__force __le16)cmd->cmd.common.command_id);
		facts.rbytes = cmd->rbytes;
		/* At most NVMET_MPTCP_MAX_DATA. */
		facts.transfer_len = cmd->req.transfer_len;
	}
	nvmet_mptcp_rx_params(queue, &p);
	if (nvmet_mptcp_check_h2c(queue->rx_pdu.raw, &p, &facts, &len, &err))
		return nvmet_mptcp_refused(queue, &err);
	nvmet_mptcp_rx_data_for(queue, cmd, len, false);
	return 0;
}

/* A whole header, with its digest, is in rx_pdu. */
static int nvmet_mptcp_handle_pdu(struct nvmet_mptcp_queue *queue)
{
	struct nvme_tcp_hdr *hdr = &queue->rx_pdu.hdr;

	if (hdr->type != nvme_tcp_icreq && queue->hdr_digest) {
		__le32 want = nvmet_mptcp_crc_final(nvmet_mptcp_crc(~0, hdr,
								    hdr->hlen));
		__le32 got;

		memcpy(&got, queue->rx_pdu.raw + hdr->hlen, sizeof(got));
		/* FEI: the digest the host sent. */
		if (got != want)
			return nvmet_mptcp_proto_err(queue, NVMET_MPTCP_REF_HDR_DIGEST,
						     NVME_TCP_FES_HDR_DIGEST_ERR,
						     le32_to_cpu(got),
						     "header digest",
						     le32_to_cpu(got));
	}

	switch (hdr->type) {
	case nvme_tcp_icreq:
		return nvmet_mptcp_handle_icreq(queue);
	case nvme_tcp_cmd:
		return nvmet_mptcp_handle_cmd(queue);
	default:
		return nvmet_mptcp_handle_h2c(queue);
	}
}

static int nvmet_mptcp_recv_hdr(struct nvmet_mptcp_queue *queue)
{
	int ret, err;

	ret = nvmet_mptcp_recv_buf(queue, queue->rx_pdu.raw + queue->rx_got,
				   queue->rx_want - queue->rx_got);
	if (ret <= 0)
		return ret;
	queue->rx_got += ret;
	if (queue->rx_got < queue->rx_want)
		return ret;

	if (queue->rx_want == sizeof(struct nvme_tcp_hdr)) {
		err = nvmet_mptcp_check_common_hdr(queue);
		if (err)
			return err;
		if (queue->rx_got < queue->rx_want)
			return ret;
	}
	/* rx_got stays until it is handled: a C2HTermReq copies the header. */
	err = nvmet_mptcp_handle_pdu(queue);
	if (err)
		return err;
	/* Unless the PDU has data, a header comes next. */
	queue->rx_got = 0;
	queue->rx_want = sizeof(struct nvme_tcp_hdr);
	return ret;
}

/* All data of the current PDU received and, with digests, verified. */
static void nvmet_mptcp_rx_data_done(struct nvmet_mptcp_queue *queue)
{
	struct nvmet_mptcp_cmd *cmd = queue->rx_cmd;
	bool discard = queue->rx_discard;

	nvmet_mptcp_rx_init(queue);
	if (discard || cmd->rbytes == cmd->req.transfer_len)
		nvmet_mptcp_data_in_done(cmd);
}

/* @iter over the command's pages for (up to) the rest of the PDU's data. */
static int nvmet_mptcp_rx_data_iter(struct nvmet_mptcp_queue *queue,
				    struct iov_iter *iter)
{
	u32 len = nvmet_mptcp_data_iter(queue->rx_cmd, iter, ITER_DEST,
					queue->rx_left);

	/* The PDU was checked against the buffer: cannot happen. */
	if (!len)
		return nvmet_mptcp_proto_err(queue, NVMET_MPTCP_REF_NO_BUFFER,
					     0, 0, "no buffer left for data",
					     queue->rx_left);
	return len;
}

/*
 * Data the stage holds, or small data read with what follows it, copied
 * out of the stage: into the command's pages, or dropped.
 */
static int nvmet_mptcp_recv_staged_data(struct nvmet_mptcp_queue *queue)
{
	bool discard = queue->rx_discard;
	struct iov_iter iter;
	const u8 *src;
	u32 len = queue->rx_left;
	int ret;

	if (!discard) {
		ret = nvmet_mptcp_rx_data_iter(queue, &iter);
		if (ret < 0)
			return ret;
		len = ret;
	}
	ret = nvmet_mptcp_stage_take(queue, &src, len);
	if (ret <= 0)
		return ret;
	if (queue->data_digest)
		queue->rx_crc = nvmet_mptcp_crc(queue->rx_crc, src, ret);
	if (!discard && copy_to_iter(src, ret, &iter) != ret)
		return -EFAULT;
	return ret;
}

/*
 * Data straight from the socket into the pages (or dropped): once the
 * stage is empty and a stage full or more is left.  (Without a stage,
 * i.e. before the ICReq, pdu-check.c lets no data in: the test in
 * recv_data is defensive.)
 */
static int nvmet_mptcp_recv_direct_data(struct nvmet_mptcp_queue *queue)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	u32 len;
	int ret;

	if (queue->rx_discard) {
		if (!queue->discard_page) {
			queue->discard_page = alloc_page(GFP_KERNEL);
			if (!queue->discard_page)
				return -ENOMEM;
		}
		len = min_t(u32, queue->rx_left, PAGE_SIZE);
		queue->bvec[0].bv_page = queue->discard_page;
		queue->bvec[0].bv_offset = 0;
		queue->bvec[0].bv_len = len;
		iov_iter_bvec(&msg.msg_iter, ITER_DEST, queue->bvec, 1, len);
	} else {
		ret = nvmet_mptcp_rx_data_iter(queue, &msg.msg_iter);
		if (ret < 0)
			return ret;
	}

	ret = sock_recvmsg(queue->sock, &msg, msg.msg_flags);
	if (ret <= 0)
		return ret;
	if (queue->data_digest)
		queue->rx_crc = nvmet_mptcp_crc_bvecs(queue->rx_crc,
						      queue->bvec, ret);
	return ret;
}

static int nvmet_mptcp_recv_data(struct nvmet_mptcp_queue *queue)
{
	struct nvmet_mptcp_cmd *cmd = queue->rx_cmd;
	int ret;

	if (queue->rx_stage && (nvmet_mptcp_staged(queue) ||
				queue->rx_left < NVMET_MPTCP_RX_STAGE))
		ret = nvmet_mptcp_recv_staged_data(queue);
	else
		ret = nvmet_mptcp_recv_direct_data(queue);
	if (ret <= 0)
		return ret;
	if (!queue->rx_discard) {
		nvmet_mptcp_data_advance(cmd, ret);
		cmd->rbytes += ret;
	}
	queue->rx_left -= ret;
	if (queue->rx_left)
		return ret;
	if (queue->data_digest) {
		queue->rx_got = 0;
		queue->rx_state = NVMET_MPTCP_RX_DDGST;
		return ret;
	}
	nvmet_mptcp_rx_data_done(queue);
	return ret;
}

static int nvmet_mptcp_recv_ddgst(struct nvmet_mptcp_queue *queue)
{
	__le32 want;
	int ret;

	ret = nvmet_mptcp_recv_buf(queue, (u8 *)&queue->rx_ddgst + queue->rx_got,
				   NVMET_MPTCP_DIGEST_LEN - queue->rx_got);
	if (ret <= 0)
		return ret;
	queue->rx_got += ret;
	if (queue->rx_got < NVMET_MPTCP_DIGEST_LEN)
		return ret;

	want = nvmet_mptcp_crc_final(queue->rx_crc);
	/*
	 * NVMe/TCP 1.0, 3.5 "Digest Error handling": the data is bad, the
	 * byte stream is not, so the command fails (once all its data is in)
	 * and the connection goes on.  Data being dropped needs no verdict.
	 */
	if (queue->rx_ddgst != want && !queue->rx_discard) {
		struct nvmet_mptcp_cmd *cmd = queue->rx_cmd;

		nvmet_mptcp_count_refusal(NVMET_MPTCP_REF_DATA_DIGEST);
		pr_warn_ratelimited("queue %u (%pISpc): data digest error on command %#x (got %#x, want %#x), failing it\n",
				    queue->idx, &queue->peer_addr,
				    cmd->cmd.common.command_id,
				    le32_to_cpu(queue->rx_ddgst), le32_to_cpu(want));
		cmd->flags |= NVMET_MPTCP_CMD_F_BAD_DATA;
	}
	nvmet_mptcp_rx_data_done(queue);
	return ret;
}

/*
 * Receive what the socket holds, up to a budget.  Returns the bytes
 * consumed, or a negative error (the queue is then closing, or the
 * caller closes it).
 */
int nvmet_mptcp_try_recv(struct nvmet_mptcp_queue *queue)
{
	int consumed = 0, ret = -EAGAIN;

	while (consumed < SZ_256K) {
		switch (queue->rx_state) {
		case NVMET_MPTCP_RX_HDR:
			ret = nvmet_mptcp_recv_hdr(queue);
			break;
		case NVMET_MPTCP_RX_DATA:
			ret = nvmet_mptcp_recv_data(queue);
			break;
		case NVMET_MPTCP_RX_DDGST:
			ret = nvmet_mptcp_recv_ddgst(queue);
			break;
		default:
			return 0;
		}
		if (ret <= 0)
			break;
		consumed += ret;
	}
	if (ret == -EAGAIN || ret > 0)
		return consumed;
	/* 0: the host closed the connection (all it sent is consumed). */
	return ret ? ret : -ECONNRESET;
}
