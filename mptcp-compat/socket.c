// SPDX-License-Identifier: GPL-2.0
/* Socket creation for MPTCP and its plain-TCP counterpart. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/in.h>
#include <net/sock.h>
#include <mptcp-compat.h>

int mptcp_compat_sock_create(struct net *net, int family, int protocol,
			     struct socket **res)
{
	int err;

	err = sock_create_kern(net, family, SOCK_STREAM, protocol, res);
	if (err == -ENOPROTOOPT && protocol == IPPROTO_MPTCP)
		pr_err_ratelimited("MPTCP is disabled in this network namespace (sysctl net.mptcp.enabled=0)\n");
	return err;
}
EXPORT_SYMBOL_GPL(mptcp_compat_sock_create);
