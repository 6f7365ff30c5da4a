"""Audit chain: event hashing, verification, and tampering by someone with file access.

The tamper tests work on a file-based SQLite ledger with the ``sqlite3`` module, as an
attacker holding the file would: they drop the append-only triggers first, then edit,
delete, insert or swap rows. Each attack must be detected and the first broken event
named.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from model_governance.core.audit import ChainHead, event_hash, seal, verify_chain
from model_governance.core.constants import GENESIS_HASH
from model_governance.ledger import Ledger

T0 = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)
N_EVENTS = 6
POSITIONS = (1, 3, N_EVENTS)


def _payload(i):
    return {"role": ("review_board", "data_steward", "ml_engineer")[i % 3], "n": i, "ok": True}


def _chain(n=N_EVENTS):
    head, events = ChainHead(), []
    for i in range(n):
        event = seal(
            head,
            occurred_at=T0 + timedelta(seconds=i),
            actor=f"user{i % 3}",
            action="signoff.recorded",
            entity=("qualification", f"Q-{i % 2 + 1:06d}"),
            payload=_payload(i),
        )
        events.append(event)
        head = ChainHead(event.seq, event.hash)
    return events, head


# Hash of one event


def test_event_hash_first_event_matches_digest_of_its_canonical_text():
    # sha256 of this canonical JSON, written out by hand and hashed with hashlib:
    # {"action":"version.registered","actor":"sue.scientist",
    #  "entity_id":"claims-fraud/v1","entity_type":"version",
    #  "occurred_at":"2024-03-01T09:00:00.000000+00:00",
    #  "payload":{"tag":"v1.0-prod-candidate"},"prev_hash":"000…000","seq":1}
    expected = "424b6fb2ed9e6e6e981a0b601899ced92aafee3f73d112dda747edb2d0f8c1e5"

    digest = event_hash(
        1,
        T0,
        "sue.scientist",
        "version.registered",
        ("version", "claims-fraud/v1"),
        {"tag": "v1.0-prod-candidate"},
        GENESIS_HASH,
    )

    assert digest == expected


def test_event_hash_iso_text_and_datetime_give_same_digest():
    args = ("actor", "action", ("t", "1"), {}, GENESIS_HASH)

    assert event_hash(1, "2024-03-01T09:00:00.000000+00:00", *args) == event_hash(1, T0, *args)


def test_seal_on_empty_head_starts_at_one_after_genesis():
    event = seal(ChainHead(), occurred_at=T0, actor="a", action="x", entity=("t", "1"), payload={})

    assert (event.seq, event.prev_hash) == (1, GENESIS_HASH)


def test_seal_next_event_links_to_head_hash():
    events, _ = _chain(2)

    assert events[1].prev_hash == events[0].hash


# Verification of intact chains


def test_verify_chain_empty_chain_with_empty_head_is_intact():
    result = verify_chain([], ChainHead())

    assert (result.is_intact, result.events_checked, result.first_bad_seq) == (True, 0, None)


def test_verify_chain_sealed_chain_is_intact_and_counts_events():
    events, head = _chain()

    result = verify_chain(events, head)

    assert (result.is_intact, result.events_checked, result.head) == (True, N_EVENTS, head)


# Pure tampering: every field, several positions


TAMPERED_FIELDS = {
    "occurred_at": T0 - timedelta(hours=1),
    "actor": "mallory",
    "action": "signoff.forged",
    "entity_type": "version",
    "entity_id": "Q-999999",
    "payload": {"role": "review_board", "n": 0, "ok": False},
    "prev_hash": "1" * 64,
    "hash": "2" * 64,
}


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("field", sorted(TAMPERED_FIELDS))
def test_verify_chain_edited_field_fails_at_that_event(field, position):
    events, head = _chain()
    events[position - 1] = dataclasses.replace(
        events[position - 1], **{field: TAMPERED_FIELDS[field]}
    )

    result = verify_chain(events, head)

    assert (result.is_intact, result.first_bad_seq) == (False, position)


def test_verify_chain_edited_content_reason_says_edited():
    events, head = _chain()
    events[2] = dataclasses.replace(events[2], actor="mallory")

    assert verify_chain(events, head).reason == (
        "its content does not match its hash; the event was edited"
    )


def test_verify_chain_deleted_middle_event_fails_at_its_successor():
    events, head = _chain()
    del events[2]  # seq 3

    result = verify_chain(events, head)

    assert (result.first_bad_seq, result.reason) == (
        4,
        "sequence number 4 follows 2; an event was deleted, inserted or moved here",
    )


def test_verify_chain_deleted_last_event_is_exposed_by_head():
    events, head = _chain()

    result = verify_chain(events[:-1], head)

    assert (result.is_intact, result.first_bad_seq) == (False, N_EVENTS)


def test_verify_chain_swapped_events_fail_at_the_earlier_position():
    events, head = _chain()
    events[1], events[4] = events[4], events[1]

    assert verify_chain(events, head).first_bad_seq == 5  # seq 5 now sits where 2 belongs


def test_verify_chain_correctly_sealed_extra_event_is_named_by_head():
    events, head = _chain()
    forged = seal(head, occurred_at=T0, actor="mallory", action="x", entity=("t", "1"), payload={})

    result = verify_chain([*events, forged], head)

    assert (result.is_intact, result.first_bad_seq) == (False, N_EVENTS + 1)


def test_verify_chain_resealed_last_event_is_named_by_head():
    events, head = _chain()
    before_last = ChainHead(events[-2].seq, events[-2].hash)
    events[-1] = seal(
        before_last, occurred_at=T0, actor="mallory", action="x", entity=("t", "1"), payload={}
    )

    result = verify_chain(events, head)

    assert (result.is_intact, result.first_bad_seq) == (False, N_EVENTS)


def test_verify_chain_extra_event_reason_says_it_lies_past_the_head():
    events, head = _chain()
    forged = seal(head, occurred_at=T0, actor="mallory", action="x", entity=("t", "1"), payload={})

    assert verify_chain([*events, forged], head).reason.startswith(
        f"event {N_EVENTS + 1} lies past the recorded head (event {N_EVENTS})"
    )


def test_verify_chain_altered_head_hash_names_the_last_event():
    events, head = _chain()

    result = verify_chain(events, ChainHead(head.seq, "4" * 64))

    assert (result.first_bad_seq, result.reason) == (
        N_EVENTS,
        f"event {N_EVENTS} does not match the recorded head's hash; it was replaced or the "
        "head was altered",
    )


def test_verify_chain_unhashable_value_fails_at_that_event_without_raising():
    events, head = _chain()
    events[2] = dataclasses.replace(events[2], occurred_at=datetime(2024, 3, 1, 9, 0, 2))

    result = verify_chain(events, head)

    assert (result.first_bad_seq, result.reason[:34]) == (3, "its content cannot be hashed (time")


# Tampering with the ledger file


@pytest.fixture(scope="module")
def template_db(tmp_path_factory):
    """A file ledger holding N_EVENTS audit events, one transaction each."""
    path = tmp_path_factory.mktemp("audit") / "template.db"
    ledger = Ledger.open(f"sqlite:///{path}")
    for i in range(N_EVENTS):
        with ledger.transaction() as tx:
            tx.append_event(
                actor=f"user{i % 3}",
                action="signoff.recorded",
                entity=("qualification", f"Q-{i % 2 + 1:06d}"),
                payload=_payload(i),
                at=T0 + timedelta(seconds=i),
            )
    ledger.engine.dispose()
    return path


@pytest.fixture
def ledger_file(template_db, tmp_path):
    """A private copy of the template ledger file for one attack."""
    path = tmp_path / "ledger.db"
    for suffix in ("", "-wal"):
        source = template_db.with_name(template_db.name + suffix)
        if source.exists():
            shutil.copyfile(source, path.with_name(path.name + suffix))
    return path


def _attack(path, *statements):
    """Run SQL as an attacker with file access: drop the guards, then write."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute("DROP TRIGGER audit_events_no_delete")
        for sql, params in statements:
            conn.execute(sql, params)
        conn.commit()
    finally:
        conn.close()


def _rows(path):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM audit_events ORDER BY seq")]
    finally:
        conn.close()


def _verify(path):
    ledger = Ledger.open(f"sqlite:///{path}", create=False)
    try:
        return ledger.verify()
    finally:
        ledger.engine.dispose()


def test_ledger_file_untouched_copy_verifies(ledger_file):
    result = _verify(ledger_file)

    assert (result.is_intact, result.events_checked) == (True, N_EVENTS)


LEDGER_EDITS = {
    "occurred_at": "2024-03-01T08:00:00.000000+00:00",
    "actor": "mallory",
    "action": "signoff.forged",
    "entity_type": "version",
    "entity_id": "Q-999999",
    "payload_json": '{"n":0,"ok":false,"role":"review_board"}',
    "prev_hash": "1" * 64,
    "hash": "2" * 64,
}


@pytest.mark.parametrize("position", POSITIONS)
@pytest.mark.parametrize("column", sorted(LEDGER_EDITS))
def test_ledger_verify_edited_column_fails_at_that_event(ledger_file, column, position):
    _attack(
        ledger_file,
        (f"UPDATE audit_events SET {column} = ? WHERE seq = ?", (LEDGER_EDITS[column], position)),  # noqa: S608 - column names come from the constant above
    )

    result = _verify(ledger_file)

    assert (result.is_intact, result.first_bad_seq) == (False, position)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("occurred_at", "yesterday"),
        ("occurred_at", "2024-03-01T09:00:00"),
        ("payload_json", "{not json"),
        ("payload_json", '{"auc": NaN}'),
        ("actor", b"mallory"),
        ("occurred_at", b"2024-03-01T09:00:00.000000+00:00"),
    ],
)
@pytest.mark.parametrize("position", POSITIONS)
def test_ledger_verify_unreadable_column_fails_at_that_event(ledger_file, column, value, position):
    _attack(
        ledger_file,
        (f"UPDATE audit_events SET {column} = ? WHERE seq = ?", (value, position)),  # noqa: S608 - column names come from the parameter list above
    )

    result = _verify(ledger_file)

    assert (result.is_intact, result.first_bad_seq) == (False, position)


@pytest.mark.parametrize(
    ("position", "expected"),
    # Renumbered event k (to k + 100): event k + 1 no longer follows k - 1; when k is
    # the last one, the renumbered event itself is the first that does not follow.
    [(1, 2), (3, 4), (N_EVENTS, N_EVENTS + 100)],
)
def test_ledger_verify_renumbered_event_fails_at_first_out_of_sequence(
    ledger_file, position, expected
):
    _attack(ledger_file, ("UPDATE audit_events SET seq = seq + 100 WHERE seq = ?", (position,)))

    assert _verify(ledger_file).first_bad_seq == expected


@pytest.mark.parametrize(
    ("position", "expected"),
    # Deleting event k breaks event k + 1; deleting the last one is exposed by the head.
    [(1, 2), (3, 4), (N_EVENTS - 1, N_EVENTS), (N_EVENTS, N_EVENTS)],
)
def test_ledger_verify_deleted_event_is_detected_at_first_break(ledger_file, position, expected):
    _attack(ledger_file, ("DELETE FROM audit_events WHERE seq = ?", (position,)))

    result = _verify(ledger_file)

    assert (result.is_intact, result.first_bad_seq) == (False, expected)


def test_ledger_verify_deleted_last_event_reason_names_the_head(ledger_file):
    _attack(ledger_file, ("DELETE FROM audit_events WHERE seq = ?", (N_EVENTS,)))

    assert _verify(ledger_file).reason.startswith(
        f"the chain ends at event {N_EVENTS - 1} but the recorded head is event {N_EVENTS}"
    )


def test_ledger_verify_all_events_deleted_fails_at_first_event(ledger_file):
    _attack(ledger_file, ("DELETE FROM audit_events", ()))

    assert _verify(ledger_file).first_bad_seq == 1


INSERT = (
    "INSERT INTO audit_events (seq, occurred_at, actor, action, entity_type, entity_id, "
    "payload_json, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


def _forged_row(seq, prev_hash, *, digest=None):
    moment = "2024-03-01T10:00:00.000000+00:00"
    payload = {"role": "review_board", "decision": "approve"}
    entity = ("qualification", "Q-000001")
    if digest is None:
        digest = event_hash(seq, moment, "mallory", "signoff.recorded", entity, payload, prev_hash)
    values = (seq, moment, "mallory", "signoff.recorded", *entity, json.dumps(payload))
    return (*values, prev_hash, digest)


def test_ledger_verify_appended_row_with_made_up_hash_fails_at_it(ledger_file):
    last = _rows(ledger_file)[-1]
    _attack(ledger_file, (INSERT, _forged_row(N_EVENTS + 1, last["hash"], digest="3" * 64)))

    assert _verify(ledger_file).first_bad_seq == N_EVENTS + 1


def test_ledger_verify_appended_correctly_sealed_row_is_exposed_by_head(ledger_file):
    last = _rows(ledger_file)[-1]
    _attack(ledger_file, (INSERT, _forged_row(N_EVENTS + 1, last["hash"])))

    result = _verify(ledger_file)

    assert (result.is_intact, result.first_bad_seq) == (False, N_EVENTS + 1)


def _shift_up_from(position):
    """Statements moving events position..N one place up, newest first."""
    return [
        ("UPDATE audit_events SET seq = seq + 1 WHERE seq = ?", (seq,))
        for seq in range(N_EVENTS, position - 1, -1)
    ]


@pytest.mark.parametrize("position", [1, 3, N_EVENTS])
def test_ledger_verify_inserted_row_with_made_up_hash_fails_at_it(ledger_file, position):
    rows = _rows(ledger_file)
    prev = rows[position - 2]["hash"] if position > 1 else GENESIS_HASH
    forged = _forged_row(position, prev, digest="3" * 64)

    _attack(ledger_file, *_shift_up_from(position), (INSERT, forged))

    assert _verify(ledger_file).first_bad_seq == position


@pytest.mark.parametrize("position", [1, 3, N_EVENTS])
def test_ledger_verify_inserted_correctly_sealed_row_fails_at_displaced_event(
    ledger_file, position
):
    # A forgery sealed onto the true chain verifies by itself; the original event it
    # displaced no longer links to it, so that event is the first broken one.
    rows = _rows(ledger_file)
    prev = rows[position - 2]["hash"] if position > 1 else GENESIS_HASH

    _attack(ledger_file, *_shift_up_from(position), (INSERT, _forged_row(position, prev)))

    assert _verify(ledger_file).first_bad_seq == position + 1


CONTENT_COLUMNS = (
    "occurred_at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "payload_json",
    "prev_hash",
    "hash",
)


def _swap(rows, i, j):
    assignments = ", ".join(f"{c} = ?" for c in CONTENT_COLUMNS)
    sql = f"UPDATE audit_events SET {assignments} WHERE seq = ?"  # noqa: S608 - fixed column list
    first, second = rows[i - 1], rows[j - 1]
    return [
        (sql, (*(second[c] for c in CONTENT_COLUMNS), i)),
        (sql, (*(first[c] for c in CONTENT_COLUMNS), j)),
    ]


@pytest.mark.parametrize(("i", "j"), [(1, 2), (2, 5), (N_EVENTS - 1, N_EVENTS), (1, N_EVENTS)])
def test_ledger_verify_swapped_row_contents_fail_at_the_earlier_row(ledger_file, i, j):
    _attack(ledger_file, *_swap(_rows(ledger_file), i, j))

    result = _verify(ledger_file)

    assert (result.is_intact, result.first_bad_seq) == (False, i)


# Append-only guards for everyone going through the database engine

APPEND_ONLY = "audit events are append-only"


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET actor = 'mallory' WHERE seq = 1", "DELETE FROM audit_events"],
)
def test_ledger_engine_update_or_delete_of_audit_events_is_refused(ledger_file, statement):
    ledger = Ledger.open(f"sqlite:///{ledger_file}", create=False)
    try:
        with pytest.raises(IntegrityError, match=APPEND_ONLY), ledger.engine.begin() as conn:
            conn.execute(text(statement))
    finally:
        ledger.engine.dispose()


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_events SET actor = 'mallory' WHERE seq = 1", "DELETE FROM audit_events"],
)
def test_ledger_in_memory_update_or_delete_of_audit_events_is_refused(ledger, statement):
    with ledger.transaction() as tx:
        tx.append_event(actor="a", action="x", entity=("t", "1"), payload={}, at=T0)

    with pytest.raises(IntegrityError, match=APPEND_ONLY), ledger.engine.begin() as conn:
        conn.execute(text(statement))


def test_ledger_refused_update_leaves_chain_intact(ledger):
    with ledger.transaction() as tx:
        tx.append_event(actor="a", action="x", entity=("t", "1"), payload={}, at=T0)
    with pytest.raises(IntegrityError), ledger.engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET actor = 'mallory'"))

    assert ledger.verify().is_intact
