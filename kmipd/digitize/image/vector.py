"""A PDF page's own drawing: its stroked paths and its text, in the rendered image's pixels.

A KM figure in a PDF is often drawn with vector paths and real text (R's pdf device, SAS,
Stata, journal production). The drawing commands hold the curves' exact corners and the text
objects the exact tick labels and numbers at risk, so nothing has to be traced or recognised.
:func:`read_vector_page` reads them with pdfplumber into plain data; the digitize stage uses
them to replace what it traced and read from the rendered pixels
(:mod:`kmipd.digitize.curves.vector`, :mod:`kmipd.digitize.text.page_text`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: What a page holds, as said in the output and the report.
VECTOR = "vector PDF: curves and text from the page's drawing commands"
OUTLINED = "vector PDF with text drawn as outlines: curves from the drawing commands, text by OCR"
RASTER_PDF = "PDF page holding a raster image: read from its pixels"
RASTER = "raster image: read from its pixels"

#: Fewer stroked path segments than this: no vector plot on the page (a scanned figure).
_MIN_SEGMENTS = 8


@dataclass(frozen=True)
class VectorPath:
    """One stroked path (a polyline; curves flattened to their control points), in image pixels.

    ``points`` is (K, 2) ``(x, y)`` with y downwards; ``colour`` RGB 0-255; ``width`` the line
    width in pixels; ``dash`` the dash pattern's on and off lengths in pixels (empty: solid).
    """

    points: np.ndarray
    colour: tuple[int, int, int]
    width: float
    dash: tuple[float, ...] = ()

    @property
    def style(self) -> str:
        """"solid", "dashed" or "dotted" (dashes no longer than two line widths), as traced
        lines are named."""
        if not self.dash or not any(v > 0 for v in self.dash):
            return "solid"
        return "dotted" if self.dash[0] <= 2.0 * max(self.width, 1e-9) else "dashed"


@dataclass(frozen=True)
class PageWord:
    """A word of the page's text: its text and its font box ``(x0, top, x1, bottom)`` in image
    pixels (ascender to descender; :func:`kmipd.digitize.text.page_text.page_words` fits it to
    the ink)."""

    text: str
    box: tuple[float, float, float, float]


@dataclass(frozen=True)
class VectorPage:
    """What a PDF page draws, in the pixels of its rendered (working) image.

    Attributes
    ----------
    paths : list of VectorPath
        Stroked, unfilled paths and lines (filled shapes such as CI bands are left out).
    words : list of PageWord
        Upright text, one word per space-separated piece; empty when the page has no text
        objects (text drawn as outlines).
    images : int
        Raster images placed on the page.
    content : str
        :data:`VECTOR`, :data:`OUTLINED` or :data:`RASTER_PDF`.
    """

    paths: list[VectorPath] = field(default_factory=list)
    words: list[PageWord] = field(default_factory=list)
    images: int = 0
    content: str = RASTER_PDF


def read_vector_page(path: str | Path, page: int, scale: float) -> VectorPage | None:
    """The stroked paths and the text of page ``page`` of a PDF, in the pixels of its image.

    Parameters
    ----------
    path : str or Path
        The PDF file.
    page : int
        Page, from 0.
    scale : float
        Pixels of the page's (rendered and shrunk) image per PDF point.

    Returns
    -------
    VectorPage or None
        None when the page cannot be read as vector content (a rotated page, or pdfplumber
        fails on it): the caller reads its pixels as before.
    """
    import pdfplumber

    try:
        with pdfplumber.open(str(path)) as pdf:
            p = pdf.pages[page]
            if int(p.rotation or 0) % 360:
                return None
            x0, top = float(p.bbox[0]), float(p.bbox[1])
            paths = _stroked_paths(p, x0, top, scale)
            words = _words(p, x0, top, scale)
            n_images = len(p.images)
    except Exception:  # noqa: BLE001 - a PDF pdfplumber cannot parse is still rendered and read
        return None
    segments = sum(len(q.points) - 1 for q in paths)
    if segments < _MIN_SEGMENTS:
        content = RASTER_PDF
    else:
        content = VECTOR if words else OUTLINED
    return VectorPage(paths=paths, words=words, images=n_images, content=content)


def _stroked_paths(page, x0: float, top: float, scale: float) -> list[VectorPath]:
    out = []
    for obj in [*page.curves, *page.lines]:
        pts = np.asarray(obj.get("pts") or [], float).reshape(-1, 2)
        # a filled shape of more than two points is a band or a marker, not a line
        if not obj.get("stroke") or len(pts) < 2 or (obj.get("fill") and len(pts) > 2):
            continue
        pts = (pts - [x0, top]) * scale
        colour = to_rgb255(obj.get("stroking_color"))
        if colour is None:
            continue
        dash = obj.get("dash")
        pattern = tuple(float(v) * scale for v in (dash[0] if dash and dash[0] else ()))
        out.append(VectorPath(pts, colour, float(obj.get("linewidth") or 0.0) * scale, pattern))
    return out


def to_rgb255(colour) -> tuple[int, int, int] | None:
    """A PDF colour (grey, RGB or CMYK components 0-1) as RGB 0-255; None for patterns."""
    if colour is None:
        return (0, 0, 0)
    if isinstance(colour, (int, float)):
        colour = (colour,)
    try:
        c = [float(v) for v in colour]
    except (TypeError, ValueError):
        return None
    if len(c) == 1:
        rgb = c * 3
    elif len(c) == 3:
        rgb = c
    elif len(c) == 4:
        rgb = [(1 - c[k]) * (1 - c[3]) for k in range(3)]
    else:
        return None
    return tuple(int(round(255 * min(max(v, 0.0), 1.0))) for v in rgb)


def _words(page, x0: float, top: float, scale: float) -> list[PageWord]:
    words = page.extract_words(x_tolerance=1.5, y_tolerance=2, keep_blank_chars=False, extra_attrs=["upright"])
    upright = [(str(w["text"]), (float(w["x0"]), float(w["top"]), float(w["x1"]), float(w["bottom"])))
               for w in words if w.get("upright", True) and str(w["text"]).strip()]
    return [PageWord(text, ((b[0] - x0) * scale, (b[1] - top) * scale, (b[2] - x0) * scale, (b[3] - top) * scale))
            for text, b in upright + _sideways_words(page.chars)]


def _sideways_words(chars: list[dict]) -> list[tuple[str, tuple[float, float, float, float]]]:
    """Words printed a quarter turn (R's y tick labels, y axis titles): ``(text, box)`` in points.

    pdfplumber splits them into single letters; those of one line share a column and follow
    each other up the page (turned counter-clockwise) or down it.
    """
    side = sorted((c for c in chars if not c.get("upright", True) and str(c["text"]).strip()),
                  key=lambda c: (round(float(c["x0"])), float(c["top"])))
    columns: dict[int, list[dict]] = {}
    for c in side:
        columns.setdefault(round(float(c["x0"])), []).append(c)
    out = []
    for column in columns.values():
        upward = float(column[0].get("matrix", (0, 1))[1]) > 0  # reads bottom to top
        column.sort(key=lambda c: -float(c["top"]) if upward else float(c["top"]))
        word = [column[0]]
        for prev, c in zip(column, column[1:]):
            gap = (float(prev["top"]) - float(c["bottom"])) if upward else (float(c["top"]) - float(prev["bottom"]))
            if gap > 0.15 * (float(c["x1"]) - float(c["x0"])):  # a word space is about a quarter em
                out.append(_word_of(word))
                word = []
            word.append(c)
        out.append(_word_of(word))
    return out


def _word_of(chars: list[dict]) -> tuple[str, tuple[float, float, float, float]]:
    return ("".join(str(c["text"]) for c in chars),
            (min(float(c["x0"]) for c in chars), min(float(c["top"]) for c in chars),
             max(float(c["x1"]) for c in chars), max(float(c["bottom"]) for c in chars)))
