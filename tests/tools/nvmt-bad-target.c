// SPDX-License-Identifier: GPL-2.0
/*
 * nvmt-bad-target: an NVMe/TCP "controller" that answers a host's first
 * command with one malformed PDU, to check that the host drops that
 * connection cleanly.  Test tool only.
 *
 * usage: nvmt-bad-target ADDR PORT CASE COUNT
 *   serves COUNT connections; CASE is a number from the table below, or
 *   "random" for random bytes after a valid ICResp.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* PDU types, as include/linux/nvme-tcp.h numbers them. */
enum {
	ICRESP = 0x01, C2H_TERM = 0x03, CMD = 0x04, RSP = 0x05,
	C2H_DATA = 0x07, R2T = 0x09,
};

struct hdr {
	uint8_t type, flags, hlen, pdo;
	uint32_t plen;
} __attribute__((packed));

static const char *const cases[] = {
	"bad ICResp version", "ICResp with data alignment", "ICResp maxdata 3",
	"response hlen 8", "unknown PDU type", "response for unknown command",
	"C2HData for a write", "R2T past the data", "C2HData too long",
	"response plen too long", "C2HTermReq", "truncated PDU then close",
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

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
	if (read_capsule(fd, &cid))
		return;

	switch (c) {
	case 3:
		put_hdr(pdu, RSP, 8, 8);
		len = 8;
		break;
	case 4:
		put_hdr(pdu, 0x42, 24, 24);
		break;
	case 5:
		put_hdr(pdu, RSP, 24, 24);
		cid ^= 0x0abc;
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
		fprintf(stderr, "usage: %s ADDR PORT CASE|random COUNT\n", argv[0]);
		for (c = 0; c < (long)NCASES; c++)
			fprintf(stderr, "  case %ld: %s\n", c, cases[c]);
		return 2;
	}
	c = strcmp(argv[3], "random") ? atol(argv[3]) : -1;
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
	alarm(120);
	for (i = 0; i < count; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			return 1;
		serve(fd, c);
		close(fd);
	}
	return 0;
}
