"""ROC AUC, ROC curve points and the streaming score summary."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import auc as trapezoid_area
from sklearn.metrics import roc_auc_score

from model_governance.core.errors import UndefinedMetricError, ValidationError
from model_governance.core.metrics import ScoreSummary, roc_auc, roc_curve_points


def _tied_sample(seed: int, size: int, decimals: int = 2) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size)
    scores = np.round(np.clip(rng.normal(0.4 + 0.2 * labels, 0.2), 0, 1), decimals)
    return labels, scores


def test_roc_auc_hand_computed_example_is_three_quarters():
    # Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 0.35 beats 0.1 only,
    # 0.8 beats both, so 3 of 4 pairs are won: 3 / 4.
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == pytest.approx(0.75)


def test_roc_auc_tied_pair_counts_one_half():
    # Positive 0.5 ties negative 0.5 (1/2) and beats 0.2 (1); positive 0.9 beats
    # both (2): (0.5 + 1 + 2) / 4 = 0.875.
    assert roc_auc([0, 1, 0, 1], [0.5, 0.5, 0.2, 0.9]) == pytest.approx(0.875)


def test_roc_auc_all_scores_tied_is_one_half():
    assert roc_auc([0, 1, 1, 0], [0.3, 0.3, 0.3, 0.3]) == pytest.approx(0.5)


@pytest.mark.parametrize(("seed", "size", "decimals"), [(0, 50, 1), (1, 2_000, 2), (2, 30_000, 3)])
def test_roc_auc_tied_scores_equals_sklearn(seed, size, decimals):
    labels, scores = _tied_sample(seed, size, decimals)
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def test_roc_auc_more_positives_than_negatives_equals_sklearn():
    rng = np.random.default_rng(3)
    labels = (rng.random(5_000) < 0.8).astype(int)
    scores = np.round(rng.random(5_000), 2)
    assert roc_auc(labels, scores) == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)


def test_roc_auc_string_labels_use_positive_label():
    labels = np.array(["fraud", "ok", "fraud", "ok", "ok"])
    scores = [0.9, 0.2, 0.4, 0.5, 0.1]
    expected = roc_auc_score(labels == "fraud", scores)
    assert roc_auc(labels, scores, positive_label="fraud") == pytest.approx(expected, abs=1e-12)


def test_roc_auc_boolean_labels_treat_true_as_positive():
    # True scores 0.8 and 0.3 against False 0.1: both win, so 2 / 2.
    assert roc_auc([True, False, True], [0.8, 0.1, 0.3]) == pytest.approx(1.0)


def test_roc_auc_single_class_raises_undefined():
    with pytest.raises(UndefinedMetricError, match=r"y_true: only the negative class.*both"):
        roc_auc([0, 0, 0], [0.1, 0.2, 0.3])


def test_roc_auc_nan_score_raises_with_position_and_fix():
    with pytest.raises(
        ValidationError,
        match=r"y_score: 1 NaN or infinite value\(s\), the first at position 2 .*impute",
    ):
        roc_auc([0, 1, 1], [0.1, 0.2, float("nan")])


def test_roc_auc_infinite_score_raises_with_received_value():
    with pytest.raises(ValidationError, match=r"y_score: .*received inf.*impute"):
        roc_auc([0, 1], [0.1, float("inf")])


def test_roc_auc_length_mismatch_raises_with_both_lengths():
    with pytest.raises(
        ValidationError, match=r"y_true and y_score: lengths differ; received 3 and 2"
    ):
        roc_auc([0, 1, 1], [0.1, 0.2])


def test_roc_auc_empty_input_raises_validation():
    with pytest.raises(ValidationError, match=r"no rows received .*Pass at least one row"):
        roc_auc([], [])


def test_roc_auc_three_label_values_raises_naming_values_and_fix():
    with pytest.raises(
        ValidationError, match=r"y_true: .*received other values 0, 2.*Map the labels"
    ):
        roc_auc([0, 1, 2], [0.1, 0.2, 0.3])


def test_roc_auc_missing_label_raises():
    with pytest.raises(ValidationError, match=r"y_true: 1 missing label\(s\).*Drop unlabelled"):
        roc_auc([0.0, 1.0, float("nan")], [0.1, 0.2, 0.3])


def test_roc_auc_positive_label_absent_with_two_other_values_raises():
    with pytest.raises(ValidationError, match=r"positive label 1 .*set the positive label"):
        roc_auc(["a", "b"], [0.1, 0.2])


def test_roc_curve_points_hand_example_lists_every_corner():
    # Thresholds 0.8, 0.4, 0.35, 0.1 add one positive, one negative, one positive and
    # one negative in turn; P = N = 2, so each step moves by 0.5.
    curve = roc_curve_points([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    assert curve.fpr.tolist() == [0.0, 0.0, 0.5, 0.5, 1.0]
    assert curve.tpr.tolist() == [0.0, 0.5, 0.5, 1.0, 1.0]
    assert curve.thresholds[0] == np.inf
    assert curve.thresholds[1:].tolist() == [0.8, 0.4, 0.35, 0.1]


def test_roc_curve_points_area_equals_roc_auc():
    labels, scores = _tied_sample(4, 3_000)
    curve = roc_curve_points(labels, scores)
    assert trapezoid_area(curve.fpr, curve.tpr) == pytest.approx(roc_auc(labels, scores), abs=1e-12)


def test_roc_curve_points_drop_intermediate_removes_only_collinear_points():
    labels, scores = _tied_sample(5, 2_000)
    full = roc_curve_points(labels, scores, drop_intermediate=False)
    reduced = roc_curve_points(labels, scores)
    assert full.fpr.size == np.unique(scores).size + 1
    assert reduced.fpr.size < full.fpr.size
    assert trapezoid_area(reduced.fpr, reduced.tpr) == pytest.approx(
        trapezoid_area(full.fpr, full.tpr), abs=1e-12
    )


def test_score_summary_exact_mode_chunks_equal_roc_auc():
    labels, scores = _tied_sample(6, 5_000)
    summary = ScoreSummary()
    for start in range(0, labels.size, 777):
        summary.update(labels[start : start + 777], scores[start : start + 777])
    estimate = summary.result()
    assert not estimate.is_binned
    assert estimate.error_bound == 0.0
    assert estimate.auc == pytest.approx(roc_auc(labels, scores), abs=1e-12)
    assert (estimate.n_positive, estimate.n_negative) == (labels.sum(), (labels == 0).sum())


def test_score_summary_two_bins_hand_example_error_reaches_bound():
    # Bin [0, 0.5) holds negative 0.1 and positive 0.2, bin [0.5, 1] negative 0.6 and
    # positive 0.7. Binned: two within-bin ties (1/2 each) plus one won pair = 2 / 4.
    # Exact: 3 / 4. Bound: (1 * 1 + 1 * 1) / (2 * 2 * 2) = 0.25 = |0.5 - 0.75|.
    summary = ScoreSummary(bins=2, max_unique=0)
    summary.update([0, 1, 0, 1], [0.1, 0.2, 0.6, 0.7])
    estimate = summary.result()
    assert estimate.is_binned
    assert estimate.auc == pytest.approx(0.5)
    assert estimate.error_bound == pytest.approx(0.25)


def test_score_summary_switches_to_bins_past_max_unique_and_stays_within_bound():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 20_000)
    scores = rng.beta(2 + labels, 3, 20_000)
    summary = ScoreSummary(bins=64, max_unique=1_000)
    for start in range(0, labels.size, 3_000):
        summary.update(labels[start : start + 3_000], scores[start : start + 3_000])
    estimate = summary.result()
    assert estimate.is_binned
    assert 0 < estimate.error_bound < 0.02
    assert abs(estimate.auc - roc_auc(labels, scores)) <= estimate.error_bound


def test_score_summary_scores_outside_range_fall_in_end_bins_within_bound():
    labels, scores = _tied_sample(8, 4_000)
    shifted = scores * 10 - 3  # spans [-3, 7], beyond the default [0, 1] range
    summary = ScoreSummary(bins=32, max_unique=0)
    summary.update(labels, shifted)
    estimate = summary.result()
    assert abs(estimate.auc - roc_auc(labels, shifted)) <= estimate.error_bound


def test_score_summary_merge_exact_with_binned_equals_single_summary():
    labels, scores = _tied_sample(9, 6_000, decimals=3)
    first, second, whole = (ScoreSummary(bins=128, max_unique=500) for _ in range(3))
    first.update(labels[:100], scores[:100])
    second.update(labels[100:], scores[100:])
    whole.update(labels, scores)
    first.merge(second)
    assert first.is_binned
    assert second.is_binned
    assert first.result() == whole.result()


def test_score_summary_merge_different_bins_raises():
    with pytest.raises(ValidationError, match=r"ScoreSummary.merge: .*same settings"):
        ScoreSummary(bins=10).merge(ScoreSummary(bins=20))


def test_score_summary_chunks_with_different_negative_labels_raise():
    summary = ScoreSummary()
    summary.update([0, 1], [0.1, 0.2])
    with pytest.raises(
        ValidationError,
        match=r"y_true: chunks carry different negative labels, 0 and 2.*Map labels",
    ):
        summary.update([2, 1], [0.1, 0.2])


def test_score_summary_without_rows_raises_undefined():
    with pytest.raises(UndefinedMetricError, match=r"no rows were added.*not empty"):
        ScoreSummary().result()


def test_score_summary_single_class_raises_undefined():
    summary = ScoreSummary()
    summary.update([1, 1], [0.2, 0.3])
    with pytest.raises(UndefinedMetricError, match=r"only the positive class"):
        summary.result()


def test_score_summary_invalid_range_raises_with_fix():
    with pytest.raises(
        ValidationError, match=r"score_range: .*received \(1.0, 1.0\).*\(0.0, 1.0\)"
    ):
        ScoreSummary(score_range=(1.0, 1.0))
