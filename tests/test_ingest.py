"""Mapping columns onto items: ids, question text, the mapping file, duplicates, personal data.

Every test states the rows read, what was accepted and the exact reasons for what was not;
``rows_read == n + len(rejected)`` is asserted throughout.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from implassess import plugins
from implassess.cli import cli
from implassess.cli import responses as cli_responses
from implassess.errors import ImplassessError, InputError
from implassess.ingest import ingest, read_responses
from implassess.outputs.rejected import rejected_rows_csv, response_rejections

HERE = Path(__file__).resolve().parent
EXPORTS = HERE / "fixtures" / "exports"
MINIMAL = HERE / "fixtures" / "instruments" / "minimal.toml"
NAN = math.nan
TEXTS = {
    "p1": "My leader states a measurable goal for the new pathway.",
    "p2": "My leader protects time for the work.",
    "p3": "Staff are pulled off the work without warning.",
    "l1": "The team reviews results every month.",
    "l2": "The team changes the plan when the data says so.",
}


def run(*args: object):
    if "responses" not in cli.commands:
        cli.add_command(cli_responses.responses)
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def minimal():
    return plugins.get_instrument(str(MINIMAL))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def values(rs) -> list[list[float | None]]:
    return [[None if math.isnan(v) else v for v in row] for row in rs.values.tolist()]


# -- item ids -----------------------------------------------------------------------------------------


@pytest.fixture
def hyphenated(tmp_path: Path):
    """The minimal instrument with item ids that have separators, as survey tools mangle them."""
    text = MINIMAL.read_text(encoding="utf-8")
    for old, new in (("p1", "ci-eco-1"), ("p2", "ci-eco-2"), ("p3", "ci.eco.3")):
        text = text.replace(f'id = "{old}"', f'id = "{new}"')
    path = tmp_path / "hyphenated.toml"
    path.write_text(text, encoding="utf-8")
    return plugins.get_instrument(str(path))


def test_item_ids_tolerate_case_separators_and_group_prefixes(tmp_path: Path, hyphenated) -> None:
    path = write_csv(
        tmp_path / "ids.csv",
        [["respondent_id", "CI_ECO_1", "grp/ci_eco_2", "grp_ci-eco-3", "L1", "l2"], ["R1", "1", "2", "3", "4", "5"]],
    )
    result = ingest(path, hyphenated)
    assert [(m.column, m.target, m.how) for m in result.columns[1:]] == [
        ("CI_ECO_1", "ci-eco-1", "item id (tolerant)"),
        ("grp/ci_eco_2", "ci-eco-2", "item id (group prefix)"),
        ("grp_ci-eco-3", "ci.eco.3", "item id (suffix)"),
        ("L1", "l1", "item id (tolerant)"),
        ("l2", "l2", "item id"),
    ]
    assert values(result.responses) == [[1, 2, 3, 4, 5]]
    assert result.responses.warnings == ()


def test_an_exact_id_beats_a_prefixed_one(tmp_path: Path, minimal) -> None:
    path = write_csv(tmp_path / "twice.csv", [["p1", "grp/p1", "p2"], ["4", "1", "3"]])
    rs = read_responses(path, minimal)
    assert values(rs) == [[4, 3, None, None, None]]
    assert "Column 'grp/p1' also matches item 'p1', which column 'p1' provides; 'grp/p1' is not used." in rs.warnings


def test_two_equally_good_columns_for_one_item_are_an_error(tmp_path: Path, minimal) -> None:
    path = write_csv(
        tmp_path / "dup.csv",
        [
            ["Q1. My leader protects time for the work.", "Q7. My leader protects time for the work", "p1"],
            ["4", "5", "3"],
        ],
    )
    with pytest.raises(InputError) as err:
        read_responses(path, minimal)
    assert str(err.value) == (
        f"{path}: Columns 'Q1. My leader protects time for the work.', 'Q7. My leader protects time for the work' "
        "all map to item 'p2' (question text); expected one column per item. Say which one holds the item in a "
        "mapping file ([columns]) and map the other to 'ignore'."
    )


# -- question text --------------------------------------------------------------------------------------


def test_question_text_ignores_case_punctuation_html_and_tool_prefixes(tmp_path: Path, minimal) -> None:
    header = [
        "Q12. My leader states a measurable goal for the new pathway",
        "1) MY LEADER PROTECTS TIME FOR THE WORK!!",
        "<b>Staff</b> are pulled off the work — without warning?",
        "How much do you agree? - The team reviews results every month.",
        "Thinking about your team [The team changes the plan when the data says so.]",
    ]
    path = write_csv(tmp_path / "text.csv", [header, ["5", "4", "2", "Agree", "Strongly agree"]])
    result = ingest(path, minimal)
    assert [(m.target, m.how) for m in result.columns] == [(i, "question text") for i in TEXTS]
    assert values(result.responses) == [[5, 4, 2, 4, 5]]


def test_item_text_variables_match_whatever_the_survey_showed(tmp_path: Path, minimal) -> None:
    header = ["My leader states a measurable goal for the new triage pathway.", TEXTS["p2"]]
    path = write_csv(tmp_path / "vars.csv", [header, ["5", "4"]])
    assert ingest(path, minimal).columns[0].target == "p1"
    declared = ingest(path, minimal, variables={"intervention": "the new triage pathway"})
    assert declared.columns[0].target == "p1"


def test_self_form_text_is_recognised(tmp_path: Path, minimal) -> None:
    header = ["I state a measurable goal for the new pathway.", TEXTS["p2"], TEXTS["l1"]]
    path = write_csv(tmp_path / "self.csv", [header, ["5", "4", "3"]])
    rs = read_responses(path, minimal)
    assert rs.form == "self"
    assert "The question text matches the 'self' form of the instrument." in rs.warnings
    # Declaring the other form leaves the self-form text unmatched.
    rater = ingest(path, minimal, form="rater")
    assert rater.unmapped == ("I state a measurable goal for the new pathway.",)


def test_unknown_form_is_an_error(tmp_path: Path, minimal) -> None:
    path = write_csv(tmp_path / "f.csv", [["p1"], ["4"]])
    with pytest.raises(ImplassessError) as err:
        read_responses(path, minimal, form="peer")
    assert str(err.value) == "Instrument 'minimal' has no form 'peer'; expected one of: 'rater', 'self'."


# -- answers ----------------------------------------------------------------------------------------------


def test_answer_forms_values_codes_and_labels(tmp_path: Path, minimal) -> None:
    rows = [
        ["respondent_id", "p1", "p2", "p3", "l1", "l2"],
        ["R1", "4.0", " Agree ", "STRONGLY DISAGREE", "8.0", "Not Applicable"],
        ["R2", "9", "don’t know", "3", "", "5"],
        ["R3", "2.5", "1", "1", "1", "1"],
        ["R4", "1,5", "0", "Mostly", "1", "1"],
        ["R5", "1,234", "1", "1", "1", "1"],
    ]
    rs = read_responses(write_csv(tmp_path / "answers.csv", rows), minimal)
    assert values(rs) == [[4, 4, 1, None, None], [None, None, 3, None, 5]]
    assert [(r.row, r.reasons) for r in rs.rejected] == [
        (4, ("Column 'p1': found '2.5', which is not a value of scale 'agree5'; expected one of 1, 2, 3, 4, 5, "
             "or a code (8 = Don't know, 9 = Not applicable).",)),
        (5, ("Column 'p1': found '1,5', which is not a value of scale 'agree5'; expected one of 1, 2, 3, 4, 5, "
             "or a code (8 = Don't know, 9 = Not applicable).",
             "Column 'p2': found '0', which is outside scale 'agree5'; expected a value from 1 to 5, or a code "
             "(8 = Don't know, 9 = Not applicable).",
             "Column 'p3': found 'Mostly', which is neither a value nor an answer label of scale 'agree5'; expected "
             "a value from 1 to 5 or one of 'Strongly disagree', 'Disagree', 'Neither agree nor disagree', 'Agree', "
             "'Strongly agree', \"Don't know\", 'Not applicable'.")),
        (6, ("Column 'p1': found '1,234', which could be 1.234 (',' as decimal separator) or 1234 (',' as thousands "
             "separator); declare the decimal separator (decimal=',' or '.').",)),
    ]  # fmt: skip
    assert rs.reconciles() and rs.rows_read == 5


def test_invalid_missing_keeps_the_row_and_lists_the_answer(tmp_path: Path, minimal) -> None:
    rows = [["respondent_id", "p1", "p2"], ["R1", "7", "4"], ["R2", "3", "3"]]
    rs = read_responses(write_csv(tmp_path / "inv.csv", rows), minimal, invalid="missing")
    assert values(rs)[0][:2] == [None, 4]
    assert rs.rejected == ()
    assert rs.warnings[-1] == (
        "1 invalid answer(s) treated as missing (invalid='missing'):\n  Row 2: Column 'p1': found '7', which is "
        "outside scale 'agree5'; expected a value from 1 to 5, or a code (8 = Don't know, 9 = Not applicable)."
    )


def test_all_dont_know_is_an_answered_row_but_all_blank_is_not(tmp_path: Path, minimal) -> None:
    rows = [["respondent_id", "p1", "p2"], ["R1", "8", "9"], ["R2", "", ""]]
    rs = read_responses(write_csv(tmp_path / "dk.csv", rows), minimal)
    assert rs.respondent_ids == ("R1",)
    assert rs.rejected[0].reasons == (
        "No item answered: all 2 item columns ('p1', 'p2') are blank; expected at least one answer.",
    )


# -- duplicates -------------------------------------------------------------------------------------------


DUPES = [
    ["respondent_id", "submitted_at", "wave", "p1"],
    ["R1", "2026-03-01T09:00:00", "1", "1"],
    ["R2", "2026-03-01T09:05:00", "1", "2"],
    ["R1", "2026-03-04T10:00:00Z", "1", "3"],
    ["R1", "2026-03-02T10:00:00+01:00", "1", "4"],
    ["R1", "2026-09-01T10:00:00", "2", "5"],
]


def test_duplicates_reject_keeps_the_first_per_wave(tmp_path: Path, minimal) -> None:
    rs = read_responses(write_csv(tmp_path / "d.csv", DUPES), minimal, all_waves=True)
    assert [row[0] for row in values(rs)] == [1, 2, 5]
    assert [(r.row, r.reasons) for r in rs.rejected] == [
        (4, ("Column 'respondent_id': found 'R1' again in wave '1'; respondent ids must be unique and row 2 "
             "already has it (duplicates='reject' keeps the first).",)),
        (5, ("Column 'respondent_id': found 'R1' again in wave '1'; respondent ids must be unique and row 2 "
             "already has it (duplicates='reject' keeps the first).",)),
    ]  # fmt: skip


def test_duplicates_latest_keeps_the_latest_date_not_the_last_row(tmp_path: Path, minimal) -> None:
    rs = read_responses(write_csv(tmp_path / "d.csv", DUPES), minimal, duplicates="latest", all_waves=True)
    assert rs.respondent_ids == ("R2", "R1", "R1")
    assert [row[0] for row in values(rs)] == [2, 3, 5]
    assert [r.row for r in rs.rejected] == [2, 5]
    assert rs.rejected[1].reasons == (
        "Column 'respondent_id': found 'R1' again in wave '1'; row 4 holds a later response ('submitted_at' "
        "'2026-03-04T10:00:00Z', this row '2026-03-02T10:00:00+01:00'), and duplicates='latest' keeps it.",
    )


def test_duplicates_latest_without_dates_keeps_the_last_row_and_says_so(tmp_path: Path, minimal) -> None:
    rows = [["respondent_id", "p1"], ["R1", "1"], ["R1", "2"]]
    rs = read_responses(write_csv(tmp_path / "d.csv", rows), minimal, duplicates="latest")
    assert values(rs)[0][0] == 2
    assert rs.rejected[0].reasons == (
        "Column 'respondent_id': found 'R1' again; row 3 comes later in the file, and duplicates='latest' keeps it "
        "(there is no submission date column).",
    )


def test_day_month_ambiguity_is_not_guessed(tmp_path: Path, minimal) -> None:
    rows = [["respondent_id", "Date", "p1"], ["R1", "03/04/2026", "1"], ["R1", "04/03/2026", "2"]]
    rs = read_responses(write_csv(tmp_path / "d.csv", rows), minimal, duplicates="latest")
    reason = rs.rejected[0].reasons[0]
    assert reason.endswith(
        "row 3 comes later in the file, and duplicates='latest' keeps it (the dates could be day/month or month/day)."
    )


# -- the mapping file -------------------------------------------------------------------------------------


def test_mapping_file_names_columns_answers_and_options(minimal) -> None:
    result = ingest(EXPORTS / "custom_export.csv", minimal, mapping=EXPORTS / "custom_mapping.toml")
    rs = result.responses
    assert {m.column: (m.role, m.target, m.how) for m in result.columns} == {
        "Employee no": ("respondent-id", None, "mapping file"),
        "Division": ("attribute", "department", "mapping file"),
        "Date": ("submitted-at", None, "mapping file"),
        "Goal clarity": ("item", "p1", "mapping file"),
        "Protected time": ("item", "p2", "mapping file"),
        "Pulled off work": ("item", "p3", "mapping file"),
        "Monthly review": ("item", "l1", "mapping file"),
        "Adapts plan": ("item", "l2", "mapping file"),
        "Notes": ("comment", None, "mapping file"),
    }
    assert values(rs) == [[5, 4, None, 4, 4], [4, 2, 2, None, 5]]
    assert rs.attributes == {"department": ("Surgery", "Medicine")}
    assert rs.comments == {"Notes": (None, "Busy month.")}
    assert rs.respondent_ids == ("E-1001", "E-1002")


def test_mapping_file_by_question_text_and_per_item_answers(tmp_path: Path, minimal) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\n"How often are staff pulled off the work?" = "p3"\n"Team" = "attribute"\n'
        '[answers.p3]\n"Often" = 4\n"Never" = 1\n',
        encoding="utf-8",
    )
    path = write_csv(
        tmp_path / "x.csv",
        [["respondent_id", "Team", "How often are staff pulled off the work?"], ["R1", "A", "Often"]],
    )
    rs = read_responses(path, minimal, mapping=mapping)
    assert values(rs) == [[None, None, 4, None, None]]
    assert rs.attributes == {"team": ("A",)}


def test_mapping_file_problems_are_reported_together(tmp_path: Path, minimal) -> None:
    mapping = tmp_path / "bad.toml"
    mapping.write_text(
        "[colums]\n"
        '[columns]\n"Q1" = "atribute site"\n'
        '[answers]\n"Often" = "lots"\n'
        '[options]\nduplicates = "first"\nspeed = "fast"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        read_responses(EXPORTS / "generic.csv", minimal, mapping=mapping)
    assert str(err.value) == (
        f"{mapping}: The mapping file has problems:\n"
        "  colums: unknown table; expected [columns], [answers], [options], [variables] or [privacy].\n"
        "  columns.'Q1': found 'atribute site'; expected an item id, 'attribute:NAME' or one of 'respondent-id', "
        "'submitted-at', 'comment', 'ignore', 'personal'.\n"
        "  answers.'Often': found 'lots'; expected a number or 'missing'.\n"
        "  options.duplicates: found 'first'; expected one of 'reject', 'latest'.\n"
        "  options.speed: unknown option; expected one of format, form, decimal, duplicates, invalid, delimiter, "
        "encoding, sheet, dictionary, review, test-responses, repeats."
    )


def test_mapping_file_naming_an_unknown_item(tmp_path: Path, minimal) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\n"Q1" = "p9"\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_responses(EXPORTS / "generic.csv", minimal, mapping=mapping)
    assert str(err.value) == (
        f"{mapping}: The mapping file has problems:\n"
        "  columns.'Q1': found 'p9', which is neither an item of 'minimal' nor a role; expected an item id "
        "(e.g. 'p1'), 'attribute:NAME' or one of 'respondent-id', 'submitted-at', 'comment', 'ignore', 'personal'."
    )


def test_explicit_arguments_win_over_mapping_options(minimal) -> None:
    rs = read_responses(
        EXPORTS / "custom_export.csv", minimal, mapping=EXPORTS / "custom_mapping.toml", duplicates="reject"
    )
    assert rs.n == 2


# -- personal data ----------------------------------------------------------------------------------------


PERSONAL_ROWS = [
    ["respondent_id", "Email", "First Name", "IP Address", "LocationLatitude", "Phone number", "demo/email_address",
     "RecipientLastName", "Name", "p1", "p2"],
    ["R1", "kim@example.org", "Kim", "203.0.113.5", "51.5", "+44 20 7946 0000", "kim@example.org", "Ng", "Kim Ng",
     "4", "77"],
    ["R2", "sam@example.org", "Sam", "203.0.113.6", "51.6", "+44 20 7946 0001", "sam@example.org", "Roe", "Sam Roe",
     "3", "3"],
]  # fmt: skip


def test_personal_columns_are_dropped_by_header_and_never_carried(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "personal.csv", PERSONAL_ROWS)
    out = tmp_path / "rejected.csv"
    result = run("responses", "check", path, "-i", MINIMAL, "--json", "--rejected-out", out)
    report = json.loads(result.stdout)
    assert report["personal_columns_dropped"] == PERSONAL_ROWS[0][1:9]
    everything = result.output + out.read_text(encoding="utf-8")
    for secret in ("example.org", "Kim", "203.0.113", "51.5", "7946", "Roe"):
        assert secret not in everything
    rs = read_responses(path, plugins.get_instrument(str(MINIMAL)))
    assert "example.org" not in repr((rs.attributes, rs.comments, rs.warnings, rs.respondent_ids))


def test_a_mapping_file_may_keep_a_personal_looking_column_and_says_so(tmp_path: Path, minimal) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\n"Name" = "attribute:participant"\n', encoding="utf-8")
    rs = read_responses(write_csv(tmp_path / "p.csv", PERSONAL_ROWS), minimal, mapping=mapping)
    assert rs.attributes == {"participant": ("Sam Roe",)}
    assert "Column 'Name' looks personal but is kept as attribute because the mapping file says so." in rs.warnings


# -- accounting and the rejected-rows file ----------------------------------------------------------------


def test_rejected_rows_csv_has_the_file_the_row_and_its_reasons_and_no_cells(minimal) -> None:
    """The one rejected-rows format (shared with ``implassess run``): file, row, reasons; a
    rejected row's cells are never written, so no personal column can leak through them."""
    result = ingest(EXPORTS / "qualtrics_numeric.csv", minimal)
    rows = list(csv.reader(io.StringIO(rejected_rows_csv(response_rejections(result.responses)))))
    assert rows[0] == ["file", "row", "reasons"]
    assert [r[:2] for r in rows[1:]] == [["qualtrics_numeric.csv", "4"], ["qualtrics_numeric.csv", "7"],
                                          ["qualtrics_numeric.csv", "8"], ["qualtrics_numeric.csv", "9"]]  # fmt: skip
    record = dict(zip(rows[0], rows[3], strict=True))
    assert record["reasons"] == (
        "Column 'Q1_2': found '6', which is outside scale 'agree5'; expected a value from 1 to 5, or a code "
        "(8 = Don't know, 9 = Not applicable)."
    )


def test_every_row_read_is_accepted_or_rejected(minimal) -> None:
    for name in ("generic.csv", "qualtrics_numeric.csv", "qualtrics_text.csv", "surveymonkey.csv",
                 "googleforms.csv", "kobo.csv", "odk_central.csv", "responses.json", "responses.jsonl"):  # fmt: skip
        rs = read_responses(EXPORTS / name, minimal)
        assert rs.reconciles(), name
        every = rs.rows + tuple(r.row for r in rs.rejected)
        assert len(every) == len(set(every)) == rs.rows_read, name  # no row both accepted and rejected
        assert rs.sha256 and rs.source == str(EXPORTS / name)


def test_unmapped_columns_and_missing_items_are_warned(tmp_path: Path, minimal) -> None:
    path = write_csv(tmp_path / "partial.csv", [["respondent_id", "p1", "Favourite colour"], ["R1", "4", "blue"]])
    rs = read_responses(path, minimal)
    assert rs.warnings == (
        "Columns not mapped to an item, attribute or known role: 'Favourite colour'. If they hold items, name them "
        "in a mapping file.",
        "Items of 'minimal' absent from the file (treated as missing): p2, p3, l1, l2.",
    )


# -- sample data from `implassess sample` -------------------------------------------------------------------


def test_sample_exports_read_without_a_mapping(tmp_path: Path, minimal) -> None:
    sample = pytest.importorskip("implassess.sample")
    paths = sample.write_sample(sample.generate(minimal, seed=3, n_respondents=120, n_participants=6), tmp_path)
    names = {p.name for p in paths}
    assert {"org-survey.csv", "org-survey-qualtrics.csv"} <= names
    for name in ("org-survey.csv", "org-survey-qualtrics.csv", "leadership-360.csv"):
        result = ingest(tmp_path / name, minimal, all_waves=True)
        rs = result.responses
        assert result.missing_items == () and result.unmapped == (), name
        assert rs.reconciles() and rs.n > 0
        assert not np.isnan(rs.values).all(axis=0).any()
        assert all(1 <= v <= 5 for v in rs.values[~np.isnan(rs.values)].tolist())
    qualtrics = read_responses(tmp_path / "org-survey-qualtrics.csv", minimal, wave="baseline")
    assert qualtrics.attributes.keys() >= {"site", "role"}


def test_one_rater_may_rate_several_participants_in_a_wave(tmp_path: Path, minimal) -> None:
    """A 360 export: rater R1 rates P1 and P2 in one wave (both kept), and P1 twice (the second rejected)."""
    rows = [
        ["respondent_id", "participant", "wave", "p1"],
        ["R1", "P1", "1", "1"],
        ["R1", "P2", "1", "2"],
        ["R1", "P1", "1", "3"],
        ["R1", "P1", "2", "4"],
    ]
    rs = read_responses(write_csv(tmp_path / "d.csv", rows), minimal, all_waves=True)
    assert [row[0] for row in values(rs)] == [1, 2, 4]
    assert [(r.row, r.reasons) for r in rs.rejected] == [
        (4, ("Column 'respondent_id': found 'R1' again in wave '1' for the same participant; respondent ids must "
             "be unique and row 2 already has it (duplicates='reject' keeps the first).",)),
    ]  # fmt: skip
