"""Random review sequences never break the workflow's invariants.

Actions (sign-offs for random roles by random people, including the submitter, waivers,
withdrawals, revocations and re-runs with random check outcomes) are applied through the
pure workflow functions; refusals are caught. After every step the invariants hold:

- a state change follows the transition table, one listed move at a time;
- APPROVED needs every required role approved by distinct people other than the
  submitter, and every blocking check passed or waived;
- REJECTED, WITHDRAWN and REVOKED never change again;
- the gate opens only for the approved fingerprint.

A second test drives the same kind of sequence through the service and an in-memory
ledger, and checks that the ledger holds what the pure model computes and that the
audit chain verifies after every step.
"""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import event, given, settings
from hypothesis import strategies as st

from model_governance.core.checks import CheckResult, CheckStatus
from model_governance.core.errors import GovernanceError
from model_governance.core.evidence import parse_evidence
from model_governance.core.policy import parse_policy
from model_governance.core.workflow import (
    TRANSITIONS,
    Decision,
    Principal,
    Qualification,
    QualificationState,
    gate_decision,
    replace_checks,
    revoke,
    sign,
    transition,
    waive,
    withdraw,
)
from model_governance.ledger import Ledger
from model_governance.services import GovernanceService

S = QualificationState
AT = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
FINGERPRINT = "f" * 64
ROLES = ("review_board", "data_steward", "security_lead", "ml_engineer")
SUBMITTER = "sue"
USERS = (SUBMITTER, "ann", "bob", "cai", "dee")
CHECK_IDS = ("auc", "code_env", "sensitive_data", "rollback")
FINAL = (S.REJECTED, S.WITHDRAWN, S.REVOKED)
POLICIES = {
    is_allowed: parse_policy({"allow_undefined_checks": is_allowed}) for is_allowed in (False, True)
}

hex_digests = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)


def _check(check_id, outcome):
    status, is_blocking = outcome
    return CheckResult(check_id, check_id, status, is_blocking, f"{check_id} {status.value}")


# Each check is absent or has a random outcome (mostly a pass) and blocking flag.
statuses = st.sampled_from([CheckStatus.PASS] * 3 + list(CheckStatus))
checks = st.tuples(*(st.none() | st.tuples(statuses, st.booleans()) for _ in CHECK_IDS)).map(
    lambda outcomes: tuple(_check(i, o) for i, o in zip(CHECK_IDS, outcomes) if o)
)
users = st.sampled_from(USERS)
# Approvals and usable comments outnumber the rest so that many reviews complete.
decisions = st.sampled_from([Decision.APPROVE] * 9 + [Decision.REJECT])
texts = st.sampled_from(["ok"] * 8 + ["", "  "])
FULL_KINDS = ("sign",) * 8 + ("waive",) * 3 + ("withdraw", "revoke", "rerun")


@st.composite
def scenarios(draw, *, kinds=FULL_KINDS, max_actions=30):
    """People with roles, and a sequence of review actions among them."""
    # Roles usually go to four distinct reviewers; sometimes one goes to anyone,
    # the submitter included, and people may hold extra roles.
    holders = dict(zip(ROLES, draw(st.permutations(USERS[1:]))))
    if draw(st.booleans()):
        holders[draw(st.sampled_from(ROLES))] = draw(users)
    extra = st.frozensets(st.sampled_from((*ROLES, "auditor")), max_size=2)
    who = {}
    for user in USERS:
        held = {role for role, holder in holders.items() if holder == user}
        who[user] = Principal(user, frozenset(held | draw(extra)))
    # Sign-offs mostly walk through the roles in some order, as a real review does.
    order, signed = draw(st.permutations(ROLES)), 0
    sequence = []
    for _ in range(draw(st.integers(min(4, max_actions), max_actions))):
        kind = draw(st.sampled_from(kinds))
        if kind == "sign":
            role = draw(st.sampled_from([order[signed % len(ROLES)]] * 3 + [*ROLES, "cfo"]))
            signed += 1
            user = draw(st.sampled_from([holders.get(role, SUBMITTER)] * 8 + list(USERS)))
            sequence.append((kind, user, role, draw(decisions), draw(texts)))
        elif kind == "waive":
            role = draw(st.sampled_from(("review_board",) * 3 + ROLES))
            user = draw(st.sampled_from([holders[role]] * 3 + list(USERS)))
            sequence.append((kind, user, role, draw(st.sampled_from(CHECK_IDS)), draw(texts)))
        elif kind == "rerun":
            sequence.append((kind, draw(checks)))
        else:
            sequence.append((kind, draw(users), draw(texts)))
    return who, sequence


def _act(q, policy, who, action):
    """Apply one action through the pure workflow; refusals raise."""
    kind, *args = action
    if kind == "sign":
        user, role, decision, comment = args
        return sign(q, policy, who[user], role, decision, comment=comment, at=AT)
    if kind == "waive":
        user, role, check_id, reason = args
        return waive(q, policy, who[user], role, check_id, reason=reason, at=AT)
    if kind == "withdraw":
        return withdraw(q, who[args[0]], reason=args[1])
    if kind == "revoke":
        return revoke(q, policy, who[args[0]], reason=args[1])
    return replace_checks(q, policy, args[0])


def _apply(q, policy, who, action):
    """Apply one action; return the Step, or None when the workflow refused it."""
    try:
        return _act(q, policy, who, action)
    except GovernanceError:
        return None


def _assert_moves_follow_table(before, step):
    moves = [
        (S(e.payload["from"]), S(e.payload["to"]))
        for e in step.events
        if e.action == "qualification.state_changed"
    ]
    after = step.qualification.state
    if after is before.state:
        assert moves == []
        return
    assert moves[0][0] is before.state
    assert moves[-1][1] is after
    for (_, target), (next_source, _) in zip(moves, moves[1:]):
        assert target is next_source
    assert all(target in TRANSITIONS[source] for source, target in moves)


def _assert_approval_earned(q, policy, who):
    approvals = [s for s in q.signoffs if s.decision is Decision.APPROVE]
    assert {s.role for s in approvals} >= set(policy.required_roles)
    actors = [s.actor for s in q.signoffs]
    assert len(actors) == len(set(actors))
    assert SUBMITTER not in actors
    assert all(s.role in who[s.actor].roles for s in q.signoffs)
    for check in q.checks:
        if check.is_blocking_problem:
            is_excused = check.status is CheckStatus.ERROR and policy.allow_undefined_checks
            assert is_excused or q.waiver_for(check.check_id) is not None


def _assert_waivers_authorised(q, policy, who):
    for w in q.waivers:
        assert w.actor != SUBMITTER
        assert w.role in policy.waiver_roles
        assert w.role in who[w.actor].roles
        assert w.check_id not in policy.non_waivable_checks


def _assert_gate(q, policy, other):
    assert not gate_decision(q, policy, other).is_open
    assert gate_decision(q, policy, q.fingerprint).is_open is (q.state is S.APPROVED)


@settings(max_examples=150, deadline=None)
@given(
    scenario=scenarios(),
    initial_checks=checks,
    is_undefined_allowed=st.booleans(),
    other=hex_digests.filter(lambda h: h != FINGERPRINT),
)
def test_workflow_random_actions_keep_every_invariant(
    scenario, initial_checks, is_undefined_allowed, other
):
    policy = POLICIES[is_undefined_allowed]
    who, sequence = scenario
    q = Qualification(
        "Q-1", "m", "v1", SUBMITTER, FINGERPRINT, policy.content_hash, checks=tuple(initial_checks)
    )
    reached = {q.state}
    _assert_gate(q, policy, other)
    for action in sequence:
        step = _apply(q, policy, who, action)
        if q.state in FINAL:
            assert step is None, f"{q.state.value} accepted {action[0]}"
            continue
        if step is None:
            continue
        _assert_moves_follow_table(q, step)
        q = step.qualification
        if q.state is S.APPROVED:
            _assert_approval_earned(q, policy, who)
        _assert_waivers_authorised(q, policy, who)
        _assert_gate(q, policy, other)
        reached.add(q.state)
    for state in sorted(reached):
        event(f"reached {state.value}")


@settings(max_examples=200, deadline=None)
@given(targets=st.lists(st.sampled_from(list(S)), max_size=12))
def test_transition_random_targets_never_leave_the_table(targets):
    policy = POLICIES[False]
    q = Qualification("Q-1", "m", "v1", SUBMITTER, FINGERPRINT, policy.content_hash)
    for target in targets:
        allowed = TRANSITIONS[q.state]
        try:
            q = transition(q, target).qualification
        except GovernanceError:
            assert target not in allowed
        else:
            assert target in allowed


# The same sequences through the service and a ledger

EVIDENCE = {
    "model_id": "claims-fraud",
    "version": "v1",
    "semver": "1.0",
    "project_key": "CLAIMS",
    "model_name": "Claims fraud detector",
    "metrics": {"auc": 0.93},
    "features": [{"name": "claim_amount"}, {"name": "is_fraud", "role": "target"}],
    "training_dataset": "claims_train",
    "training_schema": [{"name": "claim_amount", "type": "double"}],
    "fairness": [
        {
            "attribute": "age_group",
            "favourable_outcome": "not_flagged",
            "groups": [
                {"group": "young", "size": 100, "favourable": 90},
                {"group": "old", "size": 100, "favourable": 85},
            ],
        }
    ],
    "description": {"rollback_strategy": "undeploy"},
}


class _Clock:
    def __init__(self):
        self.ticks = 0

    def __call__(self):
        self.ticks += 1
        return datetime.fromtimestamp(1_709_283_600 + self.ticks, tz=timezone.utc)


def _call_service(service, qid, who, action):
    kind, *args = action
    if kind == "sign":
        user, role, decision, comment = args
        return service.sign(qid, who[user], role, decision, comment=comment)
    if kind == "waive":
        user, role, check_id, reason = args
        return service.waive(qid, who[user], role, check_id, reason=reason)
    if kind == "withdraw":
        return service.withdraw(qid, who[args[0]], reason=args[1])
    return service.revoke(qid, who[args[0]], reason=args[1])


def _outcome(call, *args):
    try:
        return call(*args), None
    except GovernanceError as exc:
        return None, type(exc)


def _comparable(q):
    return (
        q.state,
        q.is_fast_track,
        [(s.role, s.actor, s.decision, s.comment) for s in q.signoffs],
        [(w.check_id, w.actor, w.role, w.reason) for w in q.waivers],
    )


@settings(max_examples=25, deadline=None)
@given(
    scenario=scenarios(kinds=FULL_KINDS[:-1], max_actions=14),
    auc=st.sampled_from([0.95, 0.95, 0.85]),
    code_env=st.sampled_from(["python-3.11-deltadental"] * 2 + ["python-3.12-unapproved"]),
)
def test_service_random_actions_match_pure_model_and_chain_verifies(scenario, auc, code_env):
    ledger = Ledger.open("sqlite://")
    service = GovernanceService(ledger, POLICIES[False], clock=_Clock())
    evidence = parse_evidence({**EVIDENCE, "metrics": {"auc": auc}, "code_env": code_env})
    service.register(evidence, actor=SUBMITTER)
    service.record_rollback_drill(
        "claims-fraud", "v1", actor="ops", is_passed=True, target="", note="rehearsed"
    )
    model = service.submit("claims-fraud", "v1", actor=SUBMITTER).qualification
    who, sequence = scenario
    reached = {model.state}
    try:
        for action in sequence:
            qid = model.qualification_id
            _, service_error = _outcome(_call_service, service, qid, who, action)
            step, model_error = _outcome(_act, model, POLICIES[False], who, action)
            assert service_error is model_error
            if step is not None:
                model = step.qualification
            assert _comparable(ledger.get_qualification(model.qualification_id)) == (
                _comparable(model)
            )
            assert ledger.verify().is_intact
            reached.add(model.state)
        for state in sorted(reached):
            event(f"reached {state.value}")
        other = parse_evidence({**EVIDENCE, "metrics": {"auc": 0.99}, "code_env": code_env})
        assert not service.gate("claims-fraud", "v1", actor="ci", current=other).is_open
    finally:
        ledger.engine.dispose()
