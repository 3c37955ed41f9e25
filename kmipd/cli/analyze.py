"""``kmipd analyze`` (survival report of one IPD file) and ``kmipd pool`` (meta-analysis of studies)."""

from __future__ import annotations

from pathlib import Path

import click

from kmipd.cli.common import main_group, one_line_errors
from kmipd.errors import KmipdError
from kmipd.outputs import check_output_folder, refuse_overwriting_inputs


def parse_times(text: str | None, option: str) -> list[float] | None:
    """Parse a comma-separated list of times such as ``12,24,36``."""
    if text is None:
        return None
    try:
        return [float(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise KmipdError(f"{option} takes comma-separated times (for example {option} 12,24), got {text!r}.") from None


def _check_outputs(outdir: Path, names: tuple[str, ...], inputs: list[str | None]) -> None:
    """Refuse an output folder that is a file, or one where an input would be overwritten."""
    check_output_folder(outdir)
    refuse_overwriting_inputs(inputs, [outdir / name for name in names])


def _report(files: dict[str, Path], outdir: Path) -> None:
    click.echo(f"\nwrote {len(files)} files to {outdir}: {', '.join(sorted(p.name for p in files.values()))}")


@main_group.command("analyze")
@click.argument("ipd_csv", metavar="IPD.csv", type=click.Path(dir_okay=False))
@click.option("--reference", help="Arm the others are compared with (default: first arm alphabetically).")
@click.option("--tau", type=float, help="RMST horizon (default: shortest of the arms' maximum follow-up).")
@click.option("--landmarks", metavar="T1,T2,...", help="Times for survival-at-landmark estimates, e.g. 12,24.")
@click.option("--horizon", type=float, help="Extrapolation horizon of the parametric fits (default: 2 x longest follow-up).")
@click.option("--no-parametric", is_flag=True, help="Skip the parametric (HTA) fits.")
@click.option("--alpha", type=float, default=0.05, show_default=True, help="1 - confidence level.")
@click.option("-o", "--outdir", type=click.Path(), help="Output folder (default: 'analysis' next to IPD.csv).")
@one_line_errors
def analyze_command(ipd_csv, reference, tau, landmarks, horizon, no_parametric, alpha, outdir) -> None:
    """Survival analysis of IPD.csv (arm,time,event): medians, landmarks, RMST, Cox HR + PH test,
    log-rank, parametric fits; printed, and written as CSV, JSON and PNG."""
    from kmipd.analysis import analyze
    from kmipd.analysis.survival import ANALYSIS_OUTPUTS

    outdir = Path(outdir) if outdir else Path(ipd_csv).parent / "analysis"
    _check_outputs(outdir, ANALYSIS_OUTPUTS, [ipd_csv])
    result = analyze(ipd_csv, reference=reference, tau=tau, landmarks=parse_times(landmarks, "--landmarks"),
                     horizon=horizon, parametric=not no_parametric, alpha=alpha)
    click.echo(result.format())
    _report(result.to_folder(outdir), outdir)


@main_group.command("pool")
@click.argument("ipd_csvs", nargs=-1, metavar="[STUDY/ipd.csv ...]", type=click.Path(dir_okay=False))
@click.option("--manifest", type=click.Path(dir_okay=False), help="TOML file listing the studies (see README).")
@click.option("--treatment", help="Treatment arm (every study, or the manifest's default).")
@click.option("--control", help="Control arm (every study, or the manifest's default).")
@click.option("--alpha", type=float, default=0.05, show_default=True, help="1 - confidence level.")
@click.option("-o", "--outdir", type=click.Path(),
              help="Output folder (default: 'pooled' next to the manifest, or in the current folder).")
@one_line_errors
def pool_command(ipd_csvs, manifest, treatment, control, alpha, outdir) -> None:
    """Meta-analysis of treatment vs control across studies: one-stage stratified Cox and two-stage
    fixed / random (DerSimonian-Laird) effects, heterogeneity, forest plot.

    Give the studies' IPD files (each named after its folder) with --treatment and --control, or
    a --manifest.
    """
    from kmipd.pooling import POOL_OUTPUTS, pool, read_manifest, studies_from_paths

    if manifest and ipd_csvs:
        raise KmipdError("give either IPD files or --manifest, not both.")
    if manifest:
        studies = read_manifest(manifest, treatment=treatment, control=control)
        default_out = Path(manifest).parent / "pooled"
    elif ipd_csvs:
        if not treatment or not control:
            raise KmipdError("pooling IPD files needs --treatment ARM and --control ARM.")
        studies = studies_from_paths(ipd_csvs, treatment, control)
        default_out = Path("pooled")
    else:
        raise KmipdError("no studies given; pass IPD files with --treatment/--control, or --manifest studies.toml.")
    outdir = Path(outdir) if outdir else default_out
    _check_outputs(outdir, POOL_OUTPUTS, [*ipd_csvs, manifest])
    result = pool(studies, alpha=alpha)
    click.echo(result.format())
    _report(result.to_folder(outdir), outdir)
