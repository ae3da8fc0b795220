/* A recovery zip as a package.  See pkg_zip.h. */
#include "pkg_zip.h"

#include <stdlib.h>
#include <string.h>

#include "rf_str.h"
#include "zip.h"
#include "zip_verify.h"

#define MAX_SCRIPT (4u << 20)

/* The updater-script: present (its absence is refused by the caller), and
 * the devices its first assert names; the first one is the package's. */
static int read_script(struct rf_package *p, struct rf_zip *z)
{
	const struct rf_zip_entry *e = rf_zip_find(z, RF_ZIP_UPDATER_SCRIPT);
	char dev[RF_ZIP_MAX_DEVICES][64];
	char *text = NULL;
	size_t len;

	if (!e)
		return RF_OK;
	p->files = calloc(1, sizeof *p->files);
	if (!p->files || !(p->files[0].path = strdup(e->name)))
		return rf_errf(p->err, RF_ENOMEM, "out of memory");
	p->files[0].size = e->usize;
	p->nfiles = 1;
	if (rf_zip_read_entry(z, e, MAX_SCRIPT, &text, &len))
		return rf_errf(p->err, RF_EFORMAT, "%s: %s", p->path, z->err);
	if (rf_zip_script_devices(text, dev))
		rf_strlcpy(p->device, dev[0], sizeof p->device);
	free(text);
	return RF_OK;
}

int rf_pkg_zip_read(struct rf_package *p, const struct rf_pkg_opts *o)
{
	struct rf_zip z;
	struct rf_zip_verified v;
	struct rf_zip_verify_opts vo = { 0 };
	int rc = rf_zip_open(&z, p->path);

	if (rc)
		return rf_errf(p->err, rc, "%s: %s", p->path, z.err);
	p->file_size = z.size;
	p->ident.dev = z.st.st_dev;
	p->ident.ino = z.st.st_ino;
	p->ident.size = z.st.st_size;
	p->ident.mtim = z.st.st_mtim;
	p->ident.ctim = z.st.st_ctim;
	for (size_t i = 0; i < z.n; i++)
		p->content_size += z.e[i].usize;
	rc = read_script(p, &z);
	if (!rc && o) {
		vo.stop = o->cancel;
		vo.progress = o->progress;
		vo.progress_user = o->progress_user;
	}
	if (!rc && (rc = rf_zip_verify(&z, p->path, &vo, &v)))
		rf_errf(p->err, rc, "%s", z.err);
	if (!rc) {
		rf_strlcpy(p->md5, v.md5, sizeof p->md5);
		rf_zip_verified_free(&v);
	}
	rf_zip_close(&z);
	return rc;
}
