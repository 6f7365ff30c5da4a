"""What the monitoring view shows for a deployed model: baseline, flags and charts.

The flags repeat, for display, the alert rules of the written process against the
newest evaluation: AUC below the alert threshold, AUC dropped from the approved value,
high-risk drift, disparate impact below the four-fifths rule, bias shift from the
approved value and the API SLA. The scenario steps, not this view, raise the alerts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup

from model_governance.core.policy import Policy
from model_governance.ledger.queries import EvaluationPoint
from model_governance.webapp.charts import ReferenceLine, Series, bar_chart, line_chart


@dataclass(frozen=True)
class Baseline:
    """What was recorded when the model was approved."""

    qualification_id: str
    version: str
    auc: float | None
    disparate_impact: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Flag:
    """One open flag: the rule it breaks and the numbers behind it."""

    rule: str
    message: str


def open_flags(
    latest: EvaluationPoint | None, baseline: Baseline | None, policy: Policy
) -> list[Flag]:
    """Flags raised by the newest evaluation under the policy in force."""
    if latest is None:
        return []
    flags = _performance_flags(latest, baseline, policy)
    flags += _drift_flags(latest, policy)
    flags += _fairness_flags(latest, baseline, policy)
    flags += _service_flags(latest, policy)
    return flags


def _performance_flags(
    latest: EvaluationPoint, baseline: Baseline | None, policy: Policy
) -> list[Flag]:
    flags = []
    threshold, _ = policy.threshold_for(latest.model_id, "auc_alert_threshold")
    if latest.auc is not None and latest.auc < threshold:
        flags.append(
            Flag("AUC alert", f"AUC {latest.auc:.3f} is below the alert threshold {threshold:.2f}.")
        )
    if latest.auc is not None and baseline is not None and baseline.auc:
        drop = (baseline.auc - latest.auc) / baseline.auc
        if drop > policy.max_relative_auc_drop:
            flags.append(
                Flag(
                    "AUC drop",
                    f"AUC {latest.auc:.3f} is {drop:.1%} below the {baseline.auc:.3f} "
                    f"approved for {baseline.version} (limit {policy.max_relative_auc_drop:.0%}).",
                )
            )
    return flags


def _drift_flags(latest: EvaluationPoint, policy: Policy) -> list[Flag]:
    limit, _ = policy.threshold_for(latest.model_id, "max_ks_drift")
    drifted = {f: d for f, d in latest.drift.items() if d > limit}
    if not drifted and latest.max_ks is not None and latest.max_ks > limit:
        drifted = {"(largest feature)": latest.max_ks}
    flags = [
        Flag("High-risk drift", f"{feature}: KS statistic {value:.3f} is above {limit:.2f}.")
        for feature, value in sorted(drifted.items(), key=lambda kv: -kv[1])
    ]
    if latest.max_psi is not None and latest.max_psi > policy.max_psi:
        flags.append(
            Flag("High-risk drift", f"PSI {latest.max_psi:.3f} is above {policy.max_psi:.2f}.")
        )
    return flags


def _fairness_flags(
    latest: EvaluationPoint, baseline: Baseline | None, policy: Policy
) -> list[Flag]:
    flags = []
    limit, _ = policy.threshold_for(latest.model_id, "min_disparate_impact")
    for attribute, groups in sorted(latest.disparate_impact.items()):
        group, ratio = min(groups.items(), key=lambda kv: kv[1])
        if ratio < limit:
            flags.append(
                Flag(
                    "Disparate impact",
                    f"{attribute}, group {group}: {ratio:.3f} is below {limit:.2f}.",
                )
            )
        approved = baseline.disparate_impact.get(attribute) if baseline else None
        if approved is not None and abs(ratio - approved) > policy.max_bias_shift:
            flags.append(
                Flag(
                    "Bias shift",
                    f"{attribute}: disparate impact {ratio:.3f} moved more than "
                    f"{policy.max_bias_shift:.2f} from the {approved:.3f} approved.",
                )
            )
    return flags


def _service_flags(latest: EvaluationPoint, policy: Policy) -> list[Flag]:
    flags = []
    if latest.latency_p95_ms is not None and latest.latency_p95_ms > policy.max_p95_latency_ms:
        flags.append(
            Flag(
                "API SLA",
                f"p95 latency {latest.latency_p95_ms:.0f} ms is above "
                f"{policy.max_p95_latency_ms:.0f} ms.",
            )
        )
    if latest.error_rate is not None and latest.error_rate > policy.max_error_rate:
        flags.append(
            Flag(
                "API SLA",
                f"error rate {latest.error_rate:.2%} is above {policy.max_error_rate:.2%}.",
            )
        )
    return flags


def auc_chart(
    points: Sequence[EvaluationPoint], baseline: Baseline | None, policy: Policy
) -> Markup | None:
    """Daily AUC with the alert threshold and the AUC recorded at approval."""
    series: dict[str, list[tuple[datetime, float]]] = {}
    for p in points:
        if p.auc is not None:
            series.setdefault(p.version, []).append((p.window_end, p.auc))
    if not series:
        return None
    alert, _ = policy.threshold_for(points[-1].model_id, "auc_alert_threshold")
    references = [ReferenceLine(f"alert {alert:.2f}", alert, "alert")]
    if baseline is not None and baseline.auc is not None:
        references.append(
            ReferenceLine(f"approved {baseline.auc:.3f}", baseline.auc, "approval"),
        )
    lines = [Series(f"AUC {v}", tuple(pts)) for v, pts in series.items()]
    return line_chart(lines, chart_id="auc", title="AUC per evaluation", references=references)


def drift_chart(points: Sequence[EvaluationPoint], policy: Policy) -> Markup | None:
    """KS statistic per feature over time, with the drift threshold."""
    by_feature: dict[str, list[tuple[datetime, float]]] = {}
    for p in points:
        for feature, value in p.drift.items():
            by_feature.setdefault(feature, []).append((p.window_end, value))
    if not by_feature:
        return None
    limit, _ = policy.threshold_for(points[-1].model_id, "max_ks_drift")
    lines = [Series(f, tuple(v)) for f, v in sorted(by_feature.items())]
    return line_chart(
        lines,
        chart_id="drift",
        title="Drift per feature (KS statistic D)",
        references=[ReferenceLine(f"drift {limit:.2f}", limit, "alert")],
    )


def disparate_impact_chart(latest: EvaluationPoint | None, policy: Policy) -> Markup | None:
    """Disparate impact per group in the newest evaluation, with the 4/5 line."""
    if latest is None:
        return None
    limit, _ = policy.threshold_for(latest.model_id, "min_disparate_impact")
    return bar_chart(
        latest.disparate_impact,
        chart_id="disparate-impact",
        title="Disparate impact per group",
        threshold=limit,
    )
