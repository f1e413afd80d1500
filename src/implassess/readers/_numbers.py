"""Numbers written by people in any locale: decimal commas, thousands separators.

The failure this guards against is reading ``0,33`` as 33. Each text is classified on
its own: ``0,33`` can only be a decimal comma, ``1,234.5`` only a thousands comma, but
``1,234`` could be either. A file's decimal separator is the one its unambiguous values
agree on; a value that is still ambiguous is reported, never guessed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

import attrs

_GROUP_SPACES = dict.fromkeys(map(ord, " \u00a0\u202f\u2009'’"), None)
_MINUS = "-−–"
_BODY_RE = re.compile(r"^(?:\d[\d.,]*|[.,]\d+)$")


class NumberError(ValueError):
    """A text that is not a number in the expected form; ``str()`` is the reason."""


@attrs.frozen
class Reading:
    """What one text says about itself."""

    value: float | None
    """The value when the text is unambiguous."""
    decimal: str | None = None
    """The decimal separator the text proves (``","`` or ``"."``), if any."""
    alternatives: tuple[float, float] | None = None
    """(as decimal separator, as thousands separator) when the text is ambiguous."""
    percent: bool = False
    """The text ended with ``%``."""


def _grouped(int_part: str, sep: str) -> bool:
    """Whether ``int_part`` is digits grouped by ``sep`` in threes (1–3 digits first)."""
    groups = int_part.split(sep)
    return 1 <= len(groups[0]) <= 3 and all(len(g) == 3 and g.isdigit() for g in groups[1:]) and groups[0].isdigit()


def _split(text: str) -> tuple[float, str, bool]:
    """(sign, digits-and-separators body, percent) or :class:`NumberError`."""
    s = text.strip()
    percent = s.endswith("%")
    if percent:
        s = s[:-1].strip()
    sign = 1.0
    if s.startswith("(") and s.endswith(")"):
        sign, s = -1.0, s[1:-1].strip()
    if s[:1] in _MINUS:
        sign, s = -sign, s[1:].strip()
    elif s[:1] == "+":
        s = s[1:].strip()
    # Spaces and apostrophes between digits group thousands (fr, de-CH); they never mark decimals.
    body = s.translate(_GROUP_SPACES)
    if body != s and not re.fullmatch(r"\d{1,3}(?:[ \u00a0\u202f\u2009'’]\d{3})+(?:[.,]\d+)?", s):
        raise NumberError("spaces")
    if not _BODY_RE.match(body):
        raise NumberError("body")
    return sign, body, percent


def _shown(text: str) -> str:
    """A text quoted for a message, cut short when it is long (a cell may hold a megabyte)."""
    return repr(text) if len(text) <= 40 else repr(text[:36]) + f"… ({len(text):,} characters)"


def read(text: str) -> Reading:
    """Classify one text; raises :class:`NumberError` if it is not a number at all, or one
    too large for a float (more than about 308 digits before the decimal separator)."""
    reading = _classify(text)
    values = (reading.value,) if reading.value is not None else reading.alternatives or ()
    if not all(math.isfinite(v) for v in values):
        raise NumberError(
            f"found {_shown(text)}, which is too large to be read as a number; expected a number of ordinary size"
        )
    return reading


def _classify(text: str) -> Reading:
    try:
        sign, body, percent = _split(text)
    except NumberError:
        raise NumberError(f"found {_shown(text)}; expected a number such as 12, 0.33, 0,33 or 1 234,5") from None
    has_c, has_p = "," in body, "." in body
    if not has_c and not has_p:
        return Reading(sign * float(body), percent=percent)
    if has_c and has_p:
        dec = "," if body.rfind(",") > body.rfind(".") else "."
        thou = "." if dec == "," else ","
        int_part, _, frac = body.rpartition(dec)
        if dec in int_part or not frac.isdigit() or not _grouped(int_part, thou):
            raise NumberError(f"found {_shown(text)}, which mixes ',' and '.' in a way no locale writes numbers")
        return Reading(sign * float(int_part.replace(thou, "") + "." + frac), decimal=dec, percent=percent)
    sep = "," if has_c else "."
    other = "." if sep == "," else ","
    if body.count(sep) > 1:
        if not _grouped(body, sep):
            raise NumberError(f"found {_shown(text)}; {sep!r} appears more than once but not as a thousands separator")
        return Reading(sign * float(body.replace(sep, "")), decimal=other, percent=percent)
    int_part, _, frac = body.partition(sep)
    as_decimal = sign * float((int_part or "0") + "." + frac)
    if len(frac) != 3 or not int_part or int_part.startswith("0") or len(int_part) > 3:
        return Reading(as_decimal, decimal=sep, percent=percent)
    return Reading(None, alternatives=(as_decimal, sign * float(int_part + frac)), percent=percent)


def parse(text: str, decimal: str | None = None) -> float:
    """The value of ``text``; with ``decimal`` declared, the text must be written that way."""
    reading = read(text)
    if decimal is None:
        if reading.value is None:
            a, b = reading.alternatives or (0.0, 0.0)
            sep = "," if "," in text else "."
            raise NumberError(
                f"found {_shown(text)}, which could be {a:g} ({sep!r} as decimal separator) or {b:g} "
                f"({sep!r} as thousands separator); declare the decimal separator (decimal=',' or '.')"
            )
        return reading.value
    if decimal not in (",", "."):
        raise ValueError(f"decimal must be ',' or '.', not {decimal!r}")
    if reading.alternatives is not None:
        a, b = reading.alternatives
        sep = "," if "," in text else "."
        return a if sep == decimal else b
    if reading.decimal is not None and reading.decimal != decimal:
        example = "1.234,5" if decimal == "," else "1,234.5"
        raise NumberError(
            f"found {_shown(text)}, which is not written with {decimal!r} as decimal separator "
            f"(expected e.g. {example})"
        )
    assert reading.value is not None
    return reading.value


def detect_decimal(texts: Iterable[str]) -> tuple[str | None, dict[str, int]]:
    """The decimal separator that the unambiguous texts agree on, and the evidence counts.

    Returns ``(None, counts)`` when there is no evidence or the evidence conflicts.
    """
    counts = {",": 0, ".": 0}
    for t in texts:
        try:
            r = read(t)
        except NumberError:
            continue
        if r.decimal is not None:
            counts[r.decimal] += 1
    if counts[","] and not counts["."]:
        return ",", counts
    if counts["."] and not counts[","]:
        return ".", counts
    return None, counts
