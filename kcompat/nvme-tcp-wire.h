/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The NVMe/TCP PDU layout the header checks read, as the transport binding
 * describes it: byte offsets into a PDU, type codes, flag bits and fatal
 * error status codes.  No kernel header is included, so the checks build
 * both into the modules and into the userspace fuzz targets (tests/fuzz);
 * in a module build, the end of this file asserts that every one agrees
 * with <linux/nvme-tcp.h>.
 */
#ifndef _NVME_TCP_WIRE_H
#define _NVME_TCP_WIRE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
#endif

/* Common header: 8 bytes that start every PDU. */
#define NTW_TYPE		0	/* PDU type */
#define NTW_FLAGS		1
#define NTW_HLEN		2	/* header length, without digest */
#define NTW_PDO			3	/* where data starts, 0 if none */
#define NTW_PLEN		4	/* whole PDU, le32 */
#define NTW_CH_LEN		8

/* PDU types. */
#define NTW_ICREQ	0x00
#define NTW_ICRESP	0x01
#define NTW_H2C_TERM	0x02
#define NTW_C2H_TERM	0x03
#define NTW_CMD		0x04
#define NTW_RSP		0x05
#define NTW_H2C_DATA	0x06
#define NTW_C2H_DATA	0x07
#define NTW_R2T		0x09

/* Common header flags; LAST and SUCCESS only in data PDUs. */
#define NTW_F_HDGST		0x01
#define NTW_F_DDGST		0x02
#define NTW_F_DATA_LAST		0x04
#define NTW_F_DATA_SUCCESS	0x08

#define NTW_DIGEST_LEN		4	/* CRC32C, header or data */

/* ICReq: the host's connection parameters. */
#define NTW_ICREQ_PFV		8	/* le16, format version */
#define NTW_ICREQ_HPDA		10	/* host data alignment, 0's based dwords */
#define NTW_ICREQ_DGST		11	/* digests the host asks for */
#define NTW_ICREQ_LEN		128
#define NTW_PFV_1_0		0x0000
#define NTW_DGST_HDR		0x01
#define NTW_DGST_DATA		0x02

/* Capsules: a 64-byte command or a 16-byte completion after the 8. */
#define NTW_CMD_LEN		72
#define NTW_RSP_LEN		24
#define NTW_RSP_CID		(NTW_CH_LEN + 12)	/* completion's command_id */

/* H2CData, C2HData and R2T share one 24-byte layout. */
#define NTW_DATA_CID		8	/* command_id, le16 */
#define NTW_DATA_TTAG		10	/* transfer tag, le16 */
#define NTW_DATA_OFFSET		12	/* le32 */
#define NTW_DATA_LENGTH		16	/* le32 */
#define NTW_DATA_LEN		24

/* C2HTermReq/H2CTermReq fatal error status. */
#define NTW_FES_BAD_HDR	0x01	/* invalid header field */
#define NTW_FES_SEQ	0x02	/* PDU sequence error */
#define NTW_FES_HDGST	0x03	/* header digest error */
#define NTW_FES_RANGE	0x04	/* data transfer out of range */
#define NTW_FES_LIMIT	0x05	/* data transfer limit exceeded */
#define NTW_FES_PARAM	0x06	/* unsupported parameter */

/* Little-endian fields at any alignment, in either build. */
static inline u16 ntw_le16(const u8 *p)
{
	return p[0] | p[1] << 8;
}

static inline u32 ntw_le32(const u8 *p)
{
	return ntw_le16(p) | (u32)ntw_le16(p + 2) << 16;
}

#ifdef __KERNEL__
#include <linux/nvme-tcp.h>

#define NTW_AT(type, field)	offsetof(struct type, field)
static_assert(NTW_AT(nvme_tcp_hdr, type) == NTW_TYPE);
static_assert(NTW_AT(nvme_tcp_hdr, flags) == NTW_FLAGS);
static_assert(NTW_AT(nvme_tcp_hdr, hlen) == NTW_HLEN);
static_assert(NTW_AT(nvme_tcp_hdr, pdo) == NTW_PDO);
static_assert(NTW_AT(nvme_tcp_hdr, plen) == NTW_PLEN);
static_assert(sizeof(struct nvme_tcp_hdr) == NTW_CH_LEN);
static_assert(nvme_tcp_icreq == NTW_ICREQ && nvme_tcp_icresp == NTW_ICRESP);
static_assert(nvme_tcp_h2c_term == NTW_H2C_TERM && nvme_tcp_c2h_term == NTW_C2H_TERM);
static_assert(nvme_tcp_cmd == NTW_CMD && nvme_tcp_rsp == NTW_RSP);
static_assert(nvme_tcp_h2c_data == NTW_H2C_DATA && nvme_tcp_c2h_data == NTW_C2H_DATA);
static_assert(nvme_tcp_r2t == NTW_R2T);
static_assert(NVME_TCP_F_HDGST == NTW_F_HDGST && NVME_TCP_F_DDGST == NTW_F_DDGST);
static_assert(NVME_TCP_F_DATA_LAST == NTW_F_DATA_LAST);
static_assert(NVME_TCP_F_DATA_SUCCESS == NTW_F_DATA_SUCCESS);
static_assert(NVME_TCP_DIGEST_LENGTH == NTW_DIGEST_LEN);
static_assert(NTW_AT(nvme_tcp_icreq_pdu, pfv) == NTW_ICREQ_PFV);
static_assert(NTW_AT(nvme_tcp_icreq_pdu, hpda) == NTW_ICREQ_HPDA);
static_assert(NTW_AT(nvme_tcp_icreq_pdu, digest) == NTW_ICREQ_DGST);
static_assert(sizeof(struct nvme_tcp_icreq_pdu) == NTW_ICREQ_LEN);
static_assert(NVME_TCP_PFV_1_0 == NTW_PFV_1_0);
static_assert(NVME_TCP_HDR_DIGEST_ENABLE == NTW_DGST_HDR);
static_assert(NVME_TCP_DATA_DIGEST_ENABLE == NTW_DGST_DATA);
static_assert(sizeof(struct nvme_tcp_cmd_pdu) == NTW_CMD_LEN);
static_assert(sizeof(struct nvme_tcp_rsp_pdu) == NTW_RSP_LEN);
static_assert(NTW_AT(nvme_tcp_rsp_pdu, cqe.command_id) == NTW_RSP_CID);
/* H2CData, C2HData and R2T: one layout. */
static_assert(NTW_AT(nvme_tcp_data_pdu, command_id) == NTW_DATA_CID);
static_assert(NTW_AT(nvme_tcp_data_pdu, ttag) == NTW_DATA_TTAG);
static_assert(NTW_AT(nvme_tcp_data_pdu, data_offset) == NTW_DATA_OFFSET);
static_assert(NTW_AT(nvme_tcp_data_pdu, data_length) == NTW_DATA_LENGTH);
static_assert(sizeof(struct nvme_tcp_data_pdu) == NTW_DATA_LEN);
static_assert(NTW_AT(nvme_tcp_r2t_pdu, command_id) == NTW_DATA_CID);
static_assert(NTW_AT(nvme_tcp_r2t_pdu, ttag) == NTW_DATA_TTAG);
static_assert(NTW_AT(nvme_tcp_r2t_pdu, r2t_offset) == NTW_DATA_OFFSET);
static_assert(NTW_AT(nvme_tcp_r2t_pdu, r2t_length) == NTW_DATA_LENGTH);
static_assert(sizeof(struct nvme_tcp_r2t_pdu) == NTW_DATA_LEN);
static_assert(NVME_TCP_FES_INVALID_PDU_HDR == NTW_FES_BAD_HDR);
static_assert(NVME_TCP_FES_PDU_SEQ_ERR == NTW_FES_SEQ);
static_assert(NVME_TCP_FES_HDR_DIGEST_ERR == NTW_FES_HDGST);
static_assert(NVME_TCP_FES_DATA_OUT_OF_RANGE == NTW_FES_RANGE);
static_assert(NVME_TCP_FES_DATA_LIMIT_EXCEEDED == NTW_FES_LIMIT);
static_assert(NVME_TCP_FES_UNSUPPORTED_PARAM == NTW_FES_PARAM);
#undef NTW_AT
#endif /* __KERNEL__ */

#endif /* _NVME_TCP_WIRE_H */
