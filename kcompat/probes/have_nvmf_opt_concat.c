/* 6.15+: secure channel concatenation (concat), which needs TLS. */
#include "nvme-host-abi.h"
int kc_probe(void);
int kc_probe(void) { return NVMF_OPT_CONCAT; }
