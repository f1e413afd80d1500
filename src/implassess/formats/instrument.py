"""Instrument format v1: TOML → dict → cattrs converter → records, then cross-field lint.

The converter forbids unknown keys, maps kebab-case keys to attribute names and is
strict about types (a string is never silently turned into a number). Structuring
problems and lint findings are collected together so a file's author sees every
problem at once.
"""

from __future__ import annotations

import datetime
import sys
import types
import typing
from pathlib import Path
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

from implassess.errors import Finding, InstrumentError
from implassess.formats import lint
from implassess.model import Battery, Instrument

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

#: The format version this module reads.
FORMAT_VERSION = 1

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
    # Set __notes__ directly (not add_note) so Python 3.10 behaves the same.
    exc.__notes__ = [*getattr(exc, "__notes__", []), IterableValidationNote(f"index {index!r}", index, tp)]
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
        fields = make_dict_structure_fn(cl, conv, _cattrs_forbid_extra_keys=True, **overrides)

        def structure(value: Any, _: type) -> Any:
            if not isinstance(value, dict):
                raise _Mismatch(value, "a table")
            return fields(value, cl)

        return structure

    conv.register_structure_hook_factory(attrs.has, tables)
    return conv


converter = _make_converter()


def _toml_keys(cl: type) -> list[str]:
    keys = {_kebab(a.name) for a in attrs.fields(cl) if a.name not in _NOT_IN_TOML}
    if cl in (Instrument, Battery):
        keys |= {"format-version", "kind"}  # read by _header before structuring
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


def _walk(exc: BaseException, path: list[str | int], raw: Any, source: str, out: list[Finding]) -> None:
    """Turn a cattrs exception tree into findings with TOML key paths."""
    here = list(path)
    # The notes are str subclasses: test their class, since ``str.index`` is a method.
    for note in getattr(exc, "__notes__", []) or []:
        if isinstance(note, AttributeValidationNote):
            here = [*path, _kebab(note.name)]
        elif isinstance(note, IterableValidationNote):
            here = [*path, note.index]
    if isinstance(exc, (ClassValidationError, IterableValidationError)):
        for sub in exc.exceptions:
            _walk(sub, here, raw, source, out)
        return
    where = _path_text(here)
    if isinstance(exc, ForbiddenExtraKeysError):
        allowed = ", ".join(_toml_keys(exc.cl))
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


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """Parse TOML text, turning a syntax error into an :class:`InstrumentError`."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InstrumentError([Finding(source, "", f"Not valid TOML: {exc}.", code="toml-syntax")]) from None
    except RecursionError:
        raise InstrumentError(
            [
                Finding(
                    source,
                    "",
                    "The TOML is nested too deeply to read; expected at most a few levels.",
                    code="toml-syntax",
                )
            ]
        ) from None


def read_toml(path: Path) -> dict[str, Any]:
    """Read and parse a TOML file; every failure is an :class:`InstrumentError`."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InstrumentError([Finding(source, "", f"Cannot read the file: {exc.strerror}.", code="io")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise InstrumentError(
            [
                Finding(
                    source,
                    "",
                    f"Not UTF-8 text: byte {data[exc.start]:#04x} at line {line}, column {column} (byte offset "
                    f"{exc.start}); expected a UTF-8 TOML file. Save the file as UTF-8.",
                    code="encoding",
                )
            ]
        ) from None
    return parse_toml(text, source)


def structure(raw: dict[str, Any], cl: type, source: str) -> tuple[Any, list[Finding]]:
    """Structure a raw table into ``cl``; returns (record or None, findings)."""
    try:
        return converter.structure(raw, cl), []
    except (ClassValidationError, IterableValidationError, _Mismatch) as exc:
        out: list[Finding] = []
        _walk(exc, [], raw, source, out)
        return None, _fix_missing_key_paths(out)


def _header(raw: dict[str, Any], source: str) -> tuple[str, list[Finding]]:
    """Pop and check ``kind`` and ``format-version``."""
    findings: list[Finding] = []
    kind = raw.pop("kind", "instrument")
    if kind not in ("instrument", "battery"):
        findings.append(
            Finding(source, "kind", f"Found {kind!r}; expected 'instrument' or 'battery'.", code="wrong-type")
        )
        kind = "instrument"
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


def check_raw(raw: dict[str, Any], source: str) -> tuple[Instrument | Battery | None, list[Finding]]:
    """Structure and lint a parsed file; returns the record (None if invalid) and findings."""
    raw = dict(raw)
    kind, findings = _header(raw, source)
    cl: type = Battery if kind == "battery" else Instrument
    record, problems = structure(raw, cl, source)
    findings += problems
    if kind == "battery":
        findings += lint.lint_battery(raw, source)
    else:
        findings += lint.lint_instrument(raw, source)
    findings = _dedupe(findings)
    if record is not None:
        record = attrs.evolve(record, source=source)
    if any(f.severity == "error" for f in findings):
        return None, findings
    return record, findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str]] = set()
    out = []
    for f in findings:
        key = (f.path, f.message)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def check_file(path: Path) -> tuple[Instrument | Battery | None, list[Finding]]:
    """Read, structure and lint one file."""
    try:
        raw = read_toml(path)
    except InstrumentError as exc:
        return None, exc.findings
    return check_raw(raw, str(path))


def load_file(path: Path) -> Instrument | Battery:
    """Load a valid instrument or battery, raising :class:`InstrumentError` otherwise."""
    record, findings = check_file(path)
    if record is None:
        raise InstrumentError([f for f in findings if f.severity == "error"])
    return record


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
