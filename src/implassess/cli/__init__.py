"""The ``implassess`` command line: the root group, command registration and ``main``.

The only place that turns errors into exit codes. Each command lives in its own module
of this package and only parses arguments, calls a job (``implassess.jobs``) and prints
text or ``--json``. Heavy libraries (numpy, reportlab, openpyxl) are imported inside
the jobs, so ``implassess --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import click

# Imported under another name: once the submodule implassess.cli.plugins (the
# ``plugins`` command) is imported, it is this package's attribute ``plugins``.
from implassess import plugins as registry
from implassess._version import __version__
from implassess.cli.output import CONTEXT
from implassess.errors import ImplassessError


class _Cli(click.Group):
    """A group that adds plugin commands lazily and shows errors as messages, never tracebacks.

    Plugin commands are added again whenever the set of plugins changes (a plugin
    registered at run time, as tests do); a plugin cannot replace a built-in command.
    """

    _builtin: dict[str, click.Command] | None = None
    _plugins_seen: int | None = None

    def _add_plugin_commands(self) -> None:
        if self._plugins_seen == registry.generation():
            return
        if self._builtin is None:
            self._builtin = dict(self.commands)
        else:
            self.commands = dict(self._builtin)
        registry.add_commands(self)
        self._plugins_seen = registry.generation()

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        self._add_plugin_commands()
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        self._add_plugin_commands()
        return super().list_commands(ctx)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ImplassessError as exc:
            raise click.ClickException(exc.user_message()) from None
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:
            _reader_gone()
        except SystemExit as exc:
            # A plugin's hook, reader, filter or flowable must not end a built-in command
            # (a plugin's own command may end itself); the exit codes of built-ins pass.
            command = ctx.invoked_subcommand
            error = registry.exit_error(exc, f"while running {command!r}" if command else "while running a command")
            if error is None or (command and registry.command_owner(command)):
                raise
            raise click.ClickException(error.user_message()) from None
        except OSError as exc:
            # A file or folder that cannot be read or written: the user can fix this.
            where = exc.filename or "a file"
            raise click.ClickException(f"Cannot read or write {where}: {exc.strerror or exc}.") from None
        except Exception as exc:
            if os.environ.get("IMPLASSESS_DEBUG"):
                raise
            raise click.ClickException(
                f"Unexpected internal error: {type(exc).__name__}: {exc}\n"
                "This is a bug in implassess or a plugin; run again with IMPLASSESS_DEBUG=1 for details."
            ) from None
        finally:
            _warn_plugin_problems()


def _reader_gone() -> NoReturn:
    """The program reading our output has stopped (``implassess readers FILE | head``): stop
    quietly with the shell's code for a closed pipe, as Unix tools do, instead of an error."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout at exit; let that go nowhere
    raise SystemExit(128 + 13)  # SIGPIPE


def _warn_plugin_problems() -> None:
    if not registry.is_loaded():
        return
    for problem in registry.problems():
        click.echo("Warning: " + problem.replace("\n", "\n  "), err=True)


@click.group(cls=_Cli, context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="implassess")
def cli() -> None:
    """Organisational diagnostics: score survey exports and KPI sheets against
    declarative instruments and render branded reports.

    Example: implassess demo
    """


def _add_command_modules() -> None:
    """Commands that live in their own modules (each imports its heavy libraries lazily)."""
    from implassess.cli.demo import demo
    from implassess.cli.instruments import instruments
    from implassess.cli.participants import participants
    from implassess.cli.plugins import plugin_group, plugins_cmd
    from implassess.cli.report import report
    from implassess.cli.responses import instruments_export, readers_cmd, responses
    from implassess.cli.run import run
    from implassess.cli.sample import sample
    from implassess.cli.score import change, norms, score
    from implassess.cli.themes import themes

    for command in (
        instruments,
        plugins_cmd,
        plugin_group,
        run,
        report,
        demo,
        participants,
        sample,
        responses,
        readers_cmd,
        score,
        norms,
        change,
        themes,
    ):
        cli.add_command(command)
    instruments.add_command(instruments_export)


_add_command_modules()


def main() -> None:
    """Console-script entry point."""
    try:
        cli(prog_name="implassess")
    except BrokenPipeError:
        _reader_gone()
