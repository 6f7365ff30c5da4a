"""Sensitive-data scan: does a model candidate use PHI, PCI or PII columns as features?

The scan reads column profiles (name, storage type, DSS tags and meaning, a bounded
sample of values) and reports every column that looks like one of the 18 HIPAA Safe
Harbor identifiers (45 CFR 164.514(b)(2)) or payment card data. Four kinds of evidence
are used, each reported as the finding's ``basis``:

- ``tag``: a DSS column tag that the policy lists as sensitive (any case).
- ``meaning``: a DSS meaning that implies an identifier. The built-in meanings used are
  "E-mail address" (``Email``), "IP Address" (``IPAddress``), "URL" (``URL``), the
  coordinate meanings (``GeoPoint``, ``Latitude``, ``Longitude``) and the date meanings
  (``Date``, ``DateOnly``, ``DatetimeNoTz``, ``DateSource``), from the DSS page "List
  of recognized meanings". DSS has no built-in phone meaning. A meaning id that is not
  built in is user-defined and is read with the column-name rules.
- ``name``: the column name, split into tokens (snake_case, camelCase, kebab-case,
  spaces, run-together words such as ``zipcode``) and matched against token phrases.
- ``value``: sampled values matching an identifier pattern, when the matching share of
  non-empty values reaches ``min_value_share``.

Decisions that keep ordinary claim features out of the findings:

- Identifiers of care providers, facilities, payers and merchants (``provider_id``,
  ``provider_zip``, ``npi``) describe the other party of a claim, not the patient; the
  contextual name rules skip them. Identifiers only a person has (SSN, dates, medical
  record, member number, biometrics, photos) are flagged whoever they belong to.
- The year alone is allowed: ``claim_date_year`` and ``birth_year`` pass. Names with
  only a month, week or quarter pass too; full dates are flagged as ``date``.
- Age groups pass (``patient_age_group``); a raw age column is flagged only when a
  sampled age is above 89, which Safe Harbor requires to be grouped as 90 or older.
- Counts, flags and derived indicators (``n_phone_numbers``, ``has_email``,
  ``email_domain``) pass: they do not carry the identifier itself.
- Value patterns that also fit ordinary codes are narrowed. ZIP codes are read only in
  string columns (5-digit integers are common) or columns named like a ZIP, and never
  in columns named as ids or codes. Bare 9-digit numbers count as SSNs except in
  provider or ZIP columns (tax ids, ZIP+4). Phone numbers need separators, brackets or
  a +1 prefix (bare 10-digit numbers are common ids). Medical record and member numbers
  need an ``MRN``/``MBR`` style prefix; Medicare beneficiary identifiers follow the CMS
  MBI format.
- Sampled dates are called ``date_of_birth`` when their years spread over at least 15
  years between the 10th and 90th percentile, as a population's birth dates do, and
  ``date`` otherwise. Only 4-digit years from 1900 to 2099 are read, and compact forms
  such as ``20230115`` are not, since they look like ids.

Findings never quote a value: details give shares and counts only, so they can be
logged and shown to reviewers without exposing PHI.
"""

from __future__ import annotations

import calendar
import ipaddress
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from model_governance.core.errors import ValidationError

__all__ = [
    "DEFAULT_MIN_VALUE_SHARE",
    "DEFAULT_SENSITIVE_TAGS",
    "IDENTIFIER_KINDS",
    "MAX_SAMPLE_VALUES",
    "ColumnProfile",
    "FindingBasis",
    "SensitiveFinding",
    "luhn_valid",
    "scan_columns",
]

logger = logging.getLogger(__name__)

FindingBasis = Literal["tag", "name", "value", "meaning"]

DEFAULT_SENSITIVE_TAGS: tuple[str, ...] = ("PHI", "PCI")
DEFAULT_MIN_VALUE_SHARE = 0.3
MAX_SAMPLE_VALUES = 1000

_KIND_LABELS: dict[str, str] = {
    "name": "a person's name",
    "geography": "a geographic subdivision smaller than a state",
    "zip_code": "a ZIP or postal code",
    "date_of_birth": "a date of birth",
    "date": "a date related to an individual, more precise than the year",
    "age_over_89": "an age above 89",
    "phone": "a telephone number",
    "fax": "a fax number",
    "email": "an e-mail address",
    "ssn": "a Social Security number",
    "medical_record_number": "a medical record number",
    "member_id": "a health plan member or subscriber number",
    "health_plan": "a health plan beneficiary or policy number",
    "account": "an account number",
    "license": "a certificate or licence number",
    "vehicle": "a vehicle identifier or licence plate",
    "device": "a device identifier or serial number",
    "url": "a web address (URL)",
    "ip_address": "an IP address",
    "biometric": "a biometric identifier",
    "photo": "a full-face photograph",
    "unique_id": "a unique identifying number of a person",
    "card_number": "payment card data",
}

IDENTIFIER_KINDS: tuple[str, ...] = tuple(sorted(_KIND_LABELS))
"""Every kind the scan reports, besides ``tagged:<TAG>`` for policy tags."""


@dataclass(frozen=True)
class ColumnProfile:
    """What the scan knows about one training-data column.

    Attributes:
        name: Column name in the training dataset.
        storage_type: DSS storage type (``string``, ``int``, ``double``, ...).
        tags: DSS tags on the column.
        meaning: DSS meaning id, built-in (``Email``) or user-defined, if any.
        sample_values: Sampled values as strings; only the first ``MAX_SAMPLE_VALUES``
            are read, and empty or null-like values are not counted.
        is_feature: Whether the model uses the column as an input feature.
    """

    name: str
    storage_type: str = "string"
    tags: tuple[str, ...] = ()
    meaning: str | None = None
    sample_values: tuple[str, ...] = ()
    is_feature: bool = True


@dataclass(frozen=True)
class SensitiveFinding:
    """One reason to treat a column as sensitive.

    Attributes:
        column: Column name.
        kind: Identifier kind, one of ``IDENTIFIER_KINDS`` or ``tagged:<TAG>``.
        basis: The evidence: ``tag``, ``name``, ``value`` or ``meaning``.
        detail: A reviewer-readable sentence; it never quotes a sampled value.
        is_feature: Copied from the column profile; only feature columns block a model.
        share: For value findings, the matching share of non-empty sampled values.
        sample_size: For value findings, how many non-empty sampled values were read.
    """

    column: str
    kind: str
    basis: FindingBasis
    detail: str
    is_feature: bool
    share: float | None = None
    sample_size: int | None = None


def luhn_valid(digits: str) -> bool:
    """Return whether a digit string passes the Luhn (mod 10) check of card numbers.

    From the rightmost digit, every second digit is doubled (minus 9 when above 9); the
    number is valid when the total is a multiple of 10. Strings that are empty or hold
    anything but ASCII digits are not valid. Reference: ISO/IEC 7812-1, annex B.

    Args:
        digits: The number, digits only (strip spaces and dashes first).

    Returns:
        True when the check digit is consistent with the other digits.

    >>> luhn_valid("4111111111111111"), luhn_valid("4111111111111112")
    (True, False)
    """
    if not digits or not (digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def scan_columns(
    columns: Iterable[ColumnProfile],
    *,
    sensitive_tags: Sequence[str] = DEFAULT_SENSITIVE_TAGS,
    min_value_share: float = DEFAULT_MIN_VALUE_SHARE,
) -> tuple[SensitiveFinding, ...]:
    """Find the columns that carry PHI, PCI or PII identifiers.

    Every column is checked by tag, meaning, name and sampled values; one finding is
    returned per column, kind and basis, whether or not the column is a feature (callers
    block on ``is_feature`` findings and show the rest for information).

    Args:
        columns: Profiles of the training-data columns.
        sensitive_tags: DSS column tags the policy treats as sensitive (any case).
        min_value_share: Share of non-empty sampled values, in (0, 1], that must match
            an identifier pattern before the column is flagged by value.

    Returns:
        Findings sorted by column, kind and basis; empty when nothing was found.

    Raises:
        ValidationError: ``sensitive_tags`` is a single string or holds an empty tag, or
            ``min_value_share`` is outside (0, 1].
    """
    tags = _checked_tags(sensitive_tags)
    _check_share(min_value_share)

    found: dict[tuple[str, str, str], SensitiveFinding] = {}
    column_count = 0
    for column in columns:
        column_count += 1
        for finding in _scan_column(column, tags, min_value_share):
            found.setdefault((finding.column, finding.kind, finding.basis), finding)

    logger.debug("Sensitive-data scan: %d columns, %d findings", column_count, len(found))
    return tuple(found[key] for key in sorted(found))


# --- argument checks


def _checked_tags(sensitive_tags: Sequence[str]) -> dict[str, str]:
    """Map each lower-cased policy tag to its policy spelling."""
    if isinstance(sensitive_tags, str):
        raise ValidationError(
            f"Sensitive tags: expected a list of tag names, got the single string "
            f"{sensitive_tags!r}. Write it as a list, for example ['PHI', 'PCI'], in the "
            "policy's sensitive-data settings."
        )
    tags: dict[str, str] = {}
    for tag in sensitive_tags:
        cleaned = tag.strip()
        if not cleaned:
            raise ValidationError(
                f"Sensitive tags: empty tag name in {list(sensitive_tags)!r}. Remove it "
                "from the policy's sensitive-data settings."
            )
        tags.setdefault(cleaned.lower(), cleaned)
    return tags


def _check_share(min_value_share: float) -> None:
    if not 0.0 < min_value_share <= 1.0:
        raise ValidationError(
            f"Minimum value share: must be greater than 0 and at most 1, got "
            f"{min_value_share!r}. Set it in the policy's sensitive-data settings as a "
            "fraction, for example 0.3."
        )


# --- per column


def _scan_column(
    column: ColumnProfile, tags: dict[str, str], min_share: float
) -> list[SensitiveFinding]:
    tokens = _tokenize(column.name)
    findings = _tag_findings(column, tags)
    findings += _meaning_findings(column)
    findings += [
        _finding(column, kind, "name", f"Column name suggests {_KIND_LABELS[kind]}.")
        for kind in _name_kinds(tokens)
    ]
    findings += _value_findings(column, tokens, min_share)
    return findings


def _finding(
    column: ColumnProfile, kind: str, basis: FindingBasis, detail: str
) -> SensitiveFinding:
    return SensitiveFinding(column.name, kind, basis, detail, column.is_feature)


def _value_finding(
    column: ColumnProfile, kind: str, detail: str, hits: int, total: int
) -> SensitiveFinding:
    return SensitiveFinding(
        column.name, kind, "value", detail, column.is_feature, hits / total, total
    )


def _tag_findings(column: ColumnProfile, tags: dict[str, str]) -> list[SensitiveFinding]:
    findings = []
    for tag in column.tags:
        policy_tag = tags.get(tag.strip().lower())
        if policy_tag is not None:
            detail = f"Column carries the DSS tag {policy_tag}, listed as sensitive by the policy."
            findings.append(_finding(column, f"tagged:{policy_tag}", "tag", detail))
    return findings


# --- meanings


def _token_set(text: str) -> frozenset[str]:
    """Tokens written space-separated."""
    return frozenset(text.split())


_MEANING_KINDS: dict[str, str] = {
    "email": "email",
    "ipaddress": "ip_address",
    "url": "url",
    "geopoint": "geography",
    "latitude": "geography",
    "longitude": "geography",
    "date": "date",
    "dateonly": "date",
    "datetimenotz": "date",
    "datesource": "date",
}

# Built-in meanings that identify nobody; any other id is user-defined and read by name.
_PLAIN_MEANINGS = _token_set(
    "text doublemeaning longmeaning boolean jsonobjectmeaning jsonarraymeaning freetext "
    "querystring useragent temperature bagofwordsmeaning gender measure currencymeaning "
    "currencyamountmeaning frenchdoublemeaning geometrymeaning countrymeaning usstatemeaning"
)


def _meaning_findings(column: ColumnProfile) -> list[SensitiveFinding]:
    meaning = (column.meaning or "").strip()
    key = meaning.lower()
    if not key or key in _PLAIN_MEANINGS:
        return []
    built_in = _MEANING_KINDS.get(key)
    if built_in is not None:
        detail = f"DSS meaning {meaning} marks {_KIND_LABELS[built_in]}."
        return [_finding(column, built_in, "meaning", detail)]
    return [
        _finding(column, kind, "meaning", f"Meaning {meaning} suggests {_KIND_LABELS[kind]}.")
        for kind in _name_kinds(_tokenize(meaning))
    ]


# --- names

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_DIGIT_BOUNDARY = re.compile(r"(?<=[A-Za-z])(?=[0-9])|(?<=[0-9])(?=[A-Za-z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")

# Run-together words that camelCase splitting cannot separate.
_COMPOUNDS: dict[str, tuple[str, ...]] = {
    "firstname": ("first", "name"),
    "lastname": ("last", "name"),
    "middlename": ("middle", "name"),
    "fullname": ("full", "name"),
    "givenname": ("given", "name"),
    "familyname": ("family", "name"),
    "maidenname": ("maiden", "name"),
    "nickname": ("nick", "name"),
    "username": ("user", "name"),
    "patientname": ("patient", "name"),
    "membername": ("member", "name"),
    "patientid": ("patient", "id"),
    "personid": ("person", "id"),
    "customerid": ("customer", "id"),
    "clientid": ("client", "id"),
    "userid": ("user", "id"),
    "memberid": ("member", "id"),
    "subscriberid": ("subscriber", "id"),
    "beneficiaryid": ("beneficiary", "id"),
    "accountnumber": ("account", "number"),
    "accountno": ("account", "no"),
    "acctno": ("acct", "no"),
    "licensenumber": ("license", "number"),
    "licenseno": ("license", "no"),
    "licencenumber": ("licence", "number"),
    "licenceno": ("licence", "no"),
    "licenseplate": ("license", "plate"),
    "licenceplate": ("licence", "plate"),
    "platenumber": ("plate", "number"),
    "deviceid": ("device", "id"),
    "serialnumber": ("serial", "number"),
    "serialno": ("serial", "no"),
    "phonenumber": ("phone", "number"),
    "phoneno": ("phone", "no"),
    "cellphone": ("cell", "phone"),
    "mobilephone": ("mobile", "phone"),
    "faxnumber": ("fax", "number"),
    "emailaddress": ("email", "address"),
    "ipaddress": ("ip", "address"),
    "ipaddr": ("ip", "addr"),
    "macaddress": ("mac", "address"),
    "zipcode": ("zip", "code"),
    "postcode": ("post", "code"),
    "postalcode": ("postal", "code"),
    "dateofbirth": ("date", "of", "birth"),
    "birthdate": ("birth", "date"),
    "birthday": ("birth", "day"),
    "dateofdeath": ("date", "of", "death"),
    "deathdate": ("death", "date"),
    "socialsecurity": ("social", "security"),
    "socialsecuritynumber": ("social", "security", "number"),
    "medicalrecord": ("medical", "record"),
    "medicalrecordnumber": ("medical", "record", "number"),
    "website": ("web", "site"),
    "webpage": ("web", "page"),
    "homepage": ("home", "page"),
    "creditcard": ("credit", "card"),
    "debitcard": ("debit", "card"),
    "cardnumber": ("card", "number"),
    "healthplan": ("health", "plan"),
}


_ID_TOKENS = _token_set("id identifier number no num nbr nr key uuid")
_PERSON_TOKENS = _token_set(
    "patient person individual customer client user claimant guarantor cardholder "
    "employee resident citizen consumer pt"
)
_MEMBER_TOKENS = _token_set("member subscriber beneficiary enrollee insured policyholder")
# The other party of a claim: its identifiers are not the patient's.
_OTHER_PARTY_TOKENS = _token_set(
    "provider npi dentist physician doctor practitioner clinician prescriber surgeon "
    "clinic practice facility hospital pharmacy payer payor insurer vendor merchant store"
)
# Counts, flags and properties of an identifier do not carry the identifier itself.
_DERIVED_TOKENS = _token_set(
    "has is count cnt n flag type verified valid invalid missing present domain length len"
)
_YEAR_ONLY_TOKENS = _token_set("year yr yyyy")
_AGE_GROUP_TOKENS = _token_set("group grp band bucket bin range category cat class bracket")
_AGE_UNIT_TOKENS = _token_set("days day weeks months month")

_Phrase = tuple[str, ...]
_Pair = tuple[frozenset[str], frozenset[str]]


@dataclass(frozen=True)
class _NameRule:
    """Kind reported when a phrase or a pair of tokens occurs and no veto token does.

    Phrases are contiguous token runs; ``^`` and ``$`` anchor the start and end of the
    name. A pair matches when the name holds one token of each set, in any order.
    Personal rules apply to names of another party too: a provider's SSN is still PII.
    """

    kind: str
    phrases: tuple[_Phrase, ...] = ()
    pairs: tuple[_Pair, ...] = ()
    veto: frozenset[str] = frozenset()
    is_personal: bool = False

    def matches(self, tokens: tuple[str, ...]) -> bool:
        present = set(tokens)
        if present & self.veto or present & _DERIVED_TOKENS:
            return False
        anchored = ("^", *tokens, "$")
        if any(_has_phrase(anchored, phrase) for phrase in self.phrases):
            return True
        return any(present & left and present & right for left, right in self.pairs)


def _has_phrase(tokens: tuple[str, ...], phrase: _Phrase) -> bool:
    width = len(phrase)
    return any(tokens[start : start + width] == phrase for start in range(len(tokens)))


def _phrases(text: str) -> tuple[_Phrase, ...]:
    """Comma-separated phrases of space-separated tokens."""
    return tuple(tuple(part.split()) for part in text.split(","))


_NAME_RULES: tuple[_NameRule, ...] = (
    _NameRule(
        "name",
        _phrases(
            "^ name $, first name, last name, middle name, full name, given name, "
            "family name, maiden name, nick name, surname, forename"
        ),
        pairs=((_PERSON_TOKENS | _MEMBER_TOKENS, _token_set("name names")),),
    ),
    _NameRule(
        "unique_id",
        _phrases("national id, tax id, mpi, tin, itin"),
        pairs=((_PERSON_TOKENS, _ID_TOKENS),),
    ),
    _NameRule("member_id", pairs=((_MEMBER_TOKENS, _ID_TOKENS),), is_personal=True),
    _NameRule(
        "health_plan",
        _phrases("hicn, mbi"),
        pairs=((_token_set("plan policy insurance medicaid medicare"), _ID_TOKENS),),
    ),
    _NameRule(
        "account",
        _phrases("bank account, iban, routing number"),
        pairs=((_token_set("account acct"), _ID_TOKENS),),
    ),
    _NameRule(
        "license",
        _phrases("driver license, drivers license, driver licence, drivers licence, passport"),
        pairs=((_token_set("license licence lic certificate cert permit"), _ID_TOKENS),),
        veto=_token_set("plate"),
    ),
    _NameRule(
        "vehicle",
        _phrases("vin, license plate, licence plate, plate number, plate no"),
        pairs=((_token_set("vehicle car"), _ID_TOKENS | {"serial"}),),
    ),
    _NameRule(
        "device",
        _phrases("imei, udid, meid, mac address, serial, device fingerprint, browser fingerprint"),
        pairs=((_token_set("device"), _ID_TOKENS | {"serial"}),),
        veto=_token_set("vehicle car vin plate"),
    ),
    _NameRule(
        "phone",
        _phrases("phone, telephone, tel, mobile number, mobile no, cell number, cell no"),
    ),
    _NameRule("fax", _phrases("fax, facsimile")),
    _NameRule("email", _phrases("email, e mail")),
    _NameRule("ssn", _phrases("ssn, social security, ss no, ss number, ss num"), is_personal=True),
    _NameRule(
        "date_of_birth",
        _phrases("dob, birth"),
        veto=_YEAR_ONLY_TOKENS | _token_set("weight order place country state city county rate"),
        is_personal=True,
    ),
    # Dates are the patient's even in provider or facility columns (an admission date).
    _NameRule(
        "date",
        _phrases("date, dt, datetime, timestamp, dod"),
        veto=_YEAR_ONLY_TOKENS
        | _token_set(
            "birth dob diff delta gap since lag weekday dow month quarter week hour format"
        ),
        is_personal=True,
    ),
    _NameRule("zip_code", _phrases("zip, postal, post code")),
    _NameRule(
        "geography",
        _phrases(
            "street, address, addr, city, county, town, township, precinct, tract, "
            "block group, geocode, latitude, longitude, lat, lon, lng, coordinates, "
            "geopoint, neighborhood, neighbourhood, borough, municipality"
        ),
        veto=_token_set("email e ip ipv mac web url"),
    ),
    _NameRule("url", _phrases("url, uri, web site, web page, web address, home page")),
    # "ip" alone is read only at the end of a name: "ip_visits" counts inpatient stays.
    _NameRule("ip_address", _phrases("ip $, ip address, ip addr, ipv")),
    _NameRule(
        "biometric",
        _phrases(
            "biometric, biometrics, fingerprint, finger print, voiceprint, voice print, "
            "retina, retinal, iris scan, faceprint, palmprint, palm print"
        ),
        veto=_token_set("device browser"),
        is_personal=True,
    ),
    _NameRule(
        "photo",
        _phrases(
            "photo, photograph, face image, facial image, face picture, headshot, "
            "portrait, selfie, mugshot"
        ),
        is_personal=True,
    ),
    _NameRule(
        "card_number",
        _phrases("credit card, debit card, ccn, cvv, cvc, card pan"),
        pairs=((_token_set("card cc"), _ID_TOKENS | _token_set("pan expiry expiration exp")),),
    ),
    _NameRule(
        "medical_record_number",
        _phrases("mrn, medical record, chart number, chart no, chart id, ehr id, emr id"),
        is_personal=True,
    ),
)


def _tokenize(name: str) -> tuple[str, ...]:
    """Lower-case word tokens of a column name or meaning id."""
    spaced = _DIGIT_BOUNDARY.sub(" ", _CAMEL_BOUNDARY.sub(" ", name))
    tokens: list[str] = []
    for raw in _SEPARATORS.split(spaced):
        if raw:
            tokens.extend(_COMPOUNDS.get(raw.lower(), (raw.lower(),)))
    return tuple(tokens)


def _names_other_party(tokens: tuple[str, ...]) -> bool:
    return not _OTHER_PARTY_TOKENS.isdisjoint(tokens)


def _name_kinds(tokens: tuple[str, ...]) -> list[str]:
    other_party = _names_other_party(tokens)
    return [
        rule.kind
        for rule in _NAME_RULES
        if (rule.is_personal or not other_party) and rule.matches(tokens)
    ]


# --- values

_NULL_LIKE = frozenset({"nan", "none", "null", "na", "n/a", "nat"})

_SSN_FORMATTED = re.compile(r"(\d{3})[- ](\d{2})[- ](\d{4})", re.ASCII)
_SSN_BARE = re.compile(r"(\d{3})(\d{2})(\d{4})", re.ASCII)
_PHONE = re.compile(
    r"(?:\+?1[ .-]?)?(?:\([2-9]\d{2}\) ?|[2-9]\d{2}[ .-])[2-9]\d{2}[ .-]\d{4}"
    r"(?: ?(?:x|ext\.?) ?\d{1,5})?"
    r"|\+1[2-9]\d{2}[2-9]\d{6}",
    re.ASCII | re.IGNORECASE,
)
_EMAIL = re.compile(r"[^@\s]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_URL = re.compile(r"(?:https?|ftp)://[^\s/?#]+\S*|www\.[^\s.]+\.\S+", re.IGNORECASE)
_CARD = re.compile(r"\d(?:[ -]?\d){12,18}", re.ASCII)
_ZIP = re.compile(r"\d{5}(?:-\d{4})?", re.ASCII)
_MRN = re.compile(r"(?:MRN|MR)[#:\s-]*\d{4,12}", re.ASCII | re.IGNORECASE)
_MEMBER = re.compile(r"(?:MBR|MEM|MEMBER)[#:\s-]*\d{4,12}", re.ASCII | re.IGNORECASE)
# CMS Medicare Beneficiary Identifier: letters exclude B, I, L, O, S and Z.
_MBI = re.compile(
    r"[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?"
    r"[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d-?[AC-HJKMNP-RT-Y]{2}\d{2}"
)


def _ssn_parts_plausible(area: str, group: str, serial: str) -> bool:
    """SSA never issues area 000, 666 or 900-999, group 00 or serial 0000."""
    return area not in {"000", "666"} and area[0] != "9" and group != "00" and serial != "0000"


def _is_ssn_formatted(value: str) -> bool:
    match = _SSN_FORMATTED.fullmatch(value)
    return match is not None and _ssn_parts_plausible(*match.groups())


def _is_ssn_any(value: str) -> bool:
    match = _SSN_BARE.fullmatch(value)
    if match is not None:
        return _ssn_parts_plausible(*match.groups())
    return _is_ssn_formatted(value)


def _is_card_number(value: str) -> bool:
    if _CARD.fullmatch(value) is None:
        return False
    return luhn_valid(value.replace(" ", "").replace("-", ""))


def _is_ip_address(value: str) -> bool:
    if "." not in value and ":" not in value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _is_mbi(value: str) -> bool:
    return _MBI.fullmatch(value.upper()) is not None


def _pattern(regex: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda value: regex.fullmatch(value) is not None


@dataclass(frozen=True)
class _ValueRule:
    kind: str
    description: str
    matches: Callable[[str], bool]


_COMMON_VALUE_RULES: tuple[_ValueRule, ...] = (
    _ValueRule("phone", "US telephone numbers", _pattern(_PHONE)),
    _ValueRule("email", "e-mail addresses", _pattern(_EMAIL)),
    _ValueRule("url", "web addresses (URLs)", _pattern(_URL)),
    _ValueRule("ip_address", "IPv4 or IPv6 addresses", _is_ip_address),
    _ValueRule("card_number", "payment card numbers (Luhn-valid)", _is_card_number),
    _ValueRule("medical_record_number", "medical record numbers", _pattern(_MRN)),
    _ValueRule("member_id", "health plan member numbers", _pattern(_MEMBER)),
    _ValueRule("health_plan", "Medicare beneficiary identifiers", _is_mbi),
)
_SSN_ANY_RULE = _ValueRule("ssn", "US Social Security numbers", _is_ssn_any)
_SSN_FORMATTED_RULE = _ValueRule(
    "ssn", "US Social Security numbers (dashed or spaced)", _is_ssn_formatted
)
_ZIP_RULE = _ValueRule("zip_code", "US ZIP codes", _pattern(_ZIP))


def _sampled(values: Sequence[str]) -> list[str]:
    """Non-empty, non-null values among the first ``MAX_SAMPLE_VALUES``."""
    kept = (value.strip() for value in values[:MAX_SAMPLE_VALUES])
    return [value for value in kept if value and value.lower() not in _NULL_LIKE]


def _value_rules(column: ColumnProfile, tokens: tuple[str, ...]) -> list[_ValueRule]:
    other_party = _names_other_party(tokens)
    zip_named = "zip" in tokens or "postal" in tokens or _has_phrase(tokens, ("post", "code"))
    rules = list(_COMMON_VALUE_RULES)
    # Bare 9-digit numbers are tax ids in provider columns, ZIP+4 codes in ZIP columns.
    rules.append(_SSN_FORMATTED_RULE if other_party or zip_named else _SSN_ANY_RULE)
    id_named = not _ID_TOKENS.isdisjoint(tokens) or "code" in tokens
    is_string = column.storage_type.strip().lower() == "string"
    if not other_party and (zip_named or (is_string and not id_named)):
        rules.append(_ZIP_RULE)
    return rules


def _share_detail(hits: int, total: int, description: str) -> str:
    return f"{hits / total:.0%} of {total} sampled values look like {description}."


def _value_findings(
    column: ColumnProfile, tokens: tuple[str, ...], min_share: float
) -> list[SensitiveFinding]:
    values = _sampled(column.sample_values)
    if not values:
        return []
    findings = []
    for rule in _value_rules(column, tokens):
        hits = sum(1 for value in values if rule.matches(value))
        if hits and hits / len(values) >= min_share:
            detail = _share_detail(hits, len(values), rule.description)
            findings.append(_value_finding(column, rule.kind, detail, hits, len(values)))
    findings += _date_findings(column, values, min_share)
    findings += _age_findings(column, tokens, values)
    return findings


# --- dates and ages

_TIME_SUFFIX = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?(?:Z|[+-]\d{2}:?\d{2}))?)?"
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})" + _TIME_SUFFIX, re.ASCII)
_NUMERIC_DATE = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})" + _TIME_SUFFIX, re.ASCII)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -](\d{4})", re.ASCII)
_MONTH_DAY_YEAR = re.compile(r"([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})", re.ASCII)
_MONTHS = tuple(name.lower() for name in calendar.month_name[1:])
_FIRST_YEAR, _LAST_YEAR = 1900, 2099
_BIRTH_YEAR_SPREAD = 15


def _month_number(word: str) -> int:
    """1-12 for an English month name or its abbreviation of 3+ letters, else 0."""
    lowered = word.lower()
    for number, month in enumerate(_MONTHS, start=1):
        if len(lowered) >= 3 and month.startswith(lowered):
            return number
    return 0


def _date_candidates(value: str) -> list[tuple[int, int, int]]:
    """Possible (year, month, day) readings; numeric dates may be month or day first."""
    if match := _ISO_DATE.fullmatch(value):
        return [(int(match[1]), int(match[2]), int(match[3]))]
    if match := _NUMERIC_DATE.fullmatch(value):
        first, second, year = int(match[1]), int(match[3]), int(match[4])
        return [(year, first, second), (year, second, first)]
    if match := _DAY_MONTH_YEAR.fullmatch(value):
        return [(int(match[3]), _month_number(match[2]), int(match[1]))]
    if match := _MONTH_DAY_YEAR.fullmatch(value):
        return [(int(match[3]), _month_number(match[1]), int(match[2]))]
    return []


def _is_calendar_day(year: int, month: int, day: int) -> bool:
    if not (_FIRST_YEAR <= year <= _LAST_YEAR and 1 <= month <= 12):
        return False
    return 1 <= day <= calendar.monthrange(year, month)[1]


def _date_year(value: str) -> int | None:
    """Year of a value that is a calendar date with day precision, else None."""
    for year, month, day in _date_candidates(value):
        if _is_calendar_day(year, month, day):
            return year
    return None


def _year_spread(years: list[int]) -> int:
    """Years between the 10th and 90th percentile, so a few outliers do not count."""
    ordered = sorted(years)
    trim = len(ordered) // 10
    return ordered[len(ordered) - 1 - trim] - ordered[trim]


def _date_findings(
    column: ColumnProfile, values: list[str], min_share: float
) -> list[SensitiveFinding]:
    years = [year for year in map(_date_year, values) if year is not None]
    share = len(years) / len(values)
    if not years or share < min_share:
        return []
    spread = _year_spread(years)
    if spread >= _BIRTH_YEAR_SPREAD:
        detail = (
            f"{share:.0%} of {len(values)} sampled values are full dates whose years "
            f"spread over {spread} years, as dates of birth do."
        )
        return [_value_finding(column, "date_of_birth", detail, len(years), len(values))]
    detail = (
        f"{share:.0%} of {len(values)} sampled values are calendar dates with day "
        "precision; Safe Harbor allows only the year."
    )
    return [_value_finding(column, "date", detail, len(years), len(values))]


def _is_raw_age_column(tokens: tuple[str, ...]) -> bool:
    present = set(tokens)
    if "age" not in present or _names_other_party(tokens):
        return False
    return present.isdisjoint(_AGE_GROUP_TOKENS | _AGE_UNIT_TOKENS | _DERIVED_TOKENS)


def _age_above_89(value: str) -> bool:
    try:
        return float(value) > 89
    except ValueError:
        return False


def _age_findings(
    column: ColumnProfile, tokens: tuple[str, ...], values: list[str]
) -> list[SensitiveFinding]:
    # Any age above 89 breaks Safe Harbor, so presence counts here, not a share.
    if not _is_raw_age_column(tokens):
        return []
    above = sum(1 for value in values if _age_above_89(value))
    if not above:
        return []
    detail = (
        f"{above} of {len(values)} sampled ages are above 89; Safe Harbor requires them "
        "to be grouped as 90 or older."
    )
    return [_value_finding(column, "age_over_89", detail, above, len(values))]
