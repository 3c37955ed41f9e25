"""Find a key -- the short line in an arm's colour and line style -- beside a legend entry's
text or a risk-table row's counts."""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np

from kmipd.digitize.match.pairing import chroma
from kmipd.digitize.text.ocr import OcrWord

_LEAD_SYMBOL = re.compile(r"^[-_~\u2013\u2014]+\w")  # "—Hybrid": a key read as a dash
#: A marker drawn on a key's line is at most this share of the word box's height wide.
MARKER_WIDTH_H = 0.25


class Key(NamedTuple):
    """A legend key found: its line's colour and style, where it ends on the right, and how
    much of its length is inked (1 solid, less for dashes, least for dots)."""

    colour: tuple
    style: str
    x_right: float
    fill: float


def line_sample(image: np.ndarray, x_end: float, cy: float, h: float,
                reach: float = 0.0) -> tuple[tuple | None, str]:
    """Colour and style of a legend key (a short horizontal line) just left of ``x_end``.

    ``reach`` lets the key run that far right of ``x_end``: an OCR box sometimes swallows the key.
    Returns ``(None, "")`` when there is no key: only text, a frame line or blank paper.
    """
    found = find_key(image, x_end, cy, h, reach)
    return (found[0], found[1]) if found else (None, "")


#: A key's ink differs from the legend's paper by more than this (RGB distance) ...
KEY_INK = 60.0
#: ... or, for a coloured key (chroma at least FAINT_KEY_CHROMA), by this: keys drawn as faint
#: as their blurred, washed-out curves.
FAINT_KEY_INK, FAINT_KEY_CHROMA = 25.0, 12.0


def find_key(image: np.ndarray, x_end: float, cy: float, h: float,
             reach: float = 0.0) -> Key | None:
    """:func:`line_sample` with the key's right end and fill (a :class:`Key`), or None."""
    if image.ndim != 3:
        return None
    key = _key_at(image, x_end, cy, h, reach, KEY_INK)
    if key is None:
        key = _key_at(image, x_end, cy, h, reach, FAINT_KEY_INK)
        if key is not None and chroma(key.colour) < FAINT_KEY_CHROMA:
            return None  # a pale grey line by text is a frame or rule as often as a key
    return key


def _key_at(image: np.ndarray, x_end: float, cy: float, h: float, reach: float,
            ink_min: float) -> Key | None:
    """The key of :func:`find_key` among pixels at least ``ink_min`` off the paper."""
    H, W = image.shape[:2]
    a0, a1 = max(int(x_end - 4.5 * h), 0), min(max(int(x_end + reach + 0.1 * h), 0), W)
    b0, b1 = max(int(cy - 0.6 * h), 0), min(int(np.ceil(cy + 0.6 * h)), H)
    if a1 - a0 < 3 or b1 - b0 < 3:
        return None
    px = image[b0:b1, a0:a1].astype(float)
    dist = np.linalg.norm(px - np.median(px.reshape(-1, 3), axis=0), axis=2)
    ink = dist > ink_min
    tall = _vertical_runs(ink) > max(4.0, 0.4 * h)  # stems, frames, letters: not a key line
    gap = max(2, int(0.25 * h))
    best, best_key = 0.0, None
    for y, k0, k1, filled in _thin_runs(ink, tall, 0.45 * h):
        if k1 - k0 + 1 < 0.4 * h or filled / (k1 - k0 + 1) < 0.3 or a0 + k1 < x_end - 1.6 * h:
            continue
        if a0 + k1 > x_end + 0.3 * h and (ink[:, k1 + 1:k1 + 1 + gap].any() or
                                          ink[:, max(k0 - gap, 0):k0].any()):
            continue  # inside the OCR box a key stands apart; a letter's stroke does not
        thin = ink[y] & ~tall[y]
        # above and below a key there is paper (a marker aside): letters have strokes there.
        # Paler ink (a filled key box behind the line) does not count.
        strong = dist > 0.5 * float(np.median(dist[y, k0:k1 + 1][thin[k0:k1 + 1]]))
        if ink_min < KEY_INK:  # a faint key: paper noise is not a letter's stroke
            strong &= dist > ink_min
        t = int(max(3.0, 0.25 * h))
        rows = [r for r in range(y - int(0.5 * h), y + int(0.5 * h) + 1)
                if abs(r - y) > t and 0 <= r < ink.shape[0]]
        above = [r for r in rows if r < y]
        below = [r for r in rows if r > y]
        if rows and _letter_strokes(strong[above, k0:k1 + 1].any(axis=0),
                                    strong[below, k0:k1 + 1].any(axis=0), h):
            continue
        colour = np.median(px[y, k0:k1 + 1][thin[k0:k1 + 1]], axis=0)
        # the key is level with its text: a line off centre may be the next entry's key (tight
        # legends with markers on their keys)
        strength = filled * (1 + chroma(colour) / 64) * (1 - 0.5 * abs(b0 + y - cy) / (0.6 * h))
        if strength > best:
            best, best_key = strength, (y, k0, k1, colour, strong)
    if best_key is None:
        return None
    y, k0, k1, colour, strong = best_key
    # an anti-aliased line straddles two pixel rows: look at the rows beside it too; the pale
    # anti-aliased ends of dashes do not fill the gaps between them
    inked = strong[max(y - 1, 0):y + 2, k0:k1 + 1].any(axis=0)
    k1 = k0 + _key_end(inked, x_end - 0.3 * h - a0 - k0)
    share = inked[:k1 - k0 + 1].mean()
    style = "solid" if share > 0.85 else ("dashed" if share > 0.45 else "dotted")
    # the fill, to rank keys: a pale gap (blurred, or half hidden by a marker) counts by its
    # paleness, each column against a fully inked one
    mass = dist[max(y - 1, 0):y + 2, k0:k1 + 1].sum(axis=0)
    fill = float(np.clip(mass / max(np.percentile(mass, 75), 1e-9), 0.0, 1.0).mean())
    return Key(tuple(int(v) for v in colour), style, float(a0 + k1 + 1), fill)


def _letter_strokes(above: np.ndarray, below: np.ndarray, h: float) -> bool:
    """Do the columns with ink above or below a line (bool each) show letters' strokes? Over a
    third of the columns, unless they make one blob no wider than a text height with ink both
    above and below: a marker on a short key (a circle as wide as half the key), not the stem
    of a "T"."""
    off_line = above | below
    cols = np.flatnonzero(off_line)
    if off_line.mean() <= 0.35:
        return False
    one_blob = not np.any(np.diff(cols) > 1) and cols.size <= 1.2 * h
    return not (one_blob and above[cols].mean() > 0.5 and below[cols].mean() > 0.5)


def _key_end(inked: np.ndarray, text_from: float) -> int:
    """Index of a key's last inked column: a last piece in the text's box, further from the
    key than the key's own dashes are apart, is a letter's stroke (the bar of a "G")."""
    cols = np.flatnonzero(inked)
    if cols.size == 0:
        return len(inked) - 1
    pieces = np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1)
    if len(pieces) >= 2 and pieces[-1][0] >= text_from:
        gaps = [int(b[0] - a[-1]) for a, b in zip(pieces, pieces[1:])]
        if gaps[-1] > max(gaps[:-1], default=0) + 1:
            return int(pieces[-2][-1])
    return int(cols[-1])


def _vertical_runs(mask: np.ndarray) -> np.ndarray:
    """Length of the vertical run of True each pixel of ``mask`` belongs to (0 where False)."""
    up = np.zeros(mask.shape, int)
    down = np.zeros(mask.shape, int)
    for y in range(mask.shape[0]):
        up[y] = (up[y - 1] + 1) * mask[y] if y else mask[y]
    for y in range(mask.shape[0] - 1, -1, -1):
        down[y] = (down[y + 1] + 1) * mask[y] if y < mask.shape[0] - 1 else mask[y]
    return np.where(mask, up + down - 1, 0)


def _thin_runs(ink: np.ndarray, tall: np.ndarray, max_gap: float):
    """Horizontal stretches of thin ink, gaps up to ``max_gap``: ``(row, first, last, count)``."""
    for y in range(ink.shape[0]):
        xs = np.flatnonzero(ink[y] & ~tall[y])
        if xs.size:
            for p in np.split(xs, np.flatnonzero(np.diff(xs) > max_gap + 1) + 1):
                yield y, int(p[0]), int(p[-1]), int(p.size)


def text_start(image: np.ndarray, word: OcrWord) -> float:
    """The x where the letters of an OCR word begin: its first column with ink at least half as
    tall as the word's tallest.

    When the OCR box swallowed the key ("—Hybrid") the key's thin line comes first.
    """
    x0, y0, x1, y1 = (int(round(v)) for v in (word.x0, word.y0, word.x1, word.y1))
    crop = np.asarray(image[max(y0, 0):y1, max(x0, 0):x1], float)
    if crop.size == 0:
        return float(word.x0)
    ink = _letter_ink(crop)
    height = ink.sum(axis=0)
    tall = height >= max(0.5 * height.max(), 2)
    # a marker on the key's line (a censor "+" or "|") is tall but narrow, with the line's
    # thin ink on both sides: it is part of the key, not a letter
    thin = (height > 0) & ~tall
    # (the line runs on for a while on both sides; a letter's anti-aliased edge is a column or two)
    run = max(2, int(0.3 * crop.shape[0]))
    cols = np.flatnonzero(tall)
    for group in np.split(cols, np.flatnonzero(np.diff(cols) > 1) + 1) if cols.size else []:
        g0, g1 = int(group[0]), int(group[-1])
        if g1 - g0 + 1 <= MARKER_WIDTH_H * crop.shape[0] and g0 >= run and g1 + run < len(thin) \
                and thin[g0 - run:g0].all() and thin[g1 + 1:g1 + 1 + run].all():
            tall[g0:g1 + 1] = False
    first = np.flatnonzero(tall)
    return float(max(x0, 0) + first[0]) if first.size else float(word.x0)


def _letter_ink(crop: np.ndarray) -> np.ndarray:
    """Pixels of a word box inked in its letters' colour: the colour of the strongest ink in the
    box's right part (letters, past any swallowed key), so that pale coloured letters count and
    a key's marker in another colour does not."""
    px = crop.reshape(crop.shape[0], crop.shape[1], -1)
    paper = np.median(px.reshape(-1, px.shape[2]), axis=0)
    far = np.linalg.norm(px - paper, axis=2)
    # a rule crossing the box from top to bottom (the plot's frame through a label at a
    # curve's end) is no letter
    far[:, (far > 60).mean(axis=0) >= 0.95] = 0.0
    right = far[:, int(0.6 * far.shape[1]):]
    if right.size == 0 or right.max() < 60:
        return far > 60
    strong = px[:, int(0.6 * far.shape[1]):][right >= 0.7 * right.max()]
    letter = np.median(strong, axis=0)
    contrast = float(np.linalg.norm(letter - paper))
    # half way from the paper to the letters' colour, and no nearer to the paper than 60
    return (np.linalg.norm(px - letter, axis=2) < 0.5 * contrast) & (far > 60)


def swallowed_key(image: np.ndarray, word: OcrWord, h: float) -> Key | None:
    """The key inside an OCR word's box, before its letters: read as a dash ("—Hybrid") or not
    at all (a box that starts well left of its first letter). A :class:`Key` or None; only the
    ink left of the letters is looked at."""
    if word.text[:1] in "<>=≤≥":
        return None  # the box starts with a comparison ("≥50%"): its strokes are no key
    start = text_start(image, word)
    if _LEAD_SYMBOL.match(word.text) or start - word.x0 > 0.8 * h:
        return find_key(image, start - 0.15 * h, word.cy, h)
    return None
