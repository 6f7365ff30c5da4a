"""The gate's checks: pure functions of (evidence, policy, history) returning results.

A failed check is data, never an exception. ``error`` means the check could not be
decided (for example an undefined metric); it blocks approval unless the policy allows
it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Optional

from model_governance.core.compare import exceeds, falls_below
from model_governance.core.errors import UndefinedMetricError
from model_governance.core.evidence import Evidence, FairnessEvidence
from model_governance.core.metrics.fairness import DisparateImpactResult, GroupOutcomeSummary
from model_governance.core.policy import Policy
from model_governance.core.sensitive import ColumnProfile, SensitiveFinding, scan_columns


class CheckStatus(str, Enum):
    """Outcome of one check."""

    PASS = "pass"  # noqa: S105 - an outcome name, not a password
    FAIL = "fail"
    WARN = "warn"
    NOT_APPLICABLE = "not_applicable"
    ERROR = "error"


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome, with what was measured and why it matters."""

    check_id: str
    title: str
    status: CheckStatus
    is_blocking: bool
    explanation: str
    measured: Optional[Any] = None
    threshold: Optional[Any] = None
    evidence_refs: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_blocking_problem(self) -> bool:
        """True when this result, left as it is, keeps the gate closed."""
        return self.is_blocking and self.status in (CheckStatus.FAIL, CheckStatus.ERROR)


@dataclass(frozen=True)
class EvaluationSummary:
    """One stored evaluation as the checks see it."""

    window_end: datetime
    max_ks: Optional[float] = None
    max_psi: Optional[float] = None
    auc: Optional[float] = None


@dataclass(frozen=True)
class RollbackDrill:
    """A rehearsal of the rollback path and whether it worked."""

    performed_at: datetime
    is_passed: bool
    target_bundle: str = ""


@dataclass(frozen=True)
class History:
    """What the ledger and DSS know about the model beyond its evidence."""

    now: datetime
    evaluations: tuple[EvaluationSummary, ...] = ()
    approved_bundles: tuple[str, ...] = ()
    first_release_plan: str = ""
    rollback_drills: tuple[RollbackDrill, ...] = ()
    recorded_actions: tuple[str, ...] = ()
    is_chain_intact: bool = True


CheckFunction = Callable[[Evidence, Policy, History], CheckResult]


def check_auc(evidence: Evidence, policy: Policy, history: History) -> CheckResult:
    """Test-set AUC must be strictly above the gate (or business) threshold."""
    threshold, override = policy.threshold_for(evidence.model_id, "min_auc")
    title = "AUC above the gate threshold"
    source = "business threshold" if override else "policy threshold"
    auc = evidence.metrics.get("auc")
    if auc is None:
        return CheckResult(
            "auc",
            title,
            CheckStatus.ERROR,
            True,
            "The evidence has no AUC metric; re-export the model's test-set metrics.",
            threshold=threshold,
            evidence_refs=("evidence.metrics",),
        )
    passed = exceeds(auc, threshold)
    verdict = "is above" if passed else "is not above"
    note = f" (set by {override.set_by}: {override.reason})" if override else ""
    return CheckResult(
        "auc",
        title,
        CheckStatus.PASS if passed else CheckStatus.FAIL,
        True,
        f"AUC {auc:.3f} {verdict} the {source} {threshold:.2f}{note}.",
        measured=auc,
        threshold=threshold,
        evidence_refs=("evidence.metrics.auc",),
        details={"override_by": override.set_by if override else None},
    )


def check_code_env(evidence: Evidence, policy: Policy, history: History) -> CheckResult:
    """The model's code environment must be built on an approved base image."""
    approved = evidence.code_env in policy.approved_code_envs
    verdict = "is" if approved else "is not"
    return CheckResult(
        "code_env",
        "Code environment on the approved base image",
        CheckStatus.PASS if approved else CheckStatus.FAIL,
        True,
        f"Code environment {evidence.code_env} {verdict} in the approved list "
        f"({', '.join(policy.approved_code_envs)}).",
        measured=evidence.code_env,
        threshold=list(policy.approved_code_envs),
        evidence_refs=("evidence.code_env",),
    )


def check_sensitive_data(evidence: Evidence, policy: Policy, history: History) -> CheckResult:
    """No feature may be a PHI/PCI-tagged column or a HIPAA Safe Harbor identifier."""
    findings = _sensitive_findings(evidence, policy)
    on_features = [f for f in findings if f.is_feature]
    others = sorted({f.column for f in findings if not f.is_feature})
    title = "No PHI, PCI or personal identifiers used as features"
    details = {"findings": [_finding_dict(f) for f in findings], "unused_sensitive": others}
    refs = ("evidence.features", "evidence.training_schema", "evidence.value_findings")
    if on_features:
        columns = sorted({f.column for f in on_features})
        kinds = {c: sorted({f.kind for f in on_features if f.column == c}) for c in columns}
        listed = ", ".join(f"{c} ({'/'.join(kinds[c])})" for c in columns)
        return CheckResult(
            "sensitive_data",
            title,
            CheckStatus.FAIL,
            True,
            f"Features {listed} carry sensitive data; remove them from the model's features.",
            measured=columns,
            threshold=[],
            evidence_refs=refs,
            details=details,
        )
    note = f" Sensitive columns {', '.join(others)} stay out of the features." if others else ""
    return CheckResult(
        "sensitive_data",
        title,
        CheckStatus.PASS,
        True,
        f"None of the {len(evidence.input_features)} features is tagged "
        f"{'/'.join(policy.sensitive_tags)} or looks like a personal identifier.{note}",
        measured=[],
        threshold=[],
        evidence_refs=refs,
        details=details,
    )


def check_disparate_impact(evidence: Evidence, policy: Policy, history: History) -> CheckResult:
    """Favourable-outcome rate of every group is at least 4/5 of the best group's."""
    threshold, _ = policy.threshold_for(evidence.model_id, "min_disparate_impact")
    title = "Disparate impact within the four-fifths rule"
    if not evidence.fairness:
        status = (
            CheckStatus.ERROR if policy.require_fairness_evidence else CheckStatus.NOT_APPLICABLE
        )
        return CheckResult(
            "disparate_impact",
            title,
            status,
            True,
            "No protected attribute was evaluated; add fairness counts for the protected "
            "attributes (for example age group and gender) to the evidence.",
            threshold=threshold,
            evidence_refs=("evidence.fairness",),
        )
    per_attribute = {
        f.attribute: _attribute_ratio(f, policy.min_group_size) for f in evidence.fairness
    }
    undefined = sorted(a for a, r in per_attribute.items() if r["ratio"] is None)
    ratios = {a: r["ratio"] for a, r in per_attribute.items() if r["ratio"] is not None}
    worst = min(ratios, key=lambda a: ratios[a]) if ratios else None
    refs = tuple(f"evidence.fairness.{a}" for a in per_attribute)
    if undefined:
        return CheckResult(
            "disparate_impact",
            title,
            CheckStatus.ERROR,
            True,
            f"Disparate impact is undefined for {', '.join(undefined)}: fewer than two groups "
            f"have {policy.min_group_size} or more rows, or no group has a favourable outcome.",
            measured=ratios,
            threshold=threshold,
            evidence_refs=refs,
            details=per_attribute,
        )
    assert worst is not None  # noqa: S101 - ratios is non-empty when nothing is undefined
    passed = not falls_below(ratios[worst], threshold)
    verdict = "meets" if passed else "is below"
    return CheckResult(
        "disparate_impact",
        title,
        CheckStatus.PASS if passed else CheckStatus.FAIL,
        True,
        f"Lowest disparate impact {ratios[worst]:.3f} ({worst}, group "
        f"{per_attribute[worst]['lowest_group']}) {verdict} the {threshold:.2f} threshold.",
        measured=ratios,
        threshold=threshold,
        evidence_refs=refs,
        details=per_attribute,
    )


def check_drift_history(evidence: Evidence, policy: Policy, history: History) -> CheckResult:
    """No evaluation of the model carries a high-risk drift flag."""
    title = "No high-risk drift flag in the evaluation history"
    if not history.evaluations:
        return CheckResult(
            "drift_history",
            title,
            CheckStatus.NOT_APPLICABLE,
            True,
            "The model has no production evaluations yet (first release), so no drift flag.",
            threshold=policy.max_ks_drift,
            evidence_refs=("ledger.evaluations",),
        )
    flagged = [e for e in history.evaluations if _is_drift_flag(e, policy)]
    worst = max((e.max_ks or 0.0 for e in history.evaluations), default=0.0)
    if flagged:
        last = max(flagged, key=lambda e: e.window_end)
        return CheckResult(
            "drift_history",
            title,
            CheckStatus.FAIL,
            True,
            f"{len(flagged)} of {len(history.evaluations)} evaluations are high-risk drift "
            f"flags (KS above {policy.max_ks_drift:.2f} or PSI above {policy.max_psi:.2f}); "
            f"the latest ended {last.window_end.date().isoformat()}.",
            measured=worst,
            threshold=policy.max_ks_drift,
            evidence_refs=("ledger.evaluations",),
        )
    return CheckResult(
        "drift_history",
        title,
        CheckStatus.PASS,
        True,
        f"None of {len(history.evaluations)} evaluations drifted: highest KS {worst:.3f} "
        f"is within {policy.max_ks_drift:.2f}.",
        measured=worst,
        threshold=policy.max_ks_drift,
        evidence_refs=("ledger.evaluations",),
    )


def check_rollback(evidence: Evidence, policy: Policy, history: History) -> CheckResult:
    """A rollback target (or first-release undeploy plan) exists and a drill passed."""
    title = "Rollback prepared and tested"
    window = timedelta(days=policy.rollback_drill_validity_days)
    recent = [d for d in history.rollback_drills if history.now - d.performed_at <= window]
    passed = [d for d in recent if d.is_passed]
    plan = history.first_release_plan or evidence.description.rollback_strategy
    target = history.approved_bundles[-1] if history.approved_bundles else ""
    problems = []
    if not target and not plan:
        problems.append("no previous approved bundle and no first-release undeploy plan")
    if not passed:
        problems.append(
            f"no rollback drill passed in the last {policy.rollback_drill_validity_days} days"
        )
    prepared = f"rollback target {target}" if target else "first-release undeploy plan"
    if problems:
        return CheckResult(
            "rollback",
            title,
            CheckStatus.FAIL,
            True,
            "Rollback is not ready: " + "; ".join(problems) + ". Record a rollback drill.",
            measured=len(passed),
            threshold=1,
            evidence_refs=("ledger.deployments",),
        )
    return CheckResult(
        "rollback",
        title,
        CheckStatus.PASS,
        True,
        f"{prepared.capitalize()} in place; rollback drill passed on "
        f"{max(d.performed_at for d in passed).date().isoformat()}.",
        measured=len(passed),
        threshold=1,
        evidence_refs=("ledger.deployments",),
        details={"target": target, "plan": plan},
    )


def check_audit_trail(evidence: Evidence, policy: Policy, history: History) -> CheckResult:
    """Every event the policy requires is recorded and the hash chain verifies."""
    title = "Audit trail complete"
    missing = [a for a in policy.required_audit_actions if a not in history.recorded_actions]
    problems = [f"missing events: {', '.join(missing)}"] if missing else []
    if not history.is_chain_intact:
        problems.append(
            "the audit hash chain does not verify (run `model-governance audit verify`)"
        )
    refs = ("ledger.audit_events",)
    if problems:
        return CheckResult(
            "audit_trail",
            title,
            CheckStatus.FAIL,
            True,
            "Audit trail incomplete: " + "; ".join(problems) + ".",
            measured=list(history.recorded_actions),
            threshold=list(policy.required_audit_actions),
            evidence_refs=refs,
        )
    return CheckResult(
        "audit_trail",
        title,
        CheckStatus.PASS,
        True,
        f"All {len(policy.required_audit_actions)} required events are recorded with actor and "
        "time, and the hash chain verifies.",
        measured=list(history.recorded_actions),
        threshold=list(policy.required_audit_actions),
        evidence_refs=refs,
    )


GATE_CHECKS: tuple[CheckFunction, ...] = (
    check_auc,
    check_drift_history,
    check_code_env,
    check_rollback,
    check_disparate_impact,
    check_sensitive_data,
    check_audit_trail,
)


def run_gate_checks(
    evidence: Evidence, policy: Policy, history: History
) -> tuple[CheckResult, ...]:
    """Every gate check, in checklist order."""
    return tuple(check(evidence, policy, history) for check in GATE_CHECKS)


def _is_drift_flag(evaluation: EvaluationSummary, policy: Policy) -> bool:
    ks_flag = evaluation.max_ks is not None and exceeds(evaluation.max_ks, policy.max_ks_drift)
    psi_flag = evaluation.max_psi is not None and exceeds(evaluation.max_psi, policy.max_psi)
    return ks_flag or psi_flag


def disparate_impact_of(fairness: FairnessEvidence, min_group_size: int) -> DisparateImpactResult:
    """Disparate impact from an attribute's stored group counts (the kernel decides)."""
    summary = GroupOutcomeSummary(favourable_outcome=True)
    for group in fairness.groups:
        summary.add_counts(group.group, size=group.size, favourable=group.favourable)
    return summary.result(min_group_size=min_group_size)


def _attribute_ratio(fairness: FairnessEvidence, min_size: int) -> dict[str, Any]:
    insufficient = sorted(g.group for g in fairness.groups if g.size < min_size)
    try:
        result = disparate_impact_of(fairness, min_size)
    except UndefinedMetricError:
        return {"ratio": None, "lowest_group": None, "insufficient_data": insufficient}
    return {
        "ratio": result.ratio,
        "lowest_group": result.lowest_group,
        "rates": {g.group: g.rate for g in result.groups if g.is_sufficient},
        "sizes": {g.group: g.size for g in result.groups},
        "insufficient_data": insufficient,
    }


def _sensitive_findings(evidence: Evidence, policy: Policy) -> list[SensitiveFinding]:
    feature_names = {f.name for f in evidence.input_features}
    columns = {c.name: c for c in evidence.training_schema}
    profiles = [
        ColumnProfile(
            name=name,
            storage_type=c.type if c else "string",
            tags=c.tags if c else (),
            meaning=c.meaning if c else None,
            is_feature=name in feature_names,
        )
        for name in sorted(set(columns) | feature_names)
        for c in (columns.get(name),)
    ]
    found = list(scan_columns(profiles, sensitive_tags=policy.sensitive_tags))
    found += [
        SensitiveFinding(
            column=v.column,
            kind=v.kind,
            basis="value",
            is_feature=v.column in feature_names,
            detail=f"{v.share:.0%} of {v.sample_size} sampled values look like {v.kind}",
            share=v.share,
            sample_size=v.sample_size,
        )
        for v in evidence.value_findings
    ]
    return sorted(found, key=lambda f: (f.column, f.kind, f.basis))


def _finding_dict(finding: SensitiveFinding) -> dict[str, Any]:
    return {
        "column": finding.column,
        "kind": finding.kind,
        "basis": finding.basis,
        "detail": finding.detail,
        "is_feature": finding.is_feature,
    }
