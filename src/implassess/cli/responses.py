"""CLI commands for reading responses and exporting instruments.

``responses`` (a group: ``check``, ``kpis``), ``readers`` and ``instruments_export`` are
attached to the main CLI by :mod:`implassess.cli`, which also turns errors into exit codes:
an unreadable file exits 1. ``responses check`` exits 0 when the file reads, even with
rejected rows (they are findings to fix, printed and written with ``--rejected-out``);
``--strict`` makes any rejected row exit 1 for pipelines.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from implassess.cli.reading import Reading, echo_rejected, echo_warnings, echo_waves, reader_options, variables
from implassess.errors import ImplassessError

if TYPE_CHECKING:
    pass

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _instrument(ref: str) -> Any:
    from implassess import plugins

    return plugins.get_instrument(ref)


def _write(path: Path, data: bytes | str) -> None:
    from implassess.outputs.files import write_atomic

    try:
        write_atomic(path, data)
    except OSError as exc:
        raise ImplassessError(f"Cannot write {path}: {exc.strerror or exc}.") from None


@click.group("responses", context_settings=CONTEXT)
def responses() -> None:
    """Check survey exports and KPI sheets before scoring them.

    Example: implassess responses check export.csv --instrument clarity-gaps
    """


@responses.command("check")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "-i",
    "--instrument",
    "instrument_ref",
    required=True,
    metavar="ID|PATH",
    help="Instrument id or TOML file the responses answer.",
)
@click.option("--form", default=None, help="Form the respondents saw (e.g. self, rater).")
@click.option("--format", "fmt", default=None, metavar="NAME", help="Reader to use instead of detecting one.")
@click.option("--mapping", type=click.Path(path_type=Path), default=None, help="Mapping file (TOML).")
@reader_options
@click.option(
    "--rejected-out",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Write rejected rows with their reasons to this CSV.",
)
@click.option("--strict", is_flag=True, help="Exit 1 when any row is rejected.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_context
def responses_check(
    ctx: click.Context,
    file: Path,
    instrument_ref: str,
    form: str | None,
    fmt: str | None,
    mapping: Path | None,
    reading: Reading,
    rejected_out: Path | None,
    strict: bool,
    as_json: bool,
) -> None:
    """Read a survey export and report how it maps onto an instrument.

    Prints rows read, accepted and rejected (with the reason for each rejected row),
    columns not mapped, items missing from the file and personal columns dropped.
    Exits 0 when the file can be read, 1 when it cannot (or, with --strict, when any
    row is rejected).

    Example: implassess responses check qualtrics.csv -i minimal --rejected-out rejected.csv
    """
    from implassess.ingest import ingest
    from implassess.outputs.rejected import response_rejections, write_rejected_rows

    result = ingest(
        file,
        _instrument(instrument_ref),
        form=form,
        mapping=mapping,
        format=fmt,
        duplicates=reading.duplicates,
        invalid=reading.invalid,
        decimal=reading.decimal,
        variables=reading.variables(),
        options=reading.options(),
        wave=reading.wave,
    )
    rs = result.responses
    if rejected_out is not None:
        write_rejected_rows(rejected_out, response_rejections(result.responses))
    if as_json:
        _echo_json(
            {
                "source": rs.source,
                "sha256": rs.sha256,
                "reader": result.reader,
                "instrument": rs.instrument.id,
                "form": rs.form,
                "rows_read": rs.rows_read,
                "accepted": rs.n,
                "rejected": [
                    {"row": r.row, "respondent": r.respondent, "reasons": list(r.reasons)} for r in rs.rejected
                ],
                "columns": [
                    {"column": m.column, "role": m.role, "target": m.target, "how": m.how} for m in result.columns
                ],
                "unmapped_columns": list(result.unmapped),
                "missing_items": list(result.missing_items),
                "personal_columns_dropped": list(result.personal),
                "warnings": list(rs.warnings),
                "rejected_out": str(rejected_out) if rejected_out else None,
            }
        )
    else:
        form_text = f", form {rs.form!r}" if rs.form else ""
        click.echo(
            f"{rs.source}: read with the {result.reader!r} reader for instrument {rs.instrument.id!r}{form_text}."
        )
        click.echo(f"Rows read: {rs.rows_read}; accepted: {rs.n}; rejected: {len(rs.rejected)}.")
        mapped = sum(1 for m in result.columns if m.role == "item")
        click.echo(f"Item columns mapped: {mapped} of {len(rs.instrument.items)} items.")
        echo_waves(rs)
        echo_rejected(rs, rejected_out)
        echo_warnings(rs)
        if rejected_out is not None:
            click.echo(f"\nWrote {len(rs.rejected)} rejected row(s) with reasons to {rejected_out}.")
    if strict and rs.rejected:
        ctx.exit(1)


@responses.command("kpis")
@click.argument("file", type=click.Path(path_type=Path))
@click.option(
    "-i",
    "--instrument",
    "instrument_ref",
    default=None,
    metavar="ID|PATH",
    help="Check KPI ids and units against this instrument.",
)
@click.option(
    "--decimal",
    type=click.Choice([",", "."]),
    default=None,
    help="Decimal separator (default: detected from values that can only be read one way).",
)
@click.option("--sheet", default=None, help="Worksheet name or number of a workbook.")
@click.option("--delimiter", default=None, help="Delimiter of a text file (default: detected).")
@click.option("--encoding", default=None, help="Text encoding (default: UTF-8 or UTF-16 by BOM).")
@click.option("--json", "as_json", is_flag=True, help="Print values and rejections as JSON.")
def responses_kpis(
    file: Path,
    instrument_ref: str | None,
    decimal: str | None,
    sheet: str | None,
    delimiter: str | None,
    encoding: str | None,
    as_json: bool,
) -> None:
    """Read a KPI sheet (kpi, period, value, optional unit and site) and report its values.

    Exits 0 when the sheet can be read (rejected rows are printed), 1 when it cannot.

    Example: implassess responses kpis kpis.csv -i clarity-gaps --decimal ,
    """
    from implassess.ingest import read_kpis

    options = {k: v for k, v in {"delimiter": delimiter, "encoding": encoding, "sheet": sheet}.items() if v}
    inst = _instrument(instrument_ref) if instrument_ref else None
    sheet_ = read_kpis(file, inst, decimal=decimal, options=options)
    if as_json:
        _echo_json(
            {
                "source": sheet_.source,
                "sha256": sheet_.sha256,
                "decimal": sheet_.decimal,
                "rows_read": sheet_.rows_read,
                "values": [
                    {"row": v.row, "kpi": v.kpi, "period": v.period, "value": v.value, "unit": v.unit, "site": v.site}
                    for v in sheet_.values
                ],
                "rejected": [{"row": r.row, "reasons": list(r.reasons)} for r in sheet_.rejected],
                "warnings": list(sheet_.warnings),
            }
        )
        return
    click.echo(
        f"{sheet_.source}: rows read: {sheet_.rows_read}; accepted: {len(sheet_.values)}; "
        f"rejected: {len(sheet_.rejected)}."
    )
    for v in sheet_.values:
        where = f" [{v.site}]" if v.site else ""
        click.echo(f"  {v.kpi} {v.period}{where}: {v.value:g}{' ' + v.unit if v.unit else ''}")
    if sheet_.rejected:
        click.echo("\nRejected rows:")
        for r in sheet_.rejected:
            click.echo(f"  Row {r.row}: " + "\n    ".join(r.reasons))
    if sheet_.warnings:
        click.echo("\nWarnings:")
        for w in sheet_.warnings:
            click.echo("  - " + w)


@click.command("readers", context_settings=CONTEXT)
@click.argument("file", required=False, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def readers_cmd(file: Path | None, as_json: bool) -> None:
    """List the response readers; with FILE, show how sure each is that it reads FILE.

    Example: implassess readers export.csv
    """
    from implassess import plugins
    from implassess.ingest import sniff_scores

    found = plugins.get_readers()
    scores = sniff_scores(file) if file is not None else {}
    names = list(scores) if scores else sorted(found)
    if as_json:
        _echo_json(
            [
                {"name": n, "description": found[n].description, **({"score": scores[n]} if scores else {})}
                for n in names
            ]
        )
        return
    width = max((len(n) for n in names), default=0)
    for n in names:
        score = f"{scores[n]:.2f}  " if scores else ""
        click.echo(f"{n:<{width}}  {score}{found[n].description}")


@click.command("export", context_settings=CONTEXT)
@click.argument("ref", metavar="ID|PATH")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice(["xlsform", "csv-template", "qualtrics-txt", "redcap"]),
    help="xlsform (ODK/Kobo workbook), csv-template, qualtrics-txt (Advanced Format), redcap (dictionary).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="File to write (default: print; required for xlsform).",
)
@click.option("--form", default=None, help="Use the item text of this form (e.g. self).")
@click.option("--var", "var_pairs", multiple=True, metavar="NAME=VALUE", help="Fill an item-text variable.")
@click.option("--matrix", is_flag=True, help="qualtrics-txt: one matrix question per dimension.")
@click.option(
    "--assessment",
    "assessment_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Ask a question for each breakdown of this assessment ([scoring] by), offering the values its "
    "response files hold; its [variables] fill item text and its battery picks the form.",
)
@click.option(
    "--attribute",
    "attribute_specs",
    multiple=True,
    metavar="NAME=A,B,...",
    help="Ask a breakdown question NAME offering the answers A, B ... (e.g. site=North,South). "
    "Repeatable; replaces the answers --assessment found for NAME.",
)
@click.option(
    "--wave",
    default=None,
    metavar="NAME",
    help="Record this wave with every response without asking it (export one form per wave).",
)
def instruments_export(
    ref: str,
    fmt: str,
    output: Path | None,
    form: str | None,
    var_pairs: tuple[str, ...],
    matrix: bool,
    assessment_path: Path | None,
    attribute_specs: tuple[str, ...],
    wave: str | None,
) -> None:
    """Export an instrument for a survey tool, keeping item ids so responses read back unmapped.

    With --assessment or --attribute the form also asks the breakdown questions (site,
    role ...), and with --wave it records the wave, so the returned export can be scored
    --by site with no mapping file.

    Example: implassess instruments export clarity-gaps --format xlsform -o form.xlsx
    --assessment assessment.toml --wave follow-up
    """
    from implassess.outputs.instrument_export import Breakdown, assessment_breakdowns, export_instrument

    inst = _instrument(ref)
    given: list[Breakdown] = []
    for spec in attribute_specs:
        name, sep, rest = spec.partition("=")
        answers = tuple(a.strip() for a in rest.split(",") if a.strip())
        if not sep or not name.strip() or not answers:
            raise click.BadParameter(
                f"found {spec!r}; expected NAME=ANSWER,ANSWER,... such as site=North,South.",
                param_hint="'--attribute'",
            )
        given.append(Breakdown(name.strip(), answers))
    fill = variables(var_pairs)
    breakdowns: list[Breakdown] = given
    waves: list[str] = []
    if assessment_path is not None:
        from implassess.formats.assessment import load_assessment
        from implassess.jobs.run import members_of

        assessment = load_assessment(assessment_path)
        breakdowns, waves = assessment_breakdowns(assessment, inst, given)
        fill = {**assessment.variables, **fill}
        if form is None:
            form = next((m.form for m in members_of(assessment) if m.instrument.id == inst.id), None)
    data = export_instrument(
        inst, fmt, form=form, variables=fill or None, matrix=matrix, breakdowns=breakdowns, wave=wave
    )
    if output is None:
        if fmt == "xlsform":
            raise click.UsageError("The xlsform export is a workbook; give a file with -o, e.g. -o form.xlsx.")
        click.echo(data.decode("utf-8"), nl=False)
    else:
        _write(output, data)
        click.echo(f"Wrote the {fmt} export of {inst.id!r} to {output}.", err=True)
    asked = ", ".join(f"{b.name} ({len(b.choices)} answers)" for b in breakdowns)
    if breakdowns:
        click.echo(f"Breakdown {'columns' if fmt == 'csv-template' else 'questions'}: {asked}.", err=True)
    elif fmt != "csv-template":
        click.echo(
            "The form asks no breakdown question: give --assessment FILE or --attribute NAME=A,B,... so that "
            "results can be broken down (e.g. --by site).",
            err=True,
        )
    if wave is not None:
        where = "Fill the wave column with" if fmt == "csv-template" else "Every response records wave"
        click.echo(f"{where} {wave!r}.", err=True)
    elif waves:
        click.echo(
            f"The assessment's responses hold the waves {', '.join(map(repr, waves))}; give --wave NAME so that "
            "every response to this form records its wave.",
            err=True,
        )
