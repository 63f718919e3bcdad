// SPDX-License-Identifier: GPL-2.0
/*
 * Write-space notification through the socket's wait queue.
 *
 * nvme-tcp overrides sk->sk_write_space to requeue its I/O work after a
 * send returned -EAGAIN.  MPTCP calls sk_stream_write_space() directly on
 * 6.1 and 6.12, so an override is never called there; that function wakes
 * the socket's wait queue with EPOLLOUT on every kernel, so an entry on
 * that queue sees write space everywhere.
 */
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/wait.h>
#include <net/sock.h>
#include <mptcp-compat.h>

/* Called under the wait-queue lock, possibly in softirq context. */
static int mptcp_compat_wspace_wake(struct wait_queue_entry *wait,
				    unsigned int mode, int sync, void *key)
{
	struct mptcp_compat_wspace *ws =
		container_of(wait, struct mptcp_compat_wspace, wait);
	__poll_t events = key_to_poll(key);

	/*
	 * Receive wake-ups are not ours.  One without a key (a state change)
	 * may mean anything, and an error or hang-up must reach a sender
	 * waiting for space too, or it would wait forever.
	 */
	if (events && !(events & (EPOLLOUT | EPOLLWRNORM | EPOLLERR | EPOLLHUP)))
		return 0;

	ws->notify(ws);
	/* Never count as an exclusive wake-up: other sleepers get theirs. */
	return 0;
}

void mptcp_compat_wspace_attach(struct mptcp_compat_wspace *ws,
				struct socket *sock,
				void (*notify)(struct mptcp_compat_wspace *ws))
{
	ws->sock = sock;
	ws->notify = notify;
	init_waitqueue_func_entry(&ws->wait, mptcp_compat_wspace_wake);
	/* The queue's own lock orders this against concurrent wake-ups. */
	add_wait_queue(sk_sleep(sock->sk), &ws->wait);
}
EXPORT_SYMBOL_GPL(mptcp_compat_wspace_attach);

void mptcp_compat_wspace_detach(struct mptcp_compat_wspace *ws)
{
	if (!ws->sock)
		return;
	/*
	 * Wake functions run under the queue lock, which removal takes: once
	 * this returns, notify is not running and will not be called again.
	 */
	remove_wait_queue(sk_sleep(ws->sock->sk), &ws->wait);
	ws->sock = NULL;
}
EXPORT_SYMBOL_GPL(mptcp_compat_wspace_detach);
