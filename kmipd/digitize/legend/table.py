"""Name arms from the row labels of the number-at-risk table when the legend does not.

Journals often label the curves in the plot (no key) or print no legend at all; the risk table's
row labels then carry the names. A label is given to an arm only when that is unambiguous: the
table has one row per arm, each arm the legend named finds its own label among the rows (the most
similar one), and the rest go by elimination (one left), by their colour (coloured labels,
coloured arms), or by the curve each row's counts can follow (the rules of a risk table:
:func:`kmipd.digitize.table.by_curves.match_by_curves`).
"""

from __future__ import annotations

import re

import numpy as np
from scipy.optimize import linear_sum_assignment

from kmipd.digitize.legend.text import capital_i
from kmipd.digitize.match.pairing import (
    chroma,
    clean_name,
    ink_colour,
    match_to_arms,
    name_similarity,
)
from kmipd.digitize.result import ArmTrace, AxisMapping
from kmipd.digitize.table.by_curves import match_by_curves
from kmipd.digitize.table.rules import step_at
from kmipd.digitize.text.ocr import OcrWord

#: A count is on a label's row when its centre is within this many label heights of the label's.
ROW_TOL_H = 0.5
#: A curve is read this many pixels left of a column (a drop at the column's time is not yet
#: taken: the number at risk at t still counts those who die at t).
COLUMN_EPS_PX = 2.0
#: Ink at least this far from grey (max - min of RGB) is coloured, not black text.
COLOURED_CHROMA = 40.0
#: A column this many pixels left of a trace's start is read at the start (time 0).
START_SLACK_PX = 15.0
_COUNT = re.compile(r"^\d+$")


def names_from_table(names: list[str], arms: list[ArmTrace],
                     labels: list[tuple[str, tuple[float, ...]]], image: np.ndarray,
                     words: list[OcrWord] | None = None,
                     mapping: AxisMapping | None = None) -> list[str]:
    """Fill the arms the legend left unnamed from the table's row labels.

    Parameters
    ----------
    names : list of str
        Names from the legend, one per arm (``''`` where unknown).
    arms : list of ArmTrace
    labels : list of (str, box)
        The table's row labels and their boxes (:func:`kmipd.digitize.table.layout.table_row_labels`).
    image : ndarray
        RGB figure (for the labels' colours).
    words : list of OcrWord, optional
        OCR words of the image: each row's counts, to match rows to curves.
    mapping : AxisMapping, optional
        The axes' calibration (survival of a curve at a column); without it (or ``words``) rows
        that neither name nor colour place stay unassigned.

    Returns
    -------
    list of str
        ``names`` with the unnamed arms filled where the labels tell which is which.
    """
    names = list(names)
    unnamed = [i for i, n in enumerate(names) if not n]
    if not unnamed or len(labels) != len(arms):
        return names
    # the rows of the named arms: each named arm takes its most similar label, one each
    known = [n for n in names if n]
    sim = np.array([[name_similarity(text, n) for n in known] for text, _ in labels])
    rows, cols = linear_sum_assignment(-sim)
    if any(sim[r, c] < 0.75 for r, c in zip(rows, cols)):
        return names  # a legend name that no row label repeats: the table tells nothing sure
    rest = [(capital_i(clean_name(text)), b) for i, (text, b) in enumerate(labels)
            if i not in set(rows.tolist())]
    rest = [(t, b) for t, b in rest if t]
    if len(rest) != len(unnamed):
        return names
    if len(rest) == 1:
        names[unnamed[0]] = rest[0][0]
        return names
    colours = [_row_colour(image, b, words or []) for _, b in rest]
    left = [arms[i] for i in unnamed]
    assign, basis = match_to_arms([t for t, _ in rest], colours, left, [""] * len(unnamed))
    if basis != "colour" and words and mapping is not None:
        assign, basis = _by_curves([b for _, b in rest], left, words, mapping)
    if basis in ("colour", "curves"):
        for (text, _), a in zip(rest, assign):
            if a is not None:
                names[unnamed[a]] = text
    return names


def _row_colour(image: np.ndarray, box: tuple[float, ...], words: list[OcrWord]) -> tuple | None:
    """A row's colour: its label's, else (a black label) its counts' when they are coloured."""
    colour = ink_colour(image, *box)
    if colour is not None and chroma(colour) >= COLOURED_CHROMA:
        return colour
    cells = [w for w in words if _COUNT.match(w.text) and w.x0 > box[2]
             and abs(w.cy - 0.5 * (box[1] + box[3])) <= ROW_TOL_H * max(box[3] - box[1], 1.0)]
    counts = [ink_colour(image, w.x0, w.y0, w.x1, w.y1) for w in cells]
    counts = [c for c in counts if c is not None]
    if counts and all(chroma(c) >= COLOURED_CHROMA for c in counts):
        return tuple(int(v) for v in np.median(np.array(counts, float), axis=0))
    return colour


def row_counts(box: tuple[float, ...], words: list[OcrWord]) -> tuple[list[int], np.ndarray]:
    """The counts printed on a row label's line, right of it: ``(counts, x centres)``."""
    x0, y0, x1, y1 = box
    cy, h = 0.5 * (y0 + y1), max(y1 - y0, 1.0)
    cells = sorted((w for w in words if _COUNT.match(w.text) and w.x0 > x1
                    and abs(w.cy - cy) <= ROW_TOL_H * h), key=lambda w: w.cx)
    return [int(w.text) for w in cells], np.array([w.cx for w in cells], float)


def _by_curves(boxes: list[tuple[float, ...]], arms: list[ArmTrace], words: list[OcrWord],
               mapping: AxisMapping) -> tuple[list[int | None], str]:
    """Rows (by their label boxes) to arms by the curve each row's counts can follow."""
    counts, surv = [], []
    for b in boxes:
        n, xs = row_counts(b, words)
        if len(n) < 2:
            return [None] * len(boxes), "order"
        counts.append(n)
        surv.append([_survival_before(a, mapping, xs) for a in arms])
    return match_by_curves(counts, surv, [None] * len(boxes))


def _survival_before(arm: ArmTrace, mapping: AxisMapping, xs: np.ndarray) -> np.ndarray:
    """A traced arm's survival just left of each pixel column ``xs`` (NaN past its trace)."""
    pts = np.asarray(arm.steps_px, float).reshape(-1, 2)
    order = np.argsort(pts[:, 0], kind="stable")
    s = np.asarray(mapping.survival(pts[order, 1]), float)
    x = pts[order, 0]
    # the first column stands at time 0, where a trace may start a few pixels late
    xs = np.where((xs < x[0]) & (xs >= x[0] - START_SLACK_PX), x[0] + COLUMN_EPS_PX, xs)
    return step_at(x, s, xs, COLUMN_EPS_PX)
