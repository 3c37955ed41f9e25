"""kmipd.digitize.legend (read, with keys, text, table, and match.pairing): legend
entries matched to arms by their key, else by order; names from the risk table's row labels."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from test_table import R_FIGURES, load_rgb, ocr_figure

from kmipd.digitize.legend.keys import line_sample, swallowed_key, text_start
from kmipd.digitize.legend.read import read_legend
from kmipd.digitize.legend.text import arm_coloured_text, capital_i, on_curve
from kmipd.digitize.match.pairing import (
    assign_items,
    clean_name,
    match_to_arms,
    name_similarity,
    normalise_label,
)
from kmipd.digitize.result import ArmTrace, PlotBox
from kmipd.digitize.text.ocr import OcrWord

BOX = PlotBox(left=50, top=10, right=500, bottom=300)


def arm(colour, style="solid", name=""):
    return ArmTrace(colour=colour, line_style=style, steps_px=np.zeros((0, 2)), name=name)


def test_labels_normalise_for_matching():
    assert normalise_label("Treatment A") == normalise_label("treatment  a")
    assert name_similarity("sex=1", "1") == 1.0  # survminer's row label may drop the prefix
    assert name_similarity("Radiotherapy plus cetuximab", "Radiotherapy plus cetuximab") == 1.0
    assert name_similarity("Placebo", "Pembrolizumab") < 0.5
    assert clean_name("Pre-ICI (n = 120): 8.9 (6.9-10.9)") == "Pre-ICI"
    assert clean_name("sex=1") == "sex=1"
    # a "+" or "-" key read by the Chinese alphabet as its look-alike ideograph
    assert clean_name("十 6-MP") == "6-MP" and clean_name("一Placebo") == "Placebo"
    assert clean_name("十字 trial") == "十字 trial"  # a real name in Chinese stays


def test_ocr_text_in_compatibility_form():
    from kmipd.digitize.text.ocr import _plain

    assert _plain(" NTRK⁺ ") == "NTRK+" and _plain("NTRK⁻") == "NTRK-"
    assert _plain("１２０") == "120"


def test_match_by_name_colour_and_order():
    arms = [arm((200, 30, 30)), arm((30, 30, 200))]
    assign, basis = match_to_arms(["Blue arm", "Red arm"], [(30, 30, 200), (200, 30, 30)], arms,
                                  ["Red arm", "Blue arm"])
    assert (assign, basis) == ([1, 0], "name")
    assign, basis = match_to_arms(["x", "y"], [(35, 30, 190), (190, 40, 30)], arms, ["", ""])
    assert (assign, basis) == ([1, 0], "colour")
    black = [arm((0, 0, 0)), arm((0, 0, 0))]
    assign, basis = match_to_arms(["x", "y"], [(0, 0, 0), (0, 0, 0)], black, ["", ""])
    assert (assign, basis) == ([0, 1], "order")


def _key_image(style: str, colour) -> np.ndarray:
    """White canvas with a legend key (line) left of a text-like block at x = 120."""
    img = np.full((60, 300, 3), 255, np.uint8)
    x0, x1, y = 60, 110, 30
    if style == "solid":
        cv2.line(img, (x0, y), (x1, y), colour, 2)
    else:
        for x in range(x0, x1, 12):
            cv2.line(img, (x, y), (min(x + 6, x1), y), colour, 2)
    cv2.putText(img, "Arm", (120, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    return img


@pytest.mark.parametrize("style", ["solid", "dashed"])
def test_line_sample_finds_colour_and_style(style):
    img = _key_image(style, (200, 40, 40))
    colour, found = line_sample(img, 120, 30, 20)
    assert colour is not None and np.abs(np.subtract(colour, (200, 40, 40))).max() < 40
    assert found == style


def test_text_alone_is_not_a_key():
    img = np.full((60, 300, 3), 255, np.uint8)
    cv2.putText(img, "Strata Arm", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2)
    assert line_sample(img, 120, 30, 20) == (None, "")


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.render import render_km_figure

    out = tmp_path_factory.mktemp("legend")
    cases = {
        "colour4": ("larynx", dict(style="colour_plus", x_label="Years", table=False)),
        "bw": ("rossi", dict(style="bw_dashed", x_label="Weeks", table=False)),
    }
    return {k: render_km_figure(load_ipd(ds), out / f"{k}.png", **kw) for k, (ds, kw) in cases.items()}


def _rgb(colour):
    import matplotlib.colors as mc

    return tuple(int(255 * c) for c in mc.to_rgb(colour))


def test_colour_legend_names_follow_the_key_not_the_order(rendered):
    fig = rendered["colour4"]
    image, words = ocr_figure(str(fig.path))
    order = [3, 1, 0, 2]  # the tracer may find the curves in any order
    arms = [arm(_rgb(fig.colours[fig.arms[i]])) for i in order]
    assert read_legend(image, BOX, arms, words) == [fig.arms[i] for i in order]


def test_black_legend_names_follow_the_line_style(rendered):
    fig = rendered["bw"]
    image, words = ocr_figure(str(fig.path))
    arms = [arm((0, 0, 0), "dashed"), arm((0, 0, 0), "solid")]  # drawn "-" then "--"
    assert read_legend(image, BOX, arms, words) == [fig.arms[1], fig.arms[0]]


def test_survminer_strata_legend():
    folder = R_FIGURES / "r-lung-survminer"
    if not folder.is_dir():
        pytest.skip("shared R figures not available")
    truth = json.loads((folder / "truth.json").read_text())
    image, words = ocr_figure(str(folder / truth["figure"]), 0.0)
    arms = [arm((0, 191, 196)), arm((248, 118, 109))]  # survminer's default hues, reversed
    assert read_legend(image, BOX, arms, words) == ["Male", "Female"]
    assert load_rgb(folder / truth["figure"]).shape == image.shape


# --- keys inside OCR boxes, colours that tell, words that are curve ink --------------------------

def test_key_swallowed_by_the_ocr_box_is_found_before_the_letters():
    img = _key_image("solid", (40, 40, 220))
    word = OcrWord("—Arm", 0.9, 58, 12, 170, 46)  # the box starts at the key, not the text
    start = text_start(img, word)
    assert 110 <= start <= 124
    colour, style, end = swallowed_key(img, word, word.height)
    assert np.abs(np.subtract(colour, (40, 40, 220))).max() < 40 and style == "solid"
    assert end <= start
    assert swallowed_key(img, OcrWord("Arm", 0.9, 118, 12, 170, 46), 34) is None


def test_black_key_tells_the_black_arm_from_the_red_one():
    arms = [arm((200, 30, 30)), arm((0, 0, 0))]
    assign, bases = assign_items(["x", "y"], [(60, 60, 60), (190, 40, 30)], arms, ["", ""])
    assert (assign, bases) == ([1, 0], ["colour", "colour"])
    # black text beside both rows tells nothing
    assign, bases = assign_items(["x", "y"], [(20, 20, 20), (25, 25, 25)], arms, ["", ""])
    assert bases == ["order", "order"]


def test_one_row_left_goes_to_the_one_arm_left():
    arms = [arm((0, 0, 0)), arm((0, 0, 0))]
    assign, bases = assign_items(["Placebo", "Drug"], [None, None], arms, ["", "Drug"])
    assert (assign, bases) == ([0, 1], ["name", "name"])


def test_text_in_an_arm_colour():
    red_blue = [arm((200, 30, 30)), arm((30, 30, 200))]
    assert arm_coloured_text((190, 40, 40), red_blue, True)
    assert not arm_coloured_text((40, 120, 30), red_blue, True)  # a green annotation
    grey = [arm((160, 160, 160)), arm((0, 0, 0))]
    assert arm_coloured_text((165, 165, 165), grey, False)
    assert not arm_coloured_text((10, 10, 10), grey, False)  # black: any label's colour


def test_words_on_a_curve_are_not_a_label():
    curve = ArmTrace((0, 0, 0), "solid", np.array([[0.0, 100.0], [300.0, 100.0]]))
    on = [OcrWord("EE", 0.5, 100, 90, 140, 112), OcrWord("L", 0.5, 144, 90, 160, 112)]
    beside = [OcrWord("Placebo", 0.99, 100, 104 + 20, 180, 124 + 20)]
    assert on_curve(on, [curve]) and not on_curve(beside, [curve])


def test_capital_i_misread_as_l():
    assert capital_i("Post-ICl") == "Post-ICI" and capital_i("HlV") == "HIV"
    assert capital_i("Placebo") == "Placebo" and capital_i("Al") == "Al"


# --- names read from rendered figures of real data -----------------------------------------------

def test_arm_named_like_a_legend_title_keeps_its_name(tmp_path):
    # "Treatment" is also a common legend title; with its own key beside it, it is an arm
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.render import render_km_figure

    fig = render_km_figure(load_ipd("rossi"), tmp_path / "t.png", style="colour_plus", table=False,
                           rename={"No aid": "Control", "Financial aid": "Treatment"})
    image, words = ocr_figure(str(fig.path))
    arms = [arm(_rgb(fig.colours[a])) for a in fig.arms[::-1]]
    assert read_legend(image, BOX, arms, words) == fig.arms[::-1]


@pytest.mark.parametrize("names", [("1992-2004", "2005-2009"), ("<65", "≥65")])
def test_period_and_threshold_names_beside_a_key(tmp_path, names):
    # a calendar period or an age threshold looks like a number, yet with a key it is a name
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.render import render_km_figure

    fig = render_km_figure(load_ipd("lung"), tmp_path / "p.png", style="colour_plus", table=False,
                           rename=dict(zip(("Female", "Male"), names)))
    image, words = ocr_figure(str(fig.path))
    arms = [arm(_rgb(fig.colours[a])) for a in fig.arms]
    assert read_legend(image, BOX, arms, words) == fig.arms


def _box(image, words, x_ticks):
    from test_table import known_axes

    return known_axes(image, words, x_ticks)[0]


def test_single_arm_without_legend_is_named_by_its_table_row(tmp_path):
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.render import render_km_figure

    ipd = load_ipd("lung")
    fig = render_km_figure(ipd[ipd["arm"] == "Female"], tmp_path / "one.png", style="bw_dashed",
                           legend=False)
    image, words = ocr_figure(str(fig.path))
    assert read_legend(image, _box(image, words, fig.x_ticks), [arm((0, 0, 0))], words) == ["Female"]


def test_coloured_table_labels_name_arms_without_a_legend(tmp_path):
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.render import render_km_figure

    fig = render_km_figure(load_ipd("lung"), tmp_path / "g.png", style="ggplot_grey", legend=False)
    image, words = ocr_figure(str(fig.path))
    arms = [arm(_rgb(fig.colours[a])) for a in fig.arms[::-1]]
    assert read_legend(image, _box(image, words, fig.x_ticks), arms, words) == fig.arms[::-1]


def test_arm_missing_from_the_legend_is_named_by_the_row_left(tmp_path):
    # the legend shows one arm (the other is labelled in the plot, or not at all): the table's
    # other row label names the other arm, even though it is contained in the first's
    from kmipd.analysis.plots import plot_km
    from kmipd.testing.datasets import load_ipd

    fig = plot_km(load_ipd("gbsg2"), style="colour_plus", x_label="Days")
    ax = fig.axes[0]
    legend = ax.get_legend()
    names = [t.get_text() for t in legend.get_texts()]
    colours = [_rgb(line.get_color()) for line in ax.get_lines()[::2]]
    handles = legend.legend_handles
    legend.remove()
    ax.legend(handles[1:], names[1:], loc="upper right")
    fig.savefig(tmp_path / "k.png", dpi=100, bbox_inches="tight", facecolor="white")
    image, words = ocr_figure(str(tmp_path / "k.png"))
    box = _box(image, words, list(ax.get_xticks()))
    arms = [arm(c) for c in colours[::-1]]
    assert read_legend(image, box, arms, words) == names[::-1]
