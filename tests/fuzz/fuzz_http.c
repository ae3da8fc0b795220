/* libFuzzer harness: what the downloader reads from a server -- status
 * lines, ETag, Last-Modified, Content-Length, Content-Range, bodies that
 * are too long or cut, redirects, restarts -- and the files it keeps
 * beside a download (NAME.part.meta, NAME.verified), through
 * rf_download (flasher/download/download.c, http_get.c).
 *
 * Input:
 *   byte 0   bit 0: a kept NAME.part (its length: the next 2 bytes)
 *            bit 1: a NAME.part.meta (length byte, then its text)
 *            bit 2: the full MD5 is given (that of the empty file)
 *            bit 3: a complete NAME with its NAME.verified (length
 *                   byte, then the record's text)
 *   the rest: the server's answers, one per connection, separated by
 *            "\nNEXT-RESPONSE\n" (the last one is repeated)
 * A server thread on 127.0.0.1 answers curl with those bytes, a Location
 * to anywhere but this server made harmless.
 *
 * Whatever the server says: no crash; a success leaves NAME whose MD5 is
 * the one reported (the MD5 thread hashed exactly the bytes kept, across
 * restarts) and the given MD5 when there is one; a failure says why and
 * keeps a .part of exactly the size it reports. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "download.h"
#include "harness.h"
#include "md5.h"

#define SEP "\nNEXT-RESPONSE\n"
#define MAX_ANSWERS 8
#define EMPTY_MD5 "d41d8cd98f00b204e9800998ecf8427e"

static struct server {
	pthread_mutex_t lock;
	pthread_cond_t idle_cond;
	int lfd, busy;
	uint16_t port;
	uint8_t *answer[MAX_ANSWERS];
	size_t len[MAX_ANSWERS], n, next;
} srv = { .lock = PTHREAD_MUTEX_INITIALIZER,
	  .idle_cond = PTHREAD_COND_INITIALIZER, .lfd = -1 };

/* A Location header that leads anywhere but here (another host, a
 * scheme-relative "//host") is renamed so curl ignores it. */
static void tame_locations(uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 10 <= n; i++) {
		if ((i && p[i - 1] != '\n') || strncasecmp((char *)p + i, "location:", 9))
			continue;
		size_t v = i + 9;
		while (v < n && (p[v] == ' ' || p[v] == '\t'))
			v++;
		if (v >= n || p[v] != '/' || (v + 1 < n && p[v + 1] == '/'))
			p[i] = 'X';
	}
}

static void serve_one(int c)
{
	struct timeval tv = { 2, 0 };
	char req[4096];
	size_t got = 0, k, len;
	uint8_t *a;
	ssize_t r;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	/* curl's request, to its blank line */
	while (got < sizeof req - 1 && (r = read(c, req + got, sizeof req - 1 - got)) > 0) {
		got += (size_t)r;
		req[got] = 0;
		if (strstr(req, "\r\n\r\n"))
			break;
	}
	pthread_mutex_lock(&srv.lock);
	k = srv.next < srv.n ? srv.next++ : srv.n - 1;
	a = srv.answer[k];
	len = srv.len[k];
	pthread_mutex_unlock(&srv.lock);
	for (size_t done = 0; done < len; done += (size_t)r)
		if ((r = write(c, a + done, len - done)) <= 0)
			break;
	shutdown(c, SHUT_WR);
	while (read(c, req, sizeof req) > 0) /* until curl lets go */
		;
}

static void *server(void *arg)
{
	(void)arg;
	for (;;) {
		int c = accept(srv.lfd, NULL, NULL);
		if (c < 0)
			continue;
		pthread_mutex_lock(&srv.lock);
		srv.busy++;
		pthread_mutex_unlock(&srv.lock);
		serve_one(c);
		close(c);
		pthread_mutex_lock(&srv.lock);
		srv.busy--;
		pthread_cond_broadcast(&srv.idle_cond);
		pthread_mutex_unlock(&srv.lock);
	}
	return NULL;
}

static void server_start(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	pthread_t th;

	/* nothing may send curl elsewhere */
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	setenv("no_proxy", "*", 1);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv.lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (srv.lfd < 0 || bind(srv.lfd, (struct sockaddr *)&sa, sizeof sa) ||
	    listen(srv.lfd, 16) || getsockname(srv.lfd, (struct sockaddr *)&sa, &sl) ||
	    pthread_create(&th, NULL, server, NULL))
		abort();
	pthread_detach(th);
	srv.port = ntohs(sa.sin_port);
}

/* The answers for this input, copied (the Locations are edited). */
static void set_answers(const uint8_t *p, size_t n)
{
	pthread_mutex_lock(&srv.lock);
	for (size_t i = 0; i < srv.n; i++)
		free(srv.answer[i]);
	srv.n = srv.next = 0;
	do {
		const uint8_t *sep = memmem(p, n, SEP, strlen(SEP));
		size_t k = sep ? (size_t)(sep - p) : n;
		uint8_t *a = malloc(k + 1);
		if (!a)
			abort();
		memcpy(a, p, k);
		tame_locations(a, k);
		srv.answer[srv.n] = a;
		srv.len[srv.n++] = k;
		if (!sep)
			break;
		p = sep + strlen(SEP);
		n -= k + strlen(SEP);
	} while (srv.n < MAX_ANSWERS);
	pthread_mutex_unlock(&srv.lock);
}

static void server_idle(void)
{
	pthread_mutex_lock(&srv.lock);
	while (srv.busy)
		pthread_cond_wait(&srv.idle_cond, &srv.lock);
	pthread_mutex_unlock(&srv.lock);
}

static void path_of(char *out, size_t cap, const char *suffix)
{
	snprintf(out, cap, "%s/f.bin%s", fz_dir(), suffix);
}

static void file_md5(const char *path, char hex[33], off_t *size)
{
	unsigned char buf[65536];
	struct rf_md5 m;
	size_t n;
	FILE *f = fopen(path, "rb");

	*size = 0;
	if (!f || rf_md5_init(&m))
		abort();
	while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
		rf_md5_update(&m, buf, n);
		*size += (off_t)n;
	}
	fclose(f);
	rf_md5_final(&m, hex);
}

/* The files the input asks for, before the download. */
static void lay_out(struct fz_in *in, uint8_t flags)
{
	char path[400];
	const uint8_t *p;
	size_t n;

	if (flags & 1) {
		uint8_t part[65536];
		n = fz_u16(in);
		for (size_t i = 0; i < n; i++)
			part[i] = (uint8_t)(i * 7 + 1);
		path_of(path, sizeof path, ".part");
		fz_write_file(path, part, n);
	}
	if (flags & 2) {
		n = fz_take(in, fz_u8(in), &p);
		path_of(path, sizeof path, ".part.meta");
		fz_write_file(path, p, n);
	}
	if (flags & 8) {
		path_of(path, sizeof path, "");
		fz_write_file(path, "", 0);
		n = fz_take(in, fz_u8(in), &p);
		path_of(path, sizeof path, ".verified");
		fz_write_file(path, p, n);
	}
}

static void check_result(int rc, const struct rf_dl_result *r, const char *md5)
{
	char hex[33], part[400];
	struct stat st;
	off_t size;

	fz_check_str(r->err, sizeof r->err);
	path_of(part, sizeof part, ".part");
	if (rc == RF_OK) {
		file_md5(r->path, hex, &size);
		if (strcmp(hex, r->md5) || (uint64_t)size != r->size ||
		    (md5 && strcmp(hex, md5)))
			abort();
		if (!r->cached && !stat(part, &st))
			abort(); /* renamed away */
		return;
	}
	if (!r->err[0])
		abort();
	if (r->kept && (stat(part, &st) || (uint64_t)st.st_size != r->kept))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct fz_in in = { data, len, 0 };
	uint8_t flags = fz_u8(&in);
	struct rf_dl_opts o = { 0 };
	struct rf_dl_result r;
	char url[64];
	const uint8_t *rest;
	size_t n;
	int rc;

	if (srv.lfd < 0)
		server_start();
	fz_dir_clear();
	lay_out(&in, flags);
	n = fz_rest(&in, &rest);
	set_answers(rest, n);
	snprintf(url, sizeof url, "http://127.0.0.1:%u/f.bin", srv.port);
	o.url = url;
	o.dir = fz_dir();
	o.md5 = flags & 4 ? EMPTY_MD5 : NULL;
	o.retries = 0; /* a retry sleeps 50 ms at least */
	o.stall_s = 2;
	rc = rf_download(&o, &r);
	server_idle();
	check_result(rc, &r, o.md5);
	return 0;
}
