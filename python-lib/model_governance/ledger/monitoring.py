"""Monitoring records: evaluations, references, decisions, episodes, alerts, status.

Besides the evaluations, the ledger keeps the reference summary each version is
monitored against, every rule decision, the episodes (flags and alerts) decisions open
and close, the notifications and retraining runs an episode sets off, and the status
published per model.

Writers take a :class:`LedgerTransaction`, so a record and its audit event commit
together. An alert delivery and a retraining run are stored ``pending`` /
``requested`` before the outside system is called and finished afterwards, so a
crash or a failing webhook never loses the record of what was due.

Evaluation rows keep AUC and the largest KS statistic in their own columns and the
rest in ``metrics_json`` (the keys :mod:`model_governance.ledger.queries` reads, plus
the full per-feature drift, group counts and row counts).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

from sqlalchemy import RowMapping, and_, func, insert, or_, select, update
from sqlalchemy.exc import SQLAlchemyError

from model_governance.core.errors import ConflictError, LedgerError, NotFoundError
from model_governance.core.hashing import canonical_json, content_hash, to_utc_iso
from model_governance.core.monitoring import EpisodeChange, RuleDecision
from model_governance.ledger import schema as t
from model_governance.ledger.store import Ledger, LedgerTransaction

OPEN = "open"
CLOSED = "closed"
PENDING = "pending"
DELIVERED = "delivered"
FAILED = "failed"
REQUESTED = "requested"
STARTED = "started"
SKIPPED = "skipped"

__all__ = [
    "CLOSED",
    "DELIVERED",
    "FAILED",
    "MONITORING_TABLES",
    "OPEN",
    "PENDING",
    "REQUESTED",
    "SKIPPED",
    "STARTED",
    "DecisionRecord",
    "DeliveryRecord",
    "EpisodeRecord",
    "EvaluationRecord",
    "RetrainingRecord",
    "StatusSnapshot",
    "close_episode",
    "decisions_for",
    "delivered_for",
    "deliveries_for",
    "deployed_bundle",
    "ensure_monitoring_tables",
    "episodes_for",
    "evaluated_windows",
    "evaluation_history",
    "find_evaluation",
    "finish_delivery",
    "finish_retraining",
    "get_evaluation",
    "insert_decision",
    "insert_delivery",
    "insert_evaluation",
    "insert_retraining",
    "insert_status",
    "last_retraining_at",
    "latest_evaluation",
    "latest_status",
    "load_reference",
    "open_episode",
    "open_episode_for",
    "open_episodes",
    "production_models",
    "retraining_runs",
    "save_reference",
]


@dataclass(frozen=True)
class EvaluationRecord:
    """One stored evaluation of a model version over a time window."""

    evaluation_id: int
    model_id: str
    version: str
    window_start: datetime
    window_end: datetime
    auc: Optional[float]
    max_ks: Optional[float]
    metrics: Mapping[str, Any]
    source: str
    recorded_at: datetime


@dataclass(frozen=True)
class DecisionRecord:
    """One stored rule decision."""

    decision_id: int
    model_id: str
    version: str
    rule: str
    subject: str
    status: str
    episode_change: str
    measured: Mapping[str, Any]
    thresholds: Mapping[str, Any]
    reasons: tuple[str, ...]
    evaluation_id: Optional[int]
    decided_at: datetime


@dataclass(frozen=True)
class EpisodeRecord:
    """A rule breached from ``opened_at`` until ``closed_at`` (open while None)."""

    episode_id: int
    model_id: str
    version: str
    rule: str
    subject: str
    state: str
    summary: str
    evaluation_id: Optional[int]
    opening_decision_id: int
    closing_decision_id: Optional[int]
    opened_at: datetime
    closed_at: Optional[datetime]

    @property
    def is_open(self) -> bool:
        """True until a decision within limits closes the episode."""
        return self.state == OPEN


@dataclass(frozen=True)
class DeliveryRecord:
    """One notification of one episode to one channel."""

    delivery_id: int
    episode_id: int
    channel: str
    target: str
    dedup_key: str
    severity: str
    summary: str
    status: str
    attempts: int
    response_code: Optional[int]
    error: str
    created_at: datetime
    finished_at: Optional[datetime]


@dataclass(frozen=True)
class RetrainingRecord:
    """A retraining asked for by a drift episode, and what became of it."""

    row_id: int
    model_id: str
    version: str
    episode_id: int
    evaluation_id: Optional[int]
    status: str
    run_id: str
    detail: str
    requested_at: datetime
    finished_at: Optional[datetime]


@dataclass(frozen=True)
class StatusSnapshot:
    """A model's published health: state, last evaluation, open flags, bundle."""

    snapshot_id: int
    model_id: str
    version: Optional[str]
    health: str
    governance_state: Optional[str]
    last_evaluation_id: Optional[int]
    last_window_end: Optional[datetime]
    open_flags: tuple[Mapping[str, Any], ...]
    deployed_bundle: Optional[str]
    summary: Mapping[str, Any] = field(default_factory=dict)
    published_by: str = ""
    published_at: Optional[datetime] = None


# Tables


MONITORING_TABLES = (
    t.reference_summaries,
    t.monitoring_decisions,
    t.monitoring_episodes,
    t.alert_deliveries,
    t.retraining_runs,
    t.status_snapshots,
)
"""Tables this module adds to the schema (same schema version: they only add)."""


def ensure_monitoring_tables(ledger: Ledger) -> None:
    """Add the monitoring tables to a ledger created before them (else a no-op)."""
    try:
        t.metadata.create_all(ledger.engine, tables=list(MONITORING_TABLES), checkfirst=True)
    except SQLAlchemyError as exc:
        raise LedgerError(
            f"ledger: could not add the monitoring tables ({type(exc).__name__}); run "
            "`model-governance init` once as the ledger's owner."
        ) from exc


# Evaluations


def insert_evaluation(  # noqa: PLR0913 - every field is part of the stored evaluation
    tx: LedgerTransaction,
    *,
    model_id: str,
    version: str,
    window: tuple[datetime, datetime],
    metrics: Mapping[str, Any],
    source: str,
    at: datetime,
) -> int:
    """Store one evaluation; a second one of a version and window is a conflict."""
    start, end = to_utc_iso(window[0]), to_utc_iso(window[1])
    e = t.evaluations.c
    existing = tx.conn.execute(
        select(e.id).where(
            e.model_id == model_id,
            e.version == version,
            e.window_start == start,
            e.window_end == end,
        )
    ).scalar()
    if existing is not None:
        raise ConflictError(
            f"model {model_id} version {version} already has evaluation {existing} for the "
            f"window {start} to {end}; one evaluation is kept per window."
        )
    result = tx.conn.execute(
        insert(t.evaluations).values(
            model_id=model_id,
            version=version,
            window_start=start,
            window_end=end,
            auc=_number_text(metrics.get("auc")),
            max_ks=_number_text(metrics.get("max_ks")),
            metrics_json=canonical_json(metrics),
            source=source,
            recorded_at=to_utc_iso(at),
        )
    )
    return int(result.inserted_primary_key[0])


def get_evaluation(ledger: Ledger, evaluation_id: int) -> EvaluationRecord:
    """The evaluation, or :class:`NotFoundError`."""
    stmt = select(t.evaluations).where(t.evaluations.c.id == evaluation_id)
    with ledger.engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    if row is None:
        raise NotFoundError(f"evaluation {evaluation_id} does not exist in the ledger.")
    return _evaluation_from_row(row)


def latest_evaluation(ledger: Ledger, model_id: str) -> EvaluationRecord | None:
    """The model's evaluation with the latest window end (any version), or None."""
    e = t.evaluations.c
    stmt = (
        select(t.evaluations)
        .where(e.model_id == model_id)
        .order_by(e.window_end.desc(), e.id.desc())
        .limit(1)
    )
    with ledger.engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    return _evaluation_from_row(row) if row is not None else None


def evaluation_history(ledger: Ledger, model_id: str) -> list[EvaluationRecord]:
    """Every evaluation of the model (all versions), oldest window first."""
    e = t.evaluations.c
    stmt = select(t.evaluations).where(e.model_id == model_id).order_by(e.window_end, e.id)
    with ledger.engine.connect() as conn:
        return [_evaluation_from_row(r) for r in conn.execute(stmt).mappings()]


def find_evaluation(
    ledger: Ledger, model_id: str, window: tuple[datetime, datetime]
) -> EvaluationRecord | None:
    """The model's evaluation of exactly this window (any version), or None."""
    e = t.evaluations.c
    stmt = (
        select(t.evaluations)
        .where(
            e.model_id == model_id,
            e.window_start == to_utc_iso(window[0]),
            e.window_end == to_utc_iso(window[1]),
        )
        .order_by(e.id.desc())
        .limit(1)
    )
    with ledger.engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    return _evaluation_from_row(row) if row is not None else None


def evaluated_windows(ledger: Ledger, model_id: str) -> set[tuple[datetime, datetime]]:
    """Every window the model has an evaluation for."""
    e = t.evaluations.c
    stmt = select(e.window_start, e.window_end).where(e.model_id == model_id)
    with ledger.engine.connect() as conn:
        return {
            (datetime.fromisoformat(s), datetime.fromisoformat(w))
            for s, w in conn.execute(stmt).all()
        }


# Reference summaries


def save_reference(  # noqa: PLR0913 - every field is part of the stored reference
    tx: LedgerTransaction,
    *,
    model_id: str,
    version: str,
    summary: Mapping[str, Any],
    source: str,
    actor: str,
    at: datetime,
) -> str:
    """Store the reference summary a version is monitored against; returns its hash.

    A version keeps its first reference: storing a different one is a conflict, the
    same one again is accepted.
    """
    digest = content_hash(summary)
    r = t.reference_summaries.c
    found = tx.conn.execute(
        select(r.content_hash).where(r.model_id == model_id, r.version == version)
    ).scalar()
    if found is not None:
        if found != digest:
            raise ConflictError(
                f"model {model_id} version {version} is already monitored against reference "
                f"{str(found)[:12]}…; a version keeps the reference it was approved with."
            )
        return digest
    tx.conn.execute(
        insert(t.reference_summaries).values(
            model_id=model_id,
            version=version,
            summary_json=canonical_json(summary),
            content_hash=digest,
            source=source,
            recorded_by=actor,
            recorded_at=to_utc_iso(at),
        )
    )
    return digest


def load_reference(ledger: Ledger, model_id: str, version: str) -> Mapping[str, Any] | None:
    """The stored reference summary of a version, or None."""
    r = t.reference_summaries.c
    stmt = select(r.summary_json).where(r.model_id == model_id, r.version == version)
    with ledger.engine.connect() as conn:
        found = conn.execute(stmt).scalar()
    return None if found is None else dict(json.loads(str(found)))


# Decisions and episodes


def insert_decision(  # noqa: PLR0913 - every field is part of the stored decision
    tx: LedgerTransaction,
    decision: RuleDecision,
    *,
    model_id: str,
    version: str,
    change: EpisodeChange,
    evaluation_id: int | None,
    policy_hash: str,
    actor: str,
    at: datetime,
) -> int:
    """Store one rule decision with its measured values, thresholds and reasons."""
    result = tx.conn.execute(
        insert(t.monitoring_decisions).values(
            model_id=model_id,
            version=version,
            rule=decision.rule.value,
            subject=decision.subject,
            status=decision.status.value,
            episode_change=change.value,
            measured_json=canonical_json(decision.measured),
            thresholds_json=canonical_json(decision.thresholds),
            reasons_json=canonical_json(list(decision.reasons)),
            evaluation_id=evaluation_id,
            policy_hash=policy_hash,
            decided_by=actor,
            decided_at=to_utc_iso(at),
        )
    )
    return int(result.inserted_primary_key[0])


def decisions_for(ledger: Ledger, model_id: str, *, limit: int = 200) -> list[DecisionRecord]:
    """The model's most recent rule decisions, newest first."""
    d = t.monitoring_decisions.c
    stmt = (
        select(t.monitoring_decisions)
        .where(d.model_id == model_id)
        .order_by(d.id.desc())
        .limit(limit)
    )
    with ledger.engine.connect() as conn:
        return [_decision_from_row(r) for r in conn.execute(stmt).mappings()]


def open_episode_for(
    tx: LedgerTransaction, model_id: str, rule: str, subject: str
) -> EpisodeRecord | None:
    """The open episode of a rule for a model, read inside the writing transaction."""
    m = t.monitoring_episodes.c
    stmt = select(t.monitoring_episodes).where(
        m.model_id == model_id, m.rule == rule, m.subject == subject, m.state == OPEN
    )
    row = tx.conn.execute(stmt).mappings().first()
    return _episode_from_row(row) if row is not None else None


def open_episode(  # noqa: PLR0913 - every field is part of the stored episode
    tx: LedgerTransaction,
    decision: RuleDecision,
    *,
    model_id: str,
    version: str,
    decision_id: int,
    evaluation_id: int | None,
    summary: str,
    at: datetime,
) -> int:
    """Open an episode for a breached rule; returns its id."""
    result = tx.conn.execute(
        insert(t.monitoring_episodes).values(
            model_id=model_id,
            version=version,
            rule=decision.rule.value,
            subject=decision.subject,
            state=OPEN,
            summary=summary,
            evaluation_id=evaluation_id,
            opening_decision_id=decision_id,
            opened_at=to_utc_iso(at),
        )
    )
    return int(result.inserted_primary_key[0])


def close_episode(
    tx: LedgerTransaction, episode_id: int, *, decision_id: int, at: datetime
) -> None:
    """Close an open episode with the decision that found the metric within limits."""
    m = t.monitoring_episodes.c
    result = tx.conn.execute(
        update(t.monitoring_episodes)
        .where(m.id == episode_id, m.state == OPEN)
        .values(state=CLOSED, closing_decision_id=decision_id, closed_at=to_utc_iso(at))
    )
    if result.rowcount != 1:
        raise ConflictError(f"episode {episode_id} is no longer open; another run closed it.")


def open_episodes(ledger: Ledger, model_id: str) -> list[EpisodeRecord]:
    """The model's open episodes (its flags and alerts in force), oldest first."""
    m = t.monitoring_episodes.c
    stmt = (
        select(t.monitoring_episodes).where(m.model_id == model_id, m.state == OPEN).order_by(m.id)
    )
    with ledger.engine.connect() as conn:
        return [_episode_from_row(r) for r in conn.execute(stmt).mappings()]


def episodes_for(ledger: Ledger, model_id: str, *, limit: int = 200) -> list[EpisodeRecord]:
    """The model's most recent episodes, open or closed, newest first."""
    m = t.monitoring_episodes.c
    stmt = (
        select(t.monitoring_episodes)
        .where(m.model_id == model_id)
        .order_by(m.id.desc())
        .limit(limit)
    )
    with ledger.engine.connect() as conn:
        return [_episode_from_row(r) for r in conn.execute(stmt).mappings()]


# Alert deliveries


def insert_delivery(  # noqa: PLR0913 - every field is part of the stored delivery
    tx: LedgerTransaction,
    *,
    episode_id: int,
    channel: str,
    target: str,
    dedup_key: str,
    severity: str,
    summary: str,
    at: datetime,
) -> int:
    """Store a notification as ``pending`` before it is attempted; returns its id."""
    result = tx.conn.execute(
        insert(t.alert_deliveries).values(
            episode_id=episode_id,
            channel=channel,
            target=target,
            dedup_key=dedup_key,
            severity=severity,
            summary=summary,
            status=PENDING,
            attempts=0,
            error="",
            created_at=to_utc_iso(at),
        )
    )
    return int(result.inserted_primary_key[0])


def finish_delivery(  # noqa: PLR0913 - every field is part of the delivery outcome
    tx: LedgerTransaction,
    delivery_id: int,
    *,
    is_delivered: bool,
    attempts: int,
    response_code: int | None,
    error: str,
    at: datetime,
) -> None:
    """Record how a ``pending`` notification went."""
    a = t.alert_deliveries.c
    result = tx.conn.execute(
        update(t.alert_deliveries)
        .where(a.id == delivery_id, a.status == PENDING)
        .values(
            status=DELIVERED if is_delivered else FAILED,
            attempts=attempts,
            response_code=response_code,
            error=error,
            finished_at=to_utc_iso(at),
        )
    )
    if result.rowcount != 1:
        raise ConflictError(f"alert delivery {delivery_id} is no longer pending.")


def deliveries_for(
    ledger: Ledger, *, episode_id: int | None = None, status: str | None = None
) -> list[DeliveryRecord]:
    """Alert deliveries, oldest first, of one episode and/or in one status."""
    a = t.alert_deliveries.c
    stmt = select(t.alert_deliveries).order_by(a.id)
    if episode_id is not None:
        stmt = stmt.where(a.episode_id == episode_id)
    if status is not None:
        stmt = stmt.where(a.status == status)
    with ledger.engine.connect() as conn:
        return [_delivery_from_row(r) for r in conn.execute(stmt).mappings()]


def delivered_for(tx: LedgerTransaction, episode_id: int) -> list[DeliveryRecord]:
    """The episode's delivered notifications, oldest first, read in ``tx``."""
    a = t.alert_deliveries.c
    stmt = (
        select(t.alert_deliveries)
        .where(a.episode_id == episode_id, a.status == DELIVERED)
        .order_by(a.id)
    )
    return [_delivery_from_row(r) for r in tx.conn.execute(stmt).mappings()]


# Retraining runs


def insert_retraining(  # noqa: PLR0913 - every field is part of the stored request
    tx: LedgerTransaction,
    *,
    model_id: str,
    version: str,
    episode_id: int,
    evaluation_id: int | None,
    status: str,
    detail: str,
    at: datetime,
) -> int:
    """Store a retraining request (or the reason it was skipped); returns its row id."""
    result = tx.conn.execute(
        insert(t.retraining_runs).values(
            model_id=model_id,
            version=version,
            episode_id=episode_id,
            evaluation_id=evaluation_id,
            status=status,
            run_id="",
            detail=detail,
            requested_at=to_utc_iso(at),
            finished_at=to_utc_iso(at) if status == SKIPPED else None,
        )
    )
    return int(result.inserted_primary_key[0])


def finish_retraining(
    tx: LedgerTransaction, row_id: int, *, status: str, run_id: str, detail: str, at: datetime
) -> None:
    """Record whether the retraining pipeline started (with its run id) or failed."""
    r = t.retraining_runs.c
    result = tx.conn.execute(
        update(t.retraining_runs)
        .where(r.id == row_id, r.status == REQUESTED)
        .values(status=status, run_id=run_id, detail=detail, finished_at=to_utc_iso(at))
    )
    if result.rowcount != 1:
        raise ConflictError(f"retraining request {row_id} is no longer 'requested'.")


def last_retraining_at(tx: LedgerTransaction, model_id: str) -> datetime | None:
    """When a retraining of the model was last requested (skipped ones excluded)."""
    r = t.retraining_runs.c
    found = tx.conn.execute(
        select(func.max(r.requested_at)).where(
            r.model_id == model_id, r.status.in_((REQUESTED, STARTED))
        )
    ).scalar()
    return None if found is None else datetime.fromisoformat(str(found))


def retraining_runs(ledger: Ledger, model_id: str) -> list[RetrainingRecord]:
    """The model's retraining requests, oldest first."""
    r = t.retraining_runs.c
    stmt = select(t.retraining_runs).where(r.model_id == model_id).order_by(r.id)
    with ledger.engine.connect() as conn:
        return [_retraining_from_row(row) for row in conn.execute(stmt).mappings()]


# Status


def insert_status(tx: LedgerTransaction, snapshot: StatusSnapshot, *, at: datetime) -> int:
    """Store a published status snapshot; returns its id."""
    result = tx.conn.execute(
        insert(t.status_snapshots).values(
            model_id=snapshot.model_id,
            version=snapshot.version,
            health=snapshot.health,
            governance_state=snapshot.governance_state,
            last_evaluation_id=snapshot.last_evaluation_id,
            last_window_end=_iso_or_none(snapshot.last_window_end),
            open_flags_json=canonical_json(list(snapshot.open_flags)),
            deployed_bundle=snapshot.deployed_bundle,
            summary_json=canonical_json(snapshot.summary),
            published_by=snapshot.published_by,
            published_at=to_utc_iso(at),
        )
    )
    return int(result.inserted_primary_key[0])


def latest_status(ledger: Ledger, model_id: str) -> StatusSnapshot | None:
    """The model's most recently published status, or None."""
    s = t.status_snapshots.c
    stmt = select(t.status_snapshots).where(s.model_id == model_id).order_by(s.id.desc()).limit(1)
    with ledger.engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    return _status_from_row(row) if row is not None else None


def deployed_bundle(ledger: Ledger, model_id: str) -> str | None:
    """The bundle of the model's last successful deployment or rollback, or None."""
    # Kinds and outcome as the deployment use cases write them (ledger.deployments).
    d, b = t.deployments.c, t.bundles.c
    stmt = (
        select(d.bundle_id)
        .join(t.bundles, and_(b.project_key == d.project_key, b.bundle_id == d.bundle_id))
        .where(b.model_id == model_id, d.kind.in_(("deploy", "rollback")))
        .where(d.outcome == "succeeded")
        .order_by(d.finished_at.desc(), d.id.desc())
        .limit(1)
    )
    with ledger.engine.connect() as conn:
        found = conn.execute(stmt).scalar()
    return None if found is None else str(found)


def production_models(ledger: Ledger) -> list[str]:
    """Models with a production evaluation or a successful deployment, sorted."""
    e, d, b = t.evaluations.c, t.deployments.c, t.bundles.c
    evaluated = select(e.model_id).distinct()
    deployed = (
        select(b.model_id)
        .join(t.deployments, and_(b.project_key == d.project_key, b.bundle_id == d.bundle_id))
        .where(d.outcome == "succeeded")
        .distinct()
    )
    m = t.models.c
    stmt = (
        select(m.model_id)
        .where(or_(m.model_id.in_(evaluated), m.model_id.in_(deployed)))
        .order_by(m.model_id)
    )
    with ledger.engine.connect() as conn:
        return [str(x) for x in conn.execute(stmt).scalars()]


# Rows


def _number_text(value: Any) -> str | None:
    return None if value is None else repr(float(value))


def _iso_or_none(moment: datetime | None) -> str | None:
    return None if moment is None else to_utc_iso(moment)


def _time_or_none(value: Any) -> datetime | None:
    return None if value is None else datetime.fromisoformat(str(value))


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _evaluation_from_row(row: RowMapping) -> EvaluationRecord:
    return EvaluationRecord(
        evaluation_id=int(row["id"]),
        model_id=str(row["model_id"]),
        version=str(row["version"]),
        window_start=datetime.fromisoformat(str(row["window_start"])),
        window_end=datetime.fromisoformat(str(row["window_end"])),
        auc=_float_or_none(row["auc"]),
        max_ks=_float_or_none(row["max_ks"]),
        metrics=dict(json.loads(str(row["metrics_json"]))),
        source=str(row["source"]),
        recorded_at=datetime.fromisoformat(str(row["recorded_at"])),
    )


def _decision_from_row(row: RowMapping) -> DecisionRecord:
    return DecisionRecord(
        decision_id=int(row["id"]),
        model_id=str(row["model_id"]),
        version=str(row["version"]),
        rule=str(row["rule"]),
        subject=str(row["subject"]),
        status=str(row["status"]),
        episode_change=str(row["episode_change"]),
        measured=dict(json.loads(str(row["measured_json"]))),
        thresholds=dict(json.loads(str(row["thresholds_json"]))),
        reasons=tuple(json.loads(str(row["reasons_json"]))),
        evaluation_id=_int_or_none(row["evaluation_id"]),
        decided_at=datetime.fromisoformat(str(row["decided_at"])),
    )


def _episode_from_row(row: RowMapping) -> EpisodeRecord:
    return EpisodeRecord(
        episode_id=int(row["id"]),
        model_id=str(row["model_id"]),
        version=str(row["version"]),
        rule=str(row["rule"]),
        subject=str(row["subject"]),
        state=str(row["state"]),
        summary=str(row["summary"]),
        evaluation_id=_int_or_none(row["evaluation_id"]),
        opening_decision_id=int(row["opening_decision_id"]),
        closing_decision_id=_int_or_none(row["closing_decision_id"]),
        opened_at=datetime.fromisoformat(str(row["opened_at"])),
        closed_at=_time_or_none(row["closed_at"]),
    )


def _delivery_from_row(row: RowMapping) -> DeliveryRecord:
    return DeliveryRecord(
        delivery_id=int(row["id"]),
        episode_id=int(row["episode_id"]),
        channel=str(row["channel"]),
        target=str(row["target"]),
        dedup_key=str(row["dedup_key"]),
        severity=str(row["severity"]),
        summary=str(row["summary"]),
        status=str(row["status"]),
        attempts=int(row["attempts"]),
        response_code=_int_or_none(row["response_code"]),
        error=str(row["error"]),
        created_at=datetime.fromisoformat(str(row["created_at"])),
        finished_at=_time_or_none(row["finished_at"]),
    )


def _retraining_from_row(row: RowMapping) -> RetrainingRecord:
    return RetrainingRecord(
        row_id=int(row["id"]),
        model_id=str(row["model_id"]),
        version=str(row["version"]),
        episode_id=int(row["episode_id"]),
        evaluation_id=_int_or_none(row["evaluation_id"]),
        status=str(row["status"]),
        run_id=str(row["run_id"]),
        detail=str(row["detail"]),
        requested_at=datetime.fromisoformat(str(row["requested_at"])),
        finished_at=_time_or_none(row["finished_at"]),
    )


def _status_from_row(row: RowMapping) -> StatusSnapshot:
    return StatusSnapshot(
        snapshot_id=int(row["id"]),
        model_id=str(row["model_id"]),
        version=None if row["version"] is None else str(row["version"]),
        health=str(row["health"]),
        governance_state=None if row["governance_state"] is None else str(row["governance_state"]),
        last_evaluation_id=_int_or_none(row["last_evaluation_id"]),
        last_window_end=_time_or_none(row["last_window_end"]),
        open_flags=tuple(json.loads(str(row["open_flags_json"]))),
        deployed_bundle=None if row["deployed_bundle"] is None else str(row["deployed_bundle"]),
        summary=dict(json.loads(str(row["summary_json"]))),
        published_by=str(row["published_by"]),
        published_at=datetime.fromisoformat(str(row["published_at"])),
    )
