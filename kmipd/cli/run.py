"""``kmipd run``: figure -> digitize -> reconstruct -> validate -> report.html, in one command."""

from __future__ import annotations

import sys

import click

from kmipd.cli.common import check_axis_range, main_group, one_line_errors, parse_arm_values


@main_group.command("run")
@click.argument("figure", type=click.Path(dir_okay=False))
@click.option("--reported", "reported", type=click.Path(dir_okay=False), default=None,
              help="The paper's statistics as a TOML file; without it nothing is validated.")
@click.option("-o", "--output", "outdir", type=click.Path(), required=True,
              help="Folder for every intermediate file and report.html (these files of an "
                   "earlier run are removed first).")
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
def run_command(figure, reported, outdir, n_pairs, event_pairs, follow_up, x_range, y_range, n_arms,
                page, panel) -> None:
    """Run the whole chain on FIGURE and write every file and report.html to OUTDIR.

    Exits 0 when every reported statistic is reproduced (or none was given), 1 when one is not,
    2 on bad input.
    """
    from kmipd.pipeline import run

    check_axis_range(x_range, "--x-range")
    check_axis_range(y_range, "--y-range")
    options = {"x_range": x_range, "y_range": y_range, "n_arms": n_arms, "page": page, "panel": panel}
    result = run(
        figure, reported, outdir,
        progress=lambda line: click.echo(line, err=True),
        n=parse_arm_values(n_pairs, "--n") or None,
        events=parse_arm_values(event_pairs, "--events") or None,
        median_follow_up=follow_up,
        digitize_options=options,
    )
    from kmipd.pipeline import UNSURE

    for stage, lines in result.warnings.items():
        for line in lines if stage != UNSURE else ():
            click.echo(f"warning ({stage}): {line}", err=True)
    if result.validation is not None:
        click.echo(result.validation.format())
    click.echo(f"report: {result.report}")
    for line in result.warnings.get(UNSURE, []):  # last and loud; the exit code is not changed
        click.echo(f"unsure: {line}", err=True)
    sys.exit(result.exit_code)
