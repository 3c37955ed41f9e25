"""Symbols OCR leaves out between the words of one line of text ("p = 0.012" read as "p" and
"0.012"): their strokes would look like short pieces of curve to the tracer, so they are
painted over with the paper's colour in the image the curves are traced in."""

from __future__ import annotations

import cv2
import numpy as np

#: Two words of one line at most this many text heights apart may hold a symbol between them.
PHRASE_GAP = 1.2
#: Ink differs from the paper beside it by more than this (RGB distance).
INK_DISTANCE = 60.0


def symbols_between_words(image: np.ndarray, boxes: list[tuple[int, int, int, int]]
                          ) -> list[tuple[int, int, int, int]]:
    """Rectangles over the gaps between neighbouring words that hold only a symbol.

    Parameters
    ----------
    image : ndarray
        RGB image, ``(h, w, 3)``.
    boxes : list of (x0, y0, x1, y1)
        Word boxes (pixels) of the text already excluded from tracing.

    Returns
    -------
    list of (x0, y0, x1, y1)
        One rectangle per gap whose ink stands clear of both words and of the rows above and
        below the line: a symbol ("=", "<", ":"). A curve crossing the line between two words
        runs on into them or beyond the line, and is kept.
    """
    out = []
    h, w = image.shape[:2]
    for a in boxes:
        for b in boxes:
            gap = b[0] - a[2]
            ha, hb = a[3] - a[1], b[3] - b[1]
            top, bottom = max(a[1], b[1]), min(a[3], b[3])
            if not (2 < gap <= PHRASE_GAP * min(ha, hb) and bottom - top >= 0.6 * min(ha, hb)
                    and max(ha, hb) <= 1.5 * min(ha, hb)):
                continue
            if any(c is not a and c is not b and c[0] < b[0] and c[2] > a[2]
                   and c[1] < bottom and c[3] > top for c in boxes):
                continue  # another word lies between them: they are not neighbours
            x0, x1, y0, y1 = max(a[2], 0), min(b[0], w), max(top - 2, 0), min(bottom + 2, h)
            if x1 - x0 < 3 or y1 - y0 < 3:
                continue
            if _clear_symbol(image[y0:y1, x0:x1]):
                out.append((x0, top, x1, bottom))
    return out


def erase_symbols(image: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> np.ndarray:
    """A copy of ``image`` with the symbols between words (:func:`symbols_between_words`)
    painted over in the paper's colour; ``image`` itself when there are none.

    Painted rather than masked: a masked stretch of columns lets the tracer bridge gaps there
    cheaply, as under any text, which a lone symbol does not call for.
    """
    found = symbols_between_words(image, boxes)
    if not found:
        return image
    out = image.copy()
    for x0, y0, x1, y1 in found:
        window = out[y0:y1, x0:x1]
        window[...] = np.median(window.reshape(-1, window.shape[-1]), axis=0).astype(image.dtype)
    return out


def _clear_symbol(window: np.ndarray) -> bool:
    """The window holds ink, none of it touching the window's edges."""
    px = window.reshape(-1, window.shape[-1]).astype(float)
    ink = np.linalg.norm(window.astype(float) - np.median(px, axis=0), axis=2) > INK_DISTANCE
    if not ink.any():
        return False
    _, labels = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    edge = np.unique(np.r_[labels[0], labels[-1], labels[:, 0], labels[:, -1]])
    return not np.any(edge > 0)
