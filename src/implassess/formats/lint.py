"""Cross-field checks on a parsed instrument or battery file.

The checks read the raw TOML tables, not the records, so that they run even when a
type error elsewhere stops structuring: an author sees every problem at once. Each
check skips values of the wrong type (structuring reports those).

:func:`lint_instrument` runs one check per concern, in a fixed order, and joins their
findings; each check returns its own list.
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any

import attrs

from implassess.errors import Finding
from implassess.model import VARIABLE_RE

_CONDITION_STATISTICS_DIM = {"score", "level", "mean", "rwg-j", "alpha", "gap"}
_CONDITION_STATISTICS_KPI = {"value", "kpi-level", "rag"}
_CONDITION_STATISTICS_FACET = {"score", "level", "mean", "gap"}

#: The tables of one array, each with its index in the array.
_Indexed = list[tuple[int, dict[str, Any]]]


def _tables(raw: dict[str, Any], key: str) -> _Indexed:
    value = raw.get(key)
    if not isinstance(value, list):
        return []
    return [(i, t) for i, t in enumerate(value) if isinstance(t, dict)]


def _ids(tables: _Indexed) -> list[str]:
    return [t["id"] for _, t in tables if isinstance(t.get("id"), str)]


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _quote_list(values: Iterable[str]) -> str:
    return ", ".join(repr(v) for v in sorted(values))


def _one_of(values: frozenset[str] | set[str], none: str) -> str:
    """``expected one of: 'a', 'b'``, or ``none`` when there is nothing to choose from."""
    return f"expected one of: {_quote_list(values)}" if values else none


def _table(raw: dict[str, Any], key: str) -> dict[str, Any]:
    """The table under ``key``, or an empty one when it is missing or not a table."""
    found = raw.get(key)
    return found if isinstance(found, dict) else {}


class _Linter:
    def __init__(self, source: str):
        self.source = source
        self.findings: list[Finding] = []

    def error(self, path: str, message: str, code: str) -> None:
        self.findings.append(Finding(self.source, path, message, "error", code))

    def warn(self, path: str, message: str, code: str) -> None:
        self.findings.append(Finding(self.source, path, message, "warning", code))

    def duplicates(self, key: str, tables: _Indexed, what: str) -> None:
        first: dict[str, int] = {}
        for i, t in tables:
            ident = t.get("id")
            if not isinstance(ident, str):
                continue
            if ident in first:
                self.error(
                    f"{key}[{i}].id",
                    f"Duplicate {what} id {ident!r}; it is already used at {key}[{first[ident]}]. Ids must be unique.",
                    "duplicate-id",
                )
            else:
                first[ident] = i

    def weight(self, path: str, value: Any) -> None:
        w = _num(value)
        if w is not None and not (w > 0 and math.isfinite(w)):
            self.error(path, f"Found weight {value!r}; expected a finite number greater than 0.", "weight")

    def share(self, path: str, value: Any) -> None:
        share = _num(value)
        if share is not None and not 0 < share <= 1:
            self.error(path, f"Found {value!r}; expected a share greater than 0 and at most 1.", "share")


@attrs.frozen(kw_only=True)
class _Arrays:
    """The arrays of tables of one instrument file; a missing or wrongly typed array is empty."""

    scales: _Indexed
    """``[[scales]]``."""
    dimensions: _Indexed
    """``[[dimensions]]``."""
    items: _Indexed
    """``[[items]]``."""
    kpis: _Indexed
    """``[[kpis]]``."""
    actions: _Indexed
    """``[[actions]]``."""
    triggers: _Indexed
    """``[[triggers]]``."""
    forms: _Indexed
    """``[[forms]]``."""
    levels: _Indexed
    """``[[maturity.levels]]``."""


def _arrays(raw: dict[str, Any]) -> _Arrays:
    return _Arrays(
        scales=_tables(raw, "scales"),
        dimensions=_tables(raw, "dimensions"),
        items=_tables(raw, "items"),
        kpis=_tables(raw, "kpis"),
        actions=_tables(raw, "actions"),
        triggers=_tables(raw, "triggers"),
        forms=_tables(raw, "forms"),
        levels=_tables(_table(raw, "maturity"), "levels"),
    )


@attrs.frozen(kw_only=True)
class _Ids:
    """What an instrument file defines, for the checks of the names that refer to it."""

    scales: frozenset[str]
    """Scale ids."""
    dimensions: frozenset[str]
    """Dimension ids."""
    facets: frozenset[str]
    """Facet ids of every dimension."""
    facets_of: dict[str, frozenset[str]]
    """Dimension id → the ids of its facets."""
    kpis: frozenset[str]
    """KPI ids."""
    actions: frozenset[str]
    """Action ids."""
    forms: frozenset[str]
    """Form ids."""
    levels: frozenset[int]
    """Maturity level numbers."""
    variables: frozenset[str]
    """Names of the ``[variables]`` tables."""


def _collect_ids(raw: dict[str, Any], arrays: _Arrays) -> _Ids:
    facets_of: dict[str, set[str]] = {}
    for _, d in arrays.dimensions:
        if isinstance(d.get("id"), str):
            facets_of.setdefault(d["id"], set()).update(_ids(_tables(d, "facets")))
    return _Ids(
        scales=frozenset(_ids(arrays.scales)),
        dimensions=frozenset(_ids(arrays.dimensions)),
        facets=frozenset(fid for _, d in arrays.dimensions for fid in _ids(_tables(d, "facets"))),
        facets_of={did: frozenset(fids) for did, fids in facets_of.items()},
        kpis=frozenset(_ids(arrays.kpis)),
        actions=frozenset(_ids(arrays.actions)),
        forms=frozenset(_ids(arrays.forms)),
        levels=frozenset(t["level"] for _, t in arrays.levels if isinstance(t.get("level"), int)),
        variables=frozenset(_table(raw, "variables")),
    )


#: An instrument or battery id: it names the instrument's folder in a run's output folder, so
#: it must be a plain file name on every platform (no '/', '\\', leading '.', spaces or capitals).
SAFE_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
#: Names Windows reserves for devices, whatever the extension (``con``, ``nul.txt`` …).
_WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul"} | {f"{d}{n}" for d in ("com", "lpt") for n in range(1, 10)})


def safe_id_problem(ident: str) -> str | None:
    """Why ``ident`` cannot name an output folder, as the end of a "Found …; expected …" sentence; None if it can."""
    if not SAFE_ID_RE.match(ident):
        return (
            "expected 1 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit "
            "(the id names the instrument's folder in the output, so it cannot be a path)"
        )
    if ident.endswith("."):
        return "expected an id that does not end with '.' (Windows drops a final '.' from folder names)"
    if ident.split(".")[0] in _WINDOWS_DEVICES:
        return f"expected an id other than {ident.split('.')[0]!r}, a name Windows reserves for a device"
    return None


def _check_id(source: str, raw: dict[str, Any], path: str = "id") -> list[Finding]:
    ident = raw.get("id")
    if not isinstance(ident, str):
        return []
    problem = safe_id_problem(ident)
    if problem is None:
        return []
    return [Finding(source, path, f"Found {ident!r}; {problem}.", code="unsafe-id")]


def lint_instrument(raw: dict[str, Any], source: str) -> list[Finding]:
    """Every cross-field problem in an instrument file."""
    arrays = _arrays(raw)
    ids = _collect_ids(raw, arrays)
    return [
        *_check_id(source, raw),
        *_check_unique_ids(source, arrays),
        *_check_unique_facets(source, arrays.dimensions),
        *_check_scales(source, arrays.scales),
        *_check_has_scale(source, raw, arrays.items),
        *_check_items(source, arrays, ids),
        *_check_unused_variables(source, arrays.items, ids.variables),
        *_check_kpis(source, arrays.kpis, ids, len(arrays.levels)),
        *_check_dimensions(source, arrays, ids),
        *_check_scoring(source, raw),
        *_check_levels(source, arrays.levels),
        *_check_triggers(source, arrays.triggers, ids),
    ]


def _check_unique_ids(source: str, arrays: _Arrays) -> list[Finding]:
    lt = _Linter(source)
    for key, tables, what in [
        ("scales", arrays.scales, "scale"),
        ("dimensions", arrays.dimensions, "dimension"),
        ("items", arrays.items, "item"),
        ("kpis", arrays.kpis, "KPI"),
        ("actions", arrays.actions, "action"),
        ("triggers", arrays.triggers, "trigger"),
        ("forms", arrays.forms, "form"),
    ]:
        lt.duplicates(key, tables, what)
    return lt.findings


def _check_unique_facets(source: str, dims: _Indexed) -> list[Finding]:
    """Facet ids are unique across the instrument, so an item's facet is unambiguous."""
    lt = _Linter(source)
    seen: dict[str, str] = {}
    for i, d in dims:
        for j, f in _tables(d, "facets"):
            fid = f.get("id")
            if not isinstance(fid, str):
                continue
            if fid in seen:
                lt.error(
                    f"dimensions[{i}].facets[{j}].id",
                    f"Duplicate facet id {fid!r}; it is already used at {seen[fid]}. Ids must be unique.",
                    "duplicate-id",
                )
            else:
                seen[fid] = f"dimensions[{i}].facets[{j}]"
    return lt.findings


def _scale_has_range(scale: dict[str, Any]) -> bool:
    subst = [o for _, o in _tables(scale, "options") if o.get("non-substantive") is not True]
    return bool(subst) and all(_num(o.get("value")) is not None for o in subst)


def _check_scales(source: str, scales: _Indexed) -> list[Finding]:
    lt = _Linter(source)
    for i, s in scales:
        sid = s.get("id", f"#{i}")
        options = _tables(s, "options")
        _scale_labels(lt, i, sid, options)
        _scale_monotonic(lt, i, sid, options)
        n_substantive = sum(1 for _, o in options if o.get("non-substantive") is not True)
        listed = s.get("options")
        # Only when every option is a table: otherwise structuring has reported the array already.
        if isinstance(listed, list) and len(options) == len(listed) and n_substantive < 2:
            lt.error(
                f"scales[{i}].options",
                f"Scale {sid!r} has {n_substantive} substantive option(s); expected at least two "
                '(non-substantive options such as "Don\'t know" do not count).',
                "no-substantive",
            )
    return lt.findings


def _scale_labels(lt: _Linter, i: int, sid: Any, options: _Indexed) -> None:
    labels: dict[str, int] = {}
    for j, o in options:
        label = o.get("label")
        if not isinstance(label, str):
            continue
        key = label.strip().casefold()
        if key in labels:
            lt.error(
                f"scales[{i}].options[{j}].label",
                f"Duplicate option label {label!r} in scale {sid!r}; it is already used at options[{labels[key]}].",
                "duplicate-label",
            )
        labels.setdefault(key, j)


def _scale_monotonic(lt: _Linter, i: int, sid: Any, options: _Indexed) -> None:
    """Substantive option values, where numeric, run one way in the order they are listed."""
    nums = [n for _, o in options if o.get("non-substantive") is not True and (n := _num(o.get("value"))) is not None]
    if len(nums) < 2:
        return
    increasing = all(a < b for a, b in itertools.pairwise(nums))
    decreasing = all(a > b for a, b in itertools.pairwise(nums))
    if not (increasing or decreasing):
        shown = ", ".join(f"{v:g}" for v in nums)
        lt.error(
            f"scales[{i}].options",
            f"Option values of scale {sid!r} are {shown} in option order; "
            "expected them strictly increasing (or strictly decreasing) in the order the options are listed.",
            "not-monotonic",
        )


def _check_has_scale(source: str, raw: dict[str, Any], items: _Indexed) -> list[Finding]:
    lt = _Linter(source)
    # A wrongly typed [[scales]] is already a type error; only a missing or empty array is this one.
    if items and raw.get("scales", []) == []:
        lt.error(
            "scales",
            "The instrument has items but no response scale; expected at least one [[scales]] table.",
            "no-scale",
        )
    return lt.findings


def _check_items(source: str, arrays: _Arrays, ids: _Ids) -> list[Finding]:
    lt = _Linter(source)
    reversible = frozenset(t["id"] for _, t in arrays.scales if isinstance(t.get("id"), str) and _scale_has_range(t))
    scale_ids = _ids(arrays.scales)
    default_scale = scale_ids[0] if scale_ids else None
    for i, it in arrays.items:
        iid = it.get("id", f"#{i}")
        _item_dimension(lt, i, iid, it, ids)
        _item_scale(lt, i, iid, it, it.get("scale", default_scale), ids.scales, reversible)
        lt.weight(f"items[{i}].weight", it.get("weight"))
        for form in _table(it, "forms"):
            if form not in ids.forms:
                lt.error(
                    f"items[{i}].forms.{form}",
                    f"Item {iid!r} has text for form {form!r}, which is not defined; "
                    f"{_one_of(ids.forms, 'the file defines no [[forms]]')}.",
                    "unknown-form",
                )
        _item_variables(lt, i, iid, it, ids.variables)
    return lt.findings


def _item_dimension(lt: _Linter, i: int, iid: Any, it: dict[str, Any], ids: _Ids) -> None:
    dim = it.get("dimension")
    if not isinstance(dim, str):
        return
    if dim not in ids.dimensions:
        lt.error(
            f"items[{i}].dimension",
            f"Item {iid!r} names dimension {dim!r}, which is not defined; "
            f"{_one_of(ids.dimensions, 'the file defines no dimensions')}.",
            "unknown-dimension",
        )
    facet = it.get("facet")
    facets = ids.facets_of.get(dim, frozenset())
    if isinstance(facet, str) and dim in ids.dimensions and facet not in facets:
        lt.error(
            f"items[{i}].facet",
            f"Item {iid!r} names facet {facet!r}, which dimension {dim!r} does not have; "
            f"{_one_of(facets, 'the dimension has no facets')}.",
            "unknown-facet",
        )


def _item_scale(
    lt: _Linter, i: int, iid: Any, it: dict[str, Any], scale: Any, scale_ids: frozenset[str], reversible: frozenset[str]
) -> None:
    if isinstance(scale, str) and scale_ids and scale not in scale_ids:
        lt.error(
            f"items[{i}].scale",
            f"Item {iid!r} names scale {scale!r}, which is not defined; "
            f"{_one_of(scale_ids, 'the file defines no scales')}.",
            "unknown-scale",
        )
    elif it.get("reverse") is True and isinstance(scale, str) and scale in scale_ids and scale not in reversible:
        lt.error(
            f"items[{i}].reverse",
            f"Item {iid!r} is reverse-keyed but scale {scale!r} has no numeric range; "
            "reverse keying needs every substantive option to have a numeric value.",
            "reverse-without-range",
        )


def _item_texts(it: dict[str, Any]) -> list[tuple[str, Any]]:
    """An item's texts as (key path below the item, value): ``text``, then ``forms.<form>`` for each form."""
    return [("text", it.get("text")), *((f"forms.{form}", text) for form, text in _table(it, "forms").items())]


def _item_variables(lt: _Linter, i: int, iid: Any, it: dict[str, Any], variables: frozenset[str]) -> None:
    for where, text in _item_texts(it):
        if not isinstance(text, str):
            continue
        for name in VARIABLE_RE.findall(text):
            if name not in variables:
                lt.error(
                    f"items[{i}].{where}",
                    f"Item {iid!r} uses variable {{{name}}}, which is not defined; "
                    f"{_one_of(variables, 'the file defines no variables')}. "
                    f"Define it in a [variables.{name}] table or correct the spelling.",
                    "undefined-variable",
                )


def _check_unused_variables(source: str, items: _Indexed, variables: frozenset[str]) -> list[Finding]:
    lt = _Linter(source)
    used = {
        name
        for _, it in items
        for _, text in _item_texts(it)
        if isinstance(text, str)
        for name in VARIABLE_RE.findall(text)
    }
    for name in sorted(variables - used):
        lt.warn(f"variables.{name}", f"Variable {name!r} is defined but no item uses it.", "unused-variable")
    return lt.findings


def _check_kpis(source: str, kpis: _Indexed, ids: _Ids, n_levels: int) -> list[Finding]:
    lt = _Linter(source)
    for i, k in kpis:
        kid = k.get("id", f"#{i}")
        dim = k.get("dimension")
        if isinstance(dim, str) and dim not in ids.dimensions:
            lt.error(
                f"kpis[{i}].dimension",
                f"KPI {kid!r} names dimension {dim!r}, which is not defined; "
                f"{_one_of(ids.dimensions, 'the file defines no dimensions')}.",
                "unknown-dimension",
            )
        _kpi_thresholds(lt, i, kid, k, n_levels)
    return lt.findings


def _kpi_thresholds(lt: _Linter, i: int, kid: Any, k: dict[str, Any], n_levels: int) -> None:
    thresholds = k.get("thresholds")
    if not isinstance(thresholds, list):
        return
    nums = [n for t in thresholds if (n := _num(t)) is not None]
    if len(nums) != len(thresholds):
        return
    if any(a >= b for a, b in itertools.pairwise(nums)):
        lt.error(
            f"kpis[{i}].thresholds",
            f"KPI {kid!r} thresholds {thresholds} are not ascending; "
            "expected strictly ascending values (direction says which end is better).",
            "thresholds",
        )
    if n_levels and len(nums) != n_levels - 1:
        lt.error(
            f"kpis[{i}].thresholds",
            f"KPI {kid!r} has {len(nums)} thresholds; "
            f"expected {n_levels - 1} (one fewer than the {n_levels} maturity levels).",
            "thresholds",
        )


def _per_dimension(tables: _Indexed, dimensions: frozenset[str]) -> Counter[str]:
    """How many of ``tables`` name each defined dimension in their ``dimension`` key."""
    return Counter(dim for _, t in tables if isinstance(dim := t.get("dimension"), str) and dim in dimensions)


def _check_dimensions(source: str, arrays: _Arrays, ids: _Ids) -> list[Finding]:
    lt = _Linter(source)
    n_items = _per_dimension(arrays.items, ids.dimensions)
    n_reversed = _per_dimension([(i, t) for i, t in arrays.items if t.get("reverse") is True], ids.dimensions)
    n_kpis = _per_dimension(arrays.kpis, ids.dimensions)
    for i, d in arrays.dimensions:
        did = d.get("id")
        lt.weight(f"dimensions[{i}].weight", d.get("weight"))
        if isinstance(did, str) and n_items[did] == 0 and n_kpis[did] == 0:
            lt.error(
                f"dimensions[{i}]",
                f"Dimension {did!r} has no items and no KPIs; expected at least one item or KPI naming it.",
                "empty-dimension",
            )
        if isinstance(did, str) and n_items[did] and n_reversed[did] * 2 > n_items[did]:
            lt.warn(
                f"dimensions[{i}]",
                f"Dimension {did!r} has {n_reversed[did]} of {n_items[did]} items reverse-keyed; "
                "more than half makes the scale hard to answer and to read.",
                "many-reversed",
            )
        lt.share(f"dimensions[{i}].min-answered", d.get("min-answered"))
        _dimension_levels(lt, i, d, ids)
    return lt.findings


def _dimension_levels(lt: _Linter, i: int, d: dict[str, Any], ids: _Ids) -> None:
    """A dimension's ``[[dimensions.levels]]`` name maturity levels and actions that exist."""
    for j, lv in _tables(d, "levels"):
        n = lv.get("level")
        if isinstance(n, int) and ids.levels and n not in ids.levels:
            lt.error(
                f"dimensions[{i}].levels[{j}].level",
                f"Found level {n}; expected one of the maturity levels {sorted(ids.levels)}.",
                "unknown-level",
            )
        acts = lv.get("actions")
        for ai, a in enumerate(acts if isinstance(acts, list) else []):
            if isinstance(a, str) and a not in ids.actions:
                lt.error(
                    f"dimensions[{i}].levels[{j}].actions[{ai}]",
                    f"Action {a!r} is not defined; {_one_of(ids.actions, 'the file defines no actions')}.",
                    "unknown-action",
                )


def _check_scoring(source: str, raw: dict[str, Any]) -> list[Finding]:
    lt = _Linter(source)
    lt.share("scoring.min-answered", _table(raw, "scoring").get("min-answered"))
    return lt.findings


def _check_levels(source: str, levels: _Indexed) -> list[Finding]:
    lt = _Linter(source)
    numbers = [lv.get("level") for _, lv in levels]
    if levels and all(isinstance(n, int) for n in numbers):
        expected = list(range(1, len(levels) + 1))
        if numbers != expected:
            lt.error(
                "maturity.levels",
                f"Levels are numbered {numbers}; expected {expected} (consecutive, lowest first).",
                "level-numbers",
            )
    _band_coverage(lt, _bands(lt, levels))
    return lt.findings


def _bands(lt: _Linter, levels: _Indexed) -> list[tuple[int, float, float]]:
    """Each level's (index, min, max), each checked for min < max; none when a level lacks a numeric bound."""
    bands = []
    for i, lv in levels:
        lo, hi = _num(lv.get("min")), _num(lv.get("max"))
        if lo is None or hi is None:
            return []
        if lo >= hi:
            lt.error(f"maturity.levels[{i}]", f"Band min {lo:g} is not below max {hi:g}; expected min < max.", "band")
        bands.append((i, lo, hi))
    return bands


def _band_coverage(lt: _Linter, bands: list[tuple[int, float, float]]) -> None:
    """The bands run from 0 to 100, each starting where the previous one ends."""
    if not bands:
        return
    if bands[0][1] != 0:
        lt.error(
            f"maturity.levels[{bands[0][0]}].min", f"The lowest band starts at {bands[0][1]:g}; expected 0.", "band-gap"
        )
    if bands[-1][2] != 100:
        lt.error(
            f"maturity.levels[{bands[-1][0]}].max",
            f"The highest band ends at {bands[-1][2]:g}; expected 100.",
            "band-gap",
        )
    for (i, _, hi), (j, lo, _) in itertools.pairwise(bands):
        if lo > hi:
            lt.error(
                f"maturity.levels[{j}].min",
                f"Gap between bands: level at maturity.levels[{i}] ends at {hi:g} but the next starts at {lo:g}; "
                "expected each band to start where the previous one ends.",
                "band-gap",
            )
        elif lo < hi:
            lt.error(
                f"maturity.levels[{j}].min",
                f"Bands overlap: level at maturity.levels[{i}] ends at {hi:g} but the next starts at {lo:g}; "
                "expected each band to start where the previous one ends.",
                "band-overlap",
            )


def _check_triggers(source: str, triggers: _Indexed, ids: _Ids) -> list[Finding]:
    lt = _Linter(source)
    for i, t in triggers:
        tid = t.get("id", f"#{i}")
        action = t.get("action")
        if isinstance(action, str) and action not in ids.actions:
            lt.error(
                f"triggers[{i}].action",
                f"Trigger {tid!r} names action {action!r}, which is not defined; "
                f"{_one_of(ids.actions, 'the file defines no actions')}.",
                "unknown-action",
            )
        when = t.get("when")
        if not isinstance(when, dict):
            continue
        if sum(when.get(key) is not None for key in ("dimension", "kpi", "facet")) != 1:
            lt.error(
                f"triggers[{i}].when",
                f"Trigger {tid!r} must name exactly one of 'dimension', 'facet' or 'kpi'.",
                "trigger-target",
            )
        _trigger_facet(lt, i, tid, when, ids.facets)
        _trigger_target(lt, i, tid, when, ids)
        _trigger_statistic(lt, i, when)
    return lt.findings


def _trigger_facet(lt: _Linter, i: int, tid: Any, when: dict[str, Any], facet_ids: frozenset[str]) -> None:
    facet, stat = when.get("facet"), when.get("statistic")
    if not isinstance(facet, str):
        return
    if facet not in facet_ids:
        lt.error(
            f"triggers[{i}].when.facet",
            f"Trigger {tid!r} names facet {facet!r}, which is not defined; "
            f"{_one_of(facet_ids, 'the file defines no facets')}.",
            "unknown-facet",
        )
    if isinstance(stat, str) and stat not in _CONDITION_STATISTICS_FACET:
        lt.error(
            f"triggers[{i}].when.statistic",
            f"Statistic {stat!r} does not apply to facets; "
            f"expected one of: {_quote_list(_CONDITION_STATISTICS_FACET)}.",
            "statistic",
        )


def _trigger_target(lt: _Linter, i: int, tid: Any, when: dict[str, Any], ids: _Ids) -> None:
    """The dimension or KPI a trigger watches exists."""
    dim, kpi = when.get("dimension"), when.get("kpi")
    if isinstance(dim, str) and dim not in ids.dimensions:
        lt.error(
            f"triggers[{i}].when.dimension",
            f"Trigger {tid!r} names dimension {dim!r}, which is not defined; "
            f"{_one_of(ids.dimensions, 'the file defines no dimensions')}.",
            "unknown-dimension",
        )
    if isinstance(kpi, str) and kpi not in ids.kpis:
        lt.error(
            f"triggers[{i}].when.kpi",
            f"Trigger {tid!r} names KPI {kpi!r}, which is not defined; "
            f"{_one_of(ids.kpis, 'the file defines no KPIs')}.",
            "unknown-kpi",
        )


def _trigger_statistic(lt: _Linter, i: int, when: dict[str, Any]) -> None:
    """A dimension's statistic is not a KPI's and the other way round."""
    dim, kpi, stat = when.get("dimension"), when.get("kpi"), when.get("statistic")
    if not isinstance(stat, str):
        return
    if isinstance(dim, str) and stat in _CONDITION_STATISTICS_KPI:
        lt.error(
            f"triggers[{i}].when.statistic",
            f"Statistic {stat!r} applies to KPIs; for a dimension expected one of: "
            f"{_quote_list(_CONDITION_STATISTICS_DIM)}.",
            "statistic",
        )
    if isinstance(kpi, str) and stat in _CONDITION_STATISTICS_DIM:
        lt.error(
            f"triggers[{i}].when.statistic",
            f"Statistic {stat!r} applies to dimensions; for a KPI expected one of: "
            f"{_quote_list(_CONDITION_STATISTICS_KPI)}.",
            "statistic",
        )


def lint_battery(raw: dict[str, Any], source: str, known: set[str] | None = None) -> list[Finding]:
    """Every cross-field problem in a battery file; ``known`` instrument ids if available."""
    lt = _Linter(source)
    lt.findings += _check_id(source, raw)
    members = _tables(raw, "instruments")
    seen: dict[str, int] = {}
    for i, m in members:
        mid = m.get("id")
        lt.findings += _check_id(source, m, f"instruments[{i}].id")
        if isinstance(mid, str):
            if mid in seen:
                lt.error(
                    f"instruments[{i}].id",
                    f"Instrument {mid!r} is listed twice; it is already at instruments[{seen[mid]}].",
                    "duplicate-id",
                )
            seen.setdefault(mid, i)
            if known is not None and mid not in known:
                lt.error(
                    f"instruments[{i}].id",
                    f"Instrument {mid!r} is neither loaded nor among the files checked; "
                    f"{_one_of(known, 'no instruments are available')}.",
                    "unknown-instrument",
                )
        lt.weight(f"instruments[{i}].weight", m.get("weight"))
    if isinstance(raw.get("instruments"), list) and not members:
        lt.error(
            "instruments",
            "The battery lists no instruments; expected at least one [[instruments]] table.",
            "empty-battery",
        )
    return lt.findings
