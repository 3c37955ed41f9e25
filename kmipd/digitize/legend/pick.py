"""Choose the legend among more candidate entries than arms, and match keys to grey arms by
their darkness."""

from __future__ import annotations

import numpy as np

from kmipd.digitize.match.pairing import arms_distinct_by_colour, clear_assignment, colour_distance
from kmipd.digitize.result import ArmTrace
from kmipd.digitize.text.ocr import OcrWord

__all__ = ["aligned", "by_grey", "keyed_legend_size", "legend_groups", "pick_legend"]

#: Grey arms are told apart by their keys' darkness only when each pair of arms is this far
#: apart (RGB distance) ...
GREY_ARMS_APART = 60.0
#: ... and the best assignment of keys costs this much less than any other (a thin key is
#: drawn paler than its curve by anti-aliasing: only a clear margin counts).
GREY_KEY_MARGIN = 100.0


def by_grey(colours: list, arms: list[ArmTrace]) -> list[int] | None:
    """Keys matched to grey arms of clearly different darkness (black, mid and light grey), when
    one assignment fits far better than any other; else None."""
    greys = [a.colour for a in arms]
    if len(colours) > len(arms) or any(c is None for c in colours) or \
            any(colour_distance(greys[i], greys[j]) < GREY_ARMS_APART
                for i in range(len(greys)) for j in range(i + 1, len(greys))):
        return None
    cost = np.array([[colour_distance(c, g) for g in greys] for c in colours])
    return clear_assignment(cost, GREY_KEY_MARGIN)


def aligned(a: list[OcrWord], b: list[OcrWord]) -> bool:
    """Two entries of one legend: stacked at one left edge, or side by side on one line."""
    h = max(a[0].height, b[0].height)
    stacked = abs(a[0].x0 - b[0].x0) < 1.0 * h and abs(a[0].cy - b[0].cy) < 3.0 * h
    in_line = abs(a[0].cy - b[0].cy) < 0.4 * h and min(abs(a[0].x0 - b[-1].x1),
                                                       abs(b[0].x0 - a[-1].x1)) < 15 * h
    # the next line down, mostly over the other: one entry's box took in its key, the other's
    # did not (their left edges differ by the key's length)
    overlap = min(a[-1].x1, b[-1].x1) - max(a[0].x0, b[0].x0)
    shorter = min(a[-1].x1 - a[0].x0, b[-1].x1 - b[0].x0)
    adjacent = abs(a[0].cy - b[0].cy) < 1.6 * h and overlap >= 0.5 * shorter
    return stacked or in_line or adjacent


def legend_groups(found: list) -> list[list[int]]:
    """Candidate entries grouped into legends: entries alike in having a key or not, stacked at
    one left edge or side by side on one line (indices into ``found``, reading order)."""
    n = len(found)
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(n):
        for j in range(i + 1, n):
            if found[i][3] == found[j][3] and aligned(found[i][5], found[j][5]):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(root(i), []).append(i)
    return list(groups.values())


def keyed_legend_size(found: list) -> int:
    """Entries in the largest legend of keyed entries (0 when no entry has a key)."""
    return max((len(g) for g in legend_groups(found) if found[g[0]][3]), default=0)


def pick_legend(found: list, arms: list[ArmTrace]) -> list:
    """From more candidate entries than arms, keep the ones that form the legend."""
    groups = legend_groups(found)
    coloured = arms_distinct_by_colour(arms)

    def rank(g: list[int]):
        keys = found[g[0]][3]
        fit = np.mean([min(colour_distance(found[i][1], a.colour) for a in arms) for i in g])
        size = len(g) if len(g) <= len(arms) else len(arms) - 0.5 * (len(g) - len(arms))
        # a group of keyed entries, as many as arms, whose colours are the arms'
        return (not keys, -size, fit if coloured else 0.0, g[0])

    best = sorted(groups, key=rank)[0]
    if len(best) > len(arms):
        best = sorted(best, key=lambda i: min(colour_distance(found[i][1], a.colour)
                                              for a in arms))[:len(arms)]
    return [found[i] for i in sorted(best)]
