"""Contract: the Govern node (artifacts, search, sign-offs) through GovernClient."""

from __future__ import annotations

from typing import Any

import pytest
from dataikuapi.govern.artifact_search import (
    GovernArtifactFilterArchivedStatus,
    GovernArtifactFilterArtifacts,
    GovernArtifactFilterBlueprints,
    GovernArtifactFilterFieldValue,
    GovernArtifactSearchQuery,
    GovernArtifactSearchSortName,
)
from dataikuapi.utils import DataikuException

MODEL_VERSION_BP = "bp.system.govern_model_version"


def _search(govern: Any, *filters: Any, sort: Any = None, page_size: int = 20) -> Any:
    query = GovernArtifactSearchQuery(artifact_filters=list(filters), artifact_search_sort=sort)
    return govern.new_artifact_search_request(query), page_size


def _hit_ids(response: Any) -> list[str]:
    return [hit.to_artifact().artifact_id for hit in response.get_response_hits()]


def test_get_definition_returns_fields_and_blueprint(govern_client: Any) -> None:
    definition = govern_client.get_artifact("ar.fraud_sm_v1").get_definition()

    assert definition.get_raw()["fields"]["dss_saved_model_version_id"] == "v1"
    assert definition.get_blueprint_version().blueprint_id == MODEL_VERSION_BP


def test_get_definition_unknown_artifact_raises_not_found(govern_client: Any) -> None:
    with pytest.raises(DataikuException, match=r"Artifact does not exist: ar\.nope"):
        govern_client.get_artifact("ar.nope").get_definition()


def test_definition_save_changed_field_is_read_back(govern_client: Any) -> None:
    definition = govern_client.get_artifact("ar.fraud_sm_v2").get_definition()
    definition.get_raw()["fields"]["risk_tier"] = "critical"

    definition.save()

    again = govern_client.get_artifact("ar.fraud_sm_v2").get_definition().get_raw()
    assert again["fields"]["risk_tier"] == "critical"


def test_create_artifact_gets_an_id_and_is_readable(govern_client: Any) -> None:
    artifact = govern_client.create_artifact(
        {
            "name": "dental_fraud_classifier v3",
            "blueprintVersionId": {
                "blueprintId": MODEL_VERSION_BP,
                "versionId": "bv.system.default",
            },
            "fields": {"dss_saved_model_version_id": "v3"},
        }
    )

    assert artifact.get_definition().get_raw()["name"] == "dental_fraud_classifier v3"


def test_create_artifact_without_blueprint_raises_bad_request(govern_client: Any) -> None:
    with pytest.raises(DataikuException, match="needs blueprintVersionId"):
        govern_client.create_artifact({"name": "orphan"})


def test_search_blueprint_filter_returns_model_versions(govern_client: Any) -> None:
    request, size = _search(govern_client, GovernArtifactFilterBlueprints([MODEL_VERSION_BP]))

    assert _hit_ids(request.fetch_next_batch(size)) == [
        "ar.fraud_sm_v1",
        "ar.fraud_sm_v2",
        "ar.legacy_model",
    ]


def test_search_field_and_archived_filters_combine(govern_client: Any) -> None:
    request, size = _search(
        govern_client,
        GovernArtifactFilterFieldValue("EQUALS", condition="FRAUD", field_id="dss_project_key"),
        GovernArtifactFilterArchivedStatus(is_archived=False),
        GovernArtifactFilterArtifacts(["ar.fraud_sm_v2", "ar.fraud_bundle_v1", "ar.legacy_model"]),
    )

    assert _hit_ids(request.fetch_next_batch(size)) == ["ar.fraud_bundle_v1", "ar.fraud_sm_v2"]


def test_search_pages_continue_after_last_artifact(govern_client: Any) -> None:
    request, _ = _search(govern_client, sort=GovernArtifactSearchSortName())

    first = _hit_ids(request.fetch_next_batch(page_size=2))
    second = _hit_ids(request.fetch_next_batch(page_size=2))

    # Names sort as strings: "Dental...", "FRAUD...", "Legacy...", "dental_fraud...".
    assert first == ["ar.fraud_project", "ar.fraud_bundle_v1"]
    assert second == ["ar.legacy_model", "ar.fraud_sm_v1"]


def test_search_unknown_condition_raises_bad_request(govern_client: Any) -> None:
    request, size = _search(
        govern_client, GovernArtifactFilterFieldValue("MATCHES", condition="x", field_id="f")
    )

    with pytest.raises(DataikuException, match="Unsupported field filter"):
        request.fetch_next_batch(size)


def test_list_signoffs_approved_model_version(govern_client: Any) -> None:
    signoffs = govern_client.get_artifact("ar.fraud_sm_v1").list_signoffs()

    assert [s.get_raw()["status"] for s in signoffs] == ["APPROVED"]
    assert signoffs[0].to_signoff().step_id == "review"


def test_signoff_feedbacks_and_approval_are_readable(govern_client: Any) -> None:
    signoff = govern_client.get_artifact("ar.fraud_sm_v1").get_signoff("review")

    feedbacks = [f.get_raw() for f in signoff.list_feedbacks()]
    approval = signoff.get_approval().get_definition().get_raw()

    assert [(f["groupId"], f["user"], f["status"]) for f in feedbacks] == [
        ("data_steward", "steward.dan", "APPROVED"),
        ("security", "sec.lead", "APPROVED"),
        ("ml_engineering", "mle.maria", "MINOR_ISSUE"),
    ]
    assert approval["user"] == "arb.chair"
    assert approval["status"] == "APPROVED"


def test_signoff_get_details_lists_groups_and_approvers(govern_client: Any) -> None:
    details = govern_client.get_artifact("ar.fraud_sm_v2").get_signoff("review").get_details()

    assert details.get_raw()["approvers"] == ["arb.chair"]
    assert len(details.get_raw()["feedbackGroups"]) == 3


def test_signoff_without_approval_get_approval_raises(govern_client: Any) -> None:
    signoff = govern_client.get_artifact("ar.fraud_sm_v2").get_signoff("review")

    with pytest.raises(ValueError, match="Unable to find the approver response"):
        signoff.get_approval().get_definition()


def test_add_feedback_all_groups_moves_to_waiting_for_approval(govern_client: Any) -> None:
    signoff = govern_client.get_artifact("ar.fraud_sm_v2").get_signoff("review")

    for group in ("data_steward", "security", "ml_engineering"):
        signoff.add_feedback(group, "MAJOR_ISSUE", comment="ssn used as a feature")

    assert signoff.get_definition().get_raw()["status"] == "WAITING_FOR_APPROVAL"


def test_add_feedback_unknown_group_raises_not_found(govern_client: Any) -> None:
    signoff = govern_client.get_artifact("ar.fraud_sm_v2").get_signoff("review")

    with pytest.raises(DataikuException, match="Feedback group does not exist: legal"):
        signoff.add_feedback("legal", "APPROVED")


def test_add_approval_rejected_closes_signoff(govern_client: Any) -> None:
    signoff = govern_client.get_artifact("ar.fraud_sm_v2").get_signoff("review")

    signoff.add_approval("REJECTED", comment="PHI among features")

    definition = signoff.get_definition().get_raw()
    assert definition["status"] == "REJECTED"
    assert definition["approverResponse"]["comment"] == "PHI among features"


def test_add_approval_on_closed_signoff_raises(govern_client: Any) -> None:
    signoff = govern_client.get_artifact("ar.fraud_sm_v1").get_signoff("review")

    with pytest.raises(DataikuException, match="is already APPROVED"):
        signoff.add_approval("REJECTED")


def test_govern_log_custom_audit_is_recorded(dss_double: Any, govern_client: Any) -> None:
    govern_client.log_custom_audit("model-governance.signoff", {"artifact": "ar.fraud_sm_v2"})

    assert dss_double.state.audit_log[-1]["customMsgType"] == "model-governance.signoff"


def test_govern_node_refuses_dss_api_key(dss_double: Any) -> None:
    govern = dss_double.govern_client(api_key=dss_double.api_key)

    with pytest.raises(DataikuException, match="unknown Govern API key"):
        govern.get_auth_info()
