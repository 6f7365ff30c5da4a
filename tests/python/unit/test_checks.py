"""The gate's checks: pass, fail, not-applicable and undecided cases of each one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from model_governance.core.checks import (
    CheckStatus,
    EvaluationSummary,
    History,
    RollbackDrill,
    check_auc,
    check_audit_trail,
    check_code_env,
    check_disparate_impact,
    check_drift_history,
    check_rollback,
    check_sensitive_data,
    run_gate_checks,
)
from model_governance.core.evidence import Evidence
from model_governance.core.policy import Policy, parse_policy

NOW = datetime(2024, 6, 1, tzinfo=timezone.utc)
EvidenceFactory = Callable[..., Evidence]


def history(**kwargs: Any) -> History:
    return History(now=NOW, **kwargs)


def drill(days_ago: int, *, passed: bool = True) -> RollbackDrill:
    return RollbackDrill(performed_at=NOW - timedelta(days=days_ago), is_passed=passed)


def groups(*sizes_and_favourable: tuple[str, int, int]) -> list[dict[str, Any]]:
    return [
        {
            "attribute": "age_group",
            "favourable_outcome": "not flagged",
            "groups": [
                {"group": g, "size": n, "favourable": f} for g, n, f in sizes_and_favourable
            ],
        }
    ]


# AUC


@pytest.mark.parametrize(
    ("auc", "status"),
    [(0.9001, CheckStatus.PASS), (0.90, CheckStatus.FAIL), (0.8999, CheckStatus.FAIL)],
)
def test_check_auc_strictly_above_threshold(
    evidence_factory: EvidenceFactory, auc: float, status: CheckStatus
) -> None:
    result = check_auc(evidence_factory(metrics={"auc": auc}), Policy(), history())
    assert result.status is status
    assert result.threshold == 0.90


def test_check_auc_float_noise_at_threshold_fails(evidence_factory: EvidenceFactory) -> None:
    # 0.1 * 9 computes as 0.9000000000000001: still not above 0.90.
    result = check_auc(evidence_factory(metrics={"auc": 0.1 * 9}), Policy(), history())
    assert result.status is CheckStatus.FAIL


def test_check_auc_missing_metric_is_error_naming_fix(evidence_factory: EvidenceFactory) -> None:
    result = check_auc(evidence_factory(metrics={"logloss": 0.2}), Policy(), history())
    assert result.status is CheckStatus.ERROR
    assert "no AUC metric" in result.explanation


def test_check_auc_business_override_names_who_and_why(evidence_factory: EvidenceFactory) -> None:
    policy = parse_policy(
        {
            "overrides": [
                {
                    "model_id": "claims-fraud",
                    "setting": "min_auc",
                    "value": 0.85,
                    "set_by": "cfo",
                    "reason": "pilot",
                }
            ]
        }
    )
    result = check_auc(evidence_factory(metrics={"auc": 0.87}), policy, history())
    assert result.status is CheckStatus.PASS
    assert "set by cfo: pilot" in result.explanation


# Drift history


def test_check_drift_history_no_evaluations_not_applicable(
    evidence_factory: EvidenceFactory,
) -> None:
    result = check_drift_history(evidence_factory(), Policy(), history())
    assert result.status is CheckStatus.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("max_ks", "max_psi", "status"),
    [
        (0.15, 0.25, CheckStatus.PASS),
        (0.1501, 0.10, CheckStatus.FAIL),
        (0.05, 0.2501, CheckStatus.FAIL),
    ],
)
def test_check_drift_history_flags_above_limits(
    evidence_factory: EvidenceFactory, max_ks: float, max_psi: float, status: CheckStatus
) -> None:
    evaluations = (
        EvaluationSummary(window_end=NOW - timedelta(days=2), max_ks=0.02),
        EvaluationSummary(window_end=NOW - timedelta(days=1), max_ks=max_ks, max_psi=max_psi),
    )
    result = check_drift_history(evidence_factory(), Policy(), history(evaluations=evaluations))
    assert result.status is status


# Code environment


@pytest.mark.parametrize(
    ("code_env", "status"),
    [("python-3.11-deltadental", CheckStatus.PASS), ("python-3.11-custom", CheckStatus.FAIL)],
)
def test_check_code_env_against_approved_list(
    evidence_factory: EvidenceFactory, code_env: str, status: CheckStatus
) -> None:
    result = check_code_env(evidence_factory(code_env=code_env), Policy(), history())
    assert result.status is status


# Rollback


def test_check_rollback_first_release_plan_and_recent_drill_passes(
    evidence_factory: EvidenceFactory,
) -> None:
    result = check_rollback(evidence_factory(), Policy(), history(rollback_drills=(drill(3),)))
    assert result.status is CheckStatus.PASS
    assert "First-release undeploy plan" in result.explanation


def test_check_rollback_previous_bundle_named_as_target(evidence_factory: EvidenceFactory) -> None:
    result = check_rollback(
        evidence_factory(description={}),
        Policy(),
        history(approved_bundles=("fraud-v1.0-approved-2024-05-01",), rollback_drills=(drill(1),)),
    )
    assert result.status is CheckStatus.PASS
    assert "fraud-v1.0-approved-2024-05-01" in result.explanation


@pytest.mark.parametrize(
    ("drills", "reason"),
    [
        ((), "no rollback drill passed"),
        ((drill(91),), "no rollback drill passed in the last 90 days"),
        ((drill(1, passed=False),), "no rollback drill passed"),
    ],
)
def test_check_rollback_without_recent_passed_drill_fails(
    evidence_factory: EvidenceFactory, drills: tuple[RollbackDrill, ...], reason: str
) -> None:
    result = check_rollback(evidence_factory(), Policy(), history(rollback_drills=drills))
    assert result.status is CheckStatus.FAIL
    assert reason in result.explanation


def test_check_rollback_no_target_and_no_plan_fails(evidence_factory: EvidenceFactory) -> None:
    result = check_rollback(
        evidence_factory(description={}), Policy(), history(rollback_drills=(drill(1),))
    )
    assert result.status is CheckStatus.FAIL
    assert "no previous approved bundle and no first-release undeploy plan" in result.explanation


# Disparate impact


def test_check_disparate_impact_pass_reports_lowest_group(
    evidence_factory: EvidenceFactory,
) -> None:
    # Rates 90/100 = 0.90 and 80/100 = 0.80: ratio 0.80/0.90 = 0.889.
    evidence = evidence_factory(fairness=groups(("young", 100, 90), ("old", 100, 80)))
    result = check_disparate_impact(evidence, Policy(), history())
    assert result.status is CheckStatus.PASS
    assert result.measured == {"age_group": pytest.approx(0.8 / 0.9)}
    assert "(age_group, group old)" in result.explanation


def test_check_disparate_impact_exactly_four_fifths_passes(
    evidence_factory: EvidenceFactory,
) -> None:
    # Rates 0.50 and 0.40: ratio 0.8 exactly, which meets the rule.
    evidence = evidence_factory(fairness=groups(("a", 100, 50), ("b", 100, 40)))
    assert check_disparate_impact(evidence, Policy(), history()).status is CheckStatus.PASS


def test_check_disparate_impact_below_four_fifths_fails(evidence_factory: EvidenceFactory) -> None:
    # Rates 0.50 and 0.39: ratio 0.78.
    evidence = evidence_factory(fairness=groups(("a", 100, 50), ("b", 100, 39)))
    result = check_disparate_impact(evidence, Policy(), history())
    assert result.status is CheckStatus.FAIL
    assert result.measured == {"age_group": pytest.approx(0.78)}


def test_check_disparate_impact_small_group_is_insufficient_not_pass(
    evidence_factory: EvidenceFactory,
) -> None:
    # The 10-row group would fail (rate 0.1) but is below min_group_size 30: excluded.
    evidence = evidence_factory(fairness=groups(("a", 100, 50), ("b", 100, 45), ("c", 10, 1)))
    result = check_disparate_impact(evidence, Policy(), history())
    assert result.status is CheckStatus.PASS
    assert result.details["age_group"]["insufficient_data"] == ["c"]


def test_check_disparate_impact_one_sufficient_group_is_error(
    evidence_factory: EvidenceFactory,
) -> None:
    evidence = evidence_factory(fairness=groups(("a", 100, 50), ("b", 5, 1)))
    result = check_disparate_impact(evidence, Policy(), history())
    assert result.status is CheckStatus.ERROR
    assert "undefined for age_group" in result.explanation


def test_check_disparate_impact_no_attributes_error_or_not_applicable(
    evidence_factory: EvidenceFactory,
) -> None:
    evidence = evidence_factory(fairness=[])
    assert check_disparate_impact(evidence, Policy(), history()).status is CheckStatus.ERROR
    relaxed = parse_policy({"require_fairness_evidence": False})
    assert check_disparate_impact(evidence, relaxed, history()).status is CheckStatus.NOT_APPLICABLE


# Sensitive data


def features(*names: str) -> list[dict[str, str]]:
    return [{"name": n, "role": "input", "kind": "numeric"} for n in names]


ORDINARY = (
    "claim_amount",
    "procedure_code",
    "provider_id",
    "transaction_freq",
    "region",
    "patient_age_group",
    "n_prior_claims",
)


def test_check_sensitive_data_ordinary_claim_features_pass(
    evidence_factory: EvidenceFactory,
) -> None:
    schema = [{"name": n, "type": "string"} for n in ORDINARY]
    evidence = evidence_factory(features=features(*ORDINARY), training_schema=schema)
    result = check_sensitive_data(evidence, Policy(), history())
    assert result.status is CheckStatus.PASS


def test_check_sensitive_data_tagged_column_not_used_passes_with_note(
    evidence_factory: EvidenceFactory,
) -> None:
    schema = [{"name": "claim_amount", "type": "double"}, {"name": "member_ref", "tags": ["PHI"]}]
    evidence = evidence_factory(features=features("claim_amount"), training_schema=schema)
    result = check_sensitive_data(evidence, Policy(), history())
    assert result.status is CheckStatus.PASS
    assert "member_ref stay out of the features" in result.explanation


def test_check_sensitive_data_tagged_feature_fails(evidence_factory: EvidenceFactory) -> None:
    schema = [{"name": "claim_amount", "type": "double"}, {"name": "member_ref", "tags": ["pci"]}]
    evidence = evidence_factory(
        features=features("claim_amount", "member_ref"), training_schema=schema
    )
    result = check_sensitive_data(evidence, Policy(), history())
    assert result.status is CheckStatus.FAIL
    assert result.measured == ["member_ref"]


@pytest.mark.parametrize(
    "name",
    [
        "patient_name",
        "ssn",
        "birth_date",
        "zip_code",
        "phone_number",
        "fax",
        "email_address",
        "medical_record_number",
        "member_id",
        "account_number",
        "license_number",
        "vin",
        "device_serial",
        "website_url",
        "ip_address",
        "fingerprint",
        "face_photo",
    ],
)
def test_check_sensitive_data_identifier_named_feature_fails(
    evidence_factory: EvidenceFactory, name: str
) -> None:
    evidence = evidence_factory(
        features=features("claim_amount", name),
        training_schema=[{"name": "claim_amount", "type": "double"}, {"name": name}],
    )
    result = check_sensitive_data(evidence, Policy(), history())
    assert result.status is CheckStatus.FAIL
    assert name in result.measured


def test_check_sensitive_data_value_finding_on_feature_fails(
    evidence_factory: EvidenceFactory,
) -> None:
    evidence = evidence_factory(
        features=features("claim_amount", "ref_code"),
        training_schema=[{"name": "claim_amount"}, {"name": "ref_code"}],
        value_findings=[
            {"column": "ref_code", "kind": "card_number", "share": 0.9, "sample_size": 200}
        ],
    )
    result = check_sensitive_data(evidence, Policy(), history())
    assert result.status is CheckStatus.FAIL
    assert "ref_code (card_number)" in result.explanation


# Audit trail


def test_check_audit_trail_complete_passes(evidence_factory: EvidenceFactory) -> None:
    result = check_audit_trail(
        evidence_factory(), Policy(), history(recorded_actions=("version.registered",))
    )
    assert result.status is CheckStatus.PASS


def test_check_audit_trail_missing_event_fails(evidence_factory: EvidenceFactory) -> None:
    result = check_audit_trail(evidence_factory(), Policy(), history())
    assert result.status is CheckStatus.FAIL
    assert "missing events: version.registered" in result.explanation


def test_check_audit_trail_broken_chain_fails(evidence_factory: EvidenceFactory) -> None:
    result = check_audit_trail(
        evidence_factory(),
        Policy(),
        history(recorded_actions=("version.registered",), is_chain_intact=False),
    )
    assert result.status is CheckStatus.FAIL
    assert "does not verify" in result.explanation


def test_run_gate_checks_returns_checklist_in_order(evidence_factory: EvidenceFactory) -> None:
    results = run_gate_checks(evidence_factory(), Policy(), history())
    assert [r.check_id for r in results] == [
        "auc",
        "drift_history",
        "code_env",
        "rollback",
        "disparate_impact",
        "sensitive_data",
        "audit_trail",
    ]
    assert all(r.is_blocking for r in results)
