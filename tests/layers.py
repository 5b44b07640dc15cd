#!/usr/bin/env python3
"""layers.py - keep src/ layered: no file includes a header of a higher layer.

    layers.py TOP

The table of layers is the one in TOP/src/README.md (rows of the form
"| `folder/` | rank | ... |"); nothing here repeats it.  A module's header
include/casemail/NAME.h belongs to the folder that holds NAME.c (or, for a
header with no .c of that name, NAME_*.c); private headers belong to the
folder they sit in.  A file in folder F may include:
  - headers of its own folder, and
  - headers of folders of a strictly lower rank.
Two folders of the same rank are peers and may not include each other.
Every violation is printed; the exit status is 1 if there was one, 2 if the
tree could not be read (an unknown header, a folder not in the table).
"""
import os
import re
import sys

ROW = re.compile(r"^\|\s*`([a-z]+)/`\s*\|\s*(\d+)\s*\|")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_table(top):
    ranks = {}
    with open(os.path.join(top, "src", "README.md"), encoding="utf-8") as f:
        for line in f:
            m = ROW.match(line)
            if m:
                ranks[m.group(1)] = int(m.group(2))
    return ranks


def module_folders(src):
    """Map each file name in src/*/ (and each module name) to its folder."""
    owner = {}
    for folder in sorted(os.listdir(src)):
        path = os.path.join(src, folder)
        if not os.path.isdir(path):
            continue
        for name in os.listdir(path):
            owner[name] = folder
    return owner


def header_folder(header, owner):
    """The folder a quoted include names: casemail/x.h or a private x.h."""
    base = os.path.basename(header)
    stem = base[:-2]
    if header.startswith("casemail/"):
        if stem + ".c" in owner:
            return owner[stem + ".c"]
        for name, folder in owner.items():
            if name.startswith(stem + "_") and name.endswith(".c"):
                return folder
        return None
    return owner.get(base)


def check(top):
    src = os.path.join(top, "src")
    ranks = read_table(top)
    owner = module_folders(src)
    files = []
    for folder in sorted(set(owner.values())):
        if folder not in ranks:
            print(f"layers: src/{folder}/ is not in src/README.md's table")
            return 2
        for name in sorted(os.listdir(os.path.join(src, folder))):
            if name.endswith((".c", ".h")):
                files.append((os.path.join("src", folder, name), folder))
    inc = os.path.join(top, "include", "casemail")
    for name in sorted(os.listdir(inc)):
        folder = header_folder("casemail/" + name, owner)
        if folder is None:
            print(f"layers: include/casemail/{name} has no module in src/")
            return 2
        files.append((os.path.join("include", "casemail", name), folder))

    bad = 0
    for rel, folder in files:
        with open(os.path.join(top, rel), encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if not m:
                    continue
                target = header_folder(m.group(1), owner)
                if target is None:
                    print(f"{rel}:{lineno}: {m.group(1)}: unknown header")
                    return 2
                if target == folder or ranks[target] < ranks[folder]:
                    continue
                print(f"{rel}:{lineno}: {folder}/ (layer {ranks[folder]}) "
                      f"includes {m.group(1)} of {target}/ "
                      f"(layer {ranks[target]})")
                bad += 1
    print(f"layers: {len(files)} files, {len(ranks)} layers, "
          f"{bad} violation(s)")
    return 1 if bad else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: layers.py TOP")
    sys.exit(check(sys.argv[1]))
