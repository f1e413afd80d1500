"""REDCap exports read with no hand-editing: the record id, the data dictionary, events, arms and repeats.

The real files live in ``../shared/exports/redcap`` (REDCapR's and REDCapTidieR's test
projects; never copied into this project) and their tests skip when that folder is absent.
Each records the reader detected with no ``--format``; rows read, accepted and rejected
with the reasons; one scale's score worked out by hand in its docstring, with and without
the data dictionary; and that no personal value of the file reaches any file
``implassess score`` writes.

The fixtures ``tests/fixtures/exports/redcap_*`` reproduce each shape with made-up people:
a longitudinal project with two arms, a data access group, identifiers, a checkbox and its
dictionary beside it (``redcap_longitudinal_*``); a survey project downloaded under REDCap's
own file names, with ``participant_id`` first, a survey identifier and a ``[not
completed]`` timestamp (``redcap_Pulse_*``); repeating forms (``redcap_repeating*``); and a
``subject_id`` export with no dictionary (``redcap_subject_records.csv``).

Every score is POMP = 100 · (score − low) / (high − low) of the respondents' dimension
scores, averaged over the respondents (docs/methodology.md §2–3). The test instruments
(``tests/fixtures/instruments/real/redcap_*.toml``) put each dimension on one item.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner, Result

from implassess import plugins
from implassess.cli import cli
from implassess.errors import InputError
from implassess.ingest import ingest, read_responses, read_table, sniff_scores
from implassess.ingest.personal import is_personal
from implassess.ingest.rows import rejection_kind
from implassess.jobs.score import score_export
from implassess.readers.redcap import read_dictionary

HERE = Path(__file__).resolve().parent
REAL = HERE / "fixtures" / "instruments" / "real"
EXPORTS = HERE / "fixtures" / "exports"
MINIMAL = HERE / "fixtures" / "instruments" / "minimal.toml"
NAN = np.nan

LONGITUDINAL = EXPORTS / "redcap_longitudinal_data.csv"
PULSE = EXPORTS / "redcap_Pulse_DATA_2026-03-02_0915.csv"
REPEATING = EXPORTS / "redcap_repeating.csv"
SUBJECTS = EXPORTS / "redcap_subject_records.csv"


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def check(path: Path, instrument: Path, *extra: object) -> dict[str, Any]:
    """``implassess responses check --json``."""
    result = run("responses", "check", path, "-i", instrument, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def score(path: Path, instrument: Path, out: Path, *extra: object) -> dict[str, Any]:
    """``implassess score --json`` into ``out`` (groups of one allowed, a ledger of its own); its summary."""
    result = run(
        "score", path, "-i", instrument, "-o", out, "--json", "--reproducible", "--min-group-size", "1",
        "--accept-small-groups", "--ledger", out.parent / f"{out.name}-ledger", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def dimensions(out: Path) -> dict[str, float | None]:
    """The organisation's 0–100 score per dimension, from the profile ``score`` wrote."""
    profile = json.loads((out / "profile.json").read_text(encoding="utf-8"))
    return {d["id"]: d["score_0_100"] for d in profile["organisation"]["dimensions"]}


def rejected(report: dict[str, Any]) -> list[tuple[int, str | None, list[str]]]:
    return [(r["row"], r["respondent"], r["reasons"]) for r in report["rejected"]]


def kinds(reasons: list[list[str]] | list[tuple[str, ...]]) -> dict[str, int]:
    """Rejected rows counted by kind, as reports count them."""
    out: dict[str, int] = {}
    for rs in reasons:
        kind = rejection_kind(rs[0])
        out[kind] = out.get(kind, 0) + 1
    return out


def roles(report: dict[str, Any]) -> dict[str, tuple[str, str | None, str]]:
    return {c["column"]: (c["role"], c["target"], c["how"]) for c in report["columns"]}


def assert_nothing_personal(out: Path, values: list[str]) -> None:
    """No file ``score`` wrote holds any of ``values`` (its bytes are searched, in UTF-8)."""
    files = {p.name: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert set(files) >= {"profile.json", "manifest.json", "groups.csv", "respondents_long.csv"}
    assert values
    leaks = [(name, v) for name, data in files.items() for v in values if v.encode("utf-8") in data]
    assert leaks == []


def personal_values(path: Path, columns: list[str]) -> list[str]:
    """Every non-blank value of ``columns`` in a CSV (each line of a multi-line cell on its own)."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    found = {line.strip() for r in rows for c in columns for line in (r[c] or "").splitlines() if line.strip()}
    return sorted(found)


def alone(tmp_path: Path, path: Path, name: str | None = None) -> Path:
    """``path`` seen from a folder of its own, with no data dictionary beside it (a link, not a copy)."""
    folder = tmp_path / "alone"
    folder.mkdir(exist_ok=True)
    link = folder / (name or path.name)
    link.symlink_to(path)
    return link


@pytest.fixture
def minimal():
    return plugins.get_instrument(str(MINIMAL))


def instrument(name: str):
    return plugins.get_instrument(str(REAL / f"redcap_{name}.toml"))


# == detection =======================================================================================================


@pytest.mark.parametrize(
    ("path", "score"),
    [
        (LONGITUDINAL, 0.9),  # redcap_event_name
        (PULSE, 0.9),  # redcap_survey_identifier
        (REPEATING, 0.9),  # redcap_repeat_instrument
        (EXPORTS / "redcap_records.csv", 0.9),
        # subject_id first, no REDCap column: form statuses of 0/1/2 ending the file, a checkbox
        (SUBJECTS, 0.7),
    ],
)
def test_redcap_exports_are_recognised_whatever_the_record_id_is_called(path: Path, score: float) -> None:
    scores = sniff_scores(path)
    assert next(iter(scores)) == "redcap"
    assert scores["redcap"] == pytest.approx(score)
    assert scores["csv"] == pytest.approx(0.4)


def test_a_plain_csv_with_a_complete_column_is_not_taken_for_redcap(tmp_path: Path) -> None:
    """A course-tracking sheet whose last column is ``training_complete`` (yes/no) stays plain CSV."""
    path = tmp_path / "training.csv"
    path.write_text("name_id,q1,q2,training_complete\nA1,4,5,yes\nA2,3,4,no\n", encoding="utf-8")
    scores = sniff_scores(path)
    assert next(iter(scores)) == "csv"
    assert scores["redcap"] == pytest.approx(0.2)
    assert scores["csv"] > scores["redcap"]


# == a longitudinal project: events, arms, a dictionary beside the export ============================================

DISCOVERED = (
    "Read with the data dictionary found beside the export, 'redcap_longitudinal_dictionary.csv' (13 fields), so "
    "choice codes read as its labels; give --dictionary to use another."
)


def not_collected(record: str, event: str, arm: int) -> list[str]:
    return [
        f"No item answered: the row is record {record!r} at event {event!r} (arm {arm}), and the form "
        "'leadership_survey', which holds the instrument's items, is not collected at that event (its status column "
        "'leadership_survey_complete' is blank)."
    ]


def another_wave(event: str) -> list[str]:
    return [
        f"Column 'wave': found {event!r} (another wave); this run scores wave 'baseline' only, and waves are never "
        "pooled."
    ]


def test_longitudinal_export_reads_one_wave_with_its_dictionary_found_beside_it() -> None:
    """The events are waves ('baseline', 'followup'; the ``_arm_N`` is the arm); the enrolment rows hold no survey."""
    report = check(LONGITUDINAL, MINIMAL, "--wave", "baseline")
    assert report["reader"] == "redcap"
    assert (report["rows_read"], report["accepted"]) == (11, 4)
    assert rejected(report) == [
        (2, "101", not_collected("101", "enrolment", 1)),
        (4, "101", another_wave("followup")),
        (5, "102", not_collected("102", "enrolment", 1)),
        (7, "201", not_collected("201", "enrolment", 2)),
        (9, "201", another_wave("followup")),
        (10, "202", not_collected("202", "enrolment", 2)),
        (12, "203", not_collected("203", "enrolment", 2)),
    ]
    assert kinds([r[2] for r in rejected(report)]) == {"No item answered": 5, "Another wave": 2}
    cols = roles(report)
    assert cols["study_id"] == ("respondent-id", None, "reader")
    assert cols["redcap_event_name"] == ("attribute", "wave", "reader")
    assert cols["redcap_arm"] == ("attribute", "arm", "reader")
    assert cols["redcap_data_access_group"] == ("attribute", "redcap_data_access_group", "reader")
    assert cols["leadership_survey_timestamp"] == ("submitted-at", None, "reader")
    assert cols["consent___1"] == ("ignore", None, "reader")
    assert cols["enrolment_complete"] == ("ignore", None, "reader")
    assert cols["plan_goal"] == ("item", "p1", "question text")
    # Marked as identifier, validated as e-mail, validated as phone; the yes/no "Confirmed?" is not personal.
    assert report["personal_columns_dropped"] == ["name_first", "contact", "callback"]
    assert cols["next_of_kin_confirmed"] == ("unknown", None, "")
    assert report["warnings"][0] == DISCOVERED


def test_longitudinal_values_and_attributes_through_the_api(minimal) -> None:
    """Codes read through the dictionary: 3 is "Agree", which the instrument scores 4; 99 "Don't know" is missing.

    The site is entered once, on the enrolment row; the survey rows of the same record carry it.
    """
    rs = read_responses(LONGITUDINAL, minimal, wave="baseline")
    assert rs.respondent_ids == ("101", "102", "201", "202")
    np.testing.assert_array_equal(
        rs.values, [[4, 3, 2, 4, 4], [3, NAN, NAN, NAN, NAN], [2, 2, 4, 3, NAN], [5, 5, 1, 5, 5]]
    )
    assert rs.attributes["wave"] == ("baseline",) * 4
    assert rs.attributes["arm"] == ("1", "1", "2", "2")
    assert rs.attributes["site"] == ("North", "North", "South", "South")
    assert rs.attributes["redcap_data_access_group"] == ("north_trust", "north_trust", "south_trust", "south_trust")
    assert rs.comments["comments"] == ("Goals are clear.", None, None, "Call me on [phone number removed]")


def test_longitudinal_waves_are_never_pooled(minimal) -> None:
    with pytest.raises(InputError) as err:
        read_responses(LONGITUDINAL, minimal)
    assert "The 'wave' column holds 2 waves: 'baseline' (4 rows), 'followup' (2 rows)." in str(err.value)
    every = ingest(LONGITUDINAL, minimal, all_waves=True).responses
    assert every.respondent_ids == ("101", "101", "102", "201", "201", "202")
    assert every.attributes["wave"] == ("baseline", "followup", "baseline", "baseline", "followup", "baseline")
    assert kinds([r.reasons for r in every.rejected]) == {"No item answered": 5}


def test_a_mapping_file_can_read_the_event_as_another_attribute(tmp_path: Path, minimal) -> None:
    """The mapping file wins over the reader: the event becomes ``visit``, and with no wave column a record's
    second answered row is a duplicate (so map the event elsewhere only with a wave column of your own)."""
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[columns]\nredcap_event_name = "attribute:visit"\n', encoding="utf-8")
    result = ingest(LONGITUDINAL, minimal, mapping=mapping)
    assert {m.column: (m.role, m.target, m.how) for m in result.columns}["redcap_event_name"] == (
        "attribute", "visit", "mapping file",
    )  # fmt: skip
    rs = result.responses
    assert "wave" not in rs.attributes
    assert rs.attributes["visit"] == ("baseline", "baseline", "baseline", "baseline")
    assert [(r.row, r.reasons[0][:40]) for r in rs.rejected if "again" in r.reasons[0]] == [
        (4, "Column 'study_id': found '101' again; re"),
        (9, "Column 'study_id': found '201' again; re"),
    ]


def test_score_by_arm_and_site_writes_nothing_personal(tmp_path: Path) -> None:
    """Baseline, minimal instrument (1–5, p3 reversed: x' = 6 − x), Planning = p1–p3, Learning = l1, l2.

    Planning per respondent: 101 (4, 3, 6−2=4) → 11/3; 102 (3) → 1 of 3 answered, below
    the half needed → none; 201 (2, 2, 6−4=2) → 2; 202 (5, 5, 6−1=5) → 5.
    POMP: 101 → 100·(11/3 − 1)/4 = 66.667; 201 → 25; 202 → 100. Arm 1 = 66.667 (one
    respondent); arm 2 = (25 + 100)/2 = 62.5.
    """
    out = tmp_path / "out"
    summary = score(LONGITUDINAL, MINIMAL, out, "--wave", "baseline", "--by", "arm")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (11, 4, 7)
    with (out / "groups.csv").open(encoding="utf-8", newline="") as f:
        groups = {r["group"]: r for r in csv.DictReader(f) if r["breakdown"] == "arm" and r["unit"] == "planning"}
    assert float(groups["arm=1"]["score_0_100"]) == pytest.approx(100 * (11 / 3 - 1) / 4)
    assert float(groups["arm=2"]["score_0_100"]) == pytest.approx(62.5)
    people = personal_values(LONGITUDINAL, ["name_first", "contact", "callback"])
    assert people[:2] == ["07700 900101", "07700 900102"]
    assert_nothing_personal(out, people)


# == which data dictionary ===========================================================================================


def test_an_explicit_dictionary_must_describe_the_export() -> None:
    result = run("responses", "check", LONGITUDINAL, "-i", MINIMAL, "--dictionary", EXPORTS / "redcap_dictionary.csv")
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {LONGITUDINAL}: The data dictionary {str(EXPORTS / 'redcap_dictionary.csv')!r} does not describe "
        "this export: its first field (the record id) is 'record_id', but the export's first column is 'study_id'. "
        "Expected the dictionary of the project the records were exported from (in REDCap: Project Setup, Data "
        "Dictionary, download the current data dictionary).\n"
    )


def test_a_dictionary_that_knows_few_of_the_columns_is_refused(tmp_path: Path, minimal) -> None:
    lines = (EXPORTS / "redcap_longitudinal_dictionary.csv").read_text(encoding="utf-8").splitlines()
    dictionary = tmp_path / "other.csv"
    dictionary.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")  # study_id, name_first only
    with pytest.raises(InputError) as err:
        ingest(LONGITUDINAL, minimal, wave="baseline", options={"dictionary": dictionary})
    assert err.value.message == (
        f"The data dictionary {str(dictionary)!r} does not describe this export: 14 of the export's 17 field columns "
        "are not its fields ('contact', 'callback', 'site', 'consent___1', 'consent___2', 'next_of_kin_confirmed', "
        "'leadership_survey_timestamp', 'plan_goal' and 6 more). Expected the dictionary of the project the "
        "records were exported from (in REDCap: Project Setup, Data Dictionary, download the current data "
        "dictionary)."
    )


def test_a_dictionary_missing_a_few_columns_is_used_with_a_note(tmp_path: Path, minimal) -> None:
    lines = (EXPORTS / "redcap_longitudinal_dictionary.csv").read_text(encoding="utf-8").splitlines()
    dictionary = tmp_path / "older.csv"
    dictionary.write_text("\n".join(line for line in lines if not line.startswith("callback")), encoding="utf-8")
    rs = read_responses(LONGITUDINAL, minimal, wave="baseline", options={"dictionary": dictionary})
    assert rs.n == 4
    assert (
        "1 column(s) are not fields of the data dictionary 'older.csv' ('callback'); they are read without its "
        "labels and choices. Is the dictionary older than the export?"
    ) in rs.warnings


def test_a_labels_export_is_named_as_such(tmp_path: Path, minimal) -> None:
    export = tmp_path / "labels.csv"
    export.write_text("Study ID,Event Name,First name\n101,Enrolment (Arm 1: Trust A),Ada\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_table(export, format="redcap", options={"dictionary": EXPORTS / "redcap_longitudinal_dictionary.csv"})
    assert "the export's header holds field labels ('Study ID' is the label of 'study_id'), so it is a 'labels' " in (
        err.value.message
    )


def test_an_explicit_dictionary_wins_over_the_one_beside_the_export(tmp_path: Path, minimal) -> None:
    given = tmp_path / "given.csv"
    given.write_bytes((EXPORTS / "redcap_longitudinal_dictionary.csv").read_bytes())
    raw = read_table(LONGITUDINAL, options={"dictionary": given})
    assert raw.meta["dictionary"] == str(given)
    assert DISCOVERED not in raw.meta["notes"]
    assert read_table(LONGITUDINAL).meta["dictionary"] == str(EXPORTS / "redcap_longitudinal_dictionary.csv")


def test_two_dictionaries_beside_the_export_are_not_guessed_between(tmp_path: Path, minimal) -> None:
    data = tmp_path / "trial_data.csv"
    data.write_bytes(LONGITUDINAL.read_bytes())
    dictionary = (EXPORTS / "redcap_longitudinal_dictionary.csv").read_bytes()
    (tmp_path / "trial_dictionary.csv").write_bytes(dictionary)
    (tmp_path / "trial_datadictionary.csv").write_bytes(dictionary)
    with pytest.raises(InputError) as err:
        read_table(data)
    assert err.value.message.startswith(
        "2 data dictionaries beside the export describe it ('trial_datadictionary.csv', 'trial_dictionary.csv'); "
        "which one is current is not clear. Give the right one with --dictionary, or move the file(s) away"
    )


def test_a_dictionary_beside_the_export_that_does_not_describe_it_stops_the_read(tmp_path: Path) -> None:
    """A file named as the export's dictionary is judged as if it were given: codes are never scored as values
    (and its identifier flags never lost) because the dictionary beside them did not fit."""
    data = tmp_path / "trial_data.csv"
    data.write_bytes(LONGITUDINAL.read_bytes())
    (tmp_path / "trial_dictionary.csv").write_bytes((EXPORTS / "redcap_dictionary.csv").read_bytes())
    with pytest.raises(InputError, match=r"its first field \(the record id\) is 'record_id', but the export's first "):
        read_table(data)
    (tmp_path / "trial_dictionary.csv").write_bytes(b"\x00\xff random bytes \x13")
    with pytest.raises(InputError, match=r"named as its data dictionary do not describe it: 'trial_dictionary\.csv'"):
        read_table(data)


def test_a_dictionary_beside_the_export_missing_a_new_field_is_used_with_a_note(tmp_path: Path) -> None:
    """A field added after the dictionary was downloaded: the dictionary still applies (identifiers dropped)."""
    rows = LONGITUDINAL.read_text(encoding="utf-8").splitlines()
    data = tmp_path / "trial_data.csv"
    data.write_text("\n".join([rows[0] + ",newfield", *(r + "," for r in rows[1:])]) + "\n", encoding="utf-8")
    (tmp_path / "trial_dictionary.csv").write_bytes((EXPORTS / "redcap_longitudinal_dictionary.csv").read_bytes())
    raw = read_table(data)
    assert raw.meta["dictionary"].endswith("trial_dictionary.csv")
    assert any("1 column(s) are not fields of the data dictionary 'trial_dictionary.csv' ('newfield')" in n
               for n in raw.meta["notes"])  # fmt: skip
    assert raw.meta["roles"]["name_first"] == "personal"


# == codes without a dictionary ======================================================================================

BARE_CODES = (
    "No data dictionary was read, so the bare choice codes in {} are scored as the instrument's values of the same "
    "number. REDCap codes each choice as the project chose (0, 1, 2 …), so this is right only if the project's codes "
    "are the instrument's values (as in a project built from `implassess instruments export --format redcap`). Give "
    "the project's data dictionary with --dictionary PATH (in REDCap: Project Setup, Data Dictionary), or put it "
    "beside the export as {!r}."
)


def test_bare_codes_are_never_scored_silently(minimal) -> None:
    """subject_id first, no dictionary: the codes 0–4 are read as values 0–4 — with a warning naming the items."""
    report = check(SUBJECTS, MINIMAL)
    assert report["reader"] == "redcap"
    assert roles(report)["subject_id"] == ("respondent-id", None, "reader")
    assert (
        BARE_CODES.format("'p1', 'p2', 'p3', 'l1', 'l2'", "redcap_subject_records_dictionary.csv") in report["warnings"]
    )
    assert rejected(report) == [
        (3, "S-02", ["Column 'p3': found '0', which is outside scale 'agree5'; expected a value from 1 to 5, or a "
                     "code (8 = Don't know, 9 = Not applicable)."]),
    ]  # fmt: skip


def test_no_warning_when_the_dictionary_is_read_or_the_answers_are_labels(tmp_path: Path, minimal) -> None:
    rs = read_responses(PULSE, minimal)
    assert not [w for w in rs.warnings if w.startswith("No data dictionary")]
    labels = tmp_path / "labels_export.csv"
    labels.write_text(
        "record_id,p1,p2,p3,l1,l2,survey_complete\n1,Agree,Agree,Disagree,Strongly agree,Agree,2\n", encoding="utf-8"
    )
    rs = read_responses(labels, minimal)
    assert rs.values.tolist() == [[4, 4, 2, 5, 4]]
    assert not [w for w in rs.warnings if w.startswith("No data dictionary")]


# == a survey project downloaded under REDCap's own names ============================================================


def test_survey_project_with_redcaps_file_names(minimal) -> None:
    """participant_id first; the dictionary ``<Project>_DataDictionary_<date>.csv`` beside
    ``<Project>_DATA_<date>_<time>.csv`` is found; the survey identifier is dropped; a
    ``[not completed]`` timestamp reads as blank."""
    result = ingest(PULSE, minimal)
    rs = result.responses
    assert result.reader == "redcap"
    assert rs.warnings[0] == (
        "Read with the data dictionary found beside the export, 'redcap_Pulse_DataDictionary_2026-03-02.csv' (8 "
        "fields), so choice codes read as its labels; give --dictionary to use another."
    )
    assert rs.respondent_ids == ("1", "2", "3")
    np.testing.assert_array_equal(rs.values, [[4, 4, 2, 5, 4], [3, NAN, NAN, NAN, NAN], [5, 4, 1, 4, NAN]])
    assert rs.attributes["role"] == ("Nurse", "Doctor", "Manager")
    assert result.personal == ("redcap_survey_identifier",)
    plan = {m.column: (m.role, m.how) for m in result.columns}
    assert plan["participant_id"] == ("respondent-id", "reader")
    assert plan["pulse_timestamp"] == ("submitted-at", "reader")
    assert [r.reasons for r in rs.rejected] == [
        ("No item answered: all 5 item columns ('p1', 'p2', 'p3' …) are blank; expected at least one answer.",),
    ]
    assert [cells[2] for _, cells in result.raw.rows] == ["2026-03-01 10:00:00", "", "2026-03-01 11:30:00", ""]
    assert "kim.ng@example.org" not in repr((rs.attributes, rs.comments, rs.warnings, rs.rejected))


def test_not_completed_timestamps_do_not_break_the_latest_submission(tmp_path: Path, minimal) -> None:
    """Two downloads pasted together: participant 1 twice. ``duplicates='latest'`` still reads the dates."""
    text = PULSE.read_text(encoding="utf-8")
    data = tmp_path / "pulse.csv"
    data.write_text(text + "1,,2026-03-02 08:00:00,1,1,2,2,2,2,2,2\n", encoding="utf-8")
    rs = read_responses(data, minimal, duplicates="latest")
    assert rs.respondent_ids == ("2", "3", "1")
    assert rs.values[2].tolist() == [2, 2, 2, 2, 2]
    assert [r.reasons[0] for r in rs.rejected if r.row == 2] == [
        "Column 'participant_id': found '1' again; row 6 holds a later response ('pulse_timestamp' '2026-03-02 "
        "08:00:00', this row '2026-03-01 10:00:00'), and duplicates='latest' keeps it."
    ]


def test_dictionary_choices_for_yes_no_true_false_and_checkboxes(tmp_path: Path) -> None:
    fields = read_dictionary(EXPORTS / "redcap_Pulse_DataDictionary_2026-03-02.csv")
    assert fields["agreed"].choices == {"1": "Yes", "0": "No"}
    raw = read_table(LONGITUDINAL)
    assert raw.labels["consent___2"] == "Consent (Be contacted later)"
    assert raw.meta["choices"]["consent___2"] == {"0": "Unchecked", "1": "Checked"}
    assert raw.meta["roles"]["consent___2"] == "ignore"


# == repeating forms =================================================================================================


def repeat_instance(instance: int, record: str, kept: int, row: int, how: str = "latest") -> tuple[str, ...]:
    which = "the latest" if how == "latest" else "the first"
    return (
        f"Column 'redcap_repeat_instance': instance {instance} of the repeating form 'pulse' for record {record!r} "
        f"(repeat instance); one instance per record and event is scored, {which} answered one (repeats={how!r}): "
        f"instance {kept}, row {row}. Read with repeats='each' to score every instance.",
    )


def other_form(instance: int, record: str) -> tuple[str, ...]:
    return (
        f"Column 'redcap_repeat_instrument': the row is instance {instance} of the repeating form 'visit_log' for "
        f"record {record!r} (repeat instance); that form holds none of the instrument's items (they are on 'pulse'), "
        "so the row is not a response to this instrument.",
    )


def base_row(record: str) -> tuple[str, ...]:
    return (
        f"No item answered: the row holds the forms of record {record!r} that do not repeat; the instrument's items "
        "are on the repeating form 'pulse', whose instances are rows of their own.",
    )


EMPTY_INSTANCE = (
    "No item answered: all 5 item columns ('p1', 'p2', 'p3' …) are blank; expected at least one answer. The row is "
    "instance 1 of the repeating form 'pulse' for record '4' (repeat instance).",
)


def test_repeating_form_scores_the_latest_instance_by_default(minimal) -> None:
    rs = read_responses(REPEATING, minimal)
    assert rs.respondent_ids == ("1", "2")
    np.testing.assert_array_equal(rs.values, [[4, 4, 2, 4, 4], [5, 5, 1, 5, 5]])
    assert rs.attributes["site"] == ("North", "South")  # from each record's row of the forms that do not repeat
    assert [(r.row, r.respondent, r.reasons) for r in rs.rejected] == [
        (2, "1", base_row("1")),
        (3, "1", repeat_instance(1, "1", 3, 5)),
        (4, "1", repeat_instance(2, "1", 3, 5)),
        (6, "1", other_form(1, "1")),
        (7, "2", base_row("2")),
        (9, "2", other_form(1, "2")),
        (10, "2", other_form(2, "2")),
        (11, "3", base_row("3")),
        (12, "4", base_row("4")),
        (13, "4", EMPTY_INSTANCE),
    ]
    assert kinds([r.reasons for r in rs.rejected]) == {"No item answered": 4, "Repeat instance": 6}


def test_repeating_form_first_or_each_instance(minimal) -> None:
    first = read_responses(REPEATING, minimal, options={"repeats": "first"})
    assert first.respondent_ids == ("1", "2")
    np.testing.assert_array_equal(first.values, [[2, 2, 4, 2, 2], [5, 5, 1, 5, 5]])
    assert [r.reasons for r in first.rejected if r.row in (4, 5)] == [
        repeat_instance(2, "1", 1, 3, "first"),
        repeat_instance(3, "1", 1, 3, "first"),
    ]
    each = read_responses(REPEATING, minimal, options={"repeats": "each"})
    assert each.respondent_ids == ("1#1", "1#2", "1#3", "2#1")
    assert each.attributes["site"] == ("North", "North", "North", "South")
    assert kinds([r.reasons for r in each.rejected]) == {"No item answered": 4, "Repeat instance": 4}
    assert [r.respondent for r in each.rejected if r.row == 13] == ["4#1"]


def test_repeats_without_dictionary_or_form_statuses(tmp_path: Path, minimal) -> None:
    """A report export with neither the dictionary nor the ``*_complete`` columns: the form holding the items is
    the one whose instances hold answers."""
    data = tmp_path / "report.csv"
    data.write_text(
        "record_id,redcap_repeat_instrument,redcap_repeat_instance,site,p1,p2,p3,l1,l2,visit_note\n"
        "1,,,North,,,,,,\n"
        "1,pulse,1,,2,2,4,2,2,\n"
        "1,pulse,2,,3,3,3,3,3,\n"
        "1,visit_log,1,,,,,,,First visit\n",
        encoding="utf-8",
    )
    rs = read_responses(data, minimal)
    assert rs.respondent_ids == ("1",)
    assert rs.values.tolist() == [[3, 3, 3, 3, 3]]
    assert rs.attributes["site"] == ("North",)
    assert [(r.row, rejection_kind(r.reasons[0])) for r in rs.rejected] == [
        (2, "No item answered"),
        (3, "Repeat instance"),
        (5, "Repeat instance"),
    ]
    assert rs.rejected[0].reasons == (
        "No item answered: the row holds the forms of record '1' that do not repeat; the instrument's items are on "
        "the repeating form 'pulse', whose instances are rows of their own.",
    )


def test_repeats_option_is_checked(minimal) -> None:
    with pytest.raises(InputError) as err:
        read_responses(REPEATING, minimal, options={"repeats": "all"})
    assert err.value.message == "Option repeats is 'all'; expected one of 'latest', 'first', 'each'."


def test_repeating_export_through_the_cli(tmp_path: Path) -> None:
    """Latest instances: 1#3 (p1–p3 = 4, 4, 2 → 4, 4, 6−2=4) and 2#1 (5, 5, 6−1=5). Planning:
    POMP 100·(4 − 1)/4 = 75 and 100 → 87.5."""
    report = check(REPEATING, MINIMAL)
    assert (report["rows_read"], report["accepted"], len(report["rejected"])) == (12, 2, 10)
    out = tmp_path / "out"
    summary = score(REPEATING, MINIMAL, out)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (12, 2, 10)
    assert dimensions(out)["planning"] == pytest.approx(87.5)
    assert_nothing_personal(out, ["First visit", "Second visit", "2026-02-01"])


# == personal data ===================================================================================================


def test_a_flag_about_personal_data_is_not_personal() -> None:
    """REDCap's ``next_of_kin_confirmed`` is a yes/no radio: it confirms the next of kin, it does not hold them."""
    assert not is_personal("next_of_kin_confirmed")
    assert not is_personal("email_verified")
    assert is_personal("next_of_kin_contact_name")
    assert is_personal("confirm_email")
    assert is_personal("Email (confirmed)")
    assert is_personal("confirmed_email")


# == the real exports ================================================================================================


def redcap(shared_exports: Path, name: str) -> Path:
    return shared_exports / "redcap" / name


LONG_PERSONAL = ["first_name", "last_name", "telephone_1", "email", "dob"]


def test_real_longitudinal_with_its_dictionary(shared_exports: Path, tmp_path: Path) -> None:
    """REDCapR's longitudinal project: study_id first, 3 records on 18 event rows in two arms.

    The morale questions are collected at dose and visit events only: across all events
    10 rows answer them and 8 (enrolment, final visit, the deadlines) are rejected "No item
    answered", each saying the form is not collected at that event.

    Wave dose_1 (study_id 100 and 220; the dictionary read from beside the export):
    pmq2 (0–5) = 2 and 1 → POMP 40 and 20 → Dependence 30.0.
    pmq4 = code 1 "undecided" (2 on 1–3) and code 2 "very open" (3) → POMP 50 and 100 →
    Openness 75.0.
    """
    path = redcap(shared_exports, "REDCapR_longitudinal_data.csv")
    morale = instrument("morale")
    assert next(iter(sniff_scores(path))) == "redcap"
    every = ingest(path, morale, all_waves=True).responses
    assert (every.rows_read, every.n, len(every.rejected)) == (18, 10, 8)
    assert kinds([r.reasons for r in every.rejected]) == {"No item answered": 8}
    assert every.rejected[0].reasons == (
        "No item answered: the row is record '100' at event 'enrollment' (arm 1), and the form "
        "'patient_morale_questionnaire', which holds the instrument's items, is not collected at that event (its "
        "status column 'patient_morale_questionnaire_complete' is blank).",
    )
    assert sorted(set(every.attributes["wave"])) == [
        "dose_1", "dose_2", "first_dose", "first_visit", "visit_1", "visit_2",
    ]  # fmt: skip
    assert every.attributes["arm"] == ("1",) * 8 + ("2",) * 2

    report = check(path, REAL / "redcap_morale.toml", "--wave", "dose_1")
    assert report["reader"] == "redcap"
    assert (report["rows_read"], report["accepted"]) == (18, 2)
    assert kinds([r[2] for r in rejected(report)]) == {"No item answered": 8, "Another wave": 8}
    assert roles(report)["study_id"] == ("respondent-id", None, "reader")
    assert report["personal_columns_dropped"] == [
        "first_name", "last_name", "telephone_1", "email", "dob", "ec_phone", "next_of_kin_contact_name",
        "next_of_kin_contact_address", "next_of_kin_contact_phone",
    ]  # fmt: skip
    assert report["warnings"][0].startswith("Read with the data dictionary found beside the export, 'REDCapR_long")

    out = tmp_path / "out"
    summary = score(path, REAL / "redcap_morale.toml", out, "--wave", "dose_1")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (18, 2, 16)
    assert dimensions(out) == {"dependence": pytest.approx(30.0), "openness": pytest.approx(75.0)}
    # The same dictionary given explicitly: the same numbers.
    out2 = tmp_path / "explicit"
    dictionary = redcap(shared_exports, "REDCapR_longitudinal_dictionary.csv")
    score(path, REAL / "redcap_morale.toml", out2, "--wave", "dose_1", "--dictionary", dictionary)
    assert dimensions(out2) == dimensions(out)
    people = personal_values(path, LONG_PERSONAL)
    assert len(people) == 15
    assert_nothing_personal(out, people)


def test_real_longitudinal_without_its_dictionary(shared_exports: Path, tmp_path: Path) -> None:
    """Without the dictionary pmq4's codes are read as values: code 1 → 1 "not open" (POMP 0), code 2 → 2
    "undecided" (POMP 50), so Openness is 25.0 instead of 75.0 — and a warning names pmq2 and pmq4.

    Code 0 ("not open") is outside the 1–3 scale: across all events 7 of the 10 answered rows are
    rejected for it.
    """
    path = alone(tmp_path, redcap(shared_exports, "REDCapR_longitudinal_data.csv"))
    morale = instrument("morale")
    every = ingest(path, morale, all_waves=True).responses
    assert (every.rows_read, every.n) == (18, 3)
    assert kinds([r.reasons for r in every.rejected]) == {"No item answered": 8, "Answer out of range": 7}
    assert BARE_CODES.format("'pmq2', 'pmq4'", "REDCapR_longitudinal_dictionary.csv") in every.warnings
    out = tmp_path / "out"
    summary = score(path, REAL / "redcap_morale.toml", out, "--wave", "dose_1")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (18, 2, 16)
    assert dimensions(out) == {"dependence": pytest.approx(30.0), "openness": pytest.approx(25.0)}
    assert_nothing_personal(out, personal_values(path, LONG_PERSONAL))


def test_real_survey_project(shared_exports: Path, tmp_path: Path) -> None:
    """REDCapR's survey project: participant_id first, redcap_survey_identifier, a "[not completed]" timestamp.

    has_diabetes is a true/false field (REDCap implies "1, True | 0, False"): participant
    1 answered 1 = True (2 on the 1–2 scale, POMP 100), participant 2 answered 0 = False
    (1, POMP 0) → 50.0. The morale questionnaire was never answered: both rows rejected.
    """
    path = redcap(shared_exports, "REDCapR_survey_data.csv")
    assert sniff_scores(path)["redcap"] == pytest.approx(0.9)
    report = check(path, REAL / "redcap_prescreening.toml")
    assert report["reader"] == "redcap"
    assert (report["rows_read"], report["accepted"], rejected(report)) == (2, 2, [])
    assert roles(report)["participant_id"] == ("respondent-id", None, "reader")
    assert report["personal_columns_dropped"] == [
        "redcap_survey_identifier", "dob", "email", "first_name", "last_name", "address", "telephone_1",
    ]  # fmt: skip
    morale = check(path, REAL / "redcap_morale.toml")
    assert (morale["rows_read"], morale["accepted"]) == (2, 0)
    assert kinds([r[2] for r in rejected(morale)]) == {"No item answered": 2}
    out = tmp_path / "out"
    summary = score(path, REAL / "redcap_prescreening.toml", out)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (2, 2, 0)
    assert dimensions(out) == {"diabetes": pytest.approx(50.0)}
    people = personal_values(path, ["dob", "email"])
    assert people == ["2018-03-05", "2018-03-06", "aaa@bbb.com", "ccc@ddd.com"]
    assert_nothing_personal(out, people)


def test_real_survey_project_without_its_dictionary(shared_exports: Path, tmp_path: Path) -> None:
    """Without the dictionary the true/false codes are read as values: 1 → 1, which the scale calls False
    (POMP 0); 0 is outside the 1–2 scale and rejects participant 2. So 0.0 instead of 50.0."""
    path = alone(tmp_path, redcap(shared_exports, "REDCapR_survey_data.csv"))
    out = tmp_path / "out"
    summary = score(path, REAL / "redcap_prescreening.toml", out)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (2, 1, 1)
    assert BARE_CODES.format("'has_diabetes'", "REDCapR_survey_dictionary.csv") in summary["warnings"]
    assert dimensions(out) == {"diabetes": pytest.approx(0.0)}
    assert_nothing_personal(out, personal_values(path, ["dob", "email"]))


def test_real_simple_project(shared_exports: Path, tmp_path: Path) -> None:
    """REDCapR's simple project (an R-written import file): record_id, names, a multi-line address, phones.

    Ethnicity is coded "0, Unknown / Not Reported | 1, NOT Hispanic or Latino | 2, Hispanic
    or Latino"; the records hold 1, 1, 0, 1, 2. The test scale scores Hispanic 1, NOT
    Hispanic 2 and sets "Unknown" apart: values 2, 2, –, 2, 1 → POMP 100, 100, 100, 0 over
    4 scored → 75.0.
    """
    path = redcap(shared_exports, "REDCapR_simple_data.csv")
    report = check(path, REAL / "redcap_heritage.toml")
    assert report["reader"] == "redcap"
    assert (report["rows_read"], report["accepted"], rejected(report)) == (5, 5, [])
    assert report["personal_columns_dropped"] == ["name_first", "name_last", "address", "telephone", "email", "dob"]
    out = tmp_path / "out"
    summary = score(path, REAL / "redcap_heritage.toml", out)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (5, 5, 0)
    assert dimensions(out) == {"ethnicity": pytest.approx(75.0)}
    people = personal_values(path, ["name_first", "name_last", "address", "telephone", "email", "dob"])
    assert "Kenning UK, 323232" in people
    assert_nothing_personal(out, people)


def test_real_simple_project_without_its_dictionary(shared_exports: Path, tmp_path: Path) -> None:
    """Codes as values: 1 → Hispanic (POMP 0) three times, 2 → NOT Hispanic (100), 0 outside the scale
    (rejected) → 25.0 instead of 75.0."""
    path = alone(tmp_path, redcap(shared_exports, "REDCapR_simple_data.csv"))
    out = tmp_path / "out"
    summary = score(path, REAL / "redcap_heritage.toml", out)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (5, 4, 1)
    assert dimensions(out) == {"ethnicity": pytest.approx(25.0)}
    assert_nothing_personal(
        out, personal_values(path, ["name_first", "name_last", "address", "telephone", "email", "dob"])
    )


TIDIER = "REDCapTidieR_api_records_survey_repeating.csv"


def test_real_repeating_instruments(shared_exports: Path, tmp_path: Path) -> None:
    """REDCapTidieR's recorded API export: repeating forms 'repeated' and 'repeat_survey', no dictionary.

    The items are on 'repeat_survey': record 1 has instances 1 (yes 1, radio 1) and 2
    (yes 0, radio 2), record 4 instance 1 (1, 1). Latest instance per record: record 1's
    instance 2 and record 4's instance 1. Yes/no on 0–1: 0 and 1 → POMP 0 and 100 → 50.0;
    the two-choice radio on 1–2: 2 and 1 → 100 and 0 → 50.0. Rejected: the 4 rows of the
    forms that do not repeat ("No item answered"), the 4 rows of 'repeated' and record 1's
    instance 1 ("Repeat instance").
    """
    path = redcap(shared_exports, TIDIER)
    report = check(path, REAL / "redcap_repeat_survey.toml")
    assert report["reader"] == "redcap"
    assert (report["rows_read"], report["accepted"]) == (11, 2)
    assert kinds([r[2] for r in rejected(report)]) == {"No item answered": 4, "Repeat instance": 5}
    assert [r[0] for r in rejected(report) if "(repeat instance)" in r[2][0]] == [3, 4, 5, 6, 10]
    assert (
        BARE_CODES.format("'repeatsurvey_yesno', 'repeatsurvey_radio_v2'", f"{Path(TIDIER).stem}_dictionary.csv")
        in report["warnings"]
    )
    assert report["personal_columns_dropped"] == [
        "redcap_survey_identifier", "text_mrn", "text_phone", "text_ssn", "text_zip",
    ]  # fmt: skip
    out = tmp_path / "out"
    summary = score(path, REAL / "redcap_repeat_survey.toml", out)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (11, 2, 9)
    assert dimensions(out) == {"willing": pytest.approx(50.0), "choice": pytest.approx(50.0)}
    assert_nothing_personal(out, ["00123456", "(987) 654-3210", "999-99-9999", "08001"])


def test_real_repeating_instruments_first_and_each(shared_exports: Path, tmp_path: Path) -> None:
    """First instances: record 1's instance 1 (1, 1) and record 4's (1, 1) → yes/no 100.0, radio 0.0.
    Every instance (1#1, 1#2, 4#1): yes/no 1, 0, 1 → 66.667; radio 1, 2, 1 → 33.333."""
    path = redcap(shared_exports, TIDIER)
    ref = str(REAL / "redcap_repeat_survey.toml")
    first = score_export(
        path, ref, tmp_path / "first", options={"repeats": "first"}, min_group_size=1, accept_small_groups=True
    )
    assert first.responses.respondent_ids == ("1", "4")
    assert dimensions(tmp_path / "first") == {"willing": pytest.approx(100.0), "choice": pytest.approx(0.0)}
    each = score_export(
        path, ref, tmp_path / "each", options={"repeats": "each"}, min_group_size=1, accept_small_groups=True,
        ledger=tmp_path / "each-ledger",
    )  # fmt: skip
    assert each.responses.respondent_ids == ("1#1", "1#2", "4#1")
    assert dimensions(tmp_path / "each") == {"willing": pytest.approx(200 / 3), "choice": pytest.approx(100 / 3)}


def test_a_breakdown_entered_once_per_record_is_read_on_every_row_of_the_record(minimal) -> None:
    """``next_of_kin_confirmed`` is entered at enrolment only; broken down by it, the baseline rows of each record
    carry their record's value (site works without asking: it is a known attribute)."""
    rs = read_responses(LONGITUDINAL, minimal, wave="baseline", attributes=["next_of_kin_confirmed"])
    assert rs.respondent_ids == ("101", "102", "201", "202")
    assert rs.attributes["next_of_kin_confirmed"] == ("Yes", "No", "Yes", None)  # 202 left it blank at enrolment
    assert any("Column 'next_of_kin_confirmed' holds one value per record" in w for w in rs.warnings)
