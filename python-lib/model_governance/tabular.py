"""Reading CSV and Parquet files whole or in chunks, for local mode and benchmarks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from model_governance.core.errors import NotFoundError, ValidationError

DEFAULT_CHUNK_ROWS = 250_000
_FORMATS = (".csv", ".parquet", ".pq")


def _checked(path: Path | str, option: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{option}: {path} is not a file; give a CSV or Parquet file.")
    if path.suffix.lower() not in _FORMATS and not path.name.endswith(".csv.gz"):
        raise ValidationError(
            f"{option}: {path.name} is neither .csv nor .parquet; convert it or rename it."
        )
    return path


def table_columns(path: Path | str, *, option: str = "file") -> list[str]:
    """Column names of a CSV or Parquet file, read without loading its rows."""
    path = _checked(path, option)
    if _is_parquet(path):
        return list(pq.ParquetFile(path).schema_arrow.names)
    return list(pd.read_csv(path, nrows=0).columns)


def read_table(
    path: Path | str, *, columns: Sequence[str] | None = None, option: str = "file"
) -> pd.DataFrame:
    """The whole file (or the named columns) as a DataFrame."""
    path = _checked(path, option)
    _require_columns(path, columns, option)
    if _is_parquet(path):
        return pd.read_parquet(path, columns=list(columns) if columns else None)
    return pd.read_csv(path, usecols=list(columns) if columns else None, low_memory=False)


def iter_table(
    path: Path | str,
    *,
    columns: Sequence[str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    option: str = "file",
) -> Iterator[pd.DataFrame]:
    """The file in chunks of at most ``chunk_rows`` rows, so memory stays flat."""
    path = _checked(path, option)
    _require_columns(path, columns, option)
    if _is_parquet(path):
        reader = pq.ParquetFile(path)
        for batch in reader.iter_batches(batch_size=chunk_rows, columns=columns):
            yield batch.to_pandas()
        return
    usecols = list(columns) if columns else None
    yield from pd.read_csv(path, usecols=usecols, chunksize=chunk_rows, low_memory=False)


def table_rows(path: Path | str) -> int | None:
    """Row count when the format records it (Parquet), else None."""
    path = Path(path)
    return pq.ParquetFile(path).metadata.num_rows if _is_parquet(path) else None


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in (".parquet", ".pq")


def _require_columns(path: Path, columns: Sequence[str] | None, option: str) -> None:
    if not columns:
        return
    present = set(table_columns(path, option=option))
    missing = [c for c in columns if c not in present]
    if missing:
        raise ValidationError(
            f"{option}: {path.name} has no column(s) {', '.join(missing)}; "
            f"available: {', '.join(sorted(present))}."
        )
