"""Scenario step: API service SLA check."""

import dataiku
from dataiku.customstep import get_plugin_config, get_step_config

from model_governance.dss.steps import sla_check

sla_check(dataiku.default_project_key(), get_step_config(), get_plugin_config())
