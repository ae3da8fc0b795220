/* The emulated phone's TCP listener.  See emu_listen.h. */
#include "emu_listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BACK_TRIES 50
#define BACK_RETRY_MS 100

static int listen_on(int port, int *bound, char *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	/* the port is bound again after every emulated reboot */
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 4) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		snprintf(err, 256, "127.0.0.1:%d: %s", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

int emu_listen_open(struct emu_listen *l, int port, char *err)
{
	memset(l, 0, sizeof *l);
	l->lfd = l->stop_pipe[0] = l->stop_pipe[1] = -1;
	atomic_init(&l->stopping, 0);
	if (pipe2(l->stop_pipe, O_CLOEXEC | O_NONBLOCK)) {
		snprintf(err, 256, "pipe: %s", strerror(errno));
		return -1;
	}
	l->lfd = listen_on(port, &l->port, err);
	return l->lfd < 0 ? -1 : 0;
}

int emu_listen_wait(struct emu_listen *l, int fd, int ms)
{
	struct pollfd p[2] = { { l->stop_pipe[0], POLLIN, 0 }, { fd, POLLIN, 0 } };
	for (;;) {
		if (atomic_load(&l->stopping))
			return -1;
		int n = poll(p, fd >= 0 ? 2 : 1, ms);
		if (n < 0 && errno == EINTR)
			continue; /* a signal: the stop flag says whether to go on */
		if (n < 0)
			return -2;
		if (p[0].revents)
			return -1;
		return n > 0;
	}
}

int emu_listen_sleep(struct emu_listen *l, int ms)
{
	struct timespec end, now;
	clock_gettime(CLOCK_MONOTONIC, &end);
	long long end_ms = (long long)end.tv_sec * 1000 + end.tv_nsec / 1000000 + ms;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		long long left = end_ms - ((long long)now.tv_sec * 1000 +
					   now.tv_nsec / 1000000);
		if (left <= 0)
			return atomic_load(&l->stopping) ? -1 : 0;
		/* a signal ends poll early: wait the rest */
		if (emu_listen_wait(l, -1, (int)left) == -1)
			return -1;
	}
}

int emu_listen_accept(struct emu_listen *l)
{
	int one = 1;
	for (;;) {
		int w = emu_listen_wait(l, l->lfd, -1);
		if (w < 0)
			return w;
		int fd = accept4(l->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
			return fd;
		}
		if (errno != EINTR && errno != ECONNABORTED) {
			fprintf(stderr, "romflash-emu: accept: %s\n", strerror(errno));
			return -2;
		}
	}
}

void emu_listen_off(struct emu_listen *l)
{
	if (l->lfd >= 0)
		close(l->lfd);
	l->lfd = -1;
}

int emu_listen_back(struct emu_listen *l)
{
	char err[256];
	for (int tries = 0; l->lfd < 0; tries++) {
		int bound;
		l->lfd = listen_on(l->port, &bound, err);
		if (l->lfd >= 0)
			break;
		if (tries == BACK_TRIES) {
			fprintf(stderr, "romflash-emu: %s\n", err);
			return -2;
		}
		if (emu_listen_sleep(l, BACK_RETRY_MS) < 0)
			return -1;
	}
	return 0;
}

int emu_listen_start(struct emu_listen *l, void *(*fn)(void *), void *arg)
{
	if (pthread_create(&l->thread, NULL, fn, arg))
		return -1;
	l->thread_started = 1;
	return 0;
}

void emu_listen_request_stop(struct emu_listen *l)
{
	atomic_store(&l->stopping, 1);
	if (l->stop_pipe[1] >= 0) {
		ssize_t n = write(l->stop_pipe[1], "x", 1);
		(void)n; /* a full pipe says "stop" already */
	}
}

void emu_listen_close(struct emu_listen *l)
{
	if (l->thread_started) {
		emu_listen_request_stop(l);
		pthread_join(l->thread, NULL);
		l->thread_started = 0;
	}
	emu_listen_off(l);
	for (int i = 0; i < 2; i++) {
		if (l->stop_pipe[i] >= 0)
			close(l->stop_pipe[i]);
		l->stop_pipe[i] = -1;
	}
}
