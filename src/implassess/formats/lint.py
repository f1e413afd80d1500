"""Cross-field checks on a parsed instrument or battery file.

The checks read the raw TOML tables, not the records, so that they run even when a
type error elsewhere stops structuring: an author sees every problem at once. Each
check skips values of the wrong type (structuring reports those).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from typing import Any

from implassess.errors import Finding
from implassess.model import VARIABLE_RE

_CONDITION_STATISTICS_DIM = {"score", "level", "mean", "rwg-j", "alpha", "gap"}
_CONDITION_STATISTICS_KPI = {"value", "kpi-level", "rag"}
_CONDITION_STATISTICS_FACET = {"score", "level", "mean", "gap"}


def _tables(raw: dict[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    value = raw.get(key)
    if not isinstance(value, list):
        return []
    return [(i, t) for i, t in enumerate(value) if isinstance(t, dict)]


def _ids(tables: list[tuple[int, dict[str, Any]]]) -> list[str]:
    return [t["id"] for _, t in tables if isinstance(t.get("id"), str)]


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _quote_list(values: list[str] | set[str]) -> str:
    return ", ".join(repr(v) for v in sorted(values))


def _one_of(values: list[str] | set[str], none: str) -> str:
    """``expected one of: 'a', 'b'``, or ``none`` when there is nothing to choose from."""
    return f"expected one of: {_quote_list(values)}" if values else none


class _Linter:
    def __init__(self, source: str):
        self.source = source
        self.findings: list[Finding] = []

    def error(self, path: str, message: str, code: str) -> None:
        self.findings.append(Finding(self.source, path, message, "error", code))

    def warn(self, path: str, message: str, code: str) -> None:
        self.findings.append(Finding(self.source, path, message, "warning", code))

    def duplicates(self, key: str, tables: list[tuple[int, dict[str, Any]]], what: str) -> None:
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


def lint_instrument(raw: dict[str, Any], source: str) -> list[Finding]:
    """Every cross-field problem in an instrument file."""
    lt = _Linter(source)
    scales = _tables(raw, "scales")
    dims = _tables(raw, "dimensions")
    items = _tables(raw, "items")
    kpis = _tables(raw, "kpis")
    actions = _tables(raw, "actions")
    triggers = _tables(raw, "triggers")
    forms = _tables(raw, "forms")
    maturity = raw.get("maturity") if isinstance(raw.get("maturity"), dict) else {}
    levels = _tables(maturity, "levels")

    for key, tables, what in [
        ("scales", scales, "scale"),
        ("dimensions", dims, "dimension"),
        ("items", items, "item"),
        ("kpis", kpis, "KPI"),
        ("actions", actions, "action"),
        ("triggers", triggers, "trigger"),
        ("forms", forms, "form"),
    ]:
        lt.duplicates(key, tables, what)

    scale_ids = set(_ids(scales))
    dim_ids = set(_ids(dims))
    kpi_ids = set(_ids(kpis))
    action_ids = set(_ids(actions))
    form_ids = set(_ids(forms))
    level_numbers = {t["level"] for _, t in levels if isinstance(t.get("level"), int)}

    # Facets: unique across the instrument, so an item's facet is unambiguous.
    facets_of: dict[str, set[str]] = {}
    facet_seen: dict[str, str] = {}
    for i, d in dims:
        for j, f in _tables(d, "facets"):
            fid = f.get("id")
            if not isinstance(fid, str):
                continue
            if fid in facet_seen:
                lt.error(
                    f"dimensions[{i}].facets[{j}].id",
                    f"Duplicate facet id {fid!r}; it is already used at {facet_seen[fid]}. Ids must be unique.",
                    "duplicate-id",
                )
            else:
                facet_seen[fid] = f"dimensions[{i}].facets[{j}]"
            if isinstance(d.get("id"), str):
                facets_of.setdefault(d["id"], set()).add(fid)

    _lint_scales(lt, scales)
    reversible = {t["id"] for _, t in scales if isinstance(t.get("id"), str) and _scale_has_range(t)}
    default_scale = _ids(scales)[0] if _ids(scales) else None

    # A wrongly typed [[scales]] is already a type error; only a missing or empty array is this one.
    if items and raw.get("scales", []) == []:
        lt.error(
            "scales",
            "The instrument has items but no response scale; expected at least one [[scales]] table.",
            "no-scale",
        )

    variables = raw.get("variables") if isinstance(raw.get("variables"), dict) else {}
    used_vars: set[str] = set()
    items_per_dim: Counter[str] = Counter()
    reverse_per_dim: Counter[str] = Counter()
    for i, it in items:
        iid = it.get("id", f"#{i}")
        dim = it.get("dimension")
        if isinstance(dim, str):
            if dim not in dim_ids:
                lt.error(
                    f"items[{i}].dimension",
                    f"Item {iid!r} names dimension {dim!r}, which is not defined; "
                    f"{_one_of(dim_ids, 'the file defines no dimensions')}.",
                    "unknown-dimension",
                )
            else:
                items_per_dim[dim] += 1
                if it.get("reverse") is True:
                    reverse_per_dim[dim] += 1
            facet = it.get("facet")
            if isinstance(facet, str) and dim in dim_ids and facet not in facets_of.get(dim, set()):
                lt.error(
                    f"items[{i}].facet",
                    f"Item {iid!r} names facet {facet!r}, which dimension {dim!r} does not have; "
                    f"{_one_of(facets_of.get(dim, set()), 'the dimension has no facets')}.",
                    "unknown-facet",
                )
        scale = it.get("scale", default_scale)
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
        lt.weight(f"items[{i}].weight", it.get("weight"))
        texts = [("text", it.get("text"))]
        item_forms = it.get("forms") if isinstance(it.get("forms"), dict) else {}
        for form, text in item_forms.items():
            texts.append((f"forms.{form}", text))
            if form not in form_ids:
                lt.error(
                    f"items[{i}].forms.{form}",
                    f"Item {iid!r} has text for form {form!r}, which is not defined; "
                    f"{_one_of(form_ids, 'the file defines no [[forms]]')}.",
                    "unknown-form",
                )
        for where, text in texts:
            if not isinstance(text, str):
                continue
            for name in VARIABLE_RE.findall(text):
                used_vars.add(name)
                if name not in variables:
                    lt.error(
                        f"items[{i}].{where}",
                        f"Item {iid!r} uses variable {{{name}}}, which is not defined; "
                        f"{_one_of(set(variables), 'the file defines no variables')}. "
                        f"Define it in a [variables.{name}] table or correct the spelling.",
                        "undefined-variable",
                    )
    for name in sorted(set(variables) - used_vars):
        lt.warn(f"variables.{name}", f"Variable {name!r} is defined but no item uses it.", "unused-variable")

    kpi_dims: Counter[str] = Counter()
    for i, k in kpis:
        kid = k.get("id", f"#{i}")
        dim = k.get("dimension")
        if isinstance(dim, str):
            if dim not in dim_ids:
                lt.error(
                    f"kpis[{i}].dimension",
                    f"KPI {kid!r} names dimension {dim!r}, which is not defined; "
                    f"{_one_of(dim_ids, 'the file defines no dimensions')}.",
                    "unknown-dimension",
                )
            else:
                kpi_dims[dim] += 1
        _lint_kpi(lt, i, kid, k, len(levels))

    for i, d in dims:
        did = d.get("id")
        lt.weight(f"dimensions[{i}].weight", d.get("weight"))
        if isinstance(did, str) and items_per_dim[did] == 0 and kpi_dims[did] == 0:
            lt.error(
                f"dimensions[{i}]",
                f"Dimension {did!r} has no items and no KPIs; expected at least one item or KPI naming it.",
                "empty-dimension",
            )
        if isinstance(did, str) and items_per_dim[did] and reverse_per_dim[did] * 2 > items_per_dim[did]:
            lt.warn(
                f"dimensions[{i}]",
                f"Dimension {did!r} has {reverse_per_dim[did]} of {items_per_dim[did]} items reverse-keyed; "
                "more than half makes the scale hard to answer and to read.",
                "many-reversed",
            )
        share = _num(d.get("min-answered"))
        if share is not None and not 0 < share <= 1:
            lt.error(
                f"dimensions[{i}].min-answered",
                f"Found {d.get('min-answered')!r}; expected a share greater than 0 and at most 1.",
                "share",
            )
        for j, lv in _tables(d, "levels"):
            n = lv.get("level")
            if isinstance(n, int) and level_numbers and n not in level_numbers:
                lt.error(
                    f"dimensions[{i}].levels[{j}].level",
                    f"Found level {n}; expected one of the maturity levels {sorted(level_numbers)}.",
                    "unknown-level",
                )
            acts = lv.get("actions")
            for k, a in enumerate(acts if isinstance(acts, list) else []):
                if isinstance(a, str) and a not in action_ids:
                    lt.error(
                        f"dimensions[{i}].levels[{j}].actions[{k}]",
                        f"Action {a!r} is not defined; {_one_of(action_ids, 'the file defines no actions')}.",
                        "unknown-action",
                    )

    scoring = raw.get("scoring") if isinstance(raw.get("scoring"), dict) else {}
    share = _num(scoring.get("min-answered"))
    if share is not None and not 0 < share <= 1:
        lt.error(
            "scoring.min-answered",
            f"Found {scoring.get('min-answered')!r}; expected a share greater than 0 and at most 1.",
            "share",
        )

    _lint_levels(lt, levels)
    _lint_triggers(lt, triggers, dim_ids, kpi_ids, action_ids, set(facet_seen))
    return lt.findings


def _scale_has_range(scale: dict[str, Any]) -> bool:
    subst = [o for _, o in _tables(scale, "options") if o.get("non-substantive") is not True]
    return bool(subst) and all(_num(o.get("value")) is not None for o in subst)


def _lint_scales(lt: _Linter, scales: list[tuple[int, dict[str, Any]]]) -> None:
    for i, s in scales:
        sid = s.get("id", f"#{i}")
        options = _tables(s, "options")
        labels: dict[str, int] = {}
        for j, o in options:
            label = o.get("label")
            if isinstance(label, str):
                key = label.strip().casefold()
                if key in labels:
                    lt.error(
                        f"scales[{i}].options[{j}].label",
                        f"Duplicate option label {label!r} in scale {sid!r}; "
                        f"it is already used at options[{labels[key]}].",
                        "duplicate-label",
                    )
                labels.setdefault(key, j)
            if o.get("non-substantive") is not True and "value" not in o:
                pass  # nominal option; reverse keying on this scale is reported per item
        values = [
            (j, _num(o.get("value")))
            for j, o in options
            if o.get("non-substantive") is not True and _num(o.get("value")) is not None
        ]
        if len(values) >= 2:
            nums = [v for _, v in values]
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


def _lint_levels(lt: _Linter, levels: list[tuple[int, dict[str, Any]]]) -> None:
    numbers = [lv.get("level") for _, lv in levels]
    if levels and all(isinstance(n, int) for n in numbers):
        expected = list(range(1, len(levels) + 1))
        if numbers != expected:
            lt.error(
                "maturity.levels",
                f"Levels are numbered {numbers}; expected {expected} (consecutive, lowest first).",
                "level-numbers",
            )
    bands = []
    for i, lv in levels:
        lo, hi = _num(lv.get("min")), _num(lv.get("max"))
        if lo is None or hi is None:
            return
        if lo >= hi:
            lt.error(
                f"maturity.levels[{i}]",
                f"Band min {lo:g} is not below max {hi:g}; expected min < max.",
                "band",
            )
        bands.append((i, lo, hi))
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


def _lint_kpi(lt: _Linter, i: int, kid: Any, k: dict[str, Any], n_levels: int) -> None:
    thresholds = k.get("thresholds")
    if not isinstance(thresholds, list):
        return
    nums = [_num(t) for t in thresholds]
    if any(n is None for n in nums):
        return
    if any(a >= b for a, b in itertools.pairwise(nums)):  # type: ignore[operator]
        lt.error(
            f"kpis[{i}].thresholds",
            f"KPI {kid!r} thresholds {[t for t in thresholds]} are not ascending; "
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


def _lint_triggers(
    lt: _Linter,
    triggers: list[tuple[int, dict[str, Any]]],
    dim_ids: set[str],
    kpi_ids: set[str],
    action_ids: set[str],
    facet_ids: set[str],
) -> None:
    for i, t in triggers:
        tid = t.get("id", f"#{i}")
        action = t.get("action")
        if isinstance(action, str) and action not in action_ids:
            lt.error(
                f"triggers[{i}].action",
                f"Trigger {tid!r} names action {action!r}, which is not defined; "
                f"{_one_of(action_ids, 'the file defines no actions')}.",
                "unknown-action",
            )
        when = t.get("when")
        if not isinstance(when, dict):
            continue
        dim, kpi, stat = when.get("dimension"), when.get("kpi"), when.get("statistic")
        facet = when.get("facet")
        if sum(x is not None for x in (dim, kpi, facet)) != 1:
            lt.error(
                f"triggers[{i}].when",
                f"Trigger {tid!r} must name exactly one of 'dimension', 'facet' or 'kpi'.",
                "trigger-target",
            )
        if isinstance(facet, str) and facet not in facet_ids:
            lt.error(
                f"triggers[{i}].when.facet",
                f"Trigger {tid!r} names facet {facet!r}, which is not defined; "
                f"{_one_of(facet_ids, 'the file defines no facets')}.",
                "unknown-facet",
            )
        if isinstance(facet, str) and isinstance(stat, str) and stat not in _CONDITION_STATISTICS_FACET:
            lt.error(
                f"triggers[{i}].when.statistic",
                f"Statistic {stat!r} does not apply to facets; "
                f"expected one of: {_quote_list(_CONDITION_STATISTICS_FACET)}.",
                "statistic",
            )
        if isinstance(dim, str) and dim not in dim_ids:
            lt.error(
                f"triggers[{i}].when.dimension",
                f"Trigger {tid!r} names dimension {dim!r}, which is not defined; "
                f"{_one_of(dim_ids, 'the file defines no dimensions')}.",
                "unknown-dimension",
            )
        if isinstance(kpi, str) and kpi not in kpi_ids:
            lt.error(
                f"triggers[{i}].when.kpi",
                f"Trigger {tid!r} names KPI {kpi!r}, which is not defined; "
                f"{_one_of(kpi_ids, 'the file defines no KPIs')}.",
                "unknown-kpi",
            )
        if isinstance(stat, str):
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
    members = _tables(raw, "instruments")
    seen: dict[str, int] = {}
    for i, m in members:
        mid = m.get("id")
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
