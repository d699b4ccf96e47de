"""The documentation site's sources hold together without building it (CI builds it, strict, in .ci/run):
every exported module is on an API page, every README section a page includes exists, every page of the
navigation exists, and the validation page's generator finds the suite's reference comparisons."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import yaml

import survtrial

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _pages() -> dict[str, str]:
    return {p.relative_to(DOCS).as_posix(): p.read_text(encoding="utf-8") for p in DOCS.rglob("*.md")}


def test_every_exported_module_is_on_an_api_page():
    documented = set()
    for name, text in _pages().items():
        if name.startswith("api/"):
            documented |= set(re.findall(r"^::: ([\w.]+)", text, flags=re.M))
    missing = sorted(set(survtrial._EXPORTS.values()) - documented)
    assert not missing, f"add these modules to a page under docs/api/: {missing}"


def test_included_readme_sections_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, text in _pages().items():
        for section in re.findall(r'--8<-- "README\.md:([\w-]+)"', text):
            assert f"<!-- --8<-- [start:{section}] -->" in readme, f"{name}: README section {section!r} is gone"
            assert f"<!-- --8<-- [end:{section}] -->" in readme, f"{name}: README section {section!r} never ends"


def test_navigation_pages_exist_and_tutorials_execute():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["strict"] is True

    def walk(nav):
        for item in nav:
            for value in item.values():
                yield from walk(value) if isinstance(value, list) else [value]

    pages = list(walk(config["nav"]))
    assert all((DOCS / p).is_file() for p in pages)
    tutorials = [p for p in pages if p.startswith("tutorials/")]
    assert len(tutorials) == 5
    for page in tutorials:
        assert 'exec="on"' in (DOCS / page).read_text(encoding="utf-8"), f"{page} runs no code"


def test_validation_page_lists_the_reference_comparisons():
    spec = importlib.util.spec_from_file_location("_validation", DOCS / "_validation.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    import os

    here = os.getcwd()
    try:
        os.chdir(ROOT)
        rows = mod.collect()
    finally:
        os.chdir(here)
    assert len(rows) >= 100
    kinds = {r["kind"] for r in rows}
    assert {"R", "published"} <= kinds
    assert all(r["reference"] and r["tolerance"] for r in rows)
    # a known comparison is found with its reference and tolerance (tests/stats/test_logrank.py)
    lr = next(r for r in rows if r["test"] == "stats/test_logrank.py::test_matches_r_survdiff")
    assert "survdiff" in lr["reference"] and "rtol 1e-10" in lr["tolerance"]
