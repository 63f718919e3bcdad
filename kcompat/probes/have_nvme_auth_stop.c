/* Kernels with in-band authentication (6.12 in Debian) export it. */
#include "nvme-host-abi.h"
void kc_probe(struct nvme_ctrl *ctrl);
void kc_probe(struct nvme_ctrl *ctrl) { nvme_auth_stop(ctrl); }
