// SPDX-License-Identifier: GPL-2.0
/*
 * Commands: slots, what a capsule asks for, its data buffers, and the
 * CRC32C of NVMe/TCP digests.
 *
 * A command is checked against its PDU and this transport's limits before
 * any data buffer is allocated, and nvmet sees it only once its data from
 * the host is all in.  A command nvmet or this code refuses is answered
 * with an error status, after its in-capsule data has been read (and
 * dropped): the host must not see a response while it still sends data.
 */
#include <linux/crc32c.h>
#include <linux/highmem.h>
#include <linux/scatterlist.h>
#include "nvmet-mptcp.h"

void nvmet_mptcp_cmd_init(struct nvmet_mptcp_queue *queue,
			  struct nvmet_mptcp_cmd *cmd, u16 ttag)
{
	cmd->queue = queue;
	cmd->ttag = ttag;
	cmd->req.cmd = &cmd->cmd;
	cmd->req.cqe = &cmd->cqe;
	cmd->req.port = queue->port->nport;
	WRITE_ONCE(cmd->state, NVMET_MPTCP_CMD_FREE);
	INIT_LIST_HEAD(&cmd->entry);
}

/* A free slot, or NULL when the host has more commands out than allowed. */
struct nvmet_mptcp_cmd *nvmet_mptcp_get_cmd(struct nvmet_mptcp_queue *queue)
{
	struct nvmet_mptcp_cmd *cmd;

	/* Until nvmet installs the queue, only the Connect command has one. */
	if (!smp_load_acquire(&queue->cmds)) {
		cmd = &queue->connect;
		if (READ_ONCE(cmd->state) != NVMET_MPTCP_CMD_FREE)
			return NULL;
	} else {
		cmd = list_first_entry_or_null(&queue->free_list,
					       struct nvmet_mptcp_cmd, entry);
		if (!cmd)
			return NULL;
		list_del_init(&cmd->entry);
	}
	cmd->flags = 0;
	cmd->rbytes = 0;
	cmd->wbytes = 0;
	cmd->cursor.sg = NULL;
	cmd->cursor.off = 0;
	cmd->c2h_success = false;
	return cmd;
}

static void nvmet_mptcp_grant_data(struct nvmet_mptcp_queue *queue);

/*
 * io_work only.  The room it gives back may start waiting commands: their
 * R2Ts go on the send list, a read executes (nvmet may answer at once,
 * which only queues the response).
 */
void nvmet_mptcp_put_cmd(struct nvmet_mptcp_cmd *cmd)
{
	struct nvmet_mptcp_queue *queue = cmd->queue;

	if (cmd->req.sg)
		nvmet_req_free_sgls(&cmd->req);
	queue->data_used -= cmd->charged;
	cmd->charged = 0;
	WRITE_ONCE(cmd->state, NVMET_MPTCP_CMD_FREE);
	if (cmd != &queue->connect)
		list_add_tail(&cmd->entry, &queue->free_list);
	if (!list_empty(&queue->budget_wait))
		nvmet_mptcp_grant_data(queue);
}

/* The command an R2T (and so an H2CData PDU) names by transfer tag. */
struct nvmet_mptcp_cmd *nvmet_mptcp_find_ttag(struct nvmet_mptcp_queue *queue,
					      u16 ttag)
{
	struct nvmet_mptcp_cmd *cmds;

	if (ttag == NVMET_MPTCP_CONNECT_TTAG)
		return &queue->connect;
	/* Pairs with the release in install_queue: nr_cmds is set. */
	cmds = smp_load_acquire(&queue->cmds);
	if (!cmds || ttag >= queue->nr_cmds)
		return NULL;
	return &cmds[ttag];
}

static u16 nvmet_mptcp_refuse_cmd(unsigned int reason, u16 status)
{
	nvmet_mptcp_count_refusal(reason);
	return status;
}

/*
 * Whether the command's data descriptor is acceptable, before any memory
 * is set aside for it.  Returns an nvmet status for the host, or 0.
 */
static u16 nvmet_mptcp_check_data(struct nvmet_mptcp_cmd *cmd, u32 len,
				  u32 icd_len)
{
	struct nvme_sgl_desc *sgl = &cmd->cmd.common.dptr.sgl;

	/* Without data in the capsule, the host names a transport buffer. */
	if (!icd_len && sgl->type != ((NVME_TRANSPORT_SGL_DATA_DESC << 4) |
				      NVME_SGL_FMT_TRANSPORT_A))
		return nvmet_mptcp_refuse_cmd(NVMET_MPTCP_REF_SGL_TYPE,
				NVME_SC_SGL_INVALID_TYPE | NVMET_MPTCP_DNR);
	if (len > NVMET_MPTCP_MAX_DATA)
		return nvmet_mptcp_refuse_cmd(NVMET_MPTCP_REF_DATA_LENGTH,
				NVME_SC_SGL_INVALID_DATA | NVMET_MPTCP_DNR);
	/*
	 * Before it has a controller a connection sends nothing but its
	 * Connect, whose data is exactly the Connect data.
	 */
	if (cmd == &cmd->queue->connect && len != sizeof(struct nvmf_connect_data))
		return nvmet_mptcp_refuse_cmd(NVMET_MPTCP_REF_CONNECT_LENGTH,
				NVME_SC_SGL_INVALID_DATA | NVMET_MPTCP_DNR);
	/* Data in the capsule of a command that reads makes no sense. */
	if (icd_len && !nvme_is_write(&cmd->cmd))
		return nvmet_mptcp_refuse_cmd(NVMET_MPTCP_REF_ICD_READ,
				NVME_SC_INVALID_FIELD | NVMET_MPTCP_DNR);
	return 0;
}

static u32 nvmet_mptcp_data_budget(struct nvmet_mptcp_queue *queue)
{
	return queue->nvme_sq.qid ? NVMET_MPTCP_IO_DATA_BUDGET :
				    NVMET_MPTCP_ADMIN_DATA_BUDGET;
}

/* Whether a buffer of @len bytes fits now, after those already waiting. */
static bool nvmet_mptcp_data_fits(struct nvmet_mptcp_queue *queue, u32 len)
{
	return list_empty(&queue->budget_wait) &&
	       queue->data_used + PAGE_ALIGN(len) <=
	       nvmet_mptcp_data_budget(queue);
}

/*
 * The command's buffer of req.transfer_len bytes, charged to its queue
 * (in pages, as allocated) unless it is for in-capsule data.
 */
static u16 nvmet_mptcp_alloc_data(struct nvmet_mptcp_cmd *cmd, bool charge)
{
	if (nvmet_req_alloc_sgls(&cmd->req))
		return nvmet_mptcp_refuse_cmd(NVMET_MPTCP_REF_BUFFER_ALLOC,
					      NVME_SC_INTERNAL);
	if (charge)
		cmd->charged = PAGE_ALIGN(cmd->req.transfer_len);
	cmd->queue->data_used += cmd->charged;
	cmd->cursor.sg = cmd->req.sg;
	cmd->cursor.off = 0;
	return 0;
}

/* A command with its buffer (if any): ask for its data, or execute it. */
static void nvmet_mptcp_start(struct nvmet_mptcp_cmd *cmd)
{
	if (cmd->req.transfer_len && nvme_is_write(&cmd->cmd)) {
		/* H2CData PDUs bring the data to rx.c. */
		cmd->flags |= NVMET_MPTCP_CMD_F_R2T;
		nvmet_mptcp_queue_send(cmd);
		return;
	}
	WRITE_ONCE(cmd->state, NVMET_MPTCP_CMD_EXEC);
	cmd->req.execute(&cmd->req);
}

/* Room came back: start the waiting commands that fit now, in order. */
static void nvmet_mptcp_grant_data(struct nvmet_mptcp_queue *queue)
{
	u32 budget = nvmet_mptcp_data_budget(queue);
	struct nvmet_mptcp_cmd *cmd;
	u16 status;

	while ((cmd = list_first_entry_or_null(&queue->budget_wait,
					       struct nvmet_mptcp_cmd, entry))) {
		if (queue->data_used + PAGE_ALIGN(cmd->req.transfer_len) > budget)
			return;
		list_del_init(&cmd->entry);
		status = nvmet_mptcp_alloc_data(cmd, true);
		if (status)
			nvmet_req_complete(&cmd->req, status);
		else
			nvmet_mptcp_start(cmd);
	}
}

/* Where an SGL field is in the capsule header, for a C2HTermReq's FEI. */
#define SGL_FIELD(f)	offsetof(struct nvme_tcp_cmd_pdu, cmd.common.dptr.sgl.f)

/*
 * A capsule has arrived in queue->rx_pdu, its header checked, with @icd_len
 * bytes of in-capsule data still to receive.  Returns 0, or -EPROTO once
 * the connection is being dropped.
 */
int nvmet_mptcp_new_cmd(struct nvmet_mptcp_queue *queue, u32 icd_len)
{
	struct nvme_command *sqe = &queue->rx_pdu.cmd.cmd;
	struct nvme_sgl_desc *sgl = &sqe->common.dptr.sgl;
	u32 len = le32_to_cpu(sgl->length);
	struct nvmet_mptcp_cmd *cmd;
	u32 fei = 0;
	u16 status;

	cmd = nvmet_mptcp_get_cmd(queue);
	if (!cmd)
		return nvmet_mptcp_proto_err(queue, NVMET_MPTCP_REF_CMD_SLOTS,
					     NVME_TCP_FES_PDU_SEQ_ERR, 0,
					     "more commands than the queue holds",
					     sqe->common.command_id);
	memcpy(&cmd->cmd, sqe, sizeof(cmd->cmd));

	if (icd_len) {
		/* The capsule's data is framed by the PDU: the SGL must agree. */
		if (sgl->type != ((NVME_SGL_FMT_DATA_DESC << 4) |
				  NVME_SGL_FMT_OFFSET))
			fei = SGL_FIELD(type);
		else if (le64_to_cpu(sgl->addr))
			fei = SGL_FIELD(addr);
		else if (len != icd_len)
			fei = SGL_FIELD(length);
		if (fei) {
			nvmet_mptcp_put_cmd(cmd);
			return nvmet_mptcp_proto_err(queue, NVMET_MPTCP_REF_ICD_SGL,
						     NVME_TCP_FES_INVALID_PDU_HDR,
						     fei, "in-capsule data does not match the command's SGL",
						     icd_len);
		}
		cmd->flags |= NVMET_MPTCP_CMD_F_INLINE;
	}

	/* Until its data is in, a response waits (see queue_response). */
	WRITE_ONCE(cmd->state, NVMET_MPTCP_CMD_DATA_IN);
	if (!kc_nvmet_req_init(&cmd->req, &queue->nvme_cq, &queue->nvme_sq,
			       &nvmet_mptcp_ops)) {
		/* nvmet has answered, or will once the data is read. */
		cmd->flags |= NVMET_MPTCP_CMD_F_INIT_FAILED;
		if (icd_len)
			nvmet_mptcp_rx_data_for(queue, cmd, icd_len, true);
		return 0;
	}

	status = len ? nvmet_mptcp_check_data(cmd, len, icd_len) : 0;
	if (!status && len) {
		cmd->req.transfer_len = len;
		/* Data on the wire is taken in; asking for more may wait. */
		if (icd_len || nvmet_mptcp_data_fits(queue, len)) {
			status = nvmet_mptcp_alloc_data(cmd, !icd_len);
		} else {
			list_add_tail(&cmd->entry, &queue->budget_wait);
			nvmet_mptcp_count_data_wait();
			return 0;
		}
	}
	if (status) {
		nvmet_req_complete(&cmd->req, status);
		if (icd_len)
			nvmet_mptcp_rx_data_for(queue, cmd, icd_len, true);
		return 0;
	}

	if (icd_len)
		nvmet_mptcp_rx_data_for(queue, cmd, icd_len, false);
	else
		nvmet_mptcp_start(cmd);
	return 0;
}

/* All data of @cmd from the host is in (or, for a refused one, dropped). */
void nvmet_mptcp_data_in_done(struct nvmet_mptcp_cmd *cmd)
{
	cmd->flags &= ~(NVMET_MPTCP_CMD_F_INLINE | NVMET_MPTCP_CMD_F_H2C_OK);
	if (cmd->flags & NVMET_MPTCP_CMD_F_RSP_DEFERRED) {
		cmd->flags &= ~NVMET_MPTCP_CMD_F_RSP_DEFERRED;
		WRITE_ONCE(cmd->state, NVMET_MPTCP_CMD_SEND);
		nvmet_mptcp_queue_send(cmd);
		return;
	}
	/*
	 * A request nvmet refused at init was answered during init, while
	 * its data was still due, so it took the branch above: never run it.
	 */
	if (WARN_ON_ONCE(cmd->flags & NVMET_MPTCP_CMD_F_INIT_FAILED))
		return;
	WRITE_ONCE(cmd->state, NVMET_MPTCP_CMD_EXEC);
	/*
	 * Corrupted on the way, not by the host's intent: the stream is
	 * intact (the header placed the data), so only this command fails,
	 * with a status that says a retry is likely to succeed.
	 */
	if (cmd->flags & NVMET_MPTCP_CMD_F_BAD_DATA) {
		nvmet_req_complete(&cmd->req, NVME_SC_TRANSIENT_TR_ERR);
		return;
	}
	cmd->req.execute(&cmd->req);
}

static void nvmet_mptcp_uninit_waiting(struct nvmet_mptcp_cmd *cmd)
{
	/* Initialised, never executed nor answered: it holds an sq ref. */
	if (READ_ONCE(cmd->state) == NVMET_MPTCP_CMD_DATA_IN &&
	    !(cmd->flags & (NVMET_MPTCP_CMD_F_INIT_FAILED |
			    NVMET_MPTCP_CMD_F_RSP_DEFERRED)))
		nvmet_req_uninit(&cmd->req);
}

/* Teardown, io_work stopped: give back commands that wait for data. */
void nvmet_mptcp_release_cmds(struct nvmet_mptcp_queue *queue)
{
	u16 i;

	nvmet_mptcp_uninit_waiting(&queue->connect);
	for (i = 0; queue->cmds && i < queue->nr_cmds; i++)
		nvmet_mptcp_uninit_waiting(&queue->cmds[i]);
}

/* Teardown, nvmet done with every command: free their buffers. */
void nvmet_mptcp_free_cmds(struct nvmet_mptcp_queue *queue)
{
	u16 i;

	if (queue->connect.req.sg)
		nvmet_req_free_sgls(&queue->connect.req);
	for (i = 0; queue->cmds && i < queue->nr_cmds; i++)
		if (queue->cmds[i].req.sg)
			nvmet_req_free_sgls(&queue->cmds[i].req);
	kvfree(queue->cmds);
	queue->cmds = NULL;
}

/*
 * Fill up to @max entries of @bv with up to @len bytes of the command's
 * data from its cursor on; returns how many bytes they cover, the number
 * of entries in @nr.
 */
u32 nvmet_mptcp_data_bvecs(struct nvmet_mptcp_cmd *cmd, struct bio_vec *bv,
			   int max, u32 len, int *nr)
{
	struct scatterlist *sg = cmd->cursor.sg;
	u32 off = cmd->cursor.off, total = 0;
	int n = 0;

	while (len && sg && n < max) {
		u32 chunk = min(len, sg->length - off);

		bv[n].bv_page = sg_page(sg);
		bv[n].bv_offset = sg->offset + off;
		bv[n].bv_len = chunk;
		n++;
		total += chunk;
		len -= chunk;
		off = 0;
		sg = sg_next(sg);
	}
	*nr = n;
	return total;
}

/*
 * Point @iter (direction @dir) at up to @len bytes of the command's data
 * from its cursor on; returns how many it covers.
 */
u32 nvmet_mptcp_data_iter(struct nvmet_mptcp_cmd *cmd, struct iov_iter *iter,
			  unsigned int dir, u32 len)
{
	struct bio_vec *bv = cmd->queue->bvec;
	u32 total;
	int nr;

	total = nvmet_mptcp_data_bvecs(cmd, bv, NVMET_MPTCP_BVECS, len, &nr);
	iov_iter_bvec(iter, dir, bv, nr, total);
	return total;
}

void nvmet_mptcp_data_advance(struct nvmet_mptcp_cmd *cmd, u32 len)
{
	struct nvmet_mptcp_cursor *cur = &cmd->cursor;

	while (len && cur->sg) {
		u32 chunk = min(len, cur->sg->length - cur->off);

		cur->off += chunk;
		len -= chunk;
		if (cur->off == cur->sg->length) {
			cur->sg = sg_next(cur->sg);
			cur->off = 0;
		}
	}
}

/* CRC32C over the first @len bytes that @bv describes. */
u32 nvmet_mptcp_crc_bvecs(u32 crc, const struct bio_vec *bv, u32 len)
{
	u32 done = 0;

	while (len) {
		u32 off = bv->bv_offset + done;
		u32 chunk = min3(len, bv->bv_len - done,
				 (u32)(PAGE_SIZE - offset_in_page(off)));
		void *addr = kmap_local_page(bv->bv_page + off / PAGE_SIZE);

		crc = crc32c(crc, addr + offset_in_page(off), chunk);
		kunmap_local(addr);
		done += chunk;
		len -= chunk;
		if (done == bv->bv_len) {
			bv++;
			done = 0;
		}
	}
	return crc;
}

/* CRC32C over the command's whole data, for a C2HData data digest. */
u32 nvmet_mptcp_crc_data(struct nvmet_mptcp_cmd *cmd)
{
	struct scatterlist *sg = cmd->req.sg;
	u32 left = cmd->req.transfer_len, crc = ~0;
	struct bio_vec bv;

	for (; left && sg; sg = sg_next(sg)) {
		bv.bv_page = sg_page(sg);
		bv.bv_offset = sg->offset;
		bv.bv_len = min(left, sg->length);
		crc = nvmet_mptcp_crc_bvecs(crc, &bv, bv.bv_len);
		left -= bv.bv_len;
	}
	return crc;
}

u32 nvmet_mptcp_crc(u32 crc, const void *buf, size_t len)
{
	return crc32c(crc, buf, len);
}

/* Digests start from ~0 and go on the wire inverted, little endian. */
__le32 nvmet_mptcp_crc_final(u32 crc)
{
	return cpu_to_le32(~crc);
}
