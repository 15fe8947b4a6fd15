"""Safe for the machine and its users (issue #13): output paths that are not
regular files (devices, FIFOs, terminals, stdout, symbolic links), a
set-user-ID program launched by cattop with file capabilities, names that
carry terminal escapes, a closed or full stdout, and smaller points (a
terminal that cannot move its cursor, config files that are not files or
have overlong lines, a runtime the binary does not link, a launched
command's exit status, a thread id given as -p).

Every path these tests write to is in a temporary directory: a cattop that
replaced what it was given would only damage the test's own device nodes,
FIFOs and links, never the machine's /dev."""
import json
import os
import pty
import re
import shutil
import stat
import subprocess
import tempfile
import threading
import time

import harness
from harness import Workload, binary, check, parse_snapshot
from test_faults import NOBODY, as_nobody, is_notice, links_of, wait_links_gone


# ---------------------------------------------------------------- helpers ---

def run(args, timeout=60, **kw):
    """cattop with args; stdout captured unless given."""
    kw.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([harness.CATTOP, *args], stderr=subprocess.PIPE, text=True,
                          timeout=timeout, **kw)


def errors(stderr):
    return [l for l in stderr.strip().splitlines() if not is_notice(l)]


def refused(args, pattern, what, timeout=30, **kw):
    """cattop ends non-zero within timeout with one error line matching pattern."""
    try:
        r = run(args, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        check(False, "%s: cattop hung (no exit within %ds)" % (what, timeout))
        return None
    lines = errors(r.stderr)
    check(r.returncode != 0 and len(lines) == 1 and re.search(pattern, lines[0]),
          "%s: exit %d, stderr %r !~ %r" % (what, r.returncode, r.stderr, pattern))
    return r


def char_device(path, major, minor):
    os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(major, minor))
    return path


def still_device(path, major, minor):
    st = os.lstat(path)
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == os.makedev(major, minor)


class FifoReader:
    """Reads a FIFO whole in a thread, opened before cattop opens it."""

    def __init__(self, path):
        self.data = None
        self.thread = threading.Thread(target=self._read, args=(path,), daemon=True)
        self.thread.start()

    def _read(self, path):
        with open(path, "rb") as f:
            self.data = f.read()

    def wait(self, timeout=30):
        self.thread.join(timeout)
        return self.data


def snapshot_to(pid, path, **kw):
    return run(["-p", str(pid), "-b", "-n", "1", "-d", "0.3", "--snapshot", path],
                      timeout=60, **kw)


# ------------------------------------------------------------ 1: outputs ---

def check_snapshot_outputs(pid, d):
    """--snapshot to devices, FIFOs, links: written to, or refused."""
    null = char_device(os.path.join(d, "null"), 1, 3)
    r = snapshot_to(pid, null)
    check(r.returncode == 0 and still_device(null, 1, 3),
          "--snapshot NULLDEV: exit %d %r, still the device: %s"
          % (r.returncode, r.stderr, still_device(null, 1, 3)))
    full = char_device(os.path.join(d, "full"), 1, 7)
    r = snapshot_to(pid, full)
    check(r.returncode == 1 and still_device(full, 1, 7) and
          re.search(r"No space left on device", "".join(errors(r.stderr))),
          "--snapshot FULLDEV: exit %d %r" % (r.returncode, r.stderr))
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    reader = FifoReader(fifo)
    r = snapshot_to(pid, fifo)
    data = reader.wait()
    check(r.returncode == 0 and data and json.loads(data)["pid"] == pid and
          stat.S_ISFIFO(os.lstat(fifo).st_mode),
          "--snapshot FIFO: exit %d %r, the reader got %r" % (r.returncode, r.stderr,
                                                              (data or b"")[:80]))
    refused(["-p", str(pid), "-b", "-n", "1", "-d", "0.3", "--snapshot", fifo],
            re.escape(fifo) + r".*no reader", "--snapshot FIFO without a reader")
    check(stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO without a reader was replaced")
    to_stdout = os.path.join(d, "to-stdout")
    os.symlink("/proc/self/fd/1", to_stdout)
    r = snapshot_to(pid, to_stdout)
    check(r.returncode == 0 and parse_snapshot(r.stdout)["pid"] == pid and
          os.readlink(to_stdout) == "/proc/self/fd/1",
          "--snapshot LINK-TO-STDOUT: exit %d %r, link %s"
          % (r.returncode, r.stderr, os.path.islink(to_stdout)))
    # stdout redirected (appending) to a file: written there, not truncated
    out = os.path.join(d, "appended")
    with open(out, "w") as f:
        f.write("before\n")
    with open(out, "a") as f:
        r = snapshot_to(pid, to_stdout, stdout=f)
    with open(out) as f:
        text = f.read()
    check(r.returncode == 0 and text.startswith("before\ncattop - pid") and
          parse_snapshot(text)["pid"] == pid,
          "--snapshot LINK-TO-STDOUT >> file: exit %d %r: %r" % (r.returncode, r.stderr,
                                                                 text[:80]))
    victim = os.path.join(d, "victim")
    with open(victim, "w") as f:
        f.write("keep me")
    planted = os.path.join(d, "planted.json")
    os.symlink(victim, planted)
    refused(["-p", str(pid), "-b", "-n", "1", "-d", "0.3", "--snapshot", planted],
            re.escape(planted) + r".*symbolic link", "--snapshot LINK-TO-FILE")
    check(open(victim).read() == "keep me" and os.readlink(planted) == victim,
          "a link to a regular file was followed or replaced")


def check_record_outputs(pid, d):
    """record -o: devices and stdout written to, terminals refused, and only
    a regular file of cattop's own user is ever replaced."""
    null = char_device(os.path.join(d, "rec-null"), 1, 3)
    r = run(["record", "-p", str(pid), "-o", null, "-d", "0.5"], timeout=60)
    check(r.returncode == 0 and still_device(null, 1, 3),
          "record -o NULLDEV: exit %d %r" % (r.returncode, r.stderr))
    piped = os.path.join(d, "piped.rec")
    with open(piped, "wb") as f:
        r = run(["record", "-p", str(pid), "-o", "-", "-d", "0.5"], timeout=60,
                       stdout=f)
    check(r.returncode == 0 and not os.path.exists(os.path.join(d, "-")),
          "record -o -: exit %d %r" % (r.returncode, r.stderr))
    r = run(["replay", piped, "-b", "--snapshot", "-"])
    check(r.returncode == 0 and parse_snapshot(r.stdout)["pid"] == pid,
          "the recording written to stdout does not replay: %r" % r.stderr)
    master, slave = pty.openpty()
    try:
        refused(["record", "-p", str(pid), "-o", "-", "-d", "0.5"], r"terminal.*binary",
                "record -o - on a terminal", stdout=slave, cwd=d)
    finally:
        os.close(master)
        os.close(slave)
    check(not os.path.exists(os.path.join(d, "-")), "record -o - created a file named '-'")
    victim = os.path.join(d, "rec-victim")
    with open(victim, "w") as f:
        f.write("keep me")
    planted = os.path.join(d, "planted.rec")
    os.symlink(victim, planted)
    refused(["record", "-p", str(pid), "-o", planted, "-d", "0.5"],
            re.escape(planted) + r".*symbolic link", "record -o LINK-TO-FILE")
    check(open(victim).read() == "keep me" and os.readlink(planted) == victim,
          "record: a link to a regular file was followed or replaced")
    theirs = os.path.join(d, "theirs.rec")
    with open(theirs, "w") as f:
        f.write("nobody's")
    os.chown(theirs, NOBODY, NOBODY)
    refused(["record", "-p", str(pid), "-o", theirs, "-d", "0.5"],
            re.escape(theirs) + r".*exists", "record -o ANOTHER-USER'S-FILE")
    check(open(theirs).read() == "nobody's" and os.stat(theirs).st_uid == NOBODY,
          "record replaced another user's file")
    mine = os.path.join(d, "mine.rec")
    with open(mine, "w") as f:
        f.write("old")
    r = run(["record", "-p", str(pid), "-o", mine, "-d", "0.5"], timeout=60)
    check(r.returncode == 0 and os.path.getsize(mine) > 1000,
          "record over its own old file: exit %d %r" % (r.returncode, r.stderr))
    return mine


def check_export_outputs(rec, d):
    null = char_device(os.path.join(d, "export-null"), 1, 3)
    r = run(["export", rec, "--format", "chrome", "-o", null])
    check(r.returncode == 0 and still_device(null, 1, 3),
          "export -o NULLDEV: exit %d %r" % (r.returncode, r.stderr))
    victim = os.path.join(d, "export-victim")
    with open(victim, "w") as f:
        f.write("keep me")
    planted = os.path.join(d, "planted.html")
    os.symlink(victim, planted)
    refused(["export", rec, "--format", "html", "-o", planted],
            re.escape(planted) + r".*symbolic link", "export -o LINK-TO-FILE")
    check(open(victim).read() == "keep me" and os.readlink(planted) == victim,
          "export: a link to a regular file was followed or replaced")


def test_output_paths():
    """Output paths that are not regular files are never replaced: devices
    and FIFOs are written to, links to stdout followed, links to regular
    files, terminals (for a recording) and other users' files refused."""
    with Workload("tokio", args=["--seconds", "120"]) as w, \
            tempfile.TemporaryDirectory() as d:
        check_snapshot_outputs(w.pid, d)
        rec = check_record_outputs(w.pid, d)
        check_export_outputs(rec, d)
        check(w.alive() and not wait_links_gone(w.pid), "target harmed or probes left")


# ------------------------------------------------- 2: set-user-ID launch ---

def read_until(stream, pattern, timeout):
    """The first line of stream matching pattern (read in a thread), or None."""
    found = []

    def scan():
        for line in stream:
            m = re.search(pattern, line)
            if m:
                found.append(m)
                return
    t = threading.Thread(target=scan, daemon=True)
    t.start()
    t.join(timeout)
    return found[0] if found else None


def proc_ids(pid):
    """(effective uid, effective gid, NoNewPrivs) of a process."""
    ids = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            ids[key] = value.split()
    return int(ids["Uid"][1]), int(ids["Gid"][1]), int(ids["NoNewPrivs"][0])


def test_setuid_launch_file_caps():
    """cattop with file capabilities, run by nobody, launching a set-user-ID
    root (and set-group-ID root) program: the program runs as nobody, as
    under ptrace, and is traced; cattop says so."""
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        cattop = os.path.join(d, "cattop")
        shutil.copy(harness.CATTOP, cattop)
        subprocess.run(["setcap", "cap_bpf,cap_perfmon+ep", cattop], check=True)
        exe = os.path.join(d, "wl-tokio-setuid")
        shutil.copy(binary("tokio"), exe)
        os.chown(exe, 0, 0)
        os.chmod(exe, 0o6755)
        # it ends by itself (detaching from a command still running takes
        # the kernel seconds), and cattop with it
        p = subprocess.Popen([cattop, "-b", "-d", "0.5", "--", exe, "--seconds", "4"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=d,
                             preexec_fn=as_nobody())
        try:
            m = read_until(p.stdout, r"ready pid=(\d+)", 30)
            check(m is not None, "the launched program did not start")
            euid, egid, nnp = proc_ids(int(m.group(1)))
            check(euid == NOBODY and egid == NOBODY and nnp == 1,
                  "the set-user-ID program runs with euid %d egid %d (NoNewPrivs %d)"
                  % (euid, egid, nnp))
            out, err = p.communicate(timeout=30)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        check(p.returncode == 0 and "cattop - pid" in out,
              "launch as nobody: exit %d %r" % (p.returncode, err))
        check(re.search(r"set-user-ID.*your own privileges", err),
              "no word that it runs without its privileges: %r" % err)


# ---------------------------------------------------- 3: hostile names ---

# Each replaces a string of the same length in a real recording, so the file
# stays well-formed: the names a hostile binary or recording would carry.
HOSTILE = [
    # a task's name: set the title (OSC ... BEL), clear the screen, a C1 CSI
    # as UTF-8 and a stray C1 byte
    (b"wl_tokio::ticker_task", b"\x1b]0;PWNED\x07\x1b[2J\xc2\x9b31m\x9bZ"),
    # a DWARF file name: colours and a line break
    (b"wl-tokio/src/main.rs", b"\x1b[31mEVIL\x1b[0m\r\nxx.rs"),
    # a thread's name: the title again, and a right-to-left override
    (b"tokio-runtime-w", b"\x1b]2;TITLE\x07w\xe2\x80\xaex"),
    # the process name: move the cursor home, DEL
    (b"\x08\x00wl-tokio", b"\x08\x00\x1b[1;1H\x7fc"),
]
# What must never reach a terminal raw: C0 controls, DEL, C1 controls, the
# bidi overrides, and bytes that are not UTF-8 (decoded as surrogates here).
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\udc80-\udcff]")


def hostile_recording(pid, d):
    rec = os.path.join(d, "plain.rec")
    r = run(["record", "-p", str(pid), "-o", rec, "-d", "2", "-t", "1ms"], timeout=60)
    check(r.returncode == 0, "record: %d %r" % (r.returncode, r.stderr))
    with open(rec, "rb") as f:
        data = f.read()
    for plain, evil in HOSTILE:
        check(len(plain) == len(evil) and plain in data, "%r not in the recording" % plain)
        data = data.replace(plain, evil)
    hostile = os.path.join(d, "hostile.rec")
    with open(hostile, "wb") as f:
        f.write(data)
    return hostile


def no_raw_controls(data, what, allowed="\n"):
    text = data.decode("utf-8", "surrogateescape")
    stray = [m.group(0) for m in RAW_CONTROL.finditer(text) if m.group(0) not in allowed]
    check(not stray, "%s: raw control bytes reach the reader: %r" % (what, stray[:5]))


def check_hostile_tui(rec, d):
    ui = harness.Tmux("%s replay %s" % (harness.CATTOP, rec), d, 140, 40)
    try:
        end = time.monotonic() + 30  # the replay plays the 2 s recording to its end
        while "end of the recording" not in ui.screen() and time.monotonic() < end:
            time.sleep(0.2)
        ui.keys("/", wait=0.3)
        ui.keys("PWNED", "Enter", wait=1.0)
        scr = ui.screen()
        title = subprocess.run(["tmux", "display", "-p", "-t", ui.name, "#{pane_title}"],
                               capture_output=True, text=True).stdout
        check("\\x1b]0;PWNED\\x07\\x1b[2J" in scr and "\\x1b[1;1H\\x7fc" in scr,
              "the live view does not show the names escaped: %s" % scr)
        check("PWNED" not in title and "TITLE" not in title,
              "a name set the terminal's title: %r" % title)
    finally:
        ui.close()


def test_hostile_names():
    """Names from a recording (as from a binary) with terminal escapes are
    printed escaped: batch output, folded, chrome and HTML exports, the
    snapshot and the live view."""
    with Workload("tokio", args=["--seconds", "60"]) as w, tempfile.TemporaryDirectory() as d:
        rec = hostile_recording(w.pid, d)
        out = subprocess.run([harness.CATTOP, "replay", rec, "-b", "-d", "0.5", "-r", "0"],
                             capture_output=True, timeout=60)
        check(out.returncode == 0, "replay -b: %d %r" % (out.returncode, out.stderr))
        no_raw_controls(out.stdout + out.stderr, "replay -b")
        check(b"\\x1b]0;PWNED\\x07\\x1b[2J\\xc2\\x9b31m\\x9bZ" in out.stdout and
              b"\\x1b[1;1H\\x7fc" in out.stdout,
              "replay -b does not show the names escaped: %r" % out.stdout[:400])
        for fmt in ("folded", "chrome", "html"):
            out = subprocess.run([harness.CATTOP, "export", rec, "--format", fmt, "-o", "-"],
                                 capture_output=True, timeout=60)
            check(out.returncode == 0, "export %s: %d %r" % (fmt, out.returncode, out.stderr))
            no_raw_controls(out.stdout, "export " + fmt, allowed="\n\t")
            check(b"PWNED" in out.stdout, "export %s lost the hostile task" % fmt)
        chrome = json.loads(subprocess.run(
            [harness.CATTOP, "export", rec, "--format", "chrome", "-o", "-"],
            capture_output=True, timeout=60).stdout)
        names = {e.get("name") for e in chrome["traceEvents"]}
        check(any(n and n.startswith("\x1b]0;PWNED\x07") for n in names),
              "the chrome trace does not keep the name: %s" % sorted(n or "" for n in names)[:8])
        out = subprocess.run([harness.CATTOP, "replay", rec, "-b", "-n", "1", "--snapshot", "-"],
                             capture_output=True, timeout=60)
        no_raw_controls(out.stdout, "replay --snapshot -")
        snap = parse_snapshot(out.stdout.decode())
        check(any("PWNED" in t["name"] for t in snap["tasks"]),
              "the snapshot lost the hostile task: %s" % [t["name"] for t in snap["tasks"]][:8])
        check_hostile_tui(rec, d)


# ------------------------------------------------ 4: closed or full stdout ---

def test_closed_or_full_stdout():
    """cattop -b | head: cattop ends (silently, non-zero) once the reader is
    gone, and detaches; a full stdout ends it with the reason."""
    with Workload("tokio", args=["--seconds", "120"]) as w:
        p = subprocess.Popen([harness.CATTOP, "-p", str(w.pid), "-b", "-d", "0.3"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        first = read_until(p.stdout, rb"^cattop - pid", 30)
        check(first is not None, "no table")
        p.stdout.close()  # head has its lines
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            check(False, "cattop -b | head: cattop did not end")
        err = p.stderr.read().decode()
        p.stderr.close()
        check(p.returncode != 0 and not errors(err),
              "closed pipe: exit %d %r (want silence, non-zero)" % (p.returncode, err))
        check(not wait_links_gone(w.pid) and w.alive(), "closed pipe: probes left or target hurt")
        with tempfile.TemporaryDirectory() as d:
            full = char_device(os.path.join(d, "full"), 1, 7)
            with open(full, "w") as f:
                r = run(["-p", str(w.pid), "-b", "-n", "3", "-d", "0.3"], stdout=f,
                               timeout=60)
        lines = errors(r.stderr)
        check(r.returncode == 1 and len(lines) == 1 and "No space left on device" in lines[0],
              "-b > /dev/full: exit %d %r" % (r.returncode, r.stderr))
        # started with stdout closed: the first file cattop opens would take
        # its number, so nothing is attached
        r = run(["-p", str(w.pid), "-b", "-n", "2", "-d", "0.3"], stdout=None,
                preexec_fn=lambda: os.close(1))
        check(r.returncode == 1 and re.search(r"stdout: it is closed", r.stderr) and
              not links_of(w.pid), "-b >&-: exit %d %r" % (r.returncode, r.stderr))
        # a replay too: its tables come as fast as they are computed
        with tempfile.TemporaryDirectory() as d:
            rec = os.path.join(d, "x.rec")
            r = run(["record", "-p", str(w.pid), "-o", rec, "-d", "1"], timeout=60)
            check(r.returncode == 0, "record: %r" % r.stderr)
            p = subprocess.Popen([harness.CATTOP, "replay", rec, "-b", "-d", "0.01"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            p.stdout.readline()
            p.stdout.close()
            p.wait(timeout=30)
            err = p.stderr.read().decode()
            p.stderr.close()
            check(p.returncode != 0 and not errors(err),
                  "replay -b | head: exit %d %r" % (p.returncode, err))


# ------------------------------------------------------- 5: small points ---

def check_dumb_terminal(pid):
    master, slave = pty.openpty()
    env = dict(os.environ, TERM="dumb")
    try:
        refused(["-p", str(pid)], r"TERM=dumb.*-b", "TERM=dumb", timeout=15, stdin=slave,
                stdout=slave, env=env)
    finally:
        os.close(master)
        os.close(slave)
    check(not links_of(pid), "TERM=dumb: probes were attached for nothing")


def check_config_files(pid, d):
    refused(["-c", d, "-p", str(pid), "-b", "-n", "1"], r"not a regular file", "-c DIR")
    for dev in ("/dev/zero", "/dev/urandom"):
        refused(["-c", dev, "-p", str(pid), "-b", "-n", "1"], r"not a regular file",
                "-c " + dev, timeout=15)
    long_line = os.path.join(d, "long.ini")
    with open(long_line, "w") as f:  # the tail of line 2 would read as a key of its own
        f.write("[cattop]\nexclude = %s threshold = 1ms\ncolor = no\n" % ("x" * 300))
    refused(["-c", long_line, "-p", str(pid), "-b", "-n", "1"],
            re.escape(long_line) + r":2: line too long", "overlong config line")


def test_small_points():
    """Each a clear message or the expected behaviour."""
    with Workload("tokio", args=["--seconds", "120"]) as w, \
            tempfile.TemporaryDirectory() as d:
        check_dumb_terminal(w.pid)
        check_config_files(w.pid, d)
        refused(["-p", str(w.pid), "-b", "-n", "1", "--runtime", "smol"],
                r"--runtime smol: the binary has none of its symbols.*runs tokio",
                "--runtime smol on tokio")
        tids = [int(t) for t in os.listdir("/proc/%d/task" % w.pid) if int(t) != w.pid]
        refused(["-p", str(tids[0]), "-b", "-n", "1"],
                r"%d is a thread of process %d: trace -p %d" % (tids[0], w.pid, w.pid),
                "-p TID")
        check(w.alive() and not links_of(w.pid), "target harmed or probes left")
    # the launched command's status is cattop's, as with time and strace
    r = run(["-b", "-d", "0.3", "--", binary("tokio"), "--no-such-option"], timeout=60)
    check(r.returncode == 2 and re.search(r"wl-tokio \(pid \d+\) exited with status 2",
                                          r.stderr),
          "-- COMMAND exiting 2: cattop exit %d %r" % (r.returncode, r.stderr))
    p = subprocess.Popen([harness.CATTOP, "-b", "-d", "0.3", "--", binary("tokio"),
                          "--seconds", "30"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    m = read_until(p.stdout, r"ready pid=(\d+)", 30)
    check(m is not None, "the launched command did not start")
    os.kill(int(m.group(1)), 9)
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        check(False, "cattop did not end when its command was killed")
    check(p.returncode == 128 + 9 and re.search(r"killed by signal 9", err),
          "-- COMMAND killed by SIGKILL: cattop exit %d %r" % (p.returncode, err))


TESTS = [test_output_paths, test_setuid_launch_file_caps, test_hostile_names,
         test_closed_or_full_stdout, test_small_points]
