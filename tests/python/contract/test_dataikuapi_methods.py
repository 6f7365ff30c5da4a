"""Every ``dataikuapi`` method the plugin calls, exercised with the real client 15.2.0.

One end-to-end run of the six macros (with Govern sign-offs enabled) against the
double; the client methods are read from the double's request log (each route names
the client methods that use it) and compared with the lists below: the DSS and Govern
API methods the plugin calls, and the few more a shared route credits (the
future-polling route credits ``DSSFuture.peek_state`` too).
"""

from __future__ import annotations

from importlib.metadata import version
from typing import Any

from dss_double import exercised_client_methods, route_table
from plugin_harness import EVALUATE_FORM, SAVED_MODEL, run_recipe, run_step

PLUGIN_CLIENT_METHODS = (
    # identity, audit trail, mail
    "DSSClient.get_auth_info",
    "DSSClient.log_custom_audit",
    "DSSClient.get_messaging_channel",
    "DSSMailMessagingChannel.send",
    # evidence of a saved-model version
    "DSSClient.list_meanings",
    "DSSDataset.get_schema",
    "DSSSavedModel.get_settings",
    "DSSSavedModel.get_version_details",
    "DSSSavedModel.list_versions",
    "DSSSavedModel.get_active_version",
    "DSSSavedModel.set_active_version",
    # version label and DSS model documentation
    "DSSTrainedModelDetails.save_user_meta",
    "DSSTrainedModelDetails.generate_documentation",
    "DSSTrainedModelDetails.download_documentation_stream",
    "DSSFuture.wait_for_result",
    "DSSFuture.get_state",
    # bundles
    "DSSProject.export_bundle",
    "DSSProject.list_exported_bundles",
    "DSSProject.get_exported_bundle_archive_stream",
    "DSSProject.publish_bundle",
    # Project Deployer
    "DSSProjectDeployer.list_deployments",
    "DSSProjectDeployerDeployment.get_status",
    "DSSProjectDeployerDeployment.get_settings",
    "DSSProjectDeployerDeploymentSettings.save",
    "DSSProjectDeployerDeployment.start_update",
    "DSSProjectDeployerInfra.get_settings",
    "DSSProjectDeployerProject.get_status",
    "DSSProjectDeployerProject.delete_bundle",
    "DSSClient.list_code_envs",
    # Govern sign-offs
    "DSSClient.get_govern_client",
    "GovernArtifactSearchRequest.fetch_next_batch",
    "GovernArtifactSignoff.get_definition",
)
"""The client methods the plugin calls."""

SHARED_ROUTE_CREDITS = (
    "DSSFuture.peek_state",
    "DSSTrainedModelDetails.download_documentation_to_file",
    "DSSProject.download_exported_bundle_archive_to_file",
    "GovernArtifactSignoff.list_feedbacks",
    "GovernArtifactSignoffApproval.get_definition",
    "GovernArtifactSignoffFeedback.get_definition",
)
"""Not called by the plugin; credited because they share a route with a called one."""

MONITORING_CLIENT_METHODS = (
    # evaluation recipe: Model Evaluation Store
    "DSSModelEvaluationStore.add_custom_model_evaluation",
    "DSSModelEvaluationStore.list_model_evaluations",
    # drift step: retraining scenario
    "DSSScenario.run",
    "DSSTriggerFire.wait_for_scenario_run",
    "DSSTriggerFire.get_scenario_run",
    # flag and status steps: Govern
    "GovernArtifact.get_definition",
    "GovernArtifactDefinition.save",
    # canary macro and step: API Deployer
    "DSSAPIDeployerDeployment.get_settings",
    "DSSAPIDeployerDeploymentSettings.save",
    "DSSAPIDeployerDeployment.start_update",
    "DSSAPIDeployerService.get_status",
)
"""The client methods the monitoring recipe, steps and canary add to the macros'."""

MONITORING_ROUTE_CREDITS = (
    "DSSEvaluationStore.add_custom_evaluation",
    "DSSEvaluationStore.list_evaluations",
    "DSSScenario.run_and_wait",
)


def _end_to_end(plugin: Any) -> None:
    plugin.configure(govern_enabled=True, policy={"bundles_kept": 1})
    plugin.add_version("v4")
    plugin.add_version("v5")
    plugin.submit("v2")
    # v1's Data Steward and Security Lead sign-offs come from its Govern artifact.
    plugin.approve(plugin.submit("v1"), roles=("review_board", "ml_engineer"))
    plugin.run("create-approved-bundle", {"saved_model_id": SAVED_MODEL, "version_id": "v1"})
    first = plugin.bundles()[-1].bundle_id
    plugin.run("publish-bundle", {"bundle_id": first})
    plugin.double.state.set_bundle_governance("FRAUD", first, "APPROVED")
    ids = [first, *(plugin.published_bundle(v, s) for v, s in (("v4", "1.1"), ("v5", "1.2")))]
    plugin.deploy(ids[-1])
    plugin.run("prune-bundles", {})
    plugin.run("roll-back", {"infrastructure": "PROD-ML-01", "reason": "AUC alert"})


def test_plugin_calls_exactly_the_listed_client_methods(plugin: Any, dss_double: Any) -> None:
    start = len(dss_double.request_log)

    _end_to_end(plugin)

    log = dss_double.request_log[start:]
    expected = {*PLUGIN_CLIENT_METHODS, *SHARED_ROUTE_CREDITS}
    assert sorted(exercised_client_methods(log)) == sorted(expected)
    assert not [r for r in log if r.route_id is None]  # no call the double does not serve


def test_listed_methods_belong_to_the_pinned_client() -> None:
    # The route table's contract test checks that each of these exists in dataikuapi.
    served = {m for route in route_table().values() for m in route.client_methods}

    assert version("dataiku-api-client") == "15.2.0"
    listed = {*PLUGIN_CLIENT_METHODS, *SHARED_ROUTE_CREDITS}
    listed |= {*MONITORING_CLIENT_METHODS, *MONITORING_ROUTE_CREDITS}
    assert listed <= served


def _monitoring(plugin: Any) -> None:
    plugin.env.set_recipe(
        {"scored": ["claims_scored"], "model": [SAVED_MODEL], "reference": ["claims_train"]},
        {"metrics": ["model_metrics"], "evaluation_store": ["Mf9RqT1a"]},
        EVALUATE_FORM,
        plugin.settings,
    )
    run_recipe("evaluate")
    plugin.record_evaluation(2, auc=0.85, ks=0.2, di=0.7)
    plugin.env.set_scenario()
    steps = (
        ("auc-alert", {}),
        ("auc-drop-bias-shift", {"flag_in_govern": True}),
        ("drift-retraining", {"retraining_scenario": "RETRAIN_FRAUD"}),
        ("gate-check", {"version_id": "v1"}),
        ("publish-status", {"publish_to_govern": True, "saved_model_ids": [SAVED_MODEL]}),
    )
    for step, config in steps:
        form = {"saved_model_id": SAVED_MODEL, "on_breach": "warn", **config}
        plugin.env.set_step(form, plugin.settings)
        run_step(step)
    plugin.run(
        "canary-rollout",
        {
            "saved_model_id": SAVED_MODEL,
            "version_id": "v1",
            "deployment_id": "fraud_scoring-on-API-PROD-01",
            "new_generation": "v2",
        },
    )


def test_monitoring_calls_exactly_the_listed_client_methods(plugin: Any, dss_double: Any) -> None:
    plugin.configure(govern_enabled=True)
    plugin.approve(plugin.submit("v1"))
    start = len(dss_double.request_log)

    _monitoring(plugin)

    log = dss_double.request_log[start:]
    added = set(exercised_client_methods(log)) - {*PLUGIN_CLIENT_METHODS, *SHARED_ROUTE_CREDITS}
    assert sorted(added) == sorted({*MONITORING_CLIENT_METHODS, *MONITORING_ROUTE_CREDITS})
    assert not [r for r in log if r.route_id is None]
