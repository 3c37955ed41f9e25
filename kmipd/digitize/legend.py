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


def line_sample(image: np.ndarray, x_end: float, cy: float, h: float) -> tuple[tuple | None, str]:
    """Colour and style of a legend key (a short horizontal line) ending just left of ``x_end``.

    Returns ``(None, "")`` when there is none: text, a vertical frame line or blank paper.
    """
    if image.ndim != 3:
        return None, ""
    H, W = image.shape[:2]
    a0, a1 = max(int(x_end - 4.5 * h), 0), max(int(x_end - 0.05 * h), 0)
    b0, b1 = max(int(cy - 0.6 * h), 0), min(int(np.ceil(cy + 0.6 * h)), H)
    if a1 - a0 < 3 or b1 - b0 < 2:
        return None, ""
    px = image[b0:b1, a0:a1].astype(float)
    bg = np.median(px.reshape(-1, 3), axis=0)
    ink = np.linalg.norm(px - bg, axis=2) > 60
    best, best_row = 0.0, -1
    off = max(2, int(round(0.3 * h)))
    for y in range(ink.shape[0]):
        xs = np.flatnonzero(ink[y])
        if xs.size < max(3, 0.6 * h):
            continue
        extent = xs[-1] - xs[0] + 1
        # a key reaches close to its label and is long and mostly filled
        if extent < 0.9 * h or ink.shape[1] - 1 - xs[-1] > 1.6 * h or xs.size / extent < 0.3:
            continue
        colour = np.median(px[y, xs], axis=0)
        # a key is a thin line (a marker or a paler fill box around it is fine); a row through
        # text has ink of the same colour just above and below it too
        same = 0.0
        for yy in (y - off, y + off):
            if 0 <= yy < ink.shape[0]:
                same = max(same, float((np.linalg.norm(px[yy, xs] - colour, axis=1) < 50).mean()))
        if same > 0.45:
            continue
        strength = xs.size * (1 + chroma(colour) / 64)
        if strength > best:
            best, best_row = strength, y
    if best_row < 0:
        return None, ""
    xs = np.flatnonzero(ink[best_row])
    run = ink[best_row, xs[0]:xs[-1] + 1]
    gaps = 1.0 - run.mean()
    style = "solid" if gaps < 0.15 else ("dashed" if gaps < 0.6 else "dotted")
    colour = tuple(int(v) for v in np.median(px[best_row, xs], axis=0))
    return colour, style


_SYMBOL = re.compile(r"^[^0-9A-Za-z]+$|^[xX]$")


def legend_entries(words: list[OcrWord]) -> list[list[OcrWord]]:
    """Runs of words that may be legend entries: split at wide gaps and at key symbols."""
    lines: list[list[OcrWord]] = []
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        for line in lines:
            if abs(line[-1].cy - w.cy) < 0.4 * max(line[-1].height, w.height) and w.x0 > line[-1].x0:
                line.append(w)
                break
        else:
            lines.append([w])
    entries: list[list[OcrWord]] = []
    for line in lines:
        cur: list[OcrWord] = []
        for w in sorted(line, key=lambda w: w.x0):
            # OCR reads line keys as "+", "-|-", "十" ...: they separate entries
            sym = _SYMBOL.match(w.text) is not None
            if cur and (sym or w.x0 - cur[-1].x1 > 1.5 * max(w.height, cur[-1].height)):
                entries.append(cur)
                cur = []
            if not sym:
                cur.append(w)
        if cur:
            entries.append(cur)
    return entries


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
    found = []  # (text, colour, style, has_key, reading order, words)
    seen = set()
    for k, entry in enumerate(legend_entries(words)):
        if entry[0].text.lower().rstrip(":") in _TITLES and len(entry) > 1:
            entry = entry[1:]
        if entry[0].y0 > box.bottom:
            # under the plot a label may be a risk-table row label: its counts are not the name
            cut = next((i for i, w in enumerate(entry) if _NUMERIC.match(w.text)), len(entry))
            entry = entry[:cut]
            if not entry:
                continue
        text = " ".join(w.text for w in entry).strip()
        if not text or text.lower().rstrip(":") in _TITLES or _NOT_NAMES.match(text) or \
                _NUMERIC.match(text.replace(" ", "")) or not re.search(r"[A-Za-z]{2}|\d", text):
            continue
        h = float(np.median([w.height for w in entry]))
        if h > 2.5 * min(w.x1 - w.x0 for w in entry) and len(text) > 2:
            continue  # a vertical axis title
        colour, style = line_sample(image, entry[0].x0, entry[0].cy, h)
        has_key = colour is not None
        if not has_key:
            colour = ink_colour(image, entry[0].x0, entry[0].y0, entry[-1].x1, entry[-1].y1)
            if colour is None or chroma(colour) < 60:
                continue  # neither a key beside it nor coloured text: not a legend entry
        key = normalise_label(text)
        if key in seen:
            continue
        seen.add(key)
        found.append((text, colour, style, has_key, k, entry))
    if not found:
        return [""] * len(arms)
    if len(found) > len(arms):
        found = _pick_legend(found, arms)
    texts = [f[0] for f in found]
    assign, basis = match_to_arms(texts, [f[1] for f in found], arms, [a.name for a in arms])
    if basis == "order":
        styles = [f[2] for f in found]
        by_style = {a.line_style: i for i, a in enumerate(arms)}
        if len(by_style) == len(arms) and set(styles) == set(by_style):
            assign = [by_style[s] for s in styles]
    names = [""] * len(arms)
    for t, a in zip(texts, assign):
        if a is not None and not names[a]:
            names[a] = t
    return names


def _aligned(a: list[OcrWord], b: list[OcrWord]) -> bool:
    """Two entries of one legend: stacked at one left edge, or side by side on one line."""
    h = max(a[0].height, b[0].height)
    stacked = abs(a[0].x0 - b[0].x0) < 1.0 * h and abs(a[0].cy - b[0].cy) < 3.0 * h
    in_line = abs(a[0].cy - b[0].cy) < 0.4 * h and min(abs(a[0].x0 - b[-1].x1),
                                                       abs(b[0].x0 - a[-1].x1)) < 15 * h
    return stacked or in_line


def _pick_legend(found: list, arms: list[ArmTrace]) -> list:
    """From more candidate entries than arms, keep the ones that form the legend."""
    n = len(found)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if found[i][3] == found[j][3] and _aligned(found[i][5], found[j][5]):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    coloured = arms_distinct_by_colour(arms)

    def rank(g: list[int]):
        keys = found[g[0]][3]
        fit = np.mean([min(colour_distance(found[i][1], a.colour) for a in arms) for i in g])
        size = len(g) if len(g) <= len(arms) else len(arms) - 0.5 * (len(g) - len(arms))
        # a group of keyed entries, as many as arms, whose colours are the arms'
        return (not keys, -size, fit if coloured else 0.0, g[0])

    best = sorted(groups.values(), key=rank)[0]
    if len(best) > len(arms):
        best = sorted(best, key=lambda i: min(colour_distance(found[i][1], a.colour)
                                              for a in arms))[:len(arms)]
    return [found[i] for i in sorted(best)]
