"""What every command that reads a survey export shares: the reader options and the row accounting.

``score`` and ``responses check`` take the same options for reading a file (the encoding, a
REDCap data dictionary, the wave to score …) and print the same account of it: rows read,
accepted and rejected, the reasons, and the warnings. A real export can reject thousands of
rows for one cause, so more than a screenful of rejections is summarised by cause and
column, and the full list goes to ``--rejected-out``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from implassess.responses import ResponseSet

F = TypeVar("F", bound=Callable[..., Any])

#: Rejected rows printed one by one; above this they are summarised.
ROWS_SHOWN = 20


def reader_options(f: F) -> F:
    """The options that say how to read an export (applied to ``score`` and ``responses check``)."""
    options = [
        click.option(
            "--wave",
            default=None,
            metavar="NAME",
            help="Score this wave only. A file whose 'wave' column (or REDCap event) holds several waves is "
            "refused without it: waves are never pooled.",
        ),
        click.option(
            "--invalid",
            type=click.Choice(["reject-row", "missing"]),
            default=None,
            help="Invalid answers: reject the row (default) or treat the answer as missing.",
        ),
        click.option("--decimal", type=click.Choice([",", "."]), default=None, help="Decimal separator of numbers."),
        click.option("--delimiter", default=None, help="Delimiter of a text file (default: detected)."),
        click.option("--encoding", default=None, help="Text encoding (default: UTF-8, or UTF-16 by its BOM)."),
        click.option("--sheet", default=None, help="Worksheet name or number of a workbook."),
        click.option(
            "--dictionary",
            type=click.Path(exists=True, dir_okay=False, path_type=Path),
            default=None,
            help="REDCap data dictionary CSV, so choice codes read as their labels (default: one found beside "
            "the export).",
        ),
        click.option(
            "--review",
            type=click.Choice(["exclude-rejected", "keep"]),
            default=None,
            help="KoboToolbox / ODK submissions rejected in review: set them aside (default) or score them.",
        ),
        click.option(
            "--var",
            "var_pairs",
            multiple=True,
            metavar="NAME=VALUE",
            help="Value of an item-text variable as the survey showed it.",
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def reader_settings(
    *,
    delimiter: str | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    dictionary: Path | None = None,
    review: str | None = None,
) -> dict[str, Any]:
    """The reader options given on the command line (None = not given)."""
    options: dict[str, Any] = {
        k: v for k, v in {"delimiter": delimiter, "encoding": encoding, "sheet": sheet, "review": review}.items() if v
    }
    if dictionary is not None:
        options["dictionary"] = str(dictionary)
    return options


def variables(pairs: Sequence[str]) -> dict[str, str]:
    """``--var NAME=VALUE`` pairs as a dict."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"Found {pair!r}; expected NAME=VALUE, e.g. intervention='the new rota'.")
        out[name.strip()] = value
    return out


_COLUMN = re.compile(r"^Column (['\"])(.*?)\1")


def _cause(reason: str) -> tuple[str, str]:
    from implassess.ingest.rows import rejection_kind

    m = _COLUMN.match(reason)
    return rejection_kind(reason), (m.group(2) if m else "")


def echo_rejected(rs: ResponseSet, rejected_out: Path | None = None) -> None:
    """Print the rejected rows: each one when there are few, else a summary by cause and column."""
    if not rs.rejected:
        return
    click.echo("\nRejected rows:")
    if len(rs.rejected) <= ROWS_SHOWN:
        for r in rs.rejected:
            who = f" ({r.respondent})" if r.respondent else ""
            for k, reason in enumerate(r.reasons):
                lead = f"  Row {r.row}{who}: " if k == 0 else "    "
                click.echo(lead + reason)
        return
    groups: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for r in rs.rejected:
        for reason in r.reasons:
            groups.setdefault(_cause(reason), []).append((r.row, reason))
    for (kind, column), hits in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        rows = sorted({row for row, _ in hits})
        where = f" in column {column!r}" if column else ""
        span = ", ".join(map(str, rows[:6])) + (" …" if len(rows) > 6 else "")
        click.echo(f"  {kind}{where}: {len(rows)} row(s) (rows {span}). For example, row {hits[0][0]}:")
        click.echo(f"    {hits[0][1]}")
    if rejected_out is None:
        click.echo(f"  Every rejected row with its reasons: add --rejected-out rejected.csv ({len(rs.rejected)} rows).")


def echo_warnings(rs: ResponseSet) -> None:
    """Print the reading warnings, one bullet each."""
    if rs.warnings:
        click.echo("\nWarnings:")
        for w in rs.warnings:
            click.echo("  - " + w.replace("\n", "\n    "))


def echo_waves(rs: ResponseSet) -> None:
    """Name the wave scored when the file has a wave column."""
    from implassess.ingest.waves import wave_counts

    counts = wave_counts(rs)
    if counts:
        click.echo("Wave: " + ", ".join(f"{w!r} ({n} accepted)" for w, n in counts.items()) + ".")
