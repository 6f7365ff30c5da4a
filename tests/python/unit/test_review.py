"""Review requests and outside (Govern) sign-offs, with fake DSS ports."""

from __future__ import annotations

from dataclasses import replace

import pytest

from model_governance.core.errors import ConflictError, ExternalSystemError
from model_governance.core.workflow import QualificationState
from model_governance.review import (
    ExternalFeedback,
    ExternalReview,
    ReviewService,
    import_external_signoffs,
)

SUBMITTER = "sue.scientist"
GROUPS = {"stewards": "data_steward", "security": "security_lead", "mle": "ml_engineer",
          "arb": "review_board"}  # fmt: skip


class Store:
    def __init__(self, fail_on: str = "") -> None:
        self.files: dict[str, bytes] = {}
        self.fail_on = fail_on

    def write(self, path: str, content: bytes) -> str:
        if self.fail_on and self.fail_on in path:
            raise ExternalSystemError(f"writing {path}: folder full.")
        self.files[path] = content
        return f"docs:{path}"


class Registry:
    def __init__(self, docx: bytes | None = b"PK-docx", fail_tag: bool = False) -> None:
        self.docx = docx
        self.fail_tag = fail_tag
        self.tags: list[tuple[str, str, str]] = []

    def tag_version(self, model_id: str, version: str, *, tag: str, qualification_id: str) -> None:
        if self.fail_tag:
            raise ExternalSystemError("labelling: DSS answered 500.")
        self.tags.append((version, tag, qualification_id))

    def model_documentation(self, model_id: str, version: str) -> bytes | None:
        return self.docx


class Mailer:
    def __init__(self) -> None:
        self.sent: list[tuple[tuple[str, ...], str, str]] = []

    def notify(self, recipients, subject, body_html, attachments=()) -> None:
        self.sent.append((tuple(recipients), subject, body_html))


def _actions(ledger):
    return [e.action for e in ledger.iter_events()]


def _review(status="APPROVED", *feedback):
    return ExternalReview("Govern artifact ar.1 step review", status, tuple(feedback))


def _submitted(service, evidence_factory):
    evidence = evidence_factory()
    service.register(evidence, actor=SUBMITTER)
    return service.submit(evidence.model_id, "v1", actor=SUBMITTER).qualification


# Submit for review


def test_submit_stores_documents_tags_and_notifies(service, evidence_factory):
    store, registry, mailer = Store(), Registry(), Mailer()
    reviews = ReviewService(service, store=store, registry=registry, notifier=mailer)

    outcome = reviews.submit(evidence_factory(), actor=SUBMITTER, reviewers=["rita@x.example"])

    q = outcome.qualification
    assert q.state is QualificationState.PENDING
    assert len(outcome.documents) == 7  # three documents in HTML and JSON, plus DSS's .docx
    assert all(
        path.startswith(f"claims-fraud-detector/v1/{q.qualification_id}/") for path in store.files
    )
    assert registry.tags == [("v1", "v1.0-prod-candidate", q.qualification_id)]
    assert mailer.sent[0][0] == ("rita@x.example",)
    assert q.qualification_id in mailer.sent[0][1]
    assert _actions(service.ledger)[-1] == "review.requested"


def test_submit_again_with_same_evidence_resumes_open_qualification(service, evidence_factory):
    reviews = ReviewService(service, store=Store(), registry=Registry(), notifier=Mailer())
    first = reviews.submit(evidence_factory(), actor=SUBMITTER, reviewers=["r@x.example"])

    again = reviews.submit(evidence_factory(), actor=SUBMITTER, reviewers=["r@x.example"])

    assert again.is_resumed
    assert again.qualification.qualification_id == first.qualification.qualification_id


def test_submit_with_other_evidence_for_registered_version_is_a_conflict(service, evidence_factory):
    reviews = ReviewService(service, store=Store(), registry=Registry())
    reviews.submit(evidence_factory(), actor=SUBMITTER, reviewers=[])
    changed = replace(evidence_factory(), code_env="python-3.12")

    with pytest.raises(ConflictError, match="was registered with other evidence"):
        reviews.submit(changed, actor=SUBMITTER, reviewers=[])


def test_submit_failed_steps_keep_qualification_and_name_each_failure(service, evidence_factory):
    reviews = ReviewService(
        service, store=Store(fail_on="review_packet"), registry=Registry(fail_tag=True)
    )

    with pytest.raises(
        ExternalSystemError, match=r"is recorded .*review_packet.*tagging the version"
    ):
        reviews.submit(evidence_factory(), actor=SUBMITTER, reviewers=[])

    q = service.ledger.latest_qualification("claims-fraud", "v1")
    assert q.state is QualificationState.PENDING
    requested = [e for e in service.ledger.iter_events() if e.action == "review.requested"][-1]
    assert len(requested.payload["problems"]) == 3  # two review packet files and the tag


def test_submit_without_dss_documentation_or_mail_says_so(service, evidence_factory):
    reviews = ReviewService(service, store=Store(), registry=Registry(docx=None))

    outcome = reviews.submit(evidence_factory(), actor=SUBMITTER, reviewers=["r@x.example"])

    assert len(outcome.documents) == 6
    assert any("does not offer model documentation" in n for n in outcome.notes)
    assert any("not notified" in n for n in outcome.notes)


# Govern sign-offs


def test_import_approved_review_records_mapped_governance_roles(service, evidence_factory):
    q = _submitted(service, evidence_factory)
    review = _review(
        "APPROVED",
        ExternalFeedback("stewards", "dan.steward", "APPROVED", "no PHI", "fb.1"),
        ExternalFeedback("security", "sam.security", "APPROVED", "", "fb.2"),
    )

    report = import_external_signoffs(service, q.qualification_id, review, GROUPS, actor="ops")

    signed = service.ledger.get_qualification(q.qualification_id).signoffs
    assert [(s.role, s.actor) for s in signed] == [
        ("data_steward", "dan.steward"),
        ("security_lead", "sam.security"),
    ]
    assert "fb.1" in signed[0].comment
    assert len(report.recorded) == 2


def test_import_minor_issue_is_not_an_approval(service, evidence_factory):
    q = _submitted(service, evidence_factory)
    review = _review("APPROVED", ExternalFeedback("mle", "mia.engineer", "MINOR_ISSUE"))

    report = import_external_signoffs(service, q.qualification_id, review, GROUPS, actor="ops")

    assert service.ledger.get_qualification(q.qualification_id).signoffs == ()
    assert "MINOR_ISSUE is neither" in report.skipped[0]


def test_import_major_issue_rejects(service, evidence_factory):
    q = _submitted(service, evidence_factory)
    review = _review("APPROVED", ExternalFeedback("security", "sam.security", "MAJOR_ISSUE", "PHI"))

    import_external_signoffs(service, q.qualification_id, review, GROUPS, actor="ops")

    assert service.ledger.get_qualification(q.qualification_id).state is QualificationState.REJECTED


def test_import_review_not_yet_approved_records_nothing(service, evidence_factory):
    q = _submitted(service, evidence_factory)
    review = _review(
        "WAITING_FOR_FEEDBACK", ExternalFeedback("stewards", "dan.steward", "APPROVED")
    )

    report = import_external_signoffs(service, q.qualification_id, review, GROUPS, actor="ops")

    assert service.ledger.get_qualification(q.qualification_id).signoffs == ()
    assert "WAITING_FOR_FEEDBACK" in report.skipped[0]
    assert [e.action for e in service.ledger.iter_events()][-1] == "govern.signoffs_read"


def test_import_never_grants_the_review_board_role(service, evidence_factory):
    q = _submitted(service, evidence_factory)
    review = _review("APPROVED", ExternalFeedback("arb", "rita.board", "APPROVED"))

    report = import_external_signoffs(service, q.qualification_id, review, GROUPS, actor="ops")

    assert service.ledger.get_qualification(q.qualification_id).signoffs == ()
    assert "maps to no governance role" in report.skipped[0]


def test_import_submitter_feedback_is_refused_and_audited(service, evidence_factory):
    q = _submitted(service, evidence_factory)
    review = _review("APPROVED", ExternalFeedback("stewards", SUBMITTER, "APPROVED"))

    report = import_external_signoffs(service, q.qualification_id, review, GROUPS, actor="ops")

    assert "separation of duties" in report.refused[0]
    assert "signoff.refused" in [e.action for e in service.ledger.iter_events()]


def test_import_one_person_in_two_groups_signs_one_role_only(service, evidence_factory):
    q = _submitted(service, evidence_factory)
    review = _review(
        "APPROVED",
        ExternalFeedback("stewards", "dan.steward", "APPROVED"),
        ExternalFeedback("security", "dan.steward", "APPROVED"),
    )

    report = import_external_signoffs(service, q.qualification_id, review, GROUPS, actor="ops")

    assert [s.role for s in service.ledger.get_qualification(q.qualification_id).signoffs] == [
        "data_steward"
    ]
    assert "one person signs for one role" in report.refused[0]
