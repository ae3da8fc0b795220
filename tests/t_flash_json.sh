#!/bin/sh
# docs/json-events.md against what romflash emits: flashes (clean, one
# failing, a reboot the phone refuses, a reboot-bootloader, two phones),
# flash-image (fine and failing), erase, reboot, getvar, devices, catalog,
# all with --json.  Every line must be one JSON object; its event must be in the
# document's table and every field it carries listed there for it; every
# event the table lists must have been seen.  Also: the progress of an
# image step carries its structured fields (step, partition, phase,
# done/total) and both phases.
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
emu_stop A
emu_start B "$T/b" --reboot-delay 100 --fail flash:system
j -s "$B_DEV" flash "$MOD" --no-reboot && fail "a failing flash worked"
emu_stop B
emu_start C "$T/c" --reboot-delay 100 --vars board_version=3.0 --serial EMUC
emu_start D "$T/d" --reboot-delay 100 --vars board_version=3.0 --serial EMUD
j -s "$C_DEV,$D_DEV" flash "$REP" --all || fail "--all: $(tail -n 3 "$T/stderr")"
emu_stop C
emu_stop D
# a final reboot the phone refuses: a warning
emu_start W "$T/w" --fail reboot
j -s "$W_DEV" flash "$MOD" || fail "refused reboot: $(tail -n 3 "$T/stderr")"
emu_stop W
j catalog || fail catalog
emu_start E "$T/e"
j -s "$E_DEV" reboot || fail reboot
emu_wait_gone E 5

python3 - "$ROOT/docs/json-events.md" "$T/events" <<'EOF' || fail "events against docs/json-events.md"
import json, re, sys
doc, path = sys.argv[1], sys.argv[2]
table = {}
in_table = False
for line in open(doc):
    if line.startswith("| event |"):
        in_table = True
        continue
    if in_table:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if set(cells[0]) <= set("-"):
            continue
        name = cells[0].strip("`")
        # an event may have several rows (a flash's warning, a download's)
        table.setdefault(name, set()).update(re.findall(r"`([a-z0-9_]+)`", cells[2]))
bad = []
seen = {}
for n, line in enumerate(open(path), 1):
    try:
        e = json.loads(line)
    except ValueError:
        bad.append("line %d is not JSON: %r" % (n, line[:80]))
        continue
    ev = e.get("event")
    if ev not in table:
        bad.append("line %d: event %r is not documented" % (n, ev))
        continue
    extra = set(e) - {"event"} - table[ev]
    if extra:
        bad.append("line %d: %s carries undocumented %s" % (n, ev, sorted(extra)))
    seen.setdefault(ev, []).append(e)
# fetch's events need an HTTP server: t_fetch* produces them
not_here = {"download_start", "download_retry", "download_restart", "download_waiting", "fetched"}
missing = sorted(set(table) - set(seen) - not_here)
if missing:
    bad.append("documented but never seen: %s" % missing)
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
skips = seen.get("step_skipped", [])
if not any(e.get("reason") == "the phone does not check CRC lists" for e in skips):
    bad.append("no skipped crc-flash with its reason: %s" % skips)
for b in bad:
    print("FAIL: " + b)
print("%d events of %d kinds checked" % (sum(len(v) for v in seen.values()), len(seen)))
sys.exit(1 if bad else 0)
EOF
lib_finish
