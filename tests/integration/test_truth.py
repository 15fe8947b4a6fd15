"""What a user reads, on programs cattop has no built-in profile for (issue
#15): futures-rs's own executors (the CAT paper's ThreadPool, LocalPool and
block_on), a program on no known runtime, and source lines where `async fn`
is written."""
import os
import subprocess
import tempfile

from harness import (MS, CheckFailed, Workload, check, child, run_cattop, parse_snapshot,
                     snapshot, source_line, tasks_named)

CRATE = "wl_futures"
HERE = os.path.dirname(os.path.abspath(__file__))


def root_tasks(snap, name):
    """Tasks whose root future is name (pool tasks are roots of their thread)."""
    return [t for t in tasks_named(snap, name) if t["futures"]
            and t["futures"][0]["name"] == name]


def test_futures_executors():
    """ThreadPool, LocalPool and block_on: traced by their profile, each
    outermost poll a root, nesting, slow polls and `async fn` lines right."""
    with Workload("futures", args=["--seconds", "30"]) as w:
        snap = snapshot(w.pid, 3)
    check(snap["runtime"] == "futures-threadpool" and "runtime_assumed" not in snap,
          "runtime %s" % snap["runtime"])
    check(snap["events_lost"] == 0, "events lost: %d" % snap["events_lost"])
    for task, work, ms in (("pool_task", "pool_work", 2), ("local_task", "local_work", 1)):
        name = "%s::%s" % (CRATE, task)
        found = root_tasks(snap, name)
        check(found, "no task %s; tasks: %s" % (name, sorted({t["name"] for t in snap["tasks"]})))
        root = found[0]["futures"][0]
        check(root["location"] == source_line("futures", r"async fn %s\(" % task),
              "%s at %s" % (task, root["location"]))
        polls = sum(t["futures"][0]["polls"] for t in found)
        inner = [child(t["futures"][0], "%s::%s" % (CRATE, work)) for t in found
                 if t["futures"][0]["children"]]
        check(inner and all(f["kind"] == "async_fn" for f in inner), "%s: no %s" % (task, work))
        # every poll of the work future sleeps ms: all slow, none shorter
        check(max(f["max_poll_ns"] for f in inner) >= ms * MS
              and sum(f["slow_polls"] for f in inner) == sum(f["polls"] for f in inner),
              "%s: %s" % (work, [(f["polls"], f["slow_polls"], f["max_poll_ns"]) for f in inner]))
        check(polls >= 20 and all(t["block_on"] for t in found),
              "%s: %d polls, block_on %s" % (task, polls, [t["block_on"] for t in found]))
    # async_main's `{` is three lines below `async fn async_main(`: the line
    # shown is the one a user searches for
    main = root_tasks(snap, CRATE + "::async_main")
    check(main and main[0]["futures"][0]["location"]
          == source_line("futures", r"async fn async_main\("),
          "async_main at %s" % (main and main[0]["futures"][0]["location"]))


def build_no_runtime(tmp):
    exe = os.path.join(tmp, "no_runtime")
    rustc = os.path.expanduser("~/.cargo/bin/rustc")
    r = subprocess.run([rustc if os.path.exists(rustc) else "rustc", "--edition=2021", "-g",
                        "-o", exe, os.path.join(HERE, "fixtures", "no_runtime.rs")],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        raise CheckFailed("rustc: %s" % r.stderr.strip())
    return exe


def test_no_known_runtime():
    """No runtime cattop knows: traced anyway, and it says what it assumed."""
    with tempfile.TemporaryDirectory() as tmp:
        exe = build_no_runtime(tmp)
        with Workload("none", exe=exe, args=["30"]) as w:
            r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", "2", "--snapshot", "-"])
    check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
    check("no known async runtime" in r.stderr and "assuming runtime 'any'" in r.stderr,
          "no word of the assumed runtime: %r" % r.stderr)
    snap = parse_snapshot(r.stdout)
    check(snap["runtime"] == "any" and snap.get("runtime_assumed") is True,
          "runtime %s assumed %s" % (snap["runtime"], snap.get("runtime_assumed")))
    main = root_tasks(snap, "no_runtime::own_main")
    check(len(main) == 1 and main[0]["block_on"], "own_main tasks: %s" % main)
    step = child(main[0]["futures"][0], "no_runtime::step")
    check(step["polls"] >= 50 and step["max_poll_ns"] >= MS,
          "step: %d polls, longest %d" % (step["polls"], step["max_poll_ns"]))


TESTS = [test_futures_executors, test_no_known_runtime]
