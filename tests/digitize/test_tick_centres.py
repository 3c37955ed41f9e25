"""A curve read through its censor ticks' centres, and drops told from ticks on a slope."""

from __future__ import annotations

import numpy as np

from kmipd.digitize.curves.profile import _drop_levels
from kmipd.digitize.curves.tick_centres import level_through_ticks
from kmipd.digitize.curves.trace import column_runs

W, H = 100, 120
HALF_TICK = 8


def _falling_curve_with_ticks(tick_cols):
    """A 5 px line falling 1 px every 2 columns, with 17 px ticks centred on it."""
    img = np.zeros((H, W))
    level = 30 + np.arange(W) // 2
    for x in range(W):
        img[level[x] - 2:level[x] + 3, x] = 1.0
    for x in tick_cols:
        img[level[x] - HALF_TICK:level[x] + HALF_TICK + 1, x - 1:x + 2] = 1.0
    return img, level.astype(float)


def test_the_level_at_a_tick_is_its_centre_where_the_trace_ran_on_flat():
    ticks = [20, 38, 60, 80]
    img, truth = _falling_curve_with_ticks(ticks)
    traced = truth.copy()
    traced[30:45] = truth[30]  # ran along a mark's arm past the tick at 38, fell late
    marks = np.array([(x, traced[x]) for x in ticks])
    out = level_through_ticks(column_runs(img), 0, traced, 5.0, marks)
    assert out[38] == truth[38]
    assert (out[39:39 + HALF_TICK] >= truth[38]).all()  # held below it after the tick
    assert (out[:30] == truth[:30]).all() and (out[46:] == truth[46:]).all()
    assert (np.diff(out) >= 0).all()


def test_ticks_are_not_read_when_too_few_or_merged_with_other_ink():
    ticks = [20, 38, 60, 80]
    img, truth = _falling_curve_with_ticks(ticks)
    traced = truth.copy()
    traced[30:45] = truth[30]
    two = np.array([(x, traced[x]) for x in ticks[:2]])
    assert (level_through_ticks(column_runs(img), 0, traced, 5.0, two) == traced).all()
    # the tick at 38 runs into a drop stroke below it: longer than the others, not centred
    img[int(truth[38]):int(truth[38]) + 25, 37:40] = 1.0
    marks = np.array([(x, traced[x]) for x in ticks])
    out = level_through_ticks(column_runs(img), 0, traced, 5.0, marks)
    assert out[38] == traced[38]


def test_a_tick_on_a_steep_staircase_is_not_taken_for_its_one_drop():
    # a thick line falling 1 px a column from row 20 to row 50, a censor tick across it
    alpha = np.zeros((80, 60))
    for x in range(10, 41):
        y = 20 + (x - 10)
        alpha[y - 3:y + 3, x] = 1.0
    alpha[17:23, :10] = 1.0
    alpha[47:53, 41:] = 1.0
    alpha[10:62, 24:27] = 1.0
    level = _drop_levels(alpha, 9, 41, 20.0, 50.0, 6.0)
    cols = np.arange(10, 41)
    # it falls along the slope, not all at once at the tick (the old reading: 20 then 50)
    early, late = level[cols == 17][0], level[cols == 33][0]
    assert 22 < early < 35 and 35 < late < 49 and late - early > 8
    # a lone drop stroke is still placed by its centroid, to a fraction of a pixel
    alpha = np.zeros((80, 60))
    alpha[17:23, :25] = 1.0
    alpha[47:53, 25:] = 1.0
    alpha[17:53, 25:31] = 1.0
    level = _drop_levels(alpha, 9, 41, 20.0, 50.0, 6.0)
    assert (level[cols < 27] == 20.0).all() and (level[cols > 28] == 50.0).all()


def test_thick_lines_with_crowded_plus_marks_are_read_closely(tmp_path):
    """A rendered trial drawn with 2.8 pt lines and large '+' marks crowding its falling
    stretches: read through the ticks' centres, its two arms' RMSE sum to 0.0172 (0.0191 when
    the trace ran along the marks' arms)."""
    from dataclasses import replace

    from kmipd.compare import curve_rmse, split_arms
    from kmipd.digitize import digitize
    from kmipd.testing.random_figures import draw_look, render_random_figure, simulate_trial

    rng = np.random.default_rng([11, 1])
    trial, look = simulate_trial(rng), draw_look(rng)
    look = replace(look, palette="ggplot_hue", line_types="solid", line_width=2.8, censor="+",
                   censor_size=9.5, dpi=160, fmt="png", blur=0.0, ci_bands=False,
                   median_line=False, annotation="none", legend="none", grid=False)
    fig = render_random_figure(trial, look, tmp_path / "thick.png")
    found, truth = split_arms(digitize(fig.path).curves), split_arms(fig.curves)
    assert len(found) == len(truth) == 2
    total = sum(min(curve_rmse(f, t, fig.t_end[a]) for f in found.values())
                for a, t in truth.items())
    assert total <= 0.018
