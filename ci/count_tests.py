#!/usr/bin/env python3
"""Counts test cases from a `bazel test` log and the JUnit XML Bazel wrote.

usage: count_tests.py BAZEL_LOG TESTLOGS_DIR
Prints "PASSED FAILED". Each test target contributes its test cases (gtest
cases, or the cases an end-to-end script reported); a target that failed
without a failing case in its XML (crash, timeout, build failure) counts as
one failure, so nothing that went wrong is lost in the sum.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

SUMMARY = re.compile(r"^(//\S+)\s+(?:\(cached\)\s+)?(PASSED|FAILED|TIMEOUT|FLAKY|"
                     r"NO STATUS|FAILED TO BUILD|INCOMPLETE|REMOTE FAILURE)\b")


def count_xml(path):
    passed = failed = 0
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return 0, 0
    for case in root.iter("testcase"):
        if case.get("status") == "notrun" or case.find("skipped") is not None:
            continue
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        else:
            passed += 1
    return passed, failed


def main():
    log, testlogs = sys.argv[1], sys.argv[2]
    passed = failed = 0
    with open(log, errors="replace") as f:
        for line in f:
            m = SUMMARY.match(line)
            if not m:
                continue
            label, status = m.groups()
            pkg, _, name = label[2:].partition(":")
            p, fl = count_xml(os.path.join(testlogs, pkg, name, "test.xml"))
            if status in ("PASSED", "FLAKY"):
                passed += max(p, 1)
                failed += fl
            else:
                passed += p
                failed += max(fl, 1)
    print(passed, failed)


if __name__ == "__main__":
    main()
