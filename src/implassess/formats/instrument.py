"""Instrument format v1: TOML → dict → cattrs converter → records, then cross-field lint.

The file is read by :mod:`implassess.formats.document` (size and nesting limits) and
structured by :mod:`implassess.formats.convert` (unknown keys and wrong types rejected).
Structuring problems and lint findings are collected together so a file's author sees
every problem at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from implassess.errors import Finding, InstrumentError
from implassess.formats import lint
from implassess.formats.convert import FORMAT_VERSION, header, structure, unstructure
from implassess.formats.document import read_document
from implassess.model import Battery, Instrument

__all__ = ["FORMAT_VERSION", "check_file", "check_raw", "load_file", "read_toml", "unstructure"]


def read_toml(path: Path) -> dict[str, Any]:
    """An instrument or battery file as a table, read through the guarded door."""
    return read_document(path)


def check_raw(raw: dict[str, Any], source: str) -> tuple[Instrument | Battery | None, list[Finding]]:
    """Structure and lint a parsed file; returns the record (None if invalid) and findings."""
    raw = dict(raw)
    kind, findings = header(raw, source, ("instrument", "battery"))
    cl: type = Battery if kind == "battery" else Instrument
    record, problems = structure(raw, cl, source, document=True)
    findings += problems
    if kind == "battery":
        findings += lint.lint_battery(raw, source)
    else:
        findings += lint.lint_instrument(raw, source)
    findings = _dedupe(findings)
    if record is not None:
        record = attrs.evolve(record, source=source)
    if any(f.severity == "error" for f in findings):
        return None, findings
    return record, findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        key = (f.path, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def check_file(path: Path) -> tuple[Instrument | Battery | None, list[Finding]]:
    """Read, structure and lint one file."""
    try:
        raw = read_document(path)
    except InstrumentError as exc:
        return None, exc.findings
    return check_raw(raw, str(path))


def load_file(path: Path) -> Instrument | Battery:
    """Load a valid instrument or battery, raising :class:`InstrumentError` otherwise."""
    record, findings = check_file(path)
    if record is None:
        raise InstrumentError([f for f in findings if f.severity == "error"])
    return record
