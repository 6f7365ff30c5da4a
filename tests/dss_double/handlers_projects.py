"""Handlers: projects, project variables, meanings, datasets."""

from __future__ import annotations

import copy
from typing import Any

from .errors import bad_request
from .routing import RequestContext
from .state import lookup


def list_projects(ctx: RequestContext) -> list[dict[str, Any]]:
    """Serve DSSClient.list_projects and DSSClient.list_project_keys."""
    return [copy.deepcopy(p["summary"]) for p in ctx.state.projects.values()]


def get_project_summary(ctx: RequestContext, project_key: str) -> dict[str, Any]:
    """Serve DSSProject.get_summary."""
    return copy.deepcopy(ctx.state.project(project_key)["summary"])


def get_project_metadata(ctx: RequestContext, project_key: str) -> dict[str, Any]:
    """Serve DSSProject.get_metadata."""
    return copy.deepcopy(ctx.state.project(project_key)["metadata"])


def set_project_metadata(ctx: RequestContext, project_key: str) -> None:
    """Serve DSSProject.set_metadata."""
    project = ctx.state.project(project_key)
    body = ctx.json_object()
    if not isinstance(body.get("tags", []), list):
        raise bad_request("Field 'tags' must be a list of strings")
    project["metadata"] = body
    project["summary"]["tags"] = list(body.get("tags", []))


def get_project_variables(ctx: RequestContext, project_key: str) -> dict[str, Any]:
    """Serve DSSProject.get_variables (and update_variables)."""
    return copy.deepcopy(ctx.state.project(project_key)["variables"])


def set_project_variables(ctx: RequestContext, project_key: str) -> None:
    """Serve DSSProject.set_variables (and update_variables)."""
    project = ctx.state.project(project_key)
    body = ctx.json_object()
    for kind in ("standard", "local"):
        if not isinstance(body.get(kind), dict):
            raise bad_request(f"Project variables need a '{kind}' object, got {body.get(kind)!r}")
    project["variables"] = {"standard": body["standard"], "local": body["local"]}


def list_meanings(ctx: RequestContext) -> list[dict[str, Any]]:
    """Serve DSSClient.list_meanings (user-defined meanings only)."""
    return copy.deepcopy(ctx.state.meanings)


def list_datasets(ctx: RequestContext, project_key: str) -> list[dict[str, Any]]:
    """Serve DSSProject.list_datasets (a dataset matches when it has any listed tag)."""
    datasets = ctx.state.project(project_key)["datasets"].values()
    wanted = set(ctx.request.args.getlist("tags"))
    return [
        copy.deepcopy(d) for d in datasets if not wanted or wanted.intersection(d.get("tags", []))
    ]


def get_dataset_settings(
    ctx: RequestContext, project_key: str, dataset_name: str
) -> dict[str, Any]:
    """Serve DSSDataset.get_settings (and the deprecated get_definition)."""
    return copy.deepcopy(_dataset(ctx, project_key, dataset_name))


def get_dataset_schema(ctx: RequestContext, project_key: str, dataset_name: str) -> dict[str, Any]:
    """Serve DSSDataset.get_schema: columns with name, type, meaning, comment."""
    return copy.deepcopy(_dataset(ctx, project_key, dataset_name)["schema"])


def set_dataset_schema(ctx: RequestContext, project_key: str, dataset_name: str) -> dict[str, Any]:
    """Serve DSSDataset.set_schema (every column needs a name and a type)."""
    dataset = _dataset(ctx, project_key, dataset_name)
    body = ctx.json_object()
    columns = body.get("columns")
    if not isinstance(columns, list):
        raise bad_request("Schema needs a 'columns' list")
    for index, column in enumerate(columns):
        if not isinstance(column, dict) or not column.get("name") or not column.get("type"):
            raise bad_request(f"Schema column {index} needs a name and a type, got {column!r}")
    dataset["schema"] = {"columns": columns, "userModified": True}
    return {"msg": "Schema saved"}


def get_dataset_metadata(
    ctx: RequestContext, project_key: str, dataset_name: str
) -> dict[str, Any]:
    """Serve DSSDataset.get_metadata (and DSSDataset.exists)."""
    dataset = _dataset(ctx, project_key, dataset_name)
    return {
        "label": dataset["name"],
        "description": dataset.get("description", ""),
        "shortDesc": dataset.get("shortDesc", ""),
        "tags": list(dataset.get("tags", [])),
        "custom": {"kv": copy.deepcopy(dataset.get("customFields", {}))},
        "checklists": copy.deepcopy(dataset.get("checklists", {"checklists": []})),
    }


def _dataset(ctx: RequestContext, project_key: str, dataset_name: str) -> dict[str, Any]:
    datasets = ctx.state.project(project_key)["datasets"]
    return lookup(datasets, dataset_name, "Dataset", f"{project_key}.{dataset_name}")
