"""Data safety of output files (issue 11): atomic writes, no mixing of runs, inputs never
overwritten, an output folder that is a file refused in one line."""

from __future__ import annotations

import importlib
import os
import threading

import cv2
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kmipd.cli import main_group
from kmipd.errors import KmipdError
from kmipd.io import read_ipd, write_table
from kmipd.outputs import atomic_write

CURVES = pd.DataFrame({
    "arm": ["A"] * 6 + ["B"] * 6,
    "time": [0, 2, 2, 5, 5, 10, 0, 3, 3, 6, 6, 10],
    "survival": [1, 1, .8, .8, .6, .6, 1, 1, .9, .9, .7, .7],
})
AT_RISK = pd.DataFrame({"arm": ["A", "A", "B", "B"], "time": [0, 5, 0, 5], "n_at_risk": [20, 12, 20, 15]})
REPORTED = {"arms": {"A": {"n": 20}, "B": {"n": 20}}}


def _digitization(at_risk: pd.DataFrame | None = AT_RISK, overlay: bool = True):
    """A hand-made digitize result (what the digitizer would return), without reading a figure."""
    from kmipd.digitize.result import (
        ArmTrace,
        AxisCalibration,
        AxisMapping,
        Digitization,
        PlotBox,
    )

    arms = [ArmTrace(colour=(200, 30, 30), line_style="solid", steps_px=np.zeros((2, 2)), name="A"),
            ArmTrace(colour=(30, 30, 200), line_style="solid", steps_px=np.zeros((2, 2)), name="B")]
    return Digitization(
        source="figure.png", image_shape=(60, 80), box=PlotBox(10, 5, 70, 50),
        mapping=AxisMapping(AxisCalibration(0.1, -1.0), AxisCalibration(-0.02, 1.0)), arms=arms,
        curves=CURVES.copy(), censor_marks=pd.DataFrame(columns=["arm", "time", "survival"]),
        at_risk=at_risk, overlay=np.full((60, 80, 3), 255, np.uint8) if overlay else None)


def _figure(path):
    cv2.imwrite(str(path), np.full((60, 80, 3), 255, np.uint8))
    return path


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def _no_temp_files(folder) -> bool:
    return not [p for p in folder.iterdir() if p.name.startswith(".tmp-")]


# --- case 1: every output replaced in one step --------------------------------------------------


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    path = write_table(CURVES, tmp_path / "curves.csv")
    before = path.read_bytes()
    with pytest.raises(RuntimeError), atomic_write(path) as tmp:
        tmp.write_text("arm,time,surv")  # half a file, then the writer dies
        raise RuntimeError("killed")
    assert path.read_bytes() == before
    assert _no_temp_files(tmp_path)
    write_table(CURVES.iloc[:3], path)
    assert len(pd.read_csv(path)) == 3 and _no_temp_files(tmp_path)


def test_atomic_write_keeps_suffix_and_permissions(tmp_path):
    """pandas infers compression from the name, as before; the mode is an ordinary write's."""
    write_table(CURVES, tmp_path / "curves.csv.gz")
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "curves.csv.gz"), CURVES,
                                  check_dtype=False)
    (tmp_path / "plain.txt").write_text("x")
    assert (os.stat(tmp_path / "curves.csv.gz").st_mode & 0o777
            == os.stat(tmp_path / "plain.txt").st_mode & 0o777)


def test_two_writers_never_tear_a_table(tmp_path):
    """Two runs writing curves.csv at once: a reader always sees one complete table."""
    path = tmp_path / "curves.csv"
    tables = [CURVES.assign(time=CURVES["time"] + k).loc[np.repeat(CURVES.index, 400)]
              for k in (0.5, 0.25)]
    expected = {len(t) for t in tables}
    write_table(tables[0], path)
    stop = threading.Event()

    def writer(table):
        while not stop.is_set():
            write_table(table, path)

    threads = [threading.Thread(target=writer, args=(t,)) for t in tables]
    for t in threads:
        t.start()
    try:
        for _ in range(40):
            frame = pd.read_csv(path)
            assert len(frame) in expected and frame.notna().all().all()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert _no_temp_files(tmp_path)


def test_every_output_file_is_moved_into_place(tmp_path, monkeypatch):
    """CSV, JSON, PNG and HTML of every stage go through one os.replace each."""
    from kmipd.analysis import analyze
    from kmipd.pooling import pool
    from kmipd.reconstruct import reconstruct
    from kmipd.validate import validate, write_report

    moved: list[str] = []
    real_replace = os.replace

    def replace(src, dst):
        moved.append(os.path.basename(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    ipd = reconstruct(CURVES, at_risk=AT_RISK).ipd
    folders = {
        "digitize": lambda out: _digitization().to_folder(out),
        "validate": lambda out: validate(ipd, REPORTED).to_folder(out),
        "report": lambda out: write_report(out / "report.html", ipd=ipd, overlay=_digitization().overlay),
        "analyze": lambda out: analyze(ipd, parametric=True).to_folder(out),
        "pool": lambda out: pool([("s1", ipd, "B", "A"), ("s2", ipd, "B", "A")]).to_folder(out),
    }
    for name, write in folders.items():
        out = tmp_path / name
        moved.clear()
        write(out)
        files = sorted(p.name for p in out.iterdir())
        assert files and sorted(moved) == files, name
    assert {"overlay.png", "digitization.json", "km.png", "parametric.png", "forest.png",
            "report.html", "analysis.json"} <= set(os.listdir(tmp_path / "digitize")
                                                  + os.listdir(tmp_path / "report")
                                                  + os.listdir(tmp_path / "analyze")
                                                  + os.listdir(tmp_path / "pool"))


# --- case 2: one run's outputs never mix with an earlier run's ------------------------------------


def test_redigitizing_removes_the_old_at_risk_and_overlay(tmp_path):
    out = tmp_path / "out"
    _digitization().to_folder(out)
    (out / "ipd.csv").write_text("arm,time,event\n")  # not digitize's: kept
    (out / "notes.txt").write_text("mine")
    paths = _digitization(at_risk=None, overlay=False).to_folder(out)
    assert sorted(p.name for p in out.iterdir()) == [
        "censor_marks.csv", "curves.csv", "digitization.json", "ipd.csv", "notes.txt"]
    assert set(paths) == {"curves", "censor_marks", "json"}


@pytest.mark.slow
def test_cli_redigitize_without_table_then_reconstruct_uses_no_stale_table(tmp_path):
    """End to end: a figure with a table, then one without, into the same folder."""
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.render import render_km_figure

    ipd = load_ipd("waltons")
    with_table = render_km_figure(ipd, tmp_path / "with.png", table=True)
    without = render_km_figure(ipd, tmp_path / "without.png", table=False)
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(main_group, ["digitize", str(with_table.path), "-o", str(out)])
    assert res.exit_code == 0 and (out / "at_risk.csv").is_file(), res.output
    res = runner.invoke(main_group, ["digitize", str(without.path), "-o", str(out), "--no-overlay"])
    assert res.exit_code == 0, res.output
    assert not (out / "at_risk.csv").exists() and not (out / "overlay.png").exists()
    res = runner.invoke(main_group, ["reconstruct", str(out / "curves.csv"), "--at-risk",
                                     str(out / "at_risk.csv"), "-o", str(out / "ipd.csv")])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_analysis_without_parametric_removes_old_parametric_files(tmp_path):
    from kmipd.analysis import analyze
    from kmipd.analysis.survival import ANALYSIS_OUTPUTS
    from kmipd.reconstruct import reconstruct

    ipd = reconstruct(CURVES, at_risk=AT_RISK).ipd
    out = tmp_path / "analysis"
    out.mkdir()
    for name in ANALYSIS_OUTPUTS:
        (out / name).write_text("old")
    files = analyze(ipd, parametric=False).to_folder(out)
    assert not list(out.glob("parametric*"))
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in files.values())


def test_validation_without_cut_removes_old_cut_ipd(tmp_path):
    from kmipd.reconstruct import reconstruct
    from kmipd.validate import validate

    (tmp_path / "ipd_at_report_cut.csv").write_text("old")
    validate(reconstruct(CURVES, at_risk=AT_RISK).ipd, REPORTED).to_folder(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["validation.csv", "validation.json"]


# --- case 3: a failed run leaves nothing of an earlier run ------------------------------------


@pytest.fixture
def fake_digitize(monkeypatch):
    """``kmipd.digitize.digitize`` returning a hand-made reading (set ``.result`` to change it)."""
    module = importlib.import_module("kmipd.digitize")

    class Fake:
        result = _digitization()

        def __call__(self, *args, **kwargs):
            return self.result

    fake = Fake()
    monkeypatch.setattr(module, "digitize", fake)
    return fake


def _earlier_run(out):
    from kmipd.pipeline import RUN_OUTPUTS

    out.mkdir()
    for name in RUN_OUTPUTS:
        (out / name).write_text("earlier run")
    (out / "notes.txt").write_text("mine")


def test_run_owns_every_file_of_its_stages():
    from kmipd.digitize.result import DIGITIZE_OUTPUTS
    from kmipd.pipeline import RUN_OUTPUTS
    from kmipd.validate.result import VALIDATION_OUTPUTS

    assert {*DIGITIZE_OUTPUTS, *VALIDATION_OUTPUTS, "ipd.csv", "report.html"} == set(RUN_OUTPUTS)


def test_failed_run_leaves_no_files_of_an_earlier_run(tmp_path, fake_digitize):
    from kmipd.pipeline import run

    out = tmp_path / "out"
    _earlier_run(out)
    fake_digitize.result = _digitization(at_risk=AT_RISK.replace("B", "C"))  # reconstruct fails
    with pytest.raises(KmipdError, match="not in the curves"):
        run(_figure(tmp_path / "fig.png"), REPORTED, out)
    assert sorted(p.name for p in out.iterdir()) == [
        "at_risk.csv", "censor_marks.csv", "curves.csv", "digitization.json", "notes.txt",
        "overlay.png", "report.html"]  # the report of the failed run: what was read, why it stopped
    assert "earlier run" not in (out / "curves.csv").read_text()
    assert "Stopped at reconstruct" in (out / "report.html").read_text()


def test_run_without_reported_removes_old_validation(tmp_path, fake_digitize):
    from kmipd.pipeline import run

    out = tmp_path / "out"
    _earlier_run(out)
    result = run(_figure(tmp_path / "fig.png"), None, out)
    written = {p.name for p in result.files.values()}
    assert {p.name for p in out.iterdir()} == written | {"notes.txt"}
    assert not (out / "validation.csv").exists() and len(read_ipd(out / "ipd.csv")) == 40


# --- case 4: an input is never overwritten --------------------------------------------------------


def test_run_refuses_an_input_among_its_outputs(tmp_path, fake_digitize):
    from kmipd.pipeline import run

    figure = _figure(tmp_path / "overlay.png")
    before = figure.read_bytes()
    with pytest.raises(KmipdError, match="overwrite"):
        run(figure, None, tmp_path)
    assert figure.read_bytes() == before
    res = CliRunner().invoke(main_group, ["run", str(figure), "-o", str(tmp_path)])
    assert "overlay.png" in _one_line_error(res)
    assert figure.read_bytes() == before


def test_cli_digitize_refuses_to_overwrite_its_figure(tmp_path, fake_digitize):
    figure = _figure(tmp_path / "overlay.png")
    before = figure.read_bytes()
    res = CliRunner().invoke(main_group, ["digitize", str(figure), "-o", str(tmp_path)])
    assert "overlay.png" in _one_line_error(res) and figure.read_bytes() == before
    res = CliRunner().invoke(main_group, ["digitize", str(figure), "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output


def test_cli_validate_analyze_pool_refuse_overwriting_inputs(tmp_path):
    from kmipd.reconstruct import reconstruct

    ipd = reconstruct(CURVES, at_risk=AT_RISK).ipd
    reported = tmp_path / "reported.toml"
    reported.write_text('[arms.A]\nn = 20\n[arms.B]\nn = 20\n')
    runner = CliRunner()
    # the documented use: validate out/ipd.csv -o out
    write_table(ipd, tmp_path / "ipd.csv")
    res = runner.invoke(main_group, ["validate", str(tmp_path / "ipd.csv"), "--reported",
                                     str(reported), "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    cut = write_table(ipd, tmp_path / "ipd_at_report_cut.csv")
    res = runner.invoke(main_group, ["validate", str(cut), "--reported", str(reported),
                                     "-o", str(tmp_path)])
    assert "ipd_at_report_cut.csv" in _one_line_error(res) and len(read_ipd(cut)) == 40
    per_arm = write_table(ipd, tmp_path / "per_arm.csv")
    res = runner.invoke(main_group, ["analyze", str(per_arm), "-o", str(tmp_path), "--no-parametric"])
    assert "per_arm.csv" in _one_line_error(res) and len(read_ipd(per_arm)) == 40
    studies = write_table(ipd, tmp_path / "studies.csv")
    res = runner.invoke(main_group, ["pool", str(studies), str(tmp_path / "ipd.csv"), "--treatment",
                                     "B", "--control", "A", "-o", str(tmp_path)])
    assert "studies.csv" in _one_line_error(res) and len(read_ipd(studies)) == 40


# --- case 5: an output folder that is a file --------------------------------------------------


@pytest.mark.parametrize("command", ["digitize", "run", "validate", "analyze", "pool"])
def test_output_folder_that_is_a_file_is_one_line(tmp_path, command, fake_digitize):
    from kmipd.reconstruct import reconstruct

    ipd_csv = write_table(reconstruct(CURVES, at_risk=AT_RISK).ipd, tmp_path / "ipd.csv")
    reported = tmp_path / "reported.toml"
    reported.write_text('[arms.A]\nn = 20\n')
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    args = {
        "digitize": ["digitize", str(_figure(tmp_path / "fig.png"))],
        "run": ["run", str(_figure(tmp_path / "fig.png"))],
        "validate": ["validate", str(ipd_csv), "--reported", str(reported)],
        "analyze": ["analyze", str(ipd_csv), "--no-parametric"],
        "pool": ["pool", str(ipd_csv), str(ipd_csv), "--treatment", "B", "--control", "A"],
    }[command]
    for outdir in (blocker, blocker / "sub"):
        res = CliRunner().invoke(main_group, [*args, "-o", str(outdir)])
        assert "existing file" in _one_line_error(res)
    assert blocker.read_text() == "a file"


def test_default_analysis_folder_that_is_a_file_is_one_line(tmp_path):
    from kmipd.reconstruct import reconstruct

    ipd_csv = write_table(reconstruct(CURVES, at_risk=AT_RISK).ipd, tmp_path / "ipd.csv")
    (tmp_path / "analysis").write_text("a file")
    res = CliRunner().invoke(main_group, ["analyze", str(ipd_csv), "--no-parametric"])
    assert "existing file" in _one_line_error(res)


def test_library_to_folder_on_a_file_raises_kmipd_error(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("a file")
    with pytest.raises(KmipdError, match="existing file"):
        _digitization().to_folder(blocker)
    with pytest.raises(KmipdError, match="existing file"):
        write_table(CURVES, blocker / "curves.csv")
    assert blocker.read_text() == "a file"
