/* 6.2+: nvme_quiesce_io_queues() replaced nvme_stop_queues(). */
#include "nvme-host-abi.h"
void kc_probe(struct nvme_ctrl *ctrl);
void kc_probe(struct nvme_ctrl *ctrl) { nvme_quiesce_io_queues(ctrl); nvme_unquiesce_admin_queue(ctrl); }
