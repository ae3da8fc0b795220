/* An in-process fastboot phone for executor tests: it answers commands as
 * a cancro bootloader does, keeps its partitions in memory (sparse
 * downloads applied), logs every command, and can be told to misbehave.
 * Unlike fake_transport (scripted replies), it reacts to what it is sent,
 * so the executor can be driven through whole plans, on several phones at
 * once (each phone has its own lock).
 *
 *   struct fake_phone *p = fake_phone_new("SER1", "MSM8974");
 *   struct rf_transport *t = fake_phone_connect(p);   // close: rf_transport_close
 *   ... fake_phone_log(p) is "getvar:product\nflash:tz\n..." ...
 *   fake_phone_free(p);
 */
#ifndef FAKE_PHONE_H
#define FAKE_PHONE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include "transport.h"

struct fake_phone;

/* Called with each command before it is answered (the phone's lock is not
 * held): return 0 to answer normally, 1 to answer FAIL. */
typedef int (*fake_phone_hook)(struct fake_phone *p, const char *cmd, void *user);

struct fake_phone *fake_phone_new(const char *serial, const char *product);
void fake_phone_free(struct fake_phone *p);
struct rf_transport *fake_phone_connect(struct fake_phone *p);

/* getvar NAME answers VALUE (partition-size:boot, anti, crc, ...). */
void fake_phone_var(struct fake_phone *p, const char *name, const char *value);
void fake_phone_max_download(struct fake_phone *p, uint32_t bytes);
/* FAIL the next `times` commands starting with `prefix` ("FAILfake
 * failure"); times < 0: always. */
void fake_phone_fail(struct fake_phone *p, const char *prefix, int times, const char *text);
/* Drop the link once this many download bytes arrived (a cable pull). */
void fake_phone_cut_after(struct fake_phone *p, long long bytes);
/* After reboot-bootloader, connecting fails (it never comes back). */
void fake_phone_no_return(struct fake_phone *p);
void fake_phone_hook_set(struct fake_phone *p, fake_phone_hook h, void *user);

/* Every command received, one per line ("download:..." included). */
char *fake_phone_log(struct fake_phone *p); /* malloc'ed */
/* Commands other than getvar/download, one per line. */
char *fake_phone_writes(struct fake_phone *p); /* malloc'ed */
/* Bytes of a partition as written so far (NULL: never written). */
const unsigned char *fake_phone_part(struct fake_phone *p, const char *name, size_t *len);
int fake_phone_rebooted(struct fake_phone *p); /* reboot-bootloader count */

#endif
