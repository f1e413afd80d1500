"""From a survey export to a :class:`~implassess.responses.ResponseSet`, with full accounting.

:func:`read_responses` picks a reader (the highest ``sniff`` score, or ``format=``), maps
the columns onto the instrument's items (see :mod:`implassess.ingest.columns`), turns
answers into scale values, and rejects rows with reasons. Every data row read is either
accepted or rejected: ``rows_read == n + len(rejected)``. :func:`read_kpis` does the same
for KPI sheets, reading decimal commas and thousands separators by locale.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
from collections.abc import Callable, Iterator, Sequence
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from implassess import plugins
from implassess.contracts import RawTable, RejectedRow, ResponseReader
from implassess.errors import ImplassessError, InputError, NotFoundError
from implassess.formats.mapping import MappingFile, check_mapping_targets, load_mapping
from implassess.ingest.answers import (
    INVALID,
    NONSUB_BASE,
    AnswerReader,
    convert_cells,
    summarise_invalid,
    summary_messages,
)
from implassess.ingest.attributes import wanted_attributes
from implassess.ingest.columns import (
    ROLE_COMMENT,
    ROLE_DATE,
    ROLE_ID,
    ROLE_PERSONAL,
    ColumnMapping,
    id_key,
    item_ids_by_key,
    last_segment,
    loose,
    plan_columns,
    vouched_columns,
)
from implassess.ingest.personal import looks_personal, personal_cells, pseudonym, redact
from implassess.ingest.rows import find_duplicates, settle_record_rows
from implassess.ingest.waves import one_wave
from implassess.outputs.files import sha256_file
from implassess.readers._text import HEAD_BYTES, delimiter_name, ragged_reason
from implassess.readers.kpi import KpiSheet, KpiValue, type_kpis
from implassess.responses import ResponseSet

if TYPE_CHECKING:
    import numpy as np

    from implassess.model import Instrument

__all__ = [
    "ColumnMapping",
    "IngestResult",
    "KpiSheet",
    "KpiValue",
    "MappingFile",
    "detect_reader",
    "ingest",
    "load_mapping",
    "map_table",
    "read_kpis",
    "read_responses",
    "read_table",
    "sniff_scores",
]

Duplicates = Literal["reject", "latest"]
Invalid = Literal["reject-row", "missing"]


@attrs.frozen(eq=False, kw_only=True)
class IngestResult:
    """A :class:`ResponseSet` plus what the check report shows about how it was read."""

    responses: ResponseSet
    """The accepted responses and the rejected rows."""
    reader: str
    """Name of the reader used."""
    columns: tuple[ColumnMapping, ...]
    """One entry per column of the file, in file order."""
    unmapped: tuple[str, ...]
    """Columns matched to nothing."""
    missing_items: tuple[str, ...]
    """Instrument items no column provides."""
    personal: tuple[str, ...]
    """Personal columns dropped (headers only), by header, by the mapping file or by their values."""
    raw: RawTable
    """The reader's table (for writing rejected rows)."""


# -- reader choice ------------------------------------------------------------------------


def _head(path: Path) -> bytes:
    source = str(path)
    try:
        with path.open("rb") as f:
            head = f.read(HEAD_BYTES)
    except IsADirectoryError:
        raise InputError(source, "This is a folder; expected a survey export file.") from None
    except FileNotFoundError:
        raise InputError(source, "The file does not exist.") from None
    except OSError as exc:
        raise InputError(source, f"Cannot read the file: {exc.strerror or exc}.") from None
    if not head.strip():
        raise InputError(source, "The file is empty; expected a header row followed by data rows.")
    return head


def sniff_scores(path: Path) -> dict[str, float]:
    """Every reader's confidence (0–1) that ``path`` is in its format, highest first."""
    head = _head(path)
    scores: dict[str, float] = {}
    for name, reader in plugins.get_readers().items():
        try:
            score = float(reader.sniff(path, head))
        except Exception:  # a sniffer must not stop detection; it just does not claim the file
            score = 0.0
        scores[name] = min(1.0, score) if score > 0 else 0.0  # NaN and negatives claim nothing
    return dict(sorted(scores.items(), key=lambda kv: -kv[1]))


def detect_reader(path: Path, format: str | None = None) -> ResponseReader:
    """The reader named ``format``, or the one most confident about ``path``."""
    readers = plugins.get_readers()
    if format:
        if format not in readers:
            raise NotFoundError("reader", format, list(readers))
        return readers[format]
    scores = sniff_scores(path)
    name, best = next(iter(scores.items()), ("", 0.0))
    if best <= 0:
        raise InputError(
            str(path),
            "No reader recognises this file. Expected one of: "
            + ", ".join(sorted(readers))
            + "; choose one with --format (format=).",
        )
    return readers[name]


def read_table(path: Path, *, format: str | None = None, options: dict[str, Any] | None = None) -> RawTable:
    """Read a file with the detected (or named) reader; never raises anything but :class:`ImplassessError`."""
    path = Path(path)
    reader = detect_reader(path, format)
    try:
        return reader.read(path, dict(options or {}))
    except ImplassessError:
        raise
    except Exception as exc:  # a third-party reader's crash is still an input problem for the user
        raise InputError(str(path), f"The {reader.name!r} reader failed: {type(exc).__name__}: {exc}.") from None


def _sha256(path: Path) -> str:
    return sha256_file(path, missing_ok=True)


# -- the public entry points ----------------------------------------------------------


def read_responses(
    path: Path | str,
    instrument: Instrument,
    *,
    form: str | None = None,
    mapping: Path | str | MappingFile | None = None,
    format: str | None = None,
    duplicates: Duplicates | None = None,
    invalid: Invalid | None = None,
    decimal: str | None = None,
    variables: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
    wave: str | None = None,
    all_waves: bool = False,
    attributes: Sequence[str] = (),
) -> ResponseSet:
    """Read a survey export and map it onto ``instrument``.

    ``format`` names a reader (default: detected). ``mapping`` is a mapping file (TOML);
    its ``[options]`` apply where an argument is not given. ``duplicates``: ``reject``
    (default) keeps the first row of a respondent id, ``latest`` the one with the latest
    submission date. ``invalid``: ``reject-row`` (default) rejects a row with any invalid
    answer, ``missing`` treats invalid answers as missing. ``decimal`` declares
    the decimal separator of numeric answers. ``variables`` fills ``{variables}`` in item
    text for matching question text. ``options`` go to the reader (delimiter, encoding,
    sheet, dictionary).

    Waves are never pooled: when the file's ``wave`` attribute holds more than one wave,
    name the one to score with ``wave`` (the other waves' rows are listed as rejected), or
    an :class:`InputError` says which waves there are. ``all_waves=True`` keeps every wave
    for a caller that separates them itself. ``attributes`` names attributes the caller
    will break results down by: a column of that name is read as the attribute even where
    it would otherwise be left unmapped.
    """
    return ingest(
        path,
        instrument,
        form=form,
        mapping=mapping,
        format=format,
        duplicates=duplicates,
        invalid=invalid,
        decimal=decimal,
        variables=variables,
        options=options,
        wave=wave,
        all_waves=all_waves,
        attributes=attributes,
        keep_table=False,
    ).responses


def ingest(
    path: Path | str,
    instrument: Instrument,
    *,
    form: str | None = None,
    mapping: Path | str | MappingFile | None = None,
    format: str | None = None,
    duplicates: Duplicates | None = None,
    invalid: Invalid | None = None,
    decimal: str | None = None,
    variables: dict[str, str] | None = None,
    options: dict[str, Any] | None = None,
    wave: str | None = None,
    all_waves: bool = False,
    attributes: Sequence[str] = (),
    keep_table: bool = True,
) -> IngestResult:
    """Like :func:`read_responses`, returning the column report as well.

    Without ``keep_table`` the reader's cells are released before the garbage collector
    is switched back on, so it does not walk every row of a large export once more.
    """
    path = Path(path)
    mf = load_mapping(Path(mapping)) if isinstance(mapping, (str, Path)) else mapping
    opts = dict(mf.options) if mf else {}
    # An argument given explicitly wins over the mapping file's [options], which win over defaults.
    explicit = {"form": form, "format": format, "decimal": decimal, "duplicates": duplicates, "invalid": invalid}
    settings = {k: (v if v is not None else opts.get(k)) for k, v in explicit.items()}
    reader_opts: dict[str, Any] = {k: opts[k] for k in READER_OPTIONS if k in opts}
    reader_opts.update(options or {})
    if attributes:  # a reader that spreads a record over rows (REDCap) fills these in on every row
        reader_opts.setdefault("breakdowns", tuple(attributes))
    with _gc_paused():
        result = _ingest(path, instrument, mf, settings, reader_opts, variables, attributes)
        if not all_waves:
            result = attrs.evolve(result, responses=one_wave(result.responses, wave))
        if not keep_table:
            result = attrs.evolve(result, raw=attrs.evolve(result.raw, rows=[], meta={}))
        return result


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while reading.

    A large export creates a container per row; the collector would traverse them over
    and over (a third of the reading time) although reading creates no reference cycles.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _ingest(
    path: Path,
    instrument: Instrument,
    mf: MappingFile | None,
    settings: dict[str, Any],
    reader_opts: dict[str, Any],
    variables: dict[str, str] | None,
    attributes: Sequence[str] = (),
) -> IngestResult:
    raw = read_table(path, format=settings["format"], options=reader_opts)
    if raw.format == "kpi" and not settings["format"]:
        raise InputError(
            str(path),
            "This looks like a KPI sheet (columns kpi, period, value), not survey responses; "
            "read it with `implassess responses kpis` (ingest.read_kpis), or pass --format to force a reader.",
        )
    if reader_opts.get("dictionary") and raw.format != "redcap":
        raise InputError(
            str(path),
            f"A REDCap data dictionary was given ({Path(str(reader_opts['dictionary'])).name}), but the file was "
            f"read by the {raw.format!r} reader, which has no use for one; expected a REDCap records export. "
            "Pass --format redcap if the file is one, or leave --dictionary out.",
        )
    merged_vars = {**(mf.variables if mf else {}), **(variables or {})}
    return map_table(
        raw,
        instrument,
        form=settings["form"],
        mapping=mf,
        duplicates=settings["duplicates"] or "reject",
        invalid=settings["invalid"] or "reject-row",
        decimal=settings["decimal"],
        variables=merged_vars or None,
        sha256=_sha256(path),
        breakdowns=attributes,
    )


#: Options a mapping file's ``[options]`` hands to the reader.
READER_OPTIONS = ("delimiter", "encoding", "sheet", "dictionary", "review", "test_responses", "repeats")

#: Panel reference headers (loose form): personal, but they identify repeated submissions.
PANEL_REFERENCES = frozenset({"externalreference", "externaldatareference"})


# -- mapping a table --------------------------------------------------------------------------


def map_table(
    raw: RawTable,
    instrument: Instrument,
    *,
    form: str | None = None,
    mapping: MappingFile | None = None,
    duplicates: Duplicates = "reject",
    invalid: Invalid = "reject-row",
    decimal: str | None = None,
    variables: dict[str, str] | None = None,
    sha256: str = "",
    breakdowns: Sequence[str] = (),
) -> IngestResult:
    """Map a reader's table onto ``instrument`` (see :func:`read_responses`); ``breakdowns`` are
    the attributes asked for with ``attributes``."""
    import numpy as np

    source = raw.source
    _check_arguments(instrument, form, duplicates, invalid, decimal)
    if mapping is not None:
        check_mapping_targets(mapping, instrument)
    plan, notes, detected_form = plan_columns(raw, instrument, form, mapping, variables)
    if breakdowns:
        plan = wanted_attributes(raw, plan, breakdowns)
    vouched = vouched_columns(raw, mapping)
    items = instrument.items
    item_pos = {item.id: j for j, item in enumerate(items)}
    item_cols = [(i, item_pos[m.target]) for i, m in enumerate(plan) if m.role == "item" and m.target in item_pos]
    if not item_cols:
        raise InputError(source, _nothing_mapped(raw, instrument))
    cols = raw.columns
    rows, misfits = _fit_rows(raw)
    n = len(rows)
    rownums = list(map(itemgetter(0), rows))
    cells = list(map(itemgetter(1), rows))
    values, nonsub, reasons, invalid_notes, invalid_summary = _convert(
        cells, rownums, item_cols, instrument, raw, mapping, decimal, invalid
    )
    notes += invalid_summary

    def column(i: int) -> list[Any]:
        return list(map(itemgetter(i), cells))

    id_col = next((i for i, m in enumerate(plan) if m.role == ROLE_ID), None)
    date_col = next((i for i, m in enumerate(plan) if m.role == ROLE_DATE), None)
    attr_cols = [(i, m.target or cols[i]) for i, m in enumerate(plan) if m.role == "attribute"]
    wave_col = next((i for i, name in attr_cols if name == "wave"), None)
    rated_col = next((i for i, name in attr_cols if name == "participant"), None)
    if id_col is not None:
        raw_ids = column(id_col)
        try:
            ids = list(map(str.strip, raw_ids))
        except TypeError:  # a workbook's empty or numeric cell
            ids = [(s.strip() if isinstance(s, str) else str(s or "")) for s in raw_ids]
        blank_ids = [r for r, s in enumerate(ids) if not s]
        for r in blank_ids:
            ids[r] = f"row-{rownums[r]}"
        if blank_ids:
            notes.append(
                f"{len(blank_ids)} row(s) have no value in {cols[id_col]!r}; they are identified by row number."
            )
        if id_col not in vouched and (hidden := personal_cells(ids)):
            for r in hidden:
                ids[r] = pseudonym(ids[r])
            notes.append(
                f"{len(hidden)} respondent id(s) in {cols[id_col]!r} look like personal data (an e-mail address, "
                "phone number or the like); each is replaced by a pseudonym ('id-' and a short hash of it), so it "
                "reaches no output while repeated submissions are still caught."
            )
        if "record_rows" in raw.meta:  # a record on several rows: REDCap events and repeating forms
            settle_record_rows(
                raw.meta["record_rows"],
                [cols[i] for i, _ in item_cols],
                ids,
                rownums,
                reasons,
                lambda c: column(cols.index(c)),
                notes,
            )
        find_duplicates(
            ids,
            raw_ids,
            rownums,
            reasons,
            duplicates,
            cols[id_col],
            (lambda: column(date_col)) if date_col is not None else None,
            cols[date_col] if date_col is not None else None,
            (lambda: column(wave_col)) if wave_col is not None else None,
            notes,
            (lambda: column(rated_col)) if rated_col is not None else None,
        )
        # A panel's own reference (Qualtrics ExternalReference) identifies a person across
        # response ids; it is personal, so it is used as a private key and never quoted.
        ref_col = next(
            (
                i
                for i, m in enumerate(plan)
                if m.role == ROLE_PERSONAL
                and PANEL_REFERENCES & {loose(cols[i]), loose(raw.labels.get(cols[i], ""))}  # legacy V4
            ),
            None,
        )
        if ref_col is not None:
            refs = [str(v).strip() if v is not None else "" for v in column(ref_col)]
            keys = [
                f"reference {hashlib.sha256(v.encode()).hexdigest()[:8]}" if v else f"row-{n}"
                for v, n in zip(refs, rownums, strict=True)
            ]
            find_duplicates(
                keys,
                refs,
                rownums,
                reasons,
                duplicates,
                f"{cols[ref_col]} (kept private)",
                (lambda: column(date_col)) if date_col is not None else None,
                cols[date_col] if date_col is not None else None,
                (lambda: column(wave_col)) if wave_col is not None else None,
                notes,
            )
    else:
        ids = [f"row-{r}" for r in rownums]
        notes.append(
            "No respondent id column was found; respondents are identified by row number (row-N), so "
            "duplicate responses cannot be detected."
        )

    explicit = {i for i, m in enumerate(plan) if m.how == "mapping file"}
    keep_mask = np.ones(n, dtype=bool)
    if reasons:
        keep_mask[list(reasons)] = False
    keep = np.flatnonzero(keep_mask).tolist()
    everyone = len(keep) == n
    choices = raw.meta.get("choices", {})

    def pick(i: int, private: Literal["hide", "redact"] | None = None) -> tuple[str | None, ...]:
        col = column(i) if everyone else [cells[r][i] for r in keep]
        clean = {s: (s.strip() or None) if isinstance(s, str) else (None if s is None else str(s)) for s in set(col)}
        if labels := choices.get(cols[i]):
            # A coded attribute (REDCap dropdown "1, North") reads as its label.
            clean = {s: labels.get(v, v) if v is not None else None for s, v in clean.items()}
        if private is not None and i not in vouched:
            changed = _private_values(clean, private)
            if changed:
                clean.update(changed)
                touched = sum(1 for s in col if s in changed)
                notes.append(_private_note(cols[i], touched, private))
        return tuple(map(clean.__getitem__, col))

    # Values that look personal never reach an output: an attribute's are read as blank
    # (unless the mapping file chose the column), a comment's are cut out of the text.
    attributes = {name: pick(i, None if i in explicit else "hide") for i, name in attr_cols}
    comments = {(m.target or cols[i]): pick(i, "redact") for i, m in enumerate(plan) if m.role == ROLE_COMMENT}

    rejected = _reader_rejections(raw, id_col) + misfits
    rejected += [
        RejectedRow(rownums[r], tuple(rs), ids[r] if id_col is not None else None) for r, rs in reasons.items()
    ]
    rejected = [_private_rejection(rr, id_col is not None and id_col in vouched) for rr in rejected]
    rejected.sort(key=lambda rr: rr.row)

    personal = tuple(m.column for m in plan if m.role == ROLE_PERSONAL)
    unmapped = tuple(m.column for m in plan if m.role == "unknown")
    mapped_items = {items[j].id for _, j in item_cols}
    missing = tuple(item.id for item in items if item.id not in mapped_items)
    warnings = [redact(w) for w in _warnings(raw, instrument, personal, unmapped, missing, notes, invalid_notes)]
    responses = ResponseSet(
        instrument=instrument,
        respondent_ids=tuple(ids) if everyone else tuple(ids[r] for r in keep),
        values=values if everyone else values[keep_mask],
        non_substantive=nonsub if everyone else nonsub[keep_mask],
        attributes=attributes,
        comments=comments,
        rows=tuple(rownums) if everyone else tuple(rownums[r] for r in keep),
        rejected=tuple(rejected),
        rows_read=n + len(misfits) + len(raw.rejected),
        form=form if form is not None else detected_form,
        source=source,
        sha256=sha256,
        warnings=tuple(warnings),
    )
    return IngestResult(
        responses=responses,
        reader=raw.format,
        columns=tuple(plan),
        unmapped=unmapped,
        missing_items=missing,
        personal=personal,
        raw=raw,
    )


def _convert(
    cells: list[Sequence[Any]],
    rownums: list[int],
    item_cols: list[tuple[int, int]],
    instrument: Instrument,
    raw: RawTable,
    mapping: MappingFile | None,
    decimal: str | None,
    invalid: str,
) -> tuple[np.ndarray, np.ndarray, dict[int, list[str]], list[str], list[str]]:
    """Item cells → values (respondents × items), and reasons per row index for invalid or empty rows.

    Columns answered on the same scale with the same overrides are converted together:
    their distinct answers are looked up once and the cells mapped in one C-level pass.
    """
    import numpy as np

    cols = raw.columns
    items = instrument.items
    n = len(cells)
    choices = raw.meta.get("choices", {})
    groups: dict[tuple[str, str, int], list[tuple[int, int]]] = {}
    for i, j in item_cols:
        item = items[j]
        has_own = bool(mapping and item.id in mapping.item_answers)
        key = (instrument.scale_for(item).id, item.id if has_own else "", i if cols[i] in choices else -1)
        groups.setdefault(key, []).append((i, j))
    values = np.full((n, len(items)), np.nan)
    nonsub = np.zeros((n, len(items)), dtype=np.int16)
    answered = np.zeros(n, dtype=np.int64)
    invalid_at: list[tuple[int, int]] = []
    reason_of: dict[int, dict[Any, str]] = {}
    reader_of: dict[int, AnswerReader] = {}
    for members in groups.values():
        i0, j0 = members[0]
        overrides = dict(mapping.answers) if mapping else {}
        if mapping and items[j0].id in mapping.item_answers:
            overrides.update(mapping.item_answers[items[j0].id])
        conv = AnswerReader(
            instrument.scale_for(items[j0]), overrides, choices.get(cols[i0], {}), decimal, reader=raw.format
        )
        idx = [i for i, _ in members]
        k = len(idx)
        pick: Callable[[Sequence[Any]], Any]
        if k == 1:
            pick = itemgetter(idx[0])
        elif idx == list(range(idx[0], idx[0] + k)):
            pick = itemgetter(slice(idx[0], idx[0] + k))
        else:
            pick = itemgetter(*idx)
        block = convert_cells(cells, pick, k, conv).reshape(n, k)
        answered += k - np.isnan(block).sum(axis=1)
        if conv.reasons:
            for c, (i, _) in enumerate(members):
                reason_of[i] = conv.reasons
                reader_of[i] = conv
                invalid_at += [(r, i) for r in np.flatnonzero(block[:, c] == INVALID).tolist()]
        block[np.isinf(block)] = np.nan
        set_apart = block >= NONSUB_BASE
        js = [j for _, j in members]
        if set_apart.any():
            nonsub[:, js] = np.where(set_apart, block - (NONSUB_BASE - 1), 0).astype(np.int16)
            block[set_apart] = np.nan
        if js == list(range(len(items))):
            values = block  # one block holds every item, in order
        elif js == list(range(js[0], js[0] + k)):
            values[:, js[0] : js[0] + k] = block
        else:
            values[:, js] = block
    reasons: dict[int, list[str]] = {}
    invalid_notes: list[str] = []
    for r, i in sorted(invalid_at):
        message = f"Column {cols[i]!r}: {reason_of[i][cells[r][i]]}"
        if invalid == "reject-row":
            reasons.setdefault(r, []).append(message)
        else:
            invalid_notes.append(f"Row {rownums[r]}: {message}")
    k = len(item_cols)
    names = ", ".join(repr(cols[i]) for i, _ in item_cols[:3]) + (" …" if k > 3 else "")
    for r in np.flatnonzero(answered == 0).tolist():
        if r not in reasons:
            reasons[r] = [f"No item answered: all {k} item columns ({names}) are blank; expected at least one answer."]
    # A column of thousands of invalid cells (choice names, an unmapped recode) is summarised once, with its fix.
    summaries = [
        s for s in summarise_invalid(cols, cells, invalid_at, reader_of) if s.choice_names or s.rows >= _SUMMARISED_FROM
    ]
    return values, nonsub, reasons, invalid_notes, summary_messages(summaries)


#: Invalid cells in one column from which the warnings summarise the column (choice names always).
_SUMMARISED_FROM = 10


def _fit_rows(raw: RawTable) -> tuple[list[tuple[int, tuple[Any, ...]]], list[RejectedRow]]:
    """Rows with one cell per column, and the others rejected (a plugin reader may not check)."""
    width = len(raw.columns)
    if set(map(len, map(itemgetter(1), raw.rows))) <= {width}:
        return raw.rows, []
    rows, misfits = [], []
    for rownum, cells in raw.rows:
        if len(cells) == width:
            rows.append((rownum, cells))
        else:
            misfits.append(RejectedRow(rownum, (ragged_reason(cells, raw.columns),)))
    return rows, misfits


def _check_arguments(
    instrument: Instrument, form: str | None, duplicates: str, invalid: str, decimal: str | None
) -> None:
    if not instrument.items:
        raise ImplassessError(
            f"Instrument {instrument.id!r} has no survey items; read its KPI sheet with `implassess responses kpis`."
        )
    if form is not None and form not in {f.id for f in instrument.forms}:
        known = ", ".join(repr(f.id) for f in instrument.forms) or "none (it has a single form)"
        raise ImplassessError(f"Instrument {instrument.id!r} has no form {form!r}; expected one of: {known}.")
    if duplicates not in ("reject", "latest"):
        raise ImplassessError(f"duplicates must be 'reject' or 'latest', not {duplicates!r}.")
    if invalid not in ("reject-row", "missing"):
        raise ImplassessError(f"invalid must be 'reject-row' or 'missing', not {invalid!r}.")
    if decimal not in (None, ",", "."):
        raise ImplassessError(f"decimal must be ',' or '.', not {decimal!r}.")


def _nothing_mapped(raw: RawTable, instrument: Instrument) -> str:
    shown = ", ".join(repr(c) for c in raw.columns[:8]) + (" …" if len(raw.columns) > 8 else "")
    example = ", ".join(repr(i.id) for i in instrument.items[:3])
    msg = (
        f"None of the {len(raw.columns)} columns matches an item of instrument {instrument.id!r}. "
        f"Found columns {shown}; expected item ids (such as {example}), the items' question text, "
        "or a mapping file (--mapping) naming the columns."
    )
    if raw.format == "redcap" and "dictionary" not in raw.meta:
        msg += " For a REDCap export, give the project's data dictionary (--dictionary, option dictionary=)."
    if len(raw.columns) == 1 and "delimiter" in raw.meta:
        msg += f" The file splits into a single column with the {delimiter_name(raw.meta['delimiter'])} delimiter; "
        msg += "is it delimited by something else? Pass --delimiter."
    if raw.format in ("csv", "xlsx") and not (len(raw.columns) == 1 and "delimiter" in raw.meta):
        # Read as a plain table: a survey tool's export that detection missed reads right with its own reader.
        try:
            scores = sniff_scores(Path(raw.source)) if Path(raw.source).is_file() else {}
        except OSError:
            scores = {}
        others = [name for name, score in scores.items() if score > 0 and name not in ("csv", "xlsx", "kpi")]
        if others:
            msg += (
                f" The file was read as a plain table ({raw.format!r}); if it is a survey tool's export, name the "
                f"tool's reader: --format {others[0]} (readers that recognise something of it: "
                f"{', '.join(others[:3])}; `implassess readers FILE` lists them all)."
            )
        else:
            msg += (
                " The file was read as a plain table; if it is a survey tool's export, name the tool's reader "
                "with --format (`implassess readers` lists them)."
            )
    return redact(msg)  # a header row read from the wrong line can hold answers


def _private_values(clean: dict[Any, str | None], how: str) -> dict[Any, str | None]:
    """The distinct cells whose value looks personal, with what stands in for it: None
    (``hide``) or the text with the personal part cut out (``redact``)."""
    keys = [s for s, v in clean.items() if v is not None]
    texts = [clean[s] or "" for s in keys]
    if how == "hide":
        return {keys[k]: None for k in personal_cells(texts)}
    return {s: cut for s, t in zip(keys, texts, strict=True) if (cut := redact(t)) != t}


def _private_note(column: str, rows: int, how: str) -> str:
    if how == "hide":
        return (
            f"{rows} value(s) of {column!r} look like personal data (an e-mail address, phone number or the like) "
            "and are read as blank, so they reach no output. If the column is not personal, list it under "
            "[privacy] not-personal in a mapping file."
        )
    return (
        f"{rows} comment(s) in {column!r} contain text that looks like personal data (an e-mail address, phone "
        "number or the like); it is replaced by a marker such as '[e-mail address removed]'."
    )


def _private_rejection(rr: RejectedRow, vouched_id: bool) -> RejectedRow:
    """A rejected row whose reasons quote nothing personal and whose respondent id is a pseudonym if it looks personal.

    The mapping step's own reasons never quote a personal-looking value; this also covers
    the reasons of plugin readers, which may quote any cell.
    """
    reasons = tuple(map(redact, rr.reasons))
    who = rr.respondent
    if who is not None and not vouched_id and looks_personal(who):
        who = pseudonym(who)
    if reasons == rr.reasons and who == rr.respondent:
        return rr
    return attrs.evolve(rr, reasons=reasons, respondent=who)


def _reader_rejections(raw: RawTable, id_col: int | None) -> list[RejectedRow]:
    """The reader's rejected rows, with the respondent id filled in where the row has one."""
    cells = raw.meta.get("rejected_cells", {})
    out = []
    for rr in raw.rejected:
        if rr.respondent is None and id_col is not None and rr.row in cells:
            value = cells[rr.row][id_col] if id_col < len(cells[rr.row]) else None
            if isinstance(value, str) and value.strip():
                rr = attrs.evolve(rr, respondent=value.strip())
        out.append(rr)
    return out


def _warnings(
    raw: RawTable,
    instrument: Instrument,
    personal: tuple[str, ...],
    unmapped: tuple[str, ...],
    missing: tuple[str, ...],
    notes: list[str],
    invalid_notes: list[str],
) -> list[str]:
    out = list(raw.meta.get("notes", []))
    if raw.meta.get("blank_rows"):
        out.append(f"Skipped {raw.meta['blank_rows']} blank row(s).")
    if personal:
        out.append(f"Dropped personal columns (never carried into results): {_headers(personal, 20)}.")
    others, unmapped = _other_instruments(unmapped, instrument)
    if others:
        listed = ", ".join(f"{iid!r} ({n})" for iid, n in others.items())
        out.append(
            f"{sum(others.values())} column(s) hold items of other instruments ({listed}); they are not used for "
            f"{instrument.id!r}. Score each instrument on its own, or `implassess run` an assessment of them all."
        )
    if unmapped:
        out.append(
            f"Columns not mapped to an item, attribute or known role: {_headers(unmapped, 12)}. "
            "If they hold items, name them in a mapping file."
        )
    if missing:
        out.append(f"Items of {instrument.id!r} absent from the file (treated as missing): " + ", ".join(missing) + ".")
    out += notes
    if invalid_notes:
        out.append(
            f"{len(invalid_notes)} invalid answer(s) treated as missing (invalid='missing'):\n  "
            + "\n  ".join(invalid_notes[:20])
            + ("\n  …" if len(invalid_notes) > 20 else "")
        )
    return out


def _headers(columns: Sequence[str], limit: int) -> str:
    """Column headers for a message: quoted, long question texts cut, at most ``limit`` of them."""
    # Cut in the middle: matrix columns share the question and differ in the statement at the end.
    shown = [repr(c if len(c) <= 72 else c[:40].rstrip() + " … " + c[-28:].lstrip()) for c in columns[:limit]]
    more = f" and {len(columns) - limit} more" if len(columns) > limit else ""
    return ", ".join(shown) + more


def _other_instruments(unmapped: tuple[str, ...], instrument: Instrument) -> tuple[dict[str, int], tuple[str, ...]]:
    """Unmapped columns that are items of other loaded instruments (a battery's combined export),
    counted per instrument, and the columns left."""
    if not unmapped:
        return {}, unmapped
    owners: dict[str, str | None] = {}
    for other in plugins.get_instruments().values():
        if other.id == instrument.id:
            continue
        for key in item_ids_by_key(other.items):
            owners[key] = other.id if owners.get(key, other.id) == other.id else None
    counts: dict[str, int] = {}
    left: list[str] = []
    for c in unmapped:
        owner = owners.get(id_key(c)) or owners.get(id_key(last_segment(c)))
        if owner:
            counts[owner] = counts.get(owner, 0) + 1
        else:
            left.append(c)
    return counts, tuple(left)


# -- KPI sheets -----------------------------------------------------------------------------------


def read_kpis(
    path: Path | str,
    instrument: Instrument | None = None,
    *,
    decimal: str | None = None,
    format: str | None = None,
    options: dict[str, Any] | None = None,
) -> KpiSheet:
    """Read a KPI sheet (columns kpi, period, value, optional unit and site) into typed values.

    ``decimal`` declares the decimal separator (``","`` or ``"."``); by default it is
    detected from the values that can only be read one way (``0,33``, ``1.234,5``).
    Values that stay ambiguous (``1,234`` with no other evidence) are rejected, not guessed.
    With an ``instrument``, KPI ids and units are checked against its KPIs.
    """
    path = Path(path)
    if decimal not in (None, ",", "."):
        raise ImplassessError(f"decimal must be ',' or '.', not {decimal!r}.")
    raw = read_table(path, format=format or "kpi", options=options)
    return type_kpis(raw, instrument, decimal=decimal, sha256=_sha256(path))
