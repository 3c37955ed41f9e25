"""Issue 11, reconstruct + IO side: bad input is a one-line KmipdError, never a traceback or a
silently wrong IPD (survival scale, rising curves, huge N, censor marks, messages, overwrites,
axis ranges)."""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import kmipd
from kmipd.cli import main_group
from kmipd.digitize import digitize
from kmipd.digitize.frame.calibrate import calibrate
from kmipd.digitize.result import PlotBox
from kmipd.errors import KmipdError
from kmipd.input_rules import MAX_PATIENTS, is_percent_curve
from kmipd.io import check_censor_marks, check_curves, read_censor_marks, read_curves
from kmipd.reconstruct import clean_curve, reconstruct, reconstruct_arm
from kmipd.reconstruct.clean import MAX_RISE, detect_percent
from kmipd.testing.datasets import load_ipd
from kmipd.testing.simulate import exact_digitization

PACKAGE = Path(kmipd.__file__).parent


def smooth_curve(n_points: int = 50, arm: str = "A") -> pd.DataFrame:
    """A fraction curve exp(-0.1 t) on 0..10 (starts at 1, ends at 0.37)."""
    t = np.linspace(0, 10, n_points)
    return pd.DataFrame({"arm": arm, "time": t, "survival": np.exp(-0.1 * t)})


def counts(ipd: pd.DataFrame) -> dict[str, tuple[int, int]]:
    return {arm: (len(g), int(g["event"].sum())) for arm, g in ipd.groupby("arm", sort=False)}


def run_cli(args: list[str]):
    return CliRunner().invoke(main_group, [str(a) for a in args])


def assert_one_line_error(res, *needles: str) -> str:
    assert res.exit_code == 2, res.output
    lines = [ln for ln in res.output.strip().splitlines() if ln]
    assert len(lines) == 1 and lines[0].startswith("error: "), res.output
    assert "Traceback" not in res.output
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def leukemia_files(tmp_path):
    ipd = load_ipd("leukemia")
    curves, table = exact_digitization(ipd)
    curves.to_csv(tmp_path / "curves.csv", index=False)
    table.to_csv(tmp_path / "at_risk.csv", index=False)
    return tmp_path, curves, table


# --- 1. the survival scale is decided from the whole curve, by one rule -------------------------

@pytest.mark.parametrize("stray", [1.08, 1.7])
def test_fraction_curve_with_a_stray_point_above_1_is_refused_not_read_as_percent(stray):
    curves = smooth_curve()
    curves.loc[10, "survival"] = stray
    # before: the whole arm was divided by 100 and 49 of 50 patients died at t=1
    with pytest.raises(KmipdError) as info:
        reconstruct(curves, n={"A": 50})
    msg = str(info.value)
    assert f"survival {stray:g} at time {curves['time'][10]:g} is above 1" in msg
    assert "not a percent curve" in msg and "stray point" in msg and "starts at 1" in msg
    # the same rule in the reader and in the cleaning of one arm
    with pytest.raises(KmipdError, match="not a percent curve"):
        check_curves(curves)
    with pytest.raises(KmipdError, match="not a percent curve"):
        clean_curve(curves["time"], curves["survival"])
    assert not detect_percent(curves["survival"], curves["time"])
    assert not is_percent_curve(curves["time"], curves["survival"])


def test_percent_curve_gives_the_same_ipd_as_the_fraction_curve(leukemia_files):
    _, curves, table = leukemia_files
    percent = curves.assign(survival=curves["survival"] * 100)
    as_percent = reconstruct(percent, at_risk=table)
    as_fraction = reconstruct(curves, at_risk=table).ipd
    pd.testing.assert_frame_equal(as_percent.ipd, as_fraction)
    notes = as_percent.notes
    assert sum("survival given in percent; divided by 100" in n for n in notes) == curves["arm"].nunique()


def test_percent_curve_falling_to_zero_is_still_percent():
    t = np.arange(0, 21, dtype=float)
    s = np.r_[100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 5, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]  # 12 of 21 > 1.5
    assert is_percent_curve(t, s)
    c = clean_curve(t, s)
    assert c.percent_scale and c.survival[-1] == 0 and c.survival[1] == pytest.approx(0.9)


def test_percent_curves_pasted_next_to_fraction_curves_are_decided_per_arm():
    both = pd.concat([smooth_curve(arm="F"), smooth_curve(arm="P").assign(survival=lambda d: d["survival"] * 100)])
    out = check_curves(both)
    np.testing.assert_allclose(out.loc[out["arm"] == "P", "survival"], out.loc[out["arm"] == "F", "survival"])


def test_noise_slightly_above_1_is_clipped_with_a_note():
    curves = smooth_curve()
    noisy = curves.copy()
    noisy.loc[0, "survival"] = 1.02  # the start at 1.0, read a pixel high
    rebuilt = reconstruct(noisy, n={"A": 50})
    pd.testing.assert_frame_equal(rebuilt.ipd, reconstruct(curves, n={"A": 50}).ipd)
    notes = rebuilt.notes
    assert any(n.startswith("A: clipped 1 survival value(s) outside [0, 1] by at most 0.02") for n in notes), notes


def test_survival_far_outside_the_percent_range_is_refused():
    curves = smooth_curve().assign(survival=lambda d: d["survival"] * 100)
    curves.loc[0, "survival"] = 130
    with pytest.raises(KmipdError, match=r"outside \[0, 100\] \(min 36.7879, max 130\)"):
        check_curves(curves)


# --- 2. a survival curve must not rise ---------------------------------------------------------

def test_rising_curve_is_refused_as_cumulative_incidence():
    curves = pd.DataFrame({"arm": "A", "time": [0.0, 1, 2], "survival": [0.0, 0.25, 0.5]})
    # before: 25 events at t=2 with a note
    with pytest.raises(KmipdError) as info:
        reconstruct(curves, n={"A": 50})
    msg = str(info.value)
    assert "rises from 0 at time 0 to 0.5 at time 2" in msg
    assert "cumulative-incidence" in msg and "1 - F" in msg and "mixed" in msg


def test_rising_percent_curve_is_refused_as_cumulative_incidence():
    t = np.linspace(0, 10, 30)
    curves = pd.DataFrame({"arm": "A", "time": t, "survival": 100 * (1 - np.exp(-0.1 * t))})
    with pytest.raises(KmipdError, match=r"rises from 0 at time 0 to 63.2.*cumulative-incidence.*100 - F"):
        check_curves(curves)


def test_two_arms_points_mixed_in_one_arm_are_refused():
    upper, lower = smooth_curve(25), smooth_curve(25).assign(survival=lambda d: d["survival"] * 0.6)
    lower["time"] += 0.2  # interleaved in time
    mixed = pd.concat([upper, lower], ignore_index=True)
    with pytest.raises(KmipdError, match="rises from .* never rises by more than digitizer noise"):
        reconstruct(mixed, n={"A": 50})


def test_curve_starting_far_below_1_is_refused():
    curves = pd.DataFrame({"arm": "A", "time": [0.0, 5, 10], "survival": [0.2, 0.2, 0.19]})
    with pytest.raises(KmipdError, match="starts at survival 0.2 at time 0; a Kaplan-Meier survival curve starts at 1"):
        reconstruct(curves, n={"A": 50})


def test_digitizer_noise_and_a_sloppy_drop_are_still_smoothed():
    # a rise of 0.02 on a flat part, and a drop whose foot was clicked just before its top
    t = [0, 1, 2, 3, 4.99, 5.01, 8, 10]
    s = [1.0, 0.9, 0.92, 0.9, 0.6, 0.8, 0.6, 0.5]
    c = clean_curve(t, s)
    assert np.all(np.diff(c.survival) <= 0)
    assert any("made survival non-increasing (largest change 0.1000)" in n for n in c.notes)
    assert MAX_RISE < 0.2  # the 0.2 step above is accepted only because its points are 0.02 apart


@settings(max_examples=40, deadline=None)
@given(st.lists(st.floats(0, 0.02), min_size=5, max_size=40))
def test_monotone_curve_with_small_noise_is_never_refused(noise):
    t = np.linspace(0, 20, len(noise))
    s = np.clip(np.exp(-0.05 * t) + np.array(noise) - 0.01, 0, 1)
    c = clean_curve(t, s)
    assert c.survival[0] == 1 and np.all(np.diff(c.survival) <= 1e-12)


# --- 3. N and events: whole numbers, at most MAX_PATIENTS per arm -------------------------------

@pytest.mark.parametrize("n", [10**12, MAX_PATIENTS + 1])
def test_huge_n_is_refused_with_the_limit(n):
    with pytest.raises(KmipdError) as info:
        reconstruct(smooth_curve(), n={"A": n})
    assert str(info.value) == (f"N of arm 'A' is {n:,}, more than kmipd's limit of 1,000,000 patients per arm "
                               "(far beyond any trial); check the number for a typo.")
    with pytest.raises(KmipdError, match="limit of 1,000,000"):
        reconstruct_arm([0, 1, 2], [1, 0.8, 0.5], n=n)


@pytest.mark.parametrize("n,message", [
    (0, "N of arm 'A' must be at least 1, got 0."),
    (-3, "N of arm 'A' must be at least 1, got -3."),
    (10.5, "N of arm 'A' must be a whole number, got 10.5."),
    (True, "N of arm 'A' must be a whole number, got True."),
    ("50", "N of arm 'A' must be a whole number, got '50'."),
    (np.float64("nan"), "N of arm 'A' must be a whole number, got nan."),
])
def test_bad_n_is_refused(n, message):
    with pytest.raises(KmipdError) as info:
        reconstruct(smooth_curve(), n={"A": n})
    assert str(info.value) == message


def test_bad_events_are_refused_and_whole_floats_accepted():
    with pytest.raises(KmipdError, match=r"total events of arm 'A' must be at least 0, got -1\."):
        reconstruct(smooth_curve(), n={"A": 50}, events={"A": -1})
    with pytest.raises(KmipdError, match=r"total events of arm 'A' must be a whole number, got 2.5\."):
        reconstruct(smooth_curve(), n={"A": 50}, events={"A": 2.5})
    ipd = reconstruct(smooth_curve(), n={"A": 50.0}, events={"A": np.int64(30)}).ipd
    assert counts(ipd) == {"A": (50, 30)}


def test_n_must_be_a_mapping():
    with pytest.raises(KmipdError, match=r"N must be given per arm as ARM=VALUE \(--n ARM=N .* n= in Python\), not as int"):
        reconstruct(smooth_curve(), n=50)


def test_at_risk_count_beyond_the_limit_is_refused():
    table = pd.DataFrame({"arm": "A", "time": [0.0, 5], "n_at_risk": [10**12, 10]})
    with pytest.raises(KmipdError, match="count of 1,000,000,000,000, more than kmipd's limit"):
        reconstruct(smooth_curve(), at_risk=table)


def test_n_at_the_limit_is_rebuilt():
    ipd = reconstruct(smooth_curve(), n={"A": MAX_PATIENTS}).ipd
    assert len(ipd) == MAX_PATIENTS


@pytest.mark.parametrize("value,needle", [
    ("1000000000000", "N of arm 'A' is 1,000,000,000,000, more than kmipd's limit of 1,000,000"),
    ("0", "N of arm 'A' must be at least 1, got 0."),
    ("-4", "N of arm 'A' must be at least 1, got -4."),
    ("2.5", "--n 'A=2.5': 2.5 is not a whole number."),
    ("x", "--n 'A=x': 'x' is not a number."),
    ("inf", "--n 'A=inf': inf is not a whole number."),
])
def test_cli_bad_n_is_one_line(leukemia_files, value, needle):
    tmp, *_ = leukemia_files
    curves = tmp / "curves.csv"
    arm = pd.read_csv(curves)["arm"].iloc[0]
    res = run_cli(["reconstruct", curves, "--n", f"{arm}={value}", "-o", tmp / "ipd.csv"])
    assert_one_line_error(res, needle.replace("'A", f"'{arm}"))
    assert not (tmp / "ipd.csv").exists()


def test_cli_n_written_as_a_whole_float_and_repeated_arm(tmp_path):
    smooth_curve().to_csv(tmp_path / "c.csv", index=False)
    res = run_cli(["reconstruct", tmp_path / "c.csv", "--n", "A=1e2", "-o", tmp_path / "ipd.csv"])
    assert res.exit_code == 0, res.output
    assert len(pd.read_csv(tmp_path / "ipd.csv")) == 100
    res = run_cli(["reconstruct", tmp_path / "c.csv", "--n", "A=10", "--n", "A=12", "-o", tmp_path / "x.csv"])
    assert_one_line_error(res, "--n gives arm 'A' twice")


# --- 4 and 5. censor marks: one checker for the file and the library argument ------------------

@pytest.fixture
def marks_setup(tmp_path):
    smooth_curve().to_csv(tmp_path / "c.csv", index=False)
    return tmp_path


def test_cli_empty_censor_marks_file_is_a_clear_error(marks_setup):
    tmp = marks_setup
    (tmp / "m.csv").write_text("")
    res = run_cli(["reconstruct", tmp / "c.csv", "--n", "A=20", "--censor-marks", tmp / "m.csv", "-o", tmp / "ipd.csv"])
    assert_one_line_error(res, f"censor marks file {tmp / 'm.csv'} is empty", "arm,time")


def test_cli_censor_marks_header_only_means_no_marks(marks_setup):
    tmp = marks_setup
    (tmp / "m.csv").write_text("arm,time,survival\n")
    with_marks = run_cli(["reconstruct", tmp / "c.csv", "--n", "A=20", "--censor-marks", tmp / "m.csv",
                          "-o", tmp / "a.csv"])
    without = run_cli(["reconstruct", tmp / "c.csv", "--n", "A=20", "-o", tmp / "b.csv"])
    assert with_marks.exit_code == without.exit_code == 0, with_marks.output
    pd.testing.assert_frame_equal(pd.read_csv(tmp / "a.csv"), pd.read_csv(tmp / "b.csv"))
    assert read_censor_marks(tmp / "m.csv").empty


@pytest.mark.parametrize("content,needle", [
    ("arm,time\nA,abc\n", "has a non-numeric time value 'abc' on data row 1"),
    ("arm,time\nA,2\nA,inf\n", "has an infinite time value (inf) on data row 2"),
    ("arm,time\nA,-1\n", "has a negative time -1 on data row 1"),
    ("arm,survival\nA,0.5\n", "is missing column(s) time; expected columns arm,time"),
    ("arm,time\nB,2\n", "censor marks names arm(s) 'B' not in the curves"),
])
def test_cli_bad_censor_marks_are_one_line(marks_setup, content, needle):
    tmp = marks_setup
    (tmp / "m.csv").write_text(content)
    res = run_cli(["reconstruct", tmp / "c.csv", "--n", "A=20", "--censor-marks", tmp / "m.csv", "-o", tmp / "ipd.csv"])
    assert_one_line_error(res, needle)


def test_cli_censor_marks_are_used(marks_setup):
    tmp = marks_setup
    (tmp / "m.csv").write_text("arm,time\nA,3.3\nA,7.7\n")
    res = run_cli(["reconstruct", tmp / "c.csv", "--n", "A=20", "--censor-marks", tmp / "m.csv", "-o", tmp / "ipd.csv"])
    assert res.exit_code == 0, res.output
    censored = pd.read_csv(tmp / "ipd.csv").query("event == 0")["time"].round(6).tolist()
    assert 3.3 in censored and 7.7 in censored


def test_library_censor_marks_are_checked():
    curves = smooth_curve()
    with pytest.raises(KmipdError, match=r"censor marks is missing column\(s\) time; expected columns arm,time\[,survival\]\."):
        reconstruct(curves, n={"A": 20}, censor_marks=pd.DataFrame({"arm": ["A"], "survival": [0.5]}))
    with pytest.raises(KmipdError, match="censor marks must be a table .* not list"):
        reconstruct(curves, n={"A": 20}, censor_marks=[1.0, 2.0])
    with pytest.raises(KmipdError, match="a missing time value on data row 2"):
        reconstruct(curves, n={"A": 20}, censor_marks=pd.DataFrame({"arm": ["A", "A"], "time": [1.0, np.nan]}))
    # column names as a person types them, and arms that are not str, are fine
    marks = pd.DataFrame({" Arm": ["A"], "TIME": [np.float32(4.4)]})
    ipd = reconstruct(curves, n={"A": 20}, censor_marks=marks).ipd
    assert 4.4 in ipd.query("event == 0")["time"].round(6).tolist()
    empty = check_censor_marks(pd.DataFrame(columns=["arm", "time"]))
    assert list(empty.columns) == ["arm", "time"] and empty.empty


# --- 6. messages print plain values ------------------------------------------------------------

def test_infinite_value_in_a_csv_is_named_plainly(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("arm,time,survival\nA,0,1\nA,2,0.8\nA,inf,0.5\n")
    with pytest.raises(KmipdError) as info:
        read_curves(path)
    assert str(info.value) == f"curves {path} has an infinite time value (inf) on data row 3; fix or remove that row."
    path.write_text("arm,time,survival\nA,0,1\nA,2,-inf\n")
    with pytest.raises(KmipdError, match=r"an infinite survival value \(-inf\) on data row 2"):
        read_curves(path)


def test_library_values_are_named_without_numpy_reprs():
    curves = smooth_curve()
    curves.loc[3, "time"] = np.inf
    with pytest.raises(KmipdError) as info:
        reconstruct(curves, n={"A": 20})
    assert "np." not in str(info.value) and "an infinite time value (inf) on data row 4" in str(info.value)
    with pytest.raises(KmipdError) as info:
        reconstruct(smooth_curve(), n={"A": np.float64(2.5)})
    assert str(info.value) == "N of arm 'A' must be a whole number, got 2.5."
    with pytest.raises(KmipdError) as info:
        reconstruct_arm([0, 1], [1, 0.5], arm=np.str_("B"))
    assert "arm 'B' has neither" in str(info.value) and "np." not in str(info.value)


# --- 7. library messages name the Python argument next to the command-line flag -----------------

def _error_texts(path: Path) -> list[str]:
    """The literal text of every KmipdError(...) message in a module."""
    texts = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "KmipdError":
            texts.append("".join(c.value for c in ast.walk(node) if isinstance(c, ast.Constant)
                                 and isinstance(c.value, str)))
    return texts


def test_library_messages_that_name_a_flag_also_name_the_python_argument():
    modules = [PACKAGE / "io.py", PACKAGE / "input_rules.py", *sorted((PACKAGE / "reconstruct").glob("*.py"))]
    checked = 0
    for module in modules:
        for text in _error_texts(module):
            if re.search(r"--[a-z]", text):
                checked += 1
                assert "in Python" in text or "on the command line" in text, (module.name, text)
    assert checked >= 2


def test_missing_n_says_both_ways_to_give_it():
    with pytest.raises(KmipdError) as info:
        reconstruct(smooth_curve())
    msg = str(info.value)
    assert "--n ARM=N on the command line, n= in Python" in msg and "at_risk= in Python" in msg
    table = pd.DataFrame({"arm": "A", "time": [2.0, 5], "n_at_risk": [40, 30]})
    with pytest.raises(KmipdError, match=r"starts at time 2, not 0; .*\(--n ARM=N on the command line, n= in Python\)"):
        reconstruct(smooth_curve(), at_risk=table)
    with pytest.raises(KmipdError, match=r"total events \(--events ARM=E on the command line, events= in Python\) "
                                         r"names arm\(s\) 'Z' not in the curves; the curves have 'A'"):
        reconstruct(smooth_curve(), n={"A": 10}, events={"Z": 3})


def test_digitize_hints_name_the_flag_and_the_python_argument():
    box = PlotBox(left=100, top=50, right=700, bottom=450)
    cal = calibrate(None, box, [], x_ticks=np.array([100.0, 400.0, 700.0]))
    text = " ".join(cal.warnings)
    assert "--x-range A B (x_range= in Python" in text and "--y-range A B (y_range= in Python)" in text
    source = "".join((PACKAGE / "digitize" / f).read_text()
                     for f in ("curves/arm_choice.py", "__init__.py", "arm_count.py"))
    assert "pass n_arms" not in source and "give --arms" not in source
    # every hint to give the arm count names both the flag and the Python argument
    assert source.count("--arms N") == source.count("--arms N, n_arms= in Python") >= 2


# --- 8. the output never overwrites an input ---------------------------------------------------

@pytest.mark.parametrize("which", ["curves", "at_risk", "marks"])
def test_cli_output_that_is_an_input_is_refused(leukemia_files, which, monkeypatch):
    tmp, curves, _ = leukemia_files
    (tmp / "marks.csv").write_text("arm,time\n")
    inputs = {"curves": tmp / "curves.csv", "at_risk": tmp / "at_risk.csv", "marks": tmp / "marks.csv"}
    before = inputs[which].read_bytes()
    monkeypatch.chdir(tmp)
    res = run_cli(["reconstruct", "curves.csv", "--at-risk", tmp / "at_risk.csv", "--censor-marks", "./marks.csv",
                   "-o", f"../{tmp.name}/{inputs[which].name}"])
    assert_one_line_error(res, "would overwrite the input", inputs[which].name)
    assert inputs[which].read_bytes() == before


# --- 9. axis ranges: two finite, different numbers ---------------------------------------------

@pytest.mark.parametrize("command", ["digitize", "run"])
@pytest.mark.parametrize("option,values", [("--x-range", ["nan", "nan"]), ("--x-range", ["0", "inf"]),
                                           ("--y-range", ["-inf", "1"]), ("--x-range", ["3", "3"])])
def test_cli_axis_range_must_be_finite_and_different(tmp_path, command, option, values):
    figure = tmp_path / "figure.png"
    figure.write_bytes(b"not read: the range is checked first")
    res = run_cli([command, figure, option, *values, "-o", tmp_path / "out"])
    shown = " and ".join(f"{float(v):g}" for v in values)
    assert_one_line_error(res, f"{option} needs two finite, different numbers", f"got {shown}.")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("x_range,needle", [
    ((math.nan, math.nan), "x_range must be two different values, both finite numbers"),
    ((0, math.inf), "got 0 and inf"),
    (("a", "b"), "x_range must be two numbers"),
    ((1, 2, 3), "x_range must be two numbers"),
])
def test_library_x_range_is_checked_at_the_entry(tmp_path, x_range, needle):
    # checked before the (missing) figure is even opened
    with pytest.raises(KmipdError, match=re.escape(needle)):
        digitize(tmp_path / "missing.png", x_range=x_range)
    with pytest.raises(KmipdError, match=r"--x-range A B on the command line"):
        calibrate(None, PlotBox(100, 50, 700, 450), [], x_range=x_range)


def test_library_y_range_is_checked_too():
    with pytest.raises(KmipdError, match=r"y_range must be two different values, both finite numbers.*got 0 and nan"):
        calibrate(None, PlotBox(100, 50, 700, 450), [], y_range=(0, math.nan))


def test_cli_median_follow_up_is_used_and_checked(marks_setup):
    tmp = marks_setup
    args = ["reconstruct", tmp / "c.csv", "--n", "A=200", "-o", tmp / "ipd.csv"]
    plain = run_cli(args)
    steered = run_cli([*args, "--median-follow-up", "3"])
    assert plain.exit_code == steered.exit_code == 0, steered.output
    assert "the reported median follow-up 3" in steered.output
    assert_one_line_error(run_cli([*args, "--median-follow-up", "-1"]), "median follow-up must be a positive number")
