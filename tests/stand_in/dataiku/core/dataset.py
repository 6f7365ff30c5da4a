"""Stand-in ``dataiku.Dataset`` over local files.

Dataset ``name`` (or ``PROJECT.name``) lives in ``$DKU_STAND_IN_DATA_DIR`` as
``name.csv`` or ``name.parquet``, with an optional ``name.schema.json`` holding
``{"columns": [{"name": ..., "type": ...}, ...]}`` in DSS column types (string,
bigint, int, double, float, boolean, date). Without a schema file the schema is
inferred from the data.

As in DSS, ``infer_with_pandas=True`` (the default) lets pandas pick dtypes;
``infer_with_pandas=False`` applies the schema's types. Columns typed ``date`` are
parsed when ``parse_dates`` is true.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from . import data_dir, split_name

_PANDAS_DTYPES = {
    "string": "object",
    "bigint": "Int64",
    "int": "Int64",
    "smallint": "Int64",
    "tinyint": "Int64",
    "double": "float64",
    "float": "float64",
    "boolean": "boolean",
}


class Dataset:
    """A dataset of the current (or given) project, kept in local files."""

    def __init__(
        self, name: str, project_key: str | None = None, ignore_flow: bool = False
    ) -> None:
        self.project_key, self.short_name = split_name(name, project_key)
        self.name = f"{self.project_key}.{self.short_name}"
        self.full_name = self.name
        self.ignore_flow = ignore_flow

    def __repr__(self) -> str:
        return f"Dataset({self.name!r})"

    # -------------------------------------------------------------- files

    def _path(self, suffix: str) -> Path:
        return data_dir() / (self.short_name + suffix)

    def _data_path(self) -> Path:
        parquet = self._path(".parquet")
        return parquet if parquet.exists() else self._path(".csv")

    def _require_data(self) -> Path:
        path = self._data_path()
        if not path.exists():
            raise FileNotFoundError(
                f"Dataset {self.name} has no data: expected {self._path('.csv')} "
                f"or {self._path('.parquet')}"
            )
        return path

    # -------------------------------------------------------------- schema

    def read_schema(self, raise_if_empty: bool = True) -> list[dict[str, Any]]:
        """Return the schema columns (``name.schema.json``, else inferred from data)."""
        schema_path = self._path(".schema.json")
        if schema_path.exists():
            content = json.loads(schema_path.read_text(encoding="utf-8"))
            columns = content["columns"] if isinstance(content, dict) else content
        elif self._data_path().exists():
            columns = schema_from_dataframe(self._read_head())
        else:
            columns = []
        if raise_if_empty and not columns:
            raise ValueError(f"Dataset {self.name} has an empty schema")
        return columns

    def write_schema(self, columns: list[dict[str, Any]], drop_and_create: bool = False) -> None:
        """Write ``name.schema.json`` with the given columns."""
        data_dir().mkdir(parents=True, exist_ok=True)
        body = json.dumps({"columns": columns}, indent=2)
        self._path(".schema.json").write_text(body, encoding="utf-8")

    def write_schema_from_dataframe(self, df: pd.DataFrame, drop_and_create: bool = False) -> None:
        """Write the schema inferred from a dataframe."""
        self.write_schema(schema_from_dataframe(df), drop_and_create=drop_and_create)

    # -------------------------------------------------------------- reading

    def get_dataframe(
        self,
        columns: list[str] | None = None,
        limit: int | None = None,
        infer_with_pandas: bool = True,
        parse_dates: bool = True,
        **kwargs: Any,
    ) -> pd.DataFrame:
        """Read the whole dataset (or its first ``limit`` rows) into one dataframe."""
        path = self._require_data()
        if path.suffix == ".parquet":
            df = pd.read_parquet(path, columns=columns)
            return df.head(limit) if limit is not None else df
        options = self._csv_options(columns, infer_with_pandas, parse_dates)
        return pd.read_csv(path, nrows=limit, **options)

    def iter_dataframes(
        self,
        chunksize: int = 10000,
        infer_with_pandas: bool = True,
        parse_dates: bool = True,
        columns: list[str] | None = None,
        **kwargs: Any,
    ) -> Iterator[pd.DataFrame]:
        """Yield the dataset as dataframes of at most ``chunksize`` rows."""
        if chunksize < 1:
            raise ValueError(f"chunksize must be at least 1, got {chunksize!r}")
        path = self._require_data()
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            # One row group at a time: ParquetFile.iter_batches keeps buffers of the
            # row groups already read until it ends, so memory would grow with the file.
            parquet = pq.ParquetFile(path)
            for index in range(parquet.num_row_groups):
                table = parquet.read_row_group(index, columns=columns)
                for batch in table.to_batches(max_chunksize=chunksize):
                    yield batch.to_pandas()
            return
        options = self._csv_options(columns, infer_with_pandas, parse_dates)
        with pd.read_csv(path, chunksize=chunksize, **options) as reader:
            yield from reader

    def _read_head(self) -> pd.DataFrame:
        path = self._data_path()
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            # The first rows only, as DSS reads a schema without loading the data.
            parquet = pq.ParquetFile(path)
            if parquet.num_row_groups == 0:
                return parquet.schema_arrow.empty_table().to_pandas()
            return parquet.read_row_group(0).slice(0, 100).to_pandas()
        return pd.read_csv(path, nrows=100)

    def _csv_options(
        self, columns: list[str] | None, infer_with_pandas: bool, parse_dates: bool
    ) -> dict[str, Any]:
        schema = self.read_schema(raise_if_empty=False)
        options: dict[str, Any] = {"usecols": columns}
        if not schema:
            return options
        dates = [c["name"] for c in schema if c["type"] == "date"]
        if parse_dates and dates:
            options["parse_dates"] = [d for d in dates if columns is None or d in columns]
        if not infer_with_pandas:
            options["dtype"] = {
                c["name"]: _PANDAS_DTYPES[c["type"]] for c in schema if c["type"] in _PANDAS_DTYPES
            }
        return options

    # -------------------------------------------------------------- writing

    def write_with_schema(self, df: pd.DataFrame, drop_and_create: bool = False) -> None:
        """Replace the data and schema with the dataframe's."""
        self.write_schema_from_dataframe(df)
        with self.get_writer() as writer:
            writer.write_dataframe(df)

    def write_dataframe(self, df: pd.DataFrame, infer_schema: bool = False, **kwargs: Any) -> None:
        """Replace the data (and, with ``infer_schema``, the schema)."""
        if infer_schema:
            self.write_schema_from_dataframe(df)
        with self.get_writer() as writer:
            writer.write_dataframe(df)

    def get_writer(self) -> DatasetWriter:
        """Return a writer replacing the dataset's data (a context manager)."""
        return DatasetWriter(self)


class DatasetWriter:
    """Writes a dataset in pieces; the data file is replaced on the first write."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        self._parquet_parts: list[pd.DataFrame] = []
        self._written = False
        self._closed = False
        data_dir().mkdir(parents=True, exist_ok=True)
        self._path = dataset._data_path()

    def write_dataframe(self, df: pd.DataFrame) -> None:
        """Append a dataframe to the dataset."""
        if self._closed:
            raise ValueError(f"Writer of {self.dataset.name} is closed")
        if not self.dataset._path(".schema.json").exists():
            self.dataset.write_schema_from_dataframe(df)
        if self._path.suffix == ".parquet":
            self._parquet_parts.append(df)
        else:
            df.to_csv(
                self._path,
                mode="a" if self._written else "w",
                header=not self._written,
                index=False,
            )
        self._written = True

    def write_row_array(self, row: list[Any] | tuple[Any, ...]) -> None:
        """Append one row given as values in schema order."""
        names = [c["name"] for c in self.dataset.read_schema()]
        self.write_dataframe(pd.DataFrame([list(row)], columns=names))

    def close(self) -> None:
        """Flush and close the writer."""
        if self._closed:
            return
        if self._path.suffix == ".parquet" and self._parquet_parts:
            pd.concat(self._parquet_parts, ignore_index=True).to_parquet(self._path, index=False)
        elif not self._written and self._path.suffix == ".csv":
            names = [c["name"] for c in self.dataset.read_schema(raise_if_empty=False)]
            pd.DataFrame(columns=names).to_csv(self._path, index=False)
        self._closed = True

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def schema_from_dataframe(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Return DSS schema columns for a dataframe's dtypes."""
    return [{"name": str(name), "type": _dss_type(df[name])} for name in df.columns]


def _dss_type(series: pd.Series) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    return "string"
