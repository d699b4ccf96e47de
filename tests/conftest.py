"""Fixtures for every test: the project's reference material on AALL1731.

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
def reference() -> dict:
    """The published AALL1731 figures (``tests/reference/aall1731_published.yaml``), parsed."""
    return yaml.safe_load(reference_file(PUBLISHED_YAML).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def reference_notes() -> str:
    """The trial description (``tests/reference/aall1731.md``)."""
    return reference_file("aall1731.md").read_text(encoding="utf-8")
