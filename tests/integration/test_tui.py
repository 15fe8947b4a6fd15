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
                     uprobe_multi_links, wedging_workload, WEDGE_AFTER_S, Tmux, table_rows)


def test_tui():
    """The live view in tmux: table, highlighting marker, workers panel, sorting,
    drill-down tree, detail, snapshot key, resize, quit."""
    with wedging_workload("tokio") as w, tempfile.TemporaryDirectory() as d:
        ui = Tmux("%s -p %d -t 1ms -d 0.5" % (harness.CATTOP, w.pid), d)
        try:
            time.sleep(2.5)
            scr = ui.screen()
            check("runtime tokio" in scr and "threshold 1.00ms" in scr, "header: %s" % scr)
            rows = table_rows(scr)
            names = [n for _, n in rows]
            check("wl_tokio::spinner_task" in names and "wl_tokio::ticker_task" in names,
                  "tasks not listed: %s" % scr)
            spin = [l for l in scr.splitlines() if l.endswith("wl_tokio::spinner_task")][0]
            check("!" in spin, "slow spinner row not marked: %r" % spin)
            tick = [l for l in scr.splitlines() if l.endswith("wl_tokio::ticker_task")][0]
            check("!" not in tick, "fast ticker row marked slow: %r" % tick)
            check(names.index("wl_tokio::spinner_task") < names.index("wl_tokio::ticker_task"),
                  "not sorted by longest poll: %s" % names)
            check("Workers" in scr and "tokio-runtime-w" in scr, "no workers panel")
            ui.save("tui-tasks.txt")
            # sort by name: > three times (LONGEST -> INFLIGHT -> SLOW -> NAME)
            ui.keys(">", ">", ">")
            scr = ui.screen()
            names = [n for _, n in table_rows(scr)]
            check("NAMEv" in scr and names == sorted(names), "not sorted by name: %s" % names)
            ui.keys("i")
            names = [n for _, n in table_rows(ui.screen())]
            check(names == sorted(names, reverse=True), "not inverted: %s" % names)
            # filter, then drill into the ticker task's tree
            ui.keys("/", "ticker", "Enter")
            check([n for _, n in table_rows(ui.screen())] == ["wl_tokio::ticker_task"],
                  "filter: %s" % ui.screen())
            ui.keys("Enter")
            scr = ui.screen()
            depth = {}
            for line in scr.splitlines():
                for f in ("ticker_task", "nested_outer", "nested_middle", "nested_inner"):
                    if re.search(r"wl_tokio::%s" % f[:10], line) and "async fn" in line:
                        depth[f] = line.index("wl_tokio::")
            check(len(depth) == 4 and depth["ticker_task"] < depth["nested_outer"]
                  < depth["nested_middle"] < depth["nested_inner"], "tree: %s" % scr)
            ui.save("tui-tree.txt")
            ui.keys("Down", "Enter")
            scr = ui.screen()
            check("Poll time histogram" in scr and "p50" in scr and
                  source_line("tokio", r"async fn ticker_task\(") in scr, "detail: %s" % scr)
            ui.save("tui-detail.txt")
            ui.keys("Escape", "Escape", "Escape")
            ui.keys("<", "<", "<", "i", "Home")  # back to longest poll, cursor on top
            check("LONGESTv" in ui.screen(), "sort not back on LONGEST")
            ui.keys("s")
            snaps = [f for f in os.listdir(d) if f.startswith("cattop-%d-" % w.pid)]
            check(len(snaps) == 1, "snapshot key wrote %s" % snaps)
            with open(os.path.join(d, snaps[0])) as f:
                snap = json.load(f)
            check(snap["pid"] == w.pid and len(snap["tasks"]) >= 5, "snapshot content")
            check(snaps[0] in ui.screen(), "snapshot name not in the status line")
            # the wedge: the worker polling it jumps out
            time.sleep(max(0, w.started + WEDGE_AFTER_S + 1.5 - time.monotonic()))
            scr = ui.screen()
            wl = [l for l in scr.splitlines() if "wedged_task" in l and "tokio-runtime-w" in l]
            check(len(wl) == 1 and "!" in wl[0], "wedged worker not shown: %s" % scr)
            check(table_rows(scr)[0][1] == "wl_tokio::wedged_task", "wedged task not first: %s" % scr)
            ui.save("tui-wedged.txt")
            ui.keys("g")
            check("ROOT FUTURE" in ui.screen() and "wl_tokio::short_lived" in ui.screen(),
                  "grouped view")
            ui.save("tui-grouped.txt")
            ui.keys("g")
            for wh in ((80, 24), (40, 10), (100, 30)):
                ui.resize(*wh)
                check("cattop" in ui.screen(), "screen gone after resize to %s" % (wh,))
            ui.keys("h")
            check("this help" in ui.screen(), "no help overlay")
            ui.keys("q", wait=1.0)
            check("EXIT=0" in ui.screen(), "q did not exit cleanly: %s" % ui.screen())
        finally:
            ui.close()


def test_tui_config_ascii_exit():
    """Config defaults (sort), --no-color, a non-UTF-8 locale (ASCII tree lines),
    and the target exiting under the live view (frozen, q exits 0)."""
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "cattop.ini")
        with open(cfg, "w") as f:
            f.write("[cattop]\nsort = name\ninterval = 500ms\n")
        with Workload("smol", args=["--seconds", "5"]) as w:
            ui = Tmux("%s -c %s -p %d --no-color" % (harness.CATTOP, cfg, w.pid), d, 110, 24, lang="C")
            try:
                time.sleep(2.0)
                scr = ui.screen()
                names = [n for _, n in table_rows(scr)]
                check("NAMEv" in scr and names == sorted(names) and len(names) >= 5,
                      "config sort = name not applied: %s" % scr)
                check("refresh 500ms" in scr, "config interval not applied")
                ui.keys("/", "ticker", "Enter")
                ui.keys("Enter")
                scr = ui.screen()
                check("`- wl_smol::nested_outer" in scr and "\u2514" not in scr,
                      "no ASCII tree lines in the C locale: %s" % scr)
                w.proc.wait(timeout=10)
                time.sleep(1.0)
                scr = ui.screen()
                check("[process exited]" in scr and "EXIT=" not in scr,
                      "exit not shown or not frozen: %s" % scr)
                ui.keys("q", wait=1.0)
                check("EXIT=0" in ui.screen(), "q after exit: %s" % ui.screen())
            finally:
                ui.close()
