"""Arm sizes printed beside the arms' names, and the check of a table's first counts against them.

Journals often print each arm's size in the legend or beside the curve ("Pre-ICI (n = 120)",
"Placebo, N=206"). The number at risk at time 0 is that size, so a first count that differs
from it is misread, or the table does not start at time 0.
"""

from __future__ import annotations

import re

from kmipd.digitize.match.pairing import clean_name, name_similarity
from kmipd.digitize.text.ocr import OcrWord, text_lines

_SIZE = re.compile(r"\bn\s*[=:]\s*(\d{1,3}(?:,\d{3})+|\d+)\b", re.I)


def printed_sizes(words: list[OcrWord], names: list[str]) -> dict[int, int]:
    """``{arm index: n}`` for the arms whose name is printed with an "n = ..." on its line.

    Parameters
    ----------
    words : list of OcrWord
        OCR words of the whole image.
    names : list of str
        Arm names in the arms' order (``''`` where unknown).

    Returns
    -------
    dict
        Arm index -> the size printed beside its name (only names found once, unambiguously).
    """
    found: dict[int, set[int]] = {}
    for text in _lines(words):
        start = 0
        for m in _SIZE.finditer(text):
            # the name is what precedes the "n =" since the previous one ("A (n=9)  B (n=7)")
            before = clean_name(text[start:m.start()].rstrip(" ([,;:")).split()
            start = m.end()
            # the name ends the text before it ("100 Pre-ICI": a tick label on the same line)
            tails = [" ".join(before[k:]) for k in range(len(before))]
            sims = [max((name_similarity(t, n) for t in tails), default=0.0) if n else 0.0
                    for n in names]
            best = max(sims, default=0.0)
            if best >= 0.75 and sum(s >= best - 1e-9 for s in sims) == 1:
                found.setdefault(sims.index(best), set()).add(int(m.group(1).replace(",", "")))
    return {a: next(iter(v)) for a, v in found.items() if len(v) == 1}


def check_first_counts(table: list[tuple[str, float, int]], sizes: dict[str, int],
                       t0: float, tol: float) -> tuple[list[dict], list[str]]:
    """Flags for first counts that differ from the printed sizes, and warnings.

    Parameters
    ----------
    table : list of (arm, time, count)
        The cells kept.
    sizes : dict
        Arm name -> printed size.
    t0 : float
        The time origin of the curves.
    tol : float
        How close to ``t0`` a column must be to count as time 0.

    Returns
    -------
    flags : list of dict
        ``"unsure"`` flags (``arm, time, read, value, action, reason``).
    warnings : list of str
        Arms whose table has no count at time 0 to check.
    """
    flags, warnings = [], []
    for arm, n in sizes.items():
        first = [(t, v) for a, t, v in table if a == arm and abs(t - t0) <= tol]
        if not first:
            warnings.append(f"{arm}: the figure prints n = {n}, but the table has no count at "
                            f"time {t0:g} to check it against")
        elif first[0][1] != n:
            t, v = first[0]
            flags.append({"arm": arm, "time": float(t), "read": str(v), "value": int(v),
                          "action": "unsure", "reason": f"the count at time {t:g} ({v}) is not "
                          f"the arm's size printed beside its name (n = {n})"})
    return flags, warnings


def _lines(words: list[OcrWord]) -> list[str]:
    """The texts of the figure's lines, words joined left to right."""
    return [" ".join(w.text for w in line) for line in text_lines(words)]
