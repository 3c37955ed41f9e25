"""Censor marks: short vertical strokes ('+', '|') that stick out of a traced curve.

A drop of the step curve is a vertical stroke too, but it starts at the level before the drop
and ends at the level after it; a censor tick reaches above the higher of the nearby levels
or below the lower one (a drop never does: that is how ticks on steep parts are found too).
Comparing each long column run with the curve's own levels around it tells the two apart, so
ticks never become drops.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields

import numpy as np
from scipy import ndimage as ndi

from kmipd.digitize.curves.trace import Runs, line_width


def find_censor_marks(runs: Runs, x_start: int, level: np.ndarray, width: float,
                      others: Sequence[np.ndarray] = ()) -> np.ndarray:
    """Centres (x, y) in pixels of the censor marks on one traced curve.

    Parameters
    ----------
    runs : Runs
        Vertical runs of the arm's pixels (from :func:`kmipd.digitize.curves.trace.column_runs`).
    x_start : int
        Column of ``level[0]``.
    level : ndarray
        The curve's level (pixel y) per column, monotone, no NaN.
    width : float
        Line thickness in pixels, as the tracer used it. A tracer that chose a wider width to
        keep a heavily censored curve whole swallows the ticks in it, so the thickness measured
        along the curve's own flat stretches (:func:`stroke_thickness`) is used when thinner.
    others : sequence of ndarray, optional
        The levels of other arms drawn in the same ink, aligned with ``level`` (NaN where
        absent). Where such an arm runs a few pixels off this one, the two lines make one run
        longer than either; a tick must reach past both.

    Returns
    -------
    ndarray
        (M, 2) mark centres, ordered by x.
    """
    n = len(level)
    if n == 0 or len(runs.x) == 0:
        return np.zeros((0, 2))
    width = min(width, stroke_thickness(runs, x_start, level, width))
    reach = int(np.ceil(width)) + 2
    hi = ndi.minimum_filter1d(level, 2 * reach + 1, mode="nearest")  # highest level nearby
    lo = ndi.maximum_filter1d(level, 2 * reach + 1, mode="nearest")
    min_ext = max(1.5, 0.5 * width)
    inside = (runs.x >= x_start) & (runs.x < x_start + n)
    xs, top, bot = runs.x[inside], runs.top[inside], runs.bottom[inside]
    k = xs - x_start
    half = width / 2
    touches = (top <= level[k] + half + 1) & (bot >= level[k] - half - 1)
    hi, lo = hi[k], lo[k]
    for other in others:
        o = np.asarray(other, float)
        o_hi = ndi.minimum_filter1d(np.where(np.isnan(o), np.inf, o), 2 * reach + 1, mode="nearest")[k]
        o_lo = ndi.maximum_filter1d(np.where(np.isnan(o), -np.inf, o), 2 * reach + 1, mode="nearest")[k]
        crossed = (top <= o[k] + half + 1) & (bot >= o[k] - half - 1)  # False where NaN
        hi = np.where(crossed, np.minimum(hi, o_hi), hi)
        lo = np.where(crossed, np.maximum(lo, o_lo), lo)
    up = (hi - half) - top
    down = bot - (lo + half)
    tick = touches & ((up >= min_ext) | (down >= min_ext))
    if not tick.any():
        return np.zeros((0, 2))
    cols = np.zeros(n, bool)
    cols[k[tick]] = True
    lab, nlab = ndi.label(cols)
    idx = np.arange(1, nlab + 1)
    cx = np.asarray(ndi.mean(np.arange(n, dtype=float), lab, idx))
    widths = np.asarray(ndi.sum(np.ones(n), lab, idx))
    marks = []
    typical = max(float(np.median(widths)), width)
    for c, wdt, i in zip(cx, widths, idx):
        cols_i = np.flatnonzero(lab == i)
        m = min(_ticks_in_group(wdt, typical), cols_i.size)  # a tick is a column at least
        for part in np.array_split(cols_i, m):
            xm = float(part.mean()) if m > 1 else float(c)
            marks.append((x_start + xm, float(np.interp(xm, np.arange(n), level))))
    return np.array(marks, dtype=float).reshape(-1, 2)


def _ticks_in_group(group_width: float, tick_width: float) -> int:
    """How many ticks a group of touching tick columns holds (dense censoring).

    Ticks placed at random that touch overlap by half a tick on average, so each one after the
    first adds about half a tick's width: ``2 W / w - 1`` (a group up to 1.5 ticks wide is one
    tick drawn a little wide). Ticks at the very same time stay one mark; the caller treats the
    marks as a count that misses some.
    """
    if group_width < 1.5 * tick_width:
        return 1
    return int(round(2 * group_width / tick_width - 1))


def stroke_thickness(runs: Runs, x_start: int, level: np.ndarray, width: float) -> float:
    """The curve's thickness (px): :func:`line_width` of the shortest tenth of the runs crossing
    its level where it is flat (rules and text of the same colour are left out). On a heavily
    censored curve most of those runs are ticks, so only the shortest ones are the bare line.
    ``width`` is returned where too few flat columns are seen.
    """
    n = len(level)
    inside = np.flatnonzero((runs.x >= x_start) & (runs.x < x_start + n))
    k = runs.x[inside] - x_start
    wide = ndi.maximum_filter1d(level, 5, mode="nearest") - ndi.minimum_filter1d(level, 5, mode="nearest")
    across = inside[(runs.top[inside] <= level[k] + 0.5) & (runs.bottom[inside] >= level[k] - 0.5)
                    & (wide[k] <= 0.5) & (runs.mass[inside] >= 0.6)]
    if across.size < 20:
        return width
    return line_width(Runs(*(getattr(runs, f.name)[across] for f in fields(Runs))), shortest=10)


def drop_shared_ticks(marks: list[np.ndarray], runs: list[Runs], ink: list[int]) -> list[np.ndarray]:
    """Give each tick seen by two arms of one ink to the arm it is centred on.

    Arms of one colour (black solid and dashed) are traced over the same runs, so where they run
    close a tick of one reaches across the other and is found by both. One stroke is one tick:
    a '|' or '+' is drawn centred on its own curve's level.

    Parameters
    ----------
    marks : list of ndarray
        Each arm's ``(M, 2)`` marks, in the runs' pixel coordinates.
    runs : list of Runs
        The runs each arm was traced over.
    ink : list of int
        An id per arm; arms with equal ids share their runs.

    Returns
    -------
    list of ndarray
        The marks, each kept by one arm only.
    """
    shared = [ink.count(k) > 1 for k in ink]
    strokes = [_stroke_of(m, r) if s else None for m, r, s in zip(marks, runs, shared)]
    keep = [np.ones(len(m), bool) for m in marks]
    for i in range(len(marks)):
        for j in range(len(marks)):
            if i == j or ink[i] != ink[j] or not len(marks[i]) or not len(marks[j]):
                continue
            (top_i, bot_i), (top_j, bot_j) = strokes[i], strokes[j]
            same = ((np.abs(marks[i][:, None, 0] - marks[j][None, :, 0]) <= 1.5)
                    & (top_i[:, None] == top_j[None, :]) & (bot_i[:, None] == bot_j[None, :]))
            off_i = np.abs(0.5 * (top_i + bot_i) - marks[i][:, 1])
            off_j = np.abs(0.5 * (top_j + bot_j) - marks[j][:, 1])
            # the farther-off arm loses it (ties: the later arm, so one of the two keeps it)
            worse = (off_i[:, None] > off_j[None, :]) | ((off_i[:, None] == off_j[None, :]) & (i > j))
            keep[i] &= ~(same & worse).any(axis=1)
    return [m[k] for m, k in zip(marks, keep)]


def _stroke_of(marks: np.ndarray, runs: Runs) -> tuple[np.ndarray, np.ndarray]:
    """Top and bottom of the run through each mark (its column, its level); -1 where none."""
    top = np.full(len(marks), -1)
    bot = np.full(len(marks), -1)
    for k, (x, y) in enumerate(marks):
        at = np.flatnonzero((runs.x == int(round(x))) & (runs.top <= y + 0.5) & (runs.bottom >= y - 0.5))
        if at.size:
            longest = at[np.argmax(runs.bottom[at] - runs.top[at])]
            top[k], bot[k] = runs.top[longest], runs.bottom[longest]
    return top, bot
