"""Contract: the stand-in ``dataiku`` reads DSS's environment and calls the double."""

from __future__ import annotations

import io
import json
from typing import Any

import pandas as pd
import pytest
from dss_double import ALICE_API_KEY


def _claims(rows: int) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "claim_id": [f"C{i:04d}" for i in range(rows)],
            "patient_zip": ["02115"] * rows,
            "claim_amount": [100.0 + i for i in range(rows)],
            "is_fraud": [i % 2 for i in range(rows)],
        }
    )


CLAIMS_SCHEMA = [
    {"name": "claim_id", "type": "string"},
    {"name": "patient_zip", "type": "string"},
    {"name": "claim_amount", "type": "double"},
    {"name": "is_fraud", "type": "bigint"},
]


# ---------------------------------------------------------------- backend and project


def test_api_client_ticket_mode_reaches_the_double(dss_env: Any) -> None:
    import dataiku

    assert dataiku.api_client().get_auth_info()["authIdentifier"] == "admin"


def test_api_client_api_key_mode_uses_dss_url_and_key(dss_env: Any) -> None:
    import dataiku

    dss_env.use_api_key(ALICE_API_KEY)

    assert dataiku.api_client().get_auth_info()["authIdentifier"] == "ds.alice"


def test_api_client_without_location_raises(dss_env: Any) -> None:
    import dataiku

    dss_env.monkeypatch.delenv("DKU_API_TICKET")

    with pytest.raises(RuntimeError, match="Cannot locate DSS: set DKU_API_TICKET"):
        dataiku.api_client()


def test_set_remote_dss_overrides_environment(dss_env: Any) -> None:
    import dataiku

    dataiku.set_remote_dss(dss_env.double.url, ALICE_API_KEY)

    assert dataiku.api_client().get_auth_info()["authIdentifier"] == "ds.alice"


def test_default_project_key_reads_current_project(dss_env: Any) -> None:
    import dataiku

    assert dataiku.default_project_key() == "FRAUD"


def test_default_project_key_unset_raises_naming_variable(dss_env: Any) -> None:
    import dataiku

    dss_env.monkeypatch.delenv("DKU_CURRENT_PROJECT_KEY")

    with pytest.raises(RuntimeError, match="DKU_CURRENT_PROJECT_KEY is not set"):
        dataiku.default_project_key()


def test_get_default_project_of_real_client_uses_stand_in(dss_env: Any) -> None:
    import dataiku

    project = dataiku.api_client().get_default_project()

    assert project.get_summary()["name"] == "Dental claims fraud"


def test_get_custom_variables_local_overrides_standard_as_text(dss_env: Any) -> None:
    import dataiku

    variables = dataiku.get_custom_variables()
    typed = dataiku.get_custom_variables(typed=True)

    assert variables["min_auc"] == "0.9"
    assert typed["min_auc"] == 0.9
    assert typed["automation_node"] == "automation-prod"


# ---------------------------------------------------------------- plugin configuration


def test_customrecipe_roles_and_config_come_from_environment(dss_env: Any) -> None:
    from dataiku import customrecipe

    dss_env.set_recipe(
        inputs={"scored": ["claims_scored"], "reference": ["claims_train"]},
        outputs={"metrics": ["fraud_metrics"]},
        config={"min_auc": 0.9, "protected_attribute": "patient_gender"},
        plugin_config={"ledger_url": "sqlite:///ledger.db"},
    )

    assert customrecipe.get_input_names_for_role("scored") == ["FRAUD.claims_scored"]
    assert customrecipe.get_input_names_for_role("reference", full=False) == ["claims_train"]
    assert customrecipe.get_output_names_for_role("metrics") == ["FRAUD.fraud_metrics"]
    assert customrecipe.get_input_names_for_role("missing") == []
    assert customrecipe.get_recipe_config()["protected_attribute"] == "patient_gender"
    assert customrecipe.get_plugin_config() == {"ledger_url": "sqlite:///ledger.db"}
    assert customrecipe.get_recipe_resource().endswith("resource")


def test_customrecipe_config_unset_raises_naming_variable(dss_env: Any) -> None:
    from dataiku import customrecipe

    with pytest.raises(RuntimeError, match="DKU_CUSTOM_RECIPE_CONFIG is not set"):
        customrecipe.get_recipe_config()


def test_customrecipe_invalid_json_raises(dss_env: Any) -> None:
    from dataiku import customrecipe

    dss_env.monkeypatch.setenv("DKU_CUSTOM_RECIPE_CONFIG", "{min_auc: 0.9}")

    with pytest.raises(RuntimeError, match="DKU_CUSTOM_RECIPE_CONFIG is not valid JSON"):
        customrecipe.get_recipe_config()


def test_customstep_config_comes_from_environment(dss_env: Any) -> None:
    from dataiku import customstep

    dss_env.set_step({"auc_threshold": 0.88}, plugin_config={"ledger_url": "sqlite://"})

    assert customstep.get_step_config() == {"auc_threshold": 0.88}
    assert customstep.get_plugin_config() == {"ledger_url": "sqlite://"}


def test_customwebapp_config_comes_from_environment(dss_env: Any) -> None:
    from dataiku import customwebapp

    dss_env.set_webapp({"saved_model_id": "Zx7kQp2B"})

    assert customwebapp.get_webapp_config() == {"saved_model_id": "Zx7kQp2B"}


# ---------------------------------------------------------------- datasets


def test_iter_dataframes_csv_yields_chunks_of_chunksize(dss_env: Any) -> None:
    import dataiku

    dss_env.write_dataset("claims_scored", _claims(25), schema=CLAIMS_SCHEMA)

    chunks = list(dataiku.Dataset("claims_scored").iter_dataframes(chunksize=10))

    assert [len(c) for c in chunks] == [10, 10, 5]
    assert pd.concat(chunks)["claim_id"].tolist() == _claims(25)["claim_id"].tolist()


def test_iter_dataframes_parquet_yields_chunks_of_chunksize(dss_env: Any) -> None:
    import dataiku

    dss_env.write_dataset("claims_scored", _claims(7), file_format="parquet")

    chunks = list(dataiku.Dataset("FRAUD.claims_scored").iter_dataframes(chunksize=3))

    assert [len(c) for c in chunks] == [3, 3, 1]


def test_iter_dataframes_zero_chunksize_raises(dss_env: Any) -> None:
    import dataiku

    dss_env.write_dataset("claims_scored", _claims(3))

    with pytest.raises(ValueError, match="chunksize must be at least 1"):
        list(dataiku.Dataset("claims_scored").iter_dataframes(chunksize=0))


def test_get_dataframe_schema_types_keep_zip_codes_as_text(dss_env: Any) -> None:
    import dataiku

    dss_env.write_dataset("claims_scored", _claims(3), schema=CLAIMS_SCHEMA)
    dataset = dataiku.Dataset("claims_scored")

    typed = dataset.get_dataframe(infer_with_pandas=False)
    inferred = dataset.get_dataframe()

    assert typed["patient_zip"].tolist() == ["02115"] * 3
    assert inferred["patient_zip"].tolist() == [2115] * 3


def test_read_schema_from_schema_file(dss_env: Any) -> None:
    import dataiku

    dss_env.write_dataset("claims_scored", _claims(3), schema=CLAIMS_SCHEMA)

    assert dataiku.Dataset("claims_scored").read_schema() == CLAIMS_SCHEMA


def test_read_schema_without_schema_file_is_inferred(dss_env: Any) -> None:
    import dataiku

    dss_env.write_dataset("claims_scored", _claims(3))

    types = {c["name"]: c["type"] for c in dataiku.Dataset("claims_scored").read_schema()}

    assert types == {
        "claim_id": "string",
        "patient_zip": "bigint",
        "claim_amount": "double",
        "is_fraud": "bigint",
    }


def test_get_dataframe_missing_data_raises(dss_env: Any) -> None:
    import dataiku

    with pytest.raises(FileNotFoundError, match=r"Dataset FRAUD\.nothing has no data"):
        dataiku.Dataset("nothing").get_dataframe()


def test_write_with_schema_round_trip(dss_env: Any) -> None:
    import dataiku

    metrics = pd.DataFrame(
        {"metric": ["auc", "ks_max"], "value": [0.91, 0.07], "passed": [True, True]}
    )
    dataset = dataiku.Dataset("fraud_metrics")

    dataset.write_with_schema(metrics)

    assert dataset.read_schema() == [
        {"name": "metric", "type": "string"},
        {"name": "value", "type": "double"},
        {"name": "passed", "type": "boolean"},
    ]
    pd.testing.assert_frame_equal(dataset.get_dataframe(), metrics)


def test_get_writer_appends_chunks(dss_env: Any) -> None:
    import dataiku

    dataset = dataiku.Dataset("fraud_metrics")
    dataset.write_schema_from_dataframe(_claims(1))

    with dataset.get_writer() as writer:
        writer.write_dataframe(_claims(4))
        writer.write_dataframe(_claims(3))

    assert len(dataset.get_dataframe()) == 7


def test_writer_write_row_array_uses_schema_order(dss_env: Any) -> None:
    import dataiku

    dataset = dataiku.Dataset("fraud_metrics")
    dataset.write_schema(
        [{"name": "metric", "type": "string"}, {"name": "value", "type": "double"}]
    )

    with dataset.get_writer() as writer:
        writer.write_row_array(["auc", 0.91])

    assert dataset.get_dataframe().to_dict("records") == [{"metric": "auc", "value": 0.91}]


# ---------------------------------------------------------------- folders


def test_folder_round_trip_bytes_text_and_json(dss_env: Any) -> None:
    import dataiku

    folder = dataiku.Folder("evidence")
    folder.upload_data("/cards/model_card.html", "<h1>dental_fraud_classifier</h1>")
    folder.upload_stream("packets/arb.bin", io.BytesIO(b"\x00\x01"))
    folder.write_json("reference/summary.json", {"auc": 0.931})

    with folder.get_download_stream("/cards/model_card.html") as stream:
        html = stream.read().decode("utf-8")

    assert html == "<h1>dental_fraud_classifier</h1>"
    assert folder.read_json("/reference/summary.json") == {"auc": 0.931}
    assert folder.list_paths_in_partition() == [
        "/cards/model_card.html",
        "/packets/arb.bin",
        "/reference/summary.json",
    ]


def test_folder_get_info_points_at_local_directory(dss_env: Any) -> None:
    import dataiku

    info = dataiku.Folder("evidence").get_info()

    assert info["type"] == "Filesystem"
    assert info["path"] == str(dss_env.data_dir / "folders" / "evidence")
    assert dataiku.Folder("evidence").get_path() == info["path"]


def test_folder_path_leaving_folder_is_refused(dss_env: Any) -> None:
    import dataiku

    with pytest.raises(ValueError, match=r"leaves managed folder FRAUD\.evidence"):
        dataiku.Folder("evidence").upload_data("../escape.txt", b"x")


def test_folder_download_missing_file_raises(dss_env: Any) -> None:
    import dataiku

    with pytest.raises(FileNotFoundError, match=r"No file /nope\.txt in managed folder"):
        dataiku.Folder("evidence").get_download_stream("/nope.txt")


# -------------------------------------------------------- model and evaluation store


def test_model_by_name_lists_versions_from_the_double(dss_env: Any) -> None:
    import dataiku

    model = dataiku.Model("dental_fraud_classifier")

    assert model.get_id() == "Zx7kQp2B"
    assert [v["id"] for v in model.list_versions()] == ["v1", "v2", "v3"]


def test_model_activate_version_is_seen_by_the_double(dss_env: Any) -> None:
    import dataiku

    dataiku.Model("Zx7kQp2B").activate_version("v2")

    assert dataiku.Model("Zx7kQp2B").get_info()["activeVersion"] == "v2"


def test_model_get_predictor_is_not_supported(dss_env: Any) -> None:
    import dataiku

    with pytest.raises(NotImplementedError, match="cannot load a predictor"):
        dataiku.Model("Zx7kQp2B").get_predictor()


def test_model_evaluation_store_lists_runs(dss_env: Any) -> None:
    import dataiku

    store = dataiku.ModelEvaluationStore("fraud_monitoring")
    runs = store.list_runs()

    assert store.get_id() == "Mf9RqT1a"
    assert [r["evaluation"]["ref"]["evaluationId"] for r in runs] == [
        "eval-2024-05-31",
        "eval-2024-06-01",
    ]


# ---------------------------------------------------------------- macros


def test_result_table_to_dict_has_columns_and_records(dss_env: Any) -> None:
    from dataiku.runnables import ResultTable

    table = ResultTable()
    table.set_name("Bundles")
    table.add_column("bundle", "Bundle")
    table.add_column("auc", "AUC", "DOUBLE")
    table.add_record(["fraud_v1", 0.931])

    assert table.to_dict() == {
        "header": "",
        "columns": [
            {"name": "bundle", "displayName": "Bundle", "type": "STRING"},
            {"name": "auc", "displayName": "AUC", "type": "DOUBLE"},
        ],
        "records": [["fraud_v1", 0.931]],
        "name": "Bundles",
    }
    assert json.loads(table.to_json()) == table.to_dict()


def test_result_table_record_of_wrong_width_raises(dss_env: Any) -> None:
    from dataiku.runnables import ResultTable

    table = ResultTable()
    table.add_column("bundle", "Bundle")

    with pytest.raises(ValueError, match="Record has 2 values but the table has 1 columns"):
        table.add_record(["fraud_v1", "extra"])


def test_runnable_subclass_receives_dss_arguments(dss_env: Any) -> None:
    from dataiku.runnables import Runnable

    class ListBundles(Runnable):
        def run(self, progress_callback: Any) -> str:
            return f"{self.project_key}:{self.config['infra']}:{self.plugin_config['mode']}"

    macro = ListBundles("FRAUD", {"infra": "PROD-ML-01"}, {"mode": "strict"})

    assert macro.get_progress_target() is None
    assert macro.run(lambda progress: None) == "FRAUD:PROD-ML-01:strict"


# ---------------------------------------------------------------- scenarios


def test_scenario_set_variables_are_written_to_state_file(dss_env: Any) -> None:
    from dataiku.scenario import Scenario

    dss_env.set_scenario(variables={"min_auc": 0.9})

    Scenario().set_scenario_variables(auc_alert=True, auc_today=0.87)

    assert dss_env.read_scenario_state()["scenarioVariables"] == {
        "auc_alert": True,
        "auc_today": 0.87,
    }
    assert Scenario().get_all_variables() == {"min_auc": 0.9, "auc_alert": True, "auc_today": 0.87}


def test_scenario_previous_steps_outputs_come_from_state(dss_env: Any) -> None:
    from dataiku.scenario import Scenario

    outputs = [{"stepName": "evaluate", "result": {"outcome": "SUCCESS"}}]
    dss_env.set_scenario(previous_steps_outputs=outputs)

    assert Scenario().get_previous_steps_outputs() == outputs


def test_scenario_run_step_is_recorded_with_planned_result(dss_env: Any) -> None:
    from dataiku.scenario import Scenario

    dss_env.set_scenario(step_results={"retrain": {"outcome": "SUCCESS", "jobId": "J1"}})

    result = Scenario().run_step({"name": "retrain", "type": "build_flowitems"})

    assert result == {"outcome": "SUCCESS", "jobId": "J1"}
    assert dss_env.read_scenario_state()["stepsRun"][0]["step"]["name"] == "retrain"


def test_scenario_run_step_planned_failure_raises_when_fatal(dss_env: Any) -> None:
    from dataiku.scenario import Scenario

    dss_env.set_scenario(step_results={"retrain": {"outcome": "FAILED", "message": "no data"}})

    with pytest.raises(RuntimeError, match="Step retrain failed: no data"):
        Scenario().run_step({"name": "retrain"})
    handle = Scenario().run_step({"name": "retrain"}, asynchronous=True, fail_fatal=False)
    assert handle.wait_for_completion()["outcome"] == "FAILED"


def test_scenario_trigger_params_come_from_trigger_file(dss_env: Any) -> None:
    from dataiku.scenario import Scenario

    dss_env.set_scenario(trigger={"trigger": {"type": "temporal", "name": "Daily"}, "params": {}})

    scenario = Scenario()

    assert scenario.get_trigger_type() == "temporal"
    assert scenario.get_trigger_name() == "Daily"
    assert scenario.get_trigger_params() == {}


def test_scenario_without_state_variable_raises(dss_env: Any) -> None:
    from dataiku.scenario import Scenario

    dss_env.monkeypatch.delenv("DKU_STAND_IN_SCENARIO_STATE")

    with pytest.raises(RuntimeError, match="DKU_STAND_IN_SCENARIO_STATE is not set"):
        Scenario().get_all_variables()
