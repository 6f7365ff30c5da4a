"""Security of the review board: CSRF, escaping, identity, headers, error bodies."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from model_governance.ledger import Ledger
from model_governance.services import GovernanceService
from model_governance.webapp import DSSIdentity, create_app
from model_governance.webapp.security import CONTENT_SECURITY_POLICY

from .conftest import HTML, SECRET, Reviewer

SCRIPT = '<script>document.title="owned"</script><img src=x onerror="alert(1)">'


def signoff_count(ledger: Ledger, qualification_id: str) -> int:
    return len(ledger.get_qualification(qualification_id).signoffs)


# CSRF


def test_cross_site_post_without_token_is_refused_and_nothing_recorded(
    reviewer: Callable[[str], Reviewer], seeded: Ledger
) -> None:
    board = reviewer("rita.board")  # the victim's browser holds a valid session cookie

    answer = board.client.post(
        "/qualifications/Q-000001/signoffs",
        data={"role": "review_board", "decision": "approve", "comment": "forged"},
        headers={"Origin": "https://evil.example", **HTML},
    )

    assert answer.status_code == 403
    assert "no valid CSRF token" in answer.get_json()["error"]["message"]
    assert signoff_count(seeded, "Q-000001") == 0


def test_token_of_another_session_is_refused(
    reviewer: Callable[[str], Reviewer], seeded: Ledger
) -> None:
    attacker, victim = reviewer("victor.visitor"), reviewer("rita.board")

    answer = victim.client.post(
        "/qualifications/Q-000001/signoffs",
        json={"role": "review_board", "decision": "approve", "comment": "forged"},
        headers={"X-CSRF-Token": attacker.token},
    )

    assert answer.status_code == 403
    assert signoff_count(seeded, "Q-000001") == 0


def test_login_form_needs_the_token_too(client: FlaskClient) -> None:
    answer = client.post("/login", data={"username": "rita.board", "password": "rita-board-pw"})

    assert answer.status_code == 403


def test_logout_needs_the_token(reviewer: Callable[[str], Reviewer]) -> None:
    board = reviewer("rita.board")

    assert board.client.post("/logout").status_code == 403
    assert board.client.get("/api/qualifications/Q-000001").status_code == 200


# Escaping


def test_script_in_a_comment_renders_as_text(reviewer: Callable[[str], Reviewer]) -> None:
    board = reviewer("rita.board")
    assert board.sign("Q-000001", "review_board", "approve", SCRIPT).status_code == 200

    html = board.page("/qualifications/Q-000001").get_data(as_text=True)

    assert "&lt;script&gt;document.title=&#34;owned&#34;&lt;/script&gt;" in html
    assert "<script>document" not in html
    assert "<img src=x" not in html


def test_user_supplied_names_are_escaped_everywhere(
    service: GovernanceService,
    evidence_factory: Callable[..., Any],
    reviewer: Callable[[str], Reviewer],
) -> None:
    evidence = evidence_factory(model_id="m<b>x</b>", version="v<i>1</i>", project_key="P<s>")
    service.register(evidence, actor='eve"><script>x()</script>')
    service.record_rollback_drill(
        evidence.model_id, evidence.version, actor="mia", is_passed=True, target="", note="<u>"
    )
    service.submit(evidence.model_id, evidence.version, actor='eve"><script>x()</script>')
    board = reviewer("rita.board")

    pages = [board.page("/"), board.page("/qualifications/Q-000005")]

    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "<script>x()" not in html
        assert "<b>x</b>" not in html
        assert "m&lt;b&gt;x&lt;/b&gt;" in html


def test_error_messages_are_escaped_in_html_error_pages(
    reviewer: Callable[[str], Reviewer],
) -> None:
    answer = reviewer("rita.board").page("/qualifications/<script>x()</script>")

    assert answer.status_code == 404
    assert "<script>x()" not in answer.get_data(as_text=True)


# Identity


def test_no_session_gets_401_json_and_claimed_identity_headers_are_ignored(
    client: FlaskClient,
) -> None:
    claims = {"X-Remote-User": "rita.board", "X-DKU-User": "rita.board", "Remote-User": "rita"}

    answer = client.get("/api/qualifications/Q-000001", headers=claims)

    assert answer.status_code == 401
    expected = {"status": 401, "message": "log in to use the review board."}
    assert answer.get_json() == {"error": expected}


def test_forged_session_cookie_is_refused(app: Flask) -> None:
    client = app.test_client()
    client.set_cookie("model_governance_review", "eyJ1c2VyIjoicml0YS5ib2FyZCJ9.forged.sig")

    assert client.get("/api/qualifications/Q-000001").status_code == 401


def test_session_signed_with_another_key_is_refused(
    seeded: Ledger, service: GovernanceService, home: Any, reviewer: Callable[[str], Reviewer]
) -> None:
    from model_governance.webapp import LocalIdentity

    stolen = reviewer("rita.board").client.get_cookie("model_governance_review")
    other = create_app(seeded, service.policy, LocalIdentity(home), secret_key="x" * 40)
    client = other.test_client()
    client.set_cookie("model_governance_review", stolen.value)  # type: ignore[union-attr]

    assert client.get("/api/qualifications/Q-000001").status_code == 401


class FakeDss:
    """DSS's answer to get_auth_info_from_browser_headers: one valid session cookie."""

    class RefusedError(Exception):
        pass

    def __init__(self) -> None:
        self.calls: list[Mapping[str, str]] = []

    def __call__(self, headers: Mapping[str, str]) -> Mapping[str, Any]:
        self.calls.append(headers)
        if "dss-session=valid-arb" not in headers.get("Cookie", ""):
            raise self.RefusedError("401 Unauthorized: no valid DSS session")
        return {"authIdentifier": "arb.chair", "groups": ["architecture_review_board", "x"]}


@pytest.fixture
def dss_app(seeded: Ledger, policy: Callable[..., Any]) -> tuple[Flask, FakeDss]:
    fake = FakeDss()
    identity = DSSIdentity(fake, refusals=(FakeDss.RefusedError,))
    mapped = policy(role_groups={"architecture_review_board": ["review_board"]})
    return create_app(seeded, mapped, identity, secret_key=SECRET), fake


def test_dss_mode_maps_groups_to_roles(dss_app: tuple[Flask, FakeDss]) -> None:
    app, fake = dss_app
    client = app.test_client()
    client.set_cookie("dss-session", "valid-arb")

    html = client.get("/", headers=HTML).get_data(as_text=True)

    assert 'data-testid="current-user">arb.chair<' in html
    assert "Architecture Review Board" in html
    assert "Cookie" in fake.calls[-1]


def test_dss_mode_forged_identity_without_session_is_401(
    dss_app: tuple[Flask, FakeDss], seeded: Ledger
) -> None:
    app, _ = dss_app
    client = app.test_client()
    client.set_cookie("dss-session", "forged")
    # The refusal page still hands this session a CSRF token: the identity check alone
    # must stop the sign-off.
    refusal = client.get("/", headers={"X-DKU-User": "arb.chair", **HTML})
    token = re.search(r'name="csrf-token" content="([^"]+)"', refusal.get_data(as_text=True))
    assert token is not None

    answer = client.post(
        "/qualifications/Q-000001/signoffs",
        json={"role": "review_board", "decision": "approve", "comment": "forged"},
        headers={"X-CSRF-Token": token.group(1), "X-DKU-User": "arb.chair"},
    )

    assert refusal.status_code == 401
    assert answer.status_code == 401
    assert "DSS did not recognise your session" in answer.get_json()["error"]["message"]
    assert signoff_count(seeded, "Q-000001") == 0


def test_dss_answer_without_user_is_refused(seeded: Ledger, service: GovernanceService) -> None:
    identity = DSSIdentity(lambda headers: {"groups": ["administrators"]})
    app = create_app(seeded, service.policy, identity, secret_key=SECRET)

    assert app.test_client().get("/api/qualifications/Q-000001").status_code == 401


# Headers and bodies


def test_pages_carry_a_strict_policy_and_no_inline_script_or_style(
    reviewer: Callable[[str], Reviewer], with_monitoring: Ledger
) -> None:
    board = reviewer("rita.board")
    for path in ("/", "/qualifications/Q-000001", "/models/claims-fraud/monitoring", "/login"):
        answer = board.page(path)
        html = answer.get_data(as_text=True)

        assert answer.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Cache-Control"] == "no-store"
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], path
        assert " style=" not in html, path
        assert "<style" not in html, path
        assert re.findall(r"\son[a-z]+=", html) == [], path


def test_csp_allows_only_own_resources() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))

    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_session_cookie_is_http_only_and_same_site(client: FlaskClient) -> None:
    answer = client.get("/login", headers=HTML)
    cookie = answer.headers["Set-Cookie"]

    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_oversized_request_is_refused_with_json(reviewer: Callable[[str], Reviewer]) -> None:
    board = reviewer("rita.board")

    answer = board.client.post(
        "/qualifications/Q-000001/signoffs",
        data="x" * 100_000,
        content_type="application/json",
        headers={"X-CSRF-Token": board.token},
    )

    assert answer.status_code == 413
    assert answer.get_json()["error"]["status"] == 413


def test_malformed_json_is_a_400_with_a_message(reviewer: Callable[[str], Reviewer]) -> None:
    board = reviewer("rita.board")

    answer = board.client.post(
        "/qualifications/Q-000001/signoffs",
        data="{not json",
        content_type="application/json",
        headers={"X-CSRF-Token": board.token},
    )

    assert answer.status_code == 400
    assert "expected a JSON object" in answer.get_json()["error"]["message"]
