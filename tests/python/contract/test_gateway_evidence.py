"""Contract: evidence of a saved-model version read from DSS by the gateway."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from plugin_harness import POLICY, SUBMIT_FORM, write_claims

from model_governance.core.errors import ConfigError
from model_governance.core.policy import parse_policy
from model_governance.dss.params import parse_submit_params

POLICY_OBJ = parse_policy(POLICY)


@pytest.fixture
def env(dss_env: Any) -> Any:
    write_claims(dss_env.data_dir)
    return dss_env


@pytest.fixture
def gateway(env: Any) -> Any:
    """The gateway module, imported once the stand-in ``dataiku`` is on the path."""
    from model_governance.dss import gateway

    return gateway


def _collect(gateway: Any, version: str, **form: Any) -> Any:
    import dataiku

    params = parse_submit_params({**SUBMIT_FORM, "version_id": version, **form})
    return gateway.collect_evidence(dataiku.api_client(), "FRAUD", params, POLICY_OBJ)


def test_features_and_roles_come_from_preprocessing(env: Any, gateway: Any) -> None:
    evidence = _collect(gateway, "v1")

    roles = {f.name: (f.role, f.kind) for f in evidence.features}
    assert roles["claim_amount"] == ("input", "numeric")
    assert roles["procedure_code"] == ("input", "categorical")
    assert roles["patient_name"] == ("rejected", "text")
    assert roles["is_fraud"] == ("target", "categorical")
    assert len(evidence.input_features) == 7


def test_metrics_code_env_and_training_dataset(env: Any, gateway: Any) -> None:
    evidence = _collect(gateway, "v3")

    assert evidence.metrics["auc"] == pytest.approx(0.874)
    assert "predictionType" not in evidence.metrics
    assert evidence.code_env == "py311_fraud_experimental"
    assert evidence.training_dataset == "claims_train"
    assert evidence.model_id == "FRAUD.Zx7kQp2B"


def test_schema_columns_carry_policy_tags_from_meaning_and_comment(env: Any, gateway: Any) -> None:
    evidence = _collect(gateway, "v1")

    columns = {c.name: c for c in evidence.training_schema}
    assert columns["ssn"].tags == ("PHI",)
    assert columns["ssn"].meaning == "phi"
    assert columns["payment_card_number"].tags == ("PCI",)
    assert columns["claim_amount"].tags == ()


def test_value_scan_keeps_findings_without_values(env: Any, gateway: Any) -> None:
    evidence = _collect(gateway, "v1")

    kinds = {(v.column, v.kind) for v in evidence.value_findings}
    assert ("ssn", "ssn") in kinds
    assert ("payment_card_number", "card_number") in kinds
    assert all(v.sample_size == 500 for v in evidence.value_findings)


def test_fairness_counts_cover_every_scored_row(env: Any, gateway: Any) -> None:
    evidence = _collect(gateway, "v1")

    by_attribute = {f.attribute: f for f in evidence.fairness}
    gender = by_attribute["patient_gender"]
    assert {g.group for g in gender.groups} == {"female", "male"}
    assert sum(g.size for g in gender.groups) == 1200
    assert gender.favourable_outcome == "prediction = 0"


def test_missing_protected_attribute_names_the_fields(env: Any, gateway: Any) -> None:
    with pytest.raises(ConfigError, match="Protected attributes / Prediction column"):
        _collect(gateway, "v1", protected_attributes=["no_such_column"])


def test_experiments_list_every_version_with_the_chosen_one(env: Any, gateway: Any) -> None:
    evidence = _collect(gateway, "v1")

    runs = {r.run_id: r for r in evidence.experiments}
    assert set(runs) == {"Zx7kQp2B/v1", "Zx7kQp2B/v2", "Zx7kQp2B/v3"}
    assert runs["Zx7kQp2B/v1"].is_chosen
    assert runs["Zx7kQp2B/v2"].algorithm == "GBT_CLASSIFICATION"


def test_refresh_of_unchanged_version_keeps_the_fingerprint(env: Any, gateway: Any) -> None:
    import dataiku

    evidence = _collect(gateway, "v1")

    again = gateway.refresh_evidence(dataiku.api_client(), evidence, POLICY_OBJ)

    assert again.fingerprint == evidence.fingerprint


def test_labels_do_not_change_the_fingerprint_but_the_model_does(env: Any, gateway: Any) -> None:
    import dataiku

    client = dataiku.api_client()
    evidence = _collect(gateway, "v1")
    gateway.DssModelRegistry(client).tag_version(
        "FRAUD.Zx7kQp2B", "v1", tag="v1.0-prod-candidate", qualification_id="Q-000001"
    )
    tagged = gateway.refresh_evidence(client, evidence, POLICY_OBJ)
    version = env.double.state.saved_model_version("FRAUD", "Zx7kQp2B", "v1")
    version["details"]["modeling"]["algorithm"] = "XGBOOST_CLASSIFICATION"

    retrained = gateway.refresh_evidence(client, evidence, POLICY_OBJ)

    assert tagged.fingerprint == evidence.fingerprint
    assert retrained.fingerprint != evidence.fingerprint


def test_caller_roles_come_from_dss_groups(env: Any, gateway: Any) -> None:
    import dataiku

    env.use_api_key("dkuaps-alice-0002")
    policy = parse_policy({"role_groups": {"data_scientists": ["ml_engineer"]}})

    principal = gateway.caller_principal(dataiku.api_client(), policy)

    assert (principal.user, principal.roles) == ("ds.alice", frozenset({"ml_engineer"}))


def test_column_tags_ignore_words_that_are_not_policy_tags(gateway: Any) -> None:
    column = {"name": "claim_id", "comment": "Claim identifier: internal"}

    assert gateway.column_tags(column, {}, ("PHI", "PCI")) == []


def test_model_documentation_not_offered_returns_none(env: Any, gateway: Any) -> None:
    import dataiku

    env.double.state.instance["graphicalExportEnabled"] = False
    registry = gateway.DssModelRegistry(dataiku.api_client())

    assert registry.model_documentation("FRAUD.Zx7kQp2B", "v1") is None


def test_inherited_code_env_is_named_by_mode_and_fails_the_approved_check(
    env: Any, gateway: Any
) -> None:
    from model_governance.core.checks import History, check_code_env

    version = env.double.state.saved_model_version("FRAUD", "Zx7kQp2B", "v1")
    version["details"]["coreParams"]["executionParams"]["envSelection"] = {"envMode": "INHERIT"}

    evidence = _collect(gateway, "v1")

    assert evidence.code_env == "mode:INHERIT"
    history = History(now=datetime.now(timezone.utc))
    assert check_code_env(evidence, POLICY_OBJ, history).status.value == "fail"
