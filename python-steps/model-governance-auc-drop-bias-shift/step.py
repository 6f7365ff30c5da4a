"""Scenario step: AUC drop and bias shift."""

import dataiku
from dataiku.customstep import get_plugin_config, get_step_config

from model_governance.dss.steps import auc_drop_bias_shift

auc_drop_bias_shift(dataiku.default_project_key(), get_step_config(), get_plugin_config())
