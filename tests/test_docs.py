"""Meta-tests: every hook is documented and exercised by a test."""

from __future__ import annotations

import inspect
import re

from implassess import hookspecs
from tests.conftest import REPO

HOOKS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if hasattr(fn, "implassess_spec"))


def test_hookspecs_found() -> None:
    assert "register_instruments" in HOOKS and len(HOOKS) >= 7


def test_every_hook_has_a_section_in_plugin_hooks_md() -> None:
    text = (REPO / "docs" / "plugin-hooks.md").read_text()
    headings = set(re.findall(r"^## (\w+)$", text, re.M))
    assert headings == set(HOOKS)
    for hook in HOOKS:
        section = text.split(f"## {hook}\n", 1)[1].split("\n## ", 1)[0]
        assert f"def {hook}(" in section, f"{hook}: signature missing"
        assert "@hookimpl" in section, f"{hook}: example missing"


def test_every_hook_is_exercised_by_a_test() -> None:
    tests = "\n".join(p.read_text() for p in (REPO / "tests").glob("test_*.py") if p.name != "test_docs.py")
    missing = [h for h in HOOKS if not re.search(rf"def {h}\(", tests)]
    assert missing == []


def test_every_hookspec_documents_its_contract() -> None:
    for hook in HOOKS:
        doc = inspect.getdoc(getattr(hookspecs, hook)) or ""
        assert "Called" in doc and ("return" in doc.lower()), hook
