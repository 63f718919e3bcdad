/* 6.1: nvme_init_ctrl_finish(ctrl). */
#include "nvme-host-abi.h"
int kc_probe(struct nvme_ctrl *ctrl);
int kc_probe(struct nvme_ctrl *ctrl) { return nvme_init_ctrl_finish(ctrl); }
