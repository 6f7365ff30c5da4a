"""The monitoring scenario steps: one function per step, called by its ``step.py``.

Each parses its settings, opens the run's context (ledger, caller, DSS audit trail),
builds the outside systems it needs (alert webhooks, retraining scenario, Govern),
runs its rules through :class:`MonitoringService`, and ends with :func:`finish_step`,
which publishes the decision as scenario variables and fails the step when a rule
fired and the step is set to fail. The ledger holds every decision before the step
ends, whatever its outcome.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from dataiku.scenario import Scenario

from model_governance.core.errors import GateClosedError, GovernanceError, NotFoundError
from model_governance.core.evidence import Evidence
from model_governance.core.monitoring import Rule
from model_governance.dss.gateway import (
    DssDeployer,
    DssMailNotifier,
    DssModelRegistry,
    FolderStore,
    collect_evidence,
    model_id_for,
    refresh_evidence,
)
from model_governance.dss.params import (
    EvaluationParams,
    RetrainedStepParams,
    SubmitParams,
    parse_gate_step_params,
    parse_retrained_step_params,
    parse_rule_step_params,
    parse_sla_step_params,
    parse_status_step_params,
)
from model_governance.dss.production import GovernStatusBoard, ScenarioRetrainer, read_query_log
from model_governance.dss.runtime import MacroContext, macro_context, monitoring_service
from model_governance.dss.scenario import ON_BREACH_FAIL, StepReport, finish_step
from model_governance.ledger import monitoring as records
from model_governance.ledger.monitoring import StatusSnapshot
from model_governance.monitoring import (
    MonitoringService,
    RuleOutcome,
    Window,
    rule_outcome_to_dict,
    status_to_dict,
)
from model_governance.review import ReviewService

log = logging.getLogger(__name__)

Config = Mapping[str, Any]
COMPONENT = "scenario step"

__all__ = [
    "auc_alert",
    "auc_drop_bias_shift",
    "drift_retraining",
    "gate_check",
    "publish_status",
    "sla_check",
    "submit_retrained",
]


def auc_alert(project_key: str, config: Config, plugin_config: Config) -> StepReport:
    """Latest AUC below the alert threshold: notify Slack and page PagerDuty."""
    return _rule_step(project_key, config, plugin_config, "auc_alert", (Rule.AUC_ALERT,))


def auc_drop_bias_shift(project_key: str, config: Config, plugin_config: Config) -> StepReport:
    """AUC fallen from its approval value, or disparate impact low or moved: flag it."""
    rules = (Rule.AUC_DROP, Rule.BIAS_SHIFT)
    return _rule_step(project_key, config, plugin_config, "auc_drop_bias_shift", rules)


def drift_retraining(project_key: str, config: Config, plugin_config: Config) -> StepReport:
    """Drift over its limit: alert, run the retraining scenario (once per episode)."""
    return _rule_step(project_key, config, plugin_config, "drift", (Rule.DRIFT,))


def gate_check(project_key: str, config: Config, plugin_config: Config) -> StepReport:
    """Fail unless the version is approved and DSS still holds the evidence approved."""
    params = parse_gate_step_params(config)
    model_id = model_id_for(project_key, params.saved_model_id)
    with macro_context(project_key, plugin_config, component=COMPONENT) as ctx:
        version = params.version_id or DssDeployer(ctx.client).active_version(model_id)
        registered = ctx.ledger.find_version(model_id, version)
        if registered is None:
            action = "scenario gate check"
            ctx.governance.require_open_gate(model_id, version, actor=ctx.actor, action=action)
            raise GateClosedError(action, (f"{model_id} {version} is not registered",))
        current = refresh_evidence(ctx.client, registered.evidence, ctx.settings.policy)
        service = monitoring_service(ctx)
        outcome = service.check_gate(model_id, version, actor=ctx.actor, current=current)
        q = ctx.ledger.latest_qualification(model_id, version)
    report = _rules_report("gate", model_id, (outcome,))
    report = _with_values(
        report,
        version=version,
        fingerprint=current.fingerprint,
        qualification_id=q.qualification_id if q else None,
        state=q.state.value if q else None,
    )
    return finish_step(report, on_breach=ON_BREACH_FAIL)


def sla_check(project_key: str, config: Config, plugin_config: Config) -> StepReport:
    """p95 latency and error rate of an API service over recent hours, from its log."""
    params = parse_sla_step_params(config)
    model_id = model_id_for(project_key, params.saved_model_id)
    with macro_context(project_key, plugin_config, component=COMPONENT) as ctx:
        service = monitoring_service(ctx, params.alerting)
        version = _production_version(ctx, service, model_id)
        end = service.clock()
        window = Window(end - timedelta(hours=params.window_hours), end)
        metrics = read_query_log(
            project_key, params.query_log, window, subset_value=params.service_id
        )
        outcome = service.check_sla(
            model_id, version, params.service_id, metrics, window=window, actor=ctx.actor
        )
    report = _rules_report("sla", model_id, (outcome,))
    return finish_step(_with_values(report, version=version), on_breach=params.on_breach)


def publish_status(project_key: str, config: Config, plugin_config: Config) -> StepReport:
    """Publish each production model's health to the ledger (and Govern when asked)."""
    params = parse_status_step_params(config)
    with macro_context(project_key, plugin_config, component=COMPONENT) as ctx:
        service = monitoring_service(ctx)
        models = [model_id_for(project_key, m) for m in params.saved_model_ids] or (
            records.production_models(ctx.ledger)
        )
        published = []
        for model_id in models:
            status = service.publish_status(model_id, actor=ctx.actor)
            snapshot = status_to_dict(status)
            if params.publish_to_govern:
                snapshot["govern_artifact"] = _publish_to_govern(ctx, service, status)
            published.append(snapshot)
    healths = ", ".join(f"{s['model_id']} {s['health']}" for s in published)
    summary = f"status published for {len(published)} model(s)" + (
        f": {healths}" if healths else "; no model is in production"
    )
    report = StepReport("status", False, summary, {"models": published})
    return finish_step(report, on_breach=ON_BREACH_FAIL)


def submit_retrained(project_key: str, config: Config, plugin_config: Config) -> StepReport:
    """Submit a retrained version; inside the approved one's envelope, fast-track it.

    The board's sign-off is then granted by the policy rule; the governance sign-offs
    stay with people. The documents, version tag and reviewer mail follow as for a
    submission from the macro. Outside the envelope the version waits for the full
    review, which the step reports as a breach (a warning by default).
    """
    params = parse_retrained_step_params(config)
    model_id = model_id_for(project_key, params.saved_model_id)
    with macro_context(project_key, plugin_config, component=COMPONENT) as ctx:
        service = monitoring_service(ctx)
        approved_version = service.approved_version(model_id)
        if approved_version is None:
            raise NotFoundError(
                f"model {model_id} has no approved version, so a new version is not a "
                "retraining; submit it with the 'Submit model version for review' macro."
            )
        approved = ctx.ledger.get_version(model_id, approved_version).evidence
        evidence = collect_evidence(
            ctx.client, project_key, _retrained_form(params, approved), ctx.settings.policy
        )
        submitted = service.submit_retrained(evidence, actor=ctx.actor)
        review = ReviewService(
            ctx.governance,
            store=FolderStore(params.folder_id, project_key),
            registry=DssModelRegistry(ctx.client),
            notifier=DssMailNotifier(ctx.client, ctx.settings.mail_channel_id, project_key)
            if ctx.settings.mail_channel_id
            else None,
        )
        outcome = review.submit(evidence, actor=ctx.actor, reviewers=ctx.settings.reviewer_emails)
    q = outcome.submission.qualification
    envelope = submitted.envelope
    track = "fast track" if envelope.is_inside else "full review (outside the envelope)"
    summary = f"{q.label} ({evidence.version}, v{evidence.semver}) submitted: {track}"
    values = {
        "model_id": model_id,
        "version": evidence.version,
        "semver": evidence.semver,
        "qualification_id": q.qualification_id,
        "state": q.state.value,
        "approved_version": submitted.approved_version,
        "fast_track": envelope.is_inside,
        "reasons": list(envelope.reasons),
        "documents": [d.path for d in outcome.documents],
        "retraining_request": _retraining_request(),
    }
    report = StepReport("retrained", not envelope.is_inside, summary, values)
    return finish_step(report, on_breach=params.on_breach)


# Helpers


def _rule_step(
    project_key: str, config: Config, plugin_config: Config, step: str, rules: tuple[Rule, ...]
) -> StepReport:
    """Run some of the evaluation rules on the model's latest evaluation."""
    params = parse_rule_step_params(config, needs_retraining=Rule.DRIFT in rules)
    model_id = model_id_for(project_key, params.saved_model_id)
    with macro_context(project_key, plugin_config, component=COMPONENT) as ctx:
        retrainer = (
            ScenarioRetrainer(
                ctx.client, params.retraining_project or project_key, params.retraining_scenario
            )
            if params.retraining_scenario
            else None
        )
        service = monitoring_service(ctx, params.alerting, retrainer=retrainer)
        outcomes = service.run_rules(model_id, actor=ctx.actor, only=rules)
        report = _rules_report(step, model_id, outcomes)
        if params.flag_in_govern:
            status = service.publish_status(model_id, actor=ctx.actor)
            report = _with_values(report, govern=_publish_to_govern(ctx, service, status))
    return finish_step(report, on_breach=params.on_breach)


def _retrained_form(params: RetrainedStepParams, approved: Evidence) -> SubmitParams:
    attributes = params.protected_attributes or tuple(f.attribute for f in approved.fairness)
    return SubmitParams(
        saved_model_id=params.saved_model_id,
        version_id=params.version_id,
        semver=params.semver or _next_minor(approved.semver),
        folder_id=params.folder_id,
        description=approved.description,
        sample_rows=params.sample_rows,
        evaluation=EvaluationParams(
            dataset=params.evaluation_dataset,
            protected_attributes=attributes,
            prediction_column=params.prediction_column,
            favourable_value=params.favourable_value,
        ),
        reviewer_emails=(),
    )


def _next_minor(semver: str) -> str:
    """The next minor version: a retrained model keeps its interface."""
    major, minor = semver.split(".")[:2]
    return f"{major}.{int(minor) + 1}"


def _retraining_request() -> Any:
    """The request a drift step passed to the retraining scenario it started, if any."""
    params = Scenario().get_trigger_params() or {}
    return params.get("model_governance")


def _rules_report(step: str, model_id: str, outcomes: Sequence[RuleOutcome]) -> StepReport:
    breached = [o for o in outcomes if o.decision.is_breached]
    if breached:
        reasons = "; ".join(r for o in breached for r in o.decision.reasons)
        summary = f"{model_id}: {reasons}"
    else:
        summary = f"{model_id}: " + "; ".join(r for o in outcomes for r in o.decision.reasons)
    values = {"model_id": model_id, "rules": [rule_outcome_to_dict(o) for o in outcomes]}
    return StepReport(step, bool(breached), summary, values)


def _with_values(report: StepReport, **values: Any) -> StepReport:
    return StepReport(report.step, report.is_breached, report.summary, {**report.values, **values})


def _production_version(ctx: MacroContext, service: MonitoringService, model_id: str) -> str:
    version = service.approved_version(model_id)
    if version is None:
        version = DssDeployer(ctx.client).active_version(model_id)
        ctx.ledger.get_version(model_id, version)
    return version


def _publish_to_govern(
    ctx: MacroContext, service: MonitoringService, status: StatusSnapshot
) -> str | None:
    """Write a published status to Govern; a failure is recorded, then raised."""
    if status.version is None:
        return None
    payload = {"version": status.version, "snapshot_id": status.snapshot_id}
    entity = ("model", status.model_id)
    try:
        board = GovernStatusBoard(ctx.client, ctx.settings.govern)
        artifact_id = board.publish(status.model_id, status.version, status_to_dict(status))
    except GovernanceError as exc:
        failure = {**payload, "error": str(exc)}
        service.record_event(ctx.actor, "govern.status_failed", entity, failure)
        raise
    published = {**payload, "artifact_id": artifact_id}
    service.record_event(ctx.actor, "govern.status_published", entity, published)
    return artifact_id
