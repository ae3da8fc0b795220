#!/bin/sh
# The emulator's own options --fail and --slow, and the faults they are
# spellings of (docs/emulator.md): --fail CMD is fail@CMD (several commands:
# a comma list, or the option repeated), --slow CMD=MS is slow=MS@CMD#*
# (every such command).  A raw fastboot-over-TCP client sends each command
# and records its exact reply and how long it took, so a spelling that
# strikes once too often, once too few, or not at all fails here.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_emu_fail_slow

# fb PORT CMD...: one line per command, "CMD|REPLY|MS" (REPLY: the final
# OKAY/FAIL message, INFO lines left out; MS: from the command sent to
# that reply)
fb() {
	python3 - "$@" <<'EOF'
import socket, struct, sys, time
port, cmds = int(sys.argv[1]), sys.argv[2:]
s = socket.create_connection(("127.0.0.1", port), timeout=60)
def read(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise SystemExit("connection closed")
        b += c
    return b
s.sendall(b"FB01")
if read(4) != b"FB01":
    raise SystemExit("bad handshake")
for c in cmds:
    t0 = time.monotonic()
    s.sendall(struct.pack(">Q", len(c)) + c.encode())
    while True:
        m = read(struct.unpack(">Q", read(8))[0])
        if not m.startswith(b"INFO"):
            break
    print("%s|%s|%d" % (c, m.decode("latin-1"), (time.monotonic() - t0) * 1000))
EOF
}

# expect FILE CMD REPLY: the next line for CMD in FILE answered REPLY (the
# lines are taken in order: each call consumes one)
expect() {
	_line=$(grep -n "^$2|" "$1" | head -1)
	[ -n "$_line" ] || { fail "$1: no reply to '$2'"; return; }
	sed -i "${_line%%:*}s/^/#/" "$1"
	_got=$(echo "$_line" | cut -d'|' -f2)
	[ "$_got" = "$3" ] || fail "$1: '$2' answered '$_got', want '$3'"
	MS=$(echo "$_line" | cut -d'|' -f3)
}

# slow CMD: the last reply took the 2 s of the fault (a loaded machine only
# makes it later); quick CMD: it did not wait for one (a reply without the
# fault takes milliseconds; 1.5 s leaves room for a loaded machine)
slow() { [ "$MS" -ge 2000 ] || fail "$1: answered after $MS ms, want >= 2000"; }
quick() { [ "$MS" -lt 1500 ] || fail "$1: answered after $MS ms, want no delay"; }

F=FAILemulated\ failure

# 1. --fail: a comma list and the option repeated; each command fails once
emu_start A "$T/a" --fail getvar:product,getvar:serialno --fail "oem device"
fb "$A_PORT" getvar:product getvar:product getvar:serialno getvar:serialno \
	"oem device-info" "oem device-info" getvar:version >"$T/a.out" ||
	fail "--fail: client failed"
expect "$T/a.out" getvar:product "$F"
expect "$T/a.out" getvar:product OKAYMSM8974
expect "$T/a.out" getvar:serialno "$F"
expect "$T/a.out" getvar:serialno OKAYEMU0001
expect "$T/a.out" "oem device-info" "$F"
expect "$T/a.out" "oem device-info" OKAY
expect "$T/a.out" getvar:version OKAY0.5
# the one-command form, as every older test writes it
emu_start B "$T/b" --fail flash:boot
fb "$B_PORT" flash:boot flash:boot >"$T/b.out" || fail "--fail one: client failed"
expect "$T/b.out" flash:boot "$F"
expect "$T/b.out" flash:boot "FAILno data downloaded"
# and the same as the fault it stands for
emu_start C "$T/c" --fault fail@flash:boot
fb "$C_PORT" flash:boot flash:boot >"$T/c.out" || fail "fail@: client failed"
expect "$T/c.out" flash:boot "$F"
expect "$T/c.out" flash:boot "FAILno data downloaded"
# a --fail strikes before a --fault due at the same command, which then
# strikes at the next one
emu_start D "$T/d" --fault garbage@getvar:product --fail getvar:product
fb "$D_PORT" getvar:product getvar:product getvar:product >"$T/d.out" ||
	fail "--fail + --fault: client failed"
expect "$T/d.out" getvar:product "$F"
grep -q "^getvar:product|.*GARBAGE" "$T/d.out" ||
	fail "--fail + --fault: the garbage fault did not strike second: $(cat "$T/d.out")"
sed -i '0,/GARBAGE/s/^getvar:product|.*GARBAGE.*/#&/' "$T/d.out"
expect "$T/d.out" getvar:product OKAYMSM8974
for bad in "" "," "getvar:product,"; do
	"$ROMFLASH_EMU" --state "$T/bad" --fail "$bad" >/dev/null 2>&1
	[ $? = 2 ] || fail "--fail '$bad' taken"
done

# 2. --slow CMD=MS: every such command answers late, others at once
emu_start S "$T/s" --slow getvar:product=2000
fb "$S_PORT" getvar:product getvar:serialno getvar:product >"$T/s.out" ||
	fail "--slow: client failed"
expect "$T/s.out" getvar:product OKAYMSM8974; slow "--slow first"
expect "$T/s.out" getvar:serialno OKAYEMU0001; quick "--slow other command"
expect "$T/s.out" getvar:product OKAYMSM8974; slow "--slow second"
# slow=MS@CMD strikes once, slow=MS@CMD#* at every match, as --slow
emu_start O "$T/o" --fault slow=2000@getvar:product
fb "$O_PORT" getvar:product getvar:product >"$T/o.out" || fail "slow=: client failed"
expect "$T/o.out" getvar:product OKAYMSM8974; slow "slow= first"
expect "$T/o.out" getvar:product OKAYMSM8974; quick "slow= second"
emu_start V "$T/v" --fault 'slow=2000@getvar:product#*'
fb "$V_PORT" getvar:product getvar:product >"$T/v.out" || fail "slow=#*: client failed"
expect "$T/v.out" getvar:product OKAYMSM8974; slow "slow=#* first"
expect "$T/v.out" getvar:product OKAYMSM8974; slow "slow=#* second"
# a one-shot fault takes its command from --slow; --slow goes on after
emu_start W "$T/w" --slow getvar:product=2000 --fault fail@getvar:product
fb "$W_PORT" getvar:product getvar:product >"$T/w.out" || fail "--slow + fail: client failed"
expect "$T/w.out" getvar:product "$F"; quick "--slow + fail: the fail"
expect "$T/w.out" getvar:product OKAYMSM8974; slow "--slow + fail: after"
for st in a s; do
	grep -c "^getvar:product$" "$T/$st/commands.log" | grep -qx 2 ||
		fail "$st: commands.log: $(cat "$T/$st/commands.log")"
done

lib_finish
