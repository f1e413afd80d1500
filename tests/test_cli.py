"""The CLI as a user meets it: versions, listing, showing, plugins, errors without tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from implassess import __version__, hookimpl, plugins
from implassess.cli import cli


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0
    assert result.output == f"implassess, version {__version__}\n"


def test_show_by_path_renders_form_text_with_variables(minimal_path: Path) -> None:
    result = run("instruments", "show", str(minimal_path), "--form", "self")
    assert result.exit_code == 0
    assert "I state a measurable goal for the new pathway." in result.output
    assert "p3       resourcing: Staff are pulled off the work without warning. (reversed)" in result.output
    assert "low-planning: planning level <= 2 -> write-promise (high)" in result.output


def test_show_json_uses_toml_key_names(minimal_path: Path) -> None:
    data = json.loads(run("instruments", "show", str(minimal_path), "--json").stdout)
    assert data["id"] == "minimal"
    assert data["scoring"] == {"min-answered": 0.5, "method": "mean", "rule": None}
    assert data["scales"][0]["options"][5] == {
        "label": "Don't know",
        "value": None,
        "code": "8",
        "non-substantive": True,
    }


def test_show_unknown_form_is_a_clean_error(minimal_path: Path) -> None:
    result = run("instruments", "show", str(minimal_path), "--form", "peer")
    assert result.exit_code == 1
    assert result.output == "Error: Instrument 'minimal' has no form 'peer'; expected one of: 'rater', 'self'.\n"


def test_unknown_instrument_is_a_clean_error() -> None:
    result = run("instruments", "show", "no-such-thing")
    assert result.exit_code == 1
    assert result.output.startswith("Error: No instrument named 'no-such-thing'. Known: ")
    assert "Traceback" not in result.output


def test_list_json_includes_a_registered_instrument(minimal_path: Path, fresh_plugins: None) -> None:
    class P:
        @hookimpl
        def register_instruments(self, register):
            register(minimal_path)

    plugins.register_plugin(P(), "p")
    try:
        rows = json.loads(run("instruments", "list", "--json").stdout)
        (row,) = [r for r in rows if r["id"] == "minimal"]
        assert row == {
            "id": "minimal",
            "kind": "instrument",
            "version": "1.0.0",
            "title": "Minimal example",
            "dimensions": 2,
            "items": 5,
            "kpis": 0,
            "plugin": "p",
        }
    finally:
        plugins.unregister_plugin("p")


def test_plugins_command_prints_json_with_hooks() -> None:
    data = json.loads(run("plugins", "--all").stdout)
    builtin = {p["name"]: p for p in data}
    assert builtin["implassess.default_plugins.builtin_instruments"]["hooks"] == ["register_instruments"]
    assert json.loads(run("plugins").stdout) == []


def test_unexpected_error_in_a_plugin_command_shows_no_traceback(fresh_plugins: None) -> None:
    class P:
        @hookimpl
        def register_commands(self, cli):
            @cli.command("explode")
            def explode() -> None:
                raise ZeroDivisionError("division by zero")

    import click

    group = click.Group()
    plugins.register_plugin(P(), "exploder")
    try:
        from implassess.cli import _Cli

        wrapped = _Cli(name="implassess")
        plugins.add_commands(wrapped)
        result = CliRunner().invoke(wrapped, ["explode"])
        assert result.exit_code == 1
        assert "Unexpected internal error: ZeroDivisionError: division by zero" in result.output
        assert "Traceback" not in result.output
        assert group.commands == {}
    finally:
        plugins.unregister_plugin("exploder")


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys\n"
        "from implassess.cli import main\n"
        "sys.argv = ['implassess', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('reportlab', 'numpy', 'openpyxl', 'scipy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "Usage: implassess" in out
    assert out.strip().splitlines()[-1] == "[]"


def test_an_unwritable_output_folder_is_a_clean_error(tmp_path: Path, minimal_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    export = tmp_path / "e.csv"
    export.write_text("respondent_id,p1,p2,p3,l1,l2\na,1,2,3,4,5\n")
    result = CliRunner().invoke(cli, ["score", str(export), "-i", str(minimal_path), "-o", str(blocker / "sub")])
    assert result.exit_code == 1
    assert "Cannot write" in result.output and "Expected a folder you can write to" in result.output
    assert "Traceback" not in result.output
    assert "Unexpected internal error" not in result.output


def test_deeply_nested_toml_is_a_clean_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    result = CliRunner().invoke(cli, ["instruments", "validate", str(path)])
    assert result.exit_code == 1
    assert f"{path}: error: The TOML is nested too deeply to read" in result.output
