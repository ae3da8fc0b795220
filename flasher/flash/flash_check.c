/* The preflight: every check before the first write.  See flash_exec.h.
 *
 * Answers to checks are retried when they look transient: a bootloader may
 * answer FAIL to one getvar and the right value to the next, and reading a
 * one-off FAIL to `getvar anti` as "version 0" would let a flash below the
 * phone's anti-rollback version through, which bricks it.  A variable the
 * bootloader answers "not found" to on every try is one it does not have:
 * the script's grep then sees nothing (for anti-rollback the script's own
 * `ver=0`: a bootloader without the variable has no anti-rollback fuse).
 * Anything else that stays odd refuses the phone and says why. */
#include <ctype.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "flash_run.h"
#include "format.h"
#include "part_table.h"
#include "pkg_stream.h"
#include "pkg_target.h"
#include "rf_str.h"
#include "script.h"
#include "step_kinds.h"

#define TRIES 3

static int says_unknown(const char *fail)
{
	static const char *const words[] = { "not found", "unknown", "not supported",
					     "not exist", NULL };
	for (const char *const *w = words; *w; w++)
		if (strcasestr(fail, *w))
			return 1;
	return 0;
}

/* getvar, retried while the answer looks transient. */
static int getvar_retried(const struct rf_flash_run *r, struct rf_fastboot *fb,
			  const char *var, char *val, size_t cap, int *unknown)
{
	char first[RF_FB_RESP_MAX + 1] = "";
	int same = 1, rc = RF_OK;

	*unknown = 0;
	for (int i = 0; i < TRIES; i++) {
		/* the second try at once (a one-off glitch), the next after a
		 * pause (a bootloader busy for a moment): a variable the phone
		 * does not have -- cancro's `anti` and `crc` -- costs one pause
		 * per flash, not two */
		if (i > 1)
			usleep((r->retry_ms ? r->retry_ms : 20) * 1000u);
		rc = rf_fb_getvar(fb, var, val, cap);
		if (rc != RF_EFAIL)
			return rc; /* an answer, or a link error (not retried:
				      a late reply would be read as the next) */
		if (!i)
			rf_strlcpy(first, fb->fail, sizeof first);
		else if (strcmp(first, fb->fail))
			same = 0;
	}
	if (same && says_unknown(first)) {
		*unknown = 1;
		val[0] = 0;
		return RF_OK;
	}
	return rf_errf(fb->err, RF_EFAIL, "getvar %s answered FAIL %d times (%s)", var, TRIES,
		       fb->fail);
}

static int drop(struct rf_flash_target *t, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int drop(struct rf_flash_target *t, int rc, const char *fmt, ...)
{
	va_list ap;
	t->rc = rc;
	va_start(ap, fmt);
	vsnprintf(t->err, sizeof t->err, fmt, ap);
	va_end(ap);
	return rc;
}

static int is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

/* Does an anti-rollback check of the plan read `var`? */
static int anti_var(const struct rf_plan *pl, const char *var)
{
	for (size_t i = 0; i < pl->steps.n; i++)
		if (pl->steps.v[i].op == RF_OP_ANTI_CHECK && !strcmp(pl->steps.v[i].var, var))
			return 1;
	return 0;
}

/* Every variable the plan's checks and conditions depend on, asked once
 * each (retried while transient), into t->answers. */
static int ask_answers(struct rf_flash_run *r, struct rf_flash_target *t)
{
	char val[RF_FB_RESP_MAX + 1];
	memset(&t->answers, 0, sizeof t->answers);
	for (size_t i = 0; i < r->plan->steps.n; i++) {
		const struct rf_step *s = &r->plan->steps.v[i];
		const char *var = rf_step_query(s);
		int unknown, rc;
		if (!var || rf_answers_get(&t->answers, var))
			continue;
		rc = getvar_retried(r, &t->fb, var, val, sizeof val, &unknown);
		if (rc == RF_EFAIL)
			return drop(t, RF_EWRONGDEV, "%s: %s: cannot tell what the phone's %s is; "
				    "refusing", s->src, t->fb.err, var);
		if (rc)
			return drop(t, rc, "getvar %s: %s", var, t->fb.err);
		if (!unknown && !is_number(val) && anti_var(r->plan, var))
			return drop(t, RF_EWRONGDEV, "%s: the phone answers getvar %s with '%s', "
				    "not a version number; refusing (flashing below the phone's "
				    "anti-rollback version bricks it)", s->src, var, val);
		if (rf_answers_put(&t->answers, var, val))
			return drop(t, RF_EFORMAT, "the script asks the phone more than %d "
				    "variables", RF_ANSWERS_MAX);
	}
	return RF_OK;
}

/* A check of the script against the phone's answer. */
static int check_step(struct rf_flash_target *t, const struct rf_step *s)
{
	const char *val = rf_answers_get(&t->answers, s->var);
	char msg[RF_ERRLEN];
	int v = rf_step_eval(s, val ? val : "");
	if (v == 1)
		return RF_OK;
	if (v < 0)
		return drop(t, RF_EWRONGDEV, "%s: cannot decide %s %s on the phone's answer "
			    "'%s'; refusing", s->src, rf_op_name(s->op), s->var, val ? val : "");
	rf_exec_check_failure(s, val, msg, sizeof msg);
	return drop(t, RF_EWRONGDEV, "%s", msg);
}

/* format: the filesystem is made now, for this phone's answers; when it
 * cannot be (the phone does not say the partition's type, the program that
 * makes it is missing or fails) the flash is refused before anything is
 * written, not stopped half way. */
static int format_step(struct rf_flash_run *r, struct rf_flash_target *t, size_t i)
{
	struct rf_format_opts fo = { .stop = r->dev.stop };
	char msg[RF_ERRLEN];
	int rc;
	if (!t->made && !(t->made = calloc(r->plan->steps.n, sizeof *t->made)))
		return drop(t, RF_ENOMEM, "out of memory");
	rc = rf_exec_format_prepare(&t->fb, &r->plan->steps.v[i], &fo, &t->made[i], msg);
	return rc ? drop(t, rc, "%s", msg) : RF_OK;
}

/* The partition sizes the phone would write into, for the size checks. */
struct sizes {
	const struct rf_part_table *gpt; /* the package's, when the plan writes it */
	const struct rf_part_table *known;
};

static int fits(struct rf_flash_target *t, const struct sizes *z, const struct rf_step *s)
{
	char names[RF_FB_CMD_MAX], *save = NULL;
	rf_strlcpy(names, s->partition, sizeof names);
	/* every name of an a+b pair must hold the image */
	for (char *p = strtok_r(names, "+", &save); p; p = strtok_r(NULL, "+", &save)) {
		enum rf_size_src src = RF_SIZE_PHONE;
		uint64_t size;
		int rc = rf_device_partition_size(&t->fb, p, &size);
		if (rc)
			return drop(t, rc, "getvar partition-size:%s: %s", p, t->fb.err);
		if (!size && (size = rf_part_size(z->gpt, p)))
			src = RF_SIZE_PACKAGE;
		if (!size && (size = rf_part_size(z->known, p)))
			src = RF_SIZE_KNOWN;
		if (size && s->out_bytes > size)
			return drop(t, RF_EFORMAT, "%s: %s writes %llu bytes%s, partition %s holds %llu "
				    "(size from %s): the phone would refuse it after the steps before",
				    s->src, s->image, (unsigned long long)s->out_bytes,
				    s->sparse ? " (sparse image, unsparsed)" : "", p,
				    (unsigned long long)size, rf_size_src_name(src));
	}
	return RF_OK;
}

static int preflight_one(struct rf_flash_run *r, struct rf_flash_target *t,
			 const struct rf_pkg_target *pt, const struct sizes *z)
{
	const struct rf_plan *pl = r->plan;
	char product[RF_FB_RESP_MAX + 1];
	int unknown, rc;

	rc = rf_device_max_download(&r->dev, &t->fb, t->id, &t->max_dl);
	if (rc)
		return drop(t, rc, "max-download-size: %s", t->fb.err);
	/* the package is for this phone, whatever its script checks */
	rc = getvar_retried(r, &t->fb, "product", product, sizeof product, &unknown);
	if (rc && rc != RF_EFAIL)
		return drop(t, rc, "getvar product: %s", t->fb.err);
	if (rc)
		product[0] = 0; /* FAIL each time: the checks below say why */
	if ((rc = rf_target_check(pt, product, r->force_device, r->plan->checks_product,
				  t->err))) {
		if (product[0] || unknown)
			return t->rc = rc;
		/* "answers product nothing" alone would hide the FAILs */
		char why[sizeof t->err];
		rf_strlcpy(why, t->err, sizeof why);
		return drop(t, rc, "%s (%s)", why, t->fb.err);
	}
	if ((rc = ask_answers(r, t)))
		return rc;
	for (size_t i = 0; i < pl->steps.n; i++) {
		const struct rf_step *s = &pl->steps.v[i];
		if (rf_step_is_check(s) && (rc = check_step(t, s)))
			return rc;
		if (!rf_step_runs(s, &t->answers))
			continue;
		if ((s->op == RF_OP_FLASH || s->op == RF_OP_CRC_FLASH) && (rc = fits(t, z, s)))
			return rc;
	}
	/* the filesystems last: made only for a phone every check passed */
	for (size_t i = t->start; i < pl->steps.n; i++)
		if (pl->steps.v[i].op == RF_OP_FORMAT && (rc = format_step(r, t, i)))
			return rc;
	return RF_OK;
}

/* The GPT the plan writes (`flash partition gpt_both0.bin`), read from the
 * package: the table the phone will have.  NULL in *gpt when none. */
static int package_gpt(const struct rf_flash_run *r, struct rf_part_table *tab,
		       const struct rf_part_table **gpt, char *err)
{
	const struct rf_step *s = NULL;
	struct rf_pkg_stream *ps = NULL;
	struct rf_pkg_stream_opts po;
	unsigned char *buf = NULL;
	const char *one[1];
	rf_read_fn rd;
	void *ctx;
	uint64_t size;
	size_t have = 0;
	int rc;

	*gpt = NULL;
	for (size_t i = 0; i < r->plan->steps.n && !s; i++)
		if (r->plan->steps.v[i].op == RF_OP_FLASH &&
		    !strcmp(r->plan->steps.v[i].partition, "partition"))
			s = &r->plan->steps.v[i];
	if (!s)
		return RF_OK;
	one[0] = s->image;
	memset(&po, 0, sizeof po);
	po.order = one;
	po.norder = 1;
	po.cancel = r->dev.stop;
	po.par_min = UINT64_MAX;
	if ((rc = rf_pkg_stream_open(&ps, r->pkg, &po, err)))
		return rc;
	rc = rf_pkg_stream_image(ps, s->image, &rd, &ctx, &size);
	if (!rc && size > (1u << 20))
		rc = rf_errf(err, RF_EFORMAT, "%s: %llu bytes, too large for a partition table",
			     s->image, (unsigned long long)size);
	else if (rc)
		rf_errf(err, rc, "%s", rf_pkg_stream_err(ps));
	if (!rc && !(buf = malloc(size ? size : 1)))
		rc = rf_errf(err, RF_ENOMEM, "out of memory");
	while (!rc && have < size) {
		size_t got = 0;
		if ((rc = rd(ctx, buf + have, size - have, &got)))
			rf_errf(err, rc, "%s", rf_pkg_stream_err(ps));
		else if (!got)
			rc = rf_errf(err, RF_EFORMAT, "%s ended early", s->image);
		have += got;
	}
	if (!rc && (rc = rf_gpt_parse(buf, have, tab, err)) == RF_EFORMAT) {
		char why[RF_ERRLEN];
		rf_strlcpy(why, err, sizeof why);
		rf_errf(err, rc, "%s: the package's partition table is not a valid GPT (%s); "
			"refusing to write it", s->image, why);
	}
	if (!rc)
		*gpt = tab;
	free(buf);
	rf_pkg_stream_close(ps);
	return rc;
}

struct one_check {
	struct rf_flash_run *r;
	struct rf_flash_target *t;
	const struct rf_pkg_target *pt;
	const struct sizes *z;
	int rc;             /* the package's own failure, for every phone */
	const char *err;
	pthread_t th;
	int started;
};

static void *check_phone(void *arg)
{
	struct one_check *c = arg;
	struct rf_phone_run p = { .r = c->r, .t = c->t };
	c->t->failed_step = -1;
	if (c->rc) {
		c->t->rc = c->rc;
		rf_strlcpy(c->t->err, c->err, sizeof c->t->err);
	} else if (preflight_one(c->r, c->t, c->pt, c->z) == RF_OK) {
		return NULL;
	}
	rf_flash_report(&p);
	return NULL;
}

size_t rf_flash_preflight(struct rf_flash_run *r)
{
	struct rf_part_table tab;
	struct rf_pkg_target pt;
	struct sizes z = { NULL, NULL };
	struct one_check *c = calloc(r->ntg + 1, sizeof *c);
	char err[RF_ERRLEN] = "out of memory";
	size_t ok = 0;
	int rc = c ? rf_pkg_target(r->pkg, &pt, err) : RF_ENOMEM;

	if (!c) {
		for (size_t k = 0; k < r->ntg; k++)
			if (!r->tg[k].rc) {
				r->tg[k].rc = RF_ENOMEM;
				rf_strlcpy(r->tg[k].err, err, sizeof r->tg[k].err);
			}
		return 0;
	}
	if (!rc) {
		z.known = pt.layout; /* the layout of the phone the package is for */
		rc = package_gpt(r, &tab, &z.gpt, err);
	}
	/* each phone in a thread of its own: the checks of eight phones
	 * take the time of one */
	for (size_t k = 0; k < r->ntg; k++) {
		c[k] = (struct one_check){ r, &r->tg[k], &pt, &z, rc, err, 0, 0 };
		if (r->tg[k].rc)
			continue;
		if (r->ntg > 1 && !pthread_create(&c[k].th, NULL, check_phone, &c[k]))
			c[k].started = 1;
		else
			check_phone(&c[k]);
	}
	for (size_t k = 0; k < r->ntg; k++) {
		if (c[k].started)
			pthread_join(c[k].th, NULL);
		ok += !r->tg[k].rc;
	}
	free(c);
	return ok;
}
