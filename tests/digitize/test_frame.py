"""Digitize, without OCR: loading figures, the plot box, tick marks, and calibration from given words."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from conftest import R_FIGURES
from PIL import Image

from kmipd.digitize.frame.axes import find_plot_box, find_plot_boxes, find_ticks
from kmipd.digitize.frame.calibrate import calibrate, fit_axis, parse_number
from kmipd.digitize.image.load import load_image, to_rgb
from kmipd.digitize.result import PlotBox
from kmipd.digitize.text.ocr import OcrWord
from kmipd.errors import KmipdError
from kmipd.testing.datasets import load_ipd
from kmipd.testing.render import render_km_figure

# --- loading -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def picture() -> np.ndarray:
    rng = np.random.default_rng(0)
    img = np.full((60, 80, 3), 255, np.uint8)
    img[10:50, 20:22] = 0
    img[48:50, 20:70] = (200, 30, 30)
    img[20:30, 40:60] = rng.integers(0, 255, (10, 20, 3), dtype=np.uint8)
    return img


@pytest.mark.parametrize("fmt", ["PNG", "BMP", "TIFF", "WEBP"])
def test_lossless_formats_round_trip(picture, tmp_path, fmt):
    path = tmp_path / f"fig.{fmt.lower()}"
    Image.fromarray(picture).save(path, format=fmt, **({"lossless": True} if fmt == "WEBP" else {}))
    got = load_image(path)
    assert got.dtype == np.uint8 and got.shape == picture.shape
    np.testing.assert_array_equal(got, picture)


def test_format_is_taken_from_the_bytes_not_the_name(picture, tmp_path):
    jpeg_named_png = tmp_path / "figure.png"
    Image.fromarray(picture).save(jpeg_named_png, format="JPEG", quality=95)
    webp_named_jpg = tmp_path / "figure.jpg"
    Image.fromarray(picture).save(webp_named_jpg, format="WEBP", lossless=True)
    for path in (jpeg_named_png, webp_named_jpg):
        got = load_image(path)
        assert got.shape == picture.shape
        assert np.abs(got.astype(int) - picture).mean() < 6


def test_palette_alpha_grey_and_16_bit_are_normalised(picture, tmp_path):
    rgba = np.dstack([picture, np.full(picture.shape[:2], 255, np.uint8)])
    rgba[:5, :5, 3] = 0  # transparent black corner -> white
    Image.fromarray(rgba).save(tmp_path / "a.png")
    got = load_image(tmp_path / "a.png")
    assert (got[:5, :5] == 255).all() and got.shape == picture.shape
    Image.fromarray(picture).convert("P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "p.png")
    assert load_image(tmp_path / "p.png").shape == picture.shape
    grey = picture.mean(axis=2).astype(np.uint8)
    Image.fromarray(grey).save(tmp_path / "g.png")
    assert load_image(tmp_path / "g.png").shape == picture.shape
    Image.fromarray(grey.astype(np.uint16) * 257).save(tmp_path / "g16.png")
    np.testing.assert_array_equal(load_image(tmp_path / "g16.png")[:, :, 0], grey)
    np.testing.assert_array_equal(to_rgb(grey.astype(float) / 255.0)[:, :, 1], grey)


def test_pdf_page_is_rendered(picture, tmp_path):
    pdf = tmp_path / "paper.pdf"
    pages = [Image.fromarray(picture), Image.fromarray(255 - picture)]
    pages[0].save(pdf, format="PDF", save_all=True, append_images=pages[1:], resolution=72)
    first, second = load_image(pdf, page=0, dpi=144), load_image(pdf, page=1, dpi=144)
    assert first.shape == (120, 160, 3) and second.shape == (120, 160, 3)
    assert first.mean() > second.mean()
    with pytest.raises(KmipdError, match="page 2 does not exist"):
        load_image(pdf, page=2)


@pytest.mark.parametrize("content, match", [
    (None, "does not exist"),
    (b"", "is empty"),
    (b"hello, this is not an image\n", "not an image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not an image|damaged"),
    (b"%PDF-1.4 broken", "not a readable PDF"),
])
def test_bad_files_give_one_line_errors(tmp_path, content, match):
    path = tmp_path / "figure.png"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(KmipdError, match=match) as err:
        load_image(path)
    assert "\n" not in str(err.value)


def test_truncated_png_is_an_error(picture, tmp_path):
    path = tmp_path / "cut.png"
    Image.fromarray(picture).save(path)
    path.write_bytes(path.read_bytes()[:120])
    with pytest.raises(KmipdError):
        load_image(path)


# --- plot box and ticks on rendered figures ------------------------------------------------


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("axes")
    cases = {
        "colour_plus": ("lung", {}),
        "ggplot_grey": ("gbsg2", {}),  # grey panel, white gridlines, no axis lines
        "small_jpeg": ("waltons", {}),  # 450 px JPEG at quality 50
        "thick_multi": ("larynx", {}),
        "bw_dashed": ("rossi", {}),  # no frame, table below
        "truncated_y": ("kidney_transplant", {}),
    }
    return {style: render_km_figure(load_ipd(name), folder / f"{style}.png", style=style, **kw)
            for style, (name, kw) in cases.items()}


@pytest.mark.parametrize("style", ["colour_plus", "ggplot_grey", "small_jpeg", "thick_multi", "bw_dashed",
                                   "truncated_y"])
def test_plot_box_and_ticks_on_rendered_figures(rendered, style):
    fig = rendered[style]
    image = load_image(fig.path)
    box = find_plot_box(image)
    x_true = np.array([p for _, p in fig.tick_px["x"]])
    y_true = np.array([p for _, p in fig.tick_px["y"]])
    # every labelled tick lies on the box's axes, and the table below is outside the box
    assert box.left - 3 <= x_true.min() and x_true.max() <= box.right + 3
    assert box.top - 3 <= y_true.min() and y_true.max() <= box.bottom + 3
    assert box.bottom < image.shape[0] * 0.85 if fig.has_table else True
    for axis, truth in (("x", x_true), ("y", y_true)):
        found = find_ticks(image, box, axis)
        assert len(found) >= 2
        # each tick found is a true one (within a pixel and a half); most true ones are found
        near = np.abs(found[:, None] - truth[None, :]).min(axis=1)
        assert np.all(near <= 1.5), (axis, found, truth)
        assert len(found) >= len(truth) - 1
        # to a fraction of a pixel (truth is on pixel edges, ours on pixel centres): the
        # calibration, and so every time and survival read, rests on these
        err = (found[:, None] - (truth[None, :] - 0.5))[np.arange(len(found)), np.abs(
            found[:, None] - truth[None, :]).argmin(axis=1)]
        assert np.median(np.abs(err)) <= 0.15 and np.abs(err).max() <= 0.4, (axis, err)


def _stacked(*images: np.ndarray) -> np.ndarray:
    """Figures one above the other, padded white to the widest."""
    width = max(im.shape[1] for im in images)
    return np.vstack([np.pad(im, ((0, 0), (0, width - im.shape[1]), (0, 0)), constant_values=255)
                      for im in images])


def test_two_panel_figure_picks_the_panel_asked_for(rendered):
    left = load_image(rendered["colour_plus"].path)
    right = load_image(rendered["bw_dashed"].path)
    h = max(left.shape[0], right.shape[0])
    pad = lambda im: np.pad(im, ((0, h - im.shape[0]), (0, 0), (0, 0)), constant_values=255)  # noqa: E731
    side = np.hstack([pad(left), pad(right)])
    first, second = find_plot_box(side, panel=0), find_plot_box(side, panel=1)
    assert first.right < left.shape[1] <= second.left
    alone = find_plot_box(left)
    assert max(abs(a - b) for a, b in zip(vars(first).values(), vars(alone).values())) <= 2
    stacked = _stacked(left, right)
    top, bottom = find_plot_box(stacked, panel=0), find_plot_box(stacked, panel=1)
    assert top.bottom < left.shape[0] <= bottom.top
    with pytest.raises(KmipdError, match="panel 2"):
        find_plot_box(side, panel=2)


def test_blank_and_text_only_images_have_no_axes():
    with pytest.raises(KmipdError, match="no plot axes found") as err:
        find_plot_box(np.full((300, 400, 3), 255, np.uint8))
    assert "0 long horizontal" in str(err.value)
    import cv2

    text = np.full((300, 400, 3), 255, np.uint8)
    cv2.putText(text, "Figure 2. Overall survival", (10, 150), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    with pytest.raises(KmipdError, match="no plot axes found"):
        find_plot_box(text)


def test_frame_round_the_whole_figure_is_not_the_plot():
    """A border round the figure (NEJM scans) loses to the inner axes that carry tick marks."""
    img = np.full((400, 500, 3), 255, np.uint8)
    img[5, 5:495] = img[394, 5:495] = 0
    img[5:395, 5] = img[5:395, 494] = 0
    img[300, 100:450] = 0  # x axis
    img[60:301, 100] = 0  # y axis
    for x in range(100, 451, 50):
        img[301:308, x] = 0
    for y in range(60, 301, 40):
        img[y, 93:100] = 0
    box = find_plot_box(img)
    np.testing.assert_allclose([box.left, box.bottom, box.right, box.top], [100, 300, 449, 60], atol=1)
    np.testing.assert_allclose(find_ticks(img, box, "x"), np.arange(100, 451, 50))
    np.testing.assert_allclose(find_ticks(img, box, "y"), np.arange(60, 301, 40))


@pytest.mark.skipif(not R_FIGURES.is_dir(), reason="../shared/r-figures not present")
def test_r_figures_plot_box_and_x_ticks():
    for case in sorted(p for p in R_FIGURES.iterdir() if (p / "truth.json").is_file()):
        truth = json.loads((case / "truth.json").read_text())
        image = load_image(case / truth["figure"])
        box = find_plot_box(image)
        ticks = find_ticks(image, box, "x")
        assert len(ticks) == len(truth["ticks"]), case.name
        spacing = np.diff(ticks)
        assert spacing.std() < 0.02 * spacing.mean(), case.name
        if truth["risk_table"]:
            assert box.bottom < 0.8 * image.shape[0], case.name


# --- numbers and calibration ---------------------------------------------------------------


@pytest.mark.parametrize("text, value, percent", [
    ("0.0", 0.0, False), ("1.0", 1.0, False), ("0.75", 0.75, False), ("100%", 100.0, True),
    ("50 %", 50.0, True), ("\u22125", -5.0, False), ("0\u00b75", 0.5, False), ("0,25", 0.25, False),
    ("1,000", 1000.0, False), ("80-", 80.0, False), ("12", 12.0, False), ("O.5", 0.5, False),
    ("Months", None, False), ("-", None, False), ("p=0.03", None, False), ("", None, False),
])
def test_parse_number(text, value, percent):
    assert parse_number(text) == (value, percent)


def test_fit_axis_overrules_a_misread_label():
    pixels = np.array([400.0, 325.0, 250.0, 175.0, 100.0])
    values = np.array([0.0, 0.25, 0.66, 0.75, 1.0])  # 0.5 misread as 0.66
    scale, offset, inliers = fit_axis(pixels, values, sign=-1, tol=3.0)
    assert inliers.tolist() == [True, True, False, True, True]
    np.testing.assert_allclose([offset + scale * 400, offset + scale * 100], [0.0, 1.0], atol=1e-9)


def _words(axis: str, box: PlotBox, items: list[tuple[str, float]], size: float = 12.0) -> list[OcrWord]:
    out = []
    for text, pos in items:
        w = 0.6 * size * len(text)
        if axis == "x":
            out.append(OcrWord(text, 0.99, pos - w / 2, box.bottom + 8, pos + w / 2, box.bottom + 8 + size))
        else:
            out.append(OcrWord(text, 0.99, box.left - 8 - w, pos - size / 2, box.left - 8, pos + size / 2))
    return out


BOX = PlotBox(left=100, top=50, right=700, bottom=450)


def test_calibrate_percent_axis_from_50_and_x_not_from_0():
    x_items = [(str(v), 100 + 100 * i) for i, v in enumerate(range(12, 37, 4))]  # 12..36
    y_items = [(f"{v}%", 450 - 80 * i) for i, v in enumerate(range(50, 101, 10))]  # 50%..100%
    words = _words("x", BOX, x_items) + _words("y", BOX, y_items)
    cal = calibrate(None, BOX, words, x_ticks=np.array([p for _, p in x_items], float),
                    y_ticks=np.array([p for _, p in y_items], float))
    m = cal.mapping
    assert m.percent and m.x.source == m.y.source == "ocr"
    np.testing.assert_allclose(m.time([100, 700]), [12, 36])
    np.testing.assert_allclose(m.survival([450, 50]), [0.5, 1.0])
    assert cal.confidence["x_axis"] > 0.9 and cal.confidence["y_axis"] > 0.9
    assert not cal.warnings


def test_calibrate_flags_misreads_and_uses_label_centres_without_ticks():
    y_items = [("0.00", 450), ("0.25", 350), ("0.66", 250), ("0.75", 150), ("1.00", 50)]
    x_items = [("0", 100), ("6", 200), ("12", 300), ("18", 400), ("24", 500), ("30", 600), ("36", 700)]
    cal = calibrate(None, BOX, _words("x", BOX, x_items) + _words("y", BOX, y_items))
    m = cal.mapping
    assert not m.percent
    np.testing.assert_allclose(m.survival([450, 250, 50]), [0, 0.5, 1], atol=1e-6)
    np.testing.assert_allclose(m.time([100, 700]), [0, 36], atol=1e-6)
    assert any("'0.66'" in w for w in cal.warnings)
    assert [t.used for t in m.y.ticks] == [True, True, False, True, True]


def test_calibrate_overrides_map_the_outermost_ticks():
    ticks = np.array([130.0, 330.0, 530.0])
    cal = calibrate(None, BOX, [], x_ticks=ticks, y_ticks=np.zeros(0), x_range=(0, 24), y_range=(0, 100))
    m = cal.mapping
    assert m.x.source == m.y.source == "override" and m.percent
    np.testing.assert_allclose(m.time(ticks), [0, 12, 24])
    np.testing.assert_allclose(m.survival([BOX.bottom, BOX.top]), [0, 1])  # no y ticks: box edges
    with pytest.raises(KmipdError, match="two different values"):
        calibrate(None, BOX, [], x_range=(5, 5))


def test_tiny_zeros_read_as_eights_still_calibrate_the_y_axis():
    # "0.9" read "8.9" on half of the labels: the fraction they stand for fits the others
    y_items = [(t, 450 - 40 * i) for i, t in enumerate(
        ["0.0", "8.1", "8.2", "8.3", "0.4", "0.5", "0.6", "8.7", "8.8", "8.9", "1.0"])]
    x_items = [("0", 100), ("12", 400), ("24", 700)]
    cal = calibrate(None, BOX, _words("x", BOX, x_items) + _words("y", BOX, y_items),
                    y_ticks=np.array([p for _, p in y_items], float))
    assert cal.mapping.y.source == "ocr" and not cal.mapping.percent
    np.testing.assert_allclose(cal.mapping.survival([450, 250, 50]), [0, 0.5, 1], atol=1e-6)
    assert all(t.used for t in cal.mapping.y.ticks)


def test_tick_marks_read_as_ones_above_the_x_labels_are_not_the_labels():
    # outward tick marks the OCR read as "1" where the labels' boxes start: a row of ones, nearer
    # the axis than the labels (seed 2026 figure 174, a ggplot2 figure, was set to 0-1)
    x_items = [(str(v), 100 + 100 * i) for i, v in enumerate(range(0, 25, 4))]  # 0..24
    labels = [replace(w, y0=w.y0 + 14, y1=w.y1 + 14) for w in _words("x", BOX, x_items)]
    ones = [OcrWord("1", 0.9, p - 4, BOX.bottom - 1, p + 4, BOX.bottom + 11) for p in (300, 600)]
    y_items = [("0.0", 450), ("0.5", 250), ("1.0", 50)]
    cal = calibrate(None, BOX, ones + labels + _words("y", BOX, y_items),
                    x_ticks=np.array([p for _, p in x_items], float))
    assert cal.mapping.x.source == "ocr"
    np.testing.assert_allclose(cal.mapping.time([100, 700]), [0, 24], atol=1e-6)


def test_x_labels_that_fit_no_axis_send_the_strip_to_be_read_enlarged():
    """Tiny x tick labels the whole-image OCR missed, a risk-table row read in their place
    ("20 14 11 4 3 2" fits no axis): the strip under the axis is read again enlarged."""
    import cv2

    img = np.full((520, 760, 3), 255, np.uint8)
    cv2.line(img, (BOX.left, BOX.bottom), (BOX.right, BOX.bottom), (0, 0, 0), 1)
    cv2.line(img, (BOX.left, BOX.top), (BOX.left, BOX.bottom), (0, 0, 0), 1)
    ticks = np.array([100.0, 220, 340, 460, 580, 700])
    for t, p in zip(range(0, 11, 2), ticks):
        cv2.line(img, (int(p), BOX.bottom), (int(p), BOX.bottom + 4), (0, 0, 0), 1)
        cv2.putText(img, str(t), (int(p) - 4 * len(str(t)), BOX.bottom + 17), cv2.FONT_HERSHEY_SIMPLEX,
                    0.3, (90, 90, 90), 1, cv2.LINE_AA)
    row = _words("x", BOX, [(str(v), p) for v, p in zip((20, 14, 11, 4, 3, 2), ticks)])
    y_items = [("0.0", 450), ("0.5", 250), ("1.0", 50)]
    cal = calibrate(img, BOX, row + _words("y", BOX, y_items), x_ticks=ticks,
                    y_ticks=np.array([450.0, 250, 50]))
    assert cal.mapping.x.source == "ocr"
    np.testing.assert_allclose(cal.mapping.time([100, 700]), [0, 10], atol=0.05)
    # without the image nothing can be read again: assumed, and said so
    blind = calibrate(None, BOX, row + _words("y", BOX, y_items), x_ticks=ticks)
    assert blind.mapping.x.source == "assumed"


def test_calibrate_without_labels_says_it_assumed():
    cal = calibrate(None, BOX, [], x_ticks=np.array([100.0, 400.0, 700.0]))
    assert cal.mapping.x.source == cal.mapping.y.source == "assumed"
    assert cal.confidence == {"x_axis": 0.0, "y_axis": 0.0}
    assert len(cal.warnings) == 2 and all("could not be read" in w for w in cal.warnings)
    np.testing.assert_allclose(cal.mapping.time([100, 700]), [0, 1])


# --- turning traces into tables --------------------------------------------------------------


def _mapping():
    from kmipd.digitize.result import AxisCalibration, AxisMapping

    # x: pixel 100 -> 0, 700 -> 60; y: pixel 450 -> 0, 50 -> 1
    return AxisMapping(AxisCalibration(0.1, -10.0), AxisCalibration(-1 / 400, 450 / 400))


def test_name_arms_by_legend_else_by_end_survival():
    from kmipd.digitize import name_arms
    from kmipd.digitize.result import ArmTrace

    low = ArmTrace((0, 0, 255), "solid", np.array([[100, 50], [700, 400]], float))
    high = ArmTrace((255, 0, 0), "solid", np.array([[100, 50], [700, 100]], float))
    arms = name_arms([low, high], ["", ""], _mapping())
    assert [a.name for a in arms] == ["arm1", "arm2"] and arms[0].colour == high.colour
    arms = name_arms([low, high], ["Placebo", ""], _mapping())
    assert [a.name for a in arms] == ["Placebo", "arm1"] and arms[0].colour == low.colour
    arms = name_arms([low, high], ["Drug", "Drug"], _mapping())
    assert [a.name for a in arms] == ["Drug", "Drug (2)"]
    assert low.name == high.name == ""  # named copies; the arms given are not changed


def test_a_thick_steep_start_is_at_1_at_time_zero_and_falls_just_after():
    # a thick line overhangs the origin (pixel 100) by half its width; its first drops already
    # show in those columns (levels 0.998, 0.99, 0.975): survival is 1 at 0, falling half a
    # pixel later (0.05 time units), not 0.975 from time 0
    from kmipd.digitize import curves_frame
    from kmipd.digitize.result import ArmTrace

    y = lambda s: 450 - 400 * s  # noqa: E731
    steps = np.array([[97, y(0.998)], [98, y(0.99)], [99, y(0.975)], [130, y(0.95)], [400, y(0.5)]])
    frame = curves_frame([ArmTrace((0, 0, 0), "solid", steps, name="A")], _mapping())
    t, s = frame["time"].to_numpy(), frame["survival"].to_numpy()
    assert t[0] == 0 and s[0] == 1.0
    assert t[1] == pytest.approx(0.05) and s[1] == pytest.approx(0.975)
    assert np.all(np.diff(t) > 0)
    # a curve traced from a level just under 1 starts at 1 and falls where it was first read
    late = np.array([[110, y(0.96)], [400, y(0.5)]])
    frame = curves_frame([ArmTrace((0, 0, 0), "solid", late, name="B")], _mapping())
    assert frame["survival"].iloc[0] == 1.0 and frame["time"].iloc[1] == pytest.approx(0.5)
    assert frame["survival"].iloc[1] == pytest.approx(0.96)


def test_curves_frame_is_monotone_from_time_zero():
    from kmipd.digitize import censor_frame, curves_frame
    from kmipd.digitize.result import ArmTrace

    steps = np.array([[112, 52], [300, 150], [310, 148], [500, 470]], float)  # a 2-px rise, a dip below 0
    arm = ArmTrace((0, 0, 0), "solid", steps, censor_px=np.array([[90, 60], [400, 150]], float), name="A")
    frame = curves_frame([arm], _mapping())
    assert frame["time"].iloc[0] == 0 and frame["survival"].iloc[0] == 1.0
    assert np.all(np.diff(frame["survival"]) <= 0) and frame["survival"].min() == 0
    marks = censor_frame([arm], _mapping())
    assert marks["time"].min() == 0 and list(marks.columns) == ["arm", "time", "survival"]


def test_text_inside_the_plot_is_excluded_but_curve_glyphs_are_not():
    from kmipd.digitize import text_boxes_inside

    words = [OcrWord("p = 0.003", 0.9, 300, 300, 380, 315), OcrWord("-", 0.9, 200, 200, 205, 203),
             OcrWord("Placebo", 0.9, 500, 60, 560, 75), OcrWord("0.5", 0.9, 60, 240, 90, 260)]
    assert text_boxes_inside(words, BOX) == [(300, 300, 380, 315), (500, 60, 560, 75)]


def test_panel_region_gives_each_panel_its_own_text():
    from kmipd.digitize.frame.panels import panel_region

    # stacked: the gap down to just above the lower box (its top label) is the upper panel's
    top, low = PlotBox(100, 50, 900, 450), PlotBox(100, 700, 900, 1100)
    assert panel_region([top, low], 0, (1300, 1000)) == (0, 0, 1000, 668)
    assert panel_region([top, low], 1, (1300, 1000)) == (0, 668, 1000, 1300)
    # side by side: the gap between the boxes is shared half and half
    left, right = PlotBox(80, 40, 480, 400), PlotBox(620, 40, 1020, 400)
    assert panel_region([left, right], 0, (600, 1100)) == (0, 0, 550, 600)
    assert panel_region([left, right], 1, (600, 1100)) == (550, 0, 1100, 600)
    # a lone panel owns the image
    assert panel_region([left], 0, (600, 1100)) == (0, 0, 1100, 600)


def test_digitize_reads_the_text_of_the_panel_asked_for(rendered):
    """Two figures stacked: panel 1 gets its own legend names and numbers at risk, none of the
    upper panel's (its OCR sees only its own part of the image)."""
    from kmipd.digitize import digitize

    upper, lower = rendered["colour_plus"], rendered["bw_dashed"]
    a, b = load_image(upper.path), load_image(lower.path)
    dig = digitize(_stacked(a, b), panel=1, overlay=False)
    assert sorted(dig.legend) == sorted(lower.arms)
    assert set(dig.at_risk["arm"]) == set(lower.arms)
    got = dig.at_risk.set_index(["arm", "time"])["n_at_risk"]
    want = lower.at_risk.set_index(["arm", "time"])["n_at_risk"]
    assert got.reindex(want.index).tolist() == want.tolist()


def test_legend_shared_by_two_panels_names_the_lower_one(tmp_path):
    """A legend printed once above two stacked panels still names the lower panel's arms."""
    from kmipd.digitize import digitize

    fig = render_km_figure(load_ipd("gbsg2"), tmp_path / "g.png", style="ggplot_grey", table=False)
    image = load_image(fig.path)
    box = find_plot_box(image)
    bare = image[max(box.top - 15, 0):]  # the same panel without the legend above it
    dig = digitize(_stacked(image, bare), panel=1, overlay=False)
    assert sorted(dig.legend) == sorted(fig.arms)


def test_panel_region_ignores_a_box_unlike_the_panel():
    from kmipd.digitize.frame.panels import panel_region

    plot, small = PlotBox(100, 50, 900, 450), PlotBox(100, 700, 400, 800)  # a framed note below
    assert panel_region([plot, small], 0, (1000, 1000)) == (0, 0, 1000, 1000)


# --- y tick labels printed sideways (R's default las=0) -------------------------------------


@pytest.mark.parametrize("font", ["DejaVu Serif", "DejaVu Sans Mono"])
@pytest.mark.parametrize("y_format", ["fraction1", "percent"])
def test_sideways_y_tick_labels_calibrate_within_1_percent(tmp_path, font, y_format):
    from dataclasses import replace

    from kmipd.testing.random_figures import draw_look, render_random_figure, simulate_trial

    rng = np.random.default_rng([7, 3])
    trial, look = simulate_trial(rng), draw_look(rng)
    look = replace(look, font=font, y_tick_rotation=90, y_format=y_format, y_step=0.2, y_start="zero",
                   font_size=11.0, fmt="png", blur=0.0, panel="white", frame="box", dpi=150,
                   width_in=5.0, aspect=0.7, title=False, annotation="none")
    fig = render_random_figure(trial, look, tmp_path / "sideways.png")
    image = load_image(fig.path)
    box = find_plot_box(image)
    y_ticks = find_ticks(image, box, "y")
    cal = calibrate(image, box, x_ticks=find_ticks(image, box, "x"), y_ticks=y_ticks)
    # the truth: ticks every 0.2 from the top of the range down to its bottom
    scale = 100.0 if fig.percent else 1.0
    truth = np.arange(fig.y_range[1], fig.y_range[0] - 1e-9, -0.2 * scale) / scale
    assert len(y_ticks) == len(truth)
    assert cal.mapping.y.source == "ocr"
    assert np.abs(cal.mapping.survival(y_ticks) - truth).max() <= 0.01 * (truth[0] - truth[-1])



def _ggplot_panel(thick: int, glued_labels: bool) -> np.ndarray:
    """A ggplot-like grey panel (no axis lines) with white gridlines and three coloured step
    curves starting inside it; optionally the pale rims of tick labels and of the axis title
    touch the panel (as at low resolution or under blur)."""
    import cv2

    img = np.full((420, 520, 3), 255, np.uint8)
    img[40:360, 80:480] = 235
    for x in range(100, 480, 60):
        img[40:360, x - 1:x + 2] = 255
    for y in range(60, 360, 50):
        img[y - 1:y + 2, 80:480] = 255
    for k, colour in enumerate([(240, 100, 90), (0, 180, 190), (100, 150, 250)]):
        y0 = 50 + 4 * k
        pts = [(90, y0), (170 + 20 * k, y0), (170 + 20 * k, 130 + 30 * k), (300 - 10 * k, 130 + 30 * k),
               (300 - 10 * k, 220 + 40 * k), (470, 220 + 40 * k)]
        for p, q in zip(pts, pts[1:]):
            cv2.line(img, p, q, colour, thick)
    if glued_labels:
        for y in range(60, 360, 50):
            img[y - 6:y + 6, 32:80] = 215  # anti-aliased label rims right against the panel
        img[130:280, 15:30] = 215  # the axis title's, a closing's width from the labels
        # tick labels under the panel, and the x axis title's rims across most of its width,
        # joined to the panel through the first label (a gap under the others)
        for x in range(100, 480, 60):
            img[361:383 if x == 100 else 372, x - 8:x + 8] = 215
        img[383:395, 92:440] = 215
    return img


@pytest.mark.parametrize("thick,glued", [(3, False), (14, False), (3, True)])
def test_grey_panel_without_axis_lines_is_the_plot(thick, glued):
    """ggplot's default theme: the plot area is a grey panel; curves wider than the closing
    leave holes in it, and label rims may touch it (both once lost the panel: "no plot axes")."""
    from kmipd.digitize.frame.axes import _panel_rectangles

    boxes = _panel_rectangles(_ggplot_panel(thick, glued))
    assert len(boxes) == 1
    box = boxes[0]
    np.testing.assert_allclose([box.left, box.top, box.right, box.bottom], [80, 40, 479, 359], atol=2)


def test_a_grey_panel_cut_corner_to_corner_by_confidence_bands_is_one_panel():
    """ggplot's grey panel with two translucent bands from the top-left to the bottom-right
    corner: the grey is in two pieces, each a rectangle once trimmed, but the panel is one."""
    img = np.full((500, 600, 3), 255, np.uint8)
    img[40:440, 80:560] = 235                                    # the panel
    yy, xx = np.mgrid[40:440, 80:560]
    diagonal = np.abs((yy - 40) / 400 - (xx - 80) / 480) < 0.12  # two bands along the curves
    img[40:440, 80:560][diagonal] = (160, 200, 225)
    img[40:440, 80:560][diagonal & (yy > xx * 400 / 480)] = (230, 200, 150)
    for x in range(80, 560, 80):                                 # white gridlines
        img[40:440, x] = 255
    for x in range(80, 561, 80):                                 # tick marks below the panel
        img[440:446, x] = 60
    boxes = find_plot_boxes(img)
    assert len(boxes) == 1
    b = boxes[0]
    assert abs(b.left - 80) <= 3 and abs(b.right - 559) <= 3 and abs(b.top - 40) <= 3 and abs(b.bottom - 439) <= 3


def test_x_labels_whose_zeros_all_read_as_eights_are_read_round():
    # a monospaced 0 read as 8 in every label: "188" ... "988" are still equally spaced and fit
    # a line as well as the right values; round tick values decide (180 ... 900)
    x_items = [("188", 160), ("368", 280), ("548", 400), ("728", 520), ("988", 640)]
    y_items = [("0.0", 450), ("0.5", 250), ("1.0", 50)]
    cal = calibrate(None, BOX, _words("x", BOX, x_items) + _words("y", BOX, y_items),
                    x_ticks=np.array([40, 160, 280, 400, 520, 640], float))
    np.testing.assert_allclose(cal.mapping.time([40, 160, 640]), [0, 180, 900], atol=1e-6)
    assert any("an 8 for a 0" in w for w in cal.warnings)
    # labels with real eights stand: 0, 8, 16, 24 (a 0 for each 8 fits no line)
    x_items = [("0", 160), ("8", 280), ("16", 400), ("24", 520)]
    cal = calibrate(None, BOX, _words("x", BOX, x_items) + _words("y", BOX, y_items),
                    x_ticks=np.array([160, 280, 400, 520], float))
    np.testing.assert_allclose(cal.mapping.time([160, 520]), [0, 24], atol=1e-6)
    assert not any("an 8 for a 0" in w for w in cal.warnings)


def test_two_x_labels_one_misread_are_set_right_by_the_round_steps_of_the_tick_marks():
    marks = np.array([50, 125, 200, 275, 350, 425, 500], float)
    y_items = [("0.0", 450), ("0.5", 250), ("1.0", 50)]
    # "30" read "50": two labels always fit a line (12.7 a mark); 0, 6, ... 36 fits "12" exactly
    # and "50" but for one glyph
    x_items = [("12", 200), ("50", 425)]
    cal = calibrate(None, BOX, _words("x", BOX, x_items) + _words("y", BOX, y_items), x_ticks=marks)
    np.testing.assert_allclose(cal.mapping.time([50, 425, 500]), [0, 30, 36], atol=1e-6)
    assert any("round steps" in w for w in cal.warnings) and cal.confidence["x_axis"] <= 0.5
    # labels read right stand, also two a round step apart
    for items, want in ([("12", 200), ("30", 425)], [0, 30, 36]), ([("3", 125), ("9", 275)], [0, 15, 18]):
        cal = calibrate(None, BOX, _words("x", BOX, items) + _words("y", BOX, y_items), x_ticks=marks)
        np.testing.assert_allclose(cal.mapping.time([50, 425, 500]), want, atol=1e-6)
        assert not any("round steps" in w for w in cal.warnings)


def test_round_step_axis_needs_regular_marks_and_beats_only_odd_fits():
    from kmipd.digitize.frame.nice_ticks import round_step_axis

    marks = np.array([0, 100, 200, 300], float)
    # the fitted axis is round (0, 10, 20, 30): it stands
    assert round_step_axis([(100, "10", 10.0), (300, "30", 30.0)], marks, lambda p: p / 10) is None
    # irregular marks tell no steps
    uneven = np.array([0, 100, 170, 300], float)
    assert round_step_axis([(100, "10", 10.0), (300, "80", 80.0)], uneven, lambda p: 0.35 * p - 25) is None


def test_round_step_keeps_the_fits_other_warnings():
    import sys

    from kmipd.digitize.result import AxisCalibration

    cal_mod = sys.modules["kmipd.digitize.frame.calibrate"]
    # an axis through "12" and "50" (one misread), whose fit also warned of an 8 read for a 0
    readings = [(200.0, "12", 12.0), (425.0, "50", 50.0)]
    scale = 38.0 / 225.0
    fit = AxisCalibration(scale, 12.0 - scale * 200.0, [], "ocr", 0.0)
    eights = "x axis: label(s) '18' read with an 8 for a 0 (they fit the axis only so); check it."
    got = cal_mod._AxisResult(fit, 0.8, False,
                              [eights, "x axis: only 2 tick labels read; calibration could not be "
                                       "cross-checked."])
    out = cal_mod._round_step(got, readings, np.array([50, 125, 200, 275, 350, 425, 500], float))
    np.testing.assert_allclose(out.cal.to_data(np.array([50.0, 500.0])), [0, 36], atol=1e-6)
    assert eights in out.warnings and not any(" only 2 " in w for w in out.warnings)
