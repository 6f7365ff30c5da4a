"""Governance services on an in-memory ledger: use cases, bad input and crash safety."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select

from model_governance.core.checks import CheckStatus
from model_governance.core.constants import FAST_TRACK_ACTOR
from model_governance.core.errors import (
    AuthorizationError,
    ConflictError,
    GateClosedError,
    NotFoundError,
    ValidationError,
)
from model_governance.core.evidence import Evidence
from model_governance.core.workflow import Decision, QualificationState
from model_governance.ledger import LedgerTransaction
from model_governance.ledger import schema as tables
from model_governance.ledger.monitoring import ensure_monitoring_tables, insert_evaluation
from model_governance.services import GovernanceService

S = QualificationState
ROLES = ("review_board", "data_steward", "security_lead", "ml_engineer")
SUBMITTER = "sue.scientist"
TABLES = (
    tables.models,
    tables.model_versions,
    tables.qualifications,
    tables.check_results,
    tables.signoffs,
    tables.waivers,
    tables.audit_events,
)


def _register(service, evidence):
    service.register(evidence, actor=SUBMITTER)
    service.record_rollback_drill(
        evidence.model_id,
        evidence.version,
        actor="olga.ops",
        is_passed=True,
        target="",
        note="undeploy rehearsed",
    )


def _submitted(service, evidence):
    _register(service, evidence)
    return service.submit(evidence.model_id, evidence.version, actor=SUBMITTER).qualification


def _sign(service, q, reviewers, roles=ROLES, decision=Decision.APPROVE):
    for role in roles:
        q = service.sign(q.qualification_id, reviewers[role], role, decision, comment="ok")
    return q


def _snapshot(ledger):
    """Row count of every governance table, and the chain head."""
    with ledger.engine.connect() as conn:
        counts = {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar() for t in TABLES
        }
    return counts, ledger.head()


def _actions(ledger, qualification_id):
    return [e.action for e in ledger.iter_events(entity=("qualification", qualification_id))]


# Registration


def test_register_new_version_stores_evidence_and_fingerprint(service, evidence_factory):
    evidence = evidence_factory()

    record = service.register(evidence, actor=SUBMITTER)

    assert (record.evidence, record.fingerprint, record.registered_by) == (
        evidence,
        evidence.fingerprint,
        SUBMITTER,
    )


def test_register_records_audit_event_with_semantic_tag(service, ledger, evidence_factory):
    service.register(evidence_factory(), actor=SUBMITTER)

    event = next(ledger.iter_events(entity=("version", "claims-fraud/v1")))
    assert (event.action, event.actor, event.payload["tag"]) == (
        "version.registered",
        SUBMITTER,
        "v1.0-prod-candidate",
    )


def test_register_audit_time_comes_from_the_service_clock(service, ledger, evidence_factory):
    service.register(evidence_factory(), actor=SUBMITTER)

    event = next(ledger.iter_events(entity=("version", "claims-fraud/v1")))
    assert event.occurred_at == datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)


def test_sign_records_signoff_time_from_the_service_clock(service, evidence_factory, reviewers):
    q = _submitted(service, evidence_factory())
    expected = service.clock() + timedelta(seconds=1)  # the next reading is the sign-off's

    q = _sign(service, q, reviewers, ROLES[:1])

    assert q.signoff_for("review_board").signed_at == expected


def test_register_same_version_twice_is_a_conflict_with_fix(service, evidence_factory):
    service.register(evidence_factory(), actor=SUBMITTER)

    with pytest.raises(ConflictError, match="already registered; register the retrained model"):
        service.register(evidence_factory(metrics={"auc": 0.95}), actor=SUBMITTER)


def test_register_duplicate_leaves_ledger_unchanged(service, ledger, evidence_factory):
    service.register(evidence_factory(), actor=SUBMITTER)
    before = _snapshot(ledger)

    with pytest.raises(ConflictError):
        service.register(evidence_factory(), actor="someone.else")

    assert _snapshot(ledger) == before


def test_register_second_version_of_model_keeps_one_model_row(service, ledger, evidence_factory):
    service.register(evidence_factory(), actor=SUBMITTER)
    service.register(evidence_factory(version="v2", semver="1.1"), actor=SUBMITTER)

    counts, _ = _snapshot(ledger)
    assert (counts["models"], counts["model_versions"]) == (1, 2)


# Submission


def test_submit_unknown_version_is_not_found(service):
    with pytest.raises(NotFoundError, match="model nope version v1 is not registered"):
        service.submit("nope", "v1", actor=SUBMITTER)


def test_submit_registered_version_opens_pending_qualification(service, evidence_factory):
    q = _submitted(service, evidence_factory())

    assert (q.qualification_id, q.state, q.submitter) == ("Q-000001", S.PENDING, SUBMITTER)


def test_submit_ready_version_passes_every_check(service, evidence_factory):
    q = _submitted(service, evidence_factory())

    assert {c.check_id: c.status for c in q.checks if c.status is not CheckStatus.PASS} == {
        "drift_history": CheckStatus.NOT_APPLICABLE
    }


def test_submit_binds_fingerprint_and_policy_hash(service, evidence_factory):
    evidence = evidence_factory()

    q = _submitted(service, evidence)

    assert (q.fingerprint, q.policy_hash) == (evidence.fingerprint, service.policy.content_hash)


def test_submit_records_submission_and_check_events(service, ledger, evidence_factory):
    q = _submitted(service, evidence_factory())

    assert _actions(ledger, q.qualification_id) == ["qualification.submitted", "checks.recorded"]


def test_submit_version_with_open_qualification_is_a_conflict_with_fix(service, evidence_factory):
    _submitted(service, evidence_factory())

    with pytest.raises(ConflictError, match="is already pending; withdraw it before submitting"):
        service.submit("claims-fraud", "v1", actor=SUBMITTER)


def test_submit_open_duplicate_leaves_ledger_unchanged(service, ledger, evidence_factory):
    _submitted(service, evidence_factory())
    before = _snapshot(ledger)

    with pytest.raises(ConflictError):
        service.submit("claims-fraud", "v1", actor=SUBMITTER)

    assert _snapshot(ledger) == before


def test_submit_version_in_review_is_a_conflict(service, evidence_factory, reviewers):
    q = _submitted(service, evidence_factory())
    _sign(service, q, reviewers, ROLES[:1])

    with pytest.raises(ConflictError, match="is already in_review"):
        service.submit("claims-fraud", "v1", actor=SUBMITTER)


def test_submit_approved_version_is_a_conflict(service, evidence_factory, reviewers):
    _sign(service, _submitted(service, evidence_factory()), reviewers)

    with pytest.raises(ConflictError, match="is already approved"):
        service.submit("claims-fraud", "v1", actor=SUBMITTER)


def test_submit_after_withdrawal_opens_a_new_qualification(service, evidence_factory, principal):
    q = _submitted(service, evidence_factory())
    service.withdraw(q.qualification_id, principal(SUBMITTER), reason="fix a feature")

    again = service.submit("claims-fraud", "v1", actor=SUBMITTER).qualification

    assert (again.qualification_id, again.state) == ("Q-000002", S.PENDING)


# Review


def test_sign_every_role_approves_and_persists(service, ledger, evidence_factory, reviewers):
    q = _sign(service, _submitted(service, evidence_factory()), reviewers)

    stored = ledger.get_qualification(q.qualification_id)
    assert (stored.state, [s.actor for s in stored.signoffs]) == (
        S.APPROVED,
        ["rita.board", "dan.steward", "sam.security", "mia.engineer"],
    )


def test_sign_every_transition_is_an_audit_event(service, ledger, evidence_factory, reviewers):
    q = _sign(service, _submitted(service, evidence_factory()), reviewers)

    changes = [
        (e.payload["from"], e.payload["to"])
        for e in ledger.iter_events(entity=("qualification", q.qualification_id))
        if e.action == "qualification.state_changed"
    ]
    assert changes == [("pending", "in_review"), ("in_review", "approved")]


def test_sign_unknown_qualification_is_not_found(service, reviewers):
    with pytest.raises(NotFoundError, match="qualification Q-000404 does not exist"):
        service.sign(
            "Q-000404", reviewers["review_board"], "review_board", Decision.APPROVE, comment="ok"
        )


def test_sign_by_submitter_is_refused_and_the_refusal_audited(
    service, ledger, evidence_factory, submitter
):
    q = _submitted(service, evidence_factory())

    with pytest.raises(AuthorizationError, match="separation of duties"):
        service.sign(q.qualification_id, submitter, "review_board", Decision.APPROVE, comment="x")

    assert _actions(ledger, q.qualification_id)[-1] == "signoff.refused"
    assert ledger.get_qualification(q.qualification_id).signoffs == ()


def test_sign_with_empty_comment_is_refused_without_writing(
    service, ledger, evidence_factory, reviewers
):
    q = _submitted(service, evidence_factory())
    before = _snapshot(ledger)

    with pytest.raises(ValidationError, match="comment: is empty"):
        service.sign(
            q.qualification_id,
            reviewers["ml_engineer"],
            "ml_engineer",
            Decision.APPROVE,
            comment="",
        )

    assert _snapshot(ledger) == before


def test_sign_rejection_persists_rejected_state(service, ledger, evidence_factory, reviewers):
    q = _submitted(service, evidence_factory())

    _sign(service, q, reviewers, ("security_lead",), Decision.REJECT)

    assert ledger.get_qualification(q.qualification_id).state is S.REJECTED


def test_waive_failing_check_then_signoffs_approve(service, evidence_factory, reviewers):
    q = _submitted(service, evidence_factory(metrics={"auc": 0.85}))

    service.waive(q.qualification_id, reviewers["review_board"], "review_board", "auc", reason="ok")
    q = _sign(service, q, reviewers)

    assert (q.state, q.waiver_for("auc").actor) == (S.APPROVED, "rita.board")


def test_waive_by_role_without_waiver_right_is_audited(
    service, ledger, evidence_factory, reviewers
):
    q = _submitted(service, evidence_factory(metrics={"auc": 0.85}))

    with pytest.raises(AuthorizationError, match="may not waive checks as Data Steward"):
        service.waive(
            q.qualification_id, reviewers["data_steward"], "data_steward", "auc", reason="ok"
        )

    assert _actions(ledger, q.qualification_id)[-1] == "waiver.refused"


def test_withdraw_by_submitter_persists_withdrawn(service, ledger, evidence_factory, principal):
    q = _submitted(service, evidence_factory())

    service.withdraw(q.qualification_id, principal(SUBMITTER), reason="found a leak")

    assert ledger.get_qualification(q.qualification_id).state is S.WITHDRAWN


def test_withdraw_unknown_qualification_is_not_found(service, principal):
    with pytest.raises(NotFoundError, match="Q-000404 does not exist"):
        service.withdraw("Q-000404", principal(SUBMITTER), reason="x")


def test_revoke_approved_persists_revoked(service, ledger, evidence_factory, reviewers):
    q = _sign(service, _submitted(service, evidence_factory()), reviewers)

    service.revoke(q.qualification_id, reviewers["data_steward"], reason="bias alert")

    assert ledger.get_qualification(q.qualification_id).state is S.REVOKED


def test_revoke_unknown_qualification_is_not_found(service, reviewers):
    with pytest.raises(NotFoundError, match="Q-000404 does not exist"):
        service.revoke("Q-000404", reviewers["review_board"], reason="x")


def test_grant_fast_track_then_governance_signoffs_approve(
    service, ledger, evidence_factory, reviewers
):
    q = _submitted(service, evidence_factory())

    service.grant_fast_track(q.qualification_id, reasons=["same features and code env"])
    _sign(service, q, reviewers, ROLES[1:])

    stored = ledger.get_qualification(q.qualification_id)
    assert (stored.state, stored.is_fast_track, stored.signoff_for("review_board").actor) == (
        S.APPROVED,
        True,
        FAST_TRACK_ACTOR,
    )


# Gate


def test_gate_approved_version_is_open(service, evidence_factory, reviewers):
    _sign(service, _submitted(service, evidence_factory()), reviewers)

    assert service.gate("claims-fraud", "v1", actor="ci").is_open


def test_gate_unregistered_version_is_closed_naming_it(service):
    decision = service.gate("claims-fraud", "v9", actor="ci")

    assert decision.reasons == ("model claims-fraud version v9 is not registered",)


def test_gate_evaluation_is_audited(service, ledger):
    service.gate("claims-fraud", "v9", actor="ci")

    event = next(ledger.iter_events(entity=("version", "claims-fraud/v9")))
    assert (event.action, event.actor, event.payload["is_open"]) == ("gate.evaluated", "ci", False)


def test_gate_changed_current_evidence_is_closed(service, evidence_factory, reviewers):
    _sign(service, _submitted(service, evidence_factory()), reviewers)
    retrained = evidence_factory(metrics={"auc": 0.94})

    decision = service.gate("claims-fraud", "v1", actor="ci", current=retrained)

    assert not decision.is_open
    assert decision.reasons[0].startswith("the version changed since it was reviewed")


def test_gate_under_changed_policy_is_closed(ledger, clock, policy, evidence_factory, reviewers):
    first = GovernanceService(ledger, policy(), clock=clock)
    _sign(first, _submitted(first, evidence_factory()), reviewers)
    stricter = GovernanceService(ledger, policy(min_auc=0.92), clock=clock)

    decision = stricter.gate("claims-fraud", "v1", actor="ci")

    assert decision.reasons[0].startswith("the policy changed since the review")


def test_require_open_gate_closed_raises_with_every_reason(service, evidence_factory):
    _submitted(service, evidence_factory())

    with pytest.raises(
        GateClosedError, match=r"create bundle refused: .*pending, not approved; .*sign-off missing"
    ):
        service.require_open_gate("claims-fraud", "v1", actor="ci", action="create bundle")


def test_require_open_gate_closed_refusal_is_audited(service, ledger, evidence_factory):
    _submitted(service, evidence_factory())

    with pytest.raises(GateClosedError):
        service.require_open_gate("claims-fraud", "v1", actor="ci", action="create bundle")

    actions = [e.action for e in ledger.iter_events(entity=("version", "claims-fraud/v1"))]
    assert actions[-2:] == ["gate.evaluated", "gate.refused"]


def test_require_open_gate_open_returns_approved_qualification(
    service, evidence_factory, reviewers
):
    _sign(service, _submitted(service, evidence_factory()), reviewers)

    q = service.require_open_gate("claims-fraud", "v1", actor="ci", action="create bundle")

    assert (q.qualification_id, q.state) == ("Q-000001", S.APPROVED)


def test_verify_audit_after_full_review_is_intact(service, evidence_factory, reviewers):
    _sign(service, _submitted(service, evidence_factory()), reviewers)

    assert service.verify_audit().is_intact


# Crash safety: a failure between a state change and its audit event leaves no trace


class DiskFullError(RuntimeError):
    """Stands in for any failure inside a ledger transaction."""


def _fail_on_append(monkeypatch):
    def append_event(self, **kwargs):
        raise DiskFullError("disk full")

    monkeypatch.setattr(LedgerTransaction, "append_event", append_event)


def _fail_after_save_state(monkeypatch):
    original = LedgerTransaction.save_state

    def save_state(self, before, after, at):
        original(self, before, after, at)
        raise DiskFullError("disk full")

    monkeypatch.setattr(LedgerTransaction, "save_state", save_state)


@pytest.mark.parametrize("inject", [_fail_on_append, _fail_after_save_state])
def test_sign_failure_after_state_change_leaves_no_trace(
    service, ledger, evidence_factory, reviewers, monkeypatch, inject
):
    q = _sign(service, _submitted(service, evidence_factory()), reviewers, ROLES[:3])
    before = _snapshot(ledger)
    inject(monkeypatch)

    with pytest.raises(DiskFullError):
        service.sign(
            q.qualification_id,
            reviewers["ml_engineer"],
            "ml_engineer",
            Decision.APPROVE,
            comment="ok",
        )

    stored = ledger.get_qualification(q.qualification_id)
    assert (stored.state, len(stored.signoffs)) == (S.IN_REVIEW, 3)
    assert _snapshot(ledger) == before
    assert ledger.verify().is_intact


@pytest.mark.parametrize("inject", [_fail_on_append, _fail_after_save_state])
def test_withdraw_failure_after_state_change_leaves_no_trace(
    service, ledger, evidence_factory, principal, monkeypatch, inject
):
    q = _submitted(service, evidence_factory())
    before = _snapshot(ledger)
    inject(monkeypatch)

    with pytest.raises(DiskFullError):
        service.withdraw(q.qualification_id, principal(SUBMITTER), reason="x")

    assert ledger.get_qualification(q.qualification_id).state is S.PENDING
    assert _snapshot(ledger) == before


def test_waive_failure_on_audit_event_leaves_no_waiver(
    service, ledger, evidence_factory, reviewers, monkeypatch
):
    q = _submitted(service, evidence_factory(metrics={"auc": 0.85}))
    before = _snapshot(ledger)
    _fail_on_append(monkeypatch)

    with pytest.raises(DiskFullError):
        service.waive(
            q.qualification_id, reviewers["review_board"], "review_board", "auc", reason="ok"
        )

    assert ledger.get_qualification(q.qualification_id).waivers == ()
    assert _snapshot(ledger) == before


def test_submit_failure_on_audit_event_leaves_no_qualification(
    service, ledger, evidence_factory, monkeypatch
):
    _register(service, evidence_factory())
    before = _snapshot(ledger)
    _fail_on_append(monkeypatch)

    with pytest.raises(DiskFullError):
        service.submit("claims-fraud", "v1", actor=SUBMITTER)

    assert ledger.latest_qualification("claims-fraud", "v1") is None
    assert _snapshot(ledger) == before


def test_register_failure_on_audit_event_leaves_no_version(
    service, ledger, evidence_factory, monkeypatch
):
    before = _snapshot(ledger)
    _fail_on_append(monkeypatch)

    with pytest.raises(DiskFullError):
        service.register(evidence_factory(), actor=SUBMITTER)

    assert ledger.find_version("claims-fraud", "v1") is None
    assert _snapshot(ledger) == before


def test_service_after_injected_failure_keeps_working(
    service, ledger, evidence_factory, reviewers, monkeypatch
):
    q = _sign(service, _submitted(service, evidence_factory()), reviewers, ROLES[:3])
    _fail_on_append(monkeypatch)
    with pytest.raises(DiskFullError):
        service.sign(
            q.qualification_id,
            reviewers["ml_engineer"],
            "ml_engineer",
            Decision.APPROVE,
            comment="ok",
        )
    monkeypatch.undo()

    q = service.sign(
        q.qualification_id, reviewers["ml_engineer"], "ml_engineer", Decision.APPROVE, comment="ok"
    )

    assert (q.state, ledger.verify().is_intact) == (S.APPROVED, True)


def test_history_counts_only_the_candidate_versions_drift(
    service: GovernanceService, evidence_factory: Callable[..., Evidence], clock: Any
) -> None:
    old, new = evidence_factory(version="v1"), evidence_factory(version="v2")
    service.register(old, actor="sue")
    service.register(new, actor="sue")
    ensure_monitoring_tables(service.ledger)
    start = clock()
    with service.ledger.transaction() as tx:
        insert_evaluation(
            tx,
            model_id=old.model_id,
            version="v1",
            window=(start, clock()),
            metrics={"max_ks": 0.4},
            source="test",
            at=clock(),
        )
    assert [e.max_ks for e in service.history_for(old).evaluations] == [0.4]
    assert service.history_for(new).evaluations == ()
