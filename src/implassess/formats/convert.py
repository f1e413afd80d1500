"""The strict cattrs boundary every declarative file crosses: a parsed table → records.

The converter forbids unknown keys, maps kebab-case keys to attribute names and is
strict about types (a string is never silently turned into a number, a string is never
split into an array). Problems come back as :class:`~implassess.errors.Finding` values
with TOML key paths (``dimensions[2].items[0].weight``), all of them at once.
"""

from __future__ import annotations

import datetime
import types
import typing
from collections.abc import Callable
from typing import Any, Literal

import attrs
import cattrs
from cattrs.errors import (
    AttributeValidationNote,
    ClassValidationError,
    ForbiddenExtraKeysError,
    IterableValidationError,
    IterableValidationNote,
)
from cattrs.gen import make_dict_structure_fn, override

from implassess.errors import Finding

#: The format version every declarative file is written in.
FORMAT_VERSION = 1

#: Keys of a whole file read before structuring (see :func:`header`).
HEADER_KEYS = ("format-version", "kind")

#: Record fields that are not read from TOML.
_NOT_IN_TOML = {"source", "base_dir"}


class _Mismatch(Exception):
    """A value of the wrong type; formatted by :func:`_describe`."""

    def __init__(self, found: Any, expected: str):
        self.found = found
        self.expected = expected
        super().__init__(expected)


def _kebab(name: str) -> str:
    return name.replace("_", "-")


def _type_name(value: Any) -> str:
    if isinstance(value, datetime.datetime):
        return "a TOML date-time"
    if isinstance(value, datetime.date):
        return "a TOML date"
    if isinstance(value, datetime.time):
        return "a TOML time"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return type(value).__name__


def _shown(value: Any) -> str:
    """A found value as the author wrote it: dates as in TOML, everything else with repr."""
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return repr(value)


def _strict_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        raise _Mismatch(value, "a string")
    return value


def _strict_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Mismatch(value, "an integer")
    return value


def _strict_float(value: Any, _: type) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _Mismatch(value, "a number")
    return float(value)


def _strict_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise _Mismatch(value, "true or false")
    return value


def _literal(tp: Any) -> Any:
    allowed = typing.get_args(tp)

    def structure(value: Any, _: type) -> Any:
        if value not in allowed or isinstance(value, bool):
            raise _Mismatch(value, "one of " + ", ".join(repr(a) for a in allowed))
        return value

    return structure


def _union(tp: Any) -> Any:
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    optional = type(None) in typing.get_args(tp)
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}

    def structure(value: Any, _: type) -> Any:
        if value is None and optional:
            return None
        for arg in args:
            try:
                return converter.structure(value, arg)
            except (_Mismatch, ClassValidationError, IterableValidationError):
                continue
        raise _Mismatch(value, " or ".join(names.get(a, getattr(a, "__name__", str(a))) for a in args))

    return structure


def _noted(exc: Exception, index: int | str, tp: Any) -> Exception:
    # Set __notes__ directly (not add_note) so Python 3.10 behaves the same; typeshed declares
    # the attribute only from 3.11, and mypy checks for 3.10.
    exc.__notes__ = [  # type: ignore[attr-defined]
        *getattr(exc, "__notes__", []),
        IterableValidationNote(f"index {index!r}", index, tp),
    ]
    return exc


def _array(tp: Any) -> Any:
    """Arrays must be TOML arrays: cattrs alone would split a string into characters."""
    elem = typing.get_args(tp)[0]

    def structure(value: Any, _: type) -> Any:
        if not isinstance(value, (list, tuple)):
            raise _Mismatch(value, "an array")
        out, errors = [], []
        for i, v in enumerate(value):
            try:
                out.append(converter.structure(v, elem))
            except Exception as exc:
                errors.append(_noted(exc, i, elem))
        if errors:
            raise IterableValidationError(f"While structuring {tp!r}", errors, tp)
        return tuple(out)

    return structure


def _mapping(tp: Any) -> Any:
    """Tables of named entries (``variables``, an item's ``forms``) must be TOML tables."""
    elem = typing.get_args(tp)[1]

    def structure(value: Any, _: type) -> Any:
        if not isinstance(value, dict):
            raise _Mismatch(value, "a table")
        out, errors = {}, []
        for k, v in value.items():
            try:
                out[k] = converter.structure(v, elem)
            except Exception as exc:
                errors.append(_noted(exc, k, elem))
        if errors:
            raise IterableValidationError(f"While structuring {tp!r}", errors, tp)
        return out

    return structure


def _is_array(tp: Any) -> bool:
    args = typing.get_args(tp)
    return typing.get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_mapping(tp: Any) -> bool:
    return typing.get_origin(tp) is dict


def _is_union(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return origin is typing.Union or origin is types.UnionType


def _is_simple_union(tp: Any) -> bool:
    return _is_union(tp) and not any(attrs.has(a) for a in typing.get_args(tp))


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    conv.register_structure_hook(str, _strict_str)
    conv.register_structure_hook(int, _strict_int)
    conv.register_structure_hook(float, _strict_float)
    conv.register_structure_hook(bool, _strict_bool)
    conv.register_structure_hook_factory(lambda t: typing.get_origin(t) is Literal, _literal)
    conv.register_structure_hook_factory(_is_simple_union, _union)
    conv.register_structure_hook_factory(_is_array, _array)
    conv.register_structure_hook_factory(_is_mapping, _mapping)

    def tables(cl: type) -> Any:
        overrides = {
            a.name: (override(omit=True) if a.name in _NOT_IN_TOML else override(rename=_kebab(a.name)))
            for a in attrs.fields(cl)
        }
        # mypy matches **overrides against cattrs' named bool options as well as its **kwargs.
        fields: Callable[[dict[str, Any], type], Any] = make_dict_structure_fn(
            cl,
            conv,
            _cattrs_forbid_extra_keys=True,
            **overrides,  # type: ignore[arg-type]
        )

        def structure(value: Any, _: type) -> Any:
            if not isinstance(value, dict):
                raise _Mismatch(value, "a table")
            return fields(value, cl)

        return structure

    conv.register_structure_hook_factory(attrs.has, tables)
    return conv


converter = _make_converter()


def _toml_keys(cl: type, document: bool) -> list[str]:
    keys = {_kebab(a.name) for a in attrs.fields(cl) if a.name not in _NOT_IN_TOML}
    if document:
        keys |= set(HEADER_KEYS)  # read by header() before structuring
    return sorted(keys)


def _lookup(raw: Any, path: list[str | int]) -> Any:
    for step in path:
        try:
            raw = raw[step]
        except (KeyError, IndexError, TypeError):
            return None
    return raw


def _path_text(path: list[str | int]) -> str:
    out = ""
    for step in path:
        if isinstance(step, int):
            out += f"[{step}]"
        else:
            out += ("." if out else "") + step
    return out


def _walk(exc: BaseException, path: list[str | int], raw: Any, source: str, out: list[Finding], document: bool) -> None:
    """Turn a cattrs exception tree into findings with TOML key paths.

    ``document`` says the top-level table is a whole file, whose header keys are allowed.
    """
    here = list(path)
    # The notes are str subclasses: test their class, since ``str.index`` is a method.
    for note in getattr(exc, "__notes__", []) or []:
        if isinstance(note, AttributeValidationNote):
            here = [*path, _kebab(note.name)]
        elif isinstance(note, IterableValidationNote):
            here = [*path, note.index]
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        for sub in exc.exceptions:
            _walk(sub, here, raw, source, out, document)
        return
    where = _path_text(here)
    if isinstance(exc, ForbiddenExtraKeysError):
        allowed = ", ".join(_toml_keys(exc.cl, document and not here))
        for key in sorted(exc.extra_fields):
            out.append(
                Finding(
                    source,
                    _path_text([*here, key]),
                    f"Unknown key {key!r}; expected one of: {allowed}.",
                    code="unknown-key",
                )
            )
    elif isinstance(exc, KeyError):
        key = exc.args[0] if exc.args else "?"
        out.append(Finding(source, where, f"Required key {key!r} is missing.", code="missing-key"))
    elif isinstance(exc, _Mismatch):
        out.append(
            Finding(
                source,
                where,
                f"Found {_shown(exc.found)} ({_type_name(exc.found)}); expected {exc.expected}."
                + (
                    f' Put it in quotes: "{_shown(exc.found)}".'
                    if exc.expected == "a string" and isinstance(exc.found, (datetime.date, datetime.time))
                    else ""
                ),
                code="wrong-type",
            )
        )
    else:
        found = _lookup(raw, here)
        out.append(Finding(source, where, f"Found {_shown(found)} ({_type_name(found)}); {exc}.", code="wrong-type"))


def _fix_missing_key_paths(findings: list[Finding]) -> list[Finding]:
    """cattrs notes a missing key at the key itself; report it at its table instead."""
    fixed = []
    for f in findings:
        if f.code == "missing-key" and "." in f.path:
            parent = f.path.rsplit(".", 1)[0]
            fixed.append(attrs.evolve(f, path=parent))
        elif f.code == "missing-key":
            fixed.append(attrs.evolve(f, path=""))
        else:
            fixed.append(f)
    return fixed


def structure(raw: dict[str, Any], cl: type, source: str, *, document: bool = False) -> tuple[Any, list[Finding]]:
    """Structure a raw table into ``cl``; returns (record or None, findings).

    ``document=True`` marks ``raw`` as a whole file whose :data:`HEADER_KEYS` were already
    taken out by :func:`header`; they are then listed among the allowed keys.
    """
    try:
        return converter.structure(raw, cl), []
    except (ClassValidationError, IterableValidationError, _Mismatch) as exc:
        out: list[Finding] = []
        _walk(exc, [], raw, source, out, document)
        return None, _fix_missing_key_paths(out)


def header(raw: dict[str, Any], source: str, kinds: tuple[str, ...]) -> tuple[str, list[Finding]]:
    """Pop and check a file's ``kind`` (one of ``kinds``, default the first) and ``format-version``.

    Returns the kind (the first of ``kinds`` when the file names another) and findings.
    """
    findings: list[Finding] = []
    kind = raw.pop("kind", kinds[0])
    if kind not in kinds:
        expected = " or ".join(repr(k) for k in kinds)
        findings.append(Finding(source, "kind", f"Found {kind!r}; expected {expected}.", code="wrong-type"))
        kind = kinds[0]
    version = raw.pop("format-version", FORMAT_VERSION)
    if isinstance(version, bool) or not isinstance(version, int):
        findings.append(
            Finding(
                source,
                "format-version",
                f"Found {version!r} ({_type_name(version)}); expected the integer {FORMAT_VERSION}.",
                code="wrong-type",
            )
        )
    elif version != FORMAT_VERSION:
        findings.append(
            Finding(
                source,
                "format-version",
                f"Found {version!r}; this implassess reads format-version {FORMAT_VERSION}.",
                code="format-version",
            )
        )
    return kind, findings


def unstructure(record: Any) -> Any:
    """A record as a JSON-ready dict with kebab-case keys (the TOML shape)."""

    def conv(value: Any) -> Any:
        if attrs.has(type(value)):
            return {
                _kebab(a.name): conv(getattr(value, a.name))
                for a in attrs.fields(type(value))
                if a.name not in _NOT_IN_TOML
            }
        if isinstance(value, (list, tuple)):
            return [conv(v) for v in value]
        if isinstance(value, dict):
            return {k: conv(v) for k, v in value.items()}
        return value

    return conv(record)
