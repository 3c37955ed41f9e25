"""Read the legend: name each arm from its legend entry.

A legend entry is matched to an arm by its key -- the short line (in the arm's colour and line
style, :mod:`kmipd.digitize.match.keys`) or the coloured text -- and otherwise by order, since
plotting programs list the legend in the order they draw the curves. Without a legend of keys,
labels printed at the curves' ends name them by place (:mod:`kmipd.digitize.legend.ends`).
Statistics ("HR 0.72 (95% CI ...)", "p = 0.012"), titles and the x axis's title are never
names. Labels are kept as printed ("sex=1" stays "sex=1"); only a title such as survminer's
"Strata" and trailing numbers ("(n = 120): 8.9 (6.9-10.9)") are dropped. A name printed again as a risk-table row label is
taken in its cleaner reading. How entries and table rows are matched to arms is in
:mod:`kmipd.digitize.match.pairing`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kmipd.digitize.frame.axes import find_ticks
from kmipd.digitize.frame.calibrate import calibrate
from kmipd.digitize.legend.ends import (
    curve_end_labels,
    end_labels_read_again,
    unmatched_end_labels,
)
from kmipd.digitize.legend.entries import (
    NUMBER,
    legend_entries,
    x_axis_title,
)
from kmipd.digitize.legend.entry import (
    MIN_LABEL_SCORE,
    ORPHAN_KEY_CHROMA,
    TITLES,
    name_words,
    orphan_entry,
    read_entry,
    split_at_keys,
)
from kmipd.digitize.legend.pick import aligned, by_grey, keyed_legend_size, pick_legend
from kmipd.digitize.legend.table import names_from_table
from kmipd.digitize.legend.text import (
    agree_prefixes,
    capital_i,
    on_curve,
    roman_siblings,
    sibling_words,
)
from kmipd.digitize.match.pairing import (
    by_line_style,
    chroma,
    clean_name,
    match_to_arms,
    name_similarity,
    normalise_label,
)
from kmipd.digitize.result import ArmTrace, AxisMapping, PlotBox
from kmipd.digitize.table.layout import table_row_labels
from kmipd.digitize.text.ocr import OcrWord, is_marks

__all__ = ["LegendReading", "read_legend", "read_legend_reading"]

@dataclass(frozen=True)
class LegendReading:
    """What the legend says: a name per arm and how many keyed entries it lists."""

    names: list[str]
    #: Entries with a key (a line sample) in the largest legend read; 0 when there is none. More
    #: keyed entries than arms traced means an arm was missed.
    keyed_entries: int = 0


def read_legend(image: np.ndarray, box: PlotBox, arms: list[ArmTrace],
                words: list[OcrWord], mapping: AxisMapping | None = None) -> list[str]:
    """The arms' names: :func:`read_legend_reading`'s ``names``."""
    return read_legend_reading(image, box, arms, words, mapping).names


def read_legend_reading(image: np.ndarray, box: PlotBox, arms: list[ArmTrace],
                        words: list[OcrWord], mapping: AxisMapping | None = None) -> LegendReading:
    """Name each arm from the figure's legend or the labels at the curves' ends, else from the
    risk table's row labels.

    Parameters
    ----------
    image : ndarray
        RGB figure.
    box : PlotBox
        The plot area.
    arms : list of ArmTrace
        The curves found, in their order.
    words : list of OcrWord
        OCR words of the whole image.
    mapping : AxisMapping, optional
        The axes' calibration, to match the risk table's rows to the curves by their counts
        when only the rows name the arms; calibrated here (tick marks and labels) when needed
        and not given.

    Returns
    -------
    LegendReading
        ``names``: one per arm, in ``arms``' order; ``''`` where neither a legend entry nor a
        table row label tells an arm's name (:func:`kmipd.digitize.legend.table.names_from_table`).
        ``keyed_entries``: the size of the legend of keyed entries.
    """
    if not arms:
        return LegendReading([])
    found = []  # (text, colour, style, has_key, reading order, words, key's fill)
    seen = set()
    title = x_axis_title(words, box)  # never a name, whatever ink lies beside it
    entries = split_at_keys(image, legend_entries([w for w in words if id(w) not in title
                                                    and not is_marks(w.text)]))
    # risk-table row labels (text under the plot, before any number): the names again
    labels = [(" ".join(w.text for w in e[:next((i for i, w in enumerate(e)
                                                   if NUMBER.match(w.text)), len(e))]),
               min(w.score for w in e)) for e in entries if e[0].y0 > box.bottom]
    orphans = []  # keyed entries naming no arm traced: an arm the tracing missed
    for k, entry in enumerate(entries):
        got = read_entry(image, box, arms, entries, entry)
        if got is None:
            orphan = orphan_entry(image, box, entries, entry)
            if orphan is not None:
                orphans.append((*orphan, k, entry, float("nan")))
            continue
        text, colour, style, has_key, score, fill = got
        norm = normalise_label(text)
        if norm in seen:
            if has_key:  # a name read in part twice ("PD-L1" for "PD-L1 <1%"): still an entry
                orphans.append((text, colour, style, has_key, k, entry, fill))
            continue
        seen.add(norm)
        found.append((_spelling(text, score, labels), colour, style, has_key, k, entry, fill))
    names = _legend_names(found, arms) if found else [""] * len(arms)
    if names.count("") == 1 and len(found) == len(arms) - 1:
        names = _one_left(names, found, entries, box, labels)
    keyed = sum(bool(f[3]) for f in found) >= len(arms)
    missed = 0
    if not keyed:  # no legend of keys: the names may be printed at the curves' ends
        texts = [_end_label(box, arms, e, labels) for e in entries]
        at_ends = curve_end_labels(entries, texts, arms, box, image)
        if at_ends is None and not all(names):
            at_ends = end_labels_read_again(image, box, arms, words,
                                            lambda e: _end_label(box, arms, e, labels))
        if at_ends is not None:
            names = at_ends
        missed = unmatched_end_labels(entries, texts, arms, box, image)
    # a grey key counts as a legend's entry (an arm traced in no line, a pale dotted one) only
    # among the keyed entries of a legend: alone, a grey line beside text is a rule
    orphans = [o for o in orphans if chroma(o[1]) >= ORPHAN_KEY_CHROMA
               or any(f[3] and aligned(o[5], f[5]) for f in found)]
    n_keyed = keyed_legend_size(found + orphans) if found else 0
    if missed:  # labels at the curves' ends count the arms as a legend's keys do
        n_keyed = max(n_keyed, len(arms) + missed)
    names = sibling_words(roman_siblings(agree_prefixes(names)))
    rows = table_row_labels(words, box)
    if len(rows) == len(arms):
        names = _read_twice_unnamed(names)
    if all(names) or len(rows) != len(arms):
        return LegendReading(names, n_keyed)
    if mapping is None:  # the survival axis, to tell which curve a row's counts follow
        mapping = _calibrate(image, box, words)
    named = names_from_table(names, arms, rows, image, words, mapping)
    return LegendReading(sibling_words(named) if named != names else named, n_keyed)


def _read_twice_unnamed(names: list[str]) -> list[str]:
    """A name read for two arms names neither for sure (one is a misreading, "Stage II" for
    "Stage I"): both are left for the table's row labels to name."""
    norm = [normalise_label(n) for n in names]
    return ["" if n and norm.count(m) > 1 else n for n, m in zip(names, norm)]


def _one_left(names: list[str], found: list, entries: list[list[OcrWord]], box: PlotBox,
              labels: list[tuple[str, float]]) -> list[str]:
    """The one arm the legend left unnamed, named by the one other entry of that legend: text in
    line or stacked with the entries found (its key or colour was not recognised)."""
    used = {id(w) for f in found for w in f[5]}
    cands = []
    for entry in entries:
        got = None if any(id(w) in used for w in entry) else name_words(entry, box)
        if got is None or got[1].lower().rstrip(":") in TITLES or \
                min(w.score for w in got[0]) < MIN_LABEL_SCORE:
            continue
        if any(aligned(got[0], f[5]) for f in found):
            cands.append(_spelling(got[1], min(w.score for w in got[0]), labels))
    if len(cands) != 1 or normalise_label(cands[0]) in {normalise_label(n) for n in names}:
        return names
    return [n or capital_i(cands[0]) for n in names]


def _end_label(box: PlotBox, arms: list[ArmTrace], entry: list[OcrWord],
               labels: list[tuple[str, float]]) -> str | None:
    """An entry's text as a curve-end label (any colour: its place tells), or None."""
    got = name_words(entry, box)
    if got is None or on_curve(got[0], arms):
        return None
    score = min(w.score for w in got[0])
    return capital_i(_spelling(got[1], score, labels)) if score >= MIN_LABEL_SCORE else None


def _calibrate(image: np.ndarray, box: PlotBox, words: list[OcrWord]) -> AxisMapping | None:
    """The axes' calibration (tick marks and their labels), or None when it fails."""
    try:
        return calibrate(image, box, words, x_ticks=find_ticks(image, box, "x"),
                         y_ticks=find_ticks(image, box, "y")).mapping
    except Exception:  # noqa: BLE001 - without it the table's rows are matched by label only
        return None


def _legend_names(found: list, arms: list[ArmTrace]) -> list[str]:
    """Arm names from the legend entries found: by name, key colour, line style or order."""
    if len(found) > len(arms):
        found = pick_legend(found, arms)
    texts = [f[0] for f in found]
    keyed = all(f[3] for f in found)
    assign, basis = match_to_arms(texts, [f[1] for f in found], arms, [a.name for a in arms], keyed)
    if basis == "order":
        shades = [float(np.mean(f[1])) if f[1] is not None else np.nan for f in found]
        assign = by_line_style([f[2] for f in found], [f[6] for f in found], arms, shades) or \
            (by_grey([f[1] for f in found], arms) if keyed else None) or assign
    names = [""] * len(arms)
    for t, a in zip(texts, assign):
        if a is not None and not names[a]:
            names[a] = t
    return names


def _spelling(text: str, score: float, labels: list[tuple[str, float]]) -> str:
    """The cleanest reading of a name printed twice (legend and table row label)."""
    sims = [(name_similarity(lab, text), s, lab) for lab, s in labels
            if not _contains(normalise_label(lab), normalise_label(text))]
    same = [x for x in sims if x[0] == 1.0]
    close = same or [x for x in sims if x[0] >= 0.8]
    if len(same) >= 1 or len(close) == 1:  # one label it can only be (not "Stage I" for "II")
        best = max(close, key=lambda x: x[1])
        if best[1] >= score - 0.01:
            return clean_name(best[2])
    return text


def _contains(a: str, b: str) -> bool:
    """One label is the other with more words ("B Hybrid", a panel letter, and "Hybrid")."""
    return a != b and (a in b or b in a)

