"""The governance policy: thresholds, roles and rules every decision is taken against.

A policy is versioned and hashed; the hash is recorded with every check result, sign-off
and gate decision, so an auditor can tell which rules were in force. Defaults equal the
written process (AUC gate 0.90, daily alert 0.88, drift 0.15, four-fifths rule, last 3
bundles...).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from model_governance.core.constants import (
    DATA_STEWARD,
    ML_ENGINEER,
    REVIEW_BOARD,
    SECURITY_LEAD,
)
from model_governance.core.errors import ConfigError
from model_governance.core.hashing import content_hash

_RATIO = (0.0, 1.0)


def _num(default: float, low: float, high: float, help_text: str) -> Any:
    return field(
        default=default, metadata={"kind": "number", "range": (low, high), "help": help_text}
    )


def _int(default: int, low: int, high: int, help_text: str) -> Any:
    return field(default=default, metadata={"kind": "int", "range": (low, high), "help": help_text})


def _names(default: tuple[str, ...], help_text: str, *, allow_empty: bool = False) -> Any:
    meta = {"kind": "names", "allow_empty": allow_empty, "help": help_text}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class ThresholdOverride:
    """A per-model business threshold replacing a default, with who set it and why."""

    model_id: str
    setting: str
    value: float
    set_by: str
    reason: str


@dataclass(frozen=True)
class FastTrackRule:
    """When a retrained version of an approved model skips the human board sign-off."""

    enabled: bool = True
    max_auc_decrease: float = 0.01
    max_disparate_impact_decrease: float = 0.02
    roles_granted: tuple[str, ...] = (REVIEW_BOARD,)


@dataclass(frozen=True)
class Policy:
    """Versioned thresholds, roles and rules; build it with :func:`parse_policy`."""

    version: str = "1"
    min_auc: float = _num(0.90, 0.5, 1.0, "gate: AUC must be strictly greater")
    auc_alert_threshold: float = _num(0.88, 0.5, 1.0, "monitoring: daily AUC below alerts")
    max_relative_auc_drop: float = _num(0.05, 0.0, 1.0, "monitoring: (approved-now)/approved")
    max_ks_drift: float = _num(0.15, 0.0, 1.0, "drift: max KS statistic D")
    max_psi: float = _num(0.25, 0.0, 10.0, "drift: categorical or binned PSI")
    min_disparate_impact: float = _num(0.8, 0.0, 1.0, "fairness: four-fifths rule")
    max_bias_shift: float = _num(0.05, 0.0, 1.0, "fairness: |DI now - DI at approval|")
    min_group_size: int = _int(30, 1, 1_000_000, "fairness: smaller groups are insufficient")
    max_p95_latency_ms: float = _num(100.0, 1.0, 60_000.0, "API SLA: p95 latency must be below")
    max_error_rate: float = _num(0.01, 0.0, 1.0, "API SLA: share of failed requests")
    approved_code_envs: tuple[str, ...] = _names(
        ("python-3.11-deltadental",), "code environments built on the approved base image"
    )
    sensitive_tags: tuple[str, ...] = _names(("PHI", "PCI"), "column tags that forbid use")
    governance_roles: tuple[str, ...] = _names(
        (DATA_STEWARD, SECURITY_LEAD, ML_ENGINEER), "governance reviewers who must approve"
    )
    review_board_role: str = field(default=REVIEW_BOARD, metadata={"kind": "name"})
    waiver_roles: tuple[str, ...] = _names((REVIEW_BOARD,), "roles that may waive a check")
    non_waivable_checks: tuple[str, ...] = _names(
        ("sensitive_data", "audit_trail"), "checks no one may waive", allow_empty=True
    )
    allow_undefined_checks: bool = field(default=False, metadata={"kind": "bool"})
    require_fairness_evidence: bool = field(default=True, metadata={"kind": "bool"})
    required_audit_actions: tuple[str, ...] = _names(
        ("version.registered",), "audit events a version needs before review"
    )
    bundles_kept: int = _int(3, 1, 100, "approved bundles kept on the deployer")
    canary_share: float = _num(0.10, 0.01, 0.5, "share of traffic sent to a canary")
    status_interval_hours: float = _num(6.0, 0.25, 168.0, "status publishing interval")
    inactivity_days: int = _int(90, 1, 3650, "idle days before decommissioning")
    rollback_drill_validity_days: int = _int(90, 1, 3650, "a rollback drill stays valid")
    retraining_cooldown_hours: float = _num(72.0, 0.0, 8760.0, "one drift episode, one retrain")
    role_groups: Mapping[str, tuple[str, ...]] = field(
        default_factory=dict, metadata={"kind": "role_groups"}
    )
    fast_track: FastTrackRule = field(default_factory=FastTrackRule, metadata={"kind": "fast"})
    overrides: tuple[ThresholdOverride, ...] = field(default=(), metadata={"kind": "overrides"})

    @property
    def required_roles(self) -> tuple[str, ...]:
        """Every role whose approval the dual sign-off needs: the board first."""
        return (self.review_board_role, *self.governance_roles)

    @property
    def content_hash(self) -> str:
        """SHA-256 of the policy's canonical JSON, recorded with every decision."""
        return content_hash(policy_to_dict(self))

    def threshold_for(self, model_id: str, setting: str) -> tuple[float, ThresholdOverride | None]:
        """The value of ``setting`` for ``model_id``, and its override if any."""
        for override in self.overrides:
            if override.model_id == model_id and override.setting == setting:
                return override.value, override
        return float(getattr(self, setting)), None

    def roles_for_groups(self, groups: tuple[str, ...] | list[str]) -> frozenset[str]:
        """Roles held through membership of the given DSS groups."""
        return frozenset(r for g in groups for r in self.role_groups.get(g, ()))


OVERRIDABLE_SETTINGS = ("min_auc", "min_disparate_impact", "max_ks_drift", "auc_alert_threshold")


def policy_to_dict(policy: Policy) -> dict[str, Any]:
    """Plain JSON-able form of ``policy`` (the inverse of :func:`parse_policy`)."""
    data = dataclasses.asdict(policy)
    data["role_groups"] = {k: list(v) for k, v in sorted(policy.role_groups.items())}
    return data


def parse_policy(data: Mapping[str, Any]) -> Policy:
    """Validate a policy document and build the :class:`Policy`.

    Unknown keys, wrong types and out-of-range values are refused with a
    :class:`ConfigError` naming the key and the accepted range; missing keys take the
    process defaults.
    """
    if not isinstance(data, Mapping):
        raise ConfigError(f"policy: expected a JSON object, got {type(data).__name__}.")
    known = {f.name: f for f in dataclasses.fields(Policy)}
    unknown = sorted(set(data) - set(known))
    if unknown:
        raise ConfigError(
            f"policy: unknown key(s) {', '.join(unknown)}; "
            f"accepted keys are {', '.join(sorted(known))}."
        )
    values = {name: _parse_field(known[name], value) for name, value in data.items()}
    policy = Policy(**values)
    _check_consistency(policy)
    return policy


def _parse_field(spec: dataclasses.Field[Any], value: Any) -> Any:
    kind = spec.metadata.get("kind", "version")
    parser = _PARSERS[kind]
    return parser(spec.name, value, spec.metadata)


def _parse_number(key: str, value: Any, meta: Mapping[str, Any]) -> float:
    low, high = meta["range"]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"policy.{key}: expected a number in [{low}, {high}], got {value!r}.")
    if not low <= value <= high:
        raise ConfigError(f"policy.{key}: {value} is outside the accepted range [{low}, {high}].")
    return float(value)


def _parse_int(key: str, value: Any, meta: Mapping[str, Any]) -> int:
    low, high = meta["range"]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(
            f"policy.{key}: expected a whole number in [{low}, {high}], got {value!r}."
        )
    if not low <= value <= high:
        raise ConfigError(f"policy.{key}: {value} is outside the accepted range [{low}, {high}].")
    return int(value)


def _parse_name(key: str, value: Any, meta: Mapping[str, Any] | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"policy.{key}: expected a non-empty string, got {value!r}.")
    return value.strip()


def _parse_names(key: str, value: Any, meta: Mapping[str, Any]) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"policy.{key}: expected a list of strings, got {value!r}.")
    names = tuple(_parse_name(f"{key}[{i}]", v) for i, v in enumerate(value))
    if not names and not meta.get("allow_empty", False):
        raise ConfigError(f"policy.{key}: the list may not be empty; name at least one entry.")
    if len(set(names)) != len(names):
        raise ConfigError(f"policy.{key}: entries must be distinct, got {list(names)}.")
    return names


def _parse_bool(key: str, value: Any, meta: Mapping[str, Any]) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"policy.{key}: expected true or false, got {value!r}.")
    return value


def _parse_role_groups(key: str, value: Any, meta: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"policy.{key}: expected an object mapping DSS group names to lists of roles, "
            f"got {value!r}."
        )
    return {
        _parse_name(key, group): _parse_names(f"{key}.{group}", roles, {})
        for group, roles in value.items()
    }


def _parse_fast_track(key: str, value: Any, meta: Mapping[str, Any]) -> FastTrackRule:
    if not isinstance(value, Mapping):
        raise ConfigError(f"policy.{key}: expected an object, got {value!r}.")
    allowed = {f.name for f in dataclasses.fields(FastTrackRule)}
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise ConfigError(
            f"policy.{key}: unknown key(s) {', '.join(unknown)}; "
            f"accepted: {', '.join(sorted(allowed))}."
        )
    out: dict[str, Any] = {}
    for name, item in value.items():
        if name == "enabled":
            out[name] = _parse_bool(f"{key}.{name}", item, {})
        elif name == "roles_granted":
            out[name] = _parse_names(f"{key}.{name}", item, {"allow_empty": True})
        else:
            out[name] = _parse_number(f"{key}.{name}", item, {"range": _RATIO})
    return FastTrackRule(**out)


def _parse_overrides(
    key: str, value: Any, meta: Mapping[str, Any]
) -> tuple[ThresholdOverride, ...]:
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"policy.{key}: expected a list of overrides, got {value!r}.")
    return tuple(_parse_override(f"{key}[{i}]", item) for i, item in enumerate(value))


def _parse_override(key: str, item: Any) -> ThresholdOverride:
    required = ("model_id", "setting", "value", "set_by", "reason")
    if not isinstance(item, Mapping) or set(item) != set(required):
        raise ConfigError(
            f"policy.{key}: an override needs exactly {', '.join(required)} "
            f"(who set it and why are mandatory), got {item!r}."
        )
    setting = _parse_name(f"{key}.setting", item["setting"])
    if setting not in OVERRIDABLE_SETTINGS:
        raise ConfigError(
            f"policy.{key}.setting: {setting!r} cannot be overridden per model; "
            f"choose one of {', '.join(OVERRIDABLE_SETTINGS)}."
        )
    low_high = {"range": _RATIO}
    return ThresholdOverride(
        model_id=_parse_name(f"{key}.model_id", item["model_id"]),
        setting=setting,
        value=_parse_number(f"{key}.value", item["value"], low_high),
        set_by=_parse_name(f"{key}.set_by", item["set_by"]),
        reason=_parse_name(f"{key}.reason", item["reason"]),
    )


def _parse_version(key: str, value: Any, meta: Mapping[str, Any]) -> str:
    return _parse_name(key, value)


_PARSERS: dict[str, Any] = {
    "number": _parse_number,
    "int": _parse_int,
    "name": _parse_name,
    "names": _parse_names,
    "bool": _parse_bool,
    "role_groups": _parse_role_groups,
    "fast": _parse_fast_track,
    "overrides": _parse_overrides,
    "version": _parse_version,
}


def _check_consistency(policy: Policy) -> None:
    roles = policy.required_roles
    if len(set(roles)) != len(roles):
        raise ConfigError(
            "policy.review_board_role: the board role must differ from every governance role; "
            f"got {policy.review_board_role!r} in {list(policy.governance_roles)}."
        )
    if policy.auc_alert_threshold > policy.min_auc:
        raise ConfigError(
            f"policy.auc_alert_threshold: {policy.auc_alert_threshold} is above the gate's "
            f"min_auc {policy.min_auc}; a freshly approved model would alert at once."
        )
    for name, chosen in (
        ("waiver_roles", policy.waiver_roles),
        ("fast_track.roles_granted", policy.fast_track.roles_granted),
    ):
        stray = sorted(set(chosen) - set(roles))
        if stray:
            raise ConfigError(
                f"policy.{name}: {', '.join(stray)} are not sign-off roles; "
                f"use roles from {', '.join(roles)}."
            )
