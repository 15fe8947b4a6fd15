"""Stack samples: cattop attached to a process that is already stuck finds
the poll that began before it (no probe ever saw its entry), and a slow poll
comes with the stack of what its thread was doing."""
import os
import tempfile
import time

from harness import (CRATE, Workload, check, child, snapshot, snapshot_wedged,
                     wedging_workload)
from test_recording import check_replay_matches, record, replay_snapshot

MS = 1_000_000


def frames_of(node):
    return (node.get("slow_poll_stack") or {}).get("frames", [])


def test_stuck_before_attach():
    """The wedge starts 0.3 s in; cattop attaches 1.2 s later, for 2 s."""
    for profile in ("debug", "release"):
        # stuck for the whole test, however long a busy machine makes it
        with Workload("tokio", profile, ["--seconds", "120", "--wedge-after-ms", "300",
                                         "--wedge-ms", "120000"]) as w:
            time.sleep(1.5)
            snap = snapshot(w.pid, 2)
            # tokio 1.24 can leave the other worker spinning too (its timer
            # registration waits on the wedged one): also a poll begun
            # before the attach, and as long in flight
            found = [t for t in snap["tasks"] if t.get("found_on_stack")]
            stuck = [t for t in found if t["name"] == CRATE["tokio"] + "::wedged_task"]
            check(len(stuck) == 1 and len(found) <= 2, "%s: tasks found on stacks: %s" % (
                profile, [(t["name"], t["state"]) for t in found]))
            check(all(t["state"] == "running" for t in found), "%s: found on a stack but "
                  "not running: %s" % (profile, [(t["name"], t["state"]) for t in found]))
            t = stuck[0]
            check(t["name"] == CRATE["tokio"] + "::wedged_task" and t["state"] == "running",
                  "%s: the stuck task is %s (%s)" % (profile, t["name"], t["state"]))
            check(t["inflight_ns"] >= 1900 * MS, "%s: in flight %d ns, want >= the 2 s "
                  "since attach" % (profile, t["inflight_ns"]))
            check(t in snap["tasks"][:len(found)], "%s: the stuck task is not first" % profile)
            check(any("wedged_loop" in f or "wedged_task" in f for f in frames_of(t)),
                  "%s: its stack does not show the wedged code: %s" % (profile, frames_of(t)))
            if profile == "debug":
                root = child(t, CRATE["tokio"] + "::wedged_task")
                loop = child(root, CRATE["tokio"] + "::wedged_loop")
                check(loop["inflight_ns"] >= 1900 * MS, "wedged_loop not in flight")
                check_stuck_replayed(w)
            check(w.alive(), "the target died")


def check_stuck_replayed(w):
    """A recording holds the polls found on stacks: its replay has the same
    tasks, with the same ids, as the live session."""
    with tempfile.TemporaryDirectory() as d:
        rec = os.path.join(d, "stuck.rec")
        live, _ = record(w.pid, rec, 2)
        check(any(t.get("found_on_stack") for t in live["tasks"]),
              "the recording session found no stuck poll")
        replayed, _ = replay_snapshot(rec)
        check_replay_matches(live, replayed)
        stuck = [t for t in replayed["tasks"] if t.get("found_on_stack")]
        check(len(stuck) >= 1 and stuck[0]["name"] == CRATE["tokio"] + "::wedged_task",
              "replay of the stuck poll: %s" % [(t["name"], t["state"]) for t in stuck])


def test_slow_poll_stack():
    """A wedge that starts after attach: its poll's stack names the loop,
    with the line it spins on."""
    with wedging_workload("tokio", wedge_ms=15000) as w:
        snap, _ = snapshot_wedged(w, 0.5, 2.5)
        wedged = snap["tasks"][0]
        check(wedged["name"] == CRATE["tokio"] + "::wedged_task" and
              not wedged.get("found_on_stack"), "first task %s" % wedged["name"])
        loop = child(child(wedged, CRATE["tokio"] + "::wedged_task"),
                     CRATE["tokio"] + "::wedged_loop")
        frames = frames_of(loop)
        check(any(f.startswith("wl_tokio::wedged_loop") and "wl-tokio/src/main.rs:" in f
                  for f in frames), "wedged_loop's stack: %s" % frames)
        check(loop["slow_poll_stack"]["sampled_after_ns"] > 0, "sample before the poll began")


TESTS = [test_stuck_before_attach, test_slow_poll_stack]
