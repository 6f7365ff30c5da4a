"""Contract: the monitoring scenario steps, run as DSS runs them.

Each test approves v1 of the fixture model through the macros, records evaluations
in the plugin's ledger as the evaluation recipe would, then executes the step's
``step.py`` with the step settings, plugin settings and scenario state DSS gives it.
Alerts go to a local Slack/PagerDuty stand-in; DSS calls go to the DSS double.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pytest
from plugin_harness import MODEL_ID, SAVED_MODEL, run_step
from webhook_receiver import PAGERDUTY_PATH, ROUTING_KEY, SLACK_PATH

from model_governance.core.errors import (
    ConfigError,
    GateClosedError,
    NotFoundError,
    RuleBreachedError,
)


@pytest.fixture
def approved(plugin: Any) -> Any:
    """The plugin world with v1 approved (AUC 0.931 at approval)."""
    plugin.approve(plugin.submit("v1"))
    return plugin


def _run(plugin: Any, step: str, config: dict[str, Any], **settings: Any) -> dict[str, Any]:
    """Run a step; return the scenario variables it set (also when it failed)."""
    plugin.env.set_step(config, {**plugin.settings, **settings})
    if not plugin.env.scenario_state_path.exists():
        plugin.env.set_scenario()
    run_step(step)
    return _variables(plugin)


def _variables(plugin: Any) -> dict[str, Any]:
    return dict(plugin.env.read_scenario_state()["scenarioVariables"])


def _alerting(receiver: Any) -> dict[str, Any]:
    """The 'Alerting' preset as DSS resolves it: INT fields as floats."""
    return {**receiver.settings(max_attempts=3.0, backoff_seconds=0.0)}


def _form(**fields: Any) -> dict[str, Any]:
    return {"saved_model_id": SAVED_MODEL, **fields}


# AUC alert


def test_auc_alert_below_threshold_notifies_both_channels_and_fails_step(
    approved: Any, receiver: Any
) -> None:
    evaluation_id = approved.record_evaluation(1, auc=0.85)

    with pytest.raises(RuleBreachedError, match=r"AUC 0\.8500 is below the alert threshold 0\.88"):
        _run(approved, "auc-alert", _form(alerting=_alerting(receiver)))

    variables = _variables(approved)
    assert variables["governance_auc_alert_outcome"] == "breached"
    rule = variables["governance_auc_alert"]["rules"][0]
    assert (rule["rule"], rule["episode"]) == ("auc_alert", "opened")
    assert {d["status"] for d in rule["deliveries"]} == {"delivered"}
    (slack,) = receiver.bodies(SLACK_PATH)
    (page,) = receiver.bodies(PAGERDUTY_PATH)
    assert "AUC" in slack["text"]
    assert (page["event_action"], page["routing_key"]) == ("trigger", ROUTING_KEY)
    assert page["dedup_key"].startswith(f"model-governance:{MODEL_ID}:auc_alert:")
    raised = approved.events("alert.raised")[-1]
    assert raised.payload["evaluation_id"] == evaluation_id


def test_auc_alert_set_to_warn_passes_and_alerts_once_per_episode(
    approved: Any, receiver: Any
) -> None:
    approved.record_evaluation(1, auc=0.85)
    form = _form(alerting=_alerting(receiver), on_breach="warn")

    first = _run(approved, "auc-alert", form)
    approved.record_evaluation(2, auc=0.84)
    second = _run(approved, "auc-alert", form)

    assert first["governance_auc_alert_outcome"] == "breached"
    assert second["governance_auc_alert"]["rules"][0]["episode"] == "continued"
    assert len(receiver.bodies(SLACK_PATH)) == 1
    assert len(receiver.bodies(PAGERDUTY_PATH)) == 1


def test_auc_alert_at_threshold_is_within_and_sends_nothing(approved: Any, receiver: Any) -> None:
    approved.record_evaluation(1, auc=0.88)

    variables = _run(approved, "auc-alert", _form(alerting=_alerting(receiver)))

    assert variables["governance_auc_alert_outcome"] == "ok"
    assert receiver.requests == []


def test_auc_alert_failing_webhook_is_retried_and_recorded(approved: Any, receiver: Any) -> None:
    approved.record_evaluation(1, auc=0.85)
    receiver.statuses = [500, 500, 500]

    _run(approved, "auc-alert", _form(alerting=_alerting(receiver), on_breach="warn"))

    deliveries = _variables(approved)["governance_auc_alert"]["rules"][0]["deliveries"]
    by_channel = {d["channel"]: d for d in deliveries}
    assert (by_channel["slack"]["status"], by_channel["slack"]["attempts"]) == ("failed", 3)
    assert by_channel["pagerduty"]["status"] == "delivered"
    assert approved.events("alert.delivery_failed")
    assert approved.events("alert.raised")


def test_auc_alert_secrets_never_reach_logs_or_variables(
    approved: Any, receiver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    approved.record_evaluation(1, auc=0.85)
    receiver.statuses = [500, 500, 500]
    receiver.echo_secret = True
    caplog.set_level(logging.DEBUG)

    _run(approved, "auc-alert", _form(alerting=_alerting(receiver), on_breach="warn"))

    stored = json.dumps(_variables(approved)) + json.dumps(
        [e.payload for e in approved.events()], default=str
    )
    for secret in (ROUTING_KEY, SLACK_PATH):
        assert secret not in caplog.text
        assert secret not in stored


def test_auc_alert_without_evaluation_names_the_recipe(approved: Any) -> None:
    with pytest.raises(NotFoundError, match=r"has no evaluation to run.*evaluation recipe"):
        _run(approved, "auc-alert", _form())


def test_alerting_preset_with_bad_url_is_refused_without_quoting_it(approved: Any) -> None:
    approved.record_evaluation(1, auc=0.85)
    preset = {"slack_webhook_url": "hooks.slack.com/services/SECRET"}

    with pytest.raises(ConfigError, match="slack_webhook_url: expected an http") as raised:
        _run(approved, "auc-alert", _form(alerting=preset))
    assert "SECRET" not in str(raised.value)


# AUC drop and bias shift


def test_auc_drop_and_low_disparate_impact_flag_the_model(approved: Any, receiver: Any) -> None:
    approved.record_evaluation(1, auc=0.87, di=0.7)

    with pytest.raises(RuleBreachedError, match="AUC"):
        _run(approved, "auc-drop-bias-shift", _form(alerting=_alerting(receiver)))

    rules = _variables(approved)["governance_auc_drop_bias_shift"]["rules"]
    assert {r["rule"]: r["status"] for r in rules} == {
        "auc_drop": "breached",
        "bias_shift": "breached",
    }
    assert len(approved.events("model.flagged")) == 2
    assert len(receiver.bodies(SLACK_PATH)) == 2
    assert receiver.bodies(PAGERDUTY_PATH) == []


def test_auc_drop_just_inside_the_margin_does_not_flag(approved: Any) -> None:
    # 5 % below the approval AUC 0.931 is 0.88445; 0.885 is inside.
    approved.record_evaluation(1, auc=0.885, di=0.95)

    variables = _run(approved, "auc-drop-bias-shift", _form())

    assert variables["governance_auc_drop_bias_shift_outcome"] == "ok"
    assert approved.events("model.flagged") == []


def test_auc_drop_flag_in_govern_writes_the_status_field(approved: Any) -> None:
    approved.record_evaluation(1, auc=0.87, di=0.95)
    form = _form(flag_in_govern=True, on_breach="warn")

    variables = _run(approved, "auc-drop-bias-shift", form, govern_enabled=True)

    artifact_id = variables["governance_auc_drop_bias_shift"]["govern"]
    from model_governance.dss.production import read_govern_status

    artifact = approved.double.state.govern["artifacts"][artifact_id]
    assert artifact["fields"]["dss_saved_model_version_id"] == "v1"
    status = read_govern_status(artifact)
    assert status is not None
    assert [f["rule"] for f in status["open_flags"]] == ["auc_drop"]
    assert approved.events("govern.status_published")


def test_flag_in_govern_without_govern_settings_names_the_fix(approved: Any) -> None:
    approved.record_evaluation(1, auc=0.87)

    with pytest.raises(ConfigError, match=r"Publish to Govern.*turn on Dataiku Govern"):
        _run(approved, "auc-drop-bias-shift", _form(flag_in_govern=True, on_breach="warn"))
    assert approved.events("govern.status_failed")


# Drift and retraining


def _retraining_runs(plugin: Any) -> list[dict[str, Any]]:
    return list(plugin.double.state.scenario("FRAUD", "RETRAIN_FRAUD")["runs"])


def test_drift_runs_the_retraining_scenario_once_per_episode(approved: Any) -> None:
    evaluation_id = approved.record_evaluation(1, ks=0.2)
    form = _form(retraining_scenario="RETRAIN_FRAUD", on_breach="warn")

    first = _run(approved, "drift-retraining", form)
    approved.record_evaluation(2, ks=0.25)
    _run(approved, "drift-retraining", form)

    runs = _retraining_runs(approved)
    assert len(runs) == 1
    request = runs[0]["trigger"]["params"]["model_governance"]
    assert (request["model_id"], request["evaluation_id"]) == (MODEL_ID, evaluation_id)
    retraining = first["governance_drift"]["rules"][0]["retraining"]
    assert (retraining["status"], retraining["run_id"]) == ("started", runs[0]["runId"])


def test_drift_just_below_the_limit_does_not_retrain(approved: Any) -> None:
    approved.record_evaluation(1, ks=0.149)

    variables = _run(approved, "drift-retraining", _form(retraining_scenario="RETRAIN_FRAUD"))

    assert variables["governance_drift_outcome"] == "ok"
    assert _retraining_runs(approved) == []


def test_drift_episode_inside_the_cool_down_does_not_retrain_again(approved: Any) -> None:
    form = _form(retraining_scenario="RETRAIN_FRAUD", on_breach="warn")
    for day, ks in ((1, 0.2), (2, 0.05), (3, 0.3)):
        approved.record_evaluation(day, ks=ks)
        variables = _run(approved, "drift-retraining", form)

    assert len(_retraining_runs(approved)) == 1
    retraining = variables["governance_drift"]["rules"][0]["retraining"]
    assert retraining["status"] == "skipped"
    assert "cool-down" in retraining["detail"]


def test_drift_step_without_retraining_scenario_names_the_field(approved: Any) -> None:
    with pytest.raises(ConfigError, match="Retraining scenario: is required"):
        _run(approved, "drift-retraining", _form())


def test_drift_retraining_scenario_missing_is_recorded_as_failed(approved: Any) -> None:
    approved.record_evaluation(1, ks=0.2)

    variables = _run(
        approved, "drift-retraining", _form(retraining_scenario="NO_SUCH", on_breach="warn")
    )

    retraining = variables["governance_drift"]["rules"][0]["retraining"]
    assert retraining["status"] == "failed"
    assert approved.events("retraining.failed")


# Gate check


def test_gate_check_passes_for_the_approved_version(approved: Any) -> None:
    variables = _run(approved, "gate-check", _form(version_id="v1"))

    gate = variables["governance_gate"]
    assert (variables["governance_gate_outcome"], gate["state"]) == ("ok", "approved")
    assert len(gate["fingerprint"]) == 64


def test_gate_check_fails_for_a_version_under_review(approved: Any) -> None:
    approved.add_version("v2")
    approved.submit("v2", "1.1")

    with pytest.raises(RuleBreachedError, match="v2"):
        _run(approved, "gate-check", _form(version_id="v2"))
    assert _variables(approved)["governance_gate_outcome"] == "breached"


def test_gate_check_fails_for_an_unregistered_version(approved: Any) -> None:
    approved.add_version("v3")

    with pytest.raises(GateClosedError, match="scenario gate check refused"):
        _run(approved, "gate-check", _form(version_id="v3"))
    assert approved.events("gate.refused")


def test_gate_check_fails_when_the_evidence_changed_since_approval(approved: Any) -> None:
    state = approved.double.state
    with state.lock:
        version = state.saved_model("FRAUD", SAVED_MODEL)["versions"]["v1"]
        version["details"]["perf"]["tiMetrics"]["auc"] = 0.99

    with pytest.raises(RuleBreachedError, match=r"changed since it was reviewed \(evidence"):
        _run(approved, "gate-check", _form(version_id="v1"))


# SLA


def _query_log(plugin: Any, latencies: list[float], **extra: list[Any]) -> None:
    now = datetime.now(timezone.utc)
    frame = pd.DataFrame(
        {
            "timestamp": [
                (now - timedelta(minutes=5 + i)).isoformat() for i in range(len(latencies))
            ],
            "response_time_ms": latencies,
            "http_status": [200] * len(latencies),
            "service_id": ["fraud-api"] * len(latencies),
            **extra,
        }
    )
    plugin.env.write_dataset("api_query_log", frame)


def _sla_form(receiver: Any, **fields: Any) -> dict[str, Any]:
    form = _form(
        service_id="fraud-api",
        query_log_dataset="api_query_log",
        timestamp_column="timestamp",
        latency_column="response_time_ms",
        status_column="http_status",
        service_column="service_id",
        window_hours=24.0,
        alerting=_alerting(receiver),
    )
    return {**form, **fields}


def test_sla_p95_at_limit_breaches_and_pages(approved: Any, receiver: Any) -> None:
    _query_log(approved, [40.0] * 90 + [100.0] * 10)

    with pytest.raises(RuleBreachedError, match="p95 latency 100 ms is not below 100 ms"):
        _run(approved, "sla-check", _sla_form(receiver))

    sla = _variables(approved)["governance_sla"]["rules"][0]
    assert (sla["subject"], sla["measured"]["requests"]) == ("fraud-api", 100)
    assert len(receiver.bodies(PAGERDUTY_PATH)) == 1


def test_sla_ignores_other_services_and_rows_outside_the_window(
    approved: Any, receiver: Any
) -> None:
    _query_log(approved, [40.0] * 20)
    frame = pd.read_csv(approved.env.data_dir / "api_query_log.csv")
    old = datetime.now(timezone.utc) - timedelta(days=3)
    extra = pd.DataFrame(
        {
            "timestamp": [old.isoformat()] * 5 + [frame["timestamp"][0]] * 5,
            "response_time_ms": [900.0] * 10,
            "http_status": [503] * 10,
            "service_id": ["fraud-api"] * 5 + ["other-api"] * 5,
        }
    )
    approved.env.write_dataset("api_query_log", pd.concat([frame, extra]))

    variables = _run(approved, "sla-check", _sla_form(receiver))

    sla = variables["governance_sla"]["rules"][0]["measured"]
    assert (sla["requests"], sla["errors"], sla["p95_latency_ms"]) == (20, 0, 40.0)
    assert variables["governance_sla_outcome"] == "ok"


def test_sla_error_rate_over_limit_breaches(approved: Any, receiver: Any) -> None:
    _query_log(approved, [40.0] * 100)
    frame = pd.read_csv(approved.env.data_dir / "api_query_log.csv")
    frame.loc[:4, "http_status"] = 500
    approved.env.write_dataset("api_query_log", frame)

    variables = _run(approved, "sla-check", _sla_form(receiver, on_breach="warn"))

    assert variables["governance_sla"]["rules"][0]["measured"]["error_rate"] == 0.05
    assert variables["governance_sla_outcome"] == "breached"


def test_sla_missing_column_names_dataset_and_column(approved: Any, receiver: Any) -> None:
    _query_log(approved, [40.0] * 10)

    with pytest.raises(ConfigError, match="api_query_log: has no column latency"):
        _run(approved, "sla-check", _sla_form(receiver, latency_column="latency"))


def test_sla_both_failure_columns_are_refused(approved: Any, receiver: Any) -> None:
    with pytest.raises(ConfigError, match="fill exactly one"):
        _run(approved, "sla-check", _sla_form(receiver, error_column="failed"))


# Status


def test_publish_status_records_health_and_open_flags(approved: Any) -> None:
    approved.record_evaluation(1, auc=0.85)
    _run(approved, "auc-alert", _form(on_breach="warn"))

    variables = _run(approved, "publish-status", {"saved_model_ids": [SAVED_MODEL]})

    (status,) = variables["governance_status"]["models"]
    assert (status["model_id"], status["version"]) == (MODEL_ID, "v1")
    assert status["governance_state"] == "approved"
    assert [f["rule"] for f in status["open_flags"]] == ["auc_alert"]
    assert approved.events("status.published")[-1].payload["open_flags"] == ["auc_alert"]


def test_publish_status_to_govern_writes_each_model(approved: Any) -> None:
    approved.record_evaluation(1)
    config = {"saved_model_ids": [SAVED_MODEL], "publish_to_govern": True}

    variables = _run(approved, "publish-status", config, govern_enabled=True)

    from model_governance.dss.production import GOVERN_STATUS_FIELD

    (status,) = variables["governance_status"]["models"]
    artifact = approved.double.state.govern["artifacts"][status["govern_artifact"]]
    assert json.loads(artifact["fields"][GOVERN_STATUS_FIELD])["health"] == status["health"]


def test_publish_status_with_nothing_in_production_says_so(approved: Any) -> None:
    variables = _run(approved, "publish-status", {})

    assert "no model is in production" in variables["governance_status"]["summary"]


# Retrained version, fast track


def _retrained_form(version: str) -> dict[str, Any]:
    return _form(
        version_id=version,
        documents_folder="governance_docs",
        evaluation_dataset="claims_scored",
        sample_rows=200.0,
    )


def test_retrained_version_inside_envelope_gets_board_sign_off_by_rule(approved: Any) -> None:
    approved.add_version("v2", auc=0.94)

    variables = _run(approved, "submit-retrained", _retrained_form("v2"))

    retrained = variables["governance_retrained"]
    assert variables["governance_retrained_outcome"] == "ok"
    assert (retrained["fast_track"], retrained["semver"]) == (True, "1.1")
    q = approved.governance().ledger.get_qualification(retrained["qualification_id"])
    assert q.is_fast_track
    assert {s.role for s in q.signoffs if s.is_by_rule} == {"review_board"}
    assert q.state.value == "in_review"  # the governance roles still sign in person
    kinds = {path.rsplit("/", 1)[-1].split("-", 1)[0] for path in retrained["documents"]}
    assert {"model_card", "experiment_summary", "review_packet"} <= kinds
    assert approved.events("fast_track.evaluated")[-1].payload["is_inside"] is True


def test_retrained_version_outside_envelope_waits_for_full_review(approved: Any) -> None:
    approved.add_version("v3", auc=0.80)

    variables = _run(approved, "submit-retrained", _retrained_form("v3"))

    retrained = variables["governance_retrained"]
    assert variables["governance_retrained_outcome"] == "breached"
    assert retrained["fast_track"] is False
    assert any("AUC" in r for r in retrained["reasons"])
    q = approved.governance().ledger.get_qualification(retrained["qualification_id"])
    assert not [s for s in q.signoffs if s.is_by_rule]


def test_retrained_version_records_the_retraining_request_that_started_it(
    approved: Any,
) -> None:
    approved.add_version("v2", auc=0.94)
    request = {"model_id": MODEL_ID, "version": "v1", "episode_id": 3, "evaluation_id": 7}
    approved.env.set_scenario(
        trigger={"trigger": {"type": "manual"}, "params": {"model_governance": request}}
    )

    variables = _run(approved, "submit-retrained", _retrained_form("v2"))

    assert variables["governance_retrained"]["retraining_request"] == request


def test_retrained_step_without_approved_version_points_to_the_macro(plugin: Any) -> None:
    with pytest.raises(NotFoundError, match=r"has no approved version.*Submit model version"):
        _run(plugin, "submit-retrained", _retrained_form("v1"))
