"""Validation of instrument and battery files as ``instruments validate`` runs it."""

from __future__ import annotations

from pathlib import Path

from implassess import plugins
from implassess.errors import Finding, InstrumentError
from implassess.formats import lint
from implassess.formats.document import read_document
from implassess.formats.instrument import check_raw
from implassess.model import Instrument


def _expand(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(p.glob("*.toml")) if p.is_dir() else [p])
    return out


def validate_paths(paths: list[Path]) -> tuple[list[Finding], int]:
    """Every finding in the files (a folder stands for the ``*.toml`` files directly in it) and the file count.

    Batteries are checked against the loaded instruments plus those in the files.
    """
    files = _expand(paths)
    findings: list[Finding] = []
    raws: dict[Path, dict] = {}
    local_ids: set[str] = set()
    for path in files:
        try:
            raw = read_document(path)
        except InstrumentError as exc:
            findings += exc.findings
            continue
        raws[path] = raw
        record, problems = check_raw(raw, str(path))
        findings += problems
        if isinstance(record, Instrument):
            local_ids.add(record.id)
    if any(r.get("kind") == "battery" for r in raws.values()):
        known = set(plugins.get_instruments()) | local_ids
        for path, raw in raws.items():
            if raw.get("kind") == "battery":
                findings += [f for f in lint.lint_battery(raw, str(path), known) if f.code == "unknown-instrument"]
    return findings, len(files)
