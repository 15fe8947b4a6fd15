#!/usr/bin/env python3
"""A chart of real data scraped by Prometheus from cattop (issue #18),
Python 3 stdlib only: no browser, no matplotlib, a hand-made SVG.

Two wl-tokio processes (tests/workloads, release), one `cattop --listen
-p A,B` attached to both, Debian's prometheus on loopback scraping it every
second (as tests/integration/test_metrics.py does) for --seconds; then its HTTP API
(/api/v1/query_range) is asked for

    rate(cattop_slow_polls_total[1m])                       per task_type, pid
    histogram_quantile(0.99, rate(cattop_poll_duration_seconds_bucket[1m]))

and both go into one SVG, two panels over the same time axis: slow polls
per second of every series that had any, and those series' p99 poll time
(log scale). Everything drawn is what Prometheus answered in this run.

    python3 bench/prometheus_plot.py [--seconds 180] [-o screenshots/prometheus-slow-polls.svg]
"""
import argparse
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WL_TOKIO = os.path.join(ROOT, "tests", "workloads", "target", "release", "wl-tokio")
# No wedge: a 6 s poll on one worker is not what the chart is about.
WL_ARGS = ["--seconds", "3600", "--wedge-after-ms", "100000000"]
SLOW = "rate(cattop_slow_polls_total[1m])"
P99 = ("histogram_quantile(0.99, sum by (task_type, pid, le) "
       "(rate(cattop_poll_duration_seconds_bucket[1m])))")
COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf"]
DASHES = ["", "7,4", "2,3", "10,3,2,3"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=10):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace")
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return None, ""


def wait_for(cond, timeout, interval=0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    return None


class Procs:
    """Everything started here, ended at exit: cattops by SIGINT (they
    detach), the rest by SIGTERM, then SIGKILL."""

    def __init__(self):
        self.procs = []

    def start(self, cmd, **kw):
        p = subprocess.Popen(cmd, **kw)
        self.procs.append(p)
        return p

    def stop_all(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.send_signal(signal.SIGINT if getattr(p, "is_cattop", False)
                              else signal.SIGTERM)
        for p in reversed(self.procs):
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def start_workload(procs):
    p = procs.start([WL_TOKIO] + WL_ARGS, stdout=subprocess.PIPE, text=True)
    line = p.stdout.readline()
    if not line.startswith("ready pid="):
        raise SystemExit("wl-tokio did not start: %r" % line)
    return p.pid


def start_prometheus(procs, targets, tmp):
    port = free_port()
    config = os.path.join(tmp, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                "  evaluation_interval: 1s\n"
                "scrape_configs:\n  - job_name: cattop\n    static_configs:\n"
                "      - targets: [%s]\n" % ", ".join("'%s'" % t for t in targets))
    logf = open(os.path.join(tmp, "prometheus.log"), "w")
    p = procs.start([shutil.which("prometheus") or "/usr/bin/prometheus",
                     "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(tmp, "data"),
                     "--web.listen-address=127.0.0.1:%d" % port],
                    stdout=logf, stderr=subprocess.STDOUT, cwd=tmp)
    if not wait_for(lambda: p.poll() is not None or
                    get("http://127.0.0.1:%d/-/ready" % port)[0] == 200, 120, 0.2) \
            or p.poll() is not None:
        raise SystemExit("prometheus did not start; its log is in %s" % tmp)
    return port


def api(port, path, **params):
    status, body = get("http://127.0.0.1:%d/api/v1/%s?%s"
                       % (port, path, urllib.parse.urlencode(params)))
    if status != 200:
        raise SystemExit("%s %s: HTTP %s %s" % (path, params, status, body[:300]))
    data = json.loads(body)
    if data.get("status") != "success":
        raise SystemExit("%s %s: %s" % (path, params, data))
    return data["data"]["result"]


def query_range(port, promql, start, end, step):
    """{(task_type, pid): [(unix time, value)]}, NaN points left out."""
    out = {}
    for r in api(port, "query_range", query=promql, start="%.3f" % start, end="%.3f" % end,
                 step="%g" % step):
        key = (r["metric"].get("task_type", "?"), r["metric"].get("pid", "?"))
        pts = [(float(t), float(v)) for t, v in r["values"]]
        out[key] = [(t, v) for t, v in pts if math.isfinite(v)]
    return out


# ------------------------------------------------------------------ SVG ---

def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def nice_step(span, ticks=5):
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def fmt_num(v):
    return ("%g" % v) if abs(v) < 1e5 else "%.0f" % v


class Panel:
    """A plot area: x in unix seconds, y linear from 0 or log10."""

    def __init__(self, x, y, w, h, t0, t1, ymax, log_range=None):
        self.x, self.y, self.w, self.h, self.t0, self.t1 = x, y, w, h, t0, t1
        self.log_range = log_range
        if log_range:
            self.lo, self.hi = log_range
        else:
            self.step = nice_step(ymax or 1)
            self.lo, self.hi = 0.0, self.step * math.ceil((ymax or 1) / self.step)

    def px(self, t):
        return self.x + self.w * (t - self.t0) / (self.t1 - self.t0)

    def py(self, v):
        if self.log_range:
            v = math.log10(max(v, 10 ** self.lo))
        return self.y + self.h - self.h * (v - self.lo) / (self.hi - self.lo)

    def frame(self, out, title, unit, ticks):
        out.append('<text x="%d" y="%d" class="title">%s</text>' % (self.x, self.y - 10,
                                                                  esc(title)))
        out.append('<rect x="%d" y="%d" width="%d" height="%d" class="frame"/>'
                   % (self.x, self.y, self.w, self.h))
        for v, label in ticks:
            y = self.py(v)
            out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>'
                       % (self.x, self.x + self.w, y, y))
            out.append('<text x="%d" y="%.1f" class="ytick">%s</text>' % (self.x - 6, y + 4,
                                                                        esc(label)))
        out.append('<text transform="translate(%d,%d) rotate(-90)" class="unit">%s</text>'
                   % (self.x - 48, self.y + self.h / 2, esc(unit)))

    def time_axis(self, out, every=30):
        first = math.ceil(self.t0 / every) * every
        t = first
        while t <= self.t1:
            x = self.px(t)
            out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="grid"/>'
                       % (x, x, self.y, self.y + self.h))
            out.append('<text x="%.1f" y="%d" class="xtick">%s</text>'
                       % (x, self.y + self.h + 16, time.strftime("%H:%M:%S", time.gmtime(t))))
            t += every

    def line(self, out, pts, colour, dash):
        if not pts:
            return
        d = " ".join("%s%.1f,%.1f" % ("M" if i == 0 else "L", self.px(t), self.py(v))
                     for i, (t, v) in enumerate(pts))
        out.append('<path d="%s" stroke="%s"%s class="series"/>'
                   % (d, colour, ' stroke-dasharray="%s"' % dash if dash else ""))


def linear_ticks(panel):
    n = int(round((panel.hi - panel.lo) / panel.step))
    return [(panel.lo + i * panel.step, fmt_num(panel.lo + i * panel.step)) for i in range(n + 1)]


def log_ticks(lo, hi):
    """Decades in seconds, labelled in ms."""
    return [(10.0 ** e, fmt_num(10.0 ** e * 1e3)) for e in range(lo, hi + 1)]


def render(slow, p99, t0, t1, threshold, note):
    """slow: the series with slow polls; p99: every series with polls.
    A legend entry per series of either, colour by task type, dash by pid."""
    peak = {k: max((v for _, v in slow.get(k, [])), default=0) for k in set(slow) | set(p99)}
    type_peak = {t: max(v for k, v in peak.items() if k[0] == t) for t, _ in peak}
    keys = sorted(peak, key=lambda k: (-type_peak[k[0]], k[0], k[1]))
    types = sorted(type_peak, key=lambda t: (-type_peak[t], t))
    pids = sorted({k[1] for k in keys})
    style = {k: (COLOURS[types.index(k[0]) % len(COLOURS)], DASHES[pids.index(k[1]) % len(DASHES)])
             for k in keys}
    W, left, pw = 1000, 80, 600
    out = []
    ymax = max(peak.values())
    top = Panel(left, 60, pw, 250, t0, t1, ymax * 1.05)
    top.frame(out, "rate(cattop_slow_polls_total[1m]): slow polls per second", "slow polls / s",
              linear_ticks(top))
    top.time_axis(out)
    for k in keys:
        if k in slow:
            top.line(out, slow[k], *style[k])
    vals = [v for k in keys for _, v in p99.get(k, []) if v > 0] + [threshold]
    lo = math.floor(math.log10(min(vals))) if vals else -4
    hi = math.ceil(math.log10(max(vals))) if vals else -2
    if hi <= lo:
        hi = lo + 1
    bottom = Panel(left, 390, pw, 200, t0, t1, None, (lo, hi))
    bottom.frame(out, "p99 poll time: histogram_quantile(0.99, rate(..._bucket[1m]))",
                 "p99 poll (ms, log)", log_ticks(lo, hi))
    bottom.time_axis(out)
    y = bottom.py(threshold)
    out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="threshold"/>'
               % (left, left + pw, y, y))
    out.append('<text x="%d" y="%.1f" class="note">-t %s</text>'
               % (left + pw + 4, y + 4, fmt_num(threshold * 1e3) + " ms"))
    for k in keys:
        bottom.line(out, [(t, v) for t, v in p99.get(k, []) if v > 0], *style[k])
    out.append('<text x="%d" y="%d" class="xlabel">time (UTC)</text>'
               % (left + pw / 2, 390 + 200 + 36))
    lx, ly = left + pw + 24, 70
    out.append('<text x="%d" y="%d" class="legendhead">task_type, pid</text>' % (lx, ly))
    out.append('<text x="%d" y="%d" class="note">(top: those with slow polls)</text>'
               % (lx, ly + 14))
    ly += 14
    for i, k in enumerate(keys):
        y = ly + 22 + 17 * i
        colour, dash = style[k]
        out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s"%s class="series"/>'
                   % (lx, lx + 30, y - 4, y - 4, colour,
                      ' stroke-dasharray="%s"' % dash if dash else ""))
        out.append('<text x="%d" y="%d" class="legend">%s  pid %s</text>'
                   % (lx + 38, y, esc(k[0]), esc(k[1])))
    for i, line in enumerate(note):
        out.append('<text x="%d" y="%d" class="note">%s</text>' % (left, 660 + 16 * i, esc(line)))
    H = 660 + 16 * len(note) + 10
    head = ('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
            'viewBox="0 0 %d %d" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n'
            '<style>\n'
            '.frame{fill:none;stroke:#444;stroke-width:1}\n'
            '.grid{stroke:#ddd;stroke-width:1}\n'
            '.series{fill:none;stroke-width:2}\n'
            '.title{font-size:14px;font-weight:bold;fill:#222}\n'
            '.ytick{font-size:11px;text-anchor:end;fill:#333}\n'
            '.xtick{font-size:11px;text-anchor:middle;fill:#333}\n'
            '.unit,.xlabel{font-size:12px;text-anchor:middle;fill:#333}\n'
            '.legendhead{font-size:12px;font-weight:bold;fill:#222}\n'
            '.legend{font-size:11px;fill:#222}\n'
            '.note{font-size:11px;fill:#555}\n'
            '.threshold{stroke:#888;stroke-width:1;stroke-dasharray:4,3}\n'
            '</style>\n<rect width="100%%" height="100%%" fill="white"/>\n' % (W, H, W, H))
    return head + "\n".join(out) + "\n</svg>\n"


# ----------------------------------------------------------------- main ---

def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=180, help="scraped time (default 180)")
    ap.add_argument("--cattop", default=os.path.join(ROOT, "build", "cattop"))
    ap.add_argument("--threshold", default="1ms", help="cattop -t (default 1ms)")
    ap.add_argument("--step", type=float, default=2, help="query_range step, seconds")
    ap.add_argument("-o", "--output",
                    default=os.path.join(ROOT, "screenshots", "prometheus-slow-polls.svg"))
    ap.add_argument("--json", help="also write what Prometheus answered to this file")
    ap.add_argument("--scrape", help="also write cattop's last /metrics text to this file")
    ap.add_argument("--queries", help="also write the answers of the README's PromQL "
                    "queries at the end of the run to this file")
    return ap.parse_args()


def start_all(a, procs, tmp):
    """Two wl-tokio, one cattop on both, prometheus scraping it: (pids,
    prometheus port, cattop's port) once it has polls from both."""
    pids = [start_workload(procs), start_workload(procs)]
    port = free_port()
    p = procs.start([a.cattop, "--listen", "127.0.0.1:%d" % port,
                     "-p", ",".join(map(str, pids)), "-t", a.threshold],
                    stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "cattop.err"), "w"))
    p.is_cattop = True
    log("wl-tokio pids %s, cattop on port %d" % (pids, port))
    prom = start_prometheus(procs, ["127.0.0.1:%d" % port], tmp)

    def both_up():
        polls = api(prom, "query", query="cattop_polls_total")
        return {r["metric"].get("pid") for r in polls} >= set(map(str, pids))
    if not wait_for(both_up, 180):
        raise SystemExit("prometheus never had polls from both processes")
    return pids, prom, port


# The README's questions: which task type has slow polls, and where.
README_QUERIES = [
    "topk(5, rate(cattop_slow_polls_total[1m]))",
    "sum by (task_type) (rate(cattop_slow_polls_total[1m])) > 0",
    "sum by (task_type, pid) (rate(cattop_slow_polls_total[5m])) > 0",
    "rate(cattop_slow_polls_total[1m]) / rate(cattop_polls_total[1m]) > 0.5",
    "histogram_quantile(0.99, sum by (task_type, le) "
    "(rate(cattop_poll_duration_seconds_bucket[1m])))",
    "rate(cattop_cpu_seconds_total[1m])",
]


def write_answers(prom, path):
    with open(path, "w") as f:
        for q in README_QUERIES:
            f.write(q + "\n")
            for r in api(prom, "query", query=q):
                labels = {k: v for k, v in r["metric"].items() if k != "job"}
                f.write("  %s  %s\n" % (json.dumps(labels, sort_keys=True), r["value"][1]))
            f.write("\n")


def make_note(a, prom, t0, quiet):
    ups = {r["metric"]["instance"]: r["value"][1] for r in api(prom, "query", query="up")}
    return ["Debian's prometheus %s scraping one `cattop --listen ... -p A,B -t %s` on two "
            "wl-tokio processes every 1 s, %s UTC." % (prom_version(), a.threshold,
                                             time.strftime("%Y-%m-%d", time.gmtime(t0))),
            "query_range step %gs; the rates ramp up over the first minute, until the [1m] "
            "window is full." % a.step,
            "No slow polls at all (flat at 0, not drawn on top): %s." % (
                ", ".join(sorted({k[0].split("::")[-1] for k in quiet})) or "none"),
            "Made by bench/prometheus_plot.py; up = %s." % ", ".join(
                "%s %s" % kv for kv in sorted(ups.items()))]


def main():
    a = parse_args()
    for path in (a.cattop, WL_TOKIO):
        if not os.path.exists(path):
            raise SystemExit("%s: not built (make, make workloads)" % path)
    procs = Procs()
    tmp = tempfile.mkdtemp(prefix="cattop-promplot-")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(130))
    try:
        pids, prom, port = start_all(a, procs, tmp)
        t0 = time.time()
        log("both scraped at %s UTC; %d s to go" % (time.strftime("%H:%M:%S", time.gmtime(t0)),
                                                   a.seconds))
        time.sleep(a.seconds)
        t1 = time.time()
        dead = [p.args[0] for p in procs.procs if p.poll() is not None]
        if dead:
            raise SystemExit("exited during the run: %s" % dead)
        if a.scrape:
            status, text = get("http://127.0.0.1:%d/metrics" % port)
            with open(a.scrape, "w") as f:
                f.write(text)
        if a.queries:
            write_answers(prom, a.queries)
        slow = query_range(prom, SLOW, t0, t1, a.step)
        p99 = query_range(prom, P99, t0, t1, a.step)
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"start": t0, "end": t1,
                           "slow": {"%s %s" % k: v for k, v in slow.items()},
                           "p99": {"%s %s" % k: v for k, v in p99.items()}}, f)
        quiet = sorted(k for k, pts in slow.items() if not any(v > 0 for _, v in pts))
        slow = {k: pts for k, pts in slow.items() if any(v > 0 for _, v in pts)}
        if not slow:
            raise SystemExit("no series with slow polls: nothing to draw")
        p99 = {k: pts for k, pts in p99.items() if pts}
        threshold = float(api(prom, "query", query="cattop_slow_poll_threshold_seconds")
                          [0]["value"][1])
        with open(a.output, "w") as f:
            f.write(render(slow, p99, t0, t1, threshold, make_note(a, prom, t0, quiet)))
        for k in sorted(slow):
            vals = [v for _, v in slow[k]]
            tail = [v for _, v in p99.get(k, [])][-1:] or [float("nan")]
            log("  %-28s pid %s: slow/s max %.2f last %.2f; p99 last %.3g ms"
                % (k[0], k[1], max(vals), vals[-1], tail[0] * 1e3))
        log("wrote %s" % a.output)
        return 0
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


def prom_version():
    try:
        r = subprocess.run([shutil.which("prometheus") or "/usr/bin/prometheus", "--version"],
                           capture_output=True, text=True, timeout=10)
        return (r.stdout + r.stderr).split()[2]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


if __name__ == "__main__":
    sys.exit(main())
