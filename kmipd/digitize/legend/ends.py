"""Labels printed at the curves' ends: each names the curve it continues.

Some figures print no legend but write each arm's name just right of where its curve ends, at
the curve's height (spread apart vertically when the curves end close together). Such a label is
known by its place -- its colour need not be the arm's (black labels on black curves) -- so
it is matched to the arms by position: each label starts at a curve's end, and labels and curve
ends keep their top-to-bottom order. Labels printed in their arms' colours go by colour.
Labels the whole-image OCR missed are read again from their region
(:func:`end_labels_read_again`); labels at no traced end count curves the tracing missed
(:func:`unmatched_end_labels`).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from kmipd.digitize.legend.entries import legend_entries
from kmipd.digitize.match.pairing import chroma, colour_distance, ink_colour, match_to_arms
from kmipd.digitize.result import ArmTrace, PlotBox
from kmipd.digitize.text.ocr import OcrWord, is_marks, read_region

__all__ = ["curve_end_labels", "end_label_region", "end_labels_read_again", "unmatched_end_labels",
           "without_end_glyph"]

#: A label starts at most this many text heights left of a curve's end (anti-aliasing, a
#: trace stopping a pixel late) ...
END_LEFT_H = 0.6
#: ... and at most this many right of it (the space before the label, a trace stopping early).
END_RIGHT_H = 2.5
#: Censor ticks read as capitals ("HHH") and a decimal (an annotation's end, "0.012"): no
#: label read again starts with them.
_TICKS_LEADING = re.compile(r"^(?=.*[HTEL])[HTIEL1l|+]{2,6}$")
_DECIMAL = re.compile(r"^\d*[.,]\d+$")
#: The curve's end read as one glyph glued to its label ("LPlacebo": the last step's corner,
#: "HLow": a censor mark, "1Nivolumab": the last drop), when the label's box starts on the end.
_END_GLYPH = re.compile(r"^[HTIEL1l|+i](?=[A-Z0-9])")
#: Labels of curves ending close together are spread apart: a label may lie this many text
#: heights per arm from its curve's end.
SPREAD_H = 1.5
#: The traced end may lie this many text heights inside a label in its arm's colour.
LABEL_TRACED_H = 4.0


def _ends(arms: list[ArmTrace]) -> list[tuple[float, float] | None]:
    """Each arm's end: the right-most point of its trace, ``(x, y)`` in pixels."""
    out: list[tuple[float, float] | None] = []
    for arm in arms:
        pts = np.asarray(arm.steps_px, float).reshape(-1, 2)
        if len(pts) == 0:
            out.append(None)
            continue
        last = pts[np.flatnonzero(pts[:, 0] >= pts[:, 0].max() - 0.5)]
        out.append((float(last[:, 0].max()), float(last[:, 1].max())))
    return out


def end_label_region(arms: list[ArmTrace], box: PlotBox, shape: tuple[int, ...],
                     h: float, back_h: float = END_LEFT_H) -> tuple[int, int, int, int] | None:
    """The rectangle right of the curves' ends where labels at the ends are printed,
    ``(x0, y0, x1, y1)`` in pixels, to read again when the whole-image OCR missed them (small
    text over a confidence band); None when no arm has an end. It starts ``back_h`` text
    heights left of the first end: further back (:data:`LABEL_TRACED_H`) where a label in its
    arm's colour may have been traced as the curve's last stretch."""
    ends = [e for e in _ends(arms) if e is not None]
    if not ends or h <= 0:
        return None
    reach = (1.0 + SPREAD_H * len(arms)) * h
    x0 = min(x for x, _ in ends) - back_h * h
    y0 = max(min(y for _, y in ends) - reach, 0)
    y1 = min(max(y for _, y in ends) + reach, box.bottom)  # the table lies under the plot
    if x0 >= shape[1] - 2 or y1 - y0 < h:
        return None
    return int(x0), int(y0), int(shape[1]), int(y1)


def _starts_at(entry: list[OcrWord], end: tuple[float, float] | None, h: float) -> bool:
    """Does the entry begin just right of this curve end? A label in the arm's colour may
    have been traced as the curve's last stretch: then the end lies inside the label."""
    if end is None:
        return False
    dx = entry[0].x0 - end[0]
    inside = entry[0].x0 <= end[0] <= entry[-1].x1 + END_LEFT_H * h and \
        min(w.y0 for w in entry) - h <= end[1] <= max(w.y1 for w in entry) + h
    return -END_LEFT_H * h <= dx <= END_RIGHT_H * h or inside


def without_end_glyph(text: str, entry: list[OcrWord], arms: list[ArmTrace]) -> str:
    """``text`` without the curve's end read as its first glyph (:data:`_END_GLYPH`), when the
    entry's box starts on an arm's end, or holds it (a label in its arm's colour traced as the
    curve's last stretch): the label is printed tight against its curve."""
    if not entry or not _END_GLYPH.match(text):
        return text
    h = float(np.median([w.height for w in entry]))
    first = entry[0]
    on_end = any(e is not None and first.x0 - END_LEFT_H * h <= e[0] <= entry[-1].x1 + END_LEFT_H * h
                 and first.y0 - h <= e[1] <= first.y1 + h for e in _ends(arms))
    return _END_GLYPH.sub("", text) if on_end else text


def _by_colour(image: np.ndarray, cands: list, arms: list[ArmTrace]) -> list[str] | None:
    """The labels' names by their ink, when labels and arms are coloured alike; None when the
    colours do not tell (black labels, arms of one ink) or a label is not at its arm's end."""
    colours = [ink_colour(image, min(w.x0 for w in e), min(w.y0 for w in e),
                          max(w.x1 for w in e), max(w.y1 for w in e)) for e, *_ in cands]
    assign, basis = match_to_arms([c[1] for c in cands], colours, arms, [""] * len(arms))
    if basis != "colour" or any(j is None or j not in c[3] for j, c in zip(assign, cands)):
        return None
    names = [""] * len(arms)
    for j, c in zip(assign, cands):
        names[j] = c[1]
    return names


def curve_end_labels(entries: list[list[OcrWord]], texts: list[str | None],
                     arms: list[ArmTrace], box: PlotBox,
                     image: np.ndarray | None = None) -> list[str] | None:
    """Name every arm from the label at its curve's end, or None when the figure has none.

    Parameters
    ----------
    entries : list of list of OcrWord
        Candidate text runs (legend entries), each left to right.
    texts : list of str or None
        Each entry's text when it can be a name (None: statistics, a title, a number, ...).
    arms : list of ArmTrace
    box : PlotBox
        The plot area: axis labels and the table under it are never curve-end labels.
    image : ndarray, optional
        The RGB figure: labels printed in their arms' colours go to the arm of their colour
        (curves ending close together may have their labels spread in another order).

    Returns
    -------
    list of str or None
        One name per arm, in ``arms``' order, when every arm has its own label; else None.
    """
    if not arms or len(entries) != len(texts):
        return None
    ends = _ends(arms)
    cands = []
    for entry, text in zip(entries, texts):
        if not text or entry[0].cy > box.bottom or entry[0].x0 < box.left:
            continue
        h = float(np.median([w.height for w in entry]))
        near = [j for j, e in enumerate(ends) if _starts_at(entry, e, h)]
        if near:
            cands.append((entry, without_end_glyph(text, entry, arms), h, near))
    if len(cands) != len(arms):
        return None
    by_colour = _by_colour(image, cands, arms) if image is not None else None
    if by_colour is not None:
        return by_colour
    # top to bottom, labels and curve ends in the same order; each label at its curve's end
    labels = sorted(cands, key=lambda c: c[0][0].cy)
    order = sorted(range(len(arms)), key=lambda j: (ends[j] or (0.0, np.inf))[1])
    names = [""] * len(arms)
    for (entry, text, h, near), j in zip(labels, order):
        end = ends[j]
        if j not in near or end is None or abs(entry[0].cy - end[1]) > SPREAD_H * h * len(arms):
            return None
        names[j] = text
    return names


#: A label in a colour this far (RGB distance) from every arm's, and this colourful, names a
#: curve the tracing missed.
OTHER_COLOUR = 80.0
OTHER_CHROMA = 40.0


def unmatched_end_labels(entries: list[list[OcrWord]], texts: list[str | None],
                         arms: list[ArmTrace], box: PlotBox, image: np.ndarray) -> int:
    """How many labels stand among the labels at the curves' ends but at no traced end: in line
    with them, or in a colour no traced arm has. Each names a curve the tracing missed (a pale
    dotted one). 0 when no label stands at a traced curve's end (the figure labels none)."""
    ends = [e for e in _ends(arms) if e is not None]
    if not ends:
        return 0
    first, right = min(x for x, _ in ends), max(x for x, _ in ends)
    labels = [(e, float(np.median([w.height for w in e]))) for e, t in zip(entries, texts)
              if t and box.top <= e[0].cy <= box.bottom]
    at_end = [(e, h) for e, h in labels if any(_starts_at(e, end, h) for end in ends)]
    if not at_end:
        return 0
    column = float(np.median([e[0].x0 for e, _ in at_end]))
    # the labels at traced ends, and those in line with them (labels set at one x)
    lined = [(e, h) for e, h in labels if any(e is a for a, _ in at_end)
             or (len(at_end) >= 2 and abs(e[0].x0 - column) <= 0.5 * h)]
    other = max(0, len(lined) - len(arms))
    for entry, h in labels:
        if any(entry is e for e, _ in lined) or entry[-1].x1 < first or \
                entry[0].x0 > right + END_RIGHT_H * h:
            continue  # counted, or not where the curves end
        colour = ink_colour(image, entry[0].x0, min(w.y0 for w in entry), entry[-1].x1,
                            max(w.y1 for w in entry))
        if colour is not None and chroma(colour) >= OTHER_CHROMA and \
                min(colour_distance(colour, a.colour) for a in arms) > OTHER_COLOUR:
            other += 1
    return other


def end_labels_read_again(image: np.ndarray, box: PlotBox, arms: list[ArmTrace],
                          words: list[OcrWord],
                          label_text: Callable[[list[OcrWord]], str | None]) -> list[str] | None:
    """The labels at the curves' ends read again from their region: small text, or text over
    a confidence band or the plot's frame, the whole-image OCR missed or read in part.

    Parameters
    ----------
    image : ndarray
        The RGB figure.
    box : PlotBox
    arms : list of ArmTrace
    words : list of OcrWord
        The whole-image OCR, for the text height.
    label_text : callable
        An entry's text as a curve-end label, or None when it cannot be one (statistics, a
        title, a number).

    Returns
    -------
    list of str or None
        :func:`curve_end_labels` of the region read tight at the ends, else further back
        (:data:`LABEL_TRACED_H`); None when neither names every arm.
    """
    h = float(np.median([w.height for w in words])) if words else 0.0
    for back in (END_LEFT_H, LABEL_TRACED_H):
        region = end_label_region(arms, box, image.shape, h, back)
        names = _end_labels_in(image, box, arms, region, h, label_text) if region else None
        if names is not None:
            return names
    return None


def _end_labels_in(image: np.ndarray, box: PlotBox, arms: list[ArmTrace],
                   region: tuple[int, int, int, int], h: float,
                   label_text: Callable[[list[OcrWord]], str | None]) -> list[str] | None:
    """:func:`curve_end_labels` of the text OCR reads in ``region`` (vertical rules erased)."""
    x0, y0, x1, y1 = region
    crop = _without_vertical_rules(image[y0:y1, x0:x1])
    found = [w.shifted(x0, y0) for w in read_region(crop, 0, 0, x1 - x0, y1 - y0,
                                                    zoom=2.0 if h < 12 else 1.0)
             if not is_marks(w.text)]
    entries = [e[next((k for k, w in enumerate(e) if not _DECIMAL.match(w.text)
                       and not _TICKS_LEADING.match(w.text)), len(e)):]
               for e in (legend_entries(found) if found else [])]
    # a word at the region's left edge may be the end of one cut there ("tervention")
    entries = [e for e in entries if e and e[0].x0 > x0 + 0.3 * h]
    return curve_end_labels(entries, [label_text(e) for e in entries], arms, box, image)


def _without_vertical_rules(crop: np.ndarray) -> np.ndarray:
    """A copy of ``crop`` with the vertical rules through it (the plot's frame, a grid line)
    painted over in the paper's colour: OCR misreads a label a rule crosses."""
    out = np.array(crop, copy=True)
    if out.ndim != 3 or out.shape[0] < 4:
        return out
    paper = np.median(out.reshape(-1, 3), axis=0)
    ink = np.linalg.norm(out.astype(float) - paper, axis=2) > 60
    out[:, ink.mean(axis=0) > 0.8] = paper.astype(out.dtype)
    return out
