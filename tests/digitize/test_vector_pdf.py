"""Vector PDF pages (issue 15): curves, ticks and text read from the page's drawing commands.

Pages are drawn by the test kit from real data (matplotlib's PDF backend); their truth is
exact, so the curves must come out exact, not merely close. The drawing-level pieces
(:mod:`kmipd.digitize.curves.vector`) are tested on hand-made paths.
"""

from __future__ import annotations

import html

import numpy as np
import pytest
from PIL import Image

from kmipd.compare import curve_rmse, match_arms, split_arms
from kmipd.digitize import digitize, drop_float_noise
from kmipd.digitize.curves.vector import drawn_arms, exact_steps, marks_on
from kmipd.digitize.frame.vector import snap_box, snap_ticks
from kmipd.digitize.image.load import load_image, pdf_page_is_image
from kmipd.digitize.image.vector import OUTLINED, RASTER, RASTER_PDF, VECTOR, VectorPath
from kmipd.digitize.legend.vector import names_by_drawn_keys
from kmipd.digitize.result import PlotBox
from kmipd.digitize.text.ocr import OcrWord
from kmipd.errors import NotKaplanMeierError
from kmipd.testing.datasets import load_ipd
from kmipd.testing.pdf_figures import (
    compose_article_page,
    raster_pdf,
    render_km_pdf,
    two_figure_page,
)
from kmipd.testing.render import render_km_figure

#: (style, data set, render options): colour with '+' marks, black dash styles with '|'
#: marks, filled CI bands, a grey panel with white grid lines.
PAGES = {
    "colour_plus": ("lung", dict(x_label="Days")),
    "bw_dashed": ("rossi", dict(x_label="Weeks")),
    "ci_band": ("leukemia", dict(x_label="Weeks")),
    "ggplot_grey": ("dd_regime", dict(x_label="Years")),
}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    folder = tmp_path_factory.mktemp("vector")
    out = {}
    for style, (name, kw) in PAGES.items():
        truth = render_km_pdf(load_ipd(name), folder / style, style=style, **kw)
        out[style] = (truth, digitize(truth.path))
    return out


def _rmse_by_arm(truth, dig) -> dict[str, float]:
    found, true = split_arms(dig.curves), split_arms(truth.curves)
    ends = {a: float(min(c["time"].max(), truth.x_range[1])) for a, c in true.items()}
    pairs = match_arms(found, true, t_max=ends, by_name=True)
    return {a: curve_rmse(found[f], true[a], ends[a]) for f, a in pairs.items()}


@pytest.mark.parametrize("style", list(PAGES))
def test_vector_page_curves_are_exact(pages, style):
    truth, dig = pages[style]
    assert dig.content == VECTOR
    rmse = _rmse_by_arm(truth, dig)
    assert sorted(rmse) == sorted(truth.arms)
    # a pixel of a 1000-pixel plot is 0.001; the drawing is exact to float precision
    assert max(rmse.values()) < 1e-5, rmse


@pytest.mark.parametrize("style", list(PAGES))
def test_vector_page_text_is_exact(pages, style):
    truth, dig = pages[style]
    assert sorted(dig.legend) == sorted(truth.arms)
    got = dig.at_risk.set_index(["arm", "time"])["n_at_risk"]
    want = truth.at_risk.set_index(["arm", "time"])["n_at_risk"]
    assert got.reindex(want.index).tolist() == want.tolist()
    assert not dig.at_risk_flags


def test_vector_ticks_calibrate_exactly(pages):
    truth, dig = pages["ggplot_grey"]  # white grid lines over the ticks' ends
    scale = dig.image_shape[1] / (truth.pdf_pt["figure"][2] - truth.pdf_pt["figure"][0] + 2 * 0.12 * 72)
    for axis, to_value in (("x", dig.mapping.time), ("y", dig.mapping.survival)):
        values, points = np.array(truth.pdf_pt[axis]).T
        # map the true tick positions: within a thousandth of the axis' range
        span = values.max() - values.min()
        assert np.allclose(to_value(points * scale), values, atol=1e-3 * span)


def test_reading_path_is_reported(pages):
    _, dig = pages["colour_plus"]
    assert dig.format().splitlines()[0] == f"read: {VECTOR}"
    assert dig.to_dict()["content"] == VECTOR


def test_text_as_outlines_falls_back_to_ocr_and_says_so(tmp_path):
    truth = render_km_pdf(load_ipd("leukemia"), tmp_path / "outlined", style="colour_plus",
                          x_label="Weeks", text_as_outlines=True)
    dig = digitize(truth.path)
    assert dig.content == OUTLINED and "text by OCR" in dig.format().splitlines()[0]
    assert max(_rmse_by_arm(truth, dig).values()) < 1e-5  # the curves are still the drawing's
    assert sorted(dig.legend) == sorted(truth.arms)  # read by OCR from the rendered page


def test_raster_pdf_pages(tmp_path):
    png = render_km_figure(load_ipd("leukemia"), tmp_path / "fig.png", style="colour_plus", x_label="Weeks")
    jpeg_page = raster_pdf(png.path, tmp_path / "scan.pdf")
    lossless_page = raster_pdf(png.path, tmp_path / "pasted.pdf", lossless=True)
    # a losslessly stored image is read as its own pixels, not a resampled rendering
    assert pdf_page_is_image(lossless_page) and not pdf_page_is_image(jpeg_page)
    assert np.array_equal(load_image(lossless_page), np.asarray(Image.open(png.path).convert("RGB")))
    from_png, from_page = digitize(png.path), digitize(lossless_page)
    assert from_png.content == RASTER and from_page.content == RASTER_PDF
    assert from_page.curves.equals(from_png.curves)
    scan = digitize(jpeg_page)
    assert scan.content == RASTER_PDF
    assert max(_rmse_by_arm(png, scan).values()) < 0.01


# -- the drawing-level pieces, on hand-made paths -------------------------------------------

BOX = PlotBox(left=100, top=100, right=1100, bottom=700)


def _path(points, colour=(200, 30, 30), width=2.0) -> VectorPath:
    return VectorPath(np.asarray(points, float), colour, width)


def _staircase_path(levels, xs, colour=(200, 30, 30)) -> VectorPath:
    pts = [(xs[0], levels[0])]
    for x, y0, y1 in zip(xs[1:], levels[:-1], levels[1:]):
        pts += [(x, y0), (x, y1)]
    pts.append((xs[-1] + 80, levels[-1]))
    return _path(pts, colour)


def test_exact_steps_ignores_plus_marks_and_keeps_a_final_drop():
    curve = _path([(100, 100), (300, 100), (300, 250), (600, 250), (600, 700)])
    plus = [_path([(440, 244), (440, 256)], (0, 0, 0), 0.0), _path([(434, 250), (446, 250)], (0, 0, 0), 0.0)]
    steps = exact_steps([curve, *plus])
    assert steps.tolist() == [[100, 100], [300, 100], [300, 250], [600, 250], [600, 700]]


def test_drawn_arms_are_the_step_curves_one_per_line():
    purple = _staircase_path([100, 180, 260, 400], [100, 300, 500, 700], colour=(150, 80, 160))
    first, second = _staircase_path([100, 150, 220], [100, 250, 380], colour=(200, 30, 30)), None
    # the red curve drawn in two pieces, the second starting where the first ended
    end = first.points[-1]
    second = _path([end, (end[0] + 100, end[1]), (end[0] + 100, 300), (900, 300)], (200, 30, 30))
    grid = _path([(100, 400), (1100, 400)], (230, 230, 230))
    median_guide = _path([(100, 400), (650, 400), (650, 700)], (90, 90, 90))  # one level only
    legend_key = _path([(800, 150), (860, 150)], (150, 80, 160))
    frame = _path([(100, 100), (1100, 100), (1100, 700), (100, 700), (100, 100)], (0, 0, 0))
    marks = [_path([(400, 174), (400, 186)], (0, 0, 0), 0.0), _path([(394, 180), (406, 180)], (0, 0, 0), 0.0)]
    arms = drawn_arms([purple, first, second, grid, median_guide, legend_key, frame, *marks], BOX)
    assert sorted(a.colour for a in arms) == [(150, 80, 160), (200, 30, 30)]
    red = next(a for a in arms if a.colour == (200, 30, 30))
    assert red.steps_px[-1].tolist() == [900.0, 300.0] and red.steps_px[0].tolist() == [100.0, 100.0]
    violet = next(a for a in arms if a.colour == (150, 80, 160))
    assert violet.censor_px.tolist() == [[400.0, 180.0]]  # the '+' on its level, once


def test_drawn_arms_take_their_line_style_from_the_dash_pattern():
    solid = _staircase_path([100, 200, 300], [100, 400, 700], colour=(0, 0, 0))
    dashed = VectorPath(_staircase_path([100, 250, 350], [100, 300, 600]).points, (0, 0, 0), 2.0, (12.0, 4.0))
    dotted = VectorPath(_staircase_path([100, 150, 450], [100, 500, 800]).points, (0, 0, 0), 2.0, (2.0, 3.0))
    styles = sorted(a.line_style for a in drawn_arms([solid, dashed, dotted], BOX))
    assert styles == ["dashed", "dotted", "solid"]


def test_legend_keys_drawn_in_an_arms_stroke_name_it():
    grey = VectorPath(_staircase_path([100, 200, 300], [100, 400, 700]).points, (90, 90, 90), 2.0, (12.0, 4.0))
    dark = VectorPath(_staircase_path([100, 250, 350], [100, 300, 600]).points, (80, 80, 80), 2.0, (2.0, 3.0))
    arms = drawn_arms([grey, dark], BOX)
    keys = [VectorPath(np.array([(800.0, 150.0), (840.0, 150.0)]), (80, 80, 80), 2.0, (2.0, 3.0)),
            VectorPath(np.array([(800.0, 180.0), (840.0, 180.0)]), (90, 90, 90), 2.0, (12.0, 4.0))]
    words = [OcrWord("Arm", 1.0, 848, 143, 880, 157), OcrWord("B", 1.0, 884, 143, 894, 157),
             OcrWord("Arm", 1.0, 848, 173, 880, 187), OcrWord("A", 1.0, 884, 173, 894, 187)]
    names = names_by_drawn_keys(arms, [grey, dark, *keys], words)
    assert dict(zip([a.colour for a in arms], names)) == {(90, 90, 90): "Arm A", (80, 80, 80): "Arm B"}
    # a key no arm is drawn in leaves the pairing to the pixels
    assert names_by_drawn_keys(arms, [grey, dark, keys[0]], words) is None


def test_snap_box_moves_a_side_from_a_grid_line_to_the_axis():
    axis = _path([(100, 730), (1100, 730)], (0, 0, 0))
    y_axis = _path([(100, 100), (100, 730)], (0, 0, 0))
    grid = _path([(100, 700), (1100, 700)], (235, 235, 235))
    snapped = snap_box(BOX, [axis, y_axis, grid])  # BOX was found on the grid line at 700
    assert (snapped.left, snapped.top, snapped.right, snapped.bottom) == (100, 100, 1100, 730)


def test_marks_on_keeps_only_strokes_centred_on_the_curve():
    steps = np.array([(100, 100), (500, 100), (500, 300), (900, 300)], float)
    on = _path([(700, 294), (700, 306)])
    off = _path([(700, 200), (700, 212)])
    too_long = _path([(300, 60), (300, 140)])
    assert marks_on(steps, [on, off, too_long], BOX).tolist() == [[700.0, 300.0]]


def test_snap_ticks_uses_the_drawn_ticks():
    ticks = [_path([(x, 700), (x, 710)], (0, 0, 0)) for x in (100.0, 433.3, 766.7, 1100.0)]
    censor_tick = _path([(500, 300), (500, 310)], (0, 0, 0))
    traced = np.array([101.0, 434.0])  # the pixels showed two, a pixel off
    snapped = snap_ticks(traced, [*ticks, censor_tick], BOX, "x")
    assert snapped.tolist() == [100.0, 433.3, 766.7, 1100.0]
    assert snap_ticks(traced, [censor_tick], BOX, "x").tolist() == traced.tolist()


def test_drop_float_noise_rounds_far_below_a_pixel():
    t = np.array([6.2000000001, 3.14159265, 0.0])
    # 0.01 units a pixel: a thousandth of that is the 5th decimal
    assert drop_float_noise(t, 0.01).tolist() == [6.2, 3.14159, 0.0]


# -- pages with several figures --------------------------------------------------------------


def test_article_page_finds_the_km_plot_among_text_and_a_bar_chart(tmp_path):
    page = compose_article_page(tmp_path / "article", ipd=load_ipd("leukemia"), x_label="Weeks")
    dig = digitize(page["truth"].path)
    assert dig.content == VECTOR
    assert max(_rmse_by_arm(page["truth"], dig).values()) < 1e-5
    assert sorted(dig.legend) == sorted(page["truth"].arms)
    assert any("plot 0 of the page passed over: this looks like a bar chart" in w for w in dig.warnings)
    with pytest.raises(NotKaplanMeierError, match="this looks like a bar chart"):
        digitize(page["truth"].path, panel=0)  # asked for: the bar chart, refused


def test_article_page_without_a_km_plot_is_refused_in_one_line(tmp_path):
    compose_article_page(tmp_path / "no_km", with_km=False)
    with pytest.raises(NotKaplanMeierError) as err:
        digitize(tmp_path / "no_km.pdf")
    # the page's one plot is the bar chart
    assert "\n" not in str(err.value) and "not a Kaplan-Meier plot" in str(err.value)


def test_figure_picks_one_of_two_figures_on_a_page(tmp_path):
    truths = two_figure_page(tmp_path / "two", load_ipd("leukemia"), load_ipd("rossi"), x_label="Weeks")
    for k, truth in enumerate(truths):
        dig = digitize(truth.path, panel=k)
        assert sorted(dig.legend) == sorted(truth.arms)
        assert max(_rmse_by_arm(truth, dig).values()) < 1e-5


def test_page_of_plots_none_km_is_refused_naming_each(tmp_path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 4), dpi=100)
    for k, ax in enumerate(fig.subplots(1, 2)):
        ax.bar(np.arange(5), [5, 3 + k, 4, 2, 6], color="0.3")
        ax.set_xticks(range(5))
    fig.savefig(tmp_path / "bars.pdf")
    with pytest.raises(NotKaplanMeierError) as err:
        digitize(tmp_path / "bars.pdf")
    message = str(err.value)
    assert message.startswith("none of the 2 plots found is a Kaplan-Meier plot") and "--figure N" in message
    assert "plot 0: " in message and "plot 1: " in message and "\n" not in message


def test_cli_run_on_a_vector_page_says_how_it_was_read(tmp_path):
    from click.testing import CliRunner

    from kmipd.cli import main_group

    two_figure_page(tmp_path / "two", load_ipd("leukemia"), load_ipd("rossi"), x_label="Weeks")
    res = CliRunner().invoke(main_group, ["digitize", str(tmp_path / "two.pdf"), "--figure", "1",
                                          "-o", str(tmp_path / "dig")])
    assert res.exit_code == 0, res.output
    assert f"read: {VECTOR}" in res.output
    res = CliRunner().invoke(main_group, ["run", str(tmp_path / "two.pdf"), "--figure", "1",
                                          "-o", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    assert f"Read as: {html.escape(VECTOR)}." in (tmp_path / "run" / "report.html").read_text()


def test_censor_marks_printed_as_text_characters(tmp_path):
    """SAS and others set censor marks as '+' characters of a font, not as drawn shapes."""
    import matplotlib
    from matplotlib.figure import Figure

    from kmipd.analysis.plots import km_steps

    ipd = load_ipd("leukemia")
    steps = km_steps(ipd)
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot()
    placed = {}
    for arm, colour in zip(sorted(ipd["arm"].unique()), ("tab:blue", "tab:red")):
        s = steps[steps["arm"] == arm]
        ax.step(s["time"], s["survival"], where="post", color=colour, label=arm)
        censored = np.unique(ipd.loc[(ipd["arm"] == arm) & (ipd["event"] == 0), "time"])
        level = [float(s.loc[s["time"] <= t, "survival"].iloc[-1]) for t in censored]
        for t, y in zip(censored, level):
            ax.text(t, y, "+", ha="center", va="center", color=colour, fontsize=9)
        if len(censored):
            placed[arm] = len(censored)
    ax.legend(loc="upper right")
    ax.set_xlabel("Weeks")
    ax.set_ylim(0, 1.05)
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig.savefig(tmp_path / "text_marks.pdf")
    dig = digitize(tmp_path / "text_marks.pdf")
    assert dig.content == VECTOR
    assert dig.censor_marks.groupby("arm").size().to_dict() == placed
