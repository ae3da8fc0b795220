/* Which exit status (SPEC) an RF_E* code means: mapped here, in the
 * command layer, and nowhere below it. */
#include "cli.h"
#include "rf_error.h"

int rf_exit_for(int e)
{
	switch (e) {
	case RF_OK: return RF_EXIT_OK;
	case RF_ENODEV:
	case RF_EMULTIPLE:
	case RF_EWRONGDEV:
	case RF_EBUSY: return RF_EXIT_NODEV;
	case RF_EINVAL: return RF_EXIT_USAGE;
	case RF_EFORMAT:
	case RF_ECHANGED: return RF_EXIT_PACKAGE;
	case RF_EINTR: return RF_EXIT_INTERRUPTED;
	default: return RF_EXIT_DEVICE;
	}
}
