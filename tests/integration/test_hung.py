"""Every live task listed, moving or not (issue #14): cattop walks the
runtime's task lists from the target's memory at attach and at every
refresh, so a hung service (nothing polled after start-up) shows all its
tasks on the first refresh, with their types and tokio's own task ids."""
import re
import subprocess

import tempfile
import time

import harness
from harness import (CRATE, Tmux, binary, check, run_cattop, parse_snapshot, source_file,
                     Workload)

IDLE = 100


class Hung:
    """wl-hung (runtime "hung", tokio 1.24; "hung-153": the same source on
    tokio 1.53), with the counts it prints itself (ready line, progress lines)."""

    def __init__(self, profile, idle=IDLE, lost=0, runtime="hung"):
        self.proc = subprocess.Popen([binary(runtime, profile), "--idle", str(idle),
                                      "--lost", str(lost), "--seconds", "60"],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        m = re.match(r"ready pid=(\d+) tasks=(\d+) deadlocked=(\d+) idle=(\d+)", line)
        check(m is not None, "wl-hung did not start: %r" % line)
        self.pid = int(m.group(1))
        self.tasks, self.deadlocked, self.idle = (int(m.group(i)) for i in (2, 3, 4))

    def live_now(self):
        """The workload's own count of its live tasks, from its next progress line."""
        while True:
            line = self.proc.stdout.readline()
            check(line != "", "wl-hung ended early")
            m = re.match(r"progress live=(\d+)", line)
            if m:
                return int(m.group(1))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def first_refresh(pid):
    """The first refresh's table and snapshot: cattop -b -n 1 -d 2 --snapshot -
    (-r 0: every row in the table too)."""
    r = run_cattop(["-p", str(pid), "-b", "-n", "1", "-d", "2", "-r", "0", "--snapshot", "-"])
    check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
    return r.stdout, parse_snapshot(r.stdout)


def source_lines(pattern, runtime="hung"):
    """Every "wl-hung/src/main.rs:N" (as cattop names the file in that
    build) whose line matches pattern, in order."""
    path, label = source_file(runtime)
    with open(path) as f:
        return ["%s:%d" % (label, n) for n, line in enumerate(f, 1)
                if re.search(pattern, line)]


def parked_at(task):
    """The innermost await line of a task's await stack, or None."""
    stack = task.get("await_stack") or []
    return stack[-1]["awaiting"] if stack else None


def check_await_lines(profile, a, b, conns, runtime="hung"):
    """Never-polled tasks are read where they are parked, from their cells:
    each deadlocked task at its second lock().await, each connection at its
    recv().await."""
    lock_a, lock_b = source_lines(r"^\s*let .*second\.lock\(\)\.await", runtime)
    recv, = source_lines(r"^\s*let .*rx\.recv\(\)\.await", runtime)
    check(parked_at(a) == lock_a and parked_at(b) == lock_b,
          "%s: deadlocked tasks parked at %s and %s, want %s and %s"
          % (profile, parked_at(a), parked_at(b), lock_a, lock_b))
    wrong = [parked_at(t) for t in conns if parked_at(t) != recv]
    check(not wrong, "%s: %d connection tasks not parked at %s: %s"
          % (profile, len(wrong), recv, sorted(set(map(str, wrong)))))


def by_type(snap, name):
    return [t for t in snap["tasks"] if t.get("type") == name and t["state"] != "done"]


def check_hung(profile, runtime="hung"):
    """runtime: "hung" (tokio 1.24) or "hung-153" (tokio 1.53)."""
    crate = "wl_" + runtime.replace("-", "_")
    profile_name = profile
    profile = "%s %s" % (runtime, profile)
    with Hung(profile_name, runtime=runtime) as w:
        table, snap = first_refresh(w.pid)
        live = w.live_now()
        walk = snap["task_walk"]
        check(walk["active"] and walk["complete"] and walk["runtimes"] == 1,
              "%s: task walk: %s" % (profile, walk))
        check(walk["tasks"] == w.tasks == live,
              "%s: walked %d tasks, the workload has %d (ready) / %d (now)"
              % (profile, walk["tasks"], w.tasks, live))
        alive = [t for t in snap["tasks"] if t["state"] != "done"]
        check(len(alive) == w.tasks, "%s: %d tasks listed, %d live" % (profile, len(alive), w.tasks))
        a, b = by_type(snap, crate + "::deadlock_a"), by_type(snap, crate + "::deadlock_b")
        conns = by_type(snap, crate + "::connection_task")
        check(len(a) == 1 and len(b) == 1, "%s: deadlocked tasks %d + %d, want 1 + 1"
              % (profile, len(a), len(b)))
        check(len(conns) == w.idle, "%s: %d connection tasks, want %d"
              % (profile, len(conns), w.idle))
        check_await_lines(profile, a[0], b[0], conns, runtime)
        for t in alive:
            # Nothing is polled after start-up: every task is idle since attach.
            check(t["walked"] and t["polls"] == 0 and t["state"] == "idle"
                  and t["idle_since_attach"] and t["idle_ns"] > 0,
                  "%s: task not seen as idle since attach: %s" % (profile, t))
        ids = {t.get("runtime_id") for t in alive}
        check(None not in ids and len(ids) == len(alive),
              "%s: tokio task ids missing or repeated: %s" % (profile, sorted(ids, key=str)))
        m = re.search(r"^Task lists: (\d+) live tasks in 1 runtime", table, re.M)
        check(m is not None and int(m.group(1)) == w.tasks,
              "%s: batch table has no task-list line for %d tasks" % (profile, w.tasks))
        check_groups(profile, snap, w, runtime)
        recv, = source_lines(r"^\s*let .*rx\.recv\(\)\.await", runtime)
        rows = [l for l in table.splitlines() if " %s::connection_task" % crate in l]
        check(len(rows) == w.idle and all("\u2265" in r and r.endswith("  @ " + recv)
                                          for r in rows),
              "%s: batch table: %d connection rows (want %d, idle \u2265 since attach, "
              "@ %s): %s" % (profile, len(rows), w.idle, recv, rows[:1]))


def check_groups(profile, snap, w, runtime):
    """The grouped view's rows: the idle connections are one group counted
    by await line (all at recv().await), each deadlocked task's group at its
    lock line."""
    crate = "wl_" + runtime.replace("-", "_")
    recv, = source_lines(r"^\s*let .*rx\.recv\(\)\.await", runtime)
    lock_a, lock_b = source_lines(r"^\s*let .*second\.lock\(\)\.await", runtime)
    groups = {g["name"]: g for g in snap["groups"]}
    for name, live, line in ((crate + "::connection_task", w.idle, recv),
                             (crate + "::deadlock_a", 1, lock_a),
                             (crate + "::deadlock_b", 1, lock_b)):
        g = groups.get(name)
        check(g is not None, "%s: no group %s: %s" % (profile, name, sorted(groups)))
        want = [{"awaiting": line, "tasks": live}]
        check(g["live"] == live and g["parked"] == want and g["parked_unknown"] == 0,
              "%s: group %s: live %d parked %s (unknown %d), want %d at %s"
              % (profile, name, g["live"], g["parked"], g["parked_unknown"], live, line))
    check(sum(g["live"] for g in snap["groups"]) == w.tasks,
          "%s: groups hold %d live tasks, want %d"
          % (profile, sum(g["live"] for g in snap["groups"]), w.tasks))


def test_hung_debug():
    check_hung("debug")


def test_hung_release_debuginfo():
    check_hung("release-debuginfo")


def test_hung_release_says_why():
    """debug = 1 has no types: no task is listed, and cattop says what is missing."""
    with Hung("release") as w:
        table, snap = first_refresh(w.pid)
        walk = snap["task_walk"]
        check(not walk["active"] and "debug = 1" in walk["status"]
              and "CONTEXT" in walk["status"], "release: walk status %s" % walk)
        check("Task lists: not read: " in table, "release: the table does not say why")


def check_idle_before_attach(runtime):
    """runtime: "tokio" (1.24) or "tokio-153" (1.53). The idle tasks poll
    once every 20 s (spread), so most are unpolled however late the first
    refresh comes on a loaded machine."""
    crate = CRATE[runtime]
    n = 200
    with Workload(runtime, args=("--idle-tasks", str(n), "--idle-period-ms", "20000",
                                 "--seconds", "60")) as w:
        r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", "0.3", "-r", "0", "-s", "idle",
                        "--snapshot", "-"])
        check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
        snap = parse_snapshot(r.stdout)
        idle = [t for t in snap["tasks"] if t.get("type") == crate + "::idle_task"]
        check(len(idle) == n, "%s: %d idle_task rows, want %d" % (runtime, len(idle), n))
        # A task queued or running when the walk reads it gets no row from
        # the walk (its poll shows it; task_model_walked), and a walk that
        # meets a task being freed stops there: such a task is listed by its
        # poll. Every other one is found by the walk.
        walk = snap["task_walk"]
        unwalked = [t for t in idle if not t["walked"]]
        check(all(t["polls"] for t in unwalked) and len(unwalked) <= 10,
              "%d idle_task rows neither walked nor polled (%s)"
              % (len([t for t in unwalked if not t["polls"]]), walk))
        unpolled = [t for t in idle if t["polls"] == 0]
        check(len(unpolled) > 0 and all(t["idle_since_attach"] for t in unpolled),
              "no idle_task listed unpolled (idle since attach): %d of %d polled"
              % (n - len(unpolled), n))
        for name in ("ticker_task", "parked_task", "blocker_task", "spinner_task",
                     "spawner_task", "fast_task"):
            rows = [t for t in snap["tasks"] if t.get("type") == crate + "::" + name]
            check(len(rows) == 1 and rows[0]["walked"],
                  "%s::%s: %d rows (want 1, walked)" % (crate, name, len(rows)))
        check(snap["task_walk"]["complete"] or "changed" in snap["task_walk"]["status"],
              "task walk: %s" % snap["task_walk"])
        # -s idle: the tasks idle since attach (the longest idle) come first
        rows = [l for l in r.stdout.split("\n\n{")[0].splitlines()
                if re.match(r"^\s*\d+ (idle|running|sched|done)", l)]
        since_attach = ["\u2265" in l for l in rows]
        check(len(rows) >= n and sum(since_attach) >= len(unpolled)
              and since_attach == sorted(since_attach, reverse=True),
              "-s idle: rows idle since attach are not first: %s"
              % "".join("\u2265" if x else "." for x in since_attach))


def test_tokio_idle_before_attach():
    """wl-tokio's idle tasks are all listed on the first refresh, those not
    polled since attach too, as the same rows polls find; -s idle puts those
    idle since attach first."""
    check_idle_before_attach("tokio")


def test_hung_lost_waker():
    """tokio-console's "lost waker", proven from the task's state word: the
    3 tasks parked in std::future::pending() (which keeps no waker) are
    flagged, in the JSON, the batch table's rows and its Warnings line; the
    deadlocked tasks and the connections (a mutex and a channel hold their
    wakers) are not; on the first refresh (-n 1), as every task is listed."""
    for runtime in ("hung", "hung-153"):
        crate = "wl_" + runtime.replace("-", "_")
        with Hung("debug", idle=20, lost=3, runtime=runtime) as w:
            r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", "1", "-r", "0",
                            "--snapshot", "-"])
            check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
            snap = parse_snapshot(r.stdout)
            # (the deadlocked tasks, parked on a lock, may warn awaiting_lock: test_lints)
            flagged = sorted(t["name"] for t in snap["tasks"]
                             if "lost_waker" in t.get("warnings", []))
            check(flagged == [crate + "::lost_waker_task"] * 3
                  and all(t["warnings"] == ["lost_waker"] for t in snap["tasks"]
                          if t["name"] == crate + "::lost_waker_task"),
                  "%s: tasks with warnings: %s" % (runtime, flagged))
            check(snap["warnings"]["lost_waker"] == 3 and snap["warnings"]["wedged"] == 0,
                  "%s: warnings %s" % (runtime, snap["warnings"]))
            table = r.stdout.split("\n{")[0]
            last = table.split("cattop - pid")[-1]
            check("Warnings: 3 tasks lost their wakers" in last,
                  "%s: no Warnings line in the last table:\n%s" % (runtime, last[:400]))
            rows = [l for l in last.splitlines() if "[lost_waker]" in l]
            check(len(rows) == 3 and all(crate + "::lost_waker_task" in l for l in rows),
                  "%s: rows marked [lost_waker]: %s" % (runtime, rows))


def test_hung_live_grouped():
    """The live view's grouped view (g) of a hung service, at 80x24 and
    120x40: one row per task type, its idle tasks counted by await line
    (the 300 connections at recv().await, each deadlocked task at its lock
    line), with the name shortened before the counts on a narrow screen."""
    def base(line):
        return line.rsplit("/", 1)[1]

    recv, = source_lines(r"^\s*let .*rx\.recv\(\)\.await")
    lock_a, lock_b = source_lines(r"^\s*let .*second\.lock\(\)\.await")
    with Hung("debug", idle=300) as w:
        _, snap = first_refresh(w.pid)
        ids = {t["type"]: t.get("runtime_id") for t in snap["tasks"] if "deadlock" in t["type"]}
        for width, height in ((80, 24), (120, 40)):
            ui = Tmux("%s -p %d -d 0.5" % (harness.CATTOP, w.pid), tempfile.gettempdir(),
                      width, height)
            try:
                want = {"connection": "300 @ " + base(recv), "deadlock_a": "1 @ " + base(lock_a),
                        "deadlock_b": "1 @ " + base(lock_b)}
                scr = ui.screen()
                deadline = time.monotonic() + 30
                while "connection" not in scr and time.monotonic() < deadline:
                    time.sleep(0.2)
                    scr = ui.screen()
                ui.keys("g", wait=0)

                def rows_ok(scr):
                    rows = {k: [l for l in scr.splitlines() if "wl_hung::" + k in l]
                            for k in want}
                    return all(len(r) == 1 and r[0].rstrip().endswith(want[k])
                               and len(r[0].rstrip()) <= width for k, r in rows.items())
                while not rows_ok(scr) and time.monotonic() < deadline:
                    time.sleep(0.2)
                    scr = ui.screen()
                check(rows_ok(scr), "%dx%d: grouped rows do not end with %s:\n%s"
                      % (width, height, sorted(want.values()), scr))
                check("(parked at)" in scr, "%dx%d: no 'parked at' title" % (width, height))
                ui.save("live-grouped-hung-%dx%d.txt" % (width, height))
                # back to the tasks, into deadlock_a's tree: tokio's own id shown
                ui.keys("g", wait=0)
                ui.keys("/", wait=0.3)
                ui.keys("-l", "deadlock_a", wait=0)
                ui.keys("Enter", wait=0.3)
                ui.keys("Enter", wait=0)
                while "future tree" not in scr and time.monotonic() < deadline:
                    time.sleep(0.2)
                    scr = ui.screen()
                m = re.search(r"wl_hung::deadlock_a \(tokio id (\d+)\): future tree", scr)
                check(m is not None and int(m.group(1)) == ids["wl_hung::deadlock_a"],
                      "%dx%d: tree title without tokio's id %s:\n%s"
                      % (width, height, ids["wl_hung::deadlock_a"], scr))
            finally:
                ui.close()


TESTS = [test_hung_debug, test_hung_release_debuginfo, test_hung_release_says_why,
         test_tokio_idle_before_attach, test_hung_live_grouped, test_hung_lost_waker]
