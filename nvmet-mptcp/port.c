// SPDX-License-Identifier: GPL-2.0
/*
 * Ports: one listening socket per enabled nvmet port.
 *
 * The listener lives in the network namespace of the process that enables
 * the port, and pins it as a user's listening socket would.  MPTCP and TCP
 * listeners both wake their socket's wait queue when a connection is ready
 * to be accepted; an entry on that queue schedules accept_work.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/nsproxy.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <mptcp-compat.h>
#include "nvmet-mptcp.h"

static u16 nvmet_mptcp_portid(struct nvmet_port *nport)
{
	return le16_to_cpu(nport->disc_addr.portid);
}

static const char *nvmet_mptcp_proto_name(int protocol)
{
	return protocol == IPPROTO_MPTCP ? "mptcp" : "tcp";
}

static bool nvmet_mptcp_addr_is_any(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ipv6_addr_any(&((const struct sockaddr_in6 *)ss)->sin6_addr);
	return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		htonl(INADDR_ANY);
}

static void nvmet_mptcp_port_free(struct kref *ref)
{
	kfree(container_of(ref, struct nvmet_mptcp_port, ref));
}

void nvmet_mptcp_port_put(struct nvmet_mptcp_port *port)
{
	kref_put(&port->ref, nvmet_mptcp_port_free);
}

/* Runs under the listener's wait-queue lock, maybe in softirq context. */
static int nvmet_mptcp_listen_wake(struct wait_queue_entry *wait,
				   unsigned int mode, int sync, void *key)
{
	struct nvmet_mptcp_port *port =
		container_of(wait, struct nvmet_mptcp_port, wait);

	queue_work(nvmet_wq, &port->accept_work);
	return 0;
}

static void nvmet_mptcp_accept_work(struct work_struct *work)
{
	struct nvmet_mptcp_port *port =
		container_of(work, struct nvmet_mptcp_port, accept_work);
	struct socket *sock;
	int ret;

	for (;;) {
		ret = kernel_accept(port->sock, &sock, O_NONBLOCK);
		if (ret == -ECONNABORTED)
			continue;
		if (ret) {
			if (ret != -EAGAIN)
				pr_warn_ratelimited("port %u: accept failed (%d)\n",
						    nvmet_mptcp_portid(port->nport),
						    ret);
			return;
		}
		nvmet_mptcp_queue_create(port, sock);
	}
}

/*
 * NVMe/TLS is a kernel TLS ULP on the TCP socket, and MPTCP accepts no
 * ULP, so a port that asks for a secure channel cannot be served.
 */
static int nvmet_mptcp_check_security(struct nvmet_port *nport)
{
	u16 portid = nvmet_mptcp_portid(nport);

#ifdef KC_HAVE_NVMF_TCP_SECTYPE
	if (nport->disc_addr.tsas.tcp.sectype != NVMF_TCP_SECTYPE_NONE) {
		pr_err("port %u: TLS (addr_tsas) is not supported, MPTCP cannot carry kernel TLS: set addr_tsas to none or use nvmet-tcp\n",
		       portid);
		return -EOPNOTSUPP;
	}
#endif
	if ((nport->disc_addr.treq & NVME_TREQ_SECURE_CHANNEL_MASK) ==
	    NVMF_TREQ_REQUIRED) {
		pr_err("port %u: a secure channel (addr_treq=required) is not supported, MPTCP cannot carry kernel TLS\n",
		       portid);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int nvmet_mptcp_listen(struct nvmet_mptcp_port *port, struct net *net)
{
	u16 portid = nvmet_mptcp_portid(port->nport);
	int ret;

	ret = mptcp_compat_sock_create(net, port->addr.ss_family,
				       port->protocol, &port->sock);
	if (ret == -ENOPROTOOPT && port->protocol == IPPROTO_MPTCP) {
		pr_err("port %u: MPTCP is disabled in this network namespace: set net.mptcp.enabled=1, or load nvmet-mptcp with listen_protocol=tcp\n",
		       portid);
		return ret;
	}
	if (ret) {
		pr_err("port %u: cannot create a %s socket (%d)\n", portid,
		       nvmet_mptcp_proto_name(port->protocol), ret);
		return ret;
	}

	/* Re-enabling a port must not wait for old connections' TIME_WAIT. */
	ret = mptcp_compat_set_reuseaddr(port->sock);
	if (!ret && nvmet_mptcp_so_priority > 0)
		ret = mptcp_compat_set_priority(port->sock,
						nvmet_mptcp_so_priority);
	if (ret) {
		pr_err("port %u: listener socket options failed (%d)\n",
		       portid, ret);
		goto out_release;
	}
	ret = kernel_bind(port->sock, kc_sockaddr(&port->addr),
			  sizeof(port->addr));
	if (ret) {
		pr_err("port %u: cannot bind to %pISpc (%d)\n", portid,
		       &port->addr, ret);
		goto out_release;
	}
	ret = kernel_listen(port->sock, NVMET_MPTCP_BACKLOG);
	if (ret) {
		pr_err("port %u: cannot listen on %pISpc (%d)\n", portid,
		       &port->addr, ret);
		goto out_release;
	}
	return 0;

out_release:
	sock_release(port->sock);
	port->sock = NULL;
	return ret;
}

int nvmet_mptcp_add_port(struct nvmet_port *nport)
{
	/* configfs writes come from the process enabling the port */
	struct net *net = current->nsproxy->net_ns;
	u16 portid = nvmet_mptcp_portid(nport);
	struct nvmet_mptcp_port *port;
	sa_family_t af;
	int ret;

	ret = nvmet_mptcp_check_security(nport);
	if (ret)
		return ret;

	switch (nport->disc_addr.adrfam) {
	case NVMF_ADDR_FAMILY_IP4:
		af = AF_INET;
		break;
	case NVMF_ADDR_FAMILY_IP6:
		af = AF_INET6;
		break;
	default:
		pr_err("port %u: address family %u is not supported (use ipv4 or ipv6)\n",
		       portid, nport->disc_addr.adrfam);
		return -EINVAL;
	}

	port = kzalloc(sizeof(*port), GFP_KERNEL);
	if (!port)
		return -ENOMEM;
	kref_init(&port->ref);
	atomic_set(&port->pending, 0);
	port->nport = nport;
	INIT_WORK(&port->accept_work, nvmet_mptcp_accept_work);
	init_waitqueue_func_entry(&port->wait, nvmet_mptcp_listen_wake);

	ret = inet_pton_with_scope(net, af, nport->disc_addr.traddr,
				   nport->disc_addr.trsvcid, &port->addr);
	if (ret) {
		pr_err("port %u: malformed address %.*s port %.*s\n", portid,
		       NVMF_TRADDR_SIZE, nport->disc_addr.traddr,
		       NVMF_TRSVCID_SIZE, nport->disc_addr.trsvcid);
		goto out_free;
	}

	/*
	 * Every in-capsule byte is allocated before the host can be told
	 * no, and outside the queue's data budget: keep it small.
	 */
	if (nport->inline_data_size < 0)
		nport->inline_data_size = NVMET_MPTCP_DEF_INLINE_DATA;
	if (nport->inline_data_size > NVMET_MPTCP_MAX_INLINE_DATA) {
		pr_warn("port %u: inline_data_size %d lowered to %d\n",
			portid, nport->inline_data_size,
			NVMET_MPTCP_MAX_INLINE_DATA);
		nport->inline_data_size = NVMET_MPTCP_MAX_INLINE_DATA;
	}
	port->inline_data_size = nport->inline_data_size;
	port->protocol = nvmet_mptcp_listen_protocol();

	ret = nvmet_mptcp_listen(port, net);
	if (ret)
		goto out_free;

	nport->priv = port;
	add_wait_queue(sk_sleep(port->sock->sk), &port->wait);
	/* A host may have connected before the wait entry was in place. */
	queue_work(nvmet_wq, &port->accept_work);
	pr_info("port %u: listening on %pISpc (%s)\n", portid, &port->addr,
		nvmet_mptcp_proto_name(port->protocol));
	return 0;

out_free:
	kfree(port);
	return ret;
}

void nvmet_mptcp_remove_port(struct nvmet_port *nport)
{
	struct nvmet_mptcp_port *port = nport->priv;

	/* No new connections: stop the wake-ups, then the accepting. */
	remove_wait_queue(sk_sleep(port->sock->sk), &port->wait);
	cancel_work_sync(&port->accept_work);
	/*
	 * Connections end with their port, attached to a controller or not:
	 * nvmet frees the nvmet_port once its workqueue, where they are torn
	 * down, is flushed.
	 */
	nvmet_mptcp_close_port_queues(port);
	sock_release(port->sock);
	port->sock = NULL;
	nport->priv = NULL;
	pr_info("port %u: disabled\n", nvmet_mptcp_portid(nport));
	nvmet_mptcp_port_put(port);
}

/*
 * The address a discovery log entry gives for this port: the one the
 * host reached, when the port listens on a wildcard address.  The queue
 * holds its port, so this works even while the port is going away.
 */
void nvmet_mptcp_disc_traddr(struct nvmet_req *req, struct nvmet_port *nport,
			     char *traddr)
{
	struct nvmet_mptcp_queue *queue = to_mptcp_cmd(req)->queue;

	if (nvmet_mptcp_addr_is_any(&queue->port->addr))
		snprintf(traddr, NVMF_TRADDR_SIZE, "%pISc", &queue->local_addr);
	else
		memcpy(traddr, nport->disc_addr.traddr, NVMF_TRADDR_SIZE);
}
