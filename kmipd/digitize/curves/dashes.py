"""Tell one ink's dashes from its unbroken lines, before tracing.

A black-and-white figure draws its arms in one ink, told apart by dash pattern. Traced as one
ink, a chain that covers the most columns hops from a solid curve onto a dashed one where they
cross, and no later step can tell which stretch was whose. Told apart first, by the size of the
connected pieces of ink, a chain pays for each switch between the kinds: a solid curve is one
long piece (or a few, broken where text hides it), a dashed or dotted curve is many pieces no
longer than a dash, or than a cluster of dashes joined by crowded censor ticks. Dashes that touch
a solid curve join it: the dashed curve's chain pays to pass there, or bridges the stretch.
"""

from __future__ import annotations

import cv2
import numpy as np

from kmipd.digitize.curves.trace import ALPHA_MIN

#: A piece of ink at most this many line widths (plus :data:`DASH_SLACK_PX`) long is a dash
#: or dot: R's long dash is 7 line widths, matplotlib's 3.7, SAS and Stata's shorter.
DASH_WIDTHS = 10.0
DASH_SLACK_PX = 6.0
#: The dashes make a curve when they hold at least this share of the ink and span this share
#: of the plot's width (else they are censor marks, text scraps or specks, and stay put).
MIN_DASH_SHARE = 0.08
MIN_DASH_SPAN = 0.3
#: A piece of ink shorter than this share of the longest piece is dashes joined by censor ticks
#: (an unbroken curve is one piece, or a few where text hides it).
MAX_CLUSTER = 0.15


def dash_pieces(alpha: np.ndarray, width: float) -> np.ndarray | None:
    """The pixels of one ink that belong to dashes or dots.

    Parameters
    ----------
    alpha : ndarray
        Coverage (0-1) of one ink, per pixel of the plot region.
    width : float
        Line width in pixels.

    Returns
    -------
    ndarray of bool, or None
        True on pieces of ink no longer than a dash; None when such pieces do not make a curve
        (the ink holds no dashed or dotted line, only censor marks, text scraps or specks).
    """
    mask = (alpha >= ALPHA_MIN).astype(np.uint8)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n <= 2:
        return None
    extent = np.maximum(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT])
    short = extent <= min(DASH_WIDTHS * width + DASH_SLACK_PX, 0.25 * alpha.shape[1])
    # dashes joined by crowded censor ticks make a longer piece, but a small part of a line
    short |= extent < MAX_CLUSTER * extent[1:].max()
    short[0] = False  # the background
    area = stats[1:, cv2.CC_STAT_AREA]
    dash_share = area[short[1:]].sum() / max(area.sum(), 1)
    is_dash = short[labels]
    if dash_share < MIN_DASH_SHARE or is_dash.any(axis=0).sum() < MIN_DASH_SPAN * alpha.shape[1]:
        return None
    return is_dash


def on_dashes(dashes: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Whether each point (column ``xs``, sub-pixel level ``ys``) lies on a dash of
    :func:`dash_pieces`."""
    rows = np.clip(np.round(ys).astype(int), 0, dashes.shape[0] - 1)
    return dashes[rows, xs]
