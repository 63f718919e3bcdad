/* 6.10+: nvme_init_ctrl() no longer adds the device; nvme_add_ctrl() does. */
#include "nvme-host-abi.h"
int kc_probe(struct nvme_ctrl *ctrl);
int kc_probe(struct nvme_ctrl *ctrl) { return nvme_add_ctrl(ctrl); }
