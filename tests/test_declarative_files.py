"""The one door for declarative files: the guarded reader, and every problem at once with key paths.

Instrument, assessment, theme, mapping, targets, norms and conformance files all go
through :mod:`implassess.formats.document`; these tests hold each kind to the same size
and nesting limits and check that the kinds once parsed by hand now report every problem
in one pass.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from implassess.cli import cli
from implassess.errors import InputError, InstrumentError
from implassess.formats.assessment import load_assessment
from implassess.formats.conformance import load_conformance
from implassess.formats.document import MAX_BYTES, MAX_DEPTH, parse_document
from implassess.formats.instrument import load_file
from implassess.formats.mapping import load_mapping
from implassess.formats.norms import load_norms, parse_norms
from implassess.formats.targets import load_targets, parse_targets
from implassess.formats.theme import load_theme

SRC = Path(__file__).resolve().parent.parent / "src" / "implassess"
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEMO = load_file(FIXTURES / "scoring" / "demo.toml")

#: Every kind of declarative file, by the function that loads it.
LOADERS: dict[str, Callable[[Path], Any]] = {
    "instrument": load_file,
    "assessment": load_assessment,
    "theme": load_theme,
    "mapping": load_mapping,
    "targets": lambda path: load_targets(path, DEMO),
    "norms": load_norms,
    "conformance": load_conformance,
}

TOO_DEEP = (
    "The {kind} is nested too deeply to read: found more than 32 levels of tables and arrays; expected at most 32. "
    "Flatten the file."
)
TOO_LARGE = (
    "The file holds more than 4,194,304 bytes; expected a declarative file of at most 4,194,304 bytes. "
    "Check that this is the file you meant."
)


def _message(loader: Callable[[Path], Any], path: Path) -> str:
    """The one problem a loader reports for ``path``, as the CLI would print it (after 'Error: ')."""
    with pytest.raises((InstrumentError, InputError)) as err:
        loader(path)
    if isinstance(err.value, InstrumentError):
        assert len(err.value.findings) == 1
    return str(err.value)


def _expected(kind: str, path: Path, message: str) -> str:
    # A mapping problem is an InputError like every other mapping problem; the rest are findings.
    return f"{path}: {message}" if kind == "mapping" else f"{path}: error: {message}"


# -- the mapping file of the issue, through the CLI ---------------------------------------------------------


def test_a_mapping_file_nested_3000_levels_is_a_clean_error_naming_the_file(tmp_path: Path) -> None:
    """Before the one door, this printed "Unexpected internal error: RecursionError"."""
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    export = tmp_path / "export.csv"
    export.write_text("respondent_id,q1\nr1,1\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        ["responses", "check", str(export), "-i", "clarity-gaps", "--mapping", str(deep)],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    assert result.output == f"Error: {deep}: {TOO_DEEP.format(kind='TOML')}\n"


def test_a_mapping_file_with_3000_nested_table_headers_is_a_clean_error(tmp_path: Path) -> None:
    """Dotted table headers nest without recursion in the TOML parser; the depth walk still catches them."""
    deep = tmp_path / "deep.toml"
    deep.write_text("[" + ".".join(["a"] * 3000) + "]\nb = 1\n", encoding="utf-8")
    assert _message(load_mapping, deep) == f"{deep}: {TOO_DEEP.format(kind='TOML')}"


# -- the same guard for every kind ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(LOADERS))
def test_every_kind_refuses_deep_inline_nesting(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.toml"
    path.write_text("x = " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")
    assert _message(LOADERS[kind], path) == _expected(kind, path, TOO_DEEP.format(kind="TOML"))


@pytest.mark.parametrize("kind", list(LOADERS))
def test_every_kind_refuses_deep_table_headers(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.toml"
    path.write_text("[" + ".".join(["t"] * (MAX_DEPTH + 1)) + "]\nb = 1\n", encoding="utf-8")
    assert _message(LOADERS[kind], path) == _expected(kind, path, TOO_DEEP.format(kind="TOML"))


@pytest.mark.parametrize("kind", list(LOADERS))
def test_every_kind_refuses_an_oversized_file(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.toml"
    path.write_bytes(b"# " + b"x" * MAX_BYTES + b"\n")
    assert _message(LOADERS[kind], path) == _expected(kind, path, TOO_LARGE)


@pytest.mark.parametrize("kind", ["targets", "norms"])
def test_json_files_get_the_same_nesting_guard(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.json"
    path.write_text("[" * 3000 + "]" * 3000, encoding="utf-8")
    assert _message(LOADERS[kind], path) == _expected(kind, path, TOO_DEEP.format(kind="JSON"))


def test_nesting_up_to_the_limit_is_read_and_one_more_level_is_refused() -> None:
    at_limit = "x = " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1)
    node, arrays = parse_document(at_limit, "ok.toml")["x"], 0
    while isinstance(node, list):
        node, arrays = (node[0] if node else None), arrays + 1
    assert 1 + arrays == MAX_DEPTH  # the top-level table is the first level
    with pytest.raises(InstrumentError) as err:
        parse_document("x = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH, "deep.toml")
    assert [(f.path, f.code) for f in err.value.findings] == [("", "too-deep")]


def test_a_json_file_whose_top_level_is_not_an_object(tmp_path: Path) -> None:
    path = tmp_path / "norms.json"
    path.write_text("[1, 2]", encoding="utf-8")
    assert _message(load_norms, path) == (
        f"{path}: error: Found an array at the top level; expected a JSON object (a table)."
    )


def test_only_the_door_parses_toml() -> None:
    """tomllib (or tomli) is imported by formats/document.py alone, so no file can bypass the guard."""
    importers = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n.split(".")[0] in ("tomllib", "tomli") for n in names):
                importers.add(path.relative_to(SRC).as_posix())
    assert importers == {"formats/document.py"}


def test_scoring_reads_no_files() -> None:
    """scoring/ is pure: it imports neither the declarative-file door nor a TOML parser."""
    offenders = []
    for path in (SRC / "scoring").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [module or ""]
            for name in names:
                if name.startswith(("implassess.formats", "tomllib", "tomli")):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []


# -- every problem at once, with key paths ------------------------------------------------------------------


def _findings(err: pytest.ExceptionInfo[InstrumentError]) -> list[str]:
    return [f"{f.path}: {f.message}" for f in err.value.findings]


def test_targets_parse_and_report_every_problem():
    """All problems in a targets file are reported at once, with key paths (moved from test_scoring_extras)."""
    raw = {
        "targets": [
            {"dimension": "planing", "target": 70},
            {"facet": "goals", "target": 120},
            {"dimension": "learning", "target": 50, "importance": 0, "weight": 1},
        ]
    }
    with pytest.raises(InstrumentError) as exc:
        parse_targets(raw, DEMO, "t.toml")
    assert [f"{f.path}: {f.message}" for f in exc.value.findings] == [
        "targets[0]: Found 'planing', which instrument 'scoring-demo' does not define; expected one of: 'adoption', "
        "'goals', 'learning', 'planning', 'resourcing'.",
        "targets[1].target: Found 120; expected a number from 0 to 100.",
        "targets[2].weight: Unknown key 'weight'; expected dimension, facet, target or importance.",
        "targets[2].importance: Found 0; expected a number > 0.",
    ]


def test_a_targets_file_reports_header_type_and_row_problems_together(tmp_path: Path) -> None:
    path = tmp_path / "targets.toml"
    path.write_text(
        'format-version = 2\nkind = "target"\nowner = "board"\n'
        '[[targets]]\ndimension = "planning"\ntarget = "70"\n'
        '[[targets]]\ndimension = "learning"\nfacet = "goals"\ntarget = 50\n'
        "[[targets]]\ntarget = 60\n",
        encoding="utf-8",
    )
    with pytest.raises(InstrumentError) as err:
        load_targets(path, DEMO)
    assert _findings(err) == [
        "kind: Found 'target'; expected 'targets'.",
        "format-version: Found 2; this implassess reads format-version 1.",
        "owner: Unknown key 'owner'; expected one of: format-version, kind, targets.",
        "targets[0].target: Found '70' (a string); expected a number.",
        "targets[1]: Name exactly one of 'dimension' or 'facet'.",
        "targets[2]: Name exactly one of 'dimension' or 'facet'.",
    ]


def test_a_json_targets_file_is_read_like_toml(tmp_path: Path) -> None:
    path = tmp_path / "targets.json"
    path.write_text('{"kind": "targets", "targets": [{"facet": "goals", "target": 40, "importance": 2}]}')
    assert [(t.id, t.target, t.importance) for t in load_targets(path, DEMO)] == [("goals", 40.0, 2.0)]


def test_a_norms_file_reports_every_problem_at_once(tmp_path: Path) -> None:
    path = tmp_path / "norms.toml"
    path.write_text(
        'kind = "norms"\nname = "N"\ninstrument = 3\nregion = "north"\n'
        '[[dimensions]]\nid = "planning"\nmean = 50\nsd = 0\nn = 30\npercentiles = { "50" = 45, "150" = 60 }\n'
        '[[dimensions]]\nid = "learning"\nmean = "high"\nsd = 10\nn = 2.5\nspread = 1\n',
        encoding="utf-8",
    )
    with pytest.raises(InstrumentError) as err:
        load_norms(path)
    assert _findings(err) == [
        "instrument: Found 3 (an integer); expected a string.",
        "dimensions[1].mean: Found 'high' (a string); expected a number.",
        "dimensions[1].n: Found 2.5 (a number); expected an integer.",
        "dimensions[1].spread: Unknown key 'spread'; expected one of: id, mean, n, percentiles, sd.",
        "region: Unknown key 'region'; expected one of: dimensions, format-version, instrument, instrument-version, "
        "kind, name, period, sector.",
        "dimensions[0].percentiles.150: Found '150' = 60; expected a percentile 0–100 mapped to a score.",
        "dimensions[0].sd: Found 0; expected a number > 0.",
    ]


def test_a_valid_norms_file_becomes_records() -> None:
    norms = parse_norms(
        {
            "format-version": 1,
            "kind": "norms",
            "name": "Acute trusts",
            "instrument": "scoring-demo",
            "instrument-version": "1.0.0",
            "sector": "health",
            "dimensions": [{"id": "planning", "mean": 55, "sd": 12.5, "n": 34, "percentiles": {"50": 55.2}}],
        },
        "n.toml",
    )
    assert (norms.name, norms.instrument, norms.instrument_version, norms.sector, norms.period) == (
        "Acute trusts",
        "scoring-demo",
        "1.0.0",
        "health",
        "",
    )
    assert [(e.id, e.mean, e.sd, e.n, e.percentiles) for e in norms.entries] == [
        ("planning", 55.0, 12.5, 34, {50.0: 55.2})
    ]


def test_a_norms_file_without_dimensions(tmp_path: Path) -> None:
    path = tmp_path / "norms.json"
    path.write_text('{"name": "N", "instrument": "scoring-demo"}', encoding="utf-8")
    with pytest.raises(InstrumentError) as err:
        load_norms(path)
    assert _findings(err) == ["dimensions: Expected at least one [[dimensions]] table."]


def test_a_conformance_file_reports_every_problem_at_once(tmp_path: Path) -> None:
    path = tmp_path / "cases.toml"
    path.write_text(
        'kind = "cases"\ninstrument = "minimal"\nversion = 1\n'
        '[[cases]]\nid = "c1"\ndescription = "all fives"\ndefault = true\n'
        "[cases.expected.overall]\nscore = 100\nlvl = 5\n",
        encoding="utf-8",
    )
    with pytest.raises(InstrumentError) as err:
        load_conformance(path)
    assert _findings(err) == [
        "kind: Found 'cases'; expected 'conformance'.",
        "version: Found 1 (an integer); expected a string.",
        "cases[0].expected.overall.lvl: Unknown key 'lvl'; expected one of: level, missing, score.",
        "cases[0].default: Found True (a boolean); expected a number or a string.",
    ]
