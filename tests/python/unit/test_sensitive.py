"""Sensitive-data scan: tags, meanings, names and sampled values of training columns."""

from __future__ import annotations

import pytest

from model_governance.core.errors import ValidationError
from model_governance.core.sensitive import (
    IDENTIFIER_KINDS,
    MAX_SAMPLE_VALUES,
    ColumnProfile,
    SensitiveFinding,
    luhn_valid,
    scan_columns,
)

# Ten birth dates spread over five decades (10th-90th percentile spread >= 15 years).
BIRTH_DATES = (
    "1950-03-14", "1962-07-01", "1975-12-31", "1988-02-29", "1999-10-10",
    "1945-01-01", "2001-05-05", "1970-06-06", "1983-08-08", "1991-09-09",
)  # fmt: skip

# Sampled values that must be caught, one tuple per identifier kind.
IDENTIFIER_VALUES: dict[str, tuple[str, ...]] = {
    "ssn": ("123-45-6789", "219-09-9999", "078 05 1121", "457555462"),
    "phone": ("(555) 234-5678", "555-234-5678", "+1 555 234 5678", "555.234.5678"),
    "email": ("jane.doe@example.com", "j.smith+claims@mail.example.org"),
    "date_of_birth": BIRTH_DATES,
    "date": ("2023-01-15", "01/31/2023", "15/01/2023", "Jan 5, 2023", "2022-12-01T08:30:00Z"),
    "zip_code": ("02139", "94105-1234", "10001"),
    "medical_record_number": ("MRN123456", "MRN-0012345", "mr#0099812"),
    "member_id": ("MBR123456789", "MEM-98765432"),
    "health_plan": ("1EG4-TE5-MK73", "1EG4TE5MK73"),
    "card_number": ("4111111111111111", "5555 5555 5555 4444", "3782-822463-10005"),
    "ip_address": ("192.168.10.21", "10.0.0.254", "2001:db8::1"),
    "url": ("https://example.com/patients/1", "www.example.org", "ftp://files.example.net"),
}

# A dental-claims fraud training set: realistic features that identify nobody.
CLAIM_FEATURES = (
    ColumnProfile("claim_amount", "double", sample_values=("1234.56", "87.10", "412.00")),
    ColumnProfile("procedure_code", sample_values=("D2740", "D0120", "D1110", "D7140")),
    ColumnProfile("provider_id", sample_values=("10432", "20871", "55012")),
    ColumnProfile("provider_id", "bigint", sample_values=("1234567893", "219099999")),
    ColumnProfile("transaction_frequency", "int", sample_values=("3", "12", "0", "41")),
    ColumnProfile("transaction_freq", "double", sample_values=("0.25", "1.5", "4.0")),
    ColumnProfile("region", sample_values=("Northeast", "West", "South", "Midwest")),
    ColumnProfile("patient_age_group", sample_values=("18-34", "35-49", "65-89", "90+")),
    ColumnProfile("n_prior_claims", "int", sample_values=("0", "1", "4", "17")),
    ColumnProfile("claim_date_year", "int", sample_values=("2021", "2022", "2023")),
    ColumnProfile("is_fraud", "int", sample_values=("0", "1"), is_feature=False),
    ColumnProfile("score", "double", sample_values=("0.87", "0.02")),
    ColumnProfile("prediction", "int", sample_values=("0", "1")),
)


def kinds_by(findings: tuple[SensitiveFinding, ...], basis: str) -> set[str]:
    return {finding.kind for finding in findings if finding.basis == basis}


# --- names


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("patient_name", "name"),
        ("first_name", "name"),
        ("LastName", "name"),
        ("name", "name"),
        ("cardholder_name", "name"),
        ("ssn", "ssn"),
        ("social_security_number", "ssn"),
        ("PatientSSN", "ssn"),
        ("birth_date", "date_of_birth"),
        ("dob", "date_of_birth"),
        ("date_of_birth", "date_of_birth"),
        ("DateOfBirth", "date_of_birth"),
        ("admission_date", "date"),
        ("discharge_dt", "date"),
        ("date of death", "date"),
        ("zip", "zip_code"),
        ("zip_code", "zip_code"),
        ("ZipCode", "zip_code"),
        ("postal_code", "zip_code"),
        ("street_address", "geography"),
        ("city", "geography"),
        ("county", "geography"),
        ("latitude", "geography"),
        ("phone", "phone"),
        ("phone_number", "phone"),
        ("mobile-number", "phone"),
        ("fax", "fax"),
        ("email", "email"),
        ("email_address", "email"),
        ("e-mail", "email"),
        ("mrn", "medical_record_number"),
        ("medical_record_number", "medical_record_number"),
        ("member_id", "member_id"),
        ("subscriber_id", "member_id"),
        ("beneficiaryNumber", "member_id"),
        ("health_plan_id", "health_plan"),
        ("policy_number", "health_plan"),
        ("account_number", "account"),
        ("acct_no", "account"),
        ("license_number", "license"),
        ("licence_no", "license"),
        ("drivers_license", "license"),
        ("vin", "vehicle"),
        ("plate_number", "vehicle"),
        ("license_plate", "vehicle"),
        ("device_serial", "device"),
        ("serial_number", "device"),
        ("imei", "device"),
        ("ip", "ip_address"),
        ("ip_address", "ip_address"),
        ("IPAddress", "ip_address"),
        ("client_ip", "ip_address"),
        ("url", "url"),
        ("website", "url"),
        ("fingerprint", "biometric"),
        ("retina_scan", "biometric"),
        ("voice print", "biometric"),
        ("face_photo", "photo"),
        ("photograph", "photo"),
        ("patient_id", "unique_id"),
        ("customerId", "unique_id"),
        ("card_number", "card_number"),
        ("credit_card", "card_number"),
        ("cvv", "card_number"),
    ],
)
def test_scan_identifier_column_name_flags_kind(column: str, kind: str) -> None:
    findings = scan_columns([ColumnProfile(column)])

    assert kind in kinds_by(findings, "name")


@pytest.mark.parametrize(
    ("column", "wrong_kind"),
    [
        ("email_address", "geography"),
        ("ip_address", "geography"),
        ("mac_address", "geography"),
        ("birth_date", "date"),
        ("license_plate", "license"),
        ("device_fingerprint", "biometric"),
    ],
)
def test_scan_compound_identifier_name_does_not_flag_the_other_kind(
    column: str, wrong_kind: str
) -> None:
    findings = scan_columns([ColumnProfile(column)])

    assert findings
    assert wrong_kind not in kinds_by(findings, "name")


@pytest.mark.parametrize(
    "column",
    [
        "claim_amount",
        "procedure_code",
        "provider_id",
        "provider_name",
        "provider_zip",
        "npi",
        "transaction_freq",
        "transaction_frequency",
        "region",
        "state",
        "patient_age_group",
        "claim_date_year",
        "birth_year",
        "claim_month",
        "n_prior_claims",
        "is_fraud",
        "score",
        "prediction",
        "ip_visits",
        "has_email",
        "email_domain",
        "n_phone_numbers",
        "phone_type",
        "device_type",
        "product_name",
        "claim_id",
    ],
)
def test_scan_ordinary_feature_name_flags_nothing(column: str) -> None:
    assert scan_columns([ColumnProfile(column)]) == ()


@pytest.mark.parametrize(
    ("column", "kind"),
    [
        ("provider_ssn", "ssn"),
        ("provider_dob", "date_of_birth"),
        ("facility_mrn", "medical_record_number"),
    ],
)
def test_scan_personal_identifier_of_provider_still_flags(column: str, kind: str) -> None:
    assert kind in kinds_by(scan_columns([ColumnProfile(column)]), "name")


# --- values


@pytest.mark.parametrize(("kind", "values"), sorted(IDENTIFIER_VALUES.items()))
def test_scan_identifier_values_flag_kind(kind: str, values: tuple[str, ...]) -> None:
    column = ColumnProfile("field_17", sample_values=values)

    findings = scan_columns([column], min_value_share=1.0)

    assert kind in kinds_by(findings, "value")


@pytest.mark.parametrize(("kind", "values"), sorted(IDENTIFIER_VALUES.items()))
def test_scan_identifier_values_with_matching_name_flag_by_name_and_value(
    kind: str, values: tuple[str, ...]
) -> None:
    names = {"health_plan": "medicare_id", "card_number": "card_number", "ip_address": "ip"}
    column = ColumnProfile(names.get(kind, kind), sample_values=values)

    findings = scan_columns([column])

    assert kind in kinds_by(findings, "value")
    assert {"name", "value"} <= {f.basis for f in findings}


@pytest.mark.parametrize(
    "value", ["000-12-3456", "666-12-3456", "912-12-3456", "123-00-4567", "123-45-0000"]
)
def test_scan_ssn_outside_issued_ranges_is_not_flagged(value: str) -> None:
    findings = scan_columns([ColumnProfile("field_17", sample_values=(value,) * 5)])

    assert "ssn" not in kinds_by(findings, "value")


def test_scan_bare_nine_digits_in_provider_column_is_not_ssn() -> None:
    column = ColumnProfile("provider_tin", sample_values=("219099999", "457555462"))

    assert scan_columns([column]) == ()


def test_scan_bare_ten_digit_numbers_are_not_phone_numbers() -> None:
    column = ColumnProfile("field_17", sample_values=("5552345678", "2125550199"))

    assert "phone" not in kinds_by(scan_columns([column]), "value")


def test_scan_five_digit_integers_in_numeric_column_are_not_zip_codes() -> None:
    column = ColumnProfile("deductible_cents", "int", sample_values=("12345", "67890"))

    assert scan_columns([column]) == ()


def test_scan_five_digit_strings_in_zip_named_int_column_are_zip_codes() -> None:
    column = ColumnProfile("patient_zip", "int", sample_values=("12345", "67890"))

    assert "zip_code" in kinds_by(scan_columns([column]), "value")


def test_scan_zip_values_of_the_provider_are_not_flagged() -> None:
    column = ColumnProfile("provider_zip", sample_values=("02139", "94105", "10001"))

    assert scan_columns([column]) == ()


def test_scan_dates_within_a_few_years_are_dates_not_birth_dates() -> None:
    service_dates = ("2022-01-03", "2022-06-15", "2023-02-11", "2023-11-30", "2024-04-01")
    findings = scan_columns([ColumnProfile("field_17", sample_values=service_dates)])

    assert kinds_by(findings, "value") == {"date"}


@pytest.mark.parametrize("value", ["2023-02-30", "13/13/2023", "1850-01-01", "2023-01", "2023"])
def test_scan_impossible_or_partial_dates_are_not_flagged(value: str) -> None:
    findings = scan_columns([ColumnProfile("field_17", sample_values=(value,) * 4)])

    assert kinds_by(findings, "value") & {"date", "date_of_birth"} == set()


@pytest.mark.parametrize("value", ["4111111111111112", "1234567812345678", "4111-1111-1111"])
def test_scan_card_like_numbers_failing_luhn_or_length_are_not_flagged(value: str) -> None:
    findings = scan_columns([ColumnProfile("field_17", sample_values=(value,) * 4)])

    assert "card_number" not in kinds_by(findings, "value")


def test_scan_raw_age_above_89_flags_age_over_89() -> None:
    column = ColumnProfile("patient_age", "int", sample_values=("45", "67", "93", "71"))

    findings = scan_columns([column])

    assert [(f.kind, f.basis) for f in findings] == [("age_over_89", "value")]
    assert findings[0].detail.startswith("1 of 4 sampled ages")


def test_scan_raw_age_up_to_89_flags_nothing() -> None:
    column = ColumnProfile("patient_age", "int", sample_values=("45", "67", "89", "71"))

    assert scan_columns([column]) == ()


def test_scan_share_below_minimum_flags_nothing() -> None:
    values = ("123-45-6789", "219-09-9999") + ("D2740",) * 8

    assert scan_columns([ColumnProfile("field_17", sample_values=values)]) == ()


def test_scan_share_at_minimum_flags_with_share_and_count_in_detail() -> None:
    values = ("123-45-6789", "219-09-9999", "078-05-1121") + ("D2740",) * 7

    findings = scan_columns([ColumnProfile("field_17", sample_values=values)])

    assert [f.kind for f in findings] == ["ssn"]
    # 3 matches / 10 sampled values = 30%
    assert findings[0].detail == "30% of 10 sampled values look like US Social Security numbers."
    assert (findings[0].share, findings[0].sample_size) == (pytest.approx(0.3), 10)


def test_scan_empty_and_null_values_do_not_count_in_share() -> None:
    values = ("123-45-6789", "", "  ", "nan", "NULL", "None")

    findings = scan_columns([ColumnProfile("field_17", sample_values=values)])

    assert findings[0].detail.startswith("100% of 1 sampled values")


def test_scan_values_beyond_the_sample_bound_are_ignored() -> None:
    values = ("D2740",) * MAX_SAMPLE_VALUES + ("123-45-6789",) * MAX_SAMPLE_VALUES

    assert scan_columns([ColumnProfile("field_17", sample_values=values)]) == ()


def test_scan_ordinary_claim_features_flag_nothing() -> None:
    assert scan_columns(CLAIM_FEATURES) == ()


def test_scan_detail_never_contains_a_sampled_value() -> None:
    columns = [
        ColumnProfile(f"field_{kind}", sample_values=values)
        for kind, values in IDENTIFIER_VALUES.items()
    ]
    columns.append(ColumnProfile("age", "int", sample_values=("93", "97")))
    sampled = [value for column in columns for value in column.sample_values]

    findings = scan_columns(columns, min_value_share=0.1)

    assert len(findings) >= len(IDENTIFIER_VALUES)
    leaks = [(f.column, v) for f in findings for v in sampled if v.strip() in f.detail]
    assert leaks == []


# --- tags and meanings


@pytest.mark.parametrize(
    ("tag", "kind"), [("PHI", "tagged:PHI"), ("phi", "tagged:PHI"), (" Pci ", "tagged:PCI")]
)
def test_scan_sensitive_tag_in_any_case_flags_with_policy_spelling(tag: str, kind: str) -> None:
    findings = scan_columns([ColumnProfile("notes", tags=(tag, "gold"))])

    assert [(f.kind, f.basis) for f in findings] == [(kind, "tag")]


def test_scan_tag_not_listed_in_policy_flags_nothing() -> None:
    column = ColumnProfile("notes", tags=("PHI", "gold"))

    assert scan_columns([column], sensitive_tags=("pii",)) == ()


def test_scan_custom_sensitive_tags_flag_with_policy_spelling() -> None:
    findings = scan_columns([ColumnProfile("notes", tags=("pii",))], sensitive_tags=("PII",))

    assert [f.kind for f in findings] == ["tagged:PII"]


@pytest.mark.parametrize(
    ("meaning", "kind"),
    [
        ("Email", "email"),
        ("IPAddress", "ip_address"),
        ("URL", "url"),
        ("GeoPoint", "geography"),
        ("Latitude", "geography"),
        ("DateOnly", "date"),
        ("DatetimeNoTz", "date"),
        ("phone_number", "phone"),
        ("patientSSN", "ssn"),
    ],
)
def test_scan_identifier_meaning_flags_kind(meaning: str, kind: str) -> None:
    findings = scan_columns([ColumnProfile("field_17", meaning=meaning)])

    assert [(f.kind, f.basis) for f in findings] == [(kind, "meaning")]


@pytest.mark.parametrize(
    "meaning", ["Text", "LongMeaning", "USStateMeaning", "CountryMeaning", "Gender", "UserAgent"]
)
def test_scan_plain_meaning_flags_nothing(meaning: str) -> None:
    assert scan_columns([ColumnProfile("field_17", meaning=meaning)]) == ()


# --- result shape


def test_scan_is_feature_is_carried_to_every_finding() -> None:
    columns = [
        ColumnProfile("ssn", sample_values=("123-45-6789",), is_feature=False),
        ColumnProfile("email", tags=("PHI",), is_feature=True),
    ]

    findings = scan_columns(columns)

    assert {(f.column, f.is_feature) for f in findings} == {("ssn", False), ("email", True)}


def test_scan_findings_are_sorted_by_column_then_kind() -> None:
    columns = [
        ColumnProfile("zip", sample_values=("02139",)),
        ColumnProfile("email", tags=("PHI",), meaning="Email"),
        ColumnProfile("dob"),
    ]

    findings = scan_columns(columns)

    assert [(f.column, f.kind, f.basis) for f in findings] == [
        ("dob", "date_of_birth", "name"),
        ("email", "email", "meaning"),
        ("email", "email", "name"),
        ("email", "tagged:PHI", "tag"),
        ("zip", "zip_code", "name"),
        ("zip", "zip_code", "value"),
    ]


def test_scan_every_reported_kind_is_documented() -> None:
    columns = [ColumnProfile(kind, sample_values=v) for kind, v in IDENTIFIER_VALUES.items()]

    findings = scan_columns(columns)

    assert {f.kind for f in findings} <= set(IDENTIFIER_KINDS)


# --- argument checks


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5, float("nan")])
def test_scan_min_value_share_outside_unit_interval_raises(share: float) -> None:
    with pytest.raises(ValidationError, match=r"Minimum value share.*policy's sensitive-data"):
        scan_columns([], min_value_share=share)


def test_scan_sensitive_tags_given_as_one_string_raises() -> None:
    with pytest.raises(ValidationError, match=r"Sensitive tags.*'PHI'.*as a list"):
        scan_columns([], sensitive_tags="PHI")


def test_scan_empty_sensitive_tag_raises() -> None:
    with pytest.raises(ValidationError, match=r"Sensitive tags: empty tag name.*Remove it"):
        scan_columns([], sensitive_tags=("PHI", " "))


# --- Luhn


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111111",  # Visa test number
        "4012888888881881",  # Visa test number
        "5555555555554444",  # Mastercard test number
        "378282246310005",  # American Express test number
        "6011111111111117",  # Discover test number
        "0",
        "18",
    ],
)
def test_luhn_valid_check_digit_is_true(number: str) -> None:
    assert luhn_valid(number) is True


@pytest.mark.parametrize(
    "number",
    ["4111111111111112", "1234567812345678", "378282246310006", "", "4111 1111 1111 1111", "41x1"],
)
def test_luhn_invalid_or_non_digit_input_is_false(number: str) -> None:
    assert luhn_valid(number) is False
