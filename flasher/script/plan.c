/* Building the plan (see plan.h): pick the mode's script, interpret it,
 * check its .bat twin says the same, and resolve every image. */
#include "plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_send.h"
#include "package.h"
#include "script.h"

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

static const struct rf_pkg_file *script_for(const struct rf_package *pkg,
					    enum rf_mode m)
{
	static const char *const keep[] = { "flash_all_except_storage.sh",
					    "flash_all_except_data_storage.sh",
					    NULL };
	static const char *const clean[] = { "flash_all.sh", NULL };
	static const char *const lock[] = { "flash_all_lock.sh", NULL };
	const char *const *c = m == RF_MODE_CLEAN ? clean
			       : m == RF_MODE_LOCK ? lock : keep;
	for (; *c; c++) {
		const struct rf_pkg_file *f = rf_pkg_find(pkg, *c);
		if (f && f->text)
			return f;
	}
	return NULL;
}

int rf_plan_downloads(const struct rf_package *pkg, const char *image,
		      uint32_t max_dl, unsigned *n, char *err)
{
	const struct rf_pkg_file *f = rf_pkg_find(pkg, image);
	struct rf_sparse_layout raw;
	struct rf_image img;
	uint64_t wire;
	int rc;
	memset(&raw, 0, sizeof raw);
	memset(&img, 0, sizeof img);
	*n = 0;
	if (!f)
		return rf_errf(err, RF_EINVAL, "%s is not in the package", image);
	if (f->sparse && !f->layout)
		return rf_errf(err, RF_EFORMAT, "%s: %s", image,
			       f->bad ? f->bad : "malformed sparse image");
	img.size = f->size;
	img.layout = f->layout;
	if (!f->sparse && f->size > max_dl) {
		rc = rf_sparse_layout_raw(&raw, f->size, RF_SPARSE_DEFAULT_BLOCK);
		if (rc)
			return rf_errf(err, rc, "%s: %s", image, raw.err);
		img.layout = &raw;
	}
	rc = rf_image_plan(&img, max_dl, n, &wire, err);
	if (img.layout == &raw)
		rf_sparse_layout_free(&raw);
	return rc;
}

static int fill(struct rf_plan *pl, const struct rf_package *pkg)
{
	char e[RF_ERRLEN];
	pl->bytes = 0;
	pl->downloads = 0;
	pl->n_writes = pl->n_checks = 0;
	for (size_t i = 0; i < pl->steps.n; i++) {
		struct rf_step *s = &pl->steps.v[i];
		if (s->op == RF_OP_GETVAR_CHECK || s->op == RF_OP_ANTI_CHECK)
			pl->n_checks++;
		if (s->op == RF_OP_FLASH || s->op == RF_OP_CRC_FLASH ||
		    s->op == RF_OP_ERASE)
			pl->n_writes++;
		if (!s->image[0])
			continue;
		const struct rf_pkg_file *f = rf_pkg_find(pkg, s->image);
		if (!f)
			return rf_errf(pl->err, RF_EFORMAT,
				       "%s: %s is not in the package", s->src,
				       s->image);
		if (f->size == 0)
			return rf_errf(pl->err, RF_EFORMAT, "%s: %s is empty",
				       s->src, s->image);
		if (f->sparse && !f->layout)
			return rf_errf(pl->err, RF_EFORMAT,
				       "%s: %s: malformed sparse image: %s",
				       s->src, s->image,
				       f->bad ? f->bad : "unreadable");
		s->size = f->size;
		s->sparse = f->sparse;
		s->out_bytes = f->sparse ? f->layout->out_bytes : f->size;
		if (s->op == RF_OP_BOOT) {
			if (f->sparse || f->size > pl->max_dl)
				return rf_errf(pl->err, RF_EFORMAT,
					       "%s: %s cannot be booted (%s)",
					       s->src, s->image,
					       f->sparse ? "sparse image"
							 : "larger than one "
							   "download");
			s->downloads = 1;
		} else {
			int rc = rf_plan_downloads(pkg, s->image, pl->max_dl,
						   &s->downloads, e);
			if (rc)
				return rf_errf(pl->err, rc, "%s: %s", s->src, e);
		}
		pl->bytes += s->size;
		pl->downloads += s->downloads;
	}
	return RF_OK;
}

int rf_plan_build(struct rf_plan *pl, const struct rf_package *pkg,
		  enum rf_mode mode, uint32_t max_dl)
{
	struct rf_steplist bat = { 0 };
	char e[RF_ERRLEN];
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
	snprintf(pl->script, sizeof pl->script, "%.60s", sh->path);
	rc = rf_script_parse(sh->path, sh->text, sh->text_len, RF_DIALECT_SH,
			     &pl->steps, pl->err);
	if (rc)
		goto out;
	/* the .bat twin must say the same thing */
	char twin[80];
	snprintf(twin, sizeof twin, "%.*s.bat", (int)strlen(sh->path) - 3,
		 sh->path);
	const struct rf_pkg_file *bf = rf_pkg_find(pkg, twin);
	if (bf && bf->text) {
		snprintf(pl->bat, sizeof pl->bat, "%.60s", twin);
		if (rf_script_parse(twin, bf->text, bf->text_len, RF_DIALECT_BAT,
				    &bat, e))
			snprintf(pl->bat_diff, sizeof pl->bat_diff, "%s", e);
		else
			rf_steps_compare(&pl->steps, &bat, pl->bat_diff,
					 sizeof pl->bat_diff);
	}
	rc = fill(pl, pkg);
out:
	rf_steplist_free(&bat);
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
