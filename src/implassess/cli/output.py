"""What every command shares: the context settings and JSON output."""

from __future__ import annotations

import json
from typing import Any

import click

CONTEXT: dict[str, Any] = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON, non-ASCII text as is, keys in the order given."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False))
