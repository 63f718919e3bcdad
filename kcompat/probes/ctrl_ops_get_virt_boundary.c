/* 7.x: core asks the transport for the virt boundary, unconditionally. */
#include "nvme-host-abi.h"
unsigned long kc_probe(struct nvme_ctrl *ctrl);
unsigned long kc_probe(struct nvme_ctrl *ctrl) { return ctrl->ops->get_virt_boundary(ctrl, false); }
