"""Stand-in ``dataiku.runnables``: the macro base class and its result table."""

from __future__ import annotations

import json
from typing import Any, Callable

__all__ = ["ResultTable", "Runnable"]


class Runnable:
    """Base class of a macro, built by DSS with (project_key, config, plugin_config)."""

    def __init__(
        self, project_key: str, config: dict[str, Any], plugin_config: dict[str, Any]
    ) -> None:
        self.project_key = project_key
        self.config = config
        self.plugin_config = plugin_config

    def get_progress_target(self) -> tuple[int, str] | None:
        """Return None or (target, unit) with unit SIZE, FILES, RECORDS or NONE."""
        return None

    def run(self, progress_callback: Callable[[int], None]) -> Any:
        """Do the macro's work and return what ``resultType`` announces."""
        raise NotImplementedError(f"{type(self).__name__} must implement run()")


class ResultTable:
    """A table returned by macros whose ``resultType`` is RESULT_TABLE."""

    def __init__(self) -> None:
        self.records: list[list[Any]] = []
        self.columns: list[dict[str, str]] = []
        self.header = ""
        self.name = ""

    def add_column(self, name: str, display_name: str, type: str = "STRING") -> None:
        """Declare a column (type STRING, INTEGER, DOUBLE, DATE, BOOLEAN, ...)."""
        self.columns.append({"name": name, "displayName": display_name, "type": type})

    def add_record(self, record: list[Any]) -> None:
        """Append a row (values in column order)."""
        if len(record) != len(self.columns):
            raise ValueError(
                f"Record has {len(record)} values but the table has {len(self.columns)} columns"
            )
        self.records.append(list(record))

    def set_header(self, header: str) -> None:
        """Set the text shown above the table."""
        self.header = header

    def set_name(self, name: str) -> None:
        """Set the table name."""
        self.name = name

    def to_dict(self) -> dict[str, Any]:
        """Return the table as DSS serialises it (stand-in helper for assertions)."""
        return {
            "header": self.header,
            "columns": [dict(c) for c in self.columns],
            "records": [list(r) for r in self.records],
            "name": self.name,
        }

    def to_json(self) -> str:
        """Return the JSON DSS receives from the macro."""
        return json.dumps(self.to_dict())
