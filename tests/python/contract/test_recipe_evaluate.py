"""Contract: the 'Evaluate production model' recipe, run as DSS runs it."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd
import pytest
from plugin_harness import EVALUATE_FORM, MODEL_ID, claims_frames, run_recipe

from model_governance.core.errors import (
    ConfigError,
    ConflictError,
    ExternalSystemError,
    ValidationError,
)
from model_governance.ledger import monitoring as records

MES_ID = "Mf9RqT1a"
ADD_EVALUATION = "POST /projects/<project_key>/evaluationstores/<mes_id>/evaluations"


@pytest.fixture
def recipe(plugin: Any) -> Any:
    """The world with v1 submitted; ``run(...)`` runs the recipe as DSS does."""
    plugin.submit("v1")

    def run(
        config: dict[str, Any] | None = None,
        *,
        reference: bool = True,
        store: bool = True,
        scored: pd.DataFrame | None = None,
    ) -> None:
        if scored is not None:
            plugin.env.write_dataset("claims_scored", scored)
        inputs = {"scored": ["claims_scored"], "model": ["Zx7kQp2B"]}
        if reference:
            inputs["reference"] = ["claims_train"]
        outputs = {"metrics": ["model_metrics"]}
        if store:
            outputs["evaluation_store"] = [MES_ID]
        plugin.env.set_recipe(inputs, outputs, {**EVALUATE_FORM, **(config or {})}, plugin.settings)
        run_recipe("evaluate")

    plugin.run_recipe = run
    return plugin


def _metrics(world: Any) -> pd.DataFrame:
    return pd.read_csv(world.env.data_dir / "model_metrics.csv")


def _store_entry(world: Any, evaluation_id: str) -> dict[str, Any]:
    store = world.double.state.evaluation_store("FRAUD", MES_ID)
    return store["evaluations"][evaluation_id]["evaluation"]


def _tiny_scored() -> pd.DataFrame:
    scored = claims_frames(6)[1]
    scored["is_fraud"] = [0, 0, 1, 0, 1, 1]
    scored["proba_1"] = [0.1, 0.4, 0.35, 0.8, 0.7, 0.9]
    return scored


def test_recipe_records_evaluation_with_audit_event(recipe: Any) -> None:
    recipe.run_recipe()

    events = recipe.events("evaluation.recorded")
    assert len(events) == 1
    assert events[0].actor == "admin"
    assert events[0].entity_id == f"{MODEL_ID}/v1"
    record = records.latest_evaluation(recipe.governance().ledger, MODEL_ID)
    assert record is not None
    assert (record.version, record.metrics["rows"]) == ("v1", 1200)
    assert record.window_start.isoformat() == "2024-06-01T00:00:00+00:00"
    assert record.window_end.isoformat() == "2024-06-02T00:00:00+00:00"
    assert record.source == "dataset FRAUD.claims_scored"
    assert "evaluation.recorded" in recipe.dss_audit_actions()


def test_recipe_metrics_row_holds_hand_checked_auc(recipe: Any) -> None:
    recipe.run_recipe(scored=_tiny_scored())

    rows = _metrics(recipe)
    assert len(rows) == 1
    row = rows.iloc[0]
    # Positives score 0.35, 0.7, 0.9; negatives 0.1, 0.4, 0.8. Ordered pairs won:
    # 0.35 > 0.1; 0.7 > 0.1, 0.4; 0.9 > all three: 6 of 9.
    assert row["auc"] == pytest.approx(6 / 9)
    assert (row["rows"], row["rows_outside_window"], row["version"]) == (6, 0, "v1")
    assert row["model_id"] == MODEL_ID
    assert row["window_start"].startswith("2024-06-01 00:00:00")
    assert {"ks_claim_amount", "psi_claim_amount", "psi_procedure_code", "max_ks"} <= set(rows)
    assert "ks_procedure_code" not in rows  # categorical features get PSI only
    assert row["max_ks"] == pytest.approx(
        rows[[c for c in rows if c.startswith("ks_")]].max(axis=1).iloc[0]
    )
    # Six rows make every protected group smaller than the policy's minimum size.
    assert "disparate impact undefined" in row["notes"]


def test_recipe_disparate_impact_uses_prediction_column(recipe: Any) -> None:
    scored = claims_frames(1200)[1]
    scored["prediction"] = (scored["patient_gender"] == "male").astype(int)

    recipe.run_recipe(scored=scored)

    # Every male row is flagged: males' favourable rate is 0, so the ratio is 0.
    row = _metrics(recipe).iloc[0]
    assert row["disparate_impact_patient_gender"] == pytest.approx(0.0)
    assert row["disparate_impact"] == pytest.approx(0.0)


def test_recipe_sends_custom_evaluation_to_store_through_client(recipe: Any) -> None:
    seen = len(recipe.double.request_log)  # the log outlives each test's fresh world

    recipe.run_recipe()

    entry = _store_entry(recipe, "governance-1")
    codes = {m["metricCode"]: m["value"] for m in entry["customMetrics"]}
    assert {"auc", "drift_ks", "psi", "disparate_impact", "rows"} <= set(codes)
    assert codes["rows"] == 1200
    row = _metrics(recipe).iloc[0]
    assert codes["auc"] == pytest.approx(row["auc"])
    assert codes["drift_ks"] == pytest.approx(row["max_ks"])
    labels = {x["key"]: x["value"] for x in entry["userMeta"]["labels"]}
    assert labels["governance:version"] == "v1"
    assert labels["governance:window"] == "2024-06-01T00:00:00Z/2024-06-02T00:00:00Z"
    assert entry["modelRef"]["fullId"] == "S-FRAUD-Zx7kQp2B-v1"
    posted = [r for r in recipe.double.request_log[seen:] if r.route_id == ADD_EVALUATION]
    assert [r.status for r in posted] == [200]


def test_recipe_one_class_window_leaves_auc_out_of_store(recipe: Any) -> None:
    scored = claims_frames(1200)[1]
    scored["is_fraud"] = 0

    recipe.run_recipe(scored=scored)

    entry = _store_entry(recipe, "governance-1")
    codes = {m["metricCode"] for m in entry["customMetrics"]}
    assert "auc" not in codes
    assert {"drift_ks", "rows"} <= codes
    labels = {x["key"]: x["value"] for x in entry["userMeta"]["labels"]}
    assert labels["governance:undefined_metrics"].split(", ")[0] == "auc"
    assert "AUC undefined" in labels["governance:notes"]
    assert pd.isna(_metrics(recipe).iloc[0]["auc"])


def test_recipe_metrics_dataset_holds_every_window_of_the_model(recipe: Any) -> None:
    scored = claims_frames(1200)[1]
    recipe.run_recipe(scored=scored)
    recipe.run_recipe(
        {"window_last_day": "2024-06-02"}, scored=scored.assign(scored_at="2024-06-02")
    )

    rows = _metrics(recipe)
    assert [w[:10] for w in rows["window_start"]] == ["2024-06-01", "2024-06-02"]
    assert rows["evaluation_id"].is_unique


def test_recipe_without_store_output_writes_dataset_only(recipe: Any) -> None:
    seen = len(recipe.double.request_log)

    recipe.run_recipe(store=False)

    assert len(_metrics(recipe)) == 1
    assert not [r for r in recipe.double.request_log[seen:] if r.route_id == ADD_EVALUATION]


def test_recipe_without_reference_input_uses_stored_reference(recipe: Any) -> None:
    recipe.run_recipe()
    scored = claims_frames(1200, seed=12)[1].assign(scored_at="2024-06-02")

    recipe.run_recipe({"window_last_day": "2024-06-02"}, reference=False, scored=scored)

    assert len(recipe.events("reference.recorded")) == 1
    assert len(recipe.events("evaluation.recorded")) == 2
    row = _metrics(recipe).iloc[-1]
    assert row["window_start"].startswith("2024-06-02")
    assert row["ks_claim_amount"] < 0.15  # same distribution as the reference


def test_recipe_without_any_reference_fails_naming_input(recipe: Any) -> None:
    with pytest.raises(
        ValidationError,
        match=r"Reference dataset: none is set and no reference is stored for "
        r"FRAUD\.Zx7kQp2B v1; add the model's training dataset as the reference input",
    ):
        recipe.run_recipe(reference=False)
    assert not recipe.events("evaluation.recorded")


def test_recipe_missing_label_column_fails_naming_dataset(recipe: Any) -> None:
    with pytest.raises(
        ValidationError,
        match=r"Label column: 'outcome' is not a column of the scored dataset "
        r"FRAUD\.claims_scored; pick one of its columns",
    ):
        recipe.run_recipe({"label_column": "outcome"})


def test_recipe_missing_feature_fails_naming_dataset(recipe: Any) -> None:
    scored = claims_frames(1200)[1].drop(columns=["claim_amount"])

    with pytest.raises(
        ValidationError,
        match=r"Scored dataset FRAUD\.claims_scored: lacks the monitored feature\(s\) "
        r"claim_amount .*keep the model's input features",
    ):
        recipe.run_recipe(scored=scored)


def test_recipe_unregistered_version_fails(recipe: Any) -> None:
    with pytest.raises(
        ValidationError,
        match=r"Model version: v3 of FRAUD\.Zx7kQp2B is not registered .*submit it with "
        r"the macro 'Submit model version for review'",
    ):
        recipe.run_recipe({"version_id": "v3"})


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"window_last_day": "06/01/2024"}, r"Window's last day: '06/01/2024' is not a date "
         r"written YYYY-MM-DD; enter one such as 2024-06-01"),
        ({"window_last_day": "${scoring_day}"}, r"Window's last day: '\$\{scoring_day\}' names "
         r"a variable DSS did not define.*define the variable"),
        ({"window_last_day": ""}, r"Window's last day: is required; choose or enter it"),
        ({"window_days": 0.0}, r"Window length \(days\): 0 is outside \[1, 366\]; pick a value"),
        ({"window_days": 1.5}, r"Window length \(days\): expected a whole number, got 1\.5"),
        ({"threshold": 2.0}, r"Flag threshold: expected a number from 0 to 1, got 2\.0"),
        ({"prediction_column": ""}, r"Prediction column: is required; choose or enter it"),
        ({"window_mode": "data", "time_column": ""}, r"Time column: is empty while the "
         r"window spans the data's days; pick the column"),
        ({"if_evaluated": "skip"}, r"If the window was already evaluated: 'skip' is not one "
         r"of fail, keep; pick one"),
        ({"chunk_rows": 10.0}, r"Rows per chunk: 10 is outside \[1000, 5000000\]"),
    ],
)  # fmt: skip
def test_recipe_bad_setting_fails_naming_field(
    recipe: Any, override: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        recipe.run_recipe(override)
    assert not recipe.events("evaluation.recorded")


def test_recipe_shifted_feature_is_reported_as_drift(recipe: Any) -> None:
    scored = claims_frames(1200)[1]
    scored["claim_amount"] = scored["claim_amount"] * 3

    recipe.run_recipe(scored=scored)

    row = _metrics(recipe).iloc[0]
    assert "claim_amount" in row["drifted_features"].split(", ")
    assert row["ks_claim_amount"] > 0.5
    assert row["max_ks"] == pytest.approx(row["ks_claim_amount"])
    assert row["ks_num_procedures"] < 0.15


def test_recipe_time_column_leaves_out_rows_outside_window(recipe: Any) -> None:
    scored = claims_frames(1200)[1]
    scored.loc[scored.index[600:], "scored_at"] = "2024-06-02T08:30:00"

    recipe.run_recipe(scored=scored)

    row = _metrics(recipe).iloc[0]
    assert (row["rows"], row["rows_outside_window"]) == (600, 600)
    assert "600 rows outside the window" in row["notes"]


def test_recipe_window_from_data_spans_days_of_time_column(recipe: Any) -> None:
    scored = claims_frames(1200)[1]
    scored.loc[scored.index[600:], "scored_at"] = "2024-06-02T08:30:00"

    recipe.run_recipe({"window_mode": "data", "window_last_day": ""}, scored=scored)

    record = records.latest_evaluation(recipe.governance().ledger, MODEL_ID)
    assert record is not None
    assert record.window_start.isoformat() == "2024-06-01T00:00:00+00:00"
    assert record.window_end.isoformat() == "2024-06-03T00:00:00+00:00"
    assert record.metrics["rows"] == 1200


def test_recipe_window_without_rows_fails(recipe: Any) -> None:
    with pytest.raises(
        ValidationError,
        match=r"Scored dataset FRAUD\.claims_scored: no row falls in the window "
        r"2024-06-09.*check Window's last day",
    ):
        recipe.run_recipe({"window_last_day": "2024-06-09"})


def test_recipe_same_window_twice_fails_with_recorded_id(recipe: Any) -> None:
    recipe.run_recipe()

    with pytest.raises(
        ConflictError,
        match=r"If the window was already evaluated: FRAUD\.Zx7kQp2B v1 already has "
        r"evaluation 1 .*choose 'Keep the recorded evaluation'",
    ):
        recipe.run_recipe()
    assert len(recipe.events("evaluation.recorded")) == 1


def test_recipe_keep_mode_rewrites_outputs_without_recording(recipe: Any) -> None:
    recipe.run_recipe(store=False)

    recipe.run_recipe({"if_evaluated": "keep"})

    assert len(recipe.events("evaluation.recorded")) == 1
    row = _metrics(recipe).iloc[0]
    assert (row["evaluation_id"], row["rows"]) == (1, 1200)
    assert pd.isna(row["rows_outside_window"])  # not read again
    assert "governance-1" in recipe.double.state.evaluation_store("FRAUD", MES_ID)["evaluations"]


def test_recipe_store_failure_is_external_error_after_recording(recipe: Any) -> None:
    recipe.double.state.fail_next(ADD_EVALUATION, message="Store is locked")

    with pytest.raises(ExternalSystemError, match=r"adding an evaluation to model evaluation"):
        recipe.run_recipe()
    assert len(recipe.events("evaluation.recorded")) == 1


def test_recipe_logs_no_row_values(recipe: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    scored = claims_frames(1200)[1]

    recipe.run_recipe(scored=scored)

    text = caplog.text
    assert "rows read" in text
    assert not [v for v in scored["claim_id"].head(50) if v in text]
    assert "0.7" not in text  # no score
