"""A running `survtrial app` for the browser tests: started on a free port, stopped after the module."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import pytest

START = "from survtrial.cli import app; app()"


def start_app(port: int | None = None, timeout: float = 60.0) -> tuple[subprocess.Popen, str]:
    """Start ``survtrial app`` (as the user types it) and wait until its page answers; (process, URL)."""
    args = [sys.executable, "-c", START, "app"] + ([] if port is None else ["--port", str(port)])
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # "survtrial design explorer: http://127.0.0.1:PORT/  (Ctrl+C to stop)"
    if "http://" not in line:
        proc.kill()
        raise RuntimeError(f"survtrial app printed {line!r}; stderr: {proc.stderr.read()}")
    url = line.split()[3]
    end = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            if proc.poll() is not None or time.monotonic() > end:
                proc.kill()
                raise RuntimeError(f"survtrial app did not answer at {url}; stderr: {proc.stderr.read()}") from None
            time.sleep(0.2)


def stop_app(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def running_app():
    proc, url = start_app()
    yield url
    stop_app(proc)
