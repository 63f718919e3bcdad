/* 6.8+: __nvme_check_ready() is given the state the caller read. */
#include "nvme-host-abi.h"
bool kc_probe(struct nvme_ctrl *ctrl, struct request *rq);
bool kc_probe(struct nvme_ctrl *ctrl, struct request *rq)
{ return __nvme_check_ready(ctrl, rq, true, NVME_CTRL_LIVE); }
