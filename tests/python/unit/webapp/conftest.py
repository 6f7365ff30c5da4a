"""Fixtures of the review-board tests: a seeded ledger, a local home, clients."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from model_governance.core.evidence import Evidence
from model_governance.ledger import Ledger
from model_governance.ledger import schema as t
from model_governance.local import LocalHome
from model_governance.services import GovernanceService
from model_governance.webapp import LocalIdentity, create_app

SECRET = "test-secret-key-with-at-least-32-characters"
PASSWORDS = {
    "rita.board": "rita-board-pw",
    "dan.steward": "dan-steward-pw",
    "sam.security": "sam-security-pw",
    "mia.engineer": "mia-engineer-pw",
    "sue.scientist": "sue-scientist-pw",
    "victor.visitor": "victor-visitor-pw",
}
ROLES = {
    "rita.board": ("review_board",),
    "dan.steward": ("data_steward",),
    "sam.security": ("security_lead",),
    "mia.engineer": ("ml_engineer",),
    "sue.scientist": ("ml_engineer",),
}
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture(scope="session")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A users.json with hashed passwords, built once (scrypt is slow on purpose)."""
    home = LocalHome(tmp_path_factory.mktemp("users-template"))
    home.initialise()
    policy = home.load_policy()
    for user, roles in ROLES.items():
        home.add_user(user, roles, policy)
    entries = json.loads(home.users_path.read_text(encoding="utf-8"))
    entries["users"]["victor.visitor"] = {"roles": []}
    home.users_path.write_text(json.dumps(entries), encoding="utf-8")
    for user, password in PASSWORDS.items():
        home.set_password(user, password)
    return home.users_path


@pytest.fixture
def home(tmp_path: Path, users_file: Path) -> LocalHome:
    """A governance home whose users.json holds the reviewers above."""
    local = LocalHome(tmp_path / "home")
    local.root.mkdir()
    shutil.copy(users_file, local.users_path)
    return local


@pytest.fixture
def seeded(service: GovernanceService, evidence_factory: Callable[..., Evidence]) -> Ledger:
    """Q-000001..3: claims-fraud v1..v3 (CLAIMS); Q-000004: claims-triage (TRIAGE)."""
    versions = [("claims-fraud", f"v{i}", "CLAIMS") for i in (1, 2, 3)]
    versions.append(("claims-triage", "v1", "TRIAGE"))
    for model_id, version, project in versions:
        evidence = evidence_factory(model_id=model_id, version=version, project_key=project)
        service.register(evidence, actor="sue.scientist")
        service.record_rollback_drill(
            model_id, version, actor="mia.engineer", is_passed=True, target="", note="drill"
        )
        service.submit(model_id, version, actor="sue.scientist")
    return service.ledger


@pytest.fixture
def app(seeded: Ledger, service: GovernanceService, home: LocalHome) -> Flask:
    """The review board on the seeded ledger, with local logins and the test clock."""
    application = create_app(seeded, service.policy, LocalIdentity(home), secret_key=SECRET)
    application.extensions["model_governance_review_board"].clock = service.clock
    return application


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A browser-like client with no session yet."""
    return app.test_client()


def csrf_of(client: FlaskClient, path: str = "/") -> str:
    """The CSRF token of the page at ``path`` for this client's session."""
    page = client.get(path, headers=HTML)
    found = CSRF_META.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path} (status {page.status_code})"
    return found.group(1)


class Reviewer:
    """A logged-in browser session: its client and CSRF token."""

    def __init__(self, client: FlaskClient, user: str) -> None:
        self.client = client
        self.user = user
        token = csrf_of(client, "/login")
        answer = client.post(
            "/login",
            data={"username": user, "password": PASSWORDS[user], "csrf_token": token},
        )
        assert answer.status_code == 303, answer.get_data(as_text=True)
        self.token = csrf_of(client)

    def page(self, path: str) -> Any:
        """GET ``path`` as a browser navigation."""
        return self.client.get(path, headers=HTML)

    def sign(self, qualification_id: str, role: str, decision: str, comment: str) -> Any:
        """POST a sign-off as the page's script does (JSON, CSRF header)."""
        return self.client.post(
            f"/qualifications/{qualification_id}/signoffs",
            json={"role": role, "decision": decision, "comment": comment},
            headers={"X-CSRF-Token": self.token, "Accept": "application/json"},
        )


@pytest.fixture
def reviewer(app: Flask) -> Callable[[str], Reviewer]:
    """Factory: ``reviewer("rita.board")`` is a fresh client logged in as that user."""

    def build(user: str) -> Reviewer:
        return Reviewer(app.test_client(), user)

    return build


@pytest.fixture
def with_monitoring(seeded: Ledger) -> Ledger:
    """The seeded ledger plus evaluations, a bundle and deployments of claims-fraud."""
    add_monitoring(seeded)
    return seeded


def add_monitoring(ledger: Ledger, model_id: str = "claims-fraud", version: str = "v1") -> None:
    """Thirty daily evaluations (AUC falling below 0.88), a bundle, two deployments."""
    start = datetime(2024, 4, 1, tzinfo=timezone.utc)
    rows = []
    for day in range(30):
        end = start + timedelta(days=day + 1)
        drift = {"claim_amount": 0.05 + 0.005 * day, "provider_type": 0.04}
        metrics = {
            "drift": drift,
            "disparate_impact": {"age_group": {"under_40": 0.95 - 0.006 * day, "40_plus": 1.0}},
            "latency_p95_ms": 40.0,
            "error_rate": 0.001,
        }
        rows.append(
            {
                "model_id": model_id,
                "version": version,
                "window_start": (end - timedelta(days=1)).isoformat(),
                "window_end": end.isoformat(),
                "auc": str(0.93 - 0.002 * day),
                "max_ks": str(max(drift.values())),
                "metrics_json": json.dumps(metrics),
                "source": "test",
                "recorded_at": end.isoformat(),
            }
        )
    with ledger.transaction() as tx:
        tx.conn.execute(insert(t.evaluations), rows)
        tx.conn.execute(
            insert(t.bundles).values(
                bundle_id=f"{model_id}_{version}",
                project_key="CLAIMS",
                qualification_id="Q-000001",
                model_id=model_id,
                version=version,
                fingerprint="0" * 64,
                state="approved",
                created_by="mia.engineer",
                created_at=start.isoformat(),
                updated_at=start.isoformat(),
            )
        )
        opened = (start + timedelta(days=28)).isoformat()
        decision = tx.conn.execute(
            insert(t.monitoring_decisions).values(
                model_id=model_id, version=version, rule="auc_alert", subject="auc",
                status="breached", episode_change="opened", measured_json="{}",
                thresholds_json="{}", reasons_json="[]", evaluation_id=None,
                policy_hash="0" * 64, decided_by="scenario", decided_at=opened,
            )
        ).inserted_primary_key[0]  # fmt: skip
        tx.conn.execute(
            insert(t.monitoring_episodes).values(
                model_id=model_id, version=version, rule="auc_alert", subject="auc",
                state="open", summary="AUC <i>0.874</i> below 0.88 for 2 days",
                evaluation_id=None, opening_decision_id=decision, opened_at=opened,
            )
        )  # fmt: skip
        for offset, kind in ((0, "deploy"), (12, "rollback")):
            when = (start + timedelta(days=offset)).isoformat()
            tx.conn.execute(
                insert(t.deployments).values(
                    deployment_id="fraud-prod",
                    project_key="CLAIMS",
                    bundle_id=f"{model_id}_{version}",
                    infrastructure="PROD-ML-01",
                    kind=kind,
                    outcome="succeeded",
                    actor="mia.engineer",
                    reason=f"{kind} of <b>{version}</b>",
                    detail_json="{}",
                    started_at=when,
                    finished_at=when,
                )
            )
