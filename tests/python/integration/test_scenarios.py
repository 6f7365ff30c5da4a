"""Live DSS: the plugin's scenario steps, recipe and macros in a test project.

Skipped unless ``dataiku-plugin-tests-utils`` is installed and
``PLUGIN_INTEGRATION_TEST_INSTANCE`` names the instances file (see README.md here).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

if not os.environ.get("PLUGIN_INTEGRATION_TEST_INSTANCE"):
    pytest.skip(
        "no live DSS: set PLUGIN_INTEGRATION_TEST_INSTANCE to the instances file",
        allow_module_level=True,
    )
dss_scenario = pytest.importorskip("dku_plugin_test_utils.dss_scenario")

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("plugin", "dss_target")]

PROJECT_KEY = "MODELGOVERNANCETESTS"


def _run(user_dss_clients: Any, scenario_id: str) -> None:
    dss_scenario.run(user_dss_clients, project_key=PROJECT_KEY, scenario_id=scenario_id)


def test_gate_check_passes_for_an_approved_version(user_dss_clients: Any) -> None:
    _run(user_dss_clients, "GATE_APPROVED")


def test_gate_check_refuses_a_version_under_review(user_dss_clients: Any) -> None:
    _run(user_dss_clients, "GATE_REFUSES_UNAPPROVED")


def test_monitoring_steps_within_limits(user_dss_clients: Any) -> None:
    _run(user_dss_clients, "MONITORING_WITHIN_LIMITS")


def test_drift_starts_one_retraining(user_dss_clients: Any) -> None:
    _run(user_dss_clients, "MONITORING_DRIFT_RETRAINS")


def test_status_is_published_for_production_models(user_dss_clients: Any) -> None:
    _run(user_dss_clients, "PUBLISH_STATUS")
