// SPDX-License-Identifier: GPL-2.0
/*
 * Controller lifecycle.
 *
 * nvme-core fixes what a fabrics transport must do: a controller goes NEW
 * -> CONNECTING -> LIVE; from LIVE, error recovery or a reset takes it to
 * RESETTING and back through CONNECTING, and a delete to DELETING, where
 * nvme-core calls stop_ctrl and then delete_ctrl.
 *
 * What this file builds for a connection is a ladder of stages, climbed in
 * order by nvme_mptcp_build() and taken down by one function,
 * nvme_mptcp_unbuild(), whoever asks: a setup that failed, error recovery,
 * a reset, a delete.  ctrl->built is the highest stage begun, and each
 * undo step copes with a stage begun but not finished.
 *
 *   stage        build                             unbuild
 *   ADMIN_OPEN   admin socket (+ admin tag set)    close the socket
 *   ADMIN_LIVE   fabrics Connect on queue 0        quiesce, quiet, cancel
 *   ENABLED      CC.EN, identify, limits           keep-alive off (+ CC.EN off)
 *   IO_OPEN      queue count, sockets (+ tag set)  close the sockets
 *   IO_LIVE      I/O Connects, blk-mq resized      quiesce, quiet, cancel
 *
 * The tag sets outlive connections: a reconnect reuses them, and only a
 * delete, or a first setup that fails, frees them.  How far an unbuild
 * goes besides (clear CC.EN, let blk-mq run again) depends on who asks:
 * see struct nvme_mptcp_unbuild_how.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/module.h>
#include <linux/inet.h>
#include <linux/netdevice.h>
#include <net/net_namespace.h>
#include "nvme-mptcp.h"

static LIST_HEAD(nvme_mptcp_ctrls);
static DEFINE_MUTEX(nvme_mptcp_ctrls_lock);

enum nvme_mptcp_stage {
	NVME_MPTCP_BUILT_NOTHING,
	NVME_MPTCP_BUILT_ADMIN_OPEN,
	NVME_MPTCP_BUILT_ADMIN_LIVE,
	NVME_MPTCP_BUILT_ENABLED,
	NVME_MPTCP_BUILT_IO_OPEN,
	NVME_MPTCP_BUILT_IO_LIVE,
	NVME_MPTCP_NR_STAGES
};

struct nvme_mptcp_unbuild_how {
	bool disable;	/* clear CC.EN first: the admin connection is good */
	bool shutdown;	/* ... as a shutdown (CC.SHN) */
	bool resume;	/* blk-mq runs again: I/O fails over, or waits */
	bool free_tags;	/* no connection will follow */
};

/* Error recovery and failed reconnects: the connection is gone. */
static const struct nvme_mptcp_unbuild_how nvme_mptcp_for_retry = {
	.resume = true,
};

/* A reset connects again at once; I/O waits, quiesced, for it. */
static const struct nvme_mptcp_unbuild_how nvme_mptcp_for_reset = {
	.disable = true,
};

static const struct nvme_mptcp_unbuild_how nvme_mptcp_for_delete = {
	.disable = true, .shutdown = true, .resume = true, .free_tags = true,
};

/* The first setup failed: nothing of the controller stays. */
static const struct nvme_mptcp_unbuild_how nvme_mptcp_for_abandon = {
	.resume = true, .free_tags = true,
};

void nvme_mptcp_error_recovery(struct nvme_ctrl *ctrl)
{
	if (!nvme_change_ctrl_state(ctrl, NVME_CTRL_RESETTING))
		return;
	dev_warn(ctrl->device, "starting error recovery\n");
	/* ctrl_loss_tmo counts from here, teardown included. */
	to_mptcp_ctrl(ctrl)->lost_since = jiffies;
	queue_work(nvme_reset_wq, &to_mptcp_ctrl(ctrl)->err_work);
}

/* ---- queue ranges: [first, last) of ctrl->queues ---------------------- */

static int nvme_mptcp_open_range(struct nvme_mptcp_ctrl *ctrl, int first,
				 int last)
{
	int ret = 0;

	while (first < last && !ret)
		ret = nvme_mptcp_queue_open(&ctrl->queues[first++]);
	return ret;
}

static int nvme_mptcp_serve_range(struct nvme_mptcp_ctrl *ctrl, int first,
				  int last)
{
	int ret = 0;

	while (first < last && !ret)
		ret = nvme_mptcp_queue_serve(&ctrl->queues[first++]);
	return ret;
}

static void nvme_mptcp_quiet_range(struct nvme_mptcp_ctrl *ctrl, int first,
				   int last)
{
	while (first < last)
		nvme_mptcp_queue_quiet(&ctrl->queues[first++]);
}

static void nvme_mptcp_close_range(struct nvme_mptcp_ctrl *ctrl, int first,
				   int last)
{
	while (first < last)
		nvme_mptcp_queue_close(&ctrl->queues[first++]);
}

/* Queues blk-mq sends on; any beyond its hardware contexts stay unused. */
static int nvme_mptcp_used_queues(struct nvme_mptcp_ctrl *ctrl)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;

	if (!ctrl->io_tags)
		return 1;
	return min_t(int, nctrl->queue_count, nctrl->tagset->nr_hw_queues + 1);
}

static bool nvme_mptcp_all_live(struct nvme_mptcp_ctrl *ctrl)
{
	int i, n = nvme_mptcp_used_queues(ctrl);

	for (i = 0; i < n; i++)
		if (!nvme_mptcp_queue_live(&ctrl->queues[i]))
			return false;
	return true;
}

/* ---- the stages --------------------------------------------------------- */

static int nvme_mptcp_open_admin(struct nvme_mptcp_ctrl *ctrl)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	int ret;

	ret = nvme_mptcp_queue_open(&ctrl->queues[0]);
	if (ret || ctrl->admin_tags)
		return ret;
	ret = nvme_alloc_admin_tag_set(nctrl, &ctrl->admin_tag_set,
				       &nvme_mptcp_admin_mq_ops,
				       sizeof(struct nvme_mptcp_request));
	ctrl->admin_tags = !ret;
	return ret;
}

static int nvme_mptcp_serve_admin(struct nvme_mptcp_ctrl *ctrl)
{
	return nvme_mptcp_queue_serve(&ctrl->queues[0]);
}

/* What the controller said in Identify that this transport cannot use. */
static int nvme_mptcp_check_identify(struct nvme_mptcp_ctrl *ctrl)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	size_t asked = nctrl->opts->queue_size;

	/* 4 (64 bytes) is the least a capsule can be (NVMe over Fabrics). */
	if (ctrl->ctrl.queue_count > 1 && nctrl->ioccsz < 4) {
		dev_err(nctrl->device, "IOCCSZ %u is below the minimum of 4\n",
			nctrl->ioccsz);
		return -EPROTO;
	}
	if (nctrl->icdoff) {
		dev_err(nctrl->device, "in-capsule data offset (icdoff %u) is not supported\n",
			nctrl->icdoff);
		return -EOPNOTSUPP;
	}
	/* NVMe/TCP carries data by SGL only. */
	if (!(nctrl->sgls & (BIT(0) | BIT(1)))) {
		dev_err(nctrl->device, "controller does not support SGLs, which NVMe/TCP requires\n");
		return -EOPNOTSUPP;
	}
	if (asked > nctrl->sqsize + 1)
		dev_warn(nctrl->device, "queue_size %zu > controller sqsize %u, clamping down\n",
			 asked, nctrl->sqsize + 1);
	if (nctrl->sqsize + 1 > nctrl->maxcmd) {
		dev_warn(nctrl->device, "sqsize %u > controller maxcmd %u, clamping down\n",
			 nctrl->sqsize + 1, nctrl->maxcmd);
		nctrl->sqsize = nctrl->maxcmd - 1;
	}
	return 0;
}

static int nvme_mptcp_enable(struct nvme_mptcp_ctrl *ctrl)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	int ret;

	ret = nvme_enable_ctrl(nctrl);
	if (ret)
		return ret;
	nvme_unquiesce_admin_queue(nctrl);
	ret = kc_nvme_init_ctrl_finish(nctrl);
	return ret ?: nvme_mptcp_check_identify(ctrl);
}

/*
 * Share the granted I/O queues out among the blk-mq map types: reads get
 * nr_io_queues of their own when write queues are asked for too (and fit);
 * then default, then poll, take what is left.
 */
static void nvme_mptcp_share_queues(struct nvme_mptcp_ctrl *ctrl,
				    unsigned int granted)
{
	struct nvmf_ctrl_options *opts = ctrl->ctrl.opts;
	bool split = opts->nr_write_queues && opts->nr_io_queues < granted;
	const struct {
		enum hctx_type type;
		unsigned int want;
	} ask[] = {
		{ HCTX_TYPE_READ, split ? opts->nr_io_queues : 0 },
		{ HCTX_TYPE_DEFAULT, split ? opts->nr_write_queues : opts->nr_io_queues },
		{ HCTX_TYPE_POLL, opts->nr_poll_queues },
	};
	unsigned int i, n;

	memset(ctrl->io_queues, 0, sizeof(ctrl->io_queues));
	for (i = 0; i < ARRAY_SIZE(ask); i++) {
		n = min(ask[i].want, granted);
		ctrl->io_queues[ask[i].type] = n;
		granted -= n;
	}
}

static int nvme_mptcp_open_io(struct nvme_mptcp_ctrl *ctrl)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	struct nvmf_ctrl_options *opts = nctrl->opts;
	unsigned int cpus = num_online_cpus();
	u32 *nq = ctrl->io_queues;
	unsigned int want;
	int ret;

	/* No more queues of a kind than CPUs to use them. */
	want = min(opts->nr_io_queues, cpus) + min(opts->nr_write_queues, cpus) +
	       min(opts->nr_poll_queues, cpus);
	ret = nvme_set_queue_count(nctrl, &want);
	if (ret)
		return ret;
	if (!want) {
		dev_err(nctrl->device, "controller granted no I/O queues\n");
		return -ENOMEM;
	}
	nvme_mptcp_share_queues(ctrl, want);
	nctrl->queue_count = 1 + nq[HCTX_TYPE_DEFAULT] + nq[HCTX_TYPE_READ] +
			     nq[HCTX_TYPE_POLL];
	dev_info(nctrl->device, "creating %u I/O queues\n", nctrl->queue_count - 1);

	ret = nvme_mptcp_open_range(ctrl, 1, nctrl->queue_count);
	if (ret || ctrl->io_tags)
		return ret;
	ret = nvme_alloc_io_tag_set(nctrl, &ctrl->tag_set, &nvme_mptcp_mq_ops,
				    opts->nr_poll_queues ? HCTX_MAX_TYPES : 2,
				    sizeof(struct nvme_mptcp_request));
	ctrl->io_tags = !ret;
	return ret;
}

/*
 * blk-mq may have more or fewer hardware contexts than the controller
 * granted this time.  Serve the queues it already uses, so that I/O held
 * since the connection was lost drains while the queues freeze; resize;
 * then serve the rest.  (A new controller has no namespace to drain.)
 */
static int nvme_mptcp_serve_io(struct nvme_mptcp_ctrl *ctrl)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	int known = nvme_mptcp_used_queues(ctrl);
	int ret;

	ret = nvme_mptcp_serve_range(ctrl, 1, known);
	if (ret)
		return ret;

	nvme_start_freeze(nctrl);
	nvme_unquiesce_io_queues(nctrl);
	if (!kc_nvme_wait_freeze_io_timeout(nctrl)) {
		nvme_unfreeze(nctrl);
		dev_err(nctrl->device, "I/O did not drain for the queue resize\n");
		return -ENODEV;
	}
	if (nctrl->tagset->nr_hw_queues != nctrl->queue_count - 1)
		blk_mq_update_nr_hw_queues(nctrl->tagset, nctrl->queue_count - 1);
	nvme_unfreeze(nctrl);

	return nvme_mptcp_serve_range(ctrl, known, nvme_mptcp_used_queues(ctrl));
}

static int (*const nvme_mptcp_build_step[NVME_MPTCP_NR_STAGES])(struct nvme_mptcp_ctrl *) = {
	[NVME_MPTCP_BUILT_ADMIN_OPEN]	= nvme_mptcp_open_admin,
	[NVME_MPTCP_BUILT_ADMIN_LIVE]	= nvme_mptcp_serve_admin,
	[NVME_MPTCP_BUILT_ENABLED]	= nvme_mptcp_enable,
	[NVME_MPTCP_BUILT_IO_OPEN]	= nvme_mptcp_open_io,
	[NVME_MPTCP_BUILT_IO_LIVE]	= nvme_mptcp_serve_io,
};

static int nvme_mptcp_build(struct nvme_mptcp_ctrl *ctrl)
{
	/* A discovery controller has no I/O queues. */
	int top = ctrl->ctrl.queue_count > 1 ? NVME_MPTCP_BUILT_IO_LIVE :
					       NVME_MPTCP_BUILT_ENABLED;
	int stage, ret;

	for (stage = NVME_MPTCP_BUILT_ADMIN_OPEN; stage <= top; stage++) {
		ctrl->built = stage;
		ret = nvme_mptcp_build_step[stage](ctrl);
		if (ret)
			return ret;
	}
	return 0;
}

static void nvme_mptcp_unbuild(struct nvme_mptcp_ctrl *ctrl,
			       const struct nvme_mptcp_unbuild_how *how)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	int built = ctrl->built;

	/* Nothing new on the admin queue while the I/O queues go. */
	if (built >= NVME_MPTCP_BUILT_ADMIN_LIVE)
		nvme_quiesce_admin_queue(nctrl);
	if (built >= NVME_MPTCP_BUILT_IO_LIVE) {
		nvme_quiesce_io_queues(nctrl);
		nvme_sync_io_queues(nctrl);
		nvme_mptcp_quiet_range(ctrl, 1, ctrl->nr_queues);
		nvme_cancel_tagset(nctrl);
	}
	if (built >= NVME_MPTCP_BUILT_IO_OPEN)
		nvme_mptcp_close_range(ctrl, 1, ctrl->nr_queues);
	if (built >= NVME_MPTCP_BUILT_ENABLED) {
		nvme_stop_keep_alive(nctrl);
		if (how->disable)
			kc_nvme_disable_ctrl(nctrl, how->shutdown);
	}
	if (built >= NVME_MPTCP_BUILT_ADMIN_LIVE) {
		blk_sync_queue(nctrl->admin_q);
		nvme_mptcp_queue_quiet(&ctrl->queues[0]);
		nvme_cancel_admin_tagset(nctrl);
	}
	nvme_mptcp_queue_close(&ctrl->queues[0]);
	ctrl->built = NVME_MPTCP_BUILT_NOTHING;

	if (how->resume) {
		if (ctrl->io_tags)
			nvme_unquiesce_io_queues(nctrl);
		if (ctrl->admin_tags)
			nvme_unquiesce_admin_queue(nctrl);
	}
	if (how->free_tags && ctrl->io_tags) {
		nvme_remove_io_tag_set(nctrl);
		ctrl->io_tags = false;
	}
	if (how->free_tags && ctrl->admin_tags) {
		nvme_remove_admin_tag_set(nctrl);
		ctrl->admin_tags = false;
	}
}

/*
 * Build a connection for a CONNECTING controller and take it LIVE; on
 * failure nothing of the attempt is left.
 */
static int nvme_mptcp_connect_ctrl(struct nvme_mptcp_ctrl *ctrl, bool first)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	int ret;

	ret = nvme_mptcp_build(ctrl);
	/* Only a delete can have overtaken the attempt. */
	if (!ret && !nvme_change_ctrl_state(nctrl, NVME_CTRL_LIVE))
		ret = -EINVAL;
	if (ret) {
		nvme_mptcp_unbuild(ctrl, first ? &nvme_mptcp_for_abandon :
						 &nvme_mptcp_for_retry);
		return ret;
	}
	nvme_start_ctrl(nctrl);
	/*
	 * A queue that broke while the others were being set up failed its
	 * own commands only (nvme_mptcp_queue_failed): recover it now.
	 * Pairs with the cmpxchg there.
	 */
	smp_mb();
	if (!nvme_mptcp_all_live(ctrl))
		nvme_mptcp_error_recovery(nctrl);
	return 0;
}

/*
 * ctrl_loss_tmo is a time ("how long to keep trying"), which fabrics keeps
 * as a count of reconnect_delay steps (max_reconnects).  An attempt that
 * waits out a connect timeout stretches the count well past that time, so
 * reconnecting also ends when the time is up, and each connect gets only
 * what is left of it (at least a second).
 */
static unsigned long nvme_mptcp_loss_deadline(struct nvme_mptcp_ctrl *ctrl)
{
	struct nvmf_ctrl_options *opts = ctrl->ctrl.opts;

	return ctrl->lost_since +
	       (unsigned long)opts->max_reconnects * opts->reconnect_delay * HZ;
}

unsigned long nvme_mptcp_connect_timeout(struct nvme_mptcp_ctrl *ctrl)
{
	long left;

	/* A first connect, a reset, or retrying for ever: the full timeout. */
	if (!ctrl->ctrl.nr_reconnects || ctrl->ctrl.opts->max_reconnects < 0)
		return NVME_MPTCP_CONNECT_TIMEOUT;
	left = (long)(nvme_mptcp_loss_deadline(ctrl) - jiffies);
	return clamp_t(long, left, HZ, NVME_MPTCP_CONNECT_TIMEOUT);
}

/* The first reconnect is always tried, even if teardown took the time. */
static bool nvme_mptcp_time_to_retry(struct nvme_mptcp_ctrl *ctrl)
{
	struct nvmf_ctrl_options *opts = ctrl->ctrl.opts;

	return !ctrl->ctrl.nr_reconnects || opts->max_reconnects < 0 ||
	       time_before_eq(jiffies + opts->reconnect_delay * HZ,
			      nvme_mptcp_loss_deadline(ctrl));
}

/* After a failed attempt: schedule the next one, or remove the controller. */
static void nvme_mptcp_retry_later(struct nvme_mptcp_ctrl *ctrl, int status)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	struct nvmf_ctrl_options *opts = nctrl->opts;
	bool may = kc_nvmf_should_reconnect(nctrl, status);

	/* A reset or delete that came meanwhile owns the controller. */
	if (nvme_mptcp_state(nctrl) != NVME_CTRL_CONNECTING)
		return;
	if (may && nvme_mptcp_time_to_retry(ctrl)) {
		dev_info(nctrl->device, "reconnecting in %d seconds\n",
			 opts->reconnect_delay);
		queue_delayed_work(nvme_wq, &ctrl->connect_work,
				   opts->reconnect_delay * HZ);
		return;
	}
	if (may)
		dev_info(nctrl->device, "ctrl_loss_tmo (%d s) is up, removing controller (%d)\n",
			 opts->max_reconnects * opts->reconnect_delay, status);
	else
		dev_info(nctrl->device, "removing controller (%d)\n", status);
	nvme_delete_ctrl(nctrl);
}

/*
 * One attempt to bring a CONNECTING controller back: a reconnect, or the
 * connect that follows a reset.  A reset whose connect fails starts the
 * ctrl_loss_tmo clock, as error recovery does, and counts as the first
 * reconnect.
 */
static void nvme_mptcp_attempt(struct nvme_mptcp_ctrl *ctrl, bool after_reset)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	int ret;

	ret = nvme_mptcp_connect_ctrl(ctrl, false);
	if (ret) {
		if (after_reset) {
			nctrl->nr_reconnects = 1;
			ctrl->lost_since = jiffies;
		} else {
			dev_info(nctrl->device, "reconnect attempt %d of %d failed (%d)\n",
				 nctrl->nr_reconnects, nctrl->opts->max_reconnects, ret);
		}
		nvme_mptcp_retry_later(ctrl, ret);
		return;
	}
	/* Setup may have found a queue broken again and left LIVE at once. */
	if (nctrl->nr_reconnects && nvme_mptcp_state(nctrl) == NVME_CTRL_LIVE)
		dev_info(nctrl->device, "reconnected (attempt %d of %d)\n",
			 nctrl->nr_reconnects, nctrl->opts->max_reconnects);
	if (nvme_mptcp_state(nctrl) == NVME_CTRL_LIVE)
		nctrl->nr_reconnects = 0;
}

static void nvme_mptcp_connect_work(struct work_struct *work)
{
	struct nvme_mptcp_ctrl *ctrl = container_of(to_delayed_work(work),
					struct nvme_mptcp_ctrl, connect_work);

	ctrl->ctrl.nr_reconnects++;
	nvme_mptcp_attempt(ctrl, false);
}

static void nvme_mptcp_err_work(struct work_struct *work)
{
	struct nvme_mptcp_ctrl *ctrl = container_of(work,
					struct nvme_mptcp_ctrl, err_work);
	struct nvme_ctrl *nctrl = &ctrl->ctrl;

	/* Nothing of nvme-core's may use the queues being taken down. */
	nvme_stop_keep_alive(nctrl);
	flush_work(&nctrl->async_event_work);
	nvme_mptcp_unbuild(ctrl, &nvme_mptcp_for_retry);
	kc_nvme_auth_stop(nctrl);

	if (nvme_change_ctrl_state(nctrl, NVME_CTRL_CONNECTING))
		nvme_mptcp_retry_later(ctrl, 0);
}

static void nvme_mptcp_reset_work(struct work_struct *work)
{
	struct nvme_ctrl *nctrl = container_of(work, struct nvme_ctrl, reset_work);
	struct nvme_mptcp_ctrl *ctrl = to_mptcp_ctrl(nctrl);

	nvme_stop_ctrl(nctrl);
	nvme_mptcp_unbuild(ctrl, &nvme_mptcp_for_reset);
	if (!nvme_change_ctrl_state(nctrl, NVME_CTRL_CONNECTING))
		return;
	/* Whatever a reconnect that went LIVE just before left counted. */
	nctrl->nr_reconnects = 0;
	nvme_mptcp_attempt(ctrl, true);
}

/* nvme-core calls this before delete_ctrl (and from nvme_stop_ctrl). */
static void nvme_mptcp_stop_ctrl(struct nvme_ctrl *nctrl)
{
	struct nvme_mptcp_ctrl *ctrl = to_mptcp_ctrl(nctrl);

	flush_work(&ctrl->err_work);
	cancel_delayed_work_sync(&ctrl->connect_work);
}

static void nvme_mptcp_delete_ctrl(struct nvme_ctrl *nctrl)
{
	nvme_mptcp_unbuild(to_mptcp_ctrl(nctrl), &nvme_mptcp_for_delete);
}

static void nvme_mptcp_free_queues(struct nvme_mptcp_ctrl *ctrl)
{
	int i;

	for (i = 0; i < ctrl->nr_queues; i++)
		nvme_mptcp_destroy_queue(&ctrl->queues[i]);
	kfree(ctrl->queues);
}

/*
 * A controller pins this module until it is freed, so rmmod is refused
 * while controllers remain (nvme-core holds our module only while a device file is
 * open and while create runs).  free_ctrl cannot simply module_put(): its
 * own last instructions could then run after a racing rmmod freed them.
 * The pin is a file whose fops this module owns, and the kernel drops the
 * module reference after the file's last fput, outside this module: from
 * task_work once a user task (nvme disconnect) has left free_ctrl, or from
 * the delayed-fput work for kernel threads, where module exit flushes
 * nvme_delete_wq, in which nvme-core's deletes end.
 */
static const struct file_operations nvme_mptcp_pin_fops = {
	.owner	= THIS_MODULE,
};

static int nvme_mptcp_pin_module(struct nvme_mptcp_ctrl *ctrl)
{
	struct file *pin;

	pin = anon_inode_getfile("[nvme-mptcp]", &nvme_mptcp_pin_fops, NULL,
				 O_RDONLY);
	if (IS_ERR(pin))
		return PTR_ERR(pin);
	ctrl->pin = pin;
	return 0;
}

/* Visible to debugfs and to the duplicate check from here on. */
static void nvme_mptcp_publish(struct nvme_mptcp_ctrl *ctrl)
{
	mutex_lock(&nvme_mptcp_ctrls_lock);
	list_add_tail(&ctrl->list, &nvme_mptcp_ctrls);
	mutex_unlock(&nvme_mptcp_ctrls_lock);
	nvme_mptcp_debugfs_add(ctrl);
}

static void nvme_mptcp_unpublish(struct nvme_mptcp_ctrl *ctrl)
{
	mutex_lock(&nvme_mptcp_ctrls_lock);
	list_del_init(&ctrl->list);
	mutex_unlock(&nvme_mptcp_ctrls_lock);
	nvme_mptcp_debugfs_remove(ctrl);
}

static void nvme_mptcp_free_ctrl(struct nvme_ctrl *nctrl)
{
	struct nvme_mptcp_ctrl *ctrl = to_mptcp_ctrl(nctrl);
	struct file *pin = ctrl->pin;

	/* A create that failed never published; nvme-fabrics frees its options. */
	if (!list_empty(&ctrl->list)) {
		nvme_mptcp_unpublish(ctrl);
		nvmf_free_options(nctrl->opts);
	}
	nvme_mptcp_free_queues(ctrl);
	put_net(ctrl->net);
	kfree(ctrl);
	if (pin)
		fput(pin);
}

static int nvme_mptcp_get_address(struct nvme_ctrl *nctrl, char *buf, int size)
{
	struct sockaddr_storage src;
	int len = nvmf_get_address(nctrl, buf, size);

	if (nvme_mptcp_queue_local_addr(&to_mptcp_ctrl(nctrl)->queues[0], &src))
		return len;
	/* src_addr goes on the line nvmf_get_address ended. */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	return len + scnprintf(buf + len, size - len, "%ssrc_addr=%pISc\n",
			       len ? "," : "", &src);
}

#ifdef KC_CTRL_OPS_GET_VIRT_BOUNDARY
/* Data moves in PDUs, not by DMA: no segment boundary to respect. */
static unsigned long nvme_mptcp_get_virt_boundary(struct nvme_ctrl *nctrl,
						  bool is_admin)
{
	return 0;
}
#define NVME_MPTCP_VIRT_BOUNDARY .get_virt_boundary = nvme_mptcp_get_virt_boundary,
#else
#define NVME_MPTCP_VIRT_BOUNDARY
#endif

/* All but .name, which is what sysfs shows as the controller's transport. */
#define NVME_MPTCP_CTRL_OPS					\
	.module			= THIS_MODULE,				\
	.flags			= NVME_MPTCP_F_FABRICS,			\
	.reg_read32		= nvmf_reg_read32,			\
	.reg_read64		= nvmf_reg_read64,			\
	.reg_write32		= nvmf_reg_write32,			\
	.subsystem_reset	= nvmf_subsystem_reset,			\
	.free_ctrl		= nvme_mptcp_free_ctrl,			\
	.submit_async_event	= nvme_mptcp_submit_async_event,	\
	.delete_ctrl		= nvme_mptcp_delete_ctrl,		\
	.get_address		= nvme_mptcp_get_address,		\
	.stop_ctrl		= nvme_mptcp_stop_ctrl,			\
	NVME_MPTCP_VIRT_BOUNDARY

static const struct nvme_ctrl_ops nvme_mptcp_ctrl_ops = {
	.name = "mptcp",
	NVME_MPTCP_CTRL_OPS
};

/*
 * Controllers made through transport "tcp" (module parameter tcp=1) say
 * "tcp" in sysfs, so udev rules and nvme-cli treat them as the NVMe/TCP
 * controllers they are; debugfs tells that they run over MPTCP.
 */
static const struct nvme_ctrl_ops nvme_mptcp_ctrl_ops_tcp = {
	.name = "tcp",
	NVME_MPTCP_CTRL_OPS
};

/* Every controller of ours, under the list lock, for debugfs. */
void nvme_mptcp_visit_ctrls(nvme_mptcp_ctrl_fn fn, void *arg)
{
	struct nvme_mptcp_ctrl *ctrl;

	mutex_lock(&nvme_mptcp_ctrls_lock);
	list_for_each_entry(ctrl, &nvme_mptcp_ctrls, list)
		fn(ctrl, arg);
	mutex_unlock(&nvme_mptcp_ctrls_lock);
}

struct nvme_mptcp_dup_search {
	struct nvmf_ctrl_options *opts;
	bool found;
};

static void nvme_mptcp_dup_match(struct nvme_mptcp_ctrl *ctrl, void *arg)
{
	struct nvme_mptcp_dup_search *search = arg;

	search->found = search->found ||
			nvmf_ip_options_match(&ctrl->ctrl, search->opts);
}

/* Same address, port, subsystem and host as a controller we have. */
static bool nvme_mptcp_duplicate(struct nvmf_ctrl_options *opts)
{
	struct nvme_mptcp_dup_search search = { .opts = opts };

	nvme_mptcp_visit_ctrls(nvme_mptcp_dup_match, &search);
	return search.found;
}

/* Check what nvme-fabrics cannot know is wrong for this transport. */
static int nvme_mptcp_parse_addrs(struct nvme_mptcp_ctrl *ctrl,
				  struct nvmf_ctrl_options *opts)
{
	if (!(opts->mask & NVMF_OPT_TRSVCID)) {
		opts->trsvcid = kstrdup(__stringify(NVME_TCP_DISC_PORT), GFP_KERNEL);
		if (!opts->trsvcid)
			return -ENOMEM;
		opts->mask |= NVMF_OPT_TRSVCID;
	}
	if (inet_pton_with_scope(ctrl->net, AF_UNSPEC, opts->traddr,
				 opts->trsvcid, &ctrl->addr)) {
		pr_err("invalid traddr/trsvcid: %s:%s is not an IP address and port\n",
		       opts->traddr, opts->trsvcid);
		return -EINVAL;
	}
	if (opts->mask & NVMF_OPT_HOST_TRADDR) {
		if (inet_pton_with_scope(ctrl->net, AF_UNSPEC, opts->host_traddr,
					 NULL, &ctrl->src_addr)) {
			pr_err("invalid host_traddr: %s is not an IP address\n",
			       opts->host_traddr);
			return -EINVAL;
		}
		if (ctrl->src_addr.ss_family != ctrl->addr.ss_family) {
			pr_err("invalid host_traddr: %s is not in the address family of traddr %s\n",
			       opts->host_traddr, opts->traddr);
			return -EINVAL;
		}
	}
	if (opts->mask & NVMF_OPT_HOST_IFACE) {
		struct net_device *dev;

		rcu_read_lock();
		dev = dev_get_by_name_rcu(ctrl->net, opts->host_iface);
		rcu_read_unlock();
		if (!dev) {
			pr_err("invalid host_iface: no interface %s in this network namespace\n",
			       opts->host_iface);
			return -EINVAL;
		}
	}
	return 0;
}

static struct nvme_mptcp_ctrl *nvme_mptcp_alloc_ctrl(struct nvmf_ctrl_options *opts)
{
	int nr = opts->nr_io_queues + opts->nr_write_queues +
		 opts->nr_poll_queues + 1;
	struct nvme_mptcp_ctrl *ctrl;
	int ret, i;

	ctrl = kzalloc(sizeof(*ctrl), GFP_KERNEL);
	if (!ctrl)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&ctrl->list);
	ctrl->net = get_net(current->nsproxy->net_ns);
	ret = nvme_mptcp_parse_addrs(ctrl, opts);
	if (ret)
		goto out_free;
	if (!opts->duplicate_connect && nvme_mptcp_duplicate(opts)) {
		ret = -EALREADY;
		goto out_free;
	}

	/* One slot per queue the options may ask for; the controller may grant fewer. */
	ctrl->queues = kcalloc(nr, sizeof(*ctrl->queues), GFP_KERNEL);
	if (!ctrl->queues) {
		ret = -ENOMEM;
		goto out_free;
	}
	ctrl->nr_queues = nr;
	for (i = 0; i < nr && !ret; i++)
		ret = nvme_mptcp_init_queue(ctrl, i);
	if (ret) {
		nvme_mptcp_free_queues(ctrl);
		goto out_free;
	}
	ctrl->async_req.queue = &ctrl->queues[0];
	ctrl->ctrl.opts = opts;
	ctrl->ctrl.queue_count = nr;
	ctrl->ctrl.sqsize = opts->queue_size - 1;
	ctrl->ctrl.kato = opts->kato;
	INIT_DELAYED_WORK(&ctrl->connect_work, nvme_mptcp_connect_work);
	INIT_WORK(&ctrl->err_work, nvme_mptcp_err_work);
	INIT_WORK(&ctrl->ctrl.reset_work, nvme_mptcp_reset_work);
	return ctrl;

out_free:
	put_net(ctrl->net);
	kfree(ctrl);
	return ERR_PTR(ret);
}

struct nvme_ctrl *nvme_mptcp_create_ctrl(struct device *dev,
					 struct nvmf_ctrl_options *opts)
{
	struct nvme_mptcp_ctrl *ctrl;
	struct nvme_ctrl *nctrl;
	int ret;

	ctrl = nvme_mptcp_alloc_ctrl(opts);
	if (IS_ERR(ctrl))
		return ERR_CAST(ctrl);
	nctrl = &ctrl->ctrl;
	ret = nvme_init_ctrl(nctrl, dev, strcmp(opts->transport, "tcp") ?
			     &nvme_mptcp_ctrl_ops : &nvme_mptcp_ctrl_ops_tcp, 0);
	if (ret) {
		nvme_mptcp_free_queues(ctrl);
		put_net(ctrl->net);
		kfree(ctrl);
		return ERR_PTR(ret);
	}

	/* From here on the last reference frees ctrl (free_ctrl). */
	ret = nvme_mptcp_pin_module(ctrl);
	if (!ret)
		ret = kc_nvme_add_ctrl(nctrl);
	if (ret)
		goto out_put;
	if (!nvme_change_ctrl_state(nctrl, NVME_CTRL_CONNECTING))
		ret = -EINTR;
	else
		ret = nvme_mptcp_connect_ctrl(ctrl, true);
	if (ret) {
		flush_work(&nctrl->async_event_work);
		nvme_uninit_ctrl(nctrl);
		goto out_put;
	}

	dev_info(nctrl->device, "new ctrl: NQN \"%s\", addr %pISpc, hostnqn: %s\n",
		 opts->subsysnqn, &ctrl->addr, opts->host->nqn);
	nvme_mptcp_publish(ctrl);
	return nctrl;

out_put:
	put_device(nctrl->device);
	return ERR_PTR(ret > 0 ? -EIO : ret);
}
