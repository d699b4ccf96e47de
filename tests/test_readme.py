"""The README is true: every ```python and ```bash block runs, and every layer's entry points import.

The blocks run in README order in one temporary folder holding a copy of ``examples/`` (the README's
commands run from the repository root): bash blocks through ``bash`` with the installed ``survtrial``
command, Python blocks in one namespace, as a reader would type them. Only the install and test
commands of the first block (``pip install ...``, ``python -m pytest``) are left to ``.ci/run``, which
runs exactly those in fresh environments.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
README = REPO / "README.md"
BLOCK = re.compile(r"^```(python|bash)\n(.*?)^```", re.S | re.M)
SETUP = re.compile(r"^\s*(pip install|python -m pytest)\b")


def readme_blocks() -> list[tuple[str, str, int]]:
    """(language, code, line of the opening fence) of every python and bash block, in order."""
    text = README.read_text(encoding="utf-8")
    return [(m.group(1), m.group(2), text.count("\n", 0, m.start()) + 1) for m in BLOCK.finditer(text)]


def bash_commands(code: str) -> list[str]:
    """The block's commands (continuation lines joined), without the install and test commands."""
    commands = []
    for line in code.replace("\\\n", " ").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p for p in line.split("&&") if not SETUP.match(p)]
        if parts:
            commands.append("&&".join(parts).strip())
    return commands


def test_the_readme_has_its_blocks():
    langs = [lang for lang, _, _ in readme_blocks()]
    assert langs.count("python") >= 6 and langs.count("bash") >= 6
    first = readme_blocks()[0]
    assert first[0] == "bash" and [c.split("#")[0].strip() for c in bash_commands(first[1])] == [
        "survtrial reproduce aall1731"]


def test_every_readme_code_block_runs(tmp_path, monkeypatch):
    work = tmp_path / "repo"
    work.mkdir()
    shutil.copytree(REPO / "examples", work / "examples")
    bindir = Path(sys.executable).parent
    assert (bindir / "survtrial").exists(), "the survtrial command is not installed beside this Python"
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}", "COLUMNS": "160"}
    monkeypatch.chdir(work)
    namespace: dict = {"__name__": "__readme__"}
    for lang, code, line in readme_blocks():
        if lang == "python":
            try:
                exec(compile(code, f"README.md:{line}", "exec"), namespace)
            except Exception as err:  # pragma: no cover - the message is the point
                pytest.fail(f"README.md line {line}: python block failed: {err!r}")
            continue
        for command in bash_commands(code):
            run = subprocess.run(["bash", "-c", command], cwd=work, env=env, capture_output=True, text=True,
                                 timeout=900)
            output = run.stdout + run.stderr
            assert run.returncode == 0, f"README.md line {line}: `{command}` exited {run.returncode}:\n{output}"
            assert "Traceback" not in output, f"README.md line {line}: `{command}`:\n{output}"
    # what the blocks say they write is there
    assert (work / "survtrial-out" / "aall1731" / "report.html").is_file()
    assert (work / "aall1731_design" / "design.json").is_file()
    assert (work / "report" / "report.html").is_file() and (work / "dsmb-report" / "report.html").is_file()
    assert (work / "calendar.ics").is_file() and (work / "cal" / "calendar.ics").is_file()


def _table_rows() -> list[tuple[list[str], list[str]]]:
    """(layers, entry points) of each row of the README's layer table."""
    rows = []
    for line in README.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`survtrial."):
            rows.append((re.findall(r"`(survtrial\.\w+)`", cells[0]), re.findall(r"`(\w+)`", cells[2])))
    return rows


def test_each_layer_entry_point_in_the_readme_table_imports():
    rows = _table_rows()
    assert len(rows) >= 6
    for layers, names in rows:
        assert names, layers
        for name in names:
            found = [layer for layer in layers if hasattr(importlib.import_module(layer), name)]
            assert found, f"{name} cannot be imported from {' or '.join(layers)}"
    from survtrial.stats import kaplan_meier  # the README's promise, literally

    assert callable(kaplan_meier)
