"""Shared helpers of bench/run.py and bench/scale.py (Python 3, stdlib only):
building the bench workloads, starting the bench servers and cattop, waiting
for cattop's probes to be attached, reading CPU time and memory from /proc,
and tearing everything down again, even on errors and Ctrl-C."""
import atexit
import json
import os
import queue
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WL = os.path.join(ROOT, "bench", "workloads")
CARGO = os.environ.get("CARGO") or next(
    (c for c in (os.path.expanduser("~/.cargo/bin/cargo"),) if os.path.exists(c)), "cargo")
BPFTOOL = os.environ.get("BPFTOOL", "bpftool")
CLK_TCK = os.sysconf("SC_CLK_TCK")

# build name -> (target directory, cargo arguments, extra environment)
BUILDS = {
    "release": ("target/release", ["build", "--release"],
                {"RUSTFLAGS": "", "CARGO_TARGET_DIR": "target"}),
    "debug": ("target/debug", ["build"], {"RUSTFLAGS": "", "CARGO_TARGET_DIR": "target"}),
    "debug-fp": ("target-fp/debug", ["build"],
                 {"RUSTFLAGS": "-C force-frame-pointers=yes", "CARGO_TARGET_DIR": "target-fp"}),
}
# runtime -> server binary
SERVERS = {"tokio": "bench-tokio", "async-std": "bench-async-std", "smol": "bench-smol"}
TRACING_SERVER = "bench-tokio-tracing"


class BenchError(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def binary(build, name):
    return os.path.join(WL, BUILDS[build][0], name)


def client_binary():
    return binary("release", "bench-client")


def build_workloads(builds, quiet=True):
    """cargo build of the bench workspace for each build (release always: the
    client comes from it). Offline, Debian's crates."""
    for b in ["release"] + [b for b in builds if b != "release"]:
        _, args, env = BUILDS[b]
        e = dict(os.environ)
        e.update(env)
        cmd = [CARGO] + args + (["-q"] if quiet else [])
        log("  CARGO    bench/workloads (%s)" % b)
        r = subprocess.run(cmd, cwd=WL, env=e)
        if r.returncode != 0:
            raise BenchError("cargo build failed for %s" % b)


# ----------------------------------------------------------------- /proc ---

def cpu_seconds(pid):
    """utime + stime of the whole process (all threads), from /proc/PID/stat."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def proc_status_kib(pid, key):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


# ------------------------------------------------------------- processes ---

_live = []          # every Popen we started and have not reaped yet
_live_lock = threading.Lock()


def _register(p):
    with _live_lock:
        _live.append(p)
    return p


def _forget(p):
    with _live_lock:
        if p in _live:
            _live.remove(p)


def cleanup_all():
    """SIGINT every cattop we started (so it detaches), kill the rest; reap."""
    with _live_lock:
        procs = list(_live)
    for p in procs:
        if p.poll() is None:
            try:
                p.send_signal(signal.SIGINT if getattr(p, "is_cattop", False) else signal.SIGKILL)
            except OSError:
                pass
    deadline = time.monotonic() + 10
    for p in procs:
        try:
            p.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
        _forget(p)


def _on_term(signum, frame):
    raise KeyboardInterrupt


def install_cleanup():
    atexit.register(cleanup_all)
    signal.signal(signal.SIGTERM, _on_term)
    signal.signal(signal.SIGHUP, _on_term)


class LineReader:
    """Collects a pipe's lines on a thread, so reads can time out."""

    def __init__(self, pipe):
        self.q = queue.Queue()
        self.lines = []
        self.t = threading.Thread(target=self._run, args=(pipe,), daemon=True)
        self.t.start()

    def _run(self, pipe):
        for line in pipe:
            self.q.put(line.rstrip("\n"))
        self.q.put(None)

    def wait_for(self, pred, timeout):
        """Next line for which pred(line) is true, or None (timeout or EOF)."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.q.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                self.q.put(None)
                return None
            self.lines.append(line)
            if pred(line):
                return line

    def drain(self, timeout=2.0):
        self.t.join(timeout)
        while True:
            try:
                line = self.q.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.lines.append(line)
        return self.lines


class Server:
    """A bench server: prints `ready pid=P port=N`, exits at stdin EOF after
    printing its counters."""

    def __init__(self, path, args=(), workdir=None, stdin_eof_exits=True):
        if not os.path.exists(path):
            raise BenchError("%s: not built (make bench builds it)" % path)
        self.path = path
        self.stdin_eof_exits = stdin_eof_exits
        self.errpath = os.path.join(workdir or tempfile.gettempdir(),
                                    "server-%s-%d.err" % (os.path.basename(path), time.monotonic_ns()))
        self.err = open(self.errpath, "w+")
        self.p = _register(subprocess.Popen([path] + list(args), stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=self.err, text=True))
        self.out = LineReader(self.p.stdout)
        line = self.out.wait_for(lambda l: l.startswith("ready "), 30)
        if line is None:
            self.stop()
            raise BenchError("%s did not start: %s" % (path, self.stderr_text()[-500:]))
        kv = dict(x.split("=", 1) for x in line.split()[1:])
        self.pid = int(kv["pid"])
        self.port = int(kv.get("port", 0))

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def alive(self):
        return self.p.poll() is None

    def stderr_text(self):
        try:
            with open(self.errpath) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self, timeout=5.0):
        """Closes stdin (the server prints its counters and exits); kills it
        if it does not. Returns its stdout lines."""
        if self.p.poll() is None:
            try:
                self.p.stdin.close()
            except OSError:
                pass
            try:
                self.p.wait(timeout=timeout if self.stdin_eof_exits else 0.01)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        _forget(self.p)
        lines = self.out.drain()
        if not self.err.closed:
            self.err.close()
        return lines

    def cleanup_files(self):
        try:
            os.unlink(self.errpath)
        except OSError:
            pass


def uprobe_links(pid):
    """uprobe_multi links of pid, from bpftool: list of dicts (retprobe, func_cnt)."""
    try:
        r = subprocess.run([BPFTOOL, "-j", "link", "show"], capture_output=True, text=True,
                           timeout=10)
        links = json.loads(r.stdout or "[]")
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
    return [l for l in links if l.get("type") == "uprobe_multi" and l.get("pid") == pid]


def sampler_links():
    """perf_event links of light mode's task sampler (program sample_task,
    or sample_stack where the running task is found on the stack: smol)."""
    try:
        progs = json.loads(subprocess.run([BPFTOOL, "-j", "prog", "show"], capture_output=True,
                                          text=True, timeout=10).stdout or "[]")
        links = json.loads(subprocess.run([BPFTOOL, "-j", "link", "show"], capture_output=True,
                                          text=True, timeout=10).stdout or "[]")
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return []
    ids = {p["id"] for p in progs if p.get("name") in ("sample_task", "sample_stack")}
    return [l for l in links if l.get("type") == "perf_event" and l.get("prog_id") in ids]


class Cattop:
    """cattop in batch mode on a pid, with a snapshot at exit."""

    def __init__(self, cattop, pid, extra_args, workdir, delay="1", rows="10"):
        self.snap = os.path.join(workdir, "snap-%d-%d.json" % (pid, time.monotonic_ns()))
        self.outpath = self.snap.replace(".json", ".out")
        self.errpath = self.snap.replace(".json", ".err")
        self.outf = open(self.outpath, "w")
        self.errf = open(self.errpath, "w")
        self.pid = pid
        self.cmd = [cattop, "-p", str(pid), "-b", "-d", delay, "-r", rows,
                    "--snapshot", self.snap] + list(extra_args)
        self.t_start = time.monotonic()
        self.p = subprocess.Popen(self.cmd, stdout=self.outf, stderr=self.errf)
        self.p.is_cattop = True
        _register(self.p)
        self.ready_s = None
        self.links = []
        self.detach_s = None
        self.unlinked_s = None
        self.rc = None

    def text(self, path):
        try:
            with open(path) as f:
                return f.read()
        except OSError:
            return ""

    def wait_attached(self, return_links=1, timeout=60.0):
        """Until the kernel shows cattop's uprobe_multi links on pid: return
        probe links (attached last; --focus adds a second), or entry links
        unchanged for 0.5 s. Falls
        back to cattop's first batch table if bpftool is not usable."""
        deadline = time.monotonic() + timeout
        stable_since, last = None, None
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                raise BenchError("cattop exited (%s) before attaching: %s" %
                                 (self.p.returncode, self.text(self.errpath).strip()[-800:]))
            links = uprobe_links(self.pid)
            if links is None:                 # no bpftool: first table
                if "cattop - pid" in self.text(self.outpath):
                    self.ready_s = time.monotonic() - self.t_start
                    return self.ready_s
            elif links:
                key = sorted((l.get("id"), l.get("func_cnt")) for l in links)
                if sum(1 for l in links if l.get("retprobe")) >= return_links:
                    break
                if key != last:
                    last, stable_since = key, time.monotonic()
                elif time.monotonic() - stable_since >= 0.5:
                    break
            time.sleep(0.05)
        else:
            raise BenchError("cattop did not attach within %.0f s" % timeout)
        self.links = links
        self.ready_s = time.monotonic() - self.t_start
        return self.ready_s

    def wait_sampling(self, timeout=60.0):
        """--light: until the kernel shows the perf_event links of cattop's
        task sampler (program sample_task); no uprobe is ever attached."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.p.poll() is not None:
                raise BenchError("cattop exited (%s) before sampling: %s" %
                                 (self.p.returncode, self.text(self.errpath).strip()[-800:]))
            if sampler_links():
                self.ready_s = time.monotonic() - self.t_start
                return self.ready_s
            time.sleep(0.05)
        raise BenchError("cattop's task sampler not attached within %.0f s" % timeout)

    def uprobes(self):
        return sum(l.get("func_cnt", 0) for l in self.links)

    def cpu(self):
        return cpu_seconds(self.p.pid)

    def hwm_kib(self):
        return proc_status_kib(self.p.pid, "VmHWM")

    def rss_kib(self):
        return proc_status_kib(self.p.pid, "VmRSS")

    def stop(self, timeout=60.0, watch_links=False):
        """SIGINT (cattop detaches, writes the snapshot and exits). Returns the
        snapshot (dict) or None. detach_s: SIGINT to exit; unlinked_s: SIGINT
        until bpftool no longer lists the links (if watch_links)."""
        t0 = time.monotonic()
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
            if watch_links:
                while time.monotonic() - t0 < timeout:
                    links = uprobe_links(self.pid)
                    if not links:
                        self.unlinked_s = time.monotonic() - t0
                        break
                    time.sleep(0.005)
            try:
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
                _forget(self.p)
                raise BenchError("cattop did not exit within %.0f s of SIGINT" % timeout)
        self.detach_s = time.monotonic() - t0
        self.rc = self.p.returncode
        _forget(self.p)
        self.outf.close()
        self.errf.close()
        try:
            with open(self.snap) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def stderr(self):
        return self.text(self.errpath).strip()

    def cleanup_files(self):
        for f in (self.snap, self.outpath, self.errpath):
            try:
                os.unlink(f)
            except OSError:
                pass


def run_client(port, requests, concurrency, rounds=0, timeout=900):
    cmd = [client_binary(), "--port", str(port), "--requests", str(requests),
           "--concurrency", str(concurrency)]
    if rounds:
        cmd += ["--rounds", str(rounds)]
    t0 = time.monotonic()
    p = _register(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    try:
        out, err = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        _forget(p)
        raise BenchError("client timed out after %d s" % timeout)
    _forget(p)
    t1 = time.monotonic()
    line = next((l for l in out.splitlines() if l.startswith("requests=")), None)
    if p.returncode != 0 or line is None:
        raise BenchError("client failed (%s): %s %s" % (p.returncode, out.strip(), err.strip()))
    kv = dict(x.split("=", 1) for x in line.split())
    res = {k: float(v) for k, v in kv.items()}
    res["outer_s"] = t1 - t0
    return res


def make_workdir():
    d = tempfile.mkdtemp(prefix="cattop-bench-")
    return d


def finish_workdir(workdir, failed):
    """Removes the work directory, unless something failed: then its logs
    (cattop and server stderr, snapshots) stay for a look."""
    if failed:
        log("logs and snapshots of this run are in %s" % workdir)
    else:
        shutil.rmtree(workdir, ignore_errors=True)


def private_cattop(src, workdir):
    """A private copy of cattop, so a concurrent rebuild of build/cattop
    cannot swap the binary under a running benchmark."""
    if not os.path.exists(src):
        raise BenchError("%s: not built (run make)" % src)
    dst = os.path.join(workdir, "cattop")
    shutil.copy2(src, dst)
    return dst


def median(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt(v, spec, none="-"):
    return none if v is None else format(v, spec)
