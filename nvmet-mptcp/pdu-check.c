// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of the PDU headers a host sends: the order of the tests is the
 * order rx.c has always refused in, so the first fault found is the one
 * the C2HTermReq names.  No side effects, no kernel API: tests/fuzz runs
 * this very file in userspace.
 */
#include "pdu-check.h"

static const struct {
	u16		fes;
	const char	*what;
} refusals[NVMET_MPTCP_PDU_NR_REFUSALS] = {
	[NVMET_MPTCP_PDU_HOST_TERM]	= { 0, "host terminated the connection" },
	[NVMET_MPTCP_PDU_SECOND_ICREQ]	= { NTW_FES_SEQ, "second ICReq" },
	[NVMET_MPTCP_PDU_ICREQ_HLEN]	= { NTW_FES_BAD_HDR, "ICReq header length" },
	[NVMET_MPTCP_PDU_ICREQ_PLEN]	= { NTW_FES_BAD_HDR, "ICReq length" },
	[NVMET_MPTCP_PDU_ICREQ_FLAGS]	= { NTW_FES_BAD_HDR, "ICReq flags" },
	[NVMET_MPTCP_PDU_ICREQ_PDO]	= { NTW_FES_BAD_HDR, "ICReq data offset (pdo)" },
	[NVMET_MPTCP_PDU_BEFORE_ICREQ]	= { NTW_FES_SEQ, "PDU before ICReq" },
	[NVMET_MPTCP_PDU_HLEN]		= { NTW_FES_BAD_HDR, "header length" },
	[NVMET_MPTCP_PDU_HDGST_FLAG]	= { NTW_FES_BAD_HDR, "header digest flag" },
	[NVMET_MPTCP_PDU_PLEN]		= { NTW_FES_BAD_HDR, "PDU length" },
	[NVMET_MPTCP_PDU_TYPE]		= { NTW_FES_BAD_HDR, "PDU type" },
	[NVMET_MPTCP_PDU_PFV]		= { NTW_FES_PARAM, "PDU format version" },
	[NVMET_MPTCP_PDU_HPDA]		= { NTW_FES_PARAM, "host PDU data alignment (hpda)" },
	[NVMET_MPTCP_PDU_PDO]		= { NTW_FES_BAD_HDR, "data offset (pdo)" },
	[NVMET_MPTCP_PDU_DDGST_FLAG]	= { NTW_FES_BAD_HDR, "data digest flag" },
	[NVMET_MPTCP_PDU_ICD_LIMIT]	= { NTW_FES_LIMIT, "in-capsule data beyond the limit" },
	[NVMET_MPTCP_PDU_DDGST_NO_DATA]	= { NTW_FES_BAD_HDR, "data digest flag without data" },
	[NVMET_MPTCP_PDU_H2C_NO_R2T]	= { NTW_FES_SEQ, "H2CData without an R2T (ttag)" },
	[NVMET_MPTCP_PDU_H2C_CID]	= { NTW_FES_BAD_HDR, "H2CData command_id differs from its R2T's" },
	[NVMET_MPTCP_PDU_H2C_LENGTH]	= { NTW_FES_LIMIT, "H2CData length" },
	[NVMET_MPTCP_PDU_H2C_OFFSET]	= { NTW_FES_RANGE, "H2CData offset" },
	[NVMET_MPTCP_PDU_H2C_BEYOND]	= { NTW_FES_RANGE, "H2CData beyond the R2T" },
};

/* @fei: the offending field's offset, which only some statuses report. */
static enum nvmet_mptcp_refusal refuse(struct nvmet_mptcp_pdu_err *err,
				       enum nvmet_mptcp_refusal reason,
				       u32 fei, u32 value)
{
	err->reason = reason;
	err->fes = refusals[reason].fes;
	err->fei = err->fes == NTW_FES_BAD_HDR ||
		   err->fes == NTW_FES_PARAM ? fei : 0;
	err->what = refusals[reason].what;
	err->value = value;
	return reason;
}

static u8 hdgst_len(const struct nvmet_mptcp_rx_params *p)
{
	return p->hdr_digest ? NTW_DIGEST_LEN : 0;
}

static u8 ddgst_len(const struct nvmet_mptcp_rx_params *p)
{
	return p->data_digest ? NTW_DIGEST_LEN : 0;
}

enum nvmet_mptcp_refusal
nvmet_mptcp_check_common(const u8 *ch, const struct nvmet_mptcp_rx_params *p,
			 u32 *want, struct nvmet_mptcp_pdu_err *err)
{
	u8 type = ch[NTW_TYPE], flags = ch[NTW_FLAGS];
	u8 hlen = ch[NTW_HLEN], pdo = ch[NTW_PDO];
	u32 plen = ntw_le32(ch + NTW_PLEN);
	u8 hdgst = 0, want_hlen;

	switch (type) {
	case NTW_ICREQ:
		if (p->live)
			return refuse(err, NVMET_MPTCP_PDU_SECOND_ICREQ, 0, type);
		want_hlen = NTW_ICREQ_LEN;
		if (hlen != want_hlen)
			return refuse(err, NVMET_MPTCP_PDU_ICREQ_HLEN, NTW_HLEN, hlen);
		if (plen != want_hlen)
			return refuse(err, NVMET_MPTCP_PDU_ICREQ_PLEN, NTW_PLEN, plen);
		/* No digest, no data: both fields are reserved (0). */
		if (flags)
			return refuse(err, NVMET_MPTCP_PDU_ICREQ_FLAGS, NTW_FLAGS, flags);
		if (pdo)
			return refuse(err, NVMET_MPTCP_PDU_ICREQ_PDO, NTW_PDO, pdo);
		break;
	case NTW_CMD:
	case NTW_H2C_DATA:
		if (!p->live)
			return refuse(err, NVMET_MPTCP_PDU_BEFORE_ICREQ, 0, type);
		want_hlen = type == NTW_CMD ? NTW_CMD_LEN : NTW_DATA_LEN;
		if (hlen != want_hlen)
			return refuse(err, NVMET_MPTCP_PDU_HLEN, NTW_HLEN, hlen);
		if (!!(flags & NTW_F_HDGST) != p->hdr_digest)
			return refuse(err, NVMET_MPTCP_PDU_HDGST_FLAG, NTW_FLAGS, flags);
		hdgst = hdgst_len(p);
		if (plen < (u32)want_hlen + hdgst)
			return refuse(err, NVMET_MPTCP_PDU_PLEN, NTW_PLEN, plen);
		break;
	case NTW_H2C_TERM:
		return refuse(err, NVMET_MPTCP_PDU_HOST_TERM, 0, type);
	default:
		return refuse(err, NVMET_MPTCP_PDU_TYPE, NTW_TYPE, type);
	}
	*want = want_hlen + hdgst;
	return NVMET_MPTCP_PDU_OK;
}

enum nvmet_mptcp_refusal
nvmet_mptcp_check_icreq(const u8 *pdu, struct nvmet_mptcp_pdu_err *err)
{
	u16 pfv = ntw_le16(pdu + NTW_ICREQ_PFV);
	u8 hpda = pdu[NTW_ICREQ_HPDA];

	if (pfv != NTW_PFV_1_0)
		return refuse(err, NVMET_MPTCP_PDU_PFV, NTW_ICREQ_PFV, pfv);
	/* hpda is 0's based dwords, at most 31 (128 bytes). */
	if (hpda > 31)
		return refuse(err, NVMET_MPTCP_PDU_HPDA, NTW_ICREQ_HPDA, hpda);
	return NVMET_MPTCP_PDU_OK;
}

enum nvmet_mptcp_refusal
nvmet_mptcp_check_cmd(const u8 *pdu, const struct nvmet_mptcp_rx_params *p,
		      u32 *icd_len, struct nvmet_mptcp_pdu_err *err)
{
	u8 flags = pdu[NTW_FLAGS], pdo = pdu[NTW_PDO];
	u32 plen = ntw_le32(pdu + NTW_PLEN);
	u8 hd = NTW_CMD_LEN + hdgst_len(p);
	u8 ddgst = ddgst_len(p);
	u32 len = 0;

	if (plen > hd) {
		/* ICResp said cpda 0: data starts right after the header. */
		if (pdo != hd)
			return refuse(err, NVMET_MPTCP_PDU_PDO, NTW_PDO, pdo);
		if (!!(flags & NTW_F_DDGST) != p->data_digest)
			return refuse(err, NVMET_MPTCP_PDU_DDGST_FLAG, NTW_FLAGS, flags);
		if (plen <= (u32)hd + ddgst)
			return refuse(err, NVMET_MPTCP_PDU_PLEN, NTW_PLEN, plen);
		len = plen - hd - ddgst;
		if (len > p->inline_max)
			return refuse(err, NVMET_MPTCP_PDU_ICD_LIMIT, 0, len);
	} else if (flags & NTW_F_DDGST) {
		return refuse(err, NVMET_MPTCP_PDU_DDGST_NO_DATA, NTW_FLAGS, flags);
	}
	*icd_len = len;
	return NVMET_MPTCP_PDU_OK;
}

enum nvmet_mptcp_refusal
nvmet_mptcp_check_h2c(const u8 *pdu, const struct nvmet_mptcp_rx_params *p,
		      const struct nvmet_mptcp_h2c_cmd *cmd, u32 *len,
		      struct nvmet_mptcp_pdu_err *err)
{
	u8 flags = pdu[NTW_FLAGS], pdo = pdu[NTW_PDO];
	u32 plen = ntw_le32(pdu + NTW_PLEN);
	u16 cid = ntw_le16(pdu + NTW_DATA_CID);
	u32 off = ntw_le32(pdu + NTW_DATA_OFFSET);
	u32 dlen = ntw_le32(pdu + NTW_DATA_LENGTH);
	u8 hd = NTW_DATA_LEN + hdgst_len(p);
	u8 ddgst = ddgst_len(p);

	if (!cmd || !cmd->expects_data)
		return refuse(err, NVMET_MPTCP_PDU_H2C_NO_R2T, 0,
			      ntw_le16(pdu + NTW_DATA_TTAG));
	if (cid != cmd->command_id)
		return refuse(err, NVMET_MPTCP_PDU_H2C_CID, NTW_DATA_CID, cid);
	if (pdo != hd)
		return refuse(err, NVMET_MPTCP_PDU_PDO, NTW_PDO, pdo);
	if (!!(flags & NTW_F_DDGST) != p->data_digest)
		return refuse(err, NVMET_MPTCP_PDU_DDGST_FLAG, NTW_FLAGS, flags);
	if (!dlen || dlen > NVMET_MPTCP_MAXH2CDATA)
		return refuse(err, NVMET_MPTCP_PDU_H2C_LENGTH, 0, dlen);
	if (off != cmd->rbytes)
		return refuse(err, NVMET_MPTCP_PDU_H2C_OFFSET, 0, off);
	if (dlen > cmd->transfer_len - cmd->rbytes)
		return refuse(err, NVMET_MPTCP_PDU_H2C_BEYOND, 0, dlen);
	/* dlen is at most 256 KiB: no overflow. */
	if (plen != hd + dlen + ddgst)
		return refuse(err, NVMET_MPTCP_PDU_PLEN, NTW_PLEN, plen);
	*len = dlen;
	return NVMET_MPTCP_PDU_OK;
}
