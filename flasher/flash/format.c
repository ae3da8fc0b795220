/* Making the filesystem of a `format` step.  See format.h. */
#include "format.h"
#include "rf_str.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_TOOL_DIRS "/usr/sbin:/sbin:/usr/bin:/bin"
#define DEFAULT_TIMEOUT_S 300
/* ext4 without the 64bit feature counts blocks in 32 bits: 16 TiB */
#define MAX_FS_BYTES ((uint64_t)UINT32_MAX * RF_FORMAT_BLOCK)
/* below this neither tool makes a filesystem */
#define MIN_FS_BYTES (1024u * 1024u)

/* A run of the file the tool wrote: what the RAW chunks carry. */
struct run {
	uint64_t off, len;   /* in the file (= on the partition) */
	uint64_t at;         /* where it starts in the data sent */
};

struct rf_format_image {
	struct rf_format_spec spec;
	char tool[256];
	int fd;
	struct run *runs;
	size_t nruns;
	uint64_t written;
	struct rf_sparse_layout layout;
	/* the reader: position in the data sent, its run */
	uint64_t pos;
	size_t run;
	char err[RF_ERRLEN];
};

/* ------------------------------------------------------------ the phone */

/* getvar NAME: 1 with a value, 0 when the phone has none (FAIL or empty),
 * else the link's error. */
static int ask(struct rf_fastboot *fb, const char *name, char *val, size_t cap)
{
	int rc = rf_fb_getvar(fb, name, val, cap);
	if (rc == RF_EFAIL)
		return 0;
	return rc ? rc : val[0] != 0;
}

/* erase-block-size, logical-block-size: a power of two, or 0 (AOSP
 * fastboot ignores anything else the same way). */
static int block_size(struct rf_fastboot *fb, const char *name, uint32_t *out)
{
	char val[RF_FB_RESP_MAX + 1];
	uint64_t v;
	int rc = ask(fb, name, val, sizeof val);
	*out = 0;
	if (rc < 0)
		return rc;
	if (rc && !rf_fb_parse_hex(val, &v) && v && v <= UINT32_MAX && !(v & (v - 1)))
		*out = (uint32_t)v;
	return RF_OK;
}

int rf_format_query(struct rf_fastboot *fb, const char *partition, const char *want,
		    struct rf_format_spec *sp, char *err)
{
	char var[96], val[RF_FB_RESP_MAX + 1];
	int rc;

	memset(sp, 0, sizeof *sp);
	rf_strlcpy(sp->partition, partition, sizeof sp->partition);
	snprintf(var, sizeof var, "partition-type:%s", partition);
	if ((rc = ask(fb, var, val, sizeof val)) < 0)
		return rf_errf(err, rc, "getvar %s: %s", var, fb->err);
	if (!rc)
		return rf_errf(err, RF_EFORMAT, "format %s: the phone does not report the "
			       "partition's type (getvar %s), so no filesystem can be made "
			       "for it (AOSP fastboot refuses the same way)", partition, var);
	if (strcmp(val, "ext4") && strcmp(val, "f2fs"))
		return rf_errf(err, RF_EFORMAT, "format %s: the phone says the partition is "
			       "'%s'; romflash makes ext4 and f2fs filesystems only (as AOSP "
			       "fastboot)", partition, val);
	if (want && *want && strcmp(want, val))
		return rf_errf(err, RF_EFORMAT, "format:%s %s: the phone says the partition "
			       "is %s: a %s filesystem there would not be mounted", want,
			       partition, val, want);
	rf_strlcpy(sp->type, val, sizeof sp->type);
	snprintf(var, sizeof var, "partition-size:%s", partition);
	if ((rc = ask(fb, var, val, sizeof val)) < 0)
		return rf_errf(err, rc, "getvar %s: %s", var, fb->err);
	if (!rc || rf_fb_parse_hex(val, &sp->size))
		return rf_errf(err, RF_EFORMAT, "format %s: the phone %s the partition's "
			       "size (getvar %s%s%s), so no filesystem can be made for it",
			       partition, rc ? "gives no number for" : "does not report", var,
			       rc ? ": " : "", rc ? val : "");
	if (sp->size < MIN_FS_BYTES || sp->size > MAX_FS_BYTES)
		return rf_errf(err, RF_EFORMAT, "format %s: the phone says the partition "
			       "holds %llu bytes: no %s filesystem of that size", partition,
			       (unsigned long long)sp->size, sp->type);
	if ((rc = block_size(fb, "erase-block-size", &sp->erase_blk)) ||
	    (rc = block_size(fb, "logical-block-size", &sp->logical_blk)))
		return rf_errf(err, rc, "getvar: %s", fb->err);
	return RF_OK;
}

/* ------------------------------------------------------------ the tools */

const char *rf_format_tool(const char *type, const char *dirs, char *path, size_t cap)
{
	const char *name = !strcmp(type, "ext4") ? "mke2fs"
			 : !strcmp(type, "f2fs") ? "mkfs.f2fs" : NULL;
	const char *p;

	path[0] = 0;
	if (!name)
		return NULL;
	if (!dirs)
		dirs = getenv("ROMFLASH_MKFS_PATH");
	if (!dirs || !*dirs)
		dirs = DEFAULT_TOOL_DIRS;
	for (p = dirs; *p; ) {
		size_t n = strcspn(p, ":");
		if (n && (size_t)snprintf(path, cap, "%.*s/%s", (int)n, p, name) < cap &&
		    access(path, X_OK) == 0)
			return name;
		p += n + (p[n] == ':');
	}
	path[0] = 0;
	return name;
}

/* The tool's argv, fixed: nothing from the package or the user but the
 * sizes the phone gave.  `num` holds the number arguments. */
static void tool_argv(const struct rf_format_image *im, const char *file, char num[2][128],
		      const char *argv[16])
{
	const struct rf_format_spec *sp = &im->spec;
	int n = 0;
	argv[n++] = im->tool;
	if (!strcmp(sp->type, "ext4")) {
		/* the feature set of the ext4 Android kernels of every age mount
		 * read-write (no metadata_csum, no 64bit: a 3.4 kernel has
		 * neither); see the header for the -E options */
		argv[n++] = "-q";
		argv[n++] = "-F";
		argv[n++] = "-t";
		argv[n++] = "ext4";
		argv[n++] = "-b";
		argv[n++] = "4096";
		argv[n++] = "-O";
		argv[n++] = "none,has_journal,ext_attr,resize_inode,dir_index,filetype,"
			    "extent,flex_bg,sparse_super,large_file,huge_file,uninit_bg,"
			    "dir_nlink,extra_isize";
		argv[n++] = "-E";
		snprintf(num[0], sizeof num[0], "nodiscard,lazy_itable_init=1,"
			 "lazy_journal_init=0");
		if (sp->erase_blk && sp->logical_blk) {
			/* as AOSP fastboot: stride the logical block (at least
			 * 8 KiB), stripe the erase block (at least the stride) */
			unsigned stride = (sp->logical_blk < 8192 ? 8192 : sp->logical_blk) /
					  RF_FORMAT_BLOCK;
			unsigned stripe = sp->erase_blk / RF_FORMAT_BLOCK;
			size_t k = strlen(num[0]);
			snprintf(num[0] + k, sizeof num[0] - k, ",stride=%u,stripe_width=%u",
				 stride, stripe < stride ? stride : stripe);
		}
		argv[n++] = num[0];
		argv[n++] = file;
		snprintf(num[1], sizeof num[1], "%llu",
			 (unsigned long long)(sp->size / RF_FORMAT_BLOCK));
		argv[n++] = num[1];
	} else {
		argv[n++] = "-q";
		argv[n++] = "-f";
		argv[n++] = "-t"; /* no discard: the phone's blocks are not */
		argv[n++] = "0";
		argv[n++] = file;
	}
	argv[n] = NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Keep the last words of the tool's stderr (for the error message). */
static void keep_tail(char *tail, size_t cap, const char *buf, size_t n)
{
	size_t have = strlen(tail);
	if (n >= cap - 1) {
		buf += n - (cap - 1);
		n = cap - 1;
	}
	if (have + n >= cap) {
		size_t drop = have + n - (cap - 1);
		memmove(tail, tail + drop, have - drop + 1);
		have -= drop;
	}
	memcpy(tail + have, buf, n);
	tail[have + n] = 0;
}

/* Wait for the tool, reading its stderr; kill it on a stop or timeout.
 * RF_OK when it exited 0. */
static int wait_tool(struct rf_format_image *im, pid_t pid, int errfd,
		     const struct rf_format_opts *o, char *err)
{
	double end = now_s() + (o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S);
	char tail[200] = "", buf[512];
	int status = 0, done = 0, open_ = 1, why = 0;

	while (!done || open_) {
		struct pollfd pf = { errfd, POLLIN, 0 };
		if (open_ && poll(&pf, 1, 50) > 0) {
			ssize_t n = read(errfd, buf, sizeof buf);
			if (n > 0)
				keep_tail(tail, sizeof tail, buf, (size_t)n);
			else if (n == 0 || errno != EINTR)
				open_ = 0;
		} else if (!open_) {
			usleep(20 * 1000);
		}
		if (!done && waitpid(pid, &status, WNOHANG) == pid)
			done = 1;
		if ((o->stop && *o->stop) || now_s() > end) {
			if (done)
				open_ = 0; /* something it left behind holds the pipe */
			else if (!why) {
				why = o->stop && *o->stop ? RF_EINTR : RF_ETIMEDOUT;
				kill(pid, SIGKILL);
			}
		}
	}
	for (char *e = tail + strlen(tail); e > tail && (e[-1] == '\n' || e[-1] == ' '); )
		*--e = 0;
	char *last = strrchr(tail, '\n');
	if (why == RF_EINTR)
		return rf_errf(err, RF_EINTR, "interrupted while %s made the filesystem",
			       im->tool);
	if (why)
		return rf_errf(err, RF_ESYS, "%s did not finish in %d s", im->tool,
			       o->timeout_s > 0 ? o->timeout_s : DEFAULT_TIMEOUT_S);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return RF_OK;
	return rf_errf(err, RF_ESYS, "%s failed (%s %d)%s%s", im->tool,
		       WIFEXITED(status) ? "exit status" : "signal",
		       WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		       tail[0] ? ": " : "", last ? last + 1 : tail);
}

/* Run the tool on `file`: argv fixed, environment fixed (no MKE2FS_CONFIG
 * of the host: mke2fs's built-in defaults, as AOSP fastboot sets it). */
static int run_tool(struct rf_format_image *im, const char *file,
		    const struct rf_format_opts *o, char *err)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C",
				      "MKE2FS_CONFIG=", "UNIX_IO_NOZEROOUT=1", NULL };
	const char *argv[16];
	char num[2][128];
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int pfd[2], rc;
	pid_t pid;

	tool_argv(im, file, num, argv);
	if (pipe2(pfd, O_CLOEXEC))
		return rf_errf(err, RF_ESYS, "pipe: %s", strerror(errno));
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGPIPE);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	rc = posix_spawn(&pid, im->tool, &fa, &at, (char *const *)argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	close(pfd[1]);
	if (rc) {
		close(pfd[0]);
		return rf_errf(err, RF_ESYS, "cannot run %s: %s", im->tool, strerror(rc));
	}
	rc = wait_tool(im, pid, pfd[0], o, err);
	close(pfd[0]);
	return rc;
}

/* ------------------------------------------------------- what was made */

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* The file holds the filesystem asked for (its superblock says so): what
 * is sent is what was meant. */
static int check_made(const struct rf_format_image *im, char *err)
{
	unsigned char sb[128];
	uint64_t blocks = im->spec.size / RF_FORMAT_BLOCK;
	if (pread(im->fd, sb, sizeof sb, 1024) != (ssize_t)sizeof sb)
		return rf_errf(err, RF_ESYS, "%s left no superblock", im->tool);
	if (!strcmp(im->spec.type, "ext4")) {
		if (sb[0x38] != 0x53 || sb[0x39] != 0xef || le32(sb + 4) != blocks ||
		    le32(sb + 0x18) != 2)
			return rf_errf(err, RF_ESYS, "%s did not make an ext4 filesystem of "
				       "%llu 4 KiB blocks", im->tool, (unsigned long long)blocks);
	} else {
		uint64_t n = le32(sb + 36) | (uint64_t)le32(sb + 40) << 32;
		if (le32(sb) != 0xf2f52010u || !n || n > blocks)
			return rf_errf(err, RF_ESYS, "%s did not make an f2fs filesystem of at "
				       "most %llu 4 KiB blocks", im->tool,
				       (unsigned long long)blocks);
	}
	return RF_OK;
}

static int add_run(struct rf_format_image *im, size_t *cap, uint64_t off, uint64_t len)
{
	if (im->nruns && im->runs[im->nruns - 1].off + im->runs[im->nruns - 1].len >= off) {
		struct run *r = &im->runs[im->nruns - 1]; /* touching: one run */
		uint64_t end = off + len > r->off + r->len ? off + len : r->off + r->len;
		im->written += end - (r->off + r->len);
		r->len = end - r->off;
		return RF_OK;
	}
	if (im->nruns == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct run *n = realloc(im->runs, nc * sizeof *n);
		if (!n)
			return RF_ENOMEM;
		im->runs = n;
		*cap = nc;
	}
	im->runs[im->nruns++] = (struct run){ off, len, im->written };
	im->written += len;
	return RF_OK;
}

/* The file's data runs, in whole blocks (a run is widened to the blocks it
 * touches, so what is sent covers every byte the tool wrote). */
static int find_runs(struct rf_format_image *im, uint64_t size, char *err)
{
	size_t cap = 0;
	off_t at = 0;
	for (;;) {
		off_t d = lseek(im->fd, at, SEEK_DATA), h;
		if (d < 0 && errno == ENXIO)
			return RF_OK;
		if (d < 0 || (h = lseek(im->fd, d, SEEK_HOLE)) < 0)
			return rf_errf(err, RF_ESYS, "SEEK_DATA/SEEK_HOLE on the filesystem "
				       "file: %s", strerror(errno));
		uint64_t a = (uint64_t)d / RF_FORMAT_BLOCK * RF_FORMAT_BLOCK;
		uint64_t b = ((uint64_t)h + RF_FORMAT_BLOCK - 1) / RF_FORMAT_BLOCK *
			     RF_FORMAT_BLOCK;
		if (b > size)
			b = size;
		if (b > a && add_run(im, &cap, a, b - a))
			return rf_errf(err, RF_ENOMEM, "out of memory");
		if ((uint64_t)h >= size)
			return RF_OK;
		at = h;
	}
}

/* RAW for each run, DONT_CARE between them: the layout sparse.c splits. */
static int make_layout(struct rf_format_image *im, uint64_t size, char *err)
{
	struct rf_sparse_layout *l = &im->layout;
	uint32_t blk = 0;
	memset(l, 0, sizeof *l);
	l->is_sparse = 1; /* made of whole blocks, no padding */
	l->blk_sz = RF_FORMAT_BLOCK;
	l->total_blks = (uint32_t)(size / RF_FORMAT_BLOCK);
	l->out_bytes = (uint64_t)l->total_blks * RF_FORMAT_BLOCK;
	l->in_bytes = im->written;
	l->ext = calloc(2 * im->nruns + 1, sizeof *l->ext);
	if (!l->ext)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	for (size_t i = 0; i < im->nruns; i++) {
		uint32_t a = (uint32_t)(im->runs[i].off / RF_FORMAT_BLOCK);
		uint32_t n = (uint32_t)(im->runs[i].len / RF_FORMAT_BLOCK);
		if (a > blk)
			l->ext[l->n++] = (struct rf_sparse_extent){
				.type = RF_SPARSE_CHUNK_DONT_CARE, .out_blk = blk,
				.nblk = a - blk };
		l->ext[l->n++] = (struct rf_sparse_extent){
			.type = RF_SPARSE_CHUNK_RAW, .out_blk = a, .nblk = n,
			.src_off = im->runs[i].at };
		blk = a + n;
	}
	if (blk < l->total_blks)
		l->ext[l->n++] = (struct rf_sparse_extent){
			.type = RF_SPARSE_CHUNK_DONT_CARE, .out_blk = blk,
			.nblk = l->total_blks - blk };
	l->cap = 2 * im->nruns + 1;
	return RF_OK;
}

int rf_format_make(const struct rf_format_spec *sp, const struct rf_format_opts *o,
		   struct rf_format_image **out, char *err)
{
	static const struct rf_format_opts none = { 0 };
	struct rf_format_image *im = calloc(1, sizeof *im);
	const char *name, *tmp;
	char dir[4096], file[4200];
	uint64_t size = sp->size / RF_FORMAT_BLOCK * RF_FORMAT_BLOCK;
	int rc;

	*out = NULL;
	if (!o)
		o = &none;
	if (!im)
		return rf_errf(err, RF_ENOMEM, "out of memory");
	im->fd = -1;
	im->spec = *sp;
	name = rf_format_tool(sp->type, o->tool_dirs, im->tool, sizeof im->tool);
	if (!name || !im->tool[0]) {
		free(im);
		return !name ? rf_errf(err, RF_EINVAL, "no program makes %s filesystems", sp->type)
		     : rf_errf(err, RF_EINVAL, "format %s: making %s needs %s (Debian package "
			       "%s), which is not installed", sp->partition, sp->type, name,
			       !strcmp(name, "mke2fs") ? "e2fsprogs" : "f2fs-tools");
	}
	tmp = o->tmp_dir ? o->tmp_dir : getenv("TMPDIR");
	snprintf(dir, sizeof dir, "%s/romflash-fs-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		rc = rf_errf(err, RF_ESYS, "%s: %s", dir, strerror(errno));
		free(im);
		return rc;
	}
	snprintf(file, sizeof file, "%s/%s.img", dir, sp->type);
	im->fd = open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (im->fd < 0 || ftruncate(im->fd, (off_t)size))
		rc = rf_errf(err, RF_ESYS, "%s: %s", file, strerror(errno));
	else
		rc = run_tool(im, file, o, err);
	/* the file keeps living through im->fd; its name goes at once */
	unlink(file);
	rmdir(dir);
	if (!rc)
		rc = check_made(im, err);
	if (!rc)
		rc = find_runs(im, size, err);
	if (!rc)
		rc = make_layout(im, size, err);
	if (rc) {
		rf_format_free(im);
		return rc;
	}
	*out = im;
	return RF_OK;
}

void rf_format_free(struct rf_format_image *im)
{
	if (!im)
		return;
	if (im->fd >= 0)
		close(im->fd);
	free(im->runs);
	rf_sparse_layout_free(&im->layout);
	free(im);
}

/* ------------------------------------------------------------ sending */

/* The written runs one after the other (what the RAW chunks carry, in
 * the layout's order). */
static int read_runs(void *ctx, void *buf, size_t len, size_t *got)
{
	struct rf_format_image *im = ctx;
	*got = 0;
	while (im->run < im->nruns && im->pos >= im->runs[im->run].at + im->runs[im->run].len)
		im->run++;
	if (im->run == im->nruns || !len)
		return RF_OK;
	const struct run *r = &im->runs[im->run];
	uint64_t in = im->pos - r->at, left = r->len - in;
	size_t want = left < len ? (size_t)left : len;
	ssize_t n = pread(im->fd, buf, want, (off_t)(r->off + in));
	if (n < 0)
		return rf_errf(im->err, RF_ESYS, "reading the made filesystem: %s",
			       strerror(errno));
	if (n == 0)
		return rf_errf(im->err, RF_ESYS, "the made filesystem's file ended early");
	im->pos += (uint64_t)n;
	*got = (size_t)n;
	return RF_OK;
}

void rf_format_image_of(struct rf_format_image *im, struct rf_image *img)
{
	im->pos = 0;
	im->run = 0;
	im->err[0] = 0;
	memset(img, 0, sizeof *img);
	img->read = read_runs;
	img->ctx = im;
	img->read_err = im->err;
	img->size = im->written;
	img->layout = &im->layout;
	img->layout_only = 1;
}

uint64_t rf_format_written(const struct rf_format_image *im)
{
	return im->written;
}

void rf_format_describe(const struct rf_format_image *im, char *out, size_t cap)
{
	snprintf(out, cap, "an empty %s filesystem of %llu bytes (%u blocks of %u), "
		 "%.1f MiB of it written by %s, the rest of the partition left as it is",
		 im->spec.type, (unsigned long long)im->layout.out_bytes,
		 im->layout.total_blks, RF_FORMAT_BLOCK,
		 (double)im->written / (1024.0 * 1024.0), im->tool);
}
