"""Scenario step: Drift alert and retraining."""

import dataiku
from dataiku.customstep import get_plugin_config, get_step_config

from model_governance.dss.steps import drift_retraining

drift_retraining(dataiku.default_project_key(), get_step_config(), get_plugin_config())
