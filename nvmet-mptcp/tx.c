// SPDX-License-Identifier: GPL-2.0
/*
 * Transmit: R2Ts, C2HData PDUs and responses, sent with non-blocking
 * sendmsg from the queue's io_work (MPTCP copies: no MSG_SPLICE_PAGES).
 *
 * nvmet hands a finished command to queue_response from any context; it
 * only goes on a lock-free list and schedules io_work.  A send that
 * cannot go on leaves the command where it stopped; the socket's
 * write-space wake-up brings io_work back to it.
 */
#include "nvmet-mptcp.h"

/* What padding the host's data alignment asks for is made of. */
static const u8 nvmet_mptcp_zeroes[128];

static bool nvmet_mptcp_more_queued(struct nvmet_mptcp_queue *queue)
{
	return !list_empty(&queue->send_list) ||
	       !llist_empty(&queue->resp_list);
}

void nvmet_mptcp_queue_send(struct nvmet_mptcp_cmd *cmd)
{
	struct nvmet_mptcp_queue *queue = cmd->queue;

	llist_add(&cmd->lentry, &queue->resp_list);
	nvmet_mptcp_kick(queue);
}

void nvmet_mptcp_queue_response(struct nvmet_req *req)
{
	struct nvmet_mptcp_cmd *cmd = to_mptcp_cmd(req);

	/*
	 * nvmet refused the command while its in-capsule data is still on
	 * the way: the host must not see the response before it has sent it
	 * all, so rx.c sends it once the data has been read.
	 */
	if (cmd->flags & NVMET_MPTCP_CMD_F_INLINE) {
		cmd->flags |= NVMET_MPTCP_CMD_F_RSP_DEFERRED;
		return;
	}
	/* Any context: io_work reads it (rx.c, cmd.c) without a lock. */
	WRITE_ONCE(cmd->state, NVMET_MPTCP_CMD_SEND);
	nvmet_mptcp_queue_send(cmd);
}

static bool nvmet_mptcp_need_data_out(struct nvmet_mptcp_cmd *cmd)
{
	return !nvme_is_write(&cmd->cmd) && cmd->req.transfer_len &&
	       !cmd->cqe.status;
}

/*
 * Common header fields into @buf (NVMET_MPTCP_PDU_LEN bytes); returns
 * the header's length with the digest that follows it.
 */
static u8 nvmet_mptcp_hdr_init(struct nvmet_mptcp_queue *queue, u8 *buf,
			       u8 type, u8 flags, u8 pdo, u32 data_len)
{
	struct nvme_tcp_hdr *hdr = (struct nvme_tcp_hdr *)buf;
	u8 hdgst = nvmet_mptcp_hdgst_len(queue);

	memset(buf, 0, NVMET_MPTCP_PDU_LEN);
	hdr->type = type;
	hdr->flags = flags | (hdgst ? NVME_TCP_F_HDGST : 0);
	hdr->hlen = sizeof(struct nvme_tcp_rsp_pdu);
	hdr->pdo = pdo;
	hdr->plen = cpu_to_le32((pdo ? pdo : hdr->hlen + hdgst) + data_len);
	return hdr->hlen + hdgst;
}

static void nvmet_mptcp_hdr_digest(struct nvmet_mptcp_queue *queue, u8 *buf)
{
	u8 hlen = sizeof(struct nvme_tcp_rsp_pdu);
	__le32 dgst;

	if (!queue->hdr_digest)
		return;
	dgst = nvmet_mptcp_crc_final(nvmet_mptcp_crc(~0, buf, hlen));
	memcpy(buf + hlen, &dgst, sizeof(dgst));
}

/* @cmd's header in cmd->pdu, ready to go out from its first byte. */
static void nvmet_mptcp_hdr_ready(struct nvmet_mptcp_cmd *cmd, u8 len,
				  enum nvmet_mptcp_send_state state)
{
	nvmet_mptcp_hdr_digest(cmd->queue, cmd->pdu);
	cmd->pdu_len = len;
	cmd->snd_off = 0;
	cmd->snd_state = state;
}

static void nvmet_mptcp_setup_r2t(struct nvmet_mptcp_cmd *cmd)
{
	struct nvme_tcp_r2t_pdu *r2t = (struct nvme_tcp_r2t_pdu *)cmd->pdu;
	u8 len;

	len = nvmet_mptcp_hdr_init(cmd->queue, cmd->pdu, nvme_tcp_r2t, 0, 0, 0);
	r2t->command_id = cmd->cmd.common.command_id;
	r2t->ttag = cmd->ttag;
	r2t->r2t_offset = cpu_to_le32(cmd->rbytes);
	r2t->r2t_length = cpu_to_le32(cmd->req.transfer_len - cmd->rbytes);
	nvmet_mptcp_hdr_ready(cmd, len, NVMET_MPTCP_SEND_R2T);
}

/* The response capsule into @buf; returns its length. */
static u8 nvmet_mptcp_build_rsp(struct nvmet_mptcp_cmd *cmd, u8 *buf)
{
	struct nvme_tcp_rsp_pdu *rsp = (struct nvme_tcp_rsp_pdu *)buf;
	u8 len;

	len = nvmet_mptcp_hdr_init(cmd->queue, buf, nvme_tcp_rsp, 0, 0, 0);
	rsp->cqe = cmd->cqe;
	nvmet_mptcp_hdr_digest(cmd->queue, buf);
	return len;
}

static void nvmet_mptcp_setup_rsp(struct nvmet_mptcp_cmd *cmd)
{
	nvmet_mptcp_hdr_ready(cmd, nvmet_mptcp_build_rsp(cmd, cmd->pdu),
			      NVMET_MPTCP_SEND_RSP);
}

static void nvmet_mptcp_setup_c2h(struct nvmet_mptcp_cmd *cmd)
{
	struct nvmet_mptcp_queue *queue = cmd->queue;
	struct nvme_tcp_data_pdu *c2h = (struct nvme_tcp_data_pdu *)cmd->pdu;
	u8 hdgst = nvmet_mptcp_hdgst_len(queue);
	u8 ddgst = nvmet_mptcp_ddgst_len(queue);
	u8 pdo = sizeof(*c2h) + hdgst + queue->c2h_pad;
	u32 len = cmd->req.transfer_len;
	u8 flags = NVME_TCP_F_DATA_LAST;
	u8 hlen;

	/*
	 * Without SQ head updates the host needs no response for a plain
	 * success: the C2HData PDU says so itself (and saves a PDU).
	 */
	cmd->c2h_success = cmd->queue->nvme_sq.sqhd_disabled &&
			   !cmd->cqe.status && !cmd->cqe.result.u64;
	if (cmd->c2h_success)
		flags |= NVME_TCP_F_DATA_SUCCESS;
	if (ddgst)
		flags |= NVME_TCP_F_DDGST;

	hlen = nvmet_mptcp_hdr_init(queue, cmd->pdu, nvme_tcp_c2h_data, flags,
				    pdo, len + ddgst);
	c2h->command_id = cmd->cqe.command_id;
	c2h->data_offset = 0;
	c2h->data_length = cpu_to_le32(len);
	if (ddgst)
		cmd->ddgst = nvmet_mptcp_crc_final(nvmet_mptcp_crc_data(cmd));
	cmd->wbytes = 0;
	cmd->cursor.sg = cmd->req.sg;
	cmd->cursor.off = 0;
	nvmet_mptcp_hdr_ready(cmd, hlen, NVMET_MPTCP_SEND_C2H);
}

static int nvmet_mptcp_sendmsg(struct nvmet_mptcp_queue *queue,
			       struct msghdr *msg, bool more)
{
	msg->msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL | (more ? MSG_MORE : 0);
	return sock_sendmsg(queue->sock, msg);
}

/*
 * Send what is left of @len bytes of @vec, tracked by cmd->snd_off.
 * Returns 1 when all is out, 0 when the socket is full, or an error.
 */
static int nvmet_mptcp_send_kvec(struct nvmet_mptcp_cmd *cmd,
				 struct kvec *vec, int nr, size_t len,
				 bool more)
{
	struct msghdr msg = { };
	int ret;

	while (cmd->snd_off < len) {
		iov_iter_kvec(&msg.msg_iter, ITER_SOURCE, vec, nr, len);
		iov_iter_advance(&msg.msg_iter, cmd->snd_off);
		ret = nvmet_mptcp_sendmsg(cmd->queue, &msg, more);
		if (ret == -EAGAIN)
			return 0;
		if (ret <= 0)
			return ret ? ret : -EIO;
		cmd->snd_off += ret;
	}
	cmd->snd_off = 0;
	return 1;
}

/* The PDU header, its digest and any data alignment padding. */
static int nvmet_mptcp_send_pdu(struct nvmet_mptcp_cmd *cmd, u8 pad,
				bool more)
{
	struct kvec vec[2] = {
		{ .iov_base = cmd->pdu, .iov_len = cmd->pdu_len },
		{ .iov_base = (void *)nvmet_mptcp_zeroes, .iov_len = pad },
	};

	return nvmet_mptcp_send_kvec(cmd, vec, pad ? 2 : 1,
				     cmd->pdu_len + pad, more);
}

static int nvmet_mptcp_send_data(struct nvmet_mptcp_cmd *cmd, bool more)
{
	u32 total = cmd->req.transfer_len;
	struct msghdr msg = { };
	u32 len;
	int ret;

	while (cmd->wbytes < total) {
		len = nvmet_mptcp_data_iter(cmd, &msg.msg_iter, ITER_SOURCE,
					    total - cmd->wbytes);
		if (!len)
			return -EIO;
		ret = nvmet_mptcp_sendmsg(cmd->queue, &msg,
					  more || cmd->wbytes + len < total);
		if (ret == -EAGAIN)
			return 0;
		if (ret <= 0)
			return ret ? ret : -EIO;
		nvmet_mptcp_data_advance(cmd, ret);
		cmd->wbytes += ret;
	}
	return 1;
}

static int nvmet_mptcp_send_ddgst(struct nvmet_mptcp_cmd *cmd, bool more)
{
	struct kvec vec = {
		.iov_base = &cmd->ddgst, .iov_len = NVMET_MPTCP_DIGEST_LEN,
	};

	return nvmet_mptcp_send_kvec(cmd, &vec, 1, vec.iov_len, more);
}

static void nvmet_mptcp_bvec_virt(struct bio_vec *bv, void *buf, u32 len)
{
	bv->bv_page = virt_to_page(buf);
	bv->bv_offset = offset_in_page(buf);
	bv->bv_len = len;
}

/*
 * Point queue->tx_bvec at the whole of a C2HData PDU that has not begun
 * to go out, and the response after it unless the PDU stands in for it.
 * Returns the bytes covered; 0 when the data is longer than
 * NVMET_MPTCP_GATHER_MAX or in more pieces than NVMET_MPTCP_GATHER_BVECS.
 *
 * Why only small reads: they are where the pieces cost (segments, and
 * reordering at the host), and gathering reads of up to 64 KiB coincided
 * with 6-8 s stalls after a path loss on 6.12 in the fault suite.  MPTCP's
 * code shows no reason for that (one 64 KiB sendmsg lands on one subflow
 * either way), so this cap is caution, not a fix: see
 * docs/bench/ab-gather-6.12.md.
 */
static u32 nvmet_mptcp_c2h_gather(struct nvmet_mptcp_cmd *cmd, int *nr)
{
	struct nvmet_mptcp_queue *queue = cmd->queue;
	struct bio_vec *bv = queue->tx_bvec;
	u32 data = cmd->req.transfer_len, tail = 0;
	int n = 0, pages;

	if (data > NVMET_MPTCP_GATHER_MAX)
		return 0;
	memcpy(queue->tx_head, cmd->pdu, cmd->pdu_len);
	nvmet_mptcp_bvec_virt(&bv[n++], queue->tx_head, cmd->pdu_len);
	if (queue->c2h_pad) {
		/* (module data is not in the linear map: no virt_to_page) */
		bv[n].bv_page = ZERO_PAGE(0);
		bv[n].bv_offset = 0;
		bv[n++].bv_len = queue->c2h_pad;
	}
	/* (the cursor is where setup_c2h put it: at the start) */
	if (nvmet_mptcp_data_bvecs(cmd, &bv[n], NVMET_MPTCP_GATHER_BVECS, data,
				   &pages) != data)
		return 0;
	n += pages;
	if (queue->data_digest) {
		memcpy(queue->tx_tail, &cmd->ddgst, NVMET_MPTCP_DIGEST_LEN);
		tail = NVMET_MPTCP_DIGEST_LEN;
	}
	if (!cmd->c2h_success)
		tail += nvmet_mptcp_build_rsp(cmd, queue->tx_tail + tail);
	if (tail)
		nvmet_mptcp_bvec_virt(&bv[n++], queue->tx_tail, tail);
	*nr = n;
	return cmd->pdu_len + queue->c2h_pad + data + tail;
}

/*
 * A small read's C2HData header, data, digest and response in one
 * sendmsg.  MPTCP (6.6 on) picks a subflow afresh for each sendmsg: sent
 * in pieces, one read often took three subflows, and the host's MPTCP held
 * every piece that overtook a lost one, which under loss is most of them.
 * Returns 1 when all of it went out; -EAGAIN when none did and the
 * socket is full; otherwise 0 with the send state moved past what did
 * (or untouched: data too long or in too many pieces), for the
 * piece-by-piece path to go on; or another error.
 */
static int nvmet_mptcp_send_c2h_whole(struct nvmet_mptcp_cmd *cmd, bool more)
{
	struct nvmet_mptcp_queue *queue = cmd->queue;
	u32 head = cmd->pdu_len + queue->c2h_pad;
	u32 data = cmd->req.transfer_len;
	struct msghdr msg = { };
	u32 total, sent;
	int nr, ret;

	total = nvmet_mptcp_c2h_gather(cmd, &nr);
	if (!total)
		return 0;
	iov_iter_bvec(&msg.msg_iter, ITER_SOURCE, queue->tx_bvec, nr, total);
	ret = nvmet_mptcp_sendmsg(queue, &msg, more);
	if (ret <= 0)
		return ret ? ret : -EIO;
	sent = ret;
	if (sent == total)
		return 1;
	if (sent < head) {
		cmd->snd_off = sent;
		return 0;
	}
	sent -= head;
	cmd->snd_state = NVMET_MPTCP_SEND_DATA;
	cmd->wbytes = min(sent, data);
	nvmet_mptcp_data_advance(cmd, cmd->wbytes);
	if (sent < data)
		return 0;
	sent -= data;
	if (queue->data_digest) {
		if (sent < NVMET_MPTCP_DIGEST_LEN) {
			cmd->snd_state = NVMET_MPTCP_SEND_DDGST;
			cmd->snd_off = sent;
			return 0;
		}
		sent -= NVMET_MPTCP_DIGEST_LEN;
	}
	/* Only the response is left: the same bytes, from cmd->pdu. */
	nvmet_mptcp_setup_rsp(cmd);
	cmd->snd_off = sent;
	return 0;
}

/* The next command with something to send, its first PDU set up. */
static struct nvmet_mptcp_cmd *nvmet_mptcp_fetch(struct nvmet_mptcp_queue *queue)
{
	struct nvmet_mptcp_cmd *cmd, *tmp;
	struct llist_node *node;

	if (list_empty(&queue->send_list)) {
		/* The lock-free list is newest first: restore arrival order. */
		node = llist_reverse_order(llist_del_all(&queue->resp_list));
		llist_for_each_entry_safe(cmd, tmp, node, lentry)
			list_add_tail(&cmd->entry, &queue->send_list);
	}
	cmd = list_first_entry_or_null(&queue->send_list,
				       struct nvmet_mptcp_cmd, entry);
	if (!cmd)
		return NULL;
	list_del_init(&cmd->entry);

	if (cmd->flags & NVMET_MPTCP_CMD_F_R2T)
		nvmet_mptcp_setup_r2t(cmd);
	else if (nvmet_mptcp_need_data_out(cmd))
		nvmet_mptcp_setup_c2h(cmd);
	else
		nvmet_mptcp_setup_rsp(cmd);
	return cmd;
}

/* Go on with the current command.  1: it is done, 0: blocked, <0: error. */
static int nvmet_mptcp_send_one(struct nvmet_mptcp_cmd *cmd)
{
	struct nvmet_mptcp_queue *queue = cmd->queue;
	bool more = nvmet_mptcp_more_queued(queue);
	bool ddgst = queue->data_digest;
	int ret;

	if (cmd->snd_state == NVMET_MPTCP_SEND_C2H && !cmd->snd_off) {
		/* Blocked: the write-space wake-up brings us back. */
		ret = nvmet_mptcp_send_c2h_whole(cmd, more);
		if (ret == -EAGAIN)
			return 0;
		if (ret < 0)
			return ret;
		if (ret)
			goto done;
	}

	switch (cmd->snd_state) {
	case NVMET_MPTCP_SEND_R2T:
		ret = nvmet_mptcp_send_pdu(cmd, 0, more);
		if (ret != 1)
			return ret;
		/* Only now may H2CData for it come: rx.c accepts it. */
		cmd->flags &= ~NVMET_MPTCP_CMD_F_R2T;
		cmd->flags |= NVMET_MPTCP_CMD_F_H2C_OK;
		return 1;
	case NVMET_MPTCP_SEND_C2H:
		ret = nvmet_mptcp_send_pdu(cmd, queue->c2h_pad, true);
		if (ret != 1)
			return ret;
		cmd->snd_state = NVMET_MPTCP_SEND_DATA;
		fallthrough;
	case NVMET_MPTCP_SEND_DATA:
		ret = nvmet_mptcp_send_data(cmd, ddgst || !cmd->c2h_success ||
					    more);
		if (ret != 1)
			return ret;
		cmd->snd_state = NVMET_MPTCP_SEND_DDGST;
		fallthrough;
	case NVMET_MPTCP_SEND_DDGST:
		if (ddgst) {
			ret = nvmet_mptcp_send_ddgst(cmd, !cmd->c2h_success ||
						     more);
			if (ret != 1)
				return ret;
		}
		if (cmd->c2h_success)
			break;
		nvmet_mptcp_setup_rsp(cmd);
		fallthrough;
	case NVMET_MPTCP_SEND_RSP:
		ret = nvmet_mptcp_send_pdu(cmd, 0, more);
		if (ret != 1)
			return ret;
		break;
	}
done:
	nvmet_mptcp_put_cmd(cmd);
	return 1;
}

/*
 * Send queued PDUs, up to a budget.  Returns how many commands made it
 * out, or a negative error.
 */
int nvmet_mptcp_try_send(struct nvmet_mptcp_queue *queue)
{
	int sent = 0, ret;

	while (sent < 16) {
		if (!queue->snd_cmd) {
			queue->snd_cmd = nvmet_mptcp_fetch(queue);
			if (!queue->snd_cmd)
				break;
		}
		ret = nvmet_mptcp_send_one(queue->snd_cmd);
		if (ret < 0)
			return ret;
		if (!ret)
			break;
		queue->snd_cmd = NULL;
		sent++;
	}
	return sent;
}

/* The ICResp: the first thing we send, so the socket has room for it. */
int nvmet_mptcp_send_icresp(struct nvmet_mptcp_queue *queue)
{
	struct nvme_tcp_icresp_pdu icresp = { };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec vec = { .iov_base = &icresp, .iov_len = sizeof(icresp) };
	int ret;

	icresp.hdr.type = nvme_tcp_icresp;
	icresp.hdr.hlen = sizeof(icresp);
	icresp.hdr.plen = cpu_to_le32(sizeof(icresp));
	icresp.pfv = cpu_to_le16(NVME_TCP_PFV_1_0);
	icresp.cpda = 0;
	if (queue->hdr_digest)
		icresp.digest |= NVME_TCP_HDR_DIGEST_ENABLE;
	if (queue->data_digest)
		icresp.digest |= NVME_TCP_DATA_DIGEST_ENABLE;
	icresp.maxdata = cpu_to_le32(NVMET_MPTCP_MAXH2CDATA);

	ret = kernel_sendmsg(queue->sock, &msg, &vec, 1, vec.iov_len);
	if (ret == sizeof(icresp))
		return 0;
	return ret < 0 ? ret : -EIO;
}

/*
 * Tell the host why its connection ends: a C2HTermReq with the status,
 * its error information and the header in error as far as it was read,
 * without its digest (NVMe/TCP transport spec, C2HTermReq PDU).  Term
 * PDUs carry no digests, so one is valid before the ICResp too.  Never
 * while one of our PDUs is half sent: the host would take the term for
 * the rest of it.  Best effort.
 */
void nvmet_mptcp_send_term(struct nvmet_mptcp_queue *queue, u16 fes, u32 fei)
{
	struct nvme_tcp_term_pdu term = { };
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec vec[2] = {
		{ .iov_base = &term, .iov_len = sizeof(term) },
		{ .iov_base = queue->rx_pdu.raw },
	};
	u32 len = 0;

	if (!fes || queue->snd_cmd)
		return;
	if (queue->rx_state == NVMET_MPTCP_RX_HDR) {
		len = queue->rx_got;
		/* Past the common header, hlen has been checked. */
		if (len > sizeof(struct nvme_tcp_hdr))
			len = queue->rx_pdu.hdr.hlen;
		len = min_t(u32, len, NVMET_MPTCP_TERM_DATA_MAX);
	}
	vec[1].iov_len = len;

	term.hdr.type = nvme_tcp_c2h_term;
	term.hdr.hlen = sizeof(term);
	term.hdr.plen = cpu_to_le32(sizeof(term) + len);
	term.fes = cpu_to_le16(fes);
	term.feil = cpu_to_le16(lower_16_bits(fei));
	term.feiu = cpu_to_le16(upper_16_bits(fei));
	kernel_sendmsg(queue->sock, &msg, vec, 2, sizeof(term) + len);
}
