"""``kmipd reconstruct``: digitized curves (+ numbers at risk, or N) -> IPD CSV."""

from __future__ import annotations

from pathlib import Path

import click

from kmipd.cli.common import main_group, one_line_errors, parse_arm_values
from kmipd.outputs import refuse_overwriting_inputs


@main_group.command("reconstruct")
@click.argument("curves_csv", type=click.Path(dir_okay=False))
@click.option("--at-risk", "at_risk_csv", type=click.Path(dir_okay=False), help="Numbers at risk: arm,time,n_at_risk.")
@click.option("--n", "n_pairs", multiple=True, metavar="ARM=N", help="Total patients of an arm (repeat per arm).")
@click.option("--events", "event_pairs", multiple=True, metavar="ARM=E", help="Total events of an arm, when reported.")
@click.option("--censor-marks", "marks_csv", type=click.Path(dir_okay=False),
              help="Censor marks read from the figure (arm,time[,survival]); used as censoring times.")
@click.option("--median-follow-up", "follow_up", type=float, default=None, metavar="T",
              help="Reported median follow-up (reverse Kaplan-Meier), in the curves' time units; "
                   "steers the censoring of arms without an at-risk table.")
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), required=True, help="IPD CSV to write.")
@one_line_errors
def reconstruct_command(curves_csv, at_risk_csv, n_pairs, event_pairs, marks_csv, follow_up, output) -> None:
    """Rebuild individual patient data (arm,time,event) from CURVES_CSV (arm,time,survival).

    CURVES_CSV may also be a WebPlotDigitizer CSV export (all datasets, or one dataset named by
    the file name); it is recognised by its layout and the output says it was read as such.
    """
    # imported here, not at the top: every command module is loaded for any command
    from kmipd.io import read_at_risk, read_censor_marks, read_curves
    from kmipd.reconstruct import reconstruct
    from kmipd.wpd import looks_like_wpd, read_wpd_csv

    refuse_overwriting_inputs([curves_csv, at_risk_csv, marks_csv], [output])
    n = parse_arm_values(n_pairs, "--n")
    events = parse_arm_values(event_pairs, "--events")
    notes: list[str] = []
    reader = read_wpd_csv if looks_like_wpd(curves_csv) else read_curves
    curves = reader(curves_csv, notes=notes)
    at_risk = read_at_risk(at_risk_csv) if at_risk_csv else None
    marks = read_censor_marks(marks_csv) if marks_csv else None
    rebuilt = reconstruct(curves, at_risk=at_risk, n=n, events=events, censor_marks=marks,
                          median_follow_up=follow_up)
    rebuilt.to_csv(output)
    click.echo(rebuilt.format())
    for note in [*notes, *rebuilt.notes]:
        click.echo(f"note: {note}", err=True)
    click.echo(f"wrote {Path(output)}")
