"""``implassess plugins`` and ``implassess plugin new``: what is loaded, and a start for authors."""

from __future__ import annotations

from pathlib import Path

import click

from implassess import plugins
from implassess.cli.output import CONTEXT, echo_json


@click.command("plugins", context_settings=CONTEXT)
@click.option("--all", "show_all", is_flag=True, help="Include the built-in plugins.")
def plugins_cmd(show_all: bool) -> None:
    """Print the loaded plugins as JSON (name, version, hooks).

    Example: implassess plugins --all
    """
    echo_json(
        [
            {"name": p.name, "version": p.version, "hooks": list(p.hooks), "distribution": p.distribution}
            for p in plugins.plugin_infos()
            if show_all or not p.builtin
        ]
    )


@click.group("plugin", context_settings=CONTEXT)
def plugin_group() -> None:
    """Tools for plugin authors.

    Example: implassess plugin new ward-safety --scoring --section
    """


@plugin_group.command("new")
@click.argument("name")
@click.option("-o", "--out-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("."), show_default=True)
@click.option("--title", default=None, help="Instrument title (default: from the name).")
@click.option("--author", default="Your name", show_default=True)
@click.option("--scoring", is_flag=True, help="Include a Python scoring rule.")
@click.option("--section", is_flag=True, help="Include an extra report section.")
def plugin_new(name: str, out_dir: Path, title: str | None, author: str, scoring: bool, section: bool) -> None:
    """Scaffold a plugin distribution: pyproject with the entry point, an instrument,
    conformance cases, tests and a README (optionally a scoring rule and a report section).

    Example: implassess plugin new ward-safety --scoring
    """
    from implassess.jobs.scaffold import scaffold_plugin

    files = scaffold_plugin(name, out_dir, title=title, author=author, scoring=scoring, section=section)
    root = files[0].parent
    click.echo(f"Created {root} ({len(files)} files). Next:")
    click.echo(f"  pip install -e '{root}[test]' && implassess instruments verify {name} && pytest {root}")
