// SPDX-License-Identifier: GPL-2.0
/*
 * Connection-level path information from mptcp_diag_fill_info(), the one
 * MPTCP introspection function stock kernels export.
 */
#include <linux/module.h>
#include <linux/mptcp.h>
#include <net/mptcp.h>
#include <mptcp-compat.h>

int mptcp_compat_path_info(struct socket *sock,
			   struct mptcp_compat_path_info *info)
{
	struct mptcp_info mi;

	memset(info, 0, sizeof(*info));
	if (!mptcp_compat_is_mptcp(sock))
		return -EOPNOTSUPP;

	/* The layout of struct mptcp_sock stays private to the kernel. */
	mptcp_diag_fill_info((struct mptcp_sock *)sock->sk, &mi);
	info->fallback = !!(mi.mptcpi_flags & MPTCP_INFO_FLAG_FALLBACK);
	info->subflows = mi.mptcpi_subflows;
	info->add_addr_signal = mi.mptcpi_add_addr_signal;
	info->add_addr_accepted = mi.mptcpi_add_addr_accepted;
	info->local_addr_used = mi.mptcpi_local_addr_used;
#ifdef KC_HAVE_MPTCP_INFO_BYTES
	info->has_byte_counters = true;
	info->bytes_sent = mi.mptcpi_bytes_sent;
	info->bytes_received = mi.mptcpi_bytes_received;
	info->bytes_retrans = mi.mptcpi_bytes_retrans;
#endif
	return 0;
}
EXPORT_SYMBOL_GPL(mptcp_compat_path_info);
