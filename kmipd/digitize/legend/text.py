"""Whether OCR text can be a legend entry, and the spelling fixes its reading needs.

Without a key beside it, an entry is known by its text printed in an arm's colour
(:func:`arm_coloured_text`); words lying on a curve are censor ticks read as letters
(:func:`on_curve`); an "l" among capitals is a misread "I" (:func:`capital_i`); survminer's
"arm=" prefixes agree (:func:`agree_prefixes`) and so do Roman numerals (:func:`roman_siblings`)
and the words siblings share (:func:`sibling_words`).
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import numpy as np

from kmipd.digitize.match.pairing import chroma, colour_distance
from kmipd.digitize.result import ArmTrace
from kmipd.digitize.text.ocr import OcrWord

#: Text at most this far (RGB distance) from an arm's colour is printed in that colour.
TEXT_COLOUR_TOL = 120.0
#: A grey arm's legend text may be grey: text within this of a light arm's colour counts.
GREY_TEXT_TOL = 60.0


def arm_coloured_text(colour: tuple | None, arms: list[ArmTrace], coloured: bool) -> bool:
    """Is text of this ``colour`` printed in an arm's colour (a legend entry without a key)?

    Coloured text counts when the arms are told apart by colour and it is near one of them (a
    green label on a red-blue figure is an annotation), or in any figure of grey arms; grey text
    counts only when it matches a light arm's grey, since black text is any label's colour.
    """
    if colour is None or not arms:
        return False
    gap = min(colour_distance(colour, a.colour) for a in arms)
    if chroma(colour) >= 60:
        return not coloured or gap <= TEXT_COLOUR_TOL
    light = [a for a in arms if float(np.mean(a.colour)) > 110 and
             colour_distance(colour, a.colour) <= GREY_TEXT_TOL]
    return bool(light) and float(np.mean(colour)) > 110


def on_curve(entry: list[OcrWord], arms: list[ArmTrace]) -> bool:
    """True when a traced curve runs through the middle of the words over most of their width.

    OCR reads a run of censor ticks on a curve as letters ("EE E L"); a real label sits beside a
    curve, never on it.
    """
    x0, x1 = entry[0].x0, entry[-1].x1
    y0, y1 = min(w.y0 for w in entry), max(w.y1 for w in entry)
    inner = 0.1 * (y1 - y0)
    worded = re.search(r"[A-Za-z]{2}", "".join(w.text for w in entry)) is not None
    xs = np.arange(np.floor(x0), np.ceil(x1) + 1)
    if xs.size < 2:
        return False
    for arm in arms:
        pts = np.asarray(arm.steps_px, float).reshape(-1, 2)
        if len(pts) < 2:
            continue
        inside = xs[(xs >= pts[:, 0].min()) & (xs <= pts[:, 0].max())]
        if inside.size < 0.5 * xs.size or (worded and x0 + (x1 - x0) / 3 < pts[:, 0].max()
                                           <= x1 + (y1 - y0)):
            continue  # (a trace ending in words: a label in its arm's colour traced on)
        order = np.argsort(pts[:, 0], kind="stable")
        y = np.interp(inside, pts[order, 0], pts[order, 1])
        if np.mean((y > y0 + inner) & (y < y1 - inner)) * inside.size > 0.5 * xs.size:
            return True
    return False


def capital_i(text: str) -> str:
    """"Post-ICl" -> "Post-ICI": an "l" in a word of capitals is a capital I misread."""
    def fix(m: re.Match) -> str:
        w = m.group()
        rest = w.replace("l", "")
        return w.replace("l", "I") if len(rest) >= 2 and rest.isupper() else w

    return re.sub(r"[A-Za-z]+", fix, text)


def agree_prefixes(names: list[str]) -> list[str]:
    """Names of survminer's ``"arm=Drug"`` form given the variable name most of them read
    (``"larm=Wild type"`` beside ``"arm=Mutant"``: a key's end glued to the word).

    A prefix that most names share wins; of two that differ, the one the other ends with (the
    other has a glyph more). Prefixes farther apart than that are left alone.
    """
    names = _dash_for_equals(names)
    parts = [n.split("=", 1) if "=" in n else None for n in names]
    prefixes = [p[0] for p in parts if p is not None]
    if len(prefixes) < 2 or len(set(prefixes)) == 1:
        return names
    common = max(set(prefixes), key=prefixes.count)
    if prefixes.count(common) * 2 <= len(prefixes):
        shortest = min(prefixes, key=len)
        if len(set(prefixes)) != 2 or not all(p.endswith(shortest) for p in prefixes):
            return names
        common = shortest
    out = []
    for name, part in zip(names, parts):
        close = part is not None and SequenceMatcher(None, part[0], common).ratio() >= 0.7
        out.append(f"{common}={part[1]}" if close else name)
    return out


#: survminer's variable prefix with its "=" read as a dash: "strata-Docetaxel".
_DASHED_PREFIX = re.compile(r"^([a-z][a-z_.]{2,})[-–=](?=\S)")


def _dash_for_equals(names: list[str]) -> list[str]:
    """``"strata-A"``, ``"strata-B"`` -> ``"strata=A"``, ``"strata=B"``: a lower-case variable
    name that every name starts with, followed by a dash, is survminer's ``"strata="`` read
    wrong (names of their own, "Anti-PD1", are capitalised or differ); some may have read it
    right."""
    found = [_DASHED_PREFIX.match(n) for n in names]
    if len(names) < 2 or not all(found) or len({m.group(1) for m in found}) != 1:
        return names
    return [f"{m.group(1)}={n[m.end():]}" for n, m in zip(names, found)]


#: A lone "I" read as one of these (the recogniser's digits and marks for one upright stroke).
_ONE_STROKE = {"1", "l", "!", "|", "i"}


def roman_siblings(names: list[str]) -> list[str]:
    """"Stage 1" beside "Stage II" and "Stage III" -> "Stage I": one stroke read as a digit or
    a mark where the other names of the same words end in Roman numerals."""
    split = [n.rsplit(" ", 1) if " " in n else None for n in names]
    roman = {p[0] for p in split if p is not None and re.fullmatch(r"[IVX]{2,}", p[1])}
    return [f"{p[0]} I" if p is not None and p[0] in roman and p[1] in _ONE_STROKE else n
            for n, p in zip(names, split)]


#: The word that tells siblings apart ("Stage II", "Group 3", "Arm B", "Q4").
_SIBLING_MARK = re.compile(r"^(?:[IVX]+|\d{1,2}|[A-Z]|Q\d)$")


def sibling_words(names: list[str]) -> list[str]:
    """Names of one pattern ("Stage I", "Stage II", "Stage III") made to agree where one was
    read without its shared words ("II": they were cut off or read apart), with a glyph more
    in front ("1 Group 1": a key read as "1"), or without its mark ("Group": see
    :func:`_lost_mark`).

    Two or more other names must be the same words followed by one sibling mark
    (:data:`_SIBLING_MARK`), and at most one name of that shape differ; the odd name is mended
    only when that leaves it a sibling too, and all names stay different.
    """
    words = [n.split() for n in names]
    stems = [" ".join(w[:-1]) for w in words if len(w) >= 2 and _SIBLING_MARK.match(w[-1])]
    if not stems:
        return names
    stem = max(set(stems), key=stems.count)
    lost = _lost_mark(stem, names)
    if lost is not None:
        return [f"{stem} {lost}" if n.strip() == stem else n for n in names]
    if stems.count(stem) < 2 or stems.count(stem) < len(stems) - 1:
        return names
    out = []
    for name, w in zip(names, words):
        if len(w) == 1 and _SIBLING_MARK.match(w[0]) and name.strip():
            out.append(f"{stem} {w[0]}")
        elif len(w) >= 3 and len(w[0]) == 1 and " ".join(w[1:-1]) == stem and _SIBLING_MARK.match(w[-1]):
            out.append(" ".join(w[1:]))
        else:
            out.append(name)
    return out if len(set(out)) == len(out) else names


#: The runs sibling marks count in: numbers, letters, Roman numerals, quartiles.
_MARK_RUNS = ([str(k) for k in range(1, 10)], [chr(ord("A") + k) for k in range(8)],
              ["I", "II", "III", "IV", "V", "VI"], [f"Q{k}" for k in range(1, 5)])


def skipped_siblings(names: list[str]) -> list[str]:
    """The names a run of sibling names skips: "Arm A" and "Arm C" skip "Arm B" (an arm the
    tracing or the legend's reading missed); [] when nothing is skipped."""
    marks: dict[str, set[str]] = {}
    for w in (n.split() for n in names):
        if w and _SIBLING_MARK.match(w[-1]):  # ("Q1": a mark with no stem)
            marks.setdefault(" ".join(w[:-1]), set()).add(w[-1])
    out = []
    for stem, got in marks.items():
        run = next((r for r in _MARK_RUNS if len(got) >= 2 and got <= set(r)), None)
        if run is not None:
            at = sorted(run.index(m) for m in got)
            out += [f"{stem} {m}".strip() for m in run[at[0]:at[-1] + 1] if m not in got]
    # a name read without its space ("ArmC") is there all the same
    bare = {"".join(n.lower().split()) for n in names}
    return [n for n in out if "".join(n.lower().split()) not in bare]


def _lost_mark(stem: str, names: list[str]) -> str | None:
    """The one sibling mark missing from a run ("Group 1", "Group 2", "Group 4": "3") when
    exactly one name reads the stem alone ("Group": its thin "1" dropped by the OCR), else
    None. The marks must be numbers 1..n, letters A.. or Roman numerals I.. (n names in all)."""
    if sum(n.strip() == stem for n in names) != 1:
        return None
    marks = {n.strip()[len(stem):].strip() for n in names if n.strip().startswith(stem + " ")}
    if len(marks) != len(names) - 1:
        return None
    for run in ([str(k) for k in range(1, len(names) + 1)],
                [chr(ord("A") + k) for k in range(len(names))],
                ["I", "II", "III", "IV", "V", "VI"][:len(names)]):
        missing = [m for m in run if m not in marks]
        if len(missing) == 1 and marks <= set(run):
            return missing[0]
    return None


#: A glyph the OCR box cut off: ink that goes on from the box's right edge, no wider than this
#: many text heights (a longer run is a line: a key, a frame, a curve) ...
CLIPPED_MAX_H = 1.2
#: ... and ending in a blank gap of this many text heights.
CLIPPED_GAP_H = 0.35


def clipped_end(image: np.ndarray, word: OcrWord) -> float | None:
    """Where the ink of a glyph the OCR box of ``word`` cut off ends ("Arm D" boxed and read as
    "Arm"), or None when the box ends in blank paper."""
    h = word.height
    y0, y1 = int(word.y0 + 0.15 * h), int(np.ceil(word.y1 - 0.15 * h))
    x0, x1 = int(np.floor(word.x1)), int(np.ceil(word.x1 + (CLIPPED_MAX_H + CLIPPED_GAP_H) * h))
    if y1 - y0 < 2 or x0 < 0 or x1 > image.shape[1] or image.ndim != 3:
        return None
    strip = image[y0:y1, x0:x1].astype(float)
    paper = np.median(image[y0:y1, max(x0 - int(3 * h), 0):x1].reshape(-1, 3), axis=0)
    inked = (np.linalg.norm(strip - paper, axis=2) > 60).any(axis=0)
    if not inked[:2].any():
        return None
    gap = max(int(CLIPPED_GAP_H * h), 2)
    blank = np.convolve(~inked, np.ones(gap), "valid") >= gap
    if not blank.any():
        return None
    end = int(np.argmax(blank))
    if end > CLIPPED_MAX_H * h or end < 0.2 * h:
        return None  # a line running on, or a frame's stroke beside the text
    return float(x0 + end)
