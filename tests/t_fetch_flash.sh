#!/bin/sh
# `romflash flash|plan|info URL|VERSION`: the package is fetched (verified)
# into the cache from Debian's nginx, then used -- flashed into the emulated
# phone, every written byte compared; a second flash finds it cached; a
# failed download is exit 5 with nothing written.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_fetch_flash
. "$ROOT/tests/fetch_lib.sh"
need_tool nginx openssl curl md5sum
web_start 8m
fetch_env

"$MKPKG" --variant modern --order shuffled --size-mb 8 --seed 11 --out "$T/pkg" --keep-folder >/dev/null ||
	{ echo "FAIL: mkpkg"; exit 1; }
PKG=$(ls "$T"/pkg/*.tgz)
NAME=$(basename "$PKG")
DIR=$(pkg_folder "$T/pkg")
cp "$PKG" "$WWW/"
CACHED="$XDG_CACHE_HOME/romflash/$NAME"

# --- plan URL: fetched into the cache, then planned ----------------------------
rf --json plan "$HTTP/$NAME" >"$T/plan.url" 2>"$T/plan.url.err" || fail "plan URL: exit $?: $(cat "$T/plan.url.err")"
cmp -s "$CACHED" "$PKG" || fail "plan URL: the cached file differs"
rf --json plan "$PKG" >"$T/plan.local" 2>/dev/null || fail "plan local: exit $?"
python3 - "$T/plan.url" "$T/plan.local" <<'PY' || fail "plan URL and plan FILE differ"
import json, sys
def steps(p):
    return [json.loads(l) for l in open(p) if '"event":"step"' in l]
a, b = steps(sys.argv[1]), steps(sys.argv[2])
assert a and a == b, (a, b)
PY

# --- info URL (cached now: not downloaded again) -------------------------------
n1=$(grep -c "GET /$NAME " "$T/nginx/logs/access.log")
rf info "$HTTP/$NAME" >"$T/info.out" 2>&1 || fail "info URL: exit $?: $(cat "$T/info.out")"
grep -q "Already here" "$T/info.out" || fail "info URL: not from the cache"
grep -q "^MD5 .* verified" "$T/info.out" || fail "info URL: $(cat "$T/info.out")"
[ "$(grep -c "GET /$NAME " "$T/nginx/logs/access.log")" = "$n1" ] || fail "info URL: downloaded again"

# --- flash VERSION (test catalog -> local URL, full MD5) into the phone -------
rm -rf "$XDG_CACHE_HOME"
md5=$(md5_of "$PKG")
ver=$(echo "$NAME" | cut -d_ -f4)
cat >"$T/catalog.txt" <<CAT
name: $NAME
url: $HTTP/$NAME
codename: cancro
version: $ver
type: fastboot
region: global
md5: $md5
CAT
export ROMFLASH_CATALOG="$T/catalog.txt"
st="$T/st.version"
emu_start E "$st" --reboot-delay 100
rf --json -s "$E_DEV" plan "$PKG" >"$st.plan" 2>/dev/null || fail "plan -s: exit $?"
rf -s "$E_DEV" flash "$ver" --no-reboot >"$st.out" 2>"$st.err" </dev/null ||
	fail "flash VERSION: exit $?: $(tail -n 5 "$st.err")"
grep -q "^Done: 1 phone flashed" "$st.out" || fail "flash VERSION: no Done line"
grep -q "MD5 $md5 (full)" "$st.out" || fail "flash VERSION: the catalog's full MD5 not checked: $(grep MD5 "$st.out")"
emu_stop E
check_flash "$st" "$DIR" "$st.plan" --no-reboot
cmp -s "$CACHED" "$PKG" || fail "flash VERSION: the cached file differs"
unset ROMFLASH_CATALOG

# --- flash URL (from the cache) into a fresh phone -------------------------------
st="$T/st.url"
emu_start F "$st" --reboot-delay 100
rf -s "$F_DEV" flash "$HTTP/$NAME" --no-reboot >"$st.out" 2>"$st.err" </dev/null ||
	fail "flash URL: exit $?: $(tail -n 5 "$st.err")"
emu_stop F
grep -q "Already here" "$st.out" || fail "flash URL: not from the cache"
check_flash "$st" "$DIR" "$T/st.version.plan" --no-reboot

# --- a failed download: exit 5, the phone untouched ------------------------------
st="$T/st.404"
emu_start G "$st"
rf -s "$G_DEV" flash "$HTTP/missing_$NAME" --no-reboot >"$st.out" 2>"$st.err" </dev/null
rc=$?
emu_stop G
[ $rc = 5 ] || fail "flash 404: exit $rc, want 5: $(cat "$st.err")"
grep -q "HTTP 404" "$st.err" || fail "flash 404: $(cat "$st.err")"
no_writes "$st"

lib_finish
