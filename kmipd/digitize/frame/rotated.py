"""y tick labels printed sideways (R's default ``las=0``, some SAS and Stata styles).

The OCR engine reads text upright only (its angle classifier turns upright labels over), so
labels turned by 90 degrees come out as nonsense ("%08" for "80%") or not at all. When the
upright reading of the y labels is missing or inconsistent, the strip left of the y axis is read
again turned by a quarter turn each way, and the reading whose numbers form the most consistent
arithmetic progression on the tick marks wins (the upright reading keeps ties). The y axis title
("Survival probability") sits in a column further from the axis and is not a number, so the
tick-label column, the numbers nearest the axis, leaves it out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kmipd.digitize.frame.calibrate import (
    _BOTTOM_SURVIVAL,
    _TOP_SURVIVAL,
    CROSS_CHECK_LABELS,
    _AxisResult,
    _calibrate_axis,
)
from kmipd.digitize.frame.tick_labels import axis_label_words
from kmipd.digitize.result import PlotBox
from kmipd.digitize.text.ocr import OcrWord, read_rotated_region

#: Quarter turns tried, in order: clockwise first (text that reads bottom to top, R's ``las=0``
#: and matplotlib's ``rotation=90``), then counter-clockwise (top to bottom).
_TURNS = (-1, 1)
#: The strip read: from this share of the box width left of the y axis (at least this many
#: pixels) to this many pixels inside the plot, padded above and below by this many pixels or
#: this share of the box height.
_STRIP_SHARE, _STRIP_MIN_PX, _STRIP_INSIDE_PX = 0.3, 60, 4
_STRIP_PAD_PX, _STRIP_PAD_SHARE = 8, 0.03
#: The turned strip is enlarged at most this much, to at most this many pixels along its longer
#: side (the detector shrinks anything longer than 2048 px), and read unzoomed under this zoom.
_MAX_ZOOM, _MAX_PX, _MIN_ZOOM = 3.0, 2000.0, 1.25
#: An upright reading is trusted as it is when the box spans a plausible survival range (the
#: calibration's own limits on survival at the box's top and bottom) and its labels are on at
#: least this share of the y tick marks (and on three); with fewer than three marks, when three
#: labels are used and none is overruled.
_TICKS_LABELLED_SHARE = 0.6
#: A label is on a tick mark when its centre is within this many pixels of it or this share of
#: the spacing between marks.
_ON_TICK_PX, _ON_TICK_SHARE = 3.0, 0.25


def _upright(words: Sequence[OcrWord]) -> list[OcrWord]:
    """Sideways words as if printed upright at the same place: the box keeps its left and right
    edges and centre, and its height becomes the glyph height (the sideways box's width), the
    scale the label finder measures its distances in."""
    out = []
    for w in words:
        half = 0.5 * (w.x1 - w.x0)
        out.append(OcrWord(w.text, w.score, w.x0, w.cy - half, w.x1, w.cy + half))
    return out


def _on_ticks(res: _AxisResult, ticks: np.ndarray) -> int:
    """How many used labels sit on distinct tick marks (every label when there are no marks)."""
    used = [t.pixel for t in res.cal.ticks if t.used]
    if ticks.size < 2:
        return len(used)
    tol = max(_ON_TICK_PX, _ON_TICK_SHARE * float(np.median(np.diff(np.sort(ticks)))))
    hit = {int(np.argmin(np.abs(ticks - p))) for p in used if np.min(np.abs(ticks - p)) <= tol}
    return len(hit)


def _plausible(res: _AxisResult, box: PlotBox) -> bool:
    """Whether the box spans a survival range a KM plot can have under this calibration."""
    if res.cal.source != "ocr" or res.cal.scale == 0:
        return False
    div = 100.0 if res.percent else 1.0
    top = (res.cal.offset + res.cal.scale * box.top) / div
    bottom = (res.cal.offset + res.cal.scale * box.bottom) / div
    return _TOP_SURVIVAL[0] <= top <= _TOP_SURVIVAL[1] and _BOTTOM_SURVIVAL[0] <= bottom <= _BOTTOM_SURVIVAL[1]


def _score(res: _AxisResult, box: PlotBox, ticks: np.ndarray) -> tuple:
    """Order of preference between readings: plausible first, then labels on tick marks, then
    labels used, then fewer overruled, then the smaller residual."""
    used = sum(t.used for t in res.cal.ticks)
    dropped = len(res.cal.ticks) - used
    ok = res.cal.source == "ocr"
    return (_plausible(res, box), _on_ticks(res, ticks) if ok else 0, used if ok else 0, -dropped,
            -res.cal.residual if ok else 0.0)


def good_enough(res: _AxisResult, box: PlotBox, ticks: np.ndarray) -> bool:
    """Whether an upright y reading is kept without trying the sideways ones.

    Parameters
    ----------
    res : _AxisResult
        The upright reading's calibration.
    box : PlotBox
        The plot box.
    ticks : ndarray
        The y tick marks' rows.

    Returns
    -------
    bool
        True when it is read from labels, spans a plausible survival range and labels most of
        the tick marks (a label overruled then is a misread the others outvoted, or the x
        axis's "0" at the corner).
    """
    if res.cal.source != "ocr" or not _plausible(res, box):
        return False
    if ticks.size >= CROSS_CHECK_LABELS:
        return _on_ticks(res, ticks) >= max(CROSS_CHECK_LABELS, _TICKS_LABELLED_SHARE * ticks.size)
    used = sum(t.used for t in res.cal.ticks)
    return used >= CROSS_CHECK_LABELS and used == len(res.cal.ticks)


def _strip(image: np.ndarray, box: PlotBox) -> tuple[int, int, int, int, float]:
    """The rectangle left of the y axis holding its labels (``x0, y0, x1, y1``) and its zoom."""
    pad = max(_STRIP_PAD_PX, int(_STRIP_PAD_SHARE * box.height))
    x0 = max(0, box.left - max(_STRIP_MIN_PX, int(_STRIP_SHARE * box.width)))
    y0, x1, y1 = max(0, box.top - pad), box.left + _STRIP_INSIDE_PX, min(image.shape[0], box.bottom + pad)
    zoom = min(_MAX_ZOOM, _MAX_PX / max(x1 - x0, y1 - y0, 1))
    return x0, y0, x1, y1, zoom if zoom >= _MIN_ZOOM else 1.0


def sideways_y(image: np.ndarray, box: PlotBox, words: Sequence[OcrWord], ticks: np.ndarray,
               upright: _AxisResult) -> _AxisResult:
    """The y calibration from sideways labels when they read better than the upright ones.

    Parameters
    ----------
    image : ndarray
        The figure (RGB).
    box : PlotBox
        The plot box.
    words : sequence of OcrWord
        The words the upright reading used.
    ticks : ndarray
        The y tick marks' rows.
    upright : _AxisResult
        The upright reading's calibration; returned unchanged when it is
        :func:`good_enough` or no sideways reading beats it.

    Returns
    -------
    _AxisResult
    """
    ticks = np.asarray(ticks, float)
    if good_enough(upright, box, ticks):
        return upright
    x0, y0, x1, y1, zoom = _strip(image, box)
    outside = [w for w in words if not (x0 <= w.cx <= x1 and y0 <= w.cy <= y1)]
    best, best_key = upright, _score(upright, box, ticks)
    for turns in _TURNS:
        found = _upright(read_rotated_region(image, x0, y0, x1, y1, turns, zoom=zoom))
        if len(axis_label_words(found, box, "y")) < 2:
            continue
        res = _calibrate_axis(outside + found, box, ticks, "y")
        key = _score(res, box, ticks)
        if key > best_key:
            best, best_key = res, key
        if good_enough(best, box, ticks):
            break
    return best
