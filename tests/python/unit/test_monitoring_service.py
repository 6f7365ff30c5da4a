"""MonitoringService on an in-memory ledger: rules, episodes, alerts, canary."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import inspect, select

from model_governance.core.constants import FAST_TRACK_ACTOR
from model_governance.core.errors import (
    ConflictError,
    ExternalSystemError,
    GateClosedError,
    NotFoundError,
)
from model_governance.core.monitoring import (
    CanaryAction,
    EpisodeChange,
    Rule,
    RuleStatus,
    ServiceMetrics,
)
from model_governance.core.workflow import Decision, QualificationState
from model_governance.evaluation import Evaluation, FeatureDrift, ScoredColumns, summarise_reference
from model_governance.ledger import monitoring as records
from model_governance.ledger import schema as tables
from model_governance.monitoring import (
    CanaryTarget,
    MonitoringService,
    RetrainingRequest,
    Window,
    evaluate_window,
    references_from_dict,
    references_to_dict,
    service_metrics_from_chunks,
)
from model_governance.notify import DeliveryResult

MODEL = "claims-fraud"
ROLES = ("review_board", "data_steward", "security_lead", "ml_engineer")
BOT = "monitoring-scenario"
TARGET = CanaryTarget("fraud-predict", "fraud-predict-prod", "gen-1", "gen-2")


class FakeNotifier:
    """Records each delivery; the ledger must already hold it as pending."""

    def __init__(self, ledger, *, fail=False):
        self.ledger = ledger
        self.fail = fail
        self.failing: set[str] = set()
        self.sent = []
        self.pending_seen = []

    def channels_for(self, alert):
        return tuple(c for c in ("slack", "pagerduty") if c in alert.channels)

    def target(self, channel):
        return f"https://{channel}.example"

    def deliver(self, channel, alert):
        pending = records.deliveries_for(self.ledger, status=records.PENDING)
        self.pending_seen.append([(d.channel, d.dedup_key) for d in pending])
        self.sent.append((channel, alert))
        if self.fail or channel in self.failing:
            return DeliveryResult(channel, self.target(channel), False, 4, 503, "HTTP 503: down")
        return DeliveryResult(channel, self.target(channel), True, 1, 200)


class FakeRetrainer:
    def __init__(self, *, error=None):
        self.requests: list[RetrainingRequest] = []
        self.error = error

    def __call__(self, request):
        self.requests.append(request)
        if self.error:
            raise self.error
        return f"run-{len(self.requests)}"


class FakeDeployer:
    def __init__(self, *, fail_on=None):
        self.calls = []
        self.fail_on = fail_on

    def _call(self, name, *args):
        self.calls.append((name, *args))
        if name == self.fail_on:
            raise ExternalSystemError(f"API Deployer refused {name}", operation=name)

    def set_generation_split(self, service, deployment, current, new, share):
        self._call("split", service, deployment, current, new, share)

    def promote(self, service, deployment, new):
        self._call("promote", service, deployment, new)

    def rollback(self, service, deployment, current):
        self._call("rollback", service, deployment, current)


def _approve(service, evidence, reviewers):
    service.register(evidence, actor="sue.scientist")
    service.record_rollback_drill(
        evidence.model_id, evidence.version, actor="ops", is_passed=True, target="", note="ok"
    )
    q = service.submit(evidence.model_id, evidence.version, actor="sue.scientist").qualification
    for role in ROLES:
        q = service.sign(q.qualification_id, reviewers[role], role, Decision.APPROVE, comment="ok")
    assert q.state is QualificationState.APPROVED
    return q


@pytest.fixture
def approved(service, evidence_factory, reviewers):
    return _approve(service, evidence_factory(), reviewers)


@pytest.fixture
def notifier(ledger):
    return FakeNotifier(ledger)


@pytest.fixture
def retrainer():
    return FakeRetrainer()


@pytest.fixture
def monitoring(service, notifier, retrainer, approved):
    return MonitoringService(service, notifier, retrainer, deployer=FakeDeployer())


def _evaluation(auc=0.93, ks=0.05, di=0.944):
    drift = FeatureDrift(
        feature="claim_amount",
        kind="numeric",
        method="ks",
        statistic=ks,
        p_value=0.01,
        drifted=ks > 0.15,
        psi=0.01,
        reference_missing_rate=0.0,
        current_missing_rate=0.0,
        missing_rate_change=0.0,
    )
    groups = [
        {"group": "40_plus", "size": 600, "favourable": 510, "rate": 0.85, "ratio": di},
        {"group": "under_40", "size": 400, "favourable": 360, "rate": 0.9, "ratio": 1.0},
    ]
    return Evaluation(1000, auc, 0.0, (drift,), {"age_group": {"ratio": di, "groups": groups}})


def _day(monitoring, day, **metrics):
    record = monitoring.record_evaluation(
        MODEL, "v1", Window.day(date(2024, 3, day)), _evaluation(**metrics), source="t", actor=BOT
    )
    return {o.decision.rule: o for o in monitoring.run_rules(MODEL, actor=BOT)}, record


def _actions(ledger, entity=("model", MODEL)):
    return [e.action for e in ledger.iter_events(entity=entity)]


# Evaluations


def test_record_evaluation_stores_row_and_audit_event(monitoring, ledger):
    record = monitoring.record_evaluation(
        MODEL, "v1", Window.day(date(2024, 3, 1)), _evaluation(), source="scored.csv", actor=BOT
    )

    assert record.auc == 0.93
    assert record.max_ks == 0.05
    assert record.metrics["drift"] == {"claim_amount": 0.05}
    assert record.metrics["disparate_impact"] == {"age_group": {"40_plus": 0.944, "under_40": 1.0}}
    assert record.metrics["disparate_impact_ratio"] == {"age_group": 0.944}
    assert _actions(ledger, ("version", f"{MODEL}/v1"))[-1] == "evaluation.recorded"


def test_record_evaluation_same_window_twice_is_a_conflict(monitoring):
    window = Window.day(date(2024, 3, 1))
    monitoring.record_evaluation(MODEL, "v1", window, _evaluation(), source="a", actor=BOT)

    with pytest.raises(ConflictError, match="one evaluation is kept per window"):
        monitoring.record_evaluation(MODEL, "v1", window, _evaluation(), source="b", actor=BOT)


def test_record_evaluation_unknown_version_refused(monitoring):
    with pytest.raises(NotFoundError, match="version v9 is not registered"):
        monitoring.record_evaluation(
            MODEL, "v9", Window.day(date(2024, 3, 1)), _evaluation(), source="a", actor=BOT
        )


def test_evaluate_window_from_chunks_feeds_the_stored_metrics(monitoring):
    rng = np.random.default_rng(3)
    reference = pd.DataFrame({"claim_amount": rng.normal(100, 10, 2000)})
    refs = summarise_reference(reference, columns=["claim_amount"])
    label = rng.integers(0, 2, 3000)
    current = pd.DataFrame(
        {
            "claim_amount": rng.normal(110, 10, 3000),
            "label": label,
            "score": np.clip(label * 0.3 + rng.random(3000) * 0.7, 0, 1),
            "age_group": rng.choice(["under_40", "40_plus"], 3000),
        }
    )
    columns = ScoredColumns(label="label", score="score", protected=("age_group",))
    chunks = (current.iloc[i : i + 700] for i in range(0, 3000, 700))

    evaluation = evaluate_window(chunks, columns=columns, references=refs, policy=monitoring.policy)
    record = monitoring.record_evaluation(
        MODEL, "v1", Window.day(date(2024, 3, 1)), evaluation, source="chunks", actor=BOT
    )

    assert record.metrics["rows"] == 3000
    assert record.max_ks == pytest.approx(evaluation.max_ks)
    assert record.max_ks > 0.3  # a one-standard-deviation shift
    assert set(record.metrics["disparate_impact_ratio"]) == {"age_group"}


def test_references_round_trip_and_keep_first(monitoring):
    frame = pd.DataFrame({"claim_amount": [1.0, 2.0, 3.0], "provider_type": ["a", "b", "a"]})
    refs = summarise_reference(frame, columns=["claim_amount", "provider_type"])
    monitoring.save_reference(MODEL, "v1", refs, source="train.csv", actor=BOT)

    loaded = monitoring.load_reference(MODEL, "v1")
    other = summarise_reference(
        frame.assign(claim_amount=[5.0, 6.0, 7.0]), columns=["claim_amount"]
    )

    assert references_to_dict(loaded) == references_to_dict(refs)
    assert references_from_dict(references_to_dict(refs)).keys() == refs.keys()
    with pytest.raises(ConflictError, match="keeps the reference it was approved with"):
        monitoring.save_reference(MODEL, "v1", other, source="other.csv", actor=BOT)


# Rules, episodes and notifications


def test_run_rules_within_limits_writes_four_decisions_and_no_episode(monitoring, ledger):
    outcomes, _ = _day(monitoring, 1)

    assert {o.decision.status for o in outcomes.values()} == {RuleStatus.WITHIN}
    assert len(records.decisions_for(ledger, MODEL)) == 4
    assert records.open_episodes(ledger, MODEL) == []


def test_auc_alert_episode_notifies_once_and_closes(monitoring, ledger, notifier):
    day1, record = _day(monitoring, 1, auc=0.87)
    day2, _ = _day(monitoring, 2, auc=0.86)
    day3, _ = _day(monitoring, 3, auc=0.90)

    alert = day1[Rule.AUC_ALERT]
    assert alert.change is EpisodeChange.OPENED
    assert [d.channel for d in alert.deliveries] == ["slack", "pagerduty"]
    assert all(d.status == records.DELIVERED for d in alert.deliveries)
    assert day2[Rule.AUC_ALERT].change is EpisodeChange.CONTINUED
    assert day2[Rule.AUC_ALERT].deliveries == ()
    assert day3[Rule.AUC_ALERT].change is EpisodeChange.CLOSED
    auc_sent = [(c, a.is_resolution) for c, a in notifier.sent if a.alert_class == "auc_alert"]
    assert auc_sent == [
        ("slack", False),
        ("pagerduty", False),
        ("slack", True),
        ("pagerduty", True),
    ]
    episode = records.episodes_for(ledger, MODEL)[-1]
    assert episode.evaluation_id == record.evaluation_id


def test_closed_episode_resolves_with_the_dedup_key_it_was_raised_with(monitoring, notifier):
    _day(monitoring, 1, auc=0.87)
    _day(monitoring, 2, auc=0.90)

    raised, resolved = [a for c, a in notifier.sent if c == "pagerduty"]
    assert (raised.is_resolution, resolved.is_resolution) == (False, True)
    assert resolved.dedup_key == raised.dedup_key
    assert "resolved" in resolved.summary


def test_closed_episode_sends_no_resolution_where_the_alert_was_not_delivered(monitoring, notifier):
    notifier.failing = {"pagerduty"}
    _day(monitoring, 1, auc=0.87)
    notifier.failing = set()
    _day(monitoring, 2, auc=0.90)

    sent = [(c, a.is_resolution) for c, a in notifier.sent if a.alert_class == "auc_alert"]
    assert sent == [("slack", False), ("pagerduty", False), ("slack", True)]


def test_episode_reopens_after_closing_and_notifies_again(monitoring, notifier):
    for day, auc in enumerate((0.87, 0.90, 0.87), start=1):
        _day(monitoring, day, auc=auc)

    keys = {a.dedup_key for c, a in notifier.sent if a.alert_class == "auc_alert"}
    assert len(keys) == 2  # one PagerDuty alert per episode


def test_alert_payload_carries_measured_values_and_thresholds(monitoring, notifier):
    _day(monitoring, 1, auc=0.8712)

    alert = next(a for c, a in notifier.sent if c == "pagerduty")
    assert alert.severity == "critical"
    assert alert.details["measured"] == {"auc": 0.8712}
    assert alert.details["thresholds"] == {"auc_alert_threshold": 0.88}
    assert alert.group == "CLAIMS"
    assert alert.component == MODEL


def test_delivery_row_committed_before_notification(monitoring, notifier):
    # AUC 0.87 also drops 6.5 % from the approved 0.93: a flag, notified on its own.
    _day(monitoring, 1, auc=0.87)

    assert notifier.pending_seen[0] == [
        ("slack", "model-governance:claims-fraud:auc_alert:-:1"),
        ("pagerduty", "model-governance:claims-fraud:auc_alert:-:1"),
        ("slack", "model-governance:claims-fraud:auc_drop:-:2"),
    ]
    assert notifier.pending_seen[-1] == [("slack", "model-governance:claims-fraud:auc_drop:-:2")]


def test_failed_delivery_recorded_and_episode_kept(service, approved, ledger):
    monitoring = MonitoringService(service, FakeNotifier(ledger, fail=True), FakeRetrainer())

    outcomes, _ = _day(monitoring, 1, auc=0.87)

    deliveries = outcomes[Rule.AUC_ALERT].deliveries
    assert [(d.status, d.attempts, d.error) for d in deliveries] == [
        ("failed", 4, "HTTP 503: down"),
        ("failed", 4, "HTTP 503: down"),
    ]
    assert records.open_episodes(ledger, MODEL)[0].rule == "auc_alert"
    # Two for the AUC alert, one for the AUC drop flag (6.5 % below the approved 0.93).
    assert _actions(ledger).count("alert.delivery_failed") == 3


def test_crash_during_notification_leaves_episode_and_pending_delivery(service, approved, ledger):
    class Crashing(FakeNotifier):
        def deliver(self, channel, alert):
            raise RuntimeError("process killed")

    monitoring = MonitoringService(service, Crashing(ledger), FakeRetrainer())
    monitoring.record_evaluation(
        MODEL, "v1", Window.day(date(2024, 3, 1)), _evaluation(auc=0.87), source="t", actor=BOT
    )

    with pytest.raises(RuntimeError, match="process killed"):
        monitoring.run_rules(MODEL, actor=BOT)

    assert [e.rule for e in records.open_episodes(ledger, MODEL)] == ["auc_alert", "auc_drop"]
    pending = records.deliveries_for(ledger, status=records.PENDING)
    assert [d.channel for d in pending] == ["slack", "pagerduty", "slack"]
    assert ledger.verify().is_intact


def test_auc_drop_and_bias_shift_flag_the_model(monitoring, ledger):
    # Approved AUC 0.93 and DI 0.944; now AUC 0.88 (5.4 % drop) and DI 0.85.
    outcomes, _ = _day(monitoring, 1, auc=0.88, di=0.85)

    assert outcomes[Rule.AUC_ALERT].decision.status is RuleStatus.WITHIN
    assert outcomes[Rule.AUC_DROP].change is EpisodeChange.OPENED
    assert outcomes[Rule.BIAS_SHIFT].change is EpisodeChange.OPENED
    assert _actions(ledger).count("model.flagged") == 2
    assert {f["rule"] for f in monitoring.publish_status(MODEL, actor=BOT).open_flags} == {
        "auc_drop",
        "bias_shift",
    }


# Retraining


def test_drift_episode_triggers_one_retraining(monitoring, retrainer, ledger):
    day1, record = _day(monitoring, 1, ks=0.2)
    day2, _ = _day(monitoring, 2, ks=0.3)

    run = day1[Rule.DRIFT].retraining
    assert run.status == records.STARTED
    assert run.run_id == "run-1"
    assert run.evaluation_id == record.evaluation_id
    assert day2[Rule.DRIFT].retraining is None
    assert len(retrainer.requests) == 1
    assert retrainer.requests[0].reasons[0] == "largest KS statistic 0.2000 is above 0.15"
    actions = _actions(ledger)
    assert actions.index("retraining.requested") < actions.index("retraining.started")


def test_drift_reopening_within_cooldown_skips_retraining(monitoring, retrainer, service):
    _day(monitoring, 1, ks=0.2)
    _day(monitoring, 2, ks=0.05)
    service.clock.current += timedelta(hours=71)

    reopened, _ = _day(monitoring, 3, ks=0.2)

    run = reopened[Rule.DRIFT].retraining
    assert run.status == records.SKIPPED
    assert run.detail.startswith("cool-down: a retraining was requested at")
    assert len(retrainer.requests) == 1


def test_drift_reopening_after_cooldown_retrains_again(monitoring, retrainer, service):
    _day(monitoring, 1, ks=0.2)
    _day(monitoring, 2, ks=0.05)
    service.clock.current += timedelta(hours=72)

    reopened, _ = _day(monitoring, 3, ks=0.2)

    assert reopened[Rule.DRIFT].retraining.status == records.STARTED
    assert len(retrainer.requests) == 2


def test_retraining_that_fails_to_start_is_recorded(service, approved, ledger):
    retrainer = FakeRetrainer(error=ExternalSystemError("scenario RETRAIN not found"))
    monitoring = MonitoringService(service, None, retrainer)

    outcomes, _ = _day(monitoring, 1, ks=0.2)

    run = outcomes[Rule.DRIFT].retraining
    assert run.status == records.FAILED
    assert "scenario RETRAIN not found" in run.detail
    assert "retraining.failed" in _actions(ledger)


def test_drift_without_retraining_pipeline_is_recorded_as_skipped(service, approved):
    monitoring = MonitoringService(service)

    outcomes, _ = _day(monitoring, 1, ks=0.2)

    assert outcomes[Rule.DRIFT].retraining.detail == "no retraining pipeline is configured"


# SLA and gate


def test_sla_breach_pages_once_for_the_service(monitoring, notifier):
    window = Window.day(date(2024, 3, 1))
    slow = ServiceMetrics(requests=1000, errors=0, p95_latency_ms=100.0)

    first = monitoring.check_sla(MODEL, "v1", "fraud-predict", slow, window=window, actor=BOT)
    again = monitoring.check_sla(MODEL, "v1", "fraud-predict", slow, window=window, actor=BOT)

    assert first.change is EpisodeChange.OPENED
    assert again.change is EpisodeChange.CONTINUED
    assert first.decision.measured["window_start"] == "2024-03-01T00:00:00.000000+00:00"
    assert [c for c, _ in notifier.sent] == ["slack", "pagerduty"]
    assert notifier.sent[0][1].source == "fraud-predict"


def test_service_metrics_from_query_log_chunks_with_window():
    log = pd.DataFrame(
        {
            "timestamp": ["2024-03-01T10:00:00Z", "2024-03-01T11:00:00Z", "2024-03-02T01:00:00Z"],
            "latency_ms": [50.0, 120.0, 900.0],
            "status": [200, 503, 200],
        }
    )

    metrics = service_metrics_from_chunks(
        [log.iloc[:2], log.iloc[2:]],
        latency_column="latency_ms",
        status_column="status",
        timestamp_column="timestamp",
        window=Window.day(date(2024, 3, 1)),
    )

    assert metrics == ServiceMetrics(requests=2, errors=1, p95_latency_ms=120.0)


def test_gate_rule_alerts_when_approval_revoked(monitoring, service, approved, reviewers):
    assert monitoring.check_gate(MODEL, "v1", actor=BOT).decision.status is RuleStatus.WITHIN
    service.revoke(approved.qualification_id, reviewers["review_board"], reason="bias alert")

    outcome = monitoring.check_gate(MODEL, "v1", actor=BOT)

    assert outcome.change is EpisodeChange.OPENED
    assert "is revoked" in outcome.decision.reasons[0]


# Status


def test_publish_status_always_recorded(monitoring, ledger):
    first = monitoring.publish_status(MODEL, actor=BOT, deployed_bundle="bundle-1")
    second = monitoring.publish_status(MODEL, actor=BOT)

    assert first.health == "unknown"
    assert first.governance_state == "approved"
    assert first.deployed_bundle == "bundle-1"
    assert second.snapshot_id == first.snapshot_id + 1
    assert _actions(ledger).count("status.published") == 2
    assert records.latest_status(ledger, MODEL).snapshot_id == second.snapshot_id


@pytest.mark.parametrize(
    ("metrics", "health"),
    [({}, "healthy"), ({"ks": 0.3}, "flagged"), ({"auc": 0.8}, "alerting")],
)
def test_publish_status_health(monitoring, metrics, health):
    _day(monitoring, 1, **metrics)

    status = monitoring.publish_status(MODEL, actor=BOT)

    assert status.health == health
    assert status.version == "v1"
    assert status.last_window_end.day == 2


def test_status_due_follows_policy_interval(monitoring, service):
    assert monitoring.is_status_due(MODEL) is True
    monitoring.publish_status(MODEL, actor=BOT)
    assert monitoring.is_status_due(MODEL) is False

    service.clock.current += timedelta(hours=6)

    assert monitoring.is_status_due(MODEL) is True


# Retraining fast track


def test_submit_retrained_inside_envelope_grants_board_by_rule(
    monitoring, evidence_factory, ledger
):
    retrained = evidence_factory(version="v2", metrics={"auc": 0.935})

    submission = monitoring.submit_retrained(retrained, actor="retraining-pipeline")

    q = submission.qualification
    assert submission.envelope.is_inside
    assert submission.approved_version == "v1"
    assert q.is_fast_track is True
    assert q.signoff_for("review_board").actor == FAST_TRACK_ACTOR
    assert all(q.signoff_for(r) is None for r in ROLES[1:])
    assert q.state is QualificationState.IN_REVIEW
    events = ledger.iter_events(entity=("qualification", q.qualification_id))
    evaluated = next(e for e in events if e.action == "fast_track.evaluated")
    assert evaluated.payload["is_inside"] is True


def test_submit_retrained_then_humans_approve(monitoring, evidence_factory, service, reviewers):
    q = monitoring.submit_retrained(
        evidence_factory(version="v2"), actor="retraining-pipeline"
    ).qualification

    for role in ROLES[1:]:
        q = service.sign(q.qualification_id, reviewers[role], role, Decision.APPROVE, comment="ok")

    assert q.state is QualificationState.APPROVED


def test_submit_retrained_outside_envelope_needs_the_board(monitoring, evidence_factory):
    worse = evidence_factory(version="v2", metrics={"auc": 0.91})

    submission = monitoring.submit_retrained(worse, actor="retraining-pipeline")

    assert submission.envelope.is_inside is False
    assert submission.qualification.signoff_for("review_board") is None
    assert submission.qualification.is_fast_track is False


def test_submit_retrained_without_approved_version_refused(service, evidence_factory):
    monitoring = MonitoringService(service)

    with pytest.raises(NotFoundError, match="has no approved version"):
        monitoring.submit_retrained(evidence_factory(version="v2"), actor="pipeline")


# Canary


def test_start_canary_routes_policy_share(monitoring, ledger):
    split = monitoring.start_canary(MODEL, "v1", TARGET, actor="ops")

    assert split == pytest.approx((0.9, 0.1))
    assert monitoring.deployer.calls == [
        ("split", "fraud-predict", "fraud-predict-prod", "gen-1", "gen-2", pytest.approx(0.1))
    ]
    assert _actions(ledger)[-1] == "canary.started"


def test_start_canary_refused_when_gate_closed(service, evidence_factory, ledger):
    service.register(evidence_factory(), actor="sue.scientist")
    monitoring = MonitoringService(service, deployer=FakeDeployer())

    with pytest.raises(GateClosedError):
        monitoring.start_canary(MODEL, "v1", TARGET, actor="ops")

    assert monitoring.deployer.calls == []


def test_canary_within_limits_promoted_and_audited(monitoring, ledger):
    decision = monitoring.canary_decide(
        MODEL, "v1", TARGET, ServiceMetrics(500, 1, 70.0), actor="ops", auc=0.95
    )

    assert decision.action is CanaryAction.PROMOTE
    assert monitoring.deployer.calls == [
        ("promote", "fraud-predict", "fraud-predict-prod", "gen-2")
    ]
    assert _actions(ledger)[-2:] == ["canary.decided", "canary.promoted"]


def test_canary_slow_rolled_back(monitoring, ledger):
    decision = monitoring.canary_decide(
        MODEL, "v1", TARGET, ServiceMetrics(500, 0, 100.0), actor="ops"
    )

    assert decision.action is CanaryAction.ROLLBACK
    assert monitoring.deployer.calls == [
        ("rollback", "fraud-predict", "fraud-predict-prod", "gen-1")
    ]
    assert _actions(ledger)[-1] == "canary.rolled_back"


def test_canary_not_promoted_after_revocation(monitoring, service, approved, reviewers):
    service.revoke(approved.qualification_id, reviewers["review_board"], reason="bias")

    decision = monitoring.canary_decide(
        MODEL, "v1", TARGET, ServiceMetrics(500, 0, 50.0), actor="ops"
    )

    assert decision.action is CanaryAction.ROLLBACK
    assert "is revoked" in decision.reasons[0]


def test_canary_deployer_failure_recorded_and_raised(service, approved, ledger):
    monitoring = MonitoringService(service, deployer=FakeDeployer(fail_on="promote"))

    with pytest.raises(ExternalSystemError, match="refused promote"):
        monitoring.canary_decide(MODEL, "v1", TARGET, ServiceMetrics(500, 0, 50.0), actor="ops")

    assert _actions(ledger)[-2:] == ["canary.decided", "canary.action_failed"]


# Ledger integrity across all of the above


def test_monitoring_events_keep_the_chain_intact(monitoring, ledger):
    for day, (auc, ks) in enumerate([(0.93, 0.05), (0.87, 0.3), (0.92, 0.05)], start=1):
        _day(monitoring, day, auc=auc, ks=ks)
    monitoring.publish_status(MODEL, actor=BOT)

    assert ledger.verify().is_intact
    with ledger.engine.connect() as conn:
        rows = conn.execute(select(tables.monitoring_decisions.c.measured_json)).scalars().all()
    assert len(rows) == 12
    assert all(isinstance(json.loads(r), dict) for r in rows)


def test_ensure_monitoring_tables_adds_them_to_an_older_ledger(ledger):
    tables.metadata.drop_all(ledger.engine, tables=list(records.MONITORING_TABLES))
    assert "monitoring_episodes" not in inspect(ledger.engine).get_table_names()

    records.ensure_monitoring_tables(ledger)
    records.ensure_monitoring_tables(ledger)

    names = set(inspect(ledger.engine).get_table_names())
    assert {t.name for t in records.MONITORING_TABLES} <= names
