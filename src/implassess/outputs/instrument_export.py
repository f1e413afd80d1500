"""Instruments as survey-tool files, so fielded surveys read back with no manual mapping.

Four formats: an XLSForm workbook (ODK, KoboToolbox, SurveyCTO), a CSV header template,
a Qualtrics Advanced Format TXT, and a REDCap data dictionary. Each carries the item ids
where the tool keeps a machine name (XLSForm ``name``, Qualtrics question export tag,
REDCap variable), and answer codes equal to the scale's values and option codes, so the
export of the fielded survey maps onto the instrument by id and value.

A form can also carry the breakdowns (:class:`Breakdown`): one single-choice question per
attribute (site, role …) named by the attribute, so its column comes back under the name
the mapping step reads as that attribute, and a wave fixed for the whole distribution
(an XLSForm ``calculate``, Qualtrics embedded data, a REDCap field with ``@DEFAULT``).
:func:`assessment_breakdowns` takes the attributes from an assessment file and their
answers from the values its response files hold.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import attrs

from implassess.errors import ImplassessError, InputError
from implassess.model import Instrument, Item, Option, Scale
from implassess.outputs.cells import csv_text
from implassess.readers.redcap import DICTIONARY_COLUMNS

FORMATS = ("xlsform", "csv-template", "qualtrics-txt", "redcap")

#: File extension per format.
EXTENSIONS = {"xlsform": "xlsx", "csv-template": "csv", "qualtrics-txt": "txt", "redcap": "csv"}

#: The wave column every format names (the mapping step reads it as the ``wave`` attribute).
WAVE = "wave"
#: The free-text question's text: a tool that exports question text as headers (KoboToolbox's
#: "Labels") then gives a header the mapping step reads as the comment.
COMMENT_LABEL = "Comments"
#: Names a breakdown question cannot take: columns every export already has.
RESERVED = frozenset({"wave", "comment", "record_id", "respondent_id", "submitted_at", "start", "end"})
_ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_]*")
#: What no answer may hold: REDCap's choice separator, a line break, the start of a Qualtrics tag.
_BAD_ANSWER = re.compile(r"[|\r\n]|\[\[")
#: What a wave may not hold besides: the quotes of an XPath literal or action tag, brackets.
_BAD_WAVE = re.compile(r"[|\r\n\[\]'\"]")

if TYPE_CHECKING:
    from implassess.formats.assessment import Assessment


@attrs.frozen
class Breakdown:
    """A question an exported form asks so that results can be broken down by its answer."""

    name: str
    """Attribute name (``site``); also the question's machine name, so the export's column
    comes back under the name ``--by`` reads."""
    choices: tuple[str, ...]
    """Answers offered, written as the groups should read in reports (``Northbridge General``)."""

    @property
    def label(self) -> str:
        """Question text: the name in words (``Site``); a tool that exports question text as
        headers then still gives a header that reads as the attribute."""
        return self.name.replace("_", " ").capitalize()


def check_breakdowns(instrument: Instrument, breakdowns: Sequence[Breakdown], wave: str | None) -> None:
    """Raise :class:`ImplassessError` listing every breakdown or wave that no tool could carry."""
    from implassess.ingest.columns import header_role, id_key
    from implassess.ingest.personal import looks_personal, shown

    problems: list[str] = []
    items = {id_key(i.id): i.id for i in instrument.items}
    seen: set[str] = set()
    for b in breakdowns:
        if not _ATTRIBUTE_NAME.fullmatch(b.name):
            problems.append(
                f"Attribute name {b.name!r}: expected lower-case letters, digits and '_', starting with a letter "
                "(it is the column name in every survey tool, and REDCap allows no other)."
            )
        elif b.name == WAVE:
            problems.append(
                "Attribute 'wave' is not asked: a wave is fixed for a whole distribution. Give --wave NAME instead."
            )
        elif b.name in seen:
            problems.append(f"Attribute {b.name!r} is given twice; give it once, with all its answers.")
        elif b.name in RESERVED:
            problems.append(f"Attribute name {b.name!r} names a column every export has already; choose another.")
        elif id_key(b.name) in items:
            problems.append(f"Attribute name {b.name!r} is also the id of item {items[id_key(b.name)]!r}.")
        elif (role := header_role(b.name)) is not None and role[0] != "attribute":
            problems.append(
                f"Attribute name {b.name!r} would be read back as {role[0]!r}, not as an attribute; choose another."
            )
        seen.add(b.name)
        if not b.choices:
            problems.append(f"Attribute {b.name!r} has no answers to offer; give them as {b.name}=A,B,C.")
        folded: set[str] = set()
        for c in b.choices:
            if not c.strip() or c != c.strip() or _BAD_ANSWER.search(c):
                problems.append(
                    f"Attribute {b.name!r}: answer {c!r} is blank, has spaces around it or holds '|', '[[' or a "
                    "line break, which some survey tool cannot carry."
                )
            elif looks_personal(c):
                problems.append(
                    f"Attribute {b.name!r}: an answer looks like personal data ({shown(c)}); group names are "
                    "published in reports, and such a value is read back as blank. Offer group names."
                )
            elif c.casefold() in folded:
                problems.append(f"Attribute {b.name!r}: answer {c!r} is offered twice.")
            folded.add(c.casefold())
    if wave is not None and (not wave.strip() or wave != wave.strip() or _BAD_WAVE.search(wave)):
        problems.append(
            f"Wave {wave!r} is blank, has spaces around it or holds a quote, a bracket, '|' or a line break, "
            "which some survey tool cannot carry."
        )
    elif wave is not None and looks_personal(wave):
        problems.append(f"The wave looks like personal data ({shown(wave)}); name the wave (baseline, 2026-03 …).")
    if problems:
        raise ImplassessError("The breakdowns cannot be exported:\n  " + "\n  ".join(problems))


def _num(v: float) -> str:
    return f"{v:g}"


def option_codes(scale: Scale, *, integer: bool = False) -> list[tuple[str, Option]]:
    """(code, option) per option: the option's code, else its value, else a free code.

    Free codes for non-substantive options without a code count down from 99 (the
    survey convention for "don't know"); give such options a ``code`` in the instrument
    so numeric exports read back as missing rather than out of range.
    """
    out: list[tuple[str | None, Option]] = []
    used: set[str] = set()
    for o in scale.options:
        code: str | None = None
        if o.code and (not integer or re.fullmatch(r"-?\d+", o.code.strip())):
            code = o.code.strip()
        elif o.value is not None and (not integer or float(o.value).is_integer()):
            code = _num(float(o.value))
        if code in used:
            code = None
        if code is not None:
            used.add(code)
        out.append((code, o))
    free = 99
    result = []
    for code, o in out:
        if code is None:
            while str(free) in used:
                free -= 1
            code = str(free)
            used.add(code)
        result.append((code, o))
    return result


def _name(text: str, *, lower: bool = False, prefix: str = "q_") -> str:
    """A machine name for tools that restrict names to letters, digits and underscores."""
    s = re.sub(r"[^A-Za-z0-9_]+", "_", text.lower() if lower else text).strip("_")
    s = re.sub(r"_+", "_", s)
    if not s or not s[0].isalpha():
        s = prefix + s
    return s


def _xml_name(text: str) -> str:
    """A valid XLSForm name (an XML name): letters, digits, ``_``, ``-``, ``.``; not starting with a digit."""
    s = re.sub(r"[^A-Za-z0-9_.\-]+", "_", text)
    return s if s and (s[0].isalpha() or s[0] == "_") else "q_" + s


def _text(instrument: Instrument, item: Item, form: str | None, variables: dict[str, str] | None) -> str:
    return " ".join(instrument.render_text(item, form, variables).split())


def _check_form(instrument: Instrument, form: str | None) -> None:
    if form is not None and form not in {f.id for f in instrument.forms}:
        known = ", ".join(repr(f.id) for f in instrument.forms) or "none (it has a single form)"
        raise ImplassessError(f"Instrument {instrument.id!r} has no form {form!r}; expected one of: {known}.")
    if not instrument.items:
        raise ImplassessError(f"Instrument {instrument.id!r} has no survey items to export.")


def export_instrument(
    instrument: Instrument,
    format: str,
    *,
    form: str | None = None,
    variables: dict[str, str] | None = None,
    matrix: bool = False,
    breakdowns: Sequence[Breakdown] = (),
    wave: str | None = None,
) -> bytes:
    """The instrument as a file in ``format`` (one of :data:`FORMATS`), as bytes.

    ``form`` picks the item text of a form (``self``, ``rater`` …); ``variables`` fill
    ``{variables}`` in item text. ``matrix`` (Qualtrics only) groups each dimension's
    items into one matrix question instead of one multiple-choice question per item.
    ``breakdowns`` become single-choice questions asked before the items; ``wave`` is
    recorded with every response without being asked.
    """
    builders: dict[str, Callable[[], bytes]] = {
        "xlsform": lambda: xlsform(instrument, form, variables, breakdowns=breakdowns, wave=wave),
        "csv-template": lambda: csv_template(instrument, breakdowns).encode("utf-8"),
        "qualtrics-txt": lambda: qualtrics_txt(
            instrument, form, variables, matrix=matrix, breakdowns=breakdowns, wave=wave
        ).encode("utf-8"),
        "redcap": lambda: redcap_dictionary(instrument, form, variables, breakdowns=breakdowns, wave=wave).encode(
            "utf-8"
        ),
    }
    if format not in builders:
        raise ImplassessError(f"No export format {format!r}; expected one of: {', '.join(FORMATS)}.")
    _check_form(instrument, form)
    check_breakdowns(instrument, breakdowns, wave)
    return builders[format]()


def xlsform(
    instrument: Instrument,
    form: str | None = None,
    variables: dict[str, str] | None = None,
    *,
    breakdowns: Sequence[Breakdown] = (),
    wave: str | None = None,
) -> bytes:
    """An XLSForm workbook: ``survey`` (one group per dimension), ``choices`` and ``settings`` sheets.

    Breakdown questions sit at the top level, outside every group, so KoboToolbox and ODK
    Central export them as plain ``site``, ``role`` columns. Their choice names are the
    answers themselves (select_one names may hold spaces), so an export of XML values and
    one of labels carry the same text. The wave is a ``calculate`` field holding a constant.
    """
    from implassess.readers.xlsx import write_workbook

    header = ["type", "name", "label", "required", "appearance"] + (["calculation"] if wave is not None else [])
    pad = [""] * (len(header) - 5)
    survey: list[list[str]] = [header, ["start", "start", "", "", "", *pad], ["end", "end", "", "", "", *pad]]
    lists = _choice_lists(instrument, breakdowns)
    for b in breakdowns:
        survey.append([f"select_one {lists[b.name]}", b.name, b.label, "", "", *pad])
    if wave is not None:
        survey.append(["calculate", WAVE, "", "", "", f"'{wave}'"])
    for dim in instrument.dimensions:
        items = instrument.items_in(dim.id)
        if not items:
            continue
        survey.append(["begin group", _xml_name("grp_" + dim.id.replace("-", "_")), dim.name, "", "field-list", *pad])
        for item in items:
            scale = instrument.scale_for(item)
            survey.append(
                [
                    f"select_one {_xml_name(scale.id)}",
                    _xml_name(item.id),
                    _text(instrument, item, form, variables),
                    "",
                    "likert",
                    *pad,
                ]
            )
        survey.append(["end group", "", "", "", "", *pad])
    survey.append(["text", "comment", COMMENT_LABEL, "", "multiline", *pad])
    choices: list[list[str]] = [["list_name", "name", "label"]]
    for b in breakdowns:
        choices += [[lists[b.name], c, c] for c in b.choices]
    for scale in instrument.scales:
        for code, option in option_codes(scale):
            choices.append([_xml_name(scale.id), code, option.label])
    form_id = _xml_name(instrument.id + (f"_{form}" if form else ""))
    title = instrument.title + (f" ({_form_name(instrument, form)})" if form else "")
    # A form per wave keeps the form id (one export holds every wave, each row stamped) and
    # changes the version, which ODK Central needs to publish it as a new version.
    version = instrument.version + (f"-{_name(wave, prefix='w_')}" if wave is not None else "")
    settings = [["form_title", "form_id", "version"], [title, form_id, version]]
    return write_workbook([("survey", survey), ("choices", choices), ("settings", settings)])


def _choice_lists(instrument: Instrument, breakdowns: Sequence[Breakdown]) -> dict[str, str]:
    """Attribute name → its XLSForm choice list name (the name itself, unless a scale has it)."""
    taken = {_xml_name(s.id) for s in instrument.scales}
    out: dict[str, str] = {}
    for b in breakdowns:
        name = b.name
        while name in taken:
            name += "_list"
        taken.add(name)
        out[b.name] = name
    return out


def _form_name(instrument: Instrument, form: str | None) -> str:
    return next((f.name for f in instrument.forms if f.id == form), form or "")


def template_columns(instrument: Instrument, breakdowns: Sequence[Breakdown] = ()) -> list[str]:
    """Columns of the CSV template: respondent id, submission time, attributes, items, comment.

    The attributes are the breakdowns' names, or ``site`` and ``role`` without any; ``wave`` always.
    """
    names = [b.name for b in breakdowns] or ["site", "role"]
    cols = ["respondent_id", "submitted_at", *names, WAVE]
    if instrument.forms:
        cols += ["participant", "relationship"]
    return cols + [item.id for item in instrument.items] + ["comment"]


def csv_template(instrument: Instrument, breakdowns: Sequence[Breakdown] = ()) -> str:
    """A CSV header row with item ids, ready to fill with one row per respondent."""
    return csv_text(template_columns(instrument, breakdowns), [])


def qualtrics_txt(
    instrument: Instrument,
    form: str | None = None,
    variables: dict[str, str] | None = None,
    *,
    matrix: bool = False,
    breakdowns: Sequence[Breakdown] = (),
    wave: str | None = None,
) -> str:
    """A Qualtrics Advanced Format TXT: one block per dimension, item ids as question export tags.

    Choice recode values are the scale's values and option codes (``[[Choice:N]]``), so a
    numeric-values export reads back without a mapping. Breakdown questions come first, in
    a block of their own, each with the attribute's name as export tag; their answers read
    back as groups from a choice-text export. The wave is embedded data set in the survey
    flow (``[[ED:wave:follow-up]]``), exported verbatim in a ``wave`` column.
    """
    lines = ["[[AdvancedFormat]]", ""]
    if wave is not None:
        lines += [f"[[ED:{WAVE}:{wave}]]", ""]
    if breakdowns:
        lines += ["[[Block:About you]]", ""]
        for b in breakdowns:
            lines += ["[[Question:MC:SingleAnswer:Vertical]]", f"[[ID:{b.name}]]", b.label, "", "[[AdvancedChoices]]"]
            for n, c in enumerate(b.choices, start=1):
                lines += [f"[[Choice:{n}]]", c]
            lines.append("")
        lines += ["[[PageBreak]]", ""]
    for dim in instrument.dimensions:
        items = instrument.items_in(dim.id)
        if not items:
            continue
        lines += [f"[[Block:{dim.name}]]", ""]
        if matrix:
            runs = _runs(instrument, items)
            for scale_id, group in runs:
                scale = next(s for s in instrument.scales if s.id == scale_id)
                tag = _name(dim.id) if len(runs) == 1 else _name(f"{dim.id}_{scale_id}")
                lines += [
                    "[[Question:Matrix]]",
                    f"[[ID:{tag}]]",
                    f"{dim.name}: how much do you agree with each statement?",
                    "",
                    "[[AdvancedChoices]]",
                ]
                for n, item in enumerate(group, start=1):
                    lines += [f"[[Choice:{n}]]", _text(instrument, item, form, variables)]
                lines += ["", "[[AdvancedAnswers]]"]
                for code, option in option_codes(scale, integer=True):
                    lines += [f"[[Answer:{code}]]", option.label]
                lines.append("")
        else:
            for item in items:
                scale = instrument.scale_for(item)
                lines += [
                    "[[Question:MC:SingleAnswer:Horizontal]]",
                    f"[[ID:{item.id}]]",
                    _text(instrument, item, form, variables),
                    "",
                    "[[AdvancedChoices]]",
                ]
                for code, option in option_codes(scale, integer=True):
                    lines += [f"[[Choice:{code}]]", option.label]
                lines.append("")
        lines += ["[[PageBreak]]", ""]
    lines += ["[[Block:Comments]]", "", "[[Question:TextEntry:Essay]]", "[[ID:comment]]", COMMENT_LABEL, ""]
    return "\n".join(lines)


def _runs(instrument: Instrument, items: tuple[Item, ...]) -> list[tuple[str, list[Item]]]:
    """Consecutive items sharing a scale (a matrix has one set of answers)."""
    runs: list[tuple[str, list[Item]]] = []
    for item in items:
        sid = instrument.scale_for(item).id
        if runs and runs[-1][0] == sid:
            runs[-1][1].append(item)
        else:
            runs.append((sid, [item]))
    return runs


def redcap_variable_names(instrument: Instrument, breakdowns: Sequence[Breakdown] = ()) -> dict[str, str]:
    """Item id → REDCap variable name (lower case, letters, digits and ``_``; unique)."""
    out: dict[str, str] = {}
    used = {"record_id", "comment", WAVE, *(b.name for b in breakdowns)}
    for item in instrument.items:
        base = _name(item.id, lower=True, prefix="v_")
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        out[item.id] = name
    return out


def redcap_dictionary(
    instrument: Instrument,
    form: str | None = None,
    variables: dict[str, str] | None = None,
    *,
    breakdowns: Sequence[Breakdown] = (),
    wave: str | None = None,
) -> str:
    """A REDCap data dictionary CSV: record_id, one radio field per item, a notes field for comments.

    Each breakdown is a dropdown field named by the attribute with codes 1, 2 … (a raw
    export read with this dictionary gives the answers' text). The wave is a read-only
    text field hidden from respondents that ``@DEFAULT`` fills in. (In a longitudinal
    project, name the events after the waves and leave the wave out.)
    """
    form_name = _name(instrument.id + (f"_{form}" if form else ""), lower=True, prefix="f_")
    names = redcap_variable_names(instrument, breakdowns)
    blank = [""] * (len(DICTIONARY_COLUMNS) - 6)

    def row(var: str, section: str, ftype: str, label: str, choices: str = "") -> list[str]:
        return [var, form_name, section, ftype, label, choices, *blank]

    rows = [list(DICTIONARY_COLUMNS), row("record_id", "", "text", "Record ID")]
    for k, b in enumerate(breakdowns):
        choices = " | ".join(f"{n}, {c}" for n, c in enumerate(b.choices, start=1))
        rows.append(row(b.name, "About you" if k == 0 else "", "dropdown", b.label, choices))
    if wave is not None:
        # Action tags may stand anywhere in the annotation; text first keeps the cell from
        # starting with '@', which a spreadsheet would read as a formula.
        fixed = row(WAVE, "", "text", "Wave")
        fixed[DICTIONARY_COLUMNS.index("Field Annotation")] = (
            f"Wave of this distribution. @DEFAULT='{wave}' @READONLY @HIDDEN-SURVEY"
        )
        rows.append(fixed)
    for dim in instrument.dimensions:
        for n, item in enumerate(instrument.items_in(dim.id)):
            scale = instrument.scale_for(item)
            choices = " | ".join(f"{code}, {o.label}" for code, o in option_codes(scale, integer=True))
            rows.append(
                row(
                    names[item.id],
                    dim.name if n == 0 else "",
                    "radio",
                    _text(instrument, item, form, variables),
                    choices,
                )
            )
    rows.append(row("comment", "", "notes", COMMENT_LABEL))
    return csv_text(rows[0], rows[1:])


def assessment_breakdowns(
    assessment: Assessment, instrument: Instrument, given: Sequence[Breakdown] = ()
) -> tuple[list[Breakdown], list[str]]:
    """The breakdowns ``assessment`` reports by, each offering the answers its response files hold.

    The attributes are those of ``[scoring] by`` and ``[report] heatmap-by`` except ``wave``;
    answers are the values each takes in the ``[[responses]]`` files (all waves), sorted. A
    breakdown in ``given`` replaces the one of the same name or is added after them. Returns
    the breakdowns and the waves the files hold. Raises :class:`ImplassessError` for an
    attribute whose answers are nowhere to be found.
    """
    from implassess import ingest
    from implassess.formats.mapping import load_mapping
    from implassess.jobs.run import members_of, reader_options

    names = [n.strip() for spec in assessment.scoring.by for n in spec.split(",")]
    names += [assessment.report.heatmap_by or ""]
    order = [n for n in dict.fromkeys(names) if n and n != WAVE]
    first: dict[str, Breakdown] = {}
    for b in given:
        first.setdefault(b.name, b)
    wanted = [n for n in order if n not in first]
    members = members_of(assessment)
    form_of = {m.instrument.id: m.form for m in members}
    candidates = [(instrument, form_of.get(instrument.id))]
    candidates += [(m.instrument, m.form) for m in members if m.instrument.id != instrument.id]
    found: dict[str, set[str]] = {n: set() for n in [*wanted, WAVE]}
    for rf in assessment.responses:
        raw = ingest.read_table(
            assessment.resolve(rf.path),
            format=None if rf.format == "auto" else rf.format,
            options=reader_options(assessment, rf),
        )
        mapping = load_mapping(assessment.resolve(rf.mapping)) if rf.mapping else None
        for inst, form in candidates:
            if not inst.items:
                continue
            try:
                result = ingest.map_table(
                    raw,
                    inst,
                    form=rf.form or form,
                    mapping=mapping,
                    duplicates=rf.duplicates,
                    decimal=rf.decimal,
                    variables=assessment.variables or None,
                    breakdowns=[n for n in wanted if n in raw.columns],
                )
            except InputError:
                continue  # this instrument is not in the file; another may be
            for name, seen in found.items():
                seen.update(v for v in result.responses.attributes.get(name, ()) if v)
            break
    missing = [n for n in wanted if not found[n]]
    if missing:
        raise ImplassessError(
            f"{assessment.source}: results are broken down by {', '.join(map(repr, missing))}, but its response "
            f"files hold no answers for {'it' if len(missing) == 1 else 'them'}. Give the answers to offer, e.g. "
            f"--attribute {missing[0]}=A,B,C."
        )
    out = [first.get(n) or Breakdown(n, tuple(sorted(found[n], key=str.casefold))) for n in order]
    # The rest of ``given`` follows, repeats included, for check_breakdowns to name.
    out += [b for b in given if not (b.name in order and first[b.name] is b)]
    return out, sorted(found[WAVE], key=str.casefold)
