"""The review-board backend as DSS runs it: injected Flask app, DSS sessions, double.

``webapps/model-governance-review-board/backend.py`` runs with the stand-in ``dataiku``
package and the environment DSS gives a webapp backend; identities come from the DSS
double's ``POST /auth/info-from-browser-headers``, called by the real ``dataikuapi``.
"""

from __future__ import annotations

import json
import re
import runpy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from model_governance.core.evidence import Evidence
from model_governance.core.policy import parse_policy
from model_governance.ledger import Ledger
from model_governance.services import GovernanceService

BACKEND = Path(__file__).resolve().parents[3] / "webapps/model-governance-review-board/backend.py"
ROLE_GROUPS = {
    "architecture_review_board": ["review_board"],
    "data_stewards": ["data_steward"],
    "security": ["security_lead"],
    "ml_engineers": ["ml_engineer"],
}
SESSIONS = {
    "arb.chair": ("review_board", "sess-arb-chair-7f3a"),
    "steward.dan": ("data_steward", "sess-steward-dan-91bc"),
    "sec.lead": ("security_lead", "sess-sec-lead-44d0"),
    "mle.maria": ("ml_engineer", "sess-mle-maria-2e81"),
}
HTML = {"Accept": "text/html"}


@pytest.fixture
def backend(
    dss_env: Any, tmp_path: Path, evidence_factory: Callable[..., Evidence]
) -> tuple[Flask, Ledger]:
    """backend.py run on an injected app; Q-000001 submitted by ds.alice in FRAUD."""
    path = tmp_path / "governance" / "ledger.sqlite"
    policy_text = json.dumps({"role_groups": ROLE_GROUPS})
    dss_env.set_webapp(
        {"default_project": "FRAUD"},
        {"ledger_sqlite_path": str(path), "policy_json": policy_text},
    )
    app = Flask("dss-webapp-backend")
    runpy.run_path(str(BACKEND), init_globals={"app": app})
    ledger = Ledger.open(f"sqlite:///{path}")
    service = GovernanceService(ledger, parse_policy({"role_groups": ROLE_GROUPS}))
    service.register(evidence_factory(project_key="FRAUD"), actor="ds.alice")
    service.record_rollback_drill(
        "claims-fraud", "v1", actor="mle.maria", is_passed=True, target="", note="drill"
    )
    service.submit("claims-fraud", "v1", actor="ds.alice")
    return app, ledger


def session_client(app: Flask, cookie: str) -> tuple[FlaskClient, str]:
    client = app.test_client()
    client.set_cookie("dss-session", cookie)
    page = client.get("/", headers=HTML).get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token is not None
    return client, token.group(1)


def sign(client: FlaskClient, token: str, role: str, decision: str = "approve") -> Any:
    return client.post(
        "/qualifications/Q-000001/signoffs",
        json={"role": role, "decision": decision, "comment": f"{role} reviewed in DSS"},
        headers={"X-CSRF-Token": token},
    )


def test_dss_session_sees_the_queue_with_roles_from_its_groups(
    backend: tuple[Flask, Ledger],
) -> None:
    app, _ = backend
    client, _ = session_client(app, "sess-arb-chair-7f3a")

    html = client.get("/", headers=HTML).get_data(as_text=True)

    assert 'data-testid="current-user">arb.chair<' in html
    assert "Architecture Review Board" in html
    assert 'data-qualification="Q-000001"' in html
    assert '<option value="FRAUD" selected>' in html  # the webapp's default project


def test_signoffs_are_recorded_under_the_dss_logins_and_open_the_gate(
    backend: tuple[Flask, Ledger],
) -> None:
    app, ledger = backend
    gates = []
    for role, cookie in SESSIONS.values():
        client, token = session_client(app, cookie)
        answer = sign(client, token, role)
        assert answer.status_code == 200, answer.get_json()
        gates.append(answer.get_json()["gate"]["is_open"])

    signoffs = ledger.get_qualification("Q-000001").signoffs

    assert gates == [False, False, False, True]
    assert {s.actor for s in signoffs} == set(SESSIONS)


def test_submitter_session_is_refused(backend: tuple[Flask, Ledger]) -> None:
    app, _ = backend
    client, token = session_client(app, "sess-alice-0c55")

    answer = sign(client, token, "review_board")

    assert answer.status_code == 403
    assert (
        "ds.alice does not hold the Architecture Review Board role"
        in (answer.get_json()["error"]["message"])
    )


def test_forged_session_cookie_is_refused_by_dss_and_the_webapp(
    backend: tuple[Flask, Ledger], dss_double: Any
) -> None:
    app, _ = backend
    client = app.test_client()
    client.set_cookie("dss-session", "sess-arb-chair-forged")

    answer = client.get("/api/qualifications/Q-000001")

    assert answer.status_code == 401
    assert "DSS did not recognise your session" in answer.get_json()["error"]["message"]
    assert "Traceback" not in answer.get_data(as_text=True)
    auth_calls = [r for r in dss_double.request_log if r.path.endswith("info-from-browser-headers")]
    assert auth_calls[-1].status == 401


def test_identity_claims_without_a_dss_session_are_refused(
    backend: tuple[Flask, Ledger],
) -> None:
    app, ledger = backend
    client = app.test_client()
    claims = {"X-DKU-User": "arb.chair", "authIdentifier": "arb.chair", "X-Remote-User": "arb"}
    page = client.get("/", headers={**claims, **HTML}).get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token is not None

    answer = client.post(
        "/qualifications/Q-000001/signoffs",
        json={"role": "review_board", "decision": "approve", "comment": "claimed"},
        headers={"X-CSRF-Token": token.group(1), **claims},
    )

    assert answer.status_code == 401
    assert ledger.get_qualification("Q-000001").signoffs == ()
