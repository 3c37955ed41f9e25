"""Censor marks: short vertical strokes ('+', '|') that stick out of a traced curve.

A drop of the step curve is a vertical stroke too, but it starts at the level before the drop
and ends at the level after it; a censor tick reaches above the higher of the nearby levels
(or below the lower one while the curve stays flat). Comparing each long column run with the
curve's own levels around it tells the two apart, so ticks never become drops.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage as ndi

from kmipd.digitize.curves.trace import Runs


def find_censor_marks(runs: Runs, x_start: int, level: np.ndarray, width: float) -> np.ndarray:
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
        Line thickness in pixels.

    Returns
    -------
    ndarray
        (M, 2) mark centres, ordered by x.
    """
    n = len(level)
    if n == 0 or len(runs.x) == 0:
        return np.zeros((0, 2))
    reach = int(np.ceil(width)) + 2
    hi = ndi.minimum_filter1d(level, 2 * reach + 1, mode="nearest")  # highest level nearby
    lo = ndi.maximum_filter1d(level, 2 * reach + 1, mode="nearest")
    min_ext = max(1.5, 0.5 * width)
    inside = (runs.x >= x_start) & (runs.x < x_start + n)
    xs, top, bot = runs.x[inside], runs.top[inside], runs.bottom[inside]
    k = xs - x_start
    half = width / 2
    touches = (top <= level[k] + half + 1) & (bot >= level[k] - half - 1)
    up = (hi[k] - half) - top
    down = bot - (lo[k] + half)
    flat = (lo[k] - hi[k]) <= max(1.0, 0.5 * width)
    tick = touches & ((up >= min_ext) | (flat & (down >= min_ext)))
    if not tick.any():
        return np.zeros((0, 2))
    cols = np.zeros(n, bool)
    cols[k[tick]] = True
    ext = np.zeros(n)
    np.maximum.at(ext, k[tick], np.maximum(up[tick], down[tick]))
    lab, nlab = ndi.label(cols)
    idx = np.arange(1, nlab + 1)
    cx = np.asarray(ndi.mean(np.arange(n, dtype=float), lab, idx))
    widths = np.asarray(ndi.sum(np.ones(n), lab, idx))
    marks = []
    typical = max(float(np.median(widths)), width)
    for c, wdt, i in zip(cx, widths, idx):
        # several ticks touching side by side (dense censoring): split the group evenly
        m = max(1, int(round(wdt / typical)))
        cols_i = np.flatnonzero(lab == i)
        for part in np.array_split(cols_i, m):
            xm = float(part.mean()) if m > 1 else float(c)
            marks.append((x_start + xm, float(np.interp(xm, np.arange(n), level))))
    return np.array(marks, dtype=float).reshape(-1, 2)
