"""OCR words cut into the pieces a table is made of, and grouped into text lines.

A word like ``"256(0)"`` holds a count and a censored count; ``"miR-137"`` is text. Tokens keep
the OCR box of their part of the word (:func:`split_tokens`); :func:`group_lines` puts them into
lines, top to bottom, so that a table's rows (or, printed one column per arm, its times) each
make one line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from kmipd.digitize.text.cells import parse_count
from kmipd.digitize.text.ocr import OcrWord

_SPLIT = re.compile(r"\(?\d[\d,.]*\)?%?|[^\d\s(]+|\(")

#: A token is on a line when its centre is within this many text heights ``h`` of the line's
#: median centre (``h``: the smaller of the token's and the line's, at least this many pixels).
_LINE_TOL_H, _MIN_LINE_H_PX = 0.45, 4.0


@dataclass(frozen=True)
class Token(OcrWord):
    """A piece of an OCR word: ``kind`` is "count", "paren" (a censored count), "decimal" or
    "text"."""

    kind: str = "text"


def split_tokens(words: list[OcrWord]) -> list[Token]:
    """Cut OCR words into counts, "(censored)" parts, decimals and text (``"256(0)"``)."""
    out = []
    for w in words:
        if re.search(r"[A-Za-z]", w.text) and not w.text.startswith("("):
            # "miR-137", "Stage 2a": a number glued to letters belongs to the label
            out.append(Token(w.text, w.score, w.x0, w.y0, w.x1, w.y1, "text"))
            continue
        parts = [m for m in _SPLIT.finditer(w.text)]
        n = max(len(w.text), 1)
        for m in parts:
            t = m.group()
            x0 = w.x0 + (w.x1 - w.x0) * m.start() / n
            x1 = w.x0 + (w.x1 - w.x0) * m.end() / n
            if (t.startswith("(") or t.endswith(")")) and any(c.isdigit() for c in t):
                kind = "paren"
            elif t[0].isdigit():
                kind = "decimal" if parse_count(t) is None else "count"
            else:
                kind = "text"
            out.append(Token(t, w.score, x0, w.y0, x1, w.y1, kind))
    return out


def group_lines(tokens: list[Token]) -> list[list[Token]]:
    """Tokens grouped into text lines (top to bottom), each sorted left to right.

    Unlike :func:`kmipd.digitize.text.ocr.text_lines` a token is held against the median centre of
    the line so far (and the smaller height): a table printed one column per arm, its counts
    staggered a little, stays one row per time (the test of that layout fails otherwise).
    """
    lines: list[list[Token]] = []
    for t in sorted(tokens, key=lambda t: t.cy):
        if lines:
            ref = np.median([u.cy for u in lines[-1]])
            hh = np.median([u.height for u in lines[-1]])
            if abs(t.cy - ref) < _LINE_TOL_H * max(min(hh, t.height), _MIN_LINE_H_PX):
                lines[-1].append(t)
                continue
        lines.append([t])
    return [sorted(line, key=lambda t: t.x0) for line in lines]
