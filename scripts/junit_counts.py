#!/usr/bin/env python3
"""Prints "<passed> <failed>" for a ctest JUnit report: skipped, disabled and not-run tests count as failed."""
import sys
import xml.etree.ElementTree as ET

root = ET.parse(sys.argv[1]).getroot()
passed = failed = 0
for case in root.iter("testcase"):
    status = case.get("status", "run")
    bad = case.find("failure") is not None or case.find("error") is not None or case.find("skipped") is not None
    if bad or status not in ("run", "passed"):
        failed += 1
    else:
        passed += 1
print(passed, failed)
