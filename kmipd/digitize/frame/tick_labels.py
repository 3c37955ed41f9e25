"""Where an axis's tick labels are, and what number each reads as.

The labels sit in a column left of the y axis and a row under the x axis; the whole-image OCR
may miss small ones, so an axis's strip can be read again enlarged (:func:`reread_labels`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from kmipd.digitize.result import PlotBox
from kmipd.digitize.text.ocr import OcrWord

__all__ = ["axis_label_words", "parse_number", "reread_labels"]

_NUMBER = re.compile(r"^[-+]?(\d+(\.\d*)?|\.\d+)$")

# Where tick labels are, in text heights (``h``) of the label or shares of the plot box.
#: y labels: right-aligned, ending at most this many ``h`` right of the y axis, starting no
#: further left than this many ``h`` or this share of the box width, with centres from ``h``
#: above the box top to this many ``h`` below its bottom; the column nearest the axis is the
#: labels whose right edges are within this many median ``h`` of the rightmost.
_Y_LABEL_OVERLAP_H = 0.5
_Y_LABEL_REACH_H, _Y_LABEL_REACH_BOX = 6, 0.25
_Y_LABEL_BELOW_H = 0.6
_Y_LABEL_COLUMN_H = 2.0
#: x labels: tops at most this many ``h`` above the x axis, centres at most this many ``h``
#: below it, and at most this many ``h`` beyond either end of the box; words whose centres are
#: within this many ``h`` of a row's are on that row.
_X_LABEL_OVERLAP_H = 0.4
_X_LABEL_REACH_H = 4.0
_X_LABEL_SIDE_H = 2
_X_LABEL_ROW_H = 0.6
#: Re-reading an axis's labels: the strip is padded by this many pixels or this share of the
#: box's longer side; the y strip reaches this share of the box width left of the axis and this
#: many pixels into the plot, the x strip this share of the box height below the axis.
_REREAD_PAD_PX, _REREAD_PAD_SHARE = 8, 0.03
_REREAD_Y_STRIP, _REREAD_Y_INSIDE_PX = 0.3, 4
_REREAD_X_STRIP = 0.12
#: The enlarged strip is zoomed at most this much, to at most this many pixels (the OCR detector
#: shrinks anything longer than 2048 px, so a bigger zoom would be undone), and read unzoomed
#: when the zoom would be under this.
_REREAD_MAX_ZOOM, _REREAD_MAX_PX, _REREAD_MIN_ZOOM = 3.0, 2000.0, 1.25


def parse_number(text: str) -> tuple[float | None, bool]:
    """Read a tick label as a number.

    Handles decimal points written as ``.``, ``,`` or the Lancet's middle dot, unicode minus
    signs, thousands separators, a trailing ``%``, and the tick mark OCR glues to a label
    ("80-" next to a y axis).

    Parameters
    ----------
    text : str
        The label as OCR read it.

    Returns
    -------
    value : float or None
        None when the text is not a number.
    percent : bool
        Whether the label carried a ``%`` sign.
    """
    t = text.strip().replace(" ", "")
    t = t.translate(str.maketrans({"\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00b7": ".", "\u2027": ".",
                                   "O": "0", "o": "0", "\u00a0": ""}))
    percent = "%" in t
    t = t.replace("%", "")
    # a dash at the end is the tick mark beside a y label, never part of the number
    t = t.rstrip("-_")
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+", t):
        t = t.replace(",", "")  # thousands separators
    else:
        t = t.replace(",", ".")  # decimal comma
    if not _NUMBER.match(t) or not any(c.isdigit() for c in t):
        return None, percent
    return float(t), percent


def axis_label_words(words: Sequence[OcrWord], box: PlotBox, axis: str) -> list[OcrWord]:
    """The words that sit where ``axis``'s tick labels go and read as numbers.

    y labels: right-aligned just left of the y axis, between the top and bottom of the box;
    x labels: the first row of numbers just below the x axis (the risk table further down is
    left alone).
    """
    numeric = [w for w in words if parse_number(w.text)[0] is not None]
    if axis == "y":
        cand = [w for w in numeric
                if w.x1 <= box.left + _Y_LABEL_OVERLAP_H * w.height
                and w.x1 >= box.left - max(_Y_LABEL_REACH_H * w.height, _Y_LABEL_REACH_BOX * box.width)
                and box.top - w.height <= w.cy <= box.bottom + _Y_LABEL_BELOW_H * w.height]
        if not cand:
            return []
        # the column nearest the axis (right-aligned labels share x1)
        edge = max(w.x1 for w in cand)
        column = edge - _Y_LABEL_COLUMN_H * np.median([c.height for c in cand])
        return sorted([w for w in cand if w.x1 >= column], key=lambda w: w.cy)
    cand = [w for w in numeric
            if w.y0 >= box.bottom - _X_LABEL_OVERLAP_H * w.height
            and w.cy <= box.bottom + _X_LABEL_REACH_H * w.height
            and box.left - _X_LABEL_SIDE_H * w.height <= w.cx <= box.right + _X_LABEL_SIDE_H * w.height]
    if not cand:
        return []
    rows: list[list[OcrWord]] = []
    for w in sorted(cand, key=lambda w: w.cy):
        if rows and abs(w.cy - np.mean([r.cy for r in rows[-1]])) < _X_LABEL_ROW_H * w.height:
            rows[-1].append(w)
        else:
            rows.append([w])
    # the row nearest the axis with at least two different numbers (a lone "0" may be the
    # shared corner; tick marks that stick out read as a row of "1"s)
    row = next((r for r in rows if len({parse_number(w.text)[0] for w in r}) >= 2),
               next((r for r in rows if len(r) >= 2), rows[0]))
    return sorted(row, key=lambda w: w.cx)


def reread_labels(image: np.ndarray, box: PlotBox, axis: str, words: Sequence[OcrWord],
                   always: bool = False) -> list[OcrWord]:
    """OCR the label strip of one axis enlarged (small text the whole-image pass missed): the
    words with the strip's read again, when that finds more labels (or ``always``)."""
    from kmipd.digitize.text.ocr import read_region

    pad = max(_REREAD_PAD_PX, int(_REREAD_PAD_SHARE * max(box.width, box.height)))
    if axis == "y":
        x0, y0 = max(0, box.left - int(_REREAD_Y_STRIP * box.width)), box.top - pad
        x1, y1 = box.left + _REREAD_Y_INSIDE_PX, box.bottom + pad
    else:
        x0, y0 = box.left - pad, box.bottom + 1
        x1, y1 = box.right + pad, box.bottom + int(_REREAD_X_STRIP * box.height) + pad
    zoom = min(_REREAD_MAX_ZOOM, _REREAD_MAX_PX / max(x1 - x0, y1 - y0, 1))
    region = read_region(image, x0, y0, x1, y1, zoom=zoom if zoom >= _REREAD_MIN_ZOOM else 1.0)
    if always or len(axis_label_words(region, box, axis)) > len(axis_label_words(words, box, axis)):
        outside = [wd for wd in words if not (x0 <= wd.cx <= x1 and y0 <= wd.cy <= y1)]
        return outside + region
    return list(words)
