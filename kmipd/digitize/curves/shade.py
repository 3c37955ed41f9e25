"""How an arm's line looks along its trace: a trace that hops onto another curve changes shade.

Black-and-grey figures tell arms apart by shade (black, dark grey, light grey) as well as by
dash pattern. A trace that follows its own line keeps one shade from start to end; one that
hopped onto another arm's line takes that line's shade for the rest of the way. Each third of the
trace is summed up by its darkest ink (a low percentile: dash gaps and the paper between dots
lighten the rest), so dashed and dotted lines keep their shade too.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SHADE_PERCENTILE", "shade_change"]

#: Percentile of the darkest-pixel brightness that stands for a third of the trace.
SHADE_PERCENTILE = 20
#: Fewest columns of horizontal stretches a trace needs to be judged.
MIN_COLUMNS = 30


def shade_change(grey: np.ndarray, steps_px: np.ndarray) -> float:
    """The largest difference (0-255) between the shades of the thirds of a step trace.

    Parameters
    ----------
    grey : ndarray
        The figure's brightness, (H, W), 0 black to 255 white.
    steps_px : ndarray
        The trace's (x, y) step points in image pixels (each level holds to the next x).

    Returns
    -------
    float
        Max minus min over the three thirds (by column) of the :data:`SHADE_PERCENTILE`-th
        percentile of each column's darkest pixel within a pixel of the level; NaN when the
        trace has fewer than :data:`MIN_COLUMNS` columns of horizontal stretch.
    """
    pts = np.asarray(steps_px, float).reshape(-1, 2)
    h, w = grey.shape
    cols, rows = [], []
    for (x0, y0), (x1, _) in zip(pts[:-1], pts[1:]):
        xs = np.arange(int(np.ceil(x0)) + 1, int(np.floor(x1)))
        cols.append(xs[(xs >= 0) & (xs < w)])
        rows.append(np.full(len(cols[-1]), int(round(y0))))
    if not cols or sum(len(c) for c in cols) < MIN_COLUMNS:
        return float("nan")
    xs, ys = np.concatenate(cols), np.clip(np.concatenate(rows), 0, h - 1)
    darkest = np.min([grey[np.clip(ys + d, 0, h - 1), xs] for d in (-1, 0, 1)], axis=0)
    thirds = np.array_split(darkest[np.argsort(xs, kind="stable")], 3)
    shades = [float(np.percentile(t, SHADE_PERCENTILE)) for t in thirds]
    return max(shades) - min(shades)
