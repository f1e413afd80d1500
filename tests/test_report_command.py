"""``implassess report RUN_DIR``: the PDF rendered again from a run folder, never from the exports.

The run's own PDF is rendered through the same job, from the same files, so a
reproducible re-render is byte-identical — also from a copy of the folder moved
elsewhere with the exports gone.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from pypdf import PdfReader

from implassess import plugins
from implassess.cli import cli
from implassess.resources import data_dir
from implassess.sample import generate, write_sample

pytestmark = pytest.mark.slow

BATTERY = "implementation-leadership-diagnostic"


def _invoke(*args: object) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample data and the demo assessment, run once with --reproducible (outputs next to the file)."""
    root = tmp_path_factory.mktemp("project")
    write_sample(generate(plugins.get_batteries()[BATTERY], seed=7), root / "data", ("generic",))
    for name in ("assessment.toml", "targets.toml"):
        shutil.copyfile(data_dir("templates") / "demo" / name, root / name)
    result = _invoke("run", root / "assessment.toml", "--reproducible")
    assert result.exit_code == 0, result.output
    return root


@pytest.fixture
def run_copy(project: Path, tmp_path: Path) -> Path:
    """A copy of the run folder without the exports, the assessment or the targets."""
    copy = tmp_path / "moved"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("data", "*.toml"))
    return copy


def test_report_reproduces_the_run_pdf_byte_for_byte(project: Path, tmp_path: Path) -> None:
    out = tmp_path / "again.pdf"
    result = _invoke("report", project, "--reproducible", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == (project / "report.pdf").read_bytes()
    pages = len(PdfReader(out).pages)
    assert result.output == f"Report: {out} ({pages} pages, theme default).\n"


def test_a_moved_copy_without_the_exports_renders_the_same_pdf(project: Path, run_copy: Path) -> None:
    original = (project / "report.pdf").read_bytes()
    (run_copy / "report.pdf").unlink()
    assert not (run_copy / "data").exists() and not (run_copy / "assessment.toml").exists()
    result = _invoke("report", run_copy, "--reproducible", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data == {
        "run_dir": str(run_copy),
        "pdf": str(run_copy / "report.pdf"),
        "pages": len(PdfReader(run_copy / "report.pdf").pages),
        "theme": "default",
    }
    assert (run_copy / "report.pdf").read_bytes() == original


def test_another_theme_changes_the_pdf(project: Path, run_copy: Path, tmp_path: Path) -> None:
    theme = tmp_path / "acme.theme.toml"
    text = (data_dir("templates") / "themes" / "default.theme.toml").read_text(encoding="utf-8")
    text = text.replace('name = "default"', 'name = "acme"').replace('primary = "#1F3A5F"', 'primary = "#7A1F5F"')
    text = text.replace('footer = "Prepared with implassess"', 'footer = "Prepared by Acme Advisory"')
    theme.write_text(text, encoding="utf-8")
    out = tmp_path / "acme.pdf"
    result = _invoke("report", run_copy, "--reproducible", "--theme", theme, "-o", out)
    assert result.exit_code == 0, result.output
    assert f"theme {theme})" in result.output
    assert out.read_bytes() != (project / "report.pdf").read_bytes()
    assert "Prepared by Acme Advisory" in PdfReader(out).pages[1].extract_text()
    assert "Prepared by Acme Advisory" not in PdfReader(project / "report.pdf").pages[1].extract_text()


def test_run_records_what_rendering_needs_in_the_manifest(project: Path) -> None:
    manifest = json.loads((project / "manifest.json").read_text(encoding="utf-8"))
    report = manifest["report"]
    assert list(manifest)[-1] == "report"
    assert report["title"] == "Implementation Leadership Diagnostic"
    assert report["client"]["date"] == "2026-11-23" and report["heatmap_by"] == "site"
    assert report["theme"] == "default" and report["templates"] is None
    assert report["kpi_file"] == "kpis.csv"
    assert report["excluded"] == [["Other waves than 'baseline'", manifest["rows"]["other_wave"]]]
    assert [i["id"] for i in report["instruments"]] == [i["id"] for i in manifest["instruments"]]
    assert all(len(i["sha256"]) == 64 and i["version"] == "1.0.0" for i in report["instruments"])


# -- errors ------------------------------------------------------------------------------------------------------------


def test_a_folder_without_a_manifest_is_not_a_run_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {tmp_path} is not a run folder: it has no manifest.json. Expected the output folder of "
        "`implassess run`.\n"
    )


def test_a_missing_profile_is_named(run_copy: Path) -> None:
    (run_copy / "clarity-gaps" / "profile.json").unlink()
    result = CliRunner().invoke(cli, ["report", str(run_copy)])
    assert result.exit_code == 1
    path = run_copy / "clarity-gaps" / "profile.json"
    assert result.output == f"Error: {path}: the profile is missing; expected the file `implassess run` wrote there.\n"


def test_a_damaged_profile_is_named(run_copy: Path) -> None:
    path = run_copy / "clarity-gaps" / "profile.json"
    path.write_text('{"schema": "implassess-profile/1",', encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", str(run_copy)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {path}: the profile is damaged (Expecting property name enclosed in double quotes: line 1 "
        "column 35 (char 34)); run the assessment again to write it anew.\n"
    )
    doc = json.loads((run_copy / "megatrend-kpis" / "profile.json").read_text(encoding="utf-8"))
    del doc["organisation"]
    path.write_text(json.dumps(doc), encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", str(run_copy)])
    assert result.output == (
        f"Error: {path}: the profile is damaged (required field missing @ $.organisation); run the assessment "
        "again to write it anew.\n"
    )


def test_an_instrument_that_is_not_installed_or_differs_is_refused(run_copy: Path) -> None:
    manifest_path = run_copy / "manifest.json"
    original = manifest_path.read_text(encoding="utf-8")
    manifest = json.loads(original)
    manifest["report"]["instruments"][3]["id"] = "clarity-gapz"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", str(run_copy)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {manifest_path}: the run used instrument 'clarity-gapz' version 1.0.0, which is not installed; "
        "install the plugin (or restore the file) that provides it to render this run.\n"
    )
    manifest = json.loads(original)
    manifest["report"]["instruments"][3]["version"] = "0.9.0"
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", str(run_copy)])
    assert result.output == (
        f"Error: {manifest_path}: the run used instrument 'clarity-gaps' version 0.9.0, but the installed one is "
        "'clarity-gaps' version 1.0.0; install version 0.9.0 to render this run.\n"
    )
    manifest = json.loads(original)
    manifest["report"]["instruments"][3]["sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", str(run_copy)])
    assert result.output == (
        f"Error: {manifest_path}: the installed instrument 'clarity-gaps' version 1.0.0 differs from the one the "
        "run was scored with (its content hash changed); run the assessment again, or install the instrument the "
        "run used.\n"
    )


def test_a_manifest_without_the_report_block_is_refused(run_copy: Path) -> None:
    manifest_path = run_copy / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["report"]
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", str(run_copy)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {manifest_path} has no 'report' block with the run's instruments, so the report cannot be "
        "rendered from it; run the assessment again with this version of implassess.\n"
    )
