"""kmipd.validate: reported-statistics file, checks against IPD, ``kmipd validate``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times

from kmipd.cli import main_group
from kmipd.errors import KmipdError
from kmipd.testing.datasets import load_ipd
from kmipd.validate import DEFAULT_TOLERANCES, load_reported, validate

RESORT = Path(__file__).resolve().parents[2] / "figures" / "resort"
REF, EXP = "No hormone therapy", "Hormone therapy"


def _toml_value(v) -> str:
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, float) and math.isinf(v):
        return '"NA"'
    return repr(float(v)) if isinstance(v, float) else repr(v)


def _exact_stats(ipd: pd.DataFrame) -> dict:
    """The statistics of ``ipd``, computed by lifelines right here (the test's own truth)."""
    arms = {}
    for arm in (REF, EXP):
        d = ipd[ipd["arm"] == arm]
        kmf = KaplanMeierFitter().fit(d["time"], d["event"])
        ci = median_survival_times(kmf.confidence_interval_).iloc[0].to_numpy()
        band = kmf.confidence_interval_survival_function_
        arms[arm] = {
            "n": len(d), "events": int(d["event"].sum()),
            "median": float(kmf.median_survival_time_), "median_ci": [float(ci[0]), float(ci[1])],
            "landmarks": {t: float(kmf.survival_function_at_times([t]).iloc[0]) for t in (365, 1095)},
            "landmark_ci": {365: [float(v) for v in band[band.index <= 365].iloc[-1]]},
        }
    a, b = ipd[ipd["arm"] == EXP], ipd[ipd["arm"] == REF]
    design = pd.DataFrame({"time": ipd["time"], "event": ipd["event"],
                           "x": (ipd["arm"] == EXP).astype(float)})
    cph = CoxPHFitter().fit(design, "time", "event")
    comparison = {
        "hr": float(cph.hazard_ratios_["x"]),
        "hr_ci": [float(v) for v in np.exp(cph.confidence_intervals_.loc["x"])],
        "cox_p": float(cph.summary.loc["x", "p"]),
        "logrank_p": float(logrank_test(a["time"], b["time"], a["event"], b["event"]).p_value),
    }
    follow_up = float(KaplanMeierFitter().fit(ipd["time"], 1 - ipd["event"]).median_survival_time_)
    return {"arms": arms, "comparison": comparison, "follow_up": follow_up}


def _write_toml(path: Path, stats: dict) -> Path:
    lines = ["[source]", 'citation = "test"', "", "[study]", 'time_unit = "days"',
             f'reference_arm = "{REF}"', f"median_follow_up = {stats['follow_up']!r}", ""]
    for arm, s in stats["arms"].items():
        lines += [f'[arms."{arm}"]', f"n = {s['n']}", f"events = {s['events']}",
                  f"median = {_toml_value(s['median'])}",
                  f"median_ci = [{', '.join(_toml_value(v) for v in s['median_ci'])}]",
                  "landmarks = { " + ", ".join(f"{t} = {v!r}" for t, v in s["landmarks"].items()) + " }",
                  "landmark_ci = { " + ", ".join(f"{t} = [{v[0]!r}, {v[1]!r}]"
                                                 for t, v in s["landmark_ci"].items()) + " }", ""]
    c = stats["comparison"]
    lines += ["[comparison]", f'arm = "{EXP}"', f"hr = {c['hr']!r}",
              f"hr_ci = [{c['hr_ci'][0]!r}, {c['hr_ci'][1]!r}]", f"cox_p = {c['cox_p']!r}",
              f"logrank_p = {c['logrank_p']!r}"]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def gbsg2():
    ipd = load_ipd("gbsg2")
    return ipd, _exact_stats(ipd)


def test_exact_statistics_pass(gbsg2, tmp_path):
    ipd, stats = gbsg2
    result = validate(ipd, _write_toml(tmp_path / "r.toml", stats))
    table = result.table
    assert result.passed, result.format()
    assert list(table.columns[:7]) == ["statistic", "arm", "reported", "reconstructed",
                                       "difference", "tolerance", "pass"]
    assert list(table.columns[7:]) == ["scale", "status"] and (table["status"] == "pass").all()
    assert not result.notes and result.data_cut is None  # the IPD is at the report's follow-up
    # 2 arms x (n, events, median, 2 CI, 2 landmarks, 2 landmark CI) + follow-up + hr, 2 CI, 2 p
    assert len(table) == 2 * 9 + 1 + 5
    assert np.allclose(table["difference"].fillna(0), 0, atol=1e-9)
    upper = table[(table["statistic"] == "median_ci_upper") & (table["arm"] == EXP)].iloc[0]
    assert math.isinf(upper["reported"]) and math.isinf(upper["reconstructed"]) and upper["pass"]


def test_perturbed_lines_fail_exactly(gbsg2, tmp_path):
    ipd, stats = gbsg2
    s = json.loads(json.dumps(stats))  # deep copy with str keys
    s["arms"][REF]["landmarks"]["365"] += 0.04            # 4 points > 2.5
    s["arms"][EXP]["median"] *= 1.2                        # ~400 days > 5% of follow-up
    s["arms"][REF]["events"] += 15                         # > max(1, 5%)
    s["comparison"]["hr"] *= 1.25                          # log 0.22 > 0.1
    s["comparison"]["logrank_p"] = 0.2                     # z 1.28 vs 2.93
    s["arms"][EXP]["median_ci"][1] = 2500.0                # reported bound, IPD bound not reached
    result = validate(ipd, _write_toml(tmp_path / "r.toml", s))
    failed = set(zip(result.failures["statistic"], result.failures["arm"], strict=True))
    comparison = f"{EXP} vs {REF}"
    assert failed == {("survival_at_365", REF), ("median", EXP), ("events", REF),
                      ("hr", comparison), ("logrank_p", comparison), ("median_ci_upper", EXP)}
    assert not result.passed


def test_percent_and_fraction_agree(gbsg2):
    ipd, _ = gbsg2
    kmf = KaplanMeierFitter().fit(ipd.loc[ipd["arm"] == REF, "time"], ipd.loc[ipd["arm"] == REF, "event"])
    s = float(kmf.survival_function_at_times([1000]).iloc[0])
    frac = validate(ipd, {"arms": {REF: {"landmarks": {"1000": round(s, 2)}}}})
    pct = validate(ipd, {"arms": {REF: {"landmarks": {"1000": round(100 * s)}}}})
    assert frac.table["reported"].iloc[0] == pytest.approx(pct.table["reported"].iloc[0], abs=0.005)
    assert frac.passed and pct.passed


def test_tolerance_section_and_dotted_landmark(gbsg2):
    ipd, _ = gbsg2
    rep = load_reported({"arms": {REF: {"landmarks": {"12": {"5": 0.9}}}},
                         "tolerance": {"landmark": 0.5}})
    assert rep.arms[REF].landmarks == {12.5: 0.9}
    assert rep.tolerance.landmark == 0.5 and rep.tolerance.log_hr == DEFAULT_TOLERANCES.log_hr


def test_p_value_upper_bound(gbsg2):
    ipd, stats = gbsg2
    ok = validate(ipd, {"arms": {REF: {}, EXP: {}}, "study": {"reference_arm": REF},
                        "comparison": {"logrank_p": "<0.01"}})
    assert ok.passed and ok.table["scale"].iloc[0] == "z<"
    bad = validate(ipd, {"arms": {REF: {}, EXP: {}}, "study": {"reference_arm": REF},
                         "comparison": {"logrank_p": "<0.0001"}})
    assert not bad.passed


def test_arm_names_match_ignoring_case_and_ipd_arm_alias(gbsg2):
    ipd, stats = gbsg2
    n = stats["arms"][REF]["n"]
    assert validate(ipd, {"arms": {"no HORMONE  therapy": {"n": n}}}).passed
    assert validate(ipd, {"arms": {"Control": {"ipd_arm": REF, "n": n}}}).passed


@pytest.mark.parametrize("data, words", [
    ({"arms": {"Placebo": {"n": 3}}}, ["Placebo", "No hormone therapy", "Hormone therapy"]),
    ({"arms": {REF: {"median_ci": [1, 2, 3]}}}, ["median_ci", "[lower, upper]"]),
    ({"arms": {REF: {"landmark": {"12": 0.5}}}}, ["unknown key 'landmark'", "landmarks"]),
    ({"arms": {REF: {"landmarks": {"12": 140}}}}, ["outside"]),
    ({"arms": {REF: {}}, "comparison": {"logrank_p": 1.5}}, ["p-value"]),
    ({"arms": {REF: {}}, "tolerance": {"landmark": -1}}, [">= 0"]),
    ({"source": {"citation": "x"}}, ["no statistics", "[arms"]),
    ({"study": {"median_follow_up": -3}, "arms": {REF: {}}}, ["median_follow_up", "a time > 0"]),
    ({"study": {"median_follow_up": "NA"}, "arms": {REF: {}}}, ["median_follow_up", "a time > 0"]),
    ({"study": {"n": -1}, "arms": {REF: {}}}, ["[study] n", "count >= 0"]),
])
def test_bad_reported_raises_one_line(gbsg2, data, words):
    ipd, _ = gbsg2
    with pytest.raises(KmipdError) as info:
        validate(ipd, data)
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_malformed_toml_is_one_line_error(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[arms."A"\nn = 3\n')
    with pytest.raises(KmipdError, match="not valid TOML"):
        load_reported(bad)
    with pytest.raises(KmipdError, match="does not exist"):
        load_reported(tmp_path / "missing.toml")


def test_resort_ipd_matches_its_reported_numbers():
    result = validate(RESORT / "ipd.csv", RESORT / "reported.toml")
    assert result.passed, result.format()
    assert len(result.table) == 16
    # the IPD was built to the printed precision, far inside the tolerances
    land = result.table[result.table["statistic"].str.startswith("survival_at")]
    assert (land["difference"].abs() < 0.005).all()
    medians = result.table[result.table["statistic"] == "median"]
    assert (medians["difference"].abs() < 0.05).all()


@pytest.mark.parametrize("name", ["reported_extended.toml", "reported_interim.toml"])
def test_resort_other_reports_load_and_run(name):
    rep = load_reported(RESORT / name)
    assert set(rep.arms) == {"Observation", "Sorafenib"} and rep.arms["Sorafenib"].n == 32
    result = validate(RESORT / "ipd.csv", rep)  # a different data cut: some lines fail, none errs
    assert len(result.table) > 10


def _cli(args):
    return CliRunner().invoke(main_group, args, catch_exceptions=False)


def test_cli_validate_exit_codes_and_files(gbsg2, tmp_path):
    ipd, stats = gbsg2
    ipd_csv = tmp_path / "ipd.csv"
    ipd.to_csv(ipd_csv, index=False)
    good = _write_toml(tmp_path / "good.toml", stats)
    out = tmp_path / "out"
    res = _cli(["validate", str(ipd_csv), "--reported", str(good), "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "checks passed" in res.output and "FAIL" not in res.output
    assert {"validation.csv", "validation.json", "report.html"} <= {p.name for p in out.iterdir()}
    saved = json.loads((out / "validation.json").read_text())
    assert saved["passed"] is True and saved["n_failed"] == 0
    assert len(pd.read_csv(out / "validation.csv")) == saved["n_checks"]

    s = json.loads(json.dumps(stats))
    s["comparison"]["hr"] *= 2
    bad = _write_toml(tmp_path / "bad.toml", s)
    res = _cli(["validate", str(ipd_csv), "--reported", str(bad)])
    assert res.exit_code == 1 and "FAIL" in res.output


def test_cli_validate_bad_input_exit_2(gbsg2, tmp_path):
    ipd, _ = gbsg2
    ipd_csv = tmp_path / "ipd.csv"
    ipd.to_csv(ipd_csv, index=False)
    broken = tmp_path / "broken.toml"
    broken.write_text("[study\n")
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[arms."Placebo"]\nn = 10\n')
    for reported, word in ((broken, "not valid TOML"), (unknown, "'Placebo' is not in the IPD")):
        res = CliRunner().invoke(main_group, ["validate", str(ipd_csv), "--reported", str(reported)])
        assert res.exit_code == 2
        assert word in res.output and "Traceback" not in res.output
        assert len([line for line in res.output.splitlines() if line.startswith("error:")]) == 1
