/* 6.1: nvme_stop_queues()/nvme_start_admin_queue(). */
#include "nvme-host-abi.h"
void kc_probe(struct nvme_ctrl *ctrl);
void kc_probe(struct nvme_ctrl *ctrl) { nvme_stop_queues(ctrl); nvme_start_admin_queue(ctrl); }
