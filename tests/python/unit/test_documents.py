"""Model documents: content, determinism, escaping, ledger storage and CLI output."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from model_governance import cli
from model_governance.core.checks import History, run_gate_checks
from model_governance.core.errors import ValidationError
from model_governance.core.hashing import canonical_json
from model_governance.core.metrics.ranking import roc_curve_points
from model_governance.core.workflow import Decision, GateDecision, Qualification, sign, waive
from model_governance.documents import DOCUMENT_KINDS, plots, render_documents
from model_governance.ledger.schema import documents as documents_table

AT = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
SCRIPT = "<script>alert(1)</script>"
FAIRNESS = [
    {
        "attribute": "gender",
        "favourable_outcome": "not flagged",
        "groups": [
            {"group": "F", "size": 100, "favourable": 70},
            {"group": "M", "size": 120, "favourable": 96},
            {"group": "X", "size": 5, "favourable": 5},
        ],
    }
]
EXPERIMENTS = [
    {"run_id": "run-lr", "algorithm": "LogisticRegression", "params": {"C": 1.0},
     "metrics": {"auc": 0.901}},
    {"run_id": "run-hgb", "algorithm": "HistGradientBoosting", "params": {"max_iter": 200},
     "metrics": {"auc": 0.93, "log_loss": 0.21}, "is_chosen": True,
     "note": "highest validation AUC at equal latency"},
]  # fmt: skip
DESCRIPTION = {
    "purpose": "Flag dental claims likely to be fraudulent for manual review.",
    "business_kpi": "Recovered fraudulent payouts per reviewer hour.",
    "intended_use": "Daily batch scoring of claims.",
    "out_of_scope_use": "Automatic denial of claims.",
    "scalability_plan": "Batch on the Automation Node; API on 2-10 containers.",
    "rollback_strategy": "Redeploy the previous approved bundle.",
    "known_limitations": ["Trained on one year of claims only."],
}
MODEL_CARD_SECTIONS = (
    "Purpose and use",
    "Data lineage",
    "Features",
    "Performance",
    "Bias results",
    "Checks",
    "Known limitations",
    "Approvals",
    "Evidence fingerprint and policy",
)
REVIEW_PACKET_SECTIONS = (
    "Model purpose",
    "Business KPI alignment",
    "Scalability plan",
    "Rollback strategy",
    "Checklist",
    "Gate decision",
    "Sign-off panel",
)


@pytest.fixture
def full_evidence(evidence_factory):
    return evidence_factory(fairness=FAIRNESS, experiments=EXPERIMENTS, description=DESCRIPTION)


def _qualification(evidence, policy, *signers):
    checks = run_gate_checks(evidence, policy, History(now=AT))
    q = Qualification(
        "Q-000001",
        evidence.model_id,
        evidence.version,
        "sue.scientist",
        evidence.fingerprint,
        policy.content_hash,
        checks=checks,
    )
    for principal, role, comment in signers:
        step = sign(q, policy, principal, role, Decision.APPROVE, comment=comment, at=AT)
        q = step.qualification
    return q


def _render(evidence, q, policy, **options):
    docs = render_documents(evidence, q, policy, generated_at=AT, **options)
    return {(d.kind, d.media_type.split("/")[1]): d for d in docs}


def _headings(html):
    return re.findall(r"<h2[^>]*>([^<]+)</h2>", html)


@pytest.fixture
def signed(full_evidence, policy, reviewers):
    p = policy()
    q = _qualification(
        full_evidence,
        p,
        (reviewers["review_board"], "review_board", "Architecture is sound."),
        (reviewers["data_steward"], "data_steward", SCRIPT),
    )
    return full_evidence, q, p


ROC = roc_curve_points([0, 0, 1, 1, 0, 1], [0.1, 0.4, 0.35, 0.8, 0.2, 0.9])


# Shape and determinism


def test_render_documents_gives_html_and_json_of_each_kind(signed):
    docs = render_documents(*signed)

    assert [(d.kind, d.media_type) for d in docs] == [
        (kind, media) for kind in DOCUMENT_KINDS for media in ("text/html", "application/json")
    ]
    assert docs[0].filename == "model_card-claims-fraud-v1.html"
    assert docs[1].filename == "model_card-claims-fraud-v1.json"


def test_render_documents_twice_gives_identical_hashes(signed):
    options = {"roc": ROC, "drift": {"claim_amount": 0.05, "provider_type": 0.2}}

    first = render_documents(*signed, generated_at=AT, **options)
    second = render_documents(*signed, generated_at=AT, **options)

    assert [d.content_hash for d in first] == [d.content_hash for d in second]


def test_render_documents_hash_is_sha256_of_utf8_content(signed):
    for doc in render_documents(*signed):
        assert doc.content_hash == hashlib.sha256(doc.content.encode("utf-8")).hexdigest()


def test_render_documents_json_is_canonical(signed):
    for doc in render_documents(*signed):
        if doc.media_type == "application/json":
            assert canonical_json(json.loads(doc.content)) == doc.content


def test_render_documents_unsafe_model_id_gives_safe_filename(evidence_factory, policy):
    evidence = evidence_factory(model_id="../fraud model")
    p = policy()

    docs = render_documents(evidence, _qualification(evidence, p), p)

    assert docs[0].filename == "model_card-.._fraud_model-v1.html"
    assert all("/" not in d.filename for d in docs)


def test_render_documents_evidence_of_other_version_raises(signed, evidence_factory):
    _, q, p = signed
    other = evidence_factory(version="v2")

    with pytest.raises(ValidationError, match=r"evidence: .*v2.*qualification's own evidence"):
        render_documents(other, q, p)


# Model card


def test_model_card_has_every_section(signed):
    html = _render(*signed, roc=ROC)[("model_card", "html")].content

    assert _headings(html) == list(MODEL_CARD_SECTIONS)


def test_model_card_shows_auc_and_roc_chart(signed):
    docs = _render(*signed, roc=ROC)
    html = docs[("model_card", "html")].content
    facts = json.loads(docs[("model_card", "json")].content)

    assert "ROC curve (AUC 0.930)" in html
    assert facts["performance"]["metrics"]["auc"] == 0.93
    assert facts["performance"]["roc"]["fpr"] == ROC.fpr.tolist()


def test_model_card_without_roc_says_so(signed):
    html = _render(*signed)[("model_card", "html")].content

    assert "No ROC curve points were supplied" in html
    assert "ROC curve (AUC" not in html


def test_model_card_shows_lineage_and_features(evidence_factory, policy):
    schema = [
        {"name": "claim_amount", "type": "double"},
        {"name": "patient_name", "type": "string", "tags": ["PHI"]},
    ]
    evidence = evidence_factory(training_schema=schema)
    p = policy()

    docs = _render(evidence, _qualification(evidence, p), p)
    html = docs[("model_card", "html")].content
    facts = json.loads(docs[("model_card", "json")].content)

    assert '<span class="tag">PHI</span>' in html
    assert "<code>claims_train</code>" in html
    assert facts["lineage"]["schema"][1] == {
        "name": "patient_name", "type": "string", "tags": ["PHI"], "meaning": None,
    }  # fmt: skip
    assert {"name": "provider_type", "role": "input", "kind": "categorical"} in facts["features"]


def test_model_card_disparate_impact_is_lowest_over_best_rate(signed):
    facts = json.loads(_render(*signed)[("model_card", "json")].content)

    gender = facts["bias"]["attributes"][0]
    # F: 70/100 = 0.7, M: 96/120 = 0.8 (best); DI = 0.7 / 0.8 = 0.875
    assert gender["disparate_impact"] == pytest.approx(0.875)
    assert gender["is_below_threshold"] is False


def test_model_card_small_group_is_insufficient_data(signed):
    docs = _render(*signed)
    facts = json.loads(docs[("model_card", "json")].content)
    html = docs[("model_card", "html")].content

    group_x = facts["bias"]["attributes"][0]["groups"][2]
    assert group_x["is_insufficient"] is True
    assert group_x["disparate_impact"] is None
    assert facts["bias"]["attributes"][0]["insufficient_groups"] == ["X"]
    assert "Insufficient data: X." in html


def test_model_card_shows_failing_check_explanation(evidence_factory, policy):
    evidence = evidence_factory(metrics={"auc": 0.85})
    p = policy()

    html = _render(evidence, _qualification(evidence, p), p)[("model_card", "html")].content

    assert "AUC 0.850 is not above the policy threshold 0.90." in html
    assert '<span class="status status-fail">fail</span>' in html


def test_model_card_lists_approvers_and_missing_roles(signed):
    html = _render(*signed)[("model_card", "html")].content

    assert "rita.board" in html
    assert "Architecture is sound." in html
    assert "dan.steward" in html
    assert "Missing sign-offs: Security Lead, ML Engineer." in html


def test_model_card_drift_flags_features_over_threshold(signed):
    docs = _render(*signed, drift={"claim_amount": 0.05, "provider_type": 0.2})
    facts = json.loads(docs[("model_card", "json")].content)

    assert facts["drift"]["threshold"] == 0.15
    assert [f["is_over"] for f in facts["drift"]["features"]] == [False, True]
    assert "Drift by feature" in docs[("model_card", "html")].content


def test_model_card_non_finite_drift_raises(signed):
    with pytest.raises(ValidationError, match=r"drift\.amount: nan .*leave the feature out"):
        render_documents(*signed, drift={"amount": float("nan")})


def test_checks_show_waiver_with_who_and_why(evidence_factory, policy, reviewers):
    evidence = evidence_factory(metrics={"auc": 0.85})
    p = policy()
    q = _qualification(evidence, p)
    board = reviewers["review_board"]
    q = waive(q, p, board, "review_board", "auc", reason="Business threshold agreed", at=AT)

    docs = _render(evidence, q.qualification, p)

    html = docs[("review_packet", "html")].content
    assert "Waived by rita.board (Architecture Review Board) on 2024-03-01 09:00:00 UTC" in html
    checklist = json.loads(docs[("review_packet", "json")].content)["checklist"]
    assert checklist[0]["waiver"]["reason"] == "Business threshold agreed"


# Experiment summary and review packet


def test_experiment_summary_lists_runs_and_why_chosen(signed):
    docs = _render(*signed)
    html = docs[("experiment_summary", "html")].content
    facts = json.loads(docs[("experiment_summary", "json")].content)

    assert _headings(html) == ["Runs compared", "Chosen model", "Evidence fingerprint and policy"]
    assert "<code>C=1.000</code>" in html
    assert "highest validation AUC at equal latency" in html
    assert facts["metric_names"] == ["auc", "log_loss"]
    assert [r["run_id"] for r in facts["chosen"]] == ["run-hgb"]


def test_review_packet_has_every_section(signed):
    html = _render(*signed)[("review_packet", "html")].content

    assert _headings(html) == [*REVIEW_PACKET_SECTIONS, "Evidence fingerprint and policy"]
    assert DESCRIPTION["scalability_plan"] in html
    assert DESCRIPTION["rollback_strategy"] in html


def test_review_packet_gives_every_gate_reason_and_evidence_refs(signed):
    docs = _render(*signed)
    html = docs[("review_packet", "html")].content
    facts = json.loads(docs[("review_packet", "json")].content)

    assert facts["gate"]["is_open"] is False
    assert "Security Lead sign-off missing" in facts["gate"]["reasons"]
    for reason in facts["gate"]["reasons"]:
        assert f"<li>{reason}</li>" in html
    assert "<code>evidence.metrics.auc</code>" in html


def test_review_packet_reports_given_decision(signed):
    decision = GateDecision(True, (), "Q-000001")

    facts = json.loads(_render(*signed, decision=decision)[("review_packet", "json")].content)

    assert facts["gate"] == {"is_open": True, "reasons": []}


# Empty inputs


def test_render_documents_without_fairness_runs_or_signoffs_succeeds(evidence_factory, policy):
    evidence = evidence_factory(fairness=[], experiments=[], description={})
    p = policy()

    docs = _render(evidence, _qualification(evidence, p), p)

    assert "No protected attribute was evaluated." in docs[("model_card", "html")].content
    assert "No disparate impact could be computed." in docs[("model_card", "html")].content
    summary = docs[("experiment_summary", "html")].content
    assert "No experiment runs were recorded with the evidence." in summary
    assert "No run is marked as the chosen one." in summary
    assert "No sign-off recorded." in docs[("review_packet", "html")].content
    assert "Not stated in the evidence." in docs[("review_packet", "html")].content


def test_render_documents_without_checks_says_so(evidence_factory, policy):
    evidence = evidence_factory()
    p = policy()
    q = Qualification("Q-000009", "claims-fraud", "v1", "sue", evidence.fingerprint, p.content_hash)

    html = _render(evidence, q, p)[("model_card", "html")].content

    assert "No check results are recorded for this qualification." in html


# Security


def test_html_escapes_signoff_comment(signed):
    docs = _render(*signed)

    for kind in ("model_card", "review_packet"):
        html = docs[(kind, "html")].content
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<script" not in html
    assert (
        SCRIPT
        in json.loads(docs[("model_card", "json")].content)["approvals"]["panel"][1]["signoff"][
            "comment"
        ]
    )


def test_html_escapes_group_names_in_charts(evidence_factory, policy):
    fairness = [{**FAIRNESS[0], "groups": [
        {"group": "<img src=x onerror=alert(1)>", "size": 50, "favourable": 40},
        {"group": "M", "size": 50, "favourable": 45},
    ]}]  # fmt: skip
    evidence = evidence_factory(fairness=fairness)
    p = policy()

    html = _render(evidence, _qualification(evidence, p), p)[("model_card", "html")].content

    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_html_loads_nothing_from_outside(signed):
    docs = render_documents(*signed, roc=ROC, drift={"claim_amount": 0.3})

    for doc in docs:
        if doc.media_type != "text/html":
            continue
        html = doc.content
        assert "default-src 'none'" in html
        assert not re.search(r"<(script|link|iframe|object|embed|img)\b", html)
        assert not re.search(r"@import|@font-face|url\((?!#)", html)
        assert all(ref.startswith("#") for ref in re.findall(r'href="([^"]*)"', html))
        assert not re.search(r"\son\w+=", html)


def test_model_card_html_ids_are_unique(signed):
    html = _render(*signed, roc=ROC, drift={"claim_amount": 0.3})[("model_card", "html")].content

    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


# Plots


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda: plots.roc_curve_svg([], []), "No ROC curve points"),
        (lambda: plots.score_distribution_svg([], []), "No scores"),
        (lambda: plots.disparate_impact_svg({}, threshold=0.8), "No disparate impact"),
        (lambda: plots.disparate_impact_svg({"age": {}}, threshold=0.8), "No disparate impact"),
        (lambda: plots.drift_svg({}, threshold=0.15), "No drift statistics"),
    ],
)
def test_plot_empty_input_gives_no_data_svg(draw, message):
    svg = draw()

    assert svg.startswith("<svg")
    assert message in svg
    assert len(svg) < 600


def test_plot_score_distribution_draws_both_classes():
    svg = plots.score_distribution_svg([0.7, 0.8, 0.9], [0.1, 0.2, 0.3, 0.4])

    assert svg.startswith("<svg")
    assert "positive (3)" in svg
    assert "negative (4)" in svg


def test_plot_roc_unequal_rates_raises():
    with pytest.raises(ValidationError, match=r"roc: fpr has 2 points but tpr has 3"):
        plots.roc_curve_svg([0.0, 1.0], [0.0, 0.5, 1.0])


def test_plot_non_finite_value_raises():
    with pytest.raises(ValidationError, match=r"drift: inf is not a finite number"):
        plots.drift_svg({"amount": float("inf")}, threshold=0.15)


def test_plot_svg_is_deterministic_and_has_no_prolog():
    first = plots.drift_svg({"amount": 0.2, "region": 0.05}, threshold=0.15)
    second = plots.drift_svg({"amount": 0.2, "region": 0.05}, threshold=0.15)

    assert first == second
    assert first.startswith("<svg")
    assert "DOCTYPE" not in first
    assert "<metadata" not in first


# Service and command line


def _submitted(service, evidence_factory, reviewers):
    evidence = evidence_factory(fairness=FAIRNESS, description=DESCRIPTION)
    service.register(evidence, actor="sue.scientist")
    q = service.submit("claims-fraud", "v1", actor="sue.scientist").qualification
    service.sign(q.qualification_id, reviewers["review_board"], "review_board",
                 Decision.APPROVE, comment=SCRIPT)  # fmt: skip
    return q.qualification_id


def test_write_documents_stores_six_documents_and_one_event(service, evidence_factory, reviewers):
    qid = _submitted(service, evidence_factory, reviewers)

    docs = service.write_documents(qid, actor="auditor", roc=ROC)

    with service.ledger.engine.connect() as conn:
        rows = conn.execute(select(documents_table)).mappings().all()
    assert len(rows) == 6
    assert {(r["kind"], r["content_hash"]) for r in rows} == {
        (d.kind, d.content_hash) for d in docs
    }
    assert all(r["created_by"] == "auditor" for r in rows)
    events = [e for e in service.ledger.iter_events() if e.action == "documents.rendered"]
    assert len(events) == 1
    assert [d["content_hash"] for d in events[0].payload["documents"]] == [
        d.content_hash for d in docs
    ]
    assert service.verify_audit().is_intact


def test_write_documents_records_signoff_and_gate_reasons(service, evidence_factory, reviewers):
    qid = _submitted(service, evidence_factory, reviewers)

    docs = {(d.kind, d.media_type): d for d in service.write_documents(qid, actor="auditor")}

    packet = json.loads(docs[("review_packet", "application/json")].content)
    assert packet["approvals"]["panel"][0]["signoff"]["actor"] == "rita.board"
    assert packet["gate"]["is_open"] is False
    assert any("Rollback is not ready" in r for r in packet["gate"]["reasons"])
    assert packet["generated_at"].startswith("2024-03-01T09:00")


def test_cli_card_writes_documents_whose_hashes_match(tmp_path, evidence_doc, capsys):
    home = str(tmp_path / "home")
    evidence_file = tmp_path / "evidence.json"
    evidence_file.write_text(json.dumps(evidence_doc(fairness=FAIRNESS)), encoding="utf-8")
    for argv in (
        ["init"],
        ["register", "--evidence", str(evidence_file), "--as", "sue"],
        ["submit", "claims-fraud", "v1", "--as", "sue"],
    ):
        assert cli.main(["--home", home, *argv]) == cli.EXIT_OK
    capsys.readouterr()

    out = tmp_path / "docs"
    code = cli.main(["--home", home, "--json", "card", "Q-000001", "--output", str(out)])

    written = json.loads(capsys.readouterr().out)
    assert code == cli.EXIT_OK
    assert len(written) == 6
    for item in written:
        data = (out / item["path"].rsplit("/", 1)[-1]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item["content_hash"]


def test_cli_card_defaults_to_home_documents_folder(tmp_path, evidence_doc, capsys):
    home = tmp_path / "home"
    evidence_file = tmp_path / "evidence.json"
    evidence_file.write_text(json.dumps(evidence_doc()), encoding="utf-8")
    cli.main(["--home", str(home), "init"])
    cli.main(["--home", str(home), "register", "--evidence", str(evidence_file), "--as", "sue"])
    cli.main(["--home", str(home), "submit", "claims-fraud", "v1", "--as", "sue"])
    capsys.readouterr()

    code = cli.main(["--home", str(home), "card", "Q-000001", "--as", "auditor"])

    printed = capsys.readouterr().out
    assert code == cli.EXIT_OK
    assert (home / "documents" / "model_card-claims-fraud-v1.html").is_file()
    assert "review_packet-claims-fraud-v1.json  sha256 " in printed


def test_cli_card_unknown_qualification_exits_invalid(tmp_path, capsys):
    home = str(tmp_path / "home")
    cli.main(["--home", home, "init"])

    code = cli.main(["--home", home, "card", "Q-999999"])

    assert code == cli.EXIT_INVALID
    assert "qualification Q-999999 does not exist" in capsys.readouterr().err
