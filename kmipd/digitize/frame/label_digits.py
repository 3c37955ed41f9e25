"""Tick labels whose zeros were read as eights.

Small or monospaced zeros read as "8" ("188" for "180", "8.9" for "0.9"). When every label of
an axis is read so, the labels still lie on a line (equally spaced, values off by the same
amount) and fit as well as the right ones: only the values tell. Each label's other readings
(some of its eights read as zeros) vote for where the axis line lies; the reading that puts
the most labels on one line wins, and of equals the one whose values are rounder (tick values
are round numbers: 180, 360, 540, not 188, 368, 548).
"""

from __future__ import annotations

import itertools
import re

import numpy as np

__all__ = ["eights_as_zeros"]

#: Labels with more eights than this are not re-read (each eight doubles the readings).
_MAX_EIGHTS = 4


def _readings_of(text: str, parse) -> list[float]:
    """The values of ``text`` with each subset of its eights read as zeros (the text itself
    first)."""
    spots = [m.start() for m in re.finditer("8", text)][:_MAX_EIGHTS]
    out = []
    for k in range(len(spots) + 1):
        for chosen in itertools.combinations(spots, k):
            t = "".join("0" if i in chosen else ch for i, ch in enumerate(text))
            value = parse(t)[0]
            if value is not None and value not in out:
                out.append(value)
    return out


def _roundness(values: list[float]) -> int:
    """Trailing zeros of whole values, less the decimals of the others: tick values are round."""
    total = 0
    for v in values:
        s = f"{abs(v):.6f}".rstrip("0").rstrip(".")
        total += -len(s.split(".")[1]) if "." in s else len(s) - len(s.rstrip("0"))
    return total


def eights_as_zeros(readings: list[tuple[float, str, float | None]], scale: float, tol: float,
                    parse) -> list[tuple[float, str, float | None]] | None:
    """The labels read again with zeros where eights were read, when that puts more of them on
    one axis line, or as many with rounder values; None when the readings stand.

    Parameters
    ----------
    readings : list of (pixel, text, value)
        The axis's labels as read.
    scale : float
        Value per pixel of the axis fitted through them (the spacing is right even when every
        label is off by the same amount).
    tol : float
        How far (in pixels) a label may lie off the axis line.
    parse : callable
        ``text -> (value or None, is_percent)``, as the labels were parsed.
    """
    options = [_readings_of(t, parse) if "8" in t else ([v] if v is not None else [])
               for _, t, v in readings]
    if not any(len(o) > 1 for o in options):
        return None
    vtol = abs(scale) * tol
    best = None
    for i, (p, _, _) in enumerate(readings):
        for c in options[i]:
            offset = c - scale * p
            chosen = []
            for (q, _, _), opts in zip(readings, options):
                gap = [abs(v - (offset + scale * q)) for v in opts]
                k = int(np.argmin(gap)) if opts else -1
                chosen.append(opts[k] if opts and gap[k] <= vtol else None)
            hits = [v for v in chosen if v is not None]
            key = (len(hits), _roundness(hits))
            if best is None or key > best[0]:
                best = (key, chosen)
    chosen = best[1]
    fixed = [(p, t, c if c is not None else v) for (p, t, v), c in zip(readings, chosen)]
    return fixed if fixed != readings else None
