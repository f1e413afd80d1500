"""Which column is which: item ids, question text and roles.

Used by :mod:`implassess.ingest`. A column is matched, in order of precedence, by the
mapping file, by a role the reader declared (``ResponseId`` is the respondent id), by
item id (exact, then tolerant of ``-``/``_``/``.`` and case, then after a group prefix
such as ``grp/``), by a well-known header (``site``, ``comment`` …) or a header or
question naming personal data (see :mod:`implassess.ingest.personal`), by question
text, and last by an item id at the end of a prefixed name (``grp-p1``). A column that
is none of these, or an attribute or comment found by its header, whose values mostly
look personal (e-mail addresses, phone numbers …) is dropped as personal.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from implassess.errors import InputError
from implassess.formats.mapping import (
    ROLE_COMMENT,
    ROLE_DATE,
    ROLE_ID,
    ROLE_IGNORE,
    ROLE_PERSONAL,
    STRAIGHT_QUOTES,
    MappingFile,
    parse_role,
)
from implassess.ingest.personal import column_kind, is_personal
from implassess.model import VARIABLE_RE, Instrument, Item
from implassess.responses import KNOWN_ATTRIBUTES

if TYPE_CHECKING:
    from implassess.contracts import RawTable


#: How a column was matched, strongest first (a stronger match wins a conflict).
PRECEDENCE = (
    "mapping file",
    "reader",
    "item id",
    "item id (tolerant)",
    "item id (group prefix)",
    "header",
    "question text",
    "item id (suffix)",
)


def loose(text: str) -> str:
    """Letters and digits only, case-folded: ``Response ID`` → ``responseid``."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", text).casefold() if ch.isalnum())


def id_key(text: str) -> str:
    """An id compared loosely: case-folded, ``-``, ``.`` and spaces read as ``_``."""
    return re.sub(r"[-.\s_]+", "_", unicodedata.normalize("NFKC", text).strip().casefold()).strip("_")


#: A Kobo group path written with dots between XLSForm names (``profile.site``), not ``Q1.2`` or a sentence.
_DOTTED_NAMES = re.compile(r"[A-Za-z_][\w\-]*(?:\.[A-Za-z_][\w\-]*)+")


def last_segment(text: str) -> str:
    """A column name without its group path (``grp/sub/q1``, ``grp:q1``, Kobo's ``grp.q1`` → ``q1``)."""
    tail = re.split(r"[/:]", text)[-1]
    return tail.rsplit(".", 1)[1] if _DOTTED_NAMES.fullmatch(tail) else tail


# -- question text ---------------------------------------------------------------------

_TAG_RE = re.compile(r"<[^>]+>")
_TOOL_PREFIX_RE = re.compile(
    r"^\s*(?:\(?(?:q(?:uestion)?\s*)?\d+(?:[._]\d+)*[a-z]?\)?\s*[.):\-]\s+|q\d+(?:[._]\d+)*\s*[.):\-]?\s+)",
    re.IGNORECASE,
)
_PUNCT_RE = re.compile(r"[\W_]+")
#: Question text an export cut short: ``Long question te...`` or ``Long question te... - Statement``.
_TRUNCATED_RE = re.compile(r"^(?P<head>.*?\S)\s*(?:\.\.\.|…)(?:\s*[-–—]\s*(?P<tail>.*\S))?\s*$", re.DOTALL)
#: Shortest start (normalized) of a cut text that is matched against the start of an item's text.
_MIN_TRUNCATED = 20


def normalize_text(text: str) -> str:
    """Question text compared case-, spacing- and punctuation-insensitively, without tool prefixes."""
    s = html.unescape(_TAG_RE.sub(" ", text))
    s = unicodedata.normalize("NFKC", s).translate(STRAIGHT_QUOTES).strip()
    s = _TOOL_PREFIX_RE.sub("", s, count=1)
    return " ".join(_PUNCT_RE.sub(" ", s.casefold()).split())


def text_candidates(label: str) -> list[str]:
    """Normalized readings of an exported header: whole, after " - " (matrix), inside [ ] (grid)."""
    out = [label]
    dashed = re.split(r"\s+[-–—]\s+", label)
    if len(dashed) > 1:
        out += [dashed[-1], " - ".join(dashed[1:])]
    grid = re.search(r"\[([^\[\]]+)\]\s*$", label)
    if grid:
        out.append(grid.group(1))
    seen: list[str] = []
    for c in out:
        n = normalize_text(c)
        if n and n not in seen:
            seen.append(n)
    return seen


@attrs.frozen
class TextIndex:
    """Item texts of an instrument, normalized, for matching exported question text."""

    exact: dict[str, set[tuple[str, str | None]]]
    """Normalized text → {(item id, form or None)}."""
    patterns: list[tuple[re.Pattern[str], str, str | None]]
    """Texts with ``{variables}`` as patterns (the variable matches any words)."""

    @classmethod
    def build(cls, instrument: Instrument, form: str | None, variables: dict[str, str] | None) -> TextIndex:
        forms: list[str | None] = [form] if form is not None else [None, *(f.id for f in instrument.forms)]
        exact: dict[str, set[tuple[str, str | None]]] = {}
        patterns: list[tuple[re.Pattern[str], str, str | None]] = []
        for item in instrument.items:
            for f in forms:
                text = instrument.render_text(item, f, variables)
                exact.setdefault(normalize_text(text), set()).add((item.id, f))
                template = item.text_for(f)
                if VARIABLE_RE.search(template):
                    pieces = [normalize_text(p) for p in VARIABLE_RE.split(template)[::2]]
                    body = r"(?: .+?)? ?".join(re.escape(p) for p in pieces)
                    patterns.append((re.compile("^ ?" + body + " ?$"), item.id, f))
        return cls(exact, patterns)

    def match(self, label: str) -> tuple[set[str], set[str | None]]:
        """(item ids whose text the label matches, forms those texts belong to)."""
        for cand in text_candidates(label):
            hits = self.exact.get(cand)
            if hits:
                return {i for i, _ in hits}, {f for _, f in hits}
        for cand in text_candidates(label):
            hits2 = {(i, f) for p, i, f in self.patterns if p.match(cand)}
            if hits2:
                return {i for i, _ in hits2}, {f for _, f in hits2}
        return self._match_truncated(label)

    def _match_truncated(self, label: str) -> tuple[set[str], set[str | None]]:
        """Items whose text starts as a cut text does and ends with its statement (Qualtrics
        Insights exports cut question text at about 100 characters: ``… aka, Sca...-Statement 1``)."""
        cut = _TRUNCATED_RE.match(label)
        if cut is None:
            return set(), set()
        head, tail = normalize_text(cut.group("head")), normalize_text(cut.group("tail") or "")
        if len(head) < _MIN_TRUNCATED:
            return set(), set()
        hits = {
            hit
            for text, found in self.exact.items()
            if text.startswith(head) and len(text) > len(head) + len(tail) and (not tail or text.endswith(" " + tail))
            for hit in found
        }
        return {i for i, _ in hits}, {f for _, f in hits}


# -- well-known headers ---------------------------------------------------------------

#: Respondent id headers (loose form), most specific first.
ID_HEADERS = tuple(
    "respondentid responseid recordid uuid key instanceid metainstanceid submissionid participantresponseid id "
    "respondent".split()
)
#: Submission time headers (loose form), most specific first.
DATE_HEADERS = tuple(
    "submittedat submitted recordeddate completiontime submissiontime submissiondate enddate endtime completedat "
    "completed timestamp date".split()
)
COMMENT_HEADERS = ("comment", "comments")
#: Survey-tool metadata headers (loose form) that carry nothing to score.
IGNORE_HEADERS = frozenset(
    "startdate starttime start end duration durationinseconds status collectorid lastmodifiedtime userlanguage "
    "distributionchannel language version".split()
)


def header_role(header: str, *, personal: bool = True) -> tuple[str, str | None] | None:
    """(role, target) for a well-known header, or None; ``personal=False`` skips the personal-data test."""
    key = loose(last_segment(header))
    if personal and is_personal(header):
        return ROLE_PERSONAL, None
    if key in ID_HEADERS:
        return ROLE_ID, None
    if key in DATE_HEADERS:
        return ROLE_DATE, None
    if key in COMMENT_HEADERS:
        return ROLE_COMMENT, None
    for attr in KNOWN_ATTRIBUTES:
        if key == loose(attr):
            return "attribute", attr
    if key in IGNORE_HEADERS:
        return ROLE_IGNORE, None
    return None


@attrs.frozen
class ColumnMapping:
    """What one column of the file was taken to be."""

    column: str
    """The column header (the export's machine id where it has one)."""
    role: str
    """``item``, ``respondent-id``, ``submitted-at``, ``attribute``, ``comment``, ``personal``,
    ``ignore`` or ``unknown``."""
    target: str | None = None
    """Item id or attribute name."""
    how: str = ""
    """How it was matched: mapping file, reader, item id, question text, header …"""


def item_ids_by_key(items: Iterable[Item]) -> dict[str, str | None]:
    """Tolerant id key → item id (None where two ids collide under the tolerant key)."""
    out: dict[str, str | None] = {}
    for item in items:
        k = id_key(item.id)
        out[k] = None if k in out and out[k] != item.id else item.id
    return out


def plan_columns(
    raw: RawTable,
    instrument: Instrument,
    form: str | None,
    mapping: MappingFile | None,
    variables: dict[str, str] | None,
) -> tuple[list[ColumnMapping], list[str], str | None]:
    """Decide every column's role; returns (plan in file order, notes, form recognised from text)."""
    cols = raw.columns
    plan: dict[int, ColumnMapping] = {}
    notes: list[str] = []
    index_of = {c: i for i, c in enumerate(cols)}

    def put(i: int, role: str, target: str | None, how: str) -> None:
        if role == "attribute" and target is None:
            target = id_key(last_segment(cols[i]))
        plan[i] = ColumnMapping(cols[i], role, target, how)

    vouched = vouched_columns(raw, mapping, notes)
    if mapping is not None:
        for key, target in mapping.columns.items():
            i = find_column(raw, key)
            if i is None:
                notes.append(f"The mapping file names column {key!r}, which the file does not have.")
                continue
            role, tgt = parse_role(target, instrument) or ("unknown", None)
            put(i, role, tgt, "mapping file")
            if role != ROLE_PERSONAL and i not in vouched and _personal_header(raw, cols[i]):
                notes.append(
                    f"Column {cols[i]!r} looks personal but is kept as {role} because the mapping file says so."
                )
        for key in mapping.personal:
            i = find_column(raw, key)
            if i is None:
                notes.append(f"The mapping file lists column {key!r} as personal, which the file does not have.")
            else:
                put(i, ROLE_PERSONAL, None, "mapping file")
    for c, r in raw.meta.get("roles", {}).items():
        i = index_of.get(c)
        if i is not None and i not in plan:
            role, tgt = parse_role(r, None) or (ROLE_IGNORE, None)
            if role == ROLE_PERSONAL and i in vouched:
                continue  # the mapping file says it is not personal: match it like any other column
            put(i, role, tgt, "reader")
    ids = {item.id for item in instrument.items}
    keys = item_ids_by_key(instrument.items)
    for i, c in enumerate(cols):
        if i in plan:
            continue
        if c in ids:
            put(i, "item", c, "item id")
        elif keys.get(id_key(c)):
            put(i, "item", keys[id_key(c)], "item id (tolerant)")
        elif last_segment(c) != c and keys.get(id_key(last_segment(c))):
            put(i, "item", keys[id_key(last_segment(c))], "item id (group prefix)")
    personal_headers: list[int] = []
    for i, c in enumerate(cols):
        if i in plan:
            continue
        if _personal_header(raw, c):
            if i not in vouched:
                personal_headers.append(i)  # personal, unless its text is exactly an item's (below)
                continue
            notes.append(
                f"Column {c!r} looks personal but is read as usual because the mapping file lists it as not personal."
            )
        if (hr := header_role(c, personal=False)) is not None:
            put(i, hr[0], hr[1], "header")
    text_index = TextIndex.build(instrument, form, variables)
    text_forms: list[set[str | None]] = []
    for i, c in enumerate(cols):
        if i in plan:
            continue
        for label in dict.fromkeys([raw.labels.get(c) or c, c]):
            found, forms = text_index.match(label)
            if len(found) == 1:
                put(i, "item", next(iter(found)), "question text")
                text_forms.append(forms)
                break
            if len(found) > 1:
                notes.append(
                    f"Column {c!r} matches the text of several items ({', '.join(sorted(found))}); "
                    "it is not used. Map it in a mapping file."
                )
                break
    for i in personal_headers:
        if i not in plan:
            put(i, ROLE_PERSONAL, None, "header")
        elif plan[i].role == "item":
            notes.append(
                f"Column {cols[i]!r} looks personal but its text is that of item {plan[i].target!r}, so it is read "
                "as that item; its answers are never quoted."
            )
    item_keys = sorted(((k, v) for k, v in keys.items() if v), key=lambda kv: -len(kv[0]))
    for i, c in enumerate(cols):
        if i in plan:
            continue
        k = id_key(c)
        hit = next((v for key, v in item_keys if k.endswith("_" + key)), None)
        if hit is not None:
            put(i, "item", hit, "item id (suffix)")
    for i, c in enumerate(cols):
        if i not in plan:
            plan[i] = ColumnMapping(c, "unknown", None, "")
    ordered = [plan[i] for i in range(len(cols))]
    _personal_by_values(raw, ordered, vouched, notes)
    ordered = _resolve_conflicts(ordered, raw.source, notes)
    detected: str | None = None
    if form is None and text_forms:
        common = set.intersection(*text_forms)
        if None not in common and len(common) == 1:
            detected = next(iter(common))
            notes.append(f"The question text matches the {detected!r} form of the instrument.")
    return ordered, notes, detected


def find_column(raw: RawTable, key: str) -> int | None:
    """Position of the column a mapping file names, by header or else by exported question text."""
    if key in raw.columns:
        return raw.columns.index(key)
    want = " ".join(key.split()).casefold()
    return next(
        (i for i, c in enumerate(raw.columns) if " ".join(raw.labels.get(c, c).split()).casefold() == want), None
    )


def vouched_columns(raw: RawTable, mapping: MappingFile | None, notes: list[str] | None = None) -> set[int]:
    """Positions of the columns the mapping file lists under ``[privacy] not-personal``."""
    out: set[int] = set()
    for key in mapping.not_personal if mapping is not None else ():
        i = find_column(raw, key)
        if i is not None:
            out.add(i)
        elif notes is not None:
            notes.append(f"The mapping file lists column {key!r} as not personal, which the file does not have.")
    return out


def _personal_header(raw: RawTable, column: str) -> bool:
    """Whether a column's header, or the question text the export gives for it, names personal data."""
    label = raw.labels.get(column)
    return is_personal(column) or (bool(label) and label != column and is_personal(label or ""))


#: Rows looked at when judging a column by its values (spread over the file).
VALUE_SAMPLE_ROWS = 2000


def _personal_by_values(raw: RawTable, plan: list[ColumnMapping], vouched: set[int], notes: list[str]) -> None:
    """Drop as personal every column not mapped as an item (nor by the mapping file) whose
    values mostly look like e-mail addresses, phone numbers, IP addresses …"""
    rows = raw.rows[:: max(1, len(raw.rows) // VALUE_SAMPLE_ROWS)]
    for i, m in enumerate(plan):
        if i in vouched or m.how == "mapping file" or m.role in ("item", ROLE_PERSONAL, ROLE_ID, ROLE_DATE):
            continue
        if m.role == "attribute" and m.target == "wave":
            continue  # never dropped (that would pool the waves): its personal-looking cells read as blank
        found = column_kind(cells[i] for _, cells in rows if i < len(cells))
        if found is None:
            continue
        kind, hits, looked = found
        plan[i] = ColumnMapping(m.column, ROLE_PERSONAL, None, "values")
        notes.append(
            f"Column {m.column!r} is dropped as personal: {hits} of the {looked} different value(s) looked at "
            f"look like personal data (most like {kind}). If it is not personal, list it under "
            "[privacy] not-personal in a mapping file."
        )


def _strength(m: ColumnMapping) -> int:
    return PRECEDENCE.index(m.how) if m.how in PRECEDENCE else len(PRECEDENCE)


def _resolve_conflicts(plan: list[ColumnMapping], source: str, notes: list[str]) -> list[ColumnMapping]:
    """One column per item, attribute, respondent id and date; the strongest match wins."""
    out = list(plan)
    groups: dict[tuple[str, str | None], list[int]] = {}
    for i, m in enumerate(plan):
        if m.role in ("item", "attribute"):
            groups.setdefault((m.role, m.target), []).append(i)
        elif m.role in (ROLE_ID, ROLE_DATE):
            groups.setdefault((m.role, None), []).append(i)
    for (role, target), members in groups.items():
        if len(members) < 2:
            continue
        if role in (ROLE_ID, ROLE_DATE):
            order = ID_HEADERS if role == ROLE_ID else DATE_HEADERS

            def rank(i: int, order: tuple[str, ...] = order) -> tuple[int, int]:
                key = loose(last_segment(plan[i].column))
                return (_strength(plan[i]), order.index(key) if key in order else len(order))

            members = sorted(members, key=rank)
        else:
            members = sorted(members, key=lambda i: _strength(plan[i]))
            top = [i for i in members if _strength(plan[i]) == _strength(plan[members[0]])]
            if role == "item" and len(top) > 1:
                raise InputError(
                    source,
                    f"Columns {', '.join(repr(plan[i].column) for i in top)} all map to item {target!r} "
                    f"({plan[top[0]].how}); expected one column per item. Say which one holds the item in a "
                    "mapping file ([columns]) and map the other to 'ignore'.",
                )
        keep = members[0]
        for i in members[1:]:
            what = f"item {target!r}" if role == "item" else f"attribute {target!r}" if role == "attribute" else role
            notes.append(
                f"Column {plan[i].column!r} also matches {what}, which column {plan[keep].column!r} provides; "
                f"{plan[i].column!r} is not used."
            )
            out[i] = ColumnMapping(plan[i].column, ROLE_IGNORE, None, "superseded")
    return out
