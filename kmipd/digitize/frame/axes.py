"""Find the plot area of a KM figure and the tick marks on its axes.

The plot box is where a long horizontal line (the x axis, or the bottom of a frame) meets a long
vertical line (the y axis) at its left end. Styles without axis lines (ggplot's grey panel) are
found as a large light-grey rectangle instead; a plot has tick marks on its axes
(:mod:`kmipd.digitize.frame.ticks`), a frame round the figure or a legend box has none.
Everything here works on pixels only: no OCR, no knowledge of the program that drew the figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from kmipd.digitize.frame.ticks import axis_ticks
from kmipd.digitize.result import PlotBox
from kmipd.errors import KmipdError

#: Grey level below which a pixel counts as "ink" for axis lines. Thin grey frames drawn
#: anti-aliased come out near 210 (theme_bw at 500 px); gridlines (grey92 = 235 and lighter) and
#: JPEG noise on white must stay out.
INK_THRESHOLD = 225

#: Grey filled panels (ggplot, SAS): pixels of these grey levels (white paper and dark ink stay
#: out; ggplot's grey92 is 235) and below this HSV saturation (a tinted CI band is not a panel).
_PANEL_GREY = (190, 247)
_PANEL_MAX_SATURATION = 40
#: The closing that bridges a panel's white gridlines and curves: at least this many pixels, or
#: the shorter image side over ``_PANEL_CLOSE_DIV``.
_PANEL_CLOSE_MIN_PX = 5
_PANEL_CLOSE_DIV = 120
#: A panel fills at least this share of its bounding box (a CI band or shaded region does not).
_PANEL_FILL = 0.85
_PANEL_GREY_SHARE = 0.3  # of a panel's box that is its grey (the rest: curves, bands, legend)

#: Axis lines: at least this many pixels long, and this share of the image width (x axis) or
#: height (y axis); shorter lines are ticks, text and the risers of the curves.
_MIN_AXIS_PX = 20
_MIN_X_AXIS_SHARE = 0.18
_MIN_Y_AXIS_SHARE = 0.12
#: A line thicker than this many pixels and this share of the image is a filled block (legend
#: key, bar), not an axis.
_MAX_AXIS_THICK_PX = 6
_MAX_AXIS_THICK_SHARE = 0.03
#: Where an x and a y axis meet: the allowed slack is this many times their summed thickness plus
#: this many pixels, or a share of the line's length: base R leaves a gap between its axes (each
#: runs between its outer ticks) and an axis may overshoot the other a little.
_CORNER_SLACK_THICK = 2.0
_CORNER_SLACK_PX = 3
_CORNER_X_GAP, _CORNER_X_OVERSHOOT = 0.08, 0.06  # x axis starting right / left of the y axis
_CORNER_Y_GAP, _CORNER_Y_OVERSHOOT = 0.06, 0.08  # y axis stopping above / reaching below the x axis
#: A corner's score (the two lengths) drops by this many times its relative gaps.
_CORNER_GAP_PENALTY = 2.0
#: Plot boxes are at least this many pixels wide and high.
_MIN_BOX_PX = 20
#: A box's score grows by this share for each axis with tick marks (a frame round the whole
#: figure, a table frame or a legend box has none).
_TICKS_BONUS = 0.5
#: A box overlapping a better one by more than this share of the smaller is an echo of it.
_NESTED_OVERLAP = 0.5
#: Boxes smaller than this share of the biggest are legend frames or table rules, not panels.
_MIN_PANEL_AREA_SHARE = 0.3
#: A framed risk table under its plot: left edges within this share of the plot's width, top
#: within this share of the plot's height below it, and less than this share of its height tall.
_TABLE_ALIGN = 0.05
_TABLE_MAX_GAP = 0.5
_TABLE_MAX_HEIGHT = 0.5



@dataclass(frozen=True)
class Segment:
    """A straight axis-parallel line: ``pos`` is its centre row (horizontal) or column (vertical),
    ``start``/``end`` its extent along the line, ``thickness`` its width in pixels."""

    pos: float
    start: int
    end: int
    thickness: float

    @property
    def length(self) -> int:
        return self.end - self.start


def _to_grey(image: np.ndarray) -> np.ndarray:
    """RGB or grey uint8 image -> grey uint8."""
    img = np.asarray(image)
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY) if img.ndim == 3 else img


def _ink_mask(image: np.ndarray, threshold: int = INK_THRESHOLD) -> np.ndarray:
    """Boolean mask of dark pixels (axis lines, text, dark curves)."""
    return _to_grey(image) < threshold


def _line_segments(mask: np.ndarray, orientation: str, min_length: int, *, gap: int = 2) -> list[Segment]:
    """Long straight lines in a boolean mask.

    Parameters
    ----------
    mask : ndarray of bool
        Ink mask.
    orientation : {"h", "v"}
        Horizontal or vertical lines.
    min_length : int
        Shortest line kept, in pixels.
    gap : int
        Breaks up to this many pixels (JPEG noise, anti-aliasing) are bridged.

    Returns
    -------
    list of Segment
    """
    m = mask.astype(np.uint8)
    if orientation == "v":
        m = m.T
    if gap > 0:
        m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, np.ones((1, gap + 1), np.uint8))
    # an opening with a long flat element keeps only runs at least that long: ticks, text and
    # the risers of the step curves vanish, axis lines stay
    opened = cv2.morphologyEx(m, cv2.MORPH_OPEN, np.ones((1, int(min_length)), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, h, area = stats[i]
        rows = np.nonzero((labels[y:y + h, x:x + w] == i).sum(axis=1) >= 0.5 * w)[0]
        if rows.size == 0:
            continue
        # the centre of the rows that span most of the segment: robust to a short curve piece
        # lying along the line
        out.append(Segment(float(y + rows.mean()), int(x), int(x + w - 1), float(rows.size)))
    return out


def _panel_rectangles(image: np.ndarray, min_area_frac: float = 0.04) -> list[PlotBox]:
    """Large light-grey rectangles: plot panels drawn as a filled background (ggplot, SAS).

    White gridlines and the curves inside a panel are bridged by a closing, so the panel is one
    region; it counts as a rectangle when it fills its bounding box.
    """
    img = np.asarray(image)
    grey = _to_grey(img)
    if img.ndim == 3:
        sat = cv2.cvtColor(img, cv2.COLOR_RGB2HSV)[:, :, 1]
        neutral = sat < _PANEL_MAX_SATURATION
    else:
        neutral = np.ones_like(grey, dtype=bool)
    mask = ((grey >= _PANEL_GREY[0]) & (grey <= _PANEL_GREY[1]) & neutral).astype(np.uint8)
    h, w = grey.shape
    k = max(_PANEL_CLOSE_MIN_PX, min(h, w) // _PANEL_CLOSE_DIV)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    boxes = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        if area < min_area_frac * h * w:
            continue
        # trim what the closing glued on (tick labels and axis titles next to the panel, at low
        # resolution or blurred): keep the rows and columns the region spans for most of the box.
        # The curves and marks drawn on a panel (wider than the closing) leave holes in it.
        region = ndimage.binary_fill_holes(labels[y:y + bh, x:x + bw] == i)
        # (the panel's own rows run unbroken; text glued on lies past a gap)
        rows = _longest_run(np.nonzero(region.mean(axis=1) >= 0.5)[0])
        cols = _longest_run(np.nonzero(region.mean(axis=0) >= 0.5)[0])
        if rows.size == 0 or cols.size == 0:
            continue
        core = region[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        # a panel fills its box; a grey CI band or a shaded region does not
        if core.size < min_area_frac * h * w or core.mean() < _PANEL_FILL:
            continue
        # and is grey itself: the grey halo of a blurred frame is a ring that only the hole
        # filling makes a rectangle
        grey_share = (labels[y:y + bh, x:x + bw] == i)[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1].mean()
        if grey_share < _PANEL_GREY_SHARE:
            continue
        boxes.append(PlotBox(int(x + cols[0]), int(y + rows[0]), int(x + cols[-1]), int(y + rows[-1])))
    if len(boxes) > 1 and img.ndim == 3:
        drawn = (mask.astype(bool) | ~(neutral & (grey > _PANEL_GREY[1]))).astype(np.uint8)
        # white gridlines and the panel's edge are thin; paper between two panels is not
        drawn = cv2.morphologyEx(drawn, cv2.MORPH_CLOSE, np.ones((2 * k + 1, 2 * k + 1), np.uint8))
        boxes = _cut_by_bands(boxes, drawn.astype(bool))
    return boxes


def _cut_by_bands(boxes: list[PlotBox], panel_or_band: np.ndarray) -> list[PlotBox]:
    """One panel for pieces that translucent confidence bands, running from corner to corner,
    cut apart. The panel's grey and what is drawn on it (``panel_or_band``: anything but white
    paper) fill the rows and columns of the box around the pieces, past any tick labels glued on
    at its edges, and that filled box covers every piece; two separate panels have a strip of
    paper between them, so the filled rows or columns cover only one."""
    x0, y0 = min(b.left for b in boxes), min(b.top for b in boxes)
    x1, y1 = max(b.right for b in boxes), max(b.bottom for b in boxes)
    inside = panel_or_band[y0:y1 + 1, x0:x1 + 1]
    # the pieces' boxes may carry tick labels glued on: keep the rows and columns drawn over
    rows = _longest_run(np.nonzero(inside.mean(axis=1) >= _PANEL_FILL)[0])
    cols = _longest_run(np.nonzero(inside.mean(axis=0) >= _PANEL_FILL)[0])
    if rows.size == 0 or cols.size == 0:
        return boxes
    merged = PlotBox(int(x0 + cols[0]), int(y0 + rows[0]), int(x0 + cols[-1]), int(y0 + rows[-1]))
    core = inside[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    if core.mean() >= _PANEL_FILL and all(_overlap(b, merged) >= _NESTED_OVERLAP for b in boxes):
        return [merged]
    return boxes


def _longest_run(idx: np.ndarray) -> np.ndarray:
    """The longest stretch of consecutive values in sorted indices ``idx``."""
    if idx.size == 0:
        return idx
    runs = np.split(idx, np.flatnonzero(np.diff(idx) > 1) + 1)
    return max(runs, key=len)


def _corner_boxes(horizontal: list[Segment], vertical: list[Segment]) -> list[tuple[float, PlotBox]]:
    """Pair x-axis candidates with y-axis candidates that meet at (or near) the lower-left corner.

    Base R draws the two axes without joining them (each runs between its outer ticks), so a gap
    of a few percent of the line lengths is allowed; a y axis may also overshoot a little.
    """
    found = []
    for hseg in horizontal:
        for vseg in vertical:
            slack = _CORNER_SLACK_THICK * (hseg.thickness + vseg.thickness) + _CORNER_SLACK_PX
            dx = hseg.start - vseg.pos  # > 0: the x axis starts right of the y axis
            dy = hseg.pos - vseg.end  # > 0: the y axis stops above the x axis
            if not (-max(slack, _CORNER_X_OVERSHOOT * hseg.length) <= dx
                    <= max(slack, _CORNER_X_GAP * hseg.length)):
                continue
            if not (-max(slack, _CORNER_Y_OVERSHOOT * vseg.length) <= dy
                    <= max(slack, _CORNER_Y_GAP * vseg.length)):
                continue
            if hseg.end - vseg.pos < 0.5 * hseg.length or hseg.pos - vseg.start < 0.5 * vseg.length:
                continue
            box = PlotBox(int(round(vseg.pos)), int(vseg.start), int(hseg.end), int(round(hseg.pos)))
            gaps = max(dx, 0) / hseg.length + max(dy, 0) / vseg.length
            found.append(((hseg.length + vseg.length) * (1.0 - _CORNER_GAP_PENALTY * gaps), box))
    return found


def _overlap(a: PlotBox, b: PlotBox) -> float:
    """Intersection area over the smaller box's area."""
    iw = min(a.right, b.right) - max(a.left, b.left)
    ih = min(a.bottom, b.bottom) - max(a.top, b.top)
    if iw <= 0 or ih <= 0:
        return 0.0
    return iw * ih / max(1, min(a.width * a.height, b.width * b.height))


def _candidate_boxes(image: np.ndarray) -> tuple[list[PlotBox], dict[str, int]]:
    """All plausible plot boxes, one per panel, in reading order (top row first, then left to right).

    Returns
    -------
    boxes : list of PlotBox
    found : dict
        Counts of what was seen (long horizontal / vertical lines, grey panels), for messages.
    """
    img = np.asarray(image)
    h, w = img.shape[:2]
    mask = _ink_mask(img)
    horiz = _line_segments(mask, "h", max(_MIN_AXIS_PX, int(_MIN_X_AXIS_SHARE * w)))
    vert = _line_segments(mask, "v", max(_MIN_AXIS_PX, int(_MIN_Y_AXIS_SHARE * h)))
    horiz = [s for s in horiz if s.thickness <= max(_MAX_AXIS_THICK_PX, _MAX_AXIS_THICK_SHARE * h)]
    vert = [s for s in vert if s.thickness <= max(_MAX_AXIS_THICK_PX, _MAX_AXIS_THICK_SHARE * w)]
    scored = _corner_boxes(horiz, vert)
    panels = _panel_rectangles(img)
    scored += [(float(p.width + p.height), p) for p in panels]
    scored = [(s, b) for s, b in scored if b.width >= _MIN_BOX_PX and b.height >= _MIN_BOX_PX]
    # a real plot has tick marks on its axes; a border drawn round the whole figure, a table
    # frame or a legend box has none, so ticks decide between nested candidates
    scored = [(s * (1.0 + _TICKS_BONUS * _has_ticks(mask, b, "x")
                   + _TICKS_BONUS * _has_ticks(mask, b, "y")), b) for s, b in scored]
    scored.sort(key=lambda t: -t[0])
    kept: list[tuple[float, PlotBox]] = []
    for score, box in scored:
        # a box nested in (or almost equal to) a better one is a gridline/table rule/frame echo
        if all(_overlap(box, k) < _NESTED_OVERLAP for _, k in kept):
            kept.append((score, box))
    if kept:
        # tiny corner pairs (legend frames, risk-table rules) are not panels
        biggest = max(b.width * b.height for _, b in kept)
        kept = [(s, b) for s, b in kept if b.width * b.height >= _MIN_PANEL_AREA_SHARE * biggest]
        kept = [(s, b) for s, b in kept if not any(_is_table_under(b, o) for _, o in kept)]
    found = {"horizontal_lines": len(horiz), "vertical_lines": len(vert), "grey_panels": len(panels)}
    return _reading_order([b for _, b in kept]), found


def _is_table_under(box: PlotBox, other: PlotBox) -> bool:
    """A framed risk table (survminer theme_bw, SAS) sits right under its plot, aligned with it
    and much lower; a second plot panel below is about as tall as the first."""
    aligned = abs(box.left - other.left) <= _TABLE_ALIGN * other.width
    below = 0 <= box.top - other.bottom <= _TABLE_MAX_GAP * other.height
    return aligned and below and box.height < _TABLE_MAX_HEIGHT * other.height


def _reading_order(boxes: list[PlotBox]) -> list[PlotBox]:
    rows: list[list[PlotBox]] = []
    for box in sorted(boxes, key=lambda b: b.top):
        for row in rows:
            ref = row[0]
            if min(ref.bottom, box.bottom) - max(ref.top, box.top) > 0.5 * min(ref.height, box.height):
                row.append(box)
                break
        else:
            rows.append([box])
    return [b for row in rows for b in sorted(row, key=lambda b: b.left)]


def find_plot_box(image: np.ndarray, panel: int = 0) -> PlotBox:
    """The plot area (axes rectangle) of a KM figure.

    Parameters
    ----------
    image : ndarray
        RGB (H, W, 3) or grey (H, W) uint8 figure.
    panel : int
        Which plot of a multi-panel figure, in reading order (0 = top-left).

    Returns
    -------
    PlotBox
        ``left`` is the y axis column, ``bottom`` the x axis row (line centres, or the panel
        edges of a filled panel); ``top``/``right`` where the axis lines (or frame) end. A risk
        table or legend below/beside the plot is outside the box.

    Raises
    ------
    KmipdError
        No axes or panel found, or ``panel`` beyond the number of panels found.
    """
    return pick_panel(find_plot_boxes(image), panel)


def find_plot_boxes(image: np.ndarray) -> list[PlotBox]:
    """The plot box of every panel of a figure, in reading order (see :func:`find_plot_box`).

    Raises
    ------
    KmipdError
        No axes or panel found.
    """
    boxes, found = _candidate_boxes(image)
    if not boxes:
        raise KmipdError(
            "no plot axes found: saw {horizontal_lines} long horizontal line(s), {vertical_lines} long "
            "vertical line(s) and {grey_panels} grey panel(s), but no x axis meeting a y axis; crop the "
            "image to one KM plot with its axes.".format(**found)
        )
    return boxes


def pick_panel(boxes: list[PlotBox], panel: int) -> PlotBox:
    """``boxes[panel]``, or a one-line error saying how many panels there are."""
    if not 0 <= panel < len(boxes):
        raise KmipdError(f"panel {panel} asked for, but the figure has {len(boxes)} plot panel(s) (count from 0).")
    return boxes[panel]


def find_ticks(image: np.ndarray, box: PlotBox, axis: str = "x", *, min_length: int = 2) -> np.ndarray:
    """Pixel positions of the major tick marks along one axis.

    Ticks are short ink runs that start at the axis line and point away from the plot (outside);
    if there are fewer than two of those, runs pointing into the plot are used (SAS, Prism).
    Minor ticks (clearly shorter than the major ones) are dropped.

    Parameters
    ----------
    image : ndarray
        The figure.
    box : PlotBox
        From :func:`find_plot_box`.
    axis : {"x", "y"}
        ``"x"``: columns of ticks on the bottom axis; ``"y"``: rows of ticks on the left axis.
    min_length : int
        Shortest tick, in pixels beyond the axis line.

    Returns
    -------
    ndarray of float
        Sorted tick centres (sub-pixel), in image pixels.
    """
    if axis not in ("x", "y"):
        raise ValueError(f"axis must be 'x' or 'y', got {axis!r}")
    grey = _to_grey(image)
    darkness = (255.0 - grey.astype(np.float32)) / 255.0
    return axis_ticks(grey < INK_THRESHOLD, box, axis, min_length, darkness)


def _has_ticks(mask: np.ndarray, box: PlotBox, axis: str) -> bool:
    return len(axis_ticks(mask, box, axis, 2)) >= 2
