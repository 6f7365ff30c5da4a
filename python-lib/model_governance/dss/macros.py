"""The macros: one function per macro, called by its ``runnable.py``.

Each parses its form, opens the run's context (ledger, caller, DSS audit trail), builds
the DSS adapters, calls one use case, and renders the result. Governance errors reach
DSS unchanged, so the macro fails with a message that says exactly what is missing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from model_governance.core.errors import GateClosedError
from model_governance.core.workflow import OPEN_STATES
from model_governance.deployment import DeploymentService
from model_governance.dss import render
from model_governance.dss.gateway import (
    DssDeployer,
    DssMailNotifier,
    DssModelRegistry,
    FolderStore,
    collect_evidence,
    model_id_for,
    read_govern_review,
    refresh_evidence,
)
from model_governance.dss.params import (
    parse_bundle_params,
    parse_deploy_params,
    parse_drill_params,
    parse_prune_params,
    parse_publish_params,
    parse_rollback_params,
    parse_submit_params,
)
from model_governance.dss.runtime import MacroContext, macro_context
from model_governance.review import (
    ImportReport,
    ReviewService,
    import_external_signoffs,
)

Config = Mapping[str, Any]

__all__ = [
    "create_approved_bundle",
    "deploy_bundle",
    "prune_bundles",
    "publish_bundle",
    "record_rollback_drill",
    "roll_back",
    "submit_for_review",
]


def submit_for_review(project_key: str, config: Config, plugin_config: Config) -> str:
    """Collect evidence, run the checks, write the documents, tag, notify reviewers."""
    params = parse_submit_params(config)
    with macro_context(project_key, plugin_config) as ctx:
        evidence = collect_evidence(ctx.client, project_key, params, ctx.settings.policy)
        notifier = (
            DssMailNotifier(ctx.client, ctx.settings.mail_channel_id, project_key)
            if ctx.settings.mail_channel_id
            else None
        )
        service = ReviewService(
            ctx.governance,
            store=FolderStore(params.folder_id, project_key),
            registry=DssModelRegistry(ctx.client),
            notifier=notifier,
        )
        reviewers = params.reviewer_emails or ctx.settings.reviewer_emails
        outcome = service.submit(evidence, actor=ctx.actor, reviewers=reviewers)
    return render.submission(outcome, ctx.audit)


def create_approved_bundle(project_key: str, config: Config, plugin_config: Config) -> str:
    """Export the approved bundle of a version whose evidence matches the approval."""
    params = parse_bundle_params(config)
    with macro_context(project_key, plugin_config) as ctx:
        deployer = DssDeployer(ctx.client)
        model_id = model_id_for(project_key, params.saved_model_id)
        version = params.version_id or deployer.active_version(model_id)
        govern = _count_govern_signoffs(ctx, params.saved_model_id, version)
        action = f"create the approved bundle of {model_id} {version}"
        registered = ctx.ledger.find_version(model_id, version)
        try:
            if registered is None:
                ctx.governance.require_open_gate(model_id, version, actor=ctx.actor, action=action)
            assert registered is not None  # noqa: S101 - the gate refuses unregistered versions
            current = refresh_evidence(ctx.client, registered.evidence, ctx.settings.policy)
            bundle = DeploymentService(ctx.governance, deployer).create_bundle(
                current, actor=ctx.actor, activate_version=params.activate_version
            )
        except GateClosedError as exc:
            if govern is None:
                raise
            notes = [f"{govern.source} is {govern.status}", *govern.skipped, *govern.refused]
            raise GateClosedError(exc.action, (*exc.reasons, *notes)) from exc
    return render.bundle_created(bundle, govern, ctx.audit)


def publish_bundle(project_key: str, config: Config, plugin_config: Config) -> str:
    """Publish an approved bundle to the Project Deployer, after a gate re-check."""
    params = parse_publish_params(config)
    with macro_context(project_key, plugin_config) as ctx:
        service = DeploymentService(ctx.governance, DssDeployer(ctx.client))
        bundle = service.publish_bundle(project_key, params.bundle_id, actor=ctx.actor)
    return render.bundle_published(bundle, ctx.audit)


def deploy_bundle(project_key: str, config: Config, plugin_config: Config) -> str:
    """Deploy an approved bundle to an infrastructure; write the compliance artifact."""
    params = parse_deploy_params(config)
    with macro_context(project_key, plugin_config) as ctx:
        service = DeploymentService(ctx.governance, DssDeployer(ctx.client))
        result = service.deploy(
            project_key,
            params.bundle_id,
            params.infrastructure,
            actor=ctx.actor,
            scoring_dataset=params.scoring_dataset,
            store=FolderStore(params.folder_id, project_key),
            reason=params.reason,
        )
    return render.deployment(result, ctx.audit)


def roll_back(project_key: str, config: Config, plugin_config: Config) -> str:
    """Redeploy the previous approved bundle, with who and why."""
    params = parse_rollback_params(config)
    with macro_context(project_key, plugin_config) as ctx:
        service = DeploymentService(ctx.governance, DssDeployer(ctx.client))
        result = service.rollback(
            project_key,
            params.infrastructure,
            actor=ctx.actor,
            reason=params.reason,
            target_bundle=params.target_bundle,
            store=FolderStore(params.folder_id, project_key) if params.folder_id else None,
        )
    return render.deployment(result, ctx.audit)


def prune_bundles(project_key: str, config: Config, plugin_config: Config) -> Any:
    """Keep the last approved bundles on the deployer, and any deployed or fallback."""
    parse_prune_params(config)
    with macro_context(project_key, plugin_config) as ctx:
        service = DeploymentService(ctx.governance, DssDeployer(ctx.client))
        result = service.prune(project_key, actor=ctx.actor)
    return render.prune_table(result, ctx.audit)


def record_rollback_drill(project_key: str, config: Config, plugin_config: Config) -> str:
    """Record a rollback rehearsal (ML Engineers only), then re-run the open checks."""
    params = parse_drill_params(config)
    with macro_context(project_key, plugin_config) as ctx:
        model_id = model_id_for(project_key, params.saved_model_id)
        version = params.version_id or DssDeployer(ctx.client).active_version(model_id)
        drill = ctx.governance.record_rollback_drill(
            model_id,
            version,
            actor=ctx.actor,
            is_passed=params.is_passed,
            target=params.target_bundle,
            note=params.note,
            principal=ctx.principal,
        )
        q = ctx.ledger.latest_qualification(model_id, version)
        rerun = None
        if q is not None and q.state in OPEN_STATES:
            rerun = ctx.governance.rerun_checks(q.qualification_id, actor=ctx.actor)
    return render.drill_recorded(f"{model_id} {version}", drill, rerun, ctx.audit)


def _count_govern_signoffs(
    ctx: MacroContext, saved_model_id: str, version: str
) -> ImportReport | None:
    govern = ctx.settings.govern
    model_id = model_id_for(ctx.project_key, saved_model_id)
    q = ctx.ledger.latest_qualification(model_id, version)
    if govern is None or q is None or q.state not in OPEN_STATES:
        return None
    review = read_govern_review(ctx.client, govern, ctx.project_key, saved_model_id, version)
    return import_external_signoffs(
        ctx.governance, q.qualification_id, review, govern.group_roles, actor=ctx.actor
    )
