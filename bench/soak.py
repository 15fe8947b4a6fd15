#!/usr/bin/env python3
"""Soak run of cattop's Prometheus exporter (issue #18), Python 3 stdlib only.

A bench-tokio server (bench/workloads, release) serves bursts of requests
from bench-client: every request is a task of its own (handle_request) and
every burst opens new connections (conn_loop tasks), so tasks are born and
end all the time. `cattop --listen 127.0.0.1:PORT -p PID` (with --duty 10 by
default) watches it for --minutes while /metrics is scraped every
--interval seconds; cattop's VmRSS, its CPU and the server's CPU are read
from /proc at each scrape. The server also runs bursts untraced, before
cattop attaches and after it exits, so the throughput ratio is measured in
the same run.

At the end a table: cattop's RSS at the first scrape, after the warm-up, at
the end and its maximum; the RSS slope (least squares, KiB/hour) over the
second half of the traced time; failed scrapes; the size of /metrics (its
series must not grow with the tasks that come and go); throughput and
server CPU per request untraced vs traced. Exits 1 if the RSS grew more than
--max-growth-kib over the second half (the fitted line's rise), or if a
scrape failed; 2 on a setup error.

    python3 bench/soak.py [--minutes 30] [--mode light|duty|full]
"""
import argparse
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

MODE_ARGS = {"light": ["--light"], "duty": ["--duty", "10"], "full": []}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=30, help="traced time (default 30)")
    ap.add_argument("--mode", choices=sorted(MODE_ARGS), default="duty",
                    help="light: --light; duty: --duty 10 (default); full: probes all along")
    ap.add_argument("--cattop", default=os.path.join(bl.ROOT, "build", "cattop"),
                    help="the binary (default build/cattop: a sanitizer build's RSS says "
                         "little)")
    ap.add_argument("--interval", type=float, default=5, help="seconds between scrapes")
    ap.add_argument("--burst", type=int, default=8000, help="requests per client burst")
    ap.add_argument("--concurrency", type=int, default=4, help="connections per burst")
    ap.add_argument("--untraced-bursts", type=int, default=6,
                    help="untraced bursts before the attach and again after cattop exits")
    ap.add_argument("--warmup", type=float, default=None,
                    help="warm-up seconds (default: a sixth of the run, at most 300)")
    ap.add_argument("--max-growth-kib", type=float, default=2048,
                    help="fail if the RSS line rose more than this over the second half")
    ap.add_argument("--no-build", action="store_true", help="do not cargo build the workloads")
    ap.add_argument("--csv", help="also write every sample to this file")
    return ap.parse_args()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scrape(port):
    """(body, seconds) of a GET /metrics, body None if it failed."""
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5) as r:
            body = r.read().decode("utf-8")
            ok = r.status == 200 and body.endswith("\n") and "cattop_info{" in body
    except (urllib.error.URLError, ConnectionError, socket.timeout, UnicodeDecodeError):
        body, ok = None, False
    return (body if ok else None), time.monotonic() - t0


def sample_value(body, name, **labels):
    """Sum of the samples of name whose labels include labels."""
    total = None
    for line in body.split("\n"):
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all('%s="%s"' % kv in line for kv in labels.items()):
            total = (total or 0) + float(line.rsplit(" ", 1)[1])
    return total


def burst(srv, a):
    """One client burst: (requests/s, server CPU seconds per request)."""
    c0 = bl.cpu_seconds(srv.pid)
    res = bl.run_client(srv.port, a.burst, a.concurrency, timeout=300)
    c1 = bl.cpu_seconds(srv.pid)
    if res.get("errors"):
        raise bl.BenchError("client errors: %s" % res)
    return res["rps"], (c1 - c0) / res["requests"]


def untraced(srv, a, label):
    out = []
    for _ in range(a.untraced_bursts):
        out.append(burst(srv, a))
        time.sleep(a.interval / 2)
    bl.log("  untraced %s: %s req/s" % (label, ", ".join("%.0f" % r for r, _ in out)))
    return out


def start_cattop(a, cattop, pid, port, workdir):
    cmd = [cattop, "--listen", "127.0.0.1:%d" % port, "-p", str(pid)] + MODE_ARGS[a.mode]
    err = open(os.path.join(workdir, "cattop.err"), "w")
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    p.is_cattop = True
    bl._register(p)
    bl.log("  %s" % " ".join(cmd))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if p.poll() is not None:
            raise bl.BenchError("cattop exited %d: %s" % (p.returncode, read(err.name)))
        # the first scrape: the socket is bound before the attach, the
        # text rendered after it (an idle server may have no polls yet)
        if scrape(port)[0]:
            return p, cmd
        time.sleep(0.2)
    raise bl.BenchError("no scrape from cattop within 120 s")


def read(path):
    try:
        with open(path) as f:
            return f.read().strip()[-800:]
    except OSError:
        return ""


def slope_kib_per_s(points):
    """Least-squares slope of [(t, kib)]."""
    if len(points) < 2:
        return 0.0
    mt = statistics.fmean(t for t, _ in points)
    mk = statistics.fmean(k for _, k in points)
    den = sum((t - mt) ** 2 for t, _ in points)
    return sum((t - mt) * (k - mk) for t, k in points) / den if den else 0.0


def soak(a, srv, cattop, port, workdir):
    """The traced part: [sample dicts], failed scrapes, the cattop command."""
    p, cmd = start_cattop(a, cattop, srv.pid, port, workdir)
    t0 = time.monotonic()
    end = t0 + a.minutes * 60
    samples, failed, next_burst = [], 0, t0
    last_print = t0
    while time.monotonic() < end:
        tick = time.monotonic()
        if p.poll() is not None:
            raise bl.BenchError("cattop exited %d during the soak: %s"
                                % (p.returncode, read(os.path.join(workdir, "cattop.err"))))
        body, secs = scrape(port)
        s = {"t": tick - t0, "rss": bl.proc_status_kib(p.pid, "VmRSS"),
             "cattop_cpu": bl.cpu_seconds(p.pid), "server_cpu": bl.cpu_seconds(srv.pid),
             "scrape_s": secs, "bytes": len(body) if body else None, "rps": None,
             "cpu_per_req": None, "load": os.getloadavg()[0]}
        if body is None:
            failed += 1
            bl.log("  scrape failed at %.0f s" % s["t"])
        else:
            s["seen"] = sample_value(body, "cattop_tasks_seen_total")
            s["lost"] = sample_value(body, "cattop_events_lost_total")
        if tick >= next_burst:
            # at a random point of the second: --duty's windows are at a
            # fixed phase of it, which bursts started on the tick could
            # always miss (or always hit)
            time.sleep(random.random())
            s["rps"], s["cpu_per_req"] = burst(srv, a)
            next_burst = tick + 2 * a.interval
        samples.append(s)
        if tick - last_print >= 60:
            last_print = tick
            bl.log("  %5.1f min: rss %d KiB, %s tasks seen, /metrics %s bytes"
                   % (s["t"] / 60, s["rss"], fmt_int(s.get("seen")), fmt_int(s["bytes"])))
        time.sleep(max(0.0, tick + a.interval - time.monotonic()))
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    bl._forget(p)
    if p.returncode != 0:
        raise bl.BenchError("cattop exited %d: %s" % (p.returncode,
                                                       read(os.path.join(workdir, "cattop.err"))))
    return samples, failed, cmd


def fmt_int(v):
    return "-" if v is None else "{:,.0f}".format(v)


def report(a, samples, failed, before, after, cmd):
    rss = [(s["t"], s["rss"]) for s in samples if s["rss"] is not None]
    total = samples[-1]["t"]
    warm = a.warmup if a.warmup is not None else min(300.0, a.minutes * 60 / 6)
    after_warm = next((k for t, k in rss if t >= warm), rss[-1][1])
    half = [(t, k) for t, k in rss if t >= total / 2]
    slope = slope_kib_per_s(half)
    rise = slope * (half[-1][0] - half[0][0])
    traced = [s for s in samples if s["rps"] is not None]
    traced2 = [s for s in traced if s["t"] >= total / 2]
    un_rps = statistics.median(r for r, _ in before + after)
    un_cpu = statistics.median(c for _, c in before + after)
    bodies = [s for s in samples if s["bytes"] is not None]
    seen = [s.get("seen") for s in samples if s.get("seen") is not None]
    cpu = samples[-1]["cattop_cpu"] - samples[0]["cattop_cpu"]
    rows = [
        ("cattop", " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))),
        ("traced time", "%.1f min, %d scrapes every %.0f s, %d failed"
         % (total / 60, len(samples), a.interval, failed)),
        ("RSS first scrape", "%d KiB" % rss[0][1]),
        ("RSS after warm-up", "%d KiB (at %.0f s)" % (after_warm, warm)),
        ("RSS at end", "%d KiB" % rss[-1][1]),
        ("RSS max", "%d KiB" % max(k for _, k in rss)),
        ("RSS slope, 2nd half", "%+.0f KiB/hour (line rose %+.0f KiB; bound %.0f KiB)"
         % (slope * 3600, rise, a.max_growth_kib)),
        ("cattop CPU", "%.1f s in %.1f min (%.2f %% of a core)"
         % (cpu, total / 60, 100 * cpu / total)),
        ("tasks seen", "%s (cattop_tasks_seen_total, every type; light mode sees only "
         "the tasks alive at a walk)" % fmt_int(seen[-1] if seen else None)),
        ("events lost", fmt_int(samples[-1].get("lost"))),
        ("/metrics size", "%s bytes first, %s last, max %s"
         % (fmt_int(bodies[0]["bytes"]), fmt_int(bodies[-1]["bytes"]),
            fmt_int(max(s["bytes"] for s in bodies)))),
        ("scrape time", "median %.1f ms, max %.1f ms"
         % (1e3 * statistics.median(s["scrape_s"] for s in samples),
            1e3 * max(s["scrape_s"] for s in samples))),
        ("untraced req/s", "median %.0f (%d bursts of %d before, %d after)"
         % (un_rps, len(before), a.burst, len(after))),
        ("traced / untraced", "req/s %.3f (2nd half %.3f), server CPU/request %.3f (%d bursts)"
         % (statistics.median(s["rps"] for s in traced) / un_rps,
            statistics.median(s["rps"] for s in traced2) / un_rps,
            statistics.median(s["cpu_per_req"] for s in traced) / un_cpu, len(traced))),
        ("load average", "1-min: median %.1f, %.1f-%.1f over the run (%d cores)"
         % (statistics.median(s["load"] for s in samples), min(s["load"] for s in samples),
            max(s["load"] for s in samples), os.cpu_count())),
    ]
    width = max(len(k) for k, _ in rows)
    print()
    for k, v in rows:
        print("%-*s  %s" % (width, k, v))
    return rise


def write_csv(path, samples):
    keys = ["t", "rss", "cattop_cpu", "server_cpu", "scrape_s", "bytes", "seen", "lost", "rps",
            "cpu_per_req", "load"]
    with open(path, "w") as f:
        f.write(",".join(keys) + "\n")
        for s in samples:
            f.write(",".join("" if s.get(k) is None else str(s[k]) for k in keys) + "\n")


def build():
    """The two binaries the soak needs (release, offline), not the
    whole bench workspace."""
    env = dict(os.environ, RUSTFLAGS="", CARGO_TARGET_DIR="target")
    bl.log("  CARGO    bench/workloads (bench-tokio, bench-client)")
    r = subprocess.run([bl.CARGO, "build", "--release", "-q", "-p", "bench-tokio", "-p",
                        "bench-client"], cwd=bl.WL, env=env)
    if r.returncode != 0:
        raise bl.BenchError("cargo build failed")


def main():
    a = parse_args()
    if os.geteuid() != 0:
        sys.exit("soak.py: cattop needs root")
    bl.install_cleanup()
    workdir = bl.make_workdir()
    failed_run = True
    try:
        if not a.no_build:
            build()
        cattop = bl.private_cattop(a.cattop, workdir)
        srv = bl.Server(bl.binary("release", "bench-tokio"), ["--port", "0"], workdir)
        bl.log("  bench-tokio pid %d port %d, cattop %s, %.0f min"
               % (srv.pid, srv.port, a.mode, a.minutes))
        before = untraced(srv, a, "before")
        samples, failed, cmd = soak(a, srv, cattop, free_port(), workdir)
        after = untraced(srv, a, "after")
        srv.stop()
        if a.csv:
            write_csv(a.csv, samples)
        rise = report(a, samples, failed, before, after, cmd)
        failed_run = False
        if rise > a.max_growth_kib:
            print("FAIL: cattop's RSS rose %.0f KiB over the second half (bound %.0f KiB)"
                  % (rise, a.max_growth_kib))
            return 1
        if failed:
            print("FAIL: %d scrapes failed" % failed)
            return 1
        return 0
    except bl.BenchError as e:
        bl.log("soak.py: %s" % e)
        return 2
    except KeyboardInterrupt:
        bl.log("soak.py: interrupted")
        return 130
    finally:
        bl.cleanup_all()
        bl.finish_workdir(workdir, failed_run)


if __name__ == "__main__":
    sys.exit(main())
