/* 7.x: nvmet_sq_init(sq, cq) after nvmet_cq_init(cq). */
#include "nvmet-abi.h"
int kc_probe(struct nvmet_sq *sq, struct nvmet_cq *cq);
int kc_probe(struct nvmet_sq *sq, struct nvmet_cq *cq) { nvmet_cq_init(cq); return nvmet_sq_init(sq, cq); }
