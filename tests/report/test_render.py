"""A report's figures drawn in a batch on two processes: the same bytes as drawn one by one, errors
surfacing in the calling process, no child left behind."""

from __future__ import annotations

import os
import re
import sys
import time

import pandas as pd
import pytest
from matplotlib.figure import Figure
from report_fixtures import forest_frame, plain_km, synthetic_trial

from survtrial.errors import InputError
from survtrial.report import _render
from survtrial.report._style import figure_svg_png
from survtrial.report.html import Report
from survtrial.report.plots import forest_plot, km_plot

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="two processes are used on Linux only")


@pytest.fixture(autouse=True)
def _fork_although_the_test_runner_has_threads(monkeypatch):
    """The suite's process may hold threads other tests left (a Dask cluster's, a server's): the
    drawing here forks anyway, as it does in a command's single-threaded process."""
    monkeypatch.setattr(_render, "_other_threads", lambda: False)


def _line(n: int) -> Figure:
    fig = Figure(figsize=(3 + n / 10, 2), layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [1, 0.5 + n / 20, 0.2], label=f"line {n}")
    ax.set_title(f"figure {n}")
    ax.legend()
    return fig


def _km() -> Figure:
    return km_plot(plain_km(*synthetic_trial(arms=("A", "B"))), xlabel="Years")


def _children() -> set[int]:
    """This process' living children (Linux /proc)."""
    me = str(os.getpid())
    kids = set()
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[1] == me and fields[0] != "Z":
                kids.add(int(pid))
    return kids


def test_two_processes_give_the_bytes_of_one_by_one_drawing():
    sources = [_line(0), lambda: _line(1), _km, lambda: _line(3), _line(4)]
    before = _children()
    forked = _render.render_figures(sources, processes=2)
    assert _children() == before  # the child was reaped
    plain = [(*figure_svg_png(f() if callable(f) and not hasattr(f, "savefig") else f),) for f in
             [_line(0), lambda: _line(1), _km, lambda: _line(3), _line(4)]]
    assert [d[:2] for d in forked] == plain
    assert [d[2] for d in forked[:2]] == pytest.approx([3.0, 3.1]) and forked[0][3] == 2.0
    assert forked[1][0].startswith(b"<?xml") and forked[1][1][:4] == b"\x89PNG"


def test_the_child_draws_part_of_the_work(tmp_path):
    parent = os.getpid()
    mark = tmp_path / "child-built"

    def record(n):
        def build():
            if os.getpid() != parent:
                mark.write_text("yes")
            elif n == 0:  # the parent's first figure waits until the child has built one of the others
                deadline = time.monotonic() + 60
                while not mark.exists() and time.monotonic() < deadline:
                    time.sleep(0.01)
            return _line(n)
        return build

    out = _render.render_figures([record(n) for n in range(6)], processes=2)
    assert mark.exists()
    assert [d[:2] for d in out] == [figure_svg_png(_line(n)) for n in range(6)]


def test_an_error_surfaces_in_the_calling_process_with_its_own_exception():
    def broken():
        raise ValueError("no data for this figure")

    before = _children()
    with pytest.raises(ValueError, match="no data for this figure"):
        _render.render_figures([_line(0), broken, _line(2), broken], processes=2)
    assert _children() == before


def test_a_child_that_dies_leaves_its_figures_to_the_parent():
    parent = os.getpid()

    def dies_in_child(n):
        def build():
            if os.getpid() != parent:
                os._exit(3)  # the child vanishes without answering
            return _line(n)
        return build

    sources = [dies_in_child(n) for n in range(5)]
    out = _render.render_figures(sources, processes=2)
    assert [d[:2] for d in out] == [figure_svg_png(_line(n)) for n in range(5)]


def _report(batch: bool, processes: int | None = None, prefetch: bool = False) -> Report:
    r = Report("Batch", provenance={"seed": 1, "generated": "fixed"})
    line0 = _line(0)

    def forest():
        return forest_plot(forest_frame())

    def unused():
        return _line(9)

    def body() -> None:
        r.add_section("One", text="first")
        r.add_figure(line0, "a line", name="line0")
        r.add_table(pd.DataFrame({"x": [1.5, 2.5]}), "tab", csv_name="tab")
        r.add_section("Two")
        r.add_figure(forest, "forest", name="forest")
        r.add_figure(_km, "km", name="km")

    if batch:
        # prefetched: two of the figures (and one never added); the third is drawn when the batch ends
        with r.figure_batch(processes=processes, prefetch=[forest, unused, line0] if prefetch else ()):
            body()
    else:
        body()
    return r


@pytest.mark.parametrize(("processes", "prefetch"), [(1, False), (2, False), (1, True), (2, True)])
def test_a_batch_report_equals_the_report_drawn_figure_by_figure(processes, prefetch, tmp_path):
    before = _children()
    plain, batch = _report(False), _report(True, processes, prefetch)
    assert _children() == before
    assert batch._files == plain._files
    drop_time = re.compile(r"\d{4}-\d\d-\d\dT[\d:+.]+")
    assert drop_time.sub("", batch.render()) == drop_time.sub("", plain.render())
    assert "landscape" in plain.render()  # the wide forest plot turns its section landscape, in both
    tlf_plain, tlf_batch = plain.tlf("All randomized"), batch.tlf("All randomized")
    assert [type(x).__name__ for x in tlf_batch.items] == ["TlfFigure", "TlfTable", "TlfFigure", "TlfFigure"]
    assert [getattr(x, "png", None) for x in tlf_batch.items] == [getattr(x, "png", None) for x in tlf_plain.items]
    files = batch.write(tmp_path / "out")
    assert sorted(p.name for p in files.figures) == sorted(["line0.png", "line0.svg", "forest.png", "forest.svg",
                                                            "km.png", "km.svg"])


def test_reading_a_report_inside_its_batch_is_refused_and_names_are_checked_at_once():
    r = Report("Batch", provenance={})
    with r.figure_batch():
        r.add_section("S")
        r.add_figure(_line(0), "a", name="a")
        with pytest.raises(InputError, match="already used"):
            r.add_figure(_line(1), "again", name="a")
        with pytest.raises(InputError, match="inside figure_batch"):
            r.render()
        with r.figure_batch():  # nested: drawn by the outer batch
            r.add_figure(_line(2), "b", name="b")
        with pytest.raises(InputError, match="expected a matplotlib Figure"):
            r.add_figure("not a figure", "c", name="c")
    assert r.render().count("<figure ") == 2


def test_a_failing_batch_draws_nothing_and_raises_the_callers_error():
    r = Report("Batch", provenance={})
    with pytest.raises(RuntimeError, match="stop"), r.figure_batch():
        r.add_section("S")
        r.add_figure(_line(0), "a", name="a")
        raise RuntimeError("stop")
    assert r._files == {}


def test_no_fork_while_other_threads_run(monkeypatch):
    import threading

    monkeypatch.undo()
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:
        parent, seen = os.getpid(), []

        def build():
            seen.append(os.getpid())
            return _line(0)

        _render.render_figures([build, build, build], processes=2)
        assert seen == [parent] * 3  # all three drawn here: no child was forked
    finally:
        stop.set()
        worker.join()


def test_a_failing_batch_stops_its_prefetching_child():
    before = _children()
    r = Report("Batch", provenance={})
    slow = [lambda n=n: _line(n) for n in range(8)]
    with pytest.raises(RuntimeError, match="stop"), r.figure_batch(processes=2, prefetch=slow):
        r.add_section("S")
        r.add_figure(slow[0], "a", name="a")
        raise RuntimeError("stop")
    assert _children() == before
    assert r._files == {}
