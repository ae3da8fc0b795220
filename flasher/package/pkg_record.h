/* Verification records: what the verification pass over a .tgz learned
 * (its MD5, entry list with offsets, scripts, sparse layouts, gunzip resume
 * points, window digests), kept in a file so that opening the same file
 * again skips the pass.
 *
 * A record is named after the package's real path and holds the identity
 * of the file it was made from (device, inode, size, mtime and ctime to
 * the nanosecond); it is used only while the file still has that
 * identity, so a touched, rewritten or replaced file is read whole again.
 * Reusing one is safe for the bytes it matters for: the window digests it
 * carries still check every byte the write pass reads (vfile.h), so a file
 * damaged in place without a change of identity (a failing disk) is caught
 * when its bytes are used.  The record checks itself (a SHA-256 of its
 * content) and names the ISA-L build its resume points come from; a
 * damaged or foreign one is ignored.  At most RF_PKG_RECORDS are kept. */
#ifndef RF_PKG_RECORD_H
#define RF_PKG_RECORD_H

#include <stddef.h>
#include "pkg_files.h"

#define RF_PKG_RECORDS 16

/* $XDG_CACHE_HOME/romflash/verified, else ~/.cache/romflash/verified;
 * "" when neither can be named. */
void rf_pkg_record_dir(char *out, size_t cap);

/* Fill p (a .tgz being opened: p->path set, nothing listed yet) from its
 * record in `dir` when that record was made from a file of identity `id`.
 * Resume points are loaded only `with_points`.  RF_OK: loaded.  Otherwise p
 * is as it was: RF_ENODEV no record (or a stale one), RF_EFORMAT a damaged
 * or foreign one. */
int rf_pkg_record_load(struct rf_package *p, const char *dir,
		       const struct rf_pkg_ident *id, int with_points);

/* Write p's record into `dir` (created if needed), replacing the one of
 * the same path.  Written to a temporary name, then renamed.  A failure
 * (message in err) costs the next open a full pass, nothing else. */
int rf_pkg_record_save(const struct rf_package *p, const char *dir,
		       char *err);

#endif
