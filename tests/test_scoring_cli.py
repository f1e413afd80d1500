"""End to end through the ``score``, ``norms build`` and ``change`` commands, against the schema."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from implassess.cli.score import change, norms_build, score
from implassess.errors import IncompatibleError

HERE = Path(__file__).parent
FIX = HERE / "fixtures" / "scoring"
SCHEMA = json.loads((HERE.parent / "docs" / "profile.schema.json").read_text(encoding="utf-8"))


def validate(instance: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """A small JSON Schema subset (type, const, enum, required, properties, additionalProperties,
    items, prefixItems, oneOf, $ref) — enough for docs/profile.schema.json."""
    if "$ref" in schema:
        ref = schema["$ref"].split("/")[-1]
        return validate(instance, SCHEMA["$defs"][ref], path)
    errors: list[str] = []
    if "oneOf" in schema:
        matches = [s for s in schema["oneOf"] if not validate(instance, s, path)]
        return [] if len(matches) == 1 else [f"{path}: matches {len(matches)} of oneOf"]
    types = schema.get("type")
    if types is not None:
        names = types if isinstance(types, list) else [types]
        checks = {"object": dict, "array": list, "string": str, "boolean": bool, "null": type(None)}
        ok = False
        for t in names:
            if t == "integer":
                ok |= isinstance(instance, int) and not isinstance(instance, bool)
            elif t == "number":
                ok |= isinstance(instance, (int, float)) and not isinstance(instance, bool)
            else:
                ok |= isinstance(instance, checks[t])
        if not ok:
            return [f"{path}: {instance!r} is not {types}"]
    if "const" in schema and instance != schema["const"]:
        errors.append(f"{path}: {instance!r} != {schema['const']!r}")
    if "enum" in schema and instance not in schema["enum"]:
        errors.append(f"{path}: {instance!r} not in {schema['enum']}")
    if isinstance(instance, dict):
        for key in schema.get("required", []):
            if key not in instance:
                errors.append(f"{path}: missing {key!r}")
        props = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, value in instance.items():
            if key in props:
                errors += validate(value, props[key], f"{path}.{key}")
            elif extra is False:
                errors.append(f"{path}: unexpected key {key!r}")
            elif isinstance(extra, dict):
                errors += validate(value, extra, f"{path}.{key}")
    if isinstance(instance, list):
        prefix = schema.get("prefixItems", [])
        for i, value in enumerate(instance):
            sub = prefix[i] if i < len(prefix) else schema.get("items")
            if sub:
                errors += validate(value, sub, f"{path}[{i}]")
    return errors


def run_score(out: Path, *extra: str) -> Any:
    args = [
        str(FIX / "responses.csv"),
        "-i",
        str(FIX / "demo.toml"),
        "--by",
        "site",
        "--kpis",
        str(FIX / "kpis.csv"),
        "--targets",
        str(FIX / "targets.toml"),
        "-o",
        str(out),
        "--reproducible",
        *extra,
    ]
    return CliRunner().invoke(score, args, catch_exceptions=False)


def test_score_end_to_end(tmp_path):
    """The fixture (14 respondents, sites North 6, South 6, East 2), worked by hand.

    planning: respondent means sum to 44 → 22/7 → 0–100 = 100·(15/7)/4 = 53.571 (level 3).
    learning: sum 43.5 → 3.107 → 52.679. adoption from KPIs: uptake 35% → level 2 (25),
    wait 28 days (lower is better) → level 3 (50) → 37.5. overall = (2·53.571 + 52.679 + 37.5)/4 = 49.330.
    East (2) is suppressed, and North (6, first of the two smallest) to protect it.
    Actions: uptake RAG red (high) first, then learning gap 27.3 before planning gap 16.4 (medium).
    """
    result = run_score(tmp_path)
    assert result.exit_code == 0, result.output
    assert "14 rows read, 14 scored, 0 rejected" in result.output
    doc = json.loads((tmp_path / "profile.json").read_text(encoding="utf-8"))
    assert validate(doc, SCHEMA) == []
    dims = {d["id"]: d for d in doc["organisation"]["dimensions"]}
    assert dims["planning"]["mean"] == pytest.approx(22 / 7)
    assert dims["planning"]["score_0_100"] == pytest.approx(1500 / 28)
    assert dims["learning"]["score_0_100"] == pytest.approx(100 * (43.5 / 14 - 1) / 4)
    assert (dims["adoption"]["source"], dims["adoption"]["score_0_100"], dims["adoption"]["level"]) == ("kpis", 37.5, 2)
    overall = doc["organisation"]["overall"]
    assert overall["score_0_100"] == pytest.approx((2 * 1500 / 28 + 100 * (43.5 / 14 - 1) / 4 + 37.5) / 4)
    assert dims["planning"]["gap"] == pytest.approx(70 - 1500 / 28)
    assert dims["planning"]["priority"] == pytest.approx(2 * (70 - 1500 / 28))
    kpis = {k["id"]: k for k in doc["kpis"]}
    assert (kpis["uptake"]["rag"], kpis["uptake"]["trend"], kpis["wait"]["rag"], kpis["wait"]["trend"]) == (
        "red",
        "improving",
        "amber",
        "worsening",
    )
    assert [a["trigger"] for a in doc["actions"]] == ["uptake-red", "learning-gap", "planning-gap"]
    groups = {g["label"]: g for g in doc["breakdowns"][0]["groups"]}
    assert groups["site=East"] == {"key": {"site": "East"}, "label": "site=East", "suppressed": True}
    assert groups["site=North"]["suppressed"] is True and groups["site=South"]["n"] == 6
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["instrument"] == {"id": "scoring-demo", "version": "1.0.0", "source": "demo.toml"}
    assert manifest["responses"]["rows_read"] == 14 and manifest["responses"]["reconciles"] is True
    assert {o["file"] for o in manifest["outputs"]} == {
        "profile.json",
        "groups.csv",
        "respondents_long.csv",
        "respondents_wide.csv",
    }
    wide = list(csv.DictReader(io.StringIO((tmp_path / "respondents_wide.csv").read_text(encoding="utf-8"))))
    assert "respondent_id" not in wide[1]  # files name rows, never the export's ids
    assert wide[1]["row"] == "3" and float(wide[1]["planning.raw"]) == pytest.approx(14 / 3)
    assert "site" not in wide[0]  # respondent files carry no attributes to regroup by
    long_rows = (tmp_path / "respondents_long.csv").read_text(encoding="utf-8").splitlines()
    assert len(long_rows) == 1 + 14 * 5  # planning, learning, goals, resourcing, overall


def test_reproducible_outputs_are_byte_identical(tmp_path):
    """Two runs with --reproducible give identical bytes in every file (golden-test ready)."""
    run_score(tmp_path / "a")
    run_score(tmp_path / "b")
    for name in ("profile.json", "groups.csv", "respondents_long.csv", "respondents_wide.csv", "manifest.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert json.loads((tmp_path / "a" / "profile.json").read_text())["generated"] == "1970-01-01T00:00:00Z"


def test_json_summary(tmp_path):
    """--json prints a machine-readable summary of what was scored and written."""
    result = run_score(tmp_path, "--json")
    data = json.loads(result.output)
    assert data["accepted"] == 14 and data["files"][-1] == "manifest.json"
    assert [a["action"] for a in data["actions"]] == ["fix-uptake", "shared-review", "write-promise"]


def test_norms_build_and_use(tmp_path):
    """Norms from two profiles: mean and SD (n − 1) of organisation scores; then z for a third run.

    Planning scores of the full sample and of the sample without b6, c1 and c2 give the
    norm mean (a + b)/2 and SD |a − b|/√2 (two values, n − 1 = 1).
    """
    run_score(tmp_path / "one")
    lines = (FIX / "responses.csv").read_text(encoding="utf-8").splitlines()
    (tmp_path / "fewer.csv").write_text("\n".join(lines[:-3]) + "\n", encoding="utf-8")
    CliRunner().invoke(
        score,
        # Another organisation's data in this test's story: its own ledger (same respondents would be refused).
        [
            *(str(tmp_path / "fewer.csv"), "-i", str(FIX / "demo.toml"), "-o", str(tmp_path / "two")),
            *("--reproducible", "--ledger", str(tmp_path / "other-ledger")),
        ],
        catch_exceptions=False,
    )
    one = json.loads((tmp_path / "one" / "profile.json").read_text())["organisation"]["dimensions"][0]["score_0_100"]
    two = json.loads((tmp_path / "two" / "profile.json").read_text())["organisation"]["dimensions"][0]["score_0_100"]
    out = tmp_path / "norms.toml"
    profiles = [str(tmp_path / "one" / "profile.json"), str(tmp_path / "two" / "profile.json")]
    res = CliRunner().invoke(norms_build, [*profiles, "-o", str(out), "--sector", "health"], catch_exceptions=False)
    assert res.exit_code == 0
    from implassess.formats.norms import load_norms

    norms = load_norms(out)
    planning = next(e for e in norms.entries if e.id == "planning")
    assert planning.mean == pytest.approx((one + two) / 2) and planning.sd == pytest.approx(abs(one - two) / 2**0.5)
    assert (norms.instrument, norms.sector, planning.n) == ("scoring-demo", "health", 2)
    run_score(tmp_path / "three", "--norms", str(out))
    doc = json.loads((tmp_path / "three" / "profile.json").read_text())
    p = doc["organisation"]["dimensions"][0]
    assert p["norm_z"] == pytest.approx((one - planning.mean) / planning.sd)
    assert doc["norms"]["name"] == "norms"


def test_change_between_waves(tmp_path):
    """change compares two profiles of one version; a profile of another version is refused."""
    run_score(tmp_path / "w1")
    run_score(tmp_path / "w2")
    res = CliRunner().invoke(
        change,
        [str(tmp_path / "w1" / "profile.json"), str(tmp_path / "w2" / "profile.json"), "--json"],
        catch_exceptions=False,
    )
    rows = json.loads(res.output)
    planning = next(r for r in rows if r["group"] == "organisation" and r["unit"] == "planning")
    assert planning["diff"] == 0.0 and planning["ci_low"] < 0 < planning["ci_high"]
    doc = json.loads((tmp_path / "w2" / "profile.json").read_text())
    doc["instrument"]["version"] = "2.0.0"
    (tmp_path / "v2.json").write_text(json.dumps(doc))
    with pytest.raises(IncompatibleError, match=r"version 1\.0\.0, the follow-up is 'scoring-demo' version 2\.0\.0"):
        CliRunner().invoke(
            change, [str(tmp_path / "w1" / "profile.json"), str(tmp_path / "v2.json")], catch_exceptions=False
        )


def test_schema_validator_rejects_a_leaking_suppressed_group(tmp_path):
    """The schema forbids statistics on a suppressed group: adding n to one fails validation."""
    run_score(tmp_path)
    doc = json.loads((tmp_path / "profile.json").read_text(encoding="utf-8"))
    east = next(g for g in doc["breakdowns"][0]["groups"] if g["label"] == "site=East")
    east["n"] = 2
    assert validate(doc, SCHEMA) == ["$.breakdowns[0].groups[0]: matches 0 of oneOf"]
