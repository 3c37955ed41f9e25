"""Vector PDF figures (issue 15): curves and text read from the page's drawing, against truth.

Every case of :func:`kmipd.testing.styles.test_figure_cases` but the JPEG look is drawn four
ways from the same data and layout:

- ``png``: the PNG figure, read from its pixels (the twin the PDF pages are compared with);
- ``vector``: a vector PDF page (matplotlib's PDF backend, TrueType text);
- ``outlined``: the same page with its text drawn as outlines (curves from the drawing, text
  by OCR);
- ``raster_pdf``: the PNG placed on a PDF page as a JPEG image (the page rendered and read
  from its pixels);
- ``lossless_pdf``: the PNG placed on a PDF page pixel for pixel (read from the image's own
  pixels: exactly the PNG).

Scored as :mod:`bench_digitize` scores figures (RMSE100 of each arm over its drawn follow-up,
arm count, names, at-risk cells, axis calibration by ticks, library time: median of three
calls after a warm-up), and per page the reading path reported (``content``).

Run: ``python bench/bench_vector_pdf.py [--only SUBSTRING]``; prints a table per figure and per
form, writes ``bench/results/vector_pdf.json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import pandas as pd
from bench_digitize import Case, _ends, _fmt, _row, run_library

from kmipd.testing.datasets import load_ipd
from kmipd.testing.pdf_figures import raster_pdf, render_km_pdf
from kmipd.testing.render import render_km_figure
from kmipd.testing.styles import test_figure_cases

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "results" / "vector_pdf.json"
FORMS = ("png", "vector", "outlined", "raster_pdf", "lossless_pdf")
#: Issue 15's targets, for vector pages.
TARGETS = {"rmse_median": 0.001, "rmse_worst": 0.001, "at_risk_exact": 1.0, "names": 1.0, "library_s": 1.0}


def vector_cases(folder: Path) -> list[Case]:
    """Each test figure in the four forms of :data:`FORMS`."""
    cases = []
    for case_id, name, kw in test_figure_cases():
        if kw["style"] == "small_jpeg":  # a JPEG look: nothing a PDF page draws
            continue
        ipd = load_ipd(name)
        png = render_km_figure(ipd, folder / f"{case_id}.png", **kw)
        made = {
            "png": png,
            "vector": render_km_pdf(ipd, folder / f"{case_id}.pdf", **kw),
            "outlined": render_km_pdf(ipd, folder / f"{case_id}-outlined.pdf", text_as_outlines=True, **kw),
        }
        pages = {"raster_pdf": raster_pdf(png.path, folder / f"{case_id}-raster.pdf"),
                 "lossless_pdf": raster_pdf(png.path, folder / f"{case_id}-lossless.pdf", lossless=True)}
        for form in FORMS:
            fig = made.get(form, png)
            path = pages.get(form, fig.path)
            cases.append(Case(
                f"{case_id}/{form}", form, fig.style, path, fig.curves, fig.arms,
                _ends(fig.curves, fig.x_range[1]), fig.at_risk if fig.has_table else None,
                fig.x_range, fig.y_range, fig.percent, fig.x_ticks))
    return cases


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default=None, help="only figures whose id contains this")
    args = ap.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="kmipd-vector-"))
    cases = vector_cases(tmp)
    if args.only:
        cases = [c for c in cases if args.only in c.id]
    print(f"digitizing {len(cases)} figures")
    records = run_library(cases)
    groups = {form: _row([r for r in records if r["source"] == form]) for form in FORMS}
    rows = [{"figure": r["id"][:45], "content": r.get("content", "-").split(":")[0][:26], "rmse": _fmt(r.get("rmse"), ".5f"),
             "worst": _fmt(r.get("rmse_max"), ".5f"), "arms": f"{r.get('n_found', '-')}/{r.get('n_true', '-')}",
             "at_risk": f"{r['at_risk'].get('right', '-')}/{r['at_risk'].get('cells', '-')}"
             if r.get("at_risk", {}).get("cells") else "-",
             "names": f"{r['names_right']}/{r['n_true']}" if "names_right" in r else "-",
             "s": _fmt(r.get("library_s"), ".2f"), "error": r.get("error", "")[:40]} for r in records]
    vector = groups["vector"]
    verdict = {k: {"value": vector.get(k), "target": t,
                   "pass": vector.get(k) is not None and (vector[k] <= t if k.startswith(("rmse", "library"))
                                                          else vector[k] >= t)}
               for k, t in TARGETS.items()}
    with pd.option_context("display.width", 200, "display.max_rows", 500):
        print("\nPer figure\n" + pd.DataFrame(rows).to_string(index=False))
        print("\nPer form\n" + pd.DataFrame(groups).T.to_string(float_format="%.5f"))
    print("\nTargets (vector pages)")
    for k, v in verdict.items():
        print(f"  {k:<14} {_fmt(v['value'], '.5f')}  target {v['target']}  {'PASS' if v['pass'] else 'FAIL'}")
    result = {"generated": time.strftime("%Y-%m-%d %H:%M:%S"), "args": vars(args), "targets": TARGETS,
              "verdict": verdict, "groups": groups, "figures": records}
    OUT.write_text(json.dumps(result, indent=1, default=lambda o: o.item() if hasattr(o, "item") else str(o)))
    print(f"\nwrote {OUT.relative_to(ROOT)}")
    shutil.rmtree(tmp, ignore_errors=True)
    return result


if __name__ == "__main__":
    main()
