"""Row labels of the at-risk table that the whole-image OCR missed, read again.

A pale or single-letter label ("C" in light orange beside a black "B") is often not detected
by the OCR's text finder; the recogniser alone reads it from the place where the other rows
print theirs. A reading the other labels' sequence expects at that row counts at lower
certainty (:func:`expected_label`).
"""

from __future__ import annotations

import re

import numpy as np

from kmipd.digitize.table.layout import TableRow
from kmipd.digitize.text.cells import read_text

#: A label the whole-image OCR missed is taken from the recogniser when read this surely ...
MISSED_LABEL_SCORE = 0.8
#: ... or this surely when it is the one the other labels' sequence expects at its row ("C"
#: under "A", "B"; "Group 3" under "Group 1", "Group 2"): a pale letter reads less surely.
EXPECTED_LABEL_SCORE = 0.3


def fill_labels(image: np.ndarray, rows: list[TableRow]) -> None:
    """Read the labels the whole-image OCR missed (a pale single letter, "A" or "C" beside a
    "B" it found) where the other rows print theirs: left of the first count, across the
    other labels' span (in place). A reading the other labels' sequence expects at that row
    (:func:`expected_label`) needs less certainty."""
    boxes = [r.label_box for r in rows if r.label_box is not None]
    if not boxes or len(boxes) == len(rows):
        return
    x0 = min(b[0] for b in boxes)
    x1_labels = max(b[2] for b in boxes)
    readings: dict[int, tuple[str, float, tuple[float, float, float, float]]] = {}
    for i, row in enumerate(rows):
        if row.label_box is not None or not row.cells:
            continue
        h = row.y1 - row.y0
        x1 = min(x1_labels + 0.5 * h, row.cells[0].x0 - 0.3 * h)
        area = (x0 - 0.3 * h, row.y0, x1, row.y1)
        got = read_text(image, area) if x1 - area[0] > 0.3 * h else None
        if got and re.fullmatch(r"[\w+\-<>=%.()/ ]+", got[0]) and re.search(r"[A-Za-z0-9]", got[0]):
            readings[i] = (got[0], got[1], area)
    for i, (text, score, area) in readings.items():  # the sure ones first: they extend the sequence
        if score >= MISSED_LABEL_SCORE:
            rows[i].label, rows[i].label_box = text, area
    for i, (text, score, area) in readings.items():
        expected = expected_label([r.label if r.label_box is not None else None for r in rows], i)
        if rows[i].label_box is None and score >= EXPECTED_LABEL_SCORE and expected is not None \
                and text.strip().casefold() == expected.casefold():
            rows[i].label, rows[i].label_box = expected, area


def expected_label(labels: list[str | None], i: int) -> str | None:
    """The label row ``i`` should have if the known ``labels`` (None: unknown) are one prefix and
    a letter or number counting up by row ("A", "B", "C"; "Arm 1", "Arm 2"); None if they are
    not (fewer than two known, or no such sequence)."""
    known = [(j, re.fullmatch(r"(.*?)([A-Za-z]|\d+)", lab.strip())) for j, lab in enumerate(labels) if lab]
    if len(known) < 2 or not all(m for _, m in known):
        return None
    prefixes = {m.group(1) for _, m in known}
    tokens = [(j, m.group(2)) for j, m in known]
    if len(prefixes) != 1:
        return None
    if all(t.isdigit() for _, t in tokens):
        starts = {int(t) - j for j, t in tokens}
        value = str(starts.pop() + i) if len(starts) == 1 else None
    elif all(t.isalpha() for _, t in tokens) and len({t.isupper() for _, t in tokens}) == 1:
        starts = {ord(t) - j for j, t in tokens}
        code = starts.pop() + i if len(starts) == 1 else None
        value = chr(code) if code is not None and chr(code).isalpha() and chr(code).isascii() else None
    else:
        return None
    return None if value is None else prefixes.pop() + value
