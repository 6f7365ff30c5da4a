"""Stand-in ``dataiku.ModelEvaluationStore``, read through the public API."""

from __future__ import annotations

from typing import Any

from . import split_name
from .intercom import new_api_client


class ModelEvaluationStore:
    """A model evaluation store of the current (or given) project, by id or name."""

    def __init__(
        self, lookup: str, project_key: str | None = None, ignore_flow: bool = False
    ) -> None:
        self.project_key, self.lookup = split_name(lookup, project_key)
        self.ignore_flow = ignore_flow
        self._info: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"ModelEvaluationStore({self.project_key + '.' + self.lookup!r})"

    def get_info(self, sensitive_info: bool = False) -> dict[str, Any]:
        """Return the store's settings (id, name, flavor)."""
        if self._info is None:
            project = new_api_client().get_project(self.project_key)
            for store in project.list_model_evaluation_stores():
                settings = store.get_settings().get_raw()
                if self.lookup in (settings["id"], settings["name"]):
                    self._info = settings
                    break
            else:
                raise ValueError(
                    f"No model evaluation store {self.lookup!r} in project {self.project_key}"
                )
        return self._info

    def get_id(self) -> str:
        """Return the store id."""
        return str(self.get_info()["id"])

    def get_name(self) -> str:
        """Return the store name."""
        return str(self.get_info()["name"])

    def list_runs(self) -> list[dict[str, Any]]:
        """Return the evaluations of the store (oldest first), as raw dicts."""
        client = new_api_client()
        store = client.get_project(self.project_key).get_model_evaluation_store(self.get_id())
        return [e.get_full_info().get_raw() for e in store.list_model_evaluations()]
