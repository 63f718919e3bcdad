#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Tests that need no kernel (make unit): every tests/unit/test_*.py.

One line per test, as the VM suites print them, then "N passed, N failed";
exit 1 if any failed.
"""

import os
import sys
import time
import unittest


class Lines(unittest.TextTestResult):
    def startTest(self, test):
        self.t0 = time.monotonic()
        self.failed_before = len(self.failures) + len(self.errors)
        super().startTest(test)

    def stopTest(self, test):
        super().stopTest(test)
        secs = time.monotonic() - self.t0
        bad = len(self.failures) + len(self.errors) > self.failed_before
        name = test.id().split(".", 1)[-1]
        self.stream.write(f"{'FAIL' if bad else 'PASS'} unit {name} {secs:.0f}s\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    suite = unittest.defaultTestLoader.discover(here, pattern="test_*.py")
    runner = unittest.TextTestRunner(stream=sys.stdout, resultclass=Lines,
                                     verbosity=0)
    res = runner.run(suite)
    failed = len(res.failures) + len(res.errors)
    print(f"{res.testsRun - failed} passed, {failed} failed")
    return 1 if failed or not res.testsRun else 0


if __name__ == "__main__":
    sys.exit(main())
