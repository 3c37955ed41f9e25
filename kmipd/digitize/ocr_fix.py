"""Read small numbers (at-risk counts) reliably, and repair a row of counts that cannot be right.

A cell is read again from the image by rapidocr's recogniser alone (no detector, no angle
classifier, which turned "99" into "66" with full confidence), with its output restricted to the
characters a count cell can hold. The decoder keeps several readings per cell with their
probabilities, so that a row that breaks the rules of a risk table (counts never rise; they drop
at least by the events the curve shows) is mended by the reading the recogniser itself found
next most likely, or by a known digit confusion, and flagged when no single reading explains it.
Cells the OCR detector missed are found from the ink on their column.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

_ALLOWED = "0123456789,.() "
_HEIGHT = 48  # the recogniser's input height
_STRIDE = 8  # pixels of input width per output time step
_GAP = 2 * _STRIDE  # white space between cells in the strip
_MAX_STRIP = 3200  # longer strips are split: attention cost grows with length

# Digit pairs that OCR engines (and low-resolution JPEG figures) swap, both ways.
CONFUSIONS: dict[str, str] = {
    "6": "8590", "8": "6305", "1": "74", "7": "1", "3": "85", "5": "63", "0": "869", "9": "60",
    "4": "1",
}
COST_CONFUSION = 6.0  # cost (in nats) of a reading that only a known confusion explains
COST_DIGIT = 9.0  # a digit dropped or added by the reader
MAX_REPAIR_COST = 8.0  # above this a row is flagged rather than rewritten
MIN_MARGIN = 2.5  # a repair must beat every other explanation by this many nats
SURVIVAL_TOL = 0.015  # how far a digitized survival may be off when bounding events


@dataclass(frozen=True)
class CellReading:
    """What one cell says: the best text, its probability, and the counts it may stand for.

    ``candidates`` are ``(count, cost)`` pairs, cheapest first; the cost is the negative log
    probability relative to the best reading (0 for the best), or a fixed price for a reading that
    only a known digit confusion explains.
    """

    text: str
    prob: float
    candidates: tuple[tuple[int, float], ...] = field(default_factory=tuple)

    @property
    def value(self) -> int | None:
        return self.candidates[0][0] if self.candidates else None


def parse_count(text: str) -> int | None:
    """The count a cell's text states: ``"1,234"`` -> 1234, ``"23 (5)"`` -> 23; None if none.

    Decimals (standard-error rows) and bare parenthesised numbers (censored counts) are not
    counts at risk.
    """
    t = text.strip().replace(" ", "")
    head = t.split("(")[0]
    if not head or "." in head or not any(c.isdigit() for c in head):
        return None
    parts = head.split(",")
    # "1,234" is a thousands separator; "12,3" is a decimal comma
    if len(parts) > 1 and not all(len(p) == 3 for p in parts[1:]):
        return None
    digits = "".join(parts)
    return int(digits) if digits.isdigit() else None


def _recogniser():
    """rapidocr's text recogniser: (session, column indices of blank + _ALLOWED, characters)."""
    try:
        from kmipd.digitize.ocr import engine

        rec = engine()._load_rec_model()
        chars = list(rec.postprocess_op.character)
        index = [0] + [chars.index(c) for c in _ALLOWED]
        return rec.session, index, chars
    except Exception:  # another rapidocr layout: callers fall back to the whole-image words
        return None


def read_text(image: np.ndarray, box: Sequence[float]) -> tuple[str, float] | None:
    """Read one line of text in ``box`` with the recogniser alone (any characters).

    Unlike the whole-image OCR this never turns a short word upside down. Returns ``(text,
    mean character probability)``, or None without a recogniser.
    """
    rec = _recogniser()
    if rec is None:
        return None
    session, _, chars = rec
    if box[2] - box[0] < 2 or box[3] - box[1] < 2:
        return None
    crop = _crop(image, box)
    width = int(math.ceil((crop.shape[1] + 2 * _GAP) / _STRIDE)) * _STRIDE
    strip = np.full((_HEIGHT, width), 255.0, dtype=np.float32)
    strip[:, _GAP:_GAP + crop.shape[1]] = crop
    x = np.repeat(((strip / 255.0 - 0.5) / 0.5)[None, None], 3, axis=1).astype(np.float32)
    probs = np.asarray(session(x))[0]
    best = probs.argmax(axis=1)
    keep = (best != 0) & np.r_[True, best[1:] != best[:-1]]
    text = "".join(chars[k] for k in best[keep])
    score = float(probs.max(axis=1)[keep].mean()) if keep.any() else 0.0
    return text.strip(), score


def _crop(image: np.ndarray, box: Sequence[float]) -> np.ndarray:
    """Grey crop of ``box`` with a margin, contrast-stretched, scaled to the recogniser height."""
    import cv2

    x0, y0, x1, y1 = box
    h = max(y1 - y0, 4.0)
    pad_x, pad_y = 0.15 * h, 0.12 * h
    H, W = image.shape[:2]
    a0, b0 = int(math.floor(x0 - pad_x)), int(math.floor(y0 - pad_y))
    a1, b1 = int(math.ceil(x1 + pad_x)), int(math.ceil(y1 + pad_y))
    out = np.full((b1 - b0, a1 - a0), 255.0, dtype=np.float32)
    sy0, sx0 = max(b0, 0), max(a0, 0)
    sy1, sx1 = min(b1, H), min(a1, W)
    if sy1 > sy0 and sx1 > sx0:
        part = np.asarray(image[sy0:sy1, sx0:sx1], dtype=np.float32)
        out[sy0 - b0:sy1 - b0, sx0 - a0:sx1 - a0] = part.mean(axis=2) if part.ndim == 3 else part
    out = _keep_own_ink(out, x0 - a0, x1 - a0, 0.12 * h)
    # light grey or yellow numbers read as well as black ones once stretched
    lo, hi = float(out.min()), float(np.percentile(out, 90))
    if hi - lo > 20:
        out = np.clip((out - lo) * 255.0 / (hi - lo), 0, 255)
    scale = _HEIGHT / out.shape[0]
    width = max(_STRIDE, int(round(out.shape[1] * scale)))
    interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
    return cv2.resize(out, (width, _HEIGHT), interpolation=interp)


def _keep_own_ink(crop: np.ndarray, x0: float, x1: float, gap: float) -> np.ndarray:
    """Whiten marks in the margin that do not touch the box's own ink (a label's last letter)."""
    ink = (np.median(crop) - crop) > 60
    cols = np.flatnonzero(ink.any(axis=0))
    if cols.size == 0:
        return crop
    runs = np.split(cols, np.flatnonzero(np.diff(cols) > max(gap, 1.0)) + 1)
    out = crop.copy()
    for r in runs:
        if r[-1] < x0 - 1 or r[0] > x1 + 1:
            out[:, r[0]:r[-1] + 1] = 255.0
    return out


def _strips(crops: list[np.ndarray]) -> list[tuple[np.ndarray, list[tuple[int, int]]]]:
    """Lay crops side by side in strips; each cell's span in output time steps."""
    out, cur, spans, x = [], [], [], _GAP
    for c in crops:
        w = int(math.ceil(c.shape[1] / _STRIDE)) * _STRIDE
        if cur and x + w + _GAP > _MAX_STRIP:
            out.append((cur, spans, x))
            cur, spans, x = [], [], _GAP
        cur.append((x, c))
        spans.append((x // _STRIDE, (x + w) // _STRIDE))
        x += w + _GAP
    if cur:
        out.append((cur, spans, x))
    strips = []
    for cells, spans, width in out:
        strip = np.full((_HEIGHT, width), 255.0, dtype=np.float32)
        for x0, c in cells:
            strip[:, x0:x0 + c.shape[1]] = c
        strips.append((strip, spans))
    return strips


def _ctc_nbest(probs: np.ndarray, beam: int = 8) -> list[tuple[str, float]]:
    """Most probable texts of one CTC segment (``probs``: T x (1 + len(_ALLOWED)), blank first)."""
    beams: dict[tuple[int, ...], list[float]] = {(): [1.0, 0.0]}  # prefix -> [p_blank, p_char]
    for p in probs:
        live = [k for k in range(1, p.size) if p[k] > 1e-4]
        new: dict[tuple[int, ...], list[float]] = defaultdict(lambda: [0.0, 0.0])
        for prefix, (pb, pc) in beams.items():
            new[prefix][0] += (pb + pc) * p[0]
            for k in live:
                if prefix and prefix[-1] == k:
                    new[prefix][1] += pc * p[k]  # the same character continues
                    new[prefix + (k,)][1] += pb * p[k]  # a doubled character after a blank
                else:
                    new[prefix + (k,)][1] += (pb + pc) * p[k]
        beams = dict(sorted(new.items(), key=lambda kv: -sum(kv[1]))[:beam])
    return [("".join(_ALLOWED[k - 1] for k in pre), float(sum(v))) for pre, v in beams.items()]


def read_cells(image: np.ndarray, boxes: Sequence[Sequence[float]]) -> list[CellReading] | None:
    """Read count cells with the recogniser alone (no detector, no angle classifier).

    Parameters
    ----------
    image : ndarray
        RGB or grey figure.
    boxes : sequence of (x0, y0, x1, y1)
        Cell boxes in image pixels.

    Returns
    -------
    list of CellReading or None
        One per box; None when the recogniser is not available.
    """
    if not boxes:
        return []
    rec = _recogniser()
    if rec is None:
        return None
    session, index, _ = rec
    crops = [_crop(image, b) for b in boxes]
    readings: list[CellReading] = []
    for strip, spans in _strips(crops):
        x = np.repeat(((strip / 255.0 - 0.5) / 0.5)[None, None], 3, axis=1).astype(np.float32)
        probs = np.asarray(session(x))[0][:, index]
        probs = probs / np.maximum(probs.sum(axis=1, keepdims=True), 1e-12)
        for s0, s1 in spans:
            seg = probs[max(s0 - 1, 0):min(s1 + 1, probs.shape[0])]
            readings.append(reading_from_texts(_ctc_nbest(seg)))
    return readings


def reading_from_texts(texts: Sequence[tuple[str, float]]) -> CellReading:
    """Turn scored texts (best first) into a :class:`CellReading` with count candidates."""
    texts = [(t.strip(), p) for t, p in texts if p > 0]
    if not texts:
        return CellReading("", 0.0, ())
    by_value: dict[int, float] = {}
    for t, p in texts:
        v = parse_count(t)
        if v is not None:
            by_value[v] = by_value.get(v, 0.0) + p  # "12" and "12 " are one reading
    best_p = max(by_value.values(), default=1.0)
    cands = sorted(((v, -math.log(p / best_p)) for v, p in by_value.items()), key=lambda c: c[1])
    top = max(texts, key=lambda tp: tp[1])
    return CellReading(top[0], float(top[1]), tuple(cands))


def confusion_variants(text: str) -> list[tuple[int, float]]:
    """Counts that ``text`` may have been misread from, with their price.

    One digit swapped for a look-alike (6/8, 1/7, 3/8, 5/6, 0/8, ...), or one digit dropped or
    added by the reader.
    """
    digits = "".join(c for c in text.split("(")[0] if c.isdigit())
    out: dict[int, float] = {}

    def add(s: str, cost: float) -> None:
        if s and (s == "0" or s[0] != "0"):
            out[int(s)] = min(out.get(int(s), cost), cost)

    for i, c in enumerate(digits):
        for r in CONFUSIONS.get(c, ""):
            add(digits[:i] + r + digits[i + 1:], COST_CONFUSION)
        if len(digits) > 1:
            add(digits[:i] + digits[i + 1:], COST_DIGIT)  # an extra digit was read
    for i in range(len(digits) + 1):
        for r in "0123456789":
            add(digits[:i] + r + digits[i:], COST_DIGIT)  # a digit was dropped
    out.pop(int(digits), None) if digits else None
    return sorted(out.items(), key=lambda c: c[1])


def min_events(s0: float, s1: float, n1: int) -> int:
    """Fewest events that take survival from ``s0`` to ``s1`` with ``n1`` still at risk after.

    Every event multiplies survival by at least ``n1 / (n1 + 1)`` (the risk set then holds at
    least the ``n1`` survivors and the one who dies), so ``d >= ln(s1/s0) / ln(n1/(n1+1))``.
    """
    if not (np.isfinite(s0) and np.isfinite(s1)) or n1 <= 0 or s0 <= 0:
        return 0
    ratio = min(1.0, (s1 + SURVIVAL_TOL) / max(s0 - SURVIVAL_TOL, 1e-9))
    if ratio >= 1.0:
        return 0
    return max(0, int(math.floor(math.log(ratio) / math.log(n1 / (n1 + 1)) + 1e-9)))


def max_at_risk(s0: float, s1: float, n0: int) -> float:
    """Most that can be at risk at a later time, given ``n0`` at risk when survival was ``s0``.

    Events keep (number at risk) / (survival) constant and censoring only lowers it, so
    ``n1 <= n0 * s1 / s0`` (survival read just before each time; inf when the curve says nothing).
    """
    if not (np.isfinite(s0) and np.isfinite(s1)) or s0 <= SURVIVAL_TOL:
        return math.inf
    return n0 * min(1.0, (s1 + SURVIVAL_TOL) / (s0 - SURVIVAL_TOL)) + 1.0


def counts_fit(s0: float, s1: float, n0: int, n1: int) -> bool:
    """Whether ``n0`` then ``n1`` at risk agree with survival ``s0`` then ``s1`` (NaN: no curve)."""
    return n0 >= n1 and n0 - n1 >= min_events(s0, s1, n1) and n1 <= max_at_risk(s0, s1, n0)


def step_at(t: np.ndarray, s: np.ndarray, times: np.ndarray, eps: float = 0.0) -> np.ndarray:
    """Survival just before each of ``times`` (NaN past the curve's end) from step points ``t, s``.

    The number at risk at time t still counts those who die at t, so the curve is read left of
    any drop at t: at ``time - eps`` (``eps`` covers the pixel error of a digitized drop).
    """
    times = np.asarray(times, float)
    out = np.full(times.shape, np.nan)
    if len(t):
        inside = (times >= t[0] - 1e-9) & (times <= t[-1] + 1e-9)
        at = np.maximum(times[inside] - eps, t[0])
        out[inside] = s[np.maximum(np.searchsorted(t, at, side="left") - 1, 0)]
    return out


Feasible = Callable[[int, int, int, int], bool]  # (cell i, cell j > i, count at i, count at j)


def _best_path(options: list[list[tuple[int, float]]], ok: Feasible):
    """Cheapest choice of one option per cell such that ``ok`` holds between neighbours."""
    cost = [c for _, c in options[0]]
    back: list[list[int]] = []
    for i in range(1, len(options)):
        new, arg = [], []
        for v, c in options[i]:
            best, k = math.inf, -1
            for j, (u, _) in enumerate(options[i - 1]):
                if cost[j] < best and ok(i - 1, u, v):
                    best, k = cost[j], j
            new.append(best + c)
            arg.append(k)
        cost = new
        back.append(arg)
    j = int(np.argmin(cost))
    if not math.isfinite(cost[j]):
        return math.inf, None
    path = [j]
    for arg in reversed(back):
        path.append(arg[path[-1]])
    path.reverse()
    return cost[j], [options[i][k][0] for i, k in enumerate(path)]


def repair_row(readings: Sequence[CellReading], ok: Feasible) -> tuple[list[int | None], list[str]]:
    """Make one row of counts consistent, changing a cell only when one reading explains it.

    Parameters
    ----------
    readings : sequence of CellReading
        The row's cells in time order.
    ok : callable
        ``ok(i, j, n_i, n_j)`` tells whether counts ``n_i`` at cell ``i`` and ``n_j`` at a later
        cell ``j`` can both be right (never rising; dropping at least by the curve's events).

    Returns
    -------
    values : list of int or None
        The value of each cell (None where the reading is not a count).
    status : list of str
        ``"ok"``, ``"repaired"``, or ``"flagged"`` for each cell.
    """
    primary = [r.value for r in readings]
    status = ["ok"] * len(readings)
    idx = [i for i, v in enumerate(primary) if v is not None]
    if len(idx) < 2:
        return primary, status
    seq = [primary[i] for i in idx]
    if all(ok(idx[k], idx[k + 1], seq[k], seq[k + 1]) for k in range(len(idx) - 1)):
        return primary, status

    def pair_ok(k: int, u: int, v: int) -> bool:
        return ok(idx[k], idx[k + 1], u, v)

    options = []
    for i in idx:
        r = readings[i]
        opts = dict(r.candidates)
        for v, c in confusion_variants(r.text):
            opts[v] = min(opts.get(v, math.inf), c)
        opts.pop(None, None)
        options.append(sorted(opts.items(), key=lambda o: o[1])[:60])
    cost, path = _best_path(options, pair_ok)
    changed = [k for k in range(len(idx)) if path is not None and path[k] != seq[k]]
    if path is not None and cost <= MAX_REPAIR_COST:
        unique = True
        for k in changed:
            # the best explanation that does not give cell k this value must cost clearly more
            alt = [o if j != k else [p for p in o if p[0] != path[k]] for j, o in enumerate(options)]
            alt_cost, _ = _best_path(alt, pair_ok)
            unique &= alt_cost - cost >= MIN_MARGIN
        if unique:
            values = list(primary)
            for k in changed:
                values[idx[k]] = path[k]
                status[idx[k]] = "repaired"
            return values, status
    for k in _outside_longest_chain(seq, lambda a, b: ok(idx[a], idx[b], seq[a], seq[b])):
        status[idx[k]] = "flagged"
    return primary, status


def _outside_longest_chain(seq: list[int], ok: Callable[[int, int], bool]) -> list[int]:
    """Cells that are not on every longest consistent chain: the suspects to flag.

    When two cells contradict each other and either could be the wrong one (15 then 17 in a
    falling row), both are flagged, so that what is kept never rises.
    """
    n = len(seq)
    best, n_end = [1] * n, [1] * n  # longest chain ending at i, and how many there are
    for i in range(n):
        for j in range(i):
            if ok(j, i):
                if best[j] + 1 > best[i]:
                    best[i], n_end[i] = best[j] + 1, n_end[j]
                elif best[j] + 1 == best[i]:
                    n_end[i] += n_end[j]
    tail, n_start = [1] * n, [1] * n  # the same for chains starting at i
    for i in range(n - 1, -1, -1):
        for j in range(i + 1, n):
            if ok(i, j):
                if tail[j] + 1 > tail[i]:
                    tail[i], n_start[i] = tail[j] + 1, n_start[j]
                elif tail[j] + 1 == tail[i]:
                    n_start[i] += n_start[j]
    top = max(best)
    total = sum(n_end[i] for i in range(n) if best[i] == top)
    return [i for i in range(n)
            if best[i] + tail[i] - 1 < top or n_end[i] * n_start[i] < total]


def find_missed_cells(image: np.ndarray, y0: float, y1: float, taken: Sequence[float],
                      columns: Sequence[float], step_px: float,
                      mode: int = 0) -> list[tuple[float, float, float, float]]:
    """Boxes ``(x0, y0, x1, y1)`` of cells the OCR missed in the row band ``y0..y1``.

    ``columns`` are the x of every column (other rows' cells, ticks), ``taken`` those of the row's
    own cells, both as aligned by ``mode`` (centre 0, left 1, right 2); ``step_px`` is the column
    spacing. A column gets a cell where a compact blob of ink sits on it; a blank cell (the arm
    has ended) gives nothing.
    """
    h = y1 - y0
    band0 = max(int(y0), 0)
    grey = np.asarray(image[band0:int(np.ceil(y1))], float)
    grey = grey.mean(axis=2) if grey.ndim == 3 else grey
    lo, hi = min(columns) - 0.3 * step_px, max(columns) + 0.3 * step_px
    taken, out = list(taken), []
    for x in sorted({round(c) for c in columns}):
        if not lo <= x <= hi or (taken and min(abs(x - a) for a in taken) < 0.4 * step_px):
            continue
        a0, a1 = max(int(x - 0.45 * step_px), 0), min(int(x + 0.45 * step_px), grey.shape[1])
        band = grey[:, a0:a1]
        ink = (np.median(band) - band) > 60 if band.size else np.zeros((0, 0), bool)
        xs = np.flatnonzero(ink.any(axis=0))
        if xs.size == 0:
            continue
        # the blob of ink nearest the column, its pieces no further apart than a digit gap
        runs = np.split(xs, np.flatnonzero(np.diff(xs) > 0.5 * h) + 1)
        run = min(runs, key=lambda r: abs(a0 + (r[0] + r[-1]) / 2 - x))
        b0, b1 = a0 + run[0], a0 + run[-1] + 1
        ref = (b0 + b1) / 2 if mode == 0 else (b0 if mode == 1 else b1)
        if abs(ref - x) > 0.3 * step_px or b1 - b0 > 0.8 * step_px or b1 - b0 < 0.15 * h:
            continue
        ys = np.flatnonzero(ink[:, run[0]:run[-1] + 1].any(axis=1))
        out.append((float(b0), float(band0 + ys[0]), float(b1), float(band0 + ys[-1] + 1)))
        taken.append(ref)
    return out
