/* ROM packages: a fastboot package (.tgz, or its extracted folder) or a
 * recovery zip, opened for reading only -- nothing is ever extracted.
 *
 * Opening a .tgz is one streaming pass over the file: its MD5 is computed
 * (and checked) while it is gunzipped and its tar entries listed; scripts
 * are kept in memory, sparse images have their chunk layout recorded,
 * every other entry is skipped, and a keyed tag (GMAC) of every 1 MiB
 * window of the file is recorded so that a later read can prove its bytes
 * are the verified ones (vfile.h).  A folder's files are read whole for
 * the same tags.  Unsafe entries (absolute paths, "..", links, devices, fifos)
 * and packages larger than a cancro package can be (RF_PKG_MAX_*, checked
 * from the tar headers before their data is inflated) are invalid.
 *
 * With opts.record_dir, what the pass learned is kept in a verification
 * record (pkg_record.h) keyed by the file's identity: opening the same,
 * unchanged file again reads the record instead of the whole package. */
#ifndef RF_PACKAGE_H
#define RF_PACKAGE_H

#include "pkg_files.h"

/* Open and check a package.  Errors (p->err has the message):
 * RF_EFORMAT invalid or unverified package, RF_ESYS cannot read it,
 * RF_EINVAL a zip with refuse_zip, RF_EINTR cancelled. */
int rf_pkg_open(struct rf_package *p, const char *path,
		const struct rf_pkg_opts *o);

#endif
