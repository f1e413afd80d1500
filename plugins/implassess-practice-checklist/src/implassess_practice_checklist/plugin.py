"""Hook implementations of implassess-practice-checklist."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from implassess import hookimpl

if TYPE_CHECKING:
    from implassess.contracts import ScoringRule

HERE = Path(__file__).parent
INSTRUMENT = HERE / "implementation-practices.toml"


@hookimpl
def register_instruments(register: Callable[[Path], None]) -> None:
    register(INSTRUMENT)


@hookimpl
def register_scoring_rules(register: Callable[[ScoringRule], None]) -> None:
    # Imported here so that listing plugins or instruments does not import numpy.
    from implassess_practice_checklist.scoring import RULE

    register(RULE)
