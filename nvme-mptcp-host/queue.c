// SPDX-License-Identifier: GPL-2.0
/*
 * Queues: one MPTCP connection each.  Setup is connect, ICReq/ICResp, then
 * the fabrics Connect command; from then on io_work moves the PDUs.  The
 * socket is reached only through mptcp-compat (options, bounded connect),
 * sendmsg/recvmsg and its wait queue, which MPTCP wakes for every event.
 */
#include <linux/module.h>
#include <linux/in.h>
#include <net/sock.h>
#include <mptcp-compat.h>
#include "nvme-mptcp.h"

static int so_priority;
module_param(so_priority, int, 0644);
MODULE_PARM_DESC(so_priority, "socket priority (SO_PRIORITY) of every queue, 0 for none");

/* Socket activity (data, write space, state change, error): run io_work. */
static int nvme_mptcp_sk_wake(struct wait_queue_entry *wait, unsigned int mode,
			      int sync, void *key)
{
	struct nvme_mptcp_queue *queue =
		container_of(wait, struct nvme_mptcp_queue, sk_wait);

	if (nvme_mptcp_queue_serving(queue))
		queue_work_on(queue->io_cpu, nvme_mptcp_wq, &queue->io_work);
	return 0;
}

static bool nvme_mptcp_fail_rq(struct request *rq, void *data)
{
	struct nvme_mptcp_request *req = to_mptcp_req(rq);

	if (req->queue == data && blk_mq_request_started(rq) &&
	    !blk_mq_request_completed(rq)) {
		req->nreq.status = NVME_SC_HOST_PATH_ERROR;
		blk_mq_complete_request(rq);
	}
	return true;
}

/*
 * The connection of a queue broke (bad PDU, reset, send error).  On a live
 * controller error recovery tears all queues down and reconnects.  While
 * the controller is still being set up nothing else would notice before
 * the command times out, so fail this queue's commands now: the connect
 * (or reconnect) then fails at once with the reason in the log.
 */
void nvme_mptcp_queue_failed(struct nvme_mptcp_queue *queue)
{
	struct nvme_mptcp_ctrl *ctrl = queue->ctrl;
	int state = nvme_mptcp_queue_state(queue);

	do {
		/* Quieted meanwhile, or already reported. */
		if (state != NVME_MPTCP_QS_SERVING && state != NVME_MPTCP_QS_LIVE)
			return;
	} while (!try_cmpxchg(&queue->state, &state, NVME_MPTCP_QS_BROKEN));
	/*
	 * The cmpxchg is a full barrier, pairing with the one in controller
	 * setup: either setup sees this queue broken after going LIVE, or we
	 * see LIVE here.
	 */
	if (nvme_mptcp_state(&ctrl->ctrl) != NVME_CTRL_CONNECTING) {
		nvme_mptcp_error_recovery(&ctrl->ctrl);
		return;
	}
	blk_mq_tagset_busy_iter(queue->qid ? &ctrl->tag_set : &ctrl->admin_tag_set,
				nvme_mptcp_fail_rq, queue);
}

static void nvme_mptcp_send_failed(struct nvme_mptcp_queue *queue, int err)
{
	dev_err_ratelimited(queue->ctrl->ctrl.device, "queue %d: send failed (%d)\n",
			    queue->qid, err);
	nvme_mptcp_queue_failed(queue);
}

static void nvme_mptcp_io_work(struct work_struct *work)
{
	struct nvme_mptcp_queue *queue =
		container_of(work, struct nvme_mptcp_queue, io_work);
	unsigned long deadline = jiffies + msecs_to_jiffies(1);
	bool pending;

	mutex_lock(&queue->io_lock);
	do {
		int ret;

		pending = false;
		if (!nvme_mptcp_queue_serving(queue))
			break;
		ret = nvme_mptcp_try_send(queue);
		if (ret > 0) {
			pending = true;
		} else if (ret < 0 && ret != -EAGAIN) {
			nvme_mptcp_send_failed(queue, ret);
			break;
		}

		ret = nvme_mptcp_try_recv(queue);
		if (ret > 0)
			pending = true;
		else if (ret < 0)
			break;
	} while (pending && nvme_mptcp_queue_serving(queue) &&
		 !time_after(jiffies, deadline));
	mutex_unlock(&queue->io_lock);

	/* Still busy after the time slice: yield the CPU, then carry on. */
	if (pending && nvme_mptcp_queue_serving(queue))
		nvme_mptcp_kick(queue);
}

void nvme_mptcp_kick(struct nvme_mptcp_queue *queue)
{
	queue_work_on(queue->io_cpu, nvme_mptcp_wq, &queue->io_work);
}

/*
 * Queue a command capsule or H2CData for io_work to send.  Sending from
 * queue_rq instead (as nvme-tcp does) measured slower here, twice; the
 * second time with blocking tag sets and io_lock taken by trylock, 4k
 * writes fell to 0.45 of nvme-tcp's IOPS against 0.63-0.73 without, and
 * reads gained nothing (docs/bench/ab-cork-6.12.md), likely because the
 * submitter would hold io_lock through MPTCP's sendmsg while receive waits.
 */
void nvme_mptcp_queue_request(struct nvme_mptcp_request *req, bool last)
{
	struct nvme_mptcp_queue *queue = req->queue;

	llist_add(&req->lentry, &queue->req_list);
	if (last)
		nvme_mptcp_kick(queue);
}

static int nvme_mptcp_icreq(struct nvme_mptcp_queue *queue)
{
	struct device *dev = queue->ctrl->ctrl.device;
	struct nvme_tcp_icresp_pdu *icresp;
	struct nvme_tcp_icreq_pdu *icreq;
	struct msghdr msg = { };
	struct kvec vec;
	u8 digest = 0;
	u32 maxdata;
	int ret;

	icreq = kzalloc(sizeof(*icreq), GFP_KERNEL);
	icresp = kzalloc(sizeof(*icresp), GFP_KERNEL);
	if (!icreq || !icresp) {
		ret = -ENOMEM;
		goto out;
	}

	icreq->hdr.type = nvme_tcp_icreq;
	icreq->hdr.hlen = sizeof(*icreq);
	icreq->hdr.plen = cpu_to_le32(sizeof(*icreq));
	icreq->pfv = cpu_to_le16(NVME_TCP_PFV_1_0);
	icreq->maxr2t = 0;	/* 0's based: one R2T outstanding per command */
	icreq->hpda = 0;	/* no padding before data */
	if (queue->hdr_digest)
		digest |= NVME_TCP_HDR_DIGEST_ENABLE;
	if (queue->data_digest)
		digest |= NVME_TCP_DATA_DIGEST_ENABLE;
	icreq->digest = digest;

	vec.iov_base = icreq;
	vec.iov_len = sizeof(*icreq);
	ret = kernel_sendmsg(queue->sock, &msg, &vec, 1, vec.iov_len);
	if (ret != sizeof(*icreq)) {
		dev_err(dev, "queue %d: cannot send ICReq (%d)\n", queue->qid, ret);
		ret = ret < 0 ? ret : -EIO;
		goto out;
	}

	ret = mptcp_compat_set_rcvtimeo(queue->sock, NVME_MPTCP_ICRESP_TIMEOUT);
	if (ret)
		goto out;
	memset(&msg, 0, sizeof(msg));
	vec.iov_base = icresp;
	vec.iov_len = sizeof(*icresp);
	ret = kernel_recvmsg(queue->sock, &msg, &vec, 1, vec.iov_len,
			     MSG_WAITALL);
	if (ret != sizeof(*icresp)) {
		dev_err(dev, "queue %d: no ICResp from the controller (%d)\n",
			queue->qid, ret);
		ret = ret < 0 ? ret : -ECONNRESET;
		goto out;
	}

	ret = -EPROTO;
	if (icresp->hdr.type != nvme_tcp_icresp ||
	    icresp->hdr.hlen != sizeof(*icresp) ||
	    le32_to_cpu(icresp->hdr.plen) != sizeof(*icresp)) {
		dev_err(dev, "queue %d: bad ICResp header (type %#x hlen %u plen %u)\n",
			queue->qid, icresp->hdr.type, icresp->hdr.hlen,
			le32_to_cpu(icresp->hdr.plen));
		goto out;
	}
	if (icresp->pfv != cpu_to_le16(NVME_TCP_PFV_1_0)) {
		dev_err(dev, "queue %d: unsupported PDU format version %u\n",
			queue->qid, le16_to_cpu(icresp->pfv));
		goto out;
	}
	if (icresp->digest != digest) {
		dev_err(dev, "queue %d: controller answered digests %#x to %#x\n",
			queue->qid, icresp->digest, digest);
		goto out;
	}
	if (icresp->cpda) {
		dev_err(dev, "queue %d: controller data alignment (cpda %u) is not supported\n",
			queue->qid, icresp->cpda);
		goto out;
	}
	maxdata = le32_to_cpu(icresp->maxdata);
	if (maxdata < NVME_TCP_MIN_MAXH2CDATA || maxdata % 4) {
		dev_err(dev, "queue %d: invalid maxh2cdata %u\n", queue->qid,
			maxdata);
		goto out;
	}
	queue->maxh2cdata = maxdata;
	ret = 0;
out:
	kfree(icreq);
	kfree(icresp);
	return ret;
}

/* Options every queue socket gets, MPTCP applying them to each subflow. */
static int nvme_mptcp_setup_sock(struct nvme_mptcp_queue *queue)
{
	struct nvme_mptcp_ctrl *ctrl = queue->ctrl;
	struct nvmf_ctrl_options *opts = ctrl->ctrl.opts;
	struct socket *sock = queue->sock;
	int ret;

	ret = mptcp_compat_set_nodelay(sock);
	/* Unsent data must not reach the controller after a reconnect. */
	if (!ret)
		ret = mptcp_compat_set_no_linger(sock);
	if (!ret && so_priority > 0)
		ret = mptcp_compat_set_priority(sock, so_priority);
	if (!ret && opts->tos >= 0)
		ret = mptcp_compat_set_tos(sock, opts->tos);
	if (ret) {
		dev_err(ctrl->ctrl.device, "queue %d: socket options failed (%d)\n",
			queue->qid, ret);
		return ret;
	}

	/* Sends run from io_work, possibly on behalf of memory reclaim. */
	sock->sk->sk_allocation = GFP_ATOMIC;
#ifdef KC_HAVE_SK_USE_TASK_FRAG
	sock->sk->sk_use_task_frag = false;
#endif

	/*
	 * These bind the first subflow only: mptcp_bind() and SO_BINDTODEVICE
	 * act on the initial subflow.  The path manager binds each joined
	 * subflow to its endpoint's address and device (__mptcp_subflow_connect()),
	 * and picks endpoints per network namespace, with no per-socket filter
	 * (6.1 to 7.2).  The README says how to keep a controller on given paths.
	 */
	if (opts->mask & NVMF_OPT_HOST_TRADDR) {
		ret = kernel_bind(sock, kc_sockaddr(&ctrl->src_addr),
				  sizeof(ctrl->src_addr));
		if (ret) {
			dev_err(ctrl->ctrl.device, "queue %d: cannot bind to host_traddr %s (%d)\n",
				queue->qid, opts->host_traddr, ret);
			return ret;
		}
	}
	if (opts->mask & NVMF_OPT_HOST_IFACE) {
		ret = mptcp_compat_bind_to_device(sock, opts->host_iface);
		if (ret) {
			dev_err(ctrl->ctrl.device, "queue %d: cannot bind to host_iface %s (%d)\n",
				queue->qid, opts->host_iface, ret);
			return ret;
		}
	}
	return 0;
}

/*
 * Locks, work and wait entry of a queue live as long as the controller:
 * a reconnect must not re-initialise a mutex someone waits on (debugfs,
 * get_address) or a work item a late kick queued.
 */
int nvme_mptcp_init_queue(struct nvme_mptcp_ctrl *ctrl, int qid)
{
	struct nvme_mptcp_queue *queue = &ctrl->queues[qid];

	queue->rx_stage = kvmalloc(NVME_MPTCP_RX_STAGE, GFP_KERNEL);
	if (!queue->rx_stage)
		return -ENOMEM;
	queue->ctrl = ctrl;
	queue->qid = qid;
	queue->io_cpu = WORK_CPU_UNBOUND;
	mutex_init(&queue->queue_lock);
	mutex_init(&queue->io_lock);
	init_llist_head(&queue->req_list);
	INIT_LIST_HEAD(&queue->send_list);
	INIT_WORK(&queue->io_work, nvme_mptcp_io_work);
	init_waitqueue_func_entry(&queue->sk_wait, nvme_mptcp_sk_wake);
	return 0;
}

/* The controller is going away: nothing may still run for this queue. */
void nvme_mptcp_destroy_queue(struct nvme_mptcp_queue *queue)
{
	if (!queue->rx_stage)
		return;		/* never initialised */
	nvme_mptcp_queue_close(queue);
	cancel_work_sync(&queue->io_work);
	mutex_destroy(&queue->io_lock);
	mutex_destroy(&queue->queue_lock);
	kvfree(queue->rx_stage);
}

/* Connect the socket and exchange ICReq/ICResp: CLOSED -> OPEN. */
int nvme_mptcp_queue_open(struct nvme_mptcp_queue *queue)
{
	struct nvme_mptcp_ctrl *ctrl = queue->ctrl;
	struct nvmf_ctrl_options *opts = ctrl->ctrl.opts;
	int qid = queue->qid;
	struct socket *sock;
	int ret;

	if (WARN_ON_ONCE(nvme_mptcp_queue_state(queue) != NVME_MPTCP_QS_CLOSED))
		return -EBUSY;
	queue->maxh2cdata = 0;
	memset(&queue->stats, 0, sizeof(queue->stats));
	atomic_set(&queue->nr_cqe, 0);
	queue->hdr_digest = opts->hdr_digest;
	queue->data_digest = opts->data_digest;
	/* The admin queue's capsules take 8 KiB of data, I/O's IOCCSZ. */
	if (qid)
		queue->cmnd_capsule_len = ctrl->ctrl.ioccsz * 16;
	else
		queue->cmnd_capsule_len = sizeof(struct nvme_command) +
					  NVME_TCP_ADMIN_CCSZ;

	ret = mptcp_compat_sock_create(ctrl->net, ctrl->addr.ss_family,
				       IPPROTO_MPTCP, &sock);
	if (ret) {
		dev_err(ctrl->ctrl.device, "queue %d: cannot create an MPTCP socket (%d)\n",
			qid, ret);
		return ret;
	}
	queue->sock = sock;
	ret = nvme_mptcp_setup_sock(queue);
	if (ret)
		goto out_release;

	ret = mptcp_compat_connect(sock, &ctrl->addr, sizeof(ctrl->addr),
				   nvme_mptcp_connect_timeout(ctrl));
	if (ret) {
		dev_err(ctrl->ctrl.device, "queue %d: cannot connect to %pISpc (%d)\n",
			qid, &ctrl->addr, ret);
		goto out_release;
	}
	ret = nvme_mptcp_icreq(queue);
	if (ret) {
		kernel_sock_shutdown(sock, SHUT_RDWR);
		goto out_release;
	}

	mutex_lock(&queue->queue_lock);
	WRITE_ONCE(queue->state, NVME_MPTCP_QS_OPEN);
	mutex_unlock(&queue->queue_lock);
	return 0;

out_release:
	queue->sock = NULL;
	sock_release(sock);
	return ret;
}

/* Run io_work on a CPU that blk-mq maps to this queue's hardware context. */
static void nvme_mptcp_pick_cpu(struct nvme_mptcp_queue *queue)
{
	struct nvme_mptcp_ctrl *ctrl = queue->ctrl;
	unsigned int hctx = queue->qid - 1;
	int type, cpu;

	queue->io_cpu = WORK_CPU_UNBOUND;
	queue->polled = false;
	for (type = 0; type < ctrl->tag_set.nr_maps; type++) {
		struct blk_mq_queue_map *map = &ctrl->tag_set.map[type];

		if (!map->mq_map || hctx < map->queue_offset ||
		    hctx >= map->queue_offset + map->nr_queues)
			continue;
		queue->polled = type == HCTX_TYPE_POLL;
		for_each_online_cpu(cpu) {
			if (map->mq_map[cpu] == hctx) {
				queue->io_cpu = cpu;
				return;
			}
		}
	}
}

/*
 * Let io_work serve the socket, then send the fabrics Connect through it:
 * OPEN -> SERVING -> LIVE.  On failure the queue is OPEN again.
 */
int nvme_mptcp_queue_serve(struct nvme_mptcp_queue *queue)
{
	struct nvme_mptcp_ctrl *ctrl = queue->ctrl;
	int state = NVME_MPTCP_QS_SERVING;
	int ret;

	mutex_lock(&queue->queue_lock);
	if (nvme_mptcp_queue_state(queue) != NVME_MPTCP_QS_OPEN) {
		mutex_unlock(&queue->queue_lock);
		return -ENOTCONN;
	}
	nvme_mptcp_init_recv(queue);
	nvme_mptcp_reset_send(queue);
	if (queue->qid) {
		nvme_mptcp_pick_cpu(queue);
	} else {	/* a new admin connection has no AEN outstanding */
		clear_bit(NVME_MPTCP_CTRL_AEN_SENT, &ctrl->flags);
		clear_bit(NVME_MPTCP_CTRL_AEN_OUT, &ctrl->flags);
	}
	WRITE_ONCE(queue->state, NVME_MPTCP_QS_SERVING);
	add_wait_queue(sk_sleep(queue->sock->sk), &queue->sk_wait);
	mutex_unlock(&queue->queue_lock);
	/* Anything that arrived before the wait entry was in place. */
	nvme_mptcp_kick(queue);

	/* Not under queue_lock: a timeout of the Connect quiets the queue. */
	if (queue->qid)
		ret = nvmf_connect_io_queue(&ctrl->ctrl, queue->qid);
	else
		ret = nvmf_connect_admin_queue(&ctrl->ctrl);
	if (!ret && !try_cmpxchg(&queue->state, &state, NVME_MPTCP_QS_LIVE))
		ret = -ENOTCONN;	/* broke or timed out meanwhile */
	if (ret) {
		dev_err(ctrl->ctrl.device, "queue %d: fabrics connect failed (%d)\n",
			queue->qid, ret);
		nvme_mptcp_queue_quiet(queue);
	}
	return ret;
}

/*
 * Stop serving the socket: SERVING, LIVE or BROKEN -> OPEN.  Once this
 * returns io_work no longer runs and the send and receive state is clean;
 * the socket stays, shut down, until close.
 */
void nvme_mptcp_queue_quiet(struct nvme_mptcp_queue *queue)
{
	mutex_lock(&queue->queue_lock);
	if (nvme_mptcp_queue_state(queue) <= NVME_MPTCP_QS_OPEN) {
		mutex_unlock(&queue->queue_lock);
		return;
	}
	/* Before the shutdown, so its wake-up finds the queue not serving. */
	xchg(&queue->state, NVME_MPTCP_QS_OPEN);
	kernel_sock_shutdown(queue->sock, SHUT_RDWR);
	remove_wait_queue(sk_sleep(queue->sock->sk), &queue->sk_wait);
	cancel_work_sync(&queue->io_work);
	/* io_work is done; the lock orders the reset after its last run. */
	mutex_lock(&queue->io_lock);
	nvme_mptcp_reset_send(queue);
	nvme_mptcp_init_recv(queue);
	mutex_unlock(&queue->io_lock);
	mutex_unlock(&queue->queue_lock);
}

/* Release the socket: any state -> CLOSED. */
void nvme_mptcp_queue_close(struct nvme_mptcp_queue *queue)
{
	struct socket *sock;

	nvme_mptcp_queue_quiet(queue);
	mutex_lock(&queue->queue_lock);
	sock = queue->sock;
	queue->sock = NULL;
	WRITE_ONCE(queue->state, NVME_MPTCP_QS_CLOSED);
	mutex_unlock(&queue->queue_lock);
	if (sock)
		sock_release(sock);
}

/* The local address of a live queue's socket: its initial subflow's. */
int nvme_mptcp_queue_local_addr(struct nvme_mptcp_queue *queue,
				struct sockaddr_storage *addr)
{
	int ret = -ENOTCONN;

	mutex_lock(&queue->queue_lock);
	if (nvme_mptcp_queue_live(queue) &&
	    kernel_getsockname(queue->sock, (struct sockaddr *)addr) > 0)
		ret = 0;
	mutex_unlock(&queue->queue_lock);
	return ret;
}
