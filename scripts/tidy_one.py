#!/usr/bin/env python3
"""Runs clang-tidy on one translation unit, unless an earlier run with the same inputs passed (the cache).

argv: build dir, cache dir, report dir, source file. Writes <report>/<name>.pass or .fail (with the findings).
The cache key covers clang-tidy's version, .clang-tidy, the compile command and the contents of every file the
unit includes (from the compiler's dependency output), so any change that could change the verdict checks again.
"""
import hashlib
import json
import os
import shlex
import subprocess
import sys

build, cache, report, source = sys.argv[1:5]
entry = next(e for e in json.load(open(os.path.join(build, "compile_commands.json"))) if e["file"] == source)
command = shlex.split(entry["command"])
if command and command[0].endswith("ccache"):
    command = command[1:]

# Every file the unit includes: the compiler's -M output for the same command.
deps_cmd = [a for a in command if a not in ("-c",)]
if "-o" in deps_cmd:
    i = deps_cmd.index("-o")
    del deps_cmd[i : i + 2]
deps_cmd = [a for a in deps_cmd if not a.startswith(("-MD", "-MT", "-MF")) and a != entry.get("output", "")]
deps = subprocess.run(deps_cmd + ["-M", "-MG"], cwd=entry["directory"], capture_output=True, text=True)
files = sorted(set(deps.stdout.replace("\\\n", " ").split()[1:])) if deps.returncode == 0 else []

h = hashlib.sha256()
h.update(subprocess.run(["clang-tidy", "--version"], capture_output=True, text=True).stdout.encode())
h.update(open(".clang-tidy", "rb").read())
h.update(entry["command"].encode())
for f in files:
    path = f if os.path.isabs(f) else os.path.join(entry["directory"], f)
    h.update(path.encode())
    try:
        h.update(open(path, "rb").read())
    except OSError:
        h.update(b"missing")
key = h.hexdigest()
name = os.path.relpath(source).replace("/", "_")
stamp = os.path.join(cache, key)
if os.path.exists(stamp):
    open(os.path.join(report, name + ".pass"), "w").close()
    sys.exit(0)

run = subprocess.run(["clang-tidy", "--quiet", "-p", build, source], capture_output=True, text=True)
findings = [l for l in run.stdout.splitlines() if ": warning:" in l or ": error:" in l]
if run.returncode == 0 and not findings:
    open(stamp, "w").close()
    open(os.path.join(report, name + ".pass"), "w").close()
else:
    with open(os.path.join(report, name + ".fail"), "w") as out:
        out.write(f"--- {os.path.relpath(source)}\n{run.stdout}{run.stderr[-2000:] if run.returncode and not findings else ''}")
