"""kmipd.analysis and ``kmipd analyze``: every statistic against lifelines computed here directly."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from lifelines import CoxPHFitter, KaplanMeierFitter, WeibullFitter
from lifelines.statistics import logrank_test, multivariate_logrank_test, proportional_hazard_test
from lifelines.utils import median_survival_times, restricted_mean_survival_time
from scipy import stats

from kmipd.analysis import MODELS, ParametricFits, SurvivalAnalysis, analyze, rmst_with_se
from kmipd.cli import main_group
from kmipd.errors import KmipdError
from kmipd.testing.datasets import load_ipd


def _arm(ipd, arm):
    return ipd[ipd["arm"] == arm]


def _reject(constant):
    raise AssertionError(f"non-standard JSON constant {constant}")


def _km(rows):
    return KaplanMeierFitter().fit(rows["time"], rows["event"])


@pytest.fixture(scope="module")
def larynx():
    ipd = load_ipd("larynx")
    return ipd, analyze(ipd, landmarks=[1, 3, 9], parametric=False)


@pytest.fixture(scope="module")
def leukemia():
    ipd = load_ipd("leukemia")
    return ipd, analyze(ipd, reference="Placebo", horizon=60)


def test_per_arm_matches_lifelines(larynx):
    ipd, res = larynx
    assert res.reference_ == "Stage I"  # first alphabetically
    assert res.tau_ == ipd.groupby("arm")["time"].max().min()
    for row in res.per_arm_.itertuples():
        rows = _arm(ipd, row.arm)
        kmf = _km(rows)
        ci = median_survival_times(kmf.confidence_interval_)
        assert (row.n, row.events) == (len(rows), rows["event"].sum())
        assert row.median == kmf.median_survival_time_
        assert (row.median_lower, row.median_upper) == (ci.iloc[0, 0], ci.iloc[0, 1])
        assert row.rmst == pytest.approx(restricted_mean_survival_time(kmf, t=res.tau_), rel=1e-12)
        z = stats.norm.ppf(0.975)
        assert row.rmst_lower == pytest.approx(row.rmst - z * row.rmst_se)


def test_landmarks_match_lifelines(larynx):
    ipd, res = larynx
    for row in res.landmarks_.itertuples():
        rows = _arm(ipd, row.arm)
        kmf = _km(rows)
        if row.time > rows["time"].max():
            assert math.isnan(row.survival) and row.note == "beyond follow-up"
            continue
        assert row.survival == pytest.approx(kmf.survival_function_at_times(row.time).iloc[0])
        ci = kmf.confidence_interval_
        at = ci[ci.index <= row.time].iloc[-1]
        assert (row.lower, row.upper) == pytest.approx((at.iloc[0], at.iloc[1]))
        assert row.n_at_risk == (rows["time"] >= row.time).sum()
    assert (res.landmarks_["time"] == 9).any() and res.landmarks_["survival"].isna().any()


def test_comparisons_match_lifelines(larynx):
    ipd, res = larynx
    assert len(res.comparisons_) == 3
    for row in res.comparisons_.itertuples():
        pair = ipd[ipd["arm"].isin([row.arm, res.reference_])]
        data = pd.DataFrame({"time": pair["time"], "event": pair["event"], "x": (pair["arm"] == row.arm).astype(int)})
        cph = CoxPHFitter().fit(data, "time", "event")
        s = cph.summary.loc["x"]
        assert row.log_hr == pytest.approx(s["coef"], rel=1e-9)
        assert row.se_log_hr == pytest.approx(s["se(coef)"], rel=1e-9)
        assert (row.hr_lower, row.hr_upper) == pytest.approx((s["exp(coef) lower 95%"], s["exp(coef) upper 95%"]))
        assert row.hr_p == pytest.approx(s["p"])
        ph = proportional_hazard_test(cph, data.sample(frac=1, random_state=1), time_transform="km")
        assert row.ph_p == pytest.approx(float(ph.summary["p"].iloc[0]))
        a, r = _arm(ipd, row.arm), _arm(ipd, res.reference_)
        lr = logrank_test(a["time"], r["time"], a["event"], r["event"])
        assert (row.logrank_statistic, row.logrank_p) == pytest.approx((lr.test_statistic, lr.p_value))
    overall = multivariate_logrank_test(ipd["time"], ipd["arm"], ipd["event"])
    assert res.overall_logrank_["p"] == pytest.approx(overall.p_value)
    assert res.overall_logrank_["df"] == 3


def test_rmst_difference_se_from_per_arm_values(larynx):
    _, res = larynx
    per = res.per_arm_.set_index("arm")
    ref = per.loc[res.reference_]
    for row in res.comparisons_.itertuples():
        arm = per.loc[row.arm]
        assert row.rmst_diff == pytest.approx(arm["rmst"] - ref["rmst"])
        assert row.rmst_diff_se == pytest.approx(math.sqrt(arm["rmst_se"] ** 2 + ref["rmst_se"] ** 2))
        assert row.rmst_diff_p == pytest.approx(2 * stats.norm.sf(abs(row.rmst_diff / row.rmst_diff_se)))
        assert row.rmst_diff_lower < row.rmst_diff < row.rmst_diff_upper


def test_rmst_se_without_censoring_is_lifelines_variance_over_n():
    # lifelines' return_variance is Var[min(T, tau)]; without censoring the estimator's variance is that / n
    t = np.random.default_rng(3).exponential(10.0, 300)
    kmf = KaplanMeierFitter().fit(t, np.ones_like(t))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mean, var = restricted_mean_survival_time(kmf, t=15.0, return_variance=True)
    rmst, se = rmst_with_se(kmf, 15.0)
    assert rmst == pytest.approx(mean)
    assert se**2 == pytest.approx(var / t.size, rel=2e-3)
    assert se**2 == pytest.approx(np.minimum(t, 15.0).var() / t.size, rel=1e-9)


def test_rmst_se_with_censoring_matches_bootstrap():
    ipd = _arm(load_ipd("lung"), "Male")
    tau = 700.0
    _, se = rmst_with_se(_km(ipd), tau)
    rng = np.random.default_rng(0)
    boot = [restricted_mean_survival_time(_km(ipd.iloc[rng.integers(0, len(ipd), len(ipd))]), t=tau) for _ in range(300)]
    assert se == pytest.approx(np.std(boot, ddof=1), rel=0.15)


def test_parametric_fits_match_lifelines_and_failures_are_rows(leukemia):
    ipd, res = leukemia
    fits = res.parametric_.fits_
    assert len(fits) == 2 * len(MODELS)
    w = fits[(fits["arm"] == "Placebo") & (fits["model"] == "weibull")].iloc[0]
    rows = _arm(ipd, "Placebo")
    direct = WeibullFitter().fit(rows["time"], rows["event"])
    assert w["aic"] == pytest.approx(direct.AIC_)
    assert w["bic"] == pytest.approx(-2 * direct.log_likelihood_ + 2 * math.log(len(rows)))
    assert w["survival_at_horizon"] == pytest.approx(direct.survival_function_at_times(60).iloc[0])
    # lifelines' generalised gamma does not converge on the 6-MP arm: reported, not raised
    gg = fits[(fits["arm"] == "6-MP") & (fits["model"] == "generalized_gamma")].iloc[0]
    assert gg["status"] == "failed" and "ConvergenceError" in gg["note"] and math.isnan(gg["aic"])
    assert set(res.parametric_.best_["arm"]) == {"6-MP", "Placebo"}
    assert res.parametric_.summary is res.parametric_.fits_ and "Parametric fits" in str(res.parametric_)
    assert res.comparisons_["arm"].tolist() == ["6-MP"]


def test_no_events_and_time_zero_do_not_crash():
    ipd = pd.DataFrame({"arm": ["A"] * 6 + ["B"] * 6, "time": [0, 1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 6],
                        "event": [1, 1, 0, 1, 0, 1] + [0] * 6})
    res = SurvivalAnalysis().fit(ipd, parametric=False)
    assert len(res.comparisons_) == 1
    fits = ParametricFits(models=["exponential", "weibull"]).fit(ipd).fits_
    assert (fits.loc[fits["arm"] == "B", "status"] == "failed").all()
    assert fits.loc[fits["arm"] == "A", "note"].str.contains("times of 0").all()


@pytest.mark.parametrize("kwargs, match", [
    (dict(reference="Nope"), "reference arm 'Nope'"),
    (dict(tau=1e6), "beyond the follow-up"),
    (dict(tau=-1), "positive"),
    (dict(landmarks=[-3]), "landmark"),
])
def test_bad_options_raise_one_line(kwargs, match):
    with pytest.raises(KmipdError, match=match) as exc:
        analyze(load_ipd("leukemia"), parametric=False, **kwargs)
    assert "\n" not in str(exc.value)


def test_to_folder_and_summary(larynx, tmp_path):
    _, res = larynx
    files = res.to_folder(tmp_path)
    for name in ("per_arm.csv", "landmarks.csv", "comparisons.csv", "analysis.json", "km.png"):
        assert (tmp_path / name).stat().st_size > 0
    data = json.loads((tmp_path / "analysis.json").read_text(), parse_constant=_reject)
    assert data["reference"] == "Stage I" and len(data["comparisons"]) == 3
    assert pd.read_csv(files["per_arm"])["n"].sum() == 90
    assert "Overall log-rank" in res.format() and "Versus 'Stage I'" in str(res)
    pd.testing.assert_frame_equal(res.summary, res.per_arm_)


def test_cli_analyze_writes_everything(tmp_path):
    load_ipd("leukemia").to_csv(tmp_path / "ipd.csv", index=False)
    out = tmp_path / "out"
    result = CliRunner().invoke(main_group, ["analyze", str(tmp_path / "ipd.csv"), "--reference", "Placebo",
                                             "--tau", "20", "--landmarks", "10,20", "--horizon", "50", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "HR (95% CI)" in result.output and "Parametric fits" in result.output
    for name in ("per_arm.csv", "landmarks.csv", "comparisons.csv", "analysis.json", "km.png",
                 "parametric.csv", "parametric_curves.csv", "parametric.png"):
        assert (out / name).is_file(), name
    data = json.loads((out / "analysis.json").read_text(), parse_constant=_reject)
    assert data["tau"] == 20
    assert None in [f["aic"] for f in data["parametric"]["fits"]]  # the failed generalised gamma fit


@pytest.mark.parametrize("args", [
    ["missing.csv"],
    ["{ipd}", "--reference", "Nope"],
    ["{ipd}", "--tau", "1000"],
    ["{ipd}", "--landmarks", "a,b"],
    ["{bad}"],
])
def test_cli_analyze_bad_input_exits_2_with_one_line(tmp_path, args):
    load_ipd("leukemia").to_csv(tmp_path / "ipd.csv", index=False)
    (tmp_path / "bad.csv").write_text("arm,time,event\nA,1,2\n")
    args = [a.format(ipd=tmp_path / "ipd.csv", bad=tmp_path / "bad.csv") for a in args]
    result = CliRunner().invoke(main_group, ["analyze", *args, "--no-parametric", "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
