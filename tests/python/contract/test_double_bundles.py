"""Contract: Design-node bundles and the Project Deployer through dataikuapi."""

from __future__ import annotations

from typing import Any

import pytest
from dataikuapi.utils import DataikuException

PROD = "PROD-ML-01"
STAGING = "STAGING-ML-01"
PROD_DEPLOYMENT = "FRAUD-on-PROD-ML-01"


def _publish(client: Any, bundle_id: str) -> None:
    project = client.get_project("FRAUD")
    project.export_bundle(bundle_id)
    project.publish_bundle(bundle_id)


def test_list_exported_bundles_returns_bundle_ids(dss_client: Any) -> None:
    bundles = dss_client.get_project("FRAUD").list_exported_bundles()["bundles"]

    assert [b["bundleId"] for b in bundles] == ["fraud_v1", "fraud_v1_1"]
    assert bundles[0]["publishedBundleState"]["publishedProjectKey"] == "FRAUD"


def test_export_bundle_records_active_model_version(dss_client: Any) -> None:
    project = dss_client.get_project("FRAUD")
    project.get_saved_model("Zx7kQp2B").set_active_version("v3")

    exported = project.export_bundle("fraud_v3", release_notes="Retrain")

    assert exported["releaseNotes"] == "Retrain"
    assert exported["exportManifest"]["contentSummary"]["savedModels"] == [
        {"id": "Zx7kQp2B", "activeVersion": "v3"}
    ]
    listed = [b["bundleId"] for b in project.list_exported_bundles()["bundles"]]
    assert "fraud_v3" in listed


def test_export_bundle_existing_id_raises(dss_client: Any) -> None:
    with pytest.raises(DataikuException, match="Bundle fraud_v1 already exists"):
        dss_client.get_project("FRAUD").export_bundle("fraud_v1")


def test_delete_exported_bundle_removes_it(dss_client: Any) -> None:
    project = dss_client.get_project("FRAUD")

    project.delete_exported_bundle("fraud_v1_1")

    assert [b["bundleId"] for b in project.list_exported_bundles()["bundles"]] == ["fraud_v1"]


def test_publish_bundle_adds_it_to_published_project(dss_client: Any) -> None:
    project = dss_client.get_project("FRAUD")

    state = project.publish_bundle("fraud_v1_1")

    assert state["publishedProjectKey"] == "FRAUD"
    assert state["publishedBy"] == "admin"
    bundles = dss_client.get_projectdeployer().get_project("FRAUD").get_status().get_bundles()
    assert [b["id"] for b in bundles] == ["fraud_v1", "fraud_v1_1"]


def test_publish_bundle_other_key_creates_published_project(dss_client: Any) -> None:
    dss_client.get_project("FRAUD").publish_bundle("fraud_v1_1", published_project_key="FRAUD_EU")

    keys = [p.id for p in dss_client.get_projectdeployer().list_projects()]
    assert keys == ["FRAUD", "FRAUD_EU"]


def test_publish_bundle_twice_raises(dss_client: Any) -> None:
    with pytest.raises(DataikuException, match="already published in FRAUD"):
        dss_client.get_project("FRAUD").publish_bundle("fraud_v1")


def test_list_projects_as_dicts_carry_deployments(dss_client: Any) -> None:
    projects = dss_client.get_projectdeployer().list_projects(as_objects=False)

    assert projects[0]["projectBasicInfo"]["id"] == "FRAUD"
    assert {d["id"] for d in projects[0]["deployments"]} == {
        PROD_DEPLOYMENT,
        "FRAUD-on-STAGING-ML-01",
    }


def test_published_project_status_lists_deployments_per_infra(dss_client: Any) -> None:
    status = dss_client.get_projectdeployer().get_project("FRAUD").get_status()

    assert [d.id for d in status.get_deployments(infra_id=PROD)] == [PROD_DEPLOYMENT]
    assert sorted(i["id"] for i in status.get_infras()) == [PROD, STAGING]


def test_delete_bundle_unused_bundle_is_removed(dss_client: Any) -> None:
    dss_client.get_project("FRAUD").publish_bundle("fraud_v1_1")
    published = dss_client.get_projectdeployer().get_project("FRAUD")

    published.delete_bundle("fraud_v1_1")

    assert [b["id"] for b in published.get_status().get_bundles()] == ["fraud_v1"]


def test_delete_bundle_in_use_raises(dss_client: Any) -> None:
    published = dss_client.get_projectdeployer().get_project("FRAUD")

    with pytest.raises(DataikuException, match="used by deployment FRAUD-on-PROD-ML-01"):
        published.delete_bundle("fraud_v1")


def test_list_infras_returns_prod_and_staging(dss_client: Any) -> None:
    infras = dss_client.get_projectdeployer().list_infras(as_objects=False)

    assert [i["infraBasicInfo"]["id"] for i in infras] == [PROD, STAGING]


def test_infra_get_settings_reports_govern_check_policy(dss_client: Any) -> None:
    deployer = dss_client.get_projectdeployer()

    assert deployer.get_infra(PROD).get_settings().get_raw()["governCheckPolicy"] == "PREVENT"
    assert deployer.get_infra(STAGING).get_settings().get_raw()["governCheckPolicy"] == "WARN"


def test_infra_get_status_lists_its_deployments(dss_client: Any) -> None:
    status = dss_client.get_projectdeployer().get_infra(PROD).get_status()

    assert [d.id for d in status.get_deployments()] == [PROD_DEPLOYMENT]


def test_infra_settings_save_new_policy_is_read_back(dss_client: Any) -> None:
    infra = dss_client.get_projectdeployer().get_infra(STAGING)
    settings = infra.get_settings()
    settings.get_raw()["governCheckPolicy"] = "PREVENT"

    settings.save()

    assert infra.get_settings().get_raw()["governCheckPolicy"] == "PREVENT"


def test_infra_settings_save_unknown_policy_raises(dss_client: Any) -> None:
    settings = dss_client.get_projectdeployer().get_infra(STAGING).get_settings()
    settings.get_raw()["governCheckPolicy"] = "SOMETIMES"

    with pytest.raises(
        DataikuException, match="governCheckPolicy must be NO_CHECK, WARN or PREVENT"
    ):
        settings.save()


def test_list_deployments_returns_both_fixture_deployments(dss_client: Any) -> None:
    deployments = dss_client.get_projectdeployer().list_deployments()

    assert [d.id for d in deployments] == [PROD_DEPLOYMENT, "FRAUD-on-STAGING-ML-01"]


def test_create_deployment_approved_bundle_on_prevent_infra_succeeds(
    dss_double: Any, dss_client: Any
) -> None:
    deployer = dss_client.get_projectdeployer()
    _publish(dss_client, "fraud_v4")
    dss_double.state.set_bundle_governance("FRAUD", "fraud_v4", "APPROVED")

    deployment = deployer.create_deployment("FRAUD-v4-on-prod", "FRAUD", PROD, "fraud_v4")

    assert deployment.get_settings().bundle_id == "fraud_v4"
    assert deployment.get_status().get_health() == "OUT_OF_SYNC"


def test_create_deployment_unapproved_bundle_on_prevent_infra_raises(dss_client: Any) -> None:
    _publish(dss_client, "fraud_v4")

    with pytest.raises(DataikuException, match="PREVENT on infrastructure PROD-ML-01 refuses"):
        dss_client.get_projectdeployer().create_deployment("d1", "FRAUD", PROD, "fraud_v4")


def test_create_deployment_unapproved_bundle_on_warn_infra_needs_ignore_warnings(
    dss_client: Any,
) -> None:
    deployer = dss_client.get_projectdeployer()
    _publish(dss_client, "fraud_v4")

    with pytest.raises(DataikuException, match="pass ignoreWarnings=true"):
        deployer.create_deployment("d1", "FRAUD", STAGING, "fraud_v4")
    deployment = deployer.create_deployment(
        "d1", "FRAUD", STAGING, "fraud_v4", ignore_warnings=True
    )

    assert deployment.get_settings().bundle_id == "fraud_v4"


def test_create_deployment_unknown_infra_raises_not_found(dss_client: Any) -> None:
    with pytest.raises(DataikuException, match="Infrastructure does not exist: NOPE"):
        dss_client.get_projectdeployer().create_deployment("d1", "FRAUD", "NOPE", "fraud_v1")


def test_create_deployment_existing_id_raises(dss_client: Any) -> None:
    deployer = dss_client.get_projectdeployer()

    with pytest.raises(DataikuException, match="Deployment FRAUD-on-PROD-ML-01 already exists"):
        deployer.create_deployment(PROD_DEPLOYMENT, "FRAUD", PROD, "fraud_v1")


def test_deployment_get_status_light_and_heavy(dss_client: Any) -> None:
    status = dss_client.get_projectdeployer().get_deployment(PROD_DEPLOYMENT).get_status()

    assert status.get_light()["deploymentBasicInfo"]["bundleId"] == "fraud_v1"
    assert status.get_light()["infraBasicInfo"]["governCheckPolicy"] == "PREVENT"
    assert status.get_health() == "HEALTHY"
    assert status.get_health_messages()["messages"] == []


def test_deployment_settings_save_new_bundle_then_update_deploys_it(dss_client: Any) -> None:
    deployment = dss_client.get_projectdeployer().get_deployment("FRAUD-on-STAGING-ML-01")
    dss_client.get_project("FRAUD").publish_bundle("fraud_v1_1")
    settings = deployment.get_settings()
    settings.bundle_id = "fraud_v1_1"

    settings.save(ignore_warnings=True)
    result = deployment.start_update().wait_for_result()

    assert result["success"] is True
    assert deployment.get_status().get_heavy()["deployedBundleId"] == "fraud_v1_1"
    assert deployment.get_update().status == "SUCCESS"


def test_deployment_settings_save_unknown_bundle_raises(dss_client: Any) -> None:
    settings = dss_client.get_projectdeployer().get_deployment(PROD_DEPLOYMENT).get_settings()
    settings.bundle_id = "fraud_v99"

    with pytest.raises(DataikuException, match="Bundle does not exist: fraud_v99 in FRAUD"):
        settings.save()


def test_deployment_settings_save_changed_infra_raises(dss_client: Any) -> None:
    settings = dss_client.get_projectdeployer().get_deployment(PROD_DEPLOYMENT).get_settings()
    settings.get_raw()["infraId"] = STAGING

    with pytest.raises(DataikuException, match="'infraId' cannot change"):
        settings.save()


def test_start_update_fixture_flag_failed_makes_future_fail(
    dss_double: Any, dss_client: Any
) -> None:
    dss_double.state.set_update_outcome("project", PROD_DEPLOYMENT, "FAILED", "Node unreachable")
    deployment = dss_client.get_projectdeployer().get_deployment(PROD_DEPLOYMENT)

    future = deployment.start_update()

    with pytest.raises(DataikuException, match="FutureFailedException: Node unreachable"):
        future.wait_for_result()
    assert deployment.get_status().get_health() == "ERROR"
    assert [u.status for u in deployment.list_updates()] == ["FAILED"]


def test_get_governance_status_unapproved_bundle_reports_error(dss_client: Any) -> None:
    _publish(dss_client, "fraud_v4")
    deployment = dss_client.get_projectdeployer().get_deployment(PROD_DEPLOYMENT)

    status = deployment.get_governance_status(bundle_id="fraud_v4")

    assert status["messages"][0]["severity"] == "ERROR"
    assert status["governanceStatus"] == "NOT_GOVERNED"


def test_delete_deployment_enabled_raises(dss_client: Any) -> None:
    deployment = dss_client.get_projectdeployer().get_deployment(PROD_DEPLOYMENT)

    with pytest.raises(DataikuException, match="must be disabled and updated"):
        deployment.delete()


def test_delete_deployment_disabled_and_updated_is_removed(dss_client: Any) -> None:
    deployer = dss_client.get_projectdeployer()
    deployment = deployer.get_deployment("FRAUD-on-STAGING-ML-01")
    settings = deployment.get_settings()
    settings.get_raw()["enabled"] = False
    settings.save()
    deployment.start_update().wait_for_result()

    deployment.delete()

    assert [d.id for d in deployer.list_deployments()] == [PROD_DEPLOYMENT]
