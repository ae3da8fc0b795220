/* Which phone a package is for.  See pkg_target.h. */
#include "pkg_target.h"

#include <stdio.h>
#include <string.h>

#include "rf_str.h"

/* The pairings romflash knows: codename, what it is, and what its
 * bootloader answers to `getvar product` (SPEC). */
static const struct known {
	const char *codename, *model, *product;
	const struct rf_part_table *(*layout)(void);
} known[] = {
	{ "cancro", "Xiaomi Mi 3 / Mi 4", "MSM8974", rf_part_table_cancro },
};

static const struct known *by_codename(const char *c)
{
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(known[i].codename, c))
			return &known[i];
	return NULL;
}

static const struct known *by_product(const char *p)
{
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(known[i].product, p))
			return &known[i];
	return NULL;
}

/* The value of `key=` (or `require key=`) in a small text file. */
static int text_value(const char *text, const char *key, char *out, size_t cap)
{
	size_t k = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		const char *p = l;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!strncmp(p, "require ", 8))
			p += 8;
		if (strncmp(p, key, k) || p[k] != '=')
			continue;
		p += k + 1;
		size_t n = strcspn(p, "\r\n");
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n >= cap)
			n = cap - 1;
		memcpy(out, p, n);
		out[n] = 0;
		return n > 0;
	}
	return 0;
}

/* One more source for the codename: it must agree with what was found. */
static int take(struct rf_pkg_target *t, const char *val, const char *src, char *err)
{
	if (!val[0])
		return RF_OK;
	if (t->codename[0] && strcmp(t->codename, val))
		return rf_errf(err, RF_EFORMAT, "the package contradicts itself: %s says %s, %s says %s",
			       t->source, t->codename, src, val);
	if (!t->codename[0]) {
		rf_strlcpy(t->codename, val, sizeof t->codename);
		rf_strlcpy(t->source, src, sizeof t->source);
	}
	return RF_OK;
}

int rf_pkg_target(const struct rf_package *pkg, struct rf_pkg_target *t, char *err)
{
	const struct rf_pkg_file *f;
	char val[64];
	int rc;

	memset(t, 0, sizeof *t);
	if (pkg->name.kind == RF_NAME_FASTBOOT && (rc = take(t, pkg->name.codename, "its name", err)))
		return rc;
	f = rf_pkg_find(pkg, "misc.txt");
	if (f && f->text) {
		val[0] = 0;
		if (!text_value(f->text, "product", val, sizeof val))
			text_value(f->text, "device", val, sizeof val);
		if ((rc = take(t, val, "misc.txt", err)))
			return rc;
	}
	f = rf_pkg_find(pkg, "android-info.txt");
	if (f && f->text) {
		val[0] = 0;
		text_value(f->text, "product", val, sizeof val);
		if ((rc = take(t, val, "android-info.txt", err)))
			return rc;
		text_value(f->text, "board", t->board, sizeof t->board);
	}
	const struct known *k = t->codename[0] ? by_codename(t->codename) : NULL;
	if (k) {
		t->model = k->model;
		t->product = k->product;
		t->layout = k->layout();
	}
	return RF_OK;
}


/* android-info.txt's `require board=A|B`: the phone's product is one. */
static int board_ok(const char *board, const char *product)
{
	char b[64], *save = NULL;
	rf_strlcpy(b, board, sizeof b);
	for (char *w = strtok_r(b, "|", &save); w; w = strtok_r(NULL, "|", &save))
		if (!strcmp(w, product))
			return 1;
	return 0;
}

int rf_target_check(const struct rf_pkg_target *t, const char *product,
		    const char *force, int script_checks, char *err)
{
	const struct known *seen = by_product(product);
	char answers[128];

	snprintf(answers, sizeof answers, "this phone answers product %s%s%s%s",
		 product[0] ? product : "nothing", seen ? " (a " : "",
		 seen ? seen->codename : "", seen ? " answers that)" : "");
	if (force && t->codename[0] && strcmp(force, t->codename))
		return rf_errf(err, RF_EWRONGDEV, "--force-device %s, but the package is for %s",
			       force, t->codename);
	if (t->board[0] && !board_ok(t->board, product))
		return rf_errf(err, RF_EWRONGDEV, "the package requires board %s (android-info.txt); %s",
			       t->board, answers);
	if (force)
		return RF_OK; /* the user vouches for the pairing */
	if (t->product && !strcmp(t->product, product))
		return RF_OK;
	if (t->product)
		return rf_errf(err, RF_EWRONGDEV, "the package is for %s (%s, whose bootloader "
			       "answers product %s); %s", t->codename, t->model, t->product, answers);
	if (script_checks)
		return RF_OK; /* its own product check decides, before any write */
	if (!t->codename[0])
		return rf_errf(err, RF_EWRONGDEV, "the package does not say which phone it is for "
			       "(no codename in its name or files); %s: if you are sure the package "
			       "is for it, add --force-device CODENAME", answers);
	return rf_errf(err, RF_EWRONGDEV, "the package is for %s, a phone romflash does not "
		       "know; %s: if you are sure this phone is a %s, add --force-device %s",
		       t->codename, answers, t->codename, t->codename);
}
