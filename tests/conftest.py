"""Shared fixtures. Tests see the built-in plugins only unless they opt in."""

from __future__ import annotations

import os
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
