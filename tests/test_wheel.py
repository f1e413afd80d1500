"""The built wheel carries instruments and templates and works outside the repository,
and the first-party example plugin installs and registers through its entry point."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import tomllib

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _run(venv: Path, *args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("IMPLASSESS_LOAD_PLUGINS", "PYTHONPATH")}
    out = subprocess.run([str(venv / "bin" / "implassess"), *args], cwd=cwd, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout


def _builtin_ids() -> set[str]:
    return {tomllib.loads(p.read_text())["id"] for p in (REPO / "instruments").glob("*.toml")}


def test_wheel_lists_builtin_and_plugin_instruments_outside_the_repo(installed: Path, tmp_path: Path) -> None:
    rows = json.loads(_run(installed, "instruments", "list", "--json", cwd=tmp_path))
    ids = {r["id"] for r in rows}
    assert ids == _builtin_ids() | {"huddle-pulse", "implementation-practices"}
    (pulse,) = [r for r in rows if r["id"] == "huddle-pulse"]
    assert pulse["plugin"] == "example" and pulse["items"] == 6


def test_wheel_carries_templates_and_instruments(installed: Path, tmp_path: Path) -> None:
    code = "from implassess.resources import data_dir; print(data_dir('instruments')); print(data_dir('templates'))"
    out = subprocess.run(
        [str(installed / "bin" / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.split()
    assert all("site-packages" in line and "_data" in line for line in out)
    assert {p.name for p in Path(out[0]).glob("*.toml")} == {p.name for p in (REPO / "instruments").glob("*.toml")}


def test_example_plugin_appears_in_plugins_and_adds_its_command(installed: Path, tmp_path: Path) -> None:
    data = {p["name"]: p for p in json.loads(_run(installed, "plugins", cwd=tmp_path))}
    assert data["example"] == {
        "name": "example",
        "version": "0.1.0",
        "hooks": ["register_commands", "register_instruments"],
        "distribution": "implassess-example",
    }
    card = _run(installed, "huddle-card", "--intervention", "the discharge checklist", cwd=tmp_path)
    assert card.splitlines()[0] == "Team huddle pulse"
    assert "1. This week I used the discharge checklist on every shift I worked." in card


def test_practice_checklist_plugin_scores_by_gating_through_its_entry_point(installed: Path, tmp_path: Path) -> None:
    data = {p["name"]: p for p in json.loads(_run(installed, "plugins", cwd=tmp_path))}
    assert data["practice-checklist"]["hooks"] == ["register_instruments", "register_scoring_rules"]
    report = json.loads(_run(installed, "instruments", "verify", "implementation-practices", "--json", cwd=tmp_path))
    (entry,) = report
    assert len(entry["cases"]) >= 5 and all(c["passed"] for c in entry["cases"])


def test_builtin_instruments_verify_from_the_wheel(installed: Path, tmp_path: Path) -> None:
    report = json.loads(_run(installed, "instruments", "verify", "--all", "--json", cwd=tmp_path))
    assert {e["instrument"] for e in report} >= _builtin_ids() - {
        "implementation-leadership-diagnostic",
        "implementation-leadership-360",
    }
    assert all(c["passed"] for e in report for c in e["cases"])


def test_brand_pack_themes_the_demo_through_its_entry_point(installed: Path, tmp_path: Path) -> None:
    from pypdf import PdfReader

    themes = _run(installed, "themes", "list", cwd=tmp_path)
    assert "northstar" in themes
    _run(installed, "demo", "--out-dir", str(tmp_path / "demo"), "--theme", "northstar", cwd=tmp_path)
    reader = PdfReader(tmp_path / "demo" / "report.pdf")
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "About Northstar Advisory" in text
    fonts = {str(f["/BaseFont"]) for page in reader.pages[:3] for f in page["/Resources"]["/Font"].values()}
    assert any("SourceSans" in f for f in fonts), fonts
    assert round(float(reader.pages[0].mediabox.width)) == 612  # Letter
