"""The containment check: every output path stays inside the output folder."""

from __future__ import annotations

from pathlib import Path

from implassess.errors import ImplassessError


def inside(folder: Path, relative: str | Path, *, owner: str) -> Path:
    """``folder / relative`` (as given, not resolved), after checking it stays inside ``folder``.

    ``owner`` names where ``relative`` came from for the message (e.g. "Instrument id
    '../../x'"). Raises :class:`ImplassessError` for a path that climbs out with ``..``,
    is absolute, or leaves through a symbolic link; nothing is written in that case.
    """
    root = Path(folder).resolve()
    target = (root / relative).resolve()
    if target != root and root not in target.parents:
        raise ImplassessError(
            f"{owner} would write {str(relative)!r} outside the output folder {root} (it resolves to {target}); "
            "expected a name that stays inside the folder: no '..', no absolute path."
        )
    return Path(folder) / relative
