"""Item-writing and completeness rules for the built-in instrument library.

Every file in ``instruments/`` is checked on its own, so a failure names the file (in
the test id) and the item, dimension or trigger at fault (in the message). The rules:

* item text (every form, variables filled with their defaults) is 8–25 words long;
* one idea per item: never "and/or", "/", or the words "and" / "or";
* no double negatives: at most one negator (see ``NEGATORS``) per item;
* no word longer than 15 letters unless it is in ``LONG_WORD_ALLOWLIST``;
* at most 20% of a dimension's items are reverse-keyed;
* each instrument offers the 1–5 agreement scale with "Don't know" and
  "Not applicable" as non-substantive options;
* every file validates with zero findings (errors and warnings);
* each instrument has 3–7 triggers, a citation, a changelog entry for its version, and
  a level text with at least one action for every dimension and every maturity level;
* item ids are unique across the whole library;
* the instruments of the 360 battery carry a ``rater`` and a ``self`` text for every item.

The checkers are plain functions, tested on deliberately bad input first, so that a
passing library run means the rules held rather than that nothing was checked.
"""

from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from implassess.errors import InstrumentError
from implassess.formats.instrument import load_file
from implassess.formats.validate import validate_paths
from implassess.model import Battery, Instrument

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
LIBRARY = ROOT / "instruments"
MINIMAL = Path(__file__).resolve().parent / "fixtures" / "instruments" / "minimal.toml"

#: The files the library is expected to hold (instruments and batteries).
EXPECTED_FILES = {
    "contextual-intelligence.toml",
    "behavioral-integration.toml",
    "systematic-execution.toml",
    "clarity-gaps.toml",
    "implementation-readiness.toml",
    "people-process-purpose.toml",
    "megatrend-kpis.toml",
    "implementation-leadership-360.toml",
    "implementation-leadership-diagnostic.toml",
}

#: The battery whose instruments are answered by the leader (self) and by raters.
BATTERY_360 = "implementation-leadership-360"

MIN_WORDS, MAX_WORDS = 8, 25
MAX_WORD_LETTERS = 15
MAX_REVERSE_SHARE = 0.20
MIN_TRIGGERS, MAX_TRIGGERS = 3, 7

#: Words that negate; an item may hold at most one (``n't`` is matched as a suffix).
#: "cannot" is included because it negates exactly as "can not" does.
NEGATORS = {"not", "no", "never", "without", "none", "nobody", "nothing", "neither", "cannot"}

#: Words over 15 letters that are allowed because no shorter plain word says the same.
#: Keep this list short: each entry needs a reason.
LONG_WORD_ALLOWLIST = {
    "interoperability",  # 16: the accepted name of the technical property
    "multidisciplinary",  # 17: names a team type clinicians recognise
}

AGREEMENT_LABELS = [
    ("Strongly disagree", 1.0),
    ("Disagree", 2.0),
    ("Neither agree nor disagree", 3.0),
    ("Agree", 4.0),
    ("Strongly agree", 5.0),
]
NON_SUBSTANTIVE_LABELS = {"Don't know", "Not applicable"}


# -- checkers ----------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


def wording_problems(text: str) -> list[str]:
    """Every wording rule the text breaks, as short sentences (empty when it is fine)."""
    problems: list[str] = []
    n = len(_words(text))
    if not MIN_WORDS <= n <= MAX_WORDS:
        problems.append(f"has {n} words; expected {MIN_WORDS}–{MAX_WORDS}")
    if "/" in text:
        problems.append("contains '/' (and/or, either/or): write one idea per item")
    joined = re.findall(r"\b(and|or)\b", text, flags=re.IGNORECASE)
    if joined:
        problems.append(f"contains {sorted({w.lower() for w in joined})}: write one idea per item")
    tokens = re.findall(r"[a-z']+", text.lower().replace("\u2019", "'"))
    negators = [t for t in tokens if t in NEGATORS or t.endswith("n't")]
    if len(negators) > 1:
        problems.append(f"has {len(negators)} negators {negators}: a double negative")
    long_words = [
        w for w in re.findall(r"[A-Za-z]+", text) if len(w) > MAX_WORD_LETTERS and w.lower() not in LONG_WORD_ALLOWLIST
    ]
    if long_words:
        problems.append(f"has words over {MAX_WORD_LETTERS} letters: {long_words}")
    return problems


def item_wording_problems(inst: Instrument) -> list[str]:
    """Wording problems of every item in every form, naming the item and form."""
    out: list[str] = []
    forms = [None] + [f.id for f in inst.forms]
    for item in inst.items:
        seen: set[str] = set()
        for form in forms:
            text = inst.render_text(item, form)
            if text in seen:
                continue
            seen.add(text)
            where = f"item {item.id!r}" + (f" (form {form!r})" if form else "")
            out += [f"{where} {p}: {text!r}" for p in wording_problems(text)]
    return out


def reverse_share_problems(inst: Instrument) -> list[str]:
    """Dimensions where more than 20% of the items are reverse-keyed."""
    out = []
    for dim in inst.dimensions:
        items = inst.items_in(dim.id)
        if not items:
            continue
        rev = [i.id for i in items if i.reverse]
        if len(rev) > MAX_REVERSE_SHARE * len(items):
            out.append(f"dimension {dim.id!r} has {len(rev)} of {len(items)} items reverse-keyed: {rev}")
    return out


def agreement_scale_problems(inst: Instrument) -> list[str]:
    """Missing 1–5 agreement scale, or items whose scale lacks the two non-substantive options."""
    out = []
    found = False
    for scale in inst.scales:
        subst = [(o.label, None if o.value is None else float(o.value)) for o in scale.substantive()]
        ns = {o.label for o in scale.options if o.non_substantive and o.value is None}
        if subst == AGREEMENT_LABELS and NON_SUBSTANTIVE_LABELS <= ns:
            found = True
    if not found:
        out.append(
            "no scale with options Strongly disagree (1) … Strongly agree (5) plus non-substantive "
            '"Don\'t know" and "Not applicable"'
        )
    for item in inst.items:
        scale = inst.scale_for(item)
        ns = {o.label for o in scale.options if o.non_substantive}
        if not NON_SUBSTANTIVE_LABELS <= ns:
            out.append(f"item {item.id!r} is answered on scale {scale.id!r}, which lacks {NON_SUBSTANTIVE_LABELS - ns}")
    return out


def completeness_problems(inst: Instrument) -> list[str]:
    """Trigger count, citation, changelog and level texts with actions."""
    out = []
    n = len(inst.triggers)
    if not MIN_TRIGGERS <= n <= MAX_TRIGGERS:
        out.append(f"has {n} triggers; expected {MIN_TRIGGERS}–{MAX_TRIGGERS}")
    if inst.citation is None or not inst.citation.title.strip():
        out.append("has no [citation] with a title")
    if not any(c.version == inst.version for c in inst.changelog):
        out.append(f"has no [[changelog]] entry for version {inst.version!r}")
    action_ids = {a.id for a in inst.actions}
    for dim in inst.dimensions:
        by_level = {lt.level: lt for lt in dim.levels}
        for lvl in inst.maturity.levels:
            lt = by_level.get(lvl.level)
            if lt is None or not lt.descriptor.strip():
                out.append(f"dimension {dim.id!r} has no level text for level {lvl.level}")
            elif not lt.actions:
                out.append(f"dimension {dim.id!r} level {lvl.level} recommends no action")
            else:
                out += [
                    f"dimension {dim.id!r} level {lvl.level} names undefined action {a!r}"
                    for a in lt.actions
                    if a not in action_ids
                ]
    return out


def duplicate_item_ids(instruments: dict[str, Instrument]) -> list[str]:
    """Item ids used by more than one instrument file (or twice in one)."""
    where: dict[str, list[str]] = defaultdict(list)
    for name, inst in instruments.items():
        for item in inst.items:
            where[item.id].append(name)
    return [f"item id {iid!r} is used in {files}" for iid, files in sorted(where.items()) if len(files) > 1]


def rater_self_problems(inst: Instrument) -> list[str]:
    """Forms ``rater`` and ``self`` declared, and every item worded for both."""
    form_ids = {f.id for f in inst.forms}
    missing = {"rater", "self"} - form_ids
    if missing:
        return [f"does not declare form(s) {sorted(missing)}"]
    return [
        f"item {item.id!r} has the same text for 'rater' and 'self': {item.text_for('self')!r}"
        for item in inst.items
        if item.text_for("rater").strip() == item.text_for("self").strip()
    ]


# -- the checkers catch what they are meant to catch -------------------------------


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Our teams agree on goals and review them every quarter together.", "['and']"),
        ("Our teams review the plan monthly or quarterly with the sponsor.", "['or']"),
        ("Our teams review goals and/or measures every month with the sponsor.", "'/'"),
        ("Our teams review goals per site/service line every month with the sponsor.", "'/'"),
        ("Our teams review goals.", "has 4 words"),
        (" ".join(["word"] * 26), "has 26 words"),
        ("It is not true that our teams never review the plan with the sponsor.", "double negative"),
        ("Our teams don't work without a plan agreed with the sponsor each month.", "double negative"),
        ("Our teams document their institutionalisation plans for every programme each month.", "over 15 letters"),
    ],
)
def test_wording_checker_flags(text: str, fragment: str) -> None:
    problems = wording_problems(text)
    assert any(fragment in p for p in problems), problems


def test_wording_checker_passes_a_good_item() -> None:
    assert wording_problems("Our teams can explain the measurable change that {x} is meant to produce.") == []
    assert wording_problems("Our interoperability tests are scheduled before each operational pilot begins.") == []


def test_checkers_flag_the_minimal_fixture() -> None:
    """The test fixture breaks several library rules on purpose; the checkers must see it."""
    inst = load_file(MINIMAL)
    assert isinstance(inst, Instrument)
    assert any("'l1' has 6 words" in p for p in item_wording_problems(inst))
    assert reverse_share_problems(inst) == ["dimension 'planning' has 1 of 3 items reverse-keyed: ['p3']"]
    completeness = completeness_problems(inst)
    assert "has 1 triggers; expected 3–7" in completeness
    assert "dimension 'learning' has no level text for level 1" in completeness
    assert "dimension 'planning' has no level text for level 2" in completeness
    assert duplicate_item_ids({"a.toml": inst, "b.toml": inst})[0] == "item id 'l1' is used in ['a.toml', 'b.toml']"
    assert "item 'p2' has the same text for 'rater' and 'self': 'My leader protects time for the work.'" in (
        rater_self_problems(inst)
    )


def test_agreement_checker_flags_a_scale_without_dont_know() -> None:
    import attrs

    inst = load_file(MINIMAL)
    assert isinstance(inst, Instrument)
    assert agreement_scale_problems(inst) == []
    scale = inst.scales[0]
    trimmed = attrs.evolve(scale, options=tuple(o for o in scale.options if o.label != "Don't know"))
    problems = agreement_scale_problems(attrs.evolve(inst, scales=(trimmed,)))
    assert problems[0].startswith("no scale with options")
    assert "item 'p1' is answered on scale 'agree5', which lacks {\"Don't know\"}" in problems


# -- the library -------------------------------------------------------------------


def _kind(path: Path) -> str:
    try:
        with path.open("rb") as fh:
            return str(tomllib.load(fh).get("kind", "instrument"))
    except (OSError, tomllib.TOMLDecodeError):
        return "instrument"  # the validation test reports the syntax error


FILES = sorted(LIBRARY.glob("*.toml"))
INSTRUMENT_FILES = [pytest.param(p, id=p.name) for p in FILES if _kind(p) != "battery"]
BATTERY_FILES = [pytest.param(p, id=p.name) for p in FILES if _kind(p) == "battery"]
ALL_FILES = [pytest.param(p, id=p.name) for p in FILES]


@pytest.fixture(scope="module")
def library_findings() -> dict[str, list[str]]:
    """Findings of validating the whole folder at once (batteries see every instrument)."""
    findings, n_files = validate_paths([LIBRARY])
    assert n_files == len(FILES)
    out: dict[str, list[str]] = defaultdict(list)
    for f in findings:
        out[Path(f.source).name].append(str(f))
    return out


@pytest.fixture(scope="module")
def library() -> dict[str, Instrument | Battery]:
    """Every library file that loads, by file name."""
    out: dict[str, Instrument | Battery] = {}
    for path in FILES:
        try:
            out[path.name] = load_file(path)
        except InstrumentError:  # reported by test_file_validates_with_no_findings
            continue
    return out


def _instrument(path: Path) -> Instrument:
    inst = load_file(path)
    assert isinstance(inst, Instrument), f"{path.name} is not an instrument"
    return inst


def test_library_holds_the_expected_files() -> None:
    names = {p.name for p in FILES}
    assert EXPECTED_FILES - names == set()


@pytest.mark.parametrize("path", ALL_FILES)
def test_file_validates_with_no_findings(path: Path, library_findings: dict[str, list[str]]) -> None:
    assert library_findings.get(path.name, []) == []


@pytest.mark.parametrize("path", ALL_FILES)
def test_file_id_matches_file_name(path: Path) -> None:
    assert load_file(path).id == path.stem


@pytest.mark.parametrize("path", INSTRUMENT_FILES)
def test_item_wording(path: Path) -> None:
    assert item_wording_problems(_instrument(path)) == []


@pytest.mark.parametrize("path", INSTRUMENT_FILES)
def test_reverse_keyed_share(path: Path) -> None:
    assert reverse_share_problems(_instrument(path)) == []


@pytest.mark.parametrize("path", INSTRUMENT_FILES)
def test_agreement_scale(path: Path) -> None:
    assert agreement_scale_problems(_instrument(path)) == []


@pytest.mark.parametrize("path", INSTRUMENT_FILES)
def test_triggers_citation_changelog_levels(path: Path) -> None:
    assert completeness_problems(_instrument(path)) == []


@pytest.mark.parametrize("path", INSTRUMENT_FILES)
def test_item_ids_unique_across_library(path: Path, library: dict[str, Instrument | Battery]) -> None:
    instruments = {name: rec for name, rec in library.items() if isinstance(rec, Instrument)}
    mine = {item.id for item in _instrument(path).items}
    clashes = [p for p in duplicate_item_ids(instruments) if any(f"{iid!r}" in p for iid in mine)]
    assert clashes == []


@pytest.mark.parametrize("path", BATTERY_FILES)
def test_battery_members_exist_with_their_forms(path: Path, library: dict[str, Instrument | Battery]) -> None:
    battery = load_file(path)
    assert isinstance(battery, Battery)
    by_id = {rec.id: rec for rec in library.values() if isinstance(rec, Instrument)}
    problems = []
    for member in battery.instruments:
        inst = by_id.get(member.id)
        if inst is None:
            problems.append(f"member {member.id!r} is not an instrument in instruments/")
        elif member.form is not None and member.form not in {f.id for f in inst.forms}:
            problems.append(f"member {member.id!r} asks for form {member.form!r}, which it does not declare")
    assert problems == []


def test_360_battery_instruments_share_items_across_rater_and_self(library: dict[str, Instrument | Battery]) -> None:
    battery = library.get(f"{BATTERY_360}.toml")
    assert isinstance(battery, Battery), f"{BATTERY_360}.toml is missing or invalid"
    by_id = {rec.id: rec for rec in library.values() if isinstance(rec, Instrument)}
    problems = []
    for member in battery.instruments:
        inst = by_id.get(member.id)
        if inst is None:
            problems.append(f"{member.id}: not in instruments/")
            continue
        problems += [f"{member.id}: {p}" for p in rater_self_problems(inst)]
    assert problems == []


def test_diagnostic_battery_members() -> None:
    battery = load_file(LIBRARY / "implementation-leadership-diagnostic.toml")
    assert isinstance(battery, Battery)
    assert [(m.id, m.form, m.weight) for m in battery.instruments] == [
        ("contextual-intelligence", "rater", 1.0),
        ("behavioral-integration", "rater", 1.0),
        ("systematic-execution", "rater", 1.0),
        ("clarity-gaps", None, 1.0),
        ("implementation-readiness", None, 1.0),
        ("people-process-purpose", None, 1.0),
        ("megatrend-kpis", None, 1.0),
    ]


def _doc_section(doc: str, record_id: str) -> str | None:
    """The ``## …`` section of docs/instruments.md whose heading names ``record_id``."""
    for section in re.split(r"^## ", doc, flags=re.MULTILINE)[1:]:
        heading = section.splitlines()[0]
        if f"(`{record_id}`)" in heading:
            return section
    return None


@pytest.mark.parametrize("path", ALL_FILES)
def test_docs_state_the_file_counts(path: Path) -> None:
    """docs/instruments.md has a section per file whose counts match the file."""
    doc = (ROOT / "docs" / "instruments.md").read_text(encoding="utf-8")
    record = load_file(path)
    section = _doc_section(doc, record.id)
    assert section is not None, f"docs/instruments.md has no '## … (`{record.id}`)' section"
    if isinstance(record, Battery):
        expected = [f"**Instruments:** {len(record.instruments)}"]
    else:
        expected = [
            f"**Dimensions:** {len(record.dimensions)}",
            f"**Items:** {len(record.items)}",
            f"**KPIs:** {len(record.kpis)}",
            f"**Triggers:** {len(record.triggers)}",
        ]
        expected += [f"(`{d.id}`)" for d in record.dimensions]
        expected += [f"`{t.id}`" for t in record.triggers]
    assert [e for e in expected if e not in section] == []
