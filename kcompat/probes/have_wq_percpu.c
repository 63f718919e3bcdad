/* 6.17+: per-CPU workqueues say so (WQ_PERCPU); 7.x warns when neither it nor WQ_UNBOUND is given. */
#include <linux/workqueue.h>
unsigned int kc_probe(void);
unsigned int kc_probe(void) { return WQ_PERCPU; }
