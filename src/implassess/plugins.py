"""The plugin manager and the only module that calls hooks.

Business code asks the typed collectors (:func:`get_instruments`, :func:`get_readers`,
:func:`get_themes` …). Loading is lazy and idempotent: entry points in the group
``implassess`` are loaded on first use. ``IMPLASSESS_LOAD_PLUGINS`` restricts loading
to a comma-separated list of entry-point or distribution names; empty loads none
(built-ins always load).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, TypeVar

import attrs
import pluggy

from implassess import hookspecs
from implassess.errors import DuplicateNameError, ImplassessError, NotFoundError, PluginError

if TYPE_CHECKING:
    import click
    import jinja2

    from implassess.contracts import ReportSection, ResponseReader, ScoringRule, Theme
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
    hooks: tuple[str, ...]
    version: str | None = None
    distribution: str | None = None
    builtin: bool = False


@attrs.define
class _State:
    pm: pluggy.PluginManager
    loaded: bool = False
    infos: dict[str, PluginInfo] = attrs.field(factory=dict)
    problems: list[str] = attrs.field(factory=list)
    collect_problems: list[str] = attrs.field(factory=list)
    cache: dict[str, Any] = attrs.field(factory=dict)


def _new_pm() -> pluggy.PluginManager:
    pm = pluggy.PluginManager("implassess")
    pm.add_hookspecs(hookspecs)
    return pm


_state = _State(pm=_new_pm())


def is_loaded() -> bool:
    """Whether plugins have been loaded in this process (without loading them)."""
    return _state.loaded


def _hook_names(plugin: object) -> tuple[str, ...]:
    return tuple(sorted(impl.name for impl in _state.pm.get_hookcallers(plugin) or []))


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
        if allowed is not None and ep.name not in allowed and dist not in allowed:
            continue
        if _state.pm.has_plugin(ep.name):
            continue
        try:
            obj = ep.load()
            _state.pm.register(obj, name=ep.name)
        except Exception as exc:  # a broken plugin must not break unrelated commands
            _state.problems.append(
                f"Plugin {ep.name!r} could not be loaded and is skipped.\n"
                f"Entry point: {ep.value}\nFault: {type(exc).__name__}: {exc}"
            )
            continue
        _state.infos[ep.name] = PluginInfo(
            ep.name, _hook_names(obj), version=ep.dist.version if ep.dist else None, distribution=dist
        )


def register_plugin(obj: object, name: str) -> None:
    """Register a plugin object at run time (used by tests and the Python API)."""
    load_plugins()
    _state.pm.register(obj, name=name)
    _state.infos[name] = PluginInfo(name, _hook_names(obj))
    _forget_collections()


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered with :func:`register_plugin`."""
    plugin = _state.pm.get_plugin(name)
    if plugin is not None:
        _state.pm.unregister(plugin)
    _state.infos.pop(name, None)
    _forget_collections()


def reset() -> None:
    """Forget everything loaded (tests use this to reload under another environment)."""
    global _state
    _state = _State(pm=_new_pm())


def plugin_infos() -> list[PluginInfo]:
    """Every loaded plugin, built-ins first."""
    load_plugins()
    return sorted(_state.infos.values(), key=lambda p: (not p.builtin, p.name))


def problems() -> list[str]:
    """Faults of plugins that were skipped, one message each (for the CLI to warn)."""
    load_plugins()
    return _state.problems + _state.collect_problems


def _note(problem: str) -> None:
    """Record a fault found while collecting; forgotten when the collections are rebuilt."""
    if problem not in _state.collect_problems:
        _state.collect_problems.append(problem)


def _forget_collections() -> None:
    _state.cache.clear()
    _state.collect_problems.clear()


def _call(impl: Any, **kwargs: Any) -> Any:
    """Call one hook implementation with the arguments it declares (pluggy allows a subset)."""
    return impl.function(**{k: v for k, v in kwargs.items() if k in impl.argnames})


def _collect(hook: str, accept: Callable[[Any, str], list[tuple[str, T]]], kind: str) -> dict[str, tuple[str, T]]:
    """Call one contribution hook per plugin; returns name → (plugin, contribution)."""
    load_plugins()
    caller = getattr(_state.pm.hook, hook)
    found: dict[str, tuple[str, T]] = {}
    # Built-ins first so a third-party duplicate is the one rejected.
    impls = sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name not in DEFAULT_PLUGINS)
    for impl in impls:
        plugin = impl.plugin_name
        offered: list[Any] = []
        try:
            _call(impl, register=offered.append)
        except Exception as exc:
            _note(str(PluginError(plugin, hook, f"{type(exc).__name__}: {exc}")))
            continue
        for thing in offered:
            try:
                accepted = accept(thing, plugin)
            except ImplassessError as exc:
                _note(str(PluginError(plugin, hook, exc.user_message())))
                continue
            for name, value in accepted:
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


# -- instruments -----------------------------------------------------------------


def _accept_instrument(thing: Any, plugin: str) -> list[tuple[str, Instrument | Battery]]:
    from implassess.formats.instrument import load_file
    from implassess.model import Battery, Instrument

    if isinstance(thing, (str, Path)):
        record = load_file(Path(thing))
        return [(record.id, record)]
    if isinstance(thing, (Instrument, Battery)):
        return [(thing.id, thing if thing.source else attrs.evolve(thing, source=f"plugin {plugin}"))]
    raise ImplassessError(f"register() got {type(thing).__name__}; expected an Instrument, a Battery or a Path.")


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


# -- readers, themes, sections, rules ---------------------------------------------


def _named(kind: str) -> Callable[[Any, str], list[tuple[str, Any]]]:
    def accept(thing: Any, plugin: str) -> list[tuple[str, Any]]:
        name = getattr(thing, "name", None) or getattr(thing, "id", None)
        if not isinstance(name, str) or not name:
            raise ImplassessError(f"register() got a {kind} without a name: {thing!r}.")
        return [(name, thing)]

    return accept


def _contributions(found: dict[str, tuple[str, T]]) -> Mapping[str, T]:
    """name → contribution, read-only, without the contributing plugin."""
    return MappingProxyType({k: v for k, (_, v) in found.items()})


def get_readers() -> Mapping[str, ResponseReader]:
    """Reader name → :class:`~implassess.contracts.ResponseReader` (read-only)."""
    readers: dict[str, tuple[str, ResponseReader]] = _cached(
        "readers", lambda: _collect("register_readers", _named("reader"), "Reader")
    )
    return _contributions(readers)


def _accept_theme(thing: Any, plugin: str) -> list[tuple[str, Theme]]:
    if isinstance(thing, (str, Path)):
        from implassess.formats.theme import load_theme

        theme = load_theme(Path(thing))
        return [(theme.name, theme)]
    return _named("theme")(thing, plugin)


def get_themes() -> Mapping[str, Theme]:
    """Theme name → :class:`~implassess.contracts.Theme` (read-only)."""
    themes: dict[str, tuple[str, Theme]] = _cached(
        "themes", lambda: _collect("register_themes", _accept_theme, "Theme")
    )
    return _contributions(themes)


def get_report_sections() -> Sequence[ReportSection]:
    """Report sections in order; a plugin section with ``replaces`` set replaces a built-in."""

    def build() -> tuple[ReportSection, ...]:
        load_plugins()
        caller = _state.pm.hook.register_report_sections
        sections: dict[str, tuple[str, ReportSection]] = {}
        impls = sorted(caller.get_hookimpls(), key=lambda i: i.plugin_name not in DEFAULT_PLUGINS)
        for impl in impls:
            offered: list[ReportSection] = []
            try:
                _call(impl, register=offered.append)
            except Exception as exc:
                _note(str(PluginError(impl.plugin_name, "register_report_sections", f"{type(exc).__name__}: {exc}")))
                continue
            for section in offered:
                if section.id in sections and not section.replaces:
                    _note(
                        str(
                            DuplicateNameError(
                                "Report section",
                                section.id,
                                sections[section.id][0],
                                impl.plugin_name,
                                "register_report_sections",
                            )
                        )
                    )
                    continue
                sections[section.id] = (impl.plugin_name, section)
        return tuple(sorted((s for _, s in sections.values()), key=lambda s: (s.order, s.id)))

    return _cached("sections", build)


def get_scoring_rules() -> Mapping[str, ScoringRule]:
    """Rule name → :class:`~implassess.contracts.ScoringRule` (read-only)."""
    rules: dict[str, tuple[str, ScoringRule]] = _cached(
        "rules", lambda: _collect("register_scoring_rules", _named("scoring rule"), "Scoring rule")
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


def add_commands(cli: click.Group) -> None:
    """Let plugins add CLI commands; a failing plugin is noted, not fatal."""
    load_plugins()
    for impl in _state.pm.hook.register_commands.get_hookimpls():
        try:
            _call(impl, cli=cli)
        except Exception as exc:
            _note(str(PluginError(impl.plugin_name, "register_commands", f"{type(exc).__name__}: {exc}")))


def prepare_jinja2_environment(env: jinja2.Environment, purpose: str) -> None:
    """Let plugins adjust a jinja2 environment in place."""
    load_plugins()
    for impl in _state.pm.hook.prepare_jinja2_environment.get_hookimpls():
        try:
            _call(impl, env=env, purpose=purpose)
        except Exception as exc:
            raise PluginError(impl.plugin_name, "prepare_jinja2_environment", f"{type(exc).__name__}: {exc}") from None
