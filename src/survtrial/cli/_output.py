"""Atomic output directories for the CLI: files are staged in a temporary folder, then renamed into place."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from survtrial.errors import InputError


def _staging(out: Path) -> Path:
    """A fresh temporary folder beside ``out`` (same file system, so the final renames are atomic)."""
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r} exists and is not a directory")
    parent = out.resolve().parent
    if not parent.is_dir():
        raise InputError(f"--out {str(out)!r}: parent directory {str(parent)!r} does not exist")
    return Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))


def _publish(tmp: Path, out: Path) -> None:
    """Move the finished files of ``tmp`` into ``out`` (created if absent); remove ``tmp``."""
    if not out.exists():
        os.replace(tmp, out)
        return
    for f in tmp.iterdir():
        os.replace(f, out / f.name)
    tmp.rmdir()


def write_outputs(out: Path, writers: Mapping[str, Callable[[Path], object]]) -> None:
    """Write each file of ``writers`` (file name -> function writing to a path) into ``out``.

    All files are written into a staging folder first and moved into ``out`` only when every writer
    has finished, so a failure leaves nothing half-written; the staging folder is always removed.
    """
    tmp = _staging(out)
    try:
        for name, write in writers.items():
            write(tmp / name)
        _publish(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
