"""Caller-side probes (src/probe/caller_sites.h): in a plain debug build
cattop probes each future on the calls to it and the jump (or forwarding
shim's ret) after each, which the kernel emulates, instead of its
single-stepped entry and rets; what it reports of the polls stays what
those gave. A release build keeps its own probes."""
import re

from harness import NO_WEDGE, Workload, check, parse_snapshot, run_cattop
from test_core import check_future_tree

STARTUP = re.compile(r"; (\d+) futures are probed in their callers instead")


def traced(runtime, profile, seconds):
    """(snapshot, cattop's stderr) after seconds of tracing with -v."""
    with Workload(runtime, profile, args=["--seconds", "120", *NO_WEDGE]) as w:
        r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", str(seconds), "-v",
                        "--snapshot", "-", "-t", "1ms"])
        check(w.alive(), "the target died")
    check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
    return parse_snapshot(r.stdout), r.stderr


def check_debug(runtime):
    snap, err = traced(runtime, "debug", 3.2)
    probes = snap["probes"]
    kept = [line for line in err.splitlines() if "keeps its own probes" in line]
    # every future of the workload: all are called directly, never through
    # a pointer, and their callers' code is a plain debug build's
    check(probes["futures"] > 0 and probes["caller_side"] == probes["futures"] and not kept,
          "%s: %d of %d futures probed in their callers; kept: %s"
          % (runtime, probes["caller_side"], probes["futures"], kept))
    said = STARTUP.search(err)
    check(said and int(said.group(1)) == probes["caller_side"],
          "%s: the startup line does not say it: %r" % (runtime, err))
    # the same tree, poll counts, slow polls and poll times (SpinFuture's
    # 3 ms, the async block's 2 ms) as with the functions' own probes, and
    # no return without its entry
    check_future_tree(runtime, snap)


def test_caller_side_tokio():
    check_debug("tokio")


def test_caller_side_async_std():
    check_debug("async-std")


def test_caller_side_smol():
    check_debug("smol")


def test_caller_side_not_in_release():
    """Optimised code starts its functions with an emulated push: nothing
    to gain, and its probes stay as they were."""
    snap, err = traced("tokio", "release", 1)
    check(snap["probes"]["caller_side"] == 0 and "keeps its own probes" not in err,
          "release: %d futures probed in their callers: %s"
          % (snap["probes"]["caller_side"], err))


TESTS = [test_caller_side_tokio, test_caller_side_async_std, test_caller_side_smol,
         test_caller_side_not_in_release]
