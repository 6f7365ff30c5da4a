"""Contract: the API Deployer (services, infras, deployments) through dataikuapi."""

from __future__ import annotations

from typing import Any

import pytest
from dataikuapi.utils import DataikuException

PROD_DEPLOYMENT = "fraud_scoring-on-API-PROD-01"


def _deployment(client: Any, deployment_id: str = PROD_DEPLOYMENT) -> Any:
    return client.get_apideployer().get_deployment(deployment_id)


def test_list_services_returns_fraud_scoring(dss_client: Any) -> None:
    services = dss_client.get_apideployer().list_services()

    assert [s.id for s in services] == ["fraud_scoring"]


def test_service_get_status_lists_versions_and_deployments(dss_client: Any) -> None:
    status = dss_client.get_apideployer().get_service("fraud_scoring").get_status()

    assert [v["id"] for v in status.get_versions()] == ["v1", "v2", "v3"]
    assert [d.id for d in status.get_deployments()] == [PROD_DEPLOYMENT]


def test_list_infras_reports_govern_check_policy(dss_client: Any) -> None:
    infras = dss_client.get_apideployer().list_infras(as_objects=False)

    assert [
        (i["infraBasicInfo"]["id"], i["infraBasicInfo"]["governCheckPolicy"]) for i in infras
    ] == [
        ("API-PROD-01", "PREVENT"),
        ("API-STAGING-01", "WARN"),
    ]


def test_infra_get_status_lists_deployments(dss_client: Any) -> None:
    status = dss_client.get_apideployer().get_infra("API-PROD-01").get_status()

    assert [d.id for d in status.get_deployments()] == [PROD_DEPLOYMENT]


def test_infra_get_settings_returns_api_nodes(dss_client: Any) -> None:
    settings = dss_client.get_apideployer().get_infra("API-PROD-01").get_settings()

    assert settings.get_type() == "STATIC"
    assert len(settings.get_raw()["apiNodes"]) == 2


def test_list_deployments_returns_prod_deployment(dss_client: Any) -> None:
    assert [d.id for d in dss_client.get_apideployer().list_deployments()] == [PROD_DEPLOYMENT]


def test_deployment_get_status_reports_health_and_service_urls(dss_client: Any) -> None:
    status = _deployment(dss_client).get_status()

    assert status.get_health() == "HEALTHY"
    assert status.get_service_urls() == [
        "https://api-prod-01.insurer.example:12000/public/api/v1/fraud_scoring",
        "https://api-prod-02.insurer.example:12000/public/api/v1/fraud_scoring",
    ]


def test_deployment_get_settings_returns_single_generation(dss_client: Any) -> None:
    settings = _deployment(dss_client).get_settings()

    assert settings.get_raw()["generationsMapping"] == {
        "mode": "SINGLE_GENERATION",
        "generation": "v1",
    }


def test_settings_save_multi_generation_canary_then_update(dss_client: Any) -> None:
    deployment = _deployment(dss_client)
    settings = deployment.get_settings()
    settings.get_raw()["generationsMapping"] = {
        "mode": "MULTI_GENERATION",
        "entries": [{"generation": "v1", "proba": 0.9}, {"generation": "v2", "proba": 0.1}],
    }

    settings.save()
    assert deployment.get_status().get_health() == "OUT_OF_SYNC"
    deployment.start_update().wait_for_result()

    heavy = deployment.get_status().get_heavy()
    assert heavy["health"] == "HEALTHY"
    assert heavy["deployedGenerationsMapping"]["entries"][1] == {"generation": "v2", "proba": 0.1}


def test_set_single_version_then_save_is_read_back(dss_client: Any) -> None:
    deployment = _deployment(dss_client)
    settings = deployment.get_settings()

    settings.set_single_version("v2")
    settings.save()

    assert deployment.get_settings().get_raw()["generationsMapping"]["generation"] == "v2"


def test_settings_save_probabilities_not_summing_to_one_raises(dss_client: Any) -> None:
    settings = _deployment(dss_client).get_settings()
    settings.get_raw()["generationsMapping"] = {
        "mode": "MULTI_GENERATION",
        "entries": [{"generation": "v1", "proba": 0.9}, {"generation": "v2", "proba": 0.2}],
    }

    with pytest.raises(DataikuException, match="probabilities must add up to 1"):
        settings.save()


def test_settings_save_unknown_mode_raises(dss_client: Any) -> None:
    settings = _deployment(dss_client).get_settings()
    settings.get_raw()["generationsMapping"] = {"mode": "CANARY", "generation": "v2"}

    with pytest.raises(DataikuException, match="SINGLE_GENERATION or MULTI_GENERATION"):
        settings.save()


def test_settings_save_unapproved_version_on_prevent_infra_raises(dss_client: Any) -> None:
    settings = _deployment(dss_client).get_settings()
    settings.set_single_version("v3")

    with pytest.raises(DataikuException, match="PREVENT on infrastructure API-PROD-01 refuses v3"):
        settings.save()


def test_create_deployment_on_staging_with_ignore_warnings(dss_client: Any) -> None:
    deployer = dss_client.get_apideployer()

    deployment = deployer.create_deployment(
        "fraud_scoring-on-staging", "fraud_scoring", "API-STAGING-01", "v3", ignore_warnings=True
    )

    assert deployment.get_settings().get_raw()["generationsMapping"]["generation"] == "v3"
    assert [d.id for d in deployer.list_deployments()][-1] == "fraud_scoring-on-staging"


def test_create_deployment_unknown_version_raises_not_found(dss_client: Any) -> None:
    with pytest.raises(DataikuException, match="Bundle does not exist: v9"):
        dss_client.get_apideployer().create_deployment(
            "d1", "fraud_scoring", "API-STAGING-01", "v9", ignore_warnings=True
        )


def test_start_update_failed_outcome_raises_on_wait(dss_double: Any, dss_client: Any) -> None:
    dss_double.state.set_update_outcome("api", PROD_DEPLOYMENT, "FAILED", "API node 2 is down")

    future = _deployment(dss_client).start_update()

    with pytest.raises(DataikuException, match="API node 2 is down"):
        future.wait_for_result()
    assert _deployment(dss_client).get_status().get_health() == "ERROR"


def test_delete_enabled_deployment_without_disable_first_raises(dss_client: Any) -> None:
    with pytest.raises(Exception, match="must be disabled first"):
        _deployment(dss_client).delete()


def test_delete_with_disable_first_removes_deployment(dss_client: Any) -> None:
    _deployment(dss_client).delete(disable_first=True)

    assert dss_client.get_apideployer().list_deployments() == []
