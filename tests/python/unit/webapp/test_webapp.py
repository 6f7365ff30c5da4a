"""The review board through Flask's test client: pages, sign-off rules, errors."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from model_governance.core import workflow as wf
from model_governance.core.policy import Policy
from model_governance.ledger import Ledger
from model_governance.services import GovernanceService
from model_governance.webapp import create_app

from .conftest import HTML, SECRET, Reviewer

ROLES_IN_ORDER = [
    ("rita.board", "review_board"),
    ("dan.steward", "data_steward"),
    ("sam.security", "security_lead"),
    ("mia.engineer", "ml_engineer"),
]


def actions(ledger: Ledger, qualification_id: str) -> list[str]:
    return [e.action for e in ledger.iter_events(entity=("qualification", qualification_id))]


# Queue


def test_queue_lists_every_qualification_with_what_it_still_needs(
    reviewer: Callable[[str], Reviewer],
) -> None:
    page = reviewer("dan.steward").page("/")
    html = page.get_data(as_text=True)

    assert page.status_code == 200
    assert re.findall(r'data-qualification="(Q-\d+)"', html) == [
        "Q-000004",
        "Q-000003",
        "Q-000002",
        "Q-000001",
    ]
    assert "Architecture Review Board sign-off missing" in html
    assert 'data-state="pending">Pending <span class="count">4</span>' in html


def test_queue_filters_by_project_model_and_state(
    reviewer: Callable[[str], Reviewer],
) -> None:
    board = reviewer("dan.steward")
    board.sign("Q-000002", "data_steward", "reject", "Drift too high.")

    by_project = board.page("/?project=TRIAGE").get_data(as_text=True)
    by_model = board.page("/?model=claims-fraud&state=rejected").get_data(as_text=True)

    assert re.findall(r'data-qualification="(Q-\d+)"', by_project) == ["Q-000004"]
    assert re.findall(r'data-qualification="(Q-\d+)"', by_model) == ["Q-000002"]
    assert "Data Steward rejected: Drift too high." in by_model


def test_queue_unknown_state_is_refused_with_400_json(
    reviewer: Callable[[str], Reviewer],
) -> None:
    answer = reviewer("dan.steward").client.get("/?state=lost")

    assert answer.status_code == 400
    assert "state: 'lost' is not a qualification state" in answer.get_json()["error"]["message"]


# Qualification page


def test_qualification_page_shows_checklist_signoffs_gate_and_audit_trail(
    reviewer: Callable[[str], Reviewer],
) -> None:
    html = reviewer("rita.board").page("/qualifications/Q-000001").get_data(as_text=True)

    for check_id in ("auc", "drift_history", "code_env", "rollback", "disparate_impact"):
        assert f'data-check="{check_id}"' in html
    assert "AUC 0.930 is above the policy threshold 0.90." in html
    assert "Gate CLOSED" in html
    assert "Architecture Review Board sign-off missing" in html
    assert "qualification.submitted" in html
    assert "Audit chain intact" in html
    assert "You may sign as Architecture Review Board." in html


def test_qualification_page_of_unknown_id_is_404_json(
    reviewer: Callable[[str], Reviewer],
) -> None:
    answer = reviewer("rita.board").client.get("/qualifications/Q-999999")

    assert answer.status_code == 404
    assert "qualification Q-999999 does not exist" in answer.get_json()["error"]["message"]


def test_navigation_error_is_an_html_page_with_the_message(
    reviewer: Callable[[str], Reviewer],
) -> None:
    answer = reviewer("rita.board").page("/qualifications/Q-999999")

    assert answer.status_code == 404
    assert answer.mimetype == "text/html"
    assert "qualification Q-999999 does not exist" in answer.get_data(as_text=True)


def test_audit_trail_pages_to_older_events(reviewer: Callable[[str], Reviewer]) -> None:
    board = reviewer("rita.board")
    for i in range(60):
        board.client.get(f"/api/qualifications/Q-00000{1 + i % 3}")  # reads add no event
    first = board.page("/qualifications/Q-000001").get_data(as_text=True)

    assert "Older events" not in first  # 3 versions x 5 events stay under one page


# Sign-off


def test_gate_opens_only_after_the_last_required_role(
    reviewer: Callable[[str], Reviewer],
) -> None:
    gates = []
    for user, role in ROLES_IN_ORDER:
        answer = reviewer(user).sign("Q-000001", role, "approve", f"{role} checked.")
        assert answer.status_code == 200, answer.get_json()
        gates.append(answer.get_json()["gate"]["is_open"])

    assert gates == [False, False, False, True]
    assert answer.get_json()["qualification"]["state"] == "approved"


def test_submitter_cannot_sign_and_the_refusal_is_audited(
    reviewer: Callable[[str], Reviewer], seeded: Ledger
) -> None:
    answer = reviewer("sue.scientist").sign("Q-000001", "ml_engineer", "approve", "Mine is fine.")

    assert answer.status_code == 403
    message = answer.get_json()["error"]["message"]
    assert "sue.scientist submitted qualification Q-000001" in message
    assert "separation of duties" in message
    assert actions(seeded, "Q-000001")[-1] == "signoff.refused"


def test_role_not_held_is_refused_with_403(reviewer: Callable[[str], Reviewer]) -> None:
    answer = reviewer("victor.visitor").sign("Q-000001", "review_board", "approve", "Sure.")

    assert answer.status_code == 403
    assert (
        "victor.visitor does not hold the Architecture Review Board role"
        in answer.get_json()["error"]["message"]
    )


def test_second_role_by_the_same_person_is_refused(
    app: Flask, seeded: Ledger, home: Any, policy: Callable[..., Policy]
) -> None:
    home.add_user("rita.board", ("data_steward",), policy())
    board = Reviewer(app.test_client(), "rita.board")
    assert board.sign("Q-000001", "review_board", "approve", "Board ok.").status_code == 200

    answer = board.sign("Q-000001", "data_steward", "approve", "Steward ok too.")

    assert answer.status_code == 403
    assert "one person signs for one role" in answer.get_json()["error"]["message"]


def test_rejected_qualification_cannot_be_signed(reviewer: Callable[[str], Reviewer]) -> None:
    rejected = reviewer("sam.security").sign("Q-000002", "security_lead", "reject", "PHI.")
    assert rejected.status_code == 200
    board = reviewer("rita.board")

    answer = board.sign("Q-000002", "review_board", "approve", "Looks fine.")
    html = board.page("/qualifications/Q-000002").get_data(as_text=True)

    assert answer.status_code == 409
    assert "is rejected: cannot record a sign-off" in answer.get_json()["error"]["message"]
    assert 'id="signoff-form"' not in html
    assert "it takes no more sign-offs" in html


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"role": "review_board", "decision": "maybe", "comment": "x"}, "decision: 'maybe'"),
        ({"role": "review_board", "decision": "approve", "comment": "  "}, "comment: is empty"),
        ({"role": "", "decision": "approve", "comment": "x"}, "role: is empty"),
        ({"role": "auditor", "decision": "approve", "comment": "x"}, "'auditor' is not a sign"),
        (
            {"role": "review_board", "decision": "approve", "comment": "x" * 4001},
            "comment: 4001 characters is too long",
        ),
    ],
)
def test_invalid_signoff_input_is_refused_with_400(
    reviewer: Callable[[str], Reviewer], body: dict[str, str], expected: str
) -> None:
    board = reviewer("rita.board")
    answer = board.client.post(
        "/qualifications/Q-000001/signoffs", json=body, headers={"X-CSRF-Token": board.token}
    )

    assert answer.status_code == 400
    assert expected in answer.get_json()["error"]["message"]


def test_form_post_without_script_records_and_redirects_to_the_page(
    reviewer: Callable[[str], Reviewer], seeded: Ledger
) -> None:
    board = reviewer("rita.board")
    answer = board.client.post(
        "/qualifications/Q-000001/signoffs",
        data={
            "role": "review_board",
            "decision": "approve",
            "comment": "Board ok.",
            "csrf_token": board.token,
        },
        headers=HTML,
    )

    assert answer.status_code == 303
    assert answer.headers["Location"] == "../Q-000001"
    assert seeded.get_qualification("Q-000001").signoff_for("review_board") is not None


# Errors


def test_unexpected_error_is_a_generic_500_and_the_traceback_is_logged(
    seeded: Ledger,
    service: GovernanceService,
    home: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken_renderer(*_: Any) -> Any:
        raise RuntimeError("renderer exploded at /secret/path")

    from model_governance.webapp import LocalIdentity

    app = create_app(
        seeded, service.policy, LocalIdentity(home), secret_key=SECRET, documents=broken_renderer
    )
    board = Reviewer(app.test_client(), "rita.board")

    with caplog.at_level(logging.ERROR):
        answer = board.client.get("/qualifications/Q-000001/documents/model_card?source=current")

    message = answer.get_json()["error"]["message"]
    assert answer.status_code == 500
    assert "unexpected error (reference" in message
    assert "exploded" not in answer.get_data(as_text=True)
    assert "Traceback" not in answer.get_data(as_text=True)
    assert any(r.exc_info and "exploded" in str(r.exc_info[1]) for r in caplog.records)


def test_unknown_route_is_404_json(client: FlaskClient) -> None:
    answer = client.get("/no/such/page")

    assert answer.status_code == 404
    assert answer.get_json()["error"]["status"] == 404


# Documents


def test_current_document_is_rendered_with_a_sandboxing_policy(
    reviewer: Callable[[str], Reviewer],
) -> None:
    answer = reviewer("rita.board").client.get(
        "/qualifications/Q-000001/documents/review_packet?source=current"
    )

    assert answer.status_code == 200
    assert answer.mimetype == "text/html"
    assert "sandbox" in answer.headers["Content-Security-Policy"]
    assert "Q-000001" in answer.get_data(as_text=True)


def test_stored_document_missing_is_404_naming_the_card_command(
    reviewer: Callable[[str], Reviewer],
) -> None:
    answer = reviewer("rita.board").client.get("/qualifications/Q-000001/documents/model_card")

    assert answer.status_code == 404
    assert "model-governance card Q-000001" in answer.get_json()["error"]["message"]


def test_stored_document_is_served_as_stored(
    reviewer: Callable[[str], Reviewer], service: GovernanceService
) -> None:
    documents = service.write_documents("Q-000001", actor="rita.board")
    card = next(d for d in documents if d.kind == "model_card" and d.media_type == "text/html")
    board = reviewer("rita.board")

    answer = board.client.get("/qualifications/Q-000001/documents/model_card?source=ledger")
    page = board.page("/qualifications/Q-000001").get_data(as_text=True)

    assert answer.get_data(as_text=True) == card.content
    assert card.content_hash[:12] in page


# Monitoring


def test_monitoring_shows_trend_drift_fairness_flags_and_deployments(
    reviewer: Callable[[str], Reviewer], with_monitoring: Ledger
) -> None:
    html = reviewer("dan.steward").page("/models/claims-fraud/monitoring").get_data(as_text=True)

    # Newest evaluation: AUC 0.93 - 0.002 * 29 = 0.872; KS 0.05 + 0.005 * 29 = 0.195;
    # DI 0.95 - 0.006 * 29 = 0.776.
    assert "AUC 0.872 is below the alert threshold 0.88." in html
    assert "claim_amount: KS statistic 0.195 is above 0.15." in html
    assert "age_group, group under_40: 0.776 is below 0.80." in html
    assert "AUC &lt;i&gt;0.874&lt;/i&gt; below 0.88 for 2 days" in html  # recorded episode
    assert html.count('<svg class="chart"') == 3
    assert "alert 0.88" in html
    assert "rollback of &lt;b&gt;v1&lt;/b&gt;" in html


def test_monitoring_index_lists_models_with_evaluations(
    reviewer: Callable[[str], Reviewer], with_monitoring: Ledger
) -> None:
    html = reviewer("dan.steward").page("/monitoring").get_data(as_text=True)

    assert 'href="models/claims-fraud/monitoring"' in html
    assert "claims-triage" not in html


def test_monitoring_of_unknown_model_is_404(reviewer: Callable[[str], Reviewer]) -> None:
    answer = reviewer("dan.steward").client.get("/models/nothing/monitoring")

    assert answer.status_code == 404
    assert "model nothing is not registered" in answer.get_json()["error"]["message"]


def test_monitoring_draws_the_approval_line_once_approved(
    reviewer: Callable[[str], Reviewer], with_monitoring: Ledger
) -> None:
    for user, role in ROLES_IN_ORDER:
        assert reviewer(user).sign("Q-000001", role, "approve", "ok").status_code == 200

    html = reviewer("dan.steward").page("/models/claims-fraud/monitoring").get_data(as_text=True)

    # Approved test-set AUC 0.93; newest 0.872: (0.93 - 0.872) / 0.93 = 6.2 % > 5 %.
    assert "approved 0.930" in html
    assert "AUC 0.872 is 6.2% below the 0.930 approved for v1 (limit 5%)." in html


# Login


def test_login_page_redirects_navigation_and_returns_to_the_page(client: FlaskClient) -> None:
    first = client.get("/qualifications/Q-000001", headers=HTML)

    assert first.status_code == 303
    assert first.headers["Location"] == "../login?next=/qualifications/Q-000001"


def test_login_with_wrong_password_is_refused_without_logging_it(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    page = client.get("/login", headers=HTML).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]

    with caplog.at_level(logging.DEBUG):
        answer = client.post(
            "/login",
            data={"username": "rita.board", "password": "Wrong-Pass-123", "csrf_token": token},
        )

    assert answer.status_code == 401
    assert "user name or password not recognised" in answer.get_data(as_text=True)
    assert "Wrong-Pass-123" not in caplog.text
    assert client.get("/api/qualifications/Q-000001").status_code == 401


def test_logout_ends_the_session(reviewer: Callable[[str], Reviewer]) -> None:
    board = reviewer("rita.board")

    board.client.post("/logout", data={"csrf_token": board.token})

    assert board.client.get("/api/qualifications/Q-000001").status_code == 401


def test_password_change_ends_open_sessions(reviewer: Callable[[str], Reviewer], home: Any) -> None:
    board = reviewer("rita.board")
    home.set_password("rita.board", "a-brand-new-password")

    answer = board.client.get("/api/qualifications/Q-000001")

    assert answer.status_code == 401
    assert "log in again" in answer.get_json()["error"]["message"]


def test_open_redirect_through_next_is_refused(client: FlaskClient) -> None:
    page = client.get("/login?next=//evil.example/", headers=HTML).get_data(as_text=True)

    assert 'name="next" value="/"' in page


def test_login_page_does_not_exist_in_dss_mode(seeded: Ledger, service: GovernanceService) -> None:
    from model_governance.webapp import DSSIdentity

    identity = DSSIdentity(lambda headers: {"authIdentifier": "x", "groups": []})
    app = create_app(seeded, service.policy, identity, secret_key=SECRET)

    assert app.test_client().get("/login").status_code == 404


# Links


def test_every_link_is_relative_so_the_dss_path_prefix_is_kept(
    reviewer: Callable[[str], Reviewer], with_monitoring: Ledger
) -> None:
    board = reviewer("rita.board")
    for path in ("/", "/qualifications/Q-000001", "/monitoring", "/models/claims-fraud/monitoring"):
        html = board.page(path).get_data(as_text=True)
        targets = re.findall(r'(?:href|src|action)="([^"]*)"', html)
        absolute = [u for u in targets if u.startswith("/") or "://" in u]
        assert targets
        assert absolute == [], path


def test_qualification_json_names_state_needs_and_gate(
    reviewer: Callable[[str], Reviewer],
) -> None:
    data = reviewer("rita.board").client.get("/api/qualifications/Q-000001").get_json()

    assert data["qualification"]["state"] == wf.QualificationState.PENDING.value
    assert "Architecture Review Board sign-off missing" in data["qualification"]["outstanding"]
    assert data["gate"]["is_open"] is False
