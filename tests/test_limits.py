"""Counts given by users (survtrial._limits): ranges, and memory estimates that refuse what cannot fit."""

from __future__ import annotations

import pytest

import survtrial._limits as limits
from survtrial._limits import (
    WORKER_BYTES,
    available_memory,
    check_count,
    check_memory,
    check_workers,
    format_bytes,
    parse_bytes,
)
from survtrial.errors import InputError


@pytest.mark.parametrize(
    ("value", "kwargs", "message"),
    [
        (0, {}, "--n must be a whole number >= 1, got 0"),
        (-5, {}, "--n must be a whole number >= 1, got -5"),
        (2.5, {}, "--n must be a whole number, got 2.5"),
        ("many", {}, "--n must be a whole number, got 'many'"),
        (True, {}, "--n must be a whole number, got True"),
        (-1, {"minimum": 0}, "--n must be a whole number >= 0, got -1"),
        (51, {"maximum": 50}, "--n must be a whole number from 1 to 50, got 51"),
    ],
)
def test_counts_out_of_range_name_the_flag(value, kwargs, message):
    with pytest.raises(InputError) as err:
        check_count(value, "--n", **kwargs)
    assert str(err.value) == message


def test_counts_in_range():
    assert check_count(1, "--n") == 1
    assert check_count(7.0, "--n") == 7 and isinstance(check_count(7.0, "--n"), int)
    assert check_count(0, "--seed", minimum=0) == 0


def test_sizes_read_and_written():
    assert parse_bytes("2GiB") == 2 * 2**30
    assert parse_bytes("512 MB") == 512 * 10**6
    assert parse_bytes("1000") == 1000
    with pytest.raises(InputError, match="'lots' is not a size"):
        parse_bytes("lots")
    assert format_bytes(1536) == "1.5 KiB"
    assert format_bytes(8 * 2**30) == "8 GiB"
    assert format_bytes(100) == "100 B"
    assert format_bytes(3.3e16) == "29.3 PiB"


def test_memory_estimate_names_the_flag_the_estimate_and_the_limit(monkeypatch):
    monkeypatch.setenv("SURVTRIAL_MEMORY_LIMIT", "1GiB")
    check_memory("--n-sims", 1000, 1000, what="records")  # 1 MB: fits
    with pytest.raises(InputError) as err:
        check_memory("--n-sims", 10**7, 1000, what="the trials' records")
    assert str(err.value) == ("--n-sims 10,000,000: the trials' records would need about 9.31 GiB of memory "
                              "(1000 B each), more than the 1 GiB available; use at most about 1,073,741")


def test_workers_need_their_memory(monkeypatch):
    monkeypatch.setenv("SURVTRIAL_MEMORY_LIMIT", str(10 * WORKER_BYTES))
    assert check_workers(10) == 10
    with pytest.raises(InputError, match=r"--workers 11: 11 worker processes would need about 3.22 GiB"):
        check_workers(11)
    with pytest.raises(InputError, match="--workers must be a whole number >= 1, got 0"):
        check_workers(0)


def test_available_memory_is_the_smallest_known_limit(monkeypatch):
    monkeypatch.delenv("SURVTRIAL_MEMORY_LIMIT", raising=False)
    monkeypatch.setattr(limits, "_meminfo_available", lambda: 8 * 2**30)
    monkeypatch.setattr(limits, "_cgroup_available", lambda: 2 * 2**30)
    assert available_memory() == 2 * 2**30
    monkeypatch.setattr(limits, "_cgroup_available", lambda: None)
    assert available_memory() == 8 * 2**30
    monkeypatch.setattr(limits, "_meminfo_available", lambda: None)
    assert available_memory() is None
    check_memory("--n", 10**15, 10**6, what="x")  # nothing known: nothing refused


def test_this_machine_reports_its_memory(monkeypatch):
    monkeypatch.delenv("SURVTRIAL_MEMORY_LIMIT", raising=False)
    mem = available_memory()
    assert mem is not None and mem > 2**26  # more than 64 MiB, as any machine running the tests has
