"""Find the plot area of a KM figure and the tick marks on its axes.

The plot box is where a long horizontal line (the x axis, or the bottom of a frame) meets a long
vertical line (the y axis) at its left end. Styles without axis lines (ggplot's grey panel) are
found as a large light-grey rectangle instead. Everything here works on pixels only: no OCR, no
knowledge of the program that drew the figure.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage

from kmipd.digitize.result import PlotBox
from kmipd.errors import KmipdError

#: Grey level below which a pixel counts as "ink" for axis lines. Thin grey frames drawn
#: anti-aliased come out near 210 (theme_bw at 500 px); gridlines (grey92 = 235 and lighter) and
#: JPEG noise on white must stay out.
INK_THRESHOLD = 225


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
        neutral = sat < 40
    else:
        neutral = np.ones_like(grey, dtype=bool)
    mask = ((grey >= 190) & (grey <= 247) & neutral).astype(np.uint8)
    h, w = grey.shape
    k = max(5, min(h, w) // 120)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((k, k), np.uint8))
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=4)
    boxes = []
    for i in range(1, n):
        x, y, bw, bh, area = stats[i]
        # a panel fills its bounding box; a grey CI band or a shaded region does not
        if area < min_area_frac * h * w or area < 0.85 * bw * bh:
            continue
        # trim what the closing glued on (anti-aliased tick labels next to the panel): keep the
        # rows and columns the region spans for most of the box
        region = labels[y:y + bh, x:x + bw] == i
        rows = np.nonzero(region.mean(axis=1) >= 0.5)[0]
        cols = np.nonzero(region.mean(axis=0) >= 0.5)[0]
        if rows.size == 0 or cols.size == 0:
            continue
        boxes.append(PlotBox(int(x + cols[0]), int(y + rows[0]), int(x + cols[-1]), int(y + rows[-1])))
    return boxes


def _corner_boxes(horizontal: list[Segment], vertical: list[Segment]) -> list[tuple[float, PlotBox]]:
    """Pair x-axis candidates with y-axis candidates that meet at (or near) the lower-left corner.

    Base R draws the two axes without joining them (each runs between its outer ticks), so a gap
    of a few percent of the line lengths is allowed; a y axis may also overshoot a little.
    """
    found = []
    for hseg in horizontal:
        for vseg in vertical:
            slack = 2.0 * (hseg.thickness + vseg.thickness) + 3
            dx = hseg.start - vseg.pos  # > 0: the x axis starts right of the y axis
            dy = hseg.pos - vseg.end  # > 0: the y axis stops above the x axis
            if not (-max(slack, 0.06 * hseg.length) <= dx <= max(slack, 0.08 * hseg.length)):
                continue
            if not (-max(slack, 0.08 * vseg.length) <= dy <= max(slack, 0.06 * vseg.length)):
                continue
            if hseg.end - vseg.pos < 0.5 * hseg.length or hseg.pos - vseg.start < 0.5 * vseg.length:
                continue
            box = PlotBox(int(round(vseg.pos)), int(vseg.start), int(hseg.end), int(round(hseg.pos)))
            gaps = max(dx, 0) / hseg.length + max(dy, 0) / vseg.length
            found.append(((hseg.length + vseg.length) * (1.0 - 2.0 * gaps), box))
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
    horiz = _line_segments(mask, "h", max(20, int(0.18 * w)))
    vert = _line_segments(mask, "v", max(20, int(0.12 * h)))
    # a line thicker than ~3% of the image is a filled block (legend key, bar), not an axis
    horiz = [s for s in horiz if s.thickness <= max(6, 0.03 * h)]
    vert = [s for s in vert if s.thickness <= max(6, 0.03 * w)]
    scored = _corner_boxes(horiz, vert)
    panels = _panel_rectangles(img)
    scored += [(float(p.width + p.height), p) for p in panels]
    scored = [(s, b) for s, b in scored if b.width >= 20 and b.height >= 20]
    # a real plot has tick marks on its axes; a border drawn round the whole figure, a table
    # frame or a legend box has none, so ticks decide between nested candidates
    scored = [(s * (1.0 + 0.5 * _has_ticks(mask, b, "x") + 0.5 * _has_ticks(mask, b, "y")), b) for s, b in scored]
    scored.sort(key=lambda t: -t[0])
    kept: list[tuple[float, PlotBox]] = []
    for score, box in scored:
        # a box nested in (or almost equal to) a better one is a gridline/table rule/frame echo
        if all(_overlap(box, k) < 0.5 for _, k in kept):
            kept.append((score, box))
    if kept:
        # tiny corner pairs (legend frames, risk-table rules) are not panels
        biggest = max(b.width * b.height for _, b in kept)
        kept = [(s, b) for s, b in kept if b.width * b.height >= 0.3 * biggest]
        kept = [(s, b) for s, b in kept if not any(_is_table_under(b, o) for _, o in kept)]
    found = {"horizontal_lines": len(horiz), "vertical_lines": len(vert), "grey_panels": len(panels)}
    return _reading_order([b for _, b in kept]), found


def _is_table_under(box: PlotBox, other: PlotBox) -> bool:
    """A framed risk table (survminer theme_bw, SAS) sits right under its plot, aligned with it
    and much lower; a second plot panel below is about as tall as the first."""
    aligned = abs(box.left - other.left) <= 0.05 * other.width
    below = 0 <= box.top - other.bottom <= 0.5 * other.height
    return aligned and below and box.height < 0.5 * other.height


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
    return _axis_ticks(grey < INK_THRESHOLD, box, axis, min_length, darkness)


def _has_ticks(mask: np.ndarray, box: PlotBox, axis: str) -> bool:
    return len(_axis_ticks(mask, box, axis, 2)) >= 2


def _axis_ticks(mask: np.ndarray, box: PlotBox, axis: str, min_length: int,
                darkness: np.ndarray | None = None) -> np.ndarray:
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
    lo, hi = max(0, lo - 3), min(w - 1, hi + 3)
    span = mask[:, lo:hi + 1]
    # step past the axis line itself: rows around ``edge`` that are mostly ink
    step = 1 if outward else -1
    row = edge
    for _ in range(12):
        nxt = row + step
        if not 0 <= nxt < h or span[nxt].mean() < 0.5:
            break
        row = nxt
    start = row + step
    reach = max(8, int(0.06 * (hi - lo)))
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
        if cols.size > max(6, 0.02 * (hi - lo)):  # too wide for a tick: text or a legend key
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
    top = np.percentile(lengths, 90)
    major = lengths >= min(0.75 * top, top - 1.5)
    return np.sort(centres[major])



def _ink_centroid(darkness: np.ndarray, band_rows: np.ndarray, lo: int, cols: np.ndarray,
                  length: int) -> float:
    """Darkness-weighted column centre (image columns) of a tick over the rows it spans."""
    rows = band_rows[:max(length - 1, 1)]  # the tick's tip is anti-aliased on its own
    c = np.arange(max(lo + cols[0] - 2, 0), min(lo + cols[-1] + 3, darkness.shape[1]))
    ink = darkness[np.ix_(rows, c)].mean(axis=0)
    base = min(float(ink[0]), float(ink[-1]))  # a grey panel or a faint neighbour
    w = np.clip(ink - base, 0.0, None)
    if w.sum() <= 0:
        return float(lo + (cols[0] + cols[-1]) / 2)
    return float((c * w).sum() / w.sum())
