"""Answers → scale values, one distinct answer at a time, with the reason for each invalid one.

Values come back as floats: the scale value, NaN for a blank, +inf for a non-substantive
answer ("Don't know") and -inf for an invalid one, so a column of 100,000 cells is
converted by looking up its few distinct strings once.

An answer that is no label, code or number may still be the machine form of one option's
label or code (``strongly_agree`` for "Strongly agree", as KoboToolbox and ODK export
XLSForm choice names): it is read as that option unless two options share the form.
The invalid answers of a file are counted per column by :func:`summarise_invalid`, so
thousands of rejected cells can be reported in a few lines with the fix.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from itertools import chain
from typing import TYPE_CHECKING, Any

import attrs

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


def machine_key(text: str) -> str:
    """Letters and digits only, case-folded and without accents: how a label and its machine
    forms compare (``Strongly agree``, ``strongly_agree``, ``STRONGLY-AGREE``, ``don_t_know``
    for "Don't know", ``tres_d_accord`` for "Très d'accord")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


#: An answer written like an XLSForm choice name: lower-case words joined by ``_``, ``-`` or ``.``.
_CHOICE_NAME = re.compile(r"[a-z][a-z0-9]*(?:[_\-.][a-z0-9]+)+")
#: A name a form builder could have given a choice: no spaces, starting with a letter.
_NAME_LIKE = re.compile(r"[A-Za-z_][\w.\-]*")


class AnswerReader:
    """Turns distinct answers on one scale into values; ``reasons`` holds why each invalid one is."""

    def __init__(
        self,
        scale: Scale,
        overrides: dict[str, float | None],
        choices: dict[str, str],
        decimal: str | None,
        *,
        reader: str = "",
    ):
        self.scale = scale
        self.overrides = overrides
        self.choices = choices
        self.decimal = decimal
        self.reader = reader
        """Name of the reader of the file: in an ``xlsform`` export any name-like answer may be a choice name."""
        self.labels: dict[str, float] = {}
        self.codes: dict[str, float] = {}
        self.codes_num: dict[float, float] = {}
        self.machine: dict[str, float] = {}
        """Machine form (:func:`machine_key`) of each option's label and code → its value."""
        self.ambiguous: dict[str, list[str]] = {}
        """Machine forms two or more options share → those options' labels (never guessed)."""
        owners: dict[str, list[int]] = {}
        option_values: list[float] = []
        for index, o in enumerate(scale.options):
            v = NONSUB_BASE + index if o.non_substantive or o.value is None else float(o.value)
            option_values.append(v)
            self.labels.setdefault(answer_key(o.label), v)
            if o.code:
                self.codes.setdefault(answer_key(o.code), v)
                try:
                    self.codes_num.setdefault(float(o.code), v)
                except ValueError:
                    pass
            for text in (o.label, o.code):
                mk = machine_key(text) if text else ""
                if mk and index not in owners.setdefault(mk, []):
                    owners[mk].append(index)
        for mk, indexes in owners.items():
            if len(indexes) == 1:
                self.machine[mk] = option_values[indexes[0]]
            else:
                self.ambiguous[mk] = [scale.options[i].label for i in indexes]
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
        if any(ch.isalpha() for ch in t):
            # A choice name (strongly_agree) or a label in another case or spacing.
            mk = machine_key(t)
            if mk in self.machine:
                return self.machine[mk]
            if mk in self.ambiguous:
                self.reasons[s] = self._not_a_label(s) + (
                    f" It could stand for any of {', '.join(map(repr, self.ambiguous[mk]))}, so it is not guessed; "
                    "give the option it stands for a code equal to it."
                )
                return INVALID
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
        reason = (
            f"found {shown(s)}, which is neither a value nor an answer label of scale "
            f"{self.scale.id!r}; expected a value from {fmt_value(lo)} to {fmt_value(hi)} or one of {labels}."
        )
        if self.may_be_choice_name(str(s).strip()) and machine_key(str(s)) not in self.ambiguous:
            reason += (
                " It looks like an XLSForm choice name: give the option it stands for a code equal to it, or "
                "export the answers as labels."
            )
        return reason

    def may_be_choice_name(self, text: str) -> bool:
        """Whether an answer may be an XLSForm choice name: words joined by ``_`` or ``-`` in any
        export, any name-like answer (``sa``) in a KoboToolbox / ODK / SurveyCTO one."""
        pattern = _NAME_LIKE if self.reader == "xlsform" else _CHOICE_NAME
        return pattern.fullmatch(text) is not None


# -- invalid answers, counted per column ------------------------------------------------------

#: Distinct invalid answers a summary quotes; the others are counted.
SHOWN_ANSWERS = 4
#: Columns a grouped summary names; the others are counted.
SHOWN_COLUMNS = 6


@attrs.frozen
class InvalidAnswers:
    """The invalid answers of one column, counted: what stands for thousands of per-row reasons."""

    column: str
    """The column header."""
    scale: str
    """Id of the scale the column's item is answered on."""
    rows: int
    """Rows whose cell in this column is invalid."""
    answers: tuple[tuple[str, int], ...]
    """Each distinct invalid answer as a message may quote it (``'sa'``, or a description of a
    personal-looking value), with the number of rows holding it; most frequent first."""
    choice_names: bool
    """Whether the answers look like XLSForm choice names (an export of XML values from
    KoboToolbox, ODK Central or SurveyCTO) rather than labels."""
    example: str
    """The per-row reason of the most frequent answer (``found 'sa', which is …``)."""

    def message(self) -> str:
        """One paragraph: the column, how many rows, the answers found and the fix."""
        return f"Column {self.column!r}: {self.rows} row(s) hold {_answers_text(self.answers)}. {_fix(self)}"


def _answers_text(answers: Sequence[tuple[str, int]]) -> str:
    shown_ = ", ".join(f"{text} ({n})" for text, n in answers[:SHOWN_ANSWERS])
    more = f" and {len(answers) - SHOWN_ANSWERS} more" if len(answers) > SHOWN_ANSWERS else ""
    return f"{len(answers)} different answer(s) the scale does not have: {shown_}{more}"


def _fix(s: InvalidAnswers) -> str:
    if s.choice_names:
        name = s.answers[0][0]
        return (
            f"They look like XLSForm choice names (the export holds XML values, not labels): in the instrument, "
            f"give each option of scale {s.scale!r} a code equal to its choice name (such as code = {name}), or "
            "export the data again with labels as the answers."
        )
    fix = f"For example, {s.example}"
    if "neither a value nor an answer label" in s.example and not s.example.startswith("found a value that"):
        fix += (
            f" To read such an answer as an option, map it in a mapping file's [answers] (such as "
            f'{s.answers[0][0]} = 3, or {s.answers[0][0]} = "missing").'
        )
    return fix


def summarise_invalid(
    columns: Sequence[str],
    cells: Sequence[Sequence[Any]],
    positions: Iterable[tuple[int, int]],
    readers: Mapping[int, AnswerReader],
) -> list[InvalidAnswers]:
    """The invalid answers counted per column, in column order.

    ``positions`` are the (row index, column index) of the invalid cells of ``cells``;
    ``readers`` gives the :class:`AnswerReader` that read each of those columns (its
    ``reasons``, scale and file reader: any name-like answer such as ``sa`` in an ``xlsform``
    export is taken for a choice name, elsewhere only words joined by ``_`` or ``-`` are).
    """
    counts: dict[int, Counter[Any]] = {}
    for r, i in positions:
        counts.setdefault(i, Counter())[cells[r][i]] += 1
    out = []
    for i in sorted(counts):
        conv = readers[i]
        ranked = sorted(counts[i].items(), key=lambda kv: (-kv[1], str(kv[0])))
        texts = [str(v).strip() for v, _ in ranked]
        names = all(
            conv.may_be_choice_name(t) and "neither a value nor" in conv.reasons.get(v, "")
            for t, (v, _) in zip(texts, ranked, strict=True)
        )
        quoted: Counter[str] = Counter()
        for v, n in ranked:  # personal-looking answers are described, so several may read the same
            quoted[shown(v)] += n
        out.append(
            InvalidAnswers(
                column=columns[i],
                scale=conv.scale.id,
                rows=sum(counts[i].values()),
                answers=tuple(sorted(quoted.items(), key=lambda kv: (-kv[1], kv[0]))),
                choice_names=names,
                example=conv.reasons.get(ranked[0][0], ""),
            )
        )
    return out


def summary_messages(summaries: Sequence[InvalidAnswers]) -> list[str]:
    """One message per scale and kind of fix: the columns (with their row counts) and the
    answers found in them all, so forty columns of choice names make one message, not forty."""
    groups: dict[tuple[str, bool], list[InvalidAnswers]] = {}
    for s in summaries:
        key = (s.scale, s.choice_names) if s.choice_names else (s.column, False)
        groups.setdefault(key, []).append(s)
    out = []
    for members in groups.values():
        if len(members) == 1:
            out.append(members[0].message())
            continue
        total: Counter[str] = Counter()
        for s in members:
            for text, n in s.answers:
                total[text] += n
        answers = sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))
        named = ", ".join(f"{s.column!r} ({s.rows})" for s in members[:SHOWN_COLUMNS])
        if len(members) > SHOWN_COLUMNS:
            named += f" and {len(members) - SHOWN_COLUMNS} more"
        merged = attrs.evolve(members[0], answers=tuple(answers))
        out.append(
            f"{len(members)} columns of scale {members[0].scale!r} hold invalid answers (rows per column): {named}. "
            f"Together they hold {_answers_text(answers)}. {_fix(merged)}"
        )
    return out


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
