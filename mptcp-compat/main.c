// SPDX-License-Identifier: GPL-2.0
/* mptcp-compat: module glue. */
#include <linux/module.h>

static int __init mptcp_compat_init(void)
{
	return 0;
}

static void __exit mptcp_compat_exit(void)
{
}

module_init(mptcp_compat_init);
module_exit(mptcp_compat_exit);

MODULE_DESCRIPTION("MPTCP socket helpers for in-kernel users on stock kernels");
MODULE_LICENSE("GPL");
