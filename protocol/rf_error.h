/* Error codes shared by every protocol module.
 *
 * Protocol functions return RF_OK (0) or one of the negative codes below and
 * leave a one-line, human readable message in the context they were given
 * (a `char err[RF_ERRLEN]` member).  They never print and never exit: only
 * flasher/ decides what the user sees and which exit status that becomes. */
#ifndef RF_ERROR_H
#define RF_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#define RF_ERRLEN 256

enum rf_err {
	RF_OK = 0,
	RF_EIO = -1,           /* transport I/O failure */
	RF_ETIMEDOUT = -2,     /* no answer in time */
	RF_EDISCONNECTED = -3, /* the device went away (cable, reboot) */
	RF_EPROTO = -4,        /* the peer broke the protocol (garbage, sizes) */
	RF_EFAIL = -5,         /* the device answered FAIL */
	RF_ENODEV = -6,        /* no such device */
	RF_EACCESS = -7,       /* permission denied (udev rules) */
	RF_EBUSY = -8,         /* device claimed by someone else */
	RF_EINVAL = -9,        /* caller passed something invalid */
	RF_ENOMEM = -10,
	RF_EFORMAT = -11,      /* malformed input file (sparse image, ...) */
	RF_EINTR = -12,        /* cancelled by the user */
	RF_ETOOBIG = -13,      /* does not fit (download size, partition) */
	RF_ESYS = -14,         /* local system call failed (open, read a file) */
	RF_EMULTIPLE = -15,    /* several devices match, refusing to guess */
	RF_ECHANGED = -16,     /* a file changed on disk since it was verified */
	RF_EWRONGDEV = -20,    /* not the phone this package/progress is for */
};

/* Short name of an error code ("timeout", "device failure", ...). */
const char *rf_strerror(int code);

/* Format a message into an error buffer of RF_ERRLEN bytes.  Returns `code`
 * so a failing path can read `return rf_errf(ctx->err, RF_EPROTO, "...")`. */
int rf_errf(char *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int rf_verrf(char *err, int code, const char *fmt, va_list ap);

#endif
