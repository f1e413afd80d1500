"""The cli/ package holds click only: commands parse, call a job and print.

The conformance loop behind ``instruments verify`` is a job callable from Python; the
command prints what it returns. The commands moved out of ``cli/__init__.py`` are still
reachable under their old names.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

from click.testing import CliRunner

import implassess.cli
from implassess import plugins
from implassess.cli import cli
from implassess.jobs.conformance import InstrumentVerification, verify_instruments
from tests.conftest import REPO

CLI_DIR = REPO / "src" / "implassess" / "cli"


def test_verify_instruments_names_an_instrument_without_cases(minimal_path: Path) -> None:
    (minimal, clarity) = verify_instruments([str(minimal_path), "clarity-gaps"])
    assert minimal == InstrumentVerification(
        instrument="minimal", version="1.0.0", error="ships no conformance cases (no 'conformance' key)"
    )
    assert not minimal.passed
    assert minimal.as_dict() == {"instrument": "minimal", "error": "ships no conformance cases (no 'conformance' key)"}
    assert clarity.passed and len(clarity.results) == 6
    assert clarity.as_dict()["cases"][0] == {"id": clarity.results[0].case, "passed": True, "problems": []}

    result = CliRunner().invoke(cli, ["instruments", "verify", str(minimal_path), "clarity-gaps"])
    assert result.exit_code == 1
    assert result.output == (
        "minimal: ships no conformance cases (no 'conformance' key)\nclarity-gaps v1.0.0: 6 of 6 cases pass\n"
    )


def test_verify_all_skips_instruments_without_cases(minimal_path: Path, fresh_plugins: None) -> None:
    from implassess import hookimpl

    class P:
        @hookimpl
        def register_instruments(self, register):
            register(minimal_path)

    plugins.register_plugin(P(), "p")
    try:
        ids = [v.instrument for v in verify_instruments(all_instruments=True)]
        assert "minimal" not in ids and "clarity-gaps" in ids
        result = CliRunner().invoke(cli, ["instruments", "verify", "--all", "--json"])
        assert result.exit_code == 0, result.output
        assert [d["instrument"] for d in json.loads(result.output)] == ids
    finally:
        plugins.unregister_plugin("p")


def test_verify_needs_a_name_or_all() -> None:
    result = CliRunner().invoke(cli, ["instruments", "verify"])
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "Error: Name one or more instruments, or pass --all."


def test_the_root_group_lists_every_command() -> None:
    assert sorted(cli.commands) == sorted(
        [
            "change",
            "demo",
            "instruments",
            "norms",
            "participants",
            "plugin",
            "plugins",
            "readers",
            "report",
            "responses",
            "run",
            "sample",
            "score",
            "themes",
        ]
    )
    assert sorted(cli.commands["instruments"].commands) == ["export", "list", "show", "validate", "verify"]  # type: ignore[attr-defined]
    assert sorted(cli.commands["plugin"].commands) == ["new"]  # type: ignore[attr-defined]


def test_the_package_root_defines_no_command() -> None:
    """cli/__init__.py keeps the root group, error mapping, main and registration only."""
    tree = ast.parse((CLI_DIR / "__init__.py").read_text(encoding="utf-8"))
    decorated = [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        for dec in node.decorator_list
        if "command" in ast.unparse(dec) or ".group" in ast.unparse(dec)
    ]
    assert decorated == ["cli"]  # the root group itself
    # The plugin registry stays reachable although implassess.cli.plugins is now a submodule.
    assert implassess.cli.registry is plugins
    assert implassess.cli.plugins.__name__ == "implassess.cli.plugins"
