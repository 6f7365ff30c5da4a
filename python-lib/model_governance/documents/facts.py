"""The facts each model document states, as plain JSON-able dictionaries.

The JSON form of a document is exactly these facts; the HTML form renders the same
facts through a template, so both carry the same content. Only evidence fields enter:
evidence never holds sampled data values, so neither do the documents.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from model_governance.core.checks import CheckResult, disparate_impact_of
from model_governance.core.compare import falls_below
from model_governance.core.errors import UndefinedMetricError, ValidationError
from model_governance.core.evidence import Evidence, ExperimentRun, FairnessEvidence
from model_governance.core.hashing import canonical_value, to_utc_iso
from model_governance.core.metrics.ranking import RocCurve
from model_governance.core.policy import Policy
from model_governance.core.workflow import (
    OPEN_STATES,
    GateDecision,
    Qualification,
    SignOff,
    Waiver,
    outstanding,
    role_label,
)

__all__ = [
    "FACTS_FORMAT",
    "experiment_summary_facts",
    "model_card_facts",
    "review_packet_facts",
]

FACTS_FORMAT = 1
"""Version of the documents' JSON layout; raised when a key changes meaning."""


def model_card_facts(
    evidence: Evidence,
    qualification: Qualification,
    policy: Policy,
    *,
    roc: RocCurve | None = None,
    drift: Mapping[str, float] | None = None,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """Purpose, lineage, features, performance, bias, checks, limitations, approvals."""
    d = evidence.description
    facts = _header("model_card", evidence, qualification, policy, generated_at)
    facts.update(
        use={
            "purpose": d.purpose,
            "business_kpi": d.business_kpi,
            "intended_use": d.intended_use,
            "out_of_scope_use": d.out_of_scope_use,
        },
        lineage=_lineage(evidence),
        features=[{"name": f.name, "role": f.role, "kind": f.kind} for f in evidence.features],
        performance={"metrics": _sorted(evidence.metrics), "roc": _roc(evidence, roc)},
        drift=_drift(evidence, policy, drift),
        bias=_bias(evidence, policy),
        checks=[_check(c, qualification) for c in qualification.checks],
        known_limitations=list(d.known_limitations),
        approvals=_approvals(qualification, policy),
    )
    return _plain(facts)


def experiment_summary_facts(
    evidence: Evidence,
    qualification: Qualification,
    policy: Policy,
    *,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """The runs compared during development and the run chosen, with why."""
    runs = [_run(r) for r in evidence.experiments]
    facts = _header("experiment_summary", evidence, qualification, policy, generated_at)
    facts.update(
        runs=runs,
        metric_names=sorted({name for r in evidence.experiments for name in r.metrics}),
        chosen=[r for r in runs if r["is_chosen"]],
        candidate_metrics=_sorted(evidence.metrics),
    )
    return _plain(facts)


def review_packet_facts(
    evidence: Evidence,
    qualification: Qualification,
    policy: Policy,
    decision: GateDecision,
    *,
    generated_at: datetime | None = None,
) -> dict[str, Any]:
    """What the review board judges: intent, plans, checklist, gate and sign-offs."""
    d = evidence.description
    facts = _header("review_packet", evidence, qualification, policy, generated_at)
    facts.update(
        submission={
            "purpose": d.purpose,
            "business_kpi": d.business_kpi,
            "scalability_plan": d.scalability_plan,
            "rollback_strategy": d.rollback_strategy,
        },
        checklist=[_check(c, qualification) for c in qualification.checks],
        gate={"is_open": decision.is_open, "reasons": list(decision.reasons)},
        approvals=_approvals(qualification, policy),
    )
    return _plain(facts)


def _header(
    kind: str,
    evidence: Evidence,
    q: Qualification,
    policy: Policy,
    generated_at: datetime | None,
) -> dict[str, Any]:
    if (q.model_id, q.version) != (evidence.model_id, evidence.version):
        raise ValidationError(
            f"evidence: it describes {evidence.model_id} {evidence.version}, but {q.label} "
            "is about another version; render the documents with the qualification's own "
            "evidence."
        )
    return {
        "document": {"kind": kind, "format": FACTS_FORMAT},
        "generated_at": to_utc_iso(generated_at) if generated_at else None,
        "model": {
            "model_id": evidence.model_id,
            "version": evidence.version,
            "semver": evidence.semver,
            "semantic_tag": evidence.semantic_tag,
            "model_name": evidence.model_name,
            "project_key": evidence.project_key,
            "code_env": evidence.code_env,
        },
        "qualification": {
            "qualification_id": q.qualification_id,
            "state": q.state.value,
            "submitter": q.submitter,
            "is_fast_track": q.is_fast_track,
        },
        "evidence": {"fingerprint": evidence.fingerprint, "reviewed_fingerprint": q.fingerprint},
        "policy": {
            "version": policy.version,
            "hash": policy.content_hash,
            "reviewed_hash": q.policy_hash,
        },
    }


def _lineage(evidence: Evidence) -> dict[str, Any]:
    return {
        "project_key": evidence.project_key,
        "training_dataset": evidence.training_dataset,
        "schema": [
            {"name": c.name, "type": c.type, "tags": list(c.tags), "meaning": c.meaning}
            for c in evidence.training_schema
        ],
        "artifact_hashes": _sorted(evidence.artifact_hashes),
    }


def _roc(evidence: Evidence, roc: RocCurve | None) -> dict[str, Any] | None:
    if roc is None:
        return None
    fpr, tpr = [float(v) for v in roc.fpr], [float(v) for v in roc.tpr]
    if len(fpr) != len(tpr):
        raise ValidationError(
            f"roc: fpr has {len(fpr)} points but tpr has {len(tpr)}; pass one curve's points."
        )
    return {"auc": evidence.metrics.get("auc"), "fpr": fpr, "tpr": tpr}


def _drift(
    evidence: Evidence, policy: Policy, drift: Mapping[str, float] | None
) -> dict[str, Any] | None:
    if drift is None:
        return None
    threshold, _ = policy.threshold_for(evidence.model_id, "max_ks_drift")
    for feature, value in drift.items():
        if not math.isfinite(value):
            raise ValidationError(
                f"drift.{feature}: {value} is not a finite KS statistic; leave the feature "
                "out or pass its measured value."
            )
    features = [
        {"feature": name, "ks_statistic": float(drift[name]), "is_over": drift[name] > threshold}
        for name in sorted(drift)
    ]
    return {"statistic": "ks", "threshold": threshold, "features": features}


def _bias(evidence: Evidence, policy: Policy) -> dict[str, Any]:
    threshold, _ = policy.threshold_for(evidence.model_id, "min_disparate_impact")
    return {
        "threshold": threshold,
        "min_group_size": policy.min_group_size,
        "attributes": [_attribute(f, policy.min_group_size, threshold) for f in evidence.fairness],
    }


def _attribute(fairness: FairnessEvidence, min_size: int, threshold: float) -> dict[str, Any]:
    # The same kernel as the disparate-impact check, so card and checklist agree.
    try:
        result = disparate_impact_of(fairness, min_size)
    except UndefinedMetricError:
        result = None
    per_group = {g.group: g for g in result.groups} if result else {}
    groups = [
        {
            "group": g.group,
            "size": g.size,
            "favourable": g.favourable,
            "rate": g.favourable / g.size if g.size else None,
            "disparate_impact": per_group[g.group].ratio if g.group in per_group else None,
            "is_insufficient": g.size < min_size,
        }
        for g in fairness.groups
    ]
    ratio = result.ratio if result else None
    return {
        "attribute": fairness.attribute,
        "favourable_outcome": fairness.favourable_outcome,
        "disparate_impact": ratio,
        "is_below_threshold": ratio is not None and falls_below(ratio, threshold),
        "groups": groups,
        "insufficient_groups": sorted(g.group for g in fairness.groups if g.size < min_size),
    }


def _check(check: CheckResult, q: Qualification) -> dict[str, Any]:
    return {
        "check_id": check.check_id,
        "title": check.title,
        "status": check.status.value,
        "is_blocking": check.is_blocking,
        "measured": check.measured,
        "threshold": check.threshold,
        "explanation": check.explanation,
        "evidence_refs": list(check.evidence_refs),
        "waiver": _waiver(q.waiver_for(check.check_id)),
    }


def _waiver(waiver: Waiver | None) -> dict[str, Any] | None:
    if waiver is None:
        return None
    return {
        "actor": waiver.actor,
        "role": waiver.role,
        "role_label": role_label(waiver.role),
        "reason": waiver.reason,
        "waived_at": to_utc_iso(waiver.waived_at),
    }


def _approvals(q: Qualification, policy: Policy) -> dict[str, Any]:
    roles = list(policy.required_roles)
    roles += [s.role for s in q.signoffs if s.role not in roles]
    return {
        "panel": [
            {"role": r, "role_label": role_label(r), "signoff": _signoff(q.signoff_for(r))}
            for r in roles
        ],
        "missing_roles": [
            {"role": r, "role_label": role_label(r)}
            for r in policy.required_roles
            if q.signoff_for(r) is None
        ],
        "outstanding": list(outstanding(q, policy)) if q.state in OPEN_STATES else [],
    }


def _signoff(signoff: SignOff | None) -> dict[str, Any] | None:
    if signoff is None:
        return None
    return {
        "actor": signoff.actor,
        "decision": signoff.decision.value,
        "comment": signoff.comment,
        "signed_at": to_utc_iso(signoff.signed_at),
        "by_rule": signoff.is_by_rule,
    }


def _run(run: ExperimentRun) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "algorithm": run.algorithm,
        "params": _sorted(run.params),
        "metrics": _sorted(run.metrics),
        "is_chosen": run.is_chosen,
        "note": run.note,
    }


def _sorted(mapping: Mapping[str, Any]) -> dict[str, Any]:
    return {k: mapping[k] for k in sorted(mapping)}


def _plain(facts: dict[str, Any]) -> dict[str, Any]:
    # One spelling per value (tuples as lists, -0.0 as 0.0), refusing NaN, so that the
    # HTML and the canonical JSON are built from identical values.
    plain: dict[str, Any] = canonical_value(facts, path="document")
    return plain
