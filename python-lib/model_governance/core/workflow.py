"""The qualification state machine: sign-offs, waivers, separation of duties, the gate.

::

    PENDING ──first sign-off──▶ IN_REVIEW ──every role approved, checks ok──▶ APPROVED
       │                          │    └────any rejection──▶ REJECTED            │
       └──submitter withdraws─────┴──▶ WITHDRAWN              revoked ──▶ REVOKED

Every function here is pure: it takes a qualification and returns the next one together
with the workflow events the caller must record in the same transaction.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from model_governance.core.checks import CheckResult, CheckStatus
from model_governance.core.constants import FAST_TRACK_ACTOR, ROLE_LABELS
from model_governance.core.errors import (
    AuthorizationError,
    ConflictError,
    InvalidTransitionError,
    ValidationError,
)
from model_governance.core.policy import Policy


class QualificationState(str, Enum):
    """Where a qualification stands."""

    PENDING = "pending"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"


class Decision(str, Enum):
    """A reviewer's answer."""

    APPROVE = "approve"
    REJECT = "reject"


S = QualificationState
TRANSITIONS: dict[QualificationState, tuple[QualificationState, ...]] = {
    S.PENDING: (S.IN_REVIEW, S.WITHDRAWN),
    S.IN_REVIEW: (S.APPROVED, S.REJECTED, S.WITHDRAWN),
    S.APPROVED: (S.REVOKED,),
    S.REJECTED: (),
    S.WITHDRAWN: (),
    S.REVOKED: (),
}
OPEN_STATES = (S.PENDING, S.IN_REVIEW)


@dataclass(frozen=True)
class Principal:
    """Who acts, and the roles their DSS groups (or the local user list) give them."""

    user: str
    roles: frozenset[str] = frozenset()
    is_system: bool = False


@dataclass(frozen=True)
class SignOff:
    """An attributable approval or rejection for one role."""

    role: str
    actor: str
    decision: Decision
    comment: str
    signed_at: datetime

    @property
    def is_by_rule(self) -> bool:
        """True when the fast-track rule, not a person, granted this sign-off."""
        return self.actor == FAST_TRACK_ACTOR


@dataclass(frozen=True)
class Waiver:
    """A blocking check set aside by an authorised role, with the reason."""

    check_id: str
    actor: str
    role: str
    reason: str
    waived_at: datetime


@dataclass(frozen=True)
class WorkflowEvent:
    """Something the ledger must record as an audit event."""

    action: str
    payload: dict[str, Any]


@dataclass(frozen=True)
class Qualification:
    """The workflow instance deciding whether one model version may become a bundle."""

    qualification_id: str
    model_id: str
    version: str
    submitter: str
    fingerprint: str
    policy_hash: str
    state: QualificationState = S.PENDING
    is_fast_track: bool = False
    signoffs: tuple[SignOff, ...] = ()
    checks: tuple[CheckResult, ...] = ()
    waivers: tuple[Waiver, ...] = ()

    @property
    def label(self) -> str:
        """How messages name this qualification."""
        return f"qualification {self.qualification_id} ({self.model_id} {self.version})"

    def signoff_for(self, role: str) -> SignOff | None:
        """The sign-off recorded for ``role``, if any."""
        return next((s for s in self.signoffs if s.role == role), None)

    def waiver_for(self, check_id: str) -> Waiver | None:
        """The waiver recorded for ``check_id``, if any."""
        return next((w for w in self.waivers if w.check_id == check_id), None)


@dataclass(frozen=True)
class Step:
    """A workflow function's result: the next qualification and the events to record."""

    qualification: Qualification
    events: tuple[WorkflowEvent, ...] = field(default=())


@dataclass(frozen=True)
class GateDecision:
    """Whether the gate is open for a version, with every reason when it is closed."""

    is_open: bool
    reasons: tuple[str, ...]
    qualification_id: str | None = None


def role_label(role: str) -> str:
    """Human name of a role, e.g. ``security_lead`` -> ``Security Lead``."""
    return ROLE_LABELS.get(role, role.replace("_", " ").title())


def allowed_next(state: QualificationState) -> tuple[QualificationState, ...]:
    """States reachable from ``state``."""
    return TRANSITIONS[state]


def transition(q: Qualification, target: QualificationState, **payload: Any) -> Step:
    """Move ``q`` to ``target``; refuse any move the transition table does not list."""
    if target not in TRANSITIONS[q.state]:
        raise InvalidTransitionError(
            q.label,
            q.state.value,
            f"move to {target.value}",
            [s.value for s in TRANSITIONS[q.state]],
        )
    event = WorkflowEvent(
        "qualification.state_changed",
        {"from": q.state.value, "to": target.value, **payload},
    )
    return Step(dataclasses.replace(q, state=target), (event,))


def sign(  # noqa: PLR0913 - every argument is part of an attributable sign-off
    q: Qualification,
    policy: Policy,
    principal: Principal,
    role: str,
    decision: Decision,
    *,
    comment: str,
    at: datetime,
) -> Step:
    """Record ``principal``'s decision for ``role`` and move the workflow on.

    Raises:
        InvalidTransitionError: the qualification no longer accepts sign-offs.
        AuthorizationError: the principal lacks the role, is the submitter, or has
        signed
            for another role already.
        ConflictError: the role has been signed already.
        ValidationError: unknown role or empty comment.
    """
    _require_open(q, "record a sign-off")
    _check_signer(q, policy, principal, role)
    reason = _reason("comment", comment, "say why you approve or reject")
    signoff = SignOff(role, principal.user, decision, reason, at)
    start = _start_review(q)
    q = dataclasses.replace(start.qualification, signoffs=(*start.qualification.signoffs, signoff))
    event = WorkflowEvent(
        "signoff.recorded",
        {"role": role, "decision": decision.value, "comment": reason, "by_rule": False},
    )
    return _chain(start, Step(q, (event,)), _settle(q, policy))


def grant_by_rule(
    q: Qualification, policy: Policy, *, reasons: Sequence[str], at: datetime
) -> Step:
    """Grant the fast-track roles' approvals on behalf of the policy rule.

    The caller must have established that the candidate stays inside the envelope
    (see :func:`fast_track_envelope` in ``checks``); ``reasons`` records why.
    """
    _require_open(q, "grant a fast-track sign-off")
    if not policy.fast_track.enabled:
        raise AuthorizationError(
            f"{q.label}: the policy's fast track is disabled; every role must sign in person."
        )
    comment = "Granted by the retraining fast-track rule: " + "; ".join(reasons)
    start = _start_review(q)
    current = start.qualification
    events: list[WorkflowEvent] = []
    for role in policy.fast_track.roles_granted:
        if current.signoff_for(role) is None:
            signoff = SignOff(role, FAST_TRACK_ACTOR, Decision.APPROVE, comment, at)
            current = dataclasses.replace(current, signoffs=(*current.signoffs, signoff))
            payload = {"role": role, "decision": "approve", "comment": comment, "by_rule": True}
            events.append(WorkflowEvent("signoff.recorded", payload))
    current = dataclasses.replace(current, is_fast_track=True)
    return _chain(start, Step(current, tuple(events)), _settle(current, policy))


def waive(  # noqa: PLR0913 - every argument is part of an attributable waiver
    q: Qualification,
    policy: Policy,
    principal: Principal,
    role: str,
    check_id: str,
    *,
    reason: str,
    at: datetime,
) -> Step:
    """Set aside a failing blocking check, by a waiver role, with a reason."""
    _require_open(q, "waive a check")
    _check_waiver(q, policy, principal, role, check_id)
    waiver = Waiver(check_id, principal.user, role, _reason("reason", reason, "justify it"), at)
    start = _start_review(q)
    q = dataclasses.replace(start.qualification, waivers=(*start.qualification.waivers, waiver))
    event = WorkflowEvent(
        "check.waived", {"check_id": check_id, "role": role, "reason": waiver.reason}
    )
    return _chain(start, Step(q, (event,)), _settle(q, policy))


def replace_checks(q: Qualification, policy: Policy, checks: Iterable[CheckResult]) -> Step:
    """Record a re-run of the automatic checks on an open qualification."""
    _require_open(q, "re-run its checks")
    q = dataclasses.replace(q, checks=tuple(checks))
    return _settle(q, policy) if q.state is S.IN_REVIEW else Step(q)


def withdraw(q: Qualification, principal: Principal, *, reason: str) -> Step:
    """The submitter takes the candidate back; the qualification ends."""
    if principal.user != q.submitter:
        raise AuthorizationError(
            f"{q.label}: only the submitter {q.submitter} may withdraw it; "
            f"{principal.user} may reject it instead, for a role they hold."
        )
    return transition(q, S.WITHDRAWN, reason=_reason("reason", reason, "say why"))


def revoke(q: Qualification, policy: Policy, principal: Principal, *, reason: str) -> Step:
    """Withdraw an approval later (for example on a bias alert); the gate closes."""
    if not (principal.is_system or principal.roles & set(policy.required_roles)):
        raise AuthorizationError(
            f"{q.label}: {principal.user} holds no sign-off role; only "
            f"{', '.join(role_label(r) for r in policy.required_roles)} may revoke an approval."
        )
    return transition(q, S.REVOKED, reason=_reason("reason", reason, "say why"))


def outstanding(q: Qualification, policy: Policy) -> tuple[str, ...]:
    """Everything that keeps ``q`` from approval, in words a reviewer understands."""
    problems = [
        f"{role_label(r)} sign-off missing"
        for r in policy.required_roles
        if q.signoff_for(r) is None
    ]
    problems += [
        f"{role_label(s.role)} rejected: {s.comment}"
        for s in q.signoffs
        if s.decision is Decision.REJECT
    ]
    for check in q.checks:
        if check.is_blocking_problem and q.waiver_for(check.check_id) is None:
            if check.status is CheckStatus.ERROR and policy.allow_undefined_checks:
                continue
            problems.append(check.explanation)
    return tuple(problems)


def gate_decision(
    q: Qualification | None, policy: Policy, current_fingerprint: str
) -> GateDecision:
    """Answer whether the gate is open for a version whose evidence has this hash.

    The gate opens only for an APPROVED qualification whose approved fingerprint equals
    the current one and whose policy hash equals the policy in force.
    """
    if q is None:
        return GateDecision(False, ("no qualification exists for this version; submit it",))
    reasons: list[str] = []
    if q.state is not S.APPROVED:
        reasons.append(f"{q.label} is {q.state.value}, not approved")
        if q.state in OPEN_STATES:
            reasons.extend(outstanding(q, policy))
    if q.fingerprint != current_fingerprint:
        reasons.append(
            "the version changed since it was reviewed (evidence fingerprint "
            f"{q.fingerprint[:12]}… reviewed, {current_fingerprint[:12]}… now); submit it again"
        )
    if q.policy_hash != policy.content_hash:
        reasons.append(
            f"the policy changed since the review (hash {q.policy_hash[:12]}… then, "
            f"{policy.content_hash[:12]}… now); re-run the checks under the current policy"
        )
    return GateDecision(not reasons, tuple(reasons), q.qualification_id)


def _require_open(q: Qualification, action: str) -> None:
    if q.state not in OPEN_STATES:
        raise InvalidTransitionError(
            q.label, q.state.value, action, [s.value for s in TRANSITIONS[q.state]]
        )


def _reason(name: str, text: str, fix: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValidationError(f"{name}: is empty; {fix}.")
    return text.strip()


def _check_signer(q: Qualification, policy: Policy, principal: Principal, role: str) -> None:
    if role not in policy.required_roles:
        raise ValidationError(
            f"role: {role!r} is not a sign-off role; use one of {', '.join(policy.required_roles)}."
        )
    if role not in principal.roles:
        raise AuthorizationError(
            f"{principal.user} does not hold the {role_label(role)} role; an administrator "
            f"grants {role} through the policy's role_groups (DSS groups) or the local "
            "users file."
        )
    if principal.user == q.submitter:
        raise AuthorizationError(
            f"{principal.user} submitted {q.label} and may not sign it for any role "
            "(separation of duties); ask another reviewer."
        )
    existing = q.signoff_for(role)
    if existing is not None:
        raise ConflictError(
            f"{q.label}: the {role_label(role)} sign-off was already given by {existing.actor}."
        )
    other = next((s for s in q.signoffs if s.actor == principal.user), None)
    if other is not None:
        raise AuthorizationError(
            f"{principal.user} already signed {q.label} as {role_label(other.role)}; one person "
            f"signs for one role, so another {role_label(role)} must sign."
        )


def _check_waiver(
    q: Qualification, policy: Policy, principal: Principal, role: str, check_id: str
) -> None:
    if role not in policy.waiver_roles or role not in principal.roles:
        raise AuthorizationError(
            f"{principal.user} may not waive checks as {role_label(role)}; waivers need one of "
            f"{', '.join(role_label(r) for r in policy.waiver_roles)}, held by the signer."
        )
    if principal.user == q.submitter:
        raise AuthorizationError(
            f"{principal.user} submitted {q.label} and may not waive its checks."
        )
    if check_id in policy.non_waivable_checks:
        raise AuthorizationError(
            f"check {check_id} cannot be waived under this policy; fix the candidate instead."
        )
    check = next((c for c in q.checks if c.check_id == check_id), None)
    if check is None or not check.is_blocking_problem:
        raise ValidationError(
            f"check_id: {check_id!r} is not a failing blocking check of {q.label}; "
            "only failing or undecided blocking checks can be waived."
        )
    if q.waiver_for(check_id) is not None:
        raise ConflictError(f"{q.label}: check {check_id} is already waived.")


def _start_review(q: Qualification) -> Step:
    return (
        transition(q, S.IN_REVIEW, trigger="first review action")
        if q.state is S.PENDING
        else Step(q)
    )


def _settle(q: Qualification, policy: Policy) -> Step:
    if any(s.decision is Decision.REJECT for s in q.signoffs):
        rejected = [s.role for s in q.signoffs if s.decision is Decision.REJECT]
        return transition(q, S.REJECTED, rejected_by=rejected)
    if outstanding(q, policy):
        return Step(q)
    return transition(q, S.APPROVED, fingerprint=q.fingerprint, policy_hash=q.policy_hash)


def _chain(*steps: Step) -> Step:
    events = tuple(e for step in steps for e in step.events)
    return Step(steps[-1].qualification, events)
