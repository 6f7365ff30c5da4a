"""Canary rollout of an API service on the API Deployer: start it, then decide it.

:class:`DssCanaryDeployer` is the :class:`~model_governance.monitoring.CanaryDeployer`
port on the API Deployer. It routes traffic by saving the deployment's
``generationsMapping`` (one generation, or several with their shares) and running the
deployment update, then waits for it. Before saving it checks that the deployment
serves the named API service and that each generation is a published version of that
service. When the update fails, the deployment's previous routing is saved back, so a
later update (by anyone) cannot push the refused routing live unrecorded; the error
names the deployment and DSS's answer.

The 'Start canary rollout' macro (:func:`start_canary_rollout`) sends the policy's
canary share to the new generation once the gate is open for the model version. The
'Canary decision' scenario step (:func:`decide_canary`) reads the split running now,
measures the canary's requests in the API node query log over the last hours, takes
the AUC of the version's latest recorded evaluation when there is one, and promotes
the canary to all traffic or rolls it back. Each decision is an audit event; a
rollback is a breach of the step.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from model_governance.core.errors import (
    ConfigError,
    ConflictError,
    ExternalSystemError,
)
from model_governance.core.hashing import to_utc_iso
from model_governance.core.monitoring import CanaryAction, CanaryDecision
from model_governance.dss import render
from model_governance.dss.gateway import dss_errors, model_id_for
from model_governance.dss.params import (
    parse_canary_decision_params,
    parse_canary_rollout_params,
)
from model_governance.dss.production import read_query_log
from model_governance.dss.runtime import macro_context, monitoring_service
from model_governance.dss.scenario import StepReport, finish_step
from model_governance.ledger import Ledger
from model_governance.monitoring import CanaryTarget, Window

log = logging.getLogger(__name__)

SINGLE = "SINGLE_GENERATION"
MULTI = "MULTI_GENERATION"
STEP_NAME = "canary"

__all__ = [
    "MULTI",
    "SINGLE",
    "STEP_NAME",
    "DssCanaryDeployer",
    "canary_report",
    "decide_canary",
    "describe_mapping",
    "latest_auc",
    "start_canary_rollout",
]

Config = Mapping[str, Any]


class DssCanaryDeployer:
    """The CanaryDeployer port on the DSS API Deployer."""

    def __init__(self, client: Any):
        self.client = client

    # The port

    def set_generation_split(
        self, service: str, deployment: str, current: str, new: str, share: float
    ) -> None:
        """Route ``share`` of the traffic to ``new``, the rest to ``current``."""
        mapping = {
            "mode": MULTI,
            "entries": [
                {"generation": current, "proba": 1.0 - share},
                {"generation": new, "proba": share},
            ],
        }
        self._route(service, deployment, mapping)

    def promote(self, service: str, deployment: str, new: str) -> None:
        """Send all of the deployment's traffic to generation ``new``."""
        self._route(service, deployment, {"mode": SINGLE, "generation": new})

    def rollback(self, service: str, deployment: str, current: str) -> None:
        """Send all of the deployment's traffic back to generation ``current``."""
        self._route(service, deployment, {"mode": SINGLE, "generation": current})

    # What the macro and the step read first

    def rollout_target(
        self, deployment: str, *, new: str, current: str | None = None
    ) -> CanaryTarget:
        """The canary to start on a deployment that runs one generation now."""
        settings = self._settings(deployment).get_raw()
        mapping = settings.get("generationsMapping") or {}
        if mapping.get("mode") != SINGLE:
            raise ConflictError(
                f"API deployment {deployment}: it already splits its traffic "
                f"({describe_mapping(mapping)}), so a canary may be running; decide it with "
                "the 'Canary decision' scenario step, or route the deployment to one "
                "generation in the API Deployer, then start the canary again."
            )
        running = str(mapping.get("generation") or "")
        chosen = current or running
        if chosen == new:
            raise ConfigError(
                f"New generation: {new!r} is the generation deployment {deployment} runs "
                "already; publish the new model as another API service version and enter "
                "that version."
            )
        return CanaryTarget(str(settings["publishedServiceId"]), deployment, chosen, new)

    def running_canary(self, deployment: str) -> CanaryTarget:
        """The canary split the deployment runs now.

        The generation with the smaller share is the canary; at equal shares, the
        second entry (the order :meth:`set_generation_split` writes).
        """
        settings = self._settings(deployment).get_raw()
        mapping = settings.get("generationsMapping") or {}
        entries = mapping.get("entries") or []
        if mapping.get("mode") != MULTI or len(entries) != 2:
            raise ConflictError(
                f"API deployment {deployment}: no canary is running (it routes "
                f"{describe_mapping(mapping)}); start one with the 'Start canary rollout' "
                "macro, or check the API deployment named in the step's settings."
            )
        first, second = entries
        canary_first = float(first["proba"]) < float(second["proba"])
        current, new = (second, first) if canary_first else (first, second)
        return CanaryTarget(
            str(settings["publishedServiceId"]),
            deployment,
            str(current["generation"]),
            str(new["generation"]),
        )

    # Internals

    def _deployment(self, deployment: str) -> Any:
        return self.client.get_apideployer().get_deployment(deployment)

    def _settings(self, deployment: str) -> Any:
        with dss_errors(f"reading API deployment {deployment}"):
            return self._deployment(deployment).get_settings()

    def _route(self, service: str, deployment: str, mapping: dict[str, Any]) -> None:
        settings = self._settings(deployment)
        raw = settings.get_raw()
        if raw.get("publishedServiceId") != service:
            raise ExternalSystemError(
                f"API deployment {deployment}: it serves API service "
                f"{raw.get('publishedServiceId')!r}, not {service!r}; name a deployment of "
                f"{service} (API Deployer > Deployments).",
                operation="route API deployment",
            )
        self._require_versions(service, _generations(mapping))
        previous = copy.deepcopy(raw.get("generationsMapping"))
        raw["generationsMapping"] = mapping
        with dss_errors(f"saving the routing of API deployment {deployment}"):
            # The gate decided; an infrastructure's PREVENT policy still holds.
            settings.save(ignore_warnings=True)
        try:
            report = self._update(deployment)
        except ExternalSystemError as exc:
            note = self._restore(settings, previous)
            raise ExternalSystemError(f"{exc} {note}", operation="update API deployment") from exc
        log.info("API deployment %s now routes %s", deployment, describe_mapping(mapping))
        if report.get("warning"):
            log.warning("API deployment %s updated with warnings: %s", deployment, report)

    def _update(self, deployment: str) -> Mapping[str, Any]:
        what = f"updating API deployment {deployment}"
        with dss_errors(what):
            report = self._deployment(deployment).start_update().wait_for_result() or {}
        if report.get("error") or report.get("fatal"):
            raise ExternalSystemError(
                f"{what}: the update ended with errors ({_messages(report)}).",
                operation="update API deployment",
            )
        return dict(report)

    def _restore(self, settings: Any, previous: Any) -> str:
        settings.get_raw()["generationsMapping"] = previous
        try:
            with dss_errors("restoring the routing of the deployment"):
                settings.save(ignore_warnings=True)
        except ExternalSystemError as exc:
            log.warning("the previous routing could not be restored: %s", exc)
            return (
                f"Its settings still hold the refused routing ({exc}); set it back to "
                f"{describe_mapping(previous)} in the API Deployer before the next update."
            )
        return f"Its settings are back to {describe_mapping(previous)}."

    def _require_versions(self, service: str, generations: Iterable[str]) -> None:
        with dss_errors(f"listing the versions of API service {service}"):
            status = self.client.get_apideployer().get_service(service).get_status()
            published = {str(v.get("id")) for v in status.get_versions()}
        missing = [g for g in generations if g not in published]
        if missing:
            raise ExternalSystemError(
                f"Generation {', '.join(missing)}: not a published version of API service "
                f"{service} (published: {', '.join(sorted(published)) or 'none'}); publish "
                "the API service version to the API Deployer first, or enter one of those.",
                operation="route API deployment",
            )


def describe_mapping(mapping: Any) -> str:
    """A deployment's routing in words, such as ``v1 90 % / v2 10 %``."""
    if not isinstance(mapping, Mapping):
        return "nothing"
    if mapping.get("mode") == SINGLE:
        return f"all traffic to {mapping.get('generation')}"
    entries = mapping.get("entries") or []
    return " / ".join(f"{e.get('generation')} {float(e.get('proba', 0)):.0%}" for e in entries)


# The macro


def start_canary_rollout(project_key: str, config: Config, plugin_config: Config) -> str:
    """Send the policy's canary share of an API deployment to the new generation."""
    params = parse_canary_rollout_params(config)
    with macro_context(project_key, plugin_config) as ctx:
        deployer = DssCanaryDeployer(ctx.client)
        target = deployer.rollout_target(
            params.deployment_id, new=params.new_generation, current=params.current_generation
        )
        service = monitoring_service(ctx, deployer=deployer)
        model_id = model_id_for(project_key, params.saved_model_id)
        split = service.start_canary(model_id, params.version_id, target, actor=ctx.actor)
    model = f"{params.saved_model_id} {params.version_id}"
    return render.canary_started(model, target, split, ctx.audit)


# The scenario step


def decide_canary(project_key: str, config: Config, plugin_config: Config) -> StepReport:
    """Promote the running canary or roll it back; a rollback breaches the step.

    Raises:
        RuleBreachedError: the canary was rolled back and "On breach" is *fail*.
    """
    params = parse_canary_decision_params(config)
    with macro_context(project_key, plugin_config, component="scenario step") as ctx:
        deployer = DssCanaryDeployer(ctx.client)
        target = deployer.running_canary(params.deployment_id)
        now = ctx.governance.clock()
        window = Window(now - timedelta(hours=params.window_hours), now)
        metrics = read_query_log(
            project_key, params.query_log, window, subset_value=target.new_generation
        )
        service = monitoring_service(ctx, deployer=deployer)
        model_id = model_id_for(project_key, params.saved_model_id)
        auc = latest_auc(ctx.ledger, model_id, params.version_id)
        decision = service.canary_decide(
            model_id, params.version_id, target, metrics, actor=ctx.actor, auc=auc
        )
    report = canary_report(decision, target, window, model_id=model_id, version=params.version_id)
    return finish_step(report, on_breach=params.on_breach)


def latest_auc(ledger: Ledger, model_id: str, version: str) -> float | None:
    """AUC of the version's evaluation with the latest window, None without one."""
    evaluations = ledger.evaluations_for(model_id, version)
    return evaluations[-1].auc if evaluations else None


def canary_report(
    decision: CanaryDecision,
    target: CanaryTarget,
    window: Window,
    *,
    model_id: str,
    version: str,
) -> StepReport:
    """The step's report: a rollback is a breach."""
    is_rollback = decision.action is CanaryAction.ROLLBACK
    if is_rollback:
        head = (
            f"canary {target.new_generation} of {model_id} {version} rolled back: "
            f"{target.deployment} sends all traffic to {target.current_generation}"
        )
    else:
        head = (
            f"canary {target.new_generation} of {model_id} {version} promoted: "
            f"{target.deployment} sends all traffic to it"
        )
    values = {
        "action": decision.action.value,
        "model_id": model_id,
        "version": version,
        "service": target.service,
        "deployment": target.deployment,
        "current_generation": target.current_generation,
        "new_generation": target.new_generation,
        "window_start": to_utc_iso(window.start),
        "window_end": to_utc_iso(window.end),
        "measured": dict(decision.measured),
        "thresholds": dict(decision.thresholds),
        "reasons": list(decision.reasons),
    }
    summary = f"{head} ({'; '.join(decision.reasons)})"
    return StepReport(STEP_NAME, is_rollback, summary, values)


def _generations(mapping: Mapping[str, Any]) -> list[str]:
    if mapping.get("mode") == SINGLE:
        return [str(mapping["generation"])]
    return [str(e["generation"]) for e in mapping.get("entries") or []]


def _messages(report: Mapping[str, Any]) -> str:
    messages = report.get("messages") or []
    return "; ".join(str(m.get("message") or m.get("details") or "") for m in messages if m)
