#!/usr/bin/env python3
"""cattop integration tests: run real Rust workloads with known behaviour,
attach cattop to them by PID (or launch them through cattop), and assert on
what it reports. The tests live in test_*.py next to this file."""
import argparse
import os
import shutil
import sys
import tempfile
import time
import traceback

import harness
import test_await
import test_cache
import test_caller_side
import test_duty
import test_core
import test_faults
import test_focus
import test_lints
import test_live_view
import test_macro_await
import test_metrics
import test_hung
import test_hung_async
import test_hyper
import test_light
import test_panic_stress
import test_placement
import test_poll_split
import test_recording
import test_safety
import test_sched
import test_several
import test_several_live
import test_stacks
import test_tokio_153
import test_truth
import test_tui

TESTS = [test_core.test_bad_input, test_core.test_tokio, test_core.test_async_std,
         test_core.test_smol, test_core.test_release_build_tasks, test_core.test_exclude,
         test_core.test_launch_command, test_core.test_target_exit,
         test_core.test_quit_fast_and_clean, test_tui.test_tui,
         test_tui.test_tui_config_ascii_exit, *test_await.TESTS, *test_stacks.TESTS, *test_cache.TESTS,
         *test_recording.TESTS, *test_faults.TESTS, *test_focus.TESTS,
         *test_safety.TESTS, *test_panic_stress.TESTS, *test_placement.TESTS,
         *test_truth.TESTS, *test_live_view.TESTS, *test_hung.TESTS,
         *test_tokio_153.TESTS, *test_hung_async.TESTS, *test_macro_await.TESTS,
         *test_sched.TESTS, *test_lints.TESTS, *test_light.TESTS, *test_hyper.TESTS,
         *test_metrics.TESTS, *test_poll_split.TESTS, *test_duty.TESTS,
         *test_several.TESTS, *test_several_live.TESTS, *test_caller_side.TESTS]


def send_sanitizer_reports_to(directory):
    """Every cattop the tests start (batch, tmux, recorders) writes its
    ASan, UBSan or LeakSanitizer report to a file of its own in directory,
    whatever happens to its stderr; UBSan stops at the first one. Options
    the caller set come after ours, so they win."""
    prefix = os.path.join(directory, "report")
    for var, ours in (("ASAN_OPTIONS", "detect_leaks=1:log_path=" + prefix),
                      ("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1:log_path=" + prefix)):
        mine = os.environ.get(var)
        os.environ[var] = ours + (":" + mine if mine else "")


def take_sanitizer_reports(directory):
    """The reports written since the last call, printed and removed."""
    reports = []
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        with open(path, errors="replace") as f:
            text = f.read()
        os.unlink(path)
        reports.append(name)
        sys.stderr.write("---- sanitizer report %s\n%s\n" % (name, text))
    return reports


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cattop", required=True)
    ap.add_argument("-k", help="run only tests whose name contains this")
    a = ap.parse_args()
    harness.CATTOP = os.path.abspath(a.cattop)
    checks = harness.checks
    failed_tests = []
    reports_dir = tempfile.mkdtemp(prefix="cattop-sanitizer-")
    os.chmod(reports_dir, 0o1777)  # tests run cattop as other users too
    send_sanitizer_reports_to(reports_dir)
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
            failed_tests.append((t.__name__, status))
        harness.end_leftovers()
        reports = take_sanitizer_reports(reports_dir)
        if reports:  # a sanitizer report fails the test, whatever it checked
            checks["failed"] += 1
            status = "FAIL: sanitizer report from %s (above)" % ", ".join(reports)
            failed_tests.append((t.__name__, status))
        print("integration: %-28s %5.1fs  %s" % (t.__name__, time.monotonic() - t0, status),
              flush=True)
    time.sleep(0.5)  # a cattop that outlived its test may still be writing
    late = take_sanitizer_reports(reports_dir)
    if late:
        checks["failed"] += 1
        print("integration: FAIL: sanitizer report from %s (above), after the tests"
              % ", ".join(late))
    shutil.rmtree(reports_dir, ignore_errors=True)
    print("integration: %d passed, %d failed" % (checks["passed"], checks["failed"]))
    # Repeated last, one line each: a CI log is often read from its tail only.
    for name, status in failed_tests:
        print("integration: failed %s: %s" % (name, status.splitlines()[0][:300]))
    return 1 if checks["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
