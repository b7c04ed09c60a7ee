#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run unittest modules and report in kselftest style.

    run_host_tests.py [-s DIR] [-p PATTERN] [MODULE...]

Prints "TAP version 13", one "ok N name" / "not ok N name" line per test
(with the traceback as "#" comments), and the Totals line that
tools/testsum sums.  Exit status 1 when anything failed.
"""
import argparse
import sys
import unittest


class TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0
        self.passed = 0

    def _line(self, test, ok, extra=""):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} {test.id()}{extra}", flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self._line(test, True)

    def _bad(self, test, err, kind):
        self._line(test, False, f" # {kind}")
        for l in self._exc_info_to_string(err, test).rstrip().split("\n"):
            print(f"#   {l}")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._bad(test, err, "FAIL")

    def addError(self, test, err):
        super().addError(test, err)
        self._bad(test, err, "ERROR")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(test, True, f" # SKIP {reason}")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._line(test, True, " # XFAIL")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._line(test, False, " # XPASS")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-s", "--start", default=".")
    ap.add_argument("-p", "--pattern", default="test_*.py")
    ap.add_argument("modules", nargs="*")
    a = ap.parse_args()
    loader = unittest.TestLoader()
    if a.modules:
        sys.path.insert(0, a.start)
        suite = loader.loadTestsFromNames(a.modules)
    else:
        suite = loader.discover(a.start, pattern=a.pattern, top_level_dir=a.start)
    print("TAP version 13")
    print(f"1..{suite.countTestCases()}")
    r = TapResult()
    suite.run(r)
    fail = len(r.failures)
    print(f"# Totals: pass:{r.passed} fail:{fail} xfail:{len(r.expectedFailures)} "
          f"xpass:{len(r.unexpectedSuccesses)} skip:{len(r.skipped)} error:{len(r.errors)}")
    return 1 if fail or r.errors or r.unexpectedSuccesses else 0


if __name__ == "__main__":
    sys.exit(main())
