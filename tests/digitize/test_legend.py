"""kmipd.digitize.legend (read, with keys, text, table, and match.pairing): legend
entries matched to arms by their key, else by order; names from the risk table's row labels."""

from __future__ import annotations

import json
from dataclasses import replace

import cv2
import numpy as np
import pytest
from test_table import R_FIGURES, load_rgb, ocr_figure

from kmipd.digitize.legend.ends import without_end_glyph
from kmipd.digitize.legend.entries import x_axis_title
from kmipd.digitize.legend.read import read_legend
from kmipd.digitize.legend.text import arm_coloured_text, capital_i, on_curve
from kmipd.digitize.match.keys import find_key, line_sample, swallowed_key, text_start
from kmipd.digitize.match.pairing import (
    assign_items,
    by_look,
    clean_name,
    match_to_arms,
    name_similarity,
    normalise_label,
)
from kmipd.digitize.result import ArmTrace, AxisCalibration, AxisMapping, PlotBox
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
    # a y tick label read together with a legend inside the plot beside it (seed 2026 fig 36)
    assert clean_name("0.2Arm C") == "Arm C" and clean_name("1.00Placebo") == "Placebo"
    assert clean_name("0.5 mg/kg") == "0.5 mg/kg" and clean_name("2.5Gy") == "2.5Gy"


def test_ocr_text_in_compatibility_form():
    from kmipd.digitize.text.ocr import plain_text

    assert plain_text(" NTRK⁺ ") == "NTRK+" and plain_text("NTRK⁻") == "NTRK-"
    assert plain_text("１２０") == "120"


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


def test_pale_grey_key_among_coloured_pairs_by_kind():
    # jco's grey dotted line, thin, in a JPEG: its key reads paler (173) than its curve (148),
    # and the yellow curve washes out; the only grey key still names the only grey arm
    arms = [arm((31, 97, 154)), arm((158, 91, 99)), arm((148, 148, 148)), arm((255, 253, 180))]
    keys = [(30, 109, 168), (209, 199, 133), (173, 173, 173), (162, 103, 115)]
    assign, basis = match_to_arms(["Q1", "Q2", "Q3", "Q4"], keys, arms, [""] * 4)
    assert (assign, basis) == ([0, 3, 2, 1], "colour")
    # two black keys for one black arm: the kinds do not count alike, nothing is paired
    arms3 = [arm((200, 30, 30)), arm((0, 0, 0)), arm((30, 30, 200))]
    assign, basis = match_to_arms(["a", "b", "c"], [(0, 0, 0), (0, 0, 0), (30, 30, 200)], arms3,
                                  [""] * 3)
    assert basis == "order"


def test_key_residue_and_survminer_prefixes():
    from kmipd.digitize.legend.text import agree_prefixes

    # a key with a censor mark read as a glyph and its dashes
    for text, name in [("o… arm=High", "arm=High"), ("0-- Mutant", "Mutant"),
                       ("e-- Intermediate", "Intermediate"), ("A. Sorafenib", "A. Sorafenib"),
                       ("x - y", "x - y"), ("PD-L1 <1%", "PD-L1 <1%")]:
        assert clean_name(text) == name
    assert agree_prefixes(["larm=Wild type", "arm=Mutant"]) == ["arm=Wild type", "arm=Mutant"]
    assert agree_prefixes(["strata=G1", "trata=G3", "strata=G2"]) == [
        "strata=G1", "strata=G3", "strata=G2"]
    assert agree_prefixes(["sex=1", "age=2"]) == ["sex=1", "age=2"]  # too far apart to fix
    # the "=" read as a dash, in every name or some
    assert agree_prefixes(["strata-Atezolizumab", "strata-Docetaxel"]) == [
        "strata=Atezolizumab", "strata=Docetaxel"]
    assert agree_prefixes(["arm=A", "arm-B"]) == ["arm=A", "arm=B"]
    # names of their own with a dash are left alone
    assert agree_prefixes(["Anti-PD1", "Anti-CTLA4"]) == ["Anti-PD1", "Anti-CTLA4"]
    assert agree_prefixes(["arm-A", "control"]) == ["arm-A", "control"]


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


def _patterned_key(on: int, off: int) -> np.ndarray:
    """A black key of ``on`` pixels inked, ``off`` blank, from x = 60 to 110 at y = 30."""
    img = np.full((60, 300, 3), 255, np.uint8)
    for x in range(60, 110, on + off):
        cv2.line(img, (x, 30), (min(x + on - 1, 110), 30), (0, 0, 0), 2)
    return img


def test_key_fill_ranks_solid_dashed_and_dotted_keys():
    fills = [find_key(_patterned_key(on, off), 120, 30, 20).fill
             for on, off in ((60, 0), (9, 4), (2, 4))]
    assert fills[0] > 0.95 and fills[0] > fills[1] + 0.15 > fills[2] + 0.3


def test_a_key_as_faint_as_its_washed_out_curve_is_found_if_coloured():
    """Blurred, compressed figures wash keys out with their curves: a pale salmon key (about
    50 off the paper) is a key; a pale grey line there is not taken (a frame or rule as often)."""
    img = np.full((60, 300, 3), 255, np.uint8)
    cv2.line(img, (60, 30), (110, 30), (240, 222, 218), 2)
    img[22:38, 125:180] = 20  # the entry's text
    key = find_key(img, 124, 30, 20)
    assert key is not None and key.style == "solid" and 105 <= key.x_right <= 113
    assert key.colour[0] > key.colour[2] + 12  # its colour, for the pairing
    grey = img.copy()
    cv2.line(grey, (60, 30), (110, 30), (228, 228, 228), 2)
    assert find_key(grey, 124, 30, 20) is None


def test_a_letter_stroke_in_the_text_box_is_not_part_of_the_key():
    # a "G" has a bar at mid height: within the word's box, further from the key than its
    # dashes are apart, it must not stretch the key (read then as dashed, its fill too low)
    img = _patterned_key(60, 0)
    cv2.line(img, (118, 30), (125, 30), (0, 0, 0), 2)
    key = find_key(img, 117, 30, 20)
    assert key.style == "solid" and key.fill > 0.95 and key.x_right <= 112


def test_keys_go_to_black_arms_by_how_open_their_patterns_are():
    # style names misread ("dotted" for dashed, "solid" for a blurred dash pattern), the
    # order of openness holds: the fullest key to the solid curve, the emptiest to the dots
    arms = [replace(arm((0, 0, 0), "solid"), gap_share=0.0),
            replace(arm((0, 0, 0), "dotted"), gap_share=0.14),
            replace(arm((0, 0, 0), "dotted"), gap_share=0.08)]
    assert by_look([0.97, 0.91, 0.57], None, arms) == [0, 2, 1]
    # arms of one solid style, or keys alike, tell nothing
    flat = [replace(a, gap_share=0.01) for a in arms]
    assert by_look([0.97, 0.91, 0.57], None, flat) is None
    assert by_look([0.97, 0.96, 0.95], None, arms) is None
    assert by_look([0.97, float("nan"), 0.57], None, arms) is None


def test_grey_keys_go_to_arms_by_shade_and_dash_pattern_together():
    # solid black, dashed dark grey, dotted light grey and dash-dot light grey: the dashed and
    # dash-dot keys fill alike (0.76), the dash-dot and dotted arms are alike in shade; each is
    # told apart by the other measure. Keys read paler than their curves (thin, anti-aliased).
    arms = [replace(arm((0, 0, 0), "dotted"), gap_share=0.64, shade=140.0),
            replace(arm((0, 0, 0), "solid"), gap_share=0.05, shade=0.0),
            replace(arm((0, 0, 0), "dashed"), gap_share=0.38, shade=179.0),
            replace(arm((0, 0, 0), "dashed"), gap_share=0.30, shade=89.0)]
    fills, shades = [0.99, 0.76, 0.46, 0.76], [33.0, 138.0, 157.0, 179.0]
    assert by_look(fills, shades, arms) == [1, 3, 0, 2]
    # by the dash pattern alone the two keys that fill alike cannot be told apart
    assert by_look(fills, None, arms) is None
    # shades that do not spread (one black, anti-aliased) tell nothing
    black = [replace(a, shade=s) for a, s in zip(arms, (10.0, 0.0, 20.0, 5.0))]
    assert by_look(fills, shades, black) is None
    assert by_look(fills, [float("nan")] * 4, arms) is None


def test_line_shade_is_the_lines_own_grey_where_darker_lines_cross_it():
    from kmipd.digitize.curves.shade import line_shade

    grey = np.full((100, 300), 255.0)
    grey[49:52, 20:280] = 179.0  # a light grey line at y = 50
    for x in range(30, 280, 12):  # crossed by darker lines every 12 px, 3 px wide
        grey[:, x:x + 3] = 40.0
    steps = np.array([[20.0, 50.0], [280.0, 50.0]])
    assert line_shade(grey, steps) == pytest.approx(179.0, abs=6)


def test_keys_go_to_arms_by_hue_when_one_arm_carries_its_bands_pale_mix():
    # the green arm traced through its confidence band reads as the band's pale green, the
    # dotted blue key reads paler than its curve: by plain RGB distance the pale blue key is
    # nearer the pale green arm (79) than its own blue one (83), and the two swapped names.
    # Along the mixing ray with the paper each key is a shade of its own arm's hue.
    arms = [arm((214, 122, 123)), arm((106, 148, 210), "dotted"), arm((163, 249, 195))]
    keys = [(221, 127, 129), (76, 150, 103), (151, 164, 222)]
    assign, basis = match_to_arms(["Arm A", "Arm B", "Arm C"], keys, arms, [""] * 3)
    assert basis == "colour" and assign == [0, 2, 1]


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
    colour, style, end, _ = swallowed_key(img, word, word.height)
    assert np.abs(np.subtract(colour, (40, 40, 220))).max() < 40 and style == "solid"
    assert end <= start
    assert swallowed_key(img, OcrWord("Arm", 0.9, 118, 12, 170, 46), 34) is None


def test_key_with_a_censor_mark_swallowed_by_the_ocr_box_is_found_before_the_letters():
    """A key drawn "-+-" (the arm's censor mark on it): the mark's stem is no letter."""
    img = _key_image("solid", (200, 160, 20))
    cv2.line(img, (85, 22), (85, 38), (200, 160, 20), 2)
    word = OcrWord("Arm", 0.9, 58, 12, 170, 46)
    start = text_start(img, word)
    assert 110 <= start <= 124
    colour, style, end, _ = swallowed_key(img, word, word.height)
    assert np.abs(np.subtract(colour, (200, 160, 20))).max() < 40 and end <= start


def _three_entry_legend() -> np.ndarray:
    """A plot box with a legend of three coloured keys inside it, top right."""
    img = np.full((330, 520, 3), 255, np.uint8)
    cv2.line(img, (50, 10), (50, 300), (0, 0, 0), 2)
    cv2.line(img, (50, 300), (500, 300), (0, 0, 0), 2)
    for k, (name, colour) in enumerate([("Placebo", (220, 40, 40)), ("Low dose", (40, 160, 60)),
                                        ("High dose", (40, 60, 220))]):
        y = 40 + 32 * k
        cv2.line(img, (320, y), (360, y), colour, 3)
        cv2.putText(img, name, (370, y + 8), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    return img


def test_the_legend_counts_its_keyed_entries_also_of_arms_not_traced():
    """Three keyed entries, two arms traced: the third key's colour is no arm's, yet it is an
    entry (of the arm the tracing missed), so the count says an arm is missing."""
    from kmipd.digitize.legend.read import read_legend_reading
    from kmipd.digitize.plausibility import check_arm_count
    from kmipd.digitize.text.ocr import read_words

    img = _three_entry_legend()
    words = read_words(img)
    both = read_legend_reading(img, BOX, [arm((220, 40, 40)), arm((40, 60, 220))], words)
    assert both.names == ["Placebo", "High dose"] and both.keyed_entries == 3
    assert [d.code for d in check_arm_count(2, None, both.names, both.keyed_entries)] == ["arm_count"]
    every = read_legend_reading(img, BOX, [arm((220, 40, 40)), arm((40, 160, 60)), arm((40, 60, 220))],
                                words)
    assert every.keyed_entries == 3
    assert check_arm_count(3, None, every.names, every.keyed_entries) == []


def test_a_key_read_as_a_word_splits_a_one_line_legend_and_a_conjunction_does_not():
    """ "Low -+- High": the OCR read the second key (a line with a censor '+') as a word."""
    from kmipd.digitize.legend.entry import split_at_keys

    img = np.full((60, 420, 3), 255, np.uint8)
    cv2.putText(img, "Low", (20, 38), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    cv2.line(img, (80, 30), (130, 30), (30, 160, 200), 3)
    cv2.line(img, (105, 22), (105, 38), (30, 160, 200), 2)
    cv2.putText(img, "High", (140, 38), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    cv2.putText(img, "+", (220, 38), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    cv2.putText(img, "RT", (245, 38), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    low, key, high = (OcrWord("Low", 0.99, 18, 16, 66, 40), OcrWord("-+-", 0.8, 78, 16, 132, 40),
                      OcrWord("High", 0.99, 138, 16, 200, 40))
    plus, rt = OcrWord("+", 0.99, 219, 16, 236, 40), OcrWord("RT", 0.99, 244, 16, 280, 40)
    assert [[w.text for w in e] for e in split_at_keys(img, [[low, key, high]])] == [["Low"], ["High"]]
    assert [[w.text for w in e] for e in split_at_keys(img, [[high, plus, rt]])] == [["High", "+", "RT"]]


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


@pytest.mark.parametrize("names, mended", [
    (["Stage I", "Stage III", "II"], ["Stage I", "Stage III", "Stage II"]),  # seed 2026 fig 254
    (["1 Group 1", "Group 3", "Group 2"], ["Group 1", "Group 3", "Group 2"]),  # a key read "1"
    (["Low", "High", "II"], ["Low", "High", "II"]),  # no siblings to agree with
    (["Stage I", "Stage II", "I"], ["Stage I", "Stage II", "I"]),  # would name two arms alike
    (["Arm A", "Arm B", "Dose 2", "Dose 3"], ["Arm A", "Arm B", "Dose 2", "Dose 3"]),
    # a thin last glyph dropped by the OCR: the one mark missing from the run
    (["Group 4", "Group", "Group 2", "Group 1"], ["Group 4", "Group 3", "Group 2", "Group 1"]),
    (["Group 2", "Group"], ["Group 2", "Group 1"]),  # seed 2026 fig 274
    (["Stage II", "Stage III", "Stage"], ["Stage II", "Stage III", "Stage I"]),
    (["Group", "Group"], ["Group", "Group"]),  # two lost: nothing tells which is which
    (["Group", "Group 2", "Group 5"], ["Group", "Group 2", "Group 5"]),  # no run to complete
])
def test_siblings_agree_on_their_shared_words(names, mended):
    from kmipd.digitize.legend.text import sibling_words

    assert sibling_words(names) == mended


def test_keys_with_markers_in_a_tight_legend_under_a_title():
    # seed 2026 figure 224: a legend outside the plot, titled "Arm", its entries one text
    # height apart with a circle on each short key. The circles (half the key's width) are no
    # letter strokes, and the title is no name though the first entry's marker reaches it
    black, red = (0, 0, 0), (220, 60, 90)
    a, b = arm(black), arm(red)
    h = 14.0
    title = _line_words("Arm", 560, 100, h)
    first, second = _line_words("Docetaxel", 545, 116, h), _line_words("Atezolizumab", 545, 132, h)
    image = _painted(title + first + second, black, (300, 700))
    for cy, colour in ((116, black), (132, red)):
        cv2.line(image, (517, cy), (541, cy), colour, 3)
        cv2.circle(image, (529, cy), 7, colour, 2)
    words = title + first + second
    assert read_legend(image, BOX, [a, b], words) == ["Docetaxel", "Atezolizumab"]
    assert read_legend(image, BOX, [b, a], words) == ["Atezolizumab", "Docetaxel"]


def test_a_title_centred_over_the_entries_heads_them():
    from kmipd.digitize.legend.entry import _heads

    title, first = _line_words("Arm", 560, 100), _line_words("Docetaxel", 545, 116)
    below = _line_words("Placebo", 545, 132)
    assert _heads(title[0], [title, first, below], 14.0)
    # an arm named "Treatment" among the entries, aligned with them, heads nothing
    treatment = _line_words("Treatment", 545, 100)
    assert not _heads(treatment[0], [treatment, first, below], 14.0)


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


@pytest.mark.parametrize("names", [("1992-2004", "2005-2009"), ("<65", "≥65"), ("No", "Yes"),
                                   ("rx=Stage I", "rx=Stage II")])
def test_period_and_threshold_names_beside_a_key(tmp_path, names):
    # a calendar period or an age threshold looks like a number, and "No" like the start of
    # "No. at risk", yet with a key each is a name
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


# --- issue 13 item 4: names from legends, curve ends and table rows; never from statistics -----

def _word(text, x0, cy, h=14.0, score=0.99):
    """An OCR word ``text`` starting at ``x0`` centred on ``cy`` (0.55 h per character)."""
    return OcrWord(text, score, x0, cy - h / 2, x0 + 0.55 * h * len(text), cy + h / 2)


def _line_words(text, x0, cy, h=14.0):
    """The words of a line of text, a word space (0.35 h) apart."""
    out = []
    for part in text.split():
        out.append(_word(part, x0, cy, h))
        x0 = out[-1].x1 + 0.35 * h
    return out


def _painted(words, colour, size=(420, 640)):
    """A white image with each word's box holding a few strokes of ink in ``colour``."""
    img = np.full((*size, 3), 255, np.uint8)
    for w in words:
        y0, y1 = int(w.y0) + 3, int(w.y1) - 3
        for x in range(int(w.x0) + 2, int(w.x1) - 1, 4):
            img[y0:y1, x:x + 2] = colour
    return img


def _traced(points, colour=(0, 0, 0), style="solid"):
    return ArmTrace(colour=colour, line_style=style, steps_px=np.asarray(points, float), name="")


def _ending_apart():
    """Two black curves, the lower ending at (430, 220) and the higher at (470, 90)."""
    return (_traced([(50, 10), (200, 10), (200, 220), (430, 220)]),
            _traced([(50, 10), (300, 10), (300, 90), (470, 90)]))


def test_curve_end_labels_name_their_curves_by_place():
    # black labels on black curves: neither key nor colour tells, only where each label stands
    low, high = _ending_apart()
    words = _line_words("Nivolumab + ipilimumab (n=365)", 475, 91) + _line_words("Placebo", 436, 219)
    image = _painted(words, (0, 0, 0))
    assert read_legend(image, BOX, [low, high], words) == ["Placebo", "Nivolumab + ipilimumab"]
    assert read_legend(image, BOX, [high, low], words) == ["Nivolumab + ipilimumab", "Placebo"]


def test_a_curve_end_read_as_a_glyph_glued_to_its_label_is_not_part_of_the_name():
    # labels printed tight against their curves' ends: the last step's corner is read as "L",
    # the last drop as "1" ("LPlacebo", "1Nivolumab": seed 2026 figures 186 and 253)
    low, high = _ending_apart()
    words = _line_words("1Nivolumab + ipilimumab", 468, 91) + _line_words("LPlacebo", 428, 219)
    image = _painted(words, (0, 0, 0))
    assert read_legend(image, BOX, [low, high], words) == ["Placebo", "Nivolumab + ipilimumab"]
    # a name that begins so away from any curve's end keeps its letter ("HLA-B27" mid-plot)
    far = _line_words("LPlacebo", 300, 300)
    assert without_end_glyph("LPlacebo", far, [low, high]) == "LPlacebo"
    assert without_end_glyph("Low", _line_words("Low", 428, 219), [low, high]) == "Low"
    # a label in its arm's colour traced as the curve's last stretch: the end lies inside it,
    # and a censor mark at the real end was read as "H" (seed 2026 figure 84)
    into = _line_words("HLow (n=157)", 400, 219)
    assert into[0].x0 < 430 < into[-1].x1
    assert without_end_glyph("HLow", into, [low, high]) == "Low"


def test_curve_end_label_also_when_its_text_was_traced_as_the_curve():
    # a label in the arm's colour continues the curve: the trace may run into the label
    red, blue = (200, 30, 30), (30, 30, 200)
    a = _traced([(50, 10), (200, 10), (200, 120), (412, 120)], red)
    b = _traced([(50, 10), (250, 10), (250, 200), (440, 200)], blue)
    wa, wb = _line_words("Drug (n=120)", 380, 121), _line_words("Control", 440, 200)
    image = np.minimum(_painted(wa, red), _painted(wb, blue))
    assert read_legend(image, BOX, [a, b], wa + wb) == ["Drug", "Control"]


@pytest.mark.parametrize("title", ["No. at risk", "at rizk", "Number at ri5k"])
def test_the_table_title_misread_is_no_name(title):
    # a tiny "No. at risk" read "at rizk" named an arm of seed 2026 figure 163
    from kmipd.digitize.legend.entry import name_words

    assert name_words(_line_words(title, 100, 300), BOX) is None


def test_statistics_and_axis_title_are_never_names():
    # a single red arm; the annotation, a glued p-value and the x axis title printed in red
    red = (200, 30, 30)
    one = _traced([(50, 10), (200, 10), (200, 150), (480, 150)], red)
    texts = [("HR 0.72 (95% CI 0.55-0.94); p = 0.012", 60, 250),
             ("LopheekP = 0.189", 60, 270), ("Apm= 0.012", 300, 230),
             ("Cl), months 14.9 (8.7 to 17.3)", 300, 60)]
    words = [w for t, x, y in texts for w in _line_words(t, x, y)]
    title = _line_words("Time (months)", 230, 335)
    image = _painted(words + title, red)
    image[333:337, 190:222] = (120, 120, 120)  # a grey stroke left of the title, like a key
    assert read_legend(image, BOX, [one], words + title) == [""]
    assert x_axis_title(title + _line_words("0 12 24", 60, 312), BOX) == {id(w) for w in title}


def test_names_only_in_the_table_rows_go_to_the_curves_their_counts_follow():
    # no legend, black labels, black arms: the counts tell which row is which curve
    mapping = AxisMapping(x=AxisCalibration(0.1, -5.0), y=AxisCalibration(-1 / 290, 300 / 290))
    xs = [60, 210, 360]
    steep = _traced([(50, 10), (100, 10), (100, 150), (300, 150), (300, 250), (480, 250)])
    flat = _traced([(50, 10), (150, 10), (150, 40), (480, 40)])
    words = []
    for label, counts, cy in (("Placebo", (100, 51, 14), 340), ("Drug", (100, 88, 80), 360)):
        words += [_word(label, 2, cy)] + [_word(str(n), x - 10, cy) for n, x in zip(counts, xs)]
    image = _painted(words, (0, 0, 0))
    names = read_legend(image, BOX, [flat, steep], words, mapping=mapping)
    assert names == ["Drug", "Placebo"]


def test_entries_keep_a_plus_inside_a_name():
    from kmipd.digitize.legend.entries import join_words, legend_entries

    words = _line_words("Surgery + RT", 60, 40)
    assert [[w.text for w in e] for e in legend_entries(words)] == [["Surgery", "+", "RT"]]
    # word boxes come from the recogniser's character positions: a narrow gap is still a space
    low_res = [OcrWord("Hormonal", 0.9, 165, 11, 212, 29), OcrWord("therapy", 0.9, 213, 11, 248, 29)]
    assert join_words(low_res) == "Hormonal therapy"
    # a "+" key before the text still separates it
    key = [OcrWord("+", 0.9, 10, 10, 40, 24)] + _line_words("Arm A", 60, 17)
    assert [[w.text for w in e] for e in legend_entries(key)] == [["Arm", "A"]]


def test_entries_of_a_legend_in_a_row_split_at_marked_keys_and_repeated_variables():
    from kmipd.digitize.legend.entries import legend_entries

    # a key with a censor mark read as a word ("=0=", "·0*") between entries set close
    row = [OcrWord("=0=", 0.6, 153, 19, 171, 34), OcrWord("PD-L1", 0.97, 176, 19, 200, 34),
           OcrWord("1-49%", 0.97, 203, 19, 221, 34), OcrWord("·0*", 0.6, 226, 19, 238, 34),
           OcrWord("PD-L1>=50%", 0.7, 242, 19, 290, 34)]
    assert [[w.text for w in e] for e in legend_entries(row)] == [["PD-L1", "1-49%"], ["PD-L1>=50%"]]
    # survminer's entries in a row, the keys between them not read: each starts with "arm="
    row = [OcrWord("arm=Q1", 0.9, 100, 10, 140, 24), OcrWord("arm=Q2", 0.9, 146, 10, 186, 24)]
    assert [[w.text for w in e] for e in legend_entries(row)] == [["arm=Q1"], ["arm=Q2"]]
    # a "-+-" key read as a "1" three times as wide as tall
    row = [OcrWord("PD-L1", 0.9, 99, 24, 150, 46), OcrWord("1", 0.9, 160, 31, 193, 42),
           OcrWord("Drug", 0.9, 200, 24, 240, 46)]
    assert [[w.text for w in e] for e in legend_entries(row)] == [["PD-L1"], ["Drug"]]
    # a count and a name with a dash are words of an entry, not keys
    row = [OcrWord("Anti-PD1", 0.9, 100, 10, 140, 24), OcrWord("0", 0.9, 146, 10, 152, 24)]
    assert [[w.text for w in e] for e in legend_entries(row)] == [["Anti-PD1", "0"]]


def test_legend_entry_without_a_recognised_key_names_the_one_arm_left():
    red, blue = (200, 30, 30), (30, 30, 200)
    drug, placebo = _line_words("Drug", 400, 40), _line_words("Placebo", 400, 62)
    image = _painted(drug + placebo, (0, 0, 0))
    image[39:42, 360:392] = red  # Drug's key; Placebo's is too faint to be seen
    arms = [_traced([(50, 10), (480, 200)], blue), _traced([(50, 10), (480, 120)], red)]
    assert read_legend(image, BOX, arms, drug + placebo) == ["Placebo", "Drug"]


def test_curve_end_labels_in_their_arms_colours_go_by_colour():
    # curves ending close together, their coloured labels spread apart in the other order (as
    # ggplot's direct labels do): the top label names the lower curve, and says so by its ink
    red, blue = (220, 40, 40), (40, 40, 220)
    a = _traced([(50, 10), (200, 10), (200, 200), (430, 200)], red)
    b = _traced([(50, 10), (250, 10), (250, 207), (430, 207)], blue)
    wb, wa = _line_words("Very high", 436, 190), _line_words("Low", 436, 217)
    image = np.minimum(_painted(wa, red), _painted(wb, blue))
    for arm_, y in ((a, 200), (b, 207)):
        image[y - 1:y + 2, 200:431] = arm_.colour
    assert read_legend(image, BOX, [a, b], wa + wb) == ["Low", "Very high"]
    assert read_legend(image, BOX, [b, a], wa + wb) == ["Very high", "Low"]


def test_a_black_mark_inside_the_word_box_is_not_the_key_of_a_coloured_entry(tmp_path):
    # randomised figure 80 of seed 11: a serif legend at 196 dpi whose names start "rx=". The
    # short letters "rx" make the box look as if it swallowed a key, and the "=" looks like a
    # dashed black one; in a coloured figure the entry's key is the coloured line left of it
    import numpy as np

    from kmipd.digitize import digitize
    from kmipd.testing.random_figures import draw_look, render_random_figure, simulate_trial

    rng = np.random.default_rng([11, 80])
    trial, look = simulate_trial(rng), draw_look(rng)
    fig = render_random_figure(trial, look, tmp_path / "fig.png")
    dig = digitize(fig.path)
    assert sorted(n.replace(" ", "") for n in dig.legend) == sorted(n.replace(" ", "") for n in fig.arms)


# --- labels at the curves' ends that the whole-image OCR missed or misread ----------------------

def test_censor_marks_read_into_a_label_are_split_off():
    from kmipd.digitize.text.ocr import is_marks, split_lead_marks

    marks, label = split_lead_marks(OcrWord("i--++-Q2", 0.84, 930, 613, 1039, 641))
    assert (marks.text, label.text) == ("i--++-", "Q2")
    assert marks.x1 == label.x0 and 990 < label.x0 < 1010 and label.x1 == 1039
    assert [w.text for w in split_lead_marks(OcrWord("7HHHGroup", 0.9, 0, 0, 90, 20))] == ["7HHH", "Group"]
    for name in ("T-cell", "Group 1", "HER2+", "IIIB", "-+-"):  # names, or a key read as a word
        assert [w.text for w in split_lead_marks(OcrWord(name, 0.9, 0, 0, 50, 20))] == [name]
    assert is_marks("i--++-") and is_marks("T++") and is_marks("HHH") and is_marks("t---")
    assert is_marks("H+") and not is_marks("T-") and not is_marks("A+")
    assert not any(is_marks(t) for t in ("--", "+", "Total", "II", "HER2"))


def test_text_start_sees_pale_letters_a_frame_line_crosses():
    # a salmon label at a curve's end, the plot's black frame running through its box
    img = np.full((60, 260, 3), 255, np.uint8)
    cv2.putText(img, "Surgery", (40, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (249, 144, 136), 1, cv2.LINE_AA)
    img[:, 120:123] = 0
    word = OcrWord("Surgery", 0.99, 38, 18, 150, 46)
    assert 38 <= text_start(img, word) <= 44
    # a pale key's marker in the box is not the letters' start (dark text after a blue key)
    img = np.full((60, 260, 3), 255, np.uint8)
    cv2.line(img, (20, 30), (60, 30), (185, 207, 225), 2)
    cv2.circle(img, (40, 30), 5, (120, 170, 230), 1, cv2.LINE_AA)
    cv2.putText(img, "Mutant", (75, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (60, 60, 60), 2, cv2.LINE_AA)
    assert 72 <= text_start(img, OcrWord("Mutant", 0.99, 18, 18, 180, 46)) <= 80


def test_a_grey_label_goes_to_the_grey_arm_beside_coloured_ones():
    arms = [arm((135, 135, 135)), arm((220, 195, 58)), arm((33, 103, 150)), arm((171, 93, 92))]
    labels = [(180, 122, 121), (43, 102, 148), (211, 186, 88), (135, 135, 135)]
    assert match_to_arms(["d", "a", "b", "c"], labels, arms, [""] * 4) == ([3, 2, 1, 0], "colour")
    # black text is any label's colour: it does not pin the grey arm
    black = [*labels[:3], (30, 30, 30)]
    assert match_to_arms(["d", "a", "b", "c"], black, arms, [""] * 4)[1] == "order"


def test_curve_end_labels_the_whole_image_ocr_missed_are_read_again():
    """Labels right of the curves' ends that the first OCR pass did not return (small text over
    a confidence band): their region is read again, a rule through it painted out."""
    from kmipd.digitize.legend.read import read_legend_reading

    red, blue = (200, 40, 40), (40, 60, 200)
    img = np.full((330, 640, 3), 255, np.uint8)
    a = _traced([(50, 10), (200, 10), (200, 120), (430, 120)], red)
    b = _traced([(50, 10), (260, 10), (260, 200), (430, 200)], blue)
    for trace in (a, b):
        pts = trace.steps_px.astype(int)
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            cv2.line(img, (x0, y0), (x1, y1), trace.colour, 2)
    cv2.putText(img, "Control", (438, 127), cv2.FONT_HERSHEY_SIMPLEX, 0.6, red, 1, cv2.LINE_AA)
    cv2.putText(img, "Experimental", (438, 207), cv2.FONT_HERSHEY_SIMPLEX, 0.6, blue, 1, cv2.LINE_AA)
    img[:, 500:502] = 0  # the plot's frame runs through the longer label
    ticks = [_word(t, 10, y) for t, y in (("1.0", 10), ("0.5", 155), ("0", 300))]
    assert read_legend_reading(img, BOX, [a, b], ticks).names == ["Control", "Experimental"]
    assert read_legend_reading(img, BOX, [b, a], ticks).names == ["Experimental", "Control"]


def test_a_grey_keyed_entry_among_the_legend_counts_as_an_arm_missed():
    """A pale grey dotted arm the tracing missed: its grey key, stacked with the coloured keyed
    entries, is a legend entry; a lone grey line beside text is not (a rule)."""
    from kmipd.digitize.arm_count import arms_the_legend_asks_for
    from kmipd.digitize.legend.read import read_legend_reading
    from kmipd.digitize.text.ocr import read_words

    img = np.full((330, 520, 3), 255, np.uint8)
    for k, (name, colour) in enumerate([("Group 1", (30, 110, 200)), ("Group 2", (210, 170, 20)),
                                        ("Group 3", (150, 150, 150))]):
        y = 40 + 32 * k
        cv2.line(img, (320, y), (360, y), colour, 3)
        cv2.putText(img, name, (370, y + 8), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    words = read_words(img)
    reading = read_legend_reading(img, BOX, [arm((30, 110, 200)), arm((210, 170, 20))], words)
    assert reading.names == ["Group 1", "Group 2"] and reading.keyed_entries == 3
    assert arms_the_legend_asks_for(2, reading.keyed_entries) == 3
    assert arms_the_legend_asks_for(3, 3) is None and arms_the_legend_asks_for(2, 9) is None
    # with an at-risk table: only when its rows count the same arms as the legend's keys
    assert arms_the_legend_asks_for(3, 4, table_rows=4) == 4
    assert arms_the_legend_asks_for(3, 4, table_rows=3) is None
    alone = np.full((330, 520, 3), 255, np.uint8)
    cv2.line(alone, (320, 104), (360, 104), (150, 150, 150), 3)
    cv2.putText(alone, "Group 3", (370, 112), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    lone = read_legend_reading(alone, BOX, [arm((30, 110, 200)), arm((210, 170, 20))], read_words(alone))
    assert lone.keyed_entries == 0
    # a legend's title over the entries, a grey stroke (its frame) left of it: no entry
    titled = img.copy()
    titled[96:116] = 255
    cv2.line(titled, (320, 14), (360, 14), (150, 150, 150), 3)
    cv2.putText(titled, "Treatment", (370, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 0), 2, cv2.LINE_AA)
    two = read_legend_reading(titled, BOX, [arm((30, 110, 200)), arm((210, 170, 20))], read_words(titled))
    assert two.names == ["Group 1", "Group 2"] and two.keyed_entries == 2


def test_a_label_at_no_traced_end_counts_a_curve_missed():
    from kmipd.digitize.legend.ends import unmatched_end_labels

    a = _traced([(50, 10), (200, 10), (200, 100), (430, 100)])
    b = _traced([(50, 10), (250, 10), (250, 180), (430, 180)])
    words = [_line_words("Group 1", 436, 100), _line_words("Group 2", 436, 180),
             _line_words("Group 3", 436, 240)]  # set in line with the others, at no traced end
    image = _painted([w for e in words for w in e], (0, 0, 0))
    texts = ["Group 1", "Group 2", "Group 3"]
    assert unmatched_end_labels(words, texts, [a, b], BOX, image) == 1
    assert unmatched_end_labels(words[:2], texts[:2], [a, b], BOX, image) == 0
    # a pale blue label elsewhere among them, in no traced arm's colour, also names a missed curve
    blue = [_line_words("Q3", 448, 60)]
    image = np.minimum(image, _painted(blue[0], (120, 160, 235)))
    assert unmatched_end_labels(words[:2] + blue, texts[:2] + ["Q3"], [a, b], BOX, image) == 1
    # without labels at the traced ends the figure labels no curve ends
    assert unmatched_end_labels(blue, ["Q3"], [a, b], BOX, image) == 0


def test_a_comparison_starting_a_name_is_not_a_swallowed_key():
    # "PD-L1 >=50%": the OCR box starts with ">=", whose strokes look like a dashed key
    img = np.full((60, 300, 3), 255, np.uint8)
    cv2.polylines(img, [np.array([(22, 27), (30, 31), (22, 35)])], False, (0, 0, 0), 1, cv2.LINE_AA)
    cv2.line(img, (34, 29), (46, 29), (0, 0, 0), 1)  # the "=", short and flat like a dash
    cv2.line(img, (34, 34), (46, 34), (0, 0, 0), 1)
    cv2.putText(img, "50%", (52, 42), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (0, 0, 0), 2, cv2.LINE_AA)
    word = OcrWord(">=50%", 0.99, 18, 18, 130, 46)
    assert text_start(img, word) >= 50  # the letters start at the digits
    assert swallowed_key(img, word, 28.0) is None


def test_stacked_entries_are_one_legend_when_one_box_took_in_its_key():
    from kmipd.digitize.legend.pick import keyed_legend_size

    # the OCR box of "Control" starts at its (solid) key, "Experimental"'s after its dashed one
    control = [OcrWord("Control", 0.97, 500, 181, 597, 201)]
    experimental = [OcrWord("Experimental", 0.9, 545, 202, 628, 220)]
    found = [("Control", (44, 44, 44), "solid", True, 0, control, 1.0),
             ("Experimental", (82, 82, 82), "dashed", True, 1, experimental, 0.7)]
    assert keyed_legend_size(found) == 2
    # a keyed line far below (an annotation's rule beside text) stays apart
    far = [OcrWord("Note", 0.9, 545, 290, 600, 308)]
    assert keyed_legend_size([found[0], ("Note", (0, 0, 0), "solid", True, 2, far, 1.0)]) == 1


def test_roman_numerals_are_names_not_vertical_text():
    from kmipd.digitize.legend.entries import legend_entries
    from kmipd.digitize.legend.text import roman_siblings

    # "III" printed upright is taller than wide, like a rotated axis title: it stays
    words = [OcrWord("Stage", 1.0, 495, 207, 523, 226), OcrWord("III", 1.0, 525, 206, 532, 225),
             OcrWord("Survival", 1.0, 10, 100, 28, 200)]
    assert [[w.text for w in e] for e in legend_entries(words)] == [["Stage", "III"]]
    # one upright stroke read as a digit or a mark beside Roman numerals is "I"
    assert roman_siblings(["Stage 1", "Stage II", "Stage III"]) == ["Stage I", "Stage II", "Stage III"]
    assert roman_siblings(["Stage II", "Stage !"]) == ["Stage II", "Stage I"]
    assert roman_siblings(["Group 1", "Group 2"]) == ["Group 1", "Group 2"]


def test_a_glyph_the_ocr_box_cut_off_is_found_from_the_ink():
    from kmipd.digitize.legend.text import clipped_end

    img = np.full((60, 300, 3), 255, np.uint8)
    cv2.putText(img, "Arm D", (40, 40), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (90, 90, 90), 2, cv2.LINE_AA)
    ink_x = np.flatnonzero(img[20:42].min(axis=(0, 2)) < 200)
    # a box that ends inside the "D": the ink goes on to the D's right edge
    end = clipped_end(img, OcrWord("Arm", 1.0, 38, 20, ink_x[-1] - 8, 42))
    assert end is not None and abs(end - (ink_x[-1] + 1)) <= 2
    # a box that holds the whole text ends on paper
    assert clipped_end(img, OcrWord("Arm D", 1.0, 38, 20, ink_x[-1] + 3, 42)) is None
    # a line running on from the box (a key, a curve) is not a glyph
    cv2.line(img, (ink_x[-1] + 1, 31), (ink_x[-1] + 80, 31), (90, 90, 90), 2)
    assert clipped_end(img, OcrWord("Arm D", 1.0, 38, 20, ink_x[-1] - 1, 42)) is None


def test_one_row_without_its_colour_takes_the_arm_the_coloured_rows_leave():
    # a table's row label read with a stray box (dark grey) beside two rows in their arms'
    # colours: the coloured rows are placed by colour and the third takes the arm left, rather
    # than all three going by the order of the rows
    arms = [arm((245, 76, 7)), arm((38, 161, 226)), arm((222, 180, 0))]
    rows = [(231, 184, 0), (69, 69, 69), (252, 78, 7)]
    assert match_to_arms(["", "24", ""], rows, arms, [""] * 3) == ([2, 1, 0], "colour")
    # two rows without a colour: nothing to eliminate from
    assert match_to_arms(["", "", ""], [rows[0], (69, 69, 69), None], arms, [""] * 3)[1] == "order"


def test_a_name_read_for_two_arms_is_left_to_the_table():
    from kmipd.digitize.legend.read import _read_twice_unnamed

    assert _read_twice_unnamed(["Stage II", "Stage II", "Stage III"]) == ["", "", "Stage III"]
    assert _read_twice_unnamed(["arm=A", "A", "B"]) == ["", "", "B"]  # same after the prefix
    assert _read_twice_unnamed(["A", "B", ""]) == ["A", "B", ""]


def test_a_reread_right_of_a_key_keeps_the_letters_the_ocr_read_with_certainty():
    from kmipd.digitize.legend.entry import _cut_letters

    assert _cut_letters("arm=Nivolumab", 0.99, "olumab")  # "arm=Niv" taken for the key
    assert not _cut_letters("—Hybrid", 0.99, "Hybrid")  # the key read as a dash
    assert not _cut_letters("IPlacebo", 0.99, "Placebo")  # a "|" marker read as "I"
    assert not _cut_letters("arm=Nivolumab", 0.7, "olumab")  # an unsure first reading
    assert not _cut_letters("Placebo", 0.99, "Placebo")


def test_drawn_keys_pair_by_colour_beside_a_spare_line():
    # a black and a red key; the tracing also took a dark red line (where a red band overlaps
    # a grey one): the spare line narrows the runner-up's margin below a text colour's 100
    arms = [ArmTrace(c, "solid", np.zeros((0, 2))) for c in [(229, 78, 109), (1, 0, 0), (87, 32, 36)]]
    keys = [(1, 1, 1), (227, 83, 110)]
    assert match_to_arms(["PD-L1 <1%", "PD-L1 1-49%"], keys, arms, [""] * 3, keyed=True) == ([1, 0], "colour")
    # the same colours as the labels' text colour: black text is any label's colour
    assert match_to_arms(["PD-L1 <1%", "PD-L1 1-49%"], keys, arms, [""] * 3)[1] == "order"
