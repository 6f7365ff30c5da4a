"""Stand-in ``dataiku.customrecipe``: recipe roles and configuration from env vars.

``DKUFLOW_SPEC`` holds the recipe's flow as DSS passes it::

    {"in":  [{"role": "scored", "fullName": "FRAUD.claims_scored",
              "smartName": "claims_scored", "type": "DATASET"}],
     "out": [{"role": "metrics", "fullName": "FRAUD.metrics", "smartName": "metrics",
              "type": "DATASET"}]}
"""

from __future__ import annotations

import os
from typing import Any

from dataiku.core import read_json_env

FLOW_SPEC_ENV = "DKUFLOW_SPEC"
RECIPE_CONFIG_ENV = "DKU_CUSTOM_RECIPE_CONFIG"
PLUGIN_CONFIG_ENV = "DKU_CUSTOM_RECIPE_PLUGIN_CONFIG"
RESOURCE_FOLDER_ENV = "DKU_CUSTOM_RESOURCE_FOLDER"


def _items(direction: str) -> list[dict[str, Any]]:
    spec = read_json_env(FLOW_SPEC_ENV)
    return list(spec.get(direction, []))


def _names(items: list[dict[str, Any]], full: bool) -> list[str]:
    return [item["fullName" if full else "smartName"] for item in items]


def get_input_names(full: bool = True) -> list[str]:
    """Return the names of every recipe input."""
    return _names(_items("in"), full)


def get_output_names(full: bool = True) -> list[str]:
    """Return the names of every recipe output."""
    return _names(_items("out"), full)


def get_input_names_for_role(role: str, full: bool = True) -> list[str]:
    """Return the names of the inputs bound to ``role``."""
    return _names([i for i in _items("in") if i["role"] == role], full)


def get_output_names_for_role(role: str, full: bool = True) -> list[str]:
    """Return the names of the outputs bound to ``role``."""
    return _names([i for i in _items("out") if i["role"] == role], full)


def get_recipe_config() -> dict[str, Any]:
    """Return the recipe parameters set by the user (``DKU_CUSTOM_RECIPE_CONFIG``)."""
    return read_json_env(RECIPE_CONFIG_ENV)


def get_plugin_config() -> dict[str, Any]:
    """Return the plugin-wide settings (``DKU_CUSTOM_RECIPE_PLUGIN_CONFIG``)."""
    return read_json_env(PLUGIN_CONFIG_ENV)


def get_recipe_resource() -> str | None:
    """Return the plugin's ``resource`` folder path (``DKU_CUSTOM_RESOURCE_FOLDER``)."""
    return os.environ.get(RESOURCE_FOLDER_ENV)
