"""kmipd.wpd: WebPlotDigitizer CSV exports read as curves, checked against a known KM curve.

The truth is the Kaplan-Meier curve of lifelines' Waltons data (two groups of unequal size),
written out as the corners of its steps, the points an analyst clicks in WebPlotDigitizer. Each
test writes the file the way WPD would (shuffled points, blank cells for the shorter dataset,
the European ``;``/decimal-comma form, percent) and compares the import with the truth.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from kmipd.cli.common import main_group
from kmipd.errors import KmipdError
from kmipd.wpd import looks_like_wpd, read_wpd_csv

ARMS = ("control", "miR-137")


def _km_corners(durations: pd.Series, events: pd.Series) -> tuple[list[float], list[float]]:
    """The corners of a KM step curve: (0, 1), then the top and bottom of every drop."""
    from lifelines import KaplanMeierFitter

    fitted = KaplanMeierFitter().fit(durations, events).survival_function_.iloc[:, 0]
    times, survival = [0.0], [1.0]
    previous = 1.0
    for t, s in fitted.items():
        if t > 0 and s < previous:
            times += [float(t), float(t)]
            survival += [previous, float(s)]
            previous = float(s)
    return times, survival


@pytest.fixture(scope="module")
def truth() -> pd.DataFrame:
    """Both Waltons groups as a curves table, sorted as read_wpd_csv sorts (control first)."""
    from lifelines.datasets import load_waltons

    data = load_waltons()
    parts = []
    for arm in ARMS:
        group = data[data["group"] == arm]
        times, survival = _km_corners(group["T"], group["E"])
        parts.append(pd.DataFrame({"arm": arm, "time": times, "survival": survival}))
    return pd.concat(parts, ignore_index=True)


def _points(truth: pd.DataFrame, arm: str, seed: int = 0) -> list[tuple[float, float]]:
    """One arm's points in a shuffled order (WPD keeps the order of the clicks)."""
    rows = truth[truth["arm"] == arm]
    points = list(zip(rows["time"], rows["survival"]))
    order = np.random.default_rng(seed).permutation(len(points))
    return [points[i] for i in order]


def _cell(value: float, decimal_comma: bool) -> str:
    text = repr(float(value))
    return text.replace(".", ",") if decimal_comma else text


def _all_datasets_text(truth: pd.DataFrame, arms=ARMS, sep: str = ",", decimal_comma: bool = False,
                       scale: float = 1.0) -> str:
    """The all-datasets export: names over X,Y pairs, blank cells where a dataset ended."""
    columns = [_points(truth, arm, seed) for seed, arm in enumerate(arms)]
    lines = [sep.join(f"{arm}{sep}" for arm in arms), sep.join(["X", "Y"] * len(arms))]
    for i in range(max(len(points) for points in columns)):
        cells = []
        for points in columns:
            if i < len(points):
                cells += [_cell(points[i][0], decimal_comma), _cell(points[i][1] * scale, decimal_comma)]
            else:
                cells += ["", ""]
        lines.append(sep.join(cells))
    return "\n".join(lines) + "\n"


def _one_dataset_text(truth: pd.DataFrame, arm: str, sep: str = ", ", decimal_comma: bool = False,
                      header: bool = False) -> str:
    """The one-dataset export: x, y per line (WPD's default separator is ", ")."""
    lines = ["x,y"] if header else []
    lines += [f"{_cell(x, decimal_comma)}{sep}{_cell(y, decimal_comma)}" for x, y in _points(truth, arm)]
    return "\n".join(lines) + "\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text, encoding=encoding, newline="")
    return path


def _assert_same(frame: pd.DataFrame, expected: pd.DataFrame) -> None:
    assert list(frame.columns) == ["arm", "time", "survival"]
    assert frame["arm"].tolist() == expected["arm"].tolist()
    np.testing.assert_allclose(frame["time"], expected["time"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(frame["survival"], expected["survival"], rtol=0, atol=1e-9)


def test_all_datasets_unequal_lengths_shuffled(tmp_path, truth):
    counts = truth["arm"].value_counts()
    assert counts["control"] != counts["miR-137"]  # the shorter dataset leaves blank cells
    path = _write(tmp_path / "wpd_datasets.csv", _all_datasets_text(truth))
    notes: list[str] = []
    frame = read_wpd_csv(path, notes=notes)
    _assert_same(frame, truth)
    assert any("WebPlotDigitizer all-datasets" in note and "'miR-137'" in note for note in notes)


def test_arm_order_is_the_files(tmp_path, truth):
    path = _write(tmp_path / "wpd_datasets.csv", _all_datasets_text(truth, arms=ARMS[::-1]))
    expected = pd.concat([truth[truth["arm"] == arm] for arm in ARMS[::-1]], ignore_index=True)
    _assert_same(read_wpd_csv(path), expected)


def test_bom_crlf_and_trailing_empty_columns(tmp_path, truth):
    text = _all_datasets_text(truth).replace("\n", ",,\r\n")
    path = _write(tmp_path / "wpd.csv", "\ufeff" + text)
    assert looks_like_wpd(path)
    _assert_same(read_wpd_csv(path), truth)


def test_semicolon_and_decimal_comma(tmp_path, truth):
    path = _write(tmp_path / "wpd.csv", _all_datasets_text(truth, sep=";", decimal_comma=True))
    assert looks_like_wpd(path)
    _assert_same(read_wpd_csv(path), truth)
    one = truth[truth["arm"] == "miR-137"].reset_index(drop=True)
    single = _write(tmp_path / "miR-137.csv", _one_dataset_text(truth, "miR-137", sep=";", decimal_comma=True))
    assert looks_like_wpd(single)
    _assert_same(read_wpd_csv(single), one)


def test_one_dataset_named_by_stem_or_arm(tmp_path, truth):
    one = truth[truth["arm"] == "control"].reset_index(drop=True)
    path = _write(tmp_path / "control.csv", _one_dataset_text(truth, "control"))
    _assert_same(read_wpd_csv(path), one)
    renamed = read_wpd_csv(path, arm="Placebo")
    assert set(renamed["arm"]) == {"Placebo"}
    np.testing.assert_allclose(renamed["survival"], one["survival"], rtol=0, atol=1e-9)


def test_one_dataset_with_header(tmp_path, truth):
    one = truth[truth["arm"] == "control"].reset_index(drop=True)
    path = _write(tmp_path / "control.csv", _one_dataset_text(truth, "control", sep=",", header=True))
    assert looks_like_wpd(path)
    _assert_same(read_wpd_csv(path), one)


def test_percent_survival(tmp_path, truth):
    path = _write(tmp_path / "wpd.csv", _all_datasets_text(truth, scale=100.0))
    notes: list[str] = []
    _assert_same(read_wpd_csv(path, notes=notes), truth)
    assert sum("survival given in percent" in note for note in notes) == 2


def test_tiny_negative_time_clipped_with_note(tmp_path):
    path = _write(tmp_path / "A.csv", "-0.04, 1.0\n10, 1.0\n10, 0.5\n20, 0.5\n")
    notes: list[str] = []
    frame = read_wpd_csv(path, notes=notes)
    assert frame["time"].tolist() == [0.0, 10.0, 10.0, 20.0]
    assert frame["survival"].tolist() == [1.0, 1.0, 0.5, 0.5]
    assert any(note.startswith("A: set 1 time(s) just below 0") for note in notes)


def test_all_datasets_single_dataset_renamed(tmp_path):
    path = _write(tmp_path / "wpd.csv", "Default Dataset,\nX,Y\n0,1\n5,0.8\n")
    assert read_wpd_csv(path, arm="Drug")["arm"].tolist() == ["Drug", "Drug"]


@pytest.mark.parametrize(("text", "words"), [
    ("", ["empty"]),
    ("A,,B,\nX,Y,X,Y\n", ["no numeric rows"]),
    ("x,y\n", ["no numeric rows"]),
    ("A,,B\nX,Y,X\n1,1,2\n", ["3 X/Y columns", "odd number"]),
    ("A,,B,\nX,Y,X,Y\n0,1,0,1\n5,abc,4,0.5\n", ["line 4", "'A'", "'abc'", "not a number"]),
    ("A,,B,\nX,Y,X,Y\n0,1,0,1\n5,,4,0.5\n", ["line 4", "no Y value"]),
    ("A,,A,\nX,Y,X,Y\n0,1,0,1\n", ["two datasets named 'A'"]),
    ("A,,B,\nX,Y,X,Y\n0,1,0,1,7\n", ["5 values", "more than the 4 X/Y columns"]),
    ("0, 1\n3, 0.9, 4\n", ["line 2", "not 2"]),
    ("0, 1\n3, 1e999\n", ["'1e999'", "not a number"]),
    ("0, 1\n-5, 0.9\n10, 0.5\n", ["time -5", "clearly below 0"]),
])
def test_bad_files(tmp_path, text, words):
    path = _write(tmp_path / "bad.csv", text)
    with pytest.raises(KmipdError) as err:
        read_wpd_csv(path)
    message = str(err.value)
    assert str(path) in message and "\n" not in message
    for word in words:
        assert word in message


def test_arm_with_several_datasets_refused(tmp_path, truth):
    path = _write(tmp_path / "wpd.csv", _all_datasets_text(truth))
    with pytest.raises(KmipdError, match="has 2 datasets"):
        read_wpd_csv(path, arm="Drug")


def test_missing_file(tmp_path):
    with pytest.raises(KmipdError, match="does not exist"):
        read_wpd_csv(tmp_path / "nope.csv")
    assert not looks_like_wpd(tmp_path / "nope.csv")


def test_looks_like_wpd(tmp_path, truth):
    assert looks_like_wpd(_write(tmp_path / "all.csv", _all_datasets_text(truth)))
    assert looks_like_wpd(_write(tmp_path / "one.csv", "0, 1\n5, 0.8\n"))
    assert not looks_like_wpd(_write(tmp_path / "curves.csv", "arm,time,survival\nA,0,1\nA,5,0.8\n"))
    assert not looks_like_wpd(_write(tmp_path / "other.csv", "time,survival\n0,1\n"))
    assert not looks_like_wpd(_write(tmp_path / "empty.csv", ""))
    truth.to_csv(tmp_path / "kmipd.csv", index=False)
    assert not looks_like_wpd(tmp_path / "kmipd.csv")


def test_reconstruct_cli_same_ipd_as_curves_csv(tmp_path, truth):
    curves = tmp_path / "curves.csv"
    truth.to_csv(curves, index=False, float_format="%.17g")
    wpd = _write(tmp_path / "wpd_datasets.csv", _all_datasets_text(truth))
    runner = CliRunner()
    args = ["--n", "control=129", "--n", "miR-137=34"]
    plain = runner.invoke(main_group, ["reconstruct", str(curves), *args, "-o", str(tmp_path / "a.csv")])
    assert plain.exit_code == 0, plain.output
    from_wpd = runner.invoke(main_group, ["reconstruct", str(wpd), *args, "-o", str(tmp_path / "b.csv")])
    assert from_wpd.exit_code == 0, from_wpd.output
    assert "WebPlotDigitizer" not in plain.stderr and "WebPlotDigitizer" in from_wpd.stderr
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
    assert len(pd.read_csv(tmp_path / "b.csv")) == 129 + 34


def test_reconstruct_cli_bad_wpd_is_one_line(tmp_path):
    path = _write(tmp_path / "bad.csv", "A,,B\nX,Y,X\n1,1,2\n")
    result = CliRunner().invoke(main_group, ["reconstruct", str(path), "--n", "A=10",
                                             "-o", str(tmp_path / "ipd.csv")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "odd number" in result.stderr
