"""Canonical JSON and SHA-256: one spelling per meaning, one digest per spelling."""

from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone

import pytest

from model_governance.core.errors import ValidationError
from model_governance.core.hashing import (
    canonical_json,
    canonical_value,
    content_hash,
    sha256_hex,
    to_utc_iso,
)


def test_sha256_hex_known_text_matches_published_digest():
    # FIPS 180-2 test vector for "abc".
    expected = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

    assert sha256_hex("abc") == expected


def test_sha256_hex_bytes_and_utf8_text_give_same_digest():
    assert sha256_hex("é".encode()) == sha256_hex("é")


def test_canonical_json_nested_mapping_sorts_keys_without_spaces():
    value = {"b": 1, "a": {"d": [1, 2], "c": None}}

    assert canonical_json(value) == '{"a":{"c":null,"d":[1,2]},"b":1}'


def test_canonical_json_tuple_is_written_as_list():
    assert canonical_json({"pair": (1, 2)}) == '{"pair":[1,2]}'


def test_canonical_json_negative_zero_is_written_as_zero():
    assert canonical_json([-0.0]) == "[0.0]"


def test_canonical_json_non_ascii_text_is_kept_verbatim():
    assert canonical_json({"name": "Zoé"}) == '{"name":"Zoé"}'


def test_canonical_json_aware_datetime_becomes_utc_iso_string():
    paris = timezone(timedelta(hours=1))
    moment = datetime(2024, 3, 1, 10, 0, 0, tzinfo=paris)

    assert canonical_json({"at": moment}) == '{"at":"2024-03-01T09:00:00.000000+00:00"}'


def test_canonical_value_non_string_keys_become_strings():
    assert canonical_value({1: "a"}) == {"1": "a"}


def test_content_hash_key_order_does_not_change_digest():
    assert content_hash({"a": 1, "b": 2}) == content_hash({"b": 2, "a": 1})


def test_content_hash_small_object_equals_digest_of_its_canonical_text():
    # sha256('{"a":1}') computed with a separate tool.
    expected = "015abd7f5cc57a2dd94b7590f04ad8084273905ee33ec5cebeae62276a97f862"

    assert content_hash({"a": 1}) == expected


def test_content_hash_int_and_float_of_same_value_differ():
    # Documented: 1 and 1.0 are different spellings; callers normalise types first.
    assert content_hash({"a": 1}) != content_hash({"a": 1.0})


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_canonical_json_non_finite_float_is_refused_naming_path(bad):
    with pytest.raises(ValidationError, match=r"\$\.metrics\.auc: .* replace it with a number"):
        canonical_json({"metrics": {"auc": bad}})


def test_canonical_json_nan_in_list_names_its_index():
    with pytest.raises(ValidationError, match=r"\$\.values\[1\]: nan is not a finite number"):
        canonical_json({"values": [0.5, math.nan]})


def test_canonical_json_unsupported_type_is_refused_naming_type():
    with pytest.raises(ValidationError, match=r"\$\.tags: values of type set cannot be hashed"):
        canonical_json({"tags": {"a"}})


def test_to_utc_iso_naive_datetime_is_refused_with_fix():
    with pytest.raises(ValidationError, match="has no time zone; pass an aware UTC datetime"):
        to_utc_iso(datetime(2024, 3, 1, 9, 0, 0))


def test_to_utc_iso_keeps_microseconds():
    moment = datetime(2024, 3, 1, 9, 0, 0, 5, tzinfo=timezone.utc)

    assert to_utc_iso(moment) == "2024-03-01T09:00:00.000005+00:00"
