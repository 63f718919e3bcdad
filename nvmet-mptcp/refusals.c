// SPDX-License-Identifier: GPL-2.0
/*
 * How often each check refused something a host sent, module-wide, in
 * /sys/kernel/debug/nvmet_mptcp/refusals.  The log lines are rate-limited,
 * so they cannot say how many of what a flood was made of; these can, and
 * tests/scenarios/target-badpdu.sh asserts every sequence by them (a
 * host's own H2CTermReq is counted too, as host-term; a data digest error
 * once per PDU).  Next
 * to it, data_waits: how many commands waited for their queue's data
 * budget (cmd.c), which tells a slow queue from a starved one.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include "nvmet-mptcp.h"

static const char *const nvmet_mptcp_refusal_names[] = {
	[NVMET_MPTCP_PDU_OK]			= NULL,
	[NVMET_MPTCP_PDU_HOST_TERM]		= "host-term",
	[NVMET_MPTCP_PDU_SECOND_ICREQ]		= "second-icreq",
	[NVMET_MPTCP_PDU_ICREQ_HLEN]		= "icreq-hlen",
	[NVMET_MPTCP_PDU_ICREQ_PLEN]		= "icreq-plen",
	[NVMET_MPTCP_PDU_ICREQ_FLAGS]		= "icreq-flags",
	[NVMET_MPTCP_PDU_ICREQ_PDO]		= "icreq-pdo",
	[NVMET_MPTCP_PDU_BEFORE_ICREQ]		= "before-icreq",
	[NVMET_MPTCP_PDU_HLEN]			= "hlen",
	[NVMET_MPTCP_PDU_HDGST_FLAG]		= "hdgst-flag",
	[NVMET_MPTCP_PDU_PLEN]			= "plen",
	[NVMET_MPTCP_PDU_TYPE]			= "type",
	[NVMET_MPTCP_PDU_PFV]			= "pfv",
	[NVMET_MPTCP_PDU_HPDA]			= "hpda",
	[NVMET_MPTCP_PDU_PDO]			= "pdo",
	[NVMET_MPTCP_PDU_DDGST_FLAG]		= "ddgst-flag",
	[NVMET_MPTCP_PDU_ICD_LIMIT]		= "icd-limit",
	[NVMET_MPTCP_PDU_DDGST_NO_DATA]		= "ddgst-no-data",
	[NVMET_MPTCP_PDU_H2C_NO_R2T]		= "h2c-no-r2t",
	[NVMET_MPTCP_PDU_H2C_CID]		= "h2c-cid",
	[NVMET_MPTCP_PDU_H2C_LENGTH]		= "h2c-length",
	[NVMET_MPTCP_PDU_H2C_OFFSET]		= "h2c-offset",
	[NVMET_MPTCP_PDU_H2C_BEYOND]		= "h2c-beyond",
	[NVMET_MPTCP_REF_HDR_DIGEST]		= "hdr-digest",
	[NVMET_MPTCP_REF_CMD_SLOTS]		= "cmd-slots",
	[NVMET_MPTCP_REF_ICD_SGL]		= "icd-sgl",
	[NVMET_MPTCP_REF_NO_BUFFER]		= "no-buffer",
	[NVMET_MPTCP_REF_DATA_DIGEST]		= "data-digest",
	[NVMET_MPTCP_REF_SGL_TYPE]		= "sgl-type",
	[NVMET_MPTCP_REF_DATA_LENGTH]		= "data-length",
	[NVMET_MPTCP_REF_CONNECT_LENGTH]	= "connect-length",
	[NVMET_MPTCP_REF_ICD_READ]		= "icd-read",
	[NVMET_MPTCP_REF_QUEUE_SIZE]		= "queue-size",
	[NVMET_MPTCP_REF_BUFFER_ALLOC]		= "buffer-alloc",
	[NVMET_MPTCP_REF_ICREQ_TIMEOUT]		= "icreq-timeout",
	[NVMET_MPTCP_REF_CONNECT_TIMEOUT]	= "connect-timeout",
	[NVMET_MPTCP_REF_PORT_PENDING]		= "port-pending",
	[NVMET_MPTCP_REF_PEER_PENDING]		= "peer-pending",
};

static_assert(ARRAY_SIZE(nvmet_mptcp_refusal_names) == NVMET_MPTCP_NR_REFUSALS);

static atomic_long_t nvmet_mptcp_refusal_count[NVMET_MPTCP_NR_REFUSALS];
static atomic_long_t nvmet_mptcp_data_waits;
static struct dentry *nvmet_mptcp_debugfs;

void nvmet_mptcp_count_data_wait(void)
{
	atomic_long_inc(&nvmet_mptcp_data_waits);
}

static int nvmet_mptcp_data_waits_get(void *unused, u64 *val)
{
	*val = atomic_long_read(&nvmet_mptcp_data_waits);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(nvmet_mptcp_data_waits_fops,
			 nvmet_mptcp_data_waits_get, NULL, "%llu\n");

void nvmet_mptcp_count_refusal(unsigned int reason)
{
	if (!WARN_ON_ONCE(reason >= NVMET_MPTCP_NR_REFUSALS))
		atomic_long_inc(&nvmet_mptcp_refusal_count[reason]);
}

static int nvmet_mptcp_refusals_show(struct seq_file *m, void *unused)
{
	unsigned int i;

	for (i = NVMET_MPTCP_PDU_OK + 1; i < NVMET_MPTCP_NR_REFUSALS; i++)
		seq_printf(m, "%s %ld\n", nvmet_mptcp_refusal_names[i],
			   atomic_long_read(&nvmet_mptcp_refusal_count[i]));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(nvmet_mptcp_refusals);

/* Counters are for tests and curious admins: a missing debugfs is fine. */
void nvmet_mptcp_refusals_init(void)
{
	nvmet_mptcp_debugfs = debugfs_create_dir("nvmet_mptcp", NULL);
	debugfs_create_file("refusals", 0444, nvmet_mptcp_debugfs, NULL,
			    &nvmet_mptcp_refusals_fops);
	debugfs_create_file_unsafe("data_waits", 0444, nvmet_mptcp_debugfs,
				   NULL, &nvmet_mptcp_data_waits_fops);
}

void nvmet_mptcp_refusals_exit(void)
{
	debugfs_remove_recursive(nvmet_mptcp_debugfs);
}
