/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Whether a PDU header from a host is acceptable: pure functions of the
 * header bytes and the queue's (and, for H2CData, the command's) state,
 * built into the module and into tests/fuzz.  rx.c does the logging and
 * everything else a refusal causes.
 */
#ifndef _NVMET_MPTCP_PDU_CHECK_H
#define _NVMET_MPTCP_PDU_CHECK_H

#include "nvme-tcp-wire.h"

/* Largest H2CData PDU payload the host may send (ICResp maxdata). */
#define NVMET_MPTCP_MAXH2CDATA		(256 * 1024)

/* What the checks need of the queue. */
struct nvmet_mptcp_rx_params {
	bool	live;		/* the ICReq was answered */
	bool	hdr_digest;
	bool	data_digest;
	u32	inline_max;	/* in-capsule data this queue takes */
};

/* The command an H2CData's transfer tag names. */
struct nvmet_mptcp_h2c_cmd {
	bool	expects_data;	/* exists, and an R2T for it is out */
	u16	command_id;	/* as the capsule carried it, little-endian */
	u32	rbytes;		/* data received so far */
	u32	transfer_len;
};

enum nvmet_mptcp_refusal {
	NVMET_MPTCP_PDU_OK,
	NVMET_MPTCP_PDU_HOST_TERM,	/* H2CTermReq: not an error of ours */
	NVMET_MPTCP_PDU_SECOND_ICREQ,
	NVMET_MPTCP_PDU_ICREQ_HLEN,
	NVMET_MPTCP_PDU_ICREQ_PLEN,
	NVMET_MPTCP_PDU_ICREQ_FLAGS,
	NVMET_MPTCP_PDU_ICREQ_PDO,
	NVMET_MPTCP_PDU_BEFORE_ICREQ,
	NVMET_MPTCP_PDU_HLEN,
	NVMET_MPTCP_PDU_HDGST_FLAG,
	NVMET_MPTCP_PDU_PLEN,
	NVMET_MPTCP_PDU_TYPE,
	NVMET_MPTCP_PDU_PFV,
	NVMET_MPTCP_PDU_HPDA,
	NVMET_MPTCP_PDU_PDO,
	NVMET_MPTCP_PDU_DDGST_FLAG,
	NVMET_MPTCP_PDU_ICD_LIMIT,
	NVMET_MPTCP_PDU_DDGST_NO_DATA,
	NVMET_MPTCP_PDU_H2C_NO_R2T,
	NVMET_MPTCP_PDU_H2C_CID,
	NVMET_MPTCP_PDU_H2C_LENGTH,
	NVMET_MPTCP_PDU_H2C_OFFSET,
	NVMET_MPTCP_PDU_H2C_BEYOND,
	NVMET_MPTCP_PDU_NR_REFUSALS,
};

/*
 * Why a header was refused: the C2HTermReq's status (0: none to send) and
 * field (FEI: a byte offset into the header, 0 where the spec reserves it),
 * and for the log what was wrong and the value found.
 */
struct nvmet_mptcp_pdu_err {
	enum nvmet_mptcp_refusal reason;
	u16		fes;
	u32		fei;
	const char	*what;
	u32		value;
};

/*
 * The 8-byte common header.  Accepted: *want is how many header bytes
 * (with digest) to read in all, at most NTW_ICREQ_LEN + NTW_DIGEST_LEN.
 */
enum nvmet_mptcp_refusal
nvmet_mptcp_check_common(const u8 *ch, const struct nvmet_mptcp_rx_params *p,
			 u32 *want, struct nvmet_mptcp_pdu_err *err);

/* A whole ICReq (NTW_ICREQ_LEN bytes) that passed the common check. */
enum nvmet_mptcp_refusal
nvmet_mptcp_check_icreq(const u8 *pdu, struct nvmet_mptcp_pdu_err *err);

/*
 * A whole capsule header that passed the common check.  Accepted:
 * *icd_len is its in-capsule data, at most p->inline_max.
 */
enum nvmet_mptcp_refusal
nvmet_mptcp_check_cmd(const u8 *pdu, const struct nvmet_mptcp_rx_params *p,
		      u32 *icd_len, struct nvmet_mptcp_pdu_err *err);

/*
 * A whole H2CData header that passed the common check, for @cmd (NULL:
 * its ttag names none).  Accepted: *len bytes of data follow, at offset
 * cmd->rbytes, all within cmd->transfer_len.
 */
enum nvmet_mptcp_refusal
nvmet_mptcp_check_h2c(const u8 *pdu, const struct nvmet_mptcp_rx_params *p,
		      const struct nvmet_mptcp_h2c_cmd *cmd, u32 *len,
		      struct nvmet_mptcp_pdu_err *err);

#endif /* _NVMET_MPTCP_PDU_CHECK_H */
