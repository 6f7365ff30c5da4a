"""The DSS and Govern adapters, on ``dataikuapi`` and the in-DSS ``dataiku`` package.

The use cases see DSS only through the ports these classes implement
(:class:`~model_governance.deployment.Deployer`,
:class:`~model_governance.deployment.DocumentStore`,
:class:`~model_governance.review.ModelRegistry`,
:class:`~model_governance.review.Notifier`). Every DSS error, an error answer or a
failed long-running task, becomes :class:`ExternalSystemError` naming the operation
and DSS's answer.

Evidence of a saved-model version, and where DSS keeps each part:

- metrics: the version snippet (``get_performance_metrics``), numbers only;
- features and roles: the version's preprocessing settings (``per_feature``);
- code environment: ``coreParams.executionParams.envSelection``;
- training dataset: the saved model's ``miniTask.splitParams``; its schema gives
  column types and meanings. DSS schemas carry no column tags, so a column is tagged
  with a sensitive tag of the policy when its meaning (id or label) or the word
  opening its comment ("PHI: ...") is that tag;
- a hash of the version's details (without the user-editable name, description and
  labels), so a retrained or edited model changes the fingerprint;
- a bounded sample of the training rows (``dataiku.Dataset``), scanned for sensitive
  values; only the findings are kept;
- disparate-impact counts per protected group from a scored evaluation dataset.

The submitter's description, the value findings, the fairness counts and the list of
compared versions are frozen at submission: :func:`refresh_evidence` re-reads only the
model's own state, so a re-check compares like with like.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import dataiku
import pandas as pd
import requests
from dataikuapi import GovernClient
from dataikuapi.govern.artifact_search import (
    GovernArtifactFilterArchivedStatus,
    GovernArtifactFilterBlueprints,
    GovernArtifactFilterFieldValue,
    GovernArtifactSearchQuery,
)
from dataikuapi.utils import DataikuException

from model_governance.collect import profile_frame, value_findings
from model_governance.core.audit import AuditEvent
from model_governance.core.errors import ConfigError, ExternalSystemError, GovernanceError
from model_governance.core.evidence import Evidence, evidence_to_dict, parse_evidence
from model_governance.core.hashing import content_hash, to_utc_iso
from model_governance.core.policy import Policy
from model_governance.core.workflow import Principal
from model_governance.deployment import DeploymentState, ExportedBundle, UpdateOutcome
from model_governance.dss.params import EvaluationParams, GovernSettings, SubmitParams
from model_governance.evaluation import favourable_outcomes
from model_governance.review import Attachment, ExternalFeedback, ExternalReview

log = logging.getLogger(__name__)

AUDIT_TYPE = "model-governance"
"""``customMsgType`` of the plugin's entries in the DSS audit trail."""
MODEL_VERSION_BLUEPRINT = "bp.system.govern_model_version"
TAG_LABEL = "governance:semantic_tag"
QUALIFICATION_LABEL = "governance:qualification"
_FROZEN_FIELDS = ("semver", "description", "value_findings", "fairness", "experiments")
_ROLES = {"INPUT": "input", "REJECT": "rejected", "TARGET": "target", "WEIGHT": "weight"}
_KINDS = {"NUMERIC": "numeric", "CATEGORY": "categorical", "TEXT": "text", "VECTOR": "vector"}
_CHUNK_ROWS = 50_000

__all__ = [
    "AUDIT_TYPE",
    "AuditForwardReport",
    "DssAuditSink",
    "DssDeployer",
    "DssMailNotifier",
    "DssModelRegistry",
    "FolderStore",
    "caller_principal",
    "collect_evidence",
    "dataset_errors",
    "dss_errors",
    "find_version_artifact",
    "govern_client",
    "model_id_for",
    "read_govern_review",
    "refresh_evidence",
    "split_model_id",
]


@contextmanager
def dss_errors(what: str) -> Iterator[None]:
    """Turn an error answer from DSS, or DSS out of reach, into ExternalSystemError."""
    try:
        yield
    except DataikuException as exc:
        raise ExternalSystemError(f"{what}: DSS answered {_answer(exc)}.", operation=what) from exc
    except requests.RequestException as exc:
        raise ExternalSystemError(
            f"{what}: DSS could not be reached ({type(exc).__name__}).", operation=what
        ) from exc


@contextmanager
def dataset_errors(description: str, *, bad_columns: str, retry: str) -> Iterator[None]:
    """Turn a failure while reading a dataset into an error that says what to do.

    pandas' KeyError, ValueError or TypeError mean the chosen columns do not fit the
    data (``bad_columns`` is the message); anything else from ``dataiku`` means the
    dataset could not be read (``retry`` says how to recover). Governance errors pass.
    """
    try:
        yield
    except GovernanceError:
        raise
    except (KeyError, ValueError, TypeError) as exc:
        raise ConfigError(bad_columns) from exc
    except Exception as exc:  # dataiku raises bare Exception for unreadable data
        raise ExternalSystemError(
            f"reading {description}: {type(exc).__name__}; {retry}.",
            operation=f"read {description}",
        ) from exc


def model_id_for(project_key: str, saved_model_id: str) -> str:
    """The ledger's model id of a saved model: ``PROJECT.savedModelId``."""
    return f"{project_key}.{saved_model_id}"


def split_model_id(model_id: str) -> tuple[str, str]:
    """``PROJECT.savedModelId`` back into its two parts."""
    project_key, _, saved_model_id = model_id.partition(".")
    if not saved_model_id:
        raise ConfigError(
            f"model id {model_id!r} is not PROJECT.savedModelId; it was not registered from DSS."
        )
    return project_key, saved_model_id


def caller_principal(client: Any, policy: Policy) -> Principal:
    """The user DSS runs this code as, with the roles their DSS groups give."""
    with dss_errors("reading who runs the macro"):
        info = client.get_auth_info()
    groups = tuple(str(g) for g in info.get("groups") or ())
    return Principal(str(info["authIdentifier"]), policy.roles_for_groups(groups))


# Evidence


def collect_evidence(
    client: Any, project_key: str, params: SubmitParams, policy: Policy
) -> Evidence:
    """Everything the gate judges for a saved-model version, read from DSS now."""
    sm_id = params.saved_model_id
    version = params.version_id or _active_version(client, project_key, sm_id)
    state = _model_state(client, project_key, sm_id, version, policy)
    document = {
        **state,
        "semver": params.semver,
        "description": dataclasses.asdict(params.description),
        "value_findings": _value_findings(project_key, state, params.sample_rows, policy),
        "fairness": _fairness(project_key, params.evaluation) if params.evaluation else [],
        "experiments": _experiments(client, project_key, sm_id, version),
    }
    return parse_evidence(document)


def refresh_evidence(client: Any, registered: Evidence, policy: Policy) -> Evidence:
    """The registered evidence with the model's own state re-read from DSS now."""
    project_key, sm_id = split_model_id(registered.model_id)
    state = _model_state(client, project_key, sm_id, registered.version, policy)
    frozen = {k: v for k, v in evidence_to_dict(registered).items() if k in _FROZEN_FIELDS}
    return parse_evidence({**frozen, **state})


def _active_version(client: Any, project_key: str, sm_id: str) -> str:
    with dss_errors(f"reading the active version of saved model {sm_id}"):
        active = client.get_project(project_key).get_saved_model(sm_id).get_active_version()
    if not active:
        raise ConfigError(
            f"Version: saved model {sm_id} has no active version; enter the version to submit."
        )
    return str(active["id"])


def _model_state(
    client: Any, project_key: str, sm_id: str, version: str, policy: Policy
) -> dict[str, Any]:
    project = client.get_project(project_key)
    with dss_errors(f"reading saved model {sm_id} version {version}"):
        saved_model = project.get_saved_model(sm_id)
        settings = saved_model.get_settings().get_raw()
        details = saved_model.get_version_details(version)
        raw = details.get_raw()
        metrics = details.get_performance_metrics()
    training_dataset = _short_name(settings["miniTask"]["splitParams"]["ssdDatasetSmartName"])
    return {
        "model_id": model_id_for(project_key, sm_id),
        "version": version,
        "project_key": project_key,
        "model_name": str(settings.get("name") or sm_id),
        "code_env": _code_env(raw),
        "metrics": _numbers(metrics),
        "features": _features(raw),
        "training_dataset": training_dataset,
        "training_schema": _schema(client, project_key, training_dataset, policy),
        "artifact_hashes": {"dss_model_details": _details_hash(raw)},
    }


def _short_name(smart_name: str) -> str:
    return smart_name.split(".", 1)[1] if "." in smart_name else smart_name


def _code_env(details: Mapping[str, Any]) -> str:
    selection = details.get("coreParams", {}).get("executionParams", {}).get("envSelection", {})
    if selection.get("envMode") == "EXPLICIT_ENV" and selection.get("envName"):
        return str(selection["envName"])
    # LIMITATION: an inherited or built-in environment is named by its mode only
    # (``mode:INHERIT``). Effect: it fails the approved-environment check unless the
    # policy's approved list names that mode.
    return f"mode:{selection.get('envMode', 'INHERIT')}"


def _numbers(metrics: Mapping[str, Any]) -> dict[str, float]:
    return {
        str(k): float(v)
        for k, v in metrics.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    }


def _features(details: Mapping[str, Any]) -> list[dict[str, str]]:
    per_feature = details.get("preprocessing", {}).get("per_feature", {})
    return [
        {
            "name": str(name),
            # An unknown role is treated as an input: the scan must not miss a feature.
            "role": _ROLES.get(str(handling.get("role")), "input"),
            "kind": _KINDS.get(str(handling.get("type")), "other"),
        }
        for name, handling in sorted(per_feature.items())
    ]


def _schema(client: Any, project_key: str, dataset: str, policy: Policy) -> list[dict[str, Any]]:
    with dss_errors(f"reading the schema of training dataset {dataset}"):
        columns = client.get_project(project_key).get_dataset(dataset).get_schema()["columns"]
        meanings = {str(m["id"]): str(m.get("label") or "") for m in client.list_meanings()}
    return [
        {
            "name": str(c["name"]),
            "type": str(c.get("type") or "string"),
            "tags": column_tags(c, meanings, policy.sensitive_tags),
            "meaning": c.get("meaning") or None,
        }
        for c in columns
    ]


def column_tags(
    column: Mapping[str, Any], meaning_labels: Mapping[str, str], sensitive_tags: Sequence[str]
) -> list[str]:
    """Policy tags a DSS column carries through its meaning or its comment.

    >>> column_tags({"name": "ssn", "meaning": "phi"}, {"phi": "PHI"}, ("PHI", "PCI"))
    ['PHI']
    >>> column_tags({"name": "card", "comment": "PCI: card"}, {}, ("PHI", "PCI"))
    ['PCI']
    """
    by_upper = {t.upper(): t for t in sensitive_tags}
    meaning = str(column.get("meaning") or "")
    candidates = [meaning, meaning_labels.get(meaning, "")]
    opening = re.match(r"\s*([A-Za-z]+)\s*:", str(column.get("comment") or ""))
    if opening:
        candidates.append(opening.group(1))
    return sorted({by_upper[c.upper()] for c in candidates if c and c.upper() in by_upper})


def _details_hash(details: Mapping[str, Any]) -> str:
    kept = {k: v for k, v in details.items() if k != "userMeta"}
    return content_hash(_jsonable(kept))


def _jsonable(value: Any) -> Any:
    # DSS may send NaN for an undefined metric; hash its spelling, not a number.
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value


def _value_findings(
    project_key: str, state: Mapping[str, Any], sample_rows: int, policy: Policy
) -> list[dict[str, Any]]:
    dataset = state["training_dataset"]
    try:
        frame = dataiku.Dataset(dataset, project_key=project_key, ignore_flow=True).get_dataframe(
            limit=sample_rows
        )
    except Exception as exc:  # dataiku raises bare Exception for unreadable data
        raise ExternalSystemError(
            f"reading a sample of training dataset {dataset}: {type(exc).__name__}; build the "
            "dataset (or check its connection) and submit again.",
            operation="sample training data",
        ) from exc
    schema = {c["name"]: c for c in state["training_schema"]}
    profiles = profile_frame(
        frame,
        features=[f["name"] for f in state["features"] if f["role"] == "input"],
        tags={name: c["tags"] for name, c in schema.items()},
        meanings={name: c["meaning"] for name, c in schema.items() if c["meaning"]},
    )
    return value_findings(profiles, sensitive_tags=policy.sensitive_tags)


def _fairness(project_key: str, evaluation: EvaluationParams) -> list[dict[str, Any]]:
    columns = [*evaluation.protected_attributes, evaluation.prediction_column]
    counts: dict[str, dict[str, list[int]]] = {a: {} for a in evaluation.protected_attributes}
    dataset = dataiku.Dataset(evaluation.dataset, project_key=project_key, ignore_flow=True)
    with dataset_errors(
        f"evaluation dataset {evaluation.dataset}",
        bad_columns=f"Protected attributes / Prediction column: evaluation dataset "
        f"{evaluation.dataset} lacks one of {', '.join(columns)}; pick columns of that dataset.",
        retry="build the dataset and submit again",
    ):
        for chunk in dataset.iter_dataframes(chunksize=_CHUNK_ROWS, columns=columns):
            _count_chunk(chunk, evaluation, counts)
    outcome = f"{evaluation.prediction_column} = {evaluation.favourable_value}"
    return [
        {
            "attribute": attribute,
            "favourable_outcome": outcome,
            "groups": [
                {"group": g, "size": size, "favourable": fav}
                for g, (size, fav) in sorted(groups.items())
            ],
        }
        for attribute, groups in counts.items()
    ]


def _count_chunk(
    chunk: pd.DataFrame, evaluation: EvaluationParams, counts: dict[str, dict[str, list[int]]]
) -> None:
    missing = [c for c in (*evaluation.protected_attributes, evaluation.prediction_column)
               if c not in chunk.columns]  # fmt: skip
    if missing:
        raise KeyError(missing[0])
    favourable = favourable_outcomes(
        chunk[evaluation.prediction_column], evaluation.favourable_value
    )
    for attribute in evaluation.protected_attributes:
        table = pd.DataFrame({"g": chunk[attribute].astype(str), "f": favourable})
        for group, row in table.groupby("g")["f"].agg(["size", "sum"]).iterrows():
            total = counts[attribute].setdefault(str(group), [0, 0])
            total[0] += int(row["size"])
            total[1] += int(row["sum"])


def _experiments(client: Any, project_key: str, sm_id: str, chosen: str) -> list[dict[str, Any]]:
    with dss_errors(f"listing the versions of saved model {sm_id}"):
        versions = client.get_project(project_key).get_saved_model(sm_id).list_versions()
    runs = []
    for item in versions:
        snippet = item.get("snippet") or {}
        metrics = _numbers({k: snippet.get(k) for k in ("auc", "f1", "accuracy", "logLoss")})
        runs.append(
            {
                "run_id": f"{sm_id}/{item['id']}",
                "algorithm": str(snippet.get("algorithm") or "unknown"),
                "metrics": metrics,
                "is_chosen": item["id"] == chosen,
                "note": str((snippet.get("userMeta") or {}).get("name") or ""),
            }
        )
    return [r for r in runs if r["metrics"] or r["is_chosen"]]


# Ports


class DssDeployer:
    """The Deployer port on the Design node and the Project Deployer."""

    def __init__(self, client: Any):
        self.client = client

    def active_version(self, model_id: str) -> str:
        """The saved model's active version."""
        project_key, sm_id = split_model_id(model_id)
        with dss_errors(f"reading the active version of {model_id}"):
            active = (
                self.client.get_project(project_key).get_saved_model(sm_id).get_active_version()
            )
        return str(active["id"]) if active else ""

    def activate_version(self, model_id: str, version: str) -> None:
        """Make ``version`` the active version."""
        project_key, sm_id = split_model_id(model_id)
        with dss_errors(f"activating {model_id} {version}"):
            self.client.get_project(project_key).get_saved_model(sm_id).set_active_version(version)

    def export_bundle(
        self, project_key: str, bundle_id: str, *, release_notes: str
    ) -> ExportedBundle:
        """Export the bundle, then read what it holds and hash its archive."""
        project = self.client.get_project(project_key)
        with dss_errors(f"exporting bundle {bundle_id}"):
            project.export_bundle(bundle_id, release_notes=release_notes)
        with dss_errors(f"reading exported bundle {bundle_id}"):
            listed = project.list_exported_bundles().get("bundles", [])
            digest = _stream_sha256(project.get_exported_bundle_archive_stream(bundle_id))
        entry: dict[str, Any] = next((b for b in listed if b.get("bundleId") == bundle_id), {})
        summary = (entry.get("exportManifest") or {}).get("contentSummary") or {}
        versions = {
            model_id_for(project_key, str(m["id"])): str(m.get("activeVersion"))
            for m in summary.get("savedModels", [])
            if m.get("id")
        }
        return ExportedBundle(bundle_id, digest, versions)

    def delete_exported_bundle(self, project_key: str, bundle_id: str) -> None:
        """Remove the bundle from the Design node."""
        with dss_errors(f"deleting exported bundle {bundle_id}"):
            self.client.get_project(project_key).delete_exported_bundle(bundle_id)

    def publish_bundle(self, project_key: str, bundle_id: str) -> str:
        """Publish to the Project Deployer; returns the published project key."""
        with dss_errors(f"publishing bundle {bundle_id}"):
            state = self.client.get_project(project_key).publish_bundle(bundle_id)
        return str((state or {}).get("publishedProjectKey") or project_key)

    def published_bundles(self, published_project_key: str) -> tuple[str, ...]:
        """Bundles the Project Deployer holds for the published project."""
        deployer = self.client.get_projectdeployer()
        try:
            with dss_errors(f"listing the bundles of {published_project_key} on the deployer"):
                status = deployer.get_project(published_project_key).get_status()
        except ExternalSystemError as exc:
            if "NotFoundException" in str(exc):
                return ()
            raise
        return tuple(str(b["id"]) for b in status.get_bundles())

    def delete_published_bundle(self, published_project_key: str, bundle_id: str) -> None:
        """Remove the bundle from the Project Deployer."""
        with dss_errors(f"deleting bundle {bundle_id} from the Project Deployer"):
            deployer = self.client.get_projectdeployer()
            deployer.get_project(published_project_key).delete_bundle(bundle_id)

    def govern_check_policy(self, infrastructure: str) -> str:
        """The infrastructure's Govern check policy."""
        with dss_errors(f"reading infrastructure {infrastructure}"):
            infra = self.client.get_projectdeployer().get_infra(infrastructure)
            settings = infra.get_settings().get_raw()
        return str(settings.get("governCheckPolicy") or "NO_CHECK")

    def deployments(self, published_project_key: str) -> tuple[DeploymentState, ...]:
        """Deployments of the published project, with the bundle each one runs."""
        deployer = self.client.get_projectdeployer()
        states = []
        with dss_errors(f"listing the deployments of {published_project_key}"):
            for light in deployer.list_deployments(as_objects=False):
                info = light.get("deploymentBasicInfo", light)
                if info.get("publishedProjectKey") != published_project_key:
                    continue
                status = deployer.get_deployment(info["id"]).get_status()
                states.append(_deployment_state(info, status.get_heavy()))
        return tuple(states)

    def create_deployment(
        self, deployment_id: str, published_project_key: str, infrastructure: str, bundle_id: str
    ) -> None:
        """Create the deployment (DSS deploys nothing until it is updated)."""
        with dss_errors(f"creating deployment {deployment_id}"):
            self.client.get_projectdeployer().create_deployment(
                deployment_id, published_project_key, infrastructure, bundle_id,
                ignore_warnings=True,
            )  # fmt: skip

    def update_deployment(self, deployment_id: str, bundle_id: str) -> UpdateOutcome:
        """Point the deployment at the bundle, start the update and wait for it."""
        deployment = self.client.get_projectdeployer().get_deployment(deployment_id)
        with dss_errors(f"updating deployment {deployment_id} to bundle {bundle_id}"):
            settings = deployment.get_settings()
            if settings.bundle_id != bundle_id:
                settings.bundle_id = bundle_id
                # The gate decided and its warning is recorded; PREVENT still holds.
                settings.save(ignore_warnings=True)
            report = deployment.start_update().wait_for_result() or {}
        if report.get("error") or report.get("fatal"):
            raise ExternalSystemError(
                f"updating deployment {deployment_id}: the update ended with errors "
                f"({_messages(report)}).",
                operation="update deployment",
            )
        with dss_errors(f"reading deployment {deployment_id} after its update"):
            heavy = deployment.get_status().get_heavy()
        return UpdateOutcome(
            heavy.get("deployedBundleId") or bundle_id,
            str(heavy.get("health") or ""),
            _messages(report) or "update finished",
        )

    def has_code_env(self, name: str) -> bool:
        """Whether DSS has a code environment of that name."""
        # LIMITATION: the environment is looked up on the node the plugin talks to (the
        # Design node), not on the Automation node. Effect: one missing only there
        # fails DSS's own update, which is recorded as a failed deployment.
        with dss_errors("listing the code environments"):
            envs = self.client.list_code_envs()
        return any(e.get("envName") == name for e in envs)

    def scoring_columns(self, project_key: str, dataset: str) -> tuple[str, ...]:
        """Columns of the dataset the model will score."""
        with dss_errors(f"reading the schema of scoring dataset {dataset}"):
            schema = self.client.get_project(project_key).get_dataset(dataset).get_schema()
        return tuple(str(c["name"]) for c in schema.get("columns", []))


class DssModelRegistry:
    """The ModelRegistry port: version labels and DSS's model document."""

    def __init__(self, client: Any):
        self.client = client

    def tag_version(self, model_id: str, version: str, *, tag: str, qualification_id: str) -> None:
        """Label the version with its semantic tag and its qualification id."""
        project_key, sm_id = split_model_id(model_id)
        with dss_errors(f"labelling {model_id} {version}"):
            details = (
                self.client.get_project(project_key)
                .get_saved_model(sm_id)
                .get_version_details(version)
            )
            meta = details.get_user_meta()
            kept = [
                x
                for x in meta.get("labels") or []
                if x.get("key") not in (TAG_LABEL, QUALIFICATION_LABEL)
            ]
            meta["labels"] = [
                *kept,
                {"key": TAG_LABEL, "value": tag},
                {"key": QUALIFICATION_LABEL, "value": qualification_id},
            ]
            details.save_user_meta()  # fmt: skip

    def model_documentation(self, model_id: str, version: str) -> bytes | None:
        """The .docx DSS generates from its default template, or None if not offered."""
        project_key, sm_id = split_model_id(model_id)
        saved_model = self.client.get_project(project_key).get_saved_model(sm_id)
        try:
            with dss_errors(f"generating the DSS model documentation of {model_id} {version}"):
                details = saved_model.get_version_details(version)
                result = details.generate_documentation().wait_for_result()
                stream = details.download_documentation_stream(result["exportId"])
        except ExternalSystemError as exc:
            text = str(exc)
            if "graphical export" in text.lower() or "NotFoundException" in text:
                log.info("DSS model documentation not offered: %s", text)
                return None
            raise
        try:
            return bytes(stream.content)
        finally:
            stream.close()


class DssMailNotifier:
    """The Notifier port on a DSS mail messaging channel."""

    def __init__(self, client: Any, channel_id: str, project_key: str):
        self.client = client
        self.channel_id = channel_id
        self.project_key = project_key

    def notify(
        self,
        recipients: Sequence[str],
        subject: str,
        body_html: str,
        attachments: Sequence[Attachment] = (),
    ) -> None:
        """Send one HTML message per recipient."""
        with dss_errors(f"sending mail through channel {self.channel_id}"):
            channel = self.client.get_messaging_channel(self.channel_id)
            if not hasattr(channel, "send"):
                raise ExternalSystemError(
                    f"Mail channel: {self.channel_id} is not a mail channel; name one of "
                    "Administration > Settings > Notifications & Integrations in the "
                    "plugin settings.",
                    operation="send mail",
                )
            files = [[a.filename, a.content, a.media_type] for a in attachments]
            channel.send(self.project_key, list(recipients), subject, body_html, attachments=files)


class FolderStore:
    """:class:`~model_governance.deployment.DocumentStore` on a DSS managed folder."""

    def __init__(self, folder_id: str, project_key: str):
        self.folder_id = folder_id
        self.project_key = project_key

    def write(self, path: str, content: bytes) -> str:
        """Write the file; returns ``folder:path``."""
        target = "/" + path.lstrip("/")
        try:
            folder = dataiku.Folder(self.folder_id, project_key=self.project_key)
            folder.upload_data(target, content)
        except Exception as exc:  # dataiku raises bare Exception on folder errors
            raise ExternalSystemError(
                f"writing {target} to managed folder {self.folder_id}: {type(exc).__name__}: {exc}",
                operation="write to managed folder",
            ) from exc
        return f"{self.folder_id}:{target}"


# Govern


def govern_client(client: Any, settings: GovernSettings) -> Any:
    """A client on the Govern node the settings name (or DSS's Govern integration)."""
    with dss_errors("connecting to Dataiku Govern"):
        govern = (
            GovernClient(settings.url, api_key=settings.api_key)
            if settings.url
            else client.get_govern_client()
        )
    if govern is None:
        raise ConfigError(
            "Govern node URL: empty, and DSS has no Govern integration enabled; enter the "
            "Govern URL and API key, or disable Govern sign-offs, in the plugin settings."
        )
    return govern


def find_version_artifact(govern: Any, project_key: str, sm_id: str, version: str) -> Any:
    """The Govern artifact of a saved-model version, or None when Govern has none."""
    query = GovernArtifactSearchQuery(
        artifact_filters=[
            GovernArtifactFilterBlueprints([MODEL_VERSION_BLUEPRINT]),
            GovernArtifactFilterArchivedStatus(False),
            GovernArtifactFilterFieldValue("EQUALS", project_key, "dss_project_key"),
            GovernArtifactFilterFieldValue("EQUALS", sm_id, "dss_saved_model_id"),
            GovernArtifactFilterFieldValue("EQUALS", version, "dss_saved_model_version_id"),
        ]
    )
    with dss_errors(f"finding the Govern artifact of {sm_id} {version}"):
        hits = govern.new_artifact_search_request(query).fetch_next_batch(page_size=5)
        artifacts = [hit.to_artifact() for hit in hits.get_response_hits()]
    return artifacts[0] if artifacts else None


def read_govern_review(
    client: Any, settings: GovernSettings, project_key: str, sm_id: str, version: str
) -> ExternalReview:
    """The Govern sign-off of the saved-model version's artifact (workflow step)."""
    artifact = find_version_artifact(govern_client(client, settings), project_key, sm_id, version)
    if artifact is None:
        return ExternalReview(f"Govern (no artifact for {sm_id} {version})", "MISSING")
    with dss_errors(f"reading the Govern sign-off of {sm_id} {version}"):
        signoff = artifact.get_signoff(settings.step_id).get_definition().get_raw()
    feedback = tuple(
        ExternalFeedback(
            group=str(f.get("groupId") or ""),
            user=str(f.get("user") or ""),
            status=str(f.get("status") or ""),
            comment=str(f.get("comment") or ""),
            reference=str(f.get("id") or ""),
        )
        for f in signoff.get("feedbackResponses", [])
    )
    source = f"Govern artifact {artifact.artifact_id} step {settings.step_id}"
    return ExternalReview(source, str(signoff.get("status") or "UNKNOWN"), feedback)


# DSS audit trail


@dataclass(frozen=True)
class AuditForwardReport:
    """How many ledger events reached the DSS audit trail, and which did not (yet)."""

    sent: int
    failed: tuple[tuple[int, str], ...] = ()
    pending: tuple[int, ...] = ()
    last_sent_seq: int | None = None


class DssAuditSink:
    """Sends ledger audit events to the DSS audit trail as custom entries."""

    def __init__(self, client: Any):
        self.client = client

    def forward(self, events: Sequence[AuditEvent]) -> AuditForwardReport:
        """Send the events in order; stop at the first failure (reported, not raised).

        Stopping keeps what was sent a prefix of the chain, so the next run resumes
        exactly after it.
        """
        sent: list[int] = []
        for event in events:
            try:
                with dss_errors(f"sending audit event {event.seq} to DSS"):
                    self.client.log_custom_audit(AUDIT_TYPE, _audit_params(event))
            except ExternalSystemError as exc:
                pending = tuple(e.seq for e in events if e.seq >= event.seq)
                return AuditForwardReport(len(sent), ((event.seq, str(exc)),), pending, _last(sent))
            sent.append(event.seq)
        return AuditForwardReport(len(sent), (), (), _last(sent))


def _last(seqs: Sequence[int]) -> int | None:
    return seqs[-1] if seqs else None


def _audit_params(event: AuditEvent) -> dict[str, Any]:
    return {
        "action": event.action,
        "actor": event.actor,
        "entityType": event.entity_type,
        "entityId": event.entity_id,
        "occurredAt": to_utc_iso(event.occurred_at),
        "ledgerSeq": event.seq,
        "ledgerHash": event.hash,
        "payload": dict(event.payload),
    }


# Helpers


def _answer(exc: DataikuException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 400 else text[:400] + "…"


def _stream_sha256(stream: Any) -> str:
    digest = hashlib.sha256()
    try:
        for chunk in stream.iter_content(chunk_size=1 << 16):
            digest.update(chunk)
    finally:
        stream.close()
    return digest.hexdigest()


def _deployment_state(info: Mapping[str, Any], heavy: Mapping[str, Any]) -> DeploymentState:
    deployed = heavy.get("deployedBundleId")
    return DeploymentState(
        deployment_id=str(info["id"]),
        infrastructure=str(info.get("infraId") or ""),
        bundle_id=str(info.get("bundleId") or ""),
        deployed_bundle_id=str(deployed) if deployed else None,
    )


def _messages(report: Mapping[str, Any]) -> str:
    messages = report.get("messages") or []
    return "; ".join(str(m.get("message") or m.get("details") or "") for m in messages if m)
