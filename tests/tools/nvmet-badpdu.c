// SPDX-License-Identifier: GPL-2.0
/*
 * nvmet-badpdu: malformed NVMe/TCP PDU sequences against a target port.
 *
 * Every sequence is one new connection (TCP, or MPTCP with -m) that sends
 * something a host must not send: bad headers, lengths, offsets, digests,
 * PDU types, PDUs out of order, truncated PDUs, unsolicited data, and
 * floods of ICReqs.  Most must make the target drop the connection, each
 * after the C2HTermReq it names (status, field in error and a copy of the
 * header in error), or without one where the target has no status to
 * send; a few must get an error response on a live connection; truncated
 * ones only must not crash anything.  Every 25th
 * sequence is a well-formed control that must succeed, which proves the
 * port still serves: ICReq + fabrics Connect, or that plus Property Set
 * and an Identify whose C2HData framing (digests, hpda padding, SUCCESS
 * flag) is checked byte for byte.  Then 100 connections hold an ICReq at
 * once (-f), and one sends a burst of ICReqs.
 *
 * With -H SECONDS it does none of that but plays one peer that hogs the
 * port: FLOOD connections from SRC (-b), a third idle, a third stopped
 * half way through their ICReq, a third with an ICReq and then a Connect
 * that asks for 2 MiB of data by R2T it never sends, each opened again
 * whenever the target drops it, for SECONDS or until SIGTERM.  It prints
 * the most connections that lived 1 s or more at once ("held-max N"),
 * which the target's cap per address bounds.
 *
 * usage: nvmet-badpdu -a ADDR -n SUBNQN [-p PORT] [-q HOSTNQN] [-c COUNT]
 *                     [-s SEED] [-m] [-t TIMEOUT_MS] [-f FLOOD] [-v]
 *                     [-H SECONDS [-b SRC]]
 * Exit status 0 when the target behaved as expected every time.
 *
 * Userspace, libc only: the VM bench builds it with `gcc -O2 -static`.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

/* NVMe/TCP PDU types, flags and sizes (NVMe/TCP transport binding). */
enum { ICREQ = 0, ICRESP = 1, H2C_TERM = 2, C2H_TERM = 3, CMD = 4, RSP = 5,
	H2C_DATA = 6, C2H_DATA = 7, R2T = 9 };
#define F_HDGST		0x01
#define F_DDGST		0x02
#define F_LAST		0x04
#define HDR_LEN		8
#define TERM_HLEN	24
#define TERM_DATA_MAX	128	/* header copy in a C2HTermReq, at most */
#define SQE_OFF		HDR_LEN	/* the command in a capsule */
#define ICREQ_LEN	128
#define CMD_HLEN	72
#define DATA_HLEN	24
#define CONNECT_DATA	1024
#define SGL_INCAPSULE	0x01	/* data block, offset subtype */
#define SGL_TRANSPORT	0x5a	/* transport data block, transport subtype A */
#define PSDT_SGL	0x40
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* C2HTermReq fatal error status, and the FEI of the offsets it names. */
enum { FES_NONE = 0, FES_BAD_HDR = 1, FES_SEQ = 2, FES_HDGST = 3,
	FES_RANGE = 4, FES_LIMIT = 5, FES_PARAM = 6 };
enum { AT_TYPE = 0, AT_FLAGS = 1, AT_HLEN = 2, AT_PDO = 3, AT_PLEN = 4,
	AT_PFV = 8, AT_HPDA = 10, AT_H2C_CID = 8,
	AT_SGL_ADDR = SQE_OFF + 24, AT_SGL_LEN = SQE_OFF + 32,
	AT_SGL_TYPE = SQE_OFF + 39 };

enum expect {
	EXP_CLOSE,	/* the target must drop the connection */
	EXP_ERROR,	/* an error response on a live connection */
	EXP_ANY,	/* must not crash anything; nothing to check */
	EXP_OK,		/* control: a successful Connect */
};

static const char *addr_arg, *port_arg = "4420", *subnqn;
static const char *hostnqn = "nqn.2014-08.org.nvmexpress:uuid:badbadba-d000-4000-8000-000000000001";
static int timeout_ms = 3000, verbose, use_mptcp;
static struct sockaddr_storage target;
static socklen_t target_len;
static const char *src_arg;	/* -b: source address of -H */

/* ---- CRC32C, as NVMe/TCP digests use it -------------------------------- */

static uint32_t crc_table[256];

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
		crc_table[i] = c;
	}
}

static uint32_t digest(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~0u;

	while (len--)
		c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return ~c;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(uint8_t *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(uint8_t *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }
static uint16_t get16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

/* ---- randomness (reproducible with -s) ---------------------------------- */

static uint64_t rng_state;

static uint32_t rnd(void)
{
	rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return rng_state >> 33;
}

static uint32_t rnd_below(uint32_t n) { return n ? rnd() % n : 0; }

static void rnd_fill(uint8_t *p, size_t len)
{
	while (len--)
		*p++ = rnd();
}

/* ---- connections --------------------------------------------------------- */

struct conn {
	int fd;
	bool hdgst, ddgst;
	uint8_t hpda;		/* host PDU data alignment asked for */
	uint32_t maxdata;
	/*
	 * What a sequence that must be dropped expects (refuse()): the
	 * C2HTermReq's FES, or FES_NONE where the target has no status to
	 * send; its FEI (a field offset, a digest, or 0 where reserved);
	 * and the PDU in error as sent, whose header the term must copy.
	 */
	uint16_t fes;
	uint32_t fei;
	uint8_t bad[TERM_DATA_MAX];
	size_t bad_len;
};

/* How a connection the target had to drop ended (expect_close). */
struct closing {
	bool closed;		/* EOF or reset, not a timeout */
	bool term;		/* after a well-formed C2HTermReq */
	bool bad_term;		/* after a malformed one */
	uint16_t fes;
	uint32_t fei;
	uint8_t hdr[TERM_DATA_MAX];	/* its copy of the header in error */
	size_t hdr_len;
};

static void vlog(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static int conn_open(struct conn *c)
{
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = socket(target.ss_family, SOCK_STREAM,
		       use_mptcp ? IPPROTO_MPTCP : IPPROTO_TCP);
	if (c->fd < 0) {
		perror("socket");
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&target, target_len) < 0) {
		perror("connect");
		close(c->fd);
		return -1;
	}
	return 0;
}

/* Close with a reset, so thousands of sequences leave no TIME_WAIT. */
static void conn_abort(struct conn *c)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(c->fd);
}

static int send_all(struct conn *c, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;	/* the target may already have dropped us */
		}
		p += n;
		len -= n;
	}
	return 0;
}

/*
 * Read exactly @len bytes.  1: done, 0: closed, -1: error, -2: timeout
 * (recv_pdu: -3, a PDU of impossible length).
 */
static int recv_all(struct conn *c, void *buf, size_t len, int tmo)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t n;
		int r = poll(&pfd, 1, tmo);

		if (r == 0)
			return -2;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		n = recv(c->fd, p, len, 0);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return errno == ECONNRESET ? 0 : -1;
		}
		p += n;
		len -= n;
	}
	return 1;
}

/* Next PDU from the target into @buf (header first).  As recv_all. */
static int recv_pdu(struct conn *c, uint8_t *buf, size_t size, int tmo)
{
	uint32_t plen;
	int r = recv_all(c, buf, HDR_LEN, tmo);

	if (r != 1)
		return r;
	plen = get32(buf + 4);
	if (plen < HDR_LEN || plen > size) {
		fprintf(stderr, "target sent a PDU of type %u with plen %u\n",
			buf[0], plen);
		return -3;
	}
	return recv_all(c, buf + HDR_LEN, plen - HDR_LEN, tmo);
}

/* The sequence sent @pdu, which the target must refuse with @fes, @fei. */
static enum expect refuse(struct conn *c, uint16_t fes, uint32_t fei,
			  const uint8_t *pdu, size_t len)
{
	c->fes = fes;
	c->fei = fei;
	c->bad_len = len < sizeof(c->bad) ? len : sizeof(c->bad);
	memcpy(c->bad, pdu, c->bad_len);
	return EXP_CLOSE;
}

/* The target must drop us: EOF or reset, maybe after a C2HTermReq. */
static struct closing expect_close(struct conn *c)
{
	struct closing got = { 0 };
	uint8_t buf[65536 + 256];

	for (;;) {
		int r = recv_pdu(c, buf, sizeof(buf), timeout_ms);
		uint32_t plen;

		if (r == 0 || r == -1) {
			got.closed = true;
			return got;
		}
		if (r == -2) {
			vlog("  no close within %d ms\n", timeout_ms);
			return got;
		}
		if (r == -3) {
			got.bad_term = true;	/* the stream is lost */
			return got;
		}
		plen = get32(buf + 4);
		if (buf[0] != C2H_TERM) {
			/* A response for something earlier may come first. */
			vlog("  PDU type %u before the close\n", buf[0]);
			continue;
		}
		/* Flags and pdo are reserved; the header copy follows. */
		if (got.term || buf[1] || buf[2] != TERM_HLEN || buf[3] ||
		    plen < TERM_HLEN || plen > TERM_HLEN + TERM_DATA_MAX) {
			fprintf(stderr, "malformed C2HTermReq: flags %#x hlen %u pdo %u plen %u%s\n",
				buf[1], buf[2], buf[3], plen, got.term ? " (a second one)" : "");
			got.bad_term = true;
			continue;
		}
		got.term = true;
		got.fes = get16(buf + 8);
		got.fei = get32(buf + 10);
		got.hdr_len = plen - TERM_HLEN;
		memcpy(got.hdr, buf + TERM_HLEN, got.hdr_len);
		vlog("  C2HTermReq fes %#x fei %#x, %zu header bytes\n",
		     got.fes, got.fei, got.hdr_len);
	}
}

/*
 * Did the target drop us as the sequence expects?  A C2HTermReq is due
 * for every refusal with a status: none of the sequences leaves one of
 * the target's PDUs half sent, the one case where it must stay silent.
 * Its header copy is the common header (refused there) or the whole
 * header, up to the cap.
 */
static bool closed_as_expected(struct conn *c, const struct closing *got)
{
	size_t whole = c->bad_len >= HDR_LEN ? c->bad[2] : 0;

	if (whole > TERM_DATA_MAX)
		whole = TERM_DATA_MAX;
	if (got->bad_term)
		return false;
	if (!got->closed) {
		fprintf(stderr, "  not dropped within %d ms\n", timeout_ms);
		return false;
	}
	if (c->fes == FES_NONE) {
		if (got->term)
			fprintf(stderr, "  C2HTermReq fes %#x where none is due\n", got->fes);
		return !got->term;
	}
	if (!got->term) {
		fprintf(stderr, "  dropped without a C2HTermReq, expected fes %#x\n", c->fes);
		return false;
	}
	if (got->fes != c->fes || got->fei != c->fei) {
		fprintf(stderr, "  C2HTermReq fes %#x fei %#x, expected fes %#x fei %#x\n",
			got->fes, got->fei, c->fes, c->fei);
		return false;
	}
	if ((got->hdr_len != HDR_LEN && got->hdr_len != whole) ||
	    got->hdr_len > c->bad_len || memcmp(got->hdr, c->bad, got->hdr_len)) {
		fprintf(stderr, "  C2HTermReq copies %zu header bytes that are not the %zu or %zu sent\n",
			got->hdr_len, (size_t)HDR_LEN, whole);
		return false;
	}
	return true;
}

/* ---- well-formed pieces -------------------------------------------------- */

static void icreq_build(uint8_t *p, bool hd, bool dd)
{
	memset(p, 0, ICREQ_LEN);
	p[0] = ICREQ;
	p[2] = ICREQ_LEN;
	put32(p + 4, ICREQ_LEN);
	p[11] = (hd ? 1 : 0) | (dd ? 2 : 0);
}

/* The PDU data offset a C2HData must use for the ICReq's hpda. */
static unsigned int c2h_pdo(struct conn *c)
{
	unsigned int align = (c->hpda + 1) * 4, hd = DATA_HLEN + (c->hdgst ? 4 : 0);

	return (hd + align - 1) / align * align;
}

/* ICReq/ICResp with random digests.  false: the target misbehaved. */
static bool icreq_exchange(struct conn *c)
{
	uint8_t req[ICREQ_LEN], rsp[ICREQ_LEN];

	c->hdgst = rnd() & 1;
	c->ddgst = rnd() & 1;
	c->hpda = rnd() & 1 ? rnd_below(32) : 0;
	icreq_build(req, c->hdgst, c->ddgst);
	req[10] = c->hpda;
	if (send_all(c, req, sizeof(req)) || recv_all(c, rsp, sizeof(rsp), timeout_ms) != 1) {
		fprintf(stderr, "no ICResp to a valid ICReq\n");
		return false;
	}
	if (rsp[0] != ICRESP || rsp[2] != ICREQ_LEN || get32(rsp + 4) != ICREQ_LEN ||
	    get16(rsp + 8) != 0 || rsp[10] != 0 ||
	    rsp[11] != ((c->hdgst ? 1 : 0) | (c->ddgst ? 2 : 0))) {
		fprintf(stderr, "bad ICResp (type %u plen %u digest %#x)\n",
			rsp[0], get32(rsp + 4), rsp[11]);
		return false;
	}
	c->maxdata = get32(rsp + 12);
	if (c->maxdata < 4096 || c->maxdata % 4) {
		fprintf(stderr, "bad ICResp maxdata %u\n", c->maxdata);
		return false;
	}
	return true;
}

/*
 * A capsule (command + optional in-capsule data) as the host would send
 * it with the connection's digests; returns its length.
 */
static size_t capsule_build(struct conn *c, uint8_t *p, const uint8_t *sqe,
			    const uint8_t *data, uint32_t dlen)
{
	size_t hd = CMD_HLEN + (c->hdgst ? 4 : 0), len = hd;

	memset(p, 0, hd);
	p[0] = CMD;
	p[1] = (c->hdgst ? F_HDGST : 0) | (dlen && c->ddgst ? F_DDGST : 0);
	p[2] = CMD_HLEN;
	p[3] = dlen ? hd : 0;
	memcpy(p + HDR_LEN, sqe, 64);
	if (dlen) {
		memcpy(p + hd, data, dlen);
		len += dlen;
		if (c->ddgst) {
			put32(p + len, digest(data, dlen));
			len += 4;
		}
	}
	put32(p + 4, len);
	if (c->hdgst)
		put32(p + CMD_HLEN, digest(p, CMD_HLEN));
	return len;
}

static void connect_sqe(uint8_t *sqe, uint16_t cid, uint8_t sgl_type,
			uint32_t len)
{
	memset(sqe, 0, 64);
	sqe[0] = 0x7f;			/* fabrics */
	sqe[1] = PSDT_SGL;
	put16(sqe + 2, cid);
	sqe[4] = 0x01;			/* Connect */
	put64(sqe + 24, 0);		/* SGL address / offset */
	put32(sqe + 32, len);
	sqe[39] = sgl_type;
	put16(sqe + 42, 0);		/* qid: admin */
	put16(sqe + 44, 31);		/* sqsize, 0's based */
	sqe[46] = 0;			/* cattr */
	put32(sqe + 48, 0);		/* no keep-alive */
}

static void connect_data(uint8_t *d)
{
	memset(d, 0, CONNECT_DATA);
	rnd_fill(d, 16);		/* hostid */
	put16(d + 16, 0xffff);		/* any controller */
	snprintf((char *)d + 256, 256, "%s", subnqn);
	snprintf((char *)d + 512, 256, "%s", hostnqn);
}

/* Read the response capsule for @cid.  Returns its status or -1. */
static int recv_response(struct conn *c, uint16_t cid)
{
	uint8_t buf[256];

	if (recv_pdu(c, buf, sizeof(buf), timeout_ms) != 1) {
		fprintf(stderr, "no response capsule\n");
		return -1;
	}
	if (buf[0] != RSP || buf[2] != 24) {
		fprintf(stderr, "expected a response, got PDU type %u\n", buf[0]);
		return -1;
	}
	if (get16(buf + 8 + 12) != cid) {
		fprintf(stderr, "response for command %u, expected %u\n",
			get16(buf + 20), cid);
		return -1;
	}
	return get16(buf + 8 + 14) >> 1;
}

/* ---- the sequences ------------------------------------------------------- */

struct seq {
	const char *name;
	enum expect (*run)(struct conn *c);
	unsigned int runs, failed;
};

static uint8_t big[CMD_HLEN + 4 + 65536 + 4];

/* A well-formed admin Connect capsule for @cid in big; returns its length. */
static size_t connect_capsule(struct conn *c, uint16_t cid)
{
	uint8_t sqe[64], data[CONNECT_DATA];

	connect_sqe(sqe, cid, SGL_INCAPSULE, CONNECT_DATA);
	connect_data(data);
	return capsule_build(c, big, sqe, data, CONNECT_DATA);
}

static enum expect seq_bad_first_pdu(struct conn *c)
{
	uint8_t p[CMD_HLEN];

	memset(p, 0, sizeof(p));
	p[0] = CMD + rnd_below(2) * 2;	/* a capsule or H2CData before ICReq */
	p[2] = p[0] == CMD ? CMD_HLEN : DATA_HLEN;
	put32(p + 4, p[2]);
	send_all(c, p, p[2]);
	return refuse(c, FES_SEQ, 0, p, p[2]);
}

static enum expect seq_icreq_bad_len(struct conn *c)
{
	uint8_t p[ICREQ_LEN];

	uint32_t at = AT_PLEN;

	icreq_build(p, false, false);
	if (rnd() & 1) {
		p[2] = rnd_below(ICREQ_LEN);		/* hlen */
		at = AT_HLEN;
	} else {
		put32(p + 4, ICREQ_LEN + 1 + rnd_below(1 << 20));	/* plen */
	}
	send_all(c, p, sizeof(p));
	return refuse(c, FES_BAD_HDR, at, p, sizeof(p));
}

static enum expect seq_icreq_bad_field(struct conn *c)
{
	uint8_t p[ICREQ_LEN];

	uint16_t fes = FES_PARAM;
	uint32_t at;

	icreq_build(p, rnd() & 1, rnd() & 1);
	switch (rnd_below(4)) {
	case 0:
		put16(p + 8, 1 + rnd_below(0xfffe));	/* pfv */
		at = AT_PFV;
		break;
	case 1:
		p[10] = 32 + rnd_below(224);		/* hpda beyond 31 */
		at = AT_HPDA;
		break;
	case 2:		/* flags and pdo are reserved in an ICReq */
		p[1] = 1 + rnd_below(255);
		fes = FES_BAD_HDR;
		at = AT_FLAGS;
		break;
	default:
		p[3] = 1 + rnd_below(255);
		fes = FES_BAD_HDR;
		at = AT_PDO;
		break;
	}
	send_all(c, p, sizeof(p));
	return refuse(c, fes, at, p, sizeof(p));
}

static enum expect seq_icreq_twice(struct conn *c)
{
	uint8_t p[ICREQ_LEN];

	if (!icreq_exchange(c))
		return EXP_OK;	/* reported as a failure by the caller */
	icreq_build(p, false, false);
	send_all(c, p, sizeof(p));
	return refuse(c, FES_SEQ, 0, p, sizeof(p));
}

static enum expect seq_icreq_truncated(struct conn *c)
{
	uint8_t p[ICREQ_LEN];

	icreq_build(p, false, false);
	send_all(c, p, 1 + rnd_below(ICREQ_LEN - 1));
	return EXP_ANY;
}

static enum expect seq_garbage(struct conn *c)
{
	uint8_t p[512];
	size_t len = 1 + rnd_below(sizeof(p));

	rnd_fill(p, len);
	if (!p[0])
		p[0] = 0xff;	/* never a valid ICReq by chance */
	send_all(c, p, len);
	return EXP_ANY;
}

static enum expect seq_bad_type(struct conn *c)
{
	static const uint8_t types[] = { ICRESP, H2C_TERM, C2H_TERM, RSP, C2H_DATA, 8, R2T, 10, 0x7f, 0xff };
	uint8_t p[64];

	if (!icreq_exchange(c))
		return EXP_OK;
	memset(p, 0, sizeof(p));
	p[0] = types[rnd_below(sizeof(types))];
	p[2] = 24;
	put32(p + 4, 24);
	send_all(c, p, 24);
	/* A host's H2CTermReq ends the connection: nothing to answer. */
	if (p[0] == H2C_TERM)
		return refuse(c, FES_NONE, 0, p, 24);
	return refuse(c, FES_BAD_HDR, AT_TYPE, p, 24);
}

/*
 * A capsule header with one field broken, its header digest (if any)
 * made anew so that the check of that field is the one to refuse it.
 */
static enum expect seq_capsule_header(struct conn *c)
{
	uint16_t fes = FES_BAD_HDR;
	uint32_t at;
	size_t len;

	if (!icreq_exchange(c))
		return EXP_OK;
	len = connect_capsule(c, 1);
	switch (rnd_below(7)) {
	case 0:		/* header length */
		big[2] = CMD_HLEN - 1 - rnd_below(CMD_HLEN - 1);
		at = AT_HLEN;
		break;
	case 1:		/* plen shorter than the header */
		put32(big + 4, rnd_below(CMD_HLEN));
		at = AT_PLEN;
		break;
	case 2:		/* plen beyond any in-capsule limit */
		put32(big + 4, 0x100000 + rnd());
		fes = FES_LIMIT;
		at = 0;
		break;
	case 3:		/* data offset */
		big[3] += 1 + rnd_below(100);
		at = AT_PDO;
		break;
	case 4:		/* header digest flag flipped */
		big[1] ^= F_HDGST;
		at = AT_FLAGS;
		break;
	case 5:		/* data digest flag flipped */
		big[1] ^= F_DDGST;
		at = AT_FLAGS;
		break;
	default:	/* a header digest that does not match, or no digest */
		if (c->hdgst) {
			big[CMD_HLEN] ^= 1 + rnd_below(255);
			send_all(c, big, len);
			return refuse(c, FES_HDGST, get32(big + CMD_HLEN), big, len);
		}
		big[1] |= F_HDGST;
		at = AT_FLAGS;
		break;
	}
	if (c->hdgst)
		put32(big + CMD_HLEN, digest(big, CMD_HLEN));
	send_all(c, big, len);
	return refuse(c, fes, at, big, len);
}

static enum expect seq_sgl_mismatch(struct conn *c)
{
	uint8_t sqe[64], data[CONNECT_DATA];
	size_t len;

	if (!icreq_exchange(c))
		return EXP_OK;
	/* The SGL says one length, the PDU carries another, or no SGL. */
	connect_sqe(sqe, 1, rnd() & 1 ? SGL_TRANSPORT : SGL_INCAPSULE,
		    CONNECT_DATA + 8 + rnd_below(4096));
	connect_data(data);
	len = capsule_build(c, big, sqe, data, CONNECT_DATA);
	send_all(c, big, len);
	return refuse(c, FES_BAD_HDR,
		      sqe[39] == SGL_TRANSPORT ? AT_SGL_TYPE : AT_SGL_LEN, big, len);
}

static enum expect seq_bad_data_digest(struct conn *c)
{
	size_t len;

	if (!icreq_exchange(c))
		return EXP_OK;
	if (!c->ddgst)
		return EXP_ANY;		/* nothing to break this time */
	len = connect_capsule(c, 1);
	big[len - 1 - rnd_below(4)] ^= 1 + rnd_below(255);
	send_all(c, big, len);
	/* The binding has no status for a data digest error. */
	return refuse(c, FES_NONE, 0, big, len);
}

static enum expect seq_unsolicited_h2c(struct conn *c)
{
	uint8_t p[DATA_HLEN + 4 + 512 + 4];
	size_t hd, len;

	if (!icreq_exchange(c))
		return EXP_OK;
	hd = DATA_HLEN + (c->hdgst ? 4 : 0);
	memset(p, 0, sizeof(p));
	p[0] = H2C_DATA;
	p[1] = F_LAST | (c->hdgst ? F_HDGST : 0) | (c->ddgst ? F_DDGST : 0);
	p[2] = DATA_HLEN;
	p[3] = hd;
	put16(p + 10, rnd() & 1 ? 0xffff : rnd_below(64));	/* ttag */
	put32(p + 16, 512);
	len = hd + 512 + (c->ddgst ? 4 : 0);
	put32(p + 4, len);
	if (c->hdgst)
		put32(p + DATA_HLEN, digest(p, DATA_HLEN));
	send_all(c, p, len);
	return refuse(c, FES_SEQ, 0, p, len);
}

/* A command other than Connect first, with in-capsule data: refused. */
static enum expect seq_not_connected(struct conn *c)
{
	uint8_t sqe[64], data[512];
	size_t len;
	int st;

	if (!icreq_exchange(c))
		return EXP_OK;
	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0x01;			/* Write */
	sqe[1] = PSDT_SGL;
	put16(sqe + 2, 7);
	put32(sqe + 4, 1);		/* nsid */
	put32(sqe + 32, sizeof(data));
	sqe[39] = SGL_INCAPSULE;
	rnd_fill(data, sizeof(data));
	len = capsule_build(c, big, sqe, data, sizeof(data));
	send_all(c, big, len);
	st = recv_response(c, 7);
	vlog("  status %#x\n", st);
	/* Refused, and only after the data was read: the link lives on. */
	return st > 0 ? EXP_ERROR : EXP_OK;
}

/*
 * Connect with its data behind an R2T, then an H2CData PDU that breaks
 * one rule of the R2T.
 */
static enum expect seq_bad_h2c(struct conn *c)
{
	uint8_t sqe[64], r2t[DATA_HLEN + 4], p[DATA_HLEN + 4], data[CONNECT_DATA + 8];
	uint32_t off = 0, dlen = CONNECT_DATA, ttag, cid = 3 + rnd_below(100), at = 0;
	uint16_t fes;
	size_t hd, len;
	int r;

	if (!icreq_exchange(c))
		return EXP_OK;
	connect_sqe(sqe, cid, SGL_TRANSPORT, CONNECT_DATA);
	len = capsule_build(c, big, sqe, NULL, 0);
	send_all(c, big, len);
	r = recv_pdu(c, r2t, sizeof(r2t), timeout_ms);
	if (r != 1 || r2t[0] != R2T || get16(r2t + 8) != cid ||
	    get32(r2t + 12) != 0 || get32(r2t + 16) != CONNECT_DATA) {
		fprintf(stderr, "no proper R2T for a Connect without in-capsule data\n");
		return EXP_OK;
	}
	ttag = get16(r2t + 10);
	hd = DATA_HLEN + (c->hdgst ? 4 : 0);
	memset(p, 0, sizeof(p));
	p[0] = H2C_DATA;
	p[1] = F_LAST | (c->hdgst ? F_HDGST : 0) | (c->ddgst ? F_DDGST : 0);
	p[2] = DATA_HLEN;
	p[3] = hd;
	put16(p + 8, cid);
	switch (rnd_below(8)) {
	case 7:
		/* A proper H2CData whose data digest (or hdgst) is wrong. */
		put16(p + 10, ttag);
		put32(p + 16, CONNECT_DATA);
		len = hd + CONNECT_DATA + (c->ddgst ? 4 : 0);
		put32(p + 4, len);
		if (c->hdgst)
			put32(p + DATA_HLEN, digest(p, DATA_HLEN) ^ (c->ddgst ? 0 : 1));
		send_all(c, p, hd);
		connect_data(data);
		put32(data + CONNECT_DATA, digest(data, CONNECT_DATA) ^ 0x100);
		if (!c->hdgst && !c->ddgst)
			return EXP_ANY;		/* nothing to corrupt: it connects */
		send_all(c, data, CONNECT_DATA + (c->ddgst ? 4 : 0));
		/* A data digest error has no status to send. */
		if (c->ddgst)
			return refuse(c, FES_NONE, 0, p, hd);
		return refuse(c, FES_HDGST, get32(p + DATA_HLEN), p, hd);
	case 0:
		ttag ^= 1 + rnd_below(0xfffe);
		fes = FES_SEQ;
		break;
	case 1:
		off = 1 + rnd_below(CONNECT_DATA - 1);
		dlen = CONNECT_DATA - off;
		fes = FES_RANGE;
		break;
	case 2:
		dlen = CONNECT_DATA + 4;		/* beyond the R2T */
		fes = FES_RANGE;
		break;
	case 3:
		dlen = 0;
		fes = FES_LIMIT;
		break;
	case 4:
		put16(p + 8, cid + 1);			/* another command */
		fes = FES_BAD_HDR;
		at = AT_H2C_CID;
		break;
	case 5:
		p[3] = hd + 4;				/* data offset */
		fes = FES_BAD_HDR;
		at = AT_PDO;
		break;
	default:
		dlen = c->maxdata + 4;			/* beyond MAXH2CDATA */
		fes = FES_LIMIT;
		break;
	}
	put16(p + 10, ttag);
	put32(p + 12, off);
	put32(p + 16, dlen);
	len = p[3] + dlen + (c->ddgst ? 4 : 0);
	put32(p + 4, len);
	if (c->hdgst)
		put32(p + DATA_HLEN, digest(p, DATA_HLEN));
	send_all(c, p, hd);
	connect_data(data);
	send_all(c, data, sizeof(data));	/* the target should be gone */
	return refuse(c, fes, at, p, hd);
}

/*
 * What a connection without a controller may ask for: a Connect whose data
 * is not the 1024 bytes of Connect data (by R2T: the target must answer
 * with an error, never an R2T, so it set no buffer aside), or an admin
 * queue of more than 32 entries.  Both get an error; the link lives on.
 */
static enum expect seq_connect_limits(struct conn *c)
{
	uint8_t sqe[64], data[CONNECT_DATA];
	uint32_t dlen = CONNECT_DATA + 1 + rnd_below(2u << 20);
	size_t len;
	int st;

	if (!icreq_exchange(c))
		return EXP_OK;
	if (rnd_below(3)) {
		if (rnd_below(2))
			dlen = 1 + rnd_below(CONNECT_DATA - 1);
		connect_sqe(sqe, 5, SGL_TRANSPORT, dlen);
		len = capsule_build(c, big, sqe, NULL, 0);
		vlog("  Connect asking for %u bytes by R2T\n", dlen);
	} else {
		connect_sqe(sqe, 5, SGL_INCAPSULE, CONNECT_DATA);
		put16(sqe + 44, 32 + rnd_below(1024 - 32));	/* sqsize */
		connect_data(data);
		len = capsule_build(c, big, sqe, data, CONNECT_DATA);
		vlog("  admin Connect with sqsize %u\n", get16(sqe + 44));
	}
	send_all(c, big, len);
	st = recv_response(c, 5);
	vlog("  status %#x\n", st);
	return st > 0 ? EXP_ERROR : EXP_OK;
}

static enum expect seq_truncated_capsule(struct conn *c)
{
	size_t len;

	if (!icreq_exchange(c))
		return EXP_OK;
	len = connect_capsule(c, 1);
	send_all(c, big, 1 + rnd_below(len - 1));
	return EXP_ANY;
}

/* Control: a well-formed Connect must succeed. */
static enum expect seq_control(struct conn *c)
{
	size_t len;
	int st;

	if (!icreq_exchange(c))
		return EXP_CLOSE;	/* cannot be met: counts as failure */
	len = connect_capsule(c, 9);
	send_all(c, big, len);
	st = recv_response(c, 9);
	if (st) {
		fprintf(stderr, "control Connect failed, status %#x\n", st);
		return EXP_CLOSE;
	}
	return EXP_OK;
}


/*
 * Control: Connect (maybe without SQ head updates), then Identify
 * Controller, whose C2HData must be framed exactly as the ICReq asked
 * (digests, hpda padding, SUCCESS flag) and carry our subsystem NQN.
 */
static enum expect seq_control_identify(struct conn *c)
{
	uint8_t sqe[64], data[CONNECT_DATA], buf[8192];
	bool sqflow_off = rnd() & 1;
	unsigned int hd, pdo, plen, flags;
	size_t len;
	int st;

	if (!icreq_exchange(c))
		return EXP_CLOSE;
	connect_sqe(sqe, 9, SGL_INCAPSULE, CONNECT_DATA);
	if (sqflow_off)
		sqe[46] = 0x04;		/* NVME_CONNECT_DISABLE_SQFLOW */
	connect_data(data);
	len = capsule_build(c, big, sqe, data, CONNECT_DATA);
	send_all(c, big, len);
	st = recv_response(c, 9);
	if (st) {
		fprintf(stderr, "control Connect failed, status %#x\n", st);
		return EXP_CLOSE;
	}

	/* Admin commands need CC.EN: Property Set CC (IOSQES 6, IOCQES 4). */
	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0x7f;
	sqe[1] = PSDT_SGL;
	put16(sqe + 2, 11);
	sqe[4] = 0x00;			/* Property Set */
	sqe[39] = SGL_TRANSPORT;
	put32(sqe + 44, 0x14);		/* CC */
	put64(sqe + 48, 0x00460001);
	len = capsule_build(c, big, sqe, NULL, 0);
	send_all(c, big, len);
	st = recv_response(c, 11);
	if (st) {
		fprintf(stderr, "Property Set CC failed, status %#x\n", st);
		return EXP_CLOSE;
	}

	memset(sqe, 0, sizeof(sqe));
	sqe[0] = 0x06;			/* Identify */
	sqe[1] = PSDT_SGL;
	put16(sqe + 2, 10);
	put32(sqe + 32, 4096);
	sqe[39] = SGL_TRANSPORT;
	put32(sqe + 40, 1);		/* CNS: controller */
	len = capsule_build(c, big, sqe, NULL, 0);
	send_all(c, big, len);

	if (recv_pdu(c, buf, sizeof(buf), timeout_ms) != 1 || buf[0] != C2H_DATA) {
		fprintf(stderr, "no C2HData for Identify (type %u)\n", buf[0]);
		return EXP_CLOSE;
	}
	hd = DATA_HLEN + (c->hdgst ? 4 : 0);
	pdo = c2h_pdo(c);
	plen = get32(buf + 4);
	flags = buf[1];
	if (buf[2] != DATA_HLEN || buf[3] != pdo ||
	    plen != pdo + 4096 + (c->ddgst ? 4 : 0) ||
	    !(flags & F_LAST) || !!(flags & F_HDGST) != c->hdgst ||
	    !!(flags & F_DDGST) != c->ddgst ||
	    !!(flags & 0x08) != sqflow_off ||
	    get16(buf + 8) != 10 || get32(buf + 12) != 0 || get32(buf + 16) != 4096) {
		fprintf(stderr, "bad C2HData: flags %#x hlen %u pdo %u (want %u) plen %u hpda %u\n",
			flags, buf[2], buf[3], pdo, plen, c->hpda);
		return EXP_CLOSE;
	}
	if (c->hdgst && get32(buf + DATA_HLEN) != digest(buf, DATA_HLEN)) {
		fprintf(stderr, "bad C2HData header digest\n");
		return EXP_CLOSE;
	}
	for (unsigned int i = hd; i < pdo; i++) {
		if (buf[i]) {
			fprintf(stderr, "C2HData padding is not zero\n");
			return EXP_CLOSE;
		}
	}
	if (c->ddgst && get32(buf + pdo + 4096) != digest(buf + pdo, 4096)) {
		fprintf(stderr, "bad C2HData data digest\n");
		return EXP_CLOSE;
	}
	if (strncmp((char *)buf + pdo + 768, subnqn, 256)) {
		fprintf(stderr, "Identify names subsystem %.64s\n", buf + pdo + 768);
		return EXP_CLOSE;
	}
	/* Without SQ head updates, the SUCCESS flag stood in for a response. */
	if (!sqflow_off && recv_response(c, 10)) {
		fprintf(stderr, "Identify failed\n");
		return EXP_CLOSE;
	}
	return EXP_OK;
}

static struct seq seqs[] = {
	{ .name = "bad-first-pdu", .run = seq_bad_first_pdu },
	{ .name = "icreq-bad-length", .run = seq_icreq_bad_len },
	{ .name = "icreq-bad-field", .run = seq_icreq_bad_field },
	{ .name = "icreq-twice", .run = seq_icreq_twice },
	{ .name = "icreq-truncated", .run = seq_icreq_truncated },
	{ .name = "garbage", .run = seq_garbage },
	{ .name = "bad-pdu-type", .run = seq_bad_type },
	{ .name = "capsule-header", .run = seq_capsule_header },
	{ .name = "sgl-mismatch", .run = seq_sgl_mismatch },
	{ .name = "bad-data-digest", .run = seq_bad_data_digest },
	{ .name = "unsolicited-h2c", .run = seq_unsolicited_h2c },
	{ .name = "not-connected", .run = seq_not_connected },
	{ .name = "bad-h2c", .run = seq_bad_h2c },
	{ .name = "truncated-capsule", .run = seq_truncated_capsule },
	{ .name = "connect-limits", .run = seq_connect_limits },
};

static struct seq control = { .name = "control-connect", .run = seq_control };
static struct seq control_identify = { .name = "control-identify", .run = seq_control_identify };

static bool is_control(struct seq *s)
{
	return s == &control || s == &control_identify;
}

/* Run one sequence on a new connection; false if the target misbehaved. */
static bool run_seq(struct seq *s)
{
	struct conn c;
	enum expect e;
	bool ok = true;

	if (conn_open(&c))
		return false;
	s->runs++;
	vlog("%s\n", s->name);
	e = s->run(&c);
	switch (e) {
	case EXP_CLOSE:
		if (!is_control(s)) {
			struct closing got = expect_close(&c);

			ok = closed_as_expected(&c, &got);
		} else {
			ok = false;
		}
		break;
	case EXP_OK:
		ok = is_control(s);
		break;
	case EXP_ERROR:
	case EXP_ANY:
		break;
	}
	if (!ok) {
		s->failed++;
		fprintf(stderr, "sequence %s: the target did not behave\n", s->name);
	}
	conn_abort(&c);
	return ok;
}

/*
 * Many connections at once, each with a valid ICReq, held open, then a
 * burst of ICReqs on one connection: all answered, then dropped.
 */
static bool icreq_flood(int n)
{
	struct conn *cs = calloc(n, sizeof(*cs));
	bool ok = true;
	int i, opened = 0;

	if (!cs)
		return false;
	for (i = 0; i < n; i++) {
		if (conn_open(&cs[i])) {
			ok = false;
			break;
		}
		opened++;
		if (!icreq_exchange(&cs[i])) {
			ok = false;
			break;
		}
	}
	for (i = 0; i < opened; i++)
		conn_abort(&cs[i]);
	free(cs);
	printf("icreq-flood: %d connections held at once, each answered: %s\n",
	       opened, ok ? "yes" : "NO");
	return ok;
}

static bool icreq_burst(void)
{
	struct conn c;
	uint8_t p[ICREQ_LEN * 8];
	struct closing got;
	bool ok;

	if (conn_open(&c))
		return false;
	for (int i = 0; i < 8; i++)
		icreq_build(p + i * ICREQ_LEN, false, false);
	send_all(&c, p, sizeof(p));
	/* The first is answered, the second refused. */
	refuse(&c, FES_SEQ, 0, p + ICREQ_LEN, ICREQ_LEN);
	got = expect_close(&c);
	ok = closed_as_expected(&c, &got);
	conn_abort(&c);
	printf("icreq-burst: 8 ICReqs on one connection: %s\n", ok ? "dropped" : "NOT dropped");
	return ok;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* One connection from src_arg (any port), or -1. */
static int hold_open(void)
{
	struct sockaddr_storage src = { .ss_family = target.ss_family };
	int fd = socket(target.ss_family, SOCK_STREAM, IPPROTO_TCP);
	void *a = target.ss_family == AF_INET ?
		  (void *)&((struct sockaddr_in *)&src)->sin_addr :
		  (void *)&((struct sockaddr_in6 *)&src)->sin6_addr;

	if (fd < 0)
		return -1;
	if (src_arg && (inet_pton(target.ss_family, src_arg, a) != 1 ||
			bind(fd, (struct sockaddr *)&src, target_len) < 0)) {
		perror("bind");
		close(fd);
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&target, target_len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static volatile sig_atomic_t hold_stop;

static void hold_on_signal(int sig)
{
	hold_stop = 1;
}

/* Still open: nothing to read, or data, but no end of stream. */
static bool hold_alive(int fd)
{
	uint8_t b;
	ssize_t r = recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);

	return r > 0 || (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
}

/*
 * -H: hog the port from one address for @secs, or until SIGINT/SIGTERM.
 * A slot the target dropped is opened again 200 ms later.  "held-max"
 * counts connections alive (checked, not assumed) for 1 s or more, which
 * a target that refuses over its cap at accept time keeps within the cap;
 * "icreq-oldest" is the longest a connection with a full ICReq lived,
 * which must reach past the 5 s ICReq deadline.
 */
static bool peer_hold(unsigned int n, unsigned int secs)
{
	struct pollfd *pf = calloc(n, sizeof(*pf));
	double *since = calloc(n, sizeof(*since)), *gone = calloc(n, sizeof(*gone));
	unsigned int i, held, held_max = 0, opened = 0, dropped = 0;
	double t0 = now_s(), end = t0 + secs, oldest = 0;
	uint8_t half[ICREQ_LEN / 2], big_ask[ICREQ_LEN + CMD_HLEN], sqe[64];
	const uint8_t *hog[2] = { half, big_ask };
	size_t hog_len[2] = { sizeof(half) };
	struct conn plain = { 0 };	/* no digests */

	if (!pf || !since || !gone)
		return false;
	signal(SIGINT, hold_on_signal);
	signal(SIGTERM, hold_on_signal);
	icreq_build(big_ask, false, false);
	memcpy(half, big_ask, sizeof(half));
	connect_sqe(sqe, 1, SGL_TRANSPORT, 2u << 20);
	hog_len[1] = ICREQ_LEN + capsule_build(&plain, big_ask + ICREQ_LEN, sqe, NULL, 0);
	for (i = 0; i < n; i++)
		pf[i].fd = -1;
	while (!hold_stop && now_s() < end) {
		uint8_t buf[256];
		double t;

		for (i = 0; i < n; i++) {
			t = now_s();
			if (pf[i].fd >= 0 && (pf[i].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    recv(pf[i].fd, buf, sizeof(buf), MSG_DONTWAIT) <= 0) {
				close(pf[i].fd);
				pf[i].fd = -1;
				gone[i] = t;
				dropped++;
			}
			pf[i].revents = 0;
			if (pf[i].fd >= 0 || t - gone[i] < 0.2)
				continue;
			pf[i].fd = hold_open();
			if (pf[i].fd < 0) {
				gone[i] = t;
				continue;
			}
			pf[i].events = POLLIN;
			since[i] = t;
			opened++;
			if (i % 3 && send(pf[i].fd, hog[i % 3 - 1], hog_len[i % 3 - 1],
					  MSG_NOSIGNAL) < 0)
				vlog("hold: send: %s\n", strerror(errno));
		}
		t = now_s();
		held = 0;
		for (i = 0; i < n; i++) {
			if (pf[i].fd < 0 || !hold_alive(pf[i].fd))
				continue;
			if (t - since[i] >= 1.0)
				held++;
			if (i % 3 == 2 && t - since[i] > oldest)
				oldest = t - since[i];
		}
		if (held > held_max)
			held_max = held;
		poll(pf, n, 100);
	}
	for (i = 0; i < n; i++)
		if (pf[i].fd >= 0) {
			struct conn c = { .fd = pf[i].fd };

			conn_abort(&c);
		}
	printf("peer-hold: %u slots from %s for %.1f s: %u connections opened, %u dropped by the target, held-max %u, icreq-oldest %.1f s\n",
	       n, src_arg ? src_arg : "any address", now_s() - t0, opened, dropped,
	       held_max, oldest);
	free(pf);
	free(since);
	free(gone);
	return opened > 0;
}

/* A numeric IPv4 or IPv6 address: no resolver in a static binary. */
static int resolve(void)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&target;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&target;
	int port = atoi(port_arg);

	memset(&target, 0, sizeof(target));
	if (inet_pton(AF_INET, addr_arg, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		target_len = sizeof(*in4);
	} else if (inet_pton(AF_INET6, addr_arg, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		target_len = sizeof(*in6);
	} else {
		fprintf(stderr, "%s: not a numeric IPv4 or IPv6 address\n", addr_arg);
		return -1;
	}
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "Usage: nvmet-badpdu -a ADDR -n SUBNQN [-p PORT] [-q HOSTNQN] [-c COUNT]\n"
			"                    [-s SEED] [-m] [-t TIMEOUT_MS] [-f FLOOD] [-v]\n"
			"                    [-H SECONDS [-b SRC]]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned int count = 1000, flood = 100, every = 25, failures = 0, i;
	unsigned int hold = 0;
	size_t nseq = ARRAY_SIZE(seqs);
	uint64_t seed = time(NULL);
	struct timeval t0, t1;
	int opt;

	while ((opt = getopt(argc, argv, "a:p:n:q:c:s:mt:f:vH:b:")) != -1) {
		switch (opt) {
		case 'a':
			addr_arg = optarg;
			break;
		case 'p':
			port_arg = optarg;
			break;
		case 'n':
			subnqn = optarg;
			break;
		case 'q':
			hostnqn = optarg;
			break;
		case 'c':
			count = strtoul(optarg, NULL, 0);
			break;
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			use_mptcp = 1;
			break;
		case 't':
			timeout_ms = atoi(optarg);
			break;
		case 'f':
			flood = strtoul(optarg, NULL, 0);
			break;
		case 'v':
			verbose = 1;
			break;
		case 'H':
			hold = strtoul(optarg, NULL, 0);
			break;
		case 'b':
			src_arg = optarg;
			break;
		default:
			usage();
		}
	}
	if (!addr_arg || !subnqn || resolve())
		usage();
	if (hold)
		return peer_hold(flood, hold) ? 0 : 1;
	crc_init();
	rng_state = seed;
	printf("nvmet-badpdu: %u sequences against %s port %s over %s, seed %llu\n",
	       count, addr_arg, port_arg, use_mptcp ? "MPTCP" : "TCP",
	       (unsigned long long)seed);
	gettimeofday(&t0, NULL);

	for (i = 0; i < count; i++) {
		if (i % every == 0 &&
		    !run_seq(i / every % 2 ? &control_identify : &control))
			failures++;
		if (!run_seq(&seqs[rnd_below(nseq)]))
			failures++;
	}
	if (!run_seq(&control))
		failures++;
	if (flood && !icreq_flood(flood))
		failures++;
	if (!icreq_burst())
		failures++;
	if (!run_seq(&control_identify))
		failures++;

	gettimeofday(&t1, NULL);
	for (i = 0; i < nseq; i++)
		printf("  %-18s %5u runs %3u failed\n", seqs[i].name, seqs[i].runs, seqs[i].failed);
	printf("  %-18s %5u runs %3u failed\n", control.name, control.runs, control.failed);
	printf("  %-18s %5u runs %3u failed\n", control_identify.name,
	       control_identify.runs, control_identify.failed);
	printf("nvmet-badpdu: %u malformed sequences in %.1f s, %u failure(s)\n", count,
	       (t1.tv_sec - t0.tv_sec) + (t1.tv_usec - t0.tv_usec) / 1e6, failures);
	return failures ? 1 : 0;
}
