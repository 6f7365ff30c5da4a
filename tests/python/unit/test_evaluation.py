"""Tabular evaluation: streamed results equal whole-data ones for any chunking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model_governance.core.errors import ValidationError
from model_governance.core.policy import Policy
from model_governance.evaluation import (
    DriftStream,
    ScoredColumns,
    ScoredStream,
    drift_exact,
    evaluate_frames,
    summarise_reference,
)


def frames(seed: int, rows: int, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "amount": rng.normal(shift, 1.0, rows).round(2),
            "region": rng.choice(["north", "south", "east"], rows),
            "label": rng.integers(0, 2, rows),
            "score": rng.random(rows).round(3),
            "group": rng.choice(["a", "b"], rows),
        }
    )
    frame.loc[frame.index[::17], "amount"] = np.nan
    return frame


def chunked(frame: pd.DataFrame, size: int) -> list[pd.DataFrame]:
    return [frame.iloc[i : i + size] for i in range(0, len(frame), size)]


@settings(max_examples=25, deadline=None)
@given(chunk=st.integers(min_value=1, max_value=400), seed=st.integers(0, 50))
def test_drift_stream_any_chunking_equals_exact(chunk: int, seed: int) -> None:
    reference, current = frames(seed, 300), frames(seed + 1, 250, shift=0.4)
    columns = ["amount", "region"]
    exact = drift_exact(reference, current, Policy(), columns=columns)
    stream = DriftStream(summarise_reference(reference, columns=columns), Policy())
    for part in chunked(current, chunk):
        stream.update(part)
    by_name = {d.feature: d for d in stream.results()}
    for expected in exact:
        got = by_name[expected.feature]
        assert got.statistic == pytest.approx(expected.statistic, abs=1e-12)
        assert got.missing_rate_change == pytest.approx(expected.missing_rate_change)
        assert got.drifted == expected.drifted


def test_drift_stream_missing_column_names_it_and_the_fix() -> None:
    reference = frames(1, 100)
    stream = DriftStream(summarise_reference(reference, columns=["amount"]), Policy())
    with pytest.raises(ValidationError, match=r"column\(s\) amount are missing; .*must carry"):
        stream.update(reference.drop(columns=["amount"]))


def test_drift_exact_statistic_at_threshold_is_not_drifted() -> None:
    # Values 0..19 against the same shifted by 3: D = 3/20 = 0.15, not above the limit.
    reference = pd.DataFrame({"x": np.arange(20.0)})
    current = pd.DataFrame({"x": np.arange(20.0) + 3})
    (result,) = drift_exact(reference, current, Policy(max_psi=10.0), columns=["x"])
    assert result.statistic == pytest.approx(0.15)
    assert result.drifted is False


def test_drift_exact_statistic_just_above_threshold_is_drifted() -> None:
    # Shift by 4: D = 4/20 = 0.20 > 0.15.
    reference = pd.DataFrame({"x": np.arange(20.0)})
    current = pd.DataFrame({"x": np.arange(20.0) + 4})
    (result,) = drift_exact(reference, current, Policy(max_psi=10.0), columns=["x"])
    assert result.statistic == pytest.approx(0.20)
    assert result.drifted is True


@settings(max_examples=20, deadline=None)
@given(chunk=st.integers(min_value=1, max_value=500))
def test_scored_stream_any_chunking_equals_whole(chunk: int) -> None:
    data = frames(7, 400)
    columns = ScoredColumns(label="label", score="score", protected=("group",))
    whole = evaluate_frames([data], ScoredStream(columns, Policy(min_group_size=10)))
    parts = evaluate_frames(chunked(data, chunk), ScoredStream(columns, Policy(min_group_size=10)))
    assert parts.auc == pytest.approx(whole.auc, abs=1e-12)
    assert parts.disparate_impact == whole.disparate_impact
    assert parts.rows == whole.rows == 400


def test_scored_stream_single_class_reports_undefined_auc() -> None:
    data = frames(2, 50).assign(label=1)
    result = evaluate_frames([data], ScoredStream(ScoredColumns("label", "score"), Policy()))
    assert result.auc is None
    assert result.notes[0].startswith("AUC undefined")
