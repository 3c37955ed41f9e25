"""How an arm's line looks along its trace: its shade, and whether the shade changes.

Black-and-grey figures tell arms apart by shade (black, dark grey, light grey) as well as by
dash pattern. A trace that follows its own line keeps one shade from start to end; one that
hopped onto another arm's line takes that line's shade for the rest of the way. A stretch of
trace is summed up by its darkest ink (a low percentile: dash gaps and the paper between dots
lighten the rest), so dashed and dotted lines keep their shade too.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SHADE_PERCENTILE", "line_shade", "shade_change"]

#: Percentile of the darkest-pixel brightness that stands for a stretch of the trace.
SHADE_PERCENTILE = 20
#: Fewest columns of horizontal stretches a trace needs to be judged.
MIN_COLUMNS = 30


def _darkest_along(grey: np.ndarray, steps_px: np.ndarray) -> np.ndarray | None:
    """Each column's darkest pixel within a pixel of the trace's level, over the horizontal
    stretches of a step trace, in column order; None when fewer than :data:`MIN_COLUMNS`."""
    pts = np.asarray(steps_px, float).reshape(-1, 2)
    h, w = grey.shape
    cols, rows = [], []
    for (x0, y0), (x1, _) in zip(pts[:-1], pts[1:]):
        xs = np.arange(int(np.ceil(x0)) + 1, int(np.floor(x1)))
        cols.append(xs[(xs >= 0) & (xs < w)])
        rows.append(np.full(len(cols[-1]), int(round(y0))))
    if not cols or sum(len(c) for c in cols) < MIN_COLUMNS:
        return None
    xs, ys = np.concatenate(cols), np.clip(np.concatenate(rows), 0, h - 1)
    darkest = np.min([grey[np.clip(ys + d, 0, h - 1), xs] for d in (-1, 0, 1)], axis=0)
    return darkest[np.argsort(xs, kind="stable")]


#: Ink is a column's darkest pixel at least this much (0-255) darker than the paper.
INK_CONTRAST = 40
#: Width (0-255) of the brightness bins of which the fullest gives a line's shade.
SHADE_BIN = 12


def line_shade(grey: np.ndarray, steps_px: np.ndarray) -> float:
    """The brightness (0 black - 255 white) of a black or grey line along its step trace.

    The commonest shade among the columns where the trace shows ink: crossings, censor marks
    and other arms' lines running close are darker or paler but rarer than the line's own ink
    (a low percentile, as :func:`shade_change` uses, takes a light grey line that crosses dark
    ones for dark).

    Parameters
    ----------
    grey : ndarray
        The figure's brightness, (H, W), 0 black to 255 white.
    steps_px : ndarray
        The trace's (x, y) step points in image pixels (each level holds to the next x).

    Returns
    -------
    float
        The middle of the fullest :data:`SHADE_BIN`-wide bin of the columns' darkest pixels
        within a pixel of the level, among those :data:`INK_CONTRAST` darker than the paper;
        NaN when the trace has fewer than :data:`MIN_COLUMNS` such columns.
    """
    darkest = _darkest_along(grey, steps_px)
    if darkest is None:
        return float("nan")
    paper = float(np.percentile(grey, 90))
    ink = darkest[darkest <= paper - INK_CONTRAST]
    if len(ink) < MIN_COLUMNS:
        return float("nan")
    counts, edges = np.histogram(ink, bins=np.arange(0, 256 + SHADE_BIN, SHADE_BIN))
    k = int(np.argmax(counts))
    in_bin = ink[(ink >= edges[k]) & (ink < edges[k + 1])]
    return float(np.median(in_bin))


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
    darkest = _darkest_along(grey, steps_px)
    if darkest is None:
        return float("nan")
    shades = [float(np.percentile(t, SHADE_PERCENTILE)) for t in np.array_split(darkest, 3)]
    return max(shades) - min(shades)
