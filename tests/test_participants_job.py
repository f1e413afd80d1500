"""The participants job called from Python: ``implassess.run_participants`` and the documented example.

The command's own behaviour (isolation, resume, executors) is tested through the CLI in
``test_participants_batch.py``; here the same job is driven the way a notebook drives it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import implassess
from implassess import plugins
from implassess.cli.participants import participants as participants_cmd
from implassess.errors import InputError
from implassess.jobs.participants import ParticipantsSummary, WaveError, check_minimums
from implassess.sample import generate, write_sample

BATTERY = "implementation-leadership-360"
DOCS = Path(__file__).resolve().parents[1] / "docs"


def write_360(root: Path, n: int = 5, seed: int = 3) -> tuple[Path, Path]:
    write_sample(
        generate(plugins.get_batteries()[BATTERY], seed=seed, n_participants=n, n_respondents=40),
        root,
        formats=("generic",),
    )
    return root / "leadership-360.csv", root / "participants.csv"


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return write_360(tmp_path_factory.mktemp("sample360"))


def test_run_participants_returns_the_counts_and_the_manifest(sample: tuple[Path, Path], tmp_path: Path) -> None:
    responses, roster = sample
    calls: list[tuple[int, int]] = []
    summary = implassess.run_participants(
        responses,
        str(roster),
        battery=BATTERY,
        out_dir=tmp_path / "reports",
        reproducible=True,
        date="2026-11-23",
        min_raters={"peer": 4},
        progress=lambda done, total: calls.append((done, total)),
    )
    assert isinstance(summary, ParticipantsSummary)
    assert (summary.participants, summary.ok, summary.kept, summary.failed) == (5, 5, 0, ())
    assert summary.cohort_status == "ok" and summary.complete
    assert (summary.wave, summary.compare_wave) == ("follow-up", "baseline")
    assert summary.manifest_path == tmp_path / "reports" / "manifest.json"
    assert json.loads(summary.manifest_path.read_text(encoding="utf-8")) == summary.manifest
    assert summary.manifest["counts"] == {"participants": 5, "ok": 5, "error": 0, "kept": 0, "pending": 0}
    assert summary.manifest["settings"]["minimums"] == {
        "manager": 3,
        "peer": 4,
        "direct-report": 3,
        "other": 3,
        "all-others": 4,
    }
    assert summary.manifest["settings"]["date"] == "2026-11-23"
    # Paths are recorded as given, each with the file's SHA-256.
    assert summary.manifest["inputs"]["responses"]["file"] == str(responses)
    assert summary.manifest["inputs"]["participants"]["file"] == str(roster)
    assert re.fullmatch(r"[0-9a-f]{64}", summary.manifest["inputs"]["responses"]["sha256"])
    # Once before rendering, then once per participant and once for the cohort summary.
    assert calls == [(i, 6) for i in range(7)]

    again = implassess.run_participants(
        responses, roster, battery=BATTERY, out_dir=tmp_path / "reports", reproducible=True, min_raters={"peer": 4}
    )
    assert (again.ok, again.kept) == (5, 5)
    assert again.manifest["settings"]["date"] == "2026-11-23"  # the resumed run's date


def test_a_participant_without_a_report_is_in_failed(sample: tuple[Path, Path], tmp_path: Path) -> None:
    responses, roster = sample
    extra = tmp_path / "participants.csv"
    extra.write_text(roster.read_text(encoding="utf-8") + "P099,Nobody Rated,Site A,\n", encoding="utf-8")
    summary = implassess.run_participants(responses, extra, battery=BATTERY, out_dir=tmp_path / "out")
    assert (summary.participants, summary.ok) == (6, 5)
    assert [e.participant for e in summary.failed] == ["P099"]
    assert summary.failed[0].reason == "No ratings for participant 'P099' in wave 'follow-up'."
    assert not summary.complete


def test_an_unknown_wave_is_an_input_error_naming_the_waves(sample: tuple[Path, Path], tmp_path: Path) -> None:
    responses, roster = sample
    with pytest.raises(WaveError) as info:
        implassess.run_participants(responses, roster, battery=BATTERY, out_dir=tmp_path / "r", wave="mid-point")
    assert isinstance(info.value, InputError)
    assert info.value.option == "wave"
    assert str(info.value) == f"{responses}: 'mid-point' is not a wave of the file; found 'baseline', 'follow-up'."
    assert not (tmp_path / "r").exists()
    with pytest.raises(WaveError, match=r"^.*: 'x' is not a wave of the file; found 'baseline', 'follow-up'\.$"):
        implassess.run_participants(responses, roster, battery=BATTERY, out_dir=tmp_path / "r", compare_wave="x")


def test_the_command_reports_an_unknown_wave_as_a_bad_option(sample: tuple[Path, Path], tmp_path: Path) -> None:
    responses, roster = sample
    args = [str(responses), "--participants", str(roster), "--battery", BATTERY, "-o", str(tmp_path / "r")]
    result = CliRunner().invoke(participants_cmd, [*args, "--compare-wave", "later"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for --compare-wave: 'later' is not a wave of the file; found 'baseline', 'follow-up'."
    )


def test_rater_minimums_are_checked_before_anything_is_read() -> None:
    assert check_minimums({"direct_report": 2, "All-Others": 5}) == {"direct-report": 2, "all-others": 5}
    with pytest.raises(InputError) as info:
        check_minimums({"peers": 4})
    assert str(info.value) == (
        "min_raters: 'peers' is not a rater group; expected one of manager, peer, direct-report, other, all-others."
    )
    with pytest.raises(InputError) as info:
        check_minimums({"peer": 0})
    assert str(info.value) == "min_raters: The minimum for 'peer' is 0; expected a whole number ≥ 1."


def test_a_bad_date_string_is_an_input_error(sample: tuple[Path, Path], tmp_path: Path) -> None:
    responses, roster = sample
    with pytest.raises(InputError) as info:
        implassess.run_participants(responses, roster, battery=BATTERY, out_dir=tmp_path, date="23/11/2026")
    assert str(info.value) == "date: '23/11/2026' is not a date like 2026-11-23."


def python_example(doc: Path, heading: str) -> str:
    """The first fenced python block under ``heading`` in ``doc``."""
    text = doc.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    match = re.search(r"^```python\n(.*?)^```$", section, re.S | re.M)
    assert match is not None, f"no python example under {heading!r} in {doc.name}"
    return match.group(1)


def test_the_documented_python_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = python_example(DOCS / "participant-reports.md", "## Python API")
    assert "implassess.run_participants(" in code
    write_360(tmp_path / "sample-data", n=6, seed=5)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, object] = {"__name__": "__doc_example__"}
    exec(compile(code, "participant-reports.md", "exec"), namespace)
    summary = namespace["summary"]
    assert isinstance(summary, ParticipantsSummary)
    assert summary.out_dir == Path("reports") and (tmp_path / "reports" / "manifest.json").is_file()
    assert capsys.readouterr().out == "6 of 6 reports, cohort summary: ok\n"
    assert len(list((tmp_path / "reports").glob("P*.pdf"))) == 6


def test_a_stray_row_with_a_new_wave_does_not_become_the_default_wave() -> None:
    from implassess.jobs.participants import _waves

    waves = ["baseline", "follow-up", "stray"]
    rated = {"baseline": 24, "follow-up": 24, "stray": 1}
    assert _waves(Path("x.csv"), waves, None, None, rated) == ("follow-up", "baseline")
    assert _waves(Path("x.csv"), waves, "stray", None, rated) == ("stray", None)  # asked for: shown
    assert _waves(Path("x.csv"), ["a", "b"], None, None, {"a": 10, "b": 6}) == ("b", "a")
