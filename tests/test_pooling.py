"""kmipd.pooling and ``kmipd pool``: lifelines directly, and inverse-variance / DerSimonian-Laird by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import CoxPHFitter
from scipy import stats

from kmipd.cli import main_group
from kmipd.errors import KmipdError
from kmipd.pooling import PooledAnalysis, Study, pool, read_manifest, two_stage
from kmipd.testing.datasets import load_ipd

# four real trials with quite different effects: heterogeneous on purpose (tau^2 > 0)
TRIALS = [
    ("GBSG2", "gbsg2", "Hormone therapy", "No hormone therapy"),
    ("Rossi", "rossi", "Financial aid", "No aid"),
    ("Leukemia", "leukemia", "6-MP", "Placebo"),
    ("Lung", "lung", "Female", "Male"),
]


def _studies():
    return [(name, load_ipd(data), t, c) for name, data, t, c in TRIALS]


def _gbsg2_by_grade():
    from lifelines.datasets import load_gbsg2

    raw = load_gbsg2()
    return [(f"grade {g}", pd.DataFrame({"arm": rows["horTh"], "time": rows["time"], "event": rows["cens"]}), "yes", "no")
            for g, rows in raw.groupby("tgrade")]


def direct_meta(y, se):
    """Inverse-variance and DerSimonian-Laird pooling written out (Borenstein et al. 2009, ch. 11-16)."""
    y, v = np.asarray(y, float), np.asarray(se, float) ** 2
    w = 1 / v
    fe = np.sum(w * y) / np.sum(w)
    q = np.sum(w * (y - fe) ** 2)
    df = len(y) - 1
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    tau2 = max(0.0, (q - df) / c)
    ws = 1 / (v + tau2)
    re = np.sum(ws * y) / np.sum(ws)
    i2 = 1 - df / q if q > df else 0.0  # (q - df) / q, 0 unless q > df (no overflow for tiny q)
    return dict(fe=fe, fe_se=np.sqrt(1 / np.sum(w)), re=re, re_se=np.sqrt(1 / np.sum(ws)), q=q, tau2=tau2, i2=i2,
                w_fe=w / w.sum(), w_re=ws / ws.sum())


@pytest.fixture(scope="module")
def pooled():
    return pool(_studies())


def test_per_study_estimates_are_lifelines_cox(pooled):
    for (name, ipd, t, c), row in zip(_studies(), pooled.studies_.itertuples(), strict=True):
        pair = ipd[ipd["arm"].isin([t, c])]
        data = pd.DataFrame({"time": pair["time"], "event": pair["event"], "x": (pair["arm"] == t).astype(int)})
        s = CoxPHFitter().fit(data, "time", "event").summary.loc["x"]
        assert row.study == name
        assert row.log_hr == pytest.approx(s["coef"], rel=1e-9)
        assert row.se_log_hr == pytest.approx(s["se(coef)"], rel=1e-9)
        assert (row.n_treatment, row.events_control) == ((pair["arm"] == t).sum(), pair.loc[pair["arm"] == c, "event"].sum())


def test_two_stage_matches_direct_formulas_with_heterogeneity(pooled):
    d = direct_meta(pooled.studies_["log_hr"], pooled.studies_["se_log_hr"])
    assert d["tau2"] > 0  # the case this test is for
    fixed, random = pooled.pooled_.loc["fixed"], pooled.pooled_.loc["random"]
    assert (fixed["log_hr"], fixed["se_log_hr"]) == pytest.approx((d["fe"], d["fe_se"]), rel=1e-10)
    assert (random["log_hr"], random["se_log_hr"]) == pytest.approx((d["re"], d["re_se"]), rel=1e-10)
    h = pooled.heterogeneity_
    assert (h["q"], h["tau2"], h["i2"]) == pytest.approx((d["q"], d["tau2"], d["i2"]), rel=1e-10)
    assert h["p"] == pytest.approx(stats.chi2.sf(d["q"], 3))
    assert pooled.studies_["weight_random"].to_numpy() == pytest.approx(d["w_re"])
    z = stats.norm.ppf(0.975)
    assert random["hr_lower"] == pytest.approx(np.exp(d["re"] - z * d["re_se"]))
    assert random["p"] == pytest.approx(2 * stats.norm.sf(abs(d["re"] / d["re_se"])))


def test_homogeneous_studies_truncate_tau2_at_zero():
    # Q < df here: statsmodels' raw DL estimate is negative; DL truncates it, making RE == FE
    res = pool(_gbsg2_by_grade())
    d = direct_meta(res.studies_["log_hr"], res.studies_["se_log_hr"])
    assert d["q"] < 2 and res.heterogeneity_["tau2"] == 0 and res.heterogeneity_["i2"] == 0
    assert res.pooled_.loc["random", "log_hr"] == pytest.approx(d["re"], rel=1e-10)
    assert res.pooled_.loc["random", "se_log_hr"] == pytest.approx(d["re_se"], rel=1e-10)
    assert (res.studies_["weight_random"] > 0).all()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-2, 2), st.floats(0.05, 1.0)), min_size=2, max_size=8))
def test_two_stage_property(rows):
    y, se = np.array(rows).T
    got, d = two_stage(y, se), direct_meta(y, se)
    assert got["fixed"] == pytest.approx((d["fe"], d["fe_se"]), rel=1e-8, abs=1e-12)
    assert got["random"] == pytest.approx((d["re"], d["re_se"]), rel=1e-8, abs=1e-12)
    assert got["heterogeneity"]["tau2"] == pytest.approx(d["tau2"], rel=1e-8, abs=1e-12)


def test_one_stage_is_stratified_cox(pooled):
    parts = []
    for name, ipd, t, c in _studies():
        pair = ipd[ipd["arm"].isin([t, c])]
        parts.append(pd.DataFrame({"s": name, "time": pair["time"], "event": pair["event"], "x": (pair["arm"] == t).astype(int)}))
    s = CoxPHFitter().fit(pd.concat(parts), "time", "event", strata=["s"]).summary.loc["x"]
    row = pooled.pooled_.loc["one_stage"]
    assert (row["log_hr"], row["se_log_hr"], row["p"]) == pytest.approx((s["coef"], s["se(coef)"], s["p"]), rel=1e-8)


def test_outputs(pooled, tmp_path):
    files = pooled.to_folder(tmp_path)
    assert set(files) == {"studies", "pooled", "json", "forest_png"}
    data = json.loads((tmp_path / "pooling.json").read_text())
    assert [r["key"] for r in data["pooled"]] == ["one_stage", "fixed", "random"]
    assert (tmp_path / "forest.png").stat().st_size > 10_000
    assert "DerSimonian-Laird" in pooled.format() and "I^2" in str(pooled)
    summary = pooled.summary
    assert summary["study"].tolist() == [*pooled.studies_["study"], *pooled.pooled_["method"]]
    np.testing.assert_allclose(summary["hr"], [*pooled.studies_["hr"], *pooled.pooled_["hr"]])
    assert summary["n_treatment"].iloc[-3:].isna().all() and summary["weight_fixed"].iloc[0] > 0


def _write_studies(tmp_path):
    for name, data, _, _ in TRIALS[:3]:
        folder = tmp_path / name
        folder.mkdir()
        load_ipd(data).to_csv(folder / "ipd.csv", index=False)
    text = "\n".join(f'[[study]]\nname = "{n}"\nipd = "{n}/ipd.csv"\ntreatment = "{t}"\ncontrol = "{c}"\n' for n, _, t, c in TRIALS[:3])
    (tmp_path / "studies.toml").write_text(text)
    return tmp_path / "studies.toml"


def test_manifest_reads_relative_paths_and_defaults(tmp_path):
    manifest = _write_studies(tmp_path)
    res = pool(manifest)
    assert res.studies_["study"].tolist() == ["GBSG2", "Rossi", "Leukemia"]
    (tmp_path / "defaults.toml").write_text('treatment = "6-MP"\n[[study]]\nipd = "Leukemia/ipd.csv"\ncontrol = "Placebo"\n')
    assert read_manifest(tmp_path / "defaults.toml")[0].treatment == "6-MP"


@pytest.mark.parametrize("edit, match", [
    (lambda s: s.replace("Rossi/ipd.csv", "Nowhere/ipd.csv"), "study 'Rossi': IPD file .* does not exist"),
    (lambda s: s.replace('control = "No aid"', 'control = "Aid"'), "study 'Rossi': control arm 'Aid' is not in its IPD"),
    (lambda s: "[[study]]" + s.split("[[study]]")[1], "at least 2 studies, got 1"),
    (lambda s: s.replace('"Rossi"', '"GBSG2"'), "more than once"),
    (lambda s: s.replace('control = "No aid"', 'contol = "No aid"'), "study 'Rossi'.*unknown key"),
    (lambda s: s + "[[study", "not valid TOML"),
    (lambda s: "", "no \\[\\[study\\]\\] tables"),
])
def test_bad_manifests_raise_one_line_naming_the_study(tmp_path, edit, match):
    manifest = _write_studies(tmp_path)
    manifest.write_text(edit(manifest.read_text()))
    with pytest.raises(KmipdError, match=match) as exc:
        pool(manifest)
    assert "\n" not in str(exc.value)


def test_bad_study_lists():
    ipd = load_ipd("leukemia")
    with pytest.raises(KmipdError, match="same arm"):
        pool([("a", ipd, "6-MP", "6-MP"), ("b", ipd, "6-MP", "Placebo")])
    no_events = ipd.assign(event=np.where(ipd["arm"] == "6-MP", 0, ipd["event"]))
    with pytest.raises(KmipdError, match="study 'b': treatment arm '6-MP' has no events"):
        pool([Study("a", ipd, "6-MP", "Placebo"), Study("b", no_events, "6-MP", "Placebo")])
    with pytest.raises(KmipdError, match="alpha"):
        PooledAnalysis(alpha=2)


def test_cli_pool_paths_and_manifest(tmp_path):
    manifest = _write_studies(tmp_path)
    for name in ("GBSG2", "Rossi"):  # give them common arm names so one --treatment/--control fits all
        p = tmp_path / name / "ipd.csv"
        d = pd.read_csv(p)
        d["arm"] = np.where(d["arm"].isin(["Hormone therapy", "Financial aid"]), "T", "C")
        d.to_csv(p, index=False)
    runner = CliRunner()
    out = tmp_path / "o1"
    r = runner.invoke(main_group, ["pool", str(tmp_path / "GBSG2/ipd.csv"), str(tmp_path / "Rossi/ipd.csv"),
                                   "--treatment", "T", "--control", "C", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert pd.read_csv(out / "studies.csv")["study"].tolist() == ["GBSG2", "Rossi"]
    assert (out / "forest.png").is_file() and (out / "pooled.csv").is_file() and (out / "pooling.json").is_file()
    manifest.write_text('treatment = "T"\ncontrol = "C"\n[[study]]\nname = "G"\nipd = "GBSG2/ipd.csv"\n'
                        '[[study]]\nname = "R"\nipd = "Rossi/ipd.csv"\n')
    r = runner.invoke(main_group, ["pool", "--manifest", str(manifest)])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "pooled" / "pooling.json").is_file()


@pytest.mark.parametrize("args", [
    ["{a}", "--treatment", "T", "--control", "C"],
    ["{a}", "{b}", "--treatment", "T"],
    ["{a}", "{b}", "--treatment", "T", "--control", "Nope"],
    ["{a}", "{missing}", "--treatment", "T", "--control", "C"],
    ["--manifest", "{missing}"],
    [],
])
def test_cli_pool_bad_input_exits_2_with_one_line(tmp_path, args):
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        load_ipd("leukemia").replace({"6-MP": "T", "Placebo": "C"}).to_csv(tmp_path / name / "ipd.csv", index=False)
    paths = {k: tmp_path / k / "ipd.csv" for k in ("a", "b", "missing")}
    result = CliRunner().invoke(main_group, ["pool", *[a.format(**paths) for a in args], "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
