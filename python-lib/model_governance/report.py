"""Plain-text and JSON renderings of qualifications, gate decisions and the audit."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from model_governance.core.audit import ChainVerification
from model_governance.core.hashing import to_utc_iso
from model_governance.core.policy import Policy
from model_governance.core.workflow import (
    OPEN_STATES,
    GateDecision,
    Qualification,
    outstanding,
    role_label,
)
from model_governance.evaluation import Evaluation, FeatureDrift
from model_governance.ledger import Ledger

_STATUS_MARK = {
    "pass": "PASS",
    "fail": "FAIL",
    "warn": "WARN",
    "not_applicable": "n/a ",
    "error": "ERR ",
}


_PAST = {"approve": "approved", "reject": "rejected"}


def qualification_to_dict(q: Qualification, policy: Policy) -> dict[str, Any]:
    """JSON form of a qualification with what it still needs."""
    return {
        "qualification_id": q.qualification_id,
        "model_id": q.model_id,
        "version": q.version,
        "state": q.state.value,
        "submitter": q.submitter,
        "fingerprint": q.fingerprint,
        "policy_hash": q.policy_hash,
        "is_fast_track": q.is_fast_track,
        "checks": [
            {
                "check_id": c.check_id,
                "title": c.title,
                "status": c.status.value,
                "is_blocking": c.is_blocking,
                "measured": c.measured,
                "threshold": c.threshold,
                "explanation": c.explanation,
                "waived": q.waiver_for(c.check_id) is not None,
            }
            for c in q.checks
        ],
        "signoffs": [
            {
                "role": s.role,
                "actor": s.actor,
                "decision": s.decision.value,
                "comment": s.comment,
                "signed_at": to_utc_iso(s.signed_at),
                "by_rule": s.is_by_rule,
            }
            for s in q.signoffs
        ],
        "waivers": [
            {
                "check_id": w.check_id,
                "actor": w.actor,
                "role": w.role,
                "reason": w.reason,
                "waived_at": to_utc_iso(w.waived_at),
            }
            for w in q.waivers
        ],
        "outstanding": list(outstanding(q, policy)) if q.state in OPEN_STATES else [],
    }


def describe_qualification(q: Qualification, policy: Policy) -> str:
    """A reviewer-readable summary: checks, sign-offs and what is still missing."""
    lines = [
        f"{q.qualification_id}  {q.model_id} {q.version}  state: {q.state.value.upper()}",
        f"  submitted by {q.submitter}; evidence fingerprint {q.fingerprint[:16]}…",
    ]
    lines.append("  checks:")
    for c in q.checks:
        waived = " (waived)" if q.waiver_for(c.check_id) else ""
        blocking = "" if c.is_blocking else " [advisory]"
        lines.append(
            f"    {_STATUS_MARK[c.status.value]} {c.check_id}{blocking}{waived}: {c.explanation}"
        )
    lines.append("  sign-offs:")
    for role in policy.required_roles:
        s = q.signoff_for(role)
        text = f"{_PAST[s.decision.value]} by {s.actor}: {s.comment}" if s else "missing"
        lines.append(f"    {role_label(role)}: {text}")
    if q.state in OPEN_STATES:
        lines.append("  still needed: " + ("; ".join(outstanding(q, policy)) or "nothing"))
    return "\n".join(lines)


def describe_gate(model_id: str, version: str, decision: GateDecision) -> str:
    """``OPEN``/``CLOSED`` with every reason."""
    if decision.is_open:
        return f"Gate OPEN for {model_id} {version} ({decision.qualification_id} approved)."
    reasons = "\n".join(f"  - {r}" for r in decision.reasons)
    return f"Gate CLOSED for {model_id} {version}:\n{reasons}"


def describe_verification(result: ChainVerification) -> str:
    """One line for an intact chain; the first broken event otherwise."""
    if result.is_intact:
        return (
            f"Audit chain intact: {result.events_checked} events, "
            f"head {result.head.seq} {result.head.hash[:16]}…"
        )
    return f"Audit chain BROKEN at event {result.first_bad_seq}: {result.reason}"


def audit_export_lines(ledger: Ledger) -> Iterator[str]:
    """Each audit event as one JSON line, in sequence order."""
    for event in ledger.iter_events():
        yield json.dumps(
            {
                "seq": event.seq,
                "occurred_at": to_utc_iso(event.occurred_at),
                "actor": event.actor,
                "action": event.action,
                "entity_type": event.entity_type,
                "entity_id": event.entity_id,
                "payload": event.payload,
                "prev_hash": event.prev_hash,
                "hash": event.hash,
            },
            sort_keys=True,
        )


def describe_drift(results: Sequence[FeatureDrift], policy: Policy) -> str:
    """A table of per-feature drift with the policy's limits."""
    lines = [
        f"{'feature':<24} {'kind':<11} {'method':<8} {'statistic':>9} {'p-value':>9} "
        f"{'missing Δ':>9}  drifted"
    ]
    for r in results:
        stat = "undefined" if r.statistic is None else f"{r.statistic:.4f}"
        p_value = "" if r.p_value is None else f"{r.p_value:.3g}"
        flag = "YES" if r.drifted else "no"
        lines.append(
            f"{r.feature:<24} {r.kind:<11} {r.method:<8} {stat:>9} {p_value:>9} "
            f"{r.missing_rate_change:>+9.3f}  {flag}"
        )
        if r.unseen_categories:
            unseen = ", ".join(f"{n} ({s:.1%})" for n, s in r.unseen_categories[:5])
            lines.append(f"{'':<24} unseen categories: {unseen}")
    lines.append(f"limits: KS {policy.max_ks_drift}, PSI {policy.max_psi}")
    return "\n".join(lines)


def describe_evaluation(result: Evaluation, policy: Policy) -> str:
    """AUC, drift summary and disparate impact of one evaluation."""
    auc = "undefined" if result.auc is None else f"{result.auc:.4f}"
    bound = f" (± {result.auc_error_bound:.2g})" if result.auc_error_bound else ""
    lines = [
        f"rows: {result.rows}",
        f"AUC: {auc}{bound} (alert below {policy.auc_alert_threshold})",
    ]
    if result.drift:
        max_ks = "n/a" if result.max_ks is None else f"{result.max_ks:.4f}"
        drifted = [d.feature for d in result.drift if d.drifted]
        lines.append(
            f"max KS: {max_ks} (limit {policy.max_ks_drift}); drifted: "
            + (", ".join(drifted) or "none")
        )
    for attribute, data in result.disparate_impact.items():
        ratio = data.get("ratio")
        text = "undefined" if ratio is None else f"{ratio:.3f}"
        lines.append(
            f"disparate impact {attribute}: {text} (minimum {policy.min_disparate_impact})"
        )
    lines.extend(f"note: {n}" for n in result.notes)
    return "\n".join(lines)
