"""Disparate impact of a model's favourable outcome across protected groups.

For a fraud model the favourable outcome is "not flagged"; for a credit model it is
"approved". The policy, not this module, decides the minimum group size and what ratio
fails (the four-fifths rule fails below 0.8).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from model_governance.core.errors import UndefinedMetricError, ValidationError
from model_governance.core.metrics._validation import (
    BoolArray,
    IntArray,
    is_missing_object,
    preview,
    require_1d,
    require_same_length,
)

__all__ = [
    "DisparateImpactResult",
    "GroupOutcomeSummary",
    "GroupRate",
    "disparate_impact_ratio",
]

# Integer labels up to this value are counted directly with np.bincount.
_DIRECT_CODE_LIMIT = 65_536


@dataclass(frozen=True)
class GroupRate:
    """Favourable-outcome rate of one group.

    Attributes:
        group: The group label.
        size: Rows in the group.
        favourable: Rows with the favourable outcome.
        rate: favourable / size, in [0, 1].
        ratio: rate / the highest rate among sufficient groups, in [0, 1]; None for a
            group below the minimum size.
        is_sufficient: True when size >= the minimum group size.
    """

    group: str
    size: int
    favourable: int
    rate: float
    ratio: float | None
    is_sufficient: bool


@dataclass(frozen=True)
class DisparateImpactResult:
    """Disparate impact over the groups of one protected attribute.

    Attributes:
        ratio: The lowest group ratio among sufficient groups, in [0, 1].
        reference_group: The sufficient group with the highest rate.
        lowest_group: The sufficient group with the lowest rate.
        groups: Every group seen, sorted by label; groups below the minimum size
            report their rate and carry ``ratio`` None ("insufficient data").
        min_group_size: The minimum group size applied.
        missing_group_rows: Rows without a group label, left out.
    """

    ratio: float
    reference_group: str
    lowest_group: str
    groups: tuple[GroupRate, ...]
    min_group_size: int
    missing_group_rows: int = 0

    @property
    def insufficient_groups(self) -> tuple[str, ...]:
        """Labels of the groups below the minimum size (insufficient data)."""
        return tuple(item.group for item in self.groups if not item.is_sufficient)


class GroupOutcomeSummary:
    """Exact, mergeable row and favourable-outcome counts per group.

    Memory grows with the number of groups, not rows; any chunking gives the same
    result. Pass integer group codes with ``group_names`` (for example from
    ``pandas.factorize``, where -1 marks a missing label) for the fastest counting.

    Example:
        >>> summary = GroupOutcomeSummary(favourable_outcome=0)
        >>> summary.update(["a", "b"], [0, 0])
        >>> summary.update(["a", "b"], [0, 1])
        >>> summary.result(min_group_size=2).ratio
        0.5
    """

    def __init__(self, *, favourable_outcome: object = 1) -> None:
        self._favourable_outcome = favourable_outcome
        self._counts: dict[str, tuple[int, int]] = {}
        self._missing = 0

    def update(
        self,
        groups: npt.ArrayLike,
        outcomes: npt.ArrayLike,
        *,
        group_names: Sequence[str] | None = None,
    ) -> None:
        """Add one chunk of group labels (or codes) and outcomes, one per row each."""
        favourable = _favourable_mask(outcomes, self._favourable_outcome)
        codes, names = _encode_groups(groups, group_names)
        require_same_length(codes, favourable, fields="groups and outcomes")

        # Integer codes and one np.bincount over (code, outcome) pairs count ten million
        # rows in a few passes, where a group-by over labels goes through pandas.
        pairs = np.bincount(codes + codes + favourable, minlength=2 * len(names) + 2)
        sizes, hits = (pairs[0::2] + pairs[1::2]).tolist(), pairs[1::2].tolist()
        for name, size, hit in zip(names, sizes, hits):
            if size:
                self._add(name, size, hit)
        self._missing += sizes[len(names)]

    def merge(self, other: GroupOutcomeSummary) -> None:
        """Add the counts of ``other``, built with the same favourable outcome."""
        if other._favourable_outcome != self._favourable_outcome:
            raise ValidationError(
                "GroupOutcomeSummary.merge: favourable outcomes differ; received "
                f"{other._favourable_outcome!r} and {self._favourable_outcome!r}. Build "
                "every partial summary with the policy's favourable outcome."
            )
        for name, (size, hit) in other._counts.items():
            self._add(name, size, hit)
        self._missing += other._missing

    def result(self, *, min_group_size: int) -> DisparateImpactResult:
        """Disparate impact of the rows seen so far (see disparate_impact_ratio)."""
        _check_min_group_size(min_group_size)
        best, best_rate = self._highest_rate(self._sufficient_groups(min_group_size))
        rates = tuple(
            _group_rate(name, self._counts[name], best_rate, min_group_size)
            for name in sorted(self._counts)
        )
        ratios = {item.group: item.ratio for item in rates if item.ratio is not None}
        lowest = min(ratios, key=ratios.__getitem__)
        return DisparateImpactResult(
            ratios[lowest], best, lowest, rates, min_group_size, self._missing
        )

    def _sufficient_groups(self, min_group_size: int) -> dict[str, tuple[int, int]]:
        sufficient = {g: c for g, c in self._counts.items() if c[0] >= min_group_size}
        if len(sufficient) < 2:
            raise UndefinedMetricError(
                f"groups: {len(sufficient)} group(s) have at least min_group_size="
                f"{min_group_size} rows (sizes: {_sizes_text(self._counts)}); disparate "
                "impact needs two. Evaluate on more rows, or review the minimum group "
                "size in the policy."
            )
        return sufficient

    def _highest_rate(self, sufficient: dict[str, tuple[int, int]]) -> tuple[str, float]:
        # max keeps the first of equal values: a tie goes to the smallest label.
        best = max(sorted(sufficient), key=lambda name: _rate(sufficient[name]))
        if sufficient[best][1] == 0:
            raise UndefinedMetricError(
                f"outcomes: no row of a sufficient group has the favourable outcome "
                f"{self._favourable_outcome!r}, so every rate is 0 and the ratio is "
                "undefined. Check the favourable outcome value in the policy."
            )
        return best, _rate(sufficient[best])

    def add_counts(self, group: str, *, size: int, favourable: int) -> None:
        """Add a group's already-counted rows (for example from stored evidence)."""
        if size < 0 or not 0 <= favourable <= size:
            raise ValidationError(
                f"group {group!r}: favourable={favourable} and size={size} are not counts "
                "with 0 <= favourable <= size; recount the group."
            )
        if size:
            self._add(str(group), size, favourable)

    def _add(self, name: str, size: int, hit: int) -> None:
        old_size, old_hit = self._counts.get(name, (0, 0))
        self._counts[name] = (old_size + size, old_hit + hit)


def disparate_impact_ratio(
    groups: npt.ArrayLike,
    outcomes: npt.ArrayLike,
    *,
    min_group_size: int,
    favourable_outcome: object = 1,
    group_names: Sequence[str] | None = None,
) -> DisparateImpactResult:
    """Disparate impact of one protected attribute (four-fifths rule ratio).

    Definition: for each group g, rate_g = #(favourable rows in g) / #(rows in g);
    each sufficient group's ratio is rate_g / max_h rate_h over sufficient groups h, and
    the disparate impact is the lowest of these ratios. A group is sufficient when it
    has at least ``min_group_size`` rows; smaller groups are reported as insufficient
    data and never enter the ratio, so they can neither pass nor fail it.

    Value range: [0, 1]; 1 when every sufficient group has the same rate. Invariant to
    relabelling the groups.

    Edge cases: a highest rate of zero (no favourable outcome) or fewer than two
    sufficient groups raise UndefinedMetricError; rows with a missing group label
    (None, NaN, or code -1 with ``group_names``) are counted apart and left out;
    missing outcomes, unequal lengths or codes outside ``group_names`` raise
    ValidationError.

    Reference: US EEOC Uniform Guidelines on Employee Selection Procedures (1978),
    29 CFR 1607.4(D); Feldman et al. (2015), "Certifying and removing disparate
    impact", KDD.

    Args:
        groups: Group label per row, or integer codes into ``group_names``.
        outcomes: Model outcome per row.
        min_group_size: Minimum rows for a group to count, from the policy (>= 1).
        favourable_outcome: The outcome value that benefits the person.
        group_names: Names of the integer codes in ``groups``, when codes are given.

    Returns:
        The ratio, per-group sizes and rates as a :class:`DisparateImpactResult`.

    Example:
        >>> groups, outcomes = ["a", "a", "b", "b"], [1, 1, 1, 0]
        >>> result = disparate_impact_ratio(groups, outcomes, min_group_size=1)
        >>> result.ratio, result.reference_group, result.lowest_group
        (0.5, 'a', 'b')
    """
    summary = GroupOutcomeSummary(favourable_outcome=favourable_outcome)
    summary.update(groups, outcomes, group_names=group_names)
    return summary.result(min_group_size=min_group_size)


def _rate(counts: tuple[int, int]) -> float:
    return counts[1] / counts[0]


def _group_rate(
    name: str, counts: tuple[int, int], best_rate: float, min_group_size: int
) -> GroupRate:
    size, hit = counts
    is_sufficient = size >= min_group_size
    ratio = _rate(counts) / best_rate if is_sufficient else None
    return GroupRate(name, size, hit, _rate(counts), ratio, is_sufficient)


def _sizes_text(counts: dict[str, tuple[int, int]]) -> str:
    shown = sorted(counts.items())[:10]
    text = ", ".join(f"{name}={size}" for name, (size, _) in shown)
    return text + (", ..." if len(counts) > len(shown) else "") if text else "no rows"


def _check_min_group_size(min_group_size: int) -> None:
    if isinstance(min_group_size, bool) or not isinstance(min_group_size, (int, np.integer)):
        raise ValidationError(
            f"min_group_size: expected a whole number of rows; received {min_group_size!r}. "
            "Set the minimum group size in the policy."
        )
    if min_group_size < 1:
        raise ValidationError(
            f"min_group_size: expected at least 1 row; received {min_group_size}. "
            "Set the minimum group size in the policy."
        )


def _favourable_mask(outcomes: npt.ArrayLike, favourable_outcome: object) -> BoolArray:
    array = require_1d(np.asarray(outcomes), field="outcomes")
    if array.dtype.kind == "f":
        missing = int(np.count_nonzero(np.isnan(array)))
    elif array.dtype.kind == "O":
        missing = sum(1 for value in array.tolist() if is_missing_object(value))
    else:
        missing = 0
    if missing:
        raise ValidationError(
            f"outcomes: {missing} row(s) without an outcome (None or NaN). Score every row, "
            "or drop unscored rows before computing disparate impact."
        )
    return np.asarray(array == favourable_outcome, dtype=np.bool_)


def _encode_groups(
    groups: npt.ArrayLike, group_names: Sequence[str] | None
) -> tuple[IntArray, list[str]]:
    """Codes 0..k-1 per row, code k for a missing label, and the k group names."""
    array = require_1d(np.asarray(groups), field="groups")
    if group_names is not None:
        return _named_codes(array, [str(name) for name in group_names])
    if array.dtype.kind == "b":
        return array.astype(np.int64), ["False", "True"]
    if array.dtype.kind in "iu" and array.size:
        low, high = int(array.min()), int(array.max())
        if low >= 0 and high < _DIRECT_CODE_LIMIT:
            return array.astype(np.int64, copy=False), [str(code) for code in range(high + 1)]
    return _factorized(array)


def _named_codes(array: npt.NDArray[np.generic], names: list[str]) -> tuple[IntArray, list[str]]:
    if array.dtype.kind not in "iu" or (
        array.size and (int(array.min()) < -1 or int(array.max()) >= len(names))
    ):
        raise ValidationError(
            f"groups: with group_names, expected integer codes from -1 (missing) to "
            f"{len(names) - 1}; received {preview(array)}. Pass the codes that index "
            "group_names, or pass the labels without group_names."
        )
    codes = array.astype(np.int64, copy=False)
    if array.size and int(array.min()) == -1:
        codes = np.where(codes < 0, len(names), codes)
    return codes, names


def _factorized(array: npt.NDArray[np.generic]) -> tuple[IntArray, list[str]]:
    if array.dtype.kind == "f":
        missing = np.isnan(array)
    elif array.dtype.kind == "O":
        missing = np.fromiter((is_missing_object(v) for v in array.tolist()), bool, array.size)
    else:
        missing = np.zeros(array.size, dtype=np.bool_)
    names, inverse = np.unique(array[~missing].astype(str), return_inverse=True)
    codes = np.full(array.size, names.size, dtype=np.int64)
    codes[~missing] = inverse
    return codes, [str(name) for name in names.tolist()]
