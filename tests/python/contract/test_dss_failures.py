"""DSS failing mid-operation: the ledger stays consistent and the user is told.

Failures are injected in the double (an error answer, a failed long-running task);
each test checks the message, that no ledger row claims a success DSS did not report,
that the failure itself is an audit event, and that the chain still verifies.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from plugin_harness import MODEL_ID, SAVED_MODEL, SUBMIT_FORM

from model_governance.core.errors import ExternalSystemError, GateClosedError
from model_governance.core.workflow import QualificationState

PROD = "FRAUD-on-PROD-ML-01"
_P = "/projects/<project_key>"
_PD = "/project-deployer"


def _consistent(plugin: Any) -> None:
    assert plugin.governance().verify_audit().is_intact


def _deployed(plugin: Any) -> str:
    return plugin.double.state.project_deployer["deployments"][PROD]["deployedBundleId"]


def test_bundle_export_error_records_no_bundle(plugin: Any) -> None:
    plugin.approve(plugin.submit("v1"))
    plugin.double.state.fail_next(
        f"PUT {_P}/bundles/exported/<bundle_id>", message="Not enough space on device"
    )

    with pytest.raises(ExternalSystemError, match=r"Not enough space.*no bundle was recorded"):
        plugin.run("create-approved-bundle", {"saved_model_id": SAVED_MODEL, "version_id": "v1"})

    assert plugin.bundles() == []
    assert "bundle.create_failed" in plugin.dss_audit_actions()
    _consistent(plugin)


def test_publish_error_leaves_bundle_recorded_as_unpublished(plugin: Any) -> None:
    bundle_id = plugin.approved_bundle("v1", "1.0")
    plugin.double.state.fail_next(f"POST {_P}/bundles/<bundle_id>/publish", status=403,
                                  message="Action forbidden: no deployer permission")  # fmt: skip

    with pytest.raises(ExternalSystemError, match="still recorded as not published"):
        plugin.run("publish-bundle", {"bundle_id": bundle_id})

    assert not plugin.bundles()[0].is_published
    assert plugin.events("bundle.publish_failed")
    _consistent(plugin)

    plugin.run("publish-bundle", {"bundle_id": bundle_id})  # once DSS accepts, it works

    assert plugin.bundles()[0].is_published


def test_failed_update_future_records_failed_deployment_and_nothing_live(plugin: Any) -> None:
    bundle_id = plugin.published_bundle("v1", "1.0")
    plugin.double.state.set_update_outcome(
        "project", PROD, "FAILED", "Automation node PROD-ML-01: code env py311_fraud failed"
    )

    with pytest.raises(ExternalSystemError) as failed:
        plugin.deploy(bundle_id)

    message = str(failed.value)
    assert "code env py311_fraud failed" in message
    assert "records this attempt" in message
    assert "ran fraud_v1" in message
    assert plugin.events("deploy.failed")
    assert not plugin.events("model.live_in_production")
    assert not plugin.events("compliance.artifact_written")
    assert "deploy.failed" in plugin.dss_audit_actions()
    _consistent(plugin)


def test_govern_prevent_refusal_is_reported_and_recorded(plugin: Any) -> None:
    bundle_id = plugin.published_bundle("v1", "1.0", govern="NOT_GOVERNED")

    with pytest.raises(ExternalSystemError, match="Govern check policy PREVENT"):
        plugin.deploy(bundle_id)

    failed = plugin.events("deploy.failed")[-1]
    assert "governance status is NOT_GOVERNED" in failed.payload["error"]
    assert _deployed(plugin) == "fraud_v1"
    _consistent(plugin)


def test_failed_rollback_keeps_the_deployed_bundle_and_says_so(plugin: Any) -> None:
    plugin.add_version("v4")
    first = plugin.published_bundle("v1", "1.0")
    plugin.deploy(first)
    second = plugin.published_bundle("v4", "1.1")
    plugin.deploy(second)
    plugin.double.state.fail_next(
        f"POST {_PD}/deployments/<deployment_id>/actions/update", message="Deployer restarting"
    )

    with pytest.raises(ExternalSystemError, match=f"Deployer restarting.*ran {re.escape(second)}"):
        plugin.run("roll-back", {"infrastructure": "PROD-ML-01", "reason": "latency SLA breach"})

    assert plugin.events("rollback.failed")
    assert not [
        e for e in plugin.events("model.live_in_production") if e.payload["kind"] == "rollback"
    ]
    _consistent(plugin)


def test_prune_error_stops_and_keeps_the_bundle_approved(plugin: Any) -> None:
    plugin.configure(policy={"bundles_kept": 1})
    plugin.add_version("v4")
    plugin.add_version("v5")
    ids = [plugin.published_bundle(v, s) for v, s in (("v1", "1.0"), ("v4", "1.1"), ("v5", "1.2"))]
    plugin.deploy(ids[2])
    plugin.double.state.fail_next(
        f"DELETE {_PD}/projects/<published_project_key>/bundles/<bundle_id>"
    )

    with pytest.raises(
        ExternalSystemError, match=f"{re.escape(ids[0])} is still recorded as approved"
    ):
        plugin.run("prune-bundles", {})

    assert [b.bundle_id for b in plugin.bundles()] == ids
    assert plugin.events("bundle.prune_failed")
    _consistent(plugin)


def test_mail_failure_keeps_qualification_and_resubmitting_retries(plugin: Any) -> None:
    plugin.double.state.fail_next("POST /messaging-channels/<channel_id>/actions/send",
                                  message="SMTP server unreachable")  # fmt: skip

    with pytest.raises(
        ExternalSystemError, match=r"is recorded \(pending\).*SMTP server unreachable"
    ):
        plugin.submit("v1")

    q = plugin.governance().ledger.latest_qualification(MODEL_ID, "v1")
    assert q.state is QualificationState.PENDING
    assert plugin.double.state.sent_mail == []

    plugin.submit("v1")

    assert len(plugin.double.state.sent_mail) == 1
    assert len(plugin.governance().ledger.list_qualifications()) == 1
    _consistent(plugin)


def test_tag_failure_is_named_and_retried(plugin: Any) -> None:
    plugin.double.state.fail_next(f"PUT {_P}/savedmodels/<sm_id>/versions/<version_id>/user-meta")

    with pytest.raises(
        ExternalSystemError, match=r"tagging the version v1\.0-prod-candidate failed"
    ):
        plugin.submit("v1")

    plugin.submit("v1")

    version = plugin.double.state.saved_model_version("FRAUD", SAVED_MODEL, "v1")
    keys = [x["key"] for x in version["details"]["userMeta"]["labels"]]
    assert "governance:semantic_tag" in keys


def test_dss_audit_trail_failure_keeps_ledger_and_resends_later(plugin: Any) -> None:
    plugin.double.state.fail_next("POST /admin/audit/custom/<custom_type>")

    html = plugin.run("submit-for-review", {**SUBMIT_FORM, "version_id": "v1"})

    assert "could not be sent" in html
    assert plugin.dss_audit_actions() == []
    assert plugin.events("dss_audit.forward_failed")

    plugin.run("prune-bundles", {})

    sent = plugin.dss_audit_actions()
    assert sent[:5] == [
        "version.registered",
        "qualification.submitted",
        "checks.recorded",
        "documents.rendered",
        "review.requested",
    ]
    assert "dss_audit.forward_failed" in sent
    _consistent(plugin)


def test_govern_search_error_records_no_signoff(plugin: Any) -> None:
    plugin.configure(govern_enabled=True)
    qid = plugin.submit("v1")
    plugin.double.state.fail_next("POST /artifacts/search", message="Govern is upgrading")

    with pytest.raises(ExternalSystemError, match="Govern is upgrading"):
        plugin.run("create-approved-bundle", {"saved_model_id": SAVED_MODEL, "version_id": "v1"})

    assert plugin.governance().ledger.get_qualification(qid).signoffs == ()
    _consistent(plugin)


def test_unreachable_dss_fails_before_anything_is_recorded(plugin: Any) -> None:
    plugin.env.setenv("DKU_BACKEND_PORT", "9")  # discard port: nothing listens

    with pytest.raises(ExternalSystemError, match="DSS could not be reached"):
        plugin.submit("v1")

    assert plugin.events() == []


def test_refusal_after_dss_failure_still_reaches_the_audit_trail(plugin: Any) -> None:
    plugin.submit("v1")

    with pytest.raises(GateClosedError):
        plugin.run("create-approved-bundle", {"saved_model_id": SAVED_MODEL, "version_id": "v1"})

    assert plugin.dss_audit_actions()[-1] == "gate.refused"
