"""KoboToolbox, ODK Central and SurveyCTO exports, read as a consultant would get them.

Own fixtures (tests/fixtures/exports/kobo_*.csv, odk_*.csv, and workbooks written below)
reproduce each shape: Kobo CSV with "." and "/" group separators, answers as labels or as
XLSForm choice names, ``_validation_status`` as labels, uids and API objects, a repeat
group on a second sheet; ODK Central CSV with ``ReviewState``, an encrypted submission,
geopoint parts and submitter columns, and a repeat-group file. The real exports in
``../shared/exports`` (kobo/, odk-central/) are read in place, never copied.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from implassess import plugins
from implassess.cli import cli
from implassess.errors import InputError
from implassess.formats.mapping import load_mapping
from implassess.ingest import read_responses, read_table
from implassess.ingest.answers import INVALID, AnswerReader, summarise_invalid, summary_messages
from implassess.model import Option, Scale
from implassess.readers.xlsx import write_workbook

HERE = Path(__file__).resolve().parent
EXPORTS = HERE / "fixtures" / "exports"
MINIMAL = HERE / "fixtures" / "instruments" / "minimal.toml"
REAL = HERE / "fixtures" / "instruments" / "real"
NAN = math.nan

REVIEW = (
    "Column {!r}: found {!r} (review state): the submission was rejected in review in {}, so it is not scored. "
    "To score it anyway, pass --review keep (option review='keep')."
)
KOBO_NOT_APPROVED = REVIEW.format("_validation_status", "Not Approved", "KoboToolbox")
ENCRYPTED = (
    "Column 'Status': found 'not decrypted' (encrypted submission): ODK Central could not decrypt it, so the "
    "export holds none of its answers. Export again from ODK Central with the form's passphrase so the submissions "
    "are decrypted."
)
LABELS = (
    "'Strongly disagree', 'Disagree', 'Neither agree nor disagree', 'Agree', 'Strongly agree', \"Don't know\", "
    "'Not applicable'"
)


def invoke(*args: object):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def check(path: Path, *extra: object, instrument: Path = MINIMAL) -> dict:
    result = invoke("responses", "check", path, "-i", instrument, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rejected(report: dict) -> list[tuple[int, str | None, list[str]]]:
    return [(r["row"], r["respondent"], r["reasons"]) for r in report["rejected"]]


def roles(report: dict) -> dict[str, tuple[str, str | None]]:
    return {c["column"]: (c["role"], c["target"]) for c in report["columns"]}


def every_byte(folder: Path) -> str:
    """Everything written under ``folder``, as text."""
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.rglob("*")) if p.is_file())


def assert_values(actual: np.ndarray, expected: list[list[float]]) -> None:
    np.testing.assert_array_equal(actual, np.array(expected, dtype=float))


@pytest.fixture
def minimal():
    return plugins.get_instrument(str(MINIMAL))


# -- KoboToolbox ------------------------------------------------------------------------------------


def test_kobo_labels_export_with_dot_groups_sets_not_approved_aside(minimal) -> None:
    """Kobo CSV (";"), "." group separator, label answers, ``_validation_status`` as labels."""
    report = check(EXPORTS / "kobo_dot_labels.csv")
    assert report["reader"] == "xlsform"
    assert (report["rows_read"], report["accepted"]) == (6, 5)
    assert rejected(report) == [(5, "7c1d2e3f-0a1b-4c2d-8e3f-4a5b6c7d8e04", [KOBO_NOT_APPROVED])]
    r = roles(report)
    assert [r[f"grp_planning.p{k}"] for k in (1, 2, 3)] == [("item", "p1"), ("item", "p2"), ("item", "p3")]
    assert r["_uuid"] == ("respondent-id", None)
    assert r["_submission_time"] == ("submitted-at", None)
    assert r["_validation_status"] == ("ignore", None)
    assert report["personal_columns_dropped"] == [
        "gps", "_gps_latitude", "_gps_longitude", "_gps_altitude", "_gps_precision", "deviceid", "_submitted_by",
    ]  # fmt: skip
    assert report["unmapped_columns"] == []
    assert report["warnings"][0] == (
        "Column '_validation_status': 1 submission(s) are marked 'On Hold' (1) in KoboToolbox's review; they are "
        "scored, since only submissions rejected in review are set aside."
    )
    rs = read_responses(EXPORTS / "kobo_dot_labels.csv", minimal)
    assert rs.rows == (2, 3, 4, 6, 7)
    assert_values(rs.values, [[4, 4, 2, 5, 4], [5, 4, 1, NAN, 4], [3, 2, 4, 4, 2], [4, 5, 2, 4, 4], [4, 3, 3, 4, 5]])
    assert rs.attributes["site"] == ("north", "north", "south", "north", "south")


def test_review_keep_scores_rejected_submissions_and_says_so(minimal) -> None:
    report = check(EXPORTS / "kobo_dot_labels.csv", "--review", "keep")
    assert (report["rows_read"], report["accepted"], report["rejected"]) == (6, 6, [])
    assert (
        "Column '_validation_status': 1 submission(s) rejected in KoboToolbox's review ('Not Approved' (1)) are "
        "scored because review='keep'."
    ) in report["warnings"]
    rs = read_responses(EXPORTS / "kobo_dot_labels.csv", minimal, options={"review": "keep"})
    assert rs.rows == (2, 3, 4, 5, 6, 7)
    assert_values(rs.values[3:4], [[1, 2, 5, 2, NAN]])
    explicit = read_responses(EXPORTS / "kobo_dot_labels.csv", minimal, options={"review": "exclude-rejected"})
    assert explicit.rows == (2, 3, 4, 6, 7)


def test_an_unknown_review_value_is_refused(minimal) -> None:
    with pytest.raises(InputError) as err:
        read_responses(EXPORTS / "odk_review.csv", minimal, options={"review": "drop"})
    assert err.value.message == (
        "Option review: found 'drop'; expected 'exclude-rejected' (set submissions rejected in review aside, the "
        "default) or 'keep' (score them)."
    )
    result = invoke("responses", "check", EXPORTS / "odk_review.csv", "-i", MINIMAL, "--review", "drop")
    assert result.exit_code == 2
    assert "'drop' is not one of 'exclude-rejected', 'keep'" in result.output


def test_the_review_option_in_a_mapping_file_is_checked(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('[options]\nreview = "drop"\n', encoding="utf-8")
    with pytest.raises(Exception) as err:
        load_mapping(bad)
    assert "options.review: found 'drop'; expected one of 'exclude-rejected', 'keep'." in str(err.value)
    good = tmp_path / "good.toml"
    good.write_text('[options]\nreview = "keep"\n', encoding="utf-8")
    assert load_mapping(good).options["review"] == "keep"


def test_the_review_option_of_a_mapping_file_reaches_the_reader(tmp_path: Path, minimal) -> None:
    mapping = tmp_path / "keep.toml"
    mapping.write_text('[options]\nreview = "keep"\n', encoding="utf-8")
    rs = read_responses(EXPORTS / "kobo_dot_labels.csv", minimal, mapping=mapping)
    assert rs.rows == (2, 3, 4, 5, 6, 7)


def test_kobo_xml_values_read_choice_names_as_labels(minimal) -> None:
    """Kobo's "XML values and headers" export: choice names (``strongly_agree``, ``don_t_know``)
    and validation status uids. The names are machine forms of the labels, so they read."""
    report = check(EXPORTS / "kobo_xml_names.csv")
    assert (report["rows_read"], report["accepted"]) == (5, 4)
    assert rejected(report) == [
        (
            4,
            "a1f0c9e8-1111-4a2b-9c3d-000000000003",
            [REVIEW.format("_validation_status", "validation_status_not_approved", "KoboToolbox")],
        )
    ]
    assert report["warnings"][0] == (
        "Column '_validation_status': 1 submission(s) are marked 'validation_status_on_hold' (1) in KoboToolbox's "
        "review; they are scored, since only submissions rejected in review are set aside."
    )
    rs = read_responses(EXPORTS / "kobo_xml_names.csv", minimal)
    assert_values(rs.values, [[5, 4, 2, 4, 4], [4, 4, 1, NAN, 4], [3, 4, 4, 5, 2], [4, 5, 2, 4, 4]])
    # "don_t_know" is the "Don't know" option (set apart, not a blank); "not_applicable" was on the rejected row.
    assert rs.non_substantive[1].tolist() == [0, 0, 0, 6, 0]


def test_kobo_api_status_objects_are_read_and_never_quoted_whole(minimal) -> None:
    """A CSV flattened from Kobo's API holds ``_validation_status`` as an object (JSON or a
    Python dict): its ``uid`` decides, and ``by_whom`` (a person) is never quoted."""
    report = check(EXPORTS / "kobo_api_flat.csv")
    assert (report["rows_read"], report["accepted"]) == (4, 2)
    reason = REVIEW.format("_validation_status", "validation_status_not_approved", "KoboToolbox")
    assert rejected(report) == [
        (2, "b2e1d0c9-2222-4b3c-8d4e-000000000001", [reason]),
        (3, "b2e1d0c9-2222-4b3c-8d4e-000000000002", [reason]),
    ]
    assert report["personal_columns_dropped"] == ["_geolocation", "_attachments", "_submitted_by"]
    text = json.dumps(report)
    assert "supervisor.kwame" not in text and "enum.achieng" not in text and "36.82" not in text
    rs = read_responses(EXPORTS / "kobo_api_flat.csv", minimal)
    assert_values(rs.values, [[2, 4, NAN, 5, NAN], [4, 5, NAN, 2, NAN]])


def test_kobo_short_choice_names_are_summarised_per_column(minimal) -> None:
    """24 submissions answered with short choice names (sa, a, n, d, sd, dk): none is a label,
    so every row is rejected; the counts per column come from the fixture."""
    table = read_table(EXPORTS / "kobo_choice_codes.csv")
    assert table.format == "xlsform"
    item_cols = [table.columns.index(f"grp/{i}") for i in ("p1", "p2", "p3", "l1", "l2")]
    conv = AnswerReader(minimal.scales[0], {}, {}, None, reader="xlsform")
    cells = [c for _, c in table.rows]
    positions = [(r, i) for r, row in enumerate(cells) for i in item_cols if conv.value(row[i]) == INVALID]
    assert len(positions) == 120
    summaries = summarise_invalid(table.columns, cells, positions, dict.fromkeys(item_cols, conv))
    assert [(s.column, s.rows, s.answers, s.choice_names) for s in summaries] == [
        ("grp/p1", 24, (("'dk'", 8), ("'d'", 6), ("'a'", 4), ("'n'", 3), ("'sd'", 2), ("'sa'", 1)), True),
        ("grp/p2", 24, (("'a'", 8), ("'dk'", 5), ("'d'", 3), ("'n'", 3), ("'sd'", 3), ("'sa'", 2)), True),
        ("grp/p3", 24, (("'a'", 5), ("'d'", 5), ("'dk'", 5), ("'n'", 5), ("'sa'", 2), ("'sd'", 2)), True),
        ("grp/l1", 24, (("'n'", 7), ("'sd'", 7), ("'dk'", 6), ("'a'", 3), ("'d'", 1)), True),
        ("grp/l2", 24, (("'a'", 6), ("'dk'", 6), ("'d'", 4), ("'n'", 4), ("'sa'", 3), ("'sd'", 1)), True),
    ]
    fix = (
        "They look like XLSForm choice names (the export holds XML values, not labels): in the instrument, give each "
        "option of scale 'agree5' a code equal to its choice name (such as code = {}), or export the data again "
        "with labels as the answers."
    )
    assert summaries[0].message() == (
        "Column 'grp/p1': 24 row(s) hold 6 different answer(s) the scale does not have: 'dk' (8), 'd' (6), 'a' (4), "
        "'n' (3) and 2 more. " + fix.format("'dk'")
    )
    assert summary_messages(summaries) == [
        "5 columns of scale 'agree5' hold invalid answers (rows per column): 'grp/p1' (24), 'grp/p2' (24), "
        "'grp/p3' (24), 'grp/l1' (24), 'grp/l2' (24). Together they hold 6 different answer(s) the scale does not "
        "have: 'dk' (30), 'a' (26), 'n' (22), 'd' (19) and 2 more. " + fix.format("'dk'")
    ]
    # Each row's own reason (for rejected.csv) says the same.
    assert conv.reasons["dk"] == (
        "found 'dk', which is neither a value nor an answer label of scale 'agree5'; expected a value from 1 to 5 or "
        f"one of {LABELS}. It looks like an XLSForm choice name: give the option it stands for a code equal to it, "
        "or export the answers as labels."
    )


def test_kobo_short_choice_names_through_the_cli_and_the_fix(tmp_path: Path) -> None:
    report = check(EXPORTS / "kobo_choice_codes.csv")
    assert (report["rows_read"], report["accepted"], len(report["rejected"])) == (24, 0, 24)
    assert sum(len(r["reasons"]) for r in report["rejected"]) == 120
    # The fix the message names: give the options codes equal to the choice names.
    coded = MINIMAL.read_text(encoding="utf-8")
    for label, code in [
        ("Strongly disagree", "sd"), ("Disagree", "d"), ("Neither agree nor disagree", "n"), ("Agree", "a"),
        ("Strongly agree", "sa"),
    ]:  # fmt: skip
        coded = coded.replace(f'{{ label = "{label}", value', f'{{ label = "{label}", code = "{code}", value', 1)
    coded = coded.replace('code = "8"', 'code = "dk"')
    path = tmp_path / "coded.toml"
    path.write_text(coded, encoding="utf-8")
    fixed = check(EXPORTS / "kobo_choice_codes.csv", instrument=path)
    assert (fixed["accepted"], fixed["rejected"]) == (24, [])
    rs = read_responses(EXPORTS / "kobo_choice_codes.csv", plugins.get_instrument(str(path)))
    assert_values(rs.values[:3], [[3, 3, NAN, NAN, 4], [NAN, 4, NAN, 4, 4], [NAN, NAN, 4, 4, 5]])


def test_a_summary_never_quotes_a_personal_answer(minimal) -> None:
    conv = AnswerReader(minimal.scales[0], {}, {}, None, reader="xlsform")
    cells = [["jane.doe@example.org"], ["omar@example.org"], ["maybe"], ["Agree"]]
    positions = [(r, 0) for r, row in enumerate(cells) if conv.value(row[0]) == INVALID]
    (summary,) = summarise_invalid(["grp/p1"], cells, positions, {0: conv})
    assert summary.answers == (("a value that looks like an e-mail address (not shown)", 2), ("'maybe'", 1))
    assert summary.choice_names is False
    assert summary.message() == (
        "Column 'grp/p1': 3 row(s) hold 2 different answer(s) the scale does not have: a value that looks like an "
        "e-mail address (not shown) (2), 'maybe' (1). For example, found a value that looks like an e-mail address "
        "(not shown), which is neither a value nor an answer label of scale 'agree5'; expected a value from 1 to 5 or "
        f"one of {LABELS}."
    )


def test_the_cli_prints_one_summary_for_many_choice_name_columns() -> None:
    result = invoke("responses", "check", EXPORTS / "kobo_choice_codes.csv", "-i", MINIMAL)
    assert "5 columns of scale 'agree5' hold invalid answers (rows per column): 'grp/p1' (24)" in result.output
    assert "give each option of scale 'agree5' a code equal to its choice name" in result.output


def test_machine_forms_of_labels_and_codes_read_unless_ambiguous() -> None:
    scale = Scale(
        "s",
        (
            Option("Très d'accord", 1),
            Option("Agree", 2, code="AgreeCode"),
            Option("A-B", 3),
            Option("AB", 4),
            Option("Don't know", None, code="dk", non_substantive=True),
        ),
    )
    conv = AnswerReader(scale, {}, {}, None)
    read = {a: conv.value(a) for a in ("tres_d_accord", "AGREE", "agree_code", "don_t_know", "dont-know", "2")}
    assert read == {
        "tres_d_accord": 1.0,
        "AGREE": 2.0,
        "agree_code": 2.0,
        "don_t_know": 1e15 + 4,
        "dont-know": 1e15 + 4,
        "2": 2.0,
    }
    # "a_b" is the machine form of both 'A-B' and 'AB': never guessed.
    assert conv.value("a_b") == INVALID
    assert conv.reasons["a_b"] == (
        "found 'a_b', which is neither a value nor an answer label of scale 's'; expected a value from 1 to 4 or one "
        "of \"Très d'accord\", 'Agree', 'A-B', 'AB', \"Don't know\". It could stand for any of 'A-B', 'AB', so it is "
        "not guessed; give the option it stands for a code equal to it."
    )
    # An answer without a letter is never read by its machine form.
    assert conv.value("1-2") == INVALID


def test_a_kobo_workbook_reads_its_first_sheet_and_names_the_repeat_sheets(tmp_path: Path, minimal) -> None:
    """Kobo XLSX: the submissions on the first sheet, a repeat group ("visits") on a second sheet
    whose ``_submission__*`` columns repeat the parent's metadata."""
    main = [
        ["start", "end", "site", "grp.p1", "grp.p2", "_gps_latitude", "_gps_longitude", "_id", "_uuid",
         "_submission_time", "_validation_status", "_submitted_by", "_index"],
        ["2026-08-01T09:00:00", "2026-08-01T09:05:00", "north", "Agree", "Agree", -1.292066, 36.821945, 601,
         "d4e3f2a1-5555-4d6e-8f70-000000000001", "2026-08-01T09:05:01", "Approved", "enum.wanjiru", 1],
        ["2026-08-01T09:10:00", "2026-08-01T09:15:00", "south", "Disagree", "Strongly agree", -1.300123, 36.800456,
         602, "d4e3f2a1-5555-4d6e-8f70-000000000002", "2026-08-01T09:15:01", "Not Approved", "enum.wanjiru", 2],
        ["2026-08-01T09:20:00", "2026-08-01T09:25:00", "south", "Strongly agree", "Agree", None, None, 603,
         "d4e3f2a1-5555-4d6e-8f70-000000000003", "2026-08-01T09:25:01", None, "enum.baraka", 3],
    ]  # fmt: skip
    parent = ["Team survey", 1, 601, "d4e3f2a1-5555-4d6e-8f70-000000000001", "2026-08-01T09:05:01", "Approved"]
    rejected_parent = ["Team survey", 2, 602, "d4e3f2a1-5555-4d6e-8f70-000000000002", "2026-08-01T09:15:01",
                       "Not Approved"]  # fmt: skip
    visits = [
        ["visits.p1", "_index", "_parent_table_name", "_parent_index", "_submission__id", "_submission__uuid",
         "_submission__submission_time", "_submission__validation_status", "_submission__submitted_by"],
        ["Agree", 1, *parent, "enum.wanjiru"],
        ["Disagree", 2, *parent, "enum.wanjiru"],
        ["Strongly disagree", 3, *rejected_parent, "enum.wanjiru"],
    ]  # fmt: skip
    book = tmp_path / "kobo_team.xlsx"
    book.write_bytes(write_workbook([("Team survey", main), ("visits", visits)]))
    report = check(book)
    assert report["reader"] == "xlsform"
    assert (report["rows_read"], report["accepted"]) == (3, 2)
    assert rejected(report) == [(3, "d4e3f2a1-5555-4d6e-8f70-000000000002", [KOBO_NOT_APPROVED])]
    assert report["warnings"][0] == (
        "Only the first sheet ('Team survey') is read; the workbook also has 'visits', which in a KoboToolbox export "
        "hold repeat groups (one row per repeat). Read one with --sheet NAME if its questions are the instrument's."
    )
    assert report["personal_columns_dropped"] == ["_gps_latitude", "_gps_longitude", "_submitted_by"]

    repeat = check(book, "--sheet", "visits")
    assert (repeat["rows_read"], repeat["accepted"]) == (3, 2)
    assert rejected(repeat) == [
        (4, None, [REVIEW.format("_submission__validation_status", "Not Approved", "KoboToolbox")])
    ]
    assert repeat["warnings"][0] == (
        "Sheet 'visits' holds a repeat group: each row is one repeat (linked to its submission by '_parent_index'), "
        "read as one respondent."
    )
    assert repeat["personal_columns_dropped"] == ["_submission__submitted_by"]
    assert roles(repeat)["_submission__uuid"] == ("ignore", None)
    rs = read_responses(book, minimal, options={"sheet": "visits"})
    assert_values(rs.values, [[4, NAN, NAN, NAN, NAN], [2, NAN, NAN, NAN, NAN]])


def test_a_breakdown_column_inside_a_dot_group_is_the_attribute(tmp_path: Path, minimal) -> None:
    data = tmp_path / "kobo_profile.csv"
    data.write_text(
        "_uuid;_submission_time;profile.site;grp.p1\nu1;2026-03-02T09:14:52;north;Agree\n"
        "u2;2026-03-02T09:15:52;south;Disagree\n",
        encoding="utf-8",
    )
    rs = read_responses(data, minimal)
    assert rs.attributes["site"] == ("north", "south")


# -- ODK Central and SurveyCTO ------------------------------------------------------------------------


def test_odk_central_review_states_and_an_encrypted_submission(minimal) -> None:
    report = check(EXPORTS / "odk_review.csv")
    assert report["reader"] == "xlsform"
    assert (report["rows_read"], report["accepted"]) == (6, 4)
    assert rejected(report) == [
        (5, "uuid:0a6f1c2e-3333-4d4e-8f50-000000000004", [REVIEW.format("ReviewState", "rejected", "ODK Central")]),
        (7, "uuid:0a6f1c2e-3333-4d4e-8f50-000000000006", [ENCRYPTED]),
    ]
    assert report["warnings"][0] == (
        "Column 'ReviewState': 2 submission(s) are marked 'hasIssues' (1), 'edited' (1) in ODK Central's review; "
        "they are scored, since only submissions rejected in review are set aside."
    )
    assert report["personal_columns_dropped"] == [
        "gps-Latitude", "gps-Longitude", "gps-Altitude", "gps-Accuracy", "meta-instanceName", "SubmitterID",
        "SubmitterName", "DeviceID",
    ]  # fmt: skip
    r = roles(report)
    assert r["KEY"] == ("respondent-id", None)
    assert r["SubmissionDate"] == ("submitted-at", None)
    assert r["grp_planning-p1"] == ("item", "p1")
    assert report["unmapped_columns"] == []
    rs = read_responses(EXPORTS / "odk_review.csv", minimal)
    assert rs.rows == (2, 3, 4, 6)
    assert_values(rs.values, [[4, 3, 2, 4, 4], [5, 4, 1, NAN, 5], [3, 3, NAN, 4, 2], [4, 5, 2, 4, 4]])

    kept = check(EXPORTS / "odk_review.csv", "--review", "keep")
    assert (kept["accepted"], rejected(kept)) == (5, [(7, "uuid:0a6f1c2e-3333-4d4e-8f50-000000000006", [ENCRYPTED])])
    assert (
        "Column 'ReviewState': 1 submission(s) rejected in ODK Central's review ('rejected' (1)) are scored because "
        "review='keep'."
    ) in kept["warnings"]


def test_an_odk_central_repeat_group_file(minimal) -> None:
    """ODK Central writes each repeat group to its own CSV: answers, PARENT_KEY, KEY."""
    report = check(EXPORTS / "odk_review-members.csv")
    assert report["reader"] == "xlsform"
    assert (report["rows_read"], report["accepted"], report["rejected"]) == (3, 3, [])
    assert roles(report)["KEY"] == ("respondent-id", None)
    assert roles(report)["PARENT_KEY"] == ("ignore", None)
    rs = read_responses(EXPORTS / "odk_review-members.csv", minimal)
    assert rs.respondent_ids[1] == "uuid:0a6f1c2e-3333-4d4e-8f50-000000000001/members[2]"


def test_surveycto_review_status(tmp_path: Path, minimal) -> None:
    data = tmp_path / "surveycto.csv"
    rows = [
        ["SubmissionDate", "starttime", "endtime", "deviceid", "subscriberid", "simid", "devicephonenum", "username",
         "p1", "p2", "instanceID", "formdef_version", "review_status", "review_comments", "KEY"],
        ["Jun 1, 2026 9:14:52 AM", "", "", "353627074444444", "", "", "+254700000001", "enum1", "4", "5",
         "uuid:s1", "2606011", "APPROVED", "", "uuid:s1"],
        ["Jun 1, 2026 9:24:52 AM", "", "", "353627074444444", "", "", "+254700000001", "enum1", "2", "1",
         "uuid:s2", "2606011", "REJECTED", "Interview done by phone with Jane Wambui", "uuid:s2"],
        ["Jun 1, 2026 9:34:52 AM", "", "", "353627074444445", "", "", "+254700000002", "enum2", "3", "3",
         "uuid:s3", "2606011", "AWAITING_REVIEW", "", "uuid:s3"],
    ]  # fmt: skip
    with data.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    report = check(data)
    assert report["reader"] == "xlsform"
    assert rejected(report) == [(3, "uuid:s2", [REVIEW.format("review_status", "REJECTED", "SurveyCTO")])]
    assert report["warnings"][0] == (
        "Column 'review_status': 1 submission(s) are marked 'AWAITING_REVIEW' (1) in SurveyCTO's review; they are "
        "scored, since only submissions rejected in review are set aside."
    )
    assert report["personal_columns_dropped"] == ["deviceid", "subscriberid", "simid", "devicephonenum", "username"]
    assert roles(report)["review_comments"] == ("ignore", None)
    assert "Jane Wambui" not in json.dumps(report)


# -- nothing personal reaches an output -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("export", "secrets"),
    [
        ("kobo_dot_labels.csv", ["enum.jane", "enum.omar", "AbCdEf123", "GhIjKl456", "51.507351", "-0.127758",
                                 "51.498112"]),
        ("kobo_api_flat.csv", ["enum.achieng", "supervisor.kwame", "-1.292066", "36.821945"]),
        ("odk_review.csv", ["Maria Okafor", "Tomas Reyes", "Z9yX8wV7uT6s", "Q1wE2rT3yU4i", "-33.868820",
                            "151.209296", "-33.861111"]),
    ],
)  # fmt: skip
def test_no_personal_value_reaches_any_output(tmp_path: Path, export: str, secrets: list[str]) -> None:
    out = tmp_path / "out"
    result = invoke(
        "score", EXPORTS / export, "-i", MINIMAL, "-o", out, "--review", "keep", "--rejected-out", tmp_path / "rej.csv"
    )
    assert result.exit_code == 0, result.output
    written = every_byte(out) + (tmp_path / "rej.csv").read_text(encoding="utf-8") + result.output
    assert [s for s in secrets if s in written] == []
    # The values are in the file: the search would find them if they leaked.
    assert all(s in (EXPORTS / export).read_text(encoding="utf-8") for s in secrets)


# -- the real exports in ../shared/exports ---------------------------------------------------------------


def test_real_kobo_workbook(shared_exports: Path, tmp_path: Path) -> None:
    """kobo/kobocruncher_data.xlsx: a genuine Kobo XLSX (5 submissions, "." separator, a
    repeat group "members" on a second sheet, every ``_validation_status`` and
    ``_submitted_by`` empty). Scored with tests/fixtures/instruments/real/kobo_reasons.toml,
    whose items are the 0/1 columns of the select_multiple ``profile.reason``.

    Livelihood = accomodation, employment, education. Per submission (rows 2–6):
    1+1+1, 1+0+1, 0+0+1, 0+0+0, 0+1+1 chosen of 3 → means 1, 2/3, 1/3, 0, 2/3; their mean is
    (8/3)/5 = 8/15 on a 0–1 scale, so the 0–100 score is 100·(8/15 − 0)/(1 − 0) = 53.33.
    Protection = community, safety, movement, reunification: 1, 2, 1, 2, 0 of 4 → mean
    (6/4)/5 = 0.3 → 30.0.

    Personal data: the file holds none (``_submitted_by`` is blank in every row; ``location``
    is a place type, not coordinates); the test checks that ``_submitted_by`` is dropped
    and that no output carries any of its values or the members sheet's.
    """
    export = shared_exports / "kobo" / "kobocruncher_data.xlsx"
    inst = REAL / "kobo_reasons.toml"
    report = check(export, instrument=inst)
    assert report["reader"] == "xlsform"
    assert (report["rows_read"], report["accepted"], report["rejected"]) == (5, 5, [])
    assert report["personal_columns_dropped"] == ["_submitted_by"]
    assert roles(report)["profile.reason.accomodation"] == ("item", "accomodation")
    assert roles(report)["_uuid"] == ("respondent-id", None)
    assert report["warnings"][0] == (
        "Only the first sheet ('Sample Dataset KoboloadeR') is read; the workbook also has 'members', which in a "
        "KoboToolbox export hold repeat groups (one row per repeat). Read one with --sheet NAME if its questions "
        "are the instrument's."
    )
    out = tmp_path / "out"
    result = invoke("score", export, "-i", inst, "-o", out)
    assert result.exit_code == 0, result.output
    with (out / "groups.csv").open(encoding="utf-8") as f:
        scores = {r["unit"]: float(r["score_0_100"]) for r in csv.DictReader(f) if r["group"] == "organisation"}
    assert scores["livelihood"] == pytest.approx(100 * 8 / 15)
    assert scores["protection"] == pytest.approx(30.0)
    assert "submitted_by" not in (out / "respondents_wide.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "personal", "secrets"),
    [
        (
            "central-backend_briefcase_submitters.csv",
            ["name", "SubmitterID", "SubmitterName", "DeviceID"],
            ["Alice", "Bob", "Chelsea", "daniela", "hernando", "lito", "Seattle", "Portland"],
        ),
        (
            "central-backend_briefcase_geopoint.csv",
            ["name", "location-Latitude", "location-Longitude", "location-Altitude", "location-Accuracy",
             "SubmitterID", "SubmitterName", "DeviceID"],
            ["Alice", "Bob", "Chelsea", "47.649434", "-122.347737", "47.599115", "-122.331753", "26.8", "3.14"],
        ),
    ],
)  # fmt: skip
def test_real_odk_central_exports(
    shared_exports: Path, tmp_path: Path, name: str, personal: list[str], secrets: list[str]
) -> None:
    """odk-central/*.csv: the CSVs ODK Central's own tests expect (3 submissions each, KEY
    one/two/three, every ReviewState and Status blank). They hold no survey item (name, age,
    hometown or a geopoint), so tests/fixtures/instruments/real/odk_age.toml reads ``age`` as an
    item on an 18–65 scale, only to exercise reader → mapping → scores.

    Hand check: 0–100 = 100·(age − 18)/(65 − 18). Ages 30, 34, 38 → 1200/47 = 25.53,
    1600/47 = 34.04, 2000/47 = 42.55; the organisation mean age is 34 → 1600/47 = 34.04
    (shown with --min-group-size 3, the smallest allowed without accepting small groups).

    Personal data: names, submitter names (daniela …) and coordinates are searched for in
    every byte written. The submitter ids (4, 8, 15) are small numbers that any output holds
    as counts, so for them the test checks that the column is dropped and that no output
    names it outside the warning that says so.
    """
    export = shared_exports / "odk-central" / name
    inst = REAL / "odk_age.toml"
    report = check(export, instrument=inst)
    assert report["reader"] == "xlsform"
    assert (report["rows_read"], report["accepted"], report["rejected"]) == (3, 3, [])
    assert report["personal_columns_dropped"] == personal
    assert roles(report)["KEY"] == ("respondent-id", None)
    assert roles(report)["age"] == ("item", "age")
    out = tmp_path / "out"
    result = invoke("score", export, "-i", inst, "-o", out, "--min-group-size", "3")
    assert result.exit_code == 0, result.output
    with (out / "respondents_wide.csv").open(encoding="utf-8") as f:
        wide = list(csv.DictReader(f))
    assert list(wide[0]) == [
        "row", "age.raw", "age.score_0_100", "age.level", "age.answered", "age.reason",
        "overall.score_0_100", "overall.level", "overall.reason",
    ]  # fmt: skip
    assert [(r["row"], float(r["age.score_0_100"])) for r in wide] == [
        ("2", pytest.approx(1200 / 47)),
        ("3", pytest.approx(1600 / 47)),
        ("4", pytest.approx(2000 / 47)),
    ]
    with (out / "groups.csv").open(encoding="utf-8") as f:
        org = next(r for r in csv.DictReader(f) if r["group"] == "organisation" and r["unit"] == "age")
    assert float(org["score_0_100"]) == pytest.approx(1600 / 47)
    written = every_byte(out) + result.output
    assert [s for s in secrets if s in written] == []
    assert all(s in export.read_text(encoding="utf-8") for s in secrets)
    for header in ("SubmitterID", "SubmitterName", "DeviceID"):
        assert written.count(header) == written.count("Dropped personal columns"), header
