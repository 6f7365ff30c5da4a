"""Contract: the 'Submit model version for review' macro, run as DSS runs it."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from plugin_harness import ALICE_TICKET, MODEL_ID, SUBMIT_FORM, claims_frames

from model_governance.core.errors import ConfigError, ConflictError, ExternalSystemError
from model_governance.core.workflow import QualificationState


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_submit_clean_version_opens_qualification_and_reports_checks(plugin: Any) -> None:
    html = plugin.run("submit-for-review", {**SUBMIT_FORM, "version_id": "v1"})

    q = plugin.governance().ledger.latest_qualification(MODEL_ID, "v1")
    assert q.state is QualificationState.PENDING
    assert q.submitter == "admin"
    statuses = {c.check_id: c.status.value for c in q.checks}
    assert statuses == {
        "auc": "pass",
        "drift_history": "not_applicable",
        "code_env": "pass",
        "rollback": "fail",  # no rollback drill yet
        "disparate_impact": "pass",
        "sensitive_data": "pass",
        "audit_trail": "pass",
    }
    assert f"Qualification {q.qualification_id} opened" in _text(html)


def test_submit_writes_documents_to_managed_folder(plugin: Any) -> None:
    qid = plugin.submit("v1")

    folder = plugin.env.data_dir / "folders" / "governance_docs" / "dental-fraud-classifier" / "v1"
    names = sorted(p.name for p in (folder / qid).iterdir())
    assert names == [
        "dss_model_documentation.docx",
        "experiment_summary-FRAUD.Zx7kQp2B-v1.html",
        "experiment_summary-FRAUD.Zx7kQp2B-v1.json",
        "model_card-FRAUD.Zx7kQp2B-v1.html",
        "model_card-FRAUD.Zx7kQp2B-v1.json",
        "review_packet-FRAUD.Zx7kQp2B-v1.html",
        "review_packet-FRAUD.Zx7kQp2B-v1.json",
    ]


def test_submit_tags_version_with_semantic_tag_and_qualification(plugin: Any) -> None:
    qid = plugin.submit("v1", semver="1.0")

    version = plugin.double.state.saved_model_version("FRAUD", "Zx7kQp2B", "v1")
    labels = {x["key"]: x["value"] for x in version["details"]["userMeta"]["labels"]}
    assert labels["governance:semantic_tag"] == "v1.0-prod-candidate"
    assert labels["governance:qualification"] == qid
    assert labels["governance:risk_tier"] == "high"  # existing labels are kept


def test_submit_mails_assigned_reviewers_through_channel(plugin: Any) -> None:
    qid = plugin.submit("v1")

    (mail,) = plugin.double.state.sent_mail
    assert mail["channelId"] == "governance-mail"
    assert mail["to"] == ["raj.patel@insurer.example", "dan.okafor@insurer.example"]
    assert qid in mail["subject"]
    assert "Rollback prepared and tested" in mail["body"]


def test_submit_phi_version_fails_sensitive_check_naming_the_features(plugin: Any) -> None:
    plugin.submit("v2")

    q = plugin.governance().ledger.latest_qualification(MODEL_ID, "v2")
    check = next(c for c in q.checks if c.check_id == "sensitive_data")
    assert check.status.value == "fail"
    assert check.measured == ["birth_date", "patient_name", "ssn"]


def test_submit_records_actions_in_ledger_and_dss_audit_trail(plugin: Any) -> None:
    plugin.submit("v1")

    actions = [e.action for e in plugin.events()]
    assert actions[:5] == [
        "version.registered",
        "qualification.submitted",
        "checks.recorded",
        "documents.rendered",
        "review.requested",
    ]
    assert plugin.dss_audit_actions() == actions[:5]


def test_submit_as_another_user_records_that_user(plugin: Any) -> None:
    plugin.as_user(ALICE_TICKET)

    plugin.submit("v1")

    q = plugin.governance().ledger.latest_qualification(MODEL_ID, "v1")
    assert q.submitter == "ds.alice"
    assert plugin.double.state.audit_log[0]["authIdentifier"] == "ds.alice"


def test_submit_again_resumes_open_qualification(plugin: Any) -> None:
    first = plugin.submit("v1")

    html = plugin.run("submit-for-review", {**SUBMIT_FORM, "version_id": "v1"})

    assert f"Qualification {first} resumed" in _text(html)
    assert len(plugin.governance().ledger.list_qualifications()) == 1


def test_submit_changed_description_for_registered_version_is_refused(plugin: Any) -> None:
    plugin.submit("v1")

    with pytest.raises(ConflictError, match="registered with other evidence"):
        plugin.run(
            "submit-for-review", {**SUBMIT_FORM, "version_id": "v1", "purpose": "Something else."}
        )


def test_submit_without_graphical_export_notes_missing_dss_documentation(plugin: Any) -> None:
    plugin.double.state.instance["graphicalExportEnabled"] = False

    html = plugin.run("submit-for-review", {**SUBMIT_FORM, "version_id": "v1"})

    assert "does not offer model documentation export" in _text(html)


def test_submit_bad_semantic_version_names_the_field(plugin: Any) -> None:
    with pytest.raises(ConfigError, match=r"Semantic version: 'one' is not MAJOR\.MINOR"):
        plugin.run("submit-for-review", {**SUBMIT_FORM, "semver": "one"})


def test_submit_logs_no_sampled_value(plugin: Any, caplog: pytest.LogCaptureFixture) -> None:
    train, _ = claims_frames()
    caplog.set_level(logging.DEBUG)

    plugin.submit("v2")

    secrets = [
        *train["ssn"].head(50),
        *train["patient_name"].head(50),
        *train["birth_date"].head(50),
    ]
    assert caplog.records
    assert not [s for s in secrets if s in caplog.text]


def test_submit_with_a_non_mail_channel_keeps_qualification_and_names_the_setting(
    plugin: Any,
) -> None:
    plugin.configure(mail_channel_id="ml-ops-slack")

    with pytest.raises(ExternalSystemError, match="ml-ops-slack is not a mail channel"):
        plugin.run("submit-for-review", {**SUBMIT_FORM, "version_id": "v1"})

    assert plugin.governance().ledger.latest_qualification(MODEL_ID, "v1") is not None
