"""``implassess themes list|show``: the report themes plugins provide.

Errors are raised as :mod:`implassess.errors` exceptions; :mod:`implassess.cli` turns
them into messages and exit codes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from implassess import plugins
from implassess.cli.output import CONTEXT, echo_json
from implassess.errors import NotFoundError

if TYPE_CHECKING:
    from implassess.contracts import Theme


@click.group(context_settings=CONTEXT)
def themes() -> None:
    """List and show report themes.

    Example: implassess themes list
    """


@themes.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def themes_list(as_json: bool) -> None:
    """List the loaded themes.

    Example: implassess themes list --json
    """
    loaded = sorted(plugins.get_themes().values(), key=lambda t: t.name)
    if as_json:
        echo_json([{"name": t.name, "title": t.title, "page-size": t.page_size, "source": t.source} for t in loaded])
        return
    if not loaded:
        click.echo("No themes are loaded.")
        return
    width = max(len(t.name) for t in loaded)
    for t in loaded:
        click.echo(f"{t.name:<{width}}  {t.page_size:<6} {t.title}")


def _find(ref: str) -> Theme:
    loaded = plugins.get_themes()
    if ref in loaded:
        return loaded[ref]
    path = Path(ref)
    if path.suffix == ".toml" and path.is_file():
        from implassess.formats.theme import load_theme

        return load_theme(path)
    raise NotFoundError("theme", ref, list(loaded))


@themes.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the theme as JSON (theme file key names).")
def themes_show(name: str, as_json: bool) -> None:
    """Show a theme by name, or check and show a theme file.

    Example: implassess themes show default --json
    """
    theme = _find(name)
    from implassess.formats.theme import theme_as_dict

    data = theme_as_dict(theme)
    if as_json:
        echo_json(data)
        return
    click.echo(f"{theme.title or theme.name} ({theme.name})")
    for key, value in data.items():
        if key in ("name", "title"):
            continue
        if isinstance(value, list):
            value = ", ".join(value)
        if value in (None, ""):
            value = "(bundled Lato)" if key.startswith("font-") else "(none)"
        click.echo(f"  {key:<13} {value}")
