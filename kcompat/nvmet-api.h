/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The private nvmet API as one set of names on every supported kernel:
 * layouts from the kernel's BTF (generated nvmet-abi.h), calling
 * conventions from kcompat/probes.
 */
#ifndef _KCOMPAT_NVMET_API_H
#define _KCOMPAT_NVMET_API_H

#include "nvmet-abi.h"

static inline bool kc_nvmet_req_init(struct nvmet_req *req,
				     struct nvmet_cq *cq, struct nvmet_sq *sq,
				     const struct nvmet_fabrics_ops *ops)
{
#ifdef KC_REQ_INIT_WITH_CQ
	return nvmet_req_init(req, cq, sq, ops);
#else
	return nvmet_req_init(req, sq, ops);
#endif
}

/* 7.x pairs every sq with a refcounted cq; older kernels need no cq setup. */
static inline int kc_nvmet_sq_init(struct nvmet_sq *sq, struct nvmet_cq *cq)
{
#ifdef KC_SQ_INIT_WITH_CQ
	nvmet_cq_init(cq);
	return nvmet_sq_init(sq, cq);
#else
	return nvmet_sq_init(sq);
#endif
}

/*
 * Drops the queue's own reference on its cq (7.x), which holds the
 * controller: after nvmet_sq_destroy(), or after a failed
 * kc_nvmet_sq_init().  Older kernels have nothing to drop.
 */
static inline void kc_nvmet_cq_put(struct nvmet_cq *cq)
{
#ifdef KC_SQ_INIT_WITH_CQ
	nvmet_cq_put(cq);
#endif
}

#endif /* _KCOMPAT_NVMET_API_H */
