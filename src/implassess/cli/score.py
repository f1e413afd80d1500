"""CLI commands of the scoring engine: ``score``, ``norms build`` and ``change``.

The lead attaches them to the main CLI (``cli.add_command(score)`` …), which turns
:mod:`implassess.errors` exceptions into messages and exit codes. numpy and scipy are
imported inside the commands, so ``implassess --help`` stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs
import click

from implassess.cli.reading import Reading, echo_rejected, echo_warnings, echo_waves, reader_options

if TYPE_CHECKING:
    pass

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _fmt(v: float | None, digits: int = 1) -> str:
    return "–" if v is None else f"{v:.{digits}f}"


@click.command("score", context_settings=CONTEXT)
@click.argument("responses", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--instrument", "-i", "instrument_ref", required=True, help="Instrument id or TOML path.")
@click.option(
    "--by",
    "by",
    multiple=True,
    metavar="COLUMN[,COLUMN]",
    help="Break results down by an attribute column; join columns with a comma for combinations. Repeatable.",
)
@click.option(
    "--min-group-size",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="Groups with fewer respondents show no statistic at all.",
)
@click.option(
    "--accept-small-groups",
    is_flag=True,
    help="Allow --min-group-size below 3, accepting that readers may recognise individual answers; "
    "every output then says the minimum was lowered.",
)
@click.option(
    "--small-groups",
    type=click.Choice(["suppress", "combine"]),
    default="suppress",
    show_default=True,
    help="Groups under the minimum: hide them (and whatever would reveal them), or pool them into one "
    '"Other" group per breakdown.',
)
@click.option(
    "--ledger",
    "ledger",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Release ledger folder: what earlier runs published from the same respondents, so no run can be "
    "subtracted from another. Default: $IMPLASSESS_LEDGER, else the user's data folder.",
)
@click.option(
    "--norms",
    "norms_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Norm set (TOML or JSON) for z and percentiles.",
)
@click.option(
    "--targets",
    "targets_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Targets per dimension (TOML or JSON) for gaps and priorities.",
)
@click.option(
    "--kpis",
    "kpis_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="KPI sheet (CSV or XLSX: kpi, period, value, unit, site).",
)
@click.option(
    "-o",
    "--output",
    "outdir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for profile.json, groups.csv, respondents_*.csv and manifest.json.",
)
@click.option("--format", "fmt", default=None, help="Reader to use (default: detected).")
@click.option("--form", default=None, help="Instrument form the responses were given on.")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Column mapping file.")
@reader_options
@click.option(
    "--rejected-out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Also write the rejected rows with their reasons to this CSV (the manifest always lists them).",
)
@click.option(
    "--confidence",
    type=click.FloatRange(0.5, 0.999),
    default=0.95,
    show_default=True,
    help="Confidence level of intervals.",
)
@click.option(
    "--rwg-null",
    type=click.Choice(["uniform", "slight-skew", "moderate-skew", "heavy-skew", "triangular", "normal"]),
    default="uniform",
    show_default=True,
    help="Null distribution of rwg(j).",
)
@click.option(
    "--icc-k",
    type=click.Choice(["mean", "adjusted"]),
    default="mean",
    show_default=True,
    help="Group size in ICC(1): N/J (R multilevel) or the adjusted k0.",
)
@click.option(
    "--reproducible", is_flag=True, help="Fixed timestamp (SOURCE_DATE_EPOCH or 1970) so outputs are byte-identical."
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON summary.")
def score(
    responses: Path,
    instrument_ref: str,
    by: tuple[str, ...],
    min_group_size: int,
    accept_small_groups: bool,
    small_groups: Literal["suppress", "combine"],
    ledger: Path | None,
    norms_path: Path | None,
    targets_path: Path | None,
    kpis_path: Path | None,
    outdir: Path,
    fmt: str | None,
    form: str | None,
    mapping: Path | None,
    reading: Reading,
    rejected_out: Path | None,
    confidence: float,
    rwg_null: str,
    icc_k: Literal["mean", "adjusted"],
    reproducible: bool,
    as_json: bool,
) -> None:
    """Score a survey export: per respondent, per group and for the organisation.

    Writes profile.json, groups.csv, respondents_long.csv, respondents_wide.csv and
    manifest.json into the output folder. Groups under --min-group-size are suppressed.

    Example: implassess score export.csv -i clarity-gaps --by site --by site,role -o out/
    """
    from implassess.ingest.waves import wave_counts
    from implassess.jobs.score import score_export

    summary = score_export(
        responses,
        instrument_ref,
        outdir,
        by=by,
        min_group_size=min_group_size,
        norms=norms_path,
        targets=targets_path,
        kpis=kpis_path,
        format=fmt,
        form=form,
        mapping=mapping,
        duplicates=reading.duplicates,
        wave=reading.wave,
        invalid=reading.invalid,
        decimal=reading.decimal,
        variables=reading.variables(),
        options=reading.options(),
        confidence=confidence,
        rwg_null=rwg_null,
        icc_k=icc_k,
        reproducible=reproducible,
        small_groups=small_groups,
        accept_small_groups=accept_small_groups,
        ledger=ledger,
    )
    rs, result, paths = summary.responses, summary.result, summary.outputs
    if rejected_out is not None:
        from implassess.outputs.rejected import response_rejections, write_rejected_rows

        write_rejected_rows(rejected_out, response_rejections(rs))
    instrument = rs.instrument
    org = result.profile.organisation
    if as_json:
        _echo_json(
            {
                "output": str(outdir),
                "files": [p.name for p in paths.values()],
                "instrument": {"id": instrument.id, "version": instrument.version},
                "rows_read": rs.rows_read,
                "accepted": rs.n,
                "rejected": len(rs.rejected),
                "waves": wave_counts(rs),
                "warnings": list(rs.warnings),
                "organisation": None
                if org.suppressed
                else {
                    "n": org.n,
                    "overall": None
                    if org.overall is None
                    else {"score_0_100": org.overall.score_0_100, "level": org.overall.level},
                    "dimensions": [
                        {"id": d.id, "score_0_100": d.score_0_100, "level": d.level, "suppressed": d.suppressed}
                        for d in org.dimensions
                    ],
                },
                "actions": [
                    {"rank": a.rank, "action": a.action, "priority": a.priority} for a in result.profile.actions
                ],
                "release": attrs.asdict(result.profile.release),
            }
        )
        return
    click.echo(
        f"{instrument.title} ({instrument.id} v{instrument.version}): {rs.rows_read} rows read, "
        f"{rs.n} scored, {len(rs.rejected)} rejected."
    )
    echo_waves(rs)
    if org.suppressed:
        click.echo(f"Fewer than {min_group_size} respondents: every result is suppressed.")
    else:
        for d in org.dimensions:
            state = "suppressed" if d.suppressed else f"{_fmt(d.score_0_100)}  level {d.level or '–'}"
            click.echo(f"  {d.id:<24} {state}")
        if org.overall is not None and not org.overall.suppressed:
            click.echo(f"  {'overall':<24} {_fmt(org.overall.score_0_100)}  level {org.overall.level or '–'}")
    for a in result.profile.actions[:5]:
        click.echo(f"Action {a.rank} ({a.priority}): {a.title}")
    from implassess.outputs.ledger import release_lines

    for line in release_lines(result.profile.release, result.profile.settings.min_group_size, accept_small_groups):
        click.echo(line)
    echo_rejected(rs, rejected_out)
    echo_warnings(rs)
    click.echo(f"\nWrote {len(paths)} files to {outdir}.")
    if rejected_out is not None:
        click.echo(f"Wrote {len(rs.rejected)} rejected row(s) with reasons to {rejected_out}.")


@click.group("norms", context_settings=CONTEXT)
def norms() -> None:
    """Build benchmark norm sets from profiles.

    Example: implassess norms build a/profile.json b/profile.json -o norms.toml --name "Trusts 2026"
    """


def _toml_value(v: Any) -> str:
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{json.dumps(str(k))} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return repr(v)


def norms_toml(doc: dict[str, Any]) -> str:
    """A built norm set as TOML text."""
    lines = [f"{k} = {_toml_value(v)}" for k, v in doc.items() if k != "dimensions"]
    for d in doc["dimensions"]:
        lines += ["", "[[dimensions]]", *(f"{k} = {_toml_value(v)}" for k, v in d.items())]
    return "\n".join(lines) + "\n"


@norms.command("build")
@click.argument("profiles", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Norm file to write (.toml or .json).",
)
@click.option("--name", default="", help="Name of the norm set (default: the output file's stem).")
@click.option("--sector", default="", help="Sector of the organisations.")
@click.option("--period", default="", help="When the data were collected.")
@click.option("--json", "as_json", is_flag=True, help="Print the norm set as JSON.")
def norms_build(profiles: tuple[Path, ...], out: Path, name: str, sector: str, period: str, as_json: bool) -> None:
    """Build a norm set from organisation scores in profile.json files of one instrument version.

    Example: implassess norms build */profile.json -o norms.toml --sector health --period 2026
    """
    from implassess.errors import InputError
    from implassess.outputs.files import write_atomic
    from implassess.scoring.norms import build_norms
    from implassess.scoring.profile import dumps

    docs = []
    for p in profiles:
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(str(p), f"Cannot read a profile: {exc}.") from None
        if not isinstance(doc, dict) or "organisation" not in doc or "instrument" not in doc:
            raise InputError(str(p), "This is not a profile.json written by `implassess score`.")
        docs.append(doc)
    built = build_norms(docs, name or out.stem, sector, period)
    write_atomic(out, dumps(built) if out.suffix.lower() == ".json" else norms_toml(built))
    if as_json:
        _echo_json(built)
    else:
        click.echo(f"Wrote norms for {len(built['dimensions'])} scores from {len(docs)} profiles to {out}.")


@click.command("change", context_settings=CONTEXT)
@click.argument("baseline", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("followup", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False, path_type=Path), help="Write JSON here.")
@click.option("--confidence", type=click.FloatRange(0.5, 0.999), default=0.95, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def change(baseline: Path, followup: Path, out: Path | None, confidence: float, as_json: bool) -> None:
    """Compare two profile.json files of the same instrument version (Welch CIs per group).

    Example: implassess change wave1/profile.json wave2/profile.json --json
    """
    import attrs

    from implassess.outputs.files import write_atomic
    from implassess.scoring.change import compare_profiles
    from implassess.scoring.profile import clean, dumps

    a = json.loads(baseline.read_text(encoding="utf-8"))
    b = json.loads(followup.read_text(encoding="utf-8"))
    rows = [clean(attrs.asdict(c)) for c in compare_profiles(a, b, confidence)]
    if out is not None:
        write_atomic(out, dumps(rows))
    if as_json:
        _echo_json(rows)
        return
    for r in rows:
        ci = f"[{_fmt(r['ci_low'], 2)}, {_fmt(r['ci_high'], 2)}]"
        click.echo(f"{r['group']:<28} {r['unit']:<20} {r['mean1']:.2f} → {r['mean2']:.2f}  Δ {r['diff']:+.2f} {ci}")
