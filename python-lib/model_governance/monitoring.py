"""Production monitoring: evaluations, alert rules, retraining, canary and status.

:class:`MonitoringService` is what the DSS evaluation recipe and scenario steps call,
and what ``model-governance monitor`` calls on local files. It takes its outside
systems as ports: a :class:`Notifier` (Slack, PagerDuty), a :class:`Retrainer` (the
retraining pipeline) and a :class:`CanaryDeployer` (the API Deployer).

Ledger discipline:

- each rule run writes every decision, and each episode it opens or closes with its
  audit event, in one transaction;
- a notification is stored ``pending`` and a retraining ``requested`` in that same
  transaction, before the outside system is called; the outcome is recorded after,
  in its own transaction with its own audit event, so a failing webhook or pipeline
  never loses the record of what was due;
- actions happen when an episode opens, never while it stays open: one episode, one
  notification per channel, at most one retraining.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Optional, Protocol

import numpy as np
import pandas as pd

from model_governance.core import monitoring as rules
from model_governance.core.checks import CheckResult
from model_governance.core.errors import (
    ConfigError,
    ExternalSystemError,
    GovernanceError,
    NotFoundError,
    ValidationError,
)
from model_governance.core.evidence import Evidence
from model_governance.core.fast_track import Envelope, fast_track_envelope
from model_governance.core.hashing import sha256_hex, to_utc_iso
from model_governance.core.metrics import CategoricalSummary, NumericReferenceSummary
from model_governance.core.monitoring import (
    CanaryAction,
    CanaryDecision,
    EpisodeChange,
    Rule,
    RuleDecision,
    ServiceLogSummary,
    ServiceMetrics,
    WindowMetrics,
)
from model_governance.core.policy import Policy
from model_governance.core.workflow import Qualification
from model_governance.evaluation import (
    DriftStream,
    Evaluation,
    ReferenceSummary,
    ScoredColumns,
    ScoredStream,
    evaluate_frames,
)
from model_governance.ledger import LedgerTransaction
from model_governance.ledger import monitoring as records
from model_governance.ledger.monitoring import (
    DeliveryRecord,
    EpisodeRecord,
    EvaluationRecord,
    RetrainingRecord,
    StatusSnapshot,
)
from model_governance.notify import PAGERDUTY, SLACK, Alert, DeliveryResult
from model_governance.services import Clock, GovernanceService

log = logging.getLogger(__name__)

REFERENCE_FORMAT = "model-governance.reference/1"

__all__ = [
    "REFERENCE_FORMAT",
    "CanaryDeployer",
    "CanaryTarget",
    "MonitoringService",
    "Notifier",
    "RetrainedSubmission",
    "Retrainer",
    "RetrainingRequest",
    "RuleOutcome",
    "Window",
    "evaluate_window",
    "evaluation_metrics",
    "references_from_dict",
    "references_to_dict",
    "rule_outcome_to_dict",
    "service_metrics_from_chunks",
    "status_to_dict",
    "window_metrics",
]


# Ports


@dataclass(frozen=True)
class RetrainingRequest:
    """What the retraining pipeline is asked to do, and the evaluation behind it."""

    model_id: str
    version: str
    evaluation_id: Optional[int]
    episode_id: int
    reasons: tuple[str, ...]
    requested_at: datetime


class Retrainer(Protocol):
    """Starts the retraining pipeline; returns its run id.

    Raises :class:`ExternalSystemError` (or another :class:`GovernanceError`) when the
    pipeline cannot be started; the failure is recorded, not re-raised.
    """

    def __call__(self, request: RetrainingRequest) -> str:
        """Start retraining for ``request``."""
        ...


class Notifier(Protocol):
    """Sends alerts (see :class:`model_governance.notify.WebhookNotifier`)."""

    def channels_for(self, alert: Alert) -> tuple[str, ...]:
        """The alert's channels that are configured."""
        ...

    def target(self, channel: str) -> str:
        """Where ``channel`` posts, without secrets."""
        ...

    def deliver(self, channel: str, alert: Alert) -> DeliveryResult:
        """Send ``alert`` to ``channel``; a failure is returned, not raised."""
        ...


class CanaryDeployer(Protocol):
    """The API Deployer calls a canary rollout needs.

    Each method raises :class:`ExternalSystemError` when the deployer refuses or fails.
    """

    def set_generation_split(
        self, service: str, deployment: str, current: str, new: str, share: float
    ) -> None:
        """Route ``share`` of the traffic to ``new``, the rest to ``current``."""
        ...

    def promote(self, service: str, deployment: str, new: str) -> None:
        """Send all traffic to generation ``new``."""
        ...

    def rollback(self, service: str, deployment: str, current: str) -> None:
        """Send all traffic back to generation ``current``."""
        ...


@dataclass(frozen=True)
class CanaryTarget:
    """An API service deployment and the two generations a canary splits."""

    service: str
    deployment: str
    current_generation: str
    new_generation: str


@dataclass(frozen=True)
class Window:
    """A half-open time window [start, end) in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValidationError("window: start and end need a time zone; pass UTC datetimes.")
        if not self.start < self.end:
            raise ValidationError(
                f"window: start {self.start.isoformat()} is not before end "
                f"{self.end.isoformat()}; swap them or widen the window."
            )

    @classmethod
    def day(cls, day: date) -> Window:
        """The UTC calendar day ``day``."""
        start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
        return cls(start, start + timedelta(days=1))

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """(start, end)."""
        return self.start, self.end


@dataclass(frozen=True)
class RuleOutcome:
    """A rule's decision and what it did: episode, notifications, retraining."""

    decision: RuleDecision
    change: EpisodeChange
    decision_id: int
    episode_id: Optional[int] = None
    deliveries: tuple[DeliveryRecord, ...] = ()
    retraining: Optional[RetrainingRecord] = None


@dataclass(frozen=True)
class RetrainedSubmission:
    """A retrained version, registered, submitted and fast-tracked when it may be."""

    qualification: Qualification
    envelope: Envelope
    approved_version: str
    checks: tuple[CheckResult, ...]


# The evaluation engine


def evaluate_window(
    chunks: Iterable[pd.DataFrame],
    *,
    columns: ScoredColumns,
    references: Mapping[str, ReferenceSummary],
    policy: Policy,
) -> Evaluation:
    """AUC, drift against ``references`` and disparate impact of one window's chunks."""
    stream = ScoredStream(columns, policy, DriftStream(references, policy))
    return evaluate_frames(chunks, stream)


def evaluation_metrics(
    evaluation: Evaluation, service: ServiceMetrics | None = None
) -> dict[str, Any]:
    """The JSON stored with an evaluation (and read back by the review webapp)."""
    fairness = {a: dict(info) for a, info in evaluation.disparate_impact.items()}
    metrics: dict[str, Any] = {
        "rows": evaluation.rows,
        "auc": evaluation.auc,
        "auc_error_bound": evaluation.auc_error_bound,
        "max_ks": evaluation.max_ks,
        "max_psi": evaluation.max_psi,
        "drift": {
            d.feature: d.statistic
            for d in evaluation.drift
            if d.kind == "numeric" and d.statistic is not None
        },
        "psi": {d.feature: d.psi for d in evaluation.drift if d.psi is not None},
        "drifted_features": [d.feature for d in evaluation.drift if d.drifted],
        "features": [d.to_dict() for d in evaluation.drift],
        "disparate_impact": {
            a: {g["group"]: g["ratio"] for g in info.get("groups", []) if g["ratio"] is not None}
            for a, info in fairness.items()
        },
        "disparate_impact_ratio": {a: info.get("ratio") for a, info in fairness.items()},
        "fairness": fairness,
        "notes": list(evaluation.notes),
    }
    if service is not None:
        metrics.update(
            requests=service.requests,
            errors=service.errors,
            error_rate=service.error_rate,
            latency_p95_ms=service.p95_latency_ms,
        )
    return metrics


def window_metrics(record: EvaluationRecord) -> WindowMetrics:
    """A stored evaluation as the rules see it."""
    stored = record.metrics
    ratios = stored.get("disparate_impact_ratio") or {}
    return WindowMetrics(
        auc=record.auc,
        max_ks=record.max_ks,
        max_psi=_number(stored.get("max_psi")),
        drifted_features=tuple(str(f) for f in stored.get("drifted_features") or ()),
        disparate_impact={str(a): _number(v) for a, v in ratios.items()},
    )


def references_to_dict(references: Mapping[str, ReferenceSummary]) -> dict[str, Any]:
    """Plain JSON form of per-column reference summaries (stored with the version)."""
    return {
        "format": REFERENCE_FORMAT,
        "columns": {name: summary.to_dict() for name, summary in sorted(references.items())},
    }


def references_from_dict(data: Mapping[str, Any]) -> dict[str, ReferenceSummary]:
    """Rebuild reference summaries from :func:`references_to_dict` output."""
    if not isinstance(data, Mapping) or data.get("format") != REFERENCE_FORMAT:
        raise ValidationError(
            f"reference summary: expected a {REFERENCE_FORMAT} document; rebuild it from "
            "the training data with `model-governance monitor --reference DATA "
            "--save-reference FILE`."
        )
    columns = data.get("columns")
    if not isinstance(columns, Mapping) or not columns:
        raise ValidationError("reference summary: 'columns' must name at least one column.")
    summaries: dict[str, ReferenceSummary] = {}
    for name, item in columns.items():
        is_numeric = isinstance(item, Mapping) and "grid" in item
        summaries[str(name)] = (
            NumericReferenceSummary.from_dict(item)
            if is_numeric
            else CategoricalSummary.from_dict(item)
        )
    return summaries


def service_metrics_from_chunks(
    chunks: Iterable[pd.DataFrame],
    *,
    latency_column: str,
    error_column: str | None = None,
    status_column: str | None = None,
    timestamp_column: str | None = None,
    window: Window | None = None,
) -> ServiceMetrics:
    """Requests, errors and p95 latency of an API service's query log over a window.

    A request failed when ``error_column`` is true, or when ``status_column`` holds an
    HTTP status of 500 or more (client errors are the caller's, not the service's).
    With ``timestamp_column`` and ``window``, rows outside the window are left out.
    """
    if (error_column is None) == (status_column is None):
        raise ValidationError(
            "query log: name exactly one of the error column (true when a request failed) "
            "and the HTTP status column."
        )
    if window is not None and timestamp_column is None:
        raise ValidationError("query log: a window needs the timestamp column to filter on.")
    summary = ServiceLogSummary()
    for chunk in chunks:
        rows = _rows_in_window(chunk, timestamp_column, window)
        if status_column is not None:
            failed = pd.to_numeric(rows[status_column], errors="coerce").fillna(0).to_numpy() >= 500
        else:
            failed = rows[str(error_column)].fillna(False).astype(bool).to_numpy()
        latencies = pd.to_numeric(rows[latency_column], errors="coerce").to_numpy(dtype=float)
        summary.update(latencies, failed)
    return summary.result()


def _rows_in_window(
    chunk: pd.DataFrame, timestamp_column: str | None, window: Window | None
) -> pd.DataFrame:
    if timestamp_column is None or window is None:
        return chunk
    moments = pd.to_datetime(chunk[timestamp_column], utc=True)
    start, end = pd.Timestamp(window.start), pd.Timestamp(window.end)
    return chunk[(moments >= start) & (moments < end)]


# The service


_SEVERITY = {
    Rule.AUC_ALERT: "critical",
    Rule.SLA: "error",
    Rule.GATE: "error",
    Rule.DRIFT: "warning",
    Rule.AUC_DROP: "warning",
    Rule.BIAS_SHIFT: "warning",
}
_PAGED = (Rule.AUC_ALERT, Rule.SLA)
_FLAGS = (Rule.AUC_DROP, Rule.BIAS_SHIFT)
_LABELS = {
    Rule.AUC_ALERT: "AUC alert",
    Rule.AUC_DROP: "AUC drop",
    Rule.BIAS_SHIFT: "bias shift",
    Rule.DRIFT: "drift alert",
    Rule.SLA: "SLA breach",
    Rule.GATE: "gate closed",
}


@dataclass
class _Pending:
    deliveries: list[tuple[int, str, Alert]] = field(default_factory=list)
    retraining: Optional[tuple[int, RetrainingRequest]] = None


class MonitoringService:
    """Evaluations, alert rules, retraining, canary rollouts and status publishing."""

    def __init__(
        self,
        governance: GovernanceService,
        notifier: Notifier | None = None,
        retrainer: Retrainer | None = None,
        clock: Clock | None = None,
        *,
        deployer: CanaryDeployer | None = None,
    ):
        self.governance = governance
        self.ledger = governance.ledger
        self.policy = governance.policy
        self.notifier = notifier
        self.retrainer = retrainer
        self.deployer = deployer
        self.clock = clock or governance.clock

    # References and evaluations

    def save_reference(
        self,
        model_id: str,
        version: str,
        references: Mapping[str, ReferenceSummary],
        *,
        source: str,
        actor: str,
    ) -> str:
        """Store the reference summary a version is compared with; return its hash."""
        self.ledger.get_version(model_id, version)
        now = self.clock()
        with self.ledger.transaction() as tx:
            digest = records.save_reference(
                tx,
                model_id=model_id,
                version=version,
                summary=references_to_dict(references),
                source=source,
                actor=actor,
                at=now,
            )
            tx.append_event(
                actor=actor,
                action="reference.recorded",
                entity=("version", f"{model_id}/{version}"),
                payload={"content_hash": digest, "source": source, "columns": sorted(references)},
                at=now,
            )
        return digest

    def load_reference(self, model_id: str, version: str) -> dict[str, ReferenceSummary] | None:
        """The stored reference summary of a version, or None."""
        stored = records.load_reference(self.ledger, model_id, version)
        return None if stored is None else references_from_dict(stored)

    def record_evaluation(  # noqa: PLR0913 - the window's identity and its provenance
        self,
        model_id: str,
        version: str,
        window: Window,
        evaluation: Evaluation,
        *,
        source: str,
        actor: str,
        service: ServiceMetrics | None = None,
    ) -> EvaluationRecord:
        """Store one window's evaluation with an ``evaluation.recorded`` audit event."""
        self.ledger.get_version(model_id, version)
        metrics = evaluation_metrics(evaluation, service)
        now = self.clock()
        with self.ledger.transaction() as tx:
            evaluation_id = records.insert_evaluation(
                tx,
                model_id=model_id,
                version=version,
                window=window.bounds,
                metrics=metrics,
                source=source,
                at=now,
            )
            tx.append_event(
                actor=actor,
                action="evaluation.recorded",
                entity=("version", f"{model_id}/{version}"),
                payload={
                    "evaluation_id": evaluation_id,
                    "window_start": window.start,
                    "window_end": window.end,
                    "rows": evaluation.rows,
                    "auc": evaluation.auc,
                    "max_ks": evaluation.max_ks,
                    "max_psi": evaluation.max_psi,
                    "source": source,
                    "policy_hash": self.policy.content_hash,
                },
                at=now,
            )
        log.info("evaluation %d of %s %s recorded", evaluation_id, model_id, version)
        return records.get_evaluation(self.ledger, evaluation_id)

    # Rules

    def run_rules(
        self,
        model_id: str,
        *,
        actor: str,
        evaluation_id: int | None = None,
        only: Collection[Rule] | None = None,
    ) -> tuple[RuleOutcome, ...]:
        """Run the AUC alert, AUC drop, bias shift and drift rules on an evaluation.

        Without ``evaluation_id`` the model's latest evaluation is used; ``only`` keeps
        the named rules (a scenario step runs its own rules, the others stay as they
        are).
        """
        record = (
            records.get_evaluation(self.ledger, evaluation_id)
            if evaluation_id is not None
            else records.latest_evaluation(self.ledger, model_id)
        )
        if record is None or record.model_id != model_id:
            raise NotFoundError(
                f"model {model_id} has no evaluation to run the rules on; record one first "
                "(the evaluation recipe, or `model-governance monitor`)."
            )
        evidence = self.ledger.get_version(model_id, record.version).evidence
        decisions = rules.evaluation_rules(
            window_metrics(record),
            rules.baseline_from_evidence(evidence, self.policy),
            self.policy,
            model_id=model_id,
        )
        if only is not None:
            decisions = tuple(d for d in decisions if d.rule in only)
        return self._apply(evidence, decisions, record, actor)

    def check_sla(
        self,
        model_id: str,
        version: str,
        service_id: str,
        metrics: ServiceMetrics,
        *,
        window: Window,
        actor: str,
    ) -> RuleOutcome:
        """Run the SLA rule on an API service's traffic over ``window``."""
        evidence = self.ledger.get_version(model_id, version).evidence
        decision = rules.sla_rule(metrics, self.policy, service_id=service_id)
        measured = {
            **decision.measured,
            "window_start": to_utc_iso(window.start),
            "window_end": to_utc_iso(window.end),
        }
        decision = dataclasses.replace(decision, measured=measured)
        return self._apply(evidence, (decision,), None, actor)[0]

    def check_gate(
        self, model_id: str, version: str, *, actor: str, current: Evidence | None = None
    ) -> RuleOutcome:
        """Run the gate rule: the gate must stay open for the version in production.

        With ``current`` (the evidence collected from the platform now), the approval
        must also cover its fingerprint.
        """
        evidence = self.ledger.get_version(model_id, version).evidence
        gate = self.governance.gate(model_id, version, actor=actor, current=current)
        decision = rules.gate_rule(gate)
        return self._apply(evidence, (decision,), None, actor)[0]

    # Status

    def publish_status(
        self, model_id: str, *, actor: str, deployed_bundle: str | None = None
    ) -> StatusSnapshot:
        """Record the model's health summary (always written, with an audit event)."""
        latest = records.latest_evaluation(self.ledger, model_id)
        episodes = records.open_episodes(self.ledger, model_id)
        version = latest.version if latest else self.approved_version(model_id)
        q = self.ledger.latest_qualification(model_id, version) if version else None
        snapshot = StatusSnapshot(
            snapshot_id=0,
            model_id=model_id,
            version=version,
            health=_health(latest, episodes),
            governance_state=q.state.value if q else None,
            last_evaluation_id=latest.evaluation_id if latest else None,
            last_window_end=latest.window_end if latest else None,
            open_flags=tuple(_flag(e) for e in episodes),
            deployed_bundle=deployed_bundle or records.deployed_bundle(self.ledger, model_id),
            summary=_status_summary(latest),
            published_by=actor,
        )
        now = self.clock()
        with self.ledger.transaction() as tx:
            snapshot_id = records.insert_status(tx, snapshot, at=now)
            tx.append_event(
                actor=actor,
                action="status.published",
                entity=("model", model_id),
                payload={
                    "snapshot_id": snapshot_id,
                    "version": version,
                    "health": snapshot.health,
                    "governance_state": snapshot.governance_state,
                    "last_evaluation_id": snapshot.last_evaluation_id,
                    "open_flags": [f["rule"] for f in snapshot.open_flags],
                    "deployed_bundle": snapshot.deployed_bundle,
                },
                at=now,
            )
        return dataclasses.replace(snapshot, snapshot_id=snapshot_id, published_at=now)

    def publish_all(self, *, actor: str) -> tuple[StatusSnapshot, ...]:
        """Publish the status of every model in production."""
        return tuple(
            self.publish_status(m, actor=actor) for m in records.production_models(self.ledger)
        )

    def is_status_due(self, model_id: str) -> bool:
        """True when the model's status was not published within the policy interval."""
        latest = records.latest_status(self.ledger, model_id)
        when = latest.published_at if latest else None
        return rules.is_status_due(when, self.clock(), self.policy)

    # Retraining fast track

    def submit_retrained(self, evidence: Evidence, *, actor: str) -> RetrainedSubmission:
        """Register and submit a retrained version; inside the envelope, fast-track it.

        The board's sign-off is granted by rule (recorded with the envelope's reasons)
        when the candidate stays inside the envelope of the approved version; the other
        sign-offs stay with people, as the policy says.
        """
        approved_version = self.approved_version(evidence.model_id)
        if approved_version is None:
            raise NotFoundError(
                f"model {evidence.model_id} has no approved version, so a new version is not "
                "a retraining; submit it for the full review."
            )
        approved = self.ledger.get_version(evidence.model_id, approved_version).evidence
        self.governance.register(evidence, actor=actor)
        submission = self.governance.submit(evidence.model_id, evidence.version, actor=actor)
        q = submission.qualification
        envelope = fast_track_envelope(evidence, approved, self.policy)
        self.record_event(
            actor,
            "fast_track.evaluated",
            ("qualification", q.qualification_id),
            {
                "model_id": evidence.model_id,
                "version": evidence.version,
                "approved_version": approved_version,
                "is_inside": envelope.is_inside,
                "reasons": list(envelope.reasons),
            },
        )
        if envelope.is_inside:
            q = self.governance.grant_fast_track(q.qualification_id, reasons=list(envelope.reasons))
        log.info(
            "retrained %s %s submitted as %s (fast track: %s)",
            evidence.model_id,
            evidence.version,
            q.qualification_id,
            envelope.is_inside,
        )
        return RetrainedSubmission(q, envelope, approved_version, submission.checks)

    # Canary rollout

    def start_canary(
        self, model_id: str, version: str, target: CanaryTarget, *, actor: str
    ) -> tuple[float, float]:
        """Send the policy's canary share of traffic to the new generation.

        The gate must be open for ``version``. Returns the (current, canary) split.
        """
        deployer = self._require_deployer()
        self.governance.require_open_gate(model_id, version, actor=actor, action="canary rollout")
        split = rules.canary_split(self.policy)
        payload = {**_canary_payload(target, version), "split": list(split)}
        try:
            deployer.set_generation_split(
                target.service,
                target.deployment,
                target.current_generation,
                target.new_generation,
                split[1],
            )
        except ExternalSystemError as exc:
            self.record_event(
                actor, "canary.failed", ("model", model_id), {**payload, "error": str(exc)}
            )
            raise
        self.record_event(actor, "canary.started", ("model", model_id), payload)
        return split

    def canary_decide(
        self,
        model_id: str,
        version: str,
        target: CanaryTarget,
        metrics: ServiceMetrics,
        *,
        actor: str,
        auc: float | None = None,
    ) -> CanaryDecision:
        """Promote the canary to all traffic, or roll it back, after its observation.

        The decision is recorded before the deployer is called; a promotion also needs
        the gate to be open still (an approval revoked meanwhile rolls the canary back).
        """
        deployer = self._require_deployer()
        decision = rules.decide_canary(metrics, self.policy, model_id=model_id, auc=auc)
        if decision.action is CanaryAction.PROMOTE:
            gate = self.governance.gate(model_id, version, actor=actor)
            if not gate.is_open:
                decision = dataclasses.replace(
                    decision, action=CanaryAction.ROLLBACK, reasons=gate.reasons
                )
        payload = {
            **_canary_payload(target, version),
            "action": decision.action.value,
            "measured": dict(decision.measured),
            "thresholds": dict(decision.thresholds),
            "reasons": list(decision.reasons),
            "policy_hash": self.policy.content_hash,
        }
        self.record_event(actor, "canary.decided", ("model", model_id), payload)
        try:
            if decision.action is CanaryAction.PROMOTE:
                deployer.promote(target.service, target.deployment, target.new_generation)
            else:
                deployer.rollback(target.service, target.deployment, target.current_generation)
        except ExternalSystemError as exc:
            failure = {**_canary_payload(target, version), "error": str(exc)}
            self.record_event(actor, "canary.action_failed", ("model", model_id), failure)
            raise
        done = (
            "canary.promoted" if decision.action is CanaryAction.PROMOTE else "canary.rolled_back"
        )
        self.record_event(actor, done, ("model", model_id), _canary_payload(target, version))
        return decision

    # Internals

    def _apply(
        self,
        evidence: Evidence,
        decisions: Sequence[RuleDecision],
        record: EvaluationRecord | None,
        actor: str,
    ) -> tuple[RuleOutcome, ...]:
        model_id, version = evidence.model_id, record.version if record else evidence.version
        evaluation_id = record.evaluation_id if record else None
        now = self.clock()
        pending = _Pending()
        outcomes = []
        with self.ledger.transaction() as tx:
            for decision in decisions:
                episode = records.open_episode_for(
                    tx, model_id, decision.rule.value, decision.subject
                )
                change = rules.episode_change(decision, is_open=episode is not None)
                decision_id = records.insert_decision(
                    tx,
                    decision,
                    model_id=model_id,
                    version=version,
                    change=change,
                    evaluation_id=evaluation_id,
                    policy_hash=self.policy.content_hash,
                    actor=actor,
                    at=now,
                )
                episode_id = episode.episode_id if episode else None
                if change is EpisodeChange.OPENED:
                    context = (evidence, version, evaluation_id, decision_id)
                    episode_id = self._open(tx, decision, context, pending, actor, now)
                elif change is EpisodeChange.CLOSED and episode is not None:
                    closing = (evidence, decision, decision_id)
                    self._close(tx, episode, closing, pending, actor, now)
                outcomes.append(RuleOutcome(decision, change, decision_id, episode_id))
        delivered = self._deliver(pending.deliveries, model_id, actor)
        self._retrain(pending.retraining, actor)
        opened = {o.episode_id for o in outcomes if o.change is EpisodeChange.OPENED}
        retraining = {
            r.episode_id: r
            for r in records.retraining_runs(self.ledger, model_id)
            if r.episode_id in opened
        }
        return tuple(_with_actions(o, delivered, retraining) for o in outcomes)

    def _open(
        self,
        tx: LedgerTransaction,
        decision: RuleDecision,
        context: tuple[Evidence, str, Optional[int], int],
        pending: _Pending,
        actor: str,
        now: datetime,
    ) -> int:
        evidence, version, evaluation_id, decision_id = context
        summary = f"{evidence.model_id} {version}: {_LABELS[decision.rule]}: " + "; ".join(
            decision.reasons
        )
        episode_id = records.open_episode(
            tx,
            decision,
            model_id=evidence.model_id,
            version=version,
            decision_id=decision_id,
            evaluation_id=evaluation_id,
            summary=summary,
            at=now,
        )
        action = "model.flagged" if decision.rule in _FLAGS else "alert.raised"
        tx.append_event(
            actor=actor,
            action=action,
            entity=("model", evidence.model_id),
            payload={
                **_decision_payload(decision, version, evaluation_id, episode_id),
                "policy_hash": self.policy.content_hash,
            },
            at=now,
        )
        alert = self._alert(evidence, version, decision, episode_id, summary, now)
        for channel in self.notifier.channels_for(alert) if self.notifier else ():
            delivery_id = records.insert_delivery(
                tx,
                episode_id=episode_id,
                channel=channel,
                target=self.notifier.target(channel) if self.notifier else "",
                dedup_key=alert.dedup_key,
                severity=alert.severity,
                summary=alert.summary,
                at=now,
            )
            pending.deliveries.append((delivery_id, channel, alert))
        if decision.rule is Rule.DRIFT:
            pending.retraining = self._request_retraining(
                tx, decision, (evidence.model_id, version, evaluation_id, episode_id), actor, now
            )
        return episode_id

    def _close(
        self,
        tx: LedgerTransaction,
        episode: EpisodeRecord,
        closing: tuple[Evidence, RuleDecision, int],
        pending: _Pending,
        actor: str,
        now: datetime,
    ) -> None:
        evidence, decision, decision_id = closing
        records.close_episode(tx, episode.episode_id, decision_id=decision_id, at=now)
        action = "model.unflagged" if decision.rule in _FLAGS else "alert.resolved"
        tx.append_event(
            actor=actor,
            action=action,
            entity=("model", episode.model_id),
            payload={
                **_decision_payload(decision, episode.version, None, episode.episode_id),
                "opened_at": episode.opened_at,
                "policy_hash": self.policy.content_hash,
            },
            at=now,
        )
        # Whoever was told of the episode is told it ended (PagerDuty closes its alert).
        summary = f"{episode.model_id} {episode.version}: {_LABELS[decision.rule]} resolved: "
        summary += "; ".join(decision.reasons)
        alert = self._alert(evidence, episode.version, decision, episode.episode_id, summary, now)
        for sent in records.delivered_for(tx, episode.episode_id) if self.notifier else ():
            resolution = dataclasses.replace(
                alert,
                severity="info",
                dedup_key=sent.dedup_key,
                channels=(sent.channel,),
                is_resolution=True,
            )
            delivery_id = records.insert_delivery(
                tx,
                episode_id=episode.episode_id,
                channel=sent.channel,
                target=sent.target,
                dedup_key=sent.dedup_key,
                severity="info",
                summary=resolution.summary,
                at=now,
            )
            pending.deliveries.append((delivery_id, sent.channel, resolution))

    def _request_retraining(
        self,
        tx: LedgerTransaction,
        decision: RuleDecision,
        context: tuple[str, str, Optional[int], int],
        actor: str,
        now: datetime,
    ) -> Optional[tuple[int, RetrainingRequest]]:
        model_id, version, evaluation_id, episode_id = context
        last = records.last_retraining_at(tx, model_id)
        detail = "retraining requested"
        status = records.REQUESTED
        if self.retrainer is None:
            status, detail = records.SKIPPED, "no retraining pipeline is configured"
        elif not rules.is_retraining_due(last, now, self.policy):
            status = records.SKIPPED
            detail = (
                f"cool-down: a retraining was requested at {to_utc_iso(last or now)}, less "
                f"than {self.policy.retraining_cooldown_hours:g} hours ago"
            )
        row_id = records.insert_retraining(
            tx,
            model_id=model_id,
            version=version,
            episode_id=episode_id,
            evaluation_id=evaluation_id,
            status=status,
            detail=detail,
            at=now,
        )
        tx.append_event(
            actor=actor,
            action="retraining.requested" if status == records.REQUESTED else "retraining.skipped",
            entity=("model", model_id),
            payload={
                "retraining_id": row_id,
                "version": version,
                "episode_id": episode_id,
                "evaluation_id": evaluation_id,
                "detail": detail,
            },
            at=now,
        )
        if status != records.REQUESTED:
            return None
        request = RetrainingRequest(
            model_id, version, evaluation_id, episode_id, decision.reasons, now
        )
        return row_id, request

    def _deliver(
        self, pending: list[tuple[int, str, Alert]], model_id: str, actor: str
    ) -> dict[int, list[DeliveryRecord]]:
        done: dict[int, list[DeliveryRecord]] = {}
        if self.notifier is None:
            return done
        for delivery_id, channel, alert in pending:
            result = self.notifier.deliver(channel, alert)
            now = self.clock()
            with self.ledger.transaction() as tx:
                records.finish_delivery(
                    tx,
                    delivery_id,
                    is_delivered=result.is_delivered,
                    attempts=result.attempts,
                    response_code=result.status_code,
                    error=result.error,
                    at=now,
                )
                tx.append_event(
                    actor=actor,
                    action="alert.delivered" if result.is_delivered else "alert.delivery_failed",
                    entity=("model", model_id),
                    payload={
                        "delivery_id": delivery_id,
                        "channel": channel,
                        "target": result.target,
                        "dedup_key": alert.dedup_key,
                        "is_resolution": alert.is_resolution,
                        "attempts": result.attempts,
                        "response_code": result.status_code,
                        "error": result.error,
                    },
                    at=now,
                )
            if not result.is_delivered:
                log.warning(
                    "%s alert for %s not delivered after %d attempt(s)",
                    channel,
                    model_id,
                    result.attempts,
                )
        wanted = {delivery_id for delivery_id, _, _ in pending}
        for episode_id in sorted(_episodes_of(pending)):
            found = records.deliveries_for(self.ledger, episode_id=episode_id)
            done[episode_id] = [d for d in found if d.delivery_id in wanted]
        return done

    def _retrain(self, pending: Optional[tuple[int, RetrainingRequest]], actor: str) -> None:
        if pending is None or self.retrainer is None:
            return
        row_id, request = pending
        try:
            run_id = self.retrainer(request)
        except GovernanceError as exc:
            status, run_id, detail = records.FAILED, "", f"the pipeline did not start: {exc}"
            log.warning("retraining of %s did not start: %s", request.model_id, exc)
        else:
            status, detail = records.STARTED, "retraining pipeline started"
        now = self.clock()
        with self.ledger.transaction() as tx:
            records.finish_retraining(
                tx, row_id, status=status, run_id=str(run_id), detail=detail, at=now
            )
            tx.append_event(
                actor=actor,
                action="retraining.started" if status == records.STARTED else "retraining.failed",
                entity=("model", request.model_id),
                payload={
                    "retraining_id": row_id,
                    "run_id": str(run_id),
                    "episode_id": request.episode_id,
                    "evaluation_id": request.evaluation_id,
                    "detail": detail,
                },
                at=now,
            )

    def _alert(
        self,
        evidence: Evidence,
        version: str,
        decision: RuleDecision,
        episode_id: int,
        summary: str,
        now: datetime,
    ) -> Alert:
        subject = decision.subject or "-"
        key = f"model-governance:{evidence.model_id}:{decision.rule.value}:{subject}:{episode_id}"
        if len(key) > 255:
            key = f"model-governance:{sha256_hex(key)}"
        return Alert(
            summary=summary,
            severity=_SEVERITY[decision.rule],
            dedup_key=key,
            source=decision.subject or f"{evidence.project_key}/{evidence.model_id}",
            component=evidence.model_id,
            group=evidence.project_key,
            alert_class=decision.rule.value,
            occurred_at=now,
            details={
                "model_id": evidence.model_id,
                "version": version,
                "rule": decision.rule.value,
                "measured": dict(decision.measured),
                "thresholds": dict(decision.thresholds),
                "reasons": list(decision.reasons),
                "episode_id": episode_id,
            },
            channels=(SLACK, PAGERDUTY) if decision.rule in _PAGED else (SLACK,),
        )

    def approved_version(self, model_id: str) -> str | None:
        """The version of the model's newest approved qualification, or None."""
        rows = self.ledger.list_qualifications(state="approved", model_id=model_id, limit=1)
        return str(rows[0]["version"]) if rows else None

    def _require_deployer(self) -> CanaryDeployer:
        if self.deployer is None:
            raise ConfigError(
                "canary: no API deployer is configured; set the API Deployer connection "
                "in the plugin settings."
            )
        return self.deployer

    def record_event(
        self, actor: str, action: str, entity: tuple[str, str], payload: dict[str, Any]
    ) -> None:
        """Append one audit event (an adapter's outcome, such as a Govern update)."""
        with self.ledger.transaction() as tx:
            tx.append_event(
                actor=actor, action=action, entity=entity, payload=payload, at=self.clock()
            )


def rule_outcome_to_dict(outcome: RuleOutcome) -> dict[str, Any]:
    """A rule's decision and what it did, as plain JSON (reports, step variables)."""
    decision = outcome.decision
    return {
        "rule": decision.rule.value,
        "subject": decision.subject,
        "status": decision.status.value,
        "measured": dict(decision.measured),
        "thresholds": dict(decision.thresholds),
        "reasons": list(decision.reasons),
        "decision_id": outcome.decision_id,
        "episode": outcome.change.value,
        "episode_id": outcome.episode_id,
        "deliveries": [
            {"channel": d.channel, "status": d.status, "attempts": d.attempts}
            for d in outcome.deliveries
        ],
        "retraining": None
        if outcome.retraining is None
        else {
            "status": outcome.retraining.status,
            "run_id": outcome.retraining.run_id,
            "detail": outcome.retraining.detail,
        },
    }


def status_to_dict(status: StatusSnapshot) -> dict[str, Any]:
    """A published health summary as plain JSON."""
    return {
        "snapshot_id": status.snapshot_id,
        "model_id": status.model_id,
        "version": status.version,
        "health": status.health,
        "governance_state": status.governance_state,
        "last_evaluation_id": status.last_evaluation_id,
        "last_window_end": to_utc_iso(status.last_window_end) if status.last_window_end else None,
        "open_flags": [dict(f) for f in status.open_flags],
        "deployed_bundle": status.deployed_bundle,
        "summary": dict(status.summary),
        "published_at": to_utc_iso(status.published_at) if status.published_at else None,
    }


def _episodes_of(pending: Sequence[tuple[int, str, Alert]]) -> set[int]:
    return {int(alert.details["episode_id"]) for _, _, alert in pending}


def _with_actions(
    outcome: RuleOutcome,
    delivered: Mapping[int, list[DeliveryRecord]],
    retraining: Mapping[int, RetrainingRecord],
) -> RuleOutcome:
    if outcome.change is not EpisodeChange.OPENED or outcome.episode_id is None:
        return outcome
    return dataclasses.replace(
        outcome,
        deliveries=tuple(delivered.get(outcome.episode_id, ())),
        retraining=retraining.get(outcome.episode_id),
    )


def _decision_payload(
    decision: RuleDecision, version: str, evaluation_id: int | None, episode_id: int
) -> dict[str, Any]:
    return {
        "rule": decision.rule.value,
        "subject": decision.subject,
        "version": version,
        "status": decision.status.value,
        "measured": dict(decision.measured),
        "thresholds": dict(decision.thresholds),
        "reasons": list(decision.reasons),
        "evaluation_id": evaluation_id,
        "episode_id": episode_id,
    }


def _canary_payload(target: CanaryTarget, version: str) -> dict[str, Any]:
    return {
        "version": version,
        "service": target.service,
        "deployment": target.deployment,
        "current_generation": target.current_generation,
        "new_generation": target.new_generation,
    }


def _health(latest: EvaluationRecord | None, episodes: Sequence[EpisodeRecord]) -> str:
    open_rules = {Rule(e.rule) for e in episodes}
    if open_rules & {Rule.AUC_ALERT, Rule.SLA, Rule.GATE}:
        return "alerting"
    if open_rules:
        return "flagged"
    return "healthy" if latest is not None else "unknown"


def _flag(episode: EpisodeRecord) -> dict[str, Any]:
    return {
        "episode_id": episode.episode_id,
        "rule": episode.rule,
        "subject": episode.subject,
        "version": episode.version,
        "opened_at": to_utc_iso(episode.opened_at),
        "summary": episode.summary,
    }


def _status_summary(latest: EvaluationRecord | None) -> dict[str, Any]:
    if latest is None:
        return {}
    return {
        "evaluation_id": latest.evaluation_id,
        "version": latest.version,
        "window_start": to_utc_iso(latest.window_start),
        "window_end": to_utc_iso(latest.window_end),
        "rows": latest.metrics.get("rows"),
        "auc": latest.auc,
        "max_ks": latest.max_ks,
        "max_psi": _number(latest.metrics.get("max_psi")),
        "disparate_impact": dict(latest.metrics.get("disparate_impact_ratio") or {}),
    }


def _number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    number = float(value)
    return number if np.isfinite(number) else None
