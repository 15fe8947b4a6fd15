"""Wakes and scheduled time (issue #16): wl-tokio, wl-async-std and wl-smol
--sched-spin-ms run, on a one-thread runtime (executor) of their own, a
task that wakes sched_woken_task and then spins SPIN ms in the same poll,
so every wake of that task waits at least SPIN ms for its poll; a task that
wakes itself inside its poll; and (tokio) one that calls tokio's yield_now
(a wake tokio defers until after the poll). Truth comes from the
workload's construction, not from timing."""
from harness import CRATE, MS, S, Workload, check, one_task, snapshot_when_polled

SPIN_MS = 10


def sched_snapshot(runtime, profile):
    with Workload(runtime, profile, args=["--seconds", "300", "--sched-spin-ms", str(SPIN_MS),
                                          "--wedge-after-ms", "1000000"]) as w:
        # parked_task polled twice: the wake before its second poll came
        # after the attach (its first poll seen may have been woken before).
        snap = snapshot_when_polled(w.pid, CRATE[runtime] + "::sched::sched_woken_task", 25,
                                    also={CRATE[runtime] + "::parked_task": 2})
        check(w.alive(), "the target died")
    if runtime.startswith("tokio"):
        check(snap["probes"]["task_wake"] == 2,
              "tokio's wake_by_val and wake_by_ref not probed: %s" % snap["probes"])
    else:
        # async-task's RawTask::wake and wake_by_ref, one instance per task
        # type (identical ones folded into one in release builds).
        check(snap["probes"]["task_wake"] >= 2,
              "async-task's wake and wake_by_ref not probed: %s" % snap["probes"])
    return snap


def check_woken(snap, runtime, profile):
    a = one_task(snap, CRATE[runtime] + "::sched::sched_woken_task")
    what = "%s %s woken task: %s" % (runtime, profile, {k: a.get(k) for k in (
        "polls", "wakes", "self_wakes", "scheduled_polls", "scheduled_ns",
        "max_scheduled_ns", "scheduled_hist")})
    check(a["scheduled_polls"] >= 20, "too few timed wakes: " + what)
    # Every wake came while the only worker spun SPIN_MS of CPU time: no
    # delay is shorter (the lowest bucket holds [2^23 ns, 2^24 ns) for 10 ms).
    lowest = min(lo for lo, _ in a["scheduled_hist"])
    check(lowest >= (1 << 23), "a wake waited less than the spin: " + what)
    check(SPIN_MS * MS <= a["max_scheduled_ns"] < 10 * S, "max scheduled delay: " + what)
    check(a["scheduled_ns"] >= a["scheduled_polls"] * SPIN_MS * MS, "total scheduled: " + what)
    check(sum(n for _, n in a["scheduled_hist"]) == a["scheduled_polls"],
          "histogram does not count every timed wake: " + what)
    # One wake per poll: the first poll seen may have been woken before the
    # attach, the last wake may still wait for its poll. (async-task's wake
    # calls its wake_by_ref in debug builds: still one wake.)
    check(abs(a["wakes"] - a["polls"]) <= 2, "wakes != polls: " + what)
    check(a["self_wakes"] == 0, "woken by another task, counted as self: " + what)
    return a


def check_self_wakes(snap, runtime, profile, task):
    name = CRATE[runtime] + "::sched::" + task
    t = one_task(snap, name)
    what = "%s %s: polls %d wakes %d self %d" % (profile, name, t["polls"], t["wakes"],
                                                 t["self_wakes"])
    # A loop of [wake itself, poll again, sleep]: every other wake is its own.
    check(t["polls"] >= 20 and t["self_wakes"] <= t["wakes"], what)
    check(t["self_wakes"] >= 0.4 * t["polls"], "too few self-wakes: " + what)


def check_other_executor(snap, runtime, profile):
    """parked_task runs on the 2-worker runtime (async-task: another RawTask
    instance than the sched executor's tasks): its timer's wakes are
    counted and timed too. How long they wait depends on the machine's load
    (the 2 workers share it with the blocking and spinning tasks, and the
    machine with whatever else runs; 160 ms was seen at load 6): not
    asserted."""
    t = one_task(snap, CRATE[runtime] + "::parked_task")
    what = "%s %s parked_task: %s" % (runtime, profile, {k: t.get(k) for k in (
        "polls", "wakes", "self_wakes", "scheduled_polls", "scheduled_hist")})
    # polled twice since the attach (sched_snapshot): woken once at least.
    check(t["wakes"] >= 1 and 1 <= t["scheduled_polls"] <= t["wakes"], what)
    check(abs(t["wakes"] - t["polls"]) <= 2 and t["self_wakes"] == 0, what)
    check(sum(n for _, n in t["scheduled_hist"]) == t["scheduled_polls"], what)


def check_sched(runtime, profile):
    snap = sched_snapshot(runtime, profile)
    check_woken(snap, runtime, profile)
    check_self_wakes(snap, runtime, profile, "sched_self_wake_task")
    # tokio defers yield_now's wake until after the poll: a wake from its
    # Defer::wake is the task's own. Optimised builds inline Defer::wake
    # into the scheduler (told by DWARF); a debug build calls the waker
    # through std's out-of-line Waker::wake, which hides who called it:
    # those wakes are not told apart (README).
    if profile != "debug" and runtime.startswith("tokio"):
        check_self_wakes(snap, runtime, profile, "sched_yield_task")
    check_other_executor(snap, runtime, profile)


def test_sched_tokio_debug():
    check_sched("tokio", "debug")


def test_sched_tokio_release():
    check_sched("tokio", "release")


def test_sched_tokio_153_debug():
    check_sched("tokio-153", "debug")


def test_sched_tokio_153_release():
    check_sched("tokio-153", "release")


def test_sched_async_std_debug():
    check_sched("async-std", "debug")


def test_sched_async_std_release():
    check_sched("async-std", "release")


def test_sched_smol_debug():
    check_sched("smol", "debug")


def test_sched_smol_release():
    check_sched("smol", "release")


TESTS = [test_sched_tokio_debug, test_sched_tokio_release, test_sched_tokio_153_debug,
         test_sched_tokio_153_release, test_sched_async_std_debug, test_sched_async_std_release,
         test_sched_smol_debug, test_sched_smol_release]
