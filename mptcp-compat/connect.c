// SPDX-License-Identifier: GPL-2.0
/*
 * Connect with a time bound.
 *
 * nvme-tcp bounds its connect with TCP_SYNCNT, which MPTCP refuses on every
 * kernel.  Instead the connect is started non-blocking and the caller waits
 * on the socket's wait queue, which MPTCP wakes when the connection is
 * established or fails, for at most the given time.  Waiting here rather
 * than in a blocking connect bounded by SO_SNDTIMEO leaves the caller's
 * send timeout alone.
 */
#include <linux/module.h>
#include <linux/fcntl.h>
#include <linux/net.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>
#include <net/inet_sock.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <mptcp-compat.h>

static bool connecting(struct sock *sk)
{
	return (1 << inet_sk_state_load(sk)) & (TCPF_SYN_SENT | TCPF_SYN_RECV);
}

int mptcp_compat_connect(struct socket *sock, struct sockaddr_storage *addr,
			 int addrlen, long timeout_jiffies)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct sock *sk = sock->sk;
	long timeo = timeout_jiffies;
	int err;

	if (timeout_jiffies <= 0)
		return -EINVAL;

	err = kernel_connect(sock, kc_sockaddr(addr), addrlen, O_NONBLOCK);
	if (err != -EINPROGRESS)
		return err;

	/*
	 * Interruptible, as inet_wait_for_connect(): the state change and
	 * error wake-ups are interruptible ones and would not wake an
	 * uninterruptible sleeper.  An error can come before the state
	 * leaves SYN_SENT (an ICMP error on the MPTCP handshake), hence the
	 * sk_err test.
	 */
	add_wait_queue(sk_sleep(sk), &wait);
	while (connecting(sk) && !READ_ONCE(sk->sk_err) && timeo &&
	       !signal_pending(current))
		timeo = wait_woken(&wait, TASK_INTERRUPTIBLE, timeo);
	remove_wait_queue(sk_sleep(sk), &wait);

	if (connecting(sk)) {
		err = sock_error(sk);
		if (!err)
			err = signal_pending(current) ? -EINTR : -ETIMEDOUT;
		/* Abort the handshake: no half-open connection stays behind. */
		kernel_sock_shutdown(sock, SHUT_RDWR);
		return err;
	}

	/*
	 * Established, or closed by an error: a second connect() finishes
	 * the job as it does for a non-blocking user, marking the socket
	 * connected or returning (and clearing) the pending error.
	 */
	return kernel_connect(sock, kc_sockaddr(addr), addrlen, O_NONBLOCK);
}
EXPORT_SYMBOL_GPL(mptcp_compat_connect);
