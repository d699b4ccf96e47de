"""Truncated SAS files are refused with the file and the counts, never read as a shorter table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from survtrial.data._sasfile import xpt_members
from survtrial.data.adam import load_adam
from survtrial.data.io import read_table
from survtrial.errors import InputError

REPO = Path(__file__).resolve().parents[2]
ADAM = REPO / "examples" / "adam"
SAS = REPO / "tests" / "data" / "sas"
XPT_FILES = ["adsl.xpt", "adtte.xpt", "adae.xpt"]


def _offsets(data: bytes) -> dict[str, int]:
    """Cut points in every part of a one-member transport file (headers, NAMESTRs, data)."""
    m = xpt_members(data)[0]
    half = m.data_start + (m.data_end - m.data_start) // 2
    aligned = half - half % 80  # an 80-byte boundary inside an observation (one on a row end is undetectable)
    aligned += 0 if (aligned - m.data_start) % m.record_length else 80
    return {
        "empty": 0,
        "library header": 40,
        "member header": 3 * 80 + 10,
        "descriptor": 5 * 80 + 33,
        "namestr": 8 * 80 + 70,
        "obs header": m.data_start - 40,
        "first observation": m.data_start + m.record_length // 2,
        "middle, 80-byte boundary": aligned,
        "middle": half + 3,
        "last byte": len(data) - 1,
        "last 80-byte record": len(data) - 80,
    }


@pytest.mark.parametrize("name", XPT_FILES)
def test_complete_transport_files_read_in_full(name):
    frame = read_table(ADAM / name)
    assert len(frame) == len(pd.read_csv(ADAM / name.replace(".xpt", ".csv")))


@pytest.mark.parametrize("name", XPT_FILES)
@pytest.mark.parametrize("where", list(_offsets((ADAM / "adsl.xpt").read_bytes())))
def test_truncated_transport_file_is_refused(tmp_path, name, where):
    data = (ADAM / name).read_bytes()
    cut = _offsets(data)[where]
    bad = tmp_path / name
    bad.write_bytes(data[:cut])
    with pytest.raises(InputError) as err:
        read_table(bad, role="ADSL")
    msg = str(err.value)
    assert msg.startswith(f"ADSL: {bad} is truncated or damaged ({cut:,} bytes)"), msg
    assert "ask for the complete file" in msg
    m = xpt_members(data)[0]
    if cut > m.data_start + m.record_length // 2 - 1:  # cut inside the observations: the counts are named
        rows = (cut - m.data_start) // m.record_length
        assert (f"observation {rows + 1:,} is cut after {cut - m.data_start - rows * m.record_length} of its "
                f"{m.record_length} bytes ({rows:,} complete observations before it)") in msg


def test_the_reader_alone_returns_a_shorter_table(tmp_path):
    """Why the check exists: pyreadstat reads a cut file as fewer rows without an error."""
    data = (ADAM / "adsl.xpt").read_bytes()
    bad = tmp_path / "adsl.xpt"
    bad.write_bytes(data[: len(data) // 2])
    frame, _ = pyreadstat.read_xport(str(bad))
    assert 0 < len(frame) < 1440


def _two_members(tmp_path) -> bytes:
    """A two-member transport file: ADSL then ADAE (the second file's library header dropped)."""
    return (ADAM / "adsl.xpt").read_bytes() + (ADAM / "adae.xpt").read_bytes()[3 * 80:]


def test_two_member_file_cut_inside_the_second_member(tmp_path):
    data = _two_members(tmp_path)
    members = xpt_members(data)
    assert [m.name for m in members] == ["ADSL", "ADAE"]
    whole = tmp_path / "two.xpt"
    whole.write_bytes(data)
    assert len(read_table(whole)) == 1440  # the first member, complete
    second = members[1]
    for cut, fragment in [
        (members[0].data_end + 100, f"the descriptor of member 2 (at byte {members[0].data_end:,}) is cut"),
        (members[0].data_end + 5 * 80 + 30, "the variable descriptions of member 'ADAE' are cut"),
        (second.data_start - 80, "the file ends before the observations (member 'ADAE') header"),
        (second.data_start + 3 * second.record_length + 2, "member 'ADAE': observation 4 is cut after 2 of its"),
    ]:
        bad = tmp_path / "cut.xpt"
        bad.write_bytes(data[:cut])
        with pytest.raises(InputError, match="is truncated or damaged") as err:
            read_table(bad, role="ADAE")
        assert fragment in str(err.value)


def test_version_8_count_in_the_header_is_checked(tmp_path):
    frame = pd.read_csv(ADAM / "adsl.csv")
    good = tmp_path / "v8.xpt"
    pyreadstat.write_xport(frame, str(good), file_format_version=8, table_name="ADSL")
    data = good.read_bytes()
    m = xpt_members(data)[0]
    assert m.declared_rows == 1440 and len(read_table(good)) == 1440
    obs = m.data_start - 80
    wrong = data[: obs + 48] + f"{2000:>15d}".encode() + data[obs + 63:]
    bad = tmp_path / "v8_wrong.xpt"
    bad.write_bytes(wrong)
    with pytest.raises(InputError, match="its header says 2,000 observations, the file holds 1,440"):
        read_table(bad)
    cut = tmp_path / "v8_cut.xpt"
    cut.write_bytes(data[: m.data_start + 700 * m.record_length + 5])
    with pytest.raises(InputError, match=r"observation 701 is cut after 5 of its \d+ bytes"):
        read_table(cut)


@pytest.mark.parametrize("name", ["adsl.sas7bdat", "adtte.sas7bdat", "adsl_1440.sas7bdat"])
@pytest.mark.parametrize("fraction", [0.0, 0.01, 0.3, 0.5, 0.75, 0.999])
def test_truncated_sas7bdat_is_refused(tmp_path, name, fraction):
    data = (SAS / name).read_bytes()
    cut = int(len(data) * fraction)
    bad = tmp_path / name
    bad.write_bytes(data[:cut])
    with pytest.raises(InputError, match=rf"^ADTTE: {bad} is truncated") as err:
        read_table(bad, role="ADTTE")
    if cut >= 1024:
        assert f"{cut:,} bytes, its header says {len(data):,} (header " in str(err.value)


def test_complete_sas7bdat_files_read_in_full():
    assert len(read_table(SAS / "adsl_1440.sas7bdat")) == len(pd.read_csv(ADAM / "adsl.csv")) == 1440
    assert len(read_table(SAS / "adsl.sas7bdat")) == 6


def test_load_adam_refuses_a_truncated_adtte(tmp_path):
    data = (ADAM / "adtte.xpt").read_bytes()
    bad = tmp_path / "adtte.xpt"
    bad.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(InputError, match=r"^ADTTE: .*adtte.xpt is truncated or damaged .*complete observations"):
        load_adam(ADAM / "adsl.xpt", bad)
