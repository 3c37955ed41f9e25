"""The arms of a vector PDF page, from its exact drawing (:mod:`kmipd.digitize.image.vector`).

The page's step curves are the arms, with their colours and dash patterns as drawn; where the
curves are drawn otherwise, the arms traced from the rendered page are given the exact corners
of the paths drawn along them.

A KM step curve is fully given by its horizontal runs (the survival levels and where each
starts and ends); vertical pieces are risers or censor ticks, and a '+' mark's horizontal
stroke lies on the level it marks. So an arm's exact steps are rebuilt from the horizontal
segments of the paths that lie along its trace; a path drawn as a sloped line (a curve joined
point to point) gives its vertices instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from scipy.spatial import cKDTree

from kmipd.digitize.image.vector import VectorPath
from kmipd.digitize.result import ArmTrace, PlotBox
from kmipd.digitize.text.ocr import OcrWord

#: A path belongs to an arm when this share of its length lies along the arm's trace ...
_ALONG_SHARE = 0.7
#: ... within this many pixels (or 1.5 line widths, if more).
_ALONG_PX = 2.5
#: The exact curve replaces the trace only when it covers this share of the trace's points.
_COVER_SHARE = 0.9
#: Horizontal: a segment rising less than this many pixels over its length.
_FLAT_PX = 0.05
#: Colours further apart than this (RGB distance) are different lines.
_COLOUR_GAP = 90.0


def page_arms(paths: list[VectorPath], box: PlotBox, n_arms: int | None = None,
              words: Sequence[OcrWord] = ()) -> list[ArmTrace]:
    """The arms of a vector page: its drawn step curves (:func:`drawn_arms`).

    Colour and dash pattern come from the drawing, so arms the pixels merge or mix up (grey
    shades, dash patterns) come apart. Censor marks are the small shapes drawn on a curve and the
    mark characters ('+', '|', 'x', 'o') of ``words`` printed on it. Empty when the page draws
    no step curve (curves drawn as separate segments, point to point: :func:`snap_arms` then
    puts the traced arms on the drawing), or not ``n_arms`` of them when that is given.
    """
    drawn = drawn_arms([q for p in paths for q in _clipped(p, box)], box)
    if not drawn or (n_arms is not None and len(drawn) != n_arms):
        return []
    return [_with_text_marks(a, words) for a in drawn]


#: Characters a writer may set as censor marks (SAS and others print them as text).
_MARK_CHARACTERS = frozenset("+|xX×o○")


def _with_text_marks(arm: ArmTrace, words: Sequence[OcrWord]) -> ArmTrace:
    """``arm`` with the censor marks printed as text characters centred on its curve added."""
    if not words:
        return arm
    tree = cKDTree(samples_along(staircase(arm.steps_px), 0.5))
    marks = []
    for w in words:
        if not w.text or not set(w.text) <= _MARK_CHARACTERS:
            continue
        # marks close together run into one word ("++"): one centre per character
        n = len(w.text)
        for k in range(n):
            centre = (w.x0 + (k + 0.5) * (w.x1 - w.x0) / n, w.cy)
            if tree.query(centre)[0] <= 0.35 * w.height:
                marks.append(centre)
    if not marks:
        return arm
    both = np.concatenate([np.asarray(arm.censor_px, float).reshape(-1, 2), np.array(marks, float)])
    return replace(arm, censor_px=both[np.argsort(both[:, 0], kind="stable")])


def snap_arms(arms: list[ArmTrace], paths: list[VectorPath], box: PlotBox) -> tuple[list[ArmTrace], list[str]]:
    """Each arm's trace replaced by the exact steps of the paths drawn along it.

    Parameters
    ----------
    arms : list of ArmTrace
        As traced from the rendered page.
    paths : list of VectorPath
        The page's stroked paths, in the same pixels.
    box : PlotBox
        The plot area: only what is drawn inside it counts.

    Returns
    -------
    arms : list of ArmTrace
        Arms with exact ``steps_px`` where their paths were found (others as traced).
    notes : list of str
        One line for each arm left as traced, saying why.
    """
    paths = [q for p in paths for q in _clipped(p, box)]
    traces = [samples_along(staircase(a.steps_px)) if len(a.steps_px) else None for a in arms]
    trees = [cKDTree(t) if t is not None else None for t in traces]
    owner: dict[int, list[VectorPath]] = {k: [] for k in range(len(arms))}
    for path in paths:
        best, best_share = None, 0.0
        samples = samples_along(path.points)
        for k, (arm, tree) in enumerate(zip(arms, trees)):
            if tree is None or _colour_distance(path.colour, arm.colour) > _COLOUR_GAP:
                continue
            share = float(np.mean(tree.query(samples)[0] <= max(_ALONG_PX, 1.5 * path.width)))
            if share > best_share:
                best, best_share = k, share
        if best is not None and best_share >= _ALONG_SHARE:
            owner[best].append(path)
    out, notes = [], []
    for k, arm in enumerate(arms):
        steps = exact_steps(owner[k]) if owner[k] else None
        if steps is None or traces[k] is None or _coverage(steps, traces[k], _reach(owner[k])) < _COVER_SHARE:
            out.append(arm)
            notes.append(f"arm {k + 1}: no vector path of the page follows its curve; kept as traced from the pixels")
            continue
        out.append(replace(arm, steps_px=steps))
    return out, notes


def drawn_arms(paths: list[VectorPath], box: PlotBox) -> list[ArmTrace]:
    """The step curves the page draws inside the plot, one arm each, with their censor marks.

    A step curve is a polyline of horizontal and vertical pieces that only ever goes right or
    down, with at least two levels across a fifth of the plot's width; grid lines, frames,
    legend keys and a median's guide lines are not. A curve drawn in pieces (each starting where
    the last ended, in one style) is one arm. Its censor marks are the small shapes centred on it.
    """
    curves = sorted((p for p in paths if _is_step_curve(p.points, box)), key=lambda p: p.points[0, 0])
    chains: list[list[VectorPath]] = []
    for path in curves:
        chain = next((c for c in chains if _continues(c[-1], path)), None)
        if chain is None:
            chains.append([path])
        else:
            chain.append(path)
    out = []
    for chain in chains:
        steps = exact_steps(chain)
        if steps is not None:
            out.append(ArmTrace(colour=tuple(int(v) for v in chain[0].colour), line_style=chain[0].style,
                                steps_px=steps, censor_px=marks_on(steps, paths, box)))
    return sorted(out, key=lambda a: (a.steps_px[-1, 1], a.steps_px[0, 1]))


def _continues(last: VectorPath, path: VectorPath) -> bool:
    return (_colour_distance(last.colour, path.colour) <= 1.0 and last.style == path.style
            and float(np.hypot(*(path.points[0] - last.points[-1]))) <= 1.0)


def _is_step_curve(points: np.ndarray, box: PlotBox) -> bool:
    if len(points) < 3:
        return False
    d = np.diff(points, axis=0)
    flat = np.abs(d[:, 1]) <= _FLAT_PX
    # a writer's path simplification may join two close drops by a short slope
    short_slope = np.abs(d[:, 0]) <= max(2.0, 0.005 * box.width)
    onward = (d[:, 0] >= -_FLAT_PX) & (d[:, 1] >= -_FLAT_PX)  # right, or down the page
    runs = int(np.sum(flat & (np.abs(d[:, 0]) > _FLAT_PX)))
    span = float(np.ptp(points[:, 0]))
    sloped = float(np.abs(d[~flat, 0]).sum())
    return bool((flat | short_slope).all() and onward.all() and runs >= 2 and span >= 0.2 * box.width
                and sloped <= 0.02 * span)


def marks_on(steps: np.ndarray, paths: list[VectorPath], box: PlotBox) -> np.ndarray:
    """Centres of the small shapes centred on a step curve: censor marks ('+', '|', 'x' strokes,
    circles)."""
    tree = cKDTree(samples_along(staircase(steps), 0.5))
    largest = 0.06 * box.width
    centres = []
    for path in paths:
        lo, hi = path.points.min(axis=0), path.points.max(axis=0)
        if 0 < np.hypot(*(hi - lo)) <= largest:
            mid = 0.5 * (lo + hi)
            if tree.query(mid)[0] <= 1.0:
                centres.append(mid)
    if not centres:
        return np.zeros((0, 2))
    # the strokes of one mark share its centre
    keep = [c for k, c in enumerate(centres) if all(np.hypot(*(c - e)) > 1.0 for e in centres[:k])]
    return np.array(sorted(keep, key=lambda c: c[0]))


def exact_steps(paths: list[VectorPath]) -> np.ndarray | None:
    """The (x, y) corners of a step curve drawn by ``paths``, ordered by x (higher level first at a drop).

    Polylines are the curve; lone two-point segments (the strokes of '+' marks) count only
    when the curve itself was drawn as separate segments.
    """
    lines = [p for p in paths if len(p.points) > 2] or paths
    flat, sloped = [], []
    for path in lines:
        p = path.points
        for a, b in zip(p[:-1], p[1:]):
            if abs(b[1] - a[1]) <= _FLAT_PX and abs(b[0] - a[0]) > 0:
                flat.append((min(a[0], b[0]), max(a[0], b[0]), 0.5 * (a[1] + b[1])))
            elif abs(b[0] - a[0]) > _FLAT_PX:
                sloped += [a, b]
    total_flat = sum(x1 - x0 for x0, x1, _ in flat)
    total_sloped = sum(abs(b[0] - a[0]) for a, b in zip(sloped[::2], sloped[1::2]))
    if total_sloped > total_flat:  # drawn point to point, not as steps
        pts = np.array(sloped, float)
        return pts[np.lexsort((pts[:, 1], pts[:, 0]))]
    if not flat:
        return None
    levels = _levels(np.array(flat, float))
    # each level starts where the one above it ends: a drop
    starts = np.maximum.accumulate(levels[:, 0])
    y = levels[:, 2]
    corners = [(starts[0], y[0])]
    for k in range(1, len(levels)):
        corners += [(starts[k], y[k - 1]), (starts[k], y[k])]
    end = max(levels[-1, 1], starts[-1])
    corners.append((end, y[-1]))
    # a curve that ends with a drop (to 0, mostly) has no level after it: its last vertex is below
    tail = np.concatenate([p.points for p in lines])
    tail = tail[tail[:, 0] >= end - _FLAT_PX]
    if tail.size and tail[:, 1].max() > y[-1] + _FLAT_PX:
        corners.append((end, float(tail[:, 1].max())))
    return np.array(corners, float)


def _levels(runs: np.ndarray) -> np.ndarray:
    """Horizontal runs ``(x0, x1, y)`` merged into one per level, top level (smallest y) first."""
    runs = runs[np.argsort(runs[:, 2])]
    breaks = np.flatnonzero(np.diff(runs[:, 2]) > _FLAT_PX) + 1
    return np.array([(g[:, 0].min(), g[:, 1].max(), g[:, 2].mean()) for g in np.split(runs, breaks)])


def staircase(points) -> np.ndarray:
    """Step-curve points (each a level reached at its x) with the corners between them drawn in."""
    p = np.asarray(points, float).reshape(-1, 2)
    if len(p) < 2:
        return p
    corners = np.column_stack([p[1:, 0], p[:-1, 1]])
    out = np.empty((2 * len(p) - 1, 2))
    out[0::2], out[1::2] = p, corners
    return out


def _clipped(path: VectorPath, box: PlotBox, margin: float = 3.0) -> list[VectorPath]:
    """The pieces of ``path`` inside the plot box (a curve drawn past the axis' end is clipped
    there on the page, and only what is shown is the curve)."""
    lo = np.array([box.left - margin, box.top - margin])
    hi = np.array([box.right + margin, box.bottom + margin])
    p = path.points
    inside = ((p >= lo) & (p <= hi)).all(axis=1)
    if inside.all():
        return [path]
    pieces, cur = [], []
    for a, b in zip(p[:-1], p[1:]):
        seg = _clip_segment(a, b, lo, hi)
        if seg is None:
            if len(cur) > 1:
                pieces.append(np.array(cur))
            cur = []
            continue
        if cur and np.allclose(cur[-1], seg[0]):
            cur.append(seg[1])
        else:
            if len(cur) > 1:
                pieces.append(np.array(cur))
            cur = [seg[0], seg[1]]
    if len(cur) > 1:
        pieces.append(np.array(cur))
    return [replace(path, points=q) for q in pieces]


def _clip_segment(a: np.ndarray, b: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """The part of segment a-b inside the rectangle [lo, hi] (Liang-Barsky), or None."""
    d = b - a
    t0, t1 = 0.0, 1.0
    for k in range(2):
        if abs(d[k]) < 1e-12:
            if a[k] < lo[k] or a[k] > hi[k]:
                return None
            continue
        ta, tb = (lo[k] - a[k]) / d[k], (hi[k] - a[k]) / d[k]
        t0, t1 = max(t0, min(ta, tb)), min(t1, max(ta, tb))
    if t1 - t0 <= 1e-12:
        return None
    return a + t0 * d, a + t1 * d


def samples_along(points: np.ndarray, step: float = 1.0) -> np.ndarray:
    """Points every ``step`` pixels along a polyline (its vertices included)."""
    out = [points[:1]]
    for a, b in zip(points[:-1], points[1:]):
        n = max(int(np.ceil(np.hypot(*(b - a)) / step)), 1)
        out.append(a + (b - a) * (np.arange(1, n + 1)[:, None] / n))
    return np.concatenate(out)


def _colour_distance(a, b) -> float:
    return float(np.linalg.norm(np.asarray(a, float) - np.asarray(b, float)))


def _reach(paths: list[VectorPath]) -> float:
    """How far (pixels) a trace of lines this wide may stray from them: two line widths, 3 px at least."""
    return max(3.0, 2.0 * max(p.width for p in paths))


def _coverage(steps: np.ndarray, traced: np.ndarray, reach: float) -> float:
    """Share of the traced curve (sampled every pixel) within ``reach`` px of the exact curve."""
    if len(traced) == 0:
        return 0.0
    tree = cKDTree(samples_along(staircase(steps)))
    return float(np.mean(tree.query(traced)[0] <= reach))
