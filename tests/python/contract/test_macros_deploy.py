"""Contract: 'Deploy', 'Roll back' and 'Prune bundles', run as DSS runs them."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from model_governance.core.errors import GateClosedError

PROD = "FRAUD-on-PROD-ML-01"


def _deployment(plugin: Any, deployment_id: str = PROD) -> dict[str, Any]:
    return plugin.double.state.project_deployer["deployments"][deployment_id]


def _compliance(plugin: Any) -> tuple[bytes, Any]:
    event = plugin.events("compliance.artifact_written")[-1]
    path = plugin.env.data_dir / "folders" / "compliance" / event.payload["path"]
    return path.read_bytes(), event


def test_deploy_to_prod_makes_model_live_and_records_it(plugin: Any) -> None:
    bundle_id = plugin.published_bundle("v1", "1.0")

    html = plugin.deploy(bundle_id)

    assert _deployment(plugin)["deployedBundleId"] == bundle_id
    live = plugin.events("model.live_in_production")[-1]
    assert (live.payload["bundle_id"], live.payload["infrastructure"]) == (bundle_id, "PROD-ML-01")
    assert "is live in production" in html
    assert {"deploy.started", "deploy.succeeded", "model.live_in_production"} <= set(
        plugin.dss_audit_actions()
    )


def test_deploy_writes_compliance_artifact_with_approvals_checks_and_hashes(
    plugin: Any,
) -> None:
    bundle_id = plugin.published_bundle("v1", "1.0")

    plugin.deploy(bundle_id)

    content, event = _compliance(plugin)
    assert hashlib.sha256(content).hexdigest() == event.payload["sha256"]
    record = json.loads(content)
    assert {a["role"]: a["actor"] for a in record["approvals"]} == {
        "review_board": "arb.chair",
        "data_steward": "steward.dan",
        "security_lead": "sec.lead",
        "ml_engineer": "mle.maria",
    }
    assert {c["check_id"]: c["status"] for c in record["checks"]}["sensitive_data"] == "pass"
    assert record["bundle"]["archive_sha256"] == plugin.bundles()[0].archive_sha256
    assert {d["kind"] for d in record["documents"]} == {
        "model_card", "experiment_summary", "review_packet",
    }  # fmt: skip
    assert record["policy"]["hash"] == plugin.governance().policy.content_hash
    assert record["deployment"]["govern_check_policy"] == "PREVENT"


def test_deploy_to_warn_infrastructure_warns_and_records_the_policy(plugin: Any) -> None:
    bundle_id = plugin.published_bundle("v1", "1.0", govern="NOT_GOVERNED")

    html = plugin.deploy(bundle_id, "STAGING-ML-01")

    assert "Govern check policy WARN" in html
    warning = plugin.events("deployment.govern_policy_warning")[-1]
    assert warning.payload["infrastructure"] == "STAGING-ML-01"
    assert _deployment(plugin, "FRAUD-on-STAGING-ML-01")["deployedBundleId"] == bundle_id


def test_deploy_scoring_schema_without_model_features_is_refused(plugin: Any) -> None:
    bundle_id = plugin.published_bundle("v1", "1.0")
    dataset = plugin.double.client().get_project("FRAUD").get_dataset("claims_scored")
    schema = dataset.get_schema()
    schema["columns"] = [c for c in schema["columns"] if c["name"] != "claim_amount"]
    dataset.set_schema(schema)

    with pytest.raises(GateClosedError, match="lacks the model's input features claim_amount"):
        plugin.deploy(bundle_id)

    assert _deployment(plugin)["deployedBundleId"] == "fraud_v1"
    assert plugin.events("deployment.refused")


def test_deploy_without_the_code_environment_is_refused(plugin: Any) -> None:
    bundle_id = plugin.published_bundle("v1", "1.0")
    envs = plugin.double.state.instance["codeEnvs"]
    envs[:] = [e for e in envs if e["envName"] != "py311_fraud"]

    with pytest.raises(GateClosedError, match="code environment py311_fraud is not present"):
        plugin.deploy(bundle_id)


def test_deploy_creates_deployment_on_infrastructure_without_one(plugin: Any) -> None:
    bundle_id = plugin.published_bundle("v1", "1.0")
    del plugin.double.state.project_deployer["deployments"][PROD]

    plugin.deploy(bundle_id)

    assert _deployment(plugin)["deployedBundleId"] == bundle_id
    assert plugin.events("deployment.created")


def test_rollback_redeploys_previous_approved_bundle_with_who_and_why(plugin: Any) -> None:
    plugin.add_version("v4")
    first = plugin.published_bundle("v1", "1.0")
    plugin.deploy(first)
    second = plugin.published_bundle("v4", "1.1")
    plugin.deploy(second)
    plugin.as_user("dku-ticket-alice-0002")

    html = plugin.run("roll-back", {"infrastructure": "PROD-ML-01", "reason": "AUC alert 0.86"})

    assert _deployment(plugin)["deployedBundleId"] == first
    rollback = plugin.events("rollback.succeeded")[-1]
    assert (rollback.actor, rollback.payload["bundle_id"]) == ("ds.alice", first)
    assert plugin.events("rollback.started")[-1].payload["reason"] == "AUC alert 0.86"
    assert f"it ran {second} before" in html


def test_prune_keeps_newest_deployed_and_rollback_target_only(plugin: Any) -> None:
    plugin.configure(policy={"bundles_kept": 1})
    plugin.add_version("v4")
    plugin.add_version("v5")
    ids = [plugin.published_bundle(v, s) for v, s in (("v1", "1.0"), ("v4", "1.1"), ("v5", "1.2"))]
    plugin.deploy(ids[2])

    table = plugin.run("prune-bundles", {}).to_dict()

    rows = {r[0]: (r[1], r[2]) for r in table["records"]}
    assert rows == {
        "fraud_v1": ("ignored", "not created through the gate (or already pruned); left in place"),
        ids[0]: ("removed", "older than the kept bundles"),
        ids[1]: ("kept", f"rollback target of {PROD}"),
        ids[2]: ("kept", f"used by deployment {PROD}"),
    }
    packages = plugin.double.state.project_deployer["projects"]["FRAUD"]["packages"]
    assert [p["id"] for p in packages] == ["fraud_v1", ids[1], ids[2]]
    assert [b.bundle_id for b in plugin.bundles()] == ids[1:]
