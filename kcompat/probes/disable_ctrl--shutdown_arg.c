/* 6.3+: nvme_disable_ctrl(ctrl, shutdown) replaced nvme_shutdown_ctrl(). */
#include "nvme-host-abi.h"
int kc_probe(struct nvme_ctrl *ctrl);
int kc_probe(struct nvme_ctrl *ctrl) { return nvme_disable_ctrl(ctrl, true); }
