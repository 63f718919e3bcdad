// SPDX-License-Identifier: GPL-2.0
/*
 * nvmt-bad-target: an NVMe/TCP "controller" that answers a host's first
 * command with one malformed PDU, to check that the host drops that
 * connection cleanly.  Test tool only.
 *
 * usage: nvmt-bad-target ADDR PORT CASE COUNT
 *   serves COUNT connections; CASE is a number from the table below, or
 *   "random" for random bytes after a valid ICResp, or "live": an admin-only
 *   (discovery) controller that the host brings live, and that answers the
 *   vendor-specific admin opcodes below as a target may but rarely does:
 *     0xc1 (write): R2T for all the data, takes 4 KiB of it, then fails the
 *          command (Invalid Field, DNR) and reports on exit how much data
 *          still came after that answer
 *     0xc2 (read): 512 bytes of 0xab, then a successful response with
 *          result 0x1234abcd, whatever the host's buffer
 *     0xc6 (read): the same 512 bytes, success in the C2HData (no response)
 *   or "small-ioccsz": an I/O controller (no namespaces, one I/O queue, each
 *   connection served by its own process) whose IOCCSZ is 4, 64 bytes: an
 *   I/O queue's capsule has no room for data, so the Connect there must
 *   come without its 1 KiB.  That Connect is failed (SGL Offset Invalid, as
 *   nvmet does) if its data is in the capsule, else the data is fetched by
 *   R2T and the Connect succeeds.  Each I/O queue Connect is reported.
 *   or "io": the same I/O controller with a 64 MiB namespace of zeros
 *   (512-byte blocks) that takes reads and writes, and answers these
 *   malformed, each naming the host check it must trip (an opcode's low
 *   two bits say its data direction):
 *     admin 0xd2 (read): an R2T                      (r2t-not-write)
 *     admin 0xd6 (read): C2HData with a data digest  (c2h-ddgst-flag)
 *     admin 0xda (read): C2HData of 2 GiB            (c2h-offset)
 *     admin 0xde (read): C2HData with pdo 32         (c2h-pdo)
 *     admin 0xe2 (read): C2HData plen 8 too long     (c2h-plen)
 *     admin 0xe6 (read): C2HData SUCCESS, not LAST   (c2h-success-not-last)
 *     admin 0xd1 (write, more than 8 KiB): R2T, then a failing response
 *          twice, before any data came               (rsp-second)
 *     read at LBA 8192: 512 bytes, then success      (rsp-read-short)
 *     read at LBA 8200: 512 bytes with SUCCESS       (c2h-success-short)
 *     write at LBA 8208: R2T, then success at once   (rsp-success-early)
 *   Block I/O is retried after the reset, so those answer malformed once.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* PDU types, as include/linux/nvme-tcp.h numbers them. */
enum {
	ICRESP = 0x01, C2H_TERM = 0x03, CMD = 0x04, RSP = 0x05,
	H2C_DATA = 0x06, C2H_DATA = 0x07, R2T = 0x09,
};
#define F_HDGST		0x01		/* a header digest follows */
#define F_DDGST		0x02		/* a data digest follows */
#define F_LAST		0x04		/* C2HData: last of the command */
#define F_SUCCESS	0x08		/* C2HData: stands in for a response */

struct hdr {
	uint8_t type, flags, hlen, pdo;
	uint32_t plen;
} __attribute__((packed));

static const char *const cases[] = {
	"bad ICResp version", "ICResp with data alignment", "ICResp maxdata 3",
	"response hlen 8", "unknown PDU type", "response for unknown command",
	"C2HData for a write", "R2T past the data", "C2HData too long",
	"response plen too long", "C2HTermReq", "truncated PDU then close",
	"response with a header digest", "response with a wrong header digest",
	"C2HData for unknown command", "R2T for unknown command",
	"completion for an AEN never sent", "C2HData with a wrong data digest",
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))
#define LIVE	-2
#define SMALL_IOCCSZ	-3
#define IO		-4
/* The malformed answers of "io" to block I/O, by LBA. */
#define LBA_READ_SHORT		8192
#define LBA_SUCCESS_SHORT	8200
#define LBA_EARLY_SUCCESS	8208
#define NS_BLOCKS		131072

static bool small_ioccsz;
static bool with_ns;			/* "io" */
static bool bad_ddgst;			/* C2HData with a wrong data digest */
static volatile uint8_t *fired;		/* "io": shared by all connections */
static char subnqn[224];		/* the admin Connect's, for Identify */

static int read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static void put_hdr(uint8_t *p, uint8_t type, uint8_t hlen, uint32_t plen)
{
	struct hdr h = { .type = type, .hlen = hlen, .plen = htole32(plen) };

	memcpy(p, &h, sizeof(h));
}

/* The host's first capsule (the fabrics Connect), read whole. */
static int read_capsule(int fd, uint16_t *cid)
{
	uint8_t buf[72];
	struct hdr h;
	char skip[4096];
	uint32_t left;

	if (read_full(fd, buf, sizeof(buf)))
		return -1;
	memcpy(&h, buf, sizeof(h));
	if (h.type != CMD)
		return -1;
	memcpy(cid, buf + 8 + 2, 2);
	for (left = le32toh(h.plen) - sizeof(buf); left;) {
		uint32_t n = left < sizeof(skip) ? left : sizeof(skip);

		if (read_full(fd, skip, n))
			return -1;
		left -= n;
	}
	return 0;
}

/* ---- "live": an admin-only controller the host brings live ---- */

struct live {
	int fd;
	uint64_t cc;
	uint8_t sqe[64];
	uint8_t data[16384];		/* in-capsule data */
	uint32_t data_len;
	uint16_t qid;
	uint64_t late_h2c;		/* H2CData bytes after a failing answer */
	uint64_t h2c_total;		/* ... of how many the command had */
	bool failed_early;
};

static uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

static void set16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void set32(uint8_t *p, uint32_t v) { set16(p, v); set16(p + 2, v >> 16); }

static int write_full(int fd, const void *buf, size_t len)
{
	return write(fd, buf, len) == (ssize_t)len ? 0 : -1;
}

static int discard(int fd, uint64_t len)
{
	char skip[4096];

	while (len) {
		uint32_t n = len < sizeof(skip) ? len : sizeof(skip);

		if (read_full(fd, skip, n))
			return -1;
		len -= n;
	}
	return 0;
}

/* A response capsule; @status as the spec numbers it (SCT/SC, DNR). */
static int send_rsp(struct live *l, uint16_t status, uint64_t result)
{
	uint8_t pdu[24] = { 0 };

	put_hdr(pdu, RSP, 24, 24);
	set32(pdu + 8, result);
	set32(pdu + 12, result >> 32);
	memcpy(pdu + 20, l->sqe + 2, 2);	/* command_id */
	set16(pdu + 22, status << 1);
	return write_full(l->fd, pdu, sizeof(pdu));
}

/* @data NULL: @len bytes of zeros.  A wrong digest with bad_ddgst. */
static int send_c2h(struct live *l, const void *data, uint32_t len,
		    uint8_t flags)
{
	static const uint8_t zeros[65536], digest[4] = { 0xde, 0xad };
	uint8_t pdu[24] = { 0 };
	uint32_t n;

	put_hdr(pdu, C2H_DATA, 24, 24 + len + (bad_ddgst ? 4 : 0));
	pdu[1] = flags | (bad_ddgst ? F_DDGST : 0);
	pdu[3] = 24;
	memcpy(pdu + 8, l->sqe + 2, 2);
	set32(pdu + 16, len);
	if (write_full(l->fd, pdu, sizeof(pdu)))
		return -1;
	for (; len; len -= n) {
		n = len < sizeof(zeros) ? len : sizeof(zeros);
		if (write_full(l->fd, data ? data : zeros, n))
			return -1;
		if (data)
			data = (const uint8_t *)data + n;
	}
	return bad_ddgst ? write_full(l->fd, digest, sizeof(digest)) : 0;
}

/*
 * An I/O queue's Connect with IOCCSZ 4: its 1 KiB of data by R2T, never in
 * the capsule.  Reported on stdout either way.
 */
static int small_ioccsz_connect(struct live *l, uint16_t qid)
{
	uint32_t len = get32(l->sqe + 32);	/* SGL length */
	uint8_t pdu[24] = { 0 }, h2c[24];

	if (l->data_len) {
		printf("queue %u Connect: %u bytes in the capsule, IOCCSZ 4 has room for none\n",
		       qid, l->data_len);
		return send_rsp(l, 0x4016, 0);	/* SGL Offset Invalid, DNR */
	}
	if (len != 1024 || len > sizeof(l->data)) {
		printf("queue %u Connect: data length %u\n", qid, len);
		return send_rsp(l, 0x4002, 0);
	}
	put_hdr(pdu, R2T, 24, 24);
	memcpy(pdu + 8, l->sqe + 2, 2);
	set16(pdu + 10, 0x1c1c);		/* ttag */
	set32(pdu + 16, len);
	if (write_full(l->fd, pdu, sizeof(pdu)) || read_full(l->fd, h2c, 24))
		return -1;
	if (h2c[0] != H2C_DATA || get32(h2c + 4) != 24 + len ||
	    memcmp(h2c + 8, l->sqe + 2, 2) || get16(h2c + 10) != 0x1c1c ||
	    get32(h2c + 12) || get32(h2c + 16) != len) {
		printf("queue %u Connect: bad H2CData for the R2T\n", qid);
		return -1;
	}
	if (read_full(l->fd, l->data, len))
		return -1;
	if (get16(l->data + 16) != 1) {		/* the admin Connect's cntlid */
		printf("queue %u Connect: cntlid %u in the data\n", qid,
		       get16(l->data + 16));
		return send_rsp(l, 0x4002, 0);
	}
	printf("queue %u Connect: %u bytes by R2T\n", qid, len);
	return send_rsp(l, 0, 0);
}

static int live_connect(struct live *l)
{
	uint16_t qid = get16(l->sqe + 42);

	l->qid = qid;
	if (qid && small_ioccsz)
		return small_ioccsz_connect(l, qid);
	if (!qid && l->data_len >= 256 + sizeof(subnqn))
		memcpy(subnqn, l->data + 256, sizeof(subnqn) - 1);
	return send_rsp(l, 0, 1);		/* cntlid 1 */
}

/* Fabrics commands: Connect, Property Get and Set. */
static int live_fabrics(struct live *l)
{
	uint32_t off = get32(l->sqe + 44);
	uint64_t val = 0;

	switch (l->sqe[4]) {
	case 0x01:				/* Connect */
		return live_connect(l);
	case 0x00:				/* Property Set */
		if (off == 0x14)
			l->cc = get32(l->sqe + 48);
		return send_rsp(l, 0, 0);
	case 0x04:				/* Property Get */
		if (off == 0x00)		/* CAP: MQES 127, TO 5 s, NVM */
			val = 127 | 10u << 24 | 1ull << 37;
		else if (off == 0x08)		/* VS 1.0: no newer CNS values */
			val = 0x00010000;
		else if (off == 0x14)
			val = l->cc;
		else if (off == 0x1c)		/* CSTS: RDY as CC.EN, SHN done */
			val = (l->cc & 1) | ((l->cc >> 14 & 3) ? 2 << 2 : 0);
		return send_rsp(l, 0, val);
	}
	return send_rsp(l, 0x4002, 0);
}

static int live_identify(struct live *l)
{
	static const char nqn[] = "nqn.2014-08.org.nvmexpress.discovery";
	uint8_t id[4096] = { 0 };

	if (with_ns && l->sqe[40] == 0 && get32(l->sqe + 4) == 1) {
		set32(id, NS_BLOCKS);				/* NSZE */
		set32(id + 8, NS_BLOCKS);			/* NCAP */
		set32(id + 16, NS_BLOCKS);			/* NUSE */
		id[130] = 9;				/* LBAF0: 512 bytes */
		return send_c2h(l, id, sizeof(id), F_LAST) ?: send_rsp(l, 0, 0);
	}
	if (with_ns && l->sqe[40] == 2) {		/* active NSIDs */
		if (!get32(l->sqe + 4))
			set32(id, 1);
		return send_c2h(l, id, sizeof(id), F_LAST) ?: send_rsp(l, 0, 0);
	}
	if (l->sqe[40] != 1)			/* only Identify Controller */
		return send_rsp(l, 0x4002, 0);
	memcpy(id + 4, "nvmt-bad-target     ", 20);		/* SN */
	memcpy(id + 24, "nvmt-bad-target", 15);		/* MN */
	memset(id + 39, ' ', 25);
	memcpy(id + 64, "1.0     ", 8);			/* FR */
	set16(id + 78, 1);				/* CNTLID */
	set32(id + 80, 0x00010000);			/* VER */
	id[111] = 2;					/* discovery ctrl */
	id[512] = 0x66;					/* SQES */
	id[513] = 0x44;					/* CQES */
	set16(id + 514, 128);				/* MAXCMD */
	set32(id + 536, 1);				/* SGLS */
	memcpy(id + 768, nqn, sizeof(nqn) - 1);		/* SUBNQN */
	set32(id + 1792, 4);				/* IOCCSZ */
	set32(id + 1796, 1);				/* IORCSZ */
	if (small_ioccsz) {
		id[111] = 1;				/* I/O ctrl */
		set16(id + 320, 50);			/* KAS: 5 s */
		memset(id + 768, 0, 256);
		memcpy(id + 768, subnqn, strlen(subnqn));
		set32(id + 516, with_ns);		/* NN */
	}
	if (send_c2h(l, id, sizeof(id), F_LAST))
		return -1;
	return send_rsp(l, 0, 0);
}

/* 0xc1: ask for all the data, take 4 KiB, fail the command meanwhile. */
static int live_fail_early(struct live *l)
{
	uint32_t len = get32(l->sqe + 32);	/* SGL length */
	uint8_t pdu[24] = { 0 }, h2c[24];

	put_hdr(pdu, R2T, 24, 24);
	memcpy(pdu + 8, l->sqe + 2, 2);
	set16(pdu + 10, 0x5a5a);		/* ttag */
	set32(pdu + 16, len);
	if (write_full(l->fd, pdu, sizeof(pdu)) || read_full(l->fd, h2c, 24) ||
	    h2c[0] != H2C_DATA || get32(h2c + 4) - 24 < 4096 ||
	    discard(l->fd, 4096))
		return -1;
	l->failed_early = true;
	l->h2c_total = len;
	l->late_h2c = get32(h2c + 4) - 24 - 4096;
	if (send_rsp(l, 0x4002, 0))
		return -1;
	/* The rest of this PDU must still come: the stream stays framed. */
	return discard(l->fd, l->late_h2c);
}

/* An R2T for all of the command's data, then @then (none if NULL). */
static int send_r2t(struct live *l, uint32_t len, const uint8_t *then,
		    size_t then_len)
{
	uint8_t pdu[24 + 48] = { 0 };

	put_hdr(pdu, R2T, 24, 24);
	memcpy(pdu + 8, l->sqe + 2, 2);
	set16(pdu + 10, 0x2b2b);		/* ttag */
	set32(pdu + 16, len);
	if (then)
		memcpy(pdu + 24, then, then_len);
	/* One write: the host takes it all in before transmit runs. */
	return write_full(l->fd, pdu, 24 + (then ? then_len : 0));
}

/* Whether the malformed answer for @lba is due: once per run. */
static bool fire_once(uint64_t lba, uint64_t at, int slot)
{
	if (lba != at || fired[slot])
		return false;
	fired[slot] = 1;
	return true;
}

/* "io": a read or write of the namespace (NLB as the SGL length says). */
static int io_command(struct live *l)
{
	uint64_t lba = get32(l->sqe + 40) | (uint64_t)get32(l->sqe + 44) << 32;
	uint32_t len = get32(l->sqe + 32), got = 0;
	uint8_t rsp[24] = { 0 }, h2c[24];

	switch (l->sqe[0]) {
	case 0x00:				/* Flush */
		return send_rsp(l, 0, 0);
	case 0x02:				/* Read */
		if (fire_once(lba, LBA_READ_SHORT, 0))
			return send_c2h(l, NULL, 512, F_LAST) ?: send_rsp(l, 0, 0);
		if (fire_once(lba, LBA_SUCCESS_SHORT, 1))
			return send_c2h(l, NULL, 512, F_LAST | F_SUCCESS);
		return send_c2h(l, NULL, len, F_LAST) ?: send_rsp(l, 0, 0);
	case 0x01:				/* Write */
		if (fire_once(lba, LBA_EARLY_SUCCESS, 2)) {
			put_hdr(rsp, RSP, 24, 24);
			memcpy(rsp + 20, l->sqe + 2, 2);
			return send_r2t(l, len, rsp, sizeof(rsp));
		}
		if (send_r2t(l, len, NULL, 0))
			return -1;
		while (got < len) {
			if (read_full(l->fd, h2c, sizeof(h2c)) ||
			    h2c[0] != H2C_DATA || get32(h2c + 4) < 24 ||
			    discard(l->fd, get32(h2c + 4) - 24))
				return -1;
			got += get32(h2c + 4) - 24;
		}
		return send_rsp(l, 0, 0);
	}
	return send_rsp(l, 0x4001, 0);
}

/* "io": admin 0xd1-0xe6, each a malformed answer (see the top). */
static int io_malformed(struct live *l)
{
	uint8_t pdu[48] = { 0 };

	switch (l->sqe[0]) {
	case 0xd2:
		return send_r2t(l, 512, NULL, 0);
	case 0xd1:
		put_hdr(pdu, RSP, 24, 24);
		memcpy(pdu + 20, l->sqe + 2, 2);
		set16(pdu + 22, 0x4002 << 1);	/* Invalid Field, DNR */
		memcpy(pdu + 24, pdu, 24);
		return send_r2t(l, get32(l->sqe + 32), pdu, sizeof(pdu));
	}
	put_hdr(pdu, C2H_DATA, 24, 24 + 512);
	pdu[1] = F_LAST;
	pdu[3] = 24;
	memcpy(pdu + 8, l->sqe + 2, 2);
	set32(pdu + 16, 512);
	switch (l->sqe[0]) {
	case 0xd6:
		pdu[1] |= F_DDGST;
		set32(pdu + 4, 24 + 512 + 4);
		break;
	case 0xda:
		set32(pdu + 4, 24u + 0x7fffffffu);
		set32(pdu + 16, 0x7fffffff);
		break;
	case 0xde:
		pdu[3] = 32;
		set32(pdu + 4, 32 + 512);
		break;
	case 0xe2:
		set32(pdu + 4, 24 + 512 + 8);
		break;
	case 0xe6:
		pdu[1] = F_SUCCESS;
		break;
	default:
		return send_rsp(l, 0x4001, 0);
	}
	/* The header is enough: the host refuses it before any data. */
	return write_full(l->fd, pdu, 24);
}

static int live_command(struct live *l)
{
	static uint8_t short_data[512];

	if (with_ns && l->qid && l->sqe[0] != 0x7f)
		return io_command(l);
	if (with_ns && l->sqe[0] >= 0xd1 && l->sqe[0] <= 0xe6)
		return io_malformed(l);

	switch (l->sqe[0]) {
	case 0x7f:
		return live_fabrics(l);
	case 0x06:
		return live_identify(l);
	case 0x0c:				/* AER: outstanding for good */
		return 0;
	case 0x18:				/* Keep Alive */
		return send_rsp(l, 0, 0);
	case 0x02:				/* Get Log Page: zeros */
		if (!small_ioccsz || get32(l->sqe + 32) > sizeof(l->data))
			return send_rsp(l, 0x4002, 0);
		memset(l->data, 0, get32(l->sqe + 32));
		if (send_c2h(l, l->data, get32(l->sqe + 32), F_LAST))
			return -1;
		return send_rsp(l, 0, 0);
	case 0x09:				/* Set Features */
		if (small_ioccsz && l->sqe[40] == 0x07)	/* one SQ, one CQ */
			return send_rsp(l, 0, 0);
		return send_rsp(l, 0x4002, 0);
	case 0xc1:
		return live_fail_early(l);
	case 0xc2:
		memset(short_data, 0xab, sizeof(short_data));
		if (send_c2h(l, short_data, sizeof(short_data), F_LAST))
			return -1;
		return send_rsp(l, 0, 0x1234abcd);
	case 0xc6:
		memset(short_data, 0xab, sizeof(short_data));
		return send_c2h(l, short_data, sizeof(short_data),
				F_LAST | F_SUCCESS);
	}
	return send_rsp(l, 0x4001, 0);		/* Invalid Opcode, DNR */
}

/* Commands until the host closes; H2CData after a failing answer counted. */
static void serve_live(int fd)
{
	static struct live l;
	struct hdr h;

	memset(&l, 0, sizeof(l));
	l.fd = fd;
	for (;;) {
		uint32_t plen;

		if (read_full(fd, &h, sizeof(h)))
			break;
		plen = le32toh(h.plen);
		if (h.type == H2C_DATA) {
			if (!l.failed_early || plen < 24 ||
			    discard(fd, plen - sizeof(h)))
				break;
			l.late_h2c += plen - 24;
			continue;
		}
		if (h.type != CMD || plen < 72 || plen - 72 > sizeof(l.data) ||
		    read_full(fd, l.sqe, 64) ||
		    read_full(fd, l.data, plen - 72))
			break;
		l.data_len = plen - 72;
		if (live_command(&l))
			break;
	}
	if (l.failed_early)
		printf("data after the failing answer: %llu of %llu bytes\n",
		       (unsigned long long)l.late_h2c,
		       (unsigned long long)l.h2c_total);
	fflush(stdout);
}

static void serve(int fd, long c)
{
	uint8_t icreq[128], icresp[128] = { 0 }, pdu[64] = { 0 };
	uint16_t cid = 0;
	uint32_t v;
	size_t len = 24;

	if (read_full(fd, icreq, sizeof(icreq)))
		return;
	put_hdr(icresp, ICRESP, 128, 128);
	v = htole32(131072);
	memcpy(icresp + 12, &v, 4);		/* maxdata */
	if (c == 0)
		icresp[8] = 1;			/* pfv */
	if (c == 1)
		icresp[10] = 5;			/* cpda */
	if (c == 2) {
		v = htole32(3);
		memcpy(icresp + 12, &v, 4);
	}
	icresp[11] = icreq[11];			/* digests as asked */
	if (write(fd, icresp, sizeof(icresp)) != sizeof(icresp) ||
	    (c >= 0 && c <= 2))
		return;
	if (c == LIVE || c == SMALL_IOCCSZ || c == IO || c == 17) {
		bad_ddgst = c == 17;
		serve_live(fd);
		return;
	}
	if (read_capsule(fd, &cid))
		return;

	switch (c) {
	case 3:				/* a whole header, so it is read */
		put_hdr(pdu, RSP, 8, 8);
		break;
	case 4:
		put_hdr(pdu, 0x42, 24, 24);
		break;
	case 5:				/* another generation */
		put_hdr(pdu, RSP, 24, 24);
		cid ^= 0x1000;
		memcpy(pdu + 8 + 12, &cid, 2);
		break;
	case 6:
		put_hdr(pdu, C2H_DATA, 24, 24 + 512);
		pdu[3] = 24;
		memcpy(pdu + 8, &cid, 2);
		v = htole32(512);
		memcpy(pdu + 16, &v, 4);
		break;
	case 7:
		put_hdr(pdu, R2T, 24, 24);
		memcpy(pdu + 8, &cid, 2);
		v = htole32(4096);
		memcpy(pdu + 12, &v, 4);	/* offset */
		memcpy(pdu + 16, &v, 4);	/* length */
		break;
	case 8:
		put_hdr(pdu, C2H_DATA, 24, 24u + 0x7fffffffu);
		pdu[3] = 24;
		memcpy(pdu + 8, &cid, 2);
		v = htole32(0x7fffffff);
		memcpy(pdu + 16, &v, 4);
		break;
	case 9:
		put_hdr(pdu, RSP, 24, 4096);
		memcpy(pdu + 8 + 12, &cid, 2);
		break;
	case 10:
		put_hdr(pdu, C2H_TERM, 24, 24);
		pdu[8] = 1;			/* FES: invalid header field */
		break;
	case 11:
		put_hdr(pdu, RSP, 24, 24);
		len = 10;
		break;
	case 12:				/* none negotiated */
		put_hdr(pdu, RSP, 24, 24);
		pdu[1] = F_HDGST;
		memcpy(pdu + 8 + 12, &cid, 2);
		break;
	case 13:				/* run with hdr_digest */
		put_hdr(pdu, RSP, 24, 28);
		pdu[1] = F_HDGST;
		memcpy(pdu + 8 + 12, &cid, 2);
		memcpy(pdu + 24, "\xde\xad\xbe\xef", 4);
		len = 28;
		break;
	case 14:				/* another generation */
		put_hdr(pdu, C2H_DATA, 24, 24 + 512);
		pdu[3] = 24;
		cid ^= 0x1000;
		memcpy(pdu + 8, &cid, 2);
		v = htole32(512);
		memcpy(pdu + 16, &v, 4);
		break;
	case 15:
		put_hdr(pdu, R2T, 24, 24);
		cid ^= 0x1000;
		memcpy(pdu + 8, &cid, 2);
		v = htole32(512);
		memcpy(pdu + 16, &v, 4);
		break;
	case 16:				/* AEN tags are >= 31 */
		put_hdr(pdu, RSP, 24, 24);
		cid = 0x0abc;
		memcpy(pdu + 8 + 12, &cid, 2);
		break;
	default:
		for (len = 0; len < sizeof(pdu); len++)
			pdu[len] = random();
		break;
	}
	if (write(fd, pdu, len) < 0)
		return;
	/* Give the host time to see it before the connection goes. */
	sleep(1);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, lfd;
	long c, count, i;

	if (argc != 5) {
		fprintf(stderr, "usage: %s ADDR PORT CASE|random|live|small-ioccsz|io COUNT\n",
			argv[0]);
		for (c = 0; c < (long)NCASES; c++)
			fprintf(stderr, "  case %ld: %s\n", c, cases[c]);
		return 2;
	}
	c = strcmp(argv[3], "random") ? atol(argv[3]) : -1;
	if (!strcmp(argv[3], "live"))
		c = LIVE;
	if (!strcmp(argv[3], "small-ioccsz"))
		c = SMALL_IOCCSZ;
	if (!strcmp(argv[3], "io"))
		c = IO;
	small_ioccsz = c == SMALL_IOCCSZ || c == IO;
	with_ns = c == IO;
	fired = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (fired == MAP_FAILED)
		return 1;
	if (small_ioccsz)		/* one log, written by every process */
		setvbuf(stdout, NULL, _IOLBF, 0);
	count = atol(argv[4]);
	sa.sin_port = htons(atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1)
		return 2;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 16)) {
		perror("bind/listen");
		return 1;
	}
	srandom(getpid());
	/* A host that never comes must not hang the test VM. */
	alarm(c < -1 ? 300 : 120);
	for (i = 0; i < count; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			return 1;
		/* The I/O queue connects while the admin queue is served. */
		if (small_ioccsz) {
			pid_t p;

			fflush(stdout);
			p = fork();
			if (p < 0)
				return 1;
			if (!p) {
				close(lfd);
				alarm(300);
				serve(fd, c);
				_exit(0);
			}
			close(fd);
			continue;
		}
		serve(fd, c);
		close(fd);
	}
	while (wait(NULL) > 0)
		;
	return 0;
}
