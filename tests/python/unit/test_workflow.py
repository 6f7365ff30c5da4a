"""Qualification workflow: each sign-off rule, through the pure workflow functions."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from model_governance.core.checks import CheckResult, CheckStatus
from model_governance.core.constants import FAST_TRACK_ACTOR
from model_governance.core.errors import (
    AuthorizationError,
    ConflictError,
    InvalidTransitionError,
    ValidationError,
)
from model_governance.core.workflow import (
    TRANSITIONS,
    Decision,
    Qualification,
    QualificationState,
    gate_decision,
    grant_by_rule,
    outstanding,
    replace_checks,
    revoke,
    role_label,
    sign,
    transition,
    waive,
    withdraw,
)

S = QualificationState
AT = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
FINGERPRINT = "f" * 64
OTHER_FINGERPRINT = "e" * 64
ROLES = ("review_board", "data_steward", "security_lead", "ml_engineer")
SUBMITTER = "sue.scientist"


def _check(check_id, status=CheckStatus.PASS, *, is_blocking=True):
    return CheckResult(check_id, check_id, status, is_blocking, f"{check_id} is {status.value}")


def _qualification(policy, *checks, state=S.PENDING):
    return Qualification(
        "Q-000001",
        "claims-fraud",
        "v1",
        SUBMITTER,
        FINGERPRINT,
        policy.content_hash,
        state=state,
        checks=tuple(checks),
    )


def _sign(q, policy, reviewer, role, decision=Decision.APPROVE, comment="looks sound"):
    return sign(q, policy, reviewer, role, decision, comment=comment, at=AT).qualification


def _sign_roles(q, policy, reviewers, roles=ROLES):
    for role in roles:
        q = _sign(q, policy, reviewers[role], role)
    return q


def _approved(policy, reviewers, *checks):
    return _sign_roles(_qualification(policy, *checks), policy, reviewers)


# Sign-off rules


def test_sign_first_signoff_moves_pending_to_in_review(policy, reviewers):
    p = policy()

    q = _sign(_qualification(p), p, reviewers["data_steward"], "data_steward")

    assert q.state is S.IN_REVIEW


def test_sign_first_signoff_records_state_change_then_signoff_events(policy, reviewers):
    p = policy()

    step = sign(
        _qualification(p),
        p,
        reviewers["data_steward"],
        "data_steward",
        Decision.APPROVE,
        comment="ok",
        at=AT,
    )

    assert [e.action for e in step.events] == ["qualification.state_changed", "signoff.recorded"]
    assert step.events[0].payload["from"] == "pending"
    assert step.events[0].payload["to"] == "in_review"


def test_sign_records_actor_role_decision_and_stripped_comment(policy, reviewers):
    p = policy()

    q = _sign(_qualification(p), p, reviewers["ml_engineer"], "ml_engineer", comment="  fine  ")

    signoff = q.signoff_for("ml_engineer")
    assert (signoff.actor, signoff.decision, signoff.comment) == (
        "mia.engineer",
        Decision.APPROVE,
        "fine",
    )


@pytest.mark.parametrize("role", ROLES)
def test_sign_by_submitter_is_refused_for_every_role(policy, submitter, role):
    p = policy()

    with pytest.raises(
        AuthorizationError,
        match=r"sue\.scientist submitted .* may not sign it for any role .* ask another reviewer",
    ):
        _sign(_qualification(p), p, submitter, role)


def test_sign_second_role_by_same_person_is_refused(policy, principal):
    p = policy()
    both = principal("bo.two-hats", "review_board", "data_steward")
    q = _sign(_qualification(p), p, both, "review_board")

    with pytest.raises(
        AuthorizationError,
        match=r"already signed .* as Architecture Review Board; one person signs for one role",
    ):
        _sign(q, p, both, "data_steward")


def test_sign_unknown_role_is_refused_listing_roles(policy, principal):
    p = policy()

    with pytest.raises(
        ValidationError, match=r"role: 'cfo' is not a sign-off role; use one of review_board"
    ):
        _sign(_qualification(p), p, principal("carl", "cfo"), "cfo")


def test_sign_principal_lacking_role_is_refused_naming_how_to_grant(policy, reviewers):
    p = policy()

    with pytest.raises(
        AuthorizationError,
        match=r"dan\.steward does not hold the Security Lead role; an administrator grants",
    ):
        _sign(_qualification(p), p, reviewers["data_steward"], "security_lead")


@pytest.mark.parametrize("comment", ["", "   "])
def test_sign_empty_comment_is_refused_with_fix(policy, reviewers, comment):
    p = policy()

    with pytest.raises(ValidationError, match="comment: is empty; say why you approve or reject"):
        _sign(_qualification(p), p, reviewers["data_steward"], "data_steward", comment=comment)


def test_sign_role_already_signed_is_a_conflict_naming_first_signer(policy, reviewers, principal):
    p = policy()
    q = _sign(_qualification(p), p, reviewers["data_steward"], "data_steward")

    with pytest.raises(
        ConflictError, match=r"Data Steward sign-off was already given by dan\.steward"
    ):
        _sign(q, p, principal("dora.steward", "data_steward"), "data_steward")


def test_sign_refusal_leaves_qualification_unchanged(policy, reviewers, submitter):
    p = policy()
    q = _sign(_qualification(p), p, reviewers["data_steward"], "data_steward")

    with pytest.raises(AuthorizationError):
        _sign(q, p, submitter, "review_board")

    assert len(q.signoffs) == 1


# Rejection


def test_sign_rejection_ends_the_qualification(policy, reviewers):
    p = policy()

    q = _sign(_qualification(p), p, reviewers["security_lead"], "security_lead", Decision.REJECT)

    assert q.state is S.REJECTED


def test_sign_rejection_after_other_approvals_ends_the_qualification(policy, reviewers):
    p = policy()
    q = _sign_roles(_qualification(p), p, reviewers, ROLES[:3])

    q = _sign(q, p, reviewers["ml_engineer"], "ml_engineer", Decision.REJECT)

    assert q.state is S.REJECTED


def test_sign_after_rejection_is_refused_naming_final_state(policy, reviewers):
    p = policy()
    q = _sign(_qualification(p), p, reviewers["security_lead"], "security_lead", Decision.REJECT)

    with pytest.raises(
        InvalidTransitionError,
        match=r"is rejected: cannot record a sign-off\. Allowed from rejected: none \(final",
    ):
        _sign(q, p, reviewers["data_steward"], "data_steward")


def test_waive_after_rejection_is_refused_naming_final_state(policy, reviewers):
    p = policy()
    q = _qualification(p, _check("auc", CheckStatus.FAIL))
    q = _sign(q, p, reviewers["security_lead"], "security_lead", Decision.REJECT)

    with pytest.raises(
        InvalidTransitionError, match=r"cannot waive a check\. Allowed from rejected: none"
    ):
        waive(q, p, reviewers["review_board"], "review_board", "auc", reason="ok", at=AT)


def test_withdraw_after_rejection_is_refused(policy, reviewers, submitter):
    p = policy()
    q = _sign(_qualification(p), p, reviewers["security_lead"], "security_lead", Decision.REJECT)

    with pytest.raises(InvalidTransitionError, match="cannot move to withdrawn"):
        withdraw(q, submitter, reason="changed my mind")


# Approval


def test_sign_every_role_approved_with_passing_checks_approves(policy, reviewers):
    p = policy()

    q = _approved(p, reviewers, _check("auc"), _check("code_env"))

    assert q.state is S.APPROVED


def test_sign_approval_event_binds_fingerprint_and_policy_hash(policy, reviewers):
    p = policy()
    q = _sign_roles(_qualification(p), p, reviewers, ROLES[:3])

    step = sign(
        q, p, reviewers["ml_engineer"], "ml_engineer", Decision.APPROVE, comment="ok", at=AT
    )

    last = step.events[-1].payload
    assert (last["to"], last["fingerprint"], last["policy_hash"]) == (
        "approved",
        FINGERPRINT,
        p.content_hash,
    )


@pytest.mark.parametrize("missing", ROLES)
def test_sign_one_role_missing_stays_in_review(policy, reviewers, missing):
    p = policy()
    roles = tuple(r for r in ROLES if r != missing)

    q = _sign_roles(_qualification(p), p, reviewers, roles)

    assert q.state is S.IN_REVIEW


def test_outstanding_one_role_missing_names_it(policy, reviewers):
    p = policy()
    q = _sign_roles(_qualification(p), p, reviewers, ROLES[:3])

    assert outstanding(q, p) == ("ML Engineer sign-off missing",)


@pytest.mark.parametrize("status", [CheckStatus.FAIL, CheckStatus.ERROR])
def test_sign_all_roles_with_blocking_problem_stays_in_review(policy, reviewers, status):
    p = policy()

    q = _approved(p, reviewers, _check("auc", status))

    assert q.state is S.IN_REVIEW


def test_outstanding_failing_blocking_check_lists_its_explanation(policy, reviewers):
    p = policy()

    q = _approved(p, reviewers, _check("auc", CheckStatus.FAIL))

    assert outstanding(q, p) == ("auc is fail",)


@pytest.mark.parametrize("status", [CheckStatus.WARN, CheckStatus.NOT_APPLICABLE])
def test_sign_all_roles_with_non_failing_status_approves(policy, reviewers, status):
    p = policy()

    assert _approved(p, reviewers, _check("auc", status)).state is S.APPROVED


def test_sign_all_roles_with_failing_non_blocking_check_approves(policy, reviewers):
    p = policy()

    q = _approved(p, reviewers, _check("latency", CheckStatus.FAIL, is_blocking=False))

    assert q.state is S.APPROVED


def test_sign_all_roles_with_undefined_check_approves_when_policy_allows(policy, reviewers):
    p = policy(allow_undefined_checks=True)

    assert _approved(p, reviewers, _check("auc", CheckStatus.ERROR)).state is S.APPROVED


def test_sign_custom_roles_only_those_roles_are_required(policy, principal):
    p = policy(governance_roles=["security_lead"])
    q = _sign(_qualification(p), p, principal("rita", "review_board"), "review_board")

    q = _sign(q, p, principal("sam", "security_lead"), "security_lead")

    assert q.state is S.APPROVED


# Waivers


def test_waive_failing_check_as_last_blocker_approves(policy, reviewers):
    p = policy()
    q = _approved(p, reviewers, _check("auc", CheckStatus.FAIL))

    q = waive(
        q, p, reviewers["review_board"], "review_board", "auc", reason="business case", at=AT
    ).qualification

    assert q.state is S.APPROVED


def test_waive_records_actor_role_and_reason(policy, reviewers):
    p = policy()
    q = _qualification(p, _check("auc", CheckStatus.FAIL))

    q = waive(
        q, p, reviewers["review_board"], "review_board", "auc", reason=" accepted ", at=AT
    ).qualification

    waiver = q.waiver_for("auc")
    assert (waiver.actor, waiver.role, waiver.reason) == ("rita.board", "review_board", "accepted")


def test_waive_first_action_moves_pending_to_in_review(policy, reviewers):
    p = policy()
    q = _qualification(p, _check("auc", CheckStatus.FAIL))

    q = waive(q, p, reviewers["review_board"], "review_board", "auc", reason="ok", at=AT)

    assert q.qualification.state is S.IN_REVIEW


def test_waive_undefined_check_is_accepted(policy, reviewers):
    p = policy()
    q = _qualification(p, _check("auc", CheckStatus.ERROR))

    step = waive(q, p, reviewers["review_board"], "review_board", "auc", reason="ok", at=AT)

    assert step.qualification.waiver_for("auc") is not None


def test_waive_by_role_outside_waiver_roles_is_refused_naming_waiver_roles(policy, reviewers):
    p = policy()
    q = _qualification(p, _check("auc", CheckStatus.FAIL))

    with pytest.raises(
        AuthorizationError,
        match=r"may not waive checks as Data Steward; waivers need one of Architecture Review",
    ):
        waive(q, p, reviewers["data_steward"], "data_steward", "auc", reason="ok", at=AT)


def test_waive_as_waiver_role_not_held_is_refused(policy, reviewers):
    p = policy()
    q = _qualification(p, _check("auc", CheckStatus.FAIL))

    with pytest.raises(AuthorizationError, match=r"dan\.steward may not waive checks as Arch"):
        waive(q, p, reviewers["data_steward"], "review_board", "auc", reason="ok", at=AT)


@pytest.mark.parametrize("reason", ["", "  "])
def test_waive_without_reason_is_refused_with_fix(policy, reviewers, reason):
    p = policy()
    q = _qualification(p, _check("auc", CheckStatus.FAIL))

    with pytest.raises(ValidationError, match="reason: is empty; justify it"):
        waive(q, p, reviewers["review_board"], "review_board", "auc", reason=reason, at=AT)


def test_waive_non_waivable_check_is_refused_with_fix(policy, reviewers):
    p = policy()
    q = _qualification(p, _check("sensitive_data", CheckStatus.FAIL))

    with pytest.raises(
        AuthorizationError,
        match="check sensitive_data cannot be waived under this policy; fix the candidate",
    ):
        waive(q, p, reviewers["review_board"], "review_board", "sensitive_data", reason="x", at=AT)


def test_waive_by_submitter_is_refused(policy, submitter):
    p = policy()
    q = _qualification(p, _check("auc", CheckStatus.FAIL))

    with pytest.raises(
        AuthorizationError, match=r"sue\.scientist submitted .* may not waive its checks"
    ):
        waive(q, p, submitter, "review_board", "auc", reason="mine is fine", at=AT)


@pytest.mark.parametrize(
    "checks",
    [
        (_check("auc", CheckStatus.PASS),),
        (_check("auc", CheckStatus.FAIL, is_blocking=False),),
        (),
    ],
)
def test_waive_check_that_does_not_block_is_refused(policy, reviewers, checks):
    p = policy()
    q = _qualification(p, *checks)

    with pytest.raises(
        ValidationError, match=r"check_id: 'auc' is not a failing blocking check .* only failing"
    ):
        waive(q, p, reviewers["review_board"], "review_board", "auc", reason="ok", at=AT)


def test_waive_same_check_twice_is_a_conflict(policy, reviewers, principal):
    p = policy()
    q = _qualification(p, _check("auc", CheckStatus.FAIL))
    q = waive(q, p, reviewers["review_board"], "review_board", "auc", reason="ok", at=AT)

    with pytest.raises(ConflictError, match="check auc is already waived"):
        waive(
            q.qualification,
            p,
            principal("rob.board", "review_board"),
            "review_board",
            "auc",
            reason="ok",
            at=AT,
        )


# Withdraw and revoke


@pytest.mark.parametrize("signed", [(), ("data_steward",)])
def test_withdraw_by_submitter_while_open_ends_qualification(policy, reviewers, submitter, signed):
    p = policy()
    q = _sign_roles(_qualification(p), p, reviewers, signed)

    assert withdraw(q, submitter, reason="found a leak").qualification.state is S.WITHDRAWN


def test_withdraw_by_reviewer_is_refused_naming_submitter(policy, reviewers):
    p = policy()

    with pytest.raises(
        AuthorizationError, match=r"only the submitter sue\.scientist may withdraw it"
    ):
        withdraw(_qualification(p), reviewers["review_board"], reason="no")


def test_withdraw_without_reason_is_refused(policy, submitter):
    with pytest.raises(ValidationError, match="reason: is empty; say why"):
        withdraw(_qualification(policy()), submitter, reason="")


def test_withdraw_after_approval_is_refused_naming_allowed_state(policy, reviewers, submitter):
    p = policy()
    q = _approved(p, reviewers)

    with pytest.raises(
        InvalidTransitionError,
        match=r"is approved: cannot move to withdrawn\. Allowed from approved: revoked\.",
    ):
        withdraw(q, submitter, reason="oops")


def test_sign_after_withdrawal_is_refused(policy, reviewers, submitter):
    p = policy()
    q = withdraw(_qualification(p), submitter, reason="found a leak").qualification

    with pytest.raises(InvalidTransitionError, match="Allowed from withdrawn: none"):
        _sign(q, p, reviewers["review_board"], "review_board")


def test_revoke_approved_by_role_holder_moves_to_revoked(policy, reviewers):
    p = policy()
    q = _approved(p, reviewers)

    step = revoke(q, p, reviewers["data_steward"], reason="bias alert")

    assert step.qualification.state is S.REVOKED
    assert step.events[0].payload["reason"] == "bias alert"


def test_revoke_by_system_principal_is_accepted(policy, reviewers, principal):
    p = policy()
    q = _approved(p, reviewers)

    step = revoke(q, p, principal("monitor", is_system=True), reason="bias alert")

    assert step.qualification.state is S.REVOKED


def test_revoke_by_principal_without_signoff_role_is_refused(policy, reviewers, principal):
    p = policy()
    q = _approved(p, reviewers)

    with pytest.raises(
        AuthorizationError, match=r"holds no sign-off role; only Architecture Review Board, Data"
    ):
        revoke(q, p, principal("ivan.intern"), reason="dislike")


def test_revoke_open_qualification_is_refused_naming_allowed_states(policy, reviewers):
    p = policy()
    q = _sign(_qualification(p), p, reviewers["data_steward"], "data_steward")

    with pytest.raises(
        InvalidTransitionError,
        match=r"Allowed from in_review: approved, rejected, withdrawn\.",
    ):
        revoke(q, p, reviewers["review_board"], reason="changed")


def test_revoke_twice_is_refused(policy, reviewers):
    p = policy()
    q = revoke(_approved(p, reviewers), p, reviewers["review_board"], reason="x").qualification

    with pytest.raises(InvalidTransitionError, match="Allowed from revoked: none"):
        revoke(q, p, reviewers["review_board"], reason="again")


# Transition table and re-runs


def test_transition_move_not_in_table_is_refused_naming_allowed(policy):
    with pytest.raises(InvalidTransitionError, match="Allowed from pending: in_review, withdrawn"):
        transition(_qualification(policy()), S.APPROVED)


def test_invalid_transition_error_carries_states(policy):
    with pytest.raises(InvalidTransitionError) as caught:
        transition(_qualification(policy()), S.APPROVED)

    assert (caught.value.current, caught.value.allowed) == ("pending", ("in_review", "withdrawn"))


@pytest.mark.parametrize("final", [S.REJECTED, S.WITHDRAWN, S.REVOKED])
def test_transitions_final_states_lead_nowhere(final):
    assert TRANSITIONS[final] == ()


def test_replace_checks_now_passing_approves_signed_qualification(policy, reviewers):
    p = policy()
    q = _approved(p, reviewers, _check("auc", CheckStatus.FAIL))

    q = replace_checks(q, p, [_check("auc", CheckStatus.PASS)]).qualification

    assert q.state is S.APPROVED


def test_replace_checks_on_pending_keeps_state_and_stores_checks(policy):
    p = policy()

    q = replace_checks(_qualification(p), p, [_check("auc", CheckStatus.FAIL)]).qualification

    assert (q.state, [c.check_id for c in q.checks]) == (S.PENDING, ["auc"])


def test_replace_checks_on_approved_is_refused(policy, reviewers):
    p = policy()

    with pytest.raises(InvalidTransitionError, match="cannot re-run its checks"):
        replace_checks(_approved(p, reviewers), p, [])


# Gate decision


def test_gate_decision_without_qualification_is_closed_with_fix(policy):
    decision = gate_decision(None, policy(), FINGERPRINT)

    assert (decision.is_open, decision.reasons) == (
        False,
        ("no qualification exists for this version; submit it",),
    )


def test_gate_decision_approved_same_fingerprint_and_policy_is_open(policy, reviewers):
    p = policy()

    decision = gate_decision(_approved(p, reviewers), p, FINGERPRINT)

    assert (decision.is_open, decision.reasons, decision.qualification_id) == (
        True,
        (),
        "Q-000001",
    )


@pytest.mark.parametrize("fingerprint", [OTHER_FINGERPRINT, FINGERPRINT[:-1] + "0", ""])
def test_gate_decision_other_fingerprint_is_closed_saying_version_changed(
    policy, reviewers, fingerprint
):
    p = policy()

    decision = gate_decision(_approved(p, reviewers), p, fingerprint)

    assert not decision.is_open
    assert decision.reasons[0].startswith("the version changed since it was reviewed")


def test_gate_decision_policy_changed_is_closed_saying_rerun_checks(policy, reviewers):
    q = _approved(policy(), reviewers)

    decision = gate_decision(q, policy(max_ks_drift=0.2), FINGERPRINT)

    assert not decision.is_open
    assert decision.reasons[0].startswith("the policy changed since the review")
    assert decision.reasons[0].endswith("re-run the checks under the current policy")


def test_gate_decision_lists_every_reason(policy, reviewers):
    p = policy()
    q = _sign(_qualification(p), p, reviewers["data_steward"], "data_steward")

    decision = gate_decision(q, policy(min_auc=0.95), OTHER_FINGERPRINT)

    reasons = decision.reasons
    assert reasons[0] == "qualification Q-000001 (claims-fraud v1) is in_review, not approved"
    assert reasons[1:4] == (
        "Architecture Review Board sign-off missing",
        "Security Lead sign-off missing",
        "ML Engineer sign-off missing",
    )
    assert reasons[4].startswith("the version changed since it was reviewed")
    assert reasons[5].startswith("the policy changed since the review")
    assert len(reasons) == 6


@pytest.mark.parametrize("state", [S.PENDING, S.REJECTED, S.WITHDRAWN, S.REVOKED])
def test_gate_decision_not_approved_is_closed_naming_state(policy, state):
    p = policy()

    decision = gate_decision(_qualification(p, state=state), p, FINGERPRINT)

    assert decision.reasons[0] == (
        f"qualification Q-000001 (claims-fraud v1) is {state.value}, not approved"
    )


# Fast track


def test_grant_by_rule_grants_only_the_policys_roles(policy):
    p = policy()

    q = grant_by_rule(_qualification(p), p, reasons=["same features"], at=AT).qualification

    assert [(s.role, s.actor) for s in q.signoffs] == [("review_board", FAST_TRACK_ACTOR)]


def test_grant_by_rule_leaves_governance_roles_to_humans(policy):
    p = policy()

    q = grant_by_rule(_qualification(p), p, reasons=["same features"], at=AT).qualification

    assert (q.state, outstanding(q, p)) == (
        S.IN_REVIEW,
        (
            "Data Steward sign-off missing",
            "Security Lead sign-off missing",
            "ML Engineer sign-off missing",
        ),
    )


def test_grant_by_rule_then_human_governance_signoffs_approve(policy, reviewers):
    p = policy()
    q = grant_by_rule(_qualification(p), p, reasons=["same features"], at=AT).qualification

    q = _sign_roles(q, p, reviewers, ROLES[1:])

    assert (q.state, q.is_fast_track) == (S.APPROVED, True)


def test_grant_by_rule_signoff_is_marked_by_rule_with_reasons(policy):
    p = policy()

    q = grant_by_rule(_qualification(p), p, reasons=["AUC within 0.01"], at=AT).qualification

    board = q.signoff_for("review_board")
    assert board.is_by_rule
    assert board.comment.endswith("AUC within 0.01")


def test_grant_by_rule_policy_granting_more_roles_grants_them(policy):
    p = policy(fast_track={"roles_granted": ["review_board", "ml_engineer"]})

    q = grant_by_rule(_qualification(p), p, reasons=["same"], at=AT).qualification

    assert {s.role for s in q.signoffs} == {"review_board", "ml_engineer"}


def test_grant_by_rule_keeps_a_human_signoff_already_given(policy, reviewers):
    p = policy()
    q = _sign(_qualification(p), p, reviewers["review_board"], "review_board")

    q = grant_by_rule(q, p, reasons=["same"], at=AT).qualification

    assert [s.actor for s in q.signoffs] == ["rita.board"]


def test_grant_by_rule_disabled_fast_track_is_refused(policy):
    p = policy(fast_track={"enabled": False})

    with pytest.raises(
        AuthorizationError, match="fast track is disabled; every role must sign in person"
    ):
        grant_by_rule(_qualification(p), p, reasons=["same"], at=AT)


def test_grant_by_rule_on_closed_qualification_is_refused(policy, submitter):
    p = policy()
    q = withdraw(_qualification(p), submitter, reason="x").qualification

    with pytest.raises(InvalidTransitionError, match="cannot grant a fast-track sign-off"):
        grant_by_rule(q, p, reasons=["same"], at=AT)


def test_sign_role_granted_by_rule_is_a_conflict(policy, reviewers):
    p = policy()
    q = grant_by_rule(_qualification(p), p, reasons=["same"], at=AT).qualification

    with pytest.raises(ConflictError, match="already given by rule:fast-track"):
        _sign(q, p, reviewers["review_board"], "review_board")


@pytest.mark.parametrize(
    ("role", "label"),
    [("security_lead", "Security Lead"), ("review_board", "Architecture Review Board")],
)
def test_role_label_known_role_uses_process_name(role, label):
    assert role_label(role) == label


def test_role_label_unknown_role_is_title_cased():
    assert role_label("model_owner") == "Model Owner"
