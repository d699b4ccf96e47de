"""Fixtures for the simulation tests: the published AALL1731 figures (shared/reference beside the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
REFERENCE_DIR = REPO.parent / "shared" / "reference"


def reference_path(name: str) -> Path:
    """A file of shared/reference, or skip the test saying where it was looked for."""
    path = REFERENCE_DIR / name
    if not path.is_file():
        pytest.skip(f"reference file not found at {path} (the shared/reference folder must sit beside the repository)")
    return path


@pytest.fixture(scope="session")
def published() -> dict:
    """shared/reference/aall1731_published.yaml, parsed."""
    return yaml.safe_load(reference_path("aall1731_published.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def reference_notes() -> str:
    """shared/reference/aall1731.md, the trial description."""
    return reference_path("aall1731.md").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def aall1731():
    """The packaged AALL1731 scenario (loaded and calibrated once)."""
    from survtrial.simulate.scenario import load_scenario

    return load_scenario("aall1731")
