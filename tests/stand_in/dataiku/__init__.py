"""Stand-in for the ``dataiku`` package that DSS provides to plugin code.

It reads its configuration from the environment variables DSS sets, so plugin
entry points run unchanged in tests. Put ``tests/stand_in`` on ``sys.path``.

Environment variables (names as DSS uses them unless marked stand-in):

- backend location: ``DKU_API_TICKET`` + ``DKU_BACKEND_HOST`` + ``DKU_BACKEND_PORT``
  (inside DSS) or ``DKU_DSS_URL`` + ``DKU_API_KEY`` (+ ``DKU_NO_CHECK_CERTIFICATE``);
- ``DKU_CURRENT_PROJECT_KEY``: ``default_project_key()``;
- ``DKUFLOW_SPEC``: recipe inputs/outputs with their roles (``dataiku.customrecipe``);
- ``DKU_CUSTOM_RECIPE_CONFIG``, ``DKU_CUSTOM_RECIPE_PLUGIN_CONFIG``,
  ``DKU_CUSTOM_RESOURCE_FOLDER``: recipe configuration;
- ``DKU_PLUGIN_STEP_CONFIG``, ``DKU_PLUGIN_CONFIG``: scenario-step configuration;
- ``DKU_CUSTOM_WEBAPP_CONFIG``: webapp configuration;
- ``DKU_CURRENT_SCENARIO_TRIGGER_FILE``: the trigger of the running scenario;
- stand-in: ``DKU_STAND_IN_DATA_DIR`` (datasets and folders on disk) and
  ``DKU_STAND_IN_SCENARIO_STATE`` (JSON file holding the running scenario's state).
"""

from __future__ import annotations

from typing import Any

from .core import default_project_key
from .core.dataset import Dataset, DatasetWriter
from .core.intercom import new_api_client, set_remote_dss
from .core.managed_folder import Folder
from .core.model_evaluation_store import ModelEvaluationStore
from .core.saved_model import Model

__all__ = [
    "Dataset",
    "DatasetWriter",
    "Folder",
    "Model",
    "ModelEvaluationStore",
    "api_client",
    "default_project_key",
    "get_custom_variables",
    "set_remote_dss",
]


def api_client() -> Any:
    """Return a ``dataikuapi.DSSClient`` for the DSS instance this process runs in."""
    return new_api_client()


def get_custom_variables(project_key: str | None = None, typed: bool = False) -> dict[str, Any]:
    """Return the project's variables resolved (local over standard).

    ``typed=False`` turns values into strings, as DSS does.
    """
    key = project_key or default_project_key()
    variables = new_api_client().get_project(key).get_variables()
    resolved = dict(variables.get("standard", {}))
    resolved.update(variables.get("local", {}))
    if typed:
        return resolved
    return {
        name: value if isinstance(value, str) else _as_text(value)
        for name, value in resolved.items()
    }


def _as_text(value: Any) -> str:
    import json

    return json.dumps(value)
