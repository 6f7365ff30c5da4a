"""Deployment use cases on an in-memory ledger with a fake Project Deployer."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from model_governance.core.errors import (
    ConflictError,
    ExternalSystemError,
    GateClosedError,
    ValidationError,
)
from model_governance.core.hashing import sha256_hex
from model_governance.core.workflow import Decision, Principal, QualificationState
from model_governance.deployment import (
    DeploymentService,
    DeploymentState,
    ExportedBundle,
    UpdateOutcome,
    bundle_id_for,
)
from model_governance.ledger.deployments import (
    approved_bundles,
    deployment_history,
    find_bundle,
)

PROJECT = "CLAIMS"
SUBMITTER = "sue.scientist"
INFRA = "PROD-ML-01"
ROLES = ("review_board", "data_steward", "security_lead", "ml_engineer")


class FakeDeployer:
    """A Project Deployer in memory; ``fail`` names calls that raise like DSS errors."""

    def __init__(self) -> None:
        self.active: dict[str, str] = {}
        self.exported: dict[str, str] = {}
        self.published: list[str] = []
        self.policy = {INFRA: "PREVENT", "STAGING-ML-01": "WARN"}
        self.states: dict[str, DeploymentState] = {}
        self.columns = ("claim_amount", "provider_type", "is_fraud")
        self.code_envs = {"python-3.11-deltadental"}
        self.fail: dict[str, str] = {}
        self.ship_other_version = False
        self.calls: list[str] = []

    def _call(self, name: str) -> None:
        self.calls.append(name)
        if name in self.fail:
            raise ExternalSystemError(f"{name}: DSS answered {self.fail[name]}.")

    def active_version(self, model_id: str) -> str:
        self._call("active_version")
        return self.active.get(model_id, "v1")

    def activate_version(self, model_id: str, version: str) -> None:
        self._call("activate_version")
        self.active[model_id] = version

    def export_bundle(
        self, project_key: str, bundle_id: str, *, release_notes: str
    ) -> ExportedBundle:
        self._call("export_bundle")
        self.exported[bundle_id] = release_notes
        version = "v0" if self.ship_other_version else self.active.get("claims-fraud", "v1")
        return ExportedBundle(bundle_id, sha256_hex(bundle_id), {"claims-fraud": version})

    def delete_exported_bundle(self, project_key: str, bundle_id: str) -> None:
        self._call("delete_exported_bundle")
        self.exported.pop(bundle_id, None)

    def publish_bundle(self, project_key: str, bundle_id: str) -> str:
        self._call("publish_bundle")
        self.published.append(bundle_id)
        return project_key

    def published_bundles(self, published_project_key: str) -> tuple[str, ...]:
        self._call("published_bundles")
        return tuple(self.published)

    def delete_published_bundle(self, published_project_key: str, bundle_id: str) -> None:
        self._call(f"delete_published_bundle:{bundle_id}")
        self.published.remove(bundle_id)

    def govern_check_policy(self, infrastructure: str) -> str:
        self._call("govern_check_policy")
        return self.policy[infrastructure]

    def deployments(self, published_project_key: str) -> tuple[DeploymentState, ...]:
        self._call("deployments")
        return tuple(self.states.values())

    def create_deployment(
        self, deployment_id: str, published_project_key: str, infrastructure: str, bundle_id: str
    ) -> None:
        self._call("create_deployment")
        self.states[deployment_id] = DeploymentState(deployment_id, infrastructure, bundle_id)

    def update_deployment(self, deployment_id: str, bundle_id: str) -> UpdateOutcome:
        self._call("update_deployment")
        state = self.states[deployment_id]
        self.states[deployment_id] = replace(
            state, bundle_id=bundle_id, deployed_bundle_id=bundle_id
        )
        return UpdateOutcome(bundle_id, "HEALTHY", "activated")

    def has_code_env(self, name: str) -> bool:
        self._call("has_code_env")
        return name in self.code_envs

    def scoring_columns(self, project_key: str, dataset: str) -> tuple[str, ...]:
        self._call("scoring_columns")
        return self.columns


class MemoryStore:
    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.fail = False

    def write(self, path: str, content: bytes) -> str:
        if self.fail:
            raise ExternalSystemError("writing: folder is read-only.")
        self.files[path] = content
        return f"memory:{path}"


@pytest.fixture
def deployer():
    return FakeDeployer()


@pytest.fixture
def deployments(service, deployer):
    return DeploymentService(service, deployer)


@pytest.fixture
def approve(service, evidence_factory, reviewers):
    """Register, drill, submit and sign a version; returns its evidence."""

    def run(version="v1", semver="1.0", roles=ROLES):
        evidence = evidence_factory(version=version, semver=semver, project_key=PROJECT)
        service.register(evidence, actor=SUBMITTER)
        service.record_rollback_drill(
            evidence.model_id, version, actor="olga.ops", is_passed=True, target="", note="ok"
        )
        q = service.submit(evidence.model_id, version, actor=SUBMITTER).qualification
        for role in roles:
            service.sign(q.qualification_id, reviewers[role], role, Decision.APPROVE, comment="ok")
        return evidence

    return run


@pytest.fixture
def published(deployments, approve, deployer):
    """Create and publish the approved bundle of a version; returns the bundle id."""

    def run(version="v1", semver="1.0"):
        evidence = approve(version, semver)
        deployer.active[evidence.model_id] = version
        bundle = deployments.create_bundle(evidence, actor="mia.engineer")
        deployments.publish_bundle(PROJECT, bundle.bundle_id, actor="mia.engineer")
        return bundle.bundle_id

    return run


def _actions(ledger):
    return [e.action for e in ledger.iter_events()]


def _last(ledger, action):
    return [e for e in ledger.iter_events() if e.action == action][-1]


# Bundle ids


def test_bundle_id_for_uses_slug_semver_and_utc_day(evidence_factory, clock):
    evidence = evidence_factory(model_name="Claims fraud detector", semver="1.2")

    assert bundle_id_for(evidence, clock()) == "claims-fraud-detector-v1.2-approved-2024-03-01"


def test_bundle_id_for_name_without_letters_raises_naming_fix(evidence_factory, clock):
    with pytest.raises(ValidationError, match="rename the saved model"):
        bundle_id_for(evidence_factory(model_name="---"), clock())


# Create


def test_create_bundle_before_approval_is_refused_and_audited(
    deployments, service, evidence_factory, deployer
):
    evidence = evidence_factory(project_key=PROJECT)
    service.register(evidence, actor=SUBMITTER)
    service.submit(evidence.model_id, "v1", actor=SUBMITTER)

    with pytest.raises(GateClosedError, match="Security Lead sign-off missing"):
        deployments.create_bundle(evidence, actor="mia.engineer")

    assert _actions(service.ledger)[-1] == "gate.refused"
    assert "export_bundle" not in deployer.calls


def test_create_bundle_approved_records_bundle_with_qualification(deployments, approve, service):
    evidence = approve()

    bundle = deployments.create_bundle(evidence, actor="mia.engineer")

    q = service.ledger.latest_qualification(evidence.model_id, "v1")
    assert (bundle.bundle_id, bundle.qualification_id, bundle.state) == (
        "claims-fraud-detector-v1.0-approved-2024-03-01",
        q.qualification_id,
        "approved",
    )
    assert bundle.fingerprint == evidence.fingerprint
    assert _last(service.ledger, "bundle.created").payload["archive_sha256"] == sha256_hex(
        bundle.bundle_id
    )


def test_create_bundle_release_notes_name_qualification_and_every_approver(
    deployments, approve, deployer
):
    evidence = approve()

    bundle = deployments.create_bundle(evidence, actor="mia.engineer")

    notes = deployer.exported[bundle.bundle_id]
    assert bundle.qualification_id in notes
    for name in ("rita.board", "dan.steward", "sam.security", "mia.engineer"):
        assert name in notes


def test_create_bundle_changed_evidence_is_refused(deployments, approve, service):
    evidence = approve()
    changed = replace(evidence, code_env="python-3.12-experimental")

    with pytest.raises(GateClosedError, match="the version changed since it was reviewed"):
        deployments.create_bundle(changed, actor="mia.engineer")

    assert (
        find_bundle(service.ledger, PROJECT, "claims-fraud-detector-v1.0-approved-2024-03-01")
        is None
    )


def test_create_bundle_twice_the_same_day_is_a_conflict(deployments, approve, service):
    evidence = approve()
    deployments.create_bundle(evidence, actor="mia.engineer")

    with pytest.raises(ConflictError, match="already exists"):
        deployments.create_bundle(evidence, actor="mia.engineer")

    assert _actions(service.ledger)[-1] == "bundle.create_refused"


def test_create_bundle_other_active_version_is_activated_and_recorded(
    deployments, approve, deployer, service
):
    evidence = approve()
    deployer.active[evidence.model_id] = "v7"

    deployments.create_bundle(evidence, actor="mia.engineer")

    assert deployer.active[evidence.model_id] == "v1"
    assert _last(service.ledger, "version.activated").payload["previous_active"] == "v7"


def test_create_bundle_other_active_version_without_activation_is_refused(
    deployments, approve, deployer
):
    evidence = approve()
    deployer.active[evidence.model_id] = "v7"

    with pytest.raises(GateClosedError, match="the active version of claims-fraud is v7"):
        deployments.create_bundle(evidence, actor="mia.engineer", activate_version=False)

    assert "export_bundle" not in deployer.calls


def test_create_bundle_export_failure_records_nothing_but_the_failure(
    deployments, approve, deployer, service
):
    evidence = approve()
    deployer.fail["export_bundle"] = "java.lang.RuntimeException: disk full"

    with pytest.raises(ExternalSystemError, match=r"disk full.*no bundle was recorded"):
        deployments.create_bundle(evidence, actor="mia.engineer")

    assert approved_bundles(service.ledger, PROJECT) == []
    assert _last(service.ledger, "bundle.create_failed").payload["step"].startswith("export")
    assert service.verify_audit().is_intact


def test_create_bundle_shipping_another_version_is_deleted_and_not_recorded(
    deployments, approve, deployer, service
):
    evidence = approve()
    deployer.ship_other_version = True

    with pytest.raises(ExternalSystemError, match="instead of the approved v1"):
        deployments.create_bundle(evidence, actor="mia.engineer")

    assert deployer.exported == {}
    assert approved_bundles(service.ledger, PROJECT) == []


# Publish


def test_publish_unknown_bundle_is_refused_and_audited(deployments, service):
    with pytest.raises(GateClosedError, match="holds no approved bundle fraud_v9"):
        deployments.publish_bundle(PROJECT, "fraud_v9", actor="mia.engineer")

    assert _actions(service.ledger)[-1] == "bundle.publish_refused"


def test_publish_rechecks_gate_after_revocation(deployments, approve, service, deployer):
    evidence = approve()
    bundle = deployments.create_bundle(evidence, actor="mia.engineer")
    q = service.ledger.latest_qualification(evidence.model_id, "v1")
    service.revoke(
        q.qualification_id, Principal("rita.board", frozenset({"review_board"})), reason="bias"
    )

    with pytest.raises(GateClosedError, match="is revoked, not approved"):
        deployments.publish_bundle(PROJECT, bundle.bundle_id, actor="mia.engineer")

    assert "publish_bundle" not in deployer.calls
    assert _actions(service.ledger)[-1] == "gate.refused"


def test_publish_records_published_project(deployments, approve, service):
    bundle = deployments.create_bundle(approve(), actor="mia.engineer")

    record = deployments.publish_bundle(PROJECT, bundle.bundle_id, actor="omar.ops")

    assert (record.published_project_key, record.published_by) == (PROJECT, "omar.ops")
    assert _actions(service.ledger)[-1] == "bundle.published"


def test_publish_failure_leaves_bundle_unpublished(deployments, approve, deployer, service):
    bundle = deployments.create_bundle(approve(), actor="mia.engineer")
    deployer.fail["publish_bundle"] = "403 forbidden"

    with pytest.raises(ExternalSystemError, match="still recorded as not published"):
        deployments.publish_bundle(PROJECT, bundle.bundle_id, actor="omar.ops")

    assert not find_bundle(service.ledger, PROJECT, bundle.bundle_id).is_published
    assert _actions(service.ledger)[-1] == "bundle.publish_failed"


# Deploy


def test_deploy_records_live_model_and_compliance_artifact(deployments, published, service):
    bundle_id = published()
    store = MemoryStore()

    result = deployments.deploy(
        PROJECT, bundle_id, INFRA, actor="omar.ops", scoring_dataset="scored", store=store
    )

    assert result.record.outcome == "succeeded"
    assert _actions(service.ledger)[-4:] == [
        "deploy.started",
        "deploy.succeeded",
        "model.live_in_production",
        "compliance.artifact_written",
    ]
    content = store.files[result.compliance.path]
    assert (
        sha256_hex(content)
        == _last(service.ledger, "compliance.artifact_written").payload["sha256"]
    )
    document = json.loads(content)
    assert [a["actor"] for a in document["approvals"]] == [
        "rita.board", "dan.steward", "sam.security", "mia.engineer",
    ]  # fmt: skip
    assert document["policy"]["hash"] == service.policy.content_hash
    assert document["bundle"]["archive_sha256"] == sha256_hex(bundle_id)


def test_deploy_unpublished_bundle_is_refused(deployments, approve, service):
    bundle = deployments.create_bundle(approve(), actor="mia.engineer")

    with pytest.raises(GateClosedError, match="is not published"):
        deployments.deploy(PROJECT, bundle.bundle_id, INFRA, actor="omar.ops", scoring_dataset="s")

    assert _actions(service.ledger)[-1] == "deployment.refused"


def test_deploy_scoring_schema_without_a_feature_is_refused_naming_it(
    deployments, published, deployer, service
):
    bundle_id = published()
    deployer.columns = ("claim_amount", "is_fraud")

    with pytest.raises(GateClosedError, match="lacks the model's input features provider_type"):
        deployments.deploy(PROJECT, bundle_id, INFRA, actor="omar.ops", scoring_dataset="scored")

    assert "update_deployment" not in deployer.calls
    assert deployment_history(service.ledger, f"{PROJECT}-on-{INFRA}") == []


def test_deploy_missing_code_env_is_refused(deployments, published, deployer):
    bundle_id = published()
    deployer.code_envs = set()

    with pytest.raises(GateClosedError, match=r"python-3\.11-deltadental is not present"):
        deployments.deploy(PROJECT, bundle_id, INFRA, actor="omar.ops", scoring_dataset="scored")


def test_deploy_to_warn_infrastructure_warns_and_records(deployments, published, service):
    bundle_id = published()

    result = deployments.deploy(
        PROJECT, bundle_id, "STAGING-ML-01", actor="omar.ops", scoring_dataset="scored"
    )

    assert "Govern check policy WARN" in result.warnings[0]
    warning = _last(service.ledger, "deployment.govern_policy_warning")
    assert warning.payload["govern_check_policy"] == "WARN"


def test_deploy_failed_update_records_failure_and_nothing_live(
    deployments, published, deployer, service
):
    bundle_id = published()
    deployer.fail["update_deployment"] = "FutureFailedException: automation node refused"

    with pytest.raises(ExternalSystemError, match=r"automation node refused.*as failed"):
        deployments.deploy(PROJECT, bundle_id, INFRA, actor="omar.ops", scoring_dataset="s")

    (record,) = deployment_history(service.ledger, f"{PROJECT}-on-{INFRA}")
    assert record.outcome == "failed"
    assert "model.live_in_production" not in _actions(service.ledger)
    assert service.verify_audit().is_intact


def test_deploy_compliance_write_failure_keeps_success_and_says_so(deployments, published, service):
    bundle_id = published()
    store = MemoryStore()
    store.fail = True

    with pytest.raises(ExternalSystemError, match="succeeded and is recorded as live"):
        deployments.deploy(
            PROJECT, bundle_id, INFRA, actor="omar.ops", scoring_dataset="s", store=store
        )

    assert "model.live_in_production" in _actions(service.ledger)
    assert _actions(service.ledger)[-1] == "compliance.artifact_failed"


def test_compliance_artifact_is_reproducible(deployments, published):
    bundle_id = published()
    result = deployments.deploy(PROJECT, bundle_id, INFRA, actor="o", scoring_dataset="s")

    again = deployments.compliance_artifact(result.record.row_id)

    assert again.sha256 == result.compliance.sha256


# Rollback


def _two_deployed(deployments, published):
    first = published("v1", "1.0")
    deployments.deploy(PROJECT, first, INFRA, actor="omar.ops", scoring_dataset="s")
    second = published("v2", "1.1")
    deployments.deploy(PROJECT, second, INFRA, actor="omar.ops", scoring_dataset="s")
    return first, second


def test_rollback_redeploys_previous_approved_bundle_with_reason(
    deployments, published, deployer, service
):
    first, second = _two_deployed(deployments, published)

    result = deployments.rollback(PROJECT, INFRA, actor="omar.ops", reason="AUC alert")

    assert deployer.states[f"{PROJECT}-on-{INFRA}"].deployed_bundle_id == first
    assert (result.record.kind, result.record.reason, result.previous_bundle_id) == (
        "rollback",
        "AUC alert",
        second,
    )
    assert _actions(service.ledger)[-2:] == ["rollback.succeeded", "model.live_in_production"]


def test_rollback_without_reason_is_refused(deployments):
    with pytest.raises(ValidationError, match="say why"):
        deployments.rollback(PROJECT, INFRA, actor="omar.ops", reason="  ")


def test_rollback_to_unknown_bundle_is_refused_and_audited(deployments, published, service):
    _two_deployed(deployments, published)

    with pytest.raises(GateClosedError, match="holds no approved bundle fraud_v1"):
        deployments.rollback(PROJECT, INFRA, actor="omar.ops", reason="x", target_bundle="fraud_v1")

    assert _actions(service.ledger)[-1] == "rollback.refused"


def test_rollback_with_nothing_before_the_deployed_bundle_is_refused(deployments, published):
    bundle_id = published()
    deployments.deploy(PROJECT, bundle_id, INFRA, actor="omar.ops", scoring_dataset="s")

    with pytest.raises(GateClosedError, match="no approved bundle precedes"):
        deployments.rollback(PROJECT, INFRA, actor="omar.ops", reason="AUC alert")


# Prune


def test_prune_keeps_last_n_deployed_and_rollback_target(deployments, published, deployer, service):
    ids = [published(f"v{i}", f"1.{i}") for i in range(1, 6)]
    deployments.deploy(PROJECT, ids[1], INFRA, actor="omar.ops", scoring_dataset="s")
    deployer.published.insert(0, "legacy_bundle")

    result = deployments.prune(PROJECT, actor="omar.ops")

    # Kept: v3-v5 (last 3), v2 (deployed), v1 (its rollback target); legacy left alone.
    assert result.removed == ()
    actions = {d.bundle_id: d.action for d in result.decisions}
    assert actions == {"legacy_bundle": "ignored", **dict.fromkeys(ids, "kept")}


def test_prune_removes_old_approved_bundles_and_records_each(
    deployments, published, deployer, service
):
    ids = [published(f"v{i}", f"1.{i}") for i in range(1, 6)]
    deployments.deploy(PROJECT, ids[4], INFRA, actor="omar.ops", scoring_dataset="s")

    result = deployments.prune(PROJECT, actor="omar.ops")

    assert result.removed == (ids[0], ids[1])
    assert deployer.published == ids[2:]
    assert [b.bundle_id for b in approved_bundles(service.ledger, PROJECT)] == ids[2:]
    assert _actions(service.ledger)[-3:] == ["bundle.pruned", "bundle.pruned", "prune.completed"]


def test_prune_failure_stops_and_names_what_was_removed(deployments, published, deployer, service):
    ids = [published(f"v{i}", f"1.{i}") for i in range(1, 6)]
    deployments.deploy(PROJECT, ids[4], INFRA, actor="omar.ops", scoring_dataset="s")
    deployer.fail[f"delete_published_bundle:{ids[1]}"] = "500 server error"

    with pytest.raises(ExternalSystemError, match=f"removed before it: {re.escape(ids[0])}"):
        deployments.prune(PROJECT, actor="omar.ops")

    assert [b.bundle_id for b in approved_bundles(service.ledger, PROJECT)] == ids[1:]
    assert _actions(service.ledger)[-1] == "bundle.prune_failed"


def test_deployed_bundle_of_revoked_version_stays_out_of_rollback(deployments, published, service):
    first, _second = _two_deployed(deployments, published)
    q = service.ledger.latest_qualification("claims-fraud", "v1")
    service.revoke(
        q.qualification_id, Principal("rita.board", frozenset({"review_board"})), reason="bias"
    )

    with pytest.raises(GateClosedError, match="revoked"):
        deployments.rollback(PROJECT, INFRA, actor="omar.ops", reason="AUC alert")

    assert service.ledger.get_qualification(q.qualification_id).state is QualificationState.REVOKED
    assert find_bundle(service.ledger, PROJECT, first).is_approved
