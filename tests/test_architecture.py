"""The shape of the package: no import circles, and each layer imports only what it may.

The import graph is read from the source (``ast``), not from a running interpreter, so
every import counts: at module top, inside functions, and under ``if TYPE_CHECKING:``
(a type-only import is still a dependency a reader has to follow). An edge goes to:

- the named module for ``import implassess.a.b``;
- the submodule for ``from implassess.a import b`` when ``implassess/a/b.py`` (or the
  package ``b/``) exists, otherwise to the package ``implassess.a`` itself (its
  ``__init__``), since that is the module defining the name;
- relative imports are resolved the same way.

The parent packages Python executes on the way (``implassess.a`` for ``implassess.a.b``)
are not edges: a package ``__init__`` that re-exports its submodules would otherwise close
a circle with every one of them.
"""

from __future__ import annotations

import ast
import functools
import textwrap
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

import attrs
import pytest

SRC = Path(__file__).resolve().parent.parent / "src"


@attrs.frozen
class Import:
    """One import statement's target, as the source spells it."""

    importer: str
    """Dotted name of the importing module."""
    target: str
    """Dotted name of the module the edge goes to (see the module docstring)."""
    names: tuple[str, ...]
    """Top-level names of third-party packages this statement imports (``click``, ``numpy``)."""
    line: int
    """Line of the statement."""
    type_only: bool = False
    """Under ``if TYPE_CHECKING:``: a dependency of the types, not of the running code."""


def module_names(src: Path, package: str) -> dict[str, Path]:
    """Dotted module name → file, for every module of ``package`` under ``src``."""
    out = {}
    for path in sorted((src / package).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST, type_only: bool = False) -> Iterator[tuple[ast.AST, bool]]:
    """Every node under ``node``, with whether it sits in the body of an ``if TYPE_CHECKING:``."""
    for child in ast.iter_child_nodes(node):
        yield child, type_only
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield stmt, True
                yield from _walk(stmt, True)
            for stmt in child.orelse:
                yield stmt, type_only
                yield from _walk(stmt, type_only)
        else:
            yield from _walk(child, type_only)


def imports(src: Path, package: str) -> Iterator[Import]:
    """Every import statement of every module of ``package`` (internal targets and outside packages)."""
    mods = module_names(src, package)
    for name, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node, type_only in _walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(name, alias.name, (alias.name.split(".")[0],), node.lineno, type_only)
            elif isinstance(node, ast.ImportFrom):
                module = _absolute(node, name, path.name == "__init__.py")
                if module == "__future__":
                    continue
                for alias in node.names:
                    sub = f"{module}.{alias.name}"
                    target = sub if sub in mods else module
                    yield Import(name, target, (module.split(".")[0],), node.lineno, type_only)


@functools.cache
def package_imports() -> tuple[Import, ...]:
    """The imports of src/implassess, read once per test session."""
    return tuple(imports(SRC, "implassess"))


def import_graph(src: Path, package: str) -> dict[str, set[str]]:
    """Module → the package's modules it imports (edges to outside packages left out)."""
    mods = module_names(src, package)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for imp in imports(src, package):
        if imp.target in mods and imp.target != imp.importer:
            graph[imp.importer].add(imp.target)
    return graph


def circles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module, each sorted (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, children = work[-1]
            for w in children:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                    break
                if w in on_stack:
                    low[v] = min(low[v], index[w])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[v])
                if low[v] == index[v]:
                    comp = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        comp.append(w)
                        if w == v:
                            break
                    if len(comp) > 1:
                        found.append(sorted(comp))
    return sorted(found)


def describe(circle: list[str], graph: Mapping[str, set[str]]) -> str:
    """A circle as its modules and the edges between them, for the failure message."""
    members = set(circle)
    edges = [f"    {a} -> {b}" for a in circle for b in sorted(graph[a] & members)]
    return "  circle of " + ", ".join(circle) + ":\n" + "\n".join(edges)


# -- the checker itself ------------------------------------------------------------------------


def _write(root: Path, files: Mapping[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


def test_checker_finds_function_level_type_only_and_relative_circles(tmp_path: Path) -> None:
    """Three circles of three kinds, and one look-alike that is not a circle."""
    _write(
        tmp_path,
        {
            "pkg/__init__.py": "def f():\n    from pkg import api\n",
            "pkg/api.py": "from pkg import __version__\n",
            "pkg/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n",
            "pkg/b.py": "def g():\n    import pkg.a\n",
            "pkg/sub/__init__.py": "from pkg.sub.x import X\n",
            "pkg/sub/x.py": "from . import y\n",
            "pkg/sub/y.py": "from .x import X\n",
            # `from pkg.sub import x` names the submodule, not the package __init__: no circle.
            "pkg/sub/z.py": "from pkg.sub import x\n",
            "pkg/sub/w.py": "import pkg.sub.z\n",
        },
    )
    graph = import_graph(tmp_path, "pkg")
    assert graph["pkg"] == {"pkg.api"}
    assert graph["pkg.api"] == {"pkg"}
    assert graph["pkg.sub.z"] == {"pkg.sub.x"}
    assert graph["pkg.sub.y"] == {"pkg.sub.x"}
    assert circles(graph) == [["pkg", "pkg.api"], ["pkg.a", "pkg.b"], ["pkg.sub.x", "pkg.sub.y"]]
    assert describe(["pkg.a", "pkg.b"], graph) == "  circle of pkg.a, pkg.b:\n    pkg.a -> pkg.b\n    pkg.b -> pkg.a"
    type_only = {(i.importer, i.target): i.type_only for i in imports(tmp_path, "pkg")}
    assert type_only[("pkg.a", "pkg.b")] is True
    assert type_only[("pkg.a", "typing")] is False
    assert type_only[("pkg.b", "pkg.a")] is False


def test_checker_follows_a_long_circle(tmp_path: Path) -> None:
    _write(tmp_path, {f"p/m{i}.py": f"import p.m{(i + 1) % 50}\n" for i in range(50)} | {"p/__init__.py": ""})
    assert circles(import_graph(tmp_path, "p")) == [sorted(f"p.m{i}" for i in range(50))]


# -- the package -------------------------------------------------------------------------------


def test_no_import_circles() -> None:
    graph = import_graph(SRC, "implassess")
    found = circles(graph)
    assert not found, "Import circles in src/implassess:\n" + "\n".join(describe(c, graph) for c in found)


def _offenders(where: str, forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    """``module:line -> target`` for imports by modules under ``where`` of anything under ``forbidden``."""

    def under(name: str, prefixes: tuple[str, ...]) -> bool:
        return any(name == p or name.startswith(p + ".") for p in prefixes)

    return sorted(
        f"{imp.importer}:{imp.line} -> {imp.target}"
        for imp in package_imports()
        if under(imp.importer, (where,)) and not under(imp.importer, allowed) and under(imp.target, forbidden)
    )


def test_scoring_is_pure() -> None:
    """Scoring takes records and arrays: no plugin registry, no writers, no report, no CLI."""
    forbidden = (
        "implassess.plugins",
        "implassess.outputs",
        "implassess.report",
        "implassess.cli",
        "implassess.jobs",
        "implassess.api",
        "click",
        "reportlab",
    )
    assert _offenders("implassess.scoring", forbidden) == []


#: Calls that read or write files.
FILE_CALLS = frozenset({"open", "read_text", "write_text", "read_bytes", "write_bytes", "mkdir", "unlink", "touch"})


def file_access(path: Path) -> list[str]:
    """``line: name`` for each call of a file function, and each import of a file module outside type checking."""
    found = []
    for node, type_only in _walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else None
            if name in FILE_CALLS:
                found.append(f"{node.lineno}: {name}()")
        elif isinstance(node, (ast.Import, ast.ImportFrom)) and not type_only:
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found += [
                f"{node.lineno}: import {m}" for m in modules if m.split(".")[0] in {"pathlib", "shutil", "tempfile"}
            ]
    return found


def test_checker_sees_file_access(tmp_path: Path) -> None:
    path = tmp_path / "m.py"
    path.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pathlib import Path\nimport shutil\n"
        "def f(p):\n    p.write_text('x')\n    return open(p).read()\n"
    )
    assert file_access(path) == ["4: import shutil", "6: write_text()", "7: open()"]


def test_scoring_touches_no_files() -> None:
    """Scoring takes records and arrays and returns records; readers and outputs/ do the I/O."""
    found = {
        name: hits
        for name, path in module_names(SRC, "implassess").items()
        if name.startswith("implassess.scoring") and (hits := file_access(path))
    }
    assert found == {}


def test_the_root_package_is_imported_by_nothing_inside_it() -> None:
    """``implassess/__init__`` reaches the API lazily, so a module importing a name from it closes a circle.

    Inside the package, ``__version__`` comes from :mod:`implassess._version` and ``hookimpl``
    from :mod:`implassess.hookspecs`.
    """
    inward = [
        f"{imp.importer}:{imp.line}"
        for imp in package_imports()
        if imp.target == "implassess" and imp.importer != "implassess"
    ]
    assert inward == []


def test_only_the_report_package_imports_reportlab() -> None:
    assert _offenders("implassess", ("reportlab",), allowed=("implassess.report",)) == []


def test_only_the_cli_imports_click() -> None:
    """Elsewhere click appears only as the type of the ``register_commands`` hook, for type checking."""
    outside = [
        (imp.importer, imp.type_only)
        for imp in package_imports()
        if "click" in imp.names and not (imp.importer == "implassess.cli" or imp.importer.startswith("implassess.cli."))
    ]
    assert sorted(outside) == [("implassess.hookspecs", True), ("implassess.plugins", True)]


@pytest.mark.parametrize("module", ["implassess.sample", "implassess.scoring", "implassess.participants"])
def test_no_layer_reaches_into_the_cli(module: str) -> None:
    assert _offenders(module, ("implassess.cli", "click")) == []


def test_every_edge_target_exists() -> None:
    """Internal imports name real modules (guards the graph against silently dropped edges)."""
    mods = module_names(SRC, "implassess")
    missing = sorted(
        f"{imp.importer}:{imp.line} -> {imp.target}"
        for imp in package_imports()
        if imp.target.split(".")[0] == "implassess" and imp.target not in mods
    )
    assert missing == []


def test_graph_edges_of_a_known_module() -> None:
    """A spot check of the reader on the real tree: the engine's imports, spelled out."""
    edges: dict[str, set[str]] = defaultdict(set)
    for imp in package_imports():
        edges[imp.importer].add(imp.target)
    assert {t for t in edges["implassess.scoring.engine"] if t.startswith("implassess")} == {
        "implassess.contracts",
        "implassess.errors",
        "implassess.model",
        "implassess.responses",
    }
