// SPDX-License-Identifier: GPL-2.0
/*
 * Receive: a recvmsg-driven state machine (MPTCP has no read_sock before
 * 7.0).  A read takes up to NVME_MPTCP_RX_STAGE bytes of the stream into
 * the queue's stage, from which headers, digests and small data are
 * copied; data that does not fit the stage goes straight from the socket
 * into the request's pages.
 *
 * Every PDU a controller may send a host is checked against what the
 * protocol and the command allow before anything is written into a
 * request; a PDU that fails a check resets the controller's connections
 * through error recovery, never the machine.  The checks are pure
 * functions in pdu-check.c (tests/fuzz runs them in userspace); here they
 * get the queue's and the command's state.  Receive and transmit share
 * io_lock, so a request's transmit state is stable while a PDU about it is
 * checked.
 */
#include "nvme-mptcp.h"
#include "pdu-check.h"

/* What pdu-check.c reads fits what this side receives into. */
static_assert(sizeof(struct nvme_tcp_rsp_pdu) == NVME_MPTCP_RX_HLEN);
static_assert(sizeof(struct nvme_tcp_data_pdu) == NVME_MPTCP_RX_HLEN);
static_assert(sizeof(struct nvme_tcp_r2t_pdu) == NVME_MPTCP_RX_HLEN);
static_assert(sizeof(struct nvme_tcp_term_pdu) == NVME_MPTCP_RX_HLEN);

void nvme_mptcp_init_recv(struct nvme_mptcp_queue *queue)
{
	queue->rx_state = NVME_MPTCP_RECV_HDR;
	queue->rx_pdu_got = 0;
	queue->rx_data_left = 0;
	queue->rx_ddgst_got = 0;
	queue->rx_req = NULL;
	queue->rx_stage_len = 0;
	queue->rx_stage_off = 0;
}

/*
 * Module-wide, per reason: the log is rate limited and names only the
 * first fault, the counts say which checks fired (debugfs "refusals").
 */
atomic_long_t nvme_mptcp_refusal_count[NVME_MPTCP_PDU_NR_REFUSALS];

static int nvme_mptcp_proto_err(struct nvme_mptcp_queue *queue,
				enum nvme_mptcp_refusal reason, u32 value)
{
	atomic_long_inc(&nvme_mptcp_refusal_count[reason]);
	dev_err_ratelimited(queue->ctrl->ctrl.device,
			    "queue %d: malformed PDU from controller: %s (%#x), resetting\n",
			    queue->qid, nvme_mptcp_refusals[reason].what, value);
	return -EPROTO;
}

static int nvme_mptcp_refused(struct nvme_mptcp_queue *queue,
			      const struct nvme_mptcp_pdu_err *err)
{
	return nvme_mptcp_proto_err(queue, err->reason, err->value);
}

static void nvme_mptcp_rx_params(struct nvme_mptcp_queue *queue,
				 struct nvme_mptcp_rx_params *p)
{
	p->hdr_digest = queue->hdr_digest;
	p->data_digest = queue->data_digest;
}

/* Stream bytes read into the stage and not yet used. */
static u32 nvme_mptcp_staged(struct nvme_mptcp_queue *queue)
{
	return queue->rx_stage_len - queue->rx_stage_off;
}

/* Read what the socket has, up to a stage full: > 0, 0 at EOF, or -errno. */
static int nvme_mptcp_stage_fill(struct nvme_mptcp_queue *queue)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec vec = {
		.iov_base = queue->rx_stage,
		.iov_len = NVME_MPTCP_RX_STAGE,
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

/* Take up to @len bytes of the stream from the stage, refilling it first. */
static int nvme_mptcp_recv_buf(struct nvme_mptcp_queue *queue, void *buf,
			       size_t len)
{
	if (!nvme_mptcp_staged(queue)) {
		int ret = nvme_mptcp_stage_fill(queue);

		if (ret <= 0)
			return ret;
	}
	len = min_t(size_t, len, nvme_mptcp_staged(queue));
	memcpy(buf, queue->rx_stage + queue->rx_stage_off, len);
	queue->rx_stage_off += len;
	return len;
}

/* Completions a poller reports (poll queues complete in io_work). */
static void nvme_mptcp_count_cqe(struct nvme_mptcp_queue *queue)
{
	if (queue->polled)
		atomic_inc(&queue->nr_cqe);
}

/* The request a command_id names, if it is one we have outstanding. */
static struct request *nvme_mptcp_find_rq(struct nvme_mptcp_queue *queue,
					  u16 command_id)
{
	struct nvme_mptcp_ctrl *ctrl = queue->ctrl;
	struct blk_mq_tags *tags;
	struct request *rq;
	u8 gen = (command_id >> NVME_MPTCP_CID_GEN_SHIFT) &
		 NVME_MPTCP_CID_GEN_MASK;

	tags = queue->qid ? ctrl->tag_set.tags[queue->qid - 1] :
			    ctrl->admin_tag_set.tags[0];
	rq = blk_mq_tag_to_rq(tags, command_id & NVME_MPTCP_CID_TAG_MASK);
	/* A command the timeout handler completed is no longer ours. */
	if (!rq || blk_mq_rq_state(rq) != MQ_RQ_IN_FLIGHT ||
	    (to_mptcp_req(rq)->nreq.genctr & NVME_MPTCP_CID_GEN_MASK) != gen)
		return NULL;
	return rq;
}

/*
 * Complete the way nvme-core expects a transport to: bump the command
 * generation, record status and result, and complete on the submitting
 * CPU when blk-mq wants that.
 */
static void nvme_mptcp_complete_rq(struct request *rq, __le16 status,
				   union nvme_result result)
{
	struct nvme_request *nreq = &to_mptcp_req(rq)->nreq;

	nreq->genctr++;
	nreq->status = le16_to_cpu(status) >> 1;
	nreq->result = result;
	if (!blk_mq_complete_request_remote(rq))
		nvme_complete_rq(rq);
}

/*
 * Success with less data than the buffer holds: a block read would hand
 * its caller pages never written, so that is the controller's error.  Any
 * other command moves what it moves (a passthrough with a generous buffer,
 * a log shorter than asked for).
 */
static bool nvme_mptcp_read_short(struct nvme_mptcp_request *req)
{
	return req_op(blk_mq_rq_from_pdu(req)) == REQ_OP_READ &&
	       req->data_done != req->data_len;
}

/* Transmit is done with a command the controller already answered. */
void nvme_mptcp_complete_answered(struct nvme_mptcp_request *req)
{
	struct nvme_mptcp_queue *queue = req->queue;

	nvme_mptcp_complete_rq(blk_mq_rq_from_pdu(req), req->status,
			       req->result);
	nvme_mptcp_count_cqe(queue);
}

static int nvme_mptcp_handle_rsp(struct nvme_mptcp_queue *queue)
{
	struct nvme_completion *cqe = &queue->rx_pdu.rsp.cqe;
	u16 cid = cqe->command_id;
	struct nvme_mptcp_request *req;
	struct request *rq;
	__le16 status;

	if (!queue->qid &&
	    (cid & NVME_MPTCP_CID_TAG_MASK) >= NVME_AQ_BLK_MQ_DEPTH) {
		struct nvme_mptcp_ctrl *ctrl = queue->ctrl;

		/* Only for the AEN we sent: it is then reissued. */
		if (!test_and_clear_bit(NVME_MPTCP_CTRL_AEN_SENT, &ctrl->flags))
			return nvme_mptcp_proto_err(queue, NVME_MPTCP_PDU_AEN_UNSOLICITED, cid);
		clear_bit(NVME_MPTCP_CTRL_AEN_OUT, &ctrl->flags);
		nvme_complete_async_event(&ctrl->ctrl, cqe->status,
					  &cqe->result);
		nvme_mptcp_count_cqe(queue);
		return 0;
	}
	rq = nvme_mptcp_find_rq(queue, cid);
	if (!rq)
		return nvme_mptcp_proto_err(queue, NVME_MPTCP_PDU_RSP_CID, cid);
	req = to_mptcp_req(rq);
	if (req->answered)
		return nvme_mptcp_proto_err(queue, NVME_MPTCP_PDU_RSP_SECOND, cid);
	if (req->tx_busy) {
		/*
		 * Answered before it took all the data (the controller failed
		 * the command early; success would leave a block write short).
		 * The PDU being sent must still end where its header says, and
		 * it reads the request's pages until then: transmit completes
		 * the command once done with it.
		 */
		if (!(le16_to_cpu(cqe->status) >> 1) && !blk_rq_is_passthrough(rq))
			return nvme_mptcp_proto_err(queue, NVME_MPTCP_PDU_RSP_EARLY_SUCCESS,
						    cid);
		req->answered = true;
		if (!req->status)
			req->status = cqe->status;
		req->result = cqe->result;
		return 0;
	}
	status = req->status ? req->status : cqe->status;
	if (!(le16_to_cpu(status) >> 1) && nvme_mptcp_read_short(req))
		return nvme_mptcp_proto_err(queue, NVME_MPTCP_PDU_RSP_READ_SHORT, cid);
	nvme_mptcp_complete_rq(rq, status, cqe->result);
	nvme_mptcp_count_cqe(queue);
	return 0;
}

/* What the checks need of the command @command_id names. */
static struct request *nvme_mptcp_rx_cmd(struct nvme_mptcp_queue *queue,
					 u16 command_id,
					 struct nvme_mptcp_rx_cmd *facts)
{
	struct request *rq = nvme_mptcp_find_rq(queue, command_id);
	struct nvme_mptcp_request *req;

	*facts = (struct nvme_mptcp_rx_cmd) { };
	if (!rq)
		return NULL;
	req = to_mptcp_req(rq);
	facts->found = true;
	facts->write = rq_data_dir(rq) == WRITE;
	facts->tx_busy = req->tx_busy;
	facts->data_len = req->data_len;
	facts->data_done = req->data_done;
	return rq;
}

static int nvme_mptcp_handle_c2h(struct nvme_mptcp_queue *queue)
{
	struct nvme_tcp_data_pdu *c2h = &queue->rx_pdu.c2h;
	struct nvme_mptcp_rx_params p;
	struct nvme_mptcp_rx_cmd facts;
	struct nvme_mptcp_pdu_err err;
	struct nvme_mptcp_request *req;
	struct request *rq;
	u32 len;

	rq = nvme_mptcp_rx_cmd(queue, c2h->command_id, &facts);
	nvme_mptcp_rx_params(queue, &p);
	if (nvme_mptcp_check_c2h(queue->rx_pdu.raw, &p, &facts, &len, &err))
		return nvme_mptcp_refused(queue, &err);

	req = to_mptcp_req(rq);
	queue->rx_req = req;
	queue->rx_data_left = len;
	req->data_crc = ~0;
	queue->rx_state = NVME_MPTCP_RECV_DATA;
	return 0;
}

static int nvme_mptcp_handle_r2t(struct nvme_mptcp_queue *queue)
{
	struct nvme_tcp_r2t_pdu *r2t = &queue->rx_pdu.r2t;
	struct nvme_mptcp_rx_cmd facts;
	struct nvme_mptcp_pdu_err err;
	struct nvme_mptcp_request *req;
	struct request *rq;

	rq = nvme_mptcp_rx_cmd(queue, r2t->command_id, &facts);
	if (nvme_mptcp_check_r2t(queue->rx_pdu.raw, &facts, &err))
		return nvme_mptcp_refused(queue, &err);

	req = to_mptcp_req(rq);
	req->r2t_left = le32_to_cpu(r2t->r2t_length);
	req->ttag = r2t->ttag;
	req->pdu_data_left = 0;
	nvme_mptcp_setup_h2c(req);
	req->tx_busy = true;
	nvme_mptcp_queue_request(req, true);
	return 0;
}

/* The controller ends the connection, saying why (its FES). */
static int nvme_mptcp_handle_term(struct nvme_mptcp_queue *queue)
{
	static const char *const fes_names[] = {
		[NVME_TCP_FES_INVALID_PDU_HDR]	   = "invalid PDU header field",
		[NVME_TCP_FES_PDU_SEQ_ERR]	   = "PDU sequence error",
		[NVME_TCP_FES_HDR_DIGEST_ERR]	   = "header digest error",
		[NVME_TCP_FES_DATA_OUT_OF_RANGE]   = "data transfer out of range",
		[NVME_TCP_FES_DATA_LIMIT_EXCEEDED] = "data transfer limit exceeded",
		[NVME_TCP_FES_UNSUPPORTED_PARAM]   = "unsupported parameter",
	};
	struct nvme_tcp_term_pdu *term = &queue->rx_pdu.term;
	u16 fes = le16_to_cpu(term->fes);

	queue->stats.pdus_rx++;
	atomic_long_inc(&nvme_mptcp_refusal_count[NVME_MPTCP_PDU_C2H_TERM]);
	dev_err(queue->ctrl->ctrl.device,
		"queue %d: controller terminated the connection: %s (fes %#x, fei %#x)\n",
		queue->qid, fes < ARRAY_SIZE(fes_names) && fes_names[fes] ?
		fes_names[fes] : "reserved", fes,
		le16_to_cpu(term->feil) | le16_to_cpu(term->feiu) << 16);
	return -ECONNRESET;
}

static int nvme_mptcp_check_hdr(struct nvme_mptcp_queue *queue)
{
	struct nvme_tcp_hdr *hdr = &queue->rx_pdu.hdr;
	struct nvme_mptcp_rx_params p;
	struct nvme_mptcp_pdu_err err;

	nvme_mptcp_rx_params(queue, &p);
	if (nvme_mptcp_check_common(queue->rx_pdu.raw, &p, &err))
		return nvme_mptcp_refused(queue, &err);
	if (p.hdr_digest) {
		__le32 want = nvme_mptcp_crc_final(nvme_mptcp_crc(~0, hdr,
							NVME_MPTCP_RX_HLEN));
		__le32 got;

		memcpy(&got, queue->rx_pdu.raw + NVME_MPTCP_RX_HLEN, sizeof(got));
		if (got != want)
			return nvme_mptcp_proto_err(queue, NVME_MPTCP_PDU_HDR_DIGEST,
						    le32_to_cpu(got));
	}
	if (nvme_mptcp_check_type(queue->rx_pdu.raw, &p, &err))
		return nvme_mptcp_refused(queue, &err);
	return 0;
}

static int nvme_mptcp_recv_hdr(struct nvme_mptcp_queue *queue)
{
	size_t want = NVME_MPTCP_RX_HLEN + nvme_mptcp_hdgst_len(queue);
	int ret, err;

	ret = nvme_mptcp_recv_buf(queue, queue->rx_pdu.raw + queue->rx_pdu_got,
				  want - queue->rx_pdu_got);
	if (ret <= 0)
		return ret;
	queue->rx_pdu_got += ret;
	/*
	 * A C2HTermReq never has a header digest, whatever was negotiated,
	 * and may be all the controller sends before closing: act on it
	 * without waiting for digest bytes that will not come.
	 */
	if (queue->rx_pdu_got >= NVME_MPTCP_RX_HLEN &&
	    queue->rx_pdu.hdr.type == nvme_tcp_c2h_term)
		return nvme_mptcp_handle_term(queue);
	if (queue->rx_pdu_got < want)
		return ret;
	queue->rx_pdu_got = 0;
	queue->stats.pdus_rx++;

	err = nvme_mptcp_check_hdr(queue);
	if (err)
		return err;
	switch (queue->rx_pdu.hdr.type) {
	case nvme_tcp_rsp:
		err = nvme_mptcp_handle_rsp(queue);
		break;
	case nvme_tcp_c2h_data:
		err = nvme_mptcp_handle_c2h(queue);
		break;
	default:	/* nvme_tcp_r2t, the last type check_hdr lets by */
		err = nvme_mptcp_handle_r2t(queue);
		break;
	}
	return err ? err : ret;
}

/* C2HData fully received (digest checked): finish it. */
static int nvme_mptcp_c2h_done(struct nvme_mptcp_queue *queue)
{
	struct nvme_mptcp_request *req = queue->rx_req;
	struct request *rq = blk_mq_rq_from_pdu(req);
	u8 flags = queue->rx_pdu.c2h.hdr.flags;

	queue->rx_req = NULL;
	queue->rx_state = NVME_MPTCP_RECV_HDR;
	if (!(flags & NVME_TCP_F_DATA_SUCCESS))
		return 0;
	/* SUCCESS stands in for a response capsule. */
	if (nvme_mptcp_read_short(req))
		return nvme_mptcp_proto_err(queue, NVME_MPTCP_PDU_C2H_SUCCESS_SHORT,
					    req->data_done);
	nvme_mptcp_complete_rq(rq, req->status, (union nvme_result) {});
	nvme_mptcp_count_cqe(queue);
	return 0;
}

/* Data from the stage into the request's pages (digest on the way). */
static int nvme_mptcp_recv_staged_data(struct nvme_mptcp_queue *queue,
				       struct iov_iter *iter, size_t len)
{
	struct nvme_mptcp_request *req = queue->rx_req;
	const u8 *src = queue->rx_stage + queue->rx_stage_off;

	len = min_t(size_t, len, nvme_mptcp_staged(queue));
	if (queue->data_digest)
		req->data_crc = nvme_mptcp_crc(req->data_crc, src, len);
	if (copy_to_iter(src, len, iter) != len)
		return -EFAULT;
	queue->rx_stage_off += len;
	return len;
}

/* Data straight from the socket into the request's pages. */
static int nvme_mptcp_recv_direct_data(struct nvme_mptcp_queue *queue,
				       struct iov_iter *iter, size_t len)
{
	struct nvme_mptcp_request *req = queue->rx_req;
	struct msghdr msg = { };
	int ret;

	msg.msg_iter = *iter;
	iov_iter_truncate(&msg.msg_iter, len);
	ret = sock_recvmsg(queue->sock, &msg, MSG_DONTWAIT);
	if (ret <= 0)
		return ret;
	if (queue->data_digest)
		req->data_crc = nvme_mptcp_crc_iter(req->data_crc, iter, ret);
	iov_iter_advance(iter, ret);
	return ret;
}

static int nvme_mptcp_recv_data(struct nvme_mptcp_queue *queue)
{
	struct nvme_mptcp_request *req = queue->rx_req;
	struct iov_iter *iter = nvme_mptcp_cursor_iter(req);
	size_t len = min_t(size_t, iov_iter_count(iter), queue->rx_data_left);
	int ret, err;

	if (WARN_ON_ONCE(!len))
		return -EIO;
	if (nvme_mptcp_staged(queue)) {
		ret = nvme_mptcp_recv_staged_data(queue, iter, len);
	} else if (queue->rx_data_left >= NVME_MPTCP_RX_STAGE) {
		ret = nvme_mptcp_recv_direct_data(queue, iter, len);
	} else {
		/* Small: read it with what follows it (digest, next PDUs). */
		ret = nvme_mptcp_stage_fill(queue);
		if (ret > 0)
			ret = nvme_mptcp_recv_staged_data(queue, iter, len);
	}
	if (ret <= 0)
		return ret;
	queue->rx_data_left -= ret;
	req->data_done += ret;
	if (queue->rx_data_left)
		return ret;
	if (queue->data_digest) {
		queue->rx_ddgst_got = 0;
		queue->rx_state = NVME_MPTCP_RECV_DDGST;
		return ret;
	}
	err = nvme_mptcp_c2h_done(queue);
	return err ? err : ret;
}

static int nvme_mptcp_recv_ddgst(struct nvme_mptcp_queue *queue)
{
	struct nvme_mptcp_request *req = queue->rx_req;
	__le32 want;
	int ret, err;

	ret = nvme_mptcp_recv_buf(queue, (u8 *)&queue->rx_ddgst + queue->rx_ddgst_got,
				  NVME_TCP_DIGEST_LENGTH - queue->rx_ddgst_got);
	if (ret <= 0)
		return ret;
	queue->rx_ddgst_got += ret;
	if (queue->rx_ddgst_got < NVME_TCP_DIGEST_LENGTH)
		return ret;
	want = nvme_mptcp_crc_final(req->data_crc);
	if (queue->rx_ddgst != want) {
		/* The data is bad, the stream is not: fail just this command. */
		atomic_long_inc(&nvme_mptcp_refusal_count[NVME_MPTCP_PDU_DATA_DIGEST]);
		dev_err_ratelimited(queue->ctrl->ctrl.device,
				    "queue %d: data digest error on command %#x (got %#x, want %#x)\n",
				    queue->qid, req->cmd.cmd.common.command_id,
				    le32_to_cpu(queue->rx_ddgst), le32_to_cpu(want));
		req->status = cpu_to_le16(NVME_SC_DATA_XFER_ERROR << 1);
	}
	err = nvme_mptcp_c2h_done(queue);
	return err ? err : ret;
}

/*
 * Receive what the socket has, up to a budget; called with io_lock held.
 * Returns bytes consumed, or a negative error after which the controller
 * is being recovered.
 */
int nvme_mptcp_try_recv(struct nvme_mptcp_queue *queue)
{
	int consumed = 0, ret = -EAGAIN;

	lockdep_assert_held(&queue->io_lock);
	while (nvme_mptcp_queue_serving(queue) && consumed < SZ_256K) {
		switch (queue->rx_state) {
		case NVME_MPTCP_RECV_HDR:
			ret = nvme_mptcp_recv_hdr(queue);
			break;
		case NVME_MPTCP_RECV_DATA:
			ret = nvme_mptcp_recv_data(queue);
			break;
		case NVME_MPTCP_RECV_DDGST:
			ret = nvme_mptcp_recv_ddgst(queue);
			break;
		}
		if (ret <= 0)
			break;
		queue->stats.bytes_rx += ret;
		consumed += ret;
	}
	if (ret == 0) {
		dev_info_ratelimited(queue->ctrl->ctrl.device,
				     "queue %d: connection closed by the controller\n",
				     queue->qid);
		ret = -ECONNRESET;
	}
	if (ret < 0 && ret != -EAGAIN) {
		nvme_mptcp_queue_failed(queue);
		return ret;
	}
	return consumed;
}
