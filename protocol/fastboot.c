/* Fastboot client engine.
 *
 * Strict on purpose: anything the bootloader says that does not fit the
 * protocol stops the session, because carrying on after a misunderstood
 * reply is how a partition gets written with the wrong bytes.  Reboots and
 * the start-of-session sync are in fastboot_session.c. */
#include "fastboot_int.h"
#include "rf_str.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Download data goes out in pieces of this size so cancellation is seen
 * promptly and USB/TCP backends get transfers of a sensible size. */
#define FB_DL_CHUNK (1024 * 1024)

void rf_fb_init(struct rf_fastboot *fb, struct rf_transport *t)
{
	memset(fb, 0, sizeof *fb);
	fb->t = t;
	fb->timeout_ms = RF_FB_DEFAULT_TIMEOUT_MS;
}

static int cancelled(const struct rf_fastboot *fb)
{
	return fb->cancel && *fb->cancel;
}

static int timeout_of(const struct rf_fastboot *fb)
{
	return fb->timeout_ms > 0 ? fb->timeout_ms : RF_FB_DEFAULT_TIMEOUT_MS;
}

/* Quote untrusted bytes for a message: printable ASCII as is, the rest as
 * C escapes, cut with "..." when it does not fit. */
void rf_fb_quote(char *dst, size_t cap, const void *src, size_t len)
{
	const unsigned char *s = src;
	size_t k = 0;
	if (cap < 8) {
		if (cap)
			dst[0] = '\0';
		return;
	}
	for (size_t i = 0; i < len; i++) {
		char tmp[5];
		unsigned char ch = s[i];
		if (ch == '\\' || ch == '"')
			snprintf(tmp, sizeof tmp, "\\%c", ch);
		else if (ch == '\t')
			snprintf(tmp, sizeof tmp, "\\t");
		else if (ch == '\n')
			snprintf(tmp, sizeof tmp, "\\n");
		else if (ch == '\r')
			snprintf(tmp, sizeof tmp, "\\r");
		else if (ch < 0x20 || ch >= 0x7f)
			snprintf(tmp, sizeof tmp, "\\x%02x", ch);
		else
			snprintf(tmp, sizeof tmp, "%c", ch);
		size_t tl = strlen(tmp);
		if (k + tl + 4 >= cap) {
			memcpy(dst + k, "...", 3);
			k += 3;
			break;
		}
		memcpy(dst + k, tmp, tl);
		k += tl;
	}
	dst[k] = '\0';
}

/* Payload text a bootloader may legitimately send: printable ASCII plus
 * tab (the cancro bootloader's max-download-size) and line ends. */
static int text_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = s[i];
		if ((ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') ||
		    ch >= 0x7f)
			return 0;
	}
	return 1;
}

static int check_cmd(struct rf_fastboot *fb, const char *cmd)
{
	char q[RF_ERRLEN / 2];
	size_t n = strnlen(cmd, RF_FB_CMD_MAX + 1);
	if (n == 0)
		return rf_errf(fb->err, RF_EINVAL, "empty fastboot command");
	if (n > RF_FB_CMD_MAX) {
		rf_fb_quote(q, 64, cmd, strlen(cmd));
		return rf_errf(fb->err, RF_EINVAL,
			       "fastboot command \"%s\" is %zu bytes, longer "
			       "than the protocol's %d", q, strlen(cmd),
			       RF_FB_CMD_MAX);
	}
	if (!text_ok((const unsigned char *)cmd, n) ||
	    strpbrk(cmd, "\t\r\n")) {
		rf_fb_quote(q, sizeof q, cmd, n);
		return rf_errf(fb->err, RF_EINVAL,
			       "fastboot command \"%s\" contains control "
			       "characters", q);
	}
	return RF_OK;
}

double rf_fb_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int rf_fb_is_writing(const char *cmd)
{
	static const char *const pre[] = { "flash:", "erase:", "oem ",
					   "flashing ", "format", "set_active:" };
	if (!strcmp(cmd, "boot"))
		return 1;
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++)
		if (!strncmp(cmd, pre[i], strlen(pre[i])))
			return 1;
	return 0;
}

/* How one reply is awaited: at once (a short timeout, restarted by each
 * INFO), or, for a writing command, in slices with no limit while the
 * link is alive. */
struct waiter {
	const char *cmd;
	int writing;
	double t0;
};

/* One message from the phone into buf (NUL padding dropped). */
static int read_msg(struct rf_fastboot *fb, struct waiter *w,
		    unsigned char *buf, size_t *got)
{
	int tmo = timeout_of(fb);
	for (;;) {
		int rc = rf_transport_read(fb->t, buf, FB_READ_CAP, got,
					   w->writing ? RF_FB_WAIT_SLICE_MS : tmo);
		double el = rf_fb_now_s() - w->t0;
		if (rc == RF_ETIMEDOUT && w->writing &&
		    (fb->write_timeout_ms <= 0 || el * 1000 < fb->write_timeout_ms)) {
			if (fb->on_wait)
				fb->on_wait(fb->user, w->cmd, el, 0);
			continue;
		}
		if (rc == RF_ETIMEDOUT && w->writing)
			return rf_errf(fb->err, rc, "no reply to '%s' within "
				       "%.0f s", w->cmd, el);
		if (rc == RF_ETIMEDOUT)
			return rf_errf(fb->err, rc,
				       "no reply to '%s' within %d.%03d s",
				       w->cmd, tmo / 1000, tmo % 1000);
		if (rc == RF_EDISCONNECTED && w->writing)
			return rf_errf(fb->err, rc, "device disconnected while "
				       "writing for '%s' (after %.1f s)", w->cmd, el);
		if (rc == RF_EDISCONNECTED)
			return rf_errf(fb->err, rc,
				       "device disconnected while waiting "
				       "for the reply to '%s'", w->cmd);
		if (rc)
			return rf_errf(fb->err, rc, "reading the reply to "
				       "'%s': %s", w->cmd, fb->t->err);
		if (*got > FB_READ_CAP)
			*got = FB_READ_CAP; /* a broken backend; be safe */
		/* Some bootloaders pad replies with NULs; they carry
		 * nothing. */
		while (*got > 0 && buf[*got - 1] == '\0')
			(*got)--;
		return RF_OK;
	}
}

static int parse_data(struct rf_fastboot *fb, const char *cmd,
		      const unsigned char *buf, size_t got, uint32_t *data_size)
{
	char q[RF_ERRLEN / 2];
	const char *payload = (const char *)buf + 4;
	size_t plen = got - 4;
	uint32_t v = 0;
	int ok = plen >= 1 && plen <= 8;
	for (size_t i = 0; ok && i < plen; i++) {
		char c = payload[i];
		int d = c >= '0' && c <= '9' ? c - '0'
		      : c >= 'a' && c <= 'f' ? c - 'a' + 10
		      : c >= 'A' && c <= 'F' ? c - 'A' + 10
		      : -1;
		if (d < 0)
			ok = 0;
		else
			v = (v << 4) | (uint32_t)d;
	}
	if (!ok) {
		rf_fb_quote(q, sizeof q, buf, got);
		return rf_errf(fb->err, RF_EPROTO,
			       "malformed DATA reply to '%s': \"%s\"", cmd, q);
	}
	*data_size = v;
	return RF_OK;
}

/* Read replies until OKAY, FAIL or DATA.  INFO/TEXT go to on_info.  `cmd`
 * names the command in messages.  OKAY's payload lands in `okay`
 * (RF_FB_RESP_MAX + 1 bytes, may be NULL), DATA's size in *data_size. */
static int read_final(struct rf_fastboot *fb, struct waiter *w,
		      enum reply_kind *kind, char *okay, uint32_t *data_size)
{
	unsigned char buf[FB_READ_CAP + 1];
	char q[RF_ERRLEN / 2];
	const char *cmd = w->cmd;
	for (;;) {
		size_t got = 0;
		int rc = read_msg(fb, w, buf, &got);
		if (rc)
			return rc;
		if (got == 0)
			return rf_errf(fb->err, RF_EPROTO,
				       "empty reply to '%s'", cmd);
		if (got > RF_FB_RESP_MAX) {
			rf_fb_quote(q, sizeof q, buf, got);
			rf_strlcpy(fb->bad_reply, q, sizeof fb->bad_reply);
			return rf_errf(fb->err, RF_EPROTO,
				       "reply to '%s' is %zu bytes, over the "
				       "protocol's %d: \"%s\"", cmd, got,
				       RF_FB_RESP_MAX, q);
		}
		if (got < 4 || !text_ok(buf, got)) {
			rf_fb_quote(q, sizeof q, buf, got);
			rf_strlcpy(fb->bad_reply, q, sizeof fb->bad_reply);
			return rf_errf(fb->err, RF_EPROTO,
				       "garbage reply to '%s': \"%s\"", cmd, q);
		}
		buf[got] = '\0';
		const char *payload = (const char *)buf + 4;
		size_t plen = got - 4;
		if (memcmp(buf, "INFO", 4) == 0 || memcmp(buf, "TEXT", 4) == 0) {
			char k[5];
			memcpy(k, buf, 4);
			k[4] = '\0';
			if (fb->on_info)
				fb->on_info(fb->user, k, payload);
			continue;
		}
		if (memcmp(buf, "OKAY", 4) == 0) {
			if (okay)
				memcpy(okay, payload, plen + 1);
			*kind = R_OKAY;
			return RF_OK;
		}
		if (memcmp(buf, "FAIL", 4) == 0) {
			memcpy(fb->fail, payload, plen + 1);
			rf_fb_quote(q, sizeof q, payload, plen);
			*kind = R_FAIL;
			return rf_errf(fb->err, RF_EFAIL,
				       "device refused '%s': %s", cmd,
				       plen ? q : "(no reason given)");
		}
		if (memcmp(buf, "DATA", 4) == 0) {
			*kind = R_DATA;
			return parse_data(fb, cmd, buf, got, data_size);
		}
		rf_fb_quote(q, sizeof q, buf, got);
		rf_strlcpy(fb->bad_reply, q, sizeof fb->bad_reply);
		return rf_errf(fb->err, RF_EPROTO,
			       "unknown reply to '%s': \"%s\"", cmd, q);
	}
}

int rf_fb_read_reply(struct rf_fastboot *fb, const char *cmd,
		      enum reply_kind *kind, char *okay, uint32_t *data_size)
{
	struct waiter w = { cmd, rf_fb_is_writing(cmd), rf_fb_now_s() };
	int rc;

	fb->bad_reply[0] = '\0';
	if (w.writing && fb->on_wait)
		fb->on_wait(fb->user, cmd, 0, 0);
	rc = read_final(fb, &w, kind, okay, data_size);
	if (w.writing && fb->on_wait)
		fb->on_wait(fb->user, cmd, rf_fb_now_s() - w.t0, 1);
	return rc;
}

static int send_cmd(struct rf_fastboot *fb, const char *cmd)
{
	int rc = check_cmd(fb, cmd);
	if (rc)
		return rc;
	if (fb->dl_active)
		return rf_errf(fb->err, RF_EINVAL,
			       "'%s' not sent: a download of %u bytes is in "
			       "progress (%u sent)", cmd, fb->dl_size,
			       fb->dl_sent);
	if (cancelled(fb))
		return rf_errf(fb->err, RF_EINTR, "'%s' not sent: cancelled",
			       cmd);
	rc = rf_transport_write(fb->t, cmd, strlen(cmd), timeout_of(fb));
	if (rc == RF_EDISCONNECTED)
		return rf_errf(fb->err, rc, "device disconnected while "
			       "sending '%s'", cmd);
	if (rc)
		return rf_errf(fb->err, rc, "sending '%s': %s", cmd,
			       fb->t->err);
	return RF_OK;
}

int rf_fb_command(struct rf_fastboot *fb, const char *cmd, char *okay)
{
	enum reply_kind kind;
	uint32_t dsz = 0;
	fb->fail[0] = '\0';
	fb->err[0] = '\0';
	if (okay)
		okay[0] = '\0';
	if (!cmd)
		return rf_errf(fb->err, RF_EINVAL, "no fastboot command");
	int rc = send_cmd(fb, cmd);
	if (rc)
		return rc;
	rc = rf_fb_read_reply(fb, cmd, &kind, okay, &dsz);
	if (rc)
		return rc;
	if (kind == R_DATA)
		return rf_errf(fb->err, RF_EPROTO,
			       "device asked for 0x%08x bytes of data after "
			       "'%s', which sends none", dsz, cmd);
	return RF_OK;
}

/* "NAME:ARG" / "NAME ARG" built with a length check of its own so an
 * over-long argument is reported, not silently truncated. */
static int cmd_with_arg(struct rf_fastboot *fb, const char *name, char sep,
			const char *arg, char *okay)
{
	char cmd[RF_FB_CMD_MAX + 2];
	fb->fail[0] = '\0';
	if (!arg || !*arg)
		return rf_errf(fb->err, RF_EINVAL, "'%s' needs an argument",
			       name);
	size_t n = strlen(name), a = strlen(arg);
	if (n + 1 + a > RF_FB_CMD_MAX) {
		char q[80];
		rf_fb_quote(q, sizeof q, arg, a);
		return rf_errf(fb->err, RF_EINVAL,
			       "fastboot command '%s%c%s' would be %zu bytes, "
			       "longer than the protocol's %d", name, sep, q,
			       n + 1 + a, RF_FB_CMD_MAX);
	}
	memcpy(cmd, name, n);
	cmd[n] = sep;
	memcpy(cmd + n + 1, arg, a + 1);
	return rf_fb_command(fb, cmd, okay);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	       c == '\f';
}

int rf_fb_getvar(struct rf_fastboot *fb, const char *name, char *val,
		 size_t cap)
{
	char okay[RF_FB_RESP_MAX + 1];
	if (!val || cap == 0)
		return rf_errf(fb->err, RF_EINVAL, "getvar: no buffer");
	val[0] = '\0';
	int rc = cmd_with_arg(fb, "getvar", ':', name, okay);
	if (rc)
		return rc;
	/* The cancro bootloader answers max-download-size as "\t0x30000000". */
	const char *s = okay;
	while (is_space(*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && is_space(s[n - 1]))
		n--;
	if (n >= cap)
		return rf_errf(fb->err, RF_ETOOBIG,
			       "getvar %s: value of %zu bytes does not fit in "
			       "%zu", name, n, cap - 1);
	memcpy(val, s, n);
	val[n] = '\0';
	return RF_OK;
}

int rf_fb_parse_hex(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!*s || *s == ' ' || *s == '\t')
		return -1; /* no digit: "0x " is not 0 */
	for (; *s && *s != ' ' && *s != '\t'; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0'
		      : *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
		      : *s >= 'A' && *s <= 'F' ? *s - 'A' + 10 : -1;
		if (d < 0 || v > (UINT64_MAX >> 4))
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	while (*s == ' ' || *s == '\t')
		s++;
	*out = v;
	return *s ? -1 : 0;
}

int rf_fb_max_download_size(struct rf_fastboot *fb, uint32_t *out)
{
	char v[RF_FB_RESP_MAX + 1];
	char q[RF_ERRLEN / 2];
	int rc = rf_fb_getvar(fb, "max-download-size", v, sizeof v);
	if (rc)
		return rc;
	const char *s = v;
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	unsigned long long x = 0;
	int ok = *s != '\0';
	for (; ok && *s; s++) {
		int d = *s >= '0' && *s <= '9' ? *s - '0'
		      : base == 16 && *s >= 'a' && *s <= 'f' ? *s - 'a' + 10
		      : base == 16 && *s >= 'A' && *s <= 'F' ? *s - 'A' + 10
		      : -1;
		if (d < 0) {
			ok = 0;
			break;
		}
		x = x * (unsigned)base + (unsigned)d;
		if (x > UINT32_MAX)
			ok = 0;
	}
	if (!ok || x == 0) {
		rf_fb_quote(q, sizeof q, v, strlen(v));
		return rf_errf(fb->err, RF_EPROTO,
			       "device reports an unusable max-download-size "
			       "\"%s\"", q);
	}
	*out = (uint32_t)x;
	return RF_OK;
}

int rf_fb_download_begin(struct rf_fastboot *fb, uint32_t size)
{
	char cmd[32];
	enum reply_kind kind;
	uint32_t asked = 0;
	fb->fail[0] = '\0';
	if (fb->dl_active)
		return rf_errf(fb->err, RF_EINVAL,
			       "a download is already in progress");
	if (size == 0)
		return rf_errf(fb->err, RF_EINVAL, "download of 0 bytes");
	snprintf(cmd, sizeof cmd, "download:%08x", size);
	int rc = send_cmd(fb, cmd);
	if (rc)
		return rc;
	rc = rf_fb_read_reply(fb, cmd, &kind, NULL, &asked);
	if (rc)
		return rc;
	if (kind == R_OKAY)
		return rf_errf(fb->err, RF_EPROTO,
			       "device answered OKAY to '%s' without asking "
			       "for the data", cmd);
	if (asked != size)
		return rf_errf(fb->err, RF_EPROTO,
			       "device asked for 0x%08x bytes, expected 0x%08x",
			       asked, size);
	fb->dl_size = size;
	fb->dl_sent = 0;
	fb->dl_active = 1;
	return RF_OK;
}

int rf_fb_download_write(struct rf_fastboot *fb, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	if (!fb->dl_active)
		return rf_errf(fb->err, RF_EINVAL, "no download in progress");
	if (len > (size_t)(fb->dl_size - fb->dl_sent))
		return rf_errf(fb->err, RF_EINVAL,
			       "refusing to send %zu bytes: only %u of the "
			       "%u announced remain", len,
			       fb->dl_size - fb->dl_sent, fb->dl_size);
	while (len > 0) {
		if (cancelled(fb)) {
			fb->dl_active = 0;
			return rf_errf(fb->err, RF_EINTR,
				       "download cancelled after %u of %u "
				       "bytes", fb->dl_sent, fb->dl_size);
		}
		size_t n = len < FB_DL_CHUNK ? len : FB_DL_CHUNK;
		int rc = rf_transport_write(fb->t, p, n, timeout_of(fb));
		if (rc) {
			/* The device's position in the data phase is now
			 * unknown: no later command may be sent on it. */
			fb->dl_active = 0;
			if (rc == RF_EDISCONNECTED)
				return rf_errf(fb->err, rc,
					       "device disconnected during the "
					       "download, after %u of %u bytes "
					       "had been sent", fb->dl_sent,
					       fb->dl_size);
			return rf_errf(fb->err, rc,
				       "download failed after %u of %u "
				       "bytes: %s", fb->dl_sent, fb->dl_size,
				       fb->t->err);
		}
		fb->dl_sent += (uint32_t)n;
		p += n;
		len -= n;
	}
	return RF_OK;
}

int rf_fb_download_end(struct rf_fastboot *fb)
{
	char cmd[32];
	enum reply_kind kind;
	uint32_t dsz = 0;
	if (!fb->dl_active)
		return rf_errf(fb->err, RF_EINVAL, "no download in progress");
	/* Left active: the device still waits for the rest, and a command
	 * now would be taken as image data. */
	if (fb->dl_sent != fb->dl_size)
		return rf_errf(fb->err, RF_EINVAL,
			       "download incomplete: %u of %u bytes sent",
			       fb->dl_sent, fb->dl_size);
	fb->dl_active = 0;
	snprintf(cmd, sizeof cmd, "download:%08x", fb->dl_size);
	int rc = rf_transport_flush(fb->t, timeout_of(fb));
	if (rc == RF_EDISCONNECTED)
		return rf_errf(fb->err, rc,
			       "device disconnected at the end of the "
			       "download (%u bytes had been sent)",
			       fb->dl_sent);
	if (rc)
		return rf_errf(fb->err, rc, "finishing the download: %s",
			       fb->t->err);
	rc = rf_fb_read_reply(fb, cmd, &kind, NULL, &dsz);
	if (rc)
		return rc;
	if (kind == R_DATA)
		return rf_errf(fb->err, RF_EPROTO,
			       "device asked for 0x%08x more bytes after the "
			       "download of 0x%08x was complete", dsz,
			       fb->dl_size);
	return RF_OK;
}

int rf_fb_flash(struct rf_fastboot *fb, const char *partition)
{
	return cmd_with_arg(fb, "flash", ':', partition, NULL);
}

int rf_fb_erase(struct rf_fastboot *fb, const char *partition)
{
	return cmd_with_arg(fb, "erase", ':', partition, NULL);
}

int rf_fb_boot(struct rf_fastboot *fb)
{
	return rf_fb_command(fb, "boot", NULL);
}

int rf_fb_continue(struct rf_fastboot *fb)
{
	return rf_fb_command(fb, "continue", NULL);
}

int rf_fb_oem(struct rf_fastboot *fb, const char *args)
{
	return cmd_with_arg(fb, "oem", ' ', args, NULL);
}

int rf_fb_flashing(struct rf_fastboot *fb, const char *args)
{
	return cmd_with_arg(fb, "flashing", ' ', args, NULL);
}

int rf_fb_set_active(struct rf_fastboot *fb, const char *slot)
{
	return cmd_with_arg(fb, "set_active", ':', slot, NULL);
}
