"""Duty-cycled exact tracing (--duty PCT, issue #17): the probes are in for
PCT % of every second and out for the rest. What it must show: the slow
future (SpinFuture, 3 ms a poll) within 3 windows; no unmatched return, no
lost event, no unknown poll invented at a window's edge; the target alive;
the probes really out between windows; the share of time traced close to
the one asked for, said in the JSON; far fewer polls counted than a full
run sees in the same time."""
import re
import signal
import tempfile
import threading
import time

import harness
from harness import (CRATE, MS, NO_WEDGE, S, Tmux, Workload, check, child, one_task,
                     parse_snapshot, popen_cattop, run_cattop, table_rows, uprobe_multi_links,
                     wait_for, wedging_workload)


def spinner_slow(line, name):
    """Whether a batch table row is name's with a slow poll counted."""
    f = line.split()
    # ID STATE POLLS BUSY LONGEST INFLIGHT SLOW IDLE SCHED NAME [@ FILE:LINE]
    return len(f) >= 10 and f[9] == name and f[6].isdigit() and int(f[6]) >= 1


def run_until(pid, name, extra, timeout=60):
    """Batch tables every 0.2 s with --duty 10 until name's row shows a slow
    poll (or timeout); then SIGINT: the final snapshot."""
    snap, seen = harness.snapshot_when_seen(
        ["-p", str(pid), "-b", "-d", "0.2", "-r", "0", "--snapshot", "-", "--duty", "10", "-t",
         "1ms", *extra], lambda line: spinner_slow(line, name), timeout)
    check(seen, "no slow poll of %s shown in %d s of --duty 10" % (name, timeout))
    return snap


def check_clean(snap):
    c = snap["counters"]
    check(snap["events_lost"] == 0, "events lost: %d" % snap["events_lost"])
    check(c["unmatched_returns"] == 0, "unmatched returns %d" % c["unmatched_returns"])
    check(c["abandoned_frames"] == 0, "abandoned frames %d (a window's edge counted as a poll)"
          % c["abandoned_frames"])
    # a poll found on a stack (a whole window without a probe hit: a wedge,
    # or a worker starved that long) ends unseen: unknown, and said so
    unknown = [(t["name"], t["unknown_polls"]) for t in snap["tasks"]
               if t["unknown_polls"] and not t.get("found_on_stack")]
    check(not unknown, "unknown polls invented at windows' edges: %s" % unknown)


def check_found_slow(runtime):
    crate = CRATE[runtime]
    with Workload(runtime, args=["--seconds", "120", *NO_WEDGE]) as w:
        snap = run_until(w.pid, crate + "::spinner_task", [])
        check(snap["mode"] == "duty" and snap["duty_pct"] == 10,
              "mode %s duty_pct %s" % (snap["mode"], snap.get("duty_pct")))
        d = snap["duty"]
        started = d["windows"] + (1 if d["probes_in"] else 0)  # closing: counted
        check(1 <= started <= 3, "the slow future took %d windows to find" % started)
        check(d["counts"] == "sampled", "counts %r" % d["counts"])
        spin = child(child(one_task(snap, crate + "::spinner_task"), crate + "::spinner_task"),
                     crate + "::SpinFuture")
        check(spin["max_poll_ns"] >= 3 * MS and spin["slow_polls"] >= 1,
              "SpinFuture longest %d slow %d" % (spin["max_poll_ns"], spin["slow_polls"]))
        check(spin["slow_polls"] >= spin["polls"] - 1, "SpinFuture slow %d of %d polls"
              % (spin["slow_polls"], spin["polls"]))
        for name in ("fast_task", "ticker_task"):
            t = one_task(snap, crate + "::" + name)
            check(t["slow_polls"] * 20 <= t["polls"], "%s slow %d of %d polls"
                  % (name, t["slow_polls"], t["polls"]))
        check_clean(snap)
        check(w.alive(), "the target died")


class LinkWatcher:
    """The fewest and the most uprobe_multi links seen on pid while cattop
    runs: the probes' links come and go with the windows (the panic
    runtime's one stays)."""

    def __init__(self, pid):
        self.pid, self.counts = pid, []
        self.done = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.done.is_set():
            self.counts.append(len(uprobe_multi_links(self.pid)))
            self.done.wait(0.03)

    def stop(self):
        self.done.set()
        self.thread.join(30)


def batch_run(pid, seconds, extra=()):
    """A snapshot after `seconds` one-second tables (-n), cattop attached."""
    r = run_cattop(["-p", str(pid), "-b", "-d", "1", "-n", str(seconds), "-r", "0",
                    "--snapshot", "-", "-t", "1ms", *extra], timeout=120)
    check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
    return parse_snapshot(r.stdout), r.stdout


def total_polls(snap):
    return sum(t["polls"] for t in snap["tasks"])


def test_duty_tokio():
    """The slow future within 3 windows; then 8 s at 10 % against 8 s of
    full tracing on the same workload."""
    check_found_slow("tokio")
    crate = CRATE["tokio"]
    with Workload("tokio", args=["--seconds", "120", *NO_WEDGE]) as w:
        links = LinkWatcher(w.pid)
        try:
            duty, out = batch_run(w.pid, 8, ["--duty", "10"])
        finally:
            links.stop()
        full, _ = batch_run(w.pid, 8)
        check(w.alive(), "the target died")
    d = duty["duty"]
    check(re.search(r"^duty 10%: probes on 100 ms of every 1 s, traced [\d.]+% of \d+ s; "
                    r"counts sampled", out, re.M) is not None,
          "no duty line in the batch header:\n%s" % out[:600])
    check(d["window_ns"] == 100 * MS and d["windows"] >= 5,
          "window %d ns, %d windows in 8 s" % (d["window_ns"], d["windows"]))
    # 10 % asked; a loaded machine makes windows close late (the first one
    # waits for cattop's start to finish): loose bounds.
    check(5 <= d["traced_pct"] <= 30, "traced %.1f%% of the time" % d["traced_pct"])
    check(all(r["traced_ns"] >= 90 * MS for r in d["recent"][1:]),
          "a window shorter than asked: %s" % [r["traced_ns"] for r in d["recent"]])
    check_clean(duty)
    check(min(links.counts) <= 1 and max(links.counts) >= 3,
          "the probes' links did not come and go: %d to %d links on the target"
          % (min(links.counts), max(links.counts)))
    polls, all_polls = total_polls(duty), total_polls(full)
    check(polls * 2.5 <= all_polls, "%d polls counted at 10 %%, %d by full tracing"
          % (polls, all_polls))
    # what was counted is exact: the spinner's polls are its 3 ms polls
    spin = child(child(one_task(duty, crate + "::spinner_task"), crate + "::spinner_task"),
                 crate + "::SpinFuture")
    check(spin["polls"] >= 5 and spin["slow_polls"] >= spin["polls"] - 1,
          "SpinFuture %d polls, %d slow" % (spin["polls"], spin["slow_polls"]))


def test_duty_wedged():
    """A poll that never returns spans every window's edge: no probe sees
    it, but its worker hits no probe for whole windows, so the stack watch
    finds it on the stack (looked for at every refresh), in flight since
    the start of the first window it missed."""
    crate = CRATE["tokio"]
    with wedging_workload("tokio") as w:
        p = popen_cattop(["-p", str(w.pid), "-b", "-d", "0.5", "--snapshot", "-",
                          "--duty", "10", "-t", "1ms"])
        try:
            # the first window lasts until cattop's start is done: seen here
            check(wait_for(lambda: len(uprobe_multi_links(w.pid)) >= 2, 60, 0.02),
                  "cattop did not attach")
            time.sleep(1.0)
            w.wedge()
            # two windows wholly inside the wedge, however slow the machine
            time.sleep(3.0)
            stopped = time.monotonic()
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=60)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        check(p.returncode == 0, "cattop exited %d: %s" % (p.returncode, err.strip()))
        snap = parse_snapshot(out)
        wedged = one_task(snap, crate + "::wedged_task")
        check(wedged["state"] == "running" and wedged.get("found_on_stack"),
              "the wedged task is %s, found on stack %s" % (wedged["state"],
                                                           wedged.get("found_on_stack")))
        age = stopped - w.wedged_at
        # Since the first window its worker missed: a lower bound, unless the
        # worker missed a window before the wedge too and polled again only
        # between windows (unseen; seen once in 5 runs at load 14): at most
        # the session's length then.
        check(0.5 * S <= wedged["inflight_ns"] <= snap["elapsed_ns"],
              "wedged in flight %d ns, the wedge %.2f s old, the session %d ns"
              % (wedged["inflight_ns"], age, snap["elapsed_ns"]))
        check(snap["tasks"][0]["name"] == crate + "::wedged_task",
              "the wedged task is not first: %s" % [
                  {k: t.get(k) for k in ("name", "state", "max_poll_ns", "inflight_ns",
                                         "found_on_stack", "polls")}
                  for t in snap["tasks"][:3]])
        check(w.alive(), "the target died")


def test_duty_tui_hold():
    """Opening a task in the live view holds the window open (the probes
    stay in, continuously, while it is looked at); leaving it lets the cycle
    go on."""
    with Workload("tokio", args=["--seconds", "120", *NO_WEDGE]) as w, \
            tempfile.TemporaryDirectory() as d:
        ui = Tmux("%s -p %d --duty 10 -d 0.5" % (harness.CATTOP, w.pid), d, width=140)
        try:
            scr = ui.wait_screen(lambda t: "DUTY 10%" in t and "wl_tokio::spinner_task" in t,
                                 60)
            check("DUTY 10%: traced" in scr and "counts sampled" in scr,
                  "no duty in the header: %s" % scr)
            ui.keys("/", "nner", "Enter")
            scr = ui.wait_screen(lambda t: [n for _, n in table_rows(t)]
                                 == ["wl_tokio::spinner_task"])
            ui.keys("Enter", wait=0)
            scr = ui.wait_screen(lambda t: "(held)" in t)
            check("(held)" in scr, "opening a task did not hold the window: %s" % scr)
            counts = []
            end = time.monotonic() + 2.0  # two periods
            while time.monotonic() < end:
                counts.append(len(uprobe_multi_links(w.pid)))
            check(min(counts) >= 3, "the probes went out while a task was open: %s links"
                  % sorted(set(counts)))
            ui.keys("Escape", wait=0)
            scr = ui.wait_screen(lambda t: "DUTY 10%" in t and "(held)" not in t)
            check("(held)" not in scr, "still held after leaving the task: %s" % scr)
            check(wait_for(lambda: len(uprobe_multi_links(w.pid)) <= 1, 10, 0.02),
                  "the cycle did not go on after leaving the task")
            ui.keys("q", wait=0)
            scr = ui.wait_screen(lambda t: "EXIT=" in t)
            check("EXIT=0" in scr, "q: %s" % scr)
            check(w.alive(), "the target died")
        finally:
            ui.close()


def test_duty_async_std():
    check_found_slow("async-std")


def test_duty_smol():
    check_found_slow("smol")


def test_duty_bad_input():
    def fails(args, pattern):
        r = run_cattop(args)
        lines = r.stderr.strip().splitlines()
        check(r.returncode != 0, "%s: exit 0" % args)
        check(len(lines) == 1 and re.search(pattern, lines[0]) is not None,
              "%s: stderr %r !~ %r" % (args, r.stderr, pattern))

    for bad in ("0", "150", "abc", "101", "-5", ""):
        fails(["-p", "1", "--duty", bad], r"bad duty '%s' \(a percentage from 1 to 100" % bad)
    fails(["-p", "1", "--duty", "10", "--light"], r"--duty .* --light .*not both")
    fails(["--light", "-p", "1", "--duty", "10"], r"--duty .* --light .*not both")
    fails(["record", "-o", "/tmp/x.rec", "-p", "1", "--duty", "10"],
          r"duty-cycled trace has gaps")
    fails(["-p", "1", "--duty"], r"option .--duty. needs a value")


TESTS = [test_duty_bad_input, test_duty_tokio, test_duty_wedged, test_duty_tui_hold,
         test_duty_async_std, test_duty_smol]
