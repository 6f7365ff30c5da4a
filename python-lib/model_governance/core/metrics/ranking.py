"""ROC AUC of the positive class, its curve points, and a mergeable summary for chunks.

AUC here is the probability that a random positive row scores above a random
negative row, a tie counting one half (the Mann-Whitney U statistic over P * N pairs).
This equals the trapezoidal area under the ROC curve, ties included, which is what
scikit-learn's ``roc_auc_score`` reports.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable, TypeVar

import numpy as np
import numpy.typing as npt

from model_governance.core.errors import UndefinedMetricError, ValidationError
from model_governance.core.metrics._validation import (
    BoolArray,
    FloatArray,
    IntArray,
    as_1d_float,
    require_both_classes,
    require_finite,
    require_non_empty,
    require_same_length,
    split_binary_labels,
)

__all__ = [
    "DEFAULT_MAX_UNIQUE_SCORES",
    "DEFAULT_SCORE_BINS",
    "AucEstimate",
    "RocCurve",
    "ScoreSummary",
    "roc_auc",
    "roc_curve_points",
]

DEFAULT_SCORE_BINS = 65_536
DEFAULT_MAX_UNIQUE_SCORES = 131_072
_PARALLEL_MIN_ROWS = 1_000_000
_SCORE_FIX = "Remove or impute those rows upstream; every row needs a finite score."

_First = TypeVar("_First")
_Second = TypeVar("_Second")


@dataclass(frozen=True)
class AucEstimate:
    """ROC AUC from a :class:`ScoreSummary`, with its guaranteed error bound.

    Attributes:
        auc: The AUC, in [0, 1].
        error_bound: ``|auc - exact AUC| <= error_bound``; 0.0 when not binned.
        n_positive: Rows of the positive class.
        n_negative: Rows of the other class.
        is_binned: True once the summary counts scores in bins rather than exactly.
    """

    auc: float
    error_bound: float
    n_positive: int
    n_negative: int
    is_binned: bool


@dataclass(frozen=True, eq=False)
class RocCurve:
    """ROC curve points, ordered by decreasing threshold.

    Attributes:
        fpr: False-positive rate at each point, from 0 to 1.
        tpr: True-positive rate at each point, from 0 to 1.
        thresholds: A row is predicted positive when its score is >= the threshold;
            the first threshold is +inf (nothing predicted positive).
    """

    fpr: FloatArray
    tpr: FloatArray
    thresholds: FloatArray


def roc_auc(y_true: npt.ArrayLike, y_score: npt.ArrayLike, *, positive_label: object = 1) -> float:
    """Exact ROC AUC of the positive class.

    Definition: AUC = (#{(p, n): s_p > s_n} + #{(p, n): s_p = s_n} / 2) / (P * N) over
    all pairs of a positive row p and a negative row n; equal to the trapezoidal area
    under the ROC curve with tied scores joined by straight segments.

    Value range: [0, 1]; 0.5 for uninformative scores, 1 for a perfect ranking.

    Edge cases: one class only raises UndefinedMetricError; NaN or infinite scores,
    unequal lengths, empty input and more than two label values raise ValidationError.
    All-tied scores give 0.5.

    Reference: Hanley & McNeil (1982), "The meaning and use of the area under a receiver
    operating characteristic (ROC) curve", Radiology 143(1).

    Args:
        y_true: Binary labels, one per row.
        y_score: Scores, higher meaning more likely positive.
        positive_label: The label value of the positive class.

    Returns:
        The AUC as a float.

    Example:
        >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        0.75
    """
    positives, negatives = _sorted_class_scores(y_true, y_score, positive_label)
    return _twice_mann_whitney(positives, negatives) / (2 * positives.size * negatives.size)


def roc_curve_points(
    y_true: npt.ArrayLike,
    y_score: npt.ArrayLike,
    *,
    positive_label: object = 1,
    drop_intermediate: bool = True,
) -> RocCurve:
    """ROC curve points (false-positive rate, true-positive rate) for plotting.

    Definition: one point per distinct score t, at fpr = #{n: s_n >= t} / N and
    tpr = #{p: s_p >= t} / P, preceded by (0, 0). With ``drop_intermediate`` the points
    lying on a straight segment between their neighbours are left out; the trapezoidal
    area under the points stays equal to :func:`roc_auc`.

    Value range: both rates in [0, 1], non-decreasing, ending at (1, 1).

    Edge cases: as :func:`roc_auc`; one class raises UndefinedMetricError.

    Reference: Fawcett (2006), "An introduction to ROC analysis", Pattern Recognition
    Letters 27(8).

    Args:
        y_true: Binary labels, one per row.
        y_score: Scores, higher meaning more likely positive.
        positive_label: The label value of the positive class.
        drop_intermediate: Leave out collinear points that change nothing in the plot.

    Returns:
        The curve as a :class:`RocCurve`.

    Example:
        >>> curve = roc_curve_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> curve.fpr.tolist(), curve.tpr.tolist()
        ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0])
    """
    positives, negatives = _sorted_class_scores(y_true, y_score, positive_label)
    thresholds = np.unique(np.concatenate([positives, negatives]))[::-1]
    true_pos = positives.size - np.searchsorted(positives, thresholds, "left")
    false_pos = negatives.size - np.searchsorted(negatives, thresholds, "left")
    true_pos, false_pos = np.r_[0, true_pos], np.r_[0, false_pos]
    thresholds = np.r_[np.inf, thresholds]

    keep = _corner_points(false_pos, true_pos) if drop_intermediate else slice(None)
    return RocCurve(
        fpr=false_pos[keep] / negatives.size,
        tpr=true_pos[keep] / positives.size,
        thresholds=thresholds[keep],
    )


class ScoreSummary:
    """Mergeable counts of positive and negative rows per score, for ROC AUC in chunks.

    While the data holds at most ``max_unique`` distinct scores the summary keeps one
    pair of counts per score and its AUC is exact. Beyond that it switches for good to
    ``bins`` equal-width bins over ``score_range`` (scores outside it fall into the end
    bins), so memory stays fixed whatever the row count. A positive and a negative row
    in the same bin then count as a tie whatever their true order, which bounds the
    error by the within-bin pairs:

        |AUC_binned - AUC_exact| <= sum_b P_b * N_b / (2 * P * N)
                                 <= min(max_b P_b / P, max_b N_b / N) / 2,

    with P_b, N_b the positives and negatives in bin b. ``result()`` reports the first
    expression as ``error_bound``; for scores whose class densities stay below c on
    [0, 1], the default 65,536 bins keep it below c / 131,072. Counts are exact, so the
    result does not depend on how rows are split into chunks or merged.

    Example:
        >>> summary = ScoreSummary()
        >>> summary.update([0, 1], [0.1, 0.35])
        >>> summary.update([0, 1], [0.4, 0.8])
        >>> summary.result().auc
        0.75
    """

    def __init__(
        self,
        *,
        positive_label: object = 1,
        bins: int = DEFAULT_SCORE_BINS,
        score_range: tuple[float, float] = (0.0, 1.0),
        max_unique: int = DEFAULT_MAX_UNIQUE_SCORES,
    ) -> None:
        _check_grid(bins, score_range, max_unique)
        self._positive_label = positive_label
        self._bins = bins
        self._range = (float(score_range[0]), float(score_range[1]))
        self._max_unique = max_unique
        self._negative_label: object = None
        # Exact mode: sorted distinct scores; binned mode: None.
        self._values: FloatArray | None = np.empty(0, dtype=np.float64)
        # Row 0 counts negatives, row 1 positives, per distinct score or per bin.
        self._counts: IntArray = np.zeros((2, 0), dtype=np.int64)

    @property
    def is_binned(self) -> bool:
        """True once scores are counted in bins rather than exactly."""
        return self._values is None

    def update(self, y_true: npt.ArrayLike, y_score: npt.ArrayLike) -> None:
        """Add one chunk of labelled scores; a chunk may hold one class or no rows."""
        scores = as_1d_float(y_score, field="y_score")
        is_positive, other = split_binary_labels(
            y_true, positive_label=self._positive_label, field="y_true"
        )
        require_same_length(is_positive, scores, fields="y_true and y_score")
        require_finite(scores, field="y_score", fix=_SCORE_FIX)
        self._record_negative_label(other)

        if self._values is None:
            self._counts += self._bin_counts(scores, is_positive)
        else:
            self._add_exact(self._values, scores, is_positive)

    def merge(self, other: ScoreSummary) -> None:
        """Add the counts of ``other``, built with the same settings, into this one."""
        self._require_same_settings(other)
        self._record_negative_label(other._negative_label)
        if self._values is not None and other._values is not None:
            self._absorb_exact(self._values, other._values, other._counts)
            return
        self._switch_to_bins()
        self._counts += other._binned_copy()

    def result(self) -> AucEstimate:
        """ROC AUC of the rows seen so far, with its error bound.

        Raises:
            UndefinedMetricError: No rows, or only one class, were seen.
        """
        negatives, positives = self._counts
        n_positive, n_negative = int(positives.sum()), int(negatives.sum())
        if n_positive + n_negative == 0:
            raise UndefinedMetricError(
                "y_true: no rows were added to the score summary; ROC AUC is undefined. "
                "Check that the evaluation dataset is not empty."
            )
        require_both_classes(n_positive, n_negative, positive_label=self._positive_label)

        negatives_below = np.cumsum(negatives) - negatives
        tied = int(np.dot(positives, negatives))
        pairs = 2 * n_positive * n_negative
        auc = (2 * int(np.dot(positives, negatives_below)) + tied) / pairs
        bound = tied / pairs if self.is_binned else 0.0
        return AucEstimate(auc, bound, n_positive, n_negative, self.is_binned)

    def _require_same_settings(self, other: ScoreSummary) -> None:
        theirs = (other._positive_label, other._bins, other._range)
        ours = (self._positive_label, self._bins, self._range)
        if theirs != ours:
            raise ValidationError(
                "ScoreSummary.merge: the summaries use different positive labels, bins or "
                f"score ranges; received {theirs} for {ours}. Build every partial summary "
                "with the same settings."
            )

    def _record_negative_label(self, label: object) -> None:
        if label is None:
            return
        if self._negative_label is None:
            self._negative_label = label
        elif label != self._negative_label:
            raise ValidationError(
                f"y_true: chunks carry different negative labels, {self._negative_label!r} "
                f"and {label!r} (positive label {self._positive_label!r}). Map labels to "
                "two classes before streaming."
            )

    def _add_exact(self, held: FloatArray, scores: FloatArray, is_positive: BoolArray) -> None:
        values = np.unique(scores)
        if np.union1d(held, values).size > self._max_unique:
            # Bin the raw chunk directly rather than count it exactly first.
            self._switch_to_bins()
            self._counts += self._bin_counts(scores, is_positive)
            return
        slots = 2 * np.searchsorted(values, scores) + is_positive
        counts = np.bincount(slots, minlength=2 * values.size).reshape(values.size, 2).T
        self._absorb_exact(held, values, counts)

    def _absorb_exact(self, held: FloatArray, values: FloatArray, counts: IntArray) -> None:
        merged = np.union1d(held, values)
        combined = np.zeros((2, merged.size), dtype=np.int64)
        combined[:, np.searchsorted(merged, held)] += self._counts
        combined[:, np.searchsorted(merged, values)] += counts
        self._values, self._counts = merged, combined
        if merged.size > self._max_unique:
            self._switch_to_bins()

    def _switch_to_bins(self) -> None:
        if self._values is not None:
            self._counts = self._binned_copy()
            self._values = None

    def _binned_copy(self) -> IntArray:
        if self._values is None:
            return self._counts.copy()
        binned = np.zeros((2, self._bins), dtype=np.int64)
        index = self._bin_index(self._values)
        np.add.at(binned[0], index, self._counts[0])
        np.add.at(binned[1], index, self._counts[1])
        return binned

    def _bin_counts(self, scores: FloatArray, is_positive: BoolArray) -> IntArray:
        slots = 2 * self._bin_index(scores) + is_positive
        return np.bincount(slots, minlength=2 * self._bins).reshape(self._bins, 2).T

    def _bin_index(self, scores: FloatArray) -> npt.NDArray[np.intp]:
        # floor of a positive scaling is monotone, so bins stay ordered intervals even
        # where rounding moves a score across an edge; the error bound relies on that.
        low, high = self._range
        scaled = np.floor((scores - low) * (self._bins / (high - low)))
        return np.clip(scaled, 0, self._bins - 1).astype(np.intp)


def _check_grid(bins: int, score_range: tuple[float, float], max_unique: int) -> None:
    low, high = (float(value) for value in score_range)
    if bins < 1 or max_unique < 0:
        raise ValidationError(
            f"bins and max_unique: expected bins >= 1 and max_unique >= 0; received "
            f"{bins} and {max_unique}. Use the defaults unless memory is constrained."
        )
    if not (np.isfinite(low) and np.isfinite(high) and low < high):
        raise ValidationError(
            f"score_range: expected finite (low, high) with low < high; received "
            f"{score_range!r}. Use (0.0, 1.0) for probabilities."
        )


def _sorted_class_scores(
    y_true: npt.ArrayLike, y_score: npt.ArrayLike, positive_label: object
) -> tuple[FloatArray, FloatArray]:
    """Validate the inputs; return the sorted scores of positive and negative rows."""
    scores = as_1d_float(y_score, field="y_score")
    is_positive, _ = split_binary_labels(y_true, positive_label=positive_label, field="y_true")
    require_same_length(is_positive, scores, fields="y_true and y_score")
    require_non_empty(scores, field="y_true and y_score")
    require_finite(scores, field="y_score", fix=_SCORE_FIX)

    positives, negatives = scores[is_positive], scores[~is_positive]
    require_both_classes(positives.size, negatives.size, positive_label=positive_label)
    return _run_both(
        lambda: np.sort(positives),
        lambda: np.sort(negatives),
        parallel=scores.size >= _PARALLEL_MIN_ROWS,
    )


def _twice_mann_whitney(positives: FloatArray, negatives: FloatArray) -> int:
    """2U = 2 * #(positive above negative) + #(ties), from the two sorted classes."""
    # Searching the smaller sorted class in the larger avoids scikit-learn's argsort
    # and cumulative sums over all rows; integer counts keep the result exact.
    smaller, larger = sorted((positives, negatives), key=lambda array: array.size)
    below, up_to = _run_both(
        lambda: np.searchsorted(larger, smaller, "left"),
        lambda: np.searchsorted(larger, smaller, "right"),
        parallel=smaller.size >= _PARALLEL_MIN_ROWS,
    )
    total = int(below.sum(dtype=np.int64)) + int(up_to.sum(dtype=np.int64))
    if smaller is positives:
        return total
    return 2 * positives.size * negatives.size - total


def _corner_points(false_pos: IntArray, true_pos: IntArray) -> BoolArray:
    """Keep the ends and every point where the curve changes direction."""
    dx, dy = np.diff(false_pos), np.diff(true_pos)
    bends = dx[:-1] * dy[1:] != dy[:-1] * dx[1:]
    return np.concatenate([[True], bends, [True]])


def _run_both(
    first: Callable[[], _First], second: Callable[[], _Second], *, parallel: bool
) -> tuple[_First, _Second]:
    """Run two NumPy calls that release the GIL, on two threads when ``parallel``."""
    if not parallel:
        return first(), second()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = pool.submit(second)
        return first(), pending.result()
