"""What a model version brings to the gate, and the fingerprint binding approvals to it.

Evidence is immutable. Its fingerprint is the SHA-256 of its canonical JSON, so two
files that differ only in key order or number spelling (``0.9`` and ``0.90``)
fingerprint the same, and any change to the model, its features, its data schema, its
code environment or its artefacts gives another fingerprint, which closes the gate for
an earlier approval.

Sampled data values never enter evidence: the sensitive-data scan of values runs when
the evidence is collected and only its findings (column, kind, share) are kept.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

from model_governance.core.constants import SEMANTIC_TAG_SUFFIX
from model_governance.core.errors import ValidationError
from model_governance.core.hashing import content_hash

SEMVER_PATTERN = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)(\.(0|[1-9]\d*))?$")
SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
FEATURE_ROLES = ("input", "target", "rejected", "weight", "prediction")
FEATURE_KINDS = ("numeric", "categorical", "text", "vector", "image", "other")


@dataclass(frozen=True)
class Feature:
    """A column as the model uses it: its role and how it is handled."""

    name: str
    role: str = "input"
    kind: str = "numeric"


@dataclass(frozen=True)
class Column:
    """A training-data column as the source dataset's schema declares it."""

    name: str
    type: str = "string"
    tags: tuple[str, ...] = ()
    meaning: Optional[str] = None


@dataclass(frozen=True)
class GroupOutcome:
    """Counts for one group of a protected attribute on the evaluation data."""

    group: str
    size: int
    favourable: int


@dataclass(frozen=True)
class FairnessEvidence:
    """Favourable-outcome counts per group of one protected attribute."""

    attribute: str
    favourable_outcome: str
    groups: tuple[GroupOutcome, ...]


@dataclass(frozen=True)
class ValueFinding:
    """A sensitive-value pattern seen in a column's sample; the values are not kept."""

    column: str
    kind: str
    share: float
    sample_size: int


@dataclass(frozen=True)
class ModelDescription:
    """The submitter's account of the model, shown on the model card and packet."""

    purpose: str = ""
    business_kpi: str = ""
    intended_use: str = ""
    out_of_scope_use: str = ""
    scalability_plan: str = ""
    rollback_strategy: str = ""
    known_limitations: tuple[str, ...] = ()


@dataclass(frozen=True)
class ExperimentRun:
    """One training run compared during development."""

    run_id: str
    algorithm: str
    params: Mapping[str, Any] = field(default_factory=dict)
    metrics: Mapping[str, float] = field(default_factory=dict)
    is_chosen: bool = False
    note: str = ""


@dataclass(frozen=True)
class Evidence:
    """Everything the gate judges for one model version."""

    model_id: str
    version: str
    semver: str
    project_key: str
    model_name: str
    code_env: str
    metrics: Mapping[str, float]
    features: tuple[Feature, ...]
    training_dataset: str
    training_schema: tuple[Column, ...]
    artifact_hashes: Mapping[str, str] = field(default_factory=dict)
    fairness: tuple[FairnessEvidence, ...] = ()
    value_findings: tuple[ValueFinding, ...] = ()
    description: ModelDescription = field(default_factory=ModelDescription)
    experiments: tuple[ExperimentRun, ...] = ()

    @property
    def semantic_tag(self) -> str:
        """The version's label while it is a candidate, e.g. ``v1.0-prod-candidate``."""
        return f"v{self.semver}{SEMANTIC_TAG_SUFFIX}"

    @property
    def input_features(self) -> tuple[Feature, ...]:
        """Features the model reads at scoring time."""
        return tuple(f for f in self.features if f.role == "input")

    @property
    def fingerprint(self) -> str:
        """SHA-256 over the canonical JSON of the evidence."""
        return content_hash(evidence_to_dict(self))

    def with_artifact(self, name: str, digest: str) -> Evidence:
        """A copy with one more artefact hash (for example the model file's)."""
        hashes = {**self.artifact_hashes, name: _parse_sha(f"artifact_hashes.{name}", digest)}
        return dataclasses.replace(self, artifact_hashes=hashes)


def evidence_to_dict(evidence: Evidence) -> dict[str, Any]:
    """Plain JSON-able form of ``evidence`` (the inverse of :func:`parse_evidence`)."""
    return dataclasses.asdict(evidence)


def parse_evidence(data: Any) -> Evidence:
    """Validate an evidence document and build :class:`Evidence`.

    Raises:
        ValidationError: naming the first offending field, what was received and the
        fix.
    """
    obj = _object("evidence", data, _EVIDENCE_REQUIRED, _EVIDENCE_OPTIONAL)
    features = _list("evidence.features", obj["features"], _parse_feature)
    if not any(f.role == "input" for f in features):
        raise ValidationError("evidence.features: no feature has role 'input'; list the inputs.")
    _distinct("evidence.features", [f.name for f in features])
    return Evidence(
        model_id=_text("evidence.model_id", obj["model_id"]),
        version=_text("evidence.version", obj["version"]),
        semver=_semver(obj["semver"]),
        project_key=_text("evidence.project_key", obj["project_key"]),
        model_name=_text("evidence.model_name", obj["model_name"]),
        code_env=_text("evidence.code_env", obj["code_env"]),
        metrics=_metrics("evidence.metrics", obj["metrics"]),
        features=features,
        training_dataset=_text("evidence.training_dataset", obj["training_dataset"]),
        training_schema=_list("evidence.training_schema", obj["training_schema"], _parse_column),
        artifact_hashes=_hashes(obj.get("artifact_hashes", {})),
        fairness=_list("evidence.fairness", obj.get("fairness", []), _parse_fairness),
        value_findings=_list(
            "evidence.value_findings", obj.get("value_findings", []), _parse_value_finding
        ),
        description=_parse_description(obj.get("description", {})),
        experiments=_list("evidence.experiments", obj.get("experiments", []), _parse_run),
    )


_EVIDENCE_REQUIRED = (
    "model_id",
    "version",
    "semver",
    "project_key",
    "model_name",
    "code_env",
    "metrics",
    "features",
    "training_dataset",
    "training_schema",
)
_EVIDENCE_OPTIONAL = (
    "artifact_hashes",
    "fairness",
    "value_findings",
    "description",
    "experiments",
)


def _object(
    path: str, data: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationError(f"{path}: expected a JSON object, got {type(data).__name__}.")
    missing = [k for k in required if k not in data]
    if missing:
        raise ValidationError(f"{path}: missing required field(s) {', '.join(missing)}.")
    unknown = sorted(set(data) - set(required) - set(optional))
    if unknown:
        raise ValidationError(
            f"{path}: unknown field(s) {', '.join(unknown)}; "
            f"accepted: {', '.join((*required, *optional))}."
        )
    return data


def _text(path: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{path}: expected a non-empty string, got {value!r}.")
    return value.strip()


def _optional_text(path: str, value: Any) -> str | None:
    return None if value is None else _text(path, value)


def _number(path: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValidationError(f"{path}: expected a finite number, got {value!r}.")
    return float(value)


def _count(path: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{path}: expected a whole number >= 0, got {value!r}.")
    return int(value)


def _list(path: str, value: Any, parse: Any) -> tuple[Any, ...]:
    if not isinstance(value, (list, tuple)):
        raise ValidationError(f"{path}: expected a list, got {type(value).__name__}.")
    return tuple(parse(f"{path}[{i}]", item) for i, item in enumerate(value))


def _distinct(path: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise ValidationError(f"{path}: {name!r} is listed twice; keep one entry per name.")
        seen.add(name)


def _choice(path: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValidationError(f"{path}: {value!r} is not one of {', '.join(choices)}.")
    return str(value)


def _semver(value: Any) -> str:
    text = _text("evidence.semver", value)
    if not SEMVER_PATTERN.match(text):
        raise ValidationError(
            f"evidence.semver: {text!r} is not a semantic version; use MAJOR.MINOR[.PATCH], "
            "for example 1.0 (the version is then tagged v1.0-prod-candidate)."
        )
    return text


def _metrics(path: str, value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping) or not value:
        raise ValidationError(f"{path}: expected a non-empty object of metric name to number.")
    return {_text(path, k): _number(f"{path}.{k}", v) for k, v in value.items()}


def _parse_sha(path: str, value: Any) -> str:
    text = _text(path, value).lower()
    if not SHA256_PATTERN.match(text):
        raise ValidationError(f"{path}: expected 64 hex digits of SHA-256, got {value!r}.")
    return text


def _hashes(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise ValidationError("evidence.artifact_hashes: expected an object of name to SHA-256.")
    return {k: _parse_sha(f"evidence.artifact_hashes.{k}", v) for k, v in value.items()}


def _parse_feature(path: str, item: Any) -> Feature:
    obj = _object(path, item, ("name",), ("role", "kind"))
    return Feature(
        name=_text(f"{path}.name", obj["name"]),
        role=_choice(f"{path}.role", obj.get("role", "input"), FEATURE_ROLES),
        kind=_choice(f"{path}.kind", obj.get("kind", "numeric"), FEATURE_KINDS),
    )


def _parse_column(path: str, item: Any) -> Column:
    obj = _object(path, item, ("name",), ("type", "tags", "meaning"))
    return Column(
        name=_text(f"{path}.name", obj["name"]),
        type=_text(f"{path}.type", obj.get("type", "string")),
        tags=_list(f"{path}.tags", obj.get("tags", []), _text),
        meaning=_optional_text(f"{path}.meaning", obj.get("meaning")),
    )


def _parse_group(path: str, item: Any) -> GroupOutcome:
    obj = _object(path, item, ("group", "size", "favourable"))
    size = _count(f"{path}.size", obj["size"])
    favourable = _count(f"{path}.favourable", obj["favourable"])
    if favourable > size:
        raise ValidationError(
            f"{path}.favourable: {favourable} exceeds the group size {size}; recount the group."
        )
    return GroupOutcome(group=str(obj["group"]), size=size, favourable=favourable)


def _parse_fairness(path: str, item: Any) -> FairnessEvidence:
    obj = _object(path, item, ("attribute", "favourable_outcome", "groups"))
    groups = _list(f"{path}.groups", obj["groups"], _parse_group)
    _distinct(f"{path}.groups", [g.group for g in groups])
    return FairnessEvidence(
        attribute=_text(f"{path}.attribute", obj["attribute"]),
        favourable_outcome=str(obj["favourable_outcome"]),
        groups=groups,
    )


def _parse_value_finding(path: str, item: Any) -> ValueFinding:
    obj = _object(path, item, ("column", "kind", "share", "sample_size"))
    share = _number(f"{path}.share", obj["share"])
    if not 0.0 <= share <= 1.0:
        raise ValidationError(f"{path}.share: expected a share in [0, 1], got {share}.")
    return ValueFinding(
        column=_text(f"{path}.column", obj["column"]),
        kind=_text(f"{path}.kind", obj["kind"]),
        share=share,
        sample_size=_count(f"{path}.sample_size", obj["sample_size"]),
    )


def _parse_description(item: Any) -> ModelDescription:
    names = tuple(f.name for f in dataclasses.fields(ModelDescription))
    obj = _object("evidence.description", item, (), names)
    values: dict[str, Any] = {}
    for name, value in obj.items():
        path = f"evidence.description.{name}"
        if name == "known_limitations":
            values[name] = _list(path, value, _text)
        elif not isinstance(value, str):
            raise ValidationError(f"{path}: expected text, got {type(value).__name__}.")
        else:
            values[name] = value.strip()
    return ModelDescription(**values)


def _parse_run(path: str, item: Any) -> ExperimentRun:
    fields = ("params", "metrics", "is_chosen", "note")
    obj = _object(path, item, ("run_id", "algorithm"), fields)
    params = obj.get("params", {})
    if not isinstance(params, Mapping):
        raise ValidationError(f"{path}.params: expected an object of parameter values.")
    return ExperimentRun(
        run_id=_text(f"{path}.run_id", obj["run_id"]),
        algorithm=_text(f"{path}.algorithm", obj["algorithm"]),
        params=dict(params),
        metrics=_metrics(f"{path}.metrics", obj["metrics"]) if "metrics" in obj else {},
        is_chosen=bool(obj.get("is_chosen", False)),
        note=str(obj.get("note", "")),
    )
