"""Plugin settings and macro forms as DSS passes them, parsed with clear errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from plugin_harness import MACROS, RUNNABLES_DIR, SUBMIT_FORM

from model_governance.core.errors import ConfigError
from model_governance.dss.params import (
    DEFAULT_LEDGER_PATH,
    parse_deploy_params,
    parse_plugin_settings,
    parse_rollback_params,
    parse_submit_params,
)


def test_plugin_settings_default_to_the_embedded_ledger() -> None:
    settings = parse_plugin_settings({})

    assert settings.ledger_url == f"sqlite:///{DEFAULT_LEDGER_PATH}"
    assert settings.govern is None
    assert settings.send_dss_audit


def test_plugin_settings_database_url_wins_over_sqlite_path() -> None:
    settings = parse_plugin_settings(
        {"ledger_url": "postgresql://ledger-db/governance", "ledger_sqlite_path": "/data/x.db"}
    )

    assert settings.ledger_url == "postgresql://ledger-db/governance"


def test_plugin_settings_relative_sqlite_path_is_refused_naming_the_field() -> None:
    with pytest.raises(ConfigError, match="SQLite ledger file: must be an absolute path"):
        parse_plugin_settings({"ledger_sqlite_path": "ledger.sqlite"})


def test_plugin_settings_database_url_is_never_echoed() -> None:
    with pytest.raises(ConfigError) as refused:
        parse_plugin_settings({"ledger_url": "admin:s3cret@ledger-db"})

    assert "s3cret" not in str(refused.value)


def test_plugin_settings_bad_policy_json_names_line_and_screen() -> None:
    with pytest.raises(ConfigError, match=r"Policy \(JSON\): not valid JSON at line 2"):
        parse_plugin_settings({"policy_json": '{\n "min_auc": }'})


def test_plugin_settings_policy_keys_are_validated() -> None:
    with pytest.raises(ConfigError, match=r"policy\.min_auc"):
        parse_plugin_settings({"policy_json": json.dumps({"min_auc": 2})})


def test_plugin_settings_govern_url_without_key_is_refused() -> None:
    with pytest.raises(ConfigError, match="Govern API key: is empty"):
        parse_plugin_settings({"govern_enabled": True, "govern_url": "https://govern.example"})


def test_plugin_settings_govern_defaults_map_the_fixture_groups() -> None:
    govern = parse_plugin_settings({"govern_enabled": True}).govern

    assert govern is not None
    assert (govern.url, govern.step_id) == ("", "review")
    assert govern.group_roles["security"] == "security_lead"


def test_plugin_settings_api_key_is_hidden_from_repr() -> None:
    settings = parse_plugin_settings(
        {"govern_enabled": True, "govern_url": "https://g.example", "govern_api_key": "k-123"}
    )

    assert "k-123" not in repr(settings)


def test_plugin_settings_bad_reviewer_address_is_refused() -> None:
    with pytest.raises(ConfigError, match="'raj' are not e-mail addresses"):
        parse_plugin_settings({"reviewer_emails": ["raj"]})


def test_submit_form_accepts_dss_numbers_and_project_prefixed_model() -> None:
    params = parse_submit_params(
        {**SUBMIT_FORM, "saved_model_id": "FRAUD.Zx7kQp2B", "semver": "v1.2", "sample_rows": 2000.0}
    )

    assert (params.saved_model_id, params.semver, params.sample_rows) == ("Zx7kQp2B", "1.2", 2000)


def test_submit_form_without_purpose_is_refused() -> None:
    with pytest.raises(ConfigError, match="Model purpose: is empty"):
        parse_submit_params({**SUBMIT_FORM, "purpose": " "})


def test_submit_form_sample_size_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"outside \[10, 100000\]"):
        parse_submit_params({**SUBMIT_FORM, "sample_rows": 5.0})


def test_submit_form_evaluation_without_attributes_is_refused() -> None:
    with pytest.raises(ConfigError, match="Protected attributes: none given"):
        parse_submit_params({**SUBMIT_FORM, "protected_attributes": []})


def test_deploy_form_requires_scoring_dataset() -> None:
    with pytest.raises(ConfigError, match="Scoring dataset: is required"):
        parse_deploy_params({"bundle_id": "b", "infrastructure": "PROD-ML-01"})


def test_rollback_form_requires_a_reason() -> None:
    with pytest.raises(ConfigError, match="Reason: is required"):
        parse_rollback_params({"infrastructure": "PROD-ML-01"})


# Descriptors


@pytest.mark.parametrize("macro", MACROS)
def test_runnable_descriptor_is_complete(macro: str) -> None:
    descriptor = json.loads(
        (RUNNABLES_DIR / f"model-governance-{macro}" / "runnable.json").read_text()
    )

    assert descriptor["meta"]["label"]
    assert len(descriptor["meta"]["description"]) > 40
    assert descriptor["resultType"] in ("HTML", "RESULT_TABLE")
    assert {"type": "PROJECT_MACROS"} in descriptor["macroRoles"]
    for param in descriptor["params"]:
        assert param["type"] == "SEPARATOR" or param["label"]


@pytest.mark.parametrize("macro", MACROS)
def test_runnable_entry_point_is_thin(macro: str) -> None:
    source = (RUNNABLES_DIR / f"model-governance-{macro}" / "runnable.py").read_text()

    assert len(source.splitlines()) <= 30
    assert "class MyRunnable(GovernanceMacro)" in source


def test_macro_roles_target_the_parameter_dss_fills() -> None:
    def roles(macro: str) -> dict[str, Any]:
        path = RUNNABLES_DIR / f"model-governance-{macro}" / "runnable.json"
        return {
            r["type"]: r.get("targetParamsKey") for r in json.loads(path.read_text())["macroRoles"]
        }

    assert roles("submit-for-review")["SAVED_MODEL"] == "saved_model_id"
    assert roles("create-approved-bundle")["SAVED_MODEL"] == "saved_model_id"
    assert roles("publish-bundle")["BUNDLE"] == "bundle_id"
    assert roles("deploy-bundle")["BUNDLE"] == "bundle_id"


def test_plugin_descriptor_declares_every_setting_the_gateway_reads() -> None:
    plugin = json.loads((RUNNABLES_DIR.parent / "plugin.json").read_text())
    names = {p.get("name") for p in plugin["params"]}

    assert {
        "ledger_url", "ledger_sqlite_path", "policy_json", "govern_enabled", "govern_url",
        "govern_api_key", "govern_step_id", "govern_group_roles", "mail_channel_id",
        "reviewer_emails", "send_dss_audit",
    } <= names  # fmt: skip
