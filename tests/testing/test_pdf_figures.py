"""kmipd.testing.pdf_figures: vector PDF pages whose truth is exact, as pdfplumber reads them.

The axes are mapped independently of the kit's own ``pdf_pt``: through the tick marks that
pdfplumber finds next to the tick-label words, so a curve matching the truth through them shows
that the truth is what the page draws.
"""

from __future__ import annotations

import numpy as np
import pdfplumber
import pytest
from matplotlib.colors import to_rgb

from kmipd.testing.datasets import load_ipd
from kmipd.testing.pdf_figures import (
    compose_article_page,
    raster_pdf,
    render_km_pdf,
    two_figure_page,
)
from kmipd.testing.render import render_km_figure

TICK = 3.5  # matplotlib's tick length in points
STYLES = {"colour_plus": "leukemia", "bw_dashed": "larynx", "ci_band": "larynx",
          "ggplot_grey": "gbsg2", "percent_axis": "leukemia"}


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pdf")
    return {style: render_km_pdf(load_ipd(name), folder / style, style=style, x_label="Weeks")
            for style, name in STYLES.items()}


def _page(path):
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[0]
        return page, page.extract_words(keep_blank_chars=False)


def _centre(obj):
    return (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2


def _in(box, obj, tol=0.5):
    x0, top, x1, bottom = box
    return (obj["x0"] >= x0 - tol and obj["x1"] <= x1 + tol and obj["top"] >= top - tol
            and obj["bottom"] <= bottom + tol)


def _number(text):
    try:
        return float(text)
    except ValueError:
        return None


def _axis_maps(page, words, box, tick=TICK):
    """(value -> x pt, value -> top pt) fitted through the tick marks beside tick-label words."""
    x0, top, x1, bottom = box
    fits = []
    for vertical in (True, False):
        pairs = []
        for mark in page.lines:
            length = mark["height"] if vertical else mark["width"]
            thin = mark["width"] if vertical else mark["height"]
            if abs(length - tick) > 1e-3 or thin > 1e-6:
                continue
            at = mark["x0"] if vertical else mark["top"]
            beside = abs(mark["top"] - bottom) < 0.5 if vertical else abs(mark["x1"] - x0) < 0.5
            lo, hi = (x0, x1) if vertical else (top, bottom)
            if not beside or not lo - 1 <= at <= hi + 1:
                continue
            near = [w for w in words if _number(w["text"]) is not None and (
                abs(_centre(w)[0] - at) < 1 and 0 < w["top"] - mark["bottom"] < 8 if vertical
                else abs(_centre(w)[1] - at) < 4 and 0 < mark["x0"] - w["x1"] < 8)]
            assert len(near) == 1, (vertical, at, near)
            pairs.append((_number(near[0]["text"]), at))
        value, pt = np.array(sorted(pairs)).T
        fit = np.polyfit(value, pt, 1)
        assert np.abs(np.polyval(fit, value) - pt).max() < 1e-3  # ticks sit exactly on a line
        fits.append(fit)
    return fits


def _rgb(colour):
    colour = tuple(colour) if isinstance(colour, (tuple, list)) else (colour,)
    return colour * 3 if len(colour) == 1 else colour


def _vertices(truth, arm):
    """The drawn step line (steps-post) of ``arm`` as (time, survival in printed units)."""
    rows = truth.curves[truth.curves["arm"] == arm]
    t, s = rows["time"].to_numpy(), rows["survival"].to_numpy() * (100 if truth.percent else 1)
    return np.c_[np.repeat(t, 2)[1:], np.repeat(s, 2)[:-1]]


def _curve_error(curve, vertices, fx, fy, span):
    """Largest gap (survival 0-1, time / span) between a curve's points and the truth's."""
    pts = np.array(curve["pts"], float)
    data = np.c_[(pts[:, 0] - fx[1]) / fx[0], (pts[:, 1] - fy[1]) / fy[0]]
    scale = np.array([span, vertices[:, 1].max() if vertices[:, 1].max() > 1 else 1.0])
    gap = np.abs(data[:, None, :] - vertices[None, :, :]) / scale
    worst = max(gap.max(axis=2).min(axis=1).max(), gap.max(axis=2).min(axis=0).max())
    return worst


def _match_curves(page, words, truth, scale=1.0):
    fx, fy = _axis_maps(page, words, truth.pdf_pt["plot"], TICK * scale)
    span = truth.x_range[1] - truth.x_range[0]
    lines = [c for c in page.curves if c["stroke"] and not c["fill"] and len(c["pts"]) >= 4]
    found = {}
    for arm in truth.arms:
        errors = [_curve_error(c, _vertices(truth, arm), fx, fy, span) for c in lines]
        found[arm] = (lines[int(np.argmin(errors))], min(errors))
    return found, (fx, fy)


@pytest.mark.parametrize("style", STYLES)
def test_curves_are_stroked_paths_on_the_truth(pdfs, style):
    truth = pdfs[style]
    page, words = _page(truth.path)
    found, (fx, fy) = _match_curves(page, words, truth)
    for arm, (curve, error) in found.items():
        assert error < 1e-3, (arm, error)  # within 0.001 survival and 0.1% of the time axis
        assert _in(truth.pdf_pt["plot"], curve)
        assert np.allclose(_rgb(curve["stroking_color"]), to_rgb(truth.colours[arm]), atol=0.01)
    dashes = [found[arm][0]["dash"] for arm in truth.arms]
    if style == "bw_dashed":  # solid, dashed, dotted, dash-dot: four different patterns
        assert dashes[0] is None and len({str(d) for d in dashes}) == len(truth.arms)
    else:
        assert all(d is None for d in dashes)
    # the kit's own tick truth agrees with the tick marks found on the page
    for value, pt in truth.pdf_pt["x"]:
        assert abs(np.polyval(fx, value) - pt) < 1e-3
    for value, pt in truth.pdf_pt["y"]:
        assert abs(np.polyval(fy, value) - pt) < 1e-3


@pytest.mark.parametrize("style", STYLES)
def test_tick_labels_and_numbers_at_risk_are_words_in_place(pdfs, style):
    truth = pdfs[style]
    page, words = _page(truth.path)
    assert page.chars and all("DejaVu" in c["fontname"] for c in page.chars)
    n_arms = len(truth.arms)
    for value, x in truth.pdf_pt["x"]:
        column = sorted((w for w in words if abs(_centre(w)[0] - x) < 1.5), key=lambda w: w["top"])
        assert _number(column[0]["text"]) == value  # the tick label right under the axis
        counts = [int(w["text"]) for w in column[-n_arms:]]
        table = truth.at_risk[truth.at_risk["time"] == value].set_index("arm")["n_at_risk"]
        assert counts == [int(table[arm]) for arm in truth.arms]
    for value, y in truth.pdf_pt["y"]:
        label = [w for w in words if abs(_centre(w)[1] - y) < 4 and _number(w["text"]) is not None
                 and 0 < truth.pdf_pt["plot"][0] - w["x1"] < 8]
        assert len(label) == 1 and _number(label[0]["text"]) == value
    legend = " ".join(w["text"] for w in words)
    assert all(arm in legend for arm in truth.arms)
    fig_box = truth.pdf_pt["figure"]
    assert all(_in(fig_box, c, tol=1.0) for c in page.chars)


def test_censor_marks_are_short_lines_at_the_truth(pdfs):
    truth = pdfs["colour_plus"]
    page, words = _page(truth.path)
    fx, fy = _axis_maps(page, words, truth.pdf_pt["plot"])
    size = 7.0  # the style's marker size: a '+' is a 7 pt horizontal and a 7 pt vertical line
    flat = [_centre(ln) for ln in page.lines
            if abs(ln["width"] - size) < 1e-3 and ln["height"] < 1e-6]
    tall = [_centre(ln) for ln in page.lines
            if abs(ln["height"] - size) < 1e-3 and ln["width"] < 1e-6]
    assert np.allclose(sorted(flat), sorted(tall), atol=1e-3)  # pairs crossing at their centres
    ipd, x_end = truth.ipd, truth.x_range[1]
    expected = []
    for arm in truth.arms:
        rows = truth.curves[truth.curves["arm"] == arm]
        cens = ipd[(ipd["arm"] == arm) & (ipd["event"] == 0) & (ipd["time"] <= x_end)]["time"]
        s = rows["survival"].to_numpy()[np.searchsorted(rows["time"], cens, side="right") - 1]
        expected += list(zip(np.polyval(fx, cens), np.polyval(fy, s)))
    assert len(flat) == len(expected) + len(truth.arms)  # plus one in each legend entry
    for x, y in expected:
        assert min(np.hypot(x - a, y - b) for a, b in flat) < 1e-3


def test_ci_bands_are_filled_paths_under_the_lines(pdfs):
    truth = pdfs["ci_band"]
    page, _ = _page(truth.path)
    bands = [c for c in page.curves if c["fill"] and not c["stroke"]]
    assert len(bands) == len(truth.arms)
    for band, arm in zip(bands, truth.arms):
        assert np.allclose(_rgb(band["non_stroking_color"]), to_rgb(truth.colours[arm]), atol=0.01)
        assert _in(truth.pdf_pt["plot"], band)


def _union(objs):
    return np.array([min(o["x0"] for o in objs), min(o["top"] for o in objs),
                     max(o["x1"] for o in objs), max(o["bottom"] for o in objs)])


def _stroked_paths(page):
    return sorted(tuple(map(tuple, np.round(c["pts"], 3))) for c in page.curves
                  if c["stroke"] and len(c["pts"]) >= 4)


def test_text_as_outlines_leaves_no_characters(tmp_path):
    ipd = load_ipd("leukemia")
    text = render_km_pdf(ipd, tmp_path / "text.pdf")
    outl = render_km_pdf(ipd, tmp_path / "outl.pdf", text_as_outlines=True)
    assert outl.pdf_pt == text.pdf_pt
    with pdfplumber.open(text.path) as a, pdfplumber.open(outl.path) as b:
        pa, pb = a.pages[0], b.pages[0]
        assert pb.chars == [] and pb.extract_words() == []
        assert (pa.width, pa.height) == (pb.width, pb.height)
        glyphs = [o for o in pb.curves + pb.rects if o["fill"] and not o["stroke"]
                  and o["non_stroking_color"] in (0, (0,), 0.0, [0])]
        assert len(glyphs) > len(pa.chars) * 0.8
        # the outlines cover the place of the text, to a point or two
        assert np.abs(_union(glyphs) - _union(pa.chars)).max() < 3.0
        for char in pa.chars[:40]:
            assert any(_in((char["x0"], char["top"], char["x1"], char["bottom"]), g, tol=1.5)
                       for g in glyphs), char["text"]
        assert _stroked_paths(pa) == _stroked_paths(pb)  # the curves are the same paths


def test_raster_pdf_holds_an_image_only(tmp_path):
    png = render_km_figure(load_ipd("waltons"), tmp_path / "fig.png").path
    pdf = raster_pdf(png, tmp_path / "scan", dpi=100)
    assert pdf.suffix == ".pdf"
    with pdfplumber.open(pdf) as doc:
        page = doc.pages[0]
        assert len(doc.pages) == 1 and len(page.images) == 1
        assert not page.chars and not page.curves and not page.lines
        from PIL import Image

        w, h = Image.open(png).size
        assert (page.width, page.height) == pytest.approx((w * 0.72, h * 0.72), abs=1)


def _km_lines_in(page, box):
    return [c for c in page.curves if c["stroke"] and not c["fill"] and len(c["pts"]) >= 8
            and _in(box, c)]


@pytest.mark.parametrize("position", ["lower", "upper"])
def test_article_page_has_body_text_and_the_km_figure_in_its_box(tmp_path, position):
    style = "colour_plus" if position == "lower" else "ggplot_grey"
    res = compose_article_page(tmp_path / "article", style=style, km_position=position)
    truth = res["truth"]
    page, words = _page(truth.path)
    assert res["page_size"] == pytest.approx((595.44, 841.68))
    assert (page.width, page.height) == pytest.approx(res["page_size"])
    text = {w["text"] for w in words}
    assert {"patients", "Figure", "Kaplan-Meier", "Treatment"} <= text
    assert len(words) > 250
    assert res["km_bbox"] == truth.pdf_pt["plot"]
    found, _ = _match_curves(page, words, truth)
    for _arm, (curve, error) in found.items():
        assert error < 1e-3 and _in(res["km_bbox"], curve)
    assert len(_km_lines_in(page, res["km_bbox"])) == len(truth.arms)
    bars = [r for r in page.rects if r["fill"] and _in(res["other_bbox"], r)
            and 20 < r["width"] < 100]  # not the axes face, not the legend's colour patches
    assert len(bars) == 8 and not any(_in(res["km_figure_bbox"], b) for b in bars)
    kx0, ktop, kx1, kbottom = res["km_figure_bbox"]
    ox0, otop, ox1, obottom = res["other_bbox"]
    assert kbottom < otop or obottom < ktop  # the two figures do not overlap


def test_article_page_without_km_and_with_a_placed_figure(tmp_path):
    res = compose_article_page(tmp_path / "nokm", with_km=False)
    assert res["truth"] is None and res["km_bbox"] is None
    with pdfplumber.open(tmp_path / "nokm.pdf") as doc:
        page = doc.pages[0]
        assert page.chars and not [c for c in page.curves if c["stroke"] and len(c["pts"]) >= 8]
    fig = render_km_pdf(load_ipd("waltons"), tmp_path / "fig")
    res = compose_article_page(tmp_path / "placed", fig, with_other_figure=False)
    truth = res["truth"]
    page, words = _page(truth.path)
    (x0, _, x1, _), (f0, _, f1, _) = res["km_bbox"], fig.pdf_pt["plot"]
    scale = (x1 - x0) / (f1 - f0)  # the figure page is placed scaled down
    assert 0.3 < scale < 1
    found, (fx, _) = _match_curves(page, words, truth, scale)  # inside the Form XObject
    assert all(error < 1e-3 for _c, error in found.values())
    for value, x in truth.pdf_pt["x"]:
        assert abs(np.polyval(fx, value) - x) < 1e-3
    assert all(_in(res["km_bbox"], c) for c, _e in found.values())
    assert not page.rects or all(r["height"] < 5 or r["width"] > 300 for r in page.rects)


@pytest.mark.parametrize("stacked", [False, True])
def test_two_figure_page(tmp_path, stacked):
    figs = two_figure_page(tmp_path / "two", load_ipd("lung"), load_ipd("leukemia"),
                           stacked=stacked, x_label="Days")
    assert len(figs) == 2 and figs[0].path == figs[1].path
    page, words = _page(figs[0].path)
    a, b = (f.pdf_pt["figure"] for f in figs)
    assert (a[3] < b[1]) if stacked else (a[2] < b[0])  # figure 0 above / left of figure 1
    for truth in figs:
        found, _ = _match_curves(page, words, truth)
        assert all(error < 1e-3 and _in(truth.pdf_pt["plot"], c) for c, error in found.values())
        inside = [w for w in words if _in(truth.pdf_pt["figure"], w, tol=1.0)]
        numbers = {w["text"] for w in inside}
        assert {str(n) for n in truth.at_risk["n_at_risk"]} <= numbers
