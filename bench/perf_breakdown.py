#!/usr/bin/env python3
"""Where a probe hit's time goes, from perf: the server under the bench client,
traced by cattop, sampled with call graphs (perf record -g, cpu-clock), and
each sample of the server put in one bucket by the kernel functions on its
stack:

  uprobe entry   the breakpoint trap and the uprobe's handling (exc_int3,
                 uprobe_notify_resume, handle_swbp, emulating the first
                 instruction, or single-stepping it out of line: the debug
                 trap, exc_debug, arch_uprobe_post_xol)
  uprobe return  the return trampoline (the uretprobe syscall or trap)
  bpf            of those, the time inside cattop's BPF programs (their own
                 code, helpers and the ring buffer): a subset of the two above
  other kernel   everything else in the kernel (network, scheduler)
  user           the server's own code

Run as root: python3 bench/perf_breakdown.py [--build release] [--mode tasks-only]
"""
import argparse
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402

ENTRY = ("exc_int3", "exc_debug", "handle_swbp", "uprobe", "xol", "handler_chain",
         "noist_exc_debug", "handle_singlestep")
RETURN = ("uprobe_handle_trampoline", "__x64_sys_uretprobe", "__do_sys_uretprobe",
          "arch_uretprobe_hijack_return_addr")
BPF = ("uprobe_prog_run", "bpf_prog_", "bpf_ringbuf", "__bpf_ringbuf", "bpf_probe_read_user",
       "bpf_get_attach_cookie", "bpf_ktime_get_ns")
MODES = {"tasks-only": ["--tasks-only"], "focus": ["--focus", "*::handle_request"], "full": []}


def samples(perf_data, pid):
    """(stack symbol list) per sample of pid, from perf script."""
    out = subprocess.run(["perf", "script", "-i", perf_data, "--pid", str(pid), "-F",
                          "pid,ip,sym"], capture_output=True, text=True).stdout
    stack = []
    for line in out.splitlines() + [""]:
        if not line.strip():
            if stack:
                yield stack
            stack = []
        elif line[:1].isspace():
            parts = line.split(None, 1)
            stack.append(parts[1] if len(parts) > 1 else "")
        else:
            stack = [line]


def bucket(stack):
    """(bucket, inside cattop's BPF programs) of one sample's stack."""
    syms = stack[1:]

    def has(names):
        return any(n in s for s in syms for n in names)

    in_bpf = has(BPF)
    if has(RETURN):
        return "uprobe return", in_bpf
    if has(ENTRY):
        return "uprobe entry", in_bpf
    if has(("entry_SYSCALL", "asm_", "irq", "__x64_sys", "do_syscall")):
        return "other kernel", False
    return "user", False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cattop", default=os.path.join(bl.ROOT, "build", "cattop"))
    ap.add_argument("--runtime", default="tokio")
    ap.add_argument("--build", default="release")
    ap.add_argument("--mode", default="tasks-only", choices=sorted(MODES))
    ap.add_argument("--seconds", type=float, default=4)
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("perf_breakdown.py: needs root", file=sys.stderr)
        return 2
    bl.install_cleanup()
    workdir = bl.make_workdir()
    srv = bl.Server(bl.binary(a.build, bl.SERVERS[a.runtime]), workdir=workdir)
    ct = bl.Cattop(a.cattop, srv.pid, MODES[a.mode], workdir)
    ct.wait_attached(2 if a.mode == "focus" else 1)
    client = subprocess.Popen([bl.client_binary(), "--port", str(srv.port), "--requests",
                               "100000000", "--concurrency", "8"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(1)
    data = os.path.join(workdir, "perf.data")
    subprocess.run(["perf", "record", "-q", "-g", "-e", "cpu-clock", "-F", "4999", "-o", data,
                    "-p", str(srv.pid), "--", "sleep", str(a.seconds)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client.kill()
    client.wait()
    counts, bpf, total = {}, 0, 0
    for st in samples(data, srv.pid):
        b, in_bpf = bucket(st)
        counts[b] = counts.get(b, 0) + 1
        bpf += in_bpf
        total += 1
    ct.stop()
    srv.stop()
    bl.cleanup_all()
    bl.finish_workdir(workdir, 0)
    print("%s / %s / %s: %d samples of the server's CPU time" % (a.runtime, a.build, a.mode,
                                                                   total))
    for b in ("user", "other kernel", "uprobe entry", "uprobe return"):
        print("  %-14s %5.1f %%" % (b, 100.0 * counts.get(b, 0) / max(total, 1)))
    print("  %-14s %5.1f %%  (part of the uprobe rows: cattop's BPF programs and ring buffer)"
          % ("bpf", 100.0 * bpf / max(total, 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
