"""Trace a curve of one colour, clicked on the review page, into step-curve corners.

A helper for the user, not the digitizer: the pixels near the clicked colour inside the plot
box (masked regions left out) are taken column by column; each column's lowest such pixel is
the curve's level there (the step curve's vertical drops reach down to the new level), short
spikes (censor ticks, text) are removed by a running median, and the level is made
non-increasing in survival. The user then edits the points as needed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from scipy.ndimage import median_filter

COLOUR_TOLERANCE = 40.0
"""Largest RGB distance from the clicked colour of a pixel taken as the curve's."""


def trace_colour(rgb: np.ndarray, box: Mapping, x: float, y: float,
                 masks: Sequence[Sequence[float]] = (), tolerance: float = COLOUR_TOLERANCE
                 ) -> list[list[float]]:
    """Step corners (pixels) of the curve whose colour is the image's at (``x``, ``y``).

    Parameters
    ----------
    rgb : ndarray
        The figure, RGB ``uint8``.
    box : mapping
        The plot box in pixels (``left, top, right, bottom``).
    x, y : float
        The clicked pixel; its 3x3 neighbourhood's most saturated (else darkest) pixel gives the
        colour, so a click beside a thin line still finds it.
    masks : sequence of (x0, y0, x1, y1)
        Rectangles left out.
    tolerance : float
        See :data:`COLOUR_TOLERANCE`.

    Returns
    -------
    list of [x, y]
        The corners of the step curve, left to right; empty when no pixel matches.
    """
    left, top = int(np.floor(box["left"])), int(np.floor(box["top"]))
    right, bottom = int(np.ceil(box["right"])), int(np.ceil(box["bottom"]))
    colour = _clicked_colour(rgb, int(round(x)), int(round(y)))
    region = rgb[top:bottom + 1, left:right + 1].astype(float)
    near = np.linalg.norm(region - colour, axis=2) <= tolerance
    for x0, y0, x1, y1 in masks:
        c0, c1 = sorted((int(x0) - left, int(x1) - left))
        r0, r1 = sorted((int(y0) - top, int(y1) - top))
        near[max(r0, 0):max(r1 + 1, 0), max(c0, 0):max(c1 + 1, 0)] = False
    cols = np.flatnonzero(near.any(axis=0))
    if len(cols) < 2:
        return []
    rows = near.shape[0] - 1 - np.argmax(near[::-1, cols], axis=0)  # lowest pixel per column
    level = median_filter(rows.astype(float), size=5, mode="nearest")
    level = np.maximum.accumulate(level)  # survival never rises: pixel rows never go up
    return _corners(cols + left, level + top)


def _clicked_colour(rgb: np.ndarray, x: int, y: int) -> np.ndarray:
    patch = rgb[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2].reshape(-1, 3).astype(float)
    saturation = patch.max(axis=1) - patch.min(axis=1)
    pick = np.argmax(saturation) if saturation.max() > 40 else np.argmin(patch.sum(axis=1))
    return patch[pick]


def _corners(xs: np.ndarray, ys: np.ndarray) -> list[list[float]]:
    """The corners of a step polyline sampled per column: each level's first and last x."""
    out = [[float(xs[0]), float(ys[0])]]
    for k in range(1, len(xs)):
        if ys[k] != ys[k - 1]:
            out.append([float(xs[k - 1]), float(ys[k - 1])])
            out.append([float(xs[k]), float(ys[k])])
    out.append([float(xs[-1]), float(ys[-1])])
    return out
