/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mptcp-compat: MPTCP socket helpers for in-kernel users on stock kernels.
 * Names carry the mptcp_compat_ prefix so they never clash with helpers a
 * future kernel may export itself.
 */
#ifndef _MPTCP_COMPAT_H
#define _MPTCP_COMPAT_H

#include <linux/net.h>

struct net;

/*
 * Create a kernel stream socket of @protocol (IPPROTO_MPTCP or IPPROTO_TCP)
 * in @net.  Fails with -ENOPROTOOPT, and says so in dmesg, when MPTCP is
 * disabled in that namespace (net.mptcp.enabled=0).
 */
int mptcp_compat_sock_create(struct net *net, int family, int protocol,
			     struct socket **res);

#endif /* _MPTCP_COMPAT_H */
