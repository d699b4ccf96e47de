"""Drive a live page in headless Chromium over the DevTools pipe (the report tests' browser helper, kept open)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from survtrial.report._layout import LAYOUT_SCRIPT, Layout, layout_from
from survtrial.report.browser import (
    CHROMIUM_FLAGS,
    BrowserError,
    BrowserUnavailable,
    _console,
    _Pipe,
    _reap,
    _screenshots,
    _spawn,
    _viewport,
    find_chromium,
)


class LivePage:
    """One page in headless Chromium that stays open: evaluate JavaScript, type, click, wait, measure.

    Use as a context manager; the browser's process group is killed on exit.
    """

    def __init__(self, timeout: float = 90.0, width: int = 1280) -> None:
        exe = find_chromium()
        exe = shutil.which(exe) or exe if exe else None
        if exe is None:
            raise BrowserUnavailable("no Chromium found; install chromium or set SURVTRIAL_CHROMIUM")
        self._profile = tempfile.TemporaryDirectory(prefix="survtrial-app-chromium-")
        args = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={self._profile.name}", "about:blank"]
        self._log = Path(self._profile.name) / "stderr.log"
        self.pid, self._w, self._r = _spawn(args, self._log)
        self.pipe = _Pipe(self._w, self._r, time.monotonic() + timeout)
        targets = self.pipe.call("Target.getTargets")["targetInfos"]
        page = next((t for t in targets if t.get("type") == "page"), None)
        target = page["targetId"] if page else self.pipe.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.pipe.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Runtime", "Log", "Page"):
            self.pipe.call(f"{domain}.enable", session=self.session)
        _viewport(self.pipe, self.session, width)

    def __enter__(self) -> LivePage:
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.pipe.send("Browser.close")
        except (OSError, BrowserError):
            pass
        os.close(self._w)
        os.close(self._r)
        _reap(self.pid, 3.0)
        self._profile.cleanup()

    def goto(self, url: str) -> None:
        nav = self.pipe.call("Page.navigate", {"url": url}, session=self.session)
        if nav.get("errorText"):
            raise BrowserError(f"navigation to {url} failed: {nav['errorText']}")
        self.pipe.wait_for("Page.loadEventFired")

    def eval(self, expression: str) -> Any:
        """Value of a JavaScript expression (promises awaited), JSON round-tripped."""
        res = self.pipe.call("Runtime.evaluate", {"expression": f"JSON.stringify(({expression}))",
                                                  "returnByValue": True, "awaitPromise": True}, session=self.session)
        if "exceptionDetails" in res:
            raise BrowserError(f"{expression}: {res['exceptionDetails'].get('exception', {}).get('description')}")
        value = res["result"].get("value")
        return None if value is None else json.loads(value)

    def wait(self, expression: str, timeout: float = 30.0, what: str = "") -> Any:
        """Poll until the expression is truthy; its value."""
        end = time.monotonic() + timeout
        while True:
            value = self.eval(expression)
            if value:
                return value
            if time.monotonic() > end:
                shown = self.eval("document.body.innerText.slice(0, 3000)")
                raise BrowserError(f"timed out waiting for {what or expression}; the page shows:\n{shown}")
            self.pipe.drain(0.2)

    def set_input(self, input_id: str, value: Any) -> None:
        """Set a Shiny input as the user would: type into the element and fire its change events."""
        js = f"""(() => {{ const el = document.getElementById({json.dumps(input_id)});
          if (el.tagName === 'SELECT' && el.selectize) {{ el.selectize.setValue({json.dumps(str(value))}); }}
          else {{ el.value = {json.dumps(str(value))}; }}
          el.dispatchEvent(new Event('input', {{bubbles: true}}));
          el.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()"""
        self.eval(js)

    def click(self, selector: str) -> None:
        self.eval(f"(document.querySelector({json.dumps(selector)}).click(), true)")

    def mouse(self, x: float, y: float, clicks: int = 1) -> None:
        """A real mouse click (or double-click) at page coordinates."""
        for n in range(1, clicks + 1):
            for kind in ("mousePressed", "mouseReleased"):
                self.pipe.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left",
                                                            "clickCount": n}, session=self.session)

    def type_text(self, text: str) -> None:
        self.pipe.call("Input.insertText", {"text": text}, session=self.session)

    def key(self, key: str, code: str, keycode: int) -> None:
        for kind in ("keyDown", "keyUp"):
            self.pipe.call("Input.dispatchKeyEvent", {"type": kind, "key": key, "code": code,
                                                      "windowsVirtualKeyCode": keycode}, session=self.session)

    def layout(self) -> Layout:
        return layout_from(self.eval(f"JSON.parse({LAYOUT_SCRIPT})"), "screen")

    def screenshots(self) -> tuple[bytes, ...]:
        return _screenshots(self.pipe, self.session)

    def errors(self) -> list[str]:
        messages, _ = _console(self.pipe.events)
        return [str(m) for m in messages if m.level == "error"]
