"""Deployment use cases: approved bundles, publication, deployment, rollback, pruning.

Everything here goes through the gate. DSS is reached only through the
:class:`Deployer` port (the DSS adapter lives in ``model_governance.dss``), so these use
cases run unchanged against a fake in unit tests.

Ledger discipline, for every action:

- gate re-checks go through :meth:`GovernanceService.require_open_gate`, which records
  ``gate.evaluated`` and, when closed, ``gate.refused``;
- every other refusal is recorded as a ``*.refused`` audit event before it is raised;
- each ledger state change commits together with its audit event;
- a DSS failure leaves no row claiming success: the failure is recorded as an audit
  event and :class:`ExternalSystemError` tells the user what DSS answered, what the
  ledger now holds and what to do.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn, Protocol, TypeVar

from model_governance.core import workflow as wf
from model_governance.core.errors import (
    ConflictError,
    ExternalSystemError,
    GateClosedError,
    ValidationError,
)
from model_governance.core.evidence import Evidence
from model_governance.core.hashing import canonical_json, sha256_hex
from model_governance.core.policy import Policy
from model_governance.ledger import Ledger
from model_governance.ledger import deployments as records
from model_governance.ledger.deployments import BundleRecord, DeploymentRecord
from model_governance.services import GovernanceService

log = logging.getLogger(__name__)

T = TypeVar("T")

GOVERN_PREVENT = "PREVENT"
"""The Project Deployer's Govern check policy that blocks ungoverned bundles."""

__all__ = [
    "GOVERN_PREVENT",
    "ComplianceArtifact",
    "Deployer",
    "DeploymentResult",
    "DeploymentService",
    "DeploymentState",
    "DocumentStore",
    "ExportedBundle",
    "PruneDecision",
    "PruneResult",
    "UpdateOutcome",
    "bundle_id_for",
    "model_slug",
]


# Ports


@dataclass(frozen=True)
class ExportedBundle:
    """What DSS exported: the bundle, its archive hash and the model versions inside."""

    bundle_id: str
    archive_sha256: str | None = None
    model_versions: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeploymentState:
    """A Project Deployer deployment as DSS reports it."""

    deployment_id: str
    infrastructure: str
    bundle_id: str
    deployed_bundle_id: str | None = None


@dataclass(frozen=True)
class UpdateOutcome:
    """The end of a successful deployment update."""

    deployed_bundle_id: str | None
    health: str = ""
    message: str = ""


class Deployer(Protocol):
    """The Design node, Project Deployer and code environments, as the plugin uses them.

    Every method raises :class:`ExternalSystemError` when DSS refuses or fails; the
    message carries DSS's answer.
    """

    def active_version(self, model_id: str) -> str:
        """The saved model's active version (the one a bundle exports)."""
        ...

    def activate_version(self, model_id: str, version: str) -> None:
        """Make ``version`` the saved model's active version."""
        ...

    def export_bundle(
        self, project_key: str, bundle_id: str, *, release_notes: str
    ) -> ExportedBundle:
        """Create a bundle of the project on the Design node."""
        ...

    def delete_exported_bundle(self, project_key: str, bundle_id: str) -> None:
        """Remove a bundle from the Design node."""
        ...

    def publish_bundle(self, project_key: str, bundle_id: str) -> str:
        """Publish a bundle to the Project Deployer; returns the published project."""
        ...

    def published_bundles(self, published_project_key: str) -> tuple[str, ...]:
        """Ids of the bundles the Project Deployer holds for a published project."""
        ...

    def delete_published_bundle(self, published_project_key: str, bundle_id: str) -> None:
        """Remove a bundle from the Project Deployer."""
        ...

    def govern_check_policy(self, infrastructure: str) -> str:
        """The infrastructure's Govern check policy: PREVENT, WARN or NO_CHECK."""
        ...

    def deployments(self, published_project_key: str) -> tuple[DeploymentState, ...]:
        """Every deployment of a published project."""
        ...

    def create_deployment(
        self, deployment_id: str, published_project_key: str, infrastructure: str, bundle_id: str
    ) -> None:
        """Create a deployment (not yet updated) of a bundle on an infrastructure."""
        ...

    def update_deployment(self, deployment_id: str, bundle_id: str) -> UpdateOutcome:
        """Point the deployment at ``bundle_id``, run the update, wait for its end."""
        ...

    def has_code_env(self, name: str) -> bool:
        """Whether the code environment exists on DSS."""
        ...

    def scoring_columns(self, project_key: str, dataset: str) -> tuple[str, ...]:
        """Column names of the dataset the deployed model will score."""
        ...


class DocumentStore(Protocol):
    """Where documents and compliance artifacts are written (a DSS managed folder)."""

    def write(self, path: str, content: bytes) -> str:
        """Store ``content`` at ``path``; returns where it went, for messages."""
        ...


# Results


@dataclass(frozen=True)
class ComplianceArtifact:
    """The audit record of one deployment: canonical JSON and its SHA-256."""

    path: str
    content: bytes = field(repr=False)
    sha256: str
    document: Mapping[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class DeploymentResult:
    """A finished deployment or rollback."""

    record: DeploymentRecord
    bundle: BundleRecord
    previous_bundle_id: str | None
    govern_check_policy: str
    warnings: tuple[str, ...] = ()
    compliance: ComplianceArtifact | None = None
    compliance_location: str | None = None


@dataclass(frozen=True)
class PruneDecision:
    """What pruning did with one bundle on the Project Deployer, and why."""

    bundle_id: str
    action: str
    reason: str


@dataclass(frozen=True)
class PruneResult:
    """Every bundle pruning looked at."""

    published_project_key: str
    decisions: tuple[PruneDecision, ...]

    @property
    def removed(self) -> tuple[str, ...]:
        """Ids of the bundles removed from the Project Deployer."""
        return tuple(d.bundle_id for d in self.decisions if d.action == "removed")


def model_slug(name: str) -> str:
    """Lower-case words of a model name, joined by hyphens, for bundle ids.

    >>> model_slug("dental_fraud_classifier")
    'dental-fraud-classifier'
    """
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise ValidationError(
            f"model name: {name!r} has no letter or digit to build a bundle id from; rename "
            "the saved model in DSS."
        )
    return slug


def bundle_id_for(evidence: Evidence, day: datetime) -> str:
    """``<model-slug>-v<semver>-approved-<YYYY-MM-DD>`` (the day in UTC).

    >>> from datetime import timezone
    >>> from model_governance.core.evidence import Evidence
    >>> e = Evidence("m", "v1", "1.0", "P", "Fraud detection", "env", {}, (), "d", ())
    >>> bundle_id_for(e, datetime(2025, 10, 27, 12, tzinfo=timezone.utc))
    'fraud-detection-v1.0-approved-2025-10-27'
    """
    return f"{model_slug(evidence.model_name)}-v{evidence.semver}-approved-{day.date().isoformat()}"


# The service


class DeploymentService:
    """Create, publish, deploy, roll back and prune bundles, only through the gate."""

    def __init__(self, governance: GovernanceService, deployer: Deployer):
        self.governance = governance
        self.deployer = deployer

    @property
    def ledger(self) -> Ledger:
        """The governance ledger."""
        return self.governance.ledger

    @property
    def policy(self) -> Policy:
        """The policy in force."""
        return self.governance.policy

    # Bundles

    def create_bundle(
        self, current: Evidence, *, actor: str, activate_version: bool = True
    ) -> BundleRecord:
        """Export the approved bundle of the version ``current`` describes.

        Refused unless the version's qualification is APPROVED and ``current``
        (collected from DSS now) has the fingerprint that was approved.
        """
        model_id, version = current.model_id, current.version
        action = f"create the approved bundle of {model_id} {version}"
        q = self.governance.require_open_gate(
            model_id, version, actor=actor, action=action, current=current
        )
        now = self.governance.clock()
        bundle_id = bundle_id_for(current, now)
        entity = _bundle_entity(current.project_key, bundle_id)
        if records.find_bundle(self.ledger, current.project_key, bundle_id) is not None:
            self._refuse(
                actor,
                "bundle.create_refused",
                entity,
                action,
                [f"bundle {bundle_id} already exists; it is the approved bundle of this version"],
                error=ConflictError,
            )
        self._ensure_active(current, actor=actor, action=action, activate=activate_version)
        notes = release_notes(q, current, self.policy, day=now)
        exported = self._dss(
            lambda: self.deployer.export_bundle(
                current.project_key, bundle_id, release_notes=notes
            ),
            actor=actor,
            failure="bundle.create_failed",
            entity=entity,
            what=f"export of bundle {bundle_id}",
            ledger_state="no bundle was recorded",
        )
        self._check_export(exported, current, actor=actor, entity=entity)
        record = BundleRecord(
            bundle_id=bundle_id,
            project_key=current.project_key,
            qualification_id=q.qualification_id,
            model_id=model_id,
            version=version,
            fingerprint=q.fingerprint,
            state=records.BUNDLE_APPROVED,
            created_by=actor,
            created_at="",
            archive_sha256=exported.archive_sha256,
            release_notes=notes,
        )
        with self.ledger.transaction() as tx:
            records.insert_bundle(tx, record, at=now)
            self._append(
                tx,
                actor,
                "bundle.created",
                entity,
                {
                    "qualification_id": q.qualification_id,
                    "model_id": model_id,
                    "version": version,
                    "fingerprint": q.fingerprint,
                    "archive_sha256": exported.archive_sha256,
                    "approvers": _approvers(q),
                },
                now,
            )
        log.info("bundle %s created for %s %s", bundle_id, model_id, version)
        return records.get_bundle(self.ledger, current.project_key, bundle_id)

    def publish_bundle(self, project_key: str, bundle_id: str, *, actor: str) -> BundleRecord:
        """Publish an approved bundle to the Project Deployer, after a gate re-check."""
        action = f"publish bundle {bundle_id}"
        entity = _bundle_entity(project_key, bundle_id)
        bundle = self._approved_bundle(
            project_key, bundle_id, actor, action, "bundle.publish_refused"
        )
        if bundle.is_published:
            self._refuse(
                actor,
                "bundle.publish_refused",
                entity,
                action,
                [f"it was already published to {bundle.published_project_key} by "
                 f"{bundle.published_by} at {bundle.published_at}"],
                error=ConflictError,
            )  # fmt: skip
        self._gate(bundle, actor, action)
        published_key = self._dss(
            lambda: self.deployer.publish_bundle(project_key, bundle_id),
            actor=actor,
            failure="bundle.publish_failed",
            entity=entity,
            what=f"publication of bundle {bundle_id}",
            ledger_state="the bundle is still recorded as not published",
        )
        now = self.governance.clock()
        with self.ledger.transaction() as tx:
            records.mark_bundle_published(
                tx, bundle, published_project_key=published_key, actor=actor, at=now
            )
            self._append(
                tx,
                actor,
                "bundle.published",
                entity,
                {"published_project_key": published_key, **_bundle_payload(bundle)},
                now,
            )
        return records.get_bundle(self.ledger, project_key, bundle_id)

    # Deployment

    def deploy(  # noqa: PLR0913 - the optional inputs are keyword-only
        self,
        project_key: str,
        bundle_id: str,
        infrastructure: str,
        *,
        actor: str,
        scoring_dataset: str,
        store: DocumentStore | None = None,
        reason: str = "",
    ) -> DeploymentResult:
        """Deploy an approved, published bundle to an infrastructure and wait."""
        action = f"deploy bundle {bundle_id} to {infrastructure}"
        entity = _deployment_entity(project_key, infrastructure)
        bundle = self._approved_bundle(project_key, bundle_id, actor, action, "deployment.refused")
        if not bundle.is_published:
            self._refuse(
                actor,
                "deployment.refused",
                entity,
                action,
                [f"bundle {bundle_id} is not published to the Project Deployer; publish it first"],
            )
        q = self._gate(bundle, actor, action)
        evidence = self.ledger.get_version(bundle.model_id, bundle.version).evidence
        problems = self._readiness(evidence, scoring_dataset, actor=actor, entity=entity)
        if problems:
            self._refuse(actor, "deployment.refused", entity, action, problems)
        govern_policy, warnings = self._govern_policy(infrastructure, actor=actor, entity=entity)
        assert bundle.published_project_key is not None  # noqa: S101 - checked just above
        state = self._deployment_for(
            bundle.published_project_key, infrastructure, bundle, actor=actor, entity=entity
        )
        return self._update(
            records.DEPLOY,
            bundle,
            state,
            q,
            actor=actor,
            reason=reason or f"deploy {bundle.model_id} {bundle.version}",
            detail={"govern_check_policy": govern_policy, "warnings": list(warnings)},
            store=store,
            warnings=warnings,
            govern_policy=govern_policy,
        )

    def rollback(
        self,
        project_key: str,
        infrastructure: str,
        *,
        actor: str,
        reason: str,
        target_bundle: str | None = None,
        store: DocumentStore | None = None,
    ) -> DeploymentResult:
        """Redeploy the previous approved bundle through the deployer's update."""
        if not reason.strip():
            raise ValidationError(
                "Reason: is empty; say why the deployment is rolled back (it is recorded)."
            )
        action = f"roll back project {project_key} on {infrastructure}"
        entity = _deployment_entity(project_key, infrastructure)
        state = self._current_deployment(project_key, infrastructure, actor=actor, entity=entity)
        if state is None:
            self._refuse(
                actor,
                "rollback.refused",
                entity,
                action,
                [f"project {project_key} has no deployment on {infrastructure}"],
            )
        target_id = target_bundle or self._rollback_target_id(project_key, state, actor, action)
        bundle = self._approved_bundle(project_key, target_id, actor, action, "rollback.refused")
        if not bundle.is_published or target_id == state.deployed_bundle_id:
            why = (
                f"bundle {target_id} is already deployed"
                if bundle.is_published
                else f"bundle {target_id} is not on the Project Deployer"
            )
            self._refuse(actor, "rollback.refused", entity, action, [why])
        q = self._gate(bundle, actor, action)
        govern_policy, warnings = self._govern_policy(infrastructure, actor=actor, entity=entity)
        return self._update(
            records.ROLLBACK,
            bundle,
            state,
            q,
            actor=actor,
            reason=reason.strip(),
            detail={
                "govern_check_policy": govern_policy,
                "rolled_back_from": state.deployed_bundle_id,
            },
            store=store,
            warnings=warnings,
            govern_policy=govern_policy,
        )  # fmt: skip

    def rollback_target(
        self, project_key: str, deployed_bundle_id: str | None
    ) -> BundleRecord | None:
        """The newest approved, published bundle created before the deployed one."""
        bundles = [b for b in records.approved_bundles(self.ledger, project_key) if b.is_published]
        ids = [b.bundle_id for b in bundles]
        if deployed_bundle_id not in ids:
            return None
        earlier = bundles[: ids.index(deployed_bundle_id)]
        return earlier[-1] if earlier else None

    def prune(self, project_key: str, *, actor: str) -> PruneResult:
        """Keep the last N approved bundles on the deployer (policy), and any in use."""
        published_key = self._published_key(project_key)
        entity = ("project", project_key)
        on_deployer, states = self._dss(
            lambda: (
                self.deployer.published_bundles(published_key),
                self.deployer.deployments(published_key),
            ),
            actor=actor,
            failure="prune.failed",
            entity=entity,
            what=f"listing of the bundles of {published_key} on the Project Deployer",
            ledger_state="nothing was pruned",
        )
        decisions = self._prune_plan(project_key, on_deployer, states)
        done: list[PruneDecision] = []
        for decision in decisions:
            if decision.action == "remove":
                decision = self._remove(project_key, published_key, decision, done, actor)
            done.append(decision)
        now = self.governance.clock()
        with self.ledger.transaction() as tx:
            self._append(
                tx,
                actor,
                "prune.completed",
                entity,
                {
                    "published_project_key": published_key,
                    "kept_per_policy": self.policy.bundles_kept,
                    "decisions": [
                        {"bundle_id": d.bundle_id, "action": d.action, "reason": d.reason}
                        for d in done
                    ],
                },
                now,
            )
        return PruneResult(published_key, tuple(done))

    # Compliance

    def compliance_artifact(self, row_id: int) -> ComplianceArtifact:
        """The compliance record of a finished deployment: approvals, checks, hashes."""
        record = records.get_deployment(self.ledger, row_id)
        bundle = records.get_bundle(self.ledger, record.project_key, record.bundle_id)
        q = self.ledger.get_qualification(bundle.qualification_id)
        version = self.ledger.get_version(bundle.model_id, bundle.version)
        document = _compliance_document(
            record,
            bundle,
            q,
            version.evidence,
            self.policy,
            records.document_hashes(self.ledger, bundle.model_id, bundle.version),
        )
        content = canonical_json(document).encode("utf-8")
        path = (
            f"compliance/{record.project_key}/{record.infrastructure}/"
            f"{record.row_id:06d}-{record.kind}-{record.bundle_id}.json"
        )
        return ComplianceArtifact(path, content, sha256_hex(content), document)

    # Internals: gate and refusals

    def _approved_bundle(
        self, project_key: str, bundle_id: str, actor: str, action: str, refusal: str
    ) -> BundleRecord:
        bundle = records.find_bundle(self.ledger, project_key, bundle_id)
        entity = _bundle_entity(project_key, bundle_id)
        if bundle is None:
            self._refuse(
                actor,
                refusal,
                entity,
                action,
                [f"the ledger holds no approved bundle {bundle_id} in project {project_key}; "
                 "only bundles made by the 'Create approved bundle' macro may be used"],
            )  # fmt: skip
        if not bundle.is_approved:
            self._refuse(
                actor,
                refusal,
                entity,
                action,
                [f"bundle {bundle_id} is {bundle.state}, not approved"],
            )
        return bundle

    def _gate(self, bundle: BundleRecord, actor: str, action: str) -> wf.Qualification:
        q = self.governance.require_open_gate(
            bundle.model_id, bundle.version, actor=actor, action=action
        )
        if q.fingerprint != bundle.fingerprint:
            self._refuse(
                actor,
                "gate.refused",
                ("version", f"{bundle.model_id}/{bundle.version}"),
                action,
                [f"bundle {bundle.bundle_id} was built from evidence {bundle.fingerprint[:12]}…, "
                 f"but the approval covers {q.fingerprint[:12]}…; create a new approved bundle"],
            )  # fmt: skip
        return q

    def _refuse(
        self,
        actor: str,
        action_name: str,
        entity: tuple[str, str],
        action: str,
        reasons: Sequence[str],
        *,
        error: type[Exception] = GateClosedError,
    ) -> NoReturn:
        now = self.governance.clock()
        with self.ledger.transaction() as tx:
            self._append(
                tx, actor, action_name, entity, {"action": action, "reasons": list(reasons)}, now
            )
        log.info("%s refused: %s", action, "; ".join(reasons))
        if error is GateClosedError:
            raise GateClosedError(action, reasons)
        raise error(f"{action} refused: " + "; ".join(reasons))

    def _ensure_active(self, current: Evidence, *, actor: str, action: str, activate: bool) -> None:
        entity = ("version", f"{current.model_id}/{current.version}")
        active = self._dss(
            lambda: self.deployer.active_version(current.model_id),
            actor=actor,
            failure="bundle.create_failed",
            entity=entity,
            what=f"reading the active version of {current.model_id}",
            ledger_state="no bundle was recorded",
        )
        if active == current.version:
            return
        if not activate:
            self._refuse(
                actor,
                "bundle.create_refused",
                entity,
                action,
                [f"the active version of {current.model_id} is {active}, so the bundle would "
                 f"ship {active}; make {current.version} active, or allow the macro to do it"],
            )  # fmt: skip
        self._dss(
            lambda: self.deployer.activate_version(current.model_id, current.version),
            actor=actor,
            failure="bundle.create_failed",
            entity=entity,
            what=f"activation of {current.model_id} {current.version}",
            ledger_state="no bundle was recorded",
        )
        self._record(actor, "version.activated", entity, {"previous_active": active})

    def _check_export(
        self, exported: ExportedBundle, current: Evidence, *, actor: str, entity: tuple[str, str]
    ) -> None:
        shipped = exported.model_versions.get(current.model_id)
        if shipped is None or shipped == current.version:
            return
        problem = (
            f"DSS exported {current.model_id} {shipped} in bundle {exported.bundle_id} instead of "
            f"the approved {current.version} (the active version changed meanwhile)"
        )
        cleanup = "the exported bundle was deleted"
        try:
            self.deployer.delete_exported_bundle(current.project_key, exported.bundle_id)
        except ExternalSystemError as exc:
            cleanup = f"deleting it failed too ({exc}); delete it by hand in DSS"
        self._record(actor, "bundle.create_failed", entity, {"reason": problem, "cleanup": cleanup})
        raise ExternalSystemError(
            f"{problem}; {cleanup}. No bundle was recorded; run the macro again.",
            operation="export bundle",
        )

    # Internals: deployment

    def _readiness(
        self, evidence: Evidence, scoring_dataset: str, *, actor: str, entity: tuple[str, str]
    ) -> list[str]:
        columns, has_env = self._dss(
            lambda: (
                self.deployer.scoring_columns(evidence.project_key, scoring_dataset),
                self.deployer.has_code_env(evidence.code_env),
            ),
            actor=actor,
            failure="deployment.failed",
            entity=entity,
            what="reading the scoring schema and code environments",
            ledger_state="nothing was deployed or recorded as deployed",
        )
        problems = []
        missing = [f.name for f in evidence.input_features if f.name not in set(columns)]
        if missing:
            problems.append(
                f"scoring dataset {scoring_dataset} lacks the model's input features "
                f"{', '.join(missing)}; its schema does not match the model"
            )
        if not has_env:
            problems.append(
                f"code environment {evidence.code_env} is not present on DSS; create it "
                "(Administration > Code envs) before deploying"
            )
        return problems

    def _govern_policy(
        self, infrastructure: str, *, actor: str, entity: tuple[str, str]
    ) -> tuple[str, tuple[str, ...]]:
        govern_policy = self._dss(
            lambda: self.deployer.govern_check_policy(infrastructure),
            actor=actor,
            failure="deployment.failed",
            entity=entity,
            what=f"reading the settings of infrastructure {infrastructure}",
            ledger_state="nothing was deployed or recorded as deployed",
        )
        if govern_policy == GOVERN_PREVENT:
            return govern_policy, ()
        warning = (
            f"infrastructure {infrastructure} has Govern check policy {govern_policy}, not "
            f"{GOVERN_PREVENT}: DSS itself would let ungoverned bundles through; only this "
            "plugin's gate protects it"
        )
        self._record(
            actor,
            "deployment.govern_policy_warning",
            entity,
            {"infrastructure": infrastructure, "govern_check_policy": govern_policy},
        )
        return govern_policy, (warning,)

    def _deployment_for(
        self,
        published_key: str,
        infrastructure: str,
        bundle: BundleRecord,
        *,
        actor: str,
        entity: tuple[str, str],
    ) -> DeploymentState:
        states = self._dss(
            lambda: self.deployer.deployments(published_key),
            actor=actor,
            failure="deployment.failed",
            entity=entity,
            what=f"listing the deployments of {published_key}",
            ledger_state="nothing was deployed or recorded as deployed",
        )
        for state in states:
            if state.infrastructure == infrastructure:
                return state
        deployment_id = f"{published_key}-on-{infrastructure}"
        self._dss(
            lambda: self.deployer.create_deployment(
                deployment_id, published_key, infrastructure, bundle.bundle_id
            ),
            actor=actor,
            failure="deployment.failed",
            entity=entity,
            what=f"creation of deployment {deployment_id}",
            ledger_state="nothing was deployed or recorded as deployed",
        )
        self._record(
            actor,
            "deployment.created",
            entity,
            {"deployment_id": deployment_id, "bundle_id": bundle.bundle_id},
        )
        return DeploymentState(deployment_id, infrastructure, bundle.bundle_id, None)

    def _update(  # noqa: PLR0913 - one attributable update, every input recorded
        self,
        kind: str,
        bundle: BundleRecord,
        state: DeploymentState,
        q: wf.Qualification,
        *,
        actor: str,
        reason: str,
        detail: Mapping[str, Any],
        store: DocumentStore | None,
        warnings: tuple[str, ...],
        govern_policy: str,
    ) -> DeploymentResult:
        entity = _deployment_entity(bundle.project_key, state.infrastructure)
        previous = state.deployed_bundle_id
        started = {
            **detail,
            "previous_bundle_id": previous,
            "model_id": bundle.model_id,
            "version": bundle.version,
            "qualification_id": q.qualification_id,
        }
        now = self.governance.clock()
        with self.ledger.transaction() as tx:
            row_id = records.start_deployment(
                tx,
                deployment_id=state.deployment_id,
                bundle=bundle,
                infrastructure=state.infrastructure,
                kind=kind,
                actor=actor,
                reason=reason,
                detail=started,
                at=now,
            )
            payload = {"row_id": row_id, "reason": reason, **started}
            self._append(tx, actor, f"{kind}.started", entity, payload, now)
        try:
            outcome = self.deployer.update_deployment(state.deployment_id, bundle.bundle_id)
        except ExternalSystemError as exc:
            self._finish_failed(kind, row_id, state, bundle, exc, actor=actor, entity=entity)
        self._finish_succeeded(kind, row_id, state, bundle, outcome, actor=actor, entity=entity)
        record = records.get_deployment(self.ledger, row_id)
        artifact, location = self._write_compliance(row_id, store, actor=actor)
        return DeploymentResult(
            record, bundle, previous, govern_policy, warnings, artifact, location
        )

    def _finish_failed(  # noqa: PLR0913 - the failure is recorded with all of these
        self,
        kind: str,
        row_id: int,
        state: DeploymentState,
        bundle: BundleRecord,
        exc: ExternalSystemError,
        *,
        actor: str,
        entity: tuple[str, str],
    ) -> NoReturn:
        now = self.governance.clock()
        with self.ledger.transaction() as tx:
            records.finish_deployment(
                tx, row_id, outcome=records.FAILED, detail={"error": str(exc)}, at=now
            )
            self._append(
                tx,
                actor,
                f"{kind}.failed",
                entity,
                {"row_id": row_id, "bundle_id": bundle.bundle_id, "error": str(exc)},
                now,
            )
        previous = state.deployed_bundle_id or "no bundle"
        raise ExternalSystemError(
            f"{'Rollback' if kind == records.ROLLBACK else 'Deployment'} of bundle "
            f"{bundle.bundle_id} on {state.infrastructure} failed in DSS: {exc} The ledger "
            f"records this attempt (record {row_id}) as failed and nothing as live; before "
            f"the attempt the deployment {state.deployment_id} ran {previous}. Check the "
            "deployment's last update in the Project Deployer, fix the cause and run the "
            "macro again.",
            operation=kind,
        ) from exc

    def _finish_succeeded(  # noqa: PLR0913 - the success is recorded with all of these
        self,
        kind: str,
        row_id: int,
        state: DeploymentState,
        bundle: BundleRecord,
        outcome: UpdateOutcome,
        *,
        actor: str,
        entity: tuple[str, str],
    ) -> None:
        now = self.governance.clock()
        live = {
            "row_id": row_id,
            "deployment_id": state.deployment_id,
            "infrastructure": state.infrastructure,
            "bundle_id": bundle.bundle_id,
            "model_id": bundle.model_id,
            "version": bundle.version,
            "qualification_id": bundle.qualification_id,
        }
        with self.ledger.transaction() as tx:
            records.finish_deployment(
                tx,
                row_id,
                outcome=records.SUCCEEDED,
                detail={"health": outcome.health, "message": outcome.message},
                at=now,
            )
            self._append(
                tx, actor, f"{kind}.succeeded", entity, {**live, "health": outcome.health}, now
            )
            self._append(tx, actor, "model.live_in_production", entity, {**live, "kind": kind}, now)
        log.info("%s of %s on %s succeeded", kind, bundle.bundle_id, state.infrastructure)

    def _write_compliance(
        self, row_id: int, store: DocumentStore | None, *, actor: str
    ) -> tuple[ComplianceArtifact, str | None]:
        artifact = self.compliance_artifact(row_id)
        entity = ("compliance", str(row_id))
        if store is None:
            return artifact, None
        try:
            location = store.write(artifact.path, artifact.content)
        except ExternalSystemError as exc:
            self._record(
                actor,
                "compliance.artifact_failed",
                entity,
                {"path": artifact.path, "error": str(exc)},
            )
            raise ExternalSystemError(
                f"The deployment succeeded and is recorded as live (record {row_id}), but its "
                f"compliance artifact could not be written: {exc} Its SHA-256 would be "
                f"{artifact.sha256}; fix the folder and write it again from the ledger.",
                operation="write compliance artifact",
            ) from exc  # fmt: skip
        self._record(
            actor,
            "compliance.artifact_written",
            entity,
            {"path": artifact.path, "location": location, "sha256": artifact.sha256},
        )
        return artifact, location

    # Internals: rollback and pruning

    def _published_key(self, project_key: str) -> str:
        keys = sorted(
            {
                b.published_project_key
                for b in records.approved_bundles(self.ledger, project_key)
                if b.published_project_key
            }
        )
        return keys[-1] if len(keys) == 1 else project_key

    def _current_deployment(
        self, project_key: str, infrastructure: str, *, actor: str, entity: tuple[str, str]
    ) -> DeploymentState | None:
        published_key = self._published_key(project_key)
        states = self._dss(
            lambda: self.deployer.deployments(published_key),
            actor=actor,
            failure="rollback.failed",
            entity=entity,
            what=f"listing the deployments of {published_key}",
            ledger_state="nothing was rolled back or recorded",
        )
        return next((s for s in states if s.infrastructure == infrastructure), None)

    def _rollback_target_id(
        self, project_key: str, state: DeploymentState, actor: str, action: str
    ) -> str:
        target = self.rollback_target(project_key, state.deployed_bundle_id)
        if target is None:
            deployed = state.deployed_bundle_id or "nothing"
            self._refuse(
                actor,
                "rollback.refused",
                _deployment_entity(project_key, state.infrastructure),
                action,
                [f"no approved bundle precedes the deployed {deployed} in the ledger; "
                 "name the bundle to roll back to, or deploy one"],
            )  # fmt: skip
        return target.bundle_id

    def _prune_plan(
        self, project_key: str, on_deployer: Sequence[str], states: Sequence[DeploymentState]
    ) -> list[PruneDecision]:
        governed = {b.bundle_id: b for b in records.approved_bundles(self.ledger, project_key)}
        newest = [b for b in governed if b in set(on_deployer)][-self.policy.bundles_kept :]
        in_use: dict[str, str] = {}
        for s in states:
            for bundle_id in (s.deployed_bundle_id, s.bundle_id):
                if bundle_id:
                    in_use.setdefault(bundle_id, f"used by deployment {s.deployment_id}")
            target = self.rollback_target(project_key, s.deployed_bundle_id)
            if target is not None:
                in_use.setdefault(target.bundle_id, f"rollback target of {s.deployment_id}")
        decisions = []
        for bundle_id in on_deployer:
            if bundle_id not in governed:
                reason = "not created through the gate (or already pruned); left in place"
                decisions.append(PruneDecision(bundle_id, "ignored", reason))
            elif bundle_id in in_use:
                decisions.append(PruneDecision(bundle_id, "kept", in_use[bundle_id]))
            elif bundle_id in newest:
                reason = f"among the last {self.policy.bundles_kept} approved bundles"
                decisions.append(PruneDecision(bundle_id, "kept", reason))
            else:
                decisions.append(PruneDecision(bundle_id, "remove", "older than the kept bundles"))
        return decisions

    def _remove(
        self,
        project_key: str,
        published_key: str,
        decision: PruneDecision,
        done: Sequence[PruneDecision],
        actor: str,
    ) -> PruneDecision:
        bundle = records.get_bundle(self.ledger, project_key, decision.bundle_id)
        entity = _bundle_entity(project_key, decision.bundle_id)
        removed = [d.bundle_id for d in done if d.action == "removed"]
        self._dss(
            lambda: self.deployer.delete_published_bundle(published_key, decision.bundle_id),
            actor=actor,
            failure="bundle.prune_failed",
            entity=entity,
            what=f"removal of bundle {decision.bundle_id} from the Project Deployer",
            ledger_state=(
                f"bundles removed before it: {', '.join(removed) or 'none'}; "
                f"{decision.bundle_id} is still recorded as approved"
            ),
        )
        now = self.governance.clock()
        with self.ledger.transaction() as tx:
            records.mark_bundle_pruned(tx, bundle, at=now)
            self._append(
                tx,
                actor,
                "bundle.pruned",
                entity,
                {"published_project_key": published_key, "reason": decision.reason},
                now,
            )
        return PruneDecision(decision.bundle_id, "removed", decision.reason)

    # Internals: ledger and DSS calls

    def _dss(
        self,
        call: Callable[[], T],
        *,
        actor: str,
        failure: str,
        entity: tuple[str, str],
        what: str,
        ledger_state: str,
    ) -> T:
        try:
            return call()
        except ExternalSystemError as exc:
            self._record(actor, failure, entity, {"step": what, "error": str(exc)})
            raise ExternalSystemError(
                f"DSS refused or failed the {what}: {exc} The ledger is consistent: "
                f"{ledger_state}. Fix the cause in DSS and run the macro again.",
                operation=what,
            ) from exc

    def _record(
        self, actor: str, action: str, entity: tuple[str, str], payload: Mapping[str, Any]
    ) -> None:
        now = self.governance.clock()
        with self.ledger.transaction() as tx:
            self._append(tx, actor, action, entity, payload, now)

    def _append(
        self,
        tx: Any,
        actor: str,
        action: str,
        entity: tuple[str, str],
        payload: Mapping[str, Any],
        at: datetime,
    ) -> None:
        tx.append_event(
            actor=actor,
            action=action,
            entity=entity,
            payload={**payload, "policy_hash": self.policy.content_hash},
            at=at,
        )


def release_notes(q: wf.Qualification, evidence: Evidence, policy: Policy, *, day: datetime) -> str:
    """Release notes naming the qualification, the approvers and the evidence."""
    approvals = "; ".join(
        f"{wf.role_label(s.role)}: {s.actor} ({s.signed_at.date().isoformat()})"
        for s in q.signoffs
        if s.decision is wf.Decision.APPROVE
    )
    return (
        f"Approved bundle of {evidence.model_name} ({evidence.model_id}) version "
        f"{evidence.version} ({evidence.semantic_tag.replace('-prod-candidate', '')}), "
        f"created {day.date().isoformat()}. Qualification {q.qualification_id} approved under "
        f"policy {policy.version} (hash {policy.content_hash[:12]}). Approvers: {approvals}. "
        f"Evidence fingerprint {q.fingerprint}."
    )


def _approvers(q: wf.Qualification) -> list[dict[str, str]]:
    return [
        {"role": s.role, "actor": s.actor} for s in q.signoffs if s.decision is wf.Decision.APPROVE
    ]


def _bundle_entity(project_key: str, bundle_id: str) -> tuple[str, str]:
    return ("bundle", f"{project_key}/{bundle_id}")


def _deployment_entity(project_key: str, infrastructure: str) -> tuple[str, str]:
    return ("deployment", f"{project_key}/{infrastructure}")


def _bundle_payload(bundle: BundleRecord) -> dict[str, Any]:
    return {
        "model_id": bundle.model_id,
        "version": bundle.version,
        "qualification_id": bundle.qualification_id,
        "fingerprint": bundle.fingerprint,
    }


def _compliance_document(
    record: DeploymentRecord,
    bundle: BundleRecord,
    q: wf.Qualification,
    evidence: Evidence,
    policy: Policy,
    documents: Sequence[records.DocumentHash],
) -> dict[str, Any]:
    return {
        "record": "model-governance compliance artifact",
        "deployment": {
            "row_id": record.row_id,
            "deployment_id": record.deployment_id,
            "infrastructure": record.infrastructure,
            "kind": record.kind,
            "outcome": record.outcome,
            "actor": record.actor,
            "reason": record.reason,
            "started_at": record.started_at,
            "finished_at": record.finished_at,
            "govern_check_policy": record.detail.get("govern_check_policy"),
            "previous_bundle_id": record.detail.get("previous_bundle_id"),
        },
        "model": {
            "model_id": evidence.model_id,
            "name": evidence.model_name,
            "project_key": evidence.project_key,
            "version": evidence.version,
            "semantic_version": evidence.semver,
            "code_env": evidence.code_env,
            "fingerprint": q.fingerprint,
        },
        "qualification": {
            "qualification_id": q.qualification_id,
            "state": q.state.value,
            "submitter": q.submitter,
            "is_fast_track": q.is_fast_track,
            "policy_hash": q.policy_hash,
        },
        "approvals": [
            {
                "role": s.role,
                "role_label": wf.role_label(s.role),
                "actor": s.actor,
                "decision": s.decision.value,
                "comment": s.comment,
                "signed_at": s.signed_at,
            }
            for s in q.signoffs
        ],
        "waivers": [
            {"check_id": w.check_id, "actor": w.actor, "role": w.role, "reason": w.reason,
             "waived_at": w.waived_at}
            for w in q.waivers
        ],
        "checks": [
            {"check_id": c.check_id, "title": c.title, "status": c.status.value,
             "is_blocking": c.is_blocking, "explanation": c.explanation}
            for c in q.checks
        ],
        "bundle": {
            "bundle_id": bundle.bundle_id,
            "archive_sha256": bundle.archive_sha256,
            "created_by": bundle.created_by,
            "created_at": bundle.created_at,
            "published_project_key": bundle.published_project_key,
            "published_by": bundle.published_by,
            "published_at": bundle.published_at,
            "release_notes": bundle.release_notes,
        },
        "documents": [
            {"kind": d.kind, "media_type": d.media_type, "sha256": d.content_hash,
             "created_at": d.created_at}
            for d in documents
        ],
        "policy": {"version": policy.version, "hash": policy.content_hash},
    }  # fmt: skip
