#!/usr/bin/env python3
"""cattop's own CPU use while it watches a tokio process with many live tasks
(--idle-tasks N: N tasks alive, each polled once a second, plus the usual
workload). Runs the live view in tmux and batch mode, each for a fixed
window, and prints cattop's CPU time over wall time, measured in this run."""
import argparse
import os
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WL = os.path.join(ROOT, "tests", "workloads", "target", "debug", "wl-tokio")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cattop_pid(parent_cmd_marker):
    out = subprocess.run(["pgrep", "-f", parent_cmd_marker], capture_output=True, text=True)
    pids = [int(p) for p in out.stdout.split()]
    return pids[-1] if pids else None


def measure(cattop, wl_pid, mode, window):
    marker = "%s -p %d" % (cattop, wl_pid)
    if mode == "tui":
        subprocess.run(["tmux", "new-session", "-d", "-s", "cattop-bench", "-x", "120", "-y",
                        "40", "env LANG=C.UTF-8 %s -d 1" % marker], check=True)
        proc = None
    else:
        proc = subprocess.Popen([cattop, "-p", str(wl_pid), "-b", "-d", "1", "-r", "40"],
                                stdout=subprocess.DEVNULL)
    time.sleep(3)  # attach and first refreshes
    pid = proc.pid if proc else cattop_pid(marker)
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(window)
    c1, t1 = cpu_seconds(pid), time.monotonic()
    rss = rss_kib(pid)
    if proc:
        proc.terminate()
        proc.wait()
    else:
        subprocess.run(["tmux", "kill-session", "-t", "cattop-bench"])
    return 100.0 * (c1 - c0) / (t1 - t0), rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cattop", default=os.path.join(ROOT, "build", "cattop"))
    ap.add_argument("--tasks", type=int, default=10000)
    ap.add_argument("--window", type=float, default=10)
    a = ap.parse_args()
    wl = subprocess.Popen([WL, "--seconds", "120", "--wedge-after-ms", "1000000",
                           "--idle-tasks", str(a.tasks)], stdout=subprocess.PIPE, text=True)
    wl.stdout.readline()
    try:
        print("cattop CPU with %d idle tasks + workload, %.0f s windows" % (a.tasks, a.window))
        for mode in ("tui", "batch"):
            cpu, rss = measure(os.path.abspath(a.cattop), wl.pid, mode, a.window)
            print("  %-5s  cattop CPU %5.1f %% of one core   RSS %6.1f MiB" % (mode, cpu, rss / 1024))
    finally:
        wl.kill()
        wl.wait()


if __name__ == "__main__":
    main()
