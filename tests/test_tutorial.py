"""docs/writing-plugins.md is executed: every ```sh block, in order, in a fresh venv
holding the built wheel. Then the scaffolded plugin's report is checked."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import REPO

pytestmark = pytest.mark.slow


def _blocks() -> list[str]:
    text = (REPO / "docs" / "writing-plugins.md").read_text()
    return re.findall(r"```sh\n(.*?)```", text, re.S)


def test_the_tutorial_has_the_steps_the_issue_asks_for() -> None:
    script = "\n".join(_blocks())
    for step in ("implassess plugin new", "pip install", "instruments verify", "pytest", "implassess run"):
        assert step in script


def test_tutorial_steps_run_and_the_plugin_scores_and_renders(installed: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("IMPLASSESS_LOAD_PLUGINS", "PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{installed / 'bin'}:{env['PATH']}"
    subprocess.run([str(installed / "bin" / "pip"), "install", "--quiet", "pytest"], check=True, env=env)
    try:
        for block in _blocks():
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", block], cwd=tmp_path, env=env, capture_output=True, text=True
            )
            assert done.returncode == 0, f"step failed:\n{block}\n{done.stdout}\n{done.stderr}"
        pdf = tmp_path / "ward-report" / "report.pdf"
        text = "\n".join(p.extract_text() for p in PdfReader(pdf).pages)
        assert "St Elsewhere Hospital" in text and "Ward safety huddles" in text
        manifest = (tmp_path / "ward-report" / "ward-safety" / "profile.json").read_text()
        assert '"scoring_rule": "ward-safety-rule"' in manifest
    finally:
        subprocess.run(
            [str(installed / "bin" / "pip"), "uninstall", "--quiet", "-y", "implassess-ward-safety"],
            env=env,
            check=False,
        )
