"""The seeded Northbridge Health sample data set behind ``implassess demo`` and ``implassess sample``."""

from __future__ import annotations

from implassess.sample.generate import KPI_PERIODS, ORGANISATION, ROLES, SITES, WAVES, generate, write_sample
from implassess.sample.records import SMALL_SITE, SampleData, Submission, Table

__all__ = [
    "KPI_PERIODS",
    "ORGANISATION",
    "ROLES",
    "SITES",
    "SMALL_SITE",
    "WAVES",
    "SampleData",
    "Submission",
    "Table",
    "generate",
    "write_sample",
]
