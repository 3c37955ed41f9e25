"""The plot box and tick marks of a vector PDF page, put on its exact drawing.

The rendered page gives a first box and first ticks; the drawing's own axis lines and tick
segments then set them exactly (:mod:`kmipd.digitize.image.vector`).
"""

from __future__ import annotations

import numpy as np

from kmipd.digitize.image.vector import VectorPath
from kmipd.digitize.result import PlotBox

#: Tick snapping: a vector tick within this many pixels of a traced one replaces it.
_TICK_SNAP_PX = 2.0
#: An axis line or frame edge is dark (mean RGB below this); grid lines are pale.
_DARK = 128.0
#: A box side moves to a dark line at most this share of the box's size away.
_SIDE_REACH = 0.12


def snap_box(box: PlotBox, paths: list[VectorPath]) -> PlotBox:
    """``box`` with each side on the dark axis line or frame edge drawn nearest to it.

    A side found on a pale grid line (the lowest grid line of a plot whose axis is set below
    it) moves to the axis line; a side with no dark line near it (ggplot's grey panel) stays.
    """
    horizontal, vertical = [], []
    for path in paths:
        if len(path.points) != 2 or float(np.mean(path.colour)) >= _DARK:
            continue
        (xa, ya), (xb, yb) = path.points
        if abs(ya - yb) < 0.5 and abs(xb - xa) >= 0.5 * box.width:
            horizontal.append(0.5 * (ya + yb))
        elif abs(xa - xb) < 0.5 and abs(yb - ya) >= 0.5 * box.height:
            vertical.append(0.5 * (xa + xb))

    def side(found: int, lines: list[float], size: int) -> int:
        near = [v for v in lines if abs(v - found) <= _SIDE_REACH * size]
        return int(round(min(near, key=lambda v: abs(v - found)))) if near else found

    return PlotBox(left=side(box.left, vertical, box.width), top=side(box.top, horizontal, box.height),
                   right=side(box.right, vertical, box.width), bottom=side(box.bottom, horizontal, box.height))


def snap_ticks(ticks: np.ndarray, paths: list[VectorPath], box: PlotBox, axis: str) -> np.ndarray:
    """Tick positions moved onto the tick segments of the drawing (``axis`` "x" or "y").

    A tick segment is short, perpendicular to its axis, and touches the axis line; a traced
    tick with one within :data:`_TICK_SNAP_PX` takes its exact position. Two or more drawn
    ticks replace the traced ones altogether.
    """
    ticks = np.asarray(ticks, float)
    exact = []
    reach = 0.08 * (box.height if axis == "x" else box.width)
    for path in paths:
        if len(path.points) != 2:
            continue
        (xa, ya), (xb, yb) = path.points
        if axis == "x" and abs(xa - xb) < 0.05 and min(abs(ya - box.bottom), abs(yb - box.bottom)) < 3 \
                and 0 < abs(ya - yb) < reach:
            exact.append(0.5 * (xa + xb))
        elif axis == "y" and abs(ya - yb) < 0.05 and min(abs(xa - box.left), abs(xb - box.left)) < 3 \
                and 0 < abs(xa - xb) < reach:
            exact.append(0.5 * (ya + yb))
    if not exact:
        return ticks
    exact = np.unique(np.round(exact, 3))
    if exact.size >= 2:  # the drawing holds every tick, also those the pixels hid (under a grid line)
        return exact
    if ticks.size == 0:
        return ticks
    nearest = np.abs(ticks[:, None] - exact[None, :]).argmin(axis=1)
    close = np.abs(ticks - exact[nearest]) <= _TICK_SNAP_PX
    return np.where(close, exact[nearest], ticks)
