/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether a PDU header from a controller is acceptable: pure functions of
 * the header bytes and the queue's (and the addressed command's) state,
 * built into the module and into tests/fuzz.  rx.c looks the command up,
 * checks the header digest, logs and resets.
 */
#ifndef _NVME_MPTCP_PDU_CHECK_H
#define _NVME_MPTCP_PDU_CHECK_H

#include "nvme-tcp-wire.h"

/* All PDUs a host accepts have a 24-byte header. */
#define NVME_MPTCP_RX_HLEN	24

/* What the checks need of the queue. */
struct nvme_mptcp_rx_params {
	bool	hdr_digest;
	bool	data_digest;
};

/* The command a C2HData or R2T names by command_id. */
struct nvme_mptcp_rx_cmd {
	bool	found;		/* outstanding, and of this generation */
	bool	write;		/* else it reads (or moves nothing) */
	bool	tx_busy;	/* transmit holds its data */
	u32	data_len;	/* its buffer */
	u32	data_done;	/* moved so far */
};

/*
 * Every way the host refuses what a controller sent, one counter each
 * (debugfs "refusals", in this order).  The checks below return the first
 * group; rx.c refuses the rest itself, as only it has the state they need.
 */
enum nvme_mptcp_refusal {
	NVME_MPTCP_PDU_OK,
	NVME_MPTCP_PDU_HLEN,
	NVME_MPTCP_PDU_HDGST_FLAG,
	NVME_MPTCP_PDU_PLEN,
	NVME_MPTCP_PDU_TYPE,
	NVME_MPTCP_PDU_C2H_CID,
	NVME_MPTCP_PDU_C2H_NOT_READ,
	NVME_MPTCP_PDU_C2H_DDGST_FLAG,
	NVME_MPTCP_PDU_C2H_RANGE,
	NVME_MPTCP_PDU_C2H_PDO,
	NVME_MPTCP_PDU_C2H_PLEN,
	NVME_MPTCP_PDU_C2H_SUCCESS,
	NVME_MPTCP_PDU_R2T_CID,
	NVME_MPTCP_PDU_R2T_NOT_WRITE,
	NVME_MPTCP_PDU_R2T_RANGE,
	/* rx.c's own: these reset the controller too */
	NVME_MPTCP_PDU_HDR_DIGEST,
	NVME_MPTCP_PDU_AEN_UNSOLICITED,
	NVME_MPTCP_PDU_RSP_CID,
	NVME_MPTCP_PDU_RSP_SECOND,
	NVME_MPTCP_PDU_RSP_EARLY_SUCCESS,
	NVME_MPTCP_PDU_RSP_READ_SHORT,
	NVME_MPTCP_PDU_C2H_SUCCESS_SHORT,
	/* a bad data digest fails only its command */
	NVME_MPTCP_PDU_DATA_DIGEST,
	/* not a refusal: the controller ended the connection */
	NVME_MPTCP_PDU_C2H_TERM,
	NVME_MPTCP_PDU_NR_REFUSALS,
};

/* A reason's stable short name (debugfs, tests) and what the log says. */
struct nvme_mptcp_refusal_name {
	const char	*slug;
	const char	*what;
};

extern const struct nvme_mptcp_refusal_name
nvme_mptcp_refusals[NVME_MPTCP_PDU_NR_REFUSALS];

/* Why a header was refused, for the log: what was wrong, the value found. */
struct nvme_mptcp_pdu_err {
	enum nvme_mptcp_refusal reason;
	const char	*what;
	u32		value;
};

/*
 * The header's length and digest flag, before its digest is checked;
 * @hdr holds NVME_MPTCP_RX_HLEN bytes.
 */
enum nvme_mptcp_refusal
nvme_mptcp_check_common(const u8 *hdr, const struct nvme_mptcp_rx_params *p,
			struct nvme_mptcp_pdu_err *err);

/*
 * Its type, and the length of a header-only PDU: accepted, it is a
 * response or an R2T of NVME_MPTCP_RX_HLEN bytes (plus digest), or a
 * C2HData for nvme_mptcp_check_c2h().
 */
enum nvme_mptcp_refusal
nvme_mptcp_check_type(const u8 *hdr, const struct nvme_mptcp_rx_params *p,
		      struct nvme_mptcp_pdu_err *err);

/*
 * A C2HData for @cmd.  Accepted: *len bytes of data follow (then the
 * digest), for the buffer at cmd->data_done, all within cmd->data_len.
 */
enum nvme_mptcp_refusal
nvme_mptcp_check_c2h(const u8 *hdr, const struct nvme_mptcp_rx_params *p,
		     const struct nvme_mptcp_rx_cmd *cmd, u32 *len,
		     struct nvme_mptcp_pdu_err *err);

/*
 * An R2T for @cmd.  Accepted: it asks for r2t_length bytes at
 * cmd->data_done, all within cmd->data_len.
 */
enum nvme_mptcp_refusal
nvme_mptcp_check_r2t(const u8 *hdr, const struct nvme_mptcp_rx_cmd *cmd,
		     struct nvme_mptcp_pdu_err *err);

#endif /* _NVME_MPTCP_PDU_CHECK_H */
