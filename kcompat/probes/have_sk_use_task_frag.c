/* sk_use_task_frag arrived in 6.2 and was backported into 6.1 stable. */
#include <net/sock.h>
void kc_probe(struct sock *sk);
void kc_probe(struct sock *sk) { sk->sk_use_task_frag = false; }
