/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared by the fuzz targets: an input is a few bytes of queue (and
 * command) state, then the PDU header bytes as the socket delivered them.
 */
#ifndef _FUZZ_COMMON_H
#define _FUZZ_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "nvme-tcp-wire.h"

struct fuzz_in {
	const u8	*p;
	size_t		left;
};

/* Bytes past the input's end read as 0, as a short input should. */
static inline u8 fuzz_u8(struct fuzz_in *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static inline u32 fuzz_u32(struct fuzz_in *in)
{
	u32 v = fuzz_u8(in);

	v |= fuzz_u8(in) << 8;
	v |= fuzz_u8(in) << 16;
	return v | (u32)fuzz_u8(in) << 24;
}

/* The rest of the input into @buf, zero-padded as the queue's buffer is. */
static inline void fuzz_rest(struct fuzz_in *in, u8 *buf, size_t size)
{
	size_t n = in->left < size ? in->left : size;

	memset(buf, 0, size);
	memcpy(buf, in->p, n);
}

/*
 * The @len bytes rx.c has received when it runs a check, alone in a heap
 * block: ASan then reports any read past them.
 */
static inline u8 *fuzz_dup(const u8 *buf, size_t len)
{
	u8 *p = malloc(len);

	if (!p)
		abort();
	return memcpy(p, buf, len);
}

/* A broken invariant: abort() is what libFuzzer reports and keeps. */
#define FUZZ_ASSERT(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: invariant broken: %s\n", \
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

#endif /* _FUZZ_COMMON_H */
