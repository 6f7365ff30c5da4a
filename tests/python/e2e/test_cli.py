"""The command line as a user runs it: one process per command, exit codes, output."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[3]


def run_cli(*args: str, home: Path, check: int | None = 0) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "python-lib"), "MODEL_GOVERNANCE_HOME": str(home)}
    result = subprocess.run(
        [sys.executable, "-m", "model_governance", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    if check is not None:
        assert result.returncode == check, result.stderr + result.stdout
    return result


def ledger_rows(home: Path) -> dict[str, int]:
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        tables = ("model_versions", "qualifications", "signoffs", "audit_events")
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608


@pytest.fixture
def home(tmp_path: Path) -> Path:
    root = tmp_path / "gov"
    run_cli("init", home=root)
    for user, role in (
        ("rb", "review_board"),
        ("ds", "data_steward"),
        ("sl", "security_lead"),
        ("me", "ml_engineer"),
        ("alice", "ml_engineer"),
    ):
        run_cli("users", "add", user, "--role", role, home=root)
    return root


@pytest.fixture
def registered(home: Path, tmp_path: Path, evidence_doc: Callable[..., dict[str, Any]]) -> Path:
    path = tmp_path / "evidence.json"
    path.write_text(json.dumps(evidence_doc()), encoding="utf-8")
    run_cli("register", "--evidence", str(path), "--as", "alice", home=home)
    run_cli(
        "drill",
        "claims-fraud",
        "v1",
        "--passed",
        "--note",
        "undeploy rehearsed",
        "--as",
        "me",
        home=home,
    )
    return path


def test_cli_full_review_gate_opens_only_after_last_role(home: Path, registered: Path) -> None:
    run_cli("submit", "claims-fraud", "v1", "--as", "alice", home=home)
    assert run_cli("gate", "claims-fraud", "v1", home=home, check=1).stdout.startswith(
        "Gate CLOSED"
    )
    for user, role in (("rb", "review_board"), ("ds", "data_steward"), ("sl", "security_lead")):
        run_cli(
            "sign",
            "Q-000001",
            "--as",
            user,
            "--role",
            role,
            "--approve",
            "--comment",
            "ok",
            home=home,
        )
    closed = run_cli("gate", "claims-fraud", "v1", "--json", home=home, check=1)
    assert json.loads(closed.stdout)["reasons"][-1] == "ML Engineer sign-off missing"
    run_cli(
        "sign",
        "Q-000001",
        "--as",
        "me",
        "--role",
        "ml_engineer",
        "--approve",
        "--comment",
        "ok",
        home=home,
    )
    opened = run_cli("gate", "claims-fraud", "v1", "--json", home=home)
    assert json.loads(opened.stdout) == {
        "is_open": True,
        "reasons": [],
        "qualification_id": "Q-000001",
    }
    assert run_cli("audit", "verify", home=home).stdout.startswith("Audit chain intact")


def test_cli_submitter_signing_is_refused_with_exit_1(home: Path, registered: Path) -> None:
    run_cli("submit", "claims-fraud", "v1", "--as", "alice", home=home)
    result = run_cli(
        "sign",
        "Q-000001",
        "--as",
        "alice",
        "--role",
        "ml_engineer",
        "--approve",
        "--comment",
        "mine",
        home=home,
        check=1,
    )
    assert "separation of duties" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("overrides", "raw", "message"),
    [
        ({}, "{not json", "not valid JSON at line 1"),
        ({"semver": "one"}, None, "evidence.semver"),
        ({"metrics": {"auc": "high"}}, None, "evidence.metrics.auc"),
        ({"colour": "red"}, None, "unknown field(s) colour"),
    ],
)
def test_cli_register_malformed_evidence_exit_2_ledger_unchanged(
    home: Path,
    tmp_path: Path,
    evidence_doc: Callable[..., dict[str, Any]],
    overrides: dict[str, Any],
    raw: str | None,
    message: str,
) -> None:
    before = ledger_rows(home)
    path = tmp_path / "bad.json"
    path.write_text(raw if raw is not None else json.dumps(evidence_doc(**overrides)), "utf-8")
    result = run_cli("register", "--evidence", str(path), home=home, check=2)
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert ledger_rows(home) == before


def test_cli_duplicate_registration_exit_2_ledger_unchanged(home: Path, registered: Path) -> None:
    before = ledger_rows(home)
    result = run_cli("register", "--evidence", str(registered), home=home, check=2)
    assert "already registered" in result.stderr
    assert ledger_rows(home) == before


def test_cli_unknown_qualification_exit_2(home: Path) -> None:
    result = run_cli(
        "sign",
        "Q-999999",
        "--as",
        "rb",
        "--role",
        "review_board",
        "--approve",
        "--comment",
        "x",
        home=home,
        check=2,
    )
    assert "Q-999999 does not exist" in result.stderr


def test_cli_malformed_policy_validate_names_key_and_range(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"min_auc": 1.5}), encoding="utf-8")
    result = run_cli("policy", "validate", str(path), home=tmp_path / "none", check=2)
    assert "policy.min_auc: 1.5 is outside the accepted range [0.5, 1.0]" in result.stderr


def test_cli_usage_error_exit_2_without_traceback(tmp_path: Path) -> None:
    result = run_cli("sign", home=tmp_path, check=2)
    assert "usage:" in result.stderr
    assert "Traceback" not in result.stderr


def test_cli_audit_verify_names_edited_event_exit_1(home: Path, registered: Path) -> None:
    run_cli("submit", "claims-fraud", "v1", "--as", "alice", home=home)
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 2")
    result = run_cli("audit", "verify", "--json", home=home, check=1)
    assert json.loads(result.stdout)["first_bad_seq"] == 2


def test_cli_drift_json_matches_scipy(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    reference = pd.DataFrame(
        {"amount": rng.normal(0, 1, 500), "region": rng.choice(["a", "b"], 500)}
    )
    current = pd.DataFrame(
        {"amount": rng.normal(0.3, 1, 400), "region": rng.choice(["a", "b", "c"], 400)}
    )
    current.loc[:19, "amount"] = np.nan
    reference.to_csv(tmp_path / "ref.csv", index=False)
    current.to_parquet(tmp_path / "cur.parquet")
    result = run_cli(
        "drift",
        "--reference",
        str(tmp_path / "ref.csv"),
        "--current",
        str(tmp_path / "cur.parquet"),
        "--json",
        home=tmp_path / "none",
    )
    rows = {r["feature"]: r for r in json.loads(result.stdout)}
    expected = stats.ks_2samp(reference["amount"], current["amount"].dropna())
    assert rows["amount"]["statistic"] == pytest.approx(expected.statistic, abs=1e-12)
    assert rows["amount"]["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
    assert rows["amount"]["current_missing_rate"] == pytest.approx(20 / 400)
    assert rows["region"]["kind"] == "categorical"
    assert [u["name"] for u in rows["region"]["unseen_categories"]] == ["c"]
    assert {"feature", "kind", "method", "statistic", "p_value", "drifted"} <= set(rows["amount"])


def test_cli_evaluate_reports_auc_and_disparate_impact(tmp_path: Path) -> None:
    # Labels 0,0,1,1, scores 0.1,0.6,0.4,0.9: 3 of 4 positive-negative pairs in order.
    scored = pd.DataFrame(
        {"y": [0, 0, 1, 1] * 50, "s": [0.1, 0.6, 0.4, 0.9] * 50, "g": ["x", "x", "y", "y"] * 50}
    )
    scored.to_csv(tmp_path / "scored.csv", index=False)
    result = run_cli(
        "evaluate",
        "--scored",
        str(tmp_path / "scored.csv"),
        "--label",
        "y",
        "--score",
        "s",
        "--protected",
        "g",
        "--json",
        home=tmp_path / "none",
    )
    data = json.loads(result.stdout)
    assert data["auc"] == pytest.approx(0.75)
    # Favourable (score < 0.5): group x 50/100, group y 50/100 -> ratio 1.0.
    assert data["disparate_impact"]["g"]["ratio"] == pytest.approx(1.0)
    assert data["rows"] == 200
