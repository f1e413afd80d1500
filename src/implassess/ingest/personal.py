"""Personal data: recognised by column header and by value, and never repeated.

A header is read as words, whatever the tool made of it: ``RecipientEmail``,
``name_first``, ``IP Address (v4)``, ``Email (2)``, ``Contact information - Name``,
``demo_birth_date``, ``Téléphone portable``. It names personal data when its words are a
personal term (e-mail, name, phone, address, postcode, birth, record or identity number,
IP, device id, coordinates, in English and the languages exports come in) plus only
words that may stand beside one (``your``, ``work``, ``number``, ``de``, ``Ihre`` …).
Any other word makes it something else: ``Team name``, ``Name of your site`` and
``Address barriers early`` are not personal.

A value is personal when it looks like an e-mail address, a phone number, an IP
address, an NHS number, a postcode, a pair of coordinates or a payment card number.
Such a value is never quoted: :func:`shown` describes it instead, :func:`redact` cuts it
out of free text, :func:`pseudonym` stands in for it as a respondent id.
"""

from __future__ import annotations

import hashlib
import html
import ipaddress
import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache

# -- words ---------------------------------------------------------------------------------

EMAIL = "e-mail address"
NAME = "name"
PHONE = "phone number"
ADDRESS = "postal address"
POSTCODE = "postcode"
BIRTH = "date of birth"
RECORD = "record or identity number"
IP = "IP address"
DEVICE = "device id"
LOCATION = "coordinates"
CONTACT = "contact details"
REFERENCE = "panel reference"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Words that name personal data on their own (accents folded: ``prenom``, ``fodselsdato``).
#: "Strong" words name it whatever stands beside them (``School email``); weak ones
#: (``name``, ``address``, ``mobile``) only beside words that may stand with them.
_STRONG: dict[str, frozenset[str]] = {
    EMAIL: _words(
        "email emails emailaddress emailadres emailadresse emailadress courriel sahkoposti sahkopostiosoite "
        "epost epostadresse epostadress mailadres mailadresse"
    ),
    PHONE: _words(
        "phone phones telephone telephones phonenumber telefon telefono telefone telefoon puhelin puhelinnumero "
        "telefonnummer telefoonnummer telefonnumer cellphone smartphone telemovel matkapuhelin handynummer "
        "mobilnummer mobilnr gsm fax whatsapp"
    ),
    BIRTH: _words(
        "dob birth birthdate birthday geburtsdatum geburtstag geburt naissance nacimiento nascimento nascita "
        "geboortedatum geboorte fodselsdato fodselsdag fodsel fodelsedatum fodelsedag fodelse syntymaaika "
        "syntymapaiva"
    ),
    RECORD: _words(
        "mrn ssn passport bsn burgerservicenummer personnummer fodselsnummer cpr henkilotunnus hetu kennitala "
        "dni nif nie cpf nir steuernummer sozialversicherungsnummer codicefiscale personalnummer"
    ),
    IP: _words("ip ipv4 ipv6 ipaddress ipaddr ipadresse ipadres"),
    DEVICE: _words("imei udid idfa deviceid"),
    LOCATION: _words(
        "latitude longitude geolocation geopoint gps coordinates coords breitengrad langengrad latitud longitud "
        "latitudine longitudine breedtegraad lengtegraad leveysaste pituusaste koordinaten coordonnees "
        "coordenadas coordinate"
    ),
    POSTCODE: _words("postcode postcodes zipcode postalcode plz postleitzahl cep postnummer postinumero postnr"),
    CONTACT: _words("kin nextofkin"),
}
_WEAK: dict[str, frozenset[str]] = {
    EMAIL: _words("mail correo"),
    NAME: _words(
        "name names fullname firstname lastname surname surnames forename forenames givenname familyname "
        "nickname username initials nom prenom nombre nombres apellido apellidos nome cognome sobrenome naam "
        "voornaam achternaam roepnaam navn fornavn etternavn efternavn namn fornamn efternamn nimi etunimi "
        "sukunimi kokonimi vorname nachname familienname benutzername gebruikersnaam anvandarnamn brukernavn "
        "brugernavn kayttajanimi"
    ),
    PHONE: _words("tel mobile mobil movil mobiel cellulare celular cell handy"),
    ADDRESS: _words(
        "address addresses addr adresse adres adress direccion domicilio endereco indirizzo morada osoite "
        "anschrift street strasse calle hausnummer wohnort wohnadresse postadresse streetaddress"
    ),
    POSTCODE: _words("zip postal"),
    LOCATION: _words("lat lng lon"),
}
#: Two words that together name personal data (either may come first).
_PAIRS: tuple[tuple[frozenset[str], frozenset[str], str], ...] = (
    (_words("ip"), _words("address addr adresse adres"), IP),
    (
        _words(
            "nhs chi patient hospital medical chart insurance passport national social security ni medicare "
            "medicaid seguridad securite sicurezza seguranca"
        ),
        _words("number no nr num id identifier nummer numero record insurance"),
        RECORD,
    ),
    (
        _words("employee staff personnel payroll badge member membership worker personal mitarbeiter"),
        _words("number no nr num id identifier code ref nummer numero"),
        RECORD,
    ),
    (
        _words("device mac android advertising sim subscriber serial"),
        _words("id identifier number no serial address"),
        DEVICE,
    ),
    (_words("external externe"), _words("reference ref datenreferenz"), REFERENCE),
    (_words("emergency"), _words("contact contacts"), CONTACT),
    (_words("submitter submitted"), _words("id by"), NAME),
    (_words("codice codigo code"), _words("postal postale fiscale"), POSTCODE),
    (_words("posta correio"), _words("elettronica eletronico electronico"), EMAIL),
    (
        _words("address adresse adres direccion endereco indirizzo"),
        _words("electronique electronica electronico eletronico elettronica"),
        EMAIL,
    ),
    (
        _words("contact contacto contato contatto kontakt"),
        _words("details detail info information informacion informacoes dati datos gegevens"),
        CONTACT,
    ),
)

#: Words that may stand beside any personal term (folded, lower case).
_FILLER = _words(
    # English
    "a an the of and or for in to at on by with your you my our his her their what whats is are please enter "
    "provide give type write optional required mandatory only own if any again confirm confirmed verify verified "
    "repeat re respondent respondents participant participants person personal people user employee staff "
    "patient client customer member contact recipient submitter manager supervisor coach mentor colleague "
    "parent guardian spouse next kin emergency leader work home private business office primary secondary "
    "alternate alternative other main current permanent mailing billing physical residential number no nr num "
    "numero nummer id identifier ids code ref reference details detail info information data field value text "
    "location geo accuracy altitude precision external v rater raters assessor evaluator being rated social "
    "security"
    # German
    " ihr ihre ihren ihrer dein deine der die das des dem den und oder bitte vollstandiger vollstandige "
    "vollstandigen geben sie angeben lautet wie ist empfangers empfanger teilnehmer teilnehmers teilnehmerin "
    "mitarbeiter mitarbeiters privat private geschaftlich geschaftliche dienstlich dienstliche standort "
    "standorts externe"
    # French
    " votre vos ton ta tes le la les de du d l et ou svp veuillez indiquer saisir quel quelle est complet sociale "
    "complete personnel personnelle professionnel professionnelle travail fixe portable electronique "
    "destinataire repondant"
    # Spanish, Portuguese, Italian
    " su sus tu tus el los las del y o por favor indique introduzca escriba cual es completo completa trabajo "
    "casa fijo participante encuestado seu sua seus suas os as do da dos das e informe qual eletronico "
    "residencial electronico elettronica il lo i gli di della dei per inserisci inserire lavoro partecipante"
    # Dutch and the Nordic languages
    " uw je jouw het van en een graag vul wat volledige mobiele prive werk deelnemer din ditt dine er hva vad og "
    "ar fulle fullstandigt fullt arbete arbeid arbejde deltager deltaker deltagare hjem hem koko"
)
#: Words that may stand beside one kind of term only (``Address - City``, ``Last name``).
_WITH_KIND: dict[str, frozenset[str]] = {
    NAME: _words(
        "full first last given family middle maiden preferred legal display official nick screen christian "
        "famille familia familie line vor utilisateur usuario utente benutzer gebruiker anvandare bruker bruger "
        "kayttaja primer segundo paterno materno pila usage proprio"
    ),
    ADDRESS: _words(
        "line street city town state province county region country locality apt apartment suite building "
        "house flat postal postale ort ville ciudad cidade citta stad plaats by kaupunki residenza residencia "
        "residence domicile"
    ),
    POSTCODE: _words("city town ort ville"),
    BIRTH: _words("date day year month place datum fecha data dato paiva aika lieu lugar luogo sted ort"),
    LOCATION: _words("long"),
    PHONE: _words("phone number"),
}
#: Words that say a header is about something else, even in a short or machine-made header:
#: organisational units (``team_name``, ``site_name``) and uses of a channel (``Phone calls``).
_OTHER = _words(
    "team site department unit ward org organisation organization company employer hospital practice trust "
    "clinic service project programme program product file form instrument event arm group survey study course "
    "role job title brand drug region country city state language host server app application "
    "variable column category dimension item question option choice scale level stage phase wave cohort "
    "sector division directorate vendor supplier tool system platform channel source campaign list sheet "
    "table model version locale tag folder path domain building room floor area zone district pathway "
    "intervention initiative facility network calls call consultation consultations based usage use support "
    "training reminder reminders invitation invitations communication communications marketing newsletter "
    "updates update frequency rate volume count time minutes hours response responses reply replies "
    "effective effectiveness barrier barriers given equipe equipo squadra abteilung servicio "
    "afdeling avdeling avdelning osasto"
)

_ALL_KNOWN = (
    _FILLER
    | frozenset().union(*_STRONG.values(), *_WEAK.values(), *_WITH_KIND.values())
    | frozenset().union(*(a | b for a, b, _ in _PAIRS))
)
#: Which kind a header names when it names several (``Email address`` is an e-mail address).
_PRIORITY = (IP, EMAIL, PHONE, BIRTH, RECORD, DEVICE, LOCATION, REFERENCE, CONTACT, POSTCODE, ADDRESS, NAME)
_CONTACT_WORDS = _words(
    "contact contacts contacto contato contatto kontakt kontaktdaten kontaktinformationen coordonnees datos "
    "informacion informacoes contactgegevens kontaktuppgifter kontaktinformasjon kontaktoplysninger yhteystiedot"
)

# -- reading a header as words --------------------------------------------------------------

_TAG_RE = re.compile(r"<[^>]+>")
_LETTERS = str.maketrans(
    {"ß": "ss", "æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "œ": "oe", "Œ": "Oe", "ł": "l", "Ł": "L", "đ": "d"}
)
_EMAIL_WORD_RE = re.compile(r"(?i)\be[\s_.\-]?mail")
_IPV_RE = re.compile(r"(?i)\bip[\s_\-]?v[\s_\-]?([46])\b")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD_RE = re.compile(r"[^a-z0-9]+")
_EDGE_DIGITS_RE = re.compile(r"^\d+|\d+$")


def fold(text: str) -> str:
    """Text without accents (``Fødselsdato`` → ``Fodselsdato``, ``Straße`` → ``Strasse``)."""
    s = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).translate(_LETTERS))
    return "".join(ch for ch in s if not unicodedata.combining(ch))


def header_words(header: str) -> list[str]:
    """The words of a header, lower case without accents, tool numbering and duplicate suffixes.

    ``RecipientFirstName`` → recipient first name; ``IP Address (v4)`` → ip address;
    ``Email (2)`` → email; ``demo_birth_date`` → demo birth date; ``Q3_email2`` → email.
    Compound words are split where every piece is known (``homeaddress`` → home address).
    """
    s = fold(html.unescape(_TAG_RE.sub(" ", header)))
    s = _EMAIL_WORD_RE.sub("email", s)
    s = _IPV_RE.sub(r" ipv\1 ", s)
    s = _CAMEL_RE.sub(" ", s).casefold()
    out: list[str] = []
    for raw in _NON_WORD_RE.split(s):
        w = raw if raw in ("ipv4", "ipv6") else _EDGE_DIGITS_RE.sub("", raw)
        if len(w) < 2:
            continue  # numbering (Q12, V4, the "(2)" of a duplicate) and stray letters
        out += _split_compound(w) if w not in _ALL_KNOWN else [w]
    return out


@lru_cache(maxsize=4096)
def _split_compound_cached(word: str) -> tuple[str, ...] | None:
    if len(word) < 5:
        return None
    best: list[tuple[str, ...] | None] = [None] * (len(word) + 1)
    best[0] = ()
    for end in range(2, len(word) + 1):
        for start in range(0, end - 1):
            head = best[start]
            if head is not None and word[start:end] in _ALL_KNOWN:
                best[end] = (*head, word[start:end])
                break
    found = best[len(word)]
    return found if found and len(found) > 1 else None


def _split_compound(word: str) -> list[str]:
    return list(_split_compound_cached(word) or (word,))


# -- headers ---------------------------------------------------------------------------------


def _pair(words: list[str], first: frozenset[str], second: frozenset[str]) -> set[str]:
    """The two words of a pair standing together (``NHS no``, ``External Data Reference``,
    ``numéro de patient``), but not ``number of staff``, which counts."""
    for i, w in enumerate(words):
        if w not in first:
            continue
        for j in range(max(0, i - 2), min(len(words), i + 3)):
            if j == i or words[j] not in second or words[j] == w:
                continue
            between = words[min(i, j) + 1 : max(i, j)]
            if "of" not in between:
                return {w, words[j]}
    return set()


def _kinds(words: list[str]) -> tuple[list[str], set[str], bool]:
    """(kinds named, words that named them, whether a strong term is among them)."""
    kinds: list[str] = []
    used: set[str] = set()
    strong = False
    present = set(words)
    for kind, terms in _STRONG.items():
        if hit := present & terms:
            kinds.append(kind)
            used |= hit
            strong = True
    for first, second, kind in _PAIRS:
        hit = _pair(words, first, second)
        if hit:
            kinds.append(kind)
            used |= hit
            strong = True
    for kind, terms in _WEAK.items():
        if hit := present & terms:
            kinds.append(kind)
            used |= hit
    return kinds, used, strong


#: Words that, last in a header, make it a flag about personal data rather than the data
#: itself: REDCap's ``next_of_kin_confirmed`` (a yes/no radio), ``email_verified``.
_STATUS_LAST = _words("confirmed verified validated")


def _judge(words: list[str], machine: bool) -> str | None:
    """The kind of personal data ``words`` name, or None."""
    if len(words) > 1 and words[-1] in _STATUS_LAST:
        return None
    kinds, used, strong = _kinds(words)
    if not kinds:
        return None
    allowed = set(_FILLER)
    for k in kinds:
        allowed |= _WITH_KIND.get(k, frozenset())
    rest = [w for w in words if w not in used and w not in allowed and len(w) > 1]
    kind = min(kinds, key=_PRIORITY.index)
    if not rest:
        return kind
    if len(rest) > 1 or rest[0] in _OTHER or rest[0] in _ALL_KNOWN:
        return None
    if machine and words[0] == rest[0] and len(rest[0]) <= 5:
        return kind  # a form prefix: REDCap's demo_birth_date, ec_phone
    if strong and len(words) <= 4:
        return kind  # "School email", "Guardian telephone"
    return None


@lru_cache(maxsize=8192)
def personal_kind(header: str) -> str | None:
    """What personal data a column header names (``"e-mail address"``, ``"name"`` …), or None."""
    text = " ".join(str(header).split())
    if not text:
        return None
    candidates = [text]
    unhinted = " ".join(re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text).split())
    if unhinted and unhinted != text:
        candidates.append(unhinted)  # "Email address (please write clearly)", "SSN (last 4)"
    last = re.split(r"[/:]", text)[-1].strip()
    if last and last != text:
        candidates.append(last)
    parts = re.split(r"\s+[-–—]\s+", text)
    if len(parts) > 1:
        head = set(header_words(" ".join(parts[:-1])))
        if head & _CONTACT_WORDS and head <= _CONTACT_WORDS | _FILLER:
            return CONTACT  # SurveyMonkey's "Contact information - City/Town" and its siblings
        candidates.append(parts[-1])
    for c in candidates:
        machine = " " not in c.strip()
        kind = _judge(header_words(c), machine)
        if kind is not None:
            return kind
    return None


def is_personal(header: str) -> bool:
    """Whether a column header names personal data (see :func:`personal_kind`)."""
    return personal_kind(header) is not None


# -- values ----------------------------------------------------------------------------------

V_EMAIL = "an e-mail address"
V_PHONE = "a phone number"
V_IP = "an IP address"
V_NHS = "an NHS number"
V_POSTCODE = "a postcode"
V_LOCATION = "coordinates"
V_CARD = "a payment card number"

_EMAIL_RE = re.compile(r"^(?:mailto:)?[^\s@<>()\[\],;:\"']+@[^\s@<>()\[\],;:\"'.]+(?:\.[^\s@<>()\[\],;:\"'.]+)+$")
_IPV4_RE = re.compile(r"^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$")
_PHONE_CHARS_RE = re.compile(r"^\+?[\d\s().\-/]+$")
_DATE_RE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{4}")
_SHORT_DATE_RE = re.compile(r"^\d{1,2}[-/.]\d{1,2}[-/.]\d{2}$")
_GROUP_SEP_RE = re.compile(r"[\s().\-/]+")
_UK_POSTCODE_RE = re.compile(r"^(?:[A-Z]{1,2}\d[A-Z\d]?|GIR) ?\d[A-Z]{2}$", re.IGNORECASE)
_CA_POSTCODE_RE = re.compile(r"^[ABCEGHJ-NPRSTVXY]\d[A-Z] ?\d[A-Z]\d$", re.IGNORECASE)
_LATLNG_RE = re.compile(r"^(-?\d{1,2}\.\d{3,})\s*[,;\s]\s*(-?\d{1,3}\.\d{3,})(?:\s+-?\d+(?:\.\d+)?){0,2}$")
_CARD_RE = re.compile(r"^\d(?:[ \-]?\d){12,18}$")
_NHS_RE = re.compile(r"^\d{3}[ -]?\d{3}[ -]?\d{4}$")


def _nhs_valid(digits: str) -> bool:
    """The NHS number check digit (modulus 11)."""
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    check = 11 - sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)) % 11
    return (0 if check == 11 else check) == int(digits[9])


def _luhn(digits: str) -> bool:
    total = 0
    for i, d in enumerate(reversed(digits)):
        n = int(d)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _is_phone(s: str) -> bool:
    if not _PHONE_CHARS_RE.match(s) or _DATE_RE.search(s) or _SHORT_DATE_RE.match(s):
        return False
    digits = "".join(ch for ch in s if ch.isdigit())
    n = len(digits)
    if not 7 <= n <= 15:
        return False
    if s.startswith("+") or (s.startswith("00") and s[2:3] not in ("", "0")):
        return n >= 8
    groups = [g for g in _GROUP_SEP_RE.split(s) if g]
    if len(groups) == 1:
        return s[0] == "0" and s[1:2] != "0" and 9 <= n <= 11  # 07700900123, 0612345678
    if n < 8:
        return False
    seps = {ch for ch in s if not ch.isdigit()}
    if seps <= {" ", "."} and len(seps) == 1:
        if 1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:]):
            return False  # 1 234 567, 1.234.567: a number with its thousands grouped
        if len(groups) == 2 and seps == {"."}:
            return False  # 3.14159265
    if "(" in s:
        return True
    return len(groups) >= 3 or s[0] == "0"


def _is_ipv6(s: str) -> bool:
    if s.count(":") < 2 or len(s) > 64:
        return False
    try:
        ipaddress.IPv6Address(s.split("%")[0])
    except ValueError:
        return False
    return True


def _latlng(m: re.Match[str]) -> bool:
    return abs(float(m.group(1))) <= 90 and abs(float(m.group(2))) <= 180


_NO_DIGITS = str.maketrans("", "", "0123456789")


def value_kind(value: object) -> str | None:
    """What personal data a single cell looks like (``"an e-mail address"`` …), or None."""
    if value is None or isinstance(value, (bool, int, float)):
        return None
    s = str(value).strip()
    n = len(s)
    if n < 3 or n > 320:
        return None
    if "@" in s:
        return V_EMAIL if _EMAIL_RE.match(s) else None
    if ":" in s:
        return V_IP if s.count(":") >= 2 and _is_ipv6(s) else None
    # Most cells are ruled out by their number of digits alone.
    digits = n - len(s.translate(_NO_DIGITS))
    if digits < 7:
        if 5 <= n <= 8 and 2 <= digits and (_UK_POSTCODE_RE.match(s) or _CA_POSTCODE_RE.match(s)):
            return V_POSTCODE
        return V_IP if digits >= 4 and _IPV4_RE.match(s) else None
    if s.isdigit():
        if digits == 10 and _nhs_valid(s):
            return V_NHS
        if s[0] == "0" and s[1] != "0" and 9 <= digits <= 11:
            return V_PHONE  # 07700900123
        return V_CARD if 13 <= digits <= 19 and _luhn(s) else None
    if "." in s:
        if _IPV4_RE.match(s):
            return V_IP
        if (m := _LATLNG_RE.match(s)) and _latlng(m):
            return V_LOCATION
    if digits == 10 and _NHS_RE.match(s) and _nhs_valid("".join(ch for ch in s if ch.isdigit())):
        return V_NHS
    if _is_phone(s):
        return V_PHONE
    if 13 <= digits <= 19 and _CARD_RE.match(s) and _luhn("".join(ch for ch in s if ch.isdigit())):
        return V_CARD
    return None


def looks_personal(value: object) -> bool:
    """Whether a cell looks like personal data (see :func:`value_kind`)."""
    return value_kind(value) is not None


def shown(value: object) -> str:
    """A cell as a message may quote it: ``repr`` unless it looks personal, then a description."""
    kind = value_kind(value)
    return repr(value) if kind is None else f"a value that looks like {kind} (not shown)"


def pseudonym(value: str) -> str:
    """A stable stand-in for a personal-looking respondent id: ``id-`` and 10 hex digits of its hash.

    The same address in another case or with spaces around it gets the same pseudonym, so
    duplicates are still caught and waves still line up.
    """
    return "id-" + hashlib.sha256(value.strip().casefold().encode("utf-8")).hexdigest()[:10]


# -- text ------------------------------------------------------------------------------------

#: Where personal data may sit in free text; each candidate is confirmed by :func:`value_kind`.
_IN_TEXT = (
    re.compile(r"(?<![\w.+\-])[\w.+%\-]+@[\w\-]+(?:\.[\w\-]+)+"),
    re.compile(r"(?<![\w.:])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])"),
    re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])"),
    re.compile(r"(?<![\w.,])-?\d{1,2}\.\d{3,},\s*-?\d{1,3}\.\d{3,}(?![\w.])"),
    re.compile(r"(?<![\w:+.,/\-])\+?\(?\d[\d().\-/]*(?: [\d().\-/]+)*\d(?![\w:])"),
    re.compile(r"\b(?:[A-Z]{1,2}\d[A-Z\d]?) \d[A-Z]{2}\b"),
)
#: A cheap first look: text this does not match holds nothing :func:`redact` or
#: :func:`value_kind` would find (no @, no two colons, no dotted number, fewer than 7
#: digits on a line, no postcode-shaped line or word).
_MAYBE_RE = re.compile(
    r"@|:[^\n]*:|\d\.\d|(?:\d[^\d\n]*){6}\d|\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b"
    r"|(?im:^\s*[a-z]{1,2}\d[a-z\d]? ?\d[a-z]{2}\s*$)"
)


def _removed(m: re.Match[str]) -> str:
    kind = value_kind(m.group())
    return m.group() if kind is None else f"[{kind.removeprefix('an ').removeprefix('a ')} removed]"


def redact(text: str) -> str:
    """``text`` with every e-mail address, phone number, IP address, NHS number, coordinate
    pair and UK postcode in it replaced by ``[e-mail address removed]`` and the like."""
    if not text or not _MAYBE_RE.search(text):
        return text
    for pattern in _IN_TEXT:
        text = pattern.sub(_removed, text)
    return text


def personal_cells(values: Sequence[str]) -> list[int]:
    """Positions of the texts that look personal.

    A column of 100,000 respondent ids is looked at with numpy over its bytes (digits,
    separators, ``@`` and ``:`` counted per cell), and :func:`value_kind` runs only on the
    few cells that could be personal at all.
    """
    texts = list(map(str.strip, values))
    n = len(texts)
    data = "\n".join(texts).encode("utf-8", "surrogatepass")
    if n < 1000 or data.count(b"\n") != n - 1:
        return [i for i, t in enumerate(texts) if value_kind(t) is not None]
    import numpy as np

    raw = np.frombuffer(data, dtype=np.uint8)
    breaks = np.flatnonzero(raw == 10)
    starts = np.concatenate(([0], breaks + 1))
    lengths = np.concatenate((breaks, [len(raw)])) - starts
    if lengths.max() >= 1 << 12:
        return [i for i, t in enumerate(texts) if value_kind(t) is not None]
    # One pass counts four things per cell, each in its own 12 bits of one integer.
    weights = np.zeros(256, dtype=np.int64)
    weights[48:58] = 1  # digits
    weights[np.frombuffer(b" +().-/,;", dtype=np.uint8)] = 1 << 12  # separators
    weights[64] = 1 << 24  # @
    weights[58] = 1 << 36  # :
    sums = np.add.reduceat(weights[raw], np.minimum(starts, len(raw) - 1))
    sums[lengths == 0] = 0
    digits, separators = sums & 0xFFF, (sums >> 12) & 0xFFF
    at_signs, colons = (sums >> 24) & 0xFFF, sums >> 36
    first = raw[np.minimum(starts, len(raw) - 1)]
    second = raw[np.minimum(starts + 1, len(raw) - 1)]
    numeric = lengths == digits + separators  # digits and separators only: phone, IP, NHS, card numbers
    plain = numeric & (separators == 0)
    maybe = (at_signs > 0) | (colons >= 2)
    maybe |= numeric & (separators > 0) & (digits >= 4)
    maybe |= plain & ((digits == 10) | ((digits >= 13) & (digits <= 19)))
    maybe |= plain & (first == 48) & (second >= 49) & (second <= 57) & (digits >= 9) & (digits <= 11)
    maybe |= (lengths >= 5) & (lengths <= 8) & (digits >= 2) & (digits <= 3) & (lengths - digits - separators >= 2)
    return [i for i in np.flatnonzero(maybe).tolist() if value_kind(texts[i]) is not None]


def column_kind(values: Iterable[object], *, sample: int = 400) -> tuple[str, int, int] | None:
    """(kind, cells that look personal, cells looked at) when at least half of a column's
    non-blank cells look personal, else None. Up to ``sample`` distinct cells are looked at."""
    seen: dict[str, None] = {}
    for v in values:
        if v is None:
            continue
        s = str(v).strip()
        if s and s not in seen:
            seen[s] = None
            if len(seen) >= sample:
                break
    if not seen:
        return None
    counts: dict[str, int] = {}
    for s in seen:
        if (k := value_kind(s)) is not None:
            counts[k] = counts.get(k, 0) + 1
    hits = sum(counts.values())
    if hits * 2 < len(seen):
        return None
    return max(counts, key=lambda k: counts[k]), hits, len(seen)
