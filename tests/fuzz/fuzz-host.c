// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for nvme-mptcp-host/pdu-check.c: the checks of what a
 * controller sends.  Drives them as rx.c does (header length and digest
 * flag, type, then C2HData or R2T against the command) and, whenever a
 * header is accepted, asserts what the rest of the host relies on: data
 * lands within the command's buffer, right where the last piece ended,
 * and plen is exactly header, digests and data.
 *
 * Input: flags (bit 0 header digest, 1 data digest, 2 the command_id names
 * an outstanding command, 3 it writes, 4 transmit holds it), the command's
 * data_len and data_done (le32 each), then the 24-byte header.
 */
#include "fuzz-common.h"
#include "pdu-check.h"

static void check_refusal(enum nvme_mptcp_refusal r,
			  const struct nvme_mptcp_pdu_err *err)
{
	FUZZ_ASSERT(r > NVME_MPTCP_PDU_OK && r < NVME_MPTCP_PDU_NR_REFUSALS);
	FUZZ_ASSERT(err->reason == r && err->what);
}

static void fuzz_c2h(const u8 *hdr, const struct nvme_mptcp_rx_params *p,
		     const struct nvme_mptcp_rx_cmd *cmd, u32 hd)
{
	u32 plen = ntw_le32(hdr + NTW_PLEN), len = 0;
	u32 off = ntw_le32(hdr + NTW_DATA_OFFSET);
	struct nvme_mptcp_pdu_err err;
	enum nvme_mptcp_refusal r;
	u8 flags = hdr[NTW_FLAGS];

	r = nvme_mptcp_check_c2h(hdr, p, cmd, &len, &err);
	if (r) {
		check_refusal(r, &err);
		return;
	}
	FUZZ_ASSERT(cmd->found && !cmd->write && !cmd->tx_busy);
	FUZZ_ASSERT(len == ntw_le32(hdr + NTW_DATA_LENGTH));
	FUZZ_ASSERT(len && off == cmd->data_done);
	FUZZ_ASSERT((u64)off + len <= cmd->data_len);
	FUZZ_ASSERT(hdr[NTW_PDO] == hd);
	FUZZ_ASSERT(!!(flags & NTW_F_DDGST) == p->data_digest);
	FUZZ_ASSERT((u64)plen == (u64)hd + len +
		    (p->data_digest ? NTW_DIGEST_LEN : 0));
	FUZZ_ASSERT(!(flags & NTW_F_DATA_SUCCESS) || (flags & NTW_F_DATA_LAST));
}

static void fuzz_r2t(const u8 *hdr, const struct nvme_mptcp_rx_cmd *cmd)
{
	u32 len = ntw_le32(hdr + NTW_DATA_LENGTH);
	u32 off = ntw_le32(hdr + NTW_DATA_OFFSET);
	struct nvme_mptcp_pdu_err err;
	enum nvme_mptcp_refusal r;

	r = nvme_mptcp_check_r2t(hdr, cmd, &err);
	if (r) {
		check_refusal(r, &err);
		return;
	}
	FUZZ_ASSERT(cmd->found && cmd->write && !cmd->tx_busy);
	FUZZ_ASSERT(len && off == cmd->data_done);
	FUZZ_ASSERT((u64)off + len <= cmd->data_len);
}

static void fuzz_hdr(const u8 *hdr, const struct nvme_mptcp_rx_params *p,
		     const struct nvme_mptcp_rx_cmd *cmd, u32 hd)
{
	struct nvme_mptcp_pdu_err err;
	enum nvme_mptcp_refusal r;

	r = nvme_mptcp_check_common(hdr, p, &err);
	if (r) {
		check_refusal(r, &err);
		return;
	}
	FUZZ_ASSERT(hdr[NTW_HLEN] == NVME_MPTCP_RX_HLEN);
	FUZZ_ASSERT(!!(hdr[NTW_FLAGS] & NTW_F_HDGST) == p->hdr_digest);
	/* rx.c checks the header digest here. */
	r = nvme_mptcp_check_type(hdr, p, &err);
	if (r) {
		check_refusal(r, &err);
		return;
	}
	switch (hdr[NTW_TYPE]) {
	case NTW_RSP:
		FUZZ_ASSERT(ntw_le32(hdr + NTW_PLEN) == hd && !hdr[NTW_PDO]);
		break;
	case NTW_R2T:
		FUZZ_ASSERT(ntw_le32(hdr + NTW_PLEN) == hd && !hdr[NTW_PDO]);
		fuzz_r2t(hdr, cmd);
		break;
	case NTW_C2H_DATA:
		fuzz_c2h(hdr, p, cmd, hd);
		break;
	default:
		FUZZ_ASSERT(!"a type the host does not take was accepted");
	}
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct nvme_mptcp_rx_params p;
	struct nvme_mptcp_rx_cmd cmd;
	u8 flags = fuzz_u8(&in), buf[NVME_MPTCP_RX_HLEN + NTW_DIGEST_LEN], *hdr;
	u32 hd;

	p.hdr_digest = flags & 1;
	p.data_digest = flags & 2;
	cmd.found = flags & 4;
	cmd.write = flags & 8;
	cmd.tx_busy = flags & 16;
	cmd.data_len = fuzz_u32(&in);
	/* What the module holds true: data_done <= data_len. */
	cmd.data_done = fuzz_u32(&in) % ((u64)cmd.data_len + 1);
	fuzz_rest(&in, buf, sizeof(buf));
	hd = NVME_MPTCP_RX_HLEN + (p.hdr_digest ? NTW_DIGEST_LEN : 0);
	/* rx.c checks a header once it has it and its digest: hd bytes. */
	hdr = fuzz_dup(buf, hd);
	fuzz_hdr(hdr, &p, &cmd, hd);
	free(hdr);
	return 0;
}

