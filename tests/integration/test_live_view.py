"""The live view as htop and tokio-console users expect it (issue 16),
driven in tmux at 80x24 and 120x40. Every check waits for its condition on
the screen (the machine is shared): no fixed sleeps decide a result."""
import os
import re
import tempfile
import time

import harness
from harness import CheckFailed, Tmux, Workload, check, source_line, table_rows

SIZES = ((80, 24), (120, 40))
POLL_HIST_BUCKETS = 40  # src/model/task_model.h


def wait_screen(ui, cond, what, timeout=20.0):
    """The screen once cond(screen) holds; a failed check after timeout."""
    deadline = time.monotonic() + timeout
    scr = ui.screen()
    while not cond(scr):
        if time.monotonic() > deadline:
            check(False, "%s; screen:\n%s" % (what, scr))
        time.sleep(0.1)
        scr = ui.screen()
    return scr


def stable_screen(ui, what="screen never settled", timeout=20.0):
    """The screen once two captures in a row agree: curses may be halfway
    through sending a frame when a capture is taken."""
    deadline = time.monotonic() + timeout
    prev = ui.screen()
    while True:
        time.sleep(0.2)
        scr = ui.screen()
        if scr == prev:
            return scr
        check(time.monotonic() < deadline, what)
        prev = scr


def press(ui, *keys):
    ui.keys(*keys, wait=0)


def live(width, height, args="", runtime="tokio", workload_args=("--seconds", "120")):
    w = Workload(runtime, args=list(workload_args))
    ui = Tmux("%s -p %d -d 0.3 %s" % (harness.CATTOP, w.pid, args), tempfile.gettempdir(),
              width, height)
    wait_screen(ui, lambda s: "ticker_task" in s, "no task listed")
    return w, ui


def line_with(scr, text):
    found = [l for l in scr.splitlines() if text in l]
    check(found, "no line with %r:\n%s" % (text, scr))
    return found[0]


def open_ticker_tree(ui):
    press(ui, "/")
    wait_screen(ui, lambda s: "Filter" in s, "no filter prompt")
    press(ui, "ticker", "Enter")
    wait_screen(ui, lambda s: [n for _, n in table_rows(s)] == ["wl_tokio::ticker_task"],
                "filter did not leave the ticker alone")
    press(ui, "Enter")
    return wait_screen(ui, lambda s: "nested_inner" in s and "future tree" in s,
                       "no future tree")


def titles_line(scr):
    return line_with(scr, "FUTURE ")


def test_live_view_tree_layout():
    """The tree at 80x24 and 120x40: every title whole, the location column
    shown (the nested futures' source lines), no '!' wrapped to column 0,
    and the name column never narrower on a wider screen."""
    inner = source_line("tokio", r"async fn nested_inner\(").rsplit("/", 1)[1]
    for width, height in SIZES:
        w, ui = live(width, height)
        try:
            scr = open_ticker_tree(ui)
            titles = titles_line(scr)
            for title in ("POLLS", "BUSY", "LONGEST", "SLOW", "INFLIGHT", "LOCATION"):
                check(re.search(r"\b%s\b" % title, titles), "title %s cut at %d: %r"
                      % (title, width, titles))
            check(inner in line_with(scr, "nested_inner"),
                  "no location %s at %d columns:\n%s" % (inner, width, scr))
            check(not any(l.startswith("!") for l in scr.splitlines()),
                  "a '!' wrapped at %d columns:\n%s" % (width, scr))
            check(all(len(l) <= width for l in scr.splitlines()), "a line too long")
            ui.save("live-tree-%dx%d.txt" % (width, height))
            if width == 120:
                name_w = []
                for cols in (80, 100, 120, 129, 130, 160):
                    ui.resize(cols, height)
                    scr = wait_screen(ui, lambda s: all(len(l) <= cols for l in s.splitlines())
                                      and "FUTURE " in s and "LOCATION" in s,
                                      "tree not redrawn at %d columns" % cols)
                    name_w.append(titles_line(scr).index("POLLS"))
                check(name_w == sorted(name_w) and name_w[-1] > name_w[0],
                      "name column does not grow with the screen: %s" % name_w)
        finally:
            ui.close()
            w.stop()


def open_task_detail(ui, name, state=None):
    """The detail of task name (filtered to it), once it is in state."""
    press(ui, "/")
    wait_screen(ui, lambda s: "Filter" in s, "no filter prompt")
    press(ui, name.split("::")[-1], "Enter")
    def polled(l):
        """Polled since the attach, not only listed by the task walk (the
        probes go in after it on a loaded machine)."""
        m = re.match(r"\s*\d+\s+\w+\s+(\d+)\s", l)
        return m is not None and int(m.group(1)) >= 3

    want = (lambda l: l.endswith(name) and (" %s " % state) in l) if state else \
        (lambda l: l.endswith(name) and polled(l))
    wait_screen(ui, lambda s: [l for l in s.splitlines() if want(l)], "no %s row" % name,
                timeout=30)
    press(ui, "Enter")
    wait_screen(ui, lambda s: "future tree" in s, "no future tree")
    press(ui, "Enter")
    return wait_screen(ui, lambda s: "Poll time histogram" in s and "Longest polls" in s,
                       "no detail view")


BUCKET = re.compile(r"^\s*(\S+)-(\S+)\s+(\d+)(?: |$)")
UNITS = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}


def ns(text):
    m = re.match(r"([\d.]+)(ns|us|ms|s)$", text.rstrip("!"))
    check(m, "not a duration: %r" % text)
    return float(m.group(1)) * UNITS[m.group(2)]


def histogram(scr):
    """(title, [(lo, hi) ns of the buckets shown]) of the detail view."""
    lines = scr.splitlines()
    start = [i for i, l in enumerate(lines) if l.startswith("Poll time histogram")][0]
    shown = []
    for l in lines[start + 1:]:
        m = BUCKET.match(l)
        if not m:
            break
        shown.append((ns(m.group(1)), ns(m.group(2))))
    return lines[start], shown


def summary_max(scr):
    return re.search(r"max (\S+)", scr).group(1)


AT_END = re.compile(r"buckets \d+-(\d+) of (\d+)")


def check_histogram(ui, scr, top):
    """The histogram reaches the bucket of the longest poll, at once or by
    PgDn when its title says it scrolls, and PgUp goes back to the first.
    The model keeps counting while paused (a key redraws it), so the bucket
    count and the max are read again from each screen. Whether it scrolled."""
    title, shown = histogram(scr)
    m = re.search(r"buckets (\d+)-(\d+) of (\d+)", title)
    if m:
        check(int(m.group(1)) == 1 and int(m.group(2)) == len(shown), title)
        for _ in range(POLL_HIST_BUCKETS):
            end = AT_END.search(histogram(scr)[0])
            if not end or end.group(1) == end.group(2):
                break
            before = histogram(scr)[0]
            press(ui, "NPage")
            wait_screen(ui, lambda s: histogram(s)[0] != before, "PgDn did not scroll")
            scr = stable_screen(ui)
    last = histogram(scr)[1][-1]
    top = summary_max(scr)
    check(last[0] <= ns(top) <= last[1] * 1.01,
          "the histogram does not reach the longest poll %s: %s\n%s" % (top, last, scr))
    if m:
        # as many pages back as PgDn went (the buckets grow meanwhile on a
        # loaded machine: more pages than at first)
        for _ in range(POLL_HIST_BUCKETS):
            shown = stable_screen(ui)
            if "Poll time histogram" in shown and "buckets 1-" in histogram(shown)[0]:
                break
            press(ui, "PPage")
        wait_screen(ui, lambda s: "buckets 1-" in histogram(s)[0], "PgUp did not go back")
    return m is not None


def test_live_view_detail():
    """Detail at 80x24 and 120x40: the histogram fits its rows, reaching its
    last bucket (the longest poll) at once or, when it has more buckets than
    rows ("buckets 1-N of M"), by PgDn, and back by PgUp; both the newest
    slow polls and the longest polls are listed, the first longest being
    the max. When the ticker's buckets all fit, the same at 15 rows, where
    more than 3 must scroll."""
    for width, height in SIZES:
        w, ui = live(width, height)
        try:
            scr = open_task_detail(ui, "wl_tokio::ticker_task")
            check(all(len(l) <= width for l in scr.splitlines()), "a line too long")
            check("Recent slow polls" in scr, "no recent slow polls list:\n" + scr)
            press(ui, "p")  # frozen, so the figures compared are of one frame
            wait_screen(ui, lambda s: "paused" in s, "p did not pause")
            scr = stable_screen(ui)
            lines = scr.splitlines()
            longest = [l for l in lines if "Longest polls" in l][0]
            below = lines[lines.index(longest) + 1]
            first = below[longest.index("Longest polls"):].split() if width >= 80 else []
            top = summary_max(scr)
            check(len(first) > 1 and first[1].rstrip("!") == top,
                  "longest poll listed %s, max %s:\n%s" % (first, top, scr))
            scrolled = check_histogram(ui, scr, top)
            ui.save("live-detail-%dx%d.txt" % (width, height))
            if not scrolled:  # all buckets fitted: on a short screen they must scroll
                ui.close()
                w.stop()
                w, ui = live(width, 15)
                open_task_detail(ui, "wl_tokio::ticker_task")
                press(ui, "p")
                wait_screen(ui, lambda s: "paused" in s, "p did not pause")
                scr = stable_screen(ui)
                scrolled = check_histogram(ui, scr, summary_max(scr))
                check(scrolled or len(histogram(scr)[1]) <= 3,
                      "%d buckets and no scrolling at %dx15:\n%s"
                      % (len(histogram(scr)[1]), width, scr))
        finally:
            ui.close()
            w.stop()


def slow_column(scr):
    """{name: (polls, slow text)} of the tasks view rows."""
    out = {}
    for l in scr.splitlines():
        m = re.match(r"\s+\d+ (?:running|idle|done)\s+(\d+)\s.*?\s(~?\d+)\s+(?:\S+\s+)?"
                     r"(\S+)$", l)
        if m:
            out[m.group(3)] = (int(m.group(1)), m.group(2))
    return out


def test_live_view_threshold_recount():
    """t recounts the slow polls: over every poll seen, no task has any; down
    to 1us, the spinner's every poll is slow (its count about its polls)."""
    for width, height in SIZES:
        w, ui = live(width, height)
        try:
            # polled since the attach, not only listed by the task walk (on a
            # loaded machine the probes go in after the walk has listed it)
            wait_screen(ui, lambda s: slow_column(s).get("wl_tokio::spinner_task",
                                                         (0, ""))[0] >= 3,
                        "the spinner never polled")
            press(ui, "t")
            wait_screen(ui, lambda s: "Threshold" in s, "no threshold prompt")
            press(ui, "100s", "Enter")
            scr = wait_screen(ui, lambda s: "threshold 100s" in s or "threshold 100.0s" in s,
                              "threshold not shown in the header")
            rows = slow_column(scr)
            check(rows and all(v[1] == "0" for v in rows.values()),
                  "slow counts not recounted for 100s: %s\n%s" % (rows, scr))
            press(ui, "t")
            wait_screen(ui, lambda s: "Threshold" in s, "no threshold prompt")
            press(ui, "1us", "Enter")
            scr = wait_screen(ui, lambda s: "threshold 1.00us" in s or "threshold 1us" in s,
                              "threshold 1us not shown")
            polls, slow = slow_column(scr)["wl_tokio::spinner_task"]
            check(int(slow.lstrip("~")) >= polls * 0.9 > 0,
                  "spinner: %d polls, slow %s at 1us:\n%s" % (polls, slow, scr))
            ui.save("live-threshold-%dx%d.txt" % (width, height))
        finally:
            ui.close()
            w.stop()


def filter_to(ui, text, clear_first=None):
    press(ui, "/")
    wait_screen(ui, lambda s: "Filter" in s, "no filter prompt")
    if clear_first:
        press(ui, "-l", clear_first)
        wait_screen(ui, lambda s: clear_first + "_" in s, "typed text not in the prompt")
        press(ui, "C-u")
        wait_screen(ui, lambda s: "Ctrl-U clears): _" in s, "Ctrl-U did not clear the prompt")
    press(ui, "-l", text)
    press(ui, "Enter")
    # the prompt closes in the frame that applies the filter
    return wait_screen(ui, lambda s: "Filter (" not in s, "filter %s not applied" % text)


def test_live_view_filter():
    """/ takes a glob like --focus (whole name), a plain word still matches
    anywhere; Ctrl-U clears the prompt; "filter cleared" goes with the next
    key."""
    import fnmatch
    for width, height in SIZES:
        w, ui = live(width, height)
        try:
            wait_screen(ui, lambda s: "short_lived" in s and "spinner_task" in s,
                        "tasks not listed")
            glob = "wl_tokio::*_task"
            scr = filter_to(ui, glob)
            scr = wait_screen(ui, lambda s: len(table_rows(s)) >= 3, "glob matched < 3 tasks")
            names = {n for _, n in table_rows(scr)}
            check(all(fnmatch.fnmatchcase(n, glob) for n in names) and
                  "wl_tokio::ticker_task" in names, "glob %s listed %s" % (glob, names))
            scr = filter_to(ui, "*ticker")  # a glob is anchored: no name ends in ticker
            wait_screen(ui, lambda s: "no task matches the filter" in s,
                        "glob *ticker matched something")
            scr = filter_to(ui, "SPINNER", clear_first="junk")  # a word: anywhere, any case
            wait_screen(ui, lambda s: [n for _, n in table_rows(s)] ==
                        ["wl_tokio::spinner_task"], "word SPINNER did not match spinner_task")
            press(ui, "Escape")
            wait_screen(ui, lambda s: "filter cleared" in s, "no 'filter cleared'")
            press(ui, "j")
            wait_screen(ui, lambda s: "filter cleared" not in s,
                        "'filter cleared' stays after a key", timeout=3)
            ui.save("live-filter-%dx%d.txt" % (width, height))
        finally:
            ui.close()
            w.stop()


def key_help_texts():
    """(label, help) of every key listed in the help, from key_table.c."""
    src = open(os.path.join(harness.ROOT, "src", "ui", "key_table.c")).read()
    src = re.sub(r'"\s*\n\s*"', "", src)  # joined string literals
    return [(m.group(1), m.group(2)) for m in re.finditer(
        r'\{[^{}]*?, "([^"]+)", [A-Z_|() ]+, \w+,\s*"([^"]+)",\s*(KEYS_ALWAYS|KEYS_LIVE)\}', src)]


def help_pages(ui, width):
    """All lines of the help overlay (cut out of the screen), scrolled
    through with PgDn until they stop changing."""
    box = min(width - 2, 100)
    x = (width - box) // 2

    def overlay(scr):
        return [l[x:x + box] for l in scr.splitlines()[1:-1]]

    wait_screen(ui, lambda s: "cattop help" in s, "no help")
    pages = [overlay(stable_screen(ui))]
    for _ in range(10):
        if "scroll" not in pages[0][0]:
            break
        press(ui, "NPage")
        deadline = time.monotonic() + 2
        while overlay(ui.screen()) == pages[-1] and time.monotonic() < deadline:
            time.sleep(0.1)
        page = overlay(stable_screen(ui))
        if page == pages[-1]:
            break  # the last page: PgDn moved nothing
        pages.append(page)
    return [l for page in pages for l in page[1:]]


def test_live_view_help():
    """Help at 80x24 and 120x40: every key's whole help text (wrapped, never
    cut), F1 and F10 listed, Space listed once, BUSY%, IDLE and STATE
    explained; those three sort the table (shown while sorted on)."""
    wanted = key_help_texts()
    check(len(wanted) >= 15 and any("F10" in l for l, _ in wanted), "key table parse")
    for width, height in SIZES:
        w, ui = live(width, height)
        try:
            press(ui, "F1")
            lines = help_pages(ui, width)
            text = " ".join(" ".join(lines).split())
            for label, help_text in wanted:
                check(" ".join(help_text.split()) in text,
                      "help for %s cut at %dx%d: %r not in %r" % (label, width, height,
                                                                  help_text, text))
            check("F1" in text and "F10" in text, "F1/F10 not listed")
            labels = {l[:20] for l in lines if "Space" in l[:20]}
            check(len(labels) == 1, "Space listed as a key %d times: %s" % (len(labels), labels))
            for word in ("STATE:", "BUSY%:", "IDLE:"):
                check(word in text, "%s not explained" % word)
            press(ui, "Escape")
            wait_screen(ui, lambda s: "cattop help" not in s, "help did not close")
            titles, name = set(), None
            sorted_by = lambda s: (re.search(r"sorted by (\S+)", s) or [None, None])[1]
            for _ in range(12):
                press(ui, ">")
                prev = name  # each > names the next column: wait for a new name
                scr = wait_screen(ui, lambda s: sorted_by(s) not in (None, prev),
                                  "no sort message after %s" % prev)
                name = sorted_by(scr)
                scr = wait_screen(ui, lambda s: re.search(r"\b%sv" % re.escape(name), s),
                                  "sorted column %s not marked" % name)
                titles.add(name)
            check({"STATE", "BUSY%", "IDLE"} <= titles, "not sortable: %s" % titles)
            ui.save("live-help-%dx%d.txt" % (width, height))
        finally:
            ui.close()
            w.stop()


def take_snapshot(ui, d, pid):
    """Presses s and returns the JSON snapshot it wrote to d."""
    import json
    before = set(os.listdir(d))
    press(ui, "s")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        new = [f for f in set(os.listdir(d)) - before if f.startswith("cattop-%d-" % pid)
               and f.endswith(".json")]
        if new:
            try:
                with open(os.path.join(d, new[0])) as f:
                    snap = json.load(f)
                # names have one-second resolution: gone, the next one is new
                os.unlink(os.path.join(d, new[0]))
                return snap
            except ValueError:
                pass  # still being written
        time.sleep(0.1)
    check(False, "s wrote no snapshot")


def test_live_view_pruned():
    """With done tasks kept 1 s: the done task drilled into stays (tree and
    details) after every done task around it was pruned, and the grouped
    view counts the pruned tasks in its TASKS total."""
    for width, height in SIZES:
        with tempfile.TemporaryDirectory() as d:
            cfg = os.path.join(d, "cattop.ini")
            with open(cfg, "w") as f:
                f.write("[cattop]\nretain_done = 1s\n")
            w = Workload("tokio", args=["--seconds", "120"])
            ui = Tmux("%s -c %s -p %d -d 0.3" % (harness.CATTOP, cfg, w.pid), d, width, height)
            try:
                wait_screen(ui, lambda s: "short_lived" in s, "no short_lived task")
                filter_to(ui, "short_lived")
                done_row = lambda l: re.match(r"\s+\d+ done\s.*short_lived$", l)
                wait_screen(ui, lambda s: any(done_row(l) for l in s.splitlines()[:height // 2 + 3]
                                              if "ID" not in l),
                            "no done short_lived row")
                press(ui, "Home")
                scr = wait_screen(ui, lambda s: (table_rows(s) or [(0, "")])[0][1].endswith(
                    "short_lived"), "cursor not on a short_lived row")
                # the cursor row is the first of the table: open it whatever its state
                press(ui, "Enter")
                scr = wait_screen(ui, lambda s: "future tree" in s, "no tree")
                tid = int(re.search(r"Task #(\d+)", scr).group(1))
                # until every other done short_lived task of its time is gone
                for _ in range(100):
                    snap = take_snapshot(ui, d, w.pid)
                    ids = {t["id"] for t in snap["tasks"] if t["name"].endswith("short_lived")}
                    if tid in ids and not any(i < tid for i in ids if i != tid) and \
                            any(t["id"] == tid and t["state"] == "done" for t in snap["tasks"]):
                        break
                else:
                    check(False, "task #%d never outlived its neighbours" % tid)
                scr = wait_screen(ui, lambda s: "future tree" in s and "task #%d" % tid in s,
                                  "the tree of the pruned-age task is gone")
                check("is gone" not in scr, "tree says gone:\n" + scr)
                press(ui, "Enter")
                scr = wait_screen(ui, lambda s: "Poll time histogram" in s or "is gone" in s,
                                  "no detail")
                check("is gone" not in scr and "#%d" % tid in scr, "detail gone:\n" + scr)
                press(ui, "Escape", "Escape")
                wait_screen(ui, lambda s: "future tree" not in s, "not back to the tasks")
                press(ui, "Escape")  # filter off
                press(ui, "g")
                wait_screen(ui, lambda s: "ROOT FUTURE" in s and "short_lived" in s,
                            "no grouped view")
                # pruning goes on (about 20 short_lived tasks a second are
                # pruned): the total must pull away from what is kept
                deadline = time.monotonic() + 30
                while True:
                    snap = take_snapshot(ui, d, w.pid)
                    kept = len([t for t in snap["tasks"] if t["name"].endswith("short_lived")])
                    scr = stable_screen(ui)
                    total = int(line_with(scr, "short_lived").split()[1])
                    if total >= kept + 10:
                        break
                    check(time.monotonic() < deadline,
                          "group TASKS %d with %d short_lived tasks kept: pruned not counted"
                          "\n%s" % (total, kept, scr))
                ui.save("live-pruned-%dx%d.txt" % (width, height))
            finally:
                ui.close()
                w.stop()


BAR = "F1Help F3Search F4Filter F5Tree F6SortBy F10Quit"


def test_live_view_function_keys():
    """htop's function keys at 80x24 and 120x40: the bar on the bottom line;
    F6 opens a sort menu whose Enter sorts; F3 moves the cursor to the next
    match and hides nothing, F3 again to the one after; F4 filters; F5 opens
    the tree of the task under the cursor and comes back; F10 quits."""
    for width, height in SIZES:
        w, ui = live(width, height)
        try:
            scr = wait_screen(ui, lambda s: s.splitlines()[-1].startswith(BAR),
                              "no function key bar")
            press(ui, "F6")
            wait_screen(ui, lambda s: "Sort by" in s and "LONGEST *" in s and
                        re.search(r"^ NAME ", s, re.M), "no sort menu")
            scr = stable_screen(ui)
            items = []
            for l in scr.splitlines()[scr.splitlines().index(
                    [l for l in scr.splitlines() if l.startswith("Sort by")][0]) + 1:]:
                m = re.match(r" (\S+)( \*)?\s", l)
                if not m or m.group(1) == "ID" and items:
                    break
                items.append(m.group(1))
                if m.group(1) == "NAME":
                    break
            check({"STATE", "BUSY%", "IDLE", "NAME", "LONGEST"} <= set(items),
                  "sort menu items: %s" % items)
            press(ui, *["Down"] * (items.index("NAME") - items.index("LONGEST")))
            press(ui, "Enter")
            scr = wait_screen(ui, lambda s: "NAMEv" in s and "Sort by" not in s,
                              "F6 menu did not sort by NAME")
            names = [n for _, n in table_rows(scr)]
            check(names == sorted(names) and len(names) >= 5, "not sorted by name: %s" % names)
            # F3: jump to the ticker without filtering anything out
            press(ui, "F3")
            wait_screen(ui, lambda s: "Search (" in s, "no search prompt")
            press(ui, "-l", "ticker")
            press(ui, "Enter")
            scr = wait_screen(ui, lambda s: "found 'ticker'" in s, "search found nothing")
            check(len(table_rows(scr)) >= 5, "search filtered the table:\n" + scr)
            press(ui, "F5")
            scr = wait_screen(ui, lambda s: "future tree" in s, "F5 opened no tree")
            check(re.search(r"wl_tokio::ticker_task( \(tokio id \d+\))?: future tree", scr),
                  "F3 did not put the cursor on the ticker:\n" + scr)
            # in the tree: F3 "nested" finds nested_outer, F3 again the one after
            press(ui, "F3")
            wait_screen(ui, lambda s: "Search (" in s and "ticker_" in s,
                        "the search prompt lost the last search")
            press(ui, "C-u")
            press(ui, "-l", "nested")
            press(ui, "Enter")
            wait_screen(ui, lambda s: "found 'nested'" in s, "no nested future found")
            press(ui, "F3")
            wait_screen(ui, lambda s: "Search (" in s and "nested_" in s, "no search prompt")
            press(ui, "Enter")
            wait_screen(ui, lambda s: "found 'nested'" in s, "no next nested future")
            press(ui, "Enter")
            scr = wait_screen(ui, lambda s: "Poll time histogram" in s, "no detail")
            check("Future   wl_tokio::nested_middle" in scr,
                  "F3 twice did not reach the second match:\n" + scr)
            press(ui, "Escape")
            wait_screen(ui, lambda s: "future tree" in s, "not back in the tree")
            press(ui, "F5")
            wait_screen(ui, lambda s: "future tree" not in s and "NAMEv" in s,
                        "F5 did not come back")
            press(ui, "F4")
            wait_screen(ui, lambda s: "Filter (" in s, "F4 opened no filter prompt")
            press(ui, "-l", "spinner")
            press(ui, "Enter")
            wait_screen(ui, lambda s: [n for _, n in table_rows(s)] == ["wl_tokio::spinner_task"],
                        "F4 did not filter")
            ui.save("live-fkeys-%dx%d.txt" % (width, height))
            press(ui, "F10")
            wait_screen(ui, lambda s: "EXIT=0" in s, "F10 did not quit")
        finally:
            ui.close()
            w.stop()


def mouse(ui, x, y, clicks=1, button=0):
    """Left clicks (button 0) or a wheel notch (64 up, 65 down) at column x,
    line y, as a terminal sends them (X10 encoding: press, release)."""
    seq = ""
    for _ in range(clicks):
        seq += "\x1b[M%c%c%c" % (32 + button, 33 + x, 33 + y)
        if button < 64:
            seq += "\x1b[M%c%c%c" % (35, 33 + x, 33 + y)
    ui.keys("-l", seq, wait=0)


def test_live_view_mouse():
    """The mouse as htop users use it, at 80x24 and 120x40: a click on a
    column title sorts by it, a second click inverts; a double click on a
    row opens its future tree; a click on F1 in the bottom bar opens the
    help. No wedge: its Warnings line would move the rows between a
    capture and a click."""
    for width, height in SIZES:
        w, ui = live(width, height, workload_args=("--seconds", "120",
                                                   "--wedge-after-ms", "600000"))
        try:
            scr = stable_screen(ui)
            lines = scr.splitlines()
            ty = [i for i, l in enumerate(lines) if re.search(r"\bPOLLS.*NAME", l)][0]
            mouse(ui, lines[ty].index("NAME") + 2, ty)
            wait_screen(ui, lambda s: re.search(r" NAMEv", s.splitlines()[ty]),
                        "%dx%d: a click on NAME did not sort by it" % (width, height))
            mouse(ui, lines[ty].index("NAME") + 2, ty)
            wait_screen(ui, lambda s: re.search(r" NAME\^", s.splitlines()[ty]),
                        "%dx%d: a second click did not invert" % (width, height))
            filter_to(ui, "ticker")
            scr = stable_screen(ui)
            row = [i for i, l in enumerate(scr.splitlines())
                   if "wl_tokio::ticker_task" in l and i > ty][0]
            mouse(ui, 3, row, clicks=2)
            wait_screen(ui, lambda s: re.search(r"ticker_task( \(tokio id \d+\))?: future tree", s),
                        "%dx%d: a double click did not open the tree" % (width, height))
            bar = ui.screen().splitlines()[-1]
            mouse(ui, bar.index("Help") - 1, height - 1)
            wait_screen(ui, lambda s: "cattop help" in s,
                        "%dx%d: a click on F1 did not open the help" % (width, height))
        finally:
            ui.close()
            w.stop()


TESTS = [test_live_view_tree_layout, test_live_view_detail, test_live_view_threshold_recount,
         test_live_view_filter, test_live_view_help,
         test_live_view_pruned, test_live_view_function_keys, test_live_view_mouse]
