"""``implassess instruments list|show|validate|verify``: the loaded instruments and batteries.

``instruments export`` lives in :mod:`implassess.cli.responses` beside the readers it
mirrors; :mod:`implassess.cli` attaches it to this group.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from implassess import plugins
from implassess.cli.output import CONTEXT, echo_json
from implassess.errors import ImplassessError
from implassess.model import Instrument

if TYPE_CHECKING:
    from implassess.model import Battery


@click.group(context_settings=CONTEXT)
def instruments() -> None:
    """List, show, validate and export instruments.

    Example: implassess instruments list
    """


@instruments.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def instruments_list(as_json: bool) -> None:
    """List the loaded instruments and batteries.

    Example: implassess instruments list --json
    """
    rows: list[dict[str, Any]] = []
    for inst in plugins.get_instruments().values():
        rows.append(
            {
                "id": inst.id,
                "kind": "instrument",
                "version": inst.version,
                "title": inst.title,
                "dimensions": len(inst.dimensions),
                "items": len(inst.items),
                "kpis": len(inst.kpis),
                "plugin": plugins.instrument_owner(inst.id),
            }
        )
    for bat in plugins.get_batteries().values():
        rows.append(
            {
                "id": bat.id,
                "kind": "battery",
                "version": bat.version,
                "title": bat.title,
                "instruments": [m.id for m in bat.instruments],
                "plugin": plugins.instrument_owner(bat.id),
            }
        )
    rows.sort(key=lambda r: (r["kind"] != "instrument", r["id"]))
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("No instruments are loaded.")
        return
    width = max(len(r["id"]) for r in rows)
    for r in rows:
        if r["kind"] == "battery":
            detail = f"battery of {len(r['instruments'])} instruments"
        else:
            detail = f"{r['dimensions']} dimensions, {r['items']} items, {r['kpis']} KPIs"
        click.echo(f"{r['id']:<{width}}  v{r['version']:<7} {r['title']} ({detail})")


@instruments.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Print the instrument as JSON (TOML key names).")
@click.option("--form", default=None, help="Show item text for this form (e.g. self).")
def instruments_show(ref: str, as_json: bool, form: str | None) -> None:
    """Show an instrument (by id or TOML path) or a battery.

    Example: implassess instruments show clarity-gaps --form self
    """
    from implassess.formats.instrument import unstructure

    batteries = plugins.get_batteries()
    record = batteries[ref] if ref in batteries else plugins.get_instrument(ref)
    if as_json:
        echo_json(unstructure(record))
    elif isinstance(record, Instrument):
        _show_instrument(record, form)
    else:
        _show_battery(record)


def _show_battery(record: Battery) -> None:
    click.echo(f"{record.title} ({record.id} v{record.version})")
    click.echo(record.description)
    for m in record.instruments:
        click.echo(f"  - {m.id} (weight {m.weight:g}{', form ' + m.form if m.form else ''})")


def _show_instrument(record: Instrument, form: str | None) -> None:
    if form is not None and form not in {f.id for f in record.forms}:
        raise ImplassessError(
            f"Instrument {record.id!r} has no form {form!r}; expected one of: "
            + (", ".join(repr(f.id) for f in record.forms) or "(it has a single form)")
            + "."
        )
    click.echo(f"{record.title} ({record.id} v{record.version})")
    click.echo(record.description)
    if record.forms:
        click.echo("Forms: " + ", ".join(f"{f.id} ({f.name})" for f in record.forms))
    click.echo(
        "Levels: "
        + ", ".join(f"{lv.level} {lv.name} [{lv.min:g}-{lv.max:g})" for lv in record.maturity.levels)
        + f"; overall rule: {record.maturity.rule}"
    )
    for dim in record.dimensions:
        click.echo(f"\n{dim.name} [{dim.id}] weight {dim.weight:g}")
        for item in record.items_in(dim.id):
            flags = " (reversed)" if item.reverse else ""
            facet = f"{item.facet}: " if item.facet else ""
            click.echo(f"  {item.id:<8} {facet}{record.render_text(item, form)}{flags}")
        for kpi in (k for k in record.kpis if k.dimension == dim.id):
            click.echo(f"  KPI {kpi.id}: {kpi.name} [{kpi.unit}, {kpi.direction} is better, target {kpi.target:g}]")
    other = [k for k in record.kpis if k.dimension is None]
    for kpi in other:
        click.echo(f"  KPI {kpi.id}: {kpi.name} [{kpi.unit}, {kpi.direction} is better, target {kpi.target:g}]")
    if record.triggers:
        click.echo("\nDecision triggers:")
        for t in record.triggers:
            value = f"{t.when.value:g}" if isinstance(t.when.value, float) else t.when.value
            target = t.when.dimension or t.when.facet or t.when.kpi
            click.echo(f"  {t.id}: {target} {t.when.statistic} {t.when.op} {value} -> {t.action} ({t.priority})")


@instruments.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
def instruments_validate(paths: tuple[Path, ...], as_json: bool) -> None:
    """Lint instrument and battery files; report every problem at once.

    Exits 1 when any file has an error (warnings alone exit 0). A folder stands for
    the *.toml files directly in it (sub-folders such as conformance/ are not linted).

    Example: implassess instruments validate instruments/
    """
    from implassess.formats.validate import validate_paths

    findings, n_files = validate_paths(list(paths))
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = len(findings) - errors
    if as_json:
        echo_json(
            {"files": n_files, "errors": errors, "warnings": warnings, "findings": [f.as_dict() for f in findings]}
        )
    else:
        for f in findings:
            click.echo(str(f))
        click.echo(f"{n_files} file(s) checked: {errors} error(s), {warnings} warning(s).")
    if errors:
        sys.exit(1)


@instruments.command("verify")
@click.argument("refs", nargs=-1)
@click.option("--all", "verify_all", is_flag=True, help="Verify every loaded instrument that ships cases.")
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON.")
def instruments_verify(refs: tuple[str, ...], verify_all: bool, as_json: bool) -> None:
    """Score an instrument's conformance cases and compare with the expected results.

    Exits 1 when a case fails or an instrument named ships no cases.

    Example: implassess instruments verify --all
    """
    from implassess.jobs.conformance import verify_instruments

    if not refs and not verify_all:
        raise click.UsageError("Name one or more instruments, or pass --all.")
    outcomes = verify_instruments(refs, all_instruments=verify_all)
    if as_json:
        echo_json([o.as_dict() for o in outcomes])
    else:
        for o in outcomes:
            if o.error is not None:
                click.echo(f"{o.instrument}: {o.error}")
                continue
            passed = sum(r.passed for r in o.results)
            click.echo(f"{o.instrument} v{o.version}: {passed} of {len(o.results)} cases pass")
            for r in o.results:
                for problem in r.problems:
                    click.echo(f"  FAIL {r.case}: {problem}")
    if not all(o.passed for o in outcomes):
        sys.exit(1)
