"""Ledger store: schema versioning, SQLite settings, atomic writes and batched reads."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, insert, select, text

from model_governance.core.constants import GENESIS_HASH, SCHEMA_VERSION
from model_governance.core.errors import ConflictError, LedgerError, NotFoundError
from model_governance.core.workflow import Decision, Qualification, SignOff
from model_governance.ledger import Ledger
from model_governance.ledger import schema as tables

T0 = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def file_url(tmp_path):
    return f"sqlite:///{tmp_path / 'ledger.db'}"


@pytest.fixture
def file_ledger(file_url):
    ledger = Ledger.open(file_url)
    yield ledger
    ledger.engine.dispose()


def _append(ledger, count, *, entities=("Q-000001",)):
    with ledger.transaction() as tx:
        for i in range(count):
            tx.append_event(
                actor="sue.scientist",
                action="note.added",
                entity=("qualification", entities[i % len(entities)]),
                payload={"n": i},
                at=T0 + timedelta(seconds=i),
            )


def _count(ledger, table):
    with ledger.engine.connect() as conn:
        return conn.execute(select(text("count(*)")).select_from(table)).scalar()


def _register(ledger, evidence):
    with ledger.transaction() as tx:
        tx.ensure_model(evidence, T0)
        tx.insert_version(evidence, "sue.scientist", T0)


def _qualification(evidence, qualification_id="Q-000001"):
    return Qualification(
        qualification_id,
        evidence.model_id,
        evidence.version,
        "sue.scientist",
        evidence.fingerprint,
        "p" * 64,
    )


# Schema version


def test_ledger_open_records_current_schema_version(ledger):
    with ledger.engine.connect() as conn:
        versions = conn.execute(select(tables.schema_version.c.version)).scalars().all()

    assert versions == [SCHEMA_VERSION]


def test_ledger_open_existing_ledger_keeps_one_schema_row(file_url):
    Ledger.open(file_url).engine.dispose()
    reopened = Ledger.open(file_url)

    assert _count(reopened, tables.schema_version) == 1
    reopened.engine.dispose()


def _stamp_newer_version(url):
    ledger = Ledger.open(url)
    with ledger.engine.begin() as conn:
        conn.execute(
            insert(tables.schema_version).values(version=SCHEMA_VERSION + 1, applied_at="x")
        )
    ledger.engine.dispose()


@pytest.mark.parametrize("create", [True, False])
def test_ledger_open_newer_schema_version_is_refused_with_fix(file_url, create):
    _stamp_newer_version(file_url)

    with pytest.raises(
        LedgerError,
        match=rf"schema version {SCHEMA_VERSION + 1} is newer than this plugin's "
        rf"{SCHEMA_VERSION}; upgrade the plugin",
    ):
        Ledger.open(file_url, create=create)


def test_ledger_open_without_create_on_foreign_database_is_refused_with_fix(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(path).close()

    with pytest.raises(LedgerError, match=r"schema cannot be read .* `model-governance init`"):
        Ledger.open(f"sqlite:///{path}", create=False)


def test_ledger_open_without_create_on_unstamped_ledger_is_refused_with_fix(file_url):
    ledger = Ledger.open(file_url)
    with ledger.engine.begin() as conn:
        conn.execute(tables.schema_version.delete())
    ledger.engine.dispose()

    with pytest.raises(
        LedgerError, match="no schema version recorded; run `model-governance init`"
    ):
        Ledger.open(file_url, create=False)


def test_ledger_open_new_ledger_head_is_genesis(ledger):
    assert (ledger.head().seq, ledger.head().hash) == (0, GENESIS_HASH)


# SQLite settings


def _pragma(ledger, name):
    with ledger.engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_ledger_sqlite_file_uses_write_ahead_log(file_ledger):
    assert _pragma(file_ledger, "journal_mode") == "wal"


def test_ledger_sqlite_file_enforces_foreign_keys(file_ledger):
    assert _pragma(file_ledger, "foreign_keys") == 1


def test_ledger_sqlite_file_syncs_fully(file_ledger):
    assert _pragma(file_ledger, "synchronous") == 2  # FULL


def test_ledger_version_of_unknown_model_is_refused_by_foreign_key(ledger, evidence_factory):
    expected = r"foreign key constraint failed\); nothing was written"
    with pytest.raises(ConflictError, match=expected), ledger.transaction() as tx:
        tx.insert_version(evidence_factory(), "sue.scientist", T0)


# Writes


def test_ledger_append_event_moves_head_to_new_event(ledger):
    with ledger.transaction() as tx:
        sealed = tx.append_event(actor="a", action="x", entity=("t", "1"), payload={}, at=T0)

    assert (ledger.head().seq, ledger.head().hash) == (1, sealed.hash)


def test_ledger_append_event_chains_to_previous_event(ledger):
    _append(ledger, 1)
    with ledger.transaction() as tx:
        second = tx.append_event(actor="a", action="x", entity=("t", "1"), payload={}, at=T0)

    assert second.prev_hash == next(ledger.iter_events()).hash


def test_ledger_transaction_error_inside_rolls_back_events_and_head(ledger):
    _append(ledger, 2)
    head = ledger.head()

    def interrupted_write():
        with ledger.transaction() as tx:
            tx.append_event(actor="a", action="x", entity=("t", "1"), payload={}, at=T0)
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        interrupted_write()

    assert (ledger.head(), _count(ledger, tables.audit_events)) == (head, 2)


def test_ledger_insert_version_twice_is_a_conflict_with_fix(ledger, evidence_factory):
    evidence = evidence_factory()
    _register(ledger, evidence)

    with pytest.raises(ConflictError, match="already registered; register the retrained model"):
        _register(ledger, evidence)


def test_ledger_get_version_returns_registered_evidence(ledger, evidence_factory):
    evidence = evidence_factory()
    _register(ledger, evidence)

    record = ledger.get_version("claims-fraud", "v1")

    assert (record.evidence, record.fingerprint) == (evidence, evidence.fingerprint)


def test_ledger_get_version_unknown_is_not_found_with_fix(ledger):
    with pytest.raises(NotFoundError, match="model m version v9 is not registered; register it"):
        ledger.get_version("m", "v9")


def test_ledger_find_version_unknown_is_none(ledger):
    assert ledger.find_version("m", "v9") is None


def test_ledger_get_qualification_unknown_is_not_found_with_fix(ledger):
    with pytest.raises(
        NotFoundError, match="qualification Q-999999 does not exist; list qualifications"
    ):
        ledger.get_qualification("Q-999999")


def test_ledger_next_qualification_id_counts_up(ledger, evidence_factory):
    evidence = evidence_factory()
    _register(ledger, evidence)
    with ledger.transaction() as tx:
        first = tx.next_qualification_id()
        tx.insert_qualification(
            _qualification(evidence, first), project_key="CLAIMS", policy_version="1", at=T0
        )
        second = tx.next_qualification_id()

    assert (first, second) == ("Q-000001", "Q-000002")


def test_ledger_second_signoff_by_same_actor_is_refused_by_store(ledger, evidence_factory):
    evidence = evidence_factory()
    _register(ledger, evidence)
    with ledger.transaction() as tx:
        tx.insert_qualification(
            _qualification(evidence), project_key="CLAIMS", policy_version="1", at=T0
        )
        tx.insert_signoff("Q-000001", SignOff("review_board", "bo", Decision.APPROVE, "ok", T0))

    second = SignOff("data_steward", "bo", Decision.APPROVE, "ok", T0)
    with (
        pytest.raises(ConflictError, match="one person already signed for another role"),
        ledger.transaction() as tx,
    ):
        tx.insert_signoff("Q-000001", second)


def test_ledger_second_signoff_for_same_role_is_refused_by_store(ledger, evidence_factory):
    evidence = evidence_factory()
    _register(ledger, evidence)
    with ledger.transaction() as tx:
        tx.insert_qualification(
            _qualification(evidence), project_key="CLAIMS", policy_version="1", at=T0
        )
        tx.insert_signoff("Q-000001", SignOff("review_board", "bo", Decision.APPROVE, "ok", T0))

    second = SignOff("review_board", "al", Decision.APPROVE, "ok", T0)
    with (
        pytest.raises(ConflictError, match="that role was already signed"),
        ledger.transaction() as tx,
    ):
        tx.insert_signoff("Q-000001", second)


# Reading events in batches


def test_ledger_iter_events_empty_ledger_yields_nothing(ledger):
    assert list(ledger.iter_events()) == []


@pytest.mark.parametrize("batch_size", [1, 3, 7, 5000])
def test_ledger_iter_events_any_batch_size_yields_every_event_in_order(ledger, batch_size):
    _append(ledger, 7)

    assert [e.seq for e in ledger.iter_events(batch_size=batch_size)] == [1, 2, 3, 4, 5, 6, 7]


def test_ledger_iter_events_reads_one_query_per_batch(ledger):
    _append(ledger, 7)
    statements = []

    def record(conn, cursor, statement, *args):
        if "FROM audit_events" in statement:
            statements.append(statement)

    event.listen(ledger.engine, "before_cursor_execute", record)
    events = list(ledger.iter_events(batch_size=3))
    event.remove(ledger.engine, "before_cursor_execute", record)

    # 7 events in batches of 3: 3 + 3 + 1, then one empty read ends the walk.
    assert (len(events), len(statements)) == (7, 4)


def test_ledger_iter_events_entity_filter_spans_batches(ledger):
    _append(ledger, 7, entities=("Q-000001", "Q-000002"))

    events = ledger.iter_events(entity=("qualification", "Q-000002"), batch_size=2)

    assert [e.seq for e in events] == [2, 4, 6]


def test_ledger_iter_events_restores_payload_and_time(ledger):
    _append(ledger, 2)

    second = list(ledger.iter_events())[1]

    assert (second.payload, second.occurred_at) == ({"n": 1}, T0 + timedelta(seconds=1))


def test_ledger_verify_after_appends_is_intact_with_head(ledger):
    _append(ledger, 5)

    result = ledger.verify()

    assert (result.is_intact, result.events_checked, result.head) == (True, 5, ledger.head())
