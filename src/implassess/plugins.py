"""The plugin manager and the only module that calls hooks.

Business code asks the typed collectors (:func:`get_instruments`, :func:`get_readers`,
:func:`get_themes` …). Loading is lazy and idempotent: entry points in the group
``implassess`` are loaded on first use. ``IMPLASSESS_LOAD_PLUGINS`` restricts loading
to a comma-separated list of entry-point or distribution names; empty loads none
(built-ins always load).

Every contribution is checked when it is collected, and every hook call is fenced:
a plugin that registers the wrong thing, raises, or calls ``sys.exit()`` is named in
a :class:`~implassess.errors.PluginError` (plugin, hook, fault), never a traceback.
Contributed callables that run later (a reader's ``read``, a section's ``render``, a
rule's ``score``) are wrapped so their faults name the plugin too.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from types import MappingProxyType, ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pluggy

from implassess import hookspecs
from implassess.contracts import RawTable, ReportSection, ScoringRule, Theme
from implassess.errors import DuplicateNameError, ImplassessError, NotFoundError, PluginError

if TYPE_CHECKING:
    import click
    import jinja2

    from implassess.contracts import ResponseReader
    from implassess.model import Battery, Instrument

ENTRY_POINT_GROUP = "implassess"

#: Built-in behaviour, registered through the same hooks a third party uses.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "implassess.default_plugins.builtin_instruments",
    "implassess.default_plugins.readers",
    "implassess.default_plugins.themes",
    "implassess.default_plugins.report_sections",
)

T = TypeVar("T")


@attrs.frozen
class PluginInfo:
    """A loaded plugin as ``implassess plugins`` shows it."""

    name: str
    """Registered name: the entry-point name (or the name given to :func:`register_plugin`)."""
    hooks: tuple[str, ...]
    """Hooks the plugin implements."""
    version: str | None = None
    """Version of the distribution that ships it."""
    distribution: str | None = None
    """Distribution (``pip install`` name) that ships it."""
    builtin: bool = False
    """Whether it is part of implassess."""
    entry_point: str | None = None
    """What the entry point loads, such as ``implassess_ward_safety.plugin``."""


@attrs.define
class _State:
    pm: pluggy.PluginManager
    loaded: bool = False
    infos: dict[str, PluginInfo] = attrs.field(factory=dict)
    load_problems: dict[str, str] = attrs.field(factory=dict)
    collect_problems: list[str] = attrs.field(factory=list)
    cache: dict[str, Any] = attrs.field(factory=dict)
    command_owners: dict[str, str] = attrs.field(factory=dict)


def _new_pm() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("implassess")
    pm.add_hookspecs(hookspecs)
    return pm


_state = _State(pm=_new_pm())
_generation = 0


def is_loaded() -> bool:
    """Whether plugins have been loaded in this process (without loading them)."""
    return _state.loaded


def generation() -> int:
    """A number that changes whenever the set of plugins changes (the CLI re-adds plugin commands then)."""
    return _generation


def _changed() -> None:
    global _generation
    _generation += 1
    _state.cache.clear()
    _state.collect_problems.clear()


def _hook_names(plugin: object) -> tuple[str, ...]:
    return tuple(sorted(impl.name for impl in _state.pm.get_hookcallers(plugin) or []))


def _check_hooks(name: str, plugin: object) -> None:
    """Warn about functions marked ``@hookimpl`` whose name is no implassess hook (a typo is otherwise silent)."""
    unknown = sorted(c.name for c in _state.pm.get_hookcallers(plugin) or [] if not c.has_spec())
    if unknown:
        known = ", ".join(sorted(n for n in vars(hookspecs) if _state.pm.parse_hookspec_opts(hookspecs, n)))
        fault = f"No implassess hook has this name, so the function is never called. Known hooks: {known}."
        _state.load_problems[name] = str(_fault(name, ", ".join(unknown), fault))


def load_plugins() -> None:
    """Register built-ins and entry-point plugins, once per process."""
    if _state.loaded:
        return
    _state.loaded = True
    for modname in DEFAULT_PLUGINS:
        mod = importlib.import_module(modname)
        _state.pm.register(mod, name=modname)
        _state.infos[modname] = PluginInfo(modname, _hook_names(mod), builtin=True)
    wanted = os.environ.get("IMPLASSESS_LOAD_PLUGINS")
    allowed = None if wanted is None else {w.strip() for w in wanted.split(",") if w.strip()}
    for ep in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        dist = ep.dist.name if ep.dist else None
        version = ep.dist.version if ep.dist else None
        if allowed is not None and ep.name not in allowed and dist not in allowed:
            continue
        if _state.pm.has_plugin(ep.name):
            continue
        try:
            obj = ep.load()
            _state.pm.register(obj, name=ep.name)
        except (Exception, SystemExit) as exc:  # a broken plugin must not break unrelated commands
            shipped = f"\nDistribution: {dist} {version}" if dist else ""
            fix = f"reinstall or uninstall {dist}" if dist else "reinstall or uninstall it"
            _state.load_problems[ep.name] = (
                f"Plugin {ep.name!r} could not be loaded and is skipped.\n"
                f"Entry point: {ep.name} = {ep.value}{shipped}\nFault: {_describe(exc)}\n"
                f"Fix: {fix}, or leave it out with IMPLASSESS_LOAD_PLUGINS."
            )
            continue
        _state.infos[ep.name] = PluginInfo(
            ep.name, _hook_names(obj), version=version, distribution=dist, entry_point=ep.value
        )
        _check_hooks(ep.name, obj)


def register_plugin(obj: object, name: str) -> None:
    """Register a plugin object at run time (used by tests and the Python API)."""
    load_plugins()
    _state.pm.register(obj, name=name)
    _state.infos[name] = PluginInfo(name, _hook_names(obj))
    _check_hooks(name, obj)
    _changed()


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered with :func:`register_plugin`."""
    plugin = _state.pm.get_plugin(name)
    if plugin is not None:
        _state.pm.unregister(plugin)
    _state.infos.pop(name, None)
    _state.load_problems.pop(name, None)
    _changed()


def reset() -> None:
    """Forget everything loaded (tests use this to reload under another environment)."""
    global _state
    _state = _State(pm=_new_pm())
    _changed()


def plugin_infos() -> list[PluginInfo]:
    """Every loaded plugin, built-ins first."""
    load_plugins()
    return sorted(_state.infos.values(), key=lambda p: (not p.builtin, p.name))


def problems() -> list[str]:
    """Faults of plugins that were skipped, one message each (for the CLI to warn)."""
    load_plugins()
    return list(_state.load_problems.values()) + _state.collect_problems


def _note(problem: str) -> None:
    """Record a fault found while collecting; forgotten when the collections are rebuilt."""
    if problem not in _state.collect_problems:
        _state.collect_problems.append(problem)


# -- messages ------------------------------------------------------------------------------


def _fault(plugin: str, hook: str, fault: str) -> PluginError:
    """A :class:`PluginError`; for an installed plugin the last line names its distribution and entry point."""
    info = _state.infos.get(plugin)
    if info is not None and info.distribution:
        fault += f"\nDistribution: {info.distribution} {info.version} (entry point {plugin} = {info.entry_point})"
    return PluginError(plugin, hook, fault)


def _describe(exc: BaseException) -> str:
    """What went wrong, in one line, for the ``Fault:`` line."""
    if isinstance(exc, SystemExit):
        return f"It called sys.exit({exc.code!r}); a plugin must raise an exception instead of ending the program."
    if isinstance(exc, ImplassessError):
        return exc.user_message()
    return f"{type(exc).__name__}: {exc}"


def _failure(plugin: str, hook: str, exc: BaseException, what: str = "") -> ImplassessError:
    """The error for ``exc`` raised through ``plugin``'s code; ``what`` prefixes the fault.

    A ``sys.exit()`` deeper down, in another third-party plugin's code (a filter it added,
    say), names that plugin instead.
    """
    if isinstance(exc, SystemExit):
        found = plugin_in_traceback(exc.__traceback__)
        other = exit_error(exc, "in code it added") if found and found[0] != plugin else None
        if other is not None:
            return other
    return _fault(plugin, hook, what + _describe(exc))


def _found(thing: Any) -> str:
    """A contribution as the user would recognise it: its type and a short repr."""
    if isinstance(thing, type):
        return f"the class {thing.__name__} (an instance was expected, e.g. {thing.__name__}())"
    text = repr(thing)
    if text.startswith("<") and " at 0x" in text:  # the default repr says nothing more than the type
        return f"an instance of {type(thing).__name__}"
    return f"{type(thing).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _call(impl: Any, hook: str, **kwargs: Any) -> Any:
    """Call one hook implementation with the arguments it declares (pluggy allows a subset).

    Any fault, ``sys.exit()`` included, becomes a :class:`PluginError` naming the plugin.
    """
    try:
        return impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})
    except (Exception, SystemExit) as exc:
        raise _failure(impl.plugin_name, hook, exc) from exc


def _impls(hook: str) -> list[Any]:
    """Implementations of ``hook``, built-ins first so a third-party duplicate is the one rejected."""
    load_plugins()
    return sorted(getattr(_state.pm.hook, hook).get_hookimpls(), key=lambda i: i.plugin_name not in DEFAULT_PLUGINS)


def _offered(impl: Any, hook: str, strict: bool) -> list[Any]:
    """What one plugin passes to ``register``; a fault is noted (or raised when ``strict``)."""
    offered: list[Any] = []
    try:
        _call(impl, hook, register=offered.append)
    except ImplassessError as exc:
        if strict:
            raise
        _note(str(exc))
        return []
    return offered


def _collect(hook: str, accept: Callable[[Any, str], tuple[str, T]], kind: str) -> dict[str, tuple[str, T]]:
    """Call one contribution hook per plugin; returns name → (plugin, contribution)."""
    found: dict[str, tuple[str, T]] = {}
    for impl in _impls(hook):
        plugin = impl.plugin_name
        for thing in _offered(impl, hook, strict=False):
            try:
                name, value = accept(thing, plugin)
            except Exception as exc:
                _note(str(_fault(plugin, hook, _describe(exc))))
                continue
            if name in found:
                _note(str(DuplicateNameError(kind, name, found[name][0], plugin, hook)))
                continue
            found[name] = (plugin, value)
    return found


def _cached(key: str, build: Callable[[], T]) -> T:
    load_plugins()
    if key not in _state.cache:
        _state.cache[key] = build()
    return _state.cache[key]


def _check_fields(thing: Any, kind: str, fields: Mapping[str, tuple[Callable[[Any], bool], str]]) -> None:
    """Raise naming every field of ``thing`` that is missing or of the wrong kind."""
    wrong = []
    for field, (ok, expected) in fields.items():
        value = getattr(thing, field, _MISSING)
        if value is _MISSING:
            wrong.append(f"{field} is missing (expected {expected})")
        elif not ok(value):
            wrong.append(f"{field} is {_found(value)} (expected {expected})")
    if wrong:
        raise ImplassessError(f"register() got {kind} whose " + "; ".join(wrong) + ".")


_MISSING = object()


def _is_name(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _expect(thing: Any, cls: type | tuple[type, ...], what: str) -> None:
    if not isinstance(thing, cls):
        raise ImplassessError(f"register() got {_found(thing)}; expected {what}.")


# -- instruments -----------------------------------------------------------------


def _accept_instrument(thing: Any, plugin: str) -> tuple[str, Instrument | Battery]:
    from implassess.formats.instrument import load_file
    from implassess.model import Battery, Instrument

    if isinstance(thing, (str, Path)):
        record = load_file(Path(thing))
        return record.id, record
    _expect(thing, (Instrument, Battery), "an Instrument or Battery record, or the Path of an instrument TOML file")
    from implassess.formats.lint import safe_id_problem

    problem = safe_id_problem(str(thing.id))
    if problem is not None:
        # Records skip the linter, and the id names the instrument's output folder.
        raise ImplassessError(f"register() got an instrument with id {thing.id!r}; {problem}.")
    return thing.id, thing if thing.source else attrs.evolve(thing, source=f"plugin {plugin}")


def _catalogue() -> dict[str, tuple[str, Instrument | Battery]]:
    return _cached("instruments", lambda: _collect("register_instruments", _accept_instrument, "Instrument"))


def get_instruments() -> Mapping[str, Instrument]:
    """Instrument id → :class:`~implassess.model.Instrument` for every loaded plugin (read-only)."""
    from implassess.model import Instrument

    return MappingProxyType({k: v for k, (_, v) in _catalogue().items() if isinstance(v, Instrument)})


def get_batteries() -> Mapping[str, Battery]:
    """Battery id → :class:`~implassess.model.Battery` (read-only)."""
    from implassess.model import Battery

    return MappingProxyType({k: v for k, (_, v) in _catalogue().items() if isinstance(v, Battery)})


def instrument_owner(instrument_id: str) -> str | None:
    """The plugin that contributed an instrument or battery."""
    entry = _catalogue().get(instrument_id)
    return entry[0] if entry else None


def get_instrument(ref: str | Path) -> Instrument:
    """An instrument by id, or loaded from a TOML path."""
    from implassess.formats.instrument import load_file
    from implassess.model import Instrument

    instruments = get_instruments()
    if isinstance(ref, str) and ref in instruments:
        return instruments[ref]
    path = Path(ref)
    if path.suffix == ".toml" and path.exists():
        record = load_file(path)
        if isinstance(record, Instrument):
            return record
        raise ImplassessError(f"{path} is a battery; expected an instrument file.")
    raise NotFoundError("instrument", str(ref), list(instruments))


# -- readers ----------------------------------------------------------------------


class _CheckedReader:
    """A contributed reader whose ``read`` must return a :class:`RawTable`; faults name the plugin."""

    __slots__ = ("_plugin", "_reader", "description", "name")

    def __init__(self, reader: Any, plugin: str):
        self._reader = reader
        self._plugin = plugin
        self.name: str = reader.name
        self.description: str = reader.description

    def sniff(self, path: Path, head: bytes) -> float:
        try:
            return self._reader.sniff(path, head)
        except SystemExit as exc:
            fault = _failure(self._plugin, "register_readers", exc, f"Reader {self.name!r}, sniff(): ")
            _note(str(fault))  # detection swallows a sniffer's errors, so say it here
            raise fault from exc

    def read(self, path: Path, options: dict[str, Any]) -> RawTable:
        try:
            table = self._reader.read(path, options)
        except SystemExit as exc:
            raise _failure(self._plugin, "register_readers", exc, f"Reader {self.name!r}, read(): ") from exc
        if not isinstance(table, RawTable):
            raise _fault(
                self._plugin,
                "register_readers",
                f"Reader {self.name!r} returned {_found(table)} from read() for {str(path)!r}; "
                "expected a RawTable (implassess.contracts.RawTable).",
            )
        return table

    def __getattr__(self, attr: str) -> Any:
        # Anything else the plugin's reader offers (file extensions, options) stays reachable.
        if attr.startswith("__") or attr == "_reader":
            raise AttributeError(attr)
        return getattr(self._reader, attr)

    def __repr__(self) -> str:
        return f"<reader {self.name!r} from plugin {self._plugin!r}: {self._reader!r}>"


_READER = "an object with name, description, sniff(path, head) and read(path, options)"


def _accept_reader(thing: Any, plugin: str) -> tuple[str, ResponseReader]:
    if isinstance(thing, (type, str, bytes, Path, Mapping)):
        raise ImplassessError(f"register() got {_found(thing)}; expected a reader: {_READER}.")
    _check_fields(
        thing,
        f"a reader ({_found(thing)})",
        {
            "name": (_is_name, "a non-empty text"),
            "description": (lambda v: isinstance(v, str), "a one-line text"),
            "sniff": (callable, "a method sniff(path, head) returning 0 to 1"),
            "read": (callable, "a method read(path, options) returning a RawTable"),
        },
    )
    return thing.name, _CheckedReader(thing, plugin)


def get_readers() -> Mapping[str, ResponseReader]:
    """Reader name → :class:`~implassess.contracts.ResponseReader` (read-only).

    Each reader is wrapped so that ``read`` returning anything but a
    :class:`~implassess.contracts.RawTable` raises a :class:`PluginError` naming the plugin.
    """
    readers: dict[str, tuple[str, ResponseReader]] = _cached(
        "readers", lambda: _collect("register_readers", _accept_reader, "Reader")
    )
    return _contributions(readers)


def _contributions(found: dict[str, tuple[str, T]]) -> Mapping[str, T]:
    """name → contribution, read-only, without the contributing plugin."""
    return MappingProxyType({k: v for k, (_, v) in found.items()})


# -- themes -----------------------------------------------------------------------


def _accept_theme(thing: Any, plugin: str) -> tuple[str, Theme]:
    from implassess.formats.theme import load_theme, validate

    if isinstance(thing, (str, Path)):
        theme = load_theme(Path(thing))
        return theme.name, theme
    _expect(thing, Theme, "a Theme record (implassess.contracts.Theme) or the Path of a theme TOML file")
    validate(thing)  # checked now, so a bad colour or font names the plugin; kept as registered
    return thing.name, thing


def get_themes() -> Mapping[str, Theme]:
    """Theme name → :class:`~implassess.contracts.Theme` (read-only)."""
    themes: dict[str, tuple[str, Theme]] = _cached(
        "themes", lambda: _collect("register_themes", _accept_theme, "Theme")
    )
    return _contributions(themes)


# -- report sections ----------------------------------------------------------------


def _flowables(body: Any) -> list[Any] | None:
    """``body`` as a list, or None when it is not a list-like of things."""
    if isinstance(body, (str, bytes, Mapping)):
        return None
    try:
        return list(body)
    except TypeError:
        return None


def _guarded_render(section: ReportSection, plugin: str) -> Callable[[Any], list[Any]]:
    @functools.wraps(section.render)
    def render(ctx: Any) -> list[Any]:
        where = f"Report section {section.id!r} ({section.title!r})"
        try:
            body = section.render(ctx)
        except ImplassessError:
            raise
        except (Exception, SystemExit) as exc:
            raise _failure(plugin, "register_report_sections", exc, f"{where} failed while laying out: ") from exc
        flowables = _flowables(body)
        odd = [body] if flowables is None else [f for f in flowables if not hasattr(f, "wrapOn")]
        if flowables is None or odd:
            what = _found(body) if flowables is None else f"a list holding {_found(odd[0])}"
            raise _fault(
                plugin,
                "register_report_sections",
                f"{where}: render() returned {what}; expected a list of reportlab flowables.",
            )
        return flowables

    return render


def _accept_section(thing: Any, plugin: str) -> tuple[str, ReportSection]:
    _expect(thing, ReportSection, "a ReportSection (implassess.contracts.ReportSection)")
    _check_fields(
        thing,
        f"report section {getattr(thing, 'id', '?')!r}",
        {
            "id": (_is_name, "a non-empty text"),
            "title": (lambda v: isinstance(v, str), "a text"),
            "order": (_is_int, "a whole number"),
            "render": (callable, "a function render(context) returning flowables"),
            "replaces": (lambda v: isinstance(v, bool), "true or false"),
            "in_contents": (lambda v: isinstance(v, bool), "true or false"),
        },
    )
    return thing.id, attrs.evolve(thing, render=_guarded_render(thing, plugin))


def get_report_sections() -> Sequence[ReportSection]:
    """Report sections in order; a plugin section with ``replaces`` set replaces a built-in.

    A plugin whose hook fails or that registers something other than a valid
    :class:`~implassess.contracts.ReportSection` raises :class:`PluginError`: a report
    without the section its plugin meant to add would be wrong. A duplicate id
    without ``replaces`` is noted and the first section kept.
    """

    def build() -> tuple[ReportSection, ...]:
        hook = "register_report_sections"
        sections: dict[str, tuple[str, ReportSection]] = {}
        for impl in _impls(hook):
            plugin = impl.plugin_name
            for thing in _offered(impl, hook, strict=True):
                try:
                    sid, section = _accept_section(thing, plugin)
                except ImplassessError as exc:
                    raise _fault(plugin, hook, exc.user_message()) from None
                if sid in sections and not section.replaces:
                    _note(str(DuplicateNameError("Report section", sid, sections[sid][0], plugin, hook)))
                    continue
                sections[sid] = (plugin, section)
        return tuple(sorted((s for _, s in sections.values()), key=lambda s: (s.order, s.id)))

    return _cached("sections", build)


# -- scoring rules -------------------------------------------------------------------


def _guarded_score(rule: ScoringRule, plugin: str) -> Callable[..., Any]:
    @functools.wraps(rule.score)
    def score(instrument: Any, values: Any) -> Any:
        try:
            out = rule.score(instrument, values)
        except ImplassessError:
            raise
        except (Exception, SystemExit) as exc:
            raise _failure(plugin, "register_scoring_rules", exc, f"Scoring rule {rule.name!r} failed: ") from exc
        if out is None or isinstance(out, (str, bytes, Mapping)):
            raise _fault(
                plugin,
                "register_scoring_rules",
                f"Scoring rule {rule.name!r} returned {_found(out)}; "
                "expected respondents × dimensions scores on 0–100 (an array or a list of rows).",
            )
        return out

    return score


def _accept_rule(thing: Any, plugin: str) -> tuple[str, ScoringRule]:
    _expect(thing, ScoringRule, "a ScoringRule (implassess.contracts.ScoringRule)")
    _check_fields(
        thing,
        f"scoring rule {getattr(thing, 'name', '?')!r}",
        {
            "name": (_is_name, "a non-empty text"),
            "description": (lambda v: isinstance(v, str), "a one-line text"),
            "score": (callable, "a function score(instrument, values)"),
        },
    )
    return thing.name, attrs.evolve(thing, score=_guarded_score(thing, plugin))


def get_scoring_rules() -> Mapping[str, ScoringRule]:
    """Rule name → :class:`~implassess.contracts.ScoringRule` (read-only)."""
    rules: dict[str, tuple[str, ScoringRule]] = _cached(
        "rules", lambda: _collect("register_scoring_rules", _accept_rule, "Scoring rule")
    )
    return _contributions(rules)


def scoring_rule_for(instrument: Instrument) -> ScoringRule | None:
    """The rule an instrument names with ``[scoring] rule``, for the scoring engine; None for the built-in mean.

    Raises :class:`~implassess.errors.NotFoundError` (listing the loaded rules) when no
    plugin contributes a rule of that name.
    """
    name = instrument.scoring.rule
    if not name:
        return None
    rules = get_scoring_rules()
    if name not in rules:
        raise NotFoundError("scoring rule", name, list(rules))
    return rules[name]


# -- commands and jinja2 -----------------------------------------------------------


def _command_tree(group: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any, dict[str, Any]]]:
    """(path, group, copy of its commands) for ``group`` and every group under it."""
    commands = getattr(group, "commands", None)
    if not isinstance(commands, dict):
        return []
    out = [(path, group, dict(commands))]
    for name, command in commands.items():
        out += _command_tree(command, (*path, name))
    return out


def add_commands(cli: click.Group) -> None:
    """Let plugins add CLI commands; a failing plugin is noted, not fatal.

    A plugin cannot replace or remove a command that exists before it runs: a built-in
    or an earlier plugin's command is put back and the clash is noted with both names.
    """
    hook = "register_commands"
    for impl in _impls(hook):
        plugin = impl.plugin_name
        before = _command_tree(cli)
        try:
            _call(impl, hook, cli=cli)
        except ImplassessError as exc:
            _note(str(exc))
        for path, group, old in before:
            for name, command in old.items():
                if group.commands.get(name) is command:
                    continue
                group.commands[name] = command
                owner = _state.command_owners.get(path[0] if path else name)
                if owner == plugin:
                    continue  # the plugin changing its own commands (or adding them again after a change)
                full = " ".join((*path, name))
                if owner:
                    _note(str(DuplicateNameError("Command", full, owner, plugin, hook)))
                    continue
                kept = (
                    f"Command {full!r} is a built-in command; the plugin's command of that name was not added "
                    "and the built-in one is kept. Give the plugin's command another name."
                )
                _note(str(_fault(plugin, hook, kept)))
        for name in cli.commands.keys() - (before[0][2].keys() if before else set()):
            _state.command_owners[name] = plugin


def command_owner(name: str) -> str | None:
    """The plugin that added the top-level command ``name``; None for a built-in."""
    return _state.command_owners.get(name)


def prepare_jinja2_environment(env: jinja2.Environment, purpose: str) -> None:
    """Let plugins adjust a jinja2 environment in place; a fault raises :class:`PluginError`."""
    for impl in _impls("prepare_jinja2_environment"):
        _call(impl, "prepare_jinja2_environment", env=env, purpose=purpose)


# -- sys.exit() from plugin code -------------------------------------------------------


def _plugin_packages() -> dict[str, str]:
    """Package of each third-party plugin's code (its top-level package) → the plugin's name."""
    out = {}
    for name, obj in _state.pm.list_name_plugin():
        if name in DEFAULT_PLUGINS or obj is None:
            continue
        module = obj.__name__ if isinstance(obj, ModuleType) else getattr(obj, "__module__", None)
        if not isinstance(module, str):
            module = type(obj).__module__
        top = module.split(".")[0]
        out[module if top == "implassess" else top] = name  # a plugin inside implassess' namespace: its module only
    return out


def plugin_in_traceback(tb: TracebackType | None) -> tuple[str, str] | None:
    """(plugin, ``module.function, line N``) of the deepest third-party plugin code in ``tb``; None when none."""
    packages = _plugin_packages()
    found = None
    while tb is not None:
        module = tb.tb_frame.f_globals.get("__name__")
        if isinstance(module, str):
            owner = next((p for pkg, p in packages.items() if module == pkg or module.startswith(pkg + ".")), None)
            if owner is not None:
                found = (owner, f"{module}.{tb.tb_frame.f_code.co_name}, line {tb.tb_lineno}")
        tb = tb.tb_next
    return found


def exit_error(exc: SystemExit, doing: str) -> ImplassessError | None:
    """The error to show when plugin code called ``sys.exit()`` ``doing`` something; None when no plugin did."""
    found = plugin_in_traceback(exc.__traceback__)
    if found is None:
        return None
    plugin, where = found
    info = _state.infos.get(plugin)
    shipped = f"\nDistribution: {info.distribution} {info.version}" if info and info.distribution else ""
    return ImplassessError(
        f"Plugin {plugin!r} called sys.exit({exc.code!r}) {doing}; the command was stopped.\n"
        f"In: {where}{shipped}\n"
        "Fault: a plugin must raise an exception instead of ending the program. Tell the plugin's authors."
    )
