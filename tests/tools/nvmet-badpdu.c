// SPDX-License-Identifier: GPL-2.0
/*
 * nvmet-badpdu: malformed NVMe/TCP PDU sequences against a target port.
 *
 * Every sequence is one new connection (TCP, or MPTCP with -m) that sends
 * something a host must not send, and declares which of the target's
 * refusals it must meet (a "slug" of /sys/kernel/debug/nvmet_mptcp/refusals,
 * or "none" where stock nvmet refuses it before nvmet-mptcp looks) and
 * what the peer must then see:
 *
 *  - a drop: a C2HTermReq with the status (FES) and field (FEI) the
 *    NVMe/TCP binding gives, carrying the header in error, then the close
 *    (or the close alone, for the host's own H2CTermReq);
 *  - a command error: the response with that status, and then the same
 *    connection still answers a well-formed command;
 *  - a timeout (-T): the connection is still open shortly before the
 *    target's deadline and closed shortly after it.
 *
 * Nothing passes "whatever happens".  Sequences run before the connection
 * has a controller, and on an admin queue after Connect and CC.EN (the
 * "attached" ones, which reach the per-command checks a stranger cannot).
 * Every 25th sequence is a well-formed control that must succeed.  Each
 * run also holds 100 connections with an ICReq at once (-f), sends one a
 * burst of ICReqs, and checks the admin queue's data budget (8 Set
 * Features of 2 MiB: 2 R2Ts, one more once one is answered).  At the end
 * it prints "tally SLUG N" for every slug: how many sequences expected
 * it, which target-badpdu.sh compares with the target's counters (and
 * "tally data-waits N", commands that must have waited for the budget).
 *
 * -T N: the timeouts instead, N connections of each kind at once: an
 * ICReq cut short (5 s) and a connection with an ICReq but no controller,
 * maybe with half a capsule or half its data (30 s).
 * -P SRC_A,SRC_B,SRC_C: the pending caps of a port nothing else uses:
 * 256 connections with an ICReq from A, 4 more from A (refused: per
 * address), 256 from B, 4 from C (refused: per port).
 * -H SECONDS: one peer that hogs the port: FLOOD connections from SRC
 * (-b), a third idle, a third stopped half way through their ICReq, a
 * third with an ICReq and then a Connect that asks for 2 MiB of data by
 * R2T it never sends, each opened again whenever the target drops it, for
 * SECONDS or until SIGTERM.  It prints the most connections that lived
 * 1 s or more at once ("held-max N"), which the target's cap per address
 * bounds, and what it saw, which bounds the target's counters.
 *
 * usage: nvmet-badpdu -a ADDR -n SUBNQN [-p PORT] [-q HOSTNQN] [-c COUNT]
 *                     [-s SEED] [-m] [-t TIMEOUT_MS] [-f FLOOD] [-v]
 *                     [-x SEQUENCE] [-A] [-T N | -P A,B,C | -Q SQSIZE |
 *                     -H SECONDS [-b SRC]]
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
#include <sys/resource.h>
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
#define MAX_DATA	(2u << 20)	/* the target's MDTS */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/* C2HTermReq fatal error status, and the FEI of the offsets it names. */
enum { FES_NONE = 0, FES_BAD_HDR = 1, FES_SEQ = 2, FES_HDGST = 3,
	FES_RANGE = 4, FES_LIMIT = 5, FES_PARAM = 6 };
enum { AT_TYPE = 0, AT_FLAGS = 1, AT_HLEN = 2, AT_PDO = 3, AT_PLEN = 4,
	AT_PFV = 8, AT_HPDA = 10, AT_H2C_CID = 8,
	AT_SGL_ADDR = SQE_OFF + 24, AT_SGL_LEN = SQE_OFF + 32,
	AT_SGL_TYPE = SQE_OFF + 39 };

/* NVMe statuses (the CQE's status field without the phase bit). */
#define ST_DNR			0x4000
#define ST_INVALID_OPCODE	(0x001 | ST_DNR)
#define ST_INVALID_FIELD	(0x002 | ST_DNR)
#define ST_SGL_INVALID_DATA	(0x00f | ST_DNR)
#define ST_SGL_INVALID_TYPE	(0x011 | ST_DNR)
#define ST_TRANSIENT		0x022
#define ST_CONNECT_PARAM	(0x182 | ST_DNR)

/*
 * The target's refusals, as /sys/kernel/debug/nvmet_mptcp/refusals names
 * them; SL_NONE is a refusal of stock nvmet's own, which nvmet-mptcp does
 * not count.
 */
enum slug {
	SL_NONE, SL_HOST_TERM, SL_SECOND_ICREQ, SL_ICREQ_HLEN, SL_ICREQ_PLEN,
	SL_ICREQ_FLAGS, SL_ICREQ_PDO, SL_BEFORE_ICREQ, SL_HLEN, SL_HDGST_FLAG,
	SL_PLEN, SL_TYPE, SL_PFV, SL_HPDA, SL_PDO, SL_DDGST_FLAG, SL_ICD_LIMIT,
	SL_DDGST_NO_DATA, SL_H2C_NO_R2T, SL_H2C_CID, SL_H2C_LENGTH,
	SL_H2C_OFFSET, SL_H2C_BEYOND, SL_HDR_DIGEST, SL_CMD_SLOTS, SL_ICD_SGL,
	SL_DATA_DIGEST, SL_SGL_TYPE, SL_DATA_LENGTH, SL_CONNECT_LENGTH,
	SL_ICD_READ, SL_QUEUE_SIZE, SL_ICREQ_TIMEOUT, SL_CONNECT_TIMEOUT,
	SL_PORT_PENDING, SL_PEER_PENDING,
	SL_DATA_WAITS,	/* not a refusal: commands that waited for budget */
	SL_NR
};

static const char *const slug_names[SL_NR] = {
	[SL_NONE] = "none", [SL_HOST_TERM] = "host-term",
	[SL_SECOND_ICREQ] = "second-icreq", [SL_ICREQ_HLEN] = "icreq-hlen",
	[SL_ICREQ_PLEN] = "icreq-plen", [SL_ICREQ_FLAGS] = "icreq-flags",
	[SL_ICREQ_PDO] = "icreq-pdo", [SL_BEFORE_ICREQ] = "before-icreq",
	[SL_HLEN] = "hlen", [SL_HDGST_FLAG] = "hdgst-flag", [SL_PLEN] = "plen",
	[SL_TYPE] = "type", [SL_PFV] = "pfv", [SL_HPDA] = "hpda",
	[SL_PDO] = "pdo", [SL_DDGST_FLAG] = "ddgst-flag",
	[SL_ICD_LIMIT] = "icd-limit", [SL_DDGST_NO_DATA] = "ddgst-no-data",
	[SL_H2C_NO_R2T] = "h2c-no-r2t", [SL_H2C_CID] = "h2c-cid",
	[SL_H2C_LENGTH] = "h2c-length", [SL_H2C_OFFSET] = "h2c-offset",
	[SL_H2C_BEYOND] = "h2c-beyond", [SL_HDR_DIGEST] = "hdr-digest",
	[SL_CMD_SLOTS] = "cmd-slots", [SL_ICD_SGL] = "icd-sgl",
	[SL_DATA_DIGEST] = "data-digest", [SL_SGL_TYPE] = "sgl-type",
	[SL_DATA_LENGTH] = "data-length",
	[SL_CONNECT_LENGTH] = "connect-length", [SL_ICD_READ] = "icd-read",
	[SL_QUEUE_SIZE] = "queue-size", [SL_ICREQ_TIMEOUT] = "icreq-timeout",
	[SL_CONNECT_TIMEOUT] = "connect-timeout",
	[SL_PORT_PENDING] = "port-pending", [SL_PEER_PENDING] = "peer-pending",
	[SL_DATA_WAITS] = "data-waits",
};

/* How many sequences expected each refusal (met or not). */
static unsigned int tally[SL_NR];

/* What the target must do with a sequence. */
enum want_kind {
	W_NONE,		/* nothing declared: a bug of the sequence */
	W_FAIL,		/* the sequence itself saw the target misbehave */
	W_DROP,		/* C2HTermReq (unless fes 0), then the close */
	W_STATUS,	/* this response, then the connection still answers */
	W_PASS,		/* control: everything succeeded */
};

static const char *addr_arg, *port_arg = "4420", *subnqn;
static const char *hostnqn = "nqn.2014-08.org.nvmexpress:uuid:badbadba-d000-4000-8000-000000000001";
static int timeout_ms = 3000, verbose, use_mptcp;
/*
 * -A: stock nvmet checks an admin queue's size against MQES (1024) itself
 * (6.1 does, 6.12 and later check I/O queues only): larger ones never
 * reach nvmet-mptcp's own check.
 */
static bool core_admin_mqes;
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

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- connections --------------------------------------------------------- */

struct conn {
	int fd;
	bool hdgst, ddgst;
	uint8_t hpda;		/* host PDU data alignment asked for */
	uint32_t maxdata;
	bool attached;		/* Connect and CC.EN done: an admin queue */
	bool busy_ok;		/* after a queue size refused by install_queue */
	uint16_t slots;		/* its queue size */
	/* What the sequence declared (expect_drop(), expect_status()). */
	enum want_kind want;
	enum slug slug;
	uint16_t cid, status;	/* W_STATUS */
	/*
	 * W_DROP: the C2HTermReq's FES, or FES_NONE where the target has no
	 * status to send; its FEI (a field offset, a digest, or 0 where
	 * reserved); and the PDU in error as sent, whose header the term
	 * must copy.
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

/* A new connection from @src (NULL: any address), or -1. */
static int open_from(const char *src, int proto)
{
	struct sockaddr_storage sa = { .ss_family = target.ss_family };
	void *a = target.ss_family == AF_INET ?
		  (void *)&((struct sockaddr_in *)&sa)->sin_addr :
		  (void *)&((struct sockaddr_in6 *)&sa)->sin6_addr;
	int one = 1, fd = socket(target.ss_family, SOCK_STREAM, proto);

	if (fd < 0) {
		perror("socket");
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src && (inet_pton(target.ss_family, src, a) != 1 ||
		    bind(fd, (struct sockaddr *)&sa, target_len) < 0)) {
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

static int conn_open(struct conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = open_from(NULL, use_mptcp ? IPPROTO_MPTCP : IPPROTO_TCP);
	if (c->fd < 0) {
		perror("connect");
		return -1;
	}
	return 0;
}

/* Close with a reset, so thousands of sequences leave no TIME_WAIT. */
static void fd_abort(int fd)
{
	struct linger l = { .l_onoff = 1, .l_linger = 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
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

/* The sequence cannot go on: the target misbehaved (said why). */
static void seq_fail(struct conn *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "  ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	c->want = W_FAIL;
}

/*
 * The sequence sent @pdu, which the target must refuse (@slug) by
 * dropping the connection after a C2HTermReq with @fes, @fei.
 */
static void expect_drop(struct conn *c, enum slug slug, uint16_t fes,
			uint32_t fei, const uint8_t *pdu, size_t len)
{
	c->want = W_DROP;
	c->slug = slug;
	c->fes = fes;
	c->fei = fei;
	c->bad_len = len < sizeof(c->bad) ? len : sizeof(c->bad);
	memcpy(c->bad, pdu, c->bad_len);
}

/* Command @cid must fail with @status (@slug), the connection live on. */
static void expect_status(struct conn *c, enum slug slug, uint16_t cid,
			  uint16_t status)
{
	c->want = W_STATUS;
	c->slug = slug;
	c->cid = cid;
	c->status = status;
}

/* The target must drop us: EOF or reset, maybe after a C2HTermReq. */
static struct closing expect_close(struct conn *c)
{
	struct closing got = { 0 };
	static uint8_t buf[65536 + 256];

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
			/* An R2T or response for something earlier may come first. */
			vlog("  PDU type %u before the close\n", buf[0]);
			if (got.term) {
				fprintf(stderr, "  PDU type %u after the C2HTermReq\n", buf[0]);
				got.bad_term = true;
			}
			continue;
		}
		/* Flags and pdo are reserved; the header copy follows. */
		if (got.term || buf[1] || buf[2] != TERM_HLEN || buf[3] ||
		    plen < TERM_HLEN || plen > TERM_HLEN + TERM_DATA_MAX) {
			fprintf(stderr, "  malformed C2HTermReq: flags %#x hlen %u pdo %u plen %u%s\n",
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

/* ICReq/ICResp with these digests.  false: the target misbehaved. */
static bool icreq_with(struct conn *c, bool hd, bool dd)
{
	uint8_t req[ICREQ_LEN], rsp[ICREQ_LEN];

	c->hdgst = hd;
	c->ddgst = dd;
	c->hpda = rnd() & 1 ? rnd_below(32) : 0;
	icreq_build(req, c->hdgst, c->ddgst);
	req[10] = c->hpda;
	if (send_all(c, req, sizeof(req)) || recv_all(c, rsp, sizeof(rsp), timeout_ms) != 1) {
		seq_fail(c, "no ICResp to a valid ICReq");
		return false;
	}
	if (rsp[0] != ICRESP || rsp[2] != ICREQ_LEN || get32(rsp + 4) != ICREQ_LEN ||
	    get16(rsp + 8) != 0 || rsp[10] != 0 ||
	    rsp[11] != ((c->hdgst ? 1 : 0) | (c->ddgst ? 2 : 0))) {
		seq_fail(c, "bad ICResp (type %u plen %u digest %#x)",
			 rsp[0], get32(rsp + 4), rsp[11]);
		return false;
	}
	c->maxdata = get32(rsp + 12);
	if (c->maxdata < 4096 || c->maxdata % 4) {
		seq_fail(c, "bad ICResp maxdata %u", c->maxdata);
		return false;
	}
	return true;
}

/* ICReq/ICResp with random digests. */
static bool icreq_exchange(struct conn *c)
{
	bool hd = rnd() & 1;

	return icreq_with(c, hd, rnd() & 1);
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

/* The header digest (if any) of a header changed after capsule_build. */
static void rehash(struct conn *c, uint8_t *p)
{
	if (c->hdgst)
		put32(p + p[2], digest(p, p[2]));
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

/* An admin command of @opcode with a data SGL of @type and @len. */
static void admin_sqe(uint8_t *sqe, uint8_t opcode, uint16_t cid,
		      uint8_t type, uint32_t len)
{
	memset(sqe, 0, 64);
	sqe[0] = opcode;
	sqe[1] = PSDT_SGL;
	put16(sqe + 2, cid);
	put32(sqe + 32, len);
	sqe[39] = type;
}

static uint8_t big[CMD_HLEN + 4 + 65536 + 4];

/* A well-formed admin Connect capsule for @cid in big; returns its length. */
static size_t connect_capsule(struct conn *c, uint16_t cid)
{
	uint8_t sqe[64], data[CONNECT_DATA];

	connect_sqe(sqe, cid, SGL_INCAPSULE, CONNECT_DATA);
	connect_data(data);
	return capsule_build(c, big, sqe, data, CONNECT_DATA);
}

/* Send a capsule without data for @sqe. */
static void send_cmd(struct conn *c, const uint8_t *sqe)
{
	uint8_t p[CMD_HLEN + 4];
	size_t len = capsule_build(c, p, sqe, NULL, 0);

	send_all(c, p, len);
}

/*
 * Read the response capsule for @cid.  Returns its status (without the
 * phase bit), or -1 after saying why.
 */
static int recv_response(struct conn *c, uint16_t cid)
{
	uint8_t buf[256];
	int r = recv_pdu(c, buf, sizeof(buf), timeout_ms);

	if (r != 1) {
		seq_fail(c, "no response capsule for command %u (%s)", cid,
			 r == 0 ? "closed" : r == -2 ? "timeout" : "error");
		return -1;
	}
	if (buf[0] != RSP || buf[2] != 24) {
		if (buf[0] == C2H_TERM)
			seq_fail(c, "C2HTermReq fes %#x fei %#x for command %u",
				 get16(buf + 8), get32(buf + 10), cid);
		else
			seq_fail(c, "expected a response, got PDU type %u", buf[0]);
		return -1;
	}
	if (get16(buf + 8 + 12) != cid) {
		seq_fail(c, "response for command %u, expected %u",
			 get16(buf + 20), cid);
		return -1;
	}
	return get16(buf + 8 + 14) >> 1;
}

/* Property Set (@set) or Get of the 4-byte property at @off. */
static int property(struct conn *c, uint16_t cid, bool set, uint32_t off,
		    uint32_t val)
{
	uint8_t sqe[64];

	admin_sqe(sqe, 0x7f, cid, SGL_TRANSPORT, 0);
	sqe[4] = set ? 0x00 : 0x04;
	put32(sqe + 44, off);
	put64(sqe + 48, val);
	send_cmd(c, sqe);
	return recv_response(c, cid);
}

/*
 * Connect to an admin queue of @sqsize + 1 entries, then CC.EN (IOSQES 6,
 * IOCQES 4) and CSTS.RDY: an enabled controller's admin queue.
 */
static bool attach(struct conn *c, uint16_t sqsize)
{
	uint8_t sqe[64], data[CONNECT_DATA];
	size_t len;
	int st, i;

	connect_sqe(sqe, 1, SGL_INCAPSULE, CONNECT_DATA);
	put16(sqe + 44, sqsize);
	connect_data(data);
	len = capsule_build(c, big, sqe, data, CONNECT_DATA);
	send_all(c, big, len);
	st = recv_response(c, 1);
	if (st) {
		if (st > 0)
			seq_fail(c, "Connect failed, status %#x", st);
		return false;
	}
	st = property(c, 2, true, 0x14, 0x00460001);
	if (st) {
		if (st > 0)
			seq_fail(c, "Property Set CC failed, status %#x", st);
		return false;
	}
	for (i = 0; i < 50; i++) {
		uint8_t buf[64];

		admin_sqe(sqe, 0x7f, 3, SGL_TRANSPORT, 0);
		sqe[4] = 0x04;
		put32(sqe + 44, 0x1c);		/* CSTS */
		send_cmd(c, sqe);
		if (recv_pdu(c, buf, sizeof(buf), timeout_ms) != 1 ||
		    buf[0] != RSP || get16(buf + 20) != 3 || get16(buf + 22) >> 1) {
			seq_fail(c, "Property Get CSTS failed");
			return false;
		}
		if (get32(buf + 8) & 1)
			break;
		usleep(20000);
	}
	if (i == 50) {
		seq_fail(c, "CSTS.RDY never set");
		return false;
	}
	c->attached = true;
	c->slots = sqsize + 1;
	return true;
}

/*
 * An H2CData PDU for @cid/@ttag at @off with @dlen bytes of @data (NULL:
 * zeroes), with the connection's digests; returns its length.
 */
static size_t h2c_build(struct conn *c, uint8_t *p, uint16_t cid, uint16_t ttag,
			uint32_t off, const uint8_t *data, uint32_t dlen, bool last)
{
	size_t hd = DATA_HLEN + (c->hdgst ? 4 : 0), len = hd + dlen;

	memset(p, 0, hd);
	p[0] = H2C_DATA;
	p[1] = (last ? F_LAST : 0) | (c->hdgst ? F_HDGST : 0) | (c->ddgst ? F_DDGST : 0);
	p[2] = DATA_HLEN;
	p[3] = hd;
	put16(p + 8, cid);
	put16(p + 10, ttag);
	put32(p + 12, off);
	put32(p + 16, dlen);
	if (data)
		memcpy(p + hd, data, dlen);
	else
		memset(p + hd, 0, dlen);
	if (c->ddgst) {
		put32(p + len, digest(p + hd, dlen));
		len += 4;
	}
	put32(p + 4, len);
	rehash(c, p);
	return len;
}

/* An R2T for @cid of @len bytes from 0: its ttag, or -1. */
static int recv_r2t(struct conn *c, uint16_t cid, uint32_t len)
{
	uint8_t r2t[64];
	int r = recv_pdu(c, r2t, sizeof(r2t), timeout_ms);

	if (r != 1 || r2t[0] != R2T || get16(r2t + 8) != cid ||
	    get32(r2t + 12) != 0 || get32(r2t + 16) != len) {
		seq_fail(c, "no proper R2T for command %u of %u bytes (got %s type %u)",
			 cid, len, r == 1 ? "PDU" : "nothing", r == 1 ? r2t[0] : 0);
		return -1;
	}
	return get16(r2t + 10);
}

/* ---- the sequences ------------------------------------------------------- */

struct seq {
	const char *name;
	void (*run)(struct conn *c);
	unsigned int runs, failed;
	bool off;		/* -x: not run */
};

static void seq_bad_first_pdu(struct conn *c)
{
	uint8_t p[CMD_HLEN];

	memset(p, 0, sizeof(p));
	p[0] = CMD + rnd_below(2) * 2;	/* a capsule or H2CData before ICReq */
	p[2] = p[0] == CMD ? CMD_HLEN : DATA_HLEN;
	put32(p + 4, p[2]);
	send_all(c, p, p[2]);
	expect_drop(c, SL_BEFORE_ICREQ, FES_SEQ, 0, p, p[2]);
}

static void seq_icreq_bad_len(struct conn *c)
{
	uint8_t p[ICREQ_LEN];

	icreq_build(p, false, false);
	if (rnd() & 1) {
		p[2] = rnd_below(ICREQ_LEN);		/* hlen */
		send_all(c, p, sizeof(p));
		expect_drop(c, SL_ICREQ_HLEN, FES_BAD_HDR, AT_HLEN, p, sizeof(p));
	} else {
		put32(p + 4, ICREQ_LEN + 1 + rnd_below(1 << 20));	/* plen */
		send_all(c, p, sizeof(p));
		expect_drop(c, SL_ICREQ_PLEN, FES_BAD_HDR, AT_PLEN, p, sizeof(p));
	}
}

static void seq_icreq_bad_field(struct conn *c)
{
	static const struct {
		enum slug slug;
		uint16_t fes;
		uint32_t at;
	} field[] = {
		{ SL_PFV, FES_PARAM, AT_PFV },
		{ SL_HPDA, FES_PARAM, AT_HPDA },
		{ SL_ICREQ_FLAGS, FES_BAD_HDR, AT_FLAGS },	/* reserved */
		{ SL_ICREQ_PDO, FES_BAD_HDR, AT_PDO },		/* reserved */
	};
	unsigned int f = rnd_below(ARRAY_SIZE(field));
	uint8_t p[ICREQ_LEN];
	bool hd = rnd() & 1;

	icreq_build(p, hd, rnd() & 1);
	switch (f) {
	case 0:
		put16(p + 8, 1 + rnd_below(0xfffe));
		break;
	case 1:
		p[10] = 32 + rnd_below(224);		/* beyond 31 */
		break;
	case 2:
		p[1] = 1 + rnd_below(255);
		break;
	default:
		p[3] = 1 + rnd_below(255);
		break;
	}
	send_all(c, p, sizeof(p));
	expect_drop(c, field[f].slug, field[f].fes, field[f].at, p, sizeof(p));
}

static void seq_icreq_twice(struct conn *c)
{
	uint8_t p[ICREQ_LEN];

	if (!icreq_exchange(c))
		return;
	icreq_build(p, false, false);
	send_all(c, p, sizeof(p));
	expect_drop(c, SL_SECOND_ICREQ, FES_SEQ, 0, p, sizeof(p));
}

/*
 * Random bytes first thing, at least a common header (shorter ones are
 * the ICReq timeout's, -T): what the target must make of it follows from
 * its type alone.
 */
static void seq_garbage(struct conn *c)
{
	uint8_t p[512];
	size_t len = HDR_LEN + rnd_below(sizeof(p) - HDR_LEN + 1);

	rnd_fill(p, len);
	if (!p[0])
		p[0] = 0xff;	/* never a valid ICReq by chance */
	send_all(c, p, len);
	if (p[0] == CMD || p[0] == H2C_DATA)
		expect_drop(c, SL_BEFORE_ICREQ, FES_SEQ, 0, p, len);
	else if (p[0] == H2C_TERM)
		expect_drop(c, SL_HOST_TERM, FES_NONE, 0, p, len);
	else
		expect_drop(c, SL_TYPE, FES_BAD_HDR, AT_TYPE, p, len);
}

static void seq_bad_type(struct conn *c)
{
	static const uint8_t types[] = { ICRESP, H2C_TERM, C2H_TERM, RSP, C2H_DATA, 8, R2T, 10, 0x7f, 0xff };
	uint8_t p[64];

	if (!icreq_exchange(c))
		return;
	memset(p, 0, sizeof(p));
	p[0] = types[rnd_below(sizeof(types))];
	p[2] = 24;
	put32(p + 4, 24);
	send_all(c, p, 24);
	/* A host's H2CTermReq ends the connection: nothing to answer. */
	if (p[0] == H2C_TERM)
		expect_drop(c, SL_HOST_TERM, FES_NONE, 0, p, 24);
	else
		expect_drop(c, SL_TYPE, FES_BAD_HDR, AT_TYPE, p, 24);
}

/*
 * A capsule header with one field broken, its header digest (if any)
 * made anew so that the check of that field is the one to refuse it.
 */
static void seq_capsule_header(struct conn *c)
{
	uint8_t sqe[64];
	uint16_t fes = FES_BAD_HDR;
	enum slug slug;
	uint32_t at;
	size_t len;

	if (!icreq_exchange(c))
		return;
	len = connect_capsule(c, 1);
	switch (rnd_below(8)) {
	case 0:		/* header length */
		big[2] = CMD_HLEN - 1 - rnd_below(CMD_HLEN - 1);
		slug = SL_HLEN;
		at = AT_HLEN;
		break;
	case 1:		/* plen shorter than the header */
		put32(big + 4, rnd_below(CMD_HLEN));
		slug = SL_PLEN;
		at = AT_PLEN;
		break;
	case 2:		/* plen beyond any in-capsule limit */
		put32(big + 4, 0x100000 + rnd());
		slug = SL_ICD_LIMIT;
		fes = FES_LIMIT;
		at = 0;
		break;
	case 3:		/* data offset */
		big[3] += 1 + rnd_below(100);
		slug = SL_PDO;
		at = AT_PDO;
		break;
	case 4:		/* header digest flag flipped */
		big[1] ^= F_HDGST;
		slug = SL_HDGST_FLAG;
		at = AT_FLAGS;
		break;
	case 5:		/* data digest flag flipped */
		big[1] ^= F_DDGST;
		slug = SL_DDGST_FLAG;
		at = AT_FLAGS;
		break;
	case 6:		/* no data, but a data digest flag */
		connect_sqe(sqe, 1, SGL_TRANSPORT, CONNECT_DATA);
		len = capsule_build(c, big, sqe, NULL, 0);
		big[1] |= F_DDGST;
		slug = SL_DDGST_NO_DATA;
		at = AT_FLAGS;
		break;
	default:	/* a header digest that does not match, or no digest */
		if (c->hdgst) {
			big[CMD_HLEN] ^= 1 + rnd_below(255);
			send_all(c, big, len);
			expect_drop(c, SL_HDR_DIGEST, FES_HDGST, get32(big + CMD_HLEN),
				    big, len);
			return;
		}
		big[1] |= F_HDGST;
		slug = SL_HDGST_FLAG;
		at = AT_FLAGS;
		break;
	}
	rehash(c, big);
	send_all(c, big, len);
	expect_drop(c, slug, fes, at, big, len);
}

/* In-capsule data whose SGL disagrees: type, address (offset) or length. */
static void seq_sgl_mismatch(struct conn *c)
{
	uint8_t sqe[64], data[CONNECT_DATA];
	uint32_t at;
	size_t len;

	if (!icreq_exchange(c))
		return;
	connect_sqe(sqe, 1, SGL_INCAPSULE, CONNECT_DATA);
	switch (rnd_below(3)) {
	case 0:
		sqe[39] = rnd() & 1 ? SGL_TRANSPORT : 0x00;
		at = AT_SGL_TYPE;
		break;
	case 1:		/* a non-zero offset into the capsule's data */
		put64(sqe + 24, 1 + rnd_below(CONNECT_DATA));
		at = AT_SGL_ADDR;
		break;
	default:
		put32(sqe + 32, CONNECT_DATA + 8 + rnd_below(4096));
		at = AT_SGL_LEN;
		break;
	}
	connect_data(data);
	len = capsule_build(c, big, sqe, data, CONNECT_DATA);
	send_all(c, big, len);
	expect_drop(c, SL_ICD_SGL, FES_BAD_HDR, at, big, len);
}

/* A Connect whose in-capsule data fails its digest: that command fails. */
static void seq_bad_data_digest(struct conn *c)
{
	size_t len;

	if (!icreq_with(c, rnd() & 1, true))
		return;
	len = connect_capsule(c, 4);
	big[len - 1 - rnd_below(4)] ^= 1 + rnd_below(255);
	send_all(c, big, len);
	expect_status(c, SL_DATA_DIGEST, 4, ST_TRANSIENT);
}

static void seq_unsolicited_h2c(struct conn *c)
{
	uint8_t p[DATA_HLEN + 4 + 512 + 4];
	size_t len;

	if (!icreq_exchange(c))
		return;
	len = h2c_build(c, p, 0, rnd() & 1 ? 0xffff : rnd_below(64), 0, NULL, 512, true);
	send_all(c, p, len);
	expect_drop(c, SL_H2C_NO_R2T, FES_SEQ, 0, p, len);
}

/*
 * A command other than Connect first, with in-capsule data: stock nvmet
 * refuses it (invalid opcode on an unconnected queue), after its data
 * was read, and the connection can still Connect.
 */
static void seq_not_connected(struct conn *c)
{
	uint8_t sqe[64], data[512];
	size_t len;

	if (!icreq_exchange(c))
		return;
	admin_sqe(sqe, 0x01, 7, SGL_INCAPSULE, sizeof(data));	/* Write */
	put32(sqe + 4, 1);		/* nsid */
	rnd_fill(data, sizeof(data));
	len = capsule_build(c, big, sqe, data, sizeof(data));
	send_all(c, big, len);
	expect_status(c, SL_NONE, 7, ST_INVALID_OPCODE);
}

/*
 * An H2CData PDU that breaks one rule of the R2T for @cid (@ttag, @want
 * bytes), or whose digest is wrong; @data is what it should carry.
 */
static void bad_h2c(struct conn *c, uint16_t cid, uint16_t ttag, uint32_t want,
		    const uint8_t *data)
{
	static uint8_t p[DATA_HLEN + 4 + (256 << 10) + 8];
	uint32_t off = 0, dlen = want, at = 0;
	enum slug slug;
	uint16_t fes;
	size_t hd = DATA_HLEN + (c->hdgst ? 4 : 0), len;

	switch (rnd_below(11)) {
	case 0:		/* a data digest that does not match: this command fails */
		if (!c->ddgst)
			break;
		len = h2c_build(c, p, cid, ttag, 0, data, want, true);
		p[len - 1 - rnd_below(4)] ^= 1 + rnd_below(255);
		send_all(c, p, len);
		expect_status(c, SL_DATA_DIGEST, cid, ST_TRANSIENT);
		return;
	case 1:		/* a header digest that does not match */
		if (!c->hdgst)
			break;
		len = h2c_build(c, p, cid, ttag, 0, data, want, true);
		p[DATA_HLEN + rnd_below(4)] ^= 1 + rnd_below(255);
		send_all(c, p, len);
		expect_drop(c, SL_HDR_DIGEST, FES_HDGST, get32(p + DATA_HLEN), p, hd);
		return;
	default:
		break;
	}
	switch (rnd_below(9)) {
	case 0:		/* no R2T names this tag */
		ttag ^= 1 + rnd_below(0xfffe);
		if (c->attached && ttag < c->slots)
			ttag = 0xfffe;	/* a free slot's would do too, but be sure */
		slug = SL_H2C_NO_R2T;
		fes = FES_SEQ;
		break;
	case 1:
		off = 1 + rnd_below(want - 1);
		dlen = want - off;
		slug = SL_H2C_OFFSET;
		fes = FES_RANGE;
		break;
	case 2:
		dlen = want + 4;		/* beyond the R2T */
		slug = SL_H2C_BEYOND;
		fes = FES_RANGE;
		break;
	case 3:
		dlen = 0;
		slug = SL_H2C_LENGTH;
		fes = FES_LIMIT;
		break;
	case 4:
		cid ^= 1 + rnd_below(0xfffe);	/* another command */
		slug = SL_H2C_CID;
		fes = FES_BAD_HDR;
		at = AT_H2C_CID;
		break;
	case 5:		/* data offset */
		slug = SL_PDO;
		fes = FES_BAD_HDR;
		at = AT_PDO;
		break;
	case 6:		/* data digest flag flipped */
		slug = SL_DDGST_FLAG;
		fes = FES_BAD_HDR;
		at = AT_FLAGS;
		break;
	case 7:		/* plen disagrees with the data length */
		slug = SL_PLEN;
		fes = FES_BAD_HDR;
		at = AT_PLEN;
		break;
	default:
		dlen = c->maxdata + 4;		/* beyond MAXH2CDATA */
		slug = SL_H2C_LENGTH;
		fes = FES_LIMIT;
		break;
	}
	len = h2c_build(c, p, cid, ttag, off, NULL, dlen > want ? want : dlen, true);
	put32(p + 16, dlen);
	if (slug == SL_PDO)
		p[3] = hd + 4;
	else if (slug == SL_DDGST_FLAG)
		p[1] ^= F_DDGST;
	else if (slug == SL_PLEN)
		put32(p + 4, get32(p + 4) + 4 + 4 * rnd_below(4));
	else if (slug == SL_H2C_BEYOND)
		put32(p + 4, get32(p + 4) + 4);
	rehash(c, p);
	send_all(c, p, hd);
	/* The rest, as if it were right: the target should be gone. */
	send_all(c, p + hd, len - hd);
	expect_drop(c, slug, fes, at, p, hd);
}

/* Connect with its data behind an R2T, then a bad H2CData PDU. */
static void seq_bad_h2c(struct conn *c)
{
	uint8_t sqe[64], data[CONNECT_DATA];
	uint16_t cid = 3 + rnd_below(100);
	int ttag;

	if (!icreq_exchange(c))
		return;
	connect_sqe(sqe, cid, SGL_TRANSPORT, CONNECT_DATA);
	send_cmd(c, sqe);
	ttag = recv_r2t(c, cid, CONNECT_DATA);
	if (ttag < 0)
		return;
	connect_data(data);
	bad_h2c(c, cid, ttag, CONNECT_DATA, data);
}

/*
 * What a connection without a controller may ask for: a Connect whose
 * data is not the 1024 bytes of Connect data, or is beyond MDTS, or not
 * by R2T (by R2T: the target must answer with an error, never an R2T, so
 * it set no buffer aside), or a queue of the wrong size.  Each gets an
 * error; the link lives on.
 */
static void seq_connect_limits(struct conn *c)
{
	uint8_t sqe[64], data[CONNECT_DATA];
	uint32_t dlen;
	uint16_t sqsize;
	size_t len;

	if (!icreq_exchange(c))
		return;
	switch (rnd_below(6)) {
	case 0:		/* too short or too long, by R2T */
		dlen = rnd() & 1 ? 1 + rnd_below(CONNECT_DATA - 1) :
				   CONNECT_DATA + 1 + rnd_below(MAX_DATA - CONNECT_DATA);
		connect_sqe(sqe, 5, SGL_TRANSPORT, dlen);
		send_cmd(c, sqe);
		expect_status(c, SL_CONNECT_LENGTH, 5, ST_SGL_INVALID_DATA);
		return;
	case 1:		/* beyond MDTS */
		connect_sqe(sqe, 5, SGL_TRANSPORT, MAX_DATA + 1 + rnd_below(1u << 30));
		send_cmd(c, sqe);
		expect_status(c, SL_DATA_LENGTH, 5, ST_SGL_INVALID_DATA);
		return;
	case 2:		/* no data in the capsule, nor a transport SGL */
		connect_sqe(sqe, 5, rnd() & 1 ? SGL_INCAPSULE : 0x00, CONNECT_DATA);
		send_cmd(c, sqe);
		expect_status(c, SL_SGL_TYPE, 5, ST_SGL_INVALID_TYPE);
		return;
	case 3:		/* admin queue of 33 to 1024 entries */
		sqsize = 32 + rnd_below(1024 - 32);
		break;
	case 4:		/* 65535 entries, or 0 (sqsize 65535 wraps) */
		sqsize = rnd() & 1 ? 0xfffe : 0xffff;
		break;
	default:	/* one entry: stock nvmet's own refusal (sqsize 0) */
		sqsize = 0;
		break;
	}
	connect_sqe(sqe, 5, SGL_INCAPSULE, CONNECT_DATA);
	put16(sqe + 44, sqsize);
	connect_data(data);
	len = capsule_build(c, big, sqe, data, CONNECT_DATA);
	send_all(c, big, len);
	vlog("  admin Connect with sqsize %u\n", sqsize);
	expect_status(c, !sqsize || (core_admin_mqes && sqsize > 1023) ?
		      SL_NONE : SL_QUEUE_SIZE, 5, ST_CONNECT_PARAM);
	c->busy_ok = c->slug == SL_QUEUE_SIZE;
}

/*
 * Before it has a controller a connection has one slot, the Connect's: a
 * second command while the Connect waits for its data is one too many.
 */
static void seq_connect_slots(struct conn *c)
{
	uint8_t sqe[64];
	size_t len;

	if (!icreq_exchange(c))
		return;
	connect_sqe(sqe, 6, SGL_TRANSPORT, CONNECT_DATA);
	send_cmd(c, sqe);
	if (recv_r2t(c, 6, CONNECT_DATA) < 0)
		return;
	if (rnd() & 1)
		connect_sqe(sqe, 7, SGL_TRANSPORT, CONNECT_DATA);
	else
		admin_sqe(sqe, 0x18, 7, SGL_TRANSPORT, 0);	/* Keep Alive */
	len = capsule_build(c, big, sqe, NULL, 0);
	send_all(c, big, len);
	expect_drop(c, SL_CMD_SLOTS, FES_SEQ, 0, big, len);
}

/* Set Features (a command that writes) asking for @len bytes by R2T. */
static void set_features(struct conn *c, uint16_t cid, uint32_t len)
{
	uint8_t sqe[64];

	admin_sqe(sqe, 0x09, cid, SGL_TRANSPORT, len);
	put32(sqe + 40, 0x80);		/* a reserved feature: never executes */
	send_cmd(c, sqe);
}

/*
 * On an enabled controller's admin queue (Connect, CC.EN): the checks a
 * stranger cannot reach.
 */
static void seq_attached(struct conn *c)
{
	uint8_t sqe[64], data[4096];
	uint16_t cid = 10 + rnd_below(1000);
	bool hd = rnd() & 1, dd = rnd() & 1;
	size_t len;
	int ttag;
	unsigned int i, k = rnd_below(8);

	/* Digests where the case needs them. */
	if (k == 0)
		dd = true;
	if (!icreq_with(c, hd, dd) || !attach(c, 1 + rnd_below(31)))
		return;
	rnd_fill(data, sizeof(data));
	switch (k) {
	case 0:		/* in-capsule data that fails its digest */
		admin_sqe(sqe, 0x09, cid, SGL_INCAPSULE, 512);
		len = capsule_build(c, big, sqe, data, 512);
		big[len - 1 - rnd_below(4)] ^= 1 + rnd_below(255);
		send_all(c, big, len);
		expect_status(c, SL_DATA_DIGEST, cid, ST_TRANSIENT);
		return;
	case 1:		/* not a transport SGL, and no data in the capsule */
		admin_sqe(sqe, 0x09, cid, rnd() & 1 ? 0x00 : SGL_INCAPSULE, 4096);
		send_cmd(c, sqe);
		expect_status(c, SL_SGL_TYPE, cid, ST_SGL_INVALID_TYPE);
		return;
	case 2:		/* beyond MDTS */
		admin_sqe(sqe, rnd() & 1 ? 0x09 : 0x06, cid, SGL_TRANSPORT,
			  MAX_DATA + 1 + rnd_below(1u << 30));
		send_cmd(c, sqe);
		expect_status(c, SL_DATA_LENGTH, cid, ST_SGL_INVALID_DATA);
		return;
	case 3:		/* in-capsule data on Identify, which reads */
		admin_sqe(sqe, 0x06, cid, SGL_INCAPSULE, 64);
		put32(sqe + 40, 1);
		len = capsule_build(c, big, sqe, data, 64);
		send_all(c, big, len);
		expect_status(c, SL_ICD_READ, cid, ST_INVALID_FIELD);
		return;
	case 4:		/* one command more than the queue has slots */
		for (i = 0; i < c->slots; i++)
			set_features(c, 100 + i, 4096);
		admin_sqe(sqe, 0x09, 100 + i, SGL_TRANSPORT, 4096);
		len = capsule_build(c, big, sqe, NULL, 0);
		send_all(c, big, len);
		expect_drop(c, SL_CMD_SLOTS, FES_SEQ, 0, big, len);
		return;
	case 5:		/* in-capsule data at a non-zero offset */
		admin_sqe(sqe, 0x09, cid, SGL_INCAPSULE, 512);
		put64(sqe + 24, 1 + rnd_below(4096));
		len = capsule_build(c, big, sqe, data, 512);
		send_all(c, big, len);
		expect_drop(c, SL_ICD_SGL, FES_BAD_HDR, AT_SGL_ADDR, big, len);
		return;
	default:	/* a bad H2CData on a real R2T */
		set_features(c, cid, 4096);
		ttag = recv_r2t(c, cid, 4096);
		if (ttag < 0)
			return;
		bad_h2c(c, cid, ttag, 4096, data);
		return;
	}
}

/* Control: a well-formed Connect must succeed. */
static void seq_control(struct conn *c)
{
	size_t len;
	int st;

	if (!icreq_exchange(c))
		return;
	len = connect_capsule(c, 9);
	send_all(c, big, len);
	st = recv_response(c, 9);
	if (st > 0)
		seq_fail(c, "control Connect failed, status %#x", st);
	if (!st)
		c->want = W_PASS;
}

/*
 * Control: Connect (maybe without SQ head updates), then Identify
 * Controller, whose C2HData must be framed exactly as the ICReq asked
 * (digests, hpda padding, SUCCESS flag) and carry our subsystem NQN.
 */
static void seq_control_identify(struct conn *c)
{
	uint8_t sqe[64], data[CONNECT_DATA], buf[8192];
	bool sqflow_off = rnd() & 1;
	unsigned int hd, pdo, plen, flags;
	size_t len;
	int st;

	if (!icreq_exchange(c))
		return;
	connect_sqe(sqe, 9, SGL_INCAPSULE, CONNECT_DATA);
	if (sqflow_off)
		sqe[46] = 0x04;		/* NVME_CONNECT_DISABLE_SQFLOW */
	connect_data(data);
	len = capsule_build(c, big, sqe, data, CONNECT_DATA);
	send_all(c, big, len);
	st = recv_response(c, 9);
	if (st) {
		if (st > 0)
			seq_fail(c, "control Connect failed, status %#x", st);
		return;
	}
	st = property(c, 11, true, 0x14, 0x00460001);	/* CC.EN */
	if (st) {
		if (st > 0)
			seq_fail(c, "Property Set CC failed, status %#x", st);
		return;
	}
	admin_sqe(sqe, 0x06, 10, SGL_TRANSPORT, 4096);	/* Identify */
	put32(sqe + 40, 1);		/* CNS: controller */
	send_cmd(c, sqe);

	if (recv_pdu(c, buf, sizeof(buf), timeout_ms) != 1 || buf[0] != C2H_DATA)
		return seq_fail(c, "no C2HData for Identify (type %u)", buf[0]);
	hd = DATA_HLEN + (c->hdgst ? 4 : 0);
	pdo = c2h_pdo(c);
	plen = get32(buf + 4);
	flags = buf[1];
	if (buf[2] != DATA_HLEN || buf[3] != pdo ||
	    plen != pdo + 4096 + (c->ddgst ? 4 : 0) ||
	    !(flags & F_LAST) || !!(flags & F_HDGST) != c->hdgst ||
	    !!(flags & F_DDGST) != c->ddgst ||
	    !!(flags & 0x08) != sqflow_off ||
	    get16(buf + 8) != 10 || get32(buf + 12) != 0 || get32(buf + 16) != 4096)
		return seq_fail(c, "bad C2HData: flags %#x hlen %u pdo %u (want %u) plen %u hpda %u",
				flags, buf[2], buf[3], pdo, plen, c->hpda);
	if (c->hdgst && get32(buf + DATA_HLEN) != digest(buf, DATA_HLEN))
		return seq_fail(c, "bad C2HData header digest");
	for (unsigned int i = hd; i < pdo; i++)
		if (buf[i])
			return seq_fail(c, "C2HData padding is not zero");
	if (c->ddgst && get32(buf + pdo + 4096) != digest(buf + pdo, 4096))
		return seq_fail(c, "bad C2HData data digest");
	if (strncmp((char *)buf + pdo + 768, subnqn, 256))
		return seq_fail(c, "Identify names subsystem %.64s", buf + pdo + 768);
	/* Without SQ head updates, the SUCCESS flag stood in for a response. */
	if (!sqflow_off) {
		st = recv_response(c, 10);
		if (st) {
			if (st > 0)
				seq_fail(c, "Identify failed, status %#x", st);
			return;
		}
	}
	c->want = W_PASS;
}

static struct seq seqs[] = {
	{ .name = "bad-first-pdu", .run = seq_bad_first_pdu },
	{ .name = "icreq-bad-length", .run = seq_icreq_bad_len },
	{ .name = "icreq-bad-field", .run = seq_icreq_bad_field },
	{ .name = "icreq-twice", .run = seq_icreq_twice },
	{ .name = "garbage", .run = seq_garbage },
	{ .name = "bad-pdu-type", .run = seq_bad_type },
	{ .name = "capsule-header", .run = seq_capsule_header },
	{ .name = "sgl-mismatch", .run = seq_sgl_mismatch },
	{ .name = "bad-data-digest", .run = seq_bad_data_digest },
	{ .name = "unsolicited-h2c", .run = seq_unsolicited_h2c },
	{ .name = "not-connected", .run = seq_not_connected },
	{ .name = "bad-h2c", .run = seq_bad_h2c },
	{ .name = "connect-limits", .run = seq_connect_limits },
	{ .name = "connect-slots", .run = seq_connect_slots },
	{ .name = "attached", .run = seq_attached },
	{ .name = "attached-2", .run = seq_attached },	/* twice as likely */
};

static struct seq control = { .name = "control-connect", .run = seq_control };
static struct seq control_identify = { .name = "control-identify", .run = seq_control_identify };

/*
 * After a command error the connection must still serve: a Connect
 * before it has a controller, a Property Get on an attached queue.
 */
static unsigned int busy_after_refusal;

static bool still_answers(struct conn *c)
{
	size_t len;
	int st;

	if (c->attached) {
		st = property(c, 0x77, false, 0x1c, 0);
	} else {
		len = connect_capsule(c, 0x78);
		send_all(c, big, len);
		st = recv_response(c, 0x78);
		/*
		 * Refused by nvmet-mptcp's install_queue, the Connect leaves
		 * the queue to stock nvmet, and 7.x's nvmet keeps its failed
		 * controller on it ("queue already connected!", Controller
		 * Busy): the connection answers all the same.
		 */
		if (c->busy_ok && st >= 0 && (st & 0x7ff) == 0x181) {
			busy_after_refusal++;
			return true;
		}
	}
	if (st > 0)
		fprintf(stderr, "  the connection does not serve after the error: status %#x\n", st);
	return st == 0;
}

/* Run one sequence on a new connection; false if the target misbehaved. */
static bool run_seq(struct seq *s)
{
	struct conn c;
	bool ok = false;
	int st;

	if (conn_open(&c))
		return false;
	s->runs++;
	vlog("%s\n", s->name);
	s->run(&c);
	if (c.want == W_DROP || c.want == W_STATUS)
		tally[c.slug]++;
	switch (c.want) {
	case W_DROP: {
		struct closing got = expect_close(&c);

		ok = closed_as_expected(&c, &got);
		break;
	}
	case W_STATUS:
		st = recv_response(&c, c.cid);
		if (st >= 0 && st != c.status)
			fprintf(stderr, "  command %u: status %#x, expected %#x (%s)\n",
				c.cid, st, c.status, slug_names[c.slug]);
		ok = st == c.status && still_answers(&c);
		break;
	case W_PASS:
		ok = s == &control || s == &control_identify;
		break;
	case W_NONE:
		fprintf(stderr, "  the sequence declared no outcome\n");
		break;
	case W_FAIL:
		break;
	}
	if (!ok) {
		s->failed++;
		fprintf(stderr, "sequence %s (%s): the target did not behave\n", s->name,
			c.want == W_DROP || c.want == W_STATUS ? slug_names[c.slug] : "-");
	}
	fd_abort(c.fd);
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
		fd_abort(cs[i].fd);
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
	expect_drop(&c, SL_SECOND_ICREQ, FES_SEQ, 0, p + ICREQ_LEN, ICREQ_LEN);
	tally[SL_SECOND_ICREQ]++;
	got = expect_close(&c);
	ok = closed_as_expected(&c, &got);
	fd_abort(c.fd);
	printf("icreq-burst: 8 ICReqs on one connection: %s\n", ok ? "dropped" : "NOT dropped");
	return ok;
}

/*
 * R2Ts, and nothing else: @want of them (each within the timeout), then
 * any more that come within 1 s; their commands and tags in @cids and
 * @ttags.  Returns how many, or -1 when something else came.
 */
static int count_r2ts(struct conn *c, int want, uint16_t *cids, uint16_t *ttags, int max)
{
	uint8_t buf[64];
	double end = 0;
	int n = 0, r;

	for (;;) {
		int tmo = timeout_ms;

		if (n >= want) {
			if (!end)
				end = now_s() + 1.0;
			tmo = (end - now_s()) * 1000;
			if (tmo <= 0)
				return n;
		}
		r = recv_pdu(c, buf, sizeof(buf), tmo);
		if (r == -2)
			return n;
		if (r != 1 || buf[0] != R2T) {
			seq_fail(c, "budget: %s (type %u) where only R2Ts may come",
				 r == 1 ? "a PDU" : "the close", r == 1 ? buf[0] : 0);
			return -1;
		}
		if (n < max) {
			cids[n] = get16(buf + 8);
			ttags[n] = get16(buf + 10);
		}
		n++;
	}
}

/*
 * One connection cannot pin more than its admin queue's data budget
 * (4 MiB): 8 Set Features of 2 MiB by R2T get 2 R2Ts, in order; all the
 * data of one of them gets it answered (with an error: nvmet refuses the
 * data at execution), and then exactly one more R2T goes out.
 */
static bool budget_check(void)
{
	static uint8_t p[DATA_HLEN + 4 + (256 << 10) + 4];
	uint16_t cids[8], ttags[8], next_cid[8], next_ttag[8];
	uint32_t chunk, off;
	struct conn c;
	int first = -1, more = -1, st;
	bool ok = false;

	if (conn_open(&c))
		return false;
	if (!icreq_exchange(&c) || !attach(&c, 31))
		goto out;
	for (int i = 0; i < 8; i++)
		set_features(&c, 200 + i, MAX_DATA);
	/* nvmet_mptcp/data_waits: the 6 that do not fit wait. */
	tally[SL_DATA_WAITS] += 6;
	first = count_r2ts(&c, 2, cids, ttags, 8);
	if (first < 1)
		goto out;
	chunk = c.maxdata < (256u << 10) ? c.maxdata : 256u << 10;
	for (off = 0; off < MAX_DATA; off += chunk) {
		size_t len = h2c_build(&c, p, cids[0], ttags[0], off, NULL, chunk,
				       off + chunk == MAX_DATA);

		send_all(&c, p, len);
	}
	st = recv_response(&c, cids[0]);
	if (st < 0)
		goto out;
	more = count_r2ts(&c, 1, next_cid, next_ttag, 8);
	ok = first == 2 && cids[0] == 200 && cids[1] == 201 &&
	     more == 1 && next_cid[0] == 202;
out:
	printf("budget: 8 commands of 2 MiB on an attached admin queue: %d R2Ts (want 2), after one was answered %d more (want 1): %s\n",
	       first, more, ok ? "ok" : "WRONG");
	fd_abort(c.fd);
	return ok;
}

/*
 * -Q SQSIZE: one admin Connect asking for SQSIZE + 1 entries; prints its
 * status.  target-badpdu.sh reads the counters around it to learn
 * whether stock nvmet checks admin queues against MQES itself (-A).
 */
static bool probe_sqsize(uint16_t sqsize)
{
	uint8_t sqe[64], data[CONNECT_DATA];
	struct conn c;
	size_t len;
	int st = -1;

	if (conn_open(&c))
		return false;
	if (icreq_with(&c, false, false)) {
		connect_sqe(sqe, 5, SGL_INCAPSULE, CONNECT_DATA);
		put16(sqe + 44, sqsize);
		connect_data(data);
		len = capsule_build(&c, big, sqe, data, CONNECT_DATA);
		send_all(&c, big, len);
		st = recv_response(&c, 5);
	}
	fd_abort(c.fd);
	printf("probe: admin Connect with sqsize %u: status %#x\n", sqsize, st);
	return st == ST_CONNECT_PARAM;
}

/* ---- -T: the setup deadlines ----------------------------------------------- */

struct timed {
	int fd;
	enum slug slug;
	double opened, deadline;	/* monotonic seconds */
	double last_open, closed;	/* last seen open; when seen closed */
	const char *what;
};

/* Open, nothing received: 1; closed: 0; data: -1. */
static int timed_state(int fd)
{
	uint8_t b[256];
	ssize_t r = recv(fd, b, sizeof(b), MSG_DONTWAIT);

	if (r > 0)
		return -1;
	if (r == 0 || errno == ECONNRESET)
		return 0;
	return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : 0;
}

/*
 * Connections that stop half way: @n whose ICReq is cut short (or that
 * send nothing, or a few random bytes: less than a common header), which
 * the target must close 5 s after accept, and @n with an ICReq but no
 * controller (nothing more, half a capsule, a capsule without all its
 * in-capsule data, a Connect without all the data its R2T asked for),
 * closed 30 s after accept.  All at once; each must be open when last
 * seen before its deadline (within 1 s of it) and closed within 3 s after.
 */
static bool timed_batch(unsigned int n)
{
	struct timed *t = calloc(2 * n, sizeof(*t));
	static const char *const kinds[] = { "icreq-part", "short-garbage",
		"icreq-only", "capsule-part", "icd-part", "h2c-part" };
	unsigned int i, nt = 0, failed = 0, open;
	uint8_t sqe[64], p[ICREQ_LEN];

	if (!t)
		return false;
	for (i = 0; i < 2 * n; i++) {
		struct conn c;
		size_t len;
		unsigned int k = i < n ? rnd_below(2) : 2 + rnd_below(4);
		double before = now_s();	/* the target's clock starts later */
		int ttag;

		if (conn_open(&c))
			break;
		t[nt].fd = c.fd;
		t[nt].opened = before;
		t[nt].what = kinds[k];
		t[nt].slug = k < 2 ? SL_ICREQ_TIMEOUT : SL_CONNECT_TIMEOUT;
		t[nt].deadline = t[nt].opened + (k < 2 ? 5 : 30);
		t[nt].last_open = t[nt].opened;
		switch (k) {
		case 0:
			icreq_build(p, false, false);
			send_all(&c, p, rnd_below(ICREQ_LEN));
			break;
		case 1:
			rnd_fill(p, HDR_LEN - 1);
			send_all(&c, p, rnd_below(HDR_LEN));
			break;
		case 2:
			icreq_exchange(&c);
			break;
		case 3:
			if (!icreq_exchange(&c))
				break;
			len = connect_capsule(&c, 1);
			send_all(&c, big, 1 + rnd_below(CMD_HLEN - 1));
			break;
		case 4:
			if (!icreq_exchange(&c))
				break;
			len = connect_capsule(&c, 1);
			send_all(&c, big, CMD_HLEN + (c.hdgst ? 4 : 0) +
				  rnd_below(len - CMD_HLEN - (c.hdgst ? 4 : 0)));
			break;
		default:
			if (!icreq_exchange(&c))
				break;
			connect_sqe(sqe, 1, SGL_TRANSPORT, CONNECT_DATA);
			send_cmd(&c, sqe);
			ttag = recv_r2t(&c, 1, CONNECT_DATA);
			if (ttag < 0)
				break;
			len = h2c_build(&c, big, 1, ttag, 0, NULL, CONNECT_DATA, true);
			send_all(&c, big, 1 + rnd_below(len - 1));
			break;
		}
		if (k >= 2 && c.want == W_FAIL)
			failed++;	/* no ICResp or R2T: said why */
		tally[t[nt].slug]++;
		nt++;
	}
	if (nt < 2 * n)
		failed++;
	for (open = nt; open;) {
		double now = now_s();

		open = 0;
		for (i = 0; i < nt; i++) {
			int s;

			if (t[i].closed || t[i].fd < 0)
				continue;
			s = timed_state(t[i].fd);
			if (s == 1) {
				t[i].last_open = now;
				if (now > t[i].deadline + 3) {
					fprintf(stderr, "timed %s: still open %.1f s after its deadline\n",
						t[i].what, now - t[i].deadline);
					t[i].closed = -1;
					failed++;
				} else {
					open++;
				}
				continue;
			}
			t[i].closed = now;
			if (s < 0) {
				fprintf(stderr, "timed %s: the target sent something\n", t[i].what);
				failed++;
			} else if (now < t[i].deadline - 0.05) {
				fprintf(stderr, "timed %s: closed %.1f s before its deadline\n",
					t[i].what, t[i].deadline - now);
				failed++;
			} else if (t[i].last_open < t[i].deadline - 1) {
				fprintf(stderr, "timed %s: not seen open in the last second before its deadline\n",
					t[i].what);
				failed++;
			}
		}
		if (open)
			usleep(100000);
	}
	for (i = 0; i < nt; i++)
		fd_abort(t[i].fd);
	printf("timed: %u connections (%u ICReq deadline, %u setup deadline): %u not as expected\n",
	       nt, n, nt - n, failed);
	free(t);
	return !failed;
}

/* ---- -P: the pending caps -------------------------------------------------- */

/* A connection the target must close at once, before reading anything. */
static bool refused_at_once(const char *src)
{
	struct conn c = { .fd = open_from(src, IPPROTO_TCP) };
	uint8_t b[8];
	int r;

	if (c.fd < 0)
		return false;
	r = recv_all(&c, b, sizeof(b), timeout_ms);
	fd_abort(c.fd);
	if (r != 0)
		fprintf(stderr, "pending: a connection from %s was %s, not closed at once\n",
			src, r == -2 ? "kept" : "answered");
	return r == 0;
}

/* @n connections from @src with an ICReq each, answered, into @fds. */
static unsigned int hold_icreq(const char *src, int *fds, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct conn c = { .fd = open_from(src, IPPROTO_TCP) };

		fds[i] = c.fd;
		if (c.fd < 0 || !icreq_with(&c, false, false)) {
			fprintf(stderr, "pending: connection %u from %s not answered\n", i, src);
			return i + (c.fd >= 0);
		}
	}
	return n;
}

/*
 * On a port nothing else uses: 256 connections with an ICReq (so 30 s to
 * live) from A, then 4 more from A, which the cap per address refuses;
 * 256 from B, which fill the port's 512; then 4 from C, which the cap per
 * port refuses.  All within a few seconds, far from the deadlines.
 */
static bool pending_caps(char *srcs)
{
	const unsigned int per_peer = 256, extra = 4;
	char *a = strtok(srcs, ","), *b = strtok(NULL, ","), *c = strtok(NULL, ",");
	int *fds = calloc(2 * per_peer, sizeof(*fds));
	unsigned int i, na = 0, nb = 0, peer_ok = 0, port_ok = 0;
	bool ok = false;

	if (!a || !b || !c || !fds) {
		fprintf(stderr, "-P needs three source addresses, A,B,C\n");
		return false;
	}
	na = hold_icreq(a, fds, per_peer);
	if (na < per_peer)
		goto out;
	for (i = 0; i < extra; i++) {
		tally[SL_PEER_PENDING]++;
		peer_ok += refused_at_once(a);
	}
	nb = hold_icreq(b, fds + na, per_peer);
	if (nb < per_peer)
		goto out;
	for (i = 0; i < extra; i++) {
		tally[SL_PORT_PENDING]++;
		port_ok += refused_at_once(c);
	}
	ok = peer_ok == extra && port_ok == extra;
out:
	printf("pending: %u held from %s, %u of %u more refused; %u held from %s, %u of %u from %s refused\n",
	       na, a, peer_ok, extra, nb, b, port_ok, extra, c);
	for (i = 0; i < na + nb; i++)
		if (fds[i] >= 0)
			fd_abort(fds[i]);
	free(fds);
	return ok;
}

/* ---- -H: one address hogs the port ------------------------------------------ */

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
 * which must reach past the 5 s ICReq deadline.  What it saw bounds the
 * target's counters: every drop is a refusal (cap, or a deadline), and
 * each Connect the target read is one refused length.
 */
static bool peer_hold(unsigned int n, unsigned int secs)
{
	struct pollfd *pf = calloc(n, sizeof(*pf));
	double *since = calloc(n, sizeof(*since)), *gone = calloc(n, sizeof(*gone));
	unsigned int i, held, held_max = 0, opened = 0, dropped = 0, connects = 0;
	unsigned int left = 0, left_connects = 0;
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
			pf[i].fd = open_from(src_arg, IPPROTO_TCP);
			if (pf[i].fd < 0) {
				gone[i] = t;
				continue;
			}
			pf[i].events = POLLIN;
			since[i] = t;
			opened++;
			if (i % 3 == 2)
				connects++;
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
	for (i = 0; i < n; i++) {
		if (pf[i].fd < 0)
			continue;
		if (hold_alive(pf[i].fd)) {
			left++;
			left_connects += i % 3 == 2;
		} else {
			dropped++;
		}
		fd_abort(pf[i].fd);
	}
	printf("peer-hold: %u slots from %s for %.1f s: %u connections opened, %u dropped by the target, held-max %u, icreq-oldest %.1f s, connects %u, held-at-end %u, connects-held-at-end %u\n",
	       n, src_arg ? src_arg : "any address", now_s() - t0, opened, dropped,
	       held_max, oldest, connects, left, left_connects);
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
			"                    [-x SEQUENCE] [-A] [-T N | -P A,B,C | -Q SQSIZE |\n"
			"                    -H SECONDS [-b SRC]]\n");
	exit(2);
}

/* "tally SLUG N" for every slug: what the target's counters must show. */
static void print_tally(void)
{
	for (unsigned int i = 0; i < SL_NR; i++)
		printf("tally %s %u\n", slug_names[i], tally[i]);
}

static void print_seq(const struct seq *s)
{
	printf("  %-18s %5u runs %3u failed\n", s->name, s->runs, s->failed);
}

int main(int argc, char **argv)
{
	unsigned int count = 1000, flood = 100, every = 25, failures = 0, i;
	unsigned int hold = 0, timed = 0, nseq = ARRAY_SIZE(seqs), on = 0;
	struct seq *pick[ARRAY_SIZE(seqs)];
	uint64_t seed = time(NULL);
	char *caps = NULL;
	long probe = -1;
	double t0, t1, w0;
	struct rlimit rl;
	int opt;

	while ((opt = getopt(argc, argv, "a:p:n:q:c:s:mt:f:vH:b:T:P:x:AQ:")) != -1) {
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
		case 'T':
			timed = strtoul(optarg, NULL, 0);
			break;
		case 'P':
			caps = optarg;
			break;
		case 'A':
			core_admin_mqes = true;
			break;
		case 'Q':
			probe = strtol(optarg, NULL, 0);
			break;
		case 'x':
			for (i = 0; i < nseq; i++)
				if (!strncmp(seqs[i].name, optarg, strlen(optarg)))
					seqs[i].off = true;
			break;
		default:
			usage();
		}
	}
	if (!addr_arg || !subnqn || resolve())
		usage();
	/* -P holds 512 connections. */
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	crc_init();
	rng_state = seed;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (hold)
		return peer_hold(flood, hold) ? 0 : 1;
	if (probe >= 0)
		return probe_sqsize(probe) ? 0 : 1;
	w0 = wall_s();
	if (timed || caps) {
		bool ok = timed ? timed_batch(timed) : pending_caps(caps);

		print_tally();
		printf("nvmet-badpdu: %s from %.3f to %.3f: %s\n", timed ? "timed" : "pending",
		       w0, wall_s(), ok ? "as expected" : "NOT as expected");
		return ok ? 0 : 1;
	}
	for (i = 0; i < nseq; i++)
		if (!seqs[i].off)
			pick[on++] = &seqs[i];
	if (!on)
		usage();
	printf("nvmet-badpdu: %u sequences against %s port %s over %s, seed %llu\n",
	       count, addr_arg, port_arg, use_mptcp ? "MPTCP" : "TCP",
	       (unsigned long long)seed);
	t0 = now_s();

	for (i = 0; i < count; i++) {
		if (i % every == 0 &&
		    !run_seq(i / every % 2 ? &control_identify : &control))
			failures++;
		if (!run_seq(pick[rnd_below(on)]))
			failures++;
	}
	if (!run_seq(&control))
		failures++;
	if (flood && !icreq_flood(flood))
		failures++;
	if (!icreq_burst())
		failures++;
	if (!budget_check())
		failures++;
	if (!run_seq(&control_identify))
		failures++;

	t1 = now_s();
	for (i = 0; i < nseq; i++)
		print_seq(&seqs[i]);
	print_seq(&control);
	print_seq(&control_identify);
	if (busy_after_refusal)
		printf("after a refused queue size, a second Connect on the same connection got Controller Busy %u times (stock nvmet kept the controller on the queue)\n",
		       busy_after_refusal);
	print_tally();
	printf("nvmet-badpdu: %u malformed sequences in %.1f s (from %.3f to %.3f), %u failure(s)\n",
	       count, t1 - t0, w0, wall_s(), failures);
	return failures ? 1 : 0;
}
