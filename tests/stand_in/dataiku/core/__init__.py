"""Core of the stand-in ``dataiku`` package: environment lookups shared by all."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

PROJECT_KEY_ENV = "DKU_CURRENT_PROJECT_KEY"
DATA_DIR_ENV = "DKU_STAND_IN_DATA_DIR"


def default_project_key() -> str:
    """Return the current project key (DSS passes ``DKU_CURRENT_PROJECT_KEY``)."""
    value = os.environ.get(PROJECT_KEY_ENV)
    if not value:
        raise RuntimeError(
            f"No current project: {PROJECT_KEY_ENV} is not set. DSS sets it for recipes, "
            "macros, scenario steps and webapps; set it in the test environment."
        )
    return value


def read_json_env(name: str) -> Any:
    """Return the JSON value of an environment variable DSS sets for plugin code."""
    raw = os.environ.get(name)
    if raw is None:
        raise RuntimeError(f"Environment variable {name} is not set (DSS sets it to a JSON value)")
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise RuntimeError(f"Environment variable {name} is not valid JSON: {exc}") from exc


def data_dir() -> Path:
    """Return the local folder holding the stand-in's datasets and managed folders."""
    value = os.environ.get(DATA_DIR_ENV)
    if not value:
        raise RuntimeError(
            f"{DATA_DIR_ENV} is not set: the stand-in dataiku package reads datasets from "
            "<dir>/<name>.csv or .parquet and folders from <dir>/folders/<id>/"
        )
    return Path(value)


def split_name(name: str, project_key: str | None) -> tuple[str, str]:
    """Split ``PROJECT.name`` (or a bare name: current project) into (project, name)."""
    if "." in name:
        project, short = name.split(".", 1)
        return project, short
    return project_key or default_project_key(), name
