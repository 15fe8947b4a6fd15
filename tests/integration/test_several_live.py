"""The live view over several processes (issue 18): `cattop -p A,B` in
tmux lists every task of both in one table with a PROCESS column, groups
task types across them, opens the tree of the process a row is of, and
marks the rows of a process that exits while the other's go on. Every
check waits for its condition on the screen (the machine is shared)."""
import json
import os
import re
import shutil
import tempfile

import harness
from harness import NO_WEDGE, Tmux, Workload, check
from test_live_view import line_with, press, wait_screen
from test_several import unique_copy

TICKER = "wl_tokio::ticker_task"
ROW = re.compile(r"^(\S+:\d+)\s+(\d+) (running|idle|done|sched|exited)\s+(\d+)\s.*\s(\S+)$")


def rows(scr):
    """Task rows of the tasks view: (label, id, state, polls, name)."""
    out = []
    for line in scr.splitlines():
        m = ROW.match(line)
        if m:
            out.append((m.group(1), int(m.group(2)), m.group(3), int(m.group(4)),
                        m.group(5)))
    return out


def tickers(scr):
    """{label: (state, polls)} of the ticker rows."""
    return {r[0]: (r[2], r[3]) for r in rows(scr) if r[4] == TICKER}


def group_line(scr, name):
    """(live, tasks, procs, the rest) of the group row of name."""
    for line in scr.splitlines():
        m = re.match(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+\d+\S*\s.*\s%s\s(.*)$" % re.escape(name),
                     line)
        if m:
            return int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
    return None


def check_groups(ui, labels):
    """g: the ticker's type in 2 processes, its longest poll in one of them;
    Enter on it: its tasks in both processes, nothing else."""
    press(ui, "g")
    scr = wait_screen(ui, lambda s: "PROCS" in s and group_line(s, TICKER),
                      "no groups view with the ticker")
    live, tasks, procs, _ = group_line(scr, TICKER)
    check(procs == 2 and tasks == 2 and live == 2,
          "ticker group: %d live, %d tasks in %d processes, not 2, 2, 2:\n%s"
          % (live, tasks, procs, scr))
    m = re.search(r"\s(\S+:\d+)\s+\d+\s+%s" % TICKER, line_with(scr, TICKER))
    check(m and m.group(1) in labels, "no process of the longest poll (IN):\n%s" % scr)
    press(ui, "F3")
    wait_screen(ui, lambda s: "Search" in s, "no search prompt")
    press(ui, "ticker_task", "Enter")
    press(ui, "Enter")
    scr = wait_screen(ui, lambda s: "PROCESS" in s and sorted(tickers(s)) == sorted(labels)
                      and len(rows(s)) == 2, "Enter on the ticker group: not its 2 tasks")
    press(ui, "Escape")  # the group filter goes: every row again
    wait_screen(ui, lambda s: len(rows(s)) > 2, "Esc did not clear the group filter")


def open_second_ticker(ui, second):
    """Enter on the second process's ticker: its tree, its futures. Sorted
    by id (-s id), the rows keep their order while the cursor moves."""
    press(ui, "/")
    wait_screen(ui, lambda s: "Filter" in s, "no filter prompt")
    press(ui, "ticker", "Enter")
    scr = wait_screen(ui, lambda s: len(rows(s)) == 2 and len(tickers(s)) == 2,
                      "the filter did not leave the two tickers")
    index = [r[0] for r in rows(scr)].index(second)
    press(ui, *["Down"] * index)
    press(ui, "Enter")
    scr = wait_screen(ui, lambda s: "future tree" in s and "nested_inner" in s,
                      "no future tree of the ticker")
    title = line_with(scr, "future tree")
    check(title.startswith(second + "  Task #") and TICKER in title,
          "the tree is not of %s's ticker: %r" % (second, title))
    press(ui, "Escape")
    wait_screen(ui, lambda s: "PROCESS" in s and len(tickers(s)) == 2, "Esc: no task list")
    press(ui, "Escape")  # the name filter goes
    wait_screen(ui, lambda s: len(rows(s)) > 2, "Esc did not clear the filter")


def check_recording(ui, label, pid):
    """R records the process under the cursor: the first's ticker, while
    the process looked at last (its tree opened) is the second."""
    press(ui, "/")
    wait_screen(ui, lambda s: "Filter" in s, "no filter prompt")
    press(ui, "ticker", "Enter")
    scr = wait_screen(ui, lambda s: len(rows(s)) == 2 and len(tickers(s)) == 2,
                      "the filter did not leave the two tickers")
    press(ui, *["Down"] * [r[0] for r in rows(scr)].index(label))
    press(ui, "R")
    scr = wait_screen(ui, lambda s: "recording to cattop-" in s, "R did not record")
    name = re.search(r"recording to (cattop-(\d+)-\S+\.rec)", scr)
    check(name and int(name.group(2)) == pid,
          "R recorded %s, not the process under the cursor (%d)" % (name and name.group(1), pid))
    path = os.path.join(tempfile.gettempdir(), name.group(1))
    try:
        press(ui, "R")
        wait_screen(ui, lambda s: "recording saved to %s" % name.group(1) in s,
                    "R did not stop the recording")
        check(os.path.getsize(path) > 0, "empty recording")
    finally:
        if os.path.exists(path):
            os.unlink(path)
    press(ui, "Escape")
    wait_screen(ui, lambda s: len(rows(s)) > 2, "Esc did not clear the filter")


def save_screenshots(ui):
    """The tasks and groups views sorted by the longest poll, as they
    first show (the test sorts by id to keep its rows in place)."""
    press(ui, *["<"] * 4)  # ID, NAME, SLOW, INFLIGHT, LONGEST
    press(ui, "i", "Home")
    wait_screen(ui, lambda s: "LONGESTv" in s, "not sorted by the longest poll")
    ui.save("several-tasks-120x30.txt")
    press(ui, "g")
    wait_screen(ui, lambda s: "sorted by LONGEST)" in s and group_line(s, TICKER),
                "no groups view sorted by the longest poll")
    ui.save("several-groups-120x30.txt")
    press(ui, "g")
    wait_screen(ui, lambda s: "PROCESS" in s, "g did not go back to the tasks")
    # Back to the first tasks first, the order the steps after rely on.
    press(ui, *[">"] * 4)
    press(ui, "i", "Home")
    wait_screen(ui, lambda s: "ID^" in s, "not sorted by id again")


def check_exit(ui, a, labels):
    """A killed: its rows stay, marked exited; B's ticker goes on polling."""
    first, second = labels
    a.stop()
    scr = wait_screen(ui, lambda s: tickers(s).get(first, ("",))[0] == "exited"
                      and "1 exited (%s)" % first in s,
                      "%s's rows not marked exited" % first)
    check("process %s exited" % first in scr, "no status line for the exit:\n" + scr)
    mine = [r for r in rows(scr) if r[0] == first]
    check(mine and all(r[2] == "exited" for r in mine),
          "rows of %s not all exited:\n%s" % (first, scr))
    check(line_with(scr, "Processes: 1 (%s)" % second), "header")
    state, polls = tickers(scr)[second]
    check(state != "exited", "%s's ticker marked exited:\n%s" % (second, scr))
    wait_screen(ui, lambda s: tickers(s).get(second, ("", 0))[1] > polls,
                "%s's ticker no longer counted after %s exited" % (second, first))
    # The exited process's tree is still there to read.
    press(ui, "/")
    wait_screen(ui, lambda s: "Filter" in s, "no filter prompt")
    press(ui, "ticker", "Enter")
    scr = wait_screen(ui, lambda s: len(rows(s)) == 2 and len(tickers(s)) == 2,
                      "the filter did not leave the two tickers")
    press(ui, *["Down"] * [r[0] for r in rows(scr)].index(first))
    press(ui, "Enter")
    scr = wait_screen(ui, lambda s: "future tree" in s and "nested_inner" in s,
                      "no tree of the exited process's ticker")
    check(line_with(scr, "future tree").startswith(first + "  Task #"),
          "the tree is not of %s:\n%s" % (first, scr))
    press(ui, "Escape")
    wait_screen(ui, lambda s: "PROCESS" in s and len(tickers(s)) == 2, "Esc: no task list")
    press(ui, "Escape")
    wait_screen(ui, lambda s: len(rows(s)) > 2, "Esc did not clear the filter")


def test_several_live_view():
    """Two instances of wl-tokio: both processes' rows under their labels,
    the header and the workers panel naming both, groups across them, the
    tree of the second's task, R recording the process under the cursor,
    the second's rows going on after the first is killed (whose tree still
    opens), and at 80 columns a PID column in place of the labels with
    every name whole."""
    a = Workload("tokio", args=["--seconds", "120", *NO_WEDGE])
    b = Workload("tokio", args=["--seconds", "120", *NO_WEDGE])
    labels = ["wl-tokio:%d" % a.pid, "wl-tokio:%d" % b.pid]
    ui = Tmux("%s -p %d,%d -d 0.3 -s id" % (harness.CATTOP, a.pid, b.pid),
              tempfile.gettempdir(), 120, 30)
    try:
        wait_screen(ui, lambda s: "PROCESS" in s, "no task list", timeout=60)
        # The first tasks first, the short-lived ones after them; Home: the
        # cursor (and the page) on the first row, not on the task it was on.
        press(ui, "i")
        wait_screen(ui, lambda s: "ID^" in s, "i did not invert the order")
        press(ui, "Home")
        scr = wait_screen(ui, lambda s: sorted(tickers(s)) == sorted(labels),
                          "no ticker row of each process", timeout=60)
        check(re.match(r"PROCESS\s+ID\S?\s+STATE ", line_with(scr, "PROCESS")),
              "no PROCESS column first:\n" + scr)
        check(line_with(scr, "Processes: 2 (%s, %s)" % tuple(labels)), "header")
        workers = set(re.findall(r"^  (\S+:\d+)\s+\d+ ", scr, re.M))
        check(workers == set(labels), "workers panel of %s, not both:\n%s" % (workers, scr))
        check(all(len(l) <= 120 for l in scr.splitlines()), "a line too long")
        check_groups(ui, labels)
        open_second_ticker(ui, labels[1])
        check_recording(ui, labels[0], a.pid)
        save_screenshots(ui)
        check_exit(ui, a, labels)
        ui.resize(80, 24)
        scr = wait_screen(ui, lambda s: re.search(r"^\s+PID\s+ID\S?\s+STATE", s, re.M)
                          and re.search(r"^\s*%d\s+\d+ idle" % b.pid, s, re.M),
                          "no PID column at 80 columns")
        check(all(len(l) <= 80 for l in scr.splitlines()), "a line too long at 80")
        titles = line_with(scr, "STATE")
        check("BUSY" not in titles, "BUSY kept at 80 columns: %r" % titles)
        below = "\n".join(scr.split(titles, 1)[1].splitlines()[1:])  # not the workers
        names = re.findall(r"^\s*\d+\s+\d+ \S+\s.*\s(\S+)$", below, re.M)
        check(names and all(re.match(r"wl_tokio::\w+_(task|lived)$", n) for n in names),
              "names cut at 80 columns: %s\n%s" % (names, scr))
        press(ui, "q")
        wait_screen(ui, lambda s: "EXIT=0" in s, "cattop did not quit cleanly")
    finally:
        ui.close()
        a.stop()
        b.stop()


def check_snapshot(ui, cwd, pids):
    """s: one JSON file with every process in it."""
    press(ui, "s")
    scr = wait_screen(ui, lambda s: "snapshot written to" in s, "no snapshot written")
    name = re.search(r"snapshot written to (\S+\.json)", scr).group(1)
    with open(os.path.join(cwd, name)) as f:
        snap = json.load(f)
    got = sorted(p["pid"] for p in snap["processes"])
    check(got == sorted(pids), "snapshot of processes %s, not %s" % (got, sorted(pids)))
    check(any(t["name"] == TICKER for t in snap["task_types"]), "no ticker type in it")


def test_several_live_pidof():
    """--pidof NAME in the live view: the process running is listed, one
    started later is attached (said on the status line) and its rows come
    in; s writes both processes into one snapshot."""
    tmp = tempfile.mkdtemp(prefix="cattop-several-live-")
    ui = None
    try:
        name, exe = unique_copy(tmp)
        with Workload("tokio", args=["--seconds", "120", *NO_WEDGE], exe=exe) as a:
            la = "%s:%d" % (name, a.pid)
            ui = Tmux("%s --pidof %s -d 0.3" % (harness.CATTOP, name), tmp, 120, 30)
            wait_screen(ui, lambda s: "Processes named %s: 1 (%s)" % (name, la) in s,
                        "the running process not listed", timeout=60)
            press(ui, "/")  # the tickers only: short-lived tasks may fill the page
            wait_screen(ui, lambda s: "Filter" in s, "no filter prompt")
            press(ui, "ticker", "Enter")
            wait_screen(ui, lambda s: list(tickers(s)) == [la], "no ticker row", timeout=60)
            with Workload("tokio", args=["--seconds", "120", *NO_WEDGE], exe=exe) as b:
                lb = "%s:%d" % (name, b.pid)
                wait_screen(ui, lambda s: "process %s started: attached" % lb in s,
                            "no status line for the process started later", timeout=60)
                wait_screen(ui, lambda s: sorted(tickers(s)) == sorted([la, lb])
                            and "Processes named %s: 2 (%s, %s)" % (name, la, lb) in s,
                            "the process started later has no rows", timeout=60)
                check_snapshot(ui, tmp, [a.pid, b.pid])
                press(ui, "h")  # the help's last paragraph: which keys act on which
                wait_screen(ui, lambda s: "cattop help" in s, "no help")
                press(ui, *["NPage"] * 4)
                wait_screen(ui, lambda s: "Several processes:" in s,
                            "the help says nothing of several processes")
                press(ui, "Escape")
                wait_screen(ui, lambda s: "Several processes:" not in s, "help not closed")
        press(ui, "q")
        wait_screen(ui, lambda s: "EXIT=0" in s, "cattop did not quit cleanly")
    finally:
        if ui:
            ui.close()
        shutil.rmtree(tmp, ignore_errors=True)


TESTS = [test_several_live_view, test_several_live_pidof]
