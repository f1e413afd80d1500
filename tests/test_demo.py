"""The demo job: ``run_demo`` from Python, and ``implassess demo`` printing what it returns.

``test_run.py`` checks the demo's outputs; here the job's summary, the command's text, and
the form round trip (a built-in instrument exported as an XLSForm, answered with the
sample as KoboToolbox exports it, read back and scored by site).
"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from implassess.cli import cli
from implassess.jobs.demo import FORM_DIR, run_demo
from implassess.readers.xlsx import read_sheet
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
    trip = out / FORM_DIR
    start = lines.index("") + 1
    assert lines[start : start + 10] == [
        "Form round trip: clarity-gaps exported as an XLSForm asking site (5 answers) and role (6 answers), "
        "recording wave 'baseline'.",
        f"  Form: {trip / 'clarity-gaps.xlsx'}",
        f"  Answered with the sample's baseline answers as KoboToolbox exports them: "
        f"{trip / 'clarity-gaps-kobo-export.csv'}",
        "  Read back with no mapping file: 29 of 29 items and site, role, wave mapped; rows read: 200; scored: 199; "
        "rejected: 1.",
        f"  Scores by site (0-100) in {trip / 'scores'}:",
        "    Eastgate Rehabilitation  n  37  overall 51.4",
        "    Harbourside Hospice      suppressed (too small, or it would reveal a smaller group by subtraction)",
        "    Hillcrest Clinic         suppressed (too small, or it would reveal a smaller group by subtraction)",
        "    Northbridge General      n  77  overall 59.5",
        "    Riverside Community      n  59  overall 55.6",
    ]
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


def _without_targets(group: dict) -> dict:
    """A profile group without what the assessment's targets file adds (the round trip has none)."""
    drop = {"target", "importance", "gap", "priority"}
    dims = [{k: v for k, v in d.items() if k not in drop} for d in group.get("dimensions", [])]
    return {**group, "dimensions": dims}


def test_form_round_trip_scores_by_site_as_the_board_report_does(cli_demo: tuple[Path, Result]) -> None:
    """The exported form, answered and exported by the tool, gives every site the numbers the
    board report gives it from the plain sample export: the same respondents, the same scores."""
    out, _ = cli_demo
    trip = out / FORM_DIR
    survey = [
        ["" if v is None else str(v) for v in values] for _, values in read_sheet(trip / "clarity-gaps.xlsx").rows
    ]
    assert survey[3:6] == [["select_one site", "site", "Site"], ["select_one role", "role", "Role"],
                           ["calculate", "wave", "", "", "", "'baseline'"]]  # fmt: skip
    with (trip / "clarity-gaps-kobo-export.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0][:6] == ["start", "end", "site", "role", "wave", "grp_outcome_clarity/cg-oc-01"]
    assert rows[0][-10:] == ["_id", "_uuid", "_submission_time", "_validation_status", "_notes", "_status",
                             "_submitted_by", "__version__", "_tags", "_index"]  # fmt: skip
    assert len(rows) - 1 == 200 and {r[4] for r in rows[1:]} == {"baseline"}
    assert not any("@" in cell for r in rows for cell in r)  # no e-mail address travels into the form's export
    board = json.loads((out / "clarity-gaps" / "profile.json").read_text(encoding="utf-8"))
    mine = json.loads((trip / "scores" / "profile.json").read_text(encoding="utf-8"))
    by_site = next(b for b in board["breakdowns"] if b["by"] == ["site"])
    assert [b["by"] for b in mine["breakdowns"]] == [["site"]]
    assert [_without_targets(g) for g in by_site["groups"]] == [
        _without_targets(g) for g in mine["breakdowns"][0]["groups"]
    ]
    assert _without_targets(board["organisation"]) == _without_targets(mine["organisation"])
    assert {g["key"]["site"]: g.get("n") for g in mine["breakdowns"][0]["groups"]} == {
        "Eastgate Rehabilitation": 37,
        "Harbourside Hospice": None,
        "Hillcrest Clinic": None,
        "Northbridge General": 77,
        "Riverside Community": 59,
    }


def test_run_demo_returns_the_form_round_trip(tmp_path: Path) -> None:
    summary = run_demo(tmp_path / "demo", reproducible=True, participants=False)
    trip = summary.form_round_trip
    assert trip.form == tmp_path / "demo" / FORM_DIR / "clarity-gaps.xlsx" and trip.wave == "baseline"
    assert [(b.name, b.choices) for b in trip.breakdowns] == [
        ("site", ("Eastgate Rehabilitation", "Harbourside Hospice", "Hillcrest Clinic", "Northbridge General",
                  "Riverside Community")),
        ("role", ("administrator", "allied health", "clinician", "executive", "manager", "nurse")),
    ]  # fmt: skip
    assert trip.items_mapped == 29 and trip.attributes_mapped == ("site", "role", "wave")
    assert not any(m.how == "mapping file" or m.role == "unknown" for m in trip.columns)
    assert (trip.score.responses.rows_read, trip.score.responses.n) == (200, 199)
    [rejected] = trip.score.responses.rejected
    assert rejected.reasons[0].startswith("No item answered: all 29 item columns ('grp_outcome_clarity/cg-oc-01'")
