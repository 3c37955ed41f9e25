"""Tell which arm a legend entry or a risk-table row belongs to: by name, colour, curve or order.

Names are compared after normalising (:func:`normalise_label`, :func:`name_similarity`); colours
by their RGB distance (:func:`colour_distance`). Table rows whose labels and colours tell nothing
go to the curve their counts can follow (:func:`kmipd.digitize.table.by_curves.match_by_curves`,
which needs the rules of a risk table).
"""

from __future__ import annotations

import math
import re
from difflib import SequenceMatcher
from itertools import permutations

import numpy as np
from scipy.optimize import linear_sum_assignment

from kmipd.digitize.result import ArmTrace

#: Coloured arms whose hues are near (closer than 60 RGB apart) are told apart by colour only
#: when the best assignment costs at least this much less (RGB distance) than any other.
CLOSE_HUES_MARGIN = 40.0

#: An item is paired with an arm by colour only when closer than this (RGB distance).
MAX_COLOUR_COST = 150.0

#: Keys are matched to arms by how open their dash patterns are only when the keys' blank
#: shares spread this much ...
DASH_KEY_SPREAD = 0.08
#: ... and the arms' gap shares this much (a solid line among dashed or dotted ones) ...
DASH_ARM_SPREAD = 0.04
#: ... and the best assignment beats any other by this much (in spread-scaled units).
DASH_MARGIN = 0.25


#: A printed size, "(n = 238)": a count, not a "group=" prefix nor a part of the name.
_PRINTED_SIZE = re.compile(r"\(?(?<![A-Za-z])n\s*=\s*\d[\d,]*\s*\)?", re.I)


def normalise_label(text: str) -> str:
    """Lower-case letters and digits only, without a ``group=``-style prefix, for matching."""
    t = _PRINTED_SIZE.sub(" ", text).strip()
    if "=" in t:  # survminer writes "sex=1"; the row label may say "sex=1" or just "1"
        t = t.split("=", 1)[1] if not t.endswith("=") else t
    return re.sub(r"[^0-9a-z+\-<>≤≥]", "", t.lower())


def clean_name(text: str) -> str:
    """A legend text without the numbers journals append: "Pre-ICI (n = 120): 8.9 (6.9-10.9)"
    -> "Pre-ICI"."""
    t = re.split(r"\s*\(\s*n\b|\s*[:;]\s+(?=.*\d)", text.strip(), maxsplit=1, flags=re.I)[0]
    # the end of a key read as "-" or "+", or as the CJK look-alikes of the recogniser's
    # Chinese alphabet ("十" plus, "一" dash, "丨" bar, "口" box)
    t = re.sub(r"^(?:[^\w(<>≤≥]|[十一丨口](?![\u4e00-\u9fff]))+", "", t)
    # a key with a censor mark on it read as a glyph and its line: "o… High", "0-- Mutant"
    t = _KEY_RESIDUE.sub("", t)
    # a survival tick label beside a legend inside the plot, read as one word with its first
    # entry: "0.2Arm C"
    t = _TICK_GLUED.sub("", t)
    return t.strip(" ,;:.…")


#: A first word that is a legend key read as text: at most one letter or digit (the censor mark
#: on the key) and the line's dashes, dots or ellipsis.
_KEY_RESIDUE = re.compile(r"^\w?(?:[-–—…·=~_]|\.{2,})[-–—…·.=~_]*\s+(?=\S)")
#: A survival axis label (0-1 with decimals) glued to the capitalised word after it.
_TICK_GLUED = re.compile(r"^(?:0?[.,]\d{1,2}|1[.,]0{1,2})(?=[A-Z][a-z])")


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


#: How alike a label is to the one name it abbreviates (:func:`abbreviates`): enough to place a
#: table row by name.
ABBREVIATION_SIMILARITY = 0.8


#: Words that join a combination's parts ("Surgery + RT"): they set no name apart.
_CONNECTORS = frozenset({"+", "&", "and", "plus", "with", "w/", "-"})


def abbreviates(label: str, name: str, others: list[str]) -> bool:
    """Whether ``label`` is a short form of ``name`` and of none of ``others``.

    Tables abbreviate arm names: the name's first letters ("Pem" for "Pembrolizumab"), its
    words' initials ("N+i" for "Nivolumab + ipilimumab"), or the words that set it apart from
    the other names ("1" for "Group 1" beside "Group 2"). A short form that fits two names tells
    nothing.
    """
    def fits(nm: str) -> bool:
        lab, full = normalise_label(label), normalise_label(nm)
        if not lab or lab == full:
            return False
        words = [w for w in (normalise_label(w) for w in re.split(r"[\s=]+", nm)) if w]
        initials = "".join(w[0] for w in words)
        rest = [normalise_label(w) for o in others for w in re.split(r"[\s=]+", o)]
        own = "".join(w for w in words if w not in rest and w not in _CONNECTORS)
        return (len(lab) >= 2 and full.startswith(lab)) or (len(words) > 1 and lab == initials) \
            or lab == own
    return fits(name) and not any(fits(o) for o in others)


def label_similarities(label: str, names: list[str]) -> list[float]:
    """:func:`name_similarity` of ``label`` to each name, raised to
    :data:`ABBREVIATION_SIMILARITY` for the one name it abbreviates (:func:`abbreviates`)."""
    out = []
    for j, nm in enumerate(names):
        sim = name_similarity(label, nm)
        others = [o for k, o in enumerate(names) if k != j and o]
        if nm and sim < ABBREVIATION_SIMILARITY and abbreviates(label, nm, others):
            sim = ABBREVIATION_SIMILARITY
        out.append(sim)
    return out


def colour_distance(a, b) -> float:
    """Euclidean RGB distance, 0-441."""
    return float(np.linalg.norm(np.asarray(a, float) - np.asarray(b, float)))


def key_distance(key, line) -> float:
    """How far (RGB) a key's or label's colour is from an arm's line colour, allowing either to
    be a paler mix of the other with white paper.

    A thin or dotted key reads paler than its curve (anti-aliasing), and a curve traced through
    its confidence band may carry the band's paler mix: a shade of one hue. The plain distance
    takes a pale blue key nearer a pale green curve than its own blue one; along the mixing
    ray it is not. Only between coloured colours: any grey is a mix of black with the paper,
    and black text is any label's colour.
    """
    k, c = np.asarray(key, float), np.asarray(line, float)
    if chroma(k) < 40 or chroma(c) < 40:
        return colour_distance(k, c)
    return min(colour_distance(k, c), _off_ray(k, c), _off_ray(c, k))


def _off_ray(pale, full) -> float:
    """Distance from ``pale`` to the nearest mix of ``full`` with white (at least a fifth of
    ``full``)."""
    d = full - 255.0
    t = float(np.clip((pale - 255.0) @ d / max(d @ d, 1e-6), 0.2, 1.0))
    return float(np.linalg.norm(pale - (255.0 + t * d)))


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
                  names: list[str], keyed: bool = False) -> tuple[list[int | None], str]:
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
    keyed : bool
        The colours are the items' drawn line samples (legend keys), not their text's colour:
        a black key is a black line's, where black text is any label's colour.

    Returns
    -------
    assignment : list of int or None
        Arm index of each item.
    basis : str
        ``"name"`` (some items matched by name), ``"colour"``, or ``"order"``.
    """
    assign, bases = assign_items(labels, colours, arms, names, keyed)
    for basis in ("name", "colour"):
        if basis in bases:
            return assign, basis
    return assign, "order"


def assign_items(labels: list[str], colours: list[tuple | None], arms: list[ArmTrace],
                 names: list[str], keyed: bool = False) -> tuple[list[int | None], list[str]]:
    """:func:`match_to_arms` with the basis of each item's assignment.

    Items matched by name are ``"name"``; the rest go among the arms left by colour
    (``"colour"``), by elimination when one item and one arm are left (``"name"``), or by order
    (``"order"``: nothing tells which arm the item belongs to).
    """
    n, m = len(labels), len(arms)
    if n == 0 or m == 0:
        return [None] * n, ["order"] * n
    sim = np.array([label_similarities(lab, names) for lab in labels]).reshape(n, m)
    if sim.size and sim.max() >= 0.75:
        rows, cols = linear_sum_assignment(-sim)
        out: list[int | None] = [None] * n
        bases = ["name"] * n
        for r, c in zip(rows, cols):
            out[r] = int(c) if sim[r, c] >= 0.75 else None
        # the items no name tells: among the arms left, by colour or else by order
        rest = [i for i in range(n) if out[i] is None]
        free = [j for j in range(m) if j not in out]
        if rest and free:
            sub, sub_bases = assign_items([labels[i] for i in rest], [colours[i] for i in rest],
                                          [arms[j] for j in free], [""] * len(free), keyed)
            alone = len(rest) == 1 and len(free) == 1 and n == m
            for i, j, b in zip(rest, sub, sub_bases):
                out[i] = free[j] if j is not None else None
                bases[i] = "name" if alone else b
        return out, bases
    distinct = arms_distinct_by_colour(arms)
    close = not distinct and _all_coloured([a.colour for a in arms])
    if (distinct or close) and all(c is not None for c in colours):
        cost = np.array([[key_distance(c, a.colour) for a in arms] for c in colours])
        rows, cols = linear_sum_assignment(cost)
        margin = runner_up(cost, rows, cols) - cost[rows, cols].sum()
        # black text is any label's colour: with grey or black items the colours must tell
        # the arms apart by a clear margin (a red and a black key for a red and a black arm);
        # coloured arms of near hues (survminer's blue and teal) likewise; drawn keys are their
        # lines' colours, black too, so a smaller margin (one spare line traced) tells
        if distinct:
            sure = _all_coloured(colours) or margin >= (SOLE_COLOUR_MARGIN if keyed else 100) or \
                _greys_match([colours[r] for r in rows], [arms[c].colour for c in cols])
        else:
            sure = _all_coloured(colours) and margin >= CLOSE_HUES_MARGIN
        if cost[rows, cols].max() < MAX_COLOUR_COST and sure:
            out = [None] * n
            for r, c in zip(rows, cols):
                out[r] = int(c)
            return out, ["colour"] * n
        if distinct and (by_kind := _by_kind(colours, arms)) is not None:
            return by_kind, ["colour"] * n
    if distinct and (rest := _all_but_one_by_colour(colours, arms)) is not None:
        return rest, ["colour"] * n
    return [i if i < m else None for i in range(n)], ["order"] * n


#: An item's colour places it when its arm is this much nearer (RGB) than any other arm.
SOLE_COLOUR_MARGIN = 60.0


def _all_but_one_by_colour(colours: list[tuple | None], arms: list[ArmTrace]) -> list[int] | None:
    """Items paired with arms of clearly different colours when all but one are coloured and each
    of those is clearly nearest its own arm; the one left (its label misread, its colour lost
    or black) takes the arm left. None unless every coloured item is placed so.

    One row label read with a stray box (grey, or no colour at all) must not send the whole
    table to the order of its rows when the others' colours tell.
    """
    n = len(colours)
    hued = [i for i, c in enumerate(colours) if c is not None and chroma(c) >= 40]
    if n != len(arms) or n < 2 or len(hued) != n - 1:
        return None
    out: list[int] = [-1] * n
    for i in hued:
        d = np.array([key_distance(colours[i], a.colour) for a in arms])
        best = int(np.argmin(d))
        second = float(np.partition(d, 1)[1])
        if d[best] >= MAX_COLOUR_COST or second - d[best] < SOLE_COLOUR_MARGIN or best in out:
            return None
        out[i] = best
    left = [j for j in range(n) if j not in out]
    out[out.index(-1)] = left[0]
    return out


def _by_kind(colours: list[tuple], arms: list[ArmTrace]) -> list[int] | None:
    """Items paired with arms of their kind: coloured items with the coloured arms by colour,
    the one black or grey item with the one black or grey arm; None unless the kinds count
    alike (one arm each at most achromatic) and a grey arm's item is grey, not black.

    A thin or dotted grey line reads paler in its key than along its curve (JPEG, anti-aliasing):
    too far for a grey match, yet the only grey among coloured keys and arms.
    """
    grey_items = [i for i, c in enumerate(colours) if chroma(c) < 40]
    grey_arms = [j for j, a in enumerate(arms) if chroma(a.colour) < 40]
    if len(grey_items) != len(grey_arms) or len(grey_arms) > 1 or len(colours) != len(arms):
        return None
    if grey_items and np.mean(colours[grey_items[0]]) <= GREY_NOT_BLACK < np.mean(
            arms[grey_arms[0]].colour):
        return None  # black text is any label's colour: it does not pin a grey arm
    hued = [i for i in range(len(colours)) if i not in grey_items]
    hued_arms = [j for j in range(len(arms)) if j not in grey_arms]
    cost = np.array([[key_distance(colours[i], arms[j].colour) for j in hued_arms]
                     for i in hued]).reshape(len(hued), len(hued_arms))
    rows, cols = linear_sum_assignment(cost)
    if cost.size and cost[rows, cols].max() >= MAX_COLOUR_COST:
        return None
    out = [0] * len(colours)
    for r, c in zip(rows, cols):
        out[hued[r]] = hued_arms[c]
    for i, j in zip(grey_items, grey_arms):
        out[i] = j
    return out


#: A grey item matches a grey arm by colour when this close (RGB distance) ...
GREY_MATCH = 25.0
#: ... and no darker than this (mean RGB): black text is any label's colour.
GREY_NOT_BLACK = 80.0


def _greys_match(colours, arm_colours) -> bool:
    """Every item that is not coloured has a mid grey within :data:`GREY_MATCH` of the grey arm
    it is paired with (a grey arm's label printed in its grey, beside coloured ones)."""
    return all(chroma(c) >= 40 or (chroma(a) < 40 and float(np.mean(c)) > GREY_NOT_BLACK
                                   and colour_distance(c, a) <= GREY_MATCH)
               for c, a in zip(colours, arm_colours))


def _all_coloured(colours) -> bool:
    """Every colour clearly coloured (not black, grey or white)."""
    return all(c is not None and chroma(c) >= 40 for c in colours)


def runner_up(cost: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> float:
    """Total cost of the cheapest assignment other than ``rows -> cols`` (inf if none)."""
    if cost.shape[1] > 6:
        return -math.inf  # too many arms to try every assignment: no margin is known
    best = dict(zip(rows.tolist(), cols.tolist()))
    out = math.inf
    for perm in permutations(range(cost.shape[1]), cost.shape[0]):
        if any(best.get(r) != c for r, c in enumerate(perm)):
            out = min(out, float(sum(cost[r, c] for r, c in enumerate(perm))))
    return out


def table_arm_name(given: str, legend: str, label: str, number: int) -> str:
    """An arm's name in the risk table: the caller's, else the legend's unless the row's own
    label says otherwise, else the row label, else ``"arm <number>"``."""
    if given:
        return given
    if legend and (not label or name_similarity(legend, label) >= 0.75):
        return legend
    return label or legend or f"arm {number}"


def by_line_style(styles: list[str], fills: list[float], arms: list[ArmTrace],
                  shades: list[float] | None = None) -> list[int] | None:
    """Keys (their line styles, fills and shades) matched to arms of one ink: by style name
    when keys and arms have one style each, all different, else by how open and how dark their
    lines are (:func:`by_look`). One arm index per key, or None."""
    by_name = {a.line_style: j for j, a in enumerate(arms)}
    if len(by_name) == len(arms) and set(styles) == set(by_name):
        return [by_name[s] for s in styles]
    return by_look(fills, shades, arms)


#: Keys are matched to black or grey arms by shade only when the keys' brightness (0-255)
#: spreads this much, and the arms' (:attr:`ArmTrace.shade`) this much: black beside mid or
#: light grey, not the anti-aliasing of one black.
SHADE_KEY_SPREAD = 40.0
SHADE_ARM_SPREAD = 40.0


def by_look(fills: list[float] | None, shades: list[float] | None, arms: list[ArmTrace]
            ) -> list[int] | None:
    """Keys matched to arms of one ink by how open their dash patterns are and how dark they
    are, together.

    Each measure that spreads clearly over both the keys and the arms adds its cost: the
    distance between a key's and an arm's place in their range (the fullest key to the most
    solid curve, the palest to the palest). Ranks, not values: a thin key reads paler and a
    blurred dash pattern fuller than the curve, for every key alike. Grey figures pair shades
    with dash patterns (solid black, dashed dark grey, dotted light grey); two keys alike in
    one are told apart by the other. Returns one arm index per key, or None when neither
    measure tells or the best assignment does not beat every other by :data:`DASH_MARGIN`.
    ``fills`` or ``shades`` may be None: that measure is not known for the keys.
    """
    unknown = [np.nan] * len(arms)
    fills, shades = unknown if fills is None else fills, unknown if shades is None else shades
    if len(fills) != len(arms) or len(shades) != len(arms) or len(arms) < 2:
        return None
    blank = 1.0 - np.array(fills, float)
    gaps = np.array([a.gap_share for a in arms], float)
    key_shade = np.array(shades, float)
    arm_shade = np.array([a.shade for a in arms], float)
    cost = np.zeros((len(arms), len(arms)))
    told = False
    for keys, lines, key_spread, line_spread in (
            (blank, gaps, DASH_KEY_SPREAD, DASH_ARM_SPREAD),
            (key_shade, arm_shade, SHADE_KEY_SPREAD, SHADE_ARM_SPREAD)):
        if not (np.isfinite(keys).all() and np.isfinite(lines).all()):
            continue
        if np.ptp(keys) < key_spread or np.ptp(lines) < line_spread:
            continue
        k = (keys - keys.min()) / np.ptp(keys)
        g = (lines - lines.min()) / np.ptp(lines)
        cost += np.abs(k[:, None] - g[None, :])
        told = True
    return clear_assignment(cost, DASH_MARGIN) if told else None


def clear_assignment(cost: np.ndarray, margin: float) -> list[int] | None:
    """The cheapest assignment of rows to columns (one column index per row) when it costs at
    least ``margin`` less than any other; else None."""
    rows, cols = linear_sum_assignment(cost)
    if runner_up(cost, rows, cols) - cost[rows, cols].sum() < margin:
        return None
    out = [0] * cost.shape[0]
    for r, c in zip(rows, cols):
        out[r] = int(c)
    return out
