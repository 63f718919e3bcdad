/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Force-included into every source file of the three modules: kernel API
 * differences that are not specific to nvme, settled by kcompat/probes.
 * Driver sources stay free of version checks.
 */
#ifndef _KCOMPAT_H
#define _KCOMPAT_H

#include "kcompat-config.h"

/* Address argument of kernel_bind()/kernel_connect(). */
#ifdef KC_SOCKADDR_UNSIZED
#define kc_sockaddr(ss) ((struct sockaddr_unsized *)(ss))
#else
#define kc_sockaddr(ss) ((struct sockaddr *)(ss))
#endif

/* NUMA node argument of blk_mq_ops.init_request. */
#ifdef KC_INIT_REQUEST_NODE_SIGNED
#define kc_numa_node_t	int
#else
#define kc_numa_node_t	unsigned int
#endif

/* Before WQ_PERCPU existed, per-CPU was what a workqueue without flags got. */
#ifndef KC_HAVE_WQ_PERCPU
#define WQ_PERCPU	0
#endif

/* Iterator directions got their own names in 6.2; the values are the same. */
#ifndef KC_HAVE_ITER_SOURCE
#define ITER_SOURCE	WRITE
#define ITER_DEST	READ
#endif

#endif /* _KCOMPAT_H */
