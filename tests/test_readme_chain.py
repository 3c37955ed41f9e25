"""One chain, one answer: the README's library example gives the IPD that ``kmipd run`` gives.

The example is read from README.md itself, so that a README that drops an input ``run`` passes
(the censor marks, once) fails here rather than in a user's hands.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pandas as pd
import pytest
from conftest import RESORT

README = Path(__file__).resolve().parents[1] / "README.md"


def _library_example() -> list[ast.stmt]:
    """The statements of the README's ``### Library`` code block."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Library"):]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    return ast.parse(code).body


def _run_statements(names: set[str], namespace: dict) -> None:
    """Execute the example's imports and the assignments to ``names``, in order."""
    for node in _library_example():
        targets = {t.id for t in getattr(node, "targets", ()) if isinstance(t, ast.Name)}
        if isinstance(node, ast.Import) or targets & names:
            exec(compile(ast.Module([node], type_ignores=[]), str(README), "exec"), namespace)


@pytest.mark.slow
def test_readme_library_chain_gives_the_ipd_of_run(resort_run, monkeypatch):
    result, _ = resort_run
    monkeypatch.chdir(RESORT)  # the example names figure.png and reported.toml in the cwd
    namespace: dict = {}
    _run_statements({"dig", "rec", "checks"}, namespace)
    ipd = namespace["rec"].ipd.reset_index(drop=True)
    pd.testing.assert_frame_equal(ipd, result.ipd.reset_index(drop=True))
    # the number the two used to disagree on: RESORT Observation's median (35.2 vs 37.0)
    medians = {(r.statistic, r.arm): r.reconstructed for r in namespace["checks"].table.itertuples()}
    run_medians = {(r.statistic, r.arm): r.reconstructed for r in result.validation.table.itertuples()}
    assert medians[("median", "Observation")] == pytest.approx(run_medians[("median", "Observation")])
    # with the table's censor marks read as drawn (2026-12-06) it is the paper's own 37 months
    assert medians[("median", "Observation")] == pytest.approx(37.0, abs=0.05)
    pd.testing.assert_frame_equal(namespace["checks"].table, result.validation.table)


def test_readme_example_passes_the_censor_marks():
    """Cheap guard: the reconstruct call of the example gives the marks, as run does."""
    calls = [n for stmt in _library_example() for n in ast.walk(stmt)
             if isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "reconstruct_ipd"]
    assert len(calls) == 1
    assert {k.arg for k in calls[0].keywords} >= {"at_risk", "censor_marks"}
