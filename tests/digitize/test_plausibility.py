"""kmipd.digitize.plausibility: each check flags its failed read and leaves a good reading alone;
the doubts make a Digitization unsure, loudly (format, JSON, CLI stderr)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kmipd.digitize import curves_frame
from kmipd.digitize.plausibility import (
    Doubt,
    arm_confidence,
    check_arm_count,
    check_calibration,
    check_curve_ends,
    check_curve_shape,
    check_hops,
    check_names,
    check_plausibility,
    check_stage_failures,
    check_table_disputes,
)
from kmipd.digitize.result import (
    ArmTrace,
    AxisCalibration,
    AxisMapping,
    Digitization,
    PlotBox,
    TickReading,
)

BOX = PlotBox(40, 10, 490, 260)  # x 0-45 (0.1 per px), survival 1 at the top, 0 at the bottom


def _mapping(y_source: str = "ocr", top: float = 1.0, percent: bool = False) -> AxisMapping:
    x = AxisCalibration(scale=0.1, offset=-4.0, ticks=[TickReading(float(p), f"{v:g}", float(v))
                                                       for p, v in ((40, 0), (190, 15), (340, 30))])
    y = AxisCalibration(scale=-top / 250, offset=260 * top / 250, source=y_source,
                        ticks=[TickReading(260.0, "0", 0.0), TickReading(135.0, f"{top / 2:g}", top / 2),
                               TickReading(10.0, f"{top:g}", top)])
    return AxisMapping(x, y, percent=percent)


def _arm(name: str, times, surv, mapping: AxisMapping | None = None, confidence: float = 1.0) -> ArmTrace:
    m = mapping or _mapping()
    px = np.column_stack([m.x.to_pixel(np.asarray(times, float)), m.y_pixel(np.asarray(surv, float))])
    return ArmTrace((200, 40, 40), "solid", px, confidence=confidence, name=name)


def _km(t_end: float = 40.0, n: int = 100, rate: float = 0.03, seed: int = 0):
    """A KM-like step curve of n patients: (times, survival) step corners from (0, 1)."""
    rng = np.random.default_rng(seed)
    events = np.sort(rng.exponential(1 / rate, n))
    events = events[events < t_end]
    s = 1.0 - np.arange(1, len(events) + 1) / n
    t = np.r_[0.0, np.repeat(events, 2), t_end]
    surv = np.r_[1.0, np.r_[1.0, s[:-1]].repeat(2)[1:], s[-1], s[-1]][:len(t)]
    return t, surv


def _table(name: str, times, n) -> pd.DataFrame:
    return pd.DataFrame({"arm": name, "time": np.asarray(times, float), "n_at_risk": np.asarray(n, float)})


# --- curve ends -------------------------------------------------------------------------------

def test_an_arm_that_stops_while_the_table_counts_patients_is_flagged():
    risk = (np.array([0.0, 10, 20, 30, 40]), np.array([100.0, 70, 50, 30, 12]))
    got = check_curve_ends("Drug", np.array([0.0, 5, 18]), np.array([1.0, 0.8, 0.6]), risk, span=45)
    assert [d.code for d in got] == ["ends_early"] and "12 at risk at 40" in got[0].message
    # the curve reaching the last column (or its trace stopping a pixel or two before it) is fine
    assert check_curve_ends("Drug", np.array([0.0, 20, 39]), np.array([1.0, 0.7, 0.5]), risk, 45) == []
    # but patients at risk at 40 were followed to 40: a curve ending at 37 was cut short
    got = check_curve_ends("Drug", np.array([0.0, 20, 37]), np.array([1.0, 0.7, 0.5]), risk, 45)
    assert [d.code for d in got] == ["ends_early"]


def test_an_arm_that_goes_on_after_the_table_has_nobody_at_risk_is_flagged():
    # everyone left before 30: a curve still level at 0.4 at 42 is another curve's end
    risk = (np.array([0.0, 10, 20, 30, 40]), np.array([100.0, 60, 30, 0, 0]))
    got = check_curve_ends("Drug", np.array([0.0, 10, 24, 42]), np.array([1.0, 0.6, 0.4, 0.4]),
                           risk, span=45)
    assert [d.code for d in got] == ["ends_late"] and "goes on to 42" in got[0].message
    # a curve that goes a little past the column (software counts its last patients apart): fine
    assert check_curve_ends("Drug", np.array([0.0, 10, 24, 32]), np.array([1.0, 0.6, 0.4, 0.4]),
                            risk, 45) == []


def test_an_arm_mostly_bridged_is_doubted():
    from kmipd.digitize.plausibility import check_seen

    got = check_seen("Drug", 0.25)
    assert [d.code for d in got] == ["unseen"] and "25%" in got[0].message
    assert check_seen("Drug", 0.55) == []  # a dotted line shows in about half of its columns


def test_a_drop_to_zero_with_patients_at_risk_is_flagged():
    risk = (np.array([0.0, 10, 20, 25]), np.array([100.0, 60, 30, 10]))
    got = check_curve_ends("Drug", np.array([0.0, 10, 24, 24]), np.array([1.0, 0.6, 0.4, 0.0]), risk, 45)
    assert [d.code for d in got] == ["drop_to_zero"]
    # the last patient's event at the end of follow-up, with nobody left at risk: fine
    risk = (np.array([0.0, 10, 20, 30]), np.array([100.0, 60, 30, 0]))
    assert check_curve_ends("Drug", np.array([0.0, 10, 24, 28]), np.array([1.0, 0.6, 0.04, 0.0]),
                            risk, 45) == []


def test_a_large_last_drop_to_zero_is_allowed_by_a_table_column_that_counts_nobody_after_it():
    # 5 at risk at 60, an event, three censored, the last patient's event at 66.6: 0.44 -> 0
    t = np.array([0.0, 8, 16, 24, 32, 40, 48, 62.7, 66.6])
    s = np.array([1.0, 0.92, 0.84, 0.76, 0.68, 0.6, 0.52, 0.44, 0.0])
    risk = (np.array([0.0, 24, 48, 60, 72]), np.array([20.0, 15, 9, 5, 0]))
    assert check_curve_ends("A", t, s, risk, 84) == []
    # a table that stops before the drop says nothing of it: the drop alone decides
    early = (risk[0][:4], risk[1][:4])
    assert [d.code for d in check_curve_ends("A", t, s, early, 84)] == ["drop_to_zero"]


def test_a_drop_to_zero_far_larger_than_every_earlier_step_is_flagged_without_a_table():
    t, s = _km(n=100)
    bad_t, bad_s = np.r_[t, t[-1]], np.r_[s, 0.0]
    assert [d.code for d in check_curve_ends("A", bad_t, bad_s, None, 45)] == ["drop_to_zero"]
    assert check_curve_ends("A", t, s, None, 45) == []
    # small trial: the last of few patients dies, a drop as large as the earlier ones
    t2, s2 = np.array([0.0, 5, 5, 9, 9, 12, 12]), np.array([1.0, 1, 0.75, 0.75, 0.5, 0.5, 0.0])
    assert check_curve_ends("A", t2, s2, None, 45) == []


# --- curve shape ------------------------------------------------------------------------------

def test_a_trace_that_rises_is_flagged():
    t = np.array([0.0, 5, 10, 15, 20, 25, 30])
    bad = np.array([1.0, 0.8, 0.9, 0.7, 0.85, 0.6, 0.6])
    assert [d.code for d in check_curve_shape("A", t, bad)] == ["rises"]
    assert check_curve_shape("A", t, np.array([1.0, 0.8, 0.79, 0.7, 0.69, 0.6, 0.6])) == []


def test_a_drop_larger_than_the_numbers_at_risk_allow_is_a_jump():
    t = np.array([0.0, 10, 10, 20])
    risk = (np.array([0.0, 10, 20]), np.array([200.0, 150, 100]))
    got = check_curve_shape("A", t, np.array([1.0, 0.9, 0.6, 0.55]), risk)  # 0.3 of 0.9: 50 events
    assert [d.code for d in got] == ["jump"]
    # the same drop in a trial of 12 patients is 4 events: possible
    small = (np.array([0.0, 10, 20]), np.array([12.0, 8, 4]))
    assert check_curve_shape("A", t, np.array([1.0, 0.9, 0.6, 0.55]), small) == []


def test_a_jump_traced_over_a_few_pixel_columns_is_one_drop():
    # a trace that falls 0.16 onto another curve's line in three columns: three drops of ~0.05,
    # each possible, together 29 of 165 at risk at one moment
    t = np.array([0.0, 4.0, 8.0, 11.51, 11.63, 11.74, 20.0, 40.0])
    s = np.array([1.0, 0.95, 0.91, 0.876, 0.822, 0.768, 0.74, 0.67])
    risk = (np.array([0.0, 12, 24, 36]), np.array([230.0, 165, 106, 41]))
    assert [d.code for d in check_curve_shape("A", t, s, risk)] == ["jump"]
    # the same fall spread over a month is many steps of a steep stretch
    spread = np.array([0.0, 4.0, 8.0, 11.5, 13.5, 15.5, 20.0, 40.0])
    assert check_curve_shape("A", spread, s, risk) == []


def test_without_a_table_a_lone_large_drop_is_a_jump():
    # a trace that follows another arm down in small steps, then falls 0.4 to its own line
    t = np.linspace(0, 30, 31)
    s = 1.0 - 0.01 * np.arange(31)
    jumped = np.where(t >= 15, s - 0.4, s)
    assert [d.code for d in check_curve_shape("A", t, jumped)] == ["jump"]
    # the drops of a PFS curve at its scheduled scans (the first 16 times the others) are not:
    # the next scans drop too
    pfs = s - 0.16 * (t >= 2) - 0.1 * (t >= 4) - 0.06 * (t >= 6)
    assert check_curve_shape("A", t, pfs) == []
    # nor the few large steps of a small trial
    few = np.array([1.0, 0.9, 0.8, 0.6, 0.4, 0.4])
    assert check_curve_shape("A", np.arange(6.0), few) == []


def test_without_a_table_a_drop_far_larger_a_share_than_every_earlier_one_is_a_jump():
    # seed 2026 figure 267: a trace that followed the other arms down, then fell 0.16 to its
    # own line; the tail's large steps (few left) hide it from the plain comparison
    t = np.linspace(0, 40, 41)
    s = 1.0 - 0.012 * np.arange(41)
    jumped = np.where(t >= 15, s - 0.16, s)
    jumped[35:] -= np.array([0.0, 0.04, 0.08, 0.12, 0.16, 0.2])
    assert [d.code for d in check_curve_shape("A", t, jumped)] == ["jump"]
    # a PFS curve's first scan after a few early deaths: its next scans drop about as much
    pfs = s - 0.16 * (t >= 5) - 0.12 * (t >= 10) - 0.08 * (t >= 15)
    assert check_curve_shape("A", t, pfs) == []
    # a real curve from start to end (gbsg2, 686 patients) has no such drop
    from lifelines import KaplanMeierFitter

    from kmipd.testing.datasets import load_ipd

    ipd = load_ipd("gbsg2")
    km = KaplanMeierFitter().fit(ipd["time"], ipd["event"]).survival_function_
    assert check_curve_shape("A", km.index.to_numpy(float), km.iloc[:, 0].to_numpy()) == []


def test_an_arm_with_many_counts_left_out_of_the_table_is_doubted():
    # seed 2026 figure 163: rows whose counts fit neither the row nor the curve are left out
    # cell by cell; three of one arm's left out is a misread row or curve, not a clean reading
    def flag(arm, t, action="flagged"):
        return {"arm": arm, "time": t, "read": "9", "value": 9, "action": action, "reason": ""}

    flags = [flag("A", t) for t in (3, 6, 9)] + [flag("B", t) for t in (3, 6)]
    flags += [flag("B", 9, "repaired")]
    got = check_table_disputes(flags)
    assert [(d.arm, d.code) for d in got] == [("A", "table_unread")]
    assert "3 of its numbers at risk" in got[0].message


def test_an_arm_that_stops_well_before_the_others_is_doubted_without_a_table():
    # seed 2026 figures 194 and 247: the trace of one arm was lost under the other curve half-way
    # and nothing (no table) said so; the arms of one trial share its follow-up
    from kmipd.digitize.curve_checks import check_short_arms

    t = np.linspace(0, 40, 41)
    long, short = (t, 1 - 0.015 * t), (t[:21], 1 - 0.02 * t[:21])
    got = check_short_arms({"A": long, "B": short})
    assert [(d.arm, d.code) for d in got] == [("B", "ends_early")]
    assert check_short_arms({"A": long, "B": short}, doubted={"B"}) == []  # the table said so
    assert check_short_arms({"A": long, "B": (t[:35], 1 - 0.02 * t[:35])}) == []  # near the end
    assert check_short_arms({"A": long, "B": (t[:21], 1 - 0.045 * t[:21])}) == []  # down near 0
    # real strata that end early near 0 are left alone (larynx stage IV stops at 0.10)
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.simulate import exact_digitization

    curves, _ = exact_digitization(load_ipd("larynx"))
    steps = {a: (g["time"].to_numpy(float), g["survival"].to_numpy(float)) for a, g in curves.groupby("arm")}
    assert check_short_arms(steps) == []


def test_arms_that_keep_meeting_hop_between_curves():
    grid = np.linspace(0, 40, 41)
    a = 1.0 - grid / 80
    zig = a - np.where(grid % 2 == 1, 0.1, 0.0)  # leaves a and comes back, 20 times
    assert [d.code for d in check_hops({"A": (grid, a), "B": (grid, zig)})] == ["hops"]
    # one curve traced twice (a halo of a JPEG): the second lies on the first
    assert [d.code for d in check_hops({"A": (grid, a), "B": (grid, a - 0.003)})] == ["duplicate"]
    # two curves that separate and cross once are fine
    b = 1.0 - grid / 60
    c = np.where(grid < 20, 1.0 - grid / 50, 1.0 - grid / 70)
    assert check_hops({"A": (grid, b), "B": (grid, c)}) == []


# --- counts, names, calibration, stages ------------------------------------------------------

def test_arm_count_disagreeing_with_the_table_or_legend_is_flagged():
    assert [d.code for d in check_arm_count(1, 4)] == ["arm_count"]
    assert [d.code for d in check_arm_count(3, 2)] == ["arm_count"]
    assert [d.code for d in check_arm_count(2, None, ["Drug", "Drug"])] == ["arm_count"]
    assert check_arm_count(2, 2, ["Drug", "Placebo"]) == []
    assert check_arm_count(2, None, ["Drug", ""]) == []  # a missed legend entry alone is common


@pytest.mark.parametrize("name", ["Cl), months 14.9 (8.7 to 17.3)", "LopheekP = 0.189",
                                  "HR 0.71 (95% CI 0.52-0.97)", "Log-rank p<0.001", "Median 14.9 mo",
                                  "72.5%"])
def test_names_that_look_like_statistics_are_flagged(name):
    assert [d.code for d in check_names([name])] == ["name"]


@pytest.mark.parametrize("name", ["Sorafenib", "Observation", "Drug (n=120)", "strata=Q1", "HR+",
                                  "PD-L1 >=50%", "Age (18-64)", ">= 6 months", "Above median",
                                  "Stage II", "arm1", "1992-2004"])
def test_ordinary_names_are_not_flagged(name):
    assert check_names([name]) == []


def test_an_assumed_or_implausible_y_calibration_is_flagged():
    assert [d.code for d in check_calibration(_mapping("assumed"), BOX)] == ["calibration"]
    assert [d.code for d in check_calibration(_mapping(top=0.5), BOX)] == ["calibration"]
    assert check_calibration(_mapping(), BOX) == []
    assert check_calibration(_mapping(top=100.0, percent=True), BOX) == []


def test_an_assumed_x_calibration_is_flagged():
    from dataclasses import replace

    m = _mapping()
    got = check_calibration(replace(m, x=replace(m.x, source="assumed")), BOX)
    assert [d.code for d in got] == ["calibration"] and "--x-range" in got[0].message


def test_an_axis_read_from_two_labels_is_doubted():
    # seed 2026 figure 106 (60 dpi, 7 pt): two labels per axis, one misread, fit a line that
    # nothing checks; the curve came out 0.13 off
    from dataclasses import replace

    m = _mapping()
    two = replace(m, x=replace(m.x, ticks=m.x.ticks[:2]))
    got = check_calibration(two, BOX)
    assert [d.code for d in got] == ["calibration"] and "--x-range" in got[0].message
    unused = replace(m, y=replace(m.y, ticks=[replace(t, used=k != 1) for k, t in enumerate(m.y.ticks)]))
    assert "--y-range" in check_calibration(unused, BOX)[0].message
    assert check_calibration(m, BOX) == []


def test_a_stage_that_failed_is_a_doubt():
    got = check_stage_failures(["unsure: OCR failed and was left out, boom.", "y axis: one label ignored"])
    assert [d.code for d in got] == ["stage"] and got[0].message == "OCR failed and was left out, boom."


def test_a_curve_starting_far_below_one_is_flagged():
    m = _mapping()
    arms = [_arm("A", [0, 10, 10, 40], [0.7, 0.7, 0.5, 0.5], m)]
    got = check_plausibility(arms, curves_frame(arms, m), None, m, BOX)
    assert "start" in [d.code for d in got]


# --- the whole reading ------------------------------------------------------------------------

def _digitization(arms, mapping, at_risk=None, legend=(), doubts=None) -> Digitization:
    curves = curves_frame(arms, mapping)
    if doubts is None:
        doubts = check_plausibility(arms, curves, at_risk, mapping, BOX, legend=legend,
                                    table_rows=None if at_risk is None else at_risk["arm"].nunique())
    return Digitization(source="fig.png", image_shape=(300, 500), box=BOX, mapping=mapping, arms=arms,
                        curves=curves, censor_marks=pd.DataFrame(columns=["arm", "time", "survival"]),
                        at_risk=at_risk, legend=legend, confidence={"overall": 1.0}, doubts=doubts)


def _good_arms(m):
    return [_arm("Drug", *_km(seed=1), m), _arm("Placebo", *_km(rate=0.06, seed=2), m)]


def test_a_good_reading_has_no_doubt():
    m = _mapping()
    arms = _good_arms(m)
    table = pd.concat([_table("Drug", [0, 10, 20, 30, 40], [100, 75, 55, 40, 30]),
                       _table("Placebo", [0, 10, 20, 30, 40], [100, 55, 30, 16, 9])])
    dig = _digitization(arms, m, table, ("Drug", "Placebo"))
    assert dig.doubts == () and not dig.unsure
    assert "UNSURE" not in dig.format() and dig.to_dict()["unsure"] is False
    assert dig.arm_confidence == {"Drug": 1.0, "Placebo": 1.0}


def test_doubts_make_the_reading_unsure_and_lower_the_arm_confidence():
    m = _mapping()
    arms = [_arm("Drug", [0, 10, 10, 15], [1.0, 1.0, 0.8, 0.8], m, confidence=0.9),
            _arm("P = 0.189", *_km(rate=0.06, seed=2), m)]
    table = _table("Drug", [0, 10, 20, 30, 40], [100, 80, 60, 40, 20])
    dig = _digitization(arms, m, table, ("Drug", "P = 0.189"))
    codes = {(d.arm, d.code) for d in dig.doubts}
    assert ("Drug", "ends_early") in codes and ("P = 0.189", "name") in codes
    assert dig.unsure
    assert dig.arm_confidence["Drug"] < 0.9 and dig.summary["confidence"].iloc[0] < 0.9
    assert dig.format().splitlines()[-len(dig.doubts):] == [f"UNSURE: {d.message}" for d in dig.doubts]
    js = json.loads(json.dumps(dig.to_dict()))
    assert js["unsure"] is True and {"arm", "code", "message"} <= set(js["doubts"][0])
    assert js["arms"][0]["trace_confidence"] == 0.9


def test_arm_confidence_counts_doubts_on_the_arm_and_on_the_reading():
    arms = [ArmTrace((0, 0, 0), "solid", np.zeros((0, 2)), confidence=0.8, name="A"),
            ArmTrace((0, 0, 0), "solid", np.zeros((0, 2)), name="B")]
    conf = arm_confidence(arms, [Doubt("A", "name", "x"), Doubt(None, "calibration", "y")])
    assert conf["A"] == pytest.approx(0.8 * 0.25) and conf["B"] == pytest.approx(0.5)


def test_the_cli_says_unsure_on_stderr_and_in_the_json(tmp_path, monkeypatch):
    import kmipd.digitize as digitize_module
    from kmipd.cli.common import main_group

    m = _mapping("assumed")
    dig = _digitization(_good_arms(m), m, legend=("Drug", "Placebo"))
    assert dig.unsure
    monkeypatch.setattr(digitize_module, "digitize", lambda *a, **k: dig)
    figure = tmp_path / "figure.png"
    figure.write_bytes(b"not read: digitize is replaced")
    out = tmp_path / "out"
    result = CliRunner().invoke(main_group, ["digitize", str(figure), "-o", str(out)])
    assert result.exit_code == 0, result.output
    stderr = result.stderr if hasattr(result, "stderr") else result.output
    assert "unsure: the y axis labels were not read" in stderr
    assert f"correct it with: kmipd review {out}" in stderr
    assert "UNSURE:" in result.stdout
    saved = json.loads((out / "digitization.json").read_text())
    assert saved["unsure"] is True and saved["doubts"][0]["code"] == "calibration"


def _line(colour) -> ArmTrace:
    return ArmTrace(colour, "solid", np.array([[0.0, 10.0], [100.0, 50.0]]))


def test_lines_a_complete_keyed_legend_does_not_list_are_left_out_and_doubted():
    from kmipd.digitize import unlisted_arms_dropped
    from kmipd.digitize.legend.read import LegendReading

    colours = [(31, 119, 180), (255, 127, 14), (140, 190, 230)]
    warnings: list[str] = []
    kept, legend, n = unlisted_arms_dropped([_line(c) for c in colours],
                                            LegendReading(["A", "B", ""], 2), warnings)
    assert [a.colour for a in kept] == colours[:2] and legend.names == ["A", "B"]
    assert n == 1 and "left out" in warnings[0]
    assert [d.code for d in check_arm_count(2, None, legend.names, 2, n)] == ["arm_count"]
    assert check_arm_count(2, None, legend.names, 2, 0) == []


@pytest.mark.parametrize("names, entries", [
    (["A", "B", ""], 3),  # an entry not read: its arm stays
    (["A", "", ""], 2),
    (["A", "B", ""], 0),  # no keyed legend
    (["A", ""], 1),  # a legend of one entry: more likely read in part
    (["A", "B"], 2),
])
def test_arms_stay_unless_the_legend_lists_exactly_the_others(names, entries):
    from kmipd.digitize import unlisted_arms_dropped
    from kmipd.digitize.legend.read import LegendReading

    arms = [_line((0, 0, 0)) for _ in names]
    kept, legend, n = unlisted_arms_dropped(arms, LegendReading(names, entries), [])
    assert len(kept) == len(names) and legend.names == names and n == 0


@pytest.mark.parametrize("found, rows, warned, wanted", [
    (1, 2, True, 2),  # a dashed black arm taken for a confidence limit: the table's 2 rows
    (2, 4, True, 4),
    (2, 2, True, None),  # as many rows as arms
    (3, 2, False, 2),  # an arm too many (a confidence limit, a median line): the longest 2 stay
    (2, 0, False, None),
    (2, 3, False, None),  # no line left out: a row left over is more likely misread
    (2, None, True, None),  # no table
    (1, 9, True, None),  # more rows than any figure has arms: not all rows are arms
])
def test_a_table_with_more_rows_asks_for_the_lines_left_out(found, rows, warned, wanted):
    from kmipd.digitize.arm_count import NOT_LISTED, arms_the_table_asks_for
    from kmipd.digitize.curves.arm_choice import MORE_LINES

    warnings = [f"1 {MORE_LINES}; give the number of arms"] if warned else ["x axis: fine"]
    assert arms_the_table_asks_for(found, rows, warnings) == wanted
    if warned:  # a line the legend did not list asks for its row the same way
        assert arms_the_table_asks_for(found, rows, [f"1 {NOT_LISTED} (its 2 entries ...)"]) == wanted


def test_a_fall_hidden_under_text_over_the_plot_is_doubted():
    """A p-value printed over the curves hides where one of them falls: the tracer bridges the
    stretch, but when it fell is a guess (seed 2026 figure 65). The same curve with its fall
    in plain sight, or text over a flat stretch only, raises no such doubt."""
    import cv2

    from kmipd.digitize.curve_checks import check_under_text
    from kmipd.digitize.curves.arms import extract_arms

    box = PlotBox(40, 10, 490, 260)
    text = (230, 60, 330, 80)  # the annotation's box: it hides the curve's fall at x = 280

    def drawn(fall_x: int, hide: bool):
        img = np.full((300, 520, 3), 255, np.uint8)
        cv2.line(img, (40, 10), (40, 260), (0, 0, 0), 1)
        cv2.line(img, (40, 260), (490, 260), (0, 0, 0), 1)
        pts = [(41, 20), (150, 20), (150, 70), (fall_x, 70), (fall_x, 160), (470, 160)]
        for p, q in zip(pts, pts[1:]):
            cv2.line(img, p, q, (200, 30, 30), 2)
        if hide:  # the text's ink over the curve: a block the OCR reported as a word
            img[text[1]:text[3], text[0]:text[2]] = (0, 0, 0)
            img[text[1] + 4:text[3] - 4:3, text[0]:text[2]] = (255, 255, 255)
        arms, _ = extract_arms(img, box, n_arms=1, exclude_boxes=[text] if hide else [])
        return arms[0]

    hidden = drawn(280, hide=True)
    assert len(hidden.under_text) == 1
    x0, x1, y_before, y_after = hidden.under_text[0]
    assert x0 <= 280 <= x1 and abs(y_before - 70) <= 3 and abs(y_after - 160) <= 3
    m = _mapping()
    doubts = check_under_text("A", [(float(m.time(a)), float(m.time(b)), float(m.survival(ya)),
                                     float(m.survival(yb))) for a, b, ya, yb in hidden.under_text])
    assert [d.code for d in doubts] == ["under_text"] and "0.76 to 0.40" in doubts[0].message
    assert drawn(280, hide=False).under_text == ()
    assert drawn(400, hide=True).under_text == ()  # the text lies over a flat stretch only
    assert check_under_text("A", [(10.0, 20.0, 0.62, 0.58)]) == []  # a small fall: no doubt


@pytest.mark.parametrize("names, skipped", [
    (["Arm C", "Arm A"], ["Arm B"]),  # seed 2026 fig 269: B's legend entry under an annotation
    (["Q1", "Q3", "Q4"], ["Q2"]),
    (["Stage I", "Stage III"], ["Stage II"]),
    (["Arm A", "Arm B"], []),
    (["Low", "High"], []),
    (["strata=ArmA", "strata=ArmC", "strata=Arm D", "strata=Arm B"], []),  # spaces lost: all there
    (["Arm A", ""], []),  # an unnamed arm may be the one the run skips
])
def test_names_that_skip_one_of_their_run_say_an_arm_was_missed(names, skipped):
    doubts = [d for d in check_names(names) if d.code == "arm_count"]
    assert len(doubts) == (1 if skipped else 0)
    for name in skipped:
        assert repr(name) in doubts[0].message


def test_a_pale_grey_broken_line_among_coloured_arms_is_doubted_as_bands_overlapping():
    from dataclasses import replace

    from kmipd.digitize.plausibility import check_band_overlap

    orange, blue = _line((246, 75, 6)), _line((47, 155, 217))
    overlap = replace(_line((198, 208, 178)), line_style="dashed", name="arm3")
    assert [(d.arm, d.code) for d in check_band_overlap([orange, blue, overlap])] == \
        [("arm3", "band_overlap")]
    # a solid grey arm, a dark grey one, or greys only: arms as drawn
    assert check_band_overlap([orange, blue, replace(overlap, line_style="solid")]) == []
    assert check_band_overlap([orange, blue, replace(overlap, colour=(90, 90, 90))]) == []
    assert check_band_overlap([replace(orange, colour=(40, 40, 40)), overlap]) == []
