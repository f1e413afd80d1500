"""Personal data never reaches an output file.

Columns are recognised as personal by what their header means (in English and the other
languages exports come in) and by what their values look like; a value that looks like an
e-mail address, phone number, IP address … is never quoted in a message, never written as
a respondent id, an attribute or a comment. The mapping file can say a column is personal,
or that it is not.
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from implassess import plugins
from implassess.cli import cli
from implassess.cli import responses as cli_responses
from implassess.errors import InputError
from implassess.ingest import ingest, read_responses
from implassess.ingest.personal import (
    header_words,
    is_personal,
    personal_cells,
    personal_kind,
    pseudonym,
    redact,
    shown,
    value_kind,
)
from implassess.outputs.rejected import rejected_rows_csv

HERE = Path(__file__).resolve().parent
MINIMAL = HERE / "fixtures" / "instruments" / "minimal.toml"

EMAILS = ["kim.ng@example.org", "sam.roe@example.org", "lee.hart@example.net"]
PHONES = ["+44 20 7946 0000", "07700 900123", "(405) 321-1111"]
IPS = ["192.168.10.77", "10.0.0.5", "2001:db8::1"]


@pytest.fixture(scope="module")
def minimal():
    return plugins.get_instrument(str(MINIMAL))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def run(*args: object):
    if "responses" not in cli.commands:
        cli.add_command(cli_responses.responses)
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def every_byte(folder: Path) -> str:
    """Everything written under ``folder``, as text."""
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.rglob("*")) if p.is_file())


# -- the table: a column's header and values, and whether it is personal ------------------------------------

COLUMNS: list[tuple[str, list[str], bool]] = [
    # Personal by header, in the shapes survey tools write them
    ("Email", EMAILS, True),
    ("Email (2)", EMAILS, True),
    ("Email (work)", EMAILS, True),
    ("What is your email address?", EMAILS, True),
    ("RecipientEmail", EMAILS, True),
    ("RecipientFirstName", ["Kim", "Sam", "Lee"], True),
    ("Your name", ["Kim Ng", "Sam Roe", "Lee Hart"], True),
    ("Contact information - Name", ["Kim Ng", "Sam Roe", "Lee Hart"], True),
    ("Contact information - City/Town", ["Leeds", "York", "Hull"], True),
    ("name_first", ["Kim", "Sam", "Lee"], True),
    ("demo_last_name", ["Ng", "Roe", "Hart"], True),
    ("demo_birth_date", ["1980-02-01", "1975-06-30", "1990-11-12"], True),
    ("demo_mrn", ["M10021", "M10022", "M10023"], True),
    ("Home address", ["12 High Street, Leeds", "3 Low Road, York", "1 Bridge Lane, Hull"], True),
    ("Postcode", ["LS1 4AP", "YO1 7HH", "HU1 1AA"], True),
    ("NHS no", ["943 476 5919", "401 023 2137", "123 456 7881"], True),
    ("Employee number", ["E1234", "E5678", "E9012"], True),
    ("Device ID", ["a1b2c3", "d4e5f6", "g7h8i9"], True),
    ("IP Address (v4)", [*IPS[:2], "10.0.0.6"], True),
    ("IPv4", [*IPS[:2], "10.0.0.6"], True),
    ("Lat", ["53.8008", "53.9590", "53.7676"], True),
    ("Lng", ["-1.5491", "-1.0815", "-0.3274"], True),
    ("Lat/Long", ["53.8008, -1.5491", "53.9590, -1.0815", "53.7676, -0.3274"], True),
    ("LocationLatitude", ["53.8008", "53.9590", "53.7676"], True),
    ("Mobile no.", PHONES, True),
    ("Phone number (work)", PHONES, True),
    ("ExternalDataReference", ["ext-1", "ext-2", "ext-3"], True),
    ("School email", EMAILS, True),
    # German, French, Spanish, Portuguese, Italian, Dutch, Nordic
    ("E-Mail-Adresse", EMAILS, True),
    ("Nachname des Empfängers", ["Ng", "Roe", "Hart"], True),
    ("Geburtsdatum", ["01.02.1980", "30.06.1975", "12.11.1990"], True),
    ("Telefonnummer", PHONES, True),
    ("Postleitzahl", ["10115", "50667", "80331"], True),
    ("Breitengrad des Standorts", ["52.52", "50.94", "48.14"], True),
    ("Prénom", ["Chloé", "Jean", "Anaïs"], True),
    ("Nom de famille", ["Martin", "Bernard", "Dubois"], True),
    ("Numéro de téléphone", PHONES, True),
    ("Code postal", ["75001", "69002", "13001"], True),
    ("Correo electrónico", EMAILS, True),
    ("Fecha de nacimiento", ["01/02/1980", "30/06/1975", "12/11/1990"], True),
    ("Teléfono móvil", PHONES, True),
    ("Dirección", ["Calle Mayor 1", "Gran Vía 2", "Calle Sol 3"], True),
    ("Endereço de e-mail", EMAILS, True),
    ("Data de nascimento", ["01/02/1980", "30/06/1975", "12/11/1990"], True),
    ("Cognome", ["Rossi", "Russo", "Ferrari"], True),
    ("Indirizzo email", EMAILS, True),
    ("Codice fiscale", ["RSSMRA80A01H501U", "RSSMRA75H70F205X", "FRRLGU90S12L219Y"], True),
    ("Voornaam", ["Daan", "Sanne", "Bram"], True),
    ("Geboortedatum", ["01-02-1980", "30-06-1975", "12-11-1990"], True),
    ("Fødselsdato", ["01.02.1980", "30.06.1975", "12.11.1990"], True),
    ("Förnamn", ["Elsa", "Lars", "Maja"], True),
    ("Personnummer", ["19800201-1234", "19750630-2345", "19901112-3456"], True),
    ("Sähköposti", EMAILS, True),
    ("Sukunimi", ["Virtanen", "Korhonen", "Nieminen"], True),
    # Personal by value only: the header says nothing
    ("Contact", EMAILS, True),
    ("Ref", PHONES, True),
    ("Info", IPS, True),
    ("Where", ["53.8008, -1.5491", "53.9590, -1.0815", "53.7676, -0.3274"], True),
    ("Other", ["SW1A 1AA", "LS1 4AP", "YO1 7HH"], True),
    ("site", EMAILS, True),
    # Not personal: attributes, items, question text, metadata
    ("Team name", ["Ward 7", "ICU", "Theatres"], False),
    ("Site name", ["Leeds General", "St James", "Hull Royal"], False),
    ("Name of your site", ["Leeds General", "St James", "Hull Royal"], False),
    ("Role", ["nurse", "manager", "doctor"], False),
    ("Department", ["Surgery", "Medicine", "Pharmacy"], False),
    ("Q3 name the barrier", ["Time", "Money", "Staff"], False),
    ("Latency (ms)", ["120", "85", "97"], False),
    ("Ipsative score", ["3", "4", "2"], False),
    ("Emailing leaders is effective", ["4", "5", "3"], False),
    ("Phone-based consultations", ["12", "30", "7"], False),
    ("Address barriers early", ["4", "3", "5"], False),
    ("How often do you use email to coordinate work?", ["Often", "Never", "Sometimes"], False),
    ("Mobile working is supported", ["4", "2", "3"], False),
    ("Phone calls", ["12", "3", "8"], False),
    ("Email updates", ["Weekly", "Monthly", "Never"], False),
    ("Number of staff", ["12", "40", "7"], False),
    ("Device type", ["iPhone", "Android", "Laptop"], False),
    ("submitted_at", ["2026-03-02T09:14:00", "2026-03-02 09:20:00", "2026-03-03T10:01:00"], False),
    ("Start Date", ["01/03/2026 09:00", "01/03/2026 10:00", "02/03/2026 11:30"], False),
    ("Respondent ID", ["R_2YPOQ602ER1jkf1", "R_3cDeFgHiJkLmN", "R_4dEfGhIjKlMnO"], False),
    ("Record ID", ["114015574876", "114015574877", "114015574878"], False),
    ("Budget (EUR)", ["1 234 567", "2 345 678", "3 456 789"], False),
    ("Version", ["1.2.3", "1.2.4", "2.0.1"], False),
    ("Wave", ["2026-01", "2026-07", "2027-01"], False),
    ("Comment", ["Clear goals.", "Busy month, call me on Monday.", "Fine."], False),
    ("Location", ["Leeds", "York", "Hull"], False),
    ("Nombre del equipo", ["Urgencias", "UCI", "Quirófano"], False),
    ("Nom de l'équipe", ["Urgences", "Réanimation", "Bloc"], False),
    ("Standort", ["Berlin", "Köln", "München"], False),
    ("Name des Teams", ["Notaufnahme", "Intensiv", "OP"], False),
    ("Nome del reparto", ["Pronto soccorso", "Terapia intensiva", "Sala operatoria"], False),
    ("Nome da equipe", ["Urgência", "UTI", "Bloco"], False),
    ("Naam van de afdeling", ["Spoedeisende hulp", "IC", "OK"], False),
    ("Enhetens namn", ["Akuten", "IVA", "Operation"], False),
    ("Yksikön nimi", ["Päivystys", "Teho-osasto", "Leikkaus"], False),
    # Found by a hostile review: format hints, national ids, name and address forms, 360 raters
    ("Social Security Number", ["AAA-GG-SSSS", "BBB-GG-SSSS", "CCC-GG-SSSS"], True),
    ("SSN (last 4)", ["1234", "5678", "9012"], True),
    ("NI number", ["QQ123456C", "QQ654321C", "QQ111111C"], True),
    ("Medicare number", ["M-1", "M-2", "M-3"], True),
    ("Email address (please write clearly)", EMAILS, True),
    ("Personnummer (ÅÅMMDD-XXXX)", ["P-1", "P-2", "P-3"], True),
    ("Date de naissance (JJ/MM/AAAA)", ["01/02/1980", "03/04/1975", "05/06/1990"], True),
    ("Numéro de sécurité sociale", ["S-1", "S-2", "S-3"], True),
    ("Número de seguridad social", ["S-1", "S-2", "S-3"], True),
    ("Adresse postale", ["1 rue A", "2 rue B", "3 rue C"], True),
    ("Indirizzo di residenza", ["Via A 1", "Via B 2", "Via C 3"], True),
    ("Primer apellido", ["Garcia", "Lopez", "Perez"], True),
    ("Apellido paterno", ["Garcia", "Lopez", "Perez"], True),
    ("Nombre de pila", ["Ana", "Luis", "Eva"], True),
    ("Nom d'usage", ["Martin", "Bernard", "Petit"], True),
    ("Nome próprio", ["Ana", "Rui", "Eva"], True),
    ("Navn og etternavn", ["Kari Nordmann", "Ola Hansen", "Siv Berg"], True),
    ("Rater name", ["Kim Ng", "Sam Roe", "Lee Hart"], True),
    ("Name of person being rated", ["Kim Ng", "Sam Roe", "Lee Hart"], True),
    ("Emergency contact", ["Kim Ng", "Sam Roe", "Lee Hart"], True),
    ("Next of kin", ["Kim Ng", "Sam Roe", "Lee Hart"], True),
    ("Social media use is encouraged", ["yes", "no", "yes"], False),
    ("Emergency contact procedures are clear", ["yes", "no", "yes"], False),
    ("Being rated by peers is fair", ["yes", "no", "yes"], False),
    ("Usage of the new system", ["daily", "weekly", "never"], False),
]


def test_the_table_is_large_and_goes_both_ways() -> None:
    assert len(COLUMNS) >= 60
    assert sum(1 for *_, personal in COLUMNS if personal) >= 30
    assert sum(1 for *_, personal in COLUMNS if not personal) >= 30
    assert len({h for h, *_ in COLUMNS}) == len(COLUMNS)


@pytest.mark.parametrize(("header", "cells", "personal"), COLUMNS, ids=[h for h, *_ in COLUMNS])
def test_a_column_is_personal_by_its_header_or_its_values(
    tmp_path: Path, minimal, header: str, cells: list[str], personal: bool
) -> None:
    rows = [["p1", "p2", header], *(["4", "3", c] for c in cells)]
    result = ingest(write_csv(tmp_path / "export.csv", rows), minimal, all_waves=True)
    assert (header in result.personal) is personal
    rs = result.responses
    assert rs.n == len(cells)
    if personal:
        carried = repr((rs.attributes, rs.comments, rs.respondent_ids, rs.warnings, rs.rejected))
        assert not [c for c in cells if c in carried]
        how = {m.column: m.how for m in result.columns}[header]
        assert how == ("values" if personal_kind(header) is None else "header")


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ("Email (2)", ["email"]),
        ("IP Address (v4)", ["ip", "address"]),
        ("IPv4", ["ipv4"]),
        ("RecipientFirstName", ["recipient", "first", "name"]),
        ("ExternalDataReference", ["external", "data", "reference"]),
        ("demo_birth_date", ["demo", "birth", "date"]),
        ("Q12_email2", ["email"]),
        ("homeaddress", ["home", "address"]),
        ("workemailaddress", ["work", "emailaddress"]),
        ("Fødselsdato", ["fodselsdato"]),
        ("E-Mail-Adresse", ["email", "adresse"]),
        ("<b>Your</b> name", ["your", "name"]),
    ],
)
def test_headers_are_read_as_words(header: str, words: list[str]) -> None:
    assert header_words(header) == words


@pytest.mark.parametrize(
    ("header", "kind"),
    [
        ("Email", "e-mail address"),
        ("IP Address", "IP address"),
        ("Home address", "postal address"),
        ("NHS no", "record or identity number"),
        ("Date of birth", "date of birth"),
        ("Lat/Long", "coordinates"),
        ("Contact information - Company", "contact details"),
        ("ExternalReference", "panel reference"),
        ("Team name", None),
    ],
)
def test_the_kind_of_personal_data_a_header_names(header: str, kind: str | None) -> None:
    assert personal_kind(header) == kind
    assert is_personal(header) is (kind is not None)


# -- values ----------------------------------------------------------------------------------------------------

VALUES: list[tuple[str, str | None]] = [
    ("kim.ng@example.org", "an e-mail address"),
    ("mailto:a.b@nhs.net", "an e-mail address"),
    ("Kim.Åström@exämple.se", "an e-mail address"),
    ("+44 20 7946 0000", "a phone number"),
    ("(405) 321-1111", "a phone number"),
    ("405-321-1111", "a phone number"),
    ("07700 900123", "a phone number"),
    ("07700900123", "a phone number"),
    ("+33 6 12 34 56 78", "a phone number"),
    ("06.12.34.56.78", "a phone number"),
    ("0049 30 1234567", "a phone number"),
    ("+49 (0)30 1234567", "a phone number"),
    ("192.168.10.77", "an IP address"),
    ("2001:db8::1", "an IP address"),
    ("fe80::1ff:fe23:4567:890a", "an IP address"),
    ("943 476 5919", "an NHS number"),
    ("9434765919", "an NHS number"),
    ("SW1A 1AA", "a postcode"),
    ("LS14AP", "a postcode"),
    ("K1A 0B1", "a postcode"),
    ("51.5074, -0.1278", "coordinates"),
    ("47.649434 -122.347737 26.8 3.14", "coordinates"),
    ("4111 1111 1111 1111", "a payment card number"),
    ("4", None),
    ("Strongly agree", None),
    ("2024-01-15", None),
    ("2024-01-15 10:22:01", None),
    ("15/01/2024", None),
    ("01.02.2024 10:00", None),
    ("1,234,567", None),
    ("1 234 567", None),
    ("1.234.567", None),
    ("3.14159265", None),
    ("0,33", None),
    ("R_2YPOQ602ER1jkf1", None),
    ("114015574876", None),
    ("uuid:5b2c1f0e-6a1d-4c7e-9d43-0c7f5e2d8a11", None),
    ("1.2.3", None),
    ("10:22:01", None),
    ("12345", None),
    ("9434765918", None),  # ten digits whose check digit is wrong
    ("E-1001", None),
    ("Ward 7", None),
    ("-122.347737", None),
    ("@ home", None),
]


@pytest.mark.parametrize(("value", "kind"), VALUES, ids=[v for v, _ in VALUES])
def test_what_a_value_looks_like(value: str, kind: str | None) -> None:
    assert value_kind(value) == kind
    assert shown(value) == (repr(value) if kind is None else f"a value that looks like {kind} (not shown)")


def test_many_cells_are_checked_at_once_like_one_at_a_time() -> None:
    """The fast path (numpy over the bytes of a whole column) finds what the cell-by-cell test finds."""
    personal = [v for v, k in VALUES if k] + [" padded@example.org "]
    innocent = [v for v, k in VALUES if not k]
    for base in ("R{:06d}", "Ünïcode-{}", "", "{:012d}"):
        cells = [base.format(i) for i in range(3000)]
        where = random.Random(len(base)).sample(range(3000), len(personal) + len(innocent))
        for at, value in zip(where, personal + innocent, strict=True):
            cells[at] = value
        expected = sorted(i for i, c in enumerate(cells) if value_kind(c) is not None)
        assert personal_cells(cells) == expected
        assert {cells[i].strip() for i in expected} == {p.strip() for p in personal}


def test_free_text_keeps_its_words_and_loses_its_personal_data() -> None:
    assert redact("Call me on +44 20 7946 0000 or at kim.ng@example.org.") == (
        "Call me on [phone number removed] or at [e-mail address removed]."
    )
    assert redact("From 192.168.10.77 near LS1 4AP (51.5074, -0.1278); NHS 943 476 5919.") == (
        "From [IP address removed] near [postcode removed] ([coordinates removed]); NHS [NHS number removed]."
    )
    untouched = [
        "Column 'Q1_2': found '6', which is outside scale 'agree5'; expected a value from 1 to 5, or a code "
        "(8 = Don't know, 9 = Not applicable).",
        "row 3 holds a later response ('submitted_at' '2024-01-15 10:22:01', this row '2024-01-14 09:00:00')",
        "Meeting 12.05.2024 at 10:00 about 3 items; budget 1 234 567; version 1.2.3.",
        "found 'reference 719f2a3f' again",
    ]
    for text in untouched:
        assert redact(text) == text


def test_the_rejected_rows_file_cuts_personal_data_out_of_any_reason() -> None:
    """A plugin reader may quote a cell in its reason; the file never carries it."""
    text = rejected_rows_csv([("e.json", 3, ["Column 'p3': found a nested object ({'who': 'kim.ng@example.org'})."])])
    assert text.splitlines()[1] == (
        "e.json,3,Column 'p3': found a nested object ({'who': '[e-mail address removed]'})."
    )


# -- the export, end to end through the CLI -----------------------------------------------------------

SECRETS = [
    "a.first@example.org",
    "b.work@example.com",
    "12 High Street",
    "943 476 5919",
    "192.168.10.77",
    "c.first@example.org",
    "d.work@example.com",
    "3 Low Road",
    "401 023 2137",
    "10.0.0.5",
    "7946",
    "900123",
]


def duplicate_header_export(path: Path) -> Path:
    return write_csv(
        path,
        [
            ["respondent_id", "Email", "Email", "Home address", "NHS no", "IP Address (v4)", "cg-oc-01"],
            ["r1", "a.first@example.org", "b.work@example.com", "12 High Street, Leeds", "943 476 5919",
             "192.168.10.77", "4"],
            ["r2", "c.first@example.org", "d.work@example.com", "3 Low Road, York", "401 023 2137", "10.0.0.5",
             "d.work@example.com"],
            ["r3", "e.first@example.org", "f.work@example.com", "3 Low Road, York", "401 023 2137", "10.0.0.6",
             "+44 20 7946 0000"],
            ["r4", "g.first@example.org", "h.work@example.com", "3 Low Road, York", "401 023 2137", "10.0.0.7",
             "07700 900123"],
        ],
    )  # fmt: skip


def test_a_duplicated_email_header_and_personal_answers_reach_no_output(tmp_path: Path) -> None:
    export = duplicate_header_export(tmp_path / "export.csv")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["score", str(export), "-i", "clarity-gaps", "-o", str(out)],
                                catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0, result.output
    written = every_byte(out) + result.output
    assert [s for s in SECRETS if s in written] == []
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["responses"]
    assert (
        "Dropped personal columns (never carried into results): 'Email', 'Email (2)', 'Home address', 'NHS no', "
        "'IP Address (v4)'."
    ) in manifest["warnings"]
    tail = (
        ", which is neither a value nor an answer label of scale 'agree5'; expected a value from 1 to 5 or one of "
        "'Strongly disagree', 'Disagree', 'Neither agree nor disagree', 'Agree', 'Strongly agree', \"Don't know\", "
        "'Not applicable'."
    )
    assert [(r["row"], r["reasons"]) for r in manifest["rejected_rows"]] == [
        (3, ["Column 'cg-oc-01': found a value that looks like an e-mail address (not shown)" + tail]),
        (4, ["Column 'cg-oc-01': found a value that looks like a phone number (not shown)" + tail]),
        (5, ["Column 'cg-oc-01': found a value that looks like a phone number (not shown)" + tail]),
    ]


def test_the_check_report_and_its_rejected_rows_file_hold_no_personal_value(tmp_path: Path) -> None:
    export = duplicate_header_export(tmp_path / "export.csv")
    rejected = tmp_path / "rejected.csv"
    for args in (["--json"], []):
        result = run("responses", "check", export, "-i", "clarity-gaps", "--rejected-out", rejected, *args)
        assert result.exit_code == 0
        written = result.output + rejected.read_text(encoding="utf-8")
        assert [s for s in SECRETS if s in written] == []
    report = json.loads(run("responses", "check", export, "-i", "clarity-gaps", "--json").stdout)
    assert report["personal_columns_dropped"] == ["Email", "Email (2)", "Home address", "NHS no", "IP Address (v4)"]
    assert report["unmapped_columns"] == []


# -- respondent ids, attributes and comments ------------------------------------------------------------------


def test_email_respondent_ids_become_pseudonyms_and_duplicates_are_still_caught(tmp_path: Path) -> None:
    export = write_csv(
        tmp_path / "ids.csv",
        [
            ["respondent_id", "p1", "p2", "p3", "l1", "l2"],
            ["kim.ng@example.org", "4", "4", "2", "3", "4"],
            ["R2", "5", "3", "4", "4", "2"],
            ["Kim.Ng@Example.org ", "3", "3", "3", "3", "3"],
            ["sam.roe@example.org", "6", "3", "3", "3", "3"],
        ],
    )
    rs = read_responses(export, plugins.get_instrument(str(MINIMAL)))
    kim, sam = pseudonym("kim.ng@example.org"), pseudonym("sam.roe@example.org")
    assert kim == pseudonym(" KIM.NG@example.org") and kim.startswith("id-") and len(kim) == 13
    assert rs.respondent_ids == (kim, "R2")
    assert [(r.row, r.respondent, r.reasons) for r in rs.rejected] == [
        (4, kim, (f"Column 'respondent_id': found {kim!r} again; respondent ids must be unique and row 2 already "
                  "has it (duplicates='reject' keeps the first).",)),
        (5, sam, ("Column 'p1': found '6', which is outside scale 'agree5'; expected a value from 1 to 5, or a code "
                  "(8 = Don't know, 9 = Not applicable).",)),
    ]  # fmt: skip
    assert (
        "3 respondent id(s) in 'respondent_id' look like personal data (an e-mail address, phone number or the "
        "like); each is replaced by a pseudonym ('id-' and a short hash of it), so it reaches no output while "
        "repeated submissions are still caught."
    ) in rs.warnings
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["score", str(export), "-i", str(MINIMAL), "-o", str(out)],
                                catch_exceptions=False)  # fmt: skip
    assert result.exit_code == 0
    assert kim not in every_byte(out)  # files name rows, not even pseudonymous ids
    assert "example.org" not in every_byte(out).casefold()


def test_a_personal_value_among_attributes_is_blank_and_comments_lose_theirs(tmp_path: Path, minimal) -> None:
    export = write_csv(
        tmp_path / "attrs.csv",
        [
            ["respondent_id", "site", "comment", "p1"],
            ["R1", "North", "Call me on 07700 900123 please.", "4"],
            ["R2", "kim.ng@example.org", "Fine.", "3"],
            ["R3", "North", "Mail kim.ng@example.org or 10.0.0.5", "5"],
            ["R4", "South", "", "2"],
        ],
    )
    rs = read_responses(export, minimal)
    assert rs.attributes == {"site": ("North", None, "North", "South")}
    assert rs.comments == {
        "comment": (
            "Call me on [phone number removed] please.",
            "Fine.",
            "Mail [e-mail address removed] or [IP address removed]",
            None,
        )
    }
    assert (
        "1 value(s) of 'site' look like personal data (an e-mail address, phone number or the like) and are read "
        "as blank, so they reach no output. If the column is not personal, list it under [privacy] not-personal "
        "in a mapping file."
    ) in rs.warnings
    assert (
        "2 comment(s) in 'comment' contain text that looks like personal data (an e-mail address, phone number or "
        "the like); it is replaced by a marker such as '[e-mail address removed]'."
    ) in rs.warnings


def test_a_column_dropped_for_its_values_is_explained(tmp_path: Path, minimal) -> None:
    export = write_csv(
        tmp_path / "v.csv", [["Contact", "p1"], [EMAILS[0], "4"], [EMAILS[1], "3"], ["n/a", "2"], ["", "5"]]
    )
    result = ingest(export, minimal)
    assert result.personal == ("Contact",)
    assert (
        "Column 'Contact' is dropped as personal: 2 of the 3 different value(s) looked at look like personal data "
        "(most like an e-mail address). If it is not personal, list it under [privacy] not-personal in a mapping "
        "file."
    ) in result.responses.warnings


# -- the mapping file, both ways ------------------------------------------------------------------------------------


def test_the_mapping_file_marks_a_column_personal(tmp_path: Path, minimal) -> None:
    export = write_csv(
        tmp_path / "e.csv", [["Badge", "site", "p1"], ["S-1201", "North", "4"], ["S-1202", "South", "3"]]
    )
    assert ingest(export, minimal).personal == ()
    mapping = tmp_path / "m.toml"
    mapping.write_text('[privacy]\npersonal = ["Badge"]\n', encoding="utf-8")
    result = ingest(export, minimal, mapping=mapping)
    assert result.personal == ("Badge",)
    assert {m.column: (m.role, m.how) for m in result.columns}["Badge"] == ("personal", "mapping file")
    assert "S-120" not in repr(result.responses.attributes) + repr(result.responses.warnings)


def test_the_mapping_file_says_a_column_is_not_personal(tmp_path: Path, minimal) -> None:
    """Sites named by their postcode look personal; the consultant knows they are not."""
    export = write_csv(
        tmp_path / "e.csv",
        [["IP", "site", "p1"], ["Drug A", "LS1 4AP", "4"], ["Drug B", "YO1 7HH", "3"], ["Drug A", "LS1 4AP", "5"]],
    )
    before = ingest(export, minimal)
    assert before.personal == ("IP", "site")
    assert before.responses.attributes == {}
    mapping = tmp_path / "m.toml"
    mapping.write_text('[privacy]\nnot-personal = ["IP", "site"]\n', encoding="utf-8")
    after = ingest(export, minimal, mapping=mapping)
    assert after.personal == ()
    assert after.unmapped == ("IP",)
    assert after.responses.attributes == {"site": ("LS1 4AP", "YO1 7HH", "LS1 4AP")}
    assert (
        "Column 'IP' looks personal but is read as usual because the mapping file lists it as not personal."
    ) in after.responses.warnings


def test_a_not_personal_listing_overrides_the_reader(tmp_path: Path, minimal) -> None:
    """SurveyMonkey says 'Email Address' is personal; a survey where it holds a team mailbox can say otherwise."""
    mapping = tmp_path / "m.toml"
    mapping.write_text('[privacy]\nnot-personal = ["Email Address"]\n', encoding="utf-8")
    export = write_csv(
        tmp_path / "sm.csv",
        [
            ["Respondent ID", "Collector ID", "Email Address", "My leader protects time for the work."],
            ["", "", "", "Response"],
            ["114015574876", "1", "ward7@example.org", "Agree"],
        ],
    )
    assert ingest(export, minimal).personal == ("Email Address",)
    assert ingest(export, minimal, mapping=mapping).personal == ()


def test_mapping_file_privacy_problems_are_reported_together(tmp_path: Path, minimal) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        '[columns]\n"Lat" = "attribute:site"\n"Ref" = "personal"\n'
        '[privacy]\npersonal = ["Lat", "Email"]\nnot-personal = ["Email", "Ref"]\nmaybe = ["x"]\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        read_responses(HERE / "fixtures" / "exports" / "generic.csv", minimal, mapping=mapping)
    assert str(err.value) == (
        f"{mapping}: The mapping file has problems:\n"
        "  privacy.maybe: unknown key; expected personal or not-personal.\n"
        "  privacy: column 'Email' is listed both as personal and as not-personal; expected one.\n"
        "  privacy.personal: column 'Lat' is also mapped to 'attribute:site' in [columns]; expected one or the "
        "other.\n"
        "  privacy.not-personal: column 'Ref' is mapped to 'personal' in [columns]; expected one or the other."
    )
    mapping.write_text('[privacy]\npersonal = "Email"\n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_responses(HERE / "fixtures" / "exports" / "generic.csv", minimal, mapping=mapping)
    assert str(err.value) == (
        f"{mapping}: The mapping file has problems:\n"
        "  privacy.personal: found 'Email'; expected a list of column headers, e.g. personal = [\"Site name\"]."
    )


def test_an_item_mapped_by_the_mapping_file_never_quotes_a_personal_answer(tmp_path: Path, minimal) -> None:
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\n"Your email" = "p1"\n', encoding="utf-8")
    export = write_csv(tmp_path / "e.csv", [["Your email", "p2"], ["kim.ng@example.org", "4"], ["4", "3"]])
    result = ingest(export, minimal, mapping=mapping)
    assert [r.reasons for r in result.responses.rejected] == [
        (
            "Column 'Your email': found a value that looks like an e-mail address (not shown), which is neither a "
            "value nor an answer label of scale 'agree5'; expected a value from 1 to 5 or one of 'Strongly "
            "disagree', 'Disagree', 'Neither agree nor disagree', 'Agree', 'Strongly agree', \"Don't know\", "
            "'Not applicable'.",
        )
    ]
    assert "Column 'Your email' looks personal but is kept as item because the mapping file says so." in (
        result.responses.warnings
    )


# -- survey tools -----------------------------------------------------------------------------------------------------


def test_legacy_qualtrics_v_columns_are_personal_by_what_the_second_row_calls_them(tmp_path: Path, minimal) -> None:
    """A legacy export names its metadata V1 … V10 and says in row 2 which is which (V3 Name, V5 EmailAddress)."""
    export = write_csv(
        tmp_path / "legacy.csv",
        [
            ["V1", "V2", "V3", "V4", "V5", "V6", "V7", "V8", "V9", "V10", "Q1", "Q2", "LocationLatitude",
             "LocationLongitude", "LocationAccuracy"],
            ["ResponseID", "ResponseSet", "Name", "ExternalDataReference", "EmailAddress", "IPAddress", "Status",
             "StartDate", "EndDate", "Finished", "My leader protects time for the work.",
             "What is your e-mail address?", "LocationLatitude", "LocationLongitude", "LocationAccuracy"],
            ["R_1aaaaaaaaaaaaaa", "Default Response Set", "Ng, Kim", "panel-77", "kim.ng@example.org",
             "130.92.34.66", "0", "2017-07-18 08:28:09", "2017-07-18 08:28:48", "1", "4", "kim@home.example",
             "47.1150", "7.2315", "-1"],
            ["R_2bbbbbbbbbbbbbb", "Default Response Set", "Roe, Sam", "panel-78", "sam.roe@example.org",
             "130.92.34.67", "1", "2017-07-18 09:28:09", "2017-07-18 09:28:48", "1", "5", "sam@home.example",
             "47.1151", "7.2316", "-1"],
            ["R_3cccccccccccccc", "Default Response Set", "Ng, Kim", "panel-77", "kim.ng@example.org",
             "130.92.34.68", "0", "2017-07-19 08:28:09", "2017-07-19 08:28:48", "1", "2", "kim@home.example",
             "47.1152", "7.2317", "-1"],
        ],
    )  # fmt: skip
    result = ingest(export, minimal)
    assert result.reader == "qualtrics"
    assert result.personal == (
        "V3", "V4", "V5", "V6", "Q2", "LocationLatitude", "LocationLongitude", "LocationAccuracy"
    )  # fmt: skip
    assert {m.column: m.how for m in result.columns}["Q2"] == "header"  # by its question text
    roles = {m.column: (m.role, m.target) for m in result.columns}
    assert roles["V1"] == ("respondent-id", None) and roles["V9"] == ("submitted-at", None)
    assert roles["Q1"] == ("item", "p2")
    rs = result.responses
    assert rs.respondent_ids == ("R_1aaaaaaaaaaaaaa",)
    assert [r.reasons for r in rs.rejected] == [
        (
            "Column 'V7': found '1' (survey preview); expected a real response (0 = IP address, 4 = imported, "
            "16 = offline). Preview, test and spam responses are not scored.",
        ),
        (  # the panel reference in V4 catches a second submission under a new response id
            "Column 'V4 (kept private)': found 'reference 398531ff' again; respondent ids must be unique and row 3 "
            "already has it (duplicates='reject' keeps the first).",
        ),
    ]
    carried = repr((rs.attributes, rs.comments, rs.warnings, rs.rejected))
    assert not [s for s in ("Kim", "Roe", "panel-7", "example", "130.92", "47.11") if s in carried]


def test_redcap_fields_validated_as_email_or_phone_are_personal(tmp_path: Path, minimal) -> None:
    header = (
        '"Variable / Field Name","Form Name","Section Header","Field Type","Field Label",'
        '"Choices, Calculations, OR Slider Labels","Field Note","Text Validation Type OR Show Slider Number",'
        '"Text Validation Min","Text Validation Max","Identifier?"\n'
    )
    dictionary = tmp_path / "dictionary.csv"
    dictionary.write_text(
        header
        + 'record_id,survey,,text,"Record ID",,,,,,\n'
        + 'reach,survey,,text,"How can we reach you?",,,email,,,\n'
        + 'callback,survey,,text,"Call-back",,,phone,,,\n'
        + 'p1,survey,,text,"Goal",,,integer,,,\n',
        encoding="utf-8",
    )
    records = write_csv(
        tmp_path / "records.csv",
        [["record_id", "reach", "callback", "p1"], ["1", "kim.ng@example.org", "07700 900123", "4"]],
    )
    result = ingest(records, minimal, format="redcap", options={"dictionary": str(dictionary)})
    assert result.personal == ("reach", "callback")
    assert {m.column: m.how for m in result.columns}["reach"] == "reader"


def test_a_personal_looking_header_that_is_an_items_text_is_that_item(tmp_path: Path) -> None:
    """A matrix row "Channel usefulness - Phone" names a phone, but it is the item's own text."""
    source = MINIMAL.read_text(encoding="utf-8")
    instrument_file = tmp_path / "channels.toml"
    instrument_file.write_text(
        source.replace(
            'text = "My leader states a measurable goal for {intervention}."', 'text = "Channel usefulness - Phone"'
        ),
        encoding="utf-8",
    )
    instrument = plugins.get_instrument(str(instrument_file))
    export = write_csv(
        tmp_path / "e.csv", [["Channel usefulness - Phone", "p2"], ["4", "3"], ["+44 20 7946 0000", "2"]]
    )
    result = ingest(export, instrument)
    assert {m.column: (m.role, m.target) for m in result.columns}["Channel usefulness - Phone"] == ("item", "p1")
    assert result.personal == ()
    assert (
        "Column 'Channel usefulness - Phone' looks personal but its text is that of item 'p1', so it is read as that "
        "item; its answers are never quoted."
    ) in result.responses.warnings
    assert "7946" not in repr(result.responses.rejected)


def test_a_home_made_export_starting_with_respondent_id_keeps_its_first_response_out_of_the_headers(
    tmp_path: Path, minimal
) -> None:
    """SurveyMonkey exports start with "Respondent ID" too, but their second row is blank under it;
    read as SurveyMonkey, this file's first response would become part of every column name."""
    export = write_csv(
        tmp_path / "e.csv",
        [["Respondent ID", "Contact", "p1"], ["R1", "kim.ng@example.org", "4"], ["R2", "sam.roe@example.org", "3"]],
    )
    result = ingest(export, minimal)
    assert result.reader == "csv"
    assert result.responses.respondent_ids == ("R1", "R2")
    assert result.personal == ("Contact",)
    # Forced to read it as SurveyMonkey, the error naming the columns still quotes no address.
    with pytest.raises(InputError) as err:
        ingest(export, minimal, format="surveymonkey")
    assert "'Contact - [e-mail address removed]'" in str(err.value)


# -- hostile text --------------------------------------------------------------------------------------------------

HOSTILE = settings(max_examples=200, deadline=None)
local_part = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=1, max_size=12).filter(
    lambda s: s[0].isalnum() and s[-1].isalnum()
)
label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10)


@HOSTILE
@given(before=st.text(max_size=40), user=local_part, host=label, tld=label, after=st.text(max_size=40))
def test_an_address_anywhere_in_free_text_is_cut_out(before: str, user: str, host: str, tld: str, after: str) -> None:
    address = f"{user}@{host}.{tld}"
    text = f"{before} {address} {after}"
    assert address not in redact(text)


@HOSTILE
@given(text=st.text(max_size=80))
def test_no_text_breaks_the_personal_data_tests(text: str) -> None:
    assert isinstance(redact(text), str)
    assert value_kind(text) in (None, *{k for _, k in VALUES if k})
    assert personal_kind(text) is None or isinstance(personal_kind(text), str)


@HOSTILE
@given(cells=st.lists(st.text(max_size=30), max_size=20), at=st.integers(0, 1200))
def test_the_fast_column_check_agrees_with_the_cell_by_cell_one(cells: list[str], at: int) -> None:
    column = [f"R{i:06d}" for i in range(1200)]
    column[at:at] = cells
    assert personal_cells(column) == [i for i, c in enumerate(column) if value_kind(c) is not None]
