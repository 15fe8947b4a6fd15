"""Faults (issue #7): the target misbehaves (execs, forks, churns threads,
panics through probed futures, nests futures past the return-probe limit,
wedges, floods the ring buffer or spawns tasks by the hundred thousand),
cattop is killed or signalled, its output cannot be written, the target's
binary is deleted or hidden in another mount namespace, options are absurd,
or a non-root user with file capabilities aims at someone else's process.

Each test asserts what cattop must do: keep running or end cleanly with a
final snapshot, report numbers that are still right, leave no probe behind,
and never harm the target (it stays alive and keeps making progress).

The target of most tests is tests/workloads/wl-faults (one --mode per
fault; it prints `progress n=N ticks=T ms=M` every 200 ms from a plain
thread, so a stalled or dead target shows). The target exiting mid-trace is
test_core.test_target_exit; a non-root user without capabilities is in
test_core.test_bad_input."""
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import harness
from harness import (MS, S, ROOT, WORKLOADS, Tmux, Workload, binary, check, child,
                     one_task, parse_snapshot, run_cattop, tasks_named)

FAULTS = os.path.join(WORKLOADS, "target", "debug", "wl-faults")
CRATE = "wl_faults"
NOBODY = 65534


# ---------------------------------------------------------------- helpers ---

class Faults(Workload):
    """wl-faults --mode MODE; its progress lines are read as they come."""

    def __init__(self, mode, *args):
        super().__init__(None, args=["--mode", mode, *[str(a) for a in args]], exe=FAULTS)
        self.lines = []  # (time.monotonic(), line)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append((time.monotonic(), line.strip()))

    def progress(self, after=None):
        """The latest (n, ticks, ms) the target printed; with after (a
        time.monotonic()), the first printed after it, None if none yet."""
        for t, line in (self.lines if after is not None else reversed(self.lines)):
            m = re.match(r"progress n=(\d+) ticks=(\d+) ms=(\d+)", line)
            if m and (after is None or t > after):
                return tuple(int(x) for x in m.groups())
        return None if after is not None else (0, 0, 0)

    def ticks_since(self, when, ticks, timeout):
        """Waits until the target has ticked `ticks` times since `when` (by
        its progress lines, the first one after `when` as the start: an
        underestimate); returns whether it did within timeout s."""
        start = harness.wait_for(lambda: self.progress(after=when), timeout)
        return start is not None and harness.wait_for(
            lambda: self.progress()[1] - start[1] >= ticks, timeout)

    def line(self, pattern, timeout=0):
        """The first line matching pattern (waiting up to timeout s), or None."""
        end = time.monotonic() + timeout
        while True:
            for t, line in list(self.lines):
                m = re.match(pattern, line)
                if m:
                    return m
            if time.monotonic() >= end:
                return None
            time.sleep(0.05)

    def rate(self, seconds):
        """(n per second, ticks per second) over the next `seconds`, by the
        target's own clock."""
        time.sleep(0.25)
        n0, t0, ms0 = self.progress()
        time.sleep(seconds)
        n1, t1, ms1 = self.progress()
        dt = max(ms1 - ms0, 1) / 1000.0
        return (n1 - n0) / dt, (t1 - t0) / dt

    def check_progressing(self, what, seconds=0.8, min_ticks=50):
        check(self.alive(), "%s: the target died (exit %s)" % (what, self.proc.poll()))
        _, ticks = self.rate(seconds)
        check(ticks * seconds >= min_ticks and self.alive(),
              "%s: the target is not progressing: %.0f ticks/s" % (what, ticks))


def links_of(pid):
    """uprobe_multi links on process pid (other cattops may be running)."""
    return [l for l in harness.uprobe_multi_links() if l.get("pid") == pid]


def wait_links_gone(pid, timeout=20.0):
    """The links on pid still there after waiting for them to go (the
    kernel unregisters uprobes after an RCU grace period, which a busy
    machine makes longer: whether they go is the point, not how fast)."""
    end = time.monotonic() + timeout
    while links_of(pid) and time.monotonic() < end:
        time.sleep(0.05)
    return links_of(pid)


def walk(nodes, depth=0):
    for n in nodes:
        yield n, depth
        yield from walk(n["children"], depth + 1)


def check_sane(snap, what, max_tasks=None):
    """No negative or impossible number anywhere: a poll is not longer than
    the trace, a task is not busier than the trace, unknown and slow polls
    are polls. (uint64 garbage shows as negative JSON integers.)"""
    elapsed = snap["elapsed_ns"]
    bad = []
    for t in snap["tasks"]:
        for node in [t] + [n for n, _ in walk(t["futures"])]:
            vals = {k: node[k] for k in ("polls", "busy_ns", "max_poll_ns", "slow_polls",
                                         "inflight_ns", "unknown_polls")}
            if (min(vals.values()) < 0 or vals["max_poll_ns"] > elapsed
                    or vals["busy_ns"] > elapsed or vals["inflight_ns"] > elapsed
                    or vals["unknown_polls"] > vals["polls"]
                    or vals["slow_polls"] > vals["polls"] - vals["unknown_polls"]):
                bad.append((t["id"], node["name"], vals))
    check(not bad, "%s: impossible numbers (elapsed %d ns): %s" % (what, elapsed, bad[:4]))
    counters = snap["counters"]
    check(min(counters.values()) >= 0 and snap["events_lost"] >= 0,
          "%s: negative counters %s" % (what, counters))
    if max_tasks is not None:
        check(len(snap["tasks"]) <= max_tasks, "%s: %d tasks" % (what, len(snap["tasks"])))


def load_json(path):
    with open(path) as f:
        return json.load(f)


def vm_kb(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def san_env(**opts):
    """ASAN_OPTIONS with opts added: freed memory in ASan's quarantine
    (256 MiB by default) would read as a leak in an RSS bound."""
    env = dict(os.environ)
    extra = ":".join("%s=%s" % kv for kv in opts.items())
    env["ASAN_OPTIONS"] = (env["ASAN_OPTIONS"] + ":" + extra) if env.get("ASAN_OPTIONS") else extra
    return env


popen_cattop = harness.popen_cattop


def finish(p, timeout=15, what="cattop"):
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        check(False, "%s: cattop did not exit within %ss; stderr %r"
              % (what, timeout, err[-500:]))
    return p.returncode, out, err


def batch_headers(out):
    return [l for l in out.splitlines() if l.startswith("cattop - pid")]


def task_rows(out, name):
    """Rows of a task in the batch tables: (state, polls, longest, inflight)."""
    rows = []
    for l in out.splitlines():
        # ID STATE POLLS BUSY LONGEST INFLIGHT SLOW IDLE [SCHED] NAME [lints] [@ line]
        m = re.match(r"\s+\d+ (\w+)\s+(\d+)\s+\S+\s+(\S+)\s+(\S+)\s+\d+\s+\S+\s+(?:\S+\s+)?"
                     r"(\w\S*::\S+)(?:  \[\w+(?:: [^\]]*)?\])*(?:  @ \S+)?$", l)
        if m and m.group(5) == name:
            rows.append(m.groups()[:4])
    return rows


def dur_ns(text):
    """A table duration ('1.48s!', '312ms', '-') in ns."""
    m = re.match(r"([\d.]+)(s|ms|us|ns)", text)
    if not m:
        return 0
    return int(float(m.group(1)) * {"s": S, "ms": MS, "us": 1000, "ns": 1}[m.group(2)])


def mount_tmpfs(path, opts):
    subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", path], check=True)


def umount(path):
    subprocess.run(["umount", "-l", path], capture_output=True)


def one_error_line(err, pattern, what):
    lines = [l for l in err.strip().splitlines() if not is_notice(l)]
    check(len(lines) == 1 and re.search(pattern, lines[0]) is not None,
          "%s: stderr %r !~ %r" % (what, err, pattern))


def is_notice(line):
    """cattop's informational lines that may come with any run."""
    return bool(re.match(r"cattop: \d+ of \d+ probed functions start with", line))


# ------------------------------------------------------- target faults ---

def check_exec(self_exec):
    """The target execs: cattop must notice, print why it stopped, write the
    final snapshot of what it saw before the exec, exit 0, and take its
    probes off; the new program runs on unharmed. The exec comes once
    cattop is attached and the ticker has polled 300 times under it."""
    what = "exec of itself" if self_exec else "exec of /bin/sleep"
    extra = ["--exec-self"] if self_exec else []
    with tempfile.TemporaryDirectory() as d, \
            Faults("exec", "--seconds", 60, "--exec-after-ms", 0, "--start-file",
                   os.path.join(d, "exec"), *extra) as w:
        out = os.path.join(d, "snap.json")
        p = popen_cattop(["-p", str(w.pid), "-b", "-d", "0.5", "-r", "5", "--snapshot", out])
        check(harness.attached(w.pid), "%s: cattop did not attach" % what)
        check(w.ticks_since(time.monotonic(), 300, 30), "%s: the ticker does not tick" % what)
        open(os.path.join(d, "exec"), "w").close()
        execd = w.line(r"exec$", timeout=10)
        check(execd is not None, "%s: the workload did not exec" % what)
        # After an exec of the probed file itself the kernel takes several
        # seconds to unregister the uprobes (return instances of the old
        # program's threads keep its SRCU grace period open): cattop has
        # stopped tracing at once (see the message), its exit waits on that.
        rc, stdout, err = finish(p, timeout=12 if self_exec else 4,
                                 what="%s: after the exec (it traces the new program as "
                                 "if it were the old one)" % what)
        check(rc == 0, "%s: exit %d: %s" % (what, rc, err))
        check(re.search(r"exec", err) is not None,
              "%s: no message about the exec: %r" % (what, err))
        snap = load_json(out)
        check_sane(snap, what)
        ticker = one_task(snap, CRATE + "::ticker_task")
        check(ticker["polls"] >= 300,
              "%s: ticker polls %d before the exec" % (what, ticker["polls"]))
        check(len(tasks_named(snap, CRATE + "::ticker_task")) == 1,
              "%s: the new program's tasks mixed into the old one's" % what)
        check(w.alive(), "%s: the new program died" % what)
        if self_exec:
            # the kernel drags the unregistration of the old program's
            # uprobes out while the process lives (return instances, and the
            # new program's breakpoints taken out one by one): it must end
            # with it, cattop having let go at once
            w.stop()
        check(not wait_links_gone(w.pid, timeout=10.0), "%s: probes left behind" % what)


def test_exec():
    check_exec(False)


def test_exec_self():
    """The same, the target execs its own binary (the probed file again)."""
    check_exec(True)


def test_fork():
    """The target forks a child that runs the same (probed) code for 4 s,
    runs /bin/sleep every 100 ms and forks inside a poll: the children's
    polls are not the parent's, and nobody is harmed. The fork comes once
    cattop is attached; cattop stops once the child is done."""
    with tempfile.TemporaryDirectory() as d, \
            Faults("fork", "--seconds", 120, "--fork-after-ms", 0, "--child-seconds", 4,
                   "--start-file", os.path.join(d, "fork")) as w:
        p = popen_cattop(["-p", str(w.pid), "-b", "-d", "600", "-r", "0", "--snapshot", "-"])
        check(harness.attached(w.pid), "cattop did not attach")
        t_attached = time.monotonic()
        open(os.path.join(d, "fork"), "w").close()
        check(w.line(r"forked child=(\d+)", timeout=10) is not None, "no fork happened")
        done = w.line(r"child done ticks=(\d+)", timeout=30)
        status = w.line(r"child exited status=(-?\d+)", timeout=5)
        t_stop = time.monotonic()
        p.send_signal(signal.SIGINT)
        rc, stdout, err = finish(p)
        check(rc == 0, "exit %d: %s" % (rc, err))
        snap = parse_snapshot(stdout)
        check_sane(snap, "fork")
        names = {t["name"] for t in snap["tasks"]}
        check(not names & {CRATE + "::child_task", CRATE + "::child_main"},
              "the child's tasks are reported as the parent's: %s" % sorted(names))
        check(len(tasks_named(snap, CRATE + "::ticker_task")) == 1,
              "two ticker tasks: the child's ticker counted as the parent's")
        # each ticker iteration is one task poll: the parent's rate while
        # traced (first progress line after the attach to the last before
        # the stop), not twice it
        first = w.progress(after=t_attached)
        last = [m for t, l in w.lines if t < t_stop
                for m in [re.match(r"progress n=(\d+) ticks=(\d+) ms=(\d+)", l)] if m][-1]
        n0, ticks0, ms0 = first
        n1, ticks1, ms1 = (int(x) for x in last.groups())
        ticker = one_task(snap, CRATE + "::ticker_task")
        rate = (ticks1 - ticks0) / max(ms1 - ms0, 1) * 1000
        want = rate * snap["elapsed_ns"] / S
        check(0.6 * want <= ticker["polls"] <= 1.4 * want,
              "ticker polled %d times, the parent ticked ~%.0f" % (ticker["polls"], want))
        check(n1 - n0 >= 10, "only %d /bin/sleep runs while traced" % (n1 - n0))
        w.check_progressing("fork")
        check(done is not None and int(done.group(1)) >= 300,
              "the child did not run its 4 s: %s" % (done and done.group(0)))
        check(status is not None and status.group(1) == "0",
              "the child exited badly: %s" % (status and status.group(0)))


def test_threads():
    """Thousands of threads start and end (spawn_blocking with a 1 ms
    keep-alive, std threads each with its own block_on): per-thread state
    must go with its thread. The live tasks stay the few really alive, the
    counts add up, and cattop's anonymous RSS stays flat: a thread's open-frame stack
    is ~24 KB, so keeping those of 1000 dead threads would add > 20 MiB
    (ASan's quarantine off, 8 MiB allowed)."""
    with tempfile.TemporaryDirectory() as d, Faults("threads", "--seconds", 120) as w:
        out = os.path.join(d, "snap.json")
        p = popen_cattop(["-p", str(w.pid), "-b", "-d", "1", "-r", "3",
                          "--snapshot", out], env=san_env(quarantine_size_mb=0))
        check(harness.attached(w.pid), "cattop did not attach")
        now = time.monotonic()
        start = harness.wait_for(lambda: w.progress(after=now), 10)
        check(start is not None, "the target prints no progress")
        n0 = start[0]
        time.sleep(2.0)  # the model warmed up: then 8 s of churn, measured
        # anonymous memory only: the target's binary, which cattop maps,
        # adds file pages the first time a part of it is read (DWARF for
        # await lines, code): ~7 MiB at once, seconds into the run
        rss_early = vm_kb(p.pid, "RssAnon")
        time.sleep(8.0)
        rss_late = vm_kb(p.pid, "RssAnon")
        n1 = w.progress()[0]
        p.send_signal(signal.SIGINT)
        rc, stdout, err = finish(p)
        check(rc == 0, "exit %d: %s" % (rc, err))
        snap = load_json(out)
        check_sane(snap, "threads")
        threads = n1 - n0
        check(threads >= 400, "only %d std threads while traced" % threads)
        live = [t for t in snap["tasks"] if t["state"] != "done"]
        # really alive: ticker, the two churn tasks, a few threads' block_on
        # roots and subtasks, up to 8 blocking jobs
        check(len(live) <= 40, "%d tasks not done after %d threads came and went; by name: %s" % (
            len(live), threads, sorted({t["name"] for t in live})[:6]))
        subtasks = snap["counters"]["tasks_seen"]
        check(subtasks >= threads, "tasks_seen %d < %d threads each with its own task"
              % (subtasks, threads))
        check(snap["counters"]["unmatched_returns"] <= 5,
              "unmatched returns %d" % snap["counters"]["unmatched_returns"])
        growth = (rss_late - rss_early) / 1024
        check(growth < 8, "cattop anonymous RSS grew %.1f MiB (%d -> %d KiB) in 8 s of thread "
              "churn" % (growth, rss_early, rss_late))
        w.check_progressing("threads")


def test_threads_workers_panel():
    """The live view's Workers panel under the same thread churn: it lists
    threads of the target, not the hundreds of blocking-pool threads that
    polled a task once and are gone (shown with no name, idle for seconds)."""
    with tempfile.TemporaryDirectory() as d, Faults("threads", "--seconds", 120) as w:
        ui = Tmux("%s -p %d -d 0.5" % (harness.CATTOP, w.pid), d, width=110, height=40)
        try:
            ui.wait_screen(lambda t: "Workers" in t and " ID " in t, 60)
            time.sleep(4.0)  # threads come and go meanwhile, hundreds of them
            scr = ui.screen()
            alive = {int(t) for t in os.listdir("/proc/%d/task" % w.pid)}
            check("Workers" in scr, "no Workers panel: %s" % scr)
            panel = scr.split("Workers", 1)[1].split(" ID ", 1)[0]
            rows = re.findall(r"^ +(\d+) (.{15}) (.*)$", panel, re.M)
            gone = [(tid, rest) for tid, name, rest in rows if int(tid) not in alive
                    and re.match(r"idle, last poll ended ([\d.]+)s ago", rest)
                    and float(re.match(r"idle, last poll ended ([\d.]+)s", rest).group(1)) > 2]
            check(rows and not gone, "the Workers panel lists %d threads that ended long ago "
                  "(of %d rows): %s" % (len(gone), len(rows), gone[:3]))
            ui.keys("q", wait=1.0)
        finally:
            ui.close()
        w.check_progressing("workers panel")


def panic_window(extra, what):
    with Faults("panic", "--seconds", 120) as w:
        time.sleep(0.3)
        n0 = w.progress()[0]
        r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", "3", "--snapshot", "-", *extra])
        time.sleep(0.3)
        check(w.alive(), "%s: the target died while traced (exit %s: a panic could not "
              "unwind through a return-probed frame)" % (what, w.proc.poll()))
        check(r.returncode == 0, "%s: cattop exit %d: %s" % (what, r.returncode, r.stderr))
        snap = parse_snapshot(r.stdout)
        n1 = w.progress()[0]
        check(n1 - n0 >= 60, "%s: only %d panics caught while traced" % (what, n1 - n0))
        check_sane(snap, what)
        check(snap["counters"]["unmatched_returns"] <= 5,
              "%s: unmatched returns %d" % (what, snap["counters"]["unmatched_returns"]))
        if "--tasks-only" in extra:  # no futures probed
            busy = [t for t in snap["tasks"] if t["polls"] >= 20]
            check(len(busy) >= 3 and all(t["max_poll_ns"] < 500 * MS for t in snap["tasks"]),
                  "%s: tasks %s" % (what, [(t["polls"], t["max_poll_ns"]) for t in busy]))
        else:
            for name in ("catch_task", "panic_task", "ticker_task"):
                t = one_task(snap, CRATE + "::" + name)
                check(t["max_poll_ns"] < 500 * MS and t["polls"] >= 20,
                      "%s: %s polls %d longest %d ns" % (what, name, t["polls"],
                                                         t["max_poll_ns"]))
        w.check_progressing(what)
        return snap


def test_panics():
    """Futures panic every 50 ms inside a poll, three async fns deep; tokio
    (JoinError) or a hand-written future's catch_unwind catches it. The
    target must survive being traced; the frames the unwinding skipped are
    counted as abandoned, never given time."""
    snap = panic_window([], "panics")
    check(snap["counters"]["abandoned_frames"] >= 40,
          "abandoned frames %d" % snap["counters"]["abandoned_frames"])
    inner = [n for t in snap["tasks"] for n, _ in walk(t["futures"])
             if n["name"] == CRATE + "::panic_inner"]
    check(inner and sum(n["unknown_polls"] for n in inner) >= 20,
          "the panicking polls are not counted as unknown: %s" % inner[:2])
    check(all(n["max_poll_ns"] < 100 * MS for n in inner),
          "panic_inner polls given absurd times: %s" % [n["max_poll_ns"] for n in inner])


def test_panics_tasks_only():
    """With --tasks-only only the runtime's task poll has a return probe;
    the runtime catches the panic below it: the target lives."""
    panic_window(["--tasks-only"], "panics --tasks-only")


def test_panics_focus():
    """Futures probed by --focus (attached after the task polls' probes)
    have return probes too: the panic guard must cover them."""
    snap = panic_window(["--focus", "*::panic_outer"], "panics --focus")
    inner = [n for t in snap["tasks"] for n, _ in walk(t["futures"])
             if n["name"] == CRATE + "::panic_inner"]
    check(inner and sum(n["unknown_polls"] for n in inner) >= 20,
          "--focus: the panicking polls are not seen: %s" % inner[:2])


def deep_chain(snap):
    task = one_task(snap, CRATE + "::deep_task")
    node = child(task, CRATE + "::deep_task")
    chain = []
    while node["children"]:
        check(len(node["children"]) == 1, "deep chain forks at %s" % node["name"])
        node = node["children"][0]
        chain.append(node)
    return chain


def test_deep():
    """101 nested async fn polls. The kernel's return probes nest at most 64
    deep per thread; cattop's futures are timed by probes on their ret
    instructions, which have no such limit: every level is timed, each no
    busier than its parent. Past its own stack limit (512, with --depth 600)
    it counts too_deep."""
    with Faults("deep", "--seconds", 120, "--depth", 100) as w:
        snap = harness.snapshot_when_polled(w.pid, CRATE + "::ticker_task", 250)
        check_sane(snap, "deep")
        chain = deep_chain(snap)
        check(len(chain) == 101 and all(n["name"] == CRATE + "::deep_level" for n in chain),
              "chain of %d deep_level, want 101" % len(chain))
        untimed = [i for i, n in enumerate(chain)
                   if n["polls"] == 0 or n["unknown_polls"] * 2 >= n["polls"] or not n["busy_ns"]]
        check(not untimed, "levels not timed (past 64, where return probes stop?): %s" % untimed)
        for a, b in zip(chain, chain[1:]):
            check(b["busy_ns"] <= a["busy_ns"] and b["max_poll_ns"] <= a["max_poll_ns"],
                  "a level busier than its parent: %d > %d" % (b["busy_ns"], a["busy_ns"]))
        c = snap["counters"]
        check(c["too_deep"] == 0 and c["unmatched_returns"] == 0, "counters %s" % c)
        ticker = one_task(snap, CRATE + "::ticker_task")
        # a poll entered while the return probes were going in (the attach
        # window: a few ms, longer on a loaded machine, and the ticker polls
        # every 2 ms) has no measurable end: a few, not the ticker's polls
        check(ticker["unknown_polls"] <= max(2, ticker["polls"] // 20) and ticker["polls"] >= 200,
              "the shallow ticker's numbers suffer: %s" % {k: ticker[k] for k in
                                                           ("polls", "unknown_polls")})
        w.check_progressing("deep")
    with Faults("deep", "--seconds", 120, "--depth", 600) as w:
        time.sleep(0.3)
        r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", "2", "--snapshot", "-"])
        check(r.returncode == 0, "depth 600: exit %d %s" % (r.returncode, r.stderr[-300:]))
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(10000)
        try:
            snap = parse_snapshot(r.stdout)
        finally:
            sys.setrecursionlimit(limit)
        check(snap["counters"]["too_deep"] > 0, "depth 600: too_deep not counted")
        depth = max(d for t in snap["tasks"] for _, d in walk(t["futures"]))
        check(depth < 512, "depth 600: tree %d deep" % depth)
        w.check_progressing("depth 600")


def batch_tables(out):
    """Each batch table: (cattop's `up` seconds in its header, its text)."""
    tables = []
    for part in re.split(r"^(?=cattop - pid )", out, flags=re.M):
        m = re.match(r"cattop - pid .* up (\S+)\s", part)
        if m:
            tables.append((dur_ns(m.group(1)) / S, part))
    return tables


def test_wedge_long():
    """One task spins 9 s without yielding (past 2^32 ns, where a 32-bit
    duration would wrap): in flight it grows with the clock; when it ends
    its poll counts the full 9 s, as poll time plus the waits for a CPU a
    busy machine adds (a poll's time leaves those out); nothing else is
    disturbed. The wedge starts once cattop is attached."""
    with tempfile.TemporaryDirectory() as d, \
            harness.wedging_workload("tokio", wedge_ms=9000) as w:
        out = os.path.join(d, "snap.json")
        p = popen_cattop(["-p", str(w.pid), "-b", "-d", "1", "-r", "8", "-t", "1ms",
                          "--snapshot", out])
        check(harness.attached(w.pid), "cattop did not attach")
        time.sleep(0.5)
        w.wedge()
        time.sleep(10.5)  # the 9 s wedge, and a table or more after it ended
        p.send_signal(signal.SIGINT)
        rc, stdout, err = finish(p, timeout=60)
        check(rc == 0, "exit %d %s" % (rc, err))
        running = []  # (up, in flight) of the tables that show it running
        for up, table in batch_tables(stdout):
            rows = task_rows(table, "wl_tokio::wedged_task")
            running += [(up, dur_ns(x[3])) for x in rows if x[0] == "running"]
        check(len(running) >= 6, "the wedged task was not seen running: %s" % running)
        # in flight grows as cattop's clock does between its tables (a
        # late table on a busy machine is late for both)
        inflight = [x for _, x in running]
        grew = inflight[-1] - inflight[0]
        clock = (running[-1][0] - running[0][0]) * S
        check(all(b > a for a, b in zip(inflight, inflight[1:])) and
              abs(grew - clock) < 0.1 * S,
              "in flight grew %d ns over %d ns of tables: %s" % (grew, clock, running))
        snap = load_json(out)
        check_sane(snap, "wedge")
        wedged = one_task(snap, "wl_tokio::wedged_task")
        loop = child(child(wedged, "wl_tokio::wedged_task"), "wl_tokio::wedged_loop")
        check(loop["slow_polls"] == 1 and loop["polls"] == 1, "wedged_loop %d polls, %d slow" % (
            loop["polls"], loop["slow_polls"]))
        wall = loop["busy_ns"] + loop["cpu_wait_ns"]  # its one poll's wall time
        check(8.7 * S <= wall <= 9.8 * S and wall > 2 ** 32 and loop["inflight_ns"] == 0
              and loop["max_poll_ns"] == loop["busy_ns"],
              "wedged_loop: poll %d ns + %d ns waiting for a CPU, in flight %d: want the "
              "9 s poll, over" % (loop["busy_ns"], loop["cpu_wait_ns"], loop["inflight_ns"]))
        # the task's poll holds the loop's: as long, at most its own waits longer
        check(loop["max_poll_ns"] <= wedged["max_poll_ns"] <= wall
              and wedged["inflight_ns"] == 0,
              "wedged_task longest %d ns, in flight %d: want the loop's 9 s poll" % (
                  wedged["max_poll_ns"], wedged["inflight_ns"]))
        ticker = one_task(snap, "wl_tokio::ticker_task")
        check(ticker["polls"] >= 100 and ticker["max_poll_ns"] < 1 * S,
              "ticker %d polls longest %d" % (ticker["polls"], ticker["max_poll_ns"]))
        check(w.alive(), "target died")


# ------------------------------------------------------- cattop faults ---

def text_bytes(pid, offsets, exe):
    """The target's code bytes at these file offsets, and the file's."""
    maps = []
    real = os.path.realpath("/proc/%d/exe" % pid)
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 6 and "x" in parts[1] and parts[5] in (real, exe):
                lo, hi = (int(x, 16) for x in parts[0].split("-"))
                maps.append((lo, hi, int(parts[2], 16)))
    mem, disk = {}, {}
    with open("/proc/%d/mem" % pid, "rb") as m, open(exe, "rb") as f:
        for off in offsets:
            for lo, hi, moff in maps:
                if moff <= off < moff + (hi - lo):
                    m.seek(lo + off - moff)
                    mem[off] = m.read(1)
                    f.seek(off)
                    disk[off] = f.read(1)
    return mem, disk


def test_sigkill():
    """SIGKILL of cattop while attached (and while attaching): the kernel
    drops its links with its file descriptors; every breakpoint leaves the
    target's code, which runs on."""
    with Faults("tick", "--seconds", 120) as w:
        # killed in the middle of reading symbols / attaching
        for delay in (0.05, 0.2):
            p = popen_cattop(["-p", str(w.pid), "-b", "-d", "1"], stdout=subprocess.DEVNULL)
            time.sleep(delay)
            p.kill()
            p.wait()
            check(not wait_links_gone(w.pid), "killed after %.2fs: links left" % delay)
        w.check_progressing("killed while attaching")
        p = popen_cattop(["-p", str(w.pid), "-b", "-d", "1"], stdout=subprocess.DEVNULL)
        harness.attached(w.pid)
        links = links_of(w.pid)
        check(len(links) >= 2, "not attached: %d links" % len(links))
        offsets = sorted({f["offset"] for l in links for f in l.get("funcs", [])})
        mem, disk = text_bytes(w.pid, offsets, FAULTS)
        check(len(mem) == len(offsets) and any(mem[o] != disk[o] for o in offsets),
              "no breakpoint seen in the target's code while attached")
        p.kill()
        p.wait()
        check(not wait_links_gone(w.pid), "SIGKILL left uprobe_multi links")
        mem, disk = text_bytes(w.pid, offsets, FAULTS)
        changed = [hex(o) for o in offsets if mem.get(o) != disk[o]]
        check(not changed, "code still patched after SIGKILL at %s" % changed[:5])
        w.check_progressing("SIGKILL")


def cattop_child_of(pane_pid):
    with open("/proc/%d/task/%d/children" % (pane_pid, pane_pid)) as f:
        kids = [int(x) for x in f.read().split()]
    for k in kids:
        try:
            with open("/proc/%d/comm" % k) as f:
                if f.read().strip() == "cattop":
                    return k
        except OSError:
            pass
    return None


def test_stop_signals():
    """SIGTERM and SIGHUP (SIGINT: test_core) end batch mode at once with
    exit 0, the last table and the snapshot; cattop record closes its
    recording whole; the live view (also quit with Ctrl-C) leaves the
    terminal as it found it (normal screen, cooked mode, echo). Probes gone
    each time."""
    with Faults("tick", "--seconds", 120) as w, tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            out = os.path.join(d, "snap-%d.json" % sig)
            # no refresh comes in the test's time: the one table is the last
            p = popen_cattop(["-p", str(w.pid), "-b", "-d", "600", "-r", "3", "--snapshot",
                              out], env=harness.timed_env())
            name = signal.Signals(sig).name
            check(harness.attached(w.pid), "%s: cattop did not attach" % name)
            # what cattop does to quit is its CPU time (see test_quit_fast_and_clean)
            rc, stdout, err, took, own, cpu = harness.stop_and_time(p, sig)
            check(rc == 0 and cpu < 0.5, "%s: exit %s after %.2fs of CPU (%.2fs in all): %s"
                  % (name, rc, cpu, took, err))
            check(len(batch_headers(stdout)) == 1, "%s: no final table" % name)
            snap = load_json(out)
            check(len(snap["tasks"]) >= 1 and not snap["target_exited"], "%s: snapshot" % name)
            check(not wait_links_gone(w.pid), "%s: probes left" % name)
        # cattop record: the recording is closed properly, nothing "cut short"
        for sig in (signal.SIGTERM, signal.SIGHUP):
            name = signal.Signals(sig).name
            rec = os.path.join(d, "x-%d.rec" % sig)
            p = popen_cattop(["record", "-p", str(w.pid), "-o", rec])
            check(harness.attached(w.pid), "record %s: cattop did not attach" % name)
            p.send_signal(sig)
            rc, _, err = finish(p, timeout=10)
            check(rc == 0 and "recorded" in err, "record %s: exit %d %r" % (name, rc, err))
            r = run_cattop(["replay", rec, "-b", "--snapshot", "-"])
            check(r.returncode == 0 and "cut short" not in r.stderr and
                  len(parse_snapshot(r.stdout)["tasks"]) >= 1,
                  "record %s: the recording does not replay whole: %r" % (name, r.stderr))
            check(not wait_links_gone(w.pid), "record %s: probes left" % name)
        w.check_progressing("batch signals")
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            name = signal.Signals(sig).name
            tty = ("; R=$?; printf 'TTY:%s:\\n' \"$(stty -a | tr ' ;' '\\n\\n' | "
                   "grep -E '^-?(icanon|echo)$' | tr '\\n' ' ')\"; (exit $R)")
            ui = Tmux("%s -p %d -d 0.5%s" % (harness.CATTOP, w.pid, tty), d, width=100,
                      height=30)
            try:
                scr = ui.wait_screen(lambda t: "Tasks:" in t, 60)
                check("Tasks:" in scr, "%s: live view not up: %s" % (name, scr))
                pane = int(subprocess.run(["tmux", "display", "-p", "-t", ui.name,
                                           "#{pane_pid}"], capture_output=True,
                                          text=True).stdout)
                pid = cattop_child_of(pane)
                check(pid is not None, "%s: cattop process not found" % name)
                if sig == signal.SIGINT:
                    ui.keys("C-c", wait=0)  # through the terminal, as a user would
                else:
                    os.kill(pid, sig)
                scr = ui.wait_screen(lambda t: "EXIT=" in t)
                check("EXIT=0" in scr, "%s: live view exit: %s" % (name, scr))
                check("Tasks:" not in scr and "Workers" not in scr,
                      "%s: the screen was not restored: %s" % (name, scr))
                m = re.search(r"TTY:(.*):", scr)
                check(m is not None and m.group(1).split() == ["icanon", "echo"],
                      "%s: terminal modes not restored: %r" % (name, m and m.group(1)))
                check(not wait_links_gone(w.pid), "%s: live view left probes" % name)
            finally:
                ui.close()
        w.check_progressing("live view signals")


def test_ringbuf_overflow():
    """The smallest ring buffer (ringbuf_mb = 1) and a target polling as
    fast as it can. Traced, it makes ~65k events/s here (each probe hit
    costs microseconds), and 1 MiB drained every 50 ms absorbs ~420k/s, so
    cattop is also stopped (SIGSTOP) for 2.5 s: the ring surely fills. Hits
    that find it full are dropped and counted (`lost N` in the header,
    events_lost in the snapshot); the target never waits for cattop: it
    polls as fast with cattop stopped as with cattop draining. What was
    kept still makes sense: no poll spans the gap, no task is invented."""
    with tempfile.TemporaryDirectory() as d, Faults("flood", "--seconds", 120) as w:
        cfg = os.path.join(d, "small.ini")
        with open(cfg, "w") as f:
            f.write("[cattop]\nringbuf_mb = 1\n")
        out = os.path.join(d, "snap.json")
        untraced, _ = w.rate(1.0)
        p = popen_cattop(["-c", cfg, "-p", str(w.pid), "-b", "-d", "0.5", "-r", "3",
                          "--snapshot", out])
        check(harness.attached(w.pid), "cattop did not attach")
        draining, _ = w.rate(1.5)
        p.send_signal(signal.SIGSTOP)
        # the ring fills: 1 MiB holds ~16k events, each flood_step makes two
        # (20,000 steps: 2.5 times that)
        n_stopped = w.progress()[0]
        check(harness.wait_for(lambda: w.progress()[0] - n_stopped >= 20000, 60),
              "the target made %d polls in 60 s with cattop stopped"
              % (w.progress()[0] - n_stopped))
        stopped, _ = w.rate(2.0)
        p.send_signal(signal.SIGCONT)
        time.sleep(1.5)
        p.send_signal(signal.SIGTERM)
        rc, stdout, err = finish(p)
        check(rc == 0, "exit %d: %s" % (rc, err))
        snap = load_json(out)
        lost = snap["events_lost"]
        check(lost > 0, "no events lost with a 1 MiB ring and cattop stopped 2.5 s")
        m = re.search(r"\blost (\d+)", batch_headers(stdout)[-1])
        # the last table comes just before the snapshot: the same count, or
        # a few less if more were lost in between
        check(m is not None and 0.9 * lost <= int(m.group(1)) <= lost,
              "header %r does not show lost %d" % (batch_headers(stdout)[-1], lost))
        check(stopped >= 0.3 * draining and stopped > 0,
              "the target slowed down while the ring was full: %.0f/s with cattop stopped, "
              "%.0f/s draining (%.0f/s untraced)" % (stopped, draining, untraced))
        check_sane(snap, "overflow")
        c = snap["counters"]
        check(c["unmatched_returns"] <= lost, "unmatched returns %d > lost %d"
              % (c["unmatched_returns"], lost))
        # a poll whose entry came before the gap and whose return was lost must
        # not be paired with a later, unrelated return at the same stack address
        longest = max(snap["tasks"], key=lambda t: t["max_poll_ns"])
        check(longest["max_poll_ns"] < 1 * S,
              "a %d ms poll of %s across the gap; no poll of this workload takes more "
              "than a few ms (an entry before the gap paired with a return after it)"
              % (longest["max_poll_ns"] // MS, longest["name"]))
        flood = [t for t in snap["tasks"] if t["name"] == CRATE + "::flood_task"]
        check(not [t for t in flood if t["block_on"]],
              "a lost task poll entry turned a flood_task poll into a block_on task")
        check(len(flood) == 2 and all(t["polls"] > 1000 for t in flood),
              "flood tasks (polls, longest): %s" % [(t["polls"], t["max_poll_ns"])
                                                    for t in flood])
        # the flood starves the ticker, the busy loops more so: progress
        # is the flood's own, against itself before cattop came
        after, ticks_after = w.rate(1.0)
        check(w.alive() and after >= 0.3 * untraced and ticks_after > 0,
              "overflow: the target is not progressing after cattop: %.0f polls/s, %.0f "
              "ticks/s (%.0f polls/s before)" % (after, ticks_after, untraced))
        print("  ringbuf: %.0f polls/s untraced, %.0f draining, %.0f with cattop stopped; "
              "%d lost" % (untraced, draining, stopped, lost))


def test_task_flood_memory():
    """A flood of short tasks (10,000 a second): done tasks are dropped
    after retain_done / max_done_tasks (2000), so cattop's memory stays
    flat while 60,000 of them come and go under its probes (however long
    that takes on a busy machine; the workload keeps at most 2000 of them
    unfinished, or a backlog on a loaded machine would be that many live
    tasks in the model). Bounds: a task here costs ~1.3 KB in
    the model (task + two future nodes with 40-bucket histograms); a leak
    of that per task would add ~80 MB over the window, a bounded model adds
    nothing. RSS may move by allocator noise (ASan quarantine off): 24 MiB
    growth allowed, and a 200 MiB ceiling (16 MiB ring buffer, symbols and
    DWARF of the target, ASan shadow)."""
    with tempfile.TemporaryDirectory() as d, Faults("tasks", "--seconds", 120,
                                                     "--rate", 10000) as w:
        out = os.path.join(d, "snap.json")
        p = popen_cattop(["-p", str(w.pid), "-b", "-d", "1", "-r", "3",
                          "--snapshot", out], env=san_env(quarantine_size_mb=0))
        check(harness.attached(w.pid), "cattop did not attach")
        now = time.monotonic()
        start = harness.wait_for(lambda: w.progress(after=now), 10)
        check(start is not None, "the target prints no progress")
        n0 = start[0]
        check(harness.wait_for(lambda: w.progress()[0] - n0 >= 10000, 30),
              "the workload finished only %d tasks in 30 s" % (w.progress()[0] - n0))
        # anonymous memory: the heap a leak would grow (file pages of the
        # target's binary, read in as the run goes, are not cattop's state)
        rss_early = vm_kb(p.pid, "RssAnon")
        done_window = harness.wait_for(lambda: w.progress()[0] - n0 >= 70000, 90)
        rss_late = vm_kb(p.pid, "RssAnon")
        hwm = vm_kb(p.pid, "VmHWM")
        n1 = w.progress()[0]
        p.send_signal(signal.SIGINT)
        rc, stdout, err = finish(p)
        check(rc == 0, "exit %d: %s" % (rc, err))
        check(done_window, "the workload finished only %d tasks in 90 s" % (n1 - n0))
        snap = load_json(out)
        check_sane(snap, "task flood", max_tasks=2000 + 20)
        seen = snap["counters"]["tasks_seen"]
        done_in_window = n1 - n0
        check(seen >= 0.8 * done_in_window, "tasks_seen %d, the workload finished %d"
              % (seen, done_in_window))
        done = [t for t in snap["tasks"] if t["name"] == CRATE + "::tiny_task" and
                t["state"] == "done"]
        check(len(done) >= 1000 and all(t["polls"] == 1 for t in done),
              "done tiny tasks: %d, polls %s" % (len(done), sorted({t["polls"] for t in done})))
        growth = (rss_late - rss_early) / 1024
        check(growth < 24, "RssAnon grew %.1f MiB over %d tasks (%d -> %d KiB)"
              % (growth, done_in_window - 10000, rss_early, rss_late))
        check(hwm < 200 * 1024, "VmHWM %d KiB" % hwm)
        # Its flood goes on once cattop has gone (the ticker may wait behind a
        # backlog of tiny tasks on a machine this busy: the tasks' own rate)
        check(w.alive(), "task flood: the target died (exit %s)" % w.proc.poll())
        check(w.rate(2.0)[0] > 0, "task flood: the target finishes no tasks after cattop left")
        print("  task flood: %d tasks seen, RSS %d -> %d KiB, HWM %d KiB"
              % (seen, rss_early, rss_late, hwm))


@contextlib.contextmanager
def tmpfs_dirs():
    """ro: a read-only tmpfs; full: a 64 KiB tmpfs filled up; small: an
    empty 256 KiB tmpfs (a recording fills it within seconds)."""
    base = tempfile.mkdtemp()
    dirs = {x: os.path.join(base, x) for x in ("ro", "full", "small")}
    mounted = []
    try:
        for name, opts in (("ro", "ro,size=64k"), ("full", "size=64k"), ("small", "size=256k")):
            os.mkdir(dirs[name])
            mount_tmpfs(dirs[name], opts)
            mounted.append(dirs[name])
        with open(os.path.join(dirs["full"], "filler"), "wb") as f:
            try:
                f.write(b"x" * (1 << 20))
            except OSError:
                pass
        check(shutil.disk_usage(dirs["full"]).free == 0, "the full tmpfs is not full")
        yield dirs
    finally:
        for m in mounted:
            umount(m)
        shutil.rmtree(base, ignore_errors=True)


def check_leftovers(where):
    """No snapshot or temporary file may stay after a failed write; a
    recording may (what was written is kept), but only a readable one."""
    for name in sorted(set(os.listdir(where)) - {"filler"}):
        path = os.path.join(where, name)
        check(name.endswith(".rec"), "%s: left behind after the error" % path)
        r = run_cattop(["replay", path, "-b", "--snapshot", "-"])
        check(r.returncode == 0, "%s (%d bytes) left behind, and it does not replay: %s"
              % (path, os.path.getsize(path), r.stderr.strip()))
        os.unlink(path)


def check_snapshot_error(w, where, reason):
    path = os.path.join(where, "snap.json")
    r = run_cattop(["-p", str(w.pid), "-b", "-n", "2", "-d", "0.5", "-r", "3",
                    "--snapshot", path])
    check(r.returncode == 1, "%s: exit %d" % (path, r.returncode))
    one_error_line(r.stderr, re.escape(path) + ".*" + reason, "--snapshot " + path)
    check(len(batch_headers(r.stdout)) >= 2, "%s: the tables were not printed" % path)
    check_leftovers(where)


def check_tui_keys(w, where, reason):
    """s (snapshot) and R (record) with the working directory unwritable:
    the error in the status line, the view runs on, q quits cleanly."""
    ui = Tmux("%s -p %d -d 0.5" % (harness.CATTOP, w.pid), where)
    try:
        ui.wait_screen(lambda t: "Tasks:" in t, 60)
        for key in ("s", "R"):
            ui.keys(key, wait=0)
            scr = ui.wait_screen(lambda t: re.search(reason, t))
            check(re.search(reason, scr) is not None and "Tasks:" in scr,
                  "%s in %s: want %r in the status line: %s" % (key, where, reason, scr))
        ui.keys("q", wait=0)
        scr = ui.wait_screen(lambda t: "EXIT=" in t)
        check("EXIT=0" in scr, "q after errors: %s" % scr)
    finally:
        ui.close()
    check_leftovers(where)


def test_output_readonly():
    """Output to a read-only directory. --snapshot: the snapshot is written
    when cattop ends, so the run (tables, the target) goes on, then one
    error line naming the file and the reason, exit 1. record: refused
    before attaching. Live view: s and R report it in the status line."""
    with tmpfs_dirs() as dirs, Faults("tick", "--seconds", 120) as w:
        ro = dirs["ro"]
        check_snapshot_error(w, ro, "Read-only file system")
        rc, _, err, took, own, _ = harness.run_timed(["record", "-p", str(w.pid), "-o",
                                                    os.path.join(ro, "x.rec"), "-d", "5"])
        check(rc == 1 and own < 4, "record to a read-only dir: exit %s after %.1fs (%.1fs "
              "waiting for a CPU)" % (rc, took, took - own))
        one_error_line(err, r"cannot create .*x\.rec: Read-only", "record ro")
        check_tui_keys(w, ro, "Read-only file system")
        check(not wait_links_gone(w.pid), "probes left")
        w.check_progressing("read-only output")


def test_output_disk_full():
    """Output to a full disk (tmpfs): the same, and the reason given is the
    real one, "No space left on device". A recording that fills the disk
    stops there (exit 1) and what it wrote replays; one that cannot write
    its first byte leaves no empty file. --snapshot - to a full stdout
    (/dev/full) fails the same way."""
    # 200 tasks a second, kept 10 s when done: a snapshot of ~1 MB, more than
    # any stdio buffer, so the write fails inside the JSON output too
    with tmpfs_dirs() as dirs, Faults("tasks", "--seconds", 120, "--rate", 200) as w:
        full, small = dirs["full"], dirs["small"]
        time.sleep(2)
        check_snapshot_error(w, full, "No space left on device")
        with open("/dev/full", "w") as devfull:
            r = subprocess.run([harness.CATTOP, "-p", str(w.pid), "-b", "-n", "1", "-d", "0.5",
                                "--snapshot", "-"], stdout=devfull, stderr=subprocess.PIPE,
                               text=True, timeout=60)
        check(r.returncode == 1, "snapshot to a full stdout: exit %d" % r.returncode)
        one_error_line(r.stderr, r"No space left on device", "--snapshot - to /dev/full")
        for where, seconds in ((small, 30), (full, 5)):
            rec = os.path.join(where, "x.rec")
            rc, _, err, took, own, _ = harness.run_timed(["record", "-p", str(w.pid), "-o", rec,
                                                        "-d", str(seconds)],
                                                       timeout=seconds + 30)
            lines = [l for l in err.splitlines() if not is_notice(l)]
            check(rc == 1 and own < seconds - 1,
                  "record to a full disk: exit %s after %.1fs (%.1fs waiting for a CPU)"
                  % (rc, took, took - own))
            check(lines and re.search(re.escape(rec) + r".*No space left on device", lines[-1]),
                  "record to a full disk: %r" % err)
            check_leftovers(where)
        check_tui_keys(w, full, "No space left on device")
        check(not wait_links_gone(w.pid), "probes left")
        w.check_progressing("disk full")

# ---------------------------------------------------------- bad input ---

def check_ticker_tree(snap, what):
    ticker = one_task(snap, "wl_tokio::ticker_task")
    node = child(child(ticker, "wl_tokio::ticker_task"), "wl_tokio::nested_outer")
    inner = child(child(node, "wl_tokio::nested_middle"), "wl_tokio::nested_inner")
    check(inner["polls"] > 20 and inner["location"] is not None,
          "%s: nested_inner %d polls at %s" % (what, inner["polls"], inner["location"]))


def test_deleted_binary():
    """The target's file was deleted after it started: cattop reads and
    probes it through /proc/PID/exe and traces as usual."""
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "wl-tokio")
        shutil.copy(binary("tokio"), exe)
        with Workload("tokio", exe=exe, args=["--seconds", "120", *harness.NO_WEDGE]) as w:
            os.unlink(exe)
            check(os.readlink("/proc/%d/exe" % w.pid).endswith(" (deleted)"), "not deleted")
            snap = harness.snapshot_when_polled(w.pid, "wl_tokio::ticker_task", 30)
            check(snap["exe"] == exe + " (deleted)", "exe %r" % snap["exe"])
            check_ticker_tree(snap, "deleted binary")
            check(w.alive(), "target died")
            check(not wait_links_gone(w.pid), "probes left")


def test_other_namespaces():
    """The target runs in its own mount namespace (and then also its own PID
    namespace, like a container) from a tmpfs the host does not see: cattop
    finds the binary through /proc/PID/exe and traces it."""
    for flags in (["-m"], ["-m", "-p", "-f"]):
        with tempfile.TemporaryDirectory() as d:
            exe = os.path.join(d, "wl-tokio")
            copy = os.path.join(tempfile.gettempdir(), "cattop-nscopy-%d" % os.getpid())
            shutil.copy(binary("tokio"), copy)
            script = "mount -t tmpfs tmpfs %s && cp %s %s && exec %s --seconds 120 %s" % (
                d, copy, exe, exe, " ".join(harness.NO_WEDGE))
            proc = subprocess.Popen(["unshare", *flags, "--propagation", "private", "sh", "-c",
                                     script], stdout=subprocess.PIPE, text=True)
            try:
                line = proc.stdout.readline()
                check(line.startswith("ready pid="), "%s: workload: %r" % (flags, line))
                pid = proc.pid
                if "-p" in flags:  # unshare forked: the workload is its child
                    with open("/proc/%d/task/%d/children" % (proc.pid, proc.pid)) as f:
                        pid = int(f.read().split()[0])
                os.unlink(copy)
                check(not os.path.exists(exe), "%s: the binary is visible from here" % flags)
                check(os.readlink("/proc/%d/ns/mnt" % pid) != os.readlink("/proc/self/ns/mnt"),
                      "same mount namespace")
                snap = harness.snapshot_when_polled(pid, "wl_tokio::ticker_task", 30)
                check(snap["exe"] == exe and snap["pid"] == pid, "%s: exe %r pid %d" % (
                    flags, snap["exe"], snap["pid"]))
                check_ticker_tree(snap, "namespace %s" % flags)
                check(proc.poll() is None, "%s: target died" % flags)
                check(not wait_links_gone(pid), "probes left")
            finally:
                proc.kill()
                proc.wait()
                if os.path.exists(copy):
                    os.unlink(copy)


def test_absurd_options():
    """Absurd values get a one-line error and exit 2; extreme but valid
    ones work."""
    def fails(args, pattern):
        r = run_cattop(args, timeout=20)
        lines = r.stderr.strip().splitlines()
        check(r.returncode == 2 and len(lines) == 1 and re.search(pattern, lines[0]),
              "%s: exit %d, stderr %r !~ %r" % (args, r.returncode, r.stderr, pattern))

    for args, pattern in (
            (["-t", "1000000s"], r"bad threshold"),
            (["-t", "1e400"], r"bad threshold"),
            (["-t", "nan"], r"bad threshold"),
            (["-t", "1e-12s"], r"bad threshold"),
            (["-d", "0"], r"bad interval"),
            (["-d", "-1"], r"bad interval"),
            (["-d", "inf"], r"bad interval"),
            (["-d", "86401"], r"bad interval"),
            (["-n", "0"], r"bad iteration count"),
            (["-n", "-3"], r"bad iteration count"),
            (["-n", "99999999999999999999"], r"bad iteration count"),
            (["-r", "-1"], r"bad row count"),
            (["-r", "1e3"], r"bad row count")):
        fails(["-p", "1", "-b", *args], pattern)
    for pid in ("0", "-1", "4194305", "1.5", ""):
        fails(["-p", pid, "-b"], r"bad PID")
    fails(["record", "-p", "1", "-o", "/tmp/x", "-d", "0"], r"bad duration")
    # --duration, as --help spells record's -d; not the live view's interval
    fails(["record", "-p", "1", "-o", "/tmp/x", "--duration", "0"], r"bad duration")
    fails(["-p", "1", "-b", "--duration", "5"], r"--duration is for cattop record")
    fails(["record", "-p", "1", "-o", "/tmp/x", "--max-size", "0"], r"bad size")
    fails(["record", "-p", "1", "-o", "/tmp/x", "--max-size", "-5M"], r"bad size")
    fails(["record", "-p", "1", "-o", "/tmp/x", "--max-size", "99999999999G"], r"bad size")
    with Faults("tick", "--seconds", 120) as w:
        pid = str(w.pid)
        # the largest threshold: nothing is slow
        snap = harness.snapshot(w.pid, 1, ["-t", "86400s"])
        check(all(t["slow_polls"] == 0 for t in snap["tasks"]), "slow polls under 1 day")
        # the shortest interval, many times
        # (times are cattop's own: its waits for a CPU on a busy machine left out)
        rc, out, err, took, own, _ = harness.run_timed(["-p", pid, "-b", "-d", "0.01", "-n", "30",
                                                     "-r", "1"])
        check(rc == 0 and len(batch_headers(out)) == 30,
              "-d 0.01 -n 30: exit %s, %d tables: %s" % (rc, len(batch_headers(out)), err))
        check(own < 8, "-d 0.01 -n 30 took %.1fs (%.1fs waiting for a CPU)" % (took, took - own))
        # the longest interval still stops at once on a signal, with its table
        p = popen_cattop(["-p", pid, "-b", "-d", "86400", "-r", "0"], env=harness.timed_env())
        check(harness.attached(w.pid), "-d 86400: cattop did not attach")
        rc, out, err, took, own, cpu = harness.stop_and_time(p, signal.SIGINT)
        check(rc == 0 and cpu < 0.5 and len(batch_headers(out)) == 1,
              "-d 86400 then SIGINT: exit %s after %.2fs of CPU (%.2fs in all), %d tables"
              % (rc, cpu, took, len(batch_headers(out))))
        # a 1-byte size limit: the recording stops at once, readable
        with tempfile.TemporaryDirectory() as d:
            rec = os.path.join(d, "x.rec")
            r = run_cattop(["record", "-p", pid, "-o", rec, "--max-size", "1", "-d", "10"])
            check(r.returncode == 0 and "size limit" in r.stderr, "--max-size 1: %d %r" % (
                r.returncode, r.stderr))
            r = run_cattop(["replay", rec, "-b", "--snapshot", "-"])
            check(r.returncode == 0, "--max-size 1 recording does not replay: %s" % r.stderr)
        w.check_progressing("absurd options")


def as_nobody(gid=NOBODY):
    def drop():
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(NOBODY, NOBODY, NOBODY)
    return drop


KERNEL_SAYS = """
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
class iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
buf = ctypes.create_string_buffer(8)
local, remote = iovec(ctypes.cast(buf, ctypes.c_void_p), 8), iovec(8, 8)
libc.process_vm_readv.restype = ctypes.c_ssize_t
r = libc.process_vm_readv(int(sys.argv[1]), ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
print("denied" if r < 0 and ctypes.get_errno() == 1 else "allowed")
"""


def test_ptrace_file_caps():
    """cattop with file capabilities (CAP_BPF + CAP_PERFMON) run by nobody:
    it may trace exactly the processes the kernel lets nobody ptrace
    (PTRACE_MODE_ATTACH_REALCREDS, asked here with process_vm_readv as
    nobody): its own, not root's, not one whose saved/effective uid or gid
    differs. A refusal is one line about permission, before any probe."""
    python = "/usr/bin/python3"
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        cattop = os.path.join(d, "cattop")
        shutil.copy(harness.CATTOP, cattop)
        subprocess.run(["setcap", "cap_bpf,cap_perfmon+ep", cattop], check=True)
        exe = os.path.join(d, "wl-tokio")
        shutil.copy(binary("tokio"), exe)
        os.chmod(exe, 0o755)

        def ids(uid, euid, gid):
            def f():
                os.setgroups([])
                os.setresgid(gid, gid, gid)
                os.setresuid(uid, euid, euid)
            return f

        cases = (("root's", ids(0, 0, 0), False),
                 ("nobody's", ids(NOBODY, NOBODY, NOBODY), True),
                 ("setuid-root (real uid nobody)", ids(NOBODY, 0, 0), False),
                 ("nobody's with gid 0", ids(NOBODY, NOBODY, 0), False))
        for what, preexec, allowed in cases:
            proc = subprocess.Popen([exe, "--seconds", "120", *harness.NO_WEDGE],
                                    stdout=subprocess.PIPE, text=True, preexec_fn=preexec)
            try:
                check(proc.stdout.readline().startswith("ready"), "%s: no start" % what)
                kernel = subprocess.run([python, "-c", KERNEL_SAYS, str(proc.pid)],
                                        capture_output=True, text=True,
                                        preexec_fn=as_nobody()).stdout.strip()
                check(kernel == ("allowed" if allowed else "denied"),
                      "%s: the kernel says %r" % (what, kernel))
                r = subprocess.run([cattop, "-p", str(proc.pid), "-b", "-n", "1", "-d", "1",
                                    "--snapshot", "-"], capture_output=True, text=True,
                                   timeout=30, preexec_fn=as_nobody())
                if allowed:
                    check(r.returncode == 0 and len(parse_snapshot(r.stdout)["tasks"]) >= 5,
                          "%s: nobody may trace it, cattop says %d %r" % (what, r.returncode,
                                                                          r.stderr))
                else:
                    lines = [l for l in r.stderr.strip().splitlines() if not is_notice(l)]
                    check(r.returncode != 0 and len(lines) == 1 and
                          re.search(r"not permitted|[Pp]ermission denied|ptrace", lines[0]),
                          "%s: nobody must be refused: exit %d %r" % (what, r.returncode,
                                                                       r.stderr))
                check(proc.poll() is None, "%s: target died" % what)
                check(not wait_links_gone(proc.pid), "%s: probes left" % what)
            finally:
                proc.kill()
                proc.wait()


# ---------------------------------------------------------- valgrind ---

VALGRIND_SUPP = """
{
   libbpf-bpf-attr-map-create
   Memcheck:Param
   bpf(attr->expected_attach_type)
   ...
   obj:*libbpf.so*
}
{
   libbpf-bpf-attr-prog-ifindex
   Memcheck:Param
   bpf(attr->prog_ifindex)
   ...
   obj:*libbpf.so*
}
"""


def plain_cattop():
    """valgrind needs the build without sanitizers, build/cattop."""
    path = os.path.join(ROOT, "build", "cattop")
    check(os.access(path, os.X_OK), "%s missing: run make" % path)
    return path


def test_valgrind():
    """valgrind memcheck, no leak and no error: batch mode attached to
    wl-tokio, symbol and DWARF scan included (valgrind 3.19 runs the bpf(2)
    calls, with warnings for the commands it does not know; two reports
    about padding bytes of libbpf's bpf_attr are suppressed), then replay
    and export of a recording."""
    cattop = plain_cattop()
    with tempfile.TemporaryDirectory() as d:
        supp = os.path.join(d, "libbpf.supp")
        with open(supp, "w") as f:
            f.write(VALGRIND_SUPP)
        vg = ["valgrind", "-q", "--leak-check=full", "--errors-for-leak-kinds=definite",
              "--error-exitcode=99", "--suppressions=" + supp, "--trace-children=no", cattop]
        rec = os.path.join(d, "x.rec")
        with Workload("tokio", "release", args=["--seconds", "600"]) as w:
            # an empty site cache: the symbol and DWARF scan runs under valgrind too
            r = subprocess.run([*vg, "-p", str(w.pid), "-b", "-n", "2", "-d", "1", "-r", "5",
                                "--snapshot", os.path.join(d, "v.json")],
                               capture_output=True, text=True, timeout=150,
                               env=dict(os.environ, XDG_CACHE_HOME=os.path.join(d, "cache")))
            report = [l for l in r.stderr.splitlines() if l.startswith("==")]
            check(r.returncode == 0, "valgrind batch: exit %d: %s" % (r.returncode,
                                                                     "\n".join(report[:40])))
            snap = load_json(os.path.join(d, "v.json"))
            check(len(snap["tasks"]) >= 5, "valgrind batch: %d tasks" % len(snap["tasks"]))
            check(w.alive(), "target died")
            r = run_cattop(["record", "-p", str(w.pid), "-o", rec, "-d", "2"])
            check(r.returncode == 0, "record: %s" % r.stderr)
        for args in (["replay", rec, "-b", "-d", "0.5", "--snapshot", os.path.join(d, "r.json")],
                     ["export", rec, "--format", "chrome", "-o", os.path.join(d, "x.json")],
                     ["export", rec, "--format", "folded", "-o", os.path.join(d, "x.folded")],
                     ["export", rec, "--format", "html", "-o", os.path.join(d, "x.html")]):
            r = subprocess.run([*vg, *args], capture_output=True, text=True, timeout=150)
            report = [l for l in r.stderr.splitlines() if l.startswith("==")]
            check(r.returncode == 0, "valgrind %s: exit %d: %s" % (
                args[:1] + args[2:4], r.returncode, "\n".join(report[:40])))


TESTS = [test_exec, test_exec_self, test_fork, test_threads, test_threads_workers_panel,
         test_panics, test_panics_tasks_only, test_panics_focus, test_deep, test_wedge_long, test_sigkill,
         test_stop_signals, test_ringbuf_overflow, test_task_flood_memory,
         test_output_readonly, test_output_disk_full, test_deleted_binary,
         test_other_namespaces, test_absurd_options, test_ptrace_file_caps, test_valgrind]
