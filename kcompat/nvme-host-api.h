/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The private nvme-core/nvme-fabrics API as one set of names on every
 * supported kernel: the layouts come from the kernel's BTF (generated
 * nvme-host-abi.h), the calling conventions from kcompat/probes.
 */
#ifndef _KCOMPAT_NVME_HOST_API_H
#define _KCOMPAT_NVME_HOST_API_H

#include "nvme-host-abi.h"

#ifdef KC_QUIESCE_STOP_QUEUES
#define nvme_quiesce_io_queues(ctrl)		nvme_stop_queues(ctrl)
#define nvme_unquiesce_io_queues(ctrl)		nvme_start_queues(ctrl)
#define nvme_quiesce_admin_queue(ctrl)		nvme_stop_admin_queue(ctrl)
#define nvme_unquiesce_admin_queue(ctrl)	nvme_start_admin_queue(ctrl)
#endif

static inline int kc_nvme_disable_ctrl(struct nvme_ctrl *ctrl, bool shutdown)
{
#ifdef KC_DISABLE_CTRL_SHUTDOWN_ARG
	return nvme_disable_ctrl(ctrl, shutdown);
#else
	return shutdown ? nvme_shutdown_ctrl(ctrl) : nvme_disable_ctrl(ctrl);
#endif
}

static inline int kc_nvme_init_ctrl_finish(struct nvme_ctrl *ctrl)
{
#ifdef KC_INIT_CTRL_FINISH_WAS_SUSPENDED
	return nvme_init_ctrl_finish(ctrl, false);
#else
	return nvme_init_ctrl_finish(ctrl);
#endif
}

/* Where nvme_init_ctrl() already added the device there is nothing to do. */
static inline int kc_nvme_add_ctrl(struct nvme_ctrl *ctrl)
{
#ifdef KC_ADD_CTRL_SEPARATE
	return nvme_add_ctrl(ctrl);
#else
	return 0;
#endif
}

static inline bool kc_nvmf_should_reconnect(struct nvme_ctrl *ctrl, int status)
{
#ifdef KC_SHOULD_RECONNECT_STATUS
	return nvmf_should_reconnect(ctrl, status);
#else
	return nvmf_should_reconnect(ctrl);
#endif
}

static inline int kc_nvme_wait_freeze_timeout(struct nvme_ctrl *ctrl,
					      long timeout)
{
#ifdef KC_WAIT_FREEZE_TIMEOUT_TIMEOUT_ARG
	return nvme_wait_freeze_timeout(ctrl, timeout);
#else
	return nvme_wait_freeze_timeout(ctrl);
#endif
}

#endif /* _KCOMPAT_NVME_HOST_API_H */
