"""The bypass catalogue: every known way around the gate is refused and audited.

Each test attempts one bypass through the plugin's entry points (macros run as DSS
runs them, or the governance service the review webapp uses), checks that it is
refused with a message naming what is missing, that the refusal is an audit event in
the ledger, and that it reached the DSS audit trail.
"""

from __future__ import annotations

from typing import Any

import pytest
from plugin_harness import ALICE_TICKET, MODEL_ID, POLICY, SAVED_MODEL

from model_governance.core.errors import AuthorizationError, GateClosedError
from model_governance.core.workflow import Decision, Principal

PROD = "FRAUD-on-PROD-ML-01"


def _refusal_recorded(plugin: Any, action: str, text: str) -> None:
    """The last ``action`` event names ``text``, and DSS's audit trail has it too."""
    events = plugin.events(action)
    assert events, f"no {action} event in the ledger"
    assert text in str(events[-1].payload)
    assert action in plugin.dss_audit_actions()
    assert plugin.governance().verify_audit().is_intact


def _revoke(plugin: Any, version: str) -> None:
    service = plugin.governance()
    q = service.ledger.latest_qualification(MODEL_ID, version)
    chair = Principal("arb.chair", frozenset({"review_board"}))
    service.revoke(q.qualification_id, chair, reason="bias shift on patient_gender")


def test_bundle_before_approval_is_refused(plugin: Any) -> None:
    plugin.submit("v1")

    with pytest.raises(GateClosedError, match="Security Lead sign-off missing"):
        plugin.run("create-approved-bundle", {"saved_model_id": SAVED_MODEL, "version_id": "v1"})

    _refusal_recorded(plugin, "gate.refused", "Architecture Review Board sign-off missing")
    assert plugin.bundles() == []


def test_bundle_of_failing_version_names_every_missing_item(plugin: Any) -> None:
    plugin.submit("v3")

    with pytest.raises(GateClosedError) as refused:
        plugin.run("create-approved-bundle", {"saved_model_id": SAVED_MODEL, "version_id": "v3"})

    message = str(refused.value)
    assert "Security Lead sign-off missing" in message
    assert "AUC 0.874 is not above the policy threshold 0.90" in message
    assert "Code environment py311_fraud_experimental is not in the approved list" in message
    _refusal_recorded(plugin, "gate.refused", "AUC 0.874")


def test_publish_of_bundle_unknown_to_the_ledger_is_refused(plugin: Any) -> None:
    with pytest.raises(GateClosedError, match="holds no approved bundle fraud_v1_1"):
        plugin.run("publish-bundle", {"bundle_id": "fraud_v1_1"})

    _refusal_recorded(plugin, "bundle.publish_refused", "fraud_v1_1")
    packages = plugin.double.state.project_deployer["projects"]["FRAUD"]["packages"]
    assert [p["id"] for p in packages] == ["fraud_v1"]


def test_publish_of_bundle_whose_approval_was_revoked_is_refused(plugin: Any) -> None:
    bundle_id = plugin.approved_bundle("v1", "1.0")
    _revoke(plugin, "v1")

    with pytest.raises(GateClosedError, match="is revoked, not approved"):
        plugin.run("publish-bundle", {"bundle_id": bundle_id})

    _refusal_recorded(plugin, "gate.refused", f"publish bundle {bundle_id}")


def test_deploy_of_bundle_unknown_to_the_ledger_is_refused(plugin: Any) -> None:
    with pytest.raises(GateClosedError, match="holds no approved bundle fraud_v1 "):
        plugin.deploy("fraud_v1")

    _refusal_recorded(plugin, "deployment.refused", "fraud_v1")


def test_deploy_of_unapproved_bundle_is_refused_before_dss_is_asked(plugin: Any) -> None:
    bundle_id = plugin.published_bundle("v1", "1.0")
    _revoke(plugin, "v1")
    updates_before = len(
        plugin.double.requests_to(
            "POST /project-deployer/deployments/<deployment_id>/actions/update"
        )
    )

    with pytest.raises(GateClosedError, match="is revoked, not approved"):
        plugin.deploy(bundle_id)

    _refusal_recorded(plugin, "gate.refused", f"deploy bundle {bundle_id} to PROD-ML-01")
    updates = plugin.double.requests_to(
        "POST /project-deployer/deployments/<deployment_id>/actions/update"
    )
    assert len(updates) == updates_before
    assert (
        plugin.double.state.project_deployer["deployments"][PROD]["deployedBundleId"] == "fraud_v1"
    )


def test_rollback_to_bundle_not_approved_is_refused(plugin: Any) -> None:
    bundle_id = plugin.published_bundle("v1", "1.0")
    plugin.deploy(bundle_id)

    with pytest.raises(GateClosedError, match="holds no approved bundle fraud_v1 "):
        plugin.run(
            "roll-back",
            {"infrastructure": "PROD-ML-01", "reason": "incident", "target_bundle": "fraud_v1"},
        )

    _refusal_recorded(plugin, "rollback.refused", "fraud_v1")
    assert (
        plugin.double.state.project_deployer["deployments"][PROD]["deployedBundleId"] == bundle_id
    )


def test_model_version_changed_after_approval_is_refused(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))
    dataset = plugin.double.client().get_project("FRAUD").get_dataset("claims_train")
    schema = dataset.get_schema()
    for column in schema["columns"]:
        if column["name"] == "member_state":
            column["meaning"] = "phi"  # the steward now marks a feature column as PHI
    dataset.set_schema(schema)

    with pytest.raises(GateClosedError, match="the version changed since it was reviewed"):
        plugin.run("create-approved-bundle", {"saved_model_id": SAVED_MODEL, "version_id": "v1"})

    _refusal_recorded(plugin, "gate.refused", "the version changed since it was reviewed")
    assert plugin.bundles() == []


def test_approval_replayed_for_another_version_is_refused(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))

    with pytest.raises(GateClosedError, match="version v3 is not registered"):
        plugin.run("create-approved-bundle", {"saved_model_id": SAVED_MODEL, "version_id": "v3"})

    _refusal_recorded(plugin, "gate.refused", "create the approved bundle of FRAUD.Zx7kQp2B v3")
    assert plugin.bundles() == []


def test_approval_replayed_through_active_version_is_refused(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))
    plugin.double.client().get_project("FRAUD").get_saved_model(SAVED_MODEL).set_active_version(
        "v3"
    )

    with pytest.raises(GateClosedError, match="version v3 is not registered"):
        plugin.run("create-approved-bundle", {"saved_model_id": SAVED_MODEL})

    _refusal_recorded(plugin, "gate.refused", "v3")


def test_submitter_approving_own_version_is_refused(plugin: Any) -> None:
    groups = {**POLICY["role_groups"], "data_scientists": ["ml_engineer"]}
    plugin.configure(policy={"role_groups": groups})
    plugin.as_user(ALICE_TICKET)
    qid = plugin.submit("v1")
    service = plugin.governance()
    alice = Principal("ds.alice", service.policy.roles_for_groups(("data_scientists",)))

    with pytest.raises(AuthorizationError, match="may not sign it for any role"):
        service.sign(qid, alice, "ml_engineer", Decision.APPROVE, comment="looks good to me")

    plugin.run("prune-bundles", {})  # the next macro copies the refusal to DSS
    _refusal_recorded(plugin, "signoff.refused", "separation of duties")


def test_one_person_signing_two_roles_is_refused(plugin: Any) -> None:
    qid = plugin.submit("v1")
    service = plugin.governance()
    dan = Principal("steward.dan", frozenset({"data_steward", "security_lead"}))
    service.sign(qid, dan, "data_steward", Decision.APPROVE, comment="no PHI among features")

    with pytest.raises(AuthorizationError, match="one person signs for one role"):
        service.sign(qid, dan, "security_lead", Decision.APPROVE, comment="base image ok")

    plugin.run("prune-bundles", {})
    _refusal_recorded(plugin, "signoff.refused", "security_lead")
    assert [s.role for s in service.ledger.get_qualification(qid).signoffs] == ["data_steward"]
