"""`implassess instruments export`: files survey tools import, and the round trip back.

Each round trip exports an instrument, fills the exported shape the way the tool's own
export would look (a test writes the answers), reads it back with no mapping, and checks
that every item is mapped and every answer has the value it was given.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from implassess import plugins
from implassess.cli import cli
from implassess.cli import responses as cli_responses
from implassess.cli.instruments import instruments
from implassess.ingest import ingest
from implassess.outputs.instrument_export import Breakdown, export_instrument, option_codes
from implassess.readers.redcap import DICTIONARY_COLUMNS, read_dictionary
from implassess.readers.xlsx import read_sheet

HERE = Path(__file__).resolve().parent
MINIMAL = HERE / "fixtures" / "instruments" / "minimal.toml"
N_RESPONDENTS = 9


def run(*args: object):
    if "export" not in instruments.commands:
        instruments.add_command(cli_responses.instruments_export)
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def minimal():
    return plugins.get_instrument(str(MINIMAL))


@pytest.fixture
def hyphenated(tmp_path: Path):
    """Item ids with separators, which REDCap and XLSForm names cannot all carry unchanged."""
    text = MINIMAL.read_text(encoding="utf-8")
    for old, new in (("p1", "ci-eco-1"), ("p2", "ci-eco-2"), ("p3", "ci.eco.3")):
        text = text.replace(f'id = "{old}"', f'id = "{new}"')
    path = tmp_path / "hyphenated.toml"
    path.write_text(text, encoding="utf-8")
    return plugins.get_instrument(str(path))


def answer(inst, item, r: int) -> tuple[str, str, float]:
    """(code, label, expected value) respondent ``r`` gives ``item``: every option comes up."""
    options = option_codes(inst.scale_for(item), integer=True)
    j = [i.id for i in inst.items].index(item.id)
    code, option = options[(r + j) % len(options)]
    return code, option.label, math.nan if option.non_substantive else float(option.value)


def expected(inst) -> list[list[float]]:
    return [[answer(inst, item, r)[2] for item in inst.items] for r in range(N_RESPONDENTS)]


def assert_round_trip(result, inst) -> None:
    rs = result.responses
    assert result.missing_items == ()
    assert result.unmapped == ()
    assert all(m.how != "mapping file" for m in result.columns)
    assert rs.n == N_RESPONDENTS and rs.rejected == ()
    got = [[None if math.isnan(v) else v for v in row] for row in rs.values.tolist()]
    want = [[None if math.isnan(v) else v for v in row] for row in expected(inst)]
    assert got == want


def write_rows(path: Path, rows: list[list[str]], delimiter: str = ",") -> Path:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


# -- CSV template ------------------------------------------------------------------------------------


def test_csv_template_header(minimal) -> None:
    result = run("instruments", "export", MINIMAL, "--format", "csv-template")
    assert result.exit_code == 0
    assert (
        result.stdout == "respondent_id,submitted_at,site,role,wave,participant,relationship,p1,p2,p3,l1,l2,comment\n"
    )


def test_csv_template_round_trip(tmp_path: Path, minimal) -> None:
    header = next(csv.reader([export_instrument(minimal, "csv-template").decode()]))
    rows = [header]
    for r in range(N_RESPONDENTS):
        by_item = {item.id: answer(minimal, item, r)[0] for item in minimal.items}
        fixed = {"respondent_id": f"R{r}", "submitted_at": f"2026-03-0{r + 1}T09:00:00", "site": "North"}
        rows.append([by_item.get(c, fixed.get(c, "")) for c in header])
    assert_round_trip(ingest(write_rows(tmp_path / "filled.csv", rows), minimal), minimal)


# -- XLSForm -----------------------------------------------------------------------------------------------


def _sheet(path: Path, name: str) -> list[list[str]]:
    return [["" if v is None else str(v) for v in values] for _, values in read_sheet(path, name).rows]


def test_xlsform_workbook_sheets(tmp_path: Path) -> None:
    out = tmp_path / "minimal.xlsx"
    result = run("instruments", "export", MINIMAL, "--format", "xlsform", "-o", out, "--form", "self")
    assert result.exit_code == 0
    assert result.stderr == (
        f"Wrote the xlsform export of 'minimal' to {out}.\n"
        "The form asks no breakdown question: give --assessment FILE or --attribute NAME=A,B,... so that "
        "results can be broken down (e.g. --by site).\n"
    )
    survey = _sheet(out, "survey")
    assert survey[:6] == [
        ["type", "name", "label", "required", "appearance"],
        ["start", "start"],
        ["end", "end"],
        ["begin group", "grp_planning", "Planning", "", "field-list"],
        ["select_one agree5", "p1", "I state a measurable goal for the new pathway.", "", "likert"],
        ["select_one agree5", "p2", "My leader protects time for the work.", "", "likert"],
    ]
    assert survey[-2:] == [["end group"], ["text", "comment", "Comments", "", "multiline"]]
    assert _sheet(out, "choices") == [
        ["list_name", "name", "label"],
        ["agree5", "1", "Strongly disagree"],
        ["agree5", "2", "Disagree"],
        ["agree5", "3", "Neither agree nor disagree"],
        ["agree5", "4", "Agree"],
        ["agree5", "5", "Strongly agree"],
        ["agree5", "8", "Don't know"],
        ["agree5", "9", "Not applicable"],
    ]
    assert _sheet(out, "settings") == [
        ["form_title", "form_id", "version"],
        ["Minimal example (Rating yourself)", "minimal_self", "1.0.0"],
    ]


@pytest.mark.parametrize("tool", ["kobo", "odk-central"])
@pytest.mark.parametrize("which", ["minimal", "hyphenated"])
def test_xlsform_round_trip(tmp_path: Path, tool: str, which: str, request) -> None:
    inst = request.getfixturevalue(which)
    form = tmp_path / "form.xlsx"
    form.write_bytes(export_instrument(inst, "xlsform"))
    # The export of the fielded form: each question under its group path, choice names as answers.
    groups: list[str] = []
    columns: list[tuple[str, str]] = []
    for row in _sheet(form, "survey")[1:]:
        kind, name = row[0], row[1] if len(row) > 1 else ""
        if kind == "begin group":
            groups.append(name)
        elif kind == "end group":
            groups.pop()
        elif kind.startswith("select_one"):
            sep = "/" if tool == "kobo" else "-"
            columns.append((sep.join([*groups, name]), name))
    by_name = {item.id: item for item in inst.items}
    by_name.update({re.sub(r"[^A-Za-z0-9_.\-]", "_", i.id): i for i in inst.items})
    if tool == "kobo":
        header = ["start", "end", *(c for c, _ in columns), "_id", "_uuid", "_submission_time", "_index"]
    else:
        header = ["SubmissionDate", *(c for c, _ in columns), "meta-instanceID", "KEY", "SubmitterName"]
    rows = [header]
    for r in range(N_RESPONDENTS):
        answers = [answer(inst, by_name[name], r)[0] for _, name in columns]
        if tool == "kobo":
            rows.append(["2026-03-02T09:00:00", "2026-03-02T09:05:00", *answers, str(r), f"uuid-{r}",
                         "2026-03-02T09:05:01", str(r + 1)])  # fmt: skip
        else:
            rows.append(["2026-03-02T09:05:01Z", *answers, f"uuid:{r}", f"uuid:{r}", "collector"])
    path = write_rows(tmp_path / "submissions.csv", rows, delimiter=";" if tool == "kobo" else ",")
    result = ingest(path, inst)
    assert result.reader == "xlsform"
    assert_round_trip(result, inst)


# -- Qualtrics ---------------------------------------------------------------------------------------------


def test_qualtrics_txt_advanced_format(minimal) -> None:
    text = export_instrument(minimal, "qualtrics-txt", form="self", variables={"intervention": "triage"}).decode()
    assert text.splitlines()[:24] == [
        "[[AdvancedFormat]]",
        "",
        "[[Block:Planning]]",
        "",
        "[[Question:MC:SingleAnswer:Horizontal]]",
        "[[ID:p1]]",
        "I state a measurable goal for triage.",
        "",
        "[[AdvancedChoices]]",
        "[[Choice:1]]",
        "Strongly disagree",
        "[[Choice:2]]",
        "Disagree",
        "[[Choice:3]]",
        "Neither agree nor disagree",
        "[[Choice:4]]",
        "Agree",
        "[[Choice:5]]",
        "Strongly agree",
        "[[Choice:8]]",
        "Don't know",
        "[[Choice:9]]",
        "Not applicable",
        "",
    ]
    assert text.count("[[Block:") == 3 and text.count("[[PageBreak]]") == 2
    assert "[[Question:TextEntry:Essay]]\n[[ID:comment]]\nComments" in text


def _parse_qualtrics(text: str) -> list[dict]:
    """Questions of an Advanced Format TXT: id, type, text, choices [(recode, text)], answers."""
    questions: list[dict] = []
    section = None
    for line in text.splitlines():
        if m := re.fullmatch(r"\[\[Question:(.+)\]\]", line):
            questions.append({"type": m.group(1), "id": None, "text": None, "choices": [], "answers": []})
            section = "text"
        elif m := re.fullmatch(r"\[\[ID:(.+)\]\]", line):
            questions[-1]["id"] = m.group(1)
        elif line == "[[AdvancedChoices]]":
            section = "choices"
        elif line == "[[AdvancedAnswers]]":
            section = "answers"
        elif m := re.fullmatch(r"\[\[(Choice|Answer):(\d+)\]\]", line):
            questions[-1][section].append([m.group(2), None])
        elif line.startswith("[["):
            section = None
        elif line and questions and section == "text" and questions[-1]["text"] is None:
            questions[-1]["text"] = line
        elif line and section in ("choices", "answers") and questions[-1][section][-1][1] is None:
            questions[-1][section][-1][1] = line
    return questions


@pytest.mark.parametrize("matrix", [False, True])
@pytest.mark.parametrize("values", ["numeric", "choice text"])
def test_qualtrics_round_trip(tmp_path: Path, minimal, matrix: bool, values: str) -> None:
    questions = _parse_qualtrics(export_instrument(minimal, "qualtrics-txt", matrix=matrix).decode())
    items_by_text = {minimal.render_text(i): i for i in minimal.items}
    columns: list[tuple[str, str, object]] = []  # (export column, question text row, item)
    for q in questions:
        if q["type"].startswith("MC"):
            columns.append((q["id"], q["text"], next(i for i in minimal.items if i.id == q["id"])))
        elif q["type"] == "Matrix":
            for recode, statement in q["choices"]:
                columns.append((f"{q['id']}_{recode}", f"{q['text']} - {statement}", items_by_text[statement]))
    meta = [
        ("StartDate", "Start Date"),
        ("Status", "Response Type"),
        ("Finished", "Finished"),
        ("RecordedDate", "Recorded Date"),
        ("ResponseId", "Response ID"),
        ("RecipientEmail", "Recipient Email"),
    ]
    rows = [
        [c for c, _ in meta] + [c for c, _, _ in columns],
        [t for _, t in meta] + [t for _, t, _ in columns],
        [json.dumps({"ImportId": c}) for c, _ in meta]
        + [json.dumps({"ImportId": f"QID{k}"}) for k in range(len(columns))],
    ]
    for r in range(N_RESPONDENTS):
        cells = []
        for _, _, item in columns:
            code, label, _ = answer(minimal, item, r)
            cells.append(code if values == "numeric" else label)
        rows.append(["2026-03-02 09:00:00", "0", "1", "2026-03-02 09:05:00", f"R_{r}", "x@example.org", *cells])
    result = ingest(write_rows(tmp_path / "qualtrics.csv", rows), minimal)
    assert result.reader == "qualtrics"
    assert {m.how for m in result.columns if m.role == "item"} == {"question text" if matrix else "item id"}
    assert_round_trip(result, minimal)


# -- REDCap ------------------------------------------------------------------------------------------------


def test_redcap_dictionary_columns(minimal, tmp_path: Path) -> None:
    result = run("instruments", "export", MINIMAL, "--format", "redcap")
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == list(DICTIONARY_COLUMNS) and len(rows[0]) == 18
    assert all(len(r) == 18 for r in rows)
    assert rows[1][:6] == ["record_id", "minimal", "", "text", "Record ID", ""]
    assert rows[2][:6] == [
        "p1", "minimal", "Planning", "radio", "My leader states a measurable goal for the new pathway.",
        "1, Strongly disagree | 2, Disagree | 3, Neither agree nor disagree | 4, Agree | 5, Strongly agree | "
        "8, Don't know | 9, Not applicable",
    ]  # fmt: skip
    assert rows[-1][:5] == ["comment", "minimal", "", "notes", "Comments"]
    path = tmp_path / "dictionary.csv"
    path.write_text(result.stdout, encoding="utf-8")
    fields = read_dictionary(path)
    assert fields["p1"].choices["8"] == "Don't know"


@pytest.mark.parametrize("which", ["minimal", "hyphenated"])
def test_redcap_round_trip(tmp_path: Path, which: str, request) -> None:
    inst = request.getfixturevalue(which)
    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_bytes(export_instrument(inst, "redcap"))
    fields = read_dictionary(dictionary)
    variables = [f for f in fields.values() if f.type == "radio"]
    label_to_item = {inst.render_text(i): i for i in inst.items}
    form = variables[0].form
    rows = [["record_id", *(f.name for f in variables), "comment", f"{form}_complete"]]
    for r in range(N_RESPONDENTS):
        codes = [answer(inst, label_to_item[f.label], r)[0] for f in variables]
        rows.append([str(r + 1), *codes, "", "2"])
    records = write_rows(tmp_path / "records.csv", rows)
    result = ingest(records, inst, options={"dictionary": dictionary})
    assert result.reader == "redcap"
    assert_round_trip(result, inst)


# -- the command ------------------------------------------------------------------------------------------


def test_xlsform_needs_an_output_file() -> None:
    result = run("instruments", "export", MINIMAL, "--format", "xlsform")
    assert result.exit_code == 2
    assert "The xlsform export is a workbook; give a file with -o, e.g. -o form.xlsx." in result.output


def test_export_unknown_form_is_a_clean_error() -> None:
    result = run("instruments", "export", MINIMAL, "--format", "csv-template", "--form", "peer")
    assert result.exit_code == 1
    assert result.output == "Error: Instrument 'minimal' has no form 'peer'; expected one of: 'rater', 'self'.\n"


def test_export_fills_variables_from_the_command_line() -> None:
    result = run(
        "instruments", "export", MINIMAL, "--format", "qualtrics-txt", "--var", "intervention=the triage pathway"
    )
    assert "My leader states a measurable goal for the triage pathway." in result.stdout


def test_exports_never_carry_a_live_formula(minimal) -> None:
    """An instrument is outside input: item text or a dimension name that starts like a formula
    is written as text in the REDCap CSV (leading ') and as a text cell in the XLSForm."""
    import zipfile

    import attrs

    items = list(minimal.items)
    items[0] = attrs.evolve(items[0], text='=HYPERLINK("http://x.example","click")')
    dims = list(minimal.dimensions)
    dims[0] = attrs.evolve(dims[0], name="@SUM(1+1)")
    hostile = attrs.evolve(minimal, items=tuple(items), dimensions=tuple(dims))
    redcap = export_instrument(hostile, "redcap").decode("utf-8")
    cells = [c for row in csv.reader(io.StringIO(redcap)) for c in row]
    assert '\'=HYPERLINK("http://x.example","click")' in cells and "'@SUM(1+1)" in cells
    assert not any(c.startswith(("=", "@", "+", "-")) for c in cells)
    book = export_instrument(hostile, "xlsform")
    with zipfile.ZipFile(io.BytesIO(book)) as z:
        sheets = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
        strings = z.read("xl/sharedStrings.xml").decode("utf-8") if "xl/sharedStrings.xml" in z.namelist() else ""
    assert "<f>" not in sheets
    assert "=HYPERLINK" in sheets + strings


# -- breakdown questions ----------------------------------------------------------------------------------

SITES = ("North", "South", "St Mary's")
BREAKDOWNS = (Breakdown("site", SITES), Breakdown("role", ("nurse", "allied health")))


def test_xlsform_asks_the_breakdowns_and_records_the_wave(tmp_path: Path) -> None:
    out = tmp_path / "form.xlsx"
    result = run(
        "instruments", "export", MINIMAL, "--format", "xlsform", "-o", out,
        "--attribute", "site=North, South,St Mary's", "--attribute", "role=nurse,allied health", "--wave", "follow-up",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        f"Wrote the xlsform export of 'minimal' to {out}.\n"
        "Breakdown questions: site (3 answers), role (2 answers).\n"
        "Every response records wave 'follow-up'.\n"
    )
    survey = _sheet(out, "survey")
    assert survey[:7] == [
        ["type", "name", "label", "required", "appearance", "calculation"],
        ["start", "start"],
        ["end", "end"],
        ["select_one site", "site", "Site"],
        ["select_one role", "role", "Role"],
        ["calculate", "wave", "", "", "", "'follow-up'"],
        ["begin group", "grp_planning", "Planning", "", "field-list"],
    ]
    assert _sheet(out, "choices")[:6] == [
        ["list_name", "name", "label"],
        ["site", "North", "North"],
        ["site", "South", "South"],
        ["site", "St Mary's", "St Mary's"],
        ["role", "nurse", "nurse"],
        ["role", "allied health", "allied health"],
    ]
    assert _sheet(out, "settings") == [
        ["form_title", "form_id", "version"],
        ["Minimal example", "minimal", "1.0.0-follow_up"],
    ]


def test_xlsform_choice_list_never_takes_a_scale_name(minimal, tmp_path: Path) -> None:
    out = tmp_path / "form.xlsx"
    out.write_bytes(export_instrument(minimal, "xlsform", breakdowns=[Breakdown("agree5", ("a", "b"))]))
    assert _sheet(out, "survey")[3] == ["select_one agree5_list", "agree5", "Agree5"]
    assert ["agree5_list", "a", "a"] in _sheet(out, "choices")


def test_qualtrics_txt_asks_the_breakdowns_first_and_embeds_the_wave(minimal) -> None:
    text = export_instrument(minimal, "qualtrics-txt", breakdowns=BREAKDOWNS, wave="baseline").decode()
    assert text.splitlines()[:30] == [
        "[[AdvancedFormat]]",
        "",
        "[[ED:wave:baseline]]",
        "",
        "[[Block:About you]]",
        "",
        "[[Question:MC:SingleAnswer:Vertical]]",
        "[[ID:site]]",
        "Site",
        "",
        "[[AdvancedChoices]]",
        "[[Choice:1]]",
        "North",
        "[[Choice:2]]",
        "South",
        "[[Choice:3]]",
        "St Mary's",
        "",
        "[[Question:MC:SingleAnswer:Vertical]]",
        "[[ID:role]]",
        "Role",
        "",
        "[[AdvancedChoices]]",
        "[[Choice:1]]",
        "nurse",
        "[[Choice:2]]",
        "allied health",
        "",
        "[[PageBreak]]",
        "",
    ]
    assert text.splitlines()[30:32] == ["[[Block:Planning]]", ""]


def test_redcap_dictionary_has_dropdowns_and_a_hidden_wave(minimal, tmp_path: Path) -> None:
    text = export_instrument(minimal, "redcap", breakdowns=BREAKDOWNS, wave="baseline").decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert all(len(r) == 18 for r in rows)
    assert [r[:6] for r in rows[1:5]] == [
        ["record_id", "minimal", "", "text", "Record ID", ""],
        ["site", "minimal", "About you", "dropdown", "Site", "1, North | 2, South | 3, St Mary's"],
        ["role", "minimal", "", "dropdown", "Role", "1, nurse | 2, allied health"],
        ["wave", "minimal", "", "text", "Wave", ""],
    ]
    assert rows[4][17] == "Wave of this distribution. @DEFAULT='baseline' @READONLY @HIDDEN-SURVEY"
    assert rows[5][:3] == ["p1", "minimal", "Planning"]
    path = tmp_path / "dictionary.csv"
    path.write_text(text, encoding="utf-8")
    fields = read_dictionary(path)
    assert fields["site"].choices == {"1": "North", "2": "South", "3": "St Mary's"}


def test_csv_template_names_the_breakdown_columns(minimal) -> None:
    header = export_instrument(minimal, "csv-template", breakdowns=[Breakdown("department", ("A", "B"))]).decode()
    assert header.startswith("respondent_id,submitted_at,department,wave,participant,relationship,p1,")
    result = run(
        "instruments", "export", MINIMAL, "--format", "csv-template", "--attribute", "team=a,b", "--wave", "w1"
    )
    assert result.stderr == "Breakdown columns: team (2 answers).\nFill the wave column with 'w1'.\n"


def test_breakdowns_no_tool_can_carry_are_refused_at_once() -> None:
    result = run(
        "instruments", "export", MINIMAL, "--format", "redcap",
        "--attribute", "Site=a,b", "--attribute", "wave=x,y", "--attribute", "p1=a", "--attribute", "email=a",
        "--attribute", "role=x,X,a|b", "--attribute", "comment=a", "--attribute", "comment=b", "--wave", "it's",
    )  # fmt: skip
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Error: The breakdowns cannot be exported:",
        "  Attribute name 'Site': expected lower-case letters, digits and '_', starting with a letter (it is the "
        "column name in every survey tool, and REDCap allows no other).",
        "  Attribute 'wave' is not asked: a wave is fixed for a whole distribution. Give --wave NAME instead.",
        "  Attribute name 'p1' is also the id of item 'p1'.",
        "  Attribute name 'email' would be read back as 'personal', not as an attribute; choose another.",
        "  Attribute 'role': answer 'X' is offered twice.",
        "  Attribute 'role': answer 'a|b' is blank, has spaces around it or holds '|', '[[' or a line break, which "
        "some survey tool cannot carry.",
        "  Attribute name 'comment' names a column every export has already; choose another.",
        "  Attribute 'comment' is given twice; give it once, with all its answers.",
        "  Wave \"it's\" is blank, has spaces around it or holds a quote, a bracket, '|' or a line break, which some "
        "survey tool cannot carry.",
    ]


@pytest.mark.parametrize("spec", ["site", "site=", "=a,b", "site= , "])
def test_attribute_option_needs_a_name_and_answers(spec: str) -> None:
    result = run("instruments", "export", MINIMAL, "--format", "redcap", "--attribute", spec)
    assert result.exit_code == 2
    assert (
        f"Invalid value for '--attribute': found {spec!r}; expected NAME=ANSWER,ANSWER,... such as "
        "site=North,South." in result.output
    )


def test_personal_looking_answers_and_waves_are_refused() -> None:
    """Group names are published; an e-mail address or phone number offered as a site (or as the wave) would be
    read back as blank, so the export refuses it without quoting it."""
    result = run(
        "instruments", "export", MINIMAL, "--format", "xlsform", "-o", "unused.xlsx",
        "--attribute", "site=North,j.smith@nhs.net", "--wave", "07700 900123",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "Attribute 'site': an answer looks like personal data (" in result.output
    assert "The wave looks like personal data (" in result.output
    assert "j.smith@nhs.net" not in result.output and "07700 900123" not in result.output
