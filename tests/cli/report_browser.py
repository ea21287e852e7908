#!/usr/bin/env python3
"""report_browser.py - opens one mailsleuth HTML report in headless Chromium through the
DevTools protocol (standard library only: a minimal WebSocket client to 127.0.0.1) and
checks what a reader's browser would do with it.

usage: report_browser.py CHROMIUM NAME REPORT.html SCREENSHOT.png EXPECT.json [NAME ...]

EXPECT.json: {"findings": N, "charts": [ids...], "title": "...", "min_rows": N}
Several reports are checked one after the other in the same browser (a fresh navigation
each).  Prints one "ok"/"FAIL" line per check, named "NAME: check", and exits 1 when any check failed, 2 when the
browser could not be driven at all.
Checks: no console error or exception, no network request other than the report file
itself, no element or attribute a log could have injected (script count, img/iframe/
object/embed/link/meta/base, on* attributes, javascript: URLs), the title unchanged (the
payloads would set it), every finding and chart present, the page's own script ran (CSP
hash right) and filters rows, a screenshot saved.
"""
import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request

FAILED = []
PREFIX = ""


def check(name, cond, detail=""):
    print(("ok    " if cond else "FAIL  ") + PREFIX + name + ((": " + detail) if detail and not cond else ""))
    if not cond:
        FAILED.append(name)


class WS:
    """Just enough RFC 6455 for the DevTools socket: text frames, client-masked."""

    def __init__(self, url):
        assert url.startswith("ws://")
        hostport, path = url[5:].split("/", 1)
        host, port = hostport.split(":")
        assert host in ("127.0.0.1", "localhost")
        self.s = socket.create_connection(("127.0.0.1", int(port)), timeout=30)
        key = base64.b64encode(os.urandom(16)).decode()
        self.s.sendall(("GET /%s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, hostport, key)).encode())
        resp = b""
        while b"\r\n\r\n" not in resp:
            chunk = self.s.recv(4096)
            if not chunk:
                raise IOError("websocket handshake failed")
            resp += chunk
        head, self.buf = resp.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise IOError("websocket handshake refused: %r" % head[:80])

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise IOError("websocket closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, text):
        data = text.encode()
        hdr = bytes([0x81])
        n = len(data)
        if n < 126:
            hdr += bytes([0x80 | n])
        elif n < 65536:
            hdr += bytes([0x80 | 126]) + struct.pack(">H", n)
        else:
            hdr += bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        self.s.sendall(hdr + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        msg = b""
        while True:
            b0, b1 = self._read(2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._read(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._read(8))[0]
            payload = self._read(n)
            op = b0 & 0x0F
            if op == 8:
                raise IOError("websocket closed by browser")
            if op in (0, 1, 2):
                msg += payload
                if b0 & 0x80:
                    return msg.decode("utf-8", "replace")


class CDP:
    def __init__(self, ws):
        self.ws, self.next_id, self.events = ws, 0, []

    def call(self, method, **params):
        self.next_id += 1
        my = self.next_id
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            m = json.loads(self.ws.recv())
            if m.get("id") == my:
                if "error" in m:
                    raise IOError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            if "method" in m:
                self.events.append(m)

    def pump(self, seconds):
        end = time.time() + seconds
        self.ws.s.settimeout(0.2)
        while time.time() < end:
            try:
                m = json.loads(self.ws.recv())
                if "method" in m:
                    self.events.append(m)
            except (socket.timeout, TimeoutError):
                pass
        self.ws.s.settimeout(30)

    def js(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True)
        if "exceptionDetails" in r:
            raise IOError("evaluation failed: %s" % r["exceptionDetails"])
        return r["result"].get("value")


def check_page(cdp, name, report, shot, expect):
    """Opens one report in the page and runs every check on it (names prefixed with name)."""
    global PREFIX
    PREFIX = name + ": "
    url = "file://" + os.path.abspath(report)
    cdp.call("Emulation.clearDeviceMetricsOverride")
    cdp.call("Page.navigate", url="about:blank")
    cdp.pump(0.3)
    cdp.events = []
    cdp.call("Page.navigate", url=url)
    for _ in range(100):
        cdp.pump(0.2)
        if any(e["method"] == "Page.loadEventFired" for e in cdp.events):
            break
    cdp.pump(0.5)  # late requests (a refresh, a lazy image) would show up here
    title = cdp.js("document.title")
    counts = cdp.js("""(function(){var q=function(s){return document.querySelectorAll(s).length;};
      var on=0, js=0; document.querySelectorAll('*').forEach(function(el){
        for (var i=0;i<el.attributes.length;i++){var a=el.attributes[i];
          if (/^on/i.test(a.name)) on++;
          if (/^\\s*javascript:/i.test(a.value)) js++;}});
      var hrefs=0; document.querySelectorAll('[href]').forEach(function(el){
        var h=el.getAttribute('href'); if(!(h.charAt(0)=='#'||h=='data:,')) hrefs++;});
      return {script:q('script'), img:q('img'), iframe:q('iframe,frame,object,embed'),
        link:q('link:not([rel=icon])'), meta_refresh:q('meta[http-equiv=refresh i]'), base:q('base'),
        style:q('style'), on:on, js:js, hrefs:hrefs,
        findings:q('article.finding'), rows:q('#msgs tbody tr'),
        body_visible: getComputedStyle(document.body).display!='none'};})()""")
    charts = cdp.js("Array.prototype.map.call(document.querySelectorAll('figure.chart'),function(f){return f.id;})")
    filt = cdp.js("""(function(){var f=document.getElementById('msgs-filter');
      if(!f) return 'none'; if(f.hidden) return 'hidden';
      var inp=f.querySelector('input'); inp.value='zz-no-such-row-zz';
      inp.dispatchEvent(new Event('input'));
      var vis=Array.prototype.filter.call(document.querySelectorAll('#msgs tbody tr'),function(r){return !r.hidden;}).length;
      inp.value=''; inp.dispatchEvent(new Event('input')); return vis;})()""")
    # sorting: the size column ascending, by its button
    sort = cdp.js("""(function(){var t=document.getElementById('msgs'); if(!t) return 'none';
      var th=Array.prototype.filter.call(t.tHead.rows[0].cells,function(c){return /size/.test(c.textContent);})[0];
      var b=th.querySelector('button.sort'); if(!b) return 'no button'; b.click();
      var v=Array.prototype.map.call(t.tBodies[0].rows,function(r){return parseFloat(r.cells[th.cellIndex].textContent)||0;});
      for(var i=1;i<v.length;i++) if(v[i]<v[i-1]) return 'unsorted';
      return th.getAttribute('aria-sort');})()""")
    # printed: navigation and the filter box are not on paper
    cdp.call("Emulation.setEmulatedMedia", media="print")
    printed = cdp.js("getComputedStyle(document.querySelector('nav')).display")
    cdp.call("Emulation.setEmulatedMedia", media="")
    # the full page, for people to look at
    height = min(int(cdp.js("document.documentElement.scrollHeight")), 8000)
    cdp.call("Emulation.setDeviceMetricsOverride", width=1280, height=height, deviceScaleFactor=1, mobile=False)
    png = cdp.call("Page.captureScreenshot", format="png", captureBeyondViewport=True,
                   clip={"x": 0, "y": 0, "width": 1280, "height": height, "scale": 1})["data"]
    with open(shot, "wb") as f:
        f.write(base64.b64decode(png))
    cdp.pump(0.3)

    requests = [e["params"]["request"]["url"] for e in cdp.events if e["method"] == "Network.requestWillBeSent"]
    others = [u for u in requests if u != url]
    errors = [e["params"]["entry"]["text"] for e in cdp.events
              if e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] == "error"]
    errors += [json.dumps(e["params"]["args"])[:200] for e in cdp.events
               if e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "assert")]
    errors += [e["params"]["exceptionDetails"].get("text", "exception") for e in cdp.events
               if e["method"] == "Runtime.exceptionThrown"]
    check("page loaded", bool(counts))
    check("no console errors or exceptions", not errors, "; ".join(errors)[:600])
    check("no network request besides the report itself", not others, " ".join(others)[:600])
    check("title unchanged", title == expect["title"], repr(title))
    check("exactly one script element (ours)", counts["script"] == 1, str(counts["script"]))
    check("one style element (ours)", counts["style"] == 1, str(counts["style"]))
    check("no injected img/iframe/object/embed/link/meta refresh/base",
          counts["img"] + counts["iframe"] + counts["link"] + counts["meta_refresh"] + counts["base"] == 0,
          json.dumps(counts))
    check("no on* event-handler attributes", counts["on"] == 0, str(counts["on"]))
    check("no javascript: URLs", counts["js"] == 0, str(counts["js"]))
    check("every link is an in-page anchor", counts["hrefs"] == 0, str(counts["hrefs"]))
    check("page body visible (no injected CSS)", counts["body_visible"])
    check("every finding present (%d)" % expect["findings"], counts["findings"] == expect["findings"],
          "found %d" % counts["findings"])
    missing = [c for c in expect["charts"] if c not in charts]
    check("every chart present", not missing, "missing " + " ".join(missing))
    check("message rows present (>= %d)" % expect["min_rows"], counts["rows"] >= expect["min_rows"],
          str(counts["rows"]))
    check("page script ran (CSP hash right) and filters rows",
          filt == 0 or (expect["min_rows"] == 0 and filt == "none"), repr(filt))
    check("sort by size puts the rows in order", sort == "ascending" or (expect["min_rows"] == 0 and sort == "none"), repr(sort))
    check("print stylesheet hides the navigation", printed == "none", repr(printed))
    check("screenshot saved", os.path.getsize(shot) > 10000)


def main():
    chromium, args = sys.argv[1], sys.argv[2:]
    if not args or len(args) % 4:
        print("usage: report_browser.py CHROMIUM NAME REPORT.html SHOT.png EXPECT.json ...")
        return 2
    prof = tempfile.mkdtemp(prefix="msl-chromium-")
    proc = subprocess.Popen([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                             "--disable-background-networking", "--disable-component-update",
                             "--disable-sync", "--no-first-run", "--disable-default-apps",
                             "--user-data-dir=" + prof, "--remote-debugging-address=127.0.0.1",
                             "--remote-debugging-port=0", "--hide-scrollbars",
                             "--window-size=1280,900", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = os.path.join(prof, "DevToolsActivePort")
        for _ in range(300):
            if os.path.exists(port_file) and open(port_file).read().count("\n") >= 1:
                break
            time.sleep(0.1)
        else:
            print("browser did not open its DevTools port")
            return 2
        port = int(open(port_file).read().split("\n")[0])
        pages = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=10))
        page = [p for p in pages if p.get("type") == "page"][0]
        cdp = CDP(WS(page["webSocketDebuggerUrl"]))
        for dom in ("Network", "Runtime", "Log", "Page"):
            cdp.call(dom + ".enable")
        for i in range(0, len(args), 4):
            name, report, shot, expect_path = args[i:i + 4]
            check_page(cdp, name, report, shot, json.load(open(expect_path)))
        try:
            cdp.call("Browser.close")
        except IOError:
            pass
    finally:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(prof, ignore_errors=True)
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
