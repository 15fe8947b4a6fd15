"""Drill-down widening: --tasks-only probes task polls only, names tasks by
the type their runtime's poll entry runs, and probes a task type's futures
only while it is focused (--focus, or opening the task in the live view)."""
import json
import os
import re
import tempfile
import time

import harness
from harness import (CRATE, MS, NO_WEDGE, Tmux, Workload, check, child, one_task, run_cattop,
                     snapshot, table_rows, uprobe_multi_links, wait_for)

RUNTIMES = ("tokio", "async-std", "smol")


def probed_task_sites(snap):
    p = snap["probes"]
    return p["task_poll"] + p["task_end"] + p.get("task_wake", 0) - p["rejected"]


def walk(nodes):
    for n in nodes:
        yield n
        yield from walk(n["children"])


def probed_futures(t):
    """The futures of task t that probes timed. A poll that began before
    the attach (the workload's wedge does, when attaching is slow on a busy
    machine) is found on its thread's stack and named by the futures there,
    whether they are probed or not: none of those polls is timed."""
    if t.get("found_on_stack"):
        check(all(n["polls"] == n["unknown_polls"] for n in walk(t["futures"])),
              "a poll found on a stack has timed futures: %s" % t["futures"])
        return []
    return t["futures"]


def test_tasks_only_names():
    """No future probe, yet every task is named by its type, on each runtime."""
    for rt in RUNTIMES:
        with Workload(rt, args=["--seconds", "120", *NO_WEDGE]) as w:
            snap = snapshot(w.pid, 2, ["--tasks-only"])
            p = snap["probes"]
            check(p["attached"] == probed_task_sites(snap) and p["deferred"] == p["futures"]
                  and p["futures"] >= 5 and "focus" not in p,
                  "%s: --tasks-only probes %s" % (rt, p))
            check(all(probed_futures(t) == [] for t in snap["tasks"]),
                  "%s: futures under --tasks-only: %s" % (
                      rt, [t["name"] for t in snap["tasks"] if probed_futures(t)]))
            for name in ("ticker_task", "spinner_task", "blocker_task"):
                t = one_task(snap, "%s::%s" % (CRATE[rt], name))
                check(t["type"] == t["name"] and t["polls"] >= 5,
                      "%s: task %s: %s" % (rt, name, {k: t[k] for k in ("type", "polls")}))
            spin = one_task(snap, CRATE[rt] + "::spinner_task")
            check(spin["max_poll_ns"] >= 3 * MS and spin["slow_polls"] >= 10,
                  "%s: the spinner's 3 ms polls: %s" % (rt, spin["max_poll_ns"]))


def test_focus_option():
    """--focus GLOB probes the futures of the matching task types and no others."""
    for rt in RUNTIMES:
        crate = CRATE[rt]
        with Workload(rt, args=["--seconds", "120", *NO_WEDGE]) as w:
            snap = snapshot(w.pid, 3, ["--focus", "*::spinner_task"])
            p = snap["probes"]
            check(p["focus"]["matched"] >= 1 and p["focus"]["futures"] >= 2
                  and p["attached"] == probed_task_sites(snap),
                  "%s: focus probes %s" % (rt, p))
            spin = one_task(snap, crate + "::spinner_task")
            root = spin["futures"][0] if spin["futures"] else None
            check(root and root["name"] == crate + "::spinner_task",
                  "%s: spinner has no root future: %s" % (rt, spin["futures"]))
            sf = child(root, crate + "::SpinFuture")
            # SpinFuture busy-waits 3 ms in one poll, then the task sleeps 20 ms
            check(sf["polls"] >= 10 and sf["max_poll_ns"] >= 3 * MS
                  and sf["slow_polls"] >= sf["polls"] - 1,
                  "%s: SpinFuture %s" % (rt, {k: sf[k] for k in ("polls", "max_poll_ns",
                                                                 "slow_polls")}))
            others = [t for t in snap["tasks"] if probed_futures(t) and t is not spin
                      and t["name"] != crate + "::spinner_task"]
            check(not others, "%s: futures probed outside the focus: %s"
                  % (rt, [t["name"] for t in others]))
            ticker = one_task(snap, crate + "::ticker_task")
            check(ticker["futures"] == [] and ticker["polls"] >= 20,
                  "%s: ticker %s" % (rt, ticker["futures"]))
    with Workload("tokio", args=["--seconds", "120", *NO_WEDGE]) as w:
        snap = snapshot(w.pid, 2, ["--focus", "*::ticker_task"])
        t = one_task(snap, "wl_tokio::ticker_task")
        # the chain of nested async fns, each under its caller (a poll that
        # was in progress while the focused probes went in may add a stray
        # node beside them: it is not the chain, nor in its way)
        want = ["ticker_task", "nested_outer", "nested_middle", "nested_inner"]
        names, level = [], t["futures"]
        for name in want:
            node = next((n for n in level if n["name"].split("::")[-1] == name), None)
            if not node:
                break
            names.append(name)
            level = node["children"]
        check(names == want, "ticker's nested async fns under --focus: %s of %s in %s"
              % (names, want, t["futures"]))
        # those four are all the ticker's type can poll: nothing of other types
        check(snap["probes"]["focus"]["futures"] == 4,
              "--focus ticker_task probes %s" % snap["probes"]["focus"])
        r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "--focus", "*nothing_like_this"])
        check(r.returncode != 0 and r.stderr.count("\n") == 1 and "no task type matches"
              in r.stderr, "--focus without a match: %d %r" % (r.returncode, r.stderr))


def test_tui_drill_down_widens():
    """In the live view with --tasks-only, opening a task attaches its type's
    futures (two more uprobe_multi links), which then show in its tree;
    going back takes them out again."""
    with Workload("tokio", args=["--seconds", "120", *NO_WEDGE]) as w, tempfile.TemporaryDirectory() as d:
        ui = Tmux("%s -p %d --tasks-only -d 0.5" % (harness.CATTOP, w.pid), d)
        try:
            scr = ui.wait_screen(lambda t: "wl_tokio::spinner_task" in t
                                 and "wl_tokio::ticker_task" in t, 60)
            base = len(uprobe_multi_links(w.pid))
            check("wl_tokio::spinner_task" in [n for _, n in table_rows(scr)],
                  "tasks not named by type: %s" % scr)
            # "nner": no letter of it is a key, should the prompt come late
            ui.keys("/", "nner", "Enter")
            scr = ui.wait_screen(lambda t: [n for _, n in table_rows(t)]
                                 == ["wl_tokio::spinner_task"])
            check([n for _, n in table_rows(scr)] == ["wl_tokio::spinner_task"],
                  "filter: %s" % scr)
            ui.keys("Enter", wait=0)
            status = r"probing \d+ futures of wl_tokio::spinner_task"
            scr = ui.wait_screen(lambda t: re.search(status, t))  # it lasts 5 s
            check(re.search(status, scr) and "focus wl_tokio::spinner_task" in scr,
                  "no focus status: %s" % scr)
            scr = ui.wait_screen(lambda t: "wl_tokio::SpinFuture" in t)
            check(len(uprobe_multi_links(w.pid)) == base + 2,
                  "links %d, want %d + 2" % (len(uprobe_multi_links(w.pid)), base))
            check("wl_tokio::SpinFuture" in scr, "no SpinFuture in the tree: %s" % scr)
            ui.keys("s", wait=0)
            snaps = wait_for(lambda: [f for f in os.listdir(d) if f.endswith(".json")], 10)
            check(len(snaps) == 1, "the s key wrote %s" % snaps)
            with open(os.path.join(d, snaps[0])) as f:
                snap = json.load(f)
            with_futures = {t["name"] for t in snap["tasks"] if probed_futures(t)}
            check(with_futures <= {"wl_tokio::spinner_task"},
                  "futures outside the focused type: %s" % with_futures)
            ui.keys("Escape", wait=0)
            wait_for(lambda: len(uprobe_multi_links(w.pid)) == base, 10)
            scr = ui.wait_screen(lambda t: "focus" not in t)
            check(len(uprobe_multi_links(w.pid)) == base and "focus" not in scr,
                  "focus not taken out: links %d, base %d" % (len(uprobe_multi_links(w.pid)),
                                                               base))
            ui.keys("q", wait=0)
            scr = ui.wait_screen(lambda t: "EXIT=" in t)
            check("EXIT=0" in scr, "q: %s" % scr)
            check(w.alive(), "target died")
        finally:
            ui.close()


TESTS = [test_tasks_only_names, test_focus_option, test_tui_drill_down_widens]
