"""Evidence collection from tabular data, shared by the DSS adapter and local mode.

This is where raw rows are looked at: a bounded sample of each column is scanned for
sensitive values and only the findings (column, kind, share) leave this module, and
protected-attribute outcomes are reduced to per-group counts. Nothing here logs values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from model_governance.core.sensitive import MAX_SAMPLE_VALUES, ColumnProfile, scan_columns

SAMPLE_SEED = 20240501
"""Fixed, so the same data always yields the same sample and the same evidence."""


def profile_frame(
    frame: pd.DataFrame,
    *,
    features: Iterable[str],
    tags: Mapping[str, Sequence[str]] | None = None,
    meanings: Mapping[str, str] | None = None,
    sample_size: int = MAX_SAMPLE_VALUES,
) -> list[ColumnProfile]:
    """Column profiles with a bounded, reproducible sample of each column's values."""
    features = set(features)
    tags = tags or {}
    meanings = meanings or {}
    sample = frame.sample(n=min(sample_size, len(frame)), random_state=SAMPLE_SEED)
    return [
        ColumnProfile(
            name=str(name),
            storage_type=_storage_type(frame[name]),
            tags=tuple(tags.get(name, ())),
            meaning=meanings.get(name),
            sample_values=tuple(sample[name].dropna().astype(str)),
            is_feature=name in features,
        )
        for name in frame.columns
    ]


def value_findings(
    profiles: Sequence[ColumnProfile], *, sensitive_tags: Sequence[str]
) -> list[dict[str, Any]]:
    """Findings based on sampled values, in the evidence format (no values kept)."""
    return [
        {"column": f.column, "kind": f.kind, "share": float(f.share or 0.0),
         "sample_size": int(f.sample_size or 0)}
        for f in scan_columns(profiles, sensitive_tags=sensitive_tags)
        if f.basis == "value"
    ]  # fmt: skip


def fairness_counts(
    groups: pd.Series, favourable: np.ndarray[Any, Any], *, attribute: str, outcome: str
) -> dict[str, Any]:
    """Per-group sizes and favourable-outcome counts of one protected attribute."""
    table = pd.DataFrame({"group": groups.astype(str).to_numpy(), "fav": favourable})
    counts = table.groupby("group", sort=True)["fav"].agg(["size", "sum"])
    return {
        "attribute": attribute,
        "favourable_outcome": outcome,
        "groups": [
            {"group": str(g), "size": int(row["size"]), "favourable": int(row["sum"])}
            for g, row in counts.iterrows()
        ],
    }


def _storage_type(series: pd.Series) -> str:
    if pd.api.types.is_integer_dtype(series):
        return "bigint"
    if pd.api.types.is_float_dtype(series):
        return "double"
    if pd.api.types.is_bool_dtype(series):
        return "boolean"
    return "string"
