"""Scenario step: Submit retrained version (fast track)."""

import dataiku
from dataiku.customstep import get_plugin_config, get_step_config

from model_governance.dss.steps import submit_retrained

submit_retrained(dataiku.default_project_key(), get_step_config(), get_plugin_config())
