/* 6.7+: a TCP port's tsas names its security type (NVMe/TLS). */
#include <linux/nvme.h>
int kc_probe(struct nvmf_disc_rsp_page_entry *e);
int kc_probe(struct nvmf_disc_rsp_page_entry *e)
{ return e->tsas.tcp.sectype != NVMF_TCP_SECTYPE_NONE; }
