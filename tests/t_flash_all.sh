#!/bin/sh
# `romflash --json -s tcp:..,tcp:.. flash PKG --all`: emulated phones, each
# driven on its own.
#   1. both succeed: each holds exactly the images (executed order == its
#      own plan == script), the two are byte-identical; the phones have
#      different max-download-size and each gets pieces that fit its own.
#   2. one phone FAILs flash:system: the other still completes, exit 1, the
#      JSON has a failure event for that phone and a summary with
#      phones_ok 1; the failed one then resumes alone and ends up identical.
#   3. one phone writes slowly: the other finishes every step before the
#      slow one has written its system image (no lockstep).
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_flash_all
need_tool img2simg simg2img

PKG=$("$MKPKG" --variant modern --order scripts-last --size-mb 10 --seed 5 --out "$T/p" \
	--keep-folder) || { echo "mkpkg failed"; exit 1; }
DIR=$(pkg_folder "$T/p")

# json_check FILE: every stdout line is one JSON object
json_check() {
	python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$1" ||
		fail "$1: not JSON lines"
}

# --- 1. both phones succeed --------------------------------------------------
emu_start A "$T/a" --reboot-delay 100 --vars crc=1 --max-download 0x200000 --serial EMUA
emu_start B "$T/b" --reboot-delay 100 --vars crc=1 --serial EMUB
# the expected commands: each phone's own plan (its own max-download-size)
rf --json -s "$A_DEV" plan "$PKG" >"$T/plan.a" || fail "plan A"
rf --json -s "$B_DEV" plan "$PKG" >"$T/plan.b" || fail "plan B"
rf --json -s "$A_DEV,$B_DEV" flash "$PKG" --all --no-reboot >"$T/all.out" 2>"$T/all.err"
rc=$?
[ $rc = 0 ] || fail "--all: exit $rc: $(cat "$T/all.err")"
json_check "$T/all.out"
grep -q '"event":"summary".*"result":"ok".*"phones":2,"phones_ok":2' "$T/all.out" ||
	fail "--all: summary: $(grep summary "$T/all.out")"
grep -q '"event":"failure"' "$T/all.out" && fail "--all: a failure event"
emu_stop A
emu_stop B
check_flash "$T/a" "$DIR" "$T/plan.a" --no-reboot
check_flash "$T/b" "$DIR" "$T/plan.b" --no-reboot
same_partitions "$T/a" "$T/b"
# each phone at its own max-download-size: A's system image in pieces
[ "$(grep -c '^flash:system$' "$T/a/commands.log")" -gt 1 ] || fail "A: system not split"
[ "$(grep -c '^flash:system$' "$T/b/commands.log")" = 1 ] || fail "B: system split"
ls "$ROMFLASH_STATE_DIR"/*.resume >/dev/null 2>&1 && fail "progress left after success"

# --- 2. one phone fails --------------------------------------------------------
emu_start C "$T/c" --reboot-delay 100 --vars crc=1 --serial EMUC
emu_start D "$T/d" --reboot-delay 100 --vars crc=1 --serial EMUD --fail flash:system
rf --json -s "$C_DEV,$D_DEV" flash "$PKG" --all --no-reboot >"$T/fail.out" 2>"$T/fail.err"
rc=$?
[ $rc = 1 ] || fail "--all with one failing phone: exit $rc, want 1: $(cat "$T/fail.err")"
json_check "$T/fail.out"
python3 - "$T/fail.out" "$D_DEV" "$C_DEV" <<'EOF' || fail "--all JSON: $(grep -v progress "$T/fail.out")"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
bad, good = sys.argv[2], sys.argv[3]
fails = [e for e in ev if e.get("event") == "failure"]
assert len(fails) == 1, fails
f = fails[0]
assert f["device"] == bad, f
assert f["exit"] == 1, f
assert f.get("step") and "--resume" in f.get("resume", ""), f
summ = [e for e in ev if e.get("event") == "summary"]
assert len(summ) == 1 and summ[0]["phones_ok"] == 1 and summ[0]["phones"] == 2, summ
assert summ[0]["result"] == "failed", summ
assert ev[-1]["event"] == "summary", ev[-1]
EOF
grep -q "step [0-9]*/[0-9]* (flash system) failed" "$T/fail.err" ||
	fail "--all: stderr does not name the failed step: $(cat "$T/fail.err")"
grep -q "to resume: romflash -s $D_DEV flash .* --resume" "$T/fail.err" ||
	fail "--all: no resume command for the failed phone"
rf --json -s "$C_DEV" plan "$PKG" >"$T/plan.c" || fail "plan C"
emu_stop C
check_flash "$T/c" "$DIR" "$T/plan.c" --no-reboot
same_partitions "$T/b" "$T/c"
# the failed phone resumes alone and ends up the same
rf -s "$D_DEV" flash "$PKG" --resume --no-reboot >"$T/res.out" 2>"$T/res.err" ||
	fail "resume of the failed phone: $(cat "$T/res.err")"
emu_stop D
same_partitions "$T/c" "$T/d"

# --- 3. each phone at its own pace ----------------------------------------------
# F writes at 2 MB/s (an old eMMC: seconds of silence after each download),
# E at once: E is done with every step before F has written its system
# image.  In lockstep E would wait for F at every step.
emu_start E "$T/e" --reboot-delay 100 --serial EMUE
emu_start F "$T/f" --reboot-delay 100 --serial EMUF --write-rate 2
rf --json -s "$E_DEV" plan "$PKG" >"$T/plan.e" || fail "plan E"
rf --json -s "$E_DEV,$F_DEV" flash "$PKG" --all --no-reboot >"$T/pace.out" 2>"$T/pace.err" ||
	fail "--all at two paces: $(cat "$T/pace.err")"
python3 - "$T/pace.out" "$E_DEV" "$F_DEV" <<'EOF' || fail "--all: the fast phone waited for the slow one"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
fast, slow = sys.argv[2], sys.argv[3]
fast_last = max(i for i, e in enumerate(ev) if e.get("event") in ("step_done", "step_skipped")
                and e.get("device") == fast)
slow_system = [i for i, e in enumerate(ev) if e.get("event") == "step_done"
               and e.get("device") == slow and e.get("partition") == "system"]
assert slow_system, "no step_done of system for the slow phone"
assert fast_last < slow_system[0], (fast_last, slow_system[0])
EOF
emu_stop E
emu_stop F
check_flash "$T/e" "$DIR" "$T/plan.e" --no-reboot
same_partitions "$T/e" "$T/f"

lib_finish
