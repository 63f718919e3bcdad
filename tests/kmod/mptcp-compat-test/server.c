// SPDX-License-Identifier: GPL-2.0
/*
 * The target side: an MPTCP listener, a thread accepting on it and one
 * thread per connection reading everything, unless told to hold so that
 * the peer's sender runs out of window.
 */
#include <linux/atomic.h>
#include <linux/fcntl.h>
#include <linux/kthread.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/wait.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <mptcp-compat.h>
#include "mct.h"

#define MCT_RX_BUF	65536

struct mct_conn {
	struct list_head list;
	struct socket *sock;
	struct task_struct *reader;
	void *buf;
};

static struct {
	struct socket *listener;
	struct task_struct *acceptor;
	int tos;
	u32 prio;
	struct mutex conns_lock;	/* conns, against the acceptor */
	struct list_head conns;
	bool hold;
	wait_queue_head_t hold_wq;
	atomic64_t rx_bytes;
	atomic_t accepted;
	atomic_t accepted_mptcp;
	atomic_t opt_errors;
	int last_opt_rc;
	int last_accept_rc;
	int listen_mptcp;
	int listen_net_refcnt;
} srv;

/* A thread that has nothing left to do waits here for kthread_stop(). */
static void mct_idle_until_stopped(void)
{
	set_current_state(TASK_INTERRUPTIBLE);
	while (!kthread_should_stop()) {
		schedule();
		set_current_state(TASK_INTERRUPTIBLE);
	}
	__set_current_state(TASK_RUNNING);
}

static int mct_reader(void *arg)
{
	struct mct_conn *conn = arg;
	struct kvec vec = { .iov_base = conn->buf, .iov_len = MCT_RX_BUF };
	struct msghdr msg = {};
	int ret;

	while (!kthread_should_stop()) {
		if (READ_ONCE(srv.hold)) {
			wait_event_interruptible(srv.hold_wq,
						 !READ_ONCE(srv.hold) ||
						 kthread_should_stop());
			continue;
		}
		/* Blocking, bounded by the receive timeout set at accept. */
		ret = kernel_recvmsg(conn->sock, &msg, &vec, 1, MCT_RX_BUF, 0);
		if (ret > 0)
			atomic64_add(ret, &srv.rx_bytes);
		else if (ret != -EAGAIN && ret != -EINTR)
			break;	/* closed by the peer, or an error */
	}
	mct_idle_until_stopped();
	return 0;
}

static int mct_conn_options(struct socket *sock)
{
	int err;

	err = mptcp_compat_set_nodelay(sock);
	/* TOS first: setting it resets the priority (see the header). */
	if (!err)
		err = mptcp_compat_set_tos(sock, srv.tos);
	if (!err)
		err = mptcp_compat_set_priority(sock, srv.prio);
	if (!err)
		err = mptcp_compat_set_keepalive(sock, MCT_KEEPIDLE,
						 MCT_KEEPINTVL, MCT_KEEPCNT);
	if (!err)
		err = mptcp_compat_set_rcvtimeo(sock, HZ / 5);
	return err;
}

static void mct_adopt(struct socket *sock)
{
	struct mct_conn *conn;
	int err;

	atomic_inc(&srv.accepted);
	if (mptcp_compat_is_mptcp(sock))
		atomic_inc(&srv.accepted_mptcp);
	err = mct_conn_options(sock);
	if (err) {
		atomic_inc(&srv.opt_errors);
		WRITE_ONCE(srv.last_opt_rc, err);
	}

	conn = kzalloc(sizeof(*conn), GFP_KERNEL);
	if (conn)
		conn->buf = kmalloc(MCT_RX_BUF, GFP_KERNEL);
	if (!conn || !conn->buf)
		goto fail;
	conn->sock = sock;
	conn->reader = kthread_run(mct_reader, conn, "mct-reader");
	if (IS_ERR(conn->reader))
		goto fail;
	mutex_lock(&srv.conns_lock);
	list_add_tail(&conn->list, &srv.conns);
	mutex_unlock(&srv.conns_lock);
	return;
fail:
	if (conn)
		kfree(conn->buf);
	kfree(conn);
	sock_release(sock);
	WRITE_ONCE(srv.last_accept_rc, -ENOMEM);
}

static int mct_acceptor(void *arg)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct socket *listener = arg;
	struct socket *sock;
	int err;

	/* The listener's wait queue is woken when a connection is ready. */
	add_wait_queue(sk_sleep(listener->sk), &wait);
	while (!kthread_should_stop()) {
		err = kernel_accept(listener, &sock, O_NONBLOCK);
		if (!err) {
			mct_adopt(sock);
			continue;
		}
		if (err != -EAGAIN)
			WRITE_ONCE(srv.last_accept_rc, err);
		wait_woken(&wait, TASK_INTERRUPTIBLE, HZ);
	}
	remove_wait_queue(sk_sleep(listener->sk), &wait);
	return 0;
}

int mct_server_listen(struct sockaddr_storage *addr, int addrlen, int tos,
		      u32 prio)
{
	struct socket *sock;
	int err;

	if (srv.listener)
		return -EBUSY;
	err = mptcp_compat_sock_create(current->nsproxy->net_ns,
				       addr->ss_family, IPPROTO_MPTCP, &sock);
	if (err)
		return err;
	srv.listen_mptcp = mptcp_compat_is_mptcp(sock);
	srv.listen_net_refcnt = sock->sk->sk_net_refcnt;
	err = mptcp_compat_set_reuseaddr(sock);
	if (!err)
		err = kernel_bind(sock, kc_sockaddr(addr), addrlen);
	if (!err)
		err = kernel_listen(sock, 16);
	if (err)
		goto fail;

	srv.tos = tos;
	srv.prio = prio;
	srv.acceptor = kthread_run(mct_acceptor, sock, "mct-acceptor");
	if (IS_ERR(srv.acceptor)) {
		err = PTR_ERR(srv.acceptor);
		goto fail;
	}
	srv.listener = sock;
	return 0;
fail:
	srv.acceptor = NULL;
	sock_release(sock);
	return err;
}

void mct_server_hold(bool hold)
{
	WRITE_ONCE(srv.hold, hold);
	wake_up_all(&srv.hold_wq);
}

void mct_server_stop(void)
{
	struct mct_conn *conn, *tmp;

	if (srv.acceptor) {
		kthread_stop(srv.acceptor);
		srv.acceptor = NULL;
	}
	if (srv.listener) {
		sock_release(srv.listener);
		srv.listener = NULL;
	}
	/* The acceptor is gone: nobody else touches the list now. */
	list_for_each_entry_safe(conn, tmp, &srv.conns, list) {
		kthread_stop(conn->reader);
		sock_release(conn->sock);
		list_del(&conn->list);
		kfree(conn->buf);
		kfree(conn);
	}
}

void mct_server_show(struct seq_file *m)
{
	seq_printf(m, "server_listening=%d\n", !!srv.listener);
	seq_printf(m, "server_listen_mptcp=%d\n", srv.listen_mptcp);
	seq_printf(m, "server_listen_net_refcnt=%d\n", srv.listen_net_refcnt);
	seq_printf(m, "server_hold=%d\n", READ_ONCE(srv.hold));
	seq_printf(m, "server_accepted=%d\n", atomic_read(&srv.accepted));
	seq_printf(m, "server_accepted_mptcp=%d\n",
		   atomic_read(&srv.accepted_mptcp));
	seq_printf(m, "server_opt_errors=%d\n", atomic_read(&srv.opt_errors));
	seq_printf(m, "server_last_opt_rc=%d\n", READ_ONCE(srv.last_opt_rc));
	seq_printf(m, "server_last_accept_rc=%d\n",
		   READ_ONCE(srv.last_accept_rc));
	seq_printf(m, "server_rx_bytes=%lld\n",
		   (long long)atomic64_read(&srv.rx_bytes));
}

void mct_server_init(void)
{
	mutex_init(&srv.conns_lock);
	INIT_LIST_HEAD(&srv.conns);
	init_waitqueue_head(&srv.hold_wq);
}
