"""Production monitoring rules: pure decisions with the values measured and limits used.

Each rule compares one window's metrics with the policy and returns a
:class:`RuleDecision`: ``breached``, ``within`` or ``undefined`` (nothing to decide on,
for example no AUC because the window held one class only). Comparisons go through
:mod:`model_governance.core.compare`, so a value equal to its limit up to float noise
counts as equal: an AUC of exactly 0.88 does not alert, 0.8799 does.

The rules of the written process (stage 6):

- AUC alert: the window's AUC is below ``auc_alert_threshold`` (0.88).
- AUC drop: (AUC at approval - AUC now) / AUC at approval is above
  ``max_relative_auc_drop`` (5 %).
- Bias shift: for some protected attribute, disparate impact is below
  ``min_disparate_impact`` (0.8) or moved from its value at approval by more than
  ``max_bias_shift`` (0.05).
- Drift: the largest KS statistic over numeric features is above ``max_ks_drift``
  (0.15), or the largest PSI is above ``max_psi`` (0.25).
- SLA: the API service's p95 latency is not below ``max_p95_latency_ms`` (100 ms), or
  its error rate is above ``max_error_rate``.
- Gate: the gate is closed for the version in production.

An *episode* opens when a rule is breached and closes when a later window is within
limits again; actions (a notification, a flag, a retraining) happen once, when the
episode opens, so a metric that stays bad for a week raises one alert, not seven.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, Optional

import numpy as np
import numpy.typing as npt

from model_governance.core.checks import disparate_impact_of
from model_governance.core.compare import exceeds, falls_below
from model_governance.core.errors import UndefinedMetricError, ValidationError
from model_governance.core.evidence import Evidence
from model_governance.core.policy import Policy
from model_governance.core.workflow import GateDecision

__all__ = [
    "Baseline",
    "CanaryAction",
    "CanaryDecision",
    "EpisodeChange",
    "Rule",
    "RuleDecision",
    "RuleStatus",
    "ServiceLogSummary",
    "ServiceMetrics",
    "WindowMetrics",
    "auc_alert_rule",
    "auc_drop_rule",
    "baseline_from_evidence",
    "bias_shift_rule",
    "canary_split",
    "decide_canary",
    "drift_rule",
    "episode_change",
    "evaluation_rules",
    "gate_rule",
    "is_retraining_due",
    "is_status_due",
    "p95_latency",
    "sla_rule",
]


class Rule(str, Enum):
    """The monitoring rules, as scenario steps and the ledger name them."""

    AUC_ALERT = "auc_alert"
    AUC_DROP = "auc_drop"
    BIAS_SHIFT = "bias_shift"
    DRIFT = "drift"
    SLA = "sla"
    GATE = "gate"


class RuleStatus(str, Enum):
    """Outcome of one rule on one window."""

    WITHIN = "within"
    BREACHED = "breached"
    UNDEFINED = "undefined"


class EpisodeChange(str, Enum):
    """What a decision does to the rule's episode for the model."""

    OPENED = "opened"
    CONTINUED = "continued"
    CLOSED = "closed"
    NONE = "none"


@dataclass(frozen=True)
class RuleDecision:
    """A rule's verdict with what was measured, the limits used and why.

    ``measured`` and ``thresholds`` hold plain JSON values, so the ledger stores them as
    they are; ``subject`` names what the rule watched besides the model (the API
    service for the SLA rule), empty otherwise.
    """

    rule: Rule
    status: RuleStatus
    measured: Mapping[str, Any]
    thresholds: Mapping[str, Any]
    reasons: tuple[str, ...]
    subject: str = ""

    @property
    def is_breached(self) -> bool:
        """True when the rule fired on this window."""
        return self.status is RuleStatus.BREACHED


@dataclass(frozen=True)
class WindowMetrics:
    """One evaluated window as the rules see it.

    ``disparate_impact`` maps each protected attribute to its ratio, None when the
    ratio was undefined on this window.
    """

    auc: Optional[float] = None
    max_ks: Optional[float] = None
    max_psi: Optional[float] = None
    drifted_features: tuple[str, ...] = ()
    disparate_impact: Mapping[str, Optional[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Baseline:
    """What was recorded when the version was approved: AUC and disparate impact."""

    auc: Optional[float] = None
    disparate_impact: Mapping[str, Optional[float]] = field(default_factory=dict)


@dataclass(frozen=True)
class ServiceMetrics:
    """Requests, failures and p95 latency of an API service over a window."""

    requests: int
    errors: int
    p95_latency_ms: Optional[float]

    @property
    def error_rate(self) -> Optional[float]:
        """Failed share of requests, None without requests."""
        return self.errors / self.requests if self.requests else None


class CanaryAction(str, Enum):
    """What to do with a canary after its observation window."""

    PROMOTE = "promote"
    ROLLBACK = "rollback"


@dataclass(frozen=True)
class CanaryDecision:
    """Promote the canary to all traffic, or roll it back, and why."""

    action: CanaryAction
    measured: Mapping[str, Any]
    thresholds: Mapping[str, Any]
    reasons: tuple[str, ...]


# Baseline


def baseline_from_evidence(evidence: Evidence, policy: Policy) -> Baseline:
    """AUC and per-attribute disparate impact recorded in the approved evidence."""
    ratios: dict[str, Optional[float]] = {}
    for fairness in evidence.fairness:
        try:
            ratios[fairness.attribute] = disparate_impact_of(fairness, policy.min_group_size).ratio
        except UndefinedMetricError:
            ratios[fairness.attribute] = None
    return Baseline(auc=evidence.metrics.get("auc"), disparate_impact=ratios)


# Rules on an evaluated window


def auc_alert_rule(metrics: WindowMetrics, policy: Policy, *, model_id: str) -> RuleDecision:
    """AUC below the alert threshold (0.88 by default, or the model's business one)."""
    limit, override = policy.threshold_for(model_id, "auc_alert_threshold")
    thresholds = {"auc_alert_threshold": limit}
    if metrics.auc is None:
        return _undefined(Rule.AUC_ALERT, {"auc": None}, thresholds, "the window has no AUC")
    source = f" (business threshold set by {override.set_by})" if override else ""
    if falls_below(metrics.auc, limit):
        reason = f"AUC {metrics.auc:.4f} is below the alert threshold {limit:g}{source}"
        return RuleDecision(
            Rule.AUC_ALERT, RuleStatus.BREACHED, {"auc": metrics.auc}, thresholds, (reason,)
        )
    reason = f"AUC {metrics.auc:.4f} is not below the alert threshold {limit:g}{source}"
    return RuleDecision(
        Rule.AUC_ALERT, RuleStatus.WITHIN, {"auc": metrics.auc}, thresholds, (reason,)
    )


def auc_drop_rule(metrics: WindowMetrics, baseline: Baseline, policy: Policy) -> RuleDecision:
    """Relative AUC drop from the approved AUC above ``max_relative_auc_drop``."""
    limit = policy.max_relative_auc_drop
    thresholds = {"max_relative_auc_drop": limit}
    measured: dict[str, Any] = {"auc": metrics.auc, "approved_auc": baseline.auc}
    if metrics.auc is None:
        return _undefined(Rule.AUC_DROP, measured, thresholds, "the window has no AUC")
    if baseline.auc is None or baseline.auc <= 0.0:
        return _undefined(Rule.AUC_DROP, measured, thresholds, "no AUC was recorded at approval")
    drop = (baseline.auc - metrics.auc) / baseline.auc
    measured["relative_drop"] = drop
    text = f"AUC {metrics.auc:.4f} against {baseline.auc:.4f} at approval: relative drop {drop:.2%}"
    if exceeds(drop, limit):
        return RuleDecision(
            Rule.AUC_DROP,
            RuleStatus.BREACHED,
            measured,
            thresholds,
            (f"{text} is above {limit:.0%}",),
        )
    return RuleDecision(
        Rule.AUC_DROP, RuleStatus.WITHIN, measured, thresholds, (f"{text} is within {limit:.0%}",)
    )


def bias_shift_rule(
    metrics: WindowMetrics, baseline: Baseline, policy: Policy, *, model_id: str
) -> RuleDecision:
    """Disparate impact below the four-fifths floor, or moved too far since approval."""
    floor, _ = policy.threshold_for(model_id, "min_disparate_impact")
    thresholds = {"min_disparate_impact": floor, "max_bias_shift": policy.max_bias_shift}
    measured: dict[str, Any] = {}
    breaches: list[str] = []
    notes: list[str] = []
    for attribute in sorted(metrics.disparate_impact):
        now = metrics.disparate_impact[attribute]
        approved = baseline.disparate_impact.get(attribute)
        entry: dict[str, Any] = {"now": now, "approved": approved, "shift": None}
        measured[attribute] = entry
        if now is None:
            notes.append(f"disparate impact for {attribute} is undefined on this window")
            continue
        if falls_below(now, floor):
            breaches.append(f"disparate impact {now:.3f} for {attribute} is below {floor:g}")
        if approved is not None:
            entry["shift"] = abs(now - approved)
            if exceeds(entry["shift"], policy.max_bias_shift):
                breaches.append(
                    f"disparate impact for {attribute} moved from {approved:.3f} at approval "
                    f"to {now:.3f}, by more than {policy.max_bias_shift:g}"
                )
    decided = [a for a, e in measured.items() if e["now"] is not None]
    if not decided:
        reason = "; ".join(notes) or "the window has no protected attribute"
        return _undefined(Rule.BIAS_SHIFT, measured, thresholds, reason)
    if breaches:
        return RuleDecision(
            Rule.BIAS_SHIFT, RuleStatus.BREACHED, measured, thresholds, tuple(breaches + notes)
        )
    within = (
        f"disparate impact of {', '.join(decided)} is at least {floor:g} and within "
        f"{policy.max_bias_shift:g} of its value at approval"
    )
    return RuleDecision(Rule.BIAS_SHIFT, RuleStatus.WITHIN, measured, thresholds, (within, *notes))


def drift_rule(metrics: WindowMetrics, policy: Policy, *, model_id: str) -> RuleDecision:
    """Largest KS statistic above ``max_ks_drift``, or largest PSI above ``max_psi``."""
    ks_limit, _ = policy.threshold_for(model_id, "max_ks_drift")
    thresholds = {"max_ks_drift": ks_limit, "max_psi": policy.max_psi}
    measured: dict[str, Any] = {
        "max_ks": metrics.max_ks,
        "max_psi": metrics.max_psi,
        "drifted_features": list(metrics.drifted_features),
    }
    if metrics.max_ks is None and metrics.max_psi is None:
        return _undefined(Rule.DRIFT, measured, thresholds, "no feature drift was measured")
    breaches = []
    if metrics.max_ks is not None and exceeds(metrics.max_ks, ks_limit):
        breaches.append(f"largest KS statistic {metrics.max_ks:.4f} is above {ks_limit:g}")
    if metrics.max_psi is not None and exceeds(metrics.max_psi, policy.max_psi):
        breaches.append(f"largest PSI {metrics.max_psi:.4f} is above {policy.max_psi:g}")
    if breaches:
        if metrics.drifted_features:
            breaches.append(f"drifted features: {', '.join(metrics.drifted_features)}")
        return RuleDecision(Rule.DRIFT, RuleStatus.BREACHED, measured, thresholds, tuple(breaches))
    ks_text = "n/a" if metrics.max_ks is None else f"{metrics.max_ks:.4f}"
    psi_text = "n/a" if metrics.max_psi is None else f"{metrics.max_psi:.4f}"
    reason = (
        f"largest KS statistic {ks_text} and largest PSI {psi_text} are within "
        f"{ks_limit:g} and {policy.max_psi:g}"
    )
    return RuleDecision(Rule.DRIFT, RuleStatus.WITHIN, measured, thresholds, (reason,))


def evaluation_rules(
    metrics: WindowMetrics, baseline: Baseline, policy: Policy, *, model_id: str
) -> tuple[RuleDecision, ...]:
    """The rules an evaluated window runs, in scenario order."""
    return (
        auc_alert_rule(metrics, policy, model_id=model_id),
        auc_drop_rule(metrics, baseline, policy),
        bias_shift_rule(metrics, baseline, policy, model_id=model_id),
        drift_rule(metrics, policy, model_id=model_id),
    )


def sla_rule(metrics: ServiceMetrics, policy: Policy, *, service_id: str) -> RuleDecision:
    """p95 latency below ``max_p95_latency_ms``; error rate within ``max_error_rate``.

    The process states the SLA as "< 100 ms p95", so a p95 of exactly 100 ms breaches.
    """
    thresholds = {
        "max_p95_latency_ms": policy.max_p95_latency_ms,
        "max_error_rate": policy.max_error_rate,
    }
    rate = metrics.error_rate
    measured = {
        "requests": metrics.requests,
        "errors": metrics.errors,
        "error_rate": rate,
        "p95_latency_ms": metrics.p95_latency_ms,
    }
    if rate is None:
        return _undefined(
            Rule.SLA, measured, thresholds, f"{service_id} served no request", subject=service_id
        )
    breaches = []
    p95 = metrics.p95_latency_ms
    if p95 is not None and not falls_below(p95, policy.max_p95_latency_ms):
        breaches.append(f"p95 latency {p95:g} ms is not below {policy.max_p95_latency_ms:g} ms")
    if exceeds(rate, policy.max_error_rate):
        breaches.append(f"error rate {rate:.2%} is above {policy.max_error_rate:.2%}")
    if breaches:
        return RuleDecision(
            Rule.SLA, RuleStatus.BREACHED, measured, thresholds, tuple(breaches), service_id
        )
    latency = "no latency measured" if p95 is None else f"p95 latency {p95:g} ms"
    reason = f"{latency} and error rate {rate:.2%} are within the SLA"
    return RuleDecision(Rule.SLA, RuleStatus.WITHIN, measured, thresholds, (reason,), service_id)


def gate_rule(decision: GateDecision) -> RuleDecision:
    """The gate must stay open for the version in production."""
    measured = {"is_open": decision.is_open, "qualification_id": decision.qualification_id}
    if decision.is_open:
        return RuleDecision(
            Rule.GATE, RuleStatus.WITHIN, measured, {}, ("the gate is open for this version",)
        )
    return RuleDecision(Rule.GATE, RuleStatus.BREACHED, measured, {}, decision.reasons)


# Episodes and retraining


def episode_change(decision: RuleDecision, *, is_open: bool) -> EpisodeChange:
    """Open an episode on the first breach, close it once back within limits.

    An undefined window changes nothing: it neither opens nor closes an episode.
    """
    if decision.status is RuleStatus.BREACHED:
        return EpisodeChange.CONTINUED if is_open else EpisodeChange.OPENED
    if decision.status is RuleStatus.WITHIN and is_open:
        return EpisodeChange.CLOSED
    return EpisodeChange.NONE


def is_retraining_due(last_triggered_at: datetime | None, now: datetime, policy: Policy) -> bool:
    """True unless a retraining was triggered less than the cool-down ago.

    The cool-down keeps a drift that flaps around its limit (an episode closing and
    reopening the next day) from triggering a retraining per reopening.
    """
    if last_triggered_at is None:
        return True
    return now - last_triggered_at >= timedelta(hours=policy.retraining_cooldown_hours)


# API service metrics


def p95_latency(latencies_ms: npt.ArrayLike) -> float:
    """95th percentile latency by the nearest-rank method.

    Definition: the smallest observed latency L such that at least 95 % of requests
    took L or less, that is the ceil(0.95 n)-th smallest of n values. It is always an
    observed value, so "p95 below 100 ms" means 95 % of requests finished under 100
    ms. Missing values (NaN) are left out.

    Raises:
        UndefinedMetricError: no latency was given.
        ValidationError: a latency is negative or infinite.

    >>> p95_latency([float(v) for v in range(1, 21)])
    19.0
    """
    summary = ServiceLogSummary()
    values = np.asarray(latencies_ms, dtype=np.float64)
    summary.update(values, np.zeros(values.shape, dtype=bool))
    result = summary.result().p95_latency_ms
    if result is None:
        raise UndefinedMetricError(
            "latencies: no measured latency; p95 needs at least one request with a latency."
        )
    return result


class ServiceLogSummary:
    """Exact, mergeable request counts and latency distribution of a query log.

    Memory grows with the number of distinct latency values (logs record them to the
    millisecond or tenth of one), not with the number of requests.

    Example:
        >>> log = ServiceLogSummary()
        >>> log.update([10.0, 20.0, 30.0], [False, False, True])
        >>> log.update([40.0], [False])
        >>> log.result()
        ServiceMetrics(requests=4, errors=1, p95_latency_ms=40.0)
    """

    def __init__(self) -> None:
        self._latencies: Counter[float] = Counter()
        self._requests = 0
        self._errors = 0

    def update(self, latencies_ms: npt.ArrayLike, is_error: npt.ArrayLike) -> None:
        """Add a chunk: each request's latency (NaN if unmeasured) and failure flag."""
        values = np.asarray(latencies_ms, dtype=np.float64).ravel()
        failed = np.asarray(is_error).ravel()
        if values.shape != failed.shape:
            raise ValidationError(
                f"query log: {values.size} latencies but {failed.size} error flags; give one "
                "of each per request."
            )
        measured = values[~np.isnan(values)]
        if measured.size and (not np.all(np.isfinite(measured)) or measured.min() < 0):
            raise ValidationError(
                "query log latency: values must be finite and >= 0 milliseconds; check the "
                "latency column and its unit."
            )
        distinct, counts = np.unique(measured, return_counts=True)
        self._latencies.update(dict(zip(distinct.tolist(), counts.tolist())))
        self._requests += int(values.size)
        self._errors += int(np.count_nonzero(failed.astype(bool)))

    def merge(self, other: ServiceLogSummary) -> None:
        """Add the counts of ``other``."""
        self._latencies.update(other._latencies)
        self._requests += other._requests
        self._errors += other._errors

    def result(self) -> ServiceMetrics:
        """Requests, errors and nearest-rank p95 latency of everything seen so far."""
        total = sum(self._latencies.values())
        if total == 0:
            return ServiceMetrics(self._requests, self._errors, None)
        rank = (95 * total + 99) // 100  # ceil(0.95 n) in integers: no float rounding
        seen = 0
        for value in sorted(self._latencies):
            seen += self._latencies[value]
            if seen >= rank:
                return ServiceMetrics(self._requests, self._errors, float(value))
        raise AssertionError("unreachable: the ranks add up to the total")  # pragma: no cover


# Canary rollout


def canary_split(policy: Policy) -> tuple[float, float]:
    """Traffic shares (current version, canary) during a canary rollout."""
    return 1.0 - policy.canary_share, policy.canary_share


def decide_canary(
    metrics: ServiceMetrics, policy: Policy, *, model_id: str, auc: float | None = None
) -> CanaryDecision:
    """Promote when the canary's errors, p95 latency and AUC (if known) are in limits.

    Anything else rolls back, including a canary that served no request: a version
    that was never observed is not promoted.
    """
    auc_limit, _ = policy.threshold_for(model_id, "auc_alert_threshold")
    thresholds = {
        "max_error_rate": policy.max_error_rate,
        "max_p95_latency_ms": policy.max_p95_latency_ms,
        "auc_alert_threshold": auc_limit,
    }
    rate = metrics.error_rate
    measured = {
        "requests": metrics.requests,
        "errors": metrics.errors,
        "error_rate": rate,
        "p95_latency_ms": metrics.p95_latency_ms,
        "auc": auc,
    }
    problems = _canary_problems(metrics, policy, auc, auc_limit)
    if problems:
        return CanaryDecision(CanaryAction.ROLLBACK, measured, thresholds, tuple(problems))
    # _canary_problems refused a canary without requests or latency.
    assert rate is not None  # noqa: S101
    assert metrics.p95_latency_ms is not None  # noqa: S101
    reasons = [
        f"error rate {rate:.2%} within {policy.max_error_rate:.2%}",
        f"p95 latency {metrics.p95_latency_ms:g} ms below {policy.max_p95_latency_ms:g} ms",
        "AUC not available in the window"
        if auc is None
        else f"AUC {auc:.4f} not below {auc_limit:g}",
    ]
    return CanaryDecision(CanaryAction.PROMOTE, measured, thresholds, tuple(reasons))


def _canary_problems(
    metrics: ServiceMetrics, policy: Policy, auc: float | None, auc_limit: float
) -> list[str]:
    rate, p95 = metrics.error_rate, metrics.p95_latency_ms
    if rate is None:
        return ["the canary served no request in the observation window"]
    problems = []
    if exceeds(rate, policy.max_error_rate):
        problems.append(f"error rate {rate:.2%} is above {policy.max_error_rate:.2%}")
    if p95 is None:
        problems.append("no latency was measured for the canary")
    elif not falls_below(p95, policy.max_p95_latency_ms):
        problems.append(f"p95 latency {p95:g} ms is not below {policy.max_p95_latency_ms:g} ms")
    if auc is not None and (not math.isfinite(auc) or falls_below(auc, auc_limit)):
        problems.append(f"AUC {auc:.4f} is below {auc_limit:g}")
    return problems


def _undefined(
    rule: Rule,
    measured: Mapping[str, Any],
    thresholds: Mapping[str, Any],
    reason: str,
    *,
    subject: str = "",
) -> RuleDecision:
    return RuleDecision(rule, RuleStatus.UNDEFINED, measured, thresholds, (reason,), subject)


def is_status_due(last_published_at: datetime | None, now: datetime, policy: Policy) -> bool:
    """True when no status was published within ``status_interval_hours``."""
    if last_published_at is None:
        return True
    return now - last_published_at >= timedelta(hours=policy.status_interval_hours)
