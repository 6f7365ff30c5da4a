"""The gate's checks: pure functions of (evidence, policy, history) returning results.

A failed check is data, never an exception. ``error`` means the check could not be
decided (for example an undefined metric); it blocks approval unless the policy allows
it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any, Optional

from model_governance.core.evidence import Evidence
from model_governance.core.policy import Policy


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
            "auc", title, CheckStatus.ERROR, True,
            "The evidence has no AUC metric; re-export the model's test-set metrics.",
            threshold=threshold, evidence_refs=("evidence.metrics",),
        )  # fmt: skip
    passed = auc > threshold
    verdict = "is above" if passed else "is not above"
    note = f" (set by {override.set_by}: {override.reason})" if override else ""
    return CheckResult(
        "auc", title, CheckStatus.PASS if passed else CheckStatus.FAIL, True,
        f"AUC {auc:.3f} {verdict} the {source} {threshold:.2f}{note}.",
        measured=auc, threshold=threshold, evidence_refs=("evidence.metrics.auc",),
        details={"override_by": override.set_by if override else None},
    )  # fmt: skip


def check_code_env(evidence: Evidence, policy: Policy, history: History) -> CheckResult:
    """The model's code environment must be built on an approved base image."""
    approved = evidence.code_env in policy.approved_code_envs
    verdict = "is" if approved else "is not"
    return CheckResult(
        "code_env", "Code environment on the approved base image",
        CheckStatus.PASS if approved else CheckStatus.FAIL, True,
        f"Code environment {evidence.code_env} {verdict} in the approved list "
        f"({', '.join(policy.approved_code_envs)}).",
        measured=evidence.code_env, threshold=list(policy.approved_code_envs),
        evidence_refs=("evidence.code_env",),
    )  # fmt: skip


GATE_CHECKS: tuple[CheckFunction, ...] = (check_auc, check_code_env)


def run_gate_checks(
    evidence: Evidence, policy: Policy, history: History
) -> tuple[CheckResult, ...]:
    """Every gate check, in checklist order."""
    return tuple(check(evidence, policy, history) for check in GATE_CHECKS)
