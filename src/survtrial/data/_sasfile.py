"""Truncation checks for SAS files: the rows a file's layout or header promises against the rows read.

SAS transport (XPT, versions 5 and 8) is a sequence of 80-byte records: headers, one NAMESTR per
variable (with its length and position in the observation), then the observations, blank-padded to
a multiple of 80 bytes. Version 8 states the number of observations in the OBSV8 header; version 5
does not, so the count comes from the data bytes and the record length: a file cut inside an
observation (or inside a member's headers) is refused, as is a count that differs from the rows the
reader returned. (A v5 file cut exactly where an observation ends on an 80-byte boundary cannot be
told from a shorter complete file; nothing in the format records the count.)

sas7bdat states its header length, page size and page count in the header: a file shorter than
``header + pages x page size`` is truncated; the rows read must equal the header's row count.
"""

from __future__ import annotations

import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

from survtrial.errors import InputError

__all__ = ["XptMember", "check_sas7bdat", "check_xpt", "xpt_members"]

_RECORD = 80
_PREFIX = b"HEADER RECORD*******"
_LIBRARY = (b"HEADER RECORD*******LIBRARY HEADER RECORD!!!!!!!", b"HEADER RECORD*******LIBV8   HEADER RECORD!!!!!!!")
_MEMBER = (b"HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!", b"HEADER RECORD*******MEMBV8  HEADER RECORD!!!!!!!")
_NAMESTR = (b"HEADER RECORD*******NAMESTR HEADER RECORD!!!!!!!", b"HEADER RECORD*******NAMSTV8 HEADER RECORD!!!!!!!")
_OBS = (b"HEADER RECORD*******OBS     HEADER RECORD!!!!!!!", b"HEADER RECORD*******OBSV8   HEADER RECORD!!!!!!!")


@dataclass(frozen=True)
class XptMember:
    """One data set of a transport file: where its observations lie and what they hold."""

    name: str
    variables: int
    record_length: int  # bytes per observation
    data_start: int  # file offset of the first observation
    data_end: int  # file offset after the last data record (next member header or end of file)
    declared_rows: int | None  # the OBSV8 header's count (version 8), else None

    @property
    def complete_rows(self) -> int:
        """Whole observations in the data bytes (blank padding of the last 80-byte record included)."""
        return (self.data_end - self.data_start) // self.record_length if self.record_length else 0


class _Truncated(Exception):
    """Raised by the parser; turned into an InputError naming the file."""


def _records_from(data: bytes, start: int, prefixes: tuple[bytes, ...], what: str) -> int:
    """Offset of the first 80-byte record at or after ``start`` that begins with one of ``prefixes``."""
    best = None
    for prefix in prefixes:
        pos = data.find(prefix, start)
        while pos >= 0 and (pos - start) % _RECORD:
            pos = data.find(prefix, pos + 1)
        if pos >= 0 and pos + _RECORD <= len(data) and (best is None or pos < best):
            best = pos
    if best is None:
        raise _Truncated(f"the file ends before the {what} header")
    return best


def xpt_members(data: bytes) -> list[XptMember]:
    """The members of a SAS transport file (its bytes), as laid out by its headers.

    Raises ``_Truncated`` when a header the layout needs is missing or cut.
    """
    if data[:48] not in _LIBRARY:
        raise _Truncated("it does not start with a SAS transport library header")
    members = []
    offset = _records_from(data, 3 * _RECORD, _MEMBER, "first member")
    while True:
        namestr_length = int(data[offset + 74: offset + 78] or b"140")
        if offset + 5 * _RECORD > len(data):
            raise _Truncated(f"the descriptor of member {len(members) + 1} (at byte {offset:,}) is cut")
        name = data[offset + 2 * _RECORD + 8: offset + 2 * _RECORD + 16].decode("latin-1").strip()
        nameheader = _records_from(data, offset + _RECORD, _NAMESTR, f"NAMESTR (member {name!r})")
        nvars = int(data[nameheader + 52: nameheader + 58])
        first = nameheader + _RECORD
        stop = first + nvars * namestr_length
        if stop > len(data):
            raise _Truncated(f"the variable descriptions of member {name!r} are cut")
        length = 0
        for j in range(nvars):
            ns = data[first + j * namestr_length: first + (j + 1) * namestr_length]
            nlng = struct.unpack(">h", ns[4:6])[0]
            npos = struct.unpack(">i", ns[84:88])[0]
            length = max(length, npos + nlng)
        obs = _records_from(data, first + ((stop - first + _RECORD - 1) // _RECORD) * _RECORD, _OBS,
                            f"observations (member {name!r})")
        count = data[obs + 48: obs + 63].strip()
        declared = int(count) if data[obs: obs + 48] == _OBS[1] and count.isdigit() and int(count) > 0 else None
        start = obs + _RECORD
        try:
            nxt = _records_from(data, start, _MEMBER, "next member")
        except _Truncated:
            nxt = None
        members.append(XptMember(name, nvars, length, start, len(data) if nxt is None else nxt, declared))
        if nxt is None:
            return members
        offset = nxt


def _row_range(m: XptMember, data: bytes) -> tuple[int, int]:
    """The possible numbers of observations: whole records in the data, less trailing all-blank
    records that fit in the blank padding (fewer than 80 bytes) the format adds at the end."""
    high = m.complete_rows
    tail = data[max(m.data_start, m.data_end - _RECORD + 1): m.data_end]
    blanks = len(tail) - len(tail.rstrip(b" "))
    low = max(-(-(m.data_end - m.data_start - blanks) // m.record_length), 0)
    return min(low, high), high


def _check_member(m: XptMember, data: bytes) -> tuple[int, int]:
    if m.record_length <= 0:
        raise _Truncated(f"member {m.name!r} has no variables with a length")
    rows = m.complete_rows
    rest = data[m.data_start + rows * m.record_length: m.data_end]
    if (m.data_end - m.data_start) % _RECORD or rest.strip(b" "):
        raise _Truncated(
            f"member {m.name!r}: observation {rows + 1:,} is cut after {len(rest)} of its {m.record_length} bytes "
            f"({rows:,} complete observations before it)"
        )
    low, high = _row_range(m, data)
    if m.declared_rows is not None and not low <= m.declared_rows <= high:
        raise _Truncated(
            f"member {m.name!r}: its header says {m.declared_rows:,} observations, the file holds {high:,}"
        )
    return low, high


def check_xpt(path: str | Path, rows_read: int | None = None, role: str = "table") -> tuple[int, int]:
    """Refuse a truncated SAS transport file: cut inside a header or an observation (any member), or
    with a first member holding other than ``rows_read`` observations (when given). InputError names
    the file and the counts. Returns the possible numbers of observations of the first member
    (equal unless blank padding could be blank observations)."""
    p = Path(path)
    with p.open("rb") as fh:
        try:
            data = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file cannot be mapped
            data = b""
    try:
        return _check_xpt_bytes(p, data, rows_read, role)
    finally:
        if isinstance(data, mmap.mmap):
            data.close()


def _check_xpt_bytes(p: Path, data: bytes, rows_read: int | None, role: str) -> tuple[int, int]:
    try:
        members = xpt_members(data)
        ranges = [_check_member(m, data) for m in members]  # every member is checked
        low, high = ranges[0]
        first = members[0]
        if rows_read is not None and not low <= rows_read <= high:
            expected = f"{high:,}" if low == high else f"{low:,} to {high:,}"
            raise _Truncated(f"its layout holds {expected} observations of member {first.name!r}, "
                             f"{rows_read:,} were read")
        return low, high
    except _Truncated as err:
        raise InputError(
            f"{role}: {p} is truncated or damaged ({len(data):,} bytes): {err}; ask for the complete file"
        ) from None
    except (ValueError, struct.error) as err:
        raise InputError(f"{role}: {p} is not a readable SAS transport file ({err})") from None


def _sas7bdat_size(head: bytes) -> tuple[int, int, int] | None:
    """(header length, page size, page count) from a sas7bdat header, or None if it is too short."""
    if len(head) < 216:
        return None
    a2 = 4 if head[32] == 0x33 else 0
    a1 = 4 if head[35] == 0x33 else 0
    order = "<" if head[37] == 0x01 else ">"
    header_length, page_size = struct.unpack(order + "ii", head[196 + a1: 204 + a1])
    (pages,) = struct.unpack(order + ("q" if a2 else "i"), head[204 + a1: 208 + a1 + a2])
    return header_length, page_size, pages


def check_sas7bdat(path: str | Path, rows_read: int | None = None, rows_declared: int | None = None,
                   role: str = "table") -> None:
    """Refuse a truncated sas7bdat file: shorter than its header's ``header + pages x page size``, or
    (after reading) with ``rows_read`` different from the header's ``rows_declared``."""
    p = Path(path)
    size = p.stat().st_size
    with p.open("rb") as fh:
        head = fh.read(1024)
    layout = _sas7bdat_size(head)
    if layout is None:
        raise InputError(f"{role}: {p} is truncated or not a sas7bdat file ({size:,} bytes, shorter than a header)")
    header_length, page_size, pages = layout
    expected = header_length + pages * page_size
    if size < expected:
        raise InputError(
            f"{role}: {p} is truncated: {size:,} bytes, its header says {expected:,} (header {header_length:,} "
            f"bytes + {pages:,} pages x {page_size:,}); ask for the complete file"
        )
    if rows_read is not None and rows_declared is not None and rows_read != rows_declared:
        raise InputError(
            f"{role}: {p} is truncated or damaged: its header says {rows_declared:,} rows, {rows_read:,} were read"
        )
