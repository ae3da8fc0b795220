#!/usr/bin/env python3
"""What the notes in docs/*.md cite must exist in the tree (tests/t_docs_links.sh).

Checked, in every docs/*.md (code blocks included):
  - relative Markdown links [text](target[#anchor]): the file exists
    (relative to the note), and the anchor is a heading of it;
  - tree paths (protocol/..., flasher/..., tests/..., tools/..., docs/...,
    udev/, data/, debian/, completion/), braces and globs expanded, a word
    in capitals taken as a placeholder: something matches;
  - bare source names (fastboot.c, lib.sh, check_zip.c...): a file of that
    name exists somewhere in the tree (a header: or under /usr/include);
  - function references `name()`: defined or used in the tree's sources,
    else declared in a system header (libusb, libarchive, ISA-L...);
  - every rf_* function/type and RF_* constant named: it occurs in the
    tree's sources.
Prints one line per broken reference ("docs/x.md:LINE: ...") and a count of
what was checked; exit 1 when anything is broken.
Usage: docs_refs.py ROOT [NOTE.md...]"""
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(sys.argv[1])
TOP = ("protocol", "flasher", "tests", "tools", "docs", "udev", "data",
       "debian", "completion")
# Names a note cites that are not this tree's: the files of a Xiaomi
# package and of other projects.
FOREIGN_FILES = {
    "flash_all.sh", "flash_all_except_storage.sh", "flash_all_lock.sh",
    "flash_all_except_data_storage.sh", "flash_all_except_data.sh",
    "flash_all.bat", "misc.txt", "android-info.txt", "md5sum.xml",
    "crclist.txt", "sparsecrclist.txt", "anti_version.txt",
}
SRC_EXT = (".c", ".h", ".py", ".sh", ".S", ".s", ".1", ".md", ".txt", ".rules")

def tree_files():
    out = subprocess.run(["git", "-C", ROOT, "ls-files", "-co",
                          "--exclude-standard"], capture_output=True,
                         text=True)
    if out.returncode == 0 and out.stdout.strip():
        return [f for f in out.stdout.split("\n") if f]
    files = []
    for d, dirs, names in os.walk(ROOT):
        dirs[:] = [x for x in dirs if not x.startswith(".") and
                   not x.startswith("build")]
        files += [os.path.relpath(os.path.join(d, n), ROOT) for n in names]
    return files

FILES = [f for f in tree_files() if os.path.exists(os.path.join(ROOT, f))]
BASENAMES = {os.path.basename(f) for f in FILES}
# (this checker and its test name broken references on purpose)
SELF = ("tests/docs_refs.py", "tests/t_docs_links.sh")
SOURCES = []
for f in FILES:
    if (f.endswith(SRC_EXT) and not f.startswith("docs/") and
            f != "README.md" and f not in SELF):
        try:
            SOURCES.append(open(os.path.join(ROOT, f), errors="replace").read())
        except OSError:
            pass
SOURCE_TEXT = "\n".join(SOURCES)
_known = {}

def in_sources(name):
    if name not in _known:
        _known[name] = re.search(r"(?<![\w])" + re.escape(name) + r"(?![\w])",
                                 SOURCE_TEXT) is not None
    return _known[name]

_hdr = {}

def in_system_headers(name):
    if name not in _hdr:
        r = subprocess.run(["grep", "-rqsw", "--include=*.h", name,
                            "/usr/include"])
        _hdr[name] = r.returncode == 0
    return _hdr[name]

def slug(heading):
    s = re.sub(r"[`*_]", lambda m: "_" if m.group(0) == "_" else "", heading)
    s = s.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")

def anchors(path):
    out, fence = set(), False
    for line in open(path, errors="replace"):
        if line.startswith("```"):
            fence = not fence
        elif not fence and line.startswith("#"):
            out.add(slug(line.lstrip("#")))
    return out

def expand_braces(p):
    m = re.search(r"\{([^{}]*)\}", p)
    if not m:
        return [p]
    res = []
    for alt in m.group(1).split(","):
        res += expand_braces(p[:m.start()] + alt + p[m.end():])
    return res

def one_exists(q, note_dir):
    for base in (ROOT, note_dir):
        full = os.path.join(base, q)
        if any(ch in q for ch in "*?["):
            if glob.glob(full):
                return True
        elif os.path.exists(full):
            return True
    return False

def path_exists(p, note_dir):
    """Every alternative of a brace: {c,h} means both.  A word in capitals
    is a placeholder (tests/fuzz/fuzz_NAME.c): any name."""
    p = re.sub(r"(?<![A-Za-z])[A-Z]{3,}(?![a-z])", "*", p)
    return all(one_exists(q, note_dir) for q in expand_braces(p))

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
PATH = re.compile(r"(?<![\w./~$<-])((?:%s)/[\w.+*?{},/\[\]-]*)" % "|".join(TOP))
BARE = re.compile(r"(?<![\w./~$-])([A-Za-z0-9_+-]+\.(?:c|h|sh|py))(?![\w.])")
FUNC = re.compile(r"(?<![\w.>:-])([A-Za-z_][A-Za-z0-9_]*)\(\)")
# (a name followed by "()" is checked as a function already)
RFNAME = re.compile(r"(?<![\w$])((?:rf|RF)_[A-Za-z0-9_]*[A-Za-z0-9])(?![\w*(])")

def check_note(note, counts):
    bad = []
    note_dir = os.path.dirname(os.path.abspath(note))
    rel = os.path.relpath(note, ROOT)
    if rel.startswith(".."):
        rel = note
    for n, line in enumerate(open(note, errors="replace"), 1):
        where = "%s:%d" % (rel, n)
        for m in LINK.finditer(line):
            t = m.group(1)
            if re.match(r"[a-z]+:", t):
                continue
            counts["links"] += 1
            target, _, frag = t.partition("#")
            path = os.path.join(note_dir, target) if target else note
            if not os.path.exists(path):
                bad.append("%s: link to %s: no such file" % (where, target))
            elif frag and path.endswith(".md") and frag not in anchors(path):
                bad.append("%s: link to %s: no heading #%s" % (where, t, frag))
        for m in PATH.finditer(line):
            p = m.group(1).rstrip(".,:;")
            counts["paths"] += 1
            if not path_exists(p, note_dir):
                bad.append("%s: %s: no such file or folder" % (where, p))
        for m in BARE.finditer(line):
            name = m.group(1)
            if name in FOREIGN_FILES:
                continue
            counts["files"] += 1
            if name not in BASENAMES and not (
                    name.endswith(".h") and
                    glob.glob("/usr/include/**/" + name, recursive=True)):
                bad.append("%s: %s: no file of that name in the tree"
                           % (where, name))
        for m in FUNC.finditer(line):
            name = m.group(1)
            counts["functions"] += 1
            if not in_sources(name) and not in_system_headers(name):
                bad.append("%s: %s(): neither in the tree nor in a system "
                           "header" % (where, name))
        for m in RFNAME.finditer(line):
            name = m.group(1)
            counts["names"] += 1
            if not in_sources(name):
                bad.append("%s: %s: not in the tree's sources" % (where, name))
    return bad

def main():
    notes = sys.argv[2:] or sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    counts = {"links": 0, "paths": 0, "files": 0, "functions": 0, "names": 0}
    bad = []
    for note in notes:
        bad += check_note(note, counts)
    for b in bad:
        print("FAIL: " + b)
    print("%d notes: %s checked, %d broken" % (
        len(notes), ", ".join("%d %s" % (v, k) for k, v in counts.items()),
        len(bad)))
    return 1 if bad else 0

if __name__ == "__main__":
    sys.exit(main())
