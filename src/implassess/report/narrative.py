"""Narrative text from jinja2 templates, found client first, then plugins, then bundled.

Templates (``*.md.j2``) write reportlab paragraph markup in a small block format:
paragraphs separated by blank lines, ``- `` lines as bullets, ``## `` lines as
sub-headings; inline ``<b>``/``<i>`` are allowed in the template's own text. Every
``{{ … }}`` result is escaped by :func:`implassess.report.markup.finalize`, so data can
never inject markup. Does not import reportlab.

Client templates are files a client hands over, so every template renders in jinja2's
immutable sandbox: no attributes starting with ``_``, no Python internals, no changing
the values passed in. A template that tries, or that has an error, stops the report
with an :class:`~implassess.errors.ImplassessError` naming the template file and line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import attrs
import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from implassess import plugins
from implassess.errors import ImplassessError
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
        client = [jinja2.FileSystemLoader(str(_folder(d, "The client template folder is"))) for d in client_dirs]
        super().__init__([*client, jinja2.FileSystemLoader(str(data_dir("templates")))])

    def add_plugin_folder(self, path: Path | str) -> None:
        """Search ``path`` after the client folders, before the bundled templates."""
        folder = _folder(path, "add_plugin_folder() got")
        *searched, bundled = self.loaders
        self.loaders = [*searched, jinja2.FileSystemLoader(str(folder)), bundled]

    def folders(self) -> list[str]:
        """Every folder searched, in order."""
        return [p for loader in self.loaders for p in getattr(loader, "searchpath", [])]


def _folder(path: Any, what: str) -> Path:
    """``path`` as an existing folder, or an error starting with ``what`` saying what was found."""
    if not isinstance(path, (str, Path)):
        raise ImplassessError(f"{what} {type(path).__name__} {path!r}; expected the path of a folder of templates.")
    folder = Path(path)
    if not folder.is_dir():
        found = "a file" if folder.exists() else "a path that does not exist"
        raise ImplassessError(f"{what} {str(folder)!r}, {found}; expected a folder of narrative templates (*.md.j2).")
    return folder


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
    """The report environment: sandboxed, loader chain, escaping finaliser, number filters, plugin changes."""
    env = ImmutableSandboxedEnvironment(
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
    """Render template ``name`` and split it into blocks.

    Raises :class:`~implassess.errors.ImplassessError` naming the template file and line
    for a template that is missing, invalid, fails, or reaches outside the sandbox.
    """
    try:
        text = env.get_template(name).render(**context)
    except ImplassessError:
        raise
    except jinja2.TemplateNotFound as exc:
        folders = env.loader.folders() if isinstance(env.loader, ReportLoader) else []
        looked = "; looked in " + ", ".join(repr(f) for f in folders) if folders else ""
        raise ImplassessError(f"Narrative template {exc.name!r} was not found{looked}.") from None
    except Exception as exc:
        raise ImplassessError(_template_fault(name, exc, context)) from exc
    return blocks(text)


def _template_line(exc: Exception) -> tuple[str, int] | None:
    """(file, line) in the template where ``exc`` happened, from jinja2's rewritten traceback."""
    if isinstance(exc, jinja2.TemplateSyntaxError) and exc.lineno:
        return exc.filename or exc.name or "<template>", exc.lineno
    found = None
    tb: TracebackType | None = exc.__traceback__
    while tb is not None:
        if "__jinja_exception__" in tb.tb_frame.f_globals:  # a frame jinja2 made to point at the template
            found = (tb.tb_frame.f_code.co_filename, tb.tb_lineno)
        tb = tb.tb_next
    return found


def _template_fault(name: str, exc: Exception, context: Mapping[str, Any]) -> str:
    """One message for a template that fails: where, what was found, what is allowed."""
    at = _template_line(exc)
    where = f"Narrative template {at[0]}, line {at[1]}" if at else f"Narrative template {name!r}"
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return (
            f"{where}: the template tried to reach outside the sandbox and was stopped ({str(exc).rstrip('.')}). "
            "Templates may use the values, filters and tests implassess passes them, not Python internals."
        )
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"{where}: the template is not valid jinja2: {(exc.message or '').rstrip('.')}."
    if isinstance(exc, jinja2.UndefinedError):
        given = ", ".join(sorted(context))
        return f"{where}: {(exc.message or '').rstrip('.')}. This template is given: {given}."
    culprit = plugins.plugin_in_traceback(exc.__traceback__)
    if culprit is not None:  # a filter or global a plugin added
        return f"{where}: plugin {culprit[0]!r} failed in {culprit[1]}: {type(exc).__name__}: {exc}."
    return f"{where}: rendering failed: {type(exc).__name__}: {exc}."
