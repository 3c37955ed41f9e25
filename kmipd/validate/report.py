"""One self-contained HTML page that shows a run well enough to trust it or to see why not.

Everything, images included (base64 PNG), is inside the one file, so it can be mailed or attached
to a review without its folder.
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from kmipd.outputs import write_text_atomic
from kmipd.validate.report_results import (
    failure_section,
    overrides_section,
    reading_section,
    results_section,
)
from kmipd.validate.result import ValidationResult
from kmipd.validate.table import FAIL, NOT_ESTIMABLE, format_value, statuses

_CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px auto;max-width:1100px;
 color:#1d2329;line-height:1.4;padding:0 16px}
h1{font-size:1.5em;margin-bottom:4px}h2{font-size:1.15em;border-bottom:1px solid #d0d7de;
 padding-bottom:4px;margin-top:28px}
.muted{color:#57606a;font-size:.9em}
.badge{display:inline-block;padding:4px 12px;border-radius:12px;font-weight:600;margin:8px 0}
.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}.none{background:#eaeef2}
table{border-collapse:collapse;font-size:.9em;margin:8px 0}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:right}
th{background:#f6f8fa}td.l,th.l{text-align:left}
tr.pass td{background:#f0fff4}tr.fail td{background:#fff0f0}tr.ne td{background:#f6f8fa}
td.pass{color:#116329;font-weight:600}td.fail{color:#a40e26;font-weight:600}
td.ne{color:#57606a;font-weight:600}
td.off{background:#fff0c2}
img{max-width:100%;border:1px solid #d0d7de}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:16px}
.grid figure{margin:0}figcaption{font-size:.85em;color:#57606a}
ul.warn li{color:#7d4e00}
.unsure{border:3px solid #a40e26;background:#fff0f0;color:#a40e26;padding:10px 16px;margin:12px 0;
 border-radius:8px}.unsure h2{color:#a40e26;border:0;margin:0 0 6px 0}.unsure li{color:#a40e26}
"""


def write_report(
    path: str | Path,
    *,
    title: str = "kmipd report",
    figure: str | Path | np.ndarray | None = None,
    overlay: str | Path | np.ndarray | None = None,
    curves: pd.DataFrame | None = None,
    ipd: pd.DataFrame | None = None,
    at_risk: pd.DataFrame | None = None,
    validation: ValidationResult | None = None,
    warnings: Mapping[str, list[str]] | None = None,
    files: Mapping[str, str | Path] | None = None,
    time_unit: str = "",
    colours: Mapping[str, object] | None = None,
    unsure: list[str] | tuple[str, ...] = (),
    reading: str = "",
    overrides: Sequence[str] | None = None,
    assumptions: Sequence[str] | None = None,
    arm_reading: pd.DataFrame | None = None,
    reference: str | None = None,
    failure: Mapping | None = None,
    at_risk_source: str = "read from figure",
) -> Path:
    """Write ``report.html``: input and overlay, results, curves vs rebuilt KM, at-risk, validation.

    Parameters
    ----------
    path : str or Path
        The HTML file to write (parent folders are created); replaced in one step
        (:func:`kmipd.outputs.atomic_write`), so a reader never sees half a report.
    figure, overlay : path or RGB array, optional
        The input image and the digitizer's overlay of what it found, shown side by side.
    curves : DataFrame, optional
        Digitized ``arm, time, survival``, drawn against the KM of ``ipd``.
    ipd : DataFrame, optional
        Rebuilt ``arm, time, event``.
    at_risk : DataFrame, optional
        The numbers at risk as read (``arm, time, n_at_risk``), tabled next to those implied by
        ``ipd``.
    validation : ValidationResult, optional
        Shown as a table coloured by pass/fail.
    warnings : mapping of stage name -> list of str, optional
    files : mapping of label -> path, optional
        Output files to list (linked relative to the report).
    time_unit : str
        Label of the time axis.
    colours : mapping of arm -> matplotlib colour, optional
        E.g. the colours the digitizer found, so that each arm keeps its colour of the figure.
    unsure : list of str
        The digitizer's doubts (:attr:`kmipd.digitize.result.Digitization.doubts`): when any, an
        "Unsure" banner listing them opens the page.
    reading : str
        How the figure was read (:attr:`kmipd.digitize.result.Digitization.content`: from its
        pixels, or from a vector PDF's drawing), said under the figure.
    overrides, assumptions : list of str, optional
        What the user gave in place of the figure's reading, and what was assumed for want of a
        number; listed under "Overrides and assumptions" (shown when either is given).
    arm_reading : DataFrame, optional
        ``arm, line, confidence, unsure, flags`` per arm as the digitizer read it
        (:func:`kmipd.run_report.arm_reading`).
    reference : str, optional
        The hazard ratios' reference arm (default: the first arm of ``ipd``).
    failure : mapping, optional
        ``stage``, ``message`` and ``advice`` of a run that stopped: a red box opens the page and
        the report shows what was read before it.
    at_risk_source : str
        Where ``at_risk`` came from, the label of its rows (e.g. "typed by the user").

    Returns
    -------
    Path
        ``path``.
    """
    path = Path(path)
    parts = [f"<h1>{_e(title)}</h1>", failure_section(failure) if failure else "",
             _unsure_banner(unsure), "" if failure else _summary(validation)]
    images = [(label, img) for label, img in (("Input figure", figure),
                                                ("Digitizer overlay: what was read", overlay))
              if img is not None]
    if images:
        parts.append("<h2>Figure</h2><div class='grid'>" + "".join(
            f"<figure><img alt='{_e(label)}' src='{_png_uri(img)}'><figcaption>{_e(label)}"
            "</figcaption></figure>" for label, img in images) + "</div>"
            + (f"<p class='muted'>Read as: {_e(reading)}.</p>" if reading else ""))
    if arm_reading is not None and len(arm_reading):
        parts.append("<h2>Reading of each arm</h2>" + reading_section(arm_reading))
    if overrides is not None or assumptions is not None:
        parts.append("<h2>Overrides and assumptions</h2>" + overrides_section(overrides or (), assumptions or ()))
    if ipd is not None and len(ipd):
        parts.append("<h2>Results from the rebuilt IPD</h2>"
                     + results_section(ipd, reference, time_unit, colours, _png_uri))
    if curves is not None or ipd is not None:
        parts.append("<h2>Digitized curves vs Kaplan-Meier of the rebuilt IPD</h2>"
                     f"<img alt='curves vs KM' src='{_png_uri(_curves_plot(curves, ipd, time_unit, colours))}'>"
                     "<p class='muted'>Wide pale lines: the curves read from the figure. Thin lines: "
                     "the Kaplan-Meier estimate (lifelines) of the reconstructed IPD; they should "
                     "lie on each other.</p>")
    if at_risk is not None:
        parts.append("<h2>Numbers at risk</h2>" + _at_risk_table(at_risk, ipd, at_risk_source))
    if validation is not None:
        parts.append("<h2>Validation against the reported statistics</h2>" + _validation_table(validation))
    parts.append("<h2>Warnings</h2>" + _warnings(warnings or {}, validation))
    if files:
        parts.append("<h2>Files</h2><ul>" + "".join(
            f"<li>{_e(label)}: <a href='{_e(_rel(p, path.parent))}'>{_e(_rel(p, path.parent))}</a></li>"
            for label, p in files.items()) + "</ul>")
    page = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(parts) + "</body></html>\n")
    return write_text_atomic(path, page)


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _rel(p: str | Path, base: Path) -> str:
    """``p`` as a link that resolves from ``base`` (the report's folder), also when outside it."""
    target, base = Path(p).resolve(), base.resolve()
    try:
        return target.relative_to(base).as_posix()
    except ValueError:
        pass
    try:
        return Path(os.path.relpath(target, base)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return target.as_uri()


def _png_uri(image) -> str:
    """A ``data:`` URI of a PNG from a path, raw PNG bytes or an RGB/grey array."""
    if isinstance(image, bytes):
        data = image
    elif isinstance(image, (str, Path)):
        source = Path(image)
        if source.suffix.lower() == ".png":
            data = source.read_bytes()
        else:  # e.g. a JPEG input: re-encode so that every image in the page is a PNG
            from PIL import Image

            buf = io.BytesIO()
            Image.open(source).convert("RGB").save(buf, format="PNG")
            data = buf.getvalue()
    else:
        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(np.ascontiguousarray(np.asarray(image, dtype=np.uint8))).save(buf, format="PNG")
        data = buf.getvalue()
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def _curves_plot(curves: pd.DataFrame | None, ipd: pd.DataFrame | None, time_unit: str,
                 colours: Mapping[str, object] | None = None) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from lifelines import KaplanMeierFitter

    fig, ax = plt.subplots(figsize=(8.5, 4.8), dpi=110)
    arms = list(dict.fromkeys([*(curves["arm"] if curves is not None else []),
                               *(ipd["arm"] if ipd is not None else [])]))
    palette = plt.get_cmap("tab10")
    for i, arm in enumerate(arms):
        colour = (colours or {}).get(arm, palette(i % 10))
        if curves is not None:
            c = curves[curves["arm"] == arm]
            # Digitized points are the corners of the steps: drawn as a wide pale step line, so
            # that the thin KM line of the IPD lies visibly on (or off) it.
            ax.step(c["time"], c["survival"], where="post", color=colour, lw=5, alpha=0.3,
                    solid_capstyle="butt", label=f"{arm}: digitized")
        if ipd is not None and (ipd["arm"] == arm).any():
            d = ipd[ipd["arm"] == arm]
            kmf = KaplanMeierFitter().fit(d["time"], d["event"])
            sf = kmf.survival_function_.iloc[:, 0]
            ax.step(sf.index, sf.to_numpy(), where="post", color=colour, lw=1.4,
                    label=f"{arm}: KM of rebuilt IPD")
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlim(left=0)
    ax.set_xlabel(f"Time ({time_unit})" if time_unit else "Time")
    ax.set_ylabel("Survival")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    return buf.getvalue()


def _at_risk_table(at_risk: pd.DataFrame, ipd: pd.DataFrame | None, source: str = "read from figure") -> str:
    times = sorted(set(at_risk["time"].astype(float)))
    read = at_risk.pivot_table(index="arm", columns="time", values="n_at_risk", aggfunc="first")
    implied = None
    if ipd is not None:
        from kmipd.analysis.plots import (
            numbers_at_risk,  # at risk = time >= t, as printed tables count
        )

        implied = numbers_at_risk(ipd, times).pivot_table(
            index="arm", columns="time", values="n_at_risk", aggfunc="first")
    head = "<tr><th class='l'>arm</th><th class='l'>source</th>" + "".join(
        f"<th>{t:g}</th>" for t in times) + "</tr>"
    body = []
    for arm in read.index:
        cells = [read.loc[arm].get(t, np.nan) for t in times]
        body.append(f"<tr><td class='l' rowspan='{2 if implied is not None else 1}'>{_e(arm)}</td>"
                    f"<td class='l'>{_e(source)}</td>"
                    + "".join(f"<td>{_count(v)}</td>" for v in cells) + "</tr>")
        if implied is not None:
            other = [implied.loc[arm].get(t, np.nan) if arm in implied.index else np.nan for t in times]
            body.append("<tr><td class='l'>implied by IPD</td>" + "".join(
                f"<td class='{'off' if _differs(a, b) else ''}'>{_count(b)}</td>"
                for a, b in zip(cells, other, strict=True)) + "</tr>")
    note = ""
    if implied is not None:
        note = ("<p class='muted'>Highlighted: the rebuilt IPD disagrees with the printed count.</p>"
                if "class='off'" in "".join(body) else
                "<p class='muted'>The rebuilt IPD reproduces every count read from the figure.</p>")
    return f"<table>{head}{''.join(body)}</table>{note}"


def _count(v) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{int(v)}"


def _differs(a, b) -> bool:
    return not any(isinstance(v, float) and math.isnan(v) for v in (a, b)) and int(a) != int(b)


def _unsure_banner(doubts) -> str:
    """A red box at the top of the page listing why the reading may be wrong (empty when none)."""
    if not doubts:
        return ""
    return ("<div class='unsure' id='unsure'><h2>Unsure: the figure may have been misread</h2>"
            "<p>Check the overlay against the input figure before trusting anything below; "
            "every result here rests on the curves read.</p><ul>"
            + "".join(f"<li>{_e(d)}</li>" for d in doubts) + "</ul></div>")


def _summary(validation: ValidationResult | None) -> str:
    if validation is None:
        return "<div class='badge none'>No reported statistics given: nothing validated</div>"
    table = validation.table
    status = statuses(table)
    n_fail = int((status == FAIL).sum())
    n_ne = int((status == NOT_ESTIMABLE).sum())
    checked = len(table) - n_ne
    cls, text = (("ok", f"All {checked} reported statistics reproduced") if n_fail == 0 else
                 ("bad", f"{n_fail} of {checked} reported statistics not reproduced"))
    if n_ne:
        text += f" ({n_ne} more beyond the IPD's follow-up: not estimable)"
    src = validation.reported.source
    cite = " — ".join(_e(src[k]) for k in ("citation", "endpoint") if k in src)
    notes = "".join(f"<p class='muted'><b>Note:</b> {_e(n)}</p>" for n in validation.notes)
    return (f"<div class='badge {cls}'>{text}</div>" + (f"<p class='muted'>{cite}</p>" if cite else "")
            + notes)


def _validation_table(validation: ValidationResult) -> str:
    head = ("<tr><th class='l'>statistic</th><th class='l'>arm</th><th>reported</th>"
            "<th>reconstructed</th><th>difference</th><th>tolerance</th><th class='l'>scale</th>"
            "<th class='l'>check</th></tr>")
    rows = []
    for r, status in zip(validation.table.to_dict(orient="records"), statuses(validation.table),
                         strict=True):
        cls = {FAIL: "fail", NOT_ESTIMABLE: "ne"}.get(status, "pass")
        label = "N/E" if status == NOT_ESTIMABLE else status.upper()
        diff = r["difference"]
        rows.append(
            f"<tr class='{cls}'><td class='l'>{_e(r['statistic'])}</td><td class='l'>{_e(r['arm'])}</td>"
            f"<td>{format_value(r['statistic'], r['reported'])}</td>"
            f"<td>{format_value(r['statistic'], r['reconstructed'])}</td>"
            f"<td>{'–' if math.isnan(diff) else f'{diff:+.3g}'}</td><td>{r['tolerance']:.3g}</td>"
            f"<td class='l'>{_e(r['scale'])}</td><td class='l {cls}'>{label}</td></tr>")
    legend = ("<p class='muted'>Survival as a fraction. Differences are reconstructed − reported on "
              "the stated scale: absolute; log for hazard ratios; z = Φ⁻¹(1 − p/2) for p-values. "
              "NA: not reached. N/E: not estimable, beyond the IPD's follow-up (not a failure).</p>")
    return f"<table>{head}{''.join(rows)}</table>{legend}"


def _warnings(warnings: Mapping[str, list[str]], validation: ValidationResult | None) -> str:
    stages = {k: list(v) for k, v in warnings.items()}
    if validation is not None and validation.warnings:
        stages.setdefault("validate", []).extend(w for w in validation.warnings
                                                 if w not in stages.get("validate", []))
    items = [(stage, w) for stage, ws in stages.items() for w in ws]
    if not items:
        return "<p class='muted'>None.</p>"
    out = []
    for stage, ws in stages.items():
        if ws:
            out.append(f"<h3>{_e(stage)}</h3><ul class='warn'>" + "".join(
                f"<li>{_e(w)}</li>" for w in ws) + "</ul>")
    return "".join(out)
