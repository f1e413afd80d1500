"""CLI command ``participants``: one private 360 report per participant, a cohort summary, a manifest.

Click only: it parses the options, calls :func:`implassess.jobs.participants.run_participants`
and prints the result. ``implassess.cli`` turns :mod:`implassess.errors` exceptions into
messages and exit codes. numpy and reportlab load inside the job, so ``implassess --help``
stays fast.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from implassess.cli.output import CONTEXT

# Cheap: the job module imports numpy and reportlab only when it runs.
from implassess.jobs.participants import (
    MINIMUM_KEYS,
    SmallMinimumError,
    WaveError,
    run_participants,
    small_minimum_message,
)

if TYPE_CHECKING:
    from implassess.jobs.participants import ParticipantsSummary

OPTION_NAMES = {"wave": "--wave", "compare_wave": "--compare-wave"}
#: Exit status after Ctrl-C (128 + SIGINT), as shells report it.
INTERRUPTED = 130


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


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a date like 2026-11-23.", param_hint="--date") from None


@contextlib.contextmanager
def progress_bar(show: bool) -> Iterator[Callable[[int, int], None] | None]:
    """A ``progress(done, total)`` callback drawing a bar on stderr, or None when ``show`` is false."""
    if not show:
        yield None
        return
    with contextlib.ExitStack() as stack:
        bars: list[Any] = []  # the bar, entered on the first call, once the total is known

        def progress(done: int, total: int) -> None:
            if not bars:
                bars.append(
                    stack.enter_context(click.progressbar(length=total, label="Rendering reports", file=sys.stderr))
                )
            if done > bars[0].pos:
                bars[0].update(done - bars[0].pos)

        yield progress


def print_participants(summary: ParticipantsSummary, as_json: bool = False) -> None:
    """Print a batch's manifest (``--json``) or its one-line summary and each failure."""
    if as_json:
        click.echo(json.dumps(summary.manifest, indent=2, ensure_ascii=False))
        return
    click.echo(
        f"{summary.ok} of {summary.participants} reports in {summary.out_dir} ({summary.kept} kept from an earlier "
        f"run), cohort summary: {summary.cohort_status}. Manifest: {summary.manifest_path}."
    )
    rows = summary.rows
    listed = len(rows.listed())
    where = f" Listed with their reasons in {summary.rejected_path}." if listed else ""
    click.echo(rows.summary() + where)
    if summary.masked_comments:
        click.echo(
            f"Names of other participants were masked in {summary.masked_comments} comment(s); "
            f"see {summary.masked_path}."
        )
    for e in summary.failed:
        click.echo(f"No report for {e.participant}: {e.reason}", err=True)


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
@click.option(
    "--wave",
    help="Wave the reports show (default: the last wave in the file in which at least half as many "
    "participants were rated as in the busiest wave).",
)
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
    "--accept-small-groups",
    is_flag=True,
    help="Allow a rater minimum below 2 (one person's ratings shown as a group); every report says so.",
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
    accept_small_groups: bool,
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
    ctx = click.get_current_context()
    try:
        with progress_bar(sys.stderr.isatty() and not as_json) as progress:
            summary = run_participants(
                responses=responses,
                roster=roster_path,
                battery=battery,
                out_dir=out_dir,
                workers=workers,
                scheduler=scheduler,
                wave=wave,
                compare_wave=compare_wave,
                theme=theme,
                reproducible=reproducible,
                show_manager=show_manager,
                min_raters=_minimums(min_raters),
                accept_small_groups=accept_small_groups,
                gap_threshold=gap_threshold,
                min_cohort=min_cohort,
                client=client,
                consultancy=consultancy,
                programme=programme,
                date=_date(date_text),
                progress=progress,
            )
    except WaveError as exc:
        raise click.BadParameter(exc.message, param_hint=OPTION_NAMES[exc.option]) from None
    except SmallMinimumError as exc:
        raise click.BadParameter(
            small_minimum_message(exc.group, exc.value, "--accept-small-groups"), param_hint="--min-raters"
        ) from None
    except KeyboardInterrupt as exc:
        # Ctrl-C: one line, no traceback, and the shell's status for an interrupt.
        from implassess.participants.batch import BatchInterrupted

        message = str(exc) if isinstance(exc, BatchInterrupted) else "Interrupted before any report was rendered."
        click.echo(message, err=True)
        ctx.exit(INTERRUPTED)
    print_participants(summary, as_json)
    if not summary.complete:
        ctx.exit(1)
