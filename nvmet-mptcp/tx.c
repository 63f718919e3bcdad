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

/* Common header fields; the header digest follows the 24-byte header. */
static void nvmet_mptcp_hdr_init(struct nvmet_mptcp_cmd *cmd, u8 type,
				 u8 flags, u8 pdo, u32 data_len)
{
	struct nvmet_mptcp_queue *queue = cmd->queue;
	struct nvme_tcp_hdr *hdr = (struct nvme_tcp_hdr *)cmd->pdu;
	u8 hdgst = nvmet_mptcp_hdgst_len(queue);

	memset(cmd->pdu, 0, sizeof(cmd->pdu));
	hdr->type = type;
	hdr->flags = flags | (hdgst ? NVME_TCP_F_HDGST : 0);
	hdr->hlen = sizeof(struct nvme_tcp_rsp_pdu);
	hdr->pdo = pdo;
	hdr->plen = cpu_to_le32((pdo ? pdo : hdr->hlen + hdgst) + data_len);
	cmd->pdu_len = hdr->hlen + hdgst;
	cmd->snd_off = 0;
}

static void nvmet_mptcp_hdr_digest(struct nvmet_mptcp_cmd *cmd)
{
	u8 hlen = sizeof(struct nvme_tcp_rsp_pdu);
	__le32 dgst;

	if (!cmd->queue->hdr_digest)
		return;
	dgst = nvmet_mptcp_crc_final(nvmet_mptcp_crc(~0, cmd->pdu, hlen));
	memcpy(cmd->pdu + hlen, &dgst, sizeof(dgst));
}

static void nvmet_mptcp_setup_r2t(struct nvmet_mptcp_cmd *cmd)
{
	struct nvme_tcp_r2t_pdu *r2t = (struct nvme_tcp_r2t_pdu *)cmd->pdu;

	nvmet_mptcp_hdr_init(cmd, nvme_tcp_r2t, 0, 0, 0);
	r2t->command_id = cmd->cmd.common.command_id;
	r2t->ttag = cmd->ttag;
	r2t->r2t_offset = cpu_to_le32(cmd->rbytes);
	r2t->r2t_length = cpu_to_le32(cmd->req.transfer_len - cmd->rbytes);
	nvmet_mptcp_hdr_digest(cmd);
	cmd->snd_state = NVMET_MPTCP_SEND_R2T;
}

static void nvmet_mptcp_setup_rsp(struct nvmet_mptcp_cmd *cmd)
{
	struct nvme_tcp_rsp_pdu *rsp = (struct nvme_tcp_rsp_pdu *)cmd->pdu;

	nvmet_mptcp_hdr_init(cmd, nvme_tcp_rsp, 0, 0, 0);
	rsp->cqe = cmd->cqe;
	nvmet_mptcp_hdr_digest(cmd);
	cmd->snd_state = NVMET_MPTCP_SEND_RSP;
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

	nvmet_mptcp_hdr_init(cmd, nvme_tcp_c2h_data, flags, pdo, len + ddgst);
	c2h->command_id = cmd->cqe.command_id;
	c2h->data_offset = 0;
	c2h->data_length = cpu_to_le32(len);
	nvmet_mptcp_hdr_digest(cmd);
	if (ddgst)
		cmd->ddgst = nvmet_mptcp_crc_final(nvmet_mptcp_crc_data(cmd));
	cmd->wbytes = 0;
	cmd->cursor.sg = cmd->req.sg;
	cmd->cursor.off = 0;
	cmd->snd_state = NVMET_MPTCP_SEND_C2H;
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
