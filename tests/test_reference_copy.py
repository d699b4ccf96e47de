"""The reference copy in tests/reference is the project's shared reference, unedited."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO / "tests" / "reference"
SHARED_REFERENCE_DIR = REPO.parent / "shared" / "reference"

_FILES = ("aall1731.md", "aall1731_published.yaml")


def _recorded_digests() -> dict[str, str]:
    text = (REFERENCE_DIR / "SOURCE.md").read_text(encoding="utf-8")
    return dict(re.findall(r"^\| (\S+) \| ([0-9a-f]{64}) \|$", text, flags=re.M))


@pytest.mark.parametrize("name", _FILES)
def test_copy_matches_its_recorded_digest(name):
    digest = hashlib.sha256((REFERENCE_DIR / name).read_bytes()).hexdigest()
    assert _recorded_digests()[name] == digest, f"tests/reference/{name} was edited; copy it from shared/reference"


@pytest.mark.parametrize("name", _FILES)
def test_copy_equals_the_shared_reference_when_present(name):
    """Beside the project's shared folder the copy must be byte-identical to it; in a fresh clone
    without that folder the recorded digest (test above) is what ties the copy to its source."""
    shared = SHARED_REFERENCE_DIR / name
    copy = (REFERENCE_DIR / name).read_bytes()
    if SHARED_REFERENCE_DIR.is_dir():
        assert shared.is_file(), f"{shared} is missing from the shared reference folder"
        assert shared.read_bytes() == copy, f"shared/reference/{name} changed: copy it and update SOURCE.md"
    else:
        assert hashlib.sha256(copy).hexdigest() == _recorded_digests()[name]
