"""Every live task of async-std and smol listed, moving or not (issue #14):
cattop walks async-executor's active-task slabs (async-task headers) from
the target's memory. wl-async-std/wl-smol --hung N park N tasks forever on
a channel recv and deadlock 2 on async mutexes, all on the runtime's global
executor, before they print the ready line: the first refresh must list
each of them, never polled since attach, with its type and await line."""
import os
import re

from harness import WORKLOADS, Workload, check, parse_snapshot, run_cattop

HUNG = 60


def lines(runtime, pattern):
    """Every "wl-<runtime>/src/main.rs:N" whose line matches pattern, in order."""
    path = "wl-%s/src/main.rs" % runtime
    with open(os.path.join(WORKLOADS, path)) as f:
        return ["%s:%d" % (path, n) for n, line in enumerate(f, 1) if re.search(pattern, line)]


def parked_at(task):
    stack = task.get("await_stack") or []
    return stack[-1]["awaiting"] if stack else None


def check_hung_async(runtime, profile="debug"):
    crate = "wl_" + runtime.replace("-", "_")
    # No wedge during the test: a spinning worker is not what is checked.
    args = ("--hung", str(HUNG), "--seconds", "60", "--wedge-after-ms", "600000")
    runtime_label = runtime
    runtime = "%s %s" % (runtime, profile) if profile != "debug" else runtime
    with Workload(runtime_label, profile=profile, args=args) as w:
        r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", "2", "-r", "0", "--snapshot", "-"])
        check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
        table, snap = r.stdout, parse_snapshot(r.stdout)
    walk = snap["task_walk"]
    check(walk["active"] and walk["runtimes"] >= 1 and walk["tasks"] >= HUNG + 2,
          "%s: task walk: %s" % (runtime, walk))

    def rows(name):
        return [t for t in snap["tasks"] if t.get("type") == crate + "::" + name]

    conns, a, b = rows("hung_recv_task"), rows("hung_deadlock_a"), rows("hung_deadlock_b")
    check(len(conns) == HUNG and len(a) == 1 and len(b) == 1,
          "%s: %d hung_recv_task + %d + %d deadlocked rows, want %d + 1 + 1"
          % (runtime, len(conns), len(a), len(b), HUNG))
    for t in conns + a + b:
        check(t["walked"] and t["polls"] == 0 and t["state"] == "idle"
              and t["idle_since_attach"] and t["idle_ns"] > 0,
              "%s: parked task not listed as walked, idle since attach: %s" % (runtime, t))
    recv, = lines(runtime_label, r"^\s*let msg = rx\.recv\(\)\.await")
    lock_a, lock_b = lines(runtime_label, r"^\s*let other = second\.lock\(\)\.await")
    wrong = sorted(set(str(parked_at(t)) for t in conns if parked_at(t) != recv))
    check(not wrong, "%s: hung_recv_task rows not parked at %s: %s" % (runtime, recv, wrong))
    check(parked_at(a[0]) == lock_a and parked_at(b[0]) == lock_b,
          "%s: deadlocked tasks parked at %s and %s, want %s and %s"
          % (runtime, parked_at(a[0]), parked_at(b[0]), lock_a, lock_b))
    # awaiting_lock (test_lints.py): the deadlocked tasks, on async-lock's
    # Mutex::lock (async-std's and smol's Mutex are its), not the receivers
    flagged = sorted(t["type"] for t in snap["tasks"] if "awaiting_lock" in t.get("warnings", []))
    details = [t.get("warning_details", {}).get("awaiting_lock", "") for t in a + b]
    check(flagged == [crate + "::hung_deadlock_a", crate + "::hung_deadlock_b"]
          and all(re.fullmatch(r"async_lock::Mutex::lock for \u2265[\d.]+s", d) for d in details),
          "%s: tasks awaiting_lock: %s (%s)" % (runtime, flagged, details))
    m = re.search(r"^Task lists: (\d+) live tasks in (\d+) runtimes?", table, re.M)
    check(m is not None and int(m.group(1)) >= HUNG + 2,
          "%s: batch table has no task-list line for >= %d tasks" % (runtime, HUNG + 2))
    trows = [l for l in table.splitlines() if (" %s::hung_recv_task" % crate) in l]
    check(len(trows) == HUNG and all(l.endswith("  @ " + recv) for l in trows),
          "%s: batch table: %d hung_recv_task rows (want %d @ %s): %s"
          % (runtime, len(trows), HUNG, recv, trows[:1]))
    return snap


def test_hung_async_std():
    snap = check_hung_async("async-std")
    # async-std spawns everything on async-global-executor's one executor:
    # the workload's own tasks are walked too, the sleeping wedged_task
    # (never polled since attach) included.
    wedged = [t for t in snap["tasks"] if t.get("type") == "wl_async_std::wedged_task"]
    check(len(wedged) == 1 and wedged[0]["walked"] and wedged[0]["polls"] == 0,
          "async-std: wedged_task (asleep) not walked: %s" % wedged)
    check(snap["task_walk"]["runtimes"] == 1, "async-std: %s" % snap["task_walk"])


def test_hung_smol():
    """smol: the --hung tasks are on smol::spawn's global executor (a
    static); the workload's own tasks on a leaked Executor, found through
    the tasks seen polling: its asleep wedged_task, never polled since
    attach, is listed too."""
    snap = check_hung_async("smol")
    wedged = [t for t in snap["tasks"] if t.get("type") == "wl_smol::wedged_task"]
    check(len(wedged) == 1 and wedged[0]["walked"] and wedged[0]["polls"] == 0,
          "smol: wedged_task (asleep on the leaked executor) not walked: %s" % wedged)
    check(snap["task_walk"]["runtimes"] == 2, "smol: two executors, got %s" % snap["task_walk"])


def test_hung_async_release_debuginfo():
    """Optimised builds with debug = 2 (types), async-std and smol: every
    parked task listed on the first refresh, walked, with its type. Their
    await lines are not read yet: the async fn's poll is inlined into
    async-task's run, so no future site carries its layout; the JSON says
    so for each (README: a known gap)."""
    for runtime in ("async-std", "smol"):
        crate = "wl_" + runtime.replace("-", "_")
        args = ("--hung", str(HUNG), "--seconds", "60", "--wedge-after-ms", "600000")
        with Workload(runtime, profile="release-debuginfo", args=args) as w:
            r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", "2", "--snapshot", "-"])
            check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
            snap = parse_snapshot(r.stdout)
        counts = {n: [t for t in snap["tasks"] if t.get("type") == crate + "::" + n]
                  for n in ("hung_recv_task", "hung_deadlock_a", "hung_deadlock_b")}
        check([len(v) for v in counts.values()] == [HUNG, 1, 1],
              "%s release-debuginfo: rows %s" % (runtime, {k: len(v) for k, v in counts.items()}))
        for t in sum(counts.values(), []):
            check(t["walked"] and t["polls"] == 0 and t["state"] == "idle"
                  and (parked_at(t) or "inlined" in (t.get("await_stack_unknown") or "")),
                  "%s release-debuginfo: %s" % (runtime, t))


def test_hung_async_release_says_why():
    """debug = 1 has no types: no task is walked, and cattop says what is missing."""
    with Workload("smol", profile="release", args=("--hung", "5", "--seconds", "60")) as w:
        r = run_cattop(["-p", str(w.pid), "-b", "-n", "1", "-d", "1", "--snapshot", "-"])
        check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
        walk = parse_snapshot(r.stdout)["task_walk"]
    check(not walk["active"] and "async_task::header::Header" in walk["status"]
          and "debug = 1" in walk["status"], "release: walk status %s" % walk)
    check("Task lists: not read: " in r.stdout, "release: the table does not say why")


TESTS = [test_hung_async_std, test_hung_smol, test_hung_async_release_debuginfo,
         test_hung_async_release_says_why]
