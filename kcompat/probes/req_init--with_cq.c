/* 6.x: nvmet_req_init(req, cq, sq, ops). */
#include "nvmet-abi.h"
bool kc_probe(struct nvmet_req *req, struct nvmet_cq *cq, struct nvmet_sq *sq, const struct nvmet_fabrics_ops *ops);
bool kc_probe(struct nvmet_req *req, struct nvmet_cq *cq, struct nvmet_sq *sq, const struct nvmet_fabrics_ops *ops)
{ return nvmet_req_init(req, cq, sq, ops); }
