// SPDX-License-Identifier: GPL-2.0
/*
 * nvmet-mptcp: NVMe/TCP target transport listening on MPTCP sockets, for
 * stock nvmet.  This is the module frame; the transport registers itself
 * for trtype "tcp" in a later step.
 */
#include <linux/module.h>
#include <linux/in.h>
#include <net/net_namespace.h>
#include <mptcp-compat.h>
#include "nvmet-api.h"

static void nvmet_mptcp_report_mptcp(void)
{
	struct socket *sock;

	if (mptcp_compat_sock_create(&init_net, AF_INET, IPPROTO_MPTCP, &sock))
		return;
	sock_release(sock);
}

static int __init nvmet_mptcp_init(void)
{
	nvmet_mptcp_report_mptcp();
	return 0;
}

static void __exit nvmet_mptcp_exit(void)
{
}

module_init(nvmet_mptcp_init);
module_exit(nvmet_mptcp_exit);

MODULE_DESCRIPTION("NVMe over MPTCP target transport for stock nvmet");
MODULE_LICENSE("GPL");
