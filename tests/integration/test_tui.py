"""The live view, driven in tmux."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

import harness
from harness import (CRATE, MS, S, CheckFailed, Workload, binary, check, child,
                     one_task, parse_snapshot, run_cattop, snapshot, source_line, tasks_named,
                     uprobe_multi_links, wait_for, wedging_workload, Tmux, table_rows)


def test_tui():
    """The live view in tmux: table, highlighting marker, workers panel, sorting,
    drill-down tree, detail, snapshot key, resize, quit. Each step waits for
    the screen it expects: cattop redraws every 0.5 s, later on a busy
    machine."""
    with wedging_workload("tokio") as w, tempfile.TemporaryDirectory() as d:
        ui = Tmux("%s -p %d -t 1ms -d 0.5" % (harness.CATTOP, w.pid), d)
        try:
            def listed(scr):
                names = [n for _, n in table_rows(scr)]
                return "wl_tokio::spinner_task" in names and "wl_tokio::ticker_task" in names

            scr = ui.wait_screen(lambda t: listed(t) and "Workers" in t, 60)
            check("runtime tokio" in scr and "threshold 1.00ms" in scr, "header: %s" % scr)
            check(listed(scr), "tasks not listed: %s" % scr)
            names = [n for _, n in table_rows(scr)]
            spin = [l for l in scr.splitlines() if l.endswith("wl_tokio::spinner_task")][0]
            check("!" in spin, "slow spinner row not marked: %r" % spin)
            # preemption does not make a poll slow: it holds on a busy machine
            tick = [l for l in scr.splitlines() if l.endswith("wl_tokio::ticker_task")][0]
            check("!" not in tick, "fast ticker row marked slow: %r" % tick)
            check(names.index("wl_tokio::spinner_task") < names.index("wl_tokio::ticker_task"),
                  "not sorted by longest poll: %s" % names)
            check("Workers" in scr and "tokio-runtime-w" in scr, "no workers panel")
            ui.save("tui-tasks.txt")
            # sort by name: > three times (LONGEST -> INFLIGHT -> SLOW -> NAME)
            ui.keys(">", ">", ">")
            scr = ui.wait_screen(lambda t: "NAMEv" in t)
            names = [n for _, n in table_rows(scr)]
            check("NAMEv" in scr and names == sorted(names), "not sorted by name: %s" % names)
            ui.keys("i")
            scr = ui.wait_screen(lambda t: "NAME^" in t)
            names = [n for _, n in table_rows(scr)]
            check(names == sorted(names, reverse=True), "not inverted: %s" % names)
            # filter, then drill into the ticker task's tree
            ui.keys("/", "ticker", "Enter")
            scr = ui.wait_screen(lambda t: [n for _, n in table_rows(t)]
                                 == ["wl_tokio::ticker_task"])
            check([n for _, n in table_rows(scr)] == ["wl_tokio::ticker_task"],
                  "filter: %s" % scr)
            ui.keys("Enter")

            def tree_depths(scr):
                depth = {}
                for line in scr.splitlines():
                    for f in ("ticker_task", "nested_outer", "nested_middle", "nested_inner"):
                        if re.search(r"wl_tokio::%s" % f[:10], line) and "async fn" in line:
                            depth[f] = line.index("wl_tokio::")
                return depth

            scr = ui.wait_screen(lambda t: len(tree_depths(t)) == 4)
            depth = tree_depths(scr)
            check(len(depth) == 4 and depth["ticker_task"] < depth["nested_outer"]
                  < depth["nested_middle"] < depth["nested_inner"], "tree: %s" % scr)
            ui.save("tui-tree.txt")
            ui.keys("Down", "Enter")
            scr = ui.wait_screen(lambda t: "Poll time histogram" in t)
            check("Poll time histogram" in scr and "p50" in scr and
                  source_line("tokio", r"async fn ticker_task\(") in scr, "detail: %s" % scr)
            ui.save("tui-detail.txt")
            ui.keys("Escape", "Escape", "Escape")
            ui.keys("<", "<", "<", "i", "Home")  # back to longest poll, cursor on top
            check("LONGESTv" in ui.wait_screen(lambda t: "LONGESTv" in t),
                  "sort not back on LONGEST")
            ui.keys("s")
            snaps = wait_for(lambda: [f for f in os.listdir(d)
                                      if f.startswith("cattop-%d-" % w.pid)], 10)
            check(len(snaps) == 1, "snapshot key wrote %s" % snaps)
            with open(os.path.join(d, snaps[0])) as f:
                snap = json.load(f)
            check(snap["pid"] == w.pid and len(snap["tasks"]) >= 5, "snapshot content")
            check(snaps[0] in ui.wait_screen(lambda t: snaps[0] in t),
                  "snapshot name not in the status line")
            # the wedge (begun now, under the probes): the worker polling it
            # jumps out, and its task comes first
            w.wedge()

            def wedged_shown(scr):
                wl = [l for l in scr.splitlines() if "wedged_task" in l and
                      "tokio-runtime-w" in l]
                rows = table_rows(scr)
                return (len(wl) == 1 and "!" in wl[0] and rows
                        and rows[0][1] == "wl_tokio::wedged_task")

            scr = ui.wait_screen(wedged_shown, 8)
            wl = [l for l in scr.splitlines() if "wedged_task" in l and "tokio-runtime-w" in l]
            check(len(wl) == 1 and "!" in wl[0], "wedged worker not shown: %s" % scr)
            check(table_rows(scr)[0][1] == "wl_tokio::wedged_task", "wedged task not first: %s" % scr)
            ui.save("tui-wedged.txt")
            ui.keys("g")
            scr = ui.wait_screen(lambda t: "ROOT FUTURE" in t and "wl_tokio::short_lived" in t)
            check("ROOT FUTURE" in scr and "wl_tokio::short_lived" in scr, "grouped view")
            ui.save("tui-grouped.txt")
            ui.keys("g")
            for wh in ((80, 24), (40, 10), (100, 30)):
                ui.resize(*wh)
                check("cattop" in ui.wait_screen(lambda t: "cattop" in t),
                      "screen gone after resize to %s" % (wh,))
            ui.keys("h")
            check("this help" in ui.wait_screen(lambda t: "this help" in t), "no help overlay")
            ui.keys("q", wait=0)
            scr = ui.wait_screen(lambda t: "EXIT=" in t)
            check("EXIT=0" in scr, "q did not exit cleanly: %s" % scr)
        finally:
            ui.close()


def test_tui_config_ascii_exit():
    """Config defaults (sort), --no-color, a non-UTF-8 locale (ASCII tree lines),
    and the target exiting under the live view (frozen, q exits 0). The
    target ends when the test has seen what it needs, not at a set time."""
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "cattop.ini")
        with open(cfg, "w") as f:
            f.write("[cattop]\nsort = name\ninterval = 500ms\n")
        with Workload("smol", args=["--seconds", "120", *harness.NO_WEDGE]) as w:
            ui = Tmux("%s -c %s -p %d --no-color" % (harness.CATTOP, cfg, w.pid), d, 110, 24, lang="C")
            try:
                scr = ui.wait_screen(lambda t: len(table_rows(t)) >= 5, 60)
                names = [n for _, n in table_rows(scr)]
                check("NAMEv" in scr and names == sorted(names) and len(names) >= 5,
                      "config sort = name not applied: %s" % scr)
                check("refresh 500ms" in scr, "config interval not applied")
                ui.keys("/", "ticker", "Enter")
                ui.wait_screen(lambda t: [n for _, n in table_rows(t)] == ["wl_smol::ticker_task"])
                ui.keys("Enter")
                scr = ui.wait_screen(lambda t: "`- wl_smol::nested_outer" in t)
                check("`- wl_smol::nested_outer" in scr and "\u2514" not in scr,
                      "no ASCII tree lines in the C locale: %s" % scr)
                w.stop()
                scr = ui.wait_screen(lambda t: "[process exited]" in t)
                time.sleep(1.0)  # frozen: still there a refresh later, cattop not gone
                scr = ui.screen()
                check("[process exited]" in scr and "EXIT=" not in scr,
                      "exit not shown or not frozen: %s" % scr)
                ui.keys("q", wait=0)
                scr = ui.wait_screen(lambda t: "EXIT=" in t)
                check("EXIT=0" in scr, "q after exit: %s" % scr)
            finally:
                ui.close()
