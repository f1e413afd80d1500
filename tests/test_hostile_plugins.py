"""Hostile plugins and hostile templates: every fault names the plugin (or the template file
and line), the CLI exits without a traceback, built-in commands keep working, and a client
template cannot run Python."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from implassess import hookimpl, plugins
from implassess.cli import cli
from implassess.contracts import ReportSection, ScoringRule, Theme
from implassess.errors import ImplassessError, PluginError
from implassess.report import narrative, render_report
from tests.test_report import small_model

REPO = Path(__file__).resolve().parent.parent
MINIMAL = REPO / "tests" / "fixtures" / "instruments" / "minimal.toml"
EXPORT = "respondent_id,p1,p2,p3,l1,l2\n" + "".join(
    f"r{i},{1 + i % 5},{2 + i % 4},3,{1 + i % 3},4\n" for i in range(12)
)

Register = Callable[[object, str], None]


def invoke(*args: object) -> Result:
    """The CLI as a user runs it; an exception escaping the CLI fails the test."""
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def assert_clean(result: Result, code: int) -> None:
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


@pytest.fixture
def register(fresh_plugins: None) -> Iterator[Register]:
    """Register plugin objects under a name for one test; always unregistered afterwards."""
    names: list[str] = []

    def add(obj: object, name: str) -> None:
        plugins.register_plugin(obj, name)
        names.append(name)

    try:
        yield add
    finally:
        for name in names:
            plugins.unregister_plugin(name)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small assessment (the minimal instrument, 12 respondents), run once: ``out/`` is its run folder."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "export.csv").write_text(EXPORT)
    (root / "assessment.toml").write_text(
        f'instruments = ["{MINIMAL}"]\n\n[client]\nname = "Hostile Ltd"\nengagement = "Plugin check"\n'
        'date = "2026-11-23"\n\n[[responses]]\npath = "export.csv"\n\n[outputs]\ndir = "out"\n'
    )
    result = invoke("run", root / "assessment.toml")
    assert_clean(result, 0)
    return root


# -- contributions of the wrong shape ----------------------------------------------------------


class BareStringSection:
    @hookimpl
    def register_report_sections(self, register):
        register("just a string")


def test_a_bare_string_section_stops_the_report_naming_the_plugin(
    register: Register, project: Path, tmp_path: Path
) -> None:
    register(BareStringSection(), "stringy")
    out = tmp_path / "r.pdf"
    result = invoke("report", project / "out", "-o", out)
    assert_clean(result, 1)
    assert result.stderr == (
        "Error: Plugin 'stringy' failed.\n"
        "Hook: register_report_sections\n"
        "Fault: register() got str 'just a string'; expected a ReportSection (implassess.contracts.ReportSection).\n"
    )
    assert not out.exists()
    # Commands that lay out no report are untouched.
    assert_clean(invoke("instruments", "list", "--json"), 0)


def test_section_fields_of_the_wrong_kind_are_each_named(register: Register) -> None:
    class WrongFields:
        @hookimpl
        def register_report_sections(self, register):
            register(ReportSection(id="risks", title="Risks", order="650", render="not a function"))  # type: ignore[arg-type]

    register(WrongFields(), "wrong-fields")
    with pytest.raises(PluginError) as caught:
        plugins.get_report_sections()
    assert str(caught.value) == (
        "Plugin 'wrong-fields' failed.\n"
        "Hook: register_report_sections\n"
        "Fault: register() got report section 'risks' whose order is str '650' (expected a whole number); "
        "render is str 'not a function' (expected a function render(context) returning flowables)."
    )


def test_a_section_rendering_text_instead_of_flowables_names_the_plugin(register: Register, tmp_path: Path) -> None:
    class TextSection:
        @hookimpl
        def register_report_sections(self, register):
            register(ReportSection(id="notes", title="Notes", order=950, render=lambda ctx: "Some notes"))

    register(TextSection(), "texty")
    out = tmp_path / "r.pdf"
    with pytest.raises(PluginError) as caught:
        render_report(small_model(1), "default", out)
    assert str(caught.value) == (
        "Plugin 'texty' failed.\n"
        "Hook: register_report_sections\n"
        "Fault: Report section 'notes' ('Notes'): render() returned str 'Some notes'; "
        "expected a list of reportlab flowables."
    )
    assert not out.exists()


class DictReader:
    name = "dicty"
    description = "Returns a dict instead of a table."

    def sniff(self, path, head):
        return 0.0

    def read(self, path, options):
        return {"rows": []}


def test_a_reader_returning_a_dict_names_the_plugin_at_read_time(register: Register, project: Path) -> None:
    class Plugin:
        @hookimpl
        def register_readers(self, register):
            register(DictReader())

    register(Plugin(), "dict-reader")
    export = project / "export.csv"
    result = invoke("responses", "check", export, "-i", MINIMAL, "--format", "dicty")
    assert_clean(result, 1)
    assert result.stderr == (
        "Error: Plugin 'dict-reader' failed.\n"
        "Hook: register_readers\n"
        f"Fault: Reader 'dicty' returned dict {{'rows': []}} from read() for {str(export)!r}; "
        "expected a RawTable (implassess.contracts.RawTable).\n"
    )
    # The built-in readers are unaffected.
    assert_clean(invoke("responses", "check", export, "-i", MINIMAL), 0)


def test_readers_that_are_not_readers_are_left_out_with_a_warning(register: Register) -> None:
    class Plugin:
        @hookimpl
        def register_readers(self, register):
            register(DictReader)  # the class, not an instance
            register({"name": "mapping"})
            register(type("Nameless", (), {"name": "", "description": 3, "sniff": None})())

    register(Plugin(), "odd-readers")
    assert "dicty" not in plugins.get_readers() and "csv" in plugins.get_readers()
    fault = "Plugin 'odd-readers' failed.\nHook: register_readers\nFault: register() got "
    expected = "an object with name, description, sniff(path, head) and read(path, options)."
    assert [p for p in plugins.problems() if "odd-readers" in p] == [
        f"{fault}the class DictReader (an instance was expected, e.g. DictReader()); expected a reader: {expected}",
        f"{fault}dict {{'name': 'mapping'}}; expected a reader: {expected}",
        f"{fault}a reader (an instance of Nameless) whose name is str '' (expected a non-empty text); "
        "description is int 3 (expected a one-line text); sniff is NoneType None "
        "(expected a method sniff(path, head) returning 0 to 1); read is missing "
        "(expected a method read(path, options) returning a RawTable).",
    ]
    result = invoke("readers", "--json")
    assert_clean(result, 0)
    assert "Warning: Plugin 'odd-readers' failed." in result.stderr


def test_a_theme_missing_its_fields_is_left_out_naming_the_plugin(
    register: Register, project: Path, tmp_path: Path
) -> None:
    class ThemeLike:
        name = "broken"

    class Plugin:
        @hookimpl
        def register_themes(self, register):
            register(ThemeLike())
            register(Theme(name="garish", primary="red"))

    register(Plugin(), "bad-themes")
    listed = invoke("themes", "list")
    assert_clean(listed, 0)
    assert listed.stdout.startswith("default ")
    assert listed.stderr == (
        "Warning: Plugin 'bad-themes' failed.\n"
        "  Hook: register_themes\n"
        "  Fault: register() got an instance of ThemeLike; expected a Theme record (implassess.contracts.Theme) "
        "or the Path of a theme TOML file.\n"
        "Warning: Plugin 'bad-themes' failed.\n"
        "  Hook: register_themes\n"
        "  Fault: theme 'garish': primary: error: Found 'red'; expected a colour written as '#rrggbb', "
        "e.g. '#1f3a5f'.\n"
    )
    result = invoke("report", project / "out", "--theme", "broken", "-o", tmp_path / "r.pdf")
    assert_clean(result, 1)
    assert "Warning: Plugin 'bad-themes' failed." in result.stderr
    assert result.stderr.endswith("Error: No theme named 'broken'. Known: default.\n")


def test_a_scoring_rule_returning_a_dict_names_the_plugin(register: Register) -> None:
    class Plugin:
        @hookimpl
        def register_scoring_rules(self, register):
            register(ScoringRule(name="dict-rule", description="Wrong.", score=lambda inst, values: {"a": 1}))
            register(ScoringRule(name="", description="Nameless.", score=len))

    register(Plugin(), "rules")
    rule = plugins.get_scoring_rules()["dict-rule"]
    with pytest.raises(PluginError) as caught:
        rule.score(None, [[1.0]])
    assert str(caught.value) == (
        "Plugin 'rules' failed.\nHook: register_scoring_rules\n"
        "Fault: Scoring rule 'dict-rule' returned dict {'a': 1}; "
        "expected respondents × dimensions scores on 0–100 (an array or a list of rows)."
    )
    assert (
        "Plugin 'rules' failed.\nHook: register_scoring_rules\n"
        "Fault: register() got scoring rule '' whose name is str '' (expected a non-empty text)."
    ) in plugins.problems()


def test_a_failing_rule_and_a_failing_section_hook_name_the_plugin(register: Register) -> None:
    class Plugin:
        @hookimpl
        def register_scoring_rules(self, register):
            register(ScoringRule(name="crashing", description="Divides by zero.", score=lambda inst, values: 1 / 0))

        @hookimpl
        def register_report_sections(self, register):
            raise ValueError("section catalogue unreachable")

    register(Plugin(), "failing")
    with pytest.raises(PluginError) as caught:
        plugins.get_scoring_rules()["crashing"].score(None, [[1.0]])
    assert str(caught.value) == (
        "Plugin 'failing' failed.\nHook: register_scoring_rules\n"
        "Fault: Scoring rule 'crashing' failed: ZeroDivisionError: division by zero"
    )
    with pytest.raises(PluginError) as caught:
        plugins.get_report_sections()
    assert str(caught.value) == (
        "Plugin 'failing' failed.\nHook: register_report_sections\nFault: ValueError: section catalogue unreachable"
    )


def test_a_misspelt_hook_is_named(register: Register) -> None:
    class Typo:
        @hookimpl
        def register_reader(self, register):
            register(DictReader())

    register(Typo(), "typo")
    (problem,) = [p for p in plugins.problems() if "typo" in p]
    assert problem.startswith(
        "Plugin 'typo' failed.\nHook: register_reader\n"
        "Fault: No implassess hook has this name, so the function is never called. Known hooks: "
    )
    assert "register_readers" in problem


# -- commands ----------------------------------------------------------------------------------


class Hijacker:
    """Tries to replace two built-in commands and remove a third."""

    @hookimpl
    def register_commands(self, cli):
        @cli.command("run")
        def run() -> None:
            click.echo("HIJACKED run")

        @cli.command("score")
        def score() -> None:
            click.echo("HIJACKED score")

        del cli.commands["themes"]


def test_a_plugin_cannot_replace_a_builtin_command(register: Register, project: Path, tmp_path: Path) -> None:
    register(Hijacker(), "hijacker")
    result = invoke("score", project / "export.csv", "-i", MINIMAL, "-o", tmp_path / "scores")
    assert_clean(result, 0)
    assert "HIJACKED" not in result.output
    assert "Minimal example (minimal v1.0.0): 12 rows read, 12 scored, 0 rejected." in result.stdout
    assert (tmp_path / "scores").is_dir()
    fault = (
        "Warning: Plugin 'hijacker' failed.\n  Hook: register_commands\n  Fault: Command {!r} is a built-in command; "
    )
    rest = (
        "the plugin's command of that name was not added and the built-in one is kept. "
        "Give the plugin's command another name.\n"
    )
    assert result.stderr == "".join(fault.format(name) + rest for name in ("run", "score", "themes"))
    run_help = invoke("run", "--help")
    assert_clean(run_help, 0)
    assert "ASSESSMENT_FILE" in run_help.stdout
    assert_clean(invoke("themes", "list"), 0)


def test_two_plugins_with_the_same_command_keep_the_first(register: Register) -> None:
    def plugin(text: str) -> object:
        class Plugin:
            @hookimpl
            def register_commands(self, cli):
                @cli.command("huddle")
                def huddle() -> None:
                    click.echo(text)

        return Plugin()

    register(plugin("from a"), "a-plugin")
    register(plugin("from b"), "b-plugin")
    result = invoke("huddle")
    assert_clean(result, 0)
    first, second = ("a-plugin", "b-plugin") if result.stdout == "from a\n" else ("b-plugin", "a-plugin")
    assert result.stdout in ("from a\n", "from b\n")
    assert result.stderr == (
        f"Warning: Plugin {second!r} failed.\n"
        "  Hook: register_commands\n"
        f"  Fault: Command 'huddle' is already registered by plugin {first!r}; "
        f"plugin {second!r} registers it again. Rename one of them.\n"
    )


def test_a_plugin_command_may_end_itself_with_its_own_code(register: Register) -> None:
    class Own:
        @hookimpl
        def register_commands(self, cli):
            @cli.command("strict-check")
            def strict_check() -> None:
                click.echo("2 findings")
                sys.exit(5)

    register(Own(), "own-exit")
    result = invoke("strict-check")
    assert result.exit_code == 5
    assert result.output == "2 findings\n"


# -- sys.exit() in plugin code -------------------------------------------------------------------


class Quitter:
    @hookimpl
    def register_themes(self, register):
        sys.exit(3)

    @hookimpl
    def register_commands(self, cli):
        sys.exit(3)


def test_sys_exit_in_a_hook_does_not_end_the_command(register: Register) -> None:
    register(Quitter(), "quitter")
    result = invoke("themes", "list")
    assert_clean(result, 0)
    assert result.stdout.startswith("default ")
    fault = "It called sys.exit(3); a plugin must raise an exception instead of ending the program."
    assert result.stderr == "".join(
        f"Warning: Plugin 'quitter' failed.\n  Hook: {hook}\n  Fault: {fault}\n"
        for hook in ("register_commands", "register_themes")
    )


def test_sys_exit_in_a_jinja_hook_stops_the_report_naming_the_plugin(
    register: Register, project: Path, tmp_path: Path
) -> None:
    class JinjaQuitter:
        @hookimpl
        def prepare_jinja2_environment(self, env, purpose):
            sys.exit(3)

    register(JinjaQuitter(), "jinja-quitter")
    result = invoke("report", project / "out", "-o", tmp_path / "r.pdf")
    assert_clean(result, 1)
    assert result.stderr == (
        "Error: Plugin 'jinja-quitter' failed.\n"
        "Hook: prepare_jinja2_environment\n"
        "Fault: It called sys.exit(3); a plugin must raise an exception instead of ending the program.\n"
    )


def quit_filter(value: object) -> str:
    sys.exit(4)


def test_sys_exit_in_a_plugin_filter_is_caught_by_the_cli(register: Register, project: Path, tmp_path: Path) -> None:
    folder = tmp_path / "plugin-templates"
    (folder / "report").mkdir(parents=True)
    (folder / "report" / "radar.md.j2").write_text("{{ 1 | quit }}\n")

    class FilterQuitter:
        @hookimpl
        def prepare_jinja2_environment(self, env, purpose):
            env.filters["quit"] = quit_filter
            env.loader.add_plugin_folder(folder)

    register(FilterQuitter(), "filter-quitter")
    result = invoke("report", project / "out", "-o", tmp_path / "r.pdf")
    assert_clean(result, 1)
    line = quit_filter.__code__.co_firstlineno + 1
    assert result.stderr == (
        "Error: Plugin 'filter-quitter' called sys.exit(4) in code it added; the command was stopped.\n"
        f"In: tests.test_hostile_plugins.quit_filter, line {line}\n"
        "Fault: a plugin must raise an exception instead of ending the program. Tell the plugin's authors.\n"
    )
    assert not (tmp_path / "r.pdf").exists()


def broken_filter(value: object) -> str:
    return {}[value]


def test_a_failing_plugin_filter_names_the_plugin_and_the_template_line(register: Register, tmp_path: Path) -> None:
    (tmp_path / "report").mkdir()
    template = tmp_path / "report" / "radar.md.j2"
    template.write_text("Fine.\n{{ 'x' | broken }}\n")

    class FilterPlugin:
        @hookimpl
        def prepare_jinja2_environment(self, env, purpose):
            env.filters["broken"] = broken_filter

    register(FilterPlugin(), "broken-filter")
    env = narrative.make_environment([tmp_path])
    with pytest.raises(ImplassessError) as caught:
        narrative.render(env, "report/radar.md.j2", {})
    line = broken_filter.__code__.co_firstlineno + 1
    assert str(caught.value) == (
        f"Narrative template {template}, line 2: plugin 'broken-filter' failed in "
        f"tests.test_hostile_plugins.broken_filter, line {line}: KeyError: 'x'."
    )


def test_a_missing_plugin_template_folder_names_the_plugin(register: Register, tmp_path: Path) -> None:
    class Plugin:
        @hookimpl
        def prepare_jinja2_environment(self, env, purpose):
            env.loader.add_plugin_folder(tmp_path / "nowhere")

    register(Plugin(), "lost-folder")
    with pytest.raises(PluginError) as caught:
        narrative.make_environment()
    assert str(caught.value) == (
        "Plugin 'lost-folder' failed.\nHook: prepare_jinja2_environment\n"
        f"Fault: add_plugin_folder() got {str(tmp_path / 'nowhere')!r}, a path that does not exist; "
        "expected a folder of narrative templates (*.md.j2)."
    )


# -- installed plugins, in a real process ------------------------------------------------------


def _distribution(root: Path, name: str, source: str) -> None:
    """An installed-looking distribution ``implassess-NAME`` whose entry point ``NAME`` loads ``source``."""
    module = f"implassess_{name.replace('-', '_')}"
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"implassess_{name.replace('-', '_')}-1.2.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: implassess-{name}\nVersion: 1.2.0\n")
    (info / "entry_points.txt").write_text(f"[implassess]\n{name} = {module}\n")


def test_installed_plugins_that_fail_to_import_or_exit_are_named(tmp_path: Path) -> None:
    _distribution(tmp_path, "missing-dep", "import implassess_no_such_dependency\n")
    _distribution(tmp_path, "exits-on-import", "import sys\nsys.exit(2)\n")
    _distribution(
        tmp_path,
        "exits-in-hook",
        """
        import sys
        from implassess import hookimpl

        @hookimpl
        def register_themes(register):
            sys.exit(3)
        """,
    )
    env = {k: v for k, v in os.environ.items() if k != "IMPLASSESS_LOAD_PLUGINS"}
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [str(Path(sys.executable).parent / "implassess"), "themes", "list"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("default ")
    assert "Traceback" not in done.stderr
    assert (
        "Warning: Plugin 'missing-dep' could not be loaded and is skipped.\n"
        "  Entry point: missing-dep = implassess_missing_dep\n"
        "  Distribution: implassess-missing-dep 1.2.0\n"
        "  Fault: ModuleNotFoundError: No module named 'implassess_no_such_dependency'\n"
        "  Fix: reinstall or uninstall implassess-missing-dep, or leave it out with IMPLASSESS_LOAD_PLUGINS.\n"
    ) in done.stderr
    assert (
        "Warning: Plugin 'exits-on-import' could not be loaded and is skipped.\n"
        "  Entry point: exits-on-import = implassess_exits_on_import\n"
        "  Distribution: implassess-exits-on-import 1.2.0\n"
        "  Fault: It called sys.exit(2); a plugin must raise an exception instead of ending the program.\n"
    ) in done.stderr
    assert (
        "Warning: Plugin 'exits-in-hook' failed.\n"
        "  Hook: register_themes\n"
        "  Fault: It called sys.exit(3); a plugin must raise an exception instead of ending the program.\n"
        "  Distribution: implassess-exits-in-hook 1.2.0 (entry point exits-in-hook = implassess_exits_in_hook)\n"
    ) in done.stderr


# -- client templates in the sandbox ---------------------------------------------------------------

#: Classic jinja2 escapes; each tries to create the file MARKER.
PAYLOADS = {
    "cycler-globals": (
        "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
        "access to attribute '__init__' of 'type' object is unsafe",
    ),
    "lipsum-globals": (
        "{{ lipsum.__globals__['os'].popen('touch MARKER').read() }}",
        "access to attribute '__globals__' of 'function' object is unsafe",
    ),
    "class-mro": (
        "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{% if c.__name__ == 'Popen' %}"
        "{{ c('touch MARKER', shell=True) }}{% endif %}{% endfor %}",
        "access to attribute '__class__' of 'str' object is unsafe",
    ),
    "template-reference": (
        "{{ self._TemplateReference__context.cycler.__init__.__globals__.os.system('touch MARKER') }}",
        "access to attribute '_TemplateReference__context' of 'TemplateReference' object is unsafe",
    ),
    "attr-filter": (
        "{{ (''|attr('__class__')).__mro__ }}",
        "access to attribute '__class__' of 'str' object is unsafe",
    ),
    "format-string": (
        "{{ '{0.__class__.__mro__}'.format(meta) }}",
        "access to attribute '__class__' of 'ReportMeta' object is unsafe",
    ),
}


@pytest.mark.parametrize("payload", sorted(PAYLOADS))
def test_a_client_template_cannot_run_python(payload: str, tmp_path: Path, fresh_plugins: None) -> None:
    marker = tmp_path / "pwned"
    text, refusal = PAYLOADS[payload]
    client = tmp_path / "client"
    (client / "report").mkdir(parents=True)
    template = client / "report" / "radar.md.j2"
    template.write_text("A harmless first line.\n" + text.replace("MARKER", str(marker)) + "\n")
    out = tmp_path / "r.pdf"
    with pytest.raises(ImplassessError) as caught:
        render_report(small_model(1), "default", out, template_dirs=[client])
    assert str(caught.value) == (
        f"Narrative template {template}, line 2: the template tried to reach outside the sandbox and was stopped "
        f"({refusal}). Templates may use the values, filters and tests implassess passes them, not Python internals."
    )
    assert not marker.exists()
    assert not out.exists()


def test_a_hostile_client_template_fails_the_run_without_a_traceback(tmp_path: Path, fresh_plugins: None) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / "export.csv").write_text(EXPORT)
    (tmp_path / "templates" / "report").mkdir(parents=True)
    template = tmp_path / "templates" / "report" / "radar.md.j2"
    template.write_text(PAYLOADS["cycler-globals"][0].replace("MARKER", str(marker)) + "\n")
    (tmp_path / "assessment.toml").write_text(
        f'instruments = ["{MINIMAL}"]\n\n[client]\nname = "Hostile Ltd"\nengagement = "Templates"\n'
        'date = "2026-11-23"\n\n[[responses]]\npath = "export.csv"\n\n[report]\ntemplates = "templates"\n\n'
        '[outputs]\ndir = "out"\n'
    )
    result = invoke("run", tmp_path / "assessment.toml")
    assert_clean(result, 1)
    assert result.stderr.startswith(f"Error: Narrative template {template}, line 1: the template tried to reach")
    assert not marker.exists()
    assert not (tmp_path / "out" / "report.pdf").exists()


@pytest.mark.parametrize(
    ("text", "line", "fault"),
    [
        (
            "Fine.\n{% if %}\n",
            2,
            "the template is not valid jinja2: Expected an expression, got 'end of statement block'.",
        ),
        ("Fine.\n\n{{ clinet }}\n", 3, "'clinet' is undefined. This template is given: levels, meta, model."),
        (
            "{{ meta.client | no_such_filter }}\n",
            1,
            "the template is not valid jinja2: No filter named 'no_such_filter'.",
        ),
    ],
)
def test_template_mistakes_name_the_file_and_line(
    text: str, line: int, fault: str, tmp_path: Path, fresh_plugins: None
) -> None:
    template = tmp_path / "report" / "radar.md.j2"
    template.parent.mkdir()
    template.write_text(text)
    env = narrative.make_environment([tmp_path])
    m = small_model(1)
    with pytest.raises(ImplassessError) as caught:
        narrative.render(env, "report/radar.md.j2", {"model": m, "meta": m.meta, "levels": m.levels})
    assert str(caught.value) == f"Narrative template {template}, line {line}: {fault}"


def test_a_missing_template_names_the_folders_searched(tmp_path: Path, fresh_plugins: None) -> None:
    env = narrative.make_environment([tmp_path])
    with pytest.raises(ImplassessError) as caught:
        narrative.render(env, "report/nope.md.j2", {})
    bundled = narrative.data_dir("templates")
    assert str(caught.value) == (
        f"Narrative template 'report/nope.md.j2' was not found; looked in {str(tmp_path)!r}, {str(bundled)!r}."
    )


def test_a_missing_client_template_folder_is_named(tmp_path: Path, fresh_plugins: None) -> None:
    with pytest.raises(ImplassessError) as caught:
        narrative.make_environment([tmp_path / "gone"])
    assert str(caught.value) == (
        f"The client template folder is {str(tmp_path / 'gone')!r}, a path that does not exist; "
        "expected a folder of narrative templates (*.md.j2)."
    )
