"""What each page shows, assembled from the ledger's read models and the pure core.

Nothing here decides who may act: the sign-off panel's hints mirror the workflow's
rules so a reviewer knows what to expect, and the server enforces them on every POST.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from model_governance.core import workflow as wf
from model_governance.core.audit import ChainVerification
from model_governance.core.checks import CheckResult
from model_governance.core.policy import Policy
from model_governance.documents.render import format_value
from model_governance.ledger import Ledger, queries
from model_governance.webapp import monitoring

STATE_LABELS = {
    "pending": "Pending",
    "in_review": "In review",
    "approved": "Approved",
    "rejected": "Rejected",
    "revoked": "Revoked",
    "withdrawn": "Withdrawn",
}
STATUS_LABELS = {
    "pass": "Pass",
    "fail": "Fail",
    "warn": "Warning",
    "not_applicable": "N/A",
    "error": "Undecided",
}
DOCUMENT_LABELS = {
    "model_card": "Model card",
    "experiment_summary": "Experiment summary",
    "review_packet": "Review-board packet",
}
_HIDDEN_PAYLOAD_KEYS = frozenset({"model_id", "version", "policy_hash"})
_MAX_TEXT = 240


@dataclass(frozen=True)
class RoleChoice:
    """A role still to sign, and whether the viewer holds it."""

    role: str
    label: str
    is_held: bool


@dataclass(frozen=True)
class SignOffPanel:
    """The sign-off form: roles still open, the viewer's default and a hint."""

    choices: tuple[RoleChoice, ...]
    default_role: str
    hint: str
    is_expected_to_succeed: bool


def display_value(value: Any) -> str:
    """Short text for a measured value or threshold, as the documents print it."""
    return _clip(format_value(value))


def moment(value: str | datetime | None) -> str:
    """A UTC time as reviewers read it, to the minute."""
    if value is None:
        return "—"
    when = datetime.fromisoformat(value) if isinstance(value, str) else value
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def still_needed(q: wf.Qualification, policy: Policy) -> list[str]:
    """What keeps ``q`` from approval, or why it is closed."""
    if q.state in wf.OPEN_STATES:
        return list(wf.outstanding(q, policy))
    if q.state is wf.S.REJECTED:
        return [
            f"{wf.role_label(s.role)} rejected: {s.comment}"
            for s in q.signoffs
            if s.decision is wf.Decision.REJECT
        ]
    return []


def signoff_panel(
    q: wf.Qualification, policy: Policy, principal: wf.Principal
) -> SignOffPanel | None:
    """The sign-off form for an open qualification, None for a closed one."""
    if q.state not in wf.OPEN_STATES:
        return None
    open_roles = [r for r in policy.required_roles if q.signoff_for(r) is None]
    choices = tuple(RoleChoice(r, wf.role_label(r), r in principal.roles) for r in open_roles)
    held = [c.role for c in choices if c.is_held]
    already = next((s for s in q.signoffs if s.actor == principal.user), None)
    if principal.user == q.submitter:
        hint = "You submitted this qualification, so you may not sign it for any role."
    elif already is not None:
        hint = (
            f"You already signed as {wf.role_label(already.role)}; one person signs for one role."
        )
    elif not held:
        hint = "You hold none of the roles still to sign; the board will refuse a sign-off."
    else:
        hint = "You may sign as " + ", ".join(wf.role_label(r) for r in held) + "."
    expected = bool(held) and already is None and principal.user != q.submitter
    default = held[0] if held else (open_roles[0] if open_roles else "")
    return SignOffPanel(choices, default, hint, expected)


def check_rows(q: wf.Qualification) -> list[dict[str, Any]]:
    """The review-board checklist, one row per check."""
    return [_check_row(q, c) for c in q.checks]


def _check_row(q: wf.Qualification, check: CheckResult) -> dict[str, Any]:
    waiver = q.waiver_for(check.check_id)
    return {
        "check_id": check.check_id,
        "title": check.title,
        "status": check.status.value,
        "status_label": STATUS_LABELS.get(check.status.value, check.status.value),
        "is_blocking": check.is_blocking,
        "measured": display_value(check.measured),
        "threshold": display_value(check.threshold),
        "explanation": check.explanation,
        "evidence": list(check.evidence_refs),
        "waiver": waiver,
    }


def payload_summary(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The audit payload's fields worth reading, each clipped to a line or two."""
    rows = []
    for key, value in payload.items():
        if key in _HIDDEN_PAYLOAD_KEYS:
            continue
        rows.append((key, _clip(_payload_text(key, value))))
    return rows


def _payload_text(key: str, value: Any) -> str:
    if isinstance(value, str):
        is_digest = key.endswith(("fingerprint", "hash")) and len(value) > 16
        return value[:16] + "…" if is_digest else value
    if key == "checks" and isinstance(value, list):
        statuses = (
            f"{c.get('check_id')} {c.get('status')}" for c in value if isinstance(c, Mapping)
        )
        return ", ".join(statuses)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "; ".join(value) or "none"
    return json.dumps(value, sort_keys=True)


def chain_summary(result: ChainVerification | None) -> dict[str, Any]:
    """The audit chain's state in words."""
    if result is None:
        return {
            "state": "pending",
            "text": "The audit chain is being verified since the review board started; "
            "reload in a moment for the result.",
        }
    if result.is_intact:
        return {
            "state": "ok",
            "text": f"Audit chain intact: {result.events_checked} events verified up to event "
            f"{result.head.seq} (hash {result.head.hash[:16]}…).",
        }
    return {
        "state": "broken",
        "text": f"Audit chain BROKEN at event {result.first_bad_seq}: {result.reason}. Run "
        "`model-governance audit verify` and investigate before trusting any record.",
    }


def baseline_for(ledger: Ledger, model_id: str) -> monitoring.Baseline | None:
    """AUC and disparate impact recorded with the model's newest approval."""
    qid = queries.approved_qualification_id(ledger, model_id)
    if qid is None:
        return None
    q = ledger.get_qualification(qid)
    record = ledger.find_version(q.model_id, q.version)
    auc = record.evidence.metrics.get("auc") if record else None
    fairness = next((c for c in q.checks if c.check_id == "disparate_impact"), None)
    measured = fairness.measured if fairness is not None else None
    ratios = (
        {str(k): float(v) for k, v in measured.items() if isinstance(v, (int, float))}
        if isinstance(measured, Mapping)
        else {}
    )
    return monitoring.Baseline(qid, q.version, auc, ratios)


def document_links(ledger: Ledger, q: wf.Qualification) -> list[dict[str, Any]]:
    """For each document kind: the stored HTML (hash, author, time) if any."""
    stored = {
        d.kind: d
        for d in queries.document_index(ledger, q.model_id, q.version)
        if d.media_type == "text/html"
    }
    return [
        {"kind": kind, "label": label, "stored": stored.get(kind)}
        for kind, label in DOCUMENT_LABELS.items()
    ]


def evidence_facts(evidence: Any) -> list[tuple[str, str]]:
    """The model summary shown beside the documents."""
    description = evidence.description
    facts = [
        ("Model", f"{evidence.model_name} ({evidence.model_id} {evidence.version})"),
        ("Semantic tag", evidence.semantic_tag),
        ("Purpose", description.purpose or "—"),
        ("Business KPI", description.business_kpi or "—"),
        ("Rollback strategy", description.rollback_strategy or "—"),
        ("Training dataset", evidence.training_dataset),
        ("Code environment", evidence.code_env),
        ("Input features", str(len(evidence.input_features))),
        ("Metrics", display_value(dict(evidence.metrics))),
    ]
    return [(label, _clip(text)) for label, text in facts]


def needs_of(rows: Sequence[queries.QueueRow], policy: Policy) -> dict[str, list[str]]:
    """What each queued qualification still needs, by id."""
    return {r.qualification.qualification_id: still_needed(r.qualification, policy) for r in rows}


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"
