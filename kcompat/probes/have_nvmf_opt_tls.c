/* 6.7+: nvme-fabrics knows the tls, keyring and tls_key options. */
#include "nvme-host-abi.h"
int kc_probe(void);
int kc_probe(void) { return NVMF_OPT_TLS | NVMF_OPT_KEYRING | NVMF_OPT_TLS_KEY; }
