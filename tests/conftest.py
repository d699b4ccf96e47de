"""Fixtures for every test: the project's reference material on AALL1731, and the suite's rules.

The suite runs completely: a skipped test fails the run (``SURVTRIAL_ALLOW_SKIPS=1`` lets a
developer run a subset that skips, e.g. without Chromium). Cross-checks against lifelines take the
``lifelines`` fixture, which marks them ``lifelines``: lifelines caps pandas below 3, so they run in
their own environment (``.ci/run``: ``pip install -e '.[crosscheck]'`` and ``pytest -m lifelines``)
and the main run (``-m "not lifelines"`` in pyproject.toml) tests the pandas a user gets.

The published AALL1731 figures are kept by the project in ``shared/reference/`` (beside the
repository, read-only). A verbatim copy ships with the tests in ``tests/reference/`` so that a fresh
clone tests completely without that folder; ``tests/test_reference_copy.py`` checks the copy against
``shared/reference`` when it is present (and against the digests recorded in
``tests/reference/SOURCE.md`` always). Tests read their expected numbers from it (never retyped)
through the ``reference`` fixture.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import settings

# Property tests draw the same examples on every run ("deterministic", the default: CI and a new
# clone see what the developers saw); HYPOTHESIS_PROFILE=explore searches new examples each run.
settings.register_profile("deterministic", derandomize=True, database=None)  # no replay of local failures
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO / "tests" / "reference"
SHARED_REFERENCE_DIR = REPO.parent / "shared" / "reference"
PUBLISHED_YAML = "aall1731_published.yaml"


def reference_file(name: str) -> Path:
    """A file of the reference copy shipped with the tests (``tests/reference``)."""
    return REFERENCE_DIR / name


@pytest.fixture(scope="session")
def lifelines():
    """The lifelines package (with ``lifelines.statistics`` and ``lifelines.utils``) for cross-checks."""
    import lifelines
    import lifelines.statistics
    import lifelines.utils

    return lifelines


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Tests that take the ``lifelines`` fixture are marked ``lifelines`` (before ``-m`` selects)."""
    for item in items:
        if "lifelines" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.lifelines)


def _skipped(config) -> list:
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return [] if reporter is None else reporter.stats.get("skipped", [])


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _skipped(config) and os.environ.get("SURVTRIAL_ALLOW_SKIPS") != "1":
        terminalreporter.write_line(
            f"{len(_skipped(config))} test(s) skipped: the suite must run completely (install what the skip "
            "reason names; SURVTRIAL_ALLOW_SKIPS=1 accepts skips for a local run)", red=True, bold=True)


def pytest_sessionfinish(session, exitstatus):
    if _skipped(session.config) and exitstatus == 0 and os.environ.get("SURVTRIAL_ALLOW_SKIPS") != "1":
        session.exitstatus = 1


@pytest.fixture(scope="session")
def reference() -> dict:
    """The published AALL1731 figures (``tests/reference/aall1731_published.yaml``), parsed."""
    return yaml.safe_load(reference_file(PUBLISHED_YAML).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def reference_notes() -> str:
    """The trial description (``tests/reference/aall1731.md``)."""
    return reference_file("aall1731.md").read_text(encoding="utf-8")
