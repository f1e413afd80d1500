"""The demo job: ``run_demo`` from Python, and ``implassess demo`` printing what it returns.

``test_run.py`` checks the demo's outputs; here the job's summary and the command's text.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from implassess.cli import cli
from implassess.jobs.demo import run_demo
from implassess.resources import data_dir

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cli_demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Result]:
    out = tmp_path_factory.mktemp("demo-cli")
    result = CliRunner().invoke(cli, ["demo", "--out-dir", str(out), "--reproducible"], catch_exceptions=False)
    return out, result


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_prints_the_sample_the_run_and_the_reports(cli_demo: tuple[Path, Result]) -> None:
    out, result = cli_demo
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Sample data (seed 7) written to {out / 'data'}; assessment: {out / 'assessment.toml'}"
    assert lines[1] == "Rows read: 403; scored: 199; rejected: 6 (reasons in rejected-rows.csv); other wave: 198."
    assert "All outputs (" in result.output and f"listed in manifest.json): {out}" in result.output
    assert lines[-4:] == [
        "",
        "Leadership programme: one private 360 report per participant (follow-up against baseline).",
        f"24 of 24 reports in {out / 'participants'} (0 kept from an earlier run), cohort summary: ok. "
        f"Manifest: {out / 'participants' / 'manifest.json'}.",
        "Rows of leadership-360.csv: 490 read = 490 used + 0 rejected + 0 set aside.",
    ]


def test_run_demo_returns_what_it_wrote(cli_demo: tuple[Path, Result], tmp_path: Path) -> None:
    cli_out, _ = cli_demo
    out = tmp_path / "demo"
    summary = run_demo(out, reproducible=True, participants=False)
    assert summary.participants is None and summary.complete
    assert not (out / "participants").exists()
    assert (summary.out_dir, summary.seed, summary.data_dir) == (out, 7, out / "data")
    assert summary.assessment == out / "assessment.toml"
    for name in ("assessment.toml", "targets.toml"):
        assert (out / name).read_bytes() == (data_dir("templates") / "demo" / name).read_bytes()
    assert {"org-survey.csv", "leadership-360.csv", "participants.csv", "kpis.csv"} <= {
        p.name for p in summary.sample_files
    }
    assert all(p.is_file() and p.parent == out / "data" for p in summary.sample_files)
    # The same job as the command: the same board report, byte for byte.
    assert summary.run.outputs["report.pdf"] == out / "report.pdf"
    assert sha(out / "report.pdf") == sha(cli_out / "report.pdf")
    assert sha(out / "data" / "org-survey.csv") == sha(cli_out / "data" / "org-survey.csv")
