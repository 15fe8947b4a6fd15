#!/usr/bin/env python3
"""What reading every live task costs (issue #14), measured in this run.

wl-hung (tests/workloads, built with debug = 2 so the task lists can be
read) keeps N tasks parked forever: 2 deadlocked, N - 2 waiting on channels.
For each N (10k and 100k by default) and each tokio (Debian's 1.24 and
today's 1.53 from tests/workloads-tokio-1.53) this runs, on a fresh target:

  1. WINDOW seconds untraced, then WINDOW seconds with `cattop -b -d 1`
     attached, then the snapshot cattop writes at its end;
  2. reported: tasks read per walk, the last walk's wall time (task_walk.
     walk_ns), walks done in the window (a long list is walked at most 1/20
     of the time), cattop's CPU over wall time, and for the target: its
     state sampled every ~2 ms (a walk never stops it: 'T' would show) and
     the longest gap between its progress lines (every 200 ms from its
     main thread) untraced and traced: the target's slowdown, if any.

Options: --tasks 10000,100000  --window 15  --tokio 1.24,1.53  --cattop PATH.
Stdlib only, root.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HUNG = {"1.24": os.path.join(ROOT, "tests", "workloads", "target", "release-debuginfo",
                             "wl-hung"),
        "1.53": os.path.join(ROOT, "tests", "workloads-tokio-1.53", "target",
                             "release-debuginfo", "wl-hung-153")}
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def proc_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "?"


class Target:
    """wl-hung with its progress lines timed as they arrive."""

    def __init__(self, exe, tasks, seconds):
        self.proc = subprocess.Popen([exe, "--idle", str(tasks - 2), "--seconds", str(seconds)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready pid="):
            raise SystemExit("wl-hung did not start: %r" % line)
        self.pid = self.proc.pid
        self.arrivals = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith("progress"):
                self.arrivals.append(time.monotonic())

    def longest_gap(self, start, end):
        ts = [t for t in self.arrivals if start <= t <= end]
        return max((b - a for a, b in zip(ts, ts[1:])), default=float("nan"))

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def sample_states(pid, until, out):
    while time.monotonic() < until:
        out.append(proc_state(pid))
        time.sleep(0.002)


def measure(cattop, exe, tasks, window):
    t = Target(exe, tasks, seconds=int(3 * window + 60))
    try:
        time.sleep(1.0)  # its progress lines settle
        s0 = time.monotonic()
        time.sleep(window)
        s1 = time.monotonic()
        with tempfile.TemporaryDirectory() as d:
            snap_path = os.path.join(d, "snap.json")
            c = subprocess.Popen([cattop, "-p", str(t.pid), "-b", "-d", "1", "-r", "1",
                                  "--snapshot", snap_path],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            cpu0, w0 = cpu_seconds(c.pid), time.monotonic()
            states = []
            sample_states(t.pid, w0 + window, states)
            cpu1, w1 = cpu_seconds(c.pid), time.monotonic()
            c.send_signal(2)
            err = c.communicate(timeout=120)[1]
            if c.returncode != 0:
                raise SystemExit("cattop exited %d: %s" % (c.returncode, err.strip()))
            with open(snap_path) as f:
                walk = json.load(f)["task_walk"]
        return {"tasks": walk["tasks"], "complete": walk["complete"],
                "walk_ms": walk["walk_ns"] / 1e6, "walks": walk["walks"],
                "cpu_pct": 100.0 * (cpu1 - cpu0) / (w1 - w0),
                "stopped": sum(1 for s in states if s in "tT"), "samples": len(states),
                "gap_untraced_ms": 1000 * t.longest_gap(s0, s1),
                "gap_traced_ms": 1000 * t.longest_gap(w0, w1), "status": walk["status"]}
    finally:
        t.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tasks", default="10000,100000")
    ap.add_argument("--window", type=float, default=15.0)
    ap.add_argument("--tokio", default="1.24,1.53")
    ap.add_argument("--cattop", default=os.path.join(ROOT, "build", "cattop"))
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("walk_cost.py: run as root (cattop attaches probes)")
    print("task-list walk cost: wl-hung (release, debug = 2), cattop -b -d 1, %.0f s a window"
          % a.window)
    fmt = "  %-6s %8s %8s %9s %6s %8s %9s %12s %12s"
    print(fmt % ("tokio", "tasks", "read", "walk ms", "walks", "CPU %", "stopped",
                 "gap untraced", "gap traced"))
    for version in a.tokio.split(","):
        exe = HUNG.get(version)
        if not exe or not os.path.exists(exe):
            print("  %-6s not built (make workloads)" % version)
            continue
        for n in (int(x) for x in a.tasks.split(",")):
            r = measure(a.cattop, exe, n, a.window)
            print(fmt % (version, n, "%d%s" % (r["tasks"], "" if r["complete"] else "*"),
                         "%.1f" % r["walk_ms"], r["walks"], "%.1f" % r["cpu_pct"],
                         "%d/%d" % (r["stopped"], r["samples"]),
                         "%.0f ms" % r["gap_untraced_ms"], "%.0f ms" % r["gap_traced_ms"]))
            if not r["complete"]:
                print("         * incomplete: %s" % r["status"])
            sys.stdout.flush()
    print("gap: the longest interval between the target's 200 ms progress lines")


if __name__ == "__main__":
    main()
