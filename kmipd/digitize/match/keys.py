"""Find a key -- the short line in an arm's colour and line style -- beside a legend entry's
text or a risk-table row's counts."""

from __future__ import annotations

import re

import numpy as np

from kmipd.digitize.match.pairing import chroma
from kmipd.digitize.text.ocr import OcrWord

_LEAD_SYMBOL = re.compile(r"^[-_~\u2013\u2014]+\w")  # "—Hybrid": a key read as a dash
#: A marker drawn on a key's line is at most this share of the word box's height wide.
MARKER_WIDTH_H = 0.25


def line_sample(image: np.ndarray, x_end: float, cy: float, h: float,
                reach: float = 0.0) -> tuple[tuple | None, str]:
    """Colour and style of a legend key (a short horizontal line) just left of ``x_end``.

    ``reach`` lets the key run that far right of ``x_end``: an OCR box sometimes swallows the key.
    Returns ``(None, "")`` when there is no key: only text, a frame line or blank paper.
    """
    found = find_key(image, x_end, cy, h, reach)
    return (found[0], found[1]) if found else (None, "")


def find_key(image: np.ndarray, x_end: float, cy: float, h: float,
             reach: float = 0.0) -> tuple[tuple, str, float] | None:
    """:func:`line_sample` with the key's right end: ``(colour, style, x_right)`` or None."""
    if image.ndim != 3:
        return None
    H, W = image.shape[:2]
    a0, a1 = max(int(x_end - 4.5 * h), 0), min(max(int(x_end + reach + 0.1 * h), 0), W)
    b0, b1 = max(int(cy - 0.6 * h), 0), min(int(np.ceil(cy + 0.6 * h)), H)
    if a1 - a0 < 3 or b1 - b0 < 3:
        return None
    px = image[b0:b1, a0:a1].astype(float)
    dist = np.linalg.norm(px - np.median(px.reshape(-1, 3), axis=0), axis=2)
    ink = dist > 60
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
        t = int(max(3.0, 0.25 * h))
        rows = [r for r in range(y - int(0.5 * h), y + int(0.5 * h) + 1)
                if abs(r - y) > t and 0 <= r < ink.shape[0]]
        if rows and strong[rows, k0:k1 + 1].any(axis=0).mean() > 0.35:
            continue
        colour = np.median(px[y, k0:k1 + 1][thin[k0:k1 + 1]], axis=0)
        strength = filled * (1 + chroma(colour) / 64)
        if strength > best:
            best, best_key = strength, (y, k0, k1, colour, strong)
    if best_key is None:
        return None
    y, k0, k1, colour, strong = best_key
    # an anti-aliased line straddles two pixel rows: look at the rows beside it too; the pale
    # anti-aliased ends of dashes do not fill the gaps between them
    fill = strong[max(y - 1, 0):y + 2, k0:k1 + 1].any(axis=0).mean()
    style = "solid" if fill > 0.85 else ("dashed" if fill > 0.45 else "dotted")
    return tuple(int(v) for v in colour), style, float(a0 + k1 + 1)


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
    grey = crop.mean(axis=2) if crop.ndim == 3 else crop
    ink = (np.median(grey) - grey) > 60
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


def swallowed_key(image: np.ndarray, word: OcrWord, h: float) -> tuple[tuple, str, float] | None:
    """The key inside an OCR word's box, before its letters: read as a dash ("—Hybrid") or not
    at all (a box that starts well left of its first letter). ``(colour, style, x_right)`` or
    None; only the ink left of the letters is looked at."""
    start = text_start(image, word)
    if _LEAD_SYMBOL.match(word.text) or start - word.x0 > 0.8 * h:
        return find_key(image, start - 0.15 * h, word.cy, h)
    return None
