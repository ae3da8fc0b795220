#!/bin/sh
# `romflash sideload URL|VERSION`: the recovery zip is fetched (verified)
# into the cache from Debian's nginx, then sideloaded into the emulated
# recovery and compared byte for byte; a catalog version's full MD5 is the
# one checked; a download that fails is exit 5 with nothing sent.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_sideload_fetch
. "$ROOT/tests/fetch_lib.sh"
need_tool nginx openssl python3 md5sum
web_start 8m
export XDG_CACHE_HOME="$T/cache" XDG_CONFIG_HOME="$T/config" HOME="$T/home"
export ROMFLASH_RETRY_DELAY_MS=100 ROMFLASH_STALL_TIMEOUT=2
unset ROMFLASH_CATALOG ROMFLASH_CACERT ANDROID_USER_HOME
mkdir -p "$HOME"

python3 "$ROOT/tests/fixtures/mkzip" --out "$T/z" --key "$T/keys" --size-mb 2 >"$T/z.out" ||
	{ echo "FAIL: mkzip"; exit 1; }
ZIP=$(sed -n 1p "$T/z.out")
MD5=$(sed -n 2p "$T/z.out")
NAME=$(basename "$ZIP")
cp "$ZIP" "$WWW/"

# sl LABEL EXPECT ARGS...: sideload into a fresh phone ($RFG: global options)
RFG=""
sl() {
	label=$1 want=$2
	shift 2
	emu_start P "$T/$label" --adb sideload
	# shellcheck disable=SC2086 # RFG is a word list
	rf $RFG -s "$P_DEV" sideload "$@" >"$T/$label.out" 2>"$T/$label.err" </dev/null
	rc=$?
	emu_stop P
	[ "$rc" -eq "$want" ] || fail "$label: exit $rc, expected $want: $(tail -n 3 "$T/$label.err")"
}

sl url 0 "$HTTP/$NAME"
cmp -s "$ZIP" "$T/url/sideload.zip" || fail "url: the phone's copy differs"
cmp -s "$ZIP" "$XDG_CACHE_HOME/romflash/$NAME" || fail "url: not cached"

cat >"$T/catalog.txt" <<CAT
name: $NAME
url: $HTTP/$NAME
codename: cancro
version: 7.12.8
type: recovery
region: global
md5: $MD5
CAT
export ROMFLASH_CATALOG="$T/catalog.txt"
rm -rf "$XDG_CACHE_HOME"
RFG=--json
sl version 0 7.12.8
RFG=""
cmp -s "$ZIP" "$T/version/sideload.zip" || fail "version: the phone's copy differs"
grep -q '"md5_state":"full"' "$T/version.out" || fail "version: the catalog's MD5 not used: $(grep package "$T/version.out")"

# the catalog's MD5 is wrong (a name without an MD5 of its own): the
# download fails its check, nothing is sent
cp "$ZIP" "$WWW/cancro-recovery.zip"
sed -i -e "s/^md5: .*/md5: 0123456789abcdef0123456789abcdef/" \
	-e "s/^name: .*/name: cancro-recovery.zip/" \
	-e "s|^url: .*|url: $HTTP/cancro-recovery.zip|" "$T/catalog.txt"
rm -rf "$XDG_CACHE_HOME"
sl badmd5 5 7.12.8
grep -q '^OPEN sideload' "$T/badmd5/adb.log" 2>/dev/null && fail "badmd5: a sideload was opened"

lib_finish
