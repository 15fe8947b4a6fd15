#!/usr/bin/env python3
"""Make a sample recording (Chrome trace JSON, as `cattop export --format
chrome` writes it) and the HTML timeline page built from it, the way
`cattop export --format html` does: the template's /*CATTOP_TRACE_DATA*/ is
replaced by `const TRACE = {...};`, with < > & escaped as \\u003c \\u003e
\\u0026 inside strings (cattop's html_safe JSON strings).

  make_sample.py [--tasks 30] [--spans 200000] [--seed 1] [--empty]
                 [--template src/export/timeline.html] [--out DIR]

writes DIR/sample.json and DIR/page.html (DIR defaults to out/ beside this
script). Python 3 standard library only."""
import argparse
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
MARK = "/*CATTOP_TRACE_DATA*/"

TASKS = [
    ("wl_tokio::spinner_task", "src/main.rs:42"),
    ("wl_tokio::accept_loop", "src/server.rs:18"),
    ("wl_tokio::metrics::flush_loop", "src/metrics.rs:77"),
    ("wl_tokio::handle_connection", "src/server.rs:55"),
    ("wl_tokio::cache::refresh", "src/cache.rs:120"),
    ("wl_tokio::wedged_task", "src/main.rs:91"),
    ("hyper::proto::h1::dispatch::Dispatcher<S, B, T>::poll_catch", None),
    ("tokio::runtime::blocking::task::BlockingTask<F>", None),
]
FNS = [  # (name, kind, location)
    ("wl_tokio::handle_request", "async_fn", "src/server.rs:80"),
    ("wl_tokio::lookup_user", "async_fn", "src/db.rs:33"),
    ("wl_tokio::read_frame", "async_fn", "src/codec.rs:12"),
    ("wl_tokio::main::{{closure}}", "async_block", "src/main.rs:120"),
    ("wl_tokio::spawn_workers::{{closure}}", "async_block", "src/main.rs:64"),
    ("wl_tokio::SpinFuture", "user_future", "src/main.rs:80"),
    ("wl_tokio::Wrapper<&str, \"</script><!--x\">", "user_future", "src/weird</script>.rs:1"),
    ("tokio::time::sleep::Sleep", "user_future", None),
    ("futures_util::future::Map<Fut, F>", "user_future", None),
    ("wl_tokio::retry::{{closure}}", "closure", "src/retry.rs:9"),
    ("wl_tokio::codec::decode::{{closure}}", "closure", "src/codec.rs:48"),
]


def make(ntasks, nspans, seed, empty):
    rnd = random.Random(seed)
    dur_ns = 5_000_000_000
    thr_ns = 100_000
    pid = 1234
    spans = []  # (end_ns, dict)
    names = {}
    if not empty:
        per_poll = 5.2
        polls_total = int(nspans / per_poll)
        for t in range(ntasks):
            tid = 17 + t * 5 + (t % 4)
            tname, tloc = TASKS[t % len(TASKS)] if t < len(TASKS) else rnd.choice(TASKS[1:5])
            names[tid] = tname
            # lifetime: most tasks live all along, connection handlers come and go
            if "handle_connection" in tname:
                begin = rnd.uniform(0, 3.5e9)
                end = min(dur_ns, begin + rnd.uniform(0.3e9, 1.5e9))
            else:
                begin, end = rnd.uniform(0, 2e7), dur_ns
            npolls = max(3, int(polls_total / ntasks * rnd.uniform(0.4, 1.6)))
            gap = (end - begin) / npolls
            thread = 4567 + rnd.randrange(4)
            tfns = rnd.sample(FNS, 4)
            if t == 6:
                tfns[0] = FNS[6]  # the one with HTML-ish characters
            now = begin
            for p in range(npolls):
                now += rnd.expovariate(1 / gap)
                if now >= end - 1000:
                    break
                d = rnd.lognormvariate(9.3, 0.6)  # ~11 µs
                if rnd.random() < 0.002:
                    d = rnd.uniform(1.2e5, 8e6)  # slow
                if t == 5 and p == npolls // 2:
                    d = 1.2e9  # the wedged task's long poll
                inflight = False
                last = t == 3 and p == npolls - 1 and end == dur_ns
                if last or (t == 0 and now + d > dur_ns - 30e6):
                    now = max(now, dur_ns - 30e6 * rnd.random())
                    d, inflight = dur_ns - now, True
                d = min(d, dur_ns - now)
                emit_poll(rnd, spans, tid, tname, tloc, tfns, thread, now, d, thr_ns, inflight, pid)
                now += d
                if inflight:
                    break
                if rnd.random() < 0.3:
                    thread = 4567 + rnd.randrange(4)
    spans.sort(key=lambda s: s[0])  # cattop writes a poll when it ends
    ev = [{"ph": "M", "name": "process_name", "pid": pid, "args": {"name": "wl-tokio (pid %d)" % pid}}]
    ev += [s[1] for s in spans]
    for tid, n in names.items():
        ev.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": "task %d %s" % (tid, n)}})
        ev.append({"ph": "M", "name": "thread_sort_index", "pid": pid, "tid": tid, "args": {"sort_index": tid}})
    return {
        "displayTimeUnit": "ns",
        "otherData": {"pid": pid, "exe": "/srv/bench/target/release/wl-tokio", "runtime": "tokio",
                      "threshold_ns": thr_ns, "duration_ns": dur_ns, "events": len(spans) * 2 + 311,
                      "events_lost": 0, "recorded_at_unix_ns": 1763784000000000000, "truncated": False},
        "traceEvents": ev,
    }


def us(ns):
    """Integer nanoseconds as the exporter writes them: microseconds, 3 decimals."""
    return float("%d.%03d" % (ns // 1000, ns % 1000))


def span(spans, name, kind, loc, pid, tid, thread, start, d, thr, inflight):
    args = {"task": tid, "kind": kind}
    if loc:
        args["location"] = loc
    args.update({"thread": thread, "slow": d > thr, "inflight": inflight})
    e = {"ph": "X", "name": name, "cat": kind, "pid": pid, "tid": tid,
         "ts": us(round(start)), "dur": us(round(start + d) - round(start)), "args": args}
    if d > thr:
        e["cname"] = "terrible"
    spans.append((start + d, e))


def emit_poll(rnd, spans, tid, tname, tloc, tfns, thread, start, d, thr, inflight, pid):
    span(spans, tname, "task", tloc, pid, tid, thread, start, d, thr, inflight)
    # one async fn under the task poll, its children below, their children below
    s1, d1 = start + d * 0.02, d * 0.96
    f = tfns[0]
    span(spans, f[0], f[1], f[2], pid, tid, thread, s1, d1, thr, inflight)
    kids = rnd.choice((1, 2, 2, 3))
    t = s1 + d1 * 0.03
    room = d1 * 0.94
    for k in range(kids):
        last = k == kids - 1
        dk = room * (rnd.uniform(0.3, 0.6) if not last else 0.95) if kids > 1 else room * 0.95
        dk = min(dk, s1 + d1 - t)
        g = tfns[1 + (k % 2)]
        span(spans, g[0], g[1], g[2], pid, tid, thread, t, dk, thr, inflight and last)
        if rnd.random() < 0.6:
            h = tfns[3]
            dh = dk * rnd.uniform(0.2, 0.8)
            sh = t + (dk - dh) * (1.0 if inflight and last else rnd.random())
            span(spans, h[0], h[1], h[2], pid, tid, thread, sh, dh, thr, inflight and last)
        t += dk
        room -= dk


def html_safe(text):
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=30)
    ap.add_argument("--spans", type=int, default=200_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--empty", action="store_true", help="a recording with no polls")
    ap.add_argument("--template", default=os.path.join(HERE, "..", "..", "src", "export", "timeline.html"))
    ap.add_argument("--out", default=os.path.join(HERE, "out"))
    ap.add_argument("--name", default="page", help="basename of the outputs")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    data = make(a.tasks, a.spans, a.seed, a.empty)
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    with open(os.path.join(a.out, a.name + ".json"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(a.template, encoding="utf-8") as f:
        tpl = f.read()
    assert tpl.count(MARK) == 1, "the template must hold the data mark exactly once"
    page = tpl.replace(MARK, "const TRACE = " + html_safe(text) + ";", 1)
    with open(os.path.join(a.out, a.name + ".html"), "w", encoding="utf-8") as f:
        f.write(page)
    nx = sum(1 for e in data["traceEvents"] if e["ph"] == "X")
    print("%s: %d spans, %d tasks, %.1f MB" % (os.path.join(a.out, a.name + ".html"), nx,
                                                len([e for e in data["traceEvents"] if e.get("name") == "thread_name"]),
                                                len(page) / 1e6))


if __name__ == "__main__":
    main()
