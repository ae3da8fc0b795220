#!/usr/bin/env python3
"""Drive an interactive bash or zsh through a pseudo-terminal and check what
TAB completion puts on the command line, as a user would see it.

  complete_pty.py bash|zsh SETUP CASES

SETUP is a file the shell sources first (PATH, the completion script...).
CASES holds one case a line:  KIND<TAB>INPUT<TAB>EXPECTED
  KIND     line: the whole line after the keys must equal EXPECTED
           all:  the words of the line (shell-split) after inserting every
                 match (bash: M-*; zsh: the _all_matches completer, bound
                 to ^Xa by SETUP) must equal EXPECTED's, in any order (a
                 folder's trailing / and an option's trailing = aside:
                 zsh inserts them, bash does not)
  INPUT    the keys, Python escapes allowed (\\t = TAB)
Lines starting with # are ignored.  After each case's keys the line is
written to a file by a key binding (^Xp, bound here) and then cleared, so
nothing depends on parsing the screen.  Prints one line per failure; exit
status 0 when every case passed, 1 otherwise.
"""
import codecs
import fcntl
import os
import pty
import select
import shlex
import struct
import sys
import tempfile
import termios
import time

TIMEOUT = 20.0  # per case: generous for a loaded machine; a hang still fails


def spawn(shell, home):
    env = {
        "HOME": home,
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TERM": "xterm",
        "LANG": "C.UTF-8",
        "PS1": "$ ",
        "PROMPT": "$ ",
    }
    argv = [shell, "--norc", "--noprofile", "-i"] if shell == "bash" else [shell, "-f", "-i"]
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(os.environ.get("COMPLETE_CWD", "."))
        os.execvpe(shell, argv, env)
    # a tall, wide terminal: no "display all N possibilities?" pager
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 500, 250, 0, 0))
    return pid, fd


def drain(fd, secs):
    """Read whatever the shell prints (so it never blocks on a full pty)."""
    end = time.monotonic() + secs
    out = b""
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return out
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            return out
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return out
        if not chunk:
            return out
        out += chunk


def wait_lines(fd, path, n):
    """Wait until the dump file holds n lines; return them."""
    end = time.monotonic() + TIMEOUT
    while time.monotonic() < end:
        drain(fd, 0.05)
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                lines = f.read().split("\n")[:-1]
        except FileNotFoundError:
            lines = []
        if len(lines) >= n:
            return lines
    return None


def main():
    shell, setup, cases_path = sys.argv[1:4]
    setup = os.path.abspath(setup)
    cases = []
    for raw in open(cases_path, encoding="utf-8"):
        raw = raw.rstrip("\n")
        if not raw or raw.startswith("#"):
            continue
        kind, keys, want = raw.split("\t")
        cases.append((kind, keys, want))

    tmp = tempfile.mkdtemp(prefix="complete_pty.")
    dump = os.path.join(tmp, "lines")
    if shell == "bash":
        bind = ("bind 'set completion-query-items -1'\n"
                "bind 'set page-completions off'\n"
                "bind 'set bell-style none'\n"
                "bind -x '\"\\C-xp\": printf \"%%s\\n\" \"$READLINE_LINE\" >> %s'\n" % dump)
        allkey = "\x1b*"
    else:
        bind = ("_dump() { print -r -- \"$BUFFER\" >> %s }\n"
                "zle -N _dump; bindkey '^Xp' _dump\n"
                "LISTMAX=10000; unsetopt beep\n" % dump)
        allkey = "\x18a"
    pid, fd = spawn(shell, tmp)
    os.write(fd, (". %s\n" % shlex.quote(setup)).encode())
    os.write(fd, bind.encode())
    drain(fd, 0.5)

    fails = 0
    for i, (kind, keys, want) in enumerate(cases):
        k = codecs.decode(keys, "unicode_escape")
        if kind == "all":
            k += allkey
        # ^Xp writes the line, ^U clears it (both shells' emacs keymaps)
        os.write(fd, (k + "\x18p\x15").encode())
        lines = wait_lines(fd, dump, i + 1)
        if lines is None:
            print("FAIL: %s %r: no answer within %.0f s (hung?)" % (shell, keys, TIMEOUT))
            fails += 1
            break
        got = lines[i]
        if kind == "line":
            ok = got == want
        else:
            def words(line):
                return sorted(w.rstrip("/=") for w in shlex.split(line))
            try:
                ok = words(got) == words(want)
            except ValueError:
                ok = False
        if not ok:
            print("FAIL: %s %r: got %r, expected %r" % (shell, keys, got, want))
            fails += 1
    os.write(fd, b"exit\n")
    drain(fd, 0.5)
    try:
        os.kill(pid, 9)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
