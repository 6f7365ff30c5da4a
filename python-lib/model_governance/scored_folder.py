"""Local mode monitoring: the alert rules over a folder of scored files, one per day.

A scored file is named ``scored-YYYY-MM-DD.csv`` (or ``.csv.gz``, ``.parquet``) and
holds one day of scored rows with their ground truth; the day is the evaluation
window. An optional ``queries-YYYY-MM-DD.csv`` beside it is that day's API query log
(one row per request: latency in milliseconds and a failure flag) for the SLA rule.

Each file not yet evaluated for the model is streamed in chunks, evaluated, stored and
run through the same rules the DSS scenario steps run; files already evaluated are
skipped, so running the command again after a new day only adds that day.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Optional

from model_governance.core.errors import NotFoundError, ValidationError
from model_governance.core.evidence import Evidence
from model_governance.core.metrics import DEFAULT_GRID_SIZE
from model_governance.core.monitoring import EpisodeChange, RuleStatus, ServiceMetrics
from model_governance.evaluation import ReferenceSummary, ScoredColumns, summarise_reference
from model_governance.ledger import monitoring as records
from model_governance.ledger.monitoring import EvaluationRecord, StatusSnapshot
from model_governance.local import LocalHome, read_json, write_json
from model_governance.monitoring import (
    MonitoringService,
    RetrainingRequest,
    RuleOutcome,
    Window,
    evaluate_window,
    references_from_dict,
    references_to_dict,
    rule_outcome_to_dict,
    service_metrics_from_chunks,
    status_to_dict,
)
from model_governance.notify import (
    WebhookNotifier,
    notification_config_from_env,
    parse_notification_config,
)
from model_governance.services import GovernanceService
from model_governance.tabular import DEFAULT_CHUNK_ROWS, iter_table, read_table, table_columns

SCORED_NAME = re.compile(r"^scored-(\d{4}-\d{2}-\d{2})\.(csv|csv\.gz|parquet|pq)$")
_QUERY_LOG_SUFFIXES = (".csv", ".csv.gz", ".parquet", ".pq")

__all__ = [
    "SCORED_NAME",
    "FolderReport",
    "MonitorRequest",
    "MonitorSettings",
    "RetrainingOutbox",
    "ScoredFile",
    "WindowReport",
    "describe_folder_report",
    "describe_window",
    "folder_report_to_dict",
    "load_reference_file",
    "monitor_folder",
    "monitored_columns",
    "run_monitor",
    "save_reference_file",
    "scored_files",
]


@dataclass(frozen=True)
class ScoredFile:
    """One day's scored file."""

    path: Path
    day: date

    @property
    def window(self) -> Window:
        """The UTC day the file covers."""
        return Window.day(self.day)

    @property
    def query_log(self) -> Optional[Path]:
        """The day's API query log beside the file, if there is one."""
        for suffix in _QUERY_LOG_SUFFIXES:
            path = self.path.with_name(f"queries-{self.day.isoformat()}{suffix}")
            if path.is_file():
                return path
        return None


@dataclass(frozen=True)
class MonitorSettings:
    """What to evaluate the files as, and against which reference."""

    model_id: str
    version: str
    columns: ScoredColumns
    references: Mapping[str, ReferenceSummary]
    service_id: Optional[str] = None
    latency_column: str = "latency_ms"
    error_column: str = "is_error"
    chunk_rows: int = DEFAULT_CHUNK_ROWS


@dataclass(frozen=True)
class WindowReport:
    """One evaluated file and what the rules decided on it."""

    file: ScoredFile
    evaluation: EvaluationRecord
    outcomes: tuple[RuleOutcome, ...]


@dataclass(frozen=True)
class FolderReport:
    """Every file evaluated by one run, and those skipped as already evaluated."""

    windows: tuple[WindowReport, ...]
    skipped: tuple[ScoredFile, ...]


class RetrainingOutbox:
    """Local retraining port: each request becomes a JSON file a pipeline picks up.

    The file ``retraining-request-<episode>.json`` in ``folder`` names the model,
    version, evaluation and reasons; its name is the run id recorded in the ledger.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def __call__(self, request: RetrainingRequest) -> str:
        """Write the request file and return its name."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"retraining-request-{request.episode_id}.json"
        write_json(
            path,
            {
                "model_id": request.model_id,
                "version": request.version,
                "evaluation_id": request.evaluation_id,
                "episode_id": request.episode_id,
                "reasons": list(request.reasons),
                "requested_at": request.requested_at.isoformat(),
            },
        )
        return path.name


def scored_files(folder: Path) -> list[ScoredFile]:
    """The folder's ``scored-YYYY-MM-DD`` files, oldest day first."""
    if not folder.is_dir():
        raise NotFoundError(f"--scored-dir: {folder} is not a folder; give the scored files' one.")
    found = []
    for path in folder.iterdir():
        match = SCORED_NAME.match(path.name)
        if match and path.is_file():
            try:
                day = date.fromisoformat(match.group(1))
            except ValueError as exc:
                raise ValidationError(
                    f"--scored-dir: {path.name} does not name a calendar day; rename it "
                    "scored-YYYY-MM-DD with a real date."
                ) from exc
            found.append(ScoredFile(path, day))
    days = [f.day for f in found]
    if len(set(days)) != len(days):
        raise ValidationError(
            f"--scored-dir: {folder} holds two files for one day; keep one file per day."
        )
    return sorted(found, key=lambda f: f.day)


def monitored_columns(
    evidence: Evidence, available: Sequence[str], *, field: str = "--reference"
) -> list[str]:
    """The version's input features the reference holds, in evidence order.

    ``field`` names the reference as the caller's user knows it (option or form field).
    """
    present = set(available)
    columns = [f.name for f in evidence.input_features if f.name in present]
    if not columns:
        raise ValidationError(
            f"{field}: none of the input features of {evidence.model_id} "
            f"{evidence.version} ({', '.join(f.name for f in evidence.input_features)}) is in "
            "the reference; give the training data or its stored summary."
        )
    return columns


def load_reference_file(path: Path, evidence: Evidence) -> dict[str, ReferenceSummary]:
    """Reference summaries of the version's input features.

    ``path`` is a stored summary (JSON) or the training data (CSV or Parquet).
    """
    if path.suffix.lower() == ".json":
        try:
            stored = references_from_dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError) as exc:
            raise ValidationError(f"--reference: {path} cannot be read as JSON ({exc}).") from exc
        columns = monitored_columns(evidence, list(stored))
        return {c: stored[c] for c in columns}
    columns = monitored_columns(evidence, table_columns(path, option="--reference"))
    frame = read_table(path, columns=columns, option="--reference")
    return summarise_reference(frame, columns=columns, grid_size=DEFAULT_GRID_SIZE)


def save_reference_file(path: Path, references: Mapping[str, ReferenceSummary]) -> None:
    """Write reference summaries as JSON, to reuse instead of the training data."""
    write_json(path, references_to_dict(references))


def monitor_folder(
    service: MonitoringService, folder: Path, settings: MonitorSettings, *, actor: str
) -> FolderReport:
    """Evaluate each new scored file and run the rules on it, day by day."""
    done = records.evaluated_windows(service.ledger, settings.model_id)
    windows: list[WindowReport] = []
    skipped: list[ScoredFile] = []
    for scored in scored_files(folder):
        if scored.window.bounds in done:
            skipped.append(scored)
            continue
        windows.append(_monitor_file(service, scored, settings, actor))
    return FolderReport(tuple(windows), tuple(skipped))


def _monitor_file(
    service: MonitoringService, scored: ScoredFile, settings: MonitorSettings, actor: str
) -> WindowReport:
    chunks = iter_table(scored.path, chunk_rows=settings.chunk_rows, option=scored.path.name)
    evaluation = evaluate_window(
        chunks, columns=settings.columns, references=settings.references, policy=service.policy
    )
    traffic = _traffic(scored, settings)
    record = service.record_evaluation(
        settings.model_id,
        settings.version,
        scored.window,
        evaluation,
        source=scored.path.name,
        actor=actor,
        service=traffic,
    )
    outcomes = service.run_rules(settings.model_id, actor=actor, evaluation_id=record.evaluation_id)
    if traffic is not None and settings.service_id:
        sla = service.check_sla(
            settings.model_id,
            settings.version,
            settings.service_id,
            traffic,
            window=scored.window,
            actor=actor,
        )
        outcomes = (*outcomes, sla)
    return WindowReport(scored, record, outcomes)


def _traffic(scored: ScoredFile, settings: MonitorSettings) -> ServiceMetrics | None:
    log_path = scored.query_log
    if settings.service_id is None or log_path is None:
        return None
    return service_metrics_from_chunks(
        iter_table(log_path, chunk_rows=settings.chunk_rows, option=log_path.name),
        latency_column=settings.latency_column,
        error_column=settings.error_column,
    )


# Reports


def describe_folder_report(report: FolderReport, status: StatusSnapshot | None) -> str:
    """Text for the terminal: one line per day, its episode changes, then the status."""
    lines = [describe_window(w) for w in report.windows]
    if report.skipped:
        lines.append(f"{len(report.skipped)} file(s) already evaluated, skipped")
    if not report.windows and not report.skipped:
        lines.append("no scored-YYYY-MM-DD file in the folder")
    if status is not None:
        flags = ", ".join(f["rule"] for f in status.open_flags) or "none"
        lines.append(
            f"Status of {status.model_id} {status.version or ''}: {status.health} "
            f"(governance {status.governance_state or 'n/a'}; open flags: {flags})"
        )
    return "\n".join(lines)


def describe_window(window: WindowReport) -> str:
    """One line: the day, version, metrics and what the rules opened or closed."""
    record = window.evaluation
    metrics = record.metrics
    parts = [
        f"{window.file.day.isoformat()}  {record.version}",
        f"rows {metrics.get('rows')}",
        f"AUC {_fmt(record.auc)}",
        f"max KS {_fmt(record.max_ks)}",
        f"max PSI {_fmt(metrics.get('max_psi'))}",
    ]
    ratios = [v for v in (metrics.get("disparate_impact_ratio") or {}).values() if v is not None]
    if ratios:
        parts.append(f"DI {min(ratios):.3f}")
    if metrics.get("latency_p95_ms") is not None:
        parts.append(f"p95 {metrics['latency_p95_ms']:g} ms")
    changes = [_change_text(o) for o in window.outcomes if o.change is not EpisodeChange.NONE]
    changes = [c for c in changes if c]
    breached = [o for o in window.outcomes if o.decision.status is RuleStatus.BREACHED]
    verdict = "; ".join(changes) if changes else ("ok" if not breached else "still breached")
    return "  ".join(parts) + f"  | {verdict}"


def _change_text(outcome: RuleOutcome) -> str:
    rule = outcome.decision.rule.value
    if outcome.change is EpisodeChange.OPENED:
        extras = [f"{d.channel} {d.status}" for d in outcome.deliveries]
        if outcome.retraining is not None:
            extras.append(f"retraining {outcome.retraining.status}")
        suffix = f" ({', '.join(extras)})" if extras else ""
        return f"{rule} opened: {outcome.decision.reasons[0]}{suffix}"
    if outcome.change is EpisodeChange.CLOSED:
        return f"{rule} closed"
    return ""


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{float(value):.3f}"


def folder_report_to_dict(report: FolderReport, status: StatusSnapshot | None) -> dict[str, Any]:
    """Machine-readable form of a run (``--json``)."""
    return {
        "evaluated": [
            {
                "day": w.file.day.isoformat(),
                "file": w.file.path.name,
                "evaluation_id": w.evaluation.evaluation_id,
                "version": w.evaluation.version,
                "auc": w.evaluation.auc,
                "max_ks": w.evaluation.max_ks,
                "max_psi": w.evaluation.metrics.get("max_psi"),
                "decisions": [rule_outcome_to_dict(o) for o in w.outcomes],
            }
            for w in report.windows
        ],
        "skipped": [f.path.name for f in report.skipped],
        "status": None if status is None else status_to_dict(status),
    }


# The command


@dataclass(frozen=True)
class MonitorRequest:
    """``model-governance monitor`` options, parsed."""

    scored_dir: Path
    model_id: str
    actor: str
    version: Optional[str] = None
    reference: Optional[Path] = None
    save_reference: Optional[Path] = None
    label: str = "label"
    score: str = "score"
    threshold: float = 0.5
    service_id: Optional[str] = None
    latency_column: str = "latency_ms"
    error_column: str = "is_error"
    notifications: Optional[Path] = None


def run_monitor(
    home: LocalHome, request: MonitorRequest, *, environ: Mapping[str, str]
) -> tuple[FolderReport, StatusSnapshot]:
    """Monitor a scored folder with the home's ledger and policy, then publish status.

    Notifications go where ``--notifications`` (a JSON settings file) or the
    ``MODEL_GOVERNANCE_SLACK_WEBHOOK_URL`` / ``..._PAGERDUTY_ROUTING_KEY`` variables
    say; retraining requests are written to ``<home>/retraining``.
    """
    ledger = home.open_ledger()
    records.ensure_monitoring_tables(ledger)
    governance = GovernanceService(ledger, home.load_policy())
    config = (
        parse_notification_config(read_json(request.notifications, "notifications"))
        if request.notifications
        else notification_config_from_env(environ)
    )
    notifier = WebhookNotifier(config) if config.channels else None
    service = MonitoringService(governance, notifier, RetrainingOutbox(home.root / "retraining"))
    version = request.version or service.approved_version(request.model_id)
    if version is None:
        raise NotFoundError(
            f"--model: {request.model_id} has no approved version; name one with --version."
        )
    evidence = governance.ledger.get_version(request.model_id, version).evidence
    references = _references(service, evidence, request)
    settings = MonitorSettings(
        model_id=request.model_id,
        version=version,
        columns=ScoredColumns(
            label=request.label,
            score=request.score,
            protected=tuple(f.attribute for f in evidence.fairness),
            favourable_when_score_below=request.threshold,
        ),
        references=references,
        service_id=request.service_id,
        latency_column=request.latency_column,
        error_column=request.error_column,
    )
    report = monitor_folder(service, request.scored_dir, settings, actor=request.actor)
    return report, service.publish_status(request.model_id, actor=request.actor)


def _references(
    service: MonitoringService, evidence: Evidence, request: MonitorRequest
) -> Mapping[str, ReferenceSummary]:
    if request.reference is None:
        stored = service.load_reference(evidence.model_id, evidence.version)
        if stored is None:
            raise ValidationError(
                f"--reference: no reference is stored for {evidence.model_id} "
                f"{evidence.version}; give the training data (CSV/Parquet) or its summary."
            )
        references: Mapping[str, ReferenceSummary] = stored
    else:
        references = load_reference_file(request.reference, evidence)
        service.save_reference(
            evidence.model_id,
            evidence.version,
            references,
            source=request.reference.name,
            actor=request.actor,
        )
    if request.save_reference is not None:
        save_reference_file(request.save_reference, references)
    return references
