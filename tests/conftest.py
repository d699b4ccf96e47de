"""Fixtures for every test: the project's reference material (``shared/reference`` beside the repository).

The published AALL1731 figures live read-only in ``../shared/reference/aall1731_published.yaml``
relative to the repository root. Tests read their expected numbers from it (never retyped) through
the ``reference`` fixture; where the folder is absent, those tests skip and say where they looked.
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
REFERENCE_DIR = REPO.parent / "shared" / "reference"
PUBLISHED_YAML = "aall1731_published.yaml"


def reference_file(name: str) -> Path:
    """A file of ``shared/reference``, or skip the calling test saying where it was looked for."""
    path = REFERENCE_DIR / name
    if not path.is_file():
        pytest.skip(f"reference file not found at {path} (the shared/reference folder must sit beside the repository)")
    return path


@pytest.fixture(scope="session")
def reference() -> dict:
    """The published AALL1731 figures (``shared/reference/aall1731_published.yaml``), parsed."""
    return yaml.safe_load(reference_file(PUBLISHED_YAML).read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def reference_notes() -> str:
    """The trial description (``shared/reference/aall1731.md``)."""
    return reference_file("aall1731.md").read_text(encoding="utf-8")
