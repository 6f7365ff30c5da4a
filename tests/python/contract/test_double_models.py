"""Contract: saved models, versions and model evaluation stores through dataikuapi."""

from __future__ import annotations

from typing import Any

import pytest
from dataikuapi.dss.ml import DSSTrainedPredictionModelDetails
from dataikuapi.dss.modelevaluationstore import DSSModelEvaluationStore
from dataikuapi.utils import DataikuException

SM_ID = "Zx7kQp2B"
MES_ID = "Mf9RqT1a"


def _saved_model(client: Any) -> Any:
    return client.get_project("FRAUD").get_saved_model(SM_ID)


def _store(client: Any) -> Any:
    return client.get_project("FRAUD").get_model_evaluation_store(MES_ID)


def test_list_saved_models_returns_fraud_classifier(dss_client: Any) -> None:
    models = dss_client.get_project("FRAUD").list_saved_models()

    assert [(m["id"], m["name"]) for m in models] == [(SM_ID, "dental_fraud_classifier")]


def test_get_settings_saved_model_exposes_prediction_type_and_env(dss_client: Any) -> None:
    settings = _saved_model(dss_client).get_settings()

    assert settings.prediction_type == "BINARY_CLASSIFICATION"
    assert settings.prediction_metrics_settings["evaluationMetric"] == "AUC"
    mini_task = settings.get_raw()["miniTask"]
    assert mini_task["envSelection"] == {"envMode": "EXPLICIT_ENV", "envName": "py311_fraud"}
    assert mini_task["splitParams"]["ssdDatasetSmartName"] == "claims_train"


def test_settings_save_new_description_is_read_back(dss_client: Any) -> None:
    settings = _saved_model(dss_client).get_settings()
    settings.get_raw()["description"] = "Governed fraud model"

    settings.save()

    assert (
        _saved_model(dss_client).get_settings().get_raw()["description"] == "Governed fraud model"
    )


def test_list_versions_returns_three_versions_v1_active(dss_client: Any) -> None:
    versions = _saved_model(dss_client).list_versions()

    assert [(v["id"], v["active"]) for v in versions] == [
        ("v1", True),
        ("v2", False),
        ("v3", False),
    ]
    assert versions[1]["snippet"]["auc"] == 0.951


def test_get_active_version_returns_v1(dss_client: Any) -> None:
    assert _saved_model(dss_client).get_active_version()["id"] == "v1"


def test_get_version_details_wraps_prediction_details(dss_client: Any) -> None:
    details = _saved_model(dss_client).get_version_details("v1")

    assert isinstance(details, DSSTrainedPredictionModelDetails)
    assert details.full_id == "S-FRAUD-Zx7kQp2B-v1"


def test_get_performance_metrics_v1_reports_auc(dss_client: Any) -> None:
    metrics = _saved_model(dss_client).get_version_details("v1").get_performance_metrics()

    assert metrics["auc"] == pytest.approx(0.931)
    assert metrics["logLoss"] == pytest.approx(0.118)
    assert "userMeta" not in metrics


def test_get_preprocessing_settings_v2_uses_phi_columns_as_inputs(dss_client: Any) -> None:
    per_feature = (
        _saved_model(dss_client)
        .get_version_details("v2")
        .get_preprocessing_settings()["per_feature"]
    )
    inputs = {name for name, f in per_feature.items() if f["role"] == "INPUT"}

    assert {"patient_name", "ssn", "birth_date"} <= inputs
    assert per_feature["is_fraud"]["role"] == "TARGET"
    assert per_feature["claim_amount"]["type"] == "NUMERIC"
    assert per_feature["procedure_code"]["type"] == "CATEGORY"


def test_get_preprocessing_settings_v1_rejects_phi_columns(dss_client: Any) -> None:
    per_feature = (
        _saved_model(dss_client)
        .get_version_details("v1")
        .get_preprocessing_settings()["per_feature"]
    )

    assert {per_feature[c]["role"] for c in ("patient_name", "ssn", "birth_date")} == {"REJECT"}


def test_get_modeling_settings_v3_reports_algorithm(dss_client: Any) -> None:
    details = _saved_model(dss_client).get_version_details("v3")

    assert details.get_modeling_settings()["algorithm"] == "LOGISTIC_REGRESSION"
    assert details.get_actual_modeling_params()["resolved"]["algorithm"] == "LOGISTIC_REGRESSION"


def test_get_raw_details_v3_carries_code_env_and_train_info(dss_client: Any) -> None:
    details = _saved_model(dss_client).get_version_details("v3")
    env = details.get_raw()["coreParams"]["executionParams"]["envSelection"]

    assert env["envName"] == "py311_fraud_experimental"
    assert details.get_train_info()["endTime"] == 1716940800000
    assert details.get_train_info()["trainRows"] == 8000


def test_get_user_meta_v1_returns_labels(dss_client: Any) -> None:
    user_meta = _saved_model(dss_client).get_version_details("v1").get_user_meta()

    assert {"key": "governance:risk_tier", "value": "high"} in user_meta["labels"]
    assert user_meta["description"] == "Baseline approved by the ARB"


def test_save_user_meta_new_label_is_read_back(dss_client: Any) -> None:
    details = _saved_model(dss_client).get_version_details("v3")
    details.get_user_meta()["labels"].append({"key": "governance:state", "value": "IN_REVIEW"})

    details.save_user_meta()

    labels = _saved_model(dss_client).get_version_details("v3").get_user_meta()["labels"]
    assert {"key": "governance:state", "value": "IN_REVIEW"} in labels


def test_save_user_meta_label_without_key_raises_bad_request(dss_client: Any) -> None:
    details = _saved_model(dss_client).get_version_details("v3")
    details.get_user_meta()["labels"] = [{"value": "orphan"}]

    with pytest.raises(DataikuException, match="Each label needs a string 'key'"):
        details.save_user_meta()


def test_set_active_version_v3_becomes_active(dss_client: Any) -> None:
    model = _saved_model(dss_client)

    model.set_active_version("v3")

    assert model.get_active_version()["id"] == "v3"


def test_set_active_version_unknown_version_raises_not_found(dss_client: Any) -> None:
    with pytest.raises(DataikuException, match="Saved model version does not exist"):
        _saved_model(dss_client).set_active_version("v9")


def test_get_version_details_unknown_model_raises_not_found(dss_client: Any) -> None:
    model = dss_client.get_project("FRAUD").get_saved_model("missing")

    with pytest.raises(DataikuException, match=r"Saved model does not exist: FRAUD\.missing"):
        model.get_version_details("v1")


def test_list_model_evaluation_stores_returns_tabular_store(dss_client: Any) -> None:
    stores = dss_client.get_project("FRAUD").list_model_evaluation_stores()

    assert [type(s) for s in stores] == [DSSModelEvaluationStore]
    assert stores[0].mes_id == MES_ID


def test_get_settings_evaluation_store_returns_name(dss_client: Any) -> None:
    assert _store(dss_client).get_settings().get_raw()["name"] == "fraud_monitoring"


def test_list_model_evaluations_sorted_by_creation(dss_client: Any) -> None:
    evaluations = _store(dss_client).list_model_evaluations()

    assert [e.evaluation_id for e in evaluations] == ["eval-2024-05-31", "eval-2024-06-01"]


def test_get_latest_model_evaluation_returns_newest(dss_client: Any) -> None:
    assert _store(dss_client).get_latest_model_evaluation().evaluation_id == "eval-2024-06-01"


def test_get_full_info_returns_metrics_labels_and_model(dss_client: Any) -> None:
    info = _store(dss_client).get_model_evaluation("eval-2024-05-31").get_full_info()

    assert info.metrics["auc"] == pytest.approx(0.915)
    assert info.model_full_id == "S-FRAUD-Zx7kQp2B-v1"
    assert info.user_meta["labels"] == [
        {"key": "monitoring:window", "value": "2024-05-01/2024-05-31"}
    ]
    assert info.full_id == "ME-FRAUD-Mf9RqT1a-eval-2024-05-31"


def test_add_custom_model_evaluation_is_listed_with_metrics(dss_client: Any) -> None:
    store = _store(dss_client)
    details = _saved_model(dss_client).get_version_details("v1")
    auc = DSSModelEvaluationStore.MetricDefinition("auc", 0.887, "AUC")
    drift = DSSModelEvaluationStore.MetricDefinition("ks_max", 0.18, "Max KS drift")
    label = DSSModelEvaluationStore.LabelDefinition("monitoring:alert", "AUC_BELOW_0.88")

    store.add_custom_model_evaluation(
        [auc, drift], evaluation_id="eval-2024-06-02", name="Daily", labels=[label], model=details
    )

    info = store.get_model_evaluation("eval-2024-06-02").get_full_info()
    assert info.metrics == {"auc": 0.887, "ks_max": 0.18}
    assert info.model_full_id == "S-FRAUD-Zx7kQp2B-v1"
    assert info.user_meta == {
        "name": "Daily",
        "labels": [{"key": "monitoring:alert", "value": "AUC_BELOW_0.88"}],
    }
    assert store.get_latest_model_evaluation().evaluation_id == "eval-2024-06-02"


def test_add_custom_model_evaluation_without_id_gets_generated_id(dss_client: Any) -> None:
    store = _store(dss_client)

    store.add_custom_model_evaluation([DSSModelEvaluationStore.MetricDefinition("auc", 0.9)])

    assert len(store.list_model_evaluations()) == 3


def test_add_custom_model_evaluation_empty_metrics_raises_bad_request(dss_client: Any) -> None:
    with pytest.raises(DataikuException, match="'metrics' must be a non-empty list"):
        _store(dss_client).add_custom_model_evaluation([])


def test_add_custom_model_evaluation_non_numeric_value_raises_bad_request(dss_client: Any) -> None:
    bad = DSSModelEvaluationStore.MetricDefinition("auc", "high")

    with pytest.raises(DataikuException, match="Metric auc needs a numeric 'value'"):
        _store(dss_client).add_custom_model_evaluation([bad])


def test_add_custom_model_evaluation_unknown_model_raises_not_found(dss_client: Any) -> None:
    metric = DSSModelEvaluationStore.MetricDefinition("auc", 0.9)

    with pytest.raises(DataikuException, match="S-FRAUD-Zx7kQp2B-v9"):
        _store(dss_client).add_custom_model_evaluation([metric], model="S-FRAUD-Zx7kQp2B-v9")


def test_add_custom_model_evaluation_duplicate_id_raises(dss_client: Any) -> None:
    metric = DSSModelEvaluationStore.MetricDefinition("auc", 0.9)

    with pytest.raises(DataikuException, match="eval-2024-06-01 already exists"):
        _store(dss_client).add_custom_model_evaluation([metric], evaluation_id="eval-2024-06-01")


def test_full_info_save_user_meta_new_label_is_read_back(dss_client: Any) -> None:
    info = _store(dss_client).get_model_evaluation("eval-2024-06-01").get_full_info()
    info.user_meta["labels"].append({"key": "reviewed_by", "value": "mle.maria"})

    info.save_user_meta()

    again = _store(dss_client).get_model_evaluation("eval-2024-06-01").get_full_info()
    assert {"key": "reviewed_by", "value": "mle.maria"} in again.user_meta["labels"]
