"""Output paths of the CLI: checked before any work (InputError naming the flag), written atomically.

The writing itself is :mod:`survtrial._atomic`'s (one writer for the CLI, the workflows, the report
and the ADaM export): files are staged under a temporary name and renamed into place when complete.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated

import typer

from survtrial._atomic import check_output_dir, check_output_file, write_directory, write_file

__all__ = ["Overwrite", "check_output_dir", "check_output_file", "write_file", "write_outputs"]

# The --overwrite flag of commands that write a folder or a file.
Overwrite = Annotated[
    bool,
    typer.Option("--overwrite", help="Replace an existing output (a folder only if survtrial wrote it)."),
]


def write_outputs(out: Path, writers: Mapping[str, Callable[[Path], object]], *, overwrite: bool = False,
                  flag: str = "--out") -> Path:
    """Write each file of ``writers`` (file name -> function writing to a path) as the folder ``out``.

    All files are written into a staging folder first and the folder is renamed into place only
    when every writer has finished, so a failure leaves nothing half-written and an existing
    output untouched; the staging folder is always removed. An existing non-empty ``out`` needs
    ``overwrite`` (see :func:`survtrial._atomic.write_directory`).
    """
    return write_directory(out, writers, flag=flag, overwrite=overwrite)
