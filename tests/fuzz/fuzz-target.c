// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for nvmet-mptcp/pdu-check.c: the checks of what a host
 * sends.  Drives them as rx.c does (common header, then the type's own
 * check) and, whenever a header is accepted, asserts what the rest of the
 * target relies on: the header fits the receive buffer, the data fits
 * plen, the in-capsule limit and the command's buffer, and a refusal's FEI
 * points into the header the C2HTermReq copies.
 *
 * Input: flags (bit 0 live, 1 header digest, 2 data digest, 3 the ttag
 * names a command waiting for data), inline_max, the command's command_id,
 * rbytes and transfer_len (le32 each, command_id le16), then the header.
 */
#include "fuzz-common.h"
#include "pdu-check.h"

/* rx.c's buffer: the largest header, the ICReq, and a digest. */
#define RX_BUF		(NTW_ICREQ_LEN + NTW_DIGEST_LEN)
/* What one command may move (NVMET_MPTCP_MAX_DATA): its buffer's size. */
#define MAX_DATA	(4096u << 9)

static void check_refusal(enum nvmet_mptcp_refusal r,
			  const struct nvmet_mptcp_pdu_err *err, u32 hlen)
{
	FUZZ_ASSERT(r > NVMET_MPTCP_PDU_OK && r < NVMET_MPTCP_PDU_NR_REFUSALS);
	FUZZ_ASSERT(err->reason == r && err->what);
	FUZZ_ASSERT(err->fes <= NTW_FES_PARAM);
	/* FEI: a field of the header, or 0 where the status reserves it. */
	if (err->fes == NTW_FES_BAD_HDR || err->fes == NTW_FES_PARAM)
		FUZZ_ASSERT(err->fei < hlen);
	else
		FUZZ_ASSERT(!err->fei);
}

static void fuzz_icreq(const u8 *pdu)
{
	struct nvmet_mptcp_pdu_err err;
	enum nvmet_mptcp_refusal r;
	u32 align, hd, pad;

	r = nvmet_mptcp_check_icreq(pdu, &err);
	if (r) {
		check_refusal(r, &err, NTW_ICREQ_LEN);
		return;
	}
	FUZZ_ASSERT(ntw_le16(pdu + NTW_ICREQ_PFV) == NTW_PFV_1_0);
	/* The padding rx.c derives: C2HData pdo (a u8) holds it and the header. */
	align = (pdu[NTW_ICREQ_HPDA] + 1) * 4;
	hd = NTW_DATA_LEN +
	     (pdu[NTW_ICREQ_DGST] & NTW_DGST_HDR ? NTW_DIGEST_LEN : 0);
	pad = (hd + align - 1) / align * align - hd;
	FUZZ_ASSERT(align <= 128 && hd + pad <= 255);
}

static void fuzz_cmd(const u8 *pdu, const struct nvmet_mptcp_rx_params *p,
		     u32 hd)
{
	u32 plen = ntw_le32(pdu + NTW_PLEN), icd_len = 0xdeadbeef;
	struct nvmet_mptcp_pdu_err err;
	enum nvmet_mptcp_refusal r;

	r = nvmet_mptcp_check_cmd(pdu, p, &icd_len, &err);
	if (r) {
		check_refusal(r, &err, NTW_CMD_LEN);
		return;
	}
	FUZZ_ASSERT(icd_len <= p->inline_max);
	if (!icd_len) {
		FUZZ_ASSERT(plen == hd && !(pdu[NTW_FLAGS] & NTW_F_DDGST));
		return;
	}
	FUZZ_ASSERT(pdu[NTW_PDO] == hd);
	FUZZ_ASSERT((u64)plen == (u64)hd + icd_len +
		    (p->data_digest ? NTW_DIGEST_LEN : 0));
}

static void fuzz_h2c(const u8 *pdu, const struct nvmet_mptcp_rx_params *p,
		     const struct nvmet_mptcp_h2c_cmd *cmd, u32 hd)
{
	u32 plen = ntw_le32(pdu + NTW_PLEN), len = 0;
	struct nvmet_mptcp_pdu_err err;
	enum nvmet_mptcp_refusal r;

	r = nvmet_mptcp_check_h2c(pdu, p, cmd->expects_data ? cmd : NULL,
				  &len, &err);
	if (r) {
		check_refusal(r, &err, NTW_DATA_LEN);
		return;
	}
	FUZZ_ASSERT(cmd->expects_data);
	FUZZ_ASSERT(ntw_le16(pdu + NTW_DATA_CID) == cmd->command_id);
	FUZZ_ASSERT(len && len <= NVMET_MPTCP_MAXH2CDATA);
	FUZZ_ASSERT(ntw_le32(pdu + NTW_DATA_OFFSET) == cmd->rbytes);
	FUZZ_ASSERT((u64)cmd->rbytes + len <= cmd->transfer_len);
	FUZZ_ASSERT(pdu[NTW_PDO] == hd);
	FUZZ_ASSERT(!!(pdu[NTW_FLAGS] & NTW_F_DDGST) == p->data_digest);
	FUZZ_ASSERT((u64)plen == (u64)hd + len +
		    (p->data_digest ? NTW_DIGEST_LEN : 0));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct nvmet_mptcp_rx_params p;
	struct nvmet_mptcp_h2c_cmd cmd;
	struct nvmet_mptcp_pdu_err err;
	enum nvmet_mptcp_refusal r;
	u8 flags = fuzz_u8(&in), pdu[RX_BUF], *hdr;
	u32 want = 0, plen, hd;

	p.live = flags & 1;
	p.hdr_digest = flags & 2;
	p.data_digest = flags & 4;
	p.inline_max = fuzz_u32(&in);
	cmd.expects_data = flags & 8;
	cmd.command_id = fuzz_u8(&in);
	cmd.command_id |= fuzz_u8(&in) << 8;
	/* What the module holds true: rbytes <= transfer_len <= MAX_DATA. */
	cmd.transfer_len = fuzz_u32(&in) % (MAX_DATA + 1);
	cmd.rbytes = fuzz_u32(&in) % (cmd.transfer_len + 1);
	fuzz_rest(&in, pdu, sizeof(pdu));

	/* rx.c checks the common header as soon as it has its 8 bytes. */
	hdr = fuzz_dup(pdu, NTW_CH_LEN);
	r = nvmet_mptcp_check_common(hdr, &p, &want, &err);
	free(hdr);
	if (r == NVMET_MPTCP_PDU_HOST_TERM) {
		FUZZ_ASSERT(pdu[NTW_TYPE] == NTW_H2C_TERM && !err.fes);
		return 0;
	}
	if (r) {
		check_refusal(r, &err, NTW_CH_LEN);
		return 0;
	}
	/* rx.c reads want bytes into its buffer: they must fit. */
	FUZZ_ASSERT(want >= NTW_CH_LEN && want <= RX_BUF);
	FUZZ_ASSERT(want == pdu[NTW_HLEN] + (pdu[NTW_TYPE] != NTW_ICREQ &&
					    p.hdr_digest ? NTW_DIGEST_LEN : 0));
	plen = ntw_le32(pdu + NTW_PLEN);
	hd = want;
	/* Then the rest of the header (and digest): want bytes in all. */
	hdr = fuzz_dup(pdu, want);
	switch (hdr[NTW_TYPE]) {
	case NTW_ICREQ:
		FUZZ_ASSERT(!p.live && hdr[NTW_HLEN] == NTW_ICREQ_LEN);
		FUZZ_ASSERT(plen == NTW_ICREQ_LEN && !hdr[NTW_FLAGS] && !hdr[NTW_PDO]);
		fuzz_icreq(hdr);
		break;
	case NTW_CMD:
		FUZZ_ASSERT(p.live && hdr[NTW_HLEN] == NTW_CMD_LEN && plen >= hd);
		fuzz_cmd(hdr, &p, hd);
		break;
	case NTW_H2C_DATA:
		FUZZ_ASSERT(p.live && hdr[NTW_HLEN] == NTW_DATA_LEN && plen >= hd);
		fuzz_h2c(hdr, &p, &cmd, hd);
		break;
	default:
		FUZZ_ASSERT(!"a type the target does not take was accepted");
	}
	free(hdr);
	return 0;
}
