"""Sixty simulated days in production after the gate demo approved v2.

Each day, claims arrive, the batch model scores them into ``scored-YYYY-MM-DD.csv``,
the API service answers part of them (its query log goes to ``queries-YYYY-MM-DD.csv``)
and the monitoring rules run over the new files exactly as ``model-governance monitor``
runs them. From day 15 a growing share of claims (a fifth more each day, all of them
from day 19) is smaller and comes with more frequent visits: the approved model's AUC
decays below 0.88. Alerts go to a webhook receiver on
127.0.0.1 that prints one line per Slack or PagerDuty notification. The drift alert
starts the retraining pipeline, which waits for labelled claims of the new regime,
trains a candidate on the latest week and submits it; the candidate takes the fast
track, goes out to 10 % of the API traffic and is promoted.

The simulation runs on its own clock: day N's events are recorded two hours after the
day ends, so the audit trail reads in simulated time.
"""

from __future__ import annotations

import json
import pickle
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Optional, Protocol

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from model_governance.core.evidence import parse_evidence
from model_governance.core.metrics.ranking import roc_auc
from model_governance.core.monitoring import CanaryAction, ServiceLogSummary
from model_governance.core.workflow import Decision, role_label
from model_governance.demo.claims import (
    CATEGORICAL_FEATURES,
    LABEL,
    NUMERIC_FEATURES,
    PROTECTED_ATTRIBUTES,
    Drift,
    generate_claims,
)
from model_governance.demo.training import Candidate, evidence_document, train_candidate
from model_governance.evaluation import ScoredColumns, summarise_reference
from model_governance.local import LocalHome
from model_governance.monitoring import CanaryTarget, MonitoringService, RetrainingRequest
from model_governance.notify import NotificationConfig, WebhookNotifier
from model_governance.scored_folder import MonitorSettings, describe_window, monitor_folder
from model_governance.services import GovernanceService

DAYS = 60
ROWS_PER_DAY = 3000
REQUESTS_PER_DAY = 2000
DRIFT_START_DAY = 15
DRIFT_RAMP_DAYS = 5
AMOUNT_SHIFT = -2.25
FREQUENCY_SHIFT = 4.5
LATENCY_INCIDENT_DAY = 8
RETRAINING_WAIT_DAYS = 10
RETRAINING_WINDOW_DAYS = 7
CANARY_DAYS = 3
SERVICE = "fraud-predict"
DEPLOYMENT = "fraud-predict-prod"
MONITOR = "monitoring-scenario"
PIPELINE = "retraining-pipeline"
FEATURES = NUMERIC_FEATURES + CATEGORICAL_FEATURES
SCORED_COLUMNS = (*FEATURES, "gender", LABEL, "score")

Say = Callable[[str], None]


class DemoRunner(Protocol):
    """The part of the gate demo's transcript this phase uses."""

    workdir: Path
    home: Path

    def run(self, *args: str, expect: int = 0) -> int:
        """Echo and run one command."""
        ...

    def say(self, text: str) -> None:
        """A narrator line."""
        ...


def run_production(
    demo: DemoRunner,
    *,
    model_id: str,
    version: str,
    reviewers: Mapping[str, str],
    seed: int,
    out: Say,
) -> None:
    """Simulate the days after ``version`` went live, then ``monitor`` the files."""
    folder = demo.workdir / "production"
    folder.mkdir()
    first_day = datetime.now(timezone.utc).date() + timedelta(days=1)
    with WebhookReceiver() as receiver:
        world = _World.start(demo, model_id, version, reviewers, seed, receiver, out)
        demo.say(
            f"{DAYS} days in production from {first_day}: {ROWS_PER_DAY} claims and "
            f"{REQUESTS_PER_DAY} API calls a day; alerts go to the receiver on {receiver.url}"
        )
        for number in range(1, DAYS + 1):
            world.live(number, first_day + timedelta(days=number - 1), folder)
    demo.say("Local mode: the same rules over the same folder (every day is evaluated already)")
    demo.run(
        "monitor",
        "--scored-dir",
        str(folder),
        "--model",
        model_id,
        "--label",
        LABEL,
        "--score",
        "score",
        "--service",
        SERVICE,
    )


# The simulated world


class SimulatedClock:
    """Simulated UTC time: set to a moment, then one second later at each reading."""

    def __init__(self) -> None:
        self.current = datetime.now(timezone.utc)

    def set(self, moment: datetime) -> None:
        """Jump forward to ``moment`` (never back)."""
        self.current = max(self.current, moment)

    def __call__(self) -> datetime:
        """The current simulated time."""
        moment = self.current
        self.current += timedelta(seconds=1)
        return moment


@dataclass
class _Serving:
    """What scores the batch and the API, and the canary under observation."""

    version: str
    model: Any
    settings: MonitorSettings
    canary: Optional[_Canary] = None


@dataclass
class _Canary:
    version: str
    candidate: Candidate
    settings: MonitorSettings
    started_day: int
    log: ServiceLogSummary = field(default_factory=ServiceLogSummary)
    labels: list[np.ndarray[Any, Any]] = field(default_factory=list)
    scores: list[np.ndarray[Any, Any]] = field(default_factory=list)


class _World:
    """Claims, models, the API and the governance services of the simulation."""

    def __init__(  # noqa: PLR0913 - the simulation's parts
        self,
        demo: DemoRunner,
        model_id: str,
        service: MonitoringService,
        serving: _Serving,
        pipeline: RetrainingPipeline,
        deployer: SimulatedApiDeployer,
        reviewers: Mapping[str, str],
        seed: int,
        out: Say,
        clock: SimulatedClock,
        later: list[str],
    ):
        self.demo, self.model_id, self.service = demo, model_id, service
        self.clock, self.later = clock, later
        self.serving, self.pipeline, self.deployer = serving, pipeline, deployer
        self.reviewers, self.seed, self.out = reviewers, seed, out
        self.days: dict[int, pd.DataFrame] = {}
        self.pools = ClaimPools(seed)
        self.health = ""

    @classmethod
    def start(  # noqa: PLR0913 - the demo's context
        cls,
        demo: DemoRunner,
        model_id: str,
        version: str,
        reviewers: Mapping[str, str],
        seed: int,
        receiver: WebhookReceiver,
        out: Say,
    ) -> _World:
        home = LocalHome(demo.home)
        clock = SimulatedClock()
        governance = GovernanceService(home.open_ledger(), home.load_policy(), clock=clock)
        # Lines from the receiver, pipeline and deployer wait for the day's own line.
        later = receiver.lines
        pipeline = RetrainingPipeline(later.append)
        deployer = SimulatedApiDeployer(later.append, current=version)
        notifier = WebhookNotifier(receiver.config(), sleep=lambda seconds: None)
        service = MonitoringService(governance, notifier, pipeline, clock, deployer=deployer)
        # The model file the gate demo wrote a moment ago.
        model = pickle.loads((demo.workdir / "models" / f"{version}.pkl").read_bytes())  # noqa: S301
        training = pd.read_csv(demo.workdir / "claims.csv")
        settings = _settings(service, model_id, version, training, source="claims.csv")
        serving = _Serving(version, model, settings)
        return cls(
            demo, model_id, service, serving, pipeline, deployer, reviewers, seed, out, clock, later
        )

    def live(self, number: int, day: date, folder: Path) -> None:
        """One day: claims, batch scoring, API traffic, monitoring, and what follows."""
        self.clock.set(datetime.combine(day + timedelta(days=1), time(2), timezone.utc))
        claims = self._claims(number)
        self.days[number] = claims
        scores = _scores(self.serving.model, claims)
        scored = claims.assign(score=scores)[list(SCORED_COLUMNS)]
        scored.to_csv(folder / f"scored-{day.isoformat()}.csv", index=False)
        self._api_traffic(number, day, claims, scores).to_csv(
            folder / f"queries-{day.isoformat()}.csv", index=False
        )
        report = monitor_folder(self.service, folder, self.serving.settings, actor=MONITOR)
        for window in report.windows:
            self.out(f"day {number:>2} {describe_window(window)}")
        self._flush()
        self._publish()
        if self.pipeline.is_due(number):
            self._retrained(number)
        canary = self.serving.canary
        if canary is not None and number - canary.started_day >= CANARY_DAYS:
            self._decide_canary(canary)

    def _claims(self, number: int) -> pd.DataFrame:
        return self.pools.day(number)

    def _api_traffic(
        self, number: int, day: date, claims: pd.DataFrame, batch_scores: np.ndarray[Any, Any]
    ) -> pd.DataFrame:
        rng = np.random.default_rng(1000 + number)
        rows = rng.choice(len(claims), REQUESTS_PER_DAY, replace=False)
        canary = self.serving.canary
        share = self.deployer.share(canary.version) if canary else 0.0
        to_canary = rng.random(REQUESTS_PER_DAY) < share
        slow = 1.8 if number == LATENCY_INCIDENT_DAY else 1.0
        latency = np.round(rng.lognormal(np.log(38.0), 0.35, REQUESTS_PER_DAY) * slow, 1)
        failed = rng.random(REQUESTS_PER_DAY) < 0.002
        if canary is not None and to_canary.any():
            picked = claims.iloc[rows[to_canary]]
            canary.labels.append(picked[LABEL].to_numpy())
            canary.scores.append(_scores(canary.candidate.model, picked))
            canary.log.update(latency[to_canary], failed[to_canary])
        start = datetime.combine(day, time(0), timezone.utc)
        seconds = np.sort(rng.uniform(0, 86_400, REQUESTS_PER_DAY))
        return pd.DataFrame(
            {
                "timestamp": [(start + timedelta(seconds=float(s))).isoformat() for s in seconds],
                "generation": np.where(
                    to_canary, canary.version if canary else "", self.serving.version
                ),
                "latency_ms": latency,
                "is_error": failed,
            }
        )

    def _flush(self) -> None:
        for line in self.later:
            self.out(line)
        self.later.clear()

    def _publish(self) -> None:
        status = self.service.publish_status(self.model_id, actor=MONITOR)
        if status.health != self.health:
            flags = ", ".join(f["rule"] for f in status.open_flags) or "no open flag"
            self.out(f"        status published: {status.health} ({flags})")
            self.health = status.health

    def _retrained(self, number: int) -> None:
        recent = [self.days[n] for n in range(number - RETRAINING_WINDOW_DAYS + 1, number + 1)]
        data = pd.concat(recent, ignore_index=True)
        candidate = self.pipeline.train(data)
        path = self.demo.workdir / f"evidence-{candidate.version}.json"
        artifact = self.demo.workdir / "models" / f"{candidate.version}.pkl"
        evidence = evidence_document(candidate, data, self.service.policy, artifact)
        path.write_text(json.dumps(evidence, indent=2), encoding="utf-8")
        data.to_csv(self.demo.workdir / f"training-{candidate.version}.csv", index=False)
        first = number - RETRAINING_WINDOW_DAYS + 1
        self.demo.say(
            f"The pipeline trained {candidate.version} on days {first}-{number} "
            f"({len(data)} claims): test AUC {candidate.auc:.3f}; it submits it"
        )
        submission = self.service.submit_retrained(parse_evidence(evidence), actor=PIPELINE)
        q = submission.qualification
        verdict = "inside" if submission.envelope.is_inside else "OUTSIDE"
        approved = submission.approved_version
        self.out(f"  {q.qualification_id}: {verdict} the fast-track envelope of {approved}")
        for reason in submission.envelope.reasons:
            self.out(f"    - {reason}")
        self._human_review(q.qualification_id)
        settings = _settings(
            self.service,
            self.model_id,
            candidate.version,
            data,
            source=f"training-{candidate.version}.csv",
        )
        self._start_canary(candidate, settings, number)

    def _human_review(self, qualification_id: str) -> None:
        governance = self.service.governance
        home = LocalHome(self.demo.home)
        q = governance.ledger.get_qualification(qualification_id)
        board = q.signoff_for("review_board")
        if board is not None:
            self.out(f"    {role_label('review_board')}: granted by rule ({board.actor})")
        failing = [c for c in q.checks if c.is_blocking_problem]
        for check in failing:
            self.out(f"    check {check.check_id} fails: {check.explanation}")
        for role in self.service.policy.governance_roles:
            user = self.reviewers[role]
            governance.sign(
                qualification_id,
                home.principal(user),
                role,
                Decision.APPROVE,
                comment=f"{role_label(role)}: retrained version reviewed.",
            )
            self.out(f"    {user} ({role_label(role)}) approves")
        if any(c.check_id == "drift_history" for c in failing):
            board_member = self.reviewers["review_board"]
            governance.waive(
                qualification_id,
                home.principal(board_member),
                "review_board",
                "drift_history",
                reason="The drifted evaluations are those of the version this one replaces; "
                "the candidate is trained on the drifted claims.",
            )
            self.out(f"    {board_member} ({role_label('review_board')}) waives drift_history")
        q = governance.ledger.get_qualification(qualification_id)
        self.out(f"  {qualification_id} is {q.state.value}")

    def _start_canary(self, candidate: Candidate, settings: MonitorSettings, number: int) -> None:
        target = CanaryTarget(SERVICE, DEPLOYMENT, self.serving.version, candidate.version)
        split = self.service.start_canary(self.model_id, candidate.version, target, actor=PIPELINE)
        self._flush()
        share = f"{split[1]:.0%}"
        self.out(f"  canary: {candidate.version} takes {share} of {SERVICE} for {CANARY_DAYS} days")
        self.serving.canary = _Canary(candidate.version, candidate, settings, number)

    def _decide_canary(self, canary: _Canary) -> None:
        labels = np.concatenate(canary.labels)
        scores = np.concatenate(canary.scores)
        auc = roc_auc(labels, scores)
        target = CanaryTarget(SERVICE, DEPLOYMENT, self.serving.version, canary.version)
        decision = self.service.canary_decide(
            self.model_id, canary.version, target, canary.log.result(), actor=PIPELINE, auc=auc
        )
        self.demo.say(f"Canary {canary.version}: {decision.action.value}")
        self._flush()
        for reason in decision.reasons:
            self.out(f"    - {reason}")
        if decision.action is CanaryAction.PROMOTE:
            self.serving = _Serving(canary.version, canary.candidate.model, canary.settings)
        else:
            self.serving.canary = None


def _settings(
    service: MonitoringService, model_id: str, version: str, training: pd.DataFrame, *, source: str
) -> MonitorSettings:
    references = summarise_reference(training, columns=list(FEATURES), grid_size=2048)
    service.save_reference(model_id, version, references, source=source, actor=MONITOR)
    columns = ScoredColumns(label=LABEL, score="score", protected=PROTECTED_ATTRIBUTES)
    return MonitorSettings(model_id, version, columns, references, service_id=SERVICE)


def _scores(model: Any, claims: pd.DataFrame) -> np.ndarray[Any, Any]:
    design = claims[list(FEATURES)].copy()
    for name in CATEGORICAL_FEATURES:
        design[name] = design[name].astype("category")
    # A few thousand rows score faster on one thread than with OpenMP's start-up and
    # contention on every one of the model's trees.
    with threadpool_limits(limits=1):
        return np.asarray(model.predict_proba(design)[:, 1])


def drifted_share(number: int) -> float:
    """Share of day ``number``'s claims from the new regime (0 before the drift)."""
    return min(max((number - DRIFT_START_DAY + 1) / DRIFT_RAMP_DAYS, 0.0), 1.0)


class ClaimPools:
    """Each day's claims: the training regime, then a growing share of the new one.

    Both pools are drawn with the training seed, which generate_claims uses first for
    the providers' fraud risk, so the providers stay the same; they are several times
    larger than the training table, so every other column comes from another part of
    the random stream than the training claims. The two pools share their draws row
    for row, so the stable claims come from the first rows and the drifted ones from
    the rows after them: no claim appears twice.
    """

    def __init__(self, seed: int):
        size = DAYS * ROWS_PER_DAY
        drift = Drift(amount_shift=AMOUNT_SHIFT, frequency_shift=FREQUENCY_SHIFT)
        self._stable = generate_claims(size, seed=seed)
        self._drifted = generate_claims(size, seed=seed, drift=drift)
        stable_rows = sum(_stable_count(n) for n in range(1, DAYS + 1))
        self._next_stable, self._next_drifted = 0, stable_rows
        self._rng = np.random.default_rng(seed)

    def day(self, number: int) -> pd.DataFrame:
        """The claims of day ``number`` (days are drawn in order, each once)."""
        stable = _stable_count(number)
        drifted = ROWS_PER_DAY - stable
        parts = [
            self._stable.iloc[self._next_stable : self._next_stable + stable],
            self._drifted.iloc[self._next_drifted : self._next_drifted + drifted],
        ]
        self._next_stable += stable
        self._next_drifted += drifted
        claims = pd.concat(parts, ignore_index=True)
        return claims.iloc[self._rng.permutation(len(claims))].reset_index(drop=True)


def _stable_count(number: int) -> int:
    return ROWS_PER_DAY - round(drifted_share(number) * ROWS_PER_DAY)


# Outside systems, simulated


class RetrainingPipeline:
    """The demo's retraining callable: queues a run, then trains once data is there.

    Fraud labels come after investigation, so the pipeline waits
    ``RETRAINING_WAIT_DAYS`` days of labelled claims after the request, then trains
    on the latest ``RETRAINING_WINDOW_DAYS`` days.
    """

    def __init__(self, out: Say):
        self.out = out
        self.requests: list[RetrainingRequest] = []
        self._queued_on: Optional[int] = None
        self._is_queued = False

    def __call__(self, request: RetrainingRequest) -> str:
        """Queue a retraining run and return its id."""
        self.requests.append(request)
        self._is_queued = True
        run_id = f"retrain-{len(self.requests)}"
        self.out(f"        [pipeline] {run_id} queued: {request.reasons[0]}")
        return run_id

    def is_due(self, number: int) -> bool:
        """True once a queued run has enough labelled claims (asked once a day)."""
        if self._is_queued and self._queued_on is None:
            self._queued_on = number
        return self._queued_on is not None and number - self._queued_on >= RETRAINING_WAIT_DAYS

    def train(self, data: pd.DataFrame) -> Candidate:
        """Train the next version on ``data`` with the demo's training code."""
        self._is_queued, self._queued_on = False, None
        trained = len(self.requests)
        return train_candidate(
            data, version=f"v{2 + trained}", semver=f"1.{1 + trained}", features=FEATURES
        )


class SimulatedApiDeployer:
    """An API Deployer deployment whose generation split is kept in memory."""

    def __init__(self, out: Say, *, current: str):
        self.out = out
        self.split: dict[str, float] = {current: 1.0}

    def share(self, generation: str) -> float:
        """Traffic share of ``generation``."""
        return self.split.get(generation, 0.0)

    def set_generation_split(
        self, service: str, deployment: str, current: str, new: str, share: float
    ) -> None:
        """Route ``share`` of the traffic to ``new``."""
        self.split = {current: 1.0 - share, new: share}
        self.out(f"        [api-deployer] {service}/{deployment}: {self._text()}")

    def promote(self, service: str, deployment: str, new: str) -> None:
        """All traffic to ``new``."""
        self.split = {new: 1.0}
        self.out(f"        [api-deployer] {service}/{deployment}: {self._text()}")

    def rollback(self, service: str, deployment: str, current: str) -> None:
        """All traffic back to ``current``."""
        self.split = {current: 1.0}
        self.out(f"        [api-deployer] {service}/{deployment}: {self._text()}")

    def _text(self) -> str:
        return ", ".join(f"{g} {s:.0%}" for g, s in self.split.items())


class WebhookReceiver:
    """Slack and PagerDuty stand-ins on 127.0.0.1: one printed line per notification.

    The first PagerDuty event is answered 503 once, to show the notifier's retry.
    """

    SLACK_PATH = "/services/T0DEMO/B0DEMO/demo-webhook-token"
    ROUTING_KEY = "demo-routing-key-0000000000000000"

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.out: Say = self.lines.append
        self.received: list[tuple[str, dict[str, Any]]] = []
        self._refused_once = False
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the receiver."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def config(self) -> NotificationConfig:
        """Notification settings pointing at this receiver."""
        return NotificationConfig(
            slack_webhook_url=self.url + self.SLACK_PATH,
            pagerduty_routing_key=self.ROUTING_KEY,
            pagerduty_url=self.url + "/v2/enqueue",
            backoff_seconds=0.0,
        )

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, answer = receiver.accept(self.path, body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler

    def accept(self, path: str, body: dict[str, Any]) -> tuple[int, bytes]:
        """Print the notification; answer as Slack or PagerDuty would."""
        if path == "/v2/enqueue":
            if not self._refused_once:
                self._refused_once = True
                self.out("        [pagerduty] 503 Service Unavailable (the notifier will retry)")
                return 503, b'{"status":"unavailable"}'
            self.received.append(("pagerduty", body))
            payload = body["payload"]
            self.out(
                f"        [pagerduty] {body['event_action']} {payload['severity']} "
                f"dedup_key={body['dedup_key']}: {payload['summary']}"
            )
            answer = {
                "status": "success",
                "message": "Event processed",
                "dedup_key": body["dedup_key"],
            }
            return 202, json.dumps(answer).encode()
        if path == self.SLACK_PATH:
            self.received.append(("slack", body))
            self.out(f"        [slack] {body['text']}")
            return 200, b"ok"
        return 404, b"no such webhook"
