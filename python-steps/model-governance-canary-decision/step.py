"""Scenario step: Canary decision (promote the canary, or roll it back)."""

from __future__ import annotations

import dataiku
from dataiku.customstep import get_plugin_config, get_step_config

from model_governance.dss.canary import decide_canary

decide_canary(dataiku.default_project_key(), get_step_config(), get_plugin_config())
