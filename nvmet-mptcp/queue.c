// SPDX-License-Identifier: GPL-2.0
/*
 * Queues: one accepted connection each, MPTCP or, for a host that does not
 * speak MPTCP, the plain TCP socket an MPTCP listener falls back to.
 *
 * The socket is reached only through mptcp-compat (options), sendmsg and
 * recvmsg, and its wait queue: MPTCP and TCP wake it for received data,
 * write space, state changes and errors, so an entry there schedules
 * io_work for every event without touching the socket's callbacks.
 *
 * A queue ends when its host closes it, on a protocol or socket error,
 * when nvmet deletes its controller, or when its port goes away.  Each of
 * those marks it closing, shuts the socket down and schedules
 * release_work on nvmet_wq; io_work does nothing once the queue is
 * closing, and release_work waits for the commands nvmet still holds.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/mm.h>
#include <linux/slab.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <mptcp-compat.h>
#include "nvmet-mptcp.h"

/* Every queue, for delete_ctrl, host_traddr, port removal and unload. */
static LIST_HEAD(nvmet_mptcp_queues);
static DEFINE_MUTEX(nvmet_mptcp_queues_lock);
static atomic_t nvmet_mptcp_nr_queues = ATOMIC_INIT(0);
static DECLARE_WAIT_QUEUE_HEAD(nvmet_mptcp_queues_gone);
static atomic_t nvmet_mptcp_queue_ids = ATOMIC_INIT(0);

void nvmet_mptcp_kick(struct nvmet_mptcp_queue *queue)
{
	queue_work(nvmet_mptcp_wq, &queue->io_work);
}

/* Runs under the socket's wait-queue lock, maybe in softirq context. */
static int nvmet_mptcp_sk_wake(struct wait_queue_entry *wait,
			       unsigned int mode, int sync, void *key)
{
	struct nvmet_mptcp_queue *queue =
		container_of(wait, struct nvmet_mptcp_queue, sk_wait);

	if (!test_bit(NVMET_MPTCP_Q_CLOSING, &queue->flags))
		nvmet_mptcp_kick(queue);
	/* Never an exclusive wake-up: other sleepers get theirs. */
	return 0;
}

void nvmet_mptcp_queue_close(struct nvmet_mptcp_queue *queue)
{
	if (test_and_set_bit(NVMET_MPTCP_Q_CLOSING, &queue->flags))
		return;
	kernel_sock_shutdown(queue->sock, SHUT_RDWR);
	queue_work(nvmet_wq, &queue->release_work);
}

/*
 * The connection cannot go on: the association it belongs to is broken,
 * so nvmet ends the whole controller (which deletes its other queues), as
 * the NVMe/TCP binding asks for a fatal transport error.
 */
void nvmet_mptcp_queue_fail(struct nvmet_mptcp_queue *queue)
{
	struct nvmet_ctrl *ctrl = READ_ONCE(queue->nvme_sq.ctrl);

	queue->rx_state = NVMET_MPTCP_RX_STOPPED;
	if (ctrl)
		nvmet_ctrl_fatal_error(ctrl);
	nvmet_mptcp_queue_close(queue);
}

/* A receive or send failed: a host going away is not an error. */
static void nvmet_mptcp_sock_error(struct nvmet_mptcp_queue *queue, int err)
{
	if (test_bit(NVMET_MPTCP_Q_CLOSING, &queue->flags))
		return;
	if (err == -ECONNRESET || err == -EPIPE || err == -ENOTCONN ||
	    err == -ESHUTDOWN) {
		nvmet_mptcp_queue_close(queue);
		return;
	}
	pr_warn_ratelimited("queue %u (%pISpc): socket error %d, dropping the connection\n",
			    queue->idx, &queue->peer_addr, err);
	nvmet_mptcp_queue_fail(queue);
}

static void nvmet_mptcp_io_work(struct work_struct *work)
{
	struct nvmet_mptcp_queue *queue =
		container_of(work, struct nvmet_mptcp_queue, io_work);
	unsigned long deadline = jiffies + msecs_to_jiffies(1);
	int rx, tx;

	do {
		if (test_bit(NVMET_MPTCP_Q_CLOSING, &queue->flags))
			return;
		rx = nvmet_mptcp_try_recv(queue);
		if (rx < 0) {
			nvmet_mptcp_sock_error(queue, rx);
			return;
		}
		tx = nvmet_mptcp_try_send(queue);
		if (tx < 0) {
			nvmet_mptcp_sock_error(queue, tx);
			return;
		}
		if (!rx && !tx)
			return;
	} while (!time_after(jiffies, deadline));

	/* Still busy: let other queues and tasks have the CPU, then go on. */
	nvmet_mptcp_kick(queue);
}

static void nvmet_mptcp_setup_timeout(struct work_struct *work)
{
	struct nvmet_mptcp_queue *queue = container_of(to_delayed_work(work),
					struct nvmet_mptcp_queue, setup_work);

	/* Decided against install_queue(): a Connect is refused from now on. */
	if (test_and_set_bit(NVMET_MPTCP_Q_SETUP_DONE, &queue->flags))
		return;
	if (test_bit(NVMET_MPTCP_Q_LIVE, &queue->flags)) {
		nvmet_mptcp_count_refusal(NVMET_MPTCP_REF_CONNECT_TIMEOUT);
		pr_warn_ratelimited("queue %u (%pISpc): no controller after %u s, dropping the connection\n",
				    queue->idx, &queue->peer_addr,
				    NVMET_MPTCP_SETUP_TIMEOUT / HZ);
	} else {
		nvmet_mptcp_count_refusal(NVMET_MPTCP_REF_ICREQ_TIMEOUT);
		pr_warn_ratelimited("queue %u (%pISpc): no ICReq after %u s, dropping the connection\n",
				    queue->idx, &queue->peer_addr,
				    NVMET_MPTCP_ICREQ_TIMEOUT / HZ);
	}
	nvmet_mptcp_queue_close(queue);
}

/* The ICReq came in time: the Connect has until the setup deadline. */
void nvmet_mptcp_queue_icreq_done(struct nvmet_mptcp_queue *queue)
{
	unsigned long deadline = queue->accepted + NVMET_MPTCP_SETUP_TIMEOUT;
	unsigned long left = time_after(jiffies, deadline) ? 0 : deadline - jiffies;

	/*
	 * Not once setup is decided or the queue is going: release_work
	 * cancels the timer once more after io_work (us) is done, so one
	 * armed here in that window cannot outlive the queue.
	 */
	if (!test_bit(NVMET_MPTCP_Q_SETUP_DONE, &queue->flags) &&
	    !test_bit(NVMET_MPTCP_Q_CLOSING, &queue->flags))
		mod_delayed_work(nvmet_mptcp_wq, &queue->setup_work, left);
}

/* Same host address (any port, any address family detail aside). */
static bool nvmet_mptcp_same_host(const struct sockaddr_storage *a,
				  const struct sockaddr_storage *b)
{
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET)
		return a4->sin_addr.s_addr == b4->sin_addr.s_addr;
	return a->ss_family == AF_INET6 &&
	       ipv6_addr_equal(&a6->sin6_addr, &b6->sin6_addr);
}

/* Connections from @queue's host on its port still without a controller. */
static unsigned int nvmet_mptcp_peer_pending(struct nvmet_mptcp_queue *queue)
{
	struct nvmet_mptcp_queue *other;
	unsigned int n = 0;

	mutex_lock(&nvmet_mptcp_queues_lock);
	list_for_each_entry(other, &nvmet_mptcp_queues, entry)
		if (other->port == queue->port &&
		    !test_bit(NVMET_MPTCP_Q_SETUP_DONE, &other->flags) &&
		    nvmet_mptcp_same_host(&other->peer_addr, &queue->peer_addr))
			n++;
	mutex_unlock(&nvmet_mptcp_queues_lock);
	return n;
}

static void nvmet_mptcp_release_work(struct work_struct *work)
{
	struct nvmet_mptcp_queue *queue =
		container_of(work, struct nvmet_mptcp_queue, release_work);
	struct nvmet_mptcp_port *port = queue->port;

	mutex_lock(&nvmet_mptcp_queues_lock);
	list_del_init(&queue->entry);
	mutex_unlock(&nvmet_mptcp_queues_lock);

	remove_wait_queue(sk_sleep(queue->sock->sk), &queue->sk_wait);
	cancel_delayed_work_sync(&queue->setup_work);
	cancel_work_sync(&queue->io_work);

	/*
	 * Give nvmet back the commands still waiting for host data, then
	 * wait for those it executes: their responses only go on the send
	 * list, which io_work no longer serves.
	 */
	nvmet_mptcp_release_cmds(queue);
	nvmet_sq_destroy(&queue->nvme_sq);
	kc_nvmet_cq_put(&queue->nvme_cq);
	cancel_work_sync(&queue->io_work);
	/* io_work's ICReq handling may have re-armed it (icreq_done). */
	cancel_delayed_work_sync(&queue->setup_work);
	nvmet_mptcp_free_cmds(queue);

	sock_release(queue->sock);
	if (queue->discard_page)
		__free_page(queue->discard_page);
	kvfree(queue->rx_stage);
	if (!test_bit(NVMET_MPTCP_Q_ATTACHED, &queue->flags))
		atomic_dec(&port->pending);
	nvmet_mptcp_port_put(port);
	kfree(queue);

	if (atomic_dec_and_test(&nvmet_mptcp_nr_queues))
		wake_up(&nvmet_mptcp_queues_gone);
}

/* Options every connection gets; MPTCP applies them to each subflow. */
static int nvmet_mptcp_setup_sock(struct nvmet_mptcp_queue *queue)
{
	struct socket *sock = queue->sock;
	u8 tos = inet_sk(sock->sk)->rcv_tos;
	int ret;

	/* Responses leave at once; unsent data must not outlive a reset. */
	ret = mptcp_compat_set_nodelay(sock);
	if (!ret)
		ret = mptcp_compat_set_no_linger(sock);
	if (!ret && nvmet_mptcp_so_priority > 0)
		ret = mptcp_compat_set_priority(sock, nvmet_mptcp_so_priority);
	/*
	 * Answer with the TOS the host used, as nvmet-tcp does.  MPTCP does
	 * not record the received TOS on its own socket, so only plain TCP
	 * connections have one to echo.
	 */
	if (!ret && !mptcp_compat_is_mptcp(sock) && tos)
		ret = mptcp_compat_set_tos(sock, tos);
	return ret;
}

void nvmet_mptcp_queue_create(struct nvmet_mptcp_port *port,
			      struct socket *sock)
{
	struct nvmet_mptcp_queue *queue;
	int ret;

	if (atomic_inc_return(&port->pending) > NVMET_MPTCP_MAX_PENDING) {
		nvmet_mptcp_count_refusal(NVMET_MPTCP_REF_PORT_PENDING);
		pr_warn_ratelimited("port %u: %d connections still without a controller, refusing more\n",
				    le16_to_cpu(port->nport->disc_addr.portid),
				    NVMET_MPTCP_MAX_PENDING);
		goto out_refuse;
	}
	queue = kzalloc(sizeof(*queue), GFP_KERNEL);
	if (!queue)
		goto out_refuse;

	queue->sock = sock;
	queue->port = port;
	queue->idx = atomic_inc_return(&nvmet_mptcp_queue_ids);
	INIT_LIST_HEAD(&queue->entry);
	INIT_LIST_HEAD(&queue->free_list);
	INIT_LIST_HEAD(&queue->send_list);
	INIT_LIST_HEAD(&queue->budget_wait);
	init_llist_head(&queue->resp_list);
	INIT_WORK(&queue->io_work, nvmet_mptcp_io_work);
	INIT_WORK(&queue->release_work, nvmet_mptcp_release_work);
	INIT_DELAYED_WORK(&queue->setup_work, nvmet_mptcp_setup_timeout);
	init_waitqueue_func_entry(&queue->sk_wait, nvmet_mptcp_sk_wake);
	/* init_waitqueue_func_entry() leaves the list head alone. */
	INIT_LIST_HEAD(&queue->sk_wait.entry);
	nvmet_mptcp_cmd_init(queue, &queue->connect, NVMET_MPTCP_CONNECT_TTAG);
	nvmet_mptcp_rx_init(queue);

	ret = kernel_getsockname(sock, (struct sockaddr *)&queue->local_addr);
	if (ret >= 0)
		ret = kernel_getpeername(sock,
					 (struct sockaddr *)&queue->peer_addr);
	if (ret < 0)
		goto out_free;
	/* One port's connections are created one at a time (accept_work). */
	if (nvmet_mptcp_peer_pending(queue) >= NVMET_MPTCP_MAX_PENDING_PER_PEER) {
		nvmet_mptcp_count_refusal(NVMET_MPTCP_REF_PEER_PENDING);
		pr_warn_ratelimited("port %u: %pISc has %d connections without a controller, refusing more from it\n",
				    le16_to_cpu(port->nport->disc_addr.portid),
				    &queue->peer_addr, NVMET_MPTCP_MAX_PENDING_PER_PEER);
		goto out_free;
	}
	ret = nvmet_mptcp_setup_sock(queue);
	if (ret) {
		pr_warn_ratelimited("queue %u (%pISpc): socket options failed (%d)\n",
				    queue->idx, &queue->peer_addr, ret);
		goto out_free;
	}
	ret = kc_nvmet_sq_init(&queue->nvme_sq, &queue->nvme_cq);
	if (ret) {
		kc_nvmet_cq_put(&queue->nvme_cq);
		goto out_free;
	}

	kref_get(&port->ref);
	atomic_inc(&nvmet_mptcp_nr_queues);
	/*
	 * Published, armed and woken under the list lock: a close that finds
	 * the queue on the list (port removal, unload) schedules release_work,
	 * which takes this lock before it removes the wait entry and cancels
	 * the works, so it never sees a half-set-up queue, and nothing here
	 * touches the queue after release_work may have freed it.
	 */
	mutex_lock(&nvmet_mptcp_queues_lock);
	queue->accepted = jiffies;
	list_add_tail(&queue->entry, &nvmet_mptcp_queues);
	add_wait_queue(sk_sleep(sock->sk), &queue->sk_wait);
	queue_delayed_work(nvmet_mptcp_wq, &queue->setup_work,
			   NVMET_MPTCP_ICREQ_TIMEOUT);
	/* The ICReq may have arrived before the wait entry was in place. */
	nvmet_mptcp_kick(queue);
	mutex_unlock(&nvmet_mptcp_queues_lock);
	return;

out_free:
	kfree(queue);
out_refuse:
	atomic_dec(&port->pending);
	sock_release(sock);
}

/* nvmet set up the queue for a controller (fabrics Connect). */
u16 nvmet_mptcp_install_queue(struct nvmet_sq *sq)
{
	struct nvmet_mptcp_queue *queue =
		container_of(sq, struct nvmet_mptcp_queue, nvme_sq);
	struct nvmet_mptcp_cmd *cmds;
	u16 max = sq->qid ? NVMET_MPTCP_MAX_QUEUE_SIZE :
			    NVMET_MPTCP_MAX_ADMIN_QUEUE_SIZE;
	u16 i;

	/* A size of 0 is a wrapped sqsize of 0xffff. */
	if (!sq->size || sq->size > max) {
		nvmet_mptcp_count_refusal(NVMET_MPTCP_REF_QUEUE_SIZE);
		pr_warn_ratelimited("queue %u (%pISpc): Connect asks for %u %s queue entries, at most %u allowed\n",
				    queue->idx, &queue->peer_addr, sq->size,
				    sq->qid ? "I/O" : "admin", max);
		return NVME_SC_CONNECT_INVALID_PARAM | NVMET_MPTCP_DNR;
	}
	/*
	 * One slot per queue entry: a host has at most that many commands
	 * outstanding, and a slot is free again once its response is sent.
	 */
	cmds = kvcalloc(sq->size, sizeof(*cmds), GFP_KERNEL);
	if (!cmds)
		return NVME_SC_INTERNAL;
	/* The setup timer may have given up on this connection already. */
	if (test_and_set_bit(NVMET_MPTCP_Q_SETUP_DONE, &queue->flags)) {
		kvfree(cmds);
		return NVME_SC_CONNECT_CTRL_BUSY;
	}
	for (i = 0; i < sq->size; i++) {
		nvmet_mptcp_cmd_init(queue, &cmds[i], i);
		list_add_tail(&cmds[i].entry, &queue->free_list);
	}
	queue->nr_cmds = sq->size;
	/* The receive side uses the array once it sees it: publish it last. */
	smp_store_release(&queue->cmds, cmds);

	if (!test_and_set_bit(NVMET_MPTCP_Q_ATTACHED, &queue->flags)) {
		atomic_dec(&queue->port->pending);
		cancel_delayed_work(&queue->setup_work);
	}
	return 0;
}

/* Close every queue @match picks out by @what. */
static void nvmet_mptcp_close_queues_if(bool (*match)(struct nvmet_mptcp_queue *,
						      const void *),
					const void *what)
{
	struct nvmet_mptcp_queue *queue;

	mutex_lock(&nvmet_mptcp_queues_lock);
	list_for_each_entry(queue, &nvmet_mptcp_queues, entry)
		if (match(queue, what))
			nvmet_mptcp_queue_close(queue);
	mutex_unlock(&nvmet_mptcp_queues_lock);
}

static bool nvmet_mptcp_of_ctrl(struct nvmet_mptcp_queue *queue,
				const void *ctrl)
{
	return READ_ONCE(queue->nvme_sq.ctrl) == ctrl;
}

static bool nvmet_mptcp_of_port(struct nvmet_mptcp_queue *queue,
				const void *port)
{
	return queue->port == port;
}

static bool nvmet_mptcp_any(struct nvmet_mptcp_queue *queue, const void *unused)
{
	return true;
}

void nvmet_mptcp_delete_ctrl(struct nvmet_ctrl *ctrl)
{
	nvmet_mptcp_close_queues_if(nvmet_mptcp_of_ctrl, ctrl);
}

#ifdef KC_HAVE_NVMET_HOST_TRADDR
/* The host's address, as its admin queue sees it. */
ssize_t nvmet_mptcp_host_traddr(struct nvmet_ctrl *ctrl, char *traddr,
				size_t len)
{
	struct nvmet_mptcp_queue *queue;
	ssize_t ret = -EINVAL;

	mutex_lock(&nvmet_mptcp_queues_lock);
	list_for_each_entry(queue, &nvmet_mptcp_queues, entry) {
		if (READ_ONCE(queue->nvme_sq.ctrl) == ctrl &&
		    !queue->nvme_sq.qid) {
			ret = snprintf(traddr, len, "%pISc", &queue->peer_addr);
			break;
		}
	}
	mutex_unlock(&nvmet_mptcp_queues_lock);
	return ret;
}
#endif

void nvmet_mptcp_close_port_queues(struct nvmet_mptcp_port *port)
{
	nvmet_mptcp_close_queues_if(nvmet_mptcp_of_port, port);
}

void nvmet_mptcp_close_all_queues(void)
{
	nvmet_mptcp_close_queues_if(nvmet_mptcp_any, NULL);
}

/*
 * Unloading cannot fail, and a queue goes only once nvmet is done with
 * its commands (a backing device may be slow to answer): say what the
 * wait is for instead of sitting silently in D state.
 */
void nvmet_mptcp_wait_queues_gone(void)
{
	while (!wait_event_timeout(nvmet_mptcp_queues_gone,
				   !atomic_read(&nvmet_mptcp_nr_queues), 10 * HZ))
		pr_info("unloading: waiting for %d connections to finish their commands\n",
			atomic_read(&nvmet_mptcp_nr_queues));
	/* The last release_work has woken us: let it return, too. */
	flush_workqueue(nvmet_wq);
}
