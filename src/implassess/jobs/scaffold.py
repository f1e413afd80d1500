"""``implassess plugin new``: a plugin distribution that works on the first run.

Files are rendered from the bundled ``templates/scaffold/`` with jinja2 in its immutable
sandbox, like every template implassess renders (plugins may adjust the environment
through ``prepare_jinja2_environment`` with purpose ``"scaffold"``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from implassess import plugins
from implassess.errors import ImplassessError
from implassess.outputs.files import write_atomic
from implassess.resources import data_dir

NAME_RE = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def scaffold_plugin(
    name: str,
    out_dir: Path,
    *,
    title: str | None = None,
    author: str = "Your name",
    scoring: bool = False,
    section: bool = False,
    today: dt.date | None = None,
) -> list[Path]:
    """Write the plugin distribution ``implassess-NAME`` under ``out_dir``; returns the files."""
    if not NAME_RE.match(name):
        raise ImplassessError(
            f"Plugin name {name!r} is not usable; expected lower-case words joined by hyphens, such as 'ward-safety'."
        )
    dist = f"implassess-{name}"
    module = "implassess_" + name.replace("-", "_")
    root = out_dir / dist
    if root.exists():
        raise ImplassessError(f"{root} already exists; choose another name or folder.")
    today = today or dt.date.today()
    ctx = {
        "name": name,
        "dist": dist,
        "module": module,
        "title": title or name.replace("-", " ").capitalize(),
        "author": author,
        "scoring": scoring,
        "section": section,
        "date": today.isoformat(),
        "year": today.year,
    }
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.FileSystemLoader(data_dir("templates") / "scaffold"),
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # the output is code and TOML, not markup
    )
    plugins.prepare_jinja2_environment(env, "scaffold")
    pkg = root / "src" / module
    plan = {
        "pyproject.toml.j2": root / "pyproject.toml",
        "README.md.j2": root / "README.md",
        "init.py.j2": pkg / "__init__.py",
        "plugin.py.j2": pkg / "plugin.py",
        "instrument.toml.j2": pkg / f"{name}.toml",
        "conformance.toml.j2": pkg / "conformance" / f"{name}.toml",
        "test_plugin.py.j2": root / "tests" / f"test_{module}.py",
    }
    if scoring:
        plan["scoring.py.j2"] = pkg / "scoring.py"
    if section:
        plan["section.py.j2"] = pkg / "section.py"
    written = []
    for template, target in plan.items():
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(target, env.get_template(template).render(ctx))
        written.append(target)
    return written
