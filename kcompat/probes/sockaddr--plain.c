/* Up to 6.x: kernel_bind()/kernel_connect() take struct sockaddr *. */
#include <linux/net.h>
int kc_probe(struct socket *sock, struct sockaddr_storage *ss, int len);
int kc_probe(struct socket *sock, struct sockaddr_storage *ss, int len)
{ return kernel_bind(sock, (struct sockaddr *)ss, len); }
