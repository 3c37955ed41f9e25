"""Issue 11, validate / pool / analyze side: bad input is a one-line KmipdError (CLI: exit 2),
never a traceback and never a silently wrong result; exit 1 stays "a statistic not reproduced"."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.utils import median_survival_times

from kmipd.analysis import ParametricFits, analyze
from kmipd.analysis.survival import fit_cox
from kmipd.cli import main_group
from kmipd.errors import KmipdError
from kmipd.pooling import pool, read_manifest
from kmipd.testing.datasets import load_ipd
from kmipd.validate import load_reported, validate
from kmipd.validate.arms import find_arm, normalise_arm_name
from kmipd.validate.checks import match_arm_names

# --------------------------------------------------------------------------------------------
# helpers


def _leukemia() -> pd.DataFrame:
    return load_ipd("leukemia")  # 6-MP: 21 patients, 9 events; Placebo: 21, 21


def _one_line_error(result, *words: str) -> str:
    """The CLI ended with exit 2 and one ``error:`` line containing ``words``, no traceback."""
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    for word in words:
        assert word in errors[0], (word, errors[0])
    return errors[0]


def _lifelines_hr() -> float:
    """Cox HR of 6-MP vs placebo computed directly with lifelines."""
    d = _leukemia()
    design = pd.DataFrame({"time": d["time"], "event": d["event"], "t": (d["arm"] == "6-MP").astype(float)})
    return float(CoxPHFitter().fit(design, "time", "event").hazard_ratios_["t"])


def _two_studies(tmp_path, arms=("6-MP", "Placebo")) -> None:
    """Two study folders A/ and B/ with the leukemia IPD, arms renamed to ``arms``."""
    ipd = _leukemia().replace({"arm": {"6-MP": arms[0], "Placebo": arms[1]}})
    for name, part in (("A", ipd), ("B", ipd.sample(frac=1.0, random_state=1))):
        (tmp_path / name).mkdir()
        part.to_csv(tmp_path / name / "ipd.csv", index=False)


MANIFEST = 'treatment = "6-MP"\ncontrol = "Placebo"\n[[study]]\nname = "A"\nipd = "A/ipd.csv"\n' \
           '[[study]]\nname = "B"\nipd = "B/ipd.csv"\n'


# --------------------------------------------------------------------------------------------
# 1. manifest field types


@pytest.mark.parametrize("text, words", [
    (MANIFEST.replace('ipd = "B/ipd.csv"', "ipd = 5"), ["study 'B'", "ipd must be", "got 5"]),
    (MANIFEST.replace('name = "A"', "name = 3"), ["study #1", "name must be", "got 3"]),
    (MANIFEST.replace('[[study]]\nname = "A"', '[[study]]\nname = "A"\ntreatment = ["6-MP"]'),
     ["study 'A'", "treatment must be", "['6-MP']"]),
    (MANIFEST.replace('control = "Placebo"', "control = 1"), ["manifest", "control must be", "got 1"]),
    (MANIFEST.replace('name = "A"', 'name = "  "'), ["name must be a non-empty text"]),
    (MANIFEST.replace('ipd = "A/ipd.csv"', 'ipd = ""'), ["study 'A'", "ipd must be a non-empty"]),
    ("treatmnet = 'x'\n" + MANIFEST, ["unknown top-level key", "'treatmnet'", "allowed: control, study, treatment"]),
])
def test_manifest_values_of_the_wrong_type_name_study_and_key(tmp_path, text, words):
    _two_studies(tmp_path)
    (tmp_path / "studies.toml").write_text(text)
    with pytest.raises(KmipdError) as info:
        read_manifest(tmp_path / "studies.toml")
    message = str(info.value)
    assert "\n" not in message and str(tmp_path / "studies.toml") in message
    for word in words:
        assert word in message, (word, message)
    result = CliRunner().invoke(main_group, ["pool", "--manifest", str(tmp_path / "studies.toml"),
                                             "-o", str(tmp_path / "out")])
    _one_line_error(result, *words)


def test_manifest_missing_arm_names_both_the_option_and_the_argument(tmp_path):
    _two_studies(tmp_path)
    (tmp_path / "studies.toml").write_text(MANIFEST.replace('control = "Placebo"\n', ""))
    with pytest.raises(KmipdError, match="study 'A' in .* has no control arm") as info:
        read_manifest(tmp_path / "studies.toml")
    assert "--control on the command line" in str(info.value) and "control= in Python" in str(info.value)


def test_study_tuples_of_the_wrong_shape_are_one_line_errors():
    with pytest.raises(KmipdError, match="each study must be a Study or a \\(name, ipd, treatment, control\\)"):
        pool([("a", _leukemia(), "6-MP"), ("b", _leukemia(), "6-MP", "Placebo")])
    with pytest.raises(KmipdError, match="study 'a': its IPD must be a pandas DataFrame"):
        pool([("a", "a/ipd.csv", "6-MP", "Placebo"), ("b", _leukemia(), "6-MP", "Placebo")])


# --------------------------------------------------------------------------------------------
# 2. arm names: one normalisation (spaces, case) everywhere, repr when nothing matches


def test_one_normalisation_rule():
    assert normalise_arm_name("  Arm  A ") == normalise_arm_name("arm a") == normalise_arm_name("ARM_A") == "arm a"
    assert normalise_arm_name("Sorafenib ") == "sorafenib"
    assert find_arm("Arm  A", ["Arm A", "Arm B"]) == "Arm A"
    assert find_arm("arm b", ["Arm A", "Arm B"]) == "Arm B"
    assert find_arm("Arm C", ["Arm A", "Arm B"]) is None
    assert find_arm("Arm A", ["arm a", "Arm A"]) == "Arm A"  # exact spelling wins
    with pytest.raises(KmipdError, match="matches several arms that differ only in case or spacing"):
        find_arm("ARM A", ["arm a", "Arm  A"])


def test_pool_matches_arm_names_ignoring_spacing_and_case(tmp_path):
    exact = pool([("a", _leukemia(), "6-MP", "Placebo"), ("b", _leukemia().iloc[::-1], "6-MP", "Placebo")])
    spaced = pool([("a", _leukemia(), " 6-mp ", "PLACEBO"), ("b", _leukemia().iloc[::-1], "6 MP", "Placebo ")])
    assert spaced.pooled_["hr"].to_numpy() == pytest.approx(exact.pooled_["hr"].to_numpy())
    assert spaced.studies_["hr"].iloc[0] == pytest.approx(_lifelines_hr(), rel=1e-6)
    assert spaced.studies_["hr"].iloc[0] < 0.3
    _two_studies(tmp_path, arms=("Arm  A", "Placebo"))
    result = CliRunner().invoke(main_group, ["pool", str(tmp_path / "A/ipd.csv"), str(tmp_path / "B/ipd.csv"),
                                             "--treatment", "Arm A", "--control", "placebo",
                                             "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


def test_pool_arm_mismatch_shows_names_with_repr(tmp_path):
    with pytest.raises(KmipdError) as info:
        pool([("a", _leukemia(), "6-MP ", "Placebo"), ("b", _leukemia(), "6-MQ ", "Placebo")])
    message = str(info.value)
    assert "study 'b': treatment arm '6-MQ ' is not in its IPD" in message
    assert "'6-MP', 'Placebo'" in message
    _two_studies(tmp_path, arms=("Arm  A", "Placebo"))
    result = CliRunner().invoke(main_group, ["pool", str(tmp_path / "A/ipd.csv"), str(tmp_path / "B/ipd.csv"),
                                             "--treatment", "Arm  B", "--control", "Placebo"])
    _one_line_error(result, r"treatment arm 'Arm\x20\x20B' is not in its IPD; its arms are 'Arm\x20\x20A', 'Placebo'")


def test_analyze_reference_matches_ignoring_spacing_and_case():
    res = analyze(_leukemia(), reference=" placebo ", parametric=False)
    assert res.reference_ == "Placebo"
    assert res.comparisons_["arm"].tolist() == ["6-MP"]
    assert res.comparisons_["hr"].iloc[0] == pytest.approx(_lifelines_hr(), rel=1e-6)
    with pytest.raises(KmipdError) as info:
        analyze(_leukemia(), reference="Placebo  X", parametric=False)
    # the doubled space stays visible although one-line messages collapse whitespace
    assert r"reference arm 'Placebo\x20\x20X' is not in the IPD; its arms are '6-MP', 'Placebo'" in str(info.value)


def test_validate_matches_reported_arms_ignoring_inner_spaces():
    ipd = _leukemia().replace({"arm": {"6-MP": "Arm A"}})
    result = validate(ipd, {"arms": {"Arm  A": {"n": 21, "events": 9}, "placebo ": {"n": 21}},
                            "comparison": {"arm": "ARM A", "reference": "Placebo", "hr": 0.22}})
    assert result.passed
    assert result.table["arm"].tolist() == ["Arm  A", "Arm  A", "placebo ", "Arm A vs Placebo"]
    with pytest.raises(KmipdError) as info:
        match_arm_names(["Arm  B"], ["Arm A", "Placebo"])
    assert r"reported arm 'Arm\x20\x20B' is not in the IPD; its arms are 'Arm A', 'Placebo'" in str(info.value)


def test_two_reported_arms_may_not_be_one_ipd_arm():
    with pytest.raises(KmipdError, match="reported arms 'Placebo', 'placebo ' are all the IPD arm 'Placebo'"):
        validate(_leukemia(), {"arms": {"Placebo": {"n": 21}, "placebo ": {"n": 21}}})


# --------------------------------------------------------------------------------------------
# 3. impossible reported values are bad input (exit 2), not failed checks (exit 1)


@pytest.mark.parametrize("arm, comparison, words", [
    ({"median": -5}, {}, ["median and median_ci must be times >= 0", "-5"]),
    ({"median_ci": [-1, 10]}, {}, ["median_ci must be times >= 0"]),
    ({"median_ci": [10, 5]}, {}, ["median_ci lower bound 10 is above the upper bound 5"]),
    ({"n": -3}, {}, ["n must be a count >= 0", "-3"]),
    ({"events": -1}, {}, ["events must be a count >= 0"]),
    ({"n": 21, "events": 30}, {}, ["events (30) exceed n (21)"]),
    ({"landmarks": {"12": 120}}, {}, ["landmark survival at 12 is 120"]),
    ({"landmarks": {"12": -0.2}}, {}, ["landmark survival at 12 is -0.2"]),
    ({"landmark_ci": {"12": [-5, 50]}}, {}, ["landmark survival CI bound at 12 is -5"]),
    ({"landmark_ci": {"12": [0.6, 0.4]}}, {}, ["lower bound 0.6 is above the upper bound 0.4"]),
    ({}, {"hr": "NA"}, ["[comparison] hr must be a hazard ratio > 0", "'NA'"]),
    ({}, {"hr": 0}, ["hr must be a hazard ratio > 0", "got 0"]),
    ({}, {"hr": -0.5}, ["hr must be a hazard ratio > 0"]),
    ({}, {"hr_ci": ["NA", 2]}, ["hr_ci must be a hazard ratio > 0"]),
    ({}, {"hr_ci": [2, 1]}, ["hr_ci lower bound 2 is above the upper bound 1"]),
    ({}, {"logrank_p": 1.5}, ["logrank_p must be a p-value in (0, 1]"]),
    ({}, {"p": -0.01}, ["p must be a p-value in (0, 1]"]),
    ({}, {"cox_p": "NA"}, ["cox_p must be a p-value"]),
])
def test_impossible_reported_values_exit_2_naming_key_and_file(tmp_path, arm, comparison, words):
    data = {"arms": {"6-MP": {"n": 21, **arm}}}
    if comparison:
        data["comparison"] = comparison
    with pytest.raises(KmipdError) as info:
        load_reported(data)
    assert "\n" not in str(info.value)
    path = tmp_path / "reported.toml"
    lines = ['[arms."6-MP"]'] + [f"{k} = {_toml(v)}" for k, v in {"n": 21, **arm}.items()]
    if comparison:
        lines += ["[comparison]"] + [f"{k} = {_toml(v)}" for k, v in comparison.items()]
    path.write_text("\n".join(lines) + "\n")
    _leukemia().to_csv(tmp_path / "ipd.csv", index=False)
    result = CliRunner().invoke(main_group, ["validate", str(tmp_path / "ipd.csv"), "--reported", str(path)])
    _one_line_error(result, str(path), *words)


def _toml(value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "{" + ", ".join(f'"{k}" = {_toml(v)}' for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return repr(value)


def test_not_reached_is_still_allowed_for_medians():
    rep = load_reported({"arms": {"6-MP": {"median": "NA", "median_ci": [10, "NR"]}}})
    assert math.isinf(rep.arms["6-MP"].median) and rep.arms["6-MP"].median_ci == (10.0, math.inf)
    mp = _leukemia().query("arm == '6-MP'")
    kmf = KaplanMeierFitter().fit(mp["time"], mp["event"])
    lower = float(median_survival_times(kmf.confidence_interval_).iloc[0, 0])
    assert kmf.median_survival_time_ == 23 and np.isinf(median_survival_times(kmf.confidence_interval_).iloc[0, 1])
    result = validate(_leukemia(), {"arms": {"6-MP": {"median": 23, "median_ci": [lower, "NA"]}}})
    assert result.table["status"].tolist() == ["pass", "pass", "pass"]
    assert math.isinf(result.table["reported"].iloc[2]) and math.isinf(result.table["reconstructed"].iloc[2])


# --------------------------------------------------------------------------------------------
# 4. byte-order marks and files that are not UTF-8


REPORTED = '[arms."6-MP"]\nn = 21\nevents = 9\n[arms.Placebo]\nn = 21\n'


def test_reported_file_with_a_bom_is_read(tmp_path):
    path = tmp_path / "reported.toml"
    path.write_bytes(b"\xef\xbb\xbf" + REPORTED.encode())
    assert load_reported(path).arms["6-MP"].events == 9
    _leukemia().to_csv(tmp_path / "ipd.csv", index=False)
    result = CliRunner().invoke(main_group, ["validate", str(tmp_path / "ipd.csv"), "--reported", str(path)])
    assert result.exit_code == 0, result.output
    assert "3/3 checks passed" in result.output


def test_manifest_with_a_bom_is_read(tmp_path):
    _two_studies(tmp_path)
    (tmp_path / "studies.toml").write_bytes(b"\xef\xbb\xbf" + MANIFEST.encode())
    assert [s.name for s in read_manifest(tmp_path / "studies.toml")] == ["A", "B"]


@pytest.mark.parametrize("command", ["validate", "pool"])
def test_a_file_that_is_not_utf8_is_one_line(tmp_path, command):
    path = tmp_path / "bad.toml"
    path.write_bytes('[source]\nnote = "Müller"\n'.encode("latin-1") + REPORTED.encode())
    _leukemia().to_csv(tmp_path / "ipd.csv", index=False)
    args = (["validate", str(tmp_path / "ipd.csv"), "--reported", str(path)] if command == "validate"
            else ["pool", "--manifest", str(path)])
    _one_line_error(CliRunner().invoke(main_group, args), str(path), "is not UTF-8 text (byte 0xfc",
                    "save it as UTF-8")


# --------------------------------------------------------------------------------------------
# 5. arms without follow-up or without events


def _zero_times() -> pd.DataFrame:
    return _leukemia().assign(time=lambda d: np.where(d["arm"] == "Placebo", 0.0, d["time"]))


def test_analyze_refuses_an_arm_without_follow_up(tmp_path):
    with pytest.raises(KmipdError, match="IPD arm 'Placebo' has no follow-up: every one of its times is 0"):
        analyze(_zero_times())
    with pytest.raises(KmipdError, match="has no follow-up"):
        ParametricFits().fit(_zero_times())
    _zero_times().to_csv(tmp_path / "ipd.csv", index=False)
    result = CliRunner().invoke(main_group, ["analyze", str(tmp_path / "ipd.csv"), "-o", str(tmp_path / "out")])
    _one_line_error(result, "'Placebo' has no follow-up", "at least one time > 0")
    assert not (tmp_path / "out" / "per_arm.csv").exists()


def test_validate_and_pool_refuse_an_arm_without_follow_up():
    with pytest.raises(KmipdError, match="IPD arm 'Placebo' has no follow-up"):
        validate(_zero_times(), {"arms": {"Placebo": {"n": 21}}})
    with pytest.raises(KmipdError, match="study 'b': IPD arm 'Placebo' has no follow-up"):
        pool([("a", _leukemia(), "6-MP", "Placebo"), ("b", _zero_times(), "6-MP", "Placebo")])


def _no_events() -> pd.DataFrame:
    return _leukemia().assign(event=lambda d: np.where(d["arm"] == "6-MP", 0, d["event"]))


def test_analyze_arm_without_events_is_reported_not_estimable():
    res = analyze(_no_events(), reference="Placebo")
    comp = res.comparisons_.iloc[0]
    assert math.isnan(comp["hr"]) and math.isnan(comp["hr_p"])  # not lifelines' "converged" 1e-8
    assert comp["note"] == "arm '6-MP' has no events: the hazard ratio is not estimable"
    assert comp["logrank_p"] < 1e-6  # the log-rank test is still valid: 0 vs 21 events
    per = res.per_arm_.set_index("arm")
    assert per.loc["6-MP", "events"] == 0 and math.isinf(per.loc["6-MP", "median"])
    fits = res.parametric_.fits_
    mp = fits[fits["arm"] == "6-MP"]
    assert (mp["status"] == "failed").all() and mp["aic"].isna().all()
    assert (mp["note"] == "no events in the arm: the model is not estimable").all()
    assert (fits.loc[fits["arm"] == "Placebo", "status"] != "failed").sum() >= 4
    assert "has no events" in res.format()


def test_parametric_fit_of_a_single_patient_says_why():
    ipd = pd.concat([_leukemia(), pd.DataFrame({"arm": ["Solo"], "time": [7.0], "event": [1]})])
    fits = ParametricFits(models=["exponential", "weibull"]).fit(ipd).fits_
    solo = fits[fits["arm"] == "Solo"]
    assert (solo["note"] == "too few patients (1) for a parametric fit").all()
    assert (solo["status"] == "failed").all()


def test_cox_notes_are_sentences_not_exception_texts():
    data = pd.DataFrame({"time": [3.0, 4, 5, 4, 6, 7], "event": [0] * 6, "treat": [1, 1, 1, 0, 0, 0]})
    cph, note = fit_cox(data, 0.05)
    assert cph is None and note == "Cox model could not be fitted (it did not converge)"
    # a separated model: lifelines warns, we keep its first sentence and no links
    sep = pd.DataFrame({"time": [1.0, 2, 3, 4, 5, 6, 7, 8], "event": [1, 1, 1, 1, 0, 1, 0, 1],
                        "treat": [1, 1, 1, 1, 0, 0, 0, 0]})
    _, note = fit_cox(sep, 0.05)
    assert "http" not in note and "Column treat" not in note and "\n" not in note


def test_validate_hr_of_an_arm_without_events_is_nan_and_a_warning_not_a_crash(tmp_path):
    # before: lifelines' CI lower bound underflowed to 0 and math.log(0) raised ValueError
    rep = {"arms": {"6-MP": {"n": 21}}, "comparison": {"arm": "6-MP", "reference": "Placebo", "hr": 0.22,
                                                         "hr_ci": [0.1, 0.5], "cox_p": 0.001, "logrank_p": 0.001}}
    result = validate(_no_events(), rep)
    hr = result.table.set_index("statistic")
    for stat in ("hr", "hr_ci_lower", "hr_ci_upper", "cox_p"):
        assert math.isnan(hr.loc[stat, "reconstructed"]) and hr.loc[stat, "status"] == "fail"
    assert hr.loc["logrank_p", "reconstructed"] < 1e-6
    assert any("'6-MP' has no events in the IPD, so the hazard ratio" in w for w in result.warnings)
    assert not any("Error" in w for w in result.warnings)
    _no_events().to_csv(tmp_path / "ipd.csv", index=False)
    (tmp_path / "r.toml").write_text('[arms."6-MP"]\nn = 21\n[comparison]\narm = "6-MP"\nreference = "Placebo"\n'
                                     "hr = 0.22\nhr_ci = [0.1, 0.5]\n")
    cli = CliRunner().invoke(main_group, ["validate", str(tmp_path / "ipd.csv"), "--reported", str(tmp_path / "r.toml")])
    assert cli.exit_code == 1, cli.output  # a reported statistic not reproduced: exit 1, not a crash
    assert "Traceback" not in cli.output


def test_validate_log_scale_with_an_underflowed_bound_fails_cleanly():
    # complete separation: lifelines "converges" to HR ~6e7 with a CI of exactly 0 to inf; the
    # log-scale difference of the 0 bound used to raise "math domain error"
    ipd = pd.DataFrame({"arm": ["A"] * 4 + ["B"] * 4, "time": [1.0, 2, 3, 4, 5, 6, 7, 8],
                        "event": [1, 1, 1, 1, 1, 0, 0, 0]})
    result = validate(ipd, {"comparison": {"arm": "A", "reference": "B", "hr": 5, "hr_ci": [1, 20]}})
    table = result.table.set_index("statistic")
    assert table.loc["hr_ci_lower", "reconstructed"] == 0.0
    assert table.loc["hr_ci_lower", "difference"] == -math.inf
    assert math.isinf(table.loc["hr_ci_upper", "reconstructed"])
    assert (table["status"] == "fail").all() and table.loc["hr", "reconstructed"] > 1e6
    assert any("A vs B: lifelines warned that the Cox model may not have converged" in w for w in result.warnings)


# --------------------------------------------------------------------------------------------
# 7. library messages name the Python argument as well as the CLI option


def test_messages_name_both_the_option_and_the_argument():
    with pytest.raises(KmipdError) as info:
        analyze(_leukemia(), tau=1e3, parametric=False)
    assert "--tau on the command line, tau= in Python" in str(info.value)
    with pytest.raises(KmipdError) as info:
        analyze(_leukemia(), reference="Nope", parametric=False)
    assert "--reference on the command line, reference= in Python" in str(info.value)
