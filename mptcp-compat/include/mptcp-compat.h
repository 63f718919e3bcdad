/* SPDX-License-Identifier: GPL-2.0 */
/*
 * mptcp-compat: MPTCP socket helpers for in-kernel users on stock kernels.
 *
 * Stock kernels export no MPTCP helpers, and the TCP ones (tcp_sock_set_*,
 * sock_set_*, ip_sock_set_tos) either corrupt an MPTCP socket or touch only
 * the MPTCP-level socket, never its subflows.  Everything here reaches an
 * MPTCP socket through the paths MPTCP supports: sock->ops->setsockopt()
 * with KERNEL_SOCKPTR (so MPTCP applies options to every subflow, present
 * and future), the socket wait queue, sendmsg/recvmsg and the exported
 * mptcp_diag_fill_info().  On a plain TCP socket (including an MPTCP
 * listener's fallback socket) the same calls use the TCP helpers.
 *
 * Names carry the mptcp_compat_ prefix so they never clash with helpers a
 * future kernel may export itself.  All functions may sleep unless noted.
 */
#ifndef _MPTCP_COMPAT_H
#define _MPTCP_COMPAT_H

#include <linux/net.h>
#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>

struct net;
struct sockaddr_storage;

/*
 * Create a kernel stream socket of @protocol (IPPROTO_MPTCP or IPPROTO_TCP)
 * in @net, holding a reference on @net like a user socket would.  Fails
 * with -ENOPROTOOPT, and says so in dmesg, when MPTCP is disabled in that
 * namespace (net.mptcp.enabled=0).  Release with sock_release().
 */
int mptcp_compat_sock_create(struct net *net, int family, int protocol,
			     struct socket **res);

/* True if @sock is an MPTCP socket (false for a fallback TCP socket). */
bool mptcp_compat_is_mptcp(const struct socket *sock);

/* Socket options, applied to the MPTCP socket and all its subflows. */
int mptcp_compat_set_nodelay(struct socket *sock);
int mptcp_compat_set_reuseaddr(struct socket *sock);
/* SO_LINGER {1, 0}: close resets instead of lingering. */
int mptcp_compat_set_no_linger(struct socket *sock);
/*
 * SO_PRIORITY.  Setting a TOS resets it (IP_TOS derives a priority), and a
 * subflow MPTCP adds later gets that TOS-derived priority when a TOS is set.
 */
int mptcp_compat_set_priority(struct socket *sock, u32 priority);
int mptcp_compat_set_tos(struct socket *sock, int tos);
/* SO_BINDTODEVICE; @ifname NULL or "" removes the binding. */
int mptcp_compat_bind_to_device(struct socket *sock, const char *ifname);
/* SO_KEEPALIVE with idle/interval in seconds and a probe count (0: default). */
int mptcp_compat_set_keepalive(struct socket *sock, int idle, int intvl,
			       int cnt);
/* SO_RCVTIMEO for blocking receives on @sock (0: wait forever). */
int mptcp_compat_set_rcvtimeo(struct socket *sock, long timeout_jiffies);

/*
 * Connect, giving up after @timeout_jiffies.  Stands in for TCP_SYNCNT,
 * which MPTCP refuses on every kernel: on timeout the socket is shut down
 * (no half-open connection is left) and -ETIMEDOUT returned (-EINTR if a
 * signal ended the wait); any other failure returns the connect error.
 * The socket is blocking on return.
 */
int mptcp_compat_connect(struct socket *sock, struct sockaddr_storage *addr,
			 int addrlen, long timeout_jiffies);

/*
 * Write-space notification that works on every kernel.  6.1 and 6.12 MPTCP
 * ignore an overridden sk->sk_write_space, so instead a wait-queue entry
 * on the socket calls @notify when the socket reports EPOLLOUT, an error or
 * a state change (never for receive wake-ups).  @notify runs in softirq or
 * process context with the socket's wait-queue lock held: it must only
 * schedule work.
 */
struct mptcp_compat_wspace {
	struct wait_queue_entry wait;
	struct socket *sock;
	void (*notify)(struct mptcp_compat_wspace *ws);
};

void mptcp_compat_wspace_attach(struct mptcp_compat_wspace *ws,
				struct socket *sock,
				void (*notify)(struct mptcp_compat_wspace *ws));
/*
 * Detach before releasing the socket; @notify is not running and is not
 * called again once this returns.  A second detach does nothing.
 */
void mptcp_compat_wspace_detach(struct mptcp_compat_wspace *ws);

/*
 * Non-blocking receive into @to through recvmsg (MPTCP has no read_sock
 * before 7.0), advancing @to.  Returns bytes received, 0 on orderly
 * shutdown, -EAGAIN when nothing is queued, or another negative error.
 */
int mptcp_compat_recv(struct socket *sock, struct iov_iter *to);

/* Connection-level path information, from mptcp_diag_fill_info(). */
struct mptcp_compat_path_info {
	bool fallback;		/* fell back to plain TCP: a single path */
	u8 subflows;		/* established subflows besides the first */
	u8 add_addr_signal;
	u8 add_addr_accepted;
	u8 local_addr_used;
	/* The byte counters stay 0 where the kernel does not keep them (6.1). */
	bool has_byte_counters;
	u64 bytes_sent;
	u64 bytes_received;
	u64 bytes_retrans;
};

/*
 * Fill @info for @sock.  -EOPNOTSUPP for a plain TCP socket (one path);
 * callers report that as a fallback.
 */
int mptcp_compat_path_info(struct socket *sock,
			   struct mptcp_compat_path_info *info);

#endif /* _MPTCP_COMPAT_H */
