"""The ``implassess`` command line. The only module that turns errors into exit codes.

Heavy libraries (numpy, reportlab, openpyxl) are imported inside the commands that
need them, so ``implassess --help`` starts fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from implassess import __version__, plugins
from implassess.errors import ImplassessError

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))


class _Cli(click.Group):
    """A group that adds plugin commands lazily and shows errors as messages, never tracebacks."""

    _plugin_commands_added = False

    def _add_plugin_commands(self) -> None:
        if not _Cli._plugin_commands_added:
            _Cli._plugin_commands_added = True
            plugins.add_commands(self)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._add_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugin_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ImplassessError as exc:
            raise click.ClickException(exc.user_message()) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except OSError as exc:
            # A file or folder that cannot be read or written: the user can fix this.
            where = exc.filename or "a file"
            raise click.ClickException(f"Cannot read or write {where}: {exc.strerror or exc}.") from None
        except Exception as exc:
            if os.environ.get("IMPLASSESS_DEBUG"):
                raise
            raise click.ClickException(
                f"Unexpected internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in implassess or a plugin; run again with IMPLASSESS_DEBUG=1 for details."
            ) from None
        finally:
            _warn_plugin_problems()


def _warn_plugin_problems() -> None:
    if not plugins.is_loaded():
        return
    for problem in plugins.problems():
        click.echo("Warning: " + problem.replace("\n", "\n  "), err=True)


@click.group(cls=_Cli, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="implassess")
def cli() -> None:
    """Organisational diagnostics: score survey exports and KPI sheets against
    declarative instruments and render branded reports.

    Example: implassess demo
    """


# -- instruments ----------------------------------------------------------------


@cli.group(context_settings=CONTEXT)
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
    rows = []
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
        _echo_json(rows)
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
        _echo_json(unstructure(record))
        return
    is_battery = ref in batteries
    if not is_battery and form is not None and form not in {f.id for f in record.forms}:
        raise ImplassessError(
            f"Instrument {record.id!r} has no form {form!r}; expected one of: "
            + (", ".join(repr(f.id) for f in record.forms) or "(it has a single form)")
            + "."
        )
    click.echo(f"{record.title} ({record.id} v{record.version})")
    click.echo(record.description)
    if is_battery:
        for m in record.instruments:
            click.echo(f"  - {m.id} (weight {m.weight:g}{', form ' + m.form if m.form else ''})")
        return
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
        _echo_json(
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
    from implassess.jobs.conformance import conformance_path, load_conformance, verify

    if not refs and not verify_all:
        raise click.UsageError("Name one or more instruments, or pass --all.")
    targets = list(plugins.get_instruments().values()) if verify_all else [plugins.get_instrument(r) for r in refs]
    report: list[dict[str, Any]] = []
    failed = False
    for inst in targets:
        path = conformance_path(inst)
        if path is None:
            if not verify_all:
                failed = True
                report.append({"instrument": inst.id, "error": "ships no conformance cases (no 'conformance' key)"})
            continue
        results = verify(inst, load_conformance(path))
        failed |= any(not r.passed for r in results)
        report.append(
            {
                "instrument": inst.id,
                "version": inst.version,
                "cases": [{"id": r.case, "passed": r.passed, "problems": list(r.problems)} for r in results],
            }
        )
    if as_json:
        _echo_json(report)
    else:
        for entry in report:
            if "error" in entry:
                click.echo(f"{entry['instrument']}: {entry['error']}")
                continue
            passed = sum(c["passed"] for c in entry["cases"])
            click.echo(f"{entry['instrument']} v{entry['version']}: {passed} of {len(entry['cases'])} cases pass")
            for c in entry["cases"]:
                for problem in c["problems"]:
                    click.echo(f"  FAIL {c['id']}: {problem}")
    if failed:
        sys.exit(1)


# -- plugins ----------------------------------------------------------------------


@cli.command("plugins")
@click.option("--all", "show_all", is_flag=True, help="Include the built-in plugins.")
def plugins_cmd(show_all: bool) -> None:
    """Print the loaded plugins as JSON (name, version, hooks).

    Example: implassess plugins --all
    """
    _echo_json(
        [
            {"name": p.name, "version": p.version, "hooks": list(p.hooks), "distribution": p.distribution}
            for p in plugins.plugin_infos()
            if show_all or not p.builtin
        ]
    )


@cli.group("plugin", context_settings=CONTEXT)
def plugin_group() -> None:
    """Tools for plugin authors.

    Example: implassess plugin new ward-safety --scoring --section
    """


@plugin_group.command("new")
@click.argument("name")
@click.option("-o", "--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
@click.option("--title", default=None, help="Instrument title (default: from the name).")
@click.option("--author", default="Your name", show_default=True)
@click.option("--scoring", is_flag=True, help="Include a Python scoring rule.")
@click.option("--section", is_flag=True, help="Include an extra report section.")
def plugin_new(name: str, out_dir: Path, title: str | None, author: str, scoring: bool, section: bool) -> None:
    """Scaffold a plugin distribution: pyproject with the entry point, an instrument,
    conformance cases, tests and a README (optionally a scoring rule and a report section).

    Example: implassess plugin new ward-safety --scoring
    """
    from implassess.jobs.scaffold import scaffold_plugin

    files = scaffold_plugin(name, out_dir, title=title, author=author, scoring=scoring, section=section)
    root = files[0].parent
    click.echo(f"Created {root} ({len(files)} files). Next:")
    click.echo(f"  pip install -e '{root}[test]' && implassess instruments verify {name} && pytest {root}")


def _add_command_modules() -> None:
    """Commands that live in their own modules (each imports its heavy libraries lazily)."""
    from implassess.cli.demo import demo
    from implassess.cli.participants import participants
    from implassess.cli.responses import instruments_export, readers_cmd, responses
    from implassess.cli.run import run
    from implassess.cli.sample import sample
    from implassess.cli.score import change, norms, score
    from implassess.cli.themes import themes

    for command in (run, demo, participants, sample, responses, readers_cmd, score, norms, change, themes):
        cli.add_command(command)
    instruments.add_command(instruments_export)


_add_command_modules()


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="implassess")
