"""Correcting a digitization in ``kmipd run`` (issue 16): a typed at-risk table, arm names,
curves from another digitizer, the record of every override and assumption, the analyst's part
of the report, and the report of a run that stops.

The RESORT figure is digitized once per session (``resort_run`` in conftest); the runs here reuse
that reading (the digitizer is not under test) except where the figure itself must fail.
"""

from __future__ import annotations

import importlib
import re

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import RESORT

from kmipd.cli import main_group

FIGURE, REPORTED = RESORT / "figure.png", RESORT / "reported.toml"


@pytest.fixture
def cached_digitize(resort_run, monkeypatch):
    """``kmipd.digitize.digitize`` returns the session's RESORT reading (whatever the figure)."""
    result, _ = resort_run
    module = importlib.import_module("kmipd.digitize")  # the module, not kmipd.digitize_figure
    monkeypatch.setattr(module, "digitize", lambda *a, **k: result.digitization)
    return result


def _invoke(*args):
    return CliRunner().invoke(main_group, ["run", *map(str, args)])


def _write_wpd(curves: pd.DataFrame, names: list[str], path) -> None:
    """``curves`` as WebPlotDigitizer's "Export all datasets" CSV: names each spanning two columns,
    then X,Y pairs, blank cells where a dataset has fewer points."""
    arms = list(dict.fromkeys(curves["arm"]))
    points = [curves.loc[curves["arm"] == arm, ["time", "survival"]].to_numpy() for arm in arms]
    rows = [",".join(f"{name}," for name in names).rstrip(","), ",".join(["X,Y"] * len(arms))]
    for i in range(max(len(p) for p in points)):
        rows.append(",".join(f"{float(p[i, 0])!r},{float(p[i, 1])!r}" if i < len(p) else "," for p in points))
    path.write_text("\n".join(rows) + "\n")


def _text(html: str) -> str:
    return re.sub(r"src='data:[^']*'", "", html)


# -- the analyst's report ------------------------------------------------------------------------

@pytest.mark.slow
def test_report_gives_the_analysts_deliverables(resort_run):
    from lifelines import CoxPHFitter, KaplanMeierFitter
    from lifelines.statistics import logrank_test
    from lifelines.utils import median_survival_times

    result, _ = resort_run
    html = _text(result.report.read_text())
    ipd = result.ipd
    obs = ipd[ipd["arm"] == "Observation"]
    kmf = KaplanMeierFitter().fit(obs["time"], obs["event"])
    lower, upper = median_survival_times(kmf.confidence_interval_).iloc[0]
    row = (f"<td class='l'>Observation</td><td>36</td><td>{int(obs['event'].sum())}</td>"
           f"<td>{int((obs['event'] == 0).sum())}</td><td>{kmf.median_survival_time_:.3g} "
           f"({lower:.3g}, NR)</td>")
    assert row in html and upper == float("inf")
    # HR of Sorafenib against the reported file's reference arm (Observation), with log-rank p
    data = ipd.assign(treat=(ipd["arm"] == "Sorafenib").astype(int))[["time", "event", "treat"]]
    hr = float(CoxPHFitter().fit(data, "time", "event").hazard_ratios_["treat"])
    sor = ipd[ipd["arm"] == "Sorafenib"]
    p = logrank_test(sor["time"], obs["time"], sor["event"], obs["event"]).p_value
    assert "<h3>Each arm against Observation</h3>" in html
    assert f"<td class='l'>Sorafenib</td><td class='l'>Observation</td><td>{hr:.3g} (" in html
    assert f"<td>{p:.3f}</td><td class='l'></td></tr>" in html  # log-rank p, then an empty note
    # per-arm reading confidence, the overrides section, relative links, figure beside overlay
    conf = result.digitization.arm_confidence
    assert re.search(rf"<td class='l'>Sorafenib</td><td class='l'>solid, RGB [^<]*</td>"
                     rf"<td>{conf['Sorafenib']:.2f}</td><td class='l '>no</td>", html)
    assert "<h2>Overrides and assumptions</h2>" in html
    assert "None: everything was read from the figure." in html
    read = result.digitization.censor_marks.groupby("arm").size()
    assert 12 <= read["Observation"] <= 19 and 8 <= read["Sorafenib"] <= 16  # of 36 and 33 patients
    assert ("<li>censor marks read from the figure used as censoring times "
            f"(Observation: {read['Observation']}, Sorafenib: {read['Sorafenib']})</li>") in html
    links = re.findall(r"href='([^']*)'", html)
    assert "ipd.csv" in links and all((result.outdir / link).exists() for link in links)
    assert "grid-template-columns:repeat(auto-fit" in html


# -- typed at-risk table, names, N -----------------------------------------------------------------

@pytest.mark.slow
def test_typed_at_risk_table_replaces_the_figures(cached_digitize, tmp_path):
    typed = cached_digitize.digitization.at_risk.copy()
    typed.loc[(typed["arm"] == "Observation") & (typed["time"] == 0), "n_at_risk"] = 40
    typed["arm"] = typed["arm"].str.lower()  # names match ignoring case
    path = tmp_path / "typed.csv"
    typed.to_csv(path, index=False)
    out = tmp_path / "out"
    res = _invoke(FIGURE, "--reported", REPORTED, "--at-risk", path, "-o", out)
    assert res.exit_code == 1, res.output  # the typed N (40) is not the reported 36
    assert f"override: numbers at risk typed by the user ({path}), used instead of any table read from the figure" in res.output
    ipd = pd.read_csv(out / "ipd.csv")
    assert (ipd["arm"] == "Observation").sum() == 40 and (ipd["arm"] == "Sorafenib").sum() == 33
    written = pd.read_csv(out / "at_risk.csv")
    assert written.loc[(written["arm"] == "Observation") & (written["time"] == 0), "n_at_risk"].item() == 40
    assert re.search(r"n\s+Observation\s+36\s+40\s.*FAIL", res.output)
    html = (out / "report.html").read_text()
    assert "numbers at risk typed by the user" in html
    assert "<td class='l'>typed by the user</td><td>40</td>" in html  # Observation's row


@pytest.mark.slow
def test_names_rename_the_arms_in_figure_order(cached_digitize, tmp_path):
    out = tmp_path / "out"
    res = _invoke(FIGURE, "--names", "Sora, Obs", "--n", "Sora=33", "--n", "Obs=36",
                  "--x-range", "0", "72", "-o", out)
    assert res.exit_code == 0, res.output
    assert "override: arm names given by the user (--names): Sorafenib -> Sora, Observation -> Obs" in res.output
    assert "override: N given by the user: Sora = 33, Obs = 36" in res.output
    assert "override: x axis range given by the user: 0 to 72 (--x-range)" in res.output
    ipd = pd.read_csv(out / "ipd.csv")
    assert ipd.groupby("arm").size().to_dict() == {"Obs": 36, "Sora": 33}
    assert set(pd.read_csv(out / "at_risk.csv")["arm"]) == {"Obs", "Sora"}
    # the same patients as under the legend's names
    same = cached_digitize.ipd.assign(arm=cached_digitize.ipd["arm"].map({"Sorafenib": "Sora", "Observation": "Obs"}))
    pd.testing.assert_frame_equal(ipd, same.reset_index(drop=True), check_dtype=False)


@pytest.mark.slow
def test_wrong_number_of_names_stops_with_a_report(cached_digitize, tmp_path):
    out = tmp_path / "out"
    res = _invoke(FIGURE, "--names", "A,B,C", "-o", out)
    assert res.exit_code == 2 and "Traceback" not in res.output
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "--names gives 3 name(s) (A, B, C) but the curves have 2 arm(s)" in errors[0]
    html = _text((out / "report.html").read_text())
    assert "<h2>Stopped at reconstruct</h2>" in html and "--names gives 3 name(s)" in html
    assert html.count("<img") == 3  # input, overlay, curves read (no IPD yet)
    assert "kmipd review" in html and not (out / "ipd.csv").exists()


# -- curves from another digitizer ---------------------------------------------------------------

@pytest.mark.slow
def test_wpd_curves_with_the_figures_names_give_the_same_ipd(cached_digitize, tmp_path):
    from kmipd.pipeline import run

    wpd = tmp_path / "wpd.csv"
    _write_wpd(cached_digitize.digitization.curves, ["Sorafenib", "Observation"], wpd)
    result = run(FIGURE, REPORTED, tmp_path / "out", curves=wpd)
    pd.testing.assert_frame_equal(result.ipd.reset_index(drop=True), cached_digitize.ipd.reset_index(drop=True))
    assert result.overrides == [f"curves from the WebPlotDigitizer export {wpd}, used instead of the curves "
                                "digitized from the figure"]
    assert result.passed


@pytest.mark.slow
def test_wpd_curves_named_by_names_and_kmipd_curves_file(cached_digitize, tmp_path):
    from kmipd.pipeline import run

    wpd = tmp_path / "wpd.csv"
    _write_wpd(cached_digitize.digitization.curves, ["Dataset 1", "Dataset 2"], wpd)
    named = run(FIGURE, REPORTED, tmp_path / "a", curves=wpd, names="Sorafenib,Observation")
    pd.testing.assert_frame_equal(named.ipd.reset_index(drop=True), cached_digitize.ipd.reset_index(drop=True))
    assert "arm names given by the user (--names): Dataset 1 -> Sorafenib, Dataset 2 -> Observation" in named.overrides
    own = run(FIGURE, REPORTED, tmp_path / "b", curves=cached_digitize.files["curves"])
    pd.testing.assert_frame_equal(own.ipd.reset_index(drop=True), cached_digitize.ipd.reset_index(drop=True))
    assert own.overrides[0].startswith("curves from the curves file ")


@pytest.mark.slow
def test_curves_whose_arms_the_figure_does_not_name_use_the_reported_n(cached_digitize, tmp_path):
    from kmipd.pipeline import run

    wpd = tmp_path / "wpd.csv"
    curves = cached_digitize.digitization.curves
    _write_wpd(curves, ["Sorafenib", "Obs."], wpd)
    reported = tmp_path / "reported.toml"
    reported.write_text(REPORTED.read_text().replace('[arms."Observation"]', '[arms."Obs."]')
                        .replace('reference_arm = "Observation"', 'reference_arm = "Obs."'))
    result = run(FIGURE, reported, tmp_path / "out", curves=wpd)
    assert ("the figure's at-risk table and censor marks were not used: its arms (Sorafenib, Observation) "
            "are not the curves' arms (Sorafenib, Obs.)") in result.assumptions
    assert any("N of each arm taken from the reported file" in a for a in result.assumptions)
    assert "censoring from the reported median follow-up (38)" in result.assumptions
    assert "Sorafenib: numbers at risk estimated from the curve, N only" in result.assumptions
    assert result.ipd.groupby("arm").size().to_dict() == {"Obs.": 36, "Sorafenib": 33}
    assert not (result.outdir / "at_risk.csv").exists()
    html = result.report.read_text()
    assert "Sorafenib: numbers at risk estimated from the curve, N only" in html


# -- runs that stop --------------------------------------------------------------------------------

def test_figure_without_axes_stops_at_digitize_with_a_report(tmp_path):
    from PIL import Image

    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 200), "white").save(blank)
    out = tmp_path / "out"
    res = _invoke(blank, "-o", out)
    assert res.exit_code == 2 and "Traceback" not in res.output
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "no plot axes found" in errors[0] and "report.html" in errors[0]
    html = _text((out / "report.html").read_text())
    assert "<h2>Stopped at digitize</h2>" in html and "no plot axes found" in html
    assert "--x-range" in html and "--curves FILE" in html
    assert "alt='Input figure'" in html
    assert sorted(p.name for p in out.iterdir()) == ["report.html"]


@pytest.mark.slow
def test_arms_the_reported_file_does_not_name_stop_at_validate(cached_digitize, tmp_path):
    reported = tmp_path / "other.toml"
    reported.write_text('[arms."Drug"]\nmedian = 20\n[arms."Placebo"]\nmedian = 30\n'
                        '[arms."Third"]\nmedian = 10\n')
    out = tmp_path / "out"
    res = _invoke(FIGURE, "--reported", reported, "-o", out)
    assert res.exit_code == 2, res.output
    assert "run stopped at validate" in res.output
    html = _text((out / "report.html").read_text())
    assert "<h2>Stopped at validate</h2>" in html and "--names A,B" in html
    assert "<table class='results' id='per-arm'>" in html  # the IPD was rebuilt: its results are shown
    assert (out / "ipd.csv").exists() and not (out / "validation.csv").exists()


def test_bad_override_input_fails_before_anything_is_read(tmp_path):
    bad = tmp_path / "at_risk.csv"
    bad.write_text("arm,time,n_at_risk\nA,0,10\nA,6,12\n")
    out = tmp_path / "out"
    res = _invoke(FIGURE, "--at-risk", bad, "-o", out)
    assert res.exit_code == 2 and "rise from 10 at time 0 to 12 at time 6" in res.output
    res = _invoke(FIGURE, "--names", "A,,B", "-o", out)
    assert res.exit_code == 2 and "--names needs one non-empty name per arm" in res.output
    res = _invoke(FIGURE, "--curves", tmp_path / "missing.csv", "-o", out)
    assert res.exit_code == 2 and "missing.csv does not exist" in res.output
    assert not out.exists() and "[1/4]" not in res.output


# -- the console -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_every_stages_warnings_reach_the_console(cached_digitize, tmp_path, monkeypatch):
    import dataclasses

    curves = cached_digitize.digitization.curves
    # a curve read without its start (hidden under the other arm): reconstruct adds (0, 1)
    late = curves[~((curves["arm"] == "Observation") & (curves["time"] < 0.1))]
    reading = dataclasses.replace(cached_digitize.digitization, warnings=("a digitizer warning",),
                                  curves=late.reset_index(drop=True))
    module = importlib.import_module("kmipd.digitize")
    monkeypatch.setattr(module, "digitize", lambda *a, **k: reading)
    reported = tmp_path / "far.toml"
    reported.write_text(REPORTED.read_text().replace("landmarks = { 12 = 74, 24 = 59, 36 = 50 }",
                                                     "landmarks = { 12 = 74, 24 = 59, 36 = 50, 200 = 10 }"))
    res = _invoke(FIGURE, "--reported", reported, "-o", tmp_path / "out")
    assert "warning (digitize): a digitizer warning" in res.output
    assert "warning (reconstruct): Observation: added the start point (0, 1)" in res.output
    assert re.search(r"warning \(validate\): .*beyond", res.output)
    assert "assumption: censor marks read from the figure used as censoring times" in res.output
