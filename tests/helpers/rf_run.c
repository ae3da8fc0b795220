/* The romflash binary as a child process of a test (end-to-end suites),
 * scratch folders, images and what the emulated phone stored.
 *
 * The child inherits umockdev-wrapper's LD_PRELOAD and the testbed's
 * UMOCKDEV_DIR, so libusb in the child sees the emulated usbfs devices and
 * its ioctls are answered by the test process's handler thread while it
 * waits for the child.  Env: ROMFLASH (set by tests/run-all; default
 * build/romflash); E2E_VERBOSE (any value) also prints romflash's output. */
#include "rf_run.h"

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

#include "phone_data.h"

extern char **environ;

/* ---- fixture: a scratch directory per test -------------------------------- */

char e2e_dir[256];       /* the test's scratch directory */
char e2e_errbuf[256];
char *e2e_out, *e2e_err; /* stdout / stderr of the last child */

double e2e_t_setup;

void e2e_setup(void)
{
	e2e_t_setup = phone_now_s();
	snprintf(e2e_dir, sizeof e2e_dir, "/tmp/check_usb_e2e.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e2e_dir));
}

void e2e_teardown(void)
{
	fprintf(stderr, "  (test took %.1f s)\n", phone_now_s() - e2e_t_setup);
	free(e2e_out);
	free(e2e_err);
	e2e_out = e2e_err = NULL;
	if (e2e_dir[0])
		phone_rm_rf(e2e_dir);
	e2e_dir[0] = 0;
}

/* "<e2e_dir>/<name>" in a static ring of buffers (a few live at once). */
const char *e2e_path(const char *fmt, ...)
{
	static char ring[16][512];
	static int k;
	char *p = ring[k++ % 16];
	va_list ap;
	int n = snprintf(p, 512, "%s/", e2e_dir);
	va_start(ap, fmt);
	vsnprintf(p + n, 512 - (size_t)n, fmt, ap);
	va_end(ap);
	return p;
}

void e2e_mkdir_p(const char *p)
{
	ck_assert_msg(mkdir(p, 0755) == 0 || errno == EEXIST, "mkdir %s", p);
}

char *e2e_slurp(const char *p, size_t *len)
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

/* ---- running romflash (and helper tools) ------------------------------------ */

const char *e2e_romflash_bin(void)
{
	const char *p = getenv("ROMFLASH");
	return p && *p ? p : "build/romflash";
}

/* The child's environment: ours (LD_PRELOAD, UMOCKDEV_DIR), plus resume
 * state in the scratch e2e_dir, and ASan told that umockdev's preload library
 * comes first (an ASan romflash under `make asan`).  Built before spawning:
 * this process has threads, so nothing but exec may run in the child. */
char **e2e_child_env(void)
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
	snprintf(state, sizeof state, "ROMFLASH_STATE_DIR=%s/rfstate", e2e_dir);
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

pid_t e2e_spawn(char *const argv[], const char *outp, const char *errp)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int rc;
	char **env = e2e_child_env();

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
	return pid;
}

int e2e_wait(pid_t pid, const char *what)
{
	int st = 0;
	double deadline = phone_now_s() + CHILD_TIMEOUT_S;
	for (;;) {
		pid_t w = waitpid(pid, &st, WNOHANG);
		if (w == pid)
			break;
		ck_assert_msg(w == 0 || errno == EINTR, "waitpid: %s", strerror(errno));
		if (phone_now_s() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			ck_abort_msg("%s: still running after %d s, killed", what,
				     CHILD_TIMEOUT_S);
		}
		nanosleep(&(struct timespec){ 0, 5 * 1000000L }, NULL);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Run argv (argv[0] looked up in PATH unless it has a slash) with stdin
 * from /dev/null and stdout/stderr into files; returns the exit status
 * (128+signal when killed).  A child still running after the time-out is
 * killed: a hang fails the test instead of leaving a process behind. */
int e2e_spawn_wait(char *const argv[], const char *outp, const char *errp)
{
	return e2e_wait(e2e_spawn(argv, outp, errp), argv[0]);
}

static char rf_outp[512], rf_errp[512];
static char *rf_argv[40];
static int rf_argc;

/* argv = [prefix...] romflash a0 ...: kept for the report */
static void build_argv(char *const prefix[], const char *a0, va_list ap)
{
	rf_argc = 0;
	for (int i = 0; prefix && prefix[i]; i++)
		rf_argv[rf_argc++] = prefix[i];
	rf_argv[rf_argc++] = (char *)e2e_romflash_bin();
	rf_argv[rf_argc++] = (char *)a0;
	while (rf_argc < 39 && (rf_argv[rf_argc] = va_arg(ap, char *)) != NULL)
		rf_argc++;
	rf_argv[rf_argc] = NULL;
	snprintf(rf_outp, sizeof rf_outp, "%s/rf.out", e2e_dir);
	snprintf(rf_errp, sizeof rf_errp, "%s/rf.err", e2e_dir);
}

pid_t e2e_rf_start_as(char *const prefix[], const char *a0, ...)
{
	va_list ap;
	va_start(ap, a0);
	build_argv(prefix, a0, ap);
	va_end(ap);
	return e2e_spawn(rf_argv, rf_outp, rf_errp);
}

int e2e_rf_collect(pid_t pid)
{
	int rc = e2e_wait(pid, "romflash");
	free(e2e_out);
	free(e2e_err);
	e2e_out = e2e_slurp(rf_outp, NULL);
	e2e_err = e2e_slurp(rf_errp, NULL);
	fprintf(stderr, "$");
	for (int i = 0; i < rf_argc; i++)
		fprintf(stderr, " %s", rf_argv[i] == e2e_romflash_bin() ? "romflash" :
			rf_argv[i]);
	fprintf(stderr, "  -> exit %d\n", rc);
	if (getenv("E2E_VERBOSE")) /* show what the user would have seen */
		fprintf(stderr, "%s%s", e2e_out, e2e_err);
	ck_assert_msg(rc != SAN_EXIT, "sanitizer report from romflash" RF_OUTPUT);
	return rc;
}

int e2e_rf(const char *a0, ...)
{
	va_list ap;
	va_start(ap, a0);
	build_argv(NULL, a0, ap);
	va_end(ap);
	return e2e_rf_collect(e2e_spawn(rf_argv, rf_outp, rf_errp));
}

void e2e_run_tool(const char *tool, const char *a1, const char *a2)
{
	char *argv[] = { (char *)tool, (char *)a1, (char *)a2, NULL };
	static char op[512], ep[512];
	snprintf(op, sizeof op, "%s/tool.out", e2e_dir);
	snprintf(ep, sizeof ep, "%s/tool.err", e2e_dir);
	int rc = e2e_spawn_wait(argv, op, ep);
	if (rc) {
		char *e = e2e_slurp(ep, NULL);
		ck_abort_msg("%s %s %s: exit %d: %s", tool, a1, a2, rc, e);
	}
}

/* ---- phones ---------------------------------------------------------------- */

/* A phone whose partitions live in <e2e_dir>/<name>/. */
struct emu_opts e2e_phone_opts(const char *name, const char *serial)
{
	static char states[4][512]; /* outlive e2e_path()'s ring */
	static int k;
	char *state = states[k++ % 4];
	struct emu_opts o;
	memset(&o, 0, sizeof o);
	snprintf(state, sizeof states[0], "%s/%s", e2e_dir, name);
	e2e_mkdir_p(state);
	o.state_dir = state;
	o.serial = serial;
	return o;
}

void e2e_small_max_download(struct emu_opts *o)
{
	o->max_download = SMALL_MAX_DL;
	o->max_download_text = "\t0x00100000";
}

struct usb_emu *e2e_start_one(const struct emu_opts *o)
{
	struct usb_emu *u = usb_emu_start(o, e2e_errbuf);
	ck_assert_msg(u != NULL, "usb_emu_start: %s", e2e_errbuf);
	return u;
}

/* ---- images and comparisons ---------------------------------------------- */

/* Deterministic, incompressible-looking bytes of stream `seed`: byte
 * `off + i` is byte (off+i)%8 of a hash of word (off+i)/8. */
void e2e_fill(unsigned char *buf, size_t len, uint64_t seed, uint64_t off)
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
void e2e_make_image(const char *p, uint64_t size, uint64_t seed,
		       const uint64_t *holes, int nholes)
{
	enum { CH = 1 << 20 };
	unsigned char *buf = malloc(CH);
	FILE *f = fopen(p, "wb");
	ck_assert_ptr_nonnull(buf);
	ck_assert_msg(f != NULL, "%s: %s", p, strerror(errno));
	for (uint64_t off = 0; off < size;) {
		size_t n = size - off < CH ? (size_t)(size - off) : CH;
		e2e_fill(buf, n, seed, off);
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

uint64_t e2e_file_size(const char *p)
{
	struct stat st;
	ck_assert_msg(stat(p, &st) == 0, "%s: %s", p, strerror(errno));
	return (uint64_t)st.st_size;
}

int e2e_is_sparse_file(const char *p)
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
void e2e_expect_partition(const char *state, const char *part, const char *img)
{
	enum { CH = 1 << 20 };
	char pp[600], raw[600];
	const char *src = img;

	snprintf(pp, sizeof pp, "%s/%s.img", state, part);
	if (e2e_is_sparse_file(img)) {
		snprintf(raw, sizeof raw, "%s/expanded.raw", e2e_dir);
		e2e_run_tool("simg2img", img, raw);
		src = raw;
	}
	uint64_t size = e2e_file_size(src);
	ck_assert_msg(e2e_file_size(pp) >= size, "partition %s (%llu bytes) smaller than %s (%llu)",
		      part, (unsigned long long)e2e_file_size(pp), img, (unsigned long long)size);
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

void e2e_expect_zero_partition(const char *state, const char *part)
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

int e2e_count_lines_starting(const char *text, const char *prefix)
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

char *e2e_commands_log(const char *state)
{
	char p[600];
	snprintf(p, sizeof p, "%s/commands.log", state);
	return e2e_slurp(p, NULL);
}

