"""Stand-in ``dataiku.customstep``: scenario-step configuration from the environment."""

from __future__ import annotations

import os
from typing import Any

from dataiku.core import read_json_env

STEP_CONFIG_ENV = "DKU_PLUGIN_STEP_CONFIG"
PLUGIN_CONFIG_ENV = "DKU_PLUGIN_CONFIG"
RESOURCE_FOLDER_ENV = "DKU_CUSTOM_RESOURCE_FOLDER"


def get_step_config() -> dict[str, Any]:
    """Return the step parameters set by the user (``DKU_PLUGIN_STEP_CONFIG``)."""
    return read_json_env(STEP_CONFIG_ENV)


def get_plugin_config() -> dict[str, Any]:
    """Return the plugin-wide settings (``DKU_PLUGIN_CONFIG``)."""
    return read_json_env(PLUGIN_CONFIG_ENV)


def get_step_resource() -> str | None:
    """Return the plugin's ``resource`` folder path (``DKU_CUSTOM_RESOURCE_FOLDER``)."""
    return os.environ.get(RESOURCE_FOLDER_ENV)
