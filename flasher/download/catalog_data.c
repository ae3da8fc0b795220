/* data/catalog.txt inside the binary, so that `romflash catalog` and
 * catalog versions work wherever romflash is installed.  The Makefile
 * passes the file's absolute path as RF_CATALOG_FILE and makes this object
 * depend on it.  The text is followed by a NUL byte (not counted). */
#ifndef RF_CATALOG_FILE
#error "RF_CATALOG_FILE (the path of data/catalog.txt) is set by the Makefile"
#endif

extern const char rf_catalog_builtin[];

__asm__(".pushsection .rodata\n"
	".global rf_catalog_builtin\n"
	".global rf_catalog_builtin_end\n"
	".balign 16\n"
	"rf_catalog_builtin:\n"
	".incbin \"" RF_CATALOG_FILE "\"\n"
	"rf_catalog_builtin_end:\n"
	".byte 0\n"
	".popsection\n");
