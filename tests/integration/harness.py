"""What the integration tests share: checks, the workloads with known
behaviour, running cattop and reading its snapshots, and tmux for the live
view. Every expected name and line comes from the workload sources, never
from a recorded output."""
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKLOADS = os.path.join(ROOT, "tests", "workloads")
# The same tokio workloads built against tokio 1.53 (tests/workloads-tokio-1.53):
# runtime "tokio-153" is wl-tokio-153, whose source is wl-tokio's.
WORKLOADS_153 = os.path.join(ROOT, "tests", "workloads-tokio-1.53")
CRATE = {"tokio": "wl_tokio", "async-std": "wl_async_std", "smol": "wl_smol",
         "tokio-153": "wl_tokio_153"}
MS = 1_000_000
S = 1_000_000_000

CATTOP = None  # set by run.py
checks = {"passed": 0, "failed": 0}


class CheckFailed(AssertionError):
    pass


def check(cond, what):
    if cond:
        checks["passed"] += 1
    else:
        checks["failed"] += 1
        raise CheckFailed(what)


# ---------------------------------------------------------------- helpers ---

def binary(runtime, profile="debug"):
    if runtime.endswith("-153"):
        return os.path.join(WORKLOADS_153, "target", profile, "wl-" + runtime)
    return os.path.join(WORKLOADS, "target", profile, "wl-" + runtime)


def source_file(runtime):
    """A workload's main.rs, and how cattop names it (DWARF's path from
    the workspace): a -153 build compiles the 1.24 workload's file."""
    if runtime.endswith("-153"):
        base = runtime[:-len("-153")]
        return (os.path.join(WORKLOADS, "wl-" + base, "src", "main.rs"),
                "wl-%s/../../workloads/wl-%s/src/main.rs" % (runtime, base))
    return (os.path.join(WORKLOADS, "wl-" + runtime, "src", "main.rs"),
            "wl-%s/src/main.rs" % runtime)


def wait_for(cond, timeout, interval=0.1):
    """cond()'s value once it is true, or its last value after timeout
    seconds. The tests run on busy machines: they wait for what they need,
    they do not sleep a fixed time and hope."""
    end = time.monotonic() + timeout
    while True:
        value = cond()
        if value or time.monotonic() >= end:
            return value
        time.sleep(interval)


class Workload:
    """A workload process, started and waited for until it prints 'ready'."""

    def __init__(self, runtime, profile="debug", args=(), exe=None):
        self.proc = subprocess.Popen([exe or binary(runtime, profile), *args],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready pid="):
            raise CheckFailed("workload did not start: %r" % line)
        self.ready = line.split()  # ["ready", "pid=<pid>", ...]: wl-hyper adds port=
        self.pid = self.proc.pid
        self.started = time.monotonic()
        self.wedge_dir = None
        self.wedged_at = None

    def alive(self):
        return self.proc.poll() is None

    def wedge(self):
        """Starts the wedge of a wedging_workload (within ~10 ms)."""
        open(os.path.join(self.wedge_dir, "wedge"), "w").close()
        self.wedged_at = time.monotonic()

    def stop(self):
        if self.alive():
            self.proc.kill()
        self.proc.wait()
        if self.wedge_dir:
            shutil.rmtree(self.wedge_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


# Every cattop a test starts in the background: run.py ends those still
# running after the test, failed or not (one left SIGSTOPped, or with a
# 600 s refresh, would outlive the suite).
started = []


def popen_cattop(args, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    p = subprocess.Popen([CATTOP, *args], text=True, **kw)
    started.append(p)
    return p


def end_leftovers():
    """Kills what a test left running of the cattops it started."""
    for p in started:
        if p.poll() is None:
            p.send_signal(signal.SIGCONT)
            p.kill()
            p.wait()
    started.clear()


def run_cattop(args, timeout=60, **kw):
    return subprocess.run([CATTOP, *args], capture_output=True, text=True, timeout=timeout, **kw)


def snapshot(pid, seconds=3, extra=()):
    r = run_cattop(["-p", str(pid), "-b", "-n", "1", "-d", str(seconds), "--snapshot", "-",
                    *extra])
    check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
    return parse_snapshot(r.stdout)


def run_delay_ns(pid):
    """How long thread pid has been runnable but waiting for a CPU (the
    scheduler's run_delay, as cattop itself uses it for poll times)."""
    with open("/proc/%d/schedstat" % pid) as f:
        return int(f.read().split()[1])


def cpu_seconds(pid):
    """The CPU time process pid has used so far (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_timed(p, t0, waited, cpu0, timeout):
    """(exit code or None, stdout, stderr, wall s, own s, cpu s) of p, from
    t0 on, its main thread having waited `waited` ns for a CPU and the
    process used cpu0 s of CPU at t0."""
    out, err = [], []
    readers = [threading.Thread(target=lambda f=f, acc=acc: acc.append(f.read()), daemon=True)
               for f, acc in ((p.stdout, out), (p.stderr, err)) if f]
    for r in readers:
        r.start()
    # WNOWAIT: the zombie is kept until read, its schedstat with it
    while not os.waitid(os.P_PID, p.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
        if time.monotonic() - t0 > timeout:
            p.kill()
            break
        time.sleep(0.005)
    took = time.monotonic() - t0
    own = took - (run_delay_ns(p.pid) - waited) / S
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    for r in readers:
        r.join()
    cpu = usage.ru_utime + usage.ru_stime - cpu0
    return (p.returncode if took <= timeout else None), "".join(out), "".join(err), took, own, cpu


def timed_env():
    """The environment of a cattop whose run or exit time a test bounds:
    LeakSanitizer's check at exit off (the ASan build). It runs in a task
    of its own that stops cattop's threads while it scans the heap; a busy
    machine starves that task, and its seconds are the sanitizer's, not
    cattop's. Every other run of the same code still checks for leaks."""
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    return env


def stop_and_time(p, sig, timeout=15):
    """Sends sig to the process p and waits until it has exited; returns
    (exit code, stdout, stderr, wall seconds, own seconds, CPU seconds).
    The own time leaves out its main thread's waits for a CPU; it still
    holds what cattop waits for in the kernel (closing a link waits for a
    grace period, which kernel threads starved by a busy machine drag
    out). The CPU time is what cattop did. The code is None if it did not
    exit within timeout s. Start p with env=timed_env()."""
    waited, cpu0 = run_delay_ns(p.pid), cpu_seconds(p.pid)
    t0 = time.monotonic()
    p.send_signal(sig)
    return _wait_timed(p, t0, waited, cpu0, timeout)


def run_timed(args, timeout=60):
    """run_cattop, as stop_and_time times it: from start to exit."""
    t0 = time.monotonic()
    p = popen_cattop(args, env=timed_env())
    return _wait_timed(p, t0, 0, 0, timeout)


def attached(pid, timeout=60):
    """Waits until a cattop's probes are in on pid (its entry and return
    links): how long that takes depends on the machine's load."""
    return wait_for(lambda: len(uprobe_multi_links(pid)) >= 2, timeout)


def snapshot_when_seen(args, seen_in, timeout):
    """cattop run with args (batch tables, --snapshot -) until seen_in(line)
    is true of a line of its tables, or timeout; then SIGINT: its final
    snapshot. Returns (snapshot, whether it was seen)."""
    p = popen_cattop(args)
    lines, seen = [], threading.Event()

    def read():
        for line in p.stdout:
            lines.append(line)
            if seen_in(line.rstrip("\n")):
                seen.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        seen.wait(timeout)
        p.send_signal(signal.SIGINT)
        err = p.stderr.read()
        p.wait(timeout=60)
        reader.join(60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    check(p.returncode == 0, "cattop exited %d: %s" % (p.returncode, err.strip()))
    return parse_snapshot("".join(lines)) if seen.is_set() else None, seen.is_set()


def snapshot_when_polled(pid, task, polls, extra=(), timeout=60, also=None):
    """A snapshot taken once cattop's own tables show `task` polled at
    least `polls` times, and every task of `also` ({name: polls}) its
    number of times (batch mode, a table every 0.5 s, stopped by
    SIGINT): a busy machine slows the workload down, so a fixed length
    would see a varying number of polls."""
    wanted = dict(also or {})
    wanted[task] = polls
    # an idle task's row ends in its warnings ("  [blocking: ...]") and its
    # await line ("  @ file:line")
    rows = {name: re.compile(r"\s+\d+ \w+\s+(\d+)\s.*\s%s(?:  \[\w+(?:: [^\]]*)?\])*(  @ \S+)?$"
                             % re.escape(name))
            for name in wanted}
    reached = set()

    def seen_in(line):
        for name, row in rows.items():
            m = row.match(line)
            if m and int(m.group(1)) >= wanted[name]:
                reached.add(name)
        return len(reached) == len(wanted)

    snap, seen = snapshot_when_seen(
        ["-p", str(pid), "-b", "-d", "0.5", "-r", "0", "--snapshot", "-", *extra], seen_in,
        timeout)
    check(seen, "cattop's tables never showed %s polled that often in %d s"
          % (", ".join("%s %d times" % (n, k) for n, k in wanted.items() if n not in reached),
             timeout))
    return snap


def snapshot_wedged(w, normal_s, wedged_s, extra=()):
    """A snapshot of a wedging_workload: normal_s seconds of normal running
    once cattop is attached, then wedged_s seconds of its wedge; cattop is
    stopped then (SIGINT: final snapshot). Returns the snapshot and a lower
    bound of the wedge's age when it was taken. Both spans are measured
    from what the test saw happen, so they hold however late a busy
    machine lets each step come."""
    p = popen_cattop(["-p", str(w.pid), "-b", "-d", "600", "--snapshot", "-", *extra])
    try:
        check(attached(w.pid), "cattop did not attach")
        time.sleep(normal_s)
        w.wedge()
        time.sleep(wedged_s)
        stopped = time.monotonic()
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    check(p.returncode == 0, "cattop exited %d: %s" % (p.returncode, err.strip()))
    return parse_snapshot(out), stopped - w.wedged_at


def parse_snapshot(stdout):
    """The JSON document follows the batch table on stdout."""
    start = stdout.index("\n{") + 1
    return json.loads(stdout[start:])


def source_line(runtime, pattern):
    """1-based line of the first source line matching pattern in the workload."""
    path, label = source_file(runtime)
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if re.search(pattern, line):
                return "%s:%d" % (label, n)
    raise CheckFailed("pattern %r not in %s" % (pattern, path))


def tasks_named(snap, name):
    return [t for t in snap["tasks"] if t["name"] == name]


def one_task(snap, name, state=None):
    found = [t for t in tasks_named(snap, name) if state is None or t["state"] == state]
    check(len(found) >= 1, "no task %s (state %s); tasks: %s"
          % (name, state, sorted({t["name"] for t in snap["tasks"]})))
    return max(found, key=lambda t: t["polls"] + t["inflight_ns"])


def child(node, name):
    found = [c for c in node["children" if "children" in node else "futures"]
             if c["name"] == name]
    check(len(found) == 1, "%s has no child %s; children: %s" % (
        node["name"], name, [c["name"] for c in node.get("children", node.get("futures", []))]))
    return found[0]


def uprobe_multi_links(pid=None):
    """uprobe_multi links, those on process pid only when it is given (other
    cattops may run meanwhile)."""
    out = subprocess.run(["bpftool", "link", "show", "-j"], capture_output=True, text=True)
    links = json.loads(out.stdout or "[]")
    return [l for l in links if l.get("type") == "uprobe_multi"
            and (pid is None or l.get("pid") == pid)]


class Tmux:
    """The real binary in a detached tmux session: keys in, screen text out."""

    def __init__(self, command, cwd, width=100, height=30, lang="C.UTF-8"):
        self.name = "cattop-test-%d" % os.getpid()
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", str(width),
                        "-y", str(height), "-c", cwd,
                        "env LANG=%s LC_ALL=%s %s; echo EXIT=$?; sleep 30"
                        % (lang, lang, command)], check=True)

    def keys(self, *keys, wait=0.6):
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)
        time.sleep(wait)

    def screen(self):
        r = subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                           capture_output=True, text=True)
        if r.returncode:  # the session is gone: cattop and the shell after it ended
            return "(no tmux session: %s)" % r.stderr.strip()
        return r.stdout

    def wait_screen(self, cond, timeout=20):
        """The screen once cond(screen) holds, or the last one after timeout."""
        scr = self.screen()
        end = time.monotonic() + timeout
        while not cond(scr) and time.monotonic() < end:
            time.sleep(0.2)
            scr = self.screen()
        return scr

    def resize(self, width, height):
        subprocess.run(["tmux", "resize-window", "-t", self.name, "-x", str(width),
                        "-y", str(height)], check=True)
        time.sleep(0.8)

    def save(self, name):
        if os.environ.get("CATTOP_SAVE_SCREENSHOTS"):
            with open(os.path.join(ROOT, "screenshots", name), "w") as f:
                f.write(self.screen())

    def close(self):
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def table_rows(screen):
    """Task rows of the tasks view: (id, name) in screen order."""
    rows = []
    for line in screen.splitlines():
        m = re.match(r"\s+(\d+) (running|idle|done|scheduled)\s.*\s(\S+)$", line)
        if m:
            rows.append((int(m.group(1)), m.group(3)))
    return rows


# For tests the wedge is not about: the workloads' default one (1.5 s in)
# would begin while a slow attach is still going on, and tokio's other
# worker can stall behind it.
NO_WEDGE = ("--wedge-after-ms", "600000")


def wedging_workload(runtime, profile="debug", wedge_ms=10000):
    """Runs normally until the test calls w.wedge() (once cattop is
    attached), then one task spins for wedge_ms without yielding (which
    also starves tasks queued behind it on that worker)."""
    d = tempfile.mkdtemp(prefix="cattop-wedge-")
    try:
        w = Workload(runtime, profile, ["--seconds", "120", "--wedge-after-ms", "0",
                                        "--wedge-ms", str(wedge_ms),
                                        "--wedge-file", os.path.join(d, "wedge")])
    except BaseException:
        shutil.rmtree(d, ignore_errors=True)
        raise
    w.wedge_dir = d
    return w
