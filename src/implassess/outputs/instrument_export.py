"""Instruments as survey-tool files, so fielded surveys read back with no manual mapping.

Four formats: an XLSForm workbook (ODK, KoboToolbox, SurveyCTO), a CSV header template,
a Qualtrics Advanced Format TXT, and a REDCap data dictionary. Each carries the item ids
where the tool keeps a machine name (XLSForm ``name``, Qualtrics question export tag,
REDCap variable), and answer codes equal to the scale's values and option codes, so the
export of the fielded survey maps onto the instrument by id and value.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from implassess.errors import ImplassessError
from implassess.model import Instrument, Item, Option, Scale
from implassess.outputs.cells import csv_text
from implassess.readers.redcap import DICTIONARY_COLUMNS

FORMATS = ("xlsform", "csv-template", "qualtrics-txt", "redcap")

#: File extension per format.
EXTENSIONS = {"xlsform": "xlsx", "csv-template": "csv", "qualtrics-txt": "txt", "redcap": "csv"}


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
) -> bytes:
    """The instrument as a file in ``format`` (one of :data:`FORMATS`), as bytes.

    ``form`` picks the item text of a form (``self``, ``rater`` …); ``variables`` fill
    ``{variables}`` in item text. ``matrix`` (Qualtrics only) groups each dimension's
    items into one matrix question instead of one multiple-choice question per item.
    """
    builders: dict[str, Callable[[], bytes]] = {
        "xlsform": lambda: xlsform(instrument, form, variables),
        "csv-template": lambda: csv_template(instrument).encode("utf-8"),
        "qualtrics-txt": lambda: qualtrics_txt(instrument, form, variables, matrix=matrix).encode("utf-8"),
        "redcap": lambda: redcap_dictionary(instrument, form, variables).encode("utf-8"),
    }
    if format not in builders:
        raise ImplassessError(f"No export format {format!r}; expected one of: {', '.join(FORMATS)}.")
    _check_form(instrument, form)
    return builders[format]()


def xlsform(instrument: Instrument, form: str | None = None, variables: dict[str, str] | None = None) -> bytes:
    """An XLSForm workbook: ``survey`` (one group per dimension), ``choices`` and ``settings`` sheets."""
    from implassess.readers.xlsx import write_workbook

    survey: list[list[str]] = [
        ["type", "name", "label", "required", "appearance"],
        ["start", "start", "", "", ""],
        ["end", "end", "", "", ""],
    ]
    for dim in instrument.dimensions:
        items = instrument.items_in(dim.id)
        if not items:
            continue
        survey.append(["begin group", _xml_name("grp_" + dim.id.replace("-", "_")), dim.name, "", "field-list"])
        for item in items:
            scale = instrument.scale_for(item)
            survey.append(
                [
                    f"select_one {_xml_name(scale.id)}",
                    _xml_name(item.id),
                    _text(instrument, item, form, variables),
                    "",
                    "likert",
                ]
            )
        survey.append(["end group", "", "", "", ""])
    survey.append(["text", "comment", "Any comments?", "", "multiline"])
    choices: list[list[str]] = [["list_name", "name", "label"]]
    for scale in instrument.scales:
        for code, option in option_codes(scale):
            choices.append([_xml_name(scale.id), code, option.label])
    form_id = _xml_name(instrument.id + (f"_{form}" if form else ""))
    title = instrument.title + (f" ({_form_name(instrument, form)})" if form else "")
    settings = [["form_title", "form_id", "version"], [title, form_id, instrument.version]]
    return write_workbook([("survey", survey), ("choices", choices), ("settings", settings)])


def _form_name(instrument: Instrument, form: str | None) -> str:
    return next((f.name for f in instrument.forms if f.id == form), form or "")


def template_columns(instrument: Instrument) -> list[str]:
    """Columns of the CSV template: respondent id, submission time, attributes, items, comment."""
    cols = ["respondent_id", "submitted_at", "site", "role", "wave"]
    if instrument.forms:
        cols += ["participant", "relationship"]
    return cols + [item.id for item in instrument.items] + ["comment"]


def csv_template(instrument: Instrument) -> str:
    """A CSV header row with item ids, ready to fill with one row per respondent."""
    return csv_text(template_columns(instrument), [])


def qualtrics_txt(
    instrument: Instrument,
    form: str | None = None,
    variables: dict[str, str] | None = None,
    *,
    matrix: bool = False,
) -> str:
    """A Qualtrics Advanced Format TXT: one block per dimension, item ids as question export tags.

    Choice recode values are the scale's values and option codes (``[[Choice:N]]``), so a
    numeric-values export reads back without a mapping.
    """
    lines = ["[[AdvancedFormat]]", ""]
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
    lines += ["[[Block:Comments]]", "", "[[Question:TextEntry:Essay]]", "[[ID:comment]]", "Any comments?", ""]
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


def redcap_variable_names(instrument: Instrument) -> dict[str, str]:
    """Item id → REDCap variable name (lower case, letters, digits and ``_``; unique)."""
    out: dict[str, str] = {}
    used = {"record_id", "comment"}
    for item in instrument.items:
        base = _name(item.id, lower=True, prefix="v_")
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        out[item.id] = name
    return out


def redcap_dictionary(instrument: Instrument, form: str | None = None, variables: dict[str, str] | None = None) -> str:
    """A REDCap data dictionary CSV: record_id, one radio field per item, a notes field for comments."""
    form_name = _name(instrument.id + (f"_{form}" if form else ""), lower=True, prefix="f_")
    names = redcap_variable_names(instrument)
    blank = [""] * (len(DICTIONARY_COLUMNS) - 6)

    def row(var: str, section: str, ftype: str, label: str, choices: str = "") -> list[str]:
        return [var, form_name, section, ftype, label, choices, *blank]

    rows = [list(DICTIONARY_COLUMNS), row("record_id", "", "text", "Record ID")]
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
    rows.append(row("comment", "", "notes", "Any comments?"))
    return csv_text(rows[0], rows[1:])
