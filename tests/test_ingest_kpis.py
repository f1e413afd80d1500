"""KPI sheets and numbers written in any locale: 0,33 is never 33.

The numbers module classifies each text on its own (``0,33`` can only be a decimal
comma, ``1,234.5`` only a thousands comma, ``1,234`` either); a sheet's separator is the
one its unambiguous values agree on, and what stays ambiguous is rejected, not guessed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from implassess import plugins
from implassess.cli import cli
from implassess.cli import responses as cli_responses
from implassess.errors import InputError
from implassess.ingest import read_kpis
from implassess.readers import _numbers
from implassess.readers.xlsx import Formatted, write_workbook

HERE = Path(__file__).resolve().parent
EXPORTS = HERE / "fixtures" / "exports"
KPI_INSTRUMENT = EXPORTS / "kpi_instrument.toml"


def run(*args: object):
    if "responses" not in cli.commands:
        cli.add_command(cli_responses.responses)
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def kpi_instrument():
    return plugins.get_instrument(str(KPI_INSTRUMENT))


def test_decimal_comma_sheet_through_the_cli() -> None:
    result = run("responses", "kpis", EXPORTS / "kpis_decimal_comma.csv", "-i", KPI_INSTRUMENT, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["decimal"] == ","
    assert [(v["row"], v["kpi"], v["value"], v["unit"], v["site"]) for v in report["values"]] == [
        (2, "adoption-rate", 0.33, "%", "North"),
        (3, "adoption-rate", 41.5, "%", "South"),
        (4, "time-to-go-live", 45.0, "days", "North"),
        (5, "staff-trained", 1234.0, "count", "North"),
        (6, "staff-trained", 1234.5, "count", "South"),
    ]
    assert [(r["row"], r["reasons"]) for r in report["rejected"]] == [
        (7, ["Column 'value': found 'lots'; expected a number such as 12, 0.33, 0,33 or 1 234,5."]),
        (8, ["Column 'kpi': found 'adoption-rate' for period '2026-Q1' at site 'North' again; row 2 already has a "
             "value for it (one value per KPI per period)."]),
        (9, ["Column 'unit': found 'weeks', but KPI 'time-to-go-live' is measured in 'days'; expected 'days' or "
             "blank."]),
        (10, ["Column 'kpi': found 'mystery-kpi', which is not a KPI of instrument 'minimal-kpis'; expected one of "
              "'adoption-rate', 'time-to-go-live', 'staff-trained'."]),
    ]  # fmt: skip
    assert report["rows_read"] == 9
    assert report["warnings"] == ["Decimal separator ',' detected from 4 value(s)."]


def test_ambiguous_values_are_rejected_unless_the_locale_is_declared() -> None:
    sheet = read_kpis(EXPORTS / "kpis_ambiguous.csv")
    assert [v.value for v in sheet.values] == [1500.0, 45.0]
    assert sheet.rejected[0].reasons == (
        "Column 'value': found '1,234', which could be 1.234 (',' as decimal separator) or 1234 (',' as "
        "thousands separator); declare the decimal separator (decimal=',' or '.').",
    )
    assert read_kpis(EXPORTS / "kpis_ambiguous.csv", decimal=",").values[0].value == 1.234
    assert read_kpis(EXPORTS / "kpis_ambiguous.csv", decimal=".").values[0].value == 1234.0


def test_thousands_commas_and_percent_signs() -> None:
    sheet = read_kpis(EXPORTS / "kpis_thousands.csv")
    assert [(v.kpi, v.value, v.unit) for v in sheet.values] == [
        ("staff-trained", 1234.5, "count"),
        ("staff-trained", 1234.0, "count"),
        ("adoption-rate", 12.5, "%"),
    ]
    assert sheet.reconciles()


def test_declared_locale_rejects_numbers_written_the_other_way(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("kpi;period;value\na;2026-Q1;1,234.5\nb;2026-Q1;0,33\n", encoding="utf-8")
    sheet = read_kpis(path, decimal=",")
    assert [v.value for v in sheet.values] == [0.33]
    assert sheet.rejected[0].reasons == (
        "Column 'value': found '1,234.5', which is not written with ',' as decimal separator (expected e.g. 1.234,5).",
    )


def test_kpi_workbook_numbers_and_percent_cells(tmp_path: Path, kpi_instrument) -> None:
    path = tmp_path / "kpis.xlsx"
    rows = [
        ["KPI", "Period", "Value", "Unit"],
        ["adoption-rate", "2026-Q1", Formatted(0.335, "0.0%"), None],
        ["staff-trained", "2026-Q1", 1234.5, "count"],
        ["time-to-go-live", "2026-Q1", "12,5", "days"],
    ]
    path.write_bytes(write_workbook([("KPIs", rows)]))
    sheet = read_kpis(path, kpi_instrument)
    # A percent-formatted cell reads as the spreadsheet shows it; numeric cells are never
    # re-read with a decimal comma, while the text "12,5" is.
    assert [(v.kpi, v.value, v.unit) for v in sheet.values] == [
        ("adoption-rate", 33.5, "%"),
        ("staff-trained", 1234.5, "count"),
        ("time-to-go-live", 12.5, "days"),
    ]
    assert sheet.records()[0] == {
        "kpi": "adoption-rate", "period": "2026-Q1", "value": 33.5, "unit": "%", "site": None, "row": 2,
    }  # fmt: skip


def test_missing_required_column(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("kpi,when,value\na,2026,1\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_kpis(path)
    assert str(err.value) == (
        f"{path}: Column 'period' not found; expected columns kpi, period, value (and optional unit, site). "
        "Found: 'kpi', 'when', 'value'."
    )


def test_sample_kpi_sheets_agree_whatever_the_locale(tmp_path: Path) -> None:
    sample = pytest.importorskip("implassess.sample")
    battery = plugins.get_batteries().get("implementation-leadership-diagnostic")
    if battery is None:
        pytest.skip("the built-in diagnostic battery does not load yet")
    sample.write_sample(sample.generate(battery, n_respondents=40, n_participants=4), tmp_path)
    dot = read_kpis(tmp_path / "kpis.csv")
    comma = read_kpis(tmp_path / "kpis-decimal-comma.csv")
    assert dot.decimal == "." and comma.decimal == ","
    assert dot.rejected == () and comma.rejected == ()
    assert [v.value for v in dot.values] == [v.value for v in comma.values]


# -- the numbers themselves -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "decimal", "expected"),
    [
        ("0,33", None, 0.33),
        ("0.33", None, 0.33),
        ("1.234,5", None, 1234.5),
        ("1,234.5", None, 1234.5),
        ("1 234,5", None, 1234.5),
        ("1\u202f234,5", None, 1234.5),
        ("1'234.5", None, 1234.5),
        ("12,5 %", None, 12.5),
        ("-0,5", None, -0.5),
        ("−3", None, -3.0),
        ("(1.234,5)", None, -1234.5),
        ("1.234.567", None, 1234567.0),
        ("1,234,567.25", None, 1234567.25),
        ("1234,567", None, 1234.567),
        ("0,333", None, 0.333),
        (",5", None, 0.5),
        ("1,234", ",", 1.234),
        ("1,234", ".", 1234.0),
        ("1.234", ",", 1234.0),
        ("12", ",", 12.0),
    ],
)
def test_parse(text: str, decimal: str | None, expected: float) -> None:
    assert _numbers.parse(text, decimal) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1,234", "found '1,234', which could be 1.234 (',' as decimal separator) or 1234 (',' as thousands "
                  "separator); declare the decimal separator (decimal=',' or '.')"),
        ("1.23.4", "found '1.23.4'; '.' appears more than once but not as a thousands separator"),
        ("1.234,5,6", "found '1.234,5,6', which mixes ',' and '.' in a way no locale writes numbers"),
        ("nan", "found 'nan'; expected a number such as 12, 0.33, 0,33 or 1 234,5"),
        ("1e5", "found '1e5'; expected a number such as 12, 0.33, 0,33 or 1 234,5"),
        ("12 34", "found '12 34'; expected a number such as 12, 0.33, 0,33 or 1 234,5"),
    ],
)  # fmt: skip
def test_parse_refuses(text: str, message: str) -> None:
    with pytest.raises(_numbers.NumberError) as err:
        _numbers.parse(text)
    assert str(err.value) == message


def test_detect_decimal_needs_agreeing_evidence() -> None:
    assert _numbers.detect_decimal(["0,33", "1.234,5", "7"]) == (",", {",": 2, ".": 0})
    assert _numbers.detect_decimal(["0,33", "1,234.5"]) == (None, {",": 1, ".": 1})
    assert _numbers.detect_decimal(["1,234", "7"]) == (None, {",": 0, ".": 0})


def _localised(x: float, decimal: str, grouped: bool) -> str:
    text = f"{x:,.2f}" if grouped else f"{x:.2f}"
    if decimal == ",":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


@given(
    x=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False).map(lambda v: round(v, 2)),
    decimal=st.sampled_from([",", "."]),
    grouped=st.booleans(),
)
def test_a_number_written_in_either_locale_reads_back_when_declared(x: float, decimal: str, grouped: bool) -> None:
    text = _localised(x, decimal, grouped)
    assert _numbers.parse(text, decimal) == pytest.approx(x, abs=1e-9)


@given(
    x=st.floats(min_value=0, max_value=1e6, allow_nan=False).map(lambda v: round(v, 2)),
    decimal=st.sampled_from([",", "."]),
)
def test_undeclared_reading_is_right_or_refuses_never_wrong(x: float, decimal: str) -> None:
    text = _localised(x, decimal, grouped=True)
    try:
        value = _numbers.parse(text)
    except _numbers.NumberError:
        return
    assert value == pytest.approx(x, abs=1e-9)
