"""Handlers: the API Deployer (services, infrastructures, deployments, updates).

``generationsMapping`` as DSS stores it in deployment settings:
``{"mode": "SINGLE_GENERATION", "generation": "<version>"}`` or
``{"mode": "MULTI_GENERATION", "entries": [{"generation": ..., "proba": ...}, ...]}``.
The double checks every generation is a version of the service and that the
probabilities lie in [0, 1] and add up to 1.
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any

from . import deployer_views as views
from .deployer_views import API_DEPLOYER
from .errors import bad_request, conflict
from .handlers_deployer import SUCCESS_REPORT, check_governance, governance_refusal
from .routing import RequestContext, require_fields, require_text
from .state import DssState, find_package, lookup


def list_api_services(ctx: RequestContext) -> list[dict[str, Any]]:
    """Serve DSSAPIDeployer.list_services."""
    return [
        views.published_light(API_DEPLOYER, ctx.state, sid)
        for sid in ctx.state.api_deployer["services"]
    ]


def get_api_service(ctx: RequestContext, service_id: str) -> dict[str, Any]:
    """Serve DSSAPIDeployerService.get_status (versions as ``packages``)."""
    lookup(ctx.state.api_deployer["services"], service_id, "API service")
    return views.published_light(API_DEPLOYER, ctx.state, service_id)


def list_api_infras(ctx: RequestContext) -> list[dict[str, Any]]:
    """Serve DSSAPIDeployer.list_infras."""
    return [
        views.infra_light(API_DEPLOYER, ctx.state, infra_id)
        for infra_id in ctx.state.api_deployer["infras"]
    ]


def get_api_infra(ctx: RequestContext, infra_id: str) -> dict[str, Any]:
    """Serve DSSAPIDeployerInfra.get_status."""
    lookup(ctx.state.api_deployer["infras"], infra_id, "Infrastructure")
    return views.infra_light(API_DEPLOYER, ctx.state, infra_id)


def get_api_infra_settings(ctx: RequestContext, infra_id: str) -> dict[str, Any]:
    """Serve DSSAPIDeployerInfra.get_settings (with ``governCheckPolicy``)."""
    return copy.deepcopy(lookup(ctx.state.api_deployer["infras"], infra_id, "Infrastructure"))


def list_api_deployments(ctx: RequestContext) -> list[dict[str, Any]]:
    """Serve DSSAPIDeployer.list_deployments."""
    deployments = ctx.state.api_deployer["deployments"].values()
    return [views.deployment_light(API_DEPLOYER, ctx.state, d) for d in deployments]


def create_api_deployment(ctx: RequestContext) -> dict[str, Any]:
    """Serve DSSAPIDeployer.create_deployment (starts on a single generation)."""
    body = ctx.json_object()
    require_fields(body, "deploymentId", "publishedServiceId", "infraId", "version")
    deployment_id = require_text(body, "deploymentId")
    deployer = ctx.state.api_deployer
    if deployment_id in deployer["deployments"]:
        raise conflict(f"Deployment {deployment_id} already exists")
    service = lookup(deployer["services"], body["publishedServiceId"], "API service")
    infra = lookup(deployer["infras"], body["infraId"], "Infrastructure")
    package = find_package(service, body["version"])
    check_governance(infra, package, ctx.bool_param("ignoreWarnings"))
    mapping = {"mode": "SINGLE_GENERATION", "generation": body["version"]}
    record = {
        "settings": {
            "id": deployment_id,
            "publishedServiceId": body["publishedServiceId"],
            "infraId": body["infraId"],
            "enabled": True,
            "generationsMapping": mapping,
            "endpointId": body.get("endpointId"),
            "tags": [],
        },
        "deployedMapping": None,
        "health": "UNKNOWN",
        "updates": [],
        "updateOutcome": "SUCCESS",
        "updateError": "API node refused the service package",
    }
    deployer["deployments"][deployment_id] = record
    return views.deployment_light(API_DEPLOYER, ctx.state, record)


def get_api_deployment(ctx: RequestContext, deployment_id: str) -> dict[str, Any]:
    """Serve DSSAPIDeployerDeployment.get_status (light) and delete's pre-check."""
    return views.deployment_light(API_DEPLOYER, ctx.state, _deployment(ctx.state, deployment_id))


def get_api_deployment_status(ctx: RequestContext, deployment_id: str) -> dict[str, Any]:
    """Serve DSSAPIDeployerDeployment.get_status (heavy status: health, apiNodes)."""
    record = _deployment(ctx.state, deployment_id)
    infra = ctx.state.api_deployer["infras"][record["settings"]["infraId"]]
    health = record["health"]
    if health != "ERROR" and record["settings"]["generationsMapping"] != record["deployedMapping"]:
        health = "OUT_OF_SYNC"
    messages = []
    if health == "ERROR":
        messages.append({"severity": "ERROR", "isFatal": False, "message": record["updateError"]})
    return {
        "health": health,
        "healthMessages": {"messages": messages, "anyMessage": bool(messages)},
        "apiNodes": copy.deepcopy(infra.get("apiNodes", [])),
        "deployedGenerationsMapping": copy.deepcopy(record["deployedMapping"]),
    }


def get_api_deployment_settings(ctx: RequestContext, deployment_id: str) -> dict[str, Any]:
    """Serve DSSAPIDeployerDeployment.get_settings (``generationsMapping``)."""
    return copy.deepcopy(_deployment(ctx.state, deployment_id)["settings"])


def save_api_deployment_settings(ctx: RequestContext, deployment_id: str) -> None:
    """Serve DSSAPIDeployerDeploymentSettings.save (mapping and governance checked)."""
    record = _deployment(ctx.state, deployment_id)
    body = ctx.json_object()
    require_fields(body, "id", "publishedServiceId", "infraId", "generationsMapping")
    for fixed in ("id", "publishedServiceId", "infraId"):
        if body[fixed] != record["settings"][fixed]:
            raise bad_request(f"Deployment field '{fixed}' cannot change")
    deployer = ctx.state.api_deployer
    service = deployer["services"][body["publishedServiceId"]]
    infra = deployer["infras"][body["infraId"]]
    for generation in check_generations_mapping(body["generationsMapping"]):
        check_governance(infra, find_package(service, generation), ctx.bool_param("ignoreWarnings"))
    record["settings"] = body


def start_api_deployment_update(ctx: RequestContext, deployment_id: str) -> dict[str, Any]:
    """Serve DSSAPIDeployerDeployment.start_update (answers a future)."""
    record = _deployment(ctx.state, deployment_id)
    settings = record["settings"]
    deployer = ctx.state.api_deployer
    service = deployer["services"][settings["publishedServiceId"]]
    infra = deployer["infras"][settings["infraId"]]
    generations = check_generations_mapping(settings["generationsMapping"])
    refusals = [governance_refusal(infra, find_package(service, g)) for g in generations]
    error = record["updateError"] if record["updateOutcome"] == "FAILED" else None
    if error is None:
        error = next((r for r in refusals if r is not None), None)
    future = ctx.state.start_future(
        f"Update of API deployment {deployment_id}",
        result=copy.deepcopy(SUCCESS_REPORT),
        error_message=error,
    )
    started = ctx.state.now_ms()
    if error is None:
        record["deployedMapping"] = copy.deepcopy(settings["generationsMapping"])
        record["health"] = "HEALTHY" if settings.get("enabled", True) else "DISABLED"
    else:
        record["health"] = "ERROR"
    record["updates"].append(
        {
            "startTimestamp": started,
            "endTimestamp": ctx.state.now_ms(),
            "type": "UPDATE",
            "status": "FAILED" if error else "SUCCESS",
            "requester": ctx.principal.auth_identifier,
        }
    )
    return future.started_state()


def delete_api_deployment(ctx: RequestContext, deployment_id: str) -> None:
    """Serve DSSAPIDeployerDeployment.delete (the deployment must be disabled)."""
    record = _deployment(ctx.state, deployment_id)
    if record["settings"].get("enabled", True):
        raise conflict(f"Deployment {deployment_id} must be disabled before it can be deleted")
    del ctx.state.api_deployer["deployments"][deployment_id]


def check_generations_mapping(mapping: Any) -> list[str]:
    """Validate a ``generationsMapping`` and return the generations it names."""
    if not isinstance(mapping, dict):
        raise bad_request(f"generationsMapping must be an object, got {mapping!r}")
    mode = mapping.get("mode")
    if mode == "SINGLE_GENERATION":
        return [require_text(mapping, "generation")]
    if mode != "MULTI_GENERATION":
        raise bad_request(
            f"generationsMapping.mode must be SINGLE_GENERATION or MULTI_GENERATION, got {mode!r}"
        )
    entries = mapping.get("entries")
    if not isinstance(entries, list) or not entries:
        raise bad_request("MULTI_GENERATION mapping needs a non-empty 'entries' list")
    total = 0.0
    for entry in entries:
        proba = entry.get("proba") if isinstance(entry, dict) else None
        if isinstance(proba, bool) or not isinstance(proba, numbers.Real) or not 0 <= proba <= 1:
            raise bad_request(f"Each entry needs a 'proba' in [0, 1], got {entry!r}")
        require_text(entry, "generation")
        total += float(proba)
    if not math.isclose(total, 1.0, abs_tol=1e-9):
        raise bad_request(f"generationsMapping probabilities must add up to 1, got {total}")
    return [e["generation"] for e in entries]


def _deployment(state: DssState, deployment_id: str) -> dict[str, Any]:
    return lookup(state.api_deployer["deployments"], deployment_id, "API deployment")
