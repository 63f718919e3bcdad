// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-mptcp: NVMe/TCP host transport over MPTCP for stock nvme-fabrics.
 * Registers transport "mptcp" (nvme connect -t mptcp autoloads this
 * module as nvme-mptcp).
 */
#include <linux/module.h>
#include "nvme-mptcp.h"

struct workqueue_struct *nvme_mptcp_wq;

/* kTLS is a TCP ULP, and MPTCP refuses ULPs (TCP_ULP gives EOPNOTSUPP). */
#ifdef KC_HAVE_NVMF_OPT_TLS
#define NVME_MPTCP_TLS_OPTS	(NVMF_OPT_TLS | NVMF_OPT_KEYRING | NVMF_OPT_TLS_KEY)
#else
#define NVME_MPTCP_TLS_OPTS	0
#endif
#ifdef KC_HAVE_NVMF_OPT_CONCAT
#define NVME_MPTCP_CONCAT_OPT	NVMF_OPT_CONCAT
#else
#define NVME_MPTCP_CONCAT_OPT	0
#endif

static struct nvme_ctrl *nvme_mptcp_create(struct device *dev,
					   struct nvmf_ctrl_options *opts)
{
	/* Accepted by allowed_opts only to be refused here in plain words. */
	if (opts->mask & (NVME_MPTCP_TLS_OPTS | NVME_MPTCP_CONCAT_OPT)) {
		pr_err("tls, keyring, tls_key and concat are not supported: MPTCP cannot carry kernel TLS\n");
		return ERR_PTR(-EINVAL);
	}
	return nvme_mptcp_create_ctrl(dev, opts);
}

static struct nvmf_transport_ops nvme_mptcp_transport = {
	.name		= "mptcp",
	.module		= THIS_MODULE,
	.required_opts	= NVMF_OPT_TRADDR,
	.allowed_opts	= NVMF_OPT_TRSVCID | NVMF_OPT_RECONNECT_DELAY |
			  NVMF_OPT_HOST_TRADDR | NVMF_OPT_CTRL_LOSS_TMO |
			  NVMF_OPT_HDR_DIGEST | NVMF_OPT_DATA_DIGEST |
			  NVMF_OPT_NR_WRITE_QUEUES | NVMF_OPT_NR_POLL_QUEUES |
			  NVMF_OPT_TOS | NVMF_OPT_HOST_IFACE |
			  NVME_MPTCP_TLS_OPTS | NVME_MPTCP_CONCAT_OPT,
	.create_ctrl	= nvme_mptcp_create,
};

static int __init nvme_mptcp_init(void)
{
	BUILD_BUG_ON(sizeof(struct nvme_tcp_hdr) != 8);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_cmd_pdu) != 72);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_icreq_pdu) != 128);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_icresp_pdu) != 128);
	BUILD_BUG_ON(offsetof(struct nvme_mptcp_request, nreq) != 0);

	nvme_mptcp_wq = alloc_workqueue("nvme_mptcp_wq",
					WQ_MEM_RECLAIM | WQ_HIGHPRI | WQ_SYSFS |
					WQ_PERCPU, 0);
	if (!nvme_mptcp_wq)
		return -ENOMEM;
	nvme_mptcp_debugfs_init();
	nvmf_register_transport(&nvme_mptcp_transport);
	return 0;
}

static void __exit nvme_mptcp_exit(void)
{
	/* Every controller holds a module reference, so none is left. */
	nvmf_unregister_transport(&nvme_mptcp_transport);
	flush_workqueue(nvme_delete_wq);
	nvme_mptcp_debugfs_exit();
	destroy_workqueue(nvme_mptcp_wq);
}

module_init(nvme_mptcp_init);
module_exit(nvme_mptcp_exit);

MODULE_DESCRIPTION("NVMe over MPTCP host transport");
MODULE_LICENSE("GPL");
MODULE_ALIAS("nvme-mptcp");
