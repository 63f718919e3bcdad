// SPDX-License-Identifier: GPL-2.0
/*
 * blk-mq side of a controller: turning requests into command capsules,
 * queue mapping, polling, timeouts and the asynchronous event request.
 */
#include <linux/blk-mq.h>
#include "nvme-mptcp.h"

static int nvme_mptcp_init_request(struct blk_mq_tag_set *set,
				   struct request *rq, unsigned int hctx_idx,
				   kc_numa_node_t numa_node)
{
	struct nvme_mptcp_ctrl *ctrl = to_mptcp_ctrl(set->driver_data);
	struct nvme_mptcp_request *req = to_mptcp_req(rq);
	int qid = set == &ctrl->tag_set ? hctx_idx + 1 : 0;

	req->queue = &ctrl->queues[qid];
	req->nreq.ctrl = &ctrl->ctrl;
	req->nreq.cmd = &req->cmd.cmd;
	return 0;
}

static int nvme_mptcp_init_hctx(struct blk_mq_hw_ctx *hctx, void *data,
				unsigned int hctx_idx)
{
	struct nvme_mptcp_ctrl *ctrl = to_mptcp_ctrl(data);

	hctx->driver_data = &ctrl->queues[hctx_idx + 1];
	return 0;
}

static int nvme_mptcp_init_admin_hctx(struct blk_mq_hw_ctx *hctx, void *data,
				      unsigned int hctx_idx)
{
	struct nvme_mptcp_ctrl *ctrl = to_mptcp_ctrl(data);

	hctx->driver_data = &ctrl->queues[0];
	return 0;
}

static void nvme_mptcp_sgl(struct nvme_command *cmd, u8 type, u64 addr,
			   u32 len)
{
	struct nvme_sgl_desc *sg = &cmd->common.dptr.sgl;

	cmd->common.flags |= NVME_CMD_SGL_METABUF;
	sg->addr = cpu_to_le64(addr);
	sg->length = cpu_to_le32(len);
	sg->type = type;
}

static void nvme_mptcp_cmd_hdr(struct nvme_mptcp_request *req)
{
	struct nvme_mptcp_queue *queue = req->queue;
	struct nvme_tcp_hdr *hdr = &req->cmd.hdr;
	u8 hdgst = nvme_mptcp_hdgst_len(queue);
	u8 ddgst = req->inline_len ? nvme_mptcp_ddgst_len(queue) : 0;

	hdr->type = nvme_tcp_cmd;
	hdr->flags = 0;
	if (hdgst)
		hdr->flags |= NVME_TCP_F_HDGST;
	if (ddgst)
		hdr->flags |= NVME_TCP_F_DDGST;
	hdr->hlen = sizeof(req->cmd);
	hdr->pdo = req->inline_len ? sizeof(req->cmd) + hdgst : 0;
	hdr->plen = cpu_to_le32(sizeof(req->cmd) + hdgst + req->inline_len + ddgst);
}

static void nvme_mptcp_prep_send(struct nvme_mptcp_request *req)
{
	req->data_done = 0;
	req->r2t_left = 0;
	req->pdu_data_left = 0;
	req->status = 0;
	req->answered = false;
	req->sent = 0;
	req->state = NVME_MPTCP_SEND_CMD;
	req->tx_busy = true;
}

static void nvme_mptcp_setup_capsule(struct nvme_mptcp_request *req,
				     struct request *rq)
{
	struct nvme_mptcp_queue *queue = req->queue;
	struct nvme_command *cmd = &req->cmd.cmd;
	/*
	 * In-capsule data is what this queue takes, fabrics commands too:
	 * 8 KiB on the admin queue, IOCCSZ * 16 - 64 on an I/O queue, so an
	 * I/O queue's Connect goes by R2T when IOCCSZ has no room for it.
	 */
	u32 icd = queue->cmnd_capsule_len - sizeof(struct nvme_command);
	bool write = rq_data_dir(rq) == WRITE;

	nvme_mptcp_prep_send(req);
	req->data_len = blk_rq_nr_phys_segments(rq) ? blk_rq_payload_bytes(rq) : 0;
	req->inline_len = write && req->data_len <= icd ? req->data_len : 0;
	if (req->data_len)
		nvme_mptcp_cursor_init(req, write ? ITER_SOURCE : ITER_DEST);

	if (!req->data_len)
		nvme_mptcp_sgl(cmd, NVME_TRANSPORT_SGL_DATA_DESC << 4 |
			       NVME_SGL_FMT_TRANSPORT_A, 0, 0);
	else if (req->inline_len)
		/* In-capsule data right after the SQE (icdoff is 0). */
		nvme_mptcp_sgl(cmd, NVME_SGL_FMT_DATA_DESC << 4 |
			       NVME_SGL_FMT_OFFSET, 0, req->data_len);
	else
		nvme_mptcp_sgl(cmd, NVME_TRANSPORT_SGL_DATA_DESC << 4 |
			       NVME_SGL_FMT_TRANSPORT_A, 0, req->data_len);
	nvme_mptcp_cmd_hdr(req);
}

static void nvme_mptcp_start_request(struct request *rq)
{
#ifdef KC_HAVE_NVME_MPATH_START_REQUEST
	/* nvme-core marks multipath I/O with REQ_DRV (its REQ_NVME_MPATH). */
	if (rq->cmd_flags & REQ_DRV)
		nvme_mpath_start_request(rq);
#endif
	blk_mq_start_request(rq);
}

static blk_status_t nvme_mptcp_queue_rq(struct blk_mq_hw_ctx *hctx,
					const struct blk_mq_queue_data *bd)
{
	struct nvme_mptcp_queue *queue = hctx->driver_data;
	struct nvme_ctrl *ctrl = &queue->ctrl->ctrl;
	struct request *rq = bd->rq;
	struct nvme_mptcp_request *req = to_mptcp_req(rq);
	blk_status_t ret;

	if (!kc_nvme_check_ready(ctrl, rq, nvme_mptcp_queue_live(queue)))
		return nvme_fail_nonready_command(ctrl, rq);
	/* A connection that already broke: fail over or requeue. */
	if (unlikely(!nvme_mptcp_queue_serving(queue))) {
		/* A live controller with a dead queue (it broke late in setup). */
		if (nvme_mptcp_state(ctrl) == NVME_CTRL_LIVE)
			nvme_mptcp_error_recovery(ctrl);
		return nvme_fail_nonready_command(ctrl, rq);
	}

	ret = nvme_setup_cmd(hctx->queue->queuedata, rq);
	if (ret)
		return ret;
	nvme_mptcp_setup_capsule(req, rq);
	nvme_mptcp_start_request(rq);
	nvme_mptcp_queue_request(req, bd->last);
	return BLK_STS_OK;
}

static void nvme_mptcp_commit_rqs(struct blk_mq_hw_ctx *hctx)
{
	struct nvme_mptcp_queue *queue = hctx->driver_data;

	if (!llist_empty(&queue->req_list))
		nvme_mptcp_kick(queue);
}

static enum blk_eh_timer_return nvme_mptcp_timeout(struct request *rq)
{
	struct nvme_mptcp_request *req = to_mptcp_req(rq);
	struct nvme_mptcp_queue *queue = req->queue;
	struct nvme_ctrl *ctrl = &queue->ctrl->ctrl;

	dev_warn(ctrl->device, "queue %d: command %#x (opcode %#x) timed out\n",
		 queue->qid, req->cmd.cmd.common.command_id,
		 req->cmd.cmd.common.opcode);

	if (nvme_mptcp_state(ctrl) != NVME_CTRL_LIVE) {
		/*
		 * Setup and teardown wait on this command (connect, property
		 * access, shutdown): fail it now rather than block them.
		 */
		nvme_mptcp_queue_quiet(queue);
		if (blk_mq_request_started(rq) && !blk_mq_request_completed(rq)) {
			req->nreq.status = NVME_SC_HOST_ABORTED_CMD;
			blk_mq_complete_request(rq);
		}
		/*
		 * Setup may have gone LIVE meanwhile, having found this queue
		 * healthy: as in nvme_mptcp_queue_failed(), recover it.
		 */
		smp_mb();
		if (nvme_mptcp_state(ctrl) == NVME_CTRL_LIVE)
			nvme_mptcp_error_recovery(ctrl);
		return BLK_EH_DONE;
	}
	/* Error recovery cancels this request with all the others. */
	nvme_mptcp_error_recovery(ctrl);
	return BLK_EH_RESET_TIMER;
}

static void nvme_mptcp_map_queues(struct blk_mq_tag_set *set)
{
	struct nvme_mptcp_ctrl *ctrl = to_mptcp_ctrl(set->driver_data);
	u32 *nq = ctrl->io_queues;
	struct blk_mq_queue_map *def = &set->map[HCTX_TYPE_DEFAULT];
	struct blk_mq_queue_map *read = &set->map[HCTX_TYPE_READ];
	struct blk_mq_queue_map *poll = &set->map[HCTX_TYPE_POLL];

	def->nr_queues = nq[HCTX_TYPE_DEFAULT];
	def->queue_offset = 0;
	if (nq[HCTX_TYPE_READ]) {
		/* Dedicated read queues follow the default (write) ones. */
		read->nr_queues = nq[HCTX_TYPE_READ];
		read->queue_offset = nq[HCTX_TYPE_DEFAULT];
	} else {
		read->nr_queues = nq[HCTX_TYPE_DEFAULT];
		read->queue_offset = 0;
	}
	blk_mq_map_queues(def);
	blk_mq_map_queues(read);
	if (set->nr_maps > HCTX_TYPE_POLL && nq[HCTX_TYPE_POLL]) {
		poll->nr_queues = nq[HCTX_TYPE_POLL];
		poll->queue_offset = nq[HCTX_TYPE_DEFAULT] + nq[HCTX_TYPE_READ];
		blk_mq_map_queues(poll);
	}
}

/*
 * blk-mq polls under rcu_read_lock() (io_uring's iocb_bio_iopoll), and
 * MPTCP's recvmsg takes the socket lock and its subflows' and may sleep,
 * so a poller never touches the socket.  Poll queues receive in io_work,
 * which the socket wakes as for any queue; the poller reports what io_work
 * completed since it last looked.
 */
static int nvme_mptcp_poll(struct blk_mq_hw_ctx *hctx,
			   struct io_comp_batch *iob)
{
	struct nvme_mptcp_queue *queue = hctx->driver_data;

	if (!nvme_mptcp_queue_live(queue))
		return 0;
	return atomic_xchg(&queue->nr_cqe, 0);
}

/*
 * The AEN has no blk-mq request: its command_id lies above the tag space.
 * One is outstanding at a time; its completion (rx.c) clears the bit.
 */
void nvme_mptcp_submit_async_event(struct nvme_ctrl *nctrl)
{
	struct nvme_mptcp_ctrl *ctrl = to_mptcp_ctrl(nctrl);
	struct nvme_mptcp_request *req = &ctrl->async_req;
	struct nvme_command *cmd = &req->cmd.cmd;

	if (test_and_set_bit(NVME_MPTCP_CTRL_AEN_OUT, &ctrl->flags))
		return;

	memset(&req->cmd, 0, sizeof(req->cmd));
	cmd->common.opcode = nvme_admin_async_event;
	cmd->common.command_id = NVME_AQ_BLK_MQ_DEPTH;
	nvme_mptcp_sgl(cmd, NVME_TRANSPORT_SGL_DATA_DESC << 4 |
		       NVME_SGL_FMT_TRANSPORT_A, 0, 0);
	nvme_mptcp_prep_send(req);
	req->data_len = 0;
	req->inline_len = 0;
	nvme_mptcp_cmd_hdr(req);
	nvme_mptcp_queue_request(req, true);
}

const struct blk_mq_ops nvme_mptcp_mq_ops = {
	.queue_rq	= nvme_mptcp_queue_rq,
	.commit_rqs	= nvme_mptcp_commit_rqs,
	.complete	= nvme_complete_rq,
	.init_request	= nvme_mptcp_init_request,
	.init_hctx	= nvme_mptcp_init_hctx,
	.timeout	= nvme_mptcp_timeout,
	.map_queues	= nvme_mptcp_map_queues,
	.poll		= nvme_mptcp_poll,
};

const struct blk_mq_ops nvme_mptcp_admin_mq_ops = {
	.queue_rq	= nvme_mptcp_queue_rq,
	.commit_rqs	= nvme_mptcp_commit_rqs,
	.complete	= nvme_complete_rq,
	.init_request	= nvme_mptcp_init_request,
	.init_hctx	= nvme_mptcp_init_admin_hctx,
	.timeout	= nvme_mptcp_timeout,
};
