"""Conformance cases: every built-in instrument proves its scoring, and a wrong
expectation is caught with a message naming the case, the unit and both values."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import attrs
from click.testing import CliRunner

from implassess import plugins
from implassess.cli import cli
from implassess.formats.instrument import load_file
from implassess.jobs.conformance import Case, Expected, ExpectedScore, conformance_path, load_conformance, verify
from tests.conftest import REPO


def test_every_builtin_instrument_ships_cases_and_passes() -> None:
    result = CliRunner().invoke(cli, ["instruments", "verify", "--all", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    files = {p.stem for p in (REPO / "instruments" / "conformance").glob("*.toml")}
    assert {d["instrument"] for d in data} == files
    instruments = {i.id for i in plugins.get_instruments().values() if i.source.startswith(str(REPO))}
    assert files == instruments
    assert all(c["passed"] for d in data for c in d["cases"])
    assert all(len(d["cases"]) >= 6 for d in data)


def test_a_wrong_expectation_fails_with_a_precise_message(tmp_path: Path) -> None:
    src = REPO / "instruments" / "clarity-gaps.toml"
    shutil.copy(src, tmp_path / "clarity-gaps.toml")
    (tmp_path / "conformance").mkdir()
    cases = (REPO / "instruments" / "conformance" / "clarity-gaps.toml").read_text()
    cases = cases.replace(
        "expected.dimensions.outcome-clarity = { score = 50.0, level = 3 }",
        "expected.dimensions.outcome-clarity = { score = 55.0, level = 4 }",
    )
    (tmp_path / "conformance" / "clarity-gaps.toml").write_text(cases)
    inst = load_file(tmp_path / "clarity-gaps.toml")
    results = verify(inst, load_conformance(conformance_path(inst)))
    failing = {r.case: r.problems for r in results if not r.passed}
    assert failing == {
        "all-neutral": (
            "dimension 'outcome-clarity': expected score 55, got 50.",
            "dimension 'outcome-clarity': expected level 4, got 3.",
        )
    }
    result = CliRunner().invoke(cli, ["instruments", "verify", str(tmp_path / "clarity-gaps.toml")])
    assert result.exit_code == 1
    assert "  FAIL all-neutral: dimension 'outcome-clarity': expected score 55, got 50." in result.output


def test_missing_score_expectation_is_checked(minimal_path: Path) -> None:
    inst = load_file(minimal_path)
    from implassess.jobs.conformance import Conformance

    case = Case(
        id="one-of-three",
        description="planning needs 2 of 3 answered; only p1 is.",
        answers={"p1": 5},
        expected=Expected(
            dimensions={"planning": ExpectedScore(missing=True), "learning": ExpectedScore(missing=True)}
        ),
    )
    conf = Conformance(instrument="minimal", version="1.0.0", cases=(case,))
    assert [r.passed for r in verify(inst, conf)] == [True]
    wrong = attrs.evolve(case, answers={"p1": 5, "p2": "Agree"})
    (result,) = verify(inst, attrs.evolve(conf, cases=(wrong,)))
    # p1 = 5, p2 = 4 → mean 4.5 → 87.5: the expectation "missing" must fail.
    assert result.problems == ("dimension 'planning': expected no score (too few answers), got 87.5.",)


def test_cases_for_another_version_are_refused(minimal_path: Path) -> None:
    from implassess.errors import ImplassessError
    from implassess.jobs.conformance import Conformance

    inst = load_file(minimal_path)
    try:
        verify(inst, Conformance(instrument="minimal", version="0.9.0"))
    except ImplassessError as exc:
        assert str(exc) == (
            "The conformance cases are for 'minimal' version '0.9.0'; the instrument is 'minimal' version "
            "'1.0.0'. Update the cases for this version."
        )
    else:
        raise AssertionError("a version mismatch must be refused")
