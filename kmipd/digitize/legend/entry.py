"""One legend entry read: its words, its key (a line sample in an arm's colour and style), its
text as a name, or None when the words are a title, statistics or curve ink read as text.

:func:`split_at_keys` cuts OCR lines at the keys between entries; :func:`read_entry` reads
an entry that names a traced arm, :func:`orphan_entry` one with a key that names no arm
traced (an arm the tracing missed). :mod:`kmipd.digitize.legend.read` puts the entries
together.
"""

from __future__ import annotations

import re

import numpy as np

from kmipd.digitize.legend.ends import without_end_glyph
from kmipd.digitize.legend.entries import NUMBER, join_words, joins_name
from kmipd.digitize.legend.text import arm_coloured_text, capital_i, clipped_end, on_curve
from kmipd.digitize.match.keys import Key, find_key, swallowed_key
from kmipd.digitize.match.pairing import (
    arms_distinct_by_colour,
    chroma,
    clean_name,
    colour_distance,
    ink_colour,
    normalise_label,
)
from kmipd.digitize.result import ArmTrace, PlotBox
from kmipd.digitize.text.ocr import OcrWord

__all__ = ["MIN_LABEL_SCORE", "ORPHAN_KEY_CHROMA", "TITLES", "name_words", "orphan_entry",
           "read_entry", "split_at_keys"]

TITLES = {"strata", "group", "groups", "arm", "arms", "treatment", "legend", "procedure"}
_NOT_NAMES = re.compile(
    r"^(p|hr|ci|log|rank|logrank|median|n|number|at|risk|censored|survival|probability|"
    r"months?|years?|days?|weeks?|time)$", re.I)
#: Censor ticks read as capitals ("TT", "TIT"): Roman numerals ("II") may be names, a T is not
_TICKS_AS_LETTERS = re.compile(r"^(?=.*T)[TIl1|+]{2,4}$")
#: "No" names an arm beside a key ("No" / "Yes"); without one it is the start of "No. at risk"
_NO = re.compile(r"^no$", re.I)
#: A reading past a clipped box replaces the OCR's when the recogniser is this sure of it.
CLIPPED_SCORE = 0.9
_NUMERIC_NAME = re.compile(r"^(?:(?:19|20)\d\d\s*[-–]\s*(?:19|20)\d\d|[<>≤≥]=?\s*\d+(?:\.\d+)?)$")
_NOT_LEGEND = re.compile(r"at\s*ri[sz5]k|risk:|kaplan|survival|probability|^time\b|\bcurve\b", re.I)
_STATS = re.compile(r"^(p|hr)\s*[=<>≤:]|\b(ci|hr|log.?rank|median|hazard|p.?value)\b"
                    # "p = 0.04" anywhere ("LopheekP = 0.189"), "95% Cl" read with an l
                    r"|p\s*[=<≤]\s*0?[.,]?\d|\bc[il1]\s*[\d(:]|\d\s*%\s*c[il1]\b"
                    # "= 0.012" after a misread "p" ("Apm= 0.012")
                    r"|=\s*0?[.,]\d"
                    # a confidence interval or two decimals: a statistic, not a name
                    r"|\d[.,]\d+\s*(?:-|–|to)\s*\d[.,]\d|\d[.,]\d+\D+\d[.,]\d", re.I)
#: In a coloured figure a legend key is at most this far (RGB distance) from an arm's colour.
KEY_COLOUR_TOL = 150.0
#: A key between two words of one line needs a gap this many text heights wide (a word space
#: is a third of one; a key is two, with space on both sides).
KEY_GAP_H = 1.0
#: What the OCR makes of a line sample read as a word: dashes, dots, bars, a "1" or "+" (a
#: censor mark on the line).
_KEY_AS_WORD = re.compile(r"^[-+|_~*.,:;1lIi\u2013\u2014\u2026\u00b7\u2022\u5341\u4e00]{1,8}$")
#: OCR text scoring below this is not read as a curve-end label (censor ticks read as letters).
MIN_LABEL_SCORE = 0.6
#: A key of no arm's colour counts as a legend entry (of an arm the tracing missed) when it is
#: this colourful (black and grey lines beside text are rules, axes and guide lines).
ORPHAN_KEY_CHROMA = 40.0




def split_at_keys(image: np.ndarray, entries: list[list[OcrWord]]) -> list[list[OcrWord]]:
    """Split entries of a one-line legend ("— ET  — FET") at a key between two of their words;
    a key the OCR read as a word ("……", "1", "+") is dropped there."""
    out = []
    for entry in entries:
        entry = [w for k, w in enumerate(entry)
                 if not (0 < k < len(entry) - 1 and _key_read_as_word(image, w)
                         and not joins_name([entry[k - 1]], w, [entry[k + 1]]))]
        cur = [entry[0]]
        for prev, w in zip(entry, entry[1:]):
            h = max(prev.height, w.height)
            key = swallowed_key(image, w, h)
            if key is None and w.x0 - prev.x1 > KEY_GAP_H * h:
                key = find_key(image, w.x0, w.cy, h)
                # a key between two words lies in the gap, not in the next word's letters
                key = key if key is not None and key[2] <= w.x0 + 0.3 * h else None
            if key is not None and key[2] > prev.x1 + 0.2 * h:
                out.append(cur)
                cur = []
            cur.append(w)
        out.append(cur)
    return out


def _key_read_as_word(image: np.ndarray, word: OcrWord) -> bool:
    """A short symbol-like word ("……", "1", "-+-") over a line sample: a key, not a name's word."""
    h = word.height
    if not _KEY_AS_WORD.match(word.text):
        return False
    key = find_key(image, word.x1 + 0.2 * h, word.cy, h)
    return key is not None and key[2] >= word.x0 + 0.5 * (word.x1 - word.x0)


def name_words(entry: list[OcrWord], box: PlotBox) -> tuple[list[OcrWord], str] | None:
    """An entry's words and text as a name, or None when they cannot name an arm (statistics, a
    title, a number, an axis title): a legend title on the line and a table row's counts are
    left out."""
    if len(entry) > 1 and (entry[0].text.lower() == "strata" or entry[0].text.endswith(":")):
        entry = entry[1:]  # a legend title on the entries' line ("Strata", "Arm:")
    if entry[0].y0 > box.bottom:
        # under the plot a label may be a risk-table row label: its counts are not the name
        entry = entry[:next((i for i, w in enumerate(entry) if NUMBER.match(w.text)), len(entry))]
        if not entry:
            return None
    text = clean_name(join_words(entry))
    numeric_name = bool(_NUMERIC_NAME.match(text))
    if not text or _NOT_NAMES.match(text) or _TICKS_AS_LETTERS.match(text) or \
            _STATS.search(text) or _NOT_LEGEND.search(text) or \
            (NUMBER.match(text.replace(" ", "")) and not numeric_name) or \
            not re.search(r"[A-Za-z]{2}|\d", text):
        return None
    h = float(np.median([w.height for w in entry]))
    if entry[-1].x1 - entry[0].x0 < 0.8 * h and len(text) > 2:
        return None  # a vertical axis title
    return entry, text


def read_entry(image: np.ndarray, box: PlotBox, arms: list[ArmTrace], entries: list[list[OcrWord]],
           entry: list[OcrWord]) -> tuple[str, tuple | None, str, bool, float, float] | None:
    """One legend entry read: ``(text, colour, line style, has a key, score, key's fill)``, or
    None when the words are not a legend entry (a title, statistics, an axis label, curve ink
    read as text)."""
    got = name_words(entry, box)
    if got is None:
        return None
    entry, text = got
    # a number is no name, but a period ("1992-2004") or a threshold ("<65") is one beside a key
    numeric_name = bool(_NUMERIC_NAME.match(text))
    h = float(np.median([w.height for w in entry]))
    if on_curve(entry, arms):
        return None  # censor ticks on a curve read as letters ("EE E L")
    coloured = arms_distinct_by_colour(arms)
    if len(entry) > 1 and len(entry[0].text) == 1 and entry[1].text[:1].isalpha() and \
            find_key(image, entry[1].x0, entry[1].cy, h) is not None:
        entry = entry[1:]  # the key itself read as one glyph ("1" for a line with a "+" on it)
        text = clean_name(join_words(entry))
    first = entry[0]
    # in a coloured figure a key has an arm's colour (not a black line nearby)
    key = _find_entry_key(image, entries, first, h,
                          accept=lambda k: not coloured or _arm_key_colour(k[0], arms))
    if numeric_name and key is None:
        return None
    if text.lower().rstrip(":") in TITLES and (_heads(first, entries, h) or not (
            key is not None and coloured and _colour_gap(key[0], arms) <= 45)):
        return None  # a legend title ("Arm", "Treatment"), unless an arm's own key is beside it
    has_key = key is not None
    if _NO.match(text) and not has_key:
        return None
    colour, style, key_end, fill = key if key else (None, "", first.x0, float("nan"))
    ink = ink_colour(image, entry[0].x0, entry[0].y0, entry[-1].x1, entry[-1].y1) \
        if not has_key or coloured else None
    if not has_key:
        colour = ink
        if not arm_coloured_text(colour, arms, coloured):
            return None  # neither a key beside it nor text in an arm's colour
    elif coloured and arm_coloured_text(ink, arms, coloured) and colour_distance(ink, colour) >= 60:
        colour = ink  # text in one arm's colour beside another's line: a label at a curve's end
    score = min(w.score for w in entry)
    swallowed = key_end > first.x0 + 0.3 * h
    if score < 0.75 or swallowed:
        # the whole-image OCR may have read the key as letters: read again right of it
        got = _reread(image, entry, max(first.x0, key_end), force=swallowed)
        if got and not _cut_letters(text, score, clean_name(got[0])):
            text, score = clean_name(got[0]), got[1]
    if score < 0.6 or not text:
        return None  # censor ticks or a curve read as letters ("HItH"), not a name
    end = clipped_end(image, entry[-1])
    if end is not None:  # the OCR box cut the last glyph off: read to the ink's end
        got = _reread(image, entry, max(first.x0, key_end), force=True, end=end + 0.2 * h)
        longer = clean_name(got[0]) if got and got[1] >= CLIPPED_SCORE else ""
        if normalise_label(longer).startswith(normalise_label(text)) and len(longer) > len(text):
            text = longer
    return capital_i(without_end_glyph(text, entry, arms)), colour, style, has_key, score, fill


#: A key "swallowed" by an OCR box holds at most this many letters or digits read off its line
#: ("I" for a "|" marker); more, read with certainty, were the name's own letters.
KEY_READ_AS_LETTERS = 2


def _cut_letters(text: str, score: float, again: str) -> bool:
    """Would reading ``again`` right of a key found inside the first word's box cut off letters
    the whole-image OCR read with certainty ("arm=Nivolumab" -> "olumab": its "=" or a blurred
    "arm" taken for the key's line)?"""
    if score < 0.9 or not again or not text.endswith(again) or len(again) >= len(text):
        return False
    return sum(c.isalnum() for c in text[:len(text) - len(again)]) > KEY_READ_AS_LETTERS


def orphan_entry(image: np.ndarray, box: PlotBox, entries: list[list[OcrWord]],
                  entry: list[OcrWord]) -> tuple[str, tuple, str, bool] | None:
    """An entry that names no arm traced but has a key: ``(text, colour, style, True)``, else
    None (a grey key counts only among a legend's keyed entries, :func:`~kmipd.digitize.legend.read.read_legend_reading`)."""
    got = name_words(entry, box)
    if got is None or min(w.score for w in got[0]) < MIN_LABEL_SCORE:
        return None
    words, text = got
    h = float(np.median([w.height for w in words]))
    key = _find_entry_key(image, entries, words[0], h)
    if key is None:
        return None
    # a legend's title beside a grey stroke (its frame, a rule), or grey "key" strokes inside
    # the word's box (its own symbols, ">=" of ">=50%") make no entry
    if chroma(key.colour) < ORPHAN_KEY_CHROMA and (text.lower().rstrip(":") in TITLES
                                                   or key.x_right > words[0].x0 + 0.3 * h):
        return None
    return text, key[0], key[1], True


def _find_entry_key(image: np.ndarray, entries: list[list[OcrWord]], first: OcrWord,
                    h: float, accept=None) -> Key | None:
    """The key left of an entry's first word, also when the OCR box swallowed it.

    ``accept(key)`` may turn a key down: then the next place is looked at (a "key" swallowed in
    the box may be the "=" of "rx=Stage I", black in a coloured figure).
    """
    ok = accept or (lambda key: True)
    swallowed = swallowed_key(image, first, h)
    if swallowed is not None and ok(swallowed):
        return swallowed
    # a box much wider than its text, or starting well left of the entries stacked with it,
    # has swallowed the key left of the text
    reach = max(0.0, (first.x1 - first.x0) - 0.65 * h * len(first.text),
                *[e[0].x0 - first.x0 for e in entries if 0.8 * h < e[0].x0 - first.x0 < 4 * h
                  and 0 < abs(e[0].cy - first.cy) < 2.5 * h and e[0].text[:1].isalpha()])
    for key in (find_key(image, first.x0, first.cy, h),
                find_key(image, first.x0, first.cy, h, reach) if reach else None):
        if key is not None and ok(key):
            return key
    return None


def _heads(first: OcrWord, entries: list[list[OcrWord]], h: float) -> bool:
    """Does the word head the entries under it (a legend's title, centred over them)? An entry
    starts within two text heights below it and clearly left of it; the key found beside the
    title is the first entry's, reached by its marker."""
    return any(0 < e[0].cy - first.cy < 2 * h and e[0].x0 < first.x0 - 0.3 * h for e in entries)


def _arm_key_colour(colour, arms: list[ArmTrace]) -> bool:
    """Can a key of this colour stand for one of these coloured arms? Near one of them, and not
    grey where that arm is coloured (a drawn line is often paler than its key: no tight bound)."""
    near = min(arms, key=lambda a: colour_distance(colour, a.colour))
    return colour_distance(colour, near.colour) <= KEY_COLOUR_TOL and \
        not (chroma(colour) < 40 and chroma(near.colour) >= 60)


def _colour_gap(colour, arms: list[ArmTrace]) -> float:
    """How far ``colour`` is from the nearest arm's colour."""
    return min(colour_distance(colour, a.colour) for a in arms)


def _reread(image: np.ndarray, entry: list[OcrWord], start: float,
            force: bool = False, end: float | None = None) -> tuple[str, float] | None:
    """Read an entry's text again from ``start`` (right of its key) to ``end`` (default: its
    box's) with the recogniser alone: ``(text, score)`` when that reads better than the
    whole-image OCR did (or ``force``)."""
    from kmipd.digitize.text.cells import read_text

    got = read_text(image, (start, min(w.y0 for w in entry), entry[-1].x1 if end is None else end,
                            max(w.y1 for w in entry)))
    if got is None or not got[0] or (got[1] < min(w.score for w in entry) and not force):
        return None
    return got
