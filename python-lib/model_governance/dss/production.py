"""DSS adapters for models in production: the retraining scenario and Govern status.

- :class:`ScenarioRetrainer` starts the retraining scenario (the monitoring engine's
  retraining port) and returns the id of the run it started.
- :class:`GovernStatusBoard` writes a model's published health to the Govern artifact
  of its version, in one text field holding JSON, so Govern pages and reports show
  the same state as the ledger.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from model_governance.core.errors import ConfigError, ExternalSystemError
from model_governance.core.hashing import canonical_json, to_utc_iso
from model_governance.dss.gateway import (
    dss_errors,
    find_version_artifact,
    govern_client,
    split_model_id,
)
from model_governance.dss.params import GovernSettings
from model_governance.monitoring import RetrainingRequest

log = logging.getLogger(__name__)

# LIMITATION: the status goes to one text field the blueprint must declare. Effect:
# Govern refuses the update otherwise; the step fails with Govern's answer.
GOVERN_STATUS_FIELD = "model_governance_status"
"""The Govern text field receiving the status JSON; the blueprint must declare it."""

__all__ = ["GOVERN_STATUS_FIELD", "GovernStatusBoard", "ScenarioRetrainer", "read_govern_status"]


class ScenarioRetrainer:
    """Runs a DSS scenario to retrain a model, with the request as run parameters."""

    def __init__(self, client: Any, project_key: str, scenario_id: str):
        self.client = client
        self.project_key = project_key
        self.scenario_id = scenario_id

    def __call__(self, request: RetrainingRequest) -> str:
        """Start the scenario; return the id of its run once DSS has created it."""
        what = f"running the retraining scenario {self.project_key}.{self.scenario_id}"
        params = {
            "model_governance": {
                "model_id": request.model_id,
                "version": request.version,
                "evaluation_id": request.evaluation_id,
                "episode_id": request.episode_id,
                "reasons": list(request.reasons),
                "requested_at": to_utc_iso(request.requested_at),
            }
        }
        with dss_errors(what):
            scenario = self.client.get_project(self.project_key).get_scenario(self.scenario_id)
            run = scenario.run(params=params).wait_for_scenario_run()
        run_id = str(run.id)
        log.info("retraining scenario %s started as run %s", self.scenario_id, run_id)
        return run_id


class GovernStatusBoard:
    """Publishes a model version's monitoring state on its Govern artifact."""

    def __init__(self, client: Any, settings: GovernSettings | None):
        if settings is None:
            raise ConfigError(
                "Publish to Govern: is checked while the plugin's Govern settings are off; "
                "turn on Dataiku Govern in Plugins > Model Governance > Settings, or clear "
                "the checkbox in the step."
            )
        self.client = client
        self.settings = settings

    def publish(self, model_id: str, version: str, status: Mapping[str, Any]) -> str:
        """Write ``status`` to the version's artifact; return the artifact id."""
        project_key, sm_id = split_model_id(model_id)
        govern = govern_client(self.client, self.settings)
        artifact = find_version_artifact(govern, project_key, sm_id, version)
        if artifact is None:
            raise ExternalSystemError(
                f"publishing the status of {model_id} {version} to Govern: Govern has no "
                "artifact for this saved-model version; govern the version in Govern first "
                "(the ledger holds the status already).",
                operation="publishing to Govern",
            )
        with dss_errors(f"writing the status of {model_id} {version} to Govern"):
            definition = artifact.get_definition()
            raw = definition.get_raw()
            raw.setdefault("fields", {})[GOVERN_STATUS_FIELD] = canonical_json(dict(status))
            definition.save()
        log.info("status of %s %s published to Govern artifact %s", model_id, version, raw["id"])
        return str(raw["id"])


def read_govern_status(artifact_raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """The status a :class:`GovernStatusBoard` wrote on an artifact, or None."""
    text = (artifact_raw.get("fields") or {}).get(GOVERN_STATUS_FIELD)
    return None if not text else dict(json.loads(text))
