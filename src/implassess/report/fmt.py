"""The one place numbers become text in a report.

Every number the PDF prints goes through a function here, so the report shows exactly
the numbers of the JSON output, rounded once, at display. ``None`` and NaN print as
:data:`MISSING`. Negative numbers use a true minus sign (U+2212).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

#: Printed where a number is missing (no data, not computed).
MISSING = "–"

#: Typographic minus used for negative numbers.
MINUS = "−"


def is_missing(x: Any) -> bool:
    """True for ``None`` and NaN: the value must not be printed or drawn."""
    return x is None or (isinstance(x, float) and math.isnan(x))


def _fixed(x: float | None, places: int) -> str:
    if is_missing(x):
        return MISSING
    assert x is not None
    text = f"{x:.{places}f}"
    if text.startswith("-"):
        # "-0.0" is a rounding artefact, not a negative number.
        return text[1:] if float(text) == 0 else MINUS + text[1:]
    return text


def fmt_score(x: float | None) -> str:
    """A 0–100 score: one decimal, e.g. ``63.4``."""
    return _fixed(x, 1)


def fmt_r(x: float | None) -> str:
    """A coefficient such as Cronbach's α or rwg(j): two decimals, e.g. ``0.82``."""
    return _fixed(x, 2)


def fmt_mean(x: float | None) -> str:
    """A mean or SD on the answer scale: two decimals, e.g. ``3.54``."""
    return _fixed(x, 2)


def fmt_delta(x: float | None) -> str:
    """A signed difference in score points: ``+3.1``, ``−2.0``, ``0.0``."""
    text = _fixed(x, 1)
    if text == MISSING or text.startswith(MINUS) or float(text) == 0:
        return text
    return "+" + text


def fmt_int(n: int | float | None) -> str:
    """A count with thousands separators, e.g. ``1,204``."""
    if is_missing(n):
        return MISSING
    assert n is not None
    return f"{round(n):,}"


def fmt_pct(x: float | None) -> str:
    """A share already in percent, no decimals: ``42%``."""
    text = _fixed(x, 0)
    return text if text == MISSING else text + "%"


#: Units whose values are whole numbers.
_WHOLE_UNITS = frozenset({"count", "people", "n", "number"})


def fmt_kpi(x: float | None, unit: str = "") -> str:
    """A KPI value with its unit: ``72.5%``, ``12.0 days``, ``14 count`` → ``14``."""
    if is_missing(x):
        return MISSING
    assert x is not None
    u = unit.strip()
    if u.lower() in _WHOLE_UNITS:
        return fmt_int(x)
    number = _fixed(x, 1)
    if u == "%":
        return number + "%"
    return f"{number} {u}" if u else number


def fmt_ci(low: float | None, high: float | None) -> str:
    """A confidence interval on the 0–100 scale: ``58.2–68.7``."""
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"{fmt_score(low)}–{fmt_score(high)}"


def fmt_delta_ci(low: float | None, high: float | None) -> str:
    """A confidence interval of a difference: ``−1.2 to +4.5`` (signs kept, never a dash range)."""
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"{fmt_delta(low)} to {fmt_delta(high)}"


def fmt_date(d: dt.date | str | None) -> str:
    """A date as ``23 November 2026``; an ISO string is parsed, other text kept."""
    if d is None or d == "":
        return MISSING
    if isinstance(d, str):
        try:
            day = dt.date.fromisoformat(d)
        except ValueError:
            return d
    else:
        day = d
    return f"{day.day} {day:%B %Y}"


def fmt_observed(x: float | str | None, statistic: str = "score", unit: str = "") -> str:
    """An observed trigger value printed the way its statistic is printed elsewhere."""
    if isinstance(x, str):
        return x
    if statistic in ("rwg-j", "alpha"):
        return fmt_r(x)
    if statistic == "mean":
        return fmt_mean(x)
    if statistic in ("level", "kpi-level"):
        return MISSING if is_missing(x) else str(round(x))  # type: ignore[arg-type]
    if statistic == "value":
        return fmt_kpi(x, unit)
    return fmt_score(x)
