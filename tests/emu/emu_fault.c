/* Fault specs of the emulated phone.  See emu_fault.h. */
#include "emu_fault.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = { "fail", "cut", "stall", "garbage", "slow" };

const char *emu_fault_name(enum emu_fault_kind k)
{
	return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* A decimal number from s up to `stop` (exclusive); -1 when it is not. */
static long long number(const char *s, const char *stop)
{
	long long v = 0;
	if (s == stop)
		return -1;
	for (; s < stop; s++) {
		if (*s < '0' || *s > '9' || v > 1000000000000LL)
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

static int kind_of(const char *s, const char *at, struct emu_fault *f)
{
	const char *eq = memchr(s, '=', (size_t)(at - s));
	size_t n = (size_t)((eq ? eq : at) - s);
	for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
		if (strlen(names[k]) == n && !memcmp(s, names[k], n))
			f->kind = (enum emu_fault_kind)k;
	if (n == 0 || strlen(names[f->kind]) != n || memcmp(s, names[f->kind], n))
		return -1;
	if ((f->kind == EMU_FAULT_SLOW) != (eq != NULL))
		return -1; /* slow needs =MS, the others take nothing */
	if (eq) {
		long long ms = number(eq + 1, at);
		if (ms <= 0 || ms > 3600000)
			return -1;
		f->ms = (int)ms;
	}
	return 0;
}

/* One SPEC, s[0..len). */
static int parse_one(struct emu_fault *f, const char *s, size_t len)
{
	const char *end = s + len, *at = memchr(s, '@', len), *hash, *plus, *w;
	memset(f, 0, sizeof *f);
	f->nth = 1;
	f->after = -1;
	if (!at || kind_of(s, at, f))
		return -1;
	w = at + 1;
	hash = memchr(w, '#', (size_t)(end - w));
	plus = memchr(w, '+', (size_t)(end - w));
	if (plus && hash && plus < hash)
		return -1;
	const char *wend = hash ? hash : plus ? plus : end;
	if (wend == w || wend - w > EMU_FAULT_WHAT)
		return -1;
	memcpy(f->what, w, (size_t)(wend - w));
	if (hash) {
		const char *nend = plus ? plus : end;
		long long n = number(hash + 1, nend);
		if (nend - hash == 2 && hash[1] == '*')
			n = 0; /* #*: every match */
		else if (n <= 0 || n > 1000000)
			return -1;
		f->nth = (unsigned)n;
	}
	if (plus) {
		if ((f->after = number(plus + 1, end)) < 0 ||
		    f->kind == EMU_FAULT_FAIL || f->kind == EMU_FAULT_GARBAGE)
			return -1;
	}
	return 0;
}

int emu_faults_parse(struct emu_faults *fs, const char *specs, char *err)
{
	const char *p = specs;
	memset(fs, 0, sizeof *fs);
	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		if (len) {
			if (fs->n == EMU_MAX_FAULTS) {
				snprintf(err, 256, "at most %d faults", EMU_MAX_FAULTS);
				return -1;
			}
			if (parse_one(&fs->f[fs->n], p, len)) {
				snprintf(err, 256, "bad fault '%.*s' (want KIND@WHAT[#N|#*][+BYTES], "
					 "KIND fail|cut|stall|garbage|slow=MS; +BYTES only for "
					 "cut, stall, slow)", (int)(len > 100 ? 100 : len), p);
				return -1;
			}
			fs->n++;
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

struct emu_fault *emu_faults_hit(struct emu_faults *fs, const char *cmd)
{
	struct emu_fault *hit = NULL, *every = NULL;
	for (int i = 0; i < fs->n; i++) {
		struct emu_fault *f = &fs->f[i];
		if (f->fired || strncmp(cmd, f->what, strlen(f->what)))
			continue;
		if (f->nth == 0) {
			/* #*: strikes at every match no one-shot fault takes */
			if (!every)
				every = f;
			continue;
		}
		/* every fault counts its own matches; one strikes at a time
		 * (another one due now strikes at the next match) */
		if (++f->seen < f->nth)
			continue;
		if (hit) {
			f->seen--;
			continue;
		}
		f->fired = 1;
		hit = f;
	}
	return hit ? hit : every;
}
