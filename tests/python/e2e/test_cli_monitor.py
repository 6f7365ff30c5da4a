"""``model-governance monitor`` as a user runs it: a folder of daily scored files."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[3]
MODEL = "claims-fraud"


def run_cli(
    *args: str, home: Path, check: int | None = 0, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "python-lib"),
        "MODEL_GOVERNANCE_HOME": str(home),
        **(env or {}),
    }
    result = subprocess.run(
        [sys.executable, "-m", "model_governance", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=180,
        check=False,
    )
    if check is not None:
        assert result.returncode == check, result.stderr + result.stdout
    return result


def count(home: Path, table: str) -> int:
    with sqlite3.connect(home / "ledger.sqlite") as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608


class SlackStandIn:
    """An incoming-webhook stand-in that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []
        messages = self.messages

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                messages.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/services/T1/B1/token"


@pytest.fixture
def slack() -> Iterator[SlackStandIn]:
    stand_in = SlackStandIn()
    stand_in.thread.start()
    yield stand_in
    stand_in.server.shutdown()
    stand_in.server.server_close()


@pytest.fixture
def home(tmp_path: Path, evidence_doc) -> Path:
    root = tmp_path / "gov"
    run_cli("init", home=root)
    reviewers = {"rb": "review_board", "ds": "data_steward", "sl": "security_lead"}
    for user, role in {**reviewers, "me": "ml_engineer", "alice": "ml_engineer"}.items():
        run_cli("users", "add", user, "--role", role, home=root)
    evidence = tmp_path / "evidence.json"
    evidence.write_text(json.dumps(evidence_doc()), encoding="utf-8")
    run_cli("register", "--evidence", str(evidence), "--as", "alice", home=root)
    run_cli(
        "drill", MODEL, "v1", "--passed", "--note", "undeploy rehearsed", "--as", "me", home=root
    )
    run_cli("submit", MODEL, "v1", "--as", "alice", home=root)
    for user, role in {**reviewers, "me": "ml_engineer"}.items():
        run_cli("sign", "Q-000001", "--as", user, "--role", role, "--approve", "--comment", "ok",
                home=root)  # fmt: skip
    return root


def _claims(rng: np.random.Generator, rows: int, *, shift: float, signal: float) -> pd.DataFrame:
    label = (rng.random(rows) < 0.2).astype(int)
    return pd.DataFrame(
        {
            "claim_amount": rng.normal(100.0 + shift, 15.0, rows).round(2),
            "provider_type": rng.choice(["dental", "ortho", "surgery"], rows),
            "age_group": rng.choice(["under_40", "40_plus"], rows),
            "label": label,
            # The score separates the classes by ``signal``: 0.45 gives an AUC near
            # 0.96, 0.1 near 0.75.
            "score": np.clip(0.3 + signal * label + rng.normal(0, 0.15, rows), 0, 1).round(4),
        }
    )


@pytest.fixture
def scored(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(11)
    reference = tmp_path / "training.csv"
    _claims(rng, 4000, shift=0.0, signal=0.45).drop(columns=["label", "score"]).to_csv(
        reference, index=False
    )
    folder = tmp_path / "scored"
    folder.mkdir()
    days = {"2024-03-01": (0.0, 0.45), "2024-03-02": (12.0, 0.10), "2024-03-03": (0.0, 0.45)}
    for day, (shift, signal) in days.items():
        _claims(rng, 2000, shift=shift, signal=signal).to_csv(
            folder / f"scored-{day}.csv", index=False
        )
        slow = 3.0 if day == "2024-03-02" else 1.0
        pd.DataFrame(
            {
                "latency_ms": (rng.lognormal(np.log(30), 0.3, 500) * slow).round(1),
                "is_error": rng.random(500) < 0.001,
            }
        ).to_csv(folder / f"queries-{day}.csv", index=False)
    (folder / "notes.txt").write_text("not a scored file", encoding="utf-8")
    return folder, reference


def test_monitor_evaluates_each_day_and_alerts_once_per_episode(home, scored, slack):
    folder, reference = scored
    env = {"MODEL_GOVERNANCE_SLACK_WEBHOOK_URL": slack.url}

    first = run_cli(
        "monitor", "--scored-dir", str(folder), "--model", MODEL, "--reference", str(reference),
        "--service", "fraud-predict", "--json", home=home, env=env,
    )  # fmt: skip

    report = json.loads(first.stdout)
    days = {d["day"]: {x["rule"]: x for x in d["decisions"]} for d in report["evaluated"]}
    assert list(days) == ["2024-03-01", "2024-03-02", "2024-03-03"]
    assert {x["status"] for x in days["2024-03-01"].values()} == {"within"}
    assert days["2024-03-02"]["auc_alert"]["episode"] == "opened"
    assert days["2024-03-02"]["drift"]["episode"] == "opened"
    assert days["2024-03-02"]["drift"]["retraining"]["status"] == "started"
    assert days["2024-03-02"]["sla"]["episode"] == "opened"
    assert days["2024-03-03"]["auc_alert"]["episode"] == "closed"
    assert days["2024-03-03"]["drift"]["episode"] == "closed"
    assert report["status"]["health"] == "healthy"
    # One Slack message per episode opened on 2024-03-02, one more when it closes.
    opened = [r for r, x in days["2024-03-02"].items() if x["episode"] == "opened"]
    closed = [r for r, x in days["2024-03-03"].items() if x["episode"] == "closed"]
    raised = [m for m in slack.messages if not m["text"].startswith("[RESOLVED]")]
    assert len(raised) == len(opened)
    assert len(slack.messages) == len(opened) + len(closed)
    assert all(m["text"] and m["blocks"] for m in slack.messages)
    requests = list((home / "retraining").glob("retraining-request-*.json"))
    assert len(requests) == 1
    assert json.loads(requests[0].read_text())["model_id"] == MODEL
    assert count(home, "evaluations") == 3


def test_monitor_rerun_skips_evaluated_days_and_sends_nothing(home, scored, slack):
    folder, reference = scored
    env = {"MODEL_GOVERNANCE_SLACK_WEBHOOK_URL": slack.url}
    args = ("monitor", "--scored-dir", str(folder), "--model", MODEL)
    run_cli(*args, "--reference", str(reference), home=home, env=env)
    sent = len(slack.messages)

    again = run_cli(*args, home=home, env=env)

    assert "3 file(s) already evaluated, skipped" in again.stdout
    assert "Status of claims-fraud v1: healthy" in again.stdout
    assert len(slack.messages) == sent
    assert count(home, "evaluations") == 3
    assert count(home, "status_snapshots") == 2


def test_monitor_text_output_one_line_per_day(home, scored):
    folder, reference = scored

    result = run_cli(
        "monitor", "--scored-dir", str(folder), "--model", MODEL, "--reference", str(reference),
        home=home,
    )  # fmt: skip

    lines = result.stdout.splitlines()
    assert lines[0].startswith("2024-03-01  v1  rows 2000  AUC ")
    assert lines[0].endswith("| ok")
    assert "auc_alert opened: AUC" in lines[1]
    assert "drift opened: largest KS statistic" in lines[1]
    assert "auc_alert closed" in lines[2]


def test_monitor_saved_reference_summary_reused(home, scored, tmp_path):
    folder, reference = scored
    summary = tmp_path / "reference.json"
    run_cli(
        "monitor", "--scored-dir", str(folder), "--model", MODEL, "--reference", str(reference),
        "--save-reference", str(summary), home=home,
    )  # fmt: skip
    (folder / "scored-2024-03-01.csv").rename(folder / "scored-2024-03-04.csv")

    result = run_cli(
        "monitor", "--scored-dir", str(folder), "--model", MODEL, "--reference", str(summary),
        home=home,
    )  # fmt: skip

    assert json.loads(summary.read_text())["format"] == "model-governance.reference/1"
    assert result.stdout.splitlines()[0].startswith("2024-03-04  v1")
    assert count(home, "evaluations") == 4


def test_monitor_without_reference_refused(home, scored):
    folder, _ = scored

    result = run_cli("monitor", "--scored-dir", str(folder), "--model", MODEL, home=home, check=2)

    assert "--reference: no reference is stored for claims-fraud v1" in result.stderr


def test_monitor_unknown_model_refused(home, scored):
    folder, reference = scored

    result = run_cli(
        "monitor", "--scored-dir", str(folder), "--model", "nope", "--reference", str(reference),
        home=home, check=2,
    )  # fmt: skip

    assert "--model: nope has no approved version" in result.stderr
