"""The part of a multi-panel figure that belongs to one of its plots.

A figure with several KM plots (panels A and B side by side or stacked) holds each plot's tick
labels, legend and numbers-at-risk table around its own box. Reading only that part with OCR
keeps the other panels' text out and halves the OCR time of a two-panel figure; a legend shared
by all panels is looked for in the rest (:func:`shared_words`) only when a panel has none.
"""

from __future__ import annotations

import numpy as np

from kmipd.digitize.result import PlotBox
from kmipd.digitize.text.ocr import OcrWord, read_region, read_words

#: Room above a plot box for its top tick label and panel letter, as a share of its height.
TOP_ROOM = 0.08


def panel_region(boxes: list[PlotBox], index: int, shape: tuple[int, ...]) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)`` of the image that belongs to panel ``index``.

    A panel below another starts a little above its own box (room for its top tick label): all
    between the two boxes, a risk table included, belongs to the upper panel. Side by side, the
    two share the gap between their boxes half and half (the right panel's y labels sit close to
    its axis, the left panel's legend or table close to its own box). A box much smaller or
    larger than this one is left out: cutting at it could cost this panel its own labels.
    """
    h, w = shape[:2]
    me = boxes[index]
    x0, y0, x1, y1 = 0, 0, w, h
    area = me.width * me.height
    for k, other in enumerate(boxes):
        if k == index or not 0.5 <= other.width * other.height / max(area, 1) <= 2.0:
            continue  # panels of a figure are alike in size; anything else is no panel to avoid
        beside = other.bottom > me.top and other.top < me.bottom
        if not beside and other.top >= me.bottom:  # below
            y1 = min(y1, int(other.top - TOP_ROOM * other.height))
        elif not beside and other.bottom <= me.top:  # above
            y0 = max(y0, int(me.top - TOP_ROOM * me.height))
        elif other.left >= me.right:  # to the right
            x1 = min(x1, (me.right + other.left) // 2)
        elif other.right <= me.left:  # to the left
            x0 = max(x0, (other.right + me.left) // 2)
    return x0, y0, x1, y1


def panel_words(image: np.ndarray, boxes: list[PlotBox], index: int) -> list[OcrWord]:
    """The text of panel ``index`` (all of the image's when it has one panel), in image pixels."""
    if len(boxes) <= 1:
        return read_words(image)
    return read_region(image, *panel_region(boxes, index, image.shape))


def shared_words(image: np.ndarray, boxes: list[PlotBox], index: int) -> list[OcrWord]:
    """The text of the whole image outside the other panels' plot boxes, where a legend shared
    by all panels is printed (above, beside or under them)."""
    others = [b for k, b in enumerate(boxes) if k != index]
    return [w for w in read_words(image)
            if not any(b.left <= w.cx <= b.right and b.top <= w.cy <= b.bottom for b in others)]
