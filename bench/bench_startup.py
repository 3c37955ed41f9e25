"""Start-up speed of the command line: ``kmipd digitize FIGURE -o DIR`` as a whole process.

Target: at most 3 s wall time per figure on the project's 2-core machine (median of the repeats).

Measured, each in a fresh process and ``--repeats`` times (default 3):

- ``import kmipd`` and ``import kmipd.cli``: seconds inside the process, and whether lifelines,
  statsmodels or matplotlib were pulled in (``kmipd digitize`` needs none of them);
- OCR model load: :func:`kmipd.digitize.text.ocr.engine` until its detection and recognition models
  are loaded (importing rapidocr included, importing kmipd.digitize not);
- the whole ``kmipd digitize FIGURE -o DIR`` process on ``figures/resort/figure.png`` and on two
  figures this script renders with :func:`kmipd.testing.render.render_km_figure` (two cases of
  :func:`kmipd.testing.styles.test_figure_cases`, see :data:`FIGURE_CASES`); wall time, and the
  CPU time of the child, which other work on the machine disturbs less than the wall time.

The machine's load average is recorded with the results: other processes running at the same
time make every wall time longer.

Run: ``python bench/bench_startup.py [--repeats N] [--src DIR] [--out FILE]``; prints a table and
writes ``bench/results/startup.json``. ``--src`` measures another copy of the ``kmipd`` package
(the folder that contains it), e.g. an older version for a before/after comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "startup.json"
RESORT = ROOT / "figures" / "resort" / "figure.png"
TARGET_S = 3.0
HEAVY = ("lifelines", "statsmodels", "matplotlib")

# Scripts run in a fresh interpreter; each prints one JSON line.
IMPORT_SCRIPT = """
import json, sys, time
t = time.perf_counter()
import {module}
s = time.perf_counter() - t
print(json.dumps({{"s": s, "heavy": [m for m in {heavy!r} if m in sys.modules]}}))
"""
ENGINE_SCRIPT = """
import json, time
try:
    from kmipd.digitize.text import ocr
except ImportError:  # an older kmipd (--src) kept the OCR module at kmipd/digitize/ocr.py
    from kmipd.digitize import ocr
t = time.perf_counter()
e = ocr.engine()
for load in ("_load_det_model", "_load_rec_model"):  # older kmipd loaded them on first use
    getattr(e, load, lambda: None)()
s = time.perf_counter() - t
files = getattr(ocr, "model_files", dict)()
print(json.dumps({"s": s, "models": {k: str(v) for k, v in files.items()}}))
"""


def _env(src: Path | None) -> dict[str, str]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    return env


def _python_json(script: str, env: dict[str, str], cwd: Path) -> dict:
    """Run ``script`` in a fresh interpreter; its last stdout line is JSON."""
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          cwd=cwd)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr.strip()[-500:])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def time_cli(exe: str, figure: Path, outdir: Path, env: dict[str, str], cwd: Path) -> dict:
    """Wall and CPU seconds of one ``kmipd digitize FIGURE -o OUTDIR`` process."""
    cpu0 = _child_cpu()
    t0 = time.perf_counter()
    proc = subprocess.run([exe, "digitize", str(figure), "-o", str(outdir)], capture_output=True,
                          text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "cpu_s": _child_cpu() - cpu0, "rc": proc.returncode,
            "stderr": proc.stderr.strip()[-300:]}


#: Rendered test figures timed besides RESORT: an ordinary two-arm figure with a risk table, and
#: the largest style (1200 px wide, four arms: the most text for the OCR to read).
FIGURE_CASES = ("colour_plus-lung", "thick_multi-larynx")


def render_figures(folder: Path) -> list[tuple[str, Path]]:
    """Render :data:`FIGURE_CASES` (the first two catalogue cases if those ids are gone)."""
    from kmipd.testing.datasets import load_ipd
    from kmipd.testing.render import render_km_figure
    from kmipd.testing.styles import test_figure_cases

    cases = test_figure_cases()
    picked = [c for c in cases if c[0] in FIGURE_CASES] or cases[:2]
    out = []
    for case_id, name, kw in picked:
        fig = render_km_figure(load_ipd(name), folder / f"{case_id}.png", **kw)
        out.append((case_id, Path(fig.path)))
    return out


def _stats(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "runs": values}


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--src", type=Path, default=None,
                    help="folder holding another kmipd package to measure instead")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    env = _env(args.src.resolve() if args.src else None)
    exe = shutil.which("kmipd", path=str(Path(sys.executable).parent)) or shutil.which("kmipd")
    if exe is None:
        raise SystemExit("kmipd console script not found; install the package first")
    tmp = Path(tempfile.mkdtemp(prefix="kmipd-startup-"))
    cwd = tmp  # not the repository root, where "import kmipd" would find ./kmipd before --src
    load_before = os.getloadavg()
    try:
        figures = [("resort", RESORT), *render_figures(tmp / "figures")]
        results: dict = {"imports": {}, "ocr_load": None, "cli": {}}
        for module in ("kmipd", "kmipd.cli"):
            runs = [_python_json(IMPORT_SCRIPT.format(module=module, heavy=HEAVY), env, cwd)
                    for _ in range(args.repeats)]
            results["imports"][module] = {**_stats([r["s"] for r in runs]), "heavy": runs[-1]["heavy"]}
        runs = [_python_json(ENGINE_SCRIPT, env, cwd) for _ in range(args.repeats)]
        results["ocr_load"] = {**_stats([r["s"] for r in runs]), "models": runs[-1]["models"]}
        for name, path in figures:
            runs = [time_cli(exe, path, tmp / "out" / name, env, cwd) for _ in range(args.repeats)]
            bad = [r for r in runs if r["rc"] != 0]
            results["cli"][name] = {**_stats([r["wall_s"] for r in runs]),
                                    "cpu_s": statistics.median([r["cpu_s"] for r in runs]),
                                    "figure": str(path.relative_to(ROOT) if path.is_relative_to(ROOT)
                                                  else path.name),
                                    "errors": [r["stderr"] for r in bad]}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    worst = max(r["median"] for r in results["cli"].values())
    failed = any(r["errors"] for r in results["cli"].values())
    verdict = {"target_s": TARGET_S, "worst_median_s": worst,
               "pass": bool(worst <= TARGET_S and not failed)}
    _print_table(results, verdict, args.repeats)
    record = {
        "generated": time.strftime("%Y-%m-%d %H:%M:%S"), "src": str(args.src or "installed"),
        "repeats": args.repeats,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "loadavg_before": load_before, "loadavg_after": os.getloadavg(),
                    "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE")},
        "verdict": verdict, "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1))
    print(f"\nwrote {args.out}")
    return record


def _print_table(results: dict, verdict: dict, repeats: int) -> None:
    rows = [(f"import {m}", r, ", ".join(r["heavy"]) or "-") for m, r in results["imports"].items()]
    rows.append(("OCR model load", results["ocr_load"], ""))
    rows += [(f"kmipd digitize {name}", r, f"cpu {r['cpu_s']:.2f} s" + (" ERROR" if r["errors"] else ""))
             for name, r in results["cli"].items()]
    print(f"\n{'measurement':<36} {'median':>7} {'min':>7} {'max':>7}  (s, {repeats} runs)  notes")
    for label, r, note in rows:
        print(f"{label:<36} {r['median']:7.2f} {r['min']:7.2f} {r['max']:7.2f}  {note}")
    print(f"\nwhole-process target: median <= {verdict['target_s']:.1f} s per figure; worst median "
          f"{verdict['worst_median_s']:.2f} s: {'PASS' if verdict['pass'] else 'FAIL'}")
    print(f"load average: {os.getloadavg()[0]:.2f} (wall times grow with other work on the machine)")


if __name__ == "__main__":
    main()
