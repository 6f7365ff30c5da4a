"""Handlers: saved models and their versions, model evaluation stores."""

from __future__ import annotations

import copy
import numbers
from typing import Any

from . import fixtures
from .errors import DssApiError, bad_request, conflict, not_found
from .routing import RequestContext, Text, require_fields
from .state import DssState, lookup


def list_saved_models(ctx: RequestContext, project_key: str) -> list[dict[str, Any]]:
    """Serve DSSProject.list_saved_models."""
    models = ctx.state.project(project_key)["savedModels"].values()
    return [copy.deepcopy(m["settings"]) for m in models]


def get_saved_model_settings(ctx: RequestContext, project_key: str, sm_id: str) -> dict[str, Any]:
    """Serve DSSSavedModel.get_settings."""
    return copy.deepcopy(ctx.state.saved_model(project_key, sm_id)["settings"])


def save_saved_model_settings(ctx: RequestContext, project_key: str, sm_id: str) -> None:
    """Serve DSSSavedModelSettings.save (id and active version stay as they are)."""
    model = ctx.state.saved_model(project_key, sm_id)
    body = ctx.json_object()
    require_fields(body, "id", "miniTask")
    if body["id"] != sm_id:
        raise bad_request(f"Saved model id cannot change ({sm_id} -> {body['id']})")
    body["activeVersion"] = model["settings"]["activeVersion"]
    model["settings"] = body


def list_saved_model_versions(ctx: RequestContext, project_key: str, sm_id: str) -> list[Any]:
    """Serve DSSSavedModel.list_versions and get_active_version."""
    model = ctx.state.saved_model(project_key, sm_id)
    active = model["settings"]["activeVersion"]
    return [
        {"id": vid, "active": vid == active, "snippet": copy.deepcopy(v["snippet"])}
        for vid, v in model["versions"].items()
    ]


def get_version_details(
    ctx: RequestContext, project_key: str, sm_id: str, version_id: str
) -> dict[str, Any]:
    """Serve DSSSavedModel.get_version_details (first call: the details)."""
    return copy.deepcopy(ctx.state.saved_model_version(project_key, sm_id, version_id)["details"])


def get_version_snippet(
    ctx: RequestContext, project_key: str, sm_id: str, version_id: str
) -> dict[str, Any]:
    """Serve DSSSavedModel.get_version_details (second call: the snippet)."""
    return copy.deepcopy(ctx.state.saved_model_version(project_key, sm_id, version_id)["snippet"])


def save_version_user_meta(
    ctx: RequestContext, project_key: str, sm_id: str, version_id: str
) -> None:
    """Serve DSSTrainedModelDetails.save_user_meta (name, description, labels)."""
    version = ctx.state.saved_model_version(project_key, sm_id, version_id)
    body = ctx.json_object()
    _check_labels(body.get("labels", []))
    version["details"]["userMeta"] = body
    version["snippet"]["userMeta"] = copy.deepcopy(body)


def set_active_version(ctx: RequestContext, project_key: str, sm_id: str, version_id: str) -> None:
    """Serve DSSSavedModel.set_active_version."""
    ctx.state.saved_model_version(project_key, sm_id, version_id)
    ctx.state.saved_model(project_key, sm_id)["settings"]["activeVersion"] = version_id


def list_evaluation_stores(ctx: RequestContext, project_key: str) -> list[dict[str, Any]]:
    """Serve DSSProject.list_model_evaluation_stores (and list_evaluation_stores)."""
    flavor = ctx.param("flavor")
    stores = ctx.state.project(project_key)["evaluationStores"].values()
    return [
        copy.deepcopy(s["settings"])
        for s in stores
        if flavor is None or s["settings"]["mesFlavor"] == flavor
    ]


def get_evaluation_store_settings(ctx: RequestContext, project_key: str, mes_id: str) -> Any:
    """Serve DSSModelEvaluationStore.get_settings."""
    return copy.deepcopy(ctx.state.evaluation_store(project_key, mes_id)["settings"])


def list_evaluations(ctx: RequestContext, project_key: str, mes_id: str) -> list[dict[str, Any]]:
    """Serve DSSModelEvaluationStore.list_model_evaluations (oldest first)."""
    store = ctx.state.evaluation_store(project_key, mes_id)
    items = [copy.deepcopy(e["evaluation"]) for e in store["evaluations"].values()]
    return sorted(items, key=lambda item: item["created"])


def add_custom_evaluation(ctx: RequestContext, project_key: str, mes_id: str) -> dict[str, Any]:
    """Serve DSSModelEvaluationStore.add_custom_model_evaluation."""
    store = ctx.state.evaluation_store(project_key, mes_id)
    body = ctx.json_object()
    metrics = _check_metrics(body.get("metrics"))
    labels = body.get("labels") or []
    _check_labels(labels)
    evaluation_id = body.get("evaluationId") or ctx.state.next_id("eval-")
    if evaluation_id in store["evaluations"]:
        raise conflict(f"Model evaluation {evaluation_id} already exists in store {mes_id}")
    model_id = body.get("fullModelId")
    if model_id is not None:
        _check_full_model_id(ctx.state, model_id)
    record = fixtures.build_evaluation(
        project_key,
        mes_id,
        {
            "evaluationId": evaluation_id,
            "name": body.get("name"),
            "created": ctx.state.now_ms(),
            "fullModelId": model_id,
            "metrics": metrics,
            "labels": labels,
        },
    )
    store["evaluations"][evaluation_id] = record
    return {"ref": copy.deepcopy(record["evaluation"]["ref"])}


def get_evaluation(
    ctx: RequestContext, project_key: str, mes_id: str, evaluation_id: str
) -> dict[str, Any]:
    """Serve DSSModelEvaluation.get_full_info."""
    return copy.deepcopy(_evaluation(ctx, project_key, mes_id, evaluation_id))


def get_latest_evaluation_id(ctx: RequestContext, project_key: str, mes_id: str) -> Text:
    """Serve DSSModelEvaluationStore.get_latest_model_evaluation (empty if none)."""
    store = ctx.state.evaluation_store(project_key, mes_id)
    evaluations = sorted(store["evaluations"].values(), key=lambda e: e["evaluation"]["created"])
    return Text(evaluations[-1]["evaluation"]["ref"]["evaluationId"] if evaluations else "")


def save_evaluation_user_meta(
    ctx: RequestContext, project_key: str, mes_id: str, evaluation_id: str
) -> Text:
    """Serve DSSModelEvaluationFullInfo.save_user_meta (name and labels)."""
    evaluation = _evaluation(ctx, project_key, mes_id, evaluation_id)
    body = ctx.json_object()
    _check_labels(body.get("labels", []))
    evaluation["evaluation"]["userMeta"] = body
    return Text("")


def _evaluation(ctx: RequestContext, project_key: str, mes_id: str, evaluation_id: str) -> Any:
    store = ctx.state.evaluation_store(project_key, mes_id)
    label = f"{project_key}.{mes_id}/{evaluation_id}"
    return lookup(store["evaluations"], evaluation_id, "Model evaluation", label)


def _check_metrics(metrics: Any) -> list[dict[str, Any]]:
    if not isinstance(metrics, list) or not metrics:
        raise bad_request("Field 'metrics' must be a non-empty list of metric definitions")
    for metric in metrics:
        if not isinstance(metric, dict) or not isinstance(metric.get("metricCode"), str):
            raise bad_request(f"Each metric needs a string 'metricCode', got {metric!r}")
        value = metric.get("value")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise bad_request(
                f"Metric {metric['metricCode']} needs a numeric 'value', got {value!r}"
            )
    return metrics


def _check_labels(labels: Any) -> None:
    if not isinstance(labels, list):
        raise bad_request(f"Field 'labels' must be a list of {{key, value}}, got {labels!r}")
    for label in labels:
        if not isinstance(label, dict) or not isinstance(label.get("key"), str):
            raise bad_request(f"Each label needs a string 'key' and a 'value', got {label!r}")


def _check_full_model_id(state: DssState, model_id: str) -> None:
    parts = model_id.split("-")
    if len(parts) != 4 or parts[0] != "S":
        raise bad_request(f"Invalid saved model version full id: {model_id}")
    try:
        state.saved_model_version(parts[1], parts[2], parts[3])
    except DssApiError as exc:
        raise not_found("Saved model version", model_id) from exc
