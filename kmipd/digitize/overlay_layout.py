"""Colours, text placement, the key and the at-risk rows of the overlay (:mod:`kmipd.digitize.overlay`).

Everything here is drawn with OpenCV's built-in Hershey font, so nothing depends on installed
fonts. Places are chosen on a "busy" mask: the pixels already covered by what was drawn (the
curves read, their censor marks, labels), so that a label or the key never hides a curve.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import cv2
import numpy as np

RGB = tuple[int, int, int]

FONT = cv2.FONT_HERSHEY_SIMPLEX
#: Distinct, saturated drawing colours (RGB) for arms drawn in grey/black or in alike colours.
PALETTE: tuple[RGB, ...] = ((0, 114, 230), (230, 90, 0), (0, 160, 60), (200, 0, 160), (120, 60, 200),
                            (0, 160, 170), (160, 100, 0), (220, 0, 40))
#: Plot box and the symbols of the key that are not an arm's (dark grey: no arm is drawn grey).
NEUTRAL: RGB = (70, 70, 70)
#: Tick labels read and used by the axis fit, and those the fit overruled.
TICK_USED: RGB = (0, 0, 0)
TICK_OVERRULED: RGB = (220, 0, 0)
#: The key's background (a tint no faded figure has, so that tests can find the key).
KEY_FILL: RGB = (255, 255, 236)
#: Colours closer than this (CIE76 delta E) are too alike to tell two arms apart.
ALIKE = 25.0
#: Chroma (CIE a*b* radius) under which a colour is grey or black.
GREY_CHROMA = 15.0
#: Lightness (CIE L*) over which a colour is too pale to see over the faded figure.
PALE = 75.0


def _lab(colour: Sequence[int]) -> np.ndarray:
    lab = cv2.cvtColor(np.uint8([[list(colour)[:3]]]), cv2.COLOR_RGB2LAB)[0, 0].astype(float)
    return np.array([lab[0] * 100.0 / 255.0, lab[1] - 128.0, lab[2] - 128.0])


def colour_distance(a: Sequence[int], b: Sequence[int]) -> float:
    """How different two RGB colours look (CIE76 delta E)."""
    return float(np.linalg.norm(_lab(a) - _lab(b)))


def is_grey(colour: Sequence[int]) -> bool:
    """True for grey, black or white (no hue to tell an arm by)."""
    lab = _lab(colour)
    return float(np.hypot(lab[1], lab[2])) < GREY_CHROMA


def _darkened(colour: Sequence[int]) -> RGB:
    """The colour, darkened (same hue) until it shows over a faded white page."""
    c = np.asarray(colour[:3], float)
    for _ in range(8):
        if _lab(c.astype(np.uint8))[0] <= PALE:
            break
        c *= 0.85
    return tuple(int(v) for v in c.astype(np.uint8))


def arm_colours(inks: Sequence[Sequence[int]]) -> list[RGB]:
    """The colour each arm is drawn in: its own ink colour (darkened when pale), or, when that is
    grey/black or too like an arm drawn before it, the palette colour least like any arm's ink
    and any colour already given.

    Parameters
    ----------
    inks : sequence of (r, g, b)
        The arms' colours as found in the figure.

    Returns
    -------
    list of (r, g, b)
        One distinct colour per arm, in the same order.
    """
    chosen: list[RGB] = []
    for ink in inks:
        own = _darkened(ink)
        if is_grey(ink) or any(colour_distance(own, c) < ALIKE for c in chosen):
            avoid = chosen + [tuple(int(v) for v in i[:3]) for i in inks if not is_grey(i)]
            free = [p for p in PALETTE if p not in chosen] or list(PALETTE)
            own = max(free, key=lambda p: min((colour_distance(p, a) for a in avoid), default=0.0))
        chosen.append(own)
    return chosen


@dataclass
class Canvas:
    """The overlay being drawn, with the mask of what must stay visible.

    Attributes
    ----------
    image : ndarray
        (H, W, 3) uint8 RGB, drawn on in place.
    font : float
        Hershey font scale of labels.
    thick : int
        Line thickness of labels and marks.
    busy : ndarray
        (H, W) bool: pixels a label or the key should not cover (curves, censor marks, labels).
    """

    image: np.ndarray
    font: float
    thick: int
    busy: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.busy = np.zeros(self.image.shape[:2], bool)

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape[:2]

    def text_size(self, text: str, font: float | None = None) -> tuple[int, int, int]:
        """Width, height above the baseline and depth below it of ``text``."""
        (tw, th), base = cv2.getTextSize(text, FONT, font or self.font, self.thick)
        return tw, th, base

    def text_rect(self, text: str, org: tuple[int, int], anchor: str = "left",
                  font: float | None = None) -> tuple[int, int, int, int]:
        """The box ``(x0, y0, x1, y1)`` the text would fill at baseline point ``org``, kept in the image."""
        tw, th, base = self.text_size(text, font)
        x = org[0] - (tw if anchor == "right" else tw // 2 if anchor == "centre" else 0)
        h, w = self.shape
        x = int(np.clip(x, 1, max(1, w - tw - 2)))
        y = int(np.clip(org[1], th + 2, max(th + 2, h - base - 2)))
        return x - 1, y - th - 1, x + tw + 1, y + base

    def text(self, text: str, org: tuple[int, int], colour: RGB, anchor: str = "left",
             font: float | None = None, patch: bool = True) -> tuple[int, int, int, int]:
        """Write ``text`` (on a white patch, readable over the faded figure); returns its box."""
        x0, y0, x1, y1 = self.text_rect(text, org, anchor, font)
        if patch:
            cv2.rectangle(self.image, (x0, y0), (x1, y1), (255, 255, 255), -1)
        base = self.text_size(text, font)[2]
        cv2.putText(self.image, text, (x0 + 1, y1 - base), FONT, font or self.font, colour, self.thick,
                    cv2.LINE_AA)
        self.mark(x0, y0, x1, y1)
        return x0, y0, x1, y1

    def mark(self, x0: int, y0: int, x1: int, y1: int) -> None:
        """Mark a box as busy."""
        h, w = self.shape
        self.busy[max(0, y0):min(h, y1 + 1), max(0, x0):min(w, x1 + 1)] = True

    def cost(self, x0: int, y0: int, x1: int, y1: int) -> int:
        """Busy pixels under a box, plus a penalty for every pixel of it outside the image."""
        h, w = self.shape
        inside = self.busy[max(0, y0):min(h, y1 + 1), max(0, x0):min(w, x1 + 1)]
        outside = (x1 - x0 + 1) * (y1 - y0 + 1) - inside.size
        return int(inside.sum()) + 10 * max(0, outside)


def label_place(canvas: Canvas, text: str, candidates: Sequence[tuple[tuple[int, int], str]]
                ) -> tuple[tuple[int, int], str]:
    """The candidate ``(org, anchor)`` where ``text`` covers the fewest busy pixels (first wins ties)."""
    return min(candidates, key=lambda c: canvas.cost(*canvas.text_rect(text, c[0], c[1])))


# --- the key -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class KeyEntry:
    """One line of the key: a symbol (``"box"``, ``"tick"``, ``"overruled"``, ``"line"``,
    ``"censor"``, ``"count"``) in a colour, and what it means."""

    symbol: str
    colour: RGB
    text: str


def draw_key(canvas: Canvas, entries: Sequence[KeyEntry], box_rect: tuple[int, int, int, int],
             margins: tuple[int, int] = (0, 0), print_mask: np.ndarray | None = None
             ) -> tuple[int, int, int, int]:
    """Draw the key in the corner (of the plot box or the image) where it covers the fewest
    curves and labels (and, of two such corners, the least of the figure's own print).

    Parameters
    ----------
    canvas : Canvas
        The overlay, with the busy mask of what is drawn so far.
    entries : sequence of KeyEntry
        Its lines.
    box_rect : (left, top, right, bottom)
        The plot box.
    margins : (int, int)
        How far into the box the axis labels drawn along its left and bottom edges reach.
    print_mask : ndarray, optional
        (H, W) bool, the figure's printed pixels (:func:`ink_mask`).

    Returns
    -------
    (x0, y0, x1, y1)
        Where the key was drawn.
    """
    font = canvas.font * 0.85
    sizes = [canvas.text_size(e.text, font) for e in entries]
    line = max(s[1] + s[2] for s in sizes) + 5
    sym = int(2.2 * line)
    kw, kh = sym + max(s[0] for s in sizes) + 10, line * len(entries) + 6

    def cost(r: tuple[int, int, int, int]) -> float:
        under = 0.0 if print_mask is None else float(print_mask[max(0, r[1]):r[3] + 1, max(0, r[0]):r[2] + 1].sum())
        return canvas.cost(*r) + 0.1 * under

    x0, y0, *_ = min(_key_corners(canvas.shape, box_rect, kw, kh, margins), key=cost)
    img = canvas.image
    cv2.rectangle(img, (x0, y0), (x0 + kw, y0 + kh), KEY_FILL, -1)
    cv2.rectangle(img, (x0, y0), (x0 + kw, y0 + kh), NEUTRAL, 1)
    for i, (entry, (_, th, _)) in enumerate(zip(entries, sizes)):
        mid = y0 + 3 + i * line + line // 2
        _symbol(canvas, entry, (x0 + 5, mid), sym - 12, line, font)
        cv2.putText(img, entry.text, (x0 + sym, mid + th // 2), FONT, font, (0, 0, 0), canvas.thick,
                    cv2.LINE_AA)
    canvas.mark(x0, y0, x0 + kw, y0 + kh)
    return x0, y0, x0 + kw, y0 + kh


def _key_corners(shape: tuple[int, int], box_rect: tuple[int, int, int, int], kw: int, kh: int,
                 margins: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """Where the key may go: the plot box's four inner corners (clear of the axis labels drawn
    along its left and bottom edges), then the image's four corners."""
    left, top, right, bottom = box_rect
    h, w = shape
    pad = max(4, int(0.02 * min(right - left, bottom - top)))
    xs_box = (right - pad - kw, left + margins[0] + pad)
    ys_box = (top + pad, bottom - margins[1] - pad - kh)
    spots = [(x, y) for y in ys_box for x in xs_box]
    spots += [(x, y) for y in (2, h - kh - 3) for x in (w - kw - 3, 2)]
    return [(int(x), int(y), int(x) + kw, int(y) + kh) for x, y in spots]


def _symbol(canvas: Canvas, entry: KeyEntry, at: tuple[int, int], width: int, line: int,
            font: float) -> None:
    img, t = canvas.image, canvas.thick
    x, y = at
    half = max(3, line // 2 - 2)
    if entry.symbol == "box":
        cv2.rectangle(img, (x, y - half), (x + width, y + half), entry.colour, t)
    elif entry.symbol in ("tick", "overruled"):
        cv2.line(img, (x + 3, y - half), (x + 3, y + half), entry.colour, t + 1)
        cv2.putText(img, "12", (x + 7, y + half - 1), FONT, font, entry.colour, t, cv2.LINE_AA)
    elif entry.symbol == "line":
        cv2.line(img, (x, y), (x + width, y), entry.colour, t + 1, cv2.LINE_AA)
    elif entry.symbol == "censor":
        cv2.circle(img, (x + width // 2, y), max(3, half - 1), entry.colour, t, cv2.LINE_AA)
    elif entry.symbol == "count":
        cv2.putText(img, "36", (x, y + half - 1), FONT, font, entry.colour, t, cv2.LINE_AA)


# --- the at-risk table's rows in the figure -----------------------------------------------------

def ink_mask(image: np.ndarray) -> np.ndarray:
    """Printed pixels: dark, or clearly coloured (a row printed in its arm's colour)."""
    r, g, b = image[:, :, 0], image[:, :, 1], image[:, :, 2]
    low, high = np.minimum(np.minimum(r, g), b), np.maximum(np.maximum(r, g), b)
    return (low < 170) | ((high - low) > 60)


def table_bands(ink: np.ndarray, bottom: int, xs: np.ndarray) -> list[tuple[int, int]]:
    """The text lines under the plot box (``ink``: the figure's :func:`ink_mask`) with print at
    most of the columns ``xs``: the tick labels and the rows of the number-at-risk table, top to
    bottom, as ``(y0, y1)``."""
    h, w = ink.shape[:2]
    xs = np.unique(np.round(xs[np.isfinite(xs) & (xs >= 0) & (xs < w)]).astype(int))
    if len(xs) < 2 or bottom + 3 >= h:
        return []
    spacing = int(np.min(np.diff(xs))) if len(xs) > 1 else w
    half = int(np.clip(0.3 * spacing, 3, 25))
    ink = ink[bottom + 3:]
    cum = np.concatenate([np.zeros((ink.shape[0], 1), int), np.cumsum(ink, axis=1)], axis=1)
    lo, hi = np.clip(xs - half, 0, w), np.clip(xs + half + 1, 0, w)
    hits = ((cum[:, hi] - cum[:, lo]) > 0).sum(axis=1)
    on = hits >= max(2, int(np.ceil(0.5 * len(xs))))
    bands, start = [], None
    for y, v in enumerate(np.append(on, False)):
        if v and start is None:
            start = y
        elif not v and start is not None:
            if y - start >= 3:
                bands.append((start + bottom + 3, y - 1 + bottom + 3))
            start = None
    return bands


def table_row_bands(ink: np.ndarray, bottom: int, xs: np.ndarray, n_rows: int, tick_labels: bool
                    ) -> list[tuple[int, int]] | None:
    """The ``n_rows`` text lines of the number-at-risk table under the plot (its last lines with
    print in most columns, the tick labels under the axis left out), or None when there are not
    that many."""
    bands = table_bands(ink, bottom, xs)
    if tick_labels and bands:
        first = bands[0]
        if first[0] - bottom <= 3 * (first[1] - first[0] + 1) + 6:
            bands = bands[1:]
    if len(bands) < n_rows:
        return None
    return bands[-n_rows:]


def cell_right_edge(ink: np.ndarray, band: tuple[int, int], x: int, reach: int) -> int:
    """Right end of the printed cell around column ``x`` in a text line (``x`` when none)."""
    row = ink[band[0]:band[1] + 1].any(axis=0)
    w = row.size
    near = [c for c in range(max(0, x - reach), min(w, x + reach + 1)) if row[c]]
    if not near:
        return x
    c, gap, limit = min(near, key=lambda v: abs(v - x)), 0, max(2, (band[1] - band[0]) // 2)
    while c + 1 < w and gap <= limit and c - x < 2 * reach:
        c += 1
        gap = 0 if row[c] else gap + 1
    return c - gap
