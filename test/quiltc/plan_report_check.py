#!/usr/bin/python3
"""Opens a `quiltc --plan-report` page in headless Chromium and checks it.

    /usr/bin/python3 plan_report_check.py PAGE.html [--expect-candidates]

Checks, on the DOM after the page's script ran (`--dump-dom`):
  * the sections `summary`, `mesh`, `splits`, `timeline`, `candidates` exist,
    and the SVG drawings in them (mesh-svg, timeline-strip, timeline-rows, at
    least one tensor grid, and with --expect-candidates the ranked table with
    its winner row);
  * the script finished: <body data-ok="1"> (it sets "0" when a section is
    missing or an error was recorded), and no error was recorded on
    <html data-errors> (uncaught exceptions, console.error);
  * the browser's log shows no console message "Uncaught ..." and no
    ERROR:CONSOLE line;
  * the page is self-contained: no src=/href= pointing off the page.
Fails (exit 1) with a one-line reason, also when Chromium is not installed
(scripts/setup.sh installs Debian's `chromium`). A browser run that prints no
DOM at all is retried (three runs, 25 s in all).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from html.parser import HTMLParser

TIMEOUT_S = 25  # all attempts together
ATTEMPTS = 3


class SelfContained(HTMLParser):
    """Finds the first reference off the page: a src/href/srcset attribute
    that is not an in-page #anchor, a <link>, or url()/@import in CSS."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problem = None
        self.in_style = False

    def handle_starttag(self, tag, attrs):
        if self.problem:
            return
        if tag == "link":
            self.problem = "a <link> element"
        for name, value in attrs:
            if name in ("src", "href", "srcset", "xlink:href", "action", "data") and \
                    not (value or "").startswith("#"):
                self.problem = f"<{tag} {name}=\"{value}\">"
                return
        self.in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self.in_style = False

    def handle_data(self, data):
        if self.in_style and not self.problem and re.search(r"url\(|@import", data):
            self.problem = "url() or @import in a <style>"


def fail(message):
    print(f"plan_report_check: FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def find_chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    for path in ("/usr/bin/chromium", "/usr/lib/chromium/chromium"):
        if os.access(path, os.X_OK):
            return path
    return None


def dump_dom(chromium, page, timeout):
    """The page's DOM after its scripts ran, the browser's log, its exit code."""
    with tempfile.TemporaryDirectory(prefix="quilt-plan-report-") as profile:
        cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
               "--no-first-run", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--disable-extensions",
               "--disable-dev-shm-usage", f"--user-data-dir={profile}",
               "--enable-logging=stderr", "--v=0", "--dump-dom", "file://" + page]
        env = dict(os.environ, HOME=profile)
        try:
            run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, timeout=timeout, env=env)
        except subprocess.TimeoutExpired:
            fail(f"chromium did not finish within {TIMEOUT_S} s")
    return (run.stdout.decode("utf-8", "replace"), run.stderr.decode("utf-8", "replace"),
            run.returncode)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    expect_candidates = "--expect-candidates" in sys.argv[1:]
    if len(args) != 1:
        fail("usage: plan_report_check.py PAGE.html [--expect-candidates]")
    page = os.path.abspath(args[0])
    if not os.path.isfile(page):
        fail(f"{page}: no such file")
    with open(page, encoding="utf-8") as f:
        html = f.read()

    # Self-contained: nothing is loaded from elsewhere (in-page #anchors only).
    # Parsed, not searched, so text from the model (escaped) cannot confuse it.
    external = SelfContained()
    external.feed(html)
    external.close()
    if external.problem:
        fail(f"{external.problem}: the page must be self-contained")

    chromium = find_chromium()
    if not chromium:
        fail("chromium is not installed (run scripts/setup.sh, or apt-get install -y chromium): "
             "the plan report is checked in a real headless browser")

    # A browser that starts but prints no DOM (seen rarely on a loaded
    # machine) is retried; everything else fails at once.
    deadline = time.monotonic() + TIMEOUT_S
    for attempt in range(1, ATTEMPTS + 1):
        remaining = deadline - time.monotonic()
        if remaining <= 1:
            fail(f"chromium gave no DOM within {TIMEOUT_S} s ({attempt - 1} attempts)")
        dom, log, code = dump_dom(chromium, page, remaining)
        if code == 0 and "<body" in dom:
            break
        if attempt == ATTEMPTS:
            tail = "\n".join(log.splitlines()[-5:])
            fail(f"chromium exited {code} without a DOM ({ATTEMPTS} attempts):\n{tail}")

    # Console errors of the page (uncaught exceptions show as "Uncaught ...").
    for line in log.splitlines():
        if "CONSOLE" in line and ("Uncaught" in line or "ERROR:CONSOLE" in line):
            fail(f"console error: {line.strip()}")
    errors = re.search(r"<html[^>]*\bdata-errors=\"([^\"]*)\"", dom)
    if errors:
        fail(f"the page recorded errors: {errors.group(1)}")

    body = re.search(r"<body[^>]*>", dom)
    if not body:
        fail("no <body> in the DOM")
    ok = re.search(r"\bdata-ok=\"([^\"]*)\"", body.group(0))
    if not ok:
        fail("the page's script did not run to the end (no data-ok on <body>)")
    if ok.group(1) != "1":
        fail(f"the page's script reported a problem (data-ok=\"{ok.group(1)}\")")

    for section in ("summary", "mesh", "splits", "timeline", "candidates"):
        if not re.search(rf"\bid=\"{section}\"", dom):
            fail(f"no section id=\"{section}\"")
    for svg in ("mesh-svg", "timeline-strip", "timeline-rows"):
        if not re.search(rf"<svg[^>]*\bid=\"{svg}\"", dom):
            fail(f"no <svg id=\"{svg}\">")

    def section(name):
        m = re.search(rf"<section[^>]*\bid=\"{name}\".*?</section>", dom, re.S)
        return m.group(0) if m else ""

    mesh = section("mesh")
    ranks = len(re.findall(r"<g class=\"rank", mesh))
    if ranks == 0:
        fail("the mesh drawing has no ranks")
    if "<svg" not in section("splits") or "class=\"tensor\"" not in section("splits"):
        fail("the splits section draws no tensor")
    bars = len(re.findall(r"<g class=\"op ", section("timeline")))
    if bars == 0:
        fail("the timeline has no op bars")
    candidates = section("candidates")
    if expect_candidates:
        if "id=\"cand-table\"" not in candidates:
            fail("no table of plan-search candidates")
        if len(re.findall(r"<tr[^>]*class=\"winner\"", candidates)) != 1:
            fail("the candidates table does not mark exactly one winner")
    svgs = len(re.findall(r"<svg\b", dom))
    print(f"plan_report_check: OK: {page}: {ranks} ranks drawn, {bars} op bars, {svgs} SVGs, "
          "no console errors" + (f" (chromium attempt {attempt})" if attempt > 1 else ""))


if __name__ == "__main__":
    main()
