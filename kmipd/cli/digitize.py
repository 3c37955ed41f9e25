"""``kmipd digitize``: a KM figure (image or PDF page) -> curves, censor marks, numbers at risk, overlay."""

from __future__ import annotations

from pathlib import Path

import click

from kmipd.cli.common import check_axis_range, main_group, one_line_errors
from kmipd.outputs import check_output_folder, refuse_overwriting_inputs


@main_group.command("digitize")
@click.argument("figure", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "outdir", type=click.Path(), required=True,
              help="Folder for curves.csv, censor_marks.csv, at_risk.csv, digitization.json, "
                   "overlay.png (these files of an earlier run are replaced or removed).")
@click.option("--x-range", nargs=2, type=float, default=None, metavar="A B",
              help="Values of the first and last x tick mark (the box edges if the axis has no ticks); "
                   "overrides the labels read.")
@click.option("--y-range", nargs=2, type=float, default=None, metavar="A B",
              help="Values of the lowest and highest y tick mark, e.g. 0 1 or 0 100 for a percent axis.")
@click.option("--arms", "n_arms", type=click.IntRange(1, 12), default=None, help="Number of curves, when known.")
@click.option("--page", type=click.IntRange(0), default=0, show_default=True,
              help="PDF page (or TIFF frame), counted from 0.")
@click.option("--figure", "--panel", "panel", type=click.IntRange(0), default=None,
              help="Plot of a multi-panel figure or of a page with several figures, in reading order "
                   "from 0 (top-left); default: the first KM plot.")
@click.option("--no-overlay", is_flag=True, help="Do not draw overlay.png.")
@one_line_errors
def digitize_command(figure, outdir, x_range, y_range, n_arms, page, panel, no_overlay) -> None:
    """Read the Kaplan-Meier curves, censor marks and numbers at risk from FIGURE.

    A reading that fails a plausibility check is written all the same (exit 0) but called
    unsure: one ``unsure: ...`` line per reason on stderr, ``"unsure": true`` in digitization.json.
    """
    from kmipd.digitize import digitize
    from kmipd.digitize.result import DIGITIZE_OUTPUTS

    check_axis_range(x_range, "--x-range")
    check_axis_range(y_range, "--y-range")
    check_output_folder(outdir)
    refuse_overwriting_inputs([figure], [Path(outdir) / name for name in DIGITIZE_OUTPUTS])
    result = digitize(figure, x_range=x_range, y_range=y_range, n_arms=n_arms, page=page, panel=panel,
                      overlay=not no_overlay)
    paths = result.to_folder(outdir)
    click.echo(result.format())
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    click.echo(f"wrote {', '.join(p.name for p in paths.values())} to {Path(outdir)}")
    for d in result.doubts:  # last, so that it is what the user sees; the data are written (exit 0)
        click.echo(f"unsure: {d.message}", err=True)
    if result.unsure:
        click.echo(f"unsure: {len(result.doubts)} reason(s) to doubt this reading: check overlay.png "
                   "before using the curves (\"unsure\": true in digitization.json); correct it "
                   f"with: kmipd review {outdir}", err=True)
