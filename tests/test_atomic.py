"""The one atomic writer (survtrial._atomic): checked paths, the old output kept until the new one is complete."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from survtrial._atomic import MARKER, check_output_dir, check_output_file, write_directory, write_file
from survtrial.data.export import AdamFrames, write_adam
from survtrial.errors import InputError


def _listing(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def test_new_folder_is_written_with_its_marker(tmp_path):
    writers = {"a.txt": lambda p: p.write_text("a"), "b.txt": lambda p: p.write_text("b")}
    out = write_directory(tmp_path / "out", writers)
    assert out == tmp_path / "out"
    assert _listing(out) == [MARKER, "a.txt", "b.txt"]
    assert _listing(tmp_path) == ["out", f"out/{MARKER}", "out/a.txt", "out/b.txt"]  # nothing beside it


def test_a_failing_writer_leaves_the_old_output_and_no_temporary_folder(tmp_path):
    out = write_directory(tmp_path / "out", {"a.txt": lambda p: p.write_text("old")})

    def fails(p):
        p.write_text("half")
        raise OSError("disk full (simulated)")

    with pytest.raises(OSError, match="simulated"):
        write_directory(out, {"a.txt": lambda p: p.write_text("new"), "b.txt": fails}, overwrite=True)
    assert (out / "a.txt").read_text() == "old" and not (out / "b.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_the_old_output_stays_in_place_while_the_new_one_is_built(tmp_path):
    out = write_directory(tmp_path / "out", {"a.txt": lambda p: p.write_text("old")})
    seen = []

    def look(p):  # runs while the new folder is being built
        seen.append((out / "a.txt").read_text())
        p.write_text("new")

    write_directory(out, {"a.txt": look}, overwrite=True)
    assert seen == ["old"] and (out / "a.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_existing_outputs_need_overwrite_and_foreign_folders_are_never_replaced(tmp_path):
    out = write_directory(tmp_path / "out", {"a.txt": lambda p: p.write_text("1")})
    with pytest.raises(InputError, match=r"^--out '.*out' exists and is not empty; pass --overwrite"):
        write_directory(out, {"a.txt": lambda p: p.write_text("2")})
    with pytest.raises(InputError, match=r"^out_dir '.*' exists and is not empty; pass overwrite=True"):
        write_directory(out, {"a.txt": lambda p: p.write_text("2")}, flag="out_dir")
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    for writers in ({"a.txt": lambda p: p.write_text("2")}, lambda d: (d / "a.txt").write_text("2")):
        with pytest.raises(InputError, match=r"holds files survtrial did not write \('thesis.tex'\)"):
            write_directory(home, writers, overwrite=True)
    assert _listing(home) == ["thesis.tex"]
    old = tmp_path / "old"  # written before the marker existed: replaced when it holds only what is rewritten
    old.mkdir()
    (old / "a.txt").write_text("0")
    write_directory(old, {"a.txt": lambda p: p.write_text("3")}, overwrite=True)
    assert (old / "a.txt").read_text() == "3"


@pytest.mark.parametrize(
    ("make", "path", "message"),
    [
        (lambda t: (t / "f").write_text("x"), "f", "exists and is not a folder"),
        (lambda t: None, "missing/out", "the folder '{t}/missing' does not exist; create it first"),
        (lambda t: (t / "f").write_text("x"), "f/out", "'{t}/f' is a file, not a folder"),
        (lambda t: None, "", "empty path"),
        (lambda t: os.symlink(t, t / "link"), "link", "is a symbolic link"),
    ],
)
def test_output_folder_problems(tmp_path, make, path, message):
    make(tmp_path)
    target = str(tmp_path / path) if path else ""
    with pytest.raises(InputError, match=r"^--out") as err:
        check_output_dir(target)
    assert message.format(t=tmp_path) in str(err.value)


def test_the_current_folder_and_its_parents_are_refused(tmp_path, monkeypatch):
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    for path in (".", "..", str(tmp_path), "/"):
        with pytest.raises(InputError, match="is the current folder or one of its parents"):
            check_output_dir(path, overwrite=True)


def test_unwritable_folder_is_refused(tmp_path):
    if os.geteuid() == 0:
        target = "/sys/survtrial-test-out"  # root writes through permission bits; /sys refuses it
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        target = str(ro / "out")
    with pytest.raises(InputError, match="cannot write in"):
        check_output_dir(target)
    assert not os.path.exists(target)


def test_missing_parents_are_created_only_when_asked(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        write_directory(tmp_path / "a" / "b", {"x.txt": lambda p: p.write_text("x")})
    assert list(tmp_path.iterdir()) == []
    write_directory(tmp_path / "a" / "b", {"x.txt": lambda p: p.write_text("x")}, parents=True)
    assert (tmp_path / "a" / "b" / "x.txt").read_text() == "x"


def test_single_files(tmp_path):
    target = tmp_path / "t.csv"
    write_file(target, lambda p: p.write_text("1"))
    with pytest.raises(InputError, match=r"t\.csv' exists; pass --overwrite"):
        write_file(target, lambda p: p.write_text("2"))

    def fails(p):
        p.write_text("half")
        raise OSError("simulated")

    with pytest.raises(OSError):
        write_file(target, fails, overwrite=True)
    assert target.read_text() == "1" and [p.name for p in tmp_path.iterdir()] == ["t.csv"]
    write_file(target, lambda p: p.write_text("2"), overwrite=True)
    assert target.read_text() == "2"
    with pytest.raises(InputError, match="is a folder; give a file name"):
        check_output_file(tmp_path)
    with pytest.raises(InputError, match="does not exist"):
        check_output_file(tmp_path / "no" / "t.csv")


def test_write_adam_keeps_the_old_export_when_it_fails(tmp_path, monkeypatch):
    frame = pd.DataFrame({"USUBJID": ["S1"], "TRT01P": ["chemo"]})
    frames = AdamFrames(adsl=frame, adtte=frame, adae=frame)
    out = write_adam(frames, tmp_path / "adam", formats=("csv",))
    before = (out / "adsl.csv").read_text()
    bad = AdamFrames(adsl=frame.assign(TRT01P="blina"), adtte=frame, adae=None)  # adae=None fails mid-way
    with pytest.raises(AttributeError):
        write_adam(bad, out, formats=("csv",))
    assert (out / "adsl.csv").read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["adam"]
