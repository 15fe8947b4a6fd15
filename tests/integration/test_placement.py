"""Probe placement: a probe goes only where cattop has proved the function
it means starts. A debug file is used only when it is the binary's own
(same build id, or for a binary without one the CRC its .gnu_debuglink
records); one of another build is skipped with a warning when found by
itself, and an error before anything is attached when given with
--debug-file. A target that exits while cattop attaches gets the usual
"process N exited" ending.

The stale debug file is the one of the same program's other release
profile: the same code with debug = 1, laid out a few bytes apart, as after
a small rebuild."""
import json
import os
import re
import subprocess
import tempfile
import time

import harness
from harness import Workload, binary, check, run_cattop, uprobe_multi_links


def objcopy(*args):
    subprocess.run(["objcopy", *args], check=True, capture_output=True)


def keep_debug(exe, out):
    """What `objcopy --only-keep-debug` makes: a debug file of exe's build."""
    objcopy("--only-keep-debug", exe, out)
    return out


def stale_debug_file(d):
    """wl-tokio.debug from another build of wl-tokio."""
    return keep_debug(binary("tokio", "release"), os.path.join(d, "wl-tokio.debug"))


def with_debuglink(src, debug, out, strip_all=False):
    """src without its DWARF (or stripped of everything), linked to debug."""
    if strip_all:
        subprocess.run(["strip", "-o", out + ".tmp", src], check=True)
        src = out + ".tmp"
    objcopy("--strip-debug", "--add-gnu-debuglink=" + debug, src, out)
    return out


def attach_once(pid, extra=()):
    return run_cattop(["-p", str(pid), "-b", "-n", "1", "-d", "1", "--snapshot", "-", *extra])


def one_line_error(r, pattern):
    lines = r.stderr.strip().splitlines()
    check(r.returncode != 0, "exit 0: %s" % r.stderr)
    check(lines and re.search(pattern, lines[-1]) is not None,
          "stderr %r !~ %r" % (r.stderr, pattern))


def untouched(w):
    """Nothing of cattop's left on the target, and the target alive."""
    check(not uprobe_multi_links(w.pid), "uprobe_multi links left on the target")
    time.sleep(0.2)  # a probe at a wrong offset would have killed it by now
    check(w.alive(), "the target died (exit %s)" % w.proc.returncode)


def test_stale_debuglink():
    """A stale debug file found through .gnu_debuglink: said, not used; the
    binary's own symbols trace the target."""
    with tempfile.TemporaryDirectory() as d:
        stale = stale_debug_file(d)
        exe = with_debuglink(binary("tokio", "release-nodebug"), stale, os.path.join(d, "wl-tokio"))
        with Workload("tokio", exe=exe, args=["--seconds", "30"]) as w:
            r = attach_once(w.pid)
            check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
            check(re.search(r"not using the debug file %s: its build id \w+ is not the "
                            r"binary's" % re.escape(stale), r.stderr) is not None,
                  "no warning about the stale debug file: %r" % r.stderr)
            snap = harness.parse_snapshot(r.stdout)
            probes = snap["probes"]
            check(not probes["dwarf"] and "debug_file" not in probes,
                  "the stale debug file was used: %s" % probes)
            check(probes["task_poll"] > 0 and probes["attached"] > 0,
                  "not traced with the binary's symbols: %s" % probes)
            check(snap["counters"]["events"] > 0 and snap["tasks"], "nothing traced")
            check(w.alive(), "the target died")


def test_stale_debuglink_stripped():
    """Stripped, with only a stale debug file: the symbols it would give are
    another build's, so cattop refuses, before attaching anything."""
    with tempfile.TemporaryDirectory() as d:
        stale = stale_debug_file(d)
        exe = with_debuglink(binary("tokio", "release-nodebug"), stale,
                             os.path.join(d, "wl-tokio"), strip_all=True)
        with Workload("tokio", exe=exe, args=["--seconds", "30"]) as w:
            r = attach_once(w.pid)
            one_line_error(r, r"is stripped .* no debug file of its own build")
            check("not using the debug file %s" % stale in r.stderr,
                  "the stale file is not named: %r" % r.stderr)
            untouched(w)


def test_debuglink_crc():
    """A binary without a build id: its debug file must have the CRC32 its
    .gnu_debuglink records."""
    with tempfile.TemporaryDirectory() as d:
        no_id = os.path.join(d, "no-id")
        objcopy("--remove-section", ".note.gnu.build-id", binary("tokio"), no_id)
        dbg = keep_debug(no_id, os.path.join(d, "app.debug"))
        exe = with_debuglink(no_id, dbg, os.path.join(d, "app"))
        with Workload("tokio", exe=exe, args=["--seconds", "30"]) as w:
            r = attach_once(w.pid, ["--no-cache"])
            check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
            probes = harness.parse_snapshot(r.stdout)["probes"]
            check(probes["dwarf"] and probes.get("debug_file") == dbg,
                  "the matching debug file was not used: %s" % probes)
            # the same name, another build's contents
            other = os.path.join(d, "other")
            objcopy("--remove-section", ".note.gnu.build-id", binary("tokio", "release"), other)
            keep_debug(other, dbg)
            r = attach_once(w.pid, ["--no-cache"])
            check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
            check(re.search(r"not using the debug file .*CRC32 \w+ is not the \w+ the "
                            r"binary's \.gnu_debuglink records", r.stderr) is not None,
                  "no CRC warning: %r" % r.stderr)
            check(not harness.parse_snapshot(r.stdout)["probes"]["dwarf"],
                  "a debug file with the wrong CRC was used")
            one_line_error(attach_once(w.pid, ["--debug-file", dbg]), r"CRC32")
            check(w.alive(), "the target died")


def test_debug_file_of_another_program():
    """--debug-file naming another program: one-line error, non-zero exit,
    no probe attached; the target (stripped: its symbols would have come
    from that file) runs on."""
    with tempfile.TemporaryDirectory() as d:
        stripped = os.path.join(d, "wl-tokio")
        subprocess.run(["strip", "-o", stripped, binary("tokio")], check=True)
        for exe in (stripped, binary("tokio")):
            with Workload("tokio", exe=exe, args=["--seconds", "30"]) as w:
                r = attach_once(w.pid, ["--debug-file", binary("smol")])
                one_line_error(r, r"--debug-file %s is not the debug file of %s: its build id "
                               r"\w+ is not the binary's" % (re.escape(binary("smol")),
                                                             re.escape(exe)))
                check(len(r.stderr.strip().splitlines()) == 1, "more than one line: %r"
                      % r.stderr)
                untouched(w)


def test_debug_file_not_usable():
    """--debug-file of a file that is not ELF, or of the right build with no
    DWARF: said as such (not "give --debug-file")."""
    with tempfile.TemporaryDirectory() as d:
        exe = os.path.join(d, "wl-tokio")
        objcopy("--strip-debug", binary("tokio", "release-nodebug"), exe)
        empty = keep_debug(exe, os.path.join(d, "empty.debug"))
        with Workload("tokio", exe=exe, args=["--seconds", "30"]) as w:
            r = attach_once(w.pid, ["--debug-file", "/etc/passwd"])
            one_line_error(r, r"--debug-file /etc/passwd: not an ELF file$")
            check("give --debug-file" not in r.stderr, "asks for the option it was given")
            r = attach_once(w.pid, ["--debug-file", empty])
            one_line_error(r, r"--debug-file %s has no DWARF" % re.escape(empty))
            untouched(w)


def test_exit_while_attaching():
    """The target killed at every stage of attaching: never an attach
    error, always the "exited" ending (exit 0 with the final snapshot), or,
    when it was gone before cattop looked, "no such process"."""
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, XDG_CACHE_HOME=d)
        snap = os.path.join(d, "snap.json")
        for delay in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5):
            with Workload("tokio", args=["--seconds", "30"]) as w:
                p = subprocess.Popen([harness.CATTOP, "-p", str(w.pid), "-b", "-d", "0.5",
                                      "--snapshot", snap], env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
                time.sleep(delay)
                w.proc.kill()
                w.proc.wait()
                err = p.communicate(timeout=60)[1]
            check(not re.search(r"cannot attach|No such file|cannot guard", err),
                  "delay %.2f: an attach error for an exit: %r" % (delay, err))
            if p.returncode == 0:
                check(re.search(r"process %d exited" % w.pid, err) is not None,
                      "delay %.2f: exit 0 without saying the process exited: %r" % (delay, err))
                with open(snap) as f:
                    check(json.load(f)["target_exited"], "snapshot without target_exited")
                os.unlink(snap)
            else:
                check(re.search(r"no such process|process %d (exited|is a zombie)" % w.pid,
                                err.strip().splitlines()[-1]) is not None,
                      "delay %.2f: exit %d: %r" % (delay, p.returncode, err))
            check(not uprobe_multi_links(w.pid), "links left after the target exited")


TESTS = [test_stale_debuglink, test_stale_debuglink_stripped, test_debuglink_crc,
         test_debug_file_of_another_program, test_debug_file_not_usable,
         test_exit_while_attaching]
