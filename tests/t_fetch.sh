#!/bin/sh
# `romflash fetch` against real servers started here: Debian's nginx on
# 127.0.0.1 (ranges, a throttled location, a redirect, HTTPS with a test CA
# and with a wrong certificate) and tests/http_faults.py (a connection cut
# mid-file, a server that stalls).  Every download is compared byte for
# byte with the served file.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_fetch
. "$ROOT/tests/fetch_lib.sh"
need_tool nginx openssl curl md5sum
web_start 4m
faults_start
fetch_env

# payload SIZE_BYTES SEED [NAME]: a random file in $WWW; without NAME it is
# named like a recovery package, with its real MD5 prefix.  Prints the name.
payload() {
	python3 - "$WWW" "$1" "$2" "${3:-}" <<'EOF'
import hashlib, os, random, sys
d, size, seed, name = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
data = random.Random(seed).randbytes(size)
if not name:
    name = "miui_MI3WMI4WGlobal_7.%d.1_%s_6.0.zip" % (seed, hashlib.md5(data).hexdigest()[:10])
with open(os.path.join(d, name), "wb") as f:
    f.write(data)
print(name)
EOF
}

# same_file GOT WANT LABEL
same_file() {
	if [ ! -f "$1" ]; then
		fail "$3: $1 missing"
	elif ! cmp -s "$1" "$2"; then
		fail "$3: $1 differs from $2"
	fi
}

# leftovers DIR NAME LABEL: only the file and its record remain
leftovers() {
	for _s in .part .part.meta .lock; do
		[ -e "$1/$2$_s" ] && fail "$3: $1/$2$_s left behind"
	done
	[ -f "$1/$2.verified" ] || fail "$3: no $2.verified record"
}

# wait_size FILE BYTES: until FILE holds at least BYTES (10 s at most)
wait_size() {
	_i=0
	while [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -lt "$2" ] && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	[ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -ge "$2" ]
}

A=$(payload 3000000 1)
B=$(payload 6000000 2)
C=$(payload 3000000 3)
D=$(payload 8388608 4)

# --- full download, then found complete -------------------------------------
rf fetch "$HTTP/$A" -o "$T/o1" >"$T/o1.out" 2>"$T/o1.err" || fail "full: exit $?: $(cat "$T/o1.err")"
same_file "$T/o1/$A" "$WWW/$A" full
leftovers "$T/o1" "$A" full
grep -q "verified (prefix in the name)" "$T/o1.out" || fail "full: not verified: $(cat "$T/o1.out")"
grep -q "warning: plain http://" "$T/o1.err" || fail "full: no warning about plain http"
n1=$(grep -c "GET /$A " "$T/nginx/logs/access.log")
rf --json fetch "$HTTP/$A" -o "$T/o1" >"$T/o1b.out" 2>"$T/o1b.err" || fail "again: exit $?"
n2=$(grep -c "GET /$A " "$T/nginx/logs/access.log")
[ "$n1" = "$n2" ] || fail "a complete, verified file was downloaded again"
python3 - "$T/o1b.out" "$(md5_of "$WWW/$A")" <<'EOF' || fail "again: JSON: $(cat "$T/o1b.out")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
f = [e for e in ev if e["event"] == "fetched"]
assert len(f) == 1 and f[0]["cached"] is True and f[0]["md5"] == sys.argv[2], ev
assert f[0]["md5_checked"] == "prefix", f
EOF
# the cache is the default destination
rf fetch "$HTTP/$A" >/dev/null 2>"$T/o1c.err" || fail "cache: exit $?: $(cat "$T/o1c.err")"
same_file "$XDG_CACHE_HOME/romflash/$A" "$WWW/$A" cache

# --- HTTPS: the test CA accepted, the system store and a wrong cert refused --
rf fetch "$HTTPS/$A" -o "$T/o2" --cacert "$CA" >/dev/null 2>"$T/o2.err" ||
	fail "https: exit $?: $(cat "$T/o2.err")"
same_file "$T/o2/$A" "$WWW/$A" https
grep -q "plain http" "$T/o2.err" && fail "https: warned about plain http"
rf fetch "$HTTPS/$A" -o "$T/o2b" >/dev/null 2>"$T/o2b.err"
rc=$?
[ $rc = 5 ] || fail "https without the CA: exit $rc, want 5"
grep -qi "certificate" "$T/o2b.err" || fail "https without the CA: $(cat "$T/o2b.err")"
rf fetch "$BADTLS/$A" -o "$T/o2c" --cacert "$CA" >/dev/null 2>"$T/o2c.err"
rc=$?
[ $rc = 5 ] || fail "wrong certificate: exit $rc, want 5"
grep -qi "certificate" "$T/o2c.err" || fail "wrong certificate: $(cat "$T/o2c.err")"
[ -e "$T/o2c/$A" ] && fail "wrong certificate: a file was written"

# --- 404 ---------------------------------------------------------------------
rf fetch "$HTTP/none_$A" -o "$T/o3" >/dev/null 2>"$T/o3.err"
rc=$?
[ $rc = 5 ] || fail "404: exit $rc, want 5"
grep -q "$HTTP/none_$A" "$T/o3.err" || fail "404: the URL is not named: $(cat "$T/o3.err")"
grep -q "HTTP 404" "$T/o3.err" || fail "404: no status: $(cat "$T/o3.err")"
grep -q "nothing kept" "$T/o3.err" || fail "404: does not say what is kept: $(cat "$T/o3.err")"

# --- a redirect ----------------------------------------------------------------
rf fetch "$HTTP/moved/$A" -o "$T/o4" >/dev/null 2>"$T/o4.err" || fail "redirect: exit $?: $(cat "$T/o4.err")"
same_file "$T/o4/$A" "$WWW/$A" redirect

# --- the server cuts the connection mid-file: resumed where it stopped -------
rf fetch "$FAULTS/cut/3000000/$B" -o "$T/o5" >/dev/null 2>"$T/o5.err" ||
	fail "cut: exit $?: $(cat "$T/o5.err")"
same_file "$T/o5/$B" "$WWW/$B" cut
grep -q "retrying" "$T/o5.err" || fail "cut: no retry said: $(cat "$T/o5.err")"
grep -q "^/cut/3000000/$B bytes=3000000- \"" "$T/requests.log" ||
	fail "cut: no resume from byte 3000000 with If-Range: $(cat "$T/requests.log")"

# --- a stalled server: a timeout, not a hang; what is kept is said ------------
t0=$(date +%s)
ROMFLASH_RETRIES=0 rf fetch "$FAULTS/stall/1048576/$C" -o "$T/o6" >/dev/null 2>"$T/o6.err"
rc=$?
t1=$(date +%s)
[ $rc = 5 ] || fail "stall: exit $rc, want 5: $(cat "$T/o6.err")"
[ $((t1 - t0)) -le 15 ] || fail "stall: took $((t1 - t0)) s with a 2 s stall timeout"
grep -q "no data for 2 s" "$T/o6.err" || fail "stall: reason not said: $(cat "$T/o6.err")"
grep -q "1.0 MiB kept in $T/o6/$C.part" "$T/o6.err" || fail "stall: kept part not said: $(cat "$T/o6.err")"
[ "$(stat -c %s "$T/o6/$C.part" 2>/dev/null)" = 1048576 ] || fail "stall: .part is not 1 MiB"
rf fetch "$FAULTS/stall/1048576/$C" -o "$T/o6" >"$T/o6b.out" 2>"$T/o6b.err" ||
	fail "stall, again: exit $?: $(cat "$T/o6b.err")"
same_file "$T/o6/$C" "$WWW/$C" "stall, resumed"
grep -q "Resuming the download at 1.0 MiB" "$T/o6b.out" || fail "stall: not resumed: $(cat "$T/o6b.out")"

# --- the client is killed (SIGKILL), or stopped (Ctrl-C), then resumes -----------
"$ROMFLASH" fetch "$HTTP/slow/$D" -o "$T/o7" >"$T/o7.out" 2>&1 &
pid=$!
wait_size "$T/o7/$D.part" 1000000 || fail "kill: the download did not start"
kill -KILL $pid
wait $pid 2>/dev/null
k=$(stat -c %s "$T/o7/$D.part")
"$ROMFLASH" fetch "$HTTP/slow/$D" -o "$T/o7" >"$T/o7b.out" 2>&1 &
pid=$!
wait_size "$T/o7/$D.part" $((k + 1000000)) || fail "interrupt: the download did not go on"
kill -INT $pid
wait $pid
rc=$?
[ $rc = 130 ] || fail "interrupt: exit $rc, want 130: $(cat "$T/o7b.out")"
grep -q "kept in $T/o7/$D.part: the same command resumes" "$T/o7b.out" ||
	fail "interrupt: kept part not said: $(cat "$T/o7b.out")"
grep -q "Resuming the download at" "$T/o7b.out" || fail "kill: not resumed: $(cat "$T/o7b.out")"
rf fetch "$HTTP/slow/$D" -o "$T/o7" >"$T/o7c.out" 2>&1 || fail "after interrupt: exit $?: $(cat "$T/o7c.out")"
same_file "$T/o7/$D" "$WWW/$D" "killed, interrupted, resumed"
leftovers "$T/o7" "$D" "killed, resumed"
[ "$(grep -c "GET /slow/$D .* 206 " "$T/nginx/logs/access.log")" = 2 ] ||
	fail "kill: not two range requests: $(grep "$D" "$T/nginx/logs/access.log")"

# --- the server's file changed between attempts: started again ---------------
payload 8388608 5 rom-e.bin >/dev/null
touch -d "2020-01-01 00:00:00" "$WWW/rom-e.bin"
"$ROMFLASH" fetch "$HTTP/slow/rom-e.bin" --md5 "$(md5_of "$WWW/rom-e.bin")" -o "$T/o8" >/dev/null 2>&1 &
pid=$!
wait_size "$T/o8/rom-e.bin.part" 1000000 || fail "changed: the download did not start"
kill -KILL $pid
wait $pid 2>/dev/null
payload 8388608 6 rom-e.bin >/dev/null # same size, another ETag and date
rf fetch "$HTTP/rom-e.bin" --md5 "$(md5_of "$WWW/rom-e.bin")" -o "$T/o8" >/dev/null 2>"$T/o8.err" ||
	fail "changed: exit $?: $(cat "$T/o8.err")"
same_file "$T/o8/rom-e.bin" "$WWW/rom-e.bin" changed
grep -q "changed since the kept part" "$T/o8.err" || fail "changed: not said: $(cat "$T/o8.err")"

# --- wrong MD5: removed, said, exit 5 ----------------------------------------
cp "$WWW/$A" "$WWW/miui_MI3WMI4WGlobal_7.9.9_0123456789_6.0.zip"
rf fetch "$HTTP/miui_MI3WMI4WGlobal_7.9.9_0123456789_6.0.zip" -o "$T/o9" >/dev/null 2>"$T/o9.err"
rc=$?
[ $rc = 5 ] || fail "wrong MD5: exit $rc, want 5"
grep -q "expected 0123456789" "$T/o9.err" || fail "wrong MD5: $(cat "$T/o9.err")"
grep -q "removed" "$T/o9.err" || fail "wrong MD5: removal not said"
ls "$T/o9" | grep -q . && fail "wrong MD5: left $(ls "$T/o9")"

# --- a catalog version, through a test catalog, to a local URL ---------------
cat >"$T/catalog.txt" <<EOF
name: $A
url: $HTTP/$A
codename: cancro
version: 7.77.7
type: recovery
region: global
md5: $(md5_of "$WWW/$A")

name: $B
url: $HTTP/$B
codename: cancro
version: 7.88.8
type: recovery
region: global
md5: 00000000000000000000000000000000
EOF
sed -i "s/^md5: 0000000000/md5: $(echo "$B" | cut -d_ -f4)/" "$T/catalog.txt"
export ROMFLASH_CATALOG="$T/catalog.txt"
rf fetch 7.77.7 -o "$T/o10" >"$T/o10.out" 2>"$T/o10.err" || fail "catalog: exit $?: $(cat "$T/o10.err")"
same_file "$T/o10/$A" "$WWW/$A" catalog
grep -q "verified (full MD5)" "$T/o10.out" || fail "catalog: full MD5 not used: $(cat "$T/o10.out")"
rf fetch 7.88.8 -o "$T/o10" >/dev/null 2>"$T/o10b.err"
rc=$?
[ $rc = 5 ] || fail "catalog, wrong full MD5: exit $rc, want 5: $(cat "$T/o10b.err")"
rf fetch 7.99.9 -o "$T/o10" >/dev/null 2>"$T/o10c.err"
rc=$?
[ $rc = 2 ] || fail "unknown version: exit $rc, want 2"
grep -q "not in the catalog" "$T/o10c.err" || fail "unknown version: $(cat "$T/o10c.err")"
unset ROMFLASH_CATALOG

# --- two processes, one file: one download, both get it ------------------------
"$ROMFLASH" fetch "$HTTP/slow/$B" -o "$T/o11" >"$T/o11a.out" 2>&1 &
p1=$!
wait_size "$T/o11/$B.part" 100000 || fail "lock: the first download did not start"
rf fetch "$HTTP/slow/$B" -o "$T/o11" >"$T/o11b.out" 2>&1 || fail "lock: second: exit $?: $(cat "$T/o11b.out")"
wait $p1 || fail "lock: first: exit $?: $(cat "$T/o11a.out")"
same_file "$T/o11/$B" "$WWW/$B" lock
grep -q "Another romflash is working on this file" "$T/o11b.out" || fail "lock: no wait said: $(cat "$T/o11b.out")"
grep -q "Already here" "$T/o11b.out" || fail "lock: the second did not find the file: $(cat "$T/o11b.out")"
[ "$(grep -c "GET /slow/$B " "$T/nginx/logs/access.log")" = 1 ] || fail "lock: downloaded twice"

# --- usage ---------------------------------------------------------------------
rf fetch ftp://example.invalid/x.zip >/dev/null 2>&1
[ $? = 2 ] || fail "ftp URL: want exit 2"
rf fetch "$HTTP/" -o "$T/o12" >/dev/null 2>&1
[ $? = 2 ] || fail "URL without a file name: want exit 2"

lib_finish
