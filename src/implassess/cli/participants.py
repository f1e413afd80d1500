"""CLI command ``participants``: one private 360 report per participant, a cohort summary, a manifest.

The lead attaches it to the main CLI with ``cli.add_command(participants)``; ``cli.py``
turns :mod:`implassess.errors` exceptions into messages and exit codes. numpy and
reportlab are imported inside the command, so ``implassess --help`` stays fast.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import click

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}
MINIMUM_KEYS = ("manager", "peer", "direct-report", "other", "all-others")


def _instruments(ref: str) -> tuple[str, list[Any]]:
    """(programme title, instruments) of a battery or instrument id or TOML path."""
    from implassess import plugins
    from implassess.errors import NotFoundError
    from implassess.model import Battery, Instrument

    batteries, instruments = plugins.get_batteries(), plugins.get_instruments()
    record: Any = batteries.get(ref) or instruments.get(ref)
    if record is None and ref.endswith(".toml") and Path(ref).is_file():
        from implassess.formats.instrument import load_file

        record = load_file(Path(ref))
    if isinstance(record, Instrument):
        return record.title, [record]
    if isinstance(record, Battery):
        missing = [m.id for m in record.instruments if m.id not in instruments]
        if missing:
            raise NotFoundError("instrument", missing[0], list(instruments))
        return record.title, [instruments[m.id] for m in record.instruments]
    raise NotFoundError("battery or instrument", ref, sorted({*batteries, *instruments}))


def _minimums(values: tuple[str, ...]) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        key, sep, num = v.partition("=")
        key = key.strip().lower().replace("_", "-")
        if not sep or key not in MINIMUM_KEYS or not num.strip().isdigit() or int(num) < 1:
            raise click.BadParameter(
                f"{v!r}: expected GROUP=N with GROUP one of {', '.join(MINIMUM_KEYS)} and N ≥ 1, e.g. peer=4.",
                param_hint="--min-raters",
            )
        out[key] = int(num)
    return out


def _info(path: Path) -> dict[str, str]:
    from implassess.participants.batch import file_sha256

    return {"file": str(path), "sha256": file_sha256(path)}


@click.command("participants", context_settings=CONTEXT)
@click.argument("responses", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--participants",
    "roster_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with columns participant, name and optionally site, cohort.",
)
@click.option("--battery", required=True, help="Battery or instrument id, or its TOML file.")
@click.option("--out-dir", "-o", required=True, type=click.Path(file_okay=False, path_type=Path), help="Output folder.")
@click.option("--workers", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (tcp://host:8786); overrides --workers.")
@click.option("--wave", help="Wave the reports show (default: the last wave in the file).")
@click.option("--compare-wave", help="Earlier wave to show change from (default: the first, when the file has two).")
@click.option("--theme", default="default", show_default=True, help="Report theme name.")
@click.option("--reproducible", is_flag=True, help="Fixed PDF dates and ids: the same input gives the same bytes.")
@click.option("--show-manager", is_flag=True, help="Show a single manager's ratings on their own (by agreement).")
@click.option(
    "--min-raters",
    multiple=True,
    metavar="GROUP=N",
    help="Change a minimum (manager, peer, direct-report, other, all-others), e.g. peer=4. Repeatable.",
)
@click.option(
    "--gap-threshold",
    type=click.FloatRange(0.01, 1.0),
    default=1 / 3,
    show_default="1/3",
    help="Blind-spot threshold as a share of the scale range.",
)
@click.option(
    "--min-cohort", type=click.IntRange(min=2), default=5, show_default=True, help="Smallest cohort summarised."
)
@click.option("--client", default="", help="Client organisation printed on the reports.")
@click.option("--consultancy", default="", help="Who issues the reports (cover band).")
@click.option("--programme", help="Programme title (default: the battery title).")
@click.option(
    "--date",
    "date_text",
    metavar="YYYY-MM-DD",
    help="Report date (default: today, or the date of the run being resumed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
def participants(
    responses: Path,
    roster_path: Path,
    battery: str,
    out_dir: Path,
    workers: int,
    scheduler: str | None,
    wave: str | None,
    compare_wave: str | None,
    theme: str,
    reproducible: bool,
    show_manager: bool,
    min_raters: tuple[str, ...],
    gap_threshold: float,
    min_cohort: int,
    client: str,
    consultancy: str,
    programme: str | None,
    date_text: str | None,
    as_json: bool,
) -> None:
    """Render a private 360 report per participant, a cohort summary and a manifest.

    Each participant's PDF compares self with all others and each rater group large enough
    to show (peers, direct reports, others ≥ 3; all raters ≥ 4; the manager alone only with
    --show-manager). A rerun skips reports whose file still matches the manifest.

    Example: implassess participants leadership-360.csv --participants participants.csv
    --battery implementation-leadership-360 --out-dir reports -j 2
    """
    from implassess.participants.assemble import BuildOptions, build_reports, load_360, read_roster
    from implassess.participants.batch import make_executor, read_settings, run_batch
    from implassess.participants.model import AnonymityRules
    from implassess.report.render import resolve_theme

    title, instruments = _instruments(battery)
    th = resolve_theme(theme)
    rules = AnonymityRules.default(show_manager=show_manager).with_minimums(**_minimums(min_raters))
    if date_text:
        try:
            date = dt.date.fromisoformat(date_text)
        except ValueError:
            raise click.BadParameter(f"{date_text!r} is not a date like 2026-11-23.", param_hint="--date") from None
    else:
        previous = read_settings(out_dir) if out_dir.is_dir() else {}
        try:
            date = dt.date.fromisoformat(previous["date"])
        except (KeyError, TypeError, ValueError):
            date = dt.date.today()
    data = load_360(responses, instruments)
    roster = read_roster(roster_path)
    waves = [w for w in data.waves()]
    if wave is None:
        wave = waves[-1]
        if compare_wave is None and len(waves) == 2:
            compare_wave = waves[0]
    for name, value in (("--wave", wave), ("--compare-wave", compare_wave)):
        if value is not None and value not in waves:
            raise click.BadParameter(
                f"{value!r} is not a wave of the file; found {', '.join(map(repr, waves))}.", param_hint=name
            )
    if compare_wave == wave:
        compare_wave = None
    options = BuildOptions(
        wave=wave,
        compare_wave=compare_wave,
        rules=rules,
        gap_fraction=gap_threshold,
        min_cohort=min_cohort,
        programme=programme or title,
        client=client,
        consultancy=consultancy,
        date=date,
    )
    outcomes, summary = build_reports(data, roster, options)
    settings = {
        "battery": battery,
        "wave": wave,
        "compare-wave": compare_wave,
        "theme": th.name,
        "reproducible": reproducible,
        "date": date.isoformat(),
        "minimums": {k: rules.minimum(k) for k in MINIMUM_KEYS},
        "gap-threshold": gap_threshold,
        "min-cohort": min_cohort,
    }
    inputs = {"responses": _info(responses), "participants": _info(roster_path)}
    executor = make_executor(workers, scheduler)
    bar_ctx: Any = None
    if sys.stderr.isatty() and not as_json:
        bar_ctx = click.progressbar(length=len(outcomes) + 1, label="Rendering reports", file=sys.stderr)
    try:
        if bar_ctx is not None:
            with bar_ctx as bar:
                result = run_batch(
                    outcomes,
                    summary,
                    out_dir,
                    theme=th,
                    executor=executor,
                    reproducible=reproducible,
                    inputs=inputs,
                    settings=settings,
                    progress=lambda _e: bar.update(1),
                )
        else:
            result = run_batch(
                outcomes,
                summary,
                out_dir,
                theme=th,
                executor=executor,
                reproducible=reproducible,
                inputs=inputs,
                settings=settings,
            )
    finally:
        executor.close()
    if as_json:
        click.echo(json.dumps(result.manifest, indent=2, ensure_ascii=False))
    else:
        counts = result.manifest["counts"]
        click.echo(
            f"{counts['ok']} of {counts['participants']} reports in {out_dir} ({counts['kept']} kept from an earlier "
            f"run), cohort summary: {result.cohort.status}. Manifest: {out_dir / 'manifest.json'}."
        )
        for e in result.failed:
            click.echo(f"No report for {e.participant}: {e.reason}", err=True)
    if result.failed or result.cohort.status != "ok":
        click.get_current_context().exit(1)
