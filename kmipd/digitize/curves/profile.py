"""From a traced chain of segments to a curve: per-column levels and step points.

:func:`chain_profile` gives a chain's level in every column, reading drops from the ink
(:func:`_drop_levels`, sub-pixel) and leaving hidden stretches for the caller; :func:`final_drop`
finds the stroke a curve ends with; :func:`steps_from_profile` turns levels into step points.
"""

from __future__ import annotations

import numpy as np

from kmipd.digitize.curves.trace import ALPHA_MIN, Segment


def chain_profile(segs: list[Segment], chain: list[int], width: float,
                  alpha: np.ndarray, support: np.ndarray | None = None) -> tuple[int, np.ndarray]:
    """Per-column level (sub-pixel y) of a chain, from its first to its last column.

    Gaps between chained segments are filled: with no drop (a censor tick, a dash gap) by a
    straight line; across a drop from the ink's edges (:func:`_drop_levels`); a drop with no ink
    in the gap (the curve is hidden under another curve or text) is left NaN for the caller.
    ``support`` (bool, the ink of every curve) places a drop whose stroke another curve covers.
    """
    if not chain:
        return 0, np.zeros(0)
    x_start, x_end = segs[chain[0]].x0, max(segs[i].x1 for i in chain)
    y = np.full(x_end - x_start + 1, np.nan)
    for i in chain:
        y[segs[i].x - x_start] = segs[i].y
    for i, j in zip(chain[:-1], chain[1:]):
        a, b = segs[i].x1, segs[j].x0
        y1, y2 = float(np.median(segs[i].y[-3:])), float(np.median(segs[j].y[:3]))
        if y2 - y1 <= max(1.0, 0.5 * width):
            if b - a > 1:
                cols = np.arange(a + 1, b)
                y[cols - x_start] = np.interp(cols, [a, b], [y1, y2])
        else:
            # the stroke may overlap the segments' ends (a line crossing it splits the column's
            # run and leaves a short piece at the old level), so read a little into them
            ext = int(np.ceil(width)) + 1
            lo = max(min(a, b) - ext, segs[i].x0 + 1)
            hi = min(max(a, b) + ext, segs[j].x1 - 1)
            y[lo - x_start:hi - x_start + 1] = _drop_levels(alpha, lo - 1, hi + 1, y1, y2, width,
                                                            support)
    return x_start, y


def _drop_levels(alpha: np.ndarray, a: int, b: int, y1: float, y2: float, width: float,
                support: np.ndarray | None = None) -> np.ndarray:
    """Levels of the columns strictly between ``a`` (level ``y1``) and ``b`` (level ``y2``).

    Drawn with thickness ``w``, a step curve's top edge at column x is its level at x - w/2
    minus w/2 (the upper line runs on to the outer corner of the join), and its bottom edge is
    its level at x + w/2 plus w/2. Averaging the two reads single drops and staircases of drops
    closer than the line width alike, to sub-pixel precision. NaN where the gap has no ink.
    A single vertical stroke, the curve's own or (``support``, bool ink of every curve) another
    curve's lying over it, places the drop by its centroid instead: the edges can be another
    mark's (a censor mark at the foot of the drop reaches left of it at the lower level).
    """
    h = alpha.shape[0]
    cols = np.arange(a + 1, b)
    r0 = int(np.clip(np.floor(y1 - width), 0, h - 1))
    r1 = int(np.clip(np.ceil(y2 + width) + 1, r0 + 1, h))
    win = alpha[r0:r1, a + 1:b].astype(float)
    on = win >= ALPHA_MIN
    has = on.any(axis=0)
    if not has.any():
        return np.full(len(cols), np.nan)
    t = np.argmax(on, axis=0)
    bt = on.shape[0] - 1 - np.argmax(on[::-1], axis=0)
    k = np.arange(len(cols))
    above = np.where(t > 0, win[np.maximum(t - 1, 0), k], 0.0)
    below = np.where(bt < on.shape[0] - 1, win[np.minimum(bt + 1, on.shape[0] - 1), k], 0.0)
    top = r0 + t - 0.5 + (1 - win[t, k]) - above
    bot = r0 + bt + 0.5 - (1 - win[bt, k]) + below
    # upper(x) is the level at x - w/2, lower(x) the level at x + w/2; the segments either side
    # give the known levels.
    xs = np.r_[a, cols[has], b].astype(float)
    up = np.r_[y1, top[has] + width / 2, y2]
    lo = np.r_[y1, bot[has] - width / 2, y2]
    level = 0.5 * (np.interp(cols + width / 2, xs, up) + np.interp(cols - width / 2, xs, lo))
    level = np.fmax.accumulate(np.clip(level, y1, y2))
    # a single clean stroke: its ink centroid places the drop to a fraction of a pixel; the
    # column holding it gets the level whose area matches (a linear ramp within the pixel)
    r_in0 = int(np.ceil(y1 + width / 2 + 1)) - r0
    r_in1 = int(np.floor(y2 - width / 2 - 1)) - r0
    if r_in1 - r_in0 >= 2:
        inner = win[r_in0:r_in1 + 1]
        xd = _stroke_centre(inner, width)
        if xd is not None and _ink_beside(inner, xd, width) > BESIDE_MAX:
            # a censor tick on a sloping stretch (many small drops) is not its one drop
            xd = None
        elif xd is None and support is not None:
            hidden = support[r0 + r_in0:r0 + r_in1 + 1, a + 1:b]
            xd = _stroke_centre(np.where(hidden, 1.0, inner), width)
        if xd is not None:
            frac = np.clip(cols - (a + 1) + 0.5 - xd, 0.0, 1.0)
            level = y1 + frac * (y2 - y1)
    # long stretches with no ink at all: hidden, not a drop; the caller fills them
    empty = ~has
    d = np.diff(np.r_[0, empty.astype(np.int8), 0])
    for s0, s1 in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
        if s1 - s0 > 2 * width + 3:
            level[s0:s1] = np.nan
    return level


#: A drop is one stroke when the ink of its inside rows beside the stroke is at most this share
#: of the stroke's own (a staircase of small drops, drawn thick, fills them).
BESIDE_MAX = 0.5


def _ink_beside(inner: np.ndarray, xd: float, width: float) -> float:
    """Ink of ``inner`` (a drop's inside rows) farther than half a line width and a rim pixel
    from column ``xd``, as a share of the ink within that."""
    on = np.where(inner >= ALPHA_MIN, inner, 0.0).sum(axis=0)
    near = np.abs(np.arange(inner.shape[1]) - xd) <= width / 2 + 1.5
    return float(on[~near].sum() / max(on[near].sum(), 1e-9))


def _stroke_centre(inner: np.ndarray, width: float) -> float | None:
    """Sub-pixel column of the one vertical stroke crossing all rows of ``inner`` (coverage
    image of a drop's inside rows), or None when there is none or more than one.

    The stroke's columns are those inked on 80% of the rows; its centroid also weighs the
    faint anti-aliased column either side, which the ink threshold leaves out (only when it is
    faint throughout: a shaded band beside the stroke is not its rim).
    """
    stroke = (inner >= ALPHA_MIN).mean(axis=0) >= 0.8
    if not stroke.any():
        return None
    sx = np.flatnonzero(stroke)
    if sx[-1] - sx[0] > 2 * width + 3 or not stroke[sx[0]:sx[-1] + 1].all():
        return None
    lo, hi = sx[0], sx[-1]
    if lo > 0 and inner[:, lo - 1].max() < ALPHA_MIN:
        lo -= 1
    if hi < inner.shape[1] - 1 and inner[:, hi + 1].max() < ALPHA_MIN:
        hi += 1
    wts = inner[:, lo:hi + 1].sum(axis=0)
    return float(lo + np.average(np.arange(len(wts)), weights=wts))


def final_drop(alpha: np.ndarray, x_end: int, y_end: float, width: float) -> tuple[float, float] | None:
    """A vertical stroke down from the last level of a chain: the curve's final drop.

    A chain ends with its last horizontal stretch; when the last patient has an event the curve
    then drops (often to 0) and stops, and that stroke joins no later segment. It starts at the
    line's level (a censor tick reaches as far above it as below) and is long. Returns the
    stroke's (sub-pixel) column and the level at its foot, or None.
    """
    h, w = alpha.shape
    ext = int(np.ceil(width)) + 2
    r = int(np.clip(round(y_end), 0, h - 1))
    xs, aboves, belows = [], [], []
    for x in range(max(x_end - ext, 0), min(x_end + ext + 1, w)):
        on = alpha[:, x] >= ALPHA_MIN
        lo = max(r - int(width) - 1, 0)
        hit = np.flatnonzero(on[lo:r + int(width) + 2])
        if len(hit) == 0:
            continue
        k = lo + int(hit[0])
        top = k - int(np.argmin(on[k::-1])) + 1 if not on[:k + 1].all() else 0
        bot = _dashed_foot(on, k, _run_end(on, k), width)
        xs.append(x)
        aboves.append(y_end - (top - 0.5))
        belows.append(bot + 0.5 - y_end)
    if not xs:
        return None
    below = np.array(belows)
    i = int(np.argmax(below))
    if below[i] < max(4 * width + 4, 0.04 * h) or aboves[i] > width + 2:
        return None
    # the stroke's columns (anti-aliased sides included) placed by their coverage
    cols = np.array(xs)[below >= 0.8 * below[i]]
    r0, r1 = int(np.ceil(y_end + width)), int(np.floor(y_end + below[i] - width))
    wts = alpha[r0:max(r1, r0 + 1), cols].sum(axis=0) if r1 > r0 else np.ones(len(cols))
    xd = float(np.average(cols, weights=np.maximum(wts, 1e-6)))
    return xd, y_end + below[i] - width / 2


#: A dashed or dotted final drop: its dashes are at most this many line widths long (a longer
#: first piece is an unbroken stroke, whose foot is where its ink ends) ...
DASH_MAX_WIDTHS = 6
#: ... and the gaps between them at most this many line widths (R's "twodash" leaves 6 units).
DASH_GAP_WIDTHS = 6
MIN_DASHES = 3


def _run_end(on: np.ndarray, start: int) -> int:
    """The last index of the run of ``on`` that starts at ``start``."""
    return start + int(np.argmin(on[start:])) - 1 if not on[start:].all() else len(on) - 1


def _dashed_foot(on: np.ndarray, top: int, bot: int, width: float) -> int:
    """The foot of a vertical stroke from ``top`` that may be dashed or dotted: from a short
    first piece, dash after dash down the column while the gaps and pieces stay a pattern's.

    At least :data:`MIN_DASHES` pieces with even gaps make a pattern: a censored curve's end
    over another curve a little lower is two pieces, and stays a level.
    """
    longest, widest = DASH_MAX_WIDTHS * width + 4, DASH_GAP_WIDTHS * width + 4
    if bot - top + 1 > longest:
        return bot  # an unbroken stroke
    h, foot, gaps = len(on), bot, []
    while foot + 1 < h:
        nxt = np.flatnonzero(on[foot + 1:min(int(foot + 1 + widest), h)])
        if len(nxt) == 0:
            break
        start = foot + 1 + int(nxt[0])
        end = _run_end(on, start)
        if end - start + 1 > longest:
            break  # an unbroken line below (the x axis, another curve): not this stroke's dash
        gaps.append(start - foot - 1)
        foot = end
    if len(gaps) + 1 < MIN_DASHES or max(gaps) - min(gaps) > max(2.0, 0.5 * float(np.median(gaps))):
        return bot
    return foot


def steps_from_profile(x_start: int, y: np.ndarray, eps: float = 0.02) -> np.ndarray:
    """(N, 2) step points of a monotone per-column profile: one point where the level changes.

    A right-continuous step function through the points (level of the last point at or left
    of x) reproduces the profile. Each column's level is the curve's over the pixel, so a
    change between two columns is placed half-way, on the pixel edge; the curve starts at the
    left edge of its first pixel and ends at the right edge of its last (the last level is
    repeated there). A lone column part-way between the levels either side is a drop inside
    that pixel (:func:`_drop_levels` gives it the level whose area matches): it becomes one
    drop at the sub-pixel place that keeps the area, so the curve is right at every time.
    """
    if len(y) == 0:
        return np.zeros((0, 2))
    y = np.asarray(y, float)
    change = np.flatnonzero(np.abs(np.diff(y)) > eps) + 1
    idx = np.r_[0, change]
    x = (x_start + idx - 0.5).astype(float)
    keep = np.ones(len(idx), bool)
    is_change = np.zeros(len(y) + 1, bool)
    is_change[change] = True
    for k in range(1, len(idx) - 1):
        c = idx[k]
        lone = is_change[c + 1] and not is_change[c - 1] and not is_change[min(c + 2, len(y))]
        if lone and (y[c - 1] - y[c]) * (y[c] - y[c + 1]) > 0:
            frac = (y[c] - y[c - 1]) / (y[c + 1] - y[c - 1])  # share of the pixel after the drop
            keep[k] = False
            x[k + 1] = x_start + c + 0.5 - frac
    pts = np.column_stack([x[keep], y[idx[keep]]])
    return np.vstack([pts, [x_start + len(y) - 0.5, y[-1]]])
