"""Tall column runs that still cross a curve's line, not along a drop or a censor tick.

A column of a step curve crosses the line in a short run about as tall as the line is thick
(:func:`kmipd.digitize.curves.trace.build_segments` chains those). Two kinds of taller runs
cross it too: a band of crowded censor marks centred on the line (:func:`mark_bands`) and a
steep stretch of a bold line, falling by a pixel or more a column (:func:`slanted_runs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy import ndimage as ndi

if TYPE_CHECKING:
    from kmipd.digitize.curves.trace import Runs

#: A run crosses the line where it is at most this many pixels taller than the line is thick.
CROSSING_SLACK = 1.6
#: A band of crowded censor marks: runs at least this many line widths tall, each sharing
#: this share of the shorter with the next column's, over at least this many times their length,
#: sliding down by at most this many px a column.
BAND_MIN_THICK = 2.5
BAND_OVERLAP = 0.6
BAND_ASPECT = 1.5
BAND_MAX_SLOPE = 0.5
#: A band goes on over at most this many columns without a long run.
BAND_MAX_SKIP = 2


def mark_bands(runs: Runs, width: float, min_aspect: float = BAND_ASPECT
               ) -> tuple[np.ndarray, np.ndarray]:
    """Long runs that belong to a band of overlapping censor marks along the line.

    Where marks crowd (administrative censoring at the end of follow-up) every column crosses
    a mark, so no column shows the bare line. The marks are centred on the line, so each
    column's run is centred on it too. A band is told from a drop (a riser is a few columns
    wide), from a steep staircase (it slides down fast) and from two lines side by side (twice
    a line's width) by its shape: runs at least ``BAND_MIN_THICK`` line widths tall, overlapping
    from column to column, over at least ``min_aspect`` times their length.

    Returns
    -------
    in_band : ndarray of bool
        Per run: it is a band crossing.
    centre : ndarray
        Per run: the line's level (for a band crossing, the running median of the band's
        mid-points; else the run's own centroid).
    """
    length = runs.bottom - runs.top + 1
    # marks stand well out of the line (two lines side by side are only twice as thick)
    long_ = np.flatnonzero(length >= max(BAND_MIN_THICK * width, width + 4))
    out = np.zeros(len(runs.x), bool)
    centre = np.asarray(runs.centre, float).copy()
    if len(long_) == 0:
        return out, centre
    by_col = _by_column(runs, long_)
    nxt = {}
    for i in long_:
        # the next long run overlapping this one, a few columns on at most (between two marks
        # a column may show less of them)
        for step in range(1, BAND_MAX_SKIP + 2):
            j = next((j for j in by_col.get(int(runs.x[i]) + step, [])
                      if min(runs.bottom[i], runs.bottom[j]) - max(runs.top[i], runs.top[j]) + 1
                      >= BAND_OVERLAP * min(length[i], length[j])), None)
            if j is not None:
                nxt[int(i)] = j
                break
    for band in _linked(long_, nxt):
        size = float(np.median(length[band]))
        mid = 0.5 * (runs.top[band] + runs.bottom[band])
        span = int(runs.x[band[-1]] - runs.x[band[0]]) + 1
        # a censored stretch of a falling curve slides down slowly; a staircase drops fast
        if span >= min_aspect * size and \
                abs(float(mid[-1] - mid[0])) <= max(size, BAND_MAX_SLOPE * span):
            out[band] = True
            # the ends of the marks jitter by a pixel or two: a running median keeps the
            # levels from rising and falling (a chain never rises)
            centre[band] = ndi.median_filter(mid, size=max(3, int(size) | 1), mode="nearest")
    return out, centre


#: A steep stretch of a bold curve: runs taller than the line (up to this many widths) ...
SLANT_MAX_THICK = 5.0
#: ... overlapping from column to column over at least this many columns ...
SLANT_MIN_COLS = 4
#: ... sliding down at least this many pixels per column (a drop's riser does not slide).
SLANT_MIN_SLOPE = 0.5


def slanted_runs(runs: Runs, width: float) -> np.ndarray:
    """Runs taller than the line that cross a steep stretch of it (bool per run).

    Where a bold curve falls by a pixel or more per column, each column's run is taller than
    the line is thick; its centre is still the line's level there. Such runs come in chains
    that slide down column after column (:data:`SLANT_MIN_SLOPE`); a drop's riser is as tall
    but stays put, and a band of censor marks slides slowly (:func:`mark_bands`).
    """
    length = runs.bottom - runs.top + 1
    tall = np.flatnonzero((length > width + CROSSING_SLACK) & (length <= SLANT_MAX_THICK * width + 2))
    out = np.zeros(len(runs.x), bool)
    if len(tall) < SLANT_MIN_COLS:
        return out
    mid = 0.5 * (runs.top + runs.bottom)
    by_col = _by_column(runs, tall)
    nxt = {}
    for i in tall:
        j = next((j for j in by_col.get(int(runs.x[i]) + 1, []) if mid[j] > mid[i]
                  and min(runs.bottom[i], runs.bottom[j]) >= max(runs.top[i], runs.top[j])), None)
        if j is not None:
            nxt[int(i)] = j
    for chain in _linked(tall, nxt):
        if len(chain) >= SLANT_MIN_COLS and \
                mid[chain[-1]] - mid[chain[0]] >= SLANT_MIN_SLOPE * (len(chain) - 1):
            # no taller than a line this thick at this slope: a censor tick on it stands out more
            slope = np.gradient(mid[chain])
            fits = length[chain] <= width * (1 + np.abs(slope)) + 3
            out[np.array(chain)[fits]] = True
    # only where the colour has no other ink in the column: beside a bare line a tall run is
    # a censor tick or a crossing, and beside another curve or a band's rim it may be either
    per_col = np.bincount(runs.x, minlength=int(runs.x.max()) + 1)
    out &= per_col[runs.x] == 1
    return out


def _by_column(runs: Runs, members: np.ndarray) -> dict[int, list[int]]:
    """The indices ``members`` of runs, grouped by their column."""
    by_col: dict[int, list[int]] = {}
    for i in members:
        by_col.setdefault(int(runs.x[i]), []).append(int(i))
    return by_col


def _linked(members: np.ndarray, nxt: dict[int, int]) -> list[list[int]]:
    """The chains that the links ``nxt`` (run -> the next column's run) make among
    ``members``, each from a run nothing links to, in the order of ``members``."""
    has_prev = set(nxt.values())
    chains = []
    for i in members:
        if int(i) in has_prev:
            continue
        chain = [int(i)]
        while chain[-1] in nxt:
            chain.append(nxt[chain[-1]])
        chains.append(chain)
    return chains
