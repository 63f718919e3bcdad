/* 6.1: nvme_disable_ctrl(ctrl) and a separate nvme_shutdown_ctrl(ctrl). */
#include "nvme-host-abi.h"
int kc_probe(struct nvme_ctrl *ctrl);
int kc_probe(struct nvme_ctrl *ctrl) { return nvme_disable_ctrl(ctrl) + nvme_shutdown_ctrl(ctrl); }
