"""Where idle tasks are parked: each runtime's parked_task sits three async
fns deep in a 300 ms sleep, and the snapshot must give that await stack line
by line, as the workload sources have it; so must the live tree view."""
import os
import re
import subprocess
import tempfile
import time

import harness
from harness import CRATE, Tmux, Workload, check, one_task, snapshot

WORKLOADS = os.path.join(harness.ROOT, "tests", "workloads")


def line_in_fn(runtime, fn, pattern):
    """file:line of the first line matching pattern inside `async fn fn(`."""
    rel = "wl-%s/src/main.rs" % runtime
    with open(os.path.join(WORKLOADS, rel)) as f:
        lines = f.read().splitlines()
    start = next(i for i, l in enumerate(lines) if re.search(r"async fn %s\(" % fn, l))
    for n in range(start, len(lines)):
        if re.search(pattern, lines[n]):
            return "%s:%d" % (rel, n + 1)
    raise harness.CheckFailed("%r not in %s of %s" % (pattern, fn, rel))


# the future a runtime's sleep(...).await holds, as DWARF names its type
SLEEP = {"tokio": "tokio::time::sleep::Sleep", "tokio-153": "tokio::time::sleep::Sleep",
         "async-std": "async_std::task::sleep::sleep::{async_fn_env#0}",
         "smol": "async_io::Timer"}


def expected_parked_stack(runtime):
    crate = CRATE[runtime]
    return [
        # awaitee: what DWARF says the .await holds (awaitee_names.h)
        {"name": crate + "::parked_task",
         "awaiting": line_in_fn(runtime, "parked_task", r"parked_outer\(\)\.await"),
         "awaitee": crate + "::parked_outer::{async_fn_env#0}"},
        {"name": crate + "::parked_outer",
         "awaiting": line_in_fn(runtime, "parked_outer", r"parked_inner\(\)\.await"),
         "awaitee": crate + "::parked_inner::{async_fn_env#0}"},
        {"name": crate + "::parked_inner",
         "awaiting": line_in_fn(runtime, "parked_inner", r"sleep\(.*300.*\)\.await"),
         "awaitee": SLEEP[runtime]},
    ]


def check_parked(runtime, snap, depth=3):
    parked = one_task(snap, CRATE[runtime] + "::parked_task", "idle")
    want = expected_parked_stack(runtime)[:depth]
    check(parked.get("await_stack") == want, "%s parked_task await stack %s, want %s"
          % (runtime, parked.get("await_stack"), want))
    # the tree carries the same lines on its nodes
    node = parked
    for frame in want:
        node = next(c for c in node.get("children", node.get("futures"))
                    if c["name"] == frame["name"])
        check(node.get("awaiting") == frame["awaiting"], "%s: node awaiting %s"
              % (frame["name"], node.get("awaiting")))


def check_spinner(runtime, snap):
    """The spinner's SpinFuture finished before it went to sleep: the stack
    stops at the sleep, it does not name the finished future."""
    spinner = [t for t in snap["tasks"] if t["name"] == CRATE[runtime] + "::spinner_task"
               and t["state"] == "idle"]
    if not spinner:  # busy spinning at the snapshot's moment: nothing to check
        return
    want = [{"name": CRATE[runtime] + "::spinner_task",
             "awaiting": line_in_fn(runtime, "spinner_task", r"sleep\(.*\)\.await"),
             "awaitee": SLEEP[runtime]}]
    check(spinner[0].get("await_stack") == want, "%s spinner stack %s, want %s"
          % (runtime, spinner[0].get("await_stack"), want))


def test_await_points():
    for runtime in ("tokio", "async-std", "smol"):
        with Workload(runtime, args=["--seconds", "120", "--wedge-after-ms", "600000"]) as w:
            snap = snapshot(w.pid, 2)
            check_parked(runtime, snap)
            check_spinner(runtime, snap)
            check(w.alive(), "the target died")


def test_await_points_release():
    """Optimised with full debug info: the root future's state still gives
    its line (the nested fns are inlined into it, unprobed). With line tables
    only (debug = 1) there is no state layout: no stack rather than a guess."""
    with Workload("tokio", "release-debuginfo",
                  args=["--seconds", "120", "--wedge-after-ms", "600000"]) as w:
        snap = snapshot(w.pid, 2)
        check_parked("tokio", snap, depth=1)
        check_spinner("tokio", snap)
    with Workload("tokio", "release", args=["--seconds", "120", "--wedge-after-ms", "600000"]) as w:
        snap = snapshot(w.pid, 2)
        stacks = [t["name"] for t in snap["tasks"] if t.get("await_stack")]
        check(not stacks, "await stacks without the DWARF to back them: %s" % stacks)
        check_inlined_reported(snap)


def check_inlined_reported(snap):
    """The nested async fns were inlined into ticker_task: no probe can time
    them, and the snapshot says so, with their lines."""
    crate = CRATE["tokio"]
    unprobed = {f["name"]: f for f in snap["unprobed_futures"]}
    for name in ("nested_outer", "nested_middle", "nested_inner"):
        f = unprobed.get(crate + "::" + name)
        check(f is not None, "%s not reported as unprobed: %s" % (name, sorted(unprobed)))
        check(f["inlined_into"] == crate + "::ticker_task" and f["kind"] == "async_fn" and
              f["location"] == harness.source_line("tokio", r"async fn %s\(" % name),
              "%s reported as %s" % (name, f))
    ticker = one_task(snap, crate + "::ticker_task")
    root = next(f for f in ticker["futures"] if f["name"] == crate + "::ticker_task")
    check(root.get("inlined") == [crate + "::nested_outer", crate + "::nested_middle",
                                  crate + "::nested_inner"], "ticker's inlined %s"
          % root.get("inlined"))


def test_tui_await_points():
    with Workload("tokio", args=["--seconds", "120", "--wedge-after-ms", "600000"]) as w, \
            tempfile.TemporaryDirectory() as d:
        ui = Tmux("%s -p %d -d 0.5" % (harness.CATTOP, w.pid), d, 150, 30)
        try:
            ui.wait_screen(lambda t: "parked_task" in t, 60)
            ui.keys("/", wait=0.2)
            ui.keys("parked_task", "Enter")
            ui.wait_screen(lambda t: [n for _, n in harness.table_rows(t)]
                           == ["wl_tokio::parked_task"])
            ui.keys("Enter")
            want = expected_parked_stack("tokio")

            def tree_row(scr, frame):
                return next((l for l in scr.splitlines() if frame["name"] in l
                             and "async fn" in l), "")

            def awaiting(scr, frame):
                return tree_row(scr, frame).rstrip().endswith(
                    "await :" + frame["awaiting"].split(":")[1])

            # the tree fills in at the parked task's next poll (every 300 ms)
            scr = ui.wait_screen(lambda t: all(awaiting(t, f) for f in want))
            for frame in want:
                check(awaiting(scr, frame), "tree row of %s: %r"
                      % (frame["name"], tree_row(scr, frame)))
            ui.save("tui-await.txt")
        finally:
            ui.close()




def test_split_debug_file():
    """DWARF in a separate file, found through .gnu_debuglink as gdb finds
    it, or given with --debug-file: locations and await points as before."""
    with tempfile.TemporaryDirectory() as d:
        exe, dbg = os.path.join(d, "wl-tokio"), os.path.join(d, "wl-tokio.debug")
        other = os.path.join(d, "elsewhere.debug")
        subprocess.run(["objcopy", "--only-keep-debug", harness.binary("tokio"), dbg], check=True)
        subprocess.run(["objcopy", "--strip-debug", "--add-gnu-debuglink=" + dbg,
                        harness.binary("tokio"), exe], check=True)
        with Workload("tokio", exe=exe, args=["--seconds", "120", "--wedge-after-ms", "600000"]) as w:
            snap = snapshot(w.pid, 2)
            check(snap["probes"].get("debug_file") == dbg, "debug file %s"
                  % snap["probes"].get("debug_file"))
            check_parked("tokio", snap)
            os.rename(dbg, other)
            snap = snapshot(w.pid, 1)
            check(not snap["probes"]["dwarf"], "DWARF found without its file")
            snap = snapshot(w.pid, 2, ["--debug-file", other])
            check(snap["probes"].get("debug_file") == other, "--debug-file not used")
            check_parked("tokio", snap)
        # fully stripped (no .symtab either): the symbols come from the
        # debug file, the file offsets from the binary
        stripped = os.path.join(d, "wl-tokio-stripped")
        subprocess.run(["strip", "-o", stripped + ".tmp", harness.binary("tokio")], check=True)
        subprocess.run(["objcopy", "--add-gnu-debuglink=" + other, stripped + ".tmp", stripped],
                       check=True)
        with Workload("tokio", exe=stripped,
                      args=["--seconds", "120", "--wedge-after-ms", "600000"]) as w:
            snap = snapshot(w.pid, 2, ["--debug-file", other])
            check(snap["probes"]["task_poll"] > 0 and snap["probes"]["futures"] > 0,
                  "stripped binary with a debug file: %s" % snap["probes"])
            check_parked("tokio", snap)


TESTS = [test_await_points, test_await_points_release, test_tui_await_points,
         test_split_debug_file]
