#!/bin/sh
# Install the Debian packages romflash needs to build, test and demo, if any
# is missing.  Used by `make deps` (and so by `make check` and `make demo`).
set -eu

PKGS="build-essential pkg-config libusb-1.0-0-dev libcurl4-openssl-dev
libarchive-dev libssl-dev libisal-dev isal check libumockdev-dev umockdev
libglib2.0-dev fastboot adb android-sdk-libsparse-utils zlib1g-dev python3
curl zsh nginx openssl e2fsprogs f2fs-tools time valgrind"

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "romflash: this is not a Debian-like system; install by hand:" >&2
	echo "  libusb-1.0, libcurl, libarchive, libcrypto (OpenSSL), ISA-L," >&2
	echo "  Check, umockdev, AOSP fastboot/adb, img2simg/simg2img," >&2
	echo "  e2fsprogs and f2fs-tools (format)" >&2
	exit 1
fi

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*"install ok installed"*) ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "romflash: installing missing packages:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
		echo "romflash: need root (or sudo) to install:$missing" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
