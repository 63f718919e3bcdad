/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nvmet-mptcp: NVMe/TCP target transport for the kernel's own nvmet,
 * listening on MPTCP sockets.  It registers as trtype "tcp", the only
 * TCP-like name stock nvmet's configfs accepts; an MPTCP listener serves
 * plain TCP hosts too, through MPTCP's fallback sockets.
 *
 * A port is one listening socket.  Every accepted connection is a queue:
 * all its socket work (receive and send) runs in its io_work, scheduled
 * by socket wake-ups and by completed commands; its teardown runs in
 * release_work on nvmet_wq, which nvmet flushes before it frees a port.
 */
#ifndef _NVMET_MPTCP_H
#define _NVMET_MPTCP_H

#include <linux/bvec.h>
#include <linux/kref.h>
#include <linux/llist.h>
#include <linux/net.h>
#include <linux/nvme-tcp.h>
#include <linux/sizes.h>
#include <linux/socket.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include "nvmet-api.h"
#include "pdu-check.h"

#define NVMET_MPTCP_DIGEST_LEN		4
/* In-capsule data of I/O queues when the port leaves it to us (-1). */
#define NVMET_MPTCP_DEF_INLINE_DATA	(4 * PAGE_SIZE)
/* The admin queue takes 8 KiB in a capsule whatever the port says. */
#define NVMET_MPTCP_ADMIN_INLINE_DATA	SZ_8K
/*
 * Largest in-capsule data a port may offer: a host that has joined a
 * controller can keep every slot of a queue full of it (64 MiB for 1024
 * entries; nvmet-tcp's default of 16 KiB, 16 MiB).
 */
#define NVMET_MPTCP_MAX_INLINE_DATA	SZ_64K
/* Largest data transfer of one command, advertised as MDTS in 4 KiB units. */
#define NVMET_MPTCP_MDTS		9
#define NVMET_MPTCP_MAX_DATA		(SZ_4K << NVMET_MPTCP_MDTS)
#define NVMET_MPTCP_BACKLOG		128
/*
 * Connections that have not joined a controller yet: how many one port
 * keeps, and for how long.  Past either, new or idle ones are dropped,
 * so a flood of half-open connections costs bounded memory.
 */
#define NVMET_MPTCP_MAX_PENDING		512
#define NVMET_MPTCP_SETUP_TIMEOUT	(30 * HZ)
/*
 * Half of them per host address, so one address cannot take a port's
 * whole share.  A host opens all queues of a controller before it
 * connects the first, up to nvmet's 128 I/O queues: this leaves room for
 * two controllers connecting at once.
 */
#define NVMET_MPTCP_MAX_PENDING_PER_PEER	(NVMET_MPTCP_MAX_PENDING / 2)
/* A host sends its ICReq first thing: an idle connection goes sooner. */
#define NVMET_MPTCP_ICREQ_TIMEOUT	(5 * HZ)
/*
 * Largest queue a Connect may ask for (nvmet's own maximum).  nvmet checks
 * I/O queues against MQES itself, but on 6.12+ not the admin queue.
 */
#define NVMET_MPTCP_MAX_QUEUE_SIZE	1024
/*
 * An admin queue carries a few commands at a time (nvme-core's host asks
 * for 32): more slots would only let one connection pin more data.
 */
#define NVMET_MPTCP_MAX_ADMIN_QUEUE_SIZE	32
/*
 * Data buffers a queue may hold at once, beyond in-capsule data (already
 * on the wire, bounded by the in-capsule size).  A buffer is allocated
 * when its R2T goes out (or, for a read, before it executes); a command
 * that does not fit waits, without an R2T, until earlier ones are
 * answered.  Two commands of MDTS on the admin queue; on an I/O queue
 * what 128 writes of 128 KiB keep in flight.  Each budget takes at least
 * one command of MDTS: one that waits then always has a buffer in use
 * ahead of it, whose release starts it.
 */
#define NVMET_MPTCP_ADMIN_DATA_BUDGET	(2 * NVMET_MPTCP_MAX_DATA)
#define NVMET_MPTCP_IO_DATA_BUDGET	SZ_16M
static_assert(NVMET_MPTCP_MAX_DATA <= NVMET_MPTCP_ADMIN_DATA_BUDGET);
static_assert(NVMET_MPTCP_MAX_DATA <= NVMET_MPTCP_IO_DATA_BUDGET);
/* The Do Not Retry bit of an nvmet status. */
#define NVMET_MPTCP_DNR			0x4000
/* Transfer tag of the R2T for a Connect command's data (no slot yet). */
#define NVMET_MPTCP_CONNECT_TTAG	0xffff
/*
 * Receive stage, set up with the ICResp: one recvmsg takes up to this
 * much of the stream, and headers and small data are copied out of it, so
 * a queue of capsules costs one socket call for many; once it is empty,
 * data of at least this much left in a PDU goes straight from the socket
 * into the command's pages.
 */
#define NVMET_MPTCP_RX_STAGE		SZ_16K
/* Pages of command data moved by one sendmsg/recvmsg. */
#define NVMET_MPTCP_BVECS		16
/*
 * A read whose data is at most this long goes out with its PDUs in one
 * sendmsg (tx.c), its data in at most NVMET_MPTCP_GATHER_BVECS pieces.
 */
#define NVMET_MPTCP_GATHER_MAX		SZ_4K
#define NVMET_MPTCP_GATHER_BVECS	2
/* A PDU header we send (all are 24 bytes) with its digest. */
#define NVMET_MPTCP_PDU_LEN		(sizeof(struct nvme_tcp_rsp_pdu) + \
					 NVMET_MPTCP_DIGEST_LEN)
static_assert(sizeof(struct nvme_tcp_r2t_pdu) == sizeof(struct nvme_tcp_rsp_pdu));
static_assert(sizeof(struct nvme_tcp_data_pdu) == sizeof(struct nvme_tcp_rsp_pdu));
/* The largest PDU header a host sends us: the ICReq. */
#define NVMET_MPTCP_RX_HDR_MAX		sizeof(struct nvme_tcp_icreq_pdu)
#ifndef NVME_TCP_MAX_C2HTERM_PLEN
#define NVME_TCP_MAX_C2HTERM_PLEN	152
#endif
/* How much of the header in error a C2HTermReq may carry. */
#define NVMET_MPTCP_TERM_DATA_MAX	(NVME_TCP_MAX_C2HTERM_PLEN - \
					 sizeof(struct nvme_tcp_term_pdu))

/* Refusals counted after those of the header checks (refusals.c). */
enum nvmet_mptcp_refusal_more {
	/* the connection is dropped */
	NVMET_MPTCP_REF_HDR_DIGEST = NVMET_MPTCP_PDU_NR_REFUSALS,
	NVMET_MPTCP_REF_CMD_SLOTS,
	NVMET_MPTCP_REF_ICD_SGL,
	NVMET_MPTCP_REF_NO_BUFFER,
	/* the command fails, the connection lives on */
	NVMET_MPTCP_REF_DATA_DIGEST,
	NVMET_MPTCP_REF_SGL_TYPE,
	NVMET_MPTCP_REF_DATA_LENGTH,
	NVMET_MPTCP_REF_CONNECT_LENGTH,
	NVMET_MPTCP_REF_ICD_READ,
	NVMET_MPTCP_REF_QUEUE_SIZE,
	NVMET_MPTCP_REF_BUFFER_ALLOC,
	/* a connection never set up, or not accepted */
	NVMET_MPTCP_REF_ICREQ_TIMEOUT,
	NVMET_MPTCP_REF_CONNECT_TIMEOUT,
	NVMET_MPTCP_REF_PORT_PENDING,
	NVMET_MPTCP_REF_PEER_PENDING,
	NVMET_MPTCP_NR_REFUSALS,
};

struct nvmet_mptcp_port {
	struct socket		*sock;		/* the listener */
	struct nvmet_port	*nport;
	struct sockaddr_storage	addr;
	int			protocol;	/* IPPROTO_MPTCP or _TCP */
	u32			inline_data_size;
	struct wait_queue_entry	wait;		/* listener ready -> accept */
	struct work_struct	accept_work;
	atomic_t		pending;	/* queues without controller */
	/* The port itself holds one reference, every queue one more. */
	struct kref		ref;
};

enum nvmet_mptcp_cmd_state {
	NVMET_MPTCP_CMD_FREE,
	NVMET_MPTCP_CMD_DATA_IN,	/* waiting for data from the host */
	NVMET_MPTCP_CMD_EXEC,		/* nvmet owns it until queue_response */
	NVMET_MPTCP_CMD_SEND,		/* its response is on the send list */
};

/* cmd->flags */
enum {
	/* nvmet_req_init() failed: no sq reference, only a response to send */
	NVMET_MPTCP_CMD_F_INIT_FAILED	= BIT(0),
	/* in-capsule data still to receive: a response must wait for it */
	NVMET_MPTCP_CMD_F_INLINE	= BIT(1),
	/* nvmet answered while in-capsule data was still arriving */
	NVMET_MPTCP_CMD_F_RSP_DEFERRED	= BIT(2),
	/* an R2T is queued for it */
	NVMET_MPTCP_CMD_F_R2T		= BIT(3),
	/* its R2T is out: H2CData for it is welcome */
	NVMET_MPTCP_CMD_F_H2C_OK	= BIT(4),
	/* some of its data failed the data digest: it must not execute */
	NVMET_MPTCP_CMD_F_BAD_DATA	= BIT(5),
};

enum nvmet_mptcp_send_state {
	NVMET_MPTCP_SEND_R2T,
	NVMET_MPTCP_SEND_C2H,		/* C2HData header, digest, padding */
	NVMET_MPTCP_SEND_DATA,
	NVMET_MPTCP_SEND_DDGST,
	NVMET_MPTCP_SEND_RSP,
};

/* Where a command's data transfer stands in its scatterlist. */
struct nvmet_mptcp_cursor {
	struct scatterlist	*sg;
	u32			off;		/* within sg */
};

struct nvmet_mptcp_queue;

struct nvmet_mptcp_cmd {
	struct nvmet_mptcp_queue *queue;
	struct nvmet_req	req;
	struct nvme_command	cmd;		/* req.cmd */
	struct nvme_completion	cqe;		/* req.cqe */
	u16			ttag;
	u32			flags;
	enum nvmet_mptcp_cmd_state state;
	u32			rbytes;		/* data received from the host */
	u32			wbytes;		/* data sent to the host */
	u32			charged;	/* its share of queue->data_used */
	struct nvmet_mptcp_cursor cursor;

	/* send side: one PDU header (all are 24 bytes) and its digests */
	enum nvmet_mptcp_send_state snd_state;
	u32			snd_off;	/* sent of the current piece */
	u8			pdu[NVMET_MPTCP_PDU_LEN];
	u8			pdu_len;	/* header + digest */
	bool			c2h_success;	/* C2HData stands in for rsp */
	__le32			ddgst;

	struct llist_node	lentry;		/* queue->resp_list */
	struct list_head	entry;		/* free_list, send_list or budget_wait */
};

enum nvmet_mptcp_rx_state {
	NVMET_MPTCP_RX_HDR,
	NVMET_MPTCP_RX_DATA,
	NVMET_MPTCP_RX_DDGST,
	NVMET_MPTCP_RX_STOPPED,
};

/* queue->flags */
enum {
	NVMET_MPTCP_Q_LIVE,		/* ICReq answered */
	NVMET_MPTCP_Q_ATTACHED,		/* joined a controller */
	NVMET_MPTCP_Q_SETUP_DONE,	/* attached, or its setup timed out */
	NVMET_MPTCP_Q_CLOSING,		/* release scheduled */
};

struct nvmet_mptcp_queue {
	struct socket		*sock;
	struct nvmet_mptcp_port	*port;
	struct nvmet_sq		nvme_sq;
	struct nvmet_cq		nvme_cq;
	unsigned long		flags;
	unsigned int		idx;		/* names the queue in messages */
	struct list_head	entry;		/* nvmet_mptcp_queues */
	struct sockaddr_storage	local_addr;
	struct sockaddr_storage	peer_addr;

	struct wait_queue_entry	sk_wait;	/* socket events -> io_work */
	struct work_struct	io_work;
	struct work_struct	release_work;
	struct delayed_work	setup_work;	/* drops idle new connections */
	unsigned long		accepted;	/* jiffies */

	/* negotiated by ICReq/ICResp */
	bool			hdr_digest;
	bool			data_digest;
	u8			c2h_pad;	/* host's data alignment padding */

	/* commands: the Connect slot, then the array install_queue sets up */
	struct nvmet_mptcp_cmd	connect;
	struct nvmet_mptcp_cmd	*cmds;		/* published last */
	u16			nr_cmds;
	struct list_head	free_list;
	/* data buffers, io_work only */
	u32			data_used;	/* bytes of R2T and read buffers */
	struct list_head	budget_wait;	/* commands waiting for room */

	/* receive side, io_work only */
	enum nvmet_mptcp_rx_state rx_state;
	union {
		struct nvme_tcp_hdr		hdr;
		struct nvme_tcp_icreq_pdu	icreq;
		struct nvme_tcp_cmd_pdu		cmd;
		struct nvme_tcp_data_pdu	h2c;
		u8 raw[NVMET_MPTCP_RX_HDR_MAX + NVMET_MPTCP_DIGEST_LEN];
	} rx_pdu;
	u32			rx_got;		/* bytes of rx_pdu (or ddgst) */
	u32			rx_want;
	u32			rx_left;	/* data bytes left in this PDU */
	struct nvmet_mptcp_cmd	*rx_cmd;
	bool			rx_discard;	/* data of a failed command */
	u32			rx_crc;
	__le32			rx_ddgst;
	struct page		*discard_page;
	u8			*rx_stage;	/* NVMET_MPTCP_RX_STAGE bytes */
	u32			rx_stage_len;	/* read into it */
	u32			rx_stage_off;	/* of which used */

	/* send side: resp_list from any context, the rest io_work only */
	struct llist_head	resp_list;
	struct list_head	send_list;
	struct nvmet_mptcp_cmd	*snd_cmd;

	struct bio_vec		bvec[NVMET_MPTCP_BVECS];

	/*
	 * A small read's PDUs gathered for one sendmsg (tx.c): copies of
	 * the C2HData header, and of its data digest with the response,
	 * since cmds may be vmalloc memory, which a bvec cannot point at.
	 */
	u8			tx_head[NVMET_MPTCP_PDU_LEN];
	u8			tx_tail[NVMET_MPTCP_DIGEST_LEN +
					NVMET_MPTCP_PDU_LEN];
	/* header, padding, the data, digest and response */
	struct bio_vec		tx_bvec[NVMET_MPTCP_GATHER_BVECS + 3];
};

static inline u8 nvmet_mptcp_hdgst_len(struct nvmet_mptcp_queue *queue)
{
	return queue->hdr_digest ? NVMET_MPTCP_DIGEST_LEN : 0;
}

static inline u8 nvmet_mptcp_ddgst_len(struct nvmet_mptcp_queue *queue)
{
	return queue->data_digest ? NVMET_MPTCP_DIGEST_LEN : 0;
}

static inline struct nvmet_mptcp_cmd *to_mptcp_cmd(struct nvmet_req *req)
{
	return container_of(req, struct nvmet_mptcp_cmd, req);
}

/* main.c */
extern struct workqueue_struct *nvmet_mptcp_wq;
extern const struct nvmet_fabrics_ops nvmet_mptcp_ops;
extern int nvmet_mptcp_so_priority;
int nvmet_mptcp_listen_protocol(void);

/* refusals.c */
void nvmet_mptcp_count_refusal(unsigned int reason);
void nvmet_mptcp_count_data_wait(void);
void nvmet_mptcp_refusals_init(void);
void nvmet_mptcp_refusals_exit(void);

/* port.c */
int nvmet_mptcp_add_port(struct nvmet_port *nport);
void nvmet_mptcp_remove_port(struct nvmet_port *nport);
void nvmet_mptcp_disc_traddr(struct nvmet_req *req, struct nvmet_port *nport,
			     char *traddr);
void nvmet_mptcp_port_put(struct nvmet_mptcp_port *port);

/* queue.c */
void nvmet_mptcp_queue_create(struct nvmet_mptcp_port *port,
			      struct socket *sock);
void nvmet_mptcp_queue_close(struct nvmet_mptcp_queue *queue);
void nvmet_mptcp_queue_icreq_done(struct nvmet_mptcp_queue *queue);
void nvmet_mptcp_queue_fail(struct nvmet_mptcp_queue *queue);
void nvmet_mptcp_kick(struct nvmet_mptcp_queue *queue);
void nvmet_mptcp_close_port_queues(struct nvmet_mptcp_port *port);
void nvmet_mptcp_close_all_queues(void);
void nvmet_mptcp_wait_queues_gone(void);
void nvmet_mptcp_delete_ctrl(struct nvmet_ctrl *ctrl);
ssize_t nvmet_mptcp_host_traddr(struct nvmet_ctrl *ctrl, char *traddr,
				size_t len);
u16 nvmet_mptcp_install_queue(struct nvmet_sq *sq);

/* cmd.c */
void nvmet_mptcp_cmd_init(struct nvmet_mptcp_queue *queue,
			  struct nvmet_mptcp_cmd *cmd, u16 ttag);
struct nvmet_mptcp_cmd *nvmet_mptcp_get_cmd(struct nvmet_mptcp_queue *queue);
void nvmet_mptcp_put_cmd(struct nvmet_mptcp_cmd *cmd);
struct nvmet_mptcp_cmd *nvmet_mptcp_find_ttag(struct nvmet_mptcp_queue *queue,
					      u16 ttag);
int nvmet_mptcp_new_cmd(struct nvmet_mptcp_queue *queue, u32 icd_len);
void nvmet_mptcp_data_in_done(struct nvmet_mptcp_cmd *cmd);
void nvmet_mptcp_release_cmds(struct nvmet_mptcp_queue *queue);
void nvmet_mptcp_free_cmds(struct nvmet_mptcp_queue *queue);
u32 nvmet_mptcp_data_bvecs(struct nvmet_mptcp_cmd *cmd, struct bio_vec *bv,
			   int max, u32 len, int *nr);
u32 nvmet_mptcp_data_iter(struct nvmet_mptcp_cmd *cmd, struct iov_iter *iter,
			  unsigned int dir, u32 len);
void nvmet_mptcp_data_advance(struct nvmet_mptcp_cmd *cmd, u32 len);
u32 nvmet_mptcp_crc_bvecs(u32 crc, const struct bio_vec *bv, u32 len);
u32 nvmet_mptcp_crc_data(struct nvmet_mptcp_cmd *cmd);
u32 nvmet_mptcp_crc(u32 crc, const void *buf, size_t len);
__le32 nvmet_mptcp_crc_final(u32 crc);

/* rx.c */
void nvmet_mptcp_rx_init(struct nvmet_mptcp_queue *queue);
int nvmet_mptcp_try_recv(struct nvmet_mptcp_queue *queue);
void nvmet_mptcp_rx_data_for(struct nvmet_mptcp_queue *queue,
			     struct nvmet_mptcp_cmd *cmd, u32 len,
			     bool discard);
int nvmet_mptcp_proto_err(struct nvmet_mptcp_queue *queue,
			  unsigned int reason, u16 fes,
			  u32 fei, const char *what, u32 value);

/* tx.c */
void nvmet_mptcp_queue_response(struct nvmet_req *req);
void nvmet_mptcp_queue_send(struct nvmet_mptcp_cmd *cmd);
int nvmet_mptcp_try_send(struct nvmet_mptcp_queue *queue);
int nvmet_mptcp_send_icresp(struct nvmet_mptcp_queue *queue);
void nvmet_mptcp_send_term(struct nvmet_mptcp_queue *queue, u16 fes, u32 fei);

#endif /* _NVMET_MPTCP_H */
