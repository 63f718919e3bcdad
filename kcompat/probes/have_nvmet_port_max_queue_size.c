/* 6.12+: ports carry param_max_queue_size. */
#include "nvmet-abi.h"
int kc_probe(struct nvmet_port *port);
int kc_probe(struct nvmet_port *port) { return port->max_queue_size; }
