"""``kmipd run``: figure -> digitize -> reconstruct -> validate -> report.html, in one command."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kmipd.cli.common import check_axis_range, main_group, one_line_errors, parse_arm_values


@main_group.command("run")
@click.argument("figure", type=click.Path(dir_okay=False))
@click.option("--reported", "reported", type=click.Path(dir_okay=False), default=None,
              help="The paper's statistics as a TOML file; without it nothing is validated.")
@click.option("-o", "--output", "outdir", type=click.Path(), required=True,
              help="Folder for every intermediate file and report.html (these files of an "
                   "earlier run are removed first).")
@click.option("--at-risk", "at_risk", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Numbers at risk typed from the paper (arm,time,n_at_risk), replacing the table "
                   "read from the figure.")
@click.option("--names", default=None, metavar="A,B",
              help="The arms' names in the figure's arm order (or the --curves file's), replacing "
                   "the legend's names.")
@click.option("--curves", "curves", type=click.Path(dir_okay=False), default=None, metavar="FILE",
              help="Curves traced with another tool, used instead of the digitized ones: kmipd's "
                   "curves.csv (arm,time,survival) or a WebPlotDigitizer CSV export.")
@click.option("--n", "n_pairs", multiple=True, metavar="ARM=N",
              help="Total patients of an arm (repeat per arm); for figures without an at-risk table.")
@click.option("--events", "event_pairs", multiple=True, metavar="ARM=E",
              help="Total events of an arm, to pass to the reconstruction.")
@click.option("--median-follow-up", "follow_up", type=float, default=None, metavar="T",
              help="Reported median follow-up, in the figure's time units, for a figure without an "
                   "at-risk table (default: [study] median_follow_up of the reported file).")
@click.option("--x-range", nargs=2, type=float, default=None, metavar="A B",
              help="Values of the first and last x tick mark; overrides the labels read.")
@click.option("--y-range", nargs=2, type=float, default=None, metavar="A B",
              help="Values of the lowest and highest y tick mark (0 1, or 0 100 for percent).")
@click.option("--arms", "n_arms", type=click.IntRange(1, 12), default=None, help="Number of curves, when known.")
@click.option("--page", type=click.IntRange(0), default=0, show_default=True, help="PDF page, from 0.")
@click.option("--figure", "--panel", "panel", type=click.IntRange(0), default=None,
              help="Plot of a multi-panel figure or of a page with several figures, in reading order "
                   "from 0 (top-left); default: the first KM plot.")
@one_line_errors
def run_command(figure, reported, outdir, at_risk, names, curves, n_pairs, event_pairs, follow_up,
                x_range, y_range, n_arms, page, panel) -> None:
    """Run the whole chain on FIGURE and write every file and report.html to OUTDIR.

    Every value given in place of the figure's reading (--at-risk, --names, --curves, --n,
    --events, axis ranges) and every assumption made is printed and listed in the report. A
    stage that stops on bad input still writes report.html (what was read, why it stopped,
    what to do). Exits 0 when every reported statistic is reproduced (or none was given), 1
    when one is not, 2 on bad input.
    """
    from kmipd.pipeline import RunStopped, run

    check_axis_range(x_range, "--x-range")
    check_axis_range(y_range, "--y-range")
    options = {"x_range": x_range, "y_range": y_range, "n_arms": n_arms, "page": page, "panel": panel}
    try:
        result = run(
            figure, reported, outdir,
            progress=lambda line: click.echo(line, err=True),
            n=parse_arm_values(n_pairs, "--n") or None,
            events=parse_arm_values(event_pairs, "--events") or None,
            median_follow_up=follow_up,
            digitize_options=options,
            at_risk=at_risk, names=names, curves=curves,
        )
    except RunStopped as stopped:  # say what was given and read, then the one-line error
        _echo_record(stopped.warnings, stopped.overrides, stopped.assumptions)
        _echo_unsure(stopped.warnings, outdir)
        raise
    _echo_record(result.warnings, result.overrides, result.assumptions)
    if result.validation is not None:
        click.echo(result.validation.format())
    click.echo(f"report: {result.report}")
    _echo_unsure(result.warnings, outdir)
    sys.exit(result.exit_code)


def _echo_record(warnings: dict[str, list[str]], overrides: list[str], assumptions: list[str]) -> None:
    """Print every stage's warnings, the user's overrides and the assumptions made, on stderr."""
    from kmipd.pipeline import UNSURE

    for stage, lines in warnings.items():
        for line in lines if stage != UNSURE else ():
            click.echo(f"warning ({stage}): {line}", err=True)
    for line in overrides:
        click.echo(f"override: {line}", err=True)
    for line in assumptions:
        click.echo(f"assumption: {line}", err=True)


def _echo_unsure(warnings: dict[str, list[str]], outdir: str) -> None:
    """The digitizer's doubts: last and loud (the exit code is not changed), with the way to
    check and correct the reading."""
    from kmipd.pipeline import UNSURE

    for line in warnings.get(UNSURE, []):
        click.echo(f"unsure: {line}", err=True)
    if warnings.get(UNSURE) and (Path(outdir) / "digitization.json").is_file():
        click.echo(f"unsure: check the reading over the figure and correct it with: kmipd review {outdir}",
                   err=True)
