"""Tick marks on an axis line, found in an ink mask.

A tick is a short ink run that starts at the axis line and points away from the plot (outside);
with fewer than two of those, runs pointing into the plot are used (SAS, Prism). Minor ticks
(clearly shorter than the major ones) are dropped. :func:`kmipd.digitize.frame.axes.find_ticks`
is the entry point on an image; the plot-box finder uses :func:`axis_ticks` to tell a plot (it
has ticks) from a frame or a legend box.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from kmipd.digitize.result import PlotBox

#: Ticks are looked for this many pixels beyond the ends of the axis.
_TICK_SEARCH_PAD_PX = 3
#: An axis line is stepped past for at most this many rows (the thickest axis line).
_MAX_AXIS_LINE_PX = 12
#: Ticks are looked for within this many pixels of the axis line, or this share of its length.
_TICK_REACH_PX = 8
_TICK_REACH_SHARE = 0.06
#: A tick is at most this many pixels wide, or this share of the axis (wider: text, legend key).
_TICK_MAX_WIDTH_PX = 6
_TICK_MAX_WIDTH_SHARE = 0.02
#: Major ticks are at least this share of the long ticks' length (this percentile of all), or
#: at most this many pixels shorter (keeps 2-px ticks next to 3-px ones); shorter ones are minor.
_MAJOR_TICK_PERCENTILE = 90
_MAJOR_TICK_SHARE = 0.75
_MAJOR_TICK_SLACK_PX = 1.5
#: A tick's ink centroid takes this many anti-aliased columns either side of it.
_TICK_RIM_PX = 2


def axis_ticks(mask: np.ndarray, box: PlotBox, axis: str, min_length: int,
               darkness: np.ndarray | None = None) -> np.ndarray:
    """Sorted centres of the major ticks on the bottom (``"x"``) or left (``"y"``) axis of
    ``box`` in a boolean ink ``mask``; ``darkness`` (0 white .. 1 black) places them sub-pixel."""
    if axis == "y":
        # turn the problem so the y axis becomes a bottom axis: image rows become columns and
        # "left of the axis" becomes "below it"
        mask = mask.T[::-1, :]
        darkness = None if darkness is None else darkness.T[::-1, :]
        lo, hi, edge = box.top, box.bottom, mask.shape[0] - 1 - box.left
    else:
        lo, hi, edge = box.left, box.right, box.bottom
    ticks = _ticks_below(mask, lo, hi, edge, min_length, outward=True, darkness=darkness)
    if len(ticks) < 2:
        ticks = _ticks_below(mask, lo, hi, edge, min_length, outward=False, darkness=darkness)
    return ticks


def _ticks_below(mask: np.ndarray, lo: int, hi: int, edge: int, min_length: int, outward: bool,
                 darkness: np.ndarray | None = None) -> np.ndarray:
    """Tick centres on a horizontal axis at row ``edge`` spanning columns ``lo..hi``.

    With ``darkness`` (0 white .. 1 black, same layout as ``mask``) a tick's centre is the
    centroid of its ink, anti-aliased neighbour columns included: a thin tick drawn between two
    pixel columns is placed between them, not on the darker one.
    """
    h, w = mask.shape
    lo, hi = max(0, lo - _TICK_SEARCH_PAD_PX), min(w - 1, hi + _TICK_SEARCH_PAD_PX)
    span = mask[:, lo:hi + 1]
    # step past the axis line itself: rows around ``edge`` that are mostly ink
    step = 1 if outward else -1
    row = edge
    for _ in range(_MAX_AXIS_LINE_PX):
        nxt = row + step
        if not 0 <= nxt < h or span[nxt].mean() < 0.5:
            break
        row = nxt
    start = row + step
    reach = max(_TICK_REACH_PX, int(_TICK_REACH_SHARE * (hi - lo)))
    stop = start + step * reach
    if not (0 <= start < h):
        return np.zeros(0)
    band_rows = np.arange(start, stop, step)
    band_rows = band_rows[(band_rows >= 0) & (band_rows < h)]
    band = span[start:stop:step] if step > 0 else span[start:max(stop, -1):step]
    if band.shape[0] == 0:
        return np.zeros(0)
    # length of the ink run that touches the axis, per column
    run = np.cumprod(band, axis=0).sum(axis=0)
    # a tick is a short run; a run filling the whole band is a curve or a frame line
    candidate = (run >= min_length) & (run < band.shape[0])
    if not candidate.any():
        return np.zeros(0)
    labels, n = ndimage.label(candidate)
    centres, lengths = [], []
    for k in range(1, n + 1):
        cols = np.nonzero(labels == k)[0]
        if cols.size > max(_TICK_MAX_WIDTH_PX, _TICK_MAX_WIDTH_SHARE * (hi - lo)):  # text, legend key
            continue
        weights = run[cols].astype(float)
        centre = float((cols * weights).sum() / weights.sum())
        if darkness is not None:
            centre = _ink_centroid(darkness, band_rows, lo, cols, int(run[cols].max())) - lo
        centres.append(lo + centre)
        lengths.append(float(run[cols].max()))
    if not centres:
        return np.zeros(0)
    centres, lengths = np.asarray(centres), np.asarray(lengths)
    # minor ticks are clearly shorter; the pixel slack keeps 2-px ticks next to 3-px ones
    top = np.percentile(lengths, _MAJOR_TICK_PERCENTILE)
    major = lengths >= min(_MAJOR_TICK_SHARE * top, top - _MAJOR_TICK_SLACK_PX)
    return np.sort(centres[major])


def _ink_centroid(darkness: np.ndarray, band_rows: np.ndarray, lo: int, cols: np.ndarray,
                  length: int) -> float:
    """Darkness-weighted column centre (image columns) of a tick over the rows it spans."""
    rows = band_rows[:max(length - 1, 1)]  # the tick's tip is anti-aliased on its own
    c = np.arange(max(lo + cols[0] - _TICK_RIM_PX, 0),
                  min(lo + cols[-1] + _TICK_RIM_PX + 1, darkness.shape[1]))
    ink = darkness[np.ix_(rows, c)].mean(axis=0)
    base = min(float(ink[0]), float(ink[-1]))  # a grey panel or a faint neighbour
    w = np.clip(ink - base, 0.0, None)
    if w.sum() <= 0:
        return float(lo + (cols[0] + cols[-1]) / 2)
    return float((c * w).sum() / w.sum())
