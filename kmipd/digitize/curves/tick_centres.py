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
    ink, r0 = _ink_mask(runs, x_start, n)
    if ink.shape[0] == 0:
        return level
    ticks = []
    for x, _ in marks:
        k = int(np.clip(round(x - x_start), 0, n - 1))
        t = _tick_through(ink, r0, k, float(level[k]))
        if t is not None:
            ticks.append(t)
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


def _ink_mask(runs: Runs, x_start: int, n: int) -> tuple[np.ndarray, int]:
    """The arm's ink over its ``n`` columns as a bool image, and the image row of its row 0."""
    inside = (runs.x >= x_start) & (runs.x < x_start + n)
    if not inside.any():
        return np.zeros((0, n), bool), 0
    top, bottom, k = runs.top[inside], runs.bottom[inside], runs.x[inside] - x_start
    r0 = int(top.min())
    edges = np.zeros((int(bottom.max()) - r0 + 2, n), np.int32)
    np.add.at(edges, (top - r0, k), 1)
    np.add.at(edges, (bottom - r0 + 1, k), -1)
    return np.cumsum(edges, axis=0)[:-1] > 0, r0


def _tick_through(ink: np.ndarray, r0: int, k: int, y: float) -> tuple[int, int, float] | None:
    """``(column, length, centre row)`` of the longest run through row ``y`` within a column of
    ``k`` (a mark's tick), or None when no ink is there."""
    h, n = ink.shape
    r = int(round(y)) - r0
    if not 0 <= r < h:
        return None
    best = None
    for kk in range(max(k - 1, 0), min(k + 2, n)):
        col = ink[:, kk]
        if not col[r]:
            continue
        up = r - int(np.argmin(col[r::-1])) + 1 if not col[:r + 1].all() else 0
        down = r + int(np.argmin(col[r:])) - 1 if not col[r:].all() else h - 1
        if best is None or down - up + 1 > best[1]:
            best = (kk, down - up + 1, r0 + 0.5 * (up + down))
    return best
