"""Every hook implassess calls, in one place.

Plugins implement hooks with ``from implassess import hookimpl``. Contribution hooks
(``register_*``) receive a ``register`` callback: call it once per contribution so the
host can tag each with the plugin that made it and reject duplicate names. Only
:mod:`implassess.plugins` calls these hooks; it checks every contribution's type and
fields and names the plugin, the hook and the fault when something is wrong (a hook
that raises or calls ``sys.exit()`` included).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import click
    import jinja2

    from implassess.contracts import ReportSection, ResponseReader, ScoringRule, Theme
    from implassess.model import Battery, Instrument

hookspec = pluggy.HookspecMarker("implassess")
hookimpl = pluggy.HookimplMarker("implassess")


@hookspec
def register_instruments(register: Callable[[Instrument | Battery | Path], None]) -> None:
    """Contribute instruments and batteries.

    Called once, the first time any command asks for the instrument catalogue. Call
    ``register`` with an :class:`~implassess.model.Instrument` or
    :class:`~implassess.model.Battery` record, or with the :class:`~pathlib.Path` of
    a TOML file in the instrument format (it is loaded and linted; an invalid file
    is reported with the plugin's name and skipped). The return value is ignored.
    """


@hookspec
def register_readers(register: Callable[[ResponseReader], None]) -> None:
    """Contribute readers for survey exports and KPI sheets.

    Called once, the first time responses are read. Call ``register`` with an object
    satisfying :class:`~implassess.contracts.ResponseReader` (an instance, not the
    class); its ``name`` must be unique. Its ``read`` must return a
    :class:`~implassess.contracts.RawTable`; anything else stops the read with an
    error naming the plugin. The return value is ignored.
    """


@hookspec
def register_themes(register: Callable[[Theme | Path], None]) -> None:
    """Contribute report themes.

    Called once, the first time a theme is looked up. Call ``register`` with a
    :class:`~implassess.contracts.Theme` or the :class:`~pathlib.Path` of a theme TOML
    file; either is checked as strictly as a theme file, and an invalid theme is left
    out with a warning naming the plugin. The return value is ignored.
    """


@hookspec
def register_report_sections(register: Callable[[ReportSection], None]) -> None:
    """Contribute sections of the organisation report.

    Called once per process, before the first report is laid out. Call ``register``
    with a :class:`~implassess.contracts.ReportSection`. A section whose ``id`` equals
    a built-in one replaces it only when its ``replaces`` flag is set; otherwise the
    duplicate is rejected. Sections are ordered by their ``order`` number. Anything
    other than a valid section, or a hook that raises, stops the report with an error
    naming the plugin (the report would otherwise lack the section). The return
    value is ignored.
    """


@hookspec
def register_scoring_rules(register: Callable[[ScoringRule], None]) -> None:
    """Contribute Python scoring rules that instruments can name.

    Called once, the first time an instrument that names a rule is scored. Call
    ``register`` with a :class:`~implassess.contracts.ScoringRule`; an instrument
    selects it with ``[scoring] rule = "name"``. The return value is ignored.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands or command groups to the ``implassess`` CLI.

    Called once when the CLI starts, after the built-in commands exist. Use
    ``@cli.command()`` or ``cli.add_command(...)``. A command whose name is taken (a
    built-in, or another plugin's) is not replaced: the first one is kept and a
    warning names your plugin. The return value is ignored.
    """


@hookspec
def prepare_jinja2_environment(env: jinja2.Environment, purpose: str) -> None:
    """Change the jinja2 environment in place before templates are rendered.

    Called each time an environment is created, with ``purpose`` naming its use
    (``"report"``, ``"participant"``, ``"scaffold"``). ``env`` is a jinja2
    ``ImmutableSandboxedEnvironment``: templates cannot reach Python internals, but
    filters and globals you add run as ordinary Python, so expose values and pure
    functions, never modules or objects with side effects. Add filters, globals or
    tests to ``env``. A fault here raises, naming the plugin. Returning ``None`` is
    expected; the return value is ignored.
    """
