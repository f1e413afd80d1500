"""The sample job: write the seeded Northbridge Health data set for a battery or instrument."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from implassess import plugins
from implassess.errors import NotFoundError

if TYPE_CHECKING:
    from implassess.model import Battery, Instrument


def sample_source(ref: str) -> Battery | Instrument:
    """A battery or instrument by id, or an instrument loaded from a TOML path (batteries first)."""
    batteries = plugins.get_batteries()
    if ref in batteries:
        return batteries[ref]
    path = Path(ref)
    if path.suffix == ".toml" and path.exists():
        from implassess.formats.instrument import load_file

        return load_file(path)
    if ref in plugins.get_instruments():
        return plugins.get_instruments()[ref]
    raise NotFoundError("battery or instrument", ref, [*batteries, *plugins.get_instruments()])


def run_sample(
    ref: str,
    out_dir: Path,
    *,
    seed: int = 7,
    respondents: int = 400,
    participants: int = 24,
    formats: Sequence[str] = ("generic", "qualtrics"),
) -> list[Path]:
    """Generate the sample for ``ref`` and write it into ``out_dir``; returns the files written."""
    from implassess.sample import generate, write_sample

    data = generate(sample_source(ref), seed=seed, n_respondents=respondents, n_participants=participants)
    return write_sample(data, out_dir, formats)
