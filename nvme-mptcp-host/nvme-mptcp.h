/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvme-mptcp host transport: NVMe/TCP PDUs over MPTCP sockets, registered
 * with the kernel's own nvme-fabrics as transport "mptcp".
 *
 * A controller owns one admin queue and its I/O queues; each queue is one
 * socket.  All socket work of a queue (send, receive) runs in its io_work,
 * which socket events and new requests schedule (poll queues too: blk-mq
 * polls under RCU, where MPTCP's recvmsg must not be called).  io_lock
 * serialises send and receive.
 */
#ifndef _NVME_MPTCP_H
#define _NVME_MPTCP_H

#include <linux/blk-mq.h>
#include <linux/llist.h>
#include <linux/net.h>
#include <linux/nvme-tcp.h>
#include <linux/socket.h>
#include <linux/wait.h>
#include "nvme-host-api.h"

/* How long queue setup waits for the controller's ICResp. */
#define NVME_MPTCP_ICRESP_TIMEOUT	(10 * HZ)
/* Bound on connect(): MPTCP has no TCP_SYNCNT. */
#define NVME_MPTCP_CONNECT_TIMEOUT	(5 * HZ)
/*
 * Receive stage: one recvmsg takes up to this much of the stream, so the
 * small PDUs (headers, responses) and small data cost one socket call for
 * many, not one each.  Larger data goes straight into the request.
 */
#define NVME_MPTCP_RX_STAGE	SZ_16K
/*
 * A write whose in-capsule data is at most this long goes out with its
 * capsule in one sendmsg (tx.c), in at most NVME_MPTCP_GATHER_BVECS
 * entries: the capsule takes two where a page ends in it, the header
 * digest one, the data the rest (more pieces, or data that spans bios:
 * capsule and data go out apart, as larger ones do).
 */
#define NVME_MPTCP_GATHER_MAX	SZ_4K
#define NVME_MPTCP_GATHER_BVECS	8

/*
 * Values of nvme-core #defines that BTF cannot carry.  They are part of
 * the contract between nvme-core and its transports and have not changed
 * since the kernels this project supports were released.
 */
#define NVME_MPTCP_F_FABRICS	(1 << 0)	/* NVME_F_FABRICS */
#define NVME_MPTCP_CID_TAG_MASK	0x0fff		/* command_id: tag bits */
#define NVME_MPTCP_CID_GEN_SHIFT	12	/* command_id: generation */
#define NVME_MPTCP_CID_GEN_MASK	0xf

/*
 * Life of a queue (queue->state).  open, serve, quiet and close run under
 * queue_lock; any context may break a serving queue (cmpxchg).
 *
 *   CLOSED --open--> OPEN --serve--> SERVING --Connect done--> LIVE
 *     ^               |  ^             |                         |
 *     +-----close-----+  +---quiet-----+--- BROKEN <--failure ---+
 *
 * io_work moves PDUs while SERVING or LIVE; blk-mq sends only once LIVE
 * (and the fabrics Connect while SERVING).
 */
enum nvme_mptcp_queue_state {
	NVME_MPTCP_QS_CLOSED,		/* no socket */
	NVME_MPTCP_QS_OPEN,		/* connected, ICResp received */
	NVME_MPTCP_QS_SERVING,		/* io_work serves the socket */
	NVME_MPTCP_QS_LIVE,		/* fabrics Connect done */
	NVME_MPTCP_QS_BROKEN,		/* the connection failed: quiet it */
};

enum nvme_mptcp_ctrl_flag {
	NVME_MPTCP_CTRL_AEN_OUT,	/* the AEN command is outstanding */
	NVME_MPTCP_CTRL_AEN_SENT,	/* ... and all of it was sent */
};

enum nvme_mptcp_send_state {
	NVME_MPTCP_SEND_CMD,		/* capsule (+ digest, + small data) */
	NVME_MPTCP_SEND_H2C,		/* H2CData header (+ header digest) */
	NVME_MPTCP_SEND_DATA,		/* payload of the capsule or H2CData */
	NVME_MPTCP_SEND_DDGST,		/* data digest */
};

enum nvme_mptcp_recv_state {
	NVME_MPTCP_RECV_HDR,
	NVME_MPTCP_RECV_DATA,
	NVME_MPTCP_RECV_DDGST,
};

/* Walks the data of a request bio by bio (or its special payload). */
struct nvme_mptcp_cursor {
	struct bio		*bio;
	struct iov_iter		iter;
};

struct nvme_mptcp_queue;

struct nvme_mptcp_request {
	struct nvme_request	nreq;	/* first: nvme-core casts blk-mq PDUs */
	struct nvme_mptcp_queue	*queue;
	struct nvme_tcp_cmd_pdu	cmd;
	struct nvme_tcp_data_pdu h2c;
	__le32			hdgst;	/* of the header being sent */
	__le32			ddgst;	/* of the data being sent/received */
	u32			data_crc;
	u32			data_len;	/* bytes the command moves */
	u32			inline_len;	/* of which in the capsule */
	u32			data_done;	/* bytes sent or received */
	u32			r2t_left;	/* left in the current R2T */
	u32			pdu_data_left;	/* left in the PDU being sent */
	u16			ttag;		/* opaque: echoed as the controller sent it */
	u32			sent;		/* of the current header/digest */
	__le16			status;		/* data digest error, early answer */
	bool			answered;	/* response came while being sent */
	union nvme_result	result;		/* ... with this result */
	enum nvme_mptcp_send_state state;
	bool			tx_busy;	/* queued or being sent */
	struct nvme_mptcp_cursor cursor;
	struct llist_node	lentry;
	struct list_head	entry;
};

struct nvme_mptcp_ctrl;

struct nvme_mptcp_stats {
	u64	pdus_tx;
	u64	pdus_rx;
	u64	bytes_tx;
	u64	bytes_rx;
	u64	eagain_tx;	/* sends that found the socket full */
};

struct nvme_mptcp_queue {
	struct socket		*sock;
	struct nvme_mptcp_ctrl	*ctrl;
	int			state;		/* enum nvme_mptcp_queue_state */
	int			qid;
	int			io_cpu;
	u32			cmnd_capsule_len;
	u32			maxh2cdata;
	bool			hdr_digest;
	bool			data_digest;
	bool			polled;		/* a poll queue (HCTX_TYPE_POLL) */

	struct work_struct	io_work;
	struct wait_queue_entry	sk_wait;	/* socket events -> io_work */
	struct mutex		queue_lock;	/* state changes but BROKEN */

	struct mutex		io_lock;	/* send and receive state */

	/* transmit side */
	struct llist_head	req_list;	/* lockless: from queue_rq */
	struct list_head	send_list;
	struct nvme_mptcp_request *send_req;

	/* receive side */
	u8			*rx_stage;	/* NVME_MPTCP_RX_STAGE bytes */
	u32			rx_stage_len;	/* read into it */
	u32			rx_stage_off;	/* of which used */
	enum nvme_mptcp_recv_state rx_state;
	union {
		struct nvme_tcp_hdr	 hdr;
		struct nvme_tcp_rsp_pdu	 rsp;
		struct nvme_tcp_data_pdu c2h;
		struct nvme_tcp_r2t_pdu	 r2t;
		struct nvme_tcp_term_pdu term;
		u8 raw[sizeof(struct nvme_tcp_rsp_pdu) + NVME_TCP_DIGEST_LENGTH];
	} rx_pdu;
	u32			rx_pdu_got;
	u32			rx_data_left;
	u32			rx_ddgst_got;
	__le32			rx_ddgst;
	struct nvme_mptcp_request *rx_req;
	atomic_t		nr_cqe;		/* completions since the last poll */

	struct nvme_mptcp_stats	stats;
};

struct nvme_mptcp_ctrl {
	struct nvme_ctrl	ctrl;	/* first: nvme-core owns its lifetime */
	struct nvme_mptcp_queue	*queues;
	struct blk_mq_tag_set	tag_set;
	struct blk_mq_tag_set	admin_tag_set;
	struct net		*net;	/* where the controller was created */
	struct sockaddr_storage	addr;
	struct sockaddr_storage	src_addr;
	u32			io_queues[HCTX_MAX_TYPES];
	struct nvme_mptcp_request async_req;
	unsigned long		flags;
	int			nr_queues;	/* entries in queues[] */
	int			built;		/* stage of setup begun (ctrl.c) */
	bool			admin_tags;	/* admin_tag_set allocated */
	bool			io_tags;	/* tag_set allocated */
	struct work_struct	err_work;
	struct delayed_work	connect_work;
	unsigned long		lost_since;	/* jiffies: error recovery began */
	struct list_head	list;
	struct dentry		*debugfs;
	struct file		*pin;		/* holds this module (ctrl.c) */
};

static inline struct nvme_mptcp_ctrl *to_mptcp_ctrl(struct nvme_ctrl *ctrl)
{
	return container_of(ctrl, struct nvme_mptcp_ctrl, ctrl);
}

static inline struct nvme_mptcp_request *to_mptcp_req(struct request *rq)
{
	return blk_mq_rq_to_pdu(rq);
}

static inline u8 nvme_mptcp_hdgst_len(struct nvme_mptcp_queue *queue)
{
	return queue->hdr_digest ? NVME_TCP_DIGEST_LENGTH : 0;
}

static inline u8 nvme_mptcp_ddgst_len(struct nvme_mptcp_queue *queue)
{
	return queue->data_digest ? NVME_TCP_DIGEST_LENGTH : 0;
}

static inline int nvme_mptcp_queue_state(struct nvme_mptcp_queue *queue)
{
	return READ_ONCE(queue->state);
}

/* io_work serves the socket (the queue may not be LIVE yet). */
static inline bool nvme_mptcp_queue_serving(struct nvme_mptcp_queue *queue)
{
	int state = nvme_mptcp_queue_state(queue);

	return state == NVME_MPTCP_QS_SERVING || state == NVME_MPTCP_QS_LIVE;
}

static inline bool nvme_mptcp_queue_live(struct nvme_mptcp_queue *queue)
{
	return nvme_mptcp_queue_state(queue) == NVME_MPTCP_QS_LIVE;
}

static inline enum nvme_ctrl_state nvme_mptcp_state(struct nvme_ctrl *ctrl)
{
	return READ_ONCE(ctrl->state);
}

/* main.c */
extern struct workqueue_struct *nvme_mptcp_wq;

/* ctrl.c */
typedef void (*nvme_mptcp_ctrl_fn)(struct nvme_mptcp_ctrl *ctrl, void *arg);
void nvme_mptcp_visit_ctrls(nvme_mptcp_ctrl_fn fn, void *arg);
struct nvme_ctrl *nvme_mptcp_create_ctrl(struct device *dev,
					 struct nvmf_ctrl_options *opts);
void nvme_mptcp_error_recovery(struct nvme_ctrl *ctrl);
unsigned long nvme_mptcp_connect_timeout(struct nvme_mptcp_ctrl *ctrl);

/* queue.c */
int nvme_mptcp_init_queue(struct nvme_mptcp_ctrl *ctrl, int qid);
void nvme_mptcp_destroy_queue(struct nvme_mptcp_queue *queue);
int nvme_mptcp_queue_open(struct nvme_mptcp_queue *queue);
int nvme_mptcp_queue_serve(struct nvme_mptcp_queue *queue);
void nvme_mptcp_queue_quiet(struct nvme_mptcp_queue *queue);
void nvme_mptcp_queue_close(struct nvme_mptcp_queue *queue);
void nvme_mptcp_queue_failed(struct nvme_mptcp_queue *queue);
int nvme_mptcp_queue_local_addr(struct nvme_mptcp_queue *queue,
				struct sockaddr_storage *addr);
void nvme_mptcp_queue_request(struct nvme_mptcp_request *req, bool last);
void nvme_mptcp_kick(struct nvme_mptcp_queue *queue);

/* request.c */
extern const struct blk_mq_ops nvme_mptcp_mq_ops;
extern const struct blk_mq_ops nvme_mptcp_admin_mq_ops;
void nvme_mptcp_submit_async_event(struct nvme_ctrl *ctrl);

/* tx.c */
int nvme_mptcp_try_send(struct nvme_mptcp_queue *queue);
void nvme_mptcp_setup_h2c(struct nvme_mptcp_request *req);
void nvme_mptcp_reset_send(struct nvme_mptcp_queue *queue);

/* rx.c */
extern atomic_long_t nvme_mptcp_refusal_count[];	/* by nvme_mptcp_refusal */
void nvme_mptcp_init_recv(struct nvme_mptcp_queue *queue);
int nvme_mptcp_try_recv(struct nvme_mptcp_queue *queue);
void nvme_mptcp_complete_answered(struct nvme_mptcp_request *req);

/* data.c */
void nvme_mptcp_cursor_init(struct nvme_mptcp_request *req, unsigned int dir);
struct iov_iter *nvme_mptcp_cursor_iter(struct nvme_mptcp_request *req);
u32 nvme_mptcp_crc_iter(u32 crc, const struct iov_iter *iter, size_t len);
int nvme_mptcp_iter_bvecs(const struct iov_iter *iter, size_t len,
			  struct bio_vec *bv, int max);
u32 nvme_mptcp_crc(u32 crc, const void *buf, size_t len);
__le32 nvme_mptcp_crc_final(u32 crc);

/* debugfs.c */
void nvme_mptcp_debugfs_init(void);
void nvme_mptcp_debugfs_exit(void);
void nvme_mptcp_debugfs_add(struct nvme_mptcp_ctrl *ctrl);
void nvme_mptcp_debugfs_remove(struct nvme_mptcp_ctrl *ctrl);

#endif /* _NVME_MPTCP_H */
