/* The fabrics helper that answers get_virt_boundary (no boundary). */
#include "nvme-host-abi.h"
unsigned long kc_probe(struct nvme_ctrl *ctrl);
unsigned long kc_probe(struct nvme_ctrl *ctrl) { return nvmf_get_virt_boundary(ctrl, false); }
