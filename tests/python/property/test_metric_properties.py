"""Properties the metric kernels and summaries keep, on generated and edge-case data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from sklearn.metrics import roc_auc_score

from model_governance.core.errors import UndefinedMetricError
from model_governance.core.metrics import (
    CategoricalSummary,
    GroupOutcomeSummary,
    NumericCurrentSummary,
    NumericReferenceSummary,
    ScoreSummary,
    disparate_impact_ratio,
    ks_statistic,
    numeric_drift,
    population_stability_index,
    psi_from_counts,
    roc_auc,
)

# SciPy warns when its exact KS p-value overflows and it falls back to the asymptotic
# one; the kernels and SciPy take that same path, which is what these tests compare.
pytestmark = pytest.mark.filterwarnings(
    "ignore:ks_2samp. Exact calculation unsuccessful:RuntimeWarning"
)

PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

# Small integer scores force ties; both classes are guaranteed by construction.
labelled_scores = st.integers(min_value=2, max_value=60).flatmap(
    lambda size: st.tuples(
        st.lists(st.integers(0, 1), min_size=size, max_size=size).filter(
            lambda labels: 0 < sum(labels) < len(labels)
        ),
        st.lists(st.integers(-20, 20), min_size=size, max_size=size),
    )
)
samples = st.lists(
    st.one_of(st.integers(-5, 5).map(float), st.floats(-1e6, 1e6, allow_nan=False)),
    min_size=1,
    max_size=80,
)
cut_points = st.lists(st.integers(0, 200), max_size=6)


def _chunks(values, cuts):
    """Split at the sorted cut positions; empty chunks are allowed."""
    bounds = [0, *sorted(min(cut, len(values)) for cut in cuts), len(values)]
    return [values[start:stop] for start, stop in zip(bounds[:-1], bounds[1:])]


@PROPERTY_SETTINGS
@given(labelled_scores)
def test_roc_auc_in_unit_interval_and_equals_sklearn(data):
    labels, scores = data
    value = roc_auc(labels, scores)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


@PROPERTY_SETTINGS
@given(labelled_scores, st.randoms(use_true_random=False))
def test_roc_auc_invariant_to_row_order(data, random):
    labels, scores = data
    order = list(range(len(labels)))
    random.shuffle(order)
    shuffled = roc_auc([labels[i] for i in order], [scores[i] for i in order])
    assert shuffled == roc_auc(labels, scores)


@PROPERTY_SETTINGS
@given(labelled_scores)
def test_roc_auc_invariant_to_monotone_transform(data):
    labels, scores = data
    transformed = [score**3 + 5 * score for score in scores]  # strictly increasing, exact
    assert roc_auc(labels, transformed) == roc_auc(labels, scores)


@PROPERTY_SETTINGS
@given(labelled_scores)
def test_roc_auc_negated_scores_give_one_minus_auc(data):
    labels, scores = data
    negated = roc_auc(labels, [-score for score in scores])
    assert negated == pytest.approx(1.0 - roc_auc(labels, scores), abs=1e-12)


@PROPERTY_SETTINGS
@given(labelled_scores, cut_points, st.integers(1, 8), st.integers(0, 30))
def test_score_summary_any_chunking_within_bound_of_exact(data, cuts, bins, max_unique):
    labels, scores = data
    summary = ScoreSummary(bins=bins, score_range=(-20.0, 21.0), max_unique=max_unique)
    for part_labels, part_scores in zip(_chunks(labels, cuts), _chunks(scores, cuts)):
        summary.update(part_labels, part_scores)
    estimate = summary.result()
    assert 0.0 <= estimate.auc <= 1.0
    assert abs(estimate.auc - roc_auc(labels, scores)) <= estimate.error_bound + 1e-12
    if not estimate.is_binned:
        assert estimate.auc == pytest.approx(roc_auc(labels, scores), abs=1e-12)


@PROPERTY_SETTINGS
@given(samples, samples)
def test_ks_statistic_in_unit_interval_symmetric_and_equals_scipy(reference, current):
    forward, backward = ks_statistic(reference, current), ks_statistic(current, reference)
    expected = stats.ks_2samp(reference, current)
    assert 0.0 <= forward.statistic <= 1.0
    assert 0.0 <= forward.p_value <= 1.0
    assert forward.statistic == pytest.approx(backward.statistic, abs=1e-12)
    assert forward.statistic == pytest.approx(expected.statistic, abs=1e-12)
    assert forward.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)


@PROPERTY_SETTINGS
@given(samples, samples, cut_points, st.integers(2, 12))
def test_streamed_ks_within_bound_for_any_chunking(reference, current, cuts, grid_size):
    summary = NumericReferenceSummary.from_values(reference, grid_size=grid_size)
    window = NumericCurrentSummary(summary)
    for part in _chunks(current, cuts):
        window.update(part)
    streamed, exact = window.result().ks, stats.ks_2samp(reference, current).statistic
    assert streamed.statistic <= exact + 1e-12
    assert exact <= streamed.statistic + streamed.error_bound + 1e-12
    assert streamed.error_bound <= _largest_open_slot_share(summary, current) + 1e-12
    assert window.result().psi == pytest.approx(population_stability_index(reference, current))
    one_pass = NumericCurrentSummary(summary)
    one_pass.update(current)
    assert one_pass.result() == window.result()


def _largest_open_slot_share(summary, current):
    """Largest share of a side strictly between two grid points: the stated bound."""
    values = np.asarray(current, dtype=float)
    strictly_between = ~np.isin(values, summary.grid)
    slot = np.searchsorted(summary.grid, values[strictly_between])
    current_share = np.bincount(slot, minlength=summary.grid.size + 1) / values.size
    reference_share = summary.counts[0::2] / summary.counts.sum()
    return float(np.maximum(reference_share, current_share).max())


@PROPERTY_SETTINGS
@given(samples, samples, st.integers(2, 12))
def test_population_stability_index_non_negative_and_zero_on_identical(reference, current, bins):
    assert population_stability_index(reference, current, bins=bins) >= 0.0
    assert population_stability_index(reference, reference, bins=bins) == 0.0


@PROPERTY_SETTINGS
@given(st.lists(st.tuples(st.integers(0, 50), st.integers(0, 50)), min_size=1, max_size=12))
def test_psi_from_counts_non_negative(pairs):
    reference, current = [p[0] for p in pairs], [p[1] for p in pairs]
    assume(sum(reference) > 0 and sum(current) > 0)
    assert psi_from_counts(reference, current) >= 0.0
    assert psi_from_counts(reference, reference) == 0.0


@PROPERTY_SETTINGS
@given(
    st.lists(st.one_of(st.none(), st.floats(-3, 3)), max_size=40),
    st.lists(st.one_of(st.none(), st.floats(-3, 3)), min_size=1, max_size=40),
)
def test_numeric_drift_missing_values_are_counted_never_dropped(reference, current):
    assume(reference)
    result = numeric_drift(reference, current)
    assert result.missing.reference_missing == sum(value is None for value in reference)
    assert result.missing.current_missing == sum(value is None for value in current)
    assert result.is_defined == (
        result.missing.reference_rate < 1.0 and result.missing.current_rate < 1.0
    )


@PROPERTY_SETTINGS
@given(st.lists(st.sampled_from(["a", "b", "c", None]), max_size=60), cut_points)
def test_categorical_summary_any_chunking_equals_single_pass(values, cuts):
    chunked, single = CategoricalSummary(), CategoricalSummary()
    for part in _chunks(values, cuts):
        chunked.update(part)
    single.update(values)
    assert chunked.result() == single.result()
    assert chunked.missing == values.count(None)


group_outcomes = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c", "d"]), st.integers(0, 1)), min_size=2, max_size=80
)


@PROPERTY_SETTINGS
@given(group_outcomes, st.integers(1, 5), st.permutations(["w", "x", "y", "z"]))
def test_disparate_impact_in_unit_interval_and_invariant_to_relabelling(rows, minimum, names):
    groups, outcomes = [g for g, _ in rows], [o for _, o in rows]
    relabel = dict(zip("abcd", names))
    try:
        result = disparate_impact_ratio(groups, outcomes, min_group_size=minimum)
    except UndefinedMetricError:
        with pytest.raises(UndefinedMetricError):
            disparate_impact_ratio([relabel[g] for g in groups], outcomes, min_group_size=minimum)
        return
    renamed = disparate_impact_ratio([relabel[g] for g in groups], outcomes, min_group_size=minimum)
    assert 0.0 <= result.ratio <= 1.0
    assert renamed.ratio == result.ratio
    assert all(g.size >= minimum for g in result.groups if g.ratio is not None)


@PROPERTY_SETTINGS
@given(group_outcomes, cut_points)
def test_group_outcome_summary_any_chunking_equals_single_pass(rows, cuts):
    groups, outcomes = [g for g, _ in rows], [o for _, o in rows]
    summary = GroupOutcomeSummary()
    for part_groups, part_outcomes in zip(_chunks(groups, cuts), _chunks(outcomes, cuts)):
        summary.update(part_groups, part_outcomes)
    single = GroupOutcomeSummary()
    single.update(groups, outcomes)
    try:
        expected = single.result(min_group_size=1)
    except UndefinedMetricError:
        return
    assert summary.result(min_group_size=1) == expected


def test_adversarial_constant_columns_have_zero_drift():
    result = numeric_drift(np.zeros(1_000), np.zeros(10))
    assert (result.ks.statistic, result.psi) == (0.0, 0.0)


def test_adversarial_all_missing_column_is_undefined_with_full_missing_rate():
    result = numeric_drift(np.full(100, np.nan), np.full(100, np.nan))
    assert not result.is_defined
    assert (result.missing.reference_rate, result.missing.current_rate) == (1.0, 1.0)


def test_adversarial_one_row_groups_are_insufficient_not_passing():
    result = disparate_impact_ratio(
        ["a"] * 50 + ["b"] * 50 + ["c"], [1] * 100 + [0], min_group_size=2
    )
    assert result.ratio == 1.0
    assert result.insufficient_groups == ("c",)
