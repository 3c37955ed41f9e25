"""The colours of the curves: candidate ink colours, which pixels belong to each, and which
colours are lines, shades of a line, or bands.

Candidates are the modes of a histogram of the ink colours; each ink pixel is labelled with the
colour whose mixing ray fits it best (the mixing model of ink over paper is in
:mod:`kmipd.digitize.curves.ink`); a colour whose pixels fill an area is a band, one that hugs a
stronger colour is a shade of it (an anti-aliased rim, or the same ink split by JPEG).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from scipy import ndimage as ndi
from skimage.feature import peak_local_max

from kmipd.digitize.curves.ink import lab_to_rgb, mixing_fit, to_lab

#: Pixels a colour needs before its position along its mixing ray is refined.
_REFINE_MIN_PIXELS = 10
#: The line colour is taken at this percentile of its pixels' coverage (the well-covered cores),
#: kept within this range of the histogram mode (never paler than the mode, never far beyond it).
_REFINE_PERCENTILE = 90
_REFINE_SCALE = (1.0, 1.6)
#: Lab bin widths of the colour histogram: L coarser than a/b, since hue separates most arms and
#: L only splits same-hue pairs (dark/light green); lightness bins for the greys.
_BIN_L, _BIN_AB, _BIN_GREY_L = 6.0, 4.0, 3.0
_BIN_STEPS = np.array([_BIN_L, _BIN_AB, _BIN_AB])
#: A line hidden by its band's histogram mode is this much stronger (:func:`_strength`) than it.
_LINE_OVER_BAND = 15.0
#: A colour is a band when more than this share of its pixels survives an opening wider than a
#: curve (a filled area, not a line).
_BAND_WIDE_SHARE = 0.35
#: The width test looks only at a colour's strong pixels (those it fully covers) when they are
#: at least this share of its pixels: a line colour that took in its own band's pale pixels
#: (the band read as the line at low coverage) is thin where it is strong.
_STRONG_MIN_SHARE = 0.15
#: ... and when it is pale (Lab lightness at least this) or dull (RGB chroma below this), or
#: when a thin line of its hue is there too: a band is a line's colour mixed with the paper
#: (L 73-95 measured), two bands overlapping a duller mix (chroma 44-57), a line over its band
#: a darker one beside the line itself; a thick line crowded with censor marks survives the
#: opening too, in its full colour (L 43-69, ggplot's teal the palest; chroma 140-190).
_BAND_MIN_L = 72.0
_BAND_MAX_CHROMA = 90.0
#: ... but a light colour at full strength (yellow, gold, orange, cyan lines: L 75-91, chroma
#: 180-255) is a line crowded with censor marks: mixing a colour with the paper, as a band
#: does, takes its chroma down with it (a band opaque enough to keep this much would hide the
#: curves).
_BAND_PALE_MAX_CHROMA = 170.0
#: A shade touches its stronger colour with at least this share of its pixels when it lies on
#: that colour's mixing ray (an anti-aliased rim) ...
_SHADE_TOUCH_ON_RAY = 0.7
#: ... or, as the same ink split by JPEG, touches it at all (this share) within this Lab
#: distance, or within the looser distance when it touches with more than half its pixels.
_SHADE_TOUCH_SAME_INK = 0.2
_SAME_INK_DIST, _SAME_INK_DIST_TOUCHING = 25, 40
#: A pale colour lies on a full colour's mixing ray when its hue is within this many degrees and
#: it is no more than ``_ON_RAY_DARKER`` Lab units darker.
_ON_RAY_HUE_DEG = 25
_ON_RAY_DARKER = 5


@dataclass
class InkColour:
    """One candidate curve colour.

    ``kind`` is ``"line"`` for a curve candidate, ``"band"`` for a wide pale area (confidence
    band, or where two bands overlap) whose pixels must be kept away from every curve.
    """

    rgb: np.ndarray  # (3,) float, 0-255
    lab: np.ndarray  # (3,) float, L 0-100
    chromatic: bool
    kind: str = "line"
    count: int = 0
    parent: int = -1  # for a shade: index of the colour whose line it belongs to


def refine_colours(rgb: np.ndarray, ink: np.ndarray, bg: np.ndarray, colours: list[InkColour],
                   labels: np.ndarray) -> None:
    """Move each colour along its mixing ray to the strong end of its own pixels.

    Thin lines have two anti-aliased rim pixels for each core pixel, so the histogram mode can
    sit on the rim; the line colour is what the most covered pixels show.
    """
    for k, c in enumerate(colours):
        px = rgb[labels == k].astype(np.float32)
        if len(px) < _REFINE_MIN_PIXELS:
            continue
        d = c.rgb - bg
        raw = (px - bg.astype(np.float32)) @ d.astype(np.float32) / max(float(d @ d), 1e-6)
        scale = float(np.clip(np.percentile(raw, _REFINE_PERCENTILE), *_REFINE_SCALE))
        c.rgb = np.clip(bg + scale * d, 0, 255)
        c.lab = to_lab(c.rgb.reshape(1, 1, 3).astype(np.uint8)).reshape(3)
        c.count = len(px)


def merge_close(colours: list[InkColour], min_dist: float = 12.0) -> list[InkColour]:
    """Drop colours within ``min_dist`` (Lab) of a colour with more pixels (two modes of one ink)."""
    order = sorted(colours, key=lambda c: -c.count)
    out: list[InkColour] = []
    for c in order:
        if all(np.linalg.norm(c.lab - o.lab) >= min_dist or c.chromatic != o.chromatic for o in out):
            out.append(c)
    return out


def _peaks(samples: np.ndarray, weights: np.ndarray, bins: list[np.ndarray], sigma: float,
           min_count: float, spacings: tuple[int, ...] = (2,)) -> list[list[np.ndarray]]:
    """Modes of a weighted histogram of ``samples`` (N, D), as sample-space coordinates: one
    list per spacing (the modes' least distance apart, in bins)."""
    hist, edges = np.histogramdd(samples, bins=bins, weights=weights)
    smooth = ndi.gaussian_filter(hist, sigma)
    counts = ndi.gaussian_filter(np.histogramdd(samples, bins=bins)[0], sigma)
    out = []
    for spacing in spacings:
        idx = peak_local_max(smooth, min_distance=spacing, threshold_abs=1e-9,
                             exclude_border=False)
        out.append([np.array([0.5 * (e[i] + e[i + 1]) for e, i in zip(edges, p)]) for p in idx
                    if counts[tuple(p)] * (2 * np.pi * sigma**2) ** (len(bins) / 2) >= min_count])
    return out


def _lines_over_bands(main: list[np.ndarray], near: list[np.ndarray]) -> list[np.ndarray]:
    """The modes in ``near`` (found at a finer spacing than ``main``) that are a line over its own
    confidence band: a thin line drawn on its band has few pixels next to the band's many, and
    the band's mixes with it (the line's rims) run up to it, so at the coarse spacing the band's
    mode hides it. Kept are the modes at least ``_LINE_OVER_BAND`` stronger than the coarse mode
    that hides them, which is a paler mix of them (on their mixing ray)."""
    out = []
    for p in near:
        gaps = [np.abs((p - q) / _BIN_STEPS).max() for q in main]
        if not gaps or min(gaps) < 1:  # already found
            continue
        hider = main[int(np.argmin([np.linalg.norm(p - q) for q in main]))]
        line = InkColour(rgb=np.zeros(3), lab=p, chromatic=True)
        band = InkColour(rgb=np.zeros(3), lab=hider, chromatic=True)
        if _strength(line) > _strength(band) + _LINE_OVER_BAND and on_ray(band, line):
            out.append(p)
    return out


def candidate_colours(rgb: np.ndarray, lab: np.ndarray, coloured: np.ndarray, dark: np.ndarray,
                      bg: np.ndarray, min_pixels: int) -> list[InkColour]:
    """Modes of the ink colours: line cores, tints, band colours (sorted by pixel count).

    The histogram is weighted by how far each pixel is from the background, so that the
    saturated cores of lines win over their own anti-aliased rims.
    """
    bg_lab = to_lab(bg.reshape(1, 3).astype(np.uint8)).reshape(3)
    out: list[InkColour] = []
    if coloured.sum() >= min_pixels:
        s = lab[coloured]
        w = np.hypot(s[:, 1] - bg_lab[1], s[:, 2] - bg_lab[2]) ** 2
        bins = [np.arange(0, 104, _BIN_L), np.arange(-128, 132, _BIN_AB),
                np.arange(-128, 132, _BIN_AB)]
        main, near = _peaks(s, w, bins, 1.0, min_pixels / 4, spacings=(2, 1))
        for p in main + _lines_over_bands(main, near):
            out.append(InkColour(rgb=np.zeros(3), lab=p, chromatic=True))
    if dark.sum() >= min_pixels:
        s = lab[dark][:, :1]
        w = (bg_lab[0] - s[:, 0]) ** 2
        for p in _peaks(s, w, [np.arange(0, 102, _BIN_GREY_L)], 1.0, min_pixels / 4)[0]:
            out.append(InkColour(rgb=np.zeros(3), lab=np.array([p[0], 0.0, 0.0]), chromatic=False))
    for c in out:
        c.rgb = lab_to_rgb(c.lab)
    return out


def assign_pixels(rgb: np.ndarray, ink: np.ndarray, bg: np.ndarray, colours: list[InkColour],
                  max_resid: float = 45.0) -> tuple[np.ndarray, np.ndarray]:
    """Label each ink pixel with the colour whose mixing ray fits it best.

    Returns ``labels`` (-1 = none) and ``alpha`` images. Ties on one ray (a pale pixel fits
    both a tint and the full colour) go to the colour whose mode is nearest, so a pale band
    keeps its own pixels and an anti-aliased rim goes to its line.
    """
    h, w = ink.shape
    labels = np.full((h, w), -1, np.int32)
    alpha = np.zeros((h, w), np.float32)
    if not colours:
        return labels, alpha
    px = rgb[ink].astype(np.float32)
    lab = to_lab(px.reshape(-1, 1, 3).astype(np.uint8)).reshape(-1, 3)
    score = np.empty((len(px), len(colours)), np.float32)
    alphas = np.empty_like(score)
    for k, c in enumerate(colours):
        a, r = mixing_fit(px, bg, c.rgb)
        dlab = np.linalg.norm(lab - c.lab.astype(np.float32), axis=1)
        alphas[:, k] = a
        score[:, k] = np.where(r < max_resid, r + 0.5 * dlab, np.inf)
    best = score.argmin(axis=1)
    ok = np.isfinite(score[np.arange(len(px)), best])
    lab_img = np.where(ok, best, -1)
    labels[ink] = lab_img
    alpha[ink] = np.where(ok, alphas[np.arange(len(px)), best], 0.0)
    return labels, alpha


def rim_pixels(rgb: np.ndarray, ink: np.ndarray, bg: np.ndarray, colours: list[InkColour],
               labels: np.ndarray, alpha: np.ndarray, valid: np.ndarray, max_alpha: float,
               max_resid: float = 12.0) -> tuple[np.ndarray, np.ndarray]:
    """The faint anti-aliased rim next to each colour's ink: ``(labels, alpha)`` images.

    A line's edge pixel covered a little is too pale to count as ink, yet its coverage is what
    places the line to a fraction of a pixel. Each pixel touching labelled ink gets the label of
    its most covered neighbour and its coverage on that colour's ray, kept when it fits the ray
    and stays under ``max_alpha`` (ink threshold: a rim never becomes ink).
    """
    h, w = ink.shape
    pad_a = np.pad(np.where(labels >= 0, alpha, 0.0), 1)
    pad_l = np.pad(labels, 1, constant_values=-1)
    best_a = np.zeros((h, w), np.float32)
    best_l = np.full((h, w), -1, np.int32)
    for dy in (-1, 0, 1):
        for dx in (-1, 0, 1):
            if dy or dx:
                a = pad_a[1 + dy:h + 1 + dy, 1 + dx:w + 1 + dx]
                take = a > best_a
                best_a = np.where(take, a, best_a)
                best_l = np.where(take, pad_l[1 + dy:h + 1 + dy, 1 + dx:w + 1 + dx], best_l)
    rim = (best_l >= 0) & ~ink & valid
    rim_l = np.full((h, w), -1, np.int32)
    rim_a = np.zeros((h, w), np.float32)
    ys, xs = np.nonzero(rim)
    for k, c in enumerate(colours):
        sel = best_l[ys, xs] == k
        if not sel.any():
            continue
        a, r = mixing_fit(rgb[ys[sel], xs[sel]], bg, c.rgb)
        ok = (r < max_resid) & (a > 0) & (a < max_alpha)
        rim_l[ys[sel][ok], xs[sel][ok]] = k
        rim_a[ys[sel][ok], xs[sel][ok]] = a[ok]
    return rim_l, rim_a


def classify_colours(labels: np.ndarray, colours: list[InkColour], line_width: float,
                     strong: np.ndarray | None = None) -> None:
    """Mark wide pale areas as bands and the shades of each line colour (in place).

    A colour is a *band* when most of its pixels survive a morphological opening wider than the
    curves (a filled area, not a line). A colour is a *shade* of a stronger one (``parent``)
    when nearly all of its pixels touch that colour's pixels and it either lies on that
    colour's mixing ray (the anti-aliased rim of a line) or is close to it (JPEG splits one ink
    into several colours, e.g. vertical and horizontal strokes).
    """
    size = int(2 * np.ceil(line_width) + 3)
    square = np.ones((size, size), np.uint8)
    masks = [(labels == k).astype(np.uint8) for k in range(len(colours))]
    wide = np.zeros(len(colours))
    for k, c in enumerate(colours):
        c.count = int(masks[k].sum())
        if c.count == 0:
            c.kind = "empty"
            continue
        own = masks[k] if strong is None else masks[k] & strong.astype(np.uint8)
        if own.sum() < _STRONG_MIN_SHARE * c.count:
            own = masks[k]  # too few strong pixels to judge by: all of them
        wide[k] = cv2.morphologyEx(own, cv2.MORPH_OPEN, square).sum() / own.sum()
    for k, c in enumerate(colours):
        if c.kind == "empty" or not c.chromatic or wide[k] <= _BAND_WIDE_SHARE:
            continue
        chroma = np.ptp(c.rgb)
        pale_or_dull = ((c.lab[0] >= _BAND_MIN_L and chroma < _BAND_PALE_MAX_CHROMA)
                        or chroma < _BAND_MAX_CHROMA)
        # a line of this hue elsewhere: this wide area of it is the line over its band
        hue_has_line = any(d.chromatic and d.kind != "empty" and wide[j] <= _BAND_WIDE_SHARE
                           and _hue_gap(c, d) < np.deg2rad(_ON_RAY_HUE_DEG)
                           for j, d in enumerate(colours) if j != k)
        if pale_or_dull or hue_has_line:
            c.kind = "band"
    ring = np.ones((5, 5), np.uint8)
    near = [cv2.dilate(m, ring) for m in masks]
    order = np.argsort([-c.count for c in colours])
    for i in order[::-1]:
        c = colours[i]
        if c.kind != "line":
            continue
        best, best_touch = -1, 0.0
        for j in order:
            d = colours[j]
            if j == i or d.kind != "line" or d.parent >= 0:
                continue
            touching = (masks[i] & near[j]).sum() / max(c.count, 1)
            dist = float(np.linalg.norm(c.lab - d.lab))
            same_ink = d.count >= c.count and (dist < _SAME_INK_DIST or (
                dist < _SAME_INK_DIST_TOUCHING and touching > 0.5))
            if ((touching > _SHADE_TOUCH_ON_RAY and on_ray(c, d) and _strength(d) > _strength(c))
                    or (touching > _SHADE_TOUCH_SAME_INK and same_ink)) and touching > best_touch:
                best, best_touch = j, touching
        if best >= 0:
            c.kind, c.parent = "shade", best


def _hue_gap(c: InkColour, d: InkColour) -> float:
    """Angle (radians) between two colours' hues in the Lab a-b plane."""
    gap = abs(np.arctan2(c.lab[2], c.lab[1]) - np.arctan2(d.lab[2], d.lab[1]))
    return float(min(gap, 2 * np.pi - gap))


def merge_greys(colours: list[InkColour]) -> list[InkColour]:
    """Keep one achromatic candidate, the darkest.

    Thin black lines never reach black after anti-aliasing, so the grey levels of one dark
    line spread over several modes; black and grey arms are told apart later, per traced
    curve, not by colour modes.
    """
    greys = [c for c in colours if not c.chromatic]
    if len(greys) <= 1:
        return colours
    darkest = min(greys, key=lambda c: c.lab[0])
    return [c for c in colours if c.chromatic] + [darkest]


def _strength(c: InkColour) -> float:
    """How strongly a colour stands out (saturation for colours, darkness for greys)."""
    return float(np.hypot(c.lab[1], c.lab[2]) + (100.0 - c.lab[0]) * (0.3 if c.chromatic else 1.0))


def on_ray(pale: InkColour, full: InkColour, bg: np.ndarray | None = None) -> bool:
    """Whether ``pale`` is (about) a mix of ``full`` with a light background."""
    if pale.chromatic != full.chromatic:
        return not pale.chromatic  # a grey rim can belong to a coloured line over grey paper
    if not pale.chromatic:
        return pale.lab[0] > full.lab[0]
    return bool(_hue_gap(pale, full) < np.deg2rad(_ON_RAY_HUE_DEG)
                and pale.lab[0] >= full.lab[0] - _ON_RAY_DARKER)


def bands_and_aliases(labels: np.ndarray, colours: list[InkColour], line_width: float,
                      bg: np.ndarray, max_resid: float = 32.0) -> dict[int, list[int]]:
    """Group each line colour with its shades, find confidence bands and band aliases.

    A tint of a stronger colour that lies above *and* below that colour's line in many columns
    is its band. When a figure has bands, a line seen through another arm's translucent band
    takes a mixed colour ``(1 - b) * line + b * other``; such a colour is an alias of the line.
    Returns, for each line colour index, the colour indices whose pixels belong to its line.
    """
    def root(k: int) -> int:
        seen = set()
        while colours[k].parent >= 0 and k not in seen:
            seen.add(k)
            k = colours[k].parent
        return k

    groups: dict[int, list[int]] = {k: [k] for k, c in enumerate(colours) if c.kind == "line"}
    for k, c in enumerate(colours):
        if c.kind == "shade" and root(k) in groups:
            groups[root(k)].append(k)
    masks = {k: np.isin(labels, m).astype(np.uint8) for k, m in groups.items()}
    reach = int(3 * line_width + 6)
    up = np.zeros((2 * reach + 1, 1), np.uint8)
    up[reach:] = 1  # dilating with this marks the pixels above a mask pixel
    down = up[::-1].copy()
    for i in list(groups):
        t = colours[i]
        if not t.chromatic:
            continue
        for j in groups:
            s = colours[j]
            if j == i or s.kind != "line" or not s.chromatic or not on_ray(t, s):
                continue
            if _strength(s) <= _strength(t):
                continue
            cols = masks[j].any(axis=0)
            if cols.sum() < 10:
                continue
            above = (masks[i] & cv2.dilate(masks[j], up)).any(axis=0)
            below = (masks[i] & cv2.dilate(masks[j], down)).any(axis=0)
            if (above & below & cols).sum() > 0.3 * cols.sum():
                t.kind = "band"
                break
    _pale_mixes(colours, groups, bg)
    groups = {k: m for k, m in groups.items() if colours[k].kind == "line"}
    bands = [k for k, c in enumerate(colours) if c.kind == "band"]
    if not bands:
        return groups
    lines = list(groups)
    parent: dict[int, int] = {}
    for x in lines:
        best = None
        for li in lines:
            if li == x or _strength(colours[li]) < _strength(colours[x]) - 40:
                continue
            for m in lines + bands:
                if m in (li, x):
                    continue
                lc, mc, xc = colours[li].rgb, colours[m].rgb, colours[x].rgb
                d = mc - lc
                beta = float((xc - lc) @ d / max(d @ d, 1e-6))
                resid = float(np.linalg.norm(xc - lc - beta * d))
                if 0.08 <= beta <= 0.45 and resid < max_resid and (best is None or resid < best[0]):
                    best = (resid, li)
        if best is not None:
            parent[x] = best[1]
    for x, p in parent.items():
        if p not in parent:  # one level only: a parent that is itself an alias stays a line
            groups[p].extend(groups.pop(x))
    return groups


def _pale_mixes(colours: list[InkColour], groups: dict[int, list[int]], bg: np.ndarray) -> None:
    """Mark as bands the line candidates that are pale mixes of paper and line colours.

    A translucent band is the paper plus a small share of its arm's colour (or of two arms'
    colours where two bands overlap); the shares add up to well under one. A line seen through
    a band is a full mix of two colours (shares adding up to one) and stays a line.
    """
    lines = [k for k in groups if colours[k].chromatic]
    for x in lines:
        v = colours[x].rgb - bg
        for i in lines:
            for j in lines:
                if x in (i, j) or j < i:
                    continue
                basis = np.column_stack([colours[i].rgb - bg, colours[j].rgb - bg])
                if i == j:
                    basis = basis[:, :1]
                share, *_ = np.linalg.lstsq(basis, v, rcond=None)
                resid = float(np.linalg.norm(basis @ share - v))
                if resid < 20 and np.all(share > -0.05) and share.sum() < 0.6 \
                        and _strength(colours[x]) < min(_strength(colours[k]) for k in (i, j)):
                    colours[x].kind = "band"
