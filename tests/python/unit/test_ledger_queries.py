"""Read models of the review webapp: queue, audit trail, chain cache, monitoring."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, inspect, text

from model_governance.core.errors import ValidationError
from model_governance.core.evidence import Evidence
from model_governance.core.workflow import Decision, Principal
from model_governance.ledger import Ledger, queries
from model_governance.ledger import schema as t
from model_governance.services import GovernanceService

START = datetime(2024, 5, 1, tzinfo=timezone.utc)


@pytest.fixture
def submitted(service: GovernanceService, evidence_factory: Callable[..., Evidence]) -> Ledger:
    """Five qualifications: a-model v1..v3 (ALPHA), b-model v1..v2 (BETA)."""
    for model_id, project, count in (("a-model", "ALPHA", 3), ("b-model", "BETA", 2)):
        for i in range(1, count + 1):
            evidence = evidence_factory(model_id=model_id, version=f"v{i}", project_key=project)
            service.register(evidence, actor="sue")
            service.record_rollback_drill(
                model_id, f"v{i}", actor="mia", is_passed=True, target="", note="drill"
            )
            service.submit(model_id, f"v{i}", actor="sue")
    return service.ledger


def evaluation_row(day: int, **metrics: object) -> dict[str, object]:
    end = START + timedelta(days=day)
    return {
        "model_id": "a-model",
        "version": "v1",
        "window_start": (end - timedelta(days=1)).isoformat(),
        "window_end": end.isoformat(),
        "auc": None,
        "max_ks": None,
        "metrics_json": json.dumps(metrics),
        "source": "test",
        "recorded_at": end.isoformat(),
    }


# Queue


def test_queue_is_newest_first_and_paged(submitted: Ledger) -> None:
    first = queries.queue_page(submitted, queries.QueueFilter(page_size=2))
    last = queries.queue_page(submitted, queries.QueueFilter(page_size=2, page=3))

    assert [r.qualification.qualification_id for r in first.rows] == ["Q-000005", "Q-000004"]
    assert [r.qualification.qualification_id for r in last.rows] == ["Q-000001"]
    assert (first.total, first.page_count) == (5, 3)


def test_queue_filters_and_counts_states_within_the_project(
    submitted: Ledger, service: GovernanceService
) -> None:
    service.sign(
        "Q-000002", Principal("dan", frozenset({"data_steward"})), "data_steward",
        Decision.REJECT, comment="no",
    )  # fmt: skip

    page = queries.queue_page(submitted, queries.QueueFilter(project_key="ALPHA", state="pending"))

    assert [r.qualification.qualification_id for r in page.rows] == ["Q-000003", "Q-000001"]
    assert page.state_counts == {"pending": 2, "rejected": 1}
    assert page.total == 2


def test_queue_rows_carry_signoffs_and_latest_checks(
    submitted: Ledger, service: GovernanceService
) -> None:
    service.sign(
        "Q-000001", Principal("rita", frozenset({"review_board"})), "review_board",
        Decision.APPROVE, comment="ok",
    )  # fmt: skip
    service.rerun_checks("Q-000001", actor="sue")

    page = queries.queue_page(submitted, queries.QueueFilter(model_id="a-model", page_size=10))
    row = next(r for r in page.rows if r.qualification.qualification_id == "Q-000001")
    with submitted.engine.connect() as conn:
        full = queries.load_qualifications(conn, ["Q-000001"])["Q-000001"]

    stored = submitted.get_qualification("Q-000001")
    assert full == stored
    assert row.qualification.signoffs == stored.signoffs
    assert [(c.check_id, c.status) for c in row.qualification.checks] == [
        (c.check_id, c.status) for c in stored.checks
    ]
    assert all(c.details == {} for c in row.qualification.checks)
    assert row.project_key == "ALPHA"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"state": "lost"}, "state: 'lost' is not a qualification state"),
        ({"page": 0}, "page: 0 is out of range"),
        ({"page_size": 500}, "page_size: 500 is out of range; use 1 to 200"),
    ],
)
def test_queue_filter_refuses_bad_values(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        queries.QueueFilter(**settings)  # type: ignore[arg-type]


def test_filter_choices_list_distinct_projects_and_models(submitted: Ledger) -> None:
    assert queries.filter_choices(submitted) == (("ALPHA", "BETA"), ("a-model", "b-model"))


# Audit trail


def test_audit_trail_is_newest_first_bounded_and_scoped_to_the_model(submitted: Ledger) -> None:
    entities = queries.model_entities(submitted, "b-model")

    first = queries.audit_trail(submitted, entities, limit=4)
    rest = queries.audit_trail(submitted, entities, before=first.next_before, limit=200)

    seqs = [e.seq for e in first.entries + rest.entries]
    assert seqs == sorted(seqs, reverse=True)
    assert len(first.entries) == 4
    assert rest.next_before is None
    # b-model: 2 versions x (registered, drilled) + 2 qualifications x (submitted,
    # checks recorded).
    assert len(seqs) == 8
    assert all(
        "b-model" in e.entity_id or e.entity_id in ("Q-000004", "Q-000005") for e in rest.entries
    )


def test_audit_trail_of_no_entity_is_empty(ledger: Ledger) -> None:
    assert queries.audit_trail(ledger, []) == queries.AuditPage((), None)


# Chain verification cache


def test_chain_verifier_walks_once_then_extends_incrementally(
    submitted: Ledger, service: GovernanceService
) -> None:
    verifier = queries.ChainVerifier()
    first = verifier.verify(submitted)
    again = verifier.verify(submitted)
    service.gate("a-model", "v1", actor="ops")
    extended = verifier.verify(submitted)

    assert first.is_intact
    assert again is first
    assert extended.is_intact
    assert extended.events_checked == first.events_checked + 1
    assert extended.head == submitted.head()
    assert verifier.full_walks == 1
    assert extended.events_checked == submitted.verify().events_checked


def test_chain_verifier_catches_an_edit_of_a_new_event(
    submitted: Ledger, service: GovernanceService
) -> None:
    verifier = queries.ChainVerifier()
    verifier.verify(submitted)
    service.gate("a-model", "v1", actor="ops")
    head = submitted.head()
    with submitted.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(
            text("UPDATE audit_events SET actor = 'mallory' WHERE seq = :seq"), {"seq": head.seq}
        )

    result = verifier.verify(submitted.__class__(submitted.engine))

    assert not result.is_intact
    assert result.first_bad_seq == head.seq
    assert "does not match its hash" in result.reason


def test_chain_verifier_walks_again_when_the_verified_head_was_replaced(
    submitted: Ledger, service: GovernanceService
) -> None:
    verifier = queries.ChainVerifier()
    verifier.verify(submitted)
    last = submitted.head().seq
    with submitted.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_update"))
        conn.execute(
            text("UPDATE audit_events SET hash = :h WHERE seq = :s"), {"h": "f" * 64, "s": last}
        )
    service.gate("a-model", "v1", actor="ops")

    result = verifier.verify(submitted)

    assert not result.is_intact
    assert result.first_bad_seq == last
    assert verifier.full_walks == 2


# Monitoring


def test_evaluation_series_reads_metrics_and_ignores_bad_values(ledger: Ledger) -> None:
    rows = [
        evaluation_row(2, auc=0.91, drift={"amount": 0.2, "age": "n/a"}, latency_p95_ms=42),
        evaluation_row(1, disparate_impact={"gender": {"f": 0.9, "m": 1.0}, "empty": {}}),
    ]
    with ledger.transaction() as tx:
        tx.conn.execute(insert(t.evaluations), rows)

    older, newer = queries.evaluation_series(ledger, "a-model")

    assert older.window_end < newer.window_end
    assert older.auc is None
    assert older.disparate_impact == {"gender": {"f": 0.9, "m": 1.0}}
    assert newer.auc == pytest.approx(0.91)
    assert newer.drift == {"amount": 0.2}
    assert newer.max_ks == pytest.approx(0.2)  # the largest feature's D when no column value
    assert newer.latency_p95_ms == 42.0
    assert newer.error_rate is None


def test_deployment_history_joins_bundles_and_drills_of_the_model(
    submitted: Ledger,
) -> None:
    with submitted.transaction() as tx:
        for model_id, bundle in (("a-model", "a_v1"), ("b-model", "b_v1")):
            tx.conn.execute(
                insert(t.bundles).values(
                    bundle_id=bundle, project_key="P", qualification_id="Q-000001",
                    model_id=model_id, version="v1", fingerprint="0" * 64, state="approved",
                    created_by="x", created_at=START.isoformat(), updated_at=START.isoformat(),
                )
            )  # fmt: skip
            tx.conn.execute(
                insert(t.deployments).values(
                    deployment_id="prod", project_key="P", bundle_id=bundle, infrastructure="I",
                    kind="deploy", outcome="succeeded", actor="x", reason=f"deploy {bundle}",
                    detail_json="{}", started_at=START.isoformat(), finished_at=None,
                )
            )  # fmt: skip

    history = queries.deployment_history(submitted, "a-model")

    kinds = sorted((h.kind, h.bundle_id) for h in history)
    assert kinds == [
        ("deploy", "a_v1"),
        ("rollback_drill", ""),
        ("rollback_drill", ""),
        ("rollback_drill", ""),
    ]
    assert [m.model_id for m in queries.monitored_models(submitted)] == ["a-model", "b-model"]


def test_documents_index_lists_the_newest_without_content(
    submitted: Ledger, service: GovernanceService
) -> None:
    service.write_documents("Q-000001", actor="rita")
    second = service.write_documents("Q-000001", actor="dan")

    index = queries.document_index(submitted, "a-model", "v1")
    stored = queries.stored_document(submitted, "a-model", "v1", "model_card", "text/html")

    assert len(index) == 6
    assert {d.created_by for d in index} == {"dan"}
    card = next(d for d in second if d.kind == "model_card" and d.media_type == "text/html")
    assert stored is not None
    assert stored[1] == card.content


def test_read_indexes_are_added_to_an_older_ledger() -> None:
    ledger = Ledger.open("sqlite://")
    with ledger.engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_qualifications_state_created"))

    queries.ensure_read_indexes(ledger)

    names = {ix["name"] for ix in inspect(ledger.engine).get_indexes("qualifications")}
    assert "ix_qualifications_state_created" in names


def test_chain_walk_in_small_batches_agrees_with_the_ledger(submitted: Ledger) -> None:
    result = queries.ChainVerifier(batch_size=3).verify(submitted)
    reference = submitted.verify()

    assert result is not None
    assert (result.is_intact, result.events_checked, result.head) == (
        reference.is_intact,
        reference.events_checked,
        reference.head,
    )


def test_chain_walk_names_a_deleted_event(submitted: Ledger) -> None:
    with submitted.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        conn.execute(text("DELETE FROM audit_events WHERE seq = 7"))

    result = queries.ChainVerifier(batch_size=4).verify(submitted)

    assert result is not None
    assert not result.is_intact
    assert result.first_bad_seq == 8
    assert "sequence number 8 follows 6" in result.reason


def test_chain_walk_names_deleted_newest_events(submitted: Ledger) -> None:
    last = submitted.head().seq
    with submitted.engine.begin() as conn:
        conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        conn.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": last})

    result = queries.ChainVerifier().verify(submitted)

    assert result is not None
    assert not result.is_intact
    assert result.first_bad_seq == last
    assert f"the recorded head is event {last}" in result.reason


def test_busy_verifier_answers_at_once_with_the_last_result(
    submitted: Ledger, service: GovernanceService
) -> None:
    verifier = queries.ChainVerifier()
    first = verifier.verify(submitted)
    service.gate("a-model", "v1", actor="ops")

    with verifier._lock:  # another thread is walking
        answer = verifier.verify(submitted, wait=False)

    assert answer is first
    fresh = queries.ChainVerifier()
    with fresh._lock:
        assert fresh.verify(submitted, wait=False) is None
