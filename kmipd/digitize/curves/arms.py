"""Find each arm's step curve and its censor marks inside the plot area.

Pipeline: colours of the ink in the plot box (:mod:`~kmipd.digitize.curves.ink`,
:mod:`~kmipd.digitize.curves.colours`), per colour the
chains of horizontal segments that form never-rising curves (:mod:`~kmipd.digitize.curves.trace`),
same-colour arms told apart by line style (:mod:`~kmipd.digitize.curves.linestyle`), hidden stretches
filled from the curve on top, then censor ticks (:mod:`~kmipd.digitize.curves.censor`), through
whose centres the curve is read again (:mod:`~kmipd.digitize.curves.tick_centres`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import cv2
import numpy as np
from scipy.optimize import isotonic_regression

from kmipd.digitize.curves import colours as col
from kmipd.digitize.curves import linestyle
from kmipd.digitize.curves.arm_choice import choose_arms
from kmipd.digitize.curves.band_ink import (
    grey_band_ink,
    own_band_alpha,
    without_pale_ink_off_the_line,
)
from kmipd.digitize.curves.censor import drop_shared_ticks, find_censor_marks
from kmipd.digitize.curves.ink import background_colour, ink_masks, mixing_fit, to_lab
from kmipd.digitize.curves.profile import steps_from_profile
from kmipd.digitize.curves.shade import line_shade, shade_change
from kmipd.digitize.curves.tails import drop_below_text, reclaim_tail, untraced_tails
from kmipd.digitize.curves.tick_centres import level_through_ticks
from kmipd.digitize.curves.trace import ALPHA_MIN, column_runs, line_width
from kmipd.digitize.result import ArmTrace, PlotBox
from kmipd.errors import internal_error

#: Plot areas larger than this (px) are traced at a reduced size, for speed.
MAX_AREA = 900_000

#: Rows above the box top and below the x axis that are searched (curves at 1.0 or 0 sit on
#: the frame or axis line, half of their thickness outside the box).
PAD = 3


def _plot_region(image: np.ndarray, box: PlotBox,
                exclude_boxes: Sequence[tuple[int, int, int, int]] = ()
                ) -> tuple[np.ndarray, np.ndarray, tuple[int, int]]:
    """The plot area of the image, a mask of its usable pixels, and its (x, y) offset.

    Text boxes are masked with a small margin (OCR boxes hug the glyphs; anti-aliasing
    does not).
    """
    h, w = image.shape[:2]
    y0, y1 = max(box.top - PAD, 0), min(box.bottom + PAD + 1, h)
    x0, x1 = max(box.left, 0), min(box.right + 1, w)
    region = np.ascontiguousarray(image[y0:y1, x0:x1, :3])
    valid = np.ones(region.shape[:2], bool)
    for bx0, by0, bx1, by1 in exclude_boxes:
        a0, a1 = int(np.floor(bx0)) - 2 - x0, int(np.ceil(bx1)) + 3 - x0
        b0, b1 = int(np.floor(by0)) - 2 - y0, int(np.ceil(by1)) + 3 - y0
        valid[max(b0, 0):max(b1, 0), max(a0, 0):max(a1, 0)] = False
    return region, valid, (x0, y0)


def _frame_lines(dark: np.ndarray, edge: int = PAD + 3) -> np.ndarray:
    """Pixels of axis lines, plot frames and full-width dark gridlines.

    Rows (columns) that are dark over most of the box are straight rules, not curves; near the
    box edges a lower share suffices because axes may be broken by tick labels or curves on top.
    """
    h, w = dark.shape
    rows = dark.mean(axis=1)
    cols = dark.mean(axis=0)
    near_r = np.zeros(h, bool)
    near_r[:edge + PAD] = True
    near_r[-(edge + PAD):] = True
    near_c = np.zeros(w, bool)
    near_c[:edge] = True
    near_c[-edge:] = True
    rule_r = (rows > 0.9) | (near_r & (rows > 0.5))
    rule_c = (cols > 0.9) | (near_c & (cols > 0.5))
    return dark & (rule_r[:, None] | rule_c[None, :])


def _guide_lines(dark: np.ndarray, blocked: np.ndarray | None = None, gap: int = 7) -> np.ndarray:
    """Pixels of median / landmark guide lines: straight (solid or dashed) horizontal lines that
    start at the left below where the curves start, and the vertical lines dropped from them
    to the x axis.

    A KM curve starts at the top-left (time 0) and never begins at the left further down. A
    guide starts at the y axis, or where the curves start when the axis is padded (ggplot's
    expansion, survminer's ``surv.median.line``); there it must end in a vertical line dropped
    to the x axis and begin free, not at the foot of a riser: a curve's first flat after an
    early drop also begins near the left. ``blocked`` (text boxes) counts as line for finding
    where a line starts: a tick label's box often reaches over the axis.
    """
    h, w = dark.shape
    out = np.zeros_like(dark)
    edge = max(4, w // 100)
    lead = max(edge, w // GUIDE_LEAD)  # where the curves start on a padded axis, at the latest
    seen = dark if blocked is None else dark | blocked
    start_rows = np.flatnonzero(dark[:, :max(edge, w // 20)].any(axis=1))
    if len(start_rows) == 0:
        return out
    top = start_rows.min()  # where the curves start
    rows = np.flatnonzero(seen[:, :lead].any(axis=1))
    # close dash gaps along x so a dashed line reads as one run
    closed = cv2.morphologyEx(seen.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((1, gap), np.uint8))
    for y in rows[rows > top + 0.05 * h]:
        run = closed[y, :]
        if not run[:lead].any():
            continue
        start = int(np.argmax(run))
        end = start + int(np.argmin(run[start:])) if not run[start:].all() else w
        if (closed[y, :end] & dark[y, :end]).sum() < 0.06 * w:
            continue
        # vertical guides dropped from it to the x axis (dashed or solid; through text boxes)
        col = cv2.morphologyEx(seen[y:, :end + 3].astype(np.uint8), cv2.MORPH_CLOSE,
                               np.ones((gap, 1), np.uint8))
        full = np.flatnonzero(col[2:].mean(axis=0) >= 0.9)
        if start >= edge and not (full.size and full.max() >= end - gap
                                  and not _riser_above(dark, y, start, gap)):
            continue
        flat = np.zeros_like(dark)
        flat[max(y - 1, 0):y + 2, :end] = dark[max(y - 1, 0):y + 2, :end]
        out |= flat & ~_shifted(dark, CROSS_PX, axis=0)
        drops = np.zeros_like(dark)
        drops[y:, full] = dark[y:, full]
        out |= drops & ~_shifted(dark, CROSS_PX, axis=1)
    return out


#: A curve crossing a guide line shows ink this many pixels beyond the guide on either side
#: (along the guide's normal): there the ink is kept, or the curve would break at the guide.
CROSS_PX = 3


def _shifted(mask: np.ndarray, d: int, axis: int) -> np.ndarray:
    """Where ``mask`` holds ``d`` pixels before or after along ``axis``."""
    out = np.zeros_like(mask)
    if axis == 0:
        out[d:] |= mask[:-d]
        out[:-d] |= mask[d:]
    else:
        out[:, d:] |= mask[:, :-d]
        out[:, :-d] |= mask[:, d:]
    return out


#: A guide on a padded axis starts within this fraction (1/n) of the plot's width.
GUIDE_LEAD = 10


def _riser_above(dark: np.ndarray, y: int, x: int, gap: int) -> bool:
    """Is there ink straight above the left end ``x`` of a line on row ``y`` (the riser a
    step curve drops down before its flat)?"""
    above = dark[max(y - 2 - gap, 0):max(y - 2, 0), max(x - 2, 0):x + 3]
    return bool(above.size and above.any(axis=1).mean() > 0.5)


def extract_arms(image: np.ndarray, box: PlotBox, *, n_arms: int | None = None,
                 exclude_boxes: Sequence[tuple[int, int, int, int]] = ()
                 ) -> tuple[list[ArmTrace], list[str]]:
    """Trace every arm's step curve and censor marks inside the plot box.

    Parameters
    ----------
    image : ndarray
        RGB uint8 image of the whole figure.
    box : PlotBox
        Plot area in pixels (x axis line at ``box.bottom``, y axis line at ``box.left``).
    n_arms : int, optional
        Number of arms when known; otherwise chosen from the image (1-6).
    exclude_boxes : sequence of (x0, y0, x1, y1)
        Pixel rectangles of text inside the plot (legend entries, p-value) to ignore.

    Returns
    -------
    arms : list of ArmTrace
        One per arm, top curve at the start first; ``steps_px`` are (x, y) image pixels of a
        right-continuous step function starting at the curve's left end.
    warnings : list of str
        What was uncertain.
    """
    image = np.asarray(image)
    if image.ndim == 2:  # greyscale scans
        image = np.repeat(image[:, :, None], 3, axis=2)
    if image.dtype != np.uint8:
        image = np.clip(image, 0, 255).astype(np.uint8)
    if box.width * box.height > MAX_AREA:
        return _extract_scaled(image, box, n_arms, exclude_boxes)
    return _extract(image, box, n_arms, exclude_boxes)


def _extract(image: np.ndarray, box: PlotBox, n_arms: int | None,
             exclude_boxes: Sequence[tuple[int, int, int, int]]
             ) -> tuple[list[ArmTrace], list[str]]:
    region, valid, (ox, oy) = _plot_region(image, box, exclude_boxes)
    if region.size == 0 or min(region.shape[:2]) < 10:
        return [], ["empty plot box"]
    bg = background_colour(region, valid)
    lab = to_lab(region)
    chosen, warnings = _trace_inks(region, lab, bg, valid, n_arms, faint=False)
    if _washed_out(chosen, region.shape[1]):
        again, more = _trace_inks(region, lab, bg, valid, n_arms, faint=True)
        if not _washed_out(again, region.shape[1]):
            chosen, warnings = again, more + [
                "unsure: the curves are faint (washed out by blur or compression) and were traced "
                "from ink barely off the paper; check the overlay."]
    warnings += untraced_tails(chosen, region.shape[1])
    return _finish(chosen, region, (ox, oy), valid), warnings


#: Nothing was traced when no curve spans this share of the plot's width.
WASHED_OUT_SPAN = 0.3


def _washed_out(chosen: list[linestyle.Candidate], width: int) -> bool:
    """No curve traced across the plot (the lines' ink did not stand out from the paper)."""
    return not any(len(c.y) >= WASHED_OUT_SPAN * width for c in chosen)


def _trace_inks(region: np.ndarray, lab: np.ndarray, bg: np.ndarray, valid: np.ndarray,
                n_arms: int | None, faint: bool) -> tuple[list[linestyle.Candidate], list[str]]:
    """The arms chosen among the curves traced in each ink colour of ``region`` (its Lab image
    ``lab``, paper colour ``bg``), and what was uncertain."""
    warnings: list[str] = []
    bg_lab = to_lab(bg.reshape(1, 1, 3).astype(np.uint8)).reshape(3)
    min_px = max(20, region.shape[1] // 8)
    coloured, dark = _ink(lab, bg_lab, valid, faint)
    cands = col.candidate_colours(region, lab, coloured, dark, bg, min_px)
    cands = col.merge_greys(cands)
    ink = coloured | dark
    labels, alpha = col.assign_pixels(region, ink, bg, cands)
    col.refine_colours(region, ink, bg, cands, labels)
    cands = col.merge_close(cands)
    labels, alpha = col.assign_pixels(region, ink, bg, cands)
    width0 = line_width(column_runs(alpha))
    col.classify_colours(labels, cands, width0, strong=alpha >= STRONG_ALPHA)
    kept = cands
    groups = col.bands_and_aliases(labels, kept, width0, bg)
    rim_labels, rim_alpha = col.rim_pixels(region, ink, bg, kept, labels, alpha, valid, ALPHA_MIN)
    line_ink = ink & ~np.isin(labels, [k for k, c in enumerate(kept) if c.kind == "band"])
    options = []
    for k, members in groups.items():
        a = np.where(np.isin(labels, members), alpha,
                     np.where(np.isin(rim_labels, members), rim_alpha, 0.0)).astype(np.float32)
        band = own_band_alpha(kept, k, bg)
        if band is not None:
            a = without_pale_ink_off_the_line(a, band)
        # a shade (a paler mix of the same colour, e.g. the line's rim over a band) covers the
        # line only in part: drops are placed by that coverage (tracing and censor marks keep
        # the shade's own); an alias (the line seen through a band) keeps its own coverage
        cover = a
        shade = np.isin(labels, [m for m in members[1:] if kept[m].kind == "shade"])
        if shade.any():
            cover = a.copy()
            cover[shade] = np.minimum(a[shade], mixing_fit(region[shade], bg, kept[k].rgb)[0])
        try:
            options.extend(linestyle.chains_of_colour(a, kept[k], region, colour_id=k,
                                                      blind_cols=~valid.all(axis=0), ink=ink,
                                                      line_ink=line_ink, drop_alpha=cover))
        except Exception as exc:  # noqa: BLE001 - one odd colour must not lose the other arms
            rgb = tuple(int(v) for v in kept[k].rgb)
            warnings.append(f"unsure: the ink of colour {rgb} could not be traced and was skipped, {internal_error(exc)}.")
    chosen, more = choose_arms(options, region.shape[1], n_arms)
    for c in chosen:
        reclaim_tail(c, [o for o in chosen if o is not c], *region.shape[1::-1])
    return chosen, warnings + more


#: A pixel counts as its colour's own (not a pale mix with the paper) at this coverage.
STRONG_ALPHA = 0.6


def _ink(lab: np.ndarray, bg_lab: np.ndarray, valid: np.ndarray, faint: bool
         ) -> tuple[np.ndarray, np.ndarray]:
    """Coloured and dark ink inside the plot, without the frame and guide lines."""
    coloured, dark = ink_masks(lab, bg_lab, faint)
    coloured &= valid
    dark &= valid
    dark &= ~_frame_lines(dark)
    dark &= ~_guide_lines(dark, ~valid)
    dark &= ~grey_band_ink(lab[..., 0], dark)
    return coloured, dark


def _extract_scaled(image, box, n_arms, exclude_boxes):
    """Trace a very large plot at a reduced size (area averaging keeps the anti-aliased
    coverage, so sub-pixel centroids survive) and map the result back."""
    f = float(np.sqrt(MAX_AREA / (box.width * box.height)))
    small = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)

    def down(v):
        return (v + 0.5) * f - 0.5

    sbox = PlotBox(int(round(down(box.left))), int(round(down(box.top))),
                   int(round(down(box.right))), int(round(down(box.bottom))))
    sex = [tuple(down(np.asarray(b, float))) for b in exclude_boxes]
    arms, warnings = _extract(small, sbox, n_arms, sex)
    arms = [replace(a, steps_px=(a.steps_px + 0.5) / f - 0.5,
                    censor_px=(a.censor_px + 0.5) / f - 0.5 if len(a.censor_px) else a.censor_px,
                    under_text=tuple(tuple((v + 0.5) / f - 0.5 for v in g) for g in a.under_text))
            for a in arms]
    return arms, warnings


def _finish(chosen: list[linestyle.Candidate], region: np.ndarray,
            offset: tuple[int, int] = (0, 0), valid: np.ndarray | None = None) -> list[ArmTrace]:
    """Fill hidden stretches, make levels monotone, find censor marks, move to image pixels."""
    if not chosen:
        return []
    w = region.shape[1]
    full = []
    for c in chosen:
        y = np.full(w, np.nan)
        y[c.x_start:c.x_start + len(c.y)] = c.y
        full.append(y)
    start = min(c.x_start for c in chosen)
    spans, levels = [], []
    for i, c in enumerate(chosen):
        y = full[i].copy()
        others = [full[j] for j in range(len(chosen)) if j != i]
        y, x0 = _fill_hidden(y, c.x_start, start, c.width, others, c.runs)
        x1 = c.x_start + len(c.y)
        level = y[x0:x1]
        ok = np.isfinite(level)
        if not ok.all():  # nothing to go by: hold the last level seen
            level = np.interp(np.arange(len(level)), np.flatnonzero(ok), level[ok])
        spans.append((x0, x1))
        levels.append(isotonic_regression(level, increasing=True).x)
    out, marks = [], []
    grey = region.astype(np.float32).mean(axis=2)
    for i, c in enumerate(chosen):
        (x0, x1), level = spans[i], levels[i]
        same_ink = [_aligned(levels[j], spans[j], x0, x1) for j in range(len(chosen))
                    if j != i and chosen[j].colour_id == c.colour_id]
        marks.append(find_censor_marks(c.runs, x0, level, c.width, others=same_ink))
        level = level_through_ticks(c.runs, x0, level, c.width, marks[-1])
        if len(marks[-1]):  # the marks sit on the curve read through them
            marks[-1][:, 1] = np.interp(marks[-1][:, 0] - x0, np.arange(len(level)), level)
        hidden = _falls_under_text(c, x0, level, valid) if valid is not None else []
        if valid is not None and (end := drop_below_text(c.runs, x1 - 1, level[-1], c.width, valid)):
            level = np.r_[level[:-1], max(level[-1], end)]  # its last drop runs on under text
        steps = steps_from_profile(x0, level)
        out.append(ArmTrace(colour=tuple(int(v) for v in c.rgb), line_style=c.style,
                            steps_px=steps + np.array(offset, float),
                            confidence=c.confidence, gap_share=c.gap_share,
                            shade_change=np.nan if c.chromatic else shade_change(grey, steps),
                            shade=np.nan if c.chromatic else line_shade(grey, steps),
                            under_text=tuple((a + offset[0], b + offset[0], ya + offset[1],
                                              yb + offset[1]) for a, b, ya, yb in hidden),
                            hidden_start=(c.x_start - x0) / w))
    marks = drop_shared_ticks(marks, [c.runs for c in chosen], [c.colour_id for c in chosen])
    out = [replace(a, censor_px=m + np.array(offset, float) if len(m) else m) for a, m in zip(out, marks)]
    out.sort(key=lambda a: (a.steps_px[0, 1] if len(a.steps_px) else np.inf))
    return out


#: A stretch where an arm's own line does not show counts as hidden under text when text
#: (``exclude_boxes``) covers this share of its columns between the levels before and after it,
#: and it spans this share of the plot's width (a narrower one places the fall closely enough).
TEXT_COVER = 0.5
TEXT_MIN_WIDTH = 0.02


def _falls_under_text(c: linestyle.Candidate, x0: int, level: np.ndarray, valid: np.ndarray
                      ) -> list[tuple[float, float, float, float]]:
    """The stretches where arm ``c`` falls unseen under text: ``(x_first, x_end, y_before,
    y_after)`` in region pixels, one per stretch its own line does not show, text covers
    (:data:`TEXT_COVER`) and its level falls across. Where it falls there was guessed."""
    seen = np.zeros(len(level), bool)
    k0 = c.x_start - x0
    own = c.visible[max(-k0, 0):max(len(level) - k0, 0)]
    seen[max(k0, 0):max(k0, 0) + len(own)] = own
    shown = np.flatnonzero(seen)
    if len(shown) < 2:
        return []
    d = np.diff(np.r_[0, (~seen[shown[0]:shown[-1] + 1]).astype(np.int8), 0])
    out = []
    for a, b in zip(np.flatnonzero(d == 1) + shown[0], np.flatnonzero(d == -1) + shown[0]):
        before, after = float(level[a - 1]), float(level[b])
        if after - before < 2 * c.width + 2 or b - a < TEXT_MIN_WIDTH * valid.shape[1]:
            continue
        r0, r1 = int(np.floor(before)), int(np.ceil(after)) + 1
        cols = np.clip(np.arange(a, b) + x0, 0, valid.shape[1] - 1)
        covered = (~valid[max(r0, 0):max(r1, 1), cols]).any(axis=0)
        if covered.mean() >= TEXT_COVER:
            out.append((float(a + x0), float(b + x0), before, after))
    return out


def _aligned(level: np.ndarray, span: tuple[int, int], x0: int, x1: int) -> np.ndarray:
    """An arm's levels over columns ``x0:x1``, NaN where it is not drawn."""
    out = np.full(x1 - x0, np.nan)
    lo, hi = max(span[0], x0), min(span[1], x1)
    if hi > lo:
        out[lo - x0:hi - x0] = level[lo - span[0]:hi - span[0]]
    return out


def _fill_hidden(y: np.ndarray, x_first: int, start: int, width: float,
                 others: list[np.ndarray], runs=None) -> tuple[np.ndarray, int]:
    """Fill the NaN stretches of one arm's levels, where it is hidden under other curves.

    Under another curve the hidden arm runs along that curve, clipped between its own visible
    levels before and after (so it stays continuous and never rises); with nothing on top (text
    removed, a gap in a dashed line) it is interpolated. An arm that first shows up right of the
    common start under another curve is extended left along that curve: both start at time 0.
    """
    y = y.copy()
    stack = np.vstack(others) if others else np.full((1, len(y)), np.nan)
    if x_first > start and others:
        y, x_first = _extend_start(y, x_first, start, width, stack, runs)
    last = np.flatnonzero(np.isfinite(y))
    if len(last) == 0:
        return y, x_first
    idx = np.arange(len(y))
    gaps = np.isnan(y) & (idx > x_first) & (idx < last[-1])
    if gaps.any():
        known = np.flatnonzero(np.isfinite(y))
        before = np.interp(idx, known, y[known], left=np.nan, right=np.nan)
        lo = np.fmax.accumulate(np.where(np.isfinite(y), y, -np.inf))
        nxt = np.flip(np.fmin.accumulate(np.flip(np.where(np.isfinite(y), y, np.inf))))
        over = stack[:, gaps]
        cover = np.abs(over - before[gaps]) <= np.maximum(nxt[gaps] - lo[gaps], 0) + 2 * width
        ov = np.where(cover, over, np.nan)
        has = np.isfinite(ov).any(axis=0)
        guess = np.where(has, np.nanmedian(np.where(has[None, :], ov, 0), axis=0), before[gaps])
        y[gaps] = np.clip(guess, lo[gaps], nxt[gaps])
    return y, x_first


def _extend_start(y: np.ndarray, x_first: int, start: int, width: float, stack: np.ndarray,
                  runs=None) -> tuple[np.ndarray, int]:
    """Extend an arm that first shows up right of the common start along the curve it hides
    under (the nearest of the curves at or above its first level): both start at time 0.

    The first visible piece may be the left bar of a censor mark ('+') at the foot of the arm's
    hidden drop: with a mark's upright there, the drop is where the covering curve drops, or
    where the arm's own stroke shows, up to half a mark to the right.
    """
    first = float(y[x_first])
    tol = 3 * width + 2
    at = stack[:, x_first - 1]
    cand = np.isfinite(at) & (at <= first + tol)
    if not cand.any():
        # the curves over it fell steeply past its level before it shows (all start at the
        # top): it ran under them until they crossed its level, then on at its own
        at = stack[:, start]
        cand = np.isfinite(at) & (at <= first + tol) & np.isfinite(stack[:, start:x_first]).all(axis=1)
    if not cand.any():
        return y, x_first
    # of the curves above, the nearest: one far above would have it fall across empty paper
    # where it shows up; where the nearest is not traced, the lowest of the others above
    # (at its level or above it: the tolerance lets a curve a little below it count only when
    # nothing is above)
    level = cand & (at <= first + width + 1)
    pool = level if level.any() else cand
    near = pool & (at >= np.nanmax(np.where(pool, at, -np.inf)) - tol)
    follow = np.fmin.reduce(np.where(near[:, None], stack, np.nan), axis=0)
    lowest = np.fmax.reduce(np.where(cand[:, None], stack, np.nan), axis=0)
    follow = np.where(np.isfinite(follow), follow, lowest)
    seg = follow[start:x_first]
    if not np.isfinite(seg).any():
        return y, x_first
    y[start:x_first] = np.minimum(np.where(np.isfinite(seg), seg, first), first)
    # the drop: where the covering curve drops, or the arm's own stroke down to its level
    slack = int(np.ceil(3 * width)) + 4
    end = min(x_first + slack, len(y) - 1)
    stop = x_first
    lvl = follow[x_first - 1]
    for x in range(x_first, end + 1):
        if not (np.isfinite(follow[x]) and follow[x] <= lvl + width) or not follow[x] < first - tol:
            stop = x
            break
        if runs is not None and _stroke_at(runs, x, lvl + width + 1, first - width - 1):
            stop = x
            break
    else:
        stop = x_first
    # only when a censor mark sits there (its vertical bar crosses the level), or when no stroke
    # of the arm's own joins the covering curve to the piece (nothing hides a vertical there):
    # otherwise the piece is the arm's own line and it did show up at x_first
    mark = runs is not None and (
        any(_stroke_at(runs, x, first - width - 1, first + width + 1) for x in range(stop - 1, stop + 2))
        or not any(_stroke_at(runs, x, lvl + width + 1, first - width - 1)
                   for x in range(x_first - 1, x_first + 2)))
    if stop > x_first and mark:
        y[x_first:stop] = np.minimum(follow[x_first:stop], first)
    return y, start


def _stroke_at(runs, x: int, top: float, bottom: float) -> bool:
    """Does a run of the arm's colour in column ``x`` cover rows ``top``..``bottom``?"""
    a, b = np.searchsorted(runs.x, [x, x + 1])
    return bool(np.any((runs.top[a:b] <= top) & (runs.bottom[a:b] >= bottom)))
