"""The metrics endpoint (--listen, issue #18): cattop serves the Prometheus
text format at /metrics, headless. A strict reader checks the format of a
real scrape; Debian's own Prometheus server scrapes two cattops attached to
two wl-tokio processes, and its query API must show the slow task type's
slow polls in both, per pid, and none for the healthy one."""
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from harness import (CheckFailed, Workload, check, popen_cattop, run_cattop,
                     uprobe_multi_links, wait_for)

CRATE = "wl_tokio"
# spinner_task's polls spin 3 ms of CPU time: over 2.5 ms, always.
# fast_task's (a 1 ms timer and a sum) take ~50-250 us; on a loaded machine
# one now and then takes over 1 ms (1.6 ms at most in 60 s of a loaded
# run, 21647 polls), so a 1 ms threshold would not do.
THRESHOLD = ["-t", "2500us"]


def healthy(slow, polls):
    """A healthy type's slow polls: none to speak of. Under heavy load (CI
    beside other jobs) one of fast_task's thousands of polls now and then
    counts over 2.5 ms of its own time (blocked in the kernel, or the
    thread clock's split off by a preemption), so "none" is at most a
    hundredth of its polls and no more than 2; spinner_task's are all slow."""
    return polls > 0 and (slow <= 2 or slow * 100 <= polls)
# No wedge: a 6 s poll on one worker is not what these tests look at.
WORKLOAD_ARGS = ["--seconds", "900", "--wedge-after-ms", "100000000"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, timeout=10):
    """(status, body text) of a GET; status None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode("utf-8"), r.headers.get("Content-Type")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode("utf-8", "replace"), e.headers.get("Content-Type")
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return None, "", None


# ------------------------------------------------------------ the format ---

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*$")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|\})')
SUFFIXES = {"histogram": ("_bucket", "_sum", "_count")}


def unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


def parse_sample(line):
    """(name, {label: value}, float value) of a sample line, strictly."""
    brace = line.find("{")
    if brace < 0:
        name, _, rest = line.partition(" ")
        labels = {}
    else:
        name, rest, labels = line[:brace], line[brace + 1:], {}
        while True:
            m = LABEL.match(rest)
            if not m:
                raise CheckFailed("bad labels in %r" % line)
            check(m.group(1) not in labels, "label %s twice in %r" % (m.group(1), line))
            labels[m.group(1)] = unescape(m.group(2))
            rest = rest[m.end():]
            if m.group(3) == "}":
                break
        check(rest.startswith(" "), "no value in %r" % line)
        rest = rest[1:]
    check(NAME.match(name) is not None, "bad metric name in %r" % line)
    check(" " not in rest, "a timestamp or junk after the value in %r" % line)
    return name, labels, float(rest)


def family_of(name, types):
    """The family a sample belongs to: itself, or a histogram's."""
    if name in types:
        return name
    for suffix in SUFFIXES["histogram"]:
        if name.endswith(suffix) and types.get(name[:-len(suffix)]) == "histogram":
            return name[:-len(suffix)]
    raise CheckFailed("sample %s has no TYPE line before it" % name)


def check_histograms(samples, types):
    """Buckets cumulative in le, ending at +Inf, which equals _count."""
    series = {}
    for name, labels, value in samples:
        fam = family_of(name, types)
        if types[fam] != "histogram":
            continue
        key = (fam, tuple(sorted((k, v) for k, v in labels.items() if k != "le")))
        h = series.setdefault(key, {"buckets": [], "sum": None, "count": None})
        if name.endswith("_bucket"):
            h["buckets"].append((float(labels["le"]), value))
        else:
            h[name[len(fam) + 1:]] = value
    for key, h in series.items():
        les = [le for le, _ in h["buckets"]]
        counts = [c for _, c in h["buckets"]]
        check(les == sorted(les) and len(set(les)) == len(les), "%s: le not increasing" % (key,))
        check(les and les[-1] == float("inf"), "%s: no +Inf bucket" % (key,))
        check(counts == sorted(counts), "%s: buckets not cumulative: %s" % (key, counts))
        check(h["count"] == counts[-1], "%s: _count %s != +Inf %s" % (key, h["count"], counts[-1]))
        check(h["sum"] is not None and h["sum"] >= 0, "%s: no _sum" % (key,))
    return series


def parse_exposition(text):
    """Every sample of text, after checking it as Prometheus would and
    more: each family has HELP then TYPE before its samples, its samples
    together, counters named _total, no sample twice."""
    helps, types, samples, seen, done = {}, {}, [], set(), set()
    current = None
    check(text.endswith("\n"), "the text does not end with a newline")
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            name, _, help_ = line[7:].partition(" ")
            check(name not in helps and help_, "HELP of %s twice or empty" % name)
            helps[name] = help_
            continue
        if line.startswith("# TYPE "):
            name, _, typ = line[7:].partition(" ")
            check(name in helps, "TYPE of %s before its HELP" % name)
            check(name not in types, "TYPE of %s twice" % name)
            check(typ in ("counter", "gauge", "histogram"), "type %r of %s" % (typ, name))
            check(typ != "counter" or name.endswith("_total"), "counter %s without _total" % name)
            check(name.startswith("cattop_"), "%s is not cattop_-prefixed" % name)
            types[name] = typ
            if current:
                done.add(current)
            current = name
            continue
        check(not line.startswith("#") and line, "stray line %r" % line)
        name, labels, value = parse_sample(line)
        fam = family_of(name, types)
        check(fam == current and fam not in done, "sample of %s away from its family" % fam)
        key = (name, tuple(sorted(labels.items())))
        check(key not in seen, "sample %s twice" % (key,))
        seen.add(key)
        check(set(labels) <= {"pid", "process", "task_type", "state", "le", "mode",
                                "duty_pct"},
              "unexpected labels %s" % sorted(labels))
        samples.append((name, labels, value))
    check_histograms(samples, types)
    return samples, types


def value_of(samples, name, **labels):
    vals = [v for n, l, v in samples if n == name and all(l.get(k) == w for k, w in labels.items())]
    check(len(vals) == 1, "%s %s: %d samples" % (name, labels, len(vals)))
    return vals[0]


def counters(samples, types):
    """{(name, labels): value} of every counter and histogram series."""
    out = {}
    for name, labels, value in samples:
        fam = family_of(name, types)
        if types[fam] in ("counter", "histogram"):
            out[(name, tuple(sorted(labels.items())))] = value
    return out


def check_running(p):
    if p.poll() is not None:
        raise CheckFailed("cattop exited %d: %s" % (p.returncode, p.stderr.read().strip()))


def scrape(port):
    status, body, ctype = get("http://127.0.0.1:%d/metrics" % port)
    return body if status == 200 else None, ctype


def test_metrics_format():
    """A plain scrape, from the config's listen key (headless: no table on
    stdout): strict format, the process's labels, the exporter's default
    mode (duty-cycled, 10 %: the traced time about a tenth of the wall
    time), slow polls where the workload has them, counters that never go
    down while short_lived tasks end and are pruned (retain_done 200ms, at
    most 5 kept)."""
    port = free_port()
    tmp = tempfile.mkdtemp(prefix="cattop-metrics-")
    cfg = os.path.join(tmp, "exporter.ini")
    with open(cfg, "w") as f:
        f.write("[cattop]\nlisten = 127.0.0.1:%d\nretain_done = 200ms\nmax_done_tasks = 5\n"
                "interval = 300ms\n" % port)
    try:
        with Workload("tokio", args=WORKLOAD_ARGS) as w:
            p = popen_cattop(["-c", cfg, "-p", str(w.pid), *THRESHOLD])
            spinner = {"pid": str(w.pid), "task_type": CRATE + "::spinner_task"}

            def slow_seen():
                text, _ = scrape(port)
                if not text or p.poll() is not None:
                    return None
                samples, types = parse_exposition(text)
                found = [v for n, l, v in samples if n == "cattop_slow_polls_total"
                         and l.get("task_type") == spinner["task_type"]]
                return (text, samples, types) if found and found[0] >= 3 else None

            got = wait_for(slow_seen, 120, 0.2)
            check_running(p)
            check(got, "no slow polls of spinner_task in the metrics within 120 s")
            text, samples, types = got
            _, ctype = scrape(port)
            check(ctype.startswith("text/plain; version=0.0.4"), "Content-Type %r" % ctype)
            check(value_of(samples, "cattop_info", pid=str(w.pid), process="wl-tokio",
                           mode="duty", duty_pct="10") == 1, "cattop_info")
            traced0, wall0 = value_of(samples, "cattop_traced_seconds_total"), time.monotonic()
            check(traced0 > 0, "nothing traced")
            check(value_of(samples, "cattop_slow_poll_threshold_seconds") == 0.0025, "threshold")
            fast = value_of(samples, "cattop_slow_polls_total", task_type=CRATE + "::fast_task")
            fast_polls = value_of(samples, "cattop_polls_total", task_type=CRATE + "::fast_task")
            check(healthy(fast, fast_polls), "fast_task has %d slow polls in %d" % (fast, fast_polls))
            check(value_of(samples, "cattop_polls_total", task_type=CRATE + "::fast_task") > 0,
                  "fast_task not polled")
            # spinner's polls (3 ms) are all slow, none under 1.05 ms
            under_1ms = value_of(samples, "cattop_poll_duration_seconds_bucket",
                                 le="0.001048576", **spinner)
            count = value_of(samples, "cattop_poll_duration_seconds_count", **spinner)
            slow = value_of(samples, "cattop_slow_polls_total", **spinner)
            check(under_1ms == 0 and slow >= count - 1, "spinner: %d of %d polls under 1ms, "
                  "%d slow" % (under_1ms, count, slow))
            check(value_of(samples, "cattop_cpu_seconds_total") > 0, "no CPU time of cattop")
            # blocker_task sleeps 2 ms in its polls: most of its time is
            # blocked; the spinner never sleeps
            blocker = {"task_type": CRATE + "::blocker_task"}
            blocked = value_of(samples, "cattop_blocked_seconds_total", **blocker)
            busy = value_of(samples, "cattop_busy_seconds_total", **blocker)
            check(blocked > 0 and blocked >= 0.6 * busy, "blocker: blocked %s of busy %s"
                  % (blocked, busy))
            spin_blocked = value_of(samples, "cattop_blocked_seconds_total", **spinner)
            spin_busy = value_of(samples, "cattop_busy_seconds_total", **spinner)
            check(spin_blocked <= 0.05 * spin_busy, "spinner: blocked %s of busy %s"
                  % (spin_blocked, spin_busy))
            check(value_of(samples, "cattop_events_lost_total") == 0, "events lost")
            # counters only go up, over refreshes where short_lived tasks are
            # pruned (at least 3 refreshes; duty-cycled, short_lived tasks are
            # seen in the windows only: as many as it takes to see 6 more
            # than the model keeps)
            short = CRATE + "::short_lived"

            def pruned(samples):
                seen = value_of(samples, "cattop_tasks_seen_total", task_type=short)
                kept = sum(v for n, l, v in samples
                           if n == "cattop_tasks" and l["task_type"] == short)
                return seen, kept, seen > kept + 5

            before, last = counters(samples, types), text
            deadline = time.monotonic() + 90
            for i in itertools.count():
                if i >= 3 and (pruned(samples)[2] or time.monotonic() > deadline):
                    break
                new = wait_for(lambda: (lambda t: t if t and t != last else None)(scrape(port)[0]),
                               30)
                check(new, "the metrics did not change over 30 s of refreshes")
                samples, types = parse_exposition(new)
                now = counters(samples, types)
                down = {k: (before[k], v) for k, v in now.items() if k in before and v < before[k]}
                check(not down, "counters went down: %s" % down)
                before, last = now, new
            seen, kept, ok = pruned(samples)
            check(ok, "short_lived: %d seen, %d in the model: none pruned?" % (seen, kept))
            # traced about a tenth of the time, over 4 s at least (the first
            # window's start depends on how long the attach took)
            wait_for(lambda: time.monotonic() - wall0 >= 4, 10, 0.2)
            samples, _ = parse_exposition(wait_for(lambda: scrape(port)[0], 30))
            traced = value_of(samples, "cattop_traced_seconds_total") - traced0
            wall = time.monotonic() - wall0
            check(0 < traced <= 0.25 * wall, "traced %.3f s of %.1f s: not duty-cycled"
                  % (traced, wall))
            check(scrape(port)[0] is not None and get("http://127.0.0.1:%d/" % port)[0] == 404,
                  "/ is not a 404")
            p.send_signal(2)
            out, err = p.communicate(timeout=60)
            check(p.returncode == 0, "cattop exited %d: %s" % (p.returncode, err.strip()))
            check(out == "", "headless cattop printed %r" % out[:200])
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_metrics_light():
    """--light with --listen: the tasks by state of every type, and no poll
    sample at all (light mode counts no polls: unknown, not 0)."""
    port = free_port()
    with Workload("tokio", args=WORKLOAD_ARGS) as w:
        p = popen_cattop(["--light", "--listen", "127.0.0.1:%d" % port, "-p", str(w.pid),
                          "-d", "0.3"])

        def walked():
            text, _ = scrape(port)
            if not text:
                check_running(p)
                return None
            samples, types = parse_exposition(text)
            idle = [v for n, l, v in samples if n == "cattop_tasks" and l["state"] == "idle"
                    and l["task_type"] == CRATE + "::parked_task"]
            return (samples, types) if idle and idle[0] == 1 else None

        got = wait_for(walked, 120, 0.2)
        check(got, "light mode: parked_task never idle in the metrics")
        samples, types = got
        check(value_of(samples, "cattop_info", mode="light") == 1, "mode is not light")
        polled = [n for n, _, _ in samples if n.startswith(("cattop_polls", "cattop_slow_polls",
                                                            "cattop_busy", "cattop_poll_"))]
        check(not polled, "light mode exported poll samples: %s" % sorted(set(polled)))
        check(types.get("cattop_slow_polls_total") == "counter", "family not declared")
        check(not uprobe_multi_links(w.pid), "light mode probed the target")
        p.send_signal(2)
        _, err = p.communicate(timeout=60)
        check(p.returncode == 0, "cattop exited %d: %s" % (p.returncode, err.strip()))


def test_metrics_bad_input():
    """A bad address, or a port in use: one line, non-zero, the target
    never probed (the socket is bound before attaching)."""
    with Workload("tokio", args=WORKLOAD_ARGS) as w:
        for bad in ("nonsense", "127.0.0.1:0", "127.0.0.1:99999", "1.2.3:80", "[::1]"):
            r = run_cattop(["--listen", bad, "-p", str(w.pid)])
            check(r.returncode == 2, "--listen %s: exit %d" % (bad, r.returncode))
            check(r.stderr.count("\n") == 1 and "bad listen address" in r.stderr,
                  "--listen %s: %r" % (bad, r.stderr))
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen(1)
            port = busy.getsockname()[1]
            r = run_cattop(["--listen", "127.0.0.1:%d" % port, "-p", str(w.pid)])
            check(r.returncode == 1, "port in use: exit %d" % r.returncode)
            check(r.stderr == "cattop: cannot listen on 127.0.0.1:%d: Address already in use\n"
                  % port, "port in use: %r" % r.stderr)
        check(not uprobe_multi_links(w.pid), "the target was probed")
        check(w.alive(), "the target died")


# ------------------------------------------------------------ Prometheus ---

class Prometheus:
    """Debian's prometheus on loopback, its storage in a temporary
    directory, scraping targets every second."""

    def __init__(self, targets):
        self.dir = tempfile.mkdtemp(prefix="cattop-prometheus-")
        self.port = free_port()
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: cattop\n    static_configs:\n"
                    "      - targets: [%s]\n" % ", ".join("'%s'" % t for t in targets))
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            [shutil.which("prometheus") or "/usr/bin/prometheus", "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir)
        ready = wait_for(lambda: self.proc.poll() is not None or
                         get("http://127.0.0.1:%d/-/ready" % self.port)[0] == 200, 120, 0.2)
        if self.proc.poll() is not None or not ready:
            raise CheckFailed("prometheus did not start: %s" % self.tail())

    def tail(self):
        self.log.flush()
        with open(os.path.join(self.dir, "log")) as f:
            return f.read()[-2000:]

    def query(self, promql):
        """[(labels, value)] of an instant query."""
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.port, urllib.parse.urlencode({"query": promql}))
        status, body, _ = get(url)
        check(status == 200, "query %s: HTTP %s %s" % (promql, status, body[:300]))
        data = json.loads(body)
        check(data["status"] == "success", "query %s: %s" % (promql, data))
        return [(r["metric"], float(r["value"][1])) for r in data["data"]["result"]]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def test_metrics_prometheus():
    """Two wl-tokio processes, a cattop on each (two ports: one in the
    exporter's default duty-cycled mode, one with --duty 100, the probes in
    all the time), one Prometheus scraping both: spinner_task's slow polls
    > 0 in each pid, fast_task's 0 in each, and the README's topk query
    names spinner_task in each."""
    with Workload("tokio", args=WORKLOAD_ARGS) as w1, Workload("tokio", args=WORKLOAD_ARGS) as w2:
        ports = [free_port(), free_port()]
        cattops = [popen_cattop(["--listen", "127.0.0.1:%d" % port, "-p", str(w.pid),
                                 "-d", "0.5", *THRESHOLD, *mode])
                   for w, port, mode in zip((w1, w2), ports, ([], ["--duty", "100"]))]
        prom = Prometheus(["127.0.0.1:%d" % p for p in ports])
        pids = {str(w1.pid), str(w2.pid)}
        try:
            def per_pid(promql):
                res = prom.query(promql)
                return {m.get("pid"): v for m, v in res}

            spin = 'cattop_slow_polls_total{task_type=~".*spinner_task"}'
            slow = wait_for(lambda: (lambda r: r if set(r) == pids and min(r.values()) > 0
                                     else None)(per_pid(spin)), 180, 0.5)
            for p in cattops:
                check_running(p)
            check(slow, "Prometheus never had spinner_task slow polls in both pids: %s; "
                  "up: %s" % (per_pid(spin), prom.query("up")))
            # each sample came from the cattop attached to that pid
            for m, _ in prom.query(spin):
                port = ports[0] if m["pid"] == str(w1.pid) else ports[1]
                check(m["instance"] == "127.0.0.1:%d" % port and m["process"] == "wl-tokio",
                      "series %s" % m)
            fast = per_pid('cattop_slow_polls_total{task_type=~".*fast_task"}')
            polled = per_pid('cattop_polls_total{task_type=~".*fast_task"}')
            check(set(fast) == pids and set(polled) == pids and
                  all(healthy(fast[p], polled[p]) for p in pids),
                  "fast_task slow polls per pid: %s of %s" % (fast, polled))
            # the README's question: which task type has slow polls, where
            # (a rate needs two scrapes of a series: the later cattop's may lag)
            want = {(pid, CRATE + "::spinner_task") for pid in pids}

            def slow_rates():
                top = prom.query("topk(10, rate(cattop_slow_polls_total[1m]))")
                rates = {(m.get("pid"), m.get("task_type")): v for m, v in top if v > 0}
                return rates if want <= set(rates) else None

            rates = wait_for(slow_rates, 60, 0.5)
            check(rates, "topk never named spinner_task in both pids")
            for pid in pids:
                # fast_task at most a stray poll (healthy()): far below the spinner
                spin_rate = rates[(pid, CRATE + "::spinner_task")]
                check(rates.get((pid, CRATE + "::fast_task"), 0) * 20 < spin_rate,
                      "topk: %s" % sorted(rates.items()))
            modes = {m["pid"]: m["mode"] for m, _ in prom.query("cattop_info")}
            check(modes == {str(w1.pid): "duty", str(w2.pid): "probes"}, "modes %s" % modes)
            ups = {m["instance"]: v for m, v in prom.query("up")}
            check(sorted(ups.values()) == [1, 1], "up: %s" % ups)
        finally:
            prom.stop()
            for p in cattops:
                p.send_signal(2)
            for p in cattops:
                out, err = p.communicate(timeout=60)
                check(p.returncode == 0, "cattop exited %d: %s" % (p.returncode, err.strip()))


def test_metrics_prometheus_several():
    """One cattop on two wl-tokio processes (-p A,B, the exporter's default
    duty-cycled mode), Prometheus scraping its one endpoint: spinner_task
    has slow polls in both pids and fast_task none, every series from the
    one instance, cattop's own cost once."""
    with Workload("tokio", args=WORKLOAD_ARGS) as w1, Workload("tokio", args=WORKLOAD_ARGS) as w2:
        port = free_port()
        p = popen_cattop(["--listen", "127.0.0.1:%d" % port, "-p", "%d,%d" % (w1.pid, w2.pid),
                          "-d", "0.5", *THRESHOLD])
        prom = Prometheus(["127.0.0.1:%d" % port])
        pids = {str(w1.pid), str(w2.pid)}
        try:
            def per_pid(promql):
                return {m.get("pid"): v for m, v in prom.query(promql)}

            spin = 'cattop_slow_polls_total{task_type=~".*spinner_task"}'
            slow = wait_for(lambda: (lambda r: r if set(r) == pids and min(r.values()) > 0
                                     else None)(per_pid(spin)), 180, 0.5)
            check_running(p)
            check(slow, "Prometheus never had spinner_task slow polls in both pids: %s; "
                  "up: %s" % (per_pid(spin), prom.query("up")))
            for m, _ in prom.query(spin):
                check(m["instance"] == "127.0.0.1:%d" % port and m["process"] == "wl-tokio",
                      "series %s" % m)
            fast = per_pid('cattop_slow_polls_total{task_type=~".*fast_task"}')
            polled = per_pid('cattop_polls_total{task_type=~".*fast_task"}')
            check(set(fast) == pids and set(polled) == pids and
                  all(healthy(fast[p], polled[p]) for p in pids),
                  "fast_task slow polls per pid: %s of %s" % (fast, polled))
            modes = {m["pid"]: m["mode"] for m, _ in prom.query("cattop_info")}
            check(modes == {str(w1.pid): "duty", str(w2.pid): "duty"}, "modes %s" % modes)
            cost = prom.query("cattop_cpu_seconds_total")
            check(len(cost) == 1 and "pid" not in cost[0][0], "cattop's cost: %s" % cost)
            # the README's "where": per task type, the pids it is slow in
            where = prom.query('sum by (task_type, pid) (cattop_slow_polls_total) > 0')
            slow_in = {(m["task_type"], m["pid"]) for m, _ in where}
            check({(CRATE + "::spinner_task", pid) for pid in pids} <= slow_in, "where: %s"
                  % slow_in)
            # the README's rate per traced second: a series per type and pid
            per_traced = wait_for(lambda: (lambda r: r if {m.get("pid") for m, v in r if v > 0
                                                           and "spinner" in m["task_type"]}
                                           == pids else None)(prom.query(
                'rate(cattop_slow_polls_total[1m]) / ignoring(task_type) group_left '
                'rate(cattop_traced_seconds_total[1m])')), 60, 0.5)
            check(per_traced, "slow polls per traced second never had spinner_task in both pids")
        finally:
            prom.stop()
            p.send_signal(2)
            out, err = p.communicate(timeout=60)
            check(p.returncode == 0, "cattop exited %d: %s" % (p.returncode, err.strip()))


TESTS = [test_metrics_bad_input, test_metrics_format, test_metrics_light, test_metrics_prometheus,
         test_metrics_prometheus_several]
