/* End-to-end: the real romflash binary, run as a child process, drives
 * emulated phones over USB (umockdev, tests/helpers/usb_emu.c).
 *
 * The child inherits umockdev-wrapper's LD_PRELOAD and the testbed's
 * UMOCKDEV_DIR, so libusb in the child sees the emulated usbfs devices and
 * its ioctls are answered by this process's handler thread while we wait
 * for the child.  Every test compares what the phone stored (partition
 * files) with the images byte for byte, sparse images through simg2img.
 *
 * Env: ROMFLASH (set by tests/run-all; default build/romflash); E2E_VERBOSE
 * (any value) also prints romflash's output. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helpers/usb_emu.h"

extern char **environ;

#define KiB 1024u
#define MiB (1024u * 1024u)
#define CHILD_TIMEOUT_S 60
#define SMALL_MAX_DL 0x100000u /* 1 MiB: forces split downloads */
/* exit status of a sanitizer report in an ASan/UBSan romflash, so a report
 * is caught even where the test expects romflash to fail */
#define SAN_EXIT 86

/* ---- fixture: a scratch directory per test -------------------------------- */

static char dir[256];       /* the test's scratch directory */
static char errbuf[256];
static char *out_text, *err_text; /* stdout / stderr of the last child */

static void rm_rf(const char *d)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", d);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", d);
}

static double t_setup;

static double now_s(void);
static void setup(void)
{
	t_setup = now_s();
	snprintf(dir, sizeof dir, "/tmp/check_usb_e2e.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	fprintf(stderr, "  (test took %.1f s)\n", now_s() - t_setup);
	free(out_text);
	free(err_text);
	out_text = err_text = NULL;
	if (dir[0])
		rm_rf(dir);
	dir[0] = 0;
}

/* "<dir>/<name>" in a static ring of buffers (a few live at once). */
static const char *path(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static const char *path(const char *fmt, ...)
{
	static char ring[16][512];
	static int k;
	char *p = ring[k++ % 16];
	va_list ap;
	int n = snprintf(p, 512, "%s/", dir);
	va_start(ap, fmt);
	vsnprintf(p + n, 512 - (size_t)n, fmt, ap);
	va_end(ap);
	return p;
}

static void mkdir_p(const char *p)
{
	ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s", p);
}

static char *slurp(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	if (!f)
		return strdup("");
	for (;;) {
		if (cap - n < 4096) {
			cap = cap ? 2 * cap : 8192;
			buf = realloc(buf, cap + 1);
			ck_assert_ptr_nonnull(buf);
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		if (r == 0)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = 0;
	if (len)
		*len = n;
	return buf;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- running romflash (and helper tools) ------------------------------------ */

static const char *romflash_bin(void)
{
	const char *p = getenv("ROMFLASH");
	return p && *p ? p : "build/romflash";
}

/* The child's environment: ours (LD_PRELOAD, UMOCKDEV_DIR), plus resume
 * state in the scratch dir, and ASan told that umockdev's preload library
 * comes first (an ASan romflash under `make asan`).  Built before spawning:
 * this process has threads, so nothing but exec may run in the child. */
static char **child_env(void)
{
	static char asan[512], ubsan[512], state[600];
	size_t n = 0;
	for (char **e = environ; *e; e++)
		n++;
	char **env = calloc(n + 4, sizeof *env);
	ck_assert_ptr_nonnull(env);
	const char *old = getenv("ASAN_OPTIONS");
	snprintf(asan, sizeof asan, "ASAN_OPTIONS=%s%sverify_asan_link_order=0:exitcode=%d",
		 old ? old : "", old && *old ? ":" : "", SAN_EXIT);
	old = getenv("UBSAN_OPTIONS");
	snprintf(ubsan, sizeof ubsan, "UBSAN_OPTIONS=%s%sprint_stacktrace=1:exitcode=%d",
		 old ? old : "", old && *old ? ":" : "", SAN_EXIT);
	snprintf(state, sizeof state, "ROMFLASH_STATE_DIR=%s/rfstate", dir);
	size_t k = 0;
	for (char **e = environ; *e; e++)
		if (strncmp(*e, "ASAN_OPTIONS=", 13) && strncmp(*e, "UBSAN_OPTIONS=", 14) &&
		    strncmp(*e, "ROMFLASH_STATE_DIR=", 19))
			env[k++] = *e;
	env[k++] = asan;
	env[k++] = ubsan;
	env[k++] = state;
	env[k] = NULL;
	return env;
}

/* Run argv (argv[0] looked up in PATH unless it has a slash) with stdin
 * from /dev/null and stdout/stderr into files; returns the exit status
 * (128+signal when killed).  A child still running after the time-out is
 * killed: a hang fails the test instead of leaving a process behind. */
static int spawn_wait(char *const argv[], const char *outp, const char *errp)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st = 0, rc;
	char **env = child_env();

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	posix_spawn_file_actions_addopen(&fa, 2, errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	/* a binary being relinked right now (a parallel `make`) cannot be
	 * run for a moment: retry briefly rather than fail on that race */
	for (int tries = 0;; tries++) {
		rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
		if ((rc != EACCES && rc != ETXTBSY && rc != ENOENT) || tries >= 30)
			break;
		nanosleep(&(struct timespec){ 0, 100 * 1000000L }, NULL);
	}
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	ck_assert_msg(rc == 0, "cannot run %s: %s", argv[0], strerror(rc));

	double deadline = now_s() + CHILD_TIMEOUT_S;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		ck_assert_msg(w == 0 || errno == EINTR, "waitpid: %s", strerror(errno));
		if (now_s() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			ck_abort_msg("%s %s: still running after %d s, killed", argv[0],
				     argv[1] ? argv[1] : "", CHILD_TIMEOUT_S);
		}
		nanosleep(&(struct timespec){ 0, 5 * 1000000L }, NULL);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define RF_OUTPUT "\n--- stdout:\n%s\n--- stderr:\n%s", out_text, err_text

/* romflash ARGS... (NULL-terminated); out_text/err_text get its output. */
static int rf(const char *a0, ...)
{
	char *argv[32];
	int n = 0;
	va_list ap;

	argv[n++] = (char *)romflash_bin();
	argv[n++] = (char *)a0;
	va_start(ap, a0);
	while (n < 31 && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	argv[n] = NULL;

	static char op[512], ep[512];
	snprintf(op, sizeof op, "%s/rf.out", dir);
	snprintf(ep, sizeof ep, "%s/rf.err", dir);
	int rc = spawn_wait(argv, op, ep);
	free(out_text);
	free(err_text);
	out_text = slurp(op, NULL);
	err_text = slurp(ep, NULL);
	fprintf(stderr, "$ romflash");
	for (int i = 1; i < n; i++)
		fprintf(stderr, " %s", argv[i]);
	fprintf(stderr, "  -> exit %d\n", rc);
	if (getenv("E2E_VERBOSE")) /* show what the user would have seen */
		fprintf(stderr, "%s%s", out_text, err_text);
	ck_assert_msg(rc != SAN_EXIT, "sanitizer report from romflash" RF_OUTPUT);
	return rc;
}

static void run_tool(const char *tool, const char *a1, const char *a2)
{
	char *argv[] = { (char *)tool, (char *)a1, (char *)a2, NULL };
	static char op[512], ep[512];
	snprintf(op, sizeof op, "%s/tool.out", dir);
	snprintf(ep, sizeof ep, "%s/tool.err", dir);
	int rc = spawn_wait(argv, op, ep);
	if (rc) {
		char *e = slurp(ep, NULL);
		ck_abort_msg("%s %s %s: exit %d: %s", tool, a1, a2, rc, e);
	}
}

/* ---- phones ---------------------------------------------------------------- */

/* A phone whose partitions live in <dir>/<name>/. */
static struct emu_opts phone_opts(const char *name, const char *serial)
{
	static char states[4][512]; /* outlive path()'s ring */
	static int k;
	char *state = states[k++ % 4];
	struct emu_opts o;
	memset(&o, 0, sizeof o);
	snprintf(state, sizeof states[0], "%s/%s", dir, name);
	mkdir_p(state);
	o.state_dir = state;
	o.serial = serial;
	return o;
}

static void small_max_download(struct emu_opts *o)
{
	o->max_download = SMALL_MAX_DL;
	o->max_download_text = "\t0x00100000";
}

static struct usb_emu *start_one(const struct emu_opts *o)
{
	struct usb_emu *u = usb_emu_start(o, errbuf);
	ck_assert_msg(u != NULL, "usb_emu_start: %s", errbuf);
	return u;
}

/* ---- images and comparisons ---------------------------------------------- */

/* Deterministic, incompressible-looking bytes of stream `seed`: byte
 * `off + i` is byte (off+i)%8 of a hash of word (off+i)/8. */
static void fill(unsigned char *buf, size_t len, uint64_t seed, uint64_t off)
{
	size_t i = 0;
	while (i < len) {
		uint64_t w = (off + i) / 8, x = (w + 1) * 0x9E3779B97F4A7C15ull ^ seed;
		x ^= x >> 31;
		x *= 0xBF58476D1CE4E5B9ull;
		x ^= x >> 27;
		for (unsigned b = (unsigned)((off + i) % 8); b < 8 && i < len; b++, i++)
			buf[i] = (unsigned char)(x >> (8 * b));
	}
}

/* A raw image of `size` bytes; the byte ranges in `holes` (pairs of
 * offset, length; may be NULL) are zero so img2simg makes DONT_CARE. */
static void make_image(const char *p, uint64_t size, uint64_t seed,
		       const uint64_t *holes, int nholes)
{
	enum { CH = 1 << 20 };
	unsigned char *buf = malloc(CH);
	FILE *f = fopen(p, "wb");
	ck_assert_ptr_nonnull(buf);
	ck_assert_msg(f != NULL, "%s: %s", p, strerror(errno));
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < CH ? (size_t)(size - off) : CH;
		fill(buf, n, seed, off);
		for (int h = 0; h < nholes; h++) {
			uint64_t a = holes[2 * h], b = a + holes[2 * h + 1];
			for (uint64_t x = a > off ? a : off; x < b && x < off + n; x++)
				buf[x - off] = 0;
		}
		ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
		off += n;
	}
	ck_assert_int_eq(fclose(f), 0);
	free(buf);
}

static uint64_t file_size(const char *p)
{
	struct stat st;
	ck_assert_msg(stat(p, &st) == 0, "%s: %s", p, strerror(errno));
	return (uint64_t)st.st_size;
}

static int is_sparse_file(const char *p)
{
	unsigned char m[4] = { 0 };
	FILE *f = fopen(p, "rb");
	ck_assert_msg(f != NULL, "%s: %s", p, strerror(errno));
	size_t n = fread(m, 1, 4, f);
	fclose(f);
	return n == 4 && m[0] == 0x3a && m[1] == 0xff && m[2] == 0x26 && m[3] == 0xed;
}

/* The partition file starts with exactly the bytes of `img` (a raw image;
 * a sparse one is expanded with simg2img first). */
static void expect_partition(const char *state, const char *part, const char *img)
{
	enum { CH = 1 << 20 };
	char pp[600], raw[600];
	const char *src = img;

	snprintf(pp, sizeof pp, "%s/%s.img", state, part);
	if (is_sparse_file(img)) {
		snprintf(raw, sizeof raw, "%s/expanded.raw", dir);
		run_tool("simg2img", img, raw);
		src = raw;
	}
	uint64_t size = file_size(src);
	ck_assert_msg(file_size(pp) >= size, "partition %s (%llu bytes) smaller than %s (%llu)",
		      part, (unsigned long long)file_size(pp), img, (unsigned long long)size);
	FILE *a = fopen(src, "rb"), *b = fopen(pp, "rb");
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	unsigned char *x = malloc(CH), *y = malloc(CH);
	ck_assert_ptr_nonnull(x);
	ck_assert_ptr_nonnull(y);
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < CH ? (size_t)(size - off) : CH;
		ck_assert_uint_eq(fread(x, 1, n, a), n);
		ck_assert_uint_eq(fread(y, 1, n, b), n);
		if (memcmp(x, y, n)) {
			size_t i = 0;
			while (x[i] == y[i])
				i++;
			ck_abort_msg("partition %s differs from %s at byte %llu", part, img,
				     (unsigned long long)(off + i));
		}
		off += n;
	}
	fclose(a);
	fclose(b);
	free(x);
	free(y);
	if (src == raw)
		unlink(raw);
}

static void expect_zero_partition(const char *state, const char *part)
{
	char pp[600];
	unsigned char buf[65536];
	size_t n;
	snprintf(pp, sizeof pp, "%s/%s.img", state, part);
	FILE *f = fopen(pp, "rb");
	ck_assert_msg(f != NULL, "%s: %s", pp, strerror(errno));
	int dirty = 0;
	/* no ck_assert per byte: each one is a message to the Check parent */
	while (!dirty && (n = fread(buf, 1, sizeof buf, f)) > 0)
		for (size_t i = 0; i < n; i++)
			dirty |= buf[i];
	fclose(f);
	ck_assert_msg(!dirty, "partition %s not erased", part);
}

static int count_lines_starting(const char *text, const char *prefix)
{
	int n = 0;
	size_t pl = strlen(prefix);
	for (const char *l = text; l && *l;) {
		if (!strncmp(l, prefix, pl))
			n++;
		l = strchr(l, '\n');
		if (l)
			l++;
	}
	return n;
}

static char *commands_log(const char *state)
{
	char p[600];
	snprintf(p, sizeof p, "%s/commands.log", state);
	return slurp(p, NULL);
}

/* ---- the flash/erase sequence of a MIUI script ------------------------------ */

struct op {
	char kind;        /* 'f' flash, 'e' erase */
	char part[64];
	char file[128];   /* image file name under images/ */
};

/* Reads the flash and erase lines of `script` (the dialect mkpkg writes:
 * "fastboot $* flash NAME `dirname $0`/images/FILE", "fastboot $* erase
 * NAME"), leaving out the CRC lists, which are conditional on getvar crc. */
static int script_ops(const char *script, struct op *ops, int max)
{
	char *text = slurp(script, NULL), *save = NULL;
	int n = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char part[64];
		while (*l == ' ' || *l == '\t')
			l++;
		if (sscanf(l, "fastboot $* flash %63s", part) == 1) {
			const char *f = strstr(l, "/images/");
			ck_assert_msg(f != NULL, "unexpected flash line: %s", l);
			if (!strcmp(part, "crclist") || !strcmp(part, "sparsecrclist"))
				continue;
			ck_assert_int_lt(n, max);
			ops[n].kind = 'f';
			snprintf(ops[n].part, sizeof ops[n].part, "%s", part);
			snprintf(ops[n].file, sizeof ops[n].file, "%.*s",
				 (int)strcspn(f + 8, " \t\r"), f + 8);
			n++;
		} else if (sscanf(l, "fastboot $* erase %63s", part) == 1) {
			ck_assert_int_lt(n, max);
			ops[n].kind = 'e';
			snprintf(ops[n].part, sizeof ops[n].part, "%s", part);
			ops[n].file[0] = 0;
			n++;
		}
	}
	free(text);
	return n;
}

/* The phone got flash:/erase: in the script's order (a split image is
 * several flash:NAME in a row, counted once), and every partition holds
 * what the script last wrote to it. */
static void expect_script_result(const char *state, const char *folder,
				 const char *script_name, int check_order)
{
	struct op ops[64];
	char sp[600];
	snprintf(sp, sizeof sp, "%s/%s", folder, script_name);
	int n = script_ops(sp, ops, 64);
	ck_assert_int_gt(n, 5);

	char *log = commands_log(state), *save = NULL, prev[160] = "";
	int k = check_order ? 0 : n;
	for (char *l = strtok_r(log, "\n", &save); l && check_order;
	     l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "flash:", 6) && strncmp(l, "erase:", 6))
			continue;
		if (!strcmp(l, prev))
			continue;
		snprintf(prev, sizeof prev, "%s", l);
		ck_assert_msg(k < n, "unexpected extra command %s", l);
		char want[160];
		snprintf(want, sizeof want, "%s:%s", ops[k].kind == 'f' ? "flash" : "erase",
			 ops[k].part);
		ck_assert_msg(!strcmp(l, want), "command %d: phone got %s, script says %s",
			      k + 1, l, want);
		k++;
	}
	free(log);
	ck_assert_msg(k == n, "phone got %d of the script's %d flash/erase commands", k, n);

	for (int i = 0; i < n; i++) {
		int later = 0;
		for (int j = i + 1; j < n; j++)
			later |= !strcmp(ops[j].part, ops[i].part);
		if (later)
			continue;
		/* "a+b": one download written to every named partition */
		char parts[64], *ps = NULL;
		snprintf(parts, sizeof parts, "%s", ops[i].part);
		for (char *p = strtok_r(parts, "+", &ps); p; p = strtok_r(NULL, "+", &ps)) {
			if (ops[i].kind == 'e') {
				expect_zero_partition(state, p);
			} else {
				char ip[600];
				snprintf(ip, sizeof ip, "%s/images/%s", folder, ops[i].file);
				expect_partition(state, p, ip);
			}
		}
	}
}

/* Make a package with tests/fixtures/mkpkg; *folder gets the extracted
 * top folder (for the comparison), the return value the .tgz. */
static char *make_package(const char *variant, char *folder, size_t cap)
{
	const char *outdir = path("pkg");
	mkdir_p(outdir);
	static char mkpkg[512];
	const char *root = getenv("ROOT"); /* set by tests/run-all */
	snprintf(mkpkg, sizeof mkpkg, "%s%stests/fixtures/mkpkg", root ? root : "",
		 root ? "/" : "");
	char *argv[] = { "python3", mkpkg, "--variant", (char *)variant,
			 "--order", "scripts-last", "--size-mb", "8", "--out",
			 (char *)outdir, "--keep-folder", NULL };
	int rc = spawn_wait(argv, path("mkpkg.out"), path("mkpkg.err"));
	char *o = slurp(path("mkpkg.out"), NULL);
	ck_assert_msg(rc == 0, "mkpkg failed: %s", slurp(path("mkpkg.err"), NULL));
	char *nl = strchr(o, '\n');
	if (nl)
		*nl = 0;
	ck_assert_msg(strstr(o, ".tgz") != NULL, "mkpkg printed %s", o);
	/* the folder: the name without "_<md5>.tgz" */
	const char *base = strrchr(o, '/') ? strrchr(o, '/') + 1 : o;
	const char *us = strrchr(base, '_');
	ck_assert_ptr_nonnull(us);
	snprintf(folder, cap, "%s/%.*s", outdir, (int)(us - base), base);
	ck_assert_msg(access(folder, R_OK) == 0, "no folder %s", folder);
	if (o[0] != '/') {
		char *abs = malloc(strlen(o) + 2);
		ck_assert_ptr_nonnull(abs);
		strcpy(abs, o);
		free(o);
		o = abs;
	}
	return o;
}

/* ---- tests ---------------------------------------------------------------- */

START_TEST(test_devices_and_getvar)
{
	struct emu_opts o = phone_opts("phone", NULL);
	struct usb_emu *u = start_one(&o);

	ck_assert_msg(rf("devices", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(out_text, "EMU0001") && strstr(out_text, "fastboot") &&
		      strstr(out_text, "usb:1-1"), RF_OUTPUT);

	ck_assert_msg(rf("--json", "devices", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(out_text, "\"serial\":\"EMU0001\"") &&
		      strstr(out_text, "\"location\":\"usb:1-1\"") &&
		      strstr(out_text, "\"mode\":\"fastboot\""), RF_OUTPUT);

	ck_assert_msg(rf("getvar", "product", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(out_text, "product: MSM8974\n") != NULL, RF_OUTPUT);
	/* the real bootloader's leading tab is not shown */
	ck_assert_msg(rf("getvar", "max-download-size", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(out_text, "max-download-size: 0x30000000\n") != NULL, RF_OUTPUT);
	ck_assert_msg(rf("getvar", "nonexistent-var", NULL) == 1, RF_OUTPUT);

	usb_emu_stop(u);
}
END_TEST

/* A raw image larger than max-download-size, of a size that is not a
 * multiple of 4096: sent as sparse pieces, each addressing its own blocks. */
START_TEST(test_flash_image_raw_split)
{
	struct emu_opts o = phone_opts("phone", NULL);
	small_max_download(&o);
	struct usb_emu *u = start_one(&o);
	const char *img = path("system.raw");
	make_image(img, 3 * MiB + 12345, 1, NULL, 0);

	ck_assert_msg(rf("flash-image", "system", img, NULL) == 0, RF_OUTPUT);
	expect_partition(o.state_dir, "system", img);
	char *log = commands_log(o.state_dir);
	int downloads = count_lines_starting(log, "download:");
	ck_assert_msg(downloads >= 4, "%d downloads for 3 MiB with a 1 MiB limit:\n%s",
		      downloads, log);
	ck_assert_int_eq(count_lines_starting(log, "flash:system"), downloads);
	free(log);

	/* a sparse image with holes, also split */
	const char *raw = path("cache.raw"), *simg = path("cache.simg");
	const uint64_t holes[] = { 1 * MiB, 2 * MiB, 5 * MiB - 8192, 4096 };
	make_image(raw, 6 * MiB, 2, holes, 2);
	run_tool("img2simg", raw, simg);
	ck_assert(is_sparse_file(simg));
	ck_assert_msg(rf("flash-image", "cache", simg, NULL) == 0, RF_OUTPUT);
	expect_partition(o.state_dir, "cache", raw);

	/* an image larger than the partition: the phone refuses it, and
	 * nothing lands in the partition */
	const char *big = path("big.raw");
	make_image(big, 1 * MiB + 1, 3, NULL, 0);
	ck_assert_msg(rf("flash-image", "tz", big, NULL) == 1, RF_OUTPUT);
	if (access(path("phone/tz.img"), F_OK) == 0)
		expect_zero_partition(o.state_dir, "tz");

	usb_emu_stop(u);
}
END_TEST

START_TEST(test_erase)
{
	struct emu_opts o = phone_opts("phone", NULL);
	struct usb_emu *u = start_one(&o);
	const char *img = path("boot.img");
	make_image(img, 256 * KiB + 3, 4, NULL, 0);

	ck_assert_msg(rf("flash-image", "boot", img, NULL) == 0, RF_OUTPUT);
	expect_partition(o.state_dir, "boot", img);
	ck_assert_msg(rf("erase", "boot", NULL) == 0, RF_OUTPUT);
	expect_zero_partition(o.state_dir, "boot");
	char *log = commands_log(o.state_dir);
	ck_assert_int_eq(count_lines_starting(log, "erase:boot"), 1);
	free(log);
	ck_assert_msg(rf("erase", "no-such-partition", NULL) == 1, RF_OUTPUT);
	ck_assert_msg(strstr(err_text, "partition does not exist") != NULL, RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

START_TEST(test_reboot_bootloader)
{
	struct emu_opts o = phone_opts("phone", NULL);
	o.reboot_delay_ms = 300;
	struct usb_emu *u = start_one(&o);
	struct usb_emu_stats st;

	ck_assert_msg(rf("reboot", "bootloader", NULL) == 0, RF_OUTPUT);
	/* the phone dropped off the bus and comes back */
	ck_assert_int_eq(usb_emu_wait_online(u, 0, 5000), 0);
	usb_emu_get_stats(u, 0, &st);
	ck_assert_uint_eq(st.drops, 1);
	ck_assert_msg(rf("getvar", "serialno", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(out_text, "serialno: EMU0001") != NULL, RF_OUTPUT);
	char *log = commands_log(o.state_dir);
	ck_assert_int_eq(count_lines_starting(log, "reboot-bootloader"), 1);
	free(log);
	usb_emu_stop(u);
}
END_TEST

/* A whole package, keep-data mode, split downloads (1 MiB limit). */
START_TEST(test_flash_package_modern)
{
	char folder[600];
	struct emu_opts o = phone_opts("phone", NULL);
	small_max_download(&o);
	struct usb_emu *u = start_one(&o);
	char *pkg = make_package("modern", folder, sizeof folder);

	ck_assert_msg(rf("--json", "flash", pkg, "--no-reboot", NULL) == 0, RF_OUTPUT);
	expect_script_result(o.state_dir, folder, "flash_all_except_storage.sh", 1);
	/* --json: nothing but JSON objects on stdout, one per line */
	for (const char *l = out_text; *l;) {
		const char *nl = strchr(l, '\n');
		ck_assert_msg(nl && !strncmp(l, "{\"event\":\"", 10) && nl[-1] == '}',
			      "not a JSON line: %.*s", (int)(nl ? nl - l : 80), l);
		l = nl + 1;
	}
	ck_assert_msg(strstr(out_text, "\"event\":\"step_done\""), RF_OUTPUT);
	/* --no-reboot: the phone is still in fastboot, never asked to reboot */
	char *log = commands_log(o.state_dir);
	ck_assert_int_eq(count_lines_starting(log, "reboot"), 0);
	free(log);
	struct usb_emu_stats st;
	usb_emu_get_stats(u, 0, &st);
	ck_assert_uint_eq(st.drops, 0);
	ck_assert_int_eq(st.online, 1);
	free(pkg);
	usb_emu_stop(u);
}
END_TEST

/* The repartition package reboots into the bootloader mid-flash (after the
 * GPT and the bootloader chain).  The phone stays away longer than the
 * script's "sleep 5", so romflash must wait and find it again by serial. */
START_TEST(test_flash_package_repartition)
{
	char folder[600];
	struct emu_opts o = phone_opts("phone", "MI4REPART01");
	o.reboot_delay_ms = 6500;
	/* a board the script accepts (it refuses 4.4 and 5.x) */
	o.vars = "board_version=3.0";
	struct usb_emu *u = start_one(&o);
	char *pkg = make_package("repartition", folder, sizeof folder);

	ck_assert_msg(rf("flash", pkg, "--no-reboot", NULL) == 0, RF_OUTPUT);
	expect_script_result(o.state_dir, folder, "flash_all_except_storage.sh", 1);
	struct usb_emu_stats st;
	usb_emu_get_stats(u, 0, &st);
	ck_assert_uint_eq(st.drops, 1);
	char *log = commands_log(o.state_dir);
	ck_assert_int_eq(count_lines_starting(log, "reboot-bootloader"), 1);
	/* the GPT went first, before the reboot */
	const char *gpt = strstr(log, "flash:partition"), *rb = strstr(log, "reboot-bootloader");
	ck_assert(gpt && rb && gpt < rb);
	free(log);
	free(pkg);
	usb_emu_stop(u);
}
END_TEST

/* The phone never comes back after reboot-bootloader: romflash gives up
 * after --wait seconds, says so, and how to resume. */
START_TEST(test_flash_package_no_return)
{
	char folder[600];
	struct emu_opts o = phone_opts("phone", "MI4GONE01");
	o.no_return = 1;
	o.vars = "board_version=3.0";
	struct usb_emu *u = start_one(&o);
	char *pkg = make_package("repartition", folder, sizeof folder);

	ck_assert_msg(rf("flash", pkg, "--no-reboot", "--wait", "1", NULL) == 1, RF_OUTPUT);
	ck_assert_msg(strstr(err_text, "reboot-bootloader") && strstr(err_text, "MI4GONE01") &&
		      strstr(err_text, "did not come back"), RF_OUTPUT);
	ck_assert_msg(strstr(err_text, "--resume"), RF_OUTPUT);
	char *log = commands_log(o.state_dir);
	ck_assert_int_eq(count_lines_starting(log, "flash:aboot"), 1);
	ck_assert_int_eq(count_lines_starting(log, "flash:system"), 0);
	free(log);
	free(pkg);
	usb_emu_stop(u);
}
END_TEST

/* Several phones: `flash` without -s refuses before writing anything;
 * --all flashes every phone in lockstep, the downloads cut to the smaller
 * max-download-size of the two. */
START_TEST(test_flash_package_two_phones)
{
	char folder[600];
	struct emu_opts o1 = phone_opts("phone1", "EMU0001");
	struct emu_opts o2 = phone_opts("phone2", "EMU0002");
	small_max_download(&o2);
	struct usb_emu *u = usb_emu_start_empty(errbuf);
	ck_assert_msg(u != NULL, "%s", errbuf);
	struct usb_emu_devcfg c1 = { .emu = &o1 }, c2 = { .emu = &o2 };
	ck_assert_msg(usb_emu_add(u, &c1, errbuf) == 0, "%s", errbuf);
	ck_assert_msg(usb_emu_add(u, &c2, errbuf) == 1, "%s", errbuf);
	char *pkg = make_package("modern", folder, sizeof folder);

	ck_assert_msg(rf("flash", pkg, "--no-reboot", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(strstr(err_text, "EMU0001") && strstr(err_text, "EMU0002"), RF_OUTPUT);
	for (int i = 0; i < 2; i++) {
		char *log = commands_log(i ? o2.state_dir : o1.state_dir);
		ck_assert_msg(strstr(log, "download:") == NULL, "phone %d got data:\n%s", i + 1, log);
		free(log);
	}

	ck_assert_msg(rf("flash", pkg, "--all", "--no-reboot", NULL) == 0, RF_OUTPUT);
	expect_script_result(o1.state_dir, folder, "flash_all_except_storage.sh", 1);
	expect_script_result(o2.state_dir, folder, "flash_all_except_storage.sh", 1);
	free(pkg);
	usb_emu_stop(u);
}
END_TEST

/* The cable is pulled in the middle of system's download: romflash stops,
 * says how to resume; the phone comes back; --resume finishes the job
 * without writing the bootloader chain again. */
START_TEST(test_flash_package_cable_pull_resume)
{
	char folder[600];
	struct emu_opts o = phone_opts("phone", NULL);
	small_max_download(&o);
	o.cut_after = 3 * MiB;
	o.reboot_delay_ms = 200;
	struct usb_emu *u = start_one(&o);
	char *pkg = make_package("modern", folder, sizeof folder);

	ck_assert_msg(rf("flash", pkg, "--no-reboot", NULL) == 1, RF_OUTPUT);
	/* which step failed, what was done, how to go on (SPEC safety rule 4) */
	ck_assert_msg(strstr(err_text, "(flash system) failed"), RF_OUTPUT);
	ck_assert_msg(strstr(err_text, "completed: steps 1-13"), RF_OUTPUT);
	ck_assert_msg(strstr(err_text, "--resume"), RF_OUTPUT);
	/* the CRC lists were skipped (the phone does not check CRCs) */
	ck_assert_msg(!strstr(err_text, "crclist"), RF_OUTPUT);
	ck_assert_int_eq(usb_emu_wait_online(u, 0, 5000), 0);

	ck_assert_msg(rf("flash", pkg, "--resume", "--no-reboot", NULL) == 0, RF_OUTPUT);
	expect_script_result(o.state_dir, folder, "flash_all_except_storage.sh", 0);
	char *log = commands_log(o.state_dir);
	ck_assert_int_eq(count_lines_starting(log, "flash:tz"), 1);
	ck_assert_int_eq(count_lines_starting(log, "flash:aboot"), 1);
	ck_assert_int_eq(count_lines_starting(log, "flash:boot"), 1);
	free(log);
	struct usb_emu_stats st;
	usb_emu_get_stats(u, 0, &st);
	ck_assert_uint_eq(st.drops, 1);
	free(pkg);
	usb_emu_stop(u);
}
END_TEST

START_TEST(test_two_phones)
{
	struct emu_opts o1 = phone_opts("phone1", "EMU0001");
	struct emu_opts o2 = phone_opts("phone2", "EMU0002");
	struct usb_emu *u = usb_emu_start_empty(errbuf);
	ck_assert_msg(u != NULL, "%s", errbuf);
	struct usb_emu_devcfg c1 = { .emu = &o1 }, c2 = { .emu = &o2 };
	ck_assert_msg(usb_emu_add(u, &c1, errbuf) == 0, "%s", errbuf);
	ck_assert_msg(usb_emu_add(u, &c2, errbuf) == 1, "%s", errbuf);

	ck_assert_msg(rf("devices", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(out_text, "EMU0001") && strstr(out_text, "EMU0002"), RF_OUTPUT);

	/* no -s: refuses to guess, and names both */
	ck_assert_msg(rf("getvar", "product", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(strstr(err_text, "EMU0001") && strstr(err_text, "EMU0002"), RF_OUTPUT);
	const char *img = path("boot.img");
	make_image(img, 100 * KiB + 1, 5, NULL, 0);
	ck_assert_msg(rf("flash-image", "boot", img, NULL) == 4, RF_OUTPUT);

	ck_assert_msg(rf("-s", "EMU0002", "getvar", "serialno", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(out_text, "serialno: EMU0002") != NULL, RF_OUTPUT);
	ck_assert_msg(rf("-s", "usb:1-1", "getvar", "serialno", NULL) == 0, RF_OUTPUT);
	ck_assert_msg(strstr(out_text, "serialno: EMU0001") != NULL, RF_OUTPUT);
	ck_assert_msg(rf("--wait", "0", "-s", "EMU0009", "getvar", "product", NULL) == 4,
		      RF_OUTPUT);
	ck_assert_msg(rf("--wait", "0", "-s", "usb:1-7", "getvar", "product", NULL) == 4,
		      RF_OUTPUT);

	/* -s by location writes to that phone only */
	ck_assert_msg(rf("-s", "usb:1-2", "flash-image", "boot", img, NULL) == 0, RF_OUTPUT);
	expect_partition(o2.state_dir, "boot", img);
	char *log1 = commands_log(o1.state_dir);
	ck_assert_msg(strstr(log1, "download:") == NULL, "phone 1 got data:\n%s", log1);
	free(log1);
	usb_emu_stop(u);
}
END_TEST

START_TEST(test_no_phone)
{
	struct usb_emu *u = usb_emu_start_empty(errbuf);
	ck_assert_msg(u != NULL, "%s", errbuf);
	const char *img = path("boot.img");
	make_image(img, 4096, 6, NULL, 0);

	ck_assert_msg(rf("devices", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(rf("--wait", "0", "getvar", "product", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(rf("--wait", "0", "flash-image", "boot", img, NULL) == 4, RF_OUTPUT);
	ck_assert_msg(rf("--wait", "0", "-s", "EMU0001", "erase", "boot", NULL) == 4, RF_OUTPUT);
	ck_assert_msg(rf("--wait", "0", "reboot", "bootloader", NULL) == 4, RF_OUTPUT);
	/* --wait N: N seconds, then the same answer */
	double t0 = now_s();
	ck_assert_msg(rf("--wait", "1", "getvar", "product", NULL) == 4, RF_OUTPUT);
	double dt = now_s() - t0;
	ck_assert_msg(dt >= 1.0 && dt < 10.0, "waited %.2f s", dt);
	ck_assert_msg(strstr(err_text, "fastboot"), RF_OUTPUT);
	usb_emu_stop(u);
}
END_TEST

/* For the benchmarks: one 256 MiB raw download through the real binary. */
START_TEST(test_throughput_256m)
{
	struct emu_opts o = phone_opts("phone", NULL);
	struct usb_emu *u = start_one(&o);
	struct usb_emu_stats st;
	const uint64_t size = 256ull * MiB;
	const char *img = path("system.raw");
	make_image(img, size, 7, NULL, 0);

	double t0 = now_s();
	ck_assert_msg(rf("--json", "flash-image", "system", img, NULL) == 0, RF_OUTPUT);
	double wall = now_s() - t0;
	const char *done = strstr(out_text, "\"event\":\"step_done\"");
	ck_assert_msg(done != NULL, RF_OUTPUT);
	const char *sec = strstr(done, "\"seconds\":");
	ck_assert_msg(sec != NULL, RF_OUTPUT);
	double secs = strtod(sec + 10, NULL);
	usb_emu_get_stats(u, 0, &st);
	printf("usb e2e: romflash flash-image of 256 MiB raw: %.1f MB/s (%.2f s transfer, "
	       "%.2f s whole command), %llu OUT URBs of %llu KiB average, "
	       "max %u OUT transfers in flight\n",
	       secs > 0 ? (double)size / secs / 1e6 : 0.0, secs, wall,
	       (unsigned long long)st.urbs_out,
	       st.urbs_out ? (unsigned long long)(st.bytes_out / st.urbs_out / 1024) : 0ull,
	       st.max_out_in_flight);
	fflush(stdout);
	ck_assert_uint_ge(st.bytes_out, size);
	ck_assert_uint_ge(st.max_out_in_flight, 2);
	expect_partition(o.state_dir, "system", img);
	unlink(img);
	usb_emu_stop(u);
}
END_TEST

static Suite *e2e_suite(void)
{
	Suite *s = suite_create("usb_e2e");
	TCase *tc = tcase_create("usb_e2e");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 90);
	tcase_add_test(tc, test_devices_and_getvar);
	tcase_add_test(tc, test_flash_image_raw_split);
	tcase_add_test(tc, test_erase);
	tcase_add_test(tc, test_reboot_bootloader);
	tcase_add_test(tc, test_flash_package_modern);
	tcase_add_test(tc, test_flash_package_repartition);
	tcase_add_test(tc, test_flash_package_no_return);
	tcase_add_test(tc, test_flash_package_two_phones);
	tcase_add_test(tc, test_flash_package_cable_pull_resume);
	tcase_add_test(tc, test_two_phones);
	tcase_add_test(tc, test_no_phone);
	tcase_add_test(tc, test_throughput_256m);
	suite_add_tcase(s, tc);
	return s;
}

/* Under `make asan` the suite runs with umockdev's preload library ahead of
 * the ASan runtime (umockdev-wrapper sets LD_PRELOAD); that order is fine
 * here, so tell ASan not to refuse it (the children get ASAN_OPTIONS). */
const char *__asan_default_options(void);
__attribute__((used)) const char *__asan_default_options(void)
{
	return "verify_asan_link_order=0";
}

int main(void)
{
	SRunner *sr = srunner_create(e2e_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
