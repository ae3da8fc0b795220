/* Steps: the list, their names, deciding them against a phone's answers,
 * and comparing two lists (see steps.h). */
#include "steps.h"
#include "regex.h"
#include "rf_str.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rf_steplist_push(struct rf_steplist *l, const struct rf_step *s)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		struct rf_step *v = realloc(l->v, sizeof *v * cap);
		if (!v)
			return RF_ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = *s;
	return RF_OK;
}

void rf_steplist_free(struct rf_steplist *l)
{
	free(l->v);
	memset(l, 0, sizeof *l);
}

const char *rf_op_name(enum rf_op op)
{
	switch (op) {
	case RF_OP_FLASH: return "flash";
	case RF_OP_ERASE: return "erase";
	case RF_OP_BOOT: return "boot";
	case RF_OP_REBOOT_BOOTLOADER: return "reboot-bootloader";
	case RF_OP_REBOOT: return "reboot";
	case RF_OP_OEM: return "oem";
	case RF_OP_SET_ACTIVE: return "set_active";
	case RF_OP_GETVAR_CHECK: return "check";
	case RF_OP_ANTI_CHECK: return "anti-check";
	case RF_OP_CRC_FLASH: return "crc-flash";
	case RF_OP_PATCH_CHECK: return "patch-check";
	case RF_OP_FORMAT: return "format";
	}
	return "?";
}

static const char *const mode_names[] = { "keep-data", "clean", "lock" };

const char *rf_mode_name(enum rf_mode m)
{
	return (unsigned)m < 3 ? mode_names[m] : "?";
}

int rf_mode_parse(const char *s, enum rf_mode *m)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(s, mode_names[i])) {
			*m = (enum rf_mode)i;
			return 0;
		}
	return -1;
}

int rf_step_is_check(const struct rf_step *s)
{
	return s->op == RF_OP_GETVAR_CHECK || s->op == RF_OP_ANTI_CHECK ||
	       s->op == RF_OP_PATCH_CHECK;
}

int rf_step_writes(const struct rf_step *s)
{
	return s->op == RF_OP_FLASH || s->op == RF_OP_CRC_FLASH ||
	       s->op == RF_OP_ERASE || s->op == RF_OP_FORMAT;
}

const char *rf_step_query(const struct rf_step *s)
{
	return (rf_step_is_check(s) || s->cond) && s->var[0] ? s->var : NULL;
}

/* grep -oP "VAR: \K[0-9]+" (or awk's second field): the leading digits;
 * none is the script's 0.  -1 when absurd. */
static long leading_number(const char *v)
{
	long n = 0;
	while (*v == ' ' || *v == '\t')
		v++;
	for (int k = 0; isdigit((unsigned char)v[k]); k++) {
		if (k >= 9)
			return -1;
		n = n * 10 + (v[k] - '0');
	}
	return n;
}

/* "2025-11-01" -> 20251101; 0 for "" (the script's ver=0); -1 when it is
 * not a whole date (date -d would refuse it or read something else). */
static long date_number(const char *v)
{
	int y, m, d, n = 0;
	while (*v == ' ' || *v == '\t')
		v++;
	if (!*v)
		return 0;
	if (sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n < 8 ||
	    (v[n] && v[n] != ' ' && v[n] != '\t') || y < 1970 || m < 1 ||
	    m > 12 || d < 1 || d > 31)
		return -1;
	return (long)y * 10000 + m * 100 + d;
}

int rf_step_eval(const struct rf_step *s, const char *value)
{
	char line[256];
	int m;
	long v, max;
	if (s->cond || s->op == RF_OP_GETVAR_CHECK) {
		/* what `fastboot getvar VAR 2>&1` prints */
		snprintf(line, sizeof line, "%s: %s", s->var, value);
		m = rf_grep_match(s->pattern, s->flavor, line);
		if (m < 0)
			return -1;
		return s->must_match ? m : !m;
	}
	switch (s->op) {
	case RF_OP_ANTI_CHECK:
		v = leading_number(value);
		return v < 0 ? -1 : v <= (long)s->anti_max;
	case RF_OP_PATCH_CHECK:
		v = date_number(value);
		max = date_number(s->arg);
		return v < 0 || max <= 0 ? -1 : v <= max;
	default:
		return 1;
	}
}

const char *rf_answers_get(const struct rf_answers *a, const char *var)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].var, var))
			return a->v[i].val;
	return NULL;
}

int rf_answers_put(struct rf_answers *a, const char *var, const char *val)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->v[i].var, var)) {
			rf_strlcpy(a->v[i].val, val, sizeof a->v[i].val);
			return RF_OK;
		}
	if (a->n == RF_ANSWERS_MAX)
		return RF_ETOOBIG;
	rf_strlcpy(a->v[a->n].var, var, sizeof a->v[a->n].var);
	rf_strlcpy(a->v[a->n].val, val, sizeof a->v[a->n].val);
	a->n++;
	return RF_OK;
}

int rf_step_runs(const struct rf_step *s, const struct rf_answers *a)
{
	const char *v;
	if (!s->cond)
		return 1;
	v = rf_answers_get(a, s->var);
	return v && rf_step_eval(s, v) == 1;
}

/* ------------------------------------------------------------ compare */

static int step_eq(const struct rf_step *a, const struct rf_step *b)
{
	long ds = (long)a->sleep_s - (long)b->sleep_s;
	if (a->op != b->op || strcmp(a->partition, b->partition) ||
	    strcmp(a->image, b->image) || strcmp(a->var, b->var) ||
	    strcmp(a->arg, b->arg) || a->anti_max != b->anti_max ||
	    a->cond != b->cond || ds < -2 || ds > 2)
		return 0;
	if (!a->var[0] || a->op == RF_OP_ANTI_CHECK || a->op == RF_OP_PATCH_CHECK)
		return 1;
	return a->must_match == b->must_match &&
	       rf_re_same(a->pattern, a->flavor, b->pattern, b->flavor);
}

static void step_desc(const struct rf_step *s, char *o, size_t cap)
{
	char extra[48] = "";
	if (s->sleep_s)
		snprintf(extra, sizeof extra, ", then %us", s->sleep_s);
	snprintf(o, cap, "%s %.40s%s%.60s%s (%.60s)", rf_op_name(s->op),
		 s->partition[0] ? s->partition : s->var[0] ? s->var : s->arg,
		 s->image[0] ? " " : "", s->image, extra, s->src);
}

int rf_steps_compare(const struct rf_steplist *a, const struct rf_steplist *b,
		     char *diff, size_t cap)
{
	size_t n = a->n < b->n ? a->n : b->n;
	char da[256], db[256];
	for (size_t i = 0; i < n; i++)
		if (!step_eq(&a->v[i], &b->v[i])) {
			step_desc(&a->v[i], da, sizeof da);
			step_desc(&b->v[i], db, sizeof db);
			snprintf(diff, cap, "step %zu: %.110s vs %.110s", i + 1, da, db);
			return 1;
		}
	if (a->n != b->n) {
		const struct rf_step *x = a->n > b->n ? &a->v[n] : &b->v[n];
		step_desc(x, da, sizeof da);
		snprintf(diff, cap, "%zu steps vs %zu; first extra: %s", a->n,
			 b->n, da);
		return 1;
	}
	diff[0] = 0;
	return 0;
}
