"""RESORT's three data cuts (figures/resort) and the data-cut emulation of kmipd.validate."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from lifelines import KaplanMeierFitter

from kmipd.cli import main_group
from kmipd.errors import KmipdError
from kmipd.testing.datasets import load_ipd
from kmipd.validate.checks import validate
from kmipd.validate.data_cut import (
    cut_at,
    emulate_data_cut,
    median_follow_up,
    potential_follow_up,
)
from kmipd.validate.reported import load_reported

RESORT = Path(__file__).resolve().parents[1] / "figures" / "resort"
CUTS = {"interim": ("ipd_interim.csv", "reported_interim.toml"),
        "primary": ("ipd.csv", "reported.toml"),
        "extended": ("ipd_extended.csv", "reported_extended.toml")}
ARMS = ("Observation", "Sorafenib")


def _km_at(ipd: pd.DataFrame, arm: str, t: float) -> float:
    rows = ipd[ipd["arm"] == arm]
    kmf = KaplanMeierFitter().fit(rows["time"], rows["event"])
    return float(kmf.survival_function_at_times([t]).iloc[0])


def _at_risk(ipd: pd.DataFrame, arm: str, t: float) -> int:
    return int(((ipd["arm"] == arm) & (ipd["time"] >= t)).sum())


# (a) every cut of the synthetic trial reproduces its own report --------------------------------

@pytest.mark.parametrize("cut", list(CUTS))
def test_each_cut_passes_every_line_of_its_report(cut):
    ipd_file, toml = CUTS[cut]
    result = validate(RESORT / ipd_file, RESORT / toml)
    assert result.passed, result.format()
    assert (result.table["status"] == "pass").all()
    assert len(result.table) == {"interim": 22, "primary": 16, "extended": 22}[cut]
    assert not result.notes  # each cut is at its report's follow-up: nothing to point out


def test_cuts_are_truncations_of_one_trial():
    trial = pd.read_csv(RESORT / "trial.csv")
    assert len(trial) == 69 and trial["id"].is_unique
    assert sorted(trial.groupby("arm").size()) == [33, 36]
    # one sorafenib patient (never started therapy) is only in the 2019 intention-to-treat set
    excluded = trial[trial["mitt"] == 0]
    assert len(excluded) == 1 and excluded["arm"].iloc[0] == "Sorafenib"
    assert excluded[["time_interim", "time_extended"]].isna().all(axis=None)
    seen = trial[trial["mitt"] == 1]
    for early, late in (("interim", "primary"), ("primary", "extended")):
        assert (seen[f"time_{early}"] <= seen[f"time_{late}"] + 1e-9).all()
        had = seen[f"event_{early}"] == 1  # an event seen at a cut is the same event later on
        assert (seen.loc[had, f"event_{late}"] == 1).all()
        assert np.allclose(seen.loc[had, f"time_{early}"], seen.loc[had, f"time_{late}"])
        # a patient censored earlier was censored by the cut, or lost at that same time
        grew = seen[~had & (seen[f"time_{late}"] > seen[f"time_{early}"])]
        assert len(grew) > 20
    # every patient was randomised before the interim cut: all are followed at the interim
    assert (seen["time_interim"] > 0).all()
    for cut, (ipd_file, _) in CUTS.items():
        ipd = pd.read_csv(RESORT / ipd_file)
        rows = trial[trial[f"time_{cut}"].notna()]
        for arm in ARMS:
            mine = rows[rows["arm"] == arm]
            theirs = ipd[ipd["arm"] == arm]
            assert sorted(mine[f"time_{cut}"]) == pytest.approx(sorted(theirs["time"]))
            assert mine[f"event_{cut}"].sum() == theirs["event"].sum()


# (b) the emulation on RESORT: the 2019 cut taken back to the interim report's follow-up -------

@pytest.fixture(scope="module")
def interim_emulated():
    plain = validate(RESORT / "ipd.csv", RESORT / "reported_interim.toml")
    emulated = validate(RESORT / "ipd.csv", RESORT / "reported_interim.toml", emulate_cut=True)
    return plain, emulated


def test_emulated_cut_reaches_the_interim_follow_up(interim_emulated):
    plain, emulated = interim_emulated
    cut = emulated.data_cut
    assert cut is not None and abs(cut.follow_up_after - 21) <= 1.0
    assert median_follow_up(cut.ipd) == pytest.approx(cut.follow_up_after)
    # the true interim cut is 17.7 months before the 2019 one (trial.csv / make_figure.py)
    assert 15.7 <= cut.delta <= 19.7

    def line(result, statistic):
        return result.table[result.table["statistic"] == statistic].iloc[0]

    assert line(plain, "median_follow_up")["status"] == "fail"
    assert line(emulated, "median_follow_up")["status"] == "pass"
    # the time tolerance stays that of the full IPD (5% of its longest follow-up)
    assert line(emulated, "median_follow_up")["tolerance"] == pytest.approx(
        line(plain, "median_follow_up")["tolerance"])
    # what was done is said, with delta, before the table and in validation.json
    assert emulated.notes[0].startswith("at an emulated data cut")
    assert f"delta = {cut.delta:.2f}" in emulated.format().splitlines()[0]
    assert emulated.to_dict()["data_cut"]["delta"] == pytest.approx(cut.delta)
    assert "earlier data cut" in plain.notes[0] and "--at-report-follow-up" in plain.notes[0]


def test_emulated_cut_is_closer_to_the_true_interim_cut(interim_emulated):
    """What depends on the data cut (patients, events, follow-up, numbers at risk) moves from
    the 2019 cut's values to near the true interim cut's."""
    _, emulated = interim_emulated
    full = pd.read_csv(RESORT / "ipd.csv")
    true = pd.read_csv(RESORT / "ipd_interim.csv")
    cut = emulated.data_cut.ipd

    def distance(ipd):
        out = {"n": abs(len(ipd) - len(true)),
               "events": abs(int(ipd["event"].sum()) - int(true["event"].sum())),
               "follow_up": abs(median_follow_up(ipd) - median_follow_up(true))}
        for arm in ARMS:
            for t in (12, 24):
                out[f"{arm} at risk {t}"] = abs(_at_risk(ipd, arm, t) - _at_risk(true, arm, t))
        return out

    near, far = distance(cut), distance(full)
    assert sum(near.values()) < 0.3 * sum(far.values()), (near, far)
    assert near["events"] <= 3 < far["events"]
    assert near["follow_up"] < 1.0 < far["follow_up"]
    assert all(near[k] <= far[k] for k in near if "at risk" in k), (near, far)


def test_pass_counts_against_the_interim_report(interim_emulated):
    """Recorded, not improved on: the emulation fixes the follow-up line, but at 32-36 patients
    an arm the noise of which events fall before the emulated cut is as large as the gap between
    the interim and 2019 landmarks (see kmipd/validate/data_cut.py), so the landmark lines do
    not get closer. These bounds catch a regression either way."""
    plain, emulated = interim_emulated
    n_plain, n_emulated = int(plain.table["pass"].sum()), int(emulated.table["pass"].sum())
    assert n_plain == 13
    assert 8 <= n_emulated <= 16
    assert emulated.not_estimable.empty and len(emulated.table) == len(plain.table)


def test_later_report_is_not_emulated_and_marked():
    # the 2019 cut against the extended report (median follow-up 42 > 38): compared as is
    result = validate(RESORT / "ipd.csv", RESORT / "reported_extended.toml")
    assert result.data_cut is None and "later data cut" in result.notes[0]
    with pytest.raises(KmipdError) as info:
        validate(RESORT / "ipd.csv", RESORT / "reported_extended.toml", emulate_cut=True)
    assert "\n" not in str(info.value) and "longer median follow-up" in str(info.value)


def test_landmarks_and_medians_beyond_follow_up_are_not_estimable():
    ipd = pd.read_csv(RESORT / "ipd_interim.csv")
    # the interim cut followed to 20 months at most: medians not reached, late landmarks unseen
    short = ipd.assign(event=((ipd["event"] == 1) & (ipd["time"] <= 20)).astype(int),
                       time=ipd["time"].clip(upper=20.0))
    rep = {"study": {"reference_arm": "Observation"},
           "arms": {"Observation": {"n": 36, "median": 35,
                                    "landmarks": {"12": 76, "24": 61, "30": 40},
                                    "landmark_ci": {"30": [20, 50]}},
                    "Sorafenib": {"median": 29, "median_ci": [25, "NA"]}}}
    result = validate(short, rep)
    status = dict(zip(result.table["statistic"] + " " + result.table["arm"],
                      result.table["status"], strict=True))
    assert status == {
        "n Observation": "pass", "median Observation": "not estimable",
        "survival_at_12 Observation": "pass", "survival_at_24 Observation": "not estimable",
        "survival_at_30 Observation": "not estimable",
        "survival_at_30_ci_lower Observation": "not estimable",
        "survival_at_30_ci_upper Observation": "not estimable",
        "median Sorafenib": "not estimable",
        "median_ci_lower Sorafenib": "fail",  # reached at ~10 months: a real disagreement
        "median_ci_upper Sorafenib": "pass"}
    assert len(result.not_estimable) == 6 and len(result.failures) == 1 and not result.passed
    assert result.not_estimable["reconstructed"].isna().all()
    assert not result.not_estimable["pass"].any()
    text = result.format()
    assert text.count("N/E") >= 6 and "6 not estimable" in text.splitlines()[-1]
    assert any("beyond the IPD's follow-up" in w for w in result.warnings)
    # N/E lines alone do not fail a validation
    ok = validate(short, {"arms": {"Observation": {"n": 36, "landmarks": {"30": 40}}}})
    assert ok.passed and ok.to_dict()["n_not_estimable"] == 1 and ok.to_dict()["n_failed"] == 0
    # the full interim cut reaches those medians: compared (and failed) as usual
    full = validate(ipd, {"arms": {"Sorafenib": {"median": 80}}})
    assert full.table["status"].tolist() == ["fail"]


# (c) the emulation against a true earlier cut made from real data ------------------------------

@pytest.fixture(scope="module")
def rossi_cuts():
    """lifelines' Rossi recidivism data (432 patients, weeks) given simulated entry dates over 40
    weeks and cut 52 weeks after the first (administrative censoring), and the true cut 15 weeks
    earlier."""
    rossi = load_ipd("rossi")
    entry = np.round(np.random.default_rng(0).uniform(0, 40, len(rossi)), 1)
    potential = 52.0 - entry
    final = pd.DataFrame({"arm": rossi["arm"], "time": np.minimum(rossi["time"], potential),
                          "event": ((rossi["event"] == 1) & (rossi["time"] <= potential)).astype(int)})
    earlier = potential - 15.0
    keep = earlier > 0
    true = pd.DataFrame({"arm": rossi["arm"][keep], "time": np.minimum(rossi["time"], earlier)[keep],
                         "event": ((rossi["event"] == 1) & (rossi["time"] <= earlier))[keep].astype(int)})
    return final, true.reset_index(drop=True)


def test_emulation_recovers_a_true_earlier_cut_of_real_data(rossi_cuts):
    final, true = rossi_cuts
    target = median_follow_up(true)
    cut = emulate_data_cut(final, target)
    assert abs(cut.follow_up_after - target) <= 0.5
    assert abs(cut.delta - 15.0) <= 2.5
    assert abs(cut.n_after - len(true)) <= 0.05 * len(true)
    true_events = int(true["event"].sum())
    assert abs(cut.events_after - true_events) <= max(5, 0.2 * true_events)
    assert int(final["event"].sum()) - true_events > 20  # so the cut did have work to do
    for arm in ("No aid", "Financial aid"):
        for t, tol in ((10, 0.03), (20, 0.03), (30, 0.05)):
            assert abs(_km_at(cut.ipd, arm, t) - _km_at(true, arm, t)) <= tol, (arm, t)
    assert cut.not_randomised == {"No aid": cut.not_randomised["No aid"],
                                  "Financial aid": cut.not_randomised["Financial aid"]}
    assert sum(cut.not_randomised.values()) == len(final) - cut.n_after


def test_potential_follow_up_is_deterministic_and_consistent(rossi_cuts):
    final, _ = rossi_cuts
    potential = potential_follow_up(final)
    censored = final["event"].to_numpy() == 0
    assert np.array_equal(potential[censored], final["time"].to_numpy()[censored])
    assert (potential >= final["time"].to_numpy()).all()
    # row order does not matter (tied rows may swap their values, which are then the same data)
    shuffled = final.sample(frac=1.0, random_state=1)
    again = shuffled.assign(potential=potential_follow_up(shuffled))
    assert again.sort_values(["arm", "time", "event", "potential"]).to_numpy().tolist() == \
        final.assign(potential=potential).sort_values(
            ["arm", "time", "event", "potential"]).to_numpy().tolist()
    # no shift: the data unchanged; a shift past everyone: nobody randomised yet
    assert cut_at(final, potential, 0.0)[["time", "event"]].equals(
        final[["time", "event"]].reset_index(drop=True))
    assert cut_at(final, potential, float(potential.max())).empty


# (d) bad input: one clear line ----------------------------------------------------------------

def test_negative_median_follow_up_is_rejected(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text((RESORT / "reported_interim.toml").read_text().replace(
        "median_follow_up = 21", "median_follow_up = -21"))
    with pytest.raises(KmipdError) as info:
        load_reported(bad)
    assert "\n" not in str(info.value) and "median_follow_up must be a time > 0" in str(info.value)
    with pytest.raises(KmipdError, match="must be a number > 0"):
        emulate_data_cut(pd.read_csv(RESORT / "ipd.csv"), -21.0)


def test_emulation_needs_a_shorter_reported_follow_up():
    ipd = pd.read_csv(RESORT / "ipd_interim.csv")
    for reported in ("reported.toml", "reported_extended.toml"):
        with pytest.raises(KmipdError) as info:
            validate(ipd, RESORT / reported, emulate_cut=True)
        message = str(info.value)
        assert "\n" not in message and "later data cut cannot be emulated" in message
    with pytest.raises(KmipdError, match="not shorter than the IPD's own"):
        emulate_data_cut(ipd, 40.0)
    with pytest.raises(KmipdError, match="needs its median follow-up"):
        validate(ipd, {"arms": {"Observation": {"n": 36}}}, emulate_cut=True)


def test_cli_at_report_follow_up(tmp_path):
    runner = CliRunner()
    out = tmp_path / "out"
    res = runner.invoke(main_group, ["validate", str(RESORT / "ipd.csv"), "--reported",
                                     str(RESORT / "reported_interim.toml"),
                                     "--at-report-follow-up", "-o", str(out)])
    assert res.exit_code == 1, res.output  # some interim lines still fail at the emulated cut
    assert res.output.startswith("note: at an emulated data cut") and "delta =" in res.output
    saved = json.loads((out / "validation.json").read_text())
    assert saved["data_cut"]["delta"] > 0 and saved["notes"]
    assert len(pd.read_csv(out / "ipd_at_report_cut.csv")) == saved["data_cut"]["n_after"]
    assert "emulated data cut" in (out / "report.html").read_text()

    res = runner.invoke(main_group, ["validate", str(RESORT / "ipd.csv"), "--reported",
                                     str(RESORT / "reported_extended.toml"),
                                     "--at-report-follow-up"])
    assert res.exit_code == 2
    errors = [line for line in res.output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "later data cut" in errors[0] and "Traceback" not in res.output

    res = runner.invoke(main_group, ["validate", str(RESORT / "ipd.csv"), "--reported",
                                     str(RESORT / "reported.toml"), "--at-report-follow-up"])
    assert res.exit_code == 0 and "no data cut emulated" in res.output


def test_monkeypatched_emulation_is_what_validate_uses(monkeypatch):
    """validate() goes through kmipd.validate.data_cut (the module, not a re-exported copy)."""
    module = importlib.import_module("kmipd.validate.data_cut")
    calls = []
    real = module.emulate_data_cut

    def spy(ipd, target):
        calls.append(target)
        return real(ipd, target)

    monkeypatch.setattr(module, "emulate_data_cut", spy)
    validate(RESORT / "ipd.csv", RESORT / "reported_interim.toml", emulate_cut=True)
    assert calls == [21.0]
