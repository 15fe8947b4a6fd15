#!/usr/bin/env python3
"""cattop integration tests: run real Rust workloads with known behaviour,
attach cattop to them by PID (or launch them through cattop), and assert on
what it reports. The tests live in test_*.py next to this file."""
import argparse
import os
import sys
import time
import traceback

import harness
import test_await
import test_cache
import test_core
import test_faults
import test_focus
import test_hung
import test_panic_stress
import test_recording
import test_stacks
import test_tui

TESTS = [test_core.test_bad_input, test_core.test_tokio, test_core.test_async_std,
         test_core.test_smol, test_core.test_release_build_tasks, test_core.test_exclude,
         test_core.test_launch_command, test_core.test_target_exit,
         test_core.test_quit_fast_and_clean, test_tui.test_tui,
         test_tui.test_tui_config_ascii_exit, *test_await.TESTS, *test_stacks.TESTS, *test_cache.TESTS,
         *test_recording.TESTS, *test_faults.TESTS, *test_focus.TESTS, *test_hung.TESTS,
         *test_panic_stress.TESTS]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cattop", required=True)
    ap.add_argument("-k", help="run only tests whose name contains this")
    a = ap.parse_args()
    harness.CATTOP = os.path.abspath(a.cattop)
    checks = harness.checks
    failed_tests = []
    for t in TESTS:
        if a.k and a.k not in t.__name__:
            continue
        t0 = time.monotonic()
        try:
            t()
            status = "ok"
        except Exception as e:  # a failed check or a broken run: report, go on
            if not isinstance(e, harness.CheckFailed):
                checks["failed"] += 1
                traceback.print_exc()
            status = "FAIL: %s" % e
            failed_tests.append(t.__name__)
        print("integration: %-28s %5.1fs  %s" % (t.__name__, time.monotonic() - t0, status),
              flush=True)
    print("integration: %d passed, %d failed" % (checks["passed"], checks["failed"]))
    return 1 if checks["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
