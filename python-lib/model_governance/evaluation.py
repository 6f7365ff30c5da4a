"""Drift and performance evaluation of tabular data, whole or streamed chunk by chunk.

The reference side is summarised once (at submission it is stored with the approval);
the current side streams through mergeable summaries, so memory does not grow with the
number of rows. Thresholds come from the policy; the kernels only measure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Union

import numpy as np
import pandas as pd

from model_governance.core.compare import exceeds
from model_governance.core.errors import UndefinedMetricError, ValidationError
from model_governance.core.metrics import (
    CategoricalDriftResult,
    CategoricalSummary,
    GroupOutcomeSummary,
    NumericCurrentSummary,
    NumericDriftResult,
    NumericReferenceSummary,
    ScoreSummary,
    categorical_drift,
    numeric_drift,
)
from model_governance.core.policy import Policy

ReferenceSummary = Union[NumericReferenceSummary, CategoricalSummary]


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's drift as reported to users and stored in evaluations."""

    feature: str
    kind: str
    method: str
    statistic: float | None
    p_value: float | None
    drifted: bool
    psi: float | None
    reference_missing_rate: float
    current_missing_rate: float
    missing_rate_change: float
    error_bound: float = 0.0
    unseen_categories: tuple[tuple[str, float], ...] = ()
    undefined_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        data = asdict(self)
        data["unseen_categories"] = [{"name": n, "share": s} for n, s in self.unseen_categories]
        return data


@dataclass(frozen=True)
class Evaluation:
    """AUC, drift and disparate impact of one scored window."""

    rows: int
    auc: float | None
    auc_error_bound: float
    drift: tuple[FeatureDrift, ...]
    disparate_impact: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def max_ks(self) -> float | None:
        """The largest KS statistic over numeric features, if any was defined."""
        values = [
            d.statistic for d in self.drift if d.kind == "numeric" and d.statistic is not None
        ]
        return max(values) if values else None

    @property
    def max_psi(self) -> float | None:
        """The largest PSI over all features, if any was defined."""
        values = [d.psi for d in self.drift if d.psi is not None]
        return max(values) if values else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON form."""
        return {
            "rows": self.rows,
            "auc": self.auc,
            "auc_error_bound": self.auc_error_bound,
            "max_ks": self.max_ks,
            "max_psi": self.max_psi,
            "drift": [d.to_dict() for d in self.drift],
            "disparate_impact": dict(self.disparate_impact),
            "notes": list(self.notes),
        }


def is_numeric(series: pd.Series) -> bool:
    """Numeric and not boolean: such columns get KS; everything else is categorical."""
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def drift_exact(
    reference: pd.DataFrame, current: pd.DataFrame, policy: Policy, *, columns: Sequence[str]
) -> list[FeatureDrift]:
    """Exact drift of each column when both sides fit in memory."""
    results = []
    for name in columns:
        if is_numeric(reference[name]):
            ref = reference[name].to_numpy(dtype=float, na_value=np.nan)
            cur = current[name].to_numpy(dtype=float, na_value=np.nan)
            results.append(_numeric(name, numeric_drift(ref, cur), policy))
        else:
            ref_values, cur_values = _objects(reference[name]), _objects(current[name])
            results.append(_categorical(name, categorical_drift(ref_values, cur_values), policy))
    return results


def summarise_reference(
    frame: pd.DataFrame, *, columns: Sequence[str], grid_size: int | None = None
) -> dict[str, ReferenceSummary]:
    """Reference summaries per column; ``grid_size=None`` keeps every distinct value."""
    return summarise_reference_chunks([frame], columns=columns, grid_size=grid_size)


def summarise_reference_chunks(
    chunks: Iterable[pd.DataFrame], *, columns: Sequence[str], grid_size: int | None = None
) -> dict[str, ReferenceSummary]:
    """Reference summaries per column of data read chunk by chunk.

    Categorical columns are counted chunk by chunk. A numeric column's grid sits at
    quantiles of all its values, which no partial summary can merge exactly, so its
    values are kept as 8-byte floats (about 8 MB per million rows and column) until
    the grid is built; the rest of each chunk is dropped as soon as it is read. A
    column's kind is fixed by the first chunk that holds rows.
    """
    numeric: dict[str, list[np.ndarray[Any, Any]]] = {}
    categorical: dict[str, CategoricalSummary] = {}
    for chunk in chunks:
        if chunk.empty and (numeric or categorical):
            continue
        for name in columns:
            if name not in numeric and name not in categorical:
                if is_numeric(chunk[name]):
                    numeric[name] = []
                else:
                    categorical[name] = CategoricalSummary()
            if name in numeric:
                numeric[name].append(_floats(chunk[name], name))
            else:
                categorical[name].update(_objects(chunk[name]))
    summaries: dict[str, ReferenceSummary] = dict(categorical)
    for name, parts in numeric.items():
        values = np.concatenate(parts) if parts else np.empty(0)
        summaries[name] = NumericReferenceSummary.from_values(values, grid_size=grid_size)
    return {name: summaries[name] for name in columns if name in summaries}


class DriftStream:
    """The current side of drift, fed chunk by chunk against stored summaries."""

    def __init__(self, references: Mapping[str, ReferenceSummary], policy: Policy):
        self.policy = policy
        self._numeric = {
            n: NumericCurrentSummary(r)
            for n, r in references.items()
            if isinstance(r, NumericReferenceSummary)
        }
        self._categorical = {
            n: (r, CategoricalSummary())
            for n, r in references.items()
            if isinstance(r, CategoricalSummary)
        }

    def update(self, chunk: pd.DataFrame) -> None:
        """Add one chunk of current rows (it must hold every monitored column)."""
        missing = [n for n in (*self._numeric, *self._categorical) if n not in chunk.columns]
        if missing:
            raise ValidationError(
                f"current data: column(s) {', '.join(missing)} are missing; the reference "
                "monitors them, so the scored data must carry them too."
            )
        for name, summary in self._numeric.items():
            summary.update(chunk[name].to_numpy(dtype=float, na_value=np.nan))
        for name, (_, current) in self._categorical.items():
            current.update(_objects(chunk[name]))

    def results(self) -> list[FeatureDrift]:
        """Drift per feature, numeric first, each in name order."""
        numeric = [_numeric(n, s.result(), self.policy) for n, s in sorted(self._numeric.items())]
        categorical = [
            _categorical(n, categorical_drift(ref, cur), self.policy)
            for n, (ref, cur) in sorted(self._categorical.items())
        ]
        return numeric + categorical


@dataclass(frozen=True)
class ScoredColumns:
    """Which columns of a scored dataset hold what."""

    label: str
    score: str
    positive_label: Any = 1
    protected: tuple[str, ...] = ()
    favourable_when_score_below: float = 0.5
    prediction: str | None = None
    """The model's decision; when set, disparate impact counts ``favourable_value``
    in it as the favourable outcome instead of scores below the threshold."""
    favourable_value: Any = None

    @property
    def names(self) -> tuple[str, ...]:
        """The columns the stream reads (drift columns aside), without repeats."""
        return tuple(
            dict.fromkeys(
                c for c in (self.label, self.score, self.prediction, *self.protected) if c
            )
        )


class ScoredStream:
    """AUC, disparate impact and drift of a scored dataset, fed chunk by chunk."""

    def __init__(self, columns: ScoredColumns, policy: Policy, drift: DriftStream | None = None):
        self.columns = columns
        self.policy = policy
        self.drift = drift
        self.rows = 0
        self._scores = ScoreSummary(positive_label=columns.positive_label)
        self._groups = {a: GroupOutcomeSummary(favourable_outcome=True) for a in columns.protected}

    def update(self, chunk: pd.DataFrame) -> None:
        """Add one chunk of scored rows."""
        self.rows += len(chunk)
        score = chunk[self.columns.score].to_numpy(dtype=float)
        self._scores.update(chunk[self.columns.label].to_numpy(), score)
        if self.columns.prediction:
            predictions = chunk[self.columns.prediction]
            favourable = favourable_outcomes(predictions, self.columns.favourable_value)
        else:
            favourable = score < self.columns.favourable_when_score_below
        for attribute, summary in self._groups.items():
            summary.update(np.asarray(_objects(chunk[attribute]), dtype=object), favourable)
        if self.drift is not None:
            self.drift.update(chunk)

    def result(self) -> Evaluation:
        """The evaluation of everything fed so far."""
        notes: list[str] = []
        auc, bound = None, 0.0
        try:
            estimate = self._scores.result()
            auc, bound = estimate.auc, estimate.error_bound
        except UndefinedMetricError as exc:
            notes.append(f"AUC undefined: {exc}")
        fairness = {a: _fairness_dict(s, self.policy, notes, a) for a, s in self._groups.items()}
        drift = tuple(self.drift.results()) if self.drift else ()
        return Evaluation(self.rows, auc, bound, drift, fairness, tuple(notes))


def favourable_outcomes(predictions: pd.Series, favourable_value: Any) -> np.ndarray[Any, Any]:
    """True where the model's decision is the favourable one.

    Numeric decisions are compared with ``favourable_value`` as numbers (so the text
    "0" matches 0 and 0.0); any other decision is compared as stripped text.
    """
    wanted = pd.to_numeric(pd.Series([favourable_value]), errors="coerce").iloc[0]
    if is_numeric(predictions) and not pd.isna(wanted):
        return np.asarray(predictions.to_numpy(dtype=float, na_value=np.nan) == float(wanted))
    text = str(favourable_value).strip()
    return np.asarray(predictions.astype(str).str.strip().to_numpy() == text)


def evaluate_frames(chunks: Iterable[pd.DataFrame], stream: ScoredStream) -> Evaluation:
    """Feed every chunk to ``stream`` and return its evaluation."""
    for chunk in chunks:
        stream.update(chunk)
    return stream.result()


def _numeric(name: str, result: NumericDriftResult, policy: Policy) -> FeatureDrift:
    ks = result.ks
    drifted = bool(
        (ks is not None and exceeds(ks.statistic, policy.max_ks_drift))
        or (result.psi is not None and exceeds(result.psi, policy.max_psi))
    )
    return FeatureDrift(
        feature=name,
        kind="numeric",
        method="ks",
        drifted=drifted,
        statistic=ks.statistic if ks else None,
        p_value=ks.p_value if ks else None,
        psi=result.psi,
        error_bound=ks.error_bound if ks else 0.0,
        reference_missing_rate=result.missing.reference_rate,
        current_missing_rate=result.missing.current_rate,
        missing_rate_change=result.missing.change,
        undefined_reason=result.undefined_reason,
    )


def _categorical(name: str, result: CategoricalDriftResult, policy: Policy) -> FeatureDrift:
    chi = result.chi_square
    return FeatureDrift(
        feature=name,
        kind="categorical",
        method="psi+chi2",
        statistic=result.psi,
        p_value=chi.p_value if chi else None,
        psi=result.psi,
        drifted=bool(result.psi is not None and exceeds(result.psi, policy.max_psi)),
        reference_missing_rate=result.missing.reference_rate,
        current_missing_rate=result.missing.current_rate,
        missing_rate_change=result.missing.change,
        unseen_categories=tuple((c.name, c.share) for c in result.unseen_categories),
        undefined_reason=result.undefined_reason,
    )


def _fairness_dict(
    summary: GroupOutcomeSummary, policy: Policy, notes: list[str], attribute: str
) -> dict[str, Any]:
    try:
        result = summary.result(min_group_size=policy.min_group_size)
    except UndefinedMetricError as exc:
        notes.append(f"disparate impact undefined for {attribute}: {exc}")
        return {"ratio": None, "groups": []}
    return {
        "ratio": result.ratio,
        "lowest_group": result.lowest_group,
        "reference_group": result.reference_group,
        "insufficient_data": list(result.insufficient_groups),
        "groups": [
            {
                "group": g.group,
                "size": g.size,
                "favourable": g.favourable,
                "rate": g.rate,
                "ratio": g.ratio,
                "is_sufficient": g.is_sufficient,
            }
            for g in result.groups
        ],
    }


def _floats(series: pd.Series, name: str) -> np.ndarray[Any, Any]:
    if not is_numeric(series) and not series.isna().all():
        raise ValidationError(
            f"reference: column {name} holds numbers in its first rows and text further "
            "on; give it one type in the dataset's schema."
        )
    return np.asarray(series.to_numpy(dtype=float, na_value=np.nan), dtype=np.float64)


def _objects(series: pd.Series) -> list[object]:
    # Categorical kernels count labels as text; missing values stay None, so they are
    # counted apart rather than as a category named "nan".
    return [None if pd.isna(v) else str(v) for v in series.to_numpy(dtype=object)]
