/* Every kept fuzz input, replayed: the files of tests/fuzz/corpus/NAME/
 * (the seeds, minimised) and of tests/fuzz/crashes/NAME/ (inputs that once
 * broke a parser) through harness NAME (tests/fuzz/fuzz_NAME.c, its entry point
 * renamed rf_fuzz_NAME by the Makefile, which also lists the harnesses in
 * RF_FUZZ_TARGETS).  A harness aborts when a parser misbehaves, and the
 * ASan build (`make asan`) catches what the sanitizers see, so an input
 * that crashed once fails this suite if the bug comes back. */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef RF_FUZZ_TARGETS
#error "RF_FUZZ_TARGETS comes from the Makefile"
#endif

#define X(n) int rf_fuzz_##n(const uint8_t *data, size_t len);
RF_FUZZ_TARGETS
#undef X

static const struct target {
	const char *name;
	int (*run)(const uint8_t *data, size_t len);
} targets[] = {
#define X(n) { #n, rf_fuzz_##n },
	RF_FUZZ_TARGETS
#undef X
};
#define NTARGETS (sizeof targets / sizeof targets[0])

static const char *root(void)
{
	const char *r = getenv("ROOT");
	return r && *r ? r : ".";
}

static int skip_name(const char *n)
{
	return n[0] == '.'; /* ., .., hidden files (none are inputs) */
}

/* Read a whole (small) input file. */
static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	ck_assert(fseek(f, 0, SEEK_END) == 0);
	n = ftell(f);
	ck_assert_msg(n >= 0 && n <= (8L << 20), "%s: %ld bytes", path, n);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert(buf != NULL);
	ck_assert((long)fread(buf, 1, (size_t)n, f) == n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Run every file under `dir` (sub-folders too, a few levels) through t;
 * returns how many. */
static size_t replay_tree(const struct target *t, const char *dir, int depth)
{
	char path[1024];
	struct dirent *e;
	size_t count = 0;
	struct stat st;
	DIR *d = opendir(dir);

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		size_t len;
		uint8_t *buf;
		if (skip_name(e->d_name))
			continue;
		ck_assert_msg((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) <
			      sizeof path, "%s/%s: path too long", dir, e->d_name);
		ck_assert(stat(path, &st) == 0);
		if (S_ISDIR(st.st_mode)) {
			if (depth < 3)
				count += replay_tree(t, path, depth + 1);
			continue;
		}
		/* the name goes to the log first: a crash then says which */
		fprintf(stderr, "replay %s\n", path);
		buf = slurp(path, &len);
		t->run(buf, len);
		free(buf);
		count++;
	}
	closedir(d);
	return count;
}

static size_t replay_kind(const struct target *t, const char *kind)
{
	char dir[512];
	snprintf(dir, sizeof dir, "%s/tests/fuzz/%s/%s", root(), kind, t->name);
	return replay_tree(t, dir, 0);
}

/* The folders of real inputs tests/fuzz/seed-dirs names for t. */
static size_t replay_seed_dirs(const struct target *t)
{
	char path[512], line[512], name[64], dir[400];
	size_t count = 0;
	FILE *f;

	snprintf(path, sizeof path, "%s/tests/fuzz/seed-dirs", root());
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || sscanf(line, "%63s %399s", name, dir) != 2 ||
		    strcmp(name, t->name))
			continue;
		snprintf(path, sizeof path, "%s/%s", root(), dir);
		size_t n = replay_tree(t, path, 0);
		ck_assert_msg(n > 0, "tests/fuzz/seed-dirs: %s holds nothing", dir);
		count += n;
	}
	fclose(f);
	return count;
}

START_TEST(replay)
{
	const struct target *t = &targets[_i];
	size_t seeds = replay_kind(t, "corpus") + replay_seed_dirs(t);
	size_t crashes = replay_kind(t, "crashes");

	fprintf(stderr, "%s: %zu corpus inputs, %zu crash inputs replayed\n",
		t->name, seeds, crashes);
	ck_assert_msg(seeds > 0, "harness %s has no corpus in tests/fuzz/corpus/%s",
		      t->name, t->name);
}
END_TEST

/* The empty input and a few trivial ones: every harness takes them. */
START_TEST(trivial)
{
	static const uint8_t bytes[64] = { 0xff, 0 };
	const struct target *t = &targets[_i];
	t->run(bytes, 0);
	t->run(bytes, 1);
	t->run(bytes + 1, 1);
	t->run(bytes, sizeof bytes);
}
END_TEST

/* Every corpus or crash folder belongs to a harness (a folder nobody
 * replays would be a regression test that never runs). */
START_TEST(no_orphans)
{
	static const char *kinds[] = { "corpus", "crashes" };
	for (size_t k = 0; k < 2; k++) {
		char dir[512];
		struct dirent *e;
		DIR *d;
		snprintf(dir, sizeof dir, "%s/tests/fuzz/%s", root(), kinds[k]);
		d = opendir(dir);
		if (!d) {
			ck_assert_msg(k == 1, "no %s", dir);
			continue;
		}
		while ((e = readdir(d))) {
			size_t i;
			if (skip_name(e->d_name))
				continue;
			for (i = 0; i < NTARGETS; i++)
				if (!strcmp(targets[i].name, e->d_name))
					break;
			ck_assert_msg(i < NTARGETS, "%s/%s: no harness "
				      "tests/fuzz/fuzz_%s.c", dir, e->d_name,
				      e->d_name);
		}
		closedir(d);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fuzz_replay");
	TCase *tc = tcase_create("fuzz_replay");
	tcase_add_loop_test(tc, replay, 0, (int)NTARGETS);
	tcase_add_loop_test(tc, trivial, 0, (int)NTARGETS);
	tcase_add_test(tc, no_orphans);
	suite_add_tcase(s, tc);
	SRunner *r = srunner_create(s);
	srunner_run_all(r, CK_NORMAL);
	int nf = srunner_ntests_failed(r);
	srunner_free(r);
	return nf ? 1 : 0;
}
