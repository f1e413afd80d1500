"""The Python API analysts use from notebooks, and the example script that uses it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import implassess as ia
from implassess.cli import cli
from implassess.errors import ImplassessError, NotFoundError
from tests.conftest import REPO


def test_import_is_cheap() -> None:
    code = "import sys, implassess; print(sorted(m for m in ('numpy', 'reportlab', 'scipy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_api_and_cli_give_the_same_numbers(tmp_path: Path) -> None:
    ia.make_sample(tmp_path / "data", seed=3)
    survey = tmp_path / "data" / "org-survey.csv"
    result = ia.score(
        ia.read_responses(survey, "clarity-gaps", duplicates="latest", wave="baseline"), by=["site"], reproducible=True
    )
    cli_out = CliRunner().invoke(
        cli,
        [
            "score",
            str(survey),
            "--instrument",
            "clarity-gaps",
            "--by",
            "site",
            "--duplicates",
            "latest",
            "--wave",
            "baseline",
            "--reproducible",
            "-o",
            str(tmp_path / "out"),
        ],
        catch_exceptions=False,
    )
    assert cli_out.exit_code == 0, cli_out.output
    profile = json.loads((tmp_path / "out" / "profile.json").read_text())
    api_scores = {d.id: d.score_0_100 for d in result.profile.organisation.dimensions}
    cli_scores = {d["id"]: d["score_0_100"] for d in profile["organisation"]["dimensions"]}
    assert api_scores == cli_scores and len(api_scores) == 5


def test_unknown_names_raise_implassess_errors() -> None:
    with pytest.raises(NotFoundError, match="No instrument named 'nope'"):
        ia.load_instrument("nope")
    with pytest.raises(NotFoundError, match="No battery named 'nope'"):
        ia.load_battery("nope")
    assert "clarity-gaps" in ia.list_instruments()


@pytest.mark.slow
def test_example_script_runs(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "examples" / "api_example.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert re.search(r"^\d+ respondents accepted, \d+ rows rejected of \d+ read$", out, re.M)
    assert re.search(r"^outcome-clarity\s+score\s+\d+\.\d\s+level [1-5]", out, re.M)
    assert (tmp_path / "clarity-report.pdf").read_bytes()[:5] == b"%PDF-"


def test_api_names_are_not_shadowed_by_submodules() -> None:
    import importlib
    import pkgutil

    modules = {m.name for m in pkgutil.iter_modules(ia.__path__)}
    assert not modules & set(ia._API)
    for name in ia._API:
        importlib.import_module("implassess.sample")
        assert callable(getattr(ia, name)), name


def test_api_scores_against_a_ledger_when_given_one(tmp_path: Path) -> None:
    """Without ``ledger`` only the result's own groups are checked; with it, a second breakdown
    of the same responses is checked against the first, as the CLI always does."""
    ia.make_sample(tmp_path / "data", seed=3)
    rs = ia.read_responses(tmp_path / "data" / "org-survey.csv", "clarity-gaps", wave="baseline")
    ledger = tmp_path / "ledger"
    first = ia.score(rs, by=["site"], ledger=ledger)
    assert first.profile.release.earlier_releases == 0
    assert (ledger / "clarity-gaps").is_dir()
    second = ia.score(rs, by=["site,role"], ledger=ledger)
    assert second.profile.release.earlier_releases == 1
    alone = ia.score(rs, by=["site,role"])
    shown = sum(not g.suppressed for b in second.profile.breakdowns for g in b.groups)
    assert shown <= sum(not g.suppressed for b in alone.profile.breakdowns for g in b.groups)
    with pytest.raises(ImplassessError, match="accept-small-groups"):
        ia.score(rs, by=["site"], min_group_size=2)
