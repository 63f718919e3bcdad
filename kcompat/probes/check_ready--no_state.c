/* 6.1: __nvme_check_ready(ctrl, rq, queue_live) reads the state itself. */
#include "nvme-host-abi.h"
bool kc_probe(struct nvme_ctrl *ctrl, struct request *rq);
bool kc_probe(struct nvme_ctrl *ctrl, struct request *rq)
{ return __nvme_check_ready(ctrl, rq, true); }
