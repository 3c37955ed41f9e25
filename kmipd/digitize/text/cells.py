"""Read count cells and short texts again with rapidocr's recogniser alone, and find missed cells.

A cell is read from the image by the recogniser alone (no detector, no angle classifier, which
turned "99" into "66" with full confidence), with its output restricted to the characters a count
cell can hold. The CTC decoder keeps several readings per cell with their probabilities, so that
a row that breaks the rules of a risk table can be mended by the reading the recogniser itself
found next most likely (:mod:`kmipd.digitize.table.rules`). Cells the OCR detector missed are
found from the ink on their column (:func:`find_missed_cells`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from kmipd.digitize.text.page_text import text_in, words_for

_ALLOWED = "0123456789,.() "
_HEIGHT = 48  # the recogniser's input height
_STRIDE = 8  # pixels of input width per output time step
_GAP = 2 * _STRIDE  # white space between cells in the strip
_MAX_STRIP = 3200  # longer strips are split: attention cost grows with length
#: Most patients a count cell can hold. No trial has a million patients at risk in one arm; a
#: larger number is a misread (neighbouring cells or a row label run together into one number).
MAX_COUNT = 1_000_000


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


def too_large(text: str) -> int | None:
    """The count ``text`` states when it is above :data:`MAX_COUNT` (a misread), else None."""
    value = parse_count(text)
    return value if value is not None and value > MAX_COUNT else None


def bounded(reading: CellReading) -> CellReading:
    """``reading`` without counts above :data:`MAX_COUNT`.

    When its best reading is such a count the cell is a misread and keeps no count at all (its
    second-best reading is no more to be trusted); otherwise only the unlikely alternatives
    above the bound are dropped.
    """
    cands = reading.candidates
    if not cands or all(v <= MAX_COUNT for v, _ in cands):
        return reading
    keep = () if cands[0][0] > MAX_COUNT else tuple(c for c in cands if c[0] <= MAX_COUNT)
    return CellReading(reading.text, reading.prob, keep)


def _recogniser():
    """rapidocr's text recogniser: (session, column indices of blank + _ALLOWED, characters)."""
    try:
        from kmipd.digitize.text.ocr import engine

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
    page_words = words_for(image)
    if page_words is not None:
        return text_in(page_words, box), 1.0
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
    page_words = words_for(image)
    if page_words is not None:
        return [reading_from_texts([(text_in(page_words, b), 1.0)]) for b in boxes]
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
    # the darkest channel: a pale anti-aliased "1" in red or blue is faint in the mean grey
    grey = grey.min(axis=2) if grey.ndim == 3 else grey
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
        if abs(ref - x) > 0.3 * step_px or b1 - b0 > 0.8 * step_px or b1 - b0 < 0.1 * h:
            continue
        ys = np.flatnonzero(ink[:, run[0]:run[-1] + 1].any(axis=1))
        if b1 - b0 < 0.15 * h and ys[-1] - ys[0] + 1 < 0.4 * h:
            continue  # a speck, not a "1" two pixels wide
        out.append((float(b0), float(band0 + ys[0]), float(b1), float(band0 + ys[-1] + 1)))
        taken.append(ref)
    return out
