/* Building the plan (see plan.h): pick the mode's script, interpret it,
 * check its .bat twin says the same, and resolve every image. */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package.h"
#include "rf_str.h"
#include "script.h"
#include "sparse.h"

static const char *const keep_names[] = { "flash_all_except_storage.sh",
					  "flash_all_except_data_storage.sh",
					  "flash_all_except_data.sh", NULL };
static const char *const clean_names[] = { "flash_all.sh", NULL };
static const char *const lock_names[] = { "flash_all_lock.sh", NULL };

static const struct rf_pkg_file *script_for(const struct rf_package *pkg,
					    enum rf_mode m)
{
	const char *const *c = m == RF_MODE_CLEAN ? clean_names
			       : m == RF_MODE_LOCK ? lock_names : keep_names;
	for (; *c; c++) {
		const struct rf_pkg_file *f = rf_pkg_find(pkg, *c);
		if (f && f->text)
			return f;
	}
	return NULL;
}

const char *rf_plan_script_name(const struct rf_package *pkg, enum rf_mode mode)
{
	const struct rf_pkg_file *f = script_for(pkg, mode);
	return f ? f->path : NULL;
}

/* The package as the interpreter sees it. */
static int pkg_file(void *user, const char *rel, const char **text, size_t *len)
{
	const struct rf_pkg_file *f = rf_pkg_find(user, rel);
	if (!f)
		return 0;
	*text = f->text;
	*len = f->text_len;
	return 1;
}

int rf_plan_downloads(const struct rf_package *pkg, const char *image,
		      uint32_t max_dl, unsigned *n, char *err)
{
	const struct rf_pkg_file *f = rf_pkg_find(pkg, image);
	uint64_t wire;
	*n = 0;
	if (!f)
		return rf_errf(err, RF_EINVAL, "%s is not in the package", image);
	if (f->sparse && !f->layout)
		return rf_errf(err, RF_EFORMAT, "%s: %s", image,
			       f->bad ? f->bad : "malformed sparse image");
	return rf_sparse_download_count(f->sparse ? f->layout : NULL, f->size,
					max_dl, n, &wire, err);
}

/* One step's image: present, readable, its size and downloads. */
static int fill_image(struct rf_plan *pl, const struct rf_package *pkg,
		      struct rf_step *s)
{
	const struct rf_pkg_file *f = rf_pkg_find(pkg, s->image);
	char e[RF_ERRLEN];
	if (!f)
		return rf_errf(pl->err, RF_EFORMAT, "%s: %s is not in the package",
			       s->src, s->image);
	if (f->size == 0)
		return rf_errf(pl->err, RF_EFORMAT, "%s: %s is empty", s->src, s->image);
	if (f->sparse && !f->layout)
		return rf_errf(pl->err, RF_EFORMAT, "%s: %s: malformed sparse image: %s",
			       s->src, s->image, f->bad ? f->bad : "unreadable");
	s->size = f->size;
	s->sparse = f->sparse;
	s->out_bytes = f->sparse ? f->layout->out_bytes : f->size;
	if (s->op == RF_OP_BOOT) {
		if (f->sparse || f->size > pl->max_dl)
			return rf_errf(pl->err, RF_EFORMAT, "%s: %s cannot be booted (%s)",
				       s->src, s->image, f->sparse ? "sparse image"
				       : "larger than one download");
		s->downloads = 1;
		return RF_OK;
	}
	int rc = rf_plan_downloads(pkg, s->image, pl->max_dl, &s->downloads, e);
	return rc ? rf_errf(pl->err, rc, "%s: %s", s->src, e) : RF_OK;
}

static int fill(struct rf_plan *pl, const struct rf_package *pkg)
{
	pl->bytes = 0;
	pl->downloads = 0;
	pl->n_writes = pl->n_checks = 0;
	for (size_t i = 0; i < pl->steps.n; i++) {
		struct rf_step *s = &pl->steps.v[i];
		pl->n_checks += rf_step_is_check(s);
		pl->n_writes += rf_step_writes(s);
		if (!s->image[0])
			continue;
		int rc = fill_image(pl, pkg, s);
		if (rc)
			return rc;
		pl->bytes += s->size;
		pl->downloads += s->downloads;
	}
	return RF_OK;
}

static void note(struct rf_plan *pl, const char *text)
{
	size_t n = strlen(pl->notes);
	if (*text && !strstr(pl->notes, text))
		snprintf(pl->notes + n, sizeof pl->notes - n, "%s%s", n ? "; " : "", text);
}

/* The .bat twin must say the same thing (by its commands). */
static void compare_twin(struct rf_plan *pl, const struct rf_package *pkg,
			 const struct rf_script_env *env)
{
	struct rf_steplist bat = { 0 };
	struct rf_script_info info;
	char twin[80], e[RF_ERRLEN], line[200];
	snprintf(twin, sizeof twin, "%.*s.bat", (int)strlen(pl->script) - 3, pl->script);
	const struct rf_pkg_file *bf = rf_pkg_find(pkg, twin);
	if (!bf || !bf->text)
		return;
	rf_strlcpy(pl->bat, twin, sizeof pl->bat);
	if (rf_script_parse(twin, bf->text, bf->text_len, RF_DIALECT_BAT, env, &bat,
			    &info, e)) {
		rf_strlcpy(pl->bat_diff, e, sizeof pl->bat_diff);
		return;
	}
	if (pl->checks_product && !(info.flags & RF_SCRIPT_CHECKS_PRODUCT)) {
		snprintf(line, sizeof line, "%s checks no product (its .sh does)", twin);
		note(pl, line);
	}
	note(pl, info.notes);
	rf_steps_compare(&pl->steps, &bat, pl->bat_diff, sizeof pl->bat_diff);
	rf_steplist_free(&bat);
}

int rf_plan_build(struct rf_plan *pl, const struct rf_package *pkg,
		  enum rf_mode mode, uint32_t max_dl)
{
	struct rf_script_env env = { pkg_file, (void *)pkg };
	struct rf_script_info info;
	char line[200];
	int rc;
	memset(pl, 0, sizeof *pl);
	pl->mode = mode;
	pl->max_dl = max_dl ? max_dl : RF_DEFAULT_MAX_DL;
	const struct rf_pkg_file *sh = script_for(pkg, mode);
	if (!sh) {
		char have[512];
		rf_pkg_scripts(pkg, have, sizeof have);
		return rf_errf(pl->err, RF_EINVAL,
			       "the package has no script for mode %s (%s); "
			       "its scripts: %s", rf_mode_name(mode),
			       mode == RF_MODE_CLEAN ? "flash_all.sh"
			       : mode == RF_MODE_LOCK ? "flash_all_lock.sh"
			       : "flash_all_except_storage.sh", have);
	}
	rf_strlcpy(pl->script, sh->path, sizeof pl->script);
	rc = rf_script_parse(sh->path, sh->text, sh->text_len, RF_DIALECT_SH, &env,
			     &pl->steps, &info, pl->err);
	if (rc)
		return rc;
	pl->checks_product = (info.flags & RF_SCRIPT_CHECKS_PRODUCT) != 0;
	if (!pl->checks_product) {
		snprintf(line, sizeof line, "%s checks no product: nothing in the "
			 "script stops it on another phone", pl->script);
		note(pl, line);
	}
	note(pl, info.notes);
	compare_twin(pl, pkg, &env);
	rc = fill(pl, pkg);
	if (rc)
		rf_steplist_free(&pl->steps);
	return rc;
}

int rf_plan_set_max_dl(struct rf_plan *pl, const struct rf_package *pkg,
		       uint32_t max_dl)
{
	pl->max_dl = max_dl ? max_dl : RF_DEFAULT_MAX_DL;
	return fill(pl, pkg);
}

void rf_plan_free(struct rf_plan *pl)
{
	rf_steplist_free(&pl->steps);
}
