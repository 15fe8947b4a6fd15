"""Attaching to the workloads of each runtime and build, and bad input."""
import json
import os
import re
import signal
import subprocess
import tempfile
import time

import harness
from harness import (CRATE, MS, S, CheckFailed, Workload, attached, binary, check, child,
                     one_task, parse_snapshot, run_cattop, snapshot,
                     snapshot_wedged, source_line, stop_and_time, tasks_named,
                     uprobe_multi_links, wait_for, wedging_workload, NO_WEDGE)


def check_future_tree(runtime, snap, unmatched_max=0):
    crate = CRATE[runtime]
    want = runtime.removesuffix("-153")  # wl-tokio-153: tokio 1.53
    check(snap["runtime"] == want, "runtime %s, want %s" % (snap["runtime"], want))
    check(snap["events_lost"] == 0, "events lost: %d" % snap["events_lost"])
    check(snap["probes"]["dwarf"], "DWARF not used on a debug build")

    # task -> async fn -> async fn -> async fn -> async fn, with source lines
    # (idle or, on a loaded machine now and then, in a poll at the snapshot)
    ticker = one_task(snap, crate + "::ticker_task")
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
    check(snap["counters"]["unmatched_returns"] <= unmatched_max,
          "unmatched returns %d" % snap["counters"]["unmatched_returns"])


def check_wedged(runtime, snap, wedge_age_s):
    """wedge_age_s: a lower bound of how long the wedge had lasted when the
    snapshot was taken."""
    crate = CRATE[runtime]
    wedged = one_task(snap, crate + "::wedged_task", "running")
    low = (wedge_age_s - 0.3) * S
    check(wedged["inflight_ns"] >= low, "wedged in flight %d ns, want >= %d"
          % (wedged["inflight_ns"], low))
    loop = child(child(wedged, crate + "::wedged_task"), crate + "::wedged_loop")
    check(loop["inflight_ns"] >= low, "wedged_loop in flight %d" % loop["inflight_ns"])
    # past a second in one poll: the lint, and no other task has it
    if wedged["inflight_ns"] > S:
        check(wedged.get("warnings") == ["wedged"] and snap["warnings"]["wedged"] == 1,
              "wedged for %d ns: warnings %s, %s" % (wedged["inflight_ns"],
                                                    wedged.get("warnings"), snap["warnings"]))
    first = snap["tasks"][0]
    check(first["name"] == crate + "::wedged_task",
          "the wedged task is not first by longest poll: %s" % {
              k: first[k] for k in ("name", "state", "polls", "max_poll_ns", "inflight_ns",
                                    "unknown_polls")})



def test_runtime(runtime):
    """One snapshot: 3.2 s of normal running from the attach on, then 1.8 s
    of the wedge (cattop must be attached before the wedged poll begins to
    see its entry; tokio's other worker may stall behind it)."""
    with wedging_workload(runtime) as w:
        snap, wedge_age = snapshot_wedged(w, 3.2, 1.8, ["-t", "1ms"])
        check_future_tree(runtime, snap)
        check_wedged(runtime, snap, wedge_age)
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
            snap, _ = snapshot_wedged(w, 3.0, 2.0, ["-t", "1ms"])
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


def test_exclude():
    """--exclude leaves those futures unprobed, and only those."""
    with Workload("tokio", args=["--seconds", "120", *NO_WEDGE]) as w:
        snap = snapshot(w.pid, 2, ["--exclude", "wl_tokio::nested_*,*::SpinFuture*"])
        names = set()

        def walk(nodes):
            for n in nodes:
                names.add(n["name"])
                walk(n["children"])
        for t in snap["tasks"]:
            walk(t["futures"])
        check(not any("nested_" in n or "SpinFuture" in n for n in names),
              "excluded futures probed: %s" % sorted(names))
        check("wl_tokio::ticker_task" in names and "wl_tokio::spinner_task" in names,
              "too much excluded: %s" % sorted(names))


def test_launch_command():
    """cattop -- COMMAND traces from the start: the block_on root future too."""
    exe = binary("tokio")
    # no refresh before the command ends: its exit ends cattop, however
    # late a busy machine lets it come
    r = run_cattop(["-b", "-d", "60", "--snapshot", "-", "--", exe, "--seconds", "1"],
                   timeout=90)
    check(r.returncode == 0, "launch: exit %d %s" % (r.returncode, r.stderr.strip()))
    snap = parse_snapshot(r.stdout)
    roots = [t for t in snap["tasks"] if t["block_on"]]
    check(any(t["name"] == "wl_tokio::async_main" for t in roots),
          "no block_on root task: %s" % [t["name"] for t in roots])
    check(snap["target_exited"], "the command's exit was not noticed")
    ticker = one_task(snap, "wl_tokio::ticker_task")
    check(ticker["polls"] > 10, "ticker polls %d" % ticker["polls"])


def test_target_exit():
    """The target exits while traced: last table and snapshot, exit 0. It
    ends once cattop has shown a table with tasks, however long attaching
    took on a busy machine (exiting during the attach: test_placement)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "snap.json")
        with Workload("tokio", args=["--seconds", "60"]) as w:
            p = subprocess.Popen([harness.CATTOP, "-p", str(w.pid), "-b", "-d", "0.5",
                                  "--snapshot", out], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True)
            for line in p.stdout:  # a table with a task in it: traced
                if re.match(r"\s+\d+ (running|idle|done) ", line):
                    break
            w.proc.terminate()
            stderr = p.communicate(timeout=30)[1]
        check(p.returncode == 0, "exit %d: %s" % (p.returncode, stderr))
        check("process %d exited" % w.pid in stderr, "no exit message: %r" % stderr)
        with open(out) as f:
            snap = json.load(f)
        check(snap["target_exited"] and len(snap["tasks"]) > 0, "final snapshot empty")
        check(oct(os.stat(out).st_mode & 0o777) == "0o600", "snapshot mode not 0600")


def test_quit_fast_and_clean():
    """SIGINT detaches at once; no probe stays; the target runs on. What
    cattop does to quit is measured as its CPU time: the rest of the wall
    time is its waits for a CPU and the kernel's (closing a link waits for
    a grace period, which kernel threads starved by a busy machine drag out
    to seconds; nothing of cattop's own waits on the way out)."""
    with Workload("tokio", args=["--seconds", "120", *NO_WEDGE]) as w:
        p = harness.popen_cattop(["-p", str(w.pid), "-b", "-d", "1"], stdout=subprocess.DEVNULL,
                                 env=harness.timed_env())
        check(attached(w.pid), "no uprobe_multi links while attached")
        rc, _, err, took, own, cpu = stop_and_time(p, signal.SIGINT)
        check(rc == 0, "exit %s after SIGINT: %s" % (rc, err))
        check(cpu < 0.5, "quitting took %.2fs of CPU (%.2fs in all, %.2fs not waiting for a "
              "CPU)" % (cpu, took, own))
        check(not uprobe_multi_links(w.pid), "probes left behind")
        time.sleep(0.3)
        check(w.alive(), "target harmed")
        # -n N also ends it promptly: one refresh an interval after the
        # probes are in, then the final snapshot at exit
        r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", "0.5", "--snapshot", "-"])
        check(r.returncode == 0 and len(re.findall(r"^cattop - pid", r.stdout, re.M)) == 1,
              "-n 1 -d 0.5: exit %d, %r" % (r.returncode, r.stderr))
        snap = parse_snapshot(r.stdout)
        after_ready = (snap["elapsed_ns"] - snap["probes"]["ready_ns"]) / S
        check(0.5 <= after_ready < 1.5, "-n 1 -d 0.5: its snapshot came %.2fs after the probes "
              "were in" % after_ready)


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
        with Workload("tokio", exe=stripped, args=["--seconds", "120", *NO_WEDGE]) as w:
            fails(["-p", str(w.pid)], r"stripped .*strip = false")
        cfg = os.path.join(d, "bad.ini")
        with open(cfg, "w") as f:
            f.write("[cattop]\nthreshold = 1ms\nrefresh_speed = fast\n")
        fails(["-c", cfg, "-p", "1"], re.escape(cfg) + r":3: unknown key 'refresh_speed'")
        with open(cfg, "w") as f:
            f.write("[colors]\nslow = purple\n")
        fails(["-c", cfg, "-p", "1"], re.escape(cfg) + r":2: bad value 'purple' for 'slow'")
        with Workload("tokio", args=["--seconds", "120", *NO_WEDGE]) as w:
            os.chmod(d, 0o755)
            fails(["-p", str(w.pid)], r"CAP_BPF and CAP_PERFMON|not permitted",
                  preexec_fn=lambda: (os.setgid(65534), os.setuid(65534)))
            fails(["-p", str(w.pid), "--runtime", "glommio"], r"unknown runtime 'glommio'")
