"""Each survey-tool export, read through `implassess responses check` as a user would.

The fixtures in tests/fixtures/exports/ are written in the shape each tool exports:
Qualtrics (numeric values with a matrix question, and choice text with item ids as export
tags, both with preview, test and ragged rows), SurveyMonkey (two header rows), Google
Forms (label answers, a grid question), KoboToolbox and ODK Central (group prefixes),
REDCap (records plus data dictionary), JSON and JSON Lines. The Microsoft Forms workbook
is written by a fixture below.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from implassess import plugins
from implassess.cli import cli
from implassess.cli import responses as cli_responses
from implassess.cli.instruments import instruments
from implassess.ingest import read_responses
from implassess.readers.xlsx import write_workbook

HERE = Path(__file__).resolve().parent
EXPORTS = HERE / "fixtures" / "exports"
MINIMAL = HERE / "fixtures" / "instruments" / "minimal.toml"
NAN = math.nan
STATUS_REASON = (
    "Column 'Status': found {!r} ({}); expected a real response (0 = IP address, 4 = imported, 16 = offline). "
    "Preview, test and spam responses are not scored."
)
OUT_OF_RANGE = (
    "Column {!r}: found {!r}, which is outside scale 'agree5'; expected a value from 1 to 5, "
    "or a code (8 = Don't know, 9 = Not applicable)."
)
NOT_A_LABEL = (
    "Column {!r}: found {!r}, which is neither a value nor an answer label of scale 'agree5'; expected a value "
    "from 1 to 5 or one of 'Strongly disagree', 'Disagree', 'Neither agree nor disagree', 'Agree', "
    "'Strongly agree', \"Don't know\", 'Not applicable'."
)


def run(*args: object):
    """Invoke the CLI with the ingestion commands attached (the lead wires them into cli.py)."""
    if "responses" not in cli.commands:
        cli.add_command(cli_responses.responses)
    if "readers" not in cli.commands:
        cli.add_command(cli_responses.readers_cmd)
    if "export" not in instruments.commands:
        instruments.add_command(cli_responses.instruments_export)
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def check(path: Path, *extra: object) -> dict:
    result = run("responses", "check", path, "-i", MINIMAL, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rejected(report: dict) -> list[tuple[int, str | None, list[str]]]:
    return [(r["row"], r["respondent"], r["reasons"]) for r in report["rejected"]]


def roles(report: dict) -> dict[str, tuple[str, str | None, str]]:
    return {c["column"]: (c["role"], c["target"], c["how"]) for c in report["columns"]}


@pytest.fixture
def minimal():
    return plugins.get_instrument(str(MINIMAL))


def assert_values(actual: np.ndarray, expected: list[list[float]]) -> None:
    np.testing.assert_array_equal(actual, np.array(expected, dtype=float))


# -- generic CSV ---------------------------------------------------------------------------------


def test_generic_csv_with_bom_and_quoted_newline(minimal) -> None:
    report = check(EXPORTS / "generic.csv")
    assert report["reader"] == "csv"
    assert (report["rows_read"], report["accepted"]) == (5, 4)
    assert rejected(report) == [
        (
            6,
            "R005",
            ["No item answered: all 5 item columns ('p1', 'p2', 'p3' …) are blank; expected at least one answer."],
        )
    ]
    assert report["personal_columns_dropped"] == ["email"]
    assert roles(report)["respondent_id"] == ("respondent-id", None, "header")
    assert roles(report)["submitted_at"] == ("submitted-at", None, "header")
    rs = read_responses(EXPORTS / "generic.csv", minimal)
    assert rs.respondent_ids == ("R001", "R002", "R003", "R004")
    assert_values(rs.values, [[4, 4, 2, 3, 4], [5, 3, 4, 4, NAN], [3, NAN, NAN, 2, 3], [2, 2, 5, 1, 2]])
    assert rs.comments == {"comment": (None, "Clear goals, but\ntime gets pulled.", None, None)}
    assert rs.attributes["relationship"] == ("self", "manager", "peer", "direct-report")
    assert set(rs.attributes) == {"site", "role", "wave", "cohort", "participant", "relationship"}
    assert "example.org" not in repr(rs.attributes) + repr(rs.comments) + repr(rs.warnings)


def test_row_numbers_count_a_quoted_answer_spanning_lines_as_one_row(minimal) -> None:
    # R002's comment spans two physical lines, yet a spreadsheet shows it as row 3,
    # so R003 is row 4 and the blank R005 is row 6.
    rs = read_responses(EXPORTS / "generic.csv", minimal)
    assert rs.rows == (2, 3, 4, 5)
    assert rs.rejected[0].row == 6


# -- Qualtrics -------------------------------------------------------------------------------------


def test_qualtrics_numeric_export(minimal) -> None:
    report = check(EXPORTS / "qualtrics_numeric.csv")
    assert report["reader"] == "qualtrics"
    assert (report["rows_read"], report["accepted"]) == (7, 3)
    assert rejected(report) == [
        (4, "R_1PrevXyZa", [STATUS_REASON.format("1", "survey preview")]),
        (7, "R_4TestOnly", [STATUS_REASON.format("2", "survey test")]),
        (8, "R_5eFgHiJkL", [OUT_OF_RANGE.format("Q1_2", "6")]),
        (
            9,
            "R_6fGhIjKlM",
            [
                "The row has 21 cells but the header has 25 columns: found no cell for 'Q2_2', 'Q3', 'site' …; "
                "expected one cell per column (a line break inside an unquoted answer?)."
            ],
        ),
    ]
    cols = roles(report)
    # Matrix columns are matched by the "Question - Statement" text of the second header row,
    # past the "Q2. " prefix the survey author typed.
    assert cols["Q1_1"] == ("item", "p1", "question text")
    assert cols["Q2_2"] == ("item", "l2", "question text")
    assert cols["Finished"] == ("attribute", "finished", "reader")
    assert report["personal_columns_dropped"] == [
        "IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
        "LocationLatitude", "LocationLongitude",
    ]  # fmt: skip
    assert report["unmapped_columns"] == ["Q3"]
    rs = read_responses(EXPORTS / "qualtrics_numeric.csv", minimal)
    assert rs.respondent_ids == ("R_2aBcDeFgH", "R_3cDeFgHiJ", "R_7gHiJkLmN")
    assert_values(rs.values, [[4, 3, 2, 4, 4], [5, 4, 1, NAN, 5], [3, NAN, NAN, NAN, NAN]])
    assert rs.attributes["finished"] == ("1", "1", "0")
    assert rs.attributes["progress"] == ("100", "100", "40")
    assert rs.attributes["site"] == ("North", "North", "South")


def test_ragged_row_respondent_is_named_when_the_id_cell_is_there(minimal) -> None:
    rs = read_responses(EXPORTS / "qualtrics_text.csv", minimal)
    ragged = next(r for r in rs.rejected if r.row == 9)
    assert ragged.respondent == "R_6fGhIjKlM"


def test_qualtrics_choice_text_export(minimal) -> None:
    report = check(EXPORTS / "qualtrics_text.csv")
    assert rejected(report) == [
        (4, "R_1PrevXyZa", [STATUS_REASON.format("Survey Preview", "survey preview")]),
        (7, "R_4TestOnly", [STATUS_REASON.format("Survey Test", "survey test")]),
        (8, "R_5eFgHiJkL", [NOT_A_LABEL.format("p2", "Agree strongly")]),
        (
            9,
            "R_6fGhIjKlM",
            [
                "The row has 21 cells but the header has 24 columns: found no cell for 'l2', 'comment', 'site'; "
                "expected one cell per column (a line break inside an unquoted answer?)."
            ],
        ),
    ]
    assert roles(report)["p1"] == ("item", "p1", "item id")
    rs = read_responses(EXPORTS / "qualtrics_text.csv", minimal)
    # "strongly agree" in lower case, and "Don’t know" with a typographic apostrophe.
    assert_values(rs.values, [[4, 3, 2, 4, 4], [5, 4, 1, NAN, 5], [3, NAN, NAN, NAN, NAN]])
    assert rs.attributes["finished"] == ("True", "True", "False")
    assert rs.comments == {"comment": ("Goals are clear.", None, None)}


# -- SurveyMonkey ------------------------------------------------------------------------------------


def test_surveymonkey_two_header_rows(minimal) -> None:
    report = check(EXPORTS / "surveymonkey.csv")
    assert report["reader"] == "surveymonkey"
    cols = roles(report)
    question = "How much do you agree with each statement about your leader?"
    assert cols[f"{question} - My leader states a measurable goal for the new pathway."] == (
        "item", "p1", "question text",
    )  # fmt: skip
    assert cols["Site"] == ("attribute", "site", "header")
    assert cols["End Date"] == ("submitted-at", None, "reader")
    assert report["personal_columns_dropped"] == ["IP Address", "Email Address", "First Name", "Last Name"]
    assert rejected(report) == [
        (
            6,
            "114830998101",
            [
                "Column 'Respondent ID': found '114830998101' again; respondent ids must be unique and row 3 "
                "already has it (duplicates='reject' keeps the first)."
            ],
        )
    ]


def test_surveymonkey_duplicates_latest_keeps_the_later_submission(minimal) -> None:
    report = check(EXPORTS / "surveymonkey.csv", "--duplicates", "latest")
    assert rejected(report) == [
        (
            3,
            "114830998101",
            [
                "Column 'Respondent ID': found '114830998101' again; row 6 holds a later response ('End Date' "
                "'03/03/2026 08:05:00 AM', this row '03/02/2026 09:14:51 AM'), and duplicates='latest' keeps it."
            ],
        )
    ]
    rs = read_responses(EXPORTS / "surveymonkey.csv", minimal, duplicates="latest")
    assert rs.respondent_ids == ("114830998102", "114830998103", "114830998101")
    assert_values(rs.values[2:], [[5, 4, 2, 4, 4]])


# -- Microsoft Forms --------------------------------------------------------------------------------


@pytest.fixture
def msforms_xlsx(tmp_path: Path) -> Path:
    t0 = dt.datetime(2026, 3, 2, 9, 10, 4)
    head = ["Id", "Start time", "Completion time", "Email", "Name", "Last modified time"]
    questions = [
        "My leader states a measurable goal for the new pathway.",
        "My leader protects time for the work.",
        "Staff are pulled off the work without warning.",
        "The team reviews results every month.",
        "The team changes the plan when the data says so.",
        "Which site do you work at?",
    ]
    rows = [
        [1, t0, t0 + dt.timedelta(minutes=4), "m.lee@example.org", "Morgan Lee", None,
         "Agree", "Neither agree nor disagree", "Disagree", "Agree", "Agree", "North"],
        [2, t0, t0 + dt.timedelta(minutes=9), "anonymous", None, None,
         "Strongly agree", "Agree", "Strongly disagree", "Don't know", "Strongly agree", "North"],
        [3, t0, t0 + dt.timedelta(minutes=12), "anonymous", None, None,
         "Neither agree nor disagree", "Not applicable", None, "Agree", "Totally", "South"],
    ]  # fmt: skip
    path = tmp_path / "Leadership survey(1-3).xlsx"
    path.write_bytes(write_workbook([("Sheet1", [head + questions, *rows])]))
    return path


def test_microsoft_forms_workbook(msforms_xlsx: Path, minimal) -> None:
    report = check(msforms_xlsx)
    assert report["reader"] == "msforms"
    assert report["personal_columns_dropped"] == ["Email", "Name"]
    assert report["unmapped_columns"] == ["Which site do you work at?"]
    assert roles(report)["Completion time"] == ("submitted-at", None, "reader")
    assert rejected(report) == [
        (4, "3", [NOT_A_LABEL.format("The team changes the plan when the data says so.", "Totally")])
    ]
    rs = read_responses(msforms_xlsx, minimal)
    assert rs.respondent_ids == ("1", "2")
    assert_values(rs.values, [[4, 3, 2, 4, 4], [5, 4, 1, NAN, 5]])


# -- Google Forms ---------------------------------------------------------------------------------------


def test_google_forms_labels_and_grid(minimal) -> None:
    report = check(EXPORTS / "googleforms.csv")
    assert report["reader"] == "googleforms"
    cols = roles(report)
    assert cols["Thinking about your team [The team reviews results every month.]"] == ("item", "l1", "question text")
    assert cols["Role"] == ("attribute", "role", "header")
    assert cols["Timestamp"] == ("submitted-at", None, "reader")
    assert report["personal_columns_dropped"] == ["Email Address"]
    assert rejected(report) == [
        (4, None, [NOT_A_LABEL.format("My leader protects time for the work.", "Agree Strongly")])
    ]
    assert (
        "No respondent id column was found; respondents are identified by row number (row-N), so duplicate "
        "responses cannot be detected."
    ) in report["warnings"]
    rs = read_responses(EXPORTS / "googleforms.csv", minimal)
    assert rs.respondent_ids == ("row-2", "row-3")
    assert rs.attributes["role"] == ("Nurse", "Manager")


# -- XLSForm-based tools ----------------------------------------------------------------------------------


def test_kobo_export_with_group_prefixes_and_semicolons(minimal) -> None:
    report = check(EXPORTS / "kobo.csv")
    assert report["reader"] == "xlsform"
    assert roles(report)["grp_planning/p1"] == ("item", "p1", "item id (group prefix)")
    assert roles(report)["_uuid"] == ("respondent-id", None, "reader")
    assert report["personal_columns_dropped"] == ["deviceid", "_submitted_by"]
    assert report["unmapped_columns"] == []
    assert rejected(report) == [
        (5, "1a2b3c4d-5e6f-4a70-8b9c-0d1e2f3a4b5c", [OUT_OF_RANGE.format("grp_planning/p1", "6")])
    ]
    rs = read_responses(EXPORTS / "kobo.csv", minimal)
    assert_values(rs.values, [[4, 3, 2, 4, 4], [5, 4, 1, NAN, 5], [3, 3, NAN, 4, NAN]])
    assert rs.attributes == {"site": ("north", "north", "south")}


def test_odk_central_export(minimal) -> None:
    report = check(EXPORTS / "odk_central.csv")
    assert roles(report)["grp_planning-p1"] == ("item", "p1", "item id (suffix)")
    assert roles(report)["KEY"] == ("respondent-id", None, "reader")
    assert report["personal_columns_dropped"] == ["SubmitterID", "SubmitterName", "DeviceID"]
    rs = read_responses(EXPORTS / "odk_central.csv", minimal)
    assert rs.respondent_ids[0] == "uuid:5b2c1f0e-6a1d-4c7e-9d43-0c7f5e2d8a11"
    assert_values(rs.values, [[4, 3, 2, 4, 4], [5, 4, 1, NAN, 5]])


# -- REDCap ------------------------------------------------------------------------------------------------


def test_redcap_records_with_dictionary_map_codes_through_labels(minimal) -> None:
    report = check(EXPORTS / "redcap_records.csv", "--dictionary", EXPORTS / "redcap_dictionary.csv")
    assert report["reader"] == "redcap"
    assert roles(report)["plan_goal"] == ("item", "p1", "question text")
    assert roles(report)["comments"] == ("comment", None, "header")
    assert report["personal_columns_dropped"] == ["email"]
    assert rejected(report) == [
        (4, "3", ["Column 'plan_time': found '5', which is not a choice of the data dictionary; expected one of "
                  "0, 1, 2, 3, 4, 99."]),
        (5, "4", ["No item answered: all 5 item columns ('plan_goal', 'plan_time', 'plan_pulled' …) are blank; "
                  "expected at least one answer."]),
    ]  # fmt: skip
    rs = read_responses(
        EXPORTS / "redcap_records.csv", minimal, options={"dictionary": EXPORTS / "redcap_dictionary.csv"}
    )
    # The project codes "3, Agree": code 3 is the label Agree, which the instrument scores 4.
    assert_values(rs.values, [[4, 3, 2, 4, 4], [5, 4, 1, NAN, 5]])
    assert rs.attributes["site"] == ("North", "North")


def test_redcap_without_its_dictionary_says_what_to_give() -> None:
    result = run("responses", "check", EXPORTS / "redcap_records.csv", "-i", MINIMAL)
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {EXPORTS / 'redcap_records.csv'}: None of the 12 columns matches an item of instrument 'minimal'. "
        "Found columns 'record_id', 'redcap_event_name', 'email', 'site', 'plan_goal', 'plan_time', 'plan_pulled', "
        "'learn_review' …; expected item ids (such as 'p1', 'p2', 'p3'), the items' question text, or a mapping "
        "file (--mapping) naming the columns. For a REDCap export, give the project's data dictionary "
        "(--dictionary, option dictionary=).\n"
    )


# -- JSON ---------------------------------------------------------------------------------------------------


def test_json_array_rejects_nested_values_and_non_objects() -> None:
    report = check(EXPORTS / "responses.json")
    assert report["reader"] == "json"
    assert rejected(report) == [
        (2, "J2", ["Column 'p3': found a nested object (1 key); expected a single number or text."]),
        (3, None, ["The entry is a text (13 characters); expected an object of column: value."]),
    ]
    assert report["accepted"] == 2


def test_json_lines_rejects_a_broken_line(minimal) -> None:
    report = check(EXPORTS / "responses.jsonl")
    assert report["reader"] == "jsonl"
    assert rejected(report) == [
        (3, None, ["The line is not valid JSON (Expecting value); expected one object per line."]),
    ]
    rs = read_responses(EXPORTS / "responses.jsonl", minimal)
    # J4 answered p1 = 9 (Not applicable): kept, with that answer missing.
    assert rs.respondent_ids == ("J1", "J2", "J4")
    assert_values(rs.values, [[4, 4, 2, 3, NAN], [5, 3, 4, 3, 4], [NAN, 2, 3, 4, 5]])


# -- detection and override ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reader"),
    [
        ("generic.csv", "csv"),
        ("qualtrics_numeric.csv", "qualtrics"),
        ("qualtrics_text.csv", "qualtrics"),
        ("surveymonkey.csv", "surveymonkey"),
        ("googleforms.csv", "googleforms"),
        ("kobo.csv", "xlsform"),
        ("odk_central.csv", "xlsform"),
        ("redcap_records.csv", "redcap"),
        ("kpis_decimal_comma.csv", "kpi"),
        ("responses.json", "json"),
        ("responses.jsonl", "jsonl"),
    ],
)
def test_detection_picks_the_most_confident_reader(name: str, reader: str) -> None:
    result = run("readers", EXPORTS / name, "--json")
    assert result.exit_code == 0
    scores = json.loads(result.stdout)
    assert scores[0]["name"] == reader
    assert scores[0]["score"] > scores[1]["score"]


def test_readers_lists_every_builtin_reader() -> None:
    result = run("readers")
    names = [line.split()[0] for line in result.output.splitlines()]
    assert names == sorted(
        ["csv", "googleforms", "json", "jsonl", "kpi", "msforms", "qualtrics", "redcap", "surveymonkey",
         "xlsform", "xlsx"]
    )  # fmt: skip


def test_format_override_reads_a_qualtrics_file_as_plain_csv() -> None:
    report = check(EXPORTS / "qualtrics_text.csv", "--format", "csv")
    assert report["reader"] == "csv"
    # Read as plain CSV, the question-text and ImportId header rows are data rows (rows 2 and 3),
    # and nothing sets the preview (row 4) and test (row 7) responses aside.
    assert report["rows_read"] == 9
    assert [r["row"] for r in report["rejected"]] == [2, 3, 8, 9]
    assert report["rejected"][0]["reasons"][0] == NOT_A_LABEL.format(
        "p1", "I state a measurable goal for the new triage pathway."
    )


def test_unknown_format_is_named_with_the_known_ones() -> None:
    result = run("responses", "check", EXPORTS / "generic.csv", "-i", MINIMAL, "--format", "spss")
    assert result.exit_code == 1
    assert result.output == (
        "Error: No reader named 'spss'. Known: csv, googleforms, json, jsonl, kpi, msforms, qualtrics, redcap, "
        "surveymonkey, xlsform, xlsx.\n"
    )


def test_a_kpi_sheet_is_not_read_as_responses() -> None:
    result = run("responses", "check", EXPORTS / "kpis_decimal_comma.csv", "-i", MINIMAL)
    assert result.exit_code == 1
    assert "This looks like a KPI sheet (columns kpi, period, value), not survey responses" in result.output


def test_text_report_lists_rejections_and_dropped_columns(tmp_path: Path) -> None:
    out = tmp_path / "rejected.csv"
    result = run("responses", "check", EXPORTS / "qualtrics_text.csv", "-i", MINIMAL, "--rejected-out", out)
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[:3] == [
        f"{EXPORTS / 'qualtrics_text.csv'}: read with the 'qualtrics' reader for instrument 'minimal'.",
        "Rows read: 7; accepted: 3; rejected: 4.",
        "Item columns mapped: 5 of 5 items.",
    ]
    assert "  Row 8 (R_5eFgHiJkL): " + NOT_A_LABEL.format("p2", "Agree strongly") in lines
    assert lines[-1] == f"Wrote 4 rejected row(s) with reasons to {out}."
    assert "m.lee@example.org" not in result.output


def test_strict_exits_1_when_rows_are_rejected() -> None:
    assert run("responses", "check", EXPORTS / "generic.csv", "-i", MINIMAL, "--strict").exit_code == 1
    assert run("responses", "check", EXPORTS / "odk_central.csv", "-i", MINIMAL, "--strict").exit_code == 0
