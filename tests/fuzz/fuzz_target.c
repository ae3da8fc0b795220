/* libFuzzer harness: which phone a package says it is for -- its name's
 * codename, misc.txt (`product=`, `device=`), android-info.txt (`require
 * product=`, `require board=`) -- and whether the phone at hand is one
 * (flasher/flash/pkg_target.c: rf_pkg_target, rf_target_check).
 *
 * Input: a configuration byte, then the name's codename, misc.txt and
 * android-info.txt, separated by NUL bytes.
 *   bit 0  the name is a fastboot package's (its codename counts)
 *   bit 1  misc.txt is there        bit 2  android-info.txt is there
 *   bits 3-4  what the phone answers to getvar product: MSM8974, nothing,
 *          msm8974, cancro
 *   bit 5  --force-device cancro    bit 6  the script checks the product
 *
 * Whatever the files say: no crash; a codename comes from the source it
 * names (found in its text), a known one (cancro) brings its model,
 * product and layout, an unknown one none; sources that disagree are
 * refused; and the phone passes only when the rules of pkg_target.h say
 * so (the board named, the vouched codename, the known product, or an
 * unknown codename the script checks itself). */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pkg_target.h"

static int board_has(const char *board, const char *product)
{
	size_t n = strlen(product);
	for (const char *w = board; *w; w += strcspn(w, "|"), w += *w == '|')
		if (strcspn(w, "|") == n && !strncmp(w, product, n))
			return 1;
	return 0;
}

static void check_target(const struct rf_pkg_target *t, const struct rf_package *pkg)
{
	const char *from = NULL;

	fz_check_str(t->codename, sizeof t->codename);
	fz_check_str(t->source, sizeof t->source);
	fz_check_str(t->board, sizeof t->board);
	if (t->codename[0]) {
		if (!strcmp(t->source, "its name"))
			from = pkg->name.codename;
		for (size_t i = 0; i < pkg->nfiles; i++)
			if (!strcmp(t->source, pkg->files[i].path))
				from = pkg->files[i].text;
		if (!from || !strstr(from, t->codename))
			abort();
	}
	if (!strcmp(t->codename, "cancro") != (t->model && t->product && t->layout))
		abort();
	if (!t->product && (t->model || t->layout))
		abort();
}

static void check_phone(const struct rf_pkg_target *t, const char *product,
			const char *force, int script_checks)
{
	char err[RF_ERRLEN] = "";
	int rc = rf_target_check(t, product, force, script_checks, err);
	int ok = !t->board[0] || board_has(t->board, product);

	if (force)
		ok = ok && (!t->codename[0] || !strcmp(t->codename, force));
	else
		ok = ok && (t->product ? !strcmp(t->product, product) : script_checks);
	if (rc == RF_OK && !ok)
		abort(); /* the wrong phone let through */
	if (rc != RF_OK && (rc != RF_EWRONGDEV || !err[0]))
		abort();
	fz_check_str(err, sizeof err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const char *const products[] = { "MSM8974", "", "msm8974", "cancro" };
	struct fz_in in = { data, len, 0 };
	uint8_t cfg = fz_u8(&in);
	struct texts {
		char misc[4096], info[4096];
	} *x = malloc(sizeof *x);
	struct rf_package *pkg = calloc(1, sizeof *pkg);
	struct rf_pkg_file files[2] = { { .path = "misc.txt" }, { .path = "android-info.txt" } };
	struct rf_pkg_target t;
	char err[RF_ERRLEN] = "";

	if (!pkg || !x)
		abort();
	/* the name's codename counts only for a fastboot package's name */
	fz_field(&in, pkg->name.codename, sizeof pkg->name.codename);
	fz_field(&in, x->misc, sizeof x->misc);
	fz_field(&in, x->info, sizeof x->info);
	files[0].text = x->misc;
	files[0].text_len = strlen(x->misc);
	files[1].text = x->info;
	files[1].text_len = strlen(x->info);
	pkg->kind = RF_PKG_TGZ;
	if (cfg & 1)
		pkg->name.kind = RF_NAME_FASTBOOT;
	/* the files there, in order */
	pkg->files = (cfg & 2) ? files : files + 1;
	pkg->nfiles = !!(cfg & 2) + !!(cfg & 4);
	if (rf_pkg_target(pkg, &t, err) == RF_OK) {
		check_target(&t, pkg);
		check_phone(&t, products[cfg >> 3 & 3], cfg & 32 ? "cancro" : NULL, !!(cfg & 64));
	} else {
		fz_check_str(err, sizeof err);
		if (!strstr(err, "contradicts"))
			abort();
	}
	free(pkg);
	free(x);
	return 0;
}
