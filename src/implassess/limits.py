"""Resource limits a user may raise through environment variables (``docs/privacy.md``)."""

from __future__ import annotations

import math
import os

from implassess.errors import ImplassessError


def env_limit(name: str, default: float) -> float:
    """The limit in ``$name``, or ``default`` when it is unset; a value that is not a positive
    number is an error naming the variable and a value that would do."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ImplassessError(
            f"The environment variable {name} is {raw!r}; expected a number greater than 0 "
            f"(e.g. {name}={int(default) * 2}), or leave it unset for the default of {default:,g}."
        )
    return value
