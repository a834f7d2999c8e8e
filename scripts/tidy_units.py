#!/usr/bin/env python3
"""Prints the translation units of compile_commands.json (argv[1]) under the folder argv[2], one per line."""
import json
import sys

units = sorted({e["file"] for e in json.load(open(sys.argv[1])) if e["file"].startswith(sys.argv[2])})
print("\n".join(units))
