"""Shared fixtures. Tests see the built-in plugins only unless they opt in."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# Third-party plugins installed in the venv (e.g. by the plugin install test) must not
# change what other tests see.
os.environ["IMPLASSESS_LOAD_PLUGINS"] = ""

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def minimal_path() -> Path:
    return FIXTURES / "instruments" / "minimal.toml"


@pytest.fixture
def fresh_plugins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Reload plugins before and after the test (for tests that change the environment)."""
    from implassess import plugins

    plugins.reset()
    try:
        yield
    finally:
        monkeypatch.undo()
        plugins.reset()


@pytest.fixture(scope="session")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the built wheel and the first-party plugins installed (slow: ~30 s)."""
    root = tmp_path_factory.mktemp("wheel")
    dist = root / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist), str(REPO)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("implassess-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            str(wheel),
            str(REPO / "plugins" / "implassess-example"),
            str(REPO / "plugins" / "implassess-practice-checklist"),
            str(REPO / "plugins" / "implassess-brand-northstar"),
        ],
        check=True,
        capture_output=True,
    )
    return venv
