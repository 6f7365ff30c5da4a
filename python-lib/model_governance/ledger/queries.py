"""Read models for the review webapp: queue, audit trail, monitoring series, documents.

Every function reads; none writes a governance record. Lists are bounded (paged or
limited) so that a page costs the same on a ledger of 100 000 audit events as on a
new one. :func:`ensure_read_indexes` adds the indexes these reads rely on to a ledger
created before they were declared in :mod:`model_governance.ledger.schema`.

Evaluation rows keep AUC and maximum KS in their own columns and everything else in
``metrics_json``; the keys read here are::

    {"auc": 0.91, "max_ks": 0.04, "max_psi": 0.02,
     "drift": {"claim_amount": 0.04},                       # KS statistic D per feature
     "disparate_impact": {"gender": {"female": 0.93, "male": 1.0}},
     "latency_p95_ms": 42.0, "error_rate": 0.001}

Missing keys read as absent values, never as zero.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, and_, func, or_, select, tuple_
from sqlalchemy.exc import SQLAlchemyError

from model_governance.core.audit import ChainHead, ChainVerification, event_hash
from model_governance.core.checks import CheckResult, CheckStatus
from model_governance.core.errors import LedgerError, ValidationError
from model_governance.core.workflow import (
    Decision,
    Qualification,
    QualificationState,
    SignOff,
    Waiver,
)
from model_governance.ledger import schema as t
from model_governance.ledger.deployments import DeploymentRecord, deployment_from_row
from model_governance.ledger.store import Ledger

log = logging.getLogger(__name__)

MAX_PAGE_SIZE = 200
"""Largest page any list query returns."""

_MAX_CHOICES = 500


@dataclass(frozen=True)
class QueueFilter:
    """What the review queue shows: an optional state, project and model, one page."""

    state: str | None = None
    project_key: str | None = None
    model_id: str | None = None
    page: int = 1
    page_size: int = 50

    def __post_init__(self) -> None:
        states = [s.value for s in QualificationState]
        if self.state is not None and self.state not in states:
            raise ValidationError(
                f"state: {self.state!r} is not a qualification state; use one of "
                f"{', '.join(states)} or leave it empty."
            )
        if not 1 <= self.page <= 1_000_000:
            raise ValidationError(f"page: {self.page} is out of range; use a page from 1.")
        if not 1 <= self.page_size <= MAX_PAGE_SIZE:
            raise ValidationError(
                f"page_size: {self.page_size} is out of range; use 1 to {MAX_PAGE_SIZE}."
            )


@dataclass(frozen=True)
class QueueRow:
    """One queued qualification with its sign-offs, waivers and checks (no details)."""

    qualification: Qualification
    project_key: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class QueuePage:
    """A page of the queue and the counts per state under the same project/model."""

    rows: tuple[QueueRow, ...]
    total: int
    page: int
    page_size: int
    state_counts: Mapping[str, int]

    @property
    def page_count(self) -> int:
        """Number of pages for the filter (at least 1)."""
        return max(1, math.ceil(self.total / self.page_size))


@dataclass(frozen=True)
class QualificationRecord:
    """Ledger facts about a qualification that the workflow value does not carry."""

    qualification_id: str
    project_key: str
    policy_version: str
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class AuditEntry:
    """One audit event as the audit-trail table shows it."""

    seq: int
    occurred_at: str
    actor: str
    action: str
    entity_type: str
    entity_id: str
    payload: Mapping[str, Any]
    hash: str


@dataclass(frozen=True)
class AuditPage:
    """Audit events of one model, newest first; ``next_before`` pages to older ones."""

    entries: tuple[AuditEntry, ...]
    next_before: int | None


@dataclass(frozen=True)
class EvaluationPoint:
    """One stored evaluation of a deployed model."""

    model_id: str
    version: str
    window_end: datetime
    auc: float | None = None
    max_ks: float | None = None
    max_psi: float | None = None
    drift: Mapping[str, float] = field(default_factory=dict)
    disparate_impact: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    latency_p95_ms: float | None = None
    error_rate: float | None = None


@dataclass(frozen=True)
class FlagEntry:
    """An open monitoring episode: a rule the model breaches, since when."""

    version: str
    rule: str
    subject: str
    summary: str
    opened_at: str


@dataclass(frozen=True)
class DocumentInfo:
    """A stored document without its content: what it is, its hash, who stored it."""

    kind: str
    media_type: str
    content_hash: str
    created_by: str
    created_at: str


@dataclass(frozen=True)
class ModelSummary:
    """A registered model."""

    model_id: str
    project_key: str
    name: str


@dataclass(frozen=True)
class MonitoredModel:
    """A model with production evaluations or deployments."""

    model_id: str
    project_key: str
    name: str
    evaluation_count: int
    last_window_end: str | None
    deployment_count: int


# Indexes


READ_INDEXES = (
    "ix_qualifications_created",
    "ix_qualifications_state_created",
    "ix_qualifications_project_created",
    "ix_qualifications_model_created",
    "ix_bundles_model",
    "ix_deployments_bundle",
)
"""Indexes the read models rely on (in :mod:`model_governance.ledger.schema`)."""


def ensure_read_indexes(ledger: Ledger) -> None:
    """Create the read indexes that an older ledger lacks (a no-op on new ledgers)."""
    wanted = {str(ix.name): ix for table in t.metadata.tables.values() for ix in table.indexes}
    try:
        with ledger.engine.begin() as conn:
            for name in READ_INDEXES:
                wanted[name].create(conn, checkfirst=True)
    except SQLAlchemyError as exc:
        raise LedgerError(
            f"ledger: could not add the review indexes ({type(exc).__name__}); grant the "
            "webapp's database user the right to create indexes, or run it once as owner."
        ) from exc


# Queue


def queue_page(ledger: Ledger, flt: QueueFilter) -> QueuePage:
    """One page of qualifications, newest first, with what each still needs loaded."""
    q = t.qualifications.c
    scope = _scope_conditions(flt)
    where = [*scope, q.state == flt.state] if flt.state else scope
    stmt = (
        select(q.qualification_id, q.project_key, q.created_at, q.updated_at)
        .where(*where)
        .order_by(q.created_at.desc(), q.qualification_id.desc())
        .limit(flt.page_size)
        .offset((flt.page - 1) * flt.page_size)
    )
    with _read(ledger) as conn:
        counts = _state_counts(conn, scope)
        total = counts.get(flt.state, 0) if flt.state else sum(counts.values())
        listed = conn.execute(stmt).all()
        ids = [r.qualification_id for r in listed]
        loaded = load_qualifications(conn, ids, with_check_details=False)
    rows = tuple(
        QueueRow(loaded[r.qualification_id], r.project_key, r.created_at, r.updated_at)
        for r in listed
    )
    return QueuePage(rows, total, flt.page, flt.page_size, counts)


def filter_choices(ledger: Ledger) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Distinct project keys and model ids that have qualifications (bounded lists)."""
    q = t.qualifications.c
    with _read(ledger) as conn:
        projects = conn.execute(
            select(q.project_key).distinct().order_by(q.project_key).limit(_MAX_CHOICES)
        ).scalars()
        project_keys = tuple(str(p) for p in projects)
        models = conn.execute(
            select(q.model_id).distinct().order_by(q.model_id).limit(_MAX_CHOICES)
        ).scalars()
        return project_keys, tuple(str(m) for m in models)


def qualification_record(ledger: Ledger, qualification_id: str) -> QualificationRecord | None:
    """Project, policy version and times of a qualification, or None."""
    q = t.qualifications.c
    stmt = select(
        q.qualification_id, q.project_key, q.policy_version, q.created_at, q.updated_at
    ).where(q.qualification_id == qualification_id)
    with _read(ledger) as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return None
    return QualificationRecord(
        row.qualification_id, row.project_key, row.policy_version, row.created_at, row.updated_at
    )


def load_qualifications(
    conn: Connection, ids: Sequence[str], *, with_check_details: bool = True
) -> dict[str, Qualification]:
    """Qualifications by id, with sign-offs, waivers and latest checks, in 4 reads.

    ``with_check_details=False`` leaves each check's ``details`` and ``evidence_refs``
    empty: enough for :func:`~model_governance.core.workflow.outstanding`, and cheaper
    for a list.
    """
    if not ids:
        return {}
    q = t.qualifications.c
    rows = conn.execute(select(t.qualifications).where(q.qualification_id.in_(ids))).mappings()
    signoffs = _signoffs_by_id(conn, ids)
    waivers = _waivers_by_id(conn, ids)
    checks = _latest_checks_by_id(conn, ids, with_details=with_check_details)
    return {
        r["qualification_id"]: Qualification(
            qualification_id=r["qualification_id"],
            model_id=r["model_id"],
            version=r["version"],
            submitter=r["submitter"],
            fingerprint=r["fingerprint"],
            policy_hash=r["policy_hash"],
            state=QualificationState(r["state"]),
            is_fast_track=bool(r["is_fast_track"]),
            signoffs=tuple(signoffs.get(r["qualification_id"], ())),
            checks=tuple(checks.get(r["qualification_id"], ())),
            waivers=tuple(waivers.get(r["qualification_id"], ())),
        )
        for r in rows
    }


def _scope_conditions(flt: QueueFilter) -> list[Any]:
    q = t.qualifications.c
    conditions: list[Any] = []
    if flt.project_key:
        conditions.append(q.project_key == flt.project_key)
    if flt.model_id:
        conditions.append(q.model_id == flt.model_id)
    return conditions


def _state_counts(conn: Connection, scope: list[Any]) -> dict[str, int]:
    q = t.qualifications.c
    stmt = select(q.state, func.count()).where(*scope).group_by(q.state)
    return {str(state): int(n) for state, n in conn.execute(stmt).all()}


def _signoffs_by_id(conn: Connection, ids: Sequence[str]) -> dict[str, list[SignOff]]:
    s = t.signoffs.c
    stmt = select(t.signoffs).where(s.qualification_id.in_(ids)).order_by(s.id)
    found: dict[str, list[SignOff]] = {}
    for r in conn.execute(stmt).mappings():
        found.setdefault(r["qualification_id"], []).append(
            SignOff(
                r["role"],
                r["actor"],
                Decision(r["decision"]),
                r["comment"],
                datetime.fromisoformat(r["signed_at"]),
            )
        )
    return found


def _waivers_by_id(conn: Connection, ids: Sequence[str]) -> dict[str, list[Waiver]]:
    w = t.waivers.c
    stmt = select(t.waivers).where(w.qualification_id.in_(ids)).order_by(w.id)
    found: dict[str, list[Waiver]] = {}
    for r in conn.execute(stmt).mappings():
        found.setdefault(r["qualification_id"], []).append(
            Waiver(
                r["check_id"],
                r["actor"],
                r["role"],
                r["reason"],
                datetime.fromisoformat(r["waived_at"]),
            )
        )
    return found


def _latest_checks_by_id(
    conn: Connection, ids: Sequence[str], *, with_details: bool
) -> dict[str, list[CheckResult]]:
    c = t.check_results.c
    last = (
        select(c.qualification_id, func.max(c.run_no).label("run_no"))
        .where(c.qualification_id.in_(ids))
        .group_by(c.qualification_id)
        .subquery()
    )
    stmt = (
        select(t.check_results)
        .join(
            last,
            and_(c.qualification_id == last.c.qualification_id, c.run_no == last.c.run_no),
        )
        .order_by(c.id)
    )
    found: dict[str, list[CheckResult]] = {}
    for r in conn.execute(stmt).mappings():
        found.setdefault(r["qualification_id"], []).append(
            CheckResult(
                check_id=r["check_id"],
                title=r["title"],
                status=CheckStatus(r["status"]),
                is_blocking=bool(r["is_blocking"]),
                explanation=r["explanation"],
                measured=json.loads(r["measured_json"]),
                threshold=json.loads(r["threshold_json"]),
                evidence_refs=tuple(json.loads(r["evidence_refs_json"])) if with_details else (),
                details=json.loads(r["details_json"]) if with_details else {},
            )
        )
    return found


# Audit trail


def model_entities(ledger: Ledger, model_id: str) -> tuple[tuple[str, str], ...]:
    """Audit entities of a model: the model, its versions and its qualifications."""
    v, q = t.model_versions.c, t.qualifications.c
    with _read(ledger) as conn:
        versions = conn.execute(select(v.version).where(v.model_id == model_id)).scalars()
        entities = [("model", model_id)]
        entities += [("version", f"{model_id}/{version}") for version in versions]
        qualifications = conn.execute(
            select(q.qualification_id).where(q.model_id == model_id)
        ).scalars()
        entities += [("qualification", str(qid)) for qid in qualifications]
    return tuple(entities)


def audit_trail(
    ledger: Ledger,
    entities: Iterable[tuple[str, str]],
    *,
    before: int | None = None,
    limit: int = 50,
) -> AuditPage:
    """Audit events of the given entities, newest first, at most ``limit`` of them."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValidationError(f"limit: {limit} is out of range; use 1 to {MAX_PAGE_SIZE}.")
    keys = list(entities)
    if not keys:
        return AuditPage((), None)
    e = t.audit_events.c
    by_type: dict[str, list[str]] = {}
    for entity_type, entity_id in keys:
        by_type.setdefault(entity_type, []).append(entity_id)
    # One equality-and-IN term per entity type lets the database read ix_audit_entity
    # for each term (a row-value IN makes SQLite scan the whole table).
    matches = or_(*(and_(e.entity_type == k, e.entity_id.in_(v)) for k, v in by_type.items()))
    stmt: Select[Any] = (
        select(t.audit_events).where(matches).order_by(e.seq.desc()).limit(limit + 1)
    )
    if before is not None:
        stmt = stmt.where(e.seq < before)
    with _read(ledger) as conn:
        rows = conn.execute(stmt).mappings().all()
    entries = tuple(_audit_entry(r) for r in rows[:limit])
    next_before = entries[-1].seq if len(rows) > limit else None
    return AuditPage(entries, next_before)


def _audit_entry(row: RowMapping) -> AuditEntry:
    try:
        payload = json.loads(row["payload_json"])
    except ValueError:
        payload = {"unreadable_payload": True}
    return AuditEntry(
        seq=int(row["seq"]),
        occurred_at=row["occurred_at"],
        actor=row["actor"],
        action=row["action"],
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        payload=payload if isinstance(payload, Mapping) else {"value": payload},
        hash=row["hash"],
    )


class ChainVerifier:
    """The audit chain's verification, kept per process and brought up to date cheaply.

    The first call walks the whole chain. Later calls read the chain head: when it has
    not moved the cached result is returned; when it moved forward, only the events
    after the last verified head are checked, chained to it, after confirming that
    the last verified event still carries the hash that was verified (incremental
    verification). A broken or shortened chain is walked again in full. The rules are
    those of :func:`model_governance.core.audit.verify_chain`.

    An edit to an event verified earlier in the same process is therefore caught by
    ``model-governance audit verify`` (and the next process start), not by this
    cache. The walk reads in batches, each in its own short read, so writers are not
    held up while a large chain is checked; :meth:`warm_up` runs the first walk in the
    background, and ``verify(wait=False)`` answers meanwhile with the last result
    (None before the first walk ends) instead of blocking a page.
    """

    def __init__(self, *, batch_size: int = 5_000) -> None:
        self._lock = threading.Lock()
        self._result: ChainVerification | None = None
        self._full_walks = 0
        self._batch_size = batch_size

    @property
    def full_walks(self) -> int:
        """How many times the whole chain was walked by this verifier."""
        return self._full_walks

    def warm_up(self, ledger: Ledger) -> threading.Thread:
        """Walk the chain in a background thread (for a ledger on a database file)."""
        thread = threading.Thread(
            target=self._walk_quietly, args=(ledger,), name="audit-chain-warm-up", daemon=True
        )
        thread.start()
        return thread

    def verify(self, ledger: Ledger, *, wait: bool = True) -> ChainVerification | None:
        """The chain's verification at the current head.

        With ``wait=False`` and another thread verifying, the last result is returned
        at once; it names the head it verified, which may lag the current one.
        """
        if not self._lock.acquire(blocking=wait):
            return self._result
        try:
            head = ledger.head()
            cached = self._result
            if cached is not None and cached.head == head:
                return cached
            result = None
            if cached is not None and cached.is_intact and head.seq > cached.head.seq:
                result = self._walk(ledger, cached, head)
            if result is None:
                result = self._walk(ledger, ChainVerification(True, 0), head)
                self._full_walks += 1
            assert result is not None  # noqa: S101 - a walk from the genesis always ends
            self._result = result
            log.info("audit chain verified up to event %d: intact=%s", head.seq, result.is_intact)
            return result
        finally:
            self._lock.release()

    def _walk_quietly(self, ledger: Ledger) -> None:
        try:
            self.verify(ledger)
        except LedgerError:
            # The pages will walk again, and report the failure, on their next view.
            log.exception("audit chain warm-up failed")

    def _walk(
        self, ledger: Ledger, start: ChainVerification, head: ChainHead
    ) -> ChainVerification | None:
        """Check events after ``start`` up to ``head``; None if ``start`` changed."""
        e = t.audit_events.c
        result = start
        with _read(ledger) as conn:
            if start.head.seq and _hash_at(conn, start.head.seq) != start.head.hash:
                return None
        while result.is_intact and result.head.seq < head.seq:
            stmt = (
                select(t.audit_events)
                .where(e.seq > result.head.seq, e.seq <= head.seq)
                .order_by(e.seq)
                .limit(self._batch_size)
            )
            with _read(ledger) as conn:
                rows = conn.execute(stmt).mappings().all()
            if not rows:
                break
            result = _verify_rows(rows, result)
        if result.is_intact and result.head != head:
            return ChainVerification(
                False,
                result.events_checked,
                result.head.seq + 1,
                f"the chain ends at event {result.head.seq} but the recorded head is event "
                f"{head.seq}; events were deleted or the head was altered",
                result.head,
            )
        return result


def _hash_at(conn: Connection, seq: int) -> str | None:
    e = t.audit_events.c
    found = conn.execute(select(e.hash).where(e.seq == seq)).scalar()
    return None if found is None else str(found)


def _verify_rows(rows: Iterable[RowMapping], start: ChainVerification) -> ChainVerification:
    expected = start.head
    checked = start.events_checked
    for row in rows:
        checked += 1
        seq = int(row["seq"])
        problem = _row_problem(row, expected)
        if problem:
            return ChainVerification(False, checked, seq, problem, expected)
        expected = ChainHead(seq, row["hash"])
    return ChainVerification(True, checked, head=expected)


def _row_problem(row: RowMapping, expected: ChainHead) -> str:
    seq = int(row["seq"])
    if seq != expected.seq + 1:
        return f"sequence number {seq} follows {expected.seq}; an event was removed or moved"
    if row["prev_hash"] != expected.hash:
        return "its prev_hash does not match the previous event's hash"
    try:
        payload = json.loads(row["payload_json"])
        digest = event_hash(
            seq,
            row["occurred_at"],
            row["actor"],
            row["action"],
            (row["entity_type"], row["entity_id"]),
            payload,
            row["prev_hash"],
        )
    except (ValueError, TypeError) as exc:
        return f"its content cannot be hashed ({type(exc).__name__}); the event was edited"
    if digest != row["hash"]:
        return "its content does not match its hash; the event was edited"
    return ""


# Monitoring


def evaluation_series(ledger: Ledger, model_id: str, *, limit: int = 400) -> list[EvaluationPoint]:
    """The model's most recent evaluations (all versions), oldest first."""
    e = t.evaluations.c
    stmt = (
        select(t.evaluations)
        .where(e.model_id == model_id)
        .order_by(e.window_end.desc(), e.id.desc())
        .limit(limit)
    )
    with _read(ledger) as conn:
        rows = conn.execute(stmt).mappings().all()
    return [_evaluation_point(r) for r in reversed(rows)]


def _evaluation_point(row: RowMapping) -> EvaluationPoint:
    try:
        metrics = json.loads(row["metrics_json"])
    except ValueError:
        metrics = {}
    if not isinstance(metrics, Mapping):
        metrics = {}
    return EvaluationPoint(
        model_id=row["model_id"],
        version=row["version"],
        window_end=datetime.fromisoformat(row["window_end"]),
        auc=_number(row["auc"]) if row["auc"] is not None else _number(metrics.get("auc")),
        max_ks=_number(row["max_ks"]) if row["max_ks"] is not None else _max_of(metrics),
        max_psi=_number(metrics.get("max_psi")),
        drift=_numbers(metrics.get("drift")),
        disparate_impact=_nested_numbers(metrics.get("disparate_impact")),
        latency_p95_ms=_number(metrics.get("latency_p95_ms")),
        error_rate=_number(metrics.get("error_rate")),
    )


def _max_of(metrics: Mapping[str, Any]) -> float | None:
    drift = _numbers(metrics.get("drift"))
    return max(drift.values()) if drift else _number(metrics.get("max_ks"))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _numbers(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        return {}
    pairs = ((str(k), _number(v)) for k, v in value.items())
    return {k: v for k, v in pairs if v is not None}


def _nested_numbers(value: Any) -> dict[str, dict[str, float]]:
    if not isinstance(value, Mapping):
        return {}
    nested = {str(k): _numbers(v) for k, v in value.items()}
    return {k: v for k, v in nested.items() if v}


def deployment_history(
    ledger: Ledger, model_id: str, *, limit: int = 100
) -> list[DeploymentRecord]:
    """Deployments and rollbacks of the model's bundles, and its rollback drills."""
    d, b = t.deployments.c, t.bundles.c
    bundles = select(b.project_key, b.bundle_id).where(b.model_id == model_id)
    stmt = (
        select(t.deployments)
        .where(
            or_(
                tuple_(d.project_key, d.bundle_id).in_(bundles),
                d.deployment_id == f"drill:{model_id}",
            )
        )
        .order_by(d.started_at.desc(), d.id.desc())
        .limit(limit)
    )
    with _read(ledger) as conn:
        rows = conn.execute(stmt).mappings().all()
    return [deployment_from_row(r) for r in rows]


def model_summary(ledger: Ledger, model_id: str) -> ModelSummary | None:
    """The registered model, or None."""
    m = t.models.c
    stmt = select(m.model_id, m.project_key, m.name).where(m.model_id == model_id)
    with _read(ledger) as conn:
        row = conn.execute(stmt).first()
    return None if row is None else ModelSummary(str(row[0]), str(row[1]), str(row[2]))


def open_flags(ledger: Ledger, model_id: str, *, limit: int = 100) -> list[FlagEntry]:
    """The model's open monitoring episodes (flags and alerts), newest first."""
    m = t.monitoring_episodes.c
    stmt = (
        select(m.version, m.rule, m.subject, m.summary, m.opened_at)
        .where(m.model_id == model_id, m.state == "open")
        .order_by(m.opened_at.desc(), m.id.desc())
        .limit(limit)
    )
    with _read(ledger) as conn:
        rows = conn.execute(stmt).all()
    return [FlagEntry(str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in rows]


def approved_qualification_id(ledger: Ledger, model_id: str) -> str | None:
    """The newest approved qualification of any version of the model, or None."""
    q = t.qualifications.c
    stmt = (
        select(q.qualification_id)
        .where(q.model_id == model_id, q.state == QualificationState.APPROVED.value)
        .order_by(q.updated_at.desc(), q.qualification_id.desc())
        .limit(1)
    )
    with _read(ledger) as conn:
        found = conn.execute(stmt).scalar()
    return None if found is None else str(found)


def monitored_models(ledger: Ledger, *, limit: int = 200) -> list[MonitoredModel]:
    """Models with evaluations or deployments, most recently evaluated first."""
    m, e, b, d = t.models.c, t.evaluations.c, t.bundles.c, t.deployments.c
    evaluated = (
        select(
            e.model_id.label("model_id"),
            func.count().label("n"),
            func.max(e.window_end).label("last_end"),
        )
        .group_by(e.model_id)
        .subquery()
    )
    deployed = (
        select(b.model_id.label("model_id"), func.count(d.id).label("n"))
        .join(t.deployments, and_(d.project_key == b.project_key, d.bundle_id == b.bundle_id))
        .group_by(b.model_id)
        .subquery()
    )
    stmt = (
        select(m.model_id, m.project_key, m.name, evaluated.c.n, evaluated.c.last_end, deployed.c.n)
        .outerjoin(evaluated, evaluated.c.model_id == m.model_id)
        .outerjoin(deployed, deployed.c.model_id == m.model_id)
        .where(or_(evaluated.c.n.is_not(None), deployed.c.n.is_not(None)))
        .order_by(evaluated.c.last_end.desc(), m.model_id)
        .limit(limit)
    )
    with _read(ledger) as conn:
        rows = conn.execute(stmt).all()
    return [
        MonitoredModel(str(r[0]), str(r[1]), str(r[2]), int(r[3] or 0), r[4], int(r[5] or 0))
        for r in rows
    ]


# Documents


def document_index(ledger: Ledger, model_id: str, version: str) -> list[DocumentInfo]:
    """The newest stored document of each kind and media type, without content."""
    doc = t.documents.c
    newest = (
        select(func.max(doc.id))
        .where(doc.model_id == model_id, doc.version == version)
        .group_by(doc.kind, doc.media_type)
    )
    stmt = (
        select(doc.kind, doc.media_type, doc.content_hash, doc.created_by, doc.created_at)
        .where(doc.id.in_(newest))
        .order_by(doc.kind, doc.media_type)
    )
    with _read(ledger) as conn:
        rows = conn.execute(stmt).all()
    return [DocumentInfo(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def stored_document(
    ledger: Ledger, model_id: str, version: str, kind: str, media_type: str
) -> tuple[DocumentInfo, str] | None:
    """The newest stored document of that kind and its content, or None."""
    doc = t.documents.c
    stmt = (
        select(doc.kind, doc.media_type, doc.content_hash, doc.created_by, doc.created_at)
        .add_columns(doc.content)
        .where(
            doc.model_id == model_id,
            doc.version == version,
            doc.kind == kind,
            doc.media_type == media_type,
        )
        .order_by(doc.id.desc())
        .limit(1)
    )
    with _read(ledger) as conn:
        row = conn.execute(stmt).first()
    if row is None:
        return None
    return DocumentInfo(row[0], row[1], row[2], row[3], row[4]), str(row[5])


@contextmanager
def _read(ledger: Ledger) -> Iterator[Connection]:
    """A read connection whose database errors become :class:`LedgerError`."""
    try:
        with ledger.engine.connect() as conn:
            yield conn
    except SQLAlchemyError as exc:
        raise LedgerError(f"ledger: a read failed ({type(exc).__name__}).") from exc


__all__ = [
    "MAX_PAGE_SIZE",
    "READ_INDEXES",
    "AuditEntry",
    "AuditPage",
    "ChainVerifier",
    "DocumentInfo",
    "EvaluationPoint",
    "FlagEntry",
    "ModelSummary",
    "MonitoredModel",
    "QualificationRecord",
    "QueueFilter",
    "QueuePage",
    "QueueRow",
    "approved_qualification_id",
    "audit_trail",
    "deployment_history",
    "document_index",
    "ensure_read_indexes",
    "evaluation_series",
    "filter_choices",
    "load_qualifications",
    "model_entities",
    "model_summary",
    "monitored_models",
    "open_flags",
    "qualification_record",
    "queue_page",
    "stored_document",
]
