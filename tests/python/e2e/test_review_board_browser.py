"""The review board in headless Chromium, served by ``model-governance serve``.

Reviewers log in, sign off and get refused as a person would; the tests write
screenshots of the queue, the checklist, a refusal and the monitoring view to
``tests/artifacts/screenshots/`` for review.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from model_governance.core.evidence import parse_evidence
from model_governance.core.workflow import Decision, Principal
from model_governance.ledger import schema as t
from model_governance.local import LocalHome
from model_governance.services import GovernanceService

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REVIEWERS = [
    ("rbaker", "review_board", "Architecture Review Board"),
    ("dsteward", "data_steward", "Data Steward"),
    ("slee", "security_lead", "Security Lead"),
    ("mengineer", "ml_engineer", "ML Engineer"),
]
SUBMITTER = "ascientist"
VISITOR = "visitor"
MODEL = "dental-claims-fraud"
SCRIPT_COMMENT = '<script>window.__owned = 1</script><img src=x onerror="window.__owned = 2">'


def password(user: str) -> str:
    return f"{user}-browser-pw"


def seed(home: LocalHome, evidence_doc: Callable[..., dict[str, Any]]) -> None:
    """Q-000001..4: dental-claims-fraud v1..v4; Q-000005: claims-triage, approved."""
    home.initialise()
    policy = home.load_policy()
    for user, role, _ in REVIEWERS:
        home.add_user(user, (role,), policy)
    home.add_user(SUBMITTER, ("ml_engineer",), policy)
    users = json.loads(home.users_path.read_text(encoding="utf-8"))
    users["users"][VISITOR] = {"roles": []}
    home.users_path.write_text(json.dumps(users), encoding="utf-8")
    for user in [*(r[0] for r in REVIEWERS), SUBMITTER, VISITOR]:
        home.set_password(user, password(user))
    service = GovernanceService(home.open_ledger(), policy)
    versions = [(MODEL, f"v{i}", "FRAUD") for i in range(1, 5)] + [("claims-triage", "v1", "OPS")]
    for model_id, version, project in versions:
        document = evidence_doc(
            model_id=model_id,
            version=version,
            semver=f"1.{version[1:]}",
            project_key=project,
            model_name="Dental claims fraud detection" if model_id == MODEL else "Claims triage",
            metrics={"auc": 0.941},
        )
        service.register(parse_evidence(document), actor=SUBMITTER)
        service.record_rollback_drill(
            model_id, version, actor="mengineer", is_passed=True, target="", note="drill"
        )
        service.submit(model_id, version, actor=SUBMITTER)
    for user, role, _ in REVIEWERS:
        principal = Principal(user, frozenset({role}))
        service.sign("Q-000005", principal, role, Decision.APPROVE, comment="Reviewed.")
    add_monitoring(service)


def add_monitoring(service: GovernanceService) -> None:
    """Sixty days of evaluations of claims-triage, drifting, and its deployments."""
    start = datetime(2024, 4, 1, tzinfo=timezone.utc)
    rows = []
    for day in range(60):
        end = start + timedelta(days=day + 1)
        wobble = 0.004 * ((day * 7) % 5 - 2) / 2
        drift = {
            "claim_amount": 0.04 + 0.0028 * day,
            "procedure_count": 0.06 + wobble,
            "provider_type": 0.03 + 0.5 * wobble,
        }
        metrics = {
            "drift": drift,
            "disparate_impact": {
                "age_group": {"under_40": 0.97 - 0.0035 * day, "40_plus": 1.0},
                "gender": {"female": 0.93, "male": 1.0},
            },
            "latency_p95_ms": 48.0 + day * 0.2,
            "error_rate": 0.002,
        }
        auc = 0.94 - 0.0011 * day + wobble
        rows.append(
            {
                "model_id": "claims-triage",
                "version": "v1",
                "window_start": (end - timedelta(days=1)).isoformat(),
                "window_end": end.isoformat(),
                "auc": str(auc),
                "max_ks": str(max(drift.values())),
                "metrics_json": json.dumps(metrics),
                "source": "browser-test",
                "recorded_at": end.isoformat(),
            }
        )
    deployments = [
        (0, "claims-triage_v0", "deploy", "succeeded", "first release"),
        (21, "claims-triage_v1", "deploy", "succeeded", "approved retrain Q-000005"),
        (22, "claims-triage_v0", "rollback", "succeeded", "latency spike on canary"),
        (30, "claims-triage_v1", "deploy", "succeeded", "fix applied, redeployed"),
    ]
    with service.ledger.transaction() as tx:
        tx.conn.execute(insert(t.evaluations), rows)
        for bundle in ("claims-triage_v0", "claims-triage_v1"):
            tx.conn.execute(
                insert(t.bundles).values(
                    bundle_id=bundle, project_key="OPS", qualification_id="Q-000005",
                    model_id="claims-triage", version="v1", fingerprint="0" * 64,
                    state="approved", created_by="mengineer", created_at=start.isoformat(),
                    updated_at=start.isoformat(),
                )
            )  # fmt: skip
        opened = (start + timedelta(days=45)).isoformat()
        decision = tx.conn.execute(
            insert(t.monitoring_decisions).values(
                model_id="claims-triage", version="v1", rule="drift", subject="claim_amount",
                status="breached", episode_change="opened", measured_json="{}",
                thresholds_json="{}", reasons_json="[]", evaluation_id=None,
                policy_hash="0" * 64, decided_by="scenario:monitoring", decided_at=opened,
            )
        ).inserted_primary_key[0]  # fmt: skip
        tx.conn.execute(
            insert(t.monitoring_episodes).values(
                model_id="claims-triage", version="v1", rule="drift", subject="claim_amount",
                state="open", summary="KS 0.167 above 0.15; retraining requested",
                evaluation_id=None, opening_decision_id=decision, opened_at=opened,
            )
        )  # fmt: skip
        for day, bundle, kind, outcome, reason in deployments:
            when = (start + timedelta(days=day)).isoformat()
            tx.conn.execute(
                insert(t.deployments).values(
                    deployment_id="triage-prod", project_key="OPS", bundle_id=bundle,
                    infrastructure="PROD-ML-01", kind=kind, outcome=outcome, actor="mengineer",
                    reason=reason, detail_json="{}", started_at=when, finished_at=when,
                )
            )  # fmt: skip


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, evidence_doc: Callable[..., dict[str, Any]]
) -> Iterator[str]:
    """``model-governance serve --port 0`` on a seeded home; yields its URL."""
    home = LocalHome(tmp_path_factory.mktemp("browser") / "home")
    seed(home, evidence_doc)
    log = (home.root / "serve.log").open("w", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python-lib")}
    command = [sys.executable, "-m", "model_governance", "--home", str(home.root), "serve"]
    process = subprocess.Popen(
        [*command, "--port", "0"], stdout=subprocess.PIPE, stderr=log, text=True, env=env
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        assert " at http://" in line, f"serve did not start: {line!r}"
        yield line.split(" at ", 1)[1].split()[0]
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium); browser tests need it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_as(browser: Any, served: str) -> Iterator[Callable[..., Any]]:
    """Factory: ``open_as(user, path)`` logs ``user`` in and opens ``path``."""
    contexts = []
    violations: list[str] = []

    def login(user: str, path: str = "") -> Any:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        page = context.new_page()
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        page.goto(served + path)
        page.fill("#username", user)
        page.fill("#password", password(user))
        page.click("button.primary")
        page.wait_for_selector("[data-testid=current-user]")
        return page

    yield login
    for context in contexts:
        context.close()
    assert violations == [], "the pages broke their own content-security policy"


def screenshot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def submit_signoff(page: Any, role: str, decision: str, comment: str) -> None:
    page.select_option("#role", role)
    page.check(f"input[name=decision][value={decision}]")
    page.fill("#comment", comment)
    page.click("#signoff-form button[type=submit]")


def test_reviewers_sign_off_and_the_gate_opens_only_after_the_last_role(
    open_as: Callable[..., Any],
) -> None:
    gates = []
    for index, (user, role, label) in enumerate(REVIEWERS):
        page = open_as(user, "qualifications/Q-000001")
        assert "You may sign as" in page.inner_text("[data-testid=signoff-hint]")
        with page.expect_navigation():
            submit_signoff(page, role, "approve", f"{label}: reviewed the evidence.")
        row = page.inner_text(f"tr[data-role={role}]")
        assert "Approved" in row
        assert user in row
        gates.append(page.inner_text("[data-testid=gate]"))
        if index == 0:
            screenshot(page, "checklist-in-review.png")

    assert all("Gate CLOSED" in gate for gate in gates[:3])
    assert "ML Engineer sign-off missing" in gates[2]
    assert gates[3].startswith("Gate OPEN")
    assert page.inner_text("[data-testid=state]") == "Approved"
    screenshot(page, "checklist-approved.png")


def test_rejected_qualification_cannot_be_signed(open_as: Callable[..., Any]) -> None:
    security = open_as("slee", "qualifications/Q-000002")
    with security.expect_navigation():
        submit_signoff(security, "security_lead", "reject", "Drift evidence is incomplete.")
    assert security.inner_text("[data-testid=state]") == "Rejected"

    board = open_as("rbaker", "qualifications/Q-000002")
    attempt = board.evaluate(
        """async () => {
            const token = document.querySelector('meta[name="csrf-token"]').content;
            const response = await fetch("Q-000002/signoffs", {
                method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRF-Token": token},
                body: JSON.stringify({role: "review_board", decision: "approve", comment: "ok"})
            });
            return {status: response.status, body: await response.json()};
        }"""
    )

    assert board.query_selector("#signoff-form") is None
    assert "takes no more sign-offs" in board.inner_text("[data-testid=closed-note]")
    assert attempt["status"] == 409
    assert "is rejected: cannot record a sign-off" in attempt["body"]["error"]["message"]


def test_forbidden_users_get_a_clear_refusal(open_as: Callable[..., Any]) -> None:
    submitter = open_as(SUBMITTER, "qualifications/Q-000003")
    assert "You submitted this qualification" in submitter.inner_text("[data-testid=signoff-hint]")
    submit_signoff(submitter, "ml_engineer", "approve", "I trust my own model.")
    submitter.wait_for_selector("#signoff-result:not([hidden])")
    refusal = submitter.inner_text("#signoff-result")
    screenshot(submitter, "refusal-submitter.png")

    visitor = open_as(VISITOR, "qualifications/Q-000003")
    submit_signoff(visitor, "review_board", "approve", "Looks fine.")
    visitor.wait_for_selector("#signoff-result:not([hidden])")

    assert "ascientist submitted qualification Q-000003" in refusal
    assert "separation of duties" in refusal
    assert "visitor does not hold the Architecture Review Board role" in visitor.inner_text(
        "#signoff-result"
    )
    assert "Gate CLOSED" in submitter.inner_text("[data-testid=gate]")


def test_comment_with_a_script_renders_as_text(open_as: Callable[..., Any]) -> None:
    page = open_as("mengineer", "qualifications/Q-000004")
    with page.expect_navigation():
        submit_signoff(page, "ml_engineer", "approve", SCRIPT_COMMENT)

    shown = page.inner_text("tr[data-role=ml_engineer] td.comment")

    assert shown == SCRIPT_COMMENT
    assert page.evaluate("() => window.__owned === undefined")


def test_queue_shows_states_and_filters_by_model(open_as: Callable[..., Any]) -> None:
    page = open_as("dsteward")
    screenshot(page, "queue.png")
    everything = page.locator("table.queue tbody tr").count()

    with page.expect_navigation():
        page.select_option("#model", "claims-triage")
    filtered = page.locator("table.queue tbody tr")

    assert everything == 5
    assert filtered.count() == 1
    assert filtered.first.get_attribute("data-qualification") == "Q-000005"
    assert "Approved" in filtered.first.inner_text()


def test_monitoring_view_shows_trend_drift_fairness_flags_and_history(
    open_as: Callable[..., Any],
) -> None:
    page = open_as("dsteward", "models/claims-triage/monitoring")

    recorded = page.inner_text("[data-testid=recorded-flags]")
    flags = page.inner_text("[data-testid=flags]")
    history = page.inner_text("[data-testid=deployments]")
    screenshot(page, "monitoring.png")

    assert page.locator("svg.chart").count() == 3
    assert page.locator("[data-testid=auc-chart] line.ref-approval").count() >= 1
    assert "KS 0.167 above 0.15; retraining requested" in recorded
    assert "AUC alert" in flags
    assert "High-risk drift" in flags
    assert "latency spike on canary" in history
    assert "rollback" in history


def test_login_is_required_and_returns_to_the_page(browser: Any, served: str) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(served + "qualifications/Q-000001")
    assert page.url.startswith(served + "login")
    page.fill("#username", "rbaker")
    page.fill("#password", "not-the-password")
    page.click("button.primary")
    refused = page.inner_text("p.notice.refused")

    page.fill("#username", "rbaker")
    page.fill("#password", password("rbaker"))
    page.click("button.primary")
    page.wait_for_selector("[data-testid=current-user]")

    assert "user name or password not recognised" in refused
    assert page.url == served + "qualifications/Q-000001"
    context.close()
