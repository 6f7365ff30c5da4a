"""Metric kernels of the governance core: ROC AUC, drift and disparate impact.

Kernels take arrays and return numbers in frozen dataclasses; policy thresholds are
applied elsewhere. Each metric also has a mergeable summary (``update``, ``merge``,
``result``) so large data can be consumed chunk by chunk in fixed memory.
"""

from __future__ import annotations

from model_governance.core.metrics.drift import (
    DEFAULT_GRID_SIZE,
    DEFAULT_PSI_BINS,
    DEFAULT_PSI_EPSILON,
    CategoricalDriftResult,
    CategoricalSummary,
    CategoryCounts,
    CategoryShare,
    ChiSquareResult,
    KSResult,
    MissingRateResult,
    NumericCurrentSummary,
    NumericDriftResult,
    NumericReferenceSummary,
    categorical_drift,
    chi_square_test,
    ks_statistic,
    missing_rate_change,
    numeric_drift,
    numeric_drift_by_column,
    population_stability_index,
    psi_from_counts,
)
from model_governance.core.metrics.fairness import (
    DisparateImpactResult,
    GroupOutcomeSummary,
    GroupRate,
    disparate_impact_ratio,
)
from model_governance.core.metrics.ranking import (
    DEFAULT_MAX_UNIQUE_SCORES,
    DEFAULT_SCORE_BINS,
    AucEstimate,
    RocCurve,
    ScoreSummary,
    roc_auc,
    roc_curve_points,
)

__all__ = [
    "DEFAULT_GRID_SIZE",
    "DEFAULT_MAX_UNIQUE_SCORES",
    "DEFAULT_PSI_BINS",
    "DEFAULT_PSI_EPSILON",
    "DEFAULT_SCORE_BINS",
    "AucEstimate",
    "CategoricalDriftResult",
    "CategoricalSummary",
    "CategoryCounts",
    "CategoryShare",
    "ChiSquareResult",
    "DisparateImpactResult",
    "GroupOutcomeSummary",
    "GroupRate",
    "KSResult",
    "MissingRateResult",
    "NumericCurrentSummary",
    "NumericDriftResult",
    "NumericReferenceSummary",
    "RocCurve",
    "ScoreSummary",
    "categorical_drift",
    "chi_square_test",
    "disparate_impact_ratio",
    "ks_statistic",
    "missing_rate_change",
    "numeric_drift",
    "numeric_drift_by_column",
    "population_stability_index",
    "psi_from_counts",
    "roc_auc",
    "roc_curve_points",
]
