/* The emulated cancro bootloader (Xiaomi LK, fastboot): its state, reply
 * queue and link, and the public functions of emu.h.  The commands are
 * emu_fastboot.c's, downloads emu_download.c's, partitions
 * emu_storage.c's (emu_int.h).
 *
 * Deliberately independent of protocol/, so a bug in romflash's fastboot
 * code cannot be mirrored here and hide itself. */
#include "emu_int.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------- state, replies, link ---------- */

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

void emu_push(struct emu *e, const char *fmt, ...)
{
	if (e->q_head + e->q_len == e->q_cap) {
		if (e->q_head > 0) {
			memmove(e->q, e->q + e->q_head, e->q_len * sizeof(*e->q));
			e->q_head = 0;
		} else {
			size_t ncap = e->q_cap ? e->q_cap * 2 : 16;
			void *n = realloc(e->q, ncap * sizeof(*e->q));
			if (!n) {
				fprintf(stderr, "emu: out of memory\n");
				return;
			}
			e->q = n;
			e->q_cap = ncap;
		}
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->q[e->q_head + e->q_len], EMU_MSG + 1, fmt, ap);
	va_end(ap);
	e->q_len++;
}

void emu_write_state(struct emu *e, const char *state)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	snprintf(path, sizeof(path), "%s/state", e->state_dir);
	snprintf(tmp, sizeof(tmp), "%s/.state.tmp", e->state_dir);
	/* rename so a test polling the file never reads half a word */
	FILE *f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%s\n", state);
	if (fclose(f) == 0)
		rename(tmp, path);
}

double emu_mono_now(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

void emu_leave(struct emu *e, int comes_back)
{
	if (comes_back && !e->no_return) {
		e->link = EMU_DROPPED;
		emu_write_state(e, "rebooting");
	} else {
		e->link = EMU_GONE;
		emu_write_state(e, "gone");
	}
	e->in_download = 0;
}

void emu_stall(struct emu *e)
{
	e->stalled = 1;
	emu_write_state(e, "stalled");
}

void emu_slow(struct emu *e, int ms)
{
	double until = emu_mono_now() + ms / 1000.0;
	if (until > e->busy_until)
		e->busy_until = until;
}

/* ---------- public ---------- */

static int parse_vars(struct emu *e, const char *s, char *err)
{
	const char *p = s;
	while (p && *p) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		if (len > 0) {
			if (!eq || eq == p) {
				snprintf(err, 256, "bad var '%.*s' (want name=value)",
					 (int)len, p);
				return -1;
			}
			void *n = realloc(e->vars, (e->nvars + 1) * sizeof(*e->vars));
			if (!n)
				goto oom;
			e->vars = n;
			e->vars[e->nvars].name = strndup(p, (size_t)(eq - p));
			e->vars[e->nvars].value =
				strndup(eq + 1, len - (size_t)(eq - p) - 1);
			e->nvars++;
			if (!e->vars[e->nvars - 1].name || !e->vars[e->nvars - 1].value)
				goto oom;
		}
		p = semi ? semi + 1 : NULL;
	}
	return 0;
oom:
	snprintf(err, 256, "out of memory");
	return -1;
}

struct emu *emu_new(const struct emu_opts *o, char *err)
{
	struct emu *e = calloc(1, sizeof(*e));
	char path[PATH_MAX], txt[32];

	if (!e) {
		snprintf(err, 256, "out of memory");
		return NULL;
	}
	e->log_fd = -1;
	if (!o->state_dir || !*o->state_dir) {
		snprintf(err, 256, "no state directory");
		goto fail;
	}
	if (mkdir(o->state_dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, 256, "%s: %s", o->state_dir, strerror(errno));
		goto fail;
	}
	e->max_download = o->max_download ? o->max_download : 0x30000000;
	snprintf(txt, sizeof(txt), "\t0x%08x", e->max_download);
	e->state_dir = xstrdup(o->state_dir);
	e->serial = xstrdup(o->serial ? o->serial : "EMU0001");
	e->product = xstrdup(o->product ? o->product : "MSM8974");
	e->max_text = xstrdup(o->max_download_text ? o->max_download_text : txt);
	e->buf = malloc(EMU_BUF);
	if (!e->state_dir || !e->serial || !e->product || !e->max_text || !e->buf) {
		snprintf(err, 256, "out of memory");
		goto fail;
	}
	e->cut_after = o->cut_after;
	e->throttle_mbps = o->throttle_mbps;
	e->write_mbps = o->write_mbps;
	e->reboot_delay_ms = o->reboot_delay_ms;
	e->leave_delay_ms = o->leave_delay_ms;
	e->no_return = o->no_return;
	e->info_lines = o->info_lines;
	e->unlocked = o->unlocked;
	e->other_size = (unsigned long long)o->other_parts_mib * MiB;
	if (parse_vars(e, o->vars, err) < 0)
		goto fail;
	if (emu_faults_parse(&e->faults, o->faults, err) < 0)
		goto fail;

	snprintf(path, sizeof(path), "%s/commands.log", e->state_dir);
	e->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (e->log_fd < 0) {
		snprintf(err, 256, "%.200s: %s", path, strerror(errno));
		goto fail;
	}
	e->dl = mmap(NULL, e->max_download ? e->max_download : 1,
		     PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (e->dl == MAP_FAILED) {
		e->dl = NULL;
		snprintf(err, 256, "cannot reserve the download buffer: %s",
			 strerror(errno));
		goto fail;
	}
	e->link = EMU_ONLINE;
	emu_write_state(e, "online");
	return e;
fail:
	emu_free(e);
	return NULL;
}

void emu_free(struct emu *e)
{
	if (!e)
		return;
	if (e->log_fd >= 0)
		close(e->log_fd);
	if (e->dl)
		munmap(e->dl, e->max_download ? e->max_download : 1);
	for (size_t i = 0; i < e->nvars; i++) {
		free(e->vars[i].name);
		free(e->vars[i].value);
	}
	free(e->vars);
	for (size_t i = 0; i < e->nother; i++) {
		free((char *)e->other[i]->name);
		free(e->other[i]);
	}
	free(e->other);
	free(e->state_dir);
	free(e->serial);
	free(e->product);
	free(e->max_text);
	free(e->q);
	free(e->buf);
	free(e);
}

enum emu_link emu_receive(struct emu *e, const void *buf, size_t len)
{
	if (e->link != EMU_ONLINE || e->stalled)
		return e->link; /* a hung phone takes nothing in */
	if (e->in_download) {
		if (len > 0)
			emu_download_data(e, buf, len);
	} else {
		emu_command(e, buf, len);
	}
	return e->link;
}

size_t emu_reply(struct emu *e, void *buf, size_t cap)
{
	if (e->q_len == 0 || emu_busy_s(e) > 0)
		return 0; /* (a hung phone is busy for a day) */
	const char *m = e->q[e->q_head];
	size_t n = strlen(m);
	if (n > cap)
		n = cap;
	memcpy(buf, m, n);
	e->q_head++;
	e->q_len--;
	if (e->q_len == 0)
		e->q_head = 0;
	return n;
}

enum emu_link emu_link_state(const struct emu *e)
{
	return e->link;
}

void emu_reset_link(struct emu *e)
{
	/* "never comes back" stays true; only a dropped link returns */
	if (e->link != EMU_DROPPED)
		return;
	e->link = EMU_ONLINE;
	e->in_download = 0;
	e->have_data = 0;
	e->busy_until = 0;
	e->armed = NULL;
	e->q_head = e->q_len = 0;
	emu_write_state(e, "online");
}

int emu_reboot_delay_ms(const struct emu *e)
{
	return e->reboot_delay_ms;
}

int emu_stalled(const struct emu *e)
{
	return e->stalled;
}

double emu_busy_s(const struct emu *e)
{
	if (e->stalled)
		return 86400;
	double left = e->busy_until > 0 ? e->busy_until - emu_mono_now() : 0;
	return left > 0 ? left : 0;
}

int emu_leave_delay_ms(const struct emu *e)
{
	return e->leave_delay_ms;
}

uint64_t emu_download_remaining(const struct emu *e)
{
	return e->in_download ? e->dl_size - e->dl_got : 0;
}

/* The host's side of the link is gone: a download in progress is
 * abandoned and replies not read are dropped. */
static void forget_host(struct emu *e, const char *how)
{
	if (e->in_download) {
		/* a real LK would now take the next command as data: tests
		 * look for this line to prove a host never does it */
		fprintf(stderr, "emu: %s mid-download (%llu of %llu bytes)\n", how,
			(unsigned long long)e->dl_got, (unsigned long long)e->dl_size);
		e->in_download = 0;
		e->have_data = 0;
	}
	e->armed = NULL;
	e->q_head = e->q_len = 0;
}

void emu_host_closed(struct emu *e)
{
	forget_host(e, "host closed the connection");
}

void emu_bus_reset(struct emu *e)
{
	forget_host(e, "USB reset");
	if (e->stalled) {
		/* pulled and plugged back: taken as the power-cycle a hung
		 * phone needs */
		e->stalled = 0;
		e->busy_until = 0;
		if (e->link == EMU_ONLINE)
			emu_write_state(e, "online");
	}
}
