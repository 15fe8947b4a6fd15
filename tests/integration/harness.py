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
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKLOADS = os.path.join(ROOT, "tests", "workloads")
CRATE = {"tokio": "wl_tokio", "async-std": "wl_async_std", "smol": "wl_smol"}
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
    return os.path.join(WORKLOADS, "target", profile, "wl-" + runtime)


class Workload:
    """A workload process, started and waited for until it prints 'ready'."""

    def __init__(self, runtime, profile="debug", args=(), exe=None):
        self.proc = subprocess.Popen([exe or binary(runtime, profile), *args],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line.startswith("ready pid="):
            raise CheckFailed("workload did not start: %r" % line)
        self.pid = self.proc.pid
        self.started = time.monotonic()

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.alive():
            self.proc.kill()
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def run_cattop(args, timeout=60, **kw):
    return subprocess.run([CATTOP, *args], capture_output=True, text=True, timeout=timeout, **kw)


def snapshot(pid, seconds=3, extra=()):
    r = run_cattop(["-p", str(pid), "-b", "-n", "1", "-d", str(seconds), "--snapshot", "-",
                    *extra])
    check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
    return parse_snapshot(r.stdout)


def parse_snapshot(stdout):
    """The JSON document follows the batch table on stdout."""
    start = stdout.index("\n{") + 1
    return json.loads(stdout[start:])


def source_line(runtime, pattern):
    """1-based line of the first source line matching pattern in the workload."""
    path = os.path.join(WORKLOADS, "wl-" + runtime, "src", "main.rs")
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if re.search(pattern, line):
                return "wl-%s/src/main.rs:%d" % (runtime, n)
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
        return subprocess.run(["tmux", "capture-pane", "-p", "-t", self.name],
                              capture_output=True, text=True, check=True).stdout

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


WEDGE_AFTER_S = 3.5


def wedging_workload(runtime, profile="debug"):
    """Runs normally for WEDGE_AFTER_S, then one task spins for 10 s without
    yielding (which also starves tasks queued behind it on that worker)."""
    return Workload(runtime, profile, ["--seconds", "20", "--wedge-after-ms",
                                       str(int(WEDGE_AFTER_S * 1000)), "--wedge-ms", "10000"])
