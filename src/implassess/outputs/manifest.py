"""The run manifest (``manifest.json`` at the top of a run folder): written, and amended
when a later step adds a file."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from implassess.outputs.files import discard_file, sha256_file, write_atomic
from implassess.outputs.paths import inside

#: File name of the run manifest.
MANIFEST = "manifest.json"


def output_entries(out: Path, outputs: Mapping[str, Path]) -> dict[str, dict[str, str]]:
    """Name → {path relative to ``out``, sha256} of every output, sorted by name."""
    return {name: {"path": str(p.relative_to(out)), "sha256": sha256_file(p)} for name, p in sorted(outputs.items())}


def _text(manifest: Mapping[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def write_manifest(out: Path, manifest: Mapping[str, Any]) -> Path:
    """Write ``out/manifest.json`` atomically; returns its path."""
    path = inside(out, MANIFEST, owner="The run manifest")
    write_atomic(path, _text(manifest))
    return path


def discard_manifest(out: Path) -> bool:
    """Remove ``out/manifest.json`` before a command rewrites the folder; returns whether it was there.

    From then until the new manifest is written the folder is visibly unfinished
    (``implassess report`` refuses it), so a command stopped half-way (a full disk, a
    crash) never leaves new files beside a manifest that describes the old ones.
    """
    return discard_file(inside(out, MANIFEST, owner="The run manifest"))


def add_outputs(out: Path, outputs: Mapping[str, Path]) -> Path:
    """Record more outputs (with their hashes) in ``out/manifest.json``, keeping every other key as it was."""
    path = out / MANIFEST
    manifest = json.loads(path.read_text(encoding="utf-8"))
    entries = {**manifest.get("outputs", {}), **output_entries(out, outputs)}
    manifest["outputs"] = dict(sorted(entries.items()))
    return write_manifest(out, manifest)
