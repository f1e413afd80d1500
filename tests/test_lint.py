"""Broken instrument and battery files: every finding, exactly as an author reads it.

Each fixture under ``tests/fixtures/broken/`` is a small variant of
``tests/fixtures/instruments/minimal.toml`` named by what is wrong with it; its first
line says so. Some are checked through ``implassess instruments validate``, the others
through :func:`~implassess.formats.instrument.check_file`.
"""

from __future__ import annotations

import ast
import copy
import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from implassess.cli import cli
from implassess.default_plugins import builtin_instruments
from implassess.errors import Finding
from implassess.formats.instrument import check_file, check_raw
from implassess.model import Battery, Instrument, Item
from tests.conftest import FIXTURES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

BROKEN = FIXTURES / "broken"
MINIMAL = FIXTURES / "instruments" / "minimal.toml"


def _toml_keys(record: type, *extra: str) -> str:
    """The keys a table accepts, as the unknown-key message lists them (the model may grow)."""
    names = {a.name.replace("_", "-") for a in attrs.fields(record) if a.name != "source"}
    return ", ".join(sorted(names | set(extra)))


INSTRUMENT_KEYS = _toml_keys(Instrument, "format-version", "kind")
ITEM_KEYS = _toml_keys(Item)
BANDS_MEET = "expected each band to start where the previous one ends."
MONOTONIC = "expected them strictly increasing (or strictly decreasing) in the order the options are listed."

#: File name → the exact findings check_file reports, as (key path, severity, message).
CHECK_FILE_CASES: dict[str, list[tuple[str, str, str]]] = {
    "unknown-key-nested.toml": [
        ("items[1].wieght", "error", f"Unknown key 'wieght'; expected one of: {ITEM_KEYS}."),
    ],
    "string-for-number.toml": [
        ("dimensions[0].weight", "error", "Found '2' (a string); expected a number."),
    ],
    "integer-for-string.toml": [
        ("version", "error", "Found 1 (an integer); expected a string."),
    ],
    "unquoted-date.toml": [
        (
            "changelog[0].date",
            "error",
            'Found 2026-11-23 (a TOML date); expected a string. Put it in quotes: "2026-11-23".',
        ),
    ],
    "missing-required-keys.toml": [
        ("", "error", "Required key 'licence' is missing."),
        ("maturity.levels[2]", "error", "Required key 'max' is missing."),
    ],
    "duplicate-item-id.toml": [
        ("items[4].id", "error", "Duplicate item id 'l1'; it is already used at items[3]. Ids must be unique."),
    ],
    "duplicate-dimension-id.toml": [
        (
            "dimensions[1].id",
            "error",
            "Duplicate dimension id 'planning'; it is already used at dimensions[0]. Ids must be unique.",
        ),
    ],
    "item-unknown-dimension.toml": [
        (
            "items[3].dimension",
            "error",
            "Item 'l1' names dimension 'learnign', which is not defined; expected one of: 'learning', 'planning'.",
        ),
    ],
    "dimension-without-items.toml": [
        (
            "dimensions[1]",
            "error",
            "Dimension 'sustaining' has no items and no KPIs; expected at least one item or KPI naming it.",
        ),
    ],
    "band-gap.toml": [
        (
            "maturity.levels[2].min",
            "error",
            f"Gap between bands: level at maturity.levels[1] ends at 40 but the next starts at 45; {BANDS_MEET}",
        ),
    ],
    "band-overlap.toml": [
        (
            "maturity.levels[3].min",
            "error",
            f"Bands overlap: level at maturity.levels[2] ends at 60 but the next starts at 55; {BANDS_MEET}",
        ),
    ],
    "kpi-thresholds-not-ascending.toml": [
        (
            "kpis[0].thresholds",
            "error",
            "KPI 'review-rate' thresholds [20, 40, 35, 80] are not ascending; "
            "expected strictly ascending values (direction says which end is better).",
        ),
    ],
    "option-values-not-monotonic.toml": [
        (
            "scales[0].options",
            "error",
            f"Option values of scale 'agree5' are 1, 2, 5, 4, 3 in option order; {MONOTONIC}",
        ),
    ],
    "scale-with-one-option.toml": [
        (
            "scales[0].options",
            "error",
            "Scale 'agree5' has 1 substantive option(s); expected at least two "
            '(non-substantive options such as "Don\'t know" do not count).',
        ),
    ],
    "reverse-without-numeric-range.toml": [
        (
            "items[2].reverse",
            "error",
            "Item 'p3' is reverse-keyed but scale 'yes-no' has no numeric range; "
            "reverse keying needs every substantive option to have a numeric value.",
        ),
    ],
    "trigger-unknown-dimension-and-kpi.toml": [
        (
            "triggers[0].when.dimension",
            "error",
            "Trigger 'low-planning' names dimension 'planing', which is not defined; "
            "expected one of: 'learning', 'planning'.",
        ),
        (
            "triggers[1].when.kpi",
            "error",
            "Trigger 'slow-reviews' names KPI 'review-rate', which is not defined; the file defines no KPIs.",
        ),
    ],
    "undefined-variable.toml": [
        (
            "items[3].text",
            "error",
            "Item 'l1' uses variable {team}, which is not defined; expected one of: 'intervention'. "
            "Define it in a [variables.team] table or correct the spelling.",
        ),
    ],
}


@pytest.mark.parametrize("name", sorted(CHECK_FILE_CASES))
def test_check_file_reports_exactly_these_findings(name: str) -> None:
    path = BROKEN / name
    record, findings = check_file(path)
    assert [(f.path, f.severity, f.message) for f in findings] == CHECK_FILE_CASES[name]
    assert {f.source for f in findings} == {str(path)}
    assert record is None


def test_check_file_reports_weights_of_zero_and_below_with_their_codes() -> None:
    record, findings = check_file(BROKEN / "weight-not-positive.toml")
    assert record is None
    assert [(f.path, f.message, f.code) for f in findings] == [
        ("items[3].weight", "Found weight -1; expected a finite number greater than 0.", "weight"),
        ("dimensions[0].weight", "Found weight 0; expected a finite number greater than 0.", "weight"),
    ]


def test_check_file_returns_a_valid_battery_without_a_catalogue_to_check_against() -> None:
    """Unknown members are found by ``instruments validate``, which knows the loaded instruments."""
    record, findings = check_file(BROKEN / "battery-unknown-instrument.toml")
    assert findings == []
    assert isinstance(record, Battery)
    assert [(m.id, m.weight, m.form) for m in record.instruments] == [
        ("minimal", 2.0, None),
        ("leadership-climate", 1.0, "self"),
    ]


# -- through the CLI ---------------------------------------------------------------


def validate(*args: str) -> Any:
    return CliRunner().invoke(cli, ["instruments", "validate", *args], catch_exceptions=False)


@pytest.fixture
def in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run from the fixtures folder so findings name files as ``broken/<name>.toml``."""
    monkeypatch.chdir(FIXTURES)


@pytest.fixture
def no_bundled_instruments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_plugins: None) -> None:
    """An empty bundled instrument library, so battery findings do not depend on it."""
    (tmp_path / "instruments").mkdir()
    monkeypatch.setattr(builtin_instruments, "data_dir", lambda name: tmp_path / name)


def test_valid_file_exits_0_with_a_clean_summary(in_fixtures: None) -> None:
    result = validate("instruments/minimal.toml")
    assert result.exit_code == 0
    assert result.stdout == "1 file(s) checked: 0 error(s), 0 warning(s).\n"


def test_unknown_top_level_key_exits_1(in_fixtures: None) -> None:
    result = validate("broken/unknown-key-top-level.toml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        f"broken/unknown-key-top-level.toml: colour: error: Unknown key 'colour'; expected one of: {INSTRUMENT_KEYS}.",
        "1 file(s) checked: 1 error(s), 0 warning(s).",
    ]


def test_toml_syntax_error_names_line_and_column(in_fixtures: None) -> None:
    result = validate("broken/toml-syntax-error.toml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "broken/toml-syntax-error.toml: error: Not valid TOML: "
        "Expected '=' after a key in a key/value pair (at line 5, column 9).",
        "1 file(s) checked: 1 error(s), 0 warning(s).",
    ]


def test_non_utf8_file_names_the_byte_and_where_it_is(in_fixtures: None) -> None:
    result = validate("broken/not-utf8.toml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "broken/not-utf8.toml: error: Not UTF-8 text: byte 0xe9 at line 4, column 13 (byte offset 97); "
        "expected a UTF-8 TOML file. Save the file as UTF-8.",
        "1 file(s) checked: 1 error(s), 0 warning(s).",
    ]


def test_warnings_alone_exit_0(in_fixtures: None) -> None:
    result = validate("broken/mostly-reverse-keyed.toml")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "broken/mostly-reverse-keyed.toml: dimensions[0]: warning: Dimension 'planning' has 2 of 3 items "
        "reverse-keyed; more than half makes the scale hard to answer and to read.",
        "1 file(s) checked: 0 error(s), 1 warning(s).",
    ]


def test_many_problems_are_reported_together(in_fixtures: None) -> None:
    """Type errors stop structuring, but the cross-field checks still run on the raw tables."""
    result = validate("broken/many-problems.toml")
    assert result.exit_code == 1
    f = "broken/many-problems.toml"
    assert result.stdout.splitlines() == [
        f"{f}: maturity.rule: error: Found 'strictest' (a string); expected one of 'weighted-mean', 'gating'.",
        f"{f}: authors: error: Found 'A. Author' (a string); expected an array.",
        f"{f}: items[0].weight: error: Found 'heavy' (a string); expected a number.",
        f"{f}: items[1].reversed: error: Unknown key 'reversed'; expected one of: {ITEM_KEYS}.",
        f"{f}: sponsor: error: Unknown key 'sponsor'; expected one of: {INSTRUMENT_KEYS}.",
        f"{f}: dimensions[1].id: error: Duplicate dimension id 'planning'; it is already used at dimensions[0]. "
        "Ids must be unique.",
        f"{f}: scales[0].options: error: Option values of scale 'agree4' are 1, 3, 2, 4 in option order; {MONOTONIC}",
        f"{f}: items[0].text: error: Item 'p1' uses variable {{horizon}}, which is not defined; "
        "the file defines no variables. Define it in a [variables.horizon] table or correct the spelling.",
        f"{f}: items[1].dimension: error: Item 'p2' names dimension 'plannning', which is not defined; "
        "expected one of: 'planning'.",
        f"{f}: dimensions[0].weight: error: Found weight -1; expected a finite number greater than 0.",
        f"{f}: maturity.levels[1].min: error: Gap between bands: level at maturity.levels[0] ends at 50 "
        f"but the next starts at 60; {BANDS_MEET}",
        f"{f}: triggers[0].action: error: Trigger 'low-planning' names action 'make-a-plan', which is not defined; "
        "the file defines no actions.",
        "1 file(s) checked: 12 error(s), 0 warning(s).",
    ]


def test_json_output_shape(in_fixtures: None) -> None:
    result = validate("--json", "broken/weight-not-positive.toml", "broken/mostly-reverse-keyed.toml")
    assert result.exit_code == 1
    source = "broken/weight-not-positive.toml"
    assert json.loads(result.stdout) == {
        "files": 2,
        "errors": 2,
        "warnings": 1,
        "findings": [
            {
                "source": source,
                "path": "items[3].weight",
                "message": "Found weight -1; expected a finite number greater than 0.",
                "severity": "error",
                "code": "weight",
            },
            {
                "source": source,
                "path": "dimensions[0].weight",
                "message": "Found weight 0; expected a finite number greater than 0.",
                "severity": "error",
                "code": "weight",
            },
            {
                "source": "broken/mostly-reverse-keyed.toml",
                "path": "dimensions[0]",
                "message": "Dimension 'planning' has 2 of 3 items reverse-keyed; "
                "more than half makes the scale hard to answer and to read.",
                "severity": "warning",
                "code": "many-reversed",
            },
        ],
    }


def test_json_output_of_a_valid_file(in_fixtures: None) -> None:
    result = validate("--json", "instruments/minimal.toml")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"files": 1, "errors": 0, "warnings": 0, "findings": []}


def test_no_path_is_a_usage_error() -> None:
    result = validate()
    assert result.exit_code == 2
    assert "Missing argument 'PATHS...'" in result.output


def test_battery_member_known_from_the_files_checked(in_fixtures: None, no_bundled_instruments: None) -> None:
    """``minimal`` is among the files checked; ``leadership-climate`` is nowhere."""
    result = validate("broken/battery-unknown-instrument.toml", "instruments/minimal.toml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "broken/battery-unknown-instrument.toml: instruments[1].id: error: Instrument 'leadership-climate' is "
        "neither loaded nor among the files checked; expected one of: 'minimal'.",
        "2 file(s) checked: 1 error(s), 0 warning(s).",
    ]


def test_battery_member_known_from_the_bundled_library(
    in_fixtures: None, no_bundled_instruments: None, tmp_path: Path
) -> None:
    shutil.copy(MINIMAL, tmp_path / "instruments" / "minimal.toml")
    result = validate("broken/battery-unknown-instrument.toml")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "broken/battery-unknown-instrument.toml: instruments[1].id: error: Instrument 'leadership-climate' is "
        "neither loaded nor among the files checked; expected one of: 'minimal'.",
        "1 file(s) checked: 1 error(s), 0 warning(s).",
    ]


def test_battery_with_no_instruments_anywhere(in_fixtures: None, no_bundled_instruments: None) -> None:
    result = validate("broken/battery-unknown-instrument.toml")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines == [
        "broken/battery-unknown-instrument.toml: instruments[0].id: error: Instrument 'minimal' is "
        "neither loaded nor among the files checked; no instruments are available.",
        "broken/battery-unknown-instrument.toml: instruments[1].id: error: Instrument 'leadership-climate' is "
        "neither loaded nor among the files checked; no instruments are available.",
        "1 file(s) checked: 2 error(s), 0 warning(s).",
    ]


def test_every_broken_fixture_fails_and_says_why_on_its_first_line() -> None:
    """Guards the fixture folder itself: each file is broken (or warns) as its comment says."""
    for path in sorted(BROKEN.glob("*.toml")):
        first = path.read_bytes().split(b"\n", 1)[0]
        assert first.startswith((b"# Broken", b"# Warning only")), path.name
        record, findings = check_file(path)
        if first.startswith(b"# Warning only"):
            assert record is not None and [f.severity for f in findings] == ["warning"], path.name
        elif "battery" not in path.name:
            assert record is None and findings, path.name


# -- hostile input ----------------------------------------------------------------

BASE: dict[str, Any] = tomllib.loads(MINIMAL.read_text(encoding="utf-8"))

_KEYS = (
    "id kind format-version value weight level min max dimension scale items dimensions when statistic kpi "
    "facet options non-substantive reverse levels thresholds text forms variables instruments"
).split()
_keys = st.sampled_from(_KEYS) | st.text(max_size=6)
_scalars = (
    st.booleans()
    | st.integers(-3, 120)
    | st.floats()
    | st.text(max_size=8)
    | st.dates()
    | st.times()
    | st.datetimes()
    | st.sampled_from(["planning", "learning", "agree5", "battery", "instrument", "rag", "level", "{intervention}"])
)
#: Values a TOML parser can produce (TOML has no null).
_values = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_keys, inner, max_size=4), max_leaves=12
)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if prefix:
        yield prefix
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _paths(v, (*prefix, i))


@st.composite
def _mutations_of_minimal(draw: st.DrawFn) -> dict[str, Any]:
    """minimal.toml with one to four values replaced, deleted or added anywhere in the tree."""
    raw = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(raw))
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = raw
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(_values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(_keys)] = draw(_values)
        else:
            parent.append(draw(_values))
    return raw


def _assert_only_findings(raw: dict[str, Any]) -> None:
    before = repr(raw)
    record, findings = check_raw(raw, "hostile.toml")
    assert repr(raw) == before, "check_raw changed its argument"
    assert all(isinstance(f, Finding) for f in findings)
    assert all(f.severity in ("error", "warning") and f.message.endswith(".") for f in findings)
    has_errors = any(f.severity == "error" for f in findings)
    assert (record is None) == has_errors
    if record is not None:
        assert isinstance(record, (Instrument, Battery))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutations_of_minimal())
def test_mutations_of_minimal_only_ever_produce_findings(raw: dict[str, Any]) -> None:
    _assert_only_findings(raw)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_keys, _values, max_size=8))
def test_arbitrary_tables_only_ever_produce_findings(raw: dict[str, Any]) -> None:
    _assert_only_findings(raw)


@settings(max_examples=100, deadline=None)
@given(st.fixed_dictionaries({"kind": st.just("battery")}, optional={"instruments": _values, "id": _values}))
def test_arbitrary_batteries_only_ever_produce_findings(raw: dict[str, Any]) -> None:
    _assert_only_findings(raw)


def test_the_unmutated_minimal_instrument_is_valid() -> None:
    """The base of the mutations is itself valid, so the iff above is tested both ways."""
    record, findings = check_raw(copy.deepcopy(BASE), "minimal.toml")
    assert findings == []
    assert isinstance(record, Instrument) and record.id == "minimal"


# -- the format documentation -------------------------------------------------------

FORMAT_DOC = Path(__file__).resolve().parent.parent / "docs" / "instrument-format.md"


def _doc_examples() -> list[str]:
    return re.findall(r"^```toml\n(.*?)^```$", FORMAT_DOC.read_text(encoding="utf-8"), re.M | re.S)


def _add_to_minimal(fragment: dict[str, Any]) -> dict[str, Any]:
    """minimal.toml with an excerpt added: tables of the same id replaced, new ones appended."""
    raw = copy.deepcopy(BASE)
    for key, value in fragment.items():
        old = raw.get(key)
        if isinstance(value, list) and isinstance(old, list) and all(isinstance(v, dict) for v in value):
            for entry in value:
                same = [i for i, o in enumerate(old) if "id" in entry and o.get("id") == entry["id"]]
                if same:
                    old[same[0]] = entry
                else:
                    old.append(entry)
        elif isinstance(value, dict) and isinstance(old, dict):
            old.update(value)
        else:
            raw[key] = value
    return raw


def test_format_doc_has_examples_for_every_part() -> None:
    examples = "\n".join(_doc_examples())
    for table in ["[citation]", "[[changelog]]", "[variables.", "[[forms]]", "[scoring]", "[[scales]]",
                  "[maturity]", "[[dimensions]]", "[[dimensions.levels]]", "[[items]]", "[[kpis]]",
                  "[[actions]]", "[[triggers]]", 'kind = "battery"', "[[instruments]]"]:  # fmt: skip
        assert table in examples, table


@pytest.mark.parametrize("index", range(len(_doc_examples())))
def test_every_toml_example_in_the_format_doc_is_valid(index: int) -> None:
    """A whole file (``format-version`` with ``dimensions`` or ``instruments``) must be valid
    alone; an excerpt, added to minimal.toml."""
    fragment = tomllib.loads(_doc_examples()[index])
    whole = "format-version" in fragment and ("dimensions" in fragment or "instruments" in fragment)
    raw = fragment if whole else _add_to_minimal(fragment)
    record, findings = check_raw(raw, f"docs/instrument-format.md example {index + 1}")
    assert findings == []
    assert record is not None


def _emitted_codes(module: Path) -> set[str]:
    """Finding codes a module can emit: the last argument of ``error``/``warn`` calls and
    ``code=`` of ``Finding`` calls."""
    codes = set()
    for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        if name in ("error", "warn") and len(node.args) == 3 and isinstance(node.args[2], ast.Constant):
            codes.add(node.args[2].value)
        if name == "Finding":
            codes |= {k.value.value for k in node.keywords if k.arg == "code" and isinstance(k.value, ast.Constant)}
    return codes


def test_format_doc_lists_every_finding_code() -> None:
    """Every code the reader, the converter and the linter can emit has a row in the doc's last section, only those."""
    formats = Path(__file__).resolve().parent.parent / "src" / "implassess" / "formats"
    emitted = set().union(
        *(_emitted_codes(formats / m) for m in ("document.py", "convert.py", "instrument.py", "lint.py"))
    )
    assert {"unknown-key", "band-gap", "many-reversed"} <= emitted  # the parse found them
    checks = FORMAT_DOC.read_text(encoding="utf-8").split("## Every check and its finding code", 1)[1]
    documented = set(re.findall(r"^\| `([a-z-]+)`", checks, re.M))
    assert emitted == documented
