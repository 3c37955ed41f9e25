"""Kaplan-Meier figures written as vector PDF pages with exact truth, for tests of a PDF reader.

The figures are drawn by the code of :func:`kmipd.testing.render.render_km_figure` (the library's
``_plot``), so their truth is exact. Each :class:`~kmipd.testing.render.RenderedFigure` returned
here leaves ``tick_px`` empty and fills ``pdf_pt``: the PDF points (top-left origin, as pdfplumber
reports) of the plot area, of the whole figure and of every labelled tick.

- :func:`render_km_pdf`: one figure on a page of its own size, text as text or as outlines.
- :func:`compose_article_page`: an A4 journal-like page (title, body text, a bar chart and a KM
  figure drawn into the page, or a figure PDF placed on it as a Form XObject).
- :func:`two_figure_page`: two KM figures on one page (figure 0 left or top).
- :func:`raster_pdf`: a page holding only an image of a PNG, as a scanned figure.
"""

from __future__ import annotations

import copy
import io
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox

from kmipd.analysis.plot_styles import style_spec
from kmipd.analysis.plots import _plot, _rc
from kmipd.testing.datasets import load_ipd
from kmipd.testing.render import RenderedFigure, drawn_km, prepare_ipd, rendered_truth
from kmipd.testing.truth import draw_ticks_unsnapped

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

__all__ = ["compose_article_page", "raster_pdf", "render_km_pdf", "two_figure_page"]

_PAD = 0.12  # inches of white around a figure on a page of its own
_A4 = (8.27, 11.69)  # inches
Box = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, top-left origin
Slot = tuple[float, float, float, float]  # left, bottom, width, height in inches on a figure


def _pdf_path(path: str | Path) -> Path:
    path = Path(path).with_suffix(".pdf")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _save_pdf(fig: Figure, target: Path | io.BytesIO, page: Bbox | None, outlines: bool) -> None:
    """Save ``fig`` as PDF with TrueType text, or every text as filled glyph outlines."""
    import matplotlib as mpl
    from matplotlib import patheffects
    from matplotlib.text import Text

    if outlines:  # a path effect makes the renderer draw the text's glyphs as paths, in place
        fig.draw_without_rendering()  # creates every tick label first
        for text in fig.findobj(Text):
            if text.get_visible() and text.get_text():
                text.set_path_effects([patheffects.Normal()])
    with mpl.rc_context({"pdf.fonttype": 42, "path.snap": False}):
        fig.savefig(target, format="pdf", bbox_inches=page, facecolor="white",
                    metadata={"CreationDate": None})


def _pdf_points(fig: Figure, ax: Axes, x_ticks, page: Bbox) -> dict[str, Any]:
    """``pdf_pt`` truth of ``ax`` on a PDF page showing ``page`` (inches) of ``fig``."""
    k = 72.0 / fig.dpi

    def box(b: Bbox) -> Box:
        return (float(b.x0 * k - page.x0 * 72), float(page.y1 * 72 - b.y1 * k),
                float(b.x1 * k - page.x0 * 72), float(page.y1 * 72 - b.y0 * k))

    xv, yv = np.asarray(x_ticks, float), np.asarray(ax.get_yticks(), float)
    x = ax.transData.transform(np.c_[xv, np.zeros(xv.size)])[:, 0] * k - page.x0 * 72
    y = page.y1 * 72 - ax.transData.transform(np.c_[np.zeros(yv.size), yv])[:, 1] * k
    return {"plot": box(ax.get_window_extent()),
            "figure": box(ax.get_tightbbox(fig.canvas.get_renderer())),
            "x": [(float(v), float(p)) for v, p in zip(xv, x)],
            "y": [(float(v), float(p)) for v, p in zip(yv, y)]}


def render_km_pdf(ipd: pd.DataFrame, path: str | Path, *, style: str = "colour_plus",
                  table: bool = True, text_as_outlines: bool = False,
                  **kw: Any) -> RenderedFigure:
    """Draw ``ipd`` as :func:`~kmipd.testing.render.render_km_figure` does, on a vector PDF page.

    The page is the figure cropped to its content (0.12 inch margin); text is TrueType text
    (``pdf.fonttype`` 42). Verified styles: ``colour_plus`` (coloured solid lines, ``+`` censor
    marks), ``bw_dashed`` (black solid, dashed, dotted, dash-dot lines, ``|`` marks),
    ``ggplot_grey`` (grey panel, white grid) and ``ci_band`` (filled confidence bands).

    Parameters
    ----------
    ipd : pandas.DataFrame
        Columns ``arm, time, event``.
    path : str or pathlib.Path
        Output file; its suffix becomes ``.pdf``.
    style : str
        One of :data:`kmipd.analysis.plots.STYLES`.
    table : bool
        Print the number-at-risk table.
    text_as_outlines : bool
        Draw every text as filled glyph outlines in its place: the page has no characters.
    **kw
        Options of ``render_km_figure`` (``x_label``, ``seed``, ``time_scale``, ...).

    Returns
    -------
    RenderedFigure
        The truth, with ``pdf_pt`` filled and ``tick_px`` empty.
    """
    with drawn_km(ipd, style=style, table=table, **kw) as (fig, ax, out, ipd):
        page = fig.get_tightbbox(fig.canvas.get_renderer()).padded(_PAD)
        points = _pdf_points(fig, ax, out["x_ticks"], page)
        path = _pdf_path(path)
        _save_pdf(fig, path, page, text_as_outlines)
    truth = rendered_truth(path, style, out, ipd, table)
    truth.pdf_pt = points
    return truth


def _page(size: tuple[float, float]) -> Figure:
    fig = Figure(figsize=size, dpi=72)  # display units are PDF points
    FigureCanvasAgg(fig)
    return fig


def _plot_into(fig: Figure, slot: Slot, ipd: pd.DataFrame, style: str, path: Path,
               **kw: Any) -> RenderedFigure:
    """Draw a KM figure with its table into ``slot`` of a page-sized ``fig``; its truth."""
    spec, table = style_spec(style), kw.pop("table", True)
    ipd = prepare_ipd(ipd, kw.pop("rename", None), kw.pop("time_scale", 1.0))
    fs = spec["size"] * kw.setdefault("font_scale", 1.0)
    arms = ipd["arm"].unique()
    table_h = (fs * 5.2 + (len(arms) + 1) * fs * 1.45) / 72 if table else fs * 3 / 72
    left = max(0.75, (max(map(len, arms)) * 0.55 + 3.0) * fs / 72 + 0.2)
    top = 0.75 if spec["legend"] == "top" else 0.1  # room for a legend above the plot
    (x0, y0, w, h), (pw, ph) = slot, fig.get_size_inches()
    with _rc(spec["font"]):
        ax = fig.add_axes(((x0 + left) / pw, (y0 + table_h) / ph, (w - left - 0.15) / pw,
                           (h - table_h - top) / ph))
        out = _plot(ipd, ax, style, show_table=table, **kw)
        draw_ticks_unsnapped(ax)
    truth = rendered_truth(path, style, out, ipd, table)
    truth.pdf_pt = _pdf_points(fig, ax, out["x_ticks"], Bbox([[0, 0], [pw, ph]]))
    return truth


_LOREM = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor "
          "incididunt ut labore et dolore magna aliqua ut enim ad minim veniam quis").split()
_SENTENCES = (
    "A total of {n} patients were randomly assigned at {k} centres.",
    "The median follow-up was {b:.1f} months (IQR {a:.1f} to {c:.1f}).",
    "The hazard ratio for death was {r:.2f} (95% CI {lo:.2f} to {hi:.2f}; p={p:.3f}).",
    "Grade 3 or worse adverse events occurred in {k} of {n} patients ({b:.1f}%).", "{lorem}.")


def _body(rng: np.random.Generator, n_lines: int) -> list[str]:
    """``n_lines`` lines of lorem-like body text with numbers in it."""
    words: list[str] = []
    while len(words) < n_lines * 20:
        r, lorem = rng.uniform(0.5, 0.9), " ".join(rng.choice(_LOREM, rng.integers(8, 16)))
        b = rng.uniform(10, 40)
        words += rng.choice(_SENTENCES).format(
            n=rng.integers(120, 900), k=rng.integers(4, 60), a=b - 8, b=b, c=b + 9.5, r=r,
            lo=r - 0.12, hi=r + 0.11, p=rng.uniform(0.001, 0.05), lorem=lorem.capitalize()).split()
    return textwrap.wrap(" ".join(words), 100)[:n_lines]


def _bar_chart(fig: Figure, slot: Slot) -> Box:
    """A grouped bar chart in ``slot``; the PDF box of its plot area."""
    (x0, y0, w, h), (pw, ph) = slot, fig.get_size_inches()
    ax = fig.add_axes(((x0 + 0.9) / pw, (y0 + 0.45) / ph, (w - 1.8) / pw, (h - 0.6) / ph))
    stages = np.arange(4)
    ax.bar(stages - 0.2, [18.2, 34.5, 29.1, 18.2], 0.4, color="#4c72b0", label="Treatment")
    ax.bar(stages + 0.2, [20.4, 31.9, 30.2, 17.5], 0.4, color="#dd8452", label="Control")
    ax.set_xticks(stages, ["Stage I", "Stage II", "Stage III", "Stage IV"])
    ax.set_ylabel("Patients (%)")
    ax.legend(frameon=False, fontsize=8)
    b = ax.get_window_extent()
    return float(b.x0), float(ph * 72 - b.y1), float(b.x1), float(ph * 72 - b.y0)


def _place_pdf(page_pdf: bytes, figure_pdf: Path, slot: Box, out: Path) -> tuple[Box, float]:
    """Place page 0 of ``figure_pdf`` as a Form XObject fitted into ``slot``; its box, scale."""
    import pypdfium2 as pdfium

    doc, src = pdfium.PdfDocument(page_pdf), pdfium.PdfDocument(figure_pdf)
    try:
        (fw, fh), (x0, top, x1, bottom) = src[0].get_size(), slot
        s = min((x1 - x0) / fw, (bottom - top) / fh)
        x, y = x0 + (x1 - x0 - s * fw) / 2, top + (bottom - top - s * fh) / 2
        page, obj = doc[0], src.page_as_xobject(0, doc).as_pageobject()  # one page handle
        y_up = page.get_height() - y - s * fh  # PDF y of the placed page's bottom
        obj.transform(pdfium.PdfMatrix().scale(s, s).translate(x, y_up))
        page.insert_obj(obj)
        page.gen_content()
        doc.save(out)
    finally:
        doc.close()
        src.close()
    return (x, y, x + s * fw, y + s * fh), s


def _moved(pt: dict[str, Any], x: float, y: float, s: float) -> dict[str, Any]:
    """``pdf_pt`` of a figure page scaled by ``s`` and placed with its top left at (x, y)."""
    box = {k: tuple(o + s * v for o, v in zip((x, y, x, y), pt[k])) for k in ("plot", "figure")}
    return {**box, "x": [(v, x + s * p) for v, p in pt["x"]],
            "y": [(v, y + s * p) for v, p in pt["y"]]}


def compose_article_page(path: str | Path, figure_pdf: RenderedFigure | str | Path | None = None,
                         *, ipd: pd.DataFrame | None = None, style: str = "colour_plus",
                         with_other_figure: bool = True, with_km: bool = True,
                         km_position: str = "lower", text_as_outlines: bool = False,
                         seed: int = 0, **kw: Any) -> dict[str, Any]:
    """Write a one-page A4 PDF like a journal article page with a KM figure on it.

    The page has a journal line, a title, authors, body text with numbers, a captioned bar chart
    and a captioned KM figure with its number-at-risk table.

    Parameters
    ----------
    path : str or pathlib.Path
        Output file; its suffix becomes ``.pdf``.
    figure_pdf : RenderedFigure or path, optional
        A figure PDF (e.g. from :func:`render_km_pdf`) placed as a Form XObject fitted into the
        KM slot, instead of drawing the KM figure into the page.
    ipd : pandas.DataFrame, optional
        IPD to draw (default: the ``lung`` data set, x label "Days").
    style : str
        Style of the drawn KM figure.
    with_other_figure, with_km : bool
        Add the bar chart, the KM figure (else body text in their place).
    km_position : {"lower", "upper"}
        Half of the page holding the KM figure.
    text_as_outlines : bool
        Draw the texts drawn into the page (not those of ``figure_pdf``) as glyph outlines.
    seed : int
        Seed of the body text.
    **kw
        Passed to the KM drawing (``x_label``, ``time_scale``, ``rename``, ``table_title``, ...).

    Returns
    -------
    dict
        ``truth``: :class:`RenderedFigure` with ``pdf_pt`` (``None`` without KM figure or when
        ``figure_pdf`` is a bare path); boxes ``(x0, top, x1, bottom)`` in PDF points or
        ``None``: ``km_bbox`` (plot area, or the placed page of a bare ``figure_pdf`` path),
        ``km_figure_bbox`` (with labels and table), ``other_bbox`` (bar chart plot area);
        ``page_size`` (width, height) in points.
    """
    if km_position not in ("lower", "upper"):
        raise ValueError("km_position must be 'lower' or 'upper'")
    path, fig, (pw, ph), left, width = _pdf_path(path), _page(_A4), _A4, 0.8, _A4[0] - 1.6
    for y, text, font in ((0.55, "Journal of Clinical Trials  |  Vol 12  |  2024  |  e0417",
                           dict(fontsize=7.5, color="0.35")),
                          (0.9, "Overall survival after adjuvant therapy: a trial",
                           dict(fontsize=14, weight="bold")),
                          (1.15, "A. Author, B. Author, C. Author, for the Study Group",
                           dict(fontsize=9, style="italic", family="DejaVu Serif"))):
        fig.text(left / pw, 1 - y / ph, text, **{"family": "DejaVu Sans", **font})
    other, km = ("other" if with_other_figure else "text"), ("km" if with_km else "text")
    blocks = ([("text", 1.3), (other, 2.7), ("text", 0.8), (km, 4.3)] if km_position == "lower"
              else [("text", 0.6), (km, 4.3), ("text", 0.8), (other, 2.7), ("text", 0.7)])
    res: dict[str, Any] = dict(truth=None, km_bbox=None, km_figure_bbox=None, other_bbox=None,
                               page_size=(pw * 72, ph * 72))
    rng, top, n_fig, km_slot = np.random.default_rng(seed), 1.45, 0, None
    for kind, h in blocks:  # top: inches from the page top
        slot = (left, ph - top - h + 0.3, width, h - 0.3)  # a figure sits above its caption
        if kind == "text":
            for i, line in enumerate(_body(rng, int(h * 72 / 12.5))):
                fig.text(left / pw, 1 - (top + (i + 0.8) * 12.5 / 72) / ph, line, fontsize=9,
                         family="DejaVu Serif")
        else:
            n_fig += 1
            words = ("Baseline disease stage by group (percentage of patients)" if kind ==
                     "other" else "Kaplan-Meier estimates of overall survival, numbers at risk")
            fig.text(left / pw, (ph - top - h + 0.25) / ph, f"Figure {n_fig}. {words}.",
                     fontsize=8.5, family="DejaVu Sans", va="top")
        if kind == "other":
            res["other_bbox"] = _bar_chart(fig, slot)
        elif kind == "km" and figure_pdf is not None:
            km_slot = (left * 72, top * 72, (left + width) * 72, (top + h - 0.3) * 72)
        elif kind == "km":
            if ipd is None:
                ipd, kw = load_ipd("lung"), {"x_label": "Days", **kw}
            res["truth"] = _plot_into(fig, slot, ipd, style, path, **kw)
        top += h + 0.12
    if km_slot is None:
        _save_pdf(fig, path, None, text_as_outlines)
    else:
        buffer = io.BytesIO()
        _save_pdf(fig, buffer, None, text_as_outlines)
        source = Path(getattr(figure_pdf, "path", figure_pdf))
        res["km_bbox"], s = _place_pdf(buffer.getvalue(), source, km_slot, path)
        res["km_figure_bbox"] = res["km_bbox"]
        if isinstance(figure_pdf, RenderedFigure):
            res["truth"] = copy.copy(figure_pdf)
            res["truth"].path = path
            res["truth"].pdf_pt = _moved(figure_pdf.pdf_pt, *res["km_bbox"][:2], s)
    if res["truth"] is not None:
        res["km_bbox"], res["km_figure_bbox"] = (res["truth"].pdf_pt[k] for k in ("plot", "figure"))
    return res


def two_figure_page(path: str | Path, ipd_a: pd.DataFrame, ipd_b: pd.DataFrame, *,
                    styles: tuple[str, str] = ("colour_plus", "bw_dashed"), stacked: bool = False,
                    text_as_outlines: bool = False, **kw: Any) -> list[RenderedFigure]:
    """Write one PDF page holding two KM figures, panels "A" and "B", side by side or stacked.

    Parameters
    ----------
    path : str or pathlib.Path
        Output file; its suffix becomes ``.pdf``.
    ipd_a, ipd_b : pandas.DataFrame
        IPD of figure 0 (left, or top when stacked) and figure 1.
    styles : (str, str)
        Styles of the two figures.
    stacked : bool
        Figure 0 above figure 1 (else side by side).
    text_as_outlines : bool
        Draw every text as glyph outlines.
    **kw
        Passed to both KM drawings (``x_label``, ``time_scale``, ``table``, ...).

    Returns
    -------
    list of RenderedFigure
        The truth of figure 0 and figure 1, each with ``pdf_pt``.
    """
    size = (6.5, 10.0) if stacked else (12.0, 5.0)
    slots = ([(0.1, 5.05, 6.3, 4.85), (0.1, 0.1, 6.3, 4.85)] if stacked
             else [(0.1, 0.1, 5.9, 4.8), (6.0, 0.1, 5.9, 4.8)])
    path, fig, truths = _pdf_path(path), _page(size), []
    for letter, slot, ipd, style in zip("AB", slots, (ipd_a, ipd_b), styles):
        fig.text(slot[0] / size[0], (slot[1] + slot[3]) / size[1], letter, fontsize=14,
                 weight="bold", va="top", family="DejaVu Sans")
        truths.append(_plot_into(fig, slot, ipd, style, path, **kw))
    _save_pdf(fig, path, None, text_as_outlines)
    return truths


def raster_pdf(png_path: str | Path, pdf_path: str | Path, *, dpi: float = 100.0,
               lossless: bool = False) -> Path:
    """Write a PDF page holding only an image of ``png_path``, as a scanned figure.

    The image is stored as JPEG (as scanners and PIL store it), or with ``lossless`` pixel for
    pixel (Flate, as matplotlib and most PDF tools store a pasted PNG).

    Parameters
    ----------
    png_path : str or pathlib.Path
        An image file (PNG or JPEG).
    pdf_path : str or pathlib.Path
        Output file; its suffix becomes ``.pdf``.
    dpi : float
        Resolution of the image on the page (the page is its pixel size at this resolution).
    lossless : bool
        Store the pixels losslessly instead of as JPEG.

    Returns
    -------
    pathlib.Path
        The written PDF.
    """
    from PIL import Image

    pdf_path = _pdf_path(pdf_path)
    with Image.open(png_path) as im:
        rgb = im.convert("RGB")
    if not lossless:
        rgb.save(pdf_path, "PDF", resolution=dpi)
        return pdf_path
    pixels = np.asarray(rgb)
    fig = Figure(figsize=(pixels.shape[1] / dpi, pixels.shape[0] / dpi), dpi=dpi)
    fig.figimage(pixels, 0, 0)
    fig.savefig(pdf_path, dpi=dpi)
    return pdf_path
