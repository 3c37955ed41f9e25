"""kmipd.digitize.legend: legend entries matched to arms by their key, else by order."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from test_at_risk import R_FIGURES, load_rgb, ocr_figure

from kmipd.digitize.legend import (
    clean_name,
    line_sample,
    match_to_arms,
    name_similarity,
    normalise_label,
    read_legend,
)
from kmipd.digitize.result import ArmTrace, PlotBox

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
    from kmipd.datasets import load_ipd
    from kmipd.plotting import render_km_figure

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
