/* What a package is, from its file name alone.
 *
 * Fastboot: cancro_global_images_7.12.8_20171208.0000.00_6.0_global_5b06774c6e.tgz
 *           codename[_global]_images_VERSION_BUILD_ANDROID_REGION[_MD5PREFIX]
 *           (an extracted folder has the same name without _MD5PREFIX).
 * Recovery: miui_MI3WMI4WGlobal_7.12.8_7d3da38965_6.0.zip
 *           miui_MODEL_VERSION_MD5PREFIX_ANDROID.zip */
#ifndef RF_PKGNAME_H
#define RF_PKGNAME_H

enum rf_pkgname_kind {
	RF_NAME_UNKNOWN = 0,
	RF_NAME_FASTBOOT,
	RF_NAME_RECOVERY,
};

struct rf_pkgname {
	enum rf_pkgname_kind kind; /* UNKNOWN: nothing below is set */
	char codename[32];   /* fastboot: "cancro" */
	char model[64];      /* recovery: model family "MI3WMI4WGlobal" */
	char region[16];     /* "global", "cn", ... */
	char version[64];    /* "7.12.8", "V7.1.2.0.KXDMICK" */
	char build[32];      /* "20171208.0000.00" */
	char build_date[16]; /* "2017-12-08" */
	char android[16];    /* "6.0" */
	char md5_prefix[11]; /* 10 hex digits, lower case; "" when absent */
	char top[256];       /* fastboot: the expected top folder */
};

/* Parse the last path component of `path`.  Returns 1 when the name follows
 * one of the patterns, 0 otherwise (n->kind = RF_NAME_UNKNOWN). */
int rf_pkgname_parse(const char *path, struct rf_pkgname *n);

#endif
