/* 6.x: nvmet_sq_init(sq); the cq needs no setup. */
#include "nvmet-abi.h"
int kc_probe(struct nvmet_sq *sq);
int kc_probe(struct nvmet_sq *sq) { return nvmet_sq_init(sq); }
