"""The live view as htop and tokio-console users expect it (issue 16),
driven in tmux at 80x24 and 120x40. Every check waits for its condition on
the screen (the machine is shared): no fixed sleeps decide a result."""
import os
import re
import tempfile
import time

import harness
from harness import CheckFailed, Tmux, Workload, check, source_line, table_rows

SIZES = ((80, 24), (120, 40))


def wait_screen(ui, cond, what, timeout=20.0):
    """The screen once cond(screen) holds; a failed check after timeout."""
    deadline = time.monotonic() + timeout
    scr = ui.screen()
    while not cond(scr):
        if time.monotonic() > deadline:
            check(False, "%s; screen:\n%s" % (what, scr))
        time.sleep(0.1)
        scr = ui.screen()
    return scr


def press(ui, *keys):
    ui.keys(*keys, wait=0)


def live(width, height, args="", runtime="tokio", workload_args=("--seconds", "120")):
    w = Workload(runtime, args=list(workload_args))
    ui = Tmux("%s -p %d -d 0.3 %s" % (harness.CATTOP, w.pid, args), tempfile.gettempdir(),
              width, height)
    wait_screen(ui, lambda s: "ticker_task" in s, "no task listed")
    return w, ui


def line_with(scr, text):
    found = [l for l in scr.splitlines() if text in l]
    check(found, "no line with %r:\n%s" % (text, scr))
    return found[0]


def open_ticker_tree(ui):
    press(ui, "/")
    wait_screen(ui, lambda s: "Filter" in s, "no filter prompt")
    press(ui, "ticker", "Enter")
    wait_screen(ui, lambda s: [n for _, n in table_rows(s)] == ["wl_tokio::ticker_task"],
                "filter did not leave the ticker alone")
    press(ui, "Enter")
    return wait_screen(ui, lambda s: "nested_inner" in s and "future tree" in s,
                       "no future tree")


def titles_line(scr):
    return line_with(scr, "FUTURE ")


def test_live_view_tree_layout():
    """The tree at 80x24 and 120x40: every title whole, the location column
    shown (the nested futures' source lines), no '!' wrapped to column 0,
    and the name column never narrower on a wider screen."""
    inner = source_line("tokio", r"async fn nested_inner\(").rsplit("/", 1)[1]
    for width, height in SIZES:
        w, ui = live(width, height)
        try:
            scr = open_ticker_tree(ui)
            titles = titles_line(scr)
            for title in ("POLLS", "BUSY", "LONGEST", "SLOW", "INFLIGHT", "LOCATION"):
                check(re.search(r"\b%s\b" % title, titles), "title %s cut at %d: %r"
                      % (title, width, titles))
            check(inner in line_with(scr, "nested_inner"),
                  "no location %s at %d columns:\n%s" % (inner, width, scr))
            check(not any(l.startswith("!") for l in scr.splitlines()),
                  "a '!' wrapped at %d columns:\n%s" % (width, scr))
            check(all(len(l) <= width for l in scr.splitlines()), "a line too long")
            ui.save("live-tree-%dx%d.txt" % (width, height))
            if width == 120:
                name_w = []
                for cols in (80, 100, 120, 129, 130, 160):
                    ui.resize(cols, height)
                    scr = wait_screen(ui, lambda s: all(len(l) <= cols for l in s.splitlines())
                                      and "FUTURE " in s and "LOCATION" in s,
                                      "tree not redrawn at %d columns" % cols)
                    name_w.append(titles_line(scr).index("POLLS"))
                check(name_w == sorted(name_w) and name_w[-1] > name_w[0],
                      "name column does not grow with the screen: %s" % name_w)
        finally:
            ui.close()
            w.stop()


TESTS = [test_live_view_tree_layout]
