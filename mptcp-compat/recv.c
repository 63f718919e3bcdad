// SPDX-License-Identifier: GPL-2.0
/*
 * Non-blocking receive.  nvme-tcp receives through sock->ops->read_sock(),
 * which MPTCP lacks before 7.0; recvmsg works on every kernel.
 */
#include <linux/module.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <mptcp-compat.h>

int mptcp_compat_recv(struct socket *sock, struct iov_iter *to)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	int ret;

	/* recvmsg consumes a copy; @to moves on by what was received. */
	msg.msg_iter = *to;
	ret = sock_recvmsg(sock, &msg, MSG_DONTWAIT);
	if (ret > 0)
		iov_iter_advance(to, ret);
	return ret;
}
EXPORT_SYMBOL_GPL(mptcp_compat_recv);
