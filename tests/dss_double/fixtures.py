"""Fixture loading: compact JSON descriptions expanded into DSS-shaped payloads.

The files under ``fixtures/`` describe the world in a compact form (a saved-model
version is a list of features, metrics and an algorithm). The builders here expand
that into the JSON DSS serves, so the payload shapes live in one place:

- saved-model version ``details`` (wrapped by ``DSSTrainedPredictionModelDetails``):
  ``fullModelId``, ``userMeta`` (name, description, labels), ``trainInfo``,
  ``coreParams`` (with ``executionParams.envSelection``), ``preprocessing.per_feature``
  (role INPUT/REJECT/TARGET, type NUMERIC/CATEGORY/TEXT), ``modeling.algorithm``,
  ``actualParams``, ``perf.tiMetrics`` (auc, logLoss) and ``perf.perCutData``;
- the version ``snippet`` (the flat metrics the client returns from
  ``get_performance_metrics()``: auc, f1, accuracy, precision, recall, logLoss);
- saved-model settings with ``miniTask`` (``predictionType``, ``modeling.metrics``,
  ``splitParams.ssdDatasetSmartName`` for the training dataset, ``envSelection``).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

FIXTURES_DIR = Path(__file__).resolve().parent / "fixtures"

_NUMERIC_HANDLING = {
    "missing_handling": "IMPUTE",
    "missing_impute_with": "MEAN",
    "numerical_handling": "REGULAR",
    "rescaling": "AVGSTD",
}
_CATEGORY_HANDLING = {
    "missing_handling": "NONE",
    "category_handling": "DUMMIFY",
    "dummy_clip": "MAX_NB_CATEGORIES",
    "max_nb_categories": 100,
}
_TEXT_HANDLING = {"missing_handling": "NONE", "text_handling": "TOKENIZE_HASHING_SVD"}


def load_fixture_data(fixtures_dir: Path | None = None) -> dict[str, Any]:
    """Read every ``*.json`` file of the fixtures folder into one dict.

    Top-level keys of the files must not collide; a collision is a fixture error.
    """
    folder = fixtures_dir if fixtures_dir is not None else FIXTURES_DIR
    data: dict[str, Any] = {}
    for path in sorted(folder.glob("*.json")):
        with path.open(encoding="utf-8") as handle:
            content = json.load(handle)
        for key, value in content.items():
            if key in data:
                raise ValueError(f"Fixture key {key!r} is defined twice (again in {path.name})")
            data[key] = value
    return data


def full_model_id(project_key: str, sm_id: str, version_id: str) -> str:
    """Return a saved-model version's full id: ``S-<project>-<sm>-<version>``."""
    return f"S-{project_key}-{sm_id}-{version_id}"


def build_project(project: dict[str, Any]) -> dict[str, Any]:
    """Expand one compact project fixture into the double's project record."""
    key = project["projectKey"]
    return {
        "summary": {
            "projectKey": key,
            "name": project["name"],
            "ownerLogin": project["ownerLogin"],
            "shortDesc": project.get("shortDesc", ""),
            "description": project.get("description", ""),
            "tags": list(project.get("tags", [])),
            "projectStatus": project.get("projectStatus", "In Progress"),
        },
        "metadata": {
            "label": project["name"],
            "shortDesc": project.get("shortDesc", ""),
            "description": project.get("description", ""),
            "tags": list(project.get("tags", [])),
            "checklists": {"checklists": []},
            "custom": {"kv": dict(project.get("customFields", {}))},
        },
        "variables": copy.deepcopy(project.get("variables", {"standard": {}, "local": {}})),
        "datasets": {d["name"]: build_dataset(key, d) for d in project.get("datasets", [])},
        "savedModels": {
            sm["id"]: build_saved_model(key, sm) for sm in project.get("savedModels", [])
        },
        "evaluationStores": {
            mes["id"]: build_evaluation_store(key, mes)
            for mes in project.get("modelEvaluationStores", [])
        },
        "scenarios": {s["id"]: build_scenario(key, s) for s in project.get("scenarios", [])},
        "bundles": {
            b["bundleId"]: build_exported_bundle(key, b) for b in project.get("bundles", [])
        },
    }


def build_dataset(project_key: str, dataset: dict[str, Any]) -> dict[str, Any]:
    """Return the dataset settings DSS serves for ``DSSDataset.get_settings``."""
    columns = [_build_column(c) for c in dataset.get("columns", [])]
    return {
        "projectKey": project_key,
        "name": dataset["name"],
        "type": dataset.get("type", "Filesystem"),
        "managed": dataset.get("managed", True),
        "params": {"connection": dataset.get("connection", "filesystem_managed"), "path": ""},
        "formatType": "csv",
        "formatParams": {"separator": ",", "style": "excel", "parseHeaderRow": True},
        "schema": {"columns": columns, "userModified": False},
        "partitioning": {"dimensions": []},
        "tags": list(dataset.get("tags", [])),
        "description": dataset.get("description", ""),
        "shortDesc": dataset.get("shortDesc", ""),
        "customFields": dict(dataset.get("customFields", {})),
        "featureGroup": False,
        "checklists": {"checklists": []},
    }


def _build_column(column: dict[str, Any]) -> dict[str, Any]:
    built = {"name": column["name"], "type": column["type"]}
    if column["type"] == "string":
        built["maxLength"] = column.get("maxLength", -1)
    for optional in ("meaning", "comment"):
        if optional in column:
            built[optional] = column[optional]
    return built


def build_saved_model(project_key: str, sm: dict[str, Any]) -> dict[str, Any]:
    """Return the saved-model record: settings plus expanded versions."""
    active = [v["id"] for v in sm["versions"] if v.get("active", False)]
    settings = {
        "projectKey": project_key,
        "id": sm["id"],
        "name": sm["name"],
        "type": "PREDICTION",
        "activeVersion": active[0] if active else None,
        "tags": list(sm.get("tags", [])),
        "description": sm.get("description", ""),
        "shortDesc": sm.get("shortDesc", ""),
        "customFields": dict(sm.get("customFields", {})),
        "miniTask": {
            "taskType": "PREDICTION",
            "predictionType": sm["predictionType"],
            "targetVariable": sm["targetVariable"],
            "backendType": "PY_MEMORY",
            "envSelection": {"envMode": "EXPLICIT_ENV", "envName": sm["envName"]},
            "splitParams": {
                "ttPolicy": "SPLIT_SINGLE_DATASET",
                "ssdDatasetSmartName": sm["trainDataset"],
                "ssdTrainingRatio": 0.8,
                "kfold": False,
            },
            "modeling": {
                "metrics": {"evaluationMetric": "AUC", "thresholdOptimizationMetric": "F1"}
            },
        },
        "flowOptions": {"virtualizable": False, "rebuildBehavior": "NORMAL"},
    }
    versions = {v["id"]: build_version(project_key, sm, v) for v in sm["versions"]}
    return {"settings": settings, "versions": versions}


def build_version(project_key: str, sm: dict[str, Any], version: dict[str, Any]) -> dict[str, Any]:
    """Return ``{"details": ..., "snippet": ...}`` for one saved-model version."""
    fmi = full_model_id(project_key, sm["id"], version["id"])
    metrics = version["metrics"]
    threshold = version.get("threshold", 0.5)
    user_meta = {
        "name": version.get("name", f"{sm['name']} {version['id']}"),
        "description": version.get("description", ""),
        "labels": copy.deepcopy(version.get("labels", [])),
        "clusterLabels": [],
        "activeClassifierThreshold": threshold,
    }
    train_info = {
        "state": "DONE",
        "startTime": version["trainedOn"] - 600000,
        "endTime": version["trainedOn"],
        "trainRows": version.get("trainRows", 8000),
        "testRows": version.get("testRows", 2000),
        "kfold": False,
    }
    details = {
        "fullModelId": fmi,
        "userMeta": user_meta,
        "trainInfo": train_info,
        "coreParams": {
            "taskType": "PREDICTION",
            "prediction_type": sm["predictionType"],
            "target_variable": sm["targetVariable"],
            "backendType": "PY_MEMORY",
            "executionParams": {
                "envSelection": {"envMode": "EXPLICIT_ENV", "envName": version["envName"]}
            },
        },
        "preprocessing": {
            "per_feature": {f["name"]: _feature_handling(f) for f in version["features"]},
            "target_remapping": [
                {"sourceValue": "0", "mappedValue": 0, "sampleFreq": 9400},
                {"sourceValue": "1", "mappedValue": 1, "sampleFreq": 600},
            ],
            "feature_selection_params": {"method": "NONE"},
        },
        "modeling": {"algorithm": version["algorithm"]},
        "actualParams": {"resolved": {"algorithm": version["algorithm"]}},
        "perf": {
            "tiMetrics": {"auc": metrics["auc"], "logLoss": metrics["logLoss"]},
            "usedThreshold": threshold,
            "perCutData": {
                "cut": [threshold],
                "f1": [metrics["f1"]],
                "precision": [metrics["precision"]],
                "recall": [metrics["recall"]],
                "accuracy": [metrics["accuracy"]],
            },
        },
        "iperf": {},
        "mlDiagnostics": {"diagnostics": []},
    }
    snippet = {
        "fullModelId": fmi,
        "predictionType": sm["predictionType"],
        "algorithm": version["algorithm"],
        "backendType": "PY_MEMORY",
        "trainDate": version["trainedOn"],
        "trainInfo": copy.deepcopy(train_info),
        "userMeta": copy.deepcopy(user_meta),
    }
    snippet.update({k: metrics[k] for k in ("auc", "f1", "accuracy", "precision", "recall")})
    snippet["logLoss"] = metrics["logLoss"]
    return {"details": details, "snippet": snippet}


def _feature_handling(feature: dict[str, Any]) -> dict[str, Any]:
    handling: dict[str, Any] = {"role": feature["role"], "type": feature["type"]}
    if feature["type"] == "NUMERIC":
        handling.update(_NUMERIC_HANDLING)
    elif feature["type"] == "CATEGORY":
        handling.update(_CATEGORY_HANDLING)
    else:
        handling.update(_TEXT_HANDLING)
    handling["customHandlingCode"] = ""
    handling["customProcessorWantsMatrix"] = False
    return handling


def build_evaluation_store(project_key: str, mes: dict[str, Any]) -> dict[str, Any]:
    """Return the evaluation-store record: settings plus full-info evaluations."""
    settings = {
        "projectKey": project_key,
        "id": mes["id"],
        "name": mes["name"],
        "mesFlavor": "TABULAR",
        "tags": list(mes.get("tags", [])),
        "metrics": {"probes": [], "engineConfig": {}},
        "checks": {"checks": []},
    }
    evaluations = {
        e["evaluationId"]: build_evaluation(project_key, mes["id"], e)
        for e in mes.get("evaluations", [])
    }
    return {"settings": settings, "evaluations": evaluations}


def build_evaluation(project_key: str, mes_id: str, evaluation: dict[str, Any]) -> dict[str, Any]:
    """Return the full info DSS serves for one model evaluation."""
    eid = evaluation["evaluationId"]
    metric_defs = evaluation.get("metrics", [])
    body: dict[str, Any] = {
        "ref": {
            "projectKey": project_key,
            "mesId": mes_id,
            "evaluationId": eid,
            "fullId": f"ME-{project_key}-{mes_id}-{eid}",
        },
        "created": evaluation["created"],
        "userMeta": {
            "name": evaluation.get("name") or eid,
            "labels": copy.deepcopy(evaluation.get("labels") or []),
        },
        "hasModel": evaluation.get("fullModelId") is not None,
        "predictionType": evaluation.get("predictionType", "BINARY_CLASSIFICATION"),
        "targetVariable": evaluation.get("targetVariable"),
        "customMetrics": copy.deepcopy(metric_defs),
    }
    if evaluation.get("fullModelId") is not None:
        body["modelRef"] = {"fullId": evaluation["fullModelId"]}
    return {"evaluation": body, "metrics": {m["metricCode"]: m["value"] for m in metric_defs}}


def build_scenario(project_key: str, scenario: dict[str, Any]) -> dict[str, Any]:
    """Return the scenario record: list item, next outcome, runs and trigger fires."""
    return {
        "item": {
            "projectKey": project_key,
            "id": scenario["id"],
            "name": scenario["name"],
            "type": scenario.get("type", "step_based"),
            "active": scenario.get("active", True),
            "markedAsTest": scenario.get("markedAsTest", False),
            "tags": list(scenario.get("tags", [])),
            "running": False,
        },
        "nextOutcome": scenario.get("nextOutcome", "SUCCESS"),
        "runs": [],
        "triggerFires": {},
    }


def build_exported_bundle(project_key: str, bundle: dict[str, Any]) -> dict[str, Any]:
    """Return an exported (Design node) bundle as ``list_exported_bundles`` lists it."""
    return {
        "bundleId": bundle["bundleId"],
        "releaseNotes": bundle.get("releaseNotes"),
        "exportManifest": {
            "exportUserInfo": {
                "exportedOn": bundle["exportedOn"],
                "exportedBy": {"login": bundle["exportedBy"]},
            },
            "originalProjectInfo": {"projectKey": project_key},
            "contentSummary": {"savedModels": copy.deepcopy(bundle.get("savedModels", []))},
        },
        "publishedBundleState": copy.deepcopy(bundle.get("publishedBundleState")),
    }


def build_project_deployer(deployer: dict[str, Any]) -> dict[str, Any]:
    """Return the Project Deployer records: infras, published projects, deployments."""
    infras = {}
    for infra in deployer.get("infras", []):
        settings = {
            "id": infra["id"],
            "stage": infra["stage"],
            "type": infra.get("type", "SINGLE_AUTOMATION_NODE"),
            "governCheckPolicy": infra.get("governCheckPolicy", "NO_CHECK"),
            "automationNodeUrl": infra.get("automationNodeUrl", ""),
            "permissions": copy.deepcopy(infra.get("permissions", [])),
        }
        infras[infra["id"]] = settings
    projects = {
        p["key"]: {
            "key": p["key"],
            "name": p.get("name", p["key"]),
            "packages": [_build_package(b) for b in p.get("bundles", [])],
        }
        for p in deployer.get("publishedProjects", [])
    }
    deployments = {d["id"]: _build_project_deployment(d) for d in deployer.get("deployments", [])}
    return {"infras": infras, "projects": projects, "deployments": deployments}


def _build_package(package: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": package["id"],
        "publishedOn": package["publishedOn"],
        "publishedBy": package["publishedBy"],
        "sourceProjectKey": package.get("sourceProjectKey"),
        "governanceStatus": package.get("governanceStatus", "NOT_GOVERNED"),
    }


def _build_project_deployment(deployment: dict[str, Any]) -> dict[str, Any]:
    settings = {
        "id": deployment["id"],
        "publishedProjectKey": deployment["publishedProjectKey"],
        "infraId": deployment["infraId"],
        "bundleId": deployment["bundleId"],
        "deployedProjectKey": deployment.get(
            "deployedProjectKey", deployment["publishedProjectKey"]
        ),
        "enabled": deployment.get("enabled", True),
        "tags": list(deployment.get("tags", [])),
    }
    return {
        "settings": settings,
        "deployedBundleId": deployment.get("deployedBundleId"),
        "health": deployment.get("health", "HEALTHY"),
        "updates": [],
        "updateOutcome": deployment.get("updateOutcome", "SUCCESS"),
        "updateError": deployment.get("updateError", "Automation node refused the bundle"),
    }


def build_api_deployer(deployer: dict[str, Any]) -> dict[str, Any]:
    """Return the API Deployer records: infras, published services, deployments."""
    infras = {}
    for infra in deployer.get("infras", []):
        infras[infra["id"]] = {
            "id": infra["id"],
            "stage": infra["stage"],
            "type": infra.get("type", "STATIC"),
            "governCheckPolicy": infra.get("governCheckPolicy", "NO_CHECK"),
            "apiNodes": copy.deepcopy(infra.get("apiNodes", [])),
            "permissions": copy.deepcopy(infra.get("permissions", [])),
        }
    services = {
        s["id"]: {
            "id": s["id"],
            "name": s.get("name", s["id"]),
            "packages": [_build_package(v) for v in s.get("versions", [])],
        }
        for s in deployer.get("services", [])
    }
    deployments = {}
    for deployment in deployer.get("deployments", []):
        settings = {
            "id": deployment["id"],
            "publishedServiceId": deployment["publishedServiceId"],
            "infraId": deployment["infraId"],
            "enabled": deployment.get("enabled", True),
            "generationsMapping": copy.deepcopy(deployment["generationsMapping"]),
            "tags": list(deployment.get("tags", [])),
        }
        deployments[deployment["id"]] = {
            "settings": settings,
            "deployedMapping": copy.deepcopy(deployment["generationsMapping"]),
            "health": deployment.get("health", "HEALTHY"),
            "updates": [],
            "updateOutcome": deployment.get("updateOutcome", "SUCCESS"),
            "updateError": deployment.get("updateError", "API node refused the service package"),
        }
    return {"infras": infras, "services": services, "deployments": deployments}


def build_govern(govern: dict[str, Any]) -> dict[str, Any]:
    """Return the Govern node records: artifacts and the sign-offs of their steps."""
    artifacts = {a["id"]: copy.deepcopy(a) for a in govern.get("artifacts", [])}
    signoffs = {}
    for signoff in govern.get("signoffs", []):
        key = (signoff["artifactId"], signoff["stepId"])
        signoffs[key] = {
            "signoffId": {"artifactId": signoff["artifactId"], "stepId": signoff["stepId"]},
            "status": signoff["status"],
            "configuration": {
                "feedbackGroups": copy.deepcopy(signoff.get("feedbackGroups", [])),
                "approvers": copy.deepcopy(signoff.get("approvers", [])),
                "recurrenceConfiguration": {},
            },
            "feedbackResponses": copy.deepcopy(signoff.get("feedbackResponses", [])),
        }
        if signoff.get("approverResponse") is not None:
            signoffs[key]["approverResponse"] = copy.deepcopy(signoff["approverResponse"])
    return {"artifacts": artifacts, "signoffs": signoffs}
