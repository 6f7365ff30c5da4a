"""Contract: 'Create approved bundle' and 'Publish bundle', run as DSS runs them."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from plugin_harness import MODEL_ID, SAVED_MODEL

from model_governance.core.errors import ConflictError, GateClosedError
from model_governance.core.workflow import Decision, Principal

CREATE = {"saved_model_id": SAVED_MODEL, "version_id": "v1"}


def test_create_bundle_of_approved_version_names_it_after_model_semver_and_day(
    plugin: Any,
) -> None:
    plugin.approve(plugin.submit("v1", semver="1.0"))

    plugin.run("create-approved-bundle", CREATE)

    (bundle,) = plugin.bundles()
    day = bundle.created_at[:10]
    assert bundle.bundle_id == f"dental-fraud-classifier-v1.0-approved-{day}"
    assert bundle.version == "v1"
    assert bundle.bundle_id in plugin.double.state.project("FRAUD")["bundles"]


def test_create_bundle_release_notes_carry_qualification_and_approvers(plugin: Any) -> None:
    qid = plugin.submit("v1")
    plugin.approve(qid)

    plugin.run("create-approved-bundle", CREATE)

    bundle_id = plugin.bundles()[0].bundle_id
    notes = plugin.double.state.project("FRAUD")["bundles"][bundle_id]["releaseNotes"]
    assert f"Qualification {qid}" in notes
    for approver in ("arb.chair", "steward.dan", "sec.lead", "mle.maria"):
        assert approver in notes


def test_create_bundle_records_hash_of_dss_archive(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))

    plugin.run("create-approved-bundle", CREATE)

    bundle = plugin.bundles()[0]
    archive = (
        plugin.double.client()
        .get_project("FRAUD")
        .get_exported_bundle_archive_stream(bundle.bundle_id)
    )
    assert bundle.archive_sha256 == hashlib.sha256(archive.content).hexdigest()


def test_create_bundle_makes_the_approved_version_active(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))
    plugin.double.client().get_project("FRAUD").get_saved_model(SAVED_MODEL).set_active_version(
        "v3"
    )

    plugin.run("create-approved-bundle", CREATE)

    exported = plugin.double.state.project("FRAUD")["bundles"][plugin.bundles()[0].bundle_id]
    shipped = exported["exportManifest"]["contentSummary"]["savedModels"]
    assert shipped == [{"id": SAVED_MODEL, "activeVersion": "v1"}]
    assert plugin.events("version.activated")[-1].payload["previous_active"] == "v3"


def test_create_bundle_without_activation_refuses_other_active_version(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))
    plugin.double.client().get_project("FRAUD").get_saved_model(SAVED_MODEL).set_active_version(
        "v3"
    )

    with pytest.raises(GateClosedError, match="the bundle would ship v3"):
        plugin.run("create-approved-bundle", {**CREATE, "activate_version": False})

    assert plugin.bundles() == []
    assert "bundle.create_refused" in plugin.dss_audit_actions()


def test_publish_approved_bundle_reaches_the_project_deployer(plugin: Any) -> None:
    bundle_id = plugin.approved_bundle("v1", "1.0")

    html = plugin.run("publish-bundle", {"bundle_id": bundle_id})

    packages = plugin.double.state.project_deployer["projects"]["FRAUD"]["packages"]
    assert bundle_id in [p["id"] for p in packages]
    assert plugin.bundles()[0].published_project_key == "FRAUD"
    assert f"Bundle {bundle_id} published" in html


def test_publish_same_bundle_twice_is_refused(plugin: Any) -> None:
    bundle_id = plugin.approved_bundle("v1", "1.0")
    plugin.run("publish-bundle", {"bundle_id": bundle_id})

    with pytest.raises(ConflictError, match="already published to FRAUD"):
        plugin.run("publish-bundle", {"bundle_id": bundle_id})


# Govern as the Govern half of the dual sign-off


def test_govern_feedback_signs_governance_roles_and_minor_issue_leaves_one_missing(
    plugin: Any,
) -> None:
    plugin.configure(govern_enabled=True)
    qid = plugin.submit("v1")
    plugin.approve(qid, roles=("review_board",))

    with pytest.raises(GateClosedError, match="ML Engineer sign-off missing") as refused:
        plugin.run("create-approved-bundle", CREATE)

    assert "MINOR_ISSUE is neither an approval nor a rejection" in str(refused.value)
    signed = plugin.governance().ledger.get_qualification(qid).signoffs
    assert {(s.role, s.actor) for s in signed} == {
        ("review_board", "arb.chair"),
        ("data_steward", "steward.dan"),
        ("security_lead", "sec.lead"),
    }
    assert "fb.1001" in next(s.comment for s in signed if s.role == "data_steward")


def test_govern_half_with_ml_engineer_signed_opens_the_gate(plugin: Any) -> None:
    plugin.configure(govern_enabled=True)
    qid = plugin.submit("v1")
    plugin.approve(qid, roles=("review_board",))
    with pytest.raises(GateClosedError):
        plugin.run("create-approved-bundle", CREATE)
    service = plugin.governance()
    maria = Principal("mle.maria", frozenset({"ml_engineer"}))
    service.sign(qid, maria, "ml_engineer", Decision.APPROVE, comment="rollback drill done")

    html = plugin.run("create-approved-bundle", CREATE)

    assert re.search(r"Approved bundle \S+ created", html)


def test_govern_node_named_in_settings_is_read_with_its_api_key(plugin: Any) -> None:
    plugin.configure(
        govern_enabled=True,
        govern_url=plugin.double.govern_url,
        govern_api_key=plugin.double.govern_api_key,
    )
    qid = plugin.submit("v1")
    plugin.approve(qid, roles=("review_board",))

    with pytest.raises(GateClosedError):
        plugin.run("create-approved-bundle", CREATE)

    read = plugin.events("govern.signoffs_read")[-1]
    assert read.payload["source"] == "Govern artifact ar.fraud_sm_v1 step review"
    assert read.payload["status"] == "APPROVED"
    assert (
        plugin.governance().ledger.latest_qualification(MODEL_ID, "v1").signoff_for("security_lead")
    )
