"""CSV text with safe cells: a spreadsheet must never run a cell of ours as a formula.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is
written with a leading single quote (OWASP "CSV injection"); a plain number such as
``-0.5`` or ``+3`` stays a number. Every CSV writer in :mod:`implassess.outputs` goes
through :func:`safe_cell`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """``value`` unchanged, unless it is text a spreadsheet would run as a formula: then
    the text with a leading ``'``. Non-text values and plain numbers pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_text(header: Iterable[Any], rows: Iterable[Iterable[Any]]) -> str:
    """CSV text (``\\n`` line ends, minimal quoting) of a header and rows, every cell made safe."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([safe_cell(c) for c in header])
    w.writerows([safe_cell(c) for c in row] for row in rows)
    return buf.getvalue()
