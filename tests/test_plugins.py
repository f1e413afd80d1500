"""The plugin core: loading, isolation of faults, duplicate names, every hook called."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import attrs
import click
import jinja2
import pytest
from click.testing import CliRunner

from implassess import hookimpl, plugins
from implassess.cli import cli
from implassess.contracts import RawTable, ReportSection, ScoringRule, Theme
from implassess.errors import NotFoundError
from implassess.formats.instrument import load_file


def _fake_distribution(root: Path, name: str, module_source: str, entry: str | None = None) -> None:
    """Write an installed-looking distribution (dist-info + module) under ``root``."""
    mod = name.replace("-", "_")
    (root / f"{mod}.py").write_text(textwrap.dedent(module_source))
    info = root / f"{mod}-0.3.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.3.1\n")
    (info / "entry_points.txt").write_text(f"[implassess]\n{entry or name} = {mod}\n")


GOOD_PLUGIN = """
    from pathlib import Path
    from implassess import hookimpl

    HERE = Path(__file__).parent

    @hookimpl
    def register_instruments(register):
        register(HERE / "good.toml")
"""


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, minimal_path: Path, fresh_plugins: None) -> Path:
    text = minimal_path.read_text().replace('id = "minimal"', 'id = "good-one"', 1)
    (tmp_path / "good.toml").write_text(text)
    _fake_distribution(tmp_path, "implassess-good", GOOD_PLUGIN, entry="good")
    _fake_distribution(tmp_path, "implassess-broken", "raise RuntimeError('boom at import')\n", entry="broken")
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_entry_point_plugins_load_and_a_broken_one_is_named(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMPLASSESS_LOAD_PLUGINS")
    plugins.reset()
    assert "good-one" in plugins.get_instruments()
    (problem,) = [p for p in plugins.problems() if "broken" in p]
    assert problem == (
        "Plugin 'broken' could not be loaded and is skipped.\n"
        "Entry point: broken = implassess_broken\n"
        "Distribution: implassess-broken 0.3.1\n"
        "Fault: RuntimeError: boom at import\n"
        "Fix: reinstall or uninstall implassess-broken, or leave it out with IMPLASSESS_LOAD_PLUGINS."
    )
    info = {p.name: p for p in plugins.plugin_infos()}["good"]
    assert info.version == "0.3.1"
    assert info.distribution == "implassess-good"
    assert info.hooks == ("register_instruments",)


def test_broken_plugin_does_not_break_unrelated_commands(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IMPLASSESS_LOAD_PLUGINS")
    plugins.reset()
    result = CliRunner().invoke(cli, ["instruments", "list", "--json"], catch_exceptions=False)
    assert result.exit_code == 0
    ids = [row["id"] for row in json.loads(result.stdout)]
    assert "good-one" in ids
    assert "Warning: Plugin 'broken' could not be loaded" in result.stderr


def test_load_plugins_variable_restricts_loading(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMPLASSESS_LOAD_PLUGINS", "implassess-good")
    plugins.reset()
    names = {p.name for p in plugins.plugin_infos()}
    assert "good" in names and "broken" not in names
    assert plugins.problems() == []
    monkeypatch.setenv("IMPLASSESS_LOAD_PLUGINS", "")
    plugins.reset()
    assert {p.name for p in plugins.plugin_infos() if not p.builtin} == set()


def test_loading_is_idempotent(fresh_plugins: None) -> None:
    plugins.load_plugins()
    first = plugins.plugin_infos()
    plugins.load_plugins()
    assert plugins.plugin_infos() == first


class _Contributor:
    """A plugin that implements every hook, to check each is called and attributed."""

    def __init__(self, instrument_path: Path):
        self.instrument_path = instrument_path
        self.calls: list[str] = []

    @hookimpl
    def register_instruments(self, register):
        self.calls.append("register_instruments")
        register(load_file(self.instrument_path))

    @hookimpl
    def register_readers(self, register):
        self.calls.append("register_readers")

        class Reader:
            name = "test-reader"
            description = "Reads nothing."

            def sniff(self, path, head):
                return 0.0

            def read(self, path, options):
                return RawTable(str(path), "test-reader", (), [])

        register(Reader())

    @hookimpl
    def register_themes(self, register):
        self.calls.append("register_themes")
        register(Theme(name="test-theme", primary="#000000"))

    @hookimpl
    def register_report_sections(self, register):
        self.calls.append("register_report_sections")
        register(ReportSection(id="test-section", title="Test", order=950, render=lambda ctx: []))

    @hookimpl
    def register_scoring_rules(self, register):
        self.calls.append("register_scoring_rules")
        register(ScoringRule(name="test-rule", description="Always 50.", score=lambda inst, values: 50.0))

    @hookimpl
    def register_commands(self, cli):
        self.calls.append("register_commands")

        @cli.command("test-hello")
        def hello() -> None:
            click.echo("hello from a plugin")

    @hookimpl
    def prepare_jinja2_environment(self, env, purpose):
        self.calls.append(f"prepare_jinja2_environment:{purpose}")
        env.filters["shout"] = lambda s: s.upper() + "!"


@pytest.fixture
def contributor(minimal_path: Path, fresh_plugins: None):
    plugin = _Contributor(minimal_path)
    plugins.register_plugin(plugin, "contributor")
    try:
        yield plugin
    finally:
        plugins.unregister_plugin("contributor")


def test_every_hook_reaches_its_collector(contributor: _Contributor) -> None:
    assert plugins.get_instruments()["minimal"].id == "minimal"
    assert plugins.instrument_owner("minimal") == "contributor"
    assert "test-reader" in plugins.get_readers()
    assert plugins.get_themes()["test-theme"].primary == "#000000"
    assert "test-section" in [s.id for s in plugins.get_report_sections()]
    assert plugins.get_scoring_rules()["test-rule"].score(None, None) == 50.0
    env = jinja2.Environment()
    plugins.prepare_jinja2_environment(env, "report")
    assert env.from_string("{{ 'ok' | shout }}").render() == "OK!"
    group = click.Group()
    plugins.add_commands(group)
    result = CliRunner().invoke(group, ["test-hello"], catch_exceptions=False)
    assert result.output == "hello from a plugin\n"
    assert set(contributor.calls) >= {
        "register_instruments",
        "register_readers",
        "register_themes",
        "register_report_sections",
        "register_scoring_rules",
        "register_commands",
        "prepare_jinja2_environment:report",
    }


def test_duplicate_names_are_rejected_naming_both_plugins(contributor: _Contributor, minimal_path: Path) -> None:
    second = _Contributor(minimal_path)
    plugins.register_plugin(second, "second")
    try:
        plugins.get_instruments()
        dupes = [p for p in plugins.problems() if "already registered" in p]
        assert dupes == [
            "Plugin 'second' failed.\n"
            "Hook: register_instruments\n"
            "Fault: Instrument 'minimal' is already registered by plugin 'contributor'; "
            "plugin 'second' registers it again. Rename one of them."
        ]
        assert plugins.instrument_owner("minimal") == "contributor"
    finally:
        plugins.unregister_plugin("second")


class _Raiser:
    @hookimpl
    def register_instruments(self, register):
        raise ValueError("catalogue server unreachable")

    @hookimpl
    def prepare_jinja2_environment(self, env):
        raise KeyError("no such filter")


def test_a_raising_hook_is_reported_by_name(fresh_plugins: None) -> None:
    plugins.register_plugin(_Raiser(), "raiser")
    try:
        plugins.get_instruments()
        assert plugins.instrument_owner("minimal") is None
        assert (
            "Plugin 'raiser' failed.\nHook: register_instruments\nFault: ValueError: catalogue server unreachable"
            in plugins.problems()
        )
        result = CliRunner().invoke(cli, ["instruments", "list"], catch_exceptions=False)
        assert result.exit_code == 0
        assert "Plugin 'raiser' failed." in result.stderr
        with pytest.raises(Exception) as info:
            plugins.prepare_jinja2_environment(jinja2.Environment(), "report")
        assert (
            str(info.value)
            == "Plugin 'raiser' failed.\nHook: prepare_jinja2_environment\nFault: KeyError: 'no such filter'"
        )
    finally:
        plugins.unregister_plugin("raiser")


def test_invalid_instrument_file_from_a_plugin_is_skipped_with_its_findings(
    tmp_path: Path, fresh_plugins: None
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('id = "bad"\n')

    class Plugin:
        @hookimpl
        def register_instruments(self, register):
            register(bad)

    plugins.register_plugin(Plugin(), "bad-plugin")
    try:
        assert "bad" not in plugins.get_instruments()
        (problem,) = [p for p in plugins.problems() if "bad-plugin" in p]
        assert problem.startswith("Plugin 'bad-plugin' failed.\nHook: register_instruments\nFault: ")
        assert f"{bad}: error: Required key 'version' is missing." in problem
    finally:
        plugins.unregister_plugin("bad-plugin")


def test_collectors_return_read_only_mappings(contributor: _Contributor) -> None:
    """A caller cannot change the registry through what a collector returns."""
    for collected in (
        plugins.get_instruments(),
        plugins.get_batteries(),
        plugins.get_readers(),
        plugins.get_themes(),
        plugins.get_scoring_rules(),
    ):
        with pytest.raises(TypeError, match="does not support item assignment"):
            collected["intruder"] = None  # type: ignore[index]
    sections = plugins.get_report_sections()
    assert isinstance(sections, tuple)
    assert [s.order for s in sections] == sorted(s.order for s in sections)
    assert plugins.get_themes()["test-theme"].primary == "#000000"


def test_scoring_rule_for_resolves_what_the_instrument_names(contributor: _Contributor) -> None:
    """The engine gets the rule as an argument; this is where callers look it up."""
    inst = plugins.get_instruments()["minimal"]
    assert inst.scoring.rule is None
    assert plugins.scoring_rule_for(inst) is None
    named = attrs.evolve(inst, scoring=attrs.evolve(inst.scoring, rule="test-rule"))
    rule = plugins.scoring_rule_for(named)
    assert rule is plugins.get_scoring_rules()["test-rule"]
    assert rule is not None and rule.description == "Always 50."
    unknown = attrs.evolve(inst, scoring=attrs.evolve(inst.scoring, rule="no-such-rule"))
    with pytest.raises(NotFoundError) as caught:
        plugins.scoring_rule_for(unknown)
    assert str(caught.value) == "No scoring rule named 'no-such-rule'. Known: test-rule."
