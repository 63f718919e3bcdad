// SPDX-License-Identifier: GPL-2.0
/*
 * The host side: client sockets with every mptcp-compat option set, the
 * bounded connect, and a sender that works like nvme's I/O work: it never
 * blocks, and after -EAGAIN only a write-space notification runs it again.
 */
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/minmax.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <mptcp-compat.h>
#include "mct.h"

#define MCT_MAX_CLIENTS	16

static u8 mct_tx_buf[16384];

static struct {
	/* Failed ones too: the scenario inspects what a timeout left. */
	struct socket *socks[MCT_MAX_CLIENTS];
	int nsocks;
	struct socket *cur;	/* the last one that connected */
	int last_rc;
	int last_opt_rc;
	unsigned int last_ms;
	int last_mptcp;
	int last_net_refcnt;

	struct workqueue_struct *wq;
	struct work_struct tx_work;
	struct mptcp_compat_wspace ws;
	struct socket *tx_sock;
	u64 tx_total;
	u64 tx_sent;
	int tx_rc;
	bool tx_done;
	bool tx_waiting;	/* stopped on -EAGAIN */
	unsigned int tx_eagain;
	unsigned int tx_resumed;
	atomic_t notify;

	int recv_rc;
	unsigned int recv_ms;
	int recv_nb_rc;

	int info_rc;
	struct mptcp_compat_path_info info;
} cl;

static int mct_client_options(struct socket *sock, int tos, u32 prio,
			      const char *dev)
{
	int err;

	err = mptcp_compat_set_reuseaddr(sock);
	if (!err)
		err = mptcp_compat_set_nodelay(sock);
	if (!err)
		err = mptcp_compat_set_no_linger(sock);
	if (!err)
		err = mptcp_compat_set_keepalive(sock, MCT_KEEPIDLE,
						 MCT_KEEPINTVL, MCT_KEEPCNT);
	/* TOS first: setting it resets the priority (see the header). */
	if (!err)
		err = mptcp_compat_set_tos(sock, tos);
	if (!err)
		err = mptcp_compat_set_priority(sock, prio);
	if (!err && dev)
		err = mptcp_compat_bind_to_device(sock, dev);
	return err;
}

int mct_client_connect(int protocol, struct sockaddr_storage *addr,
		       int addrlen, int tos, u32 prio, const char *dev,
		       unsigned int timeout_ms)
{
	struct socket *sock;
	ktime_t start;
	int err;

	if (cl.nsocks == MCT_MAX_CLIENTS)
		return -ENOSPC;
	cl.last_ms = 0;
	cl.last_opt_rc = 0;
	err = mptcp_compat_sock_create(current->nsproxy->net_ns,
				       addr->ss_family, protocol, &sock);
	cl.last_rc = err;
	if (err)
		return err;
	cl.last_mptcp = mptcp_compat_is_mptcp(sock);
	cl.last_net_refcnt = sock->sk->sk_net_refcnt;

	err = mct_client_options(sock, tos, prio, dev);
	cl.last_opt_rc = err;
	if (err) {
		cl.last_rc = err;
		sock_release(sock);
		return err;
	}

	start = ktime_get();
	err = mptcp_compat_connect(sock, addr, addrlen,
				   msecs_to_jiffies(timeout_ms));
	cl.last_ms = ktime_ms_delta(ktime_get(), start);
	cl.last_rc = err;
	cl.socks[cl.nsocks++] = sock;
	if (!err)
		cl.cur = sock;
	return err;
}

static void mct_tx_work(struct work_struct *work)
{
	struct msghdr msg;
	struct kvec vec;
	size_t len;
	int ret;

	if (READ_ONCE(cl.tx_done))
		return;
	if (cl.tx_waiting) {
		cl.tx_waiting = false;
		WRITE_ONCE(cl.tx_resumed, cl.tx_resumed + 1);
	}
	while (cl.tx_sent < cl.tx_total) {
		len = min_t(u64, sizeof(mct_tx_buf), cl.tx_total - cl.tx_sent);
		vec.iov_base = mct_tx_buf;
		vec.iov_len = len;
		memset(&msg, 0, sizeof(msg));
		msg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
		ret = kernel_sendmsg(cl.tx_sock, &msg, &vec, 1, len);
		if (ret == -EAGAIN) {
			/* Nothing requeues this work but the notification. */
			cl.tx_waiting = true;
			WRITE_ONCE(cl.tx_eagain, cl.tx_eagain + 1);
			return;
		}
		if (ret < 0) {
			WRITE_ONCE(cl.tx_rc, ret);
			break;
		}
		WRITE_ONCE(cl.tx_sent, cl.tx_sent + ret);
	}
	WRITE_ONCE(cl.tx_done, true);
}

static void mct_tx_notify(struct mptcp_compat_wspace *ws)
{
	atomic_inc(&cl.notify);
	queue_work(cl.wq, &cl.tx_work);
}

static void mct_tx_stop(void)
{
	/* Detached first, so nothing queues the work while it is cancelled. */
	mptcp_compat_wspace_detach(&cl.ws);
	cancel_work_sync(&cl.tx_work);
	cl.tx_sock = NULL;
}

int mct_client_send(u64 bytes)
{
	if (!cl.cur)
		return -ENOTCONN;
	mct_tx_stop();
	cl.tx_sock = cl.cur;
	cl.tx_total = bytes;
	cl.tx_sent = 0;
	cl.tx_rc = 0;
	cl.tx_done = false;
	cl.tx_waiting = false;
	cl.tx_eagain = 0;
	cl.tx_resumed = 0;
	atomic_set(&cl.notify, 0);
	mptcp_compat_wspace_attach(&cl.ws, cl.tx_sock, mct_tx_notify);
	queue_work(cl.wq, &cl.tx_work);
	return 0;
}

int mct_client_recvtest(unsigned int timeout_ms)
{
	struct kvec vec = { .iov_base = mct_tx_buf, .iov_len = 1 };
	struct msghdr msg = {};
	struct iov_iter iter;
	ktime_t start;
	int err;

	if (!cl.cur)
		return -ENOTCONN;

	err = mptcp_compat_set_rcvtimeo(cl.cur, msecs_to_jiffies(timeout_ms));
	if (err)
		return err;
	start = ktime_get();
	cl.recv_rc = kernel_recvmsg(cl.cur, &msg, &vec, 1, 1, 0);
	cl.recv_ms = ktime_ms_delta(ktime_get(), start);
	/* Back to blocking forever, the default. */
	mptcp_compat_set_rcvtimeo(cl.cur, 0);

	iov_iter_kvec(&iter, ITER_DEST, &vec, 1, 1);
	cl.recv_nb_rc = mptcp_compat_recv(cl.cur, &iter);
	return 0;
}

int mct_client_info(void)
{
	if (!cl.cur)
		return -ENOTCONN;
	cl.info_rc = mptcp_compat_path_info(cl.cur, &cl.info);
	return 0;
}

void mct_client_close(void)
{
	mct_tx_stop();
	while (cl.nsocks)
		sock_release(cl.socks[--cl.nsocks]);
	cl.cur = NULL;
}

void mct_client_show(struct seq_file *m)
{
	seq_printf(m, "clients=%d\n", cl.nsocks);
	seq_printf(m, "last_rc=%d\n", cl.last_rc);
	seq_printf(m, "last_opt_rc=%d\n", cl.last_opt_rc);
	seq_printf(m, "last_ms=%u\n", cl.last_ms);
	seq_printf(m, "last_mptcp=%d\n", cl.last_mptcp);
	seq_printf(m, "last_net_refcnt=%d\n", cl.last_net_refcnt);
	seq_printf(m, "tx_total=%llu\n", READ_ONCE(cl.tx_total));
	seq_printf(m, "tx_sent=%llu\n", READ_ONCE(cl.tx_sent));
	seq_printf(m, "tx_rc=%d\n", READ_ONCE(cl.tx_rc));
	seq_printf(m, "tx_done=%d\n", READ_ONCE(cl.tx_done));
	seq_printf(m, "tx_eagain=%u\n", READ_ONCE(cl.tx_eagain));
	seq_printf(m, "tx_resumed=%u\n", READ_ONCE(cl.tx_resumed));
	seq_printf(m, "tx_notify=%d\n", atomic_read(&cl.notify));
	seq_printf(m, "recv_rc=%d\n", cl.recv_rc);
	seq_printf(m, "recv_ms=%u\n", cl.recv_ms);
	seq_printf(m, "recv_nb_rc=%d\n", cl.recv_nb_rc);
	seq_printf(m, "info_rc=%d\n", cl.info_rc);
	seq_printf(m, "info_subflows=%u\n", cl.info.subflows);
	seq_printf(m, "info_add_addr_signal=%u\n", cl.info.add_addr_signal);
	seq_printf(m, "info_add_addr_accepted=%u\n",
		   cl.info.add_addr_accepted);
	seq_printf(m, "info_local_addr_used=%u\n", cl.info.local_addr_used);
	seq_printf(m, "info_has_byte_counters=%d\n", cl.info.has_byte_counters);
	seq_printf(m, "info_bytes_sent=%llu\n", cl.info.bytes_sent);
	seq_printf(m, "info_bytes_received=%llu\n", cl.info.bytes_received);
	seq_printf(m, "info_bytes_retrans=%llu\n", cl.info.bytes_retrans);
}

int mct_client_init(void)
{
	INIT_WORK(&cl.tx_work, mct_tx_work);
	atomic_set(&cl.notify, 0);
	cl.wq = alloc_workqueue("mct-tx", WQ_UNBOUND, 0);
	return cl.wq ? 0 : -ENOMEM;
}

void mct_client_exit(void)
{
	destroy_workqueue(cl.wq);
}
