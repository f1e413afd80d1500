"""Answers → scale values, one distinct answer at a time, with the reason for each invalid one.

Values come back as floats: the scale value, NaN for a blank, +inf for a non-substantive
answer ("Don't know") and -inf for an invalid one, so a column of 100,000 cells is
converted by looking up its few distinct strings once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any

from implassess.formats.mapping import answer_key
from implassess.ingest.personal import looks_personal, shown
from implassess.readers import _numbers

if TYPE_CHECKING:
    from implassess.model import Scale


class _Lookup(dict[Any, float]):
    """A dict that resolves a missing key once and keeps it (lookups stay at C speed)."""

    resolve: Any

    def __missing__(self, key: Any) -> float:
        value = self[key] = self.resolve(key)
        return value


NAN = float("nan")
#: Non-substantive answers come back as NONSUB_BASE + the option's index in the scale
#: (exact in float64; no scale value is that large), so the mapping step can count
#: "Don't know" and "Not applicable" apart before it turns them into missing values.
NONSUB_BASE = 1e15
#: A label the mapping file declares missing (no scale option of its own).
NONSUB = NONSUB_BASE + 1000
INVALID = float("-inf")


def fmt_value(v: float) -> str:
    """A scale value as people write it (4, not 4.0)."""
    return f"{v:g}"


class AnswerReader:
    """Turns distinct answers on one scale into values; ``reasons`` holds why each invalid one is."""

    def __init__(
        self,
        scale: Scale,
        overrides: dict[str, float | None],
        choices: dict[str, str],
        decimal: str | None,
    ):
        self.scale = scale
        self.overrides = overrides
        self.choices = choices
        self.decimal = decimal
        self.labels: dict[str, float] = {}
        self.codes: dict[str, float] = {}
        self.codes_num: dict[float, float] = {}
        for index, o in enumerate(scale.options):
            v = NONSUB_BASE + index if o.non_substantive or o.value is None else float(o.value)
            self.labels.setdefault(answer_key(o.label), v)
            if o.code:
                self.codes.setdefault(answer_key(o.code), v)
                try:
                    self.codes_num.setdefault(float(o.code), v)
                except ValueError:
                    pass
        self.values = {float(o.value) for o in scale.substantive() if o.value is not None}
        self.reasons: dict[Any, str] = {}

    def lookup(self) -> dict[Any, float]:
        """A dict answer → value that fills itself: each distinct answer is resolved once."""
        table = _Lookup()
        table.resolve = self.value
        return table

    def value(self, s: Any) -> float:
        if s is None:
            return NAN
        t = str(s).strip()
        if not t:
            return NAN
        k = answer_key(t)
        if k in self.overrides:
            v = self.overrides[k]
            return NONSUB if v is None else self._check(v, s)
        if self.choices:
            # The data dictionary says what the codes mean; a code it does not list is an
            # error, never a value on the instrument's scale.
            label = self.choices.get(t)
            if label is None:
                label = next((lab for lab in self.choices.values() if answer_key(lab) == k), None)
            if label is None:
                codes = ", ".join(self.choices)
                self.reasons[s] = (
                    f"found {shown(s)}, which is not a choice of the data dictionary; expected one of {codes}."
                )
                return INVALID
            k = answer_key(label)
            if k in self.overrides:
                v = self.overrides[k]
                return NONSUB if v is None else self._check(v, s)
            if k in self.labels:
                return self.labels[k]
            self.reasons[s] = (
                f"found {shown(s)} ({label!r} in the data dictionary), which is not an answer label of scale "
                f"{self.scale.id!r}; expected the dictionary's labels to match the scale's, or map them in [answers]."
            )
            return INVALID
        if k in self.labels:
            return self.labels[k]
        if k in self.codes:
            return self.codes[k]
        try:
            v = _numbers.parse(t, self.decimal)
        except _numbers.NumberError as exc:
            # The number reader quotes the text; a phone number must not be quoted, so it gets the label message.
            if re.fullmatch(r"[\d\s.,+\-−()%'’]+", t) and not looks_personal(t):
                self.reasons[s] = f"{exc}."
            else:
                self.reasons[s] = self._not_a_label(s)
            return INVALID
        if v in self.codes_num:
            return self.codes_num[v]
        return self._check(v, s)

    def _codes_text(self) -> str:
        coded = [(o.code, o.label) for o in self.scale.options if o.code and o.non_substantive]
        return "".join([", or a code (", ", ".join(f"{c} = {lab}" for c, lab in coded), ")"]) if coded else ""

    def _check(self, v: float, s: Any) -> float:
        if v in self.values:
            return v
        lo, hi = min(self.values, default=0.0), max(self.values, default=0.0)
        if v < lo or v > hi:
            self.reasons[s] = (
                f"found {shown(s)}, which is outside scale {self.scale.id!r}; expected a value "
                f"from {fmt_value(lo)} to {fmt_value(hi)}{self._codes_text()}."
            )
        else:
            self.reasons[s] = (
                f"found {shown(s)}, which is not a value of scale {self.scale.id!r}; expected "
                f"one of {', '.join(fmt_value(x) for x in sorted(self.values))}{self._codes_text()}."
            )
        return INVALID

    def _not_a_label(self, s: Any) -> str:
        lo, hi = min(self.values, default=0.0), max(self.values, default=0.0)
        labels = ", ".join(repr(o.label) for o in self.scale.options)
        return (
            f"found {shown(s)}, which is neither a value nor an answer label of scale "
            f"{self.scale.id!r}; expected a value from {fmt_value(lo)} to {fmt_value(hi)} or one of {labels}."
        )


def convert_cells(
    rows: Sequence[Sequence[Any]], pick: Callable[[Sequence[Any]], Any], k: int, conv: AnswerReader
) -> Any:
    """Values (a float array of ``len(rows) * k``) of the answer cells ``pick`` takes from each row.

    ``pick`` returns one cell (``k == 1``) or a tuple of ``k`` cells. Numeric exports hold
    one character per cell ("4", "8", blank); those are converted with numpy on the cells
    joined into one byte string, several times faster than a lookup per cell. Anything
    else is looked up per distinct answer.
    """
    import numpy as np

    m = len(rows) * k
    if m >= 10_000:
        sample = [c for r in rows[:: max(1, len(rows) // 200)] for c in ((pick(r),) if k == 1 else pick(r))]
        if sum(1 for c in sample if isinstance(c, str) and len(c) <= 1) >= 0.9 * len(sample):
            out = _short_cells(rows, pick, k, m, conv, np)
            if out is not None:
                return out
    cells = map(pick, rows) if k == 1 else chain.from_iterable(map(pick, rows))
    return np.fromiter(map(conv.lookup().__getitem__, cells), dtype=np.float64, count=m)


def _short_cells(
    rows: Sequence[Sequence[Any]], pick: Callable[[Sequence[Any]], Any], k: int, m: int, conv: AnswerReader, np: Any
) -> Any:
    """The vectorised path of :func:`convert_cells`; None unless every cell is blank or one character."""
    try:
        per_row = map(pick, rows) if k == 1 else map("\x1f".join, map(pick, rows))
        data = ("\x1f" + "\x1f".join(per_row) + "\x1f").encode("latin-1")
    except (TypeError, UnicodeEncodeError):  # a None cell (from a workbook) or a non-Latin-1 answer
        return None
    b = np.frombuffer(data, dtype=np.uint8)
    is_sep = b == 0x1F
    if np.count_nonzero(is_sep) != m + 1:  # a cell holds the separator itself
        return None
    # Each separator is followed by its cell's one character, or by the next separator if blank.
    codes = b[1:][is_sep[:-1]]
    if np.count_nonzero(codes != 0x1F) != len(b) - (m + 1):  # some cell is longer than one character
        return None
    lookup = conv.lookup()
    table = np.full(256, np.nan)
    for x in np.flatnonzero(np.bincount(codes, minlength=256)).tolist():
        table[x] = lookup["" if x == 0x1F else chr(x)]
    return table[codes]


_DATE_FORMATS = (
    ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M"),
    ("%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y"),
    ("%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y"),
)


def parse_dates(texts: Sequence[str | None]) -> tuple[list[dt.datetime | None], str | None]:
    """Dates of one column read with one format for all; (dates, problem) where problem explains a failure."""
    present = [t.strip() for t in texts if t and t.strip()]

    def iso(t: str) -> dt.datetime:
        d = dt.datetime.fromisoformat(t.replace("Z", "+00:00"))
        return d.astimezone(dt.timezone.utc).replace(tzinfo=None) if d.tzinfo else d

    def with_fmt(fmt: str) -> Any:
        return lambda t: dt.datetime.strptime(t, fmt)

    parsers: list[tuple[str, Any]] = [("ISO 8601", iso)]
    for group in _DATE_FORMATS:
        parsers += [(f, with_fmt(f)) for f in group]
    working = []
    for name, parse in parsers:
        try:
            for t in present:
                parse(t)
        except ValueError:
            continue
        working.append((name, parse))
    if not working:
        return [None] * len(texts), "the dates are not in one recognised format"
    names = [n for n, _ in working]
    if any(n.startswith("%m/%d") for n in names) and any(n.startswith("%d/%m") for n in names):
        return [None] * len(texts), "the dates could be day/month or month/day"
    parse = working[0][1]
    return [parse(t.strip()) if t and t.strip() else None for t in texts], None
