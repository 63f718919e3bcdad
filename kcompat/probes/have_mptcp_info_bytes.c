/* struct mptcp_info counts bytes (sent, received, retransmitted) after 6.1. */
#include <linux/mptcp.h>
#include <net/mptcp.h>
u64 kc_probe(const struct mptcp_info *mi);
u64 kc_probe(const struct mptcp_info *mi)
{ return mi->mptcpi_bytes_sent + mi->mptcpi_bytes_received + mi->mptcpi_bytes_retrans; }
