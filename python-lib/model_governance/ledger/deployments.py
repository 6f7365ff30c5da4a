"""Bundle and deployment records: the ``bundles`` and ``deployments`` tables.

A bundle row exists only for a bundle created through the gate; its ``state`` is
``approved`` while it may be deployed and ``pruned`` once removed from the Project
Deployer. A deployment row is written ``started`` before DSS is asked to update and
finished ``succeeded`` or ``failed`` afterwards, so no row claims a success DSS did not
report. Writers take a :class:`LedgerTransaction` so the row and its audit event
commit together.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from model_governance.core.errors import ConflictError, NotFoundError
from model_governance.core.hashing import canonical_json, to_utc_iso
from model_governance.ledger import schema as t
from model_governance.ledger.store import Ledger, LedgerTransaction

BUNDLE_APPROVED = "approved"
BUNDLE_PRUNED = "pruned"
DEPLOY = "deploy"
ROLLBACK = "rollback"
STARTED = "started"
SUCCEEDED = "succeeded"
FAILED = "failed"

__all__ = [
    "BUNDLE_APPROVED",
    "BUNDLE_PRUNED",
    "DEPLOY",
    "FAILED",
    "ROLLBACK",
    "STARTED",
    "SUCCEEDED",
    "BundleRecord",
    "DeploymentRecord",
    "DocumentHash",
    "approved_bundles",
    "deployment_history",
    "document_hashes",
    "find_bundle",
    "finish_deployment",
    "get_bundle",
    "get_deployment",
    "insert_bundle",
    "mark_bundle_pruned",
    "mark_bundle_published",
    "start_deployment",
]


@dataclass(frozen=True)
class BundleRecord:
    """A bundle created through the gate, bound to the qualification that allowed it."""

    bundle_id: str
    project_key: str
    qualification_id: str
    model_id: str
    version: str
    fingerprint: str
    state: str
    created_by: str
    created_at: str
    archive_sha256: str | None = None
    release_notes: str = ""
    published_project_key: str | None = None
    published_by: str | None = None
    published_at: str | None = None

    @property
    def is_approved(self) -> bool:
        """True while the bundle may be published, deployed or rolled back to."""
        return self.state == BUNDLE_APPROVED

    @property
    def is_published(self) -> bool:
        """True once the bundle is on the Project Deployer."""
        return self.published_project_key is not None


@dataclass(frozen=True)
class DeploymentRecord:
    """One deployment or rollback attempt on a Project Deployer deployment."""

    row_id: int
    deployment_id: str
    project_key: str
    bundle_id: str
    infrastructure: str
    kind: str
    outcome: str
    actor: str
    reason: str
    started_at: str
    finished_at: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentHash:
    """The newest stored rendering of one document of a version."""

    kind: str
    media_type: str
    content_hash: str
    created_at: str


# Reads


def find_bundle(ledger: Ledger, project_key: str, bundle_id: str) -> BundleRecord | None:
    """The bundle, or None when the ledger does not hold it."""
    b = t.bundles.c
    stmt = select(t.bundles).where(b.project_key == project_key, b.bundle_id == bundle_id)
    with ledger.engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    return _bundle_from_row(row) if row is not None else None


def get_bundle(ledger: Ledger, project_key: str, bundle_id: str) -> BundleRecord:
    """The bundle, or :class:`NotFoundError` naming it."""
    record = find_bundle(ledger, project_key, bundle_id)
    if record is None:
        raise NotFoundError(
            f"bundle {bundle_id} of project {project_key} was not created through the gate; "
            "create it with the 'Create approved bundle' macro."
        )
    return record


def approved_bundles(ledger: Ledger, project_key: str) -> list[BundleRecord]:
    """Approved (not pruned) bundles of a project, oldest first."""
    b = t.bundles.c
    stmt = (
        select(t.bundles)
        .where(b.project_key == project_key, b.state == BUNDLE_APPROVED)
        .order_by(b.created_at, b.bundle_id)
    )
    with ledger.engine.connect() as conn:
        return [_bundle_from_row(r) for r in conn.execute(stmt).mappings()]


def deployment_history(ledger: Ledger, deployment_id: str) -> list[DeploymentRecord]:
    """Deployments and rollbacks of one Project Deployer deployment, oldest first."""
    d = t.deployments.c
    stmt = (
        select(t.deployments)
        .where(d.deployment_id == deployment_id, d.kind.in_((DEPLOY, ROLLBACK)))
        .order_by(d.id)
    )
    with ledger.engine.connect() as conn:
        return [deployment_from_row(r) for r in conn.execute(stmt).mappings()]


def get_deployment(ledger: Ledger, row_id: int) -> DeploymentRecord:
    """One deployment attempt by its ledger row id."""
    stmt = select(t.deployments).where(t.deployments.c.id == row_id)
    with ledger.engine.connect() as conn:
        row = conn.execute(stmt).mappings().first()
    if row is None or row["kind"] not in (DEPLOY, ROLLBACK):
        raise NotFoundError(f"deployment record {row_id} does not exist in the ledger.")
    return deployment_from_row(row)


def document_hashes(ledger: Ledger, model_id: str, version: str) -> list[DocumentHash]:
    """The newest stored hash of each document kind and media type of a version."""
    d = t.documents.c
    stmt = (
        select(d.kind, d.media_type, d.content_hash, d.created_at)
        .where(d.model_id == model_id, d.version == version)
        .order_by(d.id)
    )
    newest: dict[tuple[str, str], DocumentHash] = {}
    with ledger.engine.connect() as conn:
        for row in conn.execute(stmt).mappings():
            key = (str(row["kind"]), str(row["media_type"]))
            newest[key] = DocumentHash(
                key[0], key[1], str(row["content_hash"]), str(row["created_at"])
            )
    return [newest[k] for k in sorted(newest)]


# Writes


def insert_bundle(tx: LedgerTransaction, record: BundleRecord, *, at: datetime) -> None:
    """Store a new approved bundle; an id used before in the project is a conflict."""
    if _bundle_row(tx.conn, record.project_key, record.bundle_id) is not None:
        raise ConflictError(
            f"bundle {record.bundle_id} already exists in project {record.project_key}; "
            "bundle ids are never reused."
        )
    now = to_utc_iso(at)
    tx.conn.execute(
        insert(t.bundles).values(
            bundle_id=record.bundle_id,
            project_key=record.project_key,
            qualification_id=record.qualification_id,
            model_id=record.model_id,
            version=record.version,
            fingerprint=record.fingerprint,
            state=record.state,
            created_by=record.created_by,
            created_at=now,
            updated_at=now,
            archive_sha256=record.archive_sha256,
            release_notes=record.release_notes,
        )
    )


def mark_bundle_published(
    tx: LedgerTransaction,
    bundle: BundleRecord,
    *,
    published_project_key: str,
    actor: str,
    at: datetime,
) -> None:
    """Record that an approved bundle is on the Project Deployer."""
    now = to_utc_iso(at)
    _update_bundle(
        tx,
        bundle,
        published_project_key=published_project_key,
        published_by=actor,
        published_at=now,
        updated_at=now,
    )


def mark_bundle_pruned(tx: LedgerTransaction, bundle: BundleRecord, *, at: datetime) -> None:
    """Record that a bundle was removed from the Project Deployer."""
    _update_bundle(tx, bundle, state=BUNDLE_PRUNED, updated_at=to_utc_iso(at))


def start_deployment(  # noqa: PLR0913 - every field is part of the attributable record
    tx: LedgerTransaction,
    *,
    deployment_id: str,
    bundle: BundleRecord,
    infrastructure: str,
    kind: str,
    actor: str,
    reason: str,
    detail: Mapping[str, Any],
    at: datetime,
) -> int:
    """Store a deployment attempt as ``started``; returns its row id."""
    result = tx.conn.execute(
        insert(t.deployments).values(
            deployment_id=deployment_id,
            project_key=bundle.project_key,
            bundle_id=bundle.bundle_id,
            infrastructure=infrastructure,
            kind=kind,
            outcome=STARTED,
            actor=actor,
            reason=reason,
            detail_json=canonical_json(detail),
            started_at=to_utc_iso(at),
        )
    )
    return int(result.inserted_primary_key[0])


def finish_deployment(
    tx: LedgerTransaction,
    row_id: int,
    *,
    outcome: str,
    detail: Mapping[str, Any],
    at: datetime,
) -> None:
    """Close a ``started`` attempt as ``succeeded`` or ``failed``."""
    d = t.deployments.c
    current = tx.conn.execute(select(d.detail_json).where(d.id == row_id)).scalar()
    merged = {**json.loads(str(current or "{}")), **detail}
    result = tx.conn.execute(
        update(t.deployments)
        .where(d.id == row_id, d.outcome == STARTED)
        .values(outcome=outcome, detail_json=canonical_json(merged), finished_at=to_utc_iso(at))
    )
    if result.rowcount != 1:
        raise ConflictError(
            f"deployment record {row_id} is no longer 'started'; another run finished it."
        )


def _update_bundle(tx: LedgerTransaction, bundle: BundleRecord, **values: Any) -> None:
    b = t.bundles.c
    result = tx.conn.execute(
        update(t.bundles)
        .where(
            b.project_key == bundle.project_key,
            b.bundle_id == bundle.bundle_id,
            b.state == bundle.state,
        )
        .values(**values)
    )
    if result.rowcount != 1:
        raise ConflictError(
            f"bundle {bundle.bundle_id} changed while this action ran; reload it and try again."
        )


def _bundle_row(conn: Connection, project_key: str, bundle_id: str) -> Mapping[str, Any] | None:
    b = t.bundles.c
    stmt = select(t.bundles).where(b.project_key == project_key, b.bundle_id == bundle_id)
    row = conn.execute(stmt).mappings().first()
    return dict(row) if row is not None else None


def _bundle_from_row(row: Any) -> BundleRecord:
    return BundleRecord(
        bundle_id=row["bundle_id"],
        project_key=row["project_key"],
        qualification_id=row["qualification_id"],
        model_id=row["model_id"],
        version=row["version"],
        fingerprint=row["fingerprint"],
        state=row["state"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        archive_sha256=row["archive_sha256"],
        release_notes=row["release_notes"] or "",
        published_project_key=row["published_project_key"],
        published_by=row["published_by"],
        published_at=row["published_at"],
    )


def deployment_from_row(row: Any) -> DeploymentRecord:
    """A ``deployments`` row as a record (shared by every reader of that table)."""
    return DeploymentRecord(
        row_id=int(row["id"]),
        deployment_id=row["deployment_id"],
        project_key=row["project_key"],
        bundle_id=row["bundle_id"],
        infrastructure=row["infrastructure"],
        kind=row["kind"],
        outcome=row["outcome"],
        actor=row["actor"],
        reason=row["reason"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        detail=json.loads(row["detail_json"]),
    )
