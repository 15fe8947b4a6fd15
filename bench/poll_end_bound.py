#!/usr/bin/env python3
"""How far after a task poll's real end does the same worker thread next
enter a function that proves the poll is over (issue #17, "fewer hits per
task poll")?

cattop times a task poll with two hits: its entry and its return (tokio:
a return probe on task::raw::poll; async-task: probes on RawTask::run's ret
instructions). The return hit could go if the poll's end were taken at a
*bound*: the thread's next task poll entry, or its entry into a scheduler
function that runs between polls (park, steal, maintenance, ...). This
measures the error that would make, per task poll:

    bound - end   (µs)

with the kernel's own uprobes (tracefs uprobe_events, read with `perf
record`): an entry probe on the task poll and on each candidate bound
function, a return probe on the task poll, each fetching the stack pointer.
A bound only counts when its stack pointer is at or above the poll's entry
stack pointer (entry sp >= poll entry sp: the poll's frame is gone, so a
callee of the poll, e.g. a nested runtime's park or a LocalSet's task poll,
is never taken for a bound). Polls are paired with their returns the same
way (return sp = entry sp + 8).

Targets (`--target`):
  bench-tokio, bench-async-std, bench-smol  the bench server (release unless
        --build) under bench-client (--requests, --concurrency)
  wl-tokio, wl-tokio-153, wl-async-std, wl-smol   the test workloads
        (tests/workloads*, --build debug|release), traced --seconds
Each prints: polls paired with a return, polls bounded, never bounded
(still open at the end), bounds seen before the return (lost events); the
distribution of bound - end (median, p90, p99, p99.9, max, share within
5 us) as measured, less the thread's time preempted in the gap (cattop
subtracts a poll's wait for a CPU), less all its time off the CPU, and less
the floor (the smallest gap); for gaps without a context switch, beside a
control (a bound function's entry, then the task poll entry it calls: two
hits with almost no code between); how many polls of <= 100 us the bound
would make slow; which function bounded how many polls.

Stdlib only, root, perf(1) and tracefs. The probes are removed at exit.
The probes themselves add to the figures: a bound's time is taken after its
entry trap and an end's after the return trap, so every gap carries about
one hit of the target's time (the floor, 5.2-5.5 us on the 2-core VM).
"""
import argparse
import fnmatch
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

TRACEFS = "/sys/kernel/tracing"
GROUP = "cattop_bound%d" % os.getpid()

# The task poll entry of each runtime family, and the functions a worker
# enters between task polls (the candidate bounds), as globs on demangled
# names (nm -C: no hash).
PROFILES = {
    "tokio": {
        "poll": ["tokio::runtime::task::raw::poll"],
        "bounds": [
            # multi-thread worker loop (1.24 and 1.53)
            "tokio::runtime::scheduler::multi_thread::worker::Context::run_task",
            "tokio::runtime::scheduler::multi_thread::worker::Context::park*",
            "tokio::runtime::scheduler::multi_thread::worker::Context::maintenance",
            "tokio::runtime::scheduler::multi_thread::worker::Core::maintenance",
            "tokio::runtime::scheduler::multi_thread::worker::Core::steal_work",
            "tokio::runtime::scheduler::multi_thread::worker::Core::next_task",
            "tokio::runtime::scheduler::multi_thread::queue::Steal<*>::steal_into",
            "tokio::runtime::scheduler::multi_thread::idle::Idle::transition_worker_to_parked",
            "tokio::runtime::scheduler::multi_thread::park::Parker::park*",
            # current-thread scheduler
            "tokio::runtime::scheduler::current_thread::Context::park*",
            "tokio::runtime::scheduler::current_thread::Context::run_task",
            "tokio::runtime::scheduler::current_thread::Core::next_task",
            "tokio::runtime::scheduler::current_thread::Handle::pop",
            # drivers (both schedulers park through them)
            "tokio::runtime::driver::Driver::park*",
            "tokio::runtime::time::Driver::park*",
            "tokio::runtime::io::Driver::turn",
            "tokio::runtime::io::driver::Driver::turn",
            "tokio::runtime::park::CachedParkThread::park*",
            "tokio::runtime::park::Inner::park*",
        ],
    },
    "async-task": {
        "poll": ["async_task::raw::RawTask<*>::run"],
        "bounds": [
            "async_executor::Ticker::sleep",
            "async_executor::steal",
            "async_executor::Runner::runnable*",
            "async_executor::Executor::run*",
            "async_executor::LocalExecutor::run*",
            "parking::Parker::park*",
            "parking::Inner::park*",
            "async_io::reactor::ReactorLock::react",
            "async_io::reactor::Reactor::try_lock",
            "async_io::driver::block_on*",
            "polling::Poller::wait",
            "polling::epoll::Poller::wait",
            "futures_lite::future::block_on*",
        ],
    },
}

TARGETS = {
    "bench-tokio": ("tokio", "bench"), "bench-async-std": ("async-task", "bench"),
    "bench-smol": ("async-task", "bench"), "wl-tokio": ("tokio", "wl"),
    "wl-tokio-153": ("tokio", "wl"), "wl-async-std": ("async-task", "wl"),
    "wl-smol": ("async-task", "wl"),
}


def load_segments(path):
    """(vaddr, offset, memsz) of each executable PT_LOAD, for vaddr -> file offset."""
    out = subprocess.run(["readelf", "-lW", path], capture_output=True, text=True,
                         check=True).stdout
    segs = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "LOAD" and "E" in "".join(f[6:-1]):
            segs.append((int(f[2], 16), int(f[1], 16), int(f[5], 16)))
    return segs


def symbols(path):
    """{address: demangled name without hash} of the defined text symbols."""
    out = subprocess.run(["nm", "-C", "--defined-only", path], capture_output=True,
                         text=True, check=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split(" ", 2)
        if len(f) == 3 and f[1] in ("t", "T") and f[0]:
            syms.setdefault(int(f[0], 16), f[2])
    return syms


def file_offset(segs, addr):
    for vaddr, off, size in segs:
        if vaddr <= addr < vaddr + size:
            return addr - vaddr + off
    return None


def pick(syms, globs):
    return sorted((a, n) for a, n in syms.items() if any(fnmatch.fnmatchcase(n, g) for g in globs))


def write_events(line):
    """One command to uprobe_events (appending: other groups stay)."""
    fd = os.open(os.path.join(TRACEFS, "uprobe_events"), os.O_WRONLY | os.O_APPEND)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


class Probes:
    """uprobe_events entries of our own group; removed by remove()."""

    def __init__(self, path, profile):
        self.path = path
        self.names = {}  # event name -> (kind, function name)
        segs, syms = load_segments(path), symbols(path)
        polls = pick(syms, profile["poll"])
        bounds = [(a, n) for a, n in pick(syms, profile["bounds"]) if (a, n) not in polls]
        if not polls:
            raise SystemExit("%s: no task poll symbol %s" % (path, profile["poll"]))
        lines = []
        for i, (a, n) in enumerate(polls):
            off = file_offset(segs, a)
            lines.append("p:%s/pe%d %s:0x%x sp=%%sp" % (GROUP, i, path, off))
            lines.append("r:%s/pr%d %s:0x%x sp=%%sp" % (GROUP, i, path, off))
            self.names["pe%d" % i] = ("entry", n)
            self.names["pr%d" % i] = ("return", n)
        for i, (a, n) in enumerate(bounds):
            off = file_offset(segs, a)
            lines.append("p:%s/b%d %s:0x%x sp=%%sp" % (GROUP, i, path, off))
            self.names["b%d" % i] = ("bound", n)
        self.added = []
        for l in lines:
            try:
                write_events(l)
                self.added.append(l.split()[0][2:])
            except OSError as e:
                bl.log("probe refused (%s): %s" % (e, l))
        bl.log("%d task poll functions, %d bound functions probed: %s" % (
            len(polls), len(bounds), ", ".join(sorted({n for _, n in bounds}))))

    def remove(self):
        for ev in self.added:
            try:
                write_events("-:%s" % ev)
            except OSError:
                pass


LINE = re.compile(r"^\s*(\d+)\s+(\d+)\.(\d+):\s+%s:(\w+):.*sp=0x([0-9a-f]+)" % GROUP)
SWITCH = re.compile(r"^\s*(\d+)\s+(\d+)\.(\d+):\s+PERF_RECORD_SWITCH (IN|OUT)( preempt)?")


def parse(script_out, names):
    """Per thread, the events in time order: (ns, kind, name, sp), the
    context switches as kind "in", "out" (blocked or yielded) and
    "preempted" (switched out while runnable); and how many times perf
    lost events (a gap makes a poll's bound look late)."""
    threads, lost = {}, 0
    for line in script_out.splitlines():
        if "PERF_RECORD_LOST" in line:
            lost += 1
            continue
        m = LINE.match(line)
        if m:
            tid, s, frac, ev, sp = m.groups()
            kind, fn = names[ev]
            sp = int(sp, 16)
        else:
            m = SWITCH.match(line)
            if not m:
                continue
            tid, s, frac, io, pre = m.groups()
            kind = "in" if io == "IN" else ("preempted" if pre else "out")
            fn, sp = None, 0
        ns = int(s) * 1_000_000_000 + int(frac.ljust(9, "0")[:9])
        threads.setdefault(int(tid), []).append((ns, kind, fn, sp))
    for evs in threads.values():
        evs.sort(key=lambda e: e[0])
    return threads, lost


class Gap:
    """A task poll between its entry and its bound."""

    def __init__(self, sp, ns):
        self.sp, self.entry, self.end = sp, ns, None
        self.runnable = self.blocked = 0  # off-CPU time after its end


def analyse(threads):
    """Pairs each poll entry with its return by sp, then finds its bound:
    the first later entry (task poll or bound function) on the thread whose
    sp is at or above the poll's entry sp. Returns, per bounded poll,
    (bound - end, its off-CPU time runnable, blocked, bound function,
    real duration)."""
    polls, control = [], []
    st = {"entries": 0, "paired": 0, "unbounded": 0, "early": 0, "nested_ignored": 0}
    for evs in threads.values():
        open_polls, off = [], None  # off: (since, kind) while switched out
        prev = None
        for ns, kind, fn, sp in evs:
            if kind == "entry" and prev and prev[1] == "bound" and sp < prev[3]:
                control.append(ns - prev[0])  # a bound's entry, then a task poll it calls
            prev = (ns, kind, fn, sp)
            if kind in ("out", "preempted"):
                off = (ns, kind)
                continue
            if kind == "in":
                if off:
                    for p in open_polls:
                        if p.end is not None and p.end <= off[0]:
                            if off[1] == "preempted":
                                p.runnable += ns - off[0]
                            else:
                                p.blocked += ns - off[0]
                off = None
                continue
            if kind == "return":
                for p in reversed(open_polls):
                    if p.sp + 8 == sp and p.end is None:
                        p.end = ns
                        st["paired"] += 1
                        break
                continue
            # an entry: bounds every open poll whose frame it proves gone
            keep = []
            for p in open_polls:
                if sp >= p.sp:
                    if p.end is None:
                        st["early"] += 1  # bound before the return was seen: lost event?
                    else:
                        polls.append((ns - p.end, p.runnable, p.blocked, fn, p.end - p.entry))
                else:
                    st["nested_ignored"] += kind == "bound"
                    keep.append(p)
            open_polls = keep
            if kind == "entry":
                st["entries"] += 1
                open_polls.append(Gap(sp, ns))
        st["unbounded"] += sum(1 for p in open_polls if p.end is not None)
    return polls, control, st


def pct(sorted_vals, q):
    if not sorted_vals:
        return float("nan")
    return sorted_vals[min(len(sorted_vals) - 1, int(q * len(sorted_vals)))]


def dist(vals_ns):
    v = sorted(vals_ns)
    us = lambda x: x / 1000.0  # noqa: E731
    return {"n": len(v), "p50": us(pct(v, 0.5)), "p90": us(pct(v, 0.9)), "p99": us(pct(v, 0.99)),
            "p999": us(pct(v, 0.999)), "max": us(v[-1]) if v else float("nan"),
            "within5": 100.0 * sum(1 for x in v if x <= 5000) / len(v) if v else float("nan")}


def line(title, d):
    print("  %-44s median %6.2f  p90 %6.2f  p99 %7.2f  p99.9 %8.2f  max %8.1f  "
          "<=5us %6.2f %%" % (title, d["p50"], d["p90"], d["p99"], d["p999"], d["max"],
                              d["within5"]))


def report(target, polls, control, st, lost_line):
    print("\n== %s" % target)
    print("task poll entries %d, paired with their return %d, bounded %d, "
          "never bounded %d, bound before the return %d, bound entries inside a poll "
          "(ignored) %d%s" % (st["entries"], st["paired"], len(polls), st["unbounded"],
                              st["early"], st["nested_ignored"],
                              "; " + lost_line if lost_line else ""))
    if not polls:
        return None
    raw = [p[0] for p in polls]
    floor = min(raw)
    print("bound - end, us (the probes' own traps included; floor = the smallest, %.2f us):"
          % (floor / 1000))
    d = dist(raw)
    line("as measured", d)
    line("less runnable off-CPU (cattop's run_delay)", dist([p[0] - p[1] for p in polls]))
    line("less all off-CPU", dist([p[0] - p[1] - p[2] for p in polls]))
    line("less runnable off-CPU, less the floor",
         dist([p[0] - p[1] - floor for p in polls]))
    if control:
        # both without a context switch inside: the same kind of interval
        line("without a context switch", dist([p[0] for p in polls if not (p[1] or p[2])]))
        line("control: bound fn entry -> poll entry it calls", dist(control))
        c, r = sorted(control), sorted(p[0] for p in polls if not (p[1] or p[2]))
        excess = tuple((pct(r, q) - pct(c, q)) / 1000 for q in (0.5, 0.9, 0.99, 0.999))
        print("  excess over the control (no switch), us: median %.2f  p90 %.2f  p99 %.2f  "
              "p99.9 %.2f" % excess)
    switched = sum(1 for p in polls if p[1] or p[2])
    print("  gaps with a context switch: %d (%.2f %%)" % (switched, 100.0 * switched / len(polls)))
    # what a false slow poll needs: a fast poll made slow by its bound
    thr = 100_000
    made_slow = sum(1 for p in polls if p[4] <= thr < p[4] + p[0] - p[1])
    print("  polls <= 100 us made > 100 us by the bound (less runnable off-CPU): %d (%.3f %%)"
          % (made_slow, 100.0 * made_slow / len(polls)))
    durs = sorted(p[4] for p in polls)
    print("real poll duration (us): median %.2f  p99 %.2f" % (
        pct(durs, 0.5) / 1000, pct(durs, 0.99) / 1000))
    by_fn = {}
    for p in polls:
        by_fn.setdefault(p[3], []).append(p[0] - p[1])
    print("first bound, by function (less runnable off-CPU):")
    for fn, v in sorted(by_fn.items(), key=lambda kv: -len(kv[1])):
        x = dist(v)
        print("  %7d  %5.1f %%  median %7.2f  p99 %8.2f  max %9.1f  %s" % (
            x["n"], 100.0 * x["n"] / len(polls), x["p50"], x["p99"], x["max"], fn))
    return d


def record(pid, seconds, out):
    """perf record of our group's events on pid for `seconds`; returns perf's
    stderr line about lost events, if any."""
    p = subprocess.run(["perf", "record", "-q", "-m", "16M", "--switch-events", "-e",
                        "%s:*" % GROUP, "-p", str(pid), "-o", out, "--", "sleep", str(seconds)],
                       capture_output=True, text=True)
    return " ".join(l.strip() for l in p.stderr.splitlines() if "lost" in l.lower())


def start_perf(pid, out):
    p = subprocess.Popen(["perf", "record", "-q", "-m", "16M", "--switch-events", "-e",
                          "%s:*" % GROUP, "-p", str(pid), "-o", out], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)  # perf opens its events before the load starts
    return p


def stop_perf(p):
    p.send_signal(2)
    _, err = p.communicate(timeout=120)
    return " ".join(l.strip() for l in err.splitlines() if "lost" in l.lower())


def perf_script(out):
    return subprocess.run(["perf", "script", "-i", out, "--ns", "--show-switch-events",
                           "--show-lost-events", "-F", "tid,time,event,trace"],
                          capture_output=True, text=True, check=True).stdout


def wl_binary(target, build):
    root = bl.ROOT
    if target == "wl-tokio-153":
        return os.path.join(root, "tests", "workloads-tokio-1.53", "target", build, target)
    return os.path.join(root, "tests", "workloads", "target", build, target)


def run_target(a, target, workdir):
    family, kind = TARGETS[target]
    if kind == "bench":
        path = bl.binary(a.build, target)
    else:
        path = wl_binary(target, a.build)
    probes = Probes(path, PROFILES[family])
    out = os.path.join(workdir, target + ".perf")
    srv = None
    try:
        if kind == "bench":
            srv = bl.Server(path, workdir=workdir)
            perf = start_perf(srv.pid, out)
            bl.run_client(srv.port, a.requests, a.concurrency)
            lost = stop_perf(perf)
            srv.stop()
        else:
            srv = bl.Server(path, args=["--seconds", str(a.seconds + 30)], workdir=workdir,
                            stdin_eof_exits=False)
            lost = record(srv.pid, a.seconds, out)
            srv.stop()
        text = perf_script(out)
        threads, lost_records = parse(text, probes.names)
        if lost_records:
            lost = ("%s; perf lost events %d times" % (lost, lost_records)).lstrip("; ")
        if a.keep:
            with open(os.path.join(a.keep, target + ".txt"), "w") as f:
                f.write(text)
            with open(os.path.join(a.keep, target + ".names"), "w") as f:
                f.write(repr(probes.names))
    finally:
        if srv:
            srv.stop()
        probes.remove()
    return report("%s (%s)" % (target, a.build), *analyse(threads), lost)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--target", default="bench-tokio,wl-tokio,wl-tokio-153,bench-async-std,"
                    "bench-smol", help="comma-separated, from: " + ", ".join(TARGETS))
    ap.add_argument("--build", default="release")
    ap.add_argument("--requests", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=10, help="trace time of a wl-* workload")
    ap.add_argument("--keep", metavar="DIR", help="also write perf script's text there")
    a = ap.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("run as root (uprobe_events, perf record)")
    bl.install_cleanup()
    workdir = tempfile.mkdtemp(prefix="cattop-bound-")
    try:
        for t in a.target.split(","):
            run_target(a, t, workdir)
    finally:
        bl.finish_workdir(workdir, False)


if __name__ == "__main__":
    main()
