"""cattop record / replay / export: a recording of a workload with known
behaviour replays to the numbers the live session reported, exports to a
Chrome trace whose spans nest and add up to the snapshot's totals, to folded
stacks and to a self-contained HTML page; damaged files give one-line errors."""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import tempfile
import time

import harness
from harness import (MS, S, Tmux, check, child, one_task, run_cattop, wedging_workload)
from test_core import check_future_tree

CRATE = "wl_tokio"


def record(pid, path, seconds, extra=(), wedge=None):
    """cattop record for `seconds`: its live snapshot and stderr. wedge =
    (workload, normal_s, wedged_s): instead, normal_s of that
    wedging_workload's normal running once cattop is attached, then
    wedged_s of its wedge, then Ctrl-C."""
    live = path + ".live.json"
    duration = [] if wedge else ["-d", str(seconds)]
    p = harness.popen_cattop(["record", "-p", str(pid), "-o", path, *duration, "-t", "1ms",
                              "--snapshot", live, *extra])
    try:
        if wedge:
            check(harness.attached(pid), "cattop record did not attach")
            time.sleep(wedge[1])
            wedge[0].wedge()
            time.sleep(wedge[2])
            p.send_signal(signal.SIGINT)
        _, err = p.communicate(timeout=seconds + 60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    check(p.returncode == 0, "record exited %d: %s" % (p.returncode, err.strip()))
    with open(live) as f:
        return json.load(f), err


def replay_snapshot(path, extra=()):
    out = path + ".replay.json"
    r = run_cattop(["replay", path, "-b", "-d", "1", "--snapshot", out, *extra])
    check(r.returncode == 0, "replay exited %d: %s" % (r.returncode, r.stderr.strip()))
    with open(out) as f:
        return json.load(f), r


def export(path, fmt):
    out = "%s.%s" % (path, fmt)
    r = run_cattop(["export", path, "--format", fmt, "-o", out])
    check(r.returncode == 0, "export %s exited %d: %s" % (fmt, r.returncode, r.stderr.strip()))
    with open(out) as f:
        return f.read()


STATS = ("polls", "busy_ns", "max_poll_ns", "slow_polls", "unknown_polls")


def same_tree(a, b, where):
    """Replay must give exactly the live numbers; only in-flight ages differ by
    the moment each snapshot was taken."""
    for k in STATS + ("name",):
        check(a[k] == b[k], "%s %s: live %s, replay %s" % (where, k, a[k], b[k]))
    check(abs(a["inflight_ns"] - b["inflight_ns"]) < 200 * MS,
          "%s in flight: live %d, replay %d" % (where, a["inflight_ns"], b["inflight_ns"]))
    ka, kb = a.get("children", a.get("futures")), b.get("children", b.get("futures"))
    check(len(ka) == len(kb), "%s: %d vs %d children" % (where, len(ka), len(kb)))
    for x, y in zip(ka, kb):
        same_tree(x, y, where + " > " + x["name"])


def check_replay_matches(live, replayed):
    check(replayed["counters"]["events"] == live["counters"]["events"],
          "events: live %d, replay %d" % (live["counters"]["events"],
                                          replayed["counters"]["events"]))
    lt = {t["id"]: t for t in live["tasks"]}
    rt = {t["id"]: t for t in replayed["tasks"]}
    check(set(lt) == set(rt), "task ids differ: %s" % (set(lt) ^ set(rt)))
    for i, t in lt.items():
        check(t["state"] == rt[i]["state"], "task %d state" % i)
        same_tree(t, rt[i], "task %d %s" % (i, t["name"]))


def spans_of(trace):
    return [e for e in trace["traceEvents"] if e["ph"] == "X"]


def ns(us):
    """ts/dur are microseconds with three decimals: exact nanoseconds."""
    return int(round(us * 1000))


def check_nesting(spans):
    """Per task track, any two polls are disjoint or one contains the other."""
    by_task = {}
    for e in spans:
        by_task.setdefault(e["tid"], []).append(e)
    overlaps = []
    for tid, evs in by_task.items():
        evs.sort(key=lambda e: (ns(e["ts"]), -ns(e["dur"])))
        open_ends = []
        for e in evs:
            start, end = ns(e["ts"]), ns(e["ts"]) + ns(e["dur"])
            while open_ends and open_ends[-1] <= start:
                open_ends.pop()
            if open_ends and end > open_ends[-1]:
                overlaps.append((tid, e["name"], start, end, open_ends[-1]))
            open_ends.append(end)
    check(not overlaps, "polls overlap their parents (task, name, start, end, "
          "parent end): %s" % overlaps[:5])


def future_totals(snap, name, with_inflight=False):
    """Timed polls (those whose return was seen: a poll entered while the
    return probes went in is not) and busy (and in-flight time) of the
    future called name, summed over all tasks."""
    polls = busy = inflight = 0

    def walk(nodes):
        nonlocal polls, busy, inflight
        for n in nodes:
            if n["name"] == name:
                polls += n["polls"] - n["unknown_polls"]
                busy += n["busy_ns"]
                inflight += n["inflight_ns"]
            walk(n["children"])
    for t in snap["tasks"]:
        walk(t["futures"])
    return (polls, busy, inflight) if with_inflight else (polls, busy)


def check_chrome(trace, snap):
    spans = spans_of(trace)
    check(len(spans) > 1000, "only %d spans" % len(spans))
    check(trace["otherData"]["events_lost"] == 0, "events lost")
    check_nesting(spans)
    # each future's polls and busy time add up to the snapshot's, to the ns:
    # a span is the poll's wall time, its waits for a CPU (preempted) are
    # in cpu_wait_ns and not the poll's time
    for name in (CRATE + "::SpinFuture", CRATE + "::blocker_task::{async_block#0}",
                 CRATE + "::nested_inner"):
        done = [e for e in spans if e["name"] == name and not e["args"]["inflight"]]
        polls, busy = future_totals(snap, name)
        own = sum(ns(e["dur"]) - e["args"].get("cpu_wait_ns", 0) for e in done)
        check(len(done) == polls, "%s: %d spans, snapshot %d polls" % (name, len(done), polls))
        check(all(0 < e["args"].get("cpu_wait_ns", 1) <= ns(e["dur"]) for e in done),
              "%s: a span waited for a CPU longer than it lasted" % name)
        check(own == busy, "%s: spans add up to %d ns of poll time, snapshot %d" % (
            name, own, busy))
    spin = [e for e in spans if e["name"] == CRATE + "::SpinFuture"]
    # 3 ms of CPU each: every span slow and a user future; >= 3 ms of poll
    # time (wall less the waits for a CPU) for nine in ten. A preempted
    # poll's waits are timed from the scheduler's switch events, which come
    # a few us after the switch itself, and on a loaded VM its split strays
    # further now and then (a CI run saw 1.4 ms of 15.7 ms, 14.3 ms of it
    # waiting): the split is not exact for every poll, the sum is (above).
    def own_ns(e):
        wait = e["args"].get("cpu_wait_ns", 0)
        return ns(e["dur"]) - wait + min(wait, 20_000 + wait // 100)

    done = [e for e in spin if not e["args"]["inflight"]]
    bad = [e for e in done if not (e["args"]["slow"] and e["cat"] == "user_future")]
    check(not bad, "SpinFuture spans not all slow user futures: %s" % bad[:3])
    short = [e for e in done if own_ns(e) < 3 * MS]
    check(len(short) <= len(done) // 10, "%d of %d SpinFuture spans under 3 ms of poll time: %s"
          % (len(short), len(done), short[:3]))
    check(spin[0]["args"]["location"].startswith("wl-tokio/src/main.rs:"), "no location")
    # the spin is inside its task's async fn, inside the task's poll
    s = spin[len(spin) // 2]
    around = [e for e in spans if e["tid"] == s["tid"] and ns(e["ts"]) <= ns(s["ts"])
              and ns(e["ts"]) + ns(e["dur"]) >= ns(s["ts"]) + ns(s["dur"]) and e is not s]
    check(sorted(e["cat"] for e in around) == ["async_fn", "task"],
          "SpinFuture nested in %s" % [(e["name"], e["cat"]) for e in around])
    # the wedged poll is still running where the recording ends
    wedged = one_task(snap, CRATE + "::wedged_task", "running")
    inflight = [e for e in spans if e["tid"] == wedged["id"] and e["args"]["inflight"]]
    check(len(inflight) == 3, "wedged task: %d in-flight spans (task, fn, loop)" % len(inflight))
    check(all(abs(ns(e["dur"]) - wedged["inflight_ns"]) < 200 * MS for e in inflight),
          "in-flight spans %s vs %d" % ([e["dur"] for e in inflight], wedged["inflight_ns"]))
    names = {e["tid"]: e["args"]["name"] for e in trace["traceEvents"]
             if e["ph"] == "M" and e["name"] == "thread_name"}
    check(names.get(wedged["id"]) == "task %d %s::wedged_task" % (wedged["id"], CRATE),
          "track name %r" % names.get(wedged["id"]))


def check_folded(text, snap):
    weights = {}
    for line in text.splitlines():
        m = re.match(r"^(.+) (\d+)$", line)
        check(m is not None, "bad folded line %r" % line)
        weights[m.group(1)] = int(m.group(2))
    polls, busy, inflight = future_totals(snap, CRATE + "::SpinFuture", True)
    stack = "%s::spinner_task;%s::SpinFuture" % (CRATE, CRATE)
    # a SpinFuture poll still running at the end counts to where the data ends
    check(weights.get(stack) == busy + inflight, "folded %s = %s, snapshot busy %d + in "
          "flight %d" % (stack, weights.get(stack), busy, inflight))
    deep = "%s::ticker_task;%s::nested_outer;%s::nested_middle;%s::nested_inner" % ((CRATE,) * 4)
    check(deep in weights, "no nested stack %s" % deep)


def check_html(page, trace):
    check(page.startswith("<!DOCTYPE html>"), "not an HTML page")
    check(not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=", page, re.I),
          "the page loads something from outside")
    check(not re.search(r"https?://", page), "the page refers to the network")
    at = page.find("const TRACE = ")
    check(at >= 0, "no embedded trace")
    data, end = json.JSONDecoder().raw_decode(page, at + len("const TRACE = "))
    check(page[end] == ";", "the trace is not one JSON value")
    check(len(spans_of(data)) == len(spans_of(trace)), "html and chrome exports differ")


def test_record_replay_export():
    """Five seconds of the tokio workload, its wedge beginning mid-way."""
    with wedging_workload("tokio") as w, tempfile.TemporaryDirectory() as d:
        rec = os.path.join(d, "wl.rec")
        live, err = record(w.pid, rec, 5, wedge=(w, 3.0, 2.0))
        check(re.search(r"recorded \d+\.\d\ds, \d+ events .* 0 lost, to " + re.escape(rec), err),
              "record summary: %r" % err)
        check(stat.S_IMODE(os.stat(rec).st_mode) == 0o600, "recording not mode 0600")
        check(w.alive(), "the target died")

        replayed, r = replay_snapshot(rec)
        check(len(re.findall(r"^cattop - pid %d" % w.pid, r.stdout, re.M)) >= 5,
              "replay -b -d 1 printed no table per second")
        check_replay_matches(live, replayed)
        # The replay counts what the live tracker counted. One CI run under
        # load (of ~12 here and on loaded machines) saw one unmatched return
        # in this wedge scenario, live and replayed alike: not yet explained
        # (test_tokio still asserts none live); the replay must agree.
        check(replayed["counters"]["unmatched_returns"] == live["counters"]["unmatched_returns"],
              "unmatched returns: live %d, replay %d" % (live["counters"]["unmatched_returns"],
                                                        replayed["counters"]["unmatched_returns"]))
        check_future_tree("tokio", replayed, unmatched_max=1)

        trace = json.loads(export(rec, "chrome"))
        check_chrome(trace, replayed)
        check_folded(export(rec, "folded"), replayed)
        check_html(export(rec, "html"), trace)
        damaged_recordings(rec, d)


def one_line_error(args, pattern):
    r = run_cattop(args)
    lines = r.stderr.strip().splitlines()
    check(r.returncode != 0, "%s: exit 0" % args)
    check(len(lines) == 1 and re.search(pattern, lines[0]),
          "%s: stderr %r !~ %r" % (args, r.stderr, pattern))


def damaged_recordings(rec, d):
    with open(rec, "rb") as f:
        data = f.read()

    def variant(name, content):
        p = os.path.join(d, name)
        with open(p, "wb") as f:
            f.write(content)
        return p

    # cut short (cattop killed, disk full): what is there replays, and says so
    cut = variant("cut.rec", data[:len(data) // 2 + 5])
    r = run_cattop(["replay", cut, "-b", "--snapshot", "-"])
    check(r.returncode == 0 and "cut short" in r.stderr, "cut recording: %d %r"
          % (r.returncode, r.stderr))
    snap = json.loads(r.stdout[r.stdout.index("\n{") + 1:])
    check(len(snap["tasks"]) > 5, "cut recording replayed no tasks")
    r = run_cattop(["export", cut, "--format", "chrome", "-o", "-"])
    check(r.returncode == 0 and spans_of(json.loads(r.stdout)), "cut recording export")

    one_line_error(["replay", variant("head.rec", data[:60]), "-b"], r"cut short before its site")
    one_line_error(["replay", variant("junk.rec", os.urandom(4096)), "-b"],
                   r"not a cattop recording")
    one_line_error(["replay", variant("empty.rec", b""), "-b"], r"not a cattop recording")
    bad = bytearray(data)
    bad[16 + 4:16 + 8] = (0xFFFFFFF0).to_bytes(4, "little")  # the first chunk's length
    one_line_error(["export", variant("bad.rec", bytes(bad)), "--format", "folded", "-o", "-"],
                   r"corrupt recording at byte 16: impossibly large chunk")
    newer = bytearray(data)
    newer[8] = 99
    one_line_error(["replay", variant("v99.rec", bytes(newer)), "-b"], r"format version 99")
    one_line_error(["replay", os.path.join(d, "missing.rec")], r"No such file")
    one_line_error(["replay"], r"give the recording")
    one_line_error(["export", rec, "--format", "svg", "-o", "-"], r"unknown format 'svg'")
    one_line_error(["export", rec, "--format", "chrome"], r"needs -o")
    one_line_error(["record", "-p", "1"], r"record needs -o")


def test_record_limits_and_safety():
    """--max-size ends a recording with a message; a planted symlink at the
    output path is refused, neither followed nor replaced (more in
    test_safety.test_output_paths); launching a command records it."""
    with wedging_workload("tokio") as w, tempfile.TemporaryDirectory() as d:
        rec = os.path.join(d, "small.rec")
        victim = os.path.join(d, "victim")
        with open(victim, "w") as f:
            f.write("keep me")
        os.symlink(victim, rec)
        r = run_cattop(["record", "-p", str(w.pid), "-o", rec, "-d", "1"], timeout=60)
        check(r.returncode == 1 and "symbolic link" in r.stderr,
              "a planted symlink: %d %r" % (r.returncode, r.stderr))
        check(open(victim).read() == "keep me" and os.readlink(rec) == victim,
              "the symlink was followed or replaced")
        os.unlink(rec)
        r = run_cattop(["record", "-p", str(w.pid), "-o", rec, "--max-size", "200K"],
                       timeout=60)
        check(r.returncode == 0 and "the size limit was reached" in r.stderr,
              "max-size: %d %r" % (r.returncode, r.stderr))
        size = os.path.getsize(rec)
        check(200 * 1024 <= size <= 200 * 1024 + 160 * 1024, "size %d past the limit" % size)
        snap, _ = replay_snapshot(rec)
        check(len(snap["tasks"]) > 0, "the limited recording does not replay")
        check(w.alive(), "the target died")
    with tempfile.TemporaryDirectory() as d:
        rec = os.path.join(d, "launch.rec")
        r = run_cattop(["record", "-o", rec, "--", harness.binary("tokio"), "--seconds", "1"],
                       timeout=30)
        check(r.returncode == 0 and "the process exited" in r.stderr,
              "record -- COMMAND: %d %r" % (r.returncode, r.stderr))
        snap, _ = replay_snapshot(rec)
        check(snap["target_exited"], "replay does not show the exit")
        check(any(t["block_on"] and t["name"] == CRATE + "::async_main" for t in snap["tasks"]),
              "no block_on root in the recording of a launched command")


def test_tui_record_and_replay():
    """R in the live view records; the replay view plays, pauses, steps and seeks."""
    with wedging_workload("tokio") as w, tempfile.TemporaryDirectory() as d:
        ui = Tmux("%s -p %d -t 1ms -d 0.5" % (harness.CATTOP, w.pid), d, 120, 30)
        try:
            ui.wait_screen(lambda t: "wl_tokio::spinner_task" in t, 60)
            ui.keys("R", wait=0)
            scr = ui.wait_screen(lambda t: " REC" in t.splitlines()[0])
            check(" REC" in scr.splitlines()[0], "no REC flag: %s" % scr)
            # flushed at every refresh: recording until some polls are in
            recorded = harness.wait_for(lambda: [f for f in os.listdir(d) if f.endswith(".rec")
                                                 and os.path.getsize(os.path.join(d, f))
                                                 > 50000], 20)
            check(recorded, "the R key's recording does not grow: %s" % os.listdir(d))
            ui.keys("R", wait=0)
            pattern = r"recording saved to (cattop-%d-\S+\.rec)" % w.pid
            scr = ui.wait_screen(lambda t: re.search(pattern, t))
            m = re.search(pattern, scr)
            check(m is not None, "no saved message: %s" % scr)
            ui.keys("q", wait=0)
            ui.wait_screen(lambda t: "EXIT=" in t)
        finally:
            ui.close()
        rec = os.path.join(d, m.group(1))
        check(os.path.getsize(rec) > 10000, "recording from the R key is empty")
        snap, _ = replay_snapshot(rec)
        one_task(snap, CRATE + "::spinner_task")

        def head(scr):
            return scr.splitlines()[0] if scr else ""

        def position(scr):
            m = re.search(r"at (\S+) of", head(scr))
            return m and m.group(1)

        ui = Tmux("%s replay %s -d 0.5" % (harness.CATTOP, rec), d, 120, 30)
        try:
            scr = ui.wait_screen(lambda t: "REPLAY" in head(t) and position(t), 30)
            check("REPLAY" in head(scr) and position(scr), "header %r" % head(scr))
            ui.keys(" ", wait=0)
            scr = ui.wait_screen(lambda t: "PAUSED" in head(t))
            check("PAUSED" in head(scr), "space did not pause: %r" % head(scr))
            at = position(scr)
            ui.keys(".", wait=0)
            scr = ui.wait_screen(lambda t: position(t) != at)
            check("PAUSED" in head(scr) and position(scr) != at,
                  "'.' did not step: %s -> %r" % (at, head(scr)))
            ui.keys("[", wait=0)
            at_start = r"at 0ns of|at 0s of|at 0 of"
            scr = ui.wait_screen(lambda t: re.search(at_start, head(t)))
            check(re.search(at_start, head(scr)) is not None,
                  "'[' did not go back to the start: %r" % head(scr))
            ui.keys("]", "]", wait=0)
            scr = ui.wait_screen(lambda t: "end of the recording" in t)
            check("end of the recording" in scr, "']' did not reach the end")
            ui.save("tui-replay.txt")
            ui.keys("q", wait=0)
            scr = ui.wait_screen(lambda t: "EXIT=" in t)
            check("EXIT=0" in scr, "replay view did not exit 0")
        finally:
            ui.close()


TESTS = [test_record_replay_export, test_record_limits_and_safety, test_tui_record_and_replay]
