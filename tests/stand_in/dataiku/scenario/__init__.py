"""Stand-in ``dataiku.scenario``: the running scenario, kept in a JSON state file.

``DKU_STAND_IN_SCENARIO_STATE`` names a JSON file (created when missing)::

    {"variables": {...},             # project/instance variables seen by the run
     "scenarioVariables": {...},     # set_scenario_variables() writes here
     "previousStepsOutputs": [...],  # returned by get_previous_steps_outputs()
     "stepResults": {"<step name>": {"outcome": "SUCCESS", ...}},  # planned results
     "stepsRun": [...]}              # run_step() appends each step it ran

so a test can prepare what a step sees and read what it did.
``DKU_CURRENT_SCENARIO_TRIGGER_FILE`` (as in DSS) names the trigger JSON:
``{"trigger": {"type": ..., "name": ...}, "params": {...}}``.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any

__all__ = ["Scenario", "StepHandle"]

STATE_ENV = "DKU_STAND_IN_SCENARIO_STATE"
TRIGGER_FILE_ENV = "DKU_CURRENT_SCENARIO_TRIGGER_FILE"
_EMPTY_STATE = {
    "variables": {},
    "scenarioVariables": {},
    "previousStepsOutputs": [],
    "stepResults": {},
    "stepsRun": [],
}


class StepHandle:
    """What ``run_step(..., asynchronous=True)`` returns; the step is already done."""

    def __init__(self, result: dict[str, Any]) -> None:
        self._result = result

    def is_done(self) -> bool:
        """Return True: stand-in steps finish immediately."""
        return True

    def wait_for_completion(self) -> dict[str, Any]:
        """Return the step result."""
        return self._result

    def get_result(self) -> dict[str, Any]:
        """Return the step result."""
        return self._result


class Scenario:
    """Handle on the running scenario."""

    def __init__(self) -> None:
        self.project_key = os.environ.get("DKU_CURRENT_PROJECT_KEY")
        trigger_file = os.environ.get(TRIGGER_FILE_ENV)
        self.scenario_trigger = None
        if trigger_file:
            self.scenario_trigger = json.loads(Path(trigger_file).read_text(encoding="utf-8"))

    # -------------------------------------------------------------- state file

    @staticmethod
    def _state_path() -> Path:
        value = os.environ.get(STATE_ENV)
        if not value:
            raise RuntimeError(f"{STATE_ENV} is not set: it names the scenario state JSON file")
        return Path(value)

    def _read_state(self) -> dict[str, Any]:
        path = self._state_path()
        state = copy.deepcopy(_EMPTY_STATE)
        if path.exists():
            state.update(json.loads(path.read_text(encoding="utf-8")))
        return state

    def _write_state(self, state: dict[str, Any]) -> None:
        self._state_path().write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")

    # -------------------------------------------------------------- trigger

    def get_trigger_type(self) -> str | None:
        """Return the type of the trigger that started the run."""
        return self.scenario_trigger["trigger"]["type"] if self.scenario_trigger else None

    def get_trigger_name(self) -> str | None:
        """Return the name of the trigger that started the run."""
        return self.scenario_trigger["trigger"].get("name") if self.scenario_trigger else None

    def get_trigger_params(self) -> dict[str, Any] | None:
        """Return the parameters the trigger passed."""
        return self.scenario_trigger.get("params", {}) if self.scenario_trigger else None

    # -------------------------------------------------------------- variables and steps

    def get_all_variables(self) -> dict[str, Any]:
        """Return every variable of the run; scenario variables override the others."""
        state = self._read_state()
        variables = dict(state["variables"])
        variables.update(state["scenarioVariables"])
        return variables

    def set_scenario_variables(self, **kwargs: Any) -> None:
        """Define scenario variables for the rest of the run."""
        state = self._read_state()
        state["scenarioVariables"].update(kwargs)
        self._write_state(state)

    def get_previous_steps_outputs(self) -> list[dict[str, Any]]:
        """Return the earlier steps' results, each ``{"stepName", "result"}``."""
        return list(self._read_state()["previousStepsOutputs"])

    def run_step(
        self, step: Any, asynchronous: bool = False, fail_fatal: bool = True, **kwargs: Any
    ) -> Any:
        """Record a step and return its planned result (FAILED raises when fatal)."""
        definition = step.get_step() if hasattr(step, "get_step") else step
        state = self._read_state()
        name = definition.get("name") if isinstance(definition, dict) else None
        result = copy.deepcopy(state["stepResults"].get(name, {"outcome": "SUCCESS"}))
        state["stepsRun"].append(
            {"step": definition, "asynchronous": asynchronous, "result": result}
        )
        state["previousStepsOutputs"].append({"stepName": name, "result": result})
        self._write_state(state)
        if result.get("outcome") == "FAILED" and fail_fatal:
            raise RuntimeError(f"Step {name} failed: {result.get('message', 'no message')}")
        return StepHandle(result) if asynchronous else result
