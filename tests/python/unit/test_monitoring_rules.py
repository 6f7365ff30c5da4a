"""Monitoring rules at, just above and just below each threshold; episodes; canary."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from model_governance.core.errors import UndefinedMetricError, ValidationError
from model_governance.core.monitoring import (
    Baseline,
    CanaryAction,
    EpisodeChange,
    Rule,
    RuleDecision,
    RuleStatus,
    ServiceLogSummary,
    ServiceMetrics,
    WindowMetrics,
    auc_alert_rule,
    auc_drop_rule,
    baseline_from_evidence,
    bias_shift_rule,
    canary_split,
    decide_canary,
    drift_rule,
    episode_change,
    evaluation_rules,
    gate_rule,
    is_retraining_due,
    is_status_due,
    p95_latency,
    sla_rule,
)
from model_governance.core.policy import Policy
from model_governance.core.workflow import GateDecision

POLICY = Policy()
MODEL = "claims-fraud"
B = RuleStatus.BREACHED
W = RuleStatus.WITHIN
U = RuleStatus.UNDEFINED


def _metrics(**values):
    return WindowMetrics(**values)


# AUC alert: AUC < 0.88


@pytest.mark.parametrize(
    ("auc", "status"),
    [(0.88, W), (0.8799, B), (0.8801, W), (0.88 - 1e-12, W), (0.5, B), (1.0, W)],
)
def test_auc_alert_rule_threshold_boundary(auc, status):
    decision = auc_alert_rule(_metrics(auc=auc), POLICY, model_id=MODEL)

    assert decision.status is status
    assert decision.measured == {"auc": auc}
    assert decision.thresholds == {"auc_alert_threshold": 0.88}


def test_auc_alert_rule_breach_reason_names_value_and_threshold():
    decision = auc_alert_rule(_metrics(auc=0.8712), POLICY, model_id=MODEL)

    assert decision.reasons == ("AUC 0.8712 is below the alert threshold 0.88",)


def test_auc_alert_rule_without_auc_is_undefined():
    decision = auc_alert_rule(_metrics(), POLICY, model_id=MODEL)

    assert decision.status is U
    assert decision.is_breached is False


def test_auc_alert_rule_uses_business_override(policy):
    custom = policy(
        overrides=[
            {
                "model_id": MODEL,
                "setting": "auc_alert_threshold",
                "value": 0.85,
                "set_by": "cfo",
                "reason": "rare fraud class",
            }
        ]
    )

    decision = auc_alert_rule(_metrics(auc=0.86), custom, model_id=MODEL)

    assert decision.status is W
    assert decision.thresholds == {"auc_alert_threshold": 0.85}
    assert "set by cfo" in decision.reasons[0]


# AUC drop: (approved - now) / approved > 5 %


@pytest.mark.parametrize(
    ("auc", "status"),
    # approved 0.90: a 5 % drop is 0.855; (0.90 - 0.8549) / 0.90 = 5.011 %.
    [(0.855, W), (0.8549, B), (0.8551, W), (0.95, W)],
)
def test_auc_drop_rule_threshold_boundary(auc, status):
    decision = auc_drop_rule(_metrics(auc=auc), Baseline(auc=0.90), POLICY)

    assert decision.status is status
    assert decision.measured["relative_drop"] == pytest.approx((0.90 - auc) / 0.90)


def test_auc_drop_rule_without_approved_auc_is_undefined():
    decision = auc_drop_rule(_metrics(auc=0.8), Baseline(), POLICY)

    assert decision.status is U
    assert decision.reasons == ("no AUC was recorded at approval",)


# Bias shift: DI < 0.8 or |DI now - DI approved| > 0.05


@pytest.mark.parametrize(
    ("now", "status"),
    [(0.8, W), (0.7999, B), (0.8001, W)],
)
def test_bias_shift_rule_four_fifths_floor(now, status):
    # No approved value, so only the floor applies.
    decision = bias_shift_rule(
        _metrics(disparate_impact={"gender": now}), Baseline(), POLICY, model_id=MODEL
    )

    assert decision.status is status


@pytest.mark.parametrize(
    ("now", "status"),
    # approved 0.95: 0.95 - 0.90 = 0.05 exactly (0.04999999999999993 in floats).
    [(0.90, W), (0.8999, B), (0.9001, W), (1.0, W)],
)
def test_bias_shift_rule_shift_from_approval(now, status):
    baseline = Baseline(disparate_impact={"gender": 0.95})

    decision = bias_shift_rule(
        _metrics(disparate_impact={"gender": now}), baseline, POLICY, model_id=MODEL
    )

    assert decision.status is status
    assert decision.measured["gender"]["shift"] == pytest.approx(abs(now - 0.95))


def test_bias_shift_rule_upward_shift_breaches_too():
    baseline = Baseline(disparate_impact={"age": 0.85})

    decision = bias_shift_rule(
        _metrics(disparate_impact={"age": 0.9001}), baseline, POLICY, model_id=MODEL
    )

    assert decision.status is B
    assert "moved from 0.850 at approval to 0.900" in decision.reasons[0]


def test_bias_shift_rule_only_undefined_attributes_is_undefined():
    decision = bias_shift_rule(
        _metrics(disparate_impact={"age": None}), Baseline(), POLICY, model_id=MODEL
    )

    assert decision.status is U


def test_bias_shift_rule_one_bad_attribute_breaches():
    baseline = Baseline(disparate_impact={"age": 0.95, "gender": 0.95})
    window = _metrics(disparate_impact={"age": 0.95, "gender": 0.7})

    decision = bias_shift_rule(window, baseline, POLICY, model_id=MODEL)

    assert decision.status is B
    assert any("gender" in r and "below 0.8" in r for r in decision.reasons)


# Drift: max KS > 0.15 or max PSI > 0.25


@pytest.mark.parametrize(
    ("max_ks", "status"),
    [(0.15, W), (3 / 20, W), (0.1501, B), (0.1499, W)],
)
def test_drift_rule_ks_boundary(max_ks, status):
    decision = drift_rule(_metrics(max_ks=max_ks, max_psi=0.0), POLICY, model_id=MODEL)

    assert decision.status is status


@pytest.mark.parametrize(("max_psi", "status"), [(0.25, W), (0.2501, B), (0.2499, W)])
def test_drift_rule_psi_boundary(max_psi, status):
    decision = drift_rule(_metrics(max_ks=0.01, max_psi=max_psi), POLICY, model_id=MODEL)

    assert decision.status is status


def test_drift_rule_names_drifted_features():
    window = _metrics(max_ks=0.3, drifted_features=("claim_amount", "transaction_freq"))

    decision = drift_rule(window, POLICY, model_id=MODEL)

    assert decision.reasons[-1] == "drifted features: claim_amount, transaction_freq"


def test_drift_rule_nothing_measured_is_undefined():
    assert drift_rule(_metrics(), POLICY, model_id=MODEL).status is U


def test_evaluation_rules_run_in_scenario_order():
    rules = evaluation_rules(_metrics(auc=0.9), Baseline(auc=0.9), POLICY, model_id=MODEL)

    assert [d.rule for d in rules] == [Rule.AUC_ALERT, Rule.AUC_DROP, Rule.BIAS_SHIFT, Rule.DRIFT]


# SLA: p95 >= 100 ms or error rate > 1 %


@pytest.mark.parametrize(
    ("p95", "status"),
    [(100.0, B), (99.99, W), (100.01, B), (100.0 - 1e-12, B)],
)
def test_sla_rule_latency_boundary(p95, status):
    metrics = ServiceMetrics(requests=1000, errors=0, p95_latency_ms=p95)

    decision = sla_rule(metrics, POLICY, service_id="fraud-predict")

    assert decision.status is status
    assert decision.subject == "fraud-predict"


@pytest.mark.parametrize(
    ("errors", "status"),
    # 100 of 10 000 is exactly the 1 % limit; 101 is above, 99 below.
    [(100, W), (101, B), (99, W)],
)
def test_sla_rule_error_rate_boundary(errors, status):
    metrics = ServiceMetrics(requests=10_000, errors=errors, p95_latency_ms=40.0)

    assert sla_rule(metrics, POLICY, service_id="api").status is status


def test_sla_rule_without_requests_is_undefined():
    decision = sla_rule(ServiceMetrics(0, 0, None), POLICY, service_id="api")

    assert decision.status is U


# p95 latency and the query-log summary


def test_p95_latency_nearest_rank_of_one_to_hundred_is_95():
    # ceil(0.95 * 100) = 95th smallest value.
    assert p95_latency(np.arange(1.0, 101.0)) == 95.0


def test_p95_latency_small_sample_takes_an_observed_value():
    # ceil(0.95 * 3) = 3rd smallest.
    assert p95_latency([5.0, 1.0, 3.0]) == 5.0


def test_p95_latency_ignores_missing_values():
    assert p95_latency([np.nan, 10.0, np.nan]) == 10.0


def test_p95_latency_empty_raises_undefined():
    with pytest.raises(UndefinedMetricError, match="latencies: no measured latency"):
        p95_latency([])


def test_p95_latency_negative_value_refused():
    with pytest.raises(ValidationError, match="finite and >= 0 milliseconds"):
        p95_latency([10.0, -1.0])


def test_service_log_summary_chunks_equal_whole():
    rng = np.random.default_rng(4)
    latencies = np.round(rng.lognormal(3.5, 0.4, 5000), 1)
    failed = rng.random(5000) < 0.01
    whole, left, right = ServiceLogSummary(), ServiceLogSummary(), ServiceLogSummary()
    whole.update(latencies, failed)
    left.update(latencies[:1234], failed[:1234])
    right.update(latencies[1234:], failed[1234:])

    left.merge(right)

    assert left.result() == whole.result()
    assert whole.result().errors == int(failed.sum())


def test_service_log_summary_length_mismatch_refused():
    with pytest.raises(ValidationError, match="one of each per request"):
        ServiceLogSummary().update([1.0, 2.0], [False])


# Episodes, retraining cool-down, status interval


def _decision(status):
    return RuleDecision(Rule.AUC_ALERT, status, {}, {}, ("r",))


@pytest.mark.parametrize(
    ("status", "is_open", "change"),
    [
        (B, False, EpisodeChange.OPENED),
        (B, True, EpisodeChange.CONTINUED),
        (W, True, EpisodeChange.CLOSED),
        (W, False, EpisodeChange.NONE),
        (U, True, EpisodeChange.NONE),
        (U, False, EpisodeChange.NONE),
    ],
)
def test_episode_change_table(status, is_open, change):
    assert episode_change(_decision(status), is_open=is_open) is change


NOW = datetime(2024, 3, 10, 12, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("hours_ago", "is_due"),
    # The default cool-down is 72 hours.
    [(72, True), (72 - 1 / 3600, False), (73, True), (1, False)],
)
def test_is_retraining_due_cooldown_boundary(hours_ago, is_due):
    assert is_retraining_due(NOW - timedelta(hours=hours_ago), NOW, POLICY) is is_due


def test_is_retraining_due_first_time():
    assert is_retraining_due(None, NOW, POLICY) is True


@pytest.mark.parametrize(("hours_ago", "is_due"), [(6, True), (5.99, False), (None, True)])
def test_is_status_due_interval(hours_ago, is_due):
    last = None if hours_ago is None else NOW - timedelta(hours=hours_ago)

    assert is_status_due(last, NOW, POLICY) is is_due


# Gate rule


def test_gate_rule_closed_gate_breaches_with_its_reasons():
    decision = gate_rule(GateDecision(False, ("qualification Q-1 is revoked",), "Q-1"))

    assert decision.status is B
    assert decision.reasons == ("qualification Q-1 is revoked",)


def test_gate_rule_open_gate_is_within():
    assert gate_rule(GateDecision(True, (), "Q-1")).status is W


# Baseline from the approved evidence


def test_baseline_from_evidence_reads_auc_and_disparate_impact(evidence_factory):
    # Conftest evidence: rates 360/400 = 0.90 and 510/600 = 0.85, AUC 0.93.
    baseline = baseline_from_evidence(evidence_factory(), POLICY)

    assert baseline.auc == 0.93
    assert baseline.disparate_impact["age_group"] == pytest.approx(0.85 / 0.90)


def test_baseline_from_evidence_undefined_ratio_is_none(evidence_factory):
    tiny = [
        {
            "attribute": "age_group",
            "favourable_outcome": "not_flagged",
            "groups": [{"group": "a", "size": 5, "favourable": 5}],
        }
    ]

    baseline = baseline_from_evidence(evidence_factory(fairness=tiny), POLICY)

    assert baseline.disparate_impact == {"age_group": None}


# Canary


def test_canary_split_from_policy(policy):
    assert canary_split(POLICY) == pytest.approx((0.9, 0.1))
    assert canary_split(policy(canary_share=0.25)) == pytest.approx((0.75, 0.25))


def test_decide_canary_within_limits_promotes():
    decision = decide_canary(ServiceMetrics(1000, 2, 60.0), POLICY, model_id=MODEL, auc=0.93)

    assert decision.action is CanaryAction.PROMOTE


@pytest.mark.parametrize(
    ("metrics", "auc", "action"),
    [
        (ServiceMetrics(10_000, 100, 60.0), None, CanaryAction.PROMOTE),
        (ServiceMetrics(10_000, 101, 60.0), None, CanaryAction.ROLLBACK),
        (ServiceMetrics(1000, 0, 100.0), None, CanaryAction.ROLLBACK),
        (ServiceMetrics(1000, 0, 99.9), None, CanaryAction.PROMOTE),
        (ServiceMetrics(1000, 0, 60.0), 0.88, CanaryAction.PROMOTE),
        (ServiceMetrics(1000, 0, 60.0), 0.8799, CanaryAction.ROLLBACK),
        (ServiceMetrics(0, 0, None), None, CanaryAction.ROLLBACK),
        (ServiceMetrics(10, 0, None), None, CanaryAction.ROLLBACK),
    ],
)
def test_decide_canary_boundaries(metrics, auc, action):
    assert decide_canary(metrics, POLICY, model_id=MODEL, auc=auc).action is action


def test_decide_canary_rollback_lists_every_problem():
    decision = decide_canary(ServiceMetrics(100, 5, 150.0), POLICY, model_id=MODEL, auc=0.7)

    assert decision.action is CanaryAction.ROLLBACK
    assert len(decision.reasons) == 3
    assert decision.measured["error_rate"] == pytest.approx(0.05)
