"""Panics under cattop, whatever happens to cattop: the target must never
die and never be held. wl-faults panics as fast as it can (tokio's
catch, a hand-written CatchUnwind future, and 4 std threads of their own
panicking at once), and cattop is traced normally, suspended (SIGSTOP,
SIGTSTP), killed with SIGKILL at random instants, run with its ring buffer
overflowing, in --tasks-only and --focus, and with a CPU hog on every core.

Each case checks: the target is alive and makes progress; it was never
seen stopped (its state sampled every ~2 ms from here); and its stall meter
(a real-time thread sleeping 1 ms in a loop, so that load does not delay
it) never overshot 50 ms. The cases together see >= 10,000 panics."""
import os
import random
import re
import signal
import subprocess
import tempfile
import threading
import time

import harness
from harness import check
from test_faults import Faults, finish, links_of, popen_cattop, wait_links_gone

STALL_LIMIT_US = 50_000
PANICS_WANTED = 10_000


class StateSampler:
    """Samples the target's state ('T' = stopped) until stopped."""

    def __init__(self, pid):
        self.path = "/proc/%d/stat" % pid
        self.samples = self.stopped = 0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            try:
                with open(self.path) as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                return
            self.samples += 1
            self.stopped += state in ("T", "t")
            time.sleep(0.002)

    def stop(self):
        self.done.set()
        self.thread.join()


def meter(w):
    """(panics, stall_max_us, stalls) from the target's last progress line."""
    for _, line in reversed(w.lines):
        m = re.match(r"progress n=(\d+) .*stall_max_us=(\d+) stalls=(\d+)", line)
        if m:
            return tuple(int(x) for x in m.groups())
    return (0, 0, 0)


def wait_attached(w, p, timeout=30.0):
    """Until cattop's probes are on the target (or cattop has exited)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and p.poll() is None and not links_of(w.pid):
        time.sleep(0.02)
    return p.poll() is None and bool(links_of(w.pid))


def hogs(n):
    return [subprocess.Popen(["sh", "-c", "while :; do :; done"]) for _ in range(n)]


class Totals:
    def __init__(self):
        self.cases = self.panics = self.deaths = self.stopped = self.stalls = 0
        self.stall_max_us = 0

    def line(self):
        return ("panic stress: %d cases, %d panics, %d target deaths, %d samples stopped, "
                "%d stalls > 50 ms, longest stall %.1f ms"
                % (self.cases, self.panics, self.deaths, self.stopped, self.stalls,
                   self.stall_max_us / 1000))


def run_case(totals, what, body, extra_faults=()):
    """Runs body(w) against a fresh panicking target; checks it lived,
    was never stopped, never stalled."""
    with Faults("panic", "--seconds", 60, "--panic-every-ms", 0, "--panic-threads", 4,
                *extra_faults) as w:
        sampler = StateSampler(w.pid)
        time.sleep(0.3)
        n0 = meter(w)[0]
        try:
            body(w)
        finally:
            time.sleep(0.5)  # a stop left behind would show by now
            sampler.stop()
        alive = w.alive()
        n1, stall_max, stalls = meter(w)
        totals.cases += 1
        totals.panics += n1 - n0
        totals.deaths += not alive
        totals.stopped += sampler.stopped
        totals.stalls += stalls
        totals.stall_max_us = max(totals.stall_max_us, stall_max)
        print("  %-26s panics %6d  stopped %d/%d samples  longest stall %.1f ms"
              % (what, n1 - n0, sampler.stopped, sampler.samples, stall_max / 1000), flush=True)
        check(alive, "%s: the target died (exit %s)" % (what, w.proc.poll()))
        check(sampler.stopped == 0, "%s: the target was seen stopped %d times"
              % (what, sampler.stopped))
        check(stalls == 0 and stall_max < STALL_LIMIT_US,
              "%s: the target stalled %d times, longest %d us" % (what, stalls, stall_max))
        check(n1 - n0 > 100, "%s: only %d panics" % (what, n1 - n0))
        w.check_progressing(what)
        check(not wait_links_gone(w.pid, timeout=5.0), "%s: probes left behind" % what)


def traced_for(seconds, *args):
    def body(w):
        p = popen_cattop(["-p", str(w.pid), "-b", "-d", "0.5", "-r", "3", *args])
        check(wait_attached(w, p), "cattop did not attach")
        time.sleep(seconds)
        p.send_signal(signal.SIGINT)
        rc, _, err = finish(p)
        check(rc == 0, "cattop exit %d: %s" % (rc, err[-300:]))
    return body


def suspended(sig, seconds):
    """cattop stopped by sig (SIGSTOP, or SIGTSTP as Ctrl-Z sends) while
    the target panics on, then continued and quit."""
    def body(w):
        p = popen_cattop(["-p", str(w.pid), "-b", "-d", "0.5", "-r", "3"])
        check(wait_attached(w, p), "cattop did not attach")
        time.sleep(0.5)
        p.send_signal(sig)
        time.sleep(seconds)
        p.send_signal(signal.SIGCONT)
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        rc, _, err = finish(p)
        check(rc == 0, "cattop exit %d after %s: %s" % (rc, sig.name, err[-300:]))
    return body


def killed_at_random(rounds):
    def body(w):
        rng = random.Random(12)
        for _ in range(rounds):
            p = popen_cattop(["-p", str(w.pid), "-b", "-d", "0.2", "-r", "1"])
            check(wait_attached(w, p), "cattop did not attach")
            time.sleep(rng.uniform(0.0, 0.6))
            p.kill()
            p.communicate()
    return body


RING_EVENTS = (1 << 20) // 56 + 1000


def ring_overflowing(w):
    """A 1 MiB ring and cattop stopped: events are lost by the million."""
    with tempfile.NamedTemporaryFile("w", suffix=".ini") as cfg:
        cfg.write("[cattop]\nringbuf_mb = 1\n")
        cfg.flush()
        p = popen_cattop(["-p", str(w.pid), "-b", "-d", "0.5", "-r", "1", "-c", cfg.name,
                          "--snapshot", "-"])
        check(wait_attached(w, p), "cattop did not attach")
        p.send_signal(signal.SIGSTOP)
        # Stopped until the target has panicked more times than the ring
        # holds events (each panic is at least its unwind event: 1 MiB of
        # 56-byte events is ~18,700), however slowly a loaded machine runs
        # it; 30 s at most.
        n0 = meter(w)[0]
        harness.wait_for(lambda: meter(w)[0] - n0 >= RING_EVENTS, 30)
        during = meter(w)[0] - n0
        p.send_signal(signal.SIGCONT)
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        rc, out, err = finish(p)
        check(rc == 0, "cattop exit %d: %s" % (rc, err[-300:]))
        check(during >= RING_EVENTS, "only %d panics in 30 s with cattop stopped" % during)
        lost = re.search(r'"events_lost": (\d+)', out)
        gaps = re.search(r'"gaps": (\d+)', out)
        check((lost and int(lost.group(1)) > 0) or (gaps and int(gaps.group(1)) > 0),
              "the ring never overflowed (events_lost %s, gaps %s) in %d panics"
              % (lost and lost.group(1), gaps and gaps.group(1), during))


def test_panic_stress():
    totals = Totals()
    run_case(totals, "traced", traced_for(3.0))
    run_case(totals, "SIGSTOP 5 s", suspended(signal.SIGSTOP, 5.0))
    run_case(totals, "SIGTSTP 3 s (Ctrl-Z)", suspended(signal.SIGTSTP, 3.0))
    run_case(totals, "SIGKILL x8", killed_at_random(8))
    run_case(totals, "ring overflowing", ring_overflowing)
    run_case(totals, "--tasks-only", traced_for(2.0, "--tasks-only"))
    run_case(totals, "--focus", traced_for(2.0, "--focus", "*::panic_outer"))
    load = hogs(os.cpu_count() or 2)
    try:
        run_case(totals, "CPU hog on every core", traced_for(3.0))
        run_case(totals, "hogs + SIGKILL x4", killed_at_random(4))
    finally:
        for h in load:
            h.kill()
            h.wait()
    print("  " + totals.line(), flush=True)
    check(totals.panics >= PANICS_WANTED, "only %d panics in all" % totals.panics)
    check(totals.deaths == 0 and totals.stopped == 0 and totals.stalls == 0, totals.line())


TESTS = [test_panic_stress]
