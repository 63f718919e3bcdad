// SPDX-License-Identifier: GPL-2.0
/*
 * nvmet-mptcp: NVMe/TCP target transport listening on MPTCP sockets, for
 * the kernel's own nvmet.
 *
 * Stock nvmet's configfs knows only the trtype names rdma, fc, tcp and
 * loop (and pci), so this transport registers as "tcp".  nvmet keeps one
 * transport per trtype: the kernel's nvmet-tcp and this module exclude
 * each other, and whichever loads first serves every tcp port.
 *
 * nvmet takes a reference on this module for every enabled port, so the
 * module cannot be unloaded while a port is enabled ("in use"); disabling
 * the ports first tears their connections down.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/in.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include "nvmet-mptcp.h"

#ifdef KC_HAVE_WQ_PERCPU
#define NVMET_MPTCP_WQ_PERCPU	WQ_PERCPU
#else
#define NVMET_MPTCP_WQ_PERCPU	0
#endif

struct workqueue_struct *nvmet_mptcp_wq;

int nvmet_mptcp_so_priority;
module_param_named(so_priority, nvmet_mptcp_so_priority, int, 0644);
MODULE_PARM_DESC(so_priority,
		 "socket priority (SO_PRIORITY) of listeners and connections, 0 for none");

/* Read when a port is enabled: ports already listening keep theirs. */
static int nvmet_mptcp_protocol = IPPROTO_MPTCP;

static int nvmet_mptcp_protocol_set(const char *val,
				    const struct kernel_param *kp)
{
	if (sysfs_streq(val, "mptcp"))
		WRITE_ONCE(nvmet_mptcp_protocol, IPPROTO_MPTCP);
	else if (sysfs_streq(val, "tcp"))
		WRITE_ONCE(nvmet_mptcp_protocol, IPPROTO_TCP);
	else
		return -EINVAL;
	return 0;
}

static int nvmet_mptcp_protocol_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%s\n",
			 READ_ONCE(nvmet_mptcp_protocol) == IPPROTO_TCP ?
			 "tcp" : "mptcp");
}

static const struct kernel_param_ops nvmet_mptcp_protocol_ops = {
	.set	= nvmet_mptcp_protocol_set,
	.get	= nvmet_mptcp_protocol_get,
};
module_param_cb(listen_protocol, &nvmet_mptcp_protocol_ops, NULL, 0644);
MODULE_PARM_DESC(listen_protocol,
		 "mptcp (default) or tcp: the socket protocol of ports enabled from now on");

int nvmet_mptcp_listen_protocol(void)
{
	return READ_ONCE(nvmet_mptcp_protocol);
}

/* MDTS: what nvmet advertises, and what rx.c enforces. */
static u8 nvmet_mptcp_get_mdts(const struct nvmet_ctrl *ctrl)
{
	return NVMET_MPTCP_MDTS;
}

const struct nvmet_fabrics_ops nvmet_mptcp_ops = {
	.owner		= THIS_MODULE,
	.type		= NVMF_TRTYPE_TCP,
	.msdbd		= 1,
	.add_port	= nvmet_mptcp_add_port,
	.remove_port	= nvmet_mptcp_remove_port,
	.queue_response	= nvmet_mptcp_queue_response,
	.delete_ctrl	= nvmet_mptcp_delete_ctrl,
	.install_queue	= nvmet_mptcp_install_queue,
	.disc_traddr	= nvmet_mptcp_disc_traddr,
#ifdef KC_HAVE_NVMET_HOST_TRADDR
	.host_traddr	= nvmet_mptcp_host_traddr,
#endif
	.get_mdts	= nvmet_mptcp_get_mdts,
};

static int __init nvmet_mptcp_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct nvme_tcp_hdr) != 8);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_cmd_pdu) != 72);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_icreq_pdu) != 128);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_icresp_pdu) != 128);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_rsp_pdu) != 24);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_data_pdu) != 24);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_r2t_pdu) != 24);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_term_pdu) != 24);

	nvmet_mptcp_wq = alloc_workqueue("nvmet_mptcp_wq",
					 WQ_MEM_RECLAIM | WQ_HIGHPRI |
					 NVMET_MPTCP_WQ_PERCPU, 0);
	if (!nvmet_mptcp_wq)
		return -ENOMEM;

	ret = nvmet_register_transport(&nvmet_mptcp_ops);
	if (ret) {
		/* nvmet's only refusal: the trtype has a transport already. */
		if (ret == -EINVAL) {
			pr_err("nvmet-tcp is loaded and owns trtype tcp: remove it (modprobe -r nvmet-tcp) or load nvmet-mptcp first\n");
			ret = -EBUSY;
		} else {
			pr_err("cannot register with nvmet (%d)\n", ret);
		}
		destroy_workqueue(nvmet_mptcp_wq);
		return ret;
	}
	nvmet_mptcp_refusals_init();
	return 0;
}

static void __exit nvmet_mptcp_exit(void)
{
	nvmet_unregister_transport(&nvmet_mptcp_ops);
	/*
	 * Every enabled port pins this module, so no port is left; what may
	 * be left are connections of removed ports still being torn down.
	 */
	nvmet_mptcp_close_all_queues();
	nvmet_mptcp_wait_queues_gone();
	destroy_workqueue(nvmet_mptcp_wq);
	nvmet_mptcp_refusals_exit();
}

module_init(nvmet_mptcp_init);
module_exit(nvmet_mptcp_exit);

MODULE_DESCRIPTION("NVMe over MPTCP target transport for stock nvmet");
MODULE_LICENSE("GPL");
