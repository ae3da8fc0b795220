#!/bin/sh
# `romflash flash URL`: the package is checked while it downloads (its first
# pass reads NAME.part as the download writes it), so the first write
# follows the last downloaded byte at once; the verification record reused
# by a second flash of the cached file; Ctrl-C then a resume, a cut, and a
# server whose file changed mid-download.  Every written byte is compared.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
#   GROW_FIRST_WRITE_MAX  seconds allowed from nginx's last byte to the
#                         phone's first download: (1.0, the issue's goal;
#                         the old order -- the whole package read again
#                         after the download -- took 1.15 s here, this
#                         order 0.16 s; and the JSON says how it was read)
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_fetch_grow
. "$ROOT/tests/fetch_lib.sh"
need_tool nginx openssl curl md5sum
web_start 20m
faults_start
fetch_env 5
MAX=${GROW_FIRST_WRITE_MAX:-1.0}
RF_TIMEOUT=120

# fetched_field FILE KEY: a field of the `fetched` JSON event
fetched_field() {
	python3 - "$1" "$2" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    try:
        e = json.loads(l)
    except ValueError:
        continue
    if e.get("event") == "fetched":
        print(e.get(sys.argv[2], ""))
PY
}

# first_download STATEDIR OUT: in the background, the wall time at which
# the phone's commands.log first shows a download: (the first write)
cat >"$T/first_download.py" <<'PY'
import os, sys, time
log, out = sys.argv[1], sys.argv[2]
end = time.time() + 300
while time.time() < end:
    try:
        with open(log) as f:
            if any(l.startswith("download:") for l in f):
                t = time.time()
                with open(out + ".tmp", "w") as o:
                    o.write("%.6f\n" % t)
                os.rename(out + ".tmp", out)
                sys.exit(0)
    except FileNotFoundError:
        pass
    time.sleep(0.005)
PY
first_download() {
	bg_start first_download.py "$T/watch.log" python3 "$T/first_download.py" "$1/commands.log" "$2"
}

# flash_url LABEL STATEDIR URL PKGDIR PLANJSON: `flash URL` into a fresh
# emulated phone (JSON in STATEDIR.json), every written byte compared
flash_url() {
	emu_start P "$2" --reboot-delay 100
	rf --json -s "$P_DEV" flash "$3" --no-reboot >"$2.json" 2>"$2.err" </dev/null ||
		fail "$1: exit $?: $(tail -n 5 "$2.err")"
	emu_stop P
	check_flash "$2" "$4" "$5" --no-reboot
}

# --- A. flash URL at 20 MB/s: the first write within $MAX s of the last byte ----
"$MKPKG" --variant modern --order scripts-last --size-mb 160 --compressible --seed 21 \
	--out "$T/pkg" --keep-folder >/dev/null || { echo "FAIL: mkpkg"; exit 1; }
PKG=$(ls "$T"/pkg/*.tgz)
NAME=$(basename "$PKG")
DIR=$(pkg_folder "$T/pkg")
cp "$PKG" "$WWW/"
CACHED="$XDG_CACHE_HOME/romflash/$NAME"
st="$T/st.a"
rf --json plan "$PKG" >"$T/plan.json" 2>/dev/null || fail "plan: exit $?"
rm -rf "$XDG_CACHE_HOME" # plan made a record of the local file: none for the cached one
first_download "$st" "$T/first.a"
flash_url "flash URL" "$st" "$HTTP/slow/$NAME" "$DIR" "$T/plan.json"
cmp -s "$CACHED" "$PKG" || fail "flash URL: the cached file differs"
[ "$(fetched_field "$st.json" package_check)" = while-downloading ] ||
	fail "flash URL: the package was not checked while it downloaded: $(grep fetched "$st.json")"
last=$(awk -v u="/slow/$NAME" '$4 == u && $2 == 200 { t = $1 } END { print t }' "$T/nginx/logs/timed.log")
wait_file "$T/first.a" $$ 5 || fail "flash URL: no first write seen"
if [ -n "$last" ] && [ -s "$T/first.a" ]; then
	gap=$(awk -v a="$last" -v b="$(cat "$T/first.a")" 'BEGIN { printf "%.3f", b - a }')
	echo "last byte -> first write: $gap s (limit $MAX s; package ready $(fetched_field "$st.json" package_ready_after) s after the download)"
	awk -v g="$gap" -v m="$MAX" 'BEGIN { exit !(g <= m) }' ||
		fail "flash URL: the first write came $gap s after nginx's last byte (limit $MAX s)"
else
	fail "flash URL: no time for the last byte ($last) or the first write"
fi

# --- B. the second flash of the cached file: the record, no pass -----------------
st="$T/st.b"
flash_url "flash cached" "$st" "$HTTP/slow/$NAME" "$DIR" "$T/plan.json"
[ "$(fetched_field "$st.json" cached)" = True ] || fail "flash cached: downloaded again"
[ "$(fetched_field "$st.json" package_check)" = record ] ||
	fail "flash cached: the package was read again, not taken from its record: $(grep fetched "$st.json")"

# --- B2. Ctrl-C during `flash URL`: nothing written, the .part kept; the next
#         flash resumes it, its pass reading the kept bytes first ------------------
rm -rf "$XDG_CACHE_HOME"
st="$T/st.int"
emu_start Q "$st"
"$ROMFLASH" -s "$Q_DEV" flash "$HTTP/slow/$NAME" --no-reboot >"$st.out" 2>&1 </dev/null &
pid=$!
i=0
while [ "$(stat -c %s "$CACHED.part" 2>/dev/null || echo 0)" -lt 20000000 ] && [ $i -lt 600 ]; do
	sleep 0.05
	i=$((i + 1))
done
sigint_wait $pid "flash URL, Ctrl-C"
rc=$?
emu_stop Q
[ $rc = 130 ] || fail "flash URL, Ctrl-C: exit $rc, want 130: $(tail -n 3 "$st.out")"
no_writes "$st"
[ -s "$CACHED.part" ] || fail "flash URL, Ctrl-C: the .part was not kept"
flash_url "flash resumed" "$T/st.res" "$HTTP/slow/$NAME" "$DIR" "$T/plan.json"
python3 - "$T/st.res.json" <<'PY' || fail "flash resumed: not resumed: $(head -n 3 "$T/st.res.json")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
start = [e for e in ev if e.get("event") == "download_start"]
assert start and start[0]["offset"] > 0, start
PY
[ "$(fetched_field "$T/st.res.json" package_check)" = while-downloading ] ||
	fail "flash resumed: $(grep fetched "$T/st.res.json")"

# --- C. a cut mid-download: resumed, the pass goes on where it was ---------------
"$MKPKG" --variant modern --order shuffled --size-mb 24 --seed 22 --out "$T/pkg2" --keep-folder \
	>/dev/null || { echo "FAIL: mkpkg 2"; exit 1; }
PKG2=$(ls "$T"/pkg2/*.tgz)
NAME2=$(basename "$PKG2")
DIR2=$(pkg_folder "$T/pkg2")
cp "$PKG2" "$WWW/"
rf --json plan "$PKG2" >"$T/plan2.json" 2>/dev/null || fail "plan 2: exit $?"
rm -rf "$XDG_CACHE_HOME"
st="$T/st.c"
flash_url "flash cut" "$st" "$FAULTS/cut/7000000/$NAME2" "$DIR2" "$T/plan2.json"
grep -q '"event":"download_retry"' "$st.json" || fail "flash cut: no retry: $(cat "$st.err")"
grep -q "/cut/7000000/$NAME2 bytes=7000000-" "$T/requests.log" ||
	fail "flash cut: not resumed at the cut: $(cat "$T/requests.log")"
[ "$(fetched_field "$st.json" package_check)" = while-downloading ] ||
	fail "flash cut: $(grep fetched "$st.json")"
[ "$(fetched_field "$st.json" package_restarts)" = 0 ] || fail "flash cut: the pass started over"

# --- D. the server's file changed mid-download: the download and the pass start
#        over from byte 0 (a stall, then the retry's If-Range fails) -------------
rm -rf "$XDG_CACHE_HOME"
cp "$PKG" "$WWW/$NAME2" # another package under that name first
touch -d '2020-01-01' "$WWW/$NAME2"
st="$T/st.d"
( # once the first request is under way, the right file in its place
	i=0
	while ! grep -q "/stall/9000000/$NAME2" "$T/requests.log" && [ $i -lt 400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	cp "$PKG2" "$WWW/$NAME2.new" && mv "$WWW/$NAME2.new" "$WWW/$NAME2"
) &
swap=$!
export ROMFLASH_RETRY_DELAY_MS=500 ROMFLASH_STALL_TIMEOUT=2
flash_url "flash changed" "$st" "$FAULTS/stall/9000000/$NAME2" "$DIR2" "$T/plan2.json"
wait $swap
grep -q '"event":"download_restart"' "$st.json" || fail "flash changed: no restart: $(cat "$st.err")"
[ "$(fetched_field "$st.json" package_check)" = while-downloading ] ||
	fail "flash changed: $(grep fetched "$st.json")"
[ "$(fetched_field "$st.json" package_restarts)" = 1 ] ||
	fail "flash changed: the pass did not start over once: $(grep fetched "$st.json")"

# --- E. `info URL` of a recovery zip: read from its end, so once complete ----------
"$ROOT/tests/fixtures/mkzip" --size-mb 12 --out "$T/zip" >/dev/null || { echo "FAIL: mkzip"; exit 1; }
Z=$(ls "$T"/zip/*.zip)
cp "$Z" "$WWW/"
rf --json info "$HTTP/slow/$(basename "$Z")" >"$T/zip.json" 2>"$T/zip.err" ||
	fail "info zip URL: exit $?: $(cat "$T/zip.err")"
[ "$(fetched_field "$T/zip.json" package_check)" = after-download ] ||
	fail "info zip URL: $(grep fetched "$T/zip.json")"
cmp -s "$Z" "$XDG_CACHE_HOME/romflash/$(basename "$Z")" || fail "info zip URL: the cached file differs"

lib_finish
