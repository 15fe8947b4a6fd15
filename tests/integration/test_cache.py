"""The site cache: a second attach to the same build reads its sites from
~/.cache/cattop instead of scanning, gives the same sites, and a cache file
that was tampered with or that others could write is not used."""
import glob
import json
import os
import tempfile

import harness
from harness import Workload, check, run_cattop


def probes(pid, env, extra=()):
    r = run_cattop(["-p", str(pid), "-b", "-n", "1", "-d", "0.5", "--snapshot", "-", *extra],
                   env=env)
    check(r.returncode == 0, "cattop exited %d: %s" % (r.returncode, r.stderr.strip()))
    snap = json.loads(r.stdout[r.stdout.index("\n{") + 1:])
    return snap["probes"], snap


def test_site_cache():
    with tempfile.TemporaryDirectory() as d, \
            Workload("tokio", args=["--seconds", "120", "--wedge-after-ms", "600000"]) as w:
        env = dict(os.environ, XDG_CACHE_HOME=d)
        first, _ = probes(w.pid, env)
        second, _ = probes(w.pid, env)
        check(not first["cached"] and second["cached"], "cached: %s then %s"
              % (first["cached"], second["cached"]))
        same = ("task_poll", "task_end", "futures", "attached", "dwarf", "single_step")
        check(all(first[k] == second[k] for k in same), "cached sites differ: %s vs %s"
              % (first, second))
        # no timing ratio (a loaded machine stretches either run): the cached
        # run must not be slower than the scan it replaces
        check(second["scan_ns"] < first["scan_ns"], "the cache saves no time: %d vs %d ns"
              % (second["scan_ns"], first["scan_ns"]))
        check(probes(w.pid, env, ["--no-cache"])[0]["cached"] is False, "--no-cache used it")

        cache = glob.glob(os.path.join(d, "cattop", "*.sites"))
        check(len(cache) == 1 and os.stat(cache[0]).st_mode & 0o777 == 0o600,
              "cache file: %s" % cache)
        os.chmod(cache[0], 0o666)
        check(not probes(w.pid, env)[0]["cached"], "a world-writable cache was trusted")
        # a cache whose first site points one byte into its function (a probe
        # there would land inside an instruction) is refused, not followed
        check(probes(w.pid, env)[0]["cached"], "the rewritten cache is not used")
        cache = glob.glob(os.path.join(d, "cattop", "*.sites"))
        with open(cache[0], "rb") as f:
            data = bytearray(f.read())
        pos = 8 + 8 + 16 + 16
        for _ in range(2):  # runtime name, app crate
            pos += 4 + int.from_bytes(data[pos:pos + 4], "little")
        pos += 8 + 8 + 8 + 8 + 8  # rust_symbols, dwarf_used, count, flags, addr
        off = int.from_bytes(data[pos:pos + 8], "little")
        data[pos:pos + 8] = (off + 1).to_bytes(8, "little")
        with open(cache[0], "wb") as f:
            f.write(bytes(data))
        check(not probes(w.pid, env)[0]["cached"], "a cache pointing inside a function was used")
        check(w.alive(), "the target died")


TESTS = [test_site_cache]
