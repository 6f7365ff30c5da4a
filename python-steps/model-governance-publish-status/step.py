"""Scenario step: Publish model status."""

import dataiku
from dataiku.customstep import get_plugin_config, get_step_config

from model_governance.dss.steps import publish_status

publish_status(dataiku.default_project_key(), get_step_config(), get_plugin_config())
