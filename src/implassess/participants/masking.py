"""Masking the names of other participants in 360 comments.

A rater may name a colleague who is also on the programme ("works well with Sam Lee").
Printed verbatim, that puts a remark about one participant into another's private
report. :class:`NameMasker` replaces every roster name in a comment with
:data:`MASK`: the full name as written in the participants file, and each of its words
(first, middle and last names, and each part of a hyphenated name), matched without
regard to case, as whole words, also before a possessive ("Sam's" becomes
"[name removed]'s"). The report's own participant is left alone: a word of their own
name is not masked even when another participant shares it (two Lucias: "Lucia" in
Lucia Haddad's report is about her), but another participant's full name is.

Single letters (initials) and name particles ("van", "de", "al") are not
masked on their own, only as part of a full name. A name that is also an ordinary word
("Will", "May") is masked wherever the word appears; the list of masked comments lets
the programme lead check.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable, Mapping

#: What a masked name is replaced with.
MASK = "[name removed]"

#: Lower-case particles that are part of a surname but not a name on their own.
PARTICLES = frozenset(
    "al bin binti bint da das de degli dei del della den der di do dos du el ibn la le lo ten ter van von y zu".split()
)
_APOSTROPHES = "'’ʼ"
_WORD = re.compile(r"[^\W_]+(?:[" + _APOSTROPHES + r"\-‐][^\W_]+)*")
_POSSESSIVE = re.compile(r"[" + _APOSTROPHES + r"]s$", re.IGNORECASE)


def _norm(word: str) -> str:
    text = unicodedata.normalize("NFC", word).casefold()
    for a in _APOSTROPHES[1:]:
        text = text.replace(a, "'")
    return text.replace("‐", "-")


def name_terms(name: str) -> set[str]:
    """The normalised forms of a name that are masked: the full name and its words."""
    words = _WORD.findall(unicodedata.normalize("NFC", name))
    if not words:
        return set()
    norms = [_norm(w) for w in words]
    terms = {" ".join(norms)}
    # A surname with its particles ("de Vries" of "Anna de Vries") is a name on its own.
    first_particle = next((k for k, w in enumerate(norms) if k and w in PARTICLES), None)
    if first_particle is not None and first_particle < len(norms) - 1:
        terms.add(" ".join(norms[first_particle:]))
    for w in words:
        for part in (w, *re.split(r"[-‐]", w)):
            letters = sum(ch.isalpha() for ch in part)
            if letters < 2 or _norm(part) in PARTICLES:
                continue
            terms.add(_norm(part))
    return terms


class NameMasker:
    """Masks the names of a programme's participants in comment texts."""

    def __init__(self, names: Mapping[str, str]):
        """``names`` maps participant id to the name in the participants file."""
        self._own = {pid: name_terms(name) for pid, name in names.items()}
        self._terms: set[str] = set().union(*self._own.values()) if self._own else set()
        self._longest = max((t.count(" ") + 1 for t in self._terms), default=1)

    def mask(self, text: str, participant: str) -> tuple[str, int]:
        """``text`` with other participants' names replaced by :data:`MASK`, and how many were replaced."""
        if not self._terms or not text:
            return text, 0
        own = self._own.get(participant, set())
        words = [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]
        spans: list[tuple[int, int]] = []
        i = 0
        while i < len(words):
            hit = self._match(text, words, i)
            if hit is None:
                spans += self._hyphen_parts(words[i], own)
                i += 1
                continue
            length, end, key = hit
            if key not in own:
                spans.append((words[i][0], end))
            i += length
        if not spans:
            return text, 0
        out, pos = [], 0
        for start, end in spans:
            out += [text[pos:start], MASK]
            pos = end
        out.append(text[pos:])
        return "".join(out), len(spans)

    def _match(self, text: str, words: list[tuple[int, int, str]], i: int) -> tuple[int, int, str] | None:
        """(words, end offset, term) of the longest name starting at word ``i``, if any.

        A name of the report's own participant is consumed too, so no shorter name inside it is masked.
        """
        for length in range(min(self._longest, len(words) - i), 0, -1):
            window = words[i : i + length]
            if any(not text[a[1] : b[0]].isspace() for a, b in itertools.pairwise(window)):
                continue
            last = window[-1]
            candidates = [(" ".join(_norm(w[2]) for w in window), last[1])]
            stem = _POSSESSIVE.sub("", last[2])
            if stem != last[2]:
                key = " ".join([*(_norm(w[2]) for w in window[:-1]), _norm(stem)])
                candidates.append((key, last[0] + len(stem)))
            for key, end in candidates:
                if key in self._terms:
                    return length, end, key
        return None

    def _hyphen_parts(self, word: tuple[int, int, str], own: set[str]) -> Iterable[tuple[int, int]]:
        """Spans of the parts of a hyphenated word that are someone else's name ("Smith" in "Smith-Jones")."""
        start, _, text = word
        if "-" not in text and "‐" not in text:
            return []
        spans, pos = [], start
        for part in re.split(r"([-‐])", text):
            stem = _POSSESSIVE.sub("", part)
            key = _norm(stem)
            if part not in ("-", "‐") and key in self._terms and key not in own:
                spans.append((pos, pos + len(stem)))
            pos += len(part)
        return spans
