// SPDX-License-Identifier: GPL-2.0
/*
 * mptcp-compat-test: drives mptcp-compat from tests/scenarios/mptcp-compat-*.sh.
 * A test tool, never built for users (only with NVME_MPTCP_TESTS=m).
 *
 * debugfs mptcp_compat_test/ctl takes one command per write and runs it in
 * the network namespace of the writer, so the scenario picks the side with
 * `ip netns exec`; the write fails with the command's error.
 * mptcp_compat_test/status shows the outcomes as key=value lines.
 *
 *   listen ADDR PORT TOS PRIO   MPTCP listener; every accepted connection
 *                               gets nodelay, TOS, priority, keepalive and
 *                               a receive timeout, and a thread reading it
 *   hold 0|1                    accepted connections stop/resume reading
 *   connect mptcp|tcp ADDR PORT TOS PRIO DEV|- TIMEOUT_MS
 *                               client socket with all options set, then
 *                               the bounded connect; the last successful
 *                               one is the "current" client
 *   send BYTES                  the current client sends without blocking,
 *                               resumed only by write-space notification
 *   recvtest TIMEOUT_MS         receive timeout and non-blocking receive on
 *                               the current client (nothing is sent to it)
 *   info                        path information of the current client
 *   close                       release every socket of both sides
 */
#include <linux/debugfs.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include "mct.h"

static DEFINE_MUTEX(mct_lock);	/* one command at a time */
static struct dentry *mct_dir;

static int mct_parse_addr(const char *str, const char *port,
			  struct sockaddr_storage *ss, int *len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	u16 p;

	if (kstrtou16(port, 0, &p))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (in4_pton(str, -1, (u8 *)&sin->sin_addr, -1, NULL)) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		*len = sizeof(*sin);
		return 0;
	}
	if (in6_pton(str, -1, (u8 *)&sin6->sin6_addr, -1, NULL)) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(p);
		*len = sizeof(*sin6);
		return 0;
	}
	return -EINVAL;
}

static int mct_cmd_listen(int argc, char **argv)
{
	struct sockaddr_storage ss;
	int len, tos;
	u32 prio;

	if (argc != 5 || mct_parse_addr(argv[1], argv[2], &ss, &len) ||
	    kstrtoint(argv[3], 0, &tos) || kstrtou32(argv[4], 0, &prio))
		return -EINVAL;
	return mct_server_listen(&ss, len, tos, prio);
}

static int mct_cmd_connect(int argc, char **argv)
{
	struct sockaddr_storage ss;
	unsigned int timeout_ms;
	int protocol, len, tos;
	u32 prio;

	if (argc != 8)
		return -EINVAL;
	if (!strcmp(argv[1], "mptcp"))
		protocol = IPPROTO_MPTCP;
	else if (!strcmp(argv[1], "tcp"))
		protocol = IPPROTO_TCP;
	else
		return -EINVAL;
	if (mct_parse_addr(argv[2], argv[3], &ss, &len) ||
	    kstrtoint(argv[4], 0, &tos) || kstrtou32(argv[5], 0, &prio) ||
	    kstrtouint(argv[7], 0, &timeout_ms))
		return -EINVAL;
	return mct_client_connect(protocol, &ss, len, tos, prio,
				  strcmp(argv[6], "-") ? argv[6] : NULL,
				  timeout_ms);
}

static int mct_run(int argc, char **argv)
{
	unsigned int ms;
	bool hold;
	u64 bytes;

	if (!strcmp(argv[0], "listen"))
		return mct_cmd_listen(argc, argv);
	if (!strcmp(argv[0], "connect"))
		return mct_cmd_connect(argc, argv);
	if (!strcmp(argv[0], "hold") && argc == 2 && !kstrtobool(argv[1], &hold)) {
		mct_server_hold(hold);
		return 0;
	}
	if (!strcmp(argv[0], "send") && argc == 2 && !kstrtou64(argv[1], 0, &bytes))
		return mct_client_send(bytes);
	if (!strcmp(argv[0], "recvtest") && argc == 2 && !kstrtouint(argv[1], 0, &ms))
		return mct_client_recvtest(ms);
	if (!strcmp(argv[0], "info") && argc == 1)
		return mct_client_info();
	if (!strcmp(argv[0], "close") && argc == 1) {
		mct_client_close();
		mct_server_stop();
		return 0;
	}
	return -EINVAL;
}

static ssize_t mct_ctl_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char **argv;
	char *buf;
	int argc, err;

	if (count > 256)
		return -EINVAL;
	buf = memdup_user_nul(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	argv = argv_split(GFP_KERNEL, buf, &argc);
	kfree(buf);
	if (!argv)
		return -ENOMEM;

	err = -EINVAL;
	if (argc > 0) {
		mutex_lock(&mct_lock);
		err = mct_run(argc, argv);
		mutex_unlock(&mct_lock);
	}
	argv_free(argv);
	return err ? err : count;
}

static const struct file_operations mct_ctl_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.write = mct_ctl_write,
	.llseek = noop_llseek,
};

static int mct_status_show(struct seq_file *m, void *unused)
{
	mct_client_show(m);
	mct_server_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(mct_status);

static int __init mct_init(void)
{
	int err;

	mct_server_init();
	err = mct_client_init();
	if (err)
		return err;
	mct_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	debugfs_create_file("ctl", 0200, mct_dir, NULL, &mct_ctl_fops);
	debugfs_create_file("status", 0444, mct_dir, NULL, &mct_status_fops);
	return 0;
}

static void __exit mct_exit(void)
{
	/* No command can be running once the files are gone. */
	debugfs_remove(mct_dir);
	mct_client_close();
	mct_server_stop();
	mct_client_exit();
}

module_init(mct_init);
module_exit(mct_exit);

MODULE_DESCRIPTION("Test driver for mptcp-compat (not for production use)");
MODULE_LICENSE("GPL");
