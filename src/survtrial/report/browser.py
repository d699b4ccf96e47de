"""Render an HTML file in headless Chromium: console messages, requests, DOM and text (and a PDF)."""

from __future__ import annotations

import base64
import fcntl
import json
import os
import re
import select
import shutil
import signal
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from survtrial.report._layout import (
    LANDSCAPE_WIDTH_PX,
    LAYOUT_SCRIPT,
    PORTRAIT_WIDTH_PX,
    Layout,
    layout_from,
)
from survtrial.report.check import active_content, external_references

__all__ = [
    "BrowserError",
    "BrowserUnavailable",
    "ConsoleMessage",
    "Layout",
    "RenderedPage",
    "check_report",
    "find_chromium",
    "pdf_page_count",
    "render_html",
]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/snap/bin/chromium",
                  "/usr/lib/chromium/chromium", "/Applications/Chromium.app/Contents/MacOS/Chromium",
                  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--mute-audio",
    "--window-size=1280,1600",
    "--remote-debugging-pipe",
)
# Collected in one evaluation after the load event; CSP does not apply to DevTools evaluation.
_PAGE_STATE = """JSON.stringify({dom: document.documentElement.outerHTML,
  text: document.body ? document.body.innerText : "",
  counts: Object.fromEntries(%s.map(s => [s, document.querySelectorAll(s).length]))})"""


class BrowserUnavailable(RuntimeError):
    """No Chromium/Chrome executable was found (set SURVTRIAL_CHROMIUM to its path)."""


class BrowserError(RuntimeError):
    """Chromium started but failed, timed out or closed the DevTools pipe."""


@dataclass(frozen=True)
class ConsoleMessage:
    """One message the page produced: console API call, uncaught exception or browser log entry."""

    level: str  # "error", "warning", "info", "log", "debug", "verbose"
    text: str
    source: str  # "console", "exception", or the log source ("network", "security", ...)
    url: str = ""

    def __str__(self) -> str:
        return f"[{self.level}] {self.source}: {self.text}" + (f" ({self.url})" if self.url else "")


@dataclass(frozen=True)
class RenderedPage:
    """What headless Chromium saw when it loaded a page."""

    url: str
    dom: str
    text: str
    console: tuple[ConsoleMessage, ...]
    requests: tuple[str, ...]
    counts: dict[str, int] = field(default_factory=dict)
    pdf: bytes | None = None
    layout: Layout | None = None
    print_layout: tuple[Layout, ...] = ()
    screenshots: tuple[bytes, ...] = ()

    @property
    def errors(self) -> tuple[ConsoleMessage, ...]:
        """Console and log messages at level "error" (uncaught exceptions included)."""
        return tuple(m for m in self.console if m.level == "error")

    def __repr__(self) -> str:
        pdf = f", pdf {pdf_page_count(self.pdf)} page(s)" if self.pdf is not None else ""
        return (
            f"RenderedPage({self.url!r}: {len(self.dom)} chars of DOM, {len(self.console)} console "
            f"message(s), {len(self.errors)} error(s), {len(self.requests)} extra request(s){pdf})"
        )


def find_chromium() -> str | None:
    """Path of a Chromium/Chrome executable: $SURVTRIAL_CHROMIUM, else the first on PATH, else a usual place."""
    env = os.environ.get("SURVTRIAL_CHROMIUM")
    if env:
        return env if Path(env).exists() else shutil.which(env)
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    # where distributions install it, for a PATH without those folders (cron, minimal CI shells)
    for path in CHROMIUM_PATHS:
        if os.access(path, os.X_OK):
            return path
    return None


def pdf_page_count(pdf: bytes | None) -> int:
    """Number of page objects in a PDF as Chromium writes it (no object streams)."""
    return 0 if not pdf else len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


class _Pipe:
    """DevTools protocol over --remote-debugging-pipe: NUL-terminated JSON messages on fds 3/4."""

    def __init__(self, write_fd: int, read_fd: int, deadline: float) -> None:
        self.write_fd, self.read_fd, self.deadline = write_fd, read_fd, deadline
        self.buffer = b""
        self.events: list[dict[str, Any]] = []
        self.next_id = 0

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> int:
        self.next_id += 1
        msg: dict[str, Any] = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        data = json.dumps(msg).encode() + b"\0"
        try:
            while data:
                data = data[os.write(self.write_fd, data):]
        except OSError as err:  # EPIPE: the browser has gone
            raise BrowserError(f"Chromium closed the DevTools pipe ({err.strerror})") from None
        return self.next_id

    def receive(self, until: float | None = None) -> dict[str, Any] | None:
        end = min(self.deadline, until) if until is not None else self.deadline
        while b"\0" not in self.buffer:
            wait = end - time.monotonic()
            if wait <= 0:
                if until is not None and until < self.deadline:
                    return None
                raise BrowserError("timed out waiting for Chromium")
            ready, _, _ = select.select([self.read_fd], [], [], wait)
            if ready:
                chunk = os.read(self.read_fd, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the DevTools pipe")
                self.buffer += chunk
        raw, self.buffer = self.buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict:
        msg_id = self.send(method, params, session)
        while True:
            msg = self.receive()
            if msg is not None and msg.get("id") == msg_id:
                if "error" in msg:
                    raise BrowserError(f"{method}: {msg['error'].get('message', msg['error'])}")
                return msg.get("result", {})
            if msg is not None:
                self.events.append(msg)

    def wait_for(self, method: str) -> None:
        while not any(e.get("method") == method for e in self.events):
            msg = self.receive()
            if msg is not None:
                self.events.append(msg)

    def drain(self, seconds: float) -> None:
        until = time.monotonic() + seconds
        while (msg := self.receive(until)) is not None:
            self.events.append(msg)


def _console(events: list[dict[str, Any]]) -> tuple[list[ConsoleMessage], list[str]]:
    messages, requests = [], []
    for e in events:
        method, p = e.get("method"), e.get("params", {})
        if method == "Runtime.consoleAPICalled":
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in p.get("args", []))
            level = {"warning": "warning", "error": "error", "assert": "error"}.get(p.get("type"), p.get("type", "log"))
            frames = p.get("stackTrace", {}).get("callFrames", [])
            messages.append(ConsoleMessage(level, text, "console", frames[0]["url"] if frames else ""))
        elif method == "Runtime.exceptionThrown":
            d = p.get("exceptionDetails", {})
            text = d.get("exception", {}).get("description") or d.get("text", "exception")
            messages.append(ConsoleMessage("error", text, "exception", d.get("url", "")))
        elif method == "Log.entryAdded":
            entry = p.get("entry", {})
            messages.append(ConsoleMessage(entry.get("level", "info"), entry.get("text", ""),
                                           entry.get("source", "other"), entry.get("url", "")))
        elif method == "Network.requestWillBeSent":
            requests.append(p.get("request", {}).get("url", ""))
    return messages, requests


def _spawn(args: list[str], log_path: Path) -> tuple[int, int, int]:
    """Start ``args`` in a new session with the DevTools pipe on fds 3 (commands) and 4 (replies).

    Returns (pid, fd to write commands, fd to read replies). posix_spawn file actions place the
    pipe ends exactly on 3 and 4 (dup2 clears close-on-exec); stderr goes to ``log_path``.
    """
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    # Park the child's ends above 9 first so the dup2s onto 3 and 4 cannot clobber each other.
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (to_child_r, from_child_w)]
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
            (os.POSIX_SPAWN_DUP2, log, 2),
            (os.POSIX_SPAWN_DUP2, high[0], 3),
            (os.POSIX_SPAWN_DUP2, high[1], 4),
        ]
        pid = os.posix_spawn(args[0], args, dict(os.environ), file_actions=actions, setsid=True)
    except OSError as err:
        os.close(to_child_w)
        os.close(from_child_r)
        raise BrowserUnavailable(f"cannot start {args[0]!r}: {err.strerror}") from None
    finally:
        for fd in (to_child_r, from_child_w, *high, log):
            os.close(fd)
    return pid, to_child_w, from_child_r


def _reap(pid: int, grace: float) -> None:
    """Wait up to ``grace`` seconds for the browser to exit, then kill its process group."""
    end = time.monotonic() + grace
    while time.monotonic() < end:
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done:
            return
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def render_html(
    path: str | os.PathLike[str],
    *,
    selectors: Sequence[str] = (),
    pdf: bool = False,
    timeout: float = 30.0,
    chromium: str | None = None,
    width: int = 1280,
    screenshot: bool = False,
) -> RenderedPage:
    """Load a local HTML file in headless Chromium and report what the browser saw.

    Parameters
    ----------
    path : str or path
        The HTML file.
    selectors : sequence of str
        CSS selectors to count in the rendered DOM (``RenderedPage.counts``).
    pdf : bool
        Also print the page to PDF (``RenderedPage.pdf``; print CSS applies) and measure it under
        print media at the printable widths of a portrait and a landscape page
        (``RenderedPage.print_layout``).
    timeout : float
        Seconds for the whole session.
    chromium : str, optional
        Executable; default :func:`find_chromium`.
    width : int
        Viewport width in CSS pixels (a 1280 px wide window by default).
    screenshot : bool
        Also capture the whole page as PNG tiles of 1600 px height (``RenderedPage.screenshots``).

    Returns
    -------
    RenderedPage
        Final DOM (``outerHTML``), ``innerText``, console messages (console API, uncaught
        exceptions, browser log such as failed loads and CSP violations), every URL requested
        other than the page itself, selector counts, the layout at ``width``
        (:class:`~survtrial.report._layout.Layout`: what overflows the page, what scrolls inside
        its own box), and the optional PDF, print layouts and screenshots.

    Raises
    ------
    BrowserUnavailable
        No browser found. FileNotFoundError if ``path`` does not exist; BrowserError if the
        browser fails or times out.

    Notes
    -----
    Chromium runs with ``--headless --no-sandbox --disable-gpu --disable-background-networking
    --disable-component-update --disable-sync --no-first-run`` and a throw-away
    ``--user-data-dir``; it is driven over the DevTools protocol on a pipe
    (``--remote-debugging-pipe``), so no debugging port is opened. The whole process group
    is killed if it does not close within the timeout.
    """
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"render_html: no such file {str(file)!r}")
    exe = chromium or find_chromium()
    exe = shutil.which(exe) or exe if exe else None
    if exe is None:
        raise BrowserUnavailable("no Chromium/Chrome found on PATH; install chromium or set SURVTRIAL_CHROMIUM")
    url = file.resolve().as_uri()
    deadline = time.monotonic() + timeout
    with tempfile.TemporaryDirectory(prefix="survtrial-chromium-") as profile:
        args = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"]
        log_path = Path(profile) / "stderr.log"
        pid, to_child_w, from_child_r = _spawn(args, log_path)
        pipe = _Pipe(to_child_w, from_child_r, deadline)
        try:
            targets = pipe.call("Target.getTargets")["targetInfos"]
            page = next((t for t in targets if t.get("type") == "page"), None)
            target = page["targetId"] if page else pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            for domain in ("Runtime", "Log", "Network", "Page"):
                pipe.call(f"{domain}.enable", session=session)
            _viewport(pipe, session, int(width))
            nav = pipe.call("Page.navigate", {"url": url}, session=session)
            if nav.get("errorText"):
                raise BrowserError(f"navigation to {url} failed: {nav['errorText']}")
            pipe.wait_for("Page.loadEventFired")
            pipe.drain(0.25)  # late console messages
            expr = _PAGE_STATE % json.dumps(list(selectors))
            state = pipe.call("Runtime.evaluate", {"expression": expr, "returnByValue": True}, session=session)
            value = json.loads(state["result"]["value"])
            layout = layout_from(_evaluate(pipe, session, LAYOUT_SCRIPT), "screen")
            shots = _screenshots(pipe, session) if screenshot else ()
            pdf_bytes = None
            printed_layout: tuple[Layout, ...] = ()
            if pdf:
                printed = pipe.call("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True},
                                    session=session)
                pdf_bytes = base64.b64decode(printed["data"])
                printed_layout = _print_layouts(pipe, session)
            pipe.drain(0.05)
            try:
                pipe.send("Browser.close")
            except OSError:
                pass
        except BrowserError as err:
            tail = log_path.read_text(errors="replace")[-1500:] if log_path.exists() else ""
            raise BrowserError(f"{err}; browser log tail:\n{tail}") from None
        finally:
            os.close(to_child_w)
            os.close(from_child_r)
            _reap(pid, max(1.0, min(5.0, deadline - time.monotonic())))
    messages, requests = _console(pipe.events)
    extra = tuple(u for u in requests if u != url)
    return RenderedPage(url, value["dom"], value["text"], tuple(messages), extra, value["counts"], pdf_bytes,
                        layout, printed_layout, shots)


_TILE_PX = 1600


def _viewport(pipe: _Pipe, session: str, width: int) -> None:
    pipe.call("Emulation.setDeviceMetricsOverride",
              {"width": width, "height": _TILE_PX, "deviceScaleFactor": 1, "mobile": False}, session=session)


def _evaluate(pipe: _Pipe, session: str, expression: str) -> Any:
    result = pipe.call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=session)
    return json.loads(result["result"]["value"])


def _screenshots(pipe: _Pipe, session: str) -> tuple[bytes, ...]:
    size = pipe.call("Page.getLayoutMetrics", session=session)["cssContentSize"]
    tiles = []
    for y in range(0, int(size["height"]), _TILE_PX):
        clip = {"x": 0, "y": y, "width": size["width"], "height": min(_TILE_PX, size["height"] - y), "scale": 1}
        shot = pipe.call("Page.captureScreenshot", {"format": "png", "clip": clip, "captureBeyondViewport": True},
                         session=session)
        tiles.append(base64.b64decode(shot["data"]))
    return tuple(tiles)


_LANDSCAPE_SECTIONS = "JSON.stringify([...document.querySelectorAll('section.landscape')].map(s => s.id))"


def _print_layouts(pipe: _Pipe, session: str) -> tuple[Layout, ...]:
    """The page under print media at a portrait page's printable width (sections printed portrait)
    and at a landscape page's (sections printed landscape)."""
    pipe.call("Emulation.setEmulatedMedia", {"media": "print"}, session=session)
    landscape = _evaluate(pipe, session, _LANDSCAPE_SECTIONS)
    out = []
    for keep, px in (("portrait", PORTRAIT_WIDTH_PX), ("landscape", LANDSCAPE_WIDTH_PX)):
        _viewport(pipe, session, px)
        value = _evaluate(pipe, session, LAYOUT_SCRIPT) | {"landscape": landscape}
        out.append(layout_from(value, f"print ({keep} page)", keep=keep))
    pipe.call("Emulation.setEmulatedMedia", {"media": ""}, session=session)
    return tuple(out)


def check_report(
    path: str | os.PathLike[str],
    *,
    require: Sequence[str] = ("svg.report-figure-svg", "table.report-table"),
    pdf: bool = False,
    timeout: float = 30.0,
) -> list[str]:
    """Problems with an HTML report, static and as rendered by headless Chromium; empty if none.

    Checks: no external references and no active content in the file
    (:func:`survtrial.report.check.external_references`, :func:`~survtrial.report.check.active_content`);
    in the browser, no console/log message at level "error" or "warning", no request other
    than the file itself, and at least one element for each ``require`` selector (by default
    a figure and a table); with ``pdf=True`` printing must produce at least one page.
    """
    text = Path(path).read_text(encoding="utf-8")
    problems = [f"external reference: {p}" for p in external_references(text)]
    problems += [f"active content: {p}" for p in active_content(text)]
    page = render_html(path, selectors=require, pdf=pdf, timeout=timeout)
    problems += [f"browser {m}" for m in page.console if m.level in ("error", "warning")]
    problems += [f"browser requested {u}" for u in page.requests]
    problems += [f"rendered page has no element matching {s!r}" for s in require if page.counts.get(s, 0) == 0]
    if pdf and pdf_page_count(page.pdf) == 0:
        problems.append("printing to PDF produced no pages")
    return problems
