"""DSS adapters for models in production: retraining, Govern status, API query logs.

- :class:`ScenarioRetrainer` starts the retraining scenario (the monitoring engine's
  retraining port) and returns the id of the run it started.
- :class:`GovernStatusBoard` writes a model's published health to the Govern artifact
  of its version, in one text field holding JSON, so Govern pages and reports show
  the same state as the ledger;
- :func:`read_query_log` measures an API service's traffic from its query log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import dataiku
import pandas as pd

from model_governance.core.errors import ConfigError, ExternalSystemError
from model_governance.core.hashing import canonical_json, to_utc_iso
from model_governance.core.monitoring import ServiceMetrics
from model_governance.dss.gateway import (
    dataset_errors,
    dss_errors,
    find_version_artifact,
    govern_client,
    split_model_id,
)
from model_governance.dss.params import STEP_SCREEN, GovernSettings, QueryLogParams
from model_governance.monitoring import RetrainingRequest, Window, service_metrics_from_chunks

log = logging.getLogger(__name__)

# LIMITATION: the status goes to one text field the blueprint must declare. Effect:
# Govern refuses the update otherwise; the step fails with Govern's answer.
GOVERN_STATUS_FIELD = "model_governance_status"
"""The Govern text field receiving the status JSON; the blueprint must declare it."""

__all__ = [
    "GOVERN_STATUS_FIELD",
    "GovernStatusBoard",
    "ScenarioRetrainer",
    "read_govern_status",
    "read_query_log",
]


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


def read_query_log(
    project_key: str, query_log: QueryLogParams, window: Window, *, subset_value: str = ""
) -> ServiceMetrics:
    """Requests, failures and p95 latency in an API node query log over ``window``.

    With a subset column, only rows whose value is ``subset_value`` count (one API
    service among several, or the canary's generation). The dataset is read in chunks
    of the needed columns.
    """
    columns = [
        c
        for c in (
            query_log.timestamp_column,
            query_log.latency_column,
            query_log.status_column,
            query_log.error_column,
            query_log.subset_column,
        )
        if c
    ]
    dataset = dataiku.Dataset(query_log.dataset, project_key=project_key, ignore_flow=True)
    with dataset_errors(
        f"query-log dataset {query_log.dataset}",
        bad_columns=f"Query-log dataset {query_log.dataset}: the values of "
        f"{', '.join(columns)} cannot all be read as times, milliseconds, HTTP statuses or "
        f"error flags; pick the query log's columns in {STEP_SCREEN}.",
        retry="build the dataset (or check its connection) and run the step again",
    ):
        present = {str(c["name"]) for c in dataset.read_schema(raise_if_empty=False)}
        missing = [c for c in columns if c not in present]
        if missing:
            raise ConfigError(
                f"Query-log dataset {query_log.dataset}: has no column {', '.join(missing)}; "
                f"pick the columns it has in {STEP_SCREEN}."
            )
        chunks = dataset.iter_dataframes(chunksize=query_log.chunk_rows, columns=columns)
        return service_metrics_from_chunks(
            _subset(chunks, query_log.subset_column, subset_value),
            latency_column=query_log.latency_column,
            status_column=query_log.status_column or None,
            error_column=query_log.error_column or None,
            timestamp_column=query_log.timestamp_column,
            window=window,
        )


def _subset(chunks: Iterable[pd.DataFrame], column: str, value: str) -> Iterator[pd.DataFrame]:
    for chunk in chunks:
        yield chunk[chunk[column].astype(str) == value] if column else chunk


def read_govern_status(artifact_raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """The status a :class:`GovernStatusBoard` wrote on an artifact, or None."""
    text = (artifact_raw.get("fields") or {}).get(GOVERN_STATUS_FIELD)
    return None if not text else dict(json.loads(text))
