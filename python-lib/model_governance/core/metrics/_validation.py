"""Input checks shared by the metric kernels; errors name field, value and fix."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from model_governance.core.errors import UndefinedMetricError, ValidationError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_ArrayT = TypeVar("_ArrayT", bound="npt.NDArray[Any]")

_PREVIEW_ITEMS = 5


def preview(values: Any) -> str:
    """Short text of a received value for error messages (never a whole column)."""
    if isinstance(values, np.ndarray) and values.size > _PREVIEW_ITEMS:
        shown = ", ".join(repr(item) for item in values[:_PREVIEW_ITEMS].tolist())
        return f"[{shown}, ...] ({values.size} items)"
    if isinstance(values, np.ndarray):
        return repr(values.tolist())
    return repr(values) if len(repr(values)) <= 80 else repr(values)[:77] + "..."


def as_1d_float(values: npt.ArrayLike, *, field: str) -> FloatArray:
    """Return ``values`` as a 1-D float64 array; None becomes NaN."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValidationError(
            f"{field}: expected numbers; received {preview(values)}. "
            "Convert the column to a numeric type or treat it as categorical."
        ) from exc
    return require_1d(array, field=field)


def require_1d(array: _ArrayT, *, field: str) -> _ArrayT:
    """Return ``array`` unchanged if it is one-dimensional."""
    if array.ndim != 1:
        raise ValidationError(
            f"{field}: expected one column of values; received an array of shape "
            f"{array.shape}. Pass a single column."
        )
    return array


def require_same_length(first: npt.NDArray[Any], second: npt.NDArray[Any], *, fields: str) -> None:
    """Raise unless both arrays have the same length; ``fields`` reads 'a and b'."""
    if first.shape[0] != second.shape[0]:
        raise ValidationError(
            f"{fields}: lengths differ; received {first.shape[0]} and {second.shape[0]} rows. "
            "Pass one value of each per row, from the same rows."
        )


def require_non_empty(array: npt.NDArray[Any], *, field: str) -> None:
    """Raise unless ``array`` holds at least one row."""
    if array.shape[0] == 0:
        raise ValidationError(
            f"{field}: no rows received (length 0). Pass at least one row; check the "
            "dataset and any filter or partition selection."
        )


def require_finite(array: FloatArray, *, field: str, fix: str) -> None:
    """Raise if ``array`` holds NaN or infinite values, citing the first one."""
    finite = np.isfinite(array)
    if not finite.all():
        bad = np.flatnonzero(~finite)
        raise ValidationError(
            f"{field}: {bad.size} NaN or infinite value(s), the first at position {bad[0]} "
            f"(received {float(array[bad[0]])!r}). {fix}"
        )


def count_missing(array: FloatArray, *, field: str) -> int:
    """Count NaN values (missing); raise if any value is infinite."""
    finite = np.isfinite(array)
    missing = int(np.count_nonzero(np.isnan(array)))
    if finite.size - int(np.count_nonzero(finite)) > missing:
        at = int(np.flatnonzero(np.isinf(array))[0])
        raise ValidationError(
            f"{field}: infinite value at position {at} (received {float(array[at])!r}). "
            "Replace infinities upstream, or set them to missing so they are counted "
            "in the missing rate."
        )
    return missing


def is_missing_object(value: object) -> bool:
    """True for None and float NaN, the values treated as missing in object columns."""
    return value is None or (isinstance(value, float) and value != value)


def split_binary_labels(
    labels: npt.ArrayLike, *, positive_label: object, field: str
) -> tuple[BoolArray, object]:
    """Return the positive-class mask and the other label value (None if absent)."""
    array = require_1d(np.asarray(labels), field=field)
    _require_no_missing_labels(array, field=field)
    is_positive: BoolArray = np.asarray(array == positive_label, dtype=np.bool_)
    others = [value for value in _distinct_values(array) if value != positive_label]
    if len(others) > 1:
        received = ", ".join(repr(value) for value in others[:_PREVIEW_ITEMS])
        raise ValidationError(
            f"{field}: expected two label values, the positive label {positive_label!r} "
            f"and one other; received other values {received}. Map the labels to two "
            "classes or set the positive label to the favourable class value."
        )
    return is_positive, others[0] if others else None


def _distinct_values(array: npt.NDArray[Any]) -> list[Any]:
    """Distinct values as Python objects: exact up to two, else a sorted sample."""
    if array.size == 0:
        return []
    if array.dtype.kind in "biuf":
        # min/max and two counts prove labels binary without sorting millions of rows.
        low, high = array.min(), array.max()
        if low == high:
            return [low.item()]
        if np.count_nonzero(array == low) + np.count_nonzero(array == high) == array.size:
            return [low.item(), high.item()]
        return list(np.unique(array)[: _PREVIEW_ITEMS + 1].tolist())
    return sorted(set(array.tolist()), key=repr)


def _require_no_missing_labels(array: npt.NDArray[Any], *, field: str) -> None:
    if array.dtype.kind == "f":
        missing = int(np.count_nonzero(np.isnan(array)))
    elif array.dtype.kind == "O":
        missing = sum(1 for value in array.tolist() if is_missing_object(value))
    else:
        missing = 0
    if missing:
        raise ValidationError(
            f"{field}: {missing} missing label(s) (received None or NaN). "
            "Drop unlabelled rows before evaluating."
        )


def require_both_classes(n_positive: int, n_negative: int, *, positive_label: object) -> None:
    """Raise UndefinedMetricError when only one class is present."""
    if n_positive == 0 or n_negative == 0:
        present = "positive" if n_negative == 0 else "negative"
        raise UndefinedMetricError(
            f"y_true: only the {present} class is present ({n_positive} positive and "
            f"{n_negative} negative rows, positive label {positive_label!r}); ROC AUC is "
            "undefined. Evaluate on rows holding both outcomes, or check the positive label."
        )
