"""Handlers: Design-node bundles and the Project Deployer.

Govern check policy (``governCheckPolicy`` on an infrastructure, values
NO_CHECK / WARN / PREVENT, as ``DSSProjectDeployer.create_infra`` names it): the
double compares it with the published bundle's ``governanceStatus``. PREVENT
refuses any bundle that is not APPROVED (deployment creation, settings save and
update); WARN refuses it unless the call passes ``ignoreWarnings=true``.
"""

from __future__ import annotations

import copy
from typing import Any

from . import deployer_views as views
from .deployer_views import PROJECT_DEPLOYER
from .errors import bad_request, conflict
from .routing import RequestContext, require_fields, require_text
from .state import DssState, find_package, lookup

SUCCESS_REPORT = {
    "messages": [],
    "anyMessage": False,
    "success": True,
    "warning": False,
    "error": False,
    "fatal": False,
}


# ---------------------------------------------------------------- Design node bundles


def list_exported_bundles(ctx: RequestContext, project_key: str) -> dict[str, Any]:
    """Serve DSSProject.list_exported_bundles (``{"bundles": [...]}``)."""
    bundles = ctx.state.project(project_key)["bundles"].values()
    return {"bundles": [copy.deepcopy(b) for b in bundles]}


def export_bundle(ctx: RequestContext, project_key: str, bundle_id: str) -> dict[str, Any]:
    """Serve DSSProject.export_bundle (records the saved models' active versions)."""
    project = ctx.state.project(project_key)
    if bundle_id in project["bundles"]:
        raise conflict(f"Bundle {bundle_id} already exists in project {project_key}")
    models = [
        {"id": sm_id, "activeVersion": sm["settings"]["activeVersion"]}
        for sm_id, sm in project["savedModels"].items()
    ]
    bundle = {
        "bundleId": bundle_id,
        "releaseNotes": ctx.param("releaseNotes"),
        "exportManifest": {
            "exportUserInfo": {
                "exportedOn": ctx.state.now_ms(),
                "exportedBy": {"login": ctx.principal.auth_identifier},
            },
            "originalProjectInfo": {"projectKey": project_key},
            "contentSummary": {"savedModels": models},
            "projectVariables": copy.deepcopy(project["variables"]["standard"]),
        },
        "publishedBundleState": None,
    }
    project["bundles"][bundle_id] = bundle
    return copy.deepcopy(bundle)


def delete_exported_bundle(ctx: RequestContext, project_key: str, bundle_id: str) -> dict[str, Any]:
    """Serve DSSProject.delete_exported_bundle."""
    bundles = ctx.state.project(project_key)["bundles"]
    lookup(bundles, bundle_id, "Bundle", f"{bundle_id} in {project_key}")
    del bundles[bundle_id]
    return {}


def publish_bundle(ctx: RequestContext, project_key: str, bundle_id: str) -> dict[str, Any]:
    """Serve DSSProject.publish_bundle (creates the published project when missing)."""
    project = ctx.state.project(project_key)
    bundle = lookup(project["bundles"], bundle_id, "Bundle", f"{bundle_id} in {project_key}")
    published_key = ctx.param("publishedProjectKey") or project_key
    published = ctx.state.project_deployer["projects"].setdefault(
        published_key, {"key": published_key, "name": project["summary"]["name"], "packages": []}
    )
    if any(p["id"] == bundle_id for p in published["packages"]):
        raise conflict(f"Bundle {bundle_id} is already published in {published_key}")
    state = {
        "publishedOn": ctx.state.now_ms(),
        "publishedBy": ctx.principal.auth_identifier,
        "publishedProjectKey": published_key,
    }
    published["packages"].append(
        {
            "id": bundle_id,
            "publishedOn": state["publishedOn"],
            "publishedBy": state["publishedBy"],
            "sourceProjectKey": project_key,
            "governanceStatus": "NOT_GOVERNED",
        }
    )
    bundle["publishedBundleState"] = state
    return copy.deepcopy(state)


# ---------------------------------------------------------------- published projects


def list_published_projects(ctx: RequestContext) -> list[dict[str, Any]]:
    """Serve DSSProjectDeployer.list_projects."""
    return [
        views.published_light(PROJECT_DEPLOYER, ctx.state, key)
        for key in ctx.state.project_deployer["projects"]
    ]


def get_published_project(ctx: RequestContext, published_project_key: str) -> dict[str, Any]:
    """Serve DSSProjectDeployerProject.get_status (bundles as ``packages``)."""
    lookup(ctx.state.project_deployer["projects"], published_project_key, "Published project")
    return views.published_light(PROJECT_DEPLOYER, ctx.state, published_project_key)


def delete_published_bundle(
    ctx: RequestContext, published_project_key: str, bundle_id: str
) -> None:
    """Serve DSSProjectDeployerProject.delete_bundle (refused while deployed)."""
    projects = ctx.state.project_deployer["projects"]
    published = lookup(projects, published_project_key, "Published project")
    find_package(published, bundle_id)
    for deployment in ctx.state.project_deployer["deployments"].values():
        settings = deployment["settings"]
        in_use = bundle_id in (settings["bundleId"], deployment["deployedBundleId"])
        if settings["publishedProjectKey"] == published_project_key and in_use:
            raise conflict(
                f"Bundle {bundle_id} is used by deployment {settings['id']} and cannot be deleted"
            )
    published["packages"] = [p for p in published["packages"] if p["id"] != bundle_id]


# ---------------------------------------------------------------- infrastructures


def list_project_infras(ctx: RequestContext) -> list[dict[str, Any]]:
    """Serve DSSProjectDeployer.list_infras."""
    return [
        views.infra_light(PROJECT_DEPLOYER, ctx.state, infra_id)
        for infra_id in ctx.state.project_deployer["infras"]
    ]


def get_project_infra(ctx: RequestContext, infra_id: str) -> dict[str, Any]:
    """Serve DSSProjectDeployerInfra.get_status."""
    lookup(ctx.state.project_deployer["infras"], infra_id, "Infrastructure")
    return views.infra_light(PROJECT_DEPLOYER, ctx.state, infra_id)


def get_project_infra_settings(ctx: RequestContext, infra_id: str) -> dict[str, Any]:
    """Serve DSSProjectDeployerInfra.get_settings (with ``governCheckPolicy``)."""
    return copy.deepcopy(lookup(ctx.state.project_deployer["infras"], infra_id, "Infrastructure"))


def save_project_infra_settings(ctx: RequestContext, infra_id: str) -> None:
    """Serve DSSProjectDeployerInfraSettings.save."""
    infras = ctx.state.project_deployer["infras"]
    lookup(infras, infra_id, "Infrastructure")
    body = ctx.json_object()
    check_infra_settings(body, infra_id)
    infras[infra_id] = body


def check_infra_settings(body: dict[str, Any], infra_id: str) -> None:
    """Validate infrastructure settings as both deployers do."""
    require_fields(body, "id", "stage")
    if body["id"] != infra_id:
        raise bad_request(f"Infrastructure id cannot change ({infra_id} -> {body['id']})")
    policy = body.get("governCheckPolicy", "NO_CHECK")
    if policy not in ("NO_CHECK", "WARN", "PREVENT"):
        raise bad_request(f"governCheckPolicy must be NO_CHECK, WARN or PREVENT, got {policy!r}")


# ---------------------------------------------------------------- deployments


def list_project_deployments(ctx: RequestContext) -> list[dict[str, Any]]:
    """Serve DSSProjectDeployer.list_deployments."""
    deployments = ctx.state.project_deployer["deployments"]
    return [views.deployment_light(PROJECT_DEPLOYER, ctx.state, d) for d in deployments.values()]


def create_project_deployment(ctx: RequestContext) -> dict[str, Any]:
    """Serve DSSProjectDeployer.create_deployment."""
    body = ctx.json_object()
    require_fields(body, "deploymentId", "publishedProjectKey", "infraId", "bundleId")
    deployment_id = require_text(body, "deploymentId")
    deployer = ctx.state.project_deployer
    if deployment_id in deployer["deployments"]:
        raise conflict(f"Deployment {deployment_id} already exists")
    published = lookup(deployer["projects"], body["publishedProjectKey"], "Published project")
    infra = lookup(deployer["infras"], body["infraId"], "Infrastructure")
    package = find_package(published, body["bundleId"])
    check_governance(infra, package, ctx.bool_param("ignoreWarnings"))
    record = {
        "settings": {
            "id": deployment_id,
            "publishedProjectKey": body["publishedProjectKey"],
            "infraId": body["infraId"],
            "bundleId": body["bundleId"],
            "deployedProjectKey": body.get("deployedProjectKey") or body["publishedProjectKey"],
            "projectFolderId": body.get("projectFolderId"),
            "enabled": True,
            "tags": [],
        },
        "deployedBundleId": None,
        "health": "UNKNOWN",
        "updates": [],
        "updateOutcome": "SUCCESS",
        "updateError": "Automation node refused the bundle",
    }
    deployer["deployments"][deployment_id] = record
    return views.deployment_light(PROJECT_DEPLOYER, ctx.state, record)


def get_project_deployment(ctx: RequestContext, deployment_id: str) -> dict[str, Any]:
    """Serve DSSProjectDeployerDeployment.get_status (light status)."""
    return views.deployment_light(
        PROJECT_DEPLOYER, ctx.state, _deployment(ctx.state, deployment_id)
    )


def get_project_deployment_status(ctx: RequestContext, deployment_id: str) -> dict[str, Any]:
    """Serve DSSProjectDeployerDeployment.get_status (heavy status with ``health``)."""
    record = _deployment(ctx.state, deployment_id)
    health = _health(record)
    messages = []
    if health == "ERROR":
        messages.append(_message("ERROR", "Last update failed", record["updateError"]))
    elif health == "OUT_OF_SYNC":
        messages.append(_message("WARNING", "Out of sync", "Settings changed since last update"))
    return {
        "health": health,
        "healthMessages": {"messages": messages, "anyMessage": bool(messages)},
        "deployedBundleId": record["deployedBundleId"],
    }


def get_project_deployment_settings(ctx: RequestContext, deployment_id: str) -> dict[str, Any]:
    """Serve DSSProjectDeployerDeployment.get_settings (``bundleId`` to deploy)."""
    return copy.deepcopy(_deployment(ctx.state, deployment_id)["settings"])


def save_project_deployment_settings(ctx: RequestContext, deployment_id: str) -> None:
    """Serve DSSProjectDeployerDeploymentSettings.save (governance-checked)."""
    record = _deployment(ctx.state, deployment_id)
    body = ctx.json_object()
    require_fields(body, "id", "publishedProjectKey", "infraId", "bundleId")
    for fixed in ("id", "publishedProjectKey", "infraId"):
        if body[fixed] != record["settings"][fixed]:
            raise bad_request(f"Deployment field '{fixed}' cannot change")
    deployer = ctx.state.project_deployer
    package = find_package(deployer["projects"][body["publishedProjectKey"]], body["bundleId"])
    infra = deployer["infras"][body["infraId"]]
    check_governance(infra, package, ctx.bool_param("ignoreWarnings"))
    record["settings"] = body


def start_project_deployment_update(ctx: RequestContext, deployment_id: str) -> dict[str, Any]:
    """Serve DSSProjectDeployerDeployment.start_update (answers a future)."""
    record = _deployment(ctx.state, deployment_id)
    settings = record["settings"]
    deployer = ctx.state.project_deployer
    package = find_package(
        deployer["projects"][settings["publishedProjectKey"]], settings["bundleId"]
    )
    error = record["updateError"] if record["updateOutcome"] == "FAILED" else None
    if error is None and settings.get("enabled", True):
        error = governance_refusal(deployer["infras"][settings["infraId"]], package)
    future = ctx.state.start_future(
        f"Update of deployment {deployment_id}",
        result=copy.deepcopy(SUCCESS_REPORT),
        error_message=error,
    )
    _apply_update(ctx, record, error)
    return future.started_state()


def _apply_update(ctx: RequestContext, record: dict[str, Any], error: str | None) -> None:
    started = ctx.state.now_ms()
    settings = record["settings"]
    if error is None:
        enabled = settings.get("enabled", True)
        record["deployedBundleId"] = settings["bundleId"] if enabled else None
        record["health"] = "HEALTHY" if enabled else "UNKNOWN"
    else:
        record["health"] = "ERROR"
    record["updates"].append(
        {
            "startTimestamp": started,
            "endTimestamp": ctx.state.now_ms(),
            "type": "UPDATE",
            "status": "FAILED" if error else "SUCCESS",
            "requester": ctx.principal.auth_identifier,
            "bundleId": settings["bundleId"],
            "logs": {"lines": [error or f"Bundle {settings['bundleId']} activated"]},
        }
    )


def list_project_deployment_updates(ctx: RequestContext, deployment_id: str) -> list[Any]:
    """Serve DSSProjectDeployerDeployment.list_updates."""
    updates = _deployment(ctx.state, deployment_id)["updates"]
    return [{k: u[k] for k in ("startTimestamp", "type", "status")} for u in updates]


def get_project_deployment_last_update(ctx: RequestContext, deployment_id: str) -> Any:
    """Serve DSSProjectDeployerDeployment.get_update() without a timestamp."""
    updates = _deployment(ctx.state, deployment_id)["updates"]
    if not updates:
        raise conflict(f"Deployment {deployment_id} has never been updated")
    return copy.deepcopy(updates[-1])


def get_project_deployment_governance(ctx: RequestContext, deployment_id: str) -> Any:
    """Serve DSSProjectDeployerDeployment.get_governance_status."""
    record = _deployment(ctx.state, deployment_id)
    settings = record["settings"]
    deployer = ctx.state.project_deployer
    bundle_id = ctx.param("bundleId") or settings["bundleId"]
    package = find_package(deployer["projects"][settings["publishedProjectKey"]], bundle_id)
    return governance_messages(deployer["infras"][settings["infraId"]], package)


def delete_project_deployment(ctx: RequestContext, deployment_id: str) -> None:
    """Serve DSSProjectDeployerDeployment.delete (must be disabled, then updated)."""
    record = _deployment(ctx.state, deployment_id)
    if record["settings"].get("enabled", True) or record["deployedBundleId"] is not None:
        raise conflict(
            f"Deployment {deployment_id} must be disabled and updated before it can be deleted"
        )
    del ctx.state.project_deployer["deployments"][deployment_id]


# ---------------------------------------------------------------- governance


def governance_refusal(infra: dict[str, Any], package: dict[str, Any]) -> str | None:
    """Return why PREVENT refuses this package, or None."""
    status = package.get("governanceStatus", "NOT_GOVERNED")
    if infra.get("governCheckPolicy") == "PREVENT" and status != "APPROVED":
        return (
            f"Govern check policy PREVENT on infrastructure {infra['id']} refuses "
            f"{package['id']}: governance status is {status}"
        )
    return None


def check_governance(infra: dict[str, Any], package: dict[str, Any], ignore_warnings: bool) -> None:
    """Raise the DSS 400 when the infra's Govern check policy refuses the package."""
    refusal = governance_refusal(infra, package)
    if refusal is not None:
        raise conflict(refusal)
    status = package.get("governanceStatus", "NOT_GOVERNED")
    if infra.get("governCheckPolicy") == "WARN" and status != "APPROVED" and not ignore_warnings:
        raise conflict(
            f"Govern check policy WARN on infrastructure {infra['id']}: {package['id']} "
            f"governance status is {status}; pass ignoreWarnings=true to deploy anyway"
        )


def governance_messages(infra: dict[str, Any], package: dict[str, Any]) -> dict[str, Any]:
    """Return the InfoMessages DSS reports for a package's governance status."""
    status = package.get("governanceStatus", "NOT_GOVERNED")
    policy = infra.get("governCheckPolicy", "NO_CHECK")
    if status == "APPROVED" or policy == "NO_CHECK":
        messages = [_message("SUCCESS", "Governance", f"{package['id']} is {status}")]
    else:
        severity = "ERROR" if policy == "PREVENT" else "WARNING"
        messages = [_message(severity, "Governance", f"{package['id']} is {status}")]
    return {"messages": messages, "anyMessage": True, "governanceStatus": status}


def _message(severity: str, title: str, text: str) -> dict[str, Any]:
    return {
        "severity": severity,
        "isFatal": False,
        "code": "ERR_DEPLOYER_GOVERNANCE" if title == "Governance" else None,
        "title": title,
        "message": text,
        "details": text,
    }


# ---------------------------------------------------------------- views


def _deployment(state: DssState, deployment_id: str) -> dict[str, Any]:
    return lookup(state.project_deployer["deployments"], deployment_id, "Deployment")


def _health(record: dict[str, Any]) -> str:
    settings = record["settings"]
    if record["health"] == "ERROR":
        return "ERROR"
    if settings.get("enabled", True) and settings["bundleId"] != record["deployedBundleId"]:
        return "OUT_OF_SYNC"
    return record["health"]
