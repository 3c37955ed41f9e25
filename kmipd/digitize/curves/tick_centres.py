"""The curve's level at its censor ticks: every mark is drawn centred on the curve.

A censor mark ('|', '+') is a tick centred on the curve's level at the censor time. Where marks
crowd a falling stretch, the tracer can follow a '+' mark's horizontal arm (the longest,
straightest piece of ink there) and read the curve flat for half a mark, then falling late. The
tick's own centre says where the curve was: the level at the tick's column is set to it, and the
columns within half a tick either side are held to it (above it before, below it after).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import isotonic_regression

from kmipd.digitize.curves.trace import Runs

#: Ticks are read only on a curve with at least this many marks (their typical length is known).
MIN_MARKS = 3
#: A tick is clean (not merged with a drop, another mark or a crossing curve, nor cut short) when
#: its length is within this many px, or this share, of the curve's typical tick.
LENGTH_TOL_PX = 2.0
LENGTH_TOL_SHARE = 0.15
#: A level moves only when the tick's centre lies this many px off the trace.
MIN_SHIFT = 1.0


def level_through_ticks(runs: Runs, x_start: int, level: np.ndarray, width: float,
                        marks: np.ndarray) -> np.ndarray:
    """The curve's level (pixel y per column) made to pass through its clean ticks' centres.

    Parameters
    ----------
    runs : Runs
        Vertical runs of the arm's pixels.
    x_start : int
        Column of ``level[0]``.
    level : ndarray
        The traced level per column (monotone, no NaN).
    width : float
        Line thickness (px); a tick must stand well out of the line.
    marks : ndarray
        (M, 2) mark centres (x, y) in the same pixels.

    Returns
    -------
    ndarray
        The monotone level. Unchanged where the marks are too few, rings (their centre column
        shows only the line) or ticks merged with other ink.
    """
    n = len(level)
    if n == 0 or len(marks) < MIN_MARKS:
        return level
    ticks = []
    for x, _ in marks:
        k = int(np.clip(round(x - x_start), 0, n - 1))
        t = _tick_through(runs, max(x_start + k - 1, x_start), min(x_start + k + 1, x_start + n - 1),
                          float(level[k]))
        if t is not None:
            ticks.append((t[0] - x_start, t[1], t[2]))
    if len(ticks) < MIN_MARKS:
        return level
    typical = float(np.median([t[1] for t in ticks]))
    tol = max(LENGTH_TOL_PX, LENGTH_TOL_SHARE * typical)
    out = np.asarray(level, float).copy()
    for k, length, centre in ticks:
        clean = abs(length - typical) <= tol
        if not clean or length < width + 3 or abs(centre - out[k]) <= MIN_SHIFT:
            continue
        reach = int(np.ceil(length / 2))
        out[k] = centre
        after = slice(k + 1, min(k + reach, n - 1) + 1)
        out[after] = np.maximum(out[after], centre)
        before = slice(max(k - reach, 0), k)
        out[before] = np.minimum(out[before], centre)
    return isotonic_regression(out, increasing=True).x


def _tick_through(runs: Runs, x0: int, x1: int, y: float) -> tuple[int, int, float] | None:
    """``(column, length, centre row)`` of the longest run through row ``y`` in columns
    ``x0 .. x1`` (a mark's tick), or None when no ink is there."""
    lo, hi = np.searchsorted(runs.x, [x0, x1 + 1])  # runs are ordered by column
    r = int(round(y))
    through = np.flatnonzero((runs.top[lo:hi] <= r) & (runs.bottom[lo:hi] >= r)) + lo
    if len(through) == 0:
        return None
    length = runs.bottom[through] - runs.top[through] + 1
    i = through[int(np.argmax(length))]
    return int(runs.x[i]), int(runs.bottom[i] - runs.top[i] + 1), 0.5 * (runs.top[i] + runs.bottom[i])
