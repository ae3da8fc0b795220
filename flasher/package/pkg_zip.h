/* A recovery zip opened as a package (`romflash info`): read with the same
 * checks as `sideload` (zip.c's structure checks, then zip_verify.c's one
 * pass for the MD5), not with a lenient streaming reader that would accept
 * a zip recovery reads differently. */
#ifndef RF_PKG_ZIP_H
#define RF_PKG_ZIP_H

#include "package.h"

/* Fill p (kind RF_PKG_ZIP, path set) from the zip at p->path: file size
 * and identity, content size, the MD5 (checked by the caller), the device
 * the updater-script's first assert names, and one file entry, the
 * updater-script (its absence is the caller's to refuse).  Errors as
 * rf_pkg_open's, message in p->err. */
int rf_pkg_zip_read(struct rf_package *p, const struct rf_pkg_opts *o);

#endif
