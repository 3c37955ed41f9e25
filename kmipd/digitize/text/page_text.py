"""Text taken from a PDF page's text objects instead of OCR.

While :func:`page_text` is active for a working image, the readers of
:mod:`kmipd.digitize.text.ocr` and :mod:`kmipd.digitize.text.cells` answer from the page's own
words (exact text, boxes fitted to the rendered ink) whenever they are asked about that image,
so the calibration, legend and table readers work unchanged on exact text. Crops and other
images still go to OCR.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np

from kmipd.digitize.image.vector import PageWord
from kmipd.digitize.text.ocr import OcrWord, plain_text

_ACTIVE: ContextVar[tuple[tuple[int, int], list[OcrWord]] | None] = ContextVar("kmipd_page_text", default=None)


@contextmanager
def page_text(image: np.ndarray, words: list[OcrWord]) -> Iterator[None]:
    """Answer text questions about ``image`` from ``words`` within the ``with`` block."""
    token = _ACTIVE.set((tuple(np.shape(image)[:2]), list(words)))
    try:
        yield
    finally:
        _ACTIVE.reset(token)


def words_for(image: np.ndarray) -> list[OcrWord] | None:
    """The page's words when ``image`` is the page's working image, else None (use OCR)."""
    active = _ACTIVE.get()
    if active is None or tuple(np.shape(image)[:2]) != active[0]:
        return None
    return list(active[1])


def words_in(words: Sequence[OcrWord], x0: float, y0: float, x1: float, y1: float) -> list[OcrWord]:
    """The words whose centres lie in the rectangle, in reading order."""
    inside = [w for w in words if x0 <= w.cx <= x1 and y0 <= w.cy <= y1]
    return sorted(inside, key=lambda w: (round(w.cy / max(w.height, 1.0)), w.x0))


def text_in(words: Sequence[OcrWord], box: Sequence[float]) -> str:
    """The text of the words that overlap ``box`` (x0, y0, x1, y1) for most of their width, left to right."""
    x0, y0, x1, y1 = box
    hits = [w for w in words if y0 <= w.cy <= y1
            and min(w.x1, x1) - max(w.x0, x0) >= 0.5 * max(w.x1 - w.x0, 1e-9)]
    return " ".join(w.text for w in sorted(hits, key=lambda w: w.x0))


def page_words(words: Sequence[PageWord], image: np.ndarray) -> list[OcrWord]:
    """A PDF page's words as OCR would give them: boxes fitted to the rendered ink.

    Word positions are compared with tick marks and curve ends, which the ink centres match and
    the font boxes (taller above the baseline than below) do not. OCR gives the words of a line
    one height, so each word takes its line's ink top and bottom ("Hormone" and "therapy" have
    different ink heights but are one name).
    """
    grey = np.asarray(image, float)
    grey = grey.mean(axis=2) if grey.ndim == 3 else grey
    inks = [ink_box(grey, w.box) for w in words]
    line_of = [(round(w.box[1]), round(w.box[3])) for w in words]
    extent: dict[tuple, tuple[float, float]] = {}
    for key, ink in zip(line_of, inks):
        lo, hi = extent.get(key, (np.inf, -np.inf))
        extent[key] = (min(lo, ink[1]), max(hi, ink[3]))
    return [OcrWord(plain_text(w.text), 1.0, ink[0], extent[key][0], ink[2], extent[key][1])
            for w, ink, key in zip(words, inks, line_of)]


def ink_box(grey: np.ndarray, box: Sequence[float]) -> tuple[float, float, float, float]:
    """``box`` (a font's box: ascender to descender) shrunk to the ink of the glyphs in ``grey``."""
    h, w = grey.shape
    a0, b0 = max(int(np.floor(box[0])), 0), max(int(np.floor(box[1])), 0)
    a1, b1 = min(int(np.ceil(box[2])), w), min(int(np.ceil(box[3])), h)
    if a1 - a0 < 1 or b1 - b0 < 1:
        return tuple(float(v) for v in box)
    crop = grey[b0:b1, a0:a1]
    ink = crop < min(200.0, float(np.median(crop)) - 40.0)
    if not ink.any():
        return tuple(float(v) for v in box)
    rows, cols = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    return (float(a0 + cols[0]), float(b0 + rows[0]), float(a0 + cols[-1] + 1), float(b0 + rows[-1] + 1))
