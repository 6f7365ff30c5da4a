"""Handlers of the Govern node: artifacts, artifact search and workflow-step sign-offs.

A sign-off (``GET /artifact/{id}/workflow/step/{stepId}/signoff``) carries its
``status`` (NOT_STARTED, WAITING_FOR_FEEDBACK, WAITING_FOR_APPROVAL, APPROVED,
REJECTED, ABANDONED), ``feedbackResponses`` (one per reviewer, with ``groupId``,
``user``, ``status`` APPROVED/MINOR_ISSUE/MAJOR_ISSUE, ``comment``) and the final
``approverResponse`` (``user``, ``status`` APPROVED/REJECTED/ABANDONED, ``comment``).
"""

from __future__ import annotations

import copy
from typing import Any, Callable

from .errors import FORBIDDEN, DssApiError, bad_request, conflict, not_found
from .routing import RequestContext, require_text
from .state import DssState, lookup

FEEDBACK_STATUSES = ("APPROVED", "MINOR_ISSUE", "MAJOR_ISSUE")
APPROVAL_STATUSES = ("APPROVED", "REJECTED", "ABANDONED")
CLOSED_STATUSES = ("APPROVED", "REJECTED", "ABANDONED")


def get_artifact(ctx: RequestContext, artifact_id: str) -> dict[str, Any]:
    """Serve GovernArtifact.get_definition."""
    return {"artifact": copy.deepcopy(_artifact(ctx.state, artifact_id))}


def save_artifact(ctx: RequestContext, artifact_id: str) -> dict[str, Any]:
    """Serve GovernArtifactDefinition.save."""
    _artifact(ctx.state, artifact_id)
    body = _checked_artifact(ctx.json_object())
    if body.get("id") != artifact_id:
        raise bad_request(f"Artifact id cannot change ({artifact_id} -> {body.get('id')!r})")
    ctx.state.govern["artifacts"][artifact_id] = body
    return {"artifact": copy.deepcopy(body)}


def create_artifact(ctx: RequestContext) -> dict[str, Any]:
    """Serve GovernClient.create_artifact."""
    body = _checked_artifact(ctx.json_object())
    artifact_id = body.get("id") or ctx.state.next_id("ar.")
    if artifact_id in ctx.state.govern["artifacts"]:
        raise conflict(f"Artifact {artifact_id} already exists")
    body["id"] = artifact_id
    body.setdefault("fields", {})
    body.setdefault("status", {"archived": False})
    ctx.state.govern["artifacts"][artifact_id] = body
    return {"artifactId": artifact_id, "artifact": copy.deepcopy(body)}


def search_artifacts(ctx: RequestContext) -> dict[str, Any]:
    """Serve GovernArtifactSearchRequest.fetch_next_batch (filters, sort, pages)."""
    body = ctx.json_object()
    source = body.get("artifactSearchSource", {})
    if source.get("type") != "all":
        raise bad_request(f"Unsupported artifactSearchSource {source!r}")
    hits = list(ctx.state.govern["artifacts"].values())
    for artifact_filter in body.get("artifactFilters", []):
        predicate = _filter_predicate(artifact_filter)
        hits = [a for a in hits if predicate(a)]
    hits = _sorted(hits, body.get("artifactSearchSort"))
    pagination = body.get("artifactSearchPagination") or {}
    last_id = pagination.get("lastArtifactId")
    ids = [a["id"] for a in hits]
    start = ids.index(last_id) + 1 if last_id in ids else 0
    page = hits[start : start + int(pagination.get("pageSize") or 20)]
    return {
        "uiArtifacts": [{"artifact": copy.deepcopy(a)} for a in page],
        "hasNextPage": start + len(page) < len(hits),
    }


def list_signoffs(ctx: RequestContext, artifact_id: str) -> list[dict[str, Any]]:
    """Serve GovernArtifact.list_signoffs."""
    _artifact(ctx.state, artifact_id)
    return [
        copy.deepcopy(s)
        for (aid, _step), s in ctx.state.govern["signoffs"].items()
        if aid == artifact_id
    ]


def get_signoff(ctx: RequestContext, artifact_id: str, step_id: str) -> dict[str, Any]:
    """Serve GovernArtifactSignoff.get_definition, list_feedbacks, get_approval()."""
    return copy.deepcopy(_signoff(ctx.state, artifact_id, step_id))


def get_signoff_details(ctx: RequestContext, artifact_id: str, step_id: str) -> dict[str, Any]:
    """Serve GovernArtifactSignoff.get_details (users per feedback group, approvers)."""
    configuration = _signoff(ctx.state, artifact_id, step_id)["configuration"]
    return {
        "feedbackGroups": copy.deepcopy(configuration["feedbackGroups"]),
        "approvers": copy.deepcopy(configuration["approvers"]),
    }


def add_signoff_feedback(ctx: RequestContext, artifact_id: str, step_id: str) -> dict[str, Any]:
    """Serve GovernArtifactSignoff.add_feedback."""
    signoff = _open_signoff(ctx.state, artifact_id, step_id)
    group_id = ctx.param("groupId")
    groups = {g["groupId"]: g for g in signoff["configuration"]["feedbackGroups"]}
    group = lookup(groups, group_id or "", "Feedback group")
    body = ctx.json_object()
    status = require_text(body, "status")
    if status not in FEEDBACK_STATUSES:
        raise bad_request(f"Feedback status must be one of {FEEDBACK_STATUSES}, got {status!r}")
    login = _caller(ctx, group["users"])
    feedback = {
        "id": ctx.state.next_id("fb."),
        "groupId": group_id,
        "user": login,
        "status": status,
        "comment": body.get("comment"),
        "createdOn": ctx.state.now_ms(),
    }
    signoff["feedbackResponses"].append(feedback)
    answered = {f["groupId"] for f in signoff["feedbackResponses"]}
    if answered >= set(groups):
        signoff["status"] = "WAITING_FOR_APPROVAL"
    return copy.deepcopy(feedback)


def add_signoff_approval(ctx: RequestContext, artifact_id: str, step_id: str) -> dict[str, Any]:
    """Serve GovernArtifactSignoff.add_approval (sets the sign-off's final status)."""
    signoff = _open_signoff(ctx.state, artifact_id, step_id)
    body = ctx.json_object()
    status = require_text(body, "status")
    if status not in APPROVAL_STATUSES:
        raise bad_request(f"Approval status must be one of {APPROVAL_STATUSES}, got {status!r}")
    login = _caller(ctx, signoff["configuration"]["approvers"])
    signoff["approverResponse"] = {
        "user": login,
        "status": status,
        "comment": body.get("comment"),
        "createdOn": ctx.state.now_ms(),
    }
    signoff["status"] = status
    return {"approverResponse": copy.deepcopy(signoff["approverResponse"])}


def _artifact(state: DssState, artifact_id: str) -> dict[str, Any]:
    return lookup(state.govern["artifacts"], artifact_id, "Artifact")


def _signoff(state: DssState, artifact_id: str, step_id: str) -> dict[str, Any]:
    _artifact(state, artifact_id)
    key = (artifact_id, step_id)
    if key not in state.govern["signoffs"]:
        raise not_found("Sign-off", f"{artifact_id} step {step_id}")
    return state.govern["signoffs"][key]


def _open_signoff(state: DssState, artifact_id: str, step_id: str) -> dict[str, Any]:
    signoff = _signoff(state, artifact_id, step_id)
    if signoff["status"] in CLOSED_STATUSES:
        raise conflict(f"Sign-off of {artifact_id} step {step_id} is already {signoff['status']}")
    return signoff


def _caller(ctx: RequestContext, allowed: list[str]) -> str:
    login = ctx.principal.login or ctx.principal.auth_identifier
    if login not in allowed and not ctx.principal.is_admin:
        raise DssApiError(403, FORBIDDEN, f"User {login} may not answer this sign-off")
    return login


def _checked_artifact(body: dict[str, Any]) -> dict[str, Any]:
    require_text(body, "name")
    version = body.get("blueprintVersionId")
    if (
        not isinstance(version, dict)
        or not version.get("blueprintId")
        or not version.get("versionId")
    ):
        raise bad_request("Artifact needs blueprintVersionId {blueprintId, versionId}")
    if not isinstance(body.get("fields", {}), dict):
        raise bad_request("Artifact 'fields' must be an object")
    return body


def _filter_predicate(artifact_filter: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    kind = artifact_filter.get("type")
    if kind == "blueprints":
        ids = set(artifact_filter.get("blueprintIds", []))
        return lambda a: a["blueprintVersionId"]["blueprintId"] in ids
    if kind == "blueprintVersions":
        versions = artifact_filter.get("blueprintVersionIds", [])
        return lambda a: a["blueprintVersionId"] in versions
    if kind == "artifacts":
        artifact_ids = set(artifact_filter.get("artifactIds", []))
        return lambda a: a["id"] in artifact_ids
    if kind == "archived":
        archived = bool(artifact_filter.get("isArchived"))
        return lambda a: bool(a.get("status", {}).get("archived", False)) == archived
    if kind == "field":
        return _field_predicate(artifact_filter)
    raise bad_request(f"Unsupported artifact filter type {kind!r}")


def _field_predicate(artifact_filter: dict[str, Any]) -> Callable[[dict[str, Any]], bool]:
    field_id = artifact_filter.get("fieldId")
    condition = artifact_filter.get("condition")
    negate = bool(artifact_filter.get("negateCondition", False))
    case_sensitive = bool(artifact_filter.get("caseSensitive", False))
    tests: dict[str, Callable[[Any], bool]] = {
        "EQUALS": lambda v: _norm(v, case_sensitive) == _norm(condition, case_sensitive),
        "CONTAINS": lambda v: _contains(v, condition, case_sensitive),
        "NOT_EMPTY": lambda v: v not in (None, "", [], {}),
        "EMPTY": lambda v: v in (None, "", [], {}),
    }
    condition_type = artifact_filter.get("conditionType")
    if condition_type not in tests or not field_id:
        raise bad_request(f"Unsupported field filter {artifact_filter!r}")
    test = tests[condition_type]
    return lambda a: test(a.get("fields", {}).get(field_id)) != negate


def _norm(value: Any, case_sensitive: bool) -> Any:
    return value if case_sensitive or not isinstance(value, str) else value.lower()


def _contains(value: Any, condition: Any, case_sensitive: bool) -> bool:
    if isinstance(value, list):
        return _norm(condition, case_sensitive) in [_norm(v, case_sensitive) for v in value]
    if isinstance(value, str) and isinstance(condition, str):
        return _norm(condition, case_sensitive) in _norm(value, case_sensitive)
    return False


def _sorted(hits: list[dict[str, Any]], sort: dict[str, Any] | None) -> list[dict[str, Any]]:
    if sort is None:
        return sorted(hits, key=lambda a: a["id"])
    reverse = sort.get("direction", "ASC") == "DESC"
    column = sort.get("column", {})
    if column.get("type") == "name":
        return sorted(hits, key=lambda a: a.get("name", ""), reverse=reverse)
    if column.get("type") == "field" and column.get("fields"):
        field_id = column["fields"][0]["fieldId"]
        return sorted(
            hits, key=lambda a: str(a.get("fields", {}).get(field_id, "")), reverse=reverse
        )
    raise bad_request(f"Artifact sort {column!r} is not supported by the DSS double")
