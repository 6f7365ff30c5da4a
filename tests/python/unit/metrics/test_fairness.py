"""Disparate impact ratio and the group outcome summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model_governance.core.errors import UndefinedMetricError, ValidationError
from model_governance.core.metrics import GroupOutcomeSummary, disparate_impact_ratio


def test_disparate_impact_hand_computed_example():
    # Group a: 3 favourable of 4 (0.75); group b: 1 of 4 (0.25). Ratio 0.25 / 0.75.
    groups = ["a"] * 4 + ["b"] * 4
    outcomes = [1, 1, 1, 0, 1, 0, 0, 0]
    result = disparate_impact_ratio(groups, outcomes, min_group_size=4)
    assert result.ratio == pytest.approx(1 / 3)
    assert (result.reference_group, result.lowest_group) == ("a", "b")
    assert [(g.group, g.size, g.favourable, g.rate) for g in result.groups] == [
        ("a", 4, 3, 0.75),
        ("b", 4, 1, 0.25),
    ]


def test_disparate_impact_small_group_is_insufficient_and_left_out_of_ratio():
    # Group c (2 rows, rate 0) is below the minimum of 3: it would give ratio 0, but
    # only a (2/3) and b (1/3) count: (1/3) / (2/3) = 0.5.
    groups = ["a"] * 3 + ["b"] * 3 + ["c"] * 2
    outcomes = [1, 1, 0, 1, 0, 0, 0, 0]
    result = disparate_impact_ratio(groups, outcomes, min_group_size=3)
    assert result.ratio == pytest.approx(0.5)
    assert result.insufficient_groups == ("c",)
    small = result.groups[-1]
    assert (small.group, small.size, small.ratio, small.is_sufficient) == ("c", 2, None, False)


def test_disparate_impact_one_sufficient_group_raises_instead_of_passing():
    groups = ["a"] * 5 + ["b"]
    with pytest.raises(
        UndefinedMetricError, match=r"groups: 1 group\(s\) .*a=5, b=1.*minimum group size"
    ):
        disparate_impact_ratio(groups, [1] * 6, min_group_size=2)


def test_disparate_impact_zero_highest_rate_raises_undefined():
    with pytest.raises(
        UndefinedMetricError, match=r"outcomes: no row .*favourable outcome 1.*policy"
    ):
        disparate_impact_ratio(["a", "b"], [0, 0], min_group_size=1)


def test_disparate_impact_fraud_model_uses_not_flagged_as_favourable():
    # Not flagged (0): a 2 of 2 (1.0), b 1 of 2 (0.5): ratio 0.5.
    result = disparate_impact_ratio(
        ["a", "a", "b", "b"], [0, 0, 1, 0], min_group_size=1, favourable_outcome=0
    )
    assert result.ratio == pytest.approx(0.5)


def test_disparate_impact_codes_with_names_treat_minus_one_as_missing():
    # Code 0 is "x" (2 rows, 2 favourable), 1 is "y" (2 rows, 1), -1 missing (left out).
    result = disparate_impact_ratio(
        np.array([0, 0, 1, 1, -1]), [1, 1, 1, 0, 0], min_group_size=1, group_names=["x", "y"]
    )
    assert result.ratio == pytest.approx(0.5)
    assert result.missing_group_rows == 1


def test_disparate_impact_none_and_nan_labels_are_missing():
    groups = np.array(["a", None, "b", float("nan"), "a", "b"], dtype=object)
    result = disparate_impact_ratio(groups, [1, 1, 1, 1, 0, 1], min_group_size=1)
    assert result.missing_group_rows == 2
    assert [g.size for g in result.groups] == [2, 2]


def test_disparate_impact_boolean_groups_are_named_false_and_true():
    result = disparate_impact_ratio([True, False, True, False], [1, 1, 1, 0], min_group_size=1)
    assert (result.reference_group, result.lowest_group) == ("True", "False")


def test_disparate_impact_large_integer_labels_are_factorized():
    result = disparate_impact_ratio([10**9, 10**9, -7, -7], [1, 0, 1, 1], min_group_size=1)
    assert [g.group for g in result.groups] == ["-7", "1000000000"]
    assert result.ratio == pytest.approx(0.5)


def test_disparate_impact_equals_pandas_rate_ratio():
    rng = np.random.default_rng(0)
    groups = rng.choice(["n", "s", "e", "w"], 20_000)
    outcomes = (rng.random(20_000) < np.where(groups == "s", 0.4, 0.5)).astype(int)
    rates = pd.Series(outcomes).groupby(groups).mean()
    result = disparate_impact_ratio(groups, outcomes, min_group_size=30)
    assert result.ratio == pytest.approx(rates.min() / rates.max(), abs=1e-12)


def test_disparate_impact_code_outside_names_raises():
    with pytest.raises(
        ValidationError, match=r"groups: with group_names, expected integer codes from -1.*to 1"
    ):
        disparate_impact_ratio([0, 2], [1, 1], min_group_size=1, group_names=["x", "y"])


def test_disparate_impact_missing_outcome_raises():
    with pytest.raises(
        ValidationError, match=r"outcomes: 1 row\(s\) without an outcome.*drop unscored rows"
    ):
        disparate_impact_ratio(["a", "b"], [1.0, float("nan")], min_group_size=1)


def test_disparate_impact_length_mismatch_raises():
    with pytest.raises(
        ValidationError, match=r"groups and outcomes: lengths differ; received 3 and 2"
    ):
        disparate_impact_ratio(["a", "b", "c"], [1, 0], min_group_size=1)


@pytest.mark.parametrize("size", [0, 2.5, True])
def test_disparate_impact_invalid_min_group_size_raises(size):
    with pytest.raises(ValidationError, match=r"min_group_size: .*policy"):
        disparate_impact_ratio(["a", "b"], [1, 1], min_group_size=size)


def test_group_outcome_summary_chunks_equal_single_pass():
    rng = np.random.default_rng(1)
    groups, outcomes = rng.integers(0, 5, 10_000), rng.integers(0, 2, 10_000)
    summary, other = GroupOutcomeSummary(), GroupOutcomeSummary()
    summary.update(groups[:3_000], outcomes[:3_000])
    other.update(groups[3_000:], outcomes[3_000:])
    summary.merge(other)
    expected = disparate_impact_ratio(groups, outcomes, min_group_size=10)
    assert summary.result(min_group_size=10) == expected


def test_group_outcome_summary_merge_different_favourable_outcome_raises():
    with pytest.raises(
        ValidationError, match=r"favourable outcomes differ.*policy's favourable outcome"
    ):
        GroupOutcomeSummary(favourable_outcome=0).merge(GroupOutcomeSummary())
