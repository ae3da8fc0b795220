/* A tiny fastboot-over-TCP peer running a script in a thread on
 * 127.0.0.1:<ephemeral port>, for the TCP transport's Check suites:
 *
 *   static int script(struct peer *p, int fd)   // 0: it saw what it expected
 *   {
 *           if (peer_handshake(p, fd, "FB01")) return -1;
 *           return peer_expect_frame(p, fd, "getvar:product");
 *   }
 *   struct peer p;
 *   peer_start(&p, script);
 *   t = peer_open_fb(&p, &rc, err);             // the client side
 *   ...
 *   peer_join(&p);                              // fails the test if the script did
 *
 * Every wait of the peer ends after PEER_WAIT_MS. */
#ifndef TCP_PEER_H
#define TCP_PEER_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "transport.h"

#define PEER_WAIT_MS 5000

struct peer;
typedef int (*peer_script)(struct peer *p, int fd);

struct peer {
	int lfd, port;
	pthread_t th;
	peer_script script;
	int result;        /* 0: the script saw what it expected */
	char msg[256];
	int accept_none;   /* never accept (handshake timeout tests) */
};

/* a message for peer_join (fmt with one %s); -1 */
int peer_fail(struct peer *p, const char *fmt, const char *arg);
/* exactly len bytes (-1: closed, or nothing for PEER_WAIT_MS) */
int peer_recv(int fd, void *buf, size_t len);
int peer_send(int fd, const void *buf, size_t len);
/* v as 8 big-endian bytes: a frame header */
void peer_be64(unsigned char *h, uint64_t v);
int peer_send_frame(int fd, const void *buf, size_t len);
/* Receive one frame into malloc'ed *out. */
int peer_recv_frame(int fd, unsigned char **out, size_t *len);
/* the next frame is exactly s */
int peer_expect_frame(struct peer *p, int fd, const char *s);
/* the client's FB01, answered with `answer` (4 bytes) */
int peer_handshake(struct peer *p, int fd, const char *answer);
/* Block until the client closes (or PEER_WAIT_MS passes). */
void peer_wait_close(int fd);
/* a listening socket on 127.0.0.1, its port in *port */
int peer_listen_local(int backlog, int *port);
void peer_start(struct peer *p, peer_script s);
void peer_join(struct peer *p);
/* the transport's side: rf_tcp_open in fastboot mode to the peer */
struct rf_transport *peer_open_fb(struct peer *p, int *rc, char *err);

#endif
