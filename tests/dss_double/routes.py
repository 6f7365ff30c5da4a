"""Route tables of the double: one handler per route, with the client methods using it.

Paths are relative to ``/dip/publicapi`` (DSS node) or ``/govern/dip/publicapi``
(Govern node) and are written exactly as ``dataikuapi`` 15.2.0 builds them,
trailing slashes included: a path the client does not send is a 404 here too.
"""

from __future__ import annotations

from . import handlers_api_deployer as api
from . import handlers_artifacts as artifacts
from . import handlers_deployer as deployer
from . import handlers_govern as govern
from . import handlers_models as models
from . import handlers_projects as projects
from . import handlers_runtime as runtime
from .routing import Route

_P = "/projects/<project_key>"
_SM = _P + "/savedmodels/<sm_id>"
_MES = _P + "/evaluationstores/<mes_id>"
_SC = _P + "/scenarios/<scenario_id>"
_PD = "/project-deployer"
_AD = "/api-deployer"
_SO = "/artifact/<artifact_id>/workflow/step/<step_id>/signoff"

# The tables stay hand-aligned: one route per entry reads better than the formatter's.
# fmt: off
DSS_ROUTES: tuple[Route, ...] = (
    # Projects, variables, meanings
    Route("GET", "/projects/", projects.list_projects,
          ("DSSClient.list_projects", "DSSClient.list_project_keys")),
    Route("GET", _P, projects.get_project_summary, ("DSSProject.get_summary",)),
    Route("GET", _P + "/metadata", projects.get_project_metadata, ("DSSProject.get_metadata",)),
    Route("PUT", _P + "/metadata", projects.set_project_metadata, ("DSSProject.set_metadata",)),
    Route("GET", _P + "/variables/", projects.get_project_variables,
          ("DSSProject.get_variables", "DSSProject.update_variables")),
    Route("PUT", _P + "/variables/", projects.set_project_variables,
          ("DSSProject.set_variables", "DSSProject.update_variables")),
    Route("GET", "/meanings/", projects.list_meanings, ("DSSClient.list_meanings",)),
    Route("GET", "/admin/code-envs/", artifacts.list_code_envs, ("DSSClient.list_code_envs",)),
    # Datasets
    Route("GET", _P + "/datasets/", projects.list_datasets, ("DSSProject.list_datasets",)),
    Route("GET", _P + "/datasets/<dataset_name>", projects.get_dataset_settings,
          ("DSSDataset.get_settings", "DSSDataset.get_definition")),
    Route("GET", _P + "/datasets/<dataset_name>/schema", projects.get_dataset_schema,
          ("DSSDataset.get_schema",)),
    Route("PUT", _P + "/datasets/<dataset_name>/schema", projects.set_dataset_schema,
          ("DSSDataset.set_schema",)),
    Route("GET", _P + "/datasets/<dataset_name>/metadata", projects.get_dataset_metadata,
          ("DSSDataset.get_metadata", "DSSDataset.exists")),
    # Saved models
    Route("GET", _P + "/savedmodels/", models.list_saved_models, ("DSSProject.list_saved_models",)),
    Route("GET", _SM, models.get_saved_model_settings, ("DSSSavedModel.get_settings",)),
    Route("PUT", _SM, models.save_saved_model_settings, ("DSSSavedModelSettings.save",)),
    Route("GET", _SM + "/versions", models.list_saved_model_versions,
          ("DSSSavedModel.list_versions", "DSSSavedModel.get_active_version")),
    Route("GET", _SM + "/versions/<version_id>/details", models.get_version_details,
          ("DSSSavedModel.get_version_details",)),
    Route("GET", _SM + "/versions/<version_id>/snippet", models.get_version_snippet,
          ("DSSSavedModel.get_version_details",)),
    Route("PUT", _SM + "/versions/<version_id>/user-meta", models.save_version_user_meta,
          ("DSSTrainedModelDetails.save_user_meta",)),
    Route("POST", _SM + "/versions/<version_id>/actions/setActive", models.set_active_version,
          ("DSSSavedModel.set_active_version",)),
    Route("POST", _SM + "/versions/<version_id>/generate-documentation-from-default-template",
          artifacts.generate_model_documentation,
          ("DSSTrainedModelDetails.generate_documentation",)),
    Route("GET", _P + "/savedmodels/documentations/<export_id>",
          artifacts.download_model_documentation,
          ("DSSTrainedModelDetails.download_documentation_stream",
           "DSSTrainedModelDetails.download_documentation_to_file")),
    # Model evaluation stores
    Route("GET", _P + "/evaluationstores/", models.list_evaluation_stores,
          ("DSSProject.list_model_evaluation_stores", "DSSProject.list_evaluation_stores")),
    Route("GET", _MES, models.get_evaluation_store_settings,
          ("DSSModelEvaluationStore.get_settings",)),
    Route("GET", _MES + "/evaluations/", models.list_evaluations,
          ("DSSModelEvaluationStore.list_model_evaluations",
           "DSSEvaluationStore.list_evaluations")),
    Route("POST", _MES + "/evaluations", models.add_custom_evaluation,
          ("DSSModelEvaluationStore.add_custom_model_evaluation",
           "DSSEvaluationStore.add_custom_evaluation")),
    Route("GET", _MES + "/evaluations/<evaluation_id>", models.get_evaluation,
          ("DSSModelEvaluation.get_full_info",)),
    Route("GET", _MES + "/latestEvaluationId", models.get_latest_evaluation_id,
          ("DSSModelEvaluationStore.get_latest_model_evaluation",)),
    Route("PUT", _MES + "/evaluations/<evaluation_id>/user-meta", models.save_evaluation_user_meta,
          ("DSSModelEvaluationFullInfo.save_user_meta",)),
    # Design-node bundles
    Route("GET", _P + "/bundles/exported", deployer.list_exported_bundles,
          ("DSSProject.list_exported_bundles",)),
    Route("PUT", _P + "/bundles/exported/<bundle_id>", deployer.export_bundle,
          ("DSSProject.export_bundle",)),
    Route("DELETE", _P + "/bundles/exported/<bundle_id>", deployer.delete_exported_bundle,
          ("DSSProject.delete_exported_bundle",)),
    Route("GET", _P + "/bundles/exported/<bundle_id>/archive",
          artifacts.get_exported_bundle_archive,
          ("DSSProject.get_exported_bundle_archive_stream",
           "DSSProject.download_exported_bundle_archive_to_file")),
    Route("POST", _P + "/bundles/<bundle_id>/publish", deployer.publish_bundle,
          ("DSSProject.publish_bundle",)),
    # Project Deployer
    Route("GET", _PD + "/projects", deployer.list_published_projects,
          ("DSSProjectDeployer.list_projects",)),
    Route("GET", _PD + "/projects/<published_project_key>", deployer.get_published_project,
          ("DSSProjectDeployerProject.get_status",)),
    Route("DELETE", _PD + "/projects/<published_project_key>/bundles/<bundle_id>",
          deployer.delete_published_bundle, ("DSSProjectDeployerProject.delete_bundle",)),
    Route("GET", _PD + "/infras", deployer.list_project_infras,
          ("DSSProjectDeployer.list_infras",)),
    Route("GET", _PD + "/infras/<infra_id>", deployer.get_project_infra,
          ("DSSProjectDeployerInfra.get_status",)),
    Route("GET", _PD + "/infras/<infra_id>/settings", deployer.get_project_infra_settings,
          ("DSSProjectDeployerInfra.get_settings",)),
    Route("PUT", _PD + "/infras/<infra_id>/settings", deployer.save_project_infra_settings,
          ("DSSProjectDeployerInfraSettings.save",)),
    Route("GET", _PD + "/deployments", deployer.list_project_deployments,
          ("DSSProjectDeployer.list_deployments",)),
    Route("POST", _PD + "/deployments", deployer.create_project_deployment,
          ("DSSProjectDeployer.create_deployment",)),
    Route("GET", _PD + "/deployments/<deployment_id>", deployer.get_project_deployment,
          ("DSSProjectDeployerDeployment.get_status",)),
    Route("GET", _PD + "/deployments/<deployment_id>/status",
          deployer.get_project_deployment_status, ("DSSProjectDeployerDeployment.get_status",)),
    Route("GET", _PD + "/deployments/<deployment_id>/settings",
          deployer.get_project_deployment_settings, ("DSSProjectDeployerDeployment.get_settings",)),
    Route("PUT", _PD + "/deployments/<deployment_id>/settings",
          deployer.save_project_deployment_settings,
          ("DSSProjectDeployerDeploymentSettings.save",)),
    Route("POST", _PD + "/deployments/<deployment_id>/actions/update",
          deployer.start_project_deployment_update,
          ("DSSProjectDeployerDeployment.start_update",)),
    Route("GET", _PD + "/deployments/<deployment_id>/update",
          deployer.list_project_deployment_updates,
          ("DSSProjectDeployerDeployment.list_updates",)),
    Route("GET", _PD + "/deployments/<deployment_id>/last-update",
          deployer.get_project_deployment_last_update,
          ("DSSProjectDeployerDeployment.get_update",)),
    Route("GET", _PD + "/deployments/<deployment_id>/governance-status",
          deployer.get_project_deployment_governance,
          ("DSSProjectDeployerDeployment.get_governance_status",)),
    Route("DELETE", _PD + "/deployments/<deployment_id>", deployer.delete_project_deployment,
          ("DSSProjectDeployerDeployment.delete",)),
    # API Deployer
    Route("GET", _AD + "/services", api.list_api_services, ("DSSAPIDeployer.list_services",)),
    Route("GET", _AD + "/services/<service_id>", api.get_api_service,
          ("DSSAPIDeployerService.get_status",)),
    Route("GET", _AD + "/infras", api.list_api_infras, ("DSSAPIDeployer.list_infras",)),
    Route("GET", _AD + "/infras/<infra_id>", api.get_api_infra,
          ("DSSAPIDeployerInfra.get_status",)),
    Route("GET", _AD + "/infras/<infra_id>/settings", api.get_api_infra_settings,
          ("DSSAPIDeployerInfra.get_settings",)),
    Route("GET", _AD + "/deployments", api.list_api_deployments,
          ("DSSAPIDeployer.list_deployments",)),
    Route("POST", _AD + "/deployments", api.create_api_deployment,
          ("DSSAPIDeployer.create_deployment",)),
    Route("GET", _AD + "/deployments/<deployment_id>", api.get_api_deployment,
          ("DSSAPIDeployerDeployment.get_status", "DSSAPIDeployerDeployment.delete")),
    Route("GET", _AD + "/deployments/<deployment_id>/status", api.get_api_deployment_status,
          ("DSSAPIDeployerDeployment.get_status",)),
    Route("GET", _AD + "/deployments/<deployment_id>/settings", api.get_api_deployment_settings,
          ("DSSAPIDeployerDeployment.get_settings",)),
    Route("PUT", _AD + "/deployments/<deployment_id>/settings", api.save_api_deployment_settings,
          ("DSSAPIDeployerDeploymentSettings.save",)),
    Route("POST", _AD + "/deployments/<deployment_id>/actions/update",
          api.start_api_deployment_update, ("DSSAPIDeployerDeployment.start_update",)),
    Route("DELETE", _AD + "/deployments/<deployment_id>", api.delete_api_deployment,
          ("DSSAPIDeployerDeployment.delete",)),
    # Futures
    Route("GET", "/futures/", runtime.list_futures, ("DSSClient.list_futures",)),
    Route("GET", "/futures/<job_id>", runtime.get_future,
          ("DSSFuture.get_state", "DSSFuture.peek_state", "DSSFuture.wait_for_result")),
    Route("DELETE", "/futures/<job_id>", runtime.abort_future, ("DSSFuture.abort",)),
    # Scenarios
    Route("GET", _P + "/scenarios/", runtime.list_scenarios, ("DSSProject.list_scenarios",)),
    Route("POST", _SC + "/run", runtime.run_scenario,
          ("DSSScenario.run", "DSSScenario.run_and_wait")),
    Route("GET", _SC + "/get-run-for-trigger", runtime.get_run_for_trigger,
          ("DSSTriggerFire.get_scenario_run", "DSSTriggerFire.wait_for_scenario_run")),
    Route("GET", _P + "/scenarios/trigger/<scenario_id>/<trigger_id>", runtime.get_trigger_fire,
          ("DSSTriggerFire.is_cancelled",)),
    Route("GET", _SC + "/get-last-runs", runtime.get_last_runs,
          ("DSSScenario.get_last_runs", "DSSScenario.get_last_finished_run",
           "DSSScenario.get_last_successful_run")),
    Route("GET", _SC + "/<run_id>/", runtime.get_scenario_run,
          ("DSSScenario.get_run", "DSSScenarioRun.refresh", "DSSScenarioRun.get_details")),
    Route("GET", _SC + "/light", runtime.get_scenario_status, ("DSSScenario.get_status",)),
    # Messaging
    Route("GET", "/messaging-channels/", runtime.list_messaging_channels,
          ("DSSClient.list_messaging_channels",)),
    Route("GET", "/messaging-channels/<channel_id>", runtime.get_messaging_channel,
          ("DSSClient.get_messaging_channel",)),
    Route("POST", "/messaging-channels/<channel_id>/actions/send", runtime.send_mail,
          ("DSSMailMessagingChannel.send",)),
    # Auth, audit, Govern link
    Route("GET", "/auth/info", runtime.get_auth_info, ("DSSClient.get_auth_info",)),
    Route("POST", "/auth/info-from-browser-headers", runtime.get_auth_info_from_browser_headers,
          ("DSSClient.get_auth_info_from_browser_headers",)),
    Route("POST", "/admin/audit/custom/<custom_type>", runtime.log_custom_audit,
          ("DSSClient.log_custom_audit",)),
    Route("GET", "/admin/get-govern-node-ref", runtime.get_govern_node_ref,
          ("DSSClient.get_govern_client",)),
)

GOVERN_ROUTES: tuple[Route, ...] = (
    Route("GET", "/auth/info", runtime.get_auth_info, ("GovernClient.get_auth_info",)),
    Route("POST", "/admin/audit/custom/<custom_type>", runtime.log_custom_audit,
          ("GovernClient.log_custom_audit",)),
    Route("POST", "/artifacts", govern.create_artifact, ("GovernClient.create_artifact",)),
    Route("POST", "/artifacts/search", govern.search_artifacts,
          ("GovernArtifactSearchRequest.fetch_next_batch",)),
    Route("GET", "/artifact/<artifact_id>", govern.get_artifact,
          ("GovernArtifact.get_definition",)),
    Route("PUT", "/artifact/<artifact_id>", govern.save_artifact,
          ("GovernArtifactDefinition.save",)),
    Route("GET", "/artifact/<artifact_id>/signoffs", govern.list_signoffs,
          ("GovernArtifact.list_signoffs",)),
    Route("GET", _SO, govern.get_signoff,
          ("GovernArtifactSignoff.get_definition", "GovernArtifactSignoff.list_feedbacks",
           "GovernArtifactSignoffApproval.get_definition",
           "GovernArtifactSignoffFeedback.get_definition")),
    Route("GET", _SO + "/details", govern.get_signoff_details,
          ("GovernArtifactSignoff.get_details",)),
    Route("POST", _SO + "/feedback", govern.add_signoff_feedback,
          ("GovernArtifactSignoff.add_feedback",)),
    Route("POST", _SO + "/approval", govern.add_signoff_approval,
          ("GovernArtifactSignoff.add_approval",)),
)
# fmt: on


def all_routes() -> dict[str, tuple[Route, ...]]:
    """Return the route tables per node (``"dss"`` and ``"govern"``)."""
    return {"dss": DSS_ROUTES, "govern": GOVERN_ROUTES}
