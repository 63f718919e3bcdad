/* 6.1: nvmf_should_reconnect(ctrl). */
#include "nvme-host-abi.h"
bool kc_probe(struct nvme_ctrl *ctrl);
bool kc_probe(struct nvme_ctrl *ctrl) { return nvmf_should_reconnect(ctrl); }
