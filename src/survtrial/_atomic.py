"""Atomic outputs: checked paths, files and directories built under a temporary name and renamed into place.

Every command and function that writes uses these helpers, so that:

- a path that cannot be written (a file where a directory is wanted, a missing parent, a folder
  that is not writable, an existing output without ``overwrite``) is an :class:`InputError` naming
  the flag or argument and the path, raised before any work is done;
- the new output is complete before it replaces the old one: the old one stays in place until the
  final rename, and on any error the temporary copy is removed and the old output is left as it was;
- an output directory is replaced (``overwrite``) only when it is empty, was written by survtrial
  (it holds the marker file :data:`MARKER`) or holds nothing but entries the new output also has,
  so ``--out ~ --overwrite`` cannot remove someone's files.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

from survtrial.errors import InputError

__all__ = ["MARKER", "check_output_dir", "check_output_file", "write_directory", "write_file"]

MARKER = ".survtrial-output"
_LISTED = 5


def _show(path: Path) -> str:
    return repr(str(path))


def _overwrite(flag: str) -> str:
    """How the caller asks to replace: the CLI flag, or the Python argument."""
    return "--overwrite" if flag.startswith("--") else "overwrite=True"


def _hidden_temp(parent: Path, name: str, kind: str) -> Path:
    return parent / f".{name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"


def _existing_ancestor(path: Path, flag: str, parents: bool) -> Path:
    """The nearest existing folder above ``path``; refuses a file in the way or (without ``parents``) a
    missing parent."""
    parent = path.parent
    if parent.is_dir():
        return parent
    probe = parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise InputError(f"{flag} {_show(path)}: {_show(probe)} is a file, not a folder; choose another path")
    if not parents:
        raise InputError(
            f"{flag} {_show(path)}: the folder {_show(parent)} does not exist; create it first or choose another path"
        )
    return probe


def _check_writable(folder: Path, path: Path, flag: str) -> None:
    """Create and remove a probe folder: permissions, read-only file systems and quotas all show."""
    probe = _hidden_temp(folder, path.name or "out", "probe")
    try:
        probe.mkdir()
    except OSError as err:
        raise InputError(
            f"{flag} {_show(path)}: cannot write in {_show(folder)} ({err.strerror or err}); "
            "choose a folder you can write to"
        ) from None
    probe.rmdir()


def _check_not_cwd(path: Path, flag: str) -> None:
    target = Path(os.path.abspath(path))
    cwd = Path.cwd()
    if target == cwd or target in cwd.parents:
        raise InputError(f"{flag} {_show(path)} is the current folder or one of its parents; give a new folder")


def _foreign(out: Path, names: Collection[str] | None) -> list[str]:
    """Entries of the existing ``out`` that the new output would not replace: none if survtrial wrote
    it (the marker) or if the new output's names are not known yet (decided when they are)."""
    entries = sorted(p.name for p in out.iterdir())
    if MARKER in entries or names is None:
        return []
    return [e for e in entries if e not in set(names)]


def check_output_dir(
    out: str | os.PathLike[str],
    *,
    flag: str = "--out",
    overwrite: bool = False,
    parents: bool = False,
    names: Collection[str] | None = None,
) -> Path:
    """Refuse an output folder that cannot be written; returns it as a Path. Writes nothing.

    Parameters
    ----------
    out : the output folder.
    flag : how the caller names it in messages (``"--out"``, ``"out_dir"``).
    overwrite : an existing non-empty folder may be replaced (see the module notes for when).
    parents : missing parent folders may be created (else a missing parent is an error).
    names : the entries the new output will have, if known (an existing folder holding only those
        may be replaced with ``overwrite``).
    """
    path = Path(out)
    if str(out) == "":
        raise InputError(f"{flag}: empty path; give a folder name")
    _check_not_cwd(path, flag)
    if path.is_symlink():
        raise InputError(f"{flag} {_show(path)} is a symbolic link; give the folder itself")
    if path.exists() and not path.is_dir():
        raise InputError(f"{flag} {_show(path)} exists and is not a folder; choose another path")
    folder = path.parent if path.exists() else _existing_ancestor(path, flag, parents)
    _check_writable(folder, path, flag)
    if path.is_dir():
        try:
            entries = any(path.iterdir())
        except OSError as err:
            raise InputError(f"{flag} {_show(path)} cannot be read ({err.strerror or err})") from None
        if entries and not overwrite:
            raise InputError(
                f"{flag} {_show(path)} exists and is not empty; pass {_overwrite(flag)} to replace it, "
                "or choose another folder"
            )
        foreign = _foreign(path, names) if entries else []
        if foreign:
            shown = ", ".join(repr(f) for f in foreign[:_LISTED]) + (" ..." if len(foreign) > _LISTED else "")
            raise InputError(
                f"{flag} {_show(path)} holds files survtrial did not write ({shown}); it is not replaced even "
                f"with {_overwrite(flag)}: remove them yourself or choose another folder"
            )
    return path


def write_directory(
    out: str | os.PathLike[str],
    writers: Mapping[str, Callable[[Path], object]] | Callable[[Path], object],
    *,
    flag: str = "--out",
    overwrite: bool = False,
    parents: bool = False,
) -> Path:
    """Build a folder under a temporary name beside ``out`` and rename it into place when complete.

    Parameters
    ----------
    out : the output folder; checked by :func:`check_output_dir` first.
    writers : file name -> function writing that file at the path it is given; or one function
        that fills the folder it is given.
    flag, overwrite, parents : as in :func:`check_output_dir`.

    Returns
    -------
    Path of the output folder. It holds the files written and the marker :data:`MARKER`.
    """
    names = list(writers) if isinstance(writers, Mapping) else None
    path = check_output_dir(out, flag=flag, overwrite=overwrite, parents=parents, names=names)
    parent = Path(os.path.abspath(path)).parent
    parent.mkdir(parents=True, exist_ok=True)  # only reached with parents=True when it is missing
    tmp = _hidden_temp(parent, path.name, "partial")
    tmp.mkdir()
    backup: Path | None = None
    try:
        if isinstance(writers, Mapping):
            for name, write in writers.items():
                write(tmp / name)
        else:
            writers(tmp)
        if path.exists() and any(path.iterdir()):  # the final check, with what was written
            check_output_dir(path, flag=flag, overwrite=overwrite, names=[p.name for p in tmp.iterdir()])
        stamp = {"survtrial": _version(), "written": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        (tmp / MARKER).write_text(json.dumps(stamp) + "\n", encoding="utf-8")
        if path.exists():
            backup = _hidden_temp(parent, path.name, "old")
            os.rename(path, backup)
        os.rename(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if backup is not None and not path.exists():
            os.rename(backup, path)
        raise
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)
    return path


def check_output_file(path: str | os.PathLike[str], *, flag: str = "--out", overwrite: bool = False) -> Path:
    """Refuse an output file that cannot be written: a folder, a missing parent, a folder that is not
    writable, or (without ``overwrite``) an existing file. Writes nothing."""
    p = Path(path)
    if str(path) == "":
        raise InputError(f"{flag}: empty path; give a file name")
    if p.is_dir():
        raise InputError(f"{flag} {_show(p)} is a folder; give a file name")
    if p.exists() and not p.is_file():
        raise InputError(f"{flag} {_show(p)} exists and is not a regular file; choose another path")
    folder = _existing_ancestor(p, flag, parents=False)
    _check_writable(folder, p, flag)
    if p.exists() and not overwrite:
        raise InputError(f"{flag} {_show(p)} exists; pass {_overwrite(flag)} to replace it, or choose another name")
    return p


def write_file(
    path: str | os.PathLike[str], write: Callable[[Path], object], *, flag: str = "--out", overwrite: bool = False
) -> Path:
    """Write one file under a temporary name beside ``path`` and rename it into place when complete."""
    p = check_output_file(path, flag=flag, overwrite=overwrite)
    tmp = _hidden_temp(Path(os.path.abspath(p)).parent, p.name, "partial")
    try:
        write(tmp)
        os.replace(tmp, p)
    finally:
        if tmp.exists():
            tmp.unlink()
    return p


def _version() -> str:
    from survtrial import __version__

    return __version__
