"""Review requests: submit a version for review, and count Govern's sign-offs.

DSS-free, like :mod:`model_governance.deployment`: documents go to a
:class:`~model_governance.deployment.DocumentStore`, the version is tagged and DSS
model documentation fetched through a :class:`ModelRegistry`, reviewers are told through
a :class:`Notifier`.

Submitting commits the qualification first. The steps after it (documents, tag, mail)
talk to DSS; when one fails, the others still run, every outcome is recorded in one
``review.requested`` audit event, and :class:`ExternalSystemError` says what is missing.
Submitting the same version again with the same evidence resumes the open qualification
and retries those steps.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from model_governance.core import workflow as wf
from model_governance.core.errors import (
    AuthorizationError,
    ConflictError,
    ExternalSystemError,
)
from model_governance.core.evidence import Evidence
from model_governance.core.hashing import sha256_hex
from model_governance.deployment import DocumentStore, model_slug
from model_governance.services import GovernanceService, Submission

log = logging.getLogger(__name__)

GOVERN_APPROVED = "APPROVED"
FEEDBACK_DECISIONS = {"APPROVED": wf.Decision.APPROVE, "MAJOR_ISSUE": wf.Decision.REJECT}
"""Govern feedback that counts: an approval, or a major issue (a rejection)."""

__all__ = [
    "Attachment",
    "ExternalFeedback",
    "ExternalReview",
    "ImportReport",
    "ModelRegistry",
    "Notifier",
    "ReviewOutcome",
    "ReviewService",
    "StoredDocument",
    "import_external_signoffs",
]


# Ports


@dataclass(frozen=True)
class Attachment:
    """A file sent with a notification."""

    filename: str
    content: bytes
    media_type: str


class ModelRegistry(Protocol):
    """The saved model's versions in DSS."""

    def tag_version(self, model_id: str, version: str, *, tag: str, qualification_id: str) -> None:
        """Label the version with its semantic tag and qualification."""
        ...

    def model_documentation(self, model_id: str, version: str) -> bytes | None:
        """DSS's model document (.docx), or None when the instance does not offer it."""
        ...


class Notifier(Protocol):
    """A mail channel."""

    def notify(
        self,
        recipients: Sequence[str],
        subject: str,
        body_html: str,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        """Send one message to the recipients."""
        ...


# Results


@dataclass(frozen=True)
class StoredDocument:
    """A document written to the document store."""

    kind: str
    media_type: str
    path: str
    location: str
    sha256: str


@dataclass(frozen=True)
class ReviewOutcome:
    """What submitting for review did."""

    submission: Submission
    is_resumed: bool
    documents: tuple[StoredDocument, ...]
    tag: str
    notified: tuple[str, ...]
    notes: tuple[str, ...]

    @property
    def qualification(self) -> wf.Qualification:
        """The open qualification."""
        return self.submission.qualification


@dataclass(frozen=True)
class ExternalFeedback:
    """One reviewer's answer in an outside sign-off (a Govern feedback response)."""

    group: str
    user: str
    status: str
    comment: str = ""
    reference: str = ""


@dataclass(frozen=True)
class ExternalReview:
    """An outside sign-off (Govern workflow step): its status and its feedback."""

    source: str
    status: str
    feedback: tuple[ExternalFeedback, ...] = ()


@dataclass(frozen=True)
class ImportReport:
    """Which outside answers became ledger sign-offs, and why the others did not."""

    source: str
    status: str
    recorded: tuple[str, ...]
    skipped: tuple[str, ...]
    refused: tuple[str, ...]


# Submission


class ReviewService:
    """Submit a version for review: qualification, documents, tag, reviewers told."""

    def __init__(
        self,
        governance: GovernanceService,
        *,
        store: DocumentStore,
        registry: ModelRegistry,
        notifier: Notifier | None = None,
    ):
        self.governance = governance
        self.store = store
        self.registry = registry
        self.notifier = notifier

    def submit(self, evidence: Evidence, *, actor: str, reviewers: Sequence[str]) -> ReviewOutcome:
        """Register (once), submit, and run the follow-up steps; see the module docs."""
        submission, is_resumed = self._open(evidence, actor)
        q = submission.qualification
        problems: list[str] = []
        notes: list[str] = []
        documents = self._store_documents(q, evidence, actor, problems, notes)
        tag = self._tag(q, evidence, problems)
        notified = self._notify(q, evidence, submission, documents, reviewers, problems, notes)
        self._record(
            actor,
            "review.requested",
            ("qualification", q.qualification_id),
            {
                "model_id": q.model_id,
                "version": q.version,
                "resumed": is_resumed,
                "documents": [
                    {"kind": d.kind, "media_type": d.media_type, "path": d.path, "sha256": d.sha256}
                    for d in documents
                ],
                "semantic_tag": tag,
                "reviewers_notified": len(notified),
                "problems": problems,
            },
        )
        if problems:
            raise ExternalSystemError(
                f"{q.label} is recorded ({q.state.value}), but DSS failed part of the "
                f"request: {'; '.join(problems)}. Run 'Submit for review' again with the same "
                "settings to retry these steps; it resumes the open qualification.",
                operation="submit for review",
            )
        return ReviewOutcome(submission, is_resumed, documents, tag, notified, tuple(notes))

    def _open(self, evidence: Evidence, actor: str) -> tuple[Submission, bool]:
        ledger = self.governance.ledger
        record = ledger.find_version(evidence.model_id, evidence.version)
        if record is None:
            self.governance.register(evidence, actor=actor)
        elif record.fingerprint != evidence.fingerprint:
            raise ConflictError(
                f"model {evidence.model_id} version {evidence.version} was registered with "
                f"other evidence (fingerprint {record.fingerprint[:12]}… then, "
                f"{evidence.fingerprint[:12]}… now): the version or the submission details "
                "changed. Submit with the registered details, or train a new version."
            )
        latest = ledger.latest_qualification(evidence.model_id, evidence.version)
        if (
            latest is not None
            and latest.state in wf.OPEN_STATES
            and latest.fingerprint == evidence.fingerprint
        ):
            return Submission(latest, latest.checks), True
        return self.governance.submit(evidence.model_id, evidence.version, actor=actor), False

    def _store_documents(
        self,
        q: wf.Qualification,
        evidence: Evidence,
        actor: str,
        problems: list[str],
        notes: list[str],
    ) -> tuple[StoredDocument, ...]:
        folder = f"{model_slug(evidence.model_name)}/{q.version}/{q.qualification_id}"
        rendered: list[tuple[str, str, str, bytes]] = [
            (d.kind, d.media_type, d.filename, d.content.encode("utf-8"))
            for d in self.governance.write_documents(q.qualification_id, actor=actor)
        ]
        try:
            docx = self.registry.model_documentation(q.model_id, q.version)
        except ExternalSystemError as exc:
            problems.append(f"DSS model documentation could not be generated ({exc})")
            docx = None
        if docx is None:
            notes.append("this DSS instance does not offer model documentation export")
        else:
            media = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            rendered.append(
                ("dss_model_documentation", media, "dss_model_documentation.docx", docx)
            )
        stored = []
        for kind, media_type, filename, content in rendered:
            path = f"{folder}/{filename}"
            try:
                location = self.store.write(path, content)
            except ExternalSystemError as exc:
                problems.append(f"writing {path} failed ({exc})")
                continue
            stored.append(StoredDocument(kind, media_type, path, location, sha256_hex(content)))
        return tuple(stored)

    def _tag(self, q: wf.Qualification, evidence: Evidence, problems: list[str]) -> str:
        tag = evidence.semantic_tag
        try:
            self.registry.tag_version(
                q.model_id, q.version, tag=tag, qualification_id=q.qualification_id
            )
        except ExternalSystemError as exc:
            problems.append(f"tagging the version {tag} failed ({exc})")
            return ""
        return tag

    def _notify(  # noqa: PLR0913 - the message is built from all of these
        self,
        q: wf.Qualification,
        evidence: Evidence,
        submission: Submission,
        documents: Sequence[StoredDocument],
        reviewers: Sequence[str],
        problems: list[str],
        notes: list[str],
    ) -> tuple[str, ...]:
        if self.notifier is None or not reviewers:
            notes.append("reviewers were not notified: no mail channel or reviewer configured")
            return ()
        subject = (
            f"[Model governance] Review requested: {evidence.model_name} "
            f"v{evidence.semver} ({q.qualification_id})"
        )
        try:
            self.notifier.notify(
                reviewers, subject, _review_mail(q, evidence, submission, documents)
            )
        except ExternalSystemError as exc:
            problems.append(f"notifying the reviewers failed ({exc})")
            return ()
        return tuple(reviewers)

    def _record(
        self, actor: str, action: str, entity: tuple[str, str], payload: Mapping[str, Any]
    ) -> None:
        _record(self.governance, actor, action, entity, payload)


def _review_mail(
    q: wf.Qualification,
    evidence: Evidence,
    submission: Submission,
    documents: Sequence[StoredDocument],
) -> str:
    # Only names, statuses and aggregate explanations: never a data value.
    rows = "".join(
        f"<li><b>{html.escape(c.status.value)}</b> {html.escape(c.title)}: "
        f"{html.escape(c.explanation)}</li>"
        for c in submission.checks
    )
    blocking = sum(1 for c in submission.checks if c.is_blocking_problem)
    files = "".join(f"<li>{html.escape(d.location)}</li>" for d in documents)
    verdict = (
        "All blocking checks pass."
        if blocking == 0
        else f"{blocking} blocking check(s) do not pass."
    )
    return (
        f"<p>{html.escape(q.submitter)} submitted {html.escape(evidence.model_name)} version "
        f"{html.escape(q.version)} ({html.escape(evidence.semantic_tag)}) for review as "
        f"{html.escape(q.qualification_id)}. {verdict}</p><ul>{rows}</ul>"
        f"<p>Documents:</p><ul>{files or '<li>none stored</li>'}</ul>"
        "<p>Sign off in the Model Governance review webapp.</p>"
    )


# Outside sign-offs


def import_external_signoffs(
    governance: GovernanceService,
    qualification_id: str,
    review: ExternalReview,
    role_for_group: Mapping[str, str],
    *,
    actor: str,
) -> ImportReport:
    """Record an outside review's feedback (Govern) as the governance roles' sign-offs.

    Only a review whose status is APPROVED counts. Each feedback of a group mapped to a
    governance role becomes that role's sign-off by the reviewing user: APPROVED
    approves, MAJOR_ISSUE rejects, MINOR_ISSUE is not an answer. The core's rules
    apply unchanged (the submitter signs nothing, one person signs one role), so a
    forbidden sign-off is refused and audited like any other.
    """
    recorded: list[str] = []
    skipped: list[str] = []
    refused: list[str] = []
    if review.status != GOVERN_APPROVED:
        skipped.append(
            f"{review.source} is {review.status}; its feedback counts once it is APPROVED"
        )
    else:
        for feedback in review.feedback:
            _import_one(
                governance, qualification_id, review, feedback, role_for_group,
                recorded, skipped, refused,
            )  # fmt: skip
    report = ImportReport(
        review.source, review.status, tuple(recorded), tuple(skipped), tuple(refused)
    )
    _record(
        governance,
        actor,
        "govern.signoffs_read",
        ("qualification", qualification_id),
        {
            "source": review.source,
            "status": review.status,
            "recorded": recorded,
            "skipped": skipped,
            "refused": refused,
        },
    )
    return report


def _import_one(  # noqa: PLR0913 - one feedback against the running report
    governance: GovernanceService,
    qualification_id: str,
    review: ExternalReview,
    feedback: ExternalFeedback,
    role_for_group: Mapping[str, str],
    recorded: list[str],
    skipped: list[str],
    refused: list[str],
) -> None:
    role = role_for_group.get(feedback.group)
    who = f"{feedback.user} ({feedback.group})"
    q = governance.ledger.get_qualification(qualification_id)
    if role is None or role not in governance.policy.governance_roles:
        skipped.append(f"{who}: the group maps to no governance role")
        return
    if q.signoff_for(role) is not None or q.state not in wf.OPEN_STATES:
        skipped.append(f"{who}: {wf.role_label(role)} is already decided")
        return
    decision = FEEDBACK_DECISIONS.get(feedback.status)
    if decision is None:
        skipped.append(f"{who}: {feedback.status} is neither an approval nor a rejection")
        return
    comment = (
        f"{review.source}, feedback {feedback.reference or '-'}: "
        f"{feedback.comment or feedback.status}"
    )
    principal = wf.Principal(feedback.user, frozenset({role}))
    try:
        governance.sign(qualification_id, principal, role, decision, comment=comment)
    except (AuthorizationError, ConflictError) as exc:
        refused.append(f"{who}: {exc}")
        return
    recorded.append(f"{wf.role_label(role)}: {feedback.user} {decision.value}")


def _record(
    governance: GovernanceService,
    actor: str,
    action: str,
    entity: tuple[str, str],
    payload: Mapping[str, Any],
) -> None:
    with governance.ledger.transaction() as tx:
        tx.append_event(
            actor=actor,
            action=action,
            entity=entity,
            payload={**payload, "policy_hash": governance.policy.content_hash},
            at=governance.clock(),
        )
