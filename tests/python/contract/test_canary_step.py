"""Contract: the 'Canary decision' scenario step, run as DSS runs it.

A canary is started with the macro (v1 of the saved model, approved, served by API
service version v2 next to v1); the step then reads a query log written where the
stand-in ``dataiku.Dataset`` finds it, with rows relative to now: inside the 24-hour
window, or 30 hours old.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pandas as pd
import pytest
from plugin_harness import MODEL_ID, run_step

from model_governance.core.errors import ConfigError, ConflictError, RuleBreachedError

DEPLOYMENT = "fraud_scoring-on-API-PROD-01"
QUERY_LOG = "api_query_log"
STEP = "canary-decision"
STEP_CONFIG = {
    "saved_model_id": "Zx7kQp2B",
    "version_id": "v1",
    "deployment_id": DEPLOYMENT,
    "window_hours": 24.0,
    "query_log_dataset": QUERY_LOG,
    "timestamp_column": "timestamp",
    "generation_column": "generation",
    "latency_column": "latency_ms",
    "status_column": "status",
    "on_breach": "fail",
}


def _requests(
    count: int, *, generation: str, hours_ago: float, latency: float, status: int
) -> pd.DataFrame:
    moment = datetime.now(timezone.utc) - timedelta(hours=hours_ago)
    return pd.DataFrame(
        {
            "timestamp": [(moment + timedelta(seconds=i)).isoformat() for i in range(count)],
            "generation": generation,
            "latency_ms": latency,
            "status": status,
        }
    )


def _healthy_canary() -> list[pd.DataFrame]:
    return [_requests(200, generation="v2", hours_ago=2, latency=40.0, status=200)]


def _failing_canary() -> list[pd.DataFrame]:
    # 30 failures out of 200 requests: an error rate of 15 %, above the 1 % limit.
    return [
        _requests(170, generation="v2", hours_ago=2, latency=40.0, status=200),
        _requests(30, generation="v2", hours_ago=1, latency=40.0, status=503),
    ]


def _canary_started(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))
    plugin.run(
        "canary-rollout",
        {
            "saved_model_id": "Zx7kQp2B",
            "version_id": "v1",
            "deployment_id": DEPLOYMENT,
            "new_generation": "v2",
        },
    )


def _run(plugin: Any, frames: list[pd.DataFrame], **config: Any) -> Any:
    plugin.env.write_dataset(QUERY_LOG, pd.concat(frames, ignore_index=True))
    plugin.env.set_step({**STEP_CONFIG, **config}, plugin.settings)
    plugin.env.set_scenario()
    return run_step(STEP)


def _mapping(plugin: Any) -> dict[str, Any]:
    record = plugin.double.state.api_deployer["deployments"][DEPLOYMENT]
    return dict(record["settings"]["generationsMapping"])


def _variables(plugin: Any) -> dict[str, Any]:
    return dict(plugin.env.read_scenario_state()["scenarioVariables"])


def test_canary_step_healthy_canary_is_promoted_to_all_traffic(plugin: Any) -> None:
    _canary_started(plugin)

    _run(plugin, _healthy_canary())

    assert _mapping(plugin) == {"mode": "SINGLE_GENERATION", "generation": "v2"}
    decided = plugin.events("canary.decided")[-1].payload
    assert decided["action"] == "promote"
    assert decided["measured"]["requests"] == 200
    assert decided["measured"]["auc"] is None
    assert plugin.events("canary.promoted")[-1].payload["new_generation"] == "v2"
    assert {"canary.decided", "canary.promoted"} <= set(plugin.dss_audit_actions())


def test_canary_step_promotion_sets_ok_variables(plugin: Any) -> None:
    _canary_started(plugin)

    _run(plugin, _healthy_canary())

    variables = _variables(plugin)
    assert variables["governance_canary_outcome"] == "ok"
    report = variables["governance_canary"]
    assert (report["action"], report["outcome"]) == ("promote", "ok")
    assert (report["current_generation"], report["new_generation"]) == ("v1", "v2")
    assert report["measured"]["error_rate"] == 0.0


def test_canary_step_failing_canary_rolls_back_and_fails_the_step(plugin: Any) -> None:
    _canary_started(plugin)

    with pytest.raises(RuleBreachedError, match=r"rolled back.*error rate 15\.00% is above"):
        _run(plugin, _failing_canary())

    assert _mapping(plugin) == {"mode": "SINGLE_GENERATION", "generation": "v1"}
    assert plugin.events("canary.decided")[-1].payload["action"] == "rollback"
    assert plugin.events("canary.rolled_back")[-1].payload["current_generation"] == "v1"
    assert _variables(plugin)["governance_canary_outcome"] == "breached"


def test_canary_step_rollback_with_warn_succeeds_and_sets_breached(plugin: Any) -> None:
    _canary_started(plugin)

    _run(plugin, _failing_canary(), on_breach="warn")

    assert _mapping(plugin) == {"mode": "SINGLE_GENERATION", "generation": "v1"}
    variables = _variables(plugin)
    assert variables["governance_canary_outcome"] == "breached"
    assert variables["governance_canary"]["action"] == "rollback"


def test_canary_step_ignores_other_generation_and_rows_outside_the_window(
    plugin: Any,
) -> None:
    _canary_started(plugin)
    frames = [
        *_healthy_canary(),
        # The current generation failing, and the canary failing 30 hours ago: neither
        # is the canary's traffic of the last 24 hours.
        _requests(100, generation="v1", hours_ago=1, latency=900.0, status=500),
        _requests(100, generation="v2", hours_ago=30, latency=900.0, status=500),
    ]

    _run(plugin, frames)

    measured = plugin.events("canary.decided")[-1].payload["measured"]
    assert (measured["requests"], measured["errors"]) == (200, 0)
    assert measured["p95_latency_ms"] == 40.0
    assert _mapping(plugin)["generation"] == "v2"


def test_canary_step_low_auc_of_latest_evaluation_rolls_back(plugin: Any) -> None:
    from model_governance.ledger import monitoring as records

    _canary_started(plugin)
    ledger = plugin.governance().ledger
    records.ensure_monitoring_tables(ledger)
    now = datetime.now(timezone.utc)
    with ledger.transaction() as tx:
        for days_ago, auc in ((2, 0.95), (1, 0.80)):
            end = now - timedelta(days=days_ago)
            records.insert_evaluation(
                tx,
                model_id=MODEL_ID,
                version="v1",
                window=(end - timedelta(days=1), end),
                metrics={"auc": auc},
                source="test",
                at=now,
            )

    _run(plugin, _healthy_canary(), on_breach="warn")

    decided = plugin.events("canary.decided")[-1].payload
    assert decided["measured"]["auc"] == pytest.approx(0.80)
    assert decided["action"] == "rollback"
    assert _mapping(plugin)["generation"] == "v1"


def test_canary_step_without_running_canary_is_refused(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))

    with pytest.raises(ConflictError, match=r"no canary is running.*Start canary rollout"):
        _run(plugin, _healthy_canary())

    assert plugin.events("canary.decided") == []


def test_canary_step_missing_query_log_column_is_named(plugin: Any) -> None:
    _canary_started(plugin)

    with pytest.raises(ConfigError, match="has no column responseTime; pick the columns"):
        _run(plugin, _healthy_canary(), latency_column="responseTime")

    assert plugin.events("canary.decided") == []
    assert _mapping(plugin)["mode"] == "MULTI_GENERATION"
