"""Tampering with any audit event fails verification at that event.

The first test edits one field of one event of a random chain in memory. The second
edits one column of one row of a file-based ledger with the ``sqlite3`` module, after
dropping the append-only triggers, as an attacker holding the file would.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import shutil
import sqlite3
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from model_governance.core.audit import ChainHead, seal, verify_chain
from model_governance.core.hashing import canonical_json
from model_governance.ledger import Ledger

T0 = datetime(2024, 3, 1, 9, 0, 0, tzinfo=timezone.utc)

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=12),
)
payloads = st.dictionaries(st.text(max_size=8), json_scalars, max_size=4)
names = st.text(min_size=1, max_size=20)
hex_digests = st.text(alphabet="0123456789abcdef", min_size=64, max_size=64)
offsets = st.integers(1, 10**12).map(lambda us: timedelta(microseconds=us))


@st.composite
def chains(draw):
    """A sealed chain of 1 to 12 events with random actors, entities and payloads."""
    head, events = ChainHead(), []
    for i in range(draw(st.integers(1, 12))):
        event = seal(
            head,
            occurred_at=T0 + timedelta(seconds=i),
            actor=draw(names),
            action=draw(st.sampled_from(["signoff.recorded", "check.waived", "gate.evaluated"])),
            entity=(draw(st.sampled_from(["qualification", "version"])), draw(names)),
            payload=draw(payloads),
        )
        events.append(event)
        head = ChainHead(event.seq, event.hash)
    return events, head


def _different(draw, strategy, old, key=lambda v: v):
    value = draw(strategy)
    assume(key(value) != key(old))
    return value


FIELD_VALUES = {
    "seq": lambda draw, old: _different(draw, st.integers(0, 100), old),
    "occurred_at": lambda draw, old: old + draw(offsets) * draw(st.sampled_from([1, -1])),
    "actor": lambda draw, old: _different(draw, names, old),
    "action": lambda draw, old: _different(draw, names, old),
    "entity_type": lambda draw, old: _different(draw, names, old),
    "entity_id": lambda draw, old: _different(draw, names, old),
    "payload": lambda draw, old: _different(draw, payloads, old, key=canonical_json),
    "prev_hash": lambda draw, old: _different(draw, hex_digests, old),
    "hash": lambda draw, old: _different(draw, hex_digests, old),
}


@settings(max_examples=200, deadline=None)
@given(chain=chains(), data=st.data())
def test_verify_chain_any_edited_event_fails_at_that_event(chain, data):
    events, head = chain
    index = data.draw(st.integers(0, len(events) - 1), label="index")
    field = data.draw(st.sampled_from(sorted(FIELD_VALUES)), label="field")
    value = FIELD_VALUES[field](data.draw, getattr(events[index], field))
    events[index] = dataclasses.replace(events[index], **{field: value})

    result = verify_chain(events, head)

    assert not result.is_intact
    assert result.first_bad_seq == events[index].seq


# The same attack on a ledger file

N_EVENTS = 8
CONTENT_COLUMNS = ("occurred_at", "actor", "action", "entity_type", "entity_id")


def _build_template(path):
    ledger = Ledger.open(f"sqlite:///{path}")
    for i in range(N_EVENTS):
        with ledger.transaction() as tx:
            tx.append_event(
                actor=f"user{i}",
                action="signoff.recorded",
                entity=("qualification", f"Q-{i:06d}"),
                payload={"n": i, "comment": "ok"},
                at=T0 + timedelta(seconds=i),
            )
    ledger.engine.dispose()


@functools.lru_cache(maxsize=1)
def _template_folder():
    # Kept for the whole run and removed when the interpreter exits.
    return tempfile.TemporaryDirectory()


def _template():
    path = Path(_template_folder().name) / "template.db"
    if not path.exists():
        _build_template(path)
    return path


def _stored_row(path, seq):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return dict(conn.execute("SELECT * FROM audit_events WHERE seq = ?", (seq,)).fetchone())
    finally:
        conn.close()


@st.composite
def row_edits(draw):
    """A (seq, column, new text) edit that changes what the row says."""
    seq = draw(st.integers(1, N_EVENTS))
    column = draw(st.sampled_from((*CONTENT_COLUMNS, "payload_json", "prev_hash", "hash")))
    if column == "payload_json":
        value = json.dumps(draw(payloads))
    elif column in ("prev_hash", "hash"):
        value = draw(hex_digests)
    elif column == "occurred_at":
        moment = T0 + timedelta(seconds=seq - 1) + draw(offsets)
        value = draw(st.sampled_from([moment.isoformat(timespec="microseconds"), "garbage"]))
    else:
        value = draw(names)
    return seq, column, value


def _changes_meaning(original, column, value):
    if column == "payload_json":
        return canonical_json(json.loads(value)) != canonical_json(json.loads(original))
    return value != original


@settings(max_examples=60, deadline=None)
@given(edit=row_edits())
def test_ledger_verify_any_edited_row_fails_at_that_row(edit):
    seq, column, value = edit
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.db"
        shutil.copyfile(_template(), path)
        assume(_changes_meaning(_stored_row(path, seq)[column], column, value))
        conn = sqlite3.connect(path)
        conn.execute("DROP TRIGGER audit_events_no_update")
        conn.execute(f"UPDATE audit_events SET {column} = ? WHERE seq = ?", (value, seq))  # noqa: S608 - column comes from a fixed list
        conn.commit()
        conn.close()

        ledger = Ledger.open(f"sqlite:///{path}", create=False)
        result = ledger.verify()
        ledger.engine.dispose()

    assert (result.is_intact, result.first_bad_seq) == (False, seq)
