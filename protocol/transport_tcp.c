/* TCP backend: fastboot's TCP transport v1 and a plain stream for adb.
 *
 * Every blocking step goes through poll() with the caller's timeout, so a
 * silent peer never hangs the tool.  The timeout is an inactivity timeout:
 * it restarts whenever bytes move, so a long download over a slow link does
 * not fail as long as it keeps progressing. */
#include "transport_tcp.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define TCP_DEFAULT_TIMEOUT_MS 10000
#define TCP_CONNECT_TIMEOUT_MS 5000

struct tcp_transport {
	struct rf_transport t; /* first: the interface casts to us */
	int fd;
	enum rf_tcp_mode mode;
	/* After a framing error the byte stream is out of step with the frame
	 * boundaries; anything read later would be misinterpreted. */
	int broken;
};

static int tmo(int timeout_ms)
{
	return timeout_ms > 0 ? timeout_ms : TCP_DEFAULT_TIMEOUT_MS;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Wait for `events` on fd.  RF_OK when ready, RF_ETIMEDOUT, or RF_EIO. */
static int wait_fd(int fd, short events, int timeout_ms, char *err,
		   const char *what)
{
	long long deadline = now_ms() + timeout_ms;
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		long long left = deadline - now_ms();
		if (left < 0)
			left = 0;
		int n = poll(&p, 1, (int)left);
		if (n > 0)
			return RF_OK; /* errors/hangups surface in the next recv/send */
		if (n == 0)
			return rf_errf(err, RF_ETIMEDOUT,
				       "tcp: timed out after %d ms %s",
				       timeout_ms, what);
		if (errno != EINTR)
			return rf_errf(err, RF_EIO, "tcp: poll: %s",
				       strerror(errno));
	}
}

static int io_error(char *err, int e, const char *what)
{
	if (e == ECONNRESET || e == EPIPE || e == ENOTCONN || e == ESHUTDOWN)
		return rf_errf(err, RF_EDISCONNECTED,
			       "tcp: connection lost %s (%s)", what,
			       strerror(e));
	if (e == ETIMEDOUT)
		return rf_errf(err, RF_ETIMEDOUT, "tcp: timed out %s (%s)",
			       what, strerror(e));
	return rf_errf(err, RF_EIO, "tcp: error %s: %s", what, strerror(e));
}

/* Receive exactly len bytes; *done (optional) says how many arrived. */
static int recv_all(int fd, void *buf, size_t len, int timeout_ms, char *err,
		    const char *what, size_t *done_out)
{
	unsigned char *p = buf;
	size_t done = 0;
	int rc = RF_OK;
	while (done < len) {
		ssize_t n = recv(fd, p + done, len - done, MSG_DONTWAIT);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0) {
			rc = rf_errf(err, RF_EDISCONNECTED,
				     "tcp: peer closed the connection %s",
				     what);
			goto out;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = io_error(err, errno, what);
			goto out;
		}
		rc = wait_fd(fd, POLLIN, timeout_ms, err, what);
		if (rc)
			goto out;
	}
out:
	if (done_out)
		*done_out = done;
	return rc;
}

/* Send all of iov[0..cnt) (the array is modified). */
static int send_all(int fd, struct iovec *iov, int cnt, int timeout_ms,
		    char *err, const char *what)
{
	while (cnt > 0) {
		if (iov[0].iov_len == 0) {
			iov++;
			cnt--;
			continue;
		}
		struct msghdr m = { .msg_iov = iov, .msg_iovlen = (size_t)cnt };
		ssize_t n = sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return io_error(err, errno, what);
			int rc = wait_fd(fd, POLLOUT, timeout_ms, err, what);
			if (rc)
				return rc;
			continue;
		}
		size_t left = (size_t)n;
		while (cnt > 0 && left >= iov[0].iov_len) {
			left -= iov[0].iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov[0].iov_base = (char *)iov[0].iov_base + left;
			iov[0].iov_len -= left;
		}
	}
	return RF_OK;
}

static int tcp_read(struct rf_transport *t, void *buf, size_t cap,
		    size_t *got, int timeout_ms)
{
	struct tcp_transport *c = (struct tcp_transport *)t;
	int rc;
	*got = 0;
	if (c->fd < 0 || c->broken)
		return rf_errf(t->err, RF_EPROTO,
			       "tcp: connection unusable after an earlier "
			       "framing error");
	if (cap == 0)
		return rf_errf(t->err, RF_EINVAL, "tcp: read of 0 bytes");
	timeout_ms = tmo(timeout_ms);

	if (c->mode == RF_TCP_STREAM) {
		for (;;) {
			ssize_t n = recv(c->fd, buf, cap, MSG_DONTWAIT);
			if (n > 0) {
				*got = (size_t)n;
				return RF_OK;
			}
			if (n == 0)
				return rf_errf(t->err, RF_EDISCONNECTED,
					       "tcp: peer closed the "
					       "connection");
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return io_error(t->err, errno, "while reading");
			rc = wait_fd(c->fd, POLLIN, timeout_ms, t->err,
				     "waiting for data");
			if (rc)
				return rc;
		}
	}

	unsigned char hdr[8];
	size_t hdone = 0;
	rc = recv_all(c->fd, hdr, sizeof hdr, timeout_ms, t->err,
		      "waiting for a reply", &hdone);
	if (rc) {
		/* A partial header leaves the stream out of step; nothing
		 * read at all (a plain timeout) can be retried. */
		if (hdone)
			c->broken = 1;
		return rc;
	}
	uint64_t len = 0;
	for (int i = 0; i < 8; i++)
		len = (len << 8) | hdr[i];
	if (len > cap) {
		c->broken = 1;
		return rf_errf(t->err, RF_EPROTO,
			       "tcp: reply of %llu bytes exceeds the %zu bytes "
			       "expected", (unsigned long long)len, cap);
	}
	rc = recv_all(c->fd, buf, (size_t)len, timeout_ms, t->err,
		      "in the middle of a reply", NULL);
	if (rc) {
		c->broken = 1;
		return rc;
	}
	*got = (size_t)len;
	return RF_OK;
}

static int tcp_write(struct rf_transport *t, const void *buf, size_t len,
		     int timeout_ms)
{
	struct tcp_transport *c = (struct tcp_transport *)t;
	if (c->fd < 0 || c->broken)
		return rf_errf(t->err, RF_EPROTO,
			       "tcp: connection unusable after an earlier "
			       "framing error");
	timeout_ms = tmo(timeout_ms);
	unsigned char hdr[8];
	struct iovec iov[2];
	int cnt = 0;
	if (c->mode == RF_TCP_FASTBOOT) {
		uint64_t l = len;
		for (int i = 7; i >= 0; i--) {
			hdr[i] = (unsigned char)(l & 0xff);
			l >>= 8;
		}
		iov[cnt++] = (struct iovec){ .iov_base = hdr,
					     .iov_len = sizeof hdr };
	} else if (len == 0) {
		return RF_OK;
	}
	iov[cnt++] = (struct iovec){ .iov_base = (void *)buf, .iov_len = len };
	int rc = send_all(c->fd, iov, cnt, timeout_ms, t->err, "while sending");
	/* A half-sent frame cannot be taken back: the peer would read the
	 * next frame's bytes as the rest of this one. */
	if (rc && c->mode == RF_TCP_FASTBOOT)
		c->broken = 1;
	return rc;
}

/* The socket's send queue: bytes the peer's TCP has not acknowledged
 * (SIOCOUTQ).  Loopback and a LAN take megabytes into it at once, which a
 * count of written bytes would report as sent. */
static size_t tcp_unacked(struct rf_transport *t)
{
	struct tcp_transport *c = (struct tcp_transport *)t;
	int n = 0;
	if (c->fd < 0 || ioctl(c->fd, SIOCOUTQ, &n) != 0 || n < 0)
		return 0;
	return (size_t)n;
}

static int tcp_flush(struct rf_transport *t, int timeout_ms)
{
	/* Writes return once the kernel has the bytes; nothing is queued
	 * here.  The reply to the data is the real acknowledgement. */
	(void)t;
	(void)timeout_ms;
	return RF_OK;
}

static void tcp_close(struct rf_transport *t)
{
	struct tcp_transport *c = (struct tcp_transport *)t;
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

static int valid_host_char(unsigned char ch)
{
	return ch > 0x20 && ch < 0x7f && ch != '[' && ch != ']' && ch != '/';
}

static int parse_port(const char *s, size_t n, int *port)
{
	if (n == 0 || n > 5)
		return -1;
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

int rf_tcp_parse(const char *spec, int default_port, char *host,
		 size_t host_cap, int *port, char *err)
{
	if (!spec || !host || host_cap == 0 || !port)
		return rf_errf(err, RF_EINVAL, "tcp: bad arguments");
	const char *s = spec;
	if (strncmp(s, "tcp:", 4) == 0)
		s += 4;
	const char *h, *p = NULL;
	size_t hn, pn = 0;
	if (*s == '[') {
		const char *close_br = strchr(s, ']');
		if (!close_br)
			return rf_errf(err, RF_EINVAL,
				       "'%.80s': missing ']' after the IPv6 "
				       "address", spec);
		h = s + 1;
		hn = (size_t)(close_br - h);
		if (close_br[1] == ':') {
			p = close_br + 2;
			pn = strlen(p);
		} else if (close_br[1] != '\0') {
			return rf_errf(err, RF_EINVAL,
				       "'%.80s': unexpected text after ']'",
				       spec);
		}
		for (size_t i = 0; i < hn; i++)
			if (!(h[i] == ':' || h[i] == '.' || h[i] == '%' ||
			      (h[i] >= '0' && h[i] <= '9') ||
			      (h[i] >= 'a' && h[i] <= 'f') ||
			      (h[i] >= 'A' && h[i] <= 'F') ||
			      (h[i] >= 'g' && h[i] <= 'z')))
				return rf_errf(err, RF_EINVAL,
					       "'%.80s': bad IPv6 address",
					       spec);
	} else {
		const char *first = strchr(s, ':');
		const char *last = strrchr(s, ':');
		h = s;
		if (first && first == last) {
			hn = (size_t)(first - s);
			p = first + 1;
			pn = strlen(p);
		} else {
			/* No colon, or a bare IPv6 address (several colons):
			 * the port cannot be told apart, so there is none. */
			hn = strlen(s);
		}
		for (size_t i = 0; i < hn; i++)
			if (!valid_host_char((unsigned char)h[i]))
				return rf_errf(err, RF_EINVAL,
					       "'%.80s': bad character in the "
					       "host name", spec);
	}
	if (hn == 0)
		return rf_errf(err, RF_EINVAL, "'%.80s': no host name", spec);
	if (hn >= host_cap)
		return rf_errf(err, RF_EINVAL, "'%.80s': host name too long",
			       spec);
	int pv = default_port;
	if (p && parse_port(p, pn, &pv) != 0)
		return rf_errf(err, RF_EINVAL,
			       "'%.80s': port must be a number from 1 to 65535",
			       spec);
	if (pv < 1 || pv > 65535)
		return rf_errf(err, RF_EINVAL, "'%.80s': no valid port", spec);
	memcpy(host, h, hn);
	host[hn] = '\0';
	*port = pv;
	return RF_OK;
}

/* Non-blocking connect to one address; RF_OK with *fd set. */
static int connect_one(const struct addrinfo *ai, long long deadline,
		       int *fd_out, char *err, const char *host, int port)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
			SOCK_NONBLOCK, ai->ai_protocol);
	int rc = RF_OK;
	if (fd < 0) {
		rc = rf_errf(err, RF_ESYS, "tcp: socket: %s", strerror(errno));
		goto out;
	}
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		if (errno != EINPROGRESS && errno != EINTR) {
			rc = errno;
			goto refused;
		}
		for (;;) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };
			long long left = deadline - now_ms();
			if (left <= 0) {
				rc = rf_errf(err, RF_ETIMEDOUT,
					     "tcp: connecting to %s port %d "
					     "timed out", host, port);
				goto out;
			}
			int n = poll(&p, 1, (int)left);
			if (n > 0)
				break;
			if (n < 0 && errno != EINTR) {
				rc = rf_errf(err, RF_EIO, "tcp: poll: %s",
					     strerror(errno));
				goto out;
			}
		}
		int soerr = 0;
		socklen_t sl = sizeof soerr;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0)
			soerr = errno;
		if (soerr) {
			rc = soerr;
			goto refused;
		}
	}
	goto out;
refused:
	if (rc == ETIMEDOUT)
		rc = rf_errf(err, RF_ETIMEDOUT,
			     "tcp: connecting to %s port %d timed out", host,
			     port);
	else
		rc = rf_errf(err, RF_ENODEV, "tcp: cannot connect to %s port "
			     "%d: %s", host, port, strerror(rc));
out:
	if (rc && fd >= 0) {
		close(fd);
		fd = -1;
	}
	*fd_out = fd;
	return rc;
}

/* Fastboot TCP v1: both sides send "FB01" before the first frame. */
static int fb01_handshake(int fd, long long deadline, int timeout_ms,
			  const char *host, int port, char *err)
{
	char hs[5] = "FB01";
	struct iovec iov = { .iov_base = hs, .iov_len = 4 };
	int left = (int)(deadline - now_ms());
	int rc = send_all(fd, &iov, 1, left > 0 ? left : 1, err,
			  "while sending the FB01 handshake");
	if (rc)
		return rc;
	left = (int)(deadline - now_ms());
	rc = recv_all(fd, hs, 4, left > 0 ? left : 1, err,
		      "during the FB01 handshake", NULL);
	if (rc) {
		if (rc == RF_ETIMEDOUT)
			rf_errf(err, rc, "tcp: %s port %d accepted the "
				"connection but sent no fastboot "
				"handshake within %d ms", host, port,
				timeout_ms);
		return rc;
	}
	hs[4] = '\0';
	/* Like AOSP: a newer protocol version answers "FBnn" with
	 * nn >= 1 and stays compatible with v1 framing. */
	if (hs[0] == 'F' && hs[1] == 'B' && hs[2] >= '0' && hs[2] <= '9' &&
	    hs[3] >= '0' && hs[3] <= '9' && (hs[2] != '0' || hs[3] != '0'))
		return RF_OK;
	char shown[20];
	size_t k = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char ch = (unsigned char)hs[i];
		if (ch >= 0x20 && ch < 0x7f && ch != '\\')
			shown[k++] = (char)ch;
		else
			k += (size_t)snprintf(shown + k, sizeof shown - k,
					      "\\x%02x", ch);
	}
	shown[k] = '\0';
	return rf_errf(err, RF_EPROTO,
		       "tcp: %s port %d answered \"%s\" instead "
		       "of the fastboot handshake \"FB01\" "
		       "(not a fastboot TCP device?)", host, port, shown);
}

/* The transport over a connected socket `fd` (taken only on success). */
static int tcp_transport_new(int fd, enum rf_tcp_mode mode, const char *host,
			     int port, struct rf_transport **out, char *err)
{
	struct tcp_transport *c = calloc(1, sizeof *c);
	int w;
	if (!c)
		return rf_errf(err, RF_ENOMEM, "tcp: out of memory");
	c->t.read = tcp_read;
	c->t.write = tcp_write;
	c->t.unacked = tcp_unacked;
	c->t.flush = tcp_flush;
	c->t.close = tcp_close;
	c->fd = fd;
	c->mode = mode;
	if (strchr(host, ':'))
		w = snprintf(c->t.location, sizeof c->t.location,
			     "tcp:[%s]:%d", host, port);
	else
		w = snprintf(c->t.location, sizeof c->t.location, "tcp:%s:%d",
			     host, port);
	if (w < 0 || (size_t)w >= sizeof c->t.location) {
		free(c);
		return rf_errf(err, RF_EINVAL, "tcp: host name '%.60s' too long",
			       host);
	}
	_Static_assert(sizeof c->t.serial == sizeof c->t.location,
		       "serial mirrors location");
	memcpy(c->t.serial, c->t.location, sizeof c->t.serial);
	*out = &c->t;
	return RF_OK;
}

int rf_tcp_open(const char *host, int port, enum rf_tcp_mode mode,
		int timeout_ms, struct rf_transport **out, char *err)
{
	struct addrinfo *res = NULL;
	int fd = -1, rc = RF_OK;
	if (out)
		*out = NULL;
	if (!host || !*host || !out || port < 1 || port > 65535 ||
	    (mode != RF_TCP_FASTBOOT && mode != RF_TCP_STREAM)) {
		rc = rf_errf(err, RF_EINVAL, "tcp: bad host or port");
		goto out;
	}
	if (timeout_ms <= 0)
		timeout_ms = TCP_CONNECT_TIMEOUT_MS;
	long long deadline = now_ms() + timeout_ms;

	struct addrinfo hints = { .ai_family = AF_UNSPEC,
				  .ai_socktype = SOCK_STREAM };
	char portstr[8];
	snprintf(portstr, sizeof portstr, "%d", port);
	int g = getaddrinfo(host, portstr, &hints, &res);
	if (g != 0) {
		rc = rf_errf(err, RF_ENODEV, "tcp: cannot resolve '%s': %s",
			     host, gai_strerror(g));
		goto out;
	}
	rc = RF_ENODEV;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		rc = connect_one(ai, deadline, &fd, err, host, port);
		if (rc == RF_OK || rc == RF_ETIMEDOUT)
			break;
	}
	if (rc)
		goto out;

	int one = 1;
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
		rc = rf_errf(err, RF_ESYS, "tcp: TCP_NODELAY: %s",
			     strerror(errno));
		goto out;
	}

	if (mode == RF_TCP_FASTBOOT) {
		rc = fb01_handshake(fd, deadline, timeout_ms, host, port, err);
		if (rc)
			goto out;
	}

	rc = tcp_transport_new(fd, mode, host, port, out, err);
	if (!rc)
		fd = -1; /* the transport owns it now */
out:
	if (fd >= 0)
		close(fd);
	if (res)
		freeaddrinfo(res);
	return rc;
}
