/* The emulated cancro bootloader (Xiaomi LK, fastboot).  See emu.h.
 *
 * Deliberately independent of protocol/: it has its own sparse parser, so a
 * bug in romflash's sparse or fastboot code cannot be mirrored here and hide
 * itself.  Replies and error strings follow what the real LK sends, because
 * romflash must cope with exactly those. */
#include "emu.h"
#include "emu_fault.h"

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

#define KiB 1024ULL
#define MiB (1024ULL * 1024ULL)
#define EMU_MSG 64            /* a fastboot message, without NUL */
#define EMU_CMD_MAX 64        /* LK's command buffer */
#define EMU_BUF (1024 * 1024) /* FILL pattern buffer */

#define SPARSE_MAGIC 0xed26ff3aU
#define CH_RAW 0xcac1
#define CH_FILL 0xcac2
#define CH_DONT_CARE 0xcac3
#define CH_CRC32 0xcac4

struct part_def {
	const char *name;
	unsigned long long size;
};

/* Mi 4, MIUI 6.0 layout (SPEC), plus the names the KitKat dual-system
 * packages flash (modem1, system1, boot1), the CRC lists and the GPT. */
static const struct part_def parts[] = {
	{"sbl1", 2 * MiB},      {"rpm", 1 * MiB},       {"tz", 1 * MiB},
	{"DDR", 1 * MiB},       {"ssd", 1 * MiB},       {"dbi", 1 * MiB},
	{"aboot", 4 * MiB},     {"misc", 4 * MiB},      {"logo", 8 * MiB},
	{"modemst1", 1536 * KiB}, {"modemst2", 1536 * KiB}, {"fsg", 1536 * KiB},
	{"persist", 16 * MiB},  {"modem", 128 * MiB},   {"modem1", 128 * MiB},
	{"system", 1280 * MiB}, {"system1", 1280 * MiB}, {"cache", 384 * MiB},
	{"userdata", 12980 * MiB}, {"boot", 32 * MiB},  {"boot1", 32 * MiB},
	{"recovery", 16 * MiB}, {"crclist", 1 * MiB},   {"sparsecrclist", 1 * MiB},
	{"partition", 1 * MiB},
};
#define NPARTS (sizeof(parts) / sizeof(parts[0]))

struct emu_var {
	char *name, *value;
};

struct emu {
	char *state_dir, *serial, *product, *max_text, *fail_cmd, *slow_cmd;
	int slow_ms;
	uint32_t max_download;
	long long cut_after;
	double throttle_mbps;
	double write_mbps;
	int reboot_delay_ms, leave_delay_ms, no_return, info_lines, unlocked;
	struct emu_var *vars;
	size_t nvars;
	unsigned long long other_size;  /* other_parts_mib in bytes */
	struct part_def **other;        /* partitions made up on first use */
	size_t nother;

	enum emu_link link;
	int fail_used;
	int log_fd;
	struct emu_faults faults;  /* --fault */
	struct emu_fault *armed;   /* a +BYTES fault of the download under way */
	int stalled;

	/* download */
	/* the download buffer: RAM, as on the phone (LK downloads to a
	 * scratch address); reserved at max-download-size, pages taken
	 * only as data arrives */
	unsigned char *dl;
	uint64_t dl_size, dl_got; /* announced / received so far */
	int in_download;
	int have_data;            /* a complete download sits in dl */
	unsigned long long total_dl; /* all download bytes ever, for cut_after */
	double link_free; /* throttle: when the link is next idle (s) */
	double link_idle; /* throttle: idle time lost in this download (s) */
	double busy_until; /* eMMC pace: writing until then (monotonic s) */

	/* reply queue */
	char (*q)[EMU_MSG + 1];
	size_t q_head, q_len, q_cap;

	unsigned char *buf;
};

/* ---------- small helpers ---------- */

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void push(struct emu *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void push(struct emu *e, const char *fmt, ...)
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

static void write_state(struct emu *e, const char *state)
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

static void log_cmd(struct emu *e, const char *cmd, size_t len)
{
	char line[EMU_CMD_MAX + 2];
	size_t n = len > EMU_CMD_MAX ? EMU_CMD_MAX : len;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)cmd[i];
		line[i] = (c < 0x20 || c > 0x7e) ? '?' : (char)c;
	}
	line[n] = '\n';
	if (e->log_fd >= 0 && write(e->log_fd, line, n + 1) < 0)
		fprintf(stderr, "emu: commands.log: %s\n", strerror(errno));
}

static const struct part_def *find_part(struct emu *e, const char *name,
				       size_t len)
{
	for (size_t i = 0; i < NPARTS; i++)
		if (strlen(parts[i].name) == len &&
		    memcmp(parts[i].name, name, len) == 0)
			return &parts[i];
	for (size_t i = 0; i < e->nother; i++)
		if (strlen(e->other[i]->name) == len &&
		    memcmp(e->other[i]->name, name, len) == 0)
			return e->other[i];
	/* --other-partitions: another device's name, made up now (each on
	 * its own: an "a+b" holds two of them at once) */
	if (!e->other_size || !len || len > 64 || memchr(name, '/', len) ||
	    name[0] == '.' || e->nother == 256)
		return NULL;
	struct part_def **v = realloc(e->other, sizeof(*v) * (e->nother + 1));
	if (!v)
		return NULL;
	e->other = v;
	struct part_def *d = calloc(1, sizeof(*d));
	char *nm = strndup(name, len);
	if (!d || !nm) {
		free(d);
		free(nm);
		return NULL;
	}
	d->name = nm;
	d->size = e->other_size;
	v[e->nother++] = d;
	return d;
}

/* "a+b": Xiaomi LK writes every named partition from one download. */
#define MAX_TARGETS 4
static int parse_targets(struct emu *e, const char *arg,
			 const struct part_def **out)
{
	int n = 0;
	const char *p = arg;
	for (;;) {
		const char *plus = strchr(p, '+');
		size_t len = plus ? (size_t)(plus - p) : strlen(p);
		const struct part_def *d = find_part(e, p, len);
		if (!d || n == MAX_TARGETS)
			return -1;
		out[n++] = d;
		if (!plus)
			return n;
		p = plus + 1;
	}
}

static int open_part(struct emu *e, const struct part_def *d)
{
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/%s.img", e->state_dir, d->name);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "emu: %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* sparse file of the partition's size: cheap even for userdata */
	if (fstat(fd, &st) < 0 || (unsigned long long)st.st_size != d->size) {
		if (ftruncate(fd, (off_t)d->size) < 0) {
			fprintf(stderr, "emu: %s: %s\n", path, strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

static double mono_now(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)now.tv_sec + (double)now.tv_nsec / 1e9;
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done,
				   (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* ---------- flashing ---------- */

/* Write dl[src, src+len) to every target at `dst`. */
static int copy_out(struct emu *e, const int *fds, int nt, uint64_t src,
		    uint64_t dst, uint64_t len)
{
	for (int i = 0; i < nt; i++)
		if (pwrite_full(fds[i], e->dl + src, (size_t)len, dst) < 0)
			return -1;
	return 0;
}

static int fill_out(struct emu *e, const int *fds, int nt, uint32_t pattern,
		    uint64_t dst, uint64_t len)
{
	/* only as much pattern as one write needs: sparse images from
	 * img2simg carry thousands of one-block FILL chunks */
	size_t words = (len < EMU_BUF ? (size_t)len : EMU_BUF) / 4;
	for (size_t i = 0; i < words; i++)
		memcpy(e->buf + i * 4, &pattern, 4); /* pattern is LE on wire */
	while (len > 0) {
		size_t n = len > EMU_BUF ? EMU_BUF : (size_t)len;
		for (int i = 0; i < nt; i++)
			if (pwrite_full(fds[i], e->buf, n, dst) < 0)
				return -1;
		dst += n;
		len -= n;
	}
	return 0;
}

struct sparse_hdr {
	uint32_t blk_sz, total_blks, total_chunks;
	uint16_t file_hdr_sz, chunk_hdr_sz;
};

/* Walk a sparse image in the download buffer.  With fds == NULL only validates
 * (nothing is written unless the whole image is well formed); the
 * message for the host goes to `why`. */
static int sparse_walk(struct emu *e, const struct sparse_hdr *h,
		       uint64_t part_size, const int *fds, int nt,
		       const char **why)
{
	uint64_t off = h->file_hdr_sz, out = 0;
	uint64_t size = e->dl_size;
	uint64_t limit = (uint64_t)h->total_blks * h->blk_sz;

	if (limit > part_size) {
		*why = "size too large";
		return -1;
	}
	for (uint32_t c = 0; c < h->total_chunks; c++) {
		if (off + h->chunk_hdr_sz > size) {
			*why = "sparse image truncated";
			return -1;
		}
		const unsigned char *ch = e->dl + off;
		uint16_t type = le16(ch);
		uint64_t blocks = le32(ch + 4);
		uint64_t total = le32(ch + 8);
		uint64_t bytes = blocks * h->blk_sz;
		uint64_t body = total < h->chunk_hdr_sz ? 0 : total - h->chunk_hdr_sz;
		uint64_t data = off + h->chunk_hdr_sz;
		uint64_t want;

		switch (type) {
		case CH_RAW: want = bytes; break;
		case CH_FILL: want = 4; break;
		case CH_DONT_CARE: want = 0; break;
		case CH_CRC32: want = 4; break;
		default:
			*why = "unknown chunk type";
			return -1;
		}
		if (total < h->chunk_hdr_sz || body != want) {
			*why = "bad chunk size";
			return -1;
		}
		if (data + body > size) {
			*why = "sparse image truncated";
			return -1;
		}
		if (type != CH_CRC32 && out + bytes > limit) {
			*why = "sparse image write failure";
			return -1;
		}
		if (fds && type == CH_RAW && copy_out(e, fds, nt, data, out, bytes) < 0) {
			*why = "flash write failure";
			return -1;
		}
		if (fds && type == CH_FILL) {
			uint32_t p;
			memcpy(&p, e->dl + data, 4); /* LE on the wire and in the file */
			if (fill_out(e, fds, nt, p, out, bytes) < 0) {
				*why = "flash write failure";
				return -1;
			}
		}
		/* DONT_CARE: the old bytes stay -- that is what lets the
		 * pieces of one split image compose */
		if (type != CH_CRC32)
			out += bytes;
		off = data + body;
	}
	if (out != limit) {
		*why = "sparse image write failure";
		return -1;
	}
	if (off != size) {
		*why = "sparse image has trailing data";
		return -1;
	}
	return 0;
}

static const char *flash_data(struct emu *e, const struct part_def **t, int nt)
{
	const char *why = NULL;
	int fds[MAX_TARGETS] = {-1, -1, -1, -1};
	int opened = 0;
	int sparse = 0;
	struct sparse_hdr h = {0};
	uint64_t min_part = UINT64_MAX;

	for (int i = 0; i < nt; i++)
		if (t[i]->size < min_part)
			min_part = t[i]->size;

	if (e->dl_size >= 4 && le32(e->dl) == SPARSE_MAGIC) {
		sparse = 1;
		if (e->dl_size < 28) {
			why = "sparse image truncated";
			goto out;
		}
		const unsigned char *head = e->dl;
		h.file_hdr_sz = le16(head + 8);
		h.chunk_hdr_sz = le16(head + 10);
		h.blk_sz = le32(head + 12);
		h.total_blks = le32(head + 16);
		h.total_chunks = le32(head + 20);
		if (le16(head + 4) != 1 || h.file_hdr_sz < 28 ||
		    h.chunk_hdr_sz < 12 || h.blk_sz == 0 || h.blk_sz % 4) {
			why = "invalid sparse image header";
			goto out;
		}
		if (sparse_walk(e, &h, min_part, NULL, 0, &why) < 0)
			goto out;
	} else if (e->dl_size > min_part) {
		why = "size too large";
		goto out;
	}

	for (; opened < nt; opened++) {
		fds[opened] = open_part(e, t[opened]);
		if (fds[opened] < 0) {
			why = "flash write failure";
			goto out;
		}
	}
	if (sparse) {
		if (sparse_walk(e, &h, min_part, fds, nt, &why) < 0)
			goto out;
	} else if (copy_out(e, fds, nt, 0, 0, e->dl_size) < 0) {
		why = "flash write failure";
		goto out;
	}
out:
	for (int i = 0; i < opened; i++)
		close(fds[i]);
	return why;
}

static const char *erase_part(struct emu *e, const struct part_def *d)
{
	int fd = open_part(e, d);
	if (fd < 0)
		return "failed to erase partition";
	/* punch the whole file out: zeros, and no disk used for userdata */
	int rc = ftruncate(fd, 0) == 0 && ftruncate(fd, (off_t)d->size) == 0;
	close(fd);
	return rc ? NULL : "failed to erase partition";
}

/* ---------- commands ---------- */

static const char *lookup_var(struct emu *e, const char *name)
{
	for (size_t i = 0; i < e->nvars; i++)
		if (strcmp(e->vars[i].name, name) == 0)
			return e->vars[i].value;
	if (!strcmp(name, "product"))
		return e->product;
	if (!strcmp(name, "serialno"))
		return e->serial;
	if (!strcmp(name, "max-download-size"))
		return e->max_text;
	if (!strcmp(name, "version"))
		return "0.5";
	if (!strcmp(name, "version-bootloader"))
		return "cancro-LK-1.0";
	if (!strcmp(name, "kernel"))
		return "lk";
	if (!strcmp(name, "secure"))
		return "yes";
	if (!strcmp(name, "unlocked"))
		return e->unlocked ? "yes" : "no";
	/* the real LK answers these with an empty OKAY */
	if (!strcmp(name, "all") || !strncmp(name, "partition-size:", 15) ||
	    !strncmp(name, "partition-type:", 15))
		return "";
	return NULL;
}

/* getvar:all as LK answers it: an INFO line "NAME:VALUE" per published
 * variable (no space after the colon), then an empty OKAY. */
static void getvar_all(struct emu *e)
{
	static const char *const names[] = { "version", "version-bootloader", "product",
					     "serialno", "kernel", "secure", "unlocked",
					     "max-download-size" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		push(e, "INFO%s:%s", names[i], lookup_var(e, names[i]));
	for (size_t i = 0; i < e->nvars; i++)
		push(e, "INFO%s:%s", e->vars[i].name, e->vars[i].value);
	push(e, "OKAY");
}

static void start_download(struct emu *e, const char *arg)
{
	char *end;
	size_t n = strlen(arg);
	if (n == 0 || n > 8 || strspn(arg, "0123456789abcdefABCDEF") != n) {
		push(e, "FAILinvalid download size");
		return;
	}
	unsigned long size = strtoul(arg, &end, 16);
	if (size > e->max_download) {
		push(e, "FAILdata too large");
		return;
	}
	e->have_data = 0;
	e->dl_size = size;
	e->dl_got = 0;
	push(e, "DATA%08lx", size);
	if (size == 0) {
		e->have_data = 1;
		push(e, "OKAY");
		return;
	}
	e->in_download = 1;
	/* the throttle's slack never carries over from idle time before a
	 * download */
	e->link_free = mono_now();
	e->link_idle = 0;
}

static void do_flash(struct emu *e, const char *arg)
{
	const struct part_def *t[MAX_TARGETS];
	int nt = parse_targets(e, arg, t);
	if (nt < 0) {
		push(e, "FAILpartition does not exist");
		return;
	}
	if (!e->have_data) {
		push(e, "FAILno data downloaded");
		return;
	}
	double t0 = mono_now();
	const char *why = flash_data(e, t, nt);
	double took = mono_now() - t0;
	/* A real eMMC takes its time and LK says nothing meanwhile: the
	 * reply is held until then (emu_reply), without blocking the
	 * transport's thread (one umockdev thread serves every USB phone). */
	if (e->write_mbps > 0) {
		double pace = (double)e->dl_size / (e->write_mbps * 1e6);
		if (pace > took) {
			e->busy_until = t0 + pace;
			took = pace;
		}
	}
	if (e->throttle_mbps > 0 || e->write_mbps > 0)
		fprintf(stderr, "emu: flash:%s took %.3f s\n", arg, took);
	if (why) {
		push(e, "FAIL%s", why);
		return;
	}
	for (int i = 0; i < e->info_lines; i++)
		push(e, "INFOwriting '%s' %d/%d", arg, i + 1, e->info_lines);
	push(e, "OKAY");
}

static void do_erase(struct emu *e, const char *arg)
{
	const struct part_def *t[MAX_TARGETS];
	int nt = parse_targets(e, arg, t);
	if (nt < 0) {
		push(e, "FAILpartition does not exist");
		return;
	}
	for (int i = 0; i < nt; i++) {
		const char *why = erase_part(e, t[i]);
		if (why) {
			push(e, "FAIL%s", why);
			return;
		}
	}
	push(e, "OKAY");
}

static void leave(struct emu *e, int comes_back)
{
	if (comes_back && !e->no_return) {
		e->link = EMU_DROPPED;
		write_state(e, "rebooting");
	} else {
		e->link = EMU_GONE;
		write_state(e, "gone");
	}
	e->in_download = 0;
}

static void do_oem(struct emu *e, const char *arg)
{
	if (!strcmp(arg, "device-info")) {
		push(e, "INFODevice tampered: false");
		push(e, "INFODevice unlocked: %s", e->unlocked ? "true" : "false");
		push(e, "INFOCharger screen enabled: false");
		push(e, "INFODisplay panel: ");
		push(e, "OKAY");
	} else if (!strcmp(arg, "lock")) {
		e->unlocked = 0;
		push(e, "OKAY");
	} else if (!strcmp(arg, "unlock")) {
		e->unlocked = 1;
		push(e, "OKAY");
	} else {
		push(e, "FAILunknown command");
	}
}

/* ---------- faults (emu_fault.h) ---------- */

static void stall(struct emu *e)
{
	e->stalled = 1;
	write_state(e, "stalled");
}

/* The final reply just queued, made garbage: to a download, DATA with a
 * wrong size; else bytes no fastboot reply starts with. */
static void garble(struct emu *e)
{
	if (!e->q_len)
		return;
	char *m = e->q[e->q_head + e->q_len - 1];
	if (!strncmp(m, "DATA", 4))
		snprintf(m, EMU_MSG + 1, "DATA%08llx",
			 (unsigned long long)e->dl_size + 4096);
	else
		snprintf(m, EMU_MSG + 1, "\xfe\xff" "GARBAGE\x01");
}

static void slow(struct emu *e, int ms)
{
	double until = mono_now() + ms / 1000.0;
	if (until > e->busy_until)
		e->busy_until = until;
}

/* A fault set off by command c: 1 when it took the command (fail, cut,
 * stall), 0 when the command goes on (*after: garbage, slow, or nothing). */
static int fault_at(struct emu *e, const char *c, struct emu_fault **after)
{
	struct emu_fault *f = emu_faults_hit(&e->faults, c);
	*after = NULL;
	if (!f)
		return 0;
	if (f->after >= 0 && !strncmp(c, "download:", 9)) {
		e->armed = f; /* strikes inside the data (data()) */
		return 0;
	}
	fprintf(stderr, "emu: fault: %s at '%s'\n", emu_fault_name(f->kind), c);
	switch (f->kind) {
	case EMU_FAULT_FAIL:
		push(e, "FAILemulated failure");
		return 1;
	case EMU_FAULT_CUT:
		leave(e, 1);
		return 1;
	case EMU_FAULT_STALL:
		stall(e);
		return 1;
	default:
		*after = f;
		return 0;
	}
}

static void dispatch(struct emu *e, const char *c)
{
	if (!strcmp(c, "getvar:all")) {
		getvar_all(e);
	} else if (!strncmp(c, "getvar:", 7)) {
		const char *v = lookup_var(e, c + 7);
		if (v)
			push(e, "OKAY%s", v);
		else
			push(e, "FAILGetVar Variable Not found");
	} else if (!strncmp(c, "download:", 9)) {
		start_download(e, c + 9);
	} else if (!strncmp(c, "flash:", 6)) {
		do_flash(e, c + 6);
	} else if (!strncmp(c, "erase:", 6)) {
		do_erase(e, c + 6);
	} else if (!strcmp(c, "boot")) {
		if (!e->have_data) {
			push(e, "FAILno data downloaded");
			return;
		}
		/* stays in fastboot (recorded in commands.log only), so
		 * a test can go on talking to it */
		push(e, "OKAY");
	} else if (!strcmp(c, "reboot")) {
		push(e, "OKAY");
		leave(e, 0);
	} else if (!strcmp(c, "reboot-bootloader")) {
		push(e, "OKAY");
		leave(e, 1);
	} else if (!strcmp(c, "continue")) {
		push(e, "OKAY");
		leave(e, 0);
	} else if (!strncmp(c, "oem ", 4)) {
		do_oem(e, c + 4);
	} else if (!strcmp(c, "flashing lock")) {
		do_oem(e, "lock");
	} else if (!strcmp(c, "flashing unlock")) {
		do_oem(e, "unlock");
	} else if (!strcmp(c, "set_active:a") || !strcmp(c, "set_active:b")) {
		push(e, "OKAY");
	} else {
		push(e, "FAILunknown command");
	}
}

static void command(struct emu *e, const char *cmd, size_t len)
{
	char c[EMU_CMD_MAX + 1];
	struct emu_fault *f;

	log_cmd(e, cmd, len);
	if (len > EMU_CMD_MAX) {
		push(e, "FAILcommand too long");
		return;
	}
	memcpy(c, cmd, len);
	c[len] = '\0';
	if (strlen(c) != len) {
		push(e, "FAILunknown command");
		return;
	}
	if (e->fail_cmd && !e->fail_used && *e->fail_cmd &&
	    !strncmp(c, e->fail_cmd, strlen(e->fail_cmd))) {
		e->fail_used = 1;
		push(e, "FAILemulated failure");
		return;
	}
	if (fault_at(e, c, &f))
		return;
	/* a command the phone takes its time over, silent (the reply is held
	 * as a paced flash's: emu_reply) */
	if (e->slow_cmd && *e->slow_cmd && !strncmp(c, e->slow_cmd, strlen(e->slow_cmd)))
		e->busy_until = mono_now() + e->slow_ms / 1000.0;
	dispatch(e, c);
	if (f && f->kind == EMU_FAULT_GARBAGE)
		garble(e);
	else if (f && f->kind == EMU_FAULT_SLOW)
		slow(e, f->ms);
}

/* ---------- download data ---------- */

/* A link that moves at most throttle_mbps while the host has data for
 * it: time the host leaves it idle is lost, not banked for later (a USB
 * bus does not go faster after a stall), so every stall of the host
 * shows in its wall time.  Gaps under THROTTLE_SLACK are forgiven: they
 * are the emulator's own work between two reads, and a host that keeps
 * a few transfers queued (as romflash and AOSP fastboot do) never lets
 * the bus see them. */
#define THROTTLE_SLACK 0.020
static void throttle(struct emu *e, size_t len)
{
	if (e->throttle_mbps <= 0)
		return;
	double t = mono_now();
	if (e->link_free < t - THROTTLE_SLACK) {
		e->link_idle += t - THROTTLE_SLACK - e->link_free;
		e->link_free = t - THROTTLE_SLACK;
	}
	e->link_free += (double)len / (e->throttle_mbps * 1e6);
	double s = e->link_free - t;
	if (s > 0) {
		struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

static void take_data(struct emu *e, const unsigned char *p, size_t len)
{
	uint64_t left = e->dl_size - e->dl_got;
	int overflow = 0, cut = 0;

	if (len > left) {
		/* the host sent more than it announced: a host bug that the
		 * real phone would misparse as a command -- make it loud */
		len = (size_t)left;
		overflow = 1;
	}
	if (e->cut_after > 0 &&
	    e->total_dl + len >= (unsigned long long)e->cut_after) {
		len = (size_t)((unsigned long long)e->cut_after - e->total_dl);
		cut = 1;
	}
	memcpy(e->dl + e->dl_got, p, len);
	e->dl_got += len;
	e->total_dl += len;
	if (cut) {
		e->cut_after = 0; /* a cable pull happens once */
		leave(e, 1);
		return;
	}
	throttle(e, len);
	if (overflow) {
		e->in_download = 0;
		push(e, "FAILmore data than announced");
		return;
	}
	if (e->dl_got == e->dl_size) {
		if (e->throttle_mbps > 0)
			fprintf(stderr, "emu: download of %llu bytes: link idle %.3f s "
				"(the host's stalls)\n", (unsigned long long)e->dl_size,
				e->link_idle);
		e->in_download = 0;
		e->have_data = 1;
		push(e, "OKAY");
	}
}

/* Download bytes, and a +BYTES fault of this download where it strikes:
 * at most before the last byte, so that a cut or a stall leaves the
 * download without its OKAY. */
static void data(struct emu *e, const unsigned char *p, size_t len)
{
	struct emu_fault *f = e->armed;
	uint64_t at = f ? (uint64_t)f->after : 0;

	if (f && at >= e->dl_size)
		at = e->dl_size - 1;
	if (!f || e->dl_got + len <= at) {
		take_data(e, p, len);
		return;
	}
	size_t k = (size_t)(at - e->dl_got);
	e->armed = NULL;
	take_data(e, p, k);
	if (e->link != EMU_ONLINE || !e->in_download)
		return;
	fprintf(stderr, "emu: fault: %s after %llu bytes of the download\n",
		emu_fault_name(f->kind), (unsigned long long)e->dl_got);
	if (f->kind == EMU_FAULT_CUT) {
		leave(e, 1);
	} else if (f->kind == EMU_FAULT_STALL) {
		stall(e);
	} else {
		slow(e, f->ms);
		take_data(e, p + k, len - k);
	}
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
	e->fail_cmd = xstrdup(o->fail_cmd);
	e->slow_cmd = xstrdup(o->slow_cmd);
	e->slow_ms = o->slow_ms;
	e->buf = malloc(EMU_BUF);
	if (!e->state_dir || !e->serial || !e->product || !e->max_text ||
	    (o->fail_cmd && !e->fail_cmd) || (o->slow_cmd && !e->slow_cmd) || !e->buf) {
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
	write_state(e, "online");
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
	free(e->fail_cmd);
	free(e->slow_cmd);
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
			data(e, buf, len);
	} else {
		command(e, buf, len);
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
	write_state(e, "online");
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
	double left = e->busy_until > 0 ? e->busy_until - mono_now() : 0;
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
			write_state(e, "online");
	}
}
