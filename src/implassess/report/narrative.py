"""Narrative text from jinja2 templates, found client first, then plugins, then bundled.

Templates (``*.md.j2``) write reportlab paragraph markup in a small block format:
paragraphs separated by blank lines, ``- `` lines as bullets, ``## `` lines as
sub-headings; inline ``<b>``/``<i>`` are allowed in the template's own text. Every
``{{ … }}`` result is escaped by :func:`implassess.report.markup.finalize`, so data can
never inject markup. Does not import reportlab.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import attrs
import jinja2

from implassess import plugins
from implassess.report import fmt
from implassess.report.markup import finalize
from implassess.resources import data_dir


class ReportLoader(jinja2.ChoiceLoader):
    """Looks in client folders, then plugin folders, then the bundled ``templates/``.

    A plugin adds its folder from ``prepare_jinja2_environment`` with
    ``env.loader.add_plugin_folder(path)``; it is searched after every client folder
    and before the bundled templates, in the order plugins add them.
    """

    def __init__(self, client_dirs: Iterable[Path] = ()):
        client = [jinja2.FileSystemLoader(str(d)) for d in client_dirs]
        super().__init__([*client, jinja2.FileSystemLoader(str(data_dir("templates")))])

    def add_plugin_folder(self, path: Path | str) -> None:
        """Search ``path`` after the client folders, before the bundled templates."""
        *searched, bundled = self.loaders
        self.loaders = [*searched, jinja2.FileSystemLoader(str(path)), bundled]


FILTERS = {
    "score": fmt.fmt_score,
    "r": fmt.fmt_r,
    "mean": fmt.fmt_mean,
    "delta": fmt.fmt_delta,
    "int": fmt.fmt_int,
    "pct": fmt.fmt_pct,
    "kpi": fmt.fmt_kpi,
    "ci": lambda pair: fmt.fmt_ci(*pair),
    "date": fmt.fmt_date,
}


def make_environment(template_dirs: Iterable[Path] = ()) -> jinja2.Environment:
    """The report environment: loader chain, escaping finaliser, number filters, plugin changes."""
    env = jinja2.Environment(
        loader=ReportLoader(template_dirs),
        autoescape=False,  # escaping is done by finalize with reportlab's rules, not HTML's
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals["missing"] = fmt.is_missing
    plugins.prepare_jinja2_environment(env, "report")
    return env


@attrs.frozen
class Block:
    """A unit of narrative: a paragraph, a bullet or a sub-heading, as reportlab markup."""

    kind: str
    """``p``, ``bullet`` or ``h3``."""
    markup: str
    """Paragraph markup (already escaped where it came from data)."""


def blocks(text: str) -> list[Block]:
    """Split rendered template text into blocks."""
    out: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(Block("p", " ".join(para)))
            para.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("- "):
            flush()
            out.append(Block("bullet", line[2:].strip()))
        elif line.startswith("## "):
            flush()
            out.append(Block("h3", line[3:].strip()))
        elif out and out[-1].kind == "bullet" and not para and raw[:1].isspace():
            out[-1] = Block("bullet", out[-1].markup + " " + line)  # continuation of a bullet
        else:
            para.append(line)
    flush()
    return out


def render(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> list[Block]:
    """Render template ``name`` and split it into blocks."""
    return blocks(env.get_template(name).render(**context))
