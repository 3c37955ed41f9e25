"""Is the figure a Kaplan-Meier survival plot at all? Refuse bar charts, scatter plots, rising curves.

The digitizer finds a plot box and traces never-rising step chains in any chart, so without a
check a bar chart, a scatter plot or a cumulative-incidence plot would come out as "survival
curves". The checks rest on what any KM plot is, whatever program drew it:

* a KM curve is a **drawn line** that falls in steps from the top-left: at least one traced arm
  spans a good part of the plot with at least one drop (:func:`arm_strength`);
* the line is **drawn**: along its steps there is ink, broken at most by short dash gaps; the
  chain a tracer strings through separate scatter marks is mostly empty paper
  (:func:`gap_share`);
* the area **under** the curve is paper: bars and filled areas standing on the x axis are solid
  ink (:func:`fill_under`, :func:`column_solidity`);
* the curve **falls**: a plot whose curves rise (cumulative incidence, or a KM figure turned on
  its side) traces well only when turned upside down (:func:`flip_rows`).

Everything here works on pixels and traced steps; the one call back into the tracer (for the
upside-down plot) is passed in by :func:`kmipd.digitize.digitize`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from kmipd.digitize.result import ArmTrace, PlotBox
from kmipd.errors import NotKaplanMeierError

#: A pixel differing from the plot background (its median colour) by more than this in some RGB
#: channel is ink. Pale confidence bands count; JPEG noise and white gridlines on a grey panel
#: (20 levels) do not.
INK_DIFF = 40
#: An arm is a KM curve when it spans at least this share of the plot width ...
MIN_EXTENT = 0.1
#: ... with at least this many drops (a bar top or a rising curve traces as one flat run).
MIN_DROPS = 1
#: An arm this long with this many drops is clearly a falling step curve: no need to ask whether
#: the figure upside down traces better (every KM figure measured has one: >= 0.64, >= 7).
CLEAR_EXTENT = 0.5
CLEAR_DROPS = 5
#: Rows above and below a traced level that may hold its ink (the level is the line's centre).
BAND_PX = 2
#: A stretch of a traced step with no ink longer than this (px, or this share of the plot width
#: if more) is a gap between separate marks, not a dash gap.
MIN_GAP_PX = 8
MIN_GAP_FRAC = 0.015
#: Refused as a scatter when every arm has more than this share of its steps in such gaps
#: (KM figures, dashed and dotted lines included: <= 0.07; a scatter plot: ~0.4).
MAX_GAP_SHARE = 0.25
#: Refused as bars / a filled area when, under every arm, more than this share of the area down
#: to the x axis is ink (KM figures with confidence bands: <= 0.4; a bar chart: ~1).
MAX_FILL = 0.7
#: Without a KM curve, ink columns this solid from their top down to the x axis are bars.
BAR_SOLIDITY = 0.6

Retrace = Callable[[np.ndarray, PlotBox, list[tuple[int, int, int, int]]], list[ArmTrace]]


def ink_mask(image: np.ndarray, box: PlotBox, above: Sequence[tuple[np.ndarray, np.ndarray]] = ()
             ) -> np.ndarray:
    """Ink inside the plot box (rows ``top..bottom``, columns ``left..right``), axis lines included.

    Parameters
    ----------
    image : ndarray
        (H, W, 3) uint8 RGB figure.
    box : PlotBox
        The plot area.
    above : sequence of (cols, rows)
        Traced step paths (:func:`step_path`). The paper colour is the most common colour above
        all of them (above a falling curve, or above bars, lies paper even where bars or a filled
        area cover most of the box); without paths, of the whole box.

    Returns
    -------
    ndarray of bool
        (box.height + 1, box.width + 1): pixels that differ from the paper colour by more than
        :data:`INK_DIFF` in some channel.
    """
    from kmipd.digitize.curves.ink import background_colour

    region = np.asarray(image)[max(box.top, 0):box.bottom + 1, max(box.left, 0):box.right + 1]
    if region.size == 0:
        return np.zeros((0, 0), bool)
    region = region.reshape(region.shape[0], region.shape[1], -1)[:, :, :3]
    free = np.full(region.shape[1], region.shape[0])  # per column: paper above this row
    for cols, rows in above:
        inside = cols < region.shape[1]
        np.minimum.at(free, cols[inside], rows[inside] - 2 * BAND_PX)
    paper = np.arange(region.shape[0])[:, None] < free[None, :]
    bg = background_colour(region, paper if paper.sum() >= 300 else None)
    return np.abs(region.astype(np.float32) - bg.astype(np.float32)).max(axis=2) > INK_DIFF


def arm_strength(steps_px: np.ndarray, box: PlotBox) -> tuple[float, int]:
    """How much of a KM curve a traced arm is: its width as a share of the plot's, and its drops.

    Parameters
    ----------
    steps_px : ndarray
        (N, 2) step points (x, y) in image pixels, ordered by x.
    box : PlotBox
        The plot area.

    Returns
    -------
    extent : float
        (last x - first x) / box width.
    drops : int
        Steps whose level falls by more than half a pixel.
    """
    p = np.asarray(steps_px, float).reshape(-1, 2)
    if len(p) < 2 or box.width <= 0:
        return 0.0, 0
    return float((p[-1, 0] - p[0, 0]) / box.width), int((np.diff(p[:, 1]) > 0.5).sum())


def is_km_curve(strength: tuple[float, int], extent: float = MIN_EXTENT, drops: int = MIN_DROPS) -> bool:
    """Does an arm of this :func:`arm_strength` fall in steps across enough of the plot?"""
    return strength[0] >= extent and strength[1] >= drops


def step_path(steps_px: np.ndarray, box: PlotBox) -> tuple[np.ndarray, np.ndarray]:
    """Columns and rows (relative to the box's top-left) of an arm's horizontal step segments.

    Each step's level runs from its x to the next step's x; the drops themselves are left out.
    Columns outside the box are dropped.
    """
    p = np.asarray(steps_px, float).reshape(-1, 2)
    p = p[np.isfinite(p).all(axis=1)]
    if len(p) < 2:
        return np.zeros(0, int), np.zeros(0, int)
    xs = np.arange(int(round(p[0, 0])), int(round(p[-1, 0])))
    k = np.clip(np.searchsorted(p[:, 0], xs + 0.5, side="right") - 1, 0, len(p) - 1)
    cols, rows = xs - box.left, np.round(p[k, 1]).astype(int) - box.top
    keep = (cols >= 0) & (cols <= box.width) & (rows >= 0) & (rows <= box.height)
    return cols[keep], rows[keep]


def gap_share(ink: np.ndarray, cols: np.ndarray, rows: np.ndarray, min_gap: int) -> float:
    """Share of a step path lying in stretches without ink longer than ``min_gap`` columns.

    Parameters
    ----------
    ink : ndarray of bool
        :func:`ink_mask` of the box.
    cols, rows : ndarray of int
        The path (:func:`step_path`).
    min_gap : int
        Shortest stretch counted as a gap between marks (longer than a dash gap).

    Returns
    -------
    float
        0 for a drawn line (solid, dashed or dotted), near 1 for a chain through separate marks.
    """
    if cols.size == 0 or ink.size == 0:
        return 0.0
    hit = np.zeros(cols.size, bool)
    for d in range(-BAND_PX, BAND_PX + 1):
        hit |= ink[np.clip(rows + d, 0, ink.shape[0] - 1), cols]
    edges = np.flatnonzero(np.diff(np.r_[0, (~hit).astype(np.int8), 0]))
    runs = edges[1::2] - edges[0::2]
    return float(runs[runs > min_gap].sum() / cols.size)


def fill_under(ink: np.ndarray, cols: np.ndarray, rows: np.ndarray) -> float:
    """Share of the area between a step path and the x axis that is ink.

    The line's own thickness (:data:`BAND_PX` and as much again) and the x axis line are left
    out. 0 for a curve over white paper, 1 for the top edges of bars or of a filled area.
    """
    if cols.size == 0 or ink.shape[0] < 4:
        return 0.0
    bottom = ink.shape[0] - 3  # above the x axis line
    cum = np.vstack([np.zeros((1, ink.shape[1]), np.int64), np.cumsum(ink, axis=0)])
    r0 = np.clip(rows + 2 * BAND_PX + 1, 0, bottom)
    area = (bottom - r0).sum()
    return float((cum[bottom, cols] - cum[r0, cols]).sum() / area) if area > 0 else 0.0


def column_solidity(ink: np.ndarray) -> float:
    """How solid the ink is from each column's top-most ink pixel down to the x axis (0-1).

    Bars standing on the axis are solid (near 1); lines, marks and text are not.
    """
    inner = ink[1:max(ink.shape[0] - 3, 1), 3:]  # without the frame top, axis lines
    has = inner.any(axis=0)
    if not has.any():
        return 0.0
    first = np.argmax(inner[:, has], axis=0)
    return float(inner[:, has].sum() / (inner.shape[0] - first).sum())


def flip_rows(image: np.ndarray, box: PlotBox, boxes: Sequence[tuple[int, int, int, int]]
              ) -> tuple[np.ndarray, PlotBox, list[tuple[int, int, int, int]]]:
    """The figure upside down, with its plot box and text boxes moved along."""
    h = image.shape[0]
    flipped = np.ascontiguousarray(image[::-1])
    fbox = PlotBox(box.left, h - 1 - box.bottom, box.right, h - 1 - box.top)
    return flipped, fbox, [(x0, h - 1 - y1, x1, h - 1 - y0) for x0, y0, x1, y1 in boxes]


def check_plot_kind(image: np.ndarray, box: PlotBox, arms: list[ArmTrace],
                    exclude: Sequence[tuple[int, int, int, int]], retrace: Retrace | None = None) -> None:
    """Refuse a figure that is not a KM survival plot, with a one-line reason.

    Parameters
    ----------
    image : ndarray
        (H, W, 3) uint8 RGB working image.
    box : PlotBox
        The plot area found.
    arms : list of ArmTrace
        The arms traced in it (at least one).
    exclude : sequence of (x0, y0, x1, y1)
        Text boxes inside the plot (passed on to ``retrace``).
    retrace : callable, optional
        ``retrace(image, box, exclude) -> arms``: the tracer, run on the figure upside down when
        no arm is clearly a falling step curve (None: that check is skipped).

    Raises
    ------
    KmipdError
        Curves that rise, no step curve (bars or anything else), a scatter plot, bars or a filled
        area under the curves.
    """
    strength = [arm_strength(a.steps_px, box) for a in arms]
    best = max(strength, key=lambda s: (s[1] >= MIN_DROPS, s[0]))
    if not any(is_km_curve(s, CLEAR_EXTENT, CLEAR_DROPS) for s in strength) and retrace is not None:
        _refuse_rising(image, box, exclude, retrace, best)
    paths = [step_path(a.steps_px, box) for a in arms]
    ink = ink_mask(image, box, paths)
    if not any(is_km_curve(s) for s in strength):
        if column_solidity(ink) >= BAR_SOLIDITY:
            raise NotKaplanMeierError(
                "this looks like a bar chart, not a Kaplan-Meier plot: the ink in the plot stands in solid "
                "columns on the x axis and no curve falls in steps; give a KM survival figure.")
        raise NotKaplanMeierError(
            f"no Kaplan-Meier curve in the plot: the longest line traced spans {best[0]:.0%} of the plot "
            f"width with {best[1]} drop(s), while a KM curve falls in steps from the top-left; check that "
            "this is a KM survival plot (crop it to one), or give the number of arms (--arms N, n_arms= in Python).")
    min_gap = max(MIN_GAP_PX, int(MIN_GAP_FRAC * box.width))
    gaps = [gap_share(ink, c, r, min_gap) for c, r in paths]
    if min(gaps) > MAX_GAP_SHARE:
        raise NotKaplanMeierError(
            f"this looks like a scatter plot, not a Kaplan-Meier plot: {min(gaps):.0%} of the best curve "
            "traced runs through empty paper between separate marks instead of along a drawn step line; "
            "give a KM survival figure.")
    fills = [fill_under(ink, c, r) for c, r in paths]
    if min(fills) > MAX_FILL:
        raise NotKaplanMeierError(
            f"this looks like a bar chart or a filled area plot, not a Kaplan-Meier plot: {min(fills):.0%} "
            "of the area under the curves traced is solid ink down to the x axis, where a KM plot has "
            "paper; give a KM survival figure.")


def _refuse_rising(image: np.ndarray, box: PlotBox, exclude: Sequence[tuple[int, int, int, int]],
                   retrace: Retrace, best: tuple[float, int]) -> None:
    """Raise when the figure upside down holds a clear falling step curve that the upright
    figure does not: its curves rise."""
    flipped, fbox, fexclude = flip_rows(image, box, exclude)
    try:
        arms = retrace(flipped, fbox, fexclude)
    except Exception:  # noqa: BLE001 - only evidence; the upright reading stands
        return
    flip = [arm_strength(a.steps_px, fbox) for a in arms]
    if any(is_km_curve(s, CLEAR_EXTENT, CLEAR_DROPS) and s[0] > best[0] for s in flip):
        raise NotKaplanMeierError(
            "the curves in this plot rise from left to right, while Kaplan-Meier survival curves fall from "
            "the top-left: this is a cumulative-incidence (1 - survival) plot, or a KM figure turned on its "
            "side; turn a sideways image upright (kmipd reads survival plots only).")
