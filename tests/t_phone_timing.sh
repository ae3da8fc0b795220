#!/bin/sh
# Real phones' timing, over TCP against the emulated phone: a write at an
# eMMC's pace (no reply cap, the writing phase shown), `reboot bootloader`
# returning once the phone has left and the next command waiting for it,
# --wait on an address that refuses (0, N seconds, the JSON event), and
# ANDROID_SERIAL.  The same over USB: tests/check_usb_e2e_life.c.
. "$(dirname "$0")/lib.sh"
lib_init t_phone_timing

# elapsed START: seconds since START (date +%s.%N), two decimals
elapsed() { awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $1 }"; }
# at_least X Y: X >= Y (decimals)
at_least() { awk "BEGIN { exit !($1 >= $2) }"; }

head -c 6291456 /dev/urandom >"$T/system.raw"

# ---- a phone writing 6 MiB at 2 MB/s: about 3 s of silence after the data
emu_start P "$T/p" --write-rate 2
rf -s "$P_DEV" flash-image system "$T/system.raw" >"$T/out" 2>"$T/err" ||
	fail "slow write: exit $?: $(cat "$T/err")"
grep -q "OK  sent 6.0 MiB in .*, written in 3\." "$T/out" ||
	fail "no writing phase in the output: $(cat "$T/out")"
cmp -n 6291456 "$T/system.raw" "$T/p/system.img" || fail "system differs after the slow write"
rf --json -s "$P_DEV" flash-image boot "$T/system.raw" >"$T/out" 2>"$T/err" ||
	fail "slow write, --json: $(cat "$T/err")"
# the step's own progress, phase writing, once a second; its time in step_done
grep -q '"phase":"writing",.*"write_seconds":2\.' "$T/out" &&
	grep -q '"event":"step_done",.*"write_seconds":3\.' "$T/out" ||
	fail "no writing progress: $(cat "$T/out")"
emu_stop P

# ---- reboot bootloader: returns once the phone left; getvar waits for it
emu_start R "$T/r" --leave-delay 300 --reboot-delay 1500
start=$(date +%s.%N)
rf -s "$R_DEV" reboot bootloader >"$T/out" 2>"$T/err" || fail "reboot bootloader: $(cat "$T/err")"
at_least "$(elapsed "$start")" 0.3 || fail "reboot bootloader returned before the phone left"
grep -qx rebooting "$T/r/state" || fail "the phone is $(cat "$T/r/state") after reboot bootloader"
start=$(date +%s.%N)
rf -s "$R_DEV" getvar product >"$T/out" 2>"$T/err" || fail "getvar after the reboot: $(cat "$T/err")"
grep -qx "product: MSM8974" "$T/out" || fail "getvar after the reboot: $(cat "$T/out")"
at_least "$(elapsed "$start")" 1.0 || fail "getvar did not wait for the phone"
emu_stop R

# ---- an address that refuses: --wait 0 at once, --wait N for N seconds
CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start=$(date +%s.%N)
rf --wait 0 -s "tcp:127.0.0.1:$CLOSED" getvar product >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 4 ] || fail "--wait 0: exit $rc, want 4"
at_least 1.5 "$(elapsed "$start")" || fail "--wait 0 waited"
start=$(date +%s.%N)
rf --json --wait 2 -s "tcp:127.0.0.1:$CLOSED" getvar product >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 4 ] || fail "--wait 2: exit $rc, want 4"
at_least "$(elapsed "$start")" 2 || fail "--wait 2 did not wait"
grep -q "{\"event\":\"waiting\",\"for\":\"tcp:127.0.0.1:$CLOSED\"}" "$T/out" ||
	fail "no waiting event: $(cat "$T/out")"
grep -q "waited 2 s" "$T/err" || fail "message: $(cat "$T/err")"
rf --wait x getvar product >"$T/out" 2>"$T/err"
[ $? -eq 2 ] || fail "--wait x is not a usage error"

# ---- ANDROID_SERIAL when -s is not given
emu_start A "$T/a" --serial SERIALA
ANDROID_SERIAL=$A_DEV rf getvar serialno >"$T/out" 2>"$T/err" ||
	fail "ANDROID_SERIAL: $(cat "$T/err")"
grep -qx "serialno: SERIALA" "$T/out" || fail "ANDROID_SERIAL: $(cat "$T/out")"
emu_stop A

lib_finish
