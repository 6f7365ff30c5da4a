"""Stand-in ``dataiku.Model``: a saved model read through the public API.

The real class talks to DSS's internal API; the stand-in uses ``api_client()`` (the
DSS double in tests), which serves the same saved-model information.
"""

from __future__ import annotations

from typing import Any

from . import split_name
from .intercom import new_api_client


class Model:
    """A saved model of the current (or given) project, looked up by id or name."""

    def __init__(
        self, lookup: str, project_key: str | None = None, ignore_flow: bool = False
    ) -> None:
        self.project_key, self.lookup = split_name(lookup, project_key)
        self.ignore_flow = ignore_flow
        self._info: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"Model({self.project_key + '.' + self.lookup!r})"

    def get_info(self) -> dict[str, Any]:
        """Return the saved model's settings (id, name, type, active version, ...)."""
        if self._info is None:
            project = new_api_client().get_project(self.project_key)
            for item in project.list_saved_models():
                if self.lookup in (item["id"], item["name"]):
                    self._info = item
                    break
            else:
                raise ValueError(f"No saved model {self.lookup!r} in project {self.project_key}")
        return self._info

    def get_id(self) -> str:
        """Return the saved model id."""
        return str(self.get_info()["id"])

    def get_name(self) -> str:
        """Return the saved model name."""
        return str(self.get_info()["name"])

    def get_type(self) -> str:
        """Return the saved model type (PREDICTION, CLUSTERING, ...)."""
        return str(self.get_info()["type"])

    def list_versions(self) -> list[dict[str, Any]]:
        """Return the versions, each with ``id``, ``active`` and ``snippet``."""
        handle = new_api_client().get_project(self.project_key).get_saved_model(self.get_id())
        return list(handle.list_versions())

    def activate_version(self, version_id: str) -> None:
        """Make a version the active one."""
        handle = new_api_client().get_project(self.project_key).get_saved_model(self.get_id())
        handle.set_active_version(version_id)
        self._info = None

    def get_predictor(self, version_id: str | None = None) -> Any:
        """Refuse: the stand-in holds no model binaries to score with."""
        raise NotImplementedError(
            f"The stand-in dataiku package cannot load a predictor for {self.lookup}; "
            "score with a fixture dataset instead"
        )
