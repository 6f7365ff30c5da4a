"""Use cases: the governance actions every entry point (CLI, DSS, webapp) goes through.

A service combines the pure core with a ledger and a clock. Each action writes its state
change and its audit event in one ledger transaction, so a failure leaves no trace of
either. Refusals that matter to auditors (a closed gate, a forbidden sign-off) are
recorded as audit events too, in their own transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from model_governance.core import workflow as wf
from model_governance.core.audit import ChainVerification
from model_governance.core.checks import CheckResult, History, RollbackDrill, run_gate_checks
from model_governance.core.constants import ML_ENGINEER
from model_governance.core.errors import (
    AuthorizationError,
    ConflictError,
    GateClosedError,
)
from model_governance.core.evidence import Evidence
from model_governance.core.policy import Policy
from model_governance.ledger import DocumentRecord, Ledger, LedgerTransaction, VersionRecord

if TYPE_CHECKING:
    from model_governance.core.metrics.ranking import RocCurve
    from model_governance.documents import RenderedDocument

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The system clock in UTC (services take a clock so tests can fix time)."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Submission:
    """What submitting a version produced."""

    qualification: wf.Qualification
    checks: tuple[CheckResult, ...]


class GovernanceService:
    """Register, submit, sign, waive, withdraw, revoke and open the gate."""

    def __init__(self, ledger: Ledger, policy: Policy, *, clock: Clock = utc_now):
        self.ledger = ledger
        self.policy = policy
        self.clock = clock

    # Registration and submission

    def register(self, evidence: Evidence, *, actor: str) -> VersionRecord:
        """Record a model version and its evidence; a duplicate is refused."""
        now = self.clock()
        with self.ledger.transaction() as tx:
            tx.ensure_model(evidence, now)
            tx.insert_version(evidence, actor, now)
            tx.append_event(
                actor=actor,
                action="version.registered",
                entity=_version_entity(evidence),
                payload={"fingerprint": evidence.fingerprint, "tag": evidence.semantic_tag},
                at=now,
            )
        log.info("registered %s %s", evidence.model_id, evidence.version)
        return self.ledger.get_version(evidence.model_id, evidence.version)

    def submit(self, model_id: str, version: str, *, actor: str) -> Submission:
        """Run the gate's checks and open a qualification for a registered version."""
        record = self.ledger.get_version(model_id, version)
        self._refuse_open_duplicate(model_id, version)
        now = self.clock()
        checks = run_gate_checks(record.evidence, self.policy, self.history_for(record.evidence))
        with self.ledger.transaction() as tx:
            qid = tx.next_qualification_id()
            q = wf.Qualification(
                qid,
                model_id,
                version,
                actor,
                record.fingerprint,
                self.policy.content_hash,
                checks=checks,
            )
            tx.insert_qualification(
                q,
                project_key=record.evidence.project_key,
                policy_version=self.policy.version,
                at=now,
            )
            tx.insert_checks(qid, checks, policy_hash=self.policy.content_hash, at=now)
            self._append(
                tx,
                actor,
                "qualification.submitted",
                q,
                now,
                {
                    "fingerprint": q.fingerprint,
                    "policy_version": self.policy.version,
                    "policy_hash": q.policy_hash,
                    "semantic_tag": record.evidence.semantic_tag,
                },
            )
            self._append(tx, actor, "checks.recorded", q, now, _checks_payload(checks))
        log.info("submitted %s %s as %s", model_id, version, qid)
        return Submission(self.ledger.get_qualification(qid), checks)

    def rerun_checks(self, qualification_id: str, *, actor: str) -> wf.Qualification:
        """Run the checks again (say after new evaluations) on an open qualification."""
        q = self.ledger.get_qualification(qualification_id)
        record = self.ledger.get_version(q.model_id, q.version)
        checks = run_gate_checks(record.evidence, self.policy, self.history_for(record.evidence))
        step = wf.replace_checks(q, self.policy, checks)
        now = self.clock()
        with self.ledger.transaction() as tx:
            tx.insert_checks(
                q.qualification_id, checks, policy_hash=self.policy.content_hash, at=now
            )
            self._append(tx, actor, "checks.recorded", q, now, _checks_payload(checks))
            self._persist(tx, q, step, actor, now)
        return self.ledger.get_qualification(qualification_id)

    # Review

    def sign(
        self,
        qualification_id: str,
        principal: wf.Principal,
        role: str,
        decision: wf.Decision,
        *,
        comment: str,
    ) -> wf.Qualification:
        """Record a sign-off; refusals of separation of duties are audited too."""
        q = self.ledger.get_qualification(qualification_id)
        now = self.clock()
        with self._audited_refusal(principal.user, "signoff.refused", q, {"role": role}):
            step = wf.sign(q, self.policy, principal, role, decision, comment=comment, at=now)
        with self.ledger.transaction() as tx:
            tx.insert_signoff(q.qualification_id, step.qualification.signoffs[-1])
            self._persist(tx, q, step, principal.user, now)
        return self.ledger.get_qualification(qualification_id)

    def grant_fast_track(self, qualification_id: str, *, reasons: list[str]) -> wf.Qualification:
        """Record the fast-track rule's sign-offs for a retrained version."""
        q = self.ledger.get_qualification(qualification_id)
        now = self.clock()
        step = wf.grant_by_rule(q, self.policy, reasons=reasons, at=now)
        with self.ledger.transaction() as tx:
            for signoff in step.qualification.signoffs[len(q.signoffs) :]:
                tx.insert_signoff(q.qualification_id, signoff)
            self._persist(tx, q, step, "rule:fast-track", now)
        return self.ledger.get_qualification(qualification_id)

    def waive(
        self,
        qualification_id: str,
        principal: wf.Principal,
        role: str,
        check_id: str,
        *,
        reason: str,
    ) -> wf.Qualification:
        """Waive a failing blocking check as an authorised role, with a reason."""
        q = self.ledger.get_qualification(qualification_id)
        now = self.clock()
        payload = {"role": role, "check_id": check_id}
        with self._audited_refusal(principal.user, "waiver.refused", q, payload):
            step = wf.waive(q, self.policy, principal, role, check_id, reason=reason, at=now)
        with self.ledger.transaction() as tx:
            tx.insert_waiver(q.qualification_id, step.qualification.waivers[-1])
            self._persist(tx, q, step, principal.user, now)
        return self.ledger.get_qualification(qualification_id)

    def withdraw(
        self, qualification_id: str, principal: wf.Principal, *, reason: str
    ) -> wf.Qualification:
        """The submitter withdraws the candidate."""
        q = self.ledger.get_qualification(qualification_id)
        step = wf.withdraw(q, principal, reason=reason)
        now = self.clock()
        with self.ledger.transaction() as tx:
            self._persist(tx, q, step, principal.user, now)
        return step.qualification

    def revoke(
        self, qualification_id: str, principal: wf.Principal, *, reason: str
    ) -> wf.Qualification:
        """Withdraw an approval; the gate closes for that version."""
        q = self.ledger.get_qualification(qualification_id)
        step = wf.revoke(q, self.policy, principal, reason=reason)
        now = self.clock()
        with self.ledger.transaction() as tx:
            self._persist(tx, q, step, principal.user, now)
        return step.qualification

    # Gate

    def gate(
        self, model_id: str, version: str, *, actor: str, current: Evidence | None = None
    ) -> wf.GateDecision:
        """Decide whether the gate is open for a version, and record the decision.

        ``current`` is the evidence collected now (from DSS); without it the registered
        evidence is used, which only proves the approval still matches the policy.
        """
        record = self.ledger.find_version(model_id, version)
        q = self.ledger.latest_qualification(model_id, version) if record else None
        fingerprint = current.fingerprint if current else (record.fingerprint if record else "")
        decision = wf.gate_decision(q, self.policy, fingerprint)
        if record is None:
            decision = wf.GateDecision(
                False, (f"model {model_id} version {version} is not registered",)
            )
        self._record(
            actor,
            "gate.evaluated",
            ("version", f"{model_id}/{version}"),
            {
                "is_open": decision.is_open,
                "reasons": list(decision.reasons),
                "qualification_id": decision.qualification_id,
                "fingerprint": fingerprint,
            },
        )
        return decision

    def require_open_gate(
        self,
        model_id: str,
        version: str,
        *,
        actor: str,
        action: str,
        current: Evidence | None = None,
    ) -> wf.Qualification:
        """The approved qualification, or :class:`GateClosedError` with every reason."""
        decision = self.gate(model_id, version, actor=actor, current=current)
        if not decision.is_open:
            self._record(
                actor,
                "gate.refused",
                ("version", f"{model_id}/{version}"),
                {
                    "action": action,
                    "reasons": list(decision.reasons),
                },
            )
            raise GateClosedError(action, decision.reasons)
        assert decision.qualification_id is not None  # noqa: S101 - an open gate names it
        return self.ledger.get_qualification(decision.qualification_id)

    # Audit

    def verify_audit(self) -> ChainVerification:
        """Walk the whole audit chain."""
        return self.ledger.verify()

    def history_for(self, evidence: Evidence) -> History:
        """What the ledger knows about the model beyond the evidence."""
        entity = _version_entity(evidence)
        return History(
            now=self.clock(),
            # A version answers for its own drift: the drift of the version it replaces
            # is why a retrained candidate exists, not a flag against it.
            evaluations=tuple(self.ledger.evaluations_for(evidence.model_id, evidence.version)),
            approved_bundles=tuple(self.ledger.approved_bundles(evidence.project_key)),
            rollback_drills=tuple(self.ledger.rollback_drills(evidence.model_id)),
            recorded_actions=tuple(e.action for e in self.ledger.iter_events(entity=entity)),
            is_chain_intact=self.ledger.verify().is_intact,
        )

    def record_rollback_drill(  # noqa: PLR0913 - the drill's outcome and who attests it
        self,
        model_id: str,
        version: str,
        *,
        actor: str,
        is_passed: bool,
        target: str,
        note: str,
        principal: wf.Principal | None = None,
    ) -> RollbackDrill:
        """Record a rehearsal of the rollback path (redeploy ``target`` or undeploy).

        With ``principal`` (a caller whose roles come from the platform), only an ML
        Engineer may attest the drill; a refusal is recorded and raised.
        """
        record = self.ledger.get_version(model_id, version)
        if principal is not None and ML_ENGINEER not in principal.roles:
            self._record(
                actor,
                "rollback.drill_refused",
                _version_entity(record.evidence),
                {"reason": "only an ML Engineer may attest a rollback drill"},
            )
            raise AuthorizationError(
                f"{principal.user} may not record a rollback drill of {model_id} {version}: "
                "only the ML Engineer role attests rollback rehearsals; ask a member of a DSS "
                "group the policy's role_groups map to ml_engineer."
            )
        now = self.clock()
        drill = RollbackDrill(performed_at=now, is_passed=is_passed, target_bundle=target)
        with self.ledger.transaction() as tx:
            tx.insert_drill(
                drill,
                model_id=model_id,
                project_key=record.evidence.project_key,
                actor=actor,
                note=note,
            )
            tx.append_event(
                actor=actor,
                action="rollback.drilled",
                entity=_version_entity(record.evidence),
                payload={
                    "passed": is_passed,
                    "target": target,
                    "note": note,
                    "policy_hash": self.policy.content_hash,
                },
                at=now,
            )
        return drill

    # Documents

    def write_documents(
        self,
        qualification_id: str,
        *,
        actor: str,
        roc: RocCurve | None = None,
        drift: Mapping[str, float] | None = None,
    ) -> tuple[RenderedDocument, ...]:
        """Render the model card, experiment summary and review packet and store them.

        Each document is stored as HTML and as JSON with its SHA-256, together with one
        ``documents.rendered`` audit event listing the hashes, in one transaction.
        """
        # matplotlib and Jinja load only when documents are rendered.
        from model_governance.documents import render_documents

        q = self.ledger.get_qualification(qualification_id)
        record = self.ledger.get_version(q.model_id, q.version)
        now = self.clock()
        decision = wf.gate_decision(q, self.policy, record.fingerprint)
        documents = render_documents(
            record.evidence,
            q,
            self.policy,
            decision=decision,
            roc=roc,
            drift=drift,
            generated_at=now,
        )
        with self.ledger.transaction() as tx:
            for doc in documents:
                row = DocumentRecord(
                    q.model_id, q.version, doc.kind, doc.media_type, doc.content, doc.content_hash
                )
                tx.insert_document(row, actor=actor, at=now)
            listed = [
                {"kind": d.kind, "media_type": d.media_type, "content_hash": d.content_hash}
                for d in documents
            ]
            self._append(tx, actor, "documents.rendered", q, now, {"documents": listed})
        log.info("rendered %d documents for %s", len(documents), q.qualification_id)
        return documents

    # Internals

    def _refuse_open_duplicate(self, model_id: str, version: str) -> None:
        existing = self.ledger.latest_qualification(model_id, version)
        if existing is not None and existing.state in (*wf.OPEN_STATES, wf.S.APPROVED):
            raise ConflictError(
                f"{existing.label} is already {existing.state.value}; withdraw it before "
                "submitting the same version again."
            )

    def _persist(
        self,
        tx: LedgerTransaction,
        before: wf.Qualification,
        step: wf.Step,
        actor: str,
        now: datetime,
    ) -> None:
        if (
            step.qualification.state != before.state
            or step.qualification.is_fast_track != before.is_fast_track
        ):
            tx.save_state(before, step.qualification, now)
        for event in step.events:
            self._append(tx, actor, event.action, step.qualification, now, event.payload)

    def _append(
        self,
        tx: LedgerTransaction,
        actor: str,
        action: str,
        q: wf.Qualification,
        now: datetime,
        payload: dict[str, Any],
    ) -> None:
        full = {
            **payload,
            "model_id": q.model_id,
            "version": q.version,
            "policy_hash": self.policy.content_hash,
        }
        tx.append_event(
            actor=actor,
            action=action,
            entity=("qualification", q.qualification_id),
            payload=full,
            at=now,
        )

    def _record(
        self, actor: str, action: str, entity: tuple[str, str], payload: dict[str, Any]
    ) -> None:
        with self.ledger.transaction() as tx:
            tx.append_event(
                actor=actor,
                action=action,
                entity=entity,
                payload={**payload, "policy_hash": self.policy.content_hash},
                at=self.clock(),
            )

    @contextmanager
    def _audited_refusal(
        self, actor: str, action: str, q: wf.Qualification, payload: dict[str, Any]
    ) -> Iterator[None]:
        try:
            yield
        except (AuthorizationError, ConflictError) as exc:
            self._record(
                actor,
                action,
                ("qualification", q.qualification_id),
                {**payload, "reason": str(exc)},
            )
            raise


def _version_entity(evidence: Evidence) -> tuple[str, str]:
    return ("version", f"{evidence.model_id}/{evidence.version}")


def _checks_payload(checks: tuple[CheckResult, ...]) -> dict[str, Any]:
    return {
        "checks": [
            {"check_id": c.check_id, "status": c.status.value, "is_blocking": c.is_blocking}
            for c in checks
        ]
    }


__all__ = ["Clock", "GovernanceService", "Submission", "utc_now"]
