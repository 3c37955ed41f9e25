"""kmipd.pipeline.run, ``kmipd run`` and the HTML report."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from kmipd.cli import main_group
from kmipd.testing.datasets import load_ipd
from kmipd.validate import validate, write_report

RESORT = Path(__file__).resolve().parents[1] / "figures" / "resort"
OUTPUTS = {"curves.csv", "at_risk.csv", "censor_marks.csv", "digitization.json", "overlay.png",
           "ipd.csv", "validation.csv", "validation.json", "report.html"}


def _self_contained(html: str) -> None:
    """Every image is inline and nothing is fetched from elsewhere."""
    sources = re.findall(r"""src=['"]([^'"]*)['"]""", html)
    assert sources and all(s.startswith("data:image/png;base64,") for s in sources)
    assert not re.search(r"<(script|link)\b", html)
    assert "http://" not in html and "https://" not in html


def test_report_is_self_contained(tmp_path):
    ipd = load_ipd("waltons")
    result = validate(ipd, {"arms": {"Control": {"n": int((ipd["arm"] == "Control").sum()),
                                                 "median": 1.0}}})
    from kmipd.analysis.plots import numbers_at_risk

    at_risk = numbers_at_risk(ipd, [0, 20, 40])
    at_risk.loc[1, "n_at_risk"] += 1  # a disagreement, to be highlighted
    path = write_report(tmp_path / "sub" / "report.html", figure=RESORT / "figure.png",
                        curves=ipd.assign(survival=1.0)[["arm", "time", "survival"]], ipd=ipd,
                        at_risk=at_risk, validation=result, warnings={"digitize": ["a <b> warning"]})
    html = path.read_text()
    _self_contained(html)
    assert html.count("<img") == 3  # figure, KM of the IPD, curves vs KM
    assert "class='fail'" in html and "class='pass'" in html
    assert "class='off'" in html
    assert "a &lt;b&gt; warning" in html


@pytest.mark.slow
def test_resort_every_statistic_reproduced(resort_run):
    """The demo: every published RESORT number comes back from the figure alone."""
    result, _ = resort_run
    assert result.passed, result.validation.format() + "\n" + "\n".join(
        f"{stage}: {w}" for stage, ws in result.warnings.items() for w in ws)
    assert result.exit_code == 0


@pytest.mark.slow
def test_resort_run_writes_everything(resort_run):
    result, lines = resort_run
    assert OUTPUTS <= {p.name for p in result.outdir.iterdir()}
    assert set(result.ipd["arm"]) == {"Observation", "Sorafenib"}
    assert sorted(result.ipd.groupby("arm").size()) == [33, 36]
    assert [line[:5] for line in lines if line.startswith("[")] == ["[1/4]", "[2/4]", "[3/4]", "[4/4]"]
    html = result.report.read_text()
    _self_contained(html)
    assert html.count("<img") == 4  # input, overlay, KM of the IPD with numbers at risk, curves vs KM
    assert "16 reported statistics" in html and html.count("<tr class=") == 16


@pytest.mark.slow
def test_cli_run_exit_codes(resort_run, tmp_path, monkeypatch):
    # the module, not the function that kmipd/__init__ may re-export under the same name
    digitize = importlib.import_module("kmipd.digitize")
    result, _ = resort_run
    # Reuse the digitization: the CLI behaviour is under test here, not the digitizer again.
    monkeypatch.setattr(digitize, "digitize", lambda *a, **k: result.digitization)
    out = tmp_path / "out"
    res = CliRunner().invoke(main_group, ["run", str(RESORT / "figure.png"), "--reported",
                                          str(RESORT / "reported.toml"), "-o", str(out)])
    assert res.exit_code == result.exit_code, res.output
    assert "checks passed" in res.output and "[1/4] digitize" in res.output

    wrong = tmp_path / "wrong.toml"
    wrong.write_text((RESORT / "reported.toml").read_text().replace("median = 37", "median = 20"))
    res = CliRunner().invoke(main_group, ["run", str(RESORT / "figure.png"), "--reported",
                                          str(wrong), "-o", str(out)])
    assert res.exit_code == 1 and "FAIL" in res.output

    res = CliRunner().invoke(main_group, ["run", str(RESORT / "figure.png"), "-o", str(out)])
    assert res.exit_code == 0 and "validate: skipped" in res.output


def test_cli_run_bad_input_exit_2(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("arms = [\n")
    res = CliRunner().invoke(main_group, ["run", str(RESORT / "figure.png"), "--reported",
                                          str(broken), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "not valid TOML" in res.output
    assert not (tmp_path / "o").exists()  # the reported file is read before any work is done
    res = CliRunner().invoke(main_group, ["run", str(tmp_path / "missing.png"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2 and "error:" in res.output and "Traceback" not in res.output


def test_pair_arms_by_elimination_and_by_n():
    from kmipd.pipeline import pair_arms
    from kmipd.validate import load_reported

    rep = load_reported({"arms": {"Observation": {"n": 36}, "Sorafenib": {"n": 33}}})
    renames, notes = pair_arms(rep, ["arm1", "Sorafenib"])
    assert renames == {"arm1": "Observation"} and "only arm left" in notes[0]
    renames, notes = pair_arms(rep, ["arm1", "arm2"], {"arm1": 33, "arm2": 36})
    assert renames == {"arm1": "Sorafenib", "arm2": "Observation"} and len(notes) == 2
    assert pair_arms(rep, ["arm1", "arm2"], {"arm1": 30, "arm2": 31}) == ({}, [])
    assert pair_arms(rep, ["observation", "SORAFENIB"]) == ({}, [])  # names match already
