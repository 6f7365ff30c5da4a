"""Handlers: futures, scenarios, messaging, auth info, custom audit, Govern link.

Futures follow the protocol ``DSSFuture`` polls: ``GET /futures/{jobId}?peek=false``
answers ``{"alive": ..., "hasResult": ..., "result": ...}``; a failed task answers
the DSS error JSON with status 500 (``wait_for_result`` raises DataikuException);
``DELETE /futures/{jobId}`` aborts. ``DssState.future_polls_before_done`` makes a
future answer "still running" for that many polls first.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from .auth import principal_from_browser_headers
from .errors import FORBIDDEN, FUTURE_FAILED, UNAUTHORIZED, DssApiError, bad_request, not_found
from .routing import RequestContext, require_text
from .state import lookup

MANUAL_TRIGGER = {"id": "manual", "type": "manual", "name": "Manual trigger"}


# ---------------------------------------------------------------- futures


def list_futures(ctx: RequestContext) -> list[dict[str, Any]]:
    """Serve DSSClient.list_futures (running tasks only)."""
    futures = ctx.state.futures.values()
    return [f.state(peek=True) for f in futures if f.polls_left > 0 and not f.aborted]


def get_future(ctx: RequestContext, job_id: str) -> dict[str, Any]:
    """Serve DSSFuture.get_state, peek_state and wait_for_result."""
    record = ctx.state.future(job_id)
    peek = ctx.bool_param("peek")
    if record.aborted:
        raise DssApiError(500, FUTURE_FAILED, f"Task {job_id} was aborted")
    body = record.state(peek=peek)
    if not peek and record.polls_left > 0:
        record.polls_left -= 1
        return body
    if record.error is not None and not peek:
        raise record.error
    return body


def abort_future(ctx: RequestContext, job_id: str) -> None:
    """Serve DSSFuture.abort."""
    ctx.state.future(job_id).aborted = True


# ---------------------------------------------------------------- scenarios


def list_scenarios(ctx: RequestContext, project_key: str) -> list[dict[str, Any]]:
    """Serve DSSProject.list_scenarios."""
    scenarios = ctx.state.project(project_key)["scenarios"].values()
    return [copy.deepcopy(s["item"]) for s in scenarios]


def run_scenario(ctx: RequestContext, project_key: str, scenario_id: str) -> dict[str, Any]:
    """Serve DSSScenario.run and run_and_wait (runs end with the planned outcome)."""
    scenario = ctx.state.scenario(project_key, scenario_id)
    params = ctx.json_object()
    trigger_run_id = ctx.state.next_id("trigger-run-")
    started = ctx.state.now_ms()
    run = {
        "runId": ctx.state.next_id("run-"),
        "scenario": {k: scenario["item"][k] for k in ("projectKey", "id", "name", "markedAsTest")},
        "trigger": {"trigger": dict(MANUAL_TRIGGER), "params": params, "runId": trigger_run_id},
        "runAsUser": {"login": ctx.principal.auth_identifier},
        "start": started,
        "end": ctx.state.now_ms(),
        "result": {"outcome": scenario["nextOutcome"], "type": "SCENARIO_DONE"},
    }
    scenario["runs"].append(run)
    fire = {
        "projectKey": project_key,
        "scenarioId": scenario_id,
        "trigger": dict(MANUAL_TRIGGER),
        "runId": trigger_run_id,
        "params": params,
        "cancelled": False,
    }
    scenario["triggerFires"][trigger_run_id] = {"fire": fire, "scenarioRunId": run["runId"]}
    return copy.deepcopy(fire)


def get_run_for_trigger(ctx: RequestContext, project_key: str, scenario_id: str) -> dict[str, Any]:
    """Serve DSSTriggerFire.get_scenario_run (and wait_for_scenario_run)."""
    scenario = ctx.state.scenario(project_key, scenario_id)
    fire = _trigger_fire(scenario, ctx.param("triggerRunId"))
    run = _run(scenario, fire["scenarioRunId"])
    return {"scenarioRun": copy.deepcopy(run)}


def get_trigger_fire(
    ctx: RequestContext, project_key: str, scenario_id: str, trigger_id: str
) -> dict[str, Any]:
    """Serve DSSTriggerFire.is_cancelled(refresh=True)."""
    scenario = ctx.state.scenario(project_key, scenario_id)
    fire = _trigger_fire(scenario, ctx.param("triggerRunId"))
    if fire["fire"]["trigger"]["id"] != trigger_id:
        raise bad_request(f"Trigger {trigger_id} did not fire run {fire['fire']['runId']}")
    return copy.deepcopy(fire["fire"])


def get_last_runs(ctx: RequestContext, project_key: str, scenario_id: str) -> list[Any]:
    """Serve DSSScenario.get_last_runs (and get_last_finished/successful_run)."""
    scenario = ctx.state.scenario(project_key, scenario_id)
    limit = ctx.int_param("limit", default=10)
    runs = list(reversed(scenario["runs"]))
    if ctx.bool_param("onlyFinishedRuns"):
        runs = [r for r in runs if "result" in r]
    return copy.deepcopy(runs[:limit])


def get_scenario_run(
    ctx: RequestContext, project_key: str, scenario_id: str, run_id: str
) -> dict[str, Any]:
    """Serve DSSScenario.get_run, DSSScenarioRun.refresh and get_details."""
    run = _run(ctx.state.scenario(project_key, scenario_id), run_id)
    step = {
        "step": {"id": "step_1", "name": "Step 1", "type": "custom_python"},
        "result": {"outcome": run["result"]["outcome"], "type": "STEP_DONE"},
    }
    return {"scenarioRun": copy.deepcopy(run), "stepRuns": [step]}


def get_scenario_status(ctx: RequestContext, project_key: str, scenario_id: str) -> dict[str, Any]:
    """Serve DSSScenario.get_status."""
    item = ctx.state.scenario(project_key, scenario_id)["item"]
    return {"id": item["id"], "active": item["active"], "running": False, "nextRun": 0}


def _trigger_fire(scenario: dict[str, Any], trigger_run_id: str | None) -> dict[str, Any]:
    if trigger_run_id is None:
        raise bad_request("Query parameter triggerRunId is required")
    return lookup(scenario["triggerFires"], trigger_run_id, "Trigger run")


def _run(scenario: dict[str, Any], run_id: str) -> dict[str, Any]:
    for run in scenario["runs"]:
        if run["runId"] == run_id:
            return run
    raise not_found("Scenario run", run_id)


# ---------------------------------------------------------------- messaging


def list_messaging_channels(ctx: RequestContext) -> list[dict[str, Any]]:
    """Serve DSSClient.list_messaging_channels (channelType / channelFamily filters)."""
    channel_type = ctx.param("channelType")
    family = ctx.param("channelFamily")
    return [
        copy.deepcopy(c)
        for c in ctx.state.channels.values()
        if (channel_type is None or c["type"] == channel_type)
        and (family is None or c.get("family") == family)
    ]


def get_messaging_channel(ctx: RequestContext, channel_id: str) -> dict[str, Any]:
    """Serve DSSClient.get_messaging_channel."""
    return copy.deepcopy(lookup(ctx.state.channels, channel_id, "Messaging channel"))


def send_mail(ctx: RequestContext, channel_id: str) -> None:
    """Serve DSSMailMessagingChannel.send (multipart ``message`` + ``attachments``)."""
    channel = lookup(ctx.state.channels, channel_id, "Messaging channel")
    if channel.get("family") != "mail":
        raise bad_request(f"Messaging channel {channel_id} is not a mail channel")
    project_key = ctx.param("projectKey")
    if project_key is None:
        raise bad_request("Query parameter projectKey is required")
    ctx.state.project(project_key)
    payload = _mail_payload(ctx)
    attachments = [
        {"filename": f.filename, "contentType": f.mimetype, "content": f.read()}
        for f in ctx.request.files.getlist("attachments")
    ]
    ctx.state.sent_mail.append(
        {
            "channelId": channel_id,
            "projectKey": project_key,
            "sentBy": ctx.principal.auth_identifier,
            "from": payload.get("from") or channel.get("sender"),
            "to": payload["to"],
            "cc": payload.get("cc") or [],
            "bcc": payload.get("bcc") or [],
            "subject": payload["subject"],
            "body": payload["body"],
            "plainText": bool(payload.get("plainText")),
            "sendAsSingleMessage": ctx.bool_param("sendAsSingleMessage"),
            "attachments": attachments,
        }
    )


def _mail_payload(ctx: RequestContext) -> dict[str, Any]:
    part = ctx.request.files.get("message")
    if part is None:
        raise bad_request("Multipart part 'message' (the mail payload JSON) is required")
    try:
        payload = json.loads(part.read().decode("utf-8"))
    except ValueError as exc:
        raise bad_request(f"Mail payload is not valid JSON: {exc}") from exc
    recipients = payload.get("to")
    if not isinstance(recipients, list) or not recipients:
        raise bad_request(f"Mail needs a non-empty 'to' list, got {recipients!r}")
    for address in recipients:
        if not isinstance(address, str) or "@" not in address:
            raise bad_request(f"Invalid recipient address: {address!r}")
    require_text(payload, "subject")
    if not isinstance(payload.get("body"), str):
        raise bad_request("Mail needs a string 'body'")
    return payload


# ------------------------------------------------------- auth, audit, Govern link


def get_auth_info(ctx: RequestContext) -> dict[str, Any]:
    """Serve DSSClient.get_auth_info (and GovernClient.get_auth_info)."""
    return _auth_info(ctx, ctx.principal.auth_identifier, list(ctx.principal.groups))


def get_auth_info_from_browser_headers(ctx: RequestContext) -> dict[str, Any]:
    """Serve DSSClient.get_auth_info_from_browser_headers (refuses unknown sessions)."""
    headers = ctx.json_object()
    user = principal_from_browser_headers(ctx.state, headers)
    if user is None:
        raise DssApiError(401, UNAUTHORIZED, "No valid DSS session in the given browser headers")
    return _auth_info(ctx, user.auth_identifier, list(user.groups))


def _auth_info(ctx: RequestContext, identifier: str, groups: list[str]) -> dict[str, Any]:
    user = ctx.state.credentials.users.get(identifier, {})
    info: dict[str, Any] = {"authIdentifier": identifier, "groups": groups}
    if user:
        info["associatedDSSUser"] = identifier
        info["userProfile"] = user.get("userProfile", "DATA_SCIENTIST")
        info["displayName"] = user.get("displayName", identifier)
        info["email"] = user.get("email")
    return info


def log_custom_audit(ctx: RequestContext, custom_type: str) -> None:
    """Serve DSSClient.log_custom_audit (and GovernClient.log_custom_audit)."""
    params = ctx.json_object()
    ctx.state.audit_log.append(
        {
            "customMsgType": custom_type,
            "customMsgParams": params,
            "authIdentifier": ctx.principal.auth_identifier,
            "timestamp": ctx.state.now_ms(),
        }
    )


def get_govern_node_ref(ctx: RequestContext) -> dict[str, Any]:
    """Serve DSSClient.get_govern_client (admin only, as DSS requires)."""
    if not ctx.principal.is_admin:
        raise DssApiError(403, FORBIDDEN, "Action forbidden: you need admin rights")
    keys = list(ctx.state.credentials.govern_keys)
    if not keys:
        return {"enabled": False}
    return {
        "enabled": True,
        "nodeUrl": ctx.state.base_url + "/govern",
        "apiKey": keys[0],
        "trustAllSSLCertificates": False,
    }
