"""Policy: process defaults, strict parsing, per-model overrides and a stable hash."""

from __future__ import annotations

import json
import math

import pytest

from model_governance.core.errors import ConfigError
from model_governance.core.policy import Policy, parse_policy, policy_to_dict

OVERRIDE = {
    "model_id": "claims-fraud",
    "setting": "min_auc",
    "value": 0.85,
    "set_by": "claims.director",
    "reason": "fraud losses justify a lower bar",
}


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("min_auc", 0.90),
        ("auc_alert_threshold", 0.88),
        ("max_relative_auc_drop", 0.05),
        ("max_ks_drift", 0.15),
        ("max_psi", 0.25),
        ("min_disparate_impact", 0.8),
        ("max_bias_shift", 0.05),
        ("bundles_kept", 3),
        ("canary_share", 0.10),
        ("status_interval_hours", 6.0),
        ("inactivity_days", 90),
        ("review_board_role", "review_board"),
        ("governance_roles", ("data_steward", "security_lead", "ml_engineer")),
    ],
)
def test_parse_policy_empty_document_takes_process_default(setting, expected):
    assert getattr(parse_policy({}), setting) == expected


def test_policy_required_roles_default_board_first_then_governance():
    expected = ("review_board", "data_steward", "security_lead", "ml_engineer")

    assert parse_policy({}).required_roles == expected


def test_parse_policy_empty_document_equals_default_policy():
    assert parse_policy({}) == Policy()


def test_parse_policy_accepted_value_is_kept(policy):
    assert policy(min_auc=0.93).min_auc == 0.93


def test_parse_policy_integer_for_number_setting_becomes_float(policy):
    assert isinstance(policy(max_psi=1).max_psi, float)


def test_parse_policy_not_an_object_is_refused():
    with pytest.raises(ConfigError, match="policy: expected a JSON object, got list"):
        parse_policy([("min_auc", 0.9)])  # type: ignore[arg-type]


def test_parse_policy_unknown_key_is_refused_listing_accepted_keys():
    with pytest.raises(ConfigError, match=r"unknown key\(s\) min_acu; accepted keys are .*min_auc"):
        parse_policy({"min_acu": 0.9})


@pytest.mark.parametrize(
    ("key", "value", "accepted"),
    [
        ("min_auc", 1.5, r"\[0\.5, 1\.0\]"),
        ("min_auc", 0.4, r"\[0\.5, 1\.0\]"),
        ("max_ks_drift", 1.2, r"\[0\.0, 1\.0\]"),
        ("max_psi", -0.1, r"\[0\.0, 10\.0\]"),
        ("canary_share", 0.9, r"\[0\.01, 0\.5\]"),
        ("status_interval_hours", 0.1, r"\[0\.25, 168\.0\]"),
        ("bundles_kept", 0, r"\[1, 100\]"),
        ("inactivity_days", 4000, r"\[1, 3650\]"),
    ],
)
def test_parse_policy_out_of_range_value_is_refused_naming_key_and_range(key, value, accepted):
    with pytest.raises(
        ConfigError, match=rf"policy\.{key}: .* outside the accepted range {accepted}"
    ):
        parse_policy({key: value})


@pytest.mark.parametrize("value", ["0.9", True, None, [0.9], math.nan, math.inf])
def test_parse_policy_non_number_threshold_is_refused_naming_key_and_range(value):
    with pytest.raises(ConfigError, match=r"policy\.min_auc: expected a number in \[0\.5, 1\.0\]"):
        parse_policy({"min_auc": value})


@pytest.mark.parametrize("value", [3.0, "3", False])
def test_parse_policy_non_integer_count_is_refused_naming_key_and_range(value):
    with pytest.raises(
        ConfigError, match=r"policy\.bundles_kept: expected a whole number in \[1, 100\]"
    ):
        parse_policy({"bundles_kept": value})


def test_parse_policy_role_list_given_as_text_is_refused():
    with pytest.raises(ConfigError, match=r"policy\.governance_roles: expected a list of strings"):
        parse_policy({"governance_roles": "data_steward"})


def test_parse_policy_empty_role_list_is_refused_with_fix():
    with pytest.raises(
        ConfigError, match=r"policy\.governance_roles: the list may not be empty; name at least"
    ):
        parse_policy({"governance_roles": []})


def test_parse_policy_duplicate_role_is_refused():
    with pytest.raises(ConfigError, match=r"policy\.governance_roles: entries must be distinct"):
        parse_policy({"governance_roles": ["data_steward", "data_steward"]})


def test_parse_policy_blank_role_name_is_refused_naming_index():
    with pytest.raises(
        ConfigError, match=r"policy\.governance_roles\[1\]: expected a non-empty string"
    ):
        parse_policy({"governance_roles": ["data_steward", "  "]})


def test_parse_policy_empty_non_waivable_list_is_accepted():
    assert parse_policy({"non_waivable_checks": []}).non_waivable_checks == ()


def test_parse_policy_boolean_given_as_text_is_refused():
    with pytest.raises(
        ConfigError, match=r"policy\.allow_undefined_checks: expected true or false"
    ):
        parse_policy({"allow_undefined_checks": "yes"})


def test_parse_policy_role_groups_not_a_mapping_is_refused():
    with pytest.raises(
        ConfigError, match=r"policy\.role_groups: expected an object mapping DSS group names"
    ):
        parse_policy({"role_groups": ["arb"]})


def test_parse_policy_role_group_roles_as_text_is_refused_naming_group():
    with pytest.raises(ConfigError, match=r"policy\.role_groups\.arb: expected a list of strings"):
        parse_policy({"role_groups": {"arb": "review_board"}})


def test_policy_roles_for_groups_unions_roles_of_known_groups(policy):
    mapped = policy(role_groups={"arb": ["review_board"], "gov": ["data_steward"]})

    assert mapped.roles_for_groups(["arb", "unmapped"]) == frozenset({"review_board"})


def test_parse_policy_fast_track_unknown_key_is_refused_listing_accepted():
    with pytest.raises(
        ConfigError, match=r"policy\.fast_track: unknown key\(s\) skip_all; accepted: enabled"
    ):
        parse_policy({"fast_track": {"skip_all": True}})


def test_parse_policy_fast_track_margin_out_of_range_is_refused():
    with pytest.raises(
        ConfigError, match=r"policy\.fast_track\.max_auc_decrease: 2 is outside .*\[0\.0, 1\.0\]"
    ):
        parse_policy({"fast_track": {"max_auc_decrease": 2}})


def test_parse_policy_fast_track_granting_unknown_role_is_refused():
    with pytest.raises(
        ConfigError, match=r"policy\.fast_track\.roles_granted: auditor are not sign-off roles; use"
    ):
        parse_policy({"fast_track": {"roles_granted": ["auditor"]}})


def test_parse_policy_waiver_role_outside_signoff_roles_is_refused():
    with pytest.raises(
        ConfigError, match=r"policy\.waiver_roles: cfo are not sign-off roles; use roles from"
    ):
        parse_policy({"waiver_roles": ["cfo"]})


def test_parse_policy_board_role_among_governance_roles_is_refused():
    with pytest.raises(
        ConfigError, match=r"policy\.review_board_role: the board role must differ from every"
    ):
        parse_policy({"review_board_role": "data_steward"})


def test_parse_policy_alert_threshold_above_gate_is_refused():
    with pytest.raises(
        ConfigError, match=r"policy\.auc_alert_threshold: 0\.95 is above the gate's min_auc 0\.9"
    ):
        parse_policy({"auc_alert_threshold": 0.95})


def test_policy_threshold_for_model_with_override_returns_business_value(policy):
    value, override = policy(overrides=[OVERRIDE]).threshold_for("claims-fraud", "min_auc")

    assert (value, override.set_by) == (0.85, "claims.director")


def test_policy_threshold_for_other_model_returns_policy_default(policy):
    value, override = policy(overrides=[OVERRIDE]).threshold_for("other-model", "min_auc")

    assert (value, override) == (0.90, None)


@pytest.mark.parametrize("missing", ["set_by", "reason"])
def test_parse_policy_override_without_author_or_reason_is_refused(missing):
    override = {k: v for k, v in OVERRIDE.items() if k != missing}

    with pytest.raises(
        ConfigError, match=r"policy\.overrides\[0\]: .*set_by, reason \(who set it and why are"
    ):
        parse_policy({"overrides": [override]})


def test_parse_policy_override_with_blank_reason_is_refused():
    override = {**OVERRIDE, "reason": " "}

    with pytest.raises(
        ConfigError, match=r"policy\.overrides\[0\]\.reason: expected a non-empty string"
    ):
        parse_policy({"overrides": [override]})


def test_parse_policy_override_of_fixed_setting_is_refused_listing_choices():
    override = {**OVERRIDE, "setting": "bundles_kept"}

    with pytest.raises(
        ConfigError, match=r"overrides\[0\]\.setting: 'bundles_kept' cannot be .* choose one of"
    ):
        parse_policy({"overrides": [override]})


def test_policy_content_hash_is_sha256_hex():
    digest = parse_policy({}).content_hash

    assert len(digest) == 64
    assert set(digest) <= set("0123456789abcdef")


def test_policy_content_hash_key_order_does_not_change_it():
    first = parse_policy({"min_auc": 0.92, "max_psi": 0.2, "role_groups": {"a": ["x"], "b": ["y"]}})
    second = parse_policy(
        {"role_groups": {"b": ["y"], "a": ["x"]}, "max_psi": 0.2, "min_auc": 0.92}
    )

    assert first.content_hash == second.content_hash


def test_policy_content_hash_integer_spelling_of_threshold_does_not_change_it(policy):
    assert policy(max_psi=1).content_hash == policy(max_psi=1.0).content_hash


@pytest.mark.parametrize(
    "change",
    [
        {"min_auc": 0.91},
        {"max_ks_drift": 0.16},
        {"min_disparate_impact": 0.75},
        {"bundles_kept": 4},
        {"governance_roles": ["data_steward", "security_lead"]},
        {"overrides": [OVERRIDE]},
    ],
)
def test_policy_content_hash_changes_when_a_rule_changes(policy, change):
    assert policy(**change).content_hash != policy().content_hash


def test_policy_to_dict_default_round_trips_through_parse_policy():
    default = parse_policy({})

    assert parse_policy(policy_to_dict(default)) == default


def test_policy_to_dict_custom_policy_round_trips_through_json_text(policy):
    custom = policy(
        version="2024-03",
        min_auc=0.92,
        role_groups={"arb": ["review_board"]},
        fast_track={"enabled": False, "roles_granted": []},
        overrides=[OVERRIDE],
    )

    restored = parse_policy(json.loads(json.dumps(policy_to_dict(custom))))

    assert restored == custom
    assert restored.content_hash == custom.content_hash
