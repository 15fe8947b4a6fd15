#!/usr/bin/env python3
"""Drive a timeline page in headless Chromium (DevTools protocol over
--remote-debugging-pipe, standard library only): hover, click, wheel, drag,
keys and the filter box, with a screenshot after each step and a check that
the page threw no error.

  drive.py PAGE.html OUTDIR        (run as root, Debian's chromium)
  drive.py --sample PAGE.html OUT.png   the picture for screenshots/: the
                                   whole recording, a slow poll selected"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time


class Chrome:
    def __init__(self, w=1600, h=900):
        self.prof = tempfile.mkdtemp()
        r1, w1 = os.pipe()  # we write, chrome reads (fd 3)
        r2, w2 = os.pipe()  # chrome writes (fd 4), we read
        os.set_inheritable(r1, True)
        os.set_inheritable(w2, True)

        def fds():
            os.dup2(r1, 3)
            os.dup2(w2, 4)

        self.p = subprocess.Popen(
            ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", "--user-data-dir=" + self.prof, "--window-size=%d,%d" % (w, h),
             "--remote-debugging-pipe", "about:blank"],
            preexec_fn=fds, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(r1)
        os.close(w2)
        self.w, self.r = os.fdopen(w1, "wb"), os.fdopen(r2, "rb")
        self.buf, self.id, self.events, self.session = b"", 0, [], None
        t = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=t, flatten=True)["sessionId"]
        self.call("Runtime.enable")
        self.call("Page.enable")
        self.call("Emulation.setDeviceMetricsOverride", width=w, height=h, deviceScaleFactor=1, mobile=False)

    def call(self, method, **params):
        self.id += 1
        msg = {"id": self.id, "method": method, "params": params}
        if self.session and not method.startswith("Target."):
            msg["sessionId"] = self.session
        self.w.write(json.dumps(msg).encode() + b"\0")
        self.w.flush()
        while True:
            m = self.read()
            if m.get("id") == self.id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def read(self):
        while b"\0" not in self.buf:
            chunk = os.read(self.r.fileno(), 1 << 20)
            if not chunk:
                raise RuntimeError("chromium went away")
            self.buf += chunk
        m, self.buf = self.buf.split(b"\0", 1)
        return json.loads(m)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise RuntimeError(json.dumps(r["exceptionDetails"])[:500])
        return r["result"].get("value")

    def mouse(self, typ, x, y, **kw):
        self.call("Input.dispatchMouseEvent", type=typ, x=x, y=y, **kw)

    def key(self, key, hold=0.0):
        code = {"w": "KeyW", "a": "KeyA", "s": "KeyS", "d": "KeyD", "f": "KeyF", "0": "Digit0"}.get(key, key)
        vk = ord(key.upper()) if len(key) == 1 else 27
        text = key if len(key) == 1 else ""
        self.call("Input.dispatchKeyEvent", type="keyDown", key=key, code=code, text=text, windowsVirtualKeyCode=vk)
        time.sleep(hold)
        self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code, windowsVirtualKeyCode=vk)

    def shot(self, path):
        time.sleep(0.15)
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def errors(self):
        out = []
        for m in self.events:
            if m.get("method") == "Runtime.exceptionThrown":
                out.append(json.dumps(m["params"]["exceptionDetails"])[:400])
            elif m.get("method") == "Runtime.consoleAPICalled" and m["params"]["type"] in ("error", "warning"):
                out.append(str(m["params"]["args"])[:400])
        return out

    def close(self):
        self.p.kill()
        self.p.wait()


FAILS = []


def grab(c):
    time.sleep(0.1)
    return c.call("Page.captureScreenshot", format="png")["data"]


def check(what, ok):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        FAILS.append(what)


def load(c, page):
    t = time.time()
    c.call("Page.navigate", url="file://" + page)
    while c.eval("document.readyState") != "complete" or c.eval("document.body.dataset.status") == "loading":
        time.sleep(0.1)
    return time.time() - t


def plot_left(c):
    """The x of the plot's left edge: the axis' first tick, at time 0."""
    return c.eval("(() => { const cv = document.getElementById('cv'), g = cv.getContext('2d');"
                  " const d = g.getImageData(0, 29, cv.width, 1).data;"
                  " for (let x = 100; x < cv.width; x++) if (d[4 * x] < 140) return x; return 360; })()")


def sample(page, png):
    c = Chrome()
    load(c, page)
    y0 = c.eval("document.getElementById('cv').getBoundingClientRect().top")
    px = plot_left(c)
    # task 43 (wedged_task) is the 6th track: 5 tracks of 4 levels above it
    hx, hy = px + (1600 - px - 10) * 2.8 / 5.0, y0 + 30 + 5 * 79 + 3 + 9
    c.mouse("mousePressed", hx, hy, button="left", clickCount=1)
    c.mouse("mouseReleased", hx, hy, button="left", clickCount=1)
    time.sleep(0.3)
    c.mouse("mouseMoved", hx, hy)
    c.shot(png)
    errs = c.errors()
    c.close()
    print(png, "errors:", errs or "none")
    sys.exit(1 if errs else 0)


def main():
    if sys.argv[1] == "--sample":
        return sample(os.path.abspath(sys.argv[2]), sys.argv[3])
    page, out = os.path.abspath(sys.argv[1]), sys.argv[2]
    os.makedirs(out, exist_ok=True)
    c = Chrome()
    t = time.time()
    c.call("Page.navigate", url="file://" + page)
    while c.eval("document.readyState") != "complete" or c.eval("document.body.dataset.status") == "loading":
        time.sleep(0.1)
    print("loaded in %.1f s (script %s ms), status %s" % (time.time() - t, c.eval("document.body.dataset.loadMs"),
                                                         c.eval("document.body.dataset.status")))
    cv = c.eval("(() => { const r = document.getElementById('cv').getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()")
    x0, y0 = cv[0], cv[1]
    steps = [1]

    def shot(name):
        c.shot(os.path.join(out, "%02d-%s.png" % (steps[0], name)))
        steps[0] += 1

    shot("loaded")
    # wheel-zoom in around x=900, several notches
    for _ in range(6):
        c.mouse("mouseWheel", 900, y0 + 60, deltaX=0, deltaY=-240)
        time.sleep(0.05)
    shot("wheel-zoom")
    # drag to pan left by 300 px
    c.mouse("mouseMoved", 1000, y0 + 200)
    c.mouse("mousePressed", 1000, y0 + 200, button="left", clickCount=1)
    for i in range(1, 11):
        c.mouse("mouseMoved", 1000 - 30 * i, y0 + 200, button="left", buttons=1)
    c.mouse("mouseReleased", 700, y0 + 200, button="left", clickCount=1)
    shot("drag-pan")
    c.key("w", 0.6)
    shot("key-w")
    c.key("d", 0.3)
    c.key("s", 0.2)
    shot("key-d-s")
    # find the wedged task's long poll and zoom to it through the page itself
    c.eval("document.getElementById('reset').click()")
    c.eval("(() => { const f = document.getElementById('filter'); f.value = 'wedged'; f.dispatchEvent(new Event('input')); })()")
    shot("filter")
    # hover the long poll (at 2.6 s, first row)
    # the plot starts right of the task names: find it from the axis' "0" tick
    px = c.eval("(() => { const cv = document.getElementById('cv'), g = cv.getContext('2d');"
                " const d = g.getImageData(0, 29, cv.width, 1).data;"
                " for (let x = 100; x < cv.width; x++) if (d[4 * x] < 140) return x; return 360; })()")
    hx, hy = px + (1600 - px - 10) * 2.8 / 5.0, y0 + 42
    c.mouse("mouseMoved", hx, hy)
    shot("hover")
    c.mouse("mousePressed", hx, hy, button="left", clickCount=1)
    c.mouse("mouseReleased", hx, hy, button="left", clickCount=1)
    shot("click-details")
    c.key("f")
    shot("zoom-to-span")
    c.eval("(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); })()")
    c.key("Escape")
    c.eval("document.getElementById('collapse').click()")
    shot("collapsed")
    c.eval("document.getElementById('collapse').click()")
    c.key("0")
    c.eval("(() => { const f = document.getElementById('filter'); f.value = 'spinner'; f.dispatchEvent(new Event('input')); })()")
    for _ in range(14):  # zoom into the end of the recording, where a poll is still in flight
        c.mouse("mouseWheel", 1588, y0 + 40, deltaX=0, deltaY=-300)
    c.mouse("mouseMoved", 1540, y0 + 42)
    shot("inflight")
    c.key("0")
    c.eval("(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); })()")
    c.eval("document.getElementById('sort').value = 'slow'; document.getElementById('sort').dispatchEvent(new Event('change'))")
    c.mouse("mouseMoved", 100, y0 + 50)
    shot("sort-slow-label-tip")
    # focus: type in the filter, click the timeline, then W must zoom
    c.key("0")
    c.eval("document.getElementById('sort').value = 'idx'; document.getElementById('sort').dispatchEvent(new Event('change'))")
    c.mouse("mousePressed", 120, 70, button="left", clickCount=1)  # the filter box
    c.mouse("mouseReleased", 120, 70, button="left", clickCount=1)
    c.call("Input.insertText", text="accept")
    c.key("w", 0.3)
    check("W typed into the filter", c.eval("document.getElementById('filter').value") == "acceptw")
    shot("filter-typed")
    c.mouse("mousePressed", 900, y0 + 300, button="left", clickCount=1)
    c.mouse("mouseReleased", 900, y0 + 300, button="left", clickCount=1)
    c.key("Escape")
    before = grab(c)
    c.key("w", 0.3)
    check("W zooms after a click on the timeline", grab(c) != before)
    c.eval("(() => { const f = document.getElementById('filter'); f.value = ''; f.dispatchEvent(new Event('input')); })()")
    before = grab(c)
    c.mouse("mouseWheel", 100, y0 + 300, deltaX=0, deltaY=200)
    check("wheel over the task names scrolls", grab(c) != before)
    before = grab(c)
    c.mouse("mouseWheel", 900, y0 + 300, deltaX=0, deltaY=-200, modifiers=8)
    check("shift+wheel scrolls", grab(c) != before)
    c.mouse("mouseMoved", 1595, y0 + 60)
    c.mouse("mousePressed", 1595, y0 + 60, button="left", clickCount=1)
    c.mouse("mouseMoved", 1595, y0 + 400, button="left", buttons=1)
    c.mouse("mouseReleased", 1595, y0 + 400, button="left", clickCount=1)
    shot("scrollbar-drag")
    errs = c.errors()
    print("status after driving:", c.eval("document.body.dataset.status"))
    print("errors:", errs or "none")
    c.close()
    sys.exit(1 if errs or FAILS else 0)


if __name__ == "__main__":
    main()
