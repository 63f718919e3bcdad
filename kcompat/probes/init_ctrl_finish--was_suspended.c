/* 6.2+: nvme_init_ctrl_finish(ctrl, was_suspended). */
#include "nvme-host-abi.h"
int kc_probe(struct nvme_ctrl *ctrl);
int kc_probe(struct nvme_ctrl *ctrl) { return nvme_init_ctrl_finish(ctrl, false); }
