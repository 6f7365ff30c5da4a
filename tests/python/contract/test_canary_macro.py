"""Contract: 'Start canary rollout', run as DSS runs it, on the API Deployer double."""

from __future__ import annotations

from typing import Any

import pytest

from model_governance.core.errors import ConflictError, ExternalSystemError, GateClosedError

DEPLOYMENT = "fraud_scoring-on-API-PROD-01"
SINGLE_V1 = {"mode": "SINGLE_GENERATION", "generation": "v1"}


def _mapping(plugin: Any) -> dict[str, Any]:
    record = plugin.double.state.api_deployer["deployments"][DEPLOYMENT]
    return dict(record["settings"]["generationsMapping"])


def _deployed(plugin: Any) -> Any:
    return plugin.double.state.api_deployer["deployments"][DEPLOYMENT]["deployedMapping"]


def _start(plugin: Any, **form: Any) -> Any:
    config = {
        "saved_model_id": "Zx7kQp2B",
        "version_id": "v1",
        "deployment_id": DEPLOYMENT,
        "new_generation": "v2",
        **form,
    }
    return plugin.run("canary-rollout", config)


def test_canary_start_splits_traffic_90_10_from_the_policy_default(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))

    html = _start(plugin)

    expected = {
        "mode": "MULTI_GENERATION",
        "entries": [{"generation": "v1", "proba": 0.9}, {"generation": "v2", "proba": 0.1}],
    }
    assert _mapping(plugin) == pytest.approx(expected)
    assert _deployed(plugin) == _mapping(plugin)  # the update ran and succeeded
    assert "10%" in html
    assert "90%" in html


def test_canary_start_records_the_start_with_target_and_split(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))

    _start(plugin)

    started = plugin.events("canary.started")[-1].payload
    assert started["version"] == "v1"
    assert started["service"] == "fraud_scoring"
    assert started["deployment"] == DEPLOYMENT
    assert (started["current_generation"], started["new_generation"]) == ("v1", "v2")
    assert started["split"] == pytest.approx([0.9, 0.1])
    assert "canary.started" in plugin.dss_audit_actions()


def test_canary_start_honours_the_policy_canary_share(plugin: Any) -> None:
    plugin.configure(policy={"canary_share": 0.25})
    plugin.approve(plugin.submit("v1"))

    _start(plugin)

    shares = {e["generation"]: e["proba"] for e in _mapping(plugin)["entries"]}
    assert shares == pytest.approx({"v1": 0.75, "v2": 0.25})


def test_canary_start_keeps_the_named_current_generation(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))

    _start(plugin, new_generation="v1", current_generation="v2")

    shares = {e["generation"]: e["proba"] for e in _mapping(plugin)["entries"]}
    assert shares == pytest.approx({"v2": 0.9, "v1": 0.1})


def test_canary_start_unapproved_version_is_refused_by_the_gate(plugin: Any) -> None:
    plugin.submit("v1")  # submitted, not signed off

    with pytest.raises(GateClosedError, match="canary rollout"):
        _start(plugin)

    assert _mapping(plugin) == SINGLE_V1
    refusal = plugin.events("gate.refused")[-1]
    assert refusal.payload["action"] == "canary rollout"
    assert refusal.entity_id == "FRAUD.Zx7kQp2B/v1"
    assert plugin.events("canary.started") == []


def test_canary_start_failed_update_is_reported_recorded_and_routing_restored(
    plugin: Any,
) -> None:
    plugin.approve(plugin.submit("v1"))
    message = "API node api-prod-02 refused the service package"
    plugin.double.state.set_update_outcome("api", DEPLOYMENT, "FAILED", message)

    with pytest.raises(ExternalSystemError, match=f"{DEPLOYMENT}.*{message}"):
        _start(plugin)

    failed = plugin.events("canary.failed")[-1].payload
    assert DEPLOYMENT in failed["error"]
    assert message in failed["error"]
    assert failed["split"] == pytest.approx([0.9, 0.1])
    assert _mapping(plugin) == SINGLE_V1
    assert plugin.events("canary.started") == []
    assert "canary.failed" in plugin.dss_audit_actions()


def test_canary_start_unpublished_generation_is_refused_and_recorded(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))

    with pytest.raises(ExternalSystemError, match=r"v9: not a published version.*v1, v2, v3"):
        _start(plugin, new_generation="v9")

    assert "v9" in plugin.events("canary.failed")[-1].payload["error"]
    assert _mapping(plugin) == SINGLE_V1


def test_canary_start_on_a_split_deployment_is_refused(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))
    _start(plugin)

    with pytest.raises(ConflictError, match=r"already splits its traffic.*Canary decision"):
        _start(plugin, new_generation="v3")

    assert len(plugin.events("canary.started")) == 1
