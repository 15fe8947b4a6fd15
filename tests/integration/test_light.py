"""Light mode (--light, issue #17): no probe in the target, every task from
the runtime's task lists, and a CPU-clock sampler that reads which task each
worker runs (tokio's CONTEXT.current_task_id, async-std's CURRENT pointer).
What it must show: the wedged task, running and flagged, with its stack;
CPU shares close to the threads' own CPU time; every walked task; poll
counts absent, not zero. smol keeps no current-task thread-local: the walk
alone, no CPU share made up."""
import json
import os
import re
import subprocess
import threading
import time

import harness
from harness import Tmux, Workload, check, parse_snapshot, run_cattop, tasks_named, wait_for

TASKS = ("ticker_task", "parked_task", "blocker_task", "spinner_task", "wedged_task",
         "spawner_task", "fast_task")
TICK = os.sysconf("SC_CLK_TCK")


def thread_cpu(pid):
    """{tid: CPU seconds} of every thread of pid now."""
    out = {}
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(tid)] = (int(fields[11]) + int(fields[12])) / TICK
    return out


prog_names = {}


def prog_name(prog_id):
    if prog_id not in prog_names:
        out = subprocess.run(["bpftool", "prog", "show", "id", str(prog_id), "-j"],
                             capture_output=True, text=True).stdout
        prog_names[prog_id] = json.loads(out or "{}").get("name")
    return prog_names[prog_id]


def links_now(pid, samplers=("sample_task",)):
    """(uprobe links on pid, perf_event links of light mode's sampler
    programs: sample_task, or also sample_stack where the task is found on
    the stack): one bpftool call, cheap enough to repeat on a busy
    machine."""
    out = subprocess.run(["bpftool", "link", "show", "-j"], capture_output=True, text=True)
    links = json.loads(out.stdout or "[]")
    uprobes = [l for l in links if l.get("type") == "uprobe_multi" and l.get("pid") == pid]
    sampler = [l for l in links if l.get("type") == "perf_event"
               and prog_name(l.get("prog_id")) in samplers]
    return uprobes, sampler


class Watcher:
    """While cattop runs: the most uprobe links ever on pid, whether the
    sampler's links were seen, and (time, per-thread CPU) readings. The
    readings have a thread of their own: bpftool is slow on a loaded
    machine, and readings far apart would misplace the window's ends."""

    def __init__(self, pid, samplers=("sample_task",)):
        self.pid, self.max_uprobes, self.sampler_seen, self.looks = pid, 0, False, 0
        self.samplers = samplers
        self.cpu = []
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True),
                        threading.Thread(target=self.read_cpu, daemon=True)]
        for t in self.threads:
            t.start()

    def read_cpu(self):
        while not self.done.is_set():
            self.cpu.append((time.monotonic(), thread_cpu(self.pid)))
            self.done.wait(0.05)

    def run(self):
        while not self.done.is_set():
            uprobes, sampler = links_now(self.pid, self.samplers)
            self.max_uprobes = max(self.max_uprobes, len(uprobes))
            if sampler:  # cattop is attached: a look at its links that counts
                self.sampler_seen = True
                self.looks += 1
            self.done.wait(0.1)

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(30)
        self.cpu.append((time.monotonic(), thread_cpu(self.pid)))

    def cpu_at(self, tid, when):
        """tid's CPU seconds at when, interpolated between the readings
        around it."""
        before = [r for r in self.cpu if r[0] <= when] or self.cpu[:1]
        after = [r for r in self.cpu if r[0] >= when] or self.cpu[-1:]
        (t0, a), (t1, b) = before[-1], after[0]
        ca, cb = a.get(tid, 0), b.get(tid, 0)
        return ca if t1 <= t0 else ca + (cb - ca) * (when - t0) / (t1 - t0)

    def cpu_share(self, tid, start, end):
        """tid's CPU over [start, end] as a % of one CPU."""
        check(self.cpu[0][0] <= start + 0.1 and len(self.cpu) > 10,
              "too few CPU readings: %d from %s, window from %s"
              % (len(self.cpu), self.cpu[0][0], start))
        return 100.0 * (self.cpu_at(tid, end) - self.cpu_at(tid, start)) / (end - start)


def run_light(args, timeout=120):
    """cattop's run, and when the span its snapshot's shares are of ended
    (monotonic), known to lie between the last table's arrival (the final
    refresh, flushed; the snapshot's time is taken after one more tick) and
    the snapshot's (built after its time is taken: slow under ASan on a
    loaded machine)."""
    p = subprocess.Popen([harness.CATTOP, *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    out, err, seen = [], [], {}

    def read_out():
        for line in p.stdout:
            now = time.monotonic()
            if line.startswith("{") and "json" not in seen:
                seen["json"] = now
            elif "json" not in seen:
                seen["table"] = now
            out.append(line)

    readers = [threading.Thread(target=read_out, daemon=True),
               threading.Thread(target=lambda: err.append(p.stderr.read()), daemon=True)]
    for t in readers:
        t.start()
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        check(False, "cattop ran over %d s" % timeout)
    for t in readers:
        t.join(30)
    r = subprocess.CompletedProcess(p.args, p.returncode, "".join(out), "".join(err))
    end = seen.get("json", time.monotonic())
    return r, (seen.get("table", end), end)


def in_wedge(runtime, frame):
    """frame is the wedge: named wedged_* or, its poll inlined into the
    runtime's (async-std's release build: LocalKey::with), at a line of
    wedged_loop's body."""
    if "wedged_" in frame:
        return True
    path, shown = harness.source_file(runtime)
    with open(path) as f:
        lines = f.read().split("\n")
    first = next(i for i, l in enumerate(lines, 1) if l.startswith("async fn wedged_loop"))
    last = next(i for i, l in enumerate(lines, 1) if i > first and l == "}")
    m = re.search(r"\(%s:(\d+)\)$" % re.escape(shown), frame)
    return bool(m) and first < int(m.group(1)) < last


def check_light(runtime, profile):
    crate = "wl_" + runtime.replace("-", "_")
    # The wedge starts at once and outlasts the run: one worker busy in one
    # poll of wedged_task all along, a known truth however busy the machine.
    with Workload(runtime, profile, ["--seconds", "120", "--wedge-after-ms", "0",
                                     "--wedge-ms", "90000"]) as w:
        check(wait_for(lambda: any(c > 0.2 for c in thread_cpu(w.pid).values()), 30),
              "the wedge never burned CPU")
        # smol's sampler copies stacks: its program is the stack sampler's
        watch = Watcher(w.pid, ("sample_task", "sample_stack") if runtime == "smol"
                        else ("sample_task",))
        try:
            r, _ = run_light(["--light", "-p", str(w.pid), "-b", "-n", "4", "-d", "1", "-r",
                              "0", "--snapshot", "-"])
        finally:
            watch.stop()
    check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
    snap = parse_snapshot(r.stdout)
    label = "%s %s" % (runtime, profile)
    check(watch.max_uprobes == 0, "%s: %d uprobe links in light mode" % (label, watch.max_uprobes))
    check(watch.sampler_seen and watch.looks >= 2,
          "%s: the task sampler's perf_event links seen %d times" % (label, watch.looks))
    light = snap.get("light", {})
    check(snap.get("mode") == "light" and light.get("sampling"),
          "%s: mode %s, light %s" % (label, snap.get("mode"), light))
    check(snap["probes"]["attached"] == 0, "%s: %d probes" % (label, snap["probes"]["attached"]))
    check("light mode: no probes" in r.stdout and "POLLS" in r.stdout,
          "%s: header without the mode: %s" % (label, r.stdout[:300]))
    # every walked task listed, none with poll counts (null, not 0)
    walk = snap["task_walk"]
    # short tasks come and go: a walk meeting one being freed stops there
    check(walk["active"] and (walk["complete"] or "freed under the walk" in walk["status"])
          and walk["tasks"] >= len(TASKS), "%s: walk %s" % (label, walk))
    for name in TASKS:
        check(tasks_named(snap, "%s::%s" % (crate, name)), "%s: no task %s" % (label, name))
    for t in snap["tasks"]:
        check(t["polls"] is None and t["max_poll_ns"] is None and "sampled" in t
              and t["idle_ns"] is None,
              "%s: %s has polls %r" % (label, t["name"], t["polls"]))
    check(all(g["polls"] is None for g in snap["groups"]), "%s: group polls" % label)
    # the wedged task: running, flagged, its stack in the wedge
    wedged = tasks_named(snap, crate + "::wedged_task")[0]
    s = wedged["sampled"]
    check(wedged["state"] == "running" and s["wedged"] and s["running_tid"],
          "%s: wedged_task %s %s" % (label, wedged["state"], s))
    check(s["running_for_ns"] >= 500e6, "%s: wedged for only %d ns" % (label, s["running_for_ns"]))
    frames = wedged.get("slow_poll_stack", {}).get("frames", [])
    check(any(in_wedge(runtime, f) for f in frames), "%s: wedged stack %s" % (label, frames[:6]))
    # its CPU share against its worker's own CPU time over the same span
    # (cattop's own bounds, on CLOCK_MONOTONIC as the test's readings are)
    truth = watch.cpu_share(s["running_tid"], light["started_at_ns"] / 1e9, light["at_ns"] / 1e9)
    print("  light %s: wedged_task %.1f%% CPU sampled, its thread %.1f%%, wedged for >= %.2f s,"
          " %d samples, est. cost %.3f%%" % (label, s["cpu_pct"], truth, s["running_for_ns"] / 1e9,
                                           light["samples"], light["cost_cpu_pct"]))
    check(abs(s["cpu_pct"] - truth) <= 10,
          "%s: wedged_task %.1f%% CPU sampled, its thread used %.1f%%"
          % (label, s["cpu_pct"], truth))
    # a task that sleeps all along has no CPU
    parked = tasks_named(snap, crate + "::parked_task")[0]["sampled"]
    check(parked["cpu_pct"] < 2, "%s: parked_task %.1f%% CPU" % (label, parked["cpu_pct"]))


def test_light_tokio():
    check_light("tokio", "debug")
    check_light("tokio", "release-debuginfo")


def test_light_tokio_153():
    check_light("tokio-153", "debug")


def test_light_async_std():
    """async-std's CURRENT points into the polled task's future: the
    sampler's pointer is matched to the walked task it points into."""
    check_light("async-std", "debug")
    check_light("async-std", "release-debuginfo")


def test_light_smol():
    """smol keeps no current-task thread-local: each sample copies the
    stack, the running task is found in it; the workload's Executor is in
    no static, so the walk finds it through a task found on a stack. Then
    as tokio: the wedge found, its share, its stack."""
    check_light("smol", "debug")
    check_light("smol", "release-debuginfo")


def test_light_key():
    """The live view's L: probes out and the sampler in, then back, each
    seen by the kernel (links) and on screen; polls counted again after."""
    with Workload("tokio", args=["--seconds", "120"]) as w:
        ui = Tmux("%s -p %d -d 0.5" % (harness.CATTOP, w.pid), harness.ROOT, 120, 30)
        try:
            scr = ui.wait_screen(lambda t: "probes " in t and "events/s" in t, 60)
            check(wait_for(lambda: links_now(w.pid)[0], 60), "probes never attached: %s" % scr)
            ui.keys("L")
            scr = ui.wait_screen(lambda t: "LIGHT: no probes, sampling" in t, 60)
            check("LIGHT: no probes, sampling" in scr, "L: no light mode: %s" % scr)
            check(wait_for(lambda: not links_now(w.pid)[0] and links_now(w.pid)[1], 60),
                  "L: uprobes %s, sampler %s" % links_now(w.pid))
            ui.keys("L")
            scr = ui.wait_screen(lambda t: "probes attached again" in t and "events/s" in t, 60)
            check("events/s" in scr and "LIGHT:" not in scr, "L again (%s): %s" % ("LIGHT:" in scr, scr))
            check(wait_for(lambda: links_now(w.pid)[0] and not links_now(w.pid)[1], 60),
                  "L again: uprobes %s, sampler %s" % links_now(w.pid))
            # polls are counted again: the ticker's count grows on screen
            def ticker_polls(t):
                for line in t.splitlines():
                    f = line.split()
                    if len(f) > 3 and f[-1] == "wl_tokio::ticker_task" and f[2].isdigit():
                        return int(f[2])
                return 0
            scr = ui.wait_screen(lambda t: ticker_polls(t) >= 20, 60)
            check(ticker_polls(scr) >= 20, "no polls after L again: %s" % scr)
            ui.keys("q")
            scr = ui.wait_screen(lambda t: "EXIT=" in t, 30)
            check("EXIT=0" in scr, "cattop did not exit cleanly: %s" % scr[-300:])
        finally:
            ui.close()


TESTS = [test_light_tokio, test_light_tokio_153, test_light_async_std, test_light_smol,
         test_light_key]
