// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-mptcp: NVMe/TCP host transport over MPTCP for stock nvme-fabrics.
 * This is the module frame; the transport registers itself in a later step.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/in.h>
#include <net/net_namespace.h>
#include <mptcp-compat.h>
#include "nvme-host-api.h"

/* Say at load time whether MPTCP is usable, before any connect needs it. */
static void nvme_mptcp_report_mptcp(void)
{
	struct socket *sock;

	if (mptcp_compat_sock_create(&init_net, AF_INET, IPPROTO_MPTCP, &sock))
		return;
	sock_release(sock);
}

static int __init nvme_mptcp_init(void)
{
	nvme_mptcp_report_mptcp();
	return 0;
}

static void __exit nvme_mptcp_exit(void)
{
}

module_init(nvme_mptcp_init);
module_exit(nvme_mptcp_exit);

MODULE_DESCRIPTION("NVMe over MPTCP host transport");
MODULE_LICENSE("GPL");
MODULE_ALIAS("nvme-mptcp");
