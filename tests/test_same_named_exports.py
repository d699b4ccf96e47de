"""A layer's exported function keeps its name when a submodule of the same name is imported first.

``survtrial.design.ahr_design`` is a module and the function it defines; without ``survtrial._lazy.keep_exports``
``from survtrial.design import ahr_design`` gave the module once anything had imported the module (the design
explorer's ``getattr(survtrial.design, "ahr_design")`` then failed with "'module' object is not callable",
depending on test order). Each case runs in a fresh interpreter, importing the submodule first.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

CASES = [
    ("survtrial.design", "ahr_design"),
    ("survtrial.design", "maxcombo_design"),
    ("survtrial.report", "design_report"),
    ("survtrial.report", "schoenfeld_plot"),
]


@pytest.mark.parametrize(("package", "name"), CASES)
def test_the_function_wins_over_its_module(package, name):
    code = (f"import importlib, types\n"
            f"import {package}.{name}\n"
            f"from {package} import {name} as f\n"
            f"import {package} as p\n"
            f"assert callable(f) and not isinstance(f, types.ModuleType), f\n"
            f"assert getattr(p, {name!r}) is f\n"
            f"m = importlib.import_module('{package}.{name}')\n"
            f"assert isinstance(m, types.ModuleType) and getattr(m, {name!r}) is f\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
