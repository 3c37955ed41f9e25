"""``kmipd validate``: IPD vs the statistics the paper reports; exit 0 all pass, 1 a failure, 2 bad input."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from kmipd.cli.common import main_group, one_line_errors
from kmipd.outputs import check_output_folder, refuse_overwriting_inputs


@main_group.command("validate")
@click.argument("ipd_csv", type=click.Path(dir_okay=False))
@click.option("--reported", "reported", type=click.Path(dir_okay=False), required=True,
              help="The paper's statistics as a TOML file (schema: README, 'Reported statistics file').")
@click.option("-o", "--output", "outdir", type=click.Path(), default=None,
              help="Folder for validation.csv, validation.json and report.html.")
@click.option("--at-report-follow-up", "at_report_follow_up", is_flag=True, default=False,
              help="The report is an earlier data cut (shorter [study] median_follow_up, e.g. an "
                   "interim analysis): compare at an emulated cut, assuming uniform accrual and "
                   "administrative censoring. The table's first line says how far back.")
@one_line_errors
def validate_command(ipd_csv, reported, outdir, at_report_follow_up) -> None:
    """Check IPD_CSV (arm,time,event) against the numbers in the paper.

    Prints one line per reported statistic; exits 0 when none fails (lines beyond the IPD's
    follow-up are N/E, not failures), 1 when any fails, 2 on bad input.
    """
    from kmipd.io import read_ipd
    from kmipd.validate import validate, write_report
    from kmipd.validate.result import VALIDATION_OUTPUTS

    if outdir:
        check_output_folder(outdir)
        refuse_overwriting_inputs([ipd_csv, reported], [Path(outdir) / name for name in
                                                         (*VALIDATION_OUTPUTS, "report.html")])
    ipd = read_ipd(ipd_csv)
    result = validate(ipd, reported, emulate_cut=at_report_follow_up)
    click.echo(result.format())
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if outdir:
        paths = result.to_folder(outdir)
        paths["report"] = write_report(
            Path(outdir) / "report.html", title=f"kmipd validate: {Path(ipd_csv).name}", ipd=ipd,
            validation=result, time_unit=result.reported.time_unit,
            files={"IPD": Path(ipd_csv), "reported": Path(reported), **paths})
        click.echo(f"wrote {', '.join(p.name for p in paths.values())} to {Path(outdir)}")
    sys.exit(0 if result.passed else 1)
