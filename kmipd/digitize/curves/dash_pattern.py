"""A traced curve's dash pattern, read along its path.

Dashes follow the line's length, not the x axis: on a steep staircase a dash runs down a drop,
so the curve's visible columns alone break into short pieces whatever the style. The path is
walked in one-pixel steps (along each level, then down each drop), and each step is inked or
blank; stretches where another curve runs along or text stands (``busy``) tell nothing and are
left out. What is measured matches a legend key's reading (:func:`kmipd.digitize.match.keys.find_key`):
the share of the path that is inked, and the lengths of the dashes and gaps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Steps of the path: inked, blank, not known (hidden, busy or off the image).
INKED, BLANK, UNKNOWN = 1, 0, -1


@dataclass(frozen=True)
class DashPattern:
    """The dashes and gaps along a curve's path (lengths in path pixels)."""

    dashes: np.ndarray  # whole dashes: inked stretches with a gap on each side
    gaps: np.ndarray  # whole gaps: blank stretches with a dash on each side
    inked: int  # inked steps where the path is known
    known: int  # known steps

    @property
    def fill(self) -> float:
        """Share of the known path that is inked (1 for a solid line)."""
        return self.inked / self.known if self.known else 1.0


def path_steps(mask: np.ndarray, x_start: int, level: np.ndarray, width: float,
               busy: np.ndarray | None = None) -> np.ndarray:
    """Walk a curve's path in one-pixel steps: :data:`INKED`, :data:`BLANK` or :data:`UNKNOWN`.

    The path joins the curve's levels column to column (a drop is a steep stretch); each step
    looks for ink across the path, not along it, so a gap is not filled by the dashes either side
    of it however the path slopes.

    Parameters
    ----------
    mask : ndarray of bool
        The curve's ink (one colour), per pixel.
    x_start : int
        Column of ``level[0]``.
    level : ndarray
        Sub-pixel row of the curve per column (NaN where it is not known).
    width : float
        Line width in pixels: how far off the path ink still belongs to it.
    busy : ndarray of bool, optional
        Per column of ``level``: another curve or text is there (those steps are unknown).

    Returns
    -------
    ndarray of int8
        One value per pixel of path length, in order along the curve.
    """
    level = np.asarray(level, float)
    xs = x_start + np.arange(level.size)
    known = np.isfinite(level) & (xs >= 0) & (xs < mask.shape[1])
    if busy is not None:
        known &= ~np.asarray(busy, bool)
    reach = width / 2.0 + 1.0
    across = np.linspace(-reach, reach, int(np.ceil(4 * reach)) + 1)
    out: list[np.ndarray] = []
    d = np.diff(np.r_[0, known.astype(np.int8), 0])
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
        if out:
            out.append(np.array([UNKNOWN], np.int8))
        out.append(_walk(mask, xs[a:b].astype(float), level[a:b], across))
    return np.concatenate(out) if out else np.zeros(0, np.int8)


def _walk(mask: np.ndarray, x: np.ndarray, y: np.ndarray, across: np.ndarray) -> np.ndarray:
    """Steps along one known stretch of the path (see :func:`path_steps`)."""
    if x.size < 2:
        return np.zeros(0, np.int8)
    dx, dy = np.diff(x), np.diff(y)
    seg = np.hypot(dx, dy)
    arc = np.r_[0.0, np.cumsum(seg)]
    s = np.arange(0.0, arc[-1], 1.0) + 0.5
    px, py = np.interp(s, arc, x), np.interp(s, arc, y)
    k = np.clip(np.searchsorted(arc, s) - 1, 0, seg.size - 1)
    length = np.maximum(seg[k], 1e-9)
    ux, uy = dx[k] / length, dy[k] / length
    # the probe runs across the path (its normal), half a pixel apart
    cols = np.rint(px[:, None] - uy[:, None] * across[None, :]).astype(int)
    rows = np.rint(py[:, None] + ux[:, None] * across[None, :]).astype(int)
    inside = (rows >= 0) & (rows < mask.shape[0]) & (cols >= 0) & (cols < mask.shape[1])
    hit = np.zeros(rows.shape, bool)
    hit[inside] = mask[rows[inside], cols[inside]]
    return np.where(hit.any(axis=1), INKED, BLANK).astype(np.int8)


def dash_pattern(steps: np.ndarray) -> DashPattern:
    """Dashes and gaps of a walk (:func:`path_steps`): only the whole ones, those between two
    known stretches of the other kind, count."""
    steps = np.asarray(steps, np.int8)
    if steps.size == 0:
        return DashPattern(np.zeros(0, int), np.zeros(0, int), 0, 0)
    change = np.flatnonzero(np.diff(steps)) + 1
    starts = np.r_[0, change]
    ends = np.r_[change, steps.size]
    kinds = steps[starts]
    lengths = ends - starts
    whole = np.zeros(kinds.size, bool)
    whole[1:-1] = (kinds[:-2] != UNKNOWN) & (kinds[2:] != UNKNOWN)
    dashes = lengths[whole & (kinds == INKED)]
    gaps = lengths[whole & (kinds == BLANK)]
    return DashPattern(dashes, gaps, int((steps == INKED).sum()), int((steps != UNKNOWN).sum()))
