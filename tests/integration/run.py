#!/usr/bin/env python3
"""cattop integration tests: run real Rust workloads with known behaviour,
attach cattop to them by PID (or launch them through cattop), and assert on
what its JSON snapshot reports. Every expected name and line comes from the
workload sources, never from a recorded output."""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORKLOADS = os.path.join(ROOT, "tests", "workloads")
CRATE = {"tokio": "wl_tokio", "async-std": "wl_async_std", "smol": "wl_smol"}
MS = 1_000_000
S = 1_000_000_000

CATTOP = None
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


def uprobe_multi_links():
    out = subprocess.run(["bpftool", "link", "show", "-j"], capture_output=True, text=True)
    links = json.loads(out.stdout or "[]")
    return [l for l in links if l.get("type") == "uprobe_multi"]


# ------------------------------------------------------------------ tests ---

def check_future_tree(runtime, snap):
    crate = CRATE[runtime]
    check(snap["runtime"] == runtime, "runtime %s, want %s" % (snap["runtime"], runtime))
    check(snap["events_lost"] == 0, "events lost: %d" % snap["events_lost"])
    check(snap["probes"]["dwarf"], "DWARF not used on a debug build")

    # task -> async fn -> async fn -> async fn -> async fn, with source lines
    ticker = one_task(snap, crate + "::ticker_task", "idle")
    node = child(ticker, crate + "::ticker_task")
    for name in ("ticker_task", "nested_outer", "nested_middle", "nested_inner"):
        if name != "ticker_task":
            node = child(node, crate + "::" + name)
        check(node["kind"] == "async_fn", "%s kind %s" % (name, node["kind"]))
        check(node["crate"] == crate, "%s crate %s" % (name, node["crate"]))
        check(node["location"] == source_line(runtime, r"async fn %s\(" % name),
              "%s at %s" % (name, node["location"]))
        check(node["polls"] > 0 and node["slow_polls"] * 20 <= node["polls"],
              "%s polls %d slow %d" % (name, node["polls"], node["slow_polls"]))

    # an async block that blocks the thread 2 ms: every poll slow, >= 2 ms
    blocker = one_task(snap, crate + "::blocker_task")
    block = child(child(blocker, crate + "::blocker_task"),
                  crate + "::blocker_task::{async_block#0}")
    check(block["kind"] == "async_block", "blocker block kind %s" % block["kind"])
    check(block["location"] == source_line(runtime, r"let blocking = async"),
          "async block at %s" % block["location"])
    check(block["polls"] >= 20, "async block polled %d times" % block["polls"])
    check(block["slow_polls"] >= block["polls"] - 1, "async block slow %d of %d"
          % (block["slow_polls"], block["polls"]))
    check(block["max_poll_ns"] >= 2 * MS, "async block longest %d" % block["max_poll_ns"])

    # a hand-written Future spinning 3 ms in poll
    spinner = one_task(snap, crate + "::spinner_task")
    spin = child(child(spinner, crate + "::spinner_task"), crate + "::SpinFuture")
    check(spin["kind"] == "user_future" and spin["crate"] == crate,
          "SpinFuture kind %s crate %s" % (spin["kind"], spin["crate"]))
    check(spin["max_poll_ns"] >= 3 * MS, "SpinFuture longest %d" % spin["max_poll_ns"])
    check(spin["slow_polls"] >= spin["polls"] - 1 and spin["polls"] >= 20,
          "SpinFuture slow %d of %d" % (spin["slow_polls"], spin["polls"]))

    # fast futures are not flagged (a poll preempted by the scheduler may be)
    for name in ("fast_task", "ticker_task"):
        t = one_task(snap, crate + "::" + name)
        check(t["slow_polls"] * 20 <= t["polls"], "%s slow %d of %d polls"
              % (name, t["slow_polls"], t["polls"]))

    # short-lived tasks come and go: some seen done, each with its own tree
    done = [t for t in tasks_named(snap, crate + "::short_lived") if t["state"] == "done"]
    check(len(done) >= 10, "%d short_lived tasks done" % len(done))
    check(all(t["polls"] <= 3 for t in done), "a done short_lived task has too many polls "
          "(task ids reused?): %s" % [t["polls"] for t in done])
    check(snap["counters"]["unmatched_returns"] == 0, "unmatched returns")


def check_wedged(runtime, snap, wedge_started_s_ago):
    crate = CRATE[runtime]
    wedged = one_task(snap, crate + "::wedged_task", "running")
    low = (wedge_started_s_ago - 0.5) * S
    check(wedged["inflight_ns"] >= low, "wedged in flight %d ns, want >= %d"
          % (wedged["inflight_ns"], low))
    loop = child(child(wedged, crate + "::wedged_task"), crate + "::wedged_loop")
    check(loop["inflight_ns"] >= low, "wedged_loop in flight %d" % loop["inflight_ns"])
    first = snap["tasks"][0]
    check(first["name"] == crate + "::wedged_task",
          "the wedged task is not first by longest poll: %s" % {
              k: first[k] for k in ("name", "state", "polls", "max_poll_ns", "inflight_ns",
                                    "unknown_polls")})


WEDGE_AFTER_S = 3.5


def wedging_workload(runtime, profile="debug"):
    """Runs normally for WEDGE_AFTER_S, then one task spins for 10 s without
    yielding (which also starves tasks queued behind it on that worker)."""
    return Workload(runtime, profile, ["--seconds", "20", "--wedge-after-ms",
                                       str(int(WEDGE_AFTER_S * 1000)), "--wedge-ms", "10000"])


def test_runtime(runtime):
    """One snapshot over 5 s: 3.2 s of normal running, then 1.8 s of the wedge
    (cattop must be attached before the wedged poll begins to see its entry)."""
    with wedging_workload(runtime) as w:
        time.sleep(0.3)
        snap = snapshot(w.pid, 5, ["-t", "1ms"])
        check_future_tree(runtime, snap)
        check_wedged(runtime, snap, time.monotonic() - w.started - WEDGE_AFTER_S)
        check(w.alive(), "the target died")


def test_tokio():
    test_runtime("tokio")


def test_async_std():
    test_runtime("async-std")


def test_smol():
    test_runtime("smol")


def test_release_build_tasks():
    """Optimised builds: task polls still traced; slow tasks and the wedged one found."""
    for profile in ("release", "release-nodebug"):
        with wedging_workload("tokio", profile) as w:
            time.sleep(0.3)
            snap = snapshot(w.pid, 5, ["-t", "1ms"])
            check(snap["probes"]["task_poll"] > 0, "no task probes in %s" % profile)
            wedged = snap["tasks"][0]
            check(wedged["state"] == "running" and wedged["inflight_ns"] >= 1 * S,
                  "%s: the wedged task is not first and in flight: %s" % (profile, wedged))
            slow = [t for t in snap["tasks"] if t["max_poll_ns"] >= 2 * MS
                    and t["slow_polls"] >= t["polls"] - 1 and t["polls"] >= 20]
            check(len(slow) == 2, "%s: want the spinner and blocker tasks slow, got %s" % (
                profile, [(t["name"], t["polls"], t["max_poll_ns"]) for t in snap["tasks"][:6]]))
            fast = [t for t in snap["tasks"] if t["polls"] >= 200 and t not in slow]
            check(len(fast) >= 1 and all(t["slow_polls"] * 20 <= t["polls"] for t in fast),
                  "%s: fast tasks flagged slow" % profile)


def test_tasks_only():
    with Workload("tokio", args=["--seconds", "20"]) as w:
        snap = snapshot(w.pid, 2, ["--tasks-only"])
        check(snap["probes"]["futures"] == 0, "--tasks-only attached future probes")
        check(len(snap["tasks"]) >= 5, "--tasks-only saw %d tasks" % len(snap["tasks"]))
        check(all(t["futures"] == [] for t in snap["tasks"]), "futures under --tasks-only")


def test_launch_command():
    """cattop -- COMMAND traces from the start: the block_on root future too."""
    exe = binary("tokio")
    r = run_cattop(["-b", "-n", "1", "-d", "2", "--snapshot", "-", "--", exe,
                    "--seconds", "1"], timeout=30)
    check(r.returncode == 0, "launch: exit %d %s" % (r.returncode, r.stderr.strip()))
    snap = parse_snapshot(r.stdout)
    roots = [t for t in snap["tasks"] if t["block_on"]]
    check(any(t["name"] == "wl_tokio::async_main" for t in roots),
          "no block_on root task: %s" % [t["name"] for t in roots])
    check(snap["target_exited"], "the command's exit was not noticed")
    ticker = one_task(snap, "wl_tokio::ticker_task")
    check(ticker["polls"] > 10, "ticker polls %d" % ticker["polls"])


def test_target_exit():
    """The target exits while traced: last table and snapshot, exit 0."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "snap.json")
        with Workload("tokio", args=["--seconds", "2"]) as w:
            r = run_cattop(["-p", str(w.pid), "-b", "-d", "0.5", "--snapshot", out], timeout=30)
        check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
        check("exited" in r.stderr, "no exit message: %r" % r.stderr)
        with open(out) as f:
            snap = json.load(f)
        check(snap["target_exited"] and len(snap["tasks"]) > 0, "final snapshot empty")
        check(oct(os.stat(out).st_mode & 0o777) == "0o600", "snapshot mode not 0600")


def test_quit_fast_and_clean():
    """SIGINT detaches in well under a second; no probe stays; the target runs on."""
    before = len(uprobe_multi_links())
    with Workload("tokio", args=["--seconds", "30"]) as w:
        p = subprocess.Popen([CATTOP, "-p", str(w.pid), "-b", "-d", "1"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(2.0)
        check(len(uprobe_multi_links()) >= before + 2, "no uprobe_multi links while attached")
        t0 = time.monotonic()
        p.send_signal(signal.SIGINT)
        rc = p.wait(timeout=10)
        took = time.monotonic() - t0
        check(rc == 0, "exit %d after SIGINT" % rc)
        check(took < 1.0, "took %.2fs to quit" % took)
        check(len(uprobe_multi_links()) == before, "probes left behind")
        time.sleep(0.3)
        check(w.alive(), "target harmed")
        # -n N also ends it promptly
        t0 = time.monotonic()
        r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", "0.5"])
        check(r.returncode == 0 and time.monotonic() - t0 < 1.5, "-n 1 -d 0.5 slow to exit")


def test_bad_input():
    def fails(args, pattern, **kw):
        r = run_cattop(args, **kw)
        lines = r.stderr.strip().splitlines()
        check(r.returncode != 0, "%s: exit 0" % args)
        check(len(lines) == 1 and re.search(pattern, lines[0]) is not None,
              "%s: stderr %r !~ %r" % (args, r.stderr, pattern))

    fails(["-p", "999999", "-b"], r"no such process: 999999")
    fails(["-p", "abc"], r"bad PID")
    fails(["-b"], r"nothing to trace")
    fails(["-p", "1", "-t", "-5ms"], r"bad threshold")
    fails(["-p", "1", "-t", "0"], r"bad threshold")
    fails(["-p", "2"], r"kernel thread")
    sleeper = subprocess.Popen(["sleep", "30"])
    try:
        fails(["-p", str(sleeper.pid)], r"not a Rust binary")
    finally:
        sleeper.kill()
        sleeper.wait()
    with tempfile.TemporaryDirectory() as d:
        stripped = os.path.join(d, "wl-tokio-stripped")
        subprocess.run(["strip", "-o", stripped, binary("tokio")], check=True)
        with Workload("tokio", exe=stripped, args=["--seconds", "10"]) as w:
            fails(["-p", str(w.pid)], r"stripped .*strip = false")
        cfg = os.path.join(d, "bad.ini")
        with open(cfg, "w") as f:
            f.write("[cattop]\nthreshold = 1ms\nrefresh_speed = fast\n")
        fails(["-c", cfg, "-p", "1"], re.escape(cfg) + r":3: unknown key 'refresh_speed'")
        with open(cfg, "w") as f:
            f.write("[colors]\nslow = purple\n")
        fails(["-c", cfg, "-p", "1"], re.escape(cfg) + r":2: bad value 'purple' for 'slow'")
        with Workload("tokio", args=["--seconds", "10"]) as w:
            os.chmod(d, 0o755)
            fails(["-p", str(w.pid)], r"CAP_BPF and CAP_PERFMON|not permitted",
                  preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
            fails(["-p", str(w.pid), "--runtime", "glommio"], r"unknown runtime 'glommio'")


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
        m = re.match(r"\s+(\d+) (running|idle|done)\s.*\s(\S+)$", line)
        if m:
            rows.append((int(m.group(1)), m.group(3)))
    return rows


def test_tui():
    """The live view in tmux: table, highlighting marker, workers panel, sorting,
    drill-down tree, detail, snapshot key, resize, quit."""
    with wedging_workload("tokio") as w, tempfile.TemporaryDirectory() as d:
        ui = Tmux("%s -p %d -t 1ms -d 0.5" % (CATTOP, w.pid), d)
        try:
            time.sleep(2.5)
            scr = ui.screen()
            check("runtime tokio" in scr and "threshold 1.00ms" in scr, "header: %s" % scr)
            rows = table_rows(scr)
            names = [n for _, n in rows]
            check("wl_tokio::spinner_task" in names and "wl_tokio::ticker_task" in names,
                  "tasks not listed: %s" % scr)
            spin = [l for l in scr.splitlines() if l.endswith("wl_tokio::spinner_task")][0]
            check("!" in spin, "slow spinner row not marked: %r" % spin)
            tick = [l for l in scr.splitlines() if l.endswith("wl_tokio::ticker_task")][0]
            check("!" not in tick, "fast ticker row marked slow: %r" % tick)
            check(names.index("wl_tokio::spinner_task") < names.index("wl_tokio::ticker_task"),
                  "not sorted by longest poll: %s" % names)
            check("Workers" in scr and "tokio-runtime-w" in scr, "no workers panel")
            ui.save("tui-tasks.txt")
            # sort by name: > three times (LONGEST -> INFLIGHT -> SLOW -> NAME)
            ui.keys(">", ">", ">")
            scr = ui.screen()
            names = [n for _, n in table_rows(scr)]
            check("NAMEv" in scr and names == sorted(names), "not sorted by name: %s" % names)
            ui.keys("i")
            names = [n for _, n in table_rows(ui.screen())]
            check(names == sorted(names, reverse=True), "not inverted: %s" % names)
            # filter, then drill into the ticker task's tree
            ui.keys("/", "ticker", "Enter")
            check([n for _, n in table_rows(ui.screen())] == ["wl_tokio::ticker_task"],
                  "filter: %s" % ui.screen())
            ui.keys("Enter")
            scr = ui.screen()
            depth = {}
            for line in scr.splitlines():
                for f in ("ticker_task", "nested_outer", "nested_middle", "nested_inner"):
                    if re.search(r"wl_tokio::%s" % f[:10], line) and "async fn" in line:
                        depth[f] = line.index("wl_tokio::")
            check(len(depth) == 4 and depth["ticker_task"] < depth["nested_outer"]
                  < depth["nested_middle"] < depth["nested_inner"], "tree: %s" % scr)
            ui.save("tui-tree.txt")
            ui.keys("Down", "Enter")
            scr = ui.screen()
            check("Poll time histogram" in scr and "p50" in scr and
                  source_line("tokio", r"async fn ticker_task\(") in scr, "detail: %s" % scr)
            ui.save("tui-detail.txt")
            ui.keys("Escape", "Escape", "Escape")
            ui.keys("<", "<", "<", "i", "Home")  # back to longest poll, cursor on top
            check("LONGESTv" in ui.screen(), "sort not back on LONGEST")
            ui.keys("s")
            snaps = [f for f in os.listdir(d) if f.startswith("cattop-%d-" % w.pid)]
            check(len(snaps) == 1, "snapshot key wrote %s" % snaps)
            with open(os.path.join(d, snaps[0])) as f:
                snap = json.load(f)
            check(snap["pid"] == w.pid and len(snap["tasks"]) >= 5, "snapshot content")
            check(snaps[0] in ui.screen(), "snapshot name not in the status line")
            # the wedge: the worker polling it jumps out
            time.sleep(max(0, w.started + WEDGE_AFTER_S + 1.5 - time.monotonic()))
            scr = ui.screen()
            wl = [l for l in scr.splitlines() if "wedged_task" in l and "tokio-runtime-w" in l]
            check(len(wl) == 1 and "!" in wl[0], "wedged worker not shown: %s" % scr)
            check(table_rows(scr)[0][1] == "wl_tokio::wedged_task", "wedged task not first: %s" % scr)
            ui.save("tui-wedged.txt")
            ui.keys("g")
            check("ROOT FUTURE" in ui.screen() and "wl_tokio::short_lived" in ui.screen(),
                  "grouped view")
            ui.save("tui-grouped.txt")
            ui.keys("g")
            for wh in ((80, 24), (40, 10), (100, 30)):
                ui.resize(*wh)
                check("cattop" in ui.screen(), "screen gone after resize to %s" % (wh,))
            ui.keys("h")
            check("this help" in ui.screen(), "no help overlay")
            ui.keys("q", wait=1.0)
            check("EXIT=0" in ui.screen(), "q did not exit cleanly: %s" % ui.screen())
        finally:
            ui.close()


def test_tui_config_ascii_exit():
    """Config defaults (sort), --no-color, a non-UTF-8 locale (ASCII tree lines),
    and the target exiting under the live view (frozen, q exits 0)."""
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "cattop.ini")
        with open(cfg, "w") as f:
            f.write("[cattop]\nsort = name\ninterval = 500ms\n")
        with Workload("smol", args=["--seconds", "5"]) as w:
            ui = Tmux("%s -c %s -p %d --no-color" % (CATTOP, cfg, w.pid), d, 110, 24, lang="C")
            try:
                time.sleep(2.0)
                scr = ui.screen()
                names = [n for _, n in table_rows(scr)]
                check("NAMEv" in scr and names == sorted(names) and len(names) >= 5,
                      "config sort = name not applied: %s" % scr)
                check("refresh 500ms" in scr, "config interval not applied")
                ui.keys("/", "ticker", "Enter")
                ui.keys("Enter")
                scr = ui.screen()
                check("`- wl_smol::nested_outer" in scr and "\u2514" not in scr,
                      "no ASCII tree lines in the C locale: %s" % scr)
                w.proc.wait(timeout=10)
                time.sleep(1.0)
                scr = ui.screen()
                check("[process exited]" in scr and "EXIT=" not in scr,
                      "exit not shown or not frozen: %s" % scr)
                ui.keys("q", wait=1.0)
                check("EXIT=0" in ui.screen(), "q after exit: %s" % ui.screen())
            finally:
                ui.close()


TESTS = [test_bad_input, test_tokio, test_async_std, test_smol, test_release_build_tasks,
         test_tasks_only, test_launch_command, test_target_exit, test_quit_fast_and_clean,
         test_tui, test_tui_config_ascii_exit]


def main():
    global CATTOP
    ap = argparse.ArgumentParser()
    ap.add_argument("--cattop", required=True)
    ap.add_argument("-k", help="run only tests whose name contains this")
    a = ap.parse_args()
    CATTOP = os.path.abspath(a.cattop)
    failed_tests = []
    for t in TESTS:
        if a.k and a.k not in t.__name__:
            continue
        t0 = time.monotonic()
        try:
            t()
            status = "ok"
        except Exception as e:  # a failed check or a broken run: report, go on
            if not isinstance(e, CheckFailed):
                checks["failed"] += 1
                traceback.print_exc()
            status = "FAIL: %s" % e
            failed_tests.append(t.__name__)
        print("integration: %-28s %5.1fs  %s" % (t.__name__, time.monotonic() - t0, status),
              flush=True)
    print("integration: %d passed, %d failed" % (checks["passed"], checks["failed"]))
    return 1 if checks["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
