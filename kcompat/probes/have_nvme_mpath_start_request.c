/* 6.3+: multipath I/O accounting starts from the transport's queue_rq. */
#include "nvme-host-abi.h"
void kc_probe(struct request *rq);
void kc_probe(struct request *rq) { nvme_mpath_start_request(rq); }
