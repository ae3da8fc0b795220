/* What a package is, from its file name alone.
 *
 * Fastboot: cancro_global_images_7.12.8_20171208.0000.00_6.0_global_5b06774c6e.tgz
 *           CODENAME[_REGION]_global_images_VERSION_BUILD_ANDROID_TAG[_MD5]
 *           (raphaelin_in_global_..._in_, lancelot_eea_global_..._eea_,
 *           China: cancro_images_..._cn_; an extracted folder has the same
 *           name without _MD5).
 * Recovery: miui_MI3WMI4WGlobal_7.12.8_7d3da38965_6.0.zip
 *           miui_MODEL[REGION]Global_VERSION_MD5_ANDROID.zip (EEA, IN, RU...;
 *           China: miui_MODEL_...), HyperOS:
 *           CODENAME[_REGION_global]-ota_full-VERSION-user-ANDROID-MD5.zip
 * A browser's second copy ("NAME (1).tgz") and an unfinished download
 * ("NAME.tgz.part", ".crdownload") are recognised, with a note saying so. */
#ifndef RF_PKGNAME_H
#define RF_PKGNAME_H

enum rf_pkgname_kind {
	RF_NAME_UNKNOWN = 0,
	RF_NAME_FASTBOOT,
	RF_NAME_RECOVERY,
};

struct rf_pkgname {
	enum rf_pkgname_kind kind; /* UNKNOWN: nothing below is set */
	char codename[32];   /* "cancro", "raphaelin"; HyperOS zips too */
	char model[64];      /* recovery: model family "MI3WMI4WGlobal" */
	char region[16];     /* "global", "cn", "in", "eea", "ru", ... */
	char version[64];    /* "7.12.8", "V7.1.2.0.KXDMICK", "OS2.0.112.0.VOBCNXM" */
	char build[32];      /* "20171208.0000.00" */
	char build_date[16]; /* "2017-12-08" */
	char android[16];    /* "6.0" */
	char md5_prefix[11]; /* 10 hex digits, lower case; "" when absent */
	char top[256];       /* fastboot: the expected top folder */
	int partial;         /* an unfinished download (.part, .crdownload) */
	char note[128];      /* what else the name says ("" none) */
};

/* Parse the last path component of `path`.  Returns 1 when the name follows
 * one of the patterns, 0 otherwise (n->kind = RF_NAME_UNKNOWN). */
int rf_pkgname_parse(const char *path, struct rf_pkgname *n);

#endif
