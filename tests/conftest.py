"""Shared fixtures. Tests see the built-in plugins only unless they opt in."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

# Third-party plugins installed in the venv (e.g. by the plugin install test) must not
# change what other tests see.
os.environ["IMPLASSESS_LOAD_PLUGINS"] = ""
# No test may write to the user's own release ledger. Module- and session-scoped fixtures run
# before the per-test ledger below is set, so they share this one unless they set their own.
os.environ["IMPLASSESS_LEDGER"] = tempfile.mkdtemp(prefix="implassess-test-ledger-")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
#: Real survey-tool exports kept beside the project (never copied into it; some carry licences
#: the package cannot ship). Tests that read them skip with a message when the folder is absent.
SHARED_EXPORTS = Path(os.environ.get("IMPLASSESS_SHARED_EXPORTS", REPO.parent / "shared" / "exports"))


@pytest.fixture(autouse=True)
def private_ledger(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test gets its own release ledger (never the user's), so runs in one test do not
    suppress cells in another. Tests of the ledger itself set IMPLASSESS_LEDGER again."""
    path = tmp_path_factory.mktemp("ledger")
    monkeypatch.setenv("IMPLASSESS_LEDGER", str(path))
    return path


@contextlib.contextmanager
def ledger_at(path: Path) -> Iterator[Path]:
    """Use the release ledger at ``path`` inside the block (for module-scoped fixtures)."""
    old = os.environ.get("IMPLASSESS_LEDGER")
    os.environ["IMPLASSESS_LEDGER"] = str(path)
    try:
        yield path
    finally:
        if old is None:
            os.environ.pop("IMPLASSESS_LEDGER", None)
        else:
            os.environ["IMPLASSESS_LEDGER"] = old


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def shared_exports() -> Path:
    """The folder of real survey-tool exports (``../shared/exports``); skips when it is absent."""
    if not (SHARED_EXPORTS / "SOURCES.md").is_file():
        pytest.skip(f"the real survey-tool exports are not at {SHARED_EXPORTS} (set IMPLASSESS_SHARED_EXPORTS)")
    return SHARED_EXPORTS


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
