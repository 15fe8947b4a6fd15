"""The tokio tests again on today's tokio (1.53, tests/workloads-tokio-1.53):
the same workload sources, built as wl-tokio-153 and wl-hung-153. tokio
1.53 keeps its owned tasks in a sharded list and its runtime handle one
level deeper in the CONTEXT thread-local than 1.24: the probes, the task
walk and the cells' await points must follow both."""
from harness import check, snapshot_wedged, wedging_workload
from test_core import check_future_tree, check_wedged
from test_hung import Hung, check_hung, check_idle_before_attach, first_refresh


def test_tokio_153():
    """wl-tokio-153 traced as wl-tokio is (test_core.test_tokio): named
    tasks and their futures, polls, source lines, the wedge; and its live
    tasks walked from tokio 1.53's sharded list."""
    with wedging_workload("tokio-153") as w:
        snap, wedge_age = snapshot_wedged(w, 3.2, 1.8, ["-t", "1ms"])
        check_future_tree("tokio-153", snap)
        check_wedged("tokio-153", snap, wedge_age)
        walk = snap["task_walk"]
        check(walk["active"] and walk["runtimes"] == 1 and walk["walks"] >= 1
              and walk["tasks"] >= 7,
              "tokio 1.53: task walk %s" % walk)
        check(w.alive(), "the target died")


def test_tokio_153_idle_before_attach():
    check_idle_before_attach("tokio-153")


def test_hung_153_debug():
    check_hung("debug", "hung-153")


def test_hung_153_release_debuginfo():
    check_hung("release-debuginfo", "hung-153")


def test_hung_153_release_says_why():
    """debug = 1 has no types: no task is listed, and cattop says what is missing."""
    with Hung("release", runtime="hung-153") as w:
        table, snap = first_refresh(w.pid)
        walk = snap["task_walk"]
        check(not walk["active"] and "debug = 1" in walk["status"]
              and "CONTEXT" in walk["status"], "hung-153 release: walk status %s" % walk)
        check("Task lists: not read: " in table, "hung-153 release: the table does not say why")


TESTS = [test_tokio_153, test_tokio_153_idle_before_attach, test_hung_153_debug,
         test_hung_153_release_debuginfo, test_hung_153_release_says_why]
