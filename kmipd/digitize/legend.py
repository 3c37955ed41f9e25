"""Read the legend, and tell which arm a legend entry or a risk-table row belongs to.

A legend entry is matched to an arm by its sample -- the short line (in the arm's colour and line
style) or the coloured text next to it -- and otherwise by order, since plotting programs list the
legend in the order they draw the curves. Labels are kept as printed ("sex=1" stays "sex=1");
only a leading legend title such as survminer's "Strata" is dropped.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import numpy as np
from scipy.optimize import linear_sum_assignment

from kmipd.digitize.ocr import OcrWord
from kmipd.digitize.result import ArmTrace, PlotBox

_TITLES = {"strata", "group", "groups", "arm", "arms", "treatment", "legend", "procedure"}
_NOT_NAMES = re.compile(
    r"^(p|hr|ci|log|rank|logrank|median|n|no|number|at|risk|censored|survival|probability|"
    r"months?|years?|days?|weeks?|time)$", re.I)
_NUMERIC = re.compile(r"^[<>=≤≥]?[\d.,%()\-–]+$")


def normalise_label(text: str) -> str:
    """Lower-case letters and digits only, without a ``group=``-style prefix, for matching."""
    t = text.strip()
    if "=" in t:  # survminer writes "sex=1"; the row label may say "sex=1" or just "1"
        t = t.split("=", 1)[1] if not t.endswith("=") else t
    return re.sub(r"[^0-9a-z+\-]", "", t.lower())


def name_similarity(a: str, b: str) -> float:
    """Fuzzy similarity of two labels in [0, 1] (1 when equal after normalising)."""
    na, nb = normalise_label(a), normalise_label(b)
    if not na or not nb:
        return 0.0
    if na == nb:
        return 1.0
    if len(na) >= 3 and len(nb) >= 3 and (na in nb or nb in na):
        return 0.9 * min(len(na), len(nb)) / max(len(na), len(nb)) + 0.1
    return SequenceMatcher(None, na, nb).ratio()


def colour_distance(a, b) -> float:
    """Euclidean RGB distance, 0-441."""
    return float(np.linalg.norm(np.asarray(a, float) - np.asarray(b, float)))


def chroma(rgb) -> float:
    """How coloured (not grey) an RGB triple is, 0-255."""
    c = np.asarray(rgb, float)
    return float(c.max() - c.min())


def ink_colour(image: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> tuple | None:
    """Colour of the marks (text, line sample) in a box on a light background, or None."""
    h, w = image.shape[:2]
    a0, b0, a1, b1 = max(int(x0), 0), max(int(y0), 0), min(int(np.ceil(x1)), w), min(int(np.ceil(y1)), h)
    if a1 - a0 < 1 or b1 - b0 < 1 or image.ndim != 3:
        return None
    px = image[b0:b1, a0:a1].reshape(-1, 3).astype(float)
    bg = np.median(px, axis=0)
    dist = np.linalg.norm(px - bg, axis=1)
    ink = px[dist > 60]
    if len(ink) < 3:
        return None
    # anti-aliased edges are paler: keep the marks' cores, those farthest from the background
    far = np.linalg.norm(ink - bg, axis=1)
    core = ink[far >= np.percentile(far, 60)]
    return tuple(int(v) for v in np.median(core, axis=0))


def arms_distinct_by_colour(arms: list[ArmTrace], min_dist: float = 60.0) -> bool:
    """True when every pair of arms has clearly different colours (not all black or grey)."""
    cols = [a.colour for a in arms]
    if len(cols) < 2 or max(chroma(c) for c in cols) < 40:
        return False
    return all(colour_distance(cols[i], cols[j]) >= min_dist
               for i in range(len(cols)) for j in range(i + 1, len(cols)))


def match_to_arms(labels: list[str], colours: list[tuple | None], arms: list[ArmTrace],
                  names: list[str]) -> tuple[list[int | None], str]:
    """Assign items (legend entries or table rows) to arms.

    Parameters
    ----------
    labels : list of str
        Each item's text ('' when it has none).
    colours : list of tuple or None
        Each item's colour (its text or its line sample).
    arms : list of ArmTrace
    names : list of str
        Known arm names in the arms' order ('' where unknown).

    Returns
    -------
    assignment : list of int or None
        Arm index of each item.
    basis : str
        ``"name"``, ``"colour"``, or ``"order"``.
    """
    n, m = len(labels), len(arms)
    if n == 0 or m == 0:
        return [None] * n, "order"
    sim = np.array([[name_similarity(lab, nm) for nm in names] for lab in labels]).reshape(n, m)
    if sim.size and (sim.max(axis=1) >= 0.75).sum() >= min(n, m) - 1 and sim.max() >= 0.75:
        rows, cols = linear_sum_assignment(-sim)
        out: list[int | None] = [None] * n
        for r, c in zip(rows, cols):
            out[r] = int(c) if sim[r, c] >= 0.5 else None
        if sum(o is not None for o in out) >= min(n, m) - (1 if min(n, m) > 2 else 0):
            return out, "name"
    if arms_distinct_by_colour(arms) and all(c is not None and chroma(c) >= 40 for c in colours):
        cost = np.array([[colour_distance(c, a.colour) for a in arms] for c in colours])
        rows, cols = linear_sum_assignment(cost)
        if cost[rows, cols].max() < 150:
            out = [None] * n
            for r, c in zip(rows, cols):
                out[r] = int(c)
            return out, "colour"
    return [i if i < m else None for i in range(n)], "order"


def _line_sample(image: np.ndarray, word: OcrWord) -> tuple[tuple | None, str]:
    """Colour and style of the line sample left of a legend word, if one is there."""
    h = max(word.height, 6.0)
    x1 = word.x0 - 0.15 * h
    x0 = x1 - 3.5 * h
    y0, y1 = word.cy - 0.3 * h, word.cy + 0.3 * h
    col = ink_colour(image, x0, y0, x1, y1)
    style = "solid"
    if col is not None:
        a0, a1 = max(int(x0), 0), max(int(x1), 0)
        band = image[max(int(y0), 0):int(np.ceil(y1)), a0:a1].astype(float)
        if band.size:
            dark = (np.linalg.norm(band - band.reshape(-1, 3).max(axis=0), axis=2) > 60).any(axis=0)
            on = dark[np.argmax(dark):len(dark) - np.argmax(dark[::-1])] if dark.any() else dark
            if on.size > 4 and (~on).mean() > 0.2:
                style = "dashed" if (~on).mean() < 0.55 else "dotted"
    return col, style


def _legend_lines(words: list[OcrWord], box: PlotBox) -> list[list[OcrWord]]:
    """Candidate legend entries: runs of non-numeric words on one line, split at wide gaps."""
    lines: list[list[OcrWord]] = []
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        if _NUMERIC.match(w.text):
            continue
        for line in lines:
            last = line[-1]
            if abs(last.cy - w.cy) < 0.4 * max(last.height, w.height) and \
                    -0.2 * w.height < w.x0 - last.x1 < 1.2 * w.height:
                line.append(w)
                break
        else:
            lines.append([w])
    return lines


def read_legend(image: np.ndarray, box: PlotBox, arms: list[ArmTrace],
                words: list[OcrWord]) -> list[str]:
    """Name each arm from the figure's legend.

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

    Returns
    -------
    list of str
        One name per arm, in ``arms``' order; ``''`` where no legend entry was found for an arm.
    """
    if not arms:
        return []
    entries, samples, styles = [], [], []
    for line in _legend_lines(words, box):
        text = " ".join(w.text for w in line).strip()
        first = line[0]
        if first.text.lower().rstrip(":") in _TITLES and len(line) > 1:
            line, text = line[1:], " ".join(w.text for w in line[1:])
        if not text or text.lower().rstrip(":") in _TITLES or _NOT_NAMES.match(text):
            continue
        col, style = _line_sample(image, line[0])
        if col is None:
            continue  # a legend entry has a sample (line, marker, or box) beside it
        entries.append(text)
        samples.append(col)
        styles.append(style)
    entries, samples, styles = _best_group(entries, samples, styles, len(arms))
    if not entries:
        return [""] * len(arms)
    names = [""] * len(arms)
    assign, basis = match_to_arms(entries, samples, arms, [a.name for a in arms])
    if basis == "order" and len({a.line_style for a in arms}) == len(arms):
        by_style = {a.line_style: i for i, a in enumerate(arms)}
        if set(styles) == set(by_style):
            assign = [by_style[s] for s in styles]
    for e, a in zip(entries, assign):
        if a is not None and not names[a]:
            names[a] = e
    return names


def _best_group(entries, samples, styles, n_arms):
    """Keep the entries that look like one legend: as many as arms, with distinct samples."""
    if len(entries) <= n_arms:
        return entries, samples, styles
    # prefer entries whose sample is coloured or line-like over stray words with dark ink nearby
    score = [chroma(c) + (50 if s != "solid" else 0) for c, s in zip(samples, styles)]
    keep = sorted(np.argsort(score)[::-1][:n_arms])
    return [entries[i] for i in keep], [samples[i] for i in keep], [styles[i] for i in keep]
