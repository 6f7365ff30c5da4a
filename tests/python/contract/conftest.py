"""Fixtures of the DSS contract: the DSS API double and the environment of plugin code.

- ``dss_double`` (session): the running double (``url``, ``api_key``, ``state``,
  ``request_log``, ``exercised_client_methods()``, ``reset()``, ``client()``).
- ``dss_client`` / ``govern_client``: fresh world (fixtures reloaded) and a real
  ``dataikuapi`` client on the DSS node / the Govern node.
- ``dss_env``: fresh world, ``tests/stand_in`` on ``sys.path`` and the environment
  variables DSS sets (API ticket, backend host/port, current project), plus helpers
  to configure a recipe, a scenario step, a webapp or a scenario run.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

TESTS_DIR = Path(__file__).resolve().parents[2]
STAND_IN_DIR = TESTS_DIR / "stand_in"
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))

from dss_double import DssDouble, route_table  # noqa: E402 - needs TESTS_DIR on sys.path

PROJECT_KEY = "FRAUD"
_STARTED: list[DssDouble] = []


@pytest.fixture(scope="session")
def dss_double() -> Iterator[DssDouble]:
    """Serve the DSS double for the whole session."""
    double = DssDouble.start()
    _STARTED.append(double)
    yield double
    double.stop()


@pytest.fixture
def dss_client(dss_double: DssDouble) -> Any:
    """Return a ``dataikuapi.DSSClient`` (admin API key) on a freshly loaded world."""
    dss_double.reset()
    return dss_double.client()


@pytest.fixture
def govern_client(dss_double: DssDouble) -> Any:
    """Return a ``dataikuapi.GovernClient`` on the Govern node (fresh world)."""
    dss_double.reset()
    return dss_double.govern_client()


class DssEnv:
    """The environment DSS gives plugin code, set through ``monkeypatch``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, double: DssDouble) -> None:
        self.monkeypatch = monkeypatch
        self.double = double
        self.project_key = PROJECT_KEY
        self.data_dir = tmp_path / "dss_data"
        self.data_dir.mkdir()
        self.scenario_state_path = tmp_path / "scenario_state.json"
        self.trigger_path = tmp_path / "scenario_trigger.json"

    def setenv(self, name: str, value: Any) -> None:
        """Set one variable; non-strings are stored as JSON, as DSS passes configs."""
        self.monkeypatch.setenv(name, value if isinstance(value, str) else json.dumps(value))

    def use_api_key(self, api_key: str | None = None) -> None:
        """Switch to outside-DSS mode: ``DKU_DSS_URL`` + ``DKU_API_KEY``, no ticket."""
        self.monkeypatch.delenv("DKU_API_TICKET", raising=False)
        self.setenv("DKU_DSS_URL", self.double.url)
        self.setenv("DKU_API_KEY", api_key or self.double.api_key)

    def set_recipe(
        self,
        inputs: dict[str, list[str]],
        outputs: dict[str, list[str]],
        config: dict[str, Any],
        plugin_config: dict[str, Any] | None = None,
    ) -> None:
        """Configure a custom recipe: roles (role -> dataset names) and parameters."""
        self.setenv("DKUFLOW_SPEC", {"in": self._flow(inputs), "out": self._flow(outputs)})
        self.setenv("DKU_CUSTOM_RECIPE_CONFIG", config)
        self.setenv("DKU_CUSTOM_RECIPE_PLUGIN_CONFIG", plugin_config or {})
        self.setenv("DKU_CUSTOM_RESOURCE_FOLDER", str(self.data_dir / "resource"))

    def _flow(self, roles: dict[str, list[str]]) -> list[dict[str, str]]:
        return [
            {
                "role": role,
                "fullName": f"{self.project_key}.{name}",
                "smartName": name,
                "type": "DATASET",
            }
            for role, names in roles.items()
            for name in names
        ]

    def set_step(self, config: dict[str, Any], plugin_config: dict[str, Any] | None = None) -> None:
        """Configure a custom scenario step."""
        self.setenv("DKU_PLUGIN_STEP_CONFIG", config)
        self.setenv("DKU_PLUGIN_CONFIG", plugin_config or {})

    def set_webapp(
        self, config: dict[str, Any], plugin_config: dict[str, Any] | None = None
    ) -> None:
        """Configure a webapp backend."""
        self.setenv("DKU_CUSTOM_WEBAPP_CONFIG", config)
        self.setenv("DKU_PLUGIN_CONFIG", plugin_config or {})

    def set_scenario(
        self,
        variables: dict[str, Any] | None = None,
        previous_steps_outputs: list[dict[str, Any]] | None = None,
        step_results: dict[str, dict[str, Any]] | None = None,
        trigger: dict[str, Any] | None = None,
    ) -> None:
        """Write the scenario state file (and trigger file) a scenario step will see."""
        state = {
            "variables": variables or {},
            "scenarioVariables": {},
            "previousStepsOutputs": previous_steps_outputs or [],
            "stepResults": step_results or {},
            "stepsRun": [],
        }
        self.scenario_state_path.write_text(json.dumps(state), encoding="utf-8")
        if trigger is not None:
            self.trigger_path.write_text(json.dumps(trigger), encoding="utf-8")
            self.setenv("DKU_CURRENT_SCENARIO_TRIGGER_FILE", str(self.trigger_path))

    def read_scenario_state(self) -> dict[str, Any]:
        """Return the scenario state file as the step left it."""
        return json.loads(self.scenario_state_path.read_text(encoding="utf-8"))

    def write_dataset(
        self,
        name: str,
        df: pd.DataFrame,
        *,
        schema: list[dict[str, Any]] | None = None,
        file_format: str = "csv",
    ) -> Path:
        """Store a dataset the stand-in ``dataiku.Dataset(name)`` will read."""
        path = self.data_dir / f"{name}.{file_format}"
        if file_format == "parquet":
            df.to_parquet(path, index=False)
        else:
            df.to_csv(path, index=False)
        if schema is not None:
            schema_path = self.data_dir / f"{name}.schema.json"
            schema_path.write_text(json.dumps({"columns": schema}), encoding="utf-8")
        return path


@pytest.fixture
def dss_env(
    dss_double: DssDouble, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[DssEnv]:
    """Set the variables DSS gives plugin code; put the stand-in ``dataiku`` first."""
    dss_double.reset()
    monkeypatch.syspath_prepend(str(STAND_IN_DIR))
    env = DssEnv(monkeypatch, tmp_path, dss_double)
    for name in ("DKU_DSS_URL", "DKU_API_KEY", "DKUFLOW_SPEC", "DKU_CURRENT_SCENARIO_TRIGGER_FILE"):
        monkeypatch.delenv(name, raising=False)
    env.setenv("DKU_API_TICKET", dss_double.api_ticket)
    env.setenv("DKU_BACKEND_HOST", "127.0.0.1")
    env.setenv("DKU_BACKEND_PORT", str(dss_double.port))
    env.setenv("DKU_CURRENT_PROJECT_KEY", PROJECT_KEY)
    env.setenv("DKU_STAND_IN_DATA_DIR", str(env.data_dir))
    env.setenv("DKU_STAND_IN_SCENARIO_STATE", str(env.scenario_state_path))
    yield env
    intercom = sys.modules.get("dataiku.core.intercom")
    if intercom is not None:
        intercom.clear_remote_dss()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Report which client methods and routes the session exercised on the double."""
    for double in _STARTED:
        methods = double.exercised_client_methods()
        used = {f"{r.node} {r.route_id}" for r in double.request_log if r.status < 400}
        unused = sorted(set(route_table()) - used)
        terminalreporter.write_sep("-", "DSS double")
        terminalreporter.write_line(
            f"{len(methods)} client methods exercised; {len(unused)} of "
            f"{len(route_table())} routes without a successful call"
        )
        if terminalreporter.verbosity >= 0:
            for route_key in unused:
                terminalreporter.write_line(f"  unused: {route_key}")
