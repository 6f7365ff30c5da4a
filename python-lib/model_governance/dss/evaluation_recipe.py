"""The evaluation recipe: one window of scored production data, evaluated and stored.

The recipe reads a scored dataset with its ground truth in chunks (only the columns it
needs, so memory stays flat whatever the row count), measures AUC, drift against the
version's reference (KS and PSI per feature) and disparate impact per protected
attribute, and stores the evaluation in the ledger with an ``evaluation.recorded``
audit event. It then writes the model's evaluations to the metrics dataset and, when
the recipe has a Model Evaluation Store, adds this one to it as a custom evaluation. The
alert rules are not run here: the monitoring scenario steps run them on the stored
evaluation.

The window is either given (a last day and a length in days; with a time column, rows
outside it are left out) or spans the UTC days of the time column's values. A version
has one evaluation per window: evaluating the same window again fails, or, when the
recipe is told to keep it, writes the recorded evaluation to the outputs again without
recording anything.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Optional

import dataiku
import pandas as pd
from dataiku import customrecipe
from dataikuapi.dss.modelevaluationstore import DSSModelEvaluationStore

from model_governance.core.errors import ConfigError, ConflictError, ValidationError
from model_governance.core.evidence import Evidence
from model_governance.core.metrics import DEFAULT_GRID_SIZE
from model_governance.dss.gateway import DssDeployer, dss_errors, model_id_for
from model_governance.dss.params import EvaluationRecipeParams, parse_evaluation_recipe_params
from model_governance.dss.runtime import MacroContext, macro_context, monitoring_service
from model_governance.evaluation import (
    Evaluation,
    ReferenceSummary,
    ScoredColumns,
    summarise_reference_chunks,
)
from model_governance.ledger import monitoring as records
from model_governance.ledger.monitoring import EvaluationRecord
from model_governance.monitoring import MonitoringService, Window, evaluate_window
from model_governance.scored_folder import monitored_columns

log = logging.getLogger(__name__)

SCORED_ROLE = "scored"
MODEL_ROLE = "model"
REFERENCE_ROLE = "reference"
METRICS_ROLE = "metrics"
STORE_ROLE = "evaluation_store"
LABEL_PREFIX = "governance:"
IO_SCREEN = "the recipe's Input/Output tab"
SETTINGS_SCREEN = "the recipe's settings"

__all__ = [
    "DssEvaluationStore",
    "EvaluationOutcome",
    "RecipeRoles",
    "StoreEntry",
    "evaluate_scored_dataset",
    "evaluation_row",
    "evaluation_store_entry",
    "recipe_roles",
    "run_evaluation_recipe",
    "write_outputs",
]


@dataclass(frozen=True)
class RecipeRoles:
    """The recipe's inputs and outputs, by full name (``PROJECT.name``)."""

    scored: str
    model: str
    metrics: str
    reference: Optional[str] = None
    evaluation_store: Optional[str] = None


@dataclass(frozen=True)
class EvaluationOutcome:
    """The evaluation the run recorded (or kept), and the rows it left out."""

    record: EvaluationRecord
    full_model_id: str
    is_new: bool
    rows_outside_window: Optional[int] = None


@dataclass(frozen=True)
class StoreEntry:
    """A custom evaluation for a Model Evaluation Store: defined metrics and labels.

    ``metrics`` holds (code, value, name, description); an undefined metric is left
    out and named in the ``governance:undefined_metrics`` label instead.
    """

    evaluation_id: str
    name: str
    metrics: tuple[tuple[str, float, str, str], ...]
    labels: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class _Target:
    model_id: str
    version: str
    evidence: Evidence

    @property
    def full_model_id(self) -> str:
        project_key, _, saved_model_id = self.model_id.partition(".")
        return f"S-{project_key}-{saved_model_id}-{self.version}"


# Entry point


def run_evaluation_recipe() -> EvaluationOutcome:
    """Run the recipe as DSS starts it (roles and settings from ``customrecipe``)."""
    roles = recipe_roles()
    params = parse_evaluation_recipe_params(customrecipe.get_recipe_config())
    project_key = dataiku.default_project_key()
    plugin_config = customrecipe.get_plugin_config()
    with macro_context(project_key, plugin_config, component="evaluation recipe") as ctx:
        outcome = evaluate_scored_dataset(ctx, roles, params)
        write_outputs(ctx, roles, outcome)
    return outcome


def recipe_roles() -> RecipeRoles:
    """The recipe's inputs and outputs as DSS passes them."""
    return RecipeRoles(
        scored=_one(customrecipe.get_input_names_for_role(SCORED_ROLE), "Scored dataset"),
        model=_one(customrecipe.get_input_names_for_role(MODEL_ROLE), "Saved model"),
        metrics=_one(customrecipe.get_output_names_for_role(METRICS_ROLE), "Metrics dataset"),
        reference=_optional(customrecipe.get_input_names_for_role(REFERENCE_ROLE)),
        evaluation_store=_optional(customrecipe.get_output_names_for_role(STORE_ROLE)),
    )


def _one(names: Sequence[str], label: str) -> str:
    if not names:
        raise ConfigError(f"{label}: none is set; add it in {IO_SCREEN}.")
    return str(names[0])


def _optional(names: Sequence[str]) -> Optional[str]:
    return str(names[0]) if names else None


# The evaluation


def evaluate_scored_dataset(
    ctx: MacroContext, roles: RecipeRoles, params: EvaluationRecipeParams
) -> EvaluationOutcome:
    """Evaluate the scored dataset's window and record it (or keep the recorded one)."""
    target = _target(ctx, roles.model, params.version_id)
    service = monitoring_service(ctx)
    window = _given_window(params)
    existing = _existing(service, target, window) if window is not None else None
    if existing is not None:
        return _kept(existing, target, params)
    references = _references(service, target, roles.reference, params, ctx.actor)
    evaluation, scan = _evaluate(service, target, roles.scored, params, references)
    window = scan.window_seen()
    evaluation = _checked(evaluation, scan)
    record, is_new = _record(
        service, target, window, evaluation, source=f"dataset {roles.scored}", actor=ctx.actor
    )
    if not is_new:
        return _kept(record, target, params)
    return EvaluationOutcome(record, target.full_model_id, True, scan.outside)


def _evaluate(
    service: MonitoringService,
    target: _Target,
    dataset: str,
    params: EvaluationRecipeParams,
    references: Mapping[str, ReferenceSummary],
) -> tuple[Evaluation, _WindowScan]:
    columns = _scored_columns(params, target.evidence)
    names = _required_columns(dataset, params, columns, references)
    scan = _WindowScan(params.time_column, _given_window(params), dataset)
    log.info("evaluating %s %s on dataset %s", target.model_id, target.version, dataset)
    chunks = scan.rows(_chunks(dataset, names, params.chunk_rows))
    evaluation = evaluate_window(
        chunks, columns=columns, references=references, policy=service.policy
    )
    return evaluation, scan


def _target(ctx: MacroContext, model_name: str, version_id: Optional[str]) -> _Target:
    project_key, _, saved_model_id = model_name.rpartition(".")
    model_id = model_id_for(project_key or ctx.project_key, saved_model_id)
    version = version_id or DssDeployer(ctx.client).active_version(model_id)
    if not version:
        raise ConfigError(
            f"Model version: {model_id} has no active version; enter the version to "
            f"evaluate in {SETTINGS_SCREEN}."
        )
    registered = ctx.ledger.find_version(model_id, version)
    if registered is None:
        raise ValidationError(
            f"Model version: {version} of {model_id} is not registered in the governance "
            "ledger; submit it with the macro 'Submit model version for review', or enter "
            f"a registered version in {SETTINGS_SCREEN}."
        )
    return _Target(model_id, version, registered.evidence)


def _given_window(params: EvaluationRecipeParams) -> Optional[Window]:
    if params.window_last_day is None:
        return None
    end = Window.day(params.window_last_day).end
    return Window(end - timedelta(days=params.window_days), end)


def _existing(
    service: MonitoringService, target: _Target, window: Window
) -> Optional[EvaluationRecord]:
    found = records.find_evaluation(service.ledger, target.model_id, window.bounds)
    return found if found is not None and found.version == target.version else None


def _kept(
    existing: EvaluationRecord, target: _Target, params: EvaluationRecipeParams
) -> EvaluationOutcome:
    if not params.keep_evaluated:
        raise _repeat_error(target, existing)
    log.warning(
        "%s %s already has evaluation %d for this window; kept it, nothing recorded",
        target.model_id,
        target.version,
        existing.evaluation_id,
    )
    return EvaluationOutcome(existing, target.full_model_id, is_new=False)


def _repeat_error(target: _Target, existing: EvaluationRecord) -> ConflictError:
    return ConflictError(
        f"If the window was already evaluated: {target.model_id} {target.version} already "
        f"has evaluation {existing.evaluation_id} for the window "
        f"{existing.window_start.isoformat()} to {existing.window_end.isoformat()}; choose "
        "'Keep the recorded evaluation' to rerun without recording, or evaluate another "
        f"window, in {SETTINGS_SCREEN}."
    )


def _references(
    service: MonitoringService,
    target: _Target,
    reference: Optional[str],
    params: EvaluationRecipeParams,
    actor: str,
) -> Mapping[str, ReferenceSummary]:
    if reference is None:
        stored = service.load_reference(target.model_id, target.version)
        if stored is None:
            raise ValidationError(
                f"Reference dataset: none is set and no reference is stored for "
                f"{target.model_id} {target.version}; add the model's training dataset as "
                f"the reference input in {IO_SCREEN} (its summary is then stored for the "
                "version and later runs may leave the input out)."
            )
        return stored
    columns = monitored_columns(target.evidence, _schema(reference), field="Reference dataset")
    chunks = _chunks(reference, columns, params.chunk_rows)
    references = summarise_reference_chunks(chunks, columns=columns, grid_size=DEFAULT_GRID_SIZE)
    try:
        service.save_reference(
            target.model_id, target.version, references, source=f"dataset {reference}", actor=actor
        )
    except ConflictError as exc:
        raise ConflictError(
            f"Reference dataset: {exc} Remove the reference input in {IO_SCREEN} to use "
            "the stored reference."
        ) from exc
    return references


def _scored_columns(params: EvaluationRecipeParams, evidence: Evidence) -> ScoredColumns:
    protected = params.protected_attributes or tuple(f.attribute for f in evidence.fairness)
    return ScoredColumns(
        label=params.label_column,
        score=params.score_column,
        positive_label=params.positive_label,
        protected=protected,
        favourable_when_score_below=params.threshold,
        prediction=params.prediction_column,
        favourable_value=params.favourable_value,
    )


def _required_columns(
    dataset: str,
    params: EvaluationRecipeParams,
    columns: ScoredColumns,
    references: Mapping[str, ReferenceSummary],
) -> list[str]:
    present = set(_schema(dataset))
    fields = [
        ("Label column", columns.label),
        ("Score column", columns.score),
        ("Prediction column", columns.prediction),
        ("Time column", params.time_column),
        *(("Protected attributes", a) for a in columns.protected),
    ]
    for label, column in fields:
        if column and column not in present:
            raise ValidationError(
                f"{label}: {column!r} is not a column of the scored dataset {dataset}; pick "
                f"one of its columns in {SETTINGS_SCREEN}."
            )
    missing = [name for name in references if name not in present]
    if missing:
        raise ValidationError(
            f"Scored dataset {dataset}: lacks the monitored feature(s) {', '.join(missing)} "
            "that the version's reference summarises; keep the model's input features in "
            "the scored dataset (the scoring recipe's output)."
        )
    wanted = (*columns.names, params.time_column, *references)
    return list(dict.fromkeys(c for c in wanted if c))


def _schema(dataset: str) -> list[str]:
    return [str(c["name"]) for c in dataiku.Dataset(dataset).read_schema()]


def _chunks(dataset: str, columns: Sequence[str], chunk_rows: int) -> Iterator[pd.DataFrame]:
    handle = dataiku.Dataset(dataset)
    yield from handle.iter_dataframes(chunksize=chunk_rows, columns=list(columns))


class _WindowScan:
    """Keeps a window's rows, counts those left out, and notes the days seen."""

    def __init__(self, time_column: Optional[str], window: Optional[Window], dataset: str):
        self.time_column = time_column
        self.window = window
        self.dataset = dataset
        self.read = 0
        self.kept = 0
        self.outside = 0
        self.first: Optional[pd.Timestamp] = None
        self.last: Optional[pd.Timestamp] = None

    def rows(self, chunks: Iterable[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for chunk in chunks:
            self.read += len(chunk)
            kept = self._keep(chunk)
            self.kept += len(kept)
            self.outside += len(chunk) - len(kept)
            yield kept
        if not self.kept:
            # Checked here, before the empty window reaches the metrics.
            raise self._empty_error()

    def _keep(self, chunk: pd.DataFrame) -> pd.DataFrame:
        if self.time_column is None:
            return chunk
        # ISO 8601 in any of its forms (DSS writes dates so); anything else is unread.
        moments = pd.to_datetime(
            chunk[self.time_column], utc=True, errors="coerce", format="ISO8601"
        )
        if self.window is None:
            inside = moments.notna()
            if inside.any():
                low, high = moments.min(), moments.max()
                self.first = low if self.first is None else min(self.first, low)
                self.last = high if self.last is None else max(self.last, high)
        else:
            start, end = pd.Timestamp(self.window.start), pd.Timestamp(self.window.end)
            inside = (moments >= start) & (moments < end)
        return chunk[inside.to_numpy()]

    def window_seen(self) -> Window:
        if self.window is not None:
            return self.window
        if self.first is None or self.last is None:
            raise self._empty_error()
        start = Window.day(self.first.date()).start
        return Window(start, Window.day(self.last.date()).end)

    def _empty_error(self) -> ValidationError:
        if self.window is None:
            return ValidationError(
                f"Time column: no row of the scored dataset {self.dataset} has a readable "
                f"ISO 8601 time in {self.time_column}, so the window cannot be set from the "
                f"data; fix the column or set Window to 'Given days' in {SETTINGS_SCREEN}."
            )
        return ValidationError(
            f"Scored dataset {self.dataset}: no row falls in the window "
            f"{self.window.start.isoformat()} to {self.window.end.isoformat()} ({self.read} "
            f"rows read); check Window's last day and Window length, or the time column, in "
            f"{SETTINGS_SCREEN}."
        )


def _checked(evaluation: Evaluation, scan: _WindowScan) -> Evaluation:
    log.info("%d rows read, %d in the window", scan.read, scan.kept)
    if not scan.outside:
        return evaluation
    note = f"{scan.outside} rows outside the window or without a readable time were left out"
    return dataclasses.replace(evaluation, notes=(*evaluation.notes, note))


def _record(
    service: MonitoringService,
    target: _Target,
    window: Window,
    evaluation: Evaluation,
    *,
    source: str,
    actor: str,
) -> tuple[EvaluationRecord, bool]:
    try:
        record = service.record_evaluation(
            target.model_id,
            target.version,
            window,
            evaluation,
            source=source,
            actor=actor,
        )
    except ConflictError:
        # Another run recorded this window while this one was reading.
        existing = _existing(service, target, window)
        if existing is None:
            raise
        return existing, False
    return record, True


# Outputs


def write_outputs(ctx: MacroContext, roles: RecipeRoles, outcome: EvaluationOutcome) -> None:
    """Write the model's evaluation history as the metrics dataset, and the MES entry.

    The dataset gets one row per evaluation the ledger holds for the model, so it is
    complete whether DSS overwrites or appends it (appending repeats earlier rows).
    """
    current = outcome.record
    rows = [
        evaluation_row(
            record,
            rows_outside_window=outcome.rows_outside_window
            if record.evaluation_id == current.evaluation_id
            else None,
        )
        for record in records.evaluation_history(ctx.ledger, current.model_id)
    ]
    dataiku.Dataset(roles.metrics).write_with_schema(pd.DataFrame(rows))
    if roles.evaluation_store is not None:
        store = DssEvaluationStore(ctx.client, roles.evaluation_store)
        store.add(evaluation_store_entry(outcome.record), full_model_id=outcome.full_model_id)


def evaluation_row(
    record: EvaluationRecord, *, rows_outside_window: Optional[int] = None
) -> dict[str, Any]:
    """One evaluation as a metrics-dataset row; an undefined metric is left empty.

    Per-feature columns are ``ks_<feature>`` (numeric features) and ``psi_<feature>``;
    per-attribute columns are ``disparate_impact_<attribute>``.
    """
    metrics = record.metrics
    ratios = _ratios(metrics)
    row: dict[str, Any] = {
        "evaluation_id": record.evaluation_id,
        "model_id": record.model_id,
        "version": record.version,
        "window_start": pd.Timestamp(record.window_start),
        "window_end": pd.Timestamp(record.window_end),
        "rows": metrics.get("rows"),
        "rows_outside_window": rows_outside_window,
        "auc": record.auc,
        "auc_error_bound": metrics.get("auc_error_bound"),
        "max_ks": record.max_ks,
        "max_psi": metrics.get("max_psi"),
        "drifted_features": ", ".join(metrics.get("drifted_features") or ()),
        "disparate_impact": min(ratios.values()) if ratios else None,
    }
    for feature in metrics.get("features") or ():
        if feature.get("kind") == "numeric":
            row[f"ks_{feature['feature']}"] = feature.get("statistic")
        row[f"psi_{feature['feature']}"] = feature.get("psi")
    row.update({f"disparate_impact_{a}": ratio for a, ratio in ratios.items()})
    row.update(
        notes=" | ".join(metrics.get("notes") or ()),
        source=record.source,
        recorded_at=pd.Timestamp(record.recorded_at),
    )
    return row


def evaluation_store_entry(record: EvaluationRecord) -> StoreEntry:
    """The custom evaluation sent to a Model Evaluation Store for ``record``.

    Metric codes: ``auc``, ``drift_ks`` (largest KS), ``psi`` (largest PSI),
    ``disparate_impact`` (lowest over the protected attributes),
    ``disparate_impact_<attribute>`` and ``rows``. Labels name the version, the window
    and the ledger's evaluation; undefined metrics are left out and listed in a label,
    never sent as NaN.
    """
    metrics = record.metrics
    ratios = _ratios(metrics)
    candidates = [
        ("auc", record.auc, "AUC", "ROC AUC of the positive class over the window"),
        ("drift_ks", record.max_ks, "Max KS drift", "Largest KS statistic over numeric features"),
        ("psi", metrics.get("max_psi"), "Max PSI", "Largest PSI over monitored features"),
        (
            "disparate_impact",
            min(ratios.values()) if ratios else None,
            "Disparate impact",
            "Lowest favourable-outcome rate ratio over the protected attributes",
        ),
        *(
            (f"disparate_impact_{a}", r, f"Disparate impact ({a})", f"Four-fifths ratio for {a}")
            for a, r in ratios.items()
        ),
        ("rows", metrics.get("rows"), "Rows evaluated", "Scored rows inside the window"),
    ]
    defined = tuple(
        (c, float(v), n, d) for c, v, n, d in candidates if _is_finite(v) and v is not None
    )
    undefined = [c for c, v, _, _ in candidates if not _is_finite(v)]
    return StoreEntry(
        evaluation_id=f"governance-{record.evaluation_id}",
        name=f"{record.version} {_moment(record.window_start)} to {_moment(record.window_end)}",
        metrics=defined,
        labels=_labels(record, undefined),
    )


def _labels(record: EvaluationRecord, undefined: Sequence[str]) -> tuple[tuple[str, str], ...]:
    labels = [
        ("version", record.version),
        ("window", f"{_moment(record.window_start)}/{_moment(record.window_end)}"),
        ("window_start", _moment(record.window_start)),
        ("window_end", _moment(record.window_end)),
        ("ledger_evaluation", str(record.evaluation_id)),
    ]
    if undefined:
        labels.append(("undefined_metrics", ", ".join(undefined)))
    notes = record.metrics.get("notes") or ()
    if notes:
        labels.append(("notes", " | ".join(str(n) for n in notes)))
    return tuple((LABEL_PREFIX + key, value) for key, value in labels)


def _ratios(metrics: Mapping[str, Any]) -> dict[str, float]:
    ratios = metrics.get("disparate_impact_ratio") or {}
    return {str(a): float(r) for a, r in sorted(ratios.items()) if _is_finite(r)}


def _is_finite(value: Any) -> bool:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return is_number and math.isfinite(value)


def _moment(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class DssEvaluationStore:
    """A Model Evaluation Store receiving the recipe's custom evaluations."""

    def __init__(self, client: Any, full_name: str):
        self.client = client
        self.project_key, _, self.store_id = full_name.rpartition(".")

    def add(self, entry: StoreEntry, *, full_model_id: str) -> bool:
        """Add ``entry`` unless the store already holds it; True when added."""
        project = self.client.get_project(self.project_key)
        store = project.get_model_evaluation_store(self.store_id)
        with dss_errors(f"listing the evaluations of model evaluation store {self.store_id}"):
            known = {e.evaluation_id for e in store.list_model_evaluations()}
        if entry.evaluation_id in known:
            log.info("model evaluation store already holds %s", entry.evaluation_id)
            return False
        with dss_errors(f"adding an evaluation to model evaluation store {self.store_id}"):
            store.add_custom_model_evaluation(
                metrics=[DSSModelEvaluationStore.MetricDefinition(*m) for m in entry.metrics],
                evaluation_id=entry.evaluation_id,
                name=entry.name,
                labels=[DSSModelEvaluationStore.LabelDefinition(k, v) for k, v in entry.labels],
                model=full_model_id,
            )
        log.info("evaluation %s added to model evaluation store", entry.evaluation_id)
        return True
