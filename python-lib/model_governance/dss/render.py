"""HTML fragments and result tables the macros return to DSS.

Every text taken from DSS, the ledger or the user is escaped. Nothing here shows a data
value: only names, statuses, hashes and the explanations of the checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from dataiku.runnables import ResultTable

from model_governance.core.checks import CheckResult, RollbackDrill
from model_governance.core.workflow import Qualification
from model_governance.deployment import DeploymentResult, PruneResult
from model_governance.dss.gateway import AuditForwardReport
from model_governance.ledger.deployments import BundleRecord
from model_governance.monitoring import CanaryTarget
from model_governance.review import ImportReport, ReviewOutcome

__all__ = [
    "bundle_created",
    "bundle_published",
    "canary_started",
    "deployment",
    "drill_recorded",
    "prune_table",
    "submission",
]


def submission(outcome: ReviewOutcome, audit: AuditForwardReport | None) -> str:
    """The 'Submit for review' result."""
    q = outcome.qualification
    blocking = [c for c in outcome.submission.checks if c.is_blocking_problem]
    verb = "resumed" if outcome.is_resumed else "opened"
    lead = (
        f"Qualification {q.qualification_id} {verb} for {q.model_id} {q.version} "
        f"({outcome.tag or 'not tagged'}); state {q.state.value}. "
        + (
            "Every blocking check passes; the gate now waits for the sign-offs."
            if not blocking
            else f"{len(blocking)} blocking check(s) fail: the gate stays closed."
        )
    )
    documents = [f"{d.location} (SHA-256 {d.sha256[:12]}…)" for d in outcome.documents]
    parts = [
        _heading("Submitted for review"),
        _para(lead),
        _checks(outcome.submission.checks),
        _list("Documents written", documents),
        _para(f"Reviewers notified: {', '.join(outcome.notified) or 'none'}."),
        _list("Notes", outcome.notes),
        _audit(audit),
    ]
    return _wrap(parts)


def bundle_created(
    bundle: BundleRecord, govern: ImportReport | None, audit: AuditForwardReport | None
) -> str:
    """The 'Create approved bundle' result."""
    parts = [
        _heading(f"Approved bundle {bundle.bundle_id} created"),
        _para(
            f"{bundle.model_id} {bundle.version}, qualification {bundle.qualification_id}, "
            f"evidence fingerprint {bundle.fingerprint[:12]}…, archive SHA-256 "
            f"{(bundle.archive_sha256 or 'not available')[:12]}…"
        ),
        _para(f"Release notes: {bundle.release_notes}"),
        _govern(govern),
        _audit(audit),
    ]
    return _wrap(parts)


def bundle_published(bundle: BundleRecord, audit: AuditForwardReport | None) -> str:
    """The 'Publish bundle' result."""
    parts = [
        _heading(f"Bundle {bundle.bundle_id} published"),
        _para(
            f"Published to project {bundle.published_project_key} of the Project Deployer by "
            f"{bundle.published_by} at {bundle.published_at}; the gate was re-checked first "
            f"(qualification {bundle.qualification_id})."
        ),
        _audit(audit),
    ]
    return _wrap(parts)


def deployment(result: DeploymentResult, audit: AuditForwardReport | None) -> str:
    """The 'Deploy' and 'Roll back' result."""
    record = result.record
    title = "Rolled back" if record.kind == "rollback" else "Deployed"
    compliance = (
        f"Compliance artifact written to {result.compliance_location} "
        f"(SHA-256 {result.compliance.sha256[:12]}…)."
        if result.compliance is not None and result.compliance_location
        else "No compliance folder was given: no compliance artifact written."
    )
    parts = [
        _heading(f"{title}: {record.bundle_id} on {record.infrastructure}"),
        _para(
            f"Model {result.bundle.model_id} {result.bundle.version} is live in production "
            f"through deployment {record.deployment_id} (it ran "
            f"{result.previous_bundle_id or 'nothing'} before). Recorded as ledger deployment "
            f"{record.row_id}, by {record.actor}: {record.reason}"
        ),
        _para(f"Govern check policy of the infrastructure: {result.govern_check_policy}."),
        _list("Warnings", result.warnings),
        _para(compliance),
        _audit(audit),
    ]
    return _wrap(parts)


def canary_started(
    model: str, target: CanaryTarget, split: tuple[float, float], audit: AuditForwardReport | None
) -> str:
    """The 'Start canary rollout' result."""
    lead = (
        f"Generation {target.new_generation} of API service {target.service} ({model}) now "
        f"takes {split[1]:.0%} of the traffic of deployment {target.deployment}; "
        f"{target.current_generation} keeps {split[0]:.0%}. After the observation window, "
        "the 'Canary decision' scenario step promotes it to all traffic or rolls it back."
    )
    heading = f"Canary started: {target.new_generation} on {target.deployment}"
    return _wrap([_heading(heading), _para(lead), _audit(audit)])


def drill_recorded(
    label: str, drill: RollbackDrill, rerun: Qualification | None, audit: AuditForwardReport | None
) -> str:
    """The 'Record rollback drill' result."""
    outcome = "passed" if drill.is_passed else "FAILED"
    target = drill.target_bundle or "undeploy (first release)"
    parts = [
        _heading(f"Rollback drill of {label} recorded: {outcome}"),
        _para(f"Rehearsed: {target}; recorded at {drill.performed_at.isoformat()}."),
    ]
    if rerun is not None:
        state = rerun.state.value
        parts.append(_para(f"Checks of {rerun.qualification_id} re-run; state {state}."))
        parts.append(_checks(rerun.checks))
    parts.append(_audit(audit))
    return _wrap(parts)


def prune_table(result: PruneResult, audit: AuditForwardReport | None) -> ResultTable:
    """The 'Prune bundles' result: one row per bundle on the deployer."""
    table = ResultTable()
    table.set_name("Bundles on the Project Deployer")
    table.set_header(
        f"Project {result.published_project_key}: {len(result.removed)} bundle(s) removed. "
        + _audit_text(audit)
    )
    table.add_column("bundle_id", "Bundle", "STRING")
    table.add_column("action", "Action", "STRING")
    table.add_column("reason", "Why", "STRING")
    for decision in result.decisions:
        table.add_record([decision.bundle_id, decision.action, decision.reason])
    return table


def _checks(checks: Sequence[CheckResult]) -> str:
    rows = "".join(
        f"<tr><td>{escape(c.status.value)}</td><td>{escape(c.title)}</td>"
        f"<td>{escape(c.explanation)}</td></tr>"
        for c in checks
    )
    return (
        "<table><thead><tr><th>Outcome</th><th>Check</th><th>Explanation</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _govern(report: ImportReport | None) -> str:
    if report is None:
        return ""
    lines = [f"recorded: {r}" for r in report.recorded]
    lines += [f"skipped: {s}" for s in report.skipped]
    lines += [f"refused: {r}" for r in report.refused]
    return _list(f"{report.source} ({report.status})", lines)


def _audit(audit: AuditForwardReport | None) -> str:
    return _para(_audit_text(audit))


def _audit_text(audit: AuditForwardReport | None) -> str:
    if audit is None:
        return "DSS audit trail: not sent (disabled in the plugin settings)."
    if not audit.failed:
        return f"DSS audit trail: {audit.sent} event(s) sent."
    return (
        f"DSS audit trail: {len(audit.failed)} event(s) could not be sent ({audit.failed[0][1]}); "
        "the ledger keeps them all."
    )  # fmt: skip


def _heading(text: str) -> str:
    return f"<h3>{escape(text)}</h3>"


def _para(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def _list(title: str, items: Iterable[Any]) -> str:
    entries = "".join(f"<li>{escape(str(i))}</li>" for i in items)
    return f"<p>{escape(title)}:</p><ul>{entries}</ul>" if entries else ""


def _wrap(parts: Sequence[str]) -> str:
    return '<div class="model-governance">' + "".join(p for p in parts if p) + "</div>"
