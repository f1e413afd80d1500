"""Hook implementations of the example plugin."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click

from implassess import hookimpl

HERE = Path(__file__).parent
INSTRUMENT = HERE / "huddle_pulse.toml"


@hookimpl
def register_instruments(register: Callable[[Path], None]) -> None:
    register(INSTRUMENT)


@hookimpl
def register_commands(cli: click.Group) -> None:
    @cli.command("huddle-card")
    @click.option("--intervention", default=None, help="Text for {intervention} in the items.")
    def huddle_card(intervention: str | None) -> None:
        """Print the huddle pulse as a numbered card.

        Example: implassess huddle-card --intervention "the new discharge checklist"
        """
        from implassess.plugins import get_instrument

        inst = get_instrument("huddle-pulse")
        values = {"intervention": intervention} if intervention else None
        click.echo(inst.title)
        click.echo("Answer 1 (strongly disagree) to 5 (strongly agree).")
        for n, item in enumerate(inst.items, start=1):
            click.echo(f"{n}. {inst.render_text(item, values=values)}")
