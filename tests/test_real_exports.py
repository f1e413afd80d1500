"""Real Qualtrics, SurveyMonkey and Google Forms exports, and fixtures of each shape, read as a client hands them over.

The real files live in ``../shared/exports`` (made by the survey tools themselves and
published in other projects; some carry licences this package cannot ship, so they are
never copied into it) and their tests skip when that folder is absent. Each real-file
test records the reader detected with no ``--format``; rows read, accepted and rejected
with the reasons; one scale's score worked out by hand in its docstring; and that no
personal value of the file reaches any file ``implassess score`` writes.

The fixtures in ``tests/fixtures/exports`` whose names start ``qualtrics_``,
``surveymonkey_``, ``googleforms_`` and ``msforms_`` reproduce each shape (with made-up
people), so the same behaviour is tested where the real files are absent.

Every score is POMP = 100 · (mean − low) / (high − low) of the respondents' dimension
scores, a dimension score being the mean of the respondent's answered items when at least
half of them are answered (docs/methodology.md §2–3). "Don't know"-like answers are
missing for scoring and counted apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from implassess.cli import cli
from implassess.jobs.score import score_export

HERE = Path(__file__).resolve().parent
REAL = HERE / "fixtures" / "instruments" / "real"
EXPORTS = HERE / "fixtures" / "exports"

TEST_REASON = (
    "Column {!r}: found '2' (survey test); expected a real response (0 = IP address, 4 = imported, 16 = offline). "
    "Preview, test and spam responses are not scored."
)
PREVIEW_REASON = TEST_REASON.replace("'2' (survey test)", "'1' (survey preview)")


def run(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def check(path: Path, instrument: str | Path, *extra: object) -> dict[str, Any]:
    """``implassess responses check --json`` with a test instrument (a name in ``real/`` or a path)."""
    inst = instrument if isinstance(instrument, Path) else REAL / f"{instrument}.toml"
    result = run("responses", "check", path, "-i", inst, "--json", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def refused(path: Path, instrument: Path, *extra: object) -> str:
    """The error ``responses check`` stops with."""
    result = run("responses", "check", path, "-i", instrument, *extra)
    assert result.exit_code == 1, result.output
    return result.output


def score(path: Path, instrument: str, out: Path, *extra: object) -> dict[str, Any]:
    """``implassess score --json`` into ``out``; returns its summary."""
    result = run("score", path, "-i", REAL / f"{instrument}.toml", "-o", out, "--json", "--reproducible", *extra)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def rejected(report: dict[str, Any]) -> list[tuple[int, str | None, list[str]]]:
    return [(r["row"], r["respondent"], r["reasons"]) for r in report["rejected"]]


def roles(report: dict[str, Any]) -> dict[str, tuple[str, str | None, str]]:
    return {c["column"]: (c["role"], c["target"], c["how"]) for c in report["columns"]}


def dimension(out: Path, dim: str) -> dict[str, Any]:
    """The organisation's result for one dimension, from the profile ``score`` wrote."""
    profile = json.loads((out / "profile.json").read_text(encoding="utf-8"))
    return next(d for d in profile["organisation"]["dimensions"] if d["id"] == dim)


def item(out: Path, item_id: str) -> dict[str, Any]:
    profile = json.loads((out / "profile.json").read_text(encoding="utf-8"))
    return next(i for i in profile["organisation"]["items"] if i["id"] == item_id)


def manifest_rejections(out: Path) -> list[tuple[int, list[str]]]:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    return [(r["row"], r["reasons"]) for r in manifest["responses"]["rejected_rows"]]


def assert_nothing_personal(out: Path, values: list[str]) -> None:
    """No file ``score`` wrote holds any of ``values`` (its bytes are searched, in UTF-8)."""
    files = {p.name: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    assert set(files) >= {"profile.json", "manifest.json", "groups.csv", "respondents_long.csv"}
    leaks = [(name, v) for name, data in files.items() for v in values if v.encode("utf-8") in data]
    assert leaks == []


def variant(tmp_path: Path, instrument: str, old: str, new: str) -> Path:
    """A copy of a test instrument with one piece of text replaced."""
    text = (REAL / f"{instrument}.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"{instrument}-variant.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def one_item(tmp_path: Path, instrument: str, item_id: str, text: str) -> Path:
    """A copy of a test instrument whose only item is ``item_id`` with ``text`` (on the first dimension and scale)."""
    source = (REAL / f"{instrument}.toml").read_text(encoding="utf-8")
    head = source.split("\n[[items]]\n")[0]
    first = source.split("\n[[items]]\n")[1]
    dim = first.split('dimension = "')[1].split('"')[0]
    scale = first.split('scale = "')[1].split('"')[0]
    path = tmp_path / f"{instrument}-{item_id}.toml"
    path.write_text(
        f'{head}\n[[items]]\nid = "{item_id}"\ntext = {json.dumps(text, ensure_ascii=False)}\n'
        f'dimension = "{dim}"\nscale = "{scale}"\n',
        encoding="utf-8",
    )
    return path


# == Qualtrics, real exports ==========================================================================================


def test_real_qualtrics_2018_sample(shared_exports: Path, tmp_path: Path) -> None:
    """qualtRics' sample.csv: three header rows, question row in German, Status 0, one response.

    Its one multiple-choice question Q1 is answered 2. On the test scale 1–3:
    POMP = 100 · (2 − 1) / (3 − 1) = 50.0.
    """
    path = shared_exports / "qualtrics" / "qualtRics_sample.csv"
    report = check(path, "qualtrics_sample")
    assert report["reader"] == "qualtrics"
    assert (report["rows_read"], report["accepted"], rejected(report)) == (1, 1, [])
    cols = roles(report)
    assert cols["Q1"] == ("item", "mc", "question text")
    assert cols["ResponseId"] == ("respondent-id", None, "reader")
    assert cols["RecordedDate"] == ("submitted-at", None, "reader")
    assert report["personal_columns_dropped"] == [
        "IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
        "LocationLatitude", "LocationLongitude",
    ]  # fmt: skip
    out = tmp_path / "out"
    summary = score(path, "qualtrics_sample", out, "--min-group-size", "1", "--accept-small-groups")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (1, 1, 0)
    assert dimension(out, "choice")["score_0_100"] == pytest.approx(50.0)
    assert_nothing_personal(out, ["130.92.34.66", "47.115097045898", "7.2315979003906", "Hello World!"])


def test_real_qualtrics_legacy_sample(shared_exports: Path, tmp_path: Path) -> None:
    """qualtRics' sample_legacy.csv: V1 … V10 over ResponseID … Finished, a UTF-8 BOM, a trailing empty column.

    The same response as the 2018 sample: Q1 = 2 on 1–3, POMP = 100 · (2 − 1) / 2 = 50.0.
    V1 (ResponseID) is the respondent id, V9 (EndDate) the submission date; V3 Name, V4,
    V5 EmailAddress and V6 IPAddress are dropped.
    """
    path = shared_exports / "qualtrics" / "qualtRics_sample_legacy.csv"
    report = check(path, "qualtrics_sample")
    assert report["reader"] == "qualtrics"
    assert (report["rows_read"], report["accepted"], rejected(report)) == (1, 1, [])
    cols = roles(report)
    assert cols["V1"] == ("respondent-id", None, "reader")
    assert cols["V9"] == ("submitted-at", None, "reader")
    assert cols["Q1"] == ("item", "mc", "question text")
    assert report["personal_columns_dropped"] == [
        "V3", "V4", "V5", "V6", "LocationLatitude", "LocationLongitude", "LocationAccuracy"
    ]  # fmt: skip
    out = tmp_path / "out"
    summary = score(path, "qualtrics_sample", out, "--min-group-size", "1", "--accept-small-groups")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (1, 1, 0)
    assert dimension(out, "choice")["score_0_100"] == pytest.approx(50.0)
    wide = (out / "respondents_wide.csv").read_text(encoding="utf-8")
    assert wide.splitlines()[1].startswith("3,")  # the respondent's row; its id (V1) reaches no file
    assert "R_2YPOQ602ER1jkf1" not in wide
    assert_nothing_personal(out, ["130.92.34.66", "47.115097045898", "7.2315979003906", "Hello World!"])


NO_BASIS = "QualtricsTools_No_Basis_for_Evaluation_Legacy.csv"
NO_BASIS_IDS = [
    "R_ebopwASnJ6p0KSp", "R_9mZ86nFH0t9KX6l", "R_6FNzHBiAGDCdM4B", "R_diNwdECk6BEVBWZ", "R_3PqO8Mmwyje46uV",
    "R_0dH3DSZjRHe9fGl", "R_cOdOZnN9lYDQicR", "R_1RmBFQANG2Su94F", "R_9tdJaY19Ne32HM9", "R_3fQX2VyNw450YG9",
    "R_4YMDEHl4OxNj6v3", "R_emoLed7cY1OcoTz", "R_6D2hcZIh63E8A4d", "R_bC6Ecf6yG5YhHnv", "R_cMkftXWgl0BWu0Z",
]  # fmt: skip


def test_real_qualtrics_legacy_test_responses_are_set_aside(shared_exports: Path, tmp_path: Path) -> None:
    """QualtricsTools' No Basis for Evaluation (legacy): all 15 rows are generated test responses (V7 = 2).

    Each is rejected naming V7, the legacy export's Status column, so nothing is scored;
    the squash items Q3_1 and Q4_1 are still found by their column ids.
    """
    path = shared_exports / "qualtrics" / NO_BASIS
    report = check(path, "qualtrics_no_basis")
    assert report["reader"] == "qualtrics"
    assert (report["rows_read"], report["accepted"]) == (15, 0)
    assert rejected(report) == [(row, rid, [TEST_REASON.format("V7")]) for row, rid in enumerate(NO_BASIS_IDS, 3)]
    assert roles(report)["Q3_1"] == ("item", "Q3_1", "item id")
    assert roles(report)["Q4_1"] == ("item", "Q4_1", "item id")
    out = tmp_path / "out"
    summary = score(path, "qualtrics_no_basis", out)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (15, 0, 15)
    assert manifest_rejections(out) == [(row, [TEST_REASON.format("V7")]) for row in range(3, 18)]
    assert_nothing_personal(out, ["42.401901245117", "71.119300842285", "Default Response Set"])


def test_real_qualtrics_legacy_identical_matrices_and_na_recodes(shared_exports: Path, tmp_path: Path) -> None:
    """The two vegetable matrices Q3 and Q4 repeat the same question and statements; -1 and -2 are NA recodes.

    Scored with ``test_responses="keep"`` (the rows are test responses) and the items by
    column id. The test scale is 1–3 with -1 "No basis for evaluation" and -2 "Not
    applicable" as non-substantive codes. (Q3_1, Q4_1) per row, NA = -1/-2, and the
    respondent's mean (one answered item of two is enough):

        row  3: NA, 3 → 3      row  8: 1, NA → 1     row 13: 3, 3 → 3
        row  4: 2, 2  → 2      row  9: 1, NA → 1     row 14: 2, 3 → 2.5
        row  5: 3, NA → 3      row 10: 3, NA → 3     row 15: NA, 1 → 1
        row  6: NA, 3 → 3      row 11: 2, 1  → 1.5   row 16: 3, 3 → 3
        row  7: 1, NA → 1      row 12: NA, NA → none row 17: NA, 2 → 2

    14 scored, sum 30, mean 30/14 = 2.142857; POMP = 100 · (2.142857 − 1) / 2 = 57.142857.
    Q3_1 has 5 NA (-1); Q4_1 has 4 × -1 and 2 × -2.
    """
    path = shared_exports / "qualtrics" / NO_BASIS
    # Matched by their statement text alone, the two matrices' squash columns are the same: an error naming both.
    statement_only = one_item(tmp_path, "qualtrics_no_basis", "squash", "Squash")
    assert refused(path, statement_only) == (
        f"Error: {path}: Columns 'Q3_1', 'Q4_1' all map to item 'squash' (question text); expected one column per "
        "item. Say which one holds the item in a mapping file ([columns]) and map the other to 'ignore'.\n"
    )
    out = tmp_path / "out"
    summary = score_export(
        path, str(REAL / "qualtrics_no_basis.toml"), out, options={"test_responses": "keep"}, reproducible=True
    )
    rs = summary.responses
    assert (rs.rows_read, rs.n, rs.rejected) == (15, 15, ())
    assert rs.respondent_ids == tuple(NO_BASIS_IDS)
    assert rs.warnings[:2] == (
        "Kept 15 survey test response(s) (Status 2 in column 'V7') because test_responses='keep': they were "
        "generated or entered to test the survey, not given by respondents.",
        "Negative Qualtrics recode values, which usually stand for an option such as 'Not applicable' or 'No basis "
        "for evaluation': 'Q1' (-1 in 2 row(s)); 'Q3_1' (-1 in 5 row(s)); 'Q3_2' (-1 in 4 row(s)); 'Q3_3' (-1 in 4 "
        "row(s)); 'Q3_4' (-1 in 4 row(s)); 'Q4_1' (-1 in 4 row(s), -2 in 2 row(s)); 'Q4_2' (-1 in 2 row(s), -2 in 5 "
        "row(s)); 'Q4_3' (-1 in 4 row(s), -2 in 3 row(s)) and 1 more column(s). On an item they are outside its "
        "scale and reject the row unless declared: give the scale an option with the value as its code ({ label = "
        '"No basis for evaluation", code = "-1", non-substantive = true }), or map it in a mapping file ([answers] '
        '"-1" = "missing").',
    )
    squash = dimension(out, "squash")
    assert (squash["n"], squash["score_0_100"]) == (14, pytest.approx(100 * (30 / 14 - 1) / 2))
    assert item(out, "Q3_1")["set_apart"] == {"No basis for evaluation": 5, "Not applicable": 0}
    assert item(out, "Q4_1")["set_apart"] == {"No basis for evaluation": 4, "Not applicable": 2}
    assert_nothing_personal(out, ["42.401901245117", "71.119300842285", "Default Response Set"])


INSIGHTS = "QualtricsTools_Single_Answer_Matrix_Insights.csv"


def test_real_qualtrics_insights_cut_question_text_and_recodes(shared_exports: Path, tmp_path: Path) -> None:
    """QualtricsTools' Insights export: single-quoted ImportId row, question text cut to "Sca...-Statement 1".

    The test items give the recode-values matrix's full text (… "aka, Scale Values. -
    Click to write Statement 1"), which the cut text matches. All 5 rows are test
    responses (Status 2). Kept (``test_responses="keep"``) and with the mapping file
    reading the recodes 10–13 as 1–4, (Q4_1, Q4_2, Q4_3) per row and the mean:

        row 4: 12, 10, 11 → 3, 1, 2 → 2
        row 5: 12, 11, 13 → 3, 2, 4 → 3
        row 6: 12, 11, 13 → 3, 2, 4 → 3
        row 7: 10, 11, 13 → 1, 2, 4 → 7/3
        row 8: 11, 13, 12 → 2, 4, 3 → 3

    mean (2 + 3 + 3 + 7/3 + 3) / 5 = 8/3; POMP = 100 · (8/3 − 1) / 3 = 55.556.
    """
    path = shared_exports / "qualtrics" / INSIGHTS
    report = check(path, "qualtrics_insights")
    assert report["reader"] == "qualtrics"
    assert (report["rows_read"], report["accepted"]) == (5, 0)  # the ImportId row is a header, not a response
    assert [(row, reasons) for row, _, reasons in rejected(report)] == [
        (row, [TEST_REASON.format("Status")]) for row in range(4, 9)
    ]
    cols = roles(report)
    assert [cols[c] for c in ("Q4_1", "Q4_2", "Q4_3")] == [
        ("item", "rv1", "question text"), ("item", "rv2", "question text"), ("item", "rv3", "question text")
    ]  # fmt: skip
    assert cols["ResponseID"] == ("respondent-id", None, "reader")
    assert cols["EndDate"] == ("submitted-at", None, "reader")
    assert cols["matrix_question_five_question_two_TEXT"] == ("unknown", None, "")
    assert report["personal_columns_dropped"] == [
        "IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalDataReference",
        "LocationLatitude", "LocationLongitude", "LocationAccuracy",
    ]  # fmt: skip
    # The statements alone are shared by five matrices: an error naming them all, never a silent pick.
    statement_only = variant(
        tmp_path,
        "qualtrics_insights",
        "Click to write the question text This question has variables given for its RecodeValues, aka, Scale "
        'Values. - Click to write Statement 1"',
        'Click to write Statement 1"',
    )
    assert refused(path, statement_only) == (
        f"Error: {path}: Columns 'Q2_1', 'Q4_1', 'Q3_question_one', 'Q5_question_one', "
        "'matrix_question_five_question_one' all map to item 'rv1' (question text); expected one column per item. "
        "Say which one holds the item in a mapping file ([columns]) and map the other to 'ignore'.\n"
    )
    out = tmp_path / "default"
    summary = score(path, "qualtrics_insights", out)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (5, 0, 5)
    assert_nothing_personal(out, ["42.401901245117", "71.119300842285", "Massa. Mi nec facilisis"])
    out = tmp_path / "kept"
    kept = score_export(
        path,
        str(REAL / "qualtrics_insights.toml"),
        out,
        mapping=EXPORTS / "qualtrics_insights_recodes.toml",
        options={"test_responses": "keep"},
        reproducible=True,
    )
    assert (kept.responses.rows_read, kept.responses.n, kept.responses.rejected) == (5, 5, ())
    recoded = dimension(out, "recoded")
    assert (recoded["n"], recoded["score_0_100"]) == (5, pytest.approx(100 * (8 / 3 - 1) / 3))
    assert_nothing_personal(out, ["42.401901245117", "71.119300842285", "Massa. Mi nec facilisis"])


def test_real_qualtrics_insights_recodes_outside_the_scale_are_reported_per_cell(shared_exports: Path) -> None:
    """Without the mapping, the recodes 10–13 are outside the 1–4 scale: each cell says so, per column."""
    from implassess import plugins
    from implassess.ingest import read_responses

    rs = read_responses(
        shared_exports / "qualtrics" / INSIGHTS,
        plugins.get_instrument(str(REAL / "qualtrics_insights.toml")),
        options={"test_responses": "keep"},
    )
    assert (rs.rows_read, rs.n) == (5, 0)
    expected = "Column {!r}: found {!r}, which is outside scale 'four'; expected a value from 1 to 4."
    assert rs.rejected[0].reasons == (
        expected.format("Q4_1", "12"), expected.format("Q4_2", "10"), expected.format("Q4_3", "11")
    )  # fmt: skip


# == SurveyMonkey, real export =========================================================================================


def test_real_surveymonkey_resaved_by_pandas(shared_exports: Path, tmp_path: Path) -> None:
    """OHBM 2022 survey: SurveyMonkey's two header rows re-saved by pandas (index column, "Unnamed: N").

    "How would you describe the content in OHBM emails?" on the test scale 1–4, with the
    curly-quoted "I don’t know / NA" as the non-substantive "I don't know / NA". Its answers:
    not relevant (1) × 7, somewhat (2) × 139, only around the annual meeting (3) × 76,
    throughout the year (4) × 65, I don't know × 20, blank × 4. The 4 blank rows answer
    nothing and are rejected; the 20 "don't know" rows are kept without a score.
    n = 287, sum = 7 + 278 + 228 + 260 = 773, mean = 2.693380;
    POMP = 100 · (2.693380 − 1) / 3 = 56.446.
    """
    path = shared_exports / "surveymonkey" / "ohbm2022_public_survey_data.csv"
    report = check(path, "surveymonkey_ohbm2022")
    assert report["reader"] == "surveymonkey"
    assert (report["rows_read"], report["accepted"]) == (311, 307)
    blank = (
        "No item answered: all 1 item columns ('How would you describe the content in OHBM emails?') are blank; "
        "expected at least one answer."
    )
    assert rejected(report) == [(row, None, [blank]) for row in (5, 7, 35, 163)]
    cols = roles(report)
    assert cols["(pandas index)"] == ("ignore", None, "reader")
    assert cols["How would you describe the content in OHBM emails?"] == ("item", "email-content", "question text")
    # The two header rows join, "Unnamed: 13" read as the blank SurveyMonkey wrote.
    platforms = [c for c in cols if c.startswith("Which of the following platforms")]
    assert len(platforms) == 10 and platforms[1].endswith(" - Official OHBM Emails (*@humanbrainmapping.org emails)")
    assert not [c for c in cols if "Unnamed" in c]
    out = tmp_path / "out"
    summary = score(path, "surveymonkey_ohbm2022", out)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (311, 307, 4)
    emails = dimension(out, "emails")
    assert (emails["n"], emails["score_0_100"]) == (287, pytest.approx(100 * (773 / 287 - 1) / 3))
    assert item(out, "email-content")["set_apart"] == {"I don't know / NA": 20}
    # Its publisher removed the respondent ids and IP addresses; no other column's answers reach an output.
    assert_nothing_personal(
        out, ["North America (Including Canada and Mexico)", "Early-career faculty member", "OHBM Job Board"]
    )


# == Google Forms, real exports ========================================================================================


def test_real_google_forms_spanish_csv(shared_exports: Path, tmp_path: Path) -> None:
    """2019 Spanish R Community Survey: Spanish question text, CRLF lines, a header that appears twice.

    "Por favor calificá cuánto disfrutas usando R … del 1 al 5": 5 × 196, 4 × 99, 3 × 30,
    2 × 2, 1 × 2, blank × 9 (those 9 rows answer nothing and are rejected).
    n = 329, sum = 980 + 396 + 90 + 4 + 2 = 1472, mean = 4.474164;
    POMP = 100 · (4.474164 − 1) / 4 = 86.854.
    """
    path = shared_exports / "googleforms" / "rcs2019_spanish_responses.csv"
    report = check(path, "googleforms_rcs2019_es")
    assert report["reader"] == "googleforms"
    assert (report["rows_read"], report["accepted"]) == (338, 329)
    blank = (
        "No item answered: all 1 item columns ('Por favor calificá cuánto disfrutas usando R en una escala del 1 al "
        "5, donde 1 es que no lo disfrutas para nada y 5 es que lo disfrutas mucho.') are blank; expected at least "
        "one answer."
    )
    assert rejected(report) == [(row, None, [blank]) for row in (52, 143, 162, 166, 184, 249, 265, 332, 338)]
    assert roles(report)["Timestamp"] == ("submitted-at", None, "reader")
    out = tmp_path / "out"
    summary = score(path, "googleforms_rcs2019_es", out)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (338, 329, 9)
    enjoy = dimension(out, "disfrute")
    assert (enjoy["n"], enjoy["score_0_100"]) == (329, pytest.approx(100 * (1472 / 329 - 1) / 4))
    assert_nothing_personal(out, ["Ingeniero eléctrico", "Dueño", "Leí artículos donde lo usan"])


def test_real_google_forms_duplicate_header_is_never_read_silently(shared_exports: Path, tmp_path: Path) -> None:
    """The question "¿Qué opción refleja mejor la razón principal por la que aprendiste R?" heads two columns.

    An item with that text matches both (the copy is named "… (2)"); the error names both
    instead of reading one and leaving the other unread.
    """
    path = shared_exports / "googleforms" / "rcs2019_spanish_responses.csv"
    question = "¿Qué opción refleja mejor la razón principal por la que aprendiste R?"
    instrument = variant(
        tmp_path,
        "googleforms_rcs2019_es",
        "Por favor calificá cuánto disfrutas usando R en una escala del 1 al 5, donde 1 es que no lo disfrutas para "
        "nada y 5 es que lo disfrutas mucho.",
        question,
    )
    assert refused(path, instrument) == (
        f"Error: {path}: Columns {question!r}, {question + ' (2)'!r} all map to item 'disfruta-r' (question text); "
        "expected one column per item. Say which one holds the item in a mapping file ([columns]) and map the other "
        "to 'ignore'.\n"
    )


def test_real_google_forms_workbook_with_date_cells(shared_exports: Path, tmp_path: Path) -> None:
    """2019 English R Community Survey downloaded as XLSX: Timestamp as date cells, numbers as numbers.

    Enjoying R (1–5): 5 × 1272, 4 × 441, 3 × 65, 2 × 17, 1 × 3 (n = 1798):
    sum = 6360 + 1764 + 195 + 34 + 3 = 8356, mean = 4.647386;
    POMP = 100 · (4.647386 − 1) / 4 = 91.185.
    Using the tidyverse now (Never 1 … Usually 4): 1 × 22, 2 × 60, 3 × 192, 4 × 1500
    (n = 1774), and 23 × "I don't know what tidyverse is" set apart: sum = 22 + 120 + 576 +
    6000 = 6718; POMP = 100 · (6718/1774 − 1) / 3 = 92.897.
    39 rows answer neither (31 of them hold nothing but the timestamp) and are rejected.
    """
    path = shared_exports / "googleforms" / "rcs2019_english_responses.xlsx"
    report = check(path, "googleforms_rcs2019_en")
    assert report["reader"] == "googleforms"
    assert (report["rows_read"], report["accepted"]) == (1838, 1799)
    rows = [row for row, _, _ in rejected(report)]
    assert rows == [
        69, 70, 71, 72, 73, 74, 75, 76, 77, 83, 84, 85, 93, 94, 95, 96, 103, 104, 105, 106, 108, 109, 110, 111, 112,
        113, 114, 334, 335, 336, 337, 390, 394, 469, 759, 777, 1163, 1806, 1837,
    ]  # fmt: skip
    assert {reason.split(":")[0] for _, _, reasons in rejected(report) for reason in reasons} == {"No item answered"}
    assert roles(report)["Timestamp"] == ("submitted-at", None, "reader")
    out = tmp_path / "out"
    summary = score(path, "googleforms_rcs2019_en", out)
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (1838, 1799, 39)
    enjoy, tidy = dimension(out, "enjoyment"), dimension(out, "tidyverse")
    assert (enjoy["n"], enjoy["score_0_100"]) == (1798, pytest.approx(100 * (8356 / 1798 - 1) / 4))
    assert (tidy["n"], tidy["score_0_100"]) == (1774, pytest.approx(100 * (6718 / 1774 - 1) / 3))
    assert item(out, "tidyverse-now")["set_apart"] == {"I don't know what tidyverse is": 23}
    assert_nothing_personal(out, ["Operations Research Analyst", "Data Specialist", "TurboPascal"])


# == Qualtrics, fixtures of each shape ================================================================================


def test_qualtrics_2018_export_with_a_german_question_row(tmp_path: Path) -> None:
    """Three header rows, the second in German; Status 0 responses, a preview (1) and a test (2) set aside.

    Items matched by their German text. (f1, f2, f3) and the mean of the kept responses:
    row 4: 3, 4, 3 → 10/3; row 5: 4, 4, 4 → 4; row 6: 2, 1, 2 → 5/3; row 9: 3, –, 2 → 2.5.
    Mean (10/3 + 4 + 5/3 + 2.5) / 4 = 2.875; POMP = 100 · (2.875 − 1) / 3 = 62.5.
    """
    path = EXPORTS / "qualtrics_2018_de.csv"
    report = check(path, "qualtrics_fixtures_de")
    assert report["reader"] == "qualtrics"
    assert (report["rows_read"], report["accepted"]) == (6, 4)
    assert rejected(report) == [
        (7, "R_4pReViEw000004", [PREVIEW_REASON.format("Status")]),
        (8, "R_5tEsT00000005", [TEST_REASON.format("Status")]),
    ]
    assert [roles(report)[c] for c in ("Q1_1", "Q1_2", "Q1_3")] == [
        ("item", "f1", "question text"), ("item", "f2", "question text"), ("item", "f3", "question text")
    ]  # fmt: skip
    out = tmp_path / "out"
    summary = score(path, "qualtrics_fixtures_de", out, "--min-group-size", "3")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (6, 4, 2)
    assert dimension(out, "fuehrung")["score_0_100"] == pytest.approx(62.5)
    assert_nothing_personal(
        out,
        ["198.51.100.2", "Keller", "Brunner", "Weber", "Schmidt", "@example.de", "EMP-447", "47.3769", "8.5417",
         "Gute Arbeit"],
    )  # fmt: skip


LEGACY_PERSONAL = [
    "Lee, Morgan", "Shah, Asha", "Ng, Kim", "Ose, Taro", "Byrne, Bea", "@example.org", "203.0.113.", "51.5072",
    "-0.1276", "55.9533",
]  # fmt: skip


def test_qualtrics_legacy_export(tmp_path: Path) -> None:
    """Legacy V1 … V10 export with a BOM, a trailing empty column, Status in V7 and NA recodes -1/-2.

    Q1 and Q2 are the same matrix twice (identical question and statements). The items
    are Q1_1 … Q1_3 by column id, so Q2's columns, which match them by text, are left
    out with a warning each. With -1 "No basis for evaluation" and -2 "Not applicable"
    declared non-substantive, (Q1_1, Q1_2, Q1_3) and the mean where at least 2 of 3 are
    answered:

        row 3: 3, 4, NA → 3.5        row 8: NA, NA, NA → none
        row 4: 4, 4, 3 → 11/3        row 9: 2, 3, 2 → 7/3
        row 7: 2, NA, NA → none      row 10: 1, 2, NA → 1.5

    Rows 5 (V7 = 2, test) and 6 (V7 = 1, preview) are set aside. Mean (3.5 + 11/3 + 7/3 +
    1.5) / 4 = 2.75; POMP = 100 · (2.75 − 1) / 3 = 58.333.
    """
    path = EXPORTS / "qualtrics_legacy.csv"
    report = check(path, "qualtrics_fixtures")
    assert report["reader"] == "qualtrics"
    assert (report["rows_read"], report["accepted"]) == (8, 6)
    assert rejected(report) == [
        (5, "R_cTeSt000000003", [TEST_REASON.format("V7")]),
        (6, "R_dPrEvIeW000004", [PREVIEW_REASON.format("V7")]),
    ]
    cols = roles(report)
    assert cols["V1"] == ("respondent-id", None, "reader")
    assert [cols[c] for c in ("Q1_1", "Q2_1")] == [("item", "Q1_1", "item id"), ("ignore", None, "superseded")]
    assert report["personal_columns_dropped"] == [
        "V3", "V4", "V5", "V6", "LocationLatitude", "LocationLongitude", "LocationAccuracy"
    ]  # fmt: skip
    assert (
        "Column 'Q2_1' also matches item 'Q1_1', which column 'Q1_1' provides; 'Q2_1' is not used."
        in (report["warnings"])
    )
    out = tmp_path / "out"
    summary = score(path, "qualtrics_fixtures", out, "--min-group-size", "3")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (8, 6, 2)
    manager = dimension(out, "manager")
    assert (manager["n"], manager["score_0_100"]) == (4, pytest.approx(100 * (2.75 - 1) / 3))
    assert item(out, "Q1_1")["set_apart"] == {"No basis for evaluation": 1, "Not applicable": 0}
    assert_nothing_personal(out, LEGACY_PERSONAL)


def test_qualtrics_legacy_na_recodes_undeclared_are_reported_per_column(tmp_path: Path) -> None:
    """Without the -1/-2 codes in the scale, the NA recodes are outside it: a warning per column says where
    they are and how to declare them, and each row holding one is rejected naming the cell."""
    instrument = variant(
        tmp_path,
        "qualtrics_fixtures",
        '  { label = "No basis for evaluation", code = "-1", non-substantive = true },\n'
        '  { label = "Not applicable", code = "-2", non-substantive = true },\n',
        "",
    )
    report = check(EXPORTS / "qualtrics_legacy.csv", instrument)
    assert report["warnings"][0] == (
        "Negative Qualtrics recode values, which usually stand for an option such as 'Not applicable' or 'No basis "
        "for evaluation': 'Q1_1' (-1 in 1 row(s)); 'Q1_2' (-1 in 2 row(s)); 'Q1_3' (-1 in 2 row(s), -2 in 2 "
        "row(s)); 'Q2_1' (-2 in 1 row(s)). On an item they are outside its scale and reject the row unless "
        'declared: give the scale an option with the value as its code ({ label = "No basis for evaluation", code '
        '= "-1", non-substantive = true }), or map it in a mapping file ([answers] "-1" = "missing").'
    )
    outside = "Column {!r}: found {!r}, which is outside scale 'agree4'; expected a value from 1 to 4."
    assert [(row, reasons) for row, _, reasons in rejected(report)] == [
        (3, [outside.format("Q1_3", "-1")]),
        (5, [TEST_REASON.format("V7")]),
        (6, [PREVIEW_REASON.format("V7")]),
        (7, [outside.format("Q1_2", "-1"), outside.format("Q1_3", "-2")]),
        (8, [outside.format(c, "-1") for c in ("Q1_1", "Q1_2", "Q1_3")]),
        (10, [outside.format("Q1_3", "-2")]),
    ]
    # A mapping file can declare them instead of the instrument.
    mapping = tmp_path / "mapping.toml"
    mapping.write_text('[answers]\n"-1" = "missing"\n"-2" = "missing"\n', encoding="utf-8")
    report = check(EXPORTS / "qualtrics_legacy.csv", instrument, "--mapping", mapping)
    assert (report["accepted"], [row for row, _, _ in rejected(report)]) == (6, [5, 6])


def test_qualtrics_legacy_test_responses_can_be_kept(tmp_path: Path) -> None:
    """``test_responses="keep"`` scores generated test responses (Status 2) but never previews (Status 1)."""
    from implassess import plugins
    from implassess.errors import InputError
    from implassess.ingest import read_responses

    instrument = plugins.get_instrument(str(REAL / "qualtrics_fixtures.toml"))
    rs = read_responses(EXPORTS / "qualtrics_legacy.csv", instrument, options={"test_responses": "keep"})
    assert (rs.rows_read, rs.n) == (8, 7)
    assert [(r.row, r.reasons) for r in rs.rejected] == [(6, (PREVIEW_REASON.format("V7"),))]
    assert rs.warnings[0] == (
        "Kept 1 survey test response(s) (Status 2 in column 'V7') because test_responses='keep': they were "
        "generated or entered to test the survey, not given by respondents."
    )
    with pytest.raises(InputError) as err:
        read_responses(EXPORTS / "qualtrics_legacy.csv", instrument, options={"test_responses": "yes"})
    assert str(err.value) == (
        f"{EXPORTS / 'qualtrics_legacy.csv'}: Reader option test_responses is 'yes'; expected 'exclude' (the "
        "default: generated test responses, Status 2, are set aside) or 'keep'."
    )


def test_qualtrics_2016_export_with_single_quoted_import_ids(tmp_path: Path) -> None:
    """2016–17 export: the third header row reads {'ImportId': 'QID1-1'} with single quotes.

    The ImportId row is a header, not a response; ResponseID is the respondent id and
    EndDate the submission date (there is no RecordedDate). Kept rows (Q1_1, Q1_2, Q1_3):
    row 4: 4, 3, 4 → 11/3; row 6: 3, 3, 2 → 8/3; row 7: 2, NA (-1), 3 → 2.5.
    Mean (11/3 + 8/3 + 2.5) / 3 = 2.944444; POMP = 100 · (2.944444 − 1) / 3 = 64.815.
    """
    path = EXPORTS / "qualtrics_2016_importid.csv"
    report = check(path, "qualtrics_fixtures")
    assert report["reader"] == "qualtrics"
    assert (report["rows_read"], report["accepted"]) == (5, 3)
    assert rejected(report) == [
        (5, "R_2tEsT000000002", [TEST_REASON.format("Status")]),
        (8, "R_5pReViEw000005", [PREVIEW_REASON.format("Status")]),
    ]
    cols = roles(report)
    assert cols["ResponseID"] == ("respondent-id", None, "reader")
    assert cols["EndDate"] == ("submitted-at", None, "reader")
    assert cols["ResponseSet"] == ("ignore", None, "reader")
    out = tmp_path / "out"
    summary = score(path, "qualtrics_fixtures", out, "--min-group-size", "3")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (5, 3, 2)
    assert dimension(out, "manager")["score_0_100"] == pytest.approx(100 * ((11 / 3 + 8 / 3 + 2.5) / 3 - 1) / 3)
    assert_nothing_personal(
        out, ["Okafor", "Dubois", "Rossi", "@example.org", "203.0.113.", "EXT-00", "52.52", "48.8566", "41.9028"]
    )


def test_qualtrics_insights_export_cut_question_text_and_recodes(tmp_path: Path) -> None:
    """Insights-style export: question text cut to 97 characters and "...", then "-Statement"; recodes 10–13.

    The items carry the full question text and match the cut one; the text-entry column
    Q5_3_TEXT, which repeats Q5_3's text, is not taken for the same item. With the mapping
    reading 10–13 as 1–4, (Q5_1, Q5_2, Q5_3): row 4: 12, 13, 11 → 3, 4, 2 → 3;
    row 5: 10, 11, 10 → 1, 2, 1 → 4/3; row 6: 13, 12, 12 → 4, 3, 3 → 10/3; row 7 is a test.
    Mean (3 + 4/3 + 10/3) / 3 = 23/9; POMP = 100 · (23/9 − 1) / 3 = 51.852.
    """
    path = EXPORTS / "qualtrics_insights.csv"
    mapping = EXPORTS / "qualtrics_insights_recodes.toml"
    report = check(path, "qualtrics_fixtures_insights", "--mapping", mapping)
    assert report["reader"] == "qualtrics"
    assert (report["rows_read"], report["accepted"]) == (4, 3)
    assert rejected(report) == [(7, "R_4tEsT000000004", [TEST_REASON.format("Status")])]
    cols = roles(report)
    assert [cols[c] for c in ("Q5_1", "Q5_2", "Q5_3", "Q5_3_TEXT")] == [
        ("item", "o1", "question text"), ("item", "o2", "question text"), ("item", "o3", "question text"),
        ("unknown", None, ""),
    ]  # fmt: skip
    out = tmp_path / "out"
    summary = score(path, "qualtrics_fixtures_insights", out, "--mapping", mapping, "--min-group-size", "3")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (4, 3, 1)
    assert dimension(out, "often")["score_0_100"] == pytest.approx(100 * (23 / 9 - 1) / 3)
    assert_nothing_personal(
        out, ["Silva", "Hansen", "Novak", "@example.org", "203.0.113.", "EXT-01", "Monday huddle", "38.7223"]
    )


def test_qualtrics_matrix_joint_is_found_from_the_questions_columns() -> None:
    """Legacy and 2016–17 question text joins question and statement with a bare "-"; the reader writes
    " - " where the columns of one question stop agreeing, so a statement alone can match an item."""
    from implassess.readers.qualtrics import QualtricsReader

    table = QualtricsReader().read(EXPORTS / "qualtrics_legacy.csv", {})
    assert table.labels["Q1_2"] == "How does your manager lead the change? - My manager makes time for the change."
    assert table.labels["Q3"] == "Anything else you would like to tell us?"
    table = QualtricsReader().read(EXPORTS / "qualtrics_insights.csv", {})
    cut = "Thinking about the last three months, how often did your manager do each of the following while t..."
    assert table.labels["Q5_3"] == f"{cut} - Asked how the change was going"
    assert table.labels["Q5_3_TEXT"] == f"{cut} - Asked how the change was going - Text"


# == SurveyMonkey, fixtures ===========================================================================================


def test_surveymonkey_resaved_by_pandas(tmp_path: Path) -> None:
    """Index column first, "Unnamed: 3" over the matrix's further statements, no Respondent ID, curly quotes.

    (lead1, lead2, lead3) with "I don’t know / NA" as the non-substantive option:
    row 3: 3, 4, DK → 3.5; row 4: 2, 3, 3 → 8/3; row 5: DK × 3 → none; row 7: 4, 4, 3 → 11/3.
    Row 6 answers nothing and is rejected. Mean (3.5 + 8/3 + 11/3) / 3 = 3.277778;
    POMP = 100 · (3.277778 − 1) / 3 = 75.926.
    """
    path = EXPORTS / "surveymonkey_pandas.csv"
    report = check(path, "surveymonkey_fixtures")
    assert report["reader"] == "surveymonkey"
    assert (report["rows_read"], report["accepted"]) == (5, 4)
    assert [(row, reasons[0].split(":")[0]) for row, _, reasons in rejected(report)] == [(6, "No item answered")]
    cols = roles(report)
    assert cols["(pandas index)"] == ("ignore", None, "reader")
    assert cols["How does your manager lead the change? - My manager asks how the change is going."] == (
        "item", "lead3", "question text"
    )  # fmt: skip
    out = tmp_path / "out"
    summary = score(path, "surveymonkey_fixtures", out, "--min-group-size", "3")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (5, 4, 1)
    manager = dimension(out, "manager")
    assert (manager["n"], manager["score_0_100"]) == (3, pytest.approx(100 * ((3.5 + 8 / 3 + 11 / 3) / 3 - 1) / 3))
    assert item(out, "lead1")["set_apart"] == {"I don't know / NA": 1}
    assert_nothing_personal(out, ["Huddles run late"])


def test_surveymonkey_untouched_export_with_contact_information(tmp_path: Path) -> None:
    """The two-row header as SurveyMonkey writes it, with a "Contact information" question and a repeated respondent.

    (lead1, lead2, lead3): row 3: 3, 4, 3 → 10/3; row 4: 2, 3, DK → 2.5; row 5: 4, 4, 3 →
    11/3; row 6 repeats row 3's Respondent ID and is rejected. Mean (10/3 + 2.5 + 11/3) / 3
    = 3.166667; POMP = 100 · (3.166667 − 1) / 3 = 72.222.
    """
    path = EXPORTS / "surveymonkey_untouched.csv"
    report = check(path, "surveymonkey_fixtures")
    assert report["reader"] == "surveymonkey"
    assert (report["rows_read"], report["accepted"]) == (4, 3)
    assert rejected(report) == [
        (
            6,
            "114830998101",
            [
                "Column 'Respondent ID': found '114830998101' again; respondent ids must be unique and row 3 already "
                "has it (duplicates='reject' keeps the first)."
            ],
        )
    ]
    assert report["personal_columns_dropped"] == [
        "IP Address", "Email Address", "First Name", "Last Name", "Contact information - Name",
        "Contact information - Email Address", "Contact information - Phone Number", "Contact information - City/Town",
    ]  # fmt: skip
    out = tmp_path / "out"
    summary = score(path, "surveymonkey_fixtures", out, "--min-group-size", "3")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (4, 3, 1)
    assert dimension(out, "manager")["score_0_100"] == pytest.approx(100 * ((10 / 3 + 2.5 + 11 / 3) / 3 - 1) / 3)
    assert_nothing_personal(
        out,
        ["Morgan", "Asha Shah", "@example.org", "203.0.113.", "198.51.100.2", "7946", "07700 900123", "Leeds", "York"],
    )


# == Google Forms, fixtures ============================================================================================


def test_google_forms_spanish_csv_with_a_repeated_question(tmp_path: Path) -> None:
    """Spanish headers, "Marca temporal", CRLF lines, day/month dates, and the clarity question heading two columns.

    Without a mapping the two copies are an error naming both. With the mapping saying
    which copy holds the item, revision (Nunca 1 … Siempre 4, "No sé" set apart):
    row 2: A menudo 3; row 3: Siempre 4; row 4: No sé; row 5: Nunca 1; row 6 answers nothing.
    n = 3, mean 8/3; POMP = 100 · (8/3 − 1) / 3 = 55.556.
    """
    path = EXPORTS / "googleforms_es.csv"
    question = "¿Qué tan claro es el objetivo del cambio? (1 = nada claro; 5 = muy claro)"
    assert refused(path, REAL / "googleforms_fixtures_es.toml") == (
        f"Error: {path}: Columns {question!r}, {question + ' (2)'!r} all map to item 'claro' (question text); "
        "expected one column per item. Say which one holds the item in a mapping file ([columns]) and map the other "
        "to 'ignore'.\n"
    )
    mapping = EXPORTS / "googleforms_es_mapping.toml"
    report = check(path, "googleforms_fixtures_es", "--mapping", mapping)
    assert report["reader"] == "googleforms"
    assert (report["rows_read"], report["accepted"]) == (5, 4)
    assert [(row, reasons[0].split(":")[0]) for row, _, reasons in rejected(report)] == [(6, "No item answered")]
    cols = roles(report)
    assert cols["Marca temporal"] == ("submitted-at", None, "reader")
    assert cols["Dirección de correo electrónico"][0] == "personal"
    out = tmp_path / "out"
    summary = score(path, "googleforms_fixtures_es", out, "--mapping", mapping, "--min-group-size", "3")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (5, 4, 1)
    revision = dimension(out, "revision")
    assert (revision["n"], revision["score_0_100"]) == (3, pytest.approx(100 * (8 / 3 - 1) / 3))
    assert item(out, "revisa")["set_apart"] == {"No sé": 1}
    assert_nothing_personal(out, ["@example.es", "612 345 678", "Todo bien"])


def test_google_forms_workbook_with_date_cells(tmp_path: Path) -> None:
    """XLSX download: Timestamp as date cells (with milliseconds), ratings as number cells, a timestamp-only row.

    Clarity (1–5): row 2: 4; row 3: 5; row 4: 2; row 6: blank. n = 3, mean 11/3;
    POMP = 100 · (11/3 − 1) / 4 = 66.667. Row 5 holds only its timestamp and is rejected.
    """
    path = EXPORTS / "googleforms_dates.xlsx"
    report = check(path, "googleforms_fixtures_en")
    assert report["reader"] == "googleforms"
    assert (report["rows_read"], report["accepted"]) == (5, 4)
    assert [(row, reasons[0].split(":")[0]) for row, _, reasons in rejected(report)] == [(5, "No item answered")]
    assert roles(report)["Timestamp"] == ("submitted-at", None, "reader")
    assert not [w for w in report["warnings"] if "date" in w.casefold()]
    out = tmp_path / "out"
    summary = score(path, "googleforms_fixtures_en", out, "--min-group-size", "3")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (5, 4, 1)
    clarity = dimension(out, "clarity")
    assert (clarity["n"], clarity["score_0_100"]) == (3, pytest.approx(100 * (11 / 3 - 1) / 4))
    assert item(out, "reviews")["set_apart"] == {"I don't know": 1}
    assert_nothing_personal(out, ["Ward manager", "Head of nursing"])


# == Microsoft Forms, fixtures =========================================================================================


def test_microsoft_forms_workbook(tmp_path: Path) -> None:
    """ID, Start time, Completion time, Email, Name, Last modified time, then questions with choice text.

    Clarity (Not at all clear 1 … Very clear 4, "Don't know" set apart): 3, 4, DK, 1.
    n = 3, mean 8/3; POMP = 100 · (8/3 − 1) / 3 = 55.556.
    """
    path = EXPORTS / "msforms_survey.xlsx"
    report = check(path, "msforms_fixtures")
    assert report["reader"] == "msforms"
    assert (report["rows_read"], report["accepted"], rejected(report)) == (4, 4, [])
    cols = roles(report)
    assert cols["ID"] == ("respondent-id", None, "reader")
    assert cols["Completion time"] == ("submitted-at", None, "reader")
    assert report["personal_columns_dropped"] == ["Email", "Name"]
    out = tmp_path / "out"
    summary = score(path, "msforms_fixtures", out, "--min-group-size", "3")
    assert (summary["rows_read"], summary["accepted"], summary["rejected"]) == (4, 4, 0)
    clarity = dimension(out, "clarity")
    assert (clarity["n"], clarity["score_0_100"]) == (3, pytest.approx(100 * (8 / 3 - 1) / 3))
    assert_nothing_personal(out, ["@contoso.example", "Morgan Lee", "Kim Ng"])


@pytest.mark.parametrize("name", ["msforms_quiz.xlsx", "msforms_quiz_saved.csv"])
def test_microsoft_forms_quiz_marks_are_not_answers(name: str, tmp_path: Path) -> None:
    """A quiz adds Total points, Quiz feedback and "Points - Question" / "Feedback - Question" columns.

    Read as question text, "Points - How clear is the goal of the change?" would match the
    clarity item a second time; the reader ignores the marks, in the workbook and in a CSV
    saved from it. Clarity: 3, 4, 2 → mean 3; POMP = 100 · (3 − 1) / 3 = 66.667.
    """
    path = EXPORTS / name
    report = check(path, "msforms_fixtures")
    assert report["reader"] == "msforms"
    assert (report["rows_read"], report["accepted"], rejected(report)) == (3, 3, [])
    cols = roles(report)
    marks = [c for c in cols if c.startswith(("Points - ", "Feedback - ")) or c in ("Total points", "Quiz feedback")]
    assert len(marks) == 6 and {cols[c] for c in marks} == {("ignore", None, "reader")}
    out = tmp_path / "out"
    score(path, "msforms_fixtures", out, "--min-group-size", "3")
    assert dimension(out, "clarity")["score_0_100"] == pytest.approx(100 * (3 - 1) / 3)
    assert_nothing_personal(out, ["@contoso.example", "Morgan Lee", "Kim Ng", "Asha Shah"])
