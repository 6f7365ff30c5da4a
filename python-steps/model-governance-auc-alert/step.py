"""Scenario step: AUC alert."""

import dataiku
from dataiku.customstep import get_plugin_config, get_step_config

from model_governance.dss.steps import auc_alert

auc_alert(dataiku.default_project_key(), get_step_config(), get_plugin_config())
