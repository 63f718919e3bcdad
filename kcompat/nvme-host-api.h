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

/* Stop DH-HMAC-CHAP work; without in-band authentication there is none. */
static inline void kc_nvme_auth_stop(struct nvme_ctrl *ctrl)
{
#ifdef KC_HAVE_NVME_AUTH_STOP
	nvme_auth_stop(ctrl);
#endif
}

/* Wait for frozen queues to drain, for at most the I/O timeout. */
static inline int kc_nvme_wait_freeze_io_timeout(struct nvme_ctrl *ctrl)
{
#ifdef KC_WAIT_FREEZE_TIMEOUT_TIMEOUT_ARG
	return nvme_wait_freeze_timeout(ctrl, nvme_io_timeout * HZ);
#else
	return nvme_wait_freeze_timeout(ctrl);
#endif
}

/*
 * May a request be issued on a controller that is not LIVE?  The LIVE fast
 * path and the fabrics DELETING rule mirror what nvme-core's own inline
 * helper does before asking __nvme_check_ready().
 */
static inline bool kc_nvme_check_ready(struct nvme_ctrl *ctrl,
				       struct request *rq, bool queue_live)
{
	enum nvme_ctrl_state state = READ_ONCE(ctrl->state);

	if (likely(state == NVME_CTRL_LIVE))
		return true;
	if (state == NVME_CTRL_DELETING)
		return queue_live;
#ifdef KC_CHECK_READY_STATE_ARG
	return __nvme_check_ready(ctrl, rq, queue_live, state);
#else
	return __nvme_check_ready(ctrl, rq, queue_live);
#endif
}

#endif /* _KCOMPAT_NVME_HOST_API_H */
