#!/usr/bin/env python3
"""cattop's overhead benchmark (issue #3), after the CAT paper's Table 2: a
client/server program, client-side wall time, measured as ratios in one run.

For each runtime (tokio, async-std, smol) and build (release: optimised,
debug = 1, symbols kept; debug; debug with frame pointers) the same fixed work
(--requests requests, --concurrency connections, one request in flight
each) is run against a fresh bench server in each mode:

  untraced     the server alone
  tasks-only   cattop --tasks-only attached to the server
  light        cattop --light: no probes, the task walk and a CPU-clock
               sampler (its "hits" are the sampler's samples of the server)
  focus        cattop --focus '*::handle_request': task polls, plus the futures
               of the request task type (what drilling into a request task
               in the live view costs)
  full         cattop attached with its default scope (task polls + the app
               crate's async fns, async blocks and Future impls)
  duty-tasks,  --tasks-only and full with --duty 10: the probes in for 100 ms
  duty         of every second (a run shorter than a few seconds is mostly
               its first window: use --requests so that it lasts)
  tracing      (tokio) the server built with `tracing` spans on every future
               and an in-process subscriber timing every enter/exit; no cattop

interleaved (round 1: A B C D, round 2: A B C D, ...) after one warm-up round
that is not counted. cattop attaches after the server listens and before the
client starts (bpftool shows its uprobe_multi links on the server's pid).

Columns (medians over the rounds; ratios are per round, traced / untraced of
the same round, then the median, with the min-max of the rounds):
  wall x      client wall time ratio to untraced
  req/s       requests per second (client)
  cpu x       server CPU time (utime+stime, /proc/PID/stat, over the client's
              run) ratio to untraced. Higher than the wall ratio: the
              untraced run leaves part of the 2 cores idle.
  us/req      server CPU per request
  hits/s      cattop's counters.events (probe hits handled) / traced window
  hits/req    probe hits per request
  us/hit      (server CPU traced - untraced) / hits: the target-side cost of one probe hit
  bpf ns      of which cattop's BPF programs (entry or return, ring buffer
              included): bpftool's run_time_ns / run_cnt, from one more run per
              mode after the counted rounds with kernel.bpf_stats_enabled set
              (the accounting costs time itself, so no counted run has it on).
              The rest is the kernel's uprobe machinery (trap,
              emulating or single-stepping the first instruction, the return
              trampoline), which no BPF-side change can reduce.
  lost        events lost (ring buffer full), summed over the rounds
  ct cpu%     cattop's own CPU time over the client's run, % of one core
  ct MiB      cattop's peak RSS (VmHWM just before it is stopped), max of the rounds
  ready s     cattop start to probes attached (symbols, DWARF, attach)

Options: --runtimes, --builds, --rounds, --requests, --concurrency, --quick,
--no-build, --json FILE. Stdlib only; run as root (make bench).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

MODES_ALL = ["untraced", "light", "tasks-only", "duty-tasks", "focus", "full", "duty",
             "tracing"]
TRACED = {"light": ["--light"], "tasks-only": ["--tasks-only"],
          "duty-tasks": ["--tasks-only", "--duty", "10"],
          "focus": ["--focus", "*::handle_request"], "full": [], "duty": ["--duty", "10"]}
BPF_STATS = "/proc/sys/kernel/bpf_stats_enabled"


def set_bpf_stats(value):
    """Turns the kernel's BPF run-time accounting on or off; returns the old value."""
    try:
        with open(BPF_STATS) as f:
            old = f.read().strip()
        with open(BPF_STATS, "w") as f:
            f.write(value)
        return old
    except OSError:
        return None


def modes_for(runtime):
    return [m for m in MODES_ALL if m != "tracing" or runtime == "tokio"]


def server_for(runtime, build, mode):
    name = bl.TRACING_SERVER if mode == "tracing" else bl.SERVERS[runtime]
    return bl.binary(build, name)


def one_run(a, cattop, workdir, runtime, build, mode):
    res = {"runtime": runtime, "build": build, "mode": mode, "ok": False}
    srv = bl.Server(server_for(runtime, build, mode), workdir=workdir)
    ct = None
    try:
        if mode in TRACED:
            ct = bl.Cattop(cattop, srv.pid, TRACED[mode], workdir)
            if mode == "light":  # no uprobes: until its sampler is attached
                res["ready_s"] = ct.wait_sampling()
            else:
                res["ready_s"] = ct.wait_attached(2 if mode == "focus" else 1)
            res["uprobes"] = ct.uprobes()
            time.sleep(0.1)
        s0, c0, t0 = bl.cpu_seconds(srv.pid), ct.cpu() if ct else None, time.monotonic()
        cl = bl.run_client(srv.port, a.requests, a.concurrency)
        s1, c1, t1 = bl.cpu_seconds(srv.pid), ct.cpu() if ct else None, time.monotonic()
        res.update(wall=cl["wall_s"], rps=cl["rps"], p50_us=cl["p50_us"], p99_us=cl["p99_us"],
                   window=t1 - t0, srv_cpu=s1 - s0)
        if ct:
            res["ct_cpu_pct"] = 100.0 * (c1 - c0) / (t1 - t0)
            res["ct_hwm_kib"] = ct.hwm_kib()
            if ct.p.poll() is not None:
                raise bl.BenchError("cattop exited during the run (%s): %s"
                                    % (ct.p.returncode, ct.stderr()[-800:]))
            snap = ct.stop()
            if ct.rc != 0:
                raise bl.BenchError("cattop exit status %s: %s" % (ct.rc, ct.stderr()[-800:]))
            if snap is None:
                raise bl.BenchError("cattop wrote no snapshot: %s" % ct.stderr()[-800:])
            res["events"] = snap.get("counters", {}).get("events")
            if mode == "light":  # what costs the server: the samples of its threads
                res["events"] = snap.get("light", {}).get("samples")
            res["lost"] = snap.get("events_lost")
            res["attached"] = snap.get("probes", {}).get("attached")
            res["attach_ns"] = snap.get("probes", {}).get("attach_ns")
            probes = snap.get("probes", {})
            if probes.get("bpf_run_cnt"):
                res["bpf_ns_hit"] = probes["bpf_run_ns"] / probes["bpf_run_cnt"]
            if "focus" in probes:
                res["focus_futures"] = probes["focus"]["futures"]
            res["tasks_seen"] = snap.get("counters", {}).get("tasks_seen")
            if snap.get("duty"):  # the share traced, what each edge cost
                res["duty"] = {k: snap["duty"].get(k) for k in (
                    "traced_pct", "windows", "attach_ms_avg", "attach_ms_max",
                    "detach_ms_avg", "detach_ms_max", "late_ms_max")}
            res["detach_s"] = ct.detach_s
            res["ct_stderr"] = ct.stderr()
            bad = [t for t in snap.get("tasks", []) if (t.get("max_poll_ns") or 0) > 1e12]
            if bad:  # a poll longer than the whole run is a cattop bug: count it
                res["bogus_tasks"] = len(bad)
        lines = srv.stop()
        served = next((int(l.split("=")[1]) for l in lines if l.startswith("served=")), None)
        if served is not None and served < a.requests:
            raise bl.BenchError("server answered %d of %d requests" % (served, a.requests))
        if mode == "tracing":
            summ = next((l for l in srv.stderr_text().splitlines()
                         if l.startswith("tracing spans_closed=")), None)
            if summ is None:
                raise bl.BenchError("tracing server printed no span summary")
            kv = dict(x.split("=", 1) for x in summ.split()[1:])
            res["spans"] = int(kv["spans_closed"])
            res["span_enters"] = int(kv["enters"])
        res["ok"] = True
        if ct:
            ct.cleanup_files()
        srv.cleanup_files()
    except bl.BenchError as e:
        res["error"] = str(e)
    finally:
        if ct and ct.p.poll() is None:
            try:
                ct.stop(timeout=20)
            except bl.BenchError:
                pass
        srv.stop()
    return res


def ratio_stats(runs, base, key):
    """Per-round ratios run[key] / base[key] for rounds where both are ok."""
    rs = []
    for r, b in zip(runs, base):
        if r and b and r.get("ok") and b.get("ok") and r.get(key) and b.get(key):
            rs.append(r[key] / b[key])
    if not rs:
        return None, None, None
    return bl.median(rs), min(rs), max(rs)


def table(runtime, build, modes, results, a, load):
    """results: mode -> list (one per counted round) of run dicts."""
    base = results["untraced"]
    head = ("%s / %s: %d requests, concurrency %d, %d rounds (+%d warm-up), load avg %s"
            % (runtime, build, a.requests, a.concurrency, a.rounds, a.warmup, load))
    cols = ("mode", "wall x", "[min-max]", "req/s", "cpu x", "us/req", "hits/s", "hits/req",
            "us/hit", "bpf ns", "lost", "ct cpu%", "ct MiB", "ready s")
    fmt_row = "  %-10s %6s %13s %8s %6s %7s %9s %8s %6s %6s %5s %7s %6s %7s"
    out = [head, fmt_row % cols]
    base_cpu = bl.median([r.get("srv_cpu") for r in base if r.get("ok")])
    notes = []
    for m in modes:
        runs = results[m]
        ok = [r for r in runs if r.get("ok")]
        if not ok:
            out.append("  %-10s  all %d runs failed: %s" % (m, len(runs),
                                                           runs[0].get("error") if runs else "-"))
            continue
        w, wmin, wmax = ratio_stats(runs, base, "wall")
        c, _, _ = ratio_stats(runs, base, "srv_cpu")
        rps = bl.median([r["rps"] for r in ok])
        us_req = bl.median([1e6 * r["srv_cpu"] / a.requests for r in ok])
        traced = m in TRACED
        hits = bl.median([r["events"] / r["window"] for r in ok]) if traced else None
        hreq = bl.median([r["events"] / a.requests for r in ok]) if traced else None
        us_hit = None
        if traced and base_cpu is not None:
            us_hit = bl.median([1e6 * (r["srv_cpu"] - base_cpu) / r["events"]
                                for r in ok if r.get("events")])
        bpf_ns = bl.median([r.get("bpf_ns_hit") for r in ok]) if traced else None
        lost = sum(r.get("lost") or 0 for r in ok) if traced else None
        ctc = bl.median([r.get("ct_cpu_pct") for r in ok]) if traced else None
        hwm = max((r.get("ct_hwm_kib") or 0) for r in ok) / 1024 if traced else None
        ready = bl.median([r.get("ready_s") for r in ok]) if traced else None
        rng = "[%.3f-%.3f]" % (wmin, wmax) if m != "untraced" and wmin is not None else ""
        out.append(fmt_row % (
            m, bl.fmt(w, ".3f"), rng, bl.fmt(rps, ",.0f"), bl.fmt(c, ".3f"),
            bl.fmt(us_req, ".1f"), bl.fmt(hits, ",.0f"), bl.fmt(hreq, ".1f"),
            bl.fmt(us_hit, ".2f"), bl.fmt(bpf_ns, ".0f"), bl.fmt(lost, "d"), bl.fmt(ctc, ".1f"), bl.fmt(hwm, ".1f"),
            bl.fmt(ready, ".2f")))
        failed = [r for r in runs if not r.get("ok")]
        if failed:
            notes.append("%s: %d of %d rounds failed: %s" % (m, len(failed), len(runs),
                                                            failed[0].get("error")))
        if traced:
            up = bl.median([r.get("uprobes") for r in ok])
            att = bl.median([r.get("attached") for r in ok])
            bogus = sum(r.get("bogus_tasks", 0) for r in ok)
            foc = bl.median([r.get("focus_futures") for r in ok])
            notes.append("%s: %s probe sites%s (%s uprobes incl. returns), p99 latency %.0f us%s"
                         % (m, bl.fmt(att, ".0f"),
                            " + %s focused futures" % bl.fmt(foc, ".0f") if foc is not None else "",
                            bl.fmt(up, ".0f"),
                            bl.median([r["p99_us"] for r in ok]),
                            (", %d tasks with a poll longer than the run (cattop bug)" % bogus)
                            if bogus else ""))
            said = []
            for r in ok:
                for line in (r.get("ct_stderr") or "").splitlines():
                    if line.strip() and line not in said:
                        said.append(line)
            notes += ["%s: cattop said: %s" % (m, l[:220]) for l in said[:3]]
            duty = [r["duty"] for r in ok if r.get("duty")]
            if duty:
                med = {k: bl.median([d[k] for d in duty]) for k in duty[0]}
                notes.append("%s: traced %.1f%% of the time in %.0f windows; attach %.1f ms "
                             "(max %.1f), detach %.1f ms (max %.1f), an edge late by up to "
                             "%.1f ms" % (m, med["traced_pct"], med["windows"],
                                          med["attach_ms_avg"], med["attach_ms_max"],
                                          med["detach_ms_avg"], med["detach_ms_max"],
                                          med["late_ms_max"]))
        if m == "tracing":
            notes.append("tracing: %.1f spans and %.1f span enters per request recorded"
                         % (bl.median([r["spans"] / a.requests for r in ok]),
                            bl.median([r["span_enters"] / a.requests for r in ok])))
    out += ["  note: " + n for n in notes]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cattop", default=os.path.join(bl.ROOT, "build", "cattop"))
    ap.add_argument("--runtimes", default="tokio,async-std,smol")
    ap.add_argument("--builds", default="release,debug-fp,debug")
    ap.add_argument("--rounds", type=int, default=None, help="counted rounds (default 5)")
    ap.add_argument("--warmup", type=int, default=None, help="warm-up rounds (default 1)")
    ap.add_argument("--requests", type=int, default=None, help="per run (default 20000)")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--modes", default=",".join(MODES_ALL))
    ap.add_argument("--quick", action="store_true",
                    help="2 rounds, no warm-up, 4000 requests: a smoke test, not a measurement")
    ap.add_argument("--no-build", action="store_true", help="do not run cargo")
    ap.add_argument("--json", help="also write every run's raw figures to this file")
    a = ap.parse_args()
    if a.quick:
        a.rounds = 2 if a.rounds is None else a.rounds
        a.warmup = 0 if a.warmup is None else a.warmup
        a.requests = 4000 if a.requests is None else a.requests
    a.rounds = 5 if a.rounds is None else a.rounds
    a.warmup = 1 if a.warmup is None else a.warmup
    a.requests = 20000 if a.requests is None else a.requests
    runtimes = [r for r in a.runtimes.split(",") if r]
    builds = [b for b in a.builds.split(",") if b]
    want_modes = [m for m in a.modes.split(",") if m]
    for r in runtimes:
        if r not in bl.SERVERS:
            ap.error("unknown runtime %s (tokio, async-std, smol)" % r)
    for b in builds:
        if b not in bl.BUILDS:
            ap.error("unknown build %s (%s)" % (b, ", ".join(bl.BUILDS)))
    if "untraced" not in want_modes:
        want_modes.insert(0, "untraced")
    if os.geteuid() != 0:
        print("run.py: cattop needs root", file=sys.stderr)
        return 2

    bl.install_cleanup()
    if not a.no_build:
        bl.build_workloads(builds)
    workdir = bl.make_workdir()
    cattop = bl.private_cattop(a.cattop, workdir)
    old_stats = None
    all_runs, failures = [], 0
    t_start = time.monotonic()
    print("cattop overhead benchmark: %s, %d CPUs, kernel %s, cattop %s"
          % (time.strftime("%Y-%m-%d %H:%M"), os.cpu_count(), os.uname().release,
             os.path.relpath(a.cattop, bl.ROOT)), flush=True)
    try:
        for rt in runtimes:
            for b in builds:
                modes = [m for m in modes_for(rt) if m in want_modes]
                results = {m: [] for m in modes}
                load0 = os.getloadavg()[0]
                for rnd in range(a.warmup + a.rounds):
                    warm = rnd < a.warmup
                    for m in modes:
                        bl.log("  %-9s %-8s %-10s %s %d" % (rt, b, m, "warm-up" if warm else "round",
                                                            rnd - a.warmup + 1 if not warm else rnd + 1))
                        r = one_run(a, cattop, workdir, rt, b, m)
                        r["round"] = rnd - a.warmup
                        all_runs.append(r)
                        if not r["ok"]:
                            failures += 1
                            bl.log("    FAILED: %s" % r.get("error"))
                        if not warm:
                            results[m].append(r)
                load = "%.2f-%.2f" % (load0, os.getloadavg()[0])
                old_stats = set_bpf_stats("1")
                for m in modes:
                    if m in TRACED:
                        bl.log("  %-9s %-8s %-10s bpf run time" % (rt, b, m))
                        r = one_run(a, cattop, workdir, rt, b, m)
                        for c in results[m]:
                            c["bpf_ns_hit"] = r.get("bpf_ns_hit")
                set_bpf_stats(old_stats)
                old_stats = None
                print("\n" + table(rt, b, modes, results, a, load), flush=True)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if old_stats is not None:
            set_bpf_stats(old_stats)
        bl.cleanup_all()
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"args": vars(a), "runs": all_runs}, f, indent=1)
        bl.finish_workdir(workdir, failures)
    print("\n(%d runs in %.0f s%s)" % (len(all_runs), time.monotonic() - t_start,
                                       ", %d FAILED" % failures if failures else ""))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
