/* A tiny fastboot-over-TCP peer in a thread on 127.0.0.1, for the TCP
 * transport's Check suites (check_tcp.c, check_tcp_link.c).  See
 * tcp_peer.h. */
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tcp_peer.h"
#include "transport_tcp.h"

int peer_fail(struct peer *p, const char *fmt, const char *arg)
{
	snprintf(p->msg, sizeof p->msg, fmt, arg);
	return -1;
}

int peer_recv(int fd, void *buf, size_t len)
{
	unsigned char *b = buf;
	size_t done = 0;
	while (done < len) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, PEER_WAIT_MS) <= 0)
			return -1;
		ssize_t n = recv(fd, b + done, len - done, 0);
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int peer_send(int fd, const void *buf, size_t len)
{
	const unsigned char *b = buf;
	while (len) {
		ssize_t n = send(fd, b, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

void peer_be64(unsigned char *h, uint64_t v)
{
	for (int i = 7; i >= 0; i--) {
		h[i] = (unsigned char)v;
		v >>= 8;
	}
}

int peer_send_frame(int fd, const void *buf, size_t len)
{
	unsigned char h[8];
	peer_be64(h, len);
	if (peer_send(fd, h, 8))
		return -1;
	return peer_send(fd, buf, len);
}

/* Receive one frame into malloc'ed *out. */
int peer_recv_frame(int fd, unsigned char **out, size_t *len)
{
	unsigned char h[8];
	if (peer_recv(fd, h, 8))
		return -1;
	uint64_t l = 0;
	for (int i = 0; i < 8; i++)
		l = (l << 8) | h[i];
	if (l > 64 * 1024 * 1024)
		return -1;
	*out = malloc(l ? l : 1);
	if (!*out || peer_recv(fd, *out, l)) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*len = l;
	return 0;
}

int peer_expect_frame(struct peer *p, int fd, const char *s)
{
	unsigned char *b = NULL;
	size_t l = 0;
	if (peer_recv_frame(fd, &b, &l))
		return peer_fail(p, "no frame (wanted \"%s\")", s);
	int ok = l == strlen(s) && memcmp(b, s, l) == 0;
	free(b);
	return ok ? 0 : peer_fail(p, "frame is not \"%s\"", s);
}

int peer_handshake(struct peer *p, int fd, const char *answer)
{
	char hs[4];
	if (peer_recv(fd, hs, 4) || memcmp(hs, "FB01", 4) != 0)
		return peer_fail(p, "%s", "client did not send FB01");
	return peer_send(fd, answer, 4);
}

/* Block until the client closes (or PEER_WAIT_MS passes). */
void peer_wait_close(int fd)
{
	char c;
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	while (poll(&pf, 1, PEER_WAIT_MS) > 0 && recv(fd, &c, 1, 0) > 0)
		;
}

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	struct pollfd pf = { .fd = p->lfd, .events = POLLIN };
	if (p->accept_none) {
		p->result = 0;
		return NULL;
	}
	if (poll(&pf, 1, PEER_WAIT_MS) <= 0) {
		p->result = peer_fail(p, "%s", "no connection");
		return NULL;
	}
	int fd = accept(p->lfd, NULL, NULL);
	if (fd < 0) {
		p->result = peer_fail(p, "accept: %s", strerror(errno));
		return NULL;
	}
	p->result = p->script(p, fd);
	close(fd);
	return NULL;
}

int peer_listen_local(int backlog, int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
	ck_assert_int_eq(listen(fd, backlog), 0);
	socklen_t al = sizeof a;
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	*port = ntohs(a.sin_port);
	return fd;
}

void peer_start(struct peer *p, peer_script s)
{
	memset(p, 0, sizeof *p);
	p->script = s;
	p->lfd = peer_listen_local(4, &p->port);
	ck_assert_int_eq(pthread_create(&p->th, NULL, peer_main, p), 0);
}

void peer_join(struct peer *p)
{
	pthread_join(p->th, NULL);
	close(p->lfd);
	ck_assert_msg(p->result == 0, "peer: %s", p->msg);
}

struct rf_transport *peer_open_fb(struct peer *p, int *rc, char *err)
{
	struct rf_transport *t = NULL;
	*rc = rf_tcp_open("127.0.0.1", p->port, RF_TCP_FASTBOOT, 3000, &t,
			  err);
	return t;
}
