/* 6.2 named the iov_iter directions ITER_SOURCE/ITER_DEST (and 6.1 stable took it). */
#include <linux/uio.h>
unsigned int kc_probe(void);
unsigned int kc_probe(void) { return ITER_SOURCE | ITER_DEST; }
