/* 7.x: nvme_wait_freeze_timeout(ctrl) uses the controller's own timeout. */
#include "nvme-host-abi.h"
int kc_probe(struct nvme_ctrl *ctrl);
int kc_probe(struct nvme_ctrl *ctrl) { return nvme_wait_freeze_timeout(ctrl); }
