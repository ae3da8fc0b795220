#!/bin/sh
# docs/json-events.md against what romflash emits: flashes (keep-data, a
# clean one, one failing, a reboot the phone refuses, a reboot-bootloader,
# two phones), every single operation (getvar NAME and all, flash-image
# fine and failing, erase, boot, oem device-info, oem lock, flashing
# unlock, set_active, continue, reboot), devices, catalog, all with --json.
# Every line must be one JSON object; its event must be in the document's
# table and every field it carries listed there for it; every event the
# table lists must have been seen, and every field it lists seen at least
# once.  Also: the whole run's ETA unknown (-1) before 5% of the bytes and
# not jumping after a restart's wait; the progress of an image step
# carries its structured fields
# (step, partition, phase, done/total) and both phases; a single
# operation's step events carry the fields of a flash's.
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.
set -u
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
. "$ROOT/tests/lib.sh"
lib_init t_flash_json
need_tool img2simg simg2img

"$MKPKG" --variant modern --order scripts-first --size-mb 8 --seed 21 --out "$T/mod" >/dev/null &
"$MKPKG" --variant repartition --order scripts-first --size-mb 8 --seed 22 --out "$T/rep" >/dev/null &
wait
MOD=$(ls "$T"/mod/*.tgz) || { echo "mkpkg modern failed"; exit 1; }
REP=$(ls "$T"/rep/*.tgz) || { echo "mkpkg repartition failed"; exit 1; }
: >"$T/events"

# j ARGS...: romflash --json, stdout appended to the events
j() { rf --json "$@" >>"$T/events" 2>>"$T/stderr"; }

emu_start A "$T/a" --reboot-delay 100 --max-download 0x100000
j -s "$A_DEV" flash "$MOD" --no-reboot || fail "flash: $(tail -n 3 "$T/stderr")"
j -s "$A_DEV" getvar product || fail getvar
j -s "$A_DEV" devices || fail devices
head -c 300000 /dev/urandom >"$T/small.img"
j -s "$A_DEV" flash-image boot "$T/small.img" || fail flash-image
j -s "$A_DEV" flash-image nosuchpart "$T/small.img" && fail "flash-image nosuchpart worked"
j -s "$A_DEV" erase boot || fail erase
j -s "$A_DEV" getvar all || fail "getvar all"
j -s "$A_DEV" oem device-info || fail "oem device-info"
j -s "$A_DEV" oem lock --yes || fail "oem lock"
j -s "$A_DEV" flashing unlock --yes || fail "flashing unlock"
j -s "$A_DEV" set_active a || fail set_active
j -s "$A_DEV" boot "$T/small.img" || fail boot
j -s "$A_DEV" flash "$MOD" --mode clean --yes --no-reboot || fail "flash --mode clean"
j -s "$A_DEV" continue || fail continue
emu_wait_gone A 5 || fail "continue: the phone did not leave"
# a phone that writes at 2 MB/s (the writing phase's progress, once a
# second) and takes 1.5 s over an oem unlock (a command's phone_writing)
emu_start S "$T/s" --write-rate 2 --slow "oem unlock=1500"
head -c 3000000 /dev/urandom >"$T/three.img"
j -s "$S_DEV" flash-image boot "$T/three.img" || fail "flash-image, a slow phone"
j -s "$S_DEV" oem unlock --yes || fail "oem unlock, a slow phone"
emu_stop S
emu_start B "$T/b" --reboot-delay 100 --fail flash:system
j -s "$B_DEV" flash "$MOD" --no-reboot && fail "a failing flash worked"
# past the refused step: the summary says which was skipped
n=$(grep '"event":"failure"' "$T/events" | tail -n 1 | sed 's/.*"step":\([0-9]*\).*/\1/')
j -s "$B_DEV" flash "$MOD" --no-reboot --resume --skip "$n" || fail "--resume --skip $n"
emu_stop B
# (their bootloaders' INFO lines: each says which phone sent it)
emu_start C "$T/c" --reboot-delay 100 --vars board_version=3.0 --serial EMUC --info-lines 1
emu_start D "$T/d" --reboot-delay 100 --vars board_version=3.0 --serial EMUD --info-lines 1
j -s "$C_DEV,$D_DEV" flash "$REP" --all || fail "--all: $(tail -n 3 "$T/stderr")"
emu_stop C
emu_stop D
# a final reboot the phone refuses: a warning
emu_start W "$T/w" --fail reboot
j -s "$W_DEV" flash "$MOD" || fail "refused reboot: $(tail -n 3 "$T/stderr")"
emu_stop W
# a phone writing slowly (the writing phase), a phone not there yet (the wait)
emu_start S "$T/s" --write-rate 0.2
j -s "$S_DEV" flash-image boot "$T/small.img" || fail "slow flash-image"
emu_stop S
# the whole run's ETA: not known before 5% of the bytes (a small first
# image), and not jumping after a 3 s restart into the bootloader
ETA="$T/eta/cancro_global_images_7.12.8_20171208.0000.00_6.0_global"
mkdir -p "$ETA/images"
head -c 7000 /dev/urandom >"$ETA/images/tz.mbn"
head -c $((8 << 20)) /dev/urandom >"$ETA/images/system.img"
head -c $((8 << 20)) /dev/urandom >"$ETA/images/cache.img"
printf '%s\n' 'fastboot $* getvar product 2>&1 | grep "^product: *MSM8974$"' \
	'if [ $? -ne 0 ] ; then echo "Missmatching image and device"; exit 1; fi' \
	'fastboot $* flash tz `dirname $0`/images/tz.mbn' \
	'fastboot $* flash system `dirname $0`/images/system.img' \
	'fastboot $* reboot-bootloader' 'sleep 3' \
	'fastboot $* flash cache `dirname $0`/images/cache.img' \
	'fastboot $* reboot' >"$ETA/flash_all_except_storage.sh"
emu_start R "$T/r" --reboot-delay 3000 --throttle 10 --write-rate 20
rf --json -s "$R_DEV" flash "$ETA" --no-reboot >"$T/eta.events" 2>>"$T/stderr" ||
	fail "the ETA's flash: $(tail -n 3 "$T/stderr")"
emu_stop R
cat "$T/eta.events" >>"$T/events"
python3 - "$T/eta.events" <<'EOF' || fail "the overall ETA"
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
prog = [e for e in ev if e["event"] == "progress" and "overall" in e]
early = [e for e in prog if e["overall"] < 0.05]
if not early or any(e["overall_eta"] != -1 for e in early):
    sys.exit("FAIL: the ETA before 5%% of the bytes: %s" %
             [(e["overall"], e["overall_eta"]) for e in early])
after = [e for e in prog if e["partition"] == "cache"]
wait = [e for e in ev if e["event"] == "step_done" and e["op"] == "reboot-bootloader"]
if not after or not wait or wait[0]["seconds"] < 2.5:
    sys.exit("FAIL: no ETA after a restart: %s %s" % (after, wait))
# the pace kept: the image steps' time before the restart for their bytes
busy = sum(e["seconds"] for e in ev if e["event"] == "step_done" and e["op"] == "flash"
           and e["step"] < wait[0]["step"])
o = after[0]["overall"]
pace = busy * (1 - o) / o
# the wait (3 s) counted would add about 3 s to it
if not 0 <= after[0]["overall_eta"] <= pace * 1.25 + 0.3:
    sys.exit("FAIL: the ETA after the restart: %.2f s, at the pace kept %.2f s (wait %.1f s)"
             % (after[0]["overall_eta"], pace, wait[0]["seconds"]))
print("ETA after a %.1f s restart: %.2f s, at the pace kept %.2f s"
      % (wait[0]["seconds"], after[0]["overall_eta"], pace))
EOF
CLOSED=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
j --wait 1 -s "tcp:127.0.0.1:$CLOSED" getvar product && fail "getvar of a closed port worked"
j catalog || fail catalog
emu_start E "$T/e"
j -s "$E_DEV" reboot || fail reboot
emu_wait_gone E 5

python3 - "$ROOT/docs/json-events.md" "$T/events" "$ROOT/tests" <<'EOF' || fail "events against docs/json-events.md"
import sys
sys.path.insert(0, sys.argv[3])
import json_docs
doc, path = sys.argv[1], sys.argv[2]
table = json_docs.events_table(doc)
bad, seen = [], {}
json_docs.check(open(path), table, "events", bad, seen)
# fetch's events need an HTTP server: t_fetch* produces them
not_here = {"download_start", "download_retry", "download_restart", "download_waiting", "fetched"}
missing = sorted(set(table) - set(seen) - not_here)
if missing:
    bad.append("documented but never seen: %s" % missing)
# every documented field is emitted somewhere (fields of the download
# events, which share rows with a flash's, and `what` of the package check
# of flash, here with --json only as progress, are t_fetch*'s)
not_here_fields = {"progress": {"what"}, "warning": {"bytes", "total"}}
# a step's own fields (`arg` only for oem/set_active, `image` for images):
# seen on any event of a step
step_fields = {"device", "step", "steps", "op", "partition", "image", "size", "arg"}
any_step = set().union(*(set(e) for v in seen.values() for e in v if "step" in e))
for ev, fields in sorted(table.items()):
    if ev in not_here or ev not in seen:
        continue
    got = set().union(*(set(e) for e in seen[ev])) | (any_step & step_fields)
    never = sorted(fields - got - not_here_fields.get(ev, set()))
    if never:
        bad.append("%s: documented fields never emitted: %s" % (ev, never))
# a single operation's step is a flash's step of one
for e in seen.get("step_done", []):
    if e.get("steps") == 1 and not all(k in e for k in ("device", "step", "op", "seconds")):
        bad.append("single operation's step_done without the step fields: %s" % e)
eff = seen.get("effects", [])
if not any(e.get("relocks_bootloader") and e.get("command") == "oem lock" for e in eff):
    bad.append("oem lock: no effects event saying it relocks: %s" % eff)
if not any(e.get("mode") == "clean" and e.get("erases_user_data") for e in eff):
    bad.append("flash --mode clean: no effects event saying it erases: %s" % eff)
if not any(e.get("name") == "product" for e in seen.get("getvar", [])) or \
        len(seen.get("getvar", [])) < 5:
    bad.append("getvar all: not one event per variable: %s" % seen.get("getvar"))
prog = [e for e in seen.get("progress", []) if "step" in e]
if not prog:
    bad.append("no step progress")
else:
    for k in ("step", "steps", "op", "partition", "phase", "done", "total"):
        if not all(k in e for e in prog if k != "partition" or e["op"] != "boot"):
            bad.append("progress without %s" % k)
    phases = {e["phase"] for e in prog}
    if phases != {"sending", "writing"}:
        bad.append("progress phases %s" % sorted(phases))
writes = [e for e in seen.get("info", []) if e["text"].startswith("writing '")]
if len({e.get("device") for e in writes}) != 2 or not all(e.get("device") for e in writes):
    bad.append("a flash of two phones: INFO lines not each with its phone: %s" % writes[:4])
skips = seen.get("step_skipped", [])
if not any(e.get("reason") == "the phone does not check CRC lists" for e in skips):
    bad.append("no skipped crc-flash with its reason: %s" % skips)
for b in bad:
    print("FAIL: " + b)
print("%d events of %d kinds checked" % (sum(len(v) for v in seen.values()), len(seen)))
sys.exit(1 if bad else 0)
EOF
lib_finish
