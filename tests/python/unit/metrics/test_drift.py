"""KS, PSI, chi-square, missing rates and the drift summaries."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import stats

from model_governance.core.errors import UndefinedMetricError, ValidationError
from model_governance.core.metrics import (
    CategoricalSummary,
    NumericCurrentSummary,
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


def _pair(seed: int, sizes: tuple[int, int], decimals: int | None = None):
    rng = np.random.default_rng(seed)
    reference = rng.normal(0.0, 1.0, sizes[0])
    current = rng.normal(0.05, 1.1, sizes[1])
    if decimals is not None:
        reference, current = np.round(reference, decimals), np.round(current, decimals)
    return reference, current


def test_ks_statistic_hand_computed_example():
    # At x = 2 the reference ECDF is 2/4 and the current one 0/4: D = 0.5. SciPy's
    # exact p-value for D = 0.5 with m = n = 4 is 54/70 = 0.771428...
    result = ks_statistic([1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0])
    assert result.statistic == pytest.approx(0.5)
    assert result.p_value == pytest.approx(54 / 70)
    assert (result.n_reference, result.n_current, result.error_bound) == (4, 4, 0.0)


@pytest.mark.parametrize(
    ("seed", "sizes", "decimals"),
    [
        (0, (40, 55), 1),  # exact p-value, heavy ties
        (1, (3_000, 3_000), None),  # exact p-value, equal sizes
        (2, (9_000, 10_001), 2),  # asymptotic p-value (one side above 10,000)
        (3, (40_000, 25_000), None),  # asymptotic, coarse grid refined
        (4, (60_000, 50_000), 2),  # ties across the coarse grid
    ],
)
def test_ks_statistic_equals_scipy_ks_2samp(seed, sizes, decimals):
    reference, current = _pair(seed, sizes, decimals)
    ours, theirs = ks_statistic(reference, current), stats.ks_2samp(reference, current)
    assert ours.statistic == pytest.approx(theirs.statistic, abs=1e-12)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-300)
    assert ours.error_bound == 0.0


def test_ks_statistic_identical_samples_is_zero_with_p_value_one():
    result = ks_statistic([3.0, 1.0, 2.0], [2.0, 3.0, 1.0])
    assert (result.statistic, result.p_value) == (0.0, 1.0)


def test_ks_statistic_nan_raises_pointing_to_numeric_drift():
    with pytest.raises(ValidationError, match=r"current: 1 NaN .*numeric_drift, which counts them"):
        ks_statistic([1.0, 2.0], [1.0, float("nan")])


def test_ks_statistic_empty_side_raises_validation():
    with pytest.raises(
        ValidationError, match=r"reference: no rows received.*Pass at least one row"
    ):
        ks_statistic([], [1.0])


def test_numeric_drift_counts_missing_and_compares_the_rest():
    # Reference rate 1/4, current 2/4: change 0.25. KS on [1, 2, 4] against [3, 5]:
    # at x = 2 the ECDFs are 2/3 and 0/2, D = 2/3.
    result = numeric_drift([1.0, 2.0, None, 4.0], [np.nan, np.nan, 3.0, 5.0])
    assert result.is_defined
    assert result.missing.reference_rate == pytest.approx(0.25)
    assert result.missing.current_rate == pytest.approx(0.5)
    assert result.missing.change == pytest.approx(0.25)
    assert result.ks.statistic == pytest.approx(2 / 3)
    assert (result.ks.n_reference, result.ks.n_current) == (3, 2)


def test_numeric_drift_all_missing_current_is_undefined_but_reports_missing_rate():
    result = numeric_drift([1.0, 2.0, 3.0], [None, None])
    assert not result.is_defined
    assert result.ks is None
    assert result.psi is None
    assert "current: every value is missing" in result.undefined_reason
    assert result.missing.change == pytest.approx(1.0)


def test_numeric_drift_all_missing_reference_names_the_reference():
    result = numeric_drift([np.nan], [1.0, 2.0])
    assert not result.is_defined
    assert result.undefined_reason.startswith("reference: every value is missing")


def test_numeric_drift_infinite_value_raises_with_fix():
    with pytest.raises(
        ValidationError, match=r"current: infinite value at position 1 .*set them to missing"
    ):
        numeric_drift([1.0, 2.0], [1.0, float("-inf")])


def test_numeric_drift_current_without_rows_raises_undefined():
    with pytest.raises(
        UndefinedMetricError, match=r"current: no rows received.*time-window filter"
    ):
        numeric_drift([1.0, 2.0], [])


def test_numeric_drift_constant_equal_columns_have_no_drift():
    result = numeric_drift([5.0] * 10, [5.0] * 7)
    assert (result.ks.statistic, result.ks.p_value, result.psi) == (0.0, 1.0, 0.0)


def test_psi_from_counts_hand_computed_example():
    # Shares 0.5/0.5 against 0.25/0.75:
    # (0.25 - 0.5) ln(0.5) + (0.75 - 0.5) ln(1.5) = 0.173287 + 0.101366 = 0.274653.
    assert psi_from_counts([50, 50], [25, 75]) == pytest.approx(0.274653, abs=1e-6)


def test_psi_from_counts_empty_bin_uses_epsilon():
    # Reference shares 1 and 0 -> 1e-4; current 0.5 and 0.5:
    # (0.5 - 1) ln(0.5) + (0.5 - 1e-4) ln(0.5 / 1e-4) = 0.346574 + 4.257745 = 4.604319.
    assert psi_from_counts([10, 0], [5, 5]) == pytest.approx(4.604319, abs=1e-6)


def test_psi_from_counts_identical_shares_is_zero():
    assert psi_from_counts([10, 30, 60], [1, 3, 6]) == 0.0


def test_psi_from_counts_zero_total_raises_undefined():
    with pytest.raises(
        UndefinedMetricError, match=r"current_counts: the counts sum to 0.*at least one row"
    ):
        psi_from_counts([1, 2], [0, 0])


def test_psi_from_counts_negative_count_raises():
    with pytest.raises(
        ValidationError, match=r"counts must be >= 0; received \[1, -2\].*row counts"
    ):
        psi_from_counts([1, -2], [1, 2])


def test_psi_from_counts_epsilon_outside_unit_interval_raises():
    with pytest.raises(ValidationError, match=r"epsilon: .*received 0.0.*default"):
        psi_from_counts([1, 2], [1, 2], epsilon=0.0)


def test_population_stability_index_median_bins_hand_example():
    # Two bins cut at the reference median 2: reference 2/4 and 2/4, current [1] and
    # [3, 4, 4] = 1/4 and 3/4, the PSI of the count example above: 0.274653.
    value = population_stability_index([1, 2, 3, 4], [1, 3, 4, 4], bins=2)
    assert value == pytest.approx(0.274653, abs=1e-6)


def test_population_stability_index_identical_samples_is_zero():
    reference, _ = _pair(5, (1_000, 1))
    assert population_stability_index(reference, reference[::-1]) == 0.0


def test_population_stability_index_decile_bins_hold_a_tenth_each():
    # Reference 1..100: edges at 10, 20, ..., 90, so every bin holds 10 %. Current
    # values all in (90, inf): share 1 there, 1e-4 elsewhere.
    reference = np.arange(1, 101, dtype=float)
    expected = psi_from_counts([10] * 10, [0] * 9 + [50])
    assert population_stability_index(reference, [95.0] * 50) == pytest.approx(expected)


def test_chi_square_test_hand_computed_example():
    # Expected counts 37.5 and 62.5 per row: 2 * 12.5**2 / 37.5 + 2 * 12.5**2 / 62.5
    # = 8.3333 + 5.0 = 13.3333 with 1 degree of freedom.
    result = chi_square_test([50, 50], [25, 75])
    assert result.statistic == pytest.approx(13.333333, abs=1e-6)
    assert result.dof == 1
    assert result.p_value == pytest.approx(stats.chi2.sf(40 / 3, 1))


def test_chi_square_test_single_category_has_p_value_one():
    assert (chi_square_test([5], [3]).statistic, chi_square_test([5], [3]).p_value) == (0.0, 1.0)


def test_chi_square_test_category_empty_on_both_sides_is_left_out():
    assert chi_square_test([5, 0, 5], [2, 0, 8]) == chi_square_test([5, 5], [2, 8])


def test_categorical_drift_reports_unseen_categories_by_name_and_share():
    result = categorical_drift(["a", "b", "b"], ["a", "c", "c", "d", None])
    assert [(item.name, item.count, item.share) for item in result.unseen_categories] == [
        ("c", 2, 0.5),
        ("d", 1, 0.25),
    ]
    assert result.missing.current_rate == pytest.approx(0.2)


def test_categorical_drift_matches_scipy_and_psi_over_the_union():
    reference = ["a"] * 30 + ["b"] * 50 + ["c"] * 20
    current = ["a"] * 20 + ["b"] * 40 + ["d"] * 40
    result = categorical_drift(reference, current)
    table = [[30, 50, 20, 0], [20, 40, 0, 40]]
    expected = stats.chi2_contingency(table, correction=False)
    assert result.chi_square.p_value == pytest.approx(expected.pvalue)
    assert result.psi == pytest.approx(psi_from_counts(table[0], table[1]))


def test_categorical_drift_identical_distributions_have_zero_psi():
    result = categorical_drift(["x", "y", "y"], ["y", "x", "y"])
    assert result.psi == 0.0
    assert result.chi_square.p_value == pytest.approx(1.0)
    assert result.unseen_categories == ()


def test_categorical_drift_all_missing_reference_is_undefined():
    result = categorical_drift([None, float("nan")], ["a"])
    assert not result.is_defined
    assert result.undefined_reason.startswith("reference: every value is missing")
    assert result.missing.reference_rate == 1.0


def test_missing_rate_change_hand_computed():
    # Reference 1 of 2 missing (0.5), current 3 of 4 (0.75): change 0.25.
    result = missing_rate_change(np.array(["a", None], dtype=object), [None, np.nan, np.nan, 1.0])
    assert (result.reference_rate, result.current_rate) == (0.5, 0.75)
    assert result.change == pytest.approx(0.25)


def test_missing_rate_change_empty_side_raises():
    with pytest.raises(ValidationError, match=r"current: no rows received"):
        missing_rate_change([1.0], [])


def test_reference_summary_json_round_trip_gives_the_same_result():
    reference, current = _pair(6, (20_000, 8_000))
    summary = NumericReferenceSummary.from_values(reference, grid_size=256)
    text = json.dumps(summary.to_dict(), allow_nan=False)
    restored = NumericReferenceSummary.from_dict(json.loads(text))
    results = []
    for ref in (summary, restored):
        window = NumericCurrentSummary(ref)
        window.update(current)
        results.append(window.result())
    assert results[0] == results[1]


def test_reference_summary_from_dict_inconsistent_counts_raises():
    data = NumericReferenceSummary.from_values([1.0, 2.0, 3.0]).to_dict()
    data["counts"] = data["counts"][:-1]
    with pytest.raises(
        ValidationError, match=r"reference summary: 6 counts for 3 grid points.*from_values"
    ):
        NumericReferenceSummary.from_dict(data)


def test_reference_summary_from_dict_wrong_format_raises():
    with pytest.raises(
        ValidationError, match=r"summary format: expected .*received 'other'.*Rebuild"
    ):
        NumericReferenceSummary.from_dict({"format": "other"})


def test_reference_summary_grid_size_below_two_raises():
    with pytest.raises(ValidationError, match=r"grid_size: .*received 10 and 1.*defaults"):
        NumericReferenceSummary.from_values([1.0, 2.0], grid_size=1)


def test_current_summary_binned_ks_stays_within_reported_bound():
    reference, current = _pair(7, (30_000, 20_000))
    summary = NumericReferenceSummary.from_values(reference, grid_size=16)
    window = NumericCurrentSummary(summary)
    window.update(current)
    binned, exact = window.result().ks, stats.ks_2samp(reference, current).statistic
    assert binned.error_bound > 0
    assert binned.statistic <= exact <= binned.statistic + binned.error_bound
    assert binned.error_bound <= 1 / 15 + 1e-12  # at most one slot: ~ 1 / (grid_size - 1)


def test_current_summary_is_exact_when_grid_holds_every_reference_value():
    rng = np.random.default_rng(8)
    reference, current = rng.integers(0, 5, 5_000), rng.integers(0, 6, 4_000)
    window = NumericCurrentSummary(NumericReferenceSummary.from_values(reference))
    window.update(current)
    result = window.result().ks
    assert result.error_bound == 0.0
    assert result.statistic == pytest.approx(
        stats.ks_2samp(reference, current).statistic, abs=1e-12
    )


def test_current_summary_psi_equals_exact_psi():
    reference, current = _pair(9, (10_000, 7_000))
    window = NumericCurrentSummary(NumericReferenceSummary.from_values(reference, grid_size=64))
    window.update(current)
    assert window.result().psi == pytest.approx(population_stability_index(reference, current))


def test_current_summary_merge_with_other_reference_raises():
    first = NumericCurrentSummary(NumericReferenceSummary.from_values([1.0, 2.0]))
    second = NumericCurrentSummary(NumericReferenceSummary.from_values([1.0, 3.0]))
    with pytest.raises(
        ValidationError, match=r"different reference grids.*same NumericReferenceSummary"
    ):
        first.merge(second)


def test_categorical_summary_json_round_trip_keeps_counts():
    summary = CategoricalSummary()
    summary.update(["a", "b", None, "a", 3])
    restored = CategoricalSummary.from_dict(json.loads(json.dumps(summary.to_dict())))
    assert restored.result() == summary.result()
    assert summary.result().counts == (("3", 1), ("a", 2), ("b", 1))


def test_categorical_summary_from_dict_negative_count_raises():
    data = {"format": "categorical_summary/1", "counts": {"a": -1}, "missing": 0}
    with pytest.raises(ValidationError, match=r"counts: counts must be >= 0"):
        CategoricalSummary.from_dict(data)


def test_numeric_drift_by_column_matches_per_column_drift():
    reference, current = _pair(10, (3_000, 2_000))
    drift = numeric_drift_by_column(
        {"x": reference, "y": NumericReferenceSummary.from_values(current)},
        {"x": current, "y": reference},
    )
    assert drift["x"] == numeric_drift(reference, current)
    assert drift["y"].ks.statistic == pytest.approx(drift["x"].ks.statistic)


def test_numeric_drift_by_column_different_names_raise_listing_them():
    with pytest.raises(
        ValidationError, match=r"only in reference: \['b'\], only in current: \['c'\]"
    ):
        numeric_drift_by_column({"a": [1.0], "b": [1.0]}, {"a": [1.0], "c": [2.0]})


def test_numeric_drift_by_column_invalid_column_is_named():
    with pytest.raises(ValidationError, match=r"column 'age': current: infinite value"):
        numeric_drift_by_column({"age": [1.0]}, {"age": [np.inf]})


def test_categorical_summary_update_counts_equals_update_with_values():
    by_values, by_counts = CategoricalSummary(), CategoricalSummary()
    by_values.update(["a", "a", "b", None])
    by_counts.update_counts({"a": 2, "b": 1, float("nan"): 1})
    assert by_counts.result() == by_values.result()


def test_categorical_summary_update_counts_fractional_count_raises():
    with pytest.raises(
        ValidationError, match=r"counts: expected whole-number counts.*rows per bin"
    ):
        CategoricalSummary().update_counts({"a": 1.5})
