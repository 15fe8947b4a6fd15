"""Warnings (issue #16) from the workloads' known truth:

- awaiting_lock: wl-hung's two deadlocked tasks are parked for good on
  tokio's Mutex::lock (each holds the lock the other awaits); its
  connection tasks, parked as long on an mpsc recv, are not flagged. What
  each task awaits is read from DWARF (the await stack's "awaitee").
- self_wake_loop: wl-tokio --yield-loops 1 runs a task that loops on
  yield_now() and nothing else; the healthy tasks (timers, the sched tasks
  that self-wake once between sleeps) are not flagged."""
import re
import tempfile

import harness
from test_hung import Hung
from harness import (CRATE, S, Tmux, check, parse_snapshot, run_cattop, snapshot_when_polled,
                     Workload)

LOCK = "tokio::sync::Mutex::lock"


def check_awaiting_lock(runtime):
    crate = "wl_" + runtime.replace("-", "_")
    deadlocked = {crate + "::deadlock_a", crate + "::deadlock_b"}
    with Hung("debug", idle=20, runtime=runtime) as w:
        # -d 1.5: every task has been idle since the attach for > 1 s
        r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", "1.5", "-r", "0",
                        "--snapshot", "-"])
    check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
    snap = parse_snapshot(r.stdout)
    tasks = [t for t in snap["tasks"] if t["state"] != "done"]
    flagged = sorted(t["name"] for t in tasks if "awaiting_lock" in t.get("warnings", []))
    check(flagged == sorted(deadlocked), "%s: tasks awaiting_lock: %s" % (runtime, flagged))
    check(snap["warnings"]["awaiting_lock"] == 2, "%s: warnings %s" % (runtime, snap["warnings"]))
    for t in tasks:
        leaf = t["await_stack"][-1]
        if t["name"] in deadlocked:
            detail = t["warning_details"]["awaiting_lock"]
            m = re.fullmatch(re.escape(LOCK) + r" for \u2265([\d.]+)s", detail)
            check(t["warnings"] == ["awaiting_lock"] and m and float(m.group(1)) >= 1.0
                  and t["idle_ns"] >= S,
                  "%s: %s: %s (idle %d ns)" % (runtime, t["name"], detail, t["idle_ns"]))
            check(re.fullmatch(r"tokio::sync::mutex::\{impl#\d+\}::lock::\{async_fn_env#0\}<u64>",
                               leaf.get("awaitee", "")),
                  "%s: %s awaits %s" % (runtime, t["name"], leaf))
        else:  # parked as long, on a channel: no lock
            check(t["name"] == crate + "::connection_task" and "warnings" not in t
                  and "::mpsc::" in leaf.get("awaitee", "") and t["idle_ns"] >= S,
                  "%s: %s: warnings %s, awaits %s" % (runtime, t["name"], t.get("warnings"), leaf))
    table = r.stdout.split("\n{")[0]
    check("Warnings: 2 tasks awaiting a lock > 1s" in table,
          "%s: no Warnings line:\n%s" % (runtime, table[:400]))
    rows = [l for l in table.splitlines() if "[awaiting_lock: %s for \u2265" % LOCK in l]
    check(len(rows) == 2 and all(any(n + "  [" in l for n in deadlocked) for l in rows),
          "%s: rows marked awaiting_lock: %s" % (runtime, rows))


def test_lints_awaiting_lock():
    """tokio 1.24 and 1.53: exactly the two deadlocked tasks, on Mutex::lock, for > 1 s."""
    for runtime in ("hung", "hung-153"):
        check_awaiting_lock(runtime)


def test_lints_live_warnings_line():
    """The live view's Warnings line at 80x24: the two deadlocked tasks,
    once parked over a second, and nothing else (the wl-hung has no lost
    waker here)."""
    with Hung("debug", idle=20) as w:
        ui = Tmux("%s -p %d -d 0.5" % (harness.CATTOP, w.pid), tempfile.gettempdir(), 80, 24)
        try:
            want = "Warnings: 2 tasks awaiting a lock > 1s"
            scr = ui.wait_screen(lambda scr: want in scr, timeout=30)
            line = [l for l in scr.splitlines() if l.startswith("Warnings:")]
            check(len(line) == 1 and line[0].rstrip() == want,
                  "80x24: Warnings line %s, want %r:\n%s" % (line, want, scr))
        finally:
            ui.close()


def check_self_wake_loop(runtime, profile):
    crate = CRATE[runtime]
    with Workload(runtime, profile, args=["--seconds", "300", "--yield-loops", "1",
                                          "--sched-spin-ms", "5",
                                          "--wedge-after-ms", "1000000"]) as w:
        # the healthy tasks polled often enough to have looped, were they to
        snap = snapshot_when_polled(w.pid, crate + "::sched::sched_yield_task", 60,
                                    also={crate + "::fast_task": 100,
                                          crate + "::sched::sched_self_wake_task": 60})
        check(w.alive(), "the target died")
    tasks = [t for t in snap["tasks"] if t["state"] != "done"]
    what = "%s %s" % (runtime, profile)
    flagged = [t for t in tasks if "self_wake_loop" in t.get("warnings", [])]
    check([t["name"] for t in flagged] == [crate + "::yield_loop_task"],
          "%s: tasks flagged self_wake_loop: %s" % (what, [t["name"] for t in flagged]))
    loop = flagged[0]
    m = re.fullmatch(r"woke itself (\d+) times in a row",
                     loop["warning_details"]["self_wake_loop"])
    check(m and 100 <= int(m.group(1)) <= loop["self_wakes"] <= loop["wakes"]
          and loop["self_wakes"] >= 0.9 * loop["wakes"],
          "%s: yield loop: %s, wakes %d, self %d" % (what, loop["warning_details"],
                                                    loop["wakes"], loop["self_wakes"]))
    check(snap["warnings"]["self_wake_loop"] == 1, "%s: warnings %s" % (what, snap["warnings"]))
    # A yield (or wake_by_ref) then a sleep: self-wakes seen, each followed
    # by the timer's wake, never a loop.
    for name in ("sched::sched_yield_task", "sched::sched_self_wake_task"):
        t = [t for t in tasks if t["name"] == crate + "::" + name]
        check(len(t) == 1 and t[0]["self_wakes"] >= 20 and "warnings" not in t[0],
              "%s: %s: %s" % (what, name, t and {k: t[0].get(k) for k in (
                  "polls", "wakes", "self_wakes", "warnings")}))


def test_lints_self_wake_loop():
    """tokio 1.24 and 1.53, optimised builds: there tokio's deferred
    yield_now wake is told to be the task's own (a debug build's goes
    through std's out-of-line Waker::wake: README)."""
    for runtime in ("tokio", "tokio-153"):
        check_self_wake_loop(runtime, "release-debuginfo")


TESTS = [test_lints_awaiting_lock, test_lints_live_warnings_line, test_lints_self_wake_loop]
