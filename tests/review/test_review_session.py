"""kmipd review without a browser: the state of a digitization folder, rebuilding from edits,
saving what the chain reads, the server's routes, the colour tracer."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kmipd.cli import main_group
from kmipd.errors import KmipdError
from kmipd.io import read_at_risk, read_curves
from kmipd.review import ReviewSession, make_app
from kmipd.review.edits import describe_edits
from kmipd.review.state import state_tables
from kmipd.review.trace import trace_colour

RESORT = Path(__file__).resolve().parents[2] / "figures" / "resort"


@pytest.fixture(scope="module")
def read_folder(tmp_path_factory) -> Path:
    """The bundled RESORT figure as `kmipd digitize` leaves it."""
    from kmipd.digitize import digitize

    outdir = tmp_path_factory.mktemp("resort")
    digitize(RESORT / "figure.png").to_folder(outdir)
    return outdir


@pytest.fixture()
def folder(read_folder, tmp_path) -> Path:
    """A private copy of the digitization folder (tests save into it)."""
    out = tmp_path / "dig"
    out.mkdir()
    for f in read_folder.iterdir():
        (out / f.name).write_bytes(f.read_bytes())
    return out


@pytest.fixture()
def session(folder) -> ReviewSession:
    return ReviewSession(folder, reported=RESORT / "reported.toml")


def test_state_gives_back_the_tables_that_were_read(session, folder):
    tables = state_tables(session.state)
    read = read_curves(folder / "curves.csv")
    for arm, truth in read.groupby("arm"):
        got = tables["curves"][tables["curves"]["arm"] == arm]
        np.testing.assert_allclose(got["time"], truth.sort_values("time")["time"], atol=2e-3)
        np.testing.assert_allclose(got["survival"], truth.sort_values("time")["survival"], atol=2e-5)
    table = read_at_risk(folder / "at_risk.csv").sort_values(["arm", "time"]).reset_index(drop=True)
    got = tables["at_risk"].sort_values(["arm", "time"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, table, check_dtype=False)
    # the axis is calibrated by the tick labels themselves
    assert session.state["x_axis"]["values"] == [6.0, 72.0]
    assert session.state["y_axis"]["values"] == [100.0, 0.0]


def test_unedited_reading_rebuilds_and_passes(session):
    result = session.rebuild(session.state)
    assert result["error"] is None and result["passed"] is True
    assert {r["arm"]: r["n"] for r in result["arms"]} == {"Sorafenib": 33, "Observation": 36}
    # the rebuilt KM is drawn in the figure's pixels, inside the plot box, starting at the top
    box = session.state["box"]
    for pts in result["km"].values():
        pts = np.asarray(pts)
        assert pts[:, 0].min() >= box["left"] - 2 and pts[:, 0].max() <= box["right"] + 2
        assert abs(pts[0, 1] - session.state["y_axis"]["pixels"][0]) < 1


def test_a_misread_cell_is_refused_then_fixed(session):
    state = copy.deepcopy(session.state)
    state["at_risk"]["rows"][1][4] = 71  # OCR read 17 as 71: the numbers rise
    bad = session.rebuild(state)
    assert bad["error"] and "rise" in bad["error"] and bad["passed"] is None
    state["at_risk"]["rows"][1][4] = 17
    assert session.rebuild(state)["passed"] is True


def test_a_misread_axis_fails_validation_until_corrected(session):
    state = copy.deepcopy(session.state)
    state["x_axis"]["values"][1] = 60.0  # the last label, 72, read as 60: times shrink
    wrong = session.rebuild(state)
    assert wrong["passed"] is False
    failed = {r["statistic"] for r in wrong["validation"] if r["status"] == "fail"}
    assert {"median", "survival_at_12"} & failed
    state["x_axis"]["values"][1] = 72.0
    assert session.rebuild(state)["passed"] is True


def test_unknown_names_say_what_to_do(session):
    state = copy.deepcopy(session.state)
    state["arms"][0]["name"] = state["arms"][1]["name"]
    assert "rename" in session.rebuild(state)["error"]
    state["arms"][0]["name"] = " "
    assert "no name" in session.rebuild(state)["error"]


def test_masked_points_are_left_out(session):
    state = copy.deepcopy(session.state)
    x, y = state["arms"][0]["points"][5]
    state["masks"] = [[x - 1, y - 1, x + 1, y + 1]]
    tables = state_tables(state)
    n_points = len(session.state["arms"][0]["points"])
    assert (tables["curves"]["arm"] == state["arms"][0]["name"]).sum() == n_points - 1


def test_save_writes_the_chain_files_and_records_the_edits(session, folder):
    state = copy.deepcopy(session.state)
    state["arms"][1]["name"] = "Observation arm"
    state["at_risk"]["rows"][0][1] = 27  # 26 -> 27
    state["arms"][0]["points"].pop(3)
    files = session.save(state)
    assert {"curves", "censor_marks", "at_risk", "ipd", "json", "validation_json"} <= set(files)
    meta = json.loads((folder / "digitization.json").read_text())
    edits = meta["review"]["edits"]
    assert "renamed arm 'Observation' to 'Observation arm'" in edits
    assert "at-risk cell Sorafenib at 6: 26 -> 27" in edits
    assert any(e.startswith("arm 'Sorafenib': curve points 1 removed") for e in edits)
    assert [a["name"] for a in meta["arms"]] == ["Sorafenib", "Observation arm"]
    report = (folder / "report.html").read_text()
    assert "review: renamed arm" in report and "corrected in review" in report
    # the chain reads the saved files as usual and gets the saved IPD
    runner = CliRunner()
    out = folder / "again.csv"
    res = runner.invoke(main_group, ["reconstruct", str(folder / "curves.csv"), "--at-risk",
                                     str(folder / "at_risk.csv"), "--censor-marks",
                                     str(folder / "censor_marks.csv"), "-o", str(out)])
    assert res.exit_code == 0, res.output
    # (ipd.csv names the arm as the paper does, as `run` does for a name it pairs)
    again_ipd = pd.read_csv(out).replace({"arm": {"Observation arm": "Observation"}})
    pd.testing.assert_frame_equal(again_ipd, pd.read_csv(folder / "ipd.csv"))
    # a second review starts from the saved reading and keeps the first review's edits
    again = ReviewSession(folder, reported=RESORT / "reported.toml")
    assert again.state["arms"][1]["name"] == "Observation arm" and again.edits == edits
    assert describe_edits(again.state, again.state) == []


@pytest.mark.filterwarnings("ignore:Using `httpx`")
def test_server_routes(session):
    from starlette.testclient import TestClient

    client = TestClient(make_app(session))
    page = client.get("/")
    assert page.status_code == 200 and "review.js" in page.text
    assert "https://" not in page.text  # every asset is local: the page works offline
    script = client.get("/static/review.js")
    assert script.status_code == 200 and "api/rebuild" in script.text
    png = client.get("/figure.png").content
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    start = client.get("/api/state").json()
    assert start["result"]["passed"] is True and start["reported"] is True
    state = start["state"]
    state["arms"] = []
    reply = client.post("/api/rebuild", json=state).json()
    assert reply["error"].startswith("no arms")
    saved = client.post("/api/save", json=state)
    assert saved.status_code == 422 and "no arms" in saved.json()["error"]


def test_trace_follows_a_clicked_curve(session):
    """Tracing the Sorafenib (red) curve from one click lands on the digitizer's own points."""
    state = session.state
    arm = state["arms"][0]
    x, y = arm["points"][2]
    traced = np.asarray(trace_colour(session.figure_rgb, state["box"], x, y))
    assert len(traced) > 10
    read = np.asarray(arm["points"])
    # at each of the read corners' x, the traced level is within a few pixels of the read one
    for px, py in read[1:-1]:
        level = traced[traced[:, 0] <= px + 0.5][-1, 1]
        assert abs(level - py) < 6 or abs(traced[traced[:, 0] >= px - 0.5][0, 1] - py) < 6


def test_missing_figure_and_folder_are_one_line_errors(folder, tmp_path):
    meta = json.loads((folder / "digitization.json").read_text())
    meta["source"] = "nowhere.png"
    (folder / "digitization.json").write_text(json.dumps(meta))
    (folder / "overlay.png").unlink()
    with pytest.raises(KmipdError, match="--figure"):
        ReviewSession(folder)
    res = CliRunner().invoke(main_group, ["review", str(tmp_path), "--no-browser"])
    assert res.exit_code == 2 and res.output.count("\n") == 1 and "digitization.json" in res.output
