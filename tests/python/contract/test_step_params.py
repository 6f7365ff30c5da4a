"""The scenario steps' descriptors and settings, parsed as DSS passes them."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from plugin_harness import ROOT, STEPS_DIR

from model_governance.core.errors import ConfigError
from model_governance.dss.params import (
    parse_alerting_preset,
    parse_rule_step_params,
    parse_sla_step_params,
    parse_status_step_params,
)

STEP_FOLDERS = sorted(p.parent for p in STEPS_DIR.glob("*/step.json"))
PARAMETER_SET = ROOT / "parameter-sets" / "model-governance-alerting" / "parameter-set.json"


def _descriptor(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "step.json").read_text(encoding="utf-8")))


@pytest.mark.parametrize("folder", STEP_FOLDERS, ids=lambda p: p.name)
def test_step_descriptor_is_complete(folder: Path) -> None:
    descriptor = _descriptor(folder)

    assert descriptor["meta"]["label"]
    assert len(descriptor["meta"]["description"]) > 60
    for param in descriptor["params"]:
        assert param["type"] == "SEPARATOR" or (param["label"] and param["description"])
        assert re.fullmatch(r"[a-z][a-z0-9_]*", param["name"])
        if param["type"] == "PRESET":
            assert param["parameterSetId"] == PARAMETER_SET.parent.name


@pytest.mark.parametrize("folder", STEP_FOLDERS, ids=lambda p: p.name)
def test_step_entry_point_is_thin(folder: Path) -> None:
    source = (folder / "step.py").read_text(encoding="utf-8")

    assert len(source.splitlines()) <= 30
    assert "get_step_config()" in source


def test_step_visibility_conditions_name_existing_params() -> None:
    for folder in STEP_FOLDERS:
        params = _descriptor(folder)["params"]
        names = {p["name"] for p in params}
        for param in params:
            for ref in re.findall(r"model\.(\w+)", param.get("visibilityCondition", "")):
                assert ref in names, (folder.name, param["name"], ref)


def test_alerting_parameter_set_keeps_secrets_as_passwords() -> None:
    params = {p["name"]: p for p in json.loads(PARAMETER_SET.read_text())["params"]}

    assert params["slack_webhook_url"]["type"] == "PASSWORD"
    assert params["pagerduty_routing_key"]["type"] == "PASSWORD"


def test_alerting_preset_reads_ints_sent_as_floats() -> None:
    config = parse_alerting_preset(
        {"slack_webhook_url": "https://hooks.slack.com/services/T/B/x", "max_attempts": 2.0}
    )

    assert (config.channels, config.max_attempts) == (("slack",), 2)


def test_alerting_preset_absent_means_no_channel() -> None:
    assert parse_alerting_preset(None).channels == ()


def test_alerting_preset_attempts_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"Attempts per alert: 11 is outside \[1, 10\]"):
        parse_alerting_preset({"max_attempts": 11.0})


def test_rule_step_defaults_to_failing_on_breach() -> None:
    params = parse_rule_step_params({"saved_model_id": "FRAUD.Zx7kQp2B"})

    assert (params.saved_model_id, params.on_breach) == ("Zx7kQp2B", "fail")


def test_rule_step_unknown_on_breach_is_refused_naming_the_choices() -> None:
    with pytest.raises(ConfigError, match="On breach: 'ignore' is not one of fail, warn"):
        parse_rule_step_params({"saved_model_id": "m", "on_breach": "ignore"})


def test_rule_step_without_saved_model_names_the_field() -> None:
    with pytest.raises(ConfigError, match=r"Saved model: is required.*step's settings"):
        parse_rule_step_params({})


def test_sla_step_window_out_of_range_is_refused() -> None:
    config = {
        "saved_model_id": "m",
        "service_id": "fraud-api",
        "query_log_dataset": "log",
        "timestamp_column": "t",
        "latency_column": "l",
        "status_column": "s",
        "window_hours": 0.0,
    }

    with pytest.raises(ConfigError, match=r"Window \(hours\): 0 is outside"):
        parse_sla_step_params(config)


def test_status_step_strips_project_from_saved_models() -> None:
    params = parse_status_step_params({"saved_model_ids": ["FRAUD.Zx7kQp2B", "Other1"]})

    assert params.saved_model_ids == ("Zx7kQp2B", "Other1")
    assert not params.publish_to_govern
