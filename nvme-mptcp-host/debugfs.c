// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/nvme-mptcp/<nvmeX>/queues: per queue, the socket kind
 * (MPTCP or fallback TCP), its subflows and byte counters, so a user can
 * see whether I/O really spreads over several paths.
 * /sys/kernel/debug/nvme-mptcp/controllers: one line per controller of this
 * module, whatever transport name it was made with (mptcp, or tcp with
 * tcp=1), and how many of its queues run over MPTCP with how many subflows.
 * /sys/kernel/debug/nvme-mptcp/refusals: "slug count" per way of refusing
 * what a controller sent (pdu-check.h), all of them, since the module was
 * loaded, so a test can tell which check fired.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include <mptcp-compat.h>
#include "nvme-mptcp.h"
#include "pdu-check.h"

static struct dentry *nvme_mptcp_debugfs_root;

enum nvme_mptcp_sock_kind {
	NVME_MPTCP_SOCK_DOWN,
	NVME_MPTCP_SOCK_TCP,
	NVME_MPTCP_SOCK_MPTCP,
	NVME_MPTCP_SOCK_UNKNOWN,
};

static const char *const nvme_mptcp_sock_kinds[] = {
	[NVME_MPTCP_SOCK_DOWN]		= "-",
	[NVME_MPTCP_SOCK_TCP]		= "tcp",
	[NVME_MPTCP_SOCK_MPTCP]		= "mptcp",
	[NVME_MPTCP_SOCK_UNKNOWN]	= "?",
};

/* What the queue's socket runs (DOWN when not live); @info filled when live. */
static enum nvme_mptcp_sock_kind
nvme_mptcp_queue_kind(struct nvme_mptcp_queue *queue,
		      struct mptcp_compat_path_info *info, int *ret)
{
	enum nvme_mptcp_sock_kind kind = NVME_MPTCP_SOCK_DOWN;

	*ret = -ENOTCONN;
	mutex_lock(&queue->queue_lock);
	if (nvme_mptcp_queue_live(queue)) {
		*ret = mptcp_compat_path_info(queue->sock, info);
		if (*ret == -EOPNOTSUPP || (!*ret && info->fallback))
			/* the peer does not speak MPTCP */
			kind = NVME_MPTCP_SOCK_TCP;
		else if (!*ret)
			kind = NVME_MPTCP_SOCK_MPTCP;
		else
			kind = NVME_MPTCP_SOCK_UNKNOWN;
	}
	mutex_unlock(&queue->queue_lock);
	return kind;
}

static void nvme_mptcp_show_queue(struct seq_file *m,
				  struct nvme_mptcp_queue *queue)
{
	struct mptcp_compat_path_info info = { };
	enum nvme_mptcp_sock_kind kind;
	int ret;

	kind = nvme_mptcp_queue_kind(queue, &info, &ret);
	seq_printf(m, "%d %s %u %llu %llu %llu %llu %llu", queue->qid,
		   nvme_mptcp_sock_kinds[kind], ret ? 0 : info.subflows,
		   queue->stats.pdus_tx, queue->stats.pdus_rx,
		   queue->stats.bytes_tx, queue->stats.bytes_rx,
		   queue->stats.eagain_tx);
	/* A kernel that keeps no MPTCP byte counters (6.1): not zeros. */
	if (!ret && info.has_byte_counters)
		seq_printf(m, " %llu %llu %llu", info.bytes_sent,
			   info.bytes_received, info.bytes_retrans);
	else if (!ret)
		seq_puts(m, " n/a n/a n/a");
	seq_putc(m, '\n');
}

static void nvme_mptcp_show_ctrl(struct nvme_mptcp_ctrl *ctrl, void *arg)
{
	static const char *const digests[] = { "-", "hdr", "data", "hdr,data" };
	struct nvmf_ctrl_options *opts = ctrl->ctrl.opts;
	unsigned int mptcp = 0, fallback = 0, lo = UINT_MAX, hi = 0;
	struct seq_file *m = arg;
	int i, ret;

	for (i = 0; i < ctrl->ctrl.queue_count; i++) {
		struct mptcp_compat_path_info info = { };
		enum nvme_mptcp_sock_kind kind;

		kind = nvme_mptcp_queue_kind(&ctrl->queues[i], &info, &ret);
		if (kind == NVME_MPTCP_SOCK_TCP)
			fallback++;
		if (kind != NVME_MPTCP_SOCK_MPTCP)
			continue;
		mptcp++;
		lo = min_t(unsigned int, lo, info.subflows);
		hi = max_t(unsigned int, hi, info.subflows);
	}
	seq_printf(m, strchr(opts->traddr, ':') ?
		   "%s %s [%s]:%s %u %u %u %u %u %s\n" :
		   "%s %s %s:%s %u %u %u %u %u %s\n",
		   dev_name(ctrl->ctrl.device), ctrl->ctrl.ops->name,
		   opts->traddr, opts->trsvcid ? opts->trsvcid : "-",
		   ctrl->ctrl.queue_count, mptcp, fallback, mptcp ? lo : 0, hi,
		   digests[opts->hdr_digest | opts->data_digest << 1]);
}

static int nvme_mptcp_controllers_show(struct seq_file *m, void *unused)
{
	seq_puts(m, "ctrl transport address queues mptcp tcp subflows_min subflows_max digests\n");
	nvme_mptcp_visit_ctrls(nvme_mptcp_show_ctrl, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nvme_mptcp_controllers);

static int nvme_mptcp_queues_show(struct seq_file *m, void *unused)
{
	struct nvme_mptcp_ctrl *ctrl = m->private;
	int i;

	static const char header[] =
		"qid proto subflows pdus_tx pdus_rx bytes_tx bytes_rx eagain_tx mptcp_sent mptcp_recv mptcp_retrans\n";

	seq_puts(m, header);
	for (i = 0; i < ctrl->ctrl.queue_count; i++)
		nvme_mptcp_show_queue(m, &ctrl->queues[i]);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nvme_mptcp_queues);

static int nvme_mptcp_refusals_show(struct seq_file *m, void *unused)
{
	int i;

	for (i = NVME_MPTCP_PDU_OK + 1; i < NVME_MPTCP_PDU_NR_REFUSALS; i++)
		seq_printf(m, "%s %ld\n", nvme_mptcp_refusals[i].slug,
			   atomic_long_read(&nvme_mptcp_refusal_count[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nvme_mptcp_refusals);

void nvme_mptcp_debugfs_add(struct nvme_mptcp_ctrl *ctrl)
{
	ctrl->debugfs = debugfs_create_dir(dev_name(ctrl->ctrl.device),
					   nvme_mptcp_debugfs_root);
	debugfs_create_file("queues", 0444, ctrl->debugfs, ctrl,
			    &nvme_mptcp_queues_fops);
}

void nvme_mptcp_debugfs_remove(struct nvme_mptcp_ctrl *ctrl)
{
	debugfs_remove_recursive(ctrl->debugfs);
	ctrl->debugfs = NULL;
}

void nvme_mptcp_debugfs_init(void)
{
	nvme_mptcp_debugfs_root = debugfs_create_dir("nvme-mptcp", NULL);
	debugfs_create_file("controllers", 0444, nvme_mptcp_debugfs_root, NULL,
			    &nvme_mptcp_controllers_fops);
	debugfs_create_file("refusals", 0444, nvme_mptcp_debugfs_root, NULL,
			    &nvme_mptcp_refusals_fops);
}

void nvme_mptcp_debugfs_exit(void)
{
	debugfs_remove_recursive(nvme_mptcp_debugfs_root);
}
