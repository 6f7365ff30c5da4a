"""Distribution drift of one feature between a reference sample and a current window.

Numeric features get the two-sample Kolmogorov-Smirnov statistic D with its p-value and
the population stability index (PSI) on reference quantile bins; categorical features
get PSI over categories, a chi-square p-value and the categories the reference never
saw. Both report missing-value rates as a signal of their own. Thresholds belong to the
policy: these kernels return numbers only.

For large data the reference side is summarised once (:class:`NumericReferenceSummary`,
JSON-able for the ledger) and the current side streams into fixed-size counts on the
reference grid (:class:`NumericCurrentSummary`); categorical counts merge exactly
(:class:`CategoricalSummary`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import numpy.typing as npt
from scipy import stats

from model_governance.core.errors import UndefinedMetricError, ValidationError
from model_governance.core.metrics._validation import (
    FloatArray,
    IntArray,
    as_1d_float,
    count_missing,
    is_missing_object,
    preview,
    require_1d,
    require_finite,
    require_non_empty,
    require_same_length,
)

__all__ = [
    "DEFAULT_GRID_SIZE",
    "DEFAULT_PSI_BINS",
    "DEFAULT_PSI_EPSILON",
    "CategoricalDriftResult",
    "CategoricalSummary",
    "CategoryCounts",
    "CategoryShare",
    "ChiSquareResult",
    "KSResult",
    "MissingRateResult",
    "NumericCurrentSummary",
    "NumericDriftResult",
    "NumericReferenceSummary",
    "categorical_drift",
    "chi_square_test",
    "ks_statistic",
    "missing_rate_change",
    "numeric_drift",
    "numeric_drift_by_column",
    "population_stability_index",
    "psi_from_counts",
]

logger = logging.getLogger(__name__)

DEFAULT_GRID_SIZE = 2048
DEFAULT_PSI_BINS = 10
DEFAULT_PSI_EPSILON = 1e-4
# First-pass grid of an exact comparison; a finer grid leaves fewer slots to refine.
_COARSE_GRID_SIZE = 16_384
_NUMERIC_FORMAT = "numeric_reference_summary/1"
_CATEGORICAL_FORMAT = "categorical_summary/1"
# ks_2samp(method="auto") computes the exact p-value up to this many rows per sample.
_SCIPY_EXACT_MAX_ROWS = 10_000
_NAN_FIX = "Missing values are allowed in numeric_drift, which counts them; remove them here."

CategoricalInput = Union["CategoricalSummary", Iterable[object]]
NumericReferenceInput = Union["NumericReferenceSummary", npt.ArrayLike]


@dataclass(frozen=True)
class KSResult:
    """Two-sample Kolmogorov-Smirnov statistic D and its two-sided p-value.

    Attributes:
        statistic: D = sup_x |F_ref(x) - F_cur(x)|, in [0, 1]; from a binned summary,
            a lower bound of the exact D.
        p_value: SciPy's two-sided p-value for ``statistic``, in [0, 1].
        n_reference: Non-missing reference values.
        n_current: Non-missing current values.
        error_bound: The exact D lies in [statistic, statistic + error_bound]; 0.0
            when exact.
    """

    statistic: float
    p_value: float
    n_reference: int
    n_current: int
    error_bound: float = 0.0


@dataclass(frozen=True)
class MissingRateResult:
    """Missing-value counts of both sides; rates and change are derived from them.

    Attributes:
        reference_missing: Missing (None or NaN) values in the reference.
        reference_rows: Rows in the reference, missing included.
        current_missing: Missing values in the current window.
        current_rows: Rows in the current window, missing included.
    """

    reference_missing: int
    reference_rows: int
    current_missing: int
    current_rows: int

    def __post_init__(self) -> None:
        for side, rows in (("reference", self.reference_rows), ("current", self.current_rows)):
            if rows < 1:
                raise UndefinedMetricError(
                    f"{side}: no rows received, so its missing rate is undefined. Check "
                    "the dataset and any partition or time-window filter."
                )

    @property
    def reference_rate(self) -> float:
        """Share of missing values in the reference, in [0, 1]."""
        return self.reference_missing / self.reference_rows

    @property
    def current_rate(self) -> float:
        """Share of missing values in the current window, in [0, 1]."""
        return self.current_missing / self.current_rows

    @property
    def change(self) -> float:
        """Current rate minus reference rate, in [-1, 1]."""
        return self.current_rate - self.reference_rate


@dataclass(frozen=True)
class NumericDriftResult:
    """Drift of one numeric feature.

    Attributes:
        missing: Missing-value rates of both sides, always reported.
        ks: KS statistic and p-value on the non-missing values; None when undefined.
        psi: PSI on reference quantile bins; None when undefined.
        undefined_reason: Why ``ks`` and ``psi`` are None (a side has no value left
            once missing values are counted out); None when defined.
    """

    missing: MissingRateResult
    ks: KSResult | None
    psi: float | None
    undefined_reason: str | None = None

    @property
    def is_defined(self) -> bool:
        """True when KS and PSI have values."""
        return self.ks is not None


@dataclass(frozen=True)
class ChiSquareResult:
    """Pearson chi-square test of homogeneity between two count vectors.

    Attributes:
        statistic: The chi-square statistic, >= 0.
        p_value: Its p-value, in [0, 1].
        dof: Degrees of freedom (categories present minus one).
    """

    statistic: float
    p_value: float
    dof: int


@dataclass(frozen=True)
class CategoryShare:
    """A category with its count and share of the non-missing rows of one side."""

    name: str
    count: int
    share: float


@dataclass(frozen=True)
class CategoryCounts:
    """Counts per category (sorted by name) and the missing count of one sample."""

    counts: tuple[tuple[str, int], ...]
    missing: int


@dataclass(frozen=True)
class CategoricalDriftResult:
    """Drift of one categorical feature.

    Attributes:
        missing: Missing-value rates of both sides, always reported.
        psi: PSI over the categories of both sides; None when undefined.
        chi_square: Chi-square test of the two category distributions; None when
            undefined.
        unseen_categories: Current categories absent from the reference, largest share
            first, with their share of the current non-missing rows.
        undefined_reason: Why ``psi`` and ``chi_square`` are None; None when defined.
    """

    missing: MissingRateResult
    psi: float | None
    chi_square: ChiSquareResult | None
    unseen_categories: tuple[CategoryShare, ...] = ()
    undefined_reason: str | None = None

    @property
    def is_defined(self) -> bool:
        """True when PSI and chi-square have values."""
        return self.psi is not None


@dataclass(frozen=True, eq=False)
class NumericReferenceSummary:
    """Reference side of numeric drift, computed once and stored with the approval.

    The grid holds up to ``grid_size`` reference values at evenly spaced ranks, always
    with the minimum, the maximum and the PSI bin edges. ``counts`` has 2k + 1 exact
    reference counts for a k-point grid: slot 2j counts values strictly between
    grid[j - 1] and grid[j] (below grid[0] for j = 0, above grid[k - 1] for j = k) and
    slot 2j + 1 counts values equal to grid[j]. A current window counted on the same
    slots (:class:`NumericCurrentSummary`) gives KS and PSI without the reference rows.

    KS error bound: D is evaluated exactly at each grid point and just below it, so
    the reported statistic is a true ECDF gap and never exceeds the exact D. Inside an
    open slot the gap F_ref - F_cur moves by at most the reference share r and the
    current share c that fall into it, so

        statistic <= D_exact <= statistic + error_bound,
        error_bound <= max over open slots of max(r, c),

    with r <= about 1 / (grid_size - 1) by construction; c is large only if the current
    window piles up between two neighbouring reference quantiles. The bound is computed
    from the counts and reported in :attr:`KSResult.error_bound`; it is 0 when the grid
    holds every distinct reference value (at most ``grid_size`` of them). PSI from the
    summary is exact: its edges are grid points.

    Attributes:
        grid: Strictly increasing finite reference values (k points).
        counts: The 2k + 1 slot counts of the non-missing reference values.
        psi_edge_index: Grid positions of the PSI bin edges, increasing.
        missing: Missing reference values.

    Example:
        >>> ref = NumericReferenceSummary.from_values([1.0, 2.0, 2.0, None])
        >>> ref.grid.tolist(), ref.counts.tolist(), ref.missing
        ([1.0, 2.0], [0, 1, 0, 2, 0], 1)
    """

    grid: FloatArray
    counts: IntArray
    psi_edge_index: IntArray
    missing: int

    def __post_init__(self) -> None:
        _check_reference_summary(self.grid, self.counts, self.psi_edge_index, self.missing)

    @classmethod
    def from_values(
        cls,
        values: npt.ArrayLike,
        *,
        grid_size: int | None = DEFAULT_GRID_SIZE,
        psi_bins: int = DEFAULT_PSI_BINS,
    ) -> NumericReferenceSummary:
        """Summarise reference values (None or NaN counted as missing).

        Args:
            values: The reference column.
            grid_size: Grid points kept; None keeps every distinct value (exact KS).
            psi_bins: PSI bins, cut at reference quantiles i / psi_bins.

        Returns:
            The summary.
        """
        _check_bin_settings(grid_size, psi_bins)
        ordered, missing = _sorted_non_missing(values, field="reference")
        return _summarise_sorted(ordered, missing, grid_size, psi_bins)

    @property
    def rows(self) -> int:
        """Reference rows, missing included."""
        return int(self.counts.sum()) + self.missing

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form, for storing with the approval in the ledger."""
        return {
            "format": _NUMERIC_FORMAT,
            "grid": [float(value) for value in self.grid.tolist()],
            "counts": [int(value) for value in self.counts.tolist()],
            "psi_edge_index": [int(value) for value in self.psi_edge_index.tolist()],
            "missing": int(self.missing),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> NumericReferenceSummary:
        """Rebuild a summary from :meth:`to_dict` output, checking its consistency."""
        _require_format(data, _NUMERIC_FORMAT)
        try:
            return cls(
                grid=np.asarray(data["grid"], dtype=np.float64),
                counts=_exact_int_array(data["counts"]),
                psi_edge_index=_exact_int_array(data["psi_edge_index"]),
                missing=int(data["missing"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, ValidationError):
                raise
            raise ValidationError(
                f"reference summary: unreadable field ({exc!r}). Rebuild the summary "
                "from the reference data with NumericReferenceSummary.from_values."
            ) from exc


class NumericCurrentSummary:
    """Current-window counts on a reference grid, filled chunk by chunk and mergeable.

    Memory is the 2k + 1 counts of the grid whatever the row count; counts are exact,
    so the result is identical for any chunking. See :class:`NumericReferenceSummary`
    for the KS error bound.

    Example:
        >>> ref = NumericReferenceSummary.from_values([1.0, 2.0, 3.0, 4.0])
        >>> current = NumericCurrentSummary(ref)
        >>> current.update([3.0, 4.0])
        >>> current.update([5.0, 6.0, None])
        >>> result = current.result()
        >>> result.ks.statistic, result.missing.current_rate
        (0.5, 0.2)
    """

    def __init__(self, reference: NumericReferenceSummary) -> None:
        self._reference = reference
        self._counts: IntArray = np.zeros_like(reference.counts)
        self._missing = 0

    def update(self, values: npt.ArrayLike) -> None:
        """Add one chunk of current values (None or NaN counted as missing)."""
        ordered, missing = _sorted_non_missing(values, field="current")
        self._counts += _slot_counts(ordered, self._reference.grid)
        self._missing += missing

    def merge(self, other: NumericCurrentSummary) -> None:
        """Add the counts of ``other``, built on the same reference grid."""
        if other._reference is not self._reference and not np.array_equal(
            other._reference.grid, self._reference.grid
        ):
            raise ValidationError(
                "NumericCurrentSummary.merge: the summaries use different reference grids "
                f"({other._reference.grid.size} and {self._reference.grid.size} points). "
                "Build every partial summary from the same NumericReferenceSummary."
            )
        self._counts += other._counts
        self._missing += other._missing

    def result(self, *, psi_epsilon: float = DEFAULT_PSI_EPSILON) -> NumericDriftResult:
        """KS, PSI and missing rates of the rows seen so far against the reference."""
        return _compare_numeric(self._reference, self._counts, self._missing, psi_epsilon)


class CategoricalSummary:
    """Exact, mergeable category counts of one side; None and NaN count as missing.

    Categories are compared by their text, ``str(value)``.

    Example:
        >>> summary = CategoricalSummary()
        >>> summary.update(["a", "b", None])
        >>> summary.update(["a"])
        >>> summary.result()
        CategoryCounts(counts=(('a', 2), ('b', 1)), missing=1)
    """

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._missing = 0

    @property
    def counts(self) -> dict[str, int]:
        """A copy of the counts per category."""
        return dict(self._counts)

    @property
    def missing(self) -> int:
        """Missing values seen."""
        return self._missing

    @property
    def rows(self) -> int:
        """Rows seen, missing included."""
        return sum(self._counts.values()) + self._missing

    def update(self, values: Iterable[object]) -> None:
        """Add one chunk of values."""
        # Counting Python objects from tolist() is several times faster than iterating
        # NumPy scalars, and faster than np.unique's sort of strings.
        items = values.tolist() if isinstance(values, np.ndarray) else values
        self.update_counts(Counter(items))

    def update_counts(self, counts: Mapping[object, int]) -> None:
        """Add counts already aggregated per value (a value_counts or a group-by).

        Keys None and NaN count as missing; counts must be whole numbers >= 0.
        """
        numbers = _exact_int_array(list(counts.values()), field="counts").tolist()
        for value, count in zip(counts, numbers):
            if is_missing_object(value):
                self._missing += count
            else:
                self._counts[str(value)] += count

    def merge(self, other: CategoricalSummary) -> None:
        """Add the counts of ``other``."""
        self._counts.update(other._counts)
        self._missing += other._missing

    def result(self) -> CategoryCounts:
        """An immutable snapshot of the counts."""
        return CategoryCounts(tuple(sorted(self._counts.items())), self._missing)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able form, for storing with the approval in the ledger."""
        return {
            "format": _CATEGORICAL_FORMAT,
            "counts": dict(self._counts),
            "missing": self._missing,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CategoricalSummary:
        """Rebuild a summary from :meth:`to_dict` output."""
        _require_format(data, _CATEGORICAL_FORMAT)
        try:
            names, values = zip(*dict(data["counts"]).items()) if data["counts"] else ((), ())
            missing = data["missing"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(
                f"categorical summary: unreadable field ({exc!r}). Rebuild the summary "
                "from the reference data with CategoricalSummary.update."
            ) from exc
        summary = cls()
        counts = _exact_int_array(list(values), field="counts").tolist()
        summary._counts = Counter(dict(zip((str(name) for name in names), counts)))
        summary._missing = int(_exact_int_array([missing], field="missing")[0])
        return summary


def ks_statistic(reference: npt.ArrayLike, current: npt.ArrayLike) -> KSResult:
    """Exact two-sample Kolmogorov-Smirnov statistic D and its two-sided p-value.

    Definition: D = sup_x |F_ref(x) - F_cur(x)| over the empirical CDFs. The p-value
    is SciPy's for ``ks_2samp(method="auto")``: exact when both samples have at most
    10,000 values, else the asymptotic ``scipy.stats.kstwo`` law with
    n = round(m * n / (m + n)).

    Value range: D and p-value in [0, 1]; D is symmetric in its arguments.

    Cost: sorting both samples, then searching a coarse grid. SciPy's asymptotic
    p-value sums an exact series of about n terms when 2.2 <= n * D**2 < 370 and
    n <= 1,000,000 (n = m * n / (m + n) here), about 2 s at n = 10**6 and holding
    the GIL; ``ks_2samp`` pays the same.

    Edge cases: identical or constant-equal samples give D = 0 and p-value 1; NaN,
    infinite values or an empty side raise ValidationError (use :func:`numeric_drift`
    to count missing values instead).

    Reference: Hodges (1958), "The significance probability of the Smirnov two-sample
    test", Arkiv for Matematik 3(5).

    Args:
        reference: Reference sample.
        current: Current sample.

    Returns:
        The statistic and p-value as a :class:`KSResult` (``error_bound`` 0.0).

    Example:
        >>> result = ks_statistic([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0])
        >>> result.statistic, round(result.p_value, 4)
        (0.5, 0.7714)
    """
    ordered_reference = _sorted_finite(reference, field="reference")
    ordered_current = _sorted_finite(current, field="current")
    summary, counts = _exact_comparison(ordered_reference, 0, ordered_current, DEFAULT_PSI_BINS)
    return _ks_from_slots(summary.counts, counts)


def population_stability_index(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    bins: int = DEFAULT_PSI_BINS,
    epsilon: float = DEFAULT_PSI_EPSILON,
) -> float:
    """PSI of a numeric feature on reference quantile bins.

    Definition: PSI = sum_i (c_i - r_i) * ln(c_i / r_i) over bins
    (-inf, e_1], (e_1, e_2], ..., (e_last, inf), where e_i is the smallest reference
    value whose ECDF reaches i / bins and r_i, c_i are the reference and current
    shares. Tied edges merge, so a feature with few distinct values has fewer bins.

    Value range: [0, inf); 0 for identical bin shares.

    Edge cases: an empty bin's share is raised to ``epsilon`` (default 1e-4) before the
    logarithm, so an empty bin adds a large but finite term; NaN, infinite values or an
    empty side raise ValidationError.

    Reference: Yurdakul (2018), "Statistical properties of population stability
    index", Western Michigan University dissertation 3208.

    Args:
        reference: Reference sample; its quantiles define the bins.
        current: Current sample.
        bins: Number of quantile bins before tied edges merge (>= 2).
        epsilon: Floor applied to every share, in (0, 1).

    Returns:
        The PSI.

    Example:
        >>> round(population_stability_index([1, 2, 3, 4], [1, 3, 4, 4], bins=2), 4)
        0.2747
    """
    _check_bin_settings(None, bins)
    summary = _summarise_sorted(_sorted_finite(reference, field="reference"), 0, 0, bins)
    current_counts = _slot_counts(_sorted_finite(current, field="current"), summary.grid)
    return _psi_from_slots(summary, current_counts, epsilon)


def psi_from_counts(
    reference_counts: npt.ArrayLike,
    current_counts: npt.ArrayLike,
    *,
    epsilon: float = DEFAULT_PSI_EPSILON,
) -> float:
    """PSI between two count vectors over the same bins or categories.

    Definition: PSI = sum_i (c_i - r_i) * ln(c_i / r_i) with shares r_i, c_i of each
    side's total, each floored at ``epsilon``. Every term is >= 0 because c - r and
    ln(c / r) share their sign.

    Value range: [0, inf); 0 when the shares are identical.

    Edge cases: a bin empty on one side contributes with share ``epsilon`` (default
    1e-4); a side with total 0 raises UndefinedMetricError.

    Reference: Siddiqi (2006), "Credit Risk Scorecards", Wiley, chapter 8.

    Args:
        reference_counts: Non-negative integer counts of the reference.
        current_counts: Counts of the current side, same bins and order.
        epsilon: Floor applied to every share, in (0, 1).

    Returns:
        The PSI.

    Example:
        >>> round(psi_from_counts([50, 50], [25, 75]), 4)
        0.2747
    """
    reference, current = _count_pair(reference_counts, current_counts)
    if not 0.0 < epsilon < 1.0:
        raise ValidationError(
            f"epsilon: expected a share floor in (0, 1); received {epsilon!r}. "
            f"Use the default {DEFAULT_PSI_EPSILON}."
        )
    reference_share = np.maximum(reference / reference.sum(), epsilon)
    current_share = np.maximum(current / current.sum(), epsilon)
    terms = (current_share - reference_share) * np.log(current_share / reference_share)
    return float(terms.sum())


def chi_square_test(
    reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike
) -> ChiSquareResult:
    """Pearson chi-square test that two count vectors share one distribution.

    Definition: ``scipy.stats.chi2_contingency`` on the 2 x C table of counts, without
    Yates' continuity correction so that two categories and twenty are treated alike.
    Categories empty on both sides are left out.

    Value range: statistic >= 0, p-value in [0, 1].

    Edge cases: a single category in total gives statistic 0, p-value 1 and 0 degrees
    of freedom (nothing can differ); a side with total 0 raises UndefinedMetricError.

    Reference: Agresti (2013), "Categorical Data Analysis", 3rd ed., section 3.2.

    Args:
        reference_counts: Non-negative integer counts of the reference.
        current_counts: Counts of the current side, same categories and order.

    Returns:
        The statistic, p-value and degrees of freedom.

    Example:
        >>> result = chi_square_test([50, 50], [25, 75])
        >>> round(result.statistic, 4), round(result.p_value, 4), result.dof
        (13.3333, 0.0003, 1)
    """
    reference, current = _count_pair(reference_counts, current_counts)
    present = (reference + current) > 0
    table = np.vstack([reference[present], current[present]])
    outcome = stats.chi2_contingency(table, correction=False)
    return ChiSquareResult(float(outcome.statistic), float(outcome.pvalue), int(outcome.dof))


def missing_rate_change(reference: npt.ArrayLike, current: npt.ArrayLike) -> MissingRateResult:
    """Missing-value counts and rates of both sides.

    Definition: rate = missing / rows per side, missing meaning None or NaN; the
    change is current rate minus reference rate.

    Value range: rates in [0, 1], change in [-1, 1].

    Edge cases: an empty side raises ValidationError; an all-missing side has rate 1.

    Reference: Little & Rubin (2019), "Statistical Analysis with Missing Data", 3rd ed.

    Args:
        reference: Reference column, numeric or not.
        current: Current column.

    Returns:
        The counts as a :class:`MissingRateResult`.

    Example:
        >>> missing_rate_change([1.0, None], [None, None, 3.0, 4.0]).change
        0.0
    """
    ref_missing, ref_rows = _count_missing_any(reference, field="reference")
    cur_missing, cur_rows = _count_missing_any(current, field="current")
    return MissingRateResult(ref_missing, ref_rows, cur_missing, cur_rows)


def numeric_drift(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    psi_bins: int = DEFAULT_PSI_BINS,
    psi_epsilon: float = DEFAULT_PSI_EPSILON,
) -> NumericDriftResult:
    """Exact drift of one numeric feature: missing rates, KS and PSI.

    Definition: missing values (None, NaN) are counted on each side and reported in
    ``missing``; KS (:func:`ks_statistic`) and PSI (:func:`population_stability_index`)
    are computed on the remaining values.

    Value range: see the parts.

    Edge cases: a side whose values are all missing leaves ``ks`` and ``psi`` None,
    ``is_defined`` False and ``undefined_reason`` set, while ``missing`` still reports
    the change; a side without rows raises UndefinedMetricError and an infinite
    value raises ValidationError.

    Reference: Massey (1951), "The Kolmogorov-Smirnov test for goodness of fit", JASA
    46(253).

    Args:
        reference: Reference column.
        current: Current column.
        psi_bins: PSI bins before tied edges merge.
        psi_epsilon: Floor applied to every PSI share.

    Returns:
        The drift as a :class:`NumericDriftResult`.

    Example:
        >>> result = numeric_drift([1.0, 2.0, None], [None, None, None])
        >>> result.is_defined, round(result.missing.change, 4)
        (False, 0.6667)
    """
    _check_bin_settings(None, psi_bins)
    ordered_reference, reference_missing = _sorted_non_missing(reference, field="reference")
    ordered_current, current_missing = _sorted_non_missing(current, field="current")
    summary, counts = _exact_comparison(
        ordered_reference, reference_missing, ordered_current, psi_bins
    )
    return _compare_numeric(summary, counts, current_missing, psi_epsilon)


def numeric_drift_by_column(
    reference: Mapping[str, NumericReferenceInput],
    current: Mapping[str, npt.ArrayLike],
    *,
    max_workers: int = 2,
) -> dict[str, NumericDriftResult]:
    """Drift of several numeric columns, computed on a thread pool.

    A reference column given as values is compared exactly (:func:`numeric_drift`);
    one given as a :class:`NumericReferenceSummary` is compared on its grid, which only
    sorts the current side.

    Args:
        reference: Reference values or stored summaries, by column name.
        current: Current values, by column name; the same names as ``reference``.
        max_workers: Threads; NumPy sorts and searches release the GIL.

    Returns:
        The drift per column, in the order of ``current``.

    Raises:
        ValidationError: Column names differ, or a column is invalid (named).

    Example:
        >>> drift = numeric_drift_by_column({"age": [30, 40]}, {"age": [50, 60]})
        >>> drift["age"].ks.statistic
        1.0
    """
    if set(reference) != set(current):
        raise ValidationError(
            "columns: the reference and current data name different columns; only in "
            f"reference: {sorted(set(reference) - set(current))}, only in current: "
            f"{sorted(set(current) - set(reference))}. Monitor the same features on both sides."
        )
    with ThreadPoolExecutor(max_workers=max(1, max_workers)) as pool:
        pending = {
            name: pool.submit(_column_drift, name, reference[name], values)
            for name, values in current.items()
        }
        return {name: job.result() for name, job in pending.items()}


def categorical_drift(
    reference: CategoricalInput,
    current: CategoricalInput,
    *,
    epsilon: float = DEFAULT_PSI_EPSILON,
) -> CategoricalDriftResult:
    """Drift of one categorical feature: missing rates, PSI, chi-square, unseen values.

    Definition: PSI (:func:`psi_from_counts`) and chi-square (:func:`chi_square_test`)
    over the union of both sides' categories, missing values counted apart.
    Categories absent from the reference are listed by name with their share of the
    current non-missing rows; in PSI their reference share is ``epsilon``.

    Value range: PSI >= 0; p-value in [0, 1].

    Edge cases: a side with only missing values leaves ``psi`` and ``chi_square``
    None and sets ``undefined_reason``; an empty side raises UndefinedMetricError.

    Reference: Siddiqi (2006), "Credit Risk Scorecards", Wiley, chapter 8.

    Args:
        reference: Reference values, or their :class:`CategoricalSummary`.
        current: Current values, or their summary.
        epsilon: Floor applied to every PSI share.

    Returns:
        The drift as a :class:`CategoricalDriftResult`.

    Example:
        >>> result = categorical_drift(["a", "b"], ["a", "c", None])
        >>> [(item.name, item.share) for item in result.unseen_categories]
        [('c', 0.5)]
    """
    ref, cur = _as_category_summary(reference), _as_category_summary(current)
    missing = MissingRateResult(ref.missing, ref.rows, cur.missing, cur.rows)
    reason = _undefined_reason(ref.rows - ref.missing, cur.rows - cur.missing)
    if reason is not None:
        return CategoricalDriftResult(missing, None, None, undefined_reason=reason)

    ref_counts, cur_counts = ref.counts, cur.counts
    names = sorted(set(ref_counts) | set(cur_counts))
    ref_array = np.array([ref_counts.get(name, 0) for name in names], dtype=np.int64)
    cur_array = np.array([cur_counts.get(name, 0) for name in names], dtype=np.int64)
    return CategoricalDriftResult(
        missing,
        psi_from_counts(ref_array, cur_array, epsilon=epsilon),
        chi_square_test(ref_array, cur_array),
        _unseen_categories(ref_counts, cur_counts),
    )


def _summarise_sorted(
    ordered: FloatArray, missing: int, grid_size: int | None, psi_bins: int
) -> NumericReferenceSummary:
    """Reference summary of sorted finite values; grid_size 0 keeps PSI edges only."""
    edges = _psi_edge_positions(ordered.size, psi_bins)
    if grid_size is None or grid_size >= ordered.size:
        grid, counts = _every_distinct_value(ordered)
    else:
        spread = np.round(np.linspace(0, ordered.size - 1, grid_size)).astype(np.int64)
        grid = _distinct_sorted(ordered[np.union1d(spread, edges)])
        counts = _slot_counts(ordered, grid)
    edge_index = np.searchsorted(grid, _distinct_sorted(ordered[edges])).astype(np.int64)
    return NumericReferenceSummary(grid, counts, edge_index, missing)


def _every_distinct_value(ordered: FloatArray) -> tuple[FloatArray, IntArray]:
    """Grid of all distinct values with their slot counts (open slots all empty)."""
    starts = np.flatnonzero(np.concatenate(([True], ordered[1:] != ordered[:-1])))
    if ordered.size == 0:
        starts = starts[:0]
    counts = np.zeros(2 * starts.size + 1, dtype=np.int64)
    counts[1::2] = np.diff(np.append(starts, ordered.size))
    return ordered[starts], counts


def _psi_edge_positions(size: int, bins: int) -> IntArray:
    """Ranks of the smallest values whose ECDF reaches i / bins, for i = 1..bins-1."""
    if size == 0:
        return np.empty(0, dtype=np.int64)
    steps = np.arange(1, bins, dtype=np.int64)
    return -((-steps * size) // bins) - 1


def _distinct_sorted(ordered: FloatArray) -> FloatArray:
    if ordered.size == 0:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def _slot_counts(ordered: FloatArray, grid: FloatArray) -> IntArray:
    """Counts of sorted values in the 2k + 1 slots of a k-point grid."""
    # SciPy's ks_2samp sorts both samples and searches all rows of both per call; with
    # a stored grid only the current side is sorted and the k grid points searched.
    below = np.searchsorted(ordered, grid, "left")
    up_to = below.copy()
    if ordered.size:
        # Only grid values present in ``ordered`` need a second search; continuous data
        # has few, which nearly halves the cost of an exact (every-value) grid.
        present = np.flatnonzero(ordered[np.minimum(below, ordered.size - 1)] == grid)
        up_to[present] = np.searchsorted(ordered, grid[present], "right")
    slots = np.empty(2 * grid.size + 1, dtype=np.int64)
    slots[0::2] = np.append(below, ordered.size) - np.concatenate(([0], up_to))
    slots[1::2] = up_to - below
    return slots


def _compare_numeric(
    reference: NumericReferenceSummary, counts: IntArray, missing: int, epsilon: float
) -> NumericDriftResult:
    rates = MissingRateResult(
        reference.missing, reference.rows, missing, int(counts.sum()) + missing
    )
    reason = _undefined_reason(reference.rows - reference.missing, int(counts.sum()))
    if reason is not None:
        return NumericDriftResult(rates, None, None, reason)
    ks = _ks_from_slots(reference.counts, counts)
    psi = _psi_from_slots(reference, counts, epsilon)
    logger.debug("KS D=%.6f (bound %.2e), PSI=%.6f", ks.statistic, ks.error_bound, psi)
    return NumericDriftResult(rates, ks, psi)


def _undefined_reason(reference_values: int, current_values: int) -> str | None:
    if reference_values > 0 and current_values > 0:
        return None
    side = "reference" if reference_values == 0 else "current"
    return (
        f"{side}: every value is missing, so the distribution comparison is undefined; "
        "the missing-rate change is still reported."
    )


def _ks_from_slots(reference: IntArray, current: IntArray) -> KSResult:
    """KS statistic, p-value and error bound from slot counts on one grid."""
    gaps, reach = _gap_profile(reference, current)
    at = int(np.argmax(np.abs(gaps)))
    statistic = float(abs(gaps[at]))
    m, n = int(reference.sum()), int(current.sum())
    ref_below, cur_below = int(reference[: at + 1].sum()), int(current[: at + 1].sum())
    p_value = _ks_p_value(ref_below, cur_below, m, n, statistic)
    return KSResult(statistic, p_value, m, n, max(float(reach.max()) - statistic, 0.0))


def _gap_profile(reference: IntArray, current: IntArray) -> tuple[FloatArray, FloatArray]:
    """Gaps F_ref - F_cur after each slot; largest |gap| reachable in each open slot."""
    m, n = reference.sum(), current.sum()
    gaps = np.cumsum(reference) / m - np.cumsum(current) / n
    ref_open, cur_open = reference[0::2], current[0::2]
    start = np.concatenate(([0.0], gaps[1::2]))
    reach = np.maximum(np.abs(start + ref_open / m), np.abs(start - cur_open / n))
    # With one side empty in a slot, only the other side moves: its extremes are the
    # evaluated gaps at both ends, so the slot hides nothing.
    reach[(ref_open == 0) | (cur_open == 0)] = 0.0
    return gaps, reach


def _exact_comparison(
    ordered_reference: FloatArray,
    reference_missing: int,
    ordered_current: FloatArray,
    psi_bins: int,
) -> tuple[NumericReferenceSummary, IntArray]:
    """Reference summary and current counts on a grid fine enough for the exact D."""
    # Searching a million-point grid costs more than the two sorts. A coarse grid bounds
    # the gap in every slot; only slots whose bound exceeds the coarse D then get all
    # their reference values as grid points, which makes D exact at a fraction of it.
    coarse = _summarise_sorted(ordered_reference, reference_missing, _COARSE_GRID_SIZE, psi_bins)
    counts = _slot_counts(ordered_current, coarse.grid)
    if ordered_reference.size == 0 or ordered_current.size == 0:
        return coarse, counts
    gaps, reach = _gap_profile(coarse.counts, counts)
    open_slots = 2 * np.flatnonzero(reach > np.abs(gaps).max())
    if open_slots.size == 0:
        return coarse, counts
    ends = np.cumsum(coarse.counts)
    inside = _concatenated_ranges(ends[open_slots] - coarse.counts[open_slots], ends[open_slots])
    grid = np.union1d(coarse.grid, ordered_reference[inside])
    edges = np.searchsorted(grid, coarse.grid[coarse.psi_edge_index]).astype(np.int64)
    refined = NumericReferenceSummary(
        grid, _slot_counts(ordered_reference, grid), edges, reference_missing
    )
    return refined, _slot_counts(ordered_current, grid)


def _concatenated_ranges(starts: IntArray, stops: IntArray) -> IntArray:
    """np.arange(start, stop) for each pair, concatenated."""
    lengths = stops - starts
    offsets = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return offsets + np.arange(int(lengths.sum()), dtype=np.int64)


def _ks_p_value(ref_below: int, cur_below: int, m: int, n: int, statistic: float) -> float:
    """SciPy's two-sided p-value for D at a location with the given counts below it."""
    # kstwo.sf is the slowest step for slightly drifted columns of about a million rows
    # (see ks_statistic); it is kept so p-values agree with ks_2samp(method="auto").
    if max(m, n) <= _SCIPY_EXACT_MAX_ROWS:
        # SciPy's exact two-sample law is private, but ks_2samp derives its p-value
        # from D, m and n alone: two-valued samples with equal counts below D match it.
        reference = np.repeat([0.0, 1.0], [ref_below, m - ref_below])
        current = np.repeat([0.0, 1.0], [cur_below, n - cur_below])
        return float(stats.ks_2samp(reference, current, method="auto").pvalue)
    larger, smaller = float(max(m, n)), float(min(m, n))
    effective_n = np.round(larger * smaller / (larger + smaller))
    return float(np.clip(stats.kstwo.sf(statistic, effective_n), 0.0, 1.0))


def _psi_from_slots(reference: NumericReferenceSummary, counts: IntArray, epsilon: float) -> float:
    return psi_from_counts(
        _psi_bin_counts(reference.counts, reference.psi_edge_index),
        _psi_bin_counts(counts, reference.psi_edge_index),
        epsilon=epsilon,
    )


def _psi_bin_counts(slots: IntArray, edge_index: IntArray) -> IntArray:
    """Counts in the bins (-inf, e_1], (e_1, e_2], ..., (e_last, inf) from slots."""
    cumulative = np.cumsum(slots)
    up_to_edges = cumulative[2 * edge_index + 1]
    return np.diff(np.concatenate(([0], up_to_edges, [cumulative[-1]])))


def _column_drift(
    name: str, reference: NumericReferenceInput, current: npt.ArrayLike
) -> NumericDriftResult:
    try:
        if isinstance(reference, NumericReferenceSummary):
            window = NumericCurrentSummary(reference)
            window.update(current)
            return window.result()
        return numeric_drift(reference, current)
    except ValidationError as exc:
        raise type(exc)(f"column {name!r}: {exc}") from exc


def _sorted_non_missing(values: npt.ArrayLike, *, field: str) -> tuple[FloatArray, int]:
    """Sorted finite values and the count of missing ones (NaN sorts last)."""
    array = as_1d_float(values, field=field)
    missing = count_missing(array, field=field)
    return np.sort(array)[: array.size - missing], missing


def _sorted_finite(values: npt.ArrayLike, *, field: str) -> FloatArray:
    array = as_1d_float(values, field=field)
    require_non_empty(array, field=field)
    require_finite(array, field=field, fix=_NAN_FIX)
    return np.sort(array)


def _count_missing_any(values: npt.ArrayLike, *, field: str) -> tuple[int, int]:
    array = require_1d(np.asarray(values), field=field)
    require_non_empty(array, field=field)
    if array.dtype.kind == "f":
        return int(np.count_nonzero(np.isnan(array))), array.size
    if array.dtype.kind == "O":
        return sum(1 for value in array.tolist() if is_missing_object(value)), array.size
    return 0, array.size


def _count_pair(reference: npt.ArrayLike, current: npt.ArrayLike) -> tuple[IntArray, IntArray]:
    """Validate two count vectors over the same bins; both totals must be positive."""
    ref = require_1d(
        _exact_int_array(reference, field="reference_counts"), field="reference_counts"
    )
    cur = require_1d(_exact_int_array(current, field="current_counts"), field="current_counts")
    require_same_length(ref, cur, fields="reference_counts and current_counts")
    for field, counts in (("reference_counts", ref), ("current_counts", cur)):
        if counts.sum() == 0:
            raise UndefinedMetricError(
                f"{field}: the counts sum to 0, so shares are undefined; received "
                f"{preview(counts)}. Compare sides that each hold at least one row."
            )
    return ref, cur


def _exact_int_array(values: Any, *, field: str = "counts") -> IntArray:
    """Non-negative whole numbers as int64, or ValidationError naming ``field``."""
    array = np.asarray(values)
    if array.dtype.kind not in "biuf" or (
        array.size and not (np.all(np.isfinite(array)) and np.all(array == np.floor(array)))
    ):
        raise ValidationError(
            f"{field}: expected whole-number counts; received {preview(values)}. Pass "
            "the number of rows per bin or category."
        )
    if array.size and array.min() < 0:
        raise ValidationError(
            f"{field}: counts must be >= 0; received {preview(values)}. Pass row counts."
        )
    return array.astype(np.int64)


def _require_format(data: Mapping[str, Any], expected: str) -> None:
    received = data.get("format") if isinstance(data, Mapping) else None
    if received != expected:
        raise ValidationError(
            f"summary format: expected {expected!r}; received {received!r}. Rebuild the "
            "summary from the reference data with this version of the plugin."
        )


def _check_bin_settings(grid_size: int | None, psi_bins: int) -> None:
    if psi_bins < 2 or (grid_size is not None and grid_size < 2):
        raise ValidationError(
            f"psi_bins and grid_size: expected psi_bins >= 2 and grid_size >= 2 or None; "
            f"received {psi_bins} and {grid_size}. Use the defaults "
            f"({DEFAULT_PSI_BINS} and {DEFAULT_GRID_SIZE})."
        )


def _check_reference_summary(
    grid: FloatArray, counts: IntArray, edge_index: IntArray, missing: int
) -> None:
    problems = []
    if grid.ndim != 1 or counts.shape != (2 * grid.size + 1,):
        problems.append(f"{counts.size} counts for {grid.size} grid points (need 2k + 1)")
    elif grid.size and not (np.all(np.isfinite(grid)) and np.all(np.diff(grid) > 0)):
        problems.append("grid not strictly increasing and finite")
    if (counts.size and counts.min() < 0) or missing < 0:
        problems.append("negative counts")
    if edge_index.size and (
        edge_index.min() < 0 or edge_index.max() >= grid.size or np.any(np.diff(edge_index) <= 0)
    ):
        problems.append("PSI edge positions outside the grid or not increasing")
    if problems:
        raise ValidationError(
            f"reference summary: {'; '.join(problems)}. Rebuild the summary from the "
            "reference data with NumericReferenceSummary.from_values."
        )


def _as_category_summary(values: CategoricalInput) -> CategoricalSummary:
    if isinstance(values, CategoricalSummary):
        return values
    summary = CategoricalSummary()
    summary.update(values)
    return summary


def _unseen_categories(
    reference: Mapping[str, int], current: Mapping[str, int]
) -> tuple[CategoryShare, ...]:
    total = sum(current.values())
    unseen = [
        CategoryShare(name, count, count / total)
        for name, count in current.items()
        if name not in reference and count > 0
    ]
    return tuple(sorted(unseen, key=lambda item: (-item.count, item.name)))
