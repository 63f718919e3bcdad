// SPDX-License-Identifier: GPL-2.0
/*
 * Controller lifecycle: create, connect (admin queue, then I/O queues),
 * reset, error recovery with reconnect, delete.  The order of calls into
 * nvme-core follows the contract every fabrics transport keeps: quiesce
 * before stopping queues, cancel what is left, then free.
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

void nvme_mptcp_error_recovery(struct nvme_ctrl *ctrl)
{
	if (!nvme_change_ctrl_state(ctrl, NVME_CTRL_RESETTING))
		return;
	dev_warn(ctrl->device, "starting error recovery\n");
	/* ctrl_loss_tmo counts from here, teardown included. */
	to_mptcp_ctrl(ctrl)->lost_since = jiffies;
	queue_work(nvme_reset_wq, &to_mptcp_ctrl(ctrl)->err_work);
}

static void nvme_mptcp_free_io_queues(struct nvme_mptcp_ctrl *ctrl)
{
	int i;

	for (i = 1; i < ctrl->ctrl.queue_count; i++)
		nvme_mptcp_free_queue(ctrl, i);
}

static void nvme_mptcp_stop_io_queues(struct nvme_mptcp_ctrl *ctrl)
{
	int i;

	for (i = 1; i < ctrl->ctrl.queue_count; i++)
		nvme_mptcp_stop_queue(ctrl, i);
}

static int nvme_mptcp_start_io_queues(struct nvme_mptcp_ctrl *ctrl, int first,
				      int last)
{
	int i, ret;

	for (i = first; i < last; i++) {
		ret = nvme_mptcp_start_queue(ctrl, i);
		if (ret)
			goto out_stop;
	}
	return 0;

out_stop:
	for (i--; i >= first; i--)
		nvme_mptcp_stop_queue(ctrl, i);
	return ret;
}

/* Split the queues the controller granted into default, read and poll. */
static void nvme_mptcp_split_queues(struct nvme_mptcp_ctrl *ctrl,
				    unsigned int granted)
{
	struct nvmf_ctrl_options *opts = ctrl->ctrl.opts;
	u32 *nq = ctrl->io_queues;

	memset(ctrl->io_queues, 0, sizeof(ctrl->io_queues));
	if (opts->nr_write_queues && opts->nr_io_queues < granted) {
		/* nr_io_queues serve reads, nr_write_queues the rest. */
		nq[HCTX_TYPE_READ] = opts->nr_io_queues;
		granted -= nq[HCTX_TYPE_READ];
		nq[HCTX_TYPE_DEFAULT] = min(opts->nr_write_queues, granted);
		granted -= nq[HCTX_TYPE_DEFAULT];
	} else {
		nq[HCTX_TYPE_DEFAULT] = min(opts->nr_io_queues, granted);
		granted -= nq[HCTX_TYPE_DEFAULT];
	}
	if (opts->nr_poll_queues && granted)
		nq[HCTX_TYPE_POLL] = min(opts->nr_poll_queues, granted);
}

static int nvme_mptcp_alloc_io_queues(struct nvme_mptcp_ctrl *ctrl)
{
	struct nvmf_ctrl_options *opts = ctrl->ctrl.opts;
	unsigned int cpus = num_online_cpus();
	unsigned int nr, i;
	int ret;

	nr = min(opts->nr_io_queues, cpus) + min(opts->nr_write_queues, cpus) +
	     min(opts->nr_poll_queues, cpus);
	ret = nvme_set_queue_count(&ctrl->ctrl, &nr);
	if (ret)
		return ret;
	if (!nr) {
		dev_err(ctrl->ctrl.device, "controller granted no I/O queues\n");
		return -ENOMEM;
	}
	nvme_mptcp_split_queues(ctrl, nr);
	nr = ctrl->io_queues[HCTX_TYPE_DEFAULT] + ctrl->io_queues[HCTX_TYPE_READ] +
	     ctrl->io_queues[HCTX_TYPE_POLL];
	ctrl->ctrl.queue_count = nr + 1;
	dev_info(ctrl->ctrl.device, "creating %u I/O queues\n", nr);

	for (i = 1; i <= nr; i++) {
		ret = nvme_mptcp_alloc_queue(ctrl, i);
		if (ret)
			goto out_free;
	}
	return 0;

out_free:
	while (--i >= 1)
		nvme_mptcp_free_queue(ctrl, i);
	return ret;
}

static void nvme_mptcp_destroy_io_queues(struct nvme_mptcp_ctrl *ctrl,
					 bool remove)
{
	nvme_mptcp_stop_io_queues(ctrl);
	if (remove)
		nvme_remove_io_tag_set(&ctrl->ctrl);
	nvme_mptcp_free_io_queues(ctrl);
}

static int nvme_mptcp_configure_io_queues(struct nvme_mptcp_ctrl *ctrl,
					  bool new)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	int ret, nr;

	ret = nvme_mptcp_alloc_io_queues(ctrl);
	if (ret)
		return ret;

	if (new) {
		ret = nvme_alloc_io_tag_set(nctrl, &ctrl->tag_set,
					    &nvme_mptcp_mq_ops,
					    nctrl->opts->nr_poll_queues ?
					    HCTX_MAX_TYPES : 2,
					    sizeof(struct nvme_mptcp_request));
		if (ret)
			goto out_free;
	}

	/* On reconnect the controller may grant a different queue count. */
	nr = min(nctrl->tagset->nr_hw_queues + 1, nctrl->queue_count);
	ret = nvme_mptcp_start_io_queues(ctrl, 1, nr);
	if (ret)
		goto out_cancel;

	if (!new) {
		nvme_start_freeze(nctrl);
		nvme_unquiesce_io_queues(nctrl);
		if (!kc_nvme_wait_freeze_io_timeout(nctrl)) {
			/* Stuck I/O: fail this attempt rather than hang. */
			ret = -ENODEV;
			nvme_unfreeze(nctrl);
			goto out_stop;
		}
		blk_mq_update_nr_hw_queues(nctrl->tagset, nctrl->queue_count - 1);
		nvme_unfreeze(nctrl);
	}

	ret = nvme_mptcp_start_io_queues(ctrl, nr, nctrl->tagset->nr_hw_queues + 1);
	if (ret)
		goto out_stop;
	return 0;

out_stop:
	nvme_quiesce_io_queues(nctrl);
	nvme_sync_io_queues(nctrl);
	nvme_mptcp_stop_io_queues(ctrl);
out_cancel:
	nvme_cancel_tagset(nctrl);
	if (new)
		nvme_remove_io_tag_set(nctrl);
out_free:
	nvme_mptcp_free_io_queues(ctrl);
	return ret;
}

static void nvme_mptcp_destroy_admin_queue(struct nvme_mptcp_ctrl *ctrl,
					   bool remove)
{
	nvme_mptcp_stop_queue(ctrl, 0);
	if (remove)
		nvme_remove_admin_tag_set(&ctrl->ctrl);
	nvme_mptcp_free_queue(ctrl, 0);
}

static int nvme_mptcp_configure_admin_queue(struct nvme_mptcp_ctrl *ctrl,
					    bool new)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	int ret;

	ret = nvme_mptcp_alloc_queue(ctrl, 0);
	if (ret)
		return ret;

	if (new) {
		ret = nvme_alloc_admin_tag_set(nctrl, &ctrl->admin_tag_set,
					       &nvme_mptcp_admin_mq_ops,
					       sizeof(struct nvme_mptcp_request));
		if (ret)
			goto out_free;
	}

	ret = nvme_mptcp_start_queue(ctrl, 0);
	if (ret)
		goto out_remove_tagset;
	ret = nvme_enable_ctrl(nctrl);
	if (ret)
		goto out_stop;
	nvme_unquiesce_admin_queue(nctrl);
	ret = kc_nvme_init_ctrl_finish(nctrl);
	if (ret)
		goto out_quiesce;
	return 0;

out_quiesce:
	nvme_quiesce_admin_queue(nctrl);
	blk_sync_queue(nctrl->admin_q);
out_stop:
	nvme_mptcp_stop_queue(ctrl, 0);
	nvme_cancel_admin_tagset(nctrl);
out_remove_tagset:
	if (new)
		nvme_remove_admin_tag_set(nctrl);
out_free:
	nvme_mptcp_free_queue(ctrl, 0);
	return ret;
}

static void nvme_mptcp_teardown_admin_queue(struct nvme_mptcp_ctrl *ctrl,
					    bool remove)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;

	nvme_quiesce_admin_queue(nctrl);
	blk_sync_queue(nctrl->admin_q);
	nvme_mptcp_stop_queue(ctrl, 0);
	nvme_cancel_admin_tagset(nctrl);
	if (remove)
		nvme_unquiesce_admin_queue(nctrl);
	nvme_mptcp_destroy_admin_queue(ctrl, remove);
}

static void nvme_mptcp_teardown_io_queues(struct nvme_mptcp_ctrl *ctrl,
					  bool remove)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;

	if (nctrl->queue_count <= 1)
		return;
	nvme_quiesce_admin_queue(nctrl);
	nvme_quiesce_io_queues(nctrl);
	nvme_sync_io_queues(nctrl);
	nvme_mptcp_stop_io_queues(ctrl);
	nvme_cancel_tagset(nctrl);
	if (remove)
		nvme_unquiesce_io_queues(nctrl);
	nvme_mptcp_destroy_io_queues(ctrl, remove);
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

static void nvme_mptcp_reconnect_or_remove(struct nvme_mptcp_ctrl *ctrl,
					   int status)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;

	/* Reset or delete got there first: it owns the controller now. */
	if (nvme_mptcp_state(nctrl) != NVME_CTRL_CONNECTING)
		return;

	if (!kc_nvmf_should_reconnect(nctrl, status)) {
		dev_info(nctrl->device, "removing controller (%d)\n", status);
	} else if (!nvme_mptcp_time_to_retry(ctrl)) {
		dev_info(nctrl->device, "ctrl_loss_tmo (%d s) is up, removing controller (%d)\n",
			 nctrl->opts->max_reconnects * nctrl->opts->reconnect_delay,
			 status);
	} else {
		dev_info(nctrl->device, "reconnecting in %d seconds\n",
			 nctrl->opts->reconnect_delay);
		queue_delayed_work(nvme_wq, &ctrl->connect_work,
				   nctrl->opts->reconnect_delay * HZ);
		return;
	}
	nvme_delete_ctrl(nctrl);
}

/* Any queue blk-mq uses broken (queues beyond its hw queues stay unused). */
static bool nvme_mptcp_any_queue_broken(struct nvme_mptcp_ctrl *ctrl)
{
	int i, n = ctrl->ctrl.queue_count;

	if (n > 1)
		n = min_t(int, n, ctrl->ctrl.tagset->nr_hw_queues + 1);
	for (i = 0; i < n; i++)
		if (nvme_mptcp_queue_broken(&ctrl->queues[i]))
			return true;
	return false;
}

static int nvme_mptcp_setup_ctrl(struct nvme_mptcp_ctrl *ctrl, bool new)
{
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	struct nvmf_ctrl_options *opts = nctrl->opts;
	int ret;

	ret = nvme_mptcp_configure_admin_queue(ctrl, new);
	if (ret)
		return ret;

	if (nctrl->icdoff) {
		dev_err(nctrl->device, "in-capsule data offset (icdoff %u) is not supported\n",
			nctrl->icdoff);
		ret = -EOPNOTSUPP;
		goto destroy_admin;
	}
	if (!(nctrl->sgls & (BIT(0) | BIT(1)))) {
		dev_err(nctrl->device, "controller does not support SGLs, which NVMe/TCP requires\n");
		ret = -EOPNOTSUPP;
		goto destroy_admin;
	}
	if (opts->queue_size > nctrl->sqsize + 1)
		dev_warn(nctrl->device, "queue_size %zu > controller sqsize %u, clamping down\n",
			 opts->queue_size, nctrl->sqsize + 1);
	if (nctrl->sqsize + 1 > nctrl->maxcmd) {
		dev_warn(nctrl->device, "sqsize %u > controller maxcmd %u, clamping down\n",
			 nctrl->sqsize + 1, nctrl->maxcmd);
		nctrl->sqsize = nctrl->maxcmd - 1;
	}

	if (nctrl->queue_count > 1) {
		ret = nvme_mptcp_configure_io_queues(ctrl, new);
		if (ret)
			goto destroy_admin;
	}

	if (!nvme_change_ctrl_state(nctrl, NVME_CTRL_LIVE)) {
		/* Only a delete may overtake a reconnect; never a new ctrl. */
		ret = -EINVAL;
		goto destroy_io;
	}
	nvme_start_ctrl(nctrl);
	/*
	 * A queue that broke while the others were being set up failed its
	 * own commands only (nvme_mptcp_queue_failed): recover it now.
	 * Pairs with the barrier there.
	 */
	smp_mb();
	if (nvme_mptcp_any_queue_broken(ctrl))
		nvme_mptcp_error_recovery(nctrl);
	return 0;

destroy_io:
	if (nctrl->queue_count > 1) {
		nvme_quiesce_io_queues(nctrl);
		nvme_sync_io_queues(nctrl);
		nvme_mptcp_stop_io_queues(ctrl);
		nvme_cancel_tagset(nctrl);
		nvme_mptcp_destroy_io_queues(ctrl, new);
	}
destroy_admin:
	nvme_stop_keep_alive(nctrl);
	nvme_mptcp_teardown_admin_queue(ctrl, new);
	return ret;
}

static void nvme_mptcp_connect_work(struct work_struct *work)
{
	struct nvme_mptcp_ctrl *ctrl = container_of(to_delayed_work(work),
					struct nvme_mptcp_ctrl, connect_work);
	struct nvme_ctrl *nctrl = &ctrl->ctrl;
	int ret;

	++nctrl->nr_reconnects;
	ret = nvme_mptcp_setup_ctrl(ctrl, false);
	if (ret) {
		dev_info(nctrl->device, "reconnect attempt %d of %d failed (%d)\n",
			 nctrl->nr_reconnects, nctrl->opts->max_reconnects, ret);
		nvme_mptcp_reconnect_or_remove(ctrl, ret);
		return;
	}
	/* Not if setup went LIVE only to find a queue broken again. */
	if (nvme_mptcp_state(nctrl) != NVME_CTRL_LIVE)
		return;
	dev_info(nctrl->device, "reconnected (attempt %d of %d)\n",
		 nctrl->nr_reconnects, nctrl->opts->max_reconnects);
	nctrl->nr_reconnects = 0;
}

static void nvme_mptcp_err_work(struct work_struct *work)
{
	struct nvme_mptcp_ctrl *ctrl = container_of(work,
					struct nvme_mptcp_ctrl, err_work);
	struct nvme_ctrl *nctrl = &ctrl->ctrl;

	nvme_stop_keep_alive(nctrl);
	flush_work(&nctrl->async_event_work);
	nvme_mptcp_teardown_io_queues(ctrl, false);
	/* Let queued I/O fail over or fail fast instead of waiting. */
	nvme_unquiesce_io_queues(nctrl);
	nvme_mptcp_teardown_admin_queue(ctrl, false);
	nvme_unquiesce_admin_queue(nctrl);
	/* In-band authentication must not use the queues being rebuilt. */
	kc_nvme_auth_stop(nctrl);

	if (!nvme_change_ctrl_state(nctrl, NVME_CTRL_CONNECTING))
		return;		/* being deleted */
	nvme_mptcp_reconnect_or_remove(ctrl, 0);
}

static void nvme_mptcp_teardown_ctrl(struct nvme_mptcp_ctrl *ctrl,
				     bool shutdown)
{
	nvme_mptcp_teardown_io_queues(ctrl, shutdown);
	nvme_quiesce_admin_queue(&ctrl->ctrl);
	kc_nvme_disable_ctrl(&ctrl->ctrl, shutdown);
	nvme_mptcp_teardown_admin_queue(ctrl, shutdown);
}

static void nvme_mptcp_delete_ctrl(struct nvme_ctrl *nctrl)
{
	nvme_mptcp_teardown_ctrl(to_mptcp_ctrl(nctrl), true);
}

static void nvme_mptcp_reset_work(struct work_struct *work)
{
	struct nvme_ctrl *nctrl = container_of(work, struct nvme_ctrl, reset_work);
	struct nvme_mptcp_ctrl *ctrl = to_mptcp_ctrl(nctrl);
	int ret;

	nvme_stop_ctrl(nctrl);
	nvme_mptcp_teardown_ctrl(ctrl, false);
	if (!nvme_change_ctrl_state(nctrl, NVME_CTRL_CONNECTING))
		return;		/* being deleted */
	ret = nvme_mptcp_setup_ctrl(ctrl, false);
	if (ret) {
		++nctrl->nr_reconnects;
		ctrl->lost_since = jiffies;
		nvme_mptcp_reconnect_or_remove(ctrl, ret);
	}
}

static void nvme_mptcp_stop_ctrl(struct nvme_ctrl *nctrl)
{
	struct nvme_mptcp_ctrl *ctrl = to_mptcp_ctrl(nctrl);

	flush_work(&ctrl->err_work);
	cancel_delayed_work_sync(&ctrl->connect_work);
}

static void nvme_mptcp_destroy_queues(struct nvme_mptcp_ctrl *ctrl)
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

static void nvme_mptcp_free_ctrl(struct nvme_ctrl *nctrl)
{
	struct nvme_mptcp_ctrl *ctrl = to_mptcp_ctrl(nctrl);
	bool created = !list_empty(&ctrl->list);
	struct file *pin = ctrl->pin;

	if (created) {
		mutex_lock(&nvme_mptcp_ctrls_lock);
		list_del(&ctrl->list);
		mutex_unlock(&nvme_mptcp_ctrls_lock);
		nvme_mptcp_debugfs_remove(ctrl);
		/* On a failed create, nvme-fabrics frees the options itself. */
		nvmf_free_options(nctrl->opts);
	}
	nvme_mptcp_destroy_queues(ctrl);
	put_net(ctrl->net);
	kfree(ctrl);
	if (pin)
		fput(pin);
}

static int nvme_mptcp_get_address(struct nvme_ctrl *nctrl, char *buf, int size)
{
	struct nvme_mptcp_queue *queue = &to_mptcp_ctrl(nctrl)->queues[0];
	struct sockaddr_storage src;
	int len;

	len = nvmf_get_address(nctrl, buf, size);
	if (!test_bit(NVME_MPTCP_Q_LIVE, &queue->flags))
		return len;
	mutex_lock(&queue->queue_lock);
	if (test_bit(NVME_MPTCP_Q_LIVE, &queue->flags) &&
	    kernel_getsockname(queue->sock, (struct sockaddr *)&src) > 0) {
		if (len > 0)
			len--;	/* replace the trailing newline */
		len += scnprintf(buf + len, size - len, "%ssrc_addr=%pISc\n",
				 len ? "," : "", &src);
	}
	mutex_unlock(&queue->queue_lock);
	return len;
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

static bool nvme_mptcp_ctrl_exists(struct nvmf_ctrl_options *opts)
{
	struct nvme_mptcp_ctrl *ctrl;
	bool found = false;

	mutex_lock(&nvme_mptcp_ctrls_lock);
	list_for_each_entry(ctrl, &nvme_mptcp_ctrls, list) {
		found = nvmf_ip_options_match(&ctrl->ctrl, opts);
		if (found)
			break;
	}
	mutex_unlock(&nvme_mptcp_ctrls_lock);
	return found;
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

static struct nvme_mptcp_ctrl *nvme_mptcp_alloc_ctrl(struct device *dev,
						     struct nvmf_ctrl_options *opts)
{
	struct nvme_mptcp_ctrl *ctrl;
	int ret, i;

	ctrl = kzalloc(sizeof(*ctrl), GFP_KERNEL);
	if (!ctrl)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&ctrl->list);
	ctrl->net = get_net(current->nsproxy->net_ns);
	ctrl->ctrl.opts = opts;
	ctrl->ctrl.queue_count = opts->nr_io_queues + opts->nr_write_queues +
				 opts->nr_poll_queues + 1;
	ctrl->ctrl.sqsize = opts->queue_size - 1;
	ctrl->ctrl.kato = opts->kato;
	INIT_DELAYED_WORK(&ctrl->connect_work, nvme_mptcp_connect_work);
	INIT_WORK(&ctrl->err_work, nvme_mptcp_err_work);
	INIT_WORK(&ctrl->ctrl.reset_work, nvme_mptcp_reset_work);

	ret = nvme_mptcp_parse_addrs(ctrl, opts);
	if (ret)
		goto out_free;
	if (!opts->duplicate_connect && nvme_mptcp_ctrl_exists(opts)) {
		ret = -EALREADY;
		goto out_free;
	}
	ctrl->queues = kcalloc(ctrl->ctrl.queue_count, sizeof(*ctrl->queues),
			       GFP_KERNEL);
	if (!ctrl->queues) {
		ret = -ENOMEM;
		goto out_free;
	}
	ctrl->nr_queues = ctrl->ctrl.queue_count;
	for (i = 0; i < ctrl->nr_queues; i++) {
		ret = nvme_mptcp_init_queue(ctrl, i);
		if (ret)
			goto out_free_queues;
	}
	ctrl->async_req.queue = &ctrl->queues[0];

	ret = nvme_init_ctrl(&ctrl->ctrl, dev, strcmp(opts->transport, "tcp") ?
			     &nvme_mptcp_ctrl_ops : &nvme_mptcp_ctrl_ops_tcp, 0);
	if (ret)
		goto out_free_queues;
	return ctrl;

out_free_queues:
	nvme_mptcp_destroy_queues(ctrl);
out_free:
	put_net(ctrl->net);
	kfree(ctrl);
	return ERR_PTR(ret);
}

struct nvme_ctrl *nvme_mptcp_create_ctrl(struct device *dev,
					 struct nvmf_ctrl_options *opts)
{
	struct nvme_mptcp_ctrl *ctrl;
	int ret;

	ctrl = nvme_mptcp_alloc_ctrl(dev, opts);
	if (IS_ERR(ctrl))
		return ERR_CAST(ctrl);

	/* From here on the last reference frees ctrl (free_ctrl). */
	ret = nvme_mptcp_pin_module(ctrl);
	if (ret)
		goto out_put;
	ret = kc_nvme_add_ctrl(&ctrl->ctrl);
	if (ret)
		goto out_put;
	if (!nvme_change_ctrl_state(&ctrl->ctrl, NVME_CTRL_CONNECTING)) {
		ret = -EINTR;
		goto out_uninit;
	}
	ret = nvme_mptcp_setup_ctrl(ctrl, true);
	if (ret)
		goto out_uninit;

	dev_info(ctrl->ctrl.device, "new ctrl: NQN \"%s\", addr %pISpc, hostnqn: %s\n",
		 opts->subsysnqn, &ctrl->addr, opts->host->nqn);

	mutex_lock(&nvme_mptcp_ctrls_lock);
	list_add_tail(&ctrl->list, &nvme_mptcp_ctrls);
	mutex_unlock(&nvme_mptcp_ctrls_lock);
	nvme_mptcp_debugfs_add(ctrl);
	return &ctrl->ctrl;

out_uninit:
	flush_work(&ctrl->ctrl.async_event_work);
	nvme_uninit_ctrl(&ctrl->ctrl);
out_put:
	put_device(ctrl->ctrl.device);
	return ERR_PTR(ret > 0 ? -EIO : ret);
}
