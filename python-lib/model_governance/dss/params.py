"""Plugin settings and macro parameters, parsed once into frozen values.

DSS hands plugin code plain dicts (the plugin settings and each macro's form). Every
value is checked here; a bad one raises :class:`ConfigError` naming the field as the UI
labels it, what is wrong, the value received and where to fix it. Integers arrive as
floats, unset fields as None or missing: both are accepted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePosixPath
from typing import Any, Optional

from model_governance.core.constants import (
    DATA_STEWARD,
    ML_ENGINEER,
    SECURITY_LEAD,
)
from model_governance.core.errors import ConfigError
from model_governance.core.evidence import SEMVER_PATTERN, ModelDescription
from model_governance.core.policy import Policy, parse_policy
from model_governance.dss import form
from model_governance.notify import NotificationConfig, parse_notification_config

PLUGIN_SCREEN = "Plugins > Model Governance > Settings"
MACRO_SCREEN = "the macro's form"
ALERTING_SCREEN = "Plugins > Model Governance > Settings > Alerting"
STEP_SCREEN = "the scenario step's settings"
ON_BREACH_CHOICES = ("fail", "warn")
"""What a step does when its rule fires: fail the step, or pass with a warning."""
DEFAULT_LEDGER_PATH = "/data/dataiku/model-governance/ledger.sqlite"
DEFAULT_GOVERN_STEP = "review"
DEFAULT_GOVERN_GROUPS = {
    "data_steward": DATA_STEWARD,
    "security": SECURITY_LEAD,
    "ml_engineering": ML_ENGINEER,
}

__all__ = [
    "BundleParams",
    "CanaryDecisionParams",
    "CanaryRolloutParams",
    "DeployParams",
    "DrillParams",
    "EvaluationParams",
    "EvaluationRecipeParams",
    "GateStepParams",
    "GovernSettings",
    "PluginSettings",
    "PruneParams",
    "PublishParams",
    "QueryLogParams",
    "RetrainedStepParams",
    "RollbackParams",
    "RuleStepParams",
    "SlaStepParams",
    "StatusStepParams",
    "SubmitParams",
    "parse_alerting_preset",
    "parse_bundle_params",
    "parse_canary_decision_params",
    "parse_canary_rollout_params",
    "parse_deploy_params",
    "parse_drill_params",
    "parse_evaluation_recipe_params",
    "parse_gate_step_params",
    "parse_plugin_settings",
    "parse_prune_params",
    "parse_publish_params",
    "parse_retrained_step_params",
    "parse_rollback_params",
    "parse_rule_step_params",
    "parse_sla_step_params",
    "parse_status_step_params",
    "parse_submit_params",
]


@dataclass(frozen=True)
class GovernSettings:
    """Where the Govern sign-offs are read, and how Govern groups map to roles."""

    url: str
    api_key: str = field(repr=False)
    step_id: str
    group_roles: Mapping[str, str]


@dataclass(frozen=True)
class PluginSettings:
    """The plugin-wide settings (ledger, policy, Govern, mail, DSS audit trail)."""

    ledger_url: str = field(repr=False)
    policy: Policy
    govern: Optional[GovernSettings] = None
    mail_channel_id: str = ""
    reviewer_emails: tuple[str, ...] = ()
    send_dss_audit: bool = True


@dataclass(frozen=True)
class EvaluationParams:
    """Where the disparate-impact counts come from."""

    dataset: str
    protected_attributes: tuple[str, ...]
    prediction_column: str
    favourable_value: str


@dataclass(frozen=True)
class SubmitParams:
    """The 'Submit model version for review' form."""

    saved_model_id: str
    version_id: Optional[str]
    semver: str
    folder_id: str
    description: ModelDescription
    sample_rows: int
    evaluation: Optional[EvaluationParams]
    reviewer_emails: tuple[str, ...]


@dataclass(frozen=True)
class BundleParams:
    """The 'Create approved bundle' form."""

    saved_model_id: str
    version_id: Optional[str]
    activate_version: bool


@dataclass(frozen=True)
class PublishParams:
    """The 'Publish bundle' form."""

    bundle_id: str


@dataclass(frozen=True)
class DeployParams:
    """The 'Deploy to an infrastructure' form."""

    bundle_id: str
    infrastructure: str
    scoring_dataset: str
    folder_id: str
    reason: str


@dataclass(frozen=True)
class RollbackParams:
    """The 'Roll back' form."""

    infrastructure: str
    reason: str
    target_bundle: Optional[str]
    folder_id: Optional[str]


@dataclass(frozen=True)
class DrillParams:
    """The 'Record rollback drill' form."""

    saved_model_id: str
    version_id: Optional[str]
    is_passed: bool
    target_bundle: str
    note: str


@dataclass(frozen=True)
class PruneParams:
    """The 'Prune bundles' form (it has no fields; the policy says how many to keep)."""


# Plugin settings


def parse_plugin_settings(config: Mapping[str, Any] | None) -> PluginSettings:
    """Parse the plugin settings dict DSS passes to every component."""
    config = config or {}
    return PluginSettings(
        ledger_url=_ledger_url(config),
        policy=_policy(config),
        govern=_govern(config),
        mail_channel_id=form.text(config, "mail_channel_id", "Mail channel", PLUGIN_SCREEN),
        reviewer_emails=form.emails(config, "reviewer_emails", "Reviewers' e-mails", PLUGIN_SCREEN),
        send_dss_audit=form.boolean(config, "send_dss_audit", default=True),
    )


def _ledger_url(config: Mapping[str, Any]) -> str:
    url = form.text(config, "ledger_url", "Ledger database URL", PLUGIN_SCREEN)
    if url:
        if "://" not in url:
            raise ConfigError(
                "Ledger database URL: the value has no scheme, so it is not a database URL "
                f"(not shown: it may hold a password); write postgresql://host/db or leave "
                f"it empty, in {PLUGIN_SCREEN}."
            )
        return url
    path = form.text(config, "ledger_sqlite_path", "SQLite ledger file", PLUGIN_SCREEN)
    path = path or DEFAULT_LEDGER_PATH
    if not PurePosixPath(path).is_absolute():
        raise ConfigError(
            f"SQLite ledger file: must be an absolute path readable by every DSS process, "
            f"got {path!r}; fix it in {PLUGIN_SCREEN}."
        )
    return f"sqlite:///{path}"


def _policy(config: Mapping[str, Any]) -> Policy:
    raw = config.get("policy_json")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Policy()
    if isinstance(raw, Mapping):
        return parse_policy(raw)
    if not isinstance(raw, str):
        raise ConfigError(f"Policy (JSON): expected JSON text, got {type(raw).__name__}.")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"Policy (JSON): not valid JSON at line {exc.lineno}, column {exc.colno} "
            f"({exc.msg}); fix it in {PLUGIN_SCREEN}."
        ) from exc
    return parse_policy(data)


def _govern(config: Mapping[str, Any]) -> GovernSettings | None:
    if not form.boolean(config, "govern_enabled", default=False):
        return None
    url = form.text(config, "govern_url", "Govern node URL", PLUGIN_SCREEN)
    api_key = form.text(config, "govern_api_key", "Govern API key", PLUGIN_SCREEN)
    if url and not api_key:
        raise ConfigError(
            "Govern API key: is empty while a Govern node URL is set; enter a Govern API "
            f"key, or clear the URL to use DSS's Govern integration, in {PLUGIN_SCREEN}."
        )
    groups = config.get("govern_group_roles") or DEFAULT_GOVERN_GROUPS
    if not isinstance(groups, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in groups.items()
    ):
        raise ConfigError(
            "Govern feedback groups -> roles: expected pairs of Govern group id and "
            f"sign-off role, got {groups!r}; fix it in {PLUGIN_SCREEN}."
        )
    step = form.text(config, "govern_step_id", "Govern workflow step", PLUGIN_SCREEN)
    return GovernSettings(
        url=url.rstrip("/"),
        api_key=api_key,
        step_id=step or DEFAULT_GOVERN_STEP,
        group_roles={k.strip(): v.strip() for k, v in groups.items()},
    )


def parse_alerting_preset(preset: Any) -> NotificationConfig:
    """Parse the 'Alerting' preset (Slack webhook, PagerDuty key) a step points at.

    DSS resolves a PRESET field to the preset's values; no preset means no channel.
    Secrets are never quoted in errors.
    """
    if preset is None or preset == "":
        return NotificationConfig()
    if not isinstance(preset, Mapping):
        raise ConfigError(
            f"Alerting preset: expected the preset's settings, got {type(preset).__name__}; "
            f"choose a preset of {ALERTING_SCREEN}."
        )
    values: dict[str, Any] = {
        key: form.text(preset, key, label, ALERTING_SCREEN)
        for key, label in (
            ("slack_webhook_url", "Slack incoming-webhook URL"),
            ("pagerduty_routing_key", "PagerDuty routing key"),
            ("pagerduty_url", "PagerDuty Events API URL"),
        )
    }
    values["max_attempts"] = form.whole_number(
        preset, "max_attempts", "Attempts per alert", default=4, low=1, high=10
    )
    values["backoff_seconds"] = form.number(
        preset, "backoff_seconds", "First retry delay (s)", default=1.0, low=0.0, high=300.0
    )
    return parse_notification_config({k: v for k, v in values.items() if v != ""})


# Scenario steps


@dataclass(frozen=True)
class RuleStepParams:
    """The alert-rule steps' settings (AUC alert, AUC drop and bias shift, drift)."""

    saved_model_id: str
    on_breach: str
    alerting: NotificationConfig
    flag_in_govern: bool = False
    retraining_project: str = ""
    retraining_scenario: str = ""


@dataclass(frozen=True)
class GateStepParams:
    """The 'Governance gate check' step's settings."""

    saved_model_id: str
    version_id: Optional[str]


@dataclass(frozen=True)
class SlaStepParams:
    """The 'API service SLA check' step's settings."""

    saved_model_id: str
    service_id: str
    query_log: QueryLogParams
    window_hours: int
    on_breach: str
    alerting: NotificationConfig


@dataclass(frozen=True)
class StatusStepParams:
    """The 'Publish model status' step's settings."""

    saved_model_ids: tuple[str, ...]
    publish_to_govern: bool


def parse_rule_step_params(
    config: Mapping[str, Any], *, needs_retraining: bool = False
) -> RuleStepParams:
    """Parse an alert-rule step; the drift step also names its retraining scenario."""
    scenario = form.text(config, "retraining_scenario", "Retraining scenario", STEP_SCREEN)
    if needs_retraining and not scenario:
        raise ConfigError(
            "Retraining scenario: is required; enter the id of the scenario that retrains "
            f"the model (Scenarios > the scenario > Settings shows it) in {STEP_SCREEN}."
        )
    return RuleStepParams(
        saved_model_id=_saved_model(config, STEP_SCREEN),
        on_breach=_on_breach(config),
        alerting=parse_alerting_preset(config.get("alerting")),
        flag_in_govern=form.boolean(config, "flag_in_govern", default=False),
        retraining_project=form.text(
            config, "retraining_project", "Retraining project", STEP_SCREEN
        ),
        retraining_scenario=scenario,
    )


def parse_gate_step_params(config: Mapping[str, Any]) -> GateStepParams:
    """Parse the 'Governance gate check' step."""
    return GateStepParams(
        saved_model_id=_saved_model(config, STEP_SCREEN),
        version_id=form.text(config, "version_id", "Version", STEP_SCREEN) or None,
    )


def parse_sla_step_params(config: Mapping[str, Any]) -> SlaStepParams:
    """Parse the 'API service SLA check' step."""
    return SlaStepParams(
        saved_model_id=_saved_model(config, STEP_SCREEN),
        service_id=form.required(config, "service_id", "API service", STEP_SCREEN),
        query_log=_query_log(config, "service_column", "Service column"),
        window_hours=form.whole_number(
            config, "window_hours", "Window (hours)", default=24, low=1, high=24 * 31
        ),
        on_breach=_on_breach(config),
        alerting=parse_alerting_preset(config.get("alerting")),
    )


def parse_status_step_params(config: Mapping[str, Any]) -> StatusStepParams:
    """Parse the 'Publish model status' step."""
    models = form.names(config, "saved_model_ids", "Saved models")
    return StatusStepParams(
        saved_model_ids=tuple(m.split(".", 1)[1] if "." in m else m for m in models),
        publish_to_govern=form.boolean(config, "publish_to_govern", default=False),
    )


@dataclass(frozen=True)
class RetrainedStepParams:
    """The 'Submit retrained version' step's settings."""

    saved_model_id: str
    version_id: Optional[str]
    semver: Optional[str]
    folder_id: str
    sample_rows: int
    evaluation_dataset: str
    protected_attributes: tuple[str, ...]
    prediction_column: str
    favourable_value: str
    on_breach: str


def parse_retrained_step_params(config: Mapping[str, Any]) -> RetrainedStepParams:
    """Parse the 'Submit retrained version' step (fast track)."""
    semver = form.text(config, "semver", "Semantic version", STEP_SCREEN)
    return RetrainedStepParams(
        saved_model_id=_saved_model(config, STEP_SCREEN),
        version_id=form.text(config, "version_id", "Version", STEP_SCREEN) or None,
        semver=_semver(config) if semver else None,
        folder_id=form.required(config, "documents_folder", "Documents folder", STEP_SCREEN),
        sample_rows=_sample_rows(config),
        evaluation_dataset=form.required(
            config, "evaluation_dataset", "Evaluation dataset", STEP_SCREEN
        ),
        protected_attributes=form.names(config, "protected_attributes", "Protected attributes"),
        prediction_column=_prediction_column(config, STEP_SCREEN),
        favourable_value=_favourable_value(config, STEP_SCREEN),
        on_breach=_on_breach(config, label="Outside the envelope", default="warn"),
    )


def _on_breach(
    config: Mapping[str, Any], *, label: str = "On breach", default: str = "fail"
) -> str:
    return form.choice(config, "on_breach", label, allowed=ON_BREACH_CHOICES, default=default)


def _sample_rows(config: Mapping[str, Any]) -> int:
    label = "Rows sampled for the PHI/PCI scan"
    return form.whole_number(config, "sample_rows", label, default=1000, low=10, high=100_000)


def _prediction_column(config: Mapping[str, Any], screen: str) -> str:
    return form.text(config, "prediction_column", "Prediction column", screen) or "prediction"


def _favourable_value(config: Mapping[str, Any], screen: str) -> str:
    return form.text(config, "favourable_value", "Favourable prediction", screen) or "0"


# Macro forms


def parse_submit_params(config: Mapping[str, Any]) -> SubmitParams:
    """Parse the 'Submit model version for review' form."""
    return SubmitParams(
        saved_model_id=_saved_model(config),
        version_id=form.text(config, "version_id", "Version", MACRO_SCREEN) or None,
        semver=_semver(config),
        folder_id=form.required(config, "documents_folder", "Documents folder", MACRO_SCREEN),
        description=_description(config),
        sample_rows=_sample_rows(config),
        evaluation=_evaluation(config),
        reviewer_emails=form.emails(config, "reviewer_emails", "Reviewers' e-mails", MACRO_SCREEN),
    )


def parse_bundle_params(config: Mapping[str, Any]) -> BundleParams:
    """Parse the 'Create approved bundle' form."""
    return BundleParams(
        saved_model_id=_saved_model(config),
        version_id=form.text(config, "version_id", "Version", MACRO_SCREEN) or None,
        activate_version=form.boolean(config, "activate_version", default=True),
    )


def parse_publish_params(config: Mapping[str, Any]) -> PublishParams:
    """Parse the 'Publish bundle to the Project Deployer' form."""
    return PublishParams(bundle_id=form.required(config, "bundle_id", "Bundle", MACRO_SCREEN))


def parse_deploy_params(config: Mapping[str, Any]) -> DeployParams:
    """Parse the 'Deploy to an infrastructure' form."""
    return DeployParams(
        bundle_id=form.required(config, "bundle_id", "Bundle", MACRO_SCREEN),
        infrastructure=form.required(config, "infrastructure", "Infrastructure", MACRO_SCREEN),
        scoring_dataset=form.required(config, "scoring_dataset", "Scoring dataset", MACRO_SCREEN),
        folder_id=form.required(config, "compliance_folder", "Compliance folder", MACRO_SCREEN),
        reason=form.text(config, "reason", "Reason", MACRO_SCREEN),
    )


def parse_rollback_params(config: Mapping[str, Any]) -> RollbackParams:
    """Parse the 'Roll back' form."""
    return RollbackParams(
        infrastructure=form.required(config, "infrastructure", "Infrastructure", MACRO_SCREEN),
        reason=form.required(config, "reason", "Reason", MACRO_SCREEN),
        target_bundle=form.text(config, "target_bundle", "Bundle to roll back to", MACRO_SCREEN)
        or None,
        folder_id=form.text(config, "compliance_folder", "Compliance folder", MACRO_SCREEN) or None,
    )


def parse_drill_params(config: Mapping[str, Any]) -> DrillParams:
    """Parse the 'Record rollback drill' form."""
    return DrillParams(
        saved_model_id=_saved_model(config),
        version_id=form.text(config, "version_id", "Version", MACRO_SCREEN) or None,
        is_passed=form.choice(
            config, "outcome", "Outcome", allowed=("passed", "failed"), default="passed"
        )
        == "passed",
        target_bundle=form.text(config, "target_bundle", "Bundle rolled back to", MACRO_SCREEN),
        note=form.required(config, "note", "What was rehearsed", MACRO_SCREEN),
    )


def parse_prune_params(config: Mapping[str, Any]) -> PruneParams:
    """Parse the 'Prune bundles' form."""
    return PruneParams()


def _saved_model(config: Mapping[str, Any], screen: str = MACRO_SCREEN) -> str:
    value = form.required(config, "saved_model_id", "Saved model", screen)
    # A saved model picked from another project arrives as PROJECT.id.
    return value.split(".", 1)[1] if "." in value else value


def _semver(config: Mapping[str, Any]) -> str:
    value = form.required(config, "semver", "Semantic version", MACRO_SCREEN)
    text = value[1:] if value.startswith("v") else value
    if not SEMVER_PATTERN.match(text):
        raise ConfigError(
            f"Semantic version: {value!r} is not MAJOR.MINOR[.PATCH]; enter for example 1.0 "
            "(the version is then tagged v1.0-prod-candidate)."
        )
    return text


def _description(config: Mapping[str, Any]) -> ModelDescription:
    labels = {
        "purpose": "Model purpose",
        "business_kpi": "Business KPI",
        "intended_use": "Intended use",
        "out_of_scope_use": "Out-of-scope use",
        "scalability_plan": "Scalability plan",
        "rollback_strategy": "Rollback strategy",
    }
    values = {name: form.text(config, name, label, MACRO_SCREEN) for name, label in labels.items()}
    if not values["purpose"]:
        raise ConfigError(
            "Model purpose: is empty; say what the model decides and for whom (it opens the "
            "model card and the review-board packet)."
        )
    return ModelDescription(
        purpose=values["purpose"],
        business_kpi=values["business_kpi"],
        intended_use=values["intended_use"],
        out_of_scope_use=values["out_of_scope_use"],
        scalability_plan=values["scalability_plan"],
        rollback_strategy=values["rollback_strategy"],
    )


def _evaluation(config: Mapping[str, Any]) -> EvaluationParams | None:
    dataset = form.text(config, "evaluation_dataset", "Evaluation dataset", MACRO_SCREEN)
    if not dataset:
        return None
    attributes = form.names(config, "protected_attributes", "Protected attributes")
    if not attributes:
        raise ConfigError(
            "Protected attributes: none given while an evaluation dataset is set; list the "
            "columns to check for disparate impact (for example patient_gender)."
        )
    return EvaluationParams(
        dataset=dataset,
        protected_attributes=attributes,
        prediction_column=_prediction_column(config, MACRO_SCREEN),
        favourable_value=_favourable_value(config, MACRO_SCREEN),
    )


# Evaluation recipe

RECIPE_SCREEN = "the recipe's settings"


@dataclass(frozen=True)
class EvaluationRecipeParams:
    """The evaluation recipe's settings.

    ``window_last_day`` None means the window spans the days of ``time_column``'s
    values; ``prediction_column`` None means scores below ``threshold`` are the
    favourable outcome; empty ``protected_attributes`` means those recorded with the
    version at submission.
    """

    label_column: str
    score_column: str
    positive_label: Any
    protected_attributes: tuple[str, ...]
    prediction_column: Optional[str]
    favourable_value: str
    threshold: float
    version_id: Optional[str]
    window_last_day: Optional[date]
    window_days: int
    time_column: Optional[str]
    keep_evaluated: bool
    chunk_rows: int


def parse_evaluation_recipe_params(config: Mapping[str, Any]) -> EvaluationRecipeParams:
    """Parse the 'Evaluate production model' recipe's settings."""
    outcome = form.choice(
        config,
        "favourable_from",
        "Favourable outcome",
        allowed=("score", "prediction"),
        default="score",
    )
    mode = form.choice(config, "window_mode", "Window", allowed=("days", "data"), default="days")
    time_column = form.text(config, "time_column", "Time column", RECIPE_SCREEN) or None
    if mode == "data" and time_column is None:
        raise ConfigError(
            "Time column: is empty while the window spans the data's days; pick the column "
            "holding each row's time, or set Window to 'Given days', in the recipe's settings."
        )
    on_repeat = form.choice(
        config,
        "if_evaluated",
        "If the window was already evaluated",
        allowed=("fail", "keep"),
        default="fail",
    )
    return EvaluationRecipeParams(
        label_column=form.required(config, "label_column", "Label column", RECIPE_SCREEN),
        score_column=form.required(config, "score_column", "Score column", RECIPE_SCREEN),
        positive_label=_label_value(
            form.text(config, "positive_label", "Positive label", RECIPE_SCREEN) or "1"
        ),
        protected_attributes=form.names(config, "protected_attributes", "Protected attributes"),
        prediction_column=form.required(
            config, "prediction_column", "Prediction column", RECIPE_SCREEN
        )
        if outcome == "prediction"
        else None,
        favourable_value=form.text(
            config, "favourable_value", "Favourable prediction", RECIPE_SCREEN
        )
        or "0",
        threshold=form.number(
            config, "threshold", "Flag threshold", default=0.5, low=0.0, high=1.0
        ),
        version_id=form.text(config, "version_id", "Model version", RECIPE_SCREEN) or None,
        window_last_day=_window_last_day(config) if mode == "days" else None,
        window_days=form.whole_number(
            config, "window_days", "Window length (days)", default=1, low=1, high=366
        ),
        time_column=time_column,
        keep_evaluated=on_repeat == "keep",
        chunk_rows=form.whole_number(
            config, "chunk_rows", "Rows per chunk", default=100_000, low=1_000, high=5_000_000
        ),
    )


def _window_last_day(config: Mapping[str, Any]) -> date:
    value = form.required(config, "window_last_day", "Window's last day", RECIPE_SCREEN)
    if "${" in value:
        raise ConfigError(
            f"Window's last day: {value!r} names a variable DSS did not define, so it "
            "arrived as typed; define the variable in the project or scenario, or enter "
            "a date such as 2024-06-01, in the recipe's settings."
        )
    # Date variables often carry a time of day too: only the date part counts.
    head = value[:10]
    try:
        if len(value) > 10 and value[10] not in "T ":
            raise ValueError(value)
        return date.fromisoformat(head)
    except ValueError as exc:
        raise ConfigError(
            f"Window's last day: {value!r} is not a date written YYYY-MM-DD; enter one "
            "such as 2024-06-01 (or a variable holding one) in the recipe's settings."
        ) from exc


def _label_value(text: str) -> Any:
    # The label column is read with the types pandas infers, so the positive label is
    # compared as the same type: a boolean, a whole number, a number, or text.
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


# Canary rollout


@dataclass(frozen=True)
class CanaryRolloutParams:
    """The 'Start canary rollout' form.

    ``current_generation`` None means the generation the deployment runs now.
    """

    saved_model_id: str
    version_id: str
    deployment_id: str
    new_generation: str
    current_generation: Optional[str]


@dataclass(frozen=True)
class QueryLogParams:
    """Where an API node query log is read, and which of its columns say what.

    Exactly one of ``status_column`` and ``error_column`` is set. ``subset_column``
    names the column that tells the watched traffic apart (the API service for the SLA
    check, the generation for the canary); empty, every row counts.
    """

    dataset: str
    timestamp_column: str
    latency_column: str
    status_column: str
    error_column: str
    subset_column: str
    chunk_rows: int


@dataclass(frozen=True)
class CanaryDecisionParams:
    """The 'Canary decision' step's settings."""

    saved_model_id: str
    version_id: str
    deployment_id: str
    window_hours: int
    query_log: QueryLogParams
    on_breach: str


def parse_canary_rollout_params(config: Mapping[str, Any]) -> CanaryRolloutParams:
    """Parse the 'Start canary rollout' form."""
    new = form.required(config, "new_generation", "New generation", MACRO_SCREEN)
    current = form.text(config, "current_generation", "Current generation", MACRO_SCREEN)
    if current == new:
        raise ConfigError(
            f"Current generation / New generation: both are {new!r}; a canary splits the "
            "traffic between two API service versions. Enter the version to try as the new "
            "generation, or leave the current generation empty."
        )
    return CanaryRolloutParams(
        saved_model_id=_saved_model(config),
        version_id=form.required(config, "version_id", "Version", MACRO_SCREEN),
        deployment_id=form.required(config, "deployment_id", "API deployment", MACRO_SCREEN),
        new_generation=new,
        current_generation=current or None,
    )


def parse_canary_decision_params(config: Mapping[str, Any]) -> CanaryDecisionParams:
    """Parse the 'Canary decision' step."""
    return CanaryDecisionParams(
        saved_model_id=_saved_model(config, STEP_SCREEN),
        version_id=form.required(config, "version_id", "Version", STEP_SCREEN),
        deployment_id=form.required(config, "deployment_id", "API deployment", STEP_SCREEN),
        window_hours=form.whole_number(
            config, "window_hours", "Observation window (hours)", default=24, low=1, high=24 * 31
        ),
        query_log=_query_log(config, "generation_column", "Generation column"),
        on_breach=_on_breach(config),
    )


def _query_log(config: Mapping[str, Any], subset: str, subset_label: str) -> QueryLogParams:
    status = form.text(config, "status_column", "HTTP status column", STEP_SCREEN)
    error = form.text(config, "error_column", "Error flag column", STEP_SCREEN)
    if bool(status) == bool(error):
        raise ConfigError(
            "HTTP status column / Error flag column: fill exactly one, so a failed request "
            f"is counted one way; fix it in {STEP_SCREEN}."
        )
    return QueryLogParams(
        dataset=form.required(config, "query_log_dataset", "Query-log dataset", STEP_SCREEN),
        timestamp_column=form.required(config, "timestamp_column", "Time column", STEP_SCREEN),
        latency_column=form.required(config, "latency_column", "Latency column", STEP_SCREEN),
        status_column=status,
        error_column=error,
        subset_column=form.text(config, subset, subset_label, STEP_SCREEN),
        chunk_rows=form.whole_number(
            config, "chunk_rows", "Rows per chunk", default=100_000, low=1_000, high=5_000_000
        ),
    )
