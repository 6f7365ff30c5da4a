"""Ledger tables (SQLAlchemy Core); timestamps are UTC ISO 8601 strings everywhere."""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    Boolean,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("applied_at", String(40), nullable=False),
)

models = Table(
    "models",
    metadata,
    Column("model_id", String(200), primary_key=True),
    Column("project_key", String(200), nullable=False),
    Column("name", String(400), nullable=False),
    Column("created_at", String(40), nullable=False),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("model_id", String(200), ForeignKey("models.model_id"), primary_key=True),
    Column("version", String(200), primary_key=True),
    Column("semver", String(40), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("evidence_json", Text, nullable=False),
    Column("registered_by", String(200), nullable=False),
    Column("registered_at", String(40), nullable=False),
)

qualifications = Table(
    "qualifications",
    metadata,
    Column("qualification_id", String(40), primary_key=True),
    Column("model_id", String(200), nullable=False),
    Column("version", String(200), nullable=False),
    Column("project_key", String(200), nullable=False),
    Column("submitter", String(200), nullable=False),
    Column("state", String(20), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("policy_version", String(100), nullable=False),
    Column("policy_hash", String(64), nullable=False),
    Column("is_fast_track", Boolean, nullable=False, default=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    ForeignKeyConstraint(
        ["model_id", "version"], ["model_versions.model_id", "model_versions.version"]
    ),
    Index("ix_qualifications_version", "model_id", "version"),
    Index("ix_qualifications_state", "state"),
    # The review queue lists newest first, by state, project or model.
    Index("ix_qualifications_created", "created_at"),
    Index("ix_qualifications_state_created", "state", "created_at"),
    Index("ix_qualifications_project_created", "project_key", "created_at"),
    Index("ix_qualifications_model_created", "model_id", "created_at"),
)

check_results = Table(
    "check_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "qualification_id",
        String(40),
        ForeignKey("qualifications.qualification_id"),
        nullable=False,
    ),
    Column("run_no", Integer, nullable=False),
    Column("check_id", String(100), nullable=False),
    Column("title", String(400), nullable=False),
    Column("status", String(20), nullable=False),
    Column("is_blocking", Boolean, nullable=False),
    Column("explanation", Text, nullable=False),
    Column("measured_json", Text, nullable=False),
    Column("threshold_json", Text, nullable=False),
    Column("evidence_refs_json", Text, nullable=False),
    Column("details_json", Text, nullable=False),
    Column("policy_hash", String(64), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    UniqueConstraint("qualification_id", "run_no", "check_id"),
)

signoffs = Table(
    "signoffs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "qualification_id",
        String(40),
        ForeignKey("qualifications.qualification_id"),
        nullable=False,
    ),
    Column("role", String(100), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("decision", String(20), nullable=False),
    Column("comment", Text, nullable=False),
    Column("signed_at", String(40), nullable=False),
    # Separation of duties enforced by the store as well as by the workflow.
    UniqueConstraint("qualification_id", "role"),
    UniqueConstraint("qualification_id", "actor"),
)

waivers = Table(
    "waivers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "qualification_id",
        String(40),
        ForeignKey("qualifications.qualification_id"),
        nullable=False,
    ),
    Column("check_id", String(100), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("role", String(100), nullable=False),
    Column("reason", Text, nullable=False),
    Column("waived_at", String(40), nullable=False),
    UniqueConstraint("qualification_id", "check_id"),
)

documents = Table(
    "documents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", String(200), nullable=False),
    Column("version", String(200), nullable=False),
    Column("kind", String(60), nullable=False),
    Column("media_type", String(60), nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("content", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Index("ix_documents_version", "model_id", "version", "kind"),
)

bundles = Table(
    "bundles",
    metadata,
    Column("bundle_id", String(300), primary_key=True),
    Column("project_key", String(200), primary_key=True),
    Column(
        "qualification_id",
        String(40),
        ForeignKey("qualifications.qualification_id"),
        nullable=False,
    ),
    Column("model_id", String(200), nullable=False),
    Column("version", String(200), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("state", String(20), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("updated_at", String(40), nullable=False),
    # SHA-256 of the archive DSS exported, and the release notes it carries.
    Column("archive_sha256", String(64)),
    Column("release_notes", Text, nullable=False, default=""),
    # Set once the bundle is published to the Project Deployer.
    Column("published_project_key", String(200)),
    Column("published_by", String(200)),
    Column("published_at", String(40)),
    Index("ix_bundles_model", "model_id"),
    Index("ix_bundles_state", "project_key", "state"),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("deployment_id", String(300), nullable=False),
    Column("project_key", String(200), nullable=False),
    Column("bundle_id", String(300), nullable=False),
    Column("infrastructure", String(200), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("outcome", String(20), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail_json", Text, nullable=False),
    Column("started_at", String(40), nullable=False),
    Column("finished_at", String(40)),
    Index("ix_deployments_deployment", "deployment_id"),
    Index("ix_deployments_bundle", "project_key", "bundle_id"),
)

evaluations = Table(
    "evaluations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", String(200), nullable=False),
    Column("version", String(200), nullable=False),
    Column("window_start", String(40), nullable=False),
    Column("window_end", String(40), nullable=False),
    Column("auc", String(40)),
    Column("max_ks", String(40)),
    Column("metrics_json", Text, nullable=False),
    Column("source", String(200), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Index("ix_evaluations_version", "model_id", "version", "window_end"),
)

# Monitoring (stage 6): the reference each version is compared with, every rule
# decision, the episodes (flags) those decisions open and close, the alerts and
# retraining runs an episode sets off, and the status published per model.

reference_summaries = Table(
    "reference_summaries",
    metadata,
    Column("model_id", String(200), primary_key=True),
    Column("version", String(200), primary_key=True),
    Column("summary_json", Text, nullable=False),
    Column("content_hash", String(64), nullable=False),
    Column("source", String(400), nullable=False),
    Column("recorded_by", String(200), nullable=False),
    Column("recorded_at", String(40), nullable=False),
)

monitoring_decisions = Table(
    "monitoring_decisions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", String(200), nullable=False),
    Column("version", String(200), nullable=False),
    Column("rule", String(40), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("status", String(20), nullable=False),
    Column("episode_change", String(20), nullable=False),
    Column("measured_json", Text, nullable=False),
    Column("thresholds_json", Text, nullable=False),
    Column("reasons_json", Text, nullable=False),
    Column("evaluation_id", Integer, ForeignKey("evaluations.id")),
    Column("policy_hash", String(64), nullable=False),
    Column("decided_by", String(200), nullable=False),
    Column("decided_at", String(40), nullable=False),
    Index("ix_monitoring_decisions_rule", "model_id", "rule", "decided_at"),
)

monitoring_episodes = Table(
    "monitoring_episodes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", String(200), nullable=False),
    Column("version", String(200), nullable=False),
    Column("rule", String(40), nullable=False),
    Column("subject", String(300), nullable=False),
    Column("state", String(20), nullable=False),
    Column("summary", Text, nullable=False),
    Column("evaluation_id", Integer, ForeignKey("evaluations.id")),
    Column("opening_decision_id", Integer, ForeignKey("monitoring_decisions.id"), nullable=False),
    Column("closing_decision_id", Integer, ForeignKey("monitoring_decisions.id")),
    Column("opened_at", String(40), nullable=False),
    Column("closed_at", String(40)),
    Index("ix_monitoring_episodes_model", "model_id", "state"),
    # One open episode per model, rule and subject, even with concurrent writers.
    Index(
        "ux_monitoring_episodes_open",
        "model_id",
        "rule",
        "subject",
        unique=True,
        sqlite_where=text("state = 'open'"),
        postgresql_where=text("state = 'open'"),
    ),
)

alert_deliveries = Table(
    "alert_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("episode_id", Integer, ForeignKey("monitoring_episodes.id"), nullable=False),
    Column("channel", String(40), nullable=False),
    # Scheme and host only: a webhook URL's path and a routing key are secrets.
    Column("target", String(300), nullable=False),
    Column("dedup_key", String(255), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("summary", Text, nullable=False),
    Column("status", String(20), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("response_code", Integer),
    Column("error", Text, nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("finished_at", String(40)),
    Index("ix_alert_deliveries_episode", "episode_id"),
    Index("ix_alert_deliveries_status", "status"),
)

retraining_runs = Table(
    "retraining_runs",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", String(200), nullable=False),
    Column("version", String(200), nullable=False),
    Column("episode_id", Integer, ForeignKey("monitoring_episodes.id"), nullable=False),
    Column("evaluation_id", Integer, ForeignKey("evaluations.id")),
    Column("status", String(20), nullable=False),
    Column("run_id", String(300), nullable=False),
    Column("detail", Text, nullable=False),
    Column("requested_at", String(40), nullable=False),
    Column("finished_at", String(40)),
    Index("ix_retraining_runs_model", "model_id", "requested_at"),
)

status_snapshots = Table(
    "status_snapshots",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model_id", String(200), nullable=False),
    Column("version", String(200)),
    Column("health", String(20), nullable=False),
    Column("governance_state", String(20)),
    Column("last_evaluation_id", Integer, ForeignKey("evaluations.id")),
    Column("last_window_end", String(40)),
    Column("open_flags_json", Text, nullable=False),
    Column("deployed_bundle", String(300)),
    Column("summary_json", Text, nullable=False),
    Column("published_by", String(200), nullable=False),
    Column("published_at", String(40), nullable=False),
    Index("ix_status_snapshots_model", "model_id", "published_at"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("occurred_at", String(40), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("entity_type", String(60), nullable=False),
    Column("entity_id", String(400), nullable=False),
    Column("payload_json", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index("ix_audit_entity", "entity_type", "entity_id"),
)

chain_head = Table(
    "chain_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
)

# The audit table is append-only for everyone who goes through the database engine; a
# tamper test has to drop these triggers first, as an attacker with file access would.
for _verb in ("UPDATE", "DELETE"):
    event.listen(
        audit_events,
        "after_create",
        DDL(  # type: ignore[no-untyped-call]
            f"CREATE TRIGGER audit_events_no_{_verb.lower()} BEFORE {_verb} ON audit_events "
            "BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END"
        ).execute_if(dialect="sqlite"),
    )
event.listen(
    audit_events,
    "after_create",
    DDL(  # type: ignore[no-untyped-call]
        "CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$ BEGIN "
        "RAISE EXCEPTION 'audit events are append-only'; END $$ LANGUAGE plpgsql; "
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()"
    ).execute_if(dialect="postgresql"),
)
