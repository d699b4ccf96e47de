"""Tests for the publication plots: artists drawn match the frames, numbers at risk match the data."""

from __future__ import annotations

import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.patches import Polygon
from matplotlib.text import Annotation
from report_fixtures import cif_frame, forest_frame, plain_km, synthetic_trial

from survtrial.errors import InputError
from survtrial.report._style import arm_gid
from survtrial.report.plots import (
    KM_COLUMNS,
    calibration_plot,
    cumulative_incidence_plot,
    forest_plot,
    km_plot,
    numbers_at_risk,
    save_figure,
    twin_band_plot,
)


def _axes(fig, label):
    (ax,) = [a for a in fig.axes if a.get_label() == label]
    return ax


def _risk_rows(fig):
    """At-risk table as {row y: [(x, text), ...]} read back from the figure's text objects."""
    risk = _axes(fig, "at-risk")
    rows: dict[float, list] = {}
    for t in risk.texts:
        if isinstance(t, Annotation):  # the "No. at risk" header
            continue
        x, y = t.get_position()
        rows.setdefault(y, []).append((x, t.get_text()))
    return {y: sorted(v) for y, v in rows.items()}


def _count_at_risk(time, group, g, tick):
    """Plain count: patients of arm g with follow-up >= tick."""
    return sum(1 for t, gg in zip(time, group, strict=True) if gg == g and t >= tick)


# --- Kaplan-Meier -------------------------------------------------------------------------------


def test_km_one_line_per_group_tracing_the_frame(km_frame):
    fig = km_plot(km_frame)
    ax = _axes(fig, "survival")
    groups = list(pd.unique(km_frame["group"]))
    lines = ax.get_lines()
    assert [ln.get_label() for ln in lines] == groups
    for line, g in zip(lines, groups, strict=True):
        part = km_frame[km_frame["group"] == g]
        x, y = line.get_data()
        assert (x[0], y[0]) == (0.0, 1.0)  # curves start at S(0) = 1
        t, surv = part["time"].to_numpy(), part["survival"].to_numpy()
        assert set(x[1:]) <= set(t) and x[-1] == t[-1]  # vertices where S changes, and the last time
        # the drawn right-continuous step equals the frame's at every time of the frame and between
        at = np.concatenate([t, (t[1:] + t[:-1]) / 2])
        drawn = y[np.searchsorted(x, at, side="right") - 1]
        np.testing.assert_array_equal(drawn, surv[np.searchsorted(t, at, side="right") - 1])
        assert x.size < t.size  # censorings that change nothing are not vertices
        assert line.get_drawstyle() == "steps-post"


def test_km_at_risk_texts_equal_counts_from_the_raw_data(trial, km_frame):
    time, _, group = trial
    ticks = [0, 0.5, 1, 2, 3, 4, 5, 6]  # 0.5 falls between event times; 6 is beyond follow-up
    fig = km_plot(km_frame, at_risk_times=ticks)
    rows = _risk_rows(fig)
    groups = list(pd.unique(group))
    assert sorted(rows) == list(range(len(groups)))
    for i, g in enumerate(groups):
        assert [x for x, _ in rows[i]] == ticks
        assert [int(s) for _, s in rows[i]] == [_count_at_risk(time, group, g, t) for t in ticks]
    labels = [t.get_text() for t in _axes(fig, "at-risk").get_yticklabels()]
    assert labels == groups
    np.testing.assert_array_equal(_axes(fig, "survival").get_xticks(), ticks)


def test_km_default_ticks_are_the_at_risk_times(trial, km_frame):
    time, _, group = trial
    fig = km_plot(km_frame)
    ticks = _axes(fig, "survival").get_xticks()
    assert ticks[0] == 0 and len(ticks) >= 4
    rows = _risk_rows(fig)
    for i, g in enumerate(pd.unique(group)):
        assert [x for x, _ in rows[i]] == list(ticks)
        assert [int(s) for _, s in rows[i]] == [_count_at_risk(time, group, g, t) for t in ticks]


def test_numbers_at_risk_match_r_summary_survfit_on_aml():
    """R 4, survival: s <- summary(survfit(Surv(time, status) ~ x, data = aml),
    times = c(0, 10, 20, 30, 40, 50), extend = TRUE); s$n.risk
    Maintained: 11 10 7 5 3 1; Nonmaintained: 12 8 6 4 2 0 (printed by the R call above)."""
    time = np.array([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161, 5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45.0])
    status = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1])
    x = np.array(["Maintained"] * 11 + ["Nonmaintained"] * 12, dtype=object)
    table = numbers_at_risk(plain_km(time, status, x), [0, 10, 20, 30, 40, 50])
    assert table.loc["Maintained"].tolist() == [11, 10, 7, 5, 3, 1]
    assert table.loc["Nonmaintained"].tolist() == [12, 8, 6, 4, 2, 0]


def test_km_plot_accepts_kaplan_meier_to_frame(trial):
    """The column contract with survtrial.stats.kaplan_meier(...).to_frame()."""
    from survtrial.stats.km import kaplan_meier

    time, event, group = trial
    frame = kaplan_meier(time, event, group).to_frame()
    assert list(frame.columns) == list(KM_COLUMNS)
    fig = km_plot(frame, at_risk_times=[0, 1, 2, 3])
    rows = _risk_rows(fig)
    for i, g in enumerate(sorted(set(group))):
        label = _axes(fig, "at-risk").get_yticklabels()[i].get_text()
        assert [int(s) for _, s in rows[i]] == [_count_at_risk(time, group, label, t) for t in [0, 1, 2, 3]]
        assert label in (g, *set(group))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.booleans(), st.sampled_from("AB")), min_size=1, max_size=40),
    st.lists(st.integers(0, 45), min_size=1, max_size=6, unique=True),
)
def test_numbers_at_risk_property(records, ticks):
    time = np.array([r[0] for r in records], dtype=float) / 4
    event = np.array([int(r[1]) for r in records])
    group = np.array([r[2] for r in records], dtype=object)
    ticks = sorted(t / 4 for t in ticks)
    table = numbers_at_risk(plain_km(time, event, group), ticks)
    for g in table.index:
        assert table.loc[g].tolist() == [_count_at_risk(time, group, g, t) for t in ticks]


@pytest.mark.parametrize("n", [300, 25])
def test_km_censor_marks_and_ci_band(n):
    km_frame = plain_km(*synthetic_trial(n=n))
    fig = km_plot(km_frame)
    ax = _axes(fig, "survival")
    marks = {c.get_gid(): c for c in ax.collections if isinstance(c, PathCollection)}
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    groups = list(pd.unique(km_frame["group"]))
    assert len(bands) == len(groups)
    right = km_frame["time"].max()
    drawn = 0
    for g in groups:
        part = km_frame[(km_frame["group"] == g) & (km_frame["n_censor"] > 0)]
        # the rule, as a plain loop: a censoring is marked when no other censoring time of the
        # curve lies within 1% of the time axis on either side
        times = part["time"].tolist()
        sparse = [i for i, t in enumerate(times) if all(abs(t - u) > 0.01 * right for u in times if u != t)]
        m = marks.get(arm_gid(g, "censor"))
        if not sparse:
            assert m is None
            continue
        drawn += len(sparse)
        np.testing.assert_array_equal(m.get_offsets()[:, 0], part["time"].to_numpy()[sparse])
        np.testing.assert_array_equal(m.get_offsets()[:, 1], part["survival"].to_numpy()[sparse])
    # 300 per arm with steady censoring: nearly every censoring has a neighbour within 1% (no
    # hatched band); 25 per arm: most are marked
    censored = int((km_frame["n_censor"] > 0).sum())
    assert drawn < 0.05 * censored if n == 300 else drawn > 0.5 * censored
    bare = _axes(km_plot(km_frame, show_ci=False, censor_marks=False, at_risk=False), "survival")
    assert len(bare.collections) == 0 and len(bare.get_lines()) == len(groups)


def test_km_ylim_auto_and_fixed(km_frame):
    ax = _axes(km_plot(km_frame), "survival")
    lowest = np.nanmin(km_frame["lower"])
    lo, hi = ax.get_ylim()
    assert lo <= lowest and lowest - lo <= 0.13 and lo == round(lo, 1) and 1.0 < hi < 1.02
    lo, _ = _axes(km_plot(km_frame, ylim=(0.5, 1)), "survival").get_ylim()
    assert lo == 0.5


def test_km_single_curve_without_group_column_and_dollar_labels(km_frame):
    one = km_frame[km_frame["group"] == km_frame["group"].iloc[0]].drop(columns="group")
    fig = km_plot(one, at_risk_times=[0, 1])
    assert len(_axes(fig, "survival").get_lines()) == 1
    money = km_frame.assign(group=km_frame["group"].map(lambda g: f"{g} $5 arm"))
    fig = km_plot(money)
    fig.canvas.draw()  # mathtext would fail on an odd number of '$'
    assert "$5 arm" in _axes(fig, "survival").get_lines()[0].get_label().replace("\\$", "$")


def test_km_input_errors(km_frame):
    with pytest.raises(InputError, match=r"missing column\(s\) \['n_risk'\]"):
        km_plot(km_frame.drop(columns="n_risk"))
    with pytest.raises(InputError, match="survival must lie in"):
        km_plot(km_frame.assign(survival=km_frame["survival"] + 1))
    with pytest.raises(InputError, match="strictly increasing"):
        km_plot(km_frame, at_risk_times=[0, 2, 1])
    with pytest.raises(InputError, match="ylim"):
        km_plot(km_frame, ylim=(1, 0.5))
    with pytest.raises(InputError, match="no rows"):
        km_plot(km_frame.iloc[:0])


def test_km_accepts_polars(km_frame):
    pl = pytest.importorskip("polars")
    fig = km_plot(pl.from_pandas(km_frame), at_risk_times=[0, 1, 2])
    assert len(_axes(fig, "survival").get_lines()) == 2


# --- forest plot --------------------------------------------------------------------------------


def test_forest_artists_match_the_frame():
    f = forest_frame()
    fig = forest_plot(f)
    ax = _axes(fig, "forest")
    assert ax.get_xscale() == "log"
    levels = f.iloc[1:]
    squares = [c for c in ax.collections if isinstance(c, PathCollection)]
    (sq,) = squares
    np.testing.assert_allclose(sq.get_offsets()[:, 0], levels["hr"])
    sizes = sq.get_sizes()
    assert np.argmax(sizes) == np.argmax(levels["events"]) and np.argmin(sizes) == np.argmin(levels["events"])
    assert np.all(np.diff(sizes[np.argsort(levels["events"].to_numpy())]) >= 0)  # area grows with events
    (ci,) = [c for c in ax.collections if isinstance(c, LineCollection)]
    segs = np.array([s[:, 0] for s in ci.get_segments()])
    np.testing.assert_allclose(segs, levels[["lower", "upper"]].to_numpy())
    (diamond,) = [p for p in ax.patches if isinstance(p, Polygon)]
    xs = sorted(set(diamond.get_xy()[:, 0]))
    np.testing.assert_allclose(xs, f.loc[0, ["lower", "hr", "upper"]].to_numpy(dtype=float))
    assert any(np.all(np.asarray(ln.get_xdata()) == 1.0) for ln in ax.get_lines())  # reference line at HR = 1
    texts = [t.get_text() for t in ax.texts]
    for _, r in f.iterrows():
        assert f"{r.hr:.2f} ({r.lower:.2f}\u2013{r.upper:.2f})" in texts
    # one interaction P per subgroup, journal format; none for the overall row
    assert texts.count("0.870") == 1 and texts.count("0.720") == 1 and texts.count("<0.001") == 1
    for col in ("n", "events", "events_chemo", "events_blina"):
        for v in f[col]:
            assert str(v) in texts


def test_forest_inverse_variance_sizes_arrows_and_not_estimable():
    f = forest_frame()
    f.loc[2, ["hr", "lower", "upper"]] = np.nan  # not estimable
    fig = forest_plot(f, size_by="inverse_variance", xlim=(0.2, 2.0))
    ax = _axes(fig, "forest")
    (sq,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    levels = f.iloc[1:].dropna(subset=["hr"])
    se = (np.log(levels["upper"]) - np.log(levels["lower"])) / (2 * 1.96)
    assert np.argmax(sq.get_sizes()) == np.argmin(se.to_numpy())
    assert "NE" in [t.get_text() for t in ax.texts]
    arrows = [ln for ln in ax.get_lines() if ln.get_marker() in ("<", ">")]
    clipped = (levels["lower"] < 0.2).sum() + (levels["upper"] > 2.0).sum()
    assert len(arrows) == clipped > 0


def test_forest_input_errors():
    f = forest_frame()
    with pytest.raises(InputError, match="row 3: need 0 < lower <= hr <= upper"):
        forest_plot(f.assign(lower=np.where(f.index == 3, 0.5, f["lower"])))
    with pytest.raises(InputError, match="missing column"):
        forest_plot(f.drop(columns="p_interaction"))
    with pytest.raises(InputError, match="size_by"):
        forest_plot(f, size_by="weight")


# --- cumulative incidence -----------------------------------------------------------------------


def test_cumulative_incidence_lines_per_group_and_cause():
    f = cif_frame()
    fig = cumulative_incidence_plot(f)
    ax = _axes(fig, "cumulative-incidence")
    lines = ax.get_lines()
    assert len(lines) == 4
    for line, (g, c) in zip(lines, [(g, c) for g in pd.unique(f["group"]) for c in pd.unique(f["cause"])], strict=True):
        part = f[(f["group"] == g) & (f["cause"] == c)]
        x, y = line.get_data()
        assert (x[0], y[0]) == (0.0, 0.0)
        np.testing.assert_array_equal(y[1:], part["cif"].to_numpy())
        assert line.get_label() == f"{g}: {c}"
    one = cumulative_incidence_plot(f, causes=["Marrow relapse"], show_ci=True)
    ax = _axes(one, "cumulative-incidence")
    assert [ln.get_label() for ln in ax.get_lines()] == list(pd.unique(f["group"]))
    assert len(ax.collections) == 2
    with pytest.raises(InputError, match="not in the frame"):
        cumulative_incidence_plot(f, causes=["Death"])


# --- calibration --------------------------------------------------------------------------------


def _type7_quantile(values, p):
    """Hyndman-Fan type 7 (R's default) by hand: x[j] + g (x[j+1] - x[j]) with h = (n - 1) p."""
    x = sorted(values)
    h = (len(x) - 1) * p
    j = int(h)
    return x[j] + (h - j) * (x[min(j + 1, len(x) - 1)] - x[j])


def test_calibration_plot_marks_published_values(reference):
    res = reference["results_first_interim"]
    hr = res["dfs_hazard_ratio"]
    chemo = res["dfs_3y"]["chemo"]
    pub = {
        "DFS hazard ratio": (hr["value"], *hr["ci95"]),
        "3-year DFS, chemotherapy (%)": (chemo["value"], chemo["value"] - 1.96 * chemo["se"],
                                         chemo["value"] + 1.96 * chemo["se"]),
    }
    rng = np.random.default_rng(11)
    twin = {
        "DFS hazard ratio": np.exp(rng.normal(np.log(hr["value"]), 0.2, 400)),
        "3-year DFS, chemotherapy (%)": rng.normal(chemo["value"] + 6 * chemo["se"], chemo["se"], 400),
        "Twin only": np.append(rng.normal(size=50), np.nan),  # a failed replicate is dropped
    }
    fig = calibration_plot(twin, pub)
    assert [a.get_label() for a in fig.axes if a.get_visible()] == list(twin)
    for name, (value, lo, hi) in pub.items():
        ax = _axes(fig, name)
        (line,) = ax.get_lines()[:1]
        assert line.get_xdata()[0] == value
        (bar,) = [c for c in ax.collections if isinstance(c, LineCollection)]
        np.testing.assert_allclose(bar.get_segments()[0][:, 0], [lo, hi])
        q_lo, q_hi = _type7_quantile(twin[name], 0.025), _type7_quantile(twin[name], 0.975)  # default: 95%
        inside = q_lo <= value <= q_hi
        (note,) = [t.get_text() for t in ax.texts]
        assert note.startswith("Published inside" if inside else "Published OUTSIDE")
    # the shifted chemotherapy twin must be flagged; the HR twin centred on the value must not
    assert "OUTSIDE" in _axes(fig, "3-year DFS, chemotherapy (%)").texts[0].get_text()
    assert "inside" in _axes(fig, "DFS hazard ratio").texts[0].get_text()
    assert sum(p.get_height() for p in _axes(fig, "Twin only").patches if hasattr(p, "get_height")) >= 50


def test_calibration_plot_errors():
    with pytest.raises(InputError, match="no twin values"):
        calibration_plot({"a": [1.0, 2.0]}, {"b": (1, 0, 2)})
    with pytest.raises(InputError, match="no finite values"):
        calibration_plot({"a": [np.nan]}, {})
    with pytest.raises(InputError, match="interval"):
        calibration_plot({"a": [1.0]}, {}, interval=1.5)


# --- export and global state --------------------------------------------------------------------


def test_save_figure_png_150_dpi_and_svg_with_text(tmp_path, km_frame):
    fig = km_plot(km_frame, at_risk_times=[0, 1, 2, 3, 4, 5], figsize=(6.0, 4.5))
    png, svg = save_figure(fig, tmp_path / "sub" / "km")
    assert png.name == "km.png" and svg.name == "km.svg"
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    assert (width, height) == (900, 675)  # 6 x 4.5 inches at 150 dpi
    text = svg.read_text()
    assert "No. at risk" in text  # text kept as text, not outlined glyphs
    assert not list(tmp_path.rglob(".*tmp*"))


def test_plots_do_not_touch_pyplot(tmp_path):
    here = str(Path(__file__).parent)
    code = "\n".join([
        "import sys",
        f"sys.path.insert(0, {here!r})",
        "from report_fixtures import plain_km, synthetic_trial, forest_frame, cif_frame",
        "from survtrial.report.plots import km_plot, forest_plot, cumulative_incidence_plot, save_figure",
        f"save_figure(km_plot(plain_km(*synthetic_trial(n=40))), {str(tmp_path / 'km')!r})",
        "forest_plot(forest_frame()); cumulative_incidence_plot(cif_frame())",
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot was imported'",
    ])
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_twin_band_plot_draws_band_median_landmarks_and_numbers_at_risk():
    curves = pd.DataFrame({"arm": ["c"] * 3 + ["e"] * 3, "time": [0.0, 1.0, 2.0] * 2,
                           "median": [1, 0.9, 0.8, 1, 0.95, 0.9], "lower": [1, 0.85, 0.7, 1, 0.9, 0.85],
                           "upper": [1, 0.95, 0.9, 1, 0.98, 0.95]})
    fig = twin_band_plot(curves, {"e": [(2.0, 0.91, 0.02)]},
                         at_risk={"c": [(1.0, 90, 88.4), (2.0, 40, 41.6)], "e": [(1.0, 92, 93.2)]})
    surv, risk = fig.axes
    assert (surv.get_label(), risk.get_label()) == ("survival", "at-risk")
    medians = [line for line in surv.get_lines() if line.get_linestyle() != "None"]
    np.testing.assert_allclose(medians[0].get_ydata(), [1, 0.9, 0.8])  # arm c's median, as given
    assert len(surv.collections) >= 2  # one band per arm
    # rows: c published, c twins, e published, e twins; each number at its time
    cells = {(t.get_position()[0], t.get_position()[1], t.get_text()) for t in risk.texts
             if not isinstance(t, Annotation)}
    assert cells == {(1.0, 0, "90"), (2.0, 0, "40"), (1.0, 1, "88"), (2.0, 1, "42"), (1.0, 2, "92"), (1.0, 3, "93")}
    assert [t.get_text() for t in risk.get_yticklabels()] == ["c: published", "c: twins (mean)", "e: published",
                                                              "e: twins (mean)"]
    assert [ax.get_label() for ax in twin_band_plot(curves).axes] == ["survival"]  # no table without at_risk


def test_curves_keep_only_the_change_points_and_draw_the_same_steps():
    from survtrial.report._style import step_vertices

    rng = np.random.default_rng(3)
    x = np.concatenate([[0.0], np.sort(rng.uniform(0, 5, 400)), [5.0]])
    jumps = rng.uniform(size=x.size) < 0.05  # few events among many censorings
    y = np.cumsum(np.where(jumps, 0.01, 0.0))
    y[0] = 0.0
    lo, hi = y * 0.8, np.where(rng.uniform(size=x.size) < 0.1, np.nan, y * 1.2)  # a limit may be missing
    tx, ty, tlo, thi = step_vertices(x, y, lo, hi)
    assert tx.size < x.size / 3 and tx[0] == 0.0 and tx[-1] == 5.0

    def step(xs, vs, t):  # right-continuous step through the vertices, as steps-post draws it
        return vs[np.searchsorted(xs, t, side="right") - 1]

    t = np.concatenate([x, rng.uniform(0, 5, 2000)])
    for full, thin in ((y, ty), (lo, tlo), (hi, thi)):
        np.testing.assert_array_equal(step(x, full, t), step(tx, thin, t))
