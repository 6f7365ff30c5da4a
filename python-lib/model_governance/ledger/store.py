"""Ledger access: one transaction per state change and its audit event.

SQLite is the embedded default (a file in WAL mode with foreign keys on); PostgreSQL
serves a shared ledger. Writers are serialised on the chain head (``BEGIN IMMEDIATE`` on
SQLite, ``SELECT ... FOR UPDATE`` on PostgreSQL), so concurrent processes never fork the
chain.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from model_governance.core.audit import AuditEvent, ChainHead, ChainVerification, seal
from model_governance.core.audit import verify_chain as verify_events
from model_governance.core.checks import (
    CheckResult,
    CheckStatus,
    EvaluationSummary,
    RollbackDrill,
)
from model_governance.core.constants import SCHEMA_VERSION
from model_governance.core.errors import (
    ConflictError,
    LedgerError,
    LedgerIntegrityError,
    NotFoundError,
)
from model_governance.core.evidence import Evidence, evidence_to_dict, parse_evidence
from model_governance.core.hashing import canonical_json, to_utc_iso
from model_governance.core.workflow import (
    Decision,
    Qualification,
    QualificationState,
    SignOff,
    Waiver,
)
from model_governance.ledger import schema as t

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DocumentRecord:
    """A rendered document as the ledger keeps it."""

    model_id: str
    version: str
    kind: str
    media_type: str
    content: str
    content_hash: str


@dataclass(frozen=True)
class VersionRecord:
    """A registered model version and its evidence."""

    evidence: Evidence
    fingerprint: str
    registered_by: str
    registered_at: str


class Ledger:
    """The governance store behind every entry point."""

    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, create: bool = True) -> Ledger:
        """Open the ledger at a SQLAlchemy URL (``sqlite:///path``, ``postgresql://…``)."""
        engine = _make_engine(url)
        ledger = cls(engine)
        if create:
            ledger.create_schema()
        else:
            ledger.check_schema()
        return ledger

    def create_schema(self) -> None:
        """Create missing tables and record the schema version once."""
        try:
            t.metadata.create_all(self.engine)
            with self.writing() as conn:
                if conn.execute(select(func.count()).select_from(t.schema_version)).scalar():
                    self._check_version(conn)
                    return
                now = _row_now()
                conn.execute(
                    insert(t.schema_version).values(version=SCHEMA_VERSION, applied_at=now)
                )
                conn.execute(insert(t.chain_head).values(id=1, seq=0, hash=ChainHead().hash))
        except SQLAlchemyError as exc:
            raise LedgerError(
                f"ledger: could not create its tables ({type(exc).__name__})."
            ) from exc

    def check_schema(self) -> None:
        """Refuse a ledger written by a newer version of the plugin."""
        try:
            with self.engine.connect() as conn:
                self._check_version(conn)
        except SQLAlchemyError as exc:
            raise LedgerError(
                f"ledger: its schema cannot be read ({type(exc).__name__}); point to a ledger "
                "created by `model-governance init`, or run it."
            ) from exc

    @staticmethod
    def _check_version(conn: Connection) -> None:
        found = conn.execute(select(func.max(t.schema_version.c.version))).scalar()
        if found is None:
            raise LedgerError("ledger: no schema version recorded; run `model-governance init`.")
        if found > SCHEMA_VERSION:
            raise LedgerError(
                f"ledger: schema version {found} is newer than this plugin's {SCHEMA_VERSION}; "
                "upgrade the plugin before using this ledger."
            )

    @contextmanager
    def writing(self) -> Iterator[Connection]:
        """A connection in a write transaction (SQLite: BEGIN IMMEDIATE), committed.

        Only writers take SQLite's write lock up front; readers use plain connections,
        so a long read (an audit walk, a webapp page) never blocks a sign-off.
        """
        with self.engine.connect() as conn:
            conn.execution_options(ledger_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def transaction(self) -> Iterator[LedgerTransaction]:
        """One atomic unit: every row and audit event written inside commit together."""
        try:
            with self.writing() as conn:
                yield LedgerTransaction(conn)
        except IntegrityError as exc:
            raise ConflictError(
                "ledger: the change conflicts with a record already stored "
                f"({_constraint_hint(exc)}); nothing was written."
            ) from exc
        except SQLAlchemyError as exc:
            raise LedgerError(
                f"ledger: the write failed ({type(exc).__name__}); nothing was written."
            ) from exc

    # Reads

    def get_version(self, model_id: str, version: str) -> VersionRecord:
        """The registered version, or :class:`NotFoundError` naming it."""
        with self.engine.connect() as conn:
            return _load_version(conn, model_id, version)

    def find_version(self, model_id: str, version: str) -> VersionRecord | None:
        """The registered version, or None."""
        try:
            return self.get_version(model_id, version)
        except NotFoundError:
            return None

    def get_qualification(self, qualification_id: str) -> Qualification:
        """The qualification with its sign-offs, waivers and latest checks."""
        with self.engine.connect() as conn:
            return _load_qualification(conn, qualification_id)

    def latest_qualification(self, model_id: str, version: str) -> Qualification | None:
        """The newest qualification of a version, or None."""
        q = t.qualifications.c
        stmt = (
            select(q.qualification_id)
            .where(q.model_id == model_id, q.version == version)
            .order_by(q.created_at.desc(), q.qualification_id.desc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            found = conn.execute(stmt).scalar()
            return _load_qualification(conn, found) if found else None

    def list_qualifications(
        self, *, state: str | None = None, model_id: str | None = None, limit: int = 200
    ) -> list[Mapping[str, Any]]:
        """Summary rows, newest first, optionally filtered."""
        q = t.qualifications.c
        stmt = select(t.qualifications).order_by(q.created_at.desc()).limit(limit)
        if state:
            stmt = stmt.where(q.state == state)
        if model_id:
            stmt = stmt.where(q.model_id == model_id)
        with self.engine.connect() as conn:
            return [dict(row) for row in conn.execute(stmt).mappings()]

    def evaluations_for(self, model_id: str, version: str | None = None) -> list[EvaluationSummary]:
        """Stored evaluations of the model (of one version if given), oldest first."""
        e = t.evaluations.c
        stmt = select(t.evaluations).where(e.model_id == model_id).order_by(e.window_end)
        if version is not None:
            stmt = stmt.where(e.version == version)
        with self.engine.connect() as conn:
            return [
                EvaluationSummary(
                    window_end=datetime.fromisoformat(r["window_end"]),
                    max_ks=_float_or_none(r["max_ks"]),
                    max_psi=_float_or_none(json.loads(r["metrics_json"]).get("max_psi")),
                    auc=_float_or_none(r["auc"]),
                )
                for r in conn.execute(stmt).mappings()
            ]

    def approved_bundles(self, project_key: str) -> list[str]:
        """Bundle ids the ledger holds as approved for a project, oldest first."""
        b = t.bundles.c
        stmt = (
            select(b.bundle_id)
            .where(b.project_key == project_key, b.state == "approved")
            .order_by(b.created_at)
        )
        with self.engine.connect() as conn:
            return [str(x) for x in conn.execute(stmt).scalars()]

    def rollback_drills(self, model_id: str) -> list[RollbackDrill]:
        """Recorded rollback drills of a model."""
        d = t.deployments.c
        stmt = (
            select(t.deployments)
            .where(d.kind == "rollback_drill", d.deployment_id == f"drill:{model_id}")
            .order_by(d.started_at)
        )
        with self.engine.connect() as conn:
            return [
                RollbackDrill(
                    performed_at=datetime.fromisoformat(r["started_at"]),
                    is_passed=r["outcome"] == "passed",
                    target_bundle=r["bundle_id"],
                )
                for r in conn.execute(stmt).mappings()
            ]

    def head(self) -> ChainHead:
        """The recorded chain head."""
        with self.engine.connect() as conn:
            return _read_head(conn)

    def iter_events(
        self,
        *,
        entity: tuple[str, str] | None = None,
        batch_size: int = 5000,
        after_seq: int = 0,
    ) -> Iterator[AuditEvent]:
        """Audit events after ``after_seq`` in sequence order, read in batches."""
        last = after_seq
        with self.engine.connect() as conn:
            while True:
                e = t.audit_events.c
                stmt = select(t.audit_events).where(e.seq > last).order_by(e.seq).limit(batch_size)
                if entity is not None:
                    stmt = stmt.where(e.entity_type == entity[0], e.entity_id == entity[1])
                rows = conn.execute(stmt).mappings().all()
                if not rows:
                    return
                for row in rows:
                    yield _event_from_row(row)
                last = rows[-1]["seq"]

    def verify(self) -> ChainVerification:
        """Walk the whole audit chain and name the first broken event."""
        head = self.head()
        try:
            result = verify_events(self.iter_events(), head)
        except LedgerIntegrityError as exc:
            # Every event before the unreadable one was read and verified, in order.
            e = t.audit_events.c
            with self.engine.connect() as conn:
                checked = conn.execute(
                    select(func.count()).select_from(t.audit_events).where(e.seq <= exc.event_id)
                ).scalar()
            result = ChainVerification(False, int(checked or 0), exc.event_id, exc.reason)
        log.info(
            "audit chain verified: intact=%s events=%d", result.is_intact, result.events_checked
        )
        return result


class LedgerTransaction:
    """Writes inside one :meth:`Ledger.transaction`."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def append_event(
        self,
        *,
        actor: str,
        action: str,
        entity: tuple[str, str],
        payload: Mapping[str, Any],
        at: datetime,
    ) -> AuditEvent:
        """Seal the next audit event on the chain head and store both."""
        head = _read_head(self.conn, for_update=True)
        sealed = seal(
            head, occurred_at=at, actor=actor, action=action, entity=entity, payload=payload
        )
        self.conn.execute(
            insert(t.audit_events).values(
                seq=sealed.seq,
                occurred_at=to_utc_iso(at),
                actor=actor,
                action=action,
                entity_type=entity[0],
                entity_id=entity[1],
                payload_json=canonical_json(payload),
                prev_hash=sealed.prev_hash,
                hash=sealed.hash,
            )
        )
        self.conn.execute(
            update(t.chain_head)
            .where(t.chain_head.c.id == 1)
            .values(seq=sealed.seq, hash=sealed.hash)
        )
        log.info("audit event %d %s appended (hash %s)", sealed.seq, action, sealed.hash[:12])
        return sealed

    def next_qualification_id(self) -> str:
        """A sequential id, taken under the chain-head lock so writers never collide."""
        _read_head(self.conn, for_update=True)
        count = self.conn.execute(select(func.count()).select_from(t.qualifications)).scalar()
        return f"Q-{(count or 0) + 1:06d}"

    def ensure_model(self, evidence: Evidence, at: datetime) -> None:
        """Insert the model row on first registration of any of its versions."""
        found = self.conn.execute(
            select(t.models.c.model_id).where(t.models.c.model_id == evidence.model_id)
        ).first()
        if found is None:
            self.conn.execute(
                insert(t.models).values(
                    model_id=evidence.model_id,
                    project_key=evidence.project_key,
                    name=evidence.model_name,
                    created_at=to_utc_iso(at),
                )
            )

    def insert_version(self, evidence: Evidence, actor: str, at: datetime) -> None:
        """Store a new version; registering the same version twice is a conflict."""
        if _find_version_row(self.conn, evidence.model_id, evidence.version) is not None:
            raise ConflictError(
                f"model {evidence.model_id} version {evidence.version} is already registered; "
                "register the retrained model as a new version."
            )
        self.conn.execute(
            insert(t.model_versions).values(
                model_id=evidence.model_id,
                version=evidence.version,
                semver=evidence.semver,
                fingerprint=evidence.fingerprint,
                evidence_json=canonical_json(evidence_to_dict(evidence)),
                registered_by=actor,
                registered_at=to_utc_iso(at),
            )
        )

    def insert_qualification(
        self, q: Qualification, *, project_key: str, policy_version: str, at: datetime
    ) -> None:
        """Store a new qualification in its initial state."""
        now = to_utc_iso(at)
        self.conn.execute(
            insert(t.qualifications).values(
                qualification_id=q.qualification_id,
                model_id=q.model_id,
                version=q.version,
                project_key=project_key,
                submitter=q.submitter,
                state=q.state.value,
                fingerprint=q.fingerprint,
                policy_version=policy_version,
                policy_hash=q.policy_hash,
                is_fast_track=q.is_fast_track,
                created_at=now,
                updated_at=now,
            )
        )

    def save_state(self, before: Qualification, after: Qualification, at: datetime) -> None:
        """Persist a state change unless another writer moved the state meanwhile."""
        q = t.qualifications.c
        result = self.conn.execute(
            update(t.qualifications)
            .where(q.qualification_id == after.qualification_id, q.state == before.state.value)
            .values(
                state=after.state.value,
                is_fast_track=after.is_fast_track,
                updated_at=to_utc_iso(at),
            )
        )
        if result.rowcount != 1:
            raise ConflictError(
                f"{after.label} changed while this action ran; reload it and try again."
            )

    def insert_signoff(self, qualification_id: str, signoff: SignOff) -> None:
        """Store one sign-off."""
        self.conn.execute(
            insert(t.signoffs).values(
                qualification_id=qualification_id,
                role=signoff.role,
                actor=signoff.actor,
                decision=signoff.decision.value,
                comment=signoff.comment,
                signed_at=to_utc_iso(signoff.signed_at),
            )
        )

    def insert_waiver(self, qualification_id: str, waiver: Waiver) -> None:
        """Store one waiver."""
        self.conn.execute(
            insert(t.waivers).values(
                qualification_id=qualification_id,
                check_id=waiver.check_id,
                actor=waiver.actor,
                role=waiver.role,
                reason=waiver.reason,
                waived_at=to_utc_iso(waiver.waived_at),
            )
        )

    def insert_checks(
        self,
        qualification_id: str,
        results: Sequence[CheckResult],
        *,
        policy_hash: str,
        at: datetime,
    ) -> int:
        """Store a run of check results; returns its run number."""
        c = t.check_results.c
        last = self.conn.execute(
            select(func.max(c.run_no)).where(c.qualification_id == qualification_id)
        ).scalar()
        run_no = (last or 0) + 1
        rows = [_check_row(qualification_id, run_no, r, policy_hash, at) for r in results]
        if rows:
            self.conn.execute(insert(t.check_results), rows)
        return run_no

    def insert_drill(
        self, drill: RollbackDrill, *, model_id: str, project_key: str, actor: str, note: str
    ) -> None:
        """Store the outcome of a rollback drill."""
        at = to_utc_iso(drill.performed_at)
        self.conn.execute(
            insert(t.deployments).values(
                deployment_id=f"drill:{model_id}",
                project_key=project_key,
                bundle_id=drill.target_bundle,
                infrastructure="",
                kind="rollback_drill",
                outcome="passed" if drill.is_passed else "failed",
                actor=actor,
                reason=note,
                detail_json="{}",
                started_at=at,
                finished_at=at,
            )
        )

    def insert_document(self, record: DocumentRecord, *, actor: str, at: datetime) -> None:
        """Store a rendered document with its hash."""
        values = {**dataclasses.asdict(record), "created_by": actor, "created_at": to_utc_iso(at)}
        self.conn.execute(insert(t.documents).values(**values))


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        memory = url in ("sqlite://", "sqlite:///:memory:", "sqlite+pysqlite:///:memory:")
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
        if memory:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        event.listen(engine, "begin", _sqlite_on_begin)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    # Take over transaction control so BEGIN IMMEDIATE can lock the chain head.
    dbapi_conn.isolation_level = None
    cursor = dbapi_conn.cursor()
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "busy_timeout=30000", "synchronous=FULL"):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_on_begin(conn: Connection) -> None:
    # A write transaction locks at once, so two writers never read the same chain head;
    # a read stays deferred and takes no lock.
    write = conn.get_execution_options().get("ledger_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _constraint_hint(exc: IntegrityError) -> str:
    text = str(exc.orig).lower()
    if "signoffs" in text and "actor" in text:
        return "one person already signed for another role"
    if "signoffs" in text:
        return "that role was already signed"
    return text.split("\n")[0][:200]


def _row_now() -> str:
    # Schema bookkeeping only: audit timestamps always come from the caller's clock.
    from datetime import timezone

    return to_utc_iso(datetime.now(timezone.utc))


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _read_head(conn: Connection, *, for_update: bool = False) -> ChainHead:
    stmt = select(t.chain_head.c.seq, t.chain_head.c.hash).where(t.chain_head.c.id == 1)
    if for_update and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).first()
    if row is None:
        raise LedgerError("ledger: the chain head is missing; the ledger was not initialised.")
    return ChainHead(int(row.seq), str(row.hash))


def _event_from_row(row: Any) -> AuditEvent:
    seq = int(row["seq"])
    try:
        occurred_at = datetime.fromisoformat(row["occurred_at"])
        payload = json.loads(row["payload_json"])
    except (TypeError, ValueError) as exc:
        raise LedgerIntegrityError(
            seq, f"its stored time or payload cannot be read ({exc}); the event was edited"
        ) from exc
    return AuditEvent(
        seq=seq,
        occurred_at=occurred_at,
        actor=row["actor"],
        action=row["action"],
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        payload=payload,
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _find_version_row(conn: Connection, model_id: str, version: str) -> Mapping[str, Any] | None:
    v = t.model_versions.c
    row = (
        conn.execute(select(t.model_versions).where(v.model_id == model_id, v.version == version))
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _load_version(conn: Connection, model_id: str, version: str) -> VersionRecord:
    row = _find_version_row(conn, model_id, version)
    if row is None:
        raise NotFoundError(
            f"model {model_id} version {version} is not registered; register it first "
            "(model-governance register, or the Submit macro in DSS)."
        )
    return VersionRecord(
        evidence=parse_evidence(json.loads(row["evidence_json"])),
        fingerprint=row["fingerprint"],
        registered_by=row["registered_by"],
        registered_at=row["registered_at"],
    )


def _load_qualification(conn: Connection, qualification_id: str) -> Qualification:
    q = t.qualifications.c
    row = (
        conn.execute(select(t.qualifications).where(q.qualification_id == qualification_id))
        .mappings()
        .first()
    )
    if row is None:
        raise NotFoundError(
            f"qualification {qualification_id} does not exist; list qualifications with "
            "`model-governance status` or in the review webapp."
        )
    return Qualification(
        qualification_id=row["qualification_id"],
        model_id=row["model_id"],
        version=row["version"],
        submitter=row["submitter"],
        fingerprint=row["fingerprint"],
        policy_hash=row["policy_hash"],
        state=QualificationState(row["state"]),
        is_fast_track=bool(row["is_fast_track"]),
        signoffs=_load_signoffs(conn, qualification_id),
        checks=_load_checks(conn, qualification_id),
        waivers=_load_waivers(conn, qualification_id),
    )


def _load_signoffs(conn: Connection, qualification_id: str) -> tuple[SignOff, ...]:
    s = t.signoffs.c
    rows = conn.execute(
        select(t.signoffs).where(s.qualification_id == qualification_id).order_by(s.id)
    ).mappings()
    return tuple(
        SignOff(
            r["role"],
            r["actor"],
            Decision(r["decision"]),
            r["comment"],
            datetime.fromisoformat(r["signed_at"]),
        )
        for r in rows
    )


def _load_waivers(conn: Connection, qualification_id: str) -> tuple[Waiver, ...]:
    w = t.waivers.c
    rows = conn.execute(
        select(t.waivers).where(w.qualification_id == qualification_id).order_by(w.id)
    ).mappings()
    return tuple(
        Waiver(
            r["check_id"],
            r["actor"],
            r["role"],
            r["reason"],
            datetime.fromisoformat(r["waived_at"]),
        )
        for r in rows
    )


def _load_checks(conn: Connection, qualification_id: str) -> tuple[CheckResult, ...]:
    c = t.check_results.c
    last = conn.execute(
        select(func.max(c.run_no)).where(c.qualification_id == qualification_id)
    ).scalar()
    if last is None:
        return ()
    stmt = (
        select(t.check_results)
        .where(c.qualification_id == qualification_id, c.run_no == last)
        .order_by(c.id)
    )
    return tuple(_check_from_row(r) for r in conn.execute(stmt).mappings())


def _check_row(
    qualification_id: str, run_no: int, r: CheckResult, policy_hash: str, at: datetime
) -> dict[str, Any]:
    return {
        "qualification_id": qualification_id,
        "run_no": run_no,
        "check_id": r.check_id,
        "title": r.title,
        "status": r.status.value,
        "is_blocking": r.is_blocking,
        "explanation": r.explanation,
        "measured_json": canonical_json(r.measured),
        "threshold_json": canonical_json(r.threshold),
        "evidence_refs_json": canonical_json(list(r.evidence_refs)),
        "details_json": canonical_json(r.details),
        "policy_hash": policy_hash,
        "recorded_at": to_utc_iso(at),
    }


def _check_from_row(r: Any) -> CheckResult:
    return CheckResult(
        check_id=r["check_id"],
        title=r["title"],
        status=CheckStatus(r["status"]),
        is_blocking=bool(r["is_blocking"]),
        explanation=r["explanation"],
        measured=json.loads(r["measured_json"]),
        threshold=json.loads(r["threshold_json"]),
        evidence_refs=tuple(json.loads(r["evidence_refs_json"])),
        details=json.loads(r["details_json"]),
    )
