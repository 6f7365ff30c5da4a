"""Response times of the review-board pages on a realistic ledger.

Seeds a temporary SQLite ledger with 1,000 qualifications (100 models x 10 versions,
7 checks each, sign-offs matching their states) and 100,000 chained audit events, then
times the queue, qualification and monitoring pages through Flask's test client and
over HTTP (a local threaded server), logged in as a reviewer. Prints p50/p95 per page;
the target is p95 under 300 ms.

    .venv/bin/python benchmarks/bench_webapp.py [--requests 200]
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python-lib"))

from sqlalchemy import insert, update  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from model_governance.core.audit import ChainHead, seal  # noqa: E402
from model_governance.core.checks import History, RollbackDrill, run_gate_checks  # noqa: E402
from model_governance.core.evidence import evidence_to_dict, parse_evidence  # noqa: E402
from model_governance.core.hashing import canonical_json, to_utc_iso  # noqa: E402
from model_governance.core.policy import Policy  # noqa: E402
from model_governance.ledger import Ledger  # noqa: E402
from model_governance.ledger import schema as t  # noqa: E402
from model_governance.ledger.queries import ChainVerifier  # noqa: E402
from model_governance.local import LocalHome  # noqa: E402
from model_governance.services import GovernanceService  # noqa: E402
from model_governance.webapp import LocalIdentity, create_app  # noqa: E402

QUALIFICATIONS = 1_000
VERSIONS_PER_MODEL = 10
AUDIT_EVENTS = 100_000
EVALUATED_MODELS = 20
EVALUATION_DAYS = 180
ROLES = ("review_board", "data_steward", "security_lead", "ml_engineer")
REVIEWERS = {
    "review_board": "rbaker",
    "data_steward": "dsteward",
    "security_lead": "slee",
    "ml_engineer": "mengineer",
}
STATES = ("pending", "in_review", "approved", "rejected", "revoked", "withdrawn")
STATE_WEIGHTS = (0.25, 0.25, 0.3, 0.1, 0.05, 0.05)
START = datetime(2023, 1, 1, tzinfo=timezone.utc)
USER, PASSWORD = "dsteward", "benchmark-password"


def evidence_doc(model_id: str, version: int, project: str) -> dict[str, Any]:
    return {
        "model_id": model_id,
        "version": f"v{version}",
        "semver": f"1.{version}",
        "project_key": project,
        "model_name": f"Model {model_id}",
        "code_env": "python-3.11-deltadental",
        "metrics": {"auc": 0.91 + version / 1000},
        "features": [{"name": f"f{i}", "role": "input", "kind": "numeric"} for i in range(12)]
        + [{"name": "label", "role": "target", "kind": "categorical"}],
        "training_dataset": "train",
        "training_schema": [{"name": f"f{i}", "type": "double"} for i in range(12)]
        + [{"name": "label", "type": "int"}],
        "fairness": [
            {
                "attribute": "age_group",
                "favourable_outcome": "not_flagged",
                "groups": [
                    {"group": "young", "size": 4000, "favourable": 3700},
                    {"group": "old", "size": 6000, "favourable": 5500},
                ],
            }
        ],
        "description": {"purpose": "benchmark", "rollback_strategy": "undeploy"},
    }


class Chain:
    """Seals audit events in order and writes them in batches."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.head = ChainHead()
        self.rows: list[dict[str, Any]] = []

    def add(
        self, at: datetime, actor: str, action: str, entity: tuple[str, str], **payload: Any
    ) -> None:
        event = seal(
            self.head, occurred_at=at, actor=actor, action=action, entity=entity, payload=payload
        )
        self.head = ChainHead(event.seq, event.hash)
        self.rows.append(
            {
                "seq": event.seq,
                "occurred_at": to_utc_iso(at),
                "actor": actor,
                "action": action,
                "entity_type": entity[0],
                "entity_id": entity[1],
                "payload_json": canonical_json(payload),
                "prev_hash": event.prev_hash,
                "hash": event.hash,
            }
        )
        if len(self.rows) >= 5_000:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.conn.execute(insert(t.audit_events), self.rows)
            self.rows = []
        self.conn.execute(
            update(t.chain_head)
            .where(t.chain_head.c.id == 1)
            .values(seq=self.head.seq, hash=self.head.hash)
        )


def seed(ledger: Ledger, policy: Policy, rng: random.Random) -> None:
    models = QUALIFICATIONS // VERSIONS_PER_MODEL
    with ledger.transaction() as tx:
        chain = Chain(tx.conn)
        moment = START
        versions: list[tuple[str, str]] = []
        for m in range(models):
            model_id, project = f"model-{m:03d}", f"PROJECT_{m % 5}"
            tx.conn.execute(
                insert(t.models).values(
                    model_id=model_id,
                    project_key=project,
                    name=f"Model {m:03d}",
                    created_at=to_utc_iso(moment),
                )
            )
            for v in range(1, VERSIONS_PER_MODEL + 1):
                moment += timedelta(minutes=17)
                seed_qualification(tx.conn, chain, policy, rng, model_id, v, project, moment)
                versions.append((model_id, f"v{v}"))
        while chain.head.seq < AUDIT_EVENTS:
            moment += timedelta(seconds=30)
            model_id, version = rng.choice(versions)
            chain.add(
                moment,
                "scenario:deploy",
                "gate.evaluated",
                ("version", f"{model_id}/{version}"),
                is_open=False,
                reasons=["not approved"],
                qualification_id=None,
                fingerprint="0" * 64,
                policy_hash=policy.content_hash,
            )
        chain.flush()
        tx.conn.execute(insert(t.evaluations), list(evaluation_rows(rng)))


def seed_qualification(  # noqa: PLR0913 - one row set per argument
    conn: Any,
    chain: Chain,
    policy: Policy,
    rng: random.Random,
    model_id: str,
    v: int,
    project: str,
    at: datetime,
) -> None:
    evidence = parse_evidence(evidence_doc(model_id, v, project))
    qid = f"Q-{(int(model_id[-3:]) * VERSIONS_PER_MODEL + v):06d}"
    state = rng.choices(STATES, STATE_WEIGHTS)[0]
    checks = _checks_for(evidence, policy, at)
    ts = to_utc_iso(at)
    version_entity = ("version", f"{model_id}/v{v}")
    conn.execute(
        insert(t.model_versions).values(
            model_id=model_id,
            version=f"v{v}",
            semver=evidence.semver,
            fingerprint=evidence.fingerprint,
            evidence_json=canonical_json(evidence_to_dict(evidence)),
            registered_by="ascientist",
            registered_at=ts,
        )
    )
    conn.execute(
        insert(t.qualifications).values(
            qualification_id=qid,
            model_id=model_id,
            version=f"v{v}",
            project_key=project,
            submitter="ascientist",
            state=state,
            fingerprint=evidence.fingerprint,
            policy_version=policy.version,
            policy_hash=policy.content_hash,
            is_fast_track=False,
            created_at=ts,
            updated_at=ts,
        )
    )
    conn.execute(
        insert(t.check_results),
        [
            {
                "qualification_id": qid,
                "run_no": 1,
                "check_id": c.check_id,
                "title": c.title,
                "status": c.status.value,
                "is_blocking": c.is_blocking,
                "explanation": c.explanation,
                "measured_json": canonical_json(c.measured),
                "threshold_json": canonical_json(c.threshold),
                "evidence_refs_json": canonical_json(list(c.evidence_refs)),
                "details_json": canonical_json(c.details),
                "policy_hash": policy.content_hash,
                "recorded_at": ts,
            }
            for c in checks
        ],
    )
    chain.add(
        at, "ascientist", "version.registered", version_entity, fingerprint=evidence.fingerprint
    )
    chain.add(
        at, "mengineer", "rollback.drilled", version_entity, passed=True, target="", note="drill"
    )
    chain.add(
        at,
        "ascientist",
        "qualification.submitted",
        ("qualification", qid),
        fingerprint=evidence.fingerprint,
        policy_version=policy.version,
    )
    chain.add(
        at,
        "ascientist",
        "checks.recorded",
        ("qualification", qid),
        checks=[{"check_id": c.check_id, "status": c.status.value} for c in checks],
    )
    for role, decision in signoffs_for(state, rng):
        conn.execute(
            insert(t.signoffs).values(
                qualification_id=qid,
                role=role,
                actor=REVIEWERS[role],
                decision=decision,
                comment=f"{role} review",
                signed_at=ts,
            )
        )
        chain.add(
            at,
            REVIEWERS[role],
            "signoff.recorded",
            ("qualification", qid),
            role=role,
            decision=decision,
            comment=f"{role} review",
            by_rule=False,
        )


_CHECKS: dict[float, tuple[Any, ...]] = {}


def _checks_for(evidence: Any, policy: Policy, at: datetime) -> tuple[Any, ...]:
    # Versions differ only in names and AUC: run the checks once per AUC value.
    auc = evidence.metrics["auc"]
    if auc not in _CHECKS:
        history = History(
            now=at,
            rollback_drills=(RollbackDrill(at, True),),
            recorded_actions=("version.registered",),
        )
        _CHECKS[auc] = run_gate_checks(evidence, policy, history)
    return _CHECKS[auc]


def signoffs_for(state: str, rng: random.Random) -> list[tuple[str, str]]:
    if state in ("approved", "revoked"):
        return [(r, "approve") for r in ROLES]
    if state == "in_review":
        return [(r, "approve") for r in ROLES[: rng.randint(1, 3)]]
    if state == "rejected":
        return [(ROLES[0], "approve"), (ROLES[2], "reject")]
    return []


def evaluation_rows(rng: random.Random) -> Iterator[dict[str, Any]]:
    for m in range(EVALUATED_MODELS):
        for day in range(EVALUATION_DAYS):
            end = START + timedelta(days=day + 1)
            drift = {f"f{i}": rng.uniform(0.01, 0.2) for i in range(8)}
            metrics = {
                "drift": drift,
                "disparate_impact": {"age_group": {"young": 0.9, "old": 1.0}},
            }
            yield {
                "model_id": f"model-{m:03d}",
                "version": "v10",
                "window_start": to_utc_iso(end),
                "window_end": to_utc_iso(end),
                "auc": str(rng.uniform(0.86, 0.94)),
                "max_ks": str(max(drift.values())),
                "metrics_json": json.dumps(metrics),
                "source": "bench",
                "recorded_at": to_utc_iso(end),
            }


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(fetch: Callable[[str], int], paths: Callable[[], str], count: int) -> list[float]:
    times = []
    for _ in range(count):
        path = paths()
        began = time.perf_counter()
        status = fetch(path)
        times.append((time.perf_counter() - began) * 1000)
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per page and client")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        home = LocalHome(Path(folder) / "home")
        home.initialise()
        policy = home.load_policy()
        home.add_user(USER, ("data_steward",), policy)
        home.set_password(USER, PASSWORD)
        ledger = home.open_ledger()
        began = time.perf_counter()
        seed(ledger, policy, rng)
        seeded_s = time.perf_counter() - began
        report(ledger, home, policy, rng, args.requests, seeded_s)
        ledger.engine.dispose()


def time_chain_walks(ledger: Ledger) -> None:
    began = time.perf_counter()
    ledger.verify()
    print(f"full audit-chain walk, `audit verify`: {time.perf_counter() - began:.2f} s")
    began = time.perf_counter()
    ChainVerifier().verify(ledger)
    print(f"full audit-chain walk, webapp (batched): {time.perf_counter() - began:.2f} s")


def report(
    ledger: Ledger, home: LocalHome, policy: Policy, rng: random.Random, count: int, seeded_s: float
) -> None:
    print(
        f"ledger: {QUALIFICATIONS} qualifications, {ledger.head().seq} audit events, "
        f"{EVALUATED_MODELS * EVALUATION_DAYS} evaluations; seeded in {seeded_s:.1f} s"
    )
    time_chain_walks(ledger)
    app = create_app(ledger, policy, LocalIdentity(home), secret_key="b" * 48)
    board = app.extensions["model_governance_review_board"]
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = login.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token})
    began = time.perf_counter()
    first = client.get("/").status_code
    print(
        f"first page view while the chain is walked in the background: "
        f"{(time.perf_counter() - began) * 1000:.0f} ms (status {first})"
    )
    board.verifier.verify(ledger)  # let the warm-up finish before timing pages
    service = GovernanceService(ledger, policy)
    for _ in range(100):
        service.gate("model-000", "v1", actor="bench")
    began = time.perf_counter()
    extended = board.verifier.verify(ledger)
    print(
        f"incremental verification of 100 new events: "
        f"{(time.perf_counter() - began) * 1000:.1f} ms (intact: {extended.is_intact}, "
        f"full walks so far: {board.verifier.full_walks})"
    )

    pages: dict[str, Callable[[], str]] = {
        "queue (all, page 1)": lambda: "/",
        "queue (state filter)": lambda: f"/?state={rng.choice(STATES)}",
        "queue (model filter)": lambda: f"/?model=model-{rng.randrange(100):03d}",
        "queue (project, page 5)": lambda: f"/?project=PROJECT_{rng.randrange(5)}&page=5",
        "qualification": lambda: f"/qualifications/Q-{rng.randint(1, QUALIFICATIONS):06d}",
        "monitoring": lambda: f"/models/model-{rng.randrange(EVALUATED_MODELS):03d}/monitoring",
    }

    def via_client(path: str) -> int:
        return client.get(path).status_code

    cookie = "model_governance_review=" + client.get_cookie("model_governance_review").value  # type: ignore[union-attr]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def via_http(path: str) -> int:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
        conn.request("GET", path, headers={"Cookie": cookie, "Accept": "text/html"})
        response = conn.getresponse()
        response.read()
        conn.close()
        return response.status

    print(f"\n{'page':<26}{'client':<8}{'n':>5}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    try:
        for name, paths in pages.items():
            for label, fetch in (("flask", via_client), ("http", via_http)):
                times = measure(fetch, paths, count)
                print(
                    f"{name:<26}{label:<8}{len(times):>5}{statistics.median(times):>9.1f}"
                    f"{percentile(times, 0.95):>9.1f}{max(times):>9.1f}"
                )
    finally:
        server.shutdown()
    print("\ntarget: p95 under 300 ms for the queue and qualification pages")


if __name__ == "__main__":
    main()
