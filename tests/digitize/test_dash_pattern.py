"""Dash patterns read along a curve's path (kmipd.digitize.curves.dash_pattern) and the line
style they give (linestyle.line_style): dashes follow the line's length, so a steep staircase
breaks a dash's columns into pieces but not its length along the path."""

from __future__ import annotations

import numpy as np
import pytest

from kmipd.digitize.curves.dash_pattern import BLANK, INKED, UNKNOWN, dash_pattern, path_steps
from kmipd.digitize.curves.linestyle import Candidate, line_style
from kmipd.digitize.curves.trace import Runs

H, W = 260, 300
WIDTH = 2.0


def _staircase(drop_every: int, drop: float) -> np.ndarray:
    """Level (row) per column of a KM-like staircase: ``drop`` rows every ``drop_every`` columns."""
    x = np.arange(W)
    return 20.0 + drop * (x // drop_every)


def _draw(levels: np.ndarray, on: float, off: float, width: float = WIDTH) -> np.ndarray:
    """A step curve through ``levels`` drawn with a dash pattern (``on``, ``off`` pixels along
    its length, butt ends; ``off`` 0 for a solid line): the mask of its ink."""
    # the path: along each level, then straight down to the next one at the column's edge
    pts = []
    for k, y in enumerate(levels):
        pts += [(k - 0.5, y), (k + 0.5, y)]
    pts = np.array(pts)
    step = np.diff(pts, axis=0)
    seg = np.hypot(*step.T)
    arc = np.r_[0.0, np.cumsum(seg)]
    s = np.arange(0.0, arc[-1], 0.25)
    px, py = np.interp(s, arc, pts[:, 0]), np.interp(s, arc, pts[:, 1])
    k = np.clip(np.searchsorted(arc, s, side="right") - 1, 0, seg.size - 1)
    ux, uy = step[k, 0] / np.maximum(seg[k], 1e-9), step[k, 1] / np.maximum(seg[k], 1e-9)
    inked = np.ones(s.size, bool) if off == 0 else (s % (on + off)) < on
    mask = np.zeros((H, W), bool)
    for t in np.linspace(-width / 2, width / 2, 9):  # the pen, across the path
        rows = np.floor(py[inked] + ux[inked] * t + 0.5).astype(int)
        cols = np.floor(px[inked] - uy[inked] * t + 0.5).astype(int)
        ok = (rows >= 0) & (rows < H) & (cols >= 0) & (cols < W)
        mask[rows[ok], cols[ok]] = True
    return mask


def _candidate(levels: np.ndarray, mask: np.ndarray) -> Candidate:
    """The curve as traced: its level per column, seen where its own ink shows at that level."""
    rows = np.round(levels).astype(int)
    vis = mask[rows, np.arange(W)] | mask[np.clip(rows - 1, 0, H - 1), np.arange(W)]
    empty = Runs(*(np.zeros(0, int),) * 4, np.zeros(0), np.zeros(0))
    return Candidate(0, 0, (20.0, 20.0, 20.0), False, 0, levels.astype(float), vis, WIDTH, empty)


def _style(levels: np.ndarray, mask: np.ndarray) -> str:
    cs = np.zeros((H + 1, W), np.int32)
    cs[1:] = np.cumsum(mask, axis=0)
    return line_style(_candidate(levels, mask), cs)


def test_a_flat_dashed_line_reads_its_dash_and_gap_lengths():
    levels = np.full(W, 50.0)
    mask = _draw(levels, on=10, off=6)
    pattern = dash_pattern(path_steps(mask, 0, levels, WIDTH))
    assert np.median(pattern.dashes) == pytest.approx(10, abs=1)
    assert np.median(pattern.gaps) == pytest.approx(6, abs=1)
    assert pattern.fill == pytest.approx(10 / 16, abs=0.05)


def test_hidden_and_busy_columns_are_not_known_and_break_dashes_and_gaps():
    levels = np.full(W, 50.0)
    levels[100:120] = np.nan
    mask = _draw(np.full(W, 50.0), on=10, off=6)
    busy = np.zeros(W, bool)
    busy[200:230] = True
    steps = path_steps(mask, 0, levels, WIDTH, busy)
    assert (steps == UNKNOWN).sum() == 2  # one mark per break
    assert set(np.unique(steps)) == {UNKNOWN, BLANK, INKED}
    # only the whole dashes count: none straddles a break
    pattern = dash_pattern(steps)
    assert pattern.known == (steps != UNKNOWN).sum()
    assert pattern.dashes.max() <= 11


def test_a_steep_staircase_keeps_its_dash_length_along_the_path():
    """Drops of 6 rows every 3 columns: a dash's columns are cut into 1-3 px pieces."""
    levels = _staircase(3, 6.0)[:36]
    mask = _draw(np.r_[levels, np.full(W - 36, levels[-1])], on=9, off=5)
    pattern = dash_pattern(path_steps(mask, 0, levels, WIDTH))
    assert np.median(pattern.dashes) == pytest.approx(9, abs=1.5)


@pytest.mark.parametrize("drop_every, drop", [(12, 3.0), (4, 5.0), (2, 3.0)])
def test_dashed_and_dotted_steep_curves_are_told_apart(drop_every, drop):
    """matplotlib's '--' (3.7 widths on, 1.6 off) and ':' (1 on, 1.65 off), R's 'dashed' (4
    on, 4 off, and its round ends: 5 on, 3 off), ggplot's '42' and '13' (butt ends), flat and
    steep."""
    levels = np.minimum(_staircase(drop_every, drop), H - 20)
    for on, off, style in [(3.7, 1.6, "dashed"), (5, 3, "dashed"), (4, 2, "dashed"),
                           (1, 1.65, "dotted"), (1, 3, "dotted")]:
        mask = _draw(levels, on * WIDTH, off * WIDTH)
        assert _style(levels, mask) == style, (on, off)
    assert _style(levels, _draw(levels, 1, 0)) == "solid"


@pytest.mark.parametrize("index", [70, 99, 112, 171, 209])
def test_black_and_grey_arms_drawn_solid_dashed_and_dotted_read_as_drawn(tmp_path, index):
    """Random black or grey figures (bench_random seed 2026) whose dashed arm read as dotted
    (steep where many patients fail, its columns break into short pieces) or as solid (its
    dashes lie on tall drops, which its columns do not show): along its path a dash keeps its
    length."""
    from kmipd.compare import curve_rmse, split_arms
    from kmipd.digitize import digitize
    from kmipd.testing.random_figures import draw_look, render_random_figure, simulate_trial

    rng = np.random.default_rng([2026, index])
    trial, look = simulate_trial(rng), draw_look(rng)
    assert look.palette in ("black", "grey") and look.line_types == "varied"
    fig = render_random_figure(trial, look, tmp_path / "bw.png")
    dig = digitize(fig.path)
    found, truth = split_arms(dig.curves), split_arms(fig.curves)
    drawn = dict(zip(dict.fromkeys(fig.curves["arm"]), ["solid", "dashed", "dotted", "dashed"]))
    for arm in dig.arms:
        nearest = min(truth, key=lambda a: curve_rmse(found[arm.name], truth[a], fig.t_end[a]))
        assert arm.line_style == drawn[nearest], (arm.name, nearest)
