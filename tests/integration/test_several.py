"""Several processes in one cattop (-p A,B,C and --pidof NAME): each
process's tasks with a PROCESS column, task types grouped across processes,
a process that exits marked while the others go on, one that starts later
under --pidof picked up, a recording per process, and bad input refused."""
import os
import re
import shutil
import signal
import tempfile
import threading

from test_metrics import healthy
from harness import (CheckFailed, Workload, binary, check, parse_snapshot, popen_cattop,
                     run_cattop, tasks_named, wait_for)

# spinner_task's polls spin 3 ms of CPU: over 2.5 ms always; parked_task's
# and fast_task's take microseconds (test_metrics.py says why 2.5 ms).
THRESHOLD = ["-t", "2500us"]
ARGS = ["--seconds", "900", "--wedge-after-ms", "100000000"]


class Tables:
    """A batch cattop's stdout read on a thread: the tables so far, and a
    wait for a condition on them (a busy machine sets the pace)."""

    def __init__(self, p):
        self.p, self.lines, self.lock = p, [], threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.p.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def last_table(self):
        """The lines of the last complete table (from its header)."""
        with self.lock:
            lines = list(self.lines)
        starts = [i for i, l in enumerate(lines) if l.startswith("cattop - ")]
        if len(starts) < 2:
            return []
        return lines[starts[-2]:starts[-1]]

    def wait(self, cond, timeout):
        return wait_for(lambda: self.p.poll() is None and cond(self.last_table()), timeout, 0.2)

    def stop(self):
        """SIGINT: the last table and the snapshot follow; returns them."""
        self.p.send_signal(signal.SIGINT)
        err = self.p.stderr.read()
        self.p.wait(timeout=60)
        self.reader.join(60)
        check(self.p.returncode == 0, "cattop exited %d: %s" % (self.p.returncode, err.strip()))
        return parse_snapshot("\n".join(self.lines) + "\n"), err


def type_row(table, name):
    """(procs, tasks, live, polls, slow, longest_in) of a task type's row in
    the table of types across processes, or None."""
    for line in table:
        m = re.match(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+|-)\s+\S+\s+\S+\s+(\d+|-)\s+(\S+)\s+%s$"
                     % re.escape(name), line)
        if m:
            return (int(m[1]), int(m[2]), int(m[3]), m[4], m[5], m[6])
    return None


def process(snap, pid):
    found = [p for p in snap["processes"] if p["pid"] == pid]
    check(len(found) == 1, "pid %d not once in the snapshot: %s"
          % (pid, [p["pid"] for p in snap["processes"]]))
    return found[0]


def slow_of(proc, name):
    return sum(t["slow_polls"] for t in tasks_named(proc, name))


def test_several_batch():
    """Two wl-tokio and a wl-smol: every process's tasks in one table with
    its PROCESS label, spinner_task in 2 processes with slow polls in both,
    the types' sums exactly those of the processes' tasks, parked_task with
    none."""
    with Workload("tokio", args=ARGS) as a, Workload("tokio", args=ARGS) as b, \
            Workload("smol", args=ARGS) as c:
        p = popen_cattop(["-p", "%d,%d,%d" % (a.pid, b.pid, c.pid), "-b", "-d", "0.5",
                          "-r", "0", "--snapshot", "-", *THRESHOLD])
        t = Tables(p)

        def ready(table):
            tokio = type_row(table, "wl_tokio::spinner_task")
            smol = type_row(table, "wl_smol::spinner_task")
            return (tokio and tokio[0] == 2 and tokio[4] != "-" and int(tokio[4]) >= 4 and
                    smol and smol[0] == 1 and int(smol[4]) >= 2)

        seen = t.wait(ready, 120)
        table = t.last_table()
        snap, err = t.stop()
        check(seen, "spinner_task never slow in every process; last table:\n%s"
              % "\n".join(table))
        check(table[0].startswith("cattop - 3 processes"), "header %r" % table[0])
        for w, name in ((a, "wl-tokio"), (b, "wl-tokio"), (c, "wl-smol")):
            label = "%s:%d" % (name, w.pid)
            check(any(l.startswith("  " + label + " ") for l in table),
                  "no process line for %s" % label)
            check(any(l.startswith(label + " ") and "spinner_task" in l for l in table),
                  "no spinner_task row of %s" % label)
        check(len(snap["processes"]) == 3, "processes %s" % [p["pid"] for p in snap["processes"]])
        pa, pb, pc = process(snap, a.pid), process(snap, b.pid), process(snap, c.pid)
        check(pa["process"] == "wl-tokio:%d" % a.pid and not pa["exited"], "process a %s"
              % {k: pa[k] for k in ("process", "exited")})
        check(pc["runtime"] == "smol" and pa["runtime"] == "tokio", "runtimes")
        types = {t["name"]: t for t in snap["task_types"]}
        spin = types["wl_tokio::spinner_task"]
        check(spin["processes"] == 2 and spin["processes_with_slow_polls"] == 2,
              "wl_tokio::spinner_task %s" % spin)
        check(spin["slow_polls"] == slow_of(pa, "wl_tokio::spinner_task") +
              slow_of(pb, "wl_tokio::spinner_task"), "sum of slow polls %s" % spin)
        check(slow_of(pa, "wl_tokio::spinner_task") > 0 and
              slow_of(pb, "wl_tokio::spinner_task") > 0, "slow polls in each process")
        check(spin["max_poll_pid"] in (a.pid, b.pid), "longest in %s" % spin)
        check(types["wl_smol::spinner_task"]["processes"] == 1, "smol spinner in one process")
        for name in ("wl_tokio::parked_task", "wl_smol::parked_task"):
            # none to speak of (test_metrics.healthy says why not none at all)
            check(healthy(types[name]["slow_polls"], types[name]["polls"]),
                  "%s slow polls: %s" % (name, types[name]))


def unique_copy(tmp):
    """wl-tokio under a name of this test's own: --pidof must not find the
    workloads of anything else running on the machine."""
    name = "wlsev%d" % os.getpid()
    path = os.path.join(tmp, name)
    shutil.copy(binary("tokio"), path)
    return name, path


def test_several_exit_and_pidof():
    """--pidof: the two processes of that name are traced; one is killed
    (its rows stay, marked exited, the other's tables go on); a third
    started later is attached within a few refreshes."""
    tmp = tempfile.mkdtemp(prefix="cattop-several-")
    try:
        name, exe = unique_copy(tmp)
        with Workload("tokio", args=ARGS, exe=exe) as a, \
                Workload("tokio", args=ARGS, exe=exe) as b:
            p = popen_cattop(["--pidof", name, "-b", "-d", "0.5", "-r", "0", "--snapshot", "-",
                              *THRESHOLD])
            t = Tables(p)
            la, lb = "%s:%d" % (name, a.pid), "%s:%d" % (name, b.pid)

            def polled(table, label, exited=False):
                line = [l for l in table if l.startswith("  " + label + " ")]
                return line and ("[exited]" in line[0]) == exited

            def events(table, label):
                line = [l for l in table if l.startswith("  " + label + " ")]
                m = re.search(r"events (\d+)", line[0]) if line else None
                return int(m[1]) if m else -1

            check(t.wait(lambda tb: polled(tb, la) and polled(tb, lb), 120),
                  "both processes never listed:\n%s" % "\n".join(t.last_table()))
            a.stop()
            check(t.wait(lambda tb: polled(tb, la, exited=True), 60),
                  "the killed process never marked exited:\n%s" % "\n".join(t.last_table()))
            before = events(t.last_table(), lb)
            check(t.wait(lambda tb: polled(tb, lb) and events(tb, lb) > before, 60),
                  "the other process's events stopped at %d" % before)
            with Workload("tokio", args=ARGS, exe=exe) as c:
                lc = "%s:%d" % (name, c.pid)
                check(t.wait(lambda tb: polled(tb, lc) and events(tb, lc) > 0, 60),
                      "the process started later was never attached:\n%s"
                      % "\n".join(t.last_table()))
                snap, err = t.stop()
            check(re.search(r"process %s exited" % re.escape(la), err), "stderr: %r" % err)
            check(re.search(r"process %s started: attached" % re.escape(lc), err),
                  "stderr: %r" % err)
            check(process(snap, a.pid)["exited"] and not process(snap, b.pid)["exited"] and
                  not process(snap, c.pid)["exited"], "exited flags")
            check(snap["pidof"] == name, "pidof %r" % snap.get("pidof"))
            for w in (b, c):
                polls = sum(t["polls"] for t in tasks_named(process(snap, w.pid),
                                                            "wl_tokio::fast_task"))
                check(polls > 0, "fast_task of pid %d never polled" % w.pid)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_several_record():
    """cattop record with two processes: a recording each (out.PID.rec),
    each replaying to its own process's tasks."""
    tmp = tempfile.mkdtemp(prefix="cattop-several-rec-")
    try:
        with Workload("tokio", args=ARGS) as a, Workload("smol", args=ARGS) as b:
            out = os.path.join(tmp, "trace.rec")
            r = run_cattop(["record", "-o", out, "-d", "3", "-p", "%d,%d" % (a.pid, b.pid)],
                           timeout=120)
            check(r.returncode == 0, "record exited %d: %s" % (r.returncode, r.stderr))
            for w, crate in ((a, "wl_tokio"), (b, "wl_smol")):
                path = os.path.join(tmp, "trace.%d.rec" % w.pid)
                check(os.path.exists(path), "no %s; stderr: %s" % (path, r.stderr))
                rep = run_cattop(["replay", path, "-b", "--snapshot", "-"], timeout=120)
                check(rep.returncode == 0, "replay exited %d: %s" % (rep.returncode, rep.stderr))
                snap = parse_snapshot(rep.stdout)
                check(snap["pid"] == w.pid, "replay of %s is pid %s" % (path, snap["pid"]))
                names = {t["name"] for t in snap["tasks"]}
                check(crate + "::fast_task" in names, "%s: tasks %s" % (path, sorted(names)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_several_bad_input():
    """A bad list, a name nothing runs, a pid gone: one line, non-zero."""
    def fails(args, pattern, code):
        r = run_cattop(args, timeout=60)
        check(r.returncode == code and re.search(pattern, r.stderr) and
              len(r.stderr.strip().splitlines()) == 1,
              "%s: exit %d, stderr %r" % (args, r.returncode, r.stderr))

    fails(["-p", "1,abc", "-b"], r"bad PID 'abc'", 2)
    fails(["-p", "1,", "-b"], r"bad PID", 2)
    fails(["--pidof", "a/b", "-b"], r"bad program name", 2)
    fails(["--pidof", "x", "--", "true"], r"not both", 2)
    fails(["--pidof", "no-such-program-%d" % os.getpid(), "-b", "-n", "1"],
          r"no process named 'no-such-program", 1)
    with Workload("tokio", args=ARGS) as w:
        gone = subprocess_gone_pid()
        fails(["-p", "%d,%d" % (w.pid, gone), "-b", "-n", "1"], r"%d" % gone, 1)
        check(w.alive(), "the workload died")
        fails(["record", "-o", "-", "-p", "%d,%d" % (w.pid, w.pid + 0), "--pidof", "x"],
              r"a file each", 2)


def subprocess_gone_pid():
    """A pid that was a process a moment ago and is gone now."""
    import subprocess
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


TESTS = [test_several_bad_input, test_several_batch, test_several_exit_and_pidof,
         test_several_record]
