"""Read the legend, and tell which arm a legend entry or a risk-table row belongs to.

A legend entry is matched to an arm by its key -- the short line (in the arm's colour and line
style) or the coloured text -- and otherwise by order, since plotting programs list the legend in
the order they draw the curves. Labels are kept as printed ("sex=1" stays "sex=1"); only a title
such as survminer's "Strata" and trailing numbers ("(n = 120): 8.9 (6.9-10.9)") are dropped. A
name printed again as a risk-table row label is taken in its cleaner reading. Table rows go to
arms by label, colour, or (:func:`match_by_curves`) the curve their counts can follow.
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
_NOT_LEGEND = re.compile(r"at risk|risk:|kaplan|survival|probability|^time\b|\bcurve\b", re.I)
_STATS = re.compile(r"^(p|hr)\s*[=<>≤:]|\b(ci|hr|log.?rank|median|hazard|p.?value)\b", re.I)


def normalise_label(text: str) -> str:
    """Lower-case letters and digits only, without a ``group=``-style prefix, for matching."""
    t = text.strip()
    if "=" in t:  # survminer writes "sex=1"; the row label may say "sex=1" or just "1"
        t = t.split("=", 1)[1] if not t.endswith("=") else t
    return re.sub(r"[^0-9a-z+\-]", "", t.lower())


def clean_name(text: str) -> str:
    """A legend text without the numbers journals append: "Pre-ICI (n = 120): 8.9 (6.9-10.9)"
    -> "Pre-ICI"."""
    t = re.split(r"\s*\(\s*n\b|\s*[:;]\s+(?=.*\d)", text.strip(), maxsplit=1, flags=re.I)[0]
    t = re.sub(r"^[^\w(<>]+", "", t)  # the end of a key read as "-" or "+"
    return t.strip(" ,;:.…")


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
    if sim.size and sim.max() >= 0.75:
        rows, cols = linear_sum_assignment(-sim)
        out: list[int | None] = [None] * n
        for r, c in zip(rows, cols):
            out[r] = int(c) if sim[r, c] >= 0.75 else None
        # the items no name tells: among the arms left, by colour or else by order
        rest = [i for i in range(n) if out[i] is None]
        free = [j for j in range(m) if j not in out]
        if rest and free:
            sub, _ = match_to_arms([labels[i] for i in rest], [colours[i] for i in rest],
                                   [arms[j] for j in free], [""] * len(free))
            for i, j in zip(rest, sub):
                out[i] = free[j] if j is not None else None
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


def match_by_curves(counts: list[list[int | None]], surv: list[list[np.ndarray]],
                    assign: list[int | None]) -> tuple[list[int | None], str]:
    """Table rows to arms by which curve each row's counts can follow.

    ``counts[r]`` are row ``r``'s counts and ``surv[r][j]`` arm ``j``'s survival just before each
    of that row's times. The share still at risk never exceeds the share surviving (censoring
    only lowers it) and each drop holds at least the events the curve shows. ``assign`` (by
    order) is kept unless another assignment fits clearly better.
    """
    from kmipd.digitize.ocr_fix import min_events

    n_arms = len(surv[0]) if surv else 0
    cost = np.zeros((len(counts), n_arms))
    for r, n in enumerate(counts):
        ok = [k for k, v in enumerate(n) if v is not None]
        if len(ok) < 2 or not n[ok[0]]:
            continue
        v = [n[k] for k in ok]
        for j in range(n_arms):
            s = np.asarray(surv[r][j], float)[ok]
            excess = np.array(v) / v[0] - s / s[0] - 0.03
            short = [max(0, min_events(s[k], s[k + 1], v[k + 1]) - (v[k] - v[k + 1])) / max(v[k], 1)
                     for k in range(len(v) - 1)]
            cost[r, j] = np.nansum(np.clip(excess, 0, None)) + sum(short)
    rows, cols = linear_sum_assignment(cost)
    given = sum(cost[r, a] for r, a in enumerate(assign) if a is not None and a < n_arms)
    if cost[rows, cols].sum() < given - 0.08:
        out: list[int | None] = [None] * len(counts)
        for r, c in zip(rows, cols):
            out[r] = int(c)
        return out, "curves"
    return assign, "order"


def line_sample(image: np.ndarray, x_end: float, cy: float, h: float,
                reach: float = 0.0) -> tuple[tuple | None, str]:
    """Colour and style of a legend key (a short horizontal line) just left of ``x_end``.

    ``reach`` lets the key run that far right of ``x_end``: an OCR box sometimes swallows the key.
    Returns ``(None, "")`` when there is no key: only text, a frame line or blank paper.
    """
    found = find_key(image, x_end, cy, h, reach)
    return (found[0], found[1]) if found else (None, "")


def find_key(image: np.ndarray, x_end: float, cy: float, h: float,
             reach: float = 0.0) -> tuple[tuple, str, float] | None:
    """:func:`line_sample` with the key's right end: ``(colour, style, x_right)`` or None."""
    if image.ndim != 3:
        return None
    H, W = image.shape[:2]
    a0, a1 = max(int(x_end - 4.5 * h), 0), min(max(int(x_end + reach + 0.1 * h), 0), W)
    b0, b1 = max(int(cy - 0.6 * h), 0), min(int(np.ceil(cy + 0.6 * h)), H)
    if a1 - a0 < 3 or b1 - b0 < 3:
        return None
    px = image[b0:b1, a0:a1].astype(float)
    dist = np.linalg.norm(px - np.median(px.reshape(-1, 3), axis=0), axis=2)
    ink = dist > 60
    tall = _vertical_runs(ink) > max(4.0, 0.4 * h)  # stems, frames, letters: not a key line
    gap = max(2, int(0.25 * h))
    best, best_key = 0.0, None
    for y, k0, k1, filled in _thin_runs(ink, tall, 0.45 * h):
        if k1 - k0 + 1 < 0.4 * h or filled / (k1 - k0 + 1) < 0.3 or a0 + k1 < x_end - 1.6 * h:
            continue
        if a0 + k1 > x_end + 0.3 * h and (ink[:, k1 + 1:k1 + 1 + gap].any() or
                                          ink[:, max(k0 - gap, 0):k0].any()):
            continue  # inside the OCR box a key stands apart; a letter's stroke does not
        thin = ink[y] & ~tall[y]
        # above and below a key there is paper (a marker aside): letters have strokes there.
        # Paler ink (a filled key box behind the line) does not count.
        strong = dist > 0.5 * float(np.median(dist[y, k0:k1 + 1][thin[k0:k1 + 1]]))
        t = int(max(3.0, 0.25 * h))
        rows = [r for r in range(y - int(0.5 * h), y + int(0.5 * h) + 1)
                if abs(r - y) > t and 0 <= r < ink.shape[0]]
        if rows and strong[rows, k0:k1 + 1].any(axis=0).mean() > 0.35:
            continue
        colour = np.median(px[y, k0:k1 + 1][thin[k0:k1 + 1]], axis=0)
        strength = filled * (1 + chroma(colour) / 64)
        if strength > best:
            best, best_key = strength, (y, k0, k1, colour, strong)
    if best_key is None:
        return None
    y, k0, k1, colour, strong = best_key
    # an anti-aliased line straddles two pixel rows: look at the rows beside it too; the pale
    # anti-aliased ends of dashes do not fill the gaps between them
    fill = strong[max(y - 1, 0):y + 2, k0:k1 + 1].any(axis=0).mean()
    style = "solid" if fill > 0.85 else ("dashed" if fill > 0.45 else "dotted")
    return tuple(int(v) for v in colour), style, float(a0 + k1 + 1)


def _vertical_runs(mask: np.ndarray) -> np.ndarray:
    """Length of the vertical run of True each pixel of ``mask`` belongs to (0 where False)."""
    up = np.zeros(mask.shape, int)
    down = np.zeros(mask.shape, int)
    for y in range(mask.shape[0]):
        up[y] = (up[y - 1] + 1) * mask[y] if y else mask[y]
    for y in range(mask.shape[0] - 1, -1, -1):
        down[y] = (down[y + 1] + 1) * mask[y] if y < mask.shape[0] - 1 else mask[y]
    return np.where(mask, up + down - 1, 0)


def _thin_runs(ink: np.ndarray, tall: np.ndarray, max_gap: float):
    """Horizontal stretches of thin ink, gaps up to ``max_gap``: ``(row, first, last, count)``."""
    for y in range(ink.shape[0]):
        xs = np.flatnonzero(ink[y] & ~tall[y])
        if xs.size:
            for p in np.split(xs, np.flatnonzero(np.diff(xs) > max_gap + 1) + 1):
                yield y, int(p[0]), int(p[-1]), int(p.size)


_SYMBOL = re.compile(r"^[-+|_~*xX\u2013\u2014\u00b7\u2022\u25cb\u25cf\u25a1\u25a0\u5341\u571f\u4e00\u4e28]+$")


def legend_entries(words: list[OcrWord]) -> list[list[OcrWord]]:
    """Runs of words that may be legend entries: split at wide gaps and at key symbols."""
    lines: list[list[OcrWord]] = []
    # vertical words (a y axis title) are never legend text
    words = [w for w in words if not (len(w.text) > 2 and w.height > 1.5 * (w.x1 - w.x0))]
    for w in sorted(words, key=lambda w: w.cy):
        for line in lines:
            ref = line[0]
            if abs(ref.cy - w.cy) < 0.4 * max(ref.height, w.height):
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
    entries = legend_entries(words)
    # risk-table row labels (text under the plot, before any number): the names again
    labels = [(" ".join(w.text for w in e[:next((i for i, w in enumerate(e)
                                                   if _NUMERIC.match(w.text)), len(e))]),
               min(w.score for w in e)) for e in entries if e[0].y0 > box.bottom]
    for k, entry in enumerate(entries):
        if len(entry) > 1 and (entry[0].text.lower() == "strata" or entry[0].text.endswith(":")):
            entry = entry[1:]  # a legend title on the entries' line ("Strata", "Arm:")
        if entry[0].y0 > box.bottom:
            # under the plot a label may be a risk-table row label: its counts are not the name
            cut = next((i for i, w in enumerate(entry) if _NUMERIC.match(w.text)), len(entry))
            entry = entry[:cut]
            if not entry:
                continue
        text = clean_name(" ".join(w.text for w in entry))
        if not text or text.lower().rstrip(":") in _TITLES or _NOT_NAMES.match(text) or \
                _STATS.search(text) or _NOT_LEGEND.search(text) or \
                _NUMERIC.match(text.replace(" ", "")) or not re.search(r"[A-Za-z]{2}|\d", text):
            continue
        h = float(np.median([w.height for w in entry]))
        if entry[-1].x1 - entry[0].x0 < 0.8 * h and len(text) > 2:
            continue  # a vertical axis title
        first = entry[0]
        # a box much wider than its text, or starting well left of the entries stacked with
        # it, has swallowed the key left of the text
        reach = max(0.0, (first.x1 - first.x0) - 0.65 * h * len(first.text),
                    *[e[0].x0 - first.x0 for e in entries if 0.8 * h < e[0].x0 - first.x0 < 4 * h
                      and 0 < abs(e[0].cy - first.cy) < 2.5 * h and e[0].text[:1].isalpha()])
        key = find_key(image, first.x0, first.cy, h) or \
            (find_key(image, first.x0, first.cy, h, reach) if reach else None)
        has_key = key is not None
        colour, style, key_end = key if key else (None, "", first.x0)
        if not has_key:
            colour = ink_colour(image, entry[0].x0, entry[0].y0, entry[-1].x1, entry[-1].y1)
            if colour is None or chroma(colour) < 60:
                continue  # neither a key beside it nor coloured text: not a legend entry
        score = min(w.score for w in entry)
        swallowed = key_end > first.x0 + 0.3 * h
        if score < 0.75 or swallowed:
            # the whole-image OCR may have read the key as letters: read again right of it
            got = _reread(image, entry, max(first.x0, key_end), force=swallowed)
            text, score = (clean_name(got[0]), got[1]) if got else (text, score)
        if score < 0.6:
            continue  # censor ticks or a curve read as letters ("HItH"), not a name
        key = normalise_label(text)
        if key in seen:
            continue
        seen.add(key)
        found.append((_spelling(text, score, labels), colour, style, has_key, k, entry))
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


def _spelling(text: str, score: float, labels: list[tuple[str, float]]) -> str:
    """The cleanest reading of a name printed twice (legend and table row label)."""
    sims = [(name_similarity(lab, text), s, lab) for lab, s in labels]
    same = [x for x in sims if x[0] == 1.0]
    close = same or [x for x in sims if x[0] >= 0.8]
    if len(same) >= 1 or len(close) == 1:  # one label it can only be (not "Stage I" for "II")
        best = max(close, key=lambda x: x[1])
        if best[1] >= score - 0.01:
            return clean_name(best[2])
    return text


def _reread(image: np.ndarray, entry: list[OcrWord], start: float,
            force: bool = False) -> tuple[str, float] | None:
    """Read an entry's text again from ``start`` (right of its key) with the recogniser alone:
    ``(text, score)`` when that reads better than the whole-image OCR did (or ``force``)."""
    from kmipd.digitize.ocr_fix import read_text

    got = read_text(image, (start, min(w.y0 for w in entry), entry[-1].x1,
                            max(w.y1 for w in entry)))
    if got is None or not got[0] or (got[1] < min(w.score for w in entry) and not force):
        return None
    return got


def table_arm_name(given: str, legend: str, label: str, number: int) -> str:
    """An arm's name in the risk table: the caller's, else the legend's unless the row's own
    label says otherwise, else the row label, else ``"arm <number>"``."""
    if given:
        return given
    if legend and (not label or name_similarity(legend, label) >= 0.75):
        return legend
    return label or legend or f"arm {number}"


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
