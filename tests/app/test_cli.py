"""`survtrial app`: serves on 127.0.0.1 and prints the URL; clear exit 2 without shiny or with a busy port."""

from __future__ import annotations

import socket
import sys
import urllib.request

from conftest import start_app, stop_app
from typer.testing import CliRunner

from survtrial.app import free_port
from survtrial.cli import app


def test_app_prints_its_url_and_serves_the_page():
    port = free_port()
    proc, url = start_app(port)
    try:
        assert url == f"http://127.0.0.1:{port}/"
        with urllib.request.urlopen(url, timeout=10) as r:
            page = r.read().decode()
        assert "survtrial design explorer" in page
    finally:
        stop_app(proc)


def test_without_shiny_the_command_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "shiny", None)  # import shiny -> ImportError
    result = CliRunner().invoke(app, ["app"])
    assert result.exit_code == 2
    assert "pip install 'survtrial[app]'" in " ".join(result.output.split())  # rich wraps at the terminal width
    assert "Traceback" not in result.output


def test_a_busy_port_is_an_input_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = CliRunner().invoke(app, ["app", "--port", str(port)])
    assert result.exit_code == 2
    assert f"--port {port}: cannot serve on 127.0.0.1:{port}" in " ".join(result.output.split())
    result = CliRunner().invoke(app, ["app", "--port", "70000"])
    assert result.exit_code == 2
    assert "--port 70000: give a TCP port between 1 and 65535" in " ".join(result.output.split())
