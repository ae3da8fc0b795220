/* See pkg_fixture.h. */
#include "pkg_fixture.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

uint64_t pf_rnd(uint64_t *state)
{
	uint64_t x = *state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *state = x;
}

void pf_run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	ck_assert_msg(rc == 0, "%s: exit %d", cmd, rc);
}

static void write_file(const char *path, size_t size, enum pf_kind kind,
		       uint64_t *rng)
{
	static unsigned char blk[30011];
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f, "%s: %s", path, strerror(errno));
	for (size_t i = 0; i < sizeof blk; i++)
		blk[i] = (unsigned char)pf_rnd(rng);
	for (size_t i = 0; i < size; i++)
		fputc(kind == PF_RANDOM ? (int)(pf_rnd(rng) & 0xff) :
		      kind == PF_REPEAT ? blk[i % sizeof blk] :
		      "romflash index\n"[(i / 7) % 15], f);
	ck_assert_int_eq(fclose(f), 0);
}

void pf_tree_make(struct pf_tree *t, const char *tag, const char *const *rel,
		  const size_t *size, const enum pf_kind *kind, int n)
{
	char p[512];
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	memset(t, 0, sizeof *t);
	snprintf(t->root, sizeof t->root, "/tmp/%s.XXXXXX", tag);
	ck_assert_ptr_nonnull(mkdtemp(t->root));
	t->rel = rel;
	t->size = size;
	t->n = n;
	pf_run("mkdir -p '%s/src/%s/images'", t->root, PF_TOP);
	snprintf(p, sizeof p, "%s/src/%s/flash_all.sh", t->root, PF_TOP);
	FILE *f = fopen(p, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "fastboot $* flash boot `dirname $0`/%s\n", rel[0]);
	fclose(f);
	for (int i = 0; i < n; i++) {
		snprintf(p, sizeof p, "%s/src/%s/%s", t->root, PF_TOP, rel[i]);
		write_file(p, size[i], kind[i], &rng);
	}
}

void pf_tree_remove(struct pf_tree *t)
{
	if (t->root[0])
		pf_run("rm -rf '%s'", t->root);
}

/* The file list, quoted, script first. */
static void members(const struct pf_tree *t, char *list, size_t cap)
{
	size_t n = (size_t)snprintf(list, cap, PF_TOP "/flash_all.sh");
	for (int i = 0; i < t->n; i++)
		n += (size_t)snprintf(list + n, cap - n, " '" PF_TOP "/%s'",
				      t->rel[i]);
	ck_assert_uint_lt(n, cap);
}

void pf_tree_tgz(const struct pf_tree *t, const char *name,
		 const char *format, const char *opts, char *out, size_t cap)
{
	char list[4096];
	members(t, list, sizeof list);
	snprintf(out, cap, "%s/%s", t->root, name);
	pf_run("cd '%s/src' && tar --format=%s -cf - %s | gzip %s > '%s'",
	       t->root, format, list, opts, out);
}

void pf_tree_tgz_members(const struct pf_tree *t, const char *name,
			 const size_t *cuts, int ncuts, char *out, size_t cap)
{
	char list[4096];
	size_t prev = 0;
	members(t, list, sizeof list);
	snprintf(out, cap, "%s/%s", t->root, name);
	pf_run("cd '%s/src' && tar --format=gnu -cf ../m.tar %s && : > '%s'",
	       t->root, list, out);
	for (int i = 0; i <= ncuts; i++) {
		if (i < ncuts)
			pf_run("tail -c +%zu '%s/m.tar' | head -c %zu | gzip -%d "
			       ">> '%s'", prev + 1, t->root, cuts[i] - prev,
			       i % 2 ? 6 : 1, out);
		else
			pf_run("tail -c +%zu '%s/m.tar' | gzip >> '%s'",
			       prev + 1, t->root, out);
		if (i < ncuts)
			prev = cuts[i];
	}
	pf_run("rm '%s/m.tar'", t->root);
}

void pf_tree_tgz_stored(const struct pf_tree *t, const char *name, char *out,
			size_t cap)
{
	char list[4096];
	members(t, list, sizeof list);
	snprintf(out, cap, "%s/%s", t->root, name);
	pf_run("cd '%s/src' && tar --format=gnu -cf - %s | python3 -c "
	       "'import gzip, sys; sys.stdout.buffer.write(gzip.compress("
	       "sys.stdin.buffer.read(), 0))' > '%s'", t->root, list, out);
}

void pf_copy(const struct pf_tree *t, const char *src, const char *tag,
	     char *out, size_t cap)
{
	snprintf(out, cap, "%s/%s", t->root, tag);
	pf_run("cp '%s' '%s'", src, out);
}

void pf_flip(const char *path, uint64_t off)
{
	unsigned char c;
	int fd = open(path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, &c, 1, (off_t)off), 1);
	c ^= 0x01;
	ck_assert_int_eq(pwrite(fd, &c, 1, (off_t)off), 1);
	close(fd);
}

int pf_index(const struct pf_tree *t, const char *rel)
{
	for (int i = 0; i < t->n; i++)
		if (!strcmp(t->rel[i], rel))
			return i;
	ck_abort_msg("unknown image %s", rel);
	return -1;
}

int pf_check_image(struct rf_pkg_stream *s, const struct pf_tree *t,
		   const char *rel, size_t limit)
{
	static unsigned char got[(1u << 20) + 64], want[(1u << 20) + 64];
	static const size_t chunks[] = { 65537, 1, 4096, 1u << 20, 333, 700001 };
	char path[512];
	rf_read_fn rd;
	void *ctx;
	uint64_t size, pos = 0;
	int i = pf_index(t, rel), rc;

	rc = rf_pkg_stream_image(s, rel, &rd, &ctx, &size);
	if (rc)
		return rc;
	ck_assert_uint_eq(size, t->size[i]);
	snprintf(path, sizeof path, "%s/src/%s/%s", t->root, PF_TOP, rel);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	for (unsigned c = 0; pos < size && pos < limit; c++) {
		size_t want_n = chunks[c % 6], n;
		if (want_n > limit - pos)
			want_n = (size_t)(limit - pos);
		rc = rd(ctx, got, want_n, &n);
		if (rc) {
			fclose(f);
			return rc;
		}
		ck_assert_msg(n > 0 && n <= want_n, "%s: short read %zu at %llu",
			      rel, n, (unsigned long long)pos);
		ck_assert_uint_eq(fread(want, 1, n, f), n);
		ck_assert_msg(!memcmp(got, want, n), "%s differs near %llu",
			      rel, (unsigned long long)pos);
		pos += n;
	}
	if (pos == size) {
		size_t n = 1;
		ck_assert_int_eq(rd(ctx, got, 100, &n), RF_OK);
		ck_assert_uint_eq(n, 0);
	}
	fclose(f);
	return RF_OK;
}
