"""Same-colour arms that touch or cross: give each traced chain back its own line.

Two arms of one colour (solid and dashed, black and grey) are traced as the longest chains of
that colour, and a chain may switch curves where the two meet. Between meeting points each
curve runs on its own, and how much ink lies along it (solid, dashed, dotted, grey) tells the
two apart; stretches a chain took from the other curve are swapped back.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d

from kmipd.digitize.curves.dashes import on_dashes
from kmipd.digitize.curves.trace import ALPHA_MIN


def untangle(cands: list, alpha: np.ndarray, min_len: int = 12, min_diff: float = 0.08,
             blind_cols: np.ndarray | None = None, dashes: np.ndarray | None = None) -> None:
    """Swap the pieces of same-colour curves that a chain took from the wrong curve, in place.

    Two arms of one colour (solid and dashed, black and grey) that touch or cross are traced
    as the longest chains, which may switch curves where they meet. Between the places where
    two chains touch, each runs on its own; its *weakness* there (1 - mean coverage along its
    level: about 0 for a solid black line, 0.3-0.5 for dashed, dotted or grey) tells the
    lines apart. Each stretch is given to the chain whose weakness it matches overall.
    Columns in ``blind_cols`` (hidden by text boxes) show nothing and are left out. Where the
    ink's dashes are known (``dashes``, :func:`kmipd.digitize.curves.dashes.dash_pieces`), the
    share of a stretch that lies on dashes tells the lines apart instead: coverage along a
    steep staircase is low for a solid line too.
    """
    for i in range(len(cands)):
        for j in range(i + 1, len(cands)):
            _untangle_pair(cands[i], cands[j], alpha, min_len, min_diff, blind_cols, dashes)


def _full(c, w: int) -> tuple[np.ndarray, np.ndarray]:
    y = np.full(w, np.nan)
    v = np.zeros(w, bool)
    y[c.x_start:c.x_start + len(c.y)] = c.y
    v[c.x_start:c.x_start + len(c.y)] = c.visible
    return y, v


def _set_full(c, y: np.ndarray, v: np.ndarray) -> None:
    known = np.flatnonzero(np.isfinite(y) | v)
    if len(known) == 0:
        return
    a, b = int(known[0]), int(known[-1]) + 1
    c.x_start, c.y, c.visible = a, y[a:b].copy(), v[a:b].copy()
    c.coverage = float(c.visible.sum() / len(y))
    c.confidence = float(np.clip(c.visible.sum() / max(len(c.visible), 1), 0.0, 1.0))


def _weakness(alpha: np.ndarray, y: np.ndarray, cols: np.ndarray, width: float) -> float:
    """1 - mean over columns of the strongest coverage within the line's band.

    Columns near a censor tick or drop (ink just above or below the band) are left out: a '+'
    fills a dashed line's gaps with its bar, and dense marks would make every line look solid.
    """
    h = alpha.shape[0]
    half = width / 2 + 0.5
    yc = y[cols]
    r0 = np.clip(np.floor(yc - half).astype(int), 0, h - 1)
    r1 = np.clip(np.ceil(yc + half).astype(int), 0, h - 1)
    best = np.zeros(len(cols))
    for d in range(int(np.max(r1 - r0)) + 1 if len(cols) else 0):
        best = np.maximum(best, alpha[np.minimum(r0 + d, r1), cols])
    up = alpha[np.clip(r0 - 2, 0, h - 1), cols] >= ALPHA_MIN
    down = alpha[np.clip(r1 + 2, 0, h - 1), cols] >= ALPHA_MIN
    rad = int(np.ceil(3 * width)) + 3
    near = maximum_filter1d((up | down).astype(np.uint8), 2 * rad + 1) > 0
    use = ~near if (~near).sum() >= max(6, 0.2 * len(cols)) else np.ones(len(cols), bool)
    return float(1.0 - np.mean(np.clip(best[use], 0.0, 1.0)))


def _dash_share(dashes: np.ndarray, y: np.ndarray, cols: np.ndarray) -> float:
    """Share of the columns ``cols`` where the curve at levels ``y`` lies on a dash (a stand-in
    for weakness: 0 for an unbroken line, near 1 for a dashed one)."""
    return float(on_dashes(dashes, cols, y[cols]).mean()) if len(cols) else 0.0


def _untangle_pair(a, b, alpha: np.ndarray, min_len: int, min_diff: float,
                   blind_cols: np.ndarray | None = None, dashes: np.ndarray | None = None) -> None:
    w = alpha.shape[1]
    ya, va = _full(a, w)
    yb, vb = _full(b, w)
    both = np.isfinite(ya) & np.isfinite(yb)
    if both.sum() < 2 * min_len:
        return
    width = max(a.width, b.width)
    apart = both & (np.abs(ya - yb) > 2 * width + 2)
    # stretches run between touching points, and end where the chains cross without touching
    # (one jumps across the other in a single column: a chain hopping between curves)
    side = np.where(apart, np.sign(np.where(both, ya - yb, 0.0)), 0).astype(np.int8)
    d = np.diff(np.r_[0, side, 0])
    starts = np.flatnonzero((d != 0) & (np.r_[side, 0] != 0))
    ends = np.flatnonzero((d != 0) & (np.r_[0, side] != 0))
    keep = ends - starts >= min_len
    starts, ends = starts[keep], ends[keep]
    if len(starts) < 2:
        return
    seen = np.ones(w, bool) if blind_cols is None else ~blind_cols
    spans = [np.arange(s, e)[seen[s:e]] for s, e in zip(starts, ends)]
    spans = [cols if len(cols) >= min_len else np.arange(s, e)
             for cols, s, e in zip(spans, starts, ends)]
    if dashes is not None:
        # judged where each chain is seen: a stretch it only bridges says nothing
        length = np.array([min(va[cols].sum(), vb[cols].sum()) for cols in spans])
        diff = np.array([_dash_share(dashes, ya, cols[va[cols]]) - _dash_share(dashes, yb, cols[vb[cols]])
                         if n >= min_len else 0.0 for cols, n in zip(spans, length)])
    else:
        length = np.array([len(cols) for cols in spans])
        diff = np.array([_weakness(alpha, ya, cols, width) - _weakness(alpha, yb, cols, width)
                         for cols in spans])
    # clear evidence: a large difference, or a fair one held over a long stretch (a dashed line
    # with long dashes is only 0.1-0.2 weaker than a solid one)
    strong = (np.abs(diff) >= 0.25) | ((np.abs(diff) >= 0.1) & (length >= 4 * min_len))
    if not strong.any():
        return  # two lines of one look (or no clear difference): nothing to go by
    # the orientation the clear stretches agree on; stretches against it are swapped (weaker
    # evidence suffices there: dense censor marks fill a dashed line's gaps)
    orient = np.sign(np.sum(length[strong] * diff[strong]))
    if orient == 0:
        return  # the clear stretches disagree evenly: nothing to go by
    flip = (np.abs(diff) >= min_diff) & (np.sign(diff) != orient)
    if not flip.any():
        return
    bounds = np.r_[starts, w]
    for k in np.flatnonzero(flip):
        sl = slice(int(bounds[k]), int(bounds[k + 1]))
        ya[sl], yb[sl] = yb[sl].copy(), ya[sl].copy()
        va[sl], vb[sl] = vb[sl].copy(), va[sl].copy()
    _set_full(a, ya, va)
    _set_full(b, yb, vb)
