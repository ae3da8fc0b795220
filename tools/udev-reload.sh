#!/bin/sh
# Make a running udev apply romflash's rules now, to phones already plugged
# in: used by `make install` and `make uninstall` when DESTDIR is empty
# (never for a staged install or a package build).  No udev, or not allowed
# to talk to it: say so and go on (re-plugging the phone does the same).
# Env: UDEVADM (default udevadm).
UDEVADM=${UDEVADM:-udevadm}

if ! command -v "$UDEVADM" >/dev/null 2>&1; then
	echo "romflash: no udevadm: udev rules not reloaded"
	exit 0
fi
# --ping: is udevd there and answering? (5 s at most, not the default 60)
if ! "$UDEVADM" control --ping --timeout=5 >/dev/null 2>&1; then
	echo "romflash: udev is not running: rules not reloaded"
	exit 0
fi
if "$UDEVADM" control --reload &&
	"$UDEVADM" trigger --subsystem-match=usb --action=change; then
	echo "romflash: udev rules reloaded"
else
	echo "romflash: could not reload udev rules (not root?): re-plug the phone," \
		"or run: udevadm control --reload && udevadm trigger --subsystem-match=usb --action=change"
fi
exit 0
