"""Which arm a table row belongs to: abbreviated labels, labels ending in numbers, names the
legend paired with the wrong black curves, counts the curve disputes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from test_table import draw, flat_axes, known_axes, ocr_figure, score, traces

from kmipd.digitize.match.pairing import ABBREVIATION_SIMILARITY, label_similarities
from kmipd.digitize.plausibility import check_table_disputes
from kmipd.digitize.result import ArmTrace
from kmipd.digitize.table.read import read_at_risk_table


@pytest.mark.parametrize("label, names, arm", [
    ("Pem", ["Pembrolizumab", "Chemotherapy"], 0),
    ("Che", ["Pembrolizumab", "Chemotherapy"], 1),
    ("N+i", ["Nivolumab + ipilimumab", "Nivolumab", "Ipilimumab"], 0),
    ("Ipil", ["Nivolumab + ipilimumab", "Nivolumab", "Ipilimumab"], 2),
    ("2", ["Group 1", "Group 2"], 1),
    ("B", ["Arm A", "Arm B"], 1),
    ("RT", ["Surgery", "Surgery + RT"], 1),  # the word that sets it apart, without the "+"
    ("Observation ( n= 36)", ["Sorafenib", "Observation"], 1),  # a size, not "group="
])
def test_an_abbreviated_label_places_its_row(label, names, arm):
    sims = label_similarities(label, names)
    assert sims[arm] >= ABBREVIATION_SIMILARITY
    assert all(s < 0.75 for j, s in enumerate(sims) if j != arm)


@pytest.mark.parametrize("label, names", [
    ("Nivo", ["Nivolumab + ipilimumab", "Nivolumab", "Ipilimumab"]),  # begins both names
    ("Gro", ["Group 1", "Group 2"]),
    ("3", ["Group 1", "Group 2"]),
])
def test_a_short_form_of_several_names_or_none_tells_nothing(label, names):
    assert max(label_similarities(label, names)) < 0.75


@pytest.mark.parametrize("labels, x", [(("rx=Group 1", "rx=Group 2"), 175),
                                       (("PD-L1 <1%", "PD-L1 1-49%"), 175), (("1", "2"), 215)])
def test_a_label_ending_in_a_number_or_percent_stays_whole(labels, x):
    # the label stands close to the first column: its last number (or the label itself, "1"
    # for "Group 1") lies within that column's reach, and "%" there is part of an arm's name,
    # not a row of percentages
    ticks = [0, 10, 20, 30]
    box, mapping, px = flat_axes(ticks, left=260, right=760)
    img = np.full((200, 820, 3), 255, np.uint8)
    a, b = [150, 120, 81, 40], [148, 101, 60, 22]
    items = [(f"{t}", x, 80) for t, x in zip(ticks, px)]
    items += [(labels[0], x, 120), (labels[1], x, 150)]
    items += [(str(n), x, 120) for n, x in zip(a, px)] + [(str(n), x, 150) for n, x in zip(b, px)]
    words = draw(img, items)
    arms = [ArmTrace((0, 0, 0), "solid", np.zeros((0, 2)), name=n) for n in labels]
    reading = read_at_risk_table(img, box, mapping, arms, words)
    assert [r.replace(" ", "") for r in reading.row_labels] == [r.replace(" ", "") for r in labels]
    got = reading.table.pivot(index="time", columns="arm", values="n_at_risk")
    assert got[labels[0]].tolist() == a and got[labels[1]].tolist() == b


@pytest.fixture(scope="module")
def lung(tmp_path_factory):
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.render import render_km_figure

    out = tmp_path_factory.mktemp("pairing")
    fig = render_km_figure(load_ipd("lung"), out / "lung.png", style="colour_plus", x_label="Days")
    image, words = ocr_figure(str(fig.path), 0.55)
    box, mapping = known_axes(image, words, fig.x_ticks)
    return fig, image, words, box, mapping


def test_names_paired_with_the_wrong_black_curves_are_paired_again_by_the_table(lung):
    # black arms named by a legend that paired each name with the other curve: the labelled
    # rows cannot follow their named curves, and the other pairing fits them
    fig, image, words, box, mapping = lung
    arms = traces(fig.curves, fig.arms, [(0, 0, 0)] * 2, ["solid", "dashed"], mapping)
    arms = [replace(a, name=n) for a, n in zip(arms, fig.arms[::-1])]
    reading = read_at_risk_table(image, box, mapping, arms, words)
    assert reading.arm_names == list(fig.arms)
    s = score(reading, fig.at_risk)
    assert s["exact"] == s["cells"], s
    assert any("paired again" in w for w in reading.warnings)


def test_names_on_their_own_curves_are_kept(lung):
    fig, image, words, box, mapping = lung
    arms = traces(fig.curves, fig.arms, [(0, 0, 0)] * 2, ["solid", "dashed"], mapping)
    arms = [replace(a, name=n) for a, n in zip(arms, fig.arms)]
    reading = read_at_risk_table(image, box, mapping, arms, words)
    assert reading.arm_names is None
    assert not [f for f in reading.flags if f.get("disputes_curve")]
    assert check_table_disputes(reading.flags) == []


def test_counts_read_clearly_that_the_curve_disputes_are_kept_and_doubted(lung):
    # coloured arms (paired by colour, not by the table) whose traces were swapped: the counts
    # are right, the curves wrong; the counts stay, and the reading doubts the curves
    fig, image, words, box, mapping = lung
    colours = [(31, 119, 180), (255, 127, 14)]
    arms = traces(fig.curves, fig.arms[::-1], colours, ["solid"] * 2, mapping)
    arms = [replace(a, name=n) for a, n in zip(arms, fig.arms)]
    reading = read_at_risk_table(image, box, mapping, arms, words)
    s = score(reading, fig.at_risk)
    assert s["exact"] == s["cells"], (s, reading.flags)
    disputed = [f for f in reading.flags if f.get("disputes_curve")]
    assert disputed and all(f["action"] == "unsure" for f in disputed)
    doubts = check_table_disputes(reading.flags)
    assert {d.code for d in doubts} == {"table_curve"}
    assert {d.arm for d in doubts} == {f["arm"] for f in disputed}


def test_arms_the_legend_does_not_name_take_their_rows_labels(lung):
    # no legend: the pipeline called the arms "arm1", "arm2"; the rows (placed by the curves
    # their counts follow) name them
    fig, image, words, box, mapping = lung
    arms = traces(fig.curves, fig.arms[::-1], [(0, 0, 0)] * 2, ["solid", "dashed"], mapping)
    arms = [replace(a, name=n) for a, n in zip(arms, ["arm1", "arm2"])]
    reading = read_at_risk_table(image, box, mapping, arms, words, names=["", ""])
    assert reading.arm_names == list(fig.arms[::-1])
    s = score(reading, fig.at_risk)
    assert s["exact"] == s["cells"], s


@pytest.mark.parametrize("label, name", [
    ("Placebo", "Placebo"), ("N+i", "N+i"), ("PD-L1 <1%", "PD-L1 <1%"), ("2±8", ""), ("—", ""),
    ("", ""),
])
def test_which_row_labels_can_name_an_arm(label, name):
    from kmipd.digitize.table.read import _label_as_name

    assert _label_as_name(label) == name


SOLID_COUNTS, DASHED_COUNTS = [150, 120, 81, 40], [148, 101, 60, 22]


def _table_keyed_by_line_samples(arms: list[ArmTrace], dashed_first: bool):
    """A two-row table without names whose rows start with a black line sample, solid or dashed;
    read for ``arms`` (time -> count per arm)."""
    import cv2

    ticks = [0, 10, 20, 30]
    box, mapping, px = flat_axes(ticks, left=200, right=700)
    img = np.full((200, 760, 3), 255, np.uint8)
    rows = [DASHED_COUNTS, SOLID_COUNTS] if dashed_first else [SOLID_COUNTS, DASHED_COUNTS]
    items = [(f"{t}", x, 80) for t, x in zip(ticks, px)]
    items += [(str(n), x, 120) for n, x in zip(rows[0], px)] + [(str(n), x, 150) for n, x in zip(rows[1], px)]
    words = draw(img, items)
    solid_y, dashed_y = (145, 115) if dashed_first else (115, 145)
    cv2.line(img, (120, solid_y), (170, solid_y), (0, 0, 0), 2)
    for x in range(120, 170, 12):
        cv2.line(img, (x, dashed_y), (x + 6, dashed_y), (0, 0, 0), 2)
    reading = read_at_risk_table(img, box, mapping, arms, words, names=["", ""])
    return reading, reading.table.pivot(index="time", columns="arm", values="n_at_risk")


def test_rows_keyed_by_line_samples_go_to_the_arm_of_their_line_style():
    # black arms told apart by dash pattern, no names; each row starts with a sample of its
    # arm's line: the key's style places the row (the arms listed in the other order)
    arms = [ArmTrace((0, 0, 0), "dashed", np.zeros((0, 2)), name="arm1"),
            ArmTrace((0, 0, 0), "solid", np.zeros((0, 2)), name="arm2")]
    reading, got = _table_keyed_by_line_samples(arms, dashed_first=False)
    assert got["arm1"].tolist() == DASHED_COUNTS and got["arm2"].tolist() == SOLID_COUNTS
    assert check_table_disputes(reading.flags) == []


def test_rows_keyed_by_line_samples_follow_the_order_of_openness_when_style_names_differ():
    # the curves' styles were misnamed ("dotted" for a dashed curve crowded with censor ticks):
    # the keys' style names match no arm, the order of their fills still places the rows
    arms = [ArmTrace((0, 0, 0), "solid", np.zeros((0, 2)), name="arm1", gap_share=0.01),
            ArmTrace((0, 0, 0), "dotted", np.zeros((0, 2)), name="arm2", gap_share=0.3)]
    _, got = _table_keyed_by_line_samples(arms, dashed_first=True)
    assert got["arm1"].tolist() == SOLID_COUNTS and got["arm2"].tolist() == DASHED_COUNTS


@pytest.mark.parametrize("labels", [("Sur", "RT"), ("Low", "High")])
def test_a_key_before_a_text_label_places_its_row_and_the_letters_are_no_key(labels):
    # black arms, a line sample before each row's label: the key stands left of the label;
    # the strokes of the label's letters are no key (read there, they are "dashed" alike)
    import cv2

    ticks = [0, 10, 20, 30]
    box, mapping, px = flat_axes(ticks, left=220, right=700)
    img = np.full((200, 760, 3), 255, np.uint8)
    items = [(f"{t}", x, 80) for t, x in zip(ticks, px)]
    items += [(labels[0], 150, 120), (labels[1], 150, 150)]
    items += [(str(n), x, 120) for n, x in zip(SOLID_COUNTS, px)]
    items += [(str(n), x, 150) for n, x in zip(DASHED_COUNTS, px)]
    words = draw(img, items)
    cv2.line(img, (60, 115), (105, 115), (0, 0, 0), 2)
    for x in range(60, 105, 12):
        cv2.line(img, (x, 145), (x + 6, 145), (0, 0, 0), 2)
    arms = [ArmTrace((0, 0, 0), "dashed", np.zeros((0, 2)), name="arm1"),
            ArmTrace((0, 0, 0), "solid", np.zeros((0, 2)), name="arm2")]
    reading = read_at_risk_table(img, box, mapping, arms, words, names=["", ""])
    assert reading.arm_names == [labels[1], labels[0]]
    assert not any("order" in w for w in reading.warnings)


def _counts_and_survival(ipd, times):
    """Each arm's numbers at risk and KM survival at ``times`` (lifelines), arms sorted."""
    from lifelines import KaplanMeierFitter

    counts, surv = [], []
    for _, g in sorted(ipd.groupby("arm"), key=lambda kv: str(kv[0])):
        km = KaplanMeierFitter().fit(g["time"], g["event"])
        counts.append([int((g["time"] >= t).sum()) for t in times])
        surv.append(km.survival_function_at_times(np.maximum(np.asarray(times) - 1e-9, 0)).to_numpy())
    return counts, surv


def test_rows_nothing_else_places_go_where_the_arms_censoring_looks_alike():
    """gbsg2 by hormone therapy: the curves part, and both rows' counts can follow either curve
    (the rules of a risk table do not tell); divided by the right curve, what is left (the
    share not yet censored) runs alike in both arms, by the wrong one it parts."""
    from kmipd.digitize.table.by_curves import by_censoring, match_by_curves
    from kmipd.testing.datasets import load_ipd

    counts, surv = _counts_and_survival(load_ipd("gbsg2"), [0, 500, 1000, 1500, 2000])
    rows = [counts[1], counts[0]]  # printed in the other order
    assert by_censoring(rows, [surv, surv]) == [1, 0]
    assert match_by_curves(rows, [surv, surv], [0, 1]) == ([1, 0], "censoring")
    # two arms with one curve: nothing tells
    assert by_censoring(rows, [[surv[0], surv[0]]] * 2) is None


def test_a_trace_starting_right_of_time_zero_is_at_survival_one_there():
    """The arms often run together along the top, so a trace may start a few pixels right of
    the y axis; just before time 0 every arm is still at survival 1, and later columns read the
    trace (the time-0 column must not say 'unknown', or the rows cannot be told apart)."""
    from test_table import flat_axes

    from kmipd.digitize.table.read import _curve_survival

    box, mapping, px = flat_axes([0, 10, 20, 30])
    x = mapping.x.to_pixel(np.array([0.6, 12.0, 12.0, 25.0, 25.0, 30.0]))
    y = mapping.y_pixel(np.array([0.9, 0.9, 0.6, 0.6, 0.3, 0.3]))
    arm = ArmTrace((0, 0, 0), "solid", np.c_[x, y])
    got = _curve_survival(arm, mapping, np.array([0.0, 10.0, 20.0, 30.0, 40.0]))
    np.testing.assert_allclose(got[:4], [1.0, 0.9, 0.6, 0.3], atol=0.01)
    assert np.isnan(got[4])  # past the trace's end nothing is known


def test_censoring_pairing_needs_a_smaller_margin_where_the_counts_fit_it_best():
    """Two weak signals that agree: the pairing whose counts break the table's rules least,
    and whose share not yet censored then runs most alike. The curves lie close, so the
    censoring alone parts the pairings by less than its margin and would be left a guess."""
    from kmipd.digitize.table.by_curves import CENSORING_MARGIN, _log_uncensored, by_censoring

    surv = [np.array([1.0, 0.90, 0.80, 0.70]), np.array([1.0, 0.87, 0.76, 0.65])]
    kept = np.array([1.0, 0.85, 0.65, 0.45])  # share not yet censored, shared by both arms
    rows = [[round(n * v) for v in s * kept] for n, s in ((200, surv[0]), (180, surv[1]))]

    def spread(perm):
        logs = np.vstack([_log_uncensored(rows[r], surv[a]) for r, a in enumerate(perm)])
        return float(np.mean(np.var(logs[:, 1:], axis=0)))

    assert spread((0, 1)) < 0.5 * spread((1, 0))  # the right pairing is the more alike ...
    assert spread((1, 0)) - spread((0, 1)) < CENSORING_MARGIN  # ... by less than the margin
    assert by_censoring(rows, [surv, surv]) is None
    fits_right = np.array([[0.0, 0.2], [0.2, 0.0]])
    assert by_censoring(rows, [surv, surv], fits=fits_right) == [0, 1]
    # fits that point the other way do not waive the margin
    assert by_censoring(rows, [surv, surv], fits=fits_right[::-1]) is None
