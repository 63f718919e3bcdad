/* 7.x: blk_mq_ops.init_request takes the NUMA node as int. */
#include <linux/blk-mq.h>
static int kc_init(struct blk_mq_tag_set *set, struct request *rq, unsigned int hctx, int node)
{ return 0; }
const struct blk_mq_ops kc_probe = { .init_request = kc_init };
