// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-mptcp: NVMe/TCP host transport over MPTCP for stock nvme-fabrics.
 * Registers transport "mptcp" (nvme connect -t mptcp autoloads this
 * module as nvme-mptcp), and with tcp=1 transport "tcp" as well.
 */
#include <linux/module.h>
#include "nvme-mptcp.h"

struct workqueue_struct *nvme_mptcp_wq;

/* kTLS is a TCP ULP, and MPTCP refuses ULPs (TCP_ULP gives EOPNOTSUPP). */
#ifdef KC_HAVE_NVMF_OPT_TLS
#define NVME_MPTCP_TLS_OPTS	(NVMF_OPT_TLS | NVMF_OPT_KEYRING | NVMF_OPT_TLS_KEY)
#else
#define NVME_MPTCP_TLS_OPTS	0
#endif
#ifdef KC_HAVE_NVMF_OPT_CONCAT
#define NVME_MPTCP_CONCAT_OPT	NVMF_OPT_CONCAT
#else
#define NVME_MPTCP_CONCAT_OPT	0
#endif

static struct nvme_ctrl *nvme_mptcp_create(struct device *dev,
					   struct nvmf_ctrl_options *opts)
{
	/* Accepted by allowed_opts only to be refused here in plain words. */
	if (opts->mask & (NVME_MPTCP_TLS_OPTS | NVME_MPTCP_CONCAT_OPT)) {
		pr_err("tls, keyring, tls_key and concat are not supported: MPTCP cannot carry kernel TLS\n");
		return ERR_PTR(-EINVAL);
	}
	return nvme_mptcp_create_ctrl(dev, opts);
}

/* All but .name: the same transport under two names. */
#define NVME_MPTCP_TRANSPORT						\
	.module		= THIS_MODULE,					\
	.required_opts	= NVMF_OPT_TRADDR,				\
	.allowed_opts	= NVMF_OPT_TRSVCID | NVMF_OPT_RECONNECT_DELAY |	\
			  NVMF_OPT_HOST_TRADDR | NVMF_OPT_CTRL_LOSS_TMO |	\
			  NVMF_OPT_HDR_DIGEST | NVMF_OPT_DATA_DIGEST |	\
			  NVMF_OPT_NR_WRITE_QUEUES | NVMF_OPT_NR_POLL_QUEUES | \
			  NVMF_OPT_TOS | NVMF_OPT_HOST_IFACE |		\
			  NVME_MPTCP_TLS_OPTS | NVME_MPTCP_CONCAT_OPT,	\
	.create_ctrl	= nvme_mptcp_create

static struct nvmf_transport_ops nvme_mptcp_transport = {
	.name = "mptcp",
	NVME_MPTCP_TRANSPORT,
};

static struct nvmf_transport_ops nvme_mptcp_tcp_transport = {
	.name = "tcp",
	NVME_MPTCP_TRANSPORT,
};

/*
 * tcp=1: serve transport "tcp" too, so nvme connect -t tcp, connect-all and
 * discovery-driven autoconnect use MPTCP (plain TCP where the target does
 * not speak it). packaging/modprobe.d/nvme-mptcp.conf makes modprobe load
 * this module for nvme-tcp then. nvme-fabrics keeps one list of transports
 * and takes the first of a name, so the kernel's nvme-tcp and this must
 * never both serve "tcp": loading is refused while nvme-tcp is there, and
 * nvme-tcp is refused while this serves "tcp". One window stays open: an
 * nvme-tcp that passed its COMING notifiers before ours was registered,
 * and has no sysfs entry yet, i.e. two loads racing; no exported interface
 * closes it (nvme-fabrics' transport list and lock are private).
 */
static bool nvme_mptcp_tcp;
module_param_named(tcp, nvme_mptcp_tcp, bool, 0444);
MODULE_PARM_DESC(tcp, "also serve NVMe/TCP (transport tcp) over MPTCP; refused while nvme-tcp is loaded (default: no)");

/* nvme-tcp, loaded or built in, is in /sys/module: it has parameters. */
static bool nvme_mptcp_nvme_tcp_present(void)
{
	struct kobject *kobj;

	kobj = kset_find_obj(THIS_MODULE->mkobj.kobj.kset, "nvme_tcp");
	if (!kobj)
		return false;
	kobject_put(kobj);
	return true;
}

static int nvme_mptcp_module_event(struct notifier_block *nb,
				   unsigned long state, void *data)
{
	struct module *mod = data;

	if (state != MODULE_STATE_COMING || strcmp(mod->name, "nvme_tcp"))
		return NOTIFY_DONE;
	pr_err("refusing to load nvme-tcp: nvme-mptcp serves transport tcp (tcp=1); unload nvme-mptcp and drop its tcp=1 option to use nvme-tcp\n");
	return notifier_from_errno(-EBUSY);
}

static struct notifier_block nvme_mptcp_module_nb = {
	.notifier_call = nvme_mptcp_module_event,
};

static int nvme_mptcp_serve_tcp(void)
{
	int ret;

	ret = register_module_notifier(&nvme_mptcp_module_nb);
	if (ret)
		return ret;
	if (nvme_mptcp_nvme_tcp_present()) {
		pr_err("nvme-tcp is loaded and serves transport tcp: remove it (modprobe -r nvme-tcp) or load nvme-mptcp without tcp=1\n");
		unregister_module_notifier(&nvme_mptcp_module_nb);
		return -EBUSY;
	}
	nvmf_register_transport(&nvme_mptcp_tcp_transport);
	pr_info("serving transport tcp over MPTCP (tcp=1)\n");
	return 0;
}

static void nvme_mptcp_stop_serving_tcp(void)
{
	nvmf_unregister_transport(&nvme_mptcp_tcp_transport);
	unregister_module_notifier(&nvme_mptcp_module_nb);
}

static int __init nvme_mptcp_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(struct nvme_tcp_hdr) != 8);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_cmd_pdu) != 72);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_icreq_pdu) != 128);
	BUILD_BUG_ON(sizeof(struct nvme_tcp_icresp_pdu) != 128);
	BUILD_BUG_ON(offsetof(struct nvme_mptcp_request, nreq) != 0);

	nvme_mptcp_wq = alloc_workqueue("nvme_mptcp_wq",
					WQ_MEM_RECLAIM | WQ_HIGHPRI | WQ_SYSFS |
					WQ_PERCPU, 0);
	if (!nvme_mptcp_wq)
		return -ENOMEM;
	nvme_mptcp_debugfs_init();
	if (nvme_mptcp_tcp) {
		ret = nvme_mptcp_serve_tcp();
		if (ret) {
			nvme_mptcp_debugfs_exit();
			destroy_workqueue(nvme_mptcp_wq);
			return ret;
		}
	}
	nvmf_register_transport(&nvme_mptcp_transport);
	return 0;
}

static void __exit nvme_mptcp_exit(void)
{
	/* Every controller pins the module until freed, so none is left. */
	nvmf_unregister_transport(&nvme_mptcp_transport);
	if (nvme_mptcp_tcp)
		nvme_mptcp_stop_serving_tcp();
	/*
	 * A free_ctrl run by nvme-core's delete work may not have returned
	 * yet when its pin's delayed fput let us be unloaded (ctrl.c).
	 */
	flush_workqueue(nvme_delete_wq);
	nvme_mptcp_debugfs_exit();
	destroy_workqueue(nvme_mptcp_wq);
}

module_init(nvme_mptcp_init);
module_exit(nvme_mptcp_exit);

MODULE_DESCRIPTION("NVMe over MPTCP host transport");
MODULE_LICENSE("GPL");
