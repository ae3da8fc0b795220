# Shared helpers for the shell tests (POSIX sh; sourced, not run).
#
#   . "$ROOT/tests/lib.sh"; lib_init t_name
#
# lib_init makes a private temporary folder $T, points ROMFLASH_STATE_DIR
# and ROMFLASH_LOCK_DIR and XDG_CACHE_HOME into it (saved flash progress,
# phone locks and verification records never touch the user's or another
# test's), and installs a trap that stops every emulator this test started
# and removes $T.
#
#   emu_start NAME STATEDIR [romflash-emu options]   NAME_PORT, NAME_PID, NAME_DEV
#                     (a --port N among the options overrides the free port)
#   emu_stop NAME                                    SIGTERM, then wait
#   emu_wait_gone NAME [SECONDS]                     it exited by itself (reboot)
#   emu_wait_online STATEDIR [SECONDS]               back after a reboot/cut
#   job NAME CMD... / wait_jobs                      background work
#   bg_start MARK LOG CMD...  a helper process (BG_PID), stopped at the end
#                     if its command line still contains MARK
#   wait_file FILE PID [SECONDS]   FILE is not empty (PID still alive)
#   rf ARGS...        romflash under `timeout` (exit 124 = it hung)
#   sigint_wait PID LABEL   Ctrl-C to a background job, its exit status
#   fail MSG / lib_finish                            count failures / exit status 0 or 1
#   need_tool TOOL...  each on PATH, else: CI=true a failure, otherwise a
#                      "SKIP: ..." line and the test ends (tests/run-all
#                      counts it as skipped, never as passed)
#   have_tool TOOL     the same for one part of a test: 0 when present,
#                      else a failure (CI=true) or a SKIP line; returns 1
#   check_partitions STATEDIR PKGDIR PLANJSON        every written byte (python)
#   check_commands STATEDIR PKGDIR PLANJSON [--no-reboot]
#                     executed order == plan order == script order
#   check_flash STATEDIR PKGDIR PLANJSON [--no-reboot]   both of the above
#   same_partitions DIR1 DIR2 [PART...]              two phones hold the same bytes
#                     (but in PART..., filesystems each side made)
#   aosp_fastboot DIR  Debian's AOSP fastboot copied into DIR with the mke2fs
#                     it looks for next to itself (for `format`); 1 if none
#   no_writes STATEDIR                               nothing downloaded/written
#
# Env (tests/run-all): ROMFLASH, ROMFLASH_EMU, ROOT, B.

ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
B=${B:-build}
ROMFLASH=${ROMFLASH:-$ROOT/$B/romflash}
ROMFLASH_EMU=${ROMFLASH_EMU:-$ROOT/$B/romflash-emu}
# shellcheck disable=SC2034 # used by the tests that source this
MKPKG="$ROOT/tests/fixtures/mkpkg"
RF_TIMEOUT=${RF_TIMEOUT:-30}
LIB_PIDS=""
fails=0

fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

need_tool() {
	for _tool; do
		command -v "$_tool" >/dev/null 2>&1 && continue
		if [ "${CI:-}" = true ]; then
			echo "FAIL: $_tool is missing (CI=true; tools/deps.sh installs it)"
			exit 1
		fi
		echo "SKIP: $_tool is missing (tools/deps.sh installs it)"
		exit 0
	done
}

# lib_kill_emus: stop every emulator started by this shell (a subshell
# running emulators of its own calls it from its EXIT trap).
lib_kill_emus() {
	for _k in $LIB_PIDS; do
		# only our own emulator: the pid may have been reused after it exited
		if grep -q romflash-emu "/proc/$_k/cmdline" 2>/dev/null; then
			kill "$_k" 2>/dev/null
		fi
	done
	wait 2>/dev/null
}

LIB_BG=""

# bg_start MARK LOG CMD...: CMD in the background, output in LOG
bg_start() {
	_m=$1 _l=$2
	shift 2
	"$@" >>"$_l" 2>&1 &
	BG_PID=$!
	LIB_BG="$LIB_BG $BG_PID:$_m"
}

# wait_file FILE PID [SECONDS]: FILE has content; 1 if PID died first
wait_file() {
	_i=0
	while [ ! -s "$1" ] && [ $_i -lt $((${3:-10} * 20)) ]; do
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
		_i=$((_i + 1))
	done
	[ -s "$1" ]
}

lib_cleanup() {
	for _b in $LIB_BG; do
		# only our own: the pid may have been reused after it exited
		if grep -q "${_b#*:}" "/proc/${_b%%:*}/cmdline" 2>/dev/null; then
			kill "${_b%%:*}" 2>/dev/null
		fi
	done
	lib_kill_emus
	# LIB_KEEP=1 keeps the folder to look at after a failure
	if [ -n "${T:-}" ] && [ -z "${LIB_KEEP:-}" ]; then rm -rf "$T"; fi
}

have_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then
		fail "$1 is missing (CI=true; tools/deps.sh installs it)"
	else
		echo "SKIP: $1 is missing (tools/deps.sh installs it): its part not run"
	fi
	return 1
}

lib_init() {
	for x in "$ROMFLASH" "$ROMFLASH_EMU"; do
		[ -x "$x" ] || { echo "no $x (make $B/romflash $B/romflash-emu)"; exit 1; }
	done
	# the byte checks below and tests/fixtures/mkpkg
	need_tool python3 timeout
	T=$(mktemp -d "/tmp/$1.XXXXXX") || exit 1
	ROMFLASH_STATE_DIR="$T/progress"
	# phone locks of this test only: every emulated phone is EMU0001 unless
	# told otherwise, and other test runs may be flashing theirs right now
	ROMFLASH_LOCK_DIR="$T/locks"
	XDG_CACHE_HOME="$T/cache"
	export ROMFLASH_STATE_DIR ROMFLASH_LOCK_DIR XDG_CACHE_HOME
	trap lib_cleanup EXIT
	trap 'exit 143' INT TERM
}

lib_finish() {
	if [ "$fails" -ne 0 ]; then
		echo "$fails failure(s)"
		exit 1
	fi
	echo "all ok"
	exit 0
}

# emu_start NAME STATEDIR [options]: an emulated phone on a free port of
# 127.0.0.1 (port 0, read back from --port-file).  The same STATEDIR may be
# given again later: a phone "turned on again" keeps its partitions.
emu_start() {
	_n=$1 _d=$2
	shift 2
	mkdir -p "$_d"
	rm -f "$_d.port"
	"$ROMFLASH_EMU" --state "$_d" --port 0 --port-file "$_d.port" "$@" \
		>>"$_d.emu.log" 2>&1 &
	_p=$!
	LIB_PIDS="$LIB_PIDS $_p"
	_i=0
	while [ ! -s "$_d.port" ] && [ $_i -lt 100 ]; do
		if ! kill -0 "$_p" 2>/dev/null; then break; fi
		sleep 0.05
		_i=$((_i + 1))
	done
	if [ ! -s "$_d.port" ]; then
		echo "emulator $_n did not start:"; cat "$_d.emu.log"
		exit 1
	fi
	_port=$(cat "$_d.port")
	eval "${_n}_PORT=$_port ${_n}_PID=$_p ${_n}_DEV=tcp:127.0.0.1:$_port"
}

emu_stop() {
	eval "_p=\${${1}_PID:-}"
	[ -n "$_p" ] || return 0
	if grep -q romflash-emu "/proc/$_p/cmdline" 2>/dev/null; then
		kill "$_p" 2>/dev/null
	fi
	wait "$_p" 2>/dev/null
	eval "${1}_PID="
}

# emu_wait_gone NAME [SECONDS]: the emulator ended by itself (the phone
# rebooted out of fastboot).  Returns 1 if it is still running.
emu_wait_gone() {
	eval "_p=\${${1}_PID:-}"
	_s=${2:-5}
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt $((_s * 20)) ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	if kill -0 "$_p" 2>/dev/null; then return 1; fi
	wait "$_p" 2>/dev/null
	eval "${1}_PID="
	return 0
}

# job NAME CMD...: CMD in the background (a subshell that stops its own
# emulators when it ends, with its own ROMFLASH_STATE_DIR), output in
# $T/job.NAME.log; wait_jobs collects
# every job and counts the failed ones (a job fails by returning non-zero).
JOBS=""
job() {
	_j=$1
	shift
	(
		trap 'lib_kill_emus' EXIT
		trap 'exit 143' INT TERM
		LIB_PIDS=""
		# saved progress of its own: the jobs and the main flow run at once
		ROMFLASH_STATE_DIR="$T/progress.job.$_j"
		ROMFLASH_LOCK_DIR="$T/locks.job.$_j"
		"$@"
	) >"$T/job.$_j.log" 2>&1 &
	JOBS="$JOBS $!:$_j"
}
wait_jobs() {
	for _j in $JOBS; do
		if ! wait "${_j%%:*}"; then
			fails=$((fails + 1))
			echo "FAIL: job ${_j#*:}:"
			cat "$T/job.${_j#*:}.log"
		fi
	done
	JOBS=""
}

# emu_wait_online STATEDIR [SECONDS]: the phone is back on the bus (after
# reboot-bootloader or a cut link it is "rebooting" for --reboot-delay).
emu_wait_online() {
	_i=0
	while ! grep -qx online "$1/state" 2>/dev/null && [ $_i -lt $((${2:-5} * 20)) ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	grep -qx online "$1/state" 2>/dev/null
}

# rf ARGS: romflash, never hanging
rf() { timeout -k 2 "$RF_TIMEOUT" "$ROMFLASH" "$@"; }

# sigint_wait PID LABEL: Ctrl-C to PID (a background job of this shell),
# then its exit status; still running 10 s later: a failure, and killed
sigint_wait() {
	kill -INT "$1" 2>/dev/null
	_i=0
	while kill -0 "$1" 2>/dev/null && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		fail "$2: still running 10 s after SIGINT"
		kill -KILL "$1"
	fi
	wait "$1"
}

# no_writes STATEDIR: the phone was only asked questions.
no_writes() {
	if grep -E '^(download|flash|erase|boot|oem|set_active|reboot|flashing)' \
		"$1/commands.log" >/dev/null 2>&1; then
		fail "$1: written to: $(grep -vE '^getvar' "$1/commands.log" | head -n 3 | tr '\n' ' ')"
	fi
	if ls "$1"/*.img >/dev/null 2>&1; then
		fail "$1: partition files exist: $(cd "$1" && ls ./*.img | head -n 3 | tr '\n' ' ')"
	fi
}

# The checks below are in python: byte comparisons skip the holes of the
# emulator's partition files (userdata is 12 GiB, nearly all hole).
_lib_py() {
	python3 - "$@" <<'EOF'
import json, os, subprocess, sys, tempfile

SPARSE_MAGIC = b"\x3a\xff\x26\xed"
CHUNK = 1 << 20

def die(msg):
    print("FAIL: " + msg)
    sys.exit(1)

def extents(fd, size):
    """(offset, length) of the data regions of a file (holes skipped)."""
    off = 0
    while off < size:
        try:
            d = os.lseek(fd, off, os.SEEK_DATA)
        except OSError:
            return
        h = os.lseek(fd, d, os.SEEK_HOLE)
        yield d, h - d
        off = h

def zero_from(path, start):
    """First nonzero offset at or after start, or None."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        for d, n in extents(f.fileno(), size):
            d0 = max(d, start)
            end = d + n
            while d0 < end:
                f.seek(d0)
                b = f.read(min(CHUNK, end - d0))
                if b.count(0) != len(b):
                    return d0 + next(i for i, c in enumerate(b) if c)
                d0 += len(b)
    return None

def plan_steps(path):
    steps, summary = [], None
    for line in open(path):
        line = line.strip()
        if not line:
            continue
        e = json.loads(line)
        if e.get("event") == "step":
            steps.append(e)
        elif e.get("event") == "plan":
            summary = e
    if not steps or summary is None:
        die("%s: no plan steps/summary" % path)
    return steps, summary

def writes(step):
    """Does this step write a partition on this phone?"""
    if step["op"] == "flash":
        return True
    if step["op"] == "crc-flash":
        return step.get("phone") == "yes"
    return False

def unsparse(img, tmp):
    with open(img, "rb") as f:
        magic = f.read(4)
    if magic != SPARSE_MAGIC:
        return img
    out = os.path.join(tmp, os.path.basename(img) + ".raw")
    if not os.path.exists(out):
        subprocess.run(["simg2img", img, out], check=True)
    return out

def check_partitions(state, pkgdir, planjson):
    steps, _ = plan_steps(planjson)
    want = {}  # partition -> image path or None (erased)
    for s in steps:
        if s["op"] == "erase":
            for p in s["partition"].split("+"):
                want[p] = None
        elif writes(s):
            for p in s["partition"].split("+"):
                if want.get(p):
                    die("%s written twice: the model here does not cover that" % p)
                want[p] = os.path.join(pkgdir, s["image"])
    have = sorted(f[:-4] for f in os.listdir(state) if f.endswith(".img"))
    if have != sorted(want):
        die("%s: partitions written %s, expected %s" % (state, have, sorted(want)))
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for part, img in sorted(want.items()):
            path = os.path.join(state, part + ".img")
            n = 0
            same = True
            if img:
                raw = unsparse(img, tmp)
                with open(raw, "rb") as a, open(path, "rb") as b:
                    while True:
                        x = a.read(CHUNK)
                        if not x:
                            break
                        y = b.read(len(x))
                        if x != y:
                            i = next((i for i in range(min(len(x), len(y))) if x[i] != y[i]), min(len(x), len(y)))
                            print("FAIL: %s differs from %s at byte %d" % (path, img, n + i))
                            bad += 1
                            same = False
                            break
                        n += len(x)
            if not same:
                continue
            z = zero_from(path, n)
            if z is not None:
                print("FAIL: %s: byte %d past the image (%s) is not zero" % (path, z, img or "erased"))
                bad += 1
    if bad:
        sys.exit(1)

def script_ops(path, crc):
    """The fastboot commands of a flash_all*.sh, in order, with line numbers:
    [(line, op, arg)], op as the plan names it."""
    out = []
    in_crc = False
    lines = open(path).read().split("\n")
    for no, line in enumerate(lines, 1):
        t = line.strip()
        if t.startswith("fastboot $* getvar crc"):
            in_crc = True
            continue
        if in_crc and t == "fi":
            in_crc = False
            continue
        if not t.startswith("fastboot $* "):
            continue
        w = t.replace("`dirname $0`/", "").split()[2:]
        cmd = w[0]
        if cmd == "getvar":
            continue
        if cmd == "flash":
            out.append((no, "crc-flash" if in_crc else "flash", w[1], w[2]))
        elif cmd == "erase":
            out.append((no, "erase", w[1], None))
        elif cmd == "boot":
            out.append((no, "boot", None, w[1]))
        elif cmd == "oem":
            out.append((no, "oem", " ".join(w[1:]), None))
        elif cmd == "set_active":
            out.append((no, "set_active", w[1], None))
        elif cmd in ("reboot", "reboot-bootloader"):
            out.append((no, cmd, None, None))
        else:
            die("%s:%d: test does not know '%s'" % (path, no, t))
    return out

def check_commands(state, pkgdir, planjson, no_reboot):
    steps, summary = plan_steps(planjson)
    script = os.path.join(pkgdir, summary["script"])
    # 1. plan order == script order (same commands, same lines)
    sops = script_ops(script, None)
    pops = []
    for s in steps:
        if s["op"] in ("check", "anti-check"):
            continue
        arg = s.get("partition") or s.get("arg")
        pops.append((int(s["source"].rsplit(":", 1)[1]), s["op"], arg, s.get("image")))
        if s["source"].rsplit(":", 1)[0] != summary["script"]:
            die("step source %s not in %s" % (s["source"], summary["script"]))
    if sops != pops:
        die("plan %s != script %s" % (pops, sops))
    # 2. what the phone executed == the plan
    want = []
    ndl = 0
    for s in steps:
        op = s["op"]
        if writes(s):
            want += ["flash:" + s["partition"]] * s["downloads"]
            ndl += s["downloads"]
        elif op == "erase":
            want.append("erase:" + s["partition"])
        elif op == "boot" and not no_reboot:  # --no-reboot: it stays in fastboot
            want.append("boot")
            ndl += 1
        elif op == "oem":
            want.append("oem " + s["arg"])
        elif op == "set_active":
            want.append("set_active:" + s["arg"])
        elif op == "reboot-bootloader":
            want.append("reboot-bootloader")
        elif op == "reboot" and not no_reboot:
            want.append("reboot")
    log = open(os.path.join(state, "commands.log")).read().split("\n")
    got = [l for l in log if l and not l.startswith(("getvar:", "download:"))]
    if got != want:
        die("%s: executed\n  %s\nexpected\n  %s" % (state, got, want))
    # every flash/boot got exactly one download right before it, within the limit
    maxdl = summary["max_download_size"]
    dls = 0
    prev = ""
    for l in log:
        if l.startswith("download:"):
            if prev.startswith("download:"):
                die("two downloads in a row")
            if int(l[9:], 16) > maxdl:
                die("%s larger than max-download-size 0x%x" % (l, maxdl))
            dls += 1
        elif (l.startswith("flash:") or l == "boot") and not prev.startswith("download:"):
            die("%s without a download before it" % l)
        if l and not l.startswith("getvar:"):
            prev = l
    if dls != ndl:
        die("%d downloads, plan says %d" % (dls, ndl))

def same_partitions(a, b, skip=()):
    skip = set(n + ".img" for n in skip)
    la = sorted(f for f in os.listdir(a) if f.endswith(".img") and f not in skip)
    lb = sorted(f for f in os.listdir(b) if f.endswith(".img") and f not in skip)
    if la != lb:
        die("partitions differ: %s has %s, %s has %s" % (a, la, b, lb))
    for f in la:
        pa, pb = os.path.join(a, f), os.path.join(b, f)
        with open(pa, "rb") as x, open(pb, "rb") as y:
            sa, sb = os.fstat(x.fileno()).st_size, os.fstat(y.fileno()).st_size
            if sa != sb:
                die("%s: %d bytes, %s: %d" % (pa, sa, pb, sb))
            regions = list(extents(x.fileno(), sa)) + list(extents(y.fileno(), sb))
            for d, n in regions:
                off = d
                while off < d + n:
                    k = min(CHUNK, d + n - off)
                    x.seek(off); y.seek(off)
                    bx, by = x.read(k), y.read(k)
                    if bx != by:
                        i = next(i for i in range(k) if bx[i] != by[i])
                        die("%s and %s differ at byte %d" % (pa, pb, off + i))
                    off += k

what = sys.argv[1]
if what == "flash":
    check_commands(sys.argv[2], sys.argv[3], sys.argv[4], len(sys.argv) > 5 and sys.argv[5] == "--no-reboot")
    check_partitions(*sys.argv[2:5])
elif what == "partitions":
    check_partitions(*sys.argv[2:5])
elif what == "commands":
    check_commands(sys.argv[2], sys.argv[3], sys.argv[4], len(sys.argv) > 5 and sys.argv[5] == "--no-reboot")
elif what == "same":
    same_partitions(sys.argv[2], sys.argv[3], sys.argv[4:])
else:
    die("unknown check " + what)
EOF
}

check_flash() { _lib_py flash "$@" || fails=$((fails + 1)); }
check_partitions() { _lib_py partitions "$@" || fails=$((fails + 1)); }
check_commands() { _lib_py commands "$@" || fails=$((fails + 1)); }
same_partitions() { _lib_py same "$@" || fails=$((fails + 1)); }

# aosp_fastboot DIR: DIR/fastboot, a copy of Debian's AOSP fastboot, and
# DIR/mke2fs, which it runs for `format` from its own folder: Debian's
# fastboot looks there and finds nothing, and Debian's mke2fs has no
# -E android_sparse.  The wrapper calls Debian's mke2fs with "discard"
# (mke2fs's default) in its place, so fastboot gets a raw image and sends
# it; each call is logged in DIR/mke2fs.args.  1 when there is no fastboot.
aosp_fastboot() {
	_fb=$(command -v fastboot) || return 1
	_mk=$(PATH="$PATH:/usr/sbin:/sbin" command -v mke2fs) || return 1
	mkdir -p "$1"
	cp "$(readlink -f "$_fb")" "$1/fastboot" || return 1
	cat >"$1/mke2fs" <<EOF
#!/bin/sh
echo "\$*" >>"$1/mke2fs.args"
n=\$#
for a do
	case \$a in android_sparse) a=discard ;; android_sparse,*) a=discard,\${a#android_sparse,} ;; esac
	set -- "\$@" "\$a"
done
shift \$n
exec $_mk "\$@"
EOF
	chmod +x "$1/mke2fs"
}

# pkg_folder DIR: the extracted top folder mkpkg --keep-folder left in DIR
pkg_folder() {
	for _f in "$1"/cancro*; do
		[ -d "$_f" ] && { echo "$_f"; return 0; }
	done
	return 1
}
