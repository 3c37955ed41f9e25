"""Offline OCR of figure text (tick labels, at-risk counts, legend) with rapidocr.

The rapidocr engine ships its models in the wheel, so nothing is downloaded. Loading takes about
half a second, so one engine is created lazily and reused for the whole process.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rapidocr import RapidOCR


@dataclass(frozen=True)
class OcrWord:
    """One piece of text found in an image, with its box in that image's pixels.

    ``x0, y0`` is the top-left and ``x1, y1`` the bottom-right corner (exclusive is not implied;
    these are the axis-aligned bounds of the detected quadrilateral).
    """

    text: str
    score: float
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def cx(self) -> float:
        return 0.5 * (self.x0 + self.x1)

    @property
    def cy(self) -> float:
        return 0.5 * (self.y0 + self.y1)

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def shifted(self, dx: float, dy: float, scale: float = 1.0) -> OcrWord:
        """The same word in the coordinates of a parent image (crop offset ``dx, dy``, zoom ``scale``)."""
        return OcrWord(
            self.text, self.score,
            dx + self.x0 / scale, dy + self.y0 / scale, dx + self.x1 / scale, dy + self.y1 / scale,
        )


#: Text lines per recognition batch. rapidocr sorts a figure's lines by width and pads each
#: batch to its widest line, so small batches of like lines waste little: 8 takes a figure with
#: 57 lines (short tick labels and long at-risk rows) from 2.2 s to 0.7 s against one batch of
#: all lines. What is read depends a little on the padding (a raised "+" is read as "⁺" in one
#: batch and "+" in another; :func:`read_words` normalises such forms).
REC_BATCH = 8
#: The detector finds text whose glyphs are at least about this tall (px) at the size it runs at.
DET_GLYPH_PX = 14.0
#: Longest side the detector runs at; a larger image is shrunk to it (rapidocr's own limit).
DET_MAX_SIDE = 2048


def _package_models(det_cfg, rec_cfg) -> dict[str, Path]:
    """The detection and recognition model files rapidocr ships in its own package.

    Resolved with rapidocr's own model table, so a rapidocr release that changes its default
    models is followed; empty when this rapidocr lays things out differently (it then finds, and
    if missing downloads, the models itself as before).
    """
    try:
        import rapidocr
        from rapidocr.inference_engine.base import FileInfo, InferSession

        root = Path(rapidocr.__file__).resolve().parent / "models"
        out = {}
        for task, cfg in (("det", det_cfg), ("rec", rec_cfg)):
            info = InferSession.get_model_url(FileInfo(
                engine_type=cfg.engine_type, ocr_version=cfg.ocr_version, task_type=cfg.task_type,
                lang_type=cfg.lang_type, model_type=cfg.model_type))
            path = root / Path(str(info["model_dir"])).name
            if not path.is_file():
                return {}
            out[task] = path
        return out
    except Exception:  # noqa: BLE001 - any other layout: leave the lookup to rapidocr
        return {}


_MODEL_FILES: dict[str, Path] = {}


def model_files() -> dict[str, Path]:
    """The model files :func:`engine` handed to rapidocr, by task (``"det"``, ``"rec"``).

    Returns
    -------
    dict of str to Path
        Files inside the installed rapidocr package; empty before the engine exists, or when
        rapidocr's own lookup was left in charge (an unfamiliar rapidocr layout).
    """
    return dict(_MODEL_FILES)


@lru_cache(maxsize=1)
def engine() -> RapidOCR:
    """The process-wide rapidocr engine, with its detection and recognition models loaded.

    Created on first use (~0.5 s, mostly importing rapidocr). The models are the ones inside the
    installed rapidocr package, given to it by path (:func:`model_files`): rapidocr then neither
    hashes them nor has a download to fall back on, so OCR never touches the network. The angle
    classifier is never loaded (see below). onnxruntime keeps rapidocr's settings: all graph
    optimisations, and its default of one intra-op thread per physical core (2 on the project's
    machine; the results do not depend on the thread count).

    Returns
    -------
    rapidocr.RapidOCR
        Called with a BGR image, returns rapidocr's result (boxes, texts, scores).
    """
    from rapidocr import RapidOCR

    for name in ("RapidOCR", "rapidocr"):
        logging.getLogger(name).setLevel(logging.ERROR)
    # rapidocr's default ("min" side to 736 px) blows a 100x500 strip up to 736x3680 and takes
    # ~0.8 s; capping the longest side instead keeps figure text at its own scale and is ~10x faster.
    # The angle classifier turns upright labels over ("90" -> "06") and figure text is upright.
    params = {
        "Global.log_level": "error", "Global.use_cls": False,
        "Det.limit_type": "max", "Det.limit_side_len": DET_MAX_SIDE,
        "Rec.rec_batch_num": REC_BATCH, "EngineConfig.onnxruntime.enable_cpu_mem_arena": True,
    }
    try:
        ocr = RapidOCR(params=params)
    except Exception:  # a rapidocr 3.x without that setting
        return RapidOCR()
    models = _package_models(ocr.cfg.Det, ocr.cfg.Rec)
    if models:
        ocr.cfg.Det.model_path = str(models["det"])
        ocr.cfg.Rec.model_path = str(models["rec"])
    _MODEL_FILES.clear()
    _MODEL_FILES.update(models)
    try:  # both models are needed for every read: load them now, not inside the first call
        ocr._load_det_model()
        ocr._load_rec_model()
    except AttributeError:  # another rapidocr layout: it loads its models lazily itself
        pass
    return ocr


def text_lines(words: list[OcrWord], tol: float = 0.4) -> list[list[OcrWord]]:
    """Words grouped into text lines, top to bottom, each sorted left to right.

    A word joins the first line whose first word's centre is within ``tol`` of the taller of
    the two heights from its own centre.
    """
    lines: list[list[OcrWord]] = []
    for w in sorted(words, key=lambda w: w.cy):
        for line in lines:
            if abs(line[0].cy - w.cy) < tol * max(line[0].height, w.height):
                line.append(w)
                break
        else:
            lines.append([w])
    return [sorted(line, key=lambda w: w.x0) for line in lines]


def _box_bounds(box) -> tuple[float, float, float, float]:
    pts = np.asarray(box, dtype=float).reshape(-1, 2)
    return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())


def glyph_height(image: np.ndarray) -> float | None:
    """Median height in pixels of the glyph-like dark blobs of an image (digits and letters),
    or None when there are too few to tell."""
    import cv2

    grey = image if image.ndim == 2 else cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    _, _, stats, _ = cv2.connectedComponentsWithStats((grey < 150).astype(np.uint8), connectivity=8)
    h, w, area = (stats[1:, k] for k in (cv2.CC_STAT_HEIGHT, cv2.CC_STAT_WIDTH, cv2.CC_STAT_AREA))
    glyph = (h >= 5) & (h <= 0.06 * max(grey.shape)) & (w >= 0.3 * h) & (w <= 1.2 * h) & \
        (area >= 0.15 * h * w) & (area <= 0.8 * h * w)
    return float(np.median(h[glyph])) if glyph.sum() >= 8 else None


def detection_side(image: np.ndarray) -> int:
    """The longest side the text detector should see ``image`` at.

    Detection time grows with the pixel count and large figures print large text: shrinking
    until the glyphs are :data:`DET_GLYPH_PX` tall loses none of it (tiny text keeps the full
    size), and takes a 2000 px journal figure's detection from ~0.8 s to ~0.3 s.
    """
    side = max(image.shape[:2])
    glyph = glyph_height(image)
    if glyph is None:
        return DET_MAX_SIDE
    return int(np.clip(side * DET_GLYPH_PX / glyph, 1024, DET_MAX_SIDE))


def plain_text(text) -> str:
    """``text`` in compatibility form, stripped: the recogniser reads a small raised plus as
    superscript '⁺' on some crops and as '+' on others, full-width digits likewise (NFKC); a
    minus sign is written as the hyphen that names and numbers use."""
    return unicodedata.normalize("NFKC", str(text)).replace("\u2212", "-").strip()


def read_words(image: np.ndarray, *, split_words: bool = True, min_score: float = 0.3) -> list[OcrWord]:
    """Find and read the text in ``image``.

    Parameters
    ----------
    image : ndarray
        RGB (H, W, 3) or grey (H, W) uint8 image.
    split_words : bool
        rapidocr returns a whole line (e.g. an at-risk row "120 98 45") as one text; with this
        set, each space-separated word gets its own box.
    min_score : float
        Readings below this recognition confidence are dropped.

    Returns
    -------
    list of OcrWord
        In image pixel coordinates, in reading order.
    """
    from kmipd.digitize.text.page_text import words_for

    page_words = words_for(image)
    if page_words is not None:  # a vector PDF page: its own text, no OCR
        return page_words
    img = np.asarray(image)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    ocr = engine()
    if getattr(ocr, "text_det", None) is not None and hasattr(ocr.text_det, "limit_side_len"):
        ocr.text_det.limit_side_len = detection_side(img)
    # rapidocr expects BGR like OpenCV
    result = ocr(np.ascontiguousarray(img[:, :, ::-1]), return_word_box=split_words)
    if result.txts is None:
        return []
    words: list[OcrWord] = []
    word_results = getattr(result, "word_results", None) if split_words else None
    for i, (text, score, box) in enumerate(zip(result.txts, result.scores, result.boxes)):
        parts = word_results[i] if word_results is not None and i < len(word_results) else None
        if parts and len(parts) > 1:
            for ptext, pscore, pbox in parts:
                if pscore >= min_score and plain_text(ptext):
                    words += split_lead_marks(OcrWord(plain_text(ptext), float(pscore), *_box_bounds(pbox)))
        elif score >= min_score and plain_text(text):
            words += split_lead_marks(OcrWord(plain_text(text), float(score), *_box_bounds(box)))
    return words


#: Censor marks and a curve's end read as glyphs run together with the label printed after
#: them ("i--++-Q2", "T++Q1"): two or more mark symbols, with tick-like letters among them.
_LEAD_MARKS = re.compile(r"^[iIl1tT|!]?(?:[-+|][iIl1T!]?){2,}(?=[A-Za-z0-9(])"
                         # ... or as capitals run into a capitalised word ("7HHHGroup")
                         r"|^\d?(?=[HTIEL|+]*[HT])[HTIEL|+]{3,}(?=[A-Z][a-z]{2})")
#: A tick read as a letter and a mark as a symbol, alone ("H+", "I-"): never text.
_TICK_AND_MARK = re.compile(r"^[HIl1|][-+|]$")
#: Narrow glyphs, for placing the split inside the word's box.
_NARROW = set("-+|.,:;'!iIl1")


def is_marks(text: str) -> bool:
    """Is this OCR text only censor marks and a curve read as glyphs ("i--++-", "T++")?"""
    if _TICK_AND_MARK.match(text):
        return True
    lead = _LEAD_MARKS.match(text + "Abc")
    # (symbols alone, "--" or "+", may be a legend key read as text: that is kept)
    return lead is not None and lead.end() == len(text) and any(c.isalnum() for c in text)


def split_lead_marks(word: OcrWord) -> list[OcrWord]:
    """A word whose text starts with censor marks read as glyphs, split into the marks and the
    label after them (each with its share of the box); other words unchanged."""
    lead = _LEAD_MARKS.match(word.text)
    if lead is None:
        return [word]
    widths = [0.6 if c in _NARROW else 1.0 for c in word.text]
    x = word.x0 + (word.x1 - word.x0) * sum(widths[:lead.end()]) / sum(widths)
    return [OcrWord(lead.group(), word.score, word.x0, word.y0, x, word.y1),
            OcrWord(word.text[lead.end():], word.score, x, word.y0, word.x1, word.y1)]


def read_region(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, *, zoom: float = 1.0,
                split_words: bool = True) -> list[OcrWord]:
    """OCR a rectangle of ``image`` (optionally enlarged by ``zoom``), in ``image`` coordinates.

    Small text reads better enlarged; a white margin is added because the detector misses text
    that touches the border.
    """
    from kmipd.digitize.text.page_text import words_for, words_in

    page_words = words_for(image)
    if page_words is not None:
        return words_in(page_words, x0, y0, x1, y1)
    cut = _zoomed_crop(image, x0, y0, x1, y1, zoom)
    if cut is None:
        return []
    crop, x0, y0 = cut
    crop = _padded(crop)
    return [w_.shifted(x0 - _PAD / zoom, y0 - _PAD / zoom, zoom)
            for w_ in read_words(crop, split_words=split_words)]


#: White margin added around a crop: the detector misses text that touches the border.
_PAD = 16


def _zoomed_crop(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, zoom: float
                 ) -> tuple[np.ndarray, int, int] | None:
    """The rectangle clipped to the image and enlarged by ``zoom``, with its clipped top-left
    corner; None when less than 2 px is left of it."""
    import cv2

    h, w = image.shape[:2]
    x0, y0, x1, y1 = max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    crop = np.asarray(image[y0:y1, x0:x1])
    if zoom != 1.0:
        crop = cv2.resize(crop, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC)
    return crop, x0, y0


def _padded(crop: np.ndarray) -> np.ndarray:
    """``crop`` with a white margin of :data:`_PAD` pixels."""
    import cv2

    fill = 255 if crop.ndim == 2 else (255, 255, 255)
    return cv2.copyMakeBorder(crop, _PAD, _PAD, _PAD, _PAD, cv2.BORDER_CONSTANT, value=fill)


def read_rotated_region(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, turns: int, *,
                        zoom: float = 1.0) -> list[OcrWord]:
    """OCR a rectangle of ``image`` turned by ``turns`` quarter turns, in ``image`` coordinates.

    Text printed sideways (y tick labels of R's default ``las=0``) reads upright once the crop
    is turned back: ``turns=-1`` (clockwise) for text that reads bottom to top, ``turns=1``
    (counter-clockwise) for text that reads top to bottom. The engine itself never turns text
    (its angle classifier is off, see :func:`engine`).

    Parameters
    ----------
    image : ndarray
        RGB (H, W, 3) or grey (H, W) uint8 image.
    x0, y0, x1, y1 : int
        The rectangle, in ``image`` pixels (clipped to the image).
    turns : int
        Quarter turns counter-clockwise applied to the crop before reading (``numpy.rot90``).
    zoom : float
        Enlargement of the crop before reading.

    Returns
    -------
    list of OcrWord
        Each word's box is the axis-aligned bounds, in ``image`` pixels, of where it is printed
        (tall and narrow for sideways text).
    """
    from kmipd.digitize.text.page_text import words_for, words_in

    page_words = words_for(image)
    if page_words is not None:
        return words_in(page_words, x0, y0, x1, y1)
    cut = _zoomed_crop(image, x0, y0, x1, y1, zoom)
    if cut is None:
        return []
    crop, x0, y0 = cut
    ch, cw = crop.shape[:2]
    turns %= 4
    turned = _padded(np.ascontiguousarray(np.rot90(crop, turns)))

    def back(u: float, v: float) -> tuple[float, float]:
        """A point (x=u, y=v) of the turned crop in the (zoomed) crop's coordinates."""
        u, v = u - _PAD, v - _PAD
        if turns == 1:  # out[i, j] = crop[j, W-1-i]
            return cw - v, u
        if turns == 2:
            return cw - u, ch - v
        if turns == 3:  # out[i, j] = crop[H-1-j, i]
            return v, ch - u
        return u, v

    out = []
    for wd in read_words(turned):
        (ax, ay), (bx, by) = back(wd.x0, wd.y0), back(wd.x1, wd.y1)
        out.append(OcrWord(wd.text, wd.score, x0 + min(ax, bx) / zoom, y0 + min(ay, by) / zoom,
                           x0 + max(ax, bx) / zoom, y0 + max(ay, by) / zoom))
    return out
