"""Read a number-at-risk table printed the other way round: one column per arm, one line per time.

Some figures (GraphPad Prism insets, tables typed into the plot) print the counts as a small
table with a header line naming the arms ("months  ET  FET") and under it one line per time
("24  55  102"). Such a table is recognised by its shape: a header of words, then two or more
lines of whole numbers only, each starting with a time inside the x axis range (increasing down
the table) followed by one count under each header word.
"""

from __future__ import annotations

import re

import numpy as np

from kmipd.digitize.result import AxisMapping, PlotBox
from kmipd.digitize.table.layout import TableRow
from kmipd.digitize.table.tokens import Token
from kmipd.digitize.text.cells import parse_count

_NOT_ARM = re.compile(r"censor|event|death|died|^se$|%|cumulative|risk", re.I)


def find_transposed_table(lines: list[list[Token]], mapping: AxisMapping,
                          box: PlotBox) -> list[TableRow]:
    """The arm columns of a table printed one column per arm, as rows with their own times.

    Parameters
    ----------
    lines : list of list of Token
        Text lines of the whole figure, top to bottom (:func:`kmipd.digitize.table.tokens.group_lines`).
    mapping : AxisMapping
        Pixel -> data calibration; the times in the table must lie on the x axis.
    box : PlotBox
        The plot area.

    Returns
    -------
    list of TableRow
        One per arm column (label: the header word), cells top to bottom; empty when no such
        table is found.
    """
    lo, hi = sorted(float(v) for v in mapping.time([box.left, box.right]))
    slack = 0.05 * (hi - lo)
    for i, head in enumerate(lines):
        words = [t for t in head if t.kind == "text"]
        if len(words) < 2 or len(words) != len(head):
            continue
        h = float(np.median([t.height for t in head]))
        left, right = min(t.x0 for t in head) - 2 * h, max(t.x1 for t in head) + 2 * h
        body: list[list[Token]] = []
        for line in lines[i + 1:]:
            line = [t for t in line if left <= t.cx <= right]  # not the axis or a p-value
            if not line:
                continue
            last_y = max(t.y1 for t in (body[-1] if body else head))
            if min(t.y0 for t in line) - last_y > 1.5 * h or \
                    any(t.kind != "count" for t in line) or (body and len(line) != len(body[0])):
                break  # past the table: a gap, words, or another number of columns
            body.append(line)
        rows = _columns(words, body, h, lo - slack, hi + slack)
        if rows:
            return rows
    return []


def _columns(words: list[Token], body: list[list[Token]], h: float, lo: float,
             hi: float) -> list[TableRow]:
    """Arm columns of one header and its body lines, or [] when they do not form such a table."""
    if len(body) < 2 or len({len(line) for line in body}) != 1 or len(body[0]) < 2:
        return []
    times = [parse_count(line[0].text) for line in body]
    if any(t is None or not lo <= t <= hi for t in times) or np.any(np.diff(times) <= 0):
        return []
    k = len(body[0]) - 1  # count columns after the time column
    cols = [[line[j + 1] for line in body] for j in range(k)]
    if any(np.ptp([t.cx for t in col]) > 2 * h and np.ptp([t.x1 for t in col]) > 0.6 * h and
           np.ptp([t.x0 for t in col]) > 0.6 * h for col in cols):
        return []  # the numbers do not stand in columns
    # each count column takes the header phrase over it; the one over the times is their title
    phrases = _phrases(words, h)
    heads: list[int] = []
    for col in cols:
        cx = float(np.median([t.cx for t in col]))
        k = min(range(len(phrases)), key=lambda i: _distance(phrases[i], cx))
        if _distance(phrases[k], cx) > 2 * h or k in heads or \
                _NOT_ARM.search(" ".join(t.text for t in phrases[k])):
            return []
        heads.append(k)
    out = []
    for k, col in zip(heads, cols):
        p = phrases[k]
        out.append(TableRow(" ".join(t.text for t in p), list(col), [(t.x0, t.x1) for t in col],
                            min(t.y0 for t in col), max(t.y1 for t in col),
                            (p[0].x0, min(t.y0 for t in p), p[-1].x1, max(t.y1 for t in p)),
                            [float(t) for t in times]))
    return out


def _phrases(words: list[Token], h: float) -> list[list[Token]]:
    """Header words grouped into phrases ("No aid"): words a space apart, not a column gap."""
    out: list[list[Token]] = []
    for w in sorted(words, key=lambda t: t.x0):
        if out and w.x0 - out[-1][-1].x1 < 0.45 * h:
            out[-1].append(w)
        else:
            out.append([w])
    return out


def _distance(phrase: list[Token], x: float) -> float:
    """How far ``x`` is from a phrase's extent (0 inside it)."""
    return max(phrase[0].x0 - x, x - phrase[-1].x1, 0.0)
