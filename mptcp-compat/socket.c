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

	if (protocol != IPPROTO_MPTCP && protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;

	/*
	 * kern=0 makes the socket pin @net as a user socket does.  A kernel
	 * socket (sock_create_kern) does not, so a namespace deleted under a
	 * live connection would be freed while its TCP timers still run.
	 */
	err = __sock_create(net, family, SOCK_STREAM, protocol, res, 0);
	if (err == -ENOPROTOOPT && protocol == IPPROTO_MPTCP)
		pr_err_ratelimited("MPTCP is disabled in this network namespace (sysctl net.mptcp.enabled=0)\n");
	return err;
}
EXPORT_SYMBOL_GPL(mptcp_compat_sock_create);

bool mptcp_compat_is_mptcp(const struct socket *sock)
{
	/*
	 * An MPTCP listener hands out a plain TCP socket for a peer that does
	 * not speak MPTCP; only the protocol of the sock tells them apart.
	 */
	return sock->sk && sock->sk->sk_protocol == IPPROTO_MPTCP;
}
EXPORT_SYMBOL_GPL(mptcp_compat_is_mptcp);
