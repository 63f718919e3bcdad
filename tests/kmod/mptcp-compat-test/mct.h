/* SPDX-License-Identifier: GPL-2.0 */
/* mptcp-compat-test: what the command, server and client parts share. */
#ifndef _MCT_H
#define _MCT_H

#include <linux/seq_file.h>
#include <linux/socket.h>
#include <linux/types.h>

/* Keepalive both sides set, so the scenario sees the timer on every subflow. */
#define MCT_KEEPIDLE	30
#define MCT_KEEPINTVL	5
#define MCT_KEEPCNT	3

int mct_server_listen(struct sockaddr_storage *addr, int addrlen, int tos,
		      u32 prio);
void mct_server_hold(bool hold);
void mct_server_stop(void);
void mct_server_show(struct seq_file *m);
void mct_server_init(void);

int mct_client_connect(int protocol, struct sockaddr_storage *addr,
		       int addrlen, int tos, u32 prio, const char *dev,
		       unsigned int timeout_ms);
int mct_client_send(u64 bytes);
int mct_client_recvtest(unsigned int timeout_ms);
int mct_client_info(void);
void mct_client_close(void);
void mct_client_show(struct seq_file *m);
int mct_client_init(void);
void mct_client_exit(void);

#endif /* _MCT_H */
