"""The boundary between untrusted text and reportlab paragraph markup.

reportlab parses ``<b>``, ``<font>``, ``</para>`` and entities inside paragraphs, so a
client name such as ``<font size=80>`` would change the layout. Every untrusted string
(client names, item text, dimension names, comments) is escaped exactly once, here,
when it enters markup: by :func:`esc` in flowable builders and by :func:`finalize` for
every ``{{ … }}`` in a template.
"""

from __future__ import annotations

from typing import Any
from xml.sax.saxutils import escape


def esc(text: Any) -> str:
    """Escape ``&``, ``<`` and ``>`` so reportlab shows ``text`` literally."""
    return escape(str(text))


def finalize(value: Any) -> Any:
    """jinja2 ``finalize`` hook: escape every expression result unless marked safe.

    A value with ``__html__`` (``markupsafe.Markup``, the ``safe`` filter) is trusted
    markup and passes unchanged. Line breaks inside a value become spaces so a value
    cannot start a new paragraph or bullet in the narrative.
    """
    if value is None:
        return ""
    if hasattr(value, "__html__"):
        return value.__html__()
    return esc(value).replace("\r", " ").replace("\n", " ")
