"""Provenance: the one record every manifest gives of a file a job read, and an
instrument's content hash."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from implassess.outputs.files import sha256_file

if TYPE_CHECKING:
    from implassess.model import Instrument


def input_record(
    path: Path,
    *,
    file: str | None = None,
    sha256: str | None = None,
    kind: str | None = None,
    reader: str | None = None,
    rows_read: int | None = None,
    rejected: int | None = None,
    missing_ok: bool = False,
    **extra: Any,
) -> dict[str, Any]:
    """The manifest entry of an input file: its SHA-256 and what the job made of it.

    Keys come in a fixed order — ``file``, ``sha256``, ``kind``, ``reader``, ``rows_read``,
    ``rejected``, then ``extra`` in the order given — and a key whose argument is ``None``
    is left out, so each job records only what it knows. ``file`` is the name the manifest
    shows (the caller decides: a bare name, a path relative to the assessment, or the path
    as given); ``sha256`` is hashed from ``path`` unless the caller already has it (a
    reader that hashed the bytes it parsed). With ``missing_ok`` an unreadable file gets
    ``sha256: ""`` instead of raising OSError.

    Example::

        input_record(Path("kpis.csv"), file="kpis.csv", rows_read=12, rejected=0)
        # {"file": "kpis.csv", "sha256": "…", "rows_read": 12, "rejected": 0}
    """
    record: dict[str, Any] = {}
    if file is not None:
        record["file"] = file
    record["sha256"] = sha256 if sha256 is not None else sha256_file(path, missing_ok=missing_ok)
    for key, value in (("kind", kind), ("reader", reader), ("rows_read", rows_read), ("rejected", rejected)):
        if value is not None:
            record[key] = value
    record.update(extra)
    return record


def instrument_sha256(instrument: Instrument) -> str:
    """A content hash of an instrument record (everything but where it was loaded from).

    Recorded in the run manifest, so ``implassess report`` can tell whether the installed
    instrument is the one the run was scored with.
    """
    fields = attrs.asdict(attrs.evolve(instrument, source=""))
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, default=str, allow_nan=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
