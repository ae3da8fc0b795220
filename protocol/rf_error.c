#include "rf_error.h"

#include <stdio.h>

const char *rf_strerror(int code)
{
	switch (code) {
	case RF_OK: return "success";
	case RF_EIO: return "I/O error";
	case RF_ETIMEDOUT: return "timeout";
	case RF_EDISCONNECTED: return "device disconnected";
	case RF_EPROTO: return "protocol error";
	case RF_EFAIL: return "device reported failure";
	case RF_ENODEV: return "no such device";
	case RF_EACCESS: return "permission denied";
	case RF_EBUSY: return "device busy";
	case RF_EINVAL: return "invalid argument";
	case RF_ENOMEM: return "out of memory";
	case RF_EFORMAT: return "malformed input";
	case RF_EINTR: return "interrupted";
	case RF_ETOOBIG: return "too large";
	case RF_ESYS: return "system error";
	case RF_EMULTIPLE: return "several devices";
	case RF_ECHANGED: return "changed on disk";
	case RF_EWRONGDEV: return "wrong device";
	}
	return "unknown error";
}

int rf_verrf(char *err, int code, const char *fmt, va_list ap)
{
	if (err)
		vsnprintf(err, RF_ERRLEN, fmt, ap);
	return code;
}

int rf_errf(char *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	rf_verrf(err, code, fmt, ap);
	va_end(ap);
	return code;
}
