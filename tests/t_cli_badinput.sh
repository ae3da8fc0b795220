#!/bin/sh
# Bad input to romflash's single operations: a misbehaving phone
# (tests/fakephone.py), a dropped link, broken or missing images, unknown
# partitions, no phone, usage errors.  Each must end with a clear one-line
# error on stderr naming what was wrong and the exit status of the SPEC;
# never a hang (timeout 60 -> 124 is a failure) and never a crash (exit
# status >= 128).  Nothing may be written to the phone when the image is bad.
# Two phones without -s is USB-only: covered by the check_usb suites.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_cli_bad
need_tool img2simg
RF=$ROMFLASH
FAKE=$ROOT/tests/fakephone.py

die() { fail "$*"; lib_finish; }

# emu NAME ARGS...: a fresh emulator; sets PORT and S (its state dir)
emu() {
	S=$T/$1
	shift
	emu_start E "$S" "$@"
	PORT=$E_PORT
}

# fake NAME MODE [AT]: a fakephone misbehaving in MODE at command prefix AT
fake() {
	bg_start fakephone "$T/$1.log" python3 "$FAKE" --mode "$2" --at "${3:-}" \
		--port-file "$T/$1.port"
	wait_file "$T/$1.port" "$BG_PID" || die "fakephone $2 did not start: $(cat "$T/$1.log")"
	PORT=$(cat "$T/$1.port")
}

# expect STATUS PATTERN WHAT -- ARGS...: run romflash ARGS; it must exit
# STATUS with one stderr line matching the extended regex PATTERN.
expect() {
	want=$1 pat=$2 what=$3
	shift 4
	timeout 60 "$RF" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	lines=$(wc -l <"$T/err")
	bad=""
	if [ $rc -eq 124 ]; then bad="hung (killed after 60 s)"
	elif [ $rc -ge 128 ]; then bad="crashed (exit $rc)"
	elif [ $rc -ne "$want" ]; then bad="exit $rc, want $want"
	elif [ "$want" -ne 2 ] && [ "$lines" -ne 1 ]; then bad="$lines lines on stderr, want 1"
	elif ! head -n 1 "$T/err" | grep -Eqi -- "$pat"; then bad="message does not match /$pat/"
	fi
	if [ -n "$bad" ]; then
		fail "$what: $bad"
		echo "    romflash $*"
		sed 's/^/    stderr: /' "$T/err" | head -n 5
	else
		echo "ok: $what (exit $rc): $(head -n 1 "$T/err")"
	fi
}

# nothing_written: the emulator got no download and no flash
nothing_written() {
	if grep -Eq '^(download|flash|erase)' "$S/commands.log" 2>/dev/null; then
		fail "$1: the phone was written to: $(tr '\n' ' ' <"$S/commands.log")"
	fi
}

head -c 300000 /dev/urandom >"$T/small.img"
head -c $((3 << 20)) /dev/urandom >"$T/big.img"

# ---- a misbehaving phone: exit 1 ----
fake garbage garbage
expect 1 'garbage' "garbage reply" -- -s "tcp:127.0.0.1:$PORT" getvar product
fake long long
expect 1 '300 bytes, over the protocol.s 256' "300-byte reply" -- -s "tcp:127.0.0.1:$PORT" getvar product
fake wrongdata wrongdata download
expect 1 'asked for|DATA' "DATA of the wrong size" -- -s "tcp:127.0.0.1:$PORT" flash-image boot "$T/small.img"
fake closedl closedl download
expect 1 'disconnect|closed|reset' "phone closes mid-download" -- -s "tcp:127.0.0.1:$PORT" flash-image boot "$T/big.img"
fake huge hugeframe
expect 1 'bytes' "frame of 2^40 bytes announced" -- -s "tcp:127.0.0.1:$PORT" getvar product
fake shake badshake
expect 1 'handshake|FB01' "bad TCP handshake" -- -s "tcp:127.0.0.1:$PORT" getvar product
fake close close
expect 1 'disconnect|closed|reset' "phone closes without answering" -- -s "tcp:127.0.0.1:$PORT" getvar product
if [ "${RF_SLOW_TESTS:-0}" = 1 ]; then
	# romflash waits 30 s (RF_FB_DEFAULT_TIMEOUT_MS) for a reply
	fake silent silent
	expect 1 'no reply|tim' "phone never answers" -- -s "tcp:127.0.0.1:$PORT" getvar product
fi

# ---- the emulated phone ----
emu cut --cut-after 1000000 --no-return
expect 1 'disconnect|closed|reset|lost' "link cut mid-download" -- -s "tcp:127.0.0.1:$PORT" flash-image boot "$T/big.img"

emu e1
expect 1 'partition does not exist' "unknown partition" -- -s "tcp:127.0.0.1:$PORT" flash-image nosuchpart "$T/small.img"
head -c 2101248 /dev/urandom >"$T/sbl1.img"
expect 1 'too large' "image larger than its partition" -- -s "tcp:127.0.0.1:$PORT" flash-image sbl1 "$T/sbl1.img"
[ -e "$S/sbl1.img" ] && fail "oversize image wrote sbl1"
expect 1 'partition does not exist|nosuchpart' "erase unknown partition" -- -s "tcp:127.0.0.1:$PORT" erase nosuchpart
expect 1 'not ?found|no-such-var' "unknown variable" -- -s "tcp:127.0.0.1:$PORT" getvar no-such-var

# ---- Ctrl-C during a split flash: the piece in flight completes, no
# further download starts, exit 130 ----
emu slow --throttle 4 --max-download 0x400000
head -c $((12 << 20)) /dev/urandom >"$T/r12.img"
# (not under timeout(1): it would pass the signal on twice, and a second
# Ctrl-C means "quit now")
"$RF" -s "tcp:127.0.0.1:$PORT" flash-image recovery "$T/r12.img" >"$T/out" 2>"$T/err" &
RP=$!
(i=0; while [ $i -lt 300 ] && kill -0 $RP 2>/dev/null; do sleep 0.2; i=$((i + 1)); done
 kill -KILL $RP 2>/dev/null) &
sleep 0.5
kill -INT $RP
wait $RP
rc=$?
n=$(grep -c '^download:' "$S/commands.log")
if [ $rc -ne 130 ] || [ "$n" -ge 3 ] || ! grep -q 'interrupted' "$T/err"; then
	fail "Ctrl-C: exit $rc after $n downloads (want 130, at most 2 of 4), stderr: $(cat "$T/err")"
else
	echo "ok: Ctrl-C (exit 130 after $n of 4 downloads): $(grep interrupted "$T/err")"
fi

# ---- bad images: exit 3, nothing sent ----
emu e2
truncate -s 600000 "$T/hole.raw"
head -c 100000 /dev/urandom | dd of="$T/hole.raw" conv=notrunc status=none
img2simg "$T/hole.raw" "$T/good.simg" || die img2simg
# bad header: major version 2
cp "$T/good.simg" "$T/badver.simg"
printf '\002' | dd of="$T/badver.simg" bs=1 seek=4 conv=notrunc status=none
expect 3 'badver.simg' "sparse image with a bad version" -- -s "tcp:127.0.0.1:$PORT" flash-image cache "$T/badver.simg"
# bad header: file header size 10
cp "$T/good.simg" "$T/badhdr.simg"
printf '\012' | dd of="$T/badhdr.simg" bs=1 seek=8 conv=notrunc status=none
expect 3 'badhdr.simg' "sparse image with a bad header size" -- -s "tcp:127.0.0.1:$PORT" flash-image cache "$T/badhdr.simg"
# total_blks one less than the chunks cover: the last chunk runs past the end
python3 - "$T/good.simg" "$T/pastend.simg" <<'EOF'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
blks, = struct.unpack_from('<I', d, 16)
struct.pack_into('<I', d, 16, blks - 1)
open(sys.argv[2], 'wb').write(d)
EOF
expect 3 'pastend.simg' "sparse chunk past the image's end" -- -s "tcp:127.0.0.1:$PORT" flash-image cache "$T/pastend.simg"
head -c 50000 "$T/good.simg" >"$T/trunc.simg"
expect 3 'trunc.simg' "truncated sparse image" -- -s "tcp:127.0.0.1:$PORT" flash-image cache "$T/trunc.simg"
expect 3 'missing.img' "missing image" -- -s "tcp:127.0.0.1:$PORT" flash-image boot "$T/missing.img"
mkdir "$T/adir.img"
expect 3 'adir.img' "a directory as image" -- -s "tcp:127.0.0.1:$PORT" flash-image boot "$T/adir.img"
: >"$T/empty.img"
expect 3 'empty.img' "empty image" -- -s "tcp:127.0.0.1:$PORT" flash-image boot "$T/empty.img"
nothing_written "bad images"

# a phone announcing a garbage max-download-size
emu e3 --max-download-text 'lots'
expect 1 'max-download-size|lots' "garbage max-download-size" -- -s "tcp:127.0.0.1:$PORT" flash-image boot "$T/small.img"
nothing_written "garbage max-download-size"

# ---- no phone: exit 4 ----
CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# (--wait: a port that refuses is waited for, 30 s by default)
expect 4 "refused|no phone|$CLOSED" "closed port" -- --wait 0 -s "tcp:127.0.0.1:$CLOSED" getvar product
expect 4 "refused|no phone|$CLOSED" "closed port, waited for" -- --wait 1 -s "tcp:127.0.0.1:$CLOSED" flash-image boot "$T/small.img"

# ---- usage: exit 2 ----
expect 2 'usage' "no command" --
expect 2 'unknown command|frobnicate' "unknown command" -- frobnicate
expect 2 'usage|option' "unknown option" -- --bogus getvar product
expect 2 '-v|-q' "-v with -q" -- -v -q getvar product
expect 2 'getvar: missing argument' "getvar without a name" -- -s "tcp:127.0.0.1:$CLOSED" getvar
expect 2 'flash-image: missing argument' "flash-image with one argument" -- -s "tcp:127.0.0.1:$CLOSED" flash-image boot
expect 2 'erase: too many arguments' "erase with two arguments" -- -s "tcp:127.0.0.1:$CLOSED" erase boot system
expect 2 'sideways|reboot' "reboot to nowhere" -- -s "tcp:127.0.0.1:$CLOSED" reboot sideways
expect 2 'port|99999' "bad TCP port" -- -s "tcp:127.0.0.1:99999" getvar product
expect 2 'partition' "empty partition name" -- -s "tcp:127.0.0.1:$CLOSED" flash-image "" "$T/small.img"

lib_finish
