"""Which OCR words can be legend text, grouped into entries.

Words are grouped into runs split at wide gaps, at key symbols (a key read as "+", "-|-",
"=0=", or as one glyph far wider than tall) and where survminer's "arm=" starts again; a "+"
between two words of a name ("Surgery + RT") stays in it. The x axis's title is never a
legend entry (:func:`x_axis_title`).
"""

from __future__ import annotations

import re

import numpy as np

from kmipd.digitize.result import PlotBox
from kmipd.digitize.text.ocr import OcrWord, text_lines

__all__ = ["join_words", "joins_name", "legend_entries", "x_axis_title"]

#: Symbols that join two words of a name ("Surgery + RT", "Nivolumab & ipilimumab").
_CONJUNCTIONS = {"+", "&"}
#: A conjunction is at most this many text heights wide (a key read as "+" is a line's length) ...
CONJUNCTION_WIDTH_H = 0.8
#: ... with at most this many text heights of space to the words beside it.
WORD_SPACE_H = 0.8
#: Glyphs so narrow that a word of them is taller than wide when printed upright.
_NARROW_GLYPHS = set("Iil1|!.:;'")
_SYMBOL = re.compile(r"^[-+|_~*xX\u2013\u2014\u00b7\u2022\u25cb\u25cf\u25a1\u25a0\u5341\u571f\u4e00\u4e28]+$")
#: The x axis's title is centred under the plot: its centre within this share of the plot's
#: width from the plot's centre.
TITLE_CENTRE_SHARE = 0.2
_HAS_LETTERS = re.compile(r"[A-Za-z]{2}")
#: A word that is a number (a count, a percentage, "<65"): never part of a name.
NUMBER = re.compile(r"^[<>=≤≥]?[\d.,%()\-–]+$")
#: A line key with a censor mark on it, read as a word of its own: "=0=", "·o-", "--+--".
_MARKED_KEY = re.compile(r"^[-=~_*·•\u2013\u2014]+[0oO+xX][-=~_*·•\u2013\u2014]*$"
                         r"|^[-=~_*·•\u2013\u2014]*[0oO+xX][-=~_*·•\u2013\u2014]+$")
#: A word of one glyph wider than this many of its heights is a line key read as text.
KEY_GLYPH_WIDTH_H = 1.8
#: survminer's "variable=" that starts each of its legend's entries.
_VARIABLE = re.compile(r"^([A-Za-z_.][\w.]*)=\S")


def legend_entries(words: list[OcrWord]) -> list[list[OcrWord]]:
    """Runs of words that may be legend entries: split at wide gaps and at key symbols."""
    # vertical words (a y axis title) are never legend text; a Roman "III" is narrow, not vertical
    words = [w for w in words if not (len(w.text) > 2 and w.height > 1.5 * (w.x1 - w.x0)
                                      and not set(w.text) <= _NARROW_GLYPHS)]
    entries: list[list[OcrWord]] = []
    for line in text_lines(words):
        cur: list[OcrWord] = []
        for k, w in enumerate(line):
            # OCR reads line keys as "+", "-|-", "十" ...: they separate entries, but a "+"
            # set between two words of a name ("Surgery + RT") is part of it
            sym = (_SYMBOL.match(w.text) is not None or _MARKED_KEY.match(w.text) is not None
                   or _key_as_glyph(w)) and not joins_name(cur, w, line[k + 1:])
            if cur and (sym or w.x0 - cur[-1].x1 > 1.5 * max(w.height, cur[-1].height)
                        or _next_variable_entry(cur, w)):
                entries.append(cur)
                cur = []
            if not sym:
                cur.append(w)
        if cur:
            entries.append(cur)
    return entries


def _key_as_glyph(w: OcrWord) -> bool:
    """A line key read as one glyph ("1" for "-+-"): no glyph is that much wider than tall."""
    return len(w.text) == 1 and w.x1 - w.x0 > KEY_GLYPH_WIDTH_H * w.height


def _next_variable_entry(cur: list[OcrWord], w: OcrWord) -> bool:
    """``w`` starts the next entry of a survminer legend in a row: it begins with the
    ``"arm="`` the current entry began with ("arm=Q1 arm=Q2", the keys between them unread)."""
    first = _VARIABLE.match(cur[0].text)
    return first is not None and w.text.startswith(first.group(1) + "=")


def joins_name(cur: list[OcrWord], sym: OcrWord, after: list[OcrWord]) -> bool:
    """Is a symbol word a conjunction inside a name ("Surgery + RT"): "+" or "&" as wide as a
    letter, a word space from the words on both sides?"""
    if sym.text not in _CONJUNCTIONS or not cur or not after:
        return False
    h = max(sym.height, cur[-1].height, after[0].height)
    return sym.x1 - sym.x0 <= CONJUNCTION_WIDTH_H * h and \
        sym.x0 - cur[-1].x1 <= WORD_SPACE_H * h and after[0].x0 - sym.x1 <= WORD_SPACE_H * h and \
        after[0].text[:1].isalnum()


def join_words(entry: list[OcrWord]) -> str:
    """The text of an entry's words, a space apart. (Word boxes come from the recogniser's
    character positions: their gaps cannot tell a word split in two from a narrow space.)"""
    return " ".join(w.text for w in entry)


def x_axis_title(words: list[OcrWord], box: PlotBox) -> set[int]:
    """The words (by ``id``) of the x axis's title: the first line of text under the plot's tick
    labels, one run of words centred on the plot with no counts in it; empty when there is none.
    """
    below = [w for w in words if w.cy > box.bottom and w.x1 > box.left - 0.1 * box.width]
    for line in text_lines(below):
        if not any(_HAS_LETTERS.search(w.text) for w in line):
            continue  # the tick labels
        h = float(np.median([w.height for w in line]))
        gaps = [b.x0 - a.x1 for a, b in zip(line, line[1:])]
        centre = 0.5 * (line[0].x0 + line[-1].x1)
        one_run = all(g <= 1.5 * h for g in gaps) and not any(NUMBER.match(w.text) for w in line)
        if one_run and line[0].x0 >= box.left and \
                abs(centre - 0.5 * (box.left + box.right)) <= TITLE_CENTRE_SHARE * box.width:
            return {id(w) for w in line}
        return set()
    return set()
