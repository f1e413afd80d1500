"""From a reader's table to a :class:`~implassess.responses.ResponseSet` and its rejected rows.

``readers/`` turn a file into text cells; this package maps the columns onto an
instrument's items (:mod:`.columns`), converts answers and locales (:mod:`.answers`) and
accounts for every row (:mod:`.rows`). :mod:`.core` ties them together.
"""

from __future__ import annotations

from implassess.ingest.core import (
    IngestResult,
    detect_reader,
    ingest,
    map_table,
    read_kpis,
    read_responses,
    read_table,
    sniff_scores,
)

__all__ = [
    "IngestResult",
    "detect_reader",
    "ingest",
    "map_table",
    "read_kpis",
    "read_responses",
    "read_table",
    "sniff_scores",
]
