"""Await lines the user can act on (issue #15 points 3, 4, 6).

wl-join parks tasks in tokio::join!, tokio::select!, futures::join! and
futures::select!: rustc places those awaits in the macros' own files, and
cattop must give the line of the macro call in wl-join instead, and the
line each joined future waits at. Where a line is not known, the snapshot
says why; and tasks aborted while parked leave no abandoned frames."""
import os
import re
import signal
import tempfile

import harness
from harness import Workload, check, one_task, parse_snapshot

REL = "wl-join/src/main.rs"
CRATE = "wl_join"


def source():
    with open(os.path.join(harness.WORKLOADS, REL)) as f:
        return f.read().splitlines()


def marked_line(mark):
    """The line carrying `// AWAIT: mark`: where the macro is called."""
    lines = source()
    hits = [n + 1 for n, l in enumerate(lines) if re.search(r"// AWAIT: %s$" % mark, l)]
    check(len(hits) == 1, "marker %s found %d times in %s" % (mark, len(hits), REL))
    return "%s:%d" % (REL, hits[0])


def line_in_fn(fn, pattern):
    lines = source()
    start = next(i for i, l in enumerate(lines) if re.search(r"async fn %s\(" % fn, l))
    for n in range(start, len(lines)):
        if re.search(pattern, lines[n]):
            return "%s:%d" % (REL, n + 1)
    raise harness.CheckFailed("%r not in %s" % (pattern, fn))


# task -> (its macro marker, the joined futures: which must be parked at
# their sleep, which may instead have finished in the task's last poll)
MACRO_TASKS = {
    "tokio_join_task": ("tokio_join", ["join_left"], ["join_right"]),
    "tokio_select_task": ("tokio_select", ["select_slow", "select_slower"], []),
    "futures_join_task": ("futures_join", ["join_left"], ["join_right"]),
    "futures_select_task": ("futures_select", ["select_slow", "select_slower"], []),
}


def sleep_line(fn):
    return line_in_fn(fn, r"sleep\(.*\)\.await")


def idle_tasks(snap, name):
    return [t for t in snap["tasks"] if t["name"] == CRATE + "::" + name and t["state"] == "idle"]


def snapshot_of(pid, extra=()):
    """A snapshot once every macro task has gone round its loop twice
    since cattop attached (2 s of target time at least; longer on a
    busy machine), so each was seen parked after a poll."""
    snap = harness.snapshot_when_polled(pid, CRATE + "::futures_select_task", 4, extra)
    # a poll lasts microseconds, but a preempted one can be caught running:
    # then another look (the lines are only read for idle tasks)
    for _ in range(5):
        if all(idle_tasks(snap, task) for task in MACRO_TASKS):
            break
        snap = harness.snapshot(pid, 2, extra)
    return snap


def check_macro_task(snap, task):
    mark, parked, maybe_done = MACRO_TASKS[task]
    idle = idle_tasks(snap, task)
    check(idle, "%s not idle: %s" % (task, [t["state"] for t in snap["tasks"]
                                             if t["name"] == CRATE + "::" + task]))
    t = idle[0]
    want = [{"name": CRATE + "::" + task, "awaiting": marked_line(mark)}]
    check(t.get("await_stack") == want, "%s await stack %s, want %s"
          % (task, t.get("await_stack"), want))
    root = next(f for f in t["futures"] if f["name"] == CRATE + "::" + task)
    check(root.get("awaiting") == want[0]["awaiting"], "%s node awaiting %s"
          % (task, root.get("awaiting")))
    children = {c["name"]: c for c in root["children"]}
    for fn in parked:
        c = children.get(CRATE + "::" + fn)
        check(c is not None and c.get("awaiting") == sleep_line(fn),
              "%s: joined %s awaiting %s, want %s"
              % (task, fn, c and c.get("awaiting"), sleep_line(fn)))
    for fn in maybe_done:  # finished in the last poll: no line, no false one
        c = children.get(CRATE + "::" + fn)
        check(c is None or c.get("awaiting") in (None, sleep_line(fn)),
              "%s: %s awaiting %s" % (task, fn, c and c.get("awaiting")))


def check_reasons(snap):
    """Every idle task has an await stack or says why not; every null line
    in a stack or tree says why."""
    for t in snap["tasks"]:
        if t["state"] == "idle":
            check(t.get("await_stack") or t.get("await_stack_unknown"),
                  "idle task %s: neither await_stack nor await_stack_unknown" % t["name"])
        for frame in t.get("await_stack", []):
            check(frame["awaiting"] or frame.get("awaiting_unknown"),
                  "%s: frame %s null without a reason" % (t["name"], frame))

        def walk(nodes):
            for n in nodes:
                if "awaiting" in n and n["awaiting"] is None:
                    check(n.get("awaiting_unknown"), "%s: node %s null without a reason"
                          % (t["name"], n["name"]))
                walk(n["children"])
        walk(t["futures"])


def test_macro_await_lines():
    """join!/select! awaits point at the macro call in wl-join (not at
    tokio's macros/join.rs or futures-util's select_mod.rs), and the futures
    they poll at their own awaits; in debug and optimised builds."""
    for profile in ("debug", "release-debuginfo"):
        with Workload("join", profile, args=["--seconds", "300"]) as w:
            snap = snapshot_of(w.pid, ["--no-cache"] if profile == "debug" else [])
            for task in MACRO_TASKS:
                t = idle_tasks(snap, task)
                if profile == "debug":
                    check_macro_task(snap, task)
                else:  # the joined fns are inlined: the task's own line
                    check(t and t[0].get("await_stack") == [
                        {"name": CRATE + "::" + task, "awaiting": marked_line(
                            MACRO_TASKS[task][0])}],
                        "%s %s await stack %s" % (profile, task, t and t[0].get("await_stack")))
            check_reasons(snap)
            check(w.alive(), "the target died")


def test_await_unknown_reasons():
    """Line tables only (debug = 1): no state layout, and the snapshot says
    so for each idle task instead of leaving it blank."""
    with Workload("tokio", "release", args=["--seconds", "300", "--wedge-after-ms", "600000"]) as w:
        snap = harness.snapshot_when_polled(w.pid, "wl_tokio::parked_task", 2)
        parked = one_task(snap, "wl_tokio::parked_task", "idle")
        check("await_stack" not in parked, "a stack without types: %s" % parked)
        check((parked.get("await_stack_unknown") or "").startswith("no DWARF types (debug=1)"),
              "parked_task's reason %r" % parked.get("await_stack_unknown"))
        check_reasons(snap)


def test_launched_relative_await_stack():
    """cattop -- ./relative/path: the await stack goes past the root (the
    code's load bias was looked up under the relative name and never found,
    so no child's call site could be read: async-std's parked_task showed
    its root only)."""
    r = harness.run_cattop(["-b", "-n", "1", "-d", "3", "--snapshot", "-", "--",
                            os.path.join("target", "debug", "wl-async-std"), "--seconds", "30",
                            "--wedge-after-ms", "600000"], timeout=120, cwd=harness.WORKLOADS)
    m = re.search(r"ready pid=(\d+)", r.stdout)
    if m:  # cattop's command may outlive it: never left running
        try:
            os.kill(int(m.group(1)), signal.SIGKILL)
        except ProcessLookupError:
            pass
    check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
    snap = parse_snapshot(r.stdout)
    check(not snap["target_exited"], "the command exited before the snapshot")
    parked = one_task(snap, "wl_async_std::parked_task", "idle")
    names = [f["name"] for f in parked.get("await_stack", [])]
    check(names == ["wl_async_std::parked_task", "wl_async_std::parked_outer",
                    "wl_async_std::parked_inner"], "launched: parked stack %s" % names)
    check(parked["await_stack"][-1]["awaiting"] == harness.source_line(
        "async-std", r"sleep\(.*300.*\)\.await"), "innermost line %s" % parked["await_stack"])


def test_aborted_tasks_counters():
    """Tasks aborted while parked two async fns deep (abort_task's doomed),
    and select! branches dropped while parked, every 100 ms: a dropped
    future is not a poll, so no poll is abandoned and no return is
    unmatched (README: Counters)."""
    with Workload("join", args=["--seconds", "300"]) as w:
        snap = harness.snapshot_when_polled(w.pid, CRATE + "::abort_task", 30)
        c = snap["counters"]
        doomed = [t for t in snap["tasks"] if t["name"] == CRATE + "::doomed"]
        done = [t for t in doomed if t["state"] == "done"]
        check(len(done) >= 10, "aborted doomed tasks seen done: %d of %d"
              % (len(done), len(doomed)))
        for t in done:
            check(t["unknown_polls"] == 0, "aborted task %s: unknown polls" % t)
        check(c["gaps"] == 0 or snap["events_lost"] > 0, "gaps without lost events %s" % c)
        if c["gaps"] == 0:  # with no event lost, every poll ended as seen
            check(c["abandoned_frames"] == 0 and c["unmatched_returns"] == 0,
                  "counters after aborts %s" % c)


def test_tui_macro_await_lines():
    """The live tree shows the select! at its call in wl-join, and each
    future it awaits at its own sleep."""
    with Workload("join", args=["--seconds", "300"]) as w, tempfile.TemporaryDirectory() as d:
        ui = harness.Tmux("%s -p %d -d 0.5" % (harness.CATTOP, w.pid), d, 150, 30)
        try:
            ui.wait_screen(lambda t: "tokio_select_task" in t, 60)
            ui.keys("/", wait=0.2)
            ui.keys("tokio_select_task", "Enter")
            ui.wait_screen(lambda t: [n for _, n in harness.table_rows(t)]
                           == [CRATE + "::tokio_select_task"])
            ui.keys("Enter")
            want = {"tokio_select_task": marked_line("tokio_select"),
                    "select_slow": sleep_line("select_slow"),
                    "select_slower": sleep_line("select_slower")}

            def row(scr, fn):
                return next((l for l in scr.splitlines()
                             if re.search(r"%s::%s\b" % (CRATE, fn), l) and "async fn" in l), "")

            def shown(scr):
                return all(row(scr, fn).rstrip().endswith("await :" + line.split(":")[1])
                           for fn, line in want.items())

            # the lines fill in at the task's next poll (every 400 ms)
            scr = ui.wait_screen(shown)
            for fn in want:
                check(row(scr, fn).rstrip().endswith("await :" + want[fn].split(":")[1]),
                      "tree row of %s: %r, want %s" % (fn, row(scr, fn), want[fn]))
        finally:
            ui.close()


TESTS = [test_macro_await_lines, test_tui_macro_await_lines, test_await_unknown_reasons, test_launched_relative_await_stack,
         test_aborted_tasks_counters]
