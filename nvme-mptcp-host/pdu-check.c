// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of the PDU headers a controller sends, in the order rx.c has
 * always refused in (the log names the first fault found).  No side
 * effects, no kernel API: tests/fuzz runs this very file in userspace.
 */
#include "pdu-check.h"

/* Slugs are an interface (tests read them): add, never rename. */
const struct nvme_mptcp_refusal_name
nvme_mptcp_refusals[NVME_MPTCP_PDU_NR_REFUSALS] = {
	[NVME_MPTCP_PDU_HLEN] = { "hlen", "header length" },
	[NVME_MPTCP_PDU_HDGST_FLAG] = { "hdgst-flag", "header digest flag" },
	[NVME_MPTCP_PDU_PLEN] = { "plen", "PDU length (plen)" },
	[NVME_MPTCP_PDU_TYPE] = { "type", "PDU type" },
	[NVME_MPTCP_PDU_C2H_CID] = { "c2h-cid", "C2HData for unknown command_id" },
	[NVME_MPTCP_PDU_C2H_NOT_READ] = {
		"c2h-not-read", "C2HData for a command that reads nothing" },
	[NVME_MPTCP_PDU_C2H_DDGST_FLAG] = { "c2h-ddgst-flag", "C2HData data digest flag" },
	[NVME_MPTCP_PDU_C2H_RANGE] = { "c2h-offset", "C2HData offset/length" },
	[NVME_MPTCP_PDU_C2H_PDO] = { "c2h-pdo", "C2HData data offset (pdo)" },
	[NVME_MPTCP_PDU_C2H_PLEN] = { "c2h-plen", "C2HData length (plen)" },
	[NVME_MPTCP_PDU_C2H_SUCCESS] = { "c2h-success-not-last", "C2HData SUCCESS without LAST" },
	[NVME_MPTCP_PDU_R2T_CID] = { "r2t-cid", "R2T for unknown command_id" },
	[NVME_MPTCP_PDU_R2T_NOT_WRITE] = {
		"r2t-not-write", "R2T for a command with nothing to write" },
	[NVME_MPTCP_PDU_R2T_RANGE] = { "r2t-offset", "R2T offset/length" },
	[NVME_MPTCP_PDU_HDR_DIGEST] = { "hdr-digest", "header digest" },
	[NVME_MPTCP_PDU_AEN_UNSOLICITED] = { "aen-unsolicited", "unsolicited AEN completion" },
	[NVME_MPTCP_PDU_RSP_CID] = { "rsp-unknown-cid", "response for unknown command_id" },
	[NVME_MPTCP_PDU_RSP_SECOND] = { "rsp-second", "second response for a command" },
	[NVME_MPTCP_PDU_RSP_EARLY_SUCCESS] = {
		"rsp-success-early", "success before the command's data was sent" },
	[NVME_MPTCP_PDU_RSP_READ_SHORT] = { "rsp-read-short", "read success before all data" },
	[NVME_MPTCP_PDU_C2H_SUCCESS_SHORT] = {
		"c2h-success-short", "C2HData SUCCESS before all read data" },
	[NVME_MPTCP_PDU_DATA_DIGEST] = { "data-digest", "data digest" },
	[NVME_MPTCP_PDU_C2H_TERM] = { "c2h-term", "C2HTermReq from the controller" },
};

static enum nvme_mptcp_refusal refuse(struct nvme_mptcp_pdu_err *err,
				      enum nvme_mptcp_refusal reason,
				      u32 value)
{
	err->reason = reason;
	err->what = nvme_mptcp_refusals[reason].what;
	err->value = value;
	return reason;
}

static u8 hdgst_len(const struct nvme_mptcp_rx_params *p)
{
	return p->hdr_digest ? NTW_DIGEST_LEN : 0;
}

enum nvme_mptcp_refusal
nvme_mptcp_check_common(const u8 *hdr, const struct nvme_mptcp_rx_params *p,
			struct nvme_mptcp_pdu_err *err)
{
	u8 flags = hdr[NTW_FLAGS];

	if (hdr[NTW_HLEN] != NVME_MPTCP_RX_HLEN)
		return refuse(err, NVME_MPTCP_PDU_HLEN, hdr[NTW_HLEN]);
	if (!!(flags & NTW_F_HDGST) != p->hdr_digest)
		return refuse(err, NVME_MPTCP_PDU_HDGST_FLAG, flags);
	return NVME_MPTCP_PDU_OK;
}

enum nvme_mptcp_refusal
nvme_mptcp_check_type(const u8 *hdr, const struct nvme_mptcp_rx_params *p,
		      struct nvme_mptcp_pdu_err *err)
{
	u32 plen = ntw_le32(hdr + NTW_PLEN);

	switch (hdr[NTW_TYPE]) {
	case NTW_RSP:
	case NTW_R2T:
		if (plen != (u32)NVME_MPTCP_RX_HLEN + hdgst_len(p) || hdr[NTW_PDO])
			return refuse(err, NVME_MPTCP_PDU_PLEN, plen);
		return NVME_MPTCP_PDU_OK;
	case NTW_C2H_DATA:
		return NVME_MPTCP_PDU_OK;
	default:
		return refuse(err, NVME_MPTCP_PDU_TYPE, hdr[NTW_TYPE]);
	}
}

enum nvme_mptcp_refusal
nvme_mptcp_check_c2h(const u8 *hdr, const struct nvme_mptcp_rx_params *p,
		     const struct nvme_mptcp_rx_cmd *cmd, u32 *len,
		     struct nvme_mptcp_pdu_err *err)
{
	u8 flags = hdr[NTW_FLAGS];
	u8 hdgst = hdgst_len(p);
	u8 ddgst = (flags & NTW_F_DDGST) ? NTW_DIGEST_LEN : 0;
	u16 cid = ntw_le16(hdr + NTW_DATA_CID);
	u32 dlen = ntw_le32(hdr + NTW_DATA_LENGTH);
	u32 off = ntw_le32(hdr + NTW_DATA_OFFSET);
	u32 plen = ntw_le32(hdr + NTW_PLEN);

	if (!cmd->found)
		return refuse(err, NVME_MPTCP_PDU_C2H_CID, cid);
	if (cmd->write || !cmd->data_len || cmd->tx_busy)
		return refuse(err, NVME_MPTCP_PDU_C2H_NOT_READ, cid);
	if (!!ddgst != p->data_digest)
		return refuse(err, NVME_MPTCP_PDU_C2H_DDGST_FLAG, flags);
	if (!dlen || off != cmd->data_done || dlen > cmd->data_len - off)
		return refuse(err, NVME_MPTCP_PDU_C2H_RANGE, off);
	if (hdr[NTW_PDO] != NVME_MPTCP_RX_HLEN + hdgst)
		return refuse(err, NVME_MPTCP_PDU_C2H_PDO, hdr[NTW_PDO]);
	/* 64 bits: a dlen near 4 GiB must not wrap into a match. */
	if (plen != (u64)NVME_MPTCP_RX_HLEN + hdgst + dlen + ddgst)
		return refuse(err, NVME_MPTCP_PDU_C2H_PLEN, plen);
	if ((flags & NTW_F_DATA_SUCCESS) && !(flags & NTW_F_DATA_LAST))
		return refuse(err, NVME_MPTCP_PDU_C2H_SUCCESS, flags);
	*len = dlen;
	return NVME_MPTCP_PDU_OK;
}

enum nvme_mptcp_refusal
nvme_mptcp_check_r2t(const u8 *hdr, const struct nvme_mptcp_rx_cmd *cmd,
		     struct nvme_mptcp_pdu_err *err)
{
	u16 cid = ntw_le16(hdr + NTW_DATA_CID);
	u32 len = ntw_le32(hdr + NTW_DATA_LENGTH);
	u32 off = ntw_le32(hdr + NTW_DATA_OFFSET);

	if (!cmd->found)
		return refuse(err, NVME_MPTCP_PDU_R2T_CID, cid);
	if (!cmd->write || !cmd->data_len || cmd->tx_busy)
		return refuse(err, NVME_MPTCP_PDU_R2T_NOT_WRITE, cid);
	/* maxr2t is 0 (one outstanding R2T), so offsets only go forward. */
	if (!len || off != cmd->data_done || len > cmd->data_len - off)
		return refuse(err, NVME_MPTCP_PDU_R2T_RANGE, off);
	return NVME_MPTCP_PDU_OK;
}
