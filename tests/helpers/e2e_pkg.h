/* Packages for the end-to-end suites (check_usb_e2e.c, check_usb_faults.c):
 * made by tests/fixtures/mkpkg, and the check that a phone holds what the
 * package's script writes.  See e2e_pkg.c. */
#ifndef RF_E2E_PKG_H
#define RF_E2E_PKG_H
#include <stddef.h>

/* A package of tests/fixtures/mkpkg (VARIANT, SIZE_MB, scripts last) in
 * <e2e_dir>/pkg: its .tgz's path (malloc'ed); *folder gets the extracted
 * top folder. */
char *e2e_make_package(const char *variant, int size_mb, char *folder, size_t cap);

/* The phone whose state folder is `state` got flash:/erase: in the order
 * of `script_name` (in `folder`) when check_order (a split image is several
 * flash:NAME in a row, counted once), and every partition holds what the
 * script last wrote to it, byte for byte.  The CRC lists (conditional on
 * getvar crc) are left out. */
void e2e_expect_script_result(const char *state, const char *folder,
			      const char *script_name, int check_order);
#endif
