"""Atomic output directories for the CLI: files are staged in a temporary folder, then renamed into place.

One ``--overwrite`` behaviour for every command that writes: an output folder (or file) that exists
and is not empty is refused unless ``--overwrite`` is given; then it is replaced as a whole, and only
once the new output is complete.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Annotated

import typer

from survtrial.errors import InputError

__all__ = ["Overwrite", "check_output_dir", "check_output_file", "write_file", "write_outputs"]

# The --overwrite flag of every command that writes a folder or a file (default: refuse to replace).
Overwrite = Annotated[
    bool,
    typer.Option("--overwrite", help="Replace an existing, non-empty output (default: refuse and say so)."),
]


def check_output_dir(out: Path, *, flag: str = "--out", overwrite: bool = False, parents: bool = False,
                     names: Collection[str] | None = None) -> Path:
    """Refuse an output folder that is a file, has no parent folder, or exists with files in it
    (unless ``overwrite``). Writes nothing; called before any work is done."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"{flag} {str(out)!r} exists and is not a directory")
    parent = out.absolute().parent
    if not parent.is_dir() and not parents:
        raise InputError(f"{flag} {str(out)!r}: parent directory {str(parent)!r} does not exist")
    if out.is_dir() and any(out.iterdir()) and not overwrite:
        raise InputError(f"{flag} {str(out)!r} exists and is not empty; pass --overwrite to replace it, "
                         "or choose another folder")
    return out


def check_output_file(out: Path, *, flag: str = "--out", overwrite: bool = False) -> Path:
    """Refuse an output file that is a folder, has no parent folder, or exists (unless ``overwrite``)."""
    out = Path(out)
    if out.is_dir():
        raise InputError(f"{flag} {str(out)!r} is a folder; give a file name")
    if not out.absolute().parent.is_dir():
        raise InputError(f"{flag} {str(out)!r}: parent directory {str(out.absolute().parent)!r} does not exist")
    if out.exists() and not overwrite:
        raise InputError(f"{flag} {str(out)!r} exists; pass --overwrite to replace it, or choose another name")
    return out


def write_file(out: Path, write: Callable[[Path], object], *, flag: str = "--out", overwrite: bool = False) -> Path:
    """Write one file under a temporary name beside ``out`` and rename it into place when complete."""
    out = check_output_file(out, flag=flag, overwrite=overwrite)
    tmp = out.absolute().parent / f".{out.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        write(tmp)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def write_outputs(out: Path, writers: Mapping[str, Callable[[Path], object]], *, overwrite: bool = False,
                  flag: str = "--out") -> Path:
    """Write each file of ``writers`` (file name -> function writing to a path) as the folder ``out``.

    All files are written into a staging folder first; the folder replaces ``out`` only when every
    writer has finished, so a failure leaves nothing half-written and an existing output untouched.
    An existing non-empty ``out`` needs ``overwrite``.
    """
    out = check_output_dir(out, flag=flag, overwrite=overwrite)
    parent = out.absolute().parent
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".tmp", dir=parent))
    backup: Path | None = None
    try:
        for name, write in writers.items():
            write(tmp / name)
        tmp.chmod(0o755)
        if out.exists():
            backup = parent / f".{out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
            os.rename(out, backup)
        os.rename(tmp, out)
    except BaseException:
        if backup is not None and not out.exists():
            os.rename(backup, out)
        raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    return out
