"""Hostile and broken files: each is an InputError naming the file, never another exception.

Rows that are merely wrong are rejected with reasons; files that cannot be read at all
exit 1 with one message. Hypothesis feeds random and mutated bytes and asserts that only
:class:`~implassess.errors.ImplassessError` is raised and that rows always reconcile.
"""

from __future__ import annotations

import codecs
import io
import json
import math
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from implassess import plugins
from implassess.cli import cli
from implassess.cli import responses as cli_responses
from implassess.errors import ImplassessError, InputError
from implassess.ingest import read_responses
from implassess.readers.xlsx import write_workbook

HERE = Path(__file__).resolve().parent
MINIMAL = HERE / "fixtures" / "instruments" / "minimal.toml"
HEADER = "respondent_id,site,p1,p2,p3,l1,l2\n"


def run(*args: object):
    if "responses" not in cli.commands:
        cli.add_command(cli_responses.responses)
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def minimal():
    return plugins.get_instrument(str(MINIMAL))


def error_of(path: Path, *extra: object) -> str:
    result = run("responses", "check", path, "-i", MINIMAL, *extra)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    return result.output


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"\n  \r\n")
    assert error_of(path) == f"Error: {path}: The file is empty; expected a header row followed by data rows.\n"


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert error_of(path) == f"Error: {path}: The file does not exist.\n"


def test_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    assert error_of(path, "--format", "csv") == (
        f"Error: {path}: The file contains NUL characters (first at offset 8); it looks binary, not like a text "
        "export. Expected a CSV, TSV, JSON or XLSX file.\n"
    )


def test_no_reader_claims_garbage(tmp_path: Path) -> None:
    path = tmp_path / "photo.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00")
    assert error_of(path) == (
        f"Error: {path}: No reader recognises this file. Expected one of: csv, googleforms, json, jsonl, kpi, "
        "msforms, qualtrics, redcap, surveymonkey, xlsform, xlsx; choose one with --format (format=).\n"
    )


def test_windows_1252_file_names_the_byte_and_the_fix(tmp_path: Path, minimal) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes((HEADER + "R1,Café Nord,4,4,4,4,4\n").encode("cp1252"))
    assert error_of(path) == (
        f"Error: {path}: Not UTF-8 text: byte 0xe9 on line 2 (offset 40) cannot be decoded. If Excel saved it as 'CSV' "
        "on Windows, read it with encoding 'cp1252' (--encoding cp1252), or save it again as 'CSV UTF-8'.\n"
    )
    rs = read_responses(path, minimal, options={"encoding": "cp1252"})
    assert rs.attributes["site"] == ("Café Nord",)


def test_utf16_tab_separated_qualtrics_export(tmp_path: Path, minimal) -> None:
    # Qualtrics' "TSV" download is UTF-16 with a BOM.
    source = (HERE / "fixtures" / "exports" / "qualtrics_text.csv").read_text(encoding="utf-8")
    import csv

    rows = list(csv.reader(io.StringIO(source)))
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\r\n").writerows(rows)
    path = tmp_path / "qualtrics.tsv"
    path.write_bytes(codecs.BOM_UTF16_LE + buf.getvalue().encode("utf-16-le"))
    rs = read_responses(path, minimal)
    assert rs.n == 3 and len(rs.rejected) == 4 and rs.reconciles()


def test_wrong_delimiter_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "semicolons.csv"
    path.write_text(HEADER.replace(",", ";") + "R1;North;4;4;4;4;4\n", encoding="utf-8")
    assert error_of(path, "--delimiter", ",") == (
        f"Error: {path}: None of the 1 columns matches an item of instrument 'minimal'. Found columns "
        "'respondent_id;site;p1;p2;p3;l1;l2'; expected item ids (such as 'p1', 'p2', 'p3'), the items' question "
        "text, or a mapping file (--mapping) naming the columns. The file splits into a single column with the "
        "comma delimiter; is it delimited by something else? Pass --delimiter.\n"
    )


def test_detected_semicolon_delimiter(tmp_path: Path, minimal) -> None:
    path = tmp_path / "semicolons.csv"
    path.write_text(HEADER.replace(",", ";") + "R1;North;4;4;4;4;4\n", encoding="utf-8")
    assert read_responses(path, minimal).n == 1


def test_huge_cell(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(HEADER + "R1,North,4,4,4,4,4\n" + "R2," + "x" * 1_100_000 + ",4,4,4,4,4\n", encoding="utf-8")
    assert error_of(path) == (
        f"Error: {path}: Near line 3 a cell is longer than 1,048,576 characters; expected survey answers of "
        "ordinary size. The file is damaged or is not delimited text.\n"
    )


def test_text_file_forced_as_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text(HEADER, encoding="utf-8")
    assert error_of(path, "--format", "xlsx") == (
        f"Error: {path}: Not an XLSX workbook: the file does not start like a ZIP archive. Expected an Excel "
        ".xlsx file.\n"
    )


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "not a workbook")
    message = error_of(path)
    assert message.startswith(f"Error: {path}: Not an XLSX workbook (")
    assert message.endswith("Expected an Excel .xlsx file; save an old .xls file as .xlsx first.\n")


def test_workbook_without_header(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    path.write_bytes(write_workbook([("Sheet1", [])]))
    assert error_of(path, "--format", "xlsx") == (
        f"Error: {path}: No header row within the first 20 rows; expected a header row then data rows.\n"
    )


def test_malformed_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('[{"respondent_id": "R1", "p1": 4}, {"p1": ]', encoding="utf-8")
    assert error_of(path) == (
        f"Error: {path}: Not valid JSON at line 1, column 43: Expecting value; expected an array.\n"
    )


def test_json_object_instead_of_array(tmp_path: Path) -> None:
    path = tmp_path / "object.json"
    path.write_text('{"respondent_id": "R1", "p1": 4}', encoding="utf-8")
    assert error_of(path, "--format", "json") == (
        f"Error: {path}: The JSON holds a dict; expected an array of objects, one per response.\n"
    )


def test_header_only_file_reads_as_no_respondents(tmp_path: Path, minimal) -> None:
    path = tmp_path / "header.csv"
    path.write_text(HEADER, encoding="utf-8")
    rs = read_responses(path, minimal)
    assert (rs.n, rs.rows_read, rs.values.shape) == (0, 0, (0, 5))


def test_blank_lines_are_skipped_and_noted(tmp_path: Path, minimal) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text(HEADER + "R1,North,4,4,4,4,4\n\n,,,,,,\nR2,South,3,3,3,3,3\n", encoding="utf-8")
    rs = read_responses(path, minimal)
    assert rs.rows == (2, 5)
    assert "Skipped 2 blank row(s)." in rs.warnings


def test_a_plugin_reader_returning_ragged_rows_is_still_accounted(minimal, tmp_path: Path) -> None:
    from implassess.contracts import RawTable

    class Sloppy:
        name = "sloppy"
        description = "Returns rows of any length."

        def sniff(self, path: Path, head: bytes) -> float:
            return 0.0

        def read(self, path: Path, options: dict) -> RawTable:
            return RawTable(str(path), self.name, ("respondent_id", "p1"), [(2, ("R1", "4")), (3, ("R2",))])

    class Plugin:
        from implassess import hookimpl

        @hookimpl
        def register_readers(self, register):
            register(Sloppy())

    path = tmp_path / "x.txt"
    path.write_text("anything", encoding="utf-8")
    plugins.register_plugin(Plugin(), "sloppy-plugin")
    try:
        rs = read_responses(path, minimal, format="sloppy")
    finally:
        plugins.unregister_plugin("sloppy-plugin")
    assert rs.n == 1 and rs.reconciles()
    assert rs.rejected[0].reasons == (
        "The row has 1 cells but the header has 2 columns: found no cell for 'p1'; expected one cell per column "
        "(a line break inside an unquoted answer?).",
    )


# -- hostile input, generated -------------------------------------------------------------------------------

HOSTILE = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

cell = st.one_of(
    st.sampled_from(["4", "8", "9", "", "Agree", "Don't know", "7", "4.0", "x", '"', ",", "\n", ";", "\t", "\r"]),
    st.text(max_size=12),
)


def _assert_reads_or_input_error(path: Path, instrument, **kwargs) -> None:
    try:
        rs = read_responses(path, instrument, **kwargs)
    except ImplassessError as exc:
        assert str(exc)
        return
    assert rs.reconciles()
    assert rs.values.shape == (rs.n, len(instrument.items))
    assert len(rs.rows) == rs.n
    finite = rs.values[~(rs.values != rs.values)]
    assert all(1 <= v <= 5 for v in finite.tolist())


@HOSTILE
@given(data=st.binary(max_size=400))
def test_random_bytes_never_crash(tmp_path: Path, minimal, data: bytes) -> None:
    path = tmp_path / "random.csv"
    path.write_bytes(data)
    _assert_reads_or_input_error(path, minimal)


@HOSTILE
@given(rows=st.lists(st.lists(cell, min_size=0, max_size=9), max_size=12), delimiter=st.sampled_from(",;\t"))
def test_random_cells_under_a_real_header_reconcile(tmp_path: Path, minimal, rows, delimiter: str) -> None:
    path = tmp_path / "cells.csv"
    body = "\n".join(delimiter.join(r) for r in rows)
    path.write_text(HEADER.replace(",", delimiter) + body, encoding="utf-8")
    _assert_reads_or_input_error(path, minimal)


@HOSTILE
@given(rows=st.lists(st.lists(cell.filter(lambda c: "\x00" not in c), min_size=7, max_size=7), min_size=1, max_size=10))
def test_properly_quoted_cells_all_reconcile_and_are_counted(tmp_path: Path, minimal, rows) -> None:
    import csv

    # Every cell quoted: a bare carriage return in an unquoted cell is a line break to
    # every reader (Excel too), so it would rightly make an extra row.
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    w.writerow(HEADER.strip().split(","))
    w.writerows(rows)
    path = tmp_path / "quoted.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    try:
        rs = read_responses(path, minimal, format="csv")
    except InputError as exc:
        pytest.fail(f"a well-formed CSV must read: {exc}")
    nonblank = sum(1 for r in rows if any(c.strip() for c in r))
    assert rs.rows_read == nonblank
    assert rs.reconciles()


def _workbook_bytes() -> bytes:
    header = HEADER.strip().split(",")
    return write_workbook([("Sheet1", [header, ["R1", "North", 4, 4, 4, 4, 4], ["R2", "South", "Agree", 8, 2, 1, 5]])])


WORKBOOK = _workbook_bytes()


@HOSTILE
@given(flips=st.lists(st.tuples(st.integers(0, len(WORKBOOK) - 1), st.integers(0, 255)), min_size=1, max_size=8))
def test_damaged_workbooks_never_crash(tmp_path: Path, minimal, flips) -> None:
    data = bytearray(WORKBOOK)
    for pos, value in flips:
        data[pos] = value
    path = tmp_path / "damaged.xlsx"
    path.write_bytes(bytes(data))
    _assert_reads_or_input_error(path, minimal, format="xlsx")


@HOSTILE
@given(data=st.binary(max_size=300))
def test_zip_magic_followed_by_garbage(tmp_path: Path, minimal, data: bytes) -> None:
    path = tmp_path / "garbage.xlsx"
    path.write_bytes(b"PK\x03\x04" + data)
    _assert_reads_or_input_error(path, minimal)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids, max_size=3),
    max_leaves=12,
)


@HOSTILE
@given(value=JSON_VALUES)
def test_any_json_value_never_crashes(tmp_path: Path, minimal, value) -> None:
    path = tmp_path / "any.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    _assert_reads_or_input_error(path, minimal, format="json")


def test_intact_workbook_reads(tmp_path: Path, minimal) -> None:
    path = tmp_path / "intact.xlsx"
    path.write_bytes(WORKBOOK)
    rs = read_responses(path, minimal)
    assert rs.respondent_ids == ("R1", "R2")
    # Numeric cells read as the spreadsheet shows them; "Agree" is 4 and 8 is Don't know.
    assert rs.values[0].tolist() == [4.0] * 5
    assert rs.values[1].tolist()[0] == 4.0 and math.isnan(rs.values[1][1])
    assert rs.values[1].tolist()[2:] == [2.0, 1.0, 5.0]
