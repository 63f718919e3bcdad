// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options for MPTCP sockets and their plain-TCP counterparts.
 *
 * MPTCP applies an option to every subflow, and remembers it for the
 * subflows the path manager adds later, only when the option goes through
 * its own setsockopt handler: from the kernel, sock->ops->setsockopt() with
 * a kernel sockptr.  The TCP helpers would write TCP fields into the MPTCP
 * socket, or set the MPTCP-level socket alone.
 *
 * A plain TCP socket, e.g. what an MPTCP listener returns for a peer that
 * does not speak MPTCP, takes the kernel's TCP helpers, as nvme-tcp does.
 * Its sock->ops->setsockopt() cannot serve here: tcp_setsockopt() does not
 * handle SOL_SOCKET, so SOL_SOCKET options without a helper go through
 * sock_setsockopt().
 */
#include <linux/module.h>
#include <linux/in.h>
#include <linux/jiffies.h>
#include <linux/sockptr.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <linux/time_types.h>
#include <net/ip.h>
#include <net/sock.h>
#include <net/tcp.h>
#include <mptcp-compat.h>

static int mptcp_setsockopt_int(struct socket *sock, int level, int optname,
				int val)
{
	return sock->ops->setsockopt(sock, level, optname, KERNEL_SOCKPTR(&val),
				     sizeof(val));
}

int mptcp_compat_set_nodelay(struct socket *sock)
{
	if (!mptcp_compat_is_mptcp(sock)) {
		tcp_sock_set_nodelay(sock->sk);
		return 0;
	}
	return mptcp_setsockopt_int(sock, SOL_TCP, TCP_NODELAY, 1);
}
EXPORT_SYMBOL_GPL(mptcp_compat_set_nodelay);

int mptcp_compat_set_reuseaddr(struct socket *sock)
{
	if (!mptcp_compat_is_mptcp(sock)) {
		sock_set_reuseaddr(sock->sk);
		return 0;
	}
	/* MPTCP sets it on the subflow that binds and listens. */
	return mptcp_setsockopt_int(sock, SOL_SOCKET, SO_REUSEADDR, 1);
}
EXPORT_SYMBOL_GPL(mptcp_compat_set_reuseaddr);

int mptcp_compat_set_no_linger(struct socket *sock)
{
	struct linger ling = { .l_onoff = 1, .l_linger = 0 };

	if (!mptcp_compat_is_mptcp(sock)) {
		sock_no_linger(sock->sk);
		return 0;
	}
	return sock->ops->setsockopt(sock, SOL_SOCKET, SO_LINGER,
				     KERNEL_SOCKPTR(&ling), sizeof(ling));
}
EXPORT_SYMBOL_GPL(mptcp_compat_set_no_linger);

int mptcp_compat_set_priority(struct socket *sock, u32 priority)
{
	if (!mptcp_compat_is_mptcp(sock)) {
		sock_set_priority(sock->sk, priority);
		return 0;
	}
	return mptcp_setsockopt_int(sock, SOL_SOCKET, SO_PRIORITY, priority);
}
EXPORT_SYMBOL_GPL(mptcp_compat_set_priority);

int mptcp_compat_set_tos(struct socket *sock, int tos)
{
	if (!mptcp_compat_is_mptcp(sock)) {
		ip_sock_set_tos(sock->sk, tos);
		return 0;
	}
	/* IP_TOS, as nvme-tcp sets it, whatever the address family. */
	return mptcp_setsockopt_int(sock, SOL_IP, IP_TOS, tos);
}
EXPORT_SYMBOL_GPL(mptcp_compat_set_tos);

int mptcp_compat_bind_to_device(struct socket *sock, const char *ifname)
{
	char name[IFNAMSIZ] = "";
	sockptr_t optval = KERNEL_SOCKPTR(name);

	/* A copy: sockptr_t wants a writable pointer, callers pass const. */
	if (ifname && strscpy(name, ifname, sizeof(name)) < 0)
		return -EINVAL;

	/* MPTCP binds the subflow it connects or listens on. */
	if (mptcp_compat_is_mptcp(sock))
		return sock->ops->setsockopt(sock, SOL_SOCKET, SO_BINDTODEVICE,
					     optval, strlen(name));
	return sock_setsockopt(sock, SOL_SOCKET, SO_BINDTODEVICE, optval,
			       strlen(name));
}
EXPORT_SYMBOL_GPL(mptcp_compat_bind_to_device);

static int tcp_keepalive_all(struct sock *sk, int idle, int intvl, int cnt)
{
	int err = 0;

	sock_set_keepalive(sk);
	if (idle)
		err = tcp_sock_set_keepidle(sk, idle);
	if (!err && intvl)
		err = tcp_sock_set_keepintvl(sk, intvl);
	if (!err && cnt)
		err = tcp_sock_set_keepcnt(sk, cnt);
	return err;
}

int mptcp_compat_set_keepalive(struct socket *sock, int idle, int intvl,
			       int cnt)
{
	int err;

	if (!mptcp_compat_is_mptcp(sock))
		return tcp_keepalive_all(sock->sk, idle, intvl, cnt);

	err = mptcp_setsockopt_int(sock, SOL_SOCKET, SO_KEEPALIVE, 1);
	if (!err && idle)
		err = mptcp_setsockopt_int(sock, SOL_TCP, TCP_KEEPIDLE, idle);
	if (!err && intvl)
		err = mptcp_setsockopt_int(sock, SOL_TCP, TCP_KEEPINTVL, intvl);
	if (!err && cnt)
		err = mptcp_setsockopt_int(sock, SOL_TCP, TCP_KEEPCNT, cnt);
	return err;
}
EXPORT_SYMBOL_GPL(mptcp_compat_set_keepalive);

int mptcp_compat_set_rcvtimeo(struct socket *sock, long timeout_jiffies)
{
	struct __kernel_sock_timeval tv = {};
	sockptr_t optval = KERNEL_SOCKPTR(&tv);

	if (timeout_jiffies < 0)
		return -EINVAL;
	/* An all-zero timeval means "wait forever" to SO_RCVTIMEO. */
	if (timeout_jiffies != MAX_SCHEDULE_TIMEOUT) {
		tv.tv_sec = timeout_jiffies / HZ;
		tv.tv_usec = jiffies_to_usecs(timeout_jiffies % HZ);
	}

	/*
	 * The _NEW option takes the 64-bit timeval whatever the caller's
	 * ABI; MPTCP keeps the timeout on the MPTCP-level socket, the one
	 * recvmsg waits on.
	 */
	if (mptcp_compat_is_mptcp(sock))
		return sock->ops->setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO_NEW,
					     optval, sizeof(tv));
	return sock_setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO_NEW, optval,
			       sizeof(tv));
}
EXPORT_SYMBOL_GPL(mptcp_compat_set_rcvtimeo);
